// The driver conformance suite: one set of tests, run against every driver
// (PostgreSQL and MariaDB servers started by scripts/test-servers.sh, SQLite
// files). A driver is done when this passes; engine-specific behaviour is
// tested in drivers/<engine>/<engine>_test.cc.
#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <filesystem>
#include <fstream>
#include <functional>
#include <map>
#include <thread>

#include "base/strings.h"
#include "schema/fingerprint.h"
#include "support/test_env.h"

namespace cutover {
namespace {

using testing::ScratchDatabase;

// The little SQL that differs per engine.
struct EngineSql {
  std::string int_type;
  std::string text_type;
  std::string long_rows;      // ~1M rows of ~200 bytes: SELECT n, payload
  std::string slow_query;     // runs for seconds
  std::string kill_session;   // printf-style with one %s: the session id
  size_t max_identifier = 0;  // bytes
  // Takes a lock on table t stronger than DML's, held until `unlock_table`
  // (empty: the engine shows no locks).
  std::string lock_table;
  std::string unlock_table;
  // What LocksHeldBy names when t is locked: t itself, or the database
  // ("main": SQLite's write lock covers it all, DML included).
  std::string database_lock;
};

const EngineSql& Sql(const std::string& engine) {
  static const std::map<std::string, EngineSql> sql = {
      {"postgresql",
       {"integer", "text",
        "SELECT n, repeat('x', 200) || n::text AS payload FROM generate_series(1, 1000000) AS n",
        "SELECT pg_sleep(10)", "SELECT pg_terminate_backend(%s)", 63, "BEGIN; LOCK TABLE t IN SHARE MODE",
        "ROLLBACK", ""}},
      {"mysql",
       {"int", "text", "SELECT seq AS n, CONCAT(REPEAT('x', 200), seq) AS payload FROM seq_1_to_1000000",
        "SELECT SLEEP(10)", "KILL %s", 64, "LOCK TABLES t WRITE", "UNLOCK TABLES", ""}},
      {"sqlite",
       {"INTEGER", "TEXT",
        "WITH RECURSIVE g(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM g WHERE n < 1000000) "
        "SELECT n, printf('%.200c', 'x') || n AS payload FROM g",
        "WITH RECURSIVE g(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM g WHERE n < 4000000000) SELECT "
        "count(*) FROM g",
        "", 200, "BEGIN IMMEDIATE", "ROLLBACK", "main"}},
  };
  return sql.at(engine);
}

using testing::Scalar;

class DriverConformance : public ::testing::TestWithParam<std::string> {
 protected:
  const std::string& engine() const { return GetParam(); }
};

TEST_P(DriverConformance, ConnectsAndReportsServerAndClientVersions) {
  ScratchDatabase db(engine());
  auto conn = db.Connect();
  ASSERT_NE(conn, nullptr);
  const ServerInfo& info = conn->server_info();
  EXPECT_GT(info.version_number, 0);
  EXPECT_FALSE(info.version.empty());
  if (engine() == "postgresql") {
    EXPECT_EQ(info.product, "PostgreSQL");
  }
  if (engine() == "mysql") {
    EXPECT_EQ(info.product, "MariaDB");  // the test server is MariaDB 10.11
  }
  if (engine() == "sqlite") {
    EXPECT_EQ(info.product, "SQLite");
  }
  Driver* driver = testing::TestDriver(engine());
  ASSERT_NE(driver, nullptr);
  EXPECT_EQ(driver->info().name, engine());
  EXPECT_FALSE(driver->info().client_library.empty());
  // The display URI is redacted.
  if (db.uri().password()) {
    EXPECT_EQ(conn->display_uri().find(*db.uri().password()), std::string::npos);
  }
}

TEST_P(DriverConformance, HostileIdentifiersAndLiteralsRoundTrip) {
  ScratchDatabase db(engine());
  auto conn = db.Connect();
  ASSERT_NE(conn, nullptr);
  const auto& sql = Sql(engine());
  const std::vector<std::string> names = {"select",        "Mixed Case",
                                          "with space",    "dq\"uote",
                                          "sq'uote",       "back`tick",
                                          "semi;colon--x", "\xc3\xa4\xc3\xb6\xc3\xbc_\xe2\x82\xac",
                                          "back\\slash",   std::string(sql.max_identifier, 'n')};
  const std::vector<std::string> values = {
      "it's",   "back\\slash",          "\"dq\"", "--comment", "\xf0\x9f\x98\x80 emoji", "line\nbreak", "",
      "%_wild", "\\'; DROP TABLE x; --"};
  for (const auto& table : names) {
    SCOPED_TRACE("table name: " + table);
    const std::string qt = conn->QuoteIdentifier(table);
    const std::string qk = conn->QuoteIdentifier("id");
    auto created = conn->Execute("CREATE TABLE " + qt + " (" + qk + " " + sql.int_type + " PRIMARY KEY, " +
                                 conn->QuoteIdentifier("v") + " " + sql.text_type + ")");
    ASSERT_TRUE(created.ok()) << created.status().ToString();
    for (size_t i = 0; i < values.size(); ++i) {
      auto ins = conn->Execute("INSERT INTO " + qt + " VALUES (" + std::to_string(i) + ", " +
                               conn->QuoteLiteral(values[i]) + ")");
      ASSERT_TRUE(ins.ok()) << ins.status().ToString();
      EXPECT_EQ(*ins, 1);
    }
    std::vector<std::string> back;
    Status st = conn->Query("SELECT " + conn->QuoteIdentifier("v") + " FROM " + qt + " ORDER BY " + qk,
                            [&](RowView row) {
                              back.emplace_back(row[0].data);
                              return Status::Ok();
                            });
    ASSERT_TRUE(st.ok()) << st.ToString();
    EXPECT_EQ(back, values);
  }
  auto model = conn->ReadSchema();
  ASSERT_TRUE(model.ok()) << model.status().ToString();
  for (const auto& table : names) {
    std::string expected = table;
    // Case-insensitive engines store names lower-cased in the model.
    if (engine() == "sqlite") {
      for (char& c : expected) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    }
    const std::string schema = engine() == "postgresql" ? "public" : "";
    EXPECT_NE(model->Find(ObjectKind::kTable, schema, "", expected), nullptr) << "table " << expected;
    EXPECT_NE(model->Find(ObjectKind::kColumn, schema, expected, "v"), nullptr) << "column v of " << expected;
  }
}

TEST_P(DriverConformance, ScratchDatabasesCreateListDrop) {
  Driver* driver = testing::TestDriver(engine());
  ASSERT_NE(driver, nullptr);
  ConnectionUri server = testing::ServerUri(engine());
  const std::string prefix = testing::UniqueName("cutover_scratch_conf_");
  const std::string name = prefix + "_a";
  auto created = driver->CreateDatabase(server, name);
  ASSERT_TRUE(created.ok()) << created.status().ToString();
  auto again = driver->CreateDatabase(server, name);
  EXPECT_FALSE(again.ok()) << "creating an existing database must fail";
  auto listed = driver->ListDatabases(server, prefix);
  ASSERT_TRUE(listed.ok()) << listed.status().ToString();
  EXPECT_EQ(*listed, std::vector<std::string>{name});
  {
    auto conn = driver->Connect(*created);
    ASSERT_TRUE(conn.ok()) << conn.status().ToString();
    auto model = (*conn)->ReadSchema();
    ASSERT_TRUE(model.ok()) << model.status().ToString();
    size_t tables = 0;
    for (const auto& o : model->objects) tables += o.kind == ObjectKind::kTable;
    EXPECT_EQ(tables, 0u) << "a new scratch database must be empty";
  }
  EXPECT_TRUE(driver->DropDatabase(server, name).ok());
  EXPECT_TRUE(driver->DropDatabase(server, name).ok()) << "dropping a missing database succeeds";
  listed = driver->ListDatabases(server, prefix);
  ASSERT_TRUE(listed.ok());
  EXPECT_TRUE(listed->empty());
  EXPECT_FALSE(driver->Connect(*created).ok()) << "the dropped database is gone";
}

TEST_P(DriverConformance, StreamsALargeResultWithBoundedMemory) {
  ScratchDatabase db(engine());
  auto conn = db.Connect();
  ASSERT_NE(conn, nullptr);
  const long before = testing::ResetPeakRssKb();
  ASSERT_GE(before, 0);
  long rows = 0;
  long long bytes = 0;
  std::int64_t last = 0;
  bool ordered = true;
  Status st = conn->Query(Sql(engine()).long_rows, [&](RowView row) {
    ++rows;
    bytes += static_cast<long long>(row[1].data.size());
    std::int64_t n = std::stoll(std::string(row[0].data));
    ordered = ordered && n == last + 1;
    last = n;
    return Status::Ok();
  });
  ASSERT_TRUE(st.ok()) << st.ToString();
  EXPECT_EQ(rows, 1000000);
  EXPECT_TRUE(ordered);
  EXPECT_GT(bytes, 200LL * 1000000);
  const long growth_kb = testing::StatusKb("VmHWM") - before;
  // A buffered result would need > 200 MB; streaming needs a few MB.
  EXPECT_LT(growth_kb, 64 * 1024) << "peak RSS grew by " << growth_kb << " kB while streaming " << bytes
                                  << " bytes";
}

TEST_P(DriverConformance, CallbackErrorStopsTheQueryAndConnectionStaysUsable) {
  ScratchDatabase db(engine());
  auto conn = db.Connect();
  ASSERT_NE(conn, nullptr);
  int seen = 0;
  Status st = conn->Query(Sql(engine()).long_rows, [&](RowView) {
    return ++seen == 10 ? Status::CheckFailed("stop here") : Status::Ok();
  });
  EXPECT_EQ(st.code(), StatusCode::kCheckFailed);
  EXPECT_EQ(seen, 10);
  EXPECT_EQ(Scalar(*conn, "SELECT 1"), "1");
}

TEST_P(DriverConformance, ServerErrorsAreValuesAndTheConnectionSurvives) {
  ScratchDatabase db(engine());
  auto conn = db.Connect();
  ASSERT_NE(conn, nullptr);
  auto bad = conn->Execute("SELEC nonsense");
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.status().code(), StatusCode::kQuery);
  EXPECT_FALSE(bad.status().message().empty());
  auto missing = conn->Execute("SELECT * FROM " + conn->QuoteIdentifier("no_such_table"));
  ASSERT_FALSE(missing.ok());
  EXPECT_NE(missing.status().message().find("no_such_table"), std::string::npos)
      << missing.status().message();
  EXPECT_EQ(Scalar(*conn, "SELECT 2"), "2");
  // A script stops at the first failing statement and names it.
  Status script = conn->ExecuteScript(
      "CREATE TABLE ok1 (id int);\nCREATE TABLE ok1 (id int);\nCREATE TABLE never (id int);");
  ASSERT_FALSE(script.ok());
  EXPECT_NE(script.message().find("ok1"), std::string::npos) << script.message();
  auto model = conn->ReadSchema();
  ASSERT_TRUE(model.ok());
  const std::string schema = engine() == "postgresql" ? "public" : "";
  EXPECT_EQ(model->Find(ObjectKind::kTable, schema, "", "never"), nullptr);
}

TEST_P(DriverConformance, TransactionsCommitAndRollBack) {
  ScratchDatabase db(engine());
  db.Exec("CREATE TABLE t (id int PRIMARY KEY)");
  auto conn = db.Connect();
  ASSERT_NE(conn, nullptr);
  ASSERT_TRUE(conn->Begin().ok());
  ASSERT_TRUE(conn->Execute("INSERT INTO t VALUES (1)").ok());
  ASSERT_TRUE(conn->Rollback().ok());
  EXPECT_EQ(Scalar(*conn, "SELECT count(*) FROM t"), "0");
  ASSERT_TRUE(conn->Begin().ok());
  ASSERT_TRUE(conn->Execute("INSERT INTO t VALUES (2)").ok());
  ASSERT_TRUE(conn->Commit().ok());
  auto other = db.Connect();
  ASSERT_NE(other, nullptr);
  EXPECT_EQ(Scalar(*other, "SELECT count(*) FROM t"), "1");
  auto updated = conn->Execute("UPDATE t SET id = id + 10");
  ASSERT_TRUE(updated.ok());
  EXPECT_EQ(*updated, 1);
}

TEST_P(DriverConformance, LockTimeoutExpiresAndLockWaitsAreVisible) {
  ScratchDatabase db(engine());
  db.Exec("CREATE TABLE t (id int PRIMARY KEY, v int); INSERT INTO t VALUES (1, 0);");
  auto holder = db.Connect();
  auto waiter = db.Connect();
  auto observer = db.Connect();
  ASSERT_TRUE(holder && waiter && observer);
  ASSERT_TRUE(holder->Begin().ok());
  ASSERT_TRUE(holder->Execute("UPDATE t SET v = v + 1 WHERE id = 1").ok());

  ExecOptions short_wait;
  short_wait.lock_timeout = std::chrono::milliseconds(300);
  auto start = std::chrono::steady_clock::now();
  auto blocked = waiter->Execute("UPDATE t SET v = v + 1 WHERE id = 1", short_wait);
  auto waited = std::chrono::steady_clock::now() - start;
  ASSERT_FALSE(blocked.ok());
  EXPECT_EQ(blocked.status().code(), StatusCode::kLockTimeout) << blocked.status().ToString();
  EXPECT_LT(waited, std::chrono::seconds(5)) << "the lock timeout was not applied";
  EXPECT_EQ(Scalar(*waiter, "SELECT 3"), "3") << "the waiter is usable after its timeout";

  if (engine() == "sqlite") {
    EXPECT_EQ(observer->LockWaits().status().code(), StatusCode::kUnsupported);
  } else {
    // Now wait for real in a thread and watch it from the observer.
    const std::string waiter_id = waiter->SessionId();
    std::atomic<bool> done{false};
    ExecOptions long_wait;
    long_wait.lock_timeout = std::chrono::milliseconds(10000);
    std::thread t([&] {
      auto r = waiter->Execute("UPDATE t SET v = v + 1 WHERE id = 1", long_wait);
      EXPECT_TRUE(r.ok()) << r.status().ToString();
      done = true;
    });
    bool seen = false;
    for (int i = 0; i < 100 && !seen; ++i) {
      auto waits = observer->LockWaits();
      ASSERT_TRUE(waits.ok()) << waits.status().ToString();
      for (const auto& w : *waits) seen = seen || w.waiting_session == waiter_id;
      if (!seen) std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    EXPECT_TRUE(seen) << "LockWaits() never showed session " << waiter_id;
    ASSERT_TRUE(holder->Commit().ok());
    t.join();
    EXPECT_TRUE(done);
    return;
  }
  ASSERT_TRUE(holder->Commit().ok());
}

TEST_P(DriverConformance, StatementTimeoutExpires) {
  ScratchDatabase db(engine());
  auto conn = db.Connect();
  ASSERT_NE(conn, nullptr);
  ExecOptions opts;
  opts.statement_timeout = std::chrono::milliseconds(300);
  auto start = std::chrono::steady_clock::now();
  Status st = conn->Query(
      Sql(engine()).slow_query, [](RowView) { return Status::Ok(); }, opts);
  auto took = std::chrono::steady_clock::now() - start;
  ASSERT_FALSE(st.ok());
  EXPECT_EQ(st.code(), StatusCode::kLockTimeout) << st.ToString();
  EXPECT_LT(took, std::chrono::seconds(5));
  // The limit applied to that statement only.
  EXPECT_EQ(Scalar(*conn, "SELECT 4"), "4");
}

TEST_P(DriverConformance, CancelStopsTheRunningStatementFromAnotherThread) {
  ScratchDatabase db(engine());
  auto conn = db.Connect();
  ASSERT_NE(conn, nullptr);
  ASSERT_TRUE(conn->Cancel().ok()) << "a cancel with nothing running is harmless";
  std::this_thread::sleep_for(std::chrono::milliseconds(200));  // the server has seen it, while idle
  EXPECT_EQ(Scalar(*conn, "SELECT 3"), "3");
  Status cancel_sent = Status::Internal("not sent");
  std::thread canceller([&] {
    std::this_thread::sleep_for(std::chrono::milliseconds(300));
    cancel_sent = conn->Cancel();
  });
  const auto start = std::chrono::steady_clock::now();
  Status st = conn->Query(Sql(engine()).slow_query, [](RowView) { return Status::Ok(); });
  const auto took = std::chrono::steady_clock::now() - start;
  canceller.join();
  ASSERT_TRUE(cancel_sent.ok()) << cancel_sent.ToString();
  ASSERT_FALSE(st.ok()) << "the statement ran to its end despite the cancel";
  EXPECT_EQ(st.code(), StatusCode::kCancelled) << st.ToString();
  EXPECT_GE(took, std::chrono::milliseconds(250));
  EXPECT_LT(took, std::chrono::seconds(3)) << "the cancel did not stop the statement promptly";
  EXPECT_EQ(Scalar(*conn, "SELECT 4"), "4") << "the session stays usable";
  // A statement timeout is still a timeout, not a cancel.
  ExecOptions opts;
  opts.statement_timeout = std::chrono::milliseconds(200);
  st = conn->Query(
      Sql(engine()).slow_query, [](RowView) { return Status::Ok(); }, opts);
  EXPECT_EQ(st.code(), StatusCode::kLockTimeout) << st.ToString();
}

// Server engines only: SQLite has no sessions to kill or servers to reach.
class ServerDriverConformance : public DriverConformance {};

TEST_P(ServerDriverConformance, KilledSessionGivesAConnectionErrorNotACrash) {
  ScratchDatabase db(engine());
  auto victim = db.Connect();
  auto killer = db.Connect();
  ASSERT_TRUE(victim && killer);
  std::string sql = Sql(engine()).kill_session;
  sql.replace(sql.find("%s"), 2, victim->SessionId());
  ASSERT_TRUE(killer->Execute(sql).ok()) << sql;
  std::this_thread::sleep_for(std::chrono::milliseconds(200));
  auto r = victim->Execute("SELECT 1");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kConnection) << r.status().ToString();
  auto model = victim->ReadSchema();
  EXPECT_FALSE(model.ok());
}

TEST_P(ServerDriverConformance, ConnectFailuresAreClearAndNeverShowThePassword) {
  Driver* driver = testing::TestDriver(engine());
  ASSERT_NE(driver, nullptr);
  ConnectionUri server = testing::ServerUri(engine());
  const std::string scheme = engine() == "postgresql" ? "postgresql" : "mysql";
  const std::string port = std::to_string(*server.port());
  struct Case {
    std::string uri;
    StatusCode code;
  } cases[] = {
      {scheme + "://cutover:Wr0ng-Secret-pw@127.0.0.1:" + port + "/" + server.database(),
       StatusCode::kConnection},
      {scheme + "://cutover:Wr0ng-Secret-pw@127.0.0.1:1/x", StatusCode::kConnection},
  };
  for (const auto& c : cases) {
    auto conn = driver->Connect(*ConnectionUri::Parse(c.uri));
    ASSERT_FALSE(conn.ok()) << c.uri;
    EXPECT_EQ(conn.status().code(), c.code) << conn.status().ToString();
    EXPECT_EQ(conn.status().message().find("Wr0ng-Secret-pw"), std::string::npos) << conn.status().message();
  }
  auto no_db = driver->Connect(server.WithDatabase("cutover_no_such_database_x"));
  ASSERT_FALSE(no_db.ok());
  if (server.password()) {
    EXPECT_EQ(no_db.status().message().find(*server.password()), std::string::npos);
  }
}

TEST_P(DriverConformance, MissingDatabaseIsNamedInTheError) {
  Driver* driver = testing::TestDriver(engine());
  ASSERT_NE(driver, nullptr);
  ConnectionUri target = engine() == "sqlite"
                             ? *ConnectionUri::Parse("sqlite:///nonexistent/dir/cutover_no_such_db.db")
                             : testing::ServerUri(engine()).WithDatabase("cutover_no_such_db");
  auto conn = driver->Connect(target);
  ASSERT_FALSE(conn.ok());
  EXPECT_NE(conn.status().message().find("cutover_no_such_db"), std::string::npos) << conn.status().message();
  if (engine() == "sqlite") {
    EXPECT_EQ(conn.status().code(), StatusCode::kNotFound);
  }
}

TEST_P(DriverConformance, ReadSchemaIsDeterministic) {
  ScratchDatabase db(engine());
  std::string fixture = testing::ReadFileOrDie(testing::SourceDir() + "/fixtures/" + engine() + "/shop.sql");
  ASSERT_FALSE(fixture.empty());
  db.Exec(fixture);
  ASSERT_FALSE(HasFailure());
  auto conn = db.Connect();
  ASSERT_NE(conn, nullptr);
  auto a = conn->ReadSchema();
  auto b = conn->ReadSchema();
  ASSERT_TRUE(a.ok() && b.ok()) << a.status().ToString();
  ASSERT_EQ(a->objects.size(), b->objects.size());
  for (size_t i = 0; i < a->objects.size(); ++i) {
    EXPECT_EQ(a->objects[i].Key(), b->objects[i].Key());
    EXPECT_EQ(a->objects[i].attributes, b->objects[i].attributes) << a->objects[i].Path();
  }
  EXPECT_EQ(a->engine, engine());
  // The shop fixture has the object kinds the demo relies on.
  std::map<ObjectKind, int> kinds;
  for (const auto& o : a->objects) ++kinds[o.kind];
  for (ObjectKind k :
       {ObjectKind::kTable, ObjectKind::kColumn, ObjectKind::kPrimaryKey, ObjectKind::kForeignKey,
        ObjectKind::kIndex, ObjectKind::kView, ObjectKind::kTrigger}) {
    EXPECT_GT(kinds[k], 0) << "fixture has no " << ObjectKindName(k);
  }
}

// ---- API v3: the migration lock and transactional DDL (cutover apply) ----

TEST_P(DriverConformance, MigrationLockExcludesOtherSessionsUntilReleasedOrClosed) {
  ScratchDatabase db(engine());
  auto a = db.Connect();
  auto b = db.Connect();
  ASSERT_TRUE(a && b);
  ASSERT_TRUE(a->AcquireMigrationLock(std::chrono::milliseconds(1000)).ok());
  ASSERT_TRUE(a->AcquireMigrationLock(std::chrono::milliseconds(0)).ok()) << "taking it twice is a no-op";
  // A transaction ending does not release it: it is held for the session.
  ASSERT_TRUE(a->Begin().ok());
  ASSERT_TRUE(a->Commit().ok());
  auto start = std::chrono::steady_clock::now();
  Status st = b->AcquireMigrationLock(std::chrono::milliseconds(400));
  auto waited = std::chrono::steady_clock::now() - start;
  ASSERT_EQ(st.code(), StatusCode::kLockTimeout) << st.ToString();
  EXPECT_NE(st.message().find("another cutover apply"), std::string::npos) << st.message();
  EXPECT_GE(waited, std::chrono::milliseconds(350)) << "it must wait, not fail at once";
  EXPECT_LT(waited, std::chrono::seconds(3));
  if (engine() != "sqlite") {
    EXPECT_NE(st.message().find(a->SessionId()), std::string::npos) << "names the holder: " << st.message();
  }
  if (db.uri().password()) {
    EXPECT_EQ(st.message().find(*db.uri().password()), std::string::npos);
  }
  // Released: the other session gets it.
  ASSERT_TRUE(a->ReleaseMigrationLock().ok());
  ASSERT_TRUE(a->ReleaseMigrationLock().ok()) << "releasing a lock not held succeeds";
  ASSERT_TRUE(b->AcquireMigrationLock(std::chrono::milliseconds(1000)).ok());
  EXPECT_EQ(a->AcquireMigrationLock(std::chrono::milliseconds(100)).code(), StatusCode::kLockTimeout);
  // Closing the holder's connection releases it (crash safety).
  b.reset();
  EXPECT_TRUE(a->AcquireMigrationLock(std::chrono::milliseconds(3000)).ok());
  // Another database has its own lock.
  ScratchDatabase other(engine());
  auto c = other.Connect();
  ASSERT_NE(c, nullptr);
  EXPECT_TRUE(c->AcquireMigrationLock(std::chrono::milliseconds(100)).ok());
}

TEST_P(DriverConformance, TransactionalDdlSaysWhetherDdlRollsBack) {
  ScratchDatabase db(engine());
  auto conn = db.Connect();
  ASSERT_NE(conn, nullptr);
  EXPECT_EQ(conn->TransactionalDdl(), engine() != "mysql");
  ASSERT_TRUE(conn->Begin().ok());
  ASSERT_TRUE(conn->Execute("CREATE TABLE ddl_probe (id int)").ok());
  (void)conn->Rollback();
  auto probe = conn->Execute("SELECT 1 FROM ddl_probe");
  EXPECT_EQ(probe.ok(), !conn->TransactionalDdl()) << "the table survived the rollback: " << probe.ok();
}

TEST_P(DriverConformance, DdlWaitingForATableLockIsALockTimeout) {
  ScratchDatabase db(engine());
  db.Exec("CREATE TABLE t (id int PRIMARY KEY, v int); INSERT INTO t VALUES (1, 0);");
  auto holder = db.Connect();
  auto ddl = db.Connect();
  ASSERT_TRUE(holder && ddl);
  ASSERT_TRUE(holder->Begin().ok());
  ASSERT_TRUE(holder->Execute("UPDATE t SET v = v + 1 WHERE id = 1").ok());
  ExecOptions o;
  o.lock_timeout = std::chrono::milliseconds(500);
  auto start = std::chrono::steady_clock::now();
  auto r = ddl->Execute("ALTER TABLE t ADD COLUMN w int", o);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kLockTimeout) << r.status().ToString();
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(5));
  ASSERT_TRUE(holder->Commit().ok());
  EXPECT_TRUE(ddl->Execute("ALTER TABLE t ADD COLUMN w int", o).ok()) << "works once the lock is gone";
}

// ---- API v5: what the core used to do with engine knowledge -------------

TEST_P(DriverConformance, TableExistsSeesBaseTablesOfTheCurrentSchemaOnly) {
  ScratchDatabase db(engine());
  auto conn = db.Connect();
  ASSERT_NE(conn, nullptr);
  const std::string hostile = "we\"ird 't`able";
  db.Exec("CREATE TABLE " + conn->QuoteIdentifier(hostile) + " (id int PRIMARY KEY)");
  db.Exec("CREATE VIEW v AS SELECT 1 AS one");
  auto table = conn->TableExists(hostile);
  ASSERT_TRUE(table.ok()) << table.status().ToString();
  EXPECT_TRUE(*table);
  auto view = conn->TableExists("v");
  ASSERT_TRUE(view.ok()) << view.status().ToString();
  EXPECT_FALSE(*view) << "a view is not a table";
  auto missing = conn->TableExists("no_such_table' OR '1'='1");
  ASSERT_TRUE(missing.ok()) << missing.status().ToString();
  EXPECT_FALSE(*missing);
}

TEST_P(DriverConformance, SetReadOnlyRefusesWritesAndKeepsReads) {
  ScratchDatabase db(engine());
  db.Exec("CREATE TABLE t (id int PRIMARY KEY)");
  auto conn = db.Connect();
  ASSERT_NE(conn, nullptr);
  ASSERT_TRUE(conn->SetReadOnly().ok());
  EXPECT_EQ(Scalar(*conn, "SELECT count(*) FROM t"), "0");
  auto write = conn->Execute("INSERT INTO t VALUES (1)");
  EXPECT_FALSE(write.ok()) << "a read-only session wrote";
  auto other = db.Connect();
  ASSERT_NE(other, nullptr);
  EXPECT_EQ(Scalar(*other, "SELECT count(*) FROM t"), "0");
  EXPECT_TRUE(other->Execute("INSERT INTO t VALUES (2)").ok()) << "only that session is read-only";
}

// SQLite takes its write lock up front, so a second writer waits at most its
// lock timeout; the server engines lock per statement and let both begin.
TEST_P(DriverConformance, BeginWriteTakesTheWriteLockWhereTheEngineHasOne) {
  ScratchDatabase db(engine());
  db.Exec("CREATE TABLE t (id int PRIMARY KEY)");
  auto first = db.Connect();
  auto second = db.Connect();
  ASSERT_TRUE(first && second);
  ASSERT_TRUE(first->BeginWrite(std::chrono::milliseconds(2000)).ok());
  ASSERT_TRUE(first->Execute("INSERT INTO t VALUES (1)").ok());
  const auto start = std::chrono::steady_clock::now();
  Status again = second->BeginWrite(std::chrono::milliseconds(300));
  const auto waited = std::chrono::steady_clock::now() - start;
  if (engine() == "sqlite") {
    EXPECT_EQ(again.code(), StatusCode::kLockTimeout) << again.ToString();
    EXPECT_GE(waited, std::chrono::milliseconds(250));
    EXPECT_LT(waited, std::chrono::seconds(3));
  } else {
    EXPECT_TRUE(again.ok()) << again.ToString();
    EXPECT_TRUE(second->Rollback().ok());
  }
  ASSERT_TRUE(first->Commit().ok());
  EXPECT_EQ(Scalar(*second, "SELECT count(*) FROM t"), "1");
}

TEST_P(DriverConformance, PrepareRestoreSessionLeavesAWorkingSession) {
  for (bool scratch : {false, true}) {
    ScratchDatabase db(engine());
    auto conn = db.Connect();
    ASSERT_NE(conn, nullptr);
    ASSERT_TRUE(conn->PrepareRestoreSession(scratch).ok()) << scratch;
    ASSERT_TRUE(conn->Execute("CREATE TABLE t (id int PRIMARY KEY)").ok());
    ASSERT_TRUE(conn->Execute("INSERT INTO t VALUES (1), (2)").ok());
    EXPECT_EQ(Scalar(*conn, "SELECT count(*) FROM t"), "2");
  }
}

// Ranges by physical position partition the table: every row in exactly one.
TEST_P(DriverConformance, PhysicalRangesPartitionTheTableOrAreEmpty) {
  ScratchDatabase db(engine());
  auto conn = db.Connect();
  ASSERT_NE(conn, nullptr);
  db.Exec("CREATE TABLE t (id int PRIMARY KEY, pad " + Sql(engine()).text_type + ")");
  const std::string rows = Sql(engine()).long_rows;
  ASSERT_TRUE(
      conn->Execute("INSERT INTO t (id, pad) SELECT n, payload FROM (" + rows + ") AS g WHERE n <= 20000")
          .ok());
  DataTable t;
  t.name = "t";
  t.schema = engine() == "postgresql" ? "public" : "";
  auto ranges = conn->PhysicalRanges(t, 4);
  ASSERT_TRUE(ranges.ok()) << ranges.status().ToString();
  if (engine() != "postgresql") {
    EXPECT_TRUE(ranges->empty()) << "no physical addresses on " << engine();
    return;
  }
  ASSERT_EQ(ranges->size(), 4u) << "PostgreSQL 14+ splits by TID ranges";
  std::int64_t total = 0;
  for (const std::string& predicate : *ranges) {
    const std::string n = Scalar(*conn, "SELECT count(*) FROM t WHERE " + predicate);
    EXPECT_NE(n, "0") << predicate;
    total += std::stoll(n);
  }
  EXPECT_EQ(total, 20000);
  auto one = conn->PhysicalRanges(t, 1);
  ASSERT_TRUE(one.ok());
  EXPECT_TRUE(one->empty()) << "one part needs no split";
}

TEST_P(DriverConformance, ClassifyStatementReadsTheDumpShapesWithTheEnginesQuoting) {
  Driver* driver = testing::TestDriver(engine());
  ASSERT_NE(driver, nullptr);
  ScratchDatabase db(engine());
  auto conn = db.Connect();
  ASSERT_NE(conn, nullptr);
  using Kind = StatementClass::Kind;
  const std::string hostile = conn->QuoteIdentifier("Ta\"b`le ON x");
  struct Case {
    std::string sql;
    Kind kind;
    std::string table;
    bool exclusive;
  } cases[] = {
      {"CREATE INDEX i ON t (a)", Kind::kIndexBuild, "t", false},
      {"CREATE UNIQUE INDEX i ON " + hostile + " (a)", Kind::kIndexBuild, "Ta\"b`le ON x", false},
      {"ALTER TABLE T ADD PRIMARY KEY (id)", Kind::kIndexBuild, "t", true},
      {"ALTER TABLE t ADD CONSTRAINT f FOREIGN KEY (a) REFERENCES p (id)", Kind::kOther, "", false},
      {"SET x = 1", Kind::kSessionSetting, "", false},
      {"SET CONSTRAINTS ALL DEFERRED", Kind::kOther, "", false},
      {"-- a comment\nINSERT INTO t VALUES (1)", Kind::kOther, "", false},
  };
  for (const Case& c : cases) {
    const StatementClass got = driver->ClassifyStatement(c.sql);
    EXPECT_EQ(got.kind, c.kind) << c.sql;
    EXPECT_EQ(got.table, c.table) << c.sql;
    EXPECT_EQ(got.exclusive, c.exclusive) << c.sql;
  }
  // Quoted names and literals are read by the engine's own rules: a misread
  // quote would expose the ON or the FOREIGN KEY written inside them.
  const std::string index = "CREATE INDEX " + conn->QuoteIdentifier("i\" ON wrong (` ON wrong") + " ON t (a)";
  EXPECT_EQ(driver->ClassifyStatement(index).table, "t") << index;
  const std::string literal =
      "ALTER TABLE t ADD PRIMARY KEY (id) " +
      conn->QuoteLiteral("x\\', ADD CONSTRAINT f FOREIGN KEY (a) REFERENCES p (id) -- '");
  const StatementClass got = driver->ClassifyStatement(literal);
  EXPECT_EQ(got.kind, Kind::kIndexBuild) << literal;
  EXPECT_TRUE(got.exclusive) << literal;
}

// API v8: every engine creates a missing restore target (the URI's user
// owns it) and DropTarget removes it; an existing one is left alone, with
// its data.
TEST_P(DriverConformance, MissingRestoreTargetsAreCreatedAndDropTargetRemovesThem) {
  Driver* driver = testing::TestDriver(engine());
  ASSERT_NE(driver, nullptr);
  const ConnectionUri server = testing::ServerUri(engine());
  std::filesystem::create_directories(server.path());  // SQLite's "server" directory
  const std::string name = testing::UniqueName("cutover_scratch_target_");
  const ConnectionUri target =
      engine() == "sqlite" ? server.WithPath(server.path() + "/" + name + ".db") : server.WithDatabase(name);
  auto created = driver->CreateTargetIfMissing(target);
  ASSERT_TRUE(created.ok()) << created.status().ToString();
  EXPECT_TRUE(*created);
  {
    auto conn = driver->Connect(target);
    ASSERT_TRUE(conn.ok()) << conn.status().ToString();
    ASSERT_TRUE((*conn)->ExecuteScript("CREATE TABLE kept (id INTEGER PRIMARY KEY)").ok());
  }
  auto again = driver->CreateTargetIfMissing(target);
  ASSERT_TRUE(again.ok()) << again.status().ToString();
  EXPECT_FALSE(*again) << "an existing database is left alone";
  {
    auto conn = driver->Connect(target);
    ASSERT_TRUE(conn.ok());
    EXPECT_TRUE(*(*conn)->TableExists("kept")) << "and keeps what it holds";
  }
  ASSERT_TRUE(driver->DropTarget(target).ok());
  EXPECT_FALSE(driver->Connect(target).ok()) << "the database is gone";
  if (engine() == "sqlite") {
    EXPECT_FALSE(std::filesystem::exists(target.path()));
  }
  EXPECT_TRUE(driver->DropTarget(target).ok()) << "dropping what is gone succeeds";
  if (engine() != "sqlite") {
    auto nameless = driver->CreateTargetIfMissing(server.WithDatabase(""));
    ASSERT_FALSE(nameless.ok());
    EXPECT_EQ(nameless.status().code(), StatusCode::kInvalidInput) << nameless.status().ToString();
  }
  std::error_code ec;
  if (engine() == "sqlite") std::filesystem::remove_all(server.path(), ec);
}

// Roles (accounts) for the access calls: how the engine makes one, names
// it in GRANT and in the schema model, and whether a restore applies its
// privileges (PlanAccess plans statements).
struct AccessSql {
  bool has_roles = false;
  bool restores_privileges = false;
};
const AccessSql& Access(const std::string& engine) {
  static const std::map<std::string, AccessSql> a = {
      {"postgresql", {true, true}}, {"mysql", {true, false}}, {"sqlite", {false, false}}};
  return a.at(engine);
}

// A role (PostgreSQL, hostile name) or account (MySQL/MariaDB) made for one
// test and dropped after it; `grantee` is how GRANT names it, `name` how
// the model and MissingRoles do.
struct TestRole {
  std::string name;
  std::string grantee;
};
TestRole MakeRole(Connection& conn, const std::string& engine) {
  const std::string base = testing::UniqueName("cutover_role_");
  if (engine == "postgresql") {
    const std::string name = base + " \"x' r";
    EXPECT_TRUE(conn.Execute("CREATE ROLE " + conn.QuoteIdentifier(name)).ok());
    return {name, conn.QuoteIdentifier(name)};
  }
  const std::string grantee = conn.QuoteLiteral(base) + "@'%'";
  EXPECT_TRUE(conn.Execute("CREATE USER " + grantee).ok());
  return {grantee, grantee};
}
void DropRole(Connection& conn, const std::string& engine, const TestRole& role) {
  const std::string drop = engine == "postgresql" ? "DROP ROLE " : "DROP USER ";
  EXPECT_TRUE(conn.Execute(drop + role.grantee).ok()) << role.name;
}

// Privileges granted on one database come back on another through
// PlanAccess where the engine keeps them in the database; MissingRoles
// tells a role the server has from one it lacks.
TEST_P(DriverConformance, PlanAccessGivesARestoredTableItsPrivilegesAndMissingRolesNamesTheAbsent) {
  const AccessSql& expect = Access(engine());
  // Roles outlive the databases: they are made and dropped from a
  // connection to the server's own database.
  std::unique_ptr<Connection> admin;
  TestRole role;
  if (expect.has_roles) {
    auto conn = testing::TestDriver(engine())->Connect(testing::ServerUri(engine()));
    ASSERT_TRUE(conn.ok()) << conn.status().ToString();
    admin = std::move(*conn);
    role = MakeRole(*admin, engine());
    ASSERT_FALSE(HasFailure());
  }
  {
    ScratchDatabase source(engine());
    ScratchDatabase copy(engine());
    auto src = source.Connect();
    auto dst = copy.Connect();
    ASSERT_NE(src, nullptr);
    ASSERT_NE(dst, nullptr);
    const std::string create = "CREATE TABLE t (id " + Sql(engine()).int_type + " PRIMARY KEY, note " +
                               Sql(engine()).text_type + ")";
    ASSERT_TRUE(src->Execute(create).ok());
    ASSERT_TRUE(dst->Execute(create).ok());
    // A privilege on the database itself, as each engine grants one.
    const std::string database_privilege = engine() == "postgresql" ? "CREATE" : "SELECT";
    if (expect.has_roles) {
      ASSERT_TRUE(src->Execute("GRANT SELECT, INSERT ON t TO " + role.grantee).ok());
      ASSERT_TRUE(src->Execute("GRANT UPDATE (note) ON t TO " + role.grantee).ok());
      const std::string on = engine() == "postgresql" ? "DATABASE " + src->QuoteIdentifier(source.name())
                                                      : src->QuoteIdentifier(source.name()) + ".*";
      ASSERT_TRUE(src->Execute("GRANT " + database_privilege + " ON " + on + " TO " + role.grantee).ok());
    }
    auto model = src->ReadSchema();
    ASSERT_TRUE(model.ok()) << model.status().ToString();
    const std::string schema = engine() == "postgresql" ? "public" : "";
    const SchemaObject* t = model->Find(ObjectKind::kTable, schema, "", "t");
    const SchemaObject* note = model->Find(ObjectKind::kColumn, schema, "t", "note");
    ASSERT_NE(t, nullptr);
    ASSERT_NE(note, nullptr);
    if (expect.has_roles) {
      ASSERT_TRUE(t->attributes.count("access.privileges")) << "table privileges are read";
      const auto entries =
          ParseListValue(t->attributes.at("access.privileges")).value_or(std::vector<std::string>{});
      EXPECT_NE(std::find(entries.begin(), entries.end(), role.name + ":SELECT"), entries.end())
          << t->attributes.at("access.privileges");
      EXPECT_NE(std::find(entries.begin(), entries.end(), role.name + ":INSERT"), entries.end());
      EXPECT_EQ(note->attributes.count("access.privileges") ? note->attributes.at("access.privileges") : "",
                ListValue({role.name + ":UPDATE"}));
      const SchemaObject* db = model->Find(ObjectKind::kDatabase, "", "", "");
      ASSERT_NE(db, nullptr) << "a database with a grant has its database object";
      const auto db_entries =
          ParseListValue(db->attributes.count("access.privileges") ? db->attributes.at("access.privileges")
                                                                   : "")
              .value_or(std::vector<std::string>{});
      EXPECT_NE(std::find(db_entries.begin(), db_entries.end(), role.name + ":" + database_privilege),
                db_entries.end())
          << "the database's privileges are read";
    } else {
      EXPECT_EQ(t->attributes.count("access.privileges"), 0u);
    }

    auto missing = dst->MissingRoles({role.name.empty() ? "anyone" : role.name, "cutover_no_such_role_x"});
    ASSERT_TRUE(missing.ok()) << missing.status().ToString();
    if (expect.has_roles) {
      EXPECT_EQ(*missing, std::vector<std::string>{"cutover_no_such_role_x"});
    } else {
      EXPECT_TRUE(missing->empty()) << "an engine without roles misses none";
    }

    auto plan = dst->PlanAccess(*model);
    ASSERT_TRUE(plan.ok()) << plan.status().ToString();
    EXPECT_EQ(!plan->empty(), expect.restores_privileges);
    for (const AccessStatement& st : *plan) {
      auto ran = dst->Execute(st.sql);
      ASSERT_TRUE(ran.ok()) << st.sql << ": " << ran.status().ToString();
    }
    auto restored = dst->ReadSchema();
    ASSERT_TRUE(restored.ok());
    const SchemaObject* rt = restored->Find(ObjectKind::kTable, schema, "", "t");
    const SchemaObject* rnote = restored->Find(ObjectKind::kColumn, schema, "t", "note");
    ASSERT_NE(rt, nullptr);
    ASSERT_NE(rnote, nullptr);
    if (expect.restores_privileges) {
      EXPECT_EQ(rt->attributes, t->attributes) << "the table's owner and privileges came back";
      EXPECT_EQ(rnote->attributes, note->attributes);
      const SchemaObject* db = model->Find(ObjectKind::kDatabase, "", "", "");
      const SchemaObject* rdb = restored->Find(ObjectKind::kDatabase, "", "", "");
      ASSERT_NE(rdb, nullptr) << "the database's privileges came back on the copy";
      EXPECT_EQ(rdb->attributes, db->attributes);
    }
    // Access attributes are not schema: the fingerprints agree either way.
    SchemaModel without = *model;
    for (SchemaObject& o : without.objects)
      std::erase_if(o.attributes, [](const auto& kv) { return IsAccessAttribute(kv.first); });
    EXPECT_EQ(Fingerprint(*model), Fingerprint(without));
  }
  if (expect.has_roles) DropRole(*admin, engine(), role);
}

// WithDefiner rewrites the DEFINER of every CREATE where objects have one
// (MySQL/MariaDB), quoting the account, and leaves other statements and
// other engines' scripts as they are.
TEST_P(DriverConformance, WithDefinerRewritesDefinersWhereObjectsHaveThem) {
  ScratchDatabase db(engine());
  auto conn = db.Connect();
  ASSERT_NE(conn, nullptr);
  const bool has_definers = engine() == "mysql";
  const std::string script =
      has_definers ? "CREATE ALGORITHM=UNDEFINED DEFINER=`root`@`localhost` SQL SECURITY DEFINER VIEW `v` AS "
                     "SELECT 1 AS `one`;\nINSERT INTO t (note) VALUES ('DEFINER=`x`@`y`');\n"
                   : "CREATE VIEW v AS SELECT 1 AS one;\nINSERT INTO t (note) VALUES ('DEFINER=x');\n";
  auto other = conn->WithDefiner(script, "app o'k@%");
  ASSERT_TRUE(other.ok()) << other.status().ToString();
  auto current = conn->WithDefiner(script, "CURRENT_USER");
  ASSERT_TRUE(current.ok()) << current.status().ToString();
  if (!has_definers) {
    EXPECT_EQ(*other, script);
    EXPECT_EQ(*current, script);
    return;
  }
  EXPECT_EQ(*other,
            "CREATE ALGORITHM=UNDEFINED DEFINER='app o''k'@'%' SQL SECURITY DEFINER VIEW `v` AS "
            "SELECT 1 AS `one`;\nINSERT INTO t (note) VALUES ('DEFINER=`x`@`y`');\n");
  EXPECT_EQ(*current,
            "CREATE ALGORITHM=UNDEFINED DEFINER=CURRENT_USER SQL SECURITY DEFINER VIEW `v` AS "
            "SELECT 1 AS `one`;\nINSERT INTO t (note) VALUES ('DEFINER=`x`@`y`');\n");
  auto bad = conn->WithDefiner(script, "nohost");
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.status().code(), StatusCode::kInvalidInput);
}

TEST_P(DriverConformance, FileEnginesCreateTargetsAndScratchDirectoriesServerEnginesSayUnsupported) {
  Driver* driver = testing::TestDriver(engine());
  ASSERT_NE(driver, nullptr);
  const ConnectionUri server = testing::ServerUri(engine());
  if (engine() != "sqlite") {
    EXPECT_EQ(driver->LocalScratchServer("/tmp").status().code(), StatusCode::kUnsupported);
    return;
  }
  const std::string dir = server.path();
  std::filesystem::create_directories(dir);
  const ConnectionUri target = server.WithPath(dir + "/new 'target'.db");
  auto created = driver->CreateTargetIfMissing(target);
  ASSERT_TRUE(created.ok()) << created.status().ToString();
  EXPECT_TRUE(*created);
  EXPECT_EQ(std::filesystem::status(target.path()).permissions() & std::filesystem::perms::all,
            std::filesystem::perms::owner_read | std::filesystem::perms::owner_write);
  auto again = driver->CreateTargetIfMissing(target);
  ASSERT_TRUE(again.ok());
  EXPECT_FALSE(*again) << "an existing file is left alone";
  auto nowhere = driver->CreateTargetIfMissing(server.WithPath(dir + "/missing/dir/x.db"));
  ASSERT_FALSE(nowhere.ok());
  EXPECT_EQ(nowhere.status().code(), StatusCode::kIo);
  EXPECT_NE(nowhere.status().message().find("missing/dir/x.db"), std::string::npos)
      << nowhere.status().message();
  auto local = driver->LocalScratchServer(dir);
  ASSERT_TRUE(local.ok()) << local.status().ToString();
  auto scratch = driver->CreateDatabase(*local, "cutover_scratch_local");
  ASSERT_TRUE(scratch.ok()) << scratch.status().ToString();
  EXPECT_TRUE(std::filesystem::exists(dir + "/cutover_scratch_local.db"));
  EXPECT_TRUE(driver->DropDatabase(*local, "cutover_scratch_local").ok());
  std::filesystem::remove_all(dir);
}

TEST_P(DriverConformance, UrisOfTheWrongFormAreRefusedNamingTheForm) {
  Driver* driver = testing::TestDriver(engine());
  ASSERT_NE(driver, nullptr);
  const std::string scheme = driver->info().schemes.front();
  const std::string bad = engine() == "sqlite" ? scheme + "://host/x.db" : scheme + ":u:s3cr3t@h/db";
  auto uri = ConnectionUri::Parse(bad);
  ASSERT_TRUE(uri.ok()) << "the shape parses; the driver judges the form";
  auto conn = driver->Connect(*uri);
  ASSERT_FALSE(conn.ok());
  EXPECT_EQ(conn.status().code(), StatusCode::kInvalidInput) << conn.status().ToString();
  EXPECT_EQ(conn.status().message().find("s3cr3t"), std::string::npos) << conn.status().message();
  // Every scheme the driver declares routes to it.
  for (const std::string& s : driver->info().schemes) {
    auto routed = testing::TestLoader().ForScheme(s);
    ASSERT_TRUE(routed.ok()) << s;
    EXPECT_EQ(*routed, driver) << s;
  }
}

// ---- API v6: rehearsals ---------------------------------------------------

// The TableId of table `name` as the schema model has it (its schema is
// "public" on PostgreSQL, empty elsewhere).
TableId TableIdOf(Connection& conn, const std::string& name) {
  auto model = conn.ReadSchema();
  EXPECT_TRUE(model.ok()) << model.status().ToString();
  if (model.ok()) {
    for (const SchemaObject& o : model->objects) {
      if (o.kind == ObjectKind::kTable && o.name == name) return TableId{o.schema, o.name};
    }
  }
  ADD_FAILURE() << "no table " << name << " in the schema model";
  return TableId{"", name};
}

// The number of rows `sql` returns.
size_t RowCount(Connection& conn, const std::string& sql) {
  size_t n = 0;
  Status st = conn.Query(sql, [&](RowView) {
    ++n;
    return Status::Ok();
  });
  EXPECT_TRUE(st.ok()) << sql << ": " << st.ToString();
  return n;
}

bool Contains(const std::vector<std::string>& v, const std::string& s) {
  return std::find(v.begin(), v.end(), s) != v.end();
}

// What differs per engine in the v6 tests.
struct RehearsalSql {
  std::string mixed_case_as_referenced;  // how ReferencedNames gives back MixedCase.Orders
  std::string not_a_name;                // a statement whose only "name" is in a string or body
  std::string rewrite;                   // rewrites table t (id, v) into new storage
  std::string analyze;                   // refreshes the statistics of t1, t2
  std::string rewrite_back;              // after `rewrite`: rewrites t again (in a transaction too)
};

const RehearsalSql& V6Sql(const std::string& engine) {
  static const std::map<std::string, RehearsalSql> sql = {
      {"postgresql",
       {"mixedcase.orders", "CREATE FUNCTION f() RETURNS int AS $$ SELECT 1 FROM hidden $$ LANGUAGE sql",
        "ALTER TABLE t ALTER COLUMN v TYPE bigint", "ANALYZE t1; ANALYZE t2",
        "ALTER TABLE t ALTER COLUMN v TYPE integer"}},
      {"mysql",
       {"MixedCase.Orders", "SELECT \"hidden\" # hidden too\n", "ALTER TABLE t FORCE", "ANALYZE TABLE t1, t2",
        "ALTER TABLE t FORCE"}},
      {"sqlite",
       {"MixedCase.Orders", "SELECT 'hidden'",
        "CREATE TABLE t_new (id INTEGER PRIMARY KEY, v INTEGER); INSERT INTO t_new SELECT id, v FROM t; "
        "DROP TABLE t; ALTER TABLE t_new RENAME TO t",
        "ANALYZE", "ALTER TABLE t RENAME TO t_old; ALTER TABLE t_old RENAME TO t"}},
  };
  return sql.at(engine);
}

TEST_P(DriverConformance, ReferencedNamesFollowTheEnginesQuoting) {
  Driver* driver = testing::TestDriver(engine());
  ASSERT_NE(driver, nullptr);
  ScratchDatabase db(engine());
  auto conn = db.Connect();
  ASSERT_NE(conn, nullptr);

  EXPECT_EQ(driver->ReferencedNames("SELECT a, b, a FROM t WHERE b = 1"),
            (std::vector<std::string>{"a", "b", "t"}))
      << "keywords are not names; order of first appearance, no duplicates";
  auto names =
      driver->ReferencedNames("UPDATE items SET v = 'orders' -- customers\n WHERE id = 2 /* carts */");
  EXPECT_EQ(names, (std::vector<std::string>{"items", "v", "id"})) << "strings and comments are not names";
  EXPECT_EQ(driver->ReferencedNames("ALTER TABLE MixedCase.Orders ADD COLUMN note int"),
            (std::vector<std::string>{V6Sql(engine()).mixed_case_as_referenced, "note", "int"}));
  const std::string hostile = "we\"ird `name' x";
  const std::string quoted = conn->QuoteIdentifier(hostile);
  EXPECT_EQ(driver->ReferencedNames("SELECT * FROM " + quoted + " JOIN s." + quoted + " ON true"),
            (std::vector<std::string>{hostile, "s." + hostile}))
      << "a quoted name, qualified or not, is one name with its quotes undone";
  EXPECT_FALSE(Contains(driver->ReferencedNames(V6Sql(engine()).not_a_name), "hidden"));
  EXPECT_TRUE(driver->ReferencedNames("").empty());
  EXPECT_TRUE(driver->ReferencedNames("'unterminated").empty());
}

TEST_P(DriverConformance, ProbeStatementsReadOneRowByKeyAndWriteNothing) {
  ScratchDatabase db(engine());
  const EngineSql& s = Sql(engine());
  const std::string hostile = "we\"ird `name' x";
  auto conn = db.Connect();
  ASSERT_NE(conn, nullptr);
  const std::string q = conn->QuoteIdentifier(hostile);
  std::string script = "CREATE TABLE " + q + " (id " + s.int_type + " PRIMARY KEY, v " + s.int_type + ");";
  for (int i = 1; i <= 20; ++i) script += "INSERT INTO " + q + " VALUES (" + std::to_string(i) + ", 7);";
  script += "CREATE TABLE nokey (a " + s.int_type + "); INSERT INTO nokey VALUES (1);";
  db.Exec(script);
  const TableId table = TableIdOf(*conn, hostile);

  auto ps = conn->ProbeStatementsFor(table, 5);
  ASSERT_TRUE(ps.ok()) << ps.status().ToString();
  ASSERT_EQ(ps->reads.size(), 5u);
  for (const std::string& read : ps->reads) EXPECT_EQ(RowCount(*conn, read), 1u) << read;
  ASSERT_FALSE(ps->writes.empty()) << (ps->notes.empty() ? "" : ps->notes.front());
  for (const std::string& write : ps->writes) {
    ASSERT_TRUE(conn->Begin().ok());
    auto r = conn->Execute(write);
    EXPECT_TRUE(r.ok()) << write << ": " << r.status().ToString();
    ASSERT_TRUE(conn->Rollback().ok());
  }
  EXPECT_EQ(Scalar(*conn, "SELECT count(*) FROM " + q + " WHERE v = 7"), "20") << "nothing was changed";
  EXPECT_EQ(Scalar(*conn, "SELECT 1"), "1") << "the connection is usable and outside a transaction";

  auto nokey = conn->ProbeStatementsFor(TableIdOf(*conn, "nokey"), 5);
  ASSERT_TRUE(nokey.ok()) << nokey.status().ToString();
  ASSERT_FALSE(nokey->reads.empty());
  for (const std::string& read : nokey->reads) EXPECT_EQ(RowCount(*conn, read), 1u) << read;
  if (nokey->writes.empty()) {
    EXPECT_FALSE(nokey->notes.empty()) << "a missing kind of probe is explained";
  }

  auto missing = conn->ProbeStatementsFor(TableId{table.schema, "no_such_table"}, 5);
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.status().code(), StatusCode::kNotFound) << missing.status().ToString();
}

TEST_P(DriverConformance, StorageIdentityChangesWhenATableIsRewrittenOnly) {
  ScratchDatabase db(engine());
  db.Exec("CREATE TABLE t (id " + Sql(engine()).int_type + " PRIMARY KEY, v " + Sql(engine()).int_type +
          "); INSERT INTO t VALUES (1, 1), (2, 2);");
  auto conn = db.Connect();
  ASSERT_NE(conn, nullptr);
  const TableId t = TableIdOf(*conn, "t");
  auto before = conn->StorageIdentity(t);
  ASSERT_TRUE(before.ok()) << before.status().ToString();
  EXPECT_FALSE(before->empty());
  db.Exec("INSERT INTO t VALUES (3, 3); ALTER TABLE t ADD COLUMN note " + Sql(engine()).int_type);
  auto same = conn->StorageIdentity(t);
  ASSERT_TRUE(same.ok()) << same.status().ToString();
  EXPECT_EQ(*same, *before) << "an insert and a nullable column added in place are no rewrite";
  db.Exec(V6Sql(engine()).rewrite);
  auto after = conn->StorageIdentity(t);
  ASSERT_TRUE(after.ok()) << after.status().ToString();
  EXPECT_NE(*after, *before) << "the rewrite was not seen";

  // Asking about a missing table is an answer, not a failed transaction.
  ASSERT_TRUE(conn->Begin().ok());
  auto missing = conn->StorageIdentity(TableId{t.schema, "no_such_table"});
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.status().code(), StatusCode::kNotFound) << missing.status().ToString();
  EXPECT_EQ(Scalar(*conn, "SELECT count(*) FROM t"), "3") << "the transaction is still usable";
  ASSERT_TRUE(conn->Rollback().ok());
}

// ---- API v7 ------------------------------------------------------------------

TEST_P(DriverConformance, RewriteLogNamesTheTablesThisSessionRewroteOrIsUnsupported) {
  ScratchDatabase db(engine());
  db.Exec("CREATE TABLE t (id " + Sql(engine()).int_type + " PRIMARY KEY, v " + Sql(engine()).int_type +
          "); INSERT INTO t VALUES (1, 1), (2, 2);");
  auto conn = db.Connect();
  auto other = db.Connect();
  ASSERT_TRUE(conn && other);
  Status started = conn->StartRewriteLog();
  if (!started.ok()) {
    EXPECT_EQ(started.code(), StatusCode::kUnsupported) << started.ToString();
    EXPECT_FALSE(started.message().empty());
    EXPECT_EQ(conn->TakeRewriteLog().status().code(), StatusCode::kUnsupported);
    EXPECT_NE(engine(), "postgresql") << "the test server's role is a superuser: " << started.ToString();
    return;
  }
  auto logged = conn->TakeRewriteLog();
  ASSERT_TRUE(logged.ok()) << logged.status().ToString();
  EXPECT_TRUE(logged->empty());
  ASSERT_TRUE(conn->Execute("ALTER TABLE t ADD COLUMN note " + Sql(engine()).int_type).ok());
  logged = conn->TakeRewriteLog();
  ASSERT_TRUE(logged.ok()) << logged.status().ToString();
  EXPECT_TRUE(logged->empty()) << "a nullable column added in place is no rewrite";
  ASSERT_TRUE(conn->ExecuteScript(V6Sql(engine()).rewrite).ok());
  logged = conn->TakeRewriteLog();
  ASSERT_TRUE(logged.ok()) << logged.status().ToString();
  ASSERT_EQ(logged->size(), 1u) << Join(*logged, ", ");
  EXPECT_EQ((*logged)[0], TableIdOf(*conn, "t").Display());
  logged = conn->TakeRewriteLog();
  ASSERT_TRUE(logged.ok());
  EXPECT_TRUE(logged->empty()) << "taking the log empties it";
  // A rewrite rolled back leaves nothing; another session's is not this one's.
  ASSERT_TRUE(conn->Begin().ok());
  ASSERT_TRUE(conn->ExecuteScript(V6Sql(engine()).rewrite_back).ok());
  ASSERT_TRUE(conn->Rollback().ok());
  ASSERT_TRUE(other->ExecuteScript(V6Sql(engine()).rewrite_back).ok());
  logged = conn->TakeRewriteLog();
  ASSERT_TRUE(logged.ok()) << logged.status().ToString();
  EXPECT_TRUE(logged->empty()) << Join(*logged, ", ");
  // The hook goes away with the session.
  conn.reset();
  auto later = db.Connect();
  ASSERT_TRUE(later->ExecuteScript(V6Sql(engine()).rewrite).ok()) << "a rewrite after the session ended";
}

// API v10: OtherSessions shows another session's running statement, how
// long it has run, and idle sessions; not the asking session, not the
// sessions of another database.
TEST_P(DriverConformance, OtherSessionsShowsAnotherSessionsRunningStatement) {
  ScratchDatabase db(engine());
  ScratchDatabase elsewhere(engine());
  auto observer = db.Connect();
  auto runner = db.Connect();
  auto idle = db.Connect();
  auto other_db = elsewhere.Connect();
  ASSERT_TRUE(observer && runner && idle && other_db);
  ASSERT_EQ(Scalar(*idle, "SELECT 41 + 1"), "42");
  if (engine() == "sqlite") {
    auto none = observer->OtherSessions();
    EXPECT_EQ(none.status().code(), StatusCode::kUnsupported) << none.status().ToString();
    EXPECT_NE(none.status().message().find("other processes"), std::string::npos) << none.status().message();
    return;
  }
  std::string sleep = Sql(engine()).slow_query;  // "SELECT pg_sleep(10)", "SELECT SLEEP(10)"
  sleep.replace(sleep.find("(10)"), 4, "(1.5)");
  // Execute, not Query: the PostgreSQL driver reads query results through a
  // cursor, which the server would show as FETCH.
  std::thread run([&] { (void)runner->Execute(sleep); });
  std::this_thread::sleep_for(std::chrono::milliseconds(500));
  auto seen = observer->OtherSessions();
  ASSERT_TRUE(seen.ok()) << seen.status().ToString();
  std::map<std::string, SessionActivity> by_session;
  for (const SessionActivity& a : *seen) by_session[a.session] = a;
  run.join();
  EXPECT_EQ(by_session.count(observer->SessionId()), 0u) << "the asking session is left out";
  EXPECT_EQ(by_session.count(other_db->SessionId()), 0u) << "a session of another database is left out";
  ASSERT_EQ(by_session.count(runner->SessionId()), 1u) << "the running session is listed";
  const SessionActivity& r = by_session[runner->SessionId()];
  EXPECT_TRUE(r.running);
  EXPECT_NE(ToLower(r.statement).find("sleep(1.5)"), std::string::npos) << r.statement;
  ASSERT_TRUE(r.running_ms.has_value());
  // Asked about 500 ms after it started: the server's figure, not a guess.
  EXPECT_GE(*r.running_ms, 350) << *r.running_ms;
  EXPECT_LE(*r.running_ms, 1500) << *r.running_ms;
  ASSERT_EQ(by_session.count(idle->SessionId()), 1u) << "an idle session is listed";
  EXPECT_FALSE(by_session[idle->SessionId()].running);
  EXPECT_FALSE(by_session[idle->SessionId()].running_ms.has_value());

  auto after = observer->OtherSessions();
  ASSERT_TRUE(after.ok()) << after.status().ToString();
  for (const SessionActivity& a : *after) {
    if (a.session == runner->SessionId()) {
      EXPECT_FALSE(a.running) << "the sleep ended: " << a.statement;
    }
  }

  // A statement too short to be caught running: where the server keeps a
  // statement history (MariaDB's performance_schema, on in the test server
  // as scripts/test-servers.sh starts it), it is listed as finished, timed.
  std::string short_sleep = Sql(engine()).slow_query;
  short_sleep.replace(short_sleep.find("(10)"), 4, "(0.08)");
  ASSERT_TRUE(runner->Execute(short_sleep).ok());
  auto later = observer->OtherSessions();
  ASSERT_TRUE(later.ok()) << later.status().ToString();
  const SessionActivity* ran = nullptr;
  for (const SessionActivity& a : *later) {
    if (a.session == runner->SessionId()) ran = &a;
  }
  ASSERT_NE(ran, nullptr);
  const SessionActivity::Finished* found = nullptr;
  for (const SessionActivity::Finished& f : ran->finished) {
    if (ToLower(f.statement).find("sleep(0.08)") != std::string::npos) found = &f;
  }
  if (engine() == "mysql") {
    ASSERT_NE(found, nullptr) << ran->finished.size() << " finished statement(s) listed";
    EXPECT_NEAR(found->duration_ms, 80, 30);
    EXPECT_GE(found->ended_ms_ago, 0);
    EXPECT_LT(found->ended_ms_ago, 3000);
    EXPECT_FALSE(found->id.empty());
  } else {
    EXPECT_TRUE(ran->finished.empty()) << "PostgreSQL keeps no statement history";
  }
}

// API v10: ClientEnvironment is what the engine's own command-line client
// needs to reach the database: the client, given only that environment,
// reads the table there.
TEST_P(DriverConformance, ClientEnvironmentLetsTheEnginesOwnClientReachTheDatabase) {
  static const std::map<std::string, std::string> kClient = {
      {"postgresql", "psql -X -A -t -c 'SELECT count(*) FROM t'"},
      {"mysql", "mariadb -u\"$MYSQL_USER\" -D\"$MYSQL_DATABASE\" -N -B -e 'SELECT count(*) FROM t'"},
      {"sqlite", "sqlite3 \"$CUTOVER_SCRATCH_PATH\" 'SELECT count(*) FROM t'"}};
  ScratchDatabase db(engine());
  db.Exec("CREATE TABLE t (id " + Sql(engine()).int_type +
          " PRIMARY KEY); INSERT INTO t VALUES (1); "
          "INSERT INTO t VALUES (2); INSERT INTO t VALUES (3);");
  Driver* driver = testing::TestDriver(engine());
  ASSERT_NE(driver, nullptr);
  auto env = driver->ClientEnvironment(db.uri());
  ASSERT_TRUE(env.ok()) << env.status().ToString();
  std::map<std::string, std::string> vars(env->begin(), env->end());
  EXPECT_EQ(vars.count("DATABASE_URL"), 1u);
  // The child gets this environment and nothing of the test's own that
  // could reach a database.
  std::string command = "env -i PATH=/usr/bin:/bin";
  for (const auto& [name, value] : *env) {
    if (value.empty()) continue;  // a variable to remove: env -i has none
    std::string quoted = "'";
    for (char c : value) quoted += c == '\'' ? std::string("'\\''") : std::string(1, c);
    command += " " + name + "=" + quoted + "'";
  }
  command += " sh -c " + std::string("'") + [&] {
    std::string q;
    for (char c : kClient.at(engine())) q += c == '\'' ? std::string("'\\''") : std::string(1, c);
    return q;
  }() + "' 2>&1";
  FILE* pipe = ::popen(command.c_str(), "r");
  ASSERT_NE(pipe, nullptr);
  std::string out;
  char buf[256];
  while (std::fgets(buf, sizeof buf, pipe) != nullptr) out += buf;
  const int rc = ::pclose(pipe);
  EXPECT_EQ(rc, 0) << out;
  EXPECT_EQ(Trim(out), "3") << out;
  if (engine() != "sqlite") {
    auto no_db = driver->ClientEnvironment(*ConnectionUri::Parse(engine() + "://u@127.0.0.1:1"));
    EXPECT_EQ(no_db.status().code(), StatusCode::kInvalidInput) << no_db.status().ToString();
  }
}

// API v10: AttachNeighbour makes a namespace beside the database readable
// as name.table (a schema, a database of the server, a file beside the
// database file), says false for one that does not exist (and creates
// nothing), and refuses a name with a path in it.
TEST_P(DriverConformance, AttachNeighbourReadsATableBesideTheDatabase) {
  ScratchDatabase db(engine());
  auto conn = db.Connect();
  ASSERT_NE(conn, nullptr);
  const std::string name = "cutover_nb_" + testing::UniqueName("").substr(0, 8) + "'q";
  auto absent = conn->AttachNeighbour(name);
  ASSERT_TRUE(absent.ok()) << absent.status().ToString();
  EXPECT_FALSE(*absent);
  // Made the way each engine keeps a namespace beside a database.
  std::unique_ptr<Connection> maker;
  std::function<void()> cleanup = [] {};
  if (engine() == "sqlite") {
    const std::filesystem::path file = std::filesystem::path(db.uri().path()).parent_path() / (name + ".db");
    EXPECT_FALSE(std::filesystem::exists(file)) << "looking created nothing";
    auto uri = ConnectionUri::Parse("sqlite://" + file.string());
    ASSERT_TRUE(uri.ok());
    ASSERT_TRUE(testing::TestDriver("sqlite")->CreateTargetIfMissing(*uri).ok());
    auto made = testing::TestDriver("sqlite")->Connect(*uri);
    ASSERT_TRUE(made.ok()) << made.status().ToString();
    maker = std::move(*made);
    ASSERT_TRUE(
        maker->ExecuteScript("CREATE TABLE changes (id INTEGER); INSERT INTO changes VALUES (7);").ok());
  } else {
    const std::string create = engine() == "postgresql" ? "CREATE SCHEMA " : "CREATE DATABASE ";
    const std::string drop = engine() == "postgresql" ? "DROP SCHEMA " : "DROP DATABASE ";
    const std::string q = conn->QuoteIdentifier(name);
    ASSERT_TRUE(conn->ExecuteScript(create + q).ok());
    cleanup = [&conn, drop, q] {
      (void)conn->ExecuteScript(drop + q + (drop == "DROP SCHEMA " ? " CASCADE" : ""));
    };
    ASSERT_TRUE(conn->ExecuteScript("CREATE TABLE " + q + ".changes (id INTEGER); INSERT INTO " + q +
                                    ".changes VALUES (7);")
                    .ok());
  }
  auto present = conn->AttachNeighbour(name);
  ASSERT_TRUE(present.ok()) << present.status().ToString();
  EXPECT_TRUE(*present);
  EXPECT_EQ(Scalar(*conn, "SELECT id FROM " + conn->QuoteIdentifier(name) + ".changes"), "7");
  auto again = conn->AttachNeighbour(name);
  ASSERT_TRUE(again.ok()) << "a second call: " << again.status().ToString();
  EXPECT_TRUE(*again);
  EXPECT_EQ(conn->AttachNeighbour("../etc/x").status().code(), StatusCode::kInvalidInput);
  EXPECT_EQ(conn->AttachNeighbour("").status().code(), StatusCode::kInvalidInput);
  cleanup();
}

TEST_P(DriverConformance, LocksHeldByShowsTheTableLocksOfAnotherSession) {
  ScratchDatabase db(engine());
  db.Exec("CREATE TABLE t (id " + Sql(engine()).int_type + " PRIMARY KEY, v " + Sql(engine()).int_type +
          "); INSERT INTO t VALUES (1, 1);");
  auto holder = db.Connect();
  auto observer = db.Connect();
  ASSERT_TRUE(holder && observer);
  ASSERT_TRUE(holder->Begin().ok());
  ASSERT_TRUE(holder->Execute("UPDATE t SET v = v + 1 WHERE id = 1").ok());
  auto held = observer->LocksHeldBy(holder->SessionId());
  ASSERT_TRUE(held.ok()) << held.status().ToString();
  const std::string database_lock = Sql(engine()).database_lock;
  auto covers_t = [&](const HeldLock& l) {
    return l.object == "t" || EndsWith(l.object, ".t") ||
           (!database_lock.empty() && l.object == database_lock);
  };
  auto on_t = [&](const std::vector<HeldLock>& locks) {
    return std::count_if(locks.begin(), locks.end(),
                         [&](const HeldLock& l) { return covers_t(l) && !l.mode.empty(); });
  };
  EXPECT_GE(on_t(*held), 1) << "the holder's lock on t was not shown";
  for (const HeldLock& l : *held) {
    EXPECT_EQ(l.table_level, !database_lock.empty())
        << l.object << " " << l.mode << ": a DML lock is row level unless it covers the whole database";
  }
  auto own = observer->LocksHeldBy(observer->SessionId());
  ASSERT_TRUE(own.ok());
  EXPECT_EQ(on_t(*own), 0) << "the observer holds nothing on t";
  ASSERT_TRUE(holder->Commit().ok());
  held = observer->LocksHeldBy(holder->SessionId());
  ASSERT_TRUE(held.ok()) << held.status().ToString();
  EXPECT_EQ(on_t(*held), 0) << "the lock is gone after commit";
  EXPECT_EQ(observer->LocksHeldBy("1; DROP TABLE t").status().code(), StatusCode::kInvalidInput);

  // A lock that blocks DML is marked table_level.
  ASSERT_TRUE(holder->ExecuteScript(Sql(engine()).lock_table).ok()) << Sql(engine()).lock_table;
  held = observer->LocksHeldBy(holder->SessionId());
  ASSERT_TRUE(held.ok()) << held.status().ToString();
  EXPECT_TRUE(std::any_of(held->begin(), held->end(),
                          [&](const HeldLock& l) { return covers_t(l) && l.table_level; }))
      << "no table-level lock shown on t after " << Sql(engine()).lock_table;
  ASSERT_TRUE(holder->ExecuteScript(Sql(engine()).unlock_table).ok());
  held = observer->LocksHeldBy(holder->SessionId());
  ASSERT_TRUE(held.ok()) << held.status().ToString();
  EXPECT_EQ(on_t(*held), 0) << "released by " << Sql(engine()).unlock_table;
}

TEST_P(DriverConformance, EstimatedRowCountsCoverEveryTableWithinAQuarter) {
  ScratchDatabase db(engine());
  const std::string& type = Sql(engine()).int_type;
  std::string script =
      "CREATE TABLE t1 (id " + type + " PRIMARY KEY); CREATE TABLE t2 (id " + type + " PRIMARY KEY);";
  for (int chunk = 0; chunk < 10; ++chunk) {
    script += "INSERT INTO t1 VALUES ";
    for (int i = 1; i <= 1000; ++i) script += (i > 1 ? ",(" : "(") + std::to_string(chunk * 1000 + i) + ")";
    script += ";";
  }
  db.Exec(script);
  auto conn = db.Connect();
  ASSERT_NE(conn, nullptr);
  for (bool analyzed : {false, true}) {
    if (analyzed) db.Exec(V6Sql(engine()).analyze);
    auto rows = conn->EstimatedRowCounts();
    ASSERT_TRUE(rows.ok()) << rows.status().ToString();
    std::map<std::string, TableRowEstimate> by_name;
    for (const auto& e : *rows) by_name[e.table.name] = e;
    ASSERT_EQ(by_name.count("t1"), 1u);
    ASSERT_EQ(by_name.count("t2"), 1u);
    EXPECT_EQ(by_name["t1"].table, TableIdOf(*conn, "t1")) << "named as the schema model names it";
    if (!analyzed && !by_name["t1"].exact)
      continue;  // statistics not gathered yet: only checked after ANALYZE
    EXPECT_NEAR(static_cast<double>(by_name["t1"].rows), 10000.0, 2500.0)
        << (analyzed ? "analyzed" : "exact");
    EXPECT_LE(by_name["t2"].rows, 1) << (analyzed ? "analyzed" : "exact");
  }
}

TEST_P(DriverConformance, CloneDatabaseCopiesAClosedDatabaseOrSaysUnsupported) {
  Driver* driver = testing::TestDriver(engine());
  ASSERT_NE(driver, nullptr);
  ConnectionUri server = testing::ServerUri(engine());
  if (engine() == "sqlite") {
    std::filesystem::create_directories(server.path());
    server = *driver->LocalScratchServer(server.path());
  }
  const std::string source = testing::UniqueName("cutover_clone_src_");
  const std::string clone = testing::UniqueName("cutover_clone_dst_");
  auto created = driver->CreateDatabase(server, source);
  ASSERT_TRUE(created.ok()) << created.status().ToString();
  {
    auto conn = driver->Connect(*created);
    ASSERT_TRUE(conn.ok()) << conn.status().ToString();
    ASSERT_TRUE((*conn)
                    ->ExecuteScript("CREATE TABLE t (id " + Sql(engine()).int_type +
                                    " PRIMARY KEY); INSERT INTO t VALUES (1), (2), (3);")
                    .ok());
  }
  auto cloned = driver->CloneDatabase(server, source, clone);
  if (!cloned.ok()) {
    EXPECT_EQ(cloned.status().code(), StatusCode::kUnsupported) << cloned.status().ToString();
    EXPECT_FALSE(driver->info().clones_databases)
        << "DriverInfo says it clones, CloneDatabase says otherwise";
    EXPECT_TRUE(driver->DropDatabase(server, source).ok());
    return;
  }
  EXPECT_TRUE(driver->info().clones_databases) << "it cloned, but DriverInfo says it cannot";
  {
    auto conn = driver->Connect(*cloned);
    ASSERT_TRUE(conn.ok()) << conn.status().ToString();
    EXPECT_EQ(Scalar(**conn, "SELECT count(*) FROM t"), "3");
    ASSERT_TRUE((*conn)->Execute("DELETE FROM t").ok());
  }
  {
    auto conn = driver->Connect(*created);
    ASSERT_TRUE(conn.ok());
    EXPECT_EQ(Scalar(**conn, "SELECT count(*) FROM t"), "3") << "the clone is a copy, not the source";
    auto busy = driver->CloneDatabase(server, source, clone + "_busy");
    if (busy.ok()) {
      EXPECT_EQ(engine(), "sqlite") << "a server must refuse to clone a database in use";
      EXPECT_TRUE(driver->DropDatabase(server, clone + "_busy").ok());
    }
  }
  auto again = driver->CloneDatabase(server, source, clone);
  ASSERT_FALSE(again.ok()) << "cloning onto an existing database must fail";
  EXPECT_NE(again.status().message().find(clone), std::string::npos) << again.status().message();
  auto missing = driver->CloneDatabase(server, source + "_missing", clone + "_2");
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.status().code(), StatusCode::kNotFound) << missing.status().ToString();
  EXPECT_TRUE(driver->DropDatabase(server, clone).ok());
  EXPECT_TRUE(driver->DropDatabase(server, source).ok());
  if (engine() == "sqlite") std::filesystem::remove_all(server.path());
}

INSTANTIATE_TEST_SUITE_P(AllDrivers, DriverConformance, ::testing::ValuesIn(testing::AllEngines()),
                         [](const auto& p) { return p.param; });
INSTANTIATE_TEST_SUITE_P(ServerDrivers, ServerDriverConformance,
                         ::testing::Values(std::string("postgresql"), std::string("mysql")),
                         [](const auto& p) { return p.param; });

}  // namespace
}  // namespace cutover
