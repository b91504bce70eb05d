// Errors of the MySQL/MariaDB driver: Connector/C++ exceptions mapped to a
// Status (the server's error number kept in Status::Query's sqlstate field,
// lost connections as kConnection, expired limits as kLockTimeout). The
// Guarded() boundary every Connector call goes through is in
// mysql_internal.h (a template).
#include <algorithm>
#include <atomic>
#include <cctype>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <span>
#include <string>
#include <string_view>
#include <thread>
#include <tuple>
#include <utility>
#include <vector>

#include "base/strings.h"
#include "base/uri.h"
#include "mysql_internal.h"

namespace cutover::mysql {

std::string ErrorSuffix(const sql::SQLException& e) {
  std::string out = " [MySQL error " + std::to_string(e.getErrorCode());
  const std::string& state = e.getSQLState();
  if (!state.empty()) out += ", SQLSTATE " + state;
  return out + "]";
}

std::string Message(const sql::SQLException& e) {
  std::string msg = ScrubSecrets(e.what());
  return msg.empty() ? std::string("(no message from the client library)") : msg;
}

Status MysqlConnection::BrokenStatus() const {
  return Status::Connection("the connection to " + display_uri_ +
                            " was lost earlier (server gone, connection killed or timed out); open a new "
                            "connection");
}

void MysqlConnection::NoteFailure(int code) {
  diagnostics_may_hold_errors_ = true;
  if (IsConnectionLoss(code)) broken_ = true;
}

Status MysqlConnection::MapError(const sql::SQLException& e, const ErrorContext& ctx) {
  int code = e.getErrorCode();
  NoteFailure(code);
  std::string msg = ctx.what + ": " + Message(e) + ErrorSuffix(e);
  std::string number = std::to_string(code);
  if (code == kErQueryInterrupted && cancel_requested_.exchange(false)) {
    return Status::Cancelled(ctx.what + ": stopped by a cancel request");
  }
  if (code == kErLockWaitTimeout) {
    std::string limit = ctx.options != nullptr && ctx.options->lock_timeout.count() > 0
                            ? "lock_timeout of " + std::to_string(ctx.options->lock_timeout.count()) +
                                  " ms (applied as " +
                                  std::to_string(LockSeconds(ctx.options->lock_timeout)) + " s)"
                            : "the server's lock_wait_timeout / innodb_lock_wait_timeout";
    return Status::LockTimeout(msg + ": the " + limit +
                               " expired while the statement waited for a lock held by another session; "
                               "retry when that session finishes or raise the lock timeout");
  }
  if (code == kErStatementTimeout || code == kErQueryTimeout) {
    std::string limit =
        ctx.options != nullptr && ctx.options->statement_timeout.count() > 0
            ? "statement_timeout of " + std::to_string(ctx.options->statement_timeout.count()) + " ms"
            : "the server's statement time limit (max_statement_time / max_execution_time)";
    return Status::LockTimeout(
        msg + ": the " + limit +
        " expired and the statement was cancelled; raise the statement timeout or make "
        "the statement cheaper");
  }
  if (IsConnectionLoss(code) || (code == 0 && ToLower(e.what()).find("closed") != std::string::npos)) {
    broken_ = true;
    return Status::Connection(msg +
                              ": the connection to the server was lost; check that the server is "
                              "running, then retry with a new connection");
  }
  if (code == 0) return Status::Internal(msg + ": error inside MySQL Connector/C++");
  return Status::Query(msg, number);
}

}  // namespace cutover::mysql
