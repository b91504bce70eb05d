// The SQLite session (SqliteConnection): statements, queries, transactions,
// quoting and server info, with statement and lock limits enforced by a
// progress handler (LimitGuard).
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
namespace {

std::atomic<std::uint64_t> g_connection_counter{0};

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

// The first line of a statement, shortened, for messages.
std::string FirstLine(std::string_view stmt) {
  std::string_view line = stmt.substr(0, stmt.find('\n'));
  line = Trim(line);
  std::string out(line.substr(0, 120));
  if (line.size() > 120) out += "...";
  return ScrubSecrets(out);
}

// Applies ExecOptions to one statement and restores the connection's
// defaults when destroyed.
// Runs `fn` when the scope ends, on every path out.
template <typename Fn>
class ScopeExit {
 public:
  explicit ScopeExit(Fn fn) : fn_(std::move(fn)) {}
  ~ScopeExit() { fn_(); }
  ScopeExit(const ScopeExit&) = delete;
  ScopeExit& operator=(const ScopeExit&) = delete;

 private:
  Fn fn_;
};

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

}  // namespace

int LineAt(std::string_view text, std::size_t pos) {
  return 1 +
         static_cast<int>(std::count(text.begin(), text.begin() + static_cast<std::ptrdiff_t>(pos), '\n'));
}

std::string Quote(std::string_view name) {
  return "\"" + ReplaceAll(name, "\"", "\"\"") + "\"";
}

std::string QuoteText(std::string_view value) {
  return "'" + ReplaceAll(value, "'", "''") + "'";
}

Status ForEachRow(sqlite3* db, const std::string& sql, const std::string& what,
                  const std::function<Status(sqlite3_stmt*)>& fn,
                  const std::function<void(sqlite3_stmt*)>& bind) {
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

SqliteConnection::SqliteConnection(sqlite3* db, const ConnectionUri& uri, int busy_ms)
    : db_(db), display_(uri.Redacted()), path_(uri.path()), busy_ms_(busy_ms) {
  info_.product = "SQLite";
  info_.version = sqlite3_libversion();
  info_.version_number = sqlite3_libversion_number();
  session_id_ = "sqlite:" + std::to_string(getpid()) + ":" + std::to_string(++g_connection_counter);
  writing_ = write_locks::Register(session_id_);
}

SqliteConnection::~SqliteConnection() {
  write_locks::Unregister(session_id_);
  sqlite3_close_v2(db_);
  if (lock_fd_ >= 0) ::close(lock_fd_);  // closing the descriptor releases the flock
}

std::string SqliteConnection::QuoteIdentifier(std::string_view name) const {
  return "\"" + ReplaceAll(name, "\"", "\"\"") + "\"";
}

std::string SqliteConnection::QuoteLiteral(std::string_view value) const {
  return "'" + ReplaceAll(value, "'", "''") + "'";
}

Result<std::int64_t> SqliteConnection::Execute(std::string_view sql, const ExecOptions& options) {
  return Guarded(display_, [&]() -> Result<std::int64_t> {
    std::int64_t changes = 0;
    CUTOVER_RETURN_IF_ERROR(Run(sql, options, &changes));
    return changes;
  });
}

Status SqliteConnection::Query(std::string_view sql, const RowCallback& on_row, const ExecOptions& options) {
  return Guarded(display_, [&]() -> Status { return RunQuery(sql, on_row, options); });
}

Status SqliteConnection::Begin() {
  return Guarded(display_, [&]() -> Status { return Run("BEGIN", ExecOptions{}, nullptr); });
}

Status SqliteConnection::Commit() {
  // The commit of a write transaction waits for readers to finish (rollback
  // journal: EXCLUSIVE), and while it waits no new reader gets in: it is
  // bounded by the lock timeout the transaction began with, not by the
  // connection's busy timeout.
  ExecOptions commit;
  commit.lock_timeout = write_lock_timeout_;
  Status st = Guarded(display_, [&]() -> Status { return Run("COMMIT", commit, nullptr); });
  if (st.ok()) write_lock_timeout_ = std::chrono::milliseconds{0};
  return st;
}

Status SqliteConnection::Rollback() {
  return Guarded(display_, [&]() -> Status {
    write_lock_timeout_ = std::chrono::milliseconds{0};
    if (sqlite3_get_autocommit(db_) != 0) return Status::Ok();  // nothing to roll back
    return Run("ROLLBACK", ExecOptions{}, nullptr);
  });
}

Status SqliteConnection::Run(std::string_view sql, const ExecOptions& options, std::int64_t* changes,
                             int first_line) {
  CUTOVER_RETURN_IF_ERROR(CheckText(sql));
  LimitGuard guard(db_, busy_ms_, &deadline_, options);
  const ScopeExit note_write_lock([this] { NoteWriteLockState(); });
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
      std::string where = Describe(sql, pos, first_line);
      int offset = sqlite3_error_offset(db_);
      if (offset >= 0) {
        int error_line = LineAt(sql, pos + static_cast<std::size_t>(offset)) + first_line - 1;
        if (error_line != LineAt(sql, pos) + first_line - 1)
          where += " (error on line " + std::to_string(error_line) + ")";
      }
      return AfterFailure(guard.Translate(rc, where), was_autocommit);
    }
    if (stmt == nullptr) {  // only a comment was left
      if (end <= pos) {
        return Status::InvalidInput(Describe(sql, pos, first_line) +
                                    ": SQLite found no statement in this text");
      }
      pos = end;
      continue;
    }
    const std::int64_t before = sqlite3_total_changes64(db_);
    if (sqlite3_stmt_readonly(stmt.get()) == 0) writing_->store(true);
    while ((rc = sqlite3_step(stmt.get())) == SQLITE_ROW) {
    }
    if (rc != SQLITE_DONE)
      return AfterFailure(guard.Translate(rc, Describe(sql, pos, first_line)), was_autocommit);
    // sqlite3_changes64 keeps its value across DDL: count it only when
    // this statement changed rows.
    if (changes != nullptr && sqlite3_total_changes64(db_) != before) *changes += sqlite3_changes64(db_);
    if (end <= pos) break;
    pos = end;
  }
  return Status::Ok();
}

Result<std::string> SqliteConnection::ScalarText(const char* sql, const std::string& what) {
  sqlite3_stmt* raw = nullptr;
  int rc = sqlite3_prepare_v2(db_, sql, -1, &raw, nullptr);
  StatementPtr stmt(raw);
  if (rc != SQLITE_OK) return StatusFromSqlite(db_, rc, what);
  std::string value;
  while ((rc = sqlite3_step(stmt.get())) == SQLITE_ROW) value = ColumnText(stmt.get(), 0);
  if (rc != SQLITE_DONE) return StatusFromSqlite(db_, rc, what);
  return value;
}

std::string SqliteConnection::Describe(std::string_view sql, std::size_t pos, int first_line) const {
  return display_ + ": statement at line " + std::to_string(LineAt(sql, pos) + first_line - 1) + " (" +
         FirstLine(sql.substr(pos)) + ")";
}

Status SqliteConnection::CheckText(std::string_view sql) const {
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

Status SqliteConnection::RunQuery(std::string_view sql, const RowCallback& on_row,
                                  const ExecOptions& options) {
  CUTOVER_RETURN_IF_ERROR(CheckText(sql));
  LimitGuard guard(db_, busy_ms_, &deadline_, options);
  const ScopeExit note_write_lock([this] { NoteWriteLockState(); });
  std::size_t pos = SkipToStatement(sql, 0);
  if (pos >= sql.size()) return Status::InvalidInput(display_ + ": Query() was given no statement");
  const char* tail = nullptr;
  sqlite3_stmt* raw = nullptr;
  int rc = sqlite3_prepare_v2(db_, sql.data() + pos, static_cast<int>(sql.size() - pos), &raw, &tail);
  StatementPtr stmt(raw);
  if (rc != SQLITE_OK) return guard.Translate(rc, Describe(sql, pos));
  if (stmt != nullptr && sqlite3_stmt_readonly(stmt.get()) == 0) writing_->store(true);
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
          auto r = std::to_chars(buf, buf + 32, static_cast<long long>(sqlite3_column_int64(stmt.get(), i)));
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

}  // namespace cutover::sqlite

namespace cutover::sqlite {

// A deferred transaction takes the write lock at its first write, and could
// then fail busy half-way through a migration file: take it up front, waiting
// at most `lock_timeout` for other writers.
Status SqliteConnection::BeginWrite(std::chrono::milliseconds lock_timeout) {
  ExecOptions begin;
  begin.lock_timeout = lock_timeout;
  Status st = Guarded(display_, [&]() -> Status { return Run("BEGIN IMMEDIATE", begin, nullptr); });
  if (st.ok()) write_lock_timeout_ = lock_timeout;
  return st;
}

Status SqliteConnection::SetReadOnly() {
  return Guarded(display_, [&]() -> Status { return Run("PRAGMA query_only = ON", ExecOptions{}, nullptr); });
}

void SqliteConnection::NoteWriteLockState() {
  writing_->store(sqlite3_txn_state(db_, "main") == SQLITE_TXN_WRITE);
}

Status SqliteConnection::Cancel() {
  // sqlite3_interrupt() is safe to call from another thread while the
  // connection runs a statement (and while it is open).
  sqlite3_interrupt(db_);
  return Status::Ok();
}

}  // namespace cutover::sqlite
