// The migration history: the `cutover_migrations` table in the target that
// records what `cutover apply` did, one row per (migration, phase).
//
// The row of a (migration, phase) is inserted on the first attempt and updated
// in place by every later one (state, checksum, progress, timings), so the
// table always says the latest outcome of each phase; `attempts` counts the
// runs. Rollback has its own row (phase "rollback") and turns the expand and
// backfill rows into `rolled_back`. See docs/migrations.md for the columns.
//
// The DDL is portable (VARCHAR, BIGINT, TEXT; timestamps are ISO-8601 UTC
// text written by cutover) and every identifier is quoted by the driver.
// `status` never creates the table: a missing table reads as "nothing
// applied"; `apply` creates it on first use (never in --dry-run).
//
// Ownership: functions here borrow the Connection; they run in whatever
// transaction the caller has open, so a file's history row commits together
// with the file. Failure: driver errors are returned with the table named.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "base/status.h"
#include "driver/driver.h"

namespace cutover::migrate {

inline constexpr std::string_view kHistoryTable = "cutover_migrations";

enum class RunState { kRunning, kSucceeded, kFailed, kRolledBack };
std::string_view RunStateName(RunState state);  // "running", "succeeded", ...
std::optional<RunState> ParseRunState(std::string_view text);

struct HistoryRow {
  std::string migration;  // folder name, "0007_split_name"
  std::string phase;      // "expand", "backfill", "contract", "rollback"
  std::string checksum;   // PlanFile::checksum of the file that ran
  RunState state = RunState::kRunning;
  std::string applied_by;  // "alice@build-host, database user app" (never a password)
  std::string started_at;  // ISO-8601 UTC
  std::string finished_at;
  std::int64_t duration_ms = 0;
  // Statements of the file that are committed (for a resume); for a file run
  // in one transaction this is 0 or all of them.
  std::int64_t statements_done = 0;
  std::int64_t statements_total = 0;
  // SHA-256 over the statements counted in statements_done: a resume is
  // allowed only while those are unchanged on disk.
  std::string done_checksum;
  std::int64_t failed_line = 0;  // 0 when nothing failed
  std::string failed_statement;  // its first 200 characters
  std::string error;             // the error message (scrubbed)
  std::string tool_version;      // cutover version that wrote the row
  std::int64_t batches = 0;      // backfill: batches committed
  std::int64_t rows = 0;         // backfill: rows changed in total
  std::int64_t attempts = 0;     // runs of this phase, including this one
  std::string note;              // "baseline: recorded without running", ...
  // Where the row comes from: empty for cutover_migrations; for a plan of
  // another tool's layout, the tool's own history table that recorded it
  // ("flyway_schema_history"), read-only (migrate/foreign_history.h).
  std::string source;
};

// History keyed by (migration, phase).
using History = std::map<std::pair<std::string, std::string>, HistoryRow>;

// True when the history table exists in the connected database.
Result<bool> HistoryTableExists(Connection& conn);
// Creates the table if it does not exist.
Status EnsureHistoryTable(Connection& conn);
// Reads every row; an empty history when the table does not exist.
Result<History> ReadHistory(Connection& conn);
// Inserts (exists == false) or updates the row of (row.migration, row.phase).
Status SaveRow(Connection& conn, const HistoryRow& row, bool exists);

// Now as "2024-05-01T12:00:00.123Z".
std::string NowUtc();
// "user@host, database user dbuser": who is applying.
std::string AppliedBy(const ConnectionUri& uri);

}  // namespace cutover::migrate
