// Other tools' history tables (migrate/foreign_history.h) on real
// PostgreSQL, MariaDB and SQLite: each table created with the columns its
// tool creates, rows written as the tool writes them (applied, failed,
// dirty, undone, baselined, migrated down, edited since), read as cutover's
// status; cutover's own rows on a rehearsal copy lie over the tool's; the
// library's apply (what rehearse runs on a copy) runs only the pending
// migrations and never writes the tool's table; the CLI's apply refuses a
// foreign plan, and --layout is checked.
#include "migrate/foreign_history.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "base/strings.h"
#include "base/subprocess.h"
#include "migrate/apply.h"
#include "migrate/status.h"
#include "plan/plan.h"
#include "support/process.h"
#include "support/test_env.h"

namespace cutover {
namespace {
namespace fs = std::filesystem;
using migrate::PhaseState;
using testing::ScratchDatabase;

class ForeignHistory : public ::testing::TestWithParam<std::string> {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / testing::UniqueName("cutover foreign ✓-");
    fs::create_directories(dir_);
    db_ = std::make_unique<ScratchDatabase>(GetParam());
    ASSERT_FALSE(db_->name().empty());
    conn_ = db_->Connect();
    ASSERT_NE(conn_, nullptr);
  }
  void TearDown() override {
    conn_.reset();
    db_.reset();
    fs::remove_all(dir_);
  }
  bool Postgres() const { return GetParam() == "postgresql"; }
  std::string Bool(bool b) const { return Postgres() ? (b ? "true" : "false") : (b ? "1" : "0"); }
  std::string Uri() const { return db_->uri().Text(); }

  std::string WritePlan(const std::vector<std::pair<std::string, std::string>>& files) {
    for (const auto& [rel, text] : files) {
      fs::path p = dir_ / "plan" / rel;
      fs::create_directories(p.parent_path());
      std::ofstream(p, std::ios::binary | std::ios::trunc) << text;
    }
    return (dir_ / "plan").string();
  }
  plan::Plan ReadPlan(const std::string& dir) {
    auto engine = plan::ParseEngine(GetParam());
    EXPECT_TRUE(engine.ok());
    auto p = plan::ReadPlan(dir, plan::ReadOptionsFor(*engine, testing::TestDriver(GetParam())));
    EXPECT_TRUE(p.ok()) << p.status().ToString();
    return p.ok() ? std::move(*p) : plan::Plan{};
  }
  // migration -> "state" of its forward phase (and the detail after a colon
  // when there is one).
  std::map<std::string, std::string> Status(const plan::Plan& plan) {
    auto history = migrate::ReadHistoryOf(*conn_, plan);
    EXPECT_TRUE(history.ok()) << history.status().ToString();
    auto exists = migrate::HistoryTableExistsFor(*conn_, plan);
    EXPECT_TRUE(exists.ok());
    std::map<std::string, std::string> out;
    if (!history.ok() || !exists.ok()) return out;
    for (const auto& e : migrate::ComputeStatus(plan, *history, *exists).entries) {
      if (e.phase == "rollback") continue;  // information about the way back, not the migration's state
      out[e.migration] =
          std::string(migrate::PhaseStateName(e.state)) + (e.detail.empty() ? "" : ": " + e.detail);
    }
    return out;
  }
  std::string StateOf(const std::map<std::string, std::string>& s, const std::string& m) {
    auto it = s.find(m);
    return it == s.end() ? "(none)" : it->second.substr(0, it->second.find(':'));
  }

  fs::path dir_;
  std::unique_ptr<ScratchDatabase> db_;
  std::unique_ptr<Connection> conn_;
};

TEST_P(ForeignHistory, GolangMigrateEverythingUpToTheRecordedVersionIsAppliedAndDirtyIsFailed) {
  const std::string dir = WritePlan({{"1_a.up.sql", "CREATE TABLE a (id INTEGER);\n"},
                                     {"2_b.up.sql", "CREATE TABLE b (id INTEGER);\n"},
                                     {"10_c.up.sql", "CREATE TABLE c (id INTEGER);\n"}});
  const plan::Plan plan = ReadPlan(dir);
  for (const auto& [m, state] : Status(plan))
    EXPECT_EQ(state, "pending") << m << ": no table yet, nothing applied";
  db_->Exec("CREATE TABLE schema_migrations (version BIGINT NOT NULL PRIMARY KEY, dirty BOOLEAN NOT NULL)");
  db_->Exec("INSERT INTO schema_migrations VALUES (2, " + Bool(false) + ")");
  auto s = Status(plan);
  EXPECT_EQ(StateOf(s, "1_a"), "applied");
  EXPECT_EQ(StateOf(s, "2_b"), "applied");
  EXPECT_EQ(StateOf(s, "10_c"), "pending");
  db_->Exec("UPDATE schema_migrations SET dirty = " + Bool(true));
  s = Status(plan);
  EXPECT_EQ(StateOf(s, "2_b"), "failed");
  EXPECT_NE(s["2_b"].find("golang-migrate marks version 2 dirty"), std::string::npos) << s["2_b"];
  db_->Exec("UPDATE schema_migrations SET version = 7, dirty = " + Bool(false));
  s = Status(plan);
  EXPECT_EQ(StateOf(s, "golang-migrate version 7"), "missing");
  EXPECT_EQ(StateOf(s, "10_c"), "pending");
}

TEST_P(ForeignHistory, FlywaySuccessChecksumUndoBaselineAndRepeatables) {
  const std::string dir = WritePlan({{"V1__a.sql", "CREATE TABLE a (id INTEGER);\n"},
                                     {"V1.1__b.sql", "CREATE TABLE b (id INTEGER);\n"},
                                     {"V2__c.sql", "CREATE TABLE c (id INTEGER);\n"},
                                     {"V3__d.sql", "CREATE TABLE d (id INTEGER);\n"},
                                     {"U3__d.sql", "DROP TABLE d;\n"},
                                     {"V4__e.sql", "CREATE TABLE e (id INTEGER);\n"},
                                     {"R__views.sql", "CREATE VIEW v AS SELECT 1 AS one;\n"},
                                     {"R__other.sql", "CREATE VIEW w AS SELECT 2 AS two;\n"}});
  const plan::Plan plan = ReadPlan(dir);
  ASSERT_EQ(plan.migrations.size(), 7u);
  auto checksum = [&](const std::string& name) { return plan.Find(name)->tool_checksum; };
  db_->Exec(
      "CREATE TABLE flyway_schema_history (installed_rank INT NOT NULL PRIMARY KEY, version VARCHAR(50), "
      "description VARCHAR(200) NOT NULL, type VARCHAR(20) NOT NULL, script VARCHAR(1000) NOT NULL, checksum "
      "INT, "
      "installed_by VARCHAR(100) NOT NULL, installed_on TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP, "
      "execution_time INT NOT NULL, success BOOLEAN NOT NULL)");
  auto row = [&](int rank, const std::string& version, const std::string& description,
                 const std::string& type, const std::string& script, const std::string& sum, bool success) {
    db_->Exec(
        "INSERT INTO flyway_schema_history (installed_rank, version, description, type, script, checksum, "
        "installed_by, execution_time, success) VALUES (" +
        std::to_string(rank) + ", " + (version.empty() ? "NULL" : "'" + version + "'") + ", '" + description +
        "', '" + type + "', '" + script + "', " + (sum.empty() ? "NULL" : sum) + ", 'ci', 5, " +
        Bool(success) + ")");
  };
  row(1, "1", "<< Flyway Baseline >>", "BASELINE", "<< Flyway Baseline >>", "", true);
  row(2, "1.1", "b", "SQL", "V1.1__b.sql", "12345", true);  // not the file's checksum: edited since
  row(3, "2", "c", "SQL", "V2__c.sql", checksum("V2__c"), false);
  row(4, "3", "d", "SQL", "V3__d.sql", checksum("V3__d"), true);
  row(5, "3", "d", "UNDO_SQL", "U3__d.sql", "1", true);
  row(6, "", "views", "SQL", "R__views.sql", checksum("R__views"), true);
  row(7, "", "other", "SQL", "R__other.sql", "42", true);  // changed since: Flyway runs it again
  row(8, "9", "gone", "SQL", "V9__gone.sql", "7", true);
  auto s = Status(plan);
  EXPECT_EQ(StateOf(s, "V1__a"), "applied");
  EXPECT_NE(s["V1__a"].find("at or below Flyway's baseline version 1"), std::string::npos) << s["V1__a"];
  EXPECT_EQ(StateOf(s, "V1.1__b"), "edited");
  EXPECT_NE(s["V1.1__b"].find("flyway_schema_history records checksum 12345, the file's is now " +
                              checksum("V1.1__b")),
            std::string::npos)
      << s["V1.1__b"];
  EXPECT_EQ(StateOf(s, "V2__c"), "failed");
  EXPECT_NE(s["V2__c"].find("flyway repair"), std::string::npos) << s["V2__c"];
  EXPECT_EQ(StateOf(s, "V3__d"), "rolled_back");
  EXPECT_EQ(StateOf(s, "V4__e"), "pending");
  EXPECT_EQ(StateOf(s, "R__views"), "applied");
  EXPECT_EQ(StateOf(s, "R__other"), "pending");
  EXPECT_EQ(StateOf(s, "V9__gone"), "missing");
}

TEST_P(ForeignHistory, DbmateAndGooseRecordVersionsTheirOwnWay) {
  const std::string dbmate =
      WritePlan({{"20240101000000_a.sql", "-- migrate:up\nCREATE TABLE a (id INTEGER);\n"},
                 {"20240102000000_b.sql", "-- migrate:up\nCREATE TABLE b (id INTEGER);\n"}});
  const plan::Plan dplan = ReadPlan(dbmate);
  db_->Exec("CREATE TABLE schema_migrations (version VARCHAR(128) NOT NULL PRIMARY KEY)");
  db_->Exec("INSERT INTO schema_migrations VALUES ('20240101000000'), ('20231231000000')");
  auto s = Status(dplan);
  EXPECT_EQ(StateOf(s, "20240101000000_a"), "applied");
  EXPECT_EQ(StateOf(s, "20240102000000_b"), "pending");
  EXPECT_EQ(StateOf(s, "dbmate version 20231231000000"), "missing");

  fs::remove_all(dir_ / "plan");
  const std::string goose = WritePlan({{"00001_a.sql", "-- +goose Up\nCREATE TABLE a (id INTEGER);\n"},
                                       {"00002_b.sql", "-- +goose Up\nCREATE TABLE b (id INTEGER);\n"},
                                       {"00003_c.sql", "-- +goose Up\nCREATE TABLE c (id INTEGER);\n"}});
  const plan::Plan gplan = ReadPlan(goose);
  db_->Exec(
      "CREATE TABLE goose_db_version (id INTEGER PRIMARY KEY, version_id BIGINT NOT NULL, is_applied BOOLEAN "
      "NOT NULL, tstamp TIMESTAMP NULL)");
  db_->Exec("INSERT INTO goose_db_version (id, version_id, is_applied) VALUES (1, 0, " + Bool(true) +
            "), (2, 1, " + Bool(true) + "), (3, 2, " + Bool(true) + "), (4, 2, " + Bool(false) + ")");
  s = Status(gplan);
  EXPECT_EQ(StateOf(s, "00001_a"), "applied");
  EXPECT_EQ(StateOf(s, "00002_b"), "pending") << "its newest row says migrated down";
  EXPECT_EQ(StateOf(s, "00003_c"), "pending");
}

TEST_P(ForeignHistory, LiquibaseNewestRowOfEachChangesetDecides) {
  const std::string dir = WritePlan(
      {{"changelog.sql",
        "--liquibase formatted sql\n--changeset alice:1\nCREATE TABLE a (id INTEGER);\n"
        "--changeset alice:2\nCREATE TABLE b (id INTEGER);\n--changeset bob:3\nCREATE TABLE c (id INTEGER);\n"
        "--changeset bob:4\nCREATE TABLE d (id INTEGER);\n--changeset bob:always runAlways:true\nSELECT "
        "1;\n"}});
  const plan::Plan plan = ReadPlan(dir);
  // As Liquibase creates it: upper case, which PostgreSQL folds to lower.
  db_->Exec(
      "CREATE TABLE DATABASECHANGELOG (ID VARCHAR(255) NOT NULL, AUTHOR VARCHAR(255) NOT NULL, FILENAME "
      "VARCHAR(255) NOT NULL, DATEEXECUTED TIMESTAMP NOT NULL, ORDEREXECUTED INT NOT NULL, EXECTYPE "
      "VARCHAR(10) NOT NULL, MD5SUM VARCHAR(35))");
  auto row = [&](const std::string& id, const std::string& author, int order, const std::string& type) {
    db_->Exec("INSERT INTO DATABASECHANGELOG VALUES ('" + id + "', '" + author + "', 'db/changelog.sql', " +
              "CURRENT_TIMESTAMP, " + std::to_string(order) + ", '" + type + "', '9:abc')");
  };
  row("1", "alice", 1, "EXECUTED");
  row("2", "alice", 2, "FAILED");
  row("3", "bob", 3, "MARK_RAN");
  row("always", "bob", 4, "EXECUTED");
  row("9", "zed", 5, "EXECUTED");
  auto s = Status(plan);
  EXPECT_EQ(StateOf(s, "alice:1"), "applied");
  EXPECT_EQ(StateOf(s, "alice:2"), "failed");
  EXPECT_EQ(StateOf(s, "bob:3"), "applied");
  EXPECT_NE(s["bob:3"].find("marked ran by Liquibase"), std::string::npos) << s["bob:3"];
  EXPECT_EQ(StateOf(s, "bob:4"), "pending");
  EXPECT_EQ(StateOf(s, "bob:always"), "pending") << "runAlways runs at every update";
  EXPECT_EQ(StateOf(s, "zed:9"), "missing");
  row("2", "alice", 6, "EXECUTED");  // run again after the fix
  EXPECT_EQ(StateOf(Status(plan), "alice:2"), "applied");
}

TEST_P(ForeignHistory, AFlywayVersionAddedBelowAnAppliedOneIsOutOfOrder) {
  const std::string dir = WritePlan({{"V1__a.sql", "CREATE TABLE a (id INTEGER);\n"},
                                     {"V1.5__late.sql", "CREATE TABLE late (id INTEGER);\n"},
                                     {"V2__b.sql", "CREATE TABLE b (id INTEGER);\n"}});
  const plan::Plan plan = ReadPlan(dir);
  db_->Exec(
      "CREATE TABLE flyway_schema_history (installed_rank INT NOT NULL PRIMARY KEY, version VARCHAR(50), "
      "description VARCHAR(200) NOT NULL, type VARCHAR(20) NOT NULL, script VARCHAR(1000) NOT NULL, checksum "
      "INT, installed_by VARCHAR(100) NOT NULL, installed_on TIMESTAMP NULL, execution_time INT NOT NULL, "
      "success "
      "BOOLEAN NOT NULL)");
  for (const auto& [rank, m] : {std::pair{1, std::string("V1__a")}, std::pair{2, std::string("V2__b")}}) {
    db_->Exec("INSERT INTO flyway_schema_history VALUES (" + std::to_string(rank) + ", '" +
              plan.Find(m)->version + "', 'x', 'SQL', '" + m + ".sql', " + plan.Find(m)->tool_checksum +
              ", 'ci', NULL, 1, " + Bool(true) + ")");
  }
  auto s = Status(plan);
  EXPECT_EQ(StateOf(s, "V1__a"), "applied");
  EXPECT_EQ(StateOf(s, "V2__b"), "applied");
  EXPECT_EQ(StateOf(s, "V1.5__late"), "out_of_order");
  EXPECT_NE(s["V1.5__late"].find("the later migration V2__b is already applied"), std::string::npos)
      << s["V1.5__late"];
}

TEST_P(ForeignHistory, ARowTheToolNeverWritesIsBadInputNamingTheTable) {
  const plan::Plan plan = ReadPlan(WritePlan({{"1_a.up.sql", "CREATE TABLE a (id INTEGER);\n"}}));
  db_->Exec("CREATE TABLE schema_migrations (version BIGINT NOT NULL PRIMARY KEY, dirty BOOLEAN NOT NULL)");
  db_->Exec("INSERT INTO schema_migrations VALUES (1, " + Bool(false) + "), (2, " + Bool(false) + ")");
  auto history = migrate::ReadHistoryOf(*conn_, plan);
  ASSERT_FALSE(history.ok());
  EXPECT_EQ(history.status().code(), StatusCode::kInvalidInput);
  EXPECT_NE(history.status().message().find("schema_migrations has 2 rows (golang-migrate keeps one)"),
            std::string::npos)
      << history.status().message();
}

TEST_P(ForeignHistory, ApplyOnACopyRunsThePendingFilesAndNeverWritesTheToolsTable) {
  const std::string dir = WritePlan({{"1_a.up.sql", "CREATE TABLE a (id INTEGER);\n"},
                                     {"1_a.down.sql", "DROP TABLE a;\n"},
                                     {"2_b.up.sql", "CREATE TABLE b (id INTEGER);\n"},
                                     {"2_b.down.sql", "DROP TABLE b;\n"}});
  const plan::Plan plan = ReadPlan(dir);
  db_->Exec("CREATE TABLE a (id INTEGER)");
  db_->Exec("CREATE TABLE schema_migrations (version BIGINT NOT NULL PRIMARY KEY, dirty BOOLEAN NOT NULL)");
  db_->Exec("INSERT INTO schema_migrations VALUES (1, " + Bool(false) + ")");
  migrate::ApplyOptions options;
  options.tool_version = "test";
  migrate::ApplyReport r = migrate::Apply(*conn_, plan, options);
  ASSERT_TRUE(r.status.ok()) << r.status.ToString();
  ASSERT_EQ(r.steps.size(), 1u) << "1_a is applied by golang-migrate: only 2_b runs";
  EXPECT_EQ(r.steps[0].migration, "2_b");
  EXPECT_EQ(testing::Scalar(*conn_, "SELECT COUNT(*) FROM b"), "0");
  EXPECT_EQ(testing::Scalar(*conn_, "SELECT version FROM schema_migrations"), "1");
  auto s = Status(plan);
  EXPECT_EQ(StateOf(s, "1_a"), "applied");
  EXPECT_EQ(StateOf(s, "2_b"), "applied");
  // Rolling back the migration golang-migrate applied is recorded in
  // cutover's own table, over the tool's row.
  options.phase = plan::Phase::kRollback;
  options.to = "1_a";
  r = migrate::Apply(*conn_, plan, options);
  ASSERT_TRUE(r.status.ok()) << r.status.ToString();
  ASSERT_EQ(r.steps.size(), 2u);
  EXPECT_EQ(r.steps[1].migration, "1_a");
  s = Status(plan);
  EXPECT_EQ(StateOf(s, "1_a"), "rolled_back");
  EXPECT_EQ(StateOf(s, "2_b"), "rolled_back");
  EXPECT_EQ(testing::Scalar(*conn_, "SELECT version FROM schema_migrations"), "1");
}

// A sqitch verify script (FileSettings::errors_only) passes whatever rows it
// returns and fails only on an error, such as its 1/COUNT(*) of nothing.
TEST_P(ForeignHistory, AVerifyScriptFailsOnAnErrorNotOnRows) {
  const std::string dir =
      WritePlan({{"0001_a/expand.sql", "CREATE TABLE a (id INTEGER);\n"},
                 {"0001_a/checks.sql", "SELECT 1 FROM a WHERE id IS NULL;\nSELECT 42;\n"}});
  plan::Plan plan = ReadPlan(dir);
  plan.migrations[0].files.at(plan::Phase::kChecks).settings.errors_only = true;
  migrate::ApplyOptions options;
  options.tool_version = "test";
  migrate::ApplyReport r = migrate::Apply(*conn_, plan, options);
  EXPECT_TRUE(r.status.ok()) << "rows do not fail a verify script: " << r.status.ToString();

  const std::string failing =
      WritePlan({{"0002_b/expand.sql", "CREATE TABLE b (id INTEGER);\n"},
                 {"0002_b/checks.sql", "SELECT 1 FROM b;\nSELECT id FROM no_such_table;\n"}});
  plan = ReadPlan(failing);
  plan.migrations[1].files.at(plan::Phase::kChecks).settings.errors_only = true;
  r = migrate::Apply(*conn_, plan, options);
  ASSERT_FALSE(r.status.ok());
  EXPECT_NE(r.status.message().find("0002_b/checks.sql:2: acceptance check could not run"), std::string::npos)
      << r.status.message();
}

TEST_P(ForeignHistory, TheCliReadsTheLayoutButRefusesToApplyIt) {
  const std::string dir = WritePlan({{"V1__a.sql", "CREATE TABLE a (id INTEGER);\n"}});
  auto status = testing::RunCutover({"status", Uri(), "--plan", dir});
  EXPECT_EQ(status.exit_code, 0) << status.err;
  EXPECT_NE(status.out.find("V1__a"), std::string::npos) << status.out;
  auto apply = testing::RunCutover({"apply", Uri(), "--plan", dir, "--phase", "expand", "--no-gate",
                                    "--reason", "test", "--repo", (dir_ / "repo").string()});
  EXPECT_EQ(apply.exit_code, 2) << apply.err;
  EXPECT_NE(apply.err.find("is a flyway plan, and cutover never applies another tool's migrations"),
            std::string::npos)
      << apply.err;
  EXPECT_NE(apply.err.find("flyway migrate"), std::string::npos) << apply.err;
  for (const char* table : {"flyway_schema_history", "cutover_migrations", "a"}) {
    auto exists = conn_->TableExists(table);
    ASSERT_TRUE(exists.ok());
    EXPECT_FALSE(*exists) << table << ": apply changed nothing";
  }
  auto bad = testing::RunCutover({"status", Uri(), "--plan", dir, "--layout", "rails"});
  EXPECT_EQ(bad.exit_code, 2);
  EXPECT_NE(bad.err.find("--layout rails: not a layout cutover reads; use one of cutover, golang-migrate"),
            std::string::npos)
      << bad.err;
  auto forced = testing::RunCutover({"status", Uri(), "--plan", dir, "--layout", "golang-migrate"});
  EXPECT_EQ(forced.exit_code, 2);
  EXPECT_NE(forced.err.find("V1__a.sql: not a golang-migrate file name"), std::string::npos) << forced.err;
}

// sqitch's registry, written by a real sqitch (PostgreSQL: schema sqitch of
// the database; MariaDB: database sqitch of the server; SQLite: sqitch.db
// beside the file): a reworked change counts once per deployed version, a
// change added to the plan after the deploy is pending, another project's
// rows in the same registry are not this plan's.
TEST_P(ForeignHistory, ASqitchRegistryWrittenBySqitchTellsWhatIsDeployed) {
  const std::string project = "cutover_" + testing::UniqueName("fh");
  const std::string head = "%syntax-version=1.0.0\n%project=" + project + "\n\n";
  const std::string dir = WritePlan(
      {{"sqitch.plan",
        head + "a 2024-01-01T10:00:00Z A <a@example.com>\nb 2024-01-01T10:00:01Z A <a@example.com>\n"
               "@v1 2024-01-01T10:00:02Z A <a@example.com>\na [a@v1] 2024-01-01T10:00:03Z A "
               "<a@example.com>\n"},
       {"deploy/a@v1.sql", "CREATE TABLE ta (id INTEGER);\n"},
       {"revert/a@v1.sql", "DROP TABLE ta;\n"},
       {"deploy/a.sql", "ALTER TABLE ta ADD COLUMN x INTEGER;\n"},
       {"revert/a.sql", "ALTER TABLE ta DROP COLUMN x;\n"},
       {"deploy/b.sql", "CREATE TABLE tb (id INTEGER);\n"},
       {"revert/b.sql", "DROP TABLE tb;\n"}});
  plan::Plan before_deploy = ReadPlan(dir);
  EXPECT_EQ(before_deploy.project, project);
  auto exists = migrate::HistoryTableExistsFor(*conn_, before_deploy);
  ASSERT_TRUE(exists.ok()) << exists.status().ToString();
  if (GetParam() != "mysql") {
    EXPECT_FALSE(*exists) << "no registry yet";  // MariaDB's is server-wide
  }
  for (const auto& [m, state] : Status(before_deploy)) {
    EXPECT_EQ(StateOf({{m, state}}, m), "pending") << m;
  }

  const ConnectionUri& uri = db_->uri();
  std::string target;
  if (GetParam() == "sqlite") {
    target = "db:sqlite:" + uri.path();
  } else {
    target = std::string(GetParam() == "postgresql" ? "db:pg:" : "db:mysql:") +
             uri.Text().substr(uri.Text().find("//"));
  }
  ShellCommandOptions sqitch;
  sqitch.environment = {{"SQITCH_FULLNAME", "ci"}, {"SQITCH_EMAIL", "ci@example.com"}};
  auto deployed =
      RunShellCommand("sqitch --chdir " + ShellQuote(dir) + " deploy " + ShellQuote(target), sqitch);
  ASSERT_TRUE(deployed.ok()) << deployed.status().ToString();
  ASSERT_EQ(deployed->exit_code, 0) << deployed->output_tail;
  // A change added to the plan after the deploy.
  std::ofstream(dir + "/sqitch.plan", std::ios::app) << "c 2024-01-01T10:00:04Z A <a@example.com>\n";
  std::ofstream(dir + "/deploy/c.sql") << "CREATE TABLE tc (id INTEGER);\n";
  const plan::Plan plan = ReadPlan(dir);
  exists = migrate::HistoryTableExistsFor(*conn_, plan);
  ASSERT_TRUE(exists.ok());
  EXPECT_TRUE(*exists);
  const auto s = Status(plan);
  std::string all;
  for (const auto& [m, state] : s) all += m + "=" + state + "; ";
  EXPECT_EQ(StateOf(s, "a@v1"), "applied") << all;
  EXPECT_EQ(StateOf(s, "b"), "applied") << all;
  EXPECT_EQ(StateOf(s, "a"), "applied") << "the reworked version, the registry's second row of a";
  EXPECT_EQ(StateOf(s, "c"), "pending");

  // Another project in the same registry is not this plan's history.
  WritePlan(
      {{"../other/sqitch.plan", "%project=" + project + "_other\na 2024-01-01T10:00:00Z A <a@example.com>\n"},
       {"../other/deploy/a.sql", "CREATE TABLE t_other (id INTEGER);\n"}});
  const plan::Plan other_plan = ReadPlan((dir_ / "other").string());
  EXPECT_EQ(StateOf(Status(other_plan), "a"), "pending");

  auto status = testing::RunCutover({"status", Uri(), "--plan", dir});
  EXPECT_EQ(status.exit_code, 0) << status.out << status.err;
  EXPECT_NE(status.out.find("sqitch"), std::string::npos) << status.out;
}

INSTANTIATE_TEST_SUITE_P(AllEngines, ForeignHistory, ::testing::ValuesIn(testing::AllEngines()),
                         [](const auto& p) { return p.param; });

}  // namespace
}  // namespace cutover
