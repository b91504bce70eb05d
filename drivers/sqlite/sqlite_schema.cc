// ReadSchema for SQLite: five catalog queries whatever the number of tables
// (pragma_table_list, sqlite_schema, and one join each with
// pragma_table_xinfo, pragma_index_list x pragma_index_xinfo and
// pragma_foreign_key_list), completed by parsing the CREATE statements for
// what the pragmas do not expose (see sqlite_ddl.h).
#include <algorithm>
#include <cctype>
#include <functional>
#include <map>
#include <set>
#include <string>
#include <unordered_map>
#include <vector>

#include "base/strings.h"
#include "driver/driver_helpers.h"
#include "sqlite_ddl_parse.h"
#include "sqlite_internal.h"

namespace cutover::sqlite {
namespace {

// The user tables of `main` (not views, virtual tables' shadow tables or
// SQLite's own sqlite_* tables), materialized first so that the pragma
// functions below are never called for a virtual table whose module may not
// be loaded.
constexpr const char* kUserTables =
    "WITH t AS MATERIALIZED (SELECT name FROM pragma_table_list "
    "WHERE schema = 'main' AND type = 'table' AND name NOT LIKE 'sqlite\\_%' ESCAPE '\\') ";

constexpr const char* kTablesQuery =
    "SELECT name, type, wr, strict FROM pragma_table_list "
    "WHERE schema = 'main' AND type IN ('table', 'virtual') AND name NOT LIKE 'sqlite\\_%' ESCAPE '\\'";

constexpr const char* kObjectsQuery =
    "SELECT type, name, tbl_name, sql FROM main.sqlite_schema "
    "WHERE sql IS NOT NULL AND name NOT LIKE 'sqlite\\_%' ESCAPE '\\'";

constexpr const char* kColumnsQuery =
    "SELECT t.name, p.cid, p.name, p.type, p.\"notnull\", p.dflt_value, p.pk, p.hidden "
    "FROM t JOIN pragma_table_xinfo(t.name, 'main') AS p";

constexpr const char* kIndexesQuery =
    "SELECT t.name, il.name, il.\"unique\", il.origin, ix.seqno, ix.cid, ix.name, ix.\"desc\", ix.coll "
    "FROM t JOIN pragma_index_list(t.name, 'main') AS il "
    "JOIN pragma_index_xinfo(il.name, 'main') AS ix WHERE ix.key = 1";

constexpr const char* kForeignKeysQuery =
    "SELECT t.name, f.id, f.seq, f.\"table\", f.\"from\", f.\"to\", f.on_update, f.on_delete "
    "FROM t JOIN pragma_foreign_key_list(t.name, 'main') AS f";

struct ColumnRow {
  int cid = 0;
  std::string name;
  std::string type;
  bool notnull = false;
  std::optional<std::string> default_value;
  int pk = 0;
  int hidden = 0;
};

struct IndexKeyRow {
  int seqno = 0;
  int cid = 0;
  std::string name;
  bool desc = false;
  std::string collation;
};

struct IndexRow {
  bool unique = false;
  std::string origin;  // c, u, pk
  std::vector<IndexKeyRow> keys;
};

struct ForeignKeyColumnRow {
  int seq = 0;
  std::string from;
  std::optional<std::string> to;
};

struct ForeignKeyRow {
  std::string parent;
  std::string on_update;
  std::string on_delete;
  std::vector<ForeignKeyColumnRow> columns;
};

struct TableData {
  std::string name;  // as stored
  bool is_virtual = false;
  bool without_rowid = false;
  bool strict = false;
  std::string sql;
  std::vector<ColumnRow> columns;
  std::map<std::string, IndexRow> indexes;    // by stored index name
  std::map<int, ForeignKeyRow> foreign_keys;  // by pragma id
};

struct SchemaText {
  std::string type;
  std::string name;
  std::string table;
  std::string sql;
};

class Reader {
 public:
  Reader(sqlite3* db, const std::string& display) : db_(db), display_(display) {}

  Result<SchemaModel> Read() {
    CUTOVER_RETURN_IF_ERROR(Load());
    SchemaModel model;
    model.engine = "sqlite";
    model.server_version = sqlite3_libversion();
    std::size_t estimate = others_.size();
    for (const auto& [key, table] : tables_) {
      estimate += 2 + table.columns.size() + table.indexes.size() + table.foreign_keys.size();
    }
    model.objects.reserve(estimate + estimate / 8);  // checks are not counted yet
    for (auto& [key, table] : tables_) CUTOVER_RETURN_IF_ERROR(AddTable(model, table));
    for (const SchemaText& obj : others_) CUTOVER_RETURN_IF_ERROR(AddOther(model, obj));
    model.Sort();
    return model;
  }

 private:
  using RowFn = std::function<Status(sqlite3_stmt*)>;

  Status ForEachRow(const std::string& sql, const RowFn& fn) {
    sqlite3_stmt* raw = nullptr;
    int rc = sqlite3_prepare_v2(db_, sql.c_str(), static_cast<int>(sql.size()), &raw, nullptr);
    StatementPtr stmt(raw);
    if (rc != SQLITE_OK) return StatusFromSqlite(db_, rc, display_ + ": reading the schema");
    while ((rc = sqlite3_step(stmt.get())) == SQLITE_ROW) CUTOVER_RETURN_IF_ERROR(fn(stmt.get()));
    if (rc != SQLITE_DONE) return StatusFromSqlite(db_, rc, display_ + ": reading the schema");
    return Status::Ok();
  }

  TableData* Table(const std::string& name) {
    auto it = tables_.find(ToLower(name));
    return it == tables_.end() ? nullptr : &it->second;
  }

  Status Load() {
    CUTOVER_RETURN_IF_ERROR(ForEachRow(kTablesQuery, [&](sqlite3_stmt* s) {
      TableData t;
      t.name = ColumnText(s, 0);
      t.is_virtual = ColumnText(s, 1) == "virtual";
      t.without_rowid = sqlite3_column_int(s, 2) != 0;
      t.strict = sqlite3_column_int(s, 3) != 0;
      tables_.emplace(ToLower(t.name), std::move(t));
      return Status::Ok();
    }));
    CUTOVER_RETURN_IF_ERROR(ForEachRow(kObjectsQuery, [&](sqlite3_stmt* s) {
      SchemaText obj{ColumnText(s, 0), ColumnText(s, 1), ColumnText(s, 2), ColumnText(s, 3)};
      if (obj.type == "table") {
        if (TableData* t = Table(obj.name)) t->sql = obj.sql;  // shadow tables are not listed
      } else if (obj.type == "index") {
        index_sql_[ToLower(obj.name)] = obj.sql;
      } else {
        others_.push_back(std::move(obj));
      }
      return Status::Ok();
    }));
    CUTOVER_RETURN_IF_ERROR(ForEachRow(std::string(kUserTables) + kColumnsQuery, [&](sqlite3_stmt* s) {
      TableData* t = Table(ColumnText(s, 0));
      if (t == nullptr) return Status::Ok();
      ColumnRow c;
      c.cid = sqlite3_column_int(s, 1);
      c.name = ColumnText(s, 2);
      c.type = ColumnText(s, 3);
      c.notnull = sqlite3_column_int(s, 4) != 0;
      c.default_value = ColumnOptText(s, 5);
      c.pk = sqlite3_column_int(s, 6);
      c.hidden = sqlite3_column_int(s, 7);
      t->columns.push_back(std::move(c));
      return Status::Ok();
    }));
    CUTOVER_RETURN_IF_ERROR(ForEachRow(std::string(kUserTables) + kIndexesQuery, [&](sqlite3_stmt* s) {
      TableData* t = Table(ColumnText(s, 0));
      if (t == nullptr) return Status::Ok();
      IndexRow& index = t->indexes[ColumnText(s, 1)];
      index.unique = sqlite3_column_int(s, 2) != 0;
      index.origin = ColumnText(s, 3);
      IndexKeyRow key;
      key.seqno = sqlite3_column_int(s, 4);
      key.cid = sqlite3_column_int(s, 5);
      key.name = ColumnText(s, 6);
      key.desc = sqlite3_column_int(s, 7) != 0;
      key.collation = ToUpper(ColumnText(s, 8));
      index.keys.push_back(std::move(key));
      return Status::Ok();
    }));
    CUTOVER_RETURN_IF_ERROR(ForEachRow(std::string(kUserTables) + kForeignKeysQuery, [&](sqlite3_stmt* s) {
      TableData* t = Table(ColumnText(s, 0));
      if (t == nullptr) return Status::Ok();
      ForeignKeyRow& fk = t->foreign_keys[sqlite3_column_int(s, 1)];
      fk.parent = ColumnText(s, 3);
      fk.on_update = ColumnText(s, 6);
      fk.on_delete = ColumnText(s, 7);
      fk.columns.push_back({sqlite3_column_int(s, 2), ColumnText(s, 4), ColumnOptText(s, 5)});
      return Status::Ok();
    }));
    for (auto& [name, t] : tables_) {
      std::sort(t.columns.begin(), t.columns.end(),
                [](const auto& a, const auto& b) { return a.cid < b.cid; });
      for (auto& [iname, index] : t.indexes) {
        std::sort(index.keys.begin(), index.keys.end(),
                  [](const auto& a, const auto& b) { return a.seqno < b.seqno; });
      }
      for (auto& [id, fk] : t.foreign_keys) {
        std::sort(fk.columns.begin(), fk.columns.end(),
                  [](const auto& a, const auto& b) { return a.seq < b.seq; });
      }
    }
    return Status::Ok();
  }

  // Why an object is compared as text. No file name in it: it is part of
  // the model, which must not depend on where the database lives.
  static Status ParseError(const std::string& what, const std::string& name, const Status& status) {
    return Status::Internal("cutover's SQLite DDL parser cannot read the CREATE statement of " + what + " '" +
                            name + "' (" + status.message() + "); please report this statement as a bug");
  }

  // Primary key columns in key order (normalized names); empty when none.
  static std::vector<std::string> PrimaryKeyColumns(const TableData& t) {
    std::vector<const ColumnRow*> pk;
    for (const ColumnRow& c : t.columns) {
      if (c.pk > 0) pk.push_back(&c);
    }
    std::sort(pk.begin(), pk.end(), [](const ColumnRow* a, const ColumnRow* b) { return a->pk < b->pk; });
    std::vector<std::string> names;
    for (const ColumnRow* c : pk) names.push_back(ToLower(c->name));
    return names;
  }

  // An object the DDL parser cannot read stays in the model (and in every
  // snapshot): its SQL text, whitespace collapsed, is what drift compares,
  // and the reason is kept for the report (docs/schema-json.md, "Objects
  // compared as text"). One unreadable statement never makes a schema read,
  // and so a backup, impossible.
  static SchemaObject& Unparsed(SchemaModel& model, ObjectKind kind, const std::string& table,
                                const std::string& name, const std::string& sql, const Status& why) {
    SchemaObject& obj = model.Add(kind, "", table, name);
    obj.attributes["unparsed_sql"] = CollapseSqlWhitespace(sql);
    obj.attributes["unparsed_reason"] = why.message();
    return obj;
  }

  // A table the parser cannot read: its columns and primary key from the
  // pragmas (what snapshot and restore need), its indexes as usual; the rest
  // (constraints, collations, generated expressions) is in its text.
  void AddUnparsedTable(SchemaModel& model, const TableData& t, const Status& why) {
    const std::string table = ToLower(t.name);
    Unparsed(model, ObjectKind::kTable, "", table, t.sql, why);
    int position = 0;
    for (const ColumnRow& c : t.columns) {
      auto& a = model.Add(ObjectKind::kColumn, "", table, ToLower(c.name)).attributes;
      a["position"] = std::to_string(++position);
      if (std::string type = NormalizeType(c.type); !type.empty()) a["type"] = type;
      a["nullable"] = c.notnull ? "false" : "true";
      if (c.default_value) a["default"] = CollapseSqlWhitespace(*c.default_value);
      if (c.hidden == 2 || c.hidden == 3) a["generated_kind"] = c.hidden == 3 ? "stored" : "virtual";
    }
    if (const std::vector<std::string> pk = PrimaryKeyColumns(t); !pk.empty()) {
      model.Add(ObjectKind::kPrimaryKey, "", table, "pk").attributes["columns"] = ListValue(pk);
    }
  }

  Status AddTable(SchemaModel& model, const TableData& t) {
    const std::size_t before = model.objects.size();
    Status st = AddParsedTable(model, t);
    if (st.ok() || st.code() != StatusCode::kInternal) return st;
    model.objects.resize(before);  // nothing half-read stays
    AddUnparsedTable(model, t, st);
    // Its own indexes have their own CREATE INDEX text.
    std::unordered_map<std::string, std::string> collation;
    for (const auto& [iname, index] : t.indexes) {
      if (index.origin == "c")
        CUTOVER_RETURN_IF_ERROR(AddIndex(model, ToLower(t.name), iname, index, collation));
    }
    return Status::Ok();
  }

  Status AddParsedTable(SchemaModel& model, const TableData& t) {
    const std::string table = ToLower(t.name);
    auto parsed_or = ParseCreateTable(t.sql);
    if (!parsed_or.ok()) return ParseError("table", table, parsed_or.status());
    const ParsedTable& parsed = *parsed_or;

    SchemaObject& obj = model.Add(ObjectKind::kTable, "", "", table);
    if (t.is_virtual) {
      obj.attributes["sqlite.virtual"] = parsed.virtual_using;
      return Status::Ok();  // columns and indexes belong to the module
    }
    if (t.without_rowid) obj.attributes["sqlite.without_rowid"] = "true";
    if (t.strict) obj.attributes["sqlite.strict"] = "true";

    // The parser must see exactly the columns SQLite reports.
    std::unordered_map<std::string, const ParsedColumn*> parsed_columns;
    for (const ParsedColumn& pc : parsed.columns) parsed_columns[pc.name] = &pc;
    if (parsed.columns.size() != t.columns.size()) {
      return Status::Internal("table '" + table + "': the CREATE TABLE text declares " +
                              std::to_string(parsed.columns.size()) + " columns but SQLite reports " +
                              std::to_string(t.columns.size()) + "; please report this statement as a bug");
    }
    std::unordered_map<std::string, std::string> collation;  // column -> effective collation
    for (const ColumnRow& c : t.columns) {
      auto it = parsed_columns.find(ToLower(c.name));
      if (it == parsed_columns.end()) {
        return Status::Internal("table '" + table + "': column '" + c.name +
                                "' is missing from the parsed CREATE TABLE text; please report this "
                                "statement as a bug");
      }
      collation[ToLower(c.name)] = it->second->collation.empty() ? "BINARY" : it->second->collation;
    }

    const std::vector<std::string> pk_columns = PrimaryKeyColumns(t);
    bool has_pk_index = false;
    for (const auto& [iname, index] : t.indexes) has_pk_index |= index.origin == "pk";
    // The rowid alias: a rowid table whose primary key is one column declared
    // exactly INTEGER and that needs no separate index ("INTEGER PRIMARY KEY
    // DESC" gets one and is not an alias).
    std::string rowid_alias;
    if (!t.without_rowid && pk_columns.size() == 1 && !has_pk_index) {
      for (const ColumnRow& c : t.columns) {
        if (c.pk == 1 && EqualsIgnoreCase(Trim(c.type), "INTEGER")) rowid_alias = ToLower(c.name);
      }
    }

    int position = 0;
    for (const ColumnRow& c : t.columns) {
      const std::string name = ToLower(c.name);
      const ParsedColumn& pc = *parsed_columns[name];
      SchemaObject& col = model.Add(ObjectKind::kColumn, "", table, name);
      auto& a = col.attributes;
      a["position"] = std::to_string(++position);
      std::string type = NormalizeType(c.type);
      if (!type.empty()) a["type"] = type;
      a["nullable"] = (c.notnull || name == rowid_alias) ? "false" : "true";
      if (c.default_value) {
        auto normalized = NormalizeExpression(*c.default_value);
        std::string value = normalized.ok() ? *normalized : CollapseSqlWhitespace(*c.default_value);
        // DEFAULT +5 is DEFAULT 5.
        if (value.size() > 1 && value[0] == '+' &&
            (std::isdigit(static_cast<unsigned char>(value[1])) || value[1] == '.') &&
            value.find(' ') == std::string::npos) {
          value.erase(0, 1);
        }
        if (value != "NULL") a["default"] = value;
      }
      if (c.hidden == 2 || c.hidden == 3) {
        if (!pc.generated) {
          return Status::Internal("table '" + table + "': generated column '" + name +
                                  "' has no AS (...) expression in its CREATE TABLE text; please report "
                                  "this statement as a bug");
        }
        a["generated"] = *pc.generated;
        a["generated_kind"] = c.hidden == 3 ? "stored" : "virtual";
      }
      if (pc.autoincrement) {
        a["identity"] = "autoincrement";
      } else if (name == rowid_alias) {
        a["identity"] = "rowid";
      }
      if (!pc.collation.empty() && pc.collation != "BINARY") a["collation"] = pc.collation;
      if (!pc.not_null_on_conflict.empty()) a["sqlite.not_null_on_conflict"] = pc.not_null_on_conflict;
    }

    // Constraints named in the text, matched to what the pragmas report.
    const ParsedConstraint* parsed_pk = nullptr;
    std::vector<const ParsedConstraint*> parsed_unique;
    std::vector<const ParsedConstraint*> parsed_fks;
    std::set<std::string> check_names;
    for (const ParsedConstraint& pc : parsed.constraints) {
      switch (pc.kind) {
        case ConstraintKind::kPrimaryKey: parsed_pk = &pc; break;
        case ConstraintKind::kUnique: parsed_unique.push_back(&pc); break;
        case ConstraintKind::kForeignKey: parsed_fks.push_back(&pc); break;
        case ConstraintKind::kCheck: {
          std::string cname = pc.name.empty() ? "check(" + pc.expression + ")" : pc.name;
          if (!check_names.insert(cname).second) break;  // the same check written twice
          model.Add(ObjectKind::kCheckConstraint, "", table, cname).attributes["expression"] = pc.expression;
          break;
        }
      }
    }

    if (!pk_columns.empty()) {
      // A key that needs its own index (any but the rowid alias) may compare
      // with another collation than its columns: that is part of the key.
      std::vector<std::string> pk_keys = pk_columns;
      for (const auto& [iname, index] : t.indexes) {
        if (index.origin != "pk" || index.keys.size() != pk_columns.size()) continue;
        pk_keys.clear();
        for (const IndexKeyRow& k : index.keys) {
          std::string col = ToLower(k.name);
          pk_keys.push_back(KeyText(col, k.collation, collation[col], false));
        }
      }
      std::string pk_name = parsed_pk != nullptr && !parsed_pk->name.empty() ? parsed_pk->name : "pk";
      SchemaObject& pk = model.Add(ObjectKind::kPrimaryKey, "", table, pk_name);
      pk.attributes["columns"] = ListValue(pk_keys);
      if (parsed_pk != nullptr && !parsed_pk->on_conflict.empty()) {
        pk.attributes["sqlite.on_conflict"] = parsed_pk->on_conflict;
      }
    }

    for (const auto& [iname, index] : t.indexes) {
      if (index.origin == "u") {
        CUTOVER_RETURN_IF_ERROR(AddUnique(model, table, index, collation, parsed_unique));
      } else if (index.origin == "c") {
        CUTOVER_RETURN_IF_ERROR(AddIndex(model, table, iname, index, collation));
      }
    }

    // pragma_foreign_key_list numbers the keys from the last declared one.
    for (auto it = t.foreign_keys.rbegin(); it != t.foreign_keys.rend(); ++it) {
      CUTOVER_RETURN_IF_ERROR(AddForeignKey(model, table, it->second, parsed_fks));
    }
    return Status::Ok();
  }

  static std::string KeyText(const std::string& base, const std::string& coll,
                             const std::string& default_coll, bool desc) {
    std::string out = base;
    if (!coll.empty() && coll != default_coll) out += " COLLATE " + coll;
    if (desc) out += " DESC";
    return out;
  }

  Status AddUnique(SchemaModel& model, const std::string& table, const IndexRow& index,
                   const std::unordered_map<std::string, std::string>& collation,
                   const std::vector<const ParsedConstraint*>& parsed_unique) {
    std::vector<std::string> names;
    std::vector<std::string> keys;
    for (const IndexKeyRow& k : index.keys) {
      std::string col = ToLower(k.name);
      names.push_back(col);
      auto it = collation.find(col);
      keys.push_back(KeyText(col, k.collation, it == collation.end() ? "BINARY" : it->second, false));
    }
    const ParsedConstraint* match = nullptr;
    for (const ParsedConstraint* pc : parsed_unique) {
      std::vector<std::string> cols;
      for (const KeyPart& kp : pc->keys) cols.push_back(kp.column);
      if (cols == names) {
        match = pc;
        break;
      }
    }
    std::string name =
        match != nullptr && !match->name.empty() ? match->name : "unique(" + Join(names, ",") + ")";
    SchemaObject& obj = model.Add(ObjectKind::kUniqueConstraint, "", table, name);
    obj.attributes["columns"] = ListValue(keys);
    if (match != nullptr && !match->on_conflict.empty())
      obj.attributes["sqlite.on_conflict"] = match->on_conflict;
    return Status::Ok();
  }

  Status AddIndex(SchemaModel& model, const std::string& table, const std::string& stored_name,
                  const IndexRow& index, const std::unordered_map<std::string, std::string>& collation) {
    const std::string name = ToLower(stored_name);
    auto sql = index_sql_.find(name);
    if (sql == index_sql_.end()) {
      return Status::Internal(display_ + ": index '" + name + "' on '" + table +
                              "' has no CREATE INDEX text in sqlite_schema");
    }
    auto parsed = ParseCreateIndex(sql->second);
    if (!parsed.ok()) {
      Unparsed(model, ObjectKind::kIndex, table, name, sql->second,
               ParseError("index", name, parsed.status()));
      return Status::Ok();
    }
    if (parsed->keys.size() != index.keys.size()) {
      Unparsed(model, ObjectKind::kIndex, table, name, sql->second,
               Status::Internal("the CREATE INDEX text has " + std::to_string(parsed->keys.size()) +
                                " keys but SQLite reports " + std::to_string(index.keys.size())));
      return Status::Ok();
    }
    std::vector<std::string> keys;
    for (std::size_t i = 0; i < index.keys.size(); ++i) {
      const IndexKeyRow& k = index.keys[i];
      const KeyPart& part = parsed->keys[i];
      if (k.cid >= 0) {
        std::string col = ToLower(k.name);
        auto it = collation.find(col);
        keys.push_back(KeyText(col, k.collation, it == collation.end() ? "BINARY" : it->second, k.desc));
      } else {
        std::string expr = part.expression.empty() ? RenderIdentifier(part.column) : part.expression;
        keys.push_back(KeyText(expr, part.collation, "BINARY", k.desc));
      }
    }
    SchemaObject& obj = model.Add(ObjectKind::kIndex, "", table, name);
    obj.attributes["unique"] = index.unique ? "true" : "false";
    obj.attributes["method"] = "btree";
    obj.attributes["keys"] = ListValue(keys);
    if (!parsed->where.empty()) obj.attributes["predicate"] = parsed->where;
    return Status::Ok();
  }

  Status AddForeignKey(SchemaModel& model, const std::string& table, const ForeignKeyRow& fk,
                       std::vector<const ParsedConstraint*>& parsed_fks) {
    std::vector<std::string> from;
    std::vector<std::string> to;
    bool implicit_to = true;
    for (const ForeignKeyColumnRow& c : fk.columns) {
      from.push_back(ToLower(c.from));
      if (c.to) {
        implicit_to = false;
        to.push_back(ToLower(*c.to));
      }
    }
    const std::string parent = ToLower(fk.parent);
    // The matching clause in the text gives the name and DEFERRABLE. Several
    // keys may share columns and parent: prefer the one that also has the
    // same actions and referenced columns; the caller visits the keys in
    // declaration order, so identical keys pair up in order.
    auto same_target = [&](const ParsedConstraint* pc) {
      std::vector<std::string> cols;
      for (const KeyPart& kp : pc->keys) cols.push_back(kp.column);
      return cols == from && pc->references == parent;
    };
    auto same_details = [&](const ParsedConstraint* pc) {
      return pc->on_delete == fk.on_delete && pc->on_update == fk.on_update &&
             (implicit_to ? pc->ref_columns.empty() : pc->ref_columns == to);
    };
    auto candidate = std::find_if(parsed_fks.begin(), parsed_fks.end(), [&](const ParsedConstraint* pc) {
      return same_target(pc) && same_details(pc);
    });
    if (candidate == parsed_fks.end())
      candidate = std::find_if(parsed_fks.begin(), parsed_fks.end(), same_target);
    const ParsedConstraint* match = nullptr;
    if (candidate != parsed_fks.end()) {
      match = *candidate;
      parsed_fks.erase(candidate);
    }
    // REFERENCES parent without a column list means the parent's primary key.
    if (implicit_to) {
      if (const TableData* p = Table(fk.parent)) to = PrimaryKeyColumns(*p);
    }
    if (match == nullptr) {
      return Status::Internal("table '" + table + "': foreign key (" + Join(from, ", ") + ") -> " + parent +
                              " is not in the parsed CREATE TABLE text; please report this statement "
                              "as a bug");
    }
    std::string name = !match->name.empty()
                           ? match->name
                           : "fk(" + Join(from, ",") + ")->" + parent + "(" + Join(to, ",") + ")";
    SchemaObject& obj = model.Add(ObjectKind::kForeignKey, "", table, name);
    auto& a = obj.attributes;
    a["columns"] = ListValue(from);
    a["references"] = parent;
    a["references_columns"] = ListValue(to);
    a["on_update"] = fk.on_update;
    a["on_delete"] = fk.on_delete;
    a["deferrable"] = match->deferrable ? "true" : "false";
    a["initially_deferred"] = match->initially_deferred ? "true" : "false";
    return Status::Ok();
  }

  Status AddOther(SchemaModel& model, const SchemaText& obj) {
    const std::string name = ToLower(obj.name);
    if (obj.type == "view") {
      auto parsed = ParseCreateView(obj.sql);
      if (!parsed.ok()) {
        Unparsed(model, ObjectKind::kView, "", name, obj.sql, ParseError("view", name, parsed.status()));
        return Status::Ok();
      }
      model.Add(ObjectKind::kView, "", "", name).attributes["definition"] = parsed->definition;
      return Status::Ok();
    }
    if (obj.type == "trigger") {
      auto parsed = ParseCreateTrigger(obj.sql);
      if (!parsed.ok()) {
        Unparsed(model, ObjectKind::kTrigger, ToLower(obj.table), name, obj.sql,
                 ParseError("trigger", name, parsed.status()));
        return Status::Ok();
      }
      SchemaObject& trig = model.Add(ObjectKind::kTrigger, "", ToLower(obj.table), name);
      auto& a = trig.attributes;
      a["timing"] = parsed->timing;
      a["events"] = ListValue({parsed->event});
      a["level"] = "ROW";
      if (!parsed->when.empty()) a["when"] = parsed->when;
      a["definition"] = parsed->definition;
      return Status::Ok();
    }
    return Status::Ok();
  }

  sqlite3* db_;
  const std::string& display_;
  std::map<std::string, TableData> tables_;                 // by lower-cased name
  std::unordered_map<std::string, std::string> index_sql_;  // lower-cased index name -> CREATE INDEX
  std::vector<SchemaText> others_;                          // views and triggers
};

}  // namespace

Result<SchemaModel> ReadSqliteSchema(sqlite3* db, const std::string& display) {
  Reader reader(db, display);
  return reader.Read();
}

Result<SchemaModel> SqliteConnection::ReadSchema() {
  return Guarded(display_, [&]() -> Result<SchemaModel> {
    // One read transaction, so every catalog query sees the same schema.
    const bool own_transaction = sqlite3_get_autocommit(db_) != 0;
    if (own_transaction) CUTOVER_RETURN_IF_ERROR(Run("BEGIN", ExecOptions{}, nullptr));
    auto model = ReadSqliteSchema(db_, display_);
    if (own_transaction) {
      Status end = Run(model.ok() ? "COMMIT" : "ROLLBACK", ExecOptions{}, nullptr);
      if (model.ok() && !end.ok()) return end;
    }
    return model;
  });
}

}  // namespace cutover::sqlite

namespace cutover::sqlite {

Result<bool> SqliteConnection::TableExists(std::string_view name) {
  return CountsAny(
      *this, "SELECT count(*) FROM main.sqlite_schema WHERE type = 'table' AND name = " + QuoteLiteral(name));
}

}  // namespace cutover::sqlite
