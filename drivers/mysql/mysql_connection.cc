// The MySQL/MariaDB session (MysqlConnection): statements, queries,
// transactions, quoting and server info, over MySQL Connector/C++ 1.1
// (legacy API).
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
namespace {

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

// SHOW WARNINGS / SHOW ERRORS / SHOW COUNT(*) ...: they read the diagnostics
// area, so the driver must neither reset it before nor inspect it after.
bool IsDiagnosticStatement(std::string_view sql) {
  if (FirstKeyword(sql) != "SHOW") return false;
  std::string lowered = ToLower(sql);
  return lowered.find("warnings") != std::string::npos || lowered.find("errors") != std::string::npos;
}

}  // namespace

std::string FormatSeconds(std::chrono::milliseconds ms) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.3f", static_cast<double>(ms.count()) / 1000.0);
  return buf;
}

bool FlagParam(const ConnectionUri& uri, const std::string& key, bool fallback) {
  for (const auto& [k, value] : uri.params()) {
    if (k == key) return value == "1" || value == "true" || value == "on";
  }
  return fallback;
}

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

bool MentionsSqlMode(std::string_view sql) {
  return ToLower(sql).find("sql_mode") != std::string::npos;
}

MysqlConnection::MysqlConnection(std::unique_ptr<sql::Connection> conn, ConnectionUri uri, Opener opener,
                                 bool local_infile)
    : conn_(std::move(conn)),
      uri_(std::move(uri)),
      display_uri_(uri_.Redacted()),
      opener_(std::move(opener)),
      local_infile_(local_infile),
      array_insert_(FlagParam(uri_, "array_insert", true)) {}

MysqlConnection::~MysqlConnection() {
  try {
    if (conn_ && !conn_->isClosed()) conn_->close();
  } catch (...) {  // NOLINT(bugprone-empty-catch): nothing to report from a destructor
  }
}

Status MysqlConnection::Init() {
  return Guarded("reading the server version of " + display_uri_, nullptr, [&]() -> Status {
    std::unique_ptr<sql::Statement> st(conn_->createStatement());
    std::unique_ptr<sql::ResultSet> rs(
        st->executeQuery("SELECT VERSION(), CONNECTION_ID(), @@lower_case_table_names, @@SESSION.sql_mode"));
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

std::string MysqlConnection::QuoteLiteral(std::string_view value) const {
  return QuoteString(value, ctx_.backslash_escapes);
}

Result<std::int64_t> MysqlConnection::Execute(std::string_view sql, const ExecOptions& options) {
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

Status MysqlConnection::Begin() {
  return Simple("START TRANSACTION");
}

Status MysqlConnection::Commit() {
  return Simple("COMMIT");
}

Status MysqlConnection::Rollback() {
  return Simple("ROLLBACK");
}

Status MysqlConnection::Query(std::string_view sql, const RowCallback& on_row, const ExecOptions& options) {
  std::string what = "query '" + FirstLine(sql) + "' on " + display_uri_;
  return Guarded(what, &options,
                 [&]() -> Status { return WithLimits(sql, options, [&]() { return Stream(sql, on_row); }); });
}

Status MysqlConnection::RequireDatabase(const std::string& action) const {
  if (!ctx_.database.empty()) return Status::Ok();
  return Status::InvalidInput("cannot " + action + " " + display_uri_ +
                              ": the URI names no database; add one, e.g. mysql://host/dbname");
}

Status MysqlConnection::Run(std::string_view sql, const std::string& what) {
  return Guarded(what, nullptr, [&]() { return RunAndDrain(sql).status(); });
}

Result<std::vector<MysqlConnection::TextRow>> MysqlConnection::Fetch(const std::string& sql,
                                                                     const std::string& what) {
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

Result<std::unique_ptr<MysqlConnection>> MysqlConnection::OpenAuxiliary(bool local_infile) {
  if (!opener_)
    return Status::Internal("this connection to " + display_uri_ + " cannot open helper connections");
  auto raw = opener_(local_infile);
  if (!raw.ok()) return raw.status();
  auto c = std::make_unique<MysqlConnection>(std::move(*raw), uri_);
  CUTOVER_RETURN_IF_ERROR(c->Init());
  c->local_infile_capable_ = local_infile;
  return c;
}

Status MysqlConnection::Cancel() {
  // The protocol has no out-of-band cancel: KILL QUERY from a session of
  // its own. opener_ and session_id_ do not change after Init(), so this
  // may run on another thread.
  if (!opener_)
    return Status::Internal("this connection to " + display_uri_ + " cannot open helper connections");
  auto raw = opener_(false);
  if (!raw.ok())
    return raw.status().WithContext("opening a session to cancel the statement of " + display_uri_);
  MysqlConnection killer(std::move(*raw), uri_);
  CUTOVER_RETURN_IF_ERROR(killer.Init());
  cancel_requested_ = true;
  auto killed = killer.Execute("KILL QUERY " + session_id_, {});
  if (!killed.ok()) return killed.status().WithContext("cancelling the statement of " + display_uri_);
  return Status::Ok();
}

void MysqlConnection::SetSqlMode(const std::string& mode) {
  ctx_.backslash_escapes = ToUpper(mode).find("NO_BACKSLASH_ESCAPES") == std::string::npos;
}

void MysqlConnection::RefreshSqlMode() {
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

Status MysqlConnection::Simple(const char* sql) {
  return Guarded(std::string(sql) + " on " + display_uri_, nullptr,
                 [&]() -> Status { return RunAndDrain(sql).status(); });
}

int MysqlConnection::LockSeconds(std::chrono::milliseconds ms) {
  return static_cast<int>(std::max<std::int64_t>(1, (ms.count() + 999) / 1000));
}

Result<std::int64_t> MysqlConnection::RunAndDrain(std::string_view sql) {
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

Status MysqlConnection::CheckStreamErrors(const std::string& what) {
  std::unique_ptr<sql::Statement> st(conn_->createStatement());
  std::unique_ptr<sql::ResultSet> rs(st->executeQuery("SHOW ERRORS"));
  if (rs->next()) {
    int code = rs->getInt(2);
    std::string message = rs->getString(3);
    diagnostics_may_hold_errors_ = true;
    throw sql::SQLException(message + " (the server ended the result with this error after " + what + ")", "",
                            code);
  }
  return Status::Ok();
}

void MysqlConnection::ClearDiagnostics() {
  if (!diagnostics_may_hold_errors_) return;
  std::unique_ptr<sql::Statement> st(conn_->createStatement());
  // A statement that uses a (derived) table resets the diagnostics area;
  // DO / SET / SELECT without a table do not.
  st->execute("DO (SELECT 1 FROM (SELECT 1) AS cutover_reset_diagnostics)");
  diagnostics_may_hold_errors_ = false;
}

Status MysqlConnection::Stream(std::string_view sql, const RowCallback& on_row) {
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

Status MysqlConnection::Buffered(const std::string& sql, const RowCallback& on_row) {
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

}  // namespace cutover::mysql

namespace cutover::mysql {

// InnoDB takes each lock when a statement needs it, waiting at most the
// statement's lock_timeout: nothing to take up front.
Status MysqlConnection::BeginWrite(std::chrono::milliseconds /*lock_timeout*/) {
  return Begin();
}

Status MysqlConnection::SetReadOnly() {
  auto r = Execute("SET SESSION TRANSACTION READ ONLY", ExecOptions{});
  return r.ok() ? Status::Ok() : r.status();
}

}  // namespace cutover::mysql
