// Owners and privileges through the cutover binary (issue 14): a PostgreSQL
// restore gives objects back their owners and GRANTs, as the engine's own
// pg_dump shows them; a role missing on the destination stops the restore,
// named with what it would have received, unless an option says otherwise;
// a MariaDB restore keeps definers and creation contexts as mariadb-dump
// shows them, and restore-test says which granted accounts the scratch
// server lacks;
// drift --with-privileges sees a GRANT and a REVOKE made by hand on both
// server engines, and plain drift does not.
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "base/strings.h"
#include "support/process.h"
#include "support/test_env.h"

namespace cutover {
namespace {
namespace fs = std::filesystem;
using Json = nlohmann::json;
using testing::CliTarget;
using testing::RunResult;
using testing::ScratchDatabase;

void FillOwnedDatabase(ScratchDatabase& db, const std::string& owner, const std::string& app,
                       const std::string& reader);
void FillMariadbSource(ScratchDatabase& db, const std::string& definer, const std::string& reader);

class AccessTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / testing::UniqueName("cutover-access-");
    fs::create_directories(dir_);
  }
  void TearDown() override {
    for (const std::string& role : roles_) Admin("postgresql", "DROP ROLE IF EXISTS " + role);
    for (const std::string& account : accounts_) Admin("mysql", "DROP USER IF EXISTS " + account);
    std::error_code ec;
    fs::remove_all(dir_, ec);
  }

  // A statement on the server's own database (roles outlive databases).
  void Admin(const std::string& engine, const std::string& sql) {
    auto conn = testing::TestDriver(engine)->Connect(testing::ServerUri(engine));
    ASSERT_TRUE(conn.ok()) << conn.status().ToString();
    auto done = (*conn)->Execute(sql);
    ASSERT_TRUE(done.ok()) << sql << ": " << done.status().ToString();
  }
  // A PostgreSQL role made for this test, dropped after it; returns it quoted.
  std::string Role(const std::string& stem) {
    const std::string name = testing::UniqueName("cutover_" + stem + "_");
    Admin("postgresql", "CREATE ROLE " + name);
    roles_.push_back(name);
    return name;
  }

  RunResult Cutover(const std::vector<std::string>& args, const CliTarget& t) {
    std::vector<std::string> all{"--repo", (dir_ / "repo").string(), "--driver-path", CUTOVER_TEST_DRIVER_DIR,
                                 "--no-progress"};
    all.insert(all.end(), args.begin(), args.end());
    return testing::RunCutover(all, testing::ProcessOptions().Env(t.env));
  }

  // `cutover restore latest --into INTO OPTIONS...`.
  RunResult RestoreLatest(const ConnectionUri& into, const std::vector<std::string>& options) {
    const CliTarget target = testing::ForCli(into);
    std::vector<std::string> args{"restore", "latest", "--into", target.text};
    args.insert(args.end(), options.begin(), options.end());
    return Cutover(args, target);
  }

  // pg_dump's schema of a database with owners and privileges, as a sorted
  // list of its statement lines (comments, blank lines and the per-dump
  // \restrict key left out): the order of GRANT lines follows the order of
  // ACL items, which is not part of what a privilege is.
  std::vector<std::string> PgDumpLines(const ConnectionUri& uri) {
    const CliTarget t = testing::ForCli(uri);
    std::string pg_dump = "pg_dump";
    for (const auto& e : fs::directory_iterator("/usr/lib/postgresql")) {
      if (fs::exists(e.path() / "bin/pg_dump")) pg_dump = (e.path() / "bin/pg_dump").string();
    }
    const fs::path out = dir_ / (testing::UniqueName("dump-") + ".sql");
    testing::ChildProcess p({pg_dump, "--schema-only", "--file", out.string(), t.text},
                            testing::ProcessOptions().Env(t.env), dir_ / "pg_dump.log");
    EXPECT_EQ(p.Wait(), 0) << p.Log();
    std::ifstream in(out);
    std::vector<std::string> lines;
    for (std::string line; std::getline(in, line);) {
      if (line.empty() || line.starts_with("--") || line.starts_with("\\restrict") ||
          line.starts_with("\\unrestrict")) {
        continue;
      }
      lines.push_back(line);
    }
    std::sort(lines.begin(), lines.end());
    return lines;
  }

  // mariadb-dump's schema of a database with its routines, triggers and
  // events (each with its definer, sql_mode and character set), the
  // database's name replaced so that two databases compare.
  std::string MariadbDump(const ConnectionUri& uri, const std::string& database) {
    const CliTarget t = testing::ForCli(uri);
    std::string dump = "mariadb-dump";
    for (const char* candidate : {"/usr/bin/mariadb-dump", "/usr/bin/mysqldump"}) {
      if (fs::exists(candidate)) {
        dump = candidate;
        break;
      }
    }
    const fs::path out = dir_ / (testing::UniqueName("dump-") + ".sql");
    testing::ChildProcess p({dump, "--host", uri.host(), "--port", std::to_string(uri.port().value_or(3306)),
                             "--user", uri.user(), "--no-data", "--routines", "--events", "--triggers",
                             "--skip-dump-date", "--skip-comments", "--result-file", out.string(), database},
                            testing::ProcessOptions().Env(t.env), dir_ / "mariadb-dump.log");
    EXPECT_EQ(p.Wait(), 0) << p.Log();
    std::string text = testing::ReadFileOrDie(out.string());
    for (std::size_t at = text.find(database); at != std::string::npos; at = text.find(database, at))
      text.replace(at, database.size(), "DB");
    return text;
  }

  // Fills `source` (FillOwnedDatabase) with roles made for the test and
  // takes a snapshot of it.
  void SnapshotOwnedSource(ScratchDatabase& source) {
    owner = Role("owner");
    app = Role("app");
    reader = Role("reader");
    FillOwnedDatabase(source, owner, app, reader);
    ASSERT_FALSE(HasFailure());
    const CliTarget src = testing::ForCli(source.uri());
    RunResult snap = Cutover({"snapshot", src.text}, src);
    ASSERT_EQ(snap.exit_code, 0) << snap.out << snap.err;
  }
  std::string owner, app, reader;  // SnapshotOwnedSource's roles

  fs::path dir_;
  std::vector<std::string> roles_;
  std::vector<std::string> accounts_;
};

// The source of the PostgreSQL tests: a schema owned by another role, a
// table with table and column grants, a sequence, a SECURITY DEFINER
// function whose EXECUTE is revoked from PUBLIC, a type, a view, `public`
// closed to PUBLIC, default privileges in the schema and everywhere, and
// the database itself closed to PUBLIC and open to the two roles.
void FillOwnedDatabase(ScratchDatabase& db, const std::string& owner, const std::string& app,
                       const std::string& reader) {
  db.Exec(
      "CREATE SCHEMA app AUTHORIZATION " + owner + ";\n" +
      "REVOKE ALL ON SCHEMA public FROM PUBLIC;\n"
      "CREATE TABLE app.docs (id integer PRIMARY KEY, body text, secret text);\n"
      "ALTER TABLE app.docs OWNER TO " +
      owner + ";\nGRANT SELECT, INSERT ON app.docs TO " + app + ";\nGRANT SELECT (id, body) ON app.docs TO " +
      reader + ";\nGRANT USAGE ON SCHEMA app TO " + app + ", " + reader +
      ";\n"
      "CREATE SEQUENCE app.counter;\nALTER SEQUENCE app.counter OWNER TO " +
      owner + ";\nGRANT USAGE ON SEQUENCE app.counter TO " + app +
      ";\n"
      "CREATE FUNCTION app.whoami() RETURNS text SECURITY DEFINER LANGUAGE sql AS 'SELECT "
      "current_user::text';\n"
      "ALTER FUNCTION app.whoami() OWNER TO " +
      owner +
      ";\nREVOKE EXECUTE ON FUNCTION app.whoami() FROM PUBLIC;\nGRANT EXECUTE ON FUNCTION app.whoami() TO " +
      app + ";\nCREATE TYPE app.mood AS ENUM ('ok', 'meh');\nALTER TYPE app.mood OWNER TO " + owner +
      ";\nCREATE VIEW app.recent AS SELECT id, body FROM app.docs;\nALTER VIEW app.recent OWNER TO " + owner +
      ";\nGRANT SELECT ON app.recent TO " + reader + " WITH GRANT OPTION;\n" +
      "ALTER DEFAULT PRIVILEGES FOR ROLE " + owner + " IN SCHEMA app GRANT SELECT ON TABLES  TO " + reader +
      ";\nALTER DEFAULT PRIVILEGES FOR ROLE " + owner + " REVOKE EXECUTE ON FUNCTIONS FROM PUBLIC;\n" +
      "ALTER DEFAULT PRIVILEGES FOR ROLE " + owner + " GRANT USAGE ON SEQUENCES TO " + app + ";\n" +
      "INSERT INTO app.docs VALUES (1, 'hello', 's3cret');\n"
      "REVOKE CONNECT, TEMPORARY ON DATABASE \"" +
      db.name() + "\" FROM PUBLIC;\nGRANT CONNECT ON DATABASE \"" + db.name() + "\" TO " + app + ", " +
      reader + ";\n");
}

TEST_F(AccessTest, PostgresqlRestoreIntoANewDatabaseHasTheSourcesOwnersAndPrivilegesAsPgDumpShowsThem) {
  ScratchDatabase source("postgresql");
  SnapshotOwnedSource(source);
  ASSERT_FALSE(HasFailure());

  const ConnectionUri fresh =
      testing::ServerUri("postgresql").WithDatabase(testing::UniqueName("cutover_scratch_"));
  const CliTarget into = testing::ForCli(fresh);
  RunResult restored = Cutover({"restore", "latest", "--into", into.text, "--json"}, into);
  ASSERT_EQ(restored.exit_code, 0) << restored.out << restored.err;
  const Json doc = Json::parse(restored.out);
  EXPECT_GE(doc["access"]["statements"].get<int>(), 12) << restored.out;
  EXPECT_TRUE(doc["access"]["skipped"].empty());

  const std::vector<std::string> want = PgDumpLines(source.uri());
  const std::vector<std::string> got = PgDumpLines(fresh);
  ASSERT_FALSE(want.empty());
  EXPECT_NE(std::find(want.begin(), want.end(), "GRANT SELECT(id) ON TABLE app.docs TO " + reader + ";"),
            want.end())
      << "the dump shows column grants: " << Join(want, "\n");
  EXPECT_NE(std::find(want.begin(), want.end(),
                      "ALTER DEFAULT PRIVILEGES FOR ROLE " + owner +
                          " IN SCHEMA app GRANT SELECT ON TABLES  TO " + reader + ";"),
            want.end())
      << "and default privileges (pg_dump prints two spaces): " << Join(want, "\n");
  EXPECT_EQ(got, want) << "pg_dump of the restored database differs from the source's";

  // What the application's role may do is what it could do on the source.
  auto conn = testing::TestDriver("postgresql")->Connect(fresh);
  ASSERT_TRUE(conn.ok());
  EXPECT_EQ(testing::Scalar(**conn, "SELECT has_table_privilege('" + app + "', 'app.docs', 'INSERT')"), "t");
  EXPECT_EQ(testing::Scalar(**conn,
                            "SELECT has_column_privilege('" + reader + "', 'app.docs', 'secret', 'SELECT')"),
            "f");
  EXPECT_EQ(testing::Scalar(**conn, "SELECT has_function_privilege('public', 'app.whoami()', 'EXECUTE')"),
            "f");
  // pg_dump shows the database's ACL only with --create: asked directly.
  EXPECT_EQ(testing::Scalar(**conn,
                            "SELECT has_database_privilege('" + reader + "', current_database(), 'CONNECT')"),
            "t");
  EXPECT_EQ(
      testing::Scalar(**conn, "SELECT has_database_privilege('public', current_database(), 'TEMPORARY')"),
      "f");
  EXPECT_EQ(testing::Scalar(**conn,
                            "SELECT relowner::regrole::text FROM pg_class WHERE oid = 'app.docs'::regclass"),
            owner);
  conn->reset();

  // restore-test compares them too, and passes.
  const CliTarget server = testing::ForCli(testing::ServerUri("postgresql"));
  RunResult rt = Cutover({"restore-test", "latest", "--scratch", server.text, "--json"}, server);
  ASSERT_EQ(rt.exit_code, 0) << rt.out << rt.err;
  bool checked = false;
  const Json report = Json::parse(rt.out);
  for (const Json& c : report["checks"]) {
    if (c["name"] != "owners and privileges") continue;
    checked = true;
    EXPECT_EQ(c["outcome"], "passed") << c.dump();
    EXPECT_NE(c["detail"].get<std::string>().find("matched"), std::string::npos) << c.dump();
  }
  EXPECT_TRUE(checked) << rt.out;
  EXPECT_TRUE(testing::TestDriver("postgresql")->DropTarget(fresh).ok());
}

TEST_F(AccessTest, PostgresqlRestoreStopsOnAMissingRoleUnlessAnOptionSaysOtherwise) {
  ScratchDatabase source("postgresql");
  SnapshotOwnedSource(source);
  ASSERT_FALSE(HasFailure());
  // The reader role is gone from the server (as on a server that never had it).
  source.Exec("DROP OWNED BY " + reader);
  Admin("postgresql", "DROP ROLE " + reader);
  ASSERT_FALSE(HasFailure());

  const ConnectionUri server = testing::ServerUri("postgresql");
  auto restore = [&](const std::string& name, const std::vector<std::string>& options) {
    return RestoreLatest(server.WithDatabase(name), options);
  };
  const std::string refused_name = testing::UniqueName("cutover_scratch_");
  RunResult refused = restore(refused_name, {});
  EXPECT_EQ(refused.exit_code, 1) << refused.out << refused.err;
  EXPECT_NE(refused.err.find(
                "has no role '" + reader + "' (USAGE on app, default SELECT on new tables of " + owner +
                " on app, SELECT on app.docs.body, SELECT on app.docs.id, SELECT WITH GRANT OPTION "
                "on app.recent and 1 more)"),
            std::string::npos)
      << refused.err;
  EXPECT_NE(refused.err.find("--skip-missing-roles"), std::string::npos) << refused.err;
  EXPECT_NE(refused.err.find("nothing was restored"), std::string::npos) << refused.err;
  EXPECT_FALSE(testing::TestDriver("postgresql")->Connect(server.WithDatabase(refused_name)).ok())
      << "the database the refused restore created was dropped";

  // --skip-missing-roles: restored, each left-out grant named.
  const std::string skipped_name = testing::UniqueName("cutover_scratch_");
  RunResult skipped = restore(skipped_name, {"--skip-missing-roles"});
  ASSERT_EQ(skipped.exit_code, 0) << skipped.out << skipped.err;
  EXPECT_NE(
      skipped.err.find("not restored (missing role " + reader + "): SELECT WITH GRANT OPTION of app.recent"),
      std::string::npos)
      << skipped.err;
  EXPECT_NE(skipped.err.find("not restored (missing role " + reader + "): CONNECT of (database)"),
            std::string::npos)
      << skipped.err;
  {
    auto conn = testing::TestDriver("postgresql")->Connect(server.WithDatabase(skipped_name));
    ASSERT_TRUE(conn.ok());
    EXPECT_EQ(testing::Scalar(**conn, "SELECT has_table_privilege('" + app + "', 'app.docs', 'INSERT')"),
              "t");
  }
  EXPECT_TRUE(testing::TestDriver("postgresql")->DropTarget(server.WithDatabase(skipped_name)).ok());

  // --no-privileges: the missing grantee does not matter; owners come back,
  // GRANTs do not.
  const std::string bare_name = testing::UniqueName("cutover_scratch_");
  RunResult bare = restore(bare_name, {"--no-privileges"});
  ASSERT_EQ(bare.exit_code, 0) << bare.out << bare.err;
  {
    auto conn = testing::TestDriver("postgresql")->Connect(server.WithDatabase(bare_name));
    ASSERT_TRUE(conn.ok());
    EXPECT_EQ(testing::Scalar(
                  **conn, "SELECT relowner::regrole::text FROM pg_class WHERE oid = 'app.docs'::regclass"),
              owner);
    EXPECT_EQ(testing::Scalar(**conn, "SELECT has_table_privilege('" + app + "', 'app.docs', 'SELECT')"),
              "f");
  }
  EXPECT_TRUE(testing::TestDriver("postgresql")->DropTarget(server.WithDatabase(bare_name)).ok());

  // --no-owner --no-privileges: everything belongs to the restoring user.
  const std::string mine_name = testing::UniqueName("cutover_scratch_");
  RunResult mine = restore(mine_name, {"--no-owner", "--no-privileges"});
  ASSERT_EQ(mine.exit_code, 0) << mine.out << mine.err;
  {
    auto conn = testing::TestDriver("postgresql")->Connect(server.WithDatabase(mine_name));
    ASSERT_TRUE(conn.ok());
    EXPECT_EQ(testing::Scalar(**conn,
                              "SELECT relowner::regrole::text = current_user FROM pg_class WHERE oid = "
                              "'app.docs'::regclass"),
              "t");
  }
  EXPECT_TRUE(testing::TestDriver("postgresql")->DropTarget(server.WithDatabase(mine_name)).ok());

  // restore-test on a server without the role: passes, and says what it
  // could not compare.
  const CliTarget scratch = testing::ForCli(server);
  RunResult rt = Cutover({"restore-test", "latest", "--scratch", scratch.text, "--json"}, scratch);
  ASSERT_EQ(rt.exit_code, 0) << rt.out << rt.err;
  std::string detail;
  const Json report = Json::parse(rt.out);
  for (const Json& c : report["checks"]) {
    if (c["name"] == "owners and privileges") detail = c["detail"].get<std::string>();
  }
  EXPECT_NE(detail.find("not compared: the server has no role '" + reader + "'"), std::string::npos)
      << rt.out;
}

// MariaDB definers: kept as recorded by default (they decide what a SQL
// SECURITY DEFINER view or routine may do), rewritten with --definer, and a
// missing account stops the restore, named with its objects.
TEST_F(AccessTest, MariadbRestoreKeepsDefinersOrGivesTheOneAskedFor) {
  const std::string user = testing::UniqueName("cutover_definer_");
  const std::string account = "'" + user + "'@'%'";
  Admin("mysql", "CREATE USER " + account);
  accounts_.push_back(account);
  ScratchDatabase source("mysql");
  source.Exec(
      "CREATE TABLE items (id int PRIMARY KEY, qty int);\n"
      "CREATE DEFINER = " +
      account +
      " SQL SECURITY DEFINER VIEW items_v AS SELECT id FROM items;\n"
      "CREATE DEFINER = " +
      account +
      " PROCEDURE bump() UPDATE items SET qty = qty + 1;\n"
      "CREATE DEFINER = " +
      account +
      " TRIGGER items_touch BEFORE UPDATE ON items FOR EACH ROW SET NEW.qty = NEW.qty;\n"
      "CREATE DEFINER = " +
      account + " EVENT tidy ON SCHEDULE EVERY 1 DAY DO DELETE FROM items WHERE qty < 0;\n");
  ASSERT_FALSE(HasFailure());
  const CliTarget src = testing::ForCli(source.uri());
  ASSERT_EQ(Cutover({"snapshot", src.text}, src).exit_code, 0);

  const ConnectionUri server = testing::ServerUri("mysql");
  Driver* driver = testing::TestDriver("mysql");
  // The view's, routine's, trigger's and event's definers: "count distinct first".
  auto definers = [&](const ConnectionUri& uri) {
    auto conn = driver->Connect(uri);
    if (!conn.ok()) return std::string("cannot connect: ") + conn.status().message();
    return testing::Scalar(
        **conn,
        "SELECT CONCAT(COUNT(*), ' ', COUNT(DISTINCT d), ' ', MIN(d)) FROM ("
        "SELECT DEFINER AS d FROM information_schema.VIEWS WHERE TABLE_SCHEMA = DATABASE() "
        "UNION ALL SELECT DEFINER FROM information_schema.ROUTINES WHERE ROUTINE_SCHEMA = DATABASE() "
        "UNION ALL SELECT DEFINER FROM information_schema.TRIGGERS WHERE TRIGGER_SCHEMA = DATABASE() "
        "UNION ALL SELECT DEFINER FROM information_schema.EVENTS WHERE EVENT_SCHEMA = DATABASE()) x");
  };
  auto restore = [&](const std::string& name, const std::vector<std::string>& options) {
    return RestoreLatest(server.WithDatabase(name), options);
  };
  const std::string kept = testing::UniqueName("cutover_scratch_");
  RunResult r = restore(kept, {});
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_EQ(definers(server.WithDatabase(kept)), "4 1 " + user + "@%");
  EXPECT_TRUE(driver->DropTarget(server.WithDatabase(kept)).ok());

  const std::string mine = testing::UniqueName("cutover_scratch_");
  r = restore(mine, {"--definer", "CURRENT_USER"});
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  {
    auto conn = driver->Connect(server);
    ASSERT_TRUE(conn.ok());
    EXPECT_EQ(definers(server.WithDatabase(mine)), "4 1 " + testing::Scalar(**conn, "SELECT CURRENT_USER()"));
  }
  EXPECT_TRUE(driver->DropTarget(server.WithDatabase(mine)).ok());

  const std::string bad = testing::UniqueName("cutover_scratch_");
  r = restore(bad, {"--definer", "no-host-here"});
  EXPECT_EQ(r.exit_code, 2) << r.out << r.err;
  EXPECT_NE(r.err.find("--definer 'no-host-here' is not an account as user@host"), std::string::npos)
      << r.err;
  EXPECT_FALSE(driver->Connect(server.WithDatabase(bad)).ok()) << "nothing was left";

  // The account is gone: the restore stops, naming it and its objects.
  Admin("mysql", "DROP USER " + account);
  accounts_.clear();
  const std::string refused = testing::UniqueName("cutover_scratch_");
  r = restore(refused, {});
  EXPECT_EQ(r.exit_code, 1) << r.out << r.err;
  EXPECT_NE(r.err.find("has no account '" + user +
                       "@%' (definer of view items_v, trigger items.items_touch, procedure bump "
                       "and 1 more)"),
            std::string::npos)
      << r.err;
  EXPECT_NE(r.err.find("--definer CURRENT_USER"), std::string::npos) << r.err;
  EXPECT_FALSE(driver->Connect(server.WithDatabase(refused)).ok()) << "the created database was dropped";

  // restore-test gives the objects the restoring account and says so.
  const CliTarget scratch = testing::ForCli(server);
  RunResult rt = Cutover({"restore-test", "latest", "--scratch", scratch.text, "--json"}, scratch);
  ASSERT_EQ(rt.exit_code, 0) << rt.out << rt.err;
  std::string detail;
  const Json report = Json::parse(rt.out);
  for (const Json& c : report["checks"]) {
    if (c["name"] == "owners and privileges") detail = c["detail"].get<std::string>();
  }
  EXPECT_NE(detail.find("definers: the server has no account '" + user + "@%'"), std::string::npos) << rt.out;
}

// The source of the MariaDB dump comparison: a view, a SECURITY DEFINER
// function, a trigger and an event with another definer, each created under
// its own sql_mode and character set, a procedure of the creating account,
// and grants of a reader account on the database and on a table.
void FillMariadbSource(ScratchDatabase& db, const std::string& definer, const std::string& reader) {
  db.Exec(
      "CREATE TABLE items (id int PRIMARY KEY AUTO_INCREMENT, name varchar(40) CHARACTER SET utf8mb3, qty "
      "int "
      "NOT NULL DEFAULT 0);\n"
      "INSERT INTO items (name, qty) VALUES ('a', 1), ('b', 2);\n"
      "CREATE DEFINER = " +
      definer +
      " SQL SECURITY DEFINER VIEW items_v AS SELECT id, name FROM items;\n"
      "SET NAMES utf8mb3 COLLATE utf8mb3_unicode_ci;\n"
      "SET SESSION sql_mode = 'ANSI_QUOTES,NO_BACKSLASH_ESCAPES,STRICT_ALL_TABLES';\n"
      "CREATE DEFINER = " +
      definer +
      " FUNCTION label(n int) RETURNS varchar(60) SQL SECURITY DEFINER DETERMINISTIC "
      "RETURN (SELECT CONCAT(\"items\".\"name\", '\\x') FROM items WHERE id = n);\n"
      "SET NAMES latin1;\nSET SESSION sql_mode = 'TRADITIONAL';\n"
      "CREATE DEFINER = " +
      definer +
      " TRIGGER items_qty BEFORE UPDATE ON items FOR EACH ROW SET NEW.qty = GREATEST(NEW.qty, 0);\n"
      "SET NAMES utf8mb4;\nSET SESSION sql_mode = DEFAULT;\n"
      "CREATE DEFINER = " +
      definer +
      " EVENT tidy ON SCHEDULE EVERY 1 DAY STARTS '2030-01-01 00:00:00' COMMENT 'nightly' "
      "DO DELETE FROM items WHERE qty < 0;\n"
      "CREATE PROCEDURE bump() MODIFIES SQL DATA UPDATE items SET qty = qty + 1;\n"
      "GRANT SELECT ON `" +
      db.name() + "`.* TO " + reader + ";\nGRANT UPDATE (qty) ON items TO " + reader + ";\n");
}

// MariaDB: a restore into a database that does not exist yet has the
// source's definers and creation contexts (sql_mode, character_set_client,
// collation_connection) as mariadb-dump shows them. Grants belong to server
// accounts and are not restored; restore-test says whether the scratch
// server has the accounts they name.
TEST_F(AccessTest, MariadbRestoreIntoANewDatabaseHasTheSourcesDefinersAndContextsAsMariadbDumpShowsThem) {
  const std::string definer = "'" + testing::UniqueName("cutover_definer_") + "'@'%'";
  const std::string reader_user = testing::UniqueName("cutover_reader_");
  const std::string account = "'" + reader_user + "'@'%'";
  for (const std::string& user : {definer, account}) {
    Admin("mysql", "CREATE USER " + user);
    accounts_.push_back(user);
  }
  ScratchDatabase source("mysql");
  FillMariadbSource(source, definer, account);
  ASSERT_FALSE(HasFailure());
  const CliTarget src = testing::ForCli(source.uri());
  ASSERT_EQ(Cutover({"snapshot", src.text}, src).exit_code, 0);

  const std::string name = testing::UniqueName("cutover_scratch_");
  const ConnectionUri fresh = testing::ServerUri("mysql").WithDatabase(name);
  RunResult restored = RestoreLatest(fresh, {});
  ASSERT_EQ(restored.exit_code, 0) << restored.out << restored.err;

  const std::string want = MariadbDump(source.uri(), source.name());
  const std::string got = MariadbDump(fresh, name);
  for (const char* context :
       {"SET sql_mode              = 'ANSI_QUOTES,NO_BACKSLASH_ESCAPES,STRICT_ALL_TABLES'",
        "SET character_set_client  = latin1", "SET collation_connection  = utf8mb3_unicode_ci",
        "EVENT `tidy`"}) {
    EXPECT_NE(want.find(context), std::string::npos) << "the dump shows " << context << ":\n" << want;
  }
  EXPECT_EQ(got, want) << "mariadb-dump of the restored database differs from the source's";
  EXPECT_TRUE(testing::TestDriver("mysql")->DropTarget(fresh).ok());

  // restore-test: not compared (not restored), but the accounts are looked up.
  const CliTarget scratch = testing::ForCli(testing::ServerUri("mysql"));
  auto access_check = [&]() {
    RunResult rt = Cutover({"restore-test", "latest", "--scratch", scratch.text, "--json"}, scratch);
    EXPECT_EQ(rt.exit_code, 0) << rt.out << rt.err;
    if (rt.exit_code != 0) return Json();
    const Json report = Json::parse(rt.out);
    for (const Json& c : report["checks"]) {
      if (c["name"] == "owners and privileges") return c;
    }
    ADD_FAILURE() << "no owners and privileges check: " << rt.out;
    return Json();
  };
  const Json present = access_check();
  EXPECT_EQ(present.value("outcome", ""), "skipped") << present.dump();
  EXPECT_NE(present.value("detail", "").find("every account granted privileges exists on the scratch server"),
            std::string::npos)
      << present.dump();
  Admin("mysql", "DROP USER " + account);
  const Json missing = access_check();
  EXPECT_NE(missing.value("detail", "")
                .find("accounts granted privileges that the scratch server lacks: " + account),
            std::string::npos)
      << missing.dump();
}

// A GRANT and a REVOKE made by hand: drift sees them only when asked.
class AccessDrift : public AccessTest, public ::testing::WithParamInterface<std::string> {};

TEST_P(AccessDrift, WithPrivilegesCatchesAHandMadeGrantAndRevokeAndPlainDriftDoesNot) {
  const std::string engine = GetParam();
  ScratchDatabase db(engine);
  std::string grantee;
  if (engine == "postgresql") {
    grantee = Role("hand");
  } else {
    grantee = "'" + testing::UniqueName("cutover_hand_") + "'@'%'";
    Admin(engine, "CREATE USER " + grantee);
    accounts_.push_back(grantee);
  }
  db.Exec("CREATE TABLE items (id integer PRIMARY KEY, qty integer)");
  db.Exec("GRANT SELECT ON items TO " + grantee);
  ASSERT_FALSE(HasFailure());
  const CliTarget t = testing::ForCli(db.uri());
  RunResult saved = Cutover({"schema", t.text, "--json"}, t);
  ASSERT_EQ(saved.exit_code, 0) << saved.err;
  std::ofstream(dir_ / "before.json") << saved.out;
  const std::string before = (dir_ / "before.json").string();
  auto drift = [&](bool with) {
    std::vector<std::string> args{"drift", t.text, "--against", before, "--json"};
    if (with) args.push_back("--with-privileges");
    return Cutover(args, t);
  };
  ASSERT_EQ(drift(true).exit_code, 0) << "no change yet";

  db.Exec("GRANT INSERT ON items TO " + grantee);
  EXPECT_EQ(drift(false).exit_code, 0) << "plain drift ignores privileges";
  RunResult granted = drift(true);
  EXPECT_EQ(granted.exit_code, 1) << granted.out << granted.err;
  EXPECT_NE(granted.out.find("access.privileges"), std::string::npos) << granted.out;
  EXPECT_NE(granted.out.find(":INSERT"), std::string::npos) << granted.out;
  EXPECT_EQ(Json::parse(granted.out)["summary"]["privileges_compared"], true);

  db.Exec("REVOKE INSERT ON items FROM " + grantee);
  EXPECT_EQ(drift(true).exit_code, 0) << "back as it was";
  db.Exec("REVOKE SELECT ON items FROM " + grantee);
  RunResult revoked = drift(true);
  EXPECT_EQ(revoked.exit_code, 1) << revoked.out;
  EXPECT_EQ(drift(false).exit_code, 0);
  db.Exec("GRANT SELECT ON items TO " + grantee);
  ASSERT_EQ(drift(true).exit_code, 0);

  // Database-level: default privileges (PostgreSQL), a grant on db.* (MariaDB).
  db.Exec(engine == "postgresql" ? "ALTER DEFAULT PRIVILEGES GRANT SELECT ON TABLES TO " + grantee
                                 : "GRANT CREATE ON `" + db.name() + "`.* TO " + grantee);
  EXPECT_EQ(drift(false).exit_code, 0) << "plain drift ignores the database object";
  RunResult database = drift(true);
  EXPECT_EQ(database.exit_code, 1) << database.out;
  EXPECT_NE(database.out.find("\"path\": \"(database)\""), std::string::npos) << database.out;

  // The configuration turns it on too.
  std::ofstream(dir_ / "cutover.toml") << "[drift]\nprivileges = true\n";
  RunResult configured =
      Cutover({"--config", (dir_ / "cutover.toml").string(), "drift", t.text, "--against", before}, t);
  EXPECT_EQ(configured.exit_code, 1) << configured.out << configured.err;
}

INSTANTIATE_TEST_SUITE_P(ServerEngines, AccessDrift, ::testing::Values("postgresql", "mysql"),
                         [](const ::testing::TestParamInfo<std::string>& p) { return p.param; });

}  // namespace
}  // namespace cutover
