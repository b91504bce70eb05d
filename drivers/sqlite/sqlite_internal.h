// Internal declarations shared by the SQLite driver's sources.
#pragma once

#include <sqlite3.h>

#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"
#include "driver/driver.h"
#include "driver/schema_model.h"

namespace cutover::sqlite {

struct StatementDeleter {
  void operator()(sqlite3_stmt* stmt) const { sqlite3_finalize(stmt); }
};
using StatementPtr = std::unique_ptr<sqlite3_stmt, StatementDeleter>;

// Text of a result column; empty for NULL.
inline std::string ColumnText(sqlite3_stmt* stmt, int col) {
  const unsigned char* text = sqlite3_column_text(stmt, col);
  if (text == nullptr) return std::string();
  return std::string(reinterpret_cast<const char*>(text),
                     static_cast<std::size_t>(sqlite3_column_bytes(stmt, col)));
}
inline std::optional<std::string> ColumnOptText(sqlite3_stmt* stmt, int col) {
  if (sqlite3_column_type(stmt, col) == SQLITE_NULL) return std::nullopt;
  return ColumnText(stmt, col);
}

// The Status for a failed SQLite call. `what` names the database and the
// statement; the engine's message is added (scrubbed) with the result code.
// SQLITE_BUSY/LOCKED become kLockTimeout, NOTADB/CORRUPT kInvalidInput,
// IOERR/FULL/CANTOPEN kIo, everything else kQuery with the extended result
// code in sqlstate.
Status StatusFromSqlite(sqlite3* db, int rc, const std::string& what);

// Reads the schema of the `main` database of `db` with a fixed number of
// catalog queries (five) and normalizes it (docs/schema-json.md). The caller
// wraps the call in a read transaction. `display` names the database in
// messages.
Result<SchemaModel> ReadSqliteSchema(sqlite3* db, const std::string& display);

// ---- Bulk data (sqlite_bulk.cc); `display` names the database in messages.

// Connection::ListDataTables: ordinary tables (rowid and WITHOUT ROWID) and
// the storage ("shadow") tables of virtual tables, by name; never SQLite's
// sqlite_* tables or the virtual tables themselves. Columns leave generated
// ones out; split_column is the INTEGER PRIMARY KEY rowid alias. Sizes come
// from dbstat. kUnsupported names virtual tables whose module is missing.
Result<std::vector<DataTable>> ListSqliteDataTables(sqlite3* db, const std::string& display);
// Connection::DumpSchemaScript, from sqlite_schema in creation order.
// pre_data: file-format pragmas, CREATE TABLE / VIRTUAL TABLE (emptying the
// virtual tables' storage tables); post_data: indexes, views, triggers,
// sqlite_sequence and sqlite_stat1 rows, user_version and application_id.
Result<SchemaScript> DumpSqliteSchemaScript(sqlite3* db, const std::string& display);
// Connection::ExportRows / ImportRows in the format of sqlite_bulk_record.h.
Status ExportSqliteRows(sqlite3* db, const std::string& display, const DataTable& table,
                        std::string_view predicate, const RecordCallback& on_record);
Result<std::int64_t> ImportSqliteRows(sqlite3* db, const std::string& display, const DataTable& table,
                                      const RecordBatchSource& next_batch);
Result<bool> IsEmptySqliteDatabase(sqlite3* db, const std::string& display);
// Connection::CheckIntegrity: what PRAGMA integrity_check covers, split into
// quick_check of the whole file and integrity_check of each table, run on
// two read-only
// connections of their own in parallel, largest part first. Runs the whole
// integrity_check on `db` instead when there is no file, a transaction is
// open on `db`, or a table name cannot be passed to integrity_check(TABLE).
// One problem per line, each naming its check and table. Foreign keys are
// not checked: they are the data's business, not the file's (SQLite only
// enforces them where a connection turns them on, so many healthy files hold
// orphans); a restore test runs foreign_key_check as an acceptance check.
Result<std::vector<std::string>> CheckSqliteIntegrity(sqlite3* db, const std::string& display,
                                                      std::string* checks_run);

// Driver::SplitScript: statements ended by ';' outside strings, quoted
// identifiers and comments, where sqlite3_complete() agrees (so ';' inside a
// CREATE TRIGGER body does not split). Statement text excludes the ';' and
// any comment after the last token. A last statement without ';' is kept.
// kInvalidInput names the line of an unterminated string, identifier or
// comment, of a trigger body without END, or of a NUL byte.
Result<std::vector<ScriptStatement>> SplitSqliteScript(std::string_view script);

}  // namespace cutover::sqlite
