// `cutover rehearse` through the binary against real PostgreSQL, MariaDB and
// SQLite: the JSON contract, findings (exit 1), refusals (exit 1 and 2), the
// target left byte-for-byte unchanged, repeat rehearsals that clone, and
// SIGTERM / kill -9 leaving no copy behind (docs/rehearsal.md).
#include <gtest/gtest.h>
#include <signal.h>

#include <array>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>
#include <nlohmann/json.hpp>
#include <set>
#include <sstream>
#include <thread>
#include <tuple>

#include "base/strings.h"
#include "lint_xml_check.h"
#include "rehearse/rehearse_cli_fixture.h"
#include "schema/fingerprint.h"
#include "support/process.h"
#include "support/test_env.h"

namespace cutover {
namespace {
namespace fs = std::filesystem;
using Json = nlohmann::json;
using std::chrono::milliseconds;
using testing::RunResult;

TEST_P(RehearseCli, RehearsesAPlanReportsTheContractAndLeavesTheTargetUnchanged) {
  CreateItems(300);
  SnapshotAndRestoreTest();
  const std::string plan = GoodPlan();
  const std::string before = TargetFingerprint();
  const fs::path junit = dir_ / "rehearse.xml";

  const fs::path hot = dir_ / "hot.sql";
  std::ofstream(hot) << "SELECT count(*) FROM items WHERE qty = 3;\n";
  RunResult r = Rehearse(plan, {"--junit", junit.string(), "--probe", hot.string()});
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  Json doc = Parse(r);
  EXPECT_EQ(doc["ok"], true);
  EXPECT_FALSE(doc["target"].get<std::string>().empty());
  EXPECT_FALSE(doc["snapshot"].get<std::string>().empty());
  EXPECT_EQ(doc["plan_sha256"].get<std::string>().size(), 64u);
  EXPECT_EQ(doc["fingerprint"], before) << "the snapshot's fingerprint is the live one";
  ASSERT_TRUE(doc["statements"].is_array());
  ASSERT_GE(doc["statements"].size(), 3u) << "expand, the drill's rollback and expand again";
  bool drill = false, measured = false;
  for (const Json& s : doc["statements"]) {
    for (const char* key : {"migration", "phase", "file", "line", "sql", "duration_ms", "rewrite", "locks",
                            "blocked_ms", "probes", "estimate_ms"}) {
      EXPECT_TRUE(s.contains(key)) << key << " missing in " << s.dump();
    }
    drill = drill || s.value("drill", false);
    if (s["sql"].get<std::string>().find("ADD COLUMN note") != std::string::npos &&
        !s.value("drill", false)) {
      EXPECT_EQ(s["migration"], "0001_note");
      EXPECT_EQ(s["phase"], "expand");
      EXPECT_EQ(s["file"], "0001_note/expand.sql");
      EXPECT_EQ(s["line"], 1);
      EXPECT_EQ(s["rewrite"], false) << "adding a nullable column rewrites nothing";
      // Too fast for a probe to finish inside its window; what is checked
      // here is that the statement's table was found and probed.
      ASSERT_EQ(s["tables"].size(), 2u) << "items, then the --probe query: " << s.dump();
      EXPECT_TRUE(EndsWith(s["tables"][0]["table"].get<std::string>(), "items")) << s.dump();
      EXPECT_EQ(s["tables"][1]["table"], hot.string() + ":1") << s.dump();
      EXPECT_TRUE(s["tables"][1]["probes"]["read"].is_object()) << "the hot query was probed: " << s.dump();
      EXPECT_TRUE(s["probes"]["read"].is_object()) << "reads of items were probed: " << s.dump();
      EXPECT_TRUE(s["probes"]["write"].is_object()) << "writes of items were probed: " << s.dump();
      measured = true;
    }
  }
  EXPECT_TRUE(drill) << "the rollback drill's statements carry drill: true";
  EXPECT_TRUE(measured);
  ASSERT_EQ(doc["backfills"].size(), 1u);
  EXPECT_EQ(doc["backfills"][0]["rows"], 300);
  ASSERT_EQ(doc["rollback_drill"].size(), 1u);
  EXPECT_EQ(doc["rollback_drill"][0]["ok"], true) << doc["rollback_drill"].dump();
  EXPECT_EQ(doc["compat"]["ok"], true);
  EXPECT_EQ(doc["checks"]["ok"], true);
  EXPECT_TRUE(doc["lock_queue_drill"].is_null()) << "not asked for";
  for (const char* key : {"expand_s", "backfill_s", "contract_s", "rollback_s", "restore_s", "window_s"}) {
    EXPECT_TRUE(doc["estimate"].contains(key)) << key;
  }

  EXPECT_EQ(TargetFingerprint(), before) << "rehearse changed the target's schema";
  auto history = conn_->TableExists("cutover_migrations");
  ASSERT_TRUE(history.ok()) << history.status().ToString();
  EXPECT_FALSE(*history) << "rehearse wrote a history table into the target";
  EXPECT_EQ(testing::Scalar(*conn_, "SELECT count(*) FROM items"), "300");
  EXPECT_TRUE(Leftovers().empty()) << "the rehearsed copy was not dropped";

  const std::string xml = testing::ReadFileOrDie(junit.string());
  EXPECT_NE(xml.find("<testsuite"), std::string::npos) << xml;
  EXPECT_NE(xml.find("0001_note/expand.sql"), std::string::npos) << xml;
  EXPECT_EQ(xml.find("<failure"), std::string::npos) << xml;
  testing::XmlCheck check(xml);
  EXPECT_EQ(check.Run(), "") << xml;
  EXPECT_NE(xml.find("name=\"0001_note/checks.sql:1\""), std::string::npos) << "one case per check: " << xml;
  EXPECT_NE(xml.find("name=\"0001_note/compat.sql:1\""), std::string::npos)
      << "one case per compat query: " << xml;

  // The second rehearsal of the same snapshot clones the kept base copy
  // where the engine can; MariaDB restores again. Either way it says so.
  RunResult again = Rehearse(plan);
  ASSERT_EQ(again.exit_code, 0) << again.out << again.err;
  Json second = Parse(again);
  const std::string method = second["copy"]["method"].get<std::string>();
  EXPECT_EQ(method, Clones() ? "cloned" : "restored") << second["copy"].dump();
  EXPECT_NE(again.err.find(method), std::string::npos) << again.err;
  EXPECT_TRUE(Leftovers().empty());
}

TEST_P(RehearseCli, EstimatesAreScaledByTheLiveTablesGrowthSinceTheSnapshot) {
  CreateItems(1000);
  SnapshotAndRestoreTest();
  // 30% more rows since the snapshot; data only, so no drift.
  std::string more = "INSERT INTO items VALUES ";
  for (int i = 1001; i <= 1300; ++i) more += (i > 1001 ? ",(" : "(") + std::to_string(i) + ", 'n', 1)";
  db_->Exec(more);
  db_->Exec(engine() == "mysql" ? "ANALYZE TABLE items" : "ANALYZE items");
  RunResult r = Rehearse(GoodPlan());
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  Json doc = Parse(r);
  ASSERT_EQ(doc["backfills"].size(), 1u) << doc.dump();
  const Json& b = doc["backfills"][0];
  EXPECT_EQ(b["rows"], 1000) << "the copy has the snapshot's rows";
  // Engine statistics are estimates (InnoDB samples pages): about 1300.
  EXPECT_NEAR(b["production_rows"].get<double>(), 1300.0, 150.0) << b.dump();
  ASSERT_GT(b["rows_per_s"].get<double>(), 0.0);
  EXPECT_NEAR(b["estimate_s"].get<double>(),
              b["production_rows"].get<double>() / b["rows_per_s"].get<double>(),
              0.01 + 0.01 * b["estimate_s"].get<double>());
  bool seen = false;
  for (const Json& st : doc["statements"]) {
    if (st["phase"] != "backfill") continue;
    seen = true;
    EXPECT_EQ(st["estimate_ms"]["scaled"], true) << "a backfill is scaled: " << st.dump();
    EXPECT_NEAR(st["estimate_ms"]["growth"].get<double>(), 1.3, 0.15) << st.dump();
    EXPECT_NEAR(st["estimate_ms"]["duration"].get<double>(),
                st["duration_ms"].get<double>() * st["estimate_ms"]["growth"].get<double>(),
                0.2 + 0.01 * st["estimate_ms"]["duration"].get<double>());
  }
  EXPECT_TRUE(seen) << "no backfill statement in " << doc["statements"].dump();
}

TEST_P(RehearseCli, PhaseSelectsWhatRunsAndKeepLeavesTheCopyForInspection) {
  CreateItems(30);
  SnapshotAndRestoreTest();
  const std::string plan = GoodPlan();
  RunResult expand = Rehearse(plan, {"--phase", "expand", "--keep"});
  ASSERT_EQ(expand.exit_code, 0) << expand.out << expand.err;
  Json doc = Parse(expand);
  ASSERT_FALSE(doc["statements"].empty());
  for (const Json& st : doc["statements"]) {
    EXPECT_TRUE(st["phase"] == "expand" || st["phase"] == "rollback") << st.dump();
  }
  EXPECT_TRUE(doc["backfills"].empty()) << doc["backfills"].dump();
  ASSERT_TRUE(doc["copy"]["kept_uri"].is_string()) << doc["copy"].dump();
  const std::string kept = doc["copy"]["database"].get<std::string>();
  EXPECT_NE(expand.err.find(kept), std::string::npos) << "the kept copy is named: " << expand.err;
  std::vector<std::string> left = ScratchCopies("cutover_scratch_");
  ASSERT_EQ(left, std::vector<std::string>{kept}) << "--keep keeps exactly the rehearsed copy";
  // The kept copy is the caller's now: it has the expanded schema and its history.
  Driver* driver = testing::TestDriver(engine());
  auto uri = ConnectionUri::Parse(doc["copy"]["kept_uri"].get<std::string>());
  ASSERT_TRUE(uri.ok()) << uri.status().ToString();
  ConnectionUri full = server_.text.empty() ? *uri : server_.uri.WithDatabase(kept);
  {
    auto copy = driver->Connect(full);
    ASSERT_TRUE(copy.ok()) << copy.status().ToString();
    EXPECT_EQ(testing::Scalar(**copy, "SELECT count(*) FROM items WHERE note IS NULL"), "30")
        << "expanded, not backfilled";
  }
  ConnectionUri server =
      server_.text.empty() ? *driver->LocalScratchServer((dir_ / "repo" / "scratch").string()) : server_.uri;
  EXPECT_TRUE(driver->DropDatabase(server, kept).ok());
}

TEST_P(RehearseCli, RefusesWithoutARestoreTestedSnapshotOrOnADriftedTarget) {
  CreateItems(20);
  const std::string plan = GoodPlan();
  RunResult none = Rehearse(plan);
  EXPECT_EQ(none.exit_code, 1) << none.out << none.err;
  EXPECT_NE(none.err.find("restore-test"), std::string::npos)
      << "names the command to run first: " << none.err;

  SnapshotAndRestoreTest(false);
  RunResult untested = Rehearse(plan);
  EXPECT_EQ(untested.exit_code, 1) << untested.err;
  EXPECT_NE(untested.err.find("restore test"), std::string::npos) << untested.err;
  RunResult named = Rehearse(plan, {"--snapshot", "latest"});
  EXPECT_EQ(named.exit_code, 1) << named.err;
  const std::string id = Parse(Run({"snapshots", "--json"}, false))["snapshots"][0]["id"].get<std::string>();
  RunResult by_id = Rehearse(plan, {"--snapshot", id});
  EXPECT_EQ(by_id.exit_code, 1) << "a snapshot named by id must have passed a restore test too: "
                                << by_id.err;
  EXPECT_NE(by_id.err.find("never been restore-tested"), std::string::npos) << by_id.err;

  RunResult t = Run({"restore-test", "latest"});
  ASSERT_EQ(t.exit_code, 0) << t.out << t.err;
  db_->Exec("ALTER TABLE items ADD COLUMN hotfix INTEGER");
  RunResult drifted = Rehearse(plan);
  EXPECT_EQ(drifted.exit_code, 1) << drifted.out << drifted.err;
  EXPECT_NE(drifted.err.find("hotfix"), std::string::npos) << "the drift is named: " << drifted.err;
  EXPECT_NE(drifted.err.find("new snapshot"), std::string::npos) << drifted.err;

  RunResult allowed = Rehearse(plan, {"--allow-drift"});
  EXPECT_EQ(allowed.exit_code, 0) << allowed.out << allowed.err;
  EXPECT_EQ(Parse(allowed)["ok"], true);
}

TEST_P(RehearseCli, FailedCompatRollbackDriftAndFailingStatementsAreFindings) {
  CreateItems(50);
  SnapshotAndRestoreTest();
  const std::string plan = WritePlan(
      "findings", {{"0001_rename/expand.sql", "ALTER TABLE items RENAME COLUMN name TO title;\n"},
                   {"0001_rename/rollback.sql", "ALTER TABLE items RENAME COLUMN title TO name;\n"},
                   {"0001_rename/compat.sql", "SELECT id, name FROM items WHERE id = 1;\n"},
                   {"0002_index/expand.sql", "CREATE INDEX IF NOT EXISTS items_qty ON items (qty);\n"},
                   {"0002_index/rollback.sql", "SELECT 1;\n"},
                   {"0003_broken/expand.sql", "ALTER TABLE no_such_table ADD COLUMN x INTEGER;\n"},
                   {"0003_broken/rollback.sql", "SELECT 1;\n"}});
  const std::string before = TargetFingerprint();
  const fs::path junit = dir_ / "findings.xml";
  RunResult r = Rehearse(plan, {"--junit", junit.string()});
  EXPECT_EQ(r.exit_code, 1) << r.out << r.err;
  Json doc = Parse(r);
  EXPECT_EQ(doc["ok"], false);
  ASSERT_FALSE(doc["compat"]["failed"].empty()) << doc["compat"].dump();
  EXPECT_EQ(doc["compat"]["failed"][0]["file"], "0001_rename/compat.sql");
  EXPECT_EQ(doc["compat"]["failed"][0]["line"], 1);
  EXPECT_FALSE(doc["compat"]["failed"][0]["error"].get<std::string>().empty());
  bool index_drift = false;
  for (const Json& d : doc["rollback_drill"]) {
    if (d["migration"] != "0002_index") continue;
    EXPECT_EQ(d["ok"], false) << d.dump();
    index_drift = d["differences"].dump().find("items_qty") != std::string::npos;
  }
  EXPECT_TRUE(index_drift) << "the index the rollback left behind is named: " << doc["rollback_drill"].dump();
  bool broken_named = false;
  for (const Json& s : doc["statements"]) {
    if (s["file"] == "0003_broken/expand.sql")
      broken_named = s.value("ok", true) == false && s.contains("error");
  }
  EXPECT_TRUE(broken_named) << "the failing statement is a finding with its error";
  EXPECT_NE(r.out.find("no_such_table"), std::string::npos) << r.out;
  EXPECT_NE(testing::ReadFileOrDie(junit.string()).find("<failure"), std::string::npos);
  EXPECT_EQ(TargetFingerprint(), before);
  EXPECT_TRUE(Leftovers().empty());
}

TEST_P(RehearseCli, BadInputIsExitTwoAndChangesNothing) {
  CreateItems(10);
  SnapshotAndRestoreTest();
  const std::string plan = GoodPlan();
  const std::string before = TargetFingerprint();
  struct Case {
    std::vector<std::string> args;
    std::string says;
  };
  std::vector<Case> cases = {
      {{"rehearse", target_.text, "--plan", (dir_ / "missing plan").string()}, "missing plan"},
      {{"rehearse", target_.text, "--plan", plan, "--phase", "sideways"}, "sideways"},
      {{"rehearse", target_.text, "--plan", plan, "--probe-rate", "0"}, "--probe-rate"},
      {{"rehearse", target_.text, "--plan", plan, "--probe", (dir_ / "nope.sql").string()}, "nope.sql"},
      {{"rehearse", target_.text, "--plan", plan, "--to", "0009_unknown"}, "0009_unknown"},
      {{"rehearse", target_.text, "--plan", plan, "--snapshot", "20000101T000000.000Z-000000"}, "20000101"},
      {{"rehearse", target_.text, "--plan", plan, "--lock-queue-drill", "-3"}, "--lock-queue-drill"},
  };
  const std::string broken =
      WritePlan("broken", {{"0001_x/expand.sql", "-- cutover:no-transation\nSELECT 1;\n"}});
  cases.push_back({{"rehearse", target_.text, "--plan", broken}, "no-transation"});
  for (const Case& c : cases) {
    RunResult r = Run(c.args);
    EXPECT_EQ(r.exit_code, 2) << Join(c.args, " ") << "\n" << r.out << r.err;
    EXPECT_NE(r.err.find(c.says), std::string::npos) << "the message names " << c.says << ": " << r.err;
  }
  if (engine() != "sqlite") {
    // The target's own server and database as the scratch server: refused.
    RunResult same = testing::RunCutover(
        Args({"rehearse", target_.text, "--plan", plan, "--scratch", target_.text}, false),
        testing::ProcessOptions().Env(Env()));
    EXPECT_EQ(same.exit_code, 2) << same.out << same.err;
  }
  EXPECT_EQ(TargetFingerprint(), before);
  EXPECT_TRUE(Leftovers().empty());
}

TEST_P(RehearseCli, PruneDropsTheBaseCopiesOfDeletedSnapshots) {
  CreateItems(20);
  SnapshotAndRestoreTest();
  const std::string plan = GoodPlan();
  RunResult first = Rehearse(plan);
  ASSERT_EQ(first.exit_code, 0) << first.out << first.err;
  const std::vector<std::string> bases = ScratchCopies("cutover_base_");
  // An engine that cannot clone keeps no base copy; the others keep one.
  ASSERT_EQ(bases.size(), Clones() ? 1u : 0u);
  SnapshotAndRestoreTest();  // a newer snapshot: the first one may go

  RunResult dry = Run({"prune", "--keep-last", "1", "--dry-run", "--json"});
  ASSERT_EQ(dry.exit_code, 0) << dry.out << dry.err;
  EXPECT_EQ(Parse(dry)["base_copies_dropped"].size(), bases.size()) << "said, not done: " << dry.out;
  EXPECT_EQ(ScratchCopies("cutover_base_"), bases) << "a dry run drops nothing";

  const bool on_a_server = !server_.text.empty() && !bases.empty();
  if (on_a_server) {
    // Without the scratch server's URI the copy cannot be reached: kept, and
    // the output says what to give.
    RunResult blind = Run({"prune", "--keep-last", "1", "--json"}, false);
    ASSERT_EQ(blind.exit_code, 0) << blind.out << blind.err;
    Json doc = Parse(blind);
    EXPECT_EQ(doc["deleted"].size(), 1u) << doc.dump();
    ASSERT_EQ(doc["base_copies_kept"].size(), 1u) << doc.dump();
    EXPECT_NE(doc["base_copies_kept"][0]["reason"].get<std::string>().find("--scratch"), std::string::npos);
    EXPECT_EQ(ScratchCopies("cutover_base_"), bases);
  }
  RunResult pruned = Run({"prune", "--keep-last", "1", "--json"});
  ASSERT_EQ(pruned.exit_code, 0) << pruned.out << pruned.err;
  Json doc = Parse(pruned);
  ASSERT_EQ(doc["deleted"].size(), on_a_server ? 0u : 1u) << doc.dump();
  ASSERT_EQ(doc["base_copies_dropped"].size(), bases.size()) << doc.dump();
  if (!bases.empty()) {
    EXPECT_NE(doc["base_copies_dropped"][0].get<std::string>().find(bases[0]), std::string::npos)
        << doc.dump();
  }
  EXPECT_TRUE(doc["base_copies_kept"].empty()) << doc.dump();
  EXPECT_TRUE(ScratchCopies("cutover_base_").empty())
      << "the base copy of the pruned snapshot is still there";

  RunResult again = Rehearse(plan);
  ASSERT_EQ(again.exit_code, 0) << again.out << again.err;
  EXPECT_EQ(Parse(again)["copy"]["method"], "restored") << "no base copy of the newer snapshot yet";
}

// A statement that runs for a few seconds, so a signal lands mid-rehearsal.
// The signal is acted on when the running statement ends (docs/rehearsal.md,
// "Interruptions"), so it is kept short.
// A statement that runs for about `seconds` (SQLite: counting, ~5 M rows/s).
std::string SlowStatement(const std::string& engine, int seconds = 4) {
  const std::string s = std::to_string(seconds);
  if (engine == "postgresql") return "SELECT pg_sleep(" + s + ");\n";
  if (engine == "mysql") return "DO SLEEP(" + s + ");\n";
  return "WITH RECURSIVE g(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM g WHERE n < " + s +
         "000000 * 5) SELECT count(*) FROM g;\n";
}

// Whether readers queue behind a DDL statement waiting for a reader's lock.
struct QueueExpectation {
  bool queues = true;
};
const QueueExpectation& Queue(const std::string& engine) {
  static const std::map<std::string, QueueExpectation> e = {
      {"postgresql", {true}}, {"mysql", {true}}, {"sqlite", {true}}};
  return e.at(engine);
}

// Kills the session running the slow statement on the copy, from the target's
// own connection (both are on the same server): a dropped connection.
std::string KillSlowSession(const std::string& engine) {
  if (engine == "postgresql") {
    return "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity WHERE query LIKE 'SELECT "
           "pg_sleep(4)%'";
  }
  return "";  // MariaDB: found by id, see below
}

TEST_P(RehearseCli, ADroppedConnectionOnTheCopyIsARuntimeErrorAndTheCopyIsDropped) {
  if (server_.text.empty()) GTEST_SKIP() << "SQLite has no server connection to drop";
  CreateItems(10);
  SnapshotAndRestoreTest();
  const std::string plan = WritePlan("dropped", {{"0001_slow/expand.sql", SlowStatement(engine())},
                                                 {"0001_slow/rollback.sql", "SELECT 1;\n"}});
  auto child = StartRehearse(plan, "drop");
  testing::ChildProcess& p = *child;
  ASSERT_TRUE(p.started());
  bool killed = false;
  for (int i = 0; i < 200 && !killed && p.Running(); ++i) {
    std::this_thread::sleep_for(milliseconds(50));
    if (engine() == "postgresql") {
      killed = testing::Scalar(*conn_, KillSlowSession(engine())) == "1";
    } else {
      const std::string id = testing::Scalar(
          *conn_,
          "SELECT COALESCE(MAX(ID), 0) FROM information_schema.PROCESSLIST WHERE INFO LIKE 'DO SLEEP(4)%'");
      if (id != "0") killed = conn_->Execute("KILL " + id).ok();
    }
  }
  ASSERT_TRUE(killed) << "the slow statement was never seen running: " << p.Log();
  const int code = p.Wait();
  const std::string said = Stderr("drop");
  EXPECT_EQ(code, 3) << said;
  EXPECT_NE(said.find("cutover: error: rehearsing on the copy cutover_"), std::string::npos) << said;
  EXPECT_NE(said.find("TARGET was only read"), std::string::npos) << said;
  EXPECT_TRUE(Leftovers().empty()) << "the copy of a failed run was left behind";
  EXPECT_FALSE(*conn_->TableExists("cutover_migrations"));
}

TEST_P(RehearseCli, SigtermDropsTheCopyAndKillNineLeavesOneTheNextRunDrops) {
  CreateItems(10);
  SnapshotAndRestoreTest();
  // SIGTERM stops the running statement (Connection::Cancel): a statement
  // of a minute is interrupted, not waited for. After kill -9 nothing
  // stops it, so that one is short: the next run must be able to drop the
  // orphaned copy.
  auto slow_plan = [&](const std::string& name, int seconds) {
    return WritePlan(name, {{"0001_slow/expand.sql", "ALTER TABLE items ADD COLUMN note INTEGER;\n" +
                                                         SlowStatement(engine(), seconds)},
                            {"0001_slow/rollback.sql", "ALTER TABLE items DROP COLUMN note;\n"}});
  };
  for (int sig : {SIGTERM, SIGKILL}) {
    SCOPED_TRACE(sig == SIGTERM ? "SIGTERM" : "SIGKILL");
    const std::string plan = sig == SIGTERM ? slow_plan("minute", 60) : slow_plan("slow", 4);
    auto child = StartRehearse(plan, "slow");
    testing::ChildProcess& p = *child;
    ASSERT_TRUE(p.started());
    bool running = false;
    for (int i = 0; i < 600 && !running && p.Running(); ++i) {
      running = Stderr("slow").find("applying 0001_slow/expand.sql") != std::string::npos;
      if (!running) std::this_thread::sleep_for(milliseconds(50));
    }
    ASSERT_TRUE(running) << "the plan never started: " << p.Log();
    std::this_thread::sleep_for(milliseconds(300));
    ASSERT_FALSE(ScratchCopies("cutover_").empty()) << "the copy exists while the plan runs";
    const auto stopping = std::chrono::steady_clock::now();
    const int code = p.Stop(sig);
    if (sig == SIGTERM) {
      EXPECT_LT(std::chrono::steady_clock::now() - stopping, std::chrono::seconds(20))
          << "SIGTERM waited for the one-minute statement instead of stopping it";
      EXPECT_EQ(code, 3) << p.Log();
      const std::string said = Stderr("slow");
      EXPECT_NE(said.find("interrupted by SIGTERM; the rehearsal copy is dropped"), std::string::npos)
          << said;
      EXPECT_TRUE(Leftovers().empty()) << "SIGTERM left the copy behind";
    } else {
      EXPECT_EQ(code, 128 + SIGKILL);
      // The next run finds the orphan in the catalog and drops it.
      RunResult next = Rehearse(GoodPlan());
      EXPECT_EQ(next.exit_code, 0) << next.out << next.err;
      EXPECT_TRUE(Leftovers().empty()) << "the killed run's copy was never dropped";
    }
  }
  EXPECT_FALSE(*conn_->TableExists("cutover_migrations"));
}

// ---- The lock-queue drill ---------------------------------------------------

// What a reader holding its transaction 3 s ahead of a catalog-only ALTER
// costs: with apply's 2 s lock timeout the statement gives up, backs off and
// retries until the reader is gone, and the queue behind it lasts at most
// one attempt; without a timeout the queue lasts as long as the reader.
TEST_P(RehearseCli, LockQueueDrillMeasuresTheQueueWithAndWithoutTheLockTimeout) {
  CreateItems(2000);
  SnapshotAndRestoreTest();
  const std::string plan =
      WritePlan("queue", {{"0001_note/expand.sql", "ALTER TABLE items ADD COLUMN note INTEGER;\n"},
                          {"0001_note/rollback.sql", "ALTER TABLE items DROP COLUMN note;\n"}});
  const std::string before = TargetFingerprint();
  RunResult r = Rehearse(plan, {"--lock-queue-drill", "3"});
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  Json doc = Parse(r);
  const Json& q = doc["lock_queue_drill"];
  ASSERT_TRUE(q.is_object()) << doc.dump();
  EXPECT_EQ(q["hold_s"], 3);
  ASSERT_EQ(q["statements"].size(), 1u)
      << "the expand statement, once (not the rollback drill's): " << q.dump();
  const Json& s = q["statements"][0];
  EXPECT_EQ(s["file"], "0001_note/expand.sql");
  EXPECT_FALSE(s["reason"].get<std::string>().empty());
  ASSERT_EQ(s["tables"].size(), 1u) << s.dump();
  const Json& with = s["with_lock_timeout"];
  const Json& without = s["without_lock_timeout"];
  ASSERT_EQ(with["ran"], true) << s.dump();
  ASSERT_EQ(without["ran"], true) << s.dump();
  EXPECT_EQ(with["lock_timeout_ms"], 2000) << "apply's default lock timeout";
  EXPECT_EQ(without["lock_timeout_ms"], 63000) << "the hold plus a minute";
  EXPECT_EQ(without["attempts"], 1);
  EXPECT_EQ(with["gave_up"], false) << "5 retries outlast a 3 s reader";
  const QueueExpectation& e = Queue(engine());
  const double with_read = with["blocked_ms"]["read"].get<double>();
  const double without_read = without["blocked_ms"]["read"].get<double>();
  const double without_write = without["blocked_ms"]["write"].get<double>();
  for (const auto& [mode, f] :
       {std::pair<const char*, const Json&>{"with lock timeout", with}, {"without", without}}) {
    std::cout << "[ measure  ] " << engine() << " drill " << mode << ": attempts " << f["attempts"]
              << ", queued " << f["queued_ms"] << " ms, reads blocked " << f["blocked_ms"]["read"]
              << " ms, writes blocked " << f["blocked_ms"]["write"] << " ms\n";
  }
  if (e.queues) {
    EXPECT_GE(with["attempts"].get<int>(), 2)
        << "the first attempt timed out behind the reader: " << s.dump();
    EXPECT_GE(with["queued_ms"].get<double>(), 2800) << s.dump();
    EXPECT_GE(without["queued_ms"].get<double>(), 2800) << s.dump();
    EXPECT_LT(without["queued_ms"].get<double>(), 6000) << s.dump();
    // The reads queued behind the waiting ALTER: one attempt's worth with
    // the timeout, the whole reader without.
    EXPECT_GE(with_read, 1500) << s.dump();
    EXPECT_LE(with_read, 2700) << s.dump();
    EXPECT_GE(without_read, 2500) << s.dump();
    EXPECT_GE(without_write, 2500) << s.dump();
    EXPECT_GT(without_read, with_read + 400) << s.dump();
  } else {
    EXPECT_LT(without_read, 500) << "readers never wait on this engine: " << s.dump();
  }
  EXPECT_NE(r.err.find("lock-queue drill"), std::string::npos) << r.err;
  EXPECT_EQ(TargetFingerprint(), before);
  EXPECT_FALSE(*conn_->TableExists("cutover_migrations"));
  EXPECT_TRUE(Leftovers().empty()) << "a drill copy was left behind";

  // The human report shows both modes.
  RunResult text = Run({"rehearse", target_.text, "--plan", plan, "--lock-queue-drill", "1"});
  ASSERT_EQ(text.exit_code, 0) << text.out << text.err;
  EXPECT_NE(text.out.find("lock-queue drill"), std::string::npos) << text.out;
  EXPECT_NE(text.out.find("with apply's lock timeout: queued"), std::string::npos) << text.out;
  EXPECT_NE(text.out.find("without a lock timeout:    queued"), std::string::npos) << text.out;
}

// ---- The gate (issue 13) on this evidence -------------------------------------

TEST_P(RehearseCli, GateIsGoWithEveryPieceOfEvidenceAndNamesWhatIsMissing) {
  CreateItems(200);
  // The table existed before cutover: a baseline migration records it, so
  // that the history can be replayed (schema.no_drift).
  const std::string plan =
      WritePlan("gate", {{"0000_base/expand.sql",
                          "CREATE TABLE items (id INTEGER PRIMARY KEY, name VARCHAR(40), qty INTEGER);\n"},
                         {"0001_note/expand.sql", "ALTER TABLE items ADD COLUMN note VARCHAR(40);\n"},
                         {"0001_note/rollback.sql", "ALTER TABLE items DROP COLUMN note;\n"},
                         {"0001_note/contract.sql", "ALTER TABLE items DROP COLUMN qty;\n"}});
  RunResult baseline = Run({"apply", target_.text, "--plan", plan, "--baseline", "--to", "0000_base"}, false);
  ASSERT_EQ(baseline.exit_code, 0) << baseline.out << baseline.err;
  auto gate = [&](const std::vector<std::string>& more = {}) {
    std::vector<std::string> args{"--json", "gate", target_.text, "--plan", plan};
    args.insert(args.end(), more.begin(), more.end());
    return Run(args);
  };
  // No repository: no evidence can be read at all.
  RunResult none = gate();
  EXPECT_EQ(none.exit_code, 3) << none.out << none.err;
  EXPECT_NE(none.err.find("NO-GO"), std::string::npos) << none.err;

  // A snapshot alone: NO-GO, naming what is missing, also in JUnit and metrics.
  SnapshotAndRestoreTest(false);
  const fs::path junit = dir_ / "gate.xml";
  const fs::path metrics = dir_ / "gate.prom";
  RunResult partial = gate({"--junit", junit.string(), "--metrics-file", metrics.string()});
  ASSERT_EQ(partial.exit_code, 1) << partial.out << partial.err;
  Json doc = Parse(partial);
  EXPECT_EQ(doc["decision"], "NO-GO");
  auto st = GateStatuses(doc);
  EXPECT_EQ(st["snapshot.fresh"], "pass");
  EXPECT_EQ(st["snapshot.verified"], "fail");
  EXPECT_EQ(st["snapshot.restore_tested"], "fail");
  EXPECT_EQ(st["rehearsal.current"], "fail");
  for (const Json& c : doc["checks"]) {
    if (c["status"] == "fail") {
      EXPECT_FALSE(c.value("fix", "").empty()) << c.dump();
    }
  }
  const std::string xml = testing::ReadFileOrDie(junit.string());
  testing::XmlCheck check(xml);
  EXPECT_EQ(check.Run(), "") << xml;
  EXPECT_NE(xml.find("tests=\"12\""), std::string::npos) << "one case per check: " << xml;
  EXPECT_NE(xml.find("name=\"snapshot.restore_tested\">\n      <failure"), std::string::npos) << xml;
  EXPECT_NE(xml.find("name=\"snapshot.fresh\">\n      <system-out>"), std::string::npos) << xml;
  const std::string prom = testing::ReadFileOrDie(metrics.string());
  EXPECT_NE(prom.find("cutover_gate_go{target=\""), std::string::npos) << prom;
  EXPECT_NE(prom.find(",phase=\"expand\"} 0\n"), std::string::npos) << prom;
  EXPECT_NE(prom.find("check=\"snapshot.restore_tested\"} 1\n"), std::string::npos) << prom;
  EXPECT_NE(prom.find("check=\"snapshot.fresh\"} 0\n"), std::string::npos) << prom;

  // Verified, restore-tested, rehearsed: GO.
  ASSERT_EQ(Run({"verify", "latest"}, false).exit_code, 0);
  ASSERT_EQ(Run({"restore-test", "latest"}).exit_code, 0);
  RunResult rehearsed = Rehearse(plan);
  ASSERT_EQ(rehearsed.exit_code, 0) << rehearsed.out << rehearsed.err;
  RunResult go = gate();
  ASSERT_EQ(go.exit_code, 0) << go.out << go.err;
  doc = Parse(go);
  EXPECT_EQ(doc["decision"], "GO");
  EXPECT_EQ(doc["decision_sha256"].get<std::string>().size(), 64u);
  for (const auto& [id, status] : GateStatuses(doc)) EXPECT_NE(status, "fail") << id << ": " << doc.dump();
  EXPECT_EQ(GateStatuses(doc).size(), 12u) << doc.dump();

  // A policy the rehearsal's figures break: NO-GO naming rehearsal.blocking.
  const fs::path strict = dir_ / "strict.toml";
  std::ofstream(strict) << "[policy]\nmax_statement_s = 0\n";
  RunResult blocked = gate({"--config", strict.string()});
  EXPECT_EQ(blocked.exit_code, 1) << blocked.out << blocked.err;
  EXPECT_EQ(GateStatuses(Parse(blocked))["rehearsal.blocking"], "fail");
  // A bad policy is bad input, naming the file and line.
  const fs::path bad = dir_ / "bad.toml";
  std::ofstream(bad) << "[policy]\n\nmax_blocked_ms = \"fast\"\n";
  RunResult refused = gate({"--config", bad.string()});
  EXPECT_EQ(refused.exit_code, 2) << refused.out << refused.err;
  EXPECT_NE(refused.err.find(bad.string() + ":3"), std::string::npos) << refused.err;

  // The plan edited after the rehearsal: NO-GO on rehearsal.current only.
  std::ofstream(dir_ / "gate" / "0001_note" / "expand.sql", std::ios::app) << "-- reviewed\n";
  RunResult edited = gate();
  EXPECT_EQ(edited.exit_code, 1) << edited.out << edited.err;
  st = GateStatuses(Parse(edited));
  EXPECT_EQ(st["rehearsal.current"], "fail");
  EXPECT_EQ(st["snapshot.fresh"], "pass");
  EXPECT_EQ(st["schema.no_drift"], "pass");

  // A hot-fix on the live target: the rehearsal no longer matches, and the
  // live schema drifted from what was rehearsed.
  RunResult again = Rehearse(plan);
  ASSERT_EQ(again.exit_code, 0) << again.err;
  ASSERT_EQ(gate().exit_code, 0);
  db_->Exec("CREATE INDEX items_hotfix ON items (qty)");
  RunResult hotfix = gate();
  EXPECT_EQ(hotfix.exit_code, 1) << hotfix.out << hotfix.err;
  st = GateStatuses(Parse(hotfix));
  EXPECT_EQ(st["rehearsal.current"], "fail");
  EXPECT_EQ(st["schema.no_drift"], "fail");
  EXPECT_EQ(testing::Scalar(*conn_, "SELECT count(*) FROM cutover_migrations"), "1") << "the gate only reads";

  // With a history, drift is judged against its replay on the scratch
  // server: after the expand, the contract gate finds no drift, but wants a
  // snapshot taken after the expand; a hot-fix is drift again.
  db_->Exec("DROP INDEX items_hotfix" + std::string(engine() == "mysql" ? " ON items" : ""));
  RunResult applied = Run({"apply", target_.text, "--plan", plan, "--phase", "expand"});
  ASSERT_EQ(applied.exit_code, 0) << applied.out << applied.err;
  RunResult contract = gate({"--phase", "contract"});
  EXPECT_EQ(contract.exit_code, 1) << contract.out << contract.err;
  doc = Parse(contract);
  st = GateStatuses(doc);
  EXPECT_EQ(st["history.clean"], "pass") << doc.dump();
  EXPECT_EQ(st["schema.no_drift"], "pass") << doc.dump();
  EXPECT_EQ(st["snapshot.after_expand"], "fail") << doc.dump();
  db_->Exec("CREATE INDEX items_hotfix ON items (qty)");
  doc = Parse(gate({"--phase", "contract"}));
  st = GateStatuses(doc);
  EXPECT_EQ(st["schema.no_drift"], "fail") << doc.dump();
  EXPECT_NE(doc.dump().find("items_hotfix"), std::string::npos) << "the difference is named: " << doc.dump();

  // A catalog that cannot be read is NO-GO with exit 3, never GO.
  std::ofstream(dir_ / "repo" / "catalog.db", std::ios::binary | std::ios::trunc) << std::string(8192, 'x');
  RunResult corrupt = gate();
  EXPECT_EQ(corrupt.exit_code, 3) << corrupt.out << corrupt.err;
  EXPECT_NE(corrupt.err.find("NO-GO"), std::string::npos) << corrupt.err;
}

// The failed checks an apply refusal names: "... (N check(s) failed: a, b); ...".
std::set<std::string> RefusedChecks(const RunResult& r) {
  const std::string key = "check(s) failed: ";
  const std::size_t at = r.err.find(key);
  if (at == std::string::npos) return {};
  const std::size_t end = r.err.find(')', at + key.size());
  std::set<std::string> out;
  std::stringstream list(r.err.substr(at + key.size(), end - at - key.size()));
  for (std::string id; std::getline(list, id, ',');) out.insert(id.substr(id.find_first_not_of(' ')));
  return out;
}

// A Flyway project as a team has it (docs/layouts.md): what is applied comes
// from flyway_schema_history (here a baseline), the rehearsal runs the
// pending V file and drills its U file on the copy, the gate says GO, the
// target and its Flyway history are untouched, apply refuses and names
// `flyway migrate`, and an edited V file takes the GO back.
TEST_P(RehearseCli, AFlywayPlanIsRehearsedAndGatedFromFlywaysOwnHistory) {
  CreateItems(200);
  db_->Exec(
      "CREATE TABLE flyway_schema_history (installed_rank INT NOT NULL PRIMARY KEY, version VARCHAR(50), "
      "description VARCHAR(200) NOT NULL, type VARCHAR(20) NOT NULL, script VARCHAR(1000) NOT NULL, checksum "
      "INT, "
      "installed_by VARCHAR(100) NOT NULL, installed_on TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP, "
      "execution_time INT NOT NULL, success BOOLEAN NOT NULL)");
  db_->Exec(
      "INSERT INTO flyway_schema_history (installed_rank, version, description, type, script, installed_by, "
      "execution_time, success) VALUES (1, '1', '<< Flyway Baseline >>', 'BASELINE', '<< Flyway Baseline "
      ">>', "
      "'ci', 0, " +
      std::string(engine() == "postgresql" ? "true" : "1") + ")");
  const std::string plan = WritePlan(
      "flyway",
      {{"V1__base.sql", "CREATE TABLE items (id INTEGER PRIMARY KEY, name VARCHAR(40), qty INTEGER);\n"},
       {"V2__note.sql", "ALTER TABLE items ADD COLUMN note VARCHAR(40);\n"},
       {"U2__note.sql", "ALTER TABLE items DROP COLUMN note;\n"}});
  if (engine() == "postgresql") {
    // Flyway runs a migration of non-transactional statements outside a
    // transaction; in one, PostgreSQL would refuse CONCURRENTLY.
    WritePlan("flyway", {{"V3__index.sql", "CREATE INDEX CONCURRENTLY items_qty ON items (qty);\n"},
                         {"U3__index.sql", "DROP INDEX CONCURRENTLY items_qty;\n"}});
  }
  SnapshotAndRestoreTest();
  ASSERT_EQ(Run({"verify", "latest"}, false).exit_code, 0);
  const std::string before = TargetFingerprint();

  RunResult rehearsed = Rehearse(plan);
  ASSERT_EQ(rehearsed.exit_code, 0) << rehearsed.out << rehearsed.err;
  const Json doc = Parse(rehearsed);
  const std::string text = doc.dump();
  EXPECT_NE(text.find("V2__note.sql"), std::string::npos) << "the pending V file ran on the copy: " << text;
  if (engine() == "postgresql") {
    EXPECT_NE(text.find("V3__index.sql"), std::string::npos) << text;
  }
  EXPECT_EQ(text.find("V1__base.sql\",\"line"), std::string::npos)
      << "the baselined V1 did not run: " << text;
  EXPECT_EQ(TargetFingerprint(), before);
  EXPECT_EQ(testing::Scalar(*conn_, "SELECT COUNT(*) FROM flyway_schema_history"), "1");

  RunResult go = Run({"--json", "gate", target_.text, "--plan", plan});
  ASSERT_EQ(go.exit_code, 0) << go.out << go.err;
  EXPECT_EQ(Parse(go)["decision"], "GO");
  RunResult apply = Run({"apply", target_.text, "--plan", plan, "--phase", "expand"}, false);
  EXPECT_EQ(apply.exit_code, 2) << apply.out << apply.err;
  EXPECT_NE(apply.err.find("once `cutover gate"), std::string::npos) << apply.err;
  EXPECT_NE(apply.err.find("flyway migrate"), std::string::npos) << apply.err;
  EXPECT_EQ(TargetFingerprint(), before);

  std::ofstream(fs::path(plan) / "V2__note.sql", std::ios::trunc)
      << "ALTER TABLE items ADD COLUMN note VARCHAR(80);\n";
  RunResult stale = Run({"--json", "gate", target_.text, "--plan", plan});
  EXPECT_EQ(stale.exit_code, 1) << stale.out << stale.err;
  EXPECT_EQ(GateStatuses(Parse(stale))["rehearsal.current"], "fail") << stale.out;
}

// Each project of tests/layouts/ on this engine: its first migration applied
// as its tool would have (the DDL run, the tool's history row written), the
// rest rehearsed on a copy with the tool's transaction semantics and
// rollback drills, then gated. A Flyway repeatable has no way back, which
// the gate names (rehearsal.rollback) until allow_irreversible says so.
TEST_P(RehearseCli, EveryLayoutProjectIsRehearsedAndGatedOnThisEngine) {
  const std::string t = engine() == "postgresql" ? "true" : "1";
  struct Project {
    std::string tool, dir, history;
  };
  const std::vector<Project> projects = {
      {"golang-migrate", "golang-migrate",
       "CREATE TABLE schema_migrations (version BIGINT NOT NULL PRIMARY KEY, dirty BOOLEAN NOT NULL);"
       "INSERT INTO schema_migrations VALUES (1, " +
           std::string(engine() == "postgresql" ? "false" : "0") + ");"},
      {"flyway", "flyway/sql",
       "CREATE TABLE flyway_schema_history (installed_rank INT NOT NULL PRIMARY KEY, version VARCHAR(50), "
       "description VARCHAR(200) NOT NULL, type VARCHAR(20) NOT NULL, script VARCHAR(1000) NOT NULL, "
       "checksum INT, "
       "installed_by VARCHAR(100) NOT NULL, installed_on TIMESTAMP NULL, execution_time INT NOT NULL, "
       "success "
       "BOOLEAN NOT NULL);"
       // Flyway leaves the checksum NULL when it did not compute one: not compared.
       "INSERT INTO flyway_schema_history VALUES (1, '1', 'create accounts', 'SQL', "
       "'V1__create_accounts.sql', "
       "NULL, 'ci', NULL, 5, " +
           t + ");"},
      {"dbmate", "dbmate",
       "CREATE TABLE schema_migrations (version VARCHAR(128) NOT NULL PRIMARY KEY);"
       "INSERT INTO schema_migrations VALUES ('20240101000001');"},
      {"goose", "goose",
       "CREATE TABLE goose_db_version (id INTEGER PRIMARY KEY, version_id BIGINT NOT NULL, is_applied "
       "BOOLEAN NOT "
       "NULL, tstamp TIMESTAMP NULL);"
       "INSERT INTO goose_db_version VALUES (1, 0, " +
           t + ", NULL), (2, 1, " + t + ", NULL);"},
      {"liquibase", "liquibase",
       "CREATE TABLE DATABASECHANGELOG (ID VARCHAR(255) NOT NULL, AUTHOR VARCHAR(255) NOT NULL, FILENAME "
       "VARCHAR(255) NOT NULL, DATEEXECUTED TIMESTAMP NULL, ORDEREXECUTED INT NOT NULL, EXECTYPE VARCHAR(10) "
       "NOT "
       "NULL, MD5SUM VARCHAR(35));"
       "INSERT INTO DATABASECHANGELOG VALUES ('create-accounts', 'alice', 'changelog.sql', NULL, 1, "
       "'EXECUTED', "
       "'9:0');"},
  };
  const fs::path base = dir_;
  struct RestoreDir {  // TearDown removes dir_: the base, whatever happens here
    fs::path& dir;
    fs::path base;
    ~RestoreDir() { dir = base; }
  } restore{dir_, base};
  for (const Project& p : projects) {
    SCOPED_TRACE(p.tool);
    // A database and a repository of its own per project.
    dir_ = base / p.tool;
    fs::create_directories(dir_);
    conn_.reset();
    db_ = std::make_unique<testing::ScratchDatabase>(engine());
    conn_ = db_->Connect();
    ASSERT_NE(conn_, nullptr);
    target_ = testing::ForCli(db_->uri());
    db_->Exec("CREATE TABLE accounts (id INTEGER PRIMARY KEY, email VARCHAR(100) NOT NULL)");
    std::string rows = "INSERT INTO accounts VALUES (1, 'a1@example.com')";  // rows for the write probes
    for (int i = 2; i <= 200; ++i)
      rows += ", (" + std::to_string(i) + ", 'a" + std::to_string(i) + "@example.com')";
    db_->Exec(rows);
    for (std::string_view statement : Split(p.history, ';')) {
      if (!Trim(statement).empty()) db_->Exec(std::string(statement));
    }
    const std::string plan = testing::SourceDir() + "/tests/layouts/" + p.dir;
    SnapshotAndRestoreTest();
    ASSERT_EQ(Run({"verify", "latest"}, false).exit_code, 0);
    const std::string before = TargetFingerprint();

    RunResult status = Run({"--json", "status", target_.text, "--plan", plan}, false);
    EXPECT_EQ(status.exit_code, 0) << status.out << status.err;
    RunResult rehearsed = Rehearse(plan, {"--layout", p.tool});
    ASSERT_EQ(rehearsed.exit_code, 0) << rehearsed.out << rehearsed.err;
    const Json doc = Parse(rehearsed);
    std::set<std::string> ran, drilled;
    for (const Json& st : doc["statements"]) ran.insert(st.value("migration", ""));
    for (const Json& d : doc["rollback_drill"]) {
      if (d.value("ran", false) && d.value("ok", false)) drilled.insert(d.value("migration", ""));
    }
    EXPECT_EQ(ran.size(), p.tool == "flyway" ? 3u : 2u)
        << "the two pending migrations (and the repeatable) ran: " << doc.dump();
    EXPECT_EQ(drilled.size(), 2u) << "both were rolled back and applied again: " << doc.dump();
    EXPECT_EQ(TargetFingerprint(), before);

    RunResult gate = Run({"--json", "gate", target_.text, "--plan", plan});
    const auto checks = GateStatuses(Parse(gate));
    for (const auto& [id, st] : checks) {
      if (p.tool == "flyway" && (id == "rehearsal.rollback" || id == "lint.clean")) continue;
      EXPECT_NE(st, "fail") << id << ": " << gate.out;
    }
    if (p.tool == "flyway") {
      EXPECT_EQ(gate.exit_code, 1) << gate.out << gate.err;
      EXPECT_EQ(checks.at("rehearsal.rollback"), "fail");
      EXPECT_NE(gate.out.find("R__account_emails: no rollback drill"), std::string::npos) << gate.out;
      EXPECT_EQ(checks.at("lint.clean"), "fail");
      EXPECT_NE(gate.out.find("PLAN001 R__account_emails.sql"), std::string::npos) << gate.out;
    } else {
      EXPECT_EQ(gate.exit_code, 0) << gate.out << gate.err;
    }
  }
}

// Each check failing on its own makes apply refuse (exit 1), naming that
// check, with the target unchanged; an override runs and is recorded.
TEST_P(RehearseCli, ApplyRefusesOnEachFailedCheckAndChangesNothing) {
  CreateItems(200);
  const std::vector<std::pair<std::string, std::string>> base = {
      {"0000_base/expand.sql",
       "CREATE TABLE items (id INTEGER PRIMARY KEY, name VARCHAR(40), qty INTEGER);\n"},
      {"0001_note/expand.sql", "ALTER TABLE items ADD COLUMN note VARCHAR(40);\n"},
      {"0001_note/rollback.sql", "ALTER TABLE items DROP COLUMN note;\n"},
      {"0001_note/contract.sql", "ALTER TABLE items DROP COLUMN qty;\n"}};
  const std::string plan = WritePlan("refuse", base);
  ASSERT_EQ(Run({"apply", target_.text, "--plan", plan, "--baseline", "--to", "0000_base"}, false).exit_code,
            0);
  SnapshotAndRestoreTest();
  ASSERT_EQ(Run({"verify", "latest"}, false).exit_code, 0);
  ASSERT_EQ(Rehearse(plan).exit_code, 0);
  const std::string before = TargetFingerprint();
  const std::string count_sql = "SELECT count(*) FROM cutover_migrations";
  const std::string rows = testing::Scalar(*conn_, count_sql);
  auto apply = [&](const std::string& plan_dir, const std::vector<std::string>& more) {
    std::vector<std::string> args{"apply", target_.text, "--plan", plan_dir, "--phase", "expand"};
    args.insert(args.end(), more.begin(), more.end());
    return Run(args);
  };
  auto refused = [&](const std::string& why, const std::set<std::string>& expected,
                     const std::vector<std::string>& more = {}, const std::string& plan_dir = "") {
    RunResult r = apply(plan_dir.empty() ? plan : plan_dir, more);
    EXPECT_EQ(r.exit_code, 1) << why << "\n" << r.out << r.err;
    EXPECT_EQ(RefusedChecks(r), expected) << why << "\n" << r.err;
    EXPECT_NE(r.err.find("nothing was changed"), std::string::npos) << why << "\n" << r.err;
    EXPECT_EQ(TargetFingerprint(), before) << why;
    EXPECT_EQ(testing::Scalar(*conn_, count_sql), rows) << why;
  };
  auto config = [&](const std::string& name, const std::string& text) {
    const fs::path file = dir_ / (name + ".toml");
    std::ofstream(file) << "[policy]\n" << text << "\n";
    return std::vector<std::string>{"--config", file.string()};
  };
  refused("blocking above the policy", {"rehearsal.blocking"}, config("blocking", "max_statement_s = 0"));
  refused("lint warnings that the policy fails", {"lint.clean"}, config("lint", "lint_warnings = \"fail\""));

  // Stale evidence: each age limit on its own.
  std::this_thread::sleep_for(std::chrono::milliseconds(2100));
  refused("stale snapshot", {"snapshot.fresh"}, config("fresh", "snapshot_max_age = \"1s\""));
  refused("stale restore test", {"snapshot.restore_tested"},
          config("tested", "restore_test_max_age = \"1s\""));
  refused("stale rehearsal", {"rehearsal.current"}, config("rehearsed", "rehearsal_max_age = \"1s\""));

  // No repository, or one whose catalog cannot be read: no evidence at all
  // (exit 3), and nothing changed.
  RunResult no_repo =
      testing::RunCutover({"--repo", (dir_ / "nowhere").string(), "--driver-path", CUTOVER_TEST_DRIVER_DIR,
                           "apply", target_.text, "--plan", plan, "--phase", "expand"},
                          testing::ProcessOptions().Env(Env()));
  EXPECT_EQ(no_repo.exit_code, 3) << no_repo.out << no_repo.err;
  EXPECT_NE(no_repo.err.find("apply refused (NO-GO)"), std::string::npos) << no_repo.err;
  EXPECT_FALSE(fs::exists(dir_ / "nowhere")) << "a gated apply never creates a repository";
  EXPECT_EQ(TargetFingerprint(), before);

  // A failed restore test of the newest snapshot.
  std::ofstream(dir_ / "fail.sql") << "SELECT id FROM items WHERE id > 0;\n";
  RunResult failed_test = Run({"restore-test", "latest", "--check", (dir_ / "fail.sql").string()});
  ASSERT_EQ(failed_test.exit_code, 1) << failed_test.out << failed_test.err;
  refused("failed restore test", {"snapshot.restore_tested"});
  ASSERT_EQ(Run({"restore-test", "latest"}).exit_code, 0);

  // The plan edited after its rehearsal.
  const fs::path expand = dir_ / "refuse" / "0001_note" / "expand.sql";
  std::ofstream(expand, std::ios::app) << "-- reviewed\n";
  refused("plan edited after the rehearsal", {"rehearsal.current"});
  std::ofstream(expand, std::ios::trunc) << base[1].second;

  // An applied migration edited (its recorded checksum no longer matches).
  const std::string where = " WHERE migration = '0000_base'";
  const std::string sum = testing::Scalar(*conn_, "SELECT checksum FROM cutover_migrations" + where);
  db_->Exec("UPDATE cutover_migrations SET checksum = 'edited'" + where);
  refused("edited applied migration", {"history.clean", "schema.no_drift"});
  db_->Exec("UPDATE cutover_migrations SET checksum = '" + sum + "'" + where);
  ASSERT_EQ(apply(plan, {"--dry-run"}).exit_code, 0);

  // A compat query that fails, and a rollback that leaves drift: the
  // rehearsal says so (exit 1) and the gate names the check.
  std::vector<std::pair<std::string, std::string>> compat = base;
  compat.push_back({"0001_note/compat.sql", "SELECT no_such_column FROM items;\n"});
  const std::string compat_plan = WritePlan("compat", compat);
  ASSERT_EQ(Rehearse(compat_plan).exit_code, 1);
  refused("compat failing", {"rehearsal.current", "rehearsal.compat"}, {}, compat_plan);
  std::vector<std::pair<std::string, std::string>> leaky = base;
  leaky[2].second = "ALTER TABLE items DROP COLUMN note;\nALTER TABLE items ADD COLUMN leftover INTEGER;\n";
  const std::string leaky_plan = WritePlan("leaky", leaky);
  ASSERT_EQ(Rehearse(leaky_plan).exit_code, 1);
  refused("rollback leaving drift", {"rehearsal.current", "rehearsal.rollback"}, {}, leaky_plan);

  // A lint error on its own: no rollback.sql (PLAN001) in a migration not
  // marked irreversible; the policy allows irreversible ones, so the
  // rehearsal's missing drill is not what fails.
  const std::string no_rollback = WritePlan("norollback", {base[0], base[1], base[3]});
  ASSERT_EQ(Rehearse(no_rollback).exit_code, 0);
  refused("lint error", {"lint.clean"}, config("irreversible", "allow_irreversible = true"), no_rollback);

  // A window too short for what the rehearsal measured: a statement that
  // takes 1.5 s on the copy against a one-second window. SQLite cannot
  // sleep in SQL, so its pause is a counting query sized on this machine
  // (a fixed 4M rows took 1.006 s on a fast CI machine: too close).
  const std::string pause = engine() == "postgresql" ? "SELECT pg_sleep(1.5);\n"
                            : engine() == "mysql"    ? "DO SLEEP(1.5);\n"
                                                     : CountingQuery(RowsCountedIn(2.0));
  std::vector<std::pair<std::string, std::string>> slow = base;
  slow[1].second = pause + base[1].second;
  const std::string slow_plan = WritePlan("slow", slow);
  RunResult slow_rehearsal = Rehearse(slow_plan);
  ASSERT_EQ(slow_rehearsal.exit_code, 0) << slow_rehearsal.out << slow_rehearsal.err;
  const double window_s = Parse(slow_rehearsal)["estimate"]["window_s"].get<double>();
  ASSERT_GT(window_s, 1.05) << "the pause must outlast the window: " << window_s;
  refused("window too short", {"window.fits"}, config("window", "window = \"1s\""), slow_plan);

  // A live hot-fix after the rehearsal.
  db_->Exec("CREATE INDEX items_hotfix ON items (qty)");
  const std::string hotfixed = TargetFingerprint();
  RunResult r = apply(plan, {});
  EXPECT_EQ(r.exit_code, 1) << r.out << r.err;
  EXPECT_EQ(RefusedChecks(r), (std::set<std::string>{"rehearsal.current", "schema.no_drift"})) << r.err;
  EXPECT_EQ(testing::Scalar(*conn_, count_sql), rows);

  // An override needs a reason, runs, and is recorded with what failed.
  EXPECT_EQ(apply(plan, {"--no-gate"}).exit_code, 2);
  EXPECT_EQ(apply(plan, {"--reason", "why"}).exit_code, 2);
  RunResult forced = apply(plan, {"--no-gate", "--reason", "incident 42: ship the column now"});
  ASSERT_EQ(forced.exit_code, 0) << forced.out << forced.err;
  EXPECT_NE(TargetFingerprint(), hotfixed) << "the override ran the expand";
  RunResult log = Run({"--json", "audit"}, false);
  ASSERT_EQ(log.exit_code, 0) << log.out << log.err;
  const Json entries = Parse(log)["entries"];
  std::vector<std::string> actions;
  for (const Json& e : entries) actions.push_back(e["action"].get<std::string>());
  ASSERT_GE(actions.size(), 4u);
  EXPECT_EQ(std::vector<std::string>(actions.end() - 4, actions.end()),
            (std::vector<std::string>{"gate", "apply.override", "apply.start", "apply.end"}));
  const Json& override_entry = entries[entries.size() - 3];
  EXPECT_EQ(override_entry["detail"]["reason"], "incident 42: ship the column now");
  EXPECT_EQ(override_entry["detail"]["failed_checks"], Json::array({"schema.no_drift", "rehearsal.current"}));
  EXPECT_EQ(entries.back()["detail"]["ok"], true);
  EXPECT_EQ(Run({"audit", "verify"}, false).exit_code, 0);

  // Contract right after the expand: no snapshot of the expanded schema yet.
  db_->Exec("DROP INDEX items_hotfix" + std::string(engine() == "mysql" ? " ON items" : ""));
  const std::string expanded = TargetFingerprint();
  RunResult contract = Run({"apply", target_.text, "--plan", plan, "--phase", "contract"});
  EXPECT_EQ(contract.exit_code, 1) << contract.out << contract.err;
  EXPECT_EQ(RefusedChecks(contract), (std::set<std::string>{"snapshot.after_expand", "rehearsal.current"}))
      << contract.err;
  EXPECT_EQ(TargetFingerprint(), expanded);

  // A catalog that cannot be read: exit 3, never a run.
  std::ofstream(dir_ / "repo" / "catalog.db", std::ios::binary | std::ios::trunc) << std::string(8192, 'x');
  fs::remove(dir_ / "repo" / "catalog.db-wal");
  fs::remove(dir_ / "repo" / "catalog.db-shm");
  RunResult corrupt = Run({"apply", target_.text, "--plan", plan, "--phase", "contract"});
  EXPECT_EQ(corrupt.exit_code, 3) << corrupt.out << corrupt.err;
  EXPECT_NE(corrupt.err.find("catalog"), std::string::npos) << corrupt.err;
  EXPECT_EQ(TargetFingerprint(), expanded);
}

// Reports for pipelines: rehearse --metrics-file and --github, gate
// --markdown and GitHub mode detected from GITHUB_ACTIONS.
TEST_P(RehearseCli, ReportsForPipelines) {
  CreateItems(200);
  const std::string plan =
      WritePlan("reports", {{"0000_base/expand.sql",
                             "CREATE TABLE items (id INTEGER PRIMARY KEY, name VARCHAR(40), qty INTEGER);\n"},
                            {"0001_note/expand.sql",
                             "-- Orders need a note for the courier.\n-- cutover:lock-timeout 3s\n"
                             "ALTER TABLE items ADD COLUMN note VARCHAR(40);\n"},
                            {"0001_note/rollback.sql", "ALTER TABLE items DROP COLUMN note;\n"}});
  ASSERT_EQ(Run({"apply", target_.text, "--plan", plan, "--baseline", "--to", "0000_base"}, false).exit_code,
            0);
  SnapshotAndRestoreTest();
  ASSERT_EQ(Run({"verify", "latest"}, false).exit_code, 0);
  const fs::path summary = dir_ / "summary.md";
  auto github_env = [&](bool actions) {
    std::vector<std::string> env = Env();
    env.push_back("GITHUB_STEP_SUMMARY=" + summary.string());
    env.push_back(std::string("GITHUB_ACTIONS=") + (actions ? "true" : "false"));
    return testing::ProcessOptions().Env(env);
  };
  const fs::path metrics = dir_ / "rehearsal.prom";
  RunResult r = testing::RunCutover(Args({"--json", "rehearse", target_.text, "--plan", plan, "--github",
                                          "--metrics-file", metrics.string()},
                                         true),
                                    github_env(false));
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_TRUE(Json::parse(r.out, nullptr, false).is_object()) << "stdout stays one JSON document: " << r.out;
  EXPECT_NE(r.err.find("::notice title=cutover rehearse::rehearsal rh-"), std::string::npos) << r.err;
  const std::string prom = testing::ReadFileOrDie(metrics.string());
  EXPECT_NE(prom.find("cutover_rehearsal_ok{target=\""), std::string::npos) << prom;
  EXPECT_NE(prom.find("\"} 1\n"), std::string::npos) << prom;
  EXPECT_NE(prom.find("cutover_rehearsal_statement_estimated_duration_ms{target=\""), std::string::npos)
      << prom;
  EXPECT_NE(prom.find(",phase=\"expand\",file=\"0001_note/expand.sql\",line=\"3\"} "), std::string::npos)
      << prom;
  EXPECT_NE(prom.find(",kind=\"write\"} "), std::string::npos) << prom;
  std::string md = testing::ReadFileOrDie(summary.string());
  EXPECT_NE(md.find("### cutover rehearse: ✅ no findings"), std::string::npos) << md;
  EXPECT_NE(md.find("| expand | `0001_note/expand.sql:3` |"), std::string::npos) << md;

  // The gate's readout, and GitHub mode from the runner's variable.
  const fs::path readout = dir_ / "gate.md";
  RunResult go = testing::RunCutover(
      Args({"gate", target_.text, "--plan", plan, "--markdown", readout.string()}, true), github_env(true));
  ASSERT_EQ(go.exit_code, 0) << go.out << go.err;
  EXPECT_NE(go.err.find("::notice title=cutover gate::GO for expand on "), std::string::npos) << go.err;
  const std::string gate_md = testing::ReadFileOrDie(readout.string());
  EXPECT_NE(gate_md.find("### cutover gate: ✅ GO for expand"), std::string::npos) << gate_md;
  EXPECT_NE(gate_md.find("| `0001_note/expand.sql` | 1 | Orders need a note for the courier. |"),
            std::string::npos)
      << gate_md;
  EXPECT_NE(gate_md.find("#### Measured on a production copy"), std::string::npos) << gate_md;
  EXPECT_NE(gate_md.find("| `0001_note/expand.sql:3` |"), std::string::npos) << gate_md;
  md = testing::ReadFileOrDie(summary.string());
  EXPECT_NE(md.find(gate_md), std::string::npos) << "the readout is the step summary";
  // The decision is in the audit log, after the rehearsal.
  const Json entries = Parse(Run({"--json", "audit"}, false))["entries"];
  ASSERT_GE(entries.size(), 2u);
  EXPECT_EQ(entries[entries.size() - 2]["action"], "rehearse");
  const Json& decision = entries.back();
  EXPECT_EQ(decision["action"], "gate") << decision.dump();
  EXPECT_EQ(decision["detail"]["decision"], "GO") << decision.dump();
  EXPECT_EQ(decision["detail"]["phase"], "expand") << decision.dump();
  EXPECT_EQ(decision["detail"]["decision_sha256"].get<std::string>().size(), 64u) << decision.dump();

  // NO-GO: one error annotation per failed check.
  std::ofstream(dir_ / "reports" / "0001_note" / "expand.sql", std::ios::app) << "-- edited\n";
  RunResult nogo =
      testing::RunCutover(Args({"gate", target_.text, "--plan", plan, "--github"}, true), github_env(false));
  EXPECT_EQ(nogo.exit_code, 1) << nogo.out << nogo.err;
  EXPECT_NE(nogo.err.find("::error title=cutover gate%3A rehearsal.current::"), std::string::npos)
      << nogo.err;
  EXPECT_EQ(nogo.err.find("::notice"), std::string::npos) << nogo.err;
}

// ---- Blocking, measured on a million rows ---------------------------------

struct BlockingCase {
  std::string fill;  // fills items (id, name, qty) with 1,000,000 rows
  // Migrations in order: {name, expand.sql, rollback.sql}.
  std::vector<std::array<std::string, 3>> migrations;
  // Per migration: whether its first expand statement must block reads /
  // writes (most of its duration) or neither (< 100 ms), and rewrite.
  enum Blocked { kFree, kBlocked, kEither };
  struct Expect {
    Blocked reads;
    Blocked writes;
    bool rewrite;
  };
  std::vector<Expect> expect;
};

const BlockingCase& Blocking(const std::string& engine) {
  static const std::map<std::string, BlockingCase> cases = {
      {"postgresql",
       {"INSERT INTO items SELECT g, 'n' || g, g % 7 FROM generate_series(1, 1000000) AS g",
        {{"0001_index", "CREATE INDEX items_qty ON items (qty);\n", "DROP INDEX items_qty;\n"},
         {"0002_widen", "ALTER TABLE items ALTER COLUMN qty TYPE bigint;\n",
          "ALTER TABLE items ALTER COLUMN qty TYPE integer;\n"},
         {"0003_concurrently",
          "-- cutover:no-transaction\nCREATE INDEX CONCURRENTLY items_name ON items (name);\n",
          "-- cutover:no-transaction\nDROP INDEX CONCURRENTLY items_name;\n"},
         // The safe form of a CHECK constraint: added NOT VALID (a catalog
         // change), then validated under a lock that lets reads and writes on.
         {"0004_check", "ALTER TABLE items ADD CONSTRAINT items_qty_nonneg CHECK (qty >= 0) NOT VALID;\n",
          "ALTER TABLE items DROP CONSTRAINT items_qty_nonneg;\n"},
         {"0005_validate", "ALTER TABLE items VALIDATE CONSTRAINT items_qty_nonneg;\n",
          "ALTER TABLE items DROP CONSTRAINT items_qty_nonneg;\n"
          "ALTER TABLE items ADD CONSTRAINT items_qty_nonneg CHECK (qty >= 0) NOT VALID;\n"}},
        {{BlockingCase::kFree, BlockingCase::kBlocked, false},
         {BlockingCase::kBlocked, BlockingCase::kBlocked, true},
         {BlockingCase::kFree, BlockingCase::kFree, false},
         {BlockingCase::kFree, BlockingCase::kFree, false},
         {BlockingCase::kFree, BlockingCase::kFree, false}}}},
      {"mysql",
       {"INSERT INTO items SELECT seq, CONCAT('n', seq), seq % 7 FROM seq_1_to_1000000",
        {{"0001_widen", "ALTER TABLE items MODIFY qty BIGINT;\n", "ALTER TABLE items MODIFY qty INTEGER;\n"},
         {"0002_instant", "ALTER TABLE items ADD COLUMN note INTEGER, ALGORITHM=INSTANT;\n",
          "ALTER TABLE items DROP COLUMN note;\n"},
         {"0003_inplace", "ALTER TABLE items ADD INDEX items_name (name), ALGORITHM=INPLACE, LOCK=NONE;\n",
          "ALTER TABLE items DROP INDEX items_name;\n"}},
        {{BlockingCase::kFree, BlockingCase::kBlocked, true},
         {BlockingCase::kFree, BlockingCase::kFree, false},
         {BlockingCase::kFree, BlockingCase::kFree, false}}}},
      {"sqlite",
       {"WITH RECURSIVE g(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM g WHERE n < 1000000) "
        "INSERT INTO items SELECT n, 'n' || n, n % 7 FROM g",
        {{"0001_index", "CREATE INDEX items_name ON items (name, qty);\n", "DROP INDEX items_name;\n"},
         {"0002_column", "ALTER TABLE items ADD COLUMN note INTEGER;\n",
          "ALTER TABLE items DROP COLUMN note;\n"}},
        // Readers of a rollback-journal database wait only while the commit
        // writes the new pages: some tens of ms here, more on a slow disk.
        {{BlockingCase::kEither, BlockingCase::kBlocked, false},
         {BlockingCase::kFree, BlockingCase::kFree, false}}}},
  };
  return cases.at(engine);
}

TEST_P(RehearseCli, MeasuresWhatTheApplicationFeelsOnAMillionRows) {
  const BlockingCase& c = Blocking(engine());
  db_->Exec("CREATE TABLE items (id INTEGER PRIMARY KEY, name VARCHAR(40), qty INTEGER)");
  db_->Exec(c.fill);
  ASSERT_EQ(testing::Scalar(*conn_, "SELECT count(*) FROM items"), "1000000");
  SnapshotAndRestoreTest();
  std::vector<std::pair<std::string, std::string>> files;
  for (const auto& [name, expand, rollback] : c.migrations) {
    files.push_back({name + "/expand.sql", expand});
    files.push_back({name + "/rollback.sql", rollback});
  }
  RunResult r = Rehearse(WritePlan("million", files));
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  Json doc = Parse(r);
  for (size_t i = 0; i < c.migrations.size(); ++i) {
    const std::string file = c.migrations[i][0] + "/expand.sql";
    SCOPED_TRACE(file);
    const Json* first = nullptr;
    for (const Json& s : doc["statements"]) {
      if (s["file"] == file && !s["drill"].get<bool>() && first == nullptr) first = &s;
    }
    ASSERT_NE(first, nullptr) << "no statement of " << file;
    const Json& s = *first;
    const double duration = s["duration_ms"].get<double>();
    std::cout << "[ measure  ] " << engine() << " " << s["sql"].get<std::string>().substr(0, 60) << ": "
              << duration << " ms, blocked read " << s["blocked_ms"]["read"] << " ms, write "
              << s["blocked_ms"]["write"] << " ms, rewrite " << s["rewrite"] << "\n";
    ASSERT_TRUE(s["blocked_ms"]["read"].is_number() && s["blocked_ms"]["write"].is_number()) << s.dump();
    const double read = s["blocked_ms"]["read"].get<double>();
    const double write = s["blocked_ms"]["write"].get<double>();
    const BlockingCase::Expect& e = c.expect[i];
    if (e.reads == BlockingCase::kBlocked || e.writes == BlockingCase::kBlocked) {
      ASSERT_GT(duration, 100.0) << "too fast to tell blocking from noise: " << s.dump();
    }
    for (const auto& [kind, blocked, ms] :
         {std::tuple{"reads", e.reads, read}, {"writes", e.writes, write}}) {
      if (blocked == BlockingCase::kBlocked) {
        EXPECT_GT(ms, 0.5 * duration) << kind << " not blocked: " << s.dump();
      } else if (blocked == BlockingCase::kFree) {
        EXPECT_LT(ms, 100.0) << kind << " blocked: " << s.dump();
      }
    }
    EXPECT_EQ(s["rewrite"], e.rewrite) << s.dump();
  }
  EXPECT_TRUE(Leftovers().empty());
}

INSTANTIATE_TEST_SUITE_P(AllEngines, RehearseCli, ::testing::ValuesIn(testing::AllEngines()),
                         [](const ::testing::TestParamInfo<std::string>& p) { return p.param; });

}  // namespace
}  // namespace cutover
