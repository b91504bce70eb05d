// The MySQL/MariaDB driver plugin: MySQL Connector/C++ 1.1 (legacy API).
//
// Notes on Connector/C++ 1.1 behaviour this file depends on:
//  - A Statement of type TYPE_FORWARD_ONLY fetches with mysql_use_result:
//    one row at a time, memory bounded. Every other type buffers the whole
//    result (mysql_store_result); catalog queries use that on purpose.
//  - A forward-only ResultSet whose stream ends with an error (statement
//    timeout, KILL QUERY, lost connection) just returns false from next():
//    the error is silently dropped. Query() therefore asks the server with
//    SHOW ERRORS after every stream (a diagnostic statement, so it reads the
//    streamed statement's own diagnostics) and first clears stale errors left
//    by an earlier failed statement with a table-using no-op (a statement that
//    uses no table does not reset the diagnostics area).
//  - Every Connector method may throw sql::SQLException (error number in
//    getErrorCode(), SQLSTATE in getSQLState()); nothing escapes this file.
#include <cppconn/datatype.h>
#include <cppconn/exception.h>
#include <cppconn/resultset.h>
#include <cppconn/resultset_metadata.h>
#include <cppconn/statement.h>
#include <mysql_connection.h>
#include <mysql_driver.h>

#include <algorithm>
#include <cctype>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <thread>
#include <utility>
#include <vector>

#include "base/strings.h"
#include "base/uri.h"
#include "driver/driver.h"
#include "mysql_internal.h"

namespace cutover::mysql_driver {
namespace {

// Server and client error numbers the driver treats specially.
constexpr int kErDbCreateExists = 1007;
constexpr int kErDbAccessDenied = 1044;
constexpr int kErAccessDenied = 1045;
constexpr int kErBadDb = 1049;
constexpr int kErTooLongIdent = 1059;
constexpr int kErWrongDbName = 1102;
constexpr int kErLockWaitTimeout = 1205;
constexpr int kErAccessDeniedNoPassword = 1698;
constexpr int kErConnectionKilled = 1927;          // MariaDB
constexpr int kErStatementTimeout = 1969;          // MariaDB max_statement_time
constexpr int kErQueryTimeout = 3024;              // MySQL max_execution_time
constexpr int kErClientInteractionTimeout = 4031;  // MySQL 8.0.24+: disconnected for inactivity
constexpr int kCrConnectionError = 2002;
constexpr int kCrConnHostError = 2003;
constexpr int kCrUnknownHost = 2005;
constexpr int kCrServerGone = 2006;
constexpr int kCrServerLost = 2013;
constexpr int kCrServerLostExtended = 2055;

bool IsConnectionLoss(int code) {
  return code == kCrServerGone || code == kCrServerLost || code == kCrServerLostExtended ||
         code == kErConnectionKilled || code == kErClientInteractionTimeout || code == kCrConnectionError ||
         code == kCrConnHostError;
}

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

std::string FormatSeconds(std::chrono::milliseconds ms) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.3f", static_cast<double>(ms.count()) / 1000.0);
  return buf;
}

int ParseVersionNumber(std::string_view version) {
  int parts[3] = {0, 0, 0};
  size_t i = 0;
  for (int& part : parts) {
    while (i < version.size() && version[i] >= '0' && version[i] <= '9')
      part = part * 10 + (version[i++] - '0');
    if (i < version.size() && version[i] == '.') {
      ++i;
    } else {
      break;
    }
  }
  return parts[0] * 10000 + parts[1] * 100 + parts[2];
}

CellType CellTypeFor(int data_type) {
  switch (data_type) {
    case sql::DataType::BIT:
    case sql::DataType::TINYINT:
    case sql::DataType::SMALLINT:
    case sql::DataType::MEDIUMINT:
    case sql::DataType::INTEGER:
    case sql::DataType::BIGINT:
    case sql::DataType::YEAR: return CellType::kInteger;
    case sql::DataType::REAL:
    case sql::DataType::DOUBLE:
    case sql::DataType::DECIMAL:
    case sql::DataType::NUMERIC: return CellType::kReal;
    case sql::DataType::BINARY:
    case sql::DataType::VARBINARY:
    case sql::DataType::LONGVARBINARY:
    case sql::DataType::GEOMETRY: return CellType::kBlob;
    default: return CellType::kText;
  }
}

// The first keyword of a statement, upper-cased, after comments and "(".
std::string FirstKeyword(std::string_view sql) {
  size_t i = 0;
  while (i < sql.size()) {
    char c = sql[i];
    if (c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '(') {
      ++i;
    } else if (c == '#' || (c == '-' && i + 1 < sql.size() && sql[i + 1] == '-')) {
      while (i < sql.size() && sql[i] != '\n') ++i;
    } else if (c == '/' && i + 1 < sql.size() && sql[i + 1] == '*') {
      size_t end = sql.find("*/", i + 2);
      i = end == std::string_view::npos ? sql.size() : end + 2;
    } else {
      break;
    }
  }
  size_t start = i;
  while (i < sql.size() && std::isalpha(static_cast<unsigned char>(sql[i]))) ++i;
  return ToUpper(sql.substr(start, i - start));
}

// SHOW WARNINGS / SHOW ERRORS / SHOW COUNT(*) ...: they read the diagnostics
// area, so the driver must neither reset it before nor inspect it after.
bool IsDiagnosticStatement(std::string_view sql) {
  if (FirstKeyword(sql) != "SHOW") return false;
  std::string lowered = ToLower(sql);
  return lowered.find("warnings") != std::string::npos || lowered.find("errors") != std::string::npos;
}

// See LockWaits(): InnoDB's lock-wait tables are a snapshot the server
// refreshes only after 100 ms without readers.
constexpr std::chrono::milliseconds kInnodbSnapshotInterval{120};
std::mutex innodb_read_mutex;
std::chrono::steady_clock::time_point last_innodb_read;

bool MentionsSqlMode(std::string_view sql) {
  return ToLower(sql).find("sql_mode") != std::string::npos;
}

class MysqlConnection final : public Connection {
 public:
  MysqlConnection(std::unique_ptr<sql::Connection> conn, ConnectionUri uri)
      : conn_(std::move(conn)), uri_(std::move(uri)), display_uri_(uri_.Redacted()) {}

  ~MysqlConnection() override {
    try {
      if (conn_ && !conn_->isClosed()) conn_->close();
    } catch (...) {  // NOLINT(bugprone-empty-catch): nothing to report from a destructor
    }
  }

  // Reads version, session id, lower_case_table_names and sql_mode.
  Status Init() {
    return Guarded("reading the server version of " + display_uri_, nullptr, [&]() -> Status {
      std::unique_ptr<sql::Statement> st(conn_->createStatement());
      std::unique_ptr<sql::ResultSet> rs(st->executeQuery(
          "SELECT VERSION(), CONNECTION_ID(), @@lower_case_table_names, @@SESSION.sql_mode"));
      if (!rs->next()) return Status::Internal("SELECT VERSION() returned no row on " + display_uri_);
      std::string version = rs->getString(1);
      info_.version = version;
      info_.version_number = ParseVersionNumber(version);
      bool mariadb = ToLower(version).find("mariadb") != std::string::npos;
      info_.product = mariadb ? "MariaDB" : "MySQL";
      session_id_ = rs->getString(2);
      ctx_.database = uri_.database();
      ctx_.flavor = mariadb ? Flavor::kMariaDb : Flavor::kMySql;
      ctx_.version_number = info_.version_number;
      ctx_.lower_case_table_names = rs->getInt(3);
      ctx_.server_version = version;
      SetSqlMode(rs->getString(4));
      return Status::Ok();
    });
  }

  const ServerInfo& server_info() const override { return info_; }
  std::string display_uri() const override { return display_uri_; }

  std::string QuoteIdentifier(std::string_view name) const override { return QuoteIdent(name); }
  std::string QuoteLiteral(std::string_view value) const override {
    return QuoteString(value, ctx_.backslash_escapes);
  }

  Result<std::int64_t> Execute(std::string_view sql, const ExecOptions& options) override {
    std::int64_t affected = 0;
    std::string what = "statement '" + FirstLine(sql) + "' on " + display_uri_;
    Status st = Guarded(what, &options, [&]() -> Status {
      return WithLimits(sql, options, [&]() -> Status {
        auto count = RunAndDrain(sql);
        if (!count.ok()) return count.status();
        affected = *count;
        return Status::Ok();
      });
    });
    if (!st.ok()) return st;
    if (MentionsSqlMode(sql)) RefreshSqlMode();
    return affected;
  }

  Status ExecuteScript(std::string_view script) override {
    // Split everything first, so that a malformed script runs nothing. A
    // statement that turns NO_BACKSLASH_ESCAPES on or off changes how the
    // rest must be split: from there on, split lazily, one statement at a
    // time, with the mode then in force (as the mysql client does).
    auto all = SplitScript(script, ctx_.backslash_escapes);
    if (!all.ok() && !MentionsSqlMode(script)) return all.status().WithContext("script for " + display_uri_);
    bool lazy = !all.ok();
    size_t next = 0;    // eager: index in *all
    size_t offset = 0;  // lazy: where the rest of the script starts
    int line = 1;       // lazy: its line
    std::string delimiter = ";";
    while (true) {
      ScriptStatement s;
      if (!lazy) {
        if (next >= all->size()) break;
        s = (*all)[next++];
      } else {
        auto one = SplitScript(script.substr(offset), ctx_.backslash_escapes, line, delimiter, 1);
        if (!one.ok()) return one.status().WithContext("script for " + display_uri_);
        if (one->empty()) break;
        s = std::move(one->front());
        s.end += offset;
      }
      std::string what = "script line " + std::to_string(s.line) + ", statement '" + FirstLine(s.text) +
                         "' on " + display_uri_;
      CUTOVER_RETURN_IF_ERROR(
          Guarded(what, nullptr, [&]() -> Status { return RunAndDrain(s.text).status(); }));
      if (MentionsSqlMode(s.text)) {
        bool before = ctx_.backslash_escapes;
        RefreshSqlMode();
        if (ctx_.backslash_escapes != before) lazy = true;
      }
      offset = s.end;
      line = s.end_line;
      delimiter = s.delimiter_after;
    }
    return Status::Ok();
  }

  Status Query(std::string_view sql, const RowCallback& on_row, const ExecOptions& options) override {
    std::string what = "query '" + FirstLine(sql) + "' on " + display_uri_;
    return Guarded(what, &options, [&]() -> Status {
      return WithLimits(sql, options, [&]() { return Stream(sql, on_row); });
    });
  }

  Status Begin() override { return Simple("START TRANSACTION"); }
  Status Commit() override { return Simple("COMMIT"); }
  Status Rollback() override { return Simple("ROLLBACK"); }

  Result<SchemaModel> ReadSchema() override {
    if (ctx_.database.empty()) {
      return Status::InvalidInput("cannot read a schema from " + display_uri_ +
                                  ": the URI names no database; add one, e.g. mysql://host/dbname");
    }
    if (broken_) return BrokenStatus();
    CatalogQuery query = [this](const std::string& sql, const RowCallback& on_row) {
      return Guarded("catalog query on " + display_uri_, nullptr, [&]() { return Buffered(sql, on_row); });
    };
    return ReadSchemaWith(query, ctx_);
  }

  std::string SessionId() override { return session_id_; }

  Result<std::vector<LockWait>> LockWaits() override {
    if (ctx_.database.empty()) {
      return Status::InvalidInput("cannot list lock waits on " + display_uri_ +
                                  ": the URI names no database; add the database to watch");
    }
    std::vector<LockWait> waits;
    std::map<std::string, size_t> by_session;
    const std::string db = QuoteString(ctx_.database, ctx_.backslash_escapes);
    const bool mariadb = ctx_.flavor == Flavor::kMariaDb;
    const std::string waited_ms = mariadb ? "p.TIME_MS" : "p.TIME * 1000";
    // 1. Metadata and table lock waits: visible in the process list state.
    std::string mdl = "SELECT p.ID, p.STATE, " + waited_ms +
                      ", LEFT(p.INFO, 500) FROM information_schema.PROCESSLIST p WHERE p.DB = " + db +
                      " AND p.ID <> CONNECTION_ID() AND (p.STATE LIKE 'Waiting for %lock%' OR "
                      "p.STATE = 'Waiting for table flush')";
    Status st = Guarded("listing lock waits on " + display_uri_, nullptr, [&]() {
      return Buffered(mdl, [&](RowView row) {
        LockWait w;
        w.waiting_session = std::string(row[0].data);
        w.lock = std::string(row[1].data);
        w.waited =
            std::chrono::milliseconds(static_cast<std::int64_t>(std::atof(std::string(row[2].data).c_str())));
        w.query = std::string(row[3].data);
        by_session[w.waiting_session] = waits.size();
        waits.push_back(std::move(w));
        return Status::Ok();
      });
    });
    if (!st.ok()) return st;
    // 2. InnoDB row lock waits: the waiting transaction, who blocks it, on what.
    std::string row_locks;
    if (mariadb) {
      row_locks =
          "SELECT r.trx_mysql_thread_id, b.trx_mysql_thread_id, l.lock_mode, l.lock_table, p.TIME_MS, "
          "LEFT(r.trx_query, 500) FROM information_schema.INNODB_TRX r "
          "JOIN information_schema.PROCESSLIST p ON p.ID = r.trx_mysql_thread_id "
          "LEFT JOIN information_schema.INNODB_LOCK_WAITS w ON w.requesting_trx_id = r.trx_id "
          "LEFT JOIN information_schema.INNODB_TRX b ON b.trx_id = w.blocking_trx_id "
          "LEFT JOIN information_schema.INNODB_LOCKS l ON l.lock_id = w.requested_lock_id "
          "WHERE r.trx_state = 'LOCK WAIT' AND p.DB = " +
          db;
    } else {
      row_locks =
          "SELECT r.trx_mysql_thread_id, b.trx_mysql_thread_id, l.LOCK_MODE, "
          "CONCAT(l.OBJECT_SCHEMA, '.', l.OBJECT_NAME), p.TIME * 1000, LEFT(r.trx_query, 500) "
          "FROM information_schema.INNODB_TRX r "
          "JOIN information_schema.PROCESSLIST p ON p.ID = r.trx_mysql_thread_id "
          "LEFT JOIN performance_schema.data_lock_waits w ON w.REQUESTING_ENGINE_TRANSACTION_ID = r.trx_id "
          "LEFT JOIN information_schema.INNODB_TRX b ON b.trx_id = w.BLOCKING_ENGINE_TRANSACTION_ID "
          "LEFT JOIN performance_schema.data_locks l ON l.ENGINE_LOCK_ID = w.REQUESTING_ENGINE_LOCK_ID "
          "WHERE r.trx_state = 'LOCK WAIT' AND p.DB = " +
          db;
    }
    // The server refreshes its INNODB_TRX / INNODB_LOCK_WAITS snapshot only
    // when nobody read it during the previous 100 ms: polling faster would
    // see the same stale snapshot forever. Space this process's reads.
    std::unique_lock<std::mutex> pace(innodb_read_mutex);
    auto since = std::chrono::steady_clock::now() - last_innodb_read;
    if (since < kInnodbSnapshotInterval) std::this_thread::sleep_for(kInnodbSnapshotInterval - since);
    st = Guarded("listing InnoDB row lock waits on " + display_uri_, nullptr, [&]() {
      return Buffered(row_locks, [&](RowView row) {
        std::string waiting(row[0].data);
        std::string blocking = row[1].is_null() ? std::string() : std::string(row[1].data);
        auto it = by_session.find(waiting);
        if (it != by_session.end()) {  // several blockers: list them all
          LockWait& w = waits[it->second];
          if (!blocking.empty() &&
              ("," + w.blocking_session + ",").find("," + blocking + ",") == std::string::npos) {
            w.blocking_session += (w.blocking_session.empty() ? "" : ",") + blocking;
          }
          return Status::Ok();
        }
        LockWait w;
        w.waiting_session = waiting;
        w.blocking_session = blocking;
        w.lock = row[2].is_null() ? std::string("row lock") : "row lock " + std::string(row[2].data);
        if (!row[3].is_null()) w.object = UnqualifiedObject(row[3].data);
        w.waited =
            std::chrono::milliseconds(static_cast<std::int64_t>(std::atof(std::string(row[4].data).c_str())));
        w.query = row[5].is_null() ? std::string() : std::string(row[5].data);
        by_session[waiting] = waits.size();
        waits.push_back(std::move(w));
        return Status::Ok();
      });
    });
    last_innodb_read = std::chrono::steady_clock::now();
    if (!st.ok()) return st;
    return waits;
  }

 private:
  struct ErrorContext {
    const std::string& what;
    const ExecOptions* options;
  };

  void SetSqlMode(const std::string& mode) {
    ctx_.backslash_escapes = ToUpper(mode).find("NO_BACKSLASH_ESCAPES") == std::string::npos;
  }

  void RefreshSqlMode() {
    if (broken_) return;
    try {
      std::unique_ptr<sql::Statement> st(conn_->createStatement());
      std::unique_ptr<sql::ResultSet> rs(st->executeQuery("SELECT @@SESSION.sql_mode"));
      if (rs->next()) SetSqlMode(rs->getString(1));
    } catch (const sql::SQLException& e) {
      NoteFailure(e.getErrorCode());
    } catch (...) {  // NOLINT(bugprone-empty-catch): the next statement reports a lost connection
    }
  }

  // "`db`.`t`" or "db.t" -> "t" when db is the connected database.
  std::string UnqualifiedObject(std::string_view object) const {
    std::string s(object);
    for (const std::string& prefix : {QuoteIdent(ctx_.database) + ".", ctx_.database + "."}) {
      if (StartsWith(s, prefix)) s = s.substr(prefix.size());
    }
    if (s.size() >= 2 && s.front() == '`' && s.back() == '`')
      s = ReplaceAll(s.substr(1, s.size() - 2), "``", "`");
    return s;
  }

  Status BrokenStatus() const {
    return Status::Connection("the connection to " + display_uri_ +
                              " was lost earlier (server gone, connection killed or timed out); open a new "
                              "connection");
  }

  void NoteFailure(int code) {
    diagnostics_may_hold_errors_ = true;
    if (IsConnectionLoss(code)) broken_ = true;
  }

  Status MapError(const sql::SQLException& e, const ErrorContext& ctx) {
    int code = e.getErrorCode();
    NoteFailure(code);
    std::string msg = ctx.what + ": " + Message(e) + ErrorSuffix(e);
    std::string number = std::to_string(code);
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

  template <typename Fn>
  Status Guarded(const std::string& what, const ExecOptions* options, Fn&& fn) {
    if (broken_) return BrokenStatus().WithContext(what);
    try {
      return fn();
    } catch (const sql::SQLException& e) {
      return MapError(e, ErrorContext{what, options});
    } catch (const std::exception& e) {
      diagnostics_may_hold_errors_ = true;
      return Status::Internal(what + ": " + ScrubSecrets(e.what()));
    } catch (...) {
      diagnostics_may_hold_errors_ = true;
      return Status::Internal(what + ": unknown exception from MySQL Connector/C++");
    }
  }

  Status Simple(const char* sql) {
    return Guarded(std::string(sql) + " on " + display_uri_, nullptr,
                   [&]() -> Status { return RunAndDrain(sql).status(); });
  }

  static int LockSeconds(std::chrono::milliseconds ms) {
    return static_cast<int>(std::max<std::int64_t>(1, (ms.count() + 999) / 1000));
  }

  // Applies the limits of `options` to this session, runs body, restores the
  // previous values. Throws sql::SQLException from the SET statements.
  template <typename Body>
  Status WithLimits(std::string_view sql, const ExecOptions& options, Body&& body) {
    std::vector<std::string> set, restore;
    if (options.lock_timeout.count() > 0) {
      std::string secs = std::to_string(LockSeconds(options.lock_timeout));
      set.push_back("@cutover_saved_lwt = @@SESSION.lock_wait_timeout");
      set.push_back("@cutover_saved_ilwt = @@SESSION.innodb_lock_wait_timeout");
      set.push_back("SESSION lock_wait_timeout = " + secs);
      set.push_back("SESSION innodb_lock_wait_timeout = " + secs);
      restore.push_back("SESSION lock_wait_timeout = @cutover_saved_lwt");
      restore.push_back("SESSION innodb_lock_wait_timeout = @cutover_saved_ilwt");
    }
    if (options.statement_timeout.count() > 0) {
      if (ctx_.flavor == Flavor::kMariaDb) {
        set.push_back("@cutover_saved_mst = @@SESSION.max_statement_time");
        set.push_back("SESSION max_statement_time = " + FormatSeconds(options.statement_timeout));
        restore.push_back("SESSION max_statement_time = @cutover_saved_mst");
      } else {
        std::string keyword = FirstKeyword(sql);
        if (keyword != "SELECT" && keyword != "WITH") {
          return Status::Unsupported(
              "MySQL can only limit the run time of SELECT statements (max_execution_time); '" +
              FirstLine(sql) +
              "' cannot get a statement_timeout: run it without one, or rely on lock_timeout");
        }
        set.push_back("@cutover_saved_met = @@SESSION.max_execution_time");
        set.push_back("SESSION max_execution_time = " + std::to_string(options.statement_timeout.count()));
        restore.push_back("SESSION max_execution_time = @cutover_saved_met");
      }
    }
    if (set.empty()) return body();
    CUTOVER_RETURN_IF_ERROR(RunAndDrain("SET " + Join(set, ", ")).status());
    const std::string restore_sql = "SET " + Join(restore, ", ");
    Status result;
    try {
      result = body();
    } catch (...) {
      // Restore the previous limits, then report the statement's own error.
      if (!broken_) {
        try {
          (void)RunAndDrain(restore_sql);
        } catch (const sql::SQLException& e) {
          NoteFailure(e.getErrorCode());
        } catch (...) {  // NOLINT(bugprone-empty-catch): the original error is the one to report
        }
      }
      throw;
    }
    if (!broken_) {
      try {
        Status restored = RunAndDrain(restore_sql).status();
        if (result.ok()) result = restored;
      } catch (const sql::SQLException& e) {
        NoteFailure(e.getErrorCode());
        if (result.ok()) throw;
      }
    }
    return result;
  }

  // Runs one statement, discarding result sets; returns the affected rows.
  // Throws sql::SQLException.
  Result<std::int64_t> RunAndDrain(std::string_view sql) {
    const bool diagnostic = IsDiagnosticStatement(sql);
    if (!diagnostic) ClearDiagnostics();
    std::unique_ptr<sql::Statement> st(conn_->createStatement());
    st->setResultSetType(sql::ResultSet::TYPE_FORWARD_ONLY);
    bool has_rows = st->execute(sql::SQLString(sql.data(), sql.size()));
    std::optional<std::int64_t> affected;
    bool had_rows = false;
    while (true) {
      if (has_rows) {
        std::unique_ptr<sql::ResultSet> rs(st->getResultSet());  // freeing it drains the rows
        had_rows = true;
      } else {
        std::uint64_t count = st->getUpdateCount();
        if (count == UINT64_MAX) break;
        if (!affected) affected = static_cast<std::int64_t>(count);
      }
      has_rows = st->getMoreResults();
    }
    if (had_rows && !diagnostic) CUTOVER_RETURN_IF_ERROR(CheckStreamErrors("its result rows"));
    return affected.value_or(0);
  }

  // After a forward-only result ended: did it end because of an error?
  Status CheckStreamErrors(const std::string& what) {
    std::unique_ptr<sql::Statement> st(conn_->createStatement());
    std::unique_ptr<sql::ResultSet> rs(st->executeQuery("SHOW ERRORS"));
    if (rs->next()) {
      int code = rs->getInt(2);
      std::string message = rs->getString(3);
      diagnostics_may_hold_errors_ = true;
      throw sql::SQLException(message + " (the server ended the result with this error after " + what + ")",
                              "", code);
    }
    return Status::Ok();
  }

  void ClearDiagnostics() {
    if (!diagnostics_may_hold_errors_) return;
    std::unique_ptr<sql::Statement> st(conn_->createStatement());
    // A statement that uses a (derived) table resets the diagnostics area;
    // DO / SET / SELECT without a table do not.
    st->execute("DO (SELECT 1 FROM (SELECT 1) AS cutover_reset_diagnostics)");
    diagnostics_may_hold_errors_ = false;
  }

  Status Stream(std::string_view sql, const RowCallback& on_row) {
    const bool diagnostic = IsDiagnosticStatement(sql);
    if (!diagnostic) ClearDiagnostics();
    std::unique_ptr<sql::Statement> st(conn_->createStatement());
    st->setResultSetType(sql::ResultSet::TYPE_FORWARD_ONLY);
    bool has_rows = st->execute(sql::SQLString(sql.data(), sql.size()));
    Status callback_status;
    bool first_result = true;
    std::uint64_t delivered = 0;
    while (true) {
      if (has_rows) {
        std::unique_ptr<sql::ResultSet> rs(st->getResultSet());
        if (first_result && callback_status.ok()) {
          sql::ResultSetMetaData* meta = rs->getMetaData();
          const unsigned n = meta->getColumnCount();
          std::vector<CellType> types(n);
          for (unsigned i = 0; i < n; ++i) types[i] = CellTypeFor(meta->getColumnType(i + 1));
          std::vector<std::string> values(n);
          std::vector<Cell> cells(n);
          while (rs->next()) {
            for (unsigned i = 0; i < n; ++i) {
              if (rs->isNull(i + 1)) {
                values[i].clear();
                cells[i] = Cell{CellType::kNull, {}};
              } else {
                values[i] = rs->getString(i + 1).asStdString();
                cells[i] = Cell{types[i], values[i]};
              }
            }
            ++delivered;
            callback_status = on_row(RowView(cells.data(), cells.size()));
            if (!callback_status.ok()) break;
          }
        }
        first_result = false;
      } else if (st->getUpdateCount() == UINT64_MAX) {
        break;
      } else {
        first_result = false;
      }
      has_rows = st->getMoreResults();
    }
    if (!callback_status.ok()) return callback_status;
    if (diagnostic) return Status::Ok();
    return CheckStreamErrors(std::to_string(delivered) + " rows");
  }

  // A buffered query (mysql_store_result): errors are reported, memory is
  // the size of the result. For catalog queries only.
  Status Buffered(const std::string& sql, const RowCallback& on_row) {
    std::unique_ptr<sql::Statement> st(conn_->createStatement());
    std::unique_ptr<sql::ResultSet> rs(st->executeQuery(sql));
    const unsigned n = rs->getMetaData()->getColumnCount();
    std::vector<std::string> values(n);
    std::vector<Cell> cells(n);
    while (rs->next()) {
      for (unsigned i = 0; i < n; ++i) {
        if (rs->isNull(i + 1)) {
          cells[i] = Cell{CellType::kNull, {}};
        } else {
          values[i] = rs->getString(i + 1).asStdString();
          cells[i] = Cell{CellType::kText, values[i]};
        }
      }
      CUTOVER_RETURN_IF_ERROR(on_row(RowView(cells.data(), cells.size())));
    }
    return Status::Ok();
  }

  std::unique_ptr<sql::Connection> conn_;
  ConnectionUri uri_;
  std::string display_uri_;
  ServerInfo info_;
  SchemaContext ctx_;
  std::string session_id_;
  bool broken_ = false;
  bool diagnostics_may_hold_errors_ = false;
};

class MysqlDriver final : public Driver {
 public:
  MysqlDriver() {
    info_.name = "mysql";
    info_.schemes = {"mysql", "mariadb"};
    info_.driver_version = CUTOVER_VERSION;
    try {
      driver_ = sql::mysql::get_mysql_driver_instance();  // initializes the C client library once
      info_.client_library = "MySQL Connector/C++ " + std::to_string(driver_->getMajorVersion()) + "." +
                             std::to_string(driver_->getMinorVersion()) + "." +
                             std::to_string(driver_->getPatchVersion());
    } catch (const std::exception& e) {
      init_error_ = ScrubSecrets(e.what());
      info_.client_library = "MySQL Connector/C++ (failed to initialize)";
    } catch (...) {
      init_error_ = "unknown exception";
      info_.client_library = "MySQL Connector/C++ (failed to initialize)";
    }
  }

  const DriverInfo& info() const override { return info_; }

  Result<std::unique_ptr<Connection>> Connect(const ConnectionUri& uri) override {
    auto conn = Open(uri);
    if (!conn.ok()) return conn.status();
    auto c = std::make_unique<MysqlConnection>(std::move(*conn), uri);
    CUTOVER_RETURN_IF_ERROR(c->Init());
    return std::unique_ptr<Connection>(std::move(c));
  }

  Result<ConnectionUri> CreateDatabase(const ConnectionUri& server, std::string_view name) override {
    CUTOVER_RETURN_IF_ERROR(CheckName(name));
    ConnectionUri target = server.WithDatabase(name);
    Status st = OnServer(server, "creating database '" + std::string(name) + "' on", [&](sql::Statement& s) {
      s.execute("CREATE DATABASE " + QuoteIdent(name) + " CHARACTER SET utf8mb4");
    });
    if (!st.ok()) {
      if (st.sqlstate() == std::to_string(kErDbCreateExists)) {
        return Status::Query(
            st.message() + ": the database already exists; pick another name or drop it first",
            st.sqlstate());
      }
      if (st.sqlstate() == std::to_string(kErWrongDbName) ||
          st.sqlstate() == std::to_string(kErTooLongIdent)) {
        return Status::InvalidInput(st.message() +
                                    ": database names have at most 64 characters and cannot end "
                                    "with a space");
      }
      return st;
    }
    return target;
  }

  Status DropDatabase(const ConnectionUri& server, std::string_view name) override {
    CUTOVER_RETURN_IF_ERROR(CheckName(name));
    return OnServer(server, "dropping database '" + std::string(name) + "' on",
                    [&](sql::Statement& s) { s.execute("DROP DATABASE IF EXISTS " + QuoteIdent(name)); });
  }

  Result<std::vector<std::string>> ListDatabases(const ConnectionUri& server,
                                                 std::string_view prefix) override {
    std::vector<std::string> names;
    Status st = OnServer(server, "listing databases on", [&](sql::Statement& s) {
      std::unique_ptr<sql::ResultSet> rs(
          s.executeQuery("SELECT SCHEMA_NAME FROM information_schema.SCHEMATA"));
      while (rs->next()) {
        std::string name = rs->getString(1);
        if (StartsWith(name, prefix)) names.push_back(std::move(name));
      }
    });
    if (!st.ok()) return st;
    std::sort(names.begin(), names.end());
    return names;
  }

 private:
  static Status CheckName(std::string_view name) {
    if (name.empty()) return Status::InvalidInput("empty database name");
    if (name.find('\0') != std::string_view::npos)
      return Status::InvalidInput("database name contains a NUL byte");
    return Status::Ok();
  }

  // Opens a raw Connector connection for the URI. All errors mapped.
  Result<std::unique_ptr<sql::Connection>> Open(const ConnectionUri& uri) {
    const std::string shown = uri.Redacted();
    if (driver_ == nullptr) {
      return Status::Internal("MySQL Connector/C++ failed to initialize (" + init_error_ + "); cannot open " +
                              shown);
    }
    if (uri.driver_scheme() != "mysql") {
      return Status::InvalidInput(shown + " is not a mysql:// or mariadb:// URI");
    }
    sql::ConnectOptionsMap options;
    std::optional<std::string> socket;
    int connect_timeout = 10;
    for (const auto& [key, value] : uri.params()) {
      if (key == "socket") {
        if (value.empty()) return Status::InvalidInput(shown + ": the socket parameter is empty");
        socket = value;
      } else if (key == "connect_timeout") {
        char* end = nullptr;
        long v = std::strtol(value.c_str(), &end, 10);
        if (value.empty() || *end != '\0' || v <= 0 || v > 3600) {
          return Status::InvalidInput(
              shown + ": connect_timeout must be a number of seconds from 1 to 3600, not '" + value + "'");
        }
        connect_timeout = static_cast<int>(v);
      } else {
        return Status::InvalidInput(shown + ": unknown parameter '" + key +
                                    "'; the mysql driver accepts socket=/path/to/mysqld.sock and "
                                    "connect_timeout=SECONDS");
      }
    }
    if (socket) {
      if (!uri.host().empty() && uri.host() != "localhost") {
        return Status::InvalidInput(shown +
                                    ": both a host and socket= are given; use mysql://user@localhost/db"
                                    "?socket=/path or leave the host empty");
      }
      options["hostName"] = sql::SQLString("localhost");
      options["socket"] = sql::SQLString(*socket);
    } else {
      std::string host = uri.host().empty() ? "localhost" : uri.host();
      if (host.find(':') != std::string::npos) host = "tcp://[" + host + "]";
      options["hostName"] = sql::SQLString(host);
      options["port"] = uri.port().value_or(3306);
    }
    options["userName"] = sql::SQLString(uri.user());
    std::string password;
    if (uri.password()) {
      password = *uri.password();
    } else if (const char* env = std::getenv("MYSQL_PWD")) {
      password = env;
    }
    options["password"] = sql::SQLString(password);
    if (!uri.database().empty()) options["schema"] = sql::SQLString(uri.database());
    options["OPT_RECONNECT"] = false;
    options["CLIENT_MULTI_STATEMENTS"] = true;
    options["OPT_CONNECT_TIMEOUT"] = connect_timeout;
    options["OPT_CHARSET_NAME"] = sql::SQLString("utf8mb4");
    try {
      driver_->threadInit();
      return std::unique_ptr<sql::Connection>(driver_->connect(options));
    } catch (const sql::SQLException& e) {
      int code = e.getErrorCode();
      std::string msg = "cannot connect to " + shown + ": " + Message(e) + ErrorSuffix(e);
      if (code == kErAccessDenied || code == kErDbAccessDenied || code == kErAccessDeniedNoPassword) {
        return Status::Connection(msg +
                                  ": check the user name and password (in the URI or MYSQL_PWD) and the "
                                  "user's privileges");
      }
      if (code == kErBadDb) {
        return Status::NotFound(msg + ": database '" + uri.database() +
                                "' does not exist on that server; check the name or create it");
      }
      if (code == kCrConnectionError || code == kCrConnHostError || code == kCrUnknownHost) {
        return Status::Connection(msg +
                                  ": check that the server is running and the host, port or socket is "
                                  "right");
      }
      return Status::Connection(msg);
    } catch (const std::exception& e) {
      return Status::Connection("cannot connect to " + shown + ": " + ScrubSecrets(e.what()));
    } catch (...) {
      return Status::Connection("cannot connect to " + shown +
                                ": unknown exception from MySQL Connector/C++");
    }
  }

  // Runs fn on a server-level connection (no database selected).
  template <typename Fn>
  Status OnServer(const ConnectionUri& server, const std::string& what, Fn&& fn) {
    ConnectionUri server_only = server.WithDatabase("");
    auto conn = Open(server_only);
    if (!conn.ok()) return conn.status();
    const std::string context = what + " " + server_only.Redacted();
    try {
      std::unique_ptr<sql::Statement> st((*conn)->createStatement());
      fn(*st);
      return Status::Ok();
    } catch (const sql::SQLException& e) {
      std::string msg = context + ": " + Message(e) + ErrorSuffix(e);
      if (IsConnectionLoss(e.getErrorCode())) return Status::Connection(msg);
      return Status::Query(msg, std::to_string(e.getErrorCode()));
    } catch (const std::exception& e) {
      return Status::Internal(context + ": " + ScrubSecrets(e.what()));
    } catch (...) {
      return Status::Internal(context + ": unknown exception from MySQL Connector/C++");
    }
  }

  DriverInfo info_;
  sql::mysql::MySQL_Driver* driver_ = nullptr;
  std::string init_error_;
};

Driver* MakeMysqlDriver() {
  try {
    return new MysqlDriver();
  } catch (...) {
    return nullptr;
  }
}

}  // namespace
}  // namespace cutover::mysql_driver

CUTOVER_DEFINE_DRIVER_ENTRY("mysql", &::cutover::mysql_driver::MakeMysqlDriver)
