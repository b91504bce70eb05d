// `cutover status` and `cutover apply` against real PostgreSQL, MariaDB and
// SQLite: through the library (migrate::Apply) and through the binary (exit
// codes, messages, kill -9). Plans are written to a temporary directory and
// use hostile identifiers (quotes, spaces, unicode, reserved words), quoted
// by each engine's own QuoteIdentifier.
#include <gtest/gtest.h>
#include <signal.h>

#include <algorithm>
#include <atomic>
#include <filesystem>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <regex>
#include <thread>

#include "base/strings.h"
#include "migrate/apply.h"
#include "migrate/history.h"
#include "migrate/status.h"
#include "plan/plan.h"
#include "schema/fingerprint.h"
#include "support/process.h"
#include "support/test_env.h"

namespace cutover {
namespace {
namespace fs = std::filesystem;
using std::chrono::milliseconds;
using testing::ScratchDatabase;

using testing::RunResult;

using testing::Scalar;

class Migrate : public ::testing::TestWithParam<std::string> {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / testing::UniqueName("cutover migrate ✓-");
    fs::create_directories(dir_);
    db_ = std::make_unique<ScratchDatabase>(engine());
    ASSERT_FALSE(db_->name().empty());
    conn_ = db_->Connect();
    ASSERT_NE(conn_, nullptr);
    table_ = conn_->QuoteIdentifier("it\"ems 'ü' select");
    name_ = conn_->QuoteIdentifier("na me");
    label_ = conn_->QuoteIdentifier("select");
  }
  void TearDown() override {
    conn_.reset();
    db_.reset();
    fs::remove_all(dir_);
  }
  const std::string& engine() const { return GetParam(); }

  // Creates the table the plans migrate, with `rows` rows.
  void CreateItems(int rows) {
    db_->Exec("CREATE TABLE " + table_ + " (id INTEGER PRIMARY KEY, " + name_ + " VARCHAR(100))");
    for (int start = 1; start <= rows; start += 500) {
      std::string sql = "INSERT INTO " + table_ + " VALUES ";
      for (int i = start; i < start + 500 && i <= rows; ++i) {
        sql += (i == start ? "" : ", ") + std::string("(") + std::to_string(i) + ", 'n" + std::to_string(i) +
               "')";
      }
      db_->Exec(sql);
    }
  }

  std::string Backfill() const {
    if (engine() == "mysql") {
      return "UPDATE " + table_ + " SET " + label_ + " = " + name_ + " WHERE " + label_ +
             " IS NULL ORDER BY id LIMIT {{batch_size}};\n";
    }
    return "UPDATE " + table_ + " SET " + label_ + " = " + name_ + " WHERE id IN (SELECT id FROM " + table_ +
           " WHERE " + label_ + " IS NULL ORDER BY id LIMIT {{batch_size}});\n";
  }

  // Writes files under <dir>/<plan>/ and returns the plan path.
  std::string WritePlan(const std::string& plan,
                        const std::vector<std::pair<std::string, std::string>>& files) {
    for (const auto& [rel, text] : files) {
      fs::path p = dir_ / plan / rel;
      fs::create_directories(p.parent_path());
      std::ofstream(p, std::ios::binary | std::ios::trunc) << text;
    }
    return (dir_ / plan).string();
  }

  // The standard plan: 0001 adds a label column with a backfill, a contract
  // that drops the old column, checks, rollback; 0002 creates a table.
  std::string StandardPlan(const std::string& backfill_header = "-- cutover:batch-size 7\n") {
    const std::string other = conn_->QuoteIdentifier("other table");
    return WritePlan(
        "plan",
        {{"0001_label/expand.sql", "ALTER TABLE " + table_ + " ADD COLUMN " + label_ + " VARCHAR(100);\n"},
         {"0001_label/backfill.sql", backfill_header + Backfill()},
         {"0001_label/contract.sql", "ALTER TABLE " + table_ + " DROP COLUMN " + name_ + ";\n"},
         {"0001_label/rollback.sql", "ALTER TABLE " + table_ + " DROP COLUMN " + label_ + ";\n"},
         {"0001_label/checks.sql", "SELECT id FROM " + table_ + " WHERE id < 0;\n"},
         {"0002_other/expand.sql", "CREATE TABLE " + other + " (id INTEGER PRIMARY KEY);\n"},
         {"0002_other/rollback.sql", "DROP TABLE " + other + ";\n"}});
  }

  Result<plan::Plan> ReadPlan(const std::string& path) {
    auto engine_id = plan::ParseEngine(engine());
    if (!engine_id.ok()) return engine_id.status();
    return plan::ReadPlan(path, plan::ReadOptionsFor(*engine_id, testing::TestDriver(engine())));
  }

  migrate::ApplyReport ApplyPhase(const std::string& plan_path, plan::Phase phase,
                                  migrate::ApplyOptions options = {}) {
    auto plan = ReadPlan(plan_path);
    EXPECT_TRUE(plan.ok()) << plan.status().ToString();
    if (!plan.ok()) return {};
    options.phase = phase;
    options.applied_by = migrate::AppliedBy(db_->uri());
    options.tool_version = "test";
    // Short retries unless the test chose its own backoff.
    if (options.backoff == migrate::ApplyOptions{}.backoff) options.backoff = milliseconds(100);
    options.note = [this](const std::string& line) { notes_ += line + "\n"; };
    auto conn = db_->Connect();
    return migrate::Apply(*conn, *plan, options);
  }

  migrate::History History() {
    auto conn = db_->Connect();
    auto h = migrate::ReadHistory(*conn);
    EXPECT_TRUE(h.ok()) << h.status().ToString();
    return h.ok() ? *h : migrate::History{};
  }

  migrate::StatusReport StatusOf(const std::string& plan_path) {
    auto plan = ReadPlan(plan_path);
    EXPECT_TRUE(plan.ok()) << plan.status().ToString();
    auto conn = db_->Connect();
    auto exists = migrate::HistoryTableExists(*conn);
    auto h = migrate::ReadHistory(*conn);
    EXPECT_TRUE(exists.ok() && h.ok());
    return migrate::ComputeStatus(*plan, h.ok() ? *h : migrate::History{}, exists.ok() && *exists);
  }

  std::string StateOf(const std::string& plan_path, const std::string& m, const std::string& phase) {
    auto report = StatusOf(plan_path);
    const migrate::PhaseStatus* e = report.Find(m, phase);
    return e == nullptr ? "<none>" : std::string(migrate::PhaseStateName(e->state));
  }

  std::string Fingerprint() {
    auto conn = db_->Connect();
    auto model = conn->ReadSchema();
    EXPECT_TRUE(model.ok()) << model.status().ToString();
    return model.ok() ? cutover::Fingerprint(*model) : "";
  }

  // These tests are about apply's mechanics, not the gate (tests/gate): every
  // apply overrides it, with a reason, into the test's own repository.
  std::vector<std::string> Ungated(std::vector<std::string> args) const {
    const auto apply = std::find(args.begin(), args.end(), "apply");
    if (apply == args.end()) return args;
    for (const std::string& a :
         {std::string("--repo"), (dir_ / "repo").string(), std::string("--no-gate"), std::string("--reason"),
          std::string("migrate_test: apply mechanics, not the gate")}) {
      args.push_back(a);
    }
    return args;
  }
  RunResult Cli(const std::vector<std::string>& args) { return testing::RunCutover(Ungated(args)); }

  // `cutover apply --phase backfill` running in the background, output to `log`.
  std::unique_ptr<testing::ChildProcess> StartBackfill(const std::string& plan, const std::string& log) {
    return std::make_unique<testing::ChildProcess>(
        Ungated({CUTOVER_BINARY, "apply", Uri(), "--plan", plan, "--phase", "backfill"}),
        testing::ProcessOptions(), dir_ / log);
  }

  // Waits (10 s at most) until the backfill's history row counts `rows` rows.
  void WaitForBackfillRows(std::int64_t rows) {
    for (int i = 0; i < 400; ++i) {
      std::this_thread::sleep_for(milliseconds(25));
      auto probe = db_->Connect();
      if (!*migrate::HistoryTableExists(*probe)) continue;
      auto h = migrate::ReadHistory(*probe);
      if (h.ok() && h->count({"0001_label", "backfill"}) && h->at({"0001_label", "backfill"}).rows >= rows)
        return;
    }
  }

  std::string Uri() const { return db_->uri().Text(); }

  // Qualified, so SQLite cannot read a missing "column" as a string literal.
  bool HasColumn(const std::string& quoted) {
    return conn_->Execute("SELECT x." + quoted + " FROM " + table_ + " x").ok();
  }

  fs::path dir_;
  std::unique_ptr<ScratchDatabase> db_;
  std::unique_ptr<Connection> conn_;
  std::string table_, name_, label_;
  std::string notes_;
};

TEST_P(Migrate, ExpandBackfillContractWithHistoryAndStatus) {
  CreateItems(50);
  const std::string plan = StandardPlan();
  auto before = Cli({"status", Uri(), "--plan", plan});
  EXPECT_EQ(before.exit_code, 0) << before.err;
  EXPECT_NE(before.out.find("No history table"), std::string::npos) << before.out;
  EXPECT_FALSE(*migrate::HistoryTableExists(*conn_)) << "status never creates the history table";

  auto expand = ApplyPhase(plan, plan::Phase::kExpand);
  ASSERT_TRUE(expand.status.ok()) << expand.status.ToString();
  ASSERT_EQ(expand.steps.size(), 2u);
  EXPECT_EQ(expand.steps[0].transactional, engine() != "mysql");
  EXPECT_EQ(StateOf(plan, "0001_label", "expand"), "applied");
  EXPECT_EQ(StateOf(plan, "0001_label", "backfill"), "pending");

  auto backfill = ApplyPhase(plan, plan::Phase::kBackfill);
  ASSERT_TRUE(backfill.status.ok()) << backfill.status.ToString();
  ASSERT_EQ(backfill.steps.size(), 1u);
  EXPECT_EQ(backfill.steps[0].rows, 50);
  EXPECT_EQ(backfill.steps[0].batches, 8);  // 7 per batch
  EXPECT_EQ(Scalar(*conn_, "SELECT count(*) FROM " + table_ + " WHERE " + label_ + " = " + name_), "50");

  auto contract = ApplyPhase(plan, plan::Phase::kContract);
  ASSERT_TRUE(contract.status.ok()) << contract.status.ToString();
  EXPECT_FALSE(HasColumn(name_)) << "contract dropped the column";

  auto h = History();
  ASSERT_EQ(h.count({"0001_label", "contract"}), 1u);
  const migrate::HistoryRow& row = h.at({"0001_label", "backfill"});
  EXPECT_EQ(row.state, migrate::RunState::kSucceeded);
  EXPECT_EQ(row.rows, 50);
  EXPECT_EQ(row.tool_version, "test");
  EXPECT_FALSE(row.started_at.empty());
  EXPECT_NE(row.applied_by.find("@"), std::string::npos);
  if (db_->uri().password()) {
    for (const auto& [k, r] : h) EXPECT_EQ(r.applied_by.find(*db_->uri().password()), std::string::npos);
  }
  auto status = Cli({"status", Uri(), "--plan", plan, "--json"});
  EXPECT_EQ(status.exit_code, 0) << status.out << status.err;
  auto doc = nlohmann::json::parse(status.out);
  EXPECT_EQ(doc["problems"], 0);
  EXPECT_EQ(doc["entries"].size(), 4u);
  for (const auto& e : doc["entries"]) EXPECT_EQ(e["state"], "applied") << e.dump();

  // Nothing left to do: a second run is a no-op.
  auto again = Cli({"apply", Uri(), "--plan", plan, "--phase", "expand"});
  EXPECT_EQ(again.exit_code, 0) << again.err;
  EXPECT_NE(again.out.find("Nothing to apply"), std::string::npos) << again.out;
}

// The seam rehearse measures through: every statement apply runs, each
// backfill batch and each failure, in order, around its execution.
class RecordingObserver : public migrate::StatementObserver {
 public:
  void Before(const Event& e) override {
    log.push_back("before " + std::string(e.phase) + " " + e.file->display_path + ":" +
                  std::to_string(e.statement->line) + (e.batch ? " batch" : ""));
    in_flight = true;
  }
  void After(const Event& e, const Status& result, std::int64_t rows) override {
    EXPECT_TRUE(in_flight) << "After without Before";
    in_flight = false;
    log.push_back("after " + std::string(e.phase) + (result.ok() ? " ok " : " failed ") +
                  std::to_string(rows));
    if (!result.ok()) last_error = result;
    sql.emplace_back(e.sql);
  }
  std::vector<std::string> log;
  std::vector<std::string> sql;
  Status last_error;
  bool in_flight = false;
};

TEST_P(Migrate, ObserverSeesEveryStatementBatchAndFailureInOrder) {
  CreateItems(20);
  const std::string plan = StandardPlan();
  RecordingObserver seen;
  migrate::ApplyOptions options;
  options.observer = &seen;
  ASSERT_TRUE(ApplyPhase(plan, plan::Phase::kExpand, options).status.ok());
  ASSERT_TRUE(ApplyPhase(plan, plan::Phase::kBackfill, options).status.ok());
  const std::vector<std::string> expected = {
      "before expand 0001_label/expand.sql:1",           "after expand ok 0",
      "before expand 0002_other/expand.sql:1",           "after expand ok 0",
      "before backfill 0001_label/backfill.sql:2 batch", "after backfill ok 7",
      "before backfill 0001_label/backfill.sql:2 batch", "after backfill ok 7",
      "before backfill 0001_label/backfill.sql:2 batch", "after backfill ok 6",
      "before backfill 0001_label/backfill.sql:2 batch", "after backfill ok 0"};
  EXPECT_EQ(seen.log, expected);
  ASSERT_GE(seen.sql.size(), 5u);
  EXPECT_NE(seen.sql[4].find("LIMIT 7"), std::string::npos) << "the batch as executed: " << seen.sql[4];

  // A failing statement is seen with its error (a new migration of the same plan).
  WritePlan("plan", {{"0003_bad/expand.sql", "SELECT 1;\nINSERT INTO no_such_table VALUES (1);\n"},
                     {"0003_bad/rollback.sql", "SELECT 1;\n"}});
  RecordingObserver failing;
  options.observer = &failing;
  EXPECT_FALSE(ApplyPhase(plan, plan::Phase::kExpand, options).status.ok());
  ASSERT_EQ(failing.log.size(), 4u);
  EXPECT_EQ(failing.log[3], "after expand failed 0");
  EXPECT_NE(failing.last_error.message().find("no_such_table"), std::string::npos)
      << failing.last_error.ToString();
}

TEST_P(Migrate, BackfillShowsAnEtaFromTheRemainingQuery) {
  CreateItems(50);
  const std::string plan = StandardPlan(
      "-- cutover:batch-size 7\n-- cutover:pause 400ms\n-- cutover:remaining SELECT count(*) FROM " + table_ +
      " WHERE " + label_ + " IS NULL\n");
  ASSERT_TRUE(ApplyPhase(plan, plan::Phase::kExpand).status.ok());
  auto backfill = ApplyPhase(plan, plan::Phase::kBackfill);
  ASSERT_TRUE(backfill.status.ok()) << backfill.status.ToString();
  EXPECT_NE(notes_.find("0001_label/backfill.sql: 50 row(s) to backfill"), std::string::npos) << notes_;
  EXPECT_NE(notes_.find(" left, ETA "), std::string::npos) << notes_;
  EXPECT_NE(notes_.find("50 row(s) in total, done"), std::string::npos) << notes_;
}

TEST_P(Migrate, ContractIsRefusedWithoutExpandAndNothingChanges) {
  CreateItems(3);
  const std::string plan = StandardPlan();
  const std::string fp = Fingerprint();
  auto r = Cli({"apply", Uri(), "--plan", plan, "--phase", "contract"});
  EXPECT_EQ(r.exit_code, 1) << r.out << r.err;
  EXPECT_NE(r.err.find("0001_label: contract needs its expand phase applied first"), std::string::npos)
      << r.err;
  EXPECT_EQ(Fingerprint(), fp);
  EXPECT_FALSE(*migrate::HistoryTableExists(*conn_)) << "a refused apply changes nothing";
  // Backfill too, and contract after expand but before backfill.
  EXPECT_EQ(Cli({"apply", Uri(), "--plan", plan, "--phase", "backfill"}).exit_code, 1);
  ASSERT_EQ(Cli({"apply", Uri(), "--plan", plan, "--phase", "expand"}).exit_code, 0);
  auto early = Cli({"apply", Uri(), "--plan", plan, "--phase", "contract"});
  EXPECT_EQ(early.exit_code, 1);
  EXPECT_NE(early.err.find("contract needs its backfill to complete first"), std::string::npos) << early.err;
}

TEST_P(Migrate, DryRunChangesNothing) {
  CreateItems(5);
  const std::string plan = StandardPlan();
  const std::string fp = Fingerprint();
  auto r = Cli({"apply", Uri(), "--plan", plan, "--phase", "expand", "--dry-run", "--lock-timeout", "3s"});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("0001_label/expand.sql:1 [lock timeout 3s]"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("would be created"), std::string::npos) << r.out;
  EXPECT_EQ(Fingerprint(), fp);
  EXPECT_FALSE(*migrate::HistoryTableExists(*conn_));
  // After a real expand, a dry run of the backfill leaves the history alone.
  ASSERT_EQ(Cli({"apply", Uri(), "--plan", plan, "--phase", "expand"}).exit_code, 0);
  const std::string fp2 = Fingerprint();
  auto h = History();
  auto dry = Cli({"apply", Uri(), "--plan", plan, "--phase", "backfill", "--dry-run", "--json"});
  EXPECT_EQ(dry.exit_code, 0) << dry.err;
  auto doc = nlohmann::json::parse(dry.out);
  EXPECT_EQ(doc["steps"][0]["outcome"], "would run");
  EXPECT_EQ(Fingerprint(), fp2);
  EXPECT_EQ(History().size(), h.size());
  EXPECT_EQ(Scalar(*conn_, "SELECT count(*) FROM " + table_ + " WHERE " + label_ + " IS NULL"), "5");
}

TEST_P(Migrate, RollbackAfterExpandRestoresTheSchema) {
  CreateItems(5);
  const std::string plan = StandardPlan();
  ASSERT_TRUE(migrate::EnsureHistoryTable(*conn_).ok());  // the history table is not part of the drift
  auto before = conn_->ReadSchema();
  ASSERT_TRUE(before.ok());
  ASSERT_EQ(Cli({"apply", Uri(), "--plan", plan, "--phase", "expand"}).exit_code, 0);
  // Without --to only the last applied migration rolls back.
  auto one = Cli({"apply", Uri(), "--plan", plan, "--phase", "rollback"});
  ASSERT_EQ(one.exit_code, 0) << one.err;
  EXPECT_EQ(StateOf(plan, "0002_other", "expand"), "rolled_back");
  EXPECT_EQ(StateOf(plan, "0001_label", "expand"), "applied");
  auto all = Cli({"apply", Uri(), "--plan", plan, "--phase", "rollback", "--to", "0001_label"});
  ASSERT_EQ(all.exit_code, 0) << all.err;
  auto after = conn_->ReadSchema();
  ASSERT_TRUE(after.ok());
  EXPECT_TRUE(testing::DriftLines(*before, *after).empty()) << testing::Dump(*after);
  EXPECT_EQ(StateOf(plan, "0001_label", "expand"), "rolled_back");
  // Pending again: expand re-applies.
  ASSERT_EQ(Cli({"apply", Uri(), "--plan", plan, "--phase", "expand"}).exit_code, 0);
  EXPECT_EQ(StateOf(plan, "0001_label", "expand"), "applied");
  // Rollback is refused once contract ran.
  ASSERT_EQ(Cli({"apply", Uri(), "--plan", plan, "--phase", "backfill"}).exit_code, 0);
  ASSERT_EQ(Cli({"apply", Uri(), "--plan", plan, "--phase", "contract"}).exit_code, 0);
  auto refused = Cli({"apply", Uri(), "--plan", plan, "--phase", "rollback", "--to", "0001_label"});
  EXPECT_EQ(refused.exit_code, 1);
  EXPECT_NE(refused.err.find("contract phase already ran"), std::string::npos) << refused.err;
  EXPECT_EQ(StateOf(plan, "0002_other", "expand"), "applied") << "a refused rollback changes nothing";
}

// drift --against history: the applied expand/contract files replayed on a
// scratch database are the expected schema; a hand-made change is drift, a
// rolled-back migration is not expected, an edited applied file makes the
// expectation unknowable (exit 1, like status).
TEST_P(Migrate, DriftAgainstHistoryCatchesHandMadeChanges) {
  CreateItems(3);
  const std::string other = conn_->QuoteIdentifier("other table");
  const std::string plan = WritePlan(
      "history-plan",
      {{"0000_base/expand.sql", "-- cutover:irreversible the baseline\nCREATE TABLE " + table_ +
                                    " (id INTEGER PRIMARY KEY, " + name_ + " VARCHAR(100));\n"},
       {"0001_label/expand.sql", "ALTER TABLE " + table_ + " ADD COLUMN " + label_ + " VARCHAR(100);\n"},
       {"0001_label/contract.sql", "ALTER TABLE " + table_ + " DROP COLUMN " + name_ + ";\n"},
       {"0001_label/rollback.sql", "ALTER TABLE " + table_ + " DROP COLUMN " + label_ + ";\n"},
       {"0002_other/expand.sql", "CREATE TABLE " + other + " (id INTEGER PRIMARY KEY);\n"},
       {"0002_other/rollback.sql", "DROP TABLE " + other + ";\n"}});
  const std::vector<std::string> drift{"drift",  Uri(), "--against", "history",
                                       "--plan", plan,  "--scratch", testing::ServerUri(engine()).Text()};

  auto no_history = Cli(drift);
  EXPECT_EQ(no_history.exit_code, 2) << no_history.out << no_history.err;
  EXPECT_NE(no_history.err.find("--baseline"), std::string::npos) << no_history.err;
  auto no_plan = Cli({"drift", Uri(), "--against", "history"});
  EXPECT_EQ(no_plan.exit_code, 2) << no_plan.err;
  EXPECT_NE(no_plan.err.find("--plan"), std::string::npos) << no_plan.err;

  ASSERT_EQ(Cli({"apply", Uri(), "--plan", plan, "--baseline", "--to", "0000_base"}).exit_code, 0);
  ASSERT_EQ(Cli({"apply", Uri(), "--plan", plan, "--phase", "expand"}).exit_code, 0);
  ASSERT_EQ(Cli({"apply", Uri(), "--plan", plan, "--phase", "contract", "--to", "0001_label"}).exit_code, 0);
  auto clean = Cli(drift);
  EXPECT_EQ(clean.exit_code, 0) << clean.out << clean.err;
  EXPECT_NE(clean.out.find("migration history (4 applied file(s)"), std::string::npos) << clean.out;

  // A rolled-back expand is no longer expected.
  ASSERT_EQ(Cli({"apply", Uri(), "--plan", plan, "--phase", "rollback"}).exit_code, 0);
  auto rolled_back = Cli(drift);
  EXPECT_EQ(rolled_back.exit_code, 0) << rolled_back.out << rolled_back.err;

  // A hot-fix made by hand.
  db_->Exec("ALTER TABLE " + table_ + " ADD COLUMN " + conn_->QuoteIdentifier("hot fix") + " INTEGER");
  auto hot_fix = Cli(drift);
  EXPECT_EQ(hot_fix.exit_code, 1) << hot_fix.out << hot_fix.err;
  EXPECT_NE(hot_fix.out.find("hot fix"), std::string::npos) << hot_fix.out;
  auto json = Cli({"--json", "drift", Uri(), "--against", "history", "--plan", plan, "--scratch",
                   testing::ServerUri(engine()).Text()});
  EXPECT_EQ(json.exit_code, 1);
  EXPECT_EQ(nlohmann::json::parse(json.out)["differences"].size(), 1u) << json.out;

  // An applied file edited afterwards: the expected schema is unknown.
  std::ofstream(fs::path(plan) / "0001_label" / "expand.sql", std::ios::app) << "-- edited\n";
  auto edited = Cli(drift);
  EXPECT_EQ(edited.exit_code, 1) << edited.out << edited.err;
  EXPECT_NE(edited.err.find("0001_label/expand.sql: edited after it was applied"), std::string::npos)
      << edited.err;
}

TEST_P(Migrate, LockTimeoutIsRetriedWithBackoffAndFailsWithoutRetries) {
  CreateItems(3);
  const std::string plan = StandardPlan();
  // The history table exists (as after a first apply): on SQLite creating it
  // needs the write lock the holder takes below.
  ASSERT_TRUE(migrate::EnsureHistoryTable(*conn_).ok());
  auto holder = db_->Connect();
  ASSERT_NE(holder, nullptr);
  auto hold = [&] {
    ASSERT_TRUE(holder->Begin().ok());
    ASSERT_TRUE(holder->Execute("UPDATE " + table_ + " SET " + name_ + " = " + name_ + " WHERE id = 1").ok());
  };
  // --retries 0: the lock timeout fails the apply (exit 1), naming the lock.
  hold();
  auto fail = Cli({"apply", Uri(), "--plan", plan, "--phase", "expand", "--lock-timeout", "500ms",
                   "--retries", "0", "--to", "0001_label"});
  ASSERT_TRUE(holder->Commit().ok());
  EXPECT_EQ(fail.exit_code, 1) << fail.out << fail.err;
  // The lock named by the error, not by a hint about the --lock-timeout option.
  std::string said = ToLower(fail.err);
  for (size_t at; (at = said.find("--lock-timeout")) != std::string::npos;) said.erase(at, 14);
  EXPECT_NE(said.find("lock"), std::string::npos) << fail.err;
  EXPECT_NE(fail.err.find("0001_label/expand.sql:1"), std::string::npos) << fail.err;
  // SQLite: the holder's write lock also keeps the failure out of the history.
  EXPECT_EQ(StateOf(plan, "0001_label", "expand"), engine() == "sqlite" ? "pending" : "failed");

  // Held for ~3 s: retries with backoff until it is released, then succeeds.
  hold();
  std::thread release([&] {
    std::this_thread::sleep_for(milliseconds(3000));
    EXPECT_TRUE(holder->Commit().ok());
  });
  migrate::ApplyOptions options;
  options.lock_timeout = milliseconds(500);
  options.backoff = milliseconds(300);
  auto report = ApplyPhase(plan, plan::Phase::kExpand, options);
  release.join();
  ASSERT_TRUE(report.status.ok()) << report.status.ToString() << "\n" << notes_;
  ASSERT_FALSE(report.steps.empty());
  EXPECT_GE(report.steps[0].retries, 1) << notes_;
  EXPECT_NE(notes_.find("retry 1/5"), std::string::npos) << notes_;
  // Each retry waits backoff * 2^(n-1), plus up to half of that as jitter.
  const std::regex retry_note("retry ([0-9]+)/5 of [^\n]* in ([0-9]+) ms");
  int retries_seen = 0;
  for (std::sregex_iterator it(notes_.begin(), notes_.end(), retry_note), end; it != end; ++it) {
    const int n = std::stoi((*it)[1]);
    const long delay = std::stol((*it)[2]);
    const long base = 300L << (n - 1);
    EXPECT_GE(delay, base) << it->str();
    EXPECT_LE(delay, base + base / 2) << it->str();
    ++retries_seen;
  }
  EXPECT_EQ(retries_seen, report.steps[0].retries) << notes_;
  EXPECT_EQ(StateOf(plan, "0001_label", "expand"), "applied");
}

TEST_P(Migrate, ConcurrentAppliesNeverInterleave) {
  CreateItems(3);
  const std::string plan = StandardPlan();
  auto other = db_->Connect();
  ASSERT_TRUE(other->AcquireMigrationLock(milliseconds(1000)).ok());
  const std::string fp = Fingerprint();
  auto r = Cli({"apply", Uri(), "--plan", plan, "--phase", "expand", "--lock-timeout", "700ms"});
  EXPECT_EQ(r.exit_code, 1) << r.out << r.err;
  EXPECT_NE(r.err.find("another cutover apply holds the migration lock"), std::string::npos) << r.err;
  EXPECT_EQ(Fingerprint(), fp);
  EXPECT_FALSE(*migrate::HistoryTableExists(*conn_));
  ASSERT_TRUE(other->ReleaseMigrationLock().ok());
  // Two real runs at once, made to overlap: both start while the lock is
  // held and wait for it; once it is released one applies, the other waits
  // for that one and then finds nothing left to do. A run that read the
  // history before taking the lock would apply a second time.
  ASSERT_TRUE(other->AcquireMigrationLock(milliseconds(1000)).ok());
  constexpr auto kHold = milliseconds(2000);
  RunResult a, b;
  std::chrono::milliseconds took_a{0}, took_b{0};
  auto run = [&](RunResult& result, std::chrono::milliseconds& took) {
    const auto t0 = std::chrono::steady_clock::now();
    result = Cli({"apply", Uri(), "--plan", plan, "--phase", "expand", "--lock-timeout", "20s"});
    took = std::chrono::duration_cast<milliseconds>(std::chrono::steady_clock::now() - t0);
  };
  std::thread ta([&] { run(a, took_a); });
  std::thread tb([&] { run(b, took_b); });
  std::this_thread::sleep_for(kHold);
  ASSERT_TRUE(other->ReleaseMigrationLock().ok());
  ta.join();
  tb.join();
  EXPECT_EQ(a.exit_code, 0) << a.err;
  EXPECT_EQ(b.exit_code, 0) << b.err;
  // Both were still waiting when the lock was released (neither could run
  // before), so the two overlapped.
  EXPECT_GE(took_a, kHold - milliseconds(300)) << a.err;
  EXPECT_GE(took_b, kHold - milliseconds(300)) << b.err;
  const bool a_idle = a.out.find("Nothing to apply") != std::string::npos;
  const bool b_idle = b.out.find("Nothing to apply") != std::string::npos;
  EXPECT_NE(a_idle, b_idle) << "exactly one run applies:\n" << a.out << "\n---\n" << b.out;
  auto h = History();
  EXPECT_EQ(h.at({"0001_label", "expand"}).attempts, 1) << "ran once";
  EXPECT_EQ(h.at({"0002_other", "expand"}).attempts, 1);
}

TEST_P(Migrate, BackfillKilledMidwayResumesAndCountsEveryRow) {
  const int kRows = 3000;
  CreateItems(kRows);
  const std::string plan = StandardPlan("-- cutover:batch-size 20\n-- cutover:pause 10ms\n");
  ASSERT_TRUE(ApplyPhase(plan, plan::Phase::kExpand).status.ok());
  auto backfill = StartBackfill(plan, "bf.out");
  ASSERT_TRUE(backfill->started());
  // Wait until some batches are committed, then kill -9.
  WaitForBackfillRows(200);
  ASSERT_EQ(backfill->Stop(SIGKILL), 128 + SIGKILL)
      << "the backfill finished before it could be killed: " << backfill->Log();
  std::int64_t rows_at_kill = 0;
  auto h = History();
  const migrate::HistoryRow& row = h.at({"0001_label", "backfill"});
  EXPECT_EQ(row.state, migrate::RunState::kRunning);
  rows_at_kill = row.rows;
  EXPECT_GT(rows_at_kill, 0);
  EXPECT_LT(rows_at_kill, kRows);
  const std::string done_rows =
      Scalar(*conn_, "SELECT count(*) FROM " + table_ + " WHERE " + label_ + " IS NOT NULL");
  EXPECT_EQ(std::to_string(rows_at_kill), done_rows) << "history and data commit together";
  auto status = Cli({"status", Uri(), "--plan", plan});
  EXPECT_EQ(status.exit_code, 1) << status.out;
  EXPECT_NE(status.out.find("partial"), std::string::npos) << status.out;

  auto rerun =
      Cli({"apply", Uri(), "--plan", plan, "--phase", "backfill", "--pause", "1ms", "--batch-size", "500"});
  EXPECT_EQ(rerun.exit_code, 0) << rerun.err;
  EXPECT_NE(rerun.err.find("continuing an earlier run"), std::string::npos) << rerun.err;
  auto final_row = History().at({"0001_label", "backfill"});
  EXPECT_EQ(final_row.state, migrate::RunState::kSucceeded);
  EXPECT_EQ(final_row.rows, kRows);
  EXPECT_EQ(Scalar(*conn_, "SELECT count(*) FROM " + table_ + " WHERE " + label_ + " IS NULL"), "0");
}

TEST_P(Migrate, BackfillStopsCleanlyOnSigterm) {
  CreateItems(2000);
  const std::string plan = StandardPlan("-- cutover:batch-size 10\n-- cutover:pause 20ms\n");
  ASSERT_TRUE(ApplyPhase(plan, plan::Phase::kExpand).status.ok());
  auto backfill = StartBackfill(plan, "term.out");
  ASSERT_TRUE(backfill->started());
  WaitForBackfillRows(100);
  const int code = backfill->Stop(SIGTERM);
  const std::string output = backfill->Log();
  EXPECT_EQ(code, 3) << output;
  EXPECT_NE(output.find("interrupted by SIGTERM; 0001_label/backfill.sql: "), std::string::npos) << output;
  EXPECT_NE(output.find("committed and recorded in the history"), std::string::npos) << output;
  EXPECT_NE(output.find("run the same apply again to resume"), std::string::npos) << output;
  auto row = History().at({"0001_label", "backfill"});
  EXPECT_GT(row.rows, 0);
  EXPECT_LT(row.rows, 2000);
  EXPECT_EQ(std::to_string(row.rows),
            Scalar(*conn_, "SELECT count(*) FROM " + table_ + " WHERE " + label_ + " IS NOT NULL"))
      << "the last batch was finished and recorded";
  auto rerun =
      Cli({"apply", Uri(), "--plan", plan, "--phase", "backfill", "--pause", "1ms", "--batch-size", "400"});
  EXPECT_EQ(rerun.exit_code, 0) << rerun.err;
  EXPECT_EQ(History().at({"0001_label", "backfill"}).rows, 2000);
}

// Ctrl-C: kCancelled (exit 3) with one message shape saying what was kept
// and what to run; the step's outcome is "interrupted", and `status` says so.
TEST_P(Migrate, SigintDuringBackfillIsCancelledAndSaysWhatWasKept) {
  CreateItems(2000);
  const std::string plan = StandardPlan("-- cutover:batch-size 10\n-- cutover:pause 20ms\n");
  ASSERT_TRUE(ApplyPhase(plan, plan::Phase::kExpand).status.ok());
  testing::ChildProcess backfill(
      Ungated({CUTOVER_BINARY, "apply", Uri(), "--plan", plan, "--phase", "backfill", "--json"}),
      testing::ProcessOptions(), dir_ / "int.out", dir_ / "int.err");
  ASSERT_TRUE(backfill.started());
  WaitForBackfillRows(100);
  const int code = backfill.Stop(SIGINT);
  const RunResult r = backfill.Result();
  EXPECT_EQ(code, 3) << r.err;
  EXPECT_NE(r.err.find("cutover: error: interrupted by SIGINT; 0001_label/backfill.sql: "), std::string::npos)
      << r.err;
  EXPECT_NE(r.err.find(" row(s) in total, committed and recorded in the history"), std::string::npos)
      << r.err;
  EXPECT_NE(r.err.find("; run the same apply again to resume"), std::string::npos) << r.err;
  EXPECT_EQ(r.err.find("interrupted by signal"), std::string::npos) << "the old wording: " << r.err;
  auto doc = nlohmann::json::parse(r.out, nullptr, false);
  ASSERT_TRUE(doc.is_object()) << r.out;
  EXPECT_EQ(doc["exit_code"], 3);
  ASSERT_EQ(doc["steps"].size(), 1u) << r.out;
  EXPECT_EQ(doc["steps"][0]["outcome"], "interrupted") << r.out;
  EXPECT_GT(doc["steps"][0]["rows"].get<std::int64_t>(), 0) << r.out;
  const auto row = History().at({"0001_label", "backfill"});
  EXPECT_EQ(row.state, migrate::RunState::kRunning) << "kept for the next run to resume";
  EXPECT_EQ(doc["steps"][0]["rows"].get<std::int64_t>(), row.rows) << "the message and the history agree";
  auto status = Cli({"status", Uri(), "--plan", plan});
  EXPECT_EQ(status.exit_code, 1) << status.out;
  EXPECT_NE(status.out.find("interrupted after"), std::string::npos) << status.out;
}

// A failed statement keeps the server's code through apply's re-wording:
// human output, JSON step and JSON document.
TEST_P(Migrate, FailedStatementShowsItsSqlstate) {
  CreateItems(2);
  const std::string header = engine() == "mysql" ? "" : "-- cutover:no-transaction\n";
  const std::string plan =
      WritePlan("plan", {{"0001_a/expand.sql", header + "INSERT INTO " + table_ + " VALUES (1, 'again');\n"},
                         {"0001_a/rollback.sql", "SELECT 1;\n"}});
  // Extended result codes for SQLite: SQLITE_CONSTRAINT_PRIMARYKEY.
  const std::map<std::string, std::string> expected = {
      {"postgresql", "23505"}, {"mysql", "1062"}, {"sqlite", "1555"}};
  const std::string code = expected.at(engine());
  auto text = Cli({"apply", Uri(), "--plan", plan, "--phase", "expand"});
  EXPECT_EQ(text.exit_code, 1) << text.err;
  const std::string label = code.size() == 5 ? "[SQLSTATE " + code + "]" : "[error code " + code + "]";
  EXPECT_NE(text.out.find("0001_a/expand.sql: failed"), std::string::npos) << text.out;
  EXPECT_NE(text.out.find(label), std::string::npos) << text.out;
  auto json = Cli({"apply", Uri(), "--plan", plan, "--phase", "expand", "--json"});
  EXPECT_EQ(json.exit_code, 1) << json.err;
  auto doc = nlohmann::json::parse(json.out, nullptr, false);
  ASSERT_TRUE(doc.is_object()) << json.out;
  EXPECT_EQ(doc["sqlstate"], code) << json.out;
  ASSERT_EQ(doc["steps"].size(), 1u) << json.out;
  EXPECT_EQ(doc["steps"][0]["outcome"], "failed");
  EXPECT_EQ(doc["steps"][0]["sqlstate"], code) << json.out;
}

TEST_P(Migrate, BaselineRecordsWithoutRunning) {
  CreateItems(2);
  const std::string plan = StandardPlan();
  const std::string fp = Fingerprint();
  auto r = Cli({"apply", Uri(), "--plan", plan, "--baseline", "--to", "0001_label"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(StateOf(plan, "0001_label", "expand"), "applied");
  EXPECT_EQ(StateOf(plan, "0001_label", "contract"), "applied");
  EXPECT_EQ(StateOf(plan, "0002_other", "expand"), "pending");
  EXPECT_NE(History().at({"0001_label", "expand"}).note.find("baseline"), std::string::npos);
  ASSERT_TRUE(migrate::EnsureHistoryTable(*conn_).ok());
  // Nothing ran: the label column does not exist.
  EXPECT_FALSE(HasColumn(label_));
  EXPECT_EQ(Cli({"apply", Uri(), "--plan", plan, "--baseline", "--phase", "expand"}).exit_code, 2);
}

TEST_P(Migrate, FailingCheckFailsTheApplyNamingTheLine) {
  CreateItems(2);
  std::string plan = StandardPlan();
  WritePlan("plan", {{"0001_label/checks.sql", "SELECT 1 FROM " + table_ + " WHERE id < 0;\nSELECT id, " +
                                                   name_ + " FROM " + table_ + " WHERE id = 2;\n"}});
  auto r = Cli({"apply", Uri(), "--plan", plan, "--phase", "expand"});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("0001_label/checks.sql:2"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("(2, n2)"), std::string::npos) << r.err;
}

TEST_P(Migrate, BadPlanIsExit2WithFileAndLine) {
  const std::string plan = WritePlan("bad", {{"0001_a/expand.sql", "-- cutover:no-transation\nSELECT 1;\n"}});
  auto r = Cli({"apply", Uri(), "--plan", plan, "--phase", "expand"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("0001_a/expand.sql:1"), std::string::npos) << r.err;
  auto s = Cli({"status", Uri(), "--plan", plan});
  EXPECT_EQ(s.exit_code, 2);
  EXPECT_EQ(Cli({"apply", Uri(), "--plan", plan}).exit_code, 2) << "--phase is required";
  EXPECT_EQ(Cli({"apply", Uri(), "--plan", plan, "--phase", "sideways"}).exit_code, 2);
  const std::string good = StandardPlan();
  EXPECT_EQ(Cli({"apply", Uri(), "--plan", good, "--phase", "expand", "--to", "0009_nope"}).exit_code, 2);
  EXPECT_EQ(Cli({"apply", Uri(), "--plan", good, "--phase", "expand", "--lock-timeout", "soon"}).exit_code,
            2);
}

TEST_P(Migrate, StatusReportsEditedMissingOutOfOrderAndChecksumIgnoresLineEndings) {
  CreateItems(2);
  const std::string plan = StandardPlan();
  ASSERT_EQ(Cli({"apply", Uri(), "--plan", plan, "--phase", "expand", "--to", "0001_label"}).exit_code, 0);
  // CRLF line endings: same checksum, still applied.
  const std::string expand = testing::ReadFileOrDie(plan + "/0001_label/expand.sql");
  WritePlan("plan", {{"0001_label/expand.sql", ReplaceAll(expand, "\n", "\r\n")}});
  EXPECT_EQ(StateOf(plan, "0001_label", "expand"), "applied");
  EXPECT_EQ(Cli({"status", Uri(), "--plan", plan}).exit_code, 0);
  // Edited after apply: exit 1, and apply refuses.
  WritePlan("plan", {{"0001_label/expand.sql", "-- note\n" + expand}});
  auto edited = Cli({"status", Uri(), "--plan", plan});
  EXPECT_EQ(edited.exit_code, 1);
  EXPECT_NE(edited.out.find("edited"), std::string::npos) << edited.out;
  auto refused = Cli({"apply", Uri(), "--plan", plan, "--phase", "expand"});
  EXPECT_EQ(refused.exit_code, 1);
  EXPECT_NE(refused.err.find("was edited after it was applied"), std::string::npos) << refused.err;
  EXPECT_EQ(StateOf(plan, "0002_other", "expand"), "pending");
  WritePlan("plan", {{"0001_label/expand.sql", expand}});
  // Out of order: a new migration numbered before an applied one.
  const std::string early = conn_->QuoteIdentifier("early");
  WritePlan("plan", {{"0000_early/expand.sql", "CREATE TABLE " + early + " (id INTEGER);\n"},
                     {"0000_early/rollback.sql", "DROP TABLE " + early + ";\n"}});
  EXPECT_EQ(StateOf(plan, "0000_early", "expand"), "out_of_order");
  EXPECT_EQ(Cli({"status", Uri(), "--plan", plan}).exit_code, 0) << "out of order alone is not a failure";
  fs::remove_all(fs::path(plan) / "0000_early");
  // Missing on disk.
  fs::rename(fs::path(plan) / "0001_label", dir_ / "moved");
  WritePlan("plan",
            {{"0003_x/expand.sql", "CREATE TABLE " + conn_->QuoteIdentifier("x3") + " (id INTEGER);\n"}});
  auto missing = Cli({"status", Uri(), "--plan", plan, "--json"});
  EXPECT_EQ(missing.exit_code, 1);
  auto doc = nlohmann::json::parse(missing.out);
  bool found = false;
  for (const auto& e : doc["entries"])
    found = found || (e["migration"] == "0001_label" && e["state"] == "missing");
  EXPECT_TRUE(found) << missing.out;
  EXPECT_EQ(Cli({"apply", Uri(), "--plan", plan, "--phase", "expand"}).exit_code, 1);
}

INSTANTIATE_TEST_SUITE_P(AllEngines, Migrate, ::testing::ValuesIn(testing::AllEngines()),
                         [](const auto& p) { return p.param; });

// ---- Transactional engines: a failing statement leaves nothing applied ----
class TransactionalMigrate : public Migrate {};

TEST_P(TransactionalMigrate, FailingStatementLeavesNothingAndHistorySaysFailedAtLine) {
  CreateItems(2);
  const std::string plan = WritePlan(
      "plan", {{"0001_a/expand.sql", "ALTER TABLE " + table_ + " ADD COLUMN " + label_ +
                                         " VARCHAR(10);\nCREATE TABLE " + conn_->QuoteIdentifier("t2") +
                                         " (id INTEGER);\n\nINSERT INTO no_such_table VALUES (1);\n"},
               {"0001_a/rollback.sql", "SELECT 1;\n"}});
  ASSERT_TRUE(migrate::EnsureHistoryTable(*conn_).ok());
  const std::string fp = Fingerprint();
  auto r = Cli({"apply", Uri(), "--plan", plan, "--phase", "expand"});
  EXPECT_EQ(r.exit_code, 1) << r.out;
  EXPECT_NE(r.err.find("0001_a/expand.sql:4"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("no statement of the file is applied"), std::string::npos) << r.err;
  EXPECT_EQ(Fingerprint(), fp) << "the transaction rolled back";
  auto row = History().at({"0001_a", "expand"});
  EXPECT_EQ(row.state, migrate::RunState::kFailed);
  EXPECT_EQ(row.failed_line, 4);
  EXPECT_EQ(row.statements_done, 0);
  EXPECT_NE(row.failed_statement.find("no_such_table"), std::string::npos);
  auto status = Cli({"status", Uri(), "--plan", plan});
  EXPECT_EQ(status.exit_code, 1);
  EXPECT_NE(status.out.find("failed at 0001_a/expand.sql:4"), std::string::npos) << status.out;
  // Fixed file: runs from the start, in one transaction.
  WritePlan("plan", {{"0001_a/expand.sql", "ALTER TABLE " + table_ + " ADD COLUMN " + label_ +
                                               " VARCHAR(10);\nCREATE TABLE " + conn_->QuoteIdentifier("t2") +
                                               " (id INTEGER);\n"}});
  auto fixed = Cli({"apply", Uri(), "--plan", plan, "--phase", "expand"});
  EXPECT_EQ(fixed.exit_code, 0) << fixed.err;
  EXPECT_EQ(StateOf(plan, "0001_a", "expand"), "applied");
}

INSTANTIATE_TEST_SUITE_P(Transactional, TransactionalMigrate,
                         ::testing::Values(std::string("postgresql"), std::string("sqlite")),
                         [](const auto& p) { return p.param; });

// ---- Non-transactional files resume at the failed statement ----
class StatementwiseMigrate : public Migrate {};

TEST_P(StatementwiseMigrate, FailureMidFileThenFixAndRerunResumesAtTheFailedStatement) {
  CreateItems(2);
  const std::string a = conn_->QuoteIdentifier("a tab"), b = conn_->QuoteIdentifier("b`tab\"");
  const std::string header = engine() == "mysql" ? "" : "-- cutover:no-transaction\n";
  const std::string bad = header + "CREATE TABLE " + a + " (id INTEGER);\nCREATE TABLE " + b +
                          " (id INTEGER);\nINSERT INTO missing_tab VALUES (1);\nCREATE TABLE " +
                          conn_->QuoteIdentifier("c") + " (id INTEGER);\n";
  const std::string plan =
      WritePlan("plan", {{"0001_a/expand.sql", bad}, {"0001_a/rollback.sql", "SELECT 1;\n"}});
  const int line = engine() == "mysql" ? 3 : 4;
  auto r = Cli({"apply", Uri(), "--plan", plan, "--phase", "expand"});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("0001_a/expand.sql:" + std::to_string(line)), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("2 earlier statement(s) of the file are applied"), std::string::npos) << r.err;
  auto row = History().at({"0001_a", "expand"});
  EXPECT_EQ(row.state, migrate::RunState::kFailed);
  EXPECT_EQ(row.statements_done, 2);
  EXPECT_EQ(Scalar(*conn_, "SELECT count(*) FROM " + a), "0") << "the first statements stay applied";
  // Editing a statement that already ran is refused.
  WritePlan("plan", {{"0001_a/expand.sql", ReplaceAll(bad, "(id INTEGER);\nCREATE TABLE " + b,
                                                      "(id INTEGER, x INTEGER);\nCREATE TABLE " + b)}});
  auto changed = Cli({"apply", Uri(), "--plan", plan, "--phase", "expand"});
  EXPECT_EQ(changed.exit_code, 1);
  EXPECT_NE(changed.err.find("were changed on disk since"), std::string::npos) << changed.err;
  // Fixing the failed statement resumes there: the tables are not created twice.
  WritePlan("plan", {{"0001_a/expand.sql", ReplaceAll(bad, "INSERT INTO missing_tab VALUES (1)",
                                                      "INSERT INTO " + a + " VALUES (1)")}});
  auto fixed = Cli({"apply", Uri(), "--plan", plan, "--phase", "expand"});
  EXPECT_EQ(fixed.exit_code, 0) << fixed.err;
  EXPECT_NE(fixed.err.find("resuming at statement 3 of 4"), std::string::npos) << fixed.err;
  EXPECT_EQ(Scalar(*conn_, "SELECT count(*) FROM " + a), "1");
  auto done = History().at({"0001_a", "expand"});
  EXPECT_EQ(done.state, migrate::RunState::kSucceeded);
  EXPECT_EQ(done.statements_done, 4);
  EXPECT_EQ(done.attempts, 2);
}

// ---- SQLite: a full disk is a failure, never an interruption ----
class SqliteMigrate : public Migrate {};

// The child runs with a file size limit (RLIMIT_FSIZE) and SIGXFSZ ignored,
// so SQLite's write() fails with EFBIG as on a full disk: an I/O error,
// exit 3, outcome "failed", and nowhere the word "interrupted".
TEST_P(SqliteMigrate, FullDiskIsAFailureNotAnInterruption) {
  CreateItems(2);
  const std::string big = conn_->QuoteIdentifier("big");
  std::string plan = WritePlan(
      "plan", {{"0001_a/expand.sql", "CREATE TABLE " + conn_->QuoteIdentifier("small") + " (id INTEGER);\n"},
               {"0001_a/rollback.sql", "SELECT 1;\n"}});
  ASSERT_EQ(Cli({"apply", Uri(), "--plan", plan, "--phase", "expand"}).exit_code, 0);
  const auto size = fs::file_size(db_->uri().path());
  plan = WritePlan("plan",
                   {{"0002_big/expand.sql",
                     "CREATE TABLE " + big +
                         " AS WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c LIMIT 100000) "
                         "SELECT x, randomblob(200) AS b FROM c;\n"},
                    {"0002_big/rollback.sql", "DROP TABLE " + big + ";\n"}});
  // ulimit -f counts 512-byte blocks: room for the history, not for ~20 MB.
  const std::string blocks = std::to_string(size / 512 + 256);
  testing::ChildProcess apply(
      Ungated({"/bin/sh", "-c", "ulimit -f " + blocks + " && trap '' XFSZ && exec \"$0\" \"$@\"",
               CUTOVER_BINARY, "apply", Uri(), "--plan", plan, "--phase", "expand", "--json"}),
      testing::ProcessOptions(), dir_ / "full.out", dir_ / "full.err");
  ASSERT_TRUE(apply.started());
  const int code = apply.Wait();
  const RunResult r = apply.Result();
  EXPECT_EQ(code, 3) << r.out << r.err;
  EXPECT_EQ(r.err.find("interrupted"), std::string::npos) << r.err;
  EXPECT_EQ(r.out.find("interrupted"), std::string::npos) << r.out;
  EXPECT_NE(r.err.find("0002_big/expand.sql:1: statement"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("failed: "), std::string::npos) << r.err;
  EXPECT_TRUE(r.err.find("database or disk is full") != std::string::npos ||
              r.err.find("disk I/O error") != std::string::npos)
      << "the SQLite error is named: " << r.err;
  auto doc = nlohmann::json::parse(r.out, nullptr, false);
  ASSERT_TRUE(doc.is_object()) << r.out;
  EXPECT_EQ(doc["exit_code"], 3);
  ASSERT_EQ(doc["steps"].size(), 1u) << r.out;
  EXPECT_EQ(doc["steps"][0]["outcome"], "failed") << r.out;
  EXPECT_FALSE(conn_->Execute("SELECT count(*) FROM " + big).ok()) << "the transaction rolled back";
}

INSTANTIATE_TEST_SUITE_P(Sqlite, SqliteMigrate, ::testing::Values(std::string("sqlite")),
                         [](const auto& p) { return p.param; });

INSTANTIATE_TEST_SUITE_P(Statementwise, StatementwiseMigrate, ::testing::ValuesIn(testing::AllEngines()),
                         [](const auto& p) { return p.param; });

}  // namespace
}  // namespace cutover
