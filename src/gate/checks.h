// The checks of the GO / NO-GO gate (docs/gate.md), as pure functions of
// the evidence the caller read (catalog records, the policy, the time), so
// each can be tested on its own and the gate command only gathers inputs.
//
// Every check answers with a stable id (used in JSON, JUnit and docs), a
// verdict, the evidence it looked at (ids, times, values) and, when it
// fails, the command that fixes it. Evidence that is missing or cannot be
// read is a failure of that check, never a pass: a gate that cannot tell
// says NO-GO.
//
// So far: the snapshot checks (snapshot.fresh, snapshot.verified,
// snapshot.restore_tested), the rehearsal checks (rehearsal.current,
// rehearsal.blocking, rehearsal.compat, rehearsal.rollback, window.fits),
// history.clean, snapshot.after_expand and lint.clean.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "catalog/catalog.h"
#include "config/config.h"
#include "lint/lint.h"
#include "migrate/status.h"

namespace cutover::gate {

enum class Verdict { kPass, kFail, kSkipped };
const char* VerdictName(Verdict verdict);  // "pass", "fail", "skipped"

struct CheckResult {
  std::string id;  // "snapshot.fresh", ...
  Verdict verdict = Verdict::kFail;
  std::string evidence;  // what was looked at, for people and the audit log
  std::string fix;       // failures: the command (or action) that fixes it
};

struct SnapshotEvidence {
  std::string target;       // the target's label, as the catalog records it
  std::string engine;       // its driver's name
  std::string target_text;  // how the user named it, for the commands in `fix`
  std::int64_t now = 0;     // seconds since the epoch
  Policy policy;
  std::vector<SnapshotSummary> snapshots;  // the catalog's, any target
};

// The newest snapshot of `target` (not deleted, of `engine`): the backup a
// failed cutover would restore.
std::optional<SnapshotSummary> NewestSnapshot(const std::vector<SnapshotSummary>& snapshots,
                                              const std::string& target, const std::string& engine);

// snapshot.fresh, snapshot.verified and snapshot.restore_tested, about the
// newest snapshot of the target.
std::vector<CheckResult> SnapshotChecks(const SnapshotEvidence& evidence);

struct RehearsalEvidence {
  std::string target;  // label, as the catalog records it
  std::string target_text;
  // How `rehearse` names the plan, for the commands in `fix`: "--plan DIR"
  // or "--exec '...' --exec-hash-of ...".
  std::string plan_args;
  std::string phase;             // "expand", "backfill" or "contract"
  std::string plan_sha256;       // of the plan on disk now (rehearse::PlanSha256)
  std::string live_fingerprint;  // of the live target now
  std::int64_t now = 0;
  Policy policy;
  std::vector<RehearsalRecord> rehearsals;  // the catalog's for the target, any order
};

// The rehearsal the checks below judge: the newest of the target that ran
// `phase` with this plan (the newest of any plan when this one was never
// rehearsed), or nullopt.
std::optional<RehearsalRecord> RehearsalFor(const RehearsalEvidence& evidence);

// rehearsal.current, rehearsal.blocking, rehearsal.compat,
// rehearsal.rollback and window.fits, about the newest rehearsal of the
// target that ran `phase` with this plan (the newest of any plan when this
// one was never rehearsed: rehearsal.current then fails). Only rehearsal.current looks at the match of
// plan and fingerprints; the others read that same rehearsal's report, so
// a stale rehearsal fails one check, not five.
std::vector<CheckResult> RehearsalChecks(const RehearsalEvidence& evidence);

// history.clean: nothing in the target's history is edited, missing,
// failed or partial (migrate::ComputeStatus of the plan and the history).
CheckResult HistoryClean(const migrate::StatusReport& status, const std::string& target_text,
                         const std::string& plan_dir);

// snapshot.after_expand, for the contract phase (skipped otherwise): the
// newest snapshot started after every expand about to be contracted
// finished, so that it holds the expanded schema and data a restore would
// need. `newest` is nullopt when the target has no snapshot.
CheckResult SnapshotAfterExpand(const migrate::StatusReport& status, const std::string& phase,
                                const std::optional<SnapshotRecord>& newest, const std::string& target_text);

// lint.clean: no error-level finding (warnings too with lint_warnings =
// "fail"); ignored findings do not count.
CheckResult LintClean(const lint::LintReport& report, const Policy& policy, const std::string& plan_dir);

// schema.no_drift: `differences` (named, as drift reports them) between
// the expected schema, described by `expected` ("the history's replay",
// "snapshot ID's schema"), and the live one. `unknown` says why the
// comparison could not be made (then the check fails).
CheckResult SchemaNoDrift(const std::string& expected, const std::vector<std::string>& differences,
                          const std::string& unknown, const std::string& fix);

// "3h 12m", "2d 4h", "45s": an age or a limit for the evidence text.
std::string FormatAge(std::int64_t seconds);

}  // namespace cutover::gate
