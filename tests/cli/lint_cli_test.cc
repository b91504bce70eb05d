// `cutover lint` end to end through the binary: exit codes (docs/exit-codes.md),
// engine selection, --json documents, --junit files, bad plans with file:line,
// and MySQL/SQLite plans split by the real driver plugins.
#include <gtest/gtest.h>
#include <sys/wait.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>

#include "lint_xml_check.h"
#include "support/test_env.h"

namespace cutover {
namespace {
namespace fs = std::filesystem;

struct RunResult {
  int exit_code = -1;
  std::string out;
  std::string err;
};

std::string ShellQuote(const std::string& s) {
  std::string out = "'";
  for (char c : s) out += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return out + "'";
}

class LintCli : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / testing::UniqueName("cutover lint cli ✓-");
    fs::create_directories(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }

  RunResult Run(const std::vector<std::string>& args) {
    std::string cmd = "cd " + ShellQuote(dir_.string()) + " && " + ShellQuote(CUTOVER_BINARY);
    for (const auto& a : args) cmd += " " + ShellQuote(a);
    const std::string out = (dir_ / "stdout").string(), err = (dir_ / "stderr").string();
    cmd += " > " + ShellQuote(out) + " 2> " + ShellQuote(err) + " < /dev/null";
    int status = std::system(cmd.c_str());
    RunResult r;
    r.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
    r.out = testing::ReadFileOrDie(out);
    r.err = testing::ReadFileOrDie(err);
    return r;
  }

  // Writes files under <dir>/<plan>/ and returns the plan path.
  std::string Plan(const std::string& plan, const std::vector<std::pair<std::string, std::string>>& files) {
    for (const auto& [rel, text] : files) {
      fs::path p = dir_ / plan / rel;
      fs::create_directories(p.parent_path());
      std::ofstream(p, std::ios::binary) << text;
    }
    return (dir_ / plan).string();
  }

  std::string Clean() {
    return Plan("clean",
                {{"0001_coupons/expand.sql", "CREATE TABLE coupons (id bigint PRIMARY KEY, code text);\n"},
                 {"0001_coupons/rollback.sql", "DROP TABLE coupons;\n"}});
  }
  std::string Dangerous() {
    return Plan("dangerous",
                {{"0001_index/expand.sql", "CREATE INDEX orders_customer_idx ON orders (customer_id);\n"},
                 {"0001_index/rollback.sql", "DROP INDEX orders_customer_idx;\n"}});
  }

  fs::path dir_;
};

TEST_F(LintCli, CleanPlanExitsZero) {
  auto r = Run({"lint", Clean(), "--engine", "postgresql"});
  EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_NE(r.out.find("cutover lint (postgresql): 0 errors, 0 warnings, 0 ignored in 1 migration"),
            std::string::npos)
      << r.out;
}

TEST_F(LintCli, ErrorsExitOneWarningsAloneExitZero) {
  auto bad = Run({"lint", Dangerous(), "--engine", "postgres"});
  EXPECT_EQ(bad.exit_code, 1) << bad.out << bad.err;
  EXPECT_NE(bad.out.find("0001_index/expand.sql:1: error PG001: "), std::string::npos) << bad.out;
  EXPECT_NE(bad.out.find("0001_index/expand.sql:1: warning PG010: "), std::string::npos) << bad.out;

  const std::string warn =
      Plan("warn",
           {{"0001_a/expand.sql", "ALTER TABLE orders ADD COLUMN note text;\n"},
            {"0001_a/rollback.sql", "-- cutover:lock-timeout 2s\nALTER TABLE orders DROP COLUMN note;\n"}});
  auto w = Run({"lint", warn, "--engine", "postgresql"});
  EXPECT_EQ(w.exit_code, 0) << w.out << w.err;
  EXPECT_NE(w.out.find("0 errors, 1 warning"), std::string::npos) << w.out;
}

TEST_F(LintCli, EngineIsRequiredAndChecked) {
  auto none = Run({"lint", Clean()});
  EXPECT_EQ(none.exit_code, 2);
  EXPECT_NE(none.err.find("cutover lint needs the engine the plan is written for: give --engine "
                          "postgresql|mysql|sqlite"),
            std::string::npos)
      << none.err;
  auto bogus = Run({"lint", Clean(), "--engine", "oracle"});
  EXPECT_EQ(bogus.exit_code, 2);
  EXPECT_NE(bogus.err.find("--engine: unknown engine 'oracle'"), std::string::npos) << bogus.err;
  EXPECT_EQ(Run({"lint"}).exit_code, 2);  // PLAN is required
}

TEST_F(LintCli, EngineFromATargetUriOrConfigNameWithoutConnecting) {
  // Nothing listens on this port and the password must never show.
  auto uri = Run({"lint", Dangerous(), "--target", "postgresql://app:s3cret@127.0.0.1:1/shop"});
  EXPECT_EQ(uri.exit_code, 1) << uri.out << uri.err;
  EXPECT_NE(uri.out.find("PG001"), std::string::npos);

  std::ofstream(dir_ / "cutover.toml") << "[targets.prod]\nuri = \"sqlite:///nonexistent/prod.db\"\n";
  auto named = Run({"lint", Clean(), "--target", "prod"});
  EXPECT_EQ(named.exit_code, 0) << named.out << named.err;
  EXPECT_NE(named.out.find("cutover lint (sqlite)"), std::string::npos) << named.out;

  auto contradiction = Run({"lint", Clean(), "--target", "prod", "--engine", "mysql"});
  EXPECT_EQ(contradiction.exit_code, 2);
  EXPECT_NE(contradiction.err.find("--engine mysql contradicts --target, which is a sqlite database"),
            std::string::npos)
      << contradiction.err;
  EXPECT_EQ(uri.err.find("s3cret"), std::string::npos);
}

TEST_F(LintCli, BadPlanExitsTwoWithFileAndLine) {
  const std::string plan =
      Plan("bad", {{"0001_a/expand.sql", "SELECT 1;\n-- cutover:no-transation\nSELECT 2;\n"},
                   {"0002_b/contract.sql", "SELECT 1;\n"}});
  auto r = Run({"lint", plan, "--engine", "postgresql", "--json"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("0001_a/expand.sql:2: unknown directive 'cutover:no-transation'"), std::string::npos)
      << r.err;
  EXPECT_NE(r.err.find("0002_b/expand.sql: missing"), std::string::npos) << r.err;
  auto doc = nlohmann::json::parse(r.out);
  EXPECT_EQ(doc["format"], "cutover.error");
  EXPECT_EQ(doc["exit_code"], 2);

  auto missing = Run({"lint", (dir_ / "no such plan").string(), "--engine", "sqlite"});
  EXPECT_EQ(missing.exit_code, 2);
  EXPECT_NE(missing.err.find("does not exist"), std::string::npos) << missing.err;
}

TEST_F(LintCli, JsonDocumentParses) {
  auto r = Run({"lint", Dangerous(), "--engine", "postgresql", "--json"});
  EXPECT_EQ(r.exit_code, 1) << r.err;
  auto doc = nlohmann::json::parse(r.out);
  EXPECT_EQ(doc["format"], "cutover.lint");
  EXPECT_EQ(doc["summary"]["errors"], 1);
  EXPECT_EQ(doc["summary"]["warnings"], 1);
  ASSERT_EQ(doc["findings"].size(), 2u);
  EXPECT_EQ(doc["findings"][0]["rule"], "PG001");
  EXPECT_EQ(doc["findings"][0]["file"], "0001_index/expand.sql");
  EXPECT_EQ(doc["findings"][0]["line"], 1);
  EXPECT_EQ(doc["findings"][0]["statement"], "CREATE INDEX orders_customer_idx ON orders (customer_id)");
}

TEST_F(LintCli, JunitFileIsWellFormedXml) {
  const std::string junit = (dir_ / "reports dir" / "lint results.xml").string();
  fs::create_directories(fs::path(junit).parent_path());
  auto r = Run({"lint", Dangerous(), "--engine", "postgresql", "--junit", junit});
  EXPECT_EQ(r.exit_code, 1) << r.err;
  const std::string xml = testing::ReadFileOrDie(junit);
  testing::XmlCheck check(xml);
  ASSERT_EQ(check.Run(), "") << xml;
  EXPECT_EQ(check.counts().at("testsuites"), 1);
  EXPECT_EQ(check.counts().at("failure"), 1);
  EXPECT_EQ(check.Elements("failure")[0]["type"], "PG001");

  auto clean = Run({"lint", Clean(), "--engine", "postgresql", "--junit", junit});
  EXPECT_EQ(clean.exit_code, 0);
  const std::string clean_xml = testing::ReadFileOrDie(junit);
  testing::XmlCheck clean_check(clean_xml);
  ASSERT_EQ(clean_check.Run(), "");
  EXPECT_EQ(clean_check.counts().count("failure"), 0u);
  EXPECT_EQ(clean_check.counts().at("testcase"), 2);  // one passing case per file

  auto unwritable =
      Run({"lint", Clean(), "--engine", "postgresql", "--junit", (dir_ / "no" / "dir" / "x.xml").string()});
  EXPECT_EQ(unwritable.exit_code, 3);
  EXPECT_NE(unwritable.err.find("cannot write the file"), std::string::npos) << unwritable.err;
}

TEST_F(LintCli, FromLintsTheTailOfThePlan) {
  const std::string plan = Plan("tail", {{"0001_old/expand.sql", "CREATE INDEX old_idx ON orders (a);\n"},
                                         {"0001_old/rollback.sql", ""},
                                         {"0002_new/expand.sql", "CREATE TABLE t (id int);\n"},
                                         {"0002_new/rollback.sql", "DROP TABLE t;\n"}});
  EXPECT_EQ(Run({"lint", plan, "--engine", "postgresql"}).exit_code, 1);
  auto tail = Run({"lint", plan, "--engine", "postgresql", "--from", "0002_new"});
  EXPECT_EQ(tail.exit_code, 0) << tail.out << tail.err;
  EXPECT_EQ(Run({"lint", plan, "--engine", "postgresql", "--from", "0009_x"}).exit_code, 2);
}

TEST_F(LintCli, ScratchIsNotAvailableYet) {
  auto r = Run({"lint", Clean(), "--engine", "mysql", "--scratch", "mysql://u:pw@127.0.0.1:1/"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("lint --scratch"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("not available in this version"), std::string::npos) << r.err;
}

TEST_F(LintCli, MySqlAndSqlitePlansAreSplitByTheirDrivers) {
  const std::string my = Plan("my", {{"0001_trigger/expand.sql",
                                      "-- cutover:lock-timeout 2s\n"
                                      "DELIMITER //\n"
                                      "CREATE TRIGGER t BEFORE INSERT ON orders FOR EACH ROW\n"
                                      "BEGIN SET NEW.note = 'a; DROP TABLE orders'; END//\n"
                                      "DELIMITER ;\n"
                                      "ALTER TABLE orders MODIFY quantity BIGINT NOT NULL;\n"},
                                     {"0001_trigger/rollback.sql", "DROP TRIGGER t;\n"}});
  auto m = Run({"lint", my, "--engine", "mariadb", "--json"});
  EXPECT_EQ(m.exit_code, 1) << m.err;
  auto doc = nlohmann::json::parse(m.out);
  EXPECT_EQ(doc["summary"]["statements"], 3);
  std::set<std::string> rules;
  for (const auto& f : doc["findings"])
    rules.insert(f["rule"].get<std::string>() + "@" + std::to_string(f["line"].get<int>()));
  EXPECT_EQ(rules, (std::set<std::string>{"MY001@6", "EXP004@6"}));

  const std::string sq =
      Plan("sq", {{"0001_a/expand.sql", "ALTER TABLE orders ADD COLUMN c TEXT NOT NULL;\n"},
                  {"0001_a/rollback.sql", "ALTER TABLE orders DROP COLUMN c;\n"}});
  auto s = Run({"lint", sq, "--engine", "sqlite"});
  EXPECT_EQ(s.exit_code, 1) << s.out << s.err;
  EXPECT_NE(
      s.out.find("0001_a/expand.sql:1: error SQ001: column c added to orders: SQLite cannot ADD a NOT NULL "
                 "column without a non-NULL default"),
      std::string::npos)
      << s.out;
}

}  // namespace
}  // namespace cutover
