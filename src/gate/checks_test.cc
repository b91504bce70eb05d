#include "gate/checks.h"

#include <gtest/gtest.h>

#include <functional>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>

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

using Json = nlohmann::json;

// A passing rehearsal report: one expand statement blocking writes for
// `blocked_write` ms (estimated), a drilled rollback, compat passed.
Json Report(double blocked_write = 120, double window_s = 1800) {
  return Json{
      {"statements",
       Json::array({Json{{"phase", "expand"},
                         {"file", "0001_x/expand.sql"},
                         {"line", 1},
                         {"drill", false},
                         {"tables", Json::array({Json{{"table", "public.orders"}}})},
                         {"estimate_ms",
                          {{"duration", 900.0}, {"blocked_read", 3.0}, {"blocked_write", blocked_write}}}},
                    // The drill's second expand is not what apply will run: ignored.
                    Json{{"phase", "expand"},
                         {"file", "0001_x/expand.sql"},
                         {"line", 1},
                         {"drill", true},
                         {"tables", Json::array({Json{{"table", "public.orders"}}})},
                         {"estimate_ms",
                          {{"duration", 900.0}, {"blocked_read", 99999.0}, {"blocked_write", 99999.0}}}}})},
      {"backfills", Json::array({Json{{"migration", "0001_x"}, {"estimate_s", 1200.0}}})},
      {"rollback_drill",
       Json::array({Json{{"migration", "0001_x"}, {"ran", true}, {"ok", true}, {"rollback_ms", 40.0}}})},
      {"compat", {{"ok", true}, {"run", 2}, {"failed", Json::array()}}},
      {"estimate",
       {{"expand_s", 600.0},
        {"backfill_s", 900.0},
        {"contract_s", 60.0},
        {"rollback_s", 30.0},
        {"restore_s", 240.0},
        {"window_s", window_s}}}};
}

RehearsalRecord Rehearsal(const std::string& id, std::int64_t ago, const Json& report, bool ok = true) {
  RehearsalRecord r;
  r.id = id;
  r.target = "prod";
  r.engine = "postgresql";
  r.snapshot_fingerprint = "sha256:live";
  r.plan_sha256 = std::string(64, 'a');
  r.phases = "expand,backfill,contract";
  r.started_at = Ago(ago);
  r.ok = ok;
  r.summary = ok ? "3 statement executions, 0 finding(s)" : "3 statement executions, 1 finding(s)";
  r.report_json = report.dump();
  return r;
}

RehearsalEvidence ForRehearsals(std::vector<RehearsalRecord> rehearsals,
                                const std::string& phase = "expand") {
  RehearsalEvidence e;
  e.target = "prod";
  e.target_text = "prod";
  e.plan_args = "--plan plan";
  e.phase = phase;
  e.plan_sha256 = std::string(64, 'a');
  e.live_fingerprint = "sha256:live";
  e.now = kNow;
  e.rehearsals = std::move(rehearsals);
  return e;
}

TEST(GateRehearsalChecks, PassOnACurrentPassingRehearsal) {
  RehearsalEvidence e = ForRehearsals({Rehearsal("rh-1", kHour, Report())});
  e.policy.window_s = kHour;
  auto checks = ById(RehearsalChecks(e));
  ASSERT_EQ(checks.size(), 5u);
  for (const auto& [id, r] : checks) EXPECT_EQ(r.verdict, Verdict::kPass) << id << ": " << r.evidence;
  EXPECT_NE(checks["rehearsal.current"].evidence.find("plan and schema match"), std::string::npos);
  EXPECT_NE(checks["rehearsal.blocking"].evidence.find("largest blocked time 120 ms (limit 1000 ms)"),
            std::string::npos)
      << checks["rehearsal.blocking"].evidence << " (the drill's 99999 ms must not count)";
  EXPECT_NE(checks["window.fits"].evidence.find(
                "migration 1560.0 s + max(rollback 30.0 s, restore 240.0 s) = 1800.0 s"),
            std::string::npos)
      << checks["window.fits"].evidence;
}

TEST(GateRehearsalChecks, TheRehearsalOfThisPlanCountsNotANewerOneOfAnother) {
  RehearsalRecord other = Rehearsal("rh-other", kHour / 2, Report(), false);
  other.plan_sha256 = std::string(64, 'c');
  auto checks = ById(RehearsalChecks(ForRehearsals({Rehearsal("rh-this", kHour, Report()), other})));
  EXPECT_EQ(checks["rehearsal.current"].verdict, Verdict::kPass) << checks["rehearsal.current"].evidence;
  EXPECT_NE(checks["rehearsal.current"].evidence.find("rh-this"), std::string::npos);
  // Only another plan was rehearsed: that is what the check says.
  other.ok = true;
  auto only_other = ById(RehearsalChecks(ForRehearsals({other})));
  EXPECT_EQ(only_other["rehearsal.current"].verdict, Verdict::kFail);
  EXPECT_NE(only_other["rehearsal.current"].evidence.find("rehearsed another plan"), std::string::npos);
  // Two of this plan in the same second: the later record counts.
  RehearsalRecord first = Rehearsal("rh-1", kHour, Report(), false);
  RehearsalRecord second = Rehearsal("rh-2", kHour, Report());
  auto tie = ById(RehearsalChecks(ForRehearsals({first, second})));
  EXPECT_EQ(tie["rehearsal.current"].verdict, Verdict::kPass) << tie["rehearsal.current"].evidence;
}

TEST(GateRehearsalChecks, EachFailsOnItsOwn) {
  // The plan was edited after the rehearsal.
  RehearsalEvidence edited = ForRehearsals({Rehearsal("rh-1", kHour, Report())});
  edited.plan_sha256 = std::string(64, 'b');
  auto c = ById(RehearsalChecks(edited));
  EXPECT_EQ(c["rehearsal.current"].verdict, Verdict::kFail);
  EXPECT_NE(c["rehearsal.current"].evidence.find("another plan"), std::string::npos);
  EXPECT_EQ(c["rehearsal.current"].fix, "cutover rehearse prod --plan plan");
  EXPECT_EQ(c["rehearsal.blocking"].verdict, Verdict::kPass);

  // A hot-fix on the live target after the rehearsal.
  RehearsalEvidence hotfix = ForRehearsals({Rehearsal("rh-1", kHour, Report())});
  hotfix.live_fingerprint = "sha256:hotfixed";
  c = ById(RehearsalChecks(hotfix));
  EXPECT_EQ(c["rehearsal.current"].verdict, Verdict::kFail);
  EXPECT_NE(c["rehearsal.current"].fix.find("take a new snapshot"), std::string::npos);

  // Too old; failed.
  c = ById(RehearsalChecks(ForRehearsals({Rehearsal("rh-1", 30 * kHour, Report())})));
  EXPECT_EQ(c["rehearsal.current"].verdict, Verdict::kFail);
  EXPECT_NE(c["rehearsal.current"].evidence.find("too old"), std::string::npos);
  c = ById(RehearsalChecks(ForRehearsals({Rehearsal("rh-1", kHour, Report(), false)})));
  EXPECT_EQ(c["rehearsal.current"].verdict, Verdict::kFail);
  EXPECT_NE(c["rehearsal.current"].evidence.find("found problems"), std::string::npos);

  // Blocking above the threshold, and a statement over max_statement_s.
  c = ById(RehearsalChecks(ForRehearsals({Rehearsal("rh-1", kHour, Report(1500))})));
  EXPECT_EQ(c["rehearsal.blocking"].verdict, Verdict::kFail);
  EXPECT_NE(c["rehearsal.blocking"].evidence.find("0001_x/expand.sql:1: blocked_write 1500 ms > 1000 ms"),
            std::string::npos)
      << c["rehearsal.blocking"].evidence;
  RehearsalEvidence slow = ForRehearsals({Rehearsal("rh-1", kHour, Report())});
  slow.policy.max_statement_s = 0;
  EXPECT_EQ(ById(RehearsalChecks(slow))["rehearsal.blocking"].verdict, Verdict::kFail);

  // Backfill over max_backfill_s (only judged for the backfill phase).
  RehearsalEvidence backfill = ForRehearsals({Rehearsal("rh-1", kHour, Report())}, "backfill");
  backfill.policy.max_backfill_s = 600;
  c = ById(RehearsalChecks(backfill));
  EXPECT_EQ(c["rehearsal.blocking"].verdict, Verdict::kFail);
  EXPECT_NE(c["rehearsal.blocking"].evidence.find("backfill estimated at 1200 s > 600 s"), std::string::npos);

  // Compat failed; rollback left drift; a window too short.
  Json bad = Report();
  bad["compat"] = {
      {"ok", false},
      {"run", 1},
      {"failed",
       Json::array({{{"file", "0001_x/compat.sql"}, {"line", 2}, {"error", "no column full_name"}}})}};
  bad["rollback_drill"][0]["ok"] = false;
  bad["rollback_drill"][0]["differences"] = Json::array({"extra column public.orders.note"});
  RehearsalEvidence tight = ForRehearsals({Rehearsal("rh-1", kHour, bad)});
  tight.policy.window_s = 1000;
  c = ById(RehearsalChecks(tight));
  EXPECT_EQ(c["rehearsal.compat"].verdict, Verdict::kFail);
  EXPECT_NE(c["rehearsal.compat"].evidence.find("0001_x/compat.sql:2: no column full_name"),
            std::string::npos);
  EXPECT_EQ(c["rehearsal.rollback"].verdict, Verdict::kFail);
  EXPECT_NE(c["rehearsal.rollback"].evidence.find("leaves 1 difference(s)"), std::string::npos);
  EXPECT_EQ(c["window.fits"].verdict, Verdict::kFail);
  EXPECT_EQ(c["window.fits"].fix, "ask for a window of at least 30m 1s");
}

TEST(GateRehearsalChecks, IrreversibleNeedsThePolicyAndNoWindowSkips) {
  Json irreversible = Report();
  irreversible["rollback_drill"][0] = {
      {"migration", "0001_x"}, {"ran", false}, {"ok", false}, {"skipped", "marked irreversible: drops data"}};
  RehearsalEvidence e = ForRehearsals({Rehearsal("rh-1", kHour, irreversible)});
  auto c = ById(RehearsalChecks(e));
  EXPECT_EQ(c["rehearsal.rollback"].verdict, Verdict::kFail);
  EXPECT_NE(c["rehearsal.rollback"].evidence.find("marked irreversible: drops data"), std::string::npos);
  EXPECT_NE(c["rehearsal.rollback"].fix.find("allow_irreversible = true"), std::string::npos);
  e.policy.allow_irreversible = true;
  c = ById(RehearsalChecks(e));
  EXPECT_EQ(c["rehearsal.rollback"].verdict, Verdict::kPass);
  EXPECT_EQ(c["window.fits"].verdict, Verdict::kSkipped) << "no window in the policy";
}

TEST(GateRehearsalChecks, MissingOrUnreadableEvidenceIsNoGo) {
  // None at all; one of another phase only; the newest counts even if it failed.
  auto none = ById(RehearsalChecks(ForRehearsals({})));
  ASSERT_EQ(none.size(), 5u);
  for (const auto& [id, r] : none) {
    EXPECT_EQ(r.verdict, Verdict::kFail) << id;
    EXPECT_NE(r.evidence.find("no rehearsal of expand for prod"), std::string::npos);
  }
  RehearsalRecord contract_only = Rehearsal("rh-1", kHour, Report());
  contract_only.phases = "contract";
  EXPECT_EQ(ById(RehearsalChecks(ForRehearsals({contract_only})))["rehearsal.current"].verdict,
            Verdict::kFail);
  auto newer_failed = ById(RehearsalChecks(ForRehearsals(
      {Rehearsal("rh-old", 3 * kHour, Report()), Rehearsal("rh-new", kHour, Report(), false)})));
  EXPECT_EQ(newer_failed["rehearsal.current"].verdict, Verdict::kFail);
  EXPECT_NE(newer_failed["rehearsal.current"].evidence.find("rh-new"), std::string::npos);
  // A report the catalog holds but that does not parse; an unmeasured statement.
  RehearsalRecord garbled = Rehearsal("rh-1", kHour, Report());
  garbled.report_json = "{not json";
  auto g = ById(RehearsalChecks(ForRehearsals({garbled})));
  EXPECT_EQ(g["rehearsal.current"].verdict, Verdict::kPass) << "the record itself matches";
  for (const char* id : {"rehearsal.blocking", "rehearsal.compat", "rehearsal.rollback", "window.fits"}) {
    EXPECT_EQ(g[id].verdict, Verdict::kFail) << id;
    EXPECT_NE(g[id].evidence.find("cannot be read"), std::string::npos) << id;
  }
  // Valid JSON with a field of the wrong type (a catalog row edited by hand):
  // the check that reads it fails, naming the rehearsal; the others stand.
  const std::pair<const char*, std::function<void(Json&)>> wrong_types[] = {
      {"rehearsal.blocking", [](Json& j) { j["statements"][0]["phase"] = 5; }},
      {"rehearsal.compat",
       [](Json& j) {
         j["compat"]["failed"] = Json::array({7});
         j["compat"]["ok"] = false;
       }},
      {"rehearsal.rollback", [](Json& j) { j["rollback_drill"][0]["ran"] = "yes"; }},
      {"window.fits", [](Json& j) { j["estimate"]["expand_s"] = "ten"; }}};
  for (const auto& [id, edit] : wrong_types) {
    Json edited = Report();
    edit(edited);
    RehearsalEvidence with_window = ForRehearsals({Rehearsal("rh-edited", kHour, edited)});
    with_window.policy.window_s = kHour;
    auto w = ById(RehearsalChecks(with_window));
    EXPECT_EQ(w[id].verdict, Verdict::kFail) << id;
    EXPECT_NE(w[id].evidence.find("rh-edited"), std::string::npos) << id;
    EXPECT_NE(w[id].evidence.find("wrong type"), std::string::npos) << id << ": " << w[id].evidence;
    EXPECT_EQ(w["rehearsal.current"].verdict, Verdict::kPass) << id;
  }
  Json unmeasured = Report();
  unmeasured["statements"][0]["estimate_ms"]["blocked_read"] = nullptr;
  auto u = ById(RehearsalChecks(ForRehearsals({Rehearsal("rh-1", kHour, unmeasured)})));
  EXPECT_EQ(u["rehearsal.blocking"].verdict, Verdict::kFail);
  EXPECT_NE(u["rehearsal.blocking"].evidence.find("blocked_read was not measured"), std::string::npos);
}

migrate::PhaseStatus Entry(const std::string& migration, const std::string& phase, migrate::PhaseState state,
                           std::int64_t finished_ago = 0) {
  migrate::PhaseStatus p;
  p.migration = migration;
  p.phase = phase;
  p.state = state;
  if (state == migrate::PhaseState::kApplied) {
    migrate::HistoryRow row;
    row.migration = migration;
    row.phase = phase;
    row.finished_at = Ago(finished_ago);
    p.row = row;
  }
  return p;
}

TEST(GateHistoryClean, FailsOnEditedMissingFailedOrPartialNamingEach) {
  using migrate::PhaseState;
  migrate::StatusReport clean;
  clean.history_table = true;
  clean.entries = {
      Entry("0001_a", "expand", PhaseState::kApplied), Entry("0002_b", "expand", PhaseState::kPending),
      Entry("0003_c", "expand", PhaseState::kRolledBack), Entry("0004_d", "expand", PhaseState::kOutOfOrder)};
  EXPECT_EQ(HistoryClean(clean, "prod", "plan").verdict, Verdict::kPass)
      << HistoryClean(clean, "prod", "plan").evidence;
  migrate::StatusReport empty;
  EXPECT_EQ(HistoryClean(empty, "prod", "plan").verdict, Verdict::kPass);
  EXPECT_NE(HistoryClean(empty, "prod", "plan").evidence.find("no history yet"), std::string::npos);

  const std::pair<PhaseState, const char*> cases[] = {
      {PhaseState::kEdited, "put the applied file back"},
      {PhaseState::kMissing, "restore the migration's folder in plan"},
      {PhaseState::kFailed, "cutover apply prod --plan plan resumes"},
      {PhaseState::kPartial, "wait for the apply in progress"}};
  for (const auto& [state, fix] : cases) {
    migrate::StatusReport bad = clean;
    migrate::PhaseStatus p = Entry("0005_e", "expand", state);
    p.detail = "one sentence";
    bad.entries.push_back(p);
    const CheckResult r = HistoryClean(bad, "prod", "plan");
    EXPECT_EQ(r.verdict, Verdict::kFail) << migrate::PhaseStateName(state);
    EXPECT_NE(
        r.evidence.find("0005_e expand " + std::string(migrate::PhaseStateName(state)) + ": one sentence"),
        std::string::npos)
        << r.evidence;
    EXPECT_NE(r.fix.find(fix), std::string::npos) << r.fix;
  }
}

TEST(GateSnapshotAfterExpand, ContractNeedsASnapshotTakenAfterTheExpand) {
  using migrate::PhaseState;
  migrate::StatusReport status;
  status.history_table = true;
  status.entries = {Entry("0001_a", "expand", PhaseState::kApplied, 5 * kHour),
                    Entry("0001_a", "contract", PhaseState::kPending),
                    Entry("0002_b", "expand", PhaseState::kApplied, 2 * kHour),
                    Entry("0002_b", "contract", PhaseState::kPending)};
  SnapshotRecord after = Snapshot("x", kHour).snapshot;
  SnapshotRecord between = Snapshot("y", 3 * kHour).snapshot;
  EXPECT_EQ(SnapshotAfterExpand(status, "expand", between, "prod").verdict, Verdict::kSkipped);
  EXPECT_EQ(SnapshotAfterExpand(status, "contract", after, "prod").verdict, Verdict::kPass);
  const CheckResult old = SnapshotAfterExpand(status, "contract", between, "prod");
  EXPECT_EQ(old.verdict, Verdict::kFail) << "taken after 0001's expand but before 0002's";
  EXPECT_NE(old.evidence.find("predates"), std::string::npos) << old.evidence;
  EXPECT_EQ(old.fix, "cutover snapshot prod, then restore-test it");
  EXPECT_EQ(SnapshotAfterExpand(status, "contract", std::nullopt, "prod").verdict, Verdict::kFail);
  status.entries.push_back(Entry("0003_c", "contract", PhaseState::kPending));
  const CheckResult unexpanded = SnapshotAfterExpand(status, "contract", after, "prod");
  EXPECT_EQ(unexpanded.verdict, Verdict::kFail);
  EXPECT_NE(unexpanded.evidence.find("not expanded yet: 0003_c"), std::string::npos);
}

TEST(GateLintClean, ErrorsFailWarningsOnlyWhenThePolicySaysSo) {
  const lint::Rule* error_rule = nullptr;
  const lint::Rule* warning_rule = nullptr;
  for (const lint::Rule& r : lint::AllRules()) {
    if (r.severity == lint::Severity::kError && error_rule == nullptr) error_rule = &r;
    if (r.severity == lint::Severity::kWarning && warning_rule == nullptr) warning_rule = &r;
  }
  ASSERT_TRUE(error_rule && warning_rule);
  lint::LintReport report;
  report.statements = 7;
  lint::Finding warning;
  warning.rule = warning_rule;
  warning.file = "0001_a/expand.sql";
  warning.line = 3;
  report.findings.push_back(warning);
  Policy policy;
  EXPECT_EQ(LintClean(report, policy, "plan").verdict, Verdict::kPass) << "warnings allowed by default";
  policy.lint_warnings_fail = true;
  CheckResult r = LintClean(report, policy, "plan");
  EXPECT_EQ(r.verdict, Verdict::kFail);
  EXPECT_NE(r.evidence.find(std::string(warning_rule->id) + " 0001_a/expand.sql:3"), std::string::npos)
      << r.evidence;
  EXPECT_EQ(r.fix, "cutover lint plan explains each finding and its safe form");
  policy.lint_warnings_fail = false;
  lint::Finding error = warning;
  error.rule = error_rule;
  error.line = 9;
  report.findings.push_back(error);
  r = LintClean(report, policy, "plan");
  EXPECT_EQ(r.verdict, Verdict::kFail);
  EXPECT_NE(r.evidence.find("1 error(s), 1 warning(s)"), std::string::npos) << r.evidence;
  EXPECT_NE(r.evidence.find(std::string(error_rule->id) + " 0001_a/expand.sql:9"), std::string::npos)
      << r.evidence;
  report.findings.back().ignored = true;
  EXPECT_EQ(LintClean(report, policy, "plan").verdict, Verdict::kPass) << "an ignored finding does not count";
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
