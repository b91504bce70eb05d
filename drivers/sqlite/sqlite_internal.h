// Internal declarations shared by the SQLite driver's sources.
#pragma once

#include <sqlite3.h>

#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "base/status.h"
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

}  // namespace cutover::sqlite
