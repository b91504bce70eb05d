// ReadSchema for MySQL/MariaDB: a fixed set of information_schema queries,
// each filtered on TABLE_SCHEMA = the connected database (never one query per
// table), then normalization so that the same schema written differently
// gives identical attributes (see docs/schema-json.md).
//
// Queries (at most 14 whatever the number of tables): TABLES, COLUMNS,
// STATISTICS, KEY_COLUMN_USAGE, REFERENTIAL_CONSTRAINTS, CHECK_CONSTRAINTS,
// VIEWS, TRIGGERS, ROUTINES, EVENTS, PARAMETERS (only when there are routines),
// TABLE_PRIVILEGES with COLUMN_PRIVILEGES in one UNION ALL (only when there
// are tables or views), PARTITIONS (only when a table is partitioned) and one
// UNION ALL over the MariaDB sequences (only when there are sequences).
#include <algorithm>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "base/strings.h"
#include "mysql_internal.h"

namespace cutover::mysql {
namespace {

using Row = std::vector<std::optional<std::string>>;
using Rows = std::vector<Row>;

Result<Rows> Fetch(const CatalogQuery& query, const std::string& sql) {
  Rows rows;
  Status st = query(sql, [&rows](RowView row) {
    Row copy;
    copy.reserve(row.size());
    for (const Cell& cell : row) {
      if (cell.is_null()) {
        copy.emplace_back(std::nullopt);
      } else {
        copy.emplace_back(std::string(cell.data));
      }
    }
    rows.push_back(std::move(copy));
    return Status::Ok();
  });
  if (!st.ok()) return st;
  return rows;
}

std::string Str(const Row& row, size_t i) {
  return i < row.size() && row[i] ? *row[i] : std::string();
}
bool IsNull(const Row& row, size_t i) {
  return i >= row.size() || !row[i];
}
long long Num(const Row& row, size_t i) {
  std::string s = Str(row, i);
  if (s.empty()) return 0;
  try {
    return std::stoll(s);
  } catch (...) {
    return 0;
  }
}

struct TableInfo {
  std::string name;  // normalized (lower-cased when lower_case_table_names != 0)
  std::string type;  // BASE TABLE, SYSTEM VERSIONED, VIEW, SEQUENCE
  std::string collation;
  bool partitioned = false;
};

bool IsBaseTable(const TableInfo& t) {
  return t.type == "BASE TABLE" || t.type == "SYSTEM VERSIONED";
}

// Auto-generated check constraint names: MariaDB CONSTRAINT_<n> (table-level,
// unnamed), MySQL <table>_chk_<n>.
bool IsGeneratedCheckName(std::string_view name, std::string_view table) {
  auto digits_after = [&](std::string_view prefix) {
    if (!StartsWith(name, prefix) || name.size() == prefix.size()) return false;
    return std::all_of(name.begin() + static_cast<std::ptrdiff_t>(prefix.size()), name.end(),
                       [](char c) { return c >= '0' && c <= '9'; });
  };
  return digits_after("CONSTRAINT_") || digits_after(std::string(table) + "_chk_");
}

std::string FkRule(std::string rule) {
  rule = ToUpper(rule);
  // InnoDB checks NO ACTION immediately, exactly like RESTRICT; MariaDB
  // reports RESTRICT for an omitted clause, MySQL 8 reports NO ACTION.
  if (rule == "NO ACTION") return "RESTRICT";
  return rule;
}

// The access.* attributes (docs/schema-json.md): who owns an object and the
// session context its body runs under. They are kept verbatim: the core keeps
// them out of the fingerprint and compares them only with --with-privileges.
// `first` is the column of DEFINER, followed by SQL_MODE (NULL where the
// catalog table has none), CHARACTER_SET_CLIENT and COLLATION_CONNECTION.
void SetAccess(SchemaObject& obj, const Row& r, size_t first) {
  static const char* const kNames[] = {"access.definer", "access.sql_mode", "access.character_set_client",
                                       "access.collation_connection"};
  for (size_t i = 0; i < 4; ++i) {
    // An empty SQL_MODE ('') is left out: attribute values are never "".
    std::string value = Str(r, first + i);
    if (!value.empty()) obj.attributes[kNames[i]] = std::move(value);
  }
}

class Builder {
 public:
  Builder(const CatalogQuery& query, const SchemaContext& ctx) : query_(query), ctx_(ctx) {
    db_literal_ = QuoteString(ctx.database, ctx.backslash_escapes);
    model_.engine = "mysql";
    model_.server_version = ctx.server_version;
  }

  Result<SchemaModel> Run() {
    CUTOVER_RETURN_IF_ERROR(ReadTables());
    CUTOVER_RETURN_IF_ERROR(ReadChecks());  // before columns: MariaDB JSON columns
    CUTOVER_RETURN_IF_ERROR(ReadColumns());
    CUTOVER_RETURN_IF_ERROR(ReadIndexes());
    CUTOVER_RETURN_IF_ERROR(ReadForeignKeys());
    CUTOVER_RETURN_IF_ERROR(ReadViews());
    CUTOVER_RETURN_IF_ERROR(ReadPrivileges());  // after the tables, columns and views it annotates
    CUTOVER_RETURN_IF_ERROR(ReadTriggers());
    CUTOVER_RETURN_IF_ERROR(ReadRoutines());
    CUTOVER_RETURN_IF_ERROR(ReadEvents());
    CUTOVER_RETURN_IF_ERROR(ReadPartitions());
    CUTOVER_RETURN_IF_ERROR(ReadSequences());
    model_.Sort();
    return std::move(model_);
  }

 private:
  bool mariadb() const { return ctx_.flavor == Flavor::kMariaDb; }
  std::string TableName(const std::string& raw) const {
    return ctx_.lower_case_table_names != 0 ? ToLower(raw) : raw;
  }
  const TableInfo* FindTable(const std::string& raw) const {
    auto it = tables_.find(raw);
    return it == tables_.end() ? nullptr : &it->second;
  }
  Result<Rows> Q(const std::string& sql) {
    auto rows = Fetch(query_, sql);
    if (!rows.ok())
      return rows.status().WithContext("reading the schema of database '" + ctx_.database + "'");
    return rows;
  }

  Status ReadTables() {
    auto rows =
        Q("SELECT TABLE_NAME, TABLE_TYPE, ENGINE, TABLE_COLLATION, CREATE_OPTIONS, TABLE_COMMENT "
          "FROM information_schema.TABLES WHERE TABLE_SCHEMA = " +
          db_literal_);
    if (!rows.ok()) return rows.status();
    for (const Row& r : *rows) {
      TableInfo info;
      std::string raw = Str(r, 0);
      info.name = TableName(raw);
      info.type = Str(r, 1);
      // MariaDB lists this session's temporary tables too; they are not schema.
      if (info.type == "TEMPORARY") continue;
      info.collation = NormalizeCollation(Str(r, 3));
      std::string options = Str(r, 4);
      if (info.type == "SEQUENCE") {
        sequences_.push_back(raw);
        tables_[raw] = info;
        continue;
      }
      if (!IsBaseTable(info)) {
        tables_[raw] = info;
        continue;
      }
      table_index_[info.name] = model_.objects.size();
      SchemaObject& t = model_.Add(ObjectKind::kTable, "", "", info.name);
      if (!IsNull(r, 2)) t.attributes["mysql.engine"] = Str(r, 2);
      if (!info.collation.empty()) t.attributes["mysql.collation"] = info.collation;
      std::string comment = Str(r, 5);
      if (!comment.empty()) t.attributes["comment"] = comment;
      if (info.type == "SYSTEM VERSIONED") t.attributes["mysql.system_versioned"] = "true";
      // CREATE_OPTIONS: "row_format=DYNAMIC partitioned stats_persistent=0 ..."
      std::vector<std::string> other;
      for (std::string_view opt : Split(options, ' ')) {
        opt = Trim(opt);
        if (opt.empty()) continue;
        std::string lowered = ToLower(opt);
        if (lowered == "partitioned") {
          info.partitioned = true;
        } else if (StartsWith(lowered, "row_format=")) {
          t.attributes["mysql.row_format"] = ToUpper(opt.substr(11));
        } else {
          other.push_back(lowered);
        }
      }
      if (!other.empty()) {
        std::sort(other.begin(), other.end());
        t.attributes["mysql.options"] = ListValue(other);
      }
      tables_[raw] = info;
    }
    return Status::Ok();
  }

  Status ReadChecks() {
    std::string sql;
    if (mariadb()) {
      // LEVEL (Column/Table) exists from MariaDB 10.5.10.
      std::string level = ctx_.version_number >= 100510 ? "LEVEL" : "'Table'";
      sql = "SELECT TABLE_NAME, CONSTRAINT_NAME, " + level +
            ", CHECK_CLAUSE, 'YES' FROM information_schema.CHECK_CONSTRAINTS WHERE CONSTRAINT_SCHEMA = " +
            db_literal_;
    } else {
      if (ctx_.version_number < 80016) return Status::Ok();  // no CHECK constraints before 8.0.16
      sql =
          "SELECT tc.TABLE_NAME, cc.CONSTRAINT_NAME, 'Table', cc.CHECK_CLAUSE, tc.ENFORCED "
          "FROM information_schema.CHECK_CONSTRAINTS cc JOIN information_schema.TABLE_CONSTRAINTS tc "
          "ON tc.CONSTRAINT_SCHEMA = cc.CONSTRAINT_SCHEMA AND tc.CONSTRAINT_NAME = cc.CONSTRAINT_NAME "
          "AND tc.CONSTRAINT_TYPE = 'CHECK' WHERE cc.CONSTRAINT_SCHEMA = " +
          db_literal_;
    }
    auto rows = Q(sql);
    if (!rows.ok()) return rows.status();
    checks_ = std::move(*rows);
    for (const Row& r : checks_) {
      // MariaDB implements JSON as LONGTEXT + CHECK (json_valid(`col`)),
      // a column-level constraint named after the column.
      if (mariadb() && Str(r, 2) == "Column" && Str(r, 3) == "json_valid(" + QuoteIdent(Str(r, 1)) + ")") {
        json_columns_.insert({Str(r, 0), ToLower(Str(r, 1))});
      }
    }
    return Status::Ok();
  }

  Status ReadColumns() {
    auto rows =
        Q("SELECT TABLE_NAME, COLUMN_NAME, ORDINAL_POSITION, COLUMN_DEFAULT, IS_NULLABLE, COLUMN_TYPE, "
          "COLLATION_NAME, EXTRA, COLUMN_COMMENT, GENERATION_EXPRESSION "
          "FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = " +
          db_literal_);
    if (!rows.ok()) return rows.status();
    // Group by table, ordered by ordinal position; positions are made dense.
    std::map<std::string, std::vector<const Row*>> by_table;
    for (const Row& r : *rows) by_table[Str(r, 0)].push_back(&r);
    for (auto& [raw_table, cols] : by_table) {
      const TableInfo* table = FindTable(raw_table);
      if (table == nullptr || !IsBaseTable(*table)) continue;  // views, sequences
      std::sort(cols.begin(), cols.end(), [](const Row* a, const Row* b) { return Num(*a, 2) < Num(*b, 2); });
      int position = 0;
      for (const Row* rp : cols) {
        const Row& r = *rp;
        std::string name = ToLower(Str(r, 1));
        SchemaObject& c = model_.Add(ObjectKind::kColumn, "", table->name, name);
        auto& a = c.attributes;
        a["position"] = std::to_string(++position);
        std::string type = NormalizeColumnType(Str(r, 5));
        std::string collation = NormalizeCollation(Str(r, 6));
        bool json = json_columns_.count({raw_table, name}) > 0 && type == "longtext";
        if (json) {
          type = "json";
          collation.clear();
        }
        a["type"] = type;
        a["nullable"] = Str(r, 4) == "YES" ? "true" : "false";
        std::string extra = Str(r, 7);
        std::string extra_lower = ToLower(extra);
        std::string generation = Str(r, 9);
        bool generated = !generation.empty() && (extra_lower.find("generated") != std::string::npos ||
                                                 extra_lower.find("persistent") != std::string::npos);
        if (generated) {
          a["generated"] = NormalizeExpression(generation, ctx_.flavor);
          bool stored = extra_lower.find("stored") != std::string::npos ||
                        extra_lower.find("persistent") != std::string::npos;
          a["generated_kind"] = stored ? "stored" : "virtual";
        } else {
          // MariaDB qualifies NEXTVAL(`db`.`seq`) defaults with the table's own
          // database: drop that, so that databases of other names compare.
          std::optional<std::string> raw_default = r[3];
          if (raw_default) raw_default = RemoveDatabaseQualifier(*raw_default, ctx_.database);
          auto def = NormalizeDefault(raw_default, type, extra, ctx_.flavor);
          if (def) a["default"] = *def;
        }
        if (extra_lower.find("auto_increment") != std::string::npos) a["identity"] = "auto_increment";
        if (auto on_update = OnUpdateFromExtra(extra)) a["mysql.on_update"] = *on_update;
        if (!collation.empty() && collation != table->collation) a["collation"] = collation;
        std::string comment = Str(r, 8);
        if (!comment.empty()) a["comment"] = comment;
        if (extra_lower.find("invisible") != std::string::npos) a["mysql.invisible"] = "true";
        // MariaDB: a column of a system-versioned table left out of its history.
        if (extra_lower.find("without system versioning") != std::string::npos)
          a["mysql.without_system_versioning"] = "true";
      }
    }
    return Status::Ok();
  }

  Status ReadIndexes() {
    std::string visibility = "'NO'";
    std::string expression = "NULL";
    if (mariadb()) {
      if (ctx_.version_number >= 100600) visibility = "IGNORED";
    } else {
      visibility = "IF(IS_VISIBLE = 'NO', 'YES', 'NO')";
      if (ctx_.version_number >= 80013) expression = "EXPRESSION";
    }
    auto rows =
        Q("SELECT TABLE_NAME, INDEX_NAME, NON_UNIQUE, SEQ_IN_INDEX, COLUMN_NAME, SUB_PART, COLLATION, "
          "INDEX_TYPE, INDEX_COMMENT, " +
          visibility + ", " + expression +
          " FROM information_schema.STATISTICS WHERE TABLE_SCHEMA = " + db_literal_);
    if (!rows.ok()) return rows.status();
    std::map<std::pair<std::string, std::string>, std::vector<const Row*>> by_index;
    for (const Row& r : *rows) by_index[{Str(r, 0), Str(r, 1)}].push_back(&r);
    for (auto& [key, parts] : by_index) {
      const TableInfo* table = FindTable(key.first);
      if (table == nullptr || !IsBaseTable(*table)) continue;
      std::sort(parts.begin(), parts.end(),
                [](const Row* a, const Row* b) { return Num(*a, 3) < Num(*b, 3); });
      std::vector<std::string> keys;
      for (const Row* rp : parts) {
        const Row& r = *rp;
        std::string k;
        if (IsNull(r, 4)) {
          k = "(" + NormalizeExpression(Str(r, 10), ctx_.flavor) + ")";  // MySQL functional key part
        } else {
          k = ToLower(Str(r, 4));
        }
        if (!IsNull(r, 5)) k += "(" + Str(r, 5) + ")";
        if (Str(r, 6) == "D") k += " DESC";
        keys.push_back(std::move(k));
      }
      const Row& first = *parts.front();
      if (key.second == "PRIMARY") {
        SchemaObject& pk = model_.Add(ObjectKind::kPrimaryKey, "", table->name, "primary");
        pk.attributes["columns"] = ListValue(keys);
        continue;
      }
      SchemaObject& ix = model_.Add(ObjectKind::kIndex, "", table->name, ToLower(key.second));
      ix.attributes["unique"] = Str(first, 2) == "0" ? "true" : "false";
      ix.attributes["method"] = ToLower(Str(first, 7));
      ix.attributes["keys"] = ListValue(keys);
      std::string comment = Str(first, 8);
      if (!comment.empty()) ix.attributes["comment"] = comment;
      if (Str(first, 9) == "YES") ix.attributes["mysql.invisible"] = "true";
    }
    return Status::Ok();
  }

  Status ReadForeignKeys() {
    auto columns =
        Q("SELECT TABLE_NAME, CONSTRAINT_NAME, COLUMN_NAME, ORDINAL_POSITION, REFERENCED_TABLE_SCHEMA, "
          "REFERENCED_TABLE_NAME, REFERENCED_COLUMN_NAME FROM information_schema.KEY_COLUMN_USAGE "
          "WHERE TABLE_SCHEMA = " +
          db_literal_ + " AND REFERENCED_TABLE_NAME IS NOT NULL");
    if (!columns.ok()) return columns.status();
    auto rules =
        Q("SELECT TABLE_NAME, CONSTRAINT_NAME, MATCH_OPTION, UPDATE_RULE, DELETE_RULE "
          "FROM information_schema.REFERENTIAL_CONSTRAINTS WHERE CONSTRAINT_SCHEMA = " +
          db_literal_);
    if (!rules.ok()) return rules.status();
    std::map<std::pair<std::string, std::string>, const Row*> rule_of;
    for (const Row& r : *rules) rule_of[{Str(r, 0), Str(r, 1)}] = &r;
    std::map<std::pair<std::string, std::string>, std::vector<const Row*>> by_fk;
    for (const Row& r : *columns) by_fk[{Str(r, 0), Str(r, 1)}].push_back(&r);
    for (auto& [key, parts] : by_fk) {
      const TableInfo* table = FindTable(key.first);
      if (table == nullptr) continue;
      std::sort(parts.begin(), parts.end(),
                [](const Row* a, const Row* b) { return Num(*a, 3) < Num(*b, 3); });
      std::vector<std::string> cols, ref_cols;
      for (const Row* rp : parts) {
        cols.push_back(ToLower(Str(*rp, 2)));
        ref_cols.push_back(ToLower(Str(*rp, 6)));
      }
      const Row& first = *parts.front();
      std::string ref_schema = Str(first, 4);
      std::string references = TableName(Str(first, 5));
      if (!ref_schema.empty() && ref_schema != ctx_.database) references = ref_schema + "." + references;
      SchemaObject& fk = model_.Add(ObjectKind::kForeignKey, "", table->name, ToLower(key.second));
      fk.attributes["columns"] = ListValue(cols);
      fk.attributes["references"] = references;
      fk.attributes["references_columns"] = ListValue(ref_cols);
      auto it = rule_of.find(key);
      if (it == rule_of.end()) {
        return Status::Internal("foreign key '" + key.second + "' of table '" + key.first +
                                "' has no row in information_schema.REFERENTIAL_CONSTRAINTS; re-run: the "
                                "schema probably changed while it was read");
      }
      const Row& rule = *it->second;
      std::string match = ToUpper(Str(rule, 2));
      fk.attributes["match"] = (match == "NONE" || match.empty()) ? "SIMPLE" : match;
      fk.attributes["on_update"] = FkRule(Str(rule, 3));
      fk.attributes["on_delete"] = FkRule(Str(rule, 4));
    }
    return Status::Ok();
  }

  void BuildChecks() {
    for (const Row& r : checks_) {
      std::string raw_table = Str(r, 0);
      const TableInfo* table = FindTable(raw_table);
      if (table == nullptr || !IsBaseTable(*table)) continue;
      std::string raw_name = Str(r, 1);
      bool column_level = Str(r, 2) == "Column";
      if (column_level && json_columns_.count({raw_table, ToLower(raw_name)}) > 0 &&
          Str(r, 3) == "json_valid(" + QuoteIdent(raw_name) + ")") {
        continue;  // part of the json type
      }
      std::string expression = NormalizeExpression(Str(r, 3), ctx_.flavor);
      // Unnamed checks get server-generated names that depend on how and in
      // which order they were declared (inline: the column name in MariaDB;
      // table-level: CONSTRAINT_1 / t_chk_1). Name them by their expression.
      std::string name = column_level || IsGeneratedCheckName(raw_name, raw_table)
                             ? "check(" + expression + ")"
                             : ToLower(raw_name);
      std::string unique = name;
      for (int n = 2; !check_names_.insert({table->name, unique}).second; ++n) {
        unique = name + " #" + std::to_string(n);
      }
      SchemaObject& ck = model_.Add(ObjectKind::kCheckConstraint, "", table->name, unique);
      ck.attributes["expression"] = expression;
      if (Str(r, 4) == "NO") ck.attributes["mysql.enforced"] = "false";
    }
  }

  Status ReadViews() {
    BuildChecks();
    auto rows =
        Q("SELECT TABLE_NAME, VIEW_DEFINITION, CHECK_OPTION, SECURITY_TYPE, DEFINER, NULL, "
          "CHARACTER_SET_CLIENT, COLLATION_CONNECTION FROM information_schema.VIEWS WHERE TABLE_SCHEMA = " +
          db_literal_);
    if (!rows.ok()) return rows.status();
    for (const Row& r : *rows) {
      SchemaObject& v = model_.Add(ObjectKind::kView, "", "", TableName(Str(r, 0)));
      v.attributes["definition"] = NormalizeViewDefinition(Str(r, 1), ctx_.database);
      std::string check = ToUpper(Str(r, 2));
      if (!check.empty() && check != "NONE") v.attributes["check_option"] = check;
      v.attributes["mysql.security"] = ToUpper(Str(r, 3));
      SetAccess(v, r, 4);
    }
    return Status::Ok();
  }

  // access.privileges of tables, views and columns: GRANTEE:PRIVILEGE entries,
  // sorted. information_schema shows only the grants the connecting user may
  // see (its own, or everyone's with SELECT on the mysql schema), so what is
  // read depends on who reads it. Database and global grants are not per
  // object and are not read.
  Status ReadPrivileges() {
    if (tables_.empty()) return Status::Ok();
    auto rows =
        Q("SELECT TABLE_NAME, NULL, GRANTEE, PRIVILEGE_TYPE, IS_GRANTABLE FROM "
          "information_schema.TABLE_PRIVILEGES "
          "WHERE TABLE_SCHEMA = " +
          db_literal_ +
          " UNION ALL SELECT TABLE_NAME, COLUMN_NAME, GRANTEE, PRIVILEGE_TYPE, IS_GRANTABLE "
          "FROM information_schema.COLUMN_PRIVILEGES WHERE TABLE_SCHEMA = " +
          db_literal_ +
          " UNION ALL SELECT '', NULL, GRANTEE, PRIVILEGE_TYPE, IS_GRANTABLE "
          "FROM information_schema.SCHEMA_PRIVILEGES WHERE TABLE_SCHEMA = " +
          db_literal_);
    if (!rows.ok()) return rows.status();
    if (rows->empty()) return Status::Ok();
    // Tables and views by (name, ""), columns by (table, column): the names
    // the model already holds, so a grant is matched after the same folding.
    std::map<std::pair<std::string, std::string>, size_t> index;
    for (size_t i = 0; i < model_.objects.size(); ++i) {
      const SchemaObject& o = model_.objects[i];
      if (o.kind == ObjectKind::kTable || o.kind == ObjectKind::kView) index[{o.name, ""}] = i;
      if (o.kind == ObjectKind::kColumn) index[{o.table, o.name}] = i;
    }
    std::map<size_t, std::vector<std::string>> grants;
    for (const Row& r : *rows) {
      if (Str(r, 0).empty() && index.count({"", ""}) == 0) {
        // Database-level grants (GRANT ... ON db.*): on the database object.
        index[{"", ""}] = model_.objects.size();
        model_.Add(ObjectKind::kDatabase, "", "", "");
      }
      std::string column = IsNull(r, 1) ? std::string() : ToLower(Str(r, 1));
      auto it = index.find({TableName(Str(r, 0)), column});
      if (it == index.end()) continue;  // a sequence, or an object dropped meanwhile
      std::string entry = Str(r, 2) + ":" + ToUpper(Str(r, 3));
      if (Str(r, 4) == "YES") entry += " WITH GRANT OPTION";
      grants[it->second].push_back(std::move(entry));
    }
    for (auto& [i, list] : grants) {
      std::sort(list.begin(), list.end());
      list.erase(std::unique(list.begin(), list.end()), list.end());
      model_.objects[i].attributes["access.privileges"] = ListValue(list);
    }
    return Status::Ok();
  }

  Status ReadTriggers() {
    auto rows =
        Q("SELECT EVENT_OBJECT_TABLE, TRIGGER_NAME, EVENT_MANIPULATION, ACTION_TIMING, ACTION_ORIENTATION, "
          "ACTION_STATEMENT, ACTION_ORDER, DEFINER, SQL_MODE, CHARACTER_SET_CLIENT, COLLATION_CONNECTION "
          "FROM information_schema.TRIGGERS WHERE TRIGGER_SCHEMA = " +
          db_literal_);
    if (!rows.ok()) return rows.status();
    // Several triggers for the same table, timing and event run in
    // ACTION_ORDER: only then is the order part of the schema.
    std::map<std::string, int> siblings;
    auto slot = [](const Row& r) { return Str(r, 0) + '\x1f' + Str(r, 3) + '\x1f' + Str(r, 2); };
    for (const Row& r : *rows) ++siblings[slot(r)];
    for (const Row& r : *rows) {
      std::string table = TableName(Str(r, 0));
      std::string name = ToLower(Str(r, 1));
      auto [it, inserted] = trigger_index_.insert({{table, name}, model_.objects.size()});
      if (!inserted) {
        // A trigger on several events (newer MariaDB): merge the events.
        SchemaObject& obj = model_.objects[it->second];
        auto events = ParseListValue(obj.attributes["events"]).value_or(std::vector<std::string>{});
        events.push_back(ToUpper(Str(r, 2)));
        std::sort(events.begin(), events.end());
        obj.attributes["events"] = ListValue(events);
        continue;
      }
      SchemaObject& t = model_.Add(ObjectKind::kTrigger, "", table, name);
      t.attributes["timing"] = ToUpper(Str(r, 3));
      t.attributes["events"] = ListValue({ToUpper(Str(r, 2))});
      t.attributes["level"] = ToUpper(Str(r, 4));
      t.attributes["definition"] = CollapseSqlWhitespace(Str(r, 5));
      if (siblings[slot(r)] > 1) t.attributes["mysql.action_order"] = Str(r, 6);
      SetAccess(t, r, 7);
    }
    return Status::Ok();
  }

  // Scheduled events (CREATE EVENT). The schedule is its interval (EVERY n
  // UNIT) or its one time (AT ...), and its end; not STARTS, which the
  // server sets to the creation time when none is given, so the same
  // definition created twice would differ. The body, status (ENABLED,
  // DISABLED, SLAVESIDE_DISABLED), ON COMPLETION and comment are compared.
  Status ReadEvents() {
    auto rows = Q(
        "SELECT EVENT_NAME, EVENT_DEFINITION, EVENT_TYPE, EXECUTE_AT, INTERVAL_VALUE, INTERVAL_FIELD, ENDS, "
        "STATUS, ON_COMPLETION, EVENT_COMMENT, DEFINER, SQL_MODE, CHARACTER_SET_CLIENT, COLLATION_CONNECTION "
        "FROM information_schema.EVENTS WHERE EVENT_SCHEMA = " +
        db_literal_);
    if (!rows.ok()) return rows.status();
    for (const Row& r : *rows) {
      SchemaObject& e = model_.Add(ObjectKind::kEvent, "", "", ToLower(Str(r, 0)));
      e.attributes["definition"] = CollapseSqlWhitespace(Str(r, 1));
      if (ToUpper(Str(r, 2)) == "ONE TIME") {
        e.attributes["schedule"] = "AT " + Str(r, 3);
      } else {
        e.attributes["schedule"] = "EVERY " + CollapseSqlWhitespace(Str(r, 4)) + " " + ToUpper(Str(r, 5));
        if (!Str(r, 6).empty()) e.attributes["ends"] = Str(r, 6);
      }
      e.attributes["status"] = ToUpper(Str(r, 7));
      e.attributes["on_completion"] = ToUpper(Str(r, 8));
      if (!Str(r, 9).empty()) e.attributes["comment"] = Str(r, 9);
      SetAccess(e, r, 10);
    }
    return Status::Ok();
  }

  Status ReadRoutines() {
    auto rows =
        Q("SELECT ROUTINE_NAME, ROUTINE_TYPE, DTD_IDENTIFIER, ROUTINE_BODY, ROUTINE_DEFINITION, "
          "IS_DETERMINISTIC, "
          "SQL_DATA_ACCESS, SECURITY_TYPE, ROUTINE_COMMENT, DEFINER, SQL_MODE, CHARACTER_SET_CLIENT, "
          "COLLATION_CONNECTION FROM information_schema.ROUTINES "
          "WHERE ROUTINE_SCHEMA = " +
          db_literal_ + " AND ROUTINE_TYPE IN ('FUNCTION', 'PROCEDURE')");
    if (!rows.ok()) return rows.status();
    if (rows->empty()) return Status::Ok();
    auto params =
        Q("SELECT SPECIFIC_NAME, ROUTINE_TYPE, ORDINAL_POSITION, PARAMETER_MODE, PARAMETER_NAME, "
          "DTD_IDENTIFIER "
          "FROM information_schema.PARAMETERS WHERE SPECIFIC_SCHEMA = " +
          db_literal_ + " AND ORDINAL_POSITION > 0");
    if (!params.ok()) return params.status();
    std::map<std::pair<std::string, std::string>, std::vector<const Row*>> params_of;
    for (const Row& p : *params) params_of[{Str(p, 1), Str(p, 0)}].push_back(&p);
    for (const Row& r : *rows) {
      std::string type = Str(r, 1);
      bool function = type == "FUNCTION";
      std::vector<std::string> args;
      auto it = params_of.find({type, Str(r, 0)});
      if (it != params_of.end()) {
        auto& list = it->second;
        std::sort(list.begin(), list.end(),
                  [](const Row* a, const Row* b) { return Num(*a, 2) < Num(*b, 2); });
        for (const Row* p : list) {
          std::string arg;
          if (!function) arg = ToUpper(Str(*p, 3)) + " ";
          arg += ToLower(Str(*p, 4)) + " " + NormalizeColumnType(Str(*p, 5));
          args.push_back(std::move(arg));
        }
      }
      SchemaObject& f =
          model_.Add(function ? ObjectKind::kFunction : ObjectKind::kProcedure, "", "", ToLower(Str(r, 0)));
      auto& a = f.attributes;
      a["arguments"] = Join(args, ", ");
      if (function) a["returns"] = NormalizeColumnType(Str(r, 2));
      a["language"] = ToUpper(Str(r, 3));
      a["definition"] = CollapseSqlWhitespace(Str(r, 4));
      a["deterministic"] = Str(r, 5) == "YES" ? "true" : "false";
      a["mysql.sql_data_access"] = ToUpper(Str(r, 6));
      a["security"] = ToUpper(Str(r, 7));
      std::string comment = Str(r, 8);
      if (!comment.empty()) a["comment"] = comment;
      SetAccess(f, r, 9);
    }
    return Status::Ok();
  }

  Status ReadPartitions() {
    bool any =
        std::any_of(tables_.begin(), tables_.end(), [](const auto& kv) { return kv.second.partitioned; });
    if (!any) return Status::Ok();
    auto rows =
        Q("SELECT TABLE_NAME, PARTITION_NAME, SUBPARTITION_NAME, PARTITION_ORDINAL_POSITION, "
          "SUBPARTITION_ORDINAL_POSITION, PARTITION_METHOD, SUBPARTITION_METHOD, PARTITION_EXPRESSION, "
          "SUBPARTITION_EXPRESSION, PARTITION_DESCRIPTION FROM information_schema.PARTITIONS "
          "WHERE TABLE_SCHEMA = " +
          db_literal_ + " AND PARTITION_NAME IS NOT NULL");
    if (!rows.ok()) return rows.status();
    std::map<std::string, std::vector<const Row*>> by_table;
    for (const Row& r : *rows) by_table[Str(r, 0)].push_back(&r);
    for (auto& [raw, parts] : by_table) {
      const TableInfo* table = FindTable(raw);
      if (table == nullptr || !IsBaseTable(*table)) continue;
      std::sort(parts.begin(), parts.end(), [](const Row* a, const Row* b) {
        return std::make_pair(Num(*a, 3), Num(*a, 4)) < std::make_pair(Num(*b, 3), Num(*b, 4));
      });
      const Row& first = *parts.front();
      auto method_clause = [&](size_t method, size_t expr) {
        std::string out = ToUpper(Str(first, method));
        if (!IsNull(first, expr)) out += " (" + NormalizeExpression(Str(first, expr), ctx_.flavor) + ")";
        return out;
      };
      std::string by = method_clause(5, 7);
      if (!IsNull(first, 6)) by += " SUBPARTITION BY " + method_clause(6, 8);
      // One entry per partition, with its subpartitions in parentheses.
      std::vector<std::string> entries;
      std::string current;
      std::vector<std::string> subs;
      auto flush = [&] {
        if (current.empty()) return;
        if (!subs.empty()) current += " (" + Join(subs, ", ") + ")";
        entries.push_back(current);
        current.clear();
        subs.clear();
      };
      std::string last_partition;
      for (const Row* rp : parts) {
        const Row& r = *rp;
        std::string pname = ToLower(Str(r, 1));
        if (pname != last_partition) {
          flush();
          last_partition = pname;
          current = pname;
          std::string method = ToUpper(Str(r, 5));
          if (StartsWith(method, "RANGE")) {
            current += " VALUES LESS THAN (" + Str(r, 9) + ")";
          } else if (StartsWith(method, "LIST")) {
            current += " VALUES IN (" + Str(r, 9) + ")";
          }
        }
        if (!IsNull(r, 2)) subs.push_back(ToLower(Str(r, 2)));
      }
      flush();
      auto it = table_index_.find(table->name);
      if (it != table_index_.end()) {
        SchemaObject& obj = model_.objects[it->second];
        obj.attributes["partition_by"] = by;
        obj.attributes["mysql.partitions"] = ListValue(entries);
      }
    }
    return Status::Ok();
  }

  // MariaDB sequences are tables of one row: read them all in one UNION ALL.
  Status ReadSequences() {
    if (sequences_.empty()) return Status::Ok();
    std::string sql;
    for (const std::string& raw : sequences_) {
      if (!sql.empty()) sql += " UNION ALL ";
      sql += "SELECT " + QuoteString(raw, ctx_.backslash_escapes) +
             ", start_value, increment, minimum_value, maximum_value, cache_size, cycle_option FROM " +
             QuoteIdent(ctx_.database) + "." + QuoteIdent(raw);
    }
    auto rows = Q(sql);
    if (!rows.ok()) return rows.status();
    for (const Row& r : *rows) {
      SchemaObject& s = model_.Add(ObjectKind::kSequence, "", "", TableName(Str(r, 0)));
      s.attributes["data_type"] = "bigint";
      s.attributes["start"] = Str(r, 1);
      s.attributes["increment"] = Str(r, 2);
      s.attributes["min"] = Str(r, 3);
      s.attributes["max"] = Str(r, 4);
      s.attributes["cache"] = Str(r, 5);
      s.attributes["cycle"] = Str(r, 6) == "1" ? "true" : "false";
    }
    return Status::Ok();
  }

  const CatalogQuery& query_;
  const SchemaContext& ctx_;
  std::string db_literal_;
  SchemaModel model_;
  std::map<std::string, TableInfo> tables_;  // by raw TABLE_NAME
  std::vector<std::string> sequences_;
  Rows checks_;
  std::set<std::pair<std::string, std::string>> json_columns_;  // (raw table, lower column)
  std::map<std::string, size_t> table_index_;                   // table name -> index in model_.objects
  std::map<std::pair<std::string, std::string>, size_t> trigger_index_;
  std::set<std::pair<std::string, std::string>> check_names_;
};

}  // namespace

Result<SchemaModel> ReadSchemaWith(const CatalogQuery& query, const SchemaContext& ctx) {
  return Builder(query, ctx).Run();
}

}  // namespace cutover::mysql
