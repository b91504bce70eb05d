#include "gate/checks.h"

#include <gtest/gtest.h>

#include <map>

namespace cutover::gate {
namespace {

constexpr std::int64_t kNow = 1796558400;  // 2026-12-06T12:00:00Z
constexpr std::int64_t kHour = 3600;

std::string Ago(std::int64_t seconds) {
  return FormatIso8601(kNow - seconds);
}

SnapshotSummary Snapshot(const std::string& id, std::int64_t taken_ago, const std::string& target = "prod",
                         const std::string& engine = "postgresql") {
  SnapshotSummary s;
  s.snapshot.id = id;
  s.snapshot.target = target;
  s.snapshot.engine = engine;
  s.snapshot.started_at = Ago(taken_ago + 60);
  s.snapshot.finished_at = Ago(taken_ago);
  return s;
}

SnapshotSummary Proven(const std::string& id, std::int64_t taken_ago, std::int64_t tested_ago) {
  SnapshotSummary s = Snapshot(id, taken_ago);
  s.last_verification = VerificationRecord{id, Ago(taken_ago), true, true, "ok", 1.0};
  RestoreTestRecord t;
  t.snapshot_id = id;
  t.target = "prod";
  t.at = Ago(tested_ago);
  t.ok = true;
  s.last_restore_test = t;
  return s;
}

SnapshotEvidence Evidence(std::vector<SnapshotSummary> snapshots) {
  SnapshotEvidence e;
  e.target = "prod";
  e.engine = "postgresql";
  e.target_text = "prod";
  e.now = kNow;
  e.snapshots = std::move(snapshots);
  return e;
}

// id -> result, checking that each check appears once.
std::map<std::string, CheckResult> ById(const std::vector<CheckResult>& results) {
  std::map<std::string, CheckResult> out;
  for (const CheckResult& r : results) EXPECT_TRUE(out.emplace(r.id, r).second) << "twice: " << r.id;
  return out;
}

TEST(GateSnapshotChecks, PassWhenTheNewestSnapshotIsFreshVerifiedAndRestoreTested) {
  auto checks = ById(SnapshotChecks(Evidence({Proven("20261206T080000.000Z-aaaaaa", 4 * kHour, 3 * kHour)})));
  ASSERT_EQ(checks.size(), 3u);
  for (const auto& [id, r] : checks) {
    EXPECT_EQ(r.verdict, Verdict::kPass) << id << ": " << r.evidence;
    EXPECT_NE(r.evidence.find("20261206T080000.000Z-aaaaaa"), std::string::npos) << id << ": " << r.evidence;
    EXPECT_TRUE(r.fix.empty()) << id;
  }
  EXPECT_NE(checks["snapshot.fresh"].evidence.find("4h ago (limit 1d)"), std::string::npos)
      << checks["snapshot.fresh"].evidence;
  EXPECT_NE(checks["snapshot.restore_tested"].evidence.find("3h ago"), std::string::npos);
}

TEST(GateSnapshotChecks, EachFailsOnItsOwnNamingTheFix) {
  // Stale snapshot: only snapshot.fresh fails.
  auto stale = ById(SnapshotChecks(Evidence({Proven("20261205T000000.000Z-aaaaaa", 25 * kHour, kHour)})));
  EXPECT_EQ(stale["snapshot.fresh"].verdict, Verdict::kFail);
  EXPECT_NE(stale["snapshot.fresh"].evidence.find("1d 1h ago (limit 1d): too old"), std::string::npos)
      << stale["snapshot.fresh"].evidence;
  EXPECT_EQ(stale["snapshot.fresh"].fix, "cutover snapshot prod");
  EXPECT_EQ(stale["snapshot.verified"].verdict, Verdict::kPass);
  EXPECT_EQ(stale["snapshot.restore_tested"].verdict, Verdict::kPass);

  // Never verified / verification failed.
  SnapshotSummary unverified = Proven("20261206T100000.000Z-bbbbbb", kHour, kHour);
  unverified.last_verification.reset();
  auto never = ById(SnapshotChecks(Evidence({unverified})));
  EXPECT_EQ(never["snapshot.verified"].verdict, Verdict::kFail);
  EXPECT_EQ(never["snapshot.verified"].fix, "cutover verify 20261206T100000.000Z-bbbbbb");
  EXPECT_EQ(never["snapshot.fresh"].verdict, Verdict::kPass);
  unverified.last_verification =
      VerificationRecord{"x", Ago(kHour), true, false, "chunk 3: checksum mismatch", 1};
  auto bad = ById(SnapshotChecks(Evidence({unverified})));
  EXPECT_EQ(bad["snapshot.verified"].verdict, Verdict::kFail);
  EXPECT_NE(bad["snapshot.verified"].evidence.find("checksum mismatch"), std::string::npos);

  // Restore test: never, failed, too old.
  SnapshotSummary s = Proven("20261206T100000.000Z-cccccc", kHour, kHour);
  s.last_restore_test.reset();
  EXPECT_EQ(ById(SnapshotChecks(Evidence({s})))["snapshot.restore_tested"].fix,
            "cutover restore-test 20261206T100000.000Z-cccccc");
  s = Proven("20261206T100000.000Z-cccccc", kHour, kHour);
  s.last_restore_test->ok = false;
  s.last_restore_test->detail = "row count of orders differs";
  auto failed = ById(SnapshotChecks(Evidence({s})));
  EXPECT_EQ(failed["snapshot.restore_tested"].verdict, Verdict::kFail);
  EXPECT_NE(failed["snapshot.restore_tested"].evidence.find("row count of orders differs"),
            std::string::npos);
  s = Proven("20261206T100000.000Z-cccccc", kHour, 30 * kHour);
  auto old = ById(SnapshotChecks(Evidence({s})));
  EXPECT_EQ(old["snapshot.restore_tested"].verdict, Verdict::kFail);
  EXPECT_NE(old["snapshot.restore_tested"].evidence.find("too old"), std::string::npos);
}

TEST(GateSnapshotChecks, OnlyTheNewestLiveSnapshotOfThisTargetAndEngineCounts) {
  // A newer, unproven snapshot hides an older proven one: the gate is about
  // the backup that would be restored now.
  auto checks = ById(SnapshotChecks(Evidence({Proven("20261206T080000.000Z-aaaaaa", 4 * kHour, 3 * kHour),
                                              Snapshot("20261206T110000.000Z-bbbbbb", kHour)})));
  EXPECT_EQ(checks["snapshot.restore_tested"].verdict, Verdict::kFail);
  EXPECT_NE(checks["snapshot.restore_tested"].evidence.find("bbbbbb"), std::string::npos);
  // Deleted snapshots and those of other targets or engines do not count.
  SnapshotSummary deleted = Proven("20261206T110000.000Z-dddddd", kHour, kHour);
  deleted.snapshot.deleted = true;
  SnapshotSummary other = Proven("20261206T110000.000Z-eeeeee", kHour, kHour);
  other.snapshot.target = "staging";
  SnapshotSummary mysql = Proven("20261206T110000.000Z-ffffff", kHour, kHour);
  mysql.snapshot.engine = "mysql";
  auto none = ById(SnapshotChecks(Evidence({deleted, other, mysql})));
  for (const auto& [id, r] : none) {
    EXPECT_EQ(r.verdict, Verdict::kFail) << id;
    EXPECT_NE(r.evidence.find("no snapshot of prod (postgresql)"), std::string::npos) << r.evidence;
    EXPECT_NE(r.fix.find("cutover snapshot prod"), std::string::npos) << r.fix;
  }
}

TEST(GateSnapshotChecks, UnreadableOrFutureTimesAreNoGo) {
  SnapshotSummary s = Proven("20261206T100000.000Z-aaaaaa", kHour, kHour);
  s.snapshot.finished_at = "yesterday";
  s.last_restore_test->at = FormatIso8601(kNow + 2 * kHour);
  auto checks = ById(SnapshotChecks(Evidence({s})));
  EXPECT_EQ(checks["snapshot.fresh"].verdict, Verdict::kFail);
  EXPECT_NE(checks["snapshot.fresh"].evidence.find("cannot be read ('yesterday')"), std::string::npos)
      << checks["snapshot.fresh"].evidence;
  EXPECT_EQ(checks["snapshot.restore_tested"].verdict, Verdict::kFail);
  EXPECT_NE(checks["snapshot.restore_tested"].evidence.find("in the future"), std::string::npos);
}

TEST(GateSnapshotChecks, PolicyLimitsApply) {
  SnapshotEvidence e = Evidence({Proven("20261206T100000.000Z-aaaaaa", 2 * kHour, 2 * kHour)});
  e.policy.snapshot_max_age_s = kHour;
  e.policy.restore_test_max_age_s = 3 * kHour;
  auto checks = ById(SnapshotChecks(e));
  EXPECT_EQ(checks["snapshot.fresh"].verdict, Verdict::kFail) << checks["snapshot.fresh"].evidence;
  EXPECT_EQ(checks["snapshot.restore_tested"].verdict, Verdict::kPass);
}

TEST(GateFormatAge, ReadsLikeAPerson) {
  EXPECT_EQ(FormatAge(45), "45s");
  EXPECT_EQ(FormatAge(90), "1m 30s");
  EXPECT_EQ(FormatAge(3 * 3600 + 12 * 60), "3h 12m");
  EXPECT_EQ(FormatAge(2 * 86400 + 4 * 3600), "2d 4h");
  EXPECT_EQ(FormatAge(86400), "1d");
  EXPECT_EQ(FormatAge(-120), "-2m");
}

}  // namespace
}  // namespace cutover::gate
