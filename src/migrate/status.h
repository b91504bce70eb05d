// Migration status: the plan on disk compared with the history table, per
// migration and phase (expand, backfill, contract; rollback rows are shown as
// information). Pure functions of a Plan and a History: no connection, so
// `cutover status` is read-only and the same logic lets `apply` refuse edited
// or missing migrations before it changes anything.
//
// States (docs/migrations.md):
//   applied          the phase succeeded and its file is unchanged
//   pending          not run yet (or rolled back, or a transactional file that failed)
//   edited           applied, but the file's checksum differs from the one recorded
//   missing          recorded in the history, but the migration or file is gone from the plan
//   out_of_order     expand pending while a later migration's expand is applied
//   failed           the last run failed (with file:line, statement and how many statements ran)
//   partial          recorded as running: interrupted (killed) or running right now
//   rolled_back      rolled back: pending again
// `problems()` counts edited, missing, failed and partial entries: `status`
// exits 1 when there is any.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "migrate/history.h"
#include "plan/plan.h"

namespace cutover::migrate {

enum class PhaseState { kApplied, kPending, kEdited, kMissing, kOutOfOrder, kFailed, kPartial, kRolledBack };
std::string_view PhaseStateName(PhaseState state);  // "applied", "out_of_order", ...

struct PhaseStatus {
  std::string migration;
  std::string phase;  // "expand", "backfill", "contract", "rollback"
  PhaseState state = PhaseState::kPending;
  std::optional<HistoryRow> row;  // the history row, when there is one
  std::string file;               // "0007_x/expand.sql" when on disk, else empty
  std::string detail;             // one human sentence
};

struct StatusReport {
  bool history_table = false;  // false: no history table yet (nothing applied)
  std::vector<PhaseStatus> entries;

  int problems() const;
  const PhaseStatus* Find(const std::string& migration, const std::string& phase) const;
};

StatusReport ComputeStatus(const plan::Plan& plan, const History& history, bool history_table);

std::string StatusText(const StatusReport& report);
// {"format":"cutover.status","version":1,"history_table":...,"problems":N,"entries":[...]}
std::string StatusJson(const StatusReport& report);

}  // namespace cutover::migrate
