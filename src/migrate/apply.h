// `cutover apply`: runs one phase of a migration plan against a target and
// records every step in the history table (docs/migrations.md).
//
// Apply() takes the migration lock (Connection::AcquireMigrationLock), reads
// the history, refuses before changing anything when an applied file was
// edited, a recorded migration is missing on disk, or a phase's
// prerequisites are not met (contract before expand, ...), then runs the
// phase's files in plan order (rollback: reverse order):
//   - in one transaction, history row included, when the engine has
//     transactional DDL and the file has no `no-transaction` directive;
//   - otherwise statement by statement in autocommit, recording
//     statements_done after each, so a re-run resumes at the failed statement;
//   - backfill: the batch statement repeatedly, each batch and its history
//     update in one transaction, until a batch changes no rows;
//   - every statement with a lock timeout (directive > option > 2 s) and its
//     statement timeout; a lock timeout is retried with exponential backoff
//     and jitter (a transactional file as a whole);
//   - checks.sql after each phase of a migration.
//
// Ownership: borrows the Connection and the Plan for the call. The migration
// lock is released before returning (and by the server if the process dies).
// Failure: ApplyReport::status says why the run stopped, with a code the CLI
// turns into the exit code: kCheckFailed (a statement or check failed, or
// the run was refused: exit 1), kInvalidInput (bad --to, bad plan file: exit
// 2), kConnection (connection lost: exit 3), kIo (a file system failure, e.g.
// a full disk under SQLite: exit 3), kCancelled (interrupted by a signal,
// after finishing and recording the current statement or batch: exit 3). A
// failed statement keeps the server's SQLSTATE (Status::sqlstate(), and
// StepOutcome::sqlstate).
// Steps completed before the failure stay applied and recorded.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "base/status.h"
#include "driver/driver.h"
#include "migrate/history.h"
#include "plan/plan.h"

namespace cutover::migrate {

inline constexpr std::chrono::milliseconds kDefaultLockTimeout{2000};
inline constexpr int kDefaultRetries = 5;

// Sees every migration statement that apply runs, around its execution, so
// that `cutover rehearse` can measure each one (probes, lock observation)
// with the very executor `apply` uses. Called on apply's thread, for every
// attempt (a retry after a lock timeout is a new attempt) and every backfill
// batch; must not throw. Borrowed by ApplyOptions for the call.
class StatementObserver {
 public:
  struct Event {
    const plan::Migration* migration = nullptr;
    const plan::PlanFile* file = nullptr;
    const plan::Statement* statement = nullptr;
    std::string_view phase;                     // history phase: "expand", "backfill", "contract", "rollback"
    std::string_view sql;                       // as executed (backfill: the batch size filled in)
    int attempt = 0;                            // 0 for the first
    bool batch = false;                         // a backfill batch
    std::chrono::milliseconds lock_timeout{0};  // the limit the statement runs with
  };
  virtual ~StatementObserver() = default;
  virtual void Before(const Event& event) = 0;
  // `rows`: what the statement changed (0 when it failed).
  virtual void After(const Event& event, const Status& result, std::int64_t rows) = 0;
};

struct ApplyOptions {
  plan::Phase phase = plan::Phase::kExpand;  // kExpand, kBackfill, kContract or kRollback
  std::optional<std::string> to;             // last migration to include (rollback: the oldest)
  bool dry_run = false;
  bool baseline = false;                                  // record as applied without running (phase ignored)
  std::optional<std::chrono::milliseconds> lock_timeout;  // below statement/file directives
  std::optional<std::chrono::milliseconds> statement_timeout;  // below statement/file directives
  // Above every directive: rehearse's lock-queue drill runs statements as
  // if they had no lock timeout (a limit longer than the drill). Never set
  // by `apply`.
  std::optional<std::chrono::milliseconds> forced_lock_timeout;
  int retries = kDefaultRetries;
  std::optional<std::int64_t> batch_size;          // overrides the batch-size directive
  std::optional<std::chrono::milliseconds> pause;  // overrides the pause directive
  std::string applied_by;                          // AppliedBy(uri)
  std::string tool_version;
  // First backoff delay after a lock timeout; doubles per retry, plus jitter.
  std::chrono::milliseconds backoff{250};
  // Receives notes for people (retries, resumes, progress): stderr in the CLI.
  std::function<void(const std::string&)> note;
  // Sees every statement run (rehearse); none by default.
  StatementObserver* observer = nullptr;
};

struct StepOutcome {
  std::string migration;
  std::string phase;
  std::string file;     // "0007_x/expand.sql"
  std::string outcome;  // "applied", "resumed", "would run", "baseline", "failed", "interrupted"
  bool transactional = false;
  std::int64_t statements = 0;  // statements run by this invocation
  std::int64_t resumed_at = 0;  // statements skipped because an earlier run committed them
  std::int64_t duration_ms = 0;
  std::int64_t retries = 0;
  std::int64_t batches = 0;  // backfill totals, accumulated across runs
  std::int64_t rows = 0;
  std::string error;
  std::string sqlstate;  // of the failed statement: SQLSTATE, MySQL error number or SQLite result code
  // checks.sql failed after this step ran: the query's file and line, and why.
  std::string check_file;
  int check_line = 0;
  std::string check_error;
};

struct ApplyReport {
  std::vector<StepOutcome> steps;
  // --dry-run: what would run, statement by statement.
  std::string dry_run_text;
  Status status;
};

ApplyReport Apply(Connection& conn, const plan::Plan& plan, const ApplyOptions& options);

// Human summary and JSON ({"format":"cutover.apply","version":1,...}).
// A failed step shows its code: "[SQLSTATE 42P01]", "[error code 2067]".
std::string ApplyText(const ApplyReport& report, const ApplyOptions& options);
std::string ApplyJson(const ApplyReport& report, const ApplyOptions& options);

// SHA-256 over the first `count` statements of `file` (their text, each
// followed by a NUL): what HistoryRow::done_checksum records.
std::string StatementsChecksum(const plan::PlanFile& file, std::int64_t count);

}  // namespace cutover::migrate
