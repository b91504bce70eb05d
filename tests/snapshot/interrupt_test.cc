// Interrupted runs (issue 3): the real `cutover` binary killed with SIGKILL
// at several points of `cutover snapshot` and of `cutover restore-test`, and
// stopped with SIGTERM during a snapshot and during a restore test.
//
// What must hold (PRODUCT.md, safety invariants): an interrupted snapshot
// leaves nothing that any command lists or accepts as a snapshot, and the
// next run removes its directory; a killed restore test leaves its
// cutover_scratch_* database, which the next restore test on that server
// drops (and names in `cleaned_up`); a SIGTERM'd snapshot removes its
// directory and a SIGTERM'd restore test drops its scratch database before
// either exits non-zero, promptly (not after loading a whole table).
//
// Passwords reach the child through the engine's environment variable
// (PGPASSWORD, MYSQL_PWD), never its argv. The snapshot sources are big
// enough that the kill points land inside the run; each test measures a
// complete run first and fails when the run is too quick to be interrupted.
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "catalog/catalog.h"
#include "snapshot/repository.h"
#include "support/process.h"
#include "support/test_env.h"

namespace cutover {
namespace {
namespace fs = std::filesystem;
using std::chrono::milliseconds;
using std::chrono::steady_clock;
using Json = nlohmann::json;
using testing::RunResult;

using testing::CliTarget;
using testing::ForCli;

// One run of the cutover binary, output to files. The child gets passwords
// only from the environment the test gives it.
class CutoverProcess : public testing::ChildProcess {
 public:
  CutoverProcess(const std::vector<std::string>& args, const std::vector<std::string>& env,
                 const fs::path& out, const fs::path& err)
      : ChildProcess(Argv(args), testing::ProcessOptions().Env(env).Unset({"PGPASSWORD", "MYSQL_PWD"}), out,
                     err),
        err_(err) {}

  std::string err_path() const { return err_.string(); }

 private:
  static std::vector<std::string> Argv(const std::vector<std::string>& args) {
    std::vector<std::string> argv{CUTOVER_BINARY};
    argv.insert(argv.end(), args.begin(), args.end());
    return argv;
  }
  fs::path err_;
};

class InterruptTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / testing::UniqueName("cutover-interrupt-");
    fs::create_directories(dir_);
    repo_ = dir_ / "repo";
  }
  void TearDown() override {
    std::error_code ec;
    fs::remove_all(dir_, ec);
  }

  std::vector<std::string> Args(const std::vector<std::string>& args, const fs::path& repo) {
    std::vector<std::string> all{"--repo", repo.string(), "--driver-path", CUTOVER_TEST_DRIVER_DIR,
                                 "--no-progress"};
    all.insert(all.end(), args.begin(), args.end());
    return all;
  }
  std::unique_ptr<CutoverProcess> Start(const std::vector<std::string>& args,
                                        const std::vector<std::string>& env, const fs::path& repo = {}) {
    ++runs_;
    return std::make_unique<CutoverProcess>(Args(args, repo.empty() ? repo_ : repo), env,
                                            dir_ / ("out" + std::to_string(runs_)),
                                            dir_ / ("err" + std::to_string(runs_)));
  }
  RunResult Run(const std::vector<std::string>& args, const std::vector<std::string>& env,
                const fs::path& repo = {}) {
    auto p = Start(args, env, repo);
    // Every run here takes seconds; a hung one (a snapshot stuck under its
    // global barrier blocks every commit on the shared MariaDB) is killed.
    if (!p->WaitFor(milliseconds(180000))) {
      ADD_FAILURE() << "cutover did not finish in 3 minutes; killed: "
                    << testing::ReadFileOrDie(p->err_path());
    }
    p->Signal(SIGKILL);
    p->Wait();
    RunResult r = p->Result();
    ExpectNoPassword(r, env);
    return r;
  }
  static void ExpectNoPassword(const RunResult& r, const std::vector<std::string>& env) {
    for (const auto& e : env) {
      const std::string secret = e.substr(e.find('=') + 1);
      if (secret.size() < 4) continue;
      EXPECT_EQ((r.out + r.err).find(secret), std::string::npos) << "a password appeared in cutover's output";
    }
  }
  static Json ParseJson(const RunResult& r) {
    Json doc = Json::parse(r.out, nullptr, false);
    if (doc.is_discarded()) ADD_FAILURE() << "not JSON on stdout:\n" << r.out << "\nstderr:\n" << r.err;
    return doc;
  }

  // Directory names under REPO/snapshots (complete or not).
  std::set<std::string> SnapshotDirs() const {
    std::set<std::string> names;
    std::error_code ec;
    for (fs::directory_iterator it(repo_ / "snapshots", ec), end; !ec && it != end; it.increment(ec)) {
      names.insert(it->path().filename().string());
    }
    return names;
  }
  // Committed snapshots as the library sees them, without cleaning anything.
  std::set<std::string> Committed() const {
    auto repo = snapshot::Repository::Open(repo_);
    if (!repo.ok()) {
      ADD_FAILURE() << repo.status().ToString();
      return {};
    }
    auto ids = repo->ListCommitted();
    if (!ids.ok()) {
      ADD_FAILURE() << ids.status().ToString();
      return {};
    }
    return {ids->begin(), ids->end()};
  }
  // Data chunk files under `root`'s snapshot directories, except `ignore`.
  static size_t ChunkFiles(const fs::path& root, const std::set<std::string>& ignore) {
    size_t n = 0;
    std::error_code ec;
    for (fs::directory_iterator it(root / "snapshots", ec), end; !ec && it != end; it.increment(ec)) {
      if (ignore.count(it->path().filename().string())) continue;
      std::error_code ec2;
      for (fs::directory_iterator c(it->path() / "data", ec2), cend; !ec2 && c != cend; c.increment(ec2)) ++n;
    }
    return n;
  }
  std::set<std::string> Listed(const CliTarget& t) {
    auto r = Run({"snapshots", "--json"}, t.env);
    EXPECT_EQ(r.exit_code, 0) << r.err;
    Json doc = ParseJson(r);
    std::set<std::string> ids;
    if (doc.is_object() && doc.contains("snapshots")) {
      for (const auto& s : doc["snapshots"]) ids.insert(s["id"].get<std::string>());
    }
    return ids;
  }
  // A complete snapshot of `t`; its id ("" on failure).
  std::string Snapshot(const CliTarget& t, const fs::path& repo = {}) {
    auto r = Run({"snapshot", t.text, "--json"}, t.env, repo);
    EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
    Json doc = ParseJson(r);
    if (!doc.is_object() || !doc.contains("id")) return "";
    return doc["id"].get<std::string>();
  }

  // When to kill: `after_ms` from the start of the process, or, when
  // chunk_share > 0, once that share of a complete run's data chunks is on
  // disk (at least one), which lands inside the data phase however fast the
  // machine is.
  struct KillPoint {
    int after_ms = 0;
    double chunk_share = 0;
  };
  void KillSnapshotsAt(const CliTarget& t, const std::vector<KillPoint>& points);

  // The cutover_scratch_* database a running restore test registered in the
  // catalog and created; "" when none appeared before the process exited.
  std::string WaitForScratchDatabase(CutoverProcess& p, Driver& driver, const ConnectionUri& server);
  void KillRestoreTest(const CliTarget& source, const CliTarget& server);
  void TerminateRestoreTest(const CliTarget& source, const CliTarget& server);
  void ExpectSigtermStopsTheLoad(const CliTarget& source, const CliTarget& server, const std::string& table,
                                 std::int64_t rows);

  fs::path dir_;
  fs::path repo_;
  int runs_ = 0;
};

void InterruptTest::KillSnapshotsAt(const CliTarget& t, const std::vector<KillPoint>& points) {
  // A complete run first, in another repository: how long the kill window is.
  size_t complete_chunks = 0;
  double time_scale = 1.0;
  {
    // The faster of two runs: the first one warms the page cache, and a
    // kill point must fall inside the runs that follow.
    long long ms = 0;
    for (int run = 0; run < 2; ++run) {
      fs::remove_all(dir_ / "measure-repo");
      const auto t0 = steady_clock::now();
      std::string id = Snapshot(t, dir_ / "measure-repo");
      const auto took = std::chrono::duration_cast<milliseconds>(steady_clock::now() - t0).count();
      ASSERT_FALSE(id.empty());
      ms = run == 0 ? took : std::min<long long>(ms, took);
    }
    std::cout << "[ measure  ] a complete snapshot of " << t.engine << " took " << ms << " ms\n";
    complete_chunks = ChunkFiles(dir_ / "measure-repo", {});
    int latest = 0;
    for (const auto& p : points) latest = std::max(latest, p.after_ms);
    // On a fast, idle machine the whole snapshot may take less than the
    // latest kill point: scale the points into the first 60% of the run.
    ASSERT_GT(ms, 150) << "the snapshot is too quick to be killed inside it: make the test database bigger";
    if (latest > 0 && ms * 6 / 10 < latest) time_scale = static_cast<double>(ms) * 0.6 / latest;
    fs::remove_all(dir_ / "measure-repo");
  }

  bool any_partial = false;
  for (size_t i = 0; i < points.size(); ++i) {
    const KillPoint& point = points[i];
    const size_t chunk_target =
        std::max<size_t>(1, static_cast<size_t>(point.chunk_share * static_cast<double>(complete_chunks)));
    SCOPED_TRACE(point.chunk_share > 0 ? "kill once " + std::to_string(chunk_target) + " of " +
                                             std::to_string(complete_chunks) + " data chunks are written"
                                       : "kill after " + std::to_string(point.after_ms) + " ms");
    const std::set<std::string> before = Committed();
    auto p = Start({"snapshot", t.text, "--json"}, t.env);
    if (point.chunk_share > 0) {
      const auto deadline = steady_clock::now() + std::chrono::seconds(120);
      while (ChunkFiles(repo_, before) < chunk_target && p->Running() && steady_clock::now() < deadline) {
        std::this_thread::sleep_for(milliseconds(1));
      }
    } else {
      while (p->Elapsed() < milliseconds(static_cast<long long>(point.after_ms * time_scale)) &&
             p->Running()) {
        std::this_thread::sleep_for(milliseconds(1));
      }
    }
    const auto killed_at = p->Elapsed();
    p->Signal(SIGKILL);
    const int code = p->Wait();
    ASSERT_EQ(code, 128 + SIGKILL) << "the snapshot ended (exit " << code << ") before it was killed:\n"
                                   << p->Result().err;

    // Nothing the killed run wrote counts as a snapshot.
    EXPECT_EQ(Committed(), before) << "the killed run left a directory with a manifest";
    std::set<std::string> partial;
    for (const auto& d : SnapshotDirs()) {
      if (!before.count(d)) partial.insert(d);
    }
    any_partial = any_partial || !partial.empty();
    size_t chunks = 0;
    for (const auto& d : partial) {
      std::error_code ec;
      for (fs::directory_iterator c(repo_ / "snapshots" / d / "data", ec), end; !ec && c != end;
           c.increment(ec)) {
        ++chunks;
      }
    }
    std::cout << "[ killed   ] " << t.engine << " snapshot after " << killed_at.count()
              << " ms: " << partial.size() << " partial director" << (partial.size() == 1 ? "y" : "ies")
              << ", " << chunks << " data chunk(s)\n";
    for (const auto& d : partial) {
      EXPECT_FALSE(fs::exists(repo_ / "snapshots" / d / "manifest.json")) << d;
    }
    if (before.empty()) {
      auto verify = Run({"verify", "latest"}, t.env);
      EXPECT_NE(verify.exit_code, 0) << "verify accepted something after a killed snapshot:\n" << verify.out;
      auto rt = Run({"restore-test", "latest", "--json"}, t.env);
      EXPECT_NE(rt.exit_code, 0) << "restore-test accepted something after a killed snapshot:\n" << rt.out;
    }

    if (i % 2 == 0) {
      // `cutover snapshots` lists none of it (and removes the directory too).
      EXPECT_EQ(Listed(t), before);
      EXPECT_EQ(SnapshotDirs(), before) << "`cutover snapshots` left the partial directory";
    }
    // The next snapshot removes what the killed run left and succeeds.
    std::string id = Snapshot(t);
    ASSERT_FALSE(id.empty());
    std::set<std::string> expected = before;
    expected.insert(id);
    EXPECT_EQ(SnapshotDirs(), expected) << "the partial directory of the killed run is still there";
    EXPECT_EQ(Listed(t), expected);
  }
  EXPECT_TRUE(any_partial) << "no kill point left a partial directory: the clean-up was not exercised";

  // Every snapshot that is listed is complete.
  auto verify = Run({"verify", "latest", "--deep"}, t.env);
  EXPECT_EQ(verify.exit_code, 0) << verify.out << verify.err;
}

std::string InterruptTest::WaitForScratchDatabase(CutoverProcess& p, Driver& driver,
                                                  const ConnectionUri& server) {
  auto catalog = Catalog::Open(testing::TestLoader(), repo_);
  if (!catalog.ok()) {
    ADD_FAILURE() << catalog.status().ToString();
    return "";
  }
  const pid_t pid = p.pid();
  std::string name;
  const auto deadline = steady_clock::now() + std::chrono::seconds(120);
  while (p.Running() && steady_clock::now() < deadline) {
    if (name.empty()) {
      auto records = (*catalog)->ListScratch();
      if (!records.ok()) {
        ADD_FAILURE() << records.status().ToString();
        return "";
      }
      for (const auto& r : *records) {
        if (r.pid == pid) name = r.name;
      }
    }
    if (!name.empty()) {
      auto dbs = driver.ListDatabases(server, name);
      if (dbs.ok() && std::find(dbs->begin(), dbs->end(), name) != dbs->end()) return name;
    }
    std::this_thread::sleep_for(milliseconds(5));
  }
  return "";
}

bool DatabaseExists(Driver& driver, const ConnectionUri& server, const std::string& name) {
  auto dbs = driver.ListDatabases(server, name);
  if (!dbs.ok()) {
    ADD_FAILURE() << dbs.status().ToString();
    return false;
  }
  return std::find(dbs->begin(), dbs->end(), name) != dbs->end();
}

std::vector<std::string> ScratchRecords(const fs::path& repo) {
  auto catalog = Catalog::Open(testing::TestLoader(), repo);
  if (!catalog.ok()) {
    ADD_FAILURE() << catalog.status().ToString();
    return {};
  }
  auto records = (*catalog)->ListScratch();
  if (!records.ok()) {
    ADD_FAILURE() << records.status().ToString();
    return {};
  }
  std::vector<std::string> names;
  for (const auto& r : *records) names.push_back(r.name);
  return names;
}

void InterruptTest::KillRestoreTest(const CliTarget& source, const CliTarget& server) {
  Driver* driver = testing::TestDriver(server.engine);
  ASSERT_NE(driver, nullptr);
  ASSERT_FALSE(Snapshot(source).empty());
  const std::vector<std::string> rt{"restore-test", "latest", "--scratch", server.text, "--json"};

  // Measure a complete run: the kill must land inside the next one.
  {
    const auto t0 = steady_clock::now();
    auto r = Run(rt, server.env);
    const auto ms = std::chrono::duration_cast<milliseconds>(steady_clock::now() - t0).count();
    ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
    std::cout << "[ measure  ] a complete restore-test on " << server.engine << " took " << ms << " ms\n";
  }

  for (int delay_ms : {0, 300}) {
    SCOPED_TRACE("kill " + std::to_string(delay_ms) + " ms after the scratch database appeared");
    auto p = Start(rt, server.env);
    const std::string name = WaitForScratchDatabase(*p, *driver, server.uri);
    ASSERT_FALSE(name.empty()) << "no scratch database appeared while restore-test ran:\n" << p->Result().err;
    std::this_thread::sleep_for(milliseconds(delay_ms));
    p->Signal(SIGKILL);
    const int code = p->Wait();
    ASSERT_EQ(code, 128 + SIGKILL) << "restore-test ended (exit " << code << ") before it was killed";
    EXPECT_TRUE(DatabaseExists(*driver, server.uri, name))
        << "expected the killed run's " << name << " to remain";

    // The next run drops it, says so, and passes.
    auto r = Run(rt, server.env);
    EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
    Json doc = ParseJson(r);
    ASSERT_TRUE(doc.is_object());
    EXPECT_EQ(doc["ok"], true) << r.out;
    std::vector<std::string> cleaned = doc["cleaned_up"].get<std::vector<std::string>>();
    EXPECT_NE(std::find(cleaned.begin(), cleaned.end(), name), cleaned.end())
        << "cleaned_up does not name " << name << ":\n"
        << r.out;
    EXPECT_FALSE(DatabaseExists(*driver, server.uri, name)) << name << " is still there";
    EXPECT_FALSE(DatabaseExists(*driver, server.uri, doc["scratch_database"].get<std::string>()));
    EXPECT_TRUE(ScratchRecords(repo_).empty()) << "the catalog still lists scratch databases";
    if (server.engine == "sqlite") {
      // An image restore writes an unnamed file until it is complete: a kill
      // leaves nothing beside the scratch databases, which the run dropped.
      std::error_code ec;
      for (const auto& e : fs::directory_iterator(server.uri.path(), ec)) {
        ADD_FAILURE() << "left in the scratch directory: " << e.path();
      }
    }
  }
}

void InterruptTest::TerminateRestoreTest(const CliTarget& source, const CliTarget& server) {
  Driver* driver = testing::TestDriver(server.engine);
  ASSERT_NE(driver, nullptr);
  ASSERT_FALSE(Snapshot(source).empty());
  for (int delay_ms : {0, 300}) {
    SCOPED_TRACE("SIGTERM " + std::to_string(delay_ms) + " ms after the scratch database appeared");
    auto p = Start({"restore-test", "latest", "--scratch", server.text, "--json"}, server.env);
    const std::string name = WaitForScratchDatabase(*p, *driver, server.uri);
    ASSERT_FALSE(name.empty()) << "no scratch database appeared while restore-test ran:\n" << p->Result().err;
    std::this_thread::sleep_for(milliseconds(delay_ms));
    ASSERT_TRUE(p->Running()) << "restore-test ended before SIGTERM; make the test database bigger";
    const auto t0 = steady_clock::now();
    p->Signal(SIGTERM);
    ASSERT_TRUE(p->WaitFor(milliseconds(120000))) << "restore-test did not stop within 2 minutes of SIGTERM";
    const auto stop_ms = std::chrono::duration_cast<milliseconds>(steady_clock::now() - t0).count();
    RunResult r = p->Result();
    ExpectNoPassword(r, server.env);
    std::cout << "[ sigterm  ] restore-test on " << server.engine << " exited " << r.exit_code << " after "
              << stop_ms << " ms\n";
    // Schedulers escalate to SIGKILL after a grace period (Kubernetes: 30 s).
    EXPECT_LT(stop_ms, 10000) << "restore-test took " << stop_ms << " ms to stop after SIGTERM";
    EXPECT_EQ(r.exit_code, 3) << "an interruption is kCancelled:\n" << r.err;
    EXPECT_NE(r.err.find("interrupted by SIGTERM"), std::string::npos) << r.err;
    EXPECT_FALSE(DatabaseExists(*driver, server.uri, name)) << "SIGTERM left scratch database " << name;
    EXPECT_TRUE(ScratchRecords(repo_).empty()) << "the catalog still lists scratch databases";
    Json doc = ParseJson(r);
    if (doc.is_object() && doc.contains("ok")) {
      EXPECT_EQ(doc["ok"], false);
      EXPECT_NE(doc.dump().find("interrupted"), std::string::npos) << r.out;
    }
  }
}

// SIGTERM while a restore test loads a big table must stop the load, not
// wait for the table to finish: schedulers escalate to SIGKILL after a grace
// period (Kubernetes: 30 s by default, systemd: 90 s), and a killed run
// leaves its scratch database until the next run. The table here has no
// integer key, so it is one range and one ImportRows call. The signal is
// sent as soon as the server shows the load running; with --keep the
// scratch database survives, and its row count shows whether the load went
// on to the end after the signal.
void InterruptTest::ExpectSigtermStopsTheLoad(const CliTarget& source, const CliTarget& server,
                                              const std::string& table, std::int64_t rows) {
  Driver* driver = testing::TestDriver(server.engine);
  ASSERT_NE(driver, nullptr);
  ASSERT_FALSE(Snapshot(source).empty());
  auto p = Start({"restore-test", "latest", "--scratch", server.text, "--keep", "--json"}, server.env);
  const std::string name = WaitForScratchDatabase(*p, *driver, server.uri);
  ASSERT_FALSE(name.empty()) << "no scratch database appeared while restore-test ran:\n" << p->Result().err;
  auto admin = driver->Connect(server.uri);
  ASSERT_TRUE(admin.ok()) << admin.status().ToString();
  const std::string loading =
      server.engine == "postgresql"
          ? "SELECT count(*) FROM pg_stat_progress_copy WHERE datname = " + (*admin)->QuoteLiteral(name)
          : "SELECT count(*) FROM information_schema.PROCESSLIST WHERE DB = " + (*admin)->QuoteLiteral(name) +
                " AND (INFO LIKE 'LOAD DATA%' OR INFO LIKE 'INSERT%')";
  bool seen = false;
  const auto deadline = steady_clock::now() + std::chrono::seconds(60);
  while (!seen && p->Running() && steady_clock::now() < deadline) {
    Status st = (*admin)->Query(loading, [&](RowView row) {
      seen = !row.empty() && row[0].data != "0";
      return Status::Ok();
    });
    ASSERT_TRUE(st.ok()) << st.ToString();
  }
  ASSERT_TRUE(seen) << "never saw the load running";
  ASSERT_TRUE(p->Running());
  const auto t0 = steady_clock::now();
  p->Signal(SIGTERM);
  ASSERT_TRUE(p->WaitFor(milliseconds(300000))) << "restore-test did not stop within 5 minutes of SIGTERM";
  const auto stop_ms = std::chrono::duration_cast<milliseconds>(steady_clock::now() - t0).count();
  RunResult r = p->Result();
  EXPECT_NE(r.exit_code, 0) << r.out;
  std::int64_t loaded = -1;
  {
    auto kept = driver->Connect(server.uri.WithDatabase(name));
    ASSERT_TRUE(kept.ok()) << kept.status().ToString();
    // The table exists (pre-data made it); the interrupted load was rolled
    // back with its transaction, so the count is 0, or what committed ranges
    // loaded. A failing count is a failure, not a pass.
    Status st = (*kept)->Query("SELECT count(*) FROM " + (*kept)->QuoteIdentifier(table), [&](RowView row) {
      loaded = std::stoll(std::string(row[0].data));
      return Status::Ok();
    });
    EXPECT_TRUE(st.ok()) << "cannot count the rows the interrupted load left: " << st.ToString();
  }
  EXPECT_TRUE(driver->DropDatabase(server.uri, name).ok());
  std::cout << "[ sigterm  ] restore-test on " << server.engine << " stopped " << stop_ms
            << " ms after SIGTERM during the load; " << loaded << " of " << rows << " rows were loaded\n";
  EXPECT_GE(loaded, 0);
  EXPECT_LT(loaded, rows) << "after SIGTERM the restore test went on loading the whole table (" << stop_ms
                          << " ms): it only looks at the signal between ranges, so on a big table the stop "
                             "waits for the table to load";
  // An all-or-nothing load leaves 0 rows whenever it stopped: the time is
  // what proves the load itself was stopped, not finished and rolled back
  // (measured: 96-441 ms; loading the 400,000 rows takes seconds).
  EXPECT_LT(stop_ms, 3000) << "the load went on for " << stop_ms << " ms after SIGTERM";
}

// ---- Sources big enough to interrupt ---------------------------------------

// A SQLite file of poorly compressible rows, built once per test program
// and removed when it exits.
class BigSqliteFile {
 public:
  BigSqliteFile() : dir_(fs::temp_directory_path() / testing::UniqueName("cutover-interrupt-src-")) {
    fs::create_directories(dir_);
    const fs::path file = dir_ / "big.db";
    { std::ofstream(file.string(), std::ios::app); }
    auto conn = testing::TestLoader().Connect("sqlite://" + file.string());
    if (!conn.ok()) {
      ADD_FAILURE() << conn.status().ToString();
      return;
    }
    Status st = (*conn)->ExecuteScript(
        "CREATE TABLE \"big \"\"t\"\"\" (id INTEGER PRIMARY KEY, label TEXT NOT NULL, payload BLOB, amount "
        "REAL);\n"
        "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 200000)\n"
        "INSERT INTO \"big \"\"t\"\"\" SELECT i, hex(randomblob(24)), randomblob(300), i * 0.25 FROM n;\n"
        "CREATE INDEX big_label ON \"big \"\"t\"\"\" (label);\n"
        "CREATE TABLE small (k TEXT PRIMARY KEY, v) WITHOUT ROWID;\n"
        "INSERT INTO small VALUES ('a', 1), ('b', x'00ff'), ('c', NULL);\n");
    if (!st.ok()) {
      ADD_FAILURE() << st.ToString();
      return;
    }
    path_ = file.string();
  }
  ~BigSqliteFile() {
    std::error_code ec;
    fs::remove_all(dir_, ec);
  }
  const std::string& path() const { return path_; }

 private:
  fs::path dir_;
  std::string path_;
};

const std::string& BigSqliteDb() {
  static const BigSqliteFile file;
  return file.path();
}

// Rows of the same shape in a server database. `splittable`: an integer
// primary key the core can cut into key ranges; otherwise the key is text and
// the table is exported and loaded as one range.
void FillServerDatabase(const testing::ScratchDatabase& db, int rows, bool splittable = true) {
  const std::string n = std::to_string(rows);
  if (db.engine() == "postgresql") {
    db.Exec(
        "CREATE TABLE \"big \"\"t\"\"\" (id bigint " + std::string(splittable ? "PRIMARY KEY" : "NOT NULL") +
        ", label text NOT NULL" + (splittable ? "" : " PRIMARY KEY") +
        ", payload bytea, amount numeric);\n"
        "INSERT INTO \"big \"\"t\"\"\" SELECT i, md5(i::text), decode(md5(random()::text) || "
        "md5(random()::text) || md5(random()::text) || md5(random()::text) || md5(random()::text) || "
        "md5(random()::text) || md5(random()::text) || md5(random()::text) || md5(random()::text), 'hex'), "
        "i * 0.25 FROM generate_series(1, " +
        n + ") i;\n" + (splittable ? "CREATE INDEX big_label ON \"big \"\"t\"\"\" (label);\n" : "") +
        "ANALYZE;\n");
  } else {
    db.Exec(
        "CREATE TABLE `big \"t\"` (id BIGINT NOT NULL, label VARCHAR(64) NOT NULL, payload VARBINARY(400), "
        "amount DOUBLE, PRIMARY KEY (" +
        std::string(splittable ? "id" : "label") +
        ")) ENGINE=InnoDB;\n"
        "INSERT INTO `big \"t\"` SELECT seq, md5(seq), unhex(concat(md5(rand()), md5(rand()), md5(rand()), "
        "md5(rand()), md5(rand()), md5(rand()), md5(rand()), md5(rand()), md5(rand()))), seq * 0.25 FROM "
        "seq_1_to_" +
        n + ";\n" + (splittable ? "CREATE INDEX big_label ON `big \"t\"` (label);\n" : "") +
        "ANALYZE TABLE `big \"t\"`;\n");
  }
}

CliTarget SqliteScratchServer(const fs::path& dir) {
  fs::create_directories(dir / "scratch");
  ::chmod((dir / "scratch").c_str(), 0700);
  auto uri = ConnectionUri::Parse("sqlite://" + (dir / "scratch").string());
  EXPECT_TRUE(uri.ok());
  return ForCli(*uri);
}

CliTarget SqliteSource() {
  auto uri = ConnectionUri::Parse("sqlite://" + BigSqliteDb());
  EXPECT_TRUE(uri.ok());
  return ForCli(*uri);
}

// ---- kill -9 during `cutover snapshot` ----

TEST_F(InterruptTest, KilledSqliteSnapshotIsNeverListedAndNextRunRemovesIt) {
  ASSERT_FALSE(BigSqliteDb().empty());
  KillSnapshotsAt(SqliteSource(), {{50, 0}, {200, 0}, {600, 0}, {0, 1e-9}, {0, 0.5}});
}

TEST_F(InterruptTest, KilledPostgresqlSnapshotIsNeverListedAndNextRunRemovesIt) {
  testing::ScratchDatabase db("postgresql");
  ASSERT_FALSE(db.name().empty());
  FillServerDatabase(db, 400000);
  ASSERT_FALSE(HasFailure());
  KillSnapshotsAt(ForCli(db.uri()), {{50, 0}, {300, 0}, {0, 1e-9}, {0, 0.5}});
}

TEST_F(InterruptTest, KilledMariadbSnapshotIsNeverListedAndNextRunRemovesIt) {
  testing::ScratchDatabase db("mysql");
  ASSERT_FALSE(db.name().empty());
  FillServerDatabase(db, 400000);
  ASSERT_FALSE(HasFailure());
  KillSnapshotsAt(ForCli(db.uri()), {{50, 0}, {300, 0}, {0, 1e-9}, {0, 0.5}});
}

// SIGTERM is not a crash: the snapshot stops at once, removes its own
// directory and exits non-zero.
TEST_F(InterruptTest, TerminatedSqliteSnapshotRemovesItsDirectory) {
  ASSERT_FALSE(BigSqliteDb().empty());
  const CliTarget t = SqliteSource();
  auto p = Start({"snapshot", t.text, "--json"}, t.env);
  const auto deadline = steady_clock::now() + std::chrono::seconds(120);
  while (ChunkFiles(repo_, {}) < 1 && p->Running() && steady_clock::now() < deadline) {
    std::this_thread::sleep_for(milliseconds(1));
  }
  ASSERT_TRUE(p->Running()) << "the snapshot ended before SIGTERM:\n" << p->Result().err;
  EXPECT_EQ(SnapshotDirs().size(), 1u);
  const auto t0 = steady_clock::now();
  p->Signal(SIGTERM);
  ASSERT_TRUE(p->WaitFor(milliseconds(60000))) << "the snapshot did not stop within a minute of SIGTERM";
  const auto stop_ms = std::chrono::duration_cast<milliseconds>(steady_clock::now() - t0).count();
  RunResult r = p->Result();
  EXPECT_NE(r.exit_code, 0);
  EXPECT_LT(r.exit_code, 128) << "killed by the signal instead of stopping cleanly:\n" << r.err;
  EXPECT_LT(stop_ms, 5000);
  EXPECT_TRUE(SnapshotDirs().empty()) << "the interrupted snapshot left its directory";
  EXPECT_EQ(r.exit_code, 3) << r.err;
  EXPECT_NE(r.err.find("interrupted by SIGTERM; no snapshot was recorded; its partial directory was removed; "
                       "run the same snapshot command again"),
            std::string::npos)
      << r.err;
  EXPECT_NE(r.out.find("\"cancelled\""), std::string::npos) << "the JSON error names the code: " << r.out;
  EXPECT_TRUE(Listed(t).empty());
}

// ---- kill -9 and SIGTERM during `cutover restore-test` ----

TEST_F(InterruptTest, KilledPostgresqlRestoreTestScratchIsDroppedByNextRun) {
  testing::ScratchDatabase db("postgresql");
  ASSERT_FALSE(db.name().empty());
  FillServerDatabase(db, 400000);
  ASSERT_FALSE(HasFailure());
  KillRestoreTest(ForCli(db.uri()), ForCli(testing::ServerUri("postgresql")));
}

TEST_F(InterruptTest, KilledMariadbRestoreTestScratchIsDroppedByNextRun) {
  testing::ScratchDatabase db("mysql");
  ASSERT_FALSE(db.name().empty());
  FillServerDatabase(db, 400000);
  ASSERT_FALSE(HasFailure());
  KillRestoreTest(ForCli(db.uri()), ForCli(testing::ServerUri("mysql")));
}

TEST_F(InterruptTest, KilledSqliteRestoreTestScratchIsDroppedByNextRun) {
  ASSERT_FALSE(BigSqliteDb().empty());
  KillRestoreTest(SqliteSource(), SqliteScratchServer(dir_));
}

TEST_F(InterruptTest, TerminatedPostgresqlRestoreTestDropsItsScratchDatabase) {
  testing::ScratchDatabase db("postgresql");
  ASSERT_FALSE(db.name().empty());
  FillServerDatabase(db, 400000);
  ASSERT_FALSE(HasFailure());
  TerminateRestoreTest(ForCli(db.uri()), ForCli(testing::ServerUri("postgresql")));
}

TEST_F(InterruptTest, TerminatedMariadbRestoreTestDropsItsScratchDatabase) {
  testing::ScratchDatabase db("mysql");
  ASSERT_FALSE(db.name().empty());
  FillServerDatabase(db, 400000);
  ASSERT_FALSE(HasFailure());
  TerminateRestoreTest(ForCli(db.uri()), ForCli(testing::ServerUri("mysql")));
}

TEST_F(InterruptTest, TerminatedPostgresqlRestoreTestStopsLoadingMidTable) {
  testing::ScratchDatabase db("postgresql");
  ASSERT_FALSE(db.name().empty());
  FillServerDatabase(db, 400000, /*splittable=*/false);
  ASSERT_FALSE(HasFailure());
  ExpectSigtermStopsTheLoad(ForCli(db.uri()), ForCli(testing::ServerUri("postgresql")), "big \"t\"", 400000);
}

TEST_F(InterruptTest, TerminatedMariadbRestoreTestStopsLoadingMidTable) {
  testing::ScratchDatabase db("mysql");
  ASSERT_FALSE(db.name().empty());
  FillServerDatabase(db, 400000, /*splittable=*/false);
  ASSERT_FALSE(HasFailure());
  ExpectSigtermStopsTheLoad(ForCli(db.uri()), ForCli(testing::ServerUri("mysql")), "big \"t\"", 400000);
}

TEST_F(InterruptTest, TerminatedSqliteRestoreTestDropsItsScratchDatabase) {
  ASSERT_FALSE(BigSqliteDb().empty());
  TerminateRestoreTest(SqliteSource(), SqliteScratchServer(dir_));
}

}  // namespace
}  // namespace cutover
