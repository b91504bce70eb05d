// `cutover lint` end to end through the binary: exit codes (docs/exit-codes.md),
// engine selection, --json documents, --junit files, bad plans with file:line,
// MySQL/SQLite plans split by the real driver plugins, and --scratch against
// the MariaDB test server (usage errors, unreachable servers without
// passwords, the server's answers, clean-up after Ctrl-C).
#include <gtest/gtest.h>
#include <signal.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <set>
#include <thread>

#include "lint_xml_check.h"
#include "support/process.h"
#include "support/test_env.h"

namespace cutover {
namespace {
namespace fs = std::filesystem;

using testing::RunResult;

class LintCli : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / testing::UniqueName("cutover lint cli ✓-");
    fs::create_directories(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }

  // GitHub mode stays off unless a test turns it on: the suite itself may
  // run in a GitHub workflow, whose summary it must not append to.
  RunResult Run(const std::vector<std::string>& args, std::vector<std::string> env = {}) {
    return testing::RunCutover(args, testing::ProcessOptions()
                                         .Cwd(dir_.string())
                                         .Env(std::move(env))
                                         .Unset({"GITHUB_ACTIONS", "GITHUB_STEP_SUMMARY"}));
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
  EXPECT_EQ((uri.out + uri.err).find("s3cret"), std::string::npos) << uri.out << uri.err;

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

// Another tool's up file is a deploy the running app must survive: a drop is
// an expand error there, until its header says it is the contract step.
TEST_F(LintCli, AForeignUpFileIsLintedAsExpandUnlessItSaysContract) {
  const std::string plan =
      Plan("golang", {{"1_drop.up.sql", "ALTER TABLE accounts DROP COLUMN plan;\n"},
                      {"1_drop.down.sql", "ALTER TABLE accounts ADD COLUMN plan text;\n"},
                      {"2_add.up.sql", "CREATE TABLE t (id int);\n"}});
  auto expand = Run({"lint", plan, "--engine", "postgresql"});
  EXPECT_EQ(expand.exit_code, 1) << expand.out << expand.err;
  EXPECT_NE(expand.out.find("1_drop.up.sql:1: error EXP002: column plan of accounts dropped in expand"),
            std::string::npos)
      << expand.out;
  EXPECT_NE(
      expand.out.find("2_add.up.sql: error PLAN001: 2_add has no way back (golang-migrate's down, undo or "
                      "rollback)"),
      std::string::npos)
      << expand.out;
  Plan("golang",
       {{"1_drop.up.sql", "-- cutover:phase contract\nALTER TABLE accounts DROP COLUMN plan;\n"},
        {"2_add.up.sql", "-- cutover:irreversible nothing to undo in a test\nCREATE TABLE t (id int);\n"}});
  auto contract = Run({"lint", plan, "--engine", "postgresql", "--layout", "golang-migrate"});
  EXPECT_EQ(contract.exit_code, 0) << contract.out << contract.err;
  EXPECT_NE(contract.out.find("1_drop.up.sql:2: warning CON001"), std::string::npos) << contract.out;
  EXPECT_EQ(contract.out.find("EXP002"), std::string::npos) << contract.out;
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

// The runner's unescaping, inverted (actions/toolkit command.ts), written
// independently of src/report/github.cc.
std::string EscapeData(const std::string& s) {
  std::string out;
  for (char c : s) {
    out += c == '%' ? "%25" : c == '\r' ? "%0D" : c == '\n' ? "%0A" : std::string(1, c);
  }
  return out;
}
std::string EscapeProperty(const std::string& s) {
  std::string out;
  for (char c : EscapeData(s)) out += c == ':' ? "%3A" : c == ',' ? "%2C" : std::string(1, c);
  return out;
}

std::vector<std::string> WorkflowCommands(const std::string& err) {
  std::vector<std::string> out;
  size_t start = 0;
  while (start < err.size()) {
    size_t end = err.find('\n', start);
    if (end == std::string::npos) end = err.size();
    if (err.compare(start, 2, "::") == 0) out.push_back(err.substr(start, end - start));
    start = end + 1;
  }
  return out;
}

// An error (PG001), an ignored finding (PG010 on the same statement) and
// two warnings (PG010, PG011): the plan of the --sarif and --github tests.
class LintReports : public LintCli {
 protected:
  std::string Mixed(const std::string& name) {
    return Plan(name, {{"0001_a/expand.sql",
                        "-- cutover:ignore PG010 tiny | table, \"quoted\" <b>\n"
                        "CREATE INDEX i ON orders (c);\n"
                        "ALTER TABLE orders ADD COLUMN note text;\n"},
                       {"0001_a/rollback.sql", "DROP INDEX i;\n"}});
  }
};

TEST_F(LintReports, SarifFileHoldsErrorsWarningsAndSuppressedFindings) {
  Mixed("mixed");
  const std::string sarif = (dir_ / "reports dir" / "lint.sarif").string();
  fs::create_directories(fs::path(sarif).parent_path());
  // PLAN as given, relative to the working directory: "mixed".
  auto r = Run({"lint", "mixed", "--engine", "postgresql", "--sarif", sarif});
  EXPECT_EQ(r.exit_code, 1) << r.out << r.err;
  EXPECT_EQ(WorkflowCommands(r.err).size(), 0u) << "no annotations without --github: " << r.err;
  auto doc = nlohmann::json::parse(testing::ReadFileOrDie(sarif));
  EXPECT_EQ(doc["$schema"], "https://json.schemastore.org/sarif-2.1.0.json");
  EXPECT_EQ(doc["version"], "2.1.0");
  ASSERT_EQ(doc["runs"].size(), 1u);
  const auto& run = doc["runs"][0];
  EXPECT_EQ(run["tool"]["driver"]["name"], "cutover");
  EXPECT_FALSE(run["tool"]["driver"]["version"].get<std::string>().empty());
  EXPECT_FALSE(run["tool"]["driver"].contains("informationUri")) << "no made-up link";
  std::vector<std::string> rules;
  for (const auto& rule : run["tool"]["driver"]["rules"]) {
    rules.push_back(rule["id"]);
    EXPECT_FALSE(rule["fullDescription"]["text"].get<std::string>().empty());
    EXPECT_TRUE(rule["help"]["text"].get<std::string>().starts_with("fix: "));
  }
  EXPECT_EQ(rules, (std::vector<std::string>{"PG001", "PG010", "PG011"}));
  EXPECT_EQ(run["tool"]["driver"]["rules"][0]["defaultConfiguration"]["level"], "error");
  EXPECT_EQ(run["tool"]["driver"]["rules"][1]["defaultConfiguration"]["level"], "warning");

  const auto& results = run["results"];
  ASSERT_EQ(results.size(), 4u) << results.dump(2);
  std::vector<std::string> seen;
  for (const auto& res : results) {
    const auto& loc = res["locations"][0]["physicalLocation"];
    EXPECT_EQ(loc["artifactLocation"]["uri"], "mixed/0001_a/expand.sql");
    seen.push_back(res["ruleId"].get<std::string>() + " " + res["level"].get<std::string>() + " " +
                   std::to_string(loc["region"]["startLine"].get<int>()) +
                   (res.contains("suppressions") ? " suppressed" : ""));
  }
  EXPECT_EQ(seen, (std::vector<std::string>{"PG001 error 2", "PG010 warning 2 suppressed", "PG010 warning 3",
                                            "PG011 warning 3"}));
  EXPECT_EQ(results[0]["message"]["text"], "CREATE INDEX builds index i on orders under a SHARE lock");
  EXPECT_EQ(results[1]["suppressions"][0]["kind"], "inSource");
  EXPECT_EQ(results[1]["suppressions"][0]["justification"], "tiny | table, \"quoted\" <b>");

  // An absolute PLAN under the working directory gives the same paths; the
  // file is replaced, not appended to.
  ASSERT_EQ(
      Run({"lint", (dir_ / "mixed").string() + "/", "--engine", "postgresql", "--sarif", sarif}).exit_code,
      1);
  auto again = nlohmann::json::parse(testing::ReadFileOrDie(sarif));
  EXPECT_EQ(again["runs"][0]["results"][0]["locations"][0]["physicalLocation"]["artifactLocation"]["uri"],
            "mixed/0001_a/expand.sql");

  // A clean plan: a valid document without results (exit 0).
  auto clean = Run({"lint", Clean(), "--engine", "postgresql", "--sarif", sarif});
  EXPECT_EQ(clean.exit_code, 0) << clean.err;
  EXPECT_TRUE(nlohmann::json::parse(testing::ReadFileOrDie(sarif))["runs"][0]["results"].empty());
}

TEST_F(LintReports, UnwritableSarifFileIsExitThreeNamingIt) {
  const std::string bad = (dir_ / "no such dir" / "lint.sarif").string();
  auto r = Run({"lint", Mixed("mixed"), "--engine", "postgresql", "--sarif", bad});
  EXPECT_EQ(r.exit_code, 3) << r.out << r.err;
  EXPECT_NE(r.err.find("--sarif " + bad + ": cannot write the file"), std::string::npos) << r.err;
  EXPECT_FALSE(fs::exists(dir_ / "no such dir"));
}

TEST_F(LintReports, GithubAnnotationsOnStderrAndAStepSummary) {
  // A plan directory whose name needs escaping in a workflow command.
  const std::string plan_dir = "plan, v2: 100%";
  Mixed(plan_dir);
  const std::string summary = (dir_ / "summary.md").string();
  std::ofstream(summary) << "earlier step\n";
  auto r = Run({"lint", plan_dir, "--engine", "postgresql", "--github", "--json"},
               {"GITHUB_STEP_SUMMARY=" + summary});
  EXPECT_EQ(r.exit_code, 1) << r.err;
  // stdout is still exactly the JSON document.
  auto doc = nlohmann::json::parse(r.out);
  ASSERT_EQ(doc["findings"].size(), 4u);

  const std::vector<std::string> commands = WorkflowCommands(r.err);
  const std::string file = "plan%2C v2%3A 100%25/0001_a/expand.sql";
  ASSERT_EQ(commands.size(), 3u) << r.err;  // the ignored finding has none
  EXPECT_TRUE(
      commands[0].starts_with("::error file=" + file +
                              ",line=2,title=PG001%3A CREATE INDEX without CONCURRENTLY on an existing "
                              "table::CREATE INDEX builds index i on orders under a SHARE lock%0Afix: "
                              "CREATE INDEX CONCURRENTLY"))
      << commands[0];
  // Each annotation exactly: level, file, line, "RULE: title", message + fix.
  std::vector<std::string> expected;
  for (const auto& f : doc["findings"]) {
    if (f["ignored"].get<bool>()) continue;
    expected.push_back(
        "::" + f["severity"].get<std::string>() +
        " file=" + EscapeProperty(plan_dir + "/" + f["file"].get<std::string>()) +
        ",line=" + std::to_string(f["line"].get<int>()) +
        ",title=" + EscapeProperty(f["rule"].get<std::string>() + ": " + f["title"].get<std::string>()) +
        "::" + EscapeData(f["message"].get<std::string>() + "\nfix: " + f["fix"].get<std::string>()));
  }
  EXPECT_EQ(commands, expected);

  const std::string md = testing::ReadFileOrDie(summary);
  EXPECT_TRUE(md.starts_with("earlier step\n## cutover lint (postgresql): failed\n")) << md;
  EXPECT_NE(md.find("1 error(s), 2 warning(s), 1 ignored in 1 migration(s)"), std::string::npos) << md;
  EXPECT_NE(
      md.find("| rule | level | file:line | message |\n|---|---|---|---|\n"
              "| PG001 | error | plan, v2: 100%/0001_a/expand.sql:2 | CREATE INDEX builds index i on orders "
              "under a SHARE lock |\n"
              "| PG010 | ignored | plan, v2: 100%/0001_a/expand.sql:2 | SHARE lock on orders, requested with "
              "no lock timeout (ignored: tiny \\| table, \"quoted\" &lt;b&gt;) |\n"
              "| PG010 | warning | plan, v2: 100%/0001_a/expand.sql:3 |"),
      std::string::npos)
      << md;

  // Without GITHUB_STEP_SUMMARY there is nothing to append to: not an error.
  auto no_summary = Run({"lint", plan_dir, "--engine", "postgresql", "--github"});
  EXPECT_EQ(no_summary.exit_code, 1) << no_summary.err;
  EXPECT_EQ(WorkflowCommands(no_summary.err).size(), 3u);
  EXPECT_NE(no_summary.out.find("cutover lint (postgresql): 1 error"), std::string::npos) << no_summary.out;

  // A summary that cannot be written: exit 3 naming it.
  const std::string bad = (dir_ / "no dir" / "summary.md").string();
  auto unwritable =
      Run({"lint", plan_dir, "--engine", "postgresql", "--github"}, {"GITHUB_STEP_SUMMARY=" + bad});
  EXPECT_EQ(unwritable.exit_code, 3) << unwritable.err;
  EXPECT_NE(unwritable.err.find(bad), std::string::npos) << unwritable.err;
}

TEST_F(LintReports, GithubModeIsOnInsideGithubActions) {
  const std::string summary = (dir_ / "summary.md").string();
  auto on = Run({"lint", Mixed("mixed"), "--engine", "postgresql", "--json"},
                {"GITHUB_ACTIONS=true", "GITHUB_STEP_SUMMARY=" + summary});
  EXPECT_EQ(on.exit_code, 1) << on.err;
  EXPECT_TRUE(nlohmann::json::accept(on.out)) << on.out;
  const auto commands = WorkflowCommands(on.err);
  ASSERT_EQ(commands.size(), 3u) << on.err;
  EXPECT_TRUE(commands[0].starts_with("::error file=mixed/0001_a/expand.sql,line=2,title=PG001"))
      << commands[0];
  EXPECT_TRUE(commands[1].starts_with("::warning file=mixed/0001_a/expand.sql,line=3,title=PG010"))
      << commands[1];
  EXPECT_NE(testing::ReadFileOrDie(summary).find("## cutover lint (postgresql): failed"), std::string::npos);

  // A clean plan: a passing summary without a table, no annotations.
  std::ofstream(summary, std::ios::trunc).flush();
  auto clean = Run({"lint", Clean(), "--engine", "postgresql"},
                   {"GITHUB_ACTIONS=true", "GITHUB_STEP_SUMMARY=" + summary});
  EXPECT_EQ(clean.exit_code, 0) << clean.err;
  EXPECT_TRUE(WorkflowCommands(clean.err).empty()) << clean.err;
  const std::string md = testing::ReadFileOrDie(summary);
  EXPECT_TRUE(md.starts_with("## cutover lint (postgresql): passed\n\n0 error(s), 0 warning(s), 0 ignored"))
      << md;
  EXPECT_EQ(md.find("| rule |"), std::string::npos) << md;

  // Any other value is not GitHub Actions.
  auto off = Run({"lint", Mixed("mixed"), "--engine", "postgresql"}, {"GITHUB_ACTIONS=false"});
  EXPECT_TRUE(WorkflowCommands(off.err).empty()) << off.err;
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

TEST_F(LintCli, ScratchIsForMySqlPlansOnly) {
  for (const char* engine : {"postgresql", "sqlite"}) {
    auto r = Run({"lint", Clean(), "--engine", engine, "--scratch", "mysql://u:pw@127.0.0.1:1/"});
    EXPECT_EQ(r.exit_code, 2) << engine;
    EXPECT_NE(r.err.find("--scratch asks a MySQL/MariaDB server what each ALTER does and works for "
                         "MySQL/MariaDB plans only; this plan is linted as " +
                         std::string(engine)),
              std::string::npos)
        << r.err;
  }
  auto scheme =
      Run({"lint", Clean(), "--engine", "mysql", "--scratch", "postgresql://u:s3cret@127.0.0.1:1/x"});
  EXPECT_EQ(scheme.exit_code, 2);
  EXPECT_NE(scheme.err.find("--scratch postgresql://u:***@127.0.0.1:1/x is not a MySQL/MariaDB server URI"),
            std::string::npos)
      << scheme.err;
  auto malformed =
      Run({"lint", Clean(), "--engine", "mysql", "--scratch", "mysql://u:s3cret@127.0.0.1:port/"});
  EXPECT_EQ(malformed.exit_code, 2) << malformed.err;
  EXPECT_NE(malformed.err.find("--scratch"), std::string::npos) << malformed.err;
  for (const auto* r : {&scheme, &malformed}) EXPECT_EQ((r->err + r->out).find("s3cret"), std::string::npos);
}

TEST_F(LintCli, UnreachableScratchServerExitsThreeWithoutThePassword) {
  auto r =
      Run({"lint", Clean(), "--engine", "mysql", "--json", "--scratch", "mysql://app:s3cret@127.0.0.1:1/"});
  EXPECT_EQ(r.exit_code, 3) << r.out << r.err;
  EXPECT_NE(r.err.find("mysql://app:***@127.0.0.1:1"), std::string::npos) << r.err;
  EXPECT_EQ((r.err + r.out).find("s3cret"), std::string::npos);
  auto doc = nlohmann::json::parse(r.out);
  EXPECT_EQ(doc["format"], "cutover.error");
  EXPECT_EQ(doc["exit_code"], 3);
  // An unreachable --target (whose schema would be copied) is the same.
  auto target = Run({"lint", Clean(), "--target", "mysql://app:s3cret@127.0.0.1:1/shop", "--scratch",
                     testing::ServerUri("mysql").Text()});
  EXPECT_EQ(target.exit_code, 3) << target.out << target.err;
  EXPECT_NE(target.err.find("--target"), std::string::npos) << target.err;
  EXPECT_EQ((target.err + target.out).find("s3cret"), std::string::npos);
}

// The server's answers through the binary: text, JSON and JUnit, the
// target's schema copied, the scratch database gone afterwards.
TEST_F(LintCli, ScratchAsksTheServer) {
  testing::ScratchDatabase target("mysql");
  ASSERT_FALSE(HasFailure());
  target.Exec("CREATE TABLE `line items` (id INT PRIMARY KEY, qty INT, sku VARCHAR(20));\n");
  const std::string plan = Plan(
      "scratch",
      {{"0001_qty/expand.sql",
        "-- cutover:lock-timeout 2s\n"
        "ALTER TABLE `line items` ADD COLUMN note TEXT;\n"
        "ALTER TABLE `line items` ADD INDEX items_sku (sku);\n"},
       {"0001_qty/contract.sql", "-- cutover:lock-timeout 2s\nALTER TABLE `line items` MODIFY qty BIGINT;\n"},
       {"0001_qty/rollback.sql",
        "-- cutover:lock-timeout 2s\nALTER TABLE `line items` DROP COLUMN note;\n"}});
  const std::string server = testing::ServerUri("mysql").Text();
  const std::string junit = (dir_ / "lint.xml").string();
  auto r =
      Run({"lint", plan, "--target", target.uri().Text(), "--scratch", server, "--json", "--junit", junit});
  EXPECT_EQ(r.exit_code, 1) << r.out << r.err;
  auto doc = nlohmann::json::parse(r.out);
  std::set<std::string> rules;
  for (const auto& f : doc["findings"]) {
    rules.insert(f["rule"].get<std::string>() + "@" + f["file"].get<std::string>() + ":" +
                 std::to_string(f["line"].get<int>()));
    EXPECT_NE(f["message"].get<std::string>().find("(asked the server"), std::string::npos) << f["message"];
  }
  EXPECT_EQ(rules, (std::set<std::string>{"MY012@0001_qty/expand.sql:3", "MY011@0001_qty/contract.sql:2"}));
  EXPECT_EQ(doc["scratch"]["dropped"], true);
  EXPECT_EQ(doc["scratch"]["schema_from"], target.uri().Redacted());
  EXPECT_EQ(doc["scratch"]["alters_asked"], 3);
  const std::string name = doc["scratch"]["database"].get<std::string>();
  EXPECT_EQ(name.rfind("cutover_scratch_", 0), 0u) << name;
  auto left = testing::TestDriver("mysql")->ListDatabases(testing::ServerUri("mysql"), name);
  ASSERT_TRUE(left.ok());
  EXPECT_TRUE(left->empty()) << name << " was left behind";
  if (auto pw = testing::ServerUri("mysql").password(); pw && !pw->empty()) {
    EXPECT_EQ((r.out + r.err).find(*pw), std::string::npos);
  }

  const std::string xml = testing::ReadFileOrDie(junit);
  testing::XmlCheck check(xml);
  ASSERT_EQ(check.Run(), "") << xml;
  EXPECT_EQ(check.counts().at("failure"), 1);
  EXPECT_EQ(check.Elements("failure")[0]["type"], "MY011");

  auto text = Run({"lint", plan, "--target", target.uri().Text(), "--scratch", server});
  EXPECT_EQ(text.exit_code, 1);
  EXPECT_NE(
      text.out.find("0001_qty/contract.sql:2: error MY011: line items is copied or its writes are blocked "
                    "(asked the server: ALGORITHM=INSTANT refused: "),
      std::string::npos)
      << text.out;
  EXPECT_NE(text.out.find("asked the server: MariaDB"), std::string::npos) << text.out;
}

// Ctrl-C while the plan runs on the scratch database: the run stops at the
// next statement, the database is dropped, then the held signal ends the
// process (so it dies of SIGINT, as an interrupted command should).
TEST_F(LintCli, InterruptedScratchRunDropsTheDatabase) {
  std::string expand = "-- cutover:lock-timeout 2s\nCREATE TABLE t (id INT PRIMARY KEY);\n";
  for (int i = 0; i < 600; ++i) {
    expand += "ALTER TABLE t ADD COLUMN c" + std::to_string(i) + " INT;\n";
    expand += "ALTER TABLE t DROP COLUMN c" + std::to_string(i) + ";\n";
  }
  const std::string plan = Plan("long", {{"0001_long/expand.sql", expand}, {"0001_long/rollback.sql", ""}});
  const std::string err_path = (dir_ / "interrupted.err").string();
  const std::string server = testing::ServerUri("mysql").Text();
  testing::ChildProcess lint({CUTOVER_BINARY, "-v", "lint", plan, "--engine", "mysql", "--scratch", server},
                             {}, dir_ / "interrupted.out", err_path);
  ASSERT_TRUE(lint.started());
  // Wait for the scratch database to exist, then interrupt.
  std::string name;
  for (int i = 0; i < 600 && name.empty(); ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
    std::ifstream in(err_path);
    std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    const std::string marker = "created scratch database ";
    if (size_t p = text.find(marker); p != std::string::npos) {
      size_t end = text.find(' ', p + marker.size());
      name = text.substr(p + marker.size(), end - p - marker.size());
    }
  }
  std::this_thread::sleep_for(std::chrono::milliseconds(300));  // well into the plan
  const int code = lint.Stop(SIGINT);
  ASSERT_FALSE(name.empty()) << testing::ReadFileOrDie(err_path);
  EXPECT_EQ(code, 128 + SIGINT) << "it dies of SIGINT";
  auto left = testing::TestDriver("mysql")->ListDatabases(testing::ServerUri("mysql"), name);
  ASSERT_TRUE(left.ok());
  EXPECT_TRUE(left->empty()) << name << " was left behind";
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

// lint --scratch --target: the target's history table says which migrations
// its schema already holds; only the pending ones are linted and run on the
// scratch copy (the applied ones would fail there with "already exists").
TEST_F(LintCli, ScratchWithTargetLintsOnlyWhatTheHistorySaysIsPending) {
  testing::ScratchDatabase target("mysql");
  ASSERT_FALSE(target.name().empty());
  target.Exec(testing::ReadFileOrDie(testing::SourceDir() + "/fixtures/mysql/shop.sql"));
  const std::string plan = testing::SourceDir() + "/migrations-examples/mysql";
  const std::string uri = target.uri().Text();
  ASSERT_EQ(Run({"apply", uri, "--plan", plan, "--baseline", "--to", "0000_shop_baseline"}).exit_code, 0);
  ASSERT_EQ(
      Run({"apply", uri, "--plan", plan, "--phase", "expand", "--to", "0001_add_order_loyalty_points",
           "--repo", (dir_ / "repo").string(), "--no-gate", "--reason", "lint test: a migration applied"})
          .exit_code,
      0);
  const std::string server = testing::ServerUri("mysql").Text();
  auto r = Run({"-v", "--json", "lint", plan, "--target", uri, "--scratch", server});
  EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
  auto doc = nlohmann::json::parse(r.out);
  EXPECT_EQ(doc["summary"]["errors"], 0) << r.out;
  std::set<std::string> migrations;
  for (const auto& f : doc["findings"]) migrations.insert(f["file"].get<std::string>().substr(0, 4));
  EXPECT_EQ(migrations.count("0000"), 0u) << r.out;
  EXPECT_EQ(migrations.count("0001"), 0u) << r.out;
  EXPECT_NE(r.err.find("linting from there"), std::string::npos) << r.err;
}

}  // namespace
}  // namespace cutover
