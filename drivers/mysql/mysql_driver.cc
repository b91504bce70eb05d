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
#include <atomic>
#include <cctype>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
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
#include "driver/driver.h"
#include "mysql_bulk_array_insert.h"
#include "mysql_internal.h"

namespace cutover::mysql {
namespace {

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

// sql_mode of snapshot, export and schema-dump sessions: no mode that
// changes the text of values or of SHOW CREATE output (PAD_CHAR_TO_FULL_LENGTH,
// ANSI_QUOTES, NO_BACKSLASH_ESCAPES...).
constexpr const char* kDataSqlMode = "NO_AUTO_VALUE_ON_ZERO,NO_ENGINE_SUBSTITUTION";
// sql_mode of loading sessions: strict, so a value that does not fit fails
// (LOAD DATA LOCAL turns those errors into warnings, which ImportRows checks);
// no NO_ZERO_DATE / NO_ZERO_IN_DATE, so zero dates load as they were dumped;
// ALLOW_INVALID_DATES, so dates a source stored under it load too;
// NO_AUTO_VALUE_ON_ZERO, so a stored 0 in an AUTO_INCREMENT column stays 0.
constexpr const char* kLoadSqlMode =
    "STRICT_ALL_TABLES,NO_AUTO_VALUE_ON_ZERO,NO_ENGINE_SUBSTITUTION,ALLOW_INVALID_DATES";

bool MentionsSqlMode(std::string_view sql) {
  return ToLower(sql).find("sql_mode") != std::string::npos;
}

// The endpoint and credentials of a URI, its parameters checked: socket=,
// connect_timeout=, local_infile= and array_insert= (both read where they
// apply). The password comes from the URI or MYSQL_PWD.
Result<Endpoint> ParseEndpoint(const ConnectionUri& uri) {
  const std::string shown = uri.Redacted();
  Endpoint e;
  for (const auto& [key, value] : uri.params()) {
    if (key == "socket") {
      if (value.empty()) return Status::InvalidInput(shown + ": the socket parameter is empty");
      e.socket = value;
    } else if (key == "connect_timeout") {
      char* end = nullptr;
      long v = std::strtol(value.c_str(), &end, 10);
      if (value.empty() || *end != '\0' || v <= 0 || v > 3600) {
        return Status::InvalidInput(
            shown + ": connect_timeout must be a number of seconds from 1 to 3600, not '" + value + "'");
      }
      e.connect_timeout_s = static_cast<int>(v);
    } else if (key == "local_infile" || key == "array_insert") {
      if (value != "0" && value != "1" && value != "true" && value != "false" && value != "on" &&
          value != "off") {
        return Status::InvalidInput(shown + ": " + key + " must be 0 or 1, not '" + value + "'");
      }
    } else {
      return Status::InvalidInput(shown + ": unknown parameter '" + key +
                                  "'; the mysql driver accepts socket=/path/to/mysqld.sock, "
                                  "connect_timeout=SECONDS, local_infile=0|1 and array_insert=0|1");
    }
  }
  if (e.socket) {
    if (!uri.host().empty() && uri.host() != "localhost") {
      return Status::InvalidInput(shown +
                                  ": both a host and socket= are given; use mysql://user@localhost/db"
                                  "?socket=/path or leave the host empty");
    }
    e.host = "localhost";
  } else {
    e.host = uri.host().empty() ? "localhost" : uri.host();
    e.port = uri.port().value_or(3306);
  }
  e.user = uri.user();
  if (uri.password()) {
    e.password = *uri.password();
  } else if (const char* env = std::getenv("MYSQL_PWD")) {
    e.password = env;
  }
  e.database = uri.database();
  return e;
}

// A boolean URI parameter (validated by ParseEndpoint), `fallback` when absent.
bool FlagParam(const ConnectionUri& uri, const std::string& key, bool fallback) {
  for (const auto& [k, value] : uri.params()) {
    if (k == key) return value == "1" || value == "true" || value == "on";
  }
  return fallback;
}

// Opens another raw connection to the same URI, with or without the client
// capability for LOAD DATA LOCAL INFILE.
using Opener = std::function<Result<std::unique_ptr<sql::Connection>>(bool local_infile)>;

class MysqlConnection final : public Connection {
 public:
  // `opener` is empty for auxiliary connections (barrier, loader), which
  // never open further ones. `local_infile` is false when the URI says
  // local_infile=0: ImportRows then always loads with INSERT.
  MysqlConnection(std::unique_ptr<sql::Connection> conn, ConnectionUri uri, Opener opener = {},
                  bool local_infile = false)
      : conn_(std::move(conn)),
        uri_(std::move(uri)),
        display_uri_(uri_.Redacted()),
        opener_(std::move(opener)),
        local_infile_(local_infile),
        array_insert_(FlagParam(uri_, "array_insert", true)) {}

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
      SplitStatement s;
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

  // ---- Migration lock: GET_LOCK is session-level (COMMIT does not release
  // it) and the server releases it when the connection ends.
  Status AcquireMigrationLock(std::chrono::milliseconds wait) override {
    if (migration_lock_held_) return Status::Ok();
    if (ctx_.database.empty()) {
      return Status::InvalidInput("cannot take the cutover migration lock on " + display_uri_ +
                                  ": the URI names no database; add the database to migrate");
    }
    std::string name = "cutover:" + ctx_.database;
    if (name.size() > 64) {  // MySQL refuses lock names over 64 characters
      std::uint64_t h = 1469598103934665603ULL;
      for (char c : name) h = (h ^ static_cast<unsigned char>(c)) * 1099511628211ULL;
      char hex[17];
      std::snprintf(hex, sizeof hex, "%016llx", static_cast<unsigned long long>(h));
      name = std::string("cutover:") + hex;
    }
    const std::string lit = QuoteString(name, ctx_.backslash_escapes);
    const std::string secs = ctx_.flavor == Flavor::kMariaDb
                                 ? FormatSeconds(wait)
                                 : std::to_string((std::max<std::int64_t>(0, wait.count()) + 999) / 1000);
    const std::string what = "taking the cutover migration lock '" + name + "' on " + display_uri_;
    std::string got = "<null>";
    CUTOVER_RETURN_IF_ERROR(Guarded(what, nullptr, [&]() -> Status {
      return Buffered("SELECT GET_LOCK(" + lit + ", " + secs + ")", [&](RowView row) {
        got = row[0].is_null() ? "<null>" : std::string(row[0].data);
        return Status::Ok();
      });
    }));
    if (got == "1") {
      migration_lock_held_ = true;
      migration_lock_name_ = name;
      return Status::Ok();
    }
    if (got != "0") {
      return Status::Query(what +
                           ": GET_LOCK returned NULL (the session was killed or the server is out "
                           "of memory); retry with a new connection");
    }
    std::string holder = "another session";
    (void)Guarded(what, nullptr, [&]() -> Status {
      return Buffered(
          "SELECT p.ID, p.USER, p.HOST, p.TIME FROM information_schema.PROCESSLIST p WHERE p.ID = "
          "IS_USED_LOCK(" +
              lit + ")",
          [&](RowView row) {
            auto text = [&](size_t i) { return row[i].is_null() ? "" : std::string(row[i].data); };
            holder = "connection id " + text(0) + " (user " + text(1) + ", from " + text(2) +
                     ", connected for " + text(3) + " s)";
            return Status::Ok();
          });
    });
    return Status::LockTimeout("another cutover apply holds the migration lock on " + display_uri_ + ": " +
                               holder + " (GET_LOCK '" + name + "'); waited " + std::to_string(wait.count()) +
                               " ms. Wait for that run to finish, or check that it is still alive "
                               "(SHOW PROCESSLIST) before killing it");
  }

  Status ReleaseMigrationLock() override {
    if (!migration_lock_held_) return Status::Ok();
    migration_lock_held_ = false;
    const std::string lit = QuoteString(migration_lock_name_, ctx_.backslash_escapes);
    return Guarded("releasing the cutover migration lock on " + display_uri_, nullptr, [&]() -> Status {
      return Buffered("SELECT RELEASE_LOCK(" + lit + ")", [](RowView) { return Status::Ok(); });
    });
  }

  bool TransactionalDdl() const override { return false; }

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

  // ---- Snapshots --------------------------------------------------------
  //
  // The barrier is held on a separate connection: on MariaDB it is BACKUP
  // STAGE START + BLOCK_COMMIT, on MySQL FLUSH TABLES WITH READ LOCK. BACKUP
  // STAGE is preferred on MariaDB because it does not flush tables: FTWRL
  // waits for every running statement (a long report query) to finish while
  // blocking all writers behind it; BLOCK_COMMIT only waits for commits in
  // progress and then holds commits (and writes to non-transactional
  // tables), which is all a consistent point needs. BACKUP STAGE END
  // implicitly commits the session's transaction, which is why the barrier
  // cannot share the coordinator's session. Closing the barrier connection
  // releases it too, so a crashed run never leaves the server locked.

  bool SupportsSharedSnapshot() const override { return true; }

  Result<SnapshotPoint> BeginSnapshot(const SnapshotOptions& options) override {
    CUTOVER_RETURN_IF_ERROR(RequireDatabase("take a snapshot of"));
    if (in_snapshot_ || barrier_) {
      return Status::InvalidInput("a snapshot is already open on " + display_uri_ +
                                  "; call EndSnapshot first");
    }
    const std::string what = "starting a snapshot of " + display_uri_;
    CUTOVER_RETURN_IF_ERROR(PinDataSession(what));
    auto nontx = Fetch(
        "SELECT t.TABLE_NAME, COALESCE(t.ENGINE, 'unknown engine') FROM information_schema.TABLES t "
        "LEFT JOIN information_schema.ENGINES e ON e.ENGINE = t.ENGINE WHERE t.TABLE_SCHEMA = " +
            DbLiteral() +
            " AND t.TABLE_TYPE IN ('BASE TABLE', 'SYSTEM VERSIONED') AND COALESCE(e.TRANSACTIONS, 'NO') <> "
            "'YES'",
        "listing the non-transactional tables of " + display_uri_);
    if (!nontx.ok()) return nontx.status();
    std::vector<std::string> locked;
    for (const TextRow& r : *nontx) locked.push_back(QuoteIdent(Col(r, 0)) + " (" + Col(r, 1) + ")");
    std::sort(locked.begin(), locked.end());
    if (!locked.empty() && !options.lock_nontransactional_tables) {
      std::vector<std::string> shown(locked.begin(),
                                     locked.begin() + std::min<std::ptrdiff_t>(20, locked.size()));
      if (locked.size() > shown.size())
        shown.push_back("and " + std::to_string(locked.size() - shown.size()) + " more");
      return Status::InvalidInput(
          "database '" + ctx_.database + "' on " + display_uri_ + " has " + std::to_string(locked.size()) +
          " table(s) of non-transactional engines, which a consistent snapshot cannot read without blocking "
          "writes: " +
          Join(shown, ", ") +
          "; convert them to InnoDB, or pass --lock-nontransactional to hold a read lock that blocks all "
          "writes on the server until the snapshot ends");
    }
    auto barrier = OpenAuxiliary(false);
    if (!barrier.ok()) return barrier.status().WithContext(what);
    ExecOptions lock_options;
    lock_options.lock_timeout = options.lock_timeout;
    const bool mariadb = ctx_.flavor == Flavor::kMariaDb;
    const std::vector<std::string> take =
        mariadb ? std::vector<std::string>{"BACKUP STAGE START", "BACKUP STAGE BLOCK_COMMIT"}
                : std::vector<std::string>{"FLUSH TABLES WITH READ LOCK"};
    for (const std::string& sql : take) {
      auto r = (*barrier)->Execute(sql, lock_options);
      if (!r.ok()) {
        Status st = r.status();
        if (st.sqlstate() == std::to_string(kErSpecificAccessDenied)) {
          return Status::Query(st.message() + ": a snapshot needs the RELOAD privilege for " + sql +
                                   "; grant it to this user or snapshot as a user who has it",
                               st.sqlstate());
        }
        if (st.code() == StatusCode::kLockTimeout) {
          return Status::LockTimeout(what + ": " + st.message() + " (" + sql +
                                     " waits for a backup running on the server, mariabackup or another "
                                     "snapshot, only one at a time; for LOCK TABLES ... WRITE; for DDL in "
                                     "progress" +
                                     (mariadb ? "" : "; for any long-running statement") + ")");
        }
        return st.WithContext(what);
      }
    }
    barrier_ = std::move(*barrier);
    // While the barrier holds every commit on the server, this session's
    // metadata-lock waits (SHOW CREATE, information_schema behind a pending
    // DDL) must fail after the snapshot's lock timeout, not the server's
    // lock_wait_timeout (a day by default).
    Status st = LimitLockWaits(options.lock_timeout, what);
    if (st.ok()) st = StartSnapshotTransaction(what);
    Result<std::map<std::string, std::string>> position = std::map<std::string, std::string>{};
    if (st.ok()) {
      position = ReadPosition();
      if (!position.ok()) st = position.status();
    }
    if (!st.ok()) {
      (void)Run("ROLLBACK", what);
      (void)RestoreLockWaits(what);
      barrier_.reset();  // closing the session releases the barrier
      return st;
    }
    in_snapshot_ = true;
    hold_barrier_until_end_ = !locked.empty();
    SnapshotPoint point;
    point.token = "lock_timeout_ms=" + std::to_string(options.lock_timeout.count());
    point.position = std::move(*position);
    if (hold_barrier_until_end_)
      point.position["nontransactional_tables_locked"] = std::to_string(locked.size());
    return point;
  }

  Status JoinSnapshot(const SnapshotPoint& point) override {
    CUTOVER_RETURN_IF_ERROR(RequireDatabase("join a snapshot of"));
    if (in_snapshot_) {
      return Status::InvalidInput("a snapshot is already open on " + display_uri_ +
                                  "; call EndSnapshot first");
    }
    const std::string what = "joining the snapshot on " + display_uri_;
    CUTOVER_RETURN_IF_ERROR(PinDataSession(what));
    // The coordinator's lock timeout (BeginSnapshot's token): workers join
    // while the barrier is held, so their waits must be bounded the same way.
    constexpr std::string_view kLockTimeoutKey = "lock_timeout_ms=";
    if (point.token.rfind(kLockTimeoutKey, 0) == 0) {
      const long long ms = std::atoll(point.token.c_str() + kLockTimeoutKey.size());
      if (ms > 0) CUTOVER_RETURN_IF_ERROR(LimitLockWaits(std::chrono::milliseconds(ms), what));
    }
    CUTOVER_RETURN_IF_ERROR(StartSnapshotTransaction(what));
    in_snapshot_ = true;
    return Status::Ok();
  }

  // With lock_nontransactional_tables (and such tables present) the barrier
  // stays until EndSnapshot: the non-transactional tables are read after
  // this call and only the barrier keeps them consistent. All writes on the
  // server wait until then; that is the price of the option.
  Status ReleaseSnapshotBarrier() override {
    if (!barrier_ || hold_barrier_until_end_) return Status::Ok();
    Status st = ReleaseBarrier();
    Status unlimited = RestoreLockWaits("releasing the snapshot barrier on " + display_uri_);
    return st.ok() ? unlimited : st;
  }

  Status EndSnapshot() override {
    Status result;
    if (in_snapshot_) {
      in_snapshot_ = false;
      result = Run("ROLLBACK", "ending the snapshot transaction on " + display_uri_);
    }
    if (barrier_) {
      Status released = ReleaseBarrier();
      if (result.ok()) result = released;
    }
    Status unlimited = RestoreLockWaits("ending the snapshot on " + display_uri_);
    if (result.ok()) result = unlimited;
    hold_barrier_until_end_ = false;
    return result;
  }

  Result<std::vector<DataTable>> ListDataTables() override {
    CUTOVER_RETURN_IF_ERROR(RequireDatabase("list the tables of"));
    const std::string what = "listing the tables of " + display_uri_;
    auto tables = Fetch(
        "SELECT TABLE_NAME, TABLE_ROWS, DATA_LENGTH FROM information_schema.TABLES WHERE TABLE_SCHEMA = " +
            DbLiteral() + " AND TABLE_TYPE IN ('BASE TABLE', 'SYSTEM VERSIONED')",
        what);
    if (!tables.ok()) return tables.status();
    auto columns = Fetch(
        "SELECT TABLE_NAME, COLUMN_NAME, ORDINAL_POSITION, DATA_TYPE, IS_NULLABLE, EXTRA, "
        "GENERATION_EXPRESSION FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = " +
            DbLiteral(),
        what);
    if (!columns.ok()) return columns.status();
    auto indexes = Fetch(
        "SELECT TABLE_NAME, INDEX_NAME, NON_UNIQUE, COLUMN_NAME, SEQ_IN_INDEX "
        "FROM information_schema.STATISTICS WHERE TABLE_SCHEMA = " +
            DbLiteral(),
        what);
    if (!indexes.ok()) return indexes.status();

    struct ColumnRow {
      long long position;
      std::string name;
      std::string type;
      bool not_null;
    };
    std::map<std::string, std::vector<ColumnRow>> columns_of;
    for (const TextRow& r : *columns) {
      if (IsGeneratedColumn(Col(r, 5), Col(r, 6))) continue;
      columns_of[Col(r, 0)].push_back(
          {std::atoll(Col(r, 2).c_str()), Col(r, 1), ToLower(Col(r, 3)), Col(r, 4) == "NO"});
    }
    // The key parts of every index, by (table, index name).
    std::map<std::pair<std::string, std::string>, std::vector<const TextRow*>> parts_of;
    for (const TextRow& r : *indexes) parts_of[{Col(r, 0), Col(r, 1)}].push_back(&r);

    std::vector<DataTable> out;
    for (const TextRow& r : *tables) {
      DataTable t;
      t.name = Col(r, 0);
      t.estimated_rows = std::atoll(Col(r, 1).c_str());
      t.estimated_bytes = std::atoll(Col(r, 2).c_str());
      auto& cols = columns_of[t.name];
      std::sort(cols.begin(), cols.end(),
                [](const ColumnRow& a, const ColumnRow& b) { return a.position < b.position; });
      std::map<std::string, const ColumnRow*> by_name;
      for (const ColumnRow& c : cols) {
        t.columns.push_back(c.name);
        by_name[ToLower(c.name)] = &c;
      }
      // The split column: the primary key if it is one integer column, else
      // the first (by name) unique single-column index on a NOT NULL integer.
      std::string best_index;
      for (const auto& [key, parts] : parts_of) {
        if (key.first != t.name || parts.size() != 1 || Col(*parts[0], 2) != "0") continue;
        auto it = by_name.find(ToLower(Col(*parts[0], 3)));
        if (it == by_name.end() || !it->second->not_null || !IsIntegerType(it->second->type)) continue;
        const bool primary = key.second == "PRIMARY";
        if (best_index.empty() || primary || (best_index != "PRIMARY" && key.second < best_index)) {
          best_index = key.second;
          t.split_column = it->second->name;
        }
      }
      out.push_back(std::move(t));
    }
    std::sort(out.begin(), out.end(), [](const DataTable& a, const DataTable& b) { return a.name < b.name; });
    return out;
  }

  Result<SchemaScript> DumpSchemaScript() override {
    CUTOVER_RETURN_IF_ERROR(RequireDatabase("dump the schema of"));
    const std::string what = "dumping the schema of " + display_uri_;
    // SHOW CREATE output depends on sql_mode (quoting, options) and on the
    // time zone (TIMESTAMP defaults): dump and restore under the same ones.
    CUTOVER_RETURN_IF_ERROR(PinDataSession(what));
    SchemaScript script;
    std::string& pre = script.pre_data;
    std::string& post = script.post_data;
    const std::string header = "-- cutover schema script for " + info_.product + " " + info_.version +
                               ", database " + QuoteIdent(ctx_.database) + "\n";
    const std::string save =
        "SET @cutover_saved_sql_mode = @@SESSION.sql_mode, @cutover_saved_time_zone = @@SESSION.time_zone, "
        "@cutover_saved_fk_checks = @@SESSION.foreign_key_checks;\n"
        "SET NAMES utf8mb4;\n";
    const std::string data_mode = "SET SESSION sql_mode = '" + std::string(kDataSqlMode) + "';\n";
    const std::string settings = "SET SESSION sql_mode = '" + std::string(kDataSqlMode) +
                                 "', SESSION time_zone = '+00:00', SESSION foreign_key_checks = 0;\n";
    const std::string restore =
        "SET SESSION sql_mode = @cutover_saved_sql_mode, SESSION time_zone = @cutover_saved_time_zone, "
        "SESSION foreign_key_checks = @cutover_saved_fk_checks;\n";
    pre = header + "-- pre-data: tables and sequences, without foreign keys\n" + save + settings;
    post = header +
           "-- post-data: deferred secondary keys, foreign keys, routines, views, triggers, events\n" + save +
           settings;

    auto schemata = Fetch(
        "SELECT DEFAULT_CHARACTER_SET_NAME, DEFAULT_COLLATION_NAME FROM information_schema.SCHEMATA WHERE "
        "SCHEMA_NAME = " +
            DbLiteral(),
        what);
    if (!schemata.ok()) return schemata.status();
    if (!schemata->empty()) {
      pre += "ALTER DATABASE CHARACTER SET " + Col((*schemata)[0], 0) + " COLLATE " + Col((*schemata)[0], 1) +
             ";\n";
    }

    auto objects = Fetch(
        "SELECT TABLE_NAME, TABLE_TYPE, ENGINE, CREATE_OPTIONS, DATA_LENGTH FROM information_schema.TABLES "
        "WHERE TABLE_SCHEMA = " +
            DbLiteral(),
        what);
    if (!objects.ok()) return objects.status();
    std::vector<std::string> tables, views, sequences;
    std::set<std::string> implicit_page_checksum;
    // Tables too big for the bulk load (UseBulkLoad, same estimate as
    // ListDataTables) get their secondary keys after the data.
    std::set<std::string> defer_keys;
    for (const TextRow& r : *objects) {
      const std::string type = Col(r, 1);
      if (type == "BASE TABLE" || type == "SYSTEM VERSIONED") {
        tables.push_back(Col(r, 0));
        if (type == "BASE TABLE" && Col(r, 2) == "InnoDB" &&
            std::atoll(Col(r, 4).c_str()) > kBulkLoadMaxBytes)
          defer_keys.insert(Col(r, 0));
        if (Col(r, 2) == "Aria" && ToLower(Col(r, 3)).find("page_checksum") == std::string::npos) {
          implicit_page_checksum.insert(Col(r, 0));
        }
      } else if (type == "VIEW") {
        views.push_back(Col(r, 0));
      } else if (type == "SEQUENCE") {
        sequences.push_back(Col(r, 0));
      }
    }
    std::sort(tables.begin(), tables.end());
    std::sort(views.begin(), views.end());
    std::sort(sequences.begin(), sequences.end());

    // Sequences first: column defaults may call NEXTVAL on them.
    for (const std::string& s : sequences) {
      auto create = ShowCreate("SHOW CREATE SEQUENCE " + QuoteIdent(s), 1, "sequence " + QuoteIdent(s));
      if (!create.ok()) return create.status();
      pre += *create + ";\n";
      auto state = Fetch("SELECT next_not_cached_value, cycle_count FROM " + QuoteIdent(s),
                         "reading the position of sequence " + QuoteIdent(s) + " on " + display_uri_);
      if (!state.ok()) return state.status();
      if (!state->empty()) {
        // is_used = 0: the restored sequence hands out next_not_cached_value
        // next, as the source would after a restart.
        pre += "DO SETVAL(" + QuoteIdent(s) + ", " + Col((*state)[0], 0) + ", 0, " + Col((*state)[0], 1) +
               ");\n";
      }
    }
    std::vector<std::string> foreign_keys, secondary_keys;
    for (const std::string& t : tables) {
      auto create = ShowCreate("SHOW CREATE TABLE " + QuoteIdent(t), 1, "table " + QuoteIdent(t));
      if (!create.ok()) return create.status();
      std::string statement = RemoveDatabaseQualifier(*create, ctx_.database);
      if (implicit_page_checksum.count(t) > 0) statement = DropTableOption(statement, "PAGE_CHECKSUM=1");
      auto parts = SplitCreateTable(statement, defer_keys.count(t) > 0);
      if (!parts.ok()) return parts.status().WithContext("table " + QuoteIdent(t));
      pre += parts->create_table + ";\n";
      if (!parts->secondary_keys.empty()) {
        std::vector<std::string> adds;
        for (const std::string& key : parts->secondary_keys) adds.push_back("ADD " + key);
        secondary_keys.push_back("ALTER TABLE " + QuoteIdent(t) + " " + Join(adds, ", ") + ";\n");
      }
      if (!parts->foreign_keys.empty()) {
        std::vector<std::string> adds;
        for (const std::string& fk : parts->foreign_keys) adds.push_back("ADD " + fk);
        foreign_keys.push_back("ALTER TABLE " + QuoteIdent(t) + " " + Join(adds, ", ") + ";\n");
      }
    }
    pre += restore;

    // Foreign keys without validating the loaded rows (foreign_key_checks =
    // 0 lets InnoDB add them in place instead of copying the table);
    // CheckIntegrity looks for orphans instead. Deferred secondary keys
    // first: a foreign key needs an index on its columns and would create
    // one of its own if none existed yet.
    for (const std::string& keys : secondary_keys) post += keys;
    for (const std::string& fk : foreign_keys) post += fk;

    // Routines before views (a view may call a function); bodies are not
    // resolved at creation, so routines need no order among themselves.
    auto routines = Fetch(
        "SELECT ROUTINE_NAME, ROUTINE_TYPE, SQL_MODE FROM information_schema.ROUTINES "
        "WHERE ROUTINE_SCHEMA = " +
            DbLiteral() + " AND ROUTINE_TYPE IN ('PROCEDURE', 'FUNCTION')",
        what);
    if (!routines.ok()) return routines.status();
    std::sort(routines->begin(), routines->end(), [](const TextRow& a, const TextRow& b) {
      return std::make_pair(Col(a, 1), Col(a, 0)) < std::make_pair(Col(b, 1), Col(b, 0));
    });
    for (const TextRow& r : *routines) {
      const std::string kind = Col(r, 1);
      auto create = ShowCreate("SHOW CREATE " + kind + " " + QuoteIdent(Col(r, 0)), 2,
                               ToLower(kind) + " " + QuoteIdent(Col(r, 0)));
      if (!create.ok()) return create.status();
      post += ModeLine(Col(r, 2)) + DelimitedBlock(StripDefiner(*create));
    }

    std::vector<std::string> view_sql;
    for (const std::string& v : views) {
      auto create = ShowCreate("SHOW CREATE VIEW " + QuoteIdent(v), 1, "view " + QuoteIdent(v));
      if (!create.ok()) return create.status();
      view_sql.push_back(StripDefiner(*create));
    }
    if (!views.empty()) post += data_mode;
    for (size_t i : OrderViews(views, view_sql)) post += view_sql[i] + ";\n";

    // Triggers on one table, timing and event fire in creation order.
    auto triggers = Fetch(
        "SELECT TRIGGER_NAME, EVENT_OBJECT_TABLE, ACTION_TIMING, EVENT_MANIPULATION, ACTION_ORDER, SQL_MODE "
        "FROM information_schema.TRIGGERS WHERE TRIGGER_SCHEMA = " +
            DbLiteral(),
        what);
    if (!triggers.ok()) return triggers.status();
    std::sort(triggers->begin(), triggers->end(), [](const TextRow& a, const TextRow& b) {
      auto key = [](const TextRow& r) {
        return std::make_tuple(Col(r, 1), Col(r, 2), Col(r, 3), std::atoll(Col(r, 4).c_str()), Col(r, 0));
      };
      return key(a) < key(b);
    });
    std::set<std::string> seen_triggers;
    for (const TextRow& r : *triggers) {
      if (!seen_triggers.insert(Col(r, 0)).second) continue;  // one row per event of a multi-event trigger
      auto create =
          ShowCreate("SHOW CREATE TRIGGER " + QuoteIdent(Col(r, 0)), 2, "trigger " + QuoteIdent(Col(r, 0)));
      if (!create.ok()) return create.status();
      post += ModeLine(Col(r, 5)) + DelimitedBlock(StripDefiner(*create));
    }

    auto events =
        Fetch("SELECT EVENT_NAME FROM information_schema.EVENTS WHERE EVENT_SCHEMA = " + DbLiteral(), what);
    if (!events.ok()) return events.status();
    std::sort(events->begin(), events->end());
    for (const TextRow& r : *events) {
      const std::string name = QuoteIdent(Col(r, 0));
      auto rows = Fetch("SHOW CREATE EVENT " + name,
                        "reading the definition of event " + name + " on " + display_uri_);
      if (!rows.ok()) return rows.status();
      if (rows->empty() || rows->front().size() < 4 || !rows->front()[3]) {
        return Status::Query("reading the definition of event " + name + " on " + display_uri_ +
                             ": the server showed none; the user needs the EVENT privilege on the database");
      }
      const TextRow& e = (*rows)[0];
      // The schedule's times are in the event's own time zone.
      post += "SET SESSION time_zone = " + QuoteString(Col(e, 2), true) + ";\n" + ModeLine(Col(e, 1)) +
              DelimitedBlock(StripDefiner(Col(e, 3))) + "SET SESSION time_zone = '+00:00';\n";
    }
    post += restore;
    return script;
  }

  // ---- Bulk data ----------------------------------------------------------

  Status ExportRows(const DataTable& table, std::string_view predicate,
                    const RecordCallback& on_record) override {
    CUTOVER_RETURN_IF_ERROR(RequireDatabase("export rows from"));
    const std::string what = "exporting table " + QuoteIdent(table.name) + " from " + display_uri_;
    auto types = ColumnTypes(table, what);
    if (!types.ok()) return types.status();
    std::string sql = "SELECT ";
    for (size_t i = 0; i < table.columns.size(); ++i) {
      if (i > 0) sql += ", ";
      sql += ExportExpression(QuoteIdent(table.columns[i]), (*types)[i]);
    }
    sql += " FROM " + QuoteIdent(table.name);
    if (!Trim(predicate).empty()) sql += " WHERE " + std::string(predicate);
    // Every setting that changes a value's text is pinned here, not only in
    // BeginSnapshot: a restore test exports from a fresh connection and must
    // produce the same bytes.
    CUTOVER_RETURN_IF_ERROR(PinDataSession(what));
    CUTOVER_RETURN_IF_ERROR(Run("SET SESSION character_set_results = binary", what));
    Status st = Guarded(what, nullptr, [&]() { return StreamRecords(sql, table.columns.size(), on_record); });
    if (broken_) return st;
    Status reset = Run("SET SESSION character_set_results = utf8mb4", what);
    return st.ok() ? reset : st;
  }

  Result<std::int64_t> ImportRows(const DataTable& table, const RecordBatchSource& next_batch) override {
    CUTOVER_RETURN_IF_ERROR(RequireDatabase("load rows into"));
    const std::string label = "table " + QuoteIdent(table.name);
    const std::string what = "loading " + label + " into " + display_uri_;
    // The loading session first: its errors come before any record is taken.
    ArrayInsertSession* array = nullptr;
    if (array_insert_ && ctx_.flavor == Flavor::kMariaDb) {
      auto session = ArrayLoader();
      if (session.ok()) {
        array = *session;
      } else if (session.status().code() != StatusCode::kUnsupported) {
        return session.status().WithContext(what);
      } else {
        array_insert_ = false;  // a MariaDB before 10.2: LOAD DATA from now on
      }
    }
    MysqlConnection* loader = nullptr;
    if (array == nullptr) {
      auto opened = Loader(local_infile_ && !local_infile_refused_);
      if (!opened.ok()) return opened.status().WithContext(what);
      loader = *opened;
    }
    auto types = ColumnTypes(table, what);
    if (!types.ok()) return types.status();
    const LoadTarget target = MakeLoadTarget(table, *types);
    auto first = next_batch();
    if (!first.ok()) return first.status();
    if (first->empty()) return std::int64_t{0};
    if (array != nullptr) return ArrayInsertRows(*array, table, target, *first, next_batch);
    MysqlConnection& ld = *loader;
    if (ld.local_infile_capable_ && !local_infile_refused_) {
      bool refused = false;
      auto loaded = LoadDataLocal(ld, table, target, *first, next_batch, &refused);
      if (!refused) return loaded;
      local_infile_refused_ = true;
      NoteInsertFallback(loaded.status());
    }
    return InsertRows(ld, table, target, *first, next_batch);
  }

  Result<std::string> SnapshotImagePath() override {
    return Status::Unsupported("MySQL/MariaDB databases are snapshot as records, not as a file image");
  }

  Result<bool> IsEmptyDatabase() override {
    CUTOVER_RETURN_IF_ERROR(RequireDatabase("inspect"));
    const std::string db = DbLiteral();
    auto rows =
        Fetch("SELECT (SELECT COUNT(*) FROM information_schema.TABLES WHERE TABLE_SCHEMA = " + db +
                  " AND TABLE_TYPE <> 'TEMPORARY') + (SELECT COUNT(*) FROM information_schema.ROUTINES WHERE "
                  "ROUTINE_SCHEMA = " +
                  db + ") + (SELECT COUNT(*) FROM information_schema.TRIGGERS WHERE TRIGGER_SCHEMA = " + db +
                  ") + (SELECT COUNT(*) FROM information_schema.EVENTS WHERE EVENT_SCHEMA = " + db + ")",
              "checking whether " + display_uri_ + " is empty");
    if (!rows.ok()) return rows.status();
    return rows->empty() || Col((*rows)[0], 0) == "0";
  }

  Result<std::vector<std::string>> CheckIntegrity(std::string* checks_run) override {
    CUTOVER_RETURN_IF_ERROR(RequireDatabase("check"));
    const std::string what = "checking the integrity of " + display_uri_;
    auto tables =
        Fetch("SELECT TABLE_NAME FROM information_schema.TABLES WHERE TABLE_SCHEMA = " + DbLiteral() +
                  " AND TABLE_TYPE IN ('BASE TABLE', 'SYSTEM VERSIONED')",
              what);
    if (!tables.ok()) return tables.status();
    std::vector<std::string> names;
    for (const TextRow& r : *tables) names.push_back(Col(r, 0));
    std::sort(names.begin(), names.end());
    std::vector<std::string> problems;
    std::set<std::string> not_checkable;
    constexpr size_t kTablesPerStatement = 50;
    const std::string prefix = ctx_.database + ".";
    for (size_t at = 0; at < names.size(); at += kTablesPerStatement) {
      std::vector<std::string> quoted;
      for (size_t k = at; k < std::min(names.size(), at + kTablesPerStatement); ++k)
        quoted.push_back(QuoteIdent(names[k]));
      auto rows = Fetch("CHECK TABLE " + Join(quoted, ", "), what);
      if (!rows.ok()) return rows.status();
      for (const TextRow& r : *rows) {
        std::string table = Col(r, 0);
        if (StartsWith(table, prefix)) table = table.substr(prefix.size());
        const std::string type = ToLower(Col(r, 2));
        const std::string text = Col(r, 3);
        if (type == "status" && (text == "OK" || text == "Table is already up to date")) continue;
        if (type == "note" && ToLower(text).find("doesn't support check") != std::string::npos) {
          not_checkable.insert(table);
          continue;
        }
        problems.push_back("table " + QuoteIdent(table) + ": CHECK TABLE reported " + type + ": " + text);
      }
    }
    // Foreign keys are added after loading without validating the rows
    // (see DumpSchemaScript): look for rows whose parent is missing.
    auto fks = Fetch(
        "SELECT TABLE_NAME, CONSTRAINT_NAME, COLUMN_NAME, REFERENCED_TABLE_SCHEMA, REFERENCED_TABLE_NAME, "
        "REFERENCED_COLUMN_NAME, ORDINAL_POSITION FROM information_schema.KEY_COLUMN_USAGE WHERE "
        "TABLE_SCHEMA = " +
            DbLiteral() + " AND REFERENCED_TABLE_NAME IS NOT NULL",
        what);
    if (!fks.ok()) return fks.status();
    std::map<std::pair<std::string, std::string>, std::vector<const TextRow*>> by_fk;
    for (const TextRow& r : *fks) by_fk[{Col(r, 0), Col(r, 1)}].push_back(&r);
    for (auto& [key, parts] : by_fk) {
      std::sort(parts.begin(), parts.end(), [](const TextRow* a, const TextRow* b) {
        return std::atoll(Col(*a, 6).c_str()) < std::atoll(Col(*b, 6).c_str());
      });
      const TextRow& first = *parts.front();
      std::string parent = QuoteIdent(Col(first, 4));
      if (Col(first, 3) != ctx_.database) parent = QuoteIdent(Col(first, 3)) + "." + parent;
      std::vector<std::string> not_null, match;
      for (const TextRow* p : parts) {
        not_null.push_back("c." + QuoteIdent(Col(*p, 2)) + " IS NOT NULL");
        match.push_back("p." + QuoteIdent(Col(*p, 5)) + " = c." + QuoteIdent(Col(*p, 2)));
      }
      auto orphans =
          Fetch("SELECT COUNT(*) FROM " + QuoteIdent(key.first) + " c WHERE " + Join(not_null, " AND ") +
                    " AND NOT EXISTS (SELECT 1 FROM " + parent + " p WHERE " + Join(match, " AND ") + ")",
                what);
      if (!orphans.ok()) return orphans.status();
      const std::string count = orphans->empty() ? "0" : Col((*orphans)[0], 0);
      if (count != "0") {
        problems.push_back("table " + QuoteIdent(key.first) + ": " + count + " row(s) violate foreign key " +
                           QuoteIdent(key.second) + " (no matching row in " + parent + ")");
      }
    }
    if (checks_run != nullptr) {
      *checks_run = "CHECK TABLE on " + std::to_string(names.size() - not_checkable.size()) + " tables";
      if (!not_checkable.empty()) {
        *checks_run += " (" + std::to_string(not_checkable.size()) + " more whose engine has no CHECK TABLE)";
      }
      *checks_run += "; foreign key orphan check on " + std::to_string(by_fk.size()) + " constraints";
    }
    return problems;
  }

 private:
  using TextRow = std::vector<std::optional<std::string>>;

  // What ExportRows/ImportRows need to know about one column.
  struct ColumnType {
    std::string data_type;   // DATA_TYPE, lower case
    bool has_scale = false;  // FLOAT(M,D) / DOUBLE(M,D)
  };

  // The column list and SET clause of LOAD DATA, and how INSERT wraps values.
  struct LoadTarget {
    std::string column_list;                           // "`a`, @cutover_v1, `c`"
    std::string set_clause;                            // " SET `b` = CAST(@cutover_v1 AS UNSIGNED)" or ""
    std::vector<std::string> insert_columns;           // quoted names
    std::vector<std::string> wrap_before, wrap_after;  // around a value literal in INSERT
  };

  static std::string Col(const TextRow& r, size_t i) { return i < r.size() && r[i] ? *r[i] : std::string(); }

  static bool IsIntegerType(const std::string& t) {
    return t == "tinyint" || t == "smallint" || t == "mediumint" || t == "int" || t == "integer" ||
           t == "bigint";
  }

  static bool IsGeneratedColumn(const std::string& extra, const std::string& generation) {
    if (generation.empty()) return false;
    std::string e = ToLower(extra);
    return e.find("virtual") != std::string::npos || e.find("stored") != std::string::npos ||
           e.find("persistent") != std::string::npos;
  }

  Status RequireDatabase(const std::string& action) const {
    if (!ctx_.database.empty()) return Status::Ok();
    return Status::InvalidInput("cannot " + action + " " + display_uri_ +
                                ": the URI names no database; add one, e.g. mysql://host/dbname");
  }

  std::string DbLiteral() const { return QuoteString(ctx_.database, ctx_.backslash_escapes); }

  Status Run(std::string_view sql, const std::string& what) {
    return Guarded(what, nullptr, [&]() { return RunAndDrain(sql).status(); });
  }

  Result<std::vector<TextRow>> Fetch(const std::string& sql, const std::string& what) {
    std::vector<TextRow> rows;
    Status st = Guarded(what, nullptr, [&]() {
      return Buffered(sql, [&](RowView row) {
        TextRow copy;
        copy.reserve(row.size());
        for (const Cell& c : row) {
          if (c.is_null()) {
            copy.emplace_back(std::nullopt);
          } else {
            copy.emplace_back(std::string(c.data));
          }
        }
        rows.push_back(std::move(copy));
        return Status::Ok();
      });
    });
    if (!st.ok()) return st;
    return rows;
  }

  // The statement column of a SHOW CREATE ... row.
  Result<std::string> ShowCreate(const std::string& sql, size_t column, const std::string& object) {
    auto rows = Fetch(sql, "reading the definition of " + object + " on " + display_uri_);
    if (!rows.ok()) return rows.status();
    if (rows->empty() || column >= (*rows)[0].size() || !(*rows)[0][column]) {
      return Status::Query("reading the definition of " + object + " on " + display_uri_ +
                           ": the server showed none; the user needs privileges to see it (SELECT on "
                           "mysql.proc / SHOW CREATE ROUTINE for routines, TRIGGER for triggers)");
    }
    return *(*rows)[0][column];
  }

  static std::string ModeLine(const std::string& sql_mode) {
    return "SET SESSION sql_mode = " + QuoteString(sql_mode, true) + ";\n";
  }

  static std::string DelimitedBlock(const std::string& statement) {
    std::string d = ChooseDelimiter(statement);
    return "DELIMITER " + d + "\n" + statement + " " + d + "\nDELIMITER ;\n";
  }

  // Session settings of every snapshot, export and schema-dump session: the
  // text form of TIMESTAMP values and of SHOW CREATE output depends on them.
  Status PinDataSession(const std::string& what) {
    CUTOVER_RETURN_IF_ERROR(Run("SET NAMES utf8mb4", what));
    CUTOVER_RETURN_IF_ERROR(Run(
        "SET SESSION time_zone = '+00:00', SESSION sql_mode = '" + std::string(kDataSqlMode) + "'", what));
    SetSqlMode(kDataSqlMode);
    return Status::Ok();
  }

  // Sets this session's lock_wait_timeout (metadata locks) to `timeout`,
  // rounded up to whole seconds, saving the value to put back.
  Status LimitLockWaits(std::chrono::milliseconds timeout, const std::string& what) {
    if (timeout.count() <= 0) return Status::Ok();
    const long long secs = std::max<long long>(1, (timeout.count() + 999) / 1000);
    if (!lock_waits_limited_) {
      CUTOVER_RETURN_IF_ERROR(Run("SET @cutover_snapshot_saved_lwt = @@SESSION.lock_wait_timeout", what));
    }
    CUTOVER_RETURN_IF_ERROR(Run("SET SESSION lock_wait_timeout = " + std::to_string(secs), what));
    lock_waits_limited_ = true;
    return Status::Ok();
  }
  Status RestoreLockWaits(const std::string& what) {
    if (!lock_waits_limited_) return Status::Ok();
    lock_waits_limited_ = false;
    return Run("SET SESSION lock_wait_timeout = @cutover_snapshot_saved_lwt", what);
  }
  Status StartSnapshotTransaction(const std::string& what) {
    CUTOVER_RETURN_IF_ERROR(Run("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ", what));
    return Run("START TRANSACTION WITH CONSISTENT SNAPSHOT, READ ONLY", what);
  }

  Result<std::map<std::string, std::string>> ReadPosition() {
    std::map<std::string, std::string> pos;
    const std::string what = "reading the binary log position of " + display_uri_;
    auto log_bin = Fetch("SELECT @@GLOBAL.log_bin", what);
    if (!log_bin.ok()) return log_bin.status();
    const std::string on = log_bin->empty() ? "" : ToUpper(Col((*log_bin)[0], 0));
    if (on != "1" && on != "ON") {
      pos["binlog"] = "off";
      return pos;
    }
    const bool mariadb = ctx_.flavor == Flavor::kMariaDb;
    const std::string show =
        !mariadb && ctx_.version_number >= 80200 ? "SHOW BINARY LOG STATUS" : "SHOW MASTER STATUS";
    auto status = Fetch(show, what);
    if (!status.ok()) {
      return Status::Query(status.status().message() + ": reading the position needs the " +
                               (mariadb ? "BINLOG MONITOR" : "REPLICATION CLIENT") + " privilege",
                           status.status().sqlstate());
    }
    if (status->empty()) {
      pos["binlog"] = "off";
      return pos;
    }
    pos["binlog_file"] = Col((*status)[0], 0);
    pos["binlog_position"] = Col((*status)[0], 1);
    auto gtid = Fetch(mariadb ? "SELECT @@GLOBAL.gtid_binlog_pos" : "SELECT @@GLOBAL.gtid_executed", what);
    if (!gtid.ok()) return gtid.status();
    pos["gtid"] = gtid->empty() ? "" : Col((*gtid)[0], 0);
    return pos;
  }

  Status ReleaseBarrier() {
    const std::string sql = ctx_.flavor == Flavor::kMariaDb ? "BACKUP STAGE END" : "UNLOCK TABLES";
    Status st = barrier_->Run(sql, "releasing the snapshot barrier (" + sql + ") on " + display_uri_);
    barrier_.reset();  // closing the session releases whatever is left
    return st;
  }

  Result<std::unique_ptr<MysqlConnection>> OpenAuxiliary(bool local_infile) {
    if (!opener_)
      return Status::Internal("this connection to " + display_uri_ + " cannot open helper connections");
    auto raw = opener_(local_infile);
    if (!raw.ok()) return raw.status();
    auto c = std::make_unique<MysqlConnection>(std::move(*raw), uri_);
    CUTOVER_RETURN_IF_ERROR(c->Init());
    c->local_infile_capable_ = local_infile;
    return c;
  }

  // The connection ImportRows loads through, opened on first use: only it
  // has the LOAD DATA LOCAL capability (see Open). Its session is pinned for
  // loading: no foreign key checks (post_data adds the foreign keys), strict
  // mode so bad values fail instead of being adjusted, zero dates and
  // explicit zeros in AUTO_INCREMENT columns accepted as they are, and lock
  // waits long enough for another range of the same table to finish its
  // bulk load (see UseBulkLoad). unique_checks is set per table.
  Result<MysqlConnection*> Loader(bool local_infile) {
    if (loader_ && (loader_->broken_ || (local_infile && !loader_->local_infile_capable_))) loader_.reset();
    if (loader_) return loader_.get();
    auto c = OpenAuxiliary(local_infile);
    if (!c.ok()) return c.status();
    const std::string what = "preparing a session for loading rows into " + display_uri_;
    CUTOVER_RETURN_IF_ERROR((*c)->Run("SET NAMES utf8mb4", what));
    CUTOVER_RETURN_IF_ERROR((*c)->Run("SET SESSION time_zone = '+00:00', SESSION sql_mode = '" +
                                          std::string(kLoadSqlMode) +
                                          "', SESSION foreign_key_checks = 0, SESSION unique_checks = 1, "
                                          "SESSION innodb_lock_wait_timeout = 86400",
                                      what));
    (*c)->SetSqlMode(kLoadSqlMode);
    (*c)->unique_checks_ = true;
    loader_ = std::move(*c);
    return loader_.get();
  }

  // The C API session ImportRows loads through on MariaDB (see
  // mysql_bulk_array_insert.h), opened on first use and pinned for loading like
  // Loader's session, except that unique checks stay on for every table:
  // InnoDB's bulk mode (unique_checks = 0 on an empty table) took twice the
  // server CPU for the same wall time here (634 MB table: 17.6 s against
  // 8.1 s), CPU the other loaders need.
  Result<ArrayInsertSession*> ArrayLoader() {
    if (array_loader_ && array_loader_->broken()) array_loader_.reset();
    if (array_loader_) return array_loader_.get();
    auto endpoint = ParseEndpoint(uri_);
    if (!endpoint.ok()) return endpoint.status();
    auto session = ArrayInsertSession::Open(*endpoint, display_uri_);
    if (!session.ok()) return session.status();
    const std::string what = "preparing a session for loading rows into " + display_uri_;
    CUTOVER_RETURN_IF_ERROR(
        (*session)->Run("SET SESSION time_zone = '+00:00', SESSION sql_mode = '" + std::string(kLoadSqlMode) +
                            "', SESSION foreign_key_checks = 0, SESSION unique_checks = 1, "
                            "SESSION innodb_lock_wait_timeout = 86400",
                        what));
    array_loader_ = std::move(*session);
    return array_loader_.get();
  }

  // Loads the records into `table` with one array-bound INSERT (bound
  // values wrapped as LOAD DATA's SET clause wraps them), in one transaction.
  Result<std::int64_t> ArrayInsertRows(ArrayInsertSession& session, const DataTable& table,
                                       const LoadTarget& target, std::span<const std::string_view> first,
                                       const RecordBatchSource& next_batch) {
    const std::string what = "loading table " + QuoteIdent(table.name) + " into " + display_uri_;
    std::vector<std::string> placeholders;
    for (size_t i = 0; i < table.columns.size(); ++i)
      placeholders.push_back(target.wrap_before[i] + "?" + target.wrap_after[i]);
    const std::string sql = "INSERT INTO " + QuoteIdent(table.name) + " (" +
                            Join(target.insert_columns, ", ") + ") VALUES (" + Join(placeholders, ", ") + ")";
    CUTOVER_RETURN_IF_ERROR(session.Run("START TRANSACTION", what));
    auto inserted = session.Insert(sql, table.columns.size(), first, next_batch, what);
    if (!inserted.ok()) {
      if (!session.broken()) (void)session.Run("ROLLBACK", what);
      return inserted.status();
    }
    CUTOVER_RETURN_IF_ERROR(session.Run("COMMIT", what));
    return inserted;
  }

  // DATA_TYPE of each of table.columns, in order, on this connection.
  Result<std::vector<ColumnType>> ColumnTypes(const DataTable& table, const std::string& what) {
    if (table.columns.empty()) return Status::InvalidInput(what + ": the table has no columns to transfer");
    auto rows = Fetch(
        "SELECT TABLE_NAME, COLUMN_NAME, DATA_TYPE, NUMERIC_SCALE FROM information_schema.COLUMNS WHERE "
        "TABLE_SCHEMA = " +
            DbLiteral() + " AND TABLE_NAME = " + QuoteString(table.name, ctx_.backslash_escapes),
        what);
    if (!rows.ok()) return rows.status();
    const bool fold = ctx_.lower_case_table_names != 0;
    std::map<std::string, ColumnType> by_name;
    for (const TextRow& r : *rows) {
      // information_schema compares names case-insensitively: keep the exact table.
      if (fold ? ToLower(Col(r, 0)) != ToLower(table.name) : Col(r, 0) != table.name) continue;
      by_name[ToLower(Col(r, 1))] = ColumnType{ToLower(Col(r, 2)), r.size() > 3 && r[3].has_value()};
    }
    if (by_name.empty()) {
      return Status::NotFound(what + ": there is no table " + QuoteIdent(table.name) + " in database '" +
                              ctx_.database + "'");
    }
    std::vector<ColumnType> out;
    for (const std::string& c : table.columns) {
      auto it = by_name.find(ToLower(c));
      if (it == by_name.end()) {
        return Status::NotFound(what + ": the table has no column " + QuoteIdent(c) +
                                "; it differs from the snapshot's table");
      }
      out.push_back(it->second);
    }
    return out;
  }

  bool CanCastToDouble() const {
    return ctx_.flavor == Flavor::kMariaDb ? ctx_.version_number >= 100405 : ctx_.version_number >= 80017;
  }

  // The select-list expression that yields a column's exact text.
  std::string ExportExpression(const std::string& quoted, const ColumnType& t) const {
    // FLOAT's text form has 6 significant digits; the exact float widened to
    // DOUBLE prints in full (shortest round-trip form) and loads back into
    // the same float. FLOAT(M,D) prints its D decimals, which is exact.
    if (t.data_type == "float" && !t.has_scale) {
      return CanCastToDouble() ? "CAST(" + quoted + " AS DOUBLE)" : "(" + quoted + " + 0e0)";
    }
    // BIT: LOAD DATA cannot parse b'...' and Connector/C++ returns BIT as a
    // decimal string anyway: export the number, load it through CAST.
    if (t.data_type == "bit") return "(" + quoted + " + 0)";
    return quoted;
  }

  LoadTarget MakeLoadTarget(const DataTable& table, const std::vector<ColumnType>& types) const {
    LoadTarget t;
    std::vector<std::string> list, sets;
    for (size_t i = 0; i < table.columns.size(); ++i) {
      const std::string col = QuoteIdent(table.columns[i]);
      t.insert_columns.push_back(col);
      std::string before, after;
      if (types[i].data_type == "bit") {
        before = "CAST(";
        after = " AS UNSIGNED)";
      } else if (types[i].data_type == "json" && ctx_.flavor == Flavor::kMySql) {
        // MySQL refuses JSON from a binary string.
        before = "CONVERT(";
        after = " USING utf8mb4)";
      }
      if (before.empty()) {
        list.push_back(col);
      } else {
        std::string var = "@cutover_v" + std::to_string(i);
        list.push_back(var);
        sets.push_back(col + " = " + before + var + after);
      }
      t.wrap_before.push_back(before);
      t.wrap_after.push_back(after);
    }
    t.column_list = Join(list, ", ");
    if (!sets.empty()) t.set_clause = " SET " + Join(sets, ", ");
    return t;
  }

  // Streams a forward-only result as LOAD DATA records.
  Status StreamRecords(const std::string& sql, size_t columns, const RecordCallback& on_record) {
    ClearDiagnostics();
    std::unique_ptr<sql::Statement> st(conn_->createStatement());
    st->setResultSetType(sql::ResultSet::TYPE_FORWARD_ONLY);
    std::unique_ptr<sql::ResultSet> rs(st->executeQuery(sql::SQLString(sql.data(), sql.size())));
    Status callback_status;
    std::uint64_t delivered = 0;
    std::string record;
    const auto n = static_cast<std::uint32_t>(columns);
    while (rs->next()) {
      record.clear();
      for (std::uint32_t i = 1; i <= n; ++i) {
        if (i > 1) record += '\t';
        if (rs->isNull(i)) {
          record += "\\N";
        } else {
          const sql::SQLString value = rs->getString(i);
          AppendLoadDataField(record, value.asStdString());
        }
      }
      record += '\n';
      ++delivered;
      callback_status = on_record(record);
      if (!callback_status.ok()) break;
    }
    rs.reset();  // drains what is left of the result
    if (!callback_status.ok()) return callback_status;
    return CheckStreamErrors(std::to_string(delivered) + " rows");
  }

  Status CheckLoadWarnings(const std::string& label) {
    auto rows = Fetch("SHOW WARNINGS LIMIT 5", "reading the warnings of loading " + label);
    if (!rows.ok()) return rows.status();
    if (rows->empty()) return Status::Ok();
    auto count = Fetch("SHOW COUNT(*) WARNINGS", "reading the warnings of loading " + label);
    std::string total = count.ok() && !count->empty() ? Col((*count)[0], 0) : std::to_string(rows->size());
    std::vector<std::string> shown;
    for (const TextRow& r : *rows) shown.push_back(Col(r, 0) + " " + Col(r, 1) + ": " + Col(r, 2));
    return LoadWarningsError("loading " + label + " into " + display_uri_, total, shown, Col((*rows)[0], 1));
  }

  // MariaDB (10.6+) loads into an empty InnoDB table in bulk when unique and
  // foreign key checks are off: no undo log per row, indexes built sorted at
  // commit, about twice as fast as row-by-row inserts here. But the bulk load
  // holds an exclusive table lock until it commits, so the key ranges of one
  // big table, which restore loads on several connections at once, would
  // queue behind each other (and the later ones load row by row anyway).
  // Bulk mode is therefore used for tables at most the size above which the
  // snapshot core splits tables into ranges (take.h split_bytes, 64 MiB);
  // bigger ones keep unique checks on and load their ranges in parallel.
  static constexpr std::int64_t kBulkLoadMaxBytes = std::int64_t{64} << 20;
  static bool UseBulkLoad(const DataTable& table) { return table.estimated_bytes <= kBulkLoadMaxBytes; }

  Status SetUniqueChecks(bool on, const std::string& what) {
    if (unique_checks_ == on) return Status::Ok();
    CUTOVER_RETURN_IF_ERROR(Run(std::string("SET SESSION unique_checks = ") + (on ? "1" : "0"), what));
    unique_checks_ = on;
    return Status::Ok();
  }

  // MariaDB loads into an empty InnoDB table in bulk (no undo log per row,
  // indexes built at the end) when unique and foreign key checks are off,
  // and then reports a duplicate key as error 1180 "during COMMIT".
  static Status BulkLoadError(const Status& st) {
    if (st.sqlstate() != std::to_string(kErErrorDuringCommit)) return st;
    return Status::Query(
        st.message() + ": in a bulk load into an empty table MariaDB reports a duplicate key value this way",
        st.sqlstate());
  }

  static bool IsLocalInfileRefusal(const Status& st) {
    const std::string& code = st.sqlstate();
    return code == std::to_string(kErNotAllowedCommand) || code == std::to_string(kErLocalInfileDisabled) ||
           code == std::to_string(kCrLocalInfileRejected);
  }

  void NoteInsertFallback(const Status& why) {
    static std::atomic<bool> told{false};
    if (told.exchange(true)) return;
    std::fprintf(stderr,
                 "cutover: mysql driver: %s refuses LOAD DATA LOCAL INFILE (%s); loading rows with multi-row "
                 "INSERT instead, which is slower. Enable it with SET GLOBAL local_infile = ON, or add "
                 "local_infile=0 to the URI to choose INSERT from the start.\n",
                 display_uri_.c_str(), why.message().c_str());
  }

  // LOAD DATA LOCAL INFILE fed through a named pipe: the statement runs on a
  // helper thread (the loader connection is used by nobody else meanwhile)
  // while this thread pulls batches and writes them into the pipe. All in
  // one transaction, so a load that fails or warns leaves nothing behind.
  // `*refused` is set, with nothing loaded and `first` not yet given up,
  // when the server or client library refuses LOCAL INFILE.
  Result<std::int64_t> LoadDataLocal(MysqlConnection& ld, const DataTable& table, const LoadTarget& target,
                                     std::span<const std::string_view> first,
                                     const RecordBatchSource& next_batch, bool* refused) {
    const std::string label = "table " + QuoteIdent(table.name);
    const std::string what = "loading " + label + " into " + display_uri_;
    const size_t columns = table.columns.size();
    std::int64_t fed = 0;
    auto validate = [&](std::span<const std::string_view> batch) -> Status {
      for (size_t k = 0; k < batch.size(); ++k) {
        Status st = CheckLoadDataRecord(batch[k], columns);
        if (!st.ok()) {
          return Status::InvalidInput(what + ": record " +
                                      std::to_string(fed + static_cast<std::int64_t>(k) + 1) + ": " +
                                      st.message());
        }
      }
      return Status::Ok();
    };
    CUTOVER_RETURN_IF_ERROR(validate(first));
    auto pipe = LoadPipe::Create();
    if (!pipe.ok()) return pipe.status().WithContext(what);
    CUTOVER_RETURN_IF_ERROR(ld.SetUniqueChecks(!UseBulkLoad(table), what));
    CUTOVER_RETURN_IF_ERROR(ld.Run("START TRANSACTION", what));
    const std::string sql =
        "LOAD DATA LOCAL INFILE " + QuoteString((*pipe)->path(), true) + " INTO TABLE " +
        QuoteIdent(table.name) +
        " CHARACTER SET binary FIELDS TERMINATED BY '\\t' ESCAPED BY '\\\\' LINES TERMINATED "
        "BY '\\n' (" +
        target.column_list + ")" + target.set_clause;
    std::atomic<bool> done{false};
    Status load_status;
    std::int64_t loaded = 0;
    sql::Driver* client = conn_->getDriver();
    std::thread statement([&] {
      client->threadInit();
      auto r = ld.Execute(sql, ExecOptions{});
      if (r.ok()) {
        loaded = *r;
      } else {
        load_status = r.status();
      }
      client->threadEnd();
      done = true;
    });
    Status feed;
    bool accepted = false;  // the client library opened the pipe and read from it
    std::string buffer;
    constexpr size_t kWriteBytes = 1 << 20;
    std::span<const std::string_view> batch = first;
    while (true) {
      buffer.clear();
      for (std::string_view r : batch) {
        buffer.append(r);
        if (buffer.size() >= kWriteBytes) {
          feed = (*pipe)->Write(buffer, done);
          buffer.clear();
          if (!feed.ok()) break;
        }
      }
      if (feed.ok() && !buffer.empty()) feed = (*pipe)->Write(buffer, done);
      if (!feed.ok()) break;
      fed += static_cast<std::int64_t>(batch.size());
      if (!accepted) {
        // Keep the first batch until the server has taken the statement: a
        // refusal can then still fall back to INSERT with it.
        if (!(*pipe)->WaitDrained(done)) break;
        accepted = true;
        (*pipe)->RemoveName();
      }
      auto next = next_batch();
      if (!next.ok()) {
        feed = next.status();
        break;
      }
      if (next->empty()) break;
      feed = validate(*next);
      if (!feed.ok()) break;
      batch = *next;
    }
    // The reader has opened the pipe (accepted) or the statement is over:
    // closing is safe either way and ends the data.
    (*pipe)->CloseWriteEnd();
    statement.join();
    pipe->reset();
    auto rollback = [&]() {
      if (!ld.broken_) (void)ld.Run("ROLLBACK", what);
    };
    if (!load_status.ok()) {
      rollback();
      if (!accepted && IsLocalInfileRefusal(load_status)) *refused = true;
      // A failing source is reported as such, not as what it did to the statement.
      if (!feed.ok() && feed.code() != StatusCode::kIo) return feed;
      return BulkLoadError(load_status).WithContext("loading " + label);
    }
    if (!feed.ok()) {
      rollback();
      return feed;
    }
    Status warned = ld.CheckLoadWarnings(label);
    if (!warned.ok()) {
      rollback();
      return warned;
    }
    if (loaded != fed) {
      rollback();
      return Status::Query(what + ": LOAD DATA took " + std::to_string(loaded) + " rows from " +
                           std::to_string(fed) + " records; nothing was loaded");
    }
    CUTOVER_RETURN_IF_ERROR(ld.Run("COMMIT", what));
    return fed;
  }

  // The fallback when LOCAL INFILE is refused or disabled: the same records
  // as multi-row INSERTs of _binary literals (the bytes unconverted, as LOAD
  // DATA ... CHARACTER SET binary does), in one transaction.
  Result<std::int64_t> InsertRows(MysqlConnection& ld, const DataTable& table, const LoadTarget& target,
                                  std::span<const std::string_view> first,
                                  const RecordBatchSource& next_batch) {
    const std::string label = "table " + QuoteIdent(table.name);
    const std::string what = "loading " + label + " into " + display_uri_ + " with INSERT";
    const size_t columns = table.columns.size();
    auto packet = ld.Fetch("SELECT @@SESSION.max_allowed_packet", what);
    if (!packet.ok()) return packet.status();
    long long max_packet = packet->empty() ? 0 : std::atoll(Col((*packet)[0], 0).c_str());
    const size_t limit = static_cast<size_t>(std::clamp<long long>(max_packet - 65536, 65536, 8 << 20));
    const std::string head =
        "INSERT INTO " + QuoteIdent(table.name) + " (" + Join(target.insert_columns, ", ") + ") VALUES ";
    CUTOVER_RETURN_IF_ERROR(ld.SetUniqueChecks(!UseBulkLoad(table), what));
    CUTOVER_RETURN_IF_ERROR(ld.Run("START TRANSACTION", what));
    std::int64_t record_no = 0, total = 0, in_statement = 0;
    std::string statement = head;
    auto flush = [&]() -> Status {
      if (in_statement == 0) return Status::Ok();
      auto r = ld.Execute(statement, ExecOptions{});
      if (!r.ok()) return BulkLoadError(r.status()).WithContext("loading " + label);
      CUTOVER_RETURN_IF_ERROR(ld.CheckLoadWarnings(label));
      if (*r != in_statement) {
        return Status::Query(what + ": INSERT took " + std::to_string(*r) + " of " +
                             std::to_string(in_statement) + " rows");
      }
      total += *r;
      in_statement = 0;
      statement = head;
      return Status::Ok();
    };
    auto run = [&]() -> Status {
      std::span<const std::string_view> batch = first;
      std::string tuple;
      while (true) {
        for (std::string_view record : batch) {
          ++record_no;
          auto fields = ParseLoadDataRecord(record, columns);
          if (!fields.ok()) {
            return Status::InvalidInput(what + ": record " + std::to_string(record_no) + ": " +
                                        fields.status().message());
          }
          tuple = "(";
          for (size_t i = 0; i < columns; ++i) {
            if (i > 0) tuple += ", ";
            const auto& v = (*fields)[i];
            if (!v) {
              tuple += "NULL";
            } else {
              tuple += target.wrap_before[i] + "_binary" + QuoteString(*v, true) + target.wrap_after[i];
            }
          }
          tuple += ")";
          if (in_statement > 0 && statement.size() + tuple.size() + 2 > limit)
            CUTOVER_RETURN_IF_ERROR(flush());
          if (in_statement > 0) statement += ", ";
          statement += tuple;
          ++in_statement;
        }
        auto next = next_batch();
        if (!next.ok()) return next.status();
        if (next->empty()) break;
        batch = *next;
      }
      return flush();
    };
    Status st = run();
    if (!st.ok()) {
      if (!ld.broken_) (void)ld.Run("ROLLBACK", what);
      return st;
    }
    CUTOVER_RETURN_IF_ERROR(ld.Run("COMMIT", what));
    return total;
  }

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
  bool migration_lock_held_ = false;
  std::string migration_lock_name_;
  bool diagnostics_may_hold_errors_ = false;

  Opener opener_;
  bool local_infile_ = false;  // the URI allows LOAD DATA LOCAL (local_infile is not 0)
  bool array_insert_ = true;   // MariaDB: load with array-bound INSERT (array_insert is not 0)
  std::unique_ptr<ArrayInsertSession> array_loader_;  // ImportRows' session for that, opened on first use
  bool local_infile_capable_ = false;                 // this session was opened with the LOCAL capability
  bool local_infile_refused_ = false;                 // the server refused it once: INSERT from then on
  std::unique_ptr<MysqlConnection> barrier_;          // holds the snapshot barrier
  std::unique_ptr<MysqlConnection> loader_;           // runs ImportRows' statements
  bool in_snapshot_ = false;
  bool hold_barrier_until_end_ = false;
  bool lock_waits_limited_ = false;    // LimitLockWaits saved the session's value
  std::optional<bool> unique_checks_;  // loader sessions: what unique_checks is set to  //
                                       // lock_nontransactional_tables: released by EndSnapshot
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
    auto conn = Open(uri, false);
    if (!conn.ok()) return conn.status();
    const bool local_infile = FlagParam(uri, "local_infile", true);
    Opener opener = [this, uri](bool with_local_infile) { return Open(uri, with_local_infile); };
    auto c = std::make_unique<MysqlConnection>(std::move(*conn), uri, std::move(opener), local_infile);
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

  Result<std::vector<ImageTableDigest>> DigestImage(const std::string& /*path*/,
                                                    const std::vector<std::string>& /*tables*/) override {
    return Status::Unsupported("MySQL/MariaDB has no database images");
  }
  Result<std::string> ImageFilePath(const ConnectionUri& /*uri*/) const override {
    return Status::Unsupported("MySQL/MariaDB has no database images");
  }

  Result<std::vector<cutover::ScriptStatement>> SplitScript(std::string_view script) const override {
    auto split = mysql::SplitScript(script);
    if (!split.ok()) return split.status();
    std::vector<cutover::ScriptStatement> out;
    out.reserve(split->size());
    for (SplitStatement& s : *split) out.push_back(std::move(s));
    return out;
  }

 private:
  static Status CheckName(std::string_view name) {
    if (name.empty()) return Status::InvalidInput("empty database name");
    if (name.find('\0') != std::string_view::npos)
      return Status::InvalidInput("database name contains a NUL byte");
    return Status::Ok();
  }

  // Opens a raw Connector connection for the URI. All errors mapped.
  // Only the connections ImportRows opens for LOAD DATA LOCAL INFILE get
  // `local_infile`: with that capability the client library hands the server
  // any file it names, so no other connection advertises it.
  Result<std::unique_ptr<sql::Connection>> Open(const ConnectionUri& uri, bool local_infile) {
    const std::string shown = uri.Redacted();
    if (driver_ == nullptr) {
      return Status::Internal("MySQL Connector/C++ failed to initialize (" + init_error_ + "); cannot open " +
                              shown);
    }
    if (uri.driver_scheme() != "mysql") {
      return Status::InvalidInput(shown + " is not a mysql:// or mariadb:// URI");
    }
    auto endpoint = ParseEndpoint(uri);
    if (!endpoint.ok()) return endpoint.status();
    sql::ConnectOptionsMap options;
    if (endpoint->socket) {
      options["hostName"] = sql::SQLString("localhost");
      options["socket"] = sql::SQLString(*endpoint->socket);
    } else {
      std::string host = endpoint->host;
      if (host.find(':') != std::string::npos) host = "tcp://[" + host + "]";
      options["hostName"] = sql::SQLString(host);
      options["port"] = static_cast<int>(endpoint->port);
    }
    options["userName"] = sql::SQLString(endpoint->user);
    options["password"] = sql::SQLString(endpoint->password);
    if (!endpoint->database.empty()) options["schema"] = sql::SQLString(endpoint->database);
    const int connect_timeout = endpoint->connect_timeout_s;
    options["OPT_RECONNECT"] = false;
    options["CLIENT_MULTI_STATEMENTS"] = true;
    options["OPT_CONNECT_TIMEOUT"] = connect_timeout;
    options["OPT_CHARSET_NAME"] = sql::SQLString("utf8mb4");
    if (local_infile) options["OPT_LOCAL_INFILE"] = 1;
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
    auto conn = Open(server_only, false);
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
}  // namespace cutover::mysql

CUTOVER_DEFINE_DRIVER_ENTRY("mysql", &::cutover::mysql::MakeMysqlDriver)
