// The SQLite driver plugin: cutover's embedded default engine.
//
// URIs: sqlite:///absolute/path.db or sqlite:relative/path.db, with optional
// parameters busy_timeout=<ms> (default 5000: how long a statement waits for
// another connection's lock) and mode=ro|rw. Connecting never creates a file.
// The scratch "server" is a directory: scratch databases are <dir>/<name>.db.
#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <cctype>
#include <cerrno>
#include <charconv>
#include <chrono>
#include <cstring>
#include <exception>
#include <filesystem>
#include <limits>
#include <string>
#include <thread>
#include <vector>

#include "base/strings.h"
#include "base/uri.h"
#include "driver/driver.h"
#include "sqlite_snapshot_image.h"
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
    case SQLITE_NOMEM:
    case SQLITE_MISUSE: return Status::Internal(msg);
    default: return Status::Query(msg, std::to_string(rc));
  }
}

namespace {

constexpr int kDefaultBusyTimeoutMs = 5000;
constexpr const char* kDriverName = "sqlite";

std::atomic<std::uint64_t> g_connection_counter{0};

template <typename F>
auto Guarded(const std::string& what, F&& fn) -> decltype(fn()) {
  try {
    return fn();
  } catch (const std::exception& e) {
    return Status::Internal(what + ": unexpected error: " + ScrubSecrets(e.what()));
  } catch (...) {
    return Status::Internal(what + ": unexpected unknown exception");
  }
}

// The same status with `suffix` appended to its message.
Status AppendToMessage(const Status& status, const std::string& suffix) {
  std::string msg = status.message() + suffix;
  switch (status.code()) {
    case StatusCode::kInvalidInput: return Status::InvalidInput(msg);
    case StatusCode::kNotFound: return Status::NotFound(msg);
    case StatusCode::kUnsupported: return Status::Unsupported(msg);
    case StatusCode::kCheckFailed: return Status::CheckFailed(msg);
    case StatusCode::kConnection: return Status::Connection(msg);
    case StatusCode::kQuery: return Status::Query(msg, status.sqlstate());
    case StatusCode::kLockTimeout: return Status::LockTimeout(msg);
    case StatusCode::kIo: return Status::Io(msg);
    case StatusCode::kInternal: return Status::Internal(msg);
    case StatusCode::kOk: break;
  }
  return status;
}

// Skips whitespace, comments and empty statements (';').
std::size_t SkipToStatement(std::string_view sql, std::size_t pos) {
  while (pos < sql.size()) {
    char c = sql[pos];
    if (std::isspace(static_cast<unsigned char>(c)) || c == ';') {
      ++pos;
    } else if (c == '-' && pos + 1 < sql.size() && sql[pos + 1] == '-') {
      std::size_t nl = sql.find('\n', pos);
      pos = nl == std::string_view::npos ? sql.size() : nl + 1;
    } else if (c == '/' && pos + 1 < sql.size() && sql[pos + 1] == '*') {
      std::size_t close = sql.find("*/", pos + 2);
      pos = close == std::string_view::npos ? sql.size() : close + 2;
    } else {
      break;
    }
  }
  return pos;
}

int LineAt(std::string_view text, std::size_t pos) {
  return 1 +
         static_cast<int>(std::count(text.begin(), text.begin() + static_cast<std::ptrdiff_t>(pos), '\n'));
}

// The first line of a statement, shortened, for messages.
std::string FirstLine(std::string_view stmt) {
  std::string_view line = stmt.substr(0, stmt.find('\n'));
  line = Trim(line);
  std::string out(line.substr(0, 120));
  if (line.size() > 120) out += "...";
  return ScrubSecrets(out);
}

Result<int> ParseMillis(const std::string& key, const std::string& value) {
  int ms = 0;
  auto [p, ec] = std::from_chars(value.data(), value.data() + value.size(), ms);
  if (ec != std::errc() || p != value.data() + value.size() || ms < 0) {
    return Status::InvalidInput("sqlite URI parameter " + key + "='" + value +
                                "' is not a number of milliseconds (0 or more)");
  }
  return ms;
}

// The statement deadline the progress handler checks. It lives as long as
// the connection, so the handler never points at a dead object.
struct Deadline {
  std::chrono::steady_clock::time_point at{};
  bool expired = false;

  static int OnProgress(void* self) {
    auto* d = static_cast<Deadline*>(self);
    if (std::chrono::steady_clock::now() >= d->at) {
      d->expired = true;
      return 1;  // interrupts the statement with SQLITE_INTERRUPT
    }
    return 0;
  }
};

// Applies ExecOptions to one statement and restores the connection's
// defaults when destroyed.
class LimitGuard {
 public:
  LimitGuard(sqlite3* db, int default_busy_ms, Deadline* deadline, const ExecOptions& options)
      : db_(db), default_busy_ms_(default_busy_ms), deadline_(deadline), options_(options) {
    busy_ms_ = options.lock_timeout.count() > 0 ? ClampMs(options.lock_timeout.count()) : default_busy_ms;
    deadline_->expired = false;
    if (options.statement_timeout.count() > 0) {
      deadline_->at = std::chrono::steady_clock::now() + options.statement_timeout;
      // A lock wait cannot outlive the statement's own limit.
      int statement_ms = ClampMs(options.statement_timeout.count());
      if (statement_ms < busy_ms_) {
        busy_ms_ = statement_ms;
        busy_from_statement_limit_ = true;
      }
      sqlite3_progress_handler(db_, 1000, &Deadline::OnProgress, deadline_);
    }
    if (busy_ms_ != default_busy_ms_) sqlite3_busy_timeout(db_, busy_ms_);
  }
  ~LimitGuard() {
    if (options_.statement_timeout.count() > 0) sqlite3_progress_handler(db_, 0, nullptr, nullptr);
    if (busy_ms_ != default_busy_ms_) sqlite3_busy_timeout(db_, default_busy_ms_);
  }
  LimitGuard(const LimitGuard&) = delete;
  LimitGuard& operator=(const LimitGuard&) = delete;

  // The Status for a failed step or prepare, naming the limit that expired.
  Status Translate(int rc, const std::string& what) const {
    int primary = rc & 0xff;
    if (primary == SQLITE_INTERRUPT && deadline_->expired) {
      return Status::LockTimeout(what + ": the statement_timeout of " +
                                 std::to_string(options_.statement_timeout.count()) +
                                 " ms expired and the statement was interrupted; make the statement cheaper "
                                 "(batch it) or allow a longer statement timeout");
    }
    if (primary == SQLITE_BUSY || primary == SQLITE_LOCKED) {
      std::string limit =
          busy_from_statement_limit_          ? "the statement_timeout of " + std::to_string(busy_ms_) + " ms"
          : options_.lock_timeout.count() > 0 ? "the lock_timeout of " + std::to_string(busy_ms_) + " ms"
                                              : "the busy timeout of " + std::to_string(busy_ms_) + " ms";
      return Status::LockTimeout(what + ": the database is locked by another connection and " + limit +
                                 " expired while waiting for the lock (" + ScrubSecrets(sqlite3_errmsg(db_)) +
                                 "); retry when the other writer has finished, or allow a longer timeout");
    }
    return StatusFromSqlite(db_, rc, what);
  }

 private:
  static int ClampMs(std::int64_t ms) { return static_cast<int>(std::min<std::int64_t>(ms, 1'000'000'000)); }

  sqlite3* db_;
  int default_busy_ms_;
  Deadline* deadline_;
  ExecOptions options_;
  int busy_ms_ = 0;
  bool busy_from_statement_limit_ = false;
};

class SqliteConnection final : public Connection {
 public:
  SqliteConnection(sqlite3* db, const ConnectionUri& uri, int busy_ms)
      : db_(db), display_(uri.Redacted()), path_(uri.database()), busy_ms_(busy_ms) {
    info_.product = "SQLite";
    info_.version = sqlite3_libversion();
    info_.version_number = sqlite3_libversion_number();
    session_id_ = "sqlite:" + std::to_string(getpid()) + ":" + std::to_string(++g_connection_counter);
  }
  ~SqliteConnection() override {
    sqlite3_close_v2(db_);
    if (lock_fd_ >= 0) ::close(lock_fd_);  // closing the descriptor releases the flock
  }
  SqliteConnection(const SqliteConnection&) = delete;
  SqliteConnection& operator=(const SqliteConnection&) = delete;

  const ServerInfo& server_info() const override { return info_; }
  std::string display_uri() const override { return display_; }

  std::string QuoteIdentifier(std::string_view name) const override {
    return "\"" + ReplaceAll(name, "\"", "\"\"") + "\"";
  }
  std::string QuoteLiteral(std::string_view value) const override {
    return "'" + ReplaceAll(value, "'", "''") + "'";
  }

  Result<std::int64_t> Execute(std::string_view sql, const ExecOptions& options) override {
    return Guarded(display_, [&]() -> Result<std::int64_t> {
      std::int64_t changes = 0;
      CUTOVER_RETURN_IF_ERROR(Run(sql, options, &changes));
      return changes;
    });
  }

  Status ExecuteScript(std::string_view script) override {
    return Guarded(display_, [&]() -> Status { return Run(script, ExecOptions{}, nullptr); });
  }

  Status Query(std::string_view sql, const RowCallback& on_row, const ExecOptions& options) override {
    return Guarded(display_, [&]() -> Status { return RunQuery(sql, on_row, options); });
  }

  Status Begin() override {
    return Guarded(display_, [&]() -> Status { return Run("BEGIN", ExecOptions{}, nullptr); });
  }
  Status Commit() override {
    return Guarded(display_, [&]() -> Status { return Run("COMMIT", ExecOptions{}, nullptr); });
  }
  Status Rollback() override {
    return Guarded(display_, [&]() -> Status {
      if (sqlite3_get_autocommit(db_) != 0) return Status::Ok();  // nothing to roll back
      return Run("ROLLBACK", ExecOptions{}, nullptr);
    });
  }

  Result<SchemaModel> ReadSchema() override {
    return Guarded(display_, [&]() -> Result<SchemaModel> {
      // One read transaction, so every catalog query sees the same schema.
      const bool own_transaction = sqlite3_get_autocommit(db_) != 0;
      if (own_transaction) CUTOVER_RETURN_IF_ERROR(Run("BEGIN", ExecOptions{}, nullptr));
      auto model = ReadSqliteSchema(db_, display_);
      if (own_transaction) {
        Status end = Run(model.ok() ? "COMMIT" : "ROLLBACK", ExecOptions{}, nullptr);
        if (model.ok() && !end.ok()) return end;
      }
      return model;
    });
  }

  std::string SessionId() override { return session_id_; }

  // ---- Migration lock: SQLite's own locks last one transaction, so the lock
  // for a whole apply run is an flock on "<file>-cutover-lock" (0600), held
  // through this connection's descriptor; the kernel drops it when the
  // process ends, also on kill -9. The holder writes its pid into the file.
  Status AcquireMigrationLock(std::chrono::milliseconds wait) override {
    if (lock_fd_ >= 0) return Status::Ok();
    const std::string lock_path = path_ + "-cutover-lock";
    int fd = ::open(lock_path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
    if (fd < 0) {
      return Status::Io("cannot open the cutover migration lock file '" + lock_path + "' beside " + display_ +
                        ": " + std::strerror(errno) + "; the directory must be writable by this user");
    }
    const auto deadline = std::chrono::steady_clock::now() + wait;
    while (::flock(fd, LOCK_EX | LOCK_NB) != 0) {
      const int err = errno;
      if (err != EWOULDBLOCK && err != EINTR) {
        ::close(fd);
        return Status::Io("cannot lock '" + lock_path + "': " + std::strerror(err));
      }
      const auto now = std::chrono::steady_clock::now();
      if (now >= deadline) {
        char buf[64] = {};
        const ssize_t n = ::pread(fd, buf, sizeof buf - 1, 0);
        std::string holder = n > 0 ? std::string(Trim(std::string_view(buf, static_cast<size_t>(n)))) : "";
        ::close(fd);
        return Status::LockTimeout(
            "another cutover apply holds the migration lock on " + display_ + " (" +
            (holder.empty() ? std::string("lock file ") : "process " + holder + ", lock file ") + lock_path +
            "); waited " + std::to_string(wait.count()) +
            " ms. Wait for that run to finish; the lock goes away with its process");
      }
      std::this_thread::sleep_for(
          std::min<std::chrono::steady_clock::duration>(std::chrono::milliseconds(50), deadline - now));
    }
    const std::string me = "pid " + std::to_string(getpid()) + "\n";
    if (::ftruncate(fd, 0) == 0) (void)!::pwrite(fd, me.data(), me.size(), 0);
    lock_fd_ = fd;
    return Status::Ok();
  }

  Status ReleaseMigrationLock() override {
    if (lock_fd_ < 0) return Status::Ok();
    (void)!::ftruncate(lock_fd_, 0);
    ::close(lock_fd_);  // releases the flock; the file stays (removing it would race a waiter)
    lock_fd_ = -1;
    return Status::Ok();
  }

  bool TransactionalDdl() const override { return true; }

  Result<std::vector<LockWait>> LockWaits() override {
    return Status::Unsupported(
        "SQLite does not expose lock waits: another connection cannot see who waits for a lock on " +
        display_ + " (only the waiting statement itself learns it, when its busy timeout expires)");
  }

  // ---- Snapshots and bulk data ----
  //
  // A snapshot is one read transaction on this connection: BEGIN, then a
  // read that takes the read lock. With a rollback journal that is a SHARED
  // lock, held until EndSnapshot(): writers can prepare changes but cannot
  // commit (they wait for their busy timeout, then fail busy), so nothing
  // the snapshot reads can change. In WAL mode it is a read mark: writers
  // commit freely and this transaction keeps seeing the database as of
  // BeginSnapshot(). Other connections cannot join it.

  bool SupportsSharedSnapshot() const override { return false; }

  Result<SnapshotPoint> BeginSnapshot(const SnapshotOptions& options) override {
    return Guarded(display_, [&]() -> Result<SnapshotPoint> { return DoBeginSnapshot(options); });
  }

  Status JoinSnapshot(const SnapshotPoint&) override {
    return Status::Unsupported(
        display_ +
        ": SQLite connections cannot share one read transaction; read the snapshot with "
        "the connection that began it (SupportsSharedSnapshot() is false)");
  }

  Status ReleaseSnapshotBarrier() override { return Status::Ok(); }

  Status EndSnapshot() override {
    return Guarded(display_, [&]() -> Status {
      in_snapshot_ = false;
      if (sqlite3_get_autocommit(db_) != 0) return Status::Ok();  // no snapshot open
      return Run("ROLLBACK", ExecOptions{}, nullptr);             // it only read
    });
  }

  Result<std::vector<DataTable>> ListDataTables() override {
    return Guarded(display_, [&]() -> Result<std::vector<DataTable>> {
      return InReadTransaction<std::vector<DataTable>>([&] { return ListSqliteDataTables(db_, display_); });
    });
  }

  Result<SchemaScript> DumpSchemaScript() override {
    return Guarded(display_, [&]() -> Result<SchemaScript> {
      return InReadTransaction<SchemaScript>([&] { return DumpSqliteSchemaScript(db_, display_); });
    });
  }

  Status ExportRows(const DataTable& table, std::string_view predicate,
                    const RecordCallback& on_record) override {
    return Guarded(display_,
                   [&]() -> Status { return ExportSqliteRows(db_, display_, table, predicate, on_record); });
  }

  Result<std::int64_t> ImportRows(const DataTable& table, const RecordBatchSource& next_batch) override {
    return Guarded(display_, [&]() -> Result<std::int64_t> {
      return ImportSqliteRows(db_, display_, table, next_batch);
    });
  }

  // The database file itself: while the snapshot's read transaction holds
  // SQLite's SHARED lock, no writer can change it (rollback journal modes).
  Result<std::string> SnapshotImagePath() override {
    return Guarded(display_, [&]() -> Result<std::string> { return DoSnapshotImagePath(); });
  }

  Result<bool> IsEmptyDatabase() override {
    return Guarded(display_, [&]() -> Result<bool> { return IsEmptySqliteDatabase(db_, display_); });
  }

  Result<std::vector<std::string>> CheckIntegrity(std::string* checks_run) override {
    return Guarded(display_, [&]() -> Result<std::vector<std::string>> {
      return CheckSqliteIntegrity(db_, display_, checks_run);
    });
  }

 private:
  // Runs every statement of `sql` in order (prepare_v2 with its tail, so
  // trigger bodies and comments are handled by SQLite itself), stopping at
  // the first error, whose message names the statement's line and first line.
  Status Run(std::string_view sql, const ExecOptions& options, std::int64_t* changes) {
    CUTOVER_RETURN_IF_ERROR(CheckText(sql));
    LimitGuard guard(db_, busy_ms_, &deadline_, options);
    const bool was_autocommit = sqlite3_get_autocommit(db_) != 0;
    std::size_t pos = 0;
    while (true) {
      pos = SkipToStatement(sql, pos);
      if (pos >= sql.size()) break;
      const char* start = sql.data() + pos;
      const char* tail = nullptr;
      sqlite3_stmt* raw = nullptr;
      int rc = sqlite3_prepare_v2(db_, start, static_cast<int>(sql.size() - pos), &raw, &tail);
      StatementPtr stmt(raw);
      std::size_t end = tail != nullptr ? static_cast<std::size_t>(tail - sql.data()) : sql.size();
      if (rc != SQLITE_OK) {
        std::string where = Describe(sql, pos);
        int offset = sqlite3_error_offset(db_);
        if (offset >= 0) {
          int error_line = LineAt(sql, pos + static_cast<std::size_t>(offset));
          if (error_line != LineAt(sql, pos)) where += " (error on line " + std::to_string(error_line) + ")";
        }
        return AfterFailure(guard.Translate(rc, where), was_autocommit);
      }
      if (stmt == nullptr) {  // only a comment was left
        if (end <= pos) {
          return Status::InvalidInput(Describe(sql, pos) + ": SQLite found no statement in this text");
        }
        pos = end;
        continue;
      }
      const std::int64_t before = sqlite3_total_changes64(db_);
      while ((rc = sqlite3_step(stmt.get())) == SQLITE_ROW) {
      }
      if (rc != SQLITE_DONE) return AfterFailure(guard.Translate(rc, Describe(sql, pos)), was_autocommit);
      // sqlite3_changes64 keeps its value across DDL: count it only when
      // this statement changed rows.
      if (changes != nullptr && sqlite3_total_changes64(db_) != before) *changes += sqlite3_changes64(db_);
      if (end <= pos) break;
      pos = end;
    }
    return Status::Ok();
  }

  // Runs `fn` inside a read transaction (the snapshot's, when one is open),
  // so that its several catalog queries see one state of the database.
  template <typename T, typename F>
  Result<T> InReadTransaction(F&& fn) {
    const bool own = sqlite3_get_autocommit(db_) != 0;
    if (own) CUTOVER_RETURN_IF_ERROR(Run("BEGIN", ExecOptions{}, nullptr));
    Result<T> result = fn();
    if (own && sqlite3_get_autocommit(db_) == 0) {
      Status end = Run(result.ok() ? "COMMIT" : "ROLLBACK", ExecOptions{}, nullptr);
      if (result.ok() && !end.ok()) return end;
    }
    return result;
  }

  // One value of a single-row statement, as text.
  Result<std::string> ScalarText(const char* sql, const std::string& what) {
    sqlite3_stmt* raw = nullptr;
    int rc = sqlite3_prepare_v2(db_, sql, -1, &raw, nullptr);
    StatementPtr stmt(raw);
    if (rc != SQLITE_OK) return StatusFromSqlite(db_, rc, what);
    std::string value;
    while ((rc = sqlite3_step(stmt.get())) == SQLITE_ROW) value = ColumnText(stmt.get(), 0);
    if (rc != SQLITE_DONE) return StatusFromSqlite(db_, rc, what);
    return value;
  }

  Result<SnapshotPoint> DoBeginSnapshot(const SnapshotOptions& options) {
    if (sqlite3_get_autocommit(db_) == 0) {
      return Status::InvalidInput(display_ +
                                  ": cannot begin a snapshot while a transaction is open on this connection; "
                                  "commit or roll it back first");
    }
    // Waits for locks are bounded by the snapshot's lock_timeout, not by the
    // connection's busy timeout.
    const int wait_ms =
        options.lock_timeout.count() > 0
            ? static_cast<int>(std::min<std::int64_t>(options.lock_timeout.count(), 1'000'000'000))
            : busy_ms_;
    sqlite3_busy_timeout(db_, wait_ms);
    struct RestoreBusy {
      sqlite3* db;
      int ms;
      ~RestoreBusy() { sqlite3_busy_timeout(db, ms); }
    } restore{db_, busy_ms_};

    const std::string what = display_ + ": beginning a snapshot";
    auto fail = [&](int rc, const std::string& step) -> Status {
      // The status first: rolling back replaces SQLite's error message.
      Status st;
      const int primary = rc & 0xff;
      if (primary == SQLITE_BUSY || primary == SQLITE_LOCKED) {
        st = Status::LockTimeout(what + ": could not take a read lock within the lock timeout of " +
                                 std::to_string(wait_ms) + " ms (" + ScrubSecrets(sqlite3_errmsg(db_)) +
                                 "): another connection holds an exclusive lock (it is committing, or "
                                 "recovering the database); retry when it has finished, or allow a longer "
                                 "lock timeout");
      } else {
        st = StatusFromSqlite(db_, rc, what + " (" + step + ")");
      }
      if (sqlite3_get_autocommit(db_) == 0) sqlite3_exec(db_, "ROLLBACK", nullptr, nullptr, nullptr);
      return st;
    };
    int rc = sqlite3_exec(db_, "BEGIN", nullptr, nullptr, nullptr);
    if (rc != SQLITE_OK) return fail(rc, "BEGIN");
    // The first read takes the read lock that pins the snapshot.
    sqlite3_stmt* raw = nullptr;
    rc = sqlite3_prepare_v2(db_, "SELECT count(*) FROM main.sqlite_schema", -1, &raw, nullptr);
    {
      StatementPtr stmt(raw);
      if (rc == SQLITE_OK) {
        while ((rc = sqlite3_step(stmt.get())) == SQLITE_ROW) {
        }
      }
    }
    if (rc != SQLITE_OK && rc != SQLITE_DONE) return fail(rc, "taking the read lock");

    SnapshotPoint point;
    auto record = [&](const char* key, const char* sql) -> Status {
      auto value = ScalarText(sql, what);
      if (!value.ok()) {
        sqlite3_exec(db_, "ROLLBACK", nullptr, nullptr, nullptr);
        return value.status();
      }
      point.position[key] = *value;
      return Status::Ok();
    };
    // Where the snapshot was taken: the journal mode; the schema cookie
    // (PRAGMA schema_version, bumped by every schema change); the database
    // size in pages as this snapshot sees it; and, with a rollback journal,
    // the header's file change counter (bumped by every committed write
    // transaction; in WAL mode SQLite does not maintain it per transaction,
    // so it is not recorded there).
    CUTOVER_RETURN_IF_ERROR(record("journal_mode", "PRAGMA main.journal_mode"));
    CUTOVER_RETURN_IF_ERROR(record("schema_version", "PRAGMA main.schema_version"));
    CUTOVER_RETURN_IF_ERROR(record("page_count", "PRAGMA main.page_count"));
    if (point.position["journal_mode"] != "wal") {
      sqlite3_file* file = nullptr;
      if (sqlite3_file_control(db_, "main", SQLITE_FCNTL_FILE_POINTER, &file) == SQLITE_OK &&
          file != nullptr && file->pMethods != nullptr) {
        unsigned char header[100] = {};
        // Under the SHARED lock the header cannot change. A short read
        // (an empty file) leaves zeros.
        const int read_rc = file->pMethods->xRead(file, header, sizeof header, 0);
        if (read_rc == SQLITE_OK || read_rc == SQLITE_IOERR_SHORT_READ) {
          const std::uint32_t counter = (std::uint32_t{header[24]} << 24) |
                                        (std::uint32_t{header[25]} << 16) | (std::uint32_t{header[26]} << 8) |
                                        std::uint32_t{header[27]};
          point.position["file_change_counter"] = std::to_string(counter);
        }
      }
    }
    in_snapshot_ = true;
    return point;
  }

  Result<std::string> DoSnapshotImagePath() {
    const std::string what = display_ + ": the snapshot's database image";
    if (!in_snapshot_ || sqlite3_get_autocommit(db_) != 0) {
      return Status::InvalidInput(what +
                                  " exists only inside a snapshot: call BeginSnapshot() first (and before "
                                  "EndSnapshot())");
    }
    // BeginSnapshot's first read took the SHARED lock (rolling back any hot
    // journal first); the transaction must still hold it, and must not
    // have written (a spilled cache would have changed the file).
    const int state = sqlite3_txn_state(db_, "main");
    if (state != SQLITE_TXN_READ) {
      return Status::Internal(what + ": the snapshot's read transaction is " +
                              (state == SQLITE_TXN_WRITE ? "writing" : "no longer open") +
                              ", so the file is not pinned; end the snapshot and begin a new one");
    }
    const char* file = sqlite3_db_filename(db_, "main");
    if (file == nullptr || *file == '\0') {
      return Status::Unsupported(display_ +
                                 " is an in-memory or temporary database: it has no file to snapshot as an "
                                 "image; it is snapshot as records");
    }
    auto mode = ScalarText("PRAGMA main.journal_mode", what);
    if (!mode.ok()) return mode.status();
    if (ToLower(*mode) == "wal") {
      return Status::Unsupported(
          display_ +
          " is in WAL mode: WAL-mode databases are snapshot as records, because "
          "committed pages may still be in the -wal file rather than the database file");
    }
    return std::string(file);
  }

  // A script that opened a transaction and then failed must not leave it open
  // (it would hold the database's locks): roll it back and say so.
  Status AfterFailure(const Status& error, bool was_autocommit) {
    if (!was_autocommit || sqlite3_get_autocommit(db_) != 0) return error;
    sqlite3_exec(db_, "ROLLBACK", nullptr, nullptr, nullptr);
    return AppendToMessage(error, " (the transaction these statements opened was rolled back)");
  }

  std::string Describe(std::string_view sql, std::size_t pos) const {
    return display_ + ": statement at line " + std::to_string(LineAt(sql, pos)) + " (" +
           FirstLine(sql.substr(pos)) + ")";
  }

  // SQLite stops reading SQL text at a NUL byte: refuse it rather than
  // silently run only the part before it.
  Status CheckText(std::string_view sql) const {
    if (sql.size() > static_cast<std::size_t>(std::numeric_limits<int>::max())) {
      return Status::InvalidInput(display_ + ": SQL text of " + std::to_string(sql.size()) +
                                  " bytes is too large for SQLite (2 GiB at most); split it");
    }
    std::size_t nul = sql.find('\0');
    if (nul != std::string_view::npos) {
      return Status::InvalidInput(
          display_ + ": the SQL text contains a NUL byte at line " + std::to_string(LineAt(sql, nul)) +
          "; SQLite would ignore everything after it. Remove it (or pass the value as a "
          "blob literal X'..')");
    }
    return Status::Ok();
  }

  Status RunQuery(std::string_view sql, const RowCallback& on_row, const ExecOptions& options) {
    CUTOVER_RETURN_IF_ERROR(CheckText(sql));
    LimitGuard guard(db_, busy_ms_, &deadline_, options);
    std::size_t pos = SkipToStatement(sql, 0);
    if (pos >= sql.size()) return Status::InvalidInput(display_ + ": Query() was given no statement");
    const char* tail = nullptr;
    sqlite3_stmt* raw = nullptr;
    int rc = sqlite3_prepare_v2(db_, sql.data() + pos, static_cast<int>(sql.size() - pos), &raw, &tail);
    StatementPtr stmt(raw);
    if (rc != SQLITE_OK) return guard.Translate(rc, Describe(sql, pos));
    if (stmt == nullptr) return Status::InvalidInput(display_ + ": Query() was given no statement");
    std::size_t end = static_cast<std::size_t>(tail - sql.data());
    if (SkipToStatement(sql, end) < sql.size()) {
      return Status::InvalidInput(Describe(sql, end) +
                                  ": Query() runs exactly one statement; run the others with Execute()");
    }
    const int ncols = sqlite3_column_count(stmt.get());
    std::vector<Cell> cells(static_cast<std::size_t>(ncols));
    std::vector<std::array<char, 32>> numbers(static_cast<std::size_t>(ncols));
    while ((rc = sqlite3_step(stmt.get())) == SQLITE_ROW) {
      for (int i = 0; i < ncols; ++i) {
        Cell& cell = cells[static_cast<std::size_t>(i)];
        char* buf = numbers[static_cast<std::size_t>(i)].data();
        switch (sqlite3_column_type(stmt.get(), i)) {
          case SQLITE_INTEGER: {
            auto r =
                std::to_chars(buf, buf + 32, static_cast<long long>(sqlite3_column_int64(stmt.get(), i)));
            cell = Cell{CellType::kInteger, std::string_view(buf, static_cast<std::size_t>(r.ptr - buf))};
            break;
          }
          case SQLITE_FLOAT: {
            // Shortest text that reads back as the same double (SQLite's
            // own text form keeps only 15 digits).
            auto r = std::to_chars(buf, buf + 32, sqlite3_column_double(stmt.get(), i));
            cell = Cell{CellType::kReal, std::string_view(buf, static_cast<std::size_t>(r.ptr - buf))};
            break;
          }
          case SQLITE_TEXT: {
            const auto* text = reinterpret_cast<const char*>(sqlite3_column_text(stmt.get(), i));
            auto n = static_cast<std::size_t>(sqlite3_column_bytes(stmt.get(), i));
            cell = Cell{CellType::kText, std::string_view(text != nullptr ? text : "", n)};
            break;
          }
          case SQLITE_BLOB: {
            const auto* blob = static_cast<const char*>(sqlite3_column_blob(stmt.get(), i));
            auto n = static_cast<std::size_t>(sqlite3_column_bytes(stmt.get(), i));
            cell = Cell{CellType::kBlob, std::string_view(blob != nullptr ? blob : "", n)};
            break;
          }
          default: cell = Cell{};
        }
      }
      Status st = on_row(RowView(cells.data(), cells.size()));
      if (!st.ok()) return st;
    }
    if (rc != SQLITE_DONE) return guard.Translate(rc, Describe(sql, pos));
    return Status::Ok();
  }

  sqlite3* db_;
  std::string display_;
  std::string path_;  // the database file, for the migration lock file beside it
  int lock_fd_ = -1;  // holds the migration lock's flock while open
  int busy_ms_;
  Deadline deadline_;
  ServerInfo info_;
  std::string session_id_;
  bool in_snapshot_ = false;  // between a successful BeginSnapshot() and EndSnapshot()
};

// ---------------------------------------------------------------------------

Status ValidateScratchName(std::string_view name) {
  if (name.empty() || name.find('/') != std::string_view::npos || name.find('\0') != std::string_view::npos ||
      name.front() == '.') {
    return Status::InvalidInput("invalid SQLite scratch database name '" + std::string(name) +
                                "': it must be a plain file name (no '/', not starting with '.')");
  }
  return Status::Ok();
}

std::string ScratchPath(const ConnectionUri& server, std::string_view name) {
  std::string dir = server.database();
  while (dir.size() > 1 && dir.back() == '/') dir.pop_back();
  return dir + "/" + std::string(name) + ".db";
}

std::string ErrnoText(int err) {
  return std::strerror(err);
}

class SqliteDriver final : public Driver {
 public:
  SqliteDriver() {
    info_.name = kDriverName;
    info_.schemes = {"sqlite"};
    info_.driver_version = CUTOVER_VERSION;
    info_.client_library = std::string("SQLite ") + sqlite3_libversion();
  }

  const DriverInfo& info() const override { return info_; }

  Result<std::unique_ptr<Connection>> Connect(const ConnectionUri& uri) override {
    return Guarded(uri.Redacted(), [&]() -> Result<std::unique_ptr<Connection>> { return DoConnect(uri); });
  }

  Result<ConnectionUri> CreateDatabase(const ConnectionUri& server, std::string_view name) override {
    return Guarded(server.Redacted(), [&]() -> Result<ConnectionUri> {
      CUTOVER_RETURN_IF_ERROR(ValidateScratchName(name));
      const std::string dir = server.database();
      struct stat st {};
      if (::stat(dir.c_str(), &st) == 0) {
        if (!S_ISDIR(st.st_mode)) {
          return Status::InvalidInput("SQLite scratch location '" + dir +
                                      "' is not a directory: the scratch server of SQLite is a directory");
        }
      } else {
        std::error_code ec;
        std::filesystem::create_directories(dir, ec);
        if (ec || ::chmod(dir.c_str(), 0700) != 0) {
          return Status::Io("cannot create the SQLite scratch directory '" + dir +
                            "': " + (ec ? ec.message() : ErrnoText(errno)));
        }
      }
      const std::string path = ScratchPath(server, name);
      int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
      if (fd < 0) {
        int err = errno;
        if (err == EEXIST) {
          return Status::Query("SQLite scratch database '" + std::string(name) + "' already exists ('" +
                               path + "'): choose another name or drop it first");
        }
        return Status::Io("cannot create SQLite scratch database '" + path + "': " + ErrnoText(err));
      }
      // An empty file is a valid, empty SQLite database.
      int chmod_rc = ::fchmod(fd, 0600);
      int err = errno;
      ::close(fd);
      if (chmod_rc != 0) {
        ::unlink(path.c_str());
        return Status::Io("cannot set mode 0600 on '" + path + "': " + ErrnoText(err));
      }
      return server.WithDatabase(path);
    });
  }

  Status DropDatabase(const ConnectionUri& server, std::string_view name) override {
    return Guarded(server.Redacted(), [&]() -> Status {
      CUTOVER_RETURN_IF_ERROR(ValidateScratchName(name));
      const std::string path = ScratchPath(server, name);
      for (const char* suffix : {"", "-journal", "-wal", "-shm"}) {
        std::string file = path + suffix;
        if (::unlink(file.c_str()) != 0 && errno != ENOENT) {
          return Status::Io("cannot remove '" + file + "' of SQLite scratch database '" + std::string(name) +
                            "': " + ErrnoText(errno));
        }
      }
      return Status::Ok();
    });
  }

  Result<std::vector<std::string>> ListDatabases(const ConnectionUri& server,
                                                 std::string_view prefix) override {
    return Guarded(server.Redacted(), [&]() -> Result<std::vector<std::string>> {
      std::vector<std::string> names;
      const std::string dir = server.database();
      std::error_code ec;
      if (!std::filesystem::exists(dir, ec)) return names;  // no directory, no databases
      if (!std::filesystem::is_directory(dir, ec)) {
        return Status::InvalidInput("SQLite scratch location '" + dir + "' is not a directory");
      }
      for (std::filesystem::directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec)) {
        std::string file = it->path().filename().string();
        if (!EndsWith(file, ".db") || file.size() <= 3 || !StartsWith(file, prefix)) continue;
        std::error_code type_ec;
        if (!it->is_regular_file(type_ec)) continue;
        names.push_back(file.substr(0, file.size() - 3));
      }
      if (ec) return Status::Io("cannot list the SQLite scratch directory '" + dir + "': " + ec.message());
      std::sort(names.begin(), names.end());
      return names;
    });
  }

 private:
  // What a sqlite URI asks for: the file (as given: a relative path is
  // relative to the working directory) and the connection settings.
  struct OpenRequest {
    std::string path;
    int busy_ms = kDefaultBusyTimeoutMs;
    int flags = SQLITE_OPEN_READWRITE;
  };

  static Result<OpenRequest> ParseUri(const ConnectionUri& uri) {
    const std::string display = uri.Redacted();
    if (uri.driver_scheme() != "sqlite") {
      return Status::InvalidInput("the sqlite driver cannot open '" + display + "': expected a sqlite: URI");
    }
    OpenRequest req;
    for (const auto& [key, value] : uri.params()) {
      if (key == "busy_timeout") {
        auto ms = ParseMillis(key, value);
        if (!ms.ok()) return ms.status().WithContext(display);
        req.busy_ms = *ms;
      } else if (key == "mode" && (value == "ro" || value == "rw")) {
        req.flags = value == "ro" ? SQLITE_OPEN_READONLY : SQLITE_OPEN_READWRITE;
      } else {
        return Status::InvalidInput(display + ": unsupported sqlite URI parameter '" + key +
                                    "' (or value); accepted: busy_timeout=<ms>, mode=ro|rw");
      }
    }
    req.path = uri.database();
    return req;
  }

  Result<std::unique_ptr<Connection>> DoConnect(const ConnectionUri& uri) {
    const std::string display = uri.Redacted();
    auto req = ParseUri(uri);
    if (!req.ok()) return req.status();
    const int busy_ms = req->busy_ms;
    const int flags = req->flags;
    const std::string& path = req->path;
    struct stat st {};
    if (::stat(path.c_str(), &st) != 0) {
      int err = errno;
      if (err == ENOENT || err == ENOTDIR) {
        return Status::NotFound("SQLite database file '" + path + "' does not exist (" + display +
                                "): check the path; cutover never creates a database when connecting");
      }
      return Status::Io("cannot access SQLite database file '" + path + "': " + ErrnoText(err));
    }
    if (S_ISDIR(st.st_mode)) {
      return Status::InvalidInput("'" + path + "' is a directory, not a SQLite database file (" + display +
                                  ")");
    }
    sqlite3* raw = nullptr;
    int rc = sqlite3_open_v2(path.c_str(), &raw,
                             flags | SQLITE_OPEN_NOMUTEX | SQLITE_OPEN_EXRESCODE | SQLITE_OPEN_PRIVATECACHE,
                             nullptr);
    if (rc != SQLITE_OK) {
      Status st_open =
          Status::Connection("cannot open SQLite database '" + path +
                             "': " + ScrubSecrets(raw != nullptr ? sqlite3_errmsg(raw) : sqlite3_errstr(rc)));
      sqlite3_close_v2(raw);
      return st_open;
    }
    auto conn = std::make_unique<SqliteConnection>(raw, uri, busy_ms);
    sqlite3_busy_timeout(raw, busy_ms);
    // Reading the schema proves the file is a database: a random, truncated
    // or damaged file fails here, not in the middle of a later operation.
    sqlite3_stmt* check = nullptr;
    int check_rc = sqlite3_prepare_v2(raw, "SELECT count(*) FROM main.sqlite_schema", -1, &check, nullptr);
    StatementPtr check_stmt(check);
    if (check_rc == SQLITE_OK) {
      while ((check_rc = sqlite3_step(check)) == SQLITE_ROW) {
      }
    }
    // SQLITE_BUSY: a writer holds the file locked. Connecting must not fail
    // for that: the caller's next operation waits up to its own lock timeout
    // (a snapshot may be allowed much longer than the busy default) and
    // checks the file then.
    if (check_rc != SQLITE_OK && check_rc != SQLITE_DONE && (check_rc & 0xff) != SQLITE_BUSY) {
      const int primary = check_rc & 0xff;
      const std::string engine_msg = ScrubSecrets(sqlite3_errmsg(raw));
      if (primary == SQLITE_NOTADB || primary == SQLITE_CORRUPT || primary == SQLITE_ERROR) {
        return Status::InvalidInput("'" + path +
                                    "' is not a SQLite database or is damaged (SQLite: " + engine_msg +
                                    "); check the path, or restore the database from a verified snapshot");
      }
      return StatusFromSqlite(raw, check_rc, "cannot read SQLite database '" + path + "'");
    }
    check_stmt.reset();
    CUTOVER_RETURN_IF_ERROR(conn->ExecuteScript("PRAGMA foreign_keys = ON"));
    bool fk_on = false;
    CUTOVER_RETURN_IF_ERROR(conn->Query(
        "PRAGMA foreign_keys",
        [&](RowView row) {
          fk_on = !row.empty() && row[0].data == "1";
          return Status::Ok();
        },
        ExecOptions{}));
    if (!fk_on) {
      return Status::Unsupported(display +
                                 ": this SQLite library cannot enforce foreign keys "
                                 "(built with SQLITE_OMIT_FOREIGN_KEY)");
    }
    return std::unique_ptr<Connection>(std::move(conn));
  }

  Result<std::vector<ImageTableDigest>> DigestImage(const std::string& path,
                                                    const std::vector<std::string>& tables) override {
    return Guarded("image " + path, [&]() -> Result<std::vector<ImageTableDigest>> {
      return DigestSqliteImage(path, tables);
    });
  }

  // The file Connect() opens for `uri`. SQLite resolves a relative path
  // against the working directory when it opens it; so does this, once, so
  // the path stays right if the directory changes later.
  Result<std::string> ImageFilePath(const ConnectionUri& uri) const override {
    return Guarded(uri.Redacted(), [&]() -> Result<std::string> {
      auto req = ParseUri(uri);
      if (!req.ok()) return req.status();
      std::error_code ec;
      std::filesystem::path absolute = std::filesystem::absolute(req->path, ec);
      if (ec) {
        return Status::Io("cannot resolve the SQLite database path '" + req->path + "' (" + uri.Redacted() +
                          "): " + ec.message());
      }
      return absolute.string();
    });
  }

  Result<std::vector<ScriptStatement>> SplitScript(std::string_view script) const override {
    return Guarded("sqlite SplitScript",
                   [&]() -> Result<std::vector<ScriptStatement>> { return SplitSqliteScript(script); });
  }

  DriverInfo info_;
};

Driver* MakeSqliteDriver() {
  try {
    return new SqliteDriver();
  } catch (...) {
    return nullptr;
  }
}

}  // namespace
}  // namespace cutover::sqlite

CUTOVER_DEFINE_DRIVER_ENTRY("sqlite", &cutover::sqlite::MakeSqliteDriver)
