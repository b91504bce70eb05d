// Bulk data for snapshots and restores: the tables a snapshot carries, the
// schema script that recreates them, row export/import in the record format
// of sqlite_record.h, and the integrity checks of a restore test.
#include <sqlite3.h>

#include <algorithm>
#include <charconv>
#include <cmath>
#include <functional>
#include <future>
#include <limits>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "base/strings.h"
#include "base/uri.h"
#include "sqlite_ddl.h"
#include "sqlite_internal.h"
#include "sqlite_record.h"

namespace cutover::sqlite {
namespace {

std::string Quote(std::string_view name) {
  return "\"" + ReplaceAll(name, "\"", "\"\"") + "\"";
}

std::string QuoteText(std::string_view value) {
  return "'" + ReplaceAll(value, "'", "''") + "'";
}

// Runs `fn` for each row of `sql` (parameters bound by `bind`, if given).
Status ForEachRow(sqlite3* db, const std::string& sql, const std::string& what,
                  const std::function<Status(sqlite3_stmt*)>& fn,
                  const std::function<void(sqlite3_stmt*)>& bind = nullptr) {
  sqlite3_stmt* raw = nullptr;
  int rc = sqlite3_prepare_v2(db, sql.c_str(), static_cast<int>(sql.size()), &raw, nullptr);
  StatementPtr stmt(raw);
  if (rc != SQLITE_OK) return StatusFromSqlite(db, rc, what);
  if (bind) bind(stmt.get());
  while ((rc = sqlite3_step(stmt.get())) == SQLITE_ROW) CUTOVER_RETURN_IF_ERROR(fn(stmt.get()));
  if (rc != SQLITE_DONE) return StatusFromSqlite(db, rc, what);
  return Status::Ok();
}

Status Exec(sqlite3* db, const char* sql, const std::string& what) {
  int rc = sqlite3_exec(db, sql, nullptr, nullptr, nullptr);
  return rc == SQLITE_OK ? Status::Ok() : StatusFromSqlite(db, rc, what);
}

// Turns SQLite's double-quoted-string fallback off for the statements this
// file prepares: a column name that does not exist must be an error, never
// the string "name" exported for every row.
class NoDqsGuard {
 public:
  explicit NoDqsGuard(sqlite3* db) : db_(db) {
    sqlite3_db_config(db_, SQLITE_DBCONFIG_DQS_DML, -1, &before_);
    if (before_ != 0) sqlite3_db_config(db_, SQLITE_DBCONFIG_DQS_DML, 0, nullptr);
  }
  ~NoDqsGuard() {
    if (before_ != 0) sqlite3_db_config(db_, SQLITE_DBCONFIG_DQS_DML, before_, nullptr);
  }
  NoDqsGuard(const NoDqsGuard&) = delete;
  NoDqsGuard& operator=(const NoDqsGuard&) = delete;

 private:
  sqlite3* db_;
  int before_ = 0;
};

// How one table stores its rows, as the record format needs it.
struct TableShape {
  std::string name;  // as stored
  std::string type;  // pragma_table_list: table, shadow, virtual
  bool without_rowid = false;
  std::vector<std::string> columns;  // not generated, in cid order
  std::string alias;                 // the INTEGER PRIMARY KEY rowid alias; empty when none
  // For a rowid table without an alias: a name that reaches the rowid
  // (rowid, _rowid_ or oid, whichever no column shadows); empty otherwise.
  std::string rowid_name;
};

struct ColumnInfo {
  std::string name;
  std::string type;
  int pk = 0;
  int hidden = 0;
};

void CompleteShape(TableShape& shape, const std::vector<ColumnInfo>& cols, bool has_pk_index) {
  int pk_columns = 0;
  const ColumnInfo* pk = nullptr;
  for (const ColumnInfo& c : cols) {
    if (c.hidden == 0) shape.columns.push_back(c.name);
    if (c.pk > 0) {
      ++pk_columns;
      pk = &c;
    }
  }
  if (shape.without_rowid) return;
  // The same rule as the schema reader: one PRIMARY KEY column declared
  // exactly INTEGER that needed no index of its own ("INTEGER PRIMARY KEY
  // DESC" does, and is no alias).
  if (pk_columns == 1 && !has_pk_index && EqualsIgnoreCase(Trim(pk->type), "INTEGER")) {
    shape.alias = pk->name;
    return;
  }
  for (const char* candidate : {"rowid", "_rowid_", "oid"}) {
    bool shadowed = false;
    for (const ColumnInfo& c : cols) shadowed = shadowed || EqualsIgnoreCase(c.name, candidate);
    if (!shadowed) {
      shape.rowid_name = candidate;
      return;
    }
  }
}

std::string TableLabel(const std::string& display, std::string_view table) {
  return display + ": table " + Quote(table);
}

Result<TableShape> ReadShape(sqlite3* db, const std::string& display, const DataTable& table) {
  if (!table.schema.empty()) {
    return Status::InvalidInput(TableLabel(display, table.name) +
                                ": SQLite has no schemas, but the table is given schema '" + table.schema +
                                "'; this DataTable was not made by the sqlite driver");
  }
  TableShape shape;
  bool found = false;
  auto bind_name = [&](sqlite3_stmt* s) {
    sqlite3_bind_text64(s, 1, table.name.data(), table.name.size(), SQLITE_STATIC, SQLITE_UTF8);
  };
  CUTOVER_RETURN_IF_ERROR(ForEachRow(
      db,
      "SELECT name, type, wr FROM pragma_table_list WHERE schema = 'main' AND name = ?1 COLLATE NOCASE "
      "AND type IN ('table', 'shadow', 'virtual')",
      TableLabel(display, table.name) + ": reading its definition",
      [&](sqlite3_stmt* s) {
        found = true;
        shape.name = ColumnText(s, 0);
        shape.type = ColumnText(s, 1);
        shape.without_rowid = sqlite3_column_int(s, 2) != 0;
        return Status::Ok();
      },
      bind_name));
  if (!found) {
    return Status::NotFound(TableLabel(display, table.name) +
                            " does not exist in the main database; create it (the schema script's pre-data "
                            "part) before loading rows");
  }
  if (shape.type == "virtual") {
    return Status::InvalidInput(TableLabel(display, table.name) +
                                " is a virtual table: its rows live in its module's storage tables, which "
                                "are exported and imported instead");
  }
  std::vector<ColumnInfo> cols;
  CUTOVER_RETURN_IF_ERROR(ForEachRow(
      db, "SELECT name, type, pk, hidden FROM pragma_table_xinfo(?1, 'main') ORDER BY cid",
      TableLabel(display, table.name) + ": reading its columns",
      [&](sqlite3_stmt* s) {
        cols.push_back(
            {ColumnText(s, 0), ColumnText(s, 1), sqlite3_column_int(s, 2), sqlite3_column_int(s, 3)});
        return Status::Ok();
      },
      bind_name));
  bool has_pk_index = false;
  CUTOVER_RETURN_IF_ERROR(ForEachRow(
      db, "SELECT 1 FROM pragma_index_list(?1, 'main') WHERE origin = 'pk'",
      TableLabel(display, table.name) + ": reading its indexes",
      [&](sqlite3_stmt*) {
        has_pk_index = true;
        return Status::Ok();
      },
      bind_name));
  CompleteShape(shape, cols, has_pk_index);
  return shape;
}

// A SQL literal for one result value that reads back as the same value
// with the same storage class.
std::string Literal(sqlite3_stmt* s, int col) {
  switch (sqlite3_column_type(s, col)) {
    case SQLITE_INTEGER: {
      const std::int64_t v = sqlite3_column_int64(s, col);
      // -9223372036854775808 would parse as a REAL.
      if (v == std::numeric_limits<std::int64_t>::min()) return "(-9223372036854775807 - 1)";
      return std::to_string(v);
    }
    case SQLITE_FLOAT: {
      const double v = sqlite3_column_double(s, col);
      if (std::isnan(v)) return "NULL";
      if (std::isinf(v)) return v > 0 ? "1e999" : "-1e999";
      char buf[64];
      auto r = std::to_chars(buf, buf + sizeof buf, v);
      std::string text(buf, r.ptr);
      // Keep it a REAL: "1" would be read as an INTEGER.
      if (text.find_first_of(".eEn") == std::string::npos) text += ".0";
      return text;
    }
    case SQLITE_TEXT: {
      std::string text = ColumnText(s, col);
      if (text.find('\0') == std::string::npos) return QuoteText(text);
      std::string hex = "CAST(X'";
      static const char* digits = "0123456789abcdef";
      for (unsigned char c : text) {
        hex.push_back(digits[c >> 4]);
        hex.push_back(digits[c & 15]);
      }
      return hex + "' AS TEXT)";
    }
    case SQLITE_BLOB: {
      const auto* p = static_cast<const unsigned char*>(sqlite3_column_blob(s, col));
      const int n = sqlite3_column_bytes(s, col);
      std::string hex = "X'";
      static const char* digits = "0123456789abcdef";
      for (int i = 0; i < n; ++i) {
        hex.push_back(digits[p[i] >> 4]);
        hex.push_back(digits[p[i] & 15]);
      }
      return hex + "'";
    }
    default: return "NULL";
  }
}

// sql + ";" so that the terminator can never end up inside a trailing
// "--" comment.
void AppendStatement(std::string& out, std::string_view sql) {
  sql = Trim(sql);
  out.append(sql);
  const std::size_t last_line = sql.rfind('\n');
  const std::string_view tail = last_line == std::string_view::npos ? sql : sql.substr(last_line);
  out += tail.find("--") != std::string_view::npos ? "\n;\n" : ";\n";
}

bool HasAutoincrement(std::string_view create_table) {
  auto tokens = Tokenize(create_table);
  if (!tokens.ok()) return create_table.find("AUTOINCREMENT") != std::string_view::npos;  // cannot happen
  for (const Token& t : *tokens) {
    if (t.kind == TokenKind::kWord && EqualsIgnoreCase(t.text, "AUTOINCREMENT")) return true;
  }
  return false;
}

// Virtual tables whose module this library does not provide: their storage
// tables cannot be told from ordinary ones, and a restore could not create
// them. Returns kUnsupported naming them.
Status CheckVirtualTables(sqlite3* db, const std::string& display) {
  std::vector<std::pair<std::string, std::string>> missing;  // name, SQLite's message
  std::vector<std::string> names;
  CUTOVER_RETURN_IF_ERROR(ForEachRow(
      db, "SELECT name FROM pragma_table_list WHERE schema = 'main' AND type = 'virtual' ORDER BY name",
      display + ": listing virtual tables", [&](sqlite3_stmt* s) {
        names.push_back(ColumnText(s, 0));
        return Status::Ok();
      }));
  for (const std::string& name : names) {
    const std::string sql = "SELECT 1 FROM main." + Quote(name) + " LIMIT 0";
    sqlite3_stmt* raw = nullptr;
    const int rc = sqlite3_prepare_v2(db, sql.c_str(), static_cast<int>(sql.size()), &raw, nullptr);
    StatementPtr stmt(raw);
    if (rc != SQLITE_OK) missing.emplace_back(name, ScrubSecrets(sqlite3_errmsg(db)));
  }
  if (missing.empty()) return Status::Ok();
  std::string list;
  for (const auto& [name, msg] : missing) list += (list.empty() ? "" : ", ") + Quote(name) + " (" + msg + ")";
  return Status::Unsupported(display + ": cannot snapshot virtual table(s) " + list +
                             ": this SQLite library lacks their module, so cutover cannot tell which tables "
                             "hold their data, and a restore could not recreate them. Snapshot with a build "
                             "that has the module, or drop the virtual table(s) first");
}

}  // namespace

// ---------------------------------------------------------------------------

Result<std::vector<DataTable>> ListSqliteDataTables(sqlite3* db, const std::string& display) {
  CUTOVER_RETURN_IF_ERROR(CheckVirtualTables(db, display));
  struct Pending {
    TableShape shape;
    std::vector<ColumnInfo> cols;
    bool has_pk_index = false;
  };
  std::map<std::string, Pending> tables;  // by stored name: a stable, byte-wise order
  const std::string what = display + ": listing tables";
  // Ordinary tables (rowid and WITHOUT ROWID) and the storage ("shadow")
  // tables of virtual tables; never SQLite's own sqlite_* tables.
  constexpr const char* kTables =
      "WITH t AS MATERIALIZED (SELECT name, wr FROM pragma_table_list WHERE schema = 'main' "
      "AND type IN ('table', 'shadow') AND name NOT LIKE 'sqlite\\_%' ESCAPE '\\') ";
  CUTOVER_RETURN_IF_ERROR(ForEachRow(db,
                                     std::string(kTables) +
                                         "SELECT t.name, t.wr, x.name, x.type, x.pk, x.hidden FROM t JOIN "
                                         "pragma_table_xinfo(t.name, 'main') AS x "
                                         "ORDER BY t.name, x.cid",
                                     what, [&](sqlite3_stmt* s) {
                                       Pending& p = tables[ColumnText(s, 0)];
                                       p.shape.name = ColumnText(s, 0);
                                       p.shape.without_rowid = sqlite3_column_int(s, 1) != 0;
                                       p.cols.push_back({ColumnText(s, 2), ColumnText(s, 3),
                                                         sqlite3_column_int(s, 4), sqlite3_column_int(s, 5)});
                                       return Status::Ok();
                                     }));
  CUTOVER_RETURN_IF_ERROR(
      ForEachRow(db,
                 std::string(kTables) +
                     "SELECT t.name FROM t JOIN pragma_index_list(t.name, 'main') AS i WHERE i.origin = 'pk'",
                 what, [&](sqlite3_stmt* s) {
                   auto it = tables.find(ColumnText(s, 0));
                   if (it != tables.end()) it->second.has_pk_index = true;
                   return Status::Ok();
                 }));
  // Sizes. dbstat measures each b-tree exactly but reads every page, so it
  // is only used on databases up to kMeasureLimit (there the extra read is
  // cheap and warms the cache for the export); above that, row counts come
  // from ANALYZE's sqlite_stat1 when present and bytes stay unknown (0), as
  // the estimates only order tasks and feed progress.
  constexpr std::int64_t kMeasureLimit = std::int64_t{256} << 20;
  std::map<std::string, std::pair<std::int64_t, std::int64_t>> sizes;  // name -> rows, bytes
  std::int64_t file_bytes = 0;
  CUTOVER_RETURN_IF_ERROR(
      ForEachRow(db, "SELECT p.page_count * s.page_size FROM pragma_page_count AS p, pragma_page_size AS s",
                 what, [&](sqlite3_stmt* s) {
                   file_bytes = sqlite3_column_int64(s, 0);
                   return Status::Ok();
                 }));
  sqlite3_stmt* raw = nullptr;
  const char* measure =
      file_bytes <= kMeasureLimit ? "SELECT name, ncell, pgsize FROM dbstat('main', 1)" : nullptr;
  if (measure != nullptr && sqlite3_prepare_v2(db, measure, -1, &raw, nullptr) == SQLITE_OK) {
    StatementPtr stmt(raw);
    int rc;
    while ((rc = sqlite3_step(stmt.get())) == SQLITE_ROW) {
      sizes[ColumnText(stmt.get(), 0)] = {sqlite3_column_int64(stmt.get(), 1),
                                          sqlite3_column_int64(stmt.get(), 2)};
    }
    if (rc != SQLITE_DONE) return StatusFromSqlite(db, rc, display + ": measuring table sizes (dbstat)");
  } else {
    StatementPtr failed(raw);  // no dbstat in this library, or a big file
    raw = nullptr;
    // The first number of a table's sqlite_stat1 rows is its row count.
    const char* stat1 = "SELECT tbl, max(CAST(stat AS INTEGER)) FROM main.sqlite_stat1 GROUP BY tbl";
    if (sqlite3_prepare_v2(db, stat1, -1, &raw, nullptr) == SQLITE_OK) {
      StatementPtr stmt(raw);
      while (sqlite3_step(stmt.get()) == SQLITE_ROW) {
        sizes[ColumnText(stmt.get(), 0)] = {sqlite3_column_int64(stmt.get(), 1), 0};
      }
    } else {
      StatementPtr none(raw);  // never analyzed: no sqlite_stat1
    }
  }
  std::vector<DataTable> out;
  out.reserve(tables.size());
  for (auto& [name, p] : tables) {
    CompleteShape(p.shape, p.cols, p.has_pk_index);
    DataTable t;
    t.name = p.shape.name;
    t.columns = p.shape.columns;
    t.split_column = p.shape.alias;
    auto size = sizes.find(name);
    if (size != sizes.end()) {
      t.estimated_rows = size->second.first;
      t.estimated_bytes = size->second.second;
    }
    out.push_back(std::move(t));
  }
  return out;
}

Result<SchemaScript> DumpSqliteSchemaScript(sqlite3* db, const std::string& display) {
  CUTOVER_RETURN_IF_ERROR(CheckVirtualTables(db, display));
  const std::string what = display + ": dumping the schema";
  std::set<std::string> shadow;
  CUTOVER_RETURN_IF_ERROR(
      ForEachRow(db, "SELECT name FROM pragma_table_list WHERE schema = 'main' AND type = 'shadow'", what,
                 [&](sqlite3_stmt* s) {
                   shadow.insert(ToLower(ColumnText(s, 0)));
                   return Status::Ok();
                 }));
  auto scalar = [&](const char* sql) -> Result<std::string> {
    std::string value;
    CUTOVER_RETURN_IF_ERROR(ForEachRow(db, sql, what, [&](sqlite3_stmt* s) {
      value = ColumnText(s, 0);
      return Status::Ok();
    }));
    return value;
  };
  auto encoding = scalar("PRAGMA main.encoding");
  if (!encoding.ok()) return encoding.status();
  auto page_size = scalar("PRAGMA main.page_size");
  if (!page_size.ok()) return page_size.status();
  auto auto_vacuum = scalar("PRAGMA main.auto_vacuum");
  if (!auto_vacuum.ok()) return auto_vacuum.status();
  auto user_version = scalar("PRAGMA main.user_version");
  if (!user_version.ok()) return user_version.status();
  auto application_id = scalar("PRAGMA main.application_id");
  if (!application_id.ok()) return application_id.status();

  std::string tables;
  std::string clear_shadow;
  std::string indexes;
  std::string views;
  std::string triggers;
  bool autoincrement = false;
  bool has_sequence = false;
  bool has_stat1 = false;
  // sqlite_schema in rowid order: the order the objects were created in.
  CUTOVER_RETURN_IF_ERROR(
      ForEachRow(db, "SELECT type, name, tbl_name, sql FROM main.sqlite_schema ORDER BY rowid", what,
                 [&](sqlite3_stmt* s) {
                   const std::string type = ColumnText(s, 0);
                   const std::string name = ColumnText(s, 1);
                   const std::string table = ColumnText(s, 2);
                   const auto sql = ColumnOptText(s, 3);
                   if (StartsWith(ToLower(name), "sqlite_")) {
                     has_sequence = has_sequence || EqualsIgnoreCase(name, "sqlite_sequence");
                     has_stat1 = has_stat1 || EqualsIgnoreCase(name, "sqlite_stat1");
                     return Status::Ok();  // SQLite's own: created on demand, filled below
                   }
                   if (!sql) return Status::Ok();  // automatic indexes of UNIQUE / PRIMARY KEY
                   if (type == "table") {
                     if (shadow.count(ToLower(name)) != 0) {
                       // Created by its virtual table with initial rows; emptied so that
                       // the snapshot's rows load exactly.
                       clear_shadow += "DELETE FROM main." + Quote(name) + ";\n";
                       return Status::Ok();
                     }
                     AppendStatement(tables, *sql);
                     autoincrement = autoincrement || HasAutoincrement(*sql);
                   } else if (type == "index") {
                     if (shadow.count(ToLower(table)) == 0) AppendStatement(indexes, *sql);
                   } else if (type == "view") {
                     AppendStatement(views, *sql);
                   } else if (type == "trigger") {
                     AppendStatement(triggers, *sql);
                   }
                   return Status::Ok();
                 }));

  SchemaScript script;
  std::string& pre = script.pre_data;
  pre = "-- cutover SQLite schema, pre-data: tables, created before rows are loaded.\n";
  // File-format settings only take effect on a database without tables.
  if (*encoding != "UTF-8") pre += "PRAGMA encoding = " + QuoteText(*encoding) + ";\n";
  pre += "PRAGMA page_size = " + *page_size + ";\n";
  pre += "PRAGMA auto_vacuum = " + *auto_vacuum + ";\n";
  pre += "BEGIN;\n" + tables + clear_shadow + "COMMIT;\n";

  std::string& post = script.post_data;
  post =
      "-- cutover SQLite schema, post-data: indexes, views and triggers, created after the rows were loaded\n"
      "-- (so loading fires no trigger), then AUTOINCREMENT positions, statistics and header values.\n";
  post += "BEGIN;\n" + indexes + views + triggers;
  if (has_sequence && autoincrement) {
    // Exact positions: loading rows moved them to max(rowid), which may be
    // below where the source had got to.
    post += "DELETE FROM main.sqlite_sequence;\n";
    CUTOVER_RETURN_IF_ERROR(ForEachRow(db, "SELECT name, seq FROM main.sqlite_sequence ORDER BY rowid", what,
                                       [&](sqlite3_stmt* s) {
                                         post += "INSERT INTO main.sqlite_sequence (name, seq) VALUES (" +
                                                 Literal(s, 0) + ", " + Literal(s, 1) + ");\n";
                                         return Status::Ok();
                                       }));
  }
  if (has_stat1) {
    // The planner's statistics (ANALYZE): the restored copy plans queries
    // as the source did. "ANALYZE sqlite_schema" only creates the table.
    std::string rows;
    CUTOVER_RETURN_IF_ERROR(ForEachRow(
        db, "SELECT tbl, idx, stat FROM main.sqlite_stat1 ORDER BY rowid", what, [&](sqlite3_stmt* s) {
          rows += "INSERT INTO main.sqlite_stat1 (tbl, idx, stat) VALUES (" + Literal(s, 0) + ", " +
                  Literal(s, 1) + ", " + Literal(s, 2) + ");\n";
          return Status::Ok();
        }));
    post += "ANALYZE main.sqlite_schema;\nDELETE FROM main.sqlite_stat1;\n" + rows;
  }
  post += "PRAGMA main.user_version = " + *user_version + ";\n";
  post += "PRAGMA main.application_id = " + *application_id + ";\n";
  post += "COMMIT;\n";
  return script;
}

Status ExportSqliteRows(sqlite3* db, const std::string& display, const DataTable& table,
                        std::string_view predicate, const RecordCallback& on_record) {
  NoDqsGuard dqs(db);
  auto shape = ReadShape(db, display, table);
  if (!shape.ok()) return shape.status();
  if (table.columns.empty()) {
    return Status::InvalidInput(TableLabel(display, table.name) + ": no columns to export were given");
  }
  const bool with_rowid = !shape->rowid_name.empty();
  std::string sql = "SELECT ";
  if (with_rowid) sql += shape->rowid_name + ", ";
  for (std::size_t i = 0; i < table.columns.size(); ++i) {
    if (i > 0) sql += ", ";
    sql += Quote(table.columns[i]);
  }
  // NOT INDEXED: scan the table's own b-tree (rowid or primary key order),
  // never a covering index, so rows come out in the order that loads fastest.
  sql += " FROM main." + Quote(table.name) + " NOT INDEXED";
  if (!Trim(predicate).empty()) sql += " WHERE (" + std::string(predicate) + ")";
  const std::string what = TableLabel(display, table.name) + ": exporting rows";
  if (sql.find('\0') != std::string::npos)
    return Status::InvalidInput(what + ": the predicate contains a NUL byte");
  sqlite3_stmt* raw = nullptr;
  const char* tail = nullptr;
  int rc = sqlite3_prepare_v2(db, sql.c_str(), static_cast<int>(sql.size()), &raw, &tail);
  StatementPtr stmt(raw);
  if (rc != SQLITE_OK)
    return StatusFromSqlite(db, rc, what + " with predicate '" + std::string(predicate) + "'");
  // A predicate that closes the statement and starts another is refused,
  // not half run.
  if (tail != nullptr && *tail != '\0') {
    auto rest = SplitSqliteScript(tail);
    if (!rest.ok() || !rest->empty()) {
      return Status::InvalidInput(what + ": the predicate '" + std::string(predicate) +
                                  "' is not one boolean expression (it ends the SELECT and adds more SQL)");
    }
  }
  const int ncols = sqlite3_column_count(stmt.get());
  record::Writer w;
  const unsigned char header = with_rowid ? record::kHeaderRowidAndColumns : record::kHeaderColumns;
  sqlite3_stmt* s = stmt.get();
  while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
    w.Begin(header);
    for (int i = 0; i < ncols; ++i) {
      // One column_value per cell, then the cheap value accessors: the
      // connection is used by one thread at a time (opened NOMUTEX), so the
      // unprotected value is safe to read here.
      sqlite3_value* v = sqlite3_column_value(s, i);
      switch (sqlite3_value_type(v)) {
        case SQLITE_INTEGER: w.Integer(sqlite3_value_int64(v)); break;
        case SQLITE_FLOAT: w.Real(sqlite3_value_double(v)); break;
        case SQLITE_TEXT: {
          const unsigned char* text = sqlite3_value_text(v);
          w.Bytes(record::Tag::kText, text, static_cast<std::size_t>(sqlite3_value_bytes(v)));
          break;
        }
        case SQLITE_BLOB: {
          const void* blob = sqlite3_value_blob(v);
          w.Bytes(record::Tag::kBlob, blob, static_cast<std::size_t>(sqlite3_value_bytes(v)));
          break;
        }
        default: w.Null();
      }
    }
    CUTOVER_RETURN_IF_ERROR(on_record(w.view()));
  }
  if (rc != SQLITE_DONE) return StatusFromSqlite(db, rc, what);
  return Status::Ok();
}

Result<std::int64_t> ImportSqliteRows(sqlite3* db, const std::string& display, const DataTable& table,
                                      const RecordBatchSource& next_batch) {
  const std::string label = TableLabel(display, table.name);
  if (sqlite3_get_autocommit(db) == 0) {
    return Status::InvalidInput(label +
                                ": ImportRows runs in its own transaction, but one is already open on this "
                                "connection; commit or roll it back first");
  }
  NoDqsGuard dqs(db);
  auto shape = ReadShape(db, display, table);
  if (!shape.ok()) return shape.status();
  if (table.columns.empty()) return Status::InvalidInput(label + ": no columns to import were given");
  const bool with_rowid = !shape->rowid_name.empty();
  std::string sql = "INSERT INTO main." + Quote(table.name) + " (";
  if (with_rowid) sql += shape->rowid_name + ", ";
  for (std::size_t i = 0; i < table.columns.size(); ++i) sql += (i > 0 ? ", " : "") + Quote(table.columns[i]);
  sql += ") VALUES (";
  const std::size_t nparams = table.columns.size() + (with_rowid ? 1 : 0);
  for (std::size_t i = 0; i < nparams; ++i) sql += i > 0 ? ", ?" : "?";
  sql += ")";

  // Foreign keys are checked by CheckIntegrity after the restore: tables
  // load in any order, a child before its parent. The pragma only changes
  // outside a transaction, so it is set here and put back at the end.
  int fk_before = 0;
  sqlite3_db_config(db, SQLITE_DBCONFIG_ENABLE_FKEY, -1, &fk_before);
  if (fk_before != 0) sqlite3_db_config(db, SQLITE_DBCONFIG_ENABLE_FKEY, 0, nullptr);
  struct FkRestore {
    sqlite3* db;
    int before;
    ~FkRestore() {
      if (before != 0) sqlite3_db_config(db, SQLITE_DBCONFIG_ENABLE_FKEY, before, nullptr);
    }
  } fk_restore{db, fk_before};

  sqlite3_stmt* raw = nullptr;
  int rc = sqlite3_prepare_v2(db, sql.c_str(), static_cast<int>(sql.size()), &raw, nullptr);
  StatementPtr stmt(raw);
  if (rc != SQLITE_OK) return StatusFromSqlite(db, rc, label + ": preparing the row import");

  // One write transaction for the whole call: all rows or none.
  CUTOVER_RETURN_IF_ERROR(Exec(db, "BEGIN IMMEDIATE", label + ": starting the import transaction"));
  std::int64_t rows = 0;
  auto fail = [&](const Status& st) -> Status {
    sqlite3_reset(stmt.get());
    if (sqlite3_get_autocommit(db) == 0) sqlite3_exec(db, "ROLLBACK", nullptr, nullptr, nullptr);
    return st;
  };
  auto bad_record = [&](const std::string& why) {
    return fail(
        Status::InvalidInput(label + ": record " + std::to_string(rows + 1) +
                             " of this import is not a valid SQLite snapshot record: " + why +
                             "; nothing of this import was loaded. The snapshot chunk is damaged: verify "
                             "the snapshot, or restore from another one"));
  };
  sqlite3_stmt* s = stmt.get();
  while (true) {
    auto batch = next_batch();
    if (!batch.ok()) return fail(batch.status());
    if (batch->empty()) break;
    for (std::string_view rec : *batch) {
      record::Reader reader(rec);
      bool has_rowid = false;
      if (!reader.ReadHeader(&has_rowid)) return bad_record(reader.error());
      if (has_rowid != with_rowid) {
        return bad_record(has_rowid
                              ? "it carries a rowid, but the table has an INTEGER PRIMARY KEY or no rowid"
                              : "it carries no rowid, but the table is a rowid table without an INTEGER "
                                "PRIMARY KEY (the table's definition differs from the snapshot's)");
      }
      record::Cell cell;
      for (std::size_t i = 0; i < nparams; ++i) {
        const int p = static_cast<int>(i) + 1;
        if (!reader.Next(&cell)) {
          return bad_record((with_rowid && i == 0
                                 ? std::string("the rowid")
                                 : "column " + Quote(table.columns[i - (with_rowid ? 1 : 0)])) +
                            ": " + reader.error());
        }
        int brc = SQLITE_OK;
        switch (cell.tag) {
          case record::Tag::kNull: brc = sqlite3_bind_null(s, p); break;
          case record::Tag::kInteger: brc = sqlite3_bind_int64(s, p, cell.integer); break;
          case record::Tag::kReal: brc = sqlite3_bind_double(s, p, cell.real); break;
          case record::Tag::kText:
            // A non-null pointer: '' must stay '', not become NULL.
            brc = sqlite3_bind_text64(s, p, cell.bytes.empty() ? "" : cell.bytes.data(), cell.bytes.size(),
                                      SQLITE_STATIC, SQLITE_UTF8);
            break;
          case record::Tag::kBlob:
            brc = sqlite3_bind_blob64(s, p, cell.bytes.empty() ? "" : cell.bytes.data(), cell.bytes.size(),
                                      SQLITE_STATIC);
            break;
        }
        if (brc != SQLITE_OK) {
          return fail(StatusFromSqlite(db, brc,
                                       label + ": record " + std::to_string(rows + 1) + ": binding a value"));
        }
      }
      if (!reader.AtEnd()) return bad_record(reader.error());
      rc = sqlite3_step(s);
      if (rc != SQLITE_DONE) {
        return fail(StatusFromSqlite(db, rc,
                                     label + ": loading record " + std::to_string(rows + 1) +
                                         " of this import (rolled back: nothing of this import was loaded)"));
      }
      sqlite3_reset(s);
      ++rows;
    }
  }
  stmt.reset();
  rc = sqlite3_exec(db, "COMMIT", nullptr, nullptr, nullptr);
  if (rc != SQLITE_OK) {
    Status st = StatusFromSqlite(db, rc, label + ": committing " + std::to_string(rows) + " imported rows");
    if (sqlite3_get_autocommit(db) == 0) sqlite3_exec(db, "ROLLBACK", nullptr, nullptr, nullptr);
    return st;
  }
  return rows;
}

Result<bool> IsEmptySqliteDatabase(sqlite3* db, const std::string& display) {
  std::int64_t objects = 0;
  CUTOVER_RETURN_IF_ERROR(
      ForEachRow(db, "SELECT count(*) FROM main.sqlite_schema WHERE name NOT LIKE 'sqlite\\_%' ESCAPE '\\'",
                 display + ": checking whether the database is empty", [&](sqlite3_stmt* s) {
                   objects = sqlite3_column_int64(s, 0);
                   return Status::Ok();
                 }));
  return objects == 0;
}

Result<std::vector<std::string>> CheckSqliteIntegrity(sqlite3* db, const std::string& display,
                                                      std::string* checks_run) {
  std::vector<std::string> problems;
  std::int64_t tables = 0;
  std::int64_t indexes = 0;
  std::int64_t foreign_keys = 0;
  // What the checks cover, for the report. A database too damaged to list
  // is itself a finding.
  auto counted = ForEachRow(
      db,
      "SELECT (SELECT count(*) FROM main.sqlite_schema WHERE type = 'table'), "
      "(SELECT count(*) FROM main.sqlite_schema WHERE type = 'index'), "
      "(SELECT count(*) FROM pragma_table_list AS t JOIN pragma_foreign_key_list(t.name, 'main') AS f "
      "WHERE t.schema = 'main' AND t.type = 'table' AND f.seq = 0)",
      display + ": counting what integrity_check covers", [&](sqlite3_stmt* s) {
        tables = sqlite3_column_int64(s, 0);
        indexes = sqlite3_column_int64(s, 1);
        foreign_keys = sqlite3_column_int64(s, 2);
        return Status::Ok();
      });
  auto run_on = [&](sqlite3* on, std::vector<std::string>& found, const char* sql,
                    const std::function<void(sqlite3_stmt*)>& on_row) -> Status {
    sqlite3_stmt* raw = nullptr;
    int rc = sqlite3_prepare_v2(on, sql, -1, &raw, nullptr);
    StatementPtr stmt(raw);
    if (rc == SQLITE_OK) {
      while ((rc = sqlite3_step(stmt.get())) == SQLITE_ROW) on_row(stmt.get());
      if (rc == SQLITE_DONE) return Status::Ok();
    }
    const int primary = rc & 0xff;
    if (primary == SQLITE_CORRUPT || primary == SQLITE_NOTADB) {
      // The check could not finish because of the damage: that is its result.
      found.push_back(std::string(sql) + " stopped: " + ScrubSecrets(sqlite3_errmsg(on)));
      return Status::Ok();
    }
    return StatusFromSqlite(on, rc, display + ": " + sql);
  };
  auto run = [&](const char* sql, const std::function<void(sqlite3_stmt*)>& on_row) {
    return run_on(db, problems, sql, on_row);
  };
  // foreign_key_check runs on a second, read-only connection to the same
  // file while integrity_check runs here: both only read, and together they
  // are most of a restore test's verification. Without a file (in-memory)
  // or a second connection, it runs here afterwards.
  std::vector<std::string> fk_problems;
  auto foreign_key_check = [&](sqlite3* on) {
    return run_on(on, fk_problems, "PRAGMA main.foreign_key_check", [&](sqlite3_stmt* s) {
      std::string row = sqlite3_column_type(s, 1) == SQLITE_NULL ? "a row" : "row " + ColumnText(s, 1);
      fk_problems.push_back("foreign_key_check: " + row + " of table " + Quote(ColumnText(s, 0)) +
                            " references a missing row of " + Quote(ColumnText(s, 2)) + " (foreign key #" +
                            ColumnText(s, 3) + ")");
    });
  };
  sqlite3* second = nullptr;
  const char* file = sqlite3_db_filename(db, "main");
  if (file != nullptr && *file != '\0' && sqlite3_get_autocommit(db) != 0 &&
      sqlite3_open_v2(file, &second, SQLITE_OPEN_READONLY | SQLITE_OPEN_NOMUTEX | SQLITE_OPEN_PRIVATECACHE,
                      nullptr) == SQLITE_OK) {
    sqlite3_busy_timeout(second, 5000);
    sqlite3_exec(second, "PRAGMA main.cache_size = -32768", nullptr, nullptr, nullptr);
  } else if (second != nullptr) {
    sqlite3_close_v2(second);
    second = nullptr;
  }
  std::optional<std::future<Status>> fk_done;
  if (second != nullptr) fk_done = std::async(std::launch::async, foreign_key_check, second);
  struct Joined {
    std::optional<std::future<Status>>& done;
    sqlite3* second;
    ~Joined() {
      if (done && done->valid()) done->wait();
      if (second != nullptr) sqlite3_close_v2(second);
    }
  } joined{fk_done, second};
  // integrity_check looks each row up in every index: with the default
  // 2 MiB page cache it re-reads index pages from the file again and again.
  // A 64 MiB cache for the duration of the check cuts its time by a quarter
  // and keeps memory bounded; the connection's own setting comes back after.
  std::string cache_before;
  CUTOVER_RETURN_IF_ERROR(
      ForEachRow(db, "PRAGMA main.cache_size", display + ": reading the cache size", [&](sqlite3_stmt* s) {
        cache_before = ColumnText(s, 0);
        return Status::Ok();
      }));
  struct CacheRestore {
    sqlite3* db;
    std::string size;
    ~CacheRestore() {
      if (!size.empty())
        sqlite3_exec(db, ("PRAGMA main.cache_size = " + size).c_str(), nullptr, nullptr, nullptr);
    }
  } cache_restore{db, cache_before};
  std::int64_t cache = 0;
  std::from_chars(cache_before.data(), cache_before.data() + cache_before.size(), cache);
  // Negative: KiB; positive: pages (of at most 64 KiB). Never shrink it.
  if ((cache < 0 && cache > -65536) || (cache >= 0 && cache < 1024)) {
    CUTOVER_RETURN_IF_ERROR(
        Exec(db, "PRAGMA main.cache_size = -65536", display + ": enlarging the page cache"));
  } else {
    cache_restore.size.clear();
  }
  CUTOVER_RETURN_IF_ERROR(run("PRAGMA main.integrity_check", [&](sqlite3_stmt* s) {
    std::string line = ColumnText(s, 0);
    if (line != "ok") problems.push_back("integrity_check: " + line);
  }));
  CUTOVER_RETURN_IF_ERROR(fk_done ? fk_done->get() : foreign_key_check(db));
  problems.insert(problems.end(), fk_problems.begin(), fk_problems.end());
  if (checks_run != nullptr) {
    *checks_run = counted.ok() ? "PRAGMA integrity_check (" + std::to_string(tables) + " tables, " +
                                     std::to_string(indexes) + " indexes), PRAGMA foreign_key_check (" +
                                     std::to_string(foreign_keys) + " foreign keys)"
                               : "PRAGMA integrity_check, PRAGMA foreign_key_check";
  }
  return problems;
}

}  // namespace cutover::sqlite
