#include "gate/checks.h"

#include <algorithm>
#include <cstdio>
#include <functional>
#include <nlohmann/json.hpp>
#include <optional>

#include "base/strings.h"

namespace cutover::gate {
namespace {

CheckResult Fail(const std::string& id, std::string evidence, std::string fix) {
  return CheckResult{id, Verdict::kFail, std::move(evidence), std::move(fix)};
}

CheckResult Pass(const std::string& id, std::string evidence) {
  return CheckResult{id, Verdict::kPass, std::move(evidence), ""};
}

// The age of an event recorded at `at`, or why it cannot be told.
Result<std::int64_t> AgeOf(const std::string& at, std::int64_t now, const std::string& what) {
  auto when = ParseIso8601(at);
  if (!when.ok()) return Status::InvalidInput("the time of " + what + " cannot be read ('" + at + "')");
  return now - *when;
}

// Passes when `at` is no older than `limit`; the evidence names both.
CheckResult Recent(const std::string& id, const std::string& what, const std::string& at, std::int64_t now,
                   std::int64_t limit, const std::string& fix) {
  auto age = AgeOf(at, now, what);
  if (!age.ok()) return Fail(id, age.status().message(), fix);
  const std::string evidence =
      what + " at " + at + ", " + FormatAge(*age) + " ago (limit " + FormatAge(limit) + ")";
  if (*age > limit) return Fail(id, evidence + ": too old", fix);
  if (*age < 0)
    return Fail(id, evidence + ": in the future; check the clock of the host that recorded it", fix);
  return Pass(id, evidence);
}

using Json = nlohmann::json;

std::string Number(double v, int decimals = 0) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.*f", decimals, v);
  return buf;
}

bool RanPhase(const RehearsalRecord& r, const std::string& phase) {
  const std::vector<std::string_view> phases = Split(r.phases, ',');
  return std::find(phases.begin(), phases.end(), phase) != phases.end();
}

}  // namespace

// A newer rehearsal of another plan (a variant tried on the side) does not
// hide this plan's evidence, nor lend it its problems. Ties in time go to
// the later record.
std::optional<RehearsalRecord> RehearsalFor(const RehearsalEvidence& e) {
  std::optional<RehearsalRecord> same_plan;
  std::optional<RehearsalRecord> any_plan;
  for (const RehearsalRecord& r : e.rehearsals) {
    if (r.target != e.target || !RanPhase(r, e.phase)) continue;
    if (!any_plan || r.started_at >= any_plan->started_at) any_plan = r;
    if (r.plan_sha256 == e.plan_sha256 && (!same_plan || r.started_at >= same_plan->started_at))
      same_plan = r;
  }
  return same_plan ? same_plan : any_plan;
}

namespace {

CheckResult Current(const RehearsalEvidence& e, const RehearsalRecord& r, const std::string& rehearse) {
  const std::string id = "rehearsal.current";
  const std::string which = "rehearsal " + r.id;
  if (!r.ok) return Fail(id, which + " found problems: " + r.summary, "fix what it found, then " + rehearse);
  if (r.plan_sha256 != e.plan_sha256) {
    return Fail(id,
                which + " rehearsed another plan: sha256 " + r.plan_sha256.substr(0, 12) + ", the plan is " +
                    e.plan_sha256.substr(0, 12) + " now",
                rehearse);
  }
  if (r.snapshot_fingerprint != e.live_fingerprint) {
    return Fail(
        id,
        which + " ran on a copy whose schema (" + r.snapshot_fingerprint + ") is not the live schema now (" +
            e.live_fingerprint + ")",
        "take a new snapshot (cutover snapshot " + e.target_text + "), restore-test it, then " + rehearse);
  }
  CheckResult recent =
      Recent(id, which + " started", r.started_at, e.now, e.policy.rehearsal_max_age_s, rehearse);
  if (recent.verdict == Verdict::kPass) recent.evidence += "; plan and schema match";
  return recent;
}

// Per statement of the phase (drill executions left out): blocked time and
// duration, as estimated for production, against the policy.
CheckResult Blocking(const RehearsalEvidence& e, const Json& doc, const std::string& rehearse) {
  const std::string id = "rehearsal.blocking";
  const double max_blocked = static_cast<double>(e.policy.max_blocked_ms);
  const double max_statement_ms = static_cast<double>(e.policy.max_statement_s) * 1000.0;
  std::vector<std::string> over;
  int statements = 0;
  double worst_blocked = 0;
  for (const Json& s : doc.value("statements", Json::array())) {
    if (s.value("phase", "") != e.phase || s.value("drill", false)) continue;
    ++statements;
    const std::string where = s.value("file", "?") + ":" + std::to_string(s.value("line", 0));
    const Json& est = s.value("estimate_ms", Json::object());
    for (const char* kind : {"blocked_read", "blocked_write"}) {
      const Json& v = est.contains(kind) ? est[kind] : Json();
      if (v.is_null()) {
        // No probe of that kind ran: fine for a statement that touched no
        // table of the copy, unknown otherwise.
        if (!s.value("tables", Json::array()).empty())
          over.push_back(where + ": " + kind + " was not measured");
        continue;
      }
      worst_blocked = std::max(worst_blocked, v.get<double>());
      if (v.get<double>() > max_blocked) {
        over.push_back(where + ": " + kind + " " + Number(v.get<double>()) + " ms > " + Number(max_blocked) +
                       " ms");
      }
    }
    const double duration = est.value("duration", 0.0);
    if (duration > max_statement_ms) {
      over.push_back(where + ": runs " + Number(duration / 1000.0, 1) + " s > " +
                     std::to_string(e.policy.max_statement_s) + " s");
    }
  }
  for (const Json& b : doc.value("backfills", Json::array())) {
    if (e.phase != "backfill") break;
    const double s = b.value("estimate_s", 0.0);
    if (s > static_cast<double>(e.policy.max_backfill_s)) {
      over.push_back(b.value("migration", "?") + ": backfill estimated at " + Number(s) + " s > " +
                     std::to_string(e.policy.max_backfill_s) + " s");
    }
  }
  const std::string evidence = std::to_string(statements) + " statement(s) of " + e.phase +
                               ", largest blocked time " + Number(worst_blocked) + " ms (limit " +
                               Number(max_blocked) + " ms)";
  if (!over.empty()) {
    return Fail(id, evidence + "; over the policy: " + Join(over, "; "),
                "use the statement's safe form (lint names it), or batch it, then " + rehearse);
  }
  return Pass(id, evidence);
}

CheckResult Rollback(const RehearsalEvidence& e, const Json& doc, const std::string& rehearse) {
  const std::string id = "rehearsal.rollback";
  std::vector<std::string> problems, passed;
  for (const Json& d : doc.value("rollback_drill", Json::array())) {
    const std::string m = d.value("migration", "?");
    if (!d.value("ran", false)) {
      if (!e.policy.allow_irreversible)
        problems.push_back(m + ": no rollback drill (" + d.value("skipped", "") + ")");
      continue;
    }
    if (!d.value("ok", false)) {
      problems.push_back(m + ": rollback.sql leaves " +
                         std::to_string(d.value("differences", Json::array()).size()) + " difference(s)");
    } else {
      passed.push_back(m + " in " + Number(d.value("rollback_ms", 0.0)) + " ms");
    }
  }
  if (!problems.empty()) {
    return Fail(id, Join(problems, "; "),
                "make rollback.sql restore the pre-expand schema, or mark the migration irreversible and set "
                "allow_irreversible = true in [policy], then " +
                    rehearse);
  }
  return Pass(id, passed.empty() ? "no migration to drill" : "rollback drills passed: " + Join(passed, ", "));
}

CheckResult Compat(const Json& doc, const std::string& rehearse) {
  const std::string id = "rehearsal.compat";
  const Json& c = doc.value("compat", Json::object());
  if (!c.value("ok", false)) {
    std::vector<std::string> failed;
    for (const Json& f : c.value("failed", Json::array())) {
      failed.push_back(f.value("file", "?") + ":" + std::to_string(f.value("line", 0)) + ": " +
                       f.value("error", ""));
    }
    return Fail(id, "the previous app version's queries fail: " + Join(failed, "; "),
                "keep what those queries need until contract, then " + rehearse);
  }
  return Pass(id, std::to_string(c.value("run", 0)) + " compat queries passed");
}

CheckResult WindowFits(const RehearsalEvidence& e, const Json& doc, const std::string& rehearse) {
  const std::string id = "window.fits";
  if (!e.policy.window_s) return CheckResult{id, Verdict::kSkipped, "no window in [policy]", ""};
  const Json& t = doc.value("estimate", Json::object());
  if (!t.contains("window_s") || !t["window_s"].is_number()) {
    return Fail(id, "the rehearsal has no window estimate", rehearse);
  }
  const double migration = t.value("expand_s", 0.0) + t.value("backfill_s", 0.0) + t.value("contract_s", 0.0);
  const double rollback = t.value("rollback_s", 0.0);
  const Json& restore = t.contains("restore_s") ? t["restore_s"] : Json();
  const double needed = t["window_s"].get<double>();
  const std::string evidence =
      "migration " + Number(migration, 1) + " s + max(rollback " + Number(rollback, 1) + " s, restore " +
      (restore.is_number() ? Number(restore.get<double>(), 1) + " s" : std::string("unknown")) +
      ") = " + Number(needed, 1) + " s; window " + FormatAge(*e.policy.window_s);
  if (needed > static_cast<double>(*e.policy.window_s)) {
    return Fail(id, evidence + ": does not fit",
                "ask for a window of at least " + FormatAge(static_cast<std::int64_t>(needed) + 1));
  }
  return Pass(id, evidence);
}

}  // namespace

std::vector<CheckResult> RehearsalChecks(const RehearsalEvidence& e) {
  const std::string rehearse = "cutover rehearse " + e.target_text + " " + e.plan_args;
  const std::optional<RehearsalRecord> r = RehearsalFor(e);
  const char* const kIds[] = {"rehearsal.current", "rehearsal.blocking", "rehearsal.compat",
                              "rehearsal.rollback", "window.fits"};
  std::vector<CheckResult> out;
  if (!r) {
    for (const char* id : kIds)
      out.push_back(Fail(id, "no rehearsal of " + e.phase + " for " + e.target, rehearse));
    return out;
  }
  const Json doc = Json::parse(r->report_json, nullptr, false);
  out.push_back(Current(e, *r, rehearse));
  if (doc.is_discarded() || !doc.is_object()) {
    for (const char* id : kIds) {
      if (std::string(id) == "rehearsal.current") continue;
      out.push_back(
          Fail(id, "the report of rehearsal " + r->id + " in the catalog cannot be read", rehearse));
    }
    return out;
  }
  // Each check reads fields of the stored report; a catalog row edited by
  // hand can give one the wrong type, and then that check fails instead of
  // the gate stopping without a verdict.
  using Check = std::function<CheckResult()>;
  const std::pair<const char*, Check> checks[] = {
      {"rehearsal.blocking", [&] { return Blocking(e, doc, rehearse); }},
      {"rehearsal.compat", [&] { return Compat(doc, rehearse); }},
      {"rehearsal.rollback", [&] { return Rollback(e, doc, rehearse); }},
      {"window.fits", [&] { return WindowFits(e, doc, rehearse); }}};
  for (const auto& [id, check] : checks) {
    try {
      out.push_back(check());
    } catch (const Json::exception&) {
      out.push_back(Fail(id,
                         "the report of rehearsal " + r->id + " in the catalog has a field of the wrong type",
                         rehearse));
    }
  }
  return out;
}

CheckResult HistoryClean(const migrate::StatusReport& status, const std::string& target_text,
                         const std::string& plan_dir) {
  const std::string id = "history.clean";
  std::vector<std::string> problems;
  std::string fix;
  for (const migrate::PhaseStatus& p : status.entries) {
    using migrate::PhaseState;
    if (p.state != PhaseState::kEdited && p.state != PhaseState::kMissing && p.state != PhaseState::kFailed &&
        p.state != PhaseState::kPartial) {
      continue;
    }
    problems.push_back(p.migration + " " + p.phase + " " + std::string(migrate::PhaseStateName(p.state)) +
                       (p.detail.empty() ? "" : ": " + p.detail));
    if (!fix.empty()) continue;
    switch (p.state) {
      case PhaseState::kEdited:
        fix = "put the applied file back as it ran (version control), and make the change a new migration";
        break;
      case PhaseState::kMissing: fix = "restore the migration's folder in " + plan_dir; break;
      case PhaseState::kFailed:
        fix = "fix the failed statement, then cutover apply " + target_text + " --plan " + plan_dir +
              " resumes";
        break;
      default:
        fix = "wait for the apply in progress; if it was killed, cutover apply " + target_text + " --plan " +
              plan_dir + " resumes";
    }
  }
  if (!problems.empty()) return Fail(id, Join(problems, "; "), fix);
  if (!status.history_table) return Pass(id, "no history yet: nothing applied to the target");
  return Pass(id, std::to_string(status.entries.size()) +
                      " history entries, none edited, missing, failed or partial");
}

CheckResult SnapshotAfterExpand(const migrate::StatusReport& status, const std::string& phase,
                                const std::optional<SnapshotRecord>& newest, const std::string& target_text) {
  const std::string id = "snapshot.after_expand";
  if (phase != "contract") return CheckResult{id, Verdict::kSkipped, "only the contract phase needs it", ""};
  const std::string take = "cutover snapshot " + target_text + ", then restore-test it";
  if (!newest) return Fail(id, "no snapshot of the target", take);
  std::string latest_expand;
  std::vector<std::string> not_expanded;
  for (const migrate::PhaseStatus& p : status.entries) {
    if (p.phase != "contract" || p.state != migrate::PhaseState::kPending) continue;
    const migrate::PhaseStatus* expand = status.Find(p.migration, "expand");
    if (expand == nullptr || expand->state != migrate::PhaseState::kApplied || !expand->row) {
      not_expanded.push_back(p.migration);
      continue;
    }
    latest_expand = std::max(latest_expand, expand->row->finished_at);
  }
  if (!not_expanded.empty()) {
    return Fail(id, "not expanded yet: " + Join(not_expanded, ", "), "apply the expand phase first");
  }
  if (latest_expand.empty()) return CheckResult{id, Verdict::kSkipped, "no contract pending", ""};
  auto snapshot_at = ParseIso8601(newest->started_at);
  auto expand_at = ParseIso8601(latest_expand);
  if (!snapshot_at.ok() || !expand_at.ok()) {
    return Fail(id,
                "the times of snapshot " + newest->id + " (" + newest->started_at +
                    ") or of the last expand (" + latest_expand + ") cannot be read",
                take);
  }
  const std::string evidence = "snapshot " + newest->id + " started " + newest->started_at +
                               "; the last expand to contract finished " + latest_expand;
  // The catalog keeps whole seconds: a snapshot started in the same second
  // as the expand finished may predate it, so it does not count.
  if (*snapshot_at <= *expand_at) {
    return Fail(id, evidence + ": the snapshot predates it (or started in the same second)", take);
  }
  return Pass(id, evidence);
}

CheckResult LintClean(const lint::LintReport& report, const Policy& policy, const std::string& plan_dir) {
  const std::string id = "lint.clean";
  const int errors = report.errors();
  const int warnings = report.warnings();
  const std::string evidence = std::to_string(errors) + " error(s), " + std::to_string(warnings) +
                               " warning(s), " + std::to_string(report.ignored()) + " ignored, in " +
                               std::to_string(report.statements) + " statements";
  const bool warnings_block = policy.lint_warnings_fail && warnings > 0;
  if (errors == 0 && !warnings_block) return Pass(id, evidence);
  std::vector<std::string> first;
  for (const lint::Finding& f : report.findings) {
    if (f.ignored || f.rule == nullptr) continue;
    if (f.rule->severity != lint::Severity::kError && !warnings_block) continue;
    first.push_back(std::string(f.rule->id) + " " + f.Location());
    if (first.size() == 5) break;
  }
  return Fail(id,
              evidence + (warnings_block && errors == 0 ? " (lint_warnings = \"fail\")" : "") + ": " +
                  Join(first, ", "),
              "cutover lint " + plan_dir + " explains each finding and its safe form");
}

CheckResult SchemaNoDrift(const std::string& expected, const std::vector<std::string>& differences,
                          const std::string& unknown, const std::string& fix) {
  const std::string id = "schema.no_drift";
  if (!unknown.empty())
    return Fail(id, "the live schema could not be compared with " + expected + ": " + unknown, fix);
  if (differences.empty()) return Pass(id, "the live schema equals " + expected);
  std::vector<std::string> first(differences.begin(),
                                 differences.begin() + std::min<std::size_t>(differences.size(), 10));
  return Fail(
      id, std::to_string(differences.size()) + " difference(s) from " + expected + ": " + Join(first, "; "),
      fix);
}

std::optional<SnapshotSummary> NewestSnapshot(const std::vector<SnapshotSummary>& snapshots,
                                              const std::string& target, const std::string& engine) {
  std::optional<SnapshotSummary> newest;
  for (const SnapshotSummary& s : snapshots) {
    if (s.snapshot.deleted || s.snapshot.target != target || s.snapshot.engine != engine) continue;
    // Snapshot ids start with their UTC time, so they order as they were taken.
    if (!newest || s.snapshot.id > newest->snapshot.id) newest = s;
  }
  return newest;
}

const char* VerdictName(Verdict verdict) {
  switch (verdict) {
    case Verdict::kPass: return "pass";
    case Verdict::kFail: return "fail";
    case Verdict::kSkipped: return "skipped";
  }
  return "fail";
}

std::string FormatAge(std::int64_t seconds) {
  if (seconds < 0) return "-" + FormatAge(-seconds);
  const std::int64_t d = seconds / 86400, h = seconds % 86400 / 3600, m = seconds % 3600 / 60,
                     s = seconds % 60;
  if (d > 0) return std::to_string(d) + "d" + (h > 0 ? " " + std::to_string(h) + "h" : "");
  if (h > 0) return std::to_string(h) + "h" + (m > 0 ? " " + std::to_string(m) + "m" : "");
  if (m > 0) return std::to_string(m) + "m" + (s > 0 ? " " + std::to_string(s) + "s" : "");
  return std::to_string(s) + "s";
}

std::vector<CheckResult> SnapshotChecks(const SnapshotEvidence& e) {
  const std::string take = "cutover snapshot " + e.target_text;
  const std::optional<SnapshotSummary> newest = NewestSnapshot(e.snapshots, e.target, e.engine);
  if (!newest) {
    const std::string none = "no snapshot of " + e.target + " (" + e.engine + ") in the catalog";
    return {Fail("snapshot.fresh", none, take),
            Fail("snapshot.verified", none, take + ", then cutover verify"),
            Fail("snapshot.restore_tested", none, take + ", then cutover restore-test")};
  }
  const SnapshotRecord& snap = newest->snapshot;
  const std::string id = snap.id;
  std::vector<CheckResult> out;
  out.push_back(Recent("snapshot.fresh", "snapshot " + id + " taken",
                       snap.finished_at.empty() ? snap.started_at : snap.finished_at, e.now,
                       e.policy.snapshot_max_age_s, take));

  const std::string verify = "cutover verify " + id;
  if (!newest->last_verification) {
    out.push_back(Fail("snapshot.verified", "snapshot " + id + " has never been verified", verify));
  } else if (const VerificationRecord& v = *newest->last_verification; !v.ok) {
    out.push_back(
        Fail("snapshot.verified", "the last verification of " + id + " (" + v.at + ") failed: " + v.detail,
             "take a new snapshot (" + take + "); a snapshot that failed verification is not a backup"));
  } else {
    out.push_back(Pass("snapshot.verified",
                       "snapshot " + id + " verified " + (v.deep ? "(deep) " : "") + "at " + v.at));
  }

  const std::string restore_test = "cutover restore-test " + id;
  if (!newest->last_restore_test) {
    out.push_back(
        Fail("snapshot.restore_tested", "snapshot " + id + " has never been restore-tested", restore_test));
  } else if (const RestoreTestRecord& t = *newest->last_restore_test; !t.ok) {
    out.push_back(Fail(
        "snapshot.restore_tested", "the last restore test of " + id + " (" + t.at + ") failed: " + t.detail,
        "find why the restore failed (cutover restore-test " + id + " -v), then take a new snapshot"));
  } else {
    out.push_back(Recent("snapshot.restore_tested", "snapshot " + id + " restore-tested", t.at, e.now,
                         e.policy.restore_test_max_age_s, restore_test));
  }
  return out;
}

}  // namespace cutover::gate
