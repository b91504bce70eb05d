// The lock-queue drill (`rehearse --lock-queue-drill SECONDS`): what a long
// transaction ahead of a migration statement costs everyone who queues
// behind it, with and without the lock timeout `apply` uses.
//
// A session that read a table in a transaction it keeps open (a report, a
// console left in BEGIN) holds a shared lock on it. A statement that needs
// a stronger lock waits for that session, and on most engines every later
// read and write of the table waits behind the statement: an outage as long
// as the reader, not as long as the DDL. `apply`'s lock timeout bounds it.
//
// RunQueueDrill replays the plan on a fresh copy (made by the caller, one per
// mode) with apply's executor while the probe workload runs on the tables
// the drilled statements touch. Before a drilled statement's first attempt
// it opens a reader on those tables (Begin, one read each) that holds its
// transaction for `hold`, then ends it when the statement's transaction is
// over (the next statement starts, or the phase ends). Modes:
//   - kApplyTimeout: the statement runs as `apply` runs it: each attempt
//     waits up to its lock timeout, apply backs off and retries until the
//     reader is gone or the retries run out (the replay then runs the phase
//     again, resuming, so later statements are drilled too);
//   - kNoTimeout: one attempt with a lock limit longer than the drill
//     (hold + 60 s): the queue lasts as long as the reader does.
// Per statement it reports the attempts, the time from the first attempt to
// the end of the statement's transaction, and the probes' blocked time.
//
// Selection (SelectQueueDrillStatements): the expand and contract
// statements of the main rehearsal that held a lock stronger than row level
// (HeldLock::table_level), or for which no lock was seen at all (the engine
// shows none; or the lock was held for less than the sampling interval, as
// a catalog-only ALTER can). Statements seen holding row-level
// locks only, backfill batches and the rollback drill are not drilled. A reader that cannot read a table
// ahead of a statement (an earlier statement of the same transaction already locks it: the queue formed
// there) is reported as skipped with the reason.
//
// Ownership: borrows everything for the call; owns its connections and
// threads, all closed before returning. Failure: an error return is for
// what stops the replay (copy unreachable, interrupt); a statement that
// fails in the replay ends it, and the statements not reached say so.
// Engine knowledge: none.
#pragma once

#include <chrono>
#include <vector>

#include "base/status.h"
#include "base/uri.h"
#include "driver/driver.h"
#include "plan/plan.h"
#include "rehearse/rehearsal.h"

namespace cutover::rehearse {

enum class QueueDrillMode { kApplyTimeout, kNoTimeout };

// The statements to drill, with migration, phase, file, line, sql and
// reason filled in (figures empty), in execution order, each once.
std::vector<QueueDrillResult> SelectQueueDrillStatements(const RehearsalReport& main);

// Runs one mode on `copy`, filling `statements[i].with_lock_timeout` or
// `.without_lock_timeout` (and `.tables`).
Status RunQueueDrill(Driver& driver, const ConnectionUri& copy, const plan::Plan& plan,
                     const RehearsalOptions& options, QueueDrillMode mode, std::chrono::milliseconds hold,
                     std::vector<QueueDrillResult>& statements);

}  // namespace cutover::rehearse
