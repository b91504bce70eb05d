// Errors of the SQLite driver: result codes mapped to a Status (the extended
// result code kept in Status::Query's sqlstate field). The Guarded()
// boundary every call goes through is in sqlite_internal.h (a template).
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
#include "sqlite_ddl_parse.h"
#include "sqlite_internal.h"

namespace cutover::sqlite {

Status StatusFromSqlite(sqlite3* db, int rc, const std::string& what) {
  std::string engine_msg = db != nullptr ? sqlite3_errmsg(db) : sqlite3_errstr(rc);
  std::string msg = what + ": " + ScrubSecrets(engine_msg);
  switch (rc & 0xff) {
    case SQLITE_BUSY:
    case SQLITE_LOCKED:
      return Status::LockTimeout(msg +
                                 " (another connection holds a lock and the lock wait expired); retry when "
                                 "the other writer has finished, or allow a longer lock timeout");
    case SQLITE_NOTADB:
    case SQLITE_CORRUPT:
      return Status::InvalidInput(msg +
                                  ": the file is not a SQLite database or is damaged; check the path, or "
                                  "restore the database from a verified snapshot");
    case SQLITE_IOERR:
    case SQLITE_FULL:
    case SQLITE_CANTOPEN:
    case SQLITE_PERM: return Status::Io(msg + ": check the file, its directory, permissions and free space");
    case SQLITE_INTERRUPT:
      // Only Connection::Cancel() calls sqlite3_interrupt(); an expired
      // statement_timeout is told apart before this (LimitGuard).
      return Status::Cancelled(msg + " (stopped by a cancel request)");
    case SQLITE_NOMEM:
    case SQLITE_MISUSE: return Status::Internal(msg);
    default: return Status::Query(msg, std::to_string(rc));
  }
}

Status SqliteConnection::AfterFailure(const Status& error, bool was_autocommit) {
  if (!was_autocommit || sqlite3_get_autocommit(db_) != 0) return error;
  sqlite3_exec(db_, "ROLLBACK", nullptr, nullptr, nullptr);
  return error.WithMessage(error.message() + " (the transaction these statements opened was rolled back)");
}

}  // namespace cutover::sqlite
