#include "migrate/history.h"

#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <ctime>

#include "base/os_user.h"
#include "base/strings.h"
#include "base/uri.h"

namespace cutover::migrate {
namespace {

struct Column {
  const char* name;
  const char* type;  // portable: every engine accepts these
};

// The columns, in the order ReadHistory selects them.
constexpr Column kColumns[] = {
    {"migration", "VARCHAR(255) NOT NULL"},
    {"phase", "VARCHAR(16) NOT NULL"},
    {"checksum", "VARCHAR(64) NOT NULL"},
    {"state", "VARCHAR(16) NOT NULL"},
    {"applied_by", "VARCHAR(512)"},
    {"started_at", "VARCHAR(32)"},
    {"finished_at", "VARCHAR(32)"},
    {"duration_ms", "BIGINT"},
    {"statements_done", "BIGINT"},
    {"statements_total", "BIGINT"},
    {"done_checksum", "VARCHAR(64)"},
    {"failed_line", "BIGINT"},
    {"failed_statement", "TEXT"},
    {"error", "TEXT"},
    {"tool_version", "VARCHAR(32)"},
    {"batches", "BIGINT"},
    {"rows_changed", "BIGINT"},
    {"attempts", "BIGINT"},
    {"note", "TEXT"},
};

std::string Table(Connection& conn) {
  return conn.QuoteIdentifier(kHistoryTable);
}

std::int64_t ToInt(const Cell& c) {
  if (c.is_null()) return 0;
  return std::strtoll(std::string(c.data).c_str(), nullptr, 10);
}
std::string ToText(const Cell& c) {
  return c.is_null() ? std::string() : std::string(c.data);
}

std::string Context(Connection& conn) {
  return "migration history table " + std::string(kHistoryTable) + " on " + conn.display_uri();
}

}  // namespace

std::string_view RunStateName(RunState state) {
  switch (state) {
    case RunState::kRunning: return "running";
    case RunState::kSucceeded: return "succeeded";
    case RunState::kFailed: return "failed";
    case RunState::kRolledBack: return "rolled_back";
  }
  return "?";
}

std::optional<RunState> ParseRunState(std::string_view text) {
  for (RunState s : {RunState::kRunning, RunState::kSucceeded, RunState::kFailed, RunState::kRolledBack}) {
    if (RunStateName(s) == text) return s;
  }
  return std::nullopt;
}

Result<bool> HistoryTableExists(Connection& conn) {
  auto exists = conn.TableExists(kHistoryTable);
  if (!exists.ok()) return exists.status().WithContext("looking for the " + Context(conn));
  return exists;
}

Status EnsureHistoryTable(Connection& conn) {
  auto exists = HistoryTableExists(conn);
  if (!exists.ok()) return exists.status();
  if (*exists) return Status::Ok();
  std::string ddl = "CREATE TABLE " + Table(conn) + " (";
  for (const Column& c : kColumns) ddl += conn.QuoteIdentifier(c.name) + " " + c.type + ", ";
  ddl += "PRIMARY KEY (" + conn.QuoteIdentifier("migration") + ", " + conn.QuoteIdentifier("phase") + "))";
  auto r = conn.Execute(ddl);
  if (!r.ok()) return r.status().WithContext("creating the " + Context(conn));
  return Status::Ok();
}

Result<History> ReadHistory(Connection& conn) {
  auto exists = HistoryTableExists(conn);
  if (!exists.ok()) return exists.status();
  History history;
  if (!*exists) return history;
  std::vector<std::string> cols;
  for (const Column& c : kColumns) cols.push_back(conn.QuoteIdentifier(c.name));
  const std::string sql = "SELECT " + Join(cols, ", ") + " FROM " + Table(conn);
  Status bad;
  Status st = conn.Query(sql, [&](RowView row) {
    if (row.size() != std::size(kColumns)) return Status::Internal("unexpected column count");
    HistoryRow h;
    h.migration = ToText(row[0]);
    h.phase = ToText(row[1]);
    h.checksum = ToText(row[2]);
    auto state = ParseRunState(ToText(row[3]));
    if (!state) {
      bad = Status::InvalidInput(Context(conn) + ": row (" + h.migration + ", " + h.phase + ") has state '" +
                                 ToText(row[3]) +
                                 "', which cutover does not know; was the table edited by hand? Fix the row");
      return bad;
    }
    h.state = *state;
    h.applied_by = ToText(row[4]);
    h.started_at = ToText(row[5]);
    h.finished_at = ToText(row[6]);
    h.duration_ms = ToInt(row[7]);
    h.statements_done = ToInt(row[8]);
    h.statements_total = ToInt(row[9]);
    h.done_checksum = ToText(row[10]);
    h.failed_line = ToInt(row[11]);
    h.failed_statement = ToText(row[12]);
    h.error = ToText(row[13]);
    h.tool_version = ToText(row[14]);
    h.batches = ToInt(row[15]);
    h.rows = ToInt(row[16]);
    h.attempts = ToInt(row[17]);
    h.note = ToText(row[18]);
    history[{h.migration, h.phase}] = std::move(h);
    return Status::Ok();
  });
  if (!bad.ok()) return bad;
  if (!st.ok()) return st.WithContext("reading the " + Context(conn));
  return history;
}

Status SaveRow(Connection& conn, const HistoryRow& row, bool exists) {
  auto lit = [&](const std::string& s) { return conn.QuoteLiteral(s); };
  auto num = [](std::int64_t v) { return std::to_string(v); };
  const std::vector<std::string> values = {lit(row.migration),
                                           lit(row.phase),
                                           lit(row.checksum),
                                           lit(std::string(RunStateName(row.state))),
                                           lit(row.applied_by),
                                           lit(row.started_at),
                                           lit(row.finished_at),
                                           num(row.duration_ms),
                                           num(row.statements_done),
                                           num(row.statements_total),
                                           lit(row.done_checksum),
                                           num(row.failed_line),
                                           lit(row.failed_statement),
                                           lit(ScrubSecrets(row.error)),
                                           lit(row.tool_version),
                                           num(row.batches),
                                           num(row.rows),
                                           num(row.attempts),
                                           lit(row.note)};
  std::string sql;
  if (exists) {
    std::vector<std::string> sets;
    for (size_t i = 2; i < std::size(kColumns); ++i)
      sets.push_back(conn.QuoteIdentifier(kColumns[i].name) + " = " + values[i]);
    sql = "UPDATE " + Table(conn) + " SET " + Join(sets, ", ") + " WHERE " +
          conn.QuoteIdentifier("migration") + " = " + values[0] + " AND " + conn.QuoteIdentifier("phase") +
          " = " + values[1];
  } else {
    std::vector<std::string> cols;
    for (const Column& c : kColumns) cols.push_back(conn.QuoteIdentifier(c.name));
    sql = "INSERT INTO " + Table(conn) + " (" + Join(cols, ", ") + ") VALUES (" + Join(values, ", ") + ")";
  }
  auto r = conn.Execute(sql);
  if (!r.ok()) {
    return r.status().WithContext("recording " + row.migration + "/" + row.phase + " (" +
                                  std::string(RunStateName(row.state)) + ") in the " + Context(conn));
  }
  return Status::Ok();
}

std::string NowUtc() {
  const auto now = std::chrono::system_clock::now();
  const std::time_t t = std::chrono::system_clock::to_time_t(now);
  const auto ms =
      std::chrono::duration_cast<std::chrono::milliseconds>(now.time_since_epoch()).count() % 1000;
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[96];
  std::snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm.tm_year + 1900, tm.tm_mon + 1,
                tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, static_cast<int>(ms));
  return buf;
}

std::string AppliedBy(const ConnectionUri& uri) {
  std::string out = OsUserAtHost();
  // Only the user name of the URI: never the password.
  if (!uri.user().empty()) out += ", database user " + uri.user();
  return out;
}

}  // namespace cutover::migrate
