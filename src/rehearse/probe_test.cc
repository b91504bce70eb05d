// ProbeWorkload on real databases: a known block is reported as itself.
//
// Each measurement test runs the workload on a table of a few thousand rows,
// marks a baseline, holds a lock from another connection for a known time
// measured with the monotonic clock, and checks the blocked time the probes
// report against that hold. SQLite in rollback-journal mode separates the two
// kinds: a RESERVED lock (BEGIN IMMEDIATE) blocks writers but not readers, an
// EXCLUSIVE lock blocks both; PostgreSQL's ACCESS EXCLUSIVE blocks both.
#include "rehearse/probe.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <functional>
#include <random>
#include <thread>

#include "support/test_env.h"

namespace cutover::rehearse {
namespace {

using cutover::testing::ScratchDatabase;
using cutover::testing::TestDriver;
using std::chrono::milliseconds;

constexpr int kRows = 3000;

// A table "t" of kRows rows, ids 1..kRows.
void CreateTable(const ScratchDatabase& db) {
  if (db.engine() == "mysql") {
    db.Exec(
        "CREATE TABLE t (id INT PRIMARY KEY, v INT NOT NULL) ENGINE=InnoDB;"
        "INSERT INTO t SELECT seq, seq FROM seq_1_to_" +
        std::to_string(kRows) + ";");
  } else if (db.engine() == "postgresql") {
    db.Exec(
        "CREATE TABLE t (id integer PRIMARY KEY, v integer NOT NULL);"
        "INSERT INTO t SELECT g, g FROM generate_series(1, " +
        std::to_string(kRows) + ") g;");
  } else {
    db.Exec(
        "CREATE TABLE t (id INTEGER PRIMARY KEY, v INTEGER NOT NULL);"
        "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < " +
        std::to_string(kRows) + ") INSERT INTO t SELECT x, x FROM c;");
  }
}

// What the driver layer will generate: reads by random existing keys, a
// no-op UPDATE of one row and an INSERT, both rolled back by the workload.
ProbeSpec TableSpec() {
  ProbeSpec spec;
  spec.label = "t";
  std::mt19937 rng(42);
  std::uniform_int_distribution<int> key(1, kRows);
  for (int i = 0; i < 16; ++i) {
    const int k = key(rng);
    spec.reads.push_back("SELECT v FROM t WHERE id = " + std::to_string(k));
    spec.writes.push_back("UPDATE t SET v = v WHERE id = " + std::to_string(k));
    spec.writes.push_back("INSERT INTO t (id, v) VALUES (" + std::to_string(kRows + 1 + i) + ", 0)");
  }
  return spec;
}

ProbeOptions OptionsFor(const std::string& engine) {
  ProbeOptions o;
  o.seed = 7;
  // SQLite's busy handler backs off up to 100 ms between lock retries: poll.
  if (engine == "sqlite") o.lock_poll_interval = milliseconds(2);
  return o;
}

// Waits until `done` holds, checking every millisecond, for at most `limit`.
bool WaitFor(const std::function<bool()>& done, milliseconds limit) {
  const auto deadline = Clock::now() + limit;
  while (!done()) {
    if (Clock::now() > deadline) return false;
    std::this_thread::sleep_for(milliseconds(1));
  }
  return true;
}

// The lock a test holds, per engine: SQL to take it and to release it.
struct LockRecipe {
  std::vector<std::string> take;
  std::string release;
};
LockRecipe SqliteReserved() {
  return {{"BEGIN IMMEDIATE"}, "ROLLBACK"};
}
LockRecipe SqliteExclusive() {
  return {{"BEGIN EXCLUSIVE"}, "ROLLBACK"};
}
LockRecipe MariaDbLockTablesWrite() {
  return {{"LOCK TABLES t WRITE"}, "UNLOCK TABLES"};
}
LockRecipe PgAccessExclusive() {
  return {{"BEGIN", "LOCK TABLE t IN ACCESS EXCLUSIVE MODE"}, "ROLLBACK"};
}

struct BlockRun {
  // What the test knows of the block: the lock was certainly held from the
  // moment taking it returned until releasing it began (hold_ms), and
  // certainly not longer than from the moment taking it began until
  // releasing it returned (hold_ms + take_ms + release_ms). Taking can wait
  // for probes in flight (PostgreSQL queues new probes behind the waiting
  // request) and a loaded machine can deschedule the holder between the
  // server's release and the call's return.
  double hold_ms = 0;
  double take_ms = 0;
  double release_ms = 0;
  double read_blocked_ms = 0;
  double write_blocked_ms = 0;
  LatencySummary read_block, write_block, read_after, write_after;
};

// Starts the workload, marks a baseline, holds `recipe`'s lock for `hold`
// inside window "block", marks "after", stops. Failures are recorded.
BlockRun MeasureBlock(const ScratchDatabase& db, const LockRecipe& recipe, milliseconds hold,
                      ProbeOptions options, milliseconds baseline = milliseconds(300)) {
  BlockRun run;
  Driver* driver = TestDriver(db.engine());
  if (driver == nullptr) return run;
  auto holder = db.Connect();
  if (holder == nullptr) return run;
  ProbeWorkload workload(*driver, db.uri(), {TableSpec()}, options);
  Status started = workload.Start();
  if (!started.ok()) {
    ADD_FAILURE() << started.ToString();
    return run;
  }
  EXPECT_TRUE(workload.Mark("baseline").ok());
  std::this_thread::sleep_for(baseline);
  // The baseline needs probes of both kinds before anything is blocked.
  EXPECT_TRUE(WaitFor(
      [&] {
        auto r = workload.Summary("t", ProbeKind::kRead, "baseline");
        auto w = workload.Summary("t", ProbeKind::kWrite, "baseline");
        return r && w && r->count >= 10 && w->count >= 10;
      },
      milliseconds(3000)));
  EXPECT_TRUE(workload.Mark("block").ok());
  const auto take_start = Clock::now();
  for (const std::string& sql : recipe.take) {
    auto taken = holder->Execute(sql);
    EXPECT_TRUE(taken.ok()) << sql << ": " << taken.status().ToString();
  }
  const auto locked = Clock::now();
  std::this_thread::sleep_until(locked + hold);
  const auto release_start = Clock::now();
  auto released = holder->Execute(recipe.release);
  EXPECT_TRUE(released.ok()) << released.status().ToString();
  const auto released_at = Clock::now();
  EXPECT_TRUE(workload.Mark("after").ok());
  // Some unblocked probes after the release, so "the workload went on" is checkable.
  EXPECT_TRUE(WaitFor(
      [&] {
        auto r = workload.Summary("t", ProbeKind::kRead, "after");
        auto w = workload.Summary("t", ProbeKind::kWrite, "after");
        return r && w && r->count - r->errors - r->timeouts >= 3 && w->count - w->errors - w->timeouts >= 3;
      },
      milliseconds(3000)));
  workload.Stop();

  run.hold_ms = std::chrono::duration<double, std::milli>(release_start - locked).count();
  run.take_ms = std::chrono::duration<double, std::milli>(locked - take_start).count();
  run.release_ms = std::chrono::duration<double, std::milli>(released_at - release_start).count();
  auto rb = workload.BlockedMs("t", ProbeKind::kRead, "block");
  auto wb = workload.BlockedMs("t", ProbeKind::kWrite, "block");
  EXPECT_TRUE(rb.ok() && wb.ok());
  run.read_blocked_ms = rb.ok() ? *rb : -1;
  run.write_blocked_ms = wb.ok() ? *wb : -1;
  run.read_block = *workload.Summary("t", ProbeKind::kRead, "block");
  run.write_block = *workload.Summary("t", ProbeKind::kWrite, "block");
  run.read_after = *workload.Summary("t", ProbeKind::kRead, "after");
  run.write_after = *workload.Summary("t", ProbeKind::kWrite, "after");
  for (const auto* s : {&run.read_block, &run.write_block}) {
    EXPECT_EQ(s->errors, 0) << s->first_error;
  }
  std::printf(
      "[ measure  ] %s hold %.1f ms (+ taking %.1f, releasing %.1f): read blocked %.1f ms (%lld probes), "
      "write blocked %.1f ms (%lld probes)\n",
      db.engine().c_str(), run.hold_ms, run.take_ms, run.release_ms, run.read_blocked_ms,
      static_cast<long long>(run.read_block.count), run.write_blocked_ms,
      static_cast<long long>(run.write_block.count));
  return run;
}

// `blocked` matches the block within `tolerance`: between what the lock
// was certainly held and the most it can have been held (see BlockRun).
void ExpectWithin(double blocked, const BlockRun& run, double tolerance, const std::string& what) {
  EXPECT_GE(blocked, run.hold_ms - tolerance) << what;
  EXPECT_LE(blocked, run.hold_ms + run.take_ms + run.release_ms + tolerance) << what;
}

// How far `blocked` lies outside what the block can have been (0 inside),
// for the spread the resolution tests print.
double OutsideHold(double blocked, const BlockRun& run) {
  const double most = run.hold_ms + run.take_ms + run.release_ms;
  if (blocked < run.hold_ms) return blocked - run.hold_ms;
  if (blocked > most) return blocked - most;
  return 0.0;
}

// Resolution: `runs` blocks of 200 ms, each reported within +-20 ms for
// reads and writes; prints the spread that bench/probe_resolution.sh reads.
void ExpectA200MsBlockWithin20Ms(const std::string& engine, const std::string& label,
                                 const LockRecipe& recipe, int runs) {
  ScratchDatabase db(engine);
  ASSERT_FALSE(db.name().empty());
  CreateTable(db);
  ASSERT_FALSE(::testing::Test::HasFailure());
  std::vector<double> errors;
  for (int i = 0; i < runs; ++i) {
    BlockRun run = MeasureBlock(db, recipe, milliseconds(200), OptionsFor(engine), milliseconds(150));
    ASSERT_FALSE(::testing::Test::HasFailure());
    ExpectWithin(run.read_blocked_ms, run, 20.0, "read, run " + std::to_string(i));
    ExpectWithin(run.write_blocked_ms, run, 20.0, "write, run " + std::to_string(i));
    errors.push_back(OutsideHold(run.read_blocked_ms, run));
    errors.push_back(OutsideHold(run.write_blocked_ms, run));
  }
  std::printf(
      "[ spread   ] %s 200 ms block, reported outside [held, held + taking + releasing] (ms): min %.1f max "
      "%.1f\n",
      label.c_str(), *std::min_element(errors.begin(), errors.end()),
      *std::max_element(errors.begin(), errors.end()));
}

// ---- SQLite ---------------------------------------------------------------

TEST(ProbeSqliteTest, ReservedLockBlocksWritesFor500MsAndReadsNot) {
  ScratchDatabase db("sqlite");
  ASSERT_FALSE(db.name().empty());
  CreateTable(db);
  ASSERT_FALSE(HasFailure());
  BlockRun run = MeasureBlock(db, SqliteReserved(), milliseconds(500), OptionsFor("sqlite"));
  ASSERT_FALSE(HasFailure());
  ExpectWithin(run.write_blocked_ms, run, 50.0, "write");
  EXPECT_NEAR(run.write_blocked_ms, 500.0, 50.0);
  EXPECT_LT(run.read_blocked_ms, 50.0) << "a RESERVED lock must not block readers in rollback-journal mode";
  EXPECT_EQ(run.write_block.timeouts, 0);
  EXPECT_EQ(run.read_block.timeouts, 0);
  EXPECT_GT(run.read_block.count, 30);  // reads went on at their rate during the block
}

TEST(ProbeSqliteTest, ExclusiveLockBlocksReadsAndWritesFor500Ms) {
  ScratchDatabase db("sqlite");
  ASSERT_FALSE(db.name().empty());
  CreateTable(db);
  ASSERT_FALSE(HasFailure());
  BlockRun run = MeasureBlock(db, SqliteExclusive(), milliseconds(500), OptionsFor("sqlite"));
  ASSERT_FALSE(HasFailure());
  ExpectWithin(run.read_blocked_ms, run, 50.0, "read");
  ExpectWithin(run.write_blocked_ms, run, 50.0, "write");
  EXPECT_NEAR(run.read_blocked_ms, 500.0, 50.0);
}

TEST(ProbeSqliteTest, A200MsBlockIsReportedWithin20Ms) {
  ExpectA200MsBlockWithin20Ms("sqlite", "sqlite", SqliteExclusive(), 5);
}

TEST(ProbeSqliteTest, BlockLongerThanTheTimeoutGivesTimeoutsAndTheWorkloadGoesOn) {
  ScratchDatabase db("sqlite");
  ASSERT_FALSE(db.name().empty());
  CreateTable(db);
  ASSERT_FALSE(HasFailure());
  ProbeOptions o = OptionsFor("sqlite");
  o.timeout = milliseconds(150);
  BlockRun run = MeasureBlock(db, SqliteExclusive(), milliseconds(600), o, milliseconds(150));
  ASSERT_FALSE(HasFailure());
  EXPECT_GT(run.read_block.timeouts, 0);
  EXPECT_GT(run.write_block.timeouts, 0);
  // A timed-out probe counts with at least the timeout; nothing waited longer
  // than the timeout plus one poll and the scheduler's slack.
  EXPECT_GE(run.read_block.max, milliseconds(150));
  EXPECT_LT(run.read_block.max, milliseconds(200));
  // Probing went on after the block: ok probes without timeouts.
  EXPECT_EQ(run.read_after.timeouts, 0);
  EXPECT_EQ(run.write_after.errors, 0);
}

TEST(ProbeSqliteTest, StopReturnsWithinAboutTheTimeoutWhileProbesAreBlocked) {
  ScratchDatabase db("sqlite");
  ASSERT_FALSE(db.name().empty());
  CreateTable(db);
  ASSERT_FALSE(HasFailure());
  auto holder = db.Connect();
  ASSERT_NE(holder, nullptr);
  ProbeOptions o = OptionsFor("sqlite");
  o.timeout = milliseconds(300);
  ProbeWorkload workload(*TestDriver("sqlite"), db.uri(), {TableSpec()}, o);
  ASSERT_TRUE(workload.Start().ok());
  ASSERT_TRUE(WaitFor([&] { return workload.ProbesRun() >= 10; }, milliseconds(3000)));
  ASSERT_TRUE(holder->Execute("BEGIN EXCLUSIVE").ok());
  const std::int64_t before = workload.ProbesRun();
  // Every probe connection is now stuck in a blocked probe (none completes).
  std::this_thread::sleep_for(milliseconds(50));
  const auto stop_start = Clock::now();
  workload.Stop();
  const auto stop_took = Clock::now() - stop_start;
  ASSERT_TRUE(holder->Execute("ROLLBACK").ok());
  EXPECT_LE(workload.ProbesRun() - before, 8);  // at most one blocked probe per connection
  EXPECT_LT(stop_took, milliseconds(300 + 100));
  auto s = workload.Summary("t", ProbeKind::kRead, std::string(kBeforeFirstMark));
  ASSERT_TRUE(s.has_value());
  EXPECT_GT(s->timeouts, 0);
}

TEST(ProbeSqliteTest, ProbeErrorsAreCountedWithTheFirstMessageAndOthersGoOn) {
  ScratchDatabase db("sqlite");
  ASSERT_FALSE(db.name().empty());
  CreateTable(db);
  ASSERT_FALSE(HasFailure());
  ProbeSpec broken;
  broken.label = "missing";
  broken.reads = {"SELECT v FROM missing_table WHERE id = 1"};
  broken.writes = {"UPDATE missing_table SET v = v WHERE id = 1"};
  // --probe FILE hot queries: reads only, any label.
  ProbeSpec hot;
  hot.label = "hot: count of t";
  hot.reads = {"SELECT count(*) FROM t"};
  ProbeWorkload workload(*TestDriver("sqlite"), db.uri(), {TableSpec(), broken, hot}, OptionsFor("sqlite"));
  ASSERT_TRUE(workload.Start().ok());
  ASSERT_TRUE(workload.Mark("w").ok());
  ASSERT_TRUE(WaitFor(
      [&] {
        auto m = workload.Summary("missing", ProbeKind::kWrite, "w");
        auto h = workload.Summary("hot: count of t", ProbeKind::kRead, "w");
        return m && h && m->errors >= 5 && h->count >= 5;
      },
      milliseconds(3000)));
  workload.Stop();
  auto missing = workload.Summary("missing", ProbeKind::kRead, "w");
  ASSERT_TRUE(missing.has_value());
  EXPECT_EQ(missing->errors, missing->count);
  EXPECT_NE(missing->first_error.find("missing_table"), std::string::npos) << missing->first_error;
  EXPECT_NE(missing->first_error.find("missing read probe"), std::string::npos) << missing->first_error;
  auto table = workload.Summary("t", ProbeKind::kWrite, "w");
  ASSERT_TRUE(table.has_value());
  EXPECT_EQ(table->errors, 0) << table->first_error;
  EXPECT_GT(table->count, 0);
  auto hot_read = workload.Summary("hot: count of t", ProbeKind::kRead, "w");
  ASSERT_TRUE(hot_read.has_value());
  EXPECT_EQ(hot_read->errors, 0) << hot_read->first_error;
  EXPECT_FALSE(workload.Summary("hot: count of t", ProbeKind::kWrite, "w").has_value());
  EXPECT_EQ(workload.BlockedMs("hot: count of t", ProbeKind::kWrite, "w", "w").status().code(),
            StatusCode::kNotFound);
  // The writes were rolled back: the table is unchanged.
  auto conn = db.Connect();
  ASSERT_NE(conn, nullptr);
  EXPECT_EQ(cutover::testing::Scalar(*conn, "SELECT count(*) FROM t"), std::to_string(kRows));
  // Every probe connection is named for the lock observer.
  EXPECT_EQ(workload.SessionLabels().size(), 5u * 2u);
}

TEST(ProbeSqliteTest, StartRefusesBadSpecsAndUnreachableDatabases) {
  Driver* driver = TestDriver("sqlite");
  ASSERT_NE(driver, nullptr);
  ScratchDatabase db("sqlite");
  ASSERT_FALSE(db.name().empty());
  CreateTable(db);
  struct Case {
    std::vector<ProbeSpec> specs;
    ProbeOptions options;
    std::string expect;
  };
  ProbeOptions zero_rate;
  zero_rate.rate_per_second = 0;
  ProbeOptions no_timeout;
  no_timeout.timeout = milliseconds(0);
  std::vector<Case> cases = {
      {{}, {}, "no tables"},
      {{ProbeSpec{"", {"SELECT 1"}, {}}}, {}, "no label"},
      {{ProbeSpec{"a", {"SELECT 1"}, {}}, ProbeSpec{"a", {"SELECT 2"}, {}}}, {}, "'a' is used twice"},
      {{ProbeSpec{"a", {}, {}}}, {}, "'a' has no read"},
      {{ProbeSpec{"a", {" ; "}, {}}}, {}, "'a' has an empty statement"},
      {{TableSpec()}, zero_rate, "rate"},
      {{TableSpec()}, no_timeout, "timeout"},
  };
  for (const Case& c : cases) {
    ProbeWorkload w(*driver, db.uri(), c.specs, c.options);
    EXPECT_FALSE(w.Mark("baseline").ok());  // not started
    Status st = w.Start();
    EXPECT_EQ(st.code(), StatusCode::kInvalidInput) << c.expect << ": " << st.ToString();
    EXPECT_NE(st.message().find(c.expect), std::string::npos) << st.message();
  }
  auto nowhere = ConnectionUri::Parse("sqlite:///nonexistent-dir/none.db");
  ASSERT_TRUE(nowhere.ok());
  ProbeWorkload w(*driver, *nowhere, {TableSpec()});
  Status st = w.Start();
  EXPECT_EQ(st.code(), StatusCode::kNotFound) << st.ToString();
  EXPECT_NE(st.message().find("opening probe connection for t read"), std::string::npos) << st.message();
  EXPECT_EQ(w.ProbesRun(), 0);
  EXPECT_TRUE(w.Results().empty());
  EXPECT_TRUE(w.SessionLabels().empty());
}

// ---- PostgreSQL -------------------------------------------------------------

TEST(ProbePostgresTest, AccessExclusiveBlocksReadsAndWritesFor500Ms) {
  ScratchDatabase db("postgresql");
  ASSERT_FALSE(db.name().empty());
  CreateTable(db);
  ASSERT_FALSE(HasFailure());
  BlockRun run = MeasureBlock(db, PgAccessExclusive(), milliseconds(500), OptionsFor("postgresql"));
  ASSERT_FALSE(HasFailure());
  ExpectWithin(run.read_blocked_ms, run, 50.0, "read");
  ExpectWithin(run.write_blocked_ms, run, 50.0, "write");
  EXPECT_NEAR(run.write_blocked_ms, 500.0, 50.0);
}

TEST(ProbePostgresTest, A200MsBlockIsReportedWithin20Ms) {
  ExpectA200MsBlockWithin20Ms("postgresql", "postgresql", PgAccessExclusive(), 3);
}

TEST(ProbePostgresTest, BlockLongerThanTheTimeoutGivesTimeouts) {
  ScratchDatabase db("postgresql");
  ASSERT_FALSE(db.name().empty());
  CreateTable(db);
  ASSERT_FALSE(HasFailure());
  ProbeOptions o = OptionsFor("postgresql");
  o.timeout = milliseconds(150);
  BlockRun run = MeasureBlock(db, PgAccessExclusive(), milliseconds(500), o, milliseconds(150));
  ASSERT_FALSE(HasFailure());
  EXPECT_GT(run.read_block.timeouts, 0);
  EXPECT_GT(run.write_block.timeouts, 0);
  EXPECT_GE(run.write_block.max, milliseconds(150));
  EXPECT_EQ(run.read_after.timeouts, 0);
}

TEST(ProbePostgresTest, AProbeConnectionKilledIsCountedAndReopened) {
  ScratchDatabase db("postgresql");
  ASSERT_FALSE(db.name().empty());
  CreateTable(db);
  ASSERT_FALSE(HasFailure());
  auto admin = db.Connect();
  ASSERT_NE(admin, nullptr);
  ProbeWorkload workload(*TestDriver("postgresql"), db.uri(), {TableSpec()}, OptionsFor("postgresql"));
  ASSERT_TRUE(workload.Start().ok());
  ASSERT_TRUE(workload.Mark("before").ok());
  ASSERT_TRUE(WaitFor([&] { return workload.ProbesRun() >= 20; }, milliseconds(3000)));
  const auto original = workload.SessionLabels();
  ASSERT_EQ(original.size(), 4u);
  ASSERT_TRUE(workload.Mark("killed").ok());
  for (const auto& [pid, label] : original) {
    auto killed = admin->Execute("SELECT pg_terminate_backend(" + pid + ")");
    ASSERT_TRUE(killed.ok()) << label << ": " << killed.status().ToString();
  }
  // Every connection notices on its next probe, is reopened, and probes again.
  ASSERT_TRUE(WaitFor([&] { return workload.SessionLabels().size() >= 8u; }, milliseconds(3000)));
  ASSERT_TRUE(workload.Mark("reopened").ok());
  ASSERT_TRUE(WaitFor(
      [&] {
        auto r = workload.Summary("t", ProbeKind::kRead, "reopened");
        auto w = workload.Summary("t", ProbeKind::kWrite, "reopened");
        return r && w && r->count - r->errors >= 5 && w->count - w->errors >= 5;
      },
      milliseconds(3000)));
  workload.Stop();
  std::int64_t errors = 0;
  for (ProbeKind kind : {ProbeKind::kRead, ProbeKind::kWrite}) {
    auto killed = workload.Summary("t", kind, "killed");
    ASSERT_TRUE(killed.has_value());
    // A probe in flight at the kill may have started before the mark.
    errors += killed->errors + workload.Summary("t", kind, "before")->errors;
    if (killed->errors > 0) {
      EXPECT_NE(killed->first_error.find("t " + std::string(ProbeKindName(kind)) + " probe"),
                std::string::npos)
          << killed->first_error;
    }
    auto after = workload.Summary("t", kind, "reopened");
    EXPECT_EQ(after->errors, 0) << after->first_error;
  }
  EXPECT_GE(errors, 4);  // one failed probe per killed connection
  EXPECT_EQ(workload.SessionLabels().size(), 8u);
}

// ---- MariaDB -----------------------------------------------------------------

TEST(ProbeMariaDbTest, LockTablesWriteBlocksReadsAndWritesFor500Ms) {
  ScratchDatabase db("mysql");
  ASSERT_FALSE(db.name().empty());
  CreateTable(db);
  ASSERT_FALSE(HasFailure());
  BlockRun run = MeasureBlock(db, MariaDbLockTablesWrite(), milliseconds(500), OptionsFor("mysql"));
  ASSERT_FALSE(HasFailure());
  ExpectWithin(run.read_blocked_ms, run, 50.0, "read");
  ExpectWithin(run.write_blocked_ms, run, 50.0, "write");
  EXPECT_NEAR(run.write_blocked_ms, 500.0, 50.0);
}

TEST(ProbeMariaDbTest, A200MsBlockIsReportedWithin20Ms) {
  ExpectA200MsBlockWithin20Ms("mysql", "mariadb", MariaDbLockTablesWrite(), 3);
}

}  // namespace
}  // namespace cutover::rehearse
