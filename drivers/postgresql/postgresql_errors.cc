// Errors of the PostgreSQL driver: what libpqxx throws and what libpq
// reports mapped to a Status (SQLSTATE kept in Status::Query's sqlstate, lost
// connections as kConnection, expired limits as kLockTimeout), and the
// Guarded() boundary every call that can throw goes through.
#include <libpq-fe.h>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdlib>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "base/strings.h"
#include "base/uri.h"
#include "postgresql_internal.h"

namespace cutover::postgresql {
namespace {

Status LockTimeoutStatus(std::string_view what, const std::string& state, const std::string& msg,
                         const ExecOptions& options) {
  std::string limit;
  if (state == "55P03") {
    limit = options.lock_timeout.count() > 0 ? "lock_timeout of " + Ms(options.lock_timeout) + " expired"
                                             : "a lock could not be obtained (server lock_timeout or NOWAIT)";
  } else {
    limit = options.statement_timeout.count() > 0
                ? "statement_timeout of " + Ms(options.statement_timeout) + " expired"
                : "the statement was canceled (server statement_timeout or a cancel request)";
  }
  return Status::LockTimeout(std::string(what) + ": " + limit + " (" + msg + ", SQLSTATE " + state +
                             "); retry when the blocking sessions are done, or raise the limit");
}

std::string Field(const PGresult* res, int code) {
  const char* v = res != nullptr ? PQresultErrorField(res, code) : nullptr;
  return v != nullptr ? CleanMessage(v) : std::string();
}

}  // namespace

std::string Ms(std::chrono::milliseconds ms) {
  return std::to_string(ms.count()) + " ms";
}

Status StatusFromException(std::string_view what, const ExecOptions& options, bool connection_open) {
  const std::string w(what);
  const char* reconnect = "; check that the server is running and reachable, then reconnect";
  try {
    throw;
  } catch (const pqxx::in_doubt_error& e) {
    return Status::Connection("connection lost while committing (" + w +
                              "): the transaction may or may not have been committed; check the database "
                              "before retrying (" +
                              CleanMessage(e.what()) + ")");
  } catch (const pqxx::broken_connection& e) {
    return Status::Connection("connection to the PostgreSQL server lost while " + w + ": " +
                              CleanMessage(e.what()) + reconnect);
  } catch (const pqxx::sql_error& e) {
    std::string state = e.sqlstate();
    std::string msg = CleanMessage(e.what());
    if (state == "55P03" || state == "57014") return LockTimeoutStatus(w, state, msg, options);
    if (StartsWith(state, "08") || state == "57P01" || state == "57P02" || state == "57P03" ||
        (!connection_open && state.empty())) {
      return Status::Connection("connection to the PostgreSQL server lost while " + w + ": " + msg +
                                reconnect);
    }
    return Status::Query(w + " failed: " + msg + (state.empty() ? "" : " (SQLSTATE " + state + ")"), state);
  } catch (const pqxx::deadlock_detected& e) {
    return Status::Query(
        w + " failed: " + CleanMessage(e.what()) + " (SQLSTATE 40P01); retry the transaction", "40P01");
  } catch (const pqxx::serialization_failure& e) {
    return Status::Query(
        w + " failed: " + CleanMessage(e.what()) + " (SQLSTATE 40001); retry the transaction", "40001");
  } catch (const pqxx::statement_completion_unknown& e) {
    return Status::Query(w + " failed: " + CleanMessage(e.what()) + " (SQLSTATE 40003)", "40003");
  } catch (const pqxx::transaction_rollback& e) {
    return Status::Query(w + " failed: " + CleanMessage(e.what()) + " (SQLSTATE 40000)", "40000");
  } catch (const pqxx::usage_error& e) {
    return Status::Internal("PostgreSQL driver misused libpqxx while " + w + ": " + CleanMessage(e.what()));
  } catch (const std::bad_alloc&) {
    return Status::Internal("out of memory while " + w);
  } catch (const std::exception& e) {
    if (!connection_open) {
      return Status::Connection("connection to the PostgreSQL server lost while " + w + ": " +
                                CleanMessage(e.what()) + reconnect);
    }
    return Status::Query(w + " failed: " + CleanMessage(e.what()));
  } catch (...) {
    return Status::Internal("unknown exception while " + w);
  }
}

Status ConnectionLost(PGconn* pg, const std::string& what) {
  std::string msg = CleanMessage(PQerrorMessage(pg));
  return Status::Connection("connection to the PostgreSQL server lost while " + what +
                            (msg.empty() ? "" : ": " + msg) +
                            "; check that the server is running and reachable, then reconnect");
}

Status StatusFromResult(PGconn* pg, const PGresult* res, const std::string& what) {
  const std::string state = Field(res, PG_DIAG_SQLSTATE);
  if (res == nullptr || (state.empty() && PQstatus(pg) == CONNECTION_BAD)) return ConnectionLost(pg, what);
  std::string msg = Field(res, PG_DIAG_MESSAGE_PRIMARY);
  if (msg.empty()) msg = CleanMessage(PQresultErrorMessage(res));
  if (std::string d = Field(res, PG_DIAG_MESSAGE_DETAIL); !d.empty()) msg += "; " + d;
  if (std::string c = Field(res, PG_DIAG_CONTEXT); !c.empty()) msg += " (" + c + ")";
  if (std::string h = Field(res, PG_DIAG_MESSAGE_HINT); !h.empty()) msg += "; hint: " + h;
  if (state == "55P03" || state == "57014") {
    return Status::LockTimeout(what + ": " + msg + " (SQLSTATE " + state +
                               "); retry when the blocking sessions are done, or raise the limit");
  }
  if (StartsWith(state, "08") || state == "57P01" || state == "57P02" || state == "57P03") {
    return Status::Connection("connection to the PostgreSQL server lost while " + what + ": " + msg +
                              "; check that the server is running and reachable, then reconnect");
  }
  return Status::Query(what + " failed: " + msg + (state.empty() ? "" : " (SQLSTATE " + state + ")"), state);
}

Status ConnectFailure(const ConnectionUri& uri, std::string_view raw) {
  std::string msg = CleanMessage(raw);
  if (msg.find("database \"") != std::string::npos && msg.find("does not exist") != std::string::npos) {
    return Status::NotFound("database '" + uri.database() + "' does not exist on " + uri.Redacted() + " (" +
                            msg + "); check the database name in the URI or create it");
  }
  if (msg.find("password authentication failed") != std::string::npos ||
      msg.find("no password supplied") != std::string::npos) {
    return Status::Connection("cannot connect to " + uri.Redacted() + ": " + msg +
                              "; check the user and the password (URI, PGPASSWORD or ~/.pgpass)");
  }
  return Status::Connection("cannot connect to " + uri.Redacted() + ": " + msg +
                            "; check that the server is running and that host, port and user are right");
}

Status GuardedFailure(const std::string& what, const GuardOptions& options, bool connection_open) {
  std::optional<Status> special;
  if (options.special) {
    try {
      throw;
    } catch (const std::exception& e) {
      special = options.special(e);
    } catch (...) {
    }
  }
  Status status = special ? *std::move(special) : StatusFromException(what, options.limits, connection_open);
  if (options.cleanup) options.cleanup();
  return status;
}

bool ExecUnless(pqxx::transaction_base& t, const std::string& sql, std::string_view state) {
  try {
    t.exec(sql);
    return true;
  } catch (const pqxx::sql_error& e) {
    if (state.empty() || e.sqlstate() != state) throw;
    return false;
  }
}

bool IsServerError(const std::exception& e) {
  return dynamic_cast<const pqxx::sql_error*>(&e) != nullptr;
}

std::string SqlState(const std::exception& e) {
  const auto* sql = dynamic_cast<const pqxx::sql_error*>(&e);
  return sql != nullptr ? sql->sqlstate() : std::string();
}

Status PgConnection::SessionFailure(const std::string& what, const GuardOptions& options) {
  const bool open = conn_->is_open();
  if (options.marks_transaction && in_tx_) tx_failed_ = true;
  Status st = GuardedFailure(what, options, open);
  // 57014 is both an expired statement_timeout and a cancel request; only
  // Cancel() sets the flag.
  if (cancel_requested_.exchange(false) && st.code() == StatusCode::kLockTimeout &&
      st.message().find("SQLSTATE 57014") != std::string::npos) {
    return Status::Cancelled(what + ": stopped by a cancel request");
  }
  return st;
}

}  // namespace cutover::postgresql
