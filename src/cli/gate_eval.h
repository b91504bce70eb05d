// EvaluateGate: the checks of the GO / NO-GO gate (docs/gate.md) for one
// phase of a plan on a target, now. `cutover gate` prints them; `cutover
// apply` evaluates the same checks before changing anything.
//
// Cheap reads only: the catalog, the live schema and history (on a
// read-only session of its own), the plan already read by the caller, lint;
// drift against the history replays it on the scratch server. Each check is
// a pure function in gate/checks.h; this gathers their inputs. Evidence
// that cannot be read fails its check (NO-GO), never passes it.
//
// Errors (no verdict at all): the catalog cannot be read (kIo, "NO-GO: ..."),
// the target cannot be reached (kConnection), its schema or history cannot
// be read.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "catalog/catalog.h"
#include "cli/commands.h"
#include "gate/checks.h"
#include "migrate/status.h"
#include "plan/plan.h"
#include "snapshot/repository.h"

namespace cutover::cli {

// What the gate decided on, for its reports: the checks, and the evidence
// they judged (the newest snapshot, the rehearsal, the phases to run).
struct GateOutcome {
  std::vector<gate::CheckResult> checks;
  std::string plan_sha256;
  std::optional<SnapshotSummary> snapshot;   // the newest snapshot of the target
  std::optional<RehearsalRecord> rehearsal;  // the one the rehearsal checks judged
  migrate::StatusReport in_scope;            // the plan's status, migrations up to --to
};

// `args` gives the target and plan as the user named them (for the fix
// commands), the phase, --to and --scratch; `target` and `plan` are
// resolved and read by the caller, so apply runs exactly the plan the gate
// judged. `exec`: the gate is for an outside migrator (rehearse --exec):
// `plan` is empty, history.clean and lint.clean are skipped and the
// rehearsal is bound to exec->exec_sha256.
Result<GateOutcome> EvaluateGate(CommandContext& ctx, const GateArgs& args,
                                 const CommandContext::Target& target, const plan::Plan& plan,
                                 const snapshot::Repository& repo, Catalog& catalog,
                                 const PlanOrExec* exec = nullptr);

// The ids of the checks that failed, in order (empty: GO).
std::vector<std::string> FailedChecks(const std::vector<gate::CheckResult>& checks);

}  // namespace cutover::cli
