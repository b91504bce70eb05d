// Bulk data for snapshots and restores: the tables a snapshot carries, the
// schema script that recreates them, row export/import in the record format
// of sqlite_bulk_record.h, and the integrity checks of a restore test.
#include <sqlite3.h>

#include <algorithm>
#include <atomic>
#include <charconv>
#include <cmath>
#include <functional>
#include <future>
#include <limits>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "base/strings.h"
#include "base/uri.h"
#include "sqlite_ddl.h"
#include "sqlite_snapshot_image.h"
#include "sqlite_internal.h"
#include "sqlite_bulk_record.h"

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

namespace {

// The problems in one result value of integrity_check or quick_check. SQLite
// joins the b-tree problems of one check into one value, after a "*** in
// database main ***" line: one problem per line here.
std::vector<std::string> CheckLines(const std::string& text) {
  std::vector<std::string> lines;
  for (std::string_view line : Split(text, '\n')) {
    line = Trim(line);
    const bool header = StartsWith(line, "*** in database ") && EndsWith(line, " ***");
    if (!line.empty() && line != "ok" && !header) lines.emplace_back(line);
  }
  return lines;
}

// The whole check on the caller's connection: PRAGMA integrity_check. Used
// when the parallel check cannot be (in-memory database, a transaction open
// on `db`, a table name integrity_check(TABLE) cannot take).
Result<std::vector<std::string>> SerialIntegrityCheck(sqlite3* db, const std::string& display,
                                                      std::string* checks_run) {
  std::vector<std::string> problems;
  std::int64_t tables = 0;
  std::int64_t indexes = 0;
  // What the check covers, for the report. A database too damaged to list
  // is itself a finding.
  auto counted = ForEachRow(db,
                            "SELECT (SELECT count(*) FROM main.sqlite_schema WHERE type = 'table'), "
                            "(SELECT count(*) FROM main.sqlite_schema WHERE type = 'index')",
                            display + ": counting what integrity_check covers", [&](sqlite3_stmt* s) {
                              tables = sqlite3_column_int64(s, 0);
                              indexes = sqlite3_column_int64(s, 1);
                              return Status::Ok();
                            });
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
  const char* sql = "PRAGMA main.integrity_check";
  sqlite3_stmt* raw = nullptr;
  int rc = sqlite3_prepare_v2(db, sql, -1, &raw, nullptr);
  StatementPtr stmt(raw);
  if (rc == SQLITE_OK) {
    while ((rc = sqlite3_step(stmt.get())) == SQLITE_ROW) {
      for (const std::string& line : CheckLines(ColumnText(stmt.get(), 0))) {
        problems.push_back("integrity_check: " + line);
      }
    }
  }
  if (rc != SQLITE_DONE) {
    const int primary = rc & 0xff;
    // The check could not finish because of the damage: that is its result.
    if (primary != SQLITE_CORRUPT && primary != SQLITE_NOTADB)
      return StatusFromSqlite(db, rc, display + ": " + sql);
    problems.push_back(std::string(sql) + " stopped: " + ScrubSecrets(sqlite3_errmsg(db)));
  }
  if (checks_run != nullptr) {
    *checks_run = counted.ok() ? "PRAGMA integrity_check (" + std::to_string(tables) + " tables, " +
                                     std::to_string(indexes) + " indexes)"
                               : "PRAGMA integrity_check";
  }
  return problems;
}

// ---- The parallel check.
//
// PRAGMA integrity_check is single-threaded. What it covers is split into
// parts that together cover exactly the same:
//   - PRAGMA quick_check of the whole file: page accounting (every page used
//     once, the freelist), the structure of every b-tree, NOT NULL, CHECK
//     and STRICT types, i.e. everything but the checks below;
//   - PRAGMA integrity_check(TABLE) for every ordinary table: the same for
//     that table and its indexes without page accounting, plus what
//     quick_check leaves out (each index entry matches its row, UNIQUE,
//     record headers decode).
// Two read-only connections with fixed 64 MiB caches take the parts from
// one list, the most expensive first, so the longest part starts at once.

struct IntegrityPart {
  enum class Kind { kQuickCheck, kTable };
  Kind kind = Kind::kQuickCheck;
  std::string table;               // kTable
  double cost = 0;                 // estimated microseconds, for the order only
  std::vector<std::string> lines;  // what the check reported (not "ok")
  std::string stopped;             // the damage that stopped the check, if any
  Status status;                   // any other failure
};

std::string PartLabel(const IntegrityPart& part) {
  switch (part.kind) {
    case IntegrityPart::Kind::kQuickCheck: return "quick_check";
    case IntegrityPart::Kind::kTable: return "integrity_check of table " + Quote(part.table);
  }
  return "";
}

void RunIntegrityPart(sqlite3* db, const std::string& display, IntegrityPart& part) {
  std::string sql;
  switch (part.kind) {
    case IntegrityPart::Kind::kQuickCheck: sql = "PRAGMA main.quick_check"; break;
    case IntegrityPart::Kind::kTable:
      sql = "PRAGMA main.integrity_check(" + QuoteText(part.table) + ")";
      break;
  }
  sqlite3_stmt* raw = nullptr;
  int rc = sqlite3_prepare_v2(db, sql.c_str(), static_cast<int>(sql.size()), &raw, nullptr);
  StatementPtr stmt(raw);
  if (rc == SQLITE_OK) {
    while ((rc = sqlite3_step(stmt.get())) == SQLITE_ROW) {
      for (std::string& line : CheckLines(ColumnText(stmt.get(), 0))) part.lines.push_back(std::move(line));
    }
    if (rc == SQLITE_DONE) return;
  }
  const int primary = rc & 0xff;
  if (primary == SQLITE_CORRUPT || primary == SQLITE_NOTADB) {
    // The check could not finish because of the damage: that is its result.
    part.stopped = ScrubSecrets(sqlite3_errmsg(db));
    return;
  }
  part.status = StatusFromSqlite(db, rc, display + ": " + sql);
}

// SQLite names b-tree problems by page: "On tree page 40 cell 3: ..."
// (3.40) or "Tree 12 page 40 cell 3: ..." (3.43 and later, 12 the root).
// Adds the table or index when the page named first is a b-tree's root.
std::string NameTheTree(const std::string& line, const std::map<std::int64_t, std::string>& roots) {
  std::size_t at = 0;
  if (StartsWith(line, "On tree page ")) {
    at = 13;
  } else if (StartsWith(line, "Tree ")) {
    at = 5;
  } else {
    return line;
  }
  std::int64_t page = 0;
  const char* begin = line.data() + at;
  auto [end, ec] = std::from_chars(begin, line.data() + line.size(), page);
  if (ec != std::errc() || end == begin) return line;
  auto it = roots.find(page);
  if (it == roots.end()) return line;
  const auto number_end = static_cast<std::size_t>(end - line.data());
  return line.substr(0, number_end) + (at == 5 ? " (" : " (the root of ") + it->second + ")" +
         line.substr(number_end);
}

struct CheckerDeleter {
  void operator()(sqlite3* db) const { sqlite3_close_v2(db); }
};
using CheckerPtr = std::unique_ptr<sqlite3, CheckerDeleter>;

CheckerPtr OpenChecker(const char* file) {
  sqlite3* raw = nullptr;
  const int rc = sqlite3_open_v2(
      file, &raw,
      SQLITE_OPEN_READONLY | SQLITE_OPEN_NOMUTEX | SQLITE_OPEN_PRIVATECACHE | SQLITE_OPEN_EXRESCODE, nullptr);
  CheckerPtr db(raw);
  if (rc != SQLITE_OK) return nullptr;
  sqlite3_busy_timeout(raw, 5000);
  // integrity_check looks each row up in every index: with the default
  // 2 MiB page cache it re-reads index pages again and again.
  if (sqlite3_exec(raw, "PRAGMA main.cache_size = -65536", nullptr, nullptr, nullptr) != SQLITE_OK) {
    return nullptr;
  }
  return db;
}

// Table names integrity_check(TABLE) would read as a number (an error limit).
bool ReadsAsNumber(std::string_view name) {
  if (!name.empty() && (name[0] == '+' || name[0] == '-')) name.remove_prefix(1);
  return !name.empty() && name[0] >= '0' && name[0] <= '9';
}

// The parallel check; nullopt when it cannot run here (the caller then runs
// the serial one).
std::optional<Result<std::vector<std::string>>> ParallelIntegrityCheck(sqlite3* db,
                                                                       const std::string& display,
                                                                       std::string* checks_run) {
  const char* file = sqlite3_db_filename(db, "main");
  // Without a file there is nothing a second connection could open; with a
  // transaction open here, other connections would not see what it did.
  if (file == nullptr || *file == '\0' || sqlite3_get_autocommit(db) == 0) return std::nullopt;

  // The plan, from the catalog: every ordinary table (virtual ones have no
  // b-tree), its indexes and any ANALYZE row count.
  struct TableInfo {
    std::string name;
    std::int64_t root = 0;
    std::vector<std::int64_t> index_roots;
    std::int64_t stat_rows = 0;
  };
  std::vector<TableInfo> tables;
  std::map<std::string, std::size_t> by_name;  // lower-case name -> tables index
  std::map<std::int64_t, std::string> trees;   // root page -> "table \"t\"", "index \"i\" of table \"t\""
  std::vector<std::pair<std::string, std::int64_t>> indexes;  // table, root
  std::int64_t page_size = 4096;
  std::int64_t page_count = 0;
  const std::string what = display + ": planning the integrity check";
  Status listed = ForEachRow(
      db, "SELECT type, name, tbl_name, rootpage FROM main.sqlite_schema WHERE type IN ('table', 'index')",
      what, [&](sqlite3_stmt* s) {
        const std::string type = ColumnText(s, 0);
        const std::string name = ColumnText(s, 1);
        const std::int64_t root = sqlite3_column_int64(s, 3);
        if (root <= 0) return Status::Ok();  // virtual tables
        if (type == "table") {
          by_name[ToLower(name)] = tables.size();
          tables.push_back(TableInfo{name, root, {}, 0});
          trees[root] = "table " + Quote(name);
        } else {
          indexes.emplace_back(ColumnText(s, 2), root);
          trees[root] = "index " + Quote(name) + " of table " + Quote(ColumnText(s, 2));
        }
        return Status::Ok();
      });
  if (listed.ok()) {
    listed =
        ForEachRow(db, "SELECT p.page_count, s.page_size FROM pragma_page_count AS p, pragma_page_size AS s",
                   what, [&](sqlite3_stmt* s) {
                     page_count = sqlite3_column_int64(s, 0);
                     page_size = std::max<std::int64_t>(512, sqlite3_column_int64(s, 1));
                     return Status::Ok();
                   });
  }
  // A catalog too damaged to read: the serial integrity_check reports what
  // it can.
  if (!listed.ok()) return std::nullopt;
  std::int64_t index_count = 0;
  for (const auto& [table, root] : indexes) {
    auto it = by_name.find(ToLower(table));
    if (it != by_name.end()) tables[it->second].index_roots.push_back(root);
    ++index_count;
  }
  for (const TableInfo& t : tables) {
    if (ReadsAsNumber(t.name)) return std::nullopt;
  }
  {
    // ANALYZE's row counts, when there are any.
    sqlite3_stmt* raw = nullptr;
    if (sqlite3_prepare_v2(db, "SELECT tbl, max(CAST(stat AS INTEGER)) FROM main.sqlite_stat1 GROUP BY tbl",
                           -1, &raw, nullptr) == SQLITE_OK) {
      StatementPtr stmt(raw);
      while (sqlite3_step(stmt.get()) == SQLITE_ROW) {
        auto it = by_name.find(ToLower(ColumnText(stmt.get(), 0)));
        if (it != by_name.end()) tables[it->second].stat_rows = sqlite3_column_int64(stmt.get(), 1);
      }
    } else {
      StatementPtr none(raw);
    }
  }

  CheckerPtr first = OpenChecker(file);
  CheckerPtr second = first ? OpenChecker(file) : nullptr;
  if (!second) return std::nullopt;

  // Costs, in estimated microseconds (measured on a 1.2 GB database: about
  // 5 us per page walked, 1.8 us per index entry compared with its row).
  // Sizes come from a few page reads per
  // b-tree (dbstat would read the whole file); row counts from ANALYZE, else
  // from the sizes.
  std::vector<std::int64_t> roots;
  for (const TableInfo& t : tables) {
    roots.push_back(t.root);
    roots.insert(roots.end(), t.index_roots.begin(), t.index_roots.end());
  }
  auto estimated = EstimateSqliteBtreePages(file, roots);
  std::vector<std::int64_t> pages = estimated.ok() ? *estimated : std::vector<std::int64_t>(roots.size(), 0);
  std::vector<IntegrityPart> parts;
  IntegrityPart quick;
  quick.kind = IntegrityPart::Kind::kQuickCheck;
  quick.cost = 5.0 * static_cast<double>(page_count);
  parts.push_back(std::move(quick));
  std::size_t next_root = 0;
  for (const TableInfo& t : tables) {
    const double table_pages = static_cast<double>(pages[next_root++]);
    double index_pages = 0;
    double largest_index = 0;
    for (std::size_t i = 0; i < t.index_roots.size(); ++i) {
      const auto p = static_cast<double>(pages[next_root++]);
      index_pages += p;
      largest_index = std::max(largest_index, p);
    }
    const double rows = t.stat_rows > 0          ? static_cast<double>(t.stat_rows)
                        : !t.index_roots.empty() ? largest_index * static_cast<double>(page_size) / 40
                                                 : table_pages * static_cast<double>(page_size) / 200;
    IntegrityPart part;
    part.kind = IntegrityPart::Kind::kTable;
    part.table = t.name;
    part.cost = 5.0 * (table_pages + index_pages) + 1.8 * rows * static_cast<double>(t.index_roots.size());
    parts.push_back(std::move(part));
  }
  std::vector<std::size_t> order(parts.size());
  for (std::size_t i = 0; i < order.size(); ++i) order[i] = i;
  std::stable_sort(order.begin(), order.end(),
                   [&](std::size_t a, std::size_t b) { return parts[a].cost > parts[b].cost; });

  // Two workers, one per connection, take the next part until none is left
  // (or one failed for another reason than damage).
  std::atomic<std::size_t> next{0};
  std::atomic<bool> failed{false};
  auto work = [&](sqlite3* on) {
    while (!failed.load()) {
      const std::size_t i = next.fetch_add(1);
      if (i >= order.size()) break;
      IntegrityPart& part = parts[order[i]];
      try {
        RunIntegrityPart(on, display, part);
      } catch (const std::exception& e) {
        part.status = Status::Internal(display + ": " + PartLabel(part) + ": unexpected error: " + e.what());
      }
      if (!part.status.ok()) failed.store(true);
    }
  };
  {
    std::thread helper(work, second.get());
    struct Join {
      std::thread& t;
      ~Join() { t.join(); }
    } join{helper};
    work(first.get());
  }

  // Problems in a stable order: tables by name, then the whole-file check.
  // A line the table's own check already reported
  // (NOT NULL, a damaged b-tree) is not repeated for quick_check.
  for (const IntegrityPart& part : parts) {
    if (!part.status.ok()) return Result<std::vector<std::string>>(part.status);
  }
  std::vector<const IntegrityPart*> sorted;
  for (const IntegrityPart& part : parts) sorted.push_back(&part);
  std::stable_sort(sorted.begin(), sorted.end(), [](const IntegrityPart* a, const IntegrityPart* b) {
    auto rank = [](const IntegrityPart* p) { return p->kind == IntegrityPart::Kind::kTable ? 0 : 1; };
    if (rank(a) != rank(b)) return rank(a) < rank(b);
    return a->table < b->table;
  });
  std::set<std::string> reported;
  std::vector<std::string> problems;
  for (const IntegrityPart* part : sorted) {
    const std::string label = PartLabel(*part);
    for (const std::string& line : part->lines) {
      if (part->kind == IntegrityPart::Kind::kTable || reported.count(line) == 0) {
        reported.insert(line);
        problems.push_back(label + ": " + NameTheTree(line, trees));
      }
    }
    if (!part->stopped.empty()) problems.push_back(label + " stopped: " + part->stopped);
  }
  if (checks_run != nullptr) {
    *checks_run = "integrity_check of " + std::to_string(tables.size()) +
                  (tables.size() == 1 ? " table" : " tables") + " (" + std::to_string(index_count) +
                  (index_count == 1 ? " index" : " indexes") +
                  ") and quick_check of the whole file, on 2 connections";
  }
  return Result<std::vector<std::string>>(std::move(problems));
}

}  // namespace

Result<std::vector<std::string>> CheckSqliteIntegrity(sqlite3* db, const std::string& display,
                                                      std::string* checks_run) {
  auto parallel = ParallelIntegrityCheck(db, display, checks_run);
  if (parallel) return std::move(*parallel);
  return SerialIntegrityCheck(db, display, checks_run);
}

}  // namespace cutover::sqlite
