// `cutover rehearse --exec` and `gate --exec` through the binary, with real
// migrators from Debian (alembic on every engine, sqitch on PostgreSQL and
// SQLite; projects in tests/exec/) against real servers: statements seen on
// the server with what they blocked, the rollback drill, the gate's binding
// to the command and the migration files, a failing command, what the
// migrator's environment holds, and bad usage (docs/rehearsal.md).
#include <gtest/gtest.h>
#include <signal.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "base/strings.h"
#include "base/subprocess.h"
#include "rehearse/rehearse_cli_fixture.h"
#include "support/process.h"
#include "support/test_env.h"

namespace cutover {
namespace {

class RehearseExec : public RehearseCli {
 protected:
  // A copy of tests/exec/<name> in the test's directory (the test edits it).
  std::string Project(const std::string& name) {
    const fs::path to = dir_ / name;
    fs::copy(testing::SourceDir() + "/tests/exec/" + name, to, fs::copy_options::recursive);
    return to.string();
  }
  std::vector<std::string> AlembicArgs(const std::string& project) {
    const std::string ini = ShellQuote(project + "/alembic.ini");
    return {"--exec",          "alembic -c " + ini + " upgrade head",
            "--exec-rollback", "alembic -c " + ini + " downgrade base",
            "--exec-hash-of",  project + "/versions"};
  }
  RunResult RehearseExecArgs(const std::vector<std::string>& exec) {
    std::vector<std::string> args{"rehearse", target_.text, "--json"};
    args.insert(args.end(), exec.begin(), exec.end());
    return Run(args);
  }
  RunResult Gate(const std::vector<std::string>& exec) {
    std::vector<std::string> args{"--json", "gate", target_.text};
    args.insert(args.end(), exec.begin(), exec.end());
    return Run(args);
  }
  static const Json* StatementWith(const Json& doc, const std::string& text) {
    for (const Json& s : doc["statements"]) {
      if (ToLower(s.value("sql", "")).find(text) != std::string::npos) return &s;
    }
    return nullptr;
  }
};

TEST_P(RehearseExec, AnAlembicUpgradeIsRehearsedMeasuredDrilledAndGated) {
  CreateItems(2000);
  SnapshotAndRestoreTest();
  ASSERT_EQ(Run({"verify", "latest"}, false).exit_code, 0);
  const std::string before = TargetFingerprint();
  const std::string project = Project("alembic");

  RunResult r = RehearseExecArgs(AlembicArgs(project));
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  const Json doc = Parse(r);
  const Json& exec = doc["exec"];
  EXPECT_EQ(exec["forward"]["exit_code"], 0) << exec.dump();
  EXPECT_EQ(exec["rollback"]["exit_code"], 0) << exec.dump();
  EXPECT_EQ(exec["hashed_files"].size(), 1u) << exec.dump();
  ASSERT_EQ(doc["rollback_drill"].size(), 1u);
  EXPECT_TRUE(doc["rollback_drill"][0].value("ran", false));
  EXPECT_TRUE(doc["rollback_drill"][0].value("ok", false)) << doc["rollback_drill"].dump();
  EXPECT_EQ(TargetFingerprint(), before) << "only the copy was migrated";

  if (engine() == "sqlite") {
    // No view of another process's statements: the command is one step.
    EXPECT_FALSE(exec.value("statements_observable", true));
    ASSERT_NE(StatementWith(doc, "$ alembic"), nullptr) << doc["statements"].dump();
  } else {
    EXPECT_TRUE(exec.value("statements_observable", false));
    // The known 400 ms pause, seen on the server and timed by its clock.
    const Json* pause = StatementWith(doc, "sleep(0.4)");
    ASSERT_NE(pause, nullptr) << doc["statements"].dump();
    EXPECT_NEAR(pause->value("duration_ms", 0.0), 400, 60) << pause->dump();
    EXPECT_EQ(pause->value("phase", ""), "expand");
    if (engine() == "postgresql") {
      // One transaction: the ALTER's lock is held through the pause, and the
      // write probes on items feel all of it.
      EXPECT_NEAR((*pause)["blocked_ms"].value("write", 0.0), 400, 80) << pause->dump();
      bool exclusive = false;
      for (const Json& s : doc["statements"]) {
        for (const Json& l : s["locks"]) exclusive |= l.value("mode", "") == "AccessExclusiveLock";
      }
      EXPECT_TRUE(exclusive) << "the ALTER's lock was seen: " << doc["statements"].dump();
    }
    EXPECT_GE(exec["forward"].value("statements", 0), 1);
    if (engine() == "mysql") {
      // A few milliseconds: too short to be seen running, listed from the
      // server's statement history (performance_schema).
      EXPECT_NE(StatementWith(doc, "alter table items add column note"), nullptr) << doc["statements"].dump();
    }
  }

  RunResult gate = Gate(AlembicArgs(project));
  EXPECT_EQ(gate.exit_code, 0) << gate.out << gate.err;
  const auto checks = GateStatuses(Parse(gate));
  EXPECT_EQ(checks.at("rehearsal.current"), "pass");
  EXPECT_EQ(checks.at("history.clean"), "skipped");
  EXPECT_EQ(checks.at("lint.clean"), "skipped");

  // An edited migration file is not what was rehearsed.
  std::ofstream(project + "/versions/0001_item_note.py", std::ios::app) << "# edited\n";
  RunResult stale = Gate(AlembicArgs(project));
  EXPECT_EQ(stale.exit_code, 1) << stale.out << stale.err;
  EXPECT_EQ(GateStatuses(Parse(stale)).at("rehearsal.current"), "fail") << stale.out;
}

TEST_P(RehearseExec, ASqitchDeployIsRehearsedWithItsRevertDrilled) {
  if (engine() == "mysql") GTEST_SKIP() << "the issue asks for sqitch on PostgreSQL and SQLite";
  CreateItems(500);
  SnapshotAndRestoreTest();
  const std::string project = Project("sqitch");
  const std::string where = engine() == "postgresql" ? "db:pg:" : "\"db:sqlite:$CUTOVER_SCRATCH_PATH\"";
  const std::string sqitch =
      "cd " + ShellQuote(project) + " && SQITCH_FULLNAME=ci SQITCH_EMAIL=ci@example.com sqitch ";
  RunResult r = RehearseExecArgs({"--exec", sqitch + "deploy --verify " + where, "--exec-rollback",
                                  sqitch + "revert -y " + where, "--exec-hash-of", project});
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  const Json doc = Parse(r);
  EXPECT_NE(doc["exec"]["forward"].value("output_tail", "").find("+ item_note"), std::string::npos)
      << doc["exec"].dump();
  ASSERT_EQ(doc["rollback_drill"].size(), 1u);
  EXPECT_TRUE(doc["rollback_drill"][0].value("ok", false)) << doc["rollback_drill"].dump();
}

// A sqitch plan read natively (--plan, not --exec): what is deployed comes
// from sqitch's registry on the target, which the copy of a MariaDB or
// SQLite target does not hold (another database, another file): the copy's
// history gets the target's rows, so only the pending change runs.
TEST_P(RehearseExec, ASqitchPlanIsRehearsedAndGatedFromItsRegistry) {
  const std::string project = WritePlan(
      "sqitch_plan",
      {{"sqitch.plan", "%syntax-version=1.0.0\n%project=" + testing::UniqueName("cutover_rh") +
                           "\n\naccounts 2024-01-01T10:00:00Z A <a@example.com>\n"},
       {"deploy/accounts.sql",
        "BEGIN;\nCREATE TABLE accounts (id INTEGER PRIMARY KEY, email VARCHAR(100) NOT NULL);\nCOMMIT;\n"},
       {"revert/accounts.sql", "BEGIN;\nDROP TABLE accounts;\nCOMMIT;\n"},
       {"verify/accounts.sql", "SELECT id, email FROM accounts WHERE 0 = 1;\n"}});
  std::string target = engine() == "sqlite" ? "db:sqlite:" + db_->uri().path()
                                            : std::string(engine() == "postgresql" ? "db:pg:" : "db:mysql:") +
                                                  db_->uri().Text().substr(db_->uri().Text().find("//"));
  ShellCommandOptions sqitch;
  sqitch.environment = {{"SQITCH_FULLNAME", "ci"}, {"SQITCH_EMAIL", "ci@example.com"}};
  auto deployed =
      RunShellCommand("sqitch --chdir " + ShellQuote(project) + " deploy " + ShellQuote(target), sqitch);
  ASSERT_TRUE(deployed.ok() && deployed->exit_code == 0) << deployed->output_tail;
  std::string rows = "INSERT INTO accounts VALUES (1, 'a1@example.com')";
  for (int i = 2; i <= 200; ++i)
    rows += ", (" + std::to_string(i) + ", 'a" + std::to_string(i) + "@example.com')";
  db_->Exec(rows);
  // The change to rehearse, added after the deploy.
  std::ofstream(project + "/sqitch.plan", std::ios::app)
      << "accounts_note 2024-01-02T10:00:00Z A <a@example.com>\n";
  std::ofstream(project + "/deploy/accounts_note.sql")
      << "ALTER TABLE accounts ADD COLUMN note VARCHAR(40);\n";
  std::ofstream(project + "/revert/accounts_note.sql") << "ALTER TABLE accounts DROP COLUMN note;\n";
  std::ofstream(project + "/verify/accounts_note.sql") << "SELECT note FROM accounts WHERE 0 = 1;\n";
  SnapshotAndRestoreTest();
  ASSERT_EQ(Run({"verify", "latest"}, false).exit_code, 0);

  RunResult status = Run({"--json", "status", target_.text, "--plan", project}, false);
  EXPECT_EQ(status.exit_code, 0) << status.out << status.err;
  RunResult r = Run({"rehearse", target_.text, "--plan", project, "--json"});
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  const Json doc = Parse(r);
  std::set<std::string> ran;
  for (const Json& st : doc["statements"]) ran.insert(st.value("migration", ""));
  EXPECT_EQ(ran, std::set<std::string>{"accounts_note"}) << "only the pending change ran: " << doc.dump();
  ASSERT_EQ(doc["rollback_drill"].size(), 1u);
  EXPECT_TRUE(doc["rollback_drill"][0].value("ok", false)) << doc["rollback_drill"].dump();

  RunResult gate = Run({"--json", "gate", target_.text, "--plan", project});
  EXPECT_EQ(gate.exit_code, 0) << gate.out << gate.err;
  const auto checks = GateStatuses(Parse(gate));
  EXPECT_EQ(checks.at("history.clean"), "pass") << gate.out;
  EXPECT_EQ(checks.at("schema.no_drift"), "pass") << gate.out;
}

TEST_P(RehearseExec, AFailingCommandIsAFindingWithItsOutputAndNoPassword) {
  CreateItems(100);
  SnapshotAndRestoreTest();
  const fs::path junit = dir_ / "exec.xml";
  RunResult r =
      RehearseExecArgs({"--exec", "echo \"url=$DATABASE_URL\"; echo 'migration 7 failed' >&2; exit 3",
                        "--junit", junit.string()});
  EXPECT_EQ(r.exit_code, 1) << r.out << r.err;
  std::ifstream xml_in(junit);
  const std::string xml((std::istreambuf_iterator<char>(xml_in)), {});
  EXPECT_NE(xml.find("<failure message=\"exit status 3\">"), std::string::npos) << xml;
  EXPECT_NE(xml.find("migration 7 failed"), std::string::npos) << xml;
  const Json doc = Parse(r);
  EXPECT_FALSE(doc.value("ok", true));
  const Json& forward = doc["exec"]["forward"];
  EXPECT_EQ(forward.value("exit_code", 0), 3);
  EXPECT_NE(forward.value("output_tail", "").find("migration 7 failed"), std::string::npos) << forward.dump();
  EXPECT_NE(forward.value("output_tail", "").find("url="), std::string::npos) << forward.dump();
  if (target_.uri.password()) {
    EXPECT_NE(forward.value("output_tail", "").find("***"), std::string::npos) << "the password is masked";
  }
  ASSERT_FALSE(doc["findings"].empty());
  EXPECT_NE(doc["findings"][0].get<std::string>().find("exited with status 3: migration 7 failed"),
            std::string::npos)
      << doc["findings"].dump();
  EXPECT_TRUE(Leftovers().empty()) << "the copy is dropped";

  // A command that does not exist: the shell's 127, a finding too.
  RunResult missing = RehearseExecArgs({"--exec", "/nonexistent/migrate up"});
  EXPECT_EQ(missing.exit_code, 1) << missing.out << missing.err;
  EXPECT_EQ(Parse(missing)["exec"]["forward"].value("exit_code", 0), 127);
}

TEST_P(RehearseExec, TheMigratorIsGivenTheCopyAndNothingThatLeadsElsewhere) {
  CreateItems(100);
  SnapshotAndRestoreTest();
  const fs::path seen = dir_ / "env.txt";
  std::vector<std::string> env = Env();
  // Inherited variables that would send a client elsewhere (ones that do
  // not change cutover's own connections, which read them too).
  env.push_back("PGSERVICEFILE=/etc/production/pg_service.conf");
  env.push_back("PGPASSFILE=/etc/production/pgpass");
  env.push_back("MYSQL_HOME=/etc/production");
  env.push_back("DATABASE_URL=postgresql://prod.example/app");
  RunResult r = testing::RunCutover(
      Args({"rehearse", target_.text, "--json", "--exec", "env > " + ShellQuote(seen.string())}, true),
      testing::ProcessOptions().Env(env));
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  std::ifstream in(seen);
  std::map<std::string, std::string> vars;
  for (std::string line; std::getline(in, line);) {
    const std::size_t eq = line.find('=');
    if (eq != std::string::npos) vars[line.substr(0, eq)] = line.substr(eq + 1);
  }
  ASSERT_EQ(vars.count("CUTOVER_SCRATCH_URI"), 1u);
  EXPECT_NE(vars["CUTOVER_SCRATCH_URI"].find("cutover_scratch_"), std::string::npos)
      << vars["CUTOVER_SCRATCH_URI"];
  EXPECT_NE(vars["DATABASE_URL"].find("cutover_scratch_"), std::string::npos) << vars["DATABASE_URL"];
  EXPECT_EQ(vars["DATABASE_URL"].find(db_->name()), std::string::npos) << "never the target";
  if (engine() == "postgresql") {
    EXPECT_EQ(vars.count("PGSERVICEFILE"), 0u);
    EXPECT_EQ(vars.count("PGPASSFILE"), 0u);
    EXPECT_EQ(vars["PGDATABASE"].rfind("cutover_scratch_", 0), 0u) << vars["PGDATABASE"];
  } else if (engine() == "mysql") {
    EXPECT_EQ(vars.count("MYSQL_HOME"), 0u);
    EXPECT_EQ(vars["MYSQL_DATABASE"].rfind("cutover_scratch_", 0), 0u) << vars["MYSQL_DATABASE"];
  } else {
    EXPECT_NE(vars["CUTOVER_SCRATCH_PATH"].find("cutover_scratch_"), std::string::npos);
    EXPECT_TRUE(fs::path(vars["CUTOVER_SCRATCH_PATH"]).is_absolute());
  }
}

TEST_P(RehearseExec, SigtermStopsTheMigratorsProcessGroupAndDropsTheCopy) {
  CreateItems(10);
  SnapshotAndRestoreTest();
  const fs::path pid_file = dir_ / "migrator.pid";
  // The migrator starts a child of its own and waits for it: the whole
  // group must go, not only the shell.
  const std::string command =
      "sleep 60 & echo $! > " + ShellQuote(pid_file.string()) + "; echo started; wait";
  std::vector<std::string> argv{CUTOVER_BINARY};
  for (const std::string& a : Args({"rehearse", target_.text, "--exec", command}, true)) argv.push_back(a);
  testing::ChildProcess p(argv, testing::ProcessOptions().Env(Env()), dir_ / "term.out", dir_ / "term.err");
  ASSERT_TRUE(p.started());
  bool running = false;
  for (int i = 0; i < 600 && !running && p.Running(); ++i) {
    std::ifstream err(dir_ / "term.err");
    running = std::string(std::istreambuf_iterator<char>(err), {}).find("exec| started") != std::string::npos;
    if (!running) std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  ASSERT_TRUE(running) << "the command never started: " << p.Log();
  std::ifstream pid_in(pid_file);
  pid_t sleeper = 0;
  pid_in >> sleeper;
  ASSERT_GT(sleeper, 0);
  const auto stopping = std::chrono::steady_clock::now();
  EXPECT_EQ(p.Stop(SIGTERM), 3) << p.Log();
  EXPECT_LT(std::chrono::steady_clock::now() - stopping, std::chrono::seconds(15));
  std::ifstream err(dir_ / "term.err");
  const std::string said(std::istreambuf_iterator<char>(err), {});
  EXPECT_NE(said.find("interrupted by SIGTERM"), std::string::npos) << said;
  // Killed: gone, or a zombie its new parent has not reaped yet.
  auto dead = [](pid_t pid) {
    if (::kill(pid, 0) != 0) return true;
    std::ifstream stat("/proc/" + std::to_string(pid) + "/stat");
    std::string pid_text, name, state;
    stat >> pid_text >> name >> state;
    return state == "Z";
  };
  bool gone = false;
  for (int i = 0; i < 100 && !gone; ++i) {
    gone = dead(sleeper);
    if (!gone) std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  EXPECT_TRUE(gone) << "the migrator's child " << sleeper << " outlived the rehearsal";
  if (!gone) ::kill(sleeper, SIGKILL);
  EXPECT_TRUE(Leftovers().empty()) << "SIGTERM left the copy behind";
}

TEST_P(RehearseExec, BadUsageIsExit2AndMakesNoCopy) {
  CreateItems(10);
  SnapshotAndRestoreTest();
  const std::vector<std::pair<std::vector<std::string>, std::string>> cases = {
      {{"--exec", "true", "--plan", dir_.string()}, "give one"},
      {{"--exec", "true", "--to", "0001"}, "--to: not with --exec"},
      {{"--exec", "true", "--layout", "flyway"}, "--layout: not with --exec"},
      {{"--exec", "   "}, "the command is empty"},
      {{"--exec-rollback", "true"}, "go with --exec"},
      {{"--exec", "true", "--exec-hash-of", (dir_ / "missing").string()}, "no such file or directory"},
      {{}, "give --plan DIR, or --exec COMMAND"},
  };
  for (const auto& [args, message] : cases) {
    SCOPED_TRACE(Join(args, " "));
    RunResult r = RehearseExecArgs(args);
    EXPECT_EQ(r.exit_code, 2) << r.out << r.err;
    EXPECT_NE(r.err.find(message), std::string::npos) << r.err;
  }
  EXPECT_TRUE(Leftovers().empty());
  RunResult gate = Gate({"--exec", "true", "--exec-hash-of", (dir_ / "missing").string()});
  EXPECT_EQ(gate.exit_code, 2) << gate.out << gate.err;
}

INSTANTIATE_TEST_SUITE_P(AllEngines, RehearseExec, ::testing::ValuesIn(testing::AllEngines()),
                         [](const ::testing::TestParamInfo<std::string>& p) { return p.param; });

}  // namespace
}  // namespace cutover
