// Server-free tests of the status logic: a Plan built in memory (PostgreSQL
// files, split by libpg_query) against a hand-made History.
#include "migrate/status.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "migrate/apply.h"

namespace cutover::migrate {
namespace {

plan::PlanFile File(const std::string& migration, plan::Phase phase, const std::string& text) {
  plan::ReadOptions read;
  read.engine = plan::Engine::kPostgreSql;
  auto f = plan::ParsePlanFile(text, migration + "/" + std::string(plan::PhaseFileName(phase)), phase, read);
  EXPECT_TRUE(f.ok()) << f.status().ToString();
  return f.ok() ? *f : plan::PlanFile{};
}

plan::Plan TwoMigrations() {
  plan::Plan p;
  p.root = "plan";
  for (const char* name : {"0001_a", "0002_b"}) {
    plan::Migration m;
    m.name = name;
    m.files[plan::Phase::kExpand] =
        File(name, plan::Phase::kExpand, "CREATE TABLE t_" + std::string(name) + " (id int);\n");
    m.files[plan::Phase::kContract] =
        File(name, plan::Phase::kContract, "DROP TABLE old_" + std::string(name) + ";\n");
    p.migrations.push_back(std::move(m));
  }
  return p;
}

HistoryRow Row(const plan::Plan& p, const std::string& m, const std::string& phase, RunState state) {
  HistoryRow r;
  r.migration = m;
  r.phase = phase;
  r.state = state;
  const plan::Migration* mig = p.Find(m);
  plan::Phase ph = phase == "expand" ? plan::Phase::kExpand : plan::Phase::kContract;
  if (mig != nullptr && mig->file(ph) != nullptr) r.checksum = mig->file(ph)->checksum;
  return r;
}

std::string State(const StatusReport& r, const std::string& m, const std::string& phase) {
  const PhaseStatus* e = r.Find(m, phase);
  return e == nullptr ? "<none>" : std::string(PhaseStateName(e->state));
}

TEST(MigrateStatus, ChecksumIgnoresLineEndingsAndBom) {
  EXPECT_EQ(plan::FileChecksum("SELECT 1;\nSELECT 2;\n"), plan::FileChecksum("SELECT 1;\r\nSELECT 2;\r\n"));
  EXPECT_EQ(plan::FileChecksum("SELECT 1;\n"), plan::FileChecksum("\xEF\xBB\xBFSELECT 1;\r"));
  EXPECT_NE(plan::FileChecksum("SELECT 1;\n"), plan::FileChecksum("SELECT 1; \n"));
}

TEST(MigrateStatus, NothingAppliedIsAllPending) {
  auto r = ComputeStatus(TwoMigrations(), {}, false);
  EXPECT_EQ(r.problems(), 0);
  EXPECT_EQ(State(r, "0001_a", "expand"), "pending");
  EXPECT_EQ(State(r, "0002_b", "contract"), "pending");
  EXPECT_NE(StatusText(r).find("No history table"), std::string::npos);
}

TEST(MigrateStatus, EveryState) {
  plan::Plan p = TwoMigrations();
  History h;
  auto put = [&](HistoryRow r) { h[{r.migration, r.phase}] = r; };
  put(Row(p, "0002_b", "expand", RunState::kSucceeded));  // 0001 expand pending: out of order
  HistoryRow edited = Row(p, "0002_b", "contract", RunState::kSucceeded);
  edited.checksum = "0000";
  put(edited);
  HistoryRow failed = Row(p, "0001_a", "contract", RunState::kFailed);
  failed.failed_line = 3;
  failed.statements_done = 1;
  failed.statements_total = 2;
  failed.error = "boom";
  put(failed);
  put(Row(p, "0000_gone", "expand", RunState::kSucceeded));
  auto r = ComputeStatus(p, h, true);
  EXPECT_EQ(State(r, "0001_a", "expand"), "out_of_order");
  EXPECT_EQ(State(r, "0001_a", "contract"), "failed");
  EXPECT_NE(
      r.Find("0001_a", "contract")->detail.find("0001_a/contract.sql:3 (1 of 2 statement(s) ran): boom"),
      std::string::npos)
      << r.Find("0001_a", "contract")->detail;
  EXPECT_EQ(State(r, "0002_b", "expand"), "applied");
  EXPECT_EQ(State(r, "0002_b", "contract"), "edited");
  EXPECT_EQ(State(r, "0000_gone", "expand"), "missing");
  EXPECT_EQ(r.problems(), 3);  // edited, missing, failed
  auto doc = nlohmann::json::parse(StatusJson(r));
  EXPECT_EQ(doc["format"], "cutover.status");
  EXPECT_EQ(doc["problems"], 3);

  // Running (killed) is partial; rolled back is pending again and not a problem.
  h.clear();
  put(Row(p, "0001_a", "expand", RunState::kRunning));
  put(Row(p, "0002_b", "expand", RunState::kRolledBack));
  r = ComputeStatus(p, h, true);
  EXPECT_EQ(State(r, "0001_a", "expand"), "partial");
  EXPECT_EQ(State(r, "0002_b", "expand"), "rolled_back");
  EXPECT_EQ(r.problems(), 1);
}

TEST(MigrateStatus, StatementsChecksumCoversOnlyThePrefix) {
  plan::PlanFile a =
      File("0001_a", plan::Phase::kExpand, "CREATE TABLE x (id int);\nCREATE TABLE y (id int);\n");
  plan::PlanFile b =
      File("0001_a", plan::Phase::kExpand, "CREATE TABLE x (id int);\r\nCREATE TABLE z (id int);\n");
  EXPECT_EQ(StatementsChecksum(a, 1), StatementsChecksum(b, 1));
  EXPECT_NE(StatementsChecksum(a, 2), StatementsChecksum(b, 2));
  EXPECT_NE(StatementsChecksum(a, 0), StatementsChecksum(a, 1));
}

}  // namespace
}  // namespace cutover::migrate
