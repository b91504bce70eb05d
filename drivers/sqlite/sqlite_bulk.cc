// Bulk data on SQLite: ExportRows/ImportRows in the record format of
// sqlite_bulk_record.h.
#include <algorithm>
#include <array>
#include <atomic>
#include <cctype>
#include <cerrno>
#include <charconv>
#include <chrono>
#include <cmath>
#include <cstring>
#include <exception>
#include <filesystem>
#include <functional>
#include <limits>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "base/strings.h"
#include "base/uri.h"
#include "driver/driver.h"
#include "sqlite_bulk_record.h"
#include "sqlite_ddl_parse.h"
#include "sqlite_internal.h"

namespace cutover::sqlite {
namespace {

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

}  // namespace

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

Status SqliteConnection::ExportRows(const DataTable& table, std::string_view predicate,
                                    const RecordCallback& on_record) {
  return Guarded(display_,
                 [&]() -> Status { return ExportSqliteRows(db_, display_, table, predicate, on_record); });
}

Result<std::int64_t> SqliteConnection::ImportRows(const DataTable& table,
                                                  const RecordBatchSource& next_batch) {
  return Guarded(
      display_, [&]() -> Result<std::int64_t> { return ImportSqliteRows(db_, display_, table, next_batch); });
}

}  // namespace cutover::sqlite

namespace cutover::sqlite {

// A 64 MiB page cache: index builds sort in it and inserts into indexed
// tables stop re-reading pages (memory stays bounded: one loader at a time).
// A scratch copy needs no rollback journal and no fsync: a crash loses only
// a copy that the restore test drops anyway.
Status SqliteConnection::PrepareRestoreSession(bool scratch) {
  std::vector<const char*> settings{"PRAGMA main.cache_size = -65536"};
  if (scratch) {
    settings.push_back("PRAGMA main.journal_mode = OFF");
    settings.push_back("PRAGMA main.synchronous = OFF");
  }
  return Guarded(display_, [&]() -> Status {
    for (const char* sql : settings) CUTOVER_RETURN_IF_ERROR(Run(sql, ExecOptions{}, nullptr));
    return Status::Ok();
  });
}

}  // namespace cutover::sqlite
