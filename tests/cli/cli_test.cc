// End-to-end tests of the cutover binary: arguments, exit codes
// (docs/exit-codes.md), output formats, redaction of secrets, and scratch
// database clean-up, against real SQLite files and the test servers.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>

#include "lint_xml_check.h"
#include "support/process.h"
#include "support/test_env.h"

namespace cutover {
namespace {
namespace fs = std::filesystem;

using testing::RunResult;

class CliTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / testing::UniqueName("cutover-cli-");
    fs::create_directories(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }

  RunResult Run(const std::vector<std::string>& args, const std::string& cwd = "") {
    return testing::RunCutover(args, testing::ProcessOptions().Cwd(cwd));
  }

  // A SQLite shop database built from the fixture through the driver.
  std::string ShopDb(const std::string& name, const std::string& extra_sql = "") {
    const std::string path = (dir_ / name).string();
    { std::ofstream(path, std::ios::app); }
    auto conn = testing::TestLoader().Connect("sqlite://" + path);
    EXPECT_TRUE(conn.ok()) << conn.status().ToString();
    if (!conn.ok()) return {};
    Status st = (*conn)->ExecuteScript(
        testing::ReadFileOrDie(testing::SourceDir() + "/fixtures/sqlite/shop.sql") + extra_sql);
    EXPECT_TRUE(st.ok()) << st.ToString();
    return "sqlite://" + path;
  }

  std::string Write(const std::string& name, const std::string& text) {
    const std::string path = (dir_ / name).string();
    std::ofstream(path) << text;
    return path;
  }

  fs::path dir_;
};

TEST_F(CliTest, UsageErrorsExitTwo) {
  EXPECT_EQ(Run({"--help"}).exit_code, 0);
  EXPECT_EQ(Run({}).exit_code, 2);
  EXPECT_EQ(Run({"frobnicate"}).exit_code, 2);
  EXPECT_EQ(Run({"schema"}).exit_code, 2);
  EXPECT_EQ(Run({"drift", "sqlite:x.db"}).exit_code, 2);  // --against is required
  auto version = Run({"--version"});
  EXPECT_EQ(version.exit_code, 0);
  EXPECT_NE(version.out.find("cutover"), std::string::npos);
}

TEST_F(CliTest, DriversListsAllThreeAndTheSearchPath) {
  auto r = Run({"drivers", "--driver-path", CUTOVER_TEST_DRIVER_DIR});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  for (const char* name : {"postgresql", "mysql", "sqlite", "Search path", CUTOVER_TEST_DRIVER_DIR}) {
    EXPECT_NE(r.out.find(name), std::string::npos) << name << "\n" << r.out;
  }
  auto j = Run({"drivers", "--json"});
  ASSERT_EQ(j.exit_code, 0);
  auto doc = nlohmann::json::parse(j.out);
  EXPECT_EQ(doc["drivers"].size(), 3u);
  EXPECT_EQ(doc["interface_version"], kDriverApiVersion);
}

TEST_F(CliTest, DriversReportsABrokenPluginAndFails) {
  fs::create_directories(dir_ / "plugins");
  std::ofstream(dir_ / "plugins" / "cutover_driver_bogus.so") << "not an ELF file";
  auto r = Run({"drivers", "--driver-path", (dir_ / "plugins").string()});
  EXPECT_EQ(r.exit_code, 3);
  EXPECT_NE(r.out.find("FAILED " + (dir_ / "plugins" / "cutover_driver_bogus.so").string()),
            std::string::npos)
      << r.out;
}

TEST_F(CliTest, SchemaPrintsSummaryAndJson) {
  std::string db = ShopDb("shop.db");
  auto r = Run({"schema", db});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("table orders"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("fingerprint sha256:"), std::string::npos);
  auto j = Run({"schema", db, "--json"});
  ASSERT_EQ(j.exit_code, 0) << j.err;
  auto doc = nlohmann::json::parse(j.out);
  EXPECT_EQ(doc["format"], "cutover.schema");
  EXPECT_EQ(doc["engine"], "sqlite");
  EXPECT_GT(doc["objects"].size(), 20u);
}

// Issue 14: a table like a public application's settings table (keywords
// as names in its table constraints) once made `schema` fail, and so every
// snapshot of that database. Now it reads, snapshots, restores and shows no
// drift against itself.
TEST_F(CliTest, KeywordsAsNamesInConstraintsReadSnapshotAndRestore) {
  const std::string db = ShopDb(
      "kw.db",
      "CREATE TABLE settings (id INTEGER PRIMARY KEY, key TEXT NOT NULL, value TEXT, scope TEXT, asc INT, "
      "desc "
      "INT, UNIQUE (key, scope), UNIQUE (desc, asc), CHECK (length(key) > 0));\n"
      "INSERT INTO settings (key, value, scope) VALUES ('theme', 'dark', 'user'), ('lang', 'en', 'site');\n"
      "CREATE INDEX settings_by_desc ON settings (desc DESC, key);\n");
  RunResult schema = Run({"schema", db});
  ASSERT_EQ(schema.exit_code, 0) << schema.out << schema.err;
  EXPECT_NE(schema.out.find("unique unique(key,scope)"), std::string::npos) << schema.out;
  EXPECT_NE(schema.out.find("unique(desc,asc)"), std::string::npos) << schema.out;
  EXPECT_EQ(schema.out.find("note:"), std::string::npos) << "nothing compared as text: " << schema.out;
  const std::string repo = (dir_ / "repo").string();
  RunResult snap = Run({"--repo", repo, "snapshot", db});
  ASSERT_EQ(snap.exit_code, 0) << snap.out << snap.err;
  RunResult test = Run({"--repo", repo, "restore-test", "latest"});
  EXPECT_EQ(test.exit_code, 0) << test.out << test.err;
  RunResult drift = Run({"--repo", repo, "drift", db, "--against", "snapshot:latest"});
  EXPECT_EQ(drift.exit_code, 0) << drift.out << drift.err;
}

TEST_F(CliTest, BadTargetsGetClearErrors) {
  auto missing = Run({"schema", "sqlite://" + (dir_ / "nope.db").string()});
  EXPECT_EQ(missing.exit_code, 2);
  EXPECT_NE(missing.err.find("nope.db"), std::string::npos) << missing.err;
  auto bad_uri = Run({"schema", "oracle://u:pw@h/db"});
  EXPECT_EQ(bad_uri.exit_code, 2);
  EXPECT_NE(bad_uri.err.find("no driver serves URI scheme 'oracle'"), std::string::npos) << bad_uri.err;
  EXPECT_NE(bad_uri.err.find("postgresql (postgresql, postgres)"), std::string::npos) << bad_uri.err;
  EXPECT_EQ(bad_uri.err.find(":pw@"), std::string::npos) << bad_uri.err;
  // Aliases route by the drivers' schemes.
  auto alias = Run({"schema", "postgres:u:pw@h/db"});
  EXPECT_EQ(alias.exit_code, 2) << alias.err;
  EXPECT_NE(alias.err.find("must start with postgres://"), std::string::npos) << alias.err;
  auto unknown_name = Run({"schema", "production"});
  EXPECT_EQ(unknown_name.exit_code, 2);
  EXPECT_NE(unknown_name.err.find("neither a connection URI nor a target"), std::string::npos)
      << unknown_name.err;
  auto garbage = Write("garbage.db", std::string(8192, '\x5a'));
  auto not_db = Run({"schema", "sqlite://" + garbage});
  EXPECT_EQ(not_db.exit_code, 2) << not_db.err;
  EXPECT_NE(not_db.err.find("garbage.db"), std::string::npos) << not_db.err;
  // --json errors are documents on stdout too.
  auto json_err = Run({"schema", "sqlite://" + (dir_ / "nope.db").string(), "--json"});
  EXPECT_EQ(json_err.exit_code, 2);
  auto doc = nlohmann::json::parse(json_err.out);
  EXPECT_EQ(doc["format"], "cutover.error");
  EXPECT_EQ(doc["exit_code"], 2);
}

TEST_F(CliTest, DriftExitCodesAndReports) {
  std::string base = ShopDb("base.db");
  std::string same = ShopDb("same.db");
  std::string changed = ShopDb("changed.db",
                               "ALTER TABLE customers ADD COLUMN loyalty INTEGER;\n"
                               "DROP INDEX orders_open;\n");
  auto none = Run({"drift", same, "--against", base});
  EXPECT_EQ(none.exit_code, 0) << none.out << none.err;
  EXPECT_NE(none.out.find("No drift"), std::string::npos);

  auto drift = Run({"drift", changed, "--against", base});
  EXPECT_EQ(drift.exit_code, 1) << drift.err;
  EXPECT_NE(drift.out.find("unexpected  column customers.loyalty"), std::string::npos) << drift.out;
  EXPECT_NE(drift.out.find("missing     index orders.orders_open"), std::string::npos) << drift.out;

  auto json = Run({"drift", changed, "--against", base, "--json"});
  EXPECT_EQ(json.exit_code, 1);
  auto doc = nlohmann::json::parse(json.out);
  EXPECT_EQ(doc["drift"], true);
  EXPECT_EQ(doc["summary"]["missing"], 1);
  EXPECT_EQ(doc["summary"]["unexpected"], 1);

  auto ignored =
      Run({"drift", changed, "--against", base, "--ignore", "customers.loyalty", "--ignore", "orders.*"});
  EXPECT_EQ(ignored.exit_code, 0) << ignored.out;

  // Saved schema and DDL file as the expected side.
  auto saved = Run({"schema", base, "--json"});
  ASSERT_EQ(saved.exit_code, 0);
  std::string saved_path = Write("base.schema.json", saved.out);
  EXPECT_EQ(Run({"drift", same, "--against", saved_path}).exit_code, 0);
  EXPECT_EQ(Run({"drift", changed, "--against", saved_path}).exit_code, 1);
  std::string ddl = testing::SourceDir() + "/fixtures/sqlite/shop.sql";
  auto from_ddl = Run({"drift", same, "--against", ddl});
  EXPECT_EQ(from_ddl.exit_code, 0) << from_ddl.out << from_ddl.err;
}

TEST_F(CliTest, DriftRefusesBadExpectedInputAndChangesNothing) {
  std::string db = ShopDb("shop.db");
  auto saved = Run({"schema", db, "--json"});
  std::string tampered = saved.out;
  tampered.replace(tampered.find("\"INTEGER\""), 9, "\"BIGINT\"");
  for (const auto& [against, needle] : std::vector<std::pair<std::string, std::string>>{
           {Write("tampered.json", tampered), "does not match the content"},
           {Write("truncated.json", saved.out.substr(0, saved.out.size() / 2)), "not valid JSON"},
           {Write("bad.sql", "CREATE TABLE ok (id int);\nCREATE TABLE broken (;\n"), "bad.sql"},
           {Write("latin1.sql", "CREATE TABLE caf\xe9 (id int);"), "not UTF-8"},
           {(dir_ / "absent.sql").string(), "no such file"},
           {"history", "needs --plan DIR"},
           {"snapshot:latest", "snapshot"}}) {
    auto r = Run({"drift", db, "--against", against});
    EXPECT_EQ(r.exit_code, 2) << against << "\n" << r.err;
    EXPECT_NE(r.err.find(needle), std::string::npos) << against << "\n" << r.err;
  }
  // Nothing was written to the target.
  auto after = Run({"schema", db, "--json"});
  EXPECT_EQ(after.out, saved.out);
}

TEST_F(CliTest, ConfigTargetsIgnoresAndErrors) {
  std::string a = ShopDb("a.db");
  std::string b = ShopDb("b.db", "CREATE TABLE audit_tmp (id INTEGER);");
  std::string config = Write("cutover.toml", "[targets.live]\nuri = \"" + b + "\"\n[targets.ref]\nuri = \"" +
                                                 a + "\"\n[drift]\nignore = [\"audit_*\"]\n");
  EXPECT_EQ(Run({"--config", config, "drift", "live", "--against", "ref"}).exit_code, 0);
  // Without the config's ignore, the extra table is drift; ./cutover.toml is
  // found in the working directory.
  Write("plain.toml", "[targets.live]\nuri = \"" + b + "\"\n");
  EXPECT_EQ(Run({"--config", (dir_ / "plain.toml").string(), "drift", "live", "--against", a}).exit_code, 1);
  EXPECT_EQ(Run({"drift", "live", "--against", "ref"}, dir_.string()).exit_code, 0);
  std::string bad = Write("bad.toml", "[targets.live]\nuri = \"" + b + "\"\nurl = \"typo\"\n");
  auto r = Run({"--config", bad, "schema", "live"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find(bad + ":3: unknown key 'url'"), std::string::npos) << r.err;
  EXPECT_EQ(Run({"--config", (dir_ / "missing.toml").string(), "drivers"}).exit_code, 2);
}

TEST_F(CliTest, ServerPasswordsNeverAppearInAnyOutput) {
  for (const std::string engine : {"postgresql", "mysql"}) {
    testing::ScratchDatabase db(engine);
    const ConnectionUri& server = db.uri();
    ASSERT_TRUE(server.password().has_value());
    const std::string password = *server.password();
    auto ok = Run({"schema", server.Text(), "-v"});
    EXPECT_EQ(ok.exit_code, 0) << ok.err;
    EXPECT_EQ((ok.out + ok.err).find(password), std::string::npos) << engine;
    EXPECT_NE(ok.out.find(":***@"), std::string::npos) << ok.out.substr(0, 200);
    // Wrong password: connection error (3), and neither password is shown.
    std::string wrong = server.Text();
    wrong.replace(wrong.find(password), password.size(), "Wr0ngPassw0rd");
    auto bad = Run({"schema", wrong, "-v", "--json"});
    EXPECT_EQ(bad.exit_code, 3) << bad.err;
    EXPECT_EQ((bad.out + bad.err).find("Wr0ngPassw0rd"), std::string::npos) << bad.err;
  }
}

TEST_F(CliTest, DdlDriftOnServersUsesAndDropsAScratchDatabase) {
  for (const std::string engine : {"postgresql", "mysql"}) {
    SCOPED_TRACE(engine);
    testing::ScratchDatabase live(engine);
    std::string fixture = testing::ReadFileOrDie(testing::SourceDir() + "/fixtures/" + engine + "/shop.sql");
    live.Exec(fixture);
    ASSERT_FALSE(HasFailure());
    ConnectionUri server = testing::ServerUri(engine);
    Driver* driver = testing::TestDriver(engine);
    ASSERT_NE(driver, nullptr);
    auto before = driver->ListDatabases(server, "cutover_scratch_2");
    ASSERT_TRUE(before.ok());

    std::string ddl = testing::SourceDir() + "/fixtures/" + engine + "/shop.sql";
    auto no_scratch = Run({"drift", live.uri().Text(), "--against", ddl});
    EXPECT_EQ(no_scratch.exit_code, 2);
    EXPECT_NE(no_scratch.err.find("--scratch"), std::string::npos) << no_scratch.err;

    auto same = Run({"drift", live.uri().Text(), "--against", ddl, "--scratch", server.Text()});
    EXPECT_EQ(same.exit_code, 0) << same.out << same.err;

    std::string broken = Write("broken-" + engine + ".sql", fixture + "\nCREATE TABLE broken (;\n");
    auto failed = Run({"drift", live.uri().Text(), "--against", broken, "--scratch", server.Text()});
    EXPECT_EQ(failed.exit_code, 2) << failed.err;

    auto after = driver->ListDatabases(server, "cutover_scratch_2");
    ASSERT_TRUE(after.ok());
    EXPECT_EQ(*after, *before) << "a scratch database was left behind";
  }
}

TEST_F(CliTest, SnapshotCommandsEndToEndWithExitCodes) {
  const std::string db = ShopDb("shop.db");
  const std::string repo = (dir_ / "repo").string();
  // No repository configured: a usage error that says what to do.
  auto no_repo = Run({"snapshot", db});
  EXPECT_EQ(no_repo.exit_code, 2);
  EXPECT_NE(no_repo.err.find("--repo"), std::string::npos) << no_repo.err;

  auto snap = Run({"--repo", repo, "snapshot", db, "--json"});
  ASSERT_EQ(snap.exit_code, 0) << snap.err;
  auto j = nlohmann::json::parse(snap.out);
  const std::string id = j.at("id");
  EXPECT_GT(j.at("rows").get<int>(), 0);
  EXPECT_EQ(fs::status(fs::path(repo) / "snapshots" / id).permissions() & fs::perms::all,
            fs::perms::owner_all);

  EXPECT_EQ(Run({"--repo", repo, "verify", "latest"}).exit_code, 0);
  EXPECT_EQ(Run({"--repo", repo, "verify", id.substr(0, 10), "--deep"}).exit_code, 0);
  auto unknown = Run({"--repo", repo, "verify", "19990101"});
  EXPECT_EQ(unknown.exit_code, 2);
  EXPECT_NE(unknown.err.find("cutover snapshots"), std::string::npos) << unknown.err;

  const std::string metrics = (dir_ / "rt.prom").string();
  auto rt = Run({"--repo", repo, "restore-test", id, "--json", "--metrics-file", metrics});
  ASSERT_EQ(rt.exit_code, 0) << rt.out << rt.err;
  auto rtj = nlohmann::json::parse(rt.out);
  EXPECT_TRUE(rtj.at("ok").get<bool>());
  const std::string prom = testing::ReadFileOrDie(metrics);
  EXPECT_NE(prom.find("cutover_restore_test_success{target=\"" + db + "\"} 1"), std::string::npos) << prom;
  EXPECT_NE(prom.find("cutover_restore_test_last_success_timestamp_seconds"), std::string::npos) << prom;

  // Damage: verify and restore-test exit 1; the metrics say failure but keep the last success.
  fs::path chunk;
  for (const auto& e : fs::directory_iterator(fs::path(repo) / "snapshots" / id / "data")) chunk = e.path();
  ASSERT_FALSE(chunk.empty());
  fs::resize_file(chunk, fs::file_size(chunk) - 1);
  auto bad = Run({"--repo", repo, "verify", id});
  EXPECT_EQ(bad.exit_code, 1);
  EXPECT_NE(bad.out.find(chunk.filename().string()), std::string::npos) << bad.out;
  auto bad_rt = Run({"--repo", repo, "restore-test", id, "--metrics-file", metrics});
  EXPECT_EQ(bad_rt.exit_code, 1);
  const std::string prom2 = testing::ReadFileOrDie(metrics);
  EXPECT_NE(prom2.find("cutover_restore_test_success{target=\"" + db + "\"} 0"), std::string::npos) << prom2;
  EXPECT_NE(prom2.find("cutover_restore_test_last_success_timestamp_seconds"), std::string::npos) << prom2;

  auto list = Run({"--repo", repo, "snapshots", "--json"});
  ASSERT_EQ(list.exit_code, 0) << list.err;
  auto lj = nlohmann::json::parse(list.out);
  ASSERT_EQ(lj.at("snapshots").size(), 1u);
  EXPECT_FALSE(lj["snapshots"][0].at("last_verification").at("ok").get<bool>());
  EXPECT_FALSE(lj["snapshots"][0].at("last_restore_test").at("ok").get<bool>());

  // Drift against the snapshot's schema: none, then one after a change.
  EXPECT_EQ(Run({"--repo", repo, "drift", db, "--against", "snapshot:latest"}).exit_code, 0);
  const std::string changed = ShopDb("changed.db", "ALTER TABLE customers ADD COLUMN nickname TEXT;");
  auto drift = Run({"--repo", repo, "drift", changed, "--against", "snapshot:" + id});
  EXPECT_EQ(drift.exit_code, 1) << drift.err;
  EXPECT_NE(drift.out.find("nickname"), std::string::npos) << drift.out;
}

// restore-test --junit: one test case per check, written also when the test
// fails (exit 1); a file that cannot be written is exit 3 naming it.
TEST_F(CliTest, RestoreTestJunitIsWrittenWhenItPassesAndWhenItFails) {
  const std::string db = ShopDb("shop.db");
  const std::string repo = (dir_ / "repo").string();
  ASSERT_EQ(Run({"--repo", repo, "snapshot", db}).exit_code, 0);
  const std::string good = Write("good.sql", "SELECT 1 WHERE 1 = 0;\n");
  const std::string bad = Write("bad.sql", "SELECT id FROM customers LIMIT 1;\n");
  const std::string junit = (dir_ / "reports dir" / "restore test.xml").string();
  fs::create_directories(fs::path(junit).parent_path());

  auto pass = Run({"--repo", repo, "restore-test", "latest", "--check", good, "--junit", junit, "--json"});
  ASSERT_EQ(pass.exit_code, 0) << pass.out << pass.err;
  const std::string id = nlohmann::json::parse(pass.out).at("snapshot");
  const std::string xml = testing::ReadFileOrDie(junit);
  testing::XmlCheck check(xml);
  ASSERT_EQ(check.Run(), "") << xml;
  ASSERT_EQ(check.Elements("testsuite").size(), 1u);
  EXPECT_EQ(check.Elements("testsuite")[0]["name"], "cutover restore-test " + id);
  EXPECT_EQ(check.Elements("testsuite")[0]["failures"], "0");
  EXPECT_EQ(check.counts().count("failure"), 0u);
  std::vector<std::string> names;
  for (auto& tc : check.Elements("testcase")) names.push_back(tc["name"]);
  EXPECT_EQ(names,
            (std::vector<std::string>{"restore", "schema fingerprint", "table customers", "table order_items",
                                      "table orders", "table payments", "table products", "integrity",
                                      "acceptance check " + good + ":1", "drop the scratch database"}))
      << xml;
  EXPECT_NE(xml.find("<system-out>4 rows, content digest "), std::string::npos) << xml;

  auto fail = Run({"--repo", repo, "restore-test", "latest", "--check", bad, "--junit", junit});
  EXPECT_EQ(fail.exit_code, 1) << fail.out << fail.err;
  const std::string failed = testing::ReadFileOrDie(junit);
  testing::XmlCheck failed_check(failed);
  ASSERT_EQ(failed_check.Run(), "") << failed;
  auto failures = failed_check.Elements("failure");
  ASSERT_EQ(failures.size(), 1u) << failed;
  EXPECT_TRUE(
      failures[0]["message"].starts_with("acceptance check " + bad + ":1 returned 1 row(s), expected none"))
      << failures[0]["message"];
  EXPECT_EQ(failed_check.Elements("testsuite")[0]["failures"], "1");

  const std::string nowhere = (dir_ / "no dir" / "rt.xml").string();
  auto unwritable = Run({"--repo", repo, "restore-test", "latest", "--junit", nowhere});
  EXPECT_EQ(unwritable.exit_code, 3) << unwritable.out << unwritable.err;
  EXPECT_NE(unwritable.err.find("--junit " + nowhere + ": cannot write the file"), std::string::npos)
      << unwritable.err;
}

// A mistyped --repo: the reading commands refuse it with exit 2 naming the
// path and create nothing; `snapshot` refuses a directory with other files.
TEST_F(CliTest, MistypedRepositoryIsRefusedAndNothingIsCreated) {
  const std::string db = ShopDb("shop.db");
  const fs::path typo = dir_ / "repo-typo";
  const std::vector<std::vector<std::string>> reading = {
      {"snapshots"},
      {"verify", "latest"},
      {"restore", "latest", "--into", "sqlite://" + (dir_ / "into.db").string()},
      {"restore-test", "latest", "--scratch", "sqlite://" + (dir_ / "scratch").string()},
      {"prune", "--keep-last", "1"},
      {"drift", db, "--against", "snapshot:latest"}};
  for (const auto& command : reading) {
    std::vector<std::string> args = {"--repo", typo.string()};
    args.insert(args.end(), command.begin(), command.end());
    auto r = Run(args);
    EXPECT_EQ(r.exit_code, 2) << command[0] << ": " << r.err;
    EXPECT_NE(r.err.find(typo.string()), std::string::npos) << command[0] << ": " << r.err;
    EXPECT_FALSE(fs::exists(typo)) << command[0] << " created the repository";
    EXPECT_FALSE(fs::exists(dir_ / "into.db")) << command[0];
  }

  const fs::path other = dir_ / "documents";
  fs::create_directory(other);
  { std::ofstream(other / "report.txt") << "not a repository\n"; }
  auto snap = Run({"--repo", other.string(), "snapshot", db});
  EXPECT_EQ(snap.exit_code, 2) << snap.err;
  EXPECT_NE(snap.err.find("not a cutover repository"), std::string::npos) << snap.err;
  EXPECT_FALSE(fs::exists(other / "snapshots"));
  EXPECT_FALSE(fs::exists(other / "catalog.db"));
}

TEST_F(CliTest, RestoreRefusesNonEmptyAndPruneKeepsTheRestoreTested) {
  const std::string db = ShopDb("shop.db");
  const std::string repo = (dir_ / "repo").string();
  std::vector<std::string> ids;
  for (int i = 0; i < 3; ++i) {
    auto r = Run({"--repo", repo, "snapshot", db, "--json"});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    ids.push_back(nlohmann::json::parse(r.out).at("id"));
  }
  // Only the oldest is restore-tested: --keep-last 1 must still keep it.
  ASSERT_EQ(Run({"--repo", repo, "restore-test", ids[0]}).exit_code, 0);
  EXPECT_EQ(Run({"--repo", repo, "prune"}).exit_code, 2);
  EXPECT_EQ(Run({"--repo", repo, "prune", "--keep-within", "soon"}).exit_code, 2);
  auto dry = Run({"--repo", repo, "prune", "--keep-last", "1", "--dry-run", "--json"});
  ASSERT_EQ(dry.exit_code, 0) << dry.err;
  EXPECT_EQ(nlohmann::json::parse(dry.out).at("deleted"), nlohmann::json::array({ids[1]}));
  EXPECT_TRUE(fs::exists(fs::path(repo) / "snapshots" / ids[1]));
  ASSERT_EQ(Run({"--repo", repo, "prune", "--keep-last", "1"}).exit_code, 0);
  EXPECT_FALSE(fs::exists(fs::path(repo) / "snapshots" / ids[1]));
  EXPECT_TRUE(fs::exists(fs::path(repo) / "snapshots" / ids[0]));
  EXPECT_TRUE(fs::exists(fs::path(repo) / "snapshots" / ids[2]));

  // restore --into a non-empty database: exit 1, nothing changed.
  const std::string other = ShopDb("other.db");
  const auto before = fs::file_size(other.substr(std::string("sqlite://").size()));
  auto refused = Run({"--repo", repo, "restore", ids[2], "--into", other});
  EXPECT_EQ(refused.exit_code, 1);
  EXPECT_NE(refused.err.find("not empty"), std::string::npos) << refused.err;
  EXPECT_EQ(fs::file_size(other.substr(std::string("sqlite://").size())), before);
  const std::string fresh = "sqlite://" + (dir_ / "fresh.db").string();
  auto restored = Run({"--repo", repo, "restore", ids[2], "--into", fresh});
  EXPECT_EQ(restored.exit_code, 0) << restored.err;
  EXPECT_EQ(Run({"drift", fresh, "--against", db}).exit_code, 0);
}

}  // namespace
}  // namespace cutover
