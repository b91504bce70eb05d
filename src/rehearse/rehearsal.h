// RunRehearsal: runs a migration plan on a restored copy of a target, with
// the executor `cutover apply` uses, while measuring what the application
// would feel (docs/rehearsal.md).
//
// What it does, on the copy only (the caller made it and drops it):
//   1. reads the copy's tables, starts probe sessions on every table the
//      plan's statements mention (rehearse/probe.h) and two lock observers
//      (who waits; which locks the migration session holds), then marks a
//      baseline window;
//   2. expand: for each pending migration, the rollback drill (expand,
//      checks.sql, compat.sql, rollback.sql, schema compared with the
//      pre-expand schema, expand again), or a plain expand when the
//      migration is irreversible or has no rollback.sql; then backfill,
//      compat.sql again, contract, each phase as `apply --phase P` runs it
//      (checks.sql after each phase);
//   3. per statement execution: duration, rewrite (Connection::StorageIdentity
//      of the tables it touches, before and after, on the migration's own
//      connection so a transactional file's uncommitted rewrite is seen),
//      locks held, waits caused, probe latencies and blocked time per table;
//   4. production estimates scaled by the live row counts the caller passes.
//
// A statement, check or compat query that fails on the copy is a finding
// (report.ok = false, the failure named), never an error return; the run
// stops at the first failed statement or check (later phases depend on
// it). The error return is for what prevents a verdict: the copy cannot be
// reached, the probes cannot start, an interrupt.
//
// Ownership: borrows the driver and plan for the call; owns its connections
// and threads, all closed before returning. Engine knowledge: none; every
// engine difference comes through the driver interface.
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "base/status.h"
#include "base/uri.h"
#include "driver/driver.h"
#include "plan/plan.h"
#include "rehearse/latency.h"

namespace cutover::rehearse {

// Probe latencies of one kind over one statement's window.
struct ProbeFigures {
  std::int64_t count = 0;
  std::int64_t timeouts = 0;
  std::int64_t errors = 0;
  double p50_ms = 0;
  double p95_ms = 0;
  double max_ms = 0;
  std::string first_error;
};

// One table a statement touches.
struct TableFigures {
  std::string table;  // TableId::Display(), or the label of a --probe FILE query
  std::optional<ProbeFigures> read;
  std::optional<ProbeFigures> write;
  std::optional<double> blocked_read_ms;  // nullopt: no probe of that kind on this table
  std::optional<double> blocked_write_ms;
  std::optional<bool> rewrite;  // nullopt: the engine could not tell
};

struct LockFigures {
  std::string object;
  std::string mode;
  // When it was first seen, from the rehearsal's start, less half a
  // sampling interval (it was taken within the interval before); nullopt
  // when unknown.
  std::optional<double> start_ms;
  double held_ms = 0;
  bool table_level = false;  // stronger than row level (HeldLock::table_level)
};

struct WaitFigures {
  std::string object;
  std::string lock;
  std::vector<std::string> waiting;  // probe labels ("orders write") or session ids
  double longest_wait_ms = 0;
};

// One execution of one statement (a backfill statement's batches are one
// execution with `batches` > 0).
struct StatementResult {
  std::string migration;
  std::string phase;  // expand, backfill, contract, rollback
  std::string file;   // "0003_x/expand.sql"
  int line = 0;
  std::string sql;
  // When it started, in ms from the rehearsal's start (RehearsalReport::
  // timeline); a backfill: its first batch.
  double start_ms = 0;
  bool drill = false;  // rollback.sql and the second expand of the rollback drill
  int attempts = 1;
  std::int64_t batches = 0;
  std::int64_t rows = 0;  // rows changed (as the engine reports)
  bool ok = true;
  std::string error;
  double duration_ms = 0;
  std::optional<bool> rewrite;  // true when any touched table was rewritten; nullopt: unknown
  std::vector<std::string> rewritten;
  std::vector<LockFigures> locks;
  std::vector<WaitFigures> waits;
  std::vector<TableFigures> tables;
  // Over the tables: the largest blocked time, and the figures of the table
  // with the largest max latency.
  std::optional<double> blocked_read_ms;
  std::optional<double> blocked_write_ms;
  std::optional<ProbeFigures> read;
  std::optional<ProbeFigures> write;
  // Production estimate.
  bool scaled = false;  // scaled by row growth (it scanned, rewrote or changed rows)
  double growth = 1.0;  // live rows / copy rows of the tables it touches
  double estimate_duration_ms = 0;
  std::optional<double> estimate_blocked_read_ms;
  std::optional<double> estimate_blocked_write_ms;
  // Internal: the probe/lock window of this execution.
  std::string window;
};

struct BackfillResult {
  std::string migration;
  std::int64_t rows = 0;
  std::int64_t batches = 0;
  double seconds = 0;
  double rows_per_s = 0;
  double production_rows = 0;
  double estimate_s = 0;
};

struct DrillResult {
  std::string migration;
  bool ran = false;  // false: skipped (see skipped_reason)
  std::string skipped_reason;
  bool ok = false;
  double rollback_ms = 0;
  std::vector<std::string> differences;  // named schema differences after rollback
};

struct QueryFailure {
  std::string file;
  int line = 0;
  std::string error;
};

struct QuerySetResult {
  bool ok = true;
  std::int64_t run = 0;
  std::vector<QueryFailure> failed;
  std::vector<QueryFailure> passed;  // `error` empty: one per query that ran and passed
};

struct Totals {
  double expand_s = 0;
  double backfill_s = 0;
  double contract_s = 0;
  double rollback_s = 0;
  std::optional<double> restore_s;  // the snapshot's restore time, from its restore test
  double window_s = 0;              // expand + backfill + contract + max(rollback, restore)
};

// The lock-queue drill (rehearse/queue_drill.h): one statement run behind a
// reader that holds its transaction open, in one mode.
struct QueueDrillFigures {
  bool ran = false;            // false: `skipped` says why
  std::string skipped;         // the reader could not be placed ahead, the replay stopped earlier, ...
  double lock_timeout_ms = 0;  // per attempt, as the statement ran
  int attempts = 0;
  bool gave_up = false;                   // apply ran out of retries while the reader held on
  double queued_ms = 0;                   // from the first attempt until the statement's transaction ended
  std::optional<double> blocked_read_ms;  // over the tables it touches (probes)
  std::optional<double> blocked_write_ms;
  std::optional<ProbeFigures> read;
  std::optional<ProbeFigures> write;
};

struct QueueDrillResult {
  std::string migration;
  std::string phase;
  std::string file;
  int line = 0;
  std::string sql;
  std::string reason;               // why it was drilled: the lock it took, or "the engine shows no locks"
  std::vector<std::string> tables;  // read by the reader ahead of it
  QueueDrillFigures with_lock_timeout;     // as `apply` runs it: its lock timeout and retries
  QueueDrillFigures without_lock_timeout;  // waiting as long as it has to
};

struct QueueDrillReport {
  double hold_s = 0;  // how long the reader holds its transaction
  std::vector<QueueDrillResult> statements;
  std::vector<std::string> notes;
};

// One interval in ms from the rehearsal's start.
struct IntervalMs {
  double start_ms = 0;
  double duration_ms = 0;
};

// What the probes of one (table, kind) saw over the whole rehearsal
// (LatencyTimeline, latency.h), for drawing it on a time axis.
struct ProbeTimeline {
  std::string table;  // as TableFigures::table
  std::string kind;   // "read", "write"
  double bucket_ms = 0;
  std::optional<double> allowed_ms;  // latency above which a probe was blocked
  // (bucket start ms, largest latency ms of the probes started in it).
  std::vector<std::pair<double, double>> latency;
  std::vector<IntervalMs> blocked;
  std::int64_t blocked_dropped = 0;
};

// The rehearsal on a time axis whose 0 is when the probes started (the
// baseline precedes the first statement).
struct RehearsalTimeline {
  double elapsed_ms = 0;  // until the last statement ended
  std::vector<ProbeTimeline> probes;
};

// One run of an outside migrator's command (rehearse --exec).
struct CommandEvidence {
  std::string command;
  int exit_code = -1;  // -1: a signal ended it (`signal`)
  int signal = 0;
  double duration_ms = 0;
  std::string output_tail;        // its last output, the copy's password replaced by ***
  std::int64_t output_bytes = 0;  // all it wrote
  std::int64_t statements = 0;    // statement executions seen on the server
};

// What `rehearse --exec` adds to the report (rehearse/exec.h).
struct ExecReport {
  CommandEvidence forward;
  std::optional<CommandEvidence> rollback;  // --exec-rollback
  // false: the engine cannot show the migrator's statements (SQLite), each
  // command is one step.
  bool statements_observable = true;
  double sample_interval_ms = 0;          // how often the server's sessions were read
  std::vector<std::string> rewritten;     // tables whose storage changed over the forward command
  std::vector<std::string> hashed_files;  // --exec-hash-of, as bound into plan_sha256
};

struct RehearsalReport {
  bool ok = false;
  std::vector<StatementResult> statements;
  std::vector<BackfillResult> backfills;
  std::vector<DrillResult> drills;
  QuerySetResult compat;
  QuerySetResult checks;
  Totals estimate;
  std::vector<std::string> phases_run;  // "expand", ...
  std::vector<std::string> findings;    // one line per thing that failed
  std::vector<std::string> notes;       // what could not be measured and why
  std::string baseline_window = "baseline";
  // Probe and observer figures for the report's footer.
  std::int64_t probes_run = 0;
  double probe_rate = 0;
  std::int64_t lock_samples = 0;
  double lock_interval_ms = 0;
  // Whether the engine showed the locks the migration session held
  // (Connection::LocksHeldBy); the lock-queue drill selects by them.
  bool held_locks_observable = true;
  // --lock-queue-drill: nullopt when not asked for.
  std::optional<QueueDrillReport> queue_drill;
  RehearsalTimeline timeline;
  std::optional<ExecReport> exec;  // rehearse --exec
};

enum class PhaseSelection { kExpand, kBackfill, kContract, kAll };

struct RehearsalOptions {
  PhaseSelection phases = PhaseSelection::kAll;
  std::optional<std::string> to;
  double probe_rate = 100;  // per second per table and kind
  std::chrono::milliseconds probe_timeout{5000};
  std::chrono::milliseconds baseline{1000};
  // The bound. At 5 ms the two observers took about a core of the
  // 2-core bench machine (2-4 ms per PostgreSQL sample) and CPU-bound
  // statements ran 1.7-2.1x slower on the copy than on the original
  // (docs/performance.md).
  std::chrono::milliseconds lock_interval{10};
  // Extra read probes: the application's hot queries (--probe FILE).
  std::vector<std::pair<std::string, std::string>> hot_queries;  // label, sql
  // Live row counts of the target (Connection::EstimatedRowCounts), for the
  // estimates; empty: no scaling.
  std::vector<TableRowEstimate> live_rows;
  std::optional<double> restore_seconds;
  std::string tool_version;
  std::string applied_by;
  std::function<void(const std::string&)> note;  // progress for people (stderr)
};

Result<RehearsalReport> RunRehearsal(Driver& driver, const ConnectionUri& copy, const plan::Plan& plan,
                                     const RehearsalOptions& options);

// SHA-256 over every file of the plan: each file's path relative to the
// plan and its checksum (plan::PlanFile::checksum), in plan order. Any
// edit, added or removed file changes it.
std::string PlanSha256(const plan::Plan& plan);

}  // namespace cutover::rehearse
