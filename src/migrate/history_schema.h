// The schema the migration history says a database should have: the basis of
// `cutover drift TARGET --against history --plan PLAN`.
//
// Replaying is deterministic: the expand and contract files recorded as
// applied in the target's history table are run, in the order they were
// applied there, on a fresh scratch database, and its schema is read back
// through the same introspection as the live one. Backfill files change data
// only and are not replayed; a rolled-back expand is left out; a phase that
// failed half-way (statement by statement, outside a transaction) is replayed
// up to the statements recorded as done, so the expected schema is exactly
// what cutover ran, and any other difference was made by hand.
//
// Failure: a history row whose migration or file is missing from the plan, or
// whose file was edited after it was applied, makes the expected schema
// unknowable: kCheckFailed (exit 1, like `cutover status`) naming the
// migration and file. A statement that fails on the scratch database is kInvalidInput
// with migration/file:line. The scratch database is dropped in every case
// (WithScratchDatabase).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "base/status.h"
#include "driver/driver.h"
#include "migrate/history.h"
#include "plan/plan.h"

namespace cutover::migrate {

// One file to replay.
struct ReplayStep {
  const plan::Migration* migration = nullptr;
  const plan::PlanFile* file = nullptr;
  std::int64_t statements = 0;  // how many of the file's statements, from the first
};

// The files the history says ran, in the order they ran.
Result<std::vector<ReplayStep>> ReplaySteps(const plan::Plan& plan, const History& history);

// Replays `steps` on a fresh scratch database of `scratch_server` and reads its schema.
Result<SchemaModel> SchemaFromHistory(Driver& driver, const ConnectionUri& scratch_server,
                                      const std::vector<ReplayStep>& steps);

// Removes the history table (and what it owns) from a model read from a live
// database, so a comparison covers the application's schema only; for a plan
// of another tool's layout, that tool's history table too.
void RemoveHistoryTable(SchemaModel& model, plan::Layout layout = plan::Layout::kCutover);

}  // namespace cutover::migrate
