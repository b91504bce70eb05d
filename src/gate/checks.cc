#include "gate/checks.h"

#include <optional>

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

std::optional<SnapshotSummary> NewestSnapshot(const SnapshotEvidence& e) {
  std::optional<SnapshotSummary> newest;
  for (const SnapshotSummary& s : e.snapshots) {
    if (s.snapshot.deleted || s.snapshot.target != e.target || s.snapshot.engine != e.engine) continue;
    // Snapshot ids start with their UTC time, so they order as they were taken.
    if (!newest || s.snapshot.id > newest->snapshot.id) newest = s;
  }
  return newest;
}

}  // namespace

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
  const std::optional<SnapshotSummary> newest = NewestSnapshot(e);
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
