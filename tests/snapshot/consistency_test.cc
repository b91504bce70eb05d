// Consistency under load (issue 3): a snapshot taken while other sessions
// commit transactions must restore to a state that existed at one point in
// time. Each test runs a writer workload whose invariant only holds between
// transactions, takes a snapshot in the middle of it (several reader
// connections, big tables split into key ranges), restores it into a fresh
// database and checks the invariant there, and runs the restore test.
//
// PostgreSQL: pgbench tpcb-like; the TPC-B invariant sum(abalance) =
// sum(bbalance) = sum(tbalance) = sum(history.delta). MariaDB and SQLite: a
// bank of accounts and threads doing transfers; in any consistent state the
// total is unchanged, every account's balance equals its opening balance plus
// its history deltas, and the transfer counter matches the history. A torn
// snapshot (tables or key ranges read at different times) breaks one of them.
// SQLite runs in WAL mode (writers commit while the snapshot reads) and in
// rollback-journal mode (writers get SQLITE_BUSY and retry; nothing may
// deadlock); a last test checks that a snapshot blocked by a SQLite writer
// waits as long as its lock_timeout allows.
#include <gtest/gtest.h>
#include <signal.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <cstring>
#include <filesystem>
#include <memory>
#include <mutex>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "catalog/catalog.h"
#include "snapshot/repository.h"
#include "snapshot/restore.h"
#include "snapshot/restore_check.h"
#include "snapshot/take.h"
#include "support/process.h"
#include "support/test_env.h"

namespace cutover {
namespace {
namespace fs = std::filesystem;
using std::chrono::milliseconds;
using std::chrono::steady_clock;
using testing::ChildProcess;

constexpr char kPgbench[] = "/usr/lib/postgresql/15/bin/pgbench";

// A private temporary directory holding a snapshot repository; removed at the end.
class TempRepo {
 public:
  TempRepo() : dir_(fs::temp_directory_path() / testing::UniqueName("cutover-consistency-")) {
    fs::create_directories(dir_);
    auto repo = snapshot::Repository::Open(dir_ / "repo");
    if (!repo.ok()) {
      ADD_FAILURE() << repo.status().ToString();
      return;
    }
    repo_ = std::make_unique<snapshot::Repository>(std::move(*repo));
  }
  ~TempRepo() {
    std::error_code ec;
    fs::remove_all(dir_, ec);
  }
  snapshot::Repository* repo() { return repo_.get(); }
  fs::path root() const { return dir_ / "repo"; }
  fs::path dir() const { return dir_; }

 private:
  fs::path dir_;
  std::unique_ptr<snapshot::Repository> repo_;
};

// The cells of the first row of a query as text ("NULL" for NULL); a failure
// is recorded and an empty vector returned when the query fails.
std::vector<std::string> FirstRow(Connection& conn, const std::string& sql) {
  std::vector<std::string> out;
  bool seen = false;
  Status st = conn.Query(sql, [&](RowView row) {
    if (!seen) {
      for (const Cell& c : row) out.push_back(c.is_null() ? "NULL" : std::string(c.data));
      seen = true;
    }
    return Status::Ok();
  });
  if (!st.ok()) {
    ADD_FAILURE() << "query failed: " << sql << "\n" << st.ToString();
    return {};
  }
  if (!seen) ADD_FAILURE() << "query returned no row: " << sql;
  return out;
}

std::int64_t ToInt(const std::string& text) {
  try {
    size_t used = 0;
    long long v = std::stoll(text, &used);
    if (used == text.size()) return v;
  } catch (const std::exception&) {
  }
  ADD_FAILURE() << "'" << text << "' is not an integer";
  return -1;
}

std::int64_t QueryInt(Connection& conn, const std::string& sql) {
  auto row = FirstRow(conn, sql);
  if (row.empty()) return -1;
  return ToInt(row[0]);
}

const snapshot::TableEntry* FindTable(const snapshot::Manifest& m, const std::string& name) {
  for (const auto& t : m.tables) {
    if (t.table.name == name) return &t;
  }
  ADD_FAILURE() << "the manifest of snapshot " << m.id << " has no table " << name;
  return nullptr;
}

std::string Joined(const std::vector<std::string>& lines) {
  std::string out;
  for (const auto& l : lines) out += "  " + l + "\n";
  return out;
}

// Runs the restore test of `manifest` on `engine`'s scratch server and
// expects a clean pass.
void ExpectRestoreTestPasses(const std::string& engine, TempRepo& tmp, const snapshot::Manifest& manifest) {
  auto catalog = Catalog::Open(testing::TestLoader(), tmp.root());
  ASSERT_TRUE(catalog.ok()) << catalog.status().ToString();
  snapshot::RestoreTestRequest req;
  req.driver = testing::TestDriver(engine);
  ASSERT_NE(req.driver, nullptr);
  req.scratch_server = testing::ServerUri(engine);
  req.jobs = 2;
  auto report = snapshot::RunRestoreTest(*tmp.repo(), **catalog, manifest, req);
  ASSERT_TRUE(report.ok()) << report.status().ToString();
  EXPECT_TRUE(report->ok) << "restore test of " << manifest.id << " on " << engine << " found:\n"
                          << Joined(report->problems);
  EXPECT_TRUE(report->problems.empty()) << Joined(report->problems);
  EXPECT_EQ(report->rows, manifest.TotalRows());
  EXPECT_FALSE(report->kept);
  // The scratch database was dropped.
  auto left = req.driver->ListDatabases(req.scratch_server, report->scratch_database);
  ASSERT_TRUE(left.ok()) << left.status().ToString();
  EXPECT_TRUE(left->empty()) << "scratch database " << report->scratch_database << " was left behind";
  if (engine == "sqlite") {
    std::error_code ec;
    fs::remove_all(req.scratch_server.path(), ec);
  }
}

// ---- PostgreSQL: pgbench ----------------------------------------------------

std::vector<std::string> PgbenchArgs(const ConnectionUri& uri) {
  std::vector<std::string> args{kPgbench, "-h", uri.host().empty() ? "127.0.0.1" : uri.host()};
  if (uri.port()) args.insert(args.end(), {"-p", std::to_string(*uri.port())});
  if (!uri.user().empty()) args.insert(args.end(), {"-U", uri.user()});
  return args;
}

std::vector<std::string> PgbenchEnv(const ConnectionUri& uri) {
  std::vector<std::string> env{"PGAPPNAME=cutover-consistency-pgbench"};
  if (uri.password()) env.push_back("PGPASSWORD=" + *uri.password());
  return env;
}

// Waits until only `conn` is connected to its database, so the scratch
// database can be dropped after pgbench was stopped.
void WaitForOtherSessionsToLeave(Connection& conn) {
  const auto deadline = steady_clock::now() + std::chrono::seconds(20);
  while (steady_clock::now() < deadline) {
    if (QueryInt(conn,
                 "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND pid <> "
                 "pg_backend_pid()") == 0) {
      return;
    }
    std::this_thread::sleep_for(milliseconds(50));
  }
  ADD_FAILURE() << "pgbench sessions still connected 20 s after pgbench exited";
}

std::string TpcbSumsSql() {
  return "SELECT (SELECT coalesce(sum(abalance), 0) FROM pgbench_accounts), "
         "(SELECT coalesce(sum(bbalance), 0) FROM pgbench_branches), "
         "(SELECT coalesce(sum(tbalance), 0) FROM pgbench_tellers), "
         "(SELECT coalesce(sum(delta), 0) FROM pgbench_history), "
         "(SELECT count(*) FROM pgbench_history)";
}

TEST(ConsistencyUnderLoad, PostgresqlPgbenchTpcbInvariantHoldsInRestoredSnapshot) {
  const std::string engine = "postgresql";
  Driver* driver = testing::TestDriver(engine);
  ASSERT_NE(driver, nullptr);
  testing::ScratchDatabase source(engine);
  ASSERT_FALSE(source.name().empty());
  TempRepo tmp;
  ASSERT_NE(tmp.repo(), nullptr);
  const ConnectionUri& uri = source.uri();

  {
    std::vector<std::string> init = PgbenchArgs(uri);
    init.insert(init.end(), {"-i", "-s", "2", "-q", uri.database()});
    ChildProcess pgbench_init(init, testing::ProcessOptions().Env(PgbenchEnv(uri)),
                              tmp.dir() / "pgbench-init.log");
    ASSERT_TRUE(pgbench_init.started());
    ASSERT_EQ(pgbench_init.Wait(), 0) << "pgbench -i failed:\n" << pgbench_init.Log();
  }
  auto observer = source.Connect();
  ASSERT_NE(observer, nullptr);
  {
    std::vector<std::string> run = PgbenchArgs(uri);
    run.insert(run.end(), {"-n", "-c", "4", "-j", "2", "-T", "600", "-b", "tpcb-like", uri.database()});
    ChildProcess load(run, testing::ProcessOptions().Env(PgbenchEnv(uri)), tmp.dir() / "pgbench-run.log");
    ASSERT_TRUE(load.started());
    // Snapshot only once transactions are committing.
    const auto deadline = steady_clock::now() + std::chrono::seconds(60);
    while (QueryInt(*observer, "SELECT count(*) FROM pgbench_history") < 50) {
      ASSERT_TRUE(load.Running()) << "pgbench stopped early:\n" << load.Log();
      ASSERT_LT(steady_clock::now(), deadline) << "pgbench committed nothing in 60 s:\n" << load.Log();
      std::this_thread::sleep_for(milliseconds(20));
    }

    snapshot::SnapshotRequest req;
    req.driver = driver;
    req.uri = uri;
    req.target_label = "pgbench";
    req.jobs = 2;
    req.chunk_raw_bytes = std::int64_t{1} << 20;
    req.split_bytes = std::int64_t{1} << 20;  // pgbench_accounts (~26 MB) is cut into ranges
    const std::int64_t before = QueryInt(*observer, "SELECT count(*) FROM pgbench_history");
    auto snap = snapshot::TakeSnapshot(*tmp.repo(), req);
    const std::int64_t after = QueryInt(*observer, "SELECT count(*) FROM pgbench_history");
    ASSERT_TRUE(load.Running()) << "pgbench stopped during the snapshot:\n" << load.Log();
    load.Stop(SIGINT);
    ASSERT_TRUE(snap.ok()) << snap.status().ToString();
    EXPECT_GT(after, before)
        << "no pgbench transaction committed while the snapshot ran; the test proves nothing";
    const snapshot::Manifest& m = snap->manifest;
    std::cout << "[ snapshot ] " << m.TotalRows() << " rows in " << snap->seconds << " s; "
              << (after - before) << " pgbench transactions committed meanwhile\n";

    const auto* accounts = FindTable(m, "pgbench_accounts");
    ASSERT_NE(accounts, nullptr);
    std::cout << "[ snapshot ] pgbench_accounts read in " << accounts->ranges.size() << " key ranges\n";
    EXPECT_GT(accounts->ranges.size(), 1u)
        << "pgbench_accounts was not split into key ranges (split column '" << accounts->table.split_column
        << "', estimated " << accounts->table.estimated_bytes << " bytes)";
    EXPECT_EQ(accounts->rows, 200000);
    const auto* history = FindTable(m, "pgbench_history");
    ASSERT_NE(history, nullptr);
    EXPECT_GE(history->rows, before);
    EXPECT_LE(history->rows, after);

    // The TPC-B invariant in the restored database.
    testing::ScratchDatabase restored(engine);
    ASSERT_FALSE(restored.name().empty());
    snapshot::RestoreRequest rreq;
    rreq.driver = driver;
    rreq.into = restored.uri();
    rreq.jobs = 2;
    auto out = snapshot::RestoreSnapshot(*tmp.repo(), m, rreq);
    ASSERT_TRUE(out.ok()) << out.status().ToString();
    EXPECT_EQ(out->rows, m.TotalRows());
    {
      auto conn = restored.Connect();
      ASSERT_NE(conn, nullptr);
      auto sums = FirstRow(*conn, TpcbSumsSql());
      ASSERT_EQ(sums.size(), 5u);
      EXPECT_EQ(sums[0], sums[1]) << "sum(abalance) != sum(bbalance): the snapshot is not consistent";
      EXPECT_EQ(sums[0], sums[2]) << "sum(abalance) != sum(tbalance): the snapshot is not consistent";
      EXPECT_EQ(sums[0], sums[3]) << "sum(abalance) != sum(history.delta): the snapshot is not consistent";
      EXPECT_EQ(ToInt(sums[4]), history->rows);
      EXPECT_EQ(QueryInt(*conn, "SELECT count(*) FROM pgbench_accounts"), 200000);
    }
    ExpectRestoreTestPasses(engine, tmp, m);
    // The source itself satisfies the invariant once pgbench stopped (the
    // workload, not the snapshot, would be at fault otherwise).
    auto live = FirstRow(*observer, TpcbSumsSql());
    ASSERT_EQ(live.size(), 5u);
    EXPECT_EQ(live[0], live[1]);
    EXPECT_EQ(live[0], live[3]);
  }
  WaitForOtherSessionsToLeave(*observer);
}

// ---- MariaDB and SQLite: transfers between accounts ------------------------

constexpr int kAccounts = 40000;
constexpr std::int64_t kOpening = 1000;
constexpr int kWriters = 4;

struct BankCase {
  std::string engine;
  std::string journal_mode;  // SQLite: "wal" or "delete"
};

void PrintTo(const BankCase& c, std::ostream* os) {
  *os << c.engine << (c.journal_mode.empty() ? "" : " journal_mode=" + c.journal_mode);
}

std::string CaseName(const ::testing::TestParamInfo<BankCase>& info) {
  return info.param.engine + (info.param.journal_mode.empty() ? "" : "_" + info.param.journal_mode);
}

// Hostile names on purpose: the split column is a reserved word, the tables
// carry quotes, spaces and non-ASCII letters.
struct Bank {
  explicit Bank(const Connection& c)
      : accounts(c.QuoteIdentifier(kAccountsName)),
        history(c.QuoteIdentifier(kHistoryName)),
        stats(c.QuoteIdentifier("Stats")),
        key(c.QuoteIdentifier("order")),
        balance(c.QuoteIdentifier("balance")),
        note(c.QuoteIdentifier("note \"x\"")),
        account(c.QuoteIdentifier("select")),
        delta(c.QuoteIdentifier("delta")) {}
  static constexpr char kAccountsName[] = "Kon\"to `Ü`";
  static constexpr char kHistoryName[] = "his tory";
  std::string accounts, history, stats, key, balance, note, account, delta;
};

class BankConsistencyTest : public ::testing::TestWithParam<BankCase> {};

std::string Schema(const std::string& engine, const Bank& b) {
  const bool mysql = engine == "mysql";
  const std::string tail = mysql ? " ENGINE=InnoDB" : "";
  const std::string id = mysql ? "id BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY" : "id INTEGER PRIMARY KEY";
  return "CREATE TABLE " + b.accounts + " (" + b.key + " INTEGER NOT NULL PRIMARY KEY, " + b.balance +
         " BIGINT NOT NULL, " + b.note + " VARCHAR(200) NOT NULL)" + tail + ";\n" + "CREATE TABLE " +
         b.history + " (" + id + ", " + b.account + " INTEGER NOT NULL, " + b.delta + " BIGINT NOT NULL)" +
         tail + ";\n" + "CREATE INDEX hist_account ON " + b.history + " (" + b.account + ");\n" +
         "CREATE TABLE " + b.stats + " (id INTEGER NOT NULL PRIMARY KEY, transfers BIGINT NOT NULL)" + tail +
         ";\n" + "INSERT INTO " + b.stats + " VALUES (1, 0);\n";
}

// kAccounts accounts with poorly compressible notes, in batches.
void LoadAccounts(Connection& conn, const Bank& b) {
  std::mt19937_64 rng(42);
  static constexpr char kHex[] = "0123456789abcdef";
  ASSERT_TRUE(conn.Begin().ok());
  for (int first = 1; first <= kAccounts; first += 500) {
    std::string sql =
        "INSERT INTO " + b.accounts + " (" + b.key + ", " + b.balance + ", " + b.note + ") VALUES ";
    for (int i = first; i < first + 500 && i <= kAccounts; ++i) {
      std::string note;
      for (int k = 0; k < 150; ++k) note += kHex[rng() & 15];
      sql += (i == first ? "(" : ", (") + std::to_string(i) + ", " + std::to_string(kOpening) + ", '" + note +
             "')";
    }
    auto r = conn.Execute(sql);
    ASSERT_TRUE(r.ok()) << r.status().ToString();
  }
  ASSERT_TRUE(conn.Commit().ok());
}

// Every invariant a consistent state satisfies; `what` names the database.
void ExpectBankInvariants(Connection& conn, const Bank& b, const std::string& what,
                          std::int64_t* history_rows) {
  auto totals = FirstRow(conn, "SELECT COALESCE(SUM(" + b.balance + "), 0), COUNT(*) FROM " + b.accounts);
  ASSERT_EQ(totals.size(), 2u);
  EXPECT_EQ(ToInt(totals[0]), kAccounts * kOpening) << what << ": money appeared or vanished (torn snapshot)";
  EXPECT_EQ(ToInt(totals[1]), kAccounts) << what;
  const std::int64_t wrong = QueryInt(
      conn, "SELECT COUNT(*) FROM " + b.accounts + " a LEFT JOIN (SELECT " + b.account + " AS acc, SUM(" +
                b.delta + ") AS s FROM " + b.history + " GROUP BY " + b.account + ") h ON h.acc = a." +
                b.key + " WHERE a." + b.balance + " <> " + std::to_string(kOpening) + " + COALESCE(h.s, 0)");
  EXPECT_EQ(wrong, 0) << what
                      << ": accounts whose balance disagrees with their history (tables read at different "
                         "points in time)";
  auto hist = FirstRow(conn, "SELECT COUNT(*), COALESCE(SUM(" + b.delta + "), 0) FROM " + b.history);
  ASSERT_EQ(hist.size(), 2u);
  EXPECT_EQ(ToInt(hist[1]), 0) << what << ": history deltas do not cancel out";
  const std::int64_t transfers = QueryInt(conn, "SELECT transfers FROM " + b.stats + " WHERE id = 1");
  EXPECT_EQ(ToInt(hist[0]), 2 * transfers) << what << ": transfer counter and history disagree";
  if (history_rows != nullptr) *history_rows = ToInt(hist[0]);
}

// Writers: transfers in transactions, retried on deadlocks, lock timeouts
// and SQLITE_BUSY. They stop when told or after too many errors in a row.
class Writers {
 public:
  Writers(Driver& driver, const ConnectionUri& uri) {
    for (int w = 0; w < kWriters; ++w) {
      auto conn = driver.Connect(uri);
      if (!conn.ok()) {
        ADD_FAILURE() << "writer " << w << ": " << conn.status().ToString();
        continue;
      }
      conns_.push_back(std::move(*conn));
    }
    for (size_t w = 0; w < conns_.size(); ++w) {
      threads_.emplace_back([this, w] { Run(*conns_[w], static_cast<unsigned>(w)); });
    }
  }
  ~Writers() { Stop(); }

  void Stop() {
    stop_ = true;
    for (auto& t : threads_) t.join();
    threads_.clear();
  }
  std::int64_t committed() const { return committed_.load(); }
  std::int64_t retries() const { return retries_.load(); }
  std::string give_up() const {
    std::lock_guard<std::mutex> lock(mu_);
    return give_up_;
  }
  std::string last_error() const {
    std::lock_guard<std::mutex> lock(mu_);
    return last_error_;
  }

 private:
  void Run(Connection& c, unsigned seed) {
    const Bank b(c);
    std::mt19937 rng(seed * 7919 + 1);
    std::uniform_int_distribution<int> pick(1, kAccounts);
    std::uniform_int_distribution<int> amount(1, 100);
    int errors_in_a_row = 0;
    while (!stop_) {
      int from = pick(rng), to = pick(rng);
      if (from == to) continue;
      const int x = amount(rng);
      // Lower key first: two transfers never lock the same rows in opposite order.
      const int lo = std::min(from, to), hi = std::max(from, to);
      auto move = [&](int id) {
        return "UPDATE " + b.accounts + " SET " + b.balance + " = " + b.balance +
               (id == from ? " - " : " + ") + std::to_string(x) + " WHERE " + b.key + " = " +
               std::to_string(id);
      };
      Status st = c.Begin();
      for (const std::string& sql : {move(lo), move(hi),
                                     "INSERT INTO " + b.history + " (" + b.account + ", " + b.delta +
                                         ") VALUES (" + std::to_string(from) + ", -" + std::to_string(x) +
                                         "), (" + std::to_string(to) + ", " + std::to_string(x) + ")",
                                     "UPDATE " + b.stats + " SET transfers = transfers + 1 WHERE id = 1"}) {
        if (!st.ok()) break;
        auto r = c.Execute(sql);
        if (!r.ok()) st = r.status();
        if (st.ok() && *r != (sql.starts_with("INSERT") ? 2 : 1)) {
          st = Status::Internal("statement changed " + std::to_string(*r) + " rows: " + sql);
        }
      }
      if (st.ok()) st = c.Commit();
      if (st.ok()) {
        ++committed_;
        errors_in_a_row = 0;
        continue;
      }
      (void)c.Rollback();
      ++retries_;
      {
        std::lock_guard<std::mutex> lock(mu_);
        last_error_ = st.ToString();
      }
      if (++errors_in_a_row > 500) {
        std::lock_guard<std::mutex> lock(mu_);
        give_up_ = "writer gave up after 500 failures in a row; last: " + st.ToString();
        return;
      }
      std::this_thread::sleep_for(milliseconds(2));
    }
  }

  std::vector<std::unique_ptr<Connection>> conns_;
  std::vector<std::thread> threads_;
  std::atomic<bool> stop_{false};
  std::atomic<std::int64_t> committed_{0};
  std::atomic<std::int64_t> retries_{0};
  mutable std::mutex mu_;
  std::string give_up_;
  std::string last_error_;
};

// On MariaDB a snapshot holds a server-wide barrier (BACKUP STAGE
// BLOCK_COMMIT) while it reads the schema: if it hangs there, every commit on
// the shared test server waits with it. After `limit` the watchdog kills the
// sessions on the source database, which ends the barrier and fails the test.
class MariadbWatchdog {
 public:
  MariadbWatchdog(Driver& driver, const ConnectionUri& db, std::chrono::seconds limit) {
    if (db.scheme() != "mysql") return;
    thread_ = std::thread([this, &driver, db, limit] {
      std::unique_lock<std::mutex> lock(mu_);
      if (cv_.wait_for(lock, limit, [this] { return done_; })) return;
      fired_ = true;
      auto admin = driver.Connect(db);
      if (!admin.ok()) return;
      std::vector<std::string> ids;
      (void)(*admin)->Query(
          "SELECT ID FROM information_schema.PROCESSLIST WHERE DB = DATABASE() AND ID <> CONNECTION_ID()",
          [&](RowView row) {
            ids.emplace_back(row[0].data);
            return Status::Ok();
          });
      for (const auto& id : ids) (void)(*admin)->Execute("KILL CONNECTION " + id);
    });
  }
  ~MariadbWatchdog() { Disarm(); }
  // True when it had to kill the sessions.
  bool Disarm() {
    {
      std::lock_guard<std::mutex> lock(mu_);
      done_ = true;
    }
    cv_.notify_all();
    if (thread_.joinable()) thread_.join();
    return fired_;
  }

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  bool done_ = false;
  bool fired_ = false;
  std::thread thread_;
};

TEST_P(BankConsistencyTest, TransfersDuringSnapshotRestoreToOneConsistentState) {
  const BankCase& param = GetParam();
  Driver* driver = testing::TestDriver(param.engine);
  ASSERT_NE(driver, nullptr);
  testing::ScratchDatabase source(param.engine);
  ASSERT_FALSE(source.name().empty());
  TempRepo tmp;
  ASSERT_NE(tmp.repo(), nullptr);

  auto setup = source.Connect();
  ASSERT_NE(setup, nullptr);
  const Bank bank(*setup);
  if (param.engine == "sqlite") {
    auto mode = FirstRow(*setup, "PRAGMA journal_mode = " + param.journal_mode);
    ASSERT_EQ(mode.size(), 1u);
    ASSERT_EQ(mode[0], param.journal_mode);
  }
  ASSERT_TRUE(setup->ExecuteScript(Schema(param.engine, bank)).ok());
  LoadAccounts(*setup, bank);
  ASSERT_FALSE(HasFailure());
  if (param.engine == "mysql") {
    // Fresh statistics, so the driver's size estimate makes the core split
    // the accounts table into ranges.
    ASSERT_TRUE(setup->Query("ANALYZE TABLE " + bank.accounts, [](RowView) { return Status::Ok(); }).ok());
  }

  std::int64_t before = 0, after = 0, during = 0;
  Result<snapshot::SnapshotOutcome> snap = Status::Internal("not taken");
  {
    Writers writers(*driver, source.uri());
    const auto deadline = steady_clock::now() + std::chrono::seconds(30);
    while (writers.committed() < 50 && writers.give_up().empty() && steady_clock::now() < deadline) {
      std::this_thread::sleep_for(milliseconds(10));
    }
    ASSERT_GE(writers.committed(), 50)
        << "the writers do not commit: " << writers.give_up() << " " << writers.last_error();
    snapshot::SnapshotRequest req;
    req.driver = driver;
    req.uri = source.uri();
    if (param.journal_mode == "delete") {
      // Four writers that never pause starve a rollback-journal reader: its
      // read lock can take seconds. Connect()'s first read waits only the
      // connection's busy timeout (5 s), which the snapshot's lock_timeout
      // does not cover (see SqliteSnapshotWaitsUpToTheLockTimeout), so the
      // URI raises it.
      auto patient = ConnectionUri::Parse(source.uri().Text() + "?busy_timeout=30000");
      ASSERT_TRUE(patient.ok()) << patient.status().ToString();
      req.uri = *patient;
    }
    req.target_label = "bank-" + param.engine + param.journal_mode;
    req.jobs = 2;
    req.chunk_raw_bytes = std::int64_t{256} << 10;
    req.split_bytes = std::int64_t{256} << 10;
    req.options.lock_timeout = std::chrono::seconds(30);
    before = writers.committed();
    const auto t0 = steady_clock::now();
    MariadbWatchdog watchdog(*driver, source.uri(), std::chrono::seconds(120));
    snap = snapshot::TakeSnapshot(*tmp.repo(), req);
    EXPECT_FALSE(watchdog.Disarm()) << "the snapshot hung for 2 minutes; its sessions were killed";
    const double secs = std::chrono::duration<double>(steady_clock::now() - t0).count();
    after = writers.committed();
    during = after - before;
    // Keep writing a little after the snapshot: in rollback-journal mode the
    // writers waited for the snapshot's read lock and must get going again.
    const std::int64_t at_end = after;
    const auto resume_deadline = steady_clock::now() + std::chrono::seconds(30);
    while (writers.committed() < at_end + 20 && writers.give_up().empty() &&
           steady_clock::now() < resume_deadline) {
      std::this_thread::sleep_for(milliseconds(10));
    }
    EXPECT_GE(writers.committed(), at_end + 20)
        << "writers stalled after the snapshot: " << writers.last_error();
    writers.Stop();
    EXPECT_EQ(writers.give_up(), "");
    std::cout << "[ snapshot ] " << (snap.ok() ? snap->manifest.TotalRows() : 0) << " rows in " << secs
              << " s; " << during << " transfers committed meanwhile; " << writers.committed() << " in all; "
              << writers.retries() << " retried (last error: " << writers.last_error() << ")\n";
    after = writers.committed();  // upper bound for what the snapshot may contain
  }
  ASSERT_TRUE(snap.ok()) << snap.status().ToString();
  const snapshot::Manifest& m = snap->manifest;
  if (param.engine == "sqlite") {
    // Rollback-journal mode: the database file's image, read under the
    // snapshot's shared lock; WAL mode: records.
    EXPECT_EQ(m.layout,
              param.journal_mode == "delete" ? snapshot::Layout::kImage : snapshot::Layout::kRecords);
  }
  if (param.journal_mode != "delete") {
    // Neither InnoDB nor SQLite in WAL mode blocks writers while a snapshot
    // reads; in rollback-journal mode commits wait for the read to end.
    EXPECT_GT(during, 0) << "no transfer committed while the snapshot ran; the test proves nothing";
  }

  const auto* accounts = FindTable(m, Bank::kAccountsName);
  const auto* history = FindTable(m, Bank::kHistoryName);
  ASSERT_NE(accounts, nullptr);
  ASSERT_NE(history, nullptr);
  EXPECT_EQ(accounts->rows, kAccounts);
  std::cout << "[ snapshot ] accounts read in " << accounts->ranges.size() << " key range(s)\n";
  EXPECT_GE(history->rows, 2 * before);
  EXPECT_LE(history->rows, 2 * after);
  if (param.engine == "mysql") {
    EXPECT_GT(accounts->ranges.size(), 1u)
        << "the accounts table was not split into key ranges (split column '" << accounts->table.split_column
        << "', estimated " << accounts->table.estimated_bytes << " bytes)";
  }

  // The source is consistent once the writers stopped: checks the workload.
  ExpectBankInvariants(*setup, bank, "source after the writers stopped", nullptr);

  testing::ScratchDatabase restored(param.engine);
  ASSERT_FALSE(restored.name().empty());
  snapshot::RestoreRequest rreq;
  rreq.driver = driver;
  rreq.into = restored.uri();
  rreq.jobs = 2;
  auto out = snapshot::RestoreSnapshot(*tmp.repo(), m, rreq);
  ASSERT_TRUE(out.ok()) << out.status().ToString();
  {
    auto conn = restored.Connect();
    ASSERT_NE(conn, nullptr);
    std::int64_t restored_history = -1;
    ExpectBankInvariants(*conn, Bank(*conn), "restored snapshot " + m.id, &restored_history);
    EXPECT_EQ(restored_history, history->rows);
  }
  ExpectRestoreTestPasses(param.engine, tmp, m);
}

// A writer holding an exclusive lock (rollback journal: readers wait) for
// longer than the connection's busy timeout but less than the snapshot's
// lock_timeout: the snapshot waits for it and succeeds.
TEST(ConsistencyUnderLoad, SqliteSnapshotWaitsUpToTheLockTimeout) {
  Driver* driver = testing::TestDriver("sqlite");
  ASSERT_NE(driver, nullptr);
  testing::ScratchDatabase source("sqlite");
  ASSERT_FALSE(source.name().empty());
  source.Exec(
      "PRAGMA journal_mode = delete; CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT); INSERT INTO t VALUES "
      "(1, 'a');");
  auto holder = source.Connect();
  ASSERT_NE(holder, nullptr);
  ASSERT_TRUE(holder->Execute("BEGIN EXCLUSIVE").ok());
  ASSERT_TRUE(holder->Execute("INSERT INTO t VALUES (2, 'b')").ok());
  std::thread release([&] {
    std::this_thread::sleep_for(milliseconds(7000));
    (void)holder->Execute("COMMIT");
  });
  TempRepo tmp;
  snapshot::SnapshotRequest req;
  req.driver = driver;
  req.uri = source.uri();
  req.target_label = "locked";
  req.options.lock_timeout = std::chrono::seconds(30);
  const auto t0 = steady_clock::now();
  auto snap = snapshot::TakeSnapshot(*tmp.repo(), req);
  const double secs = std::chrono::duration<double>(steady_clock::now() - t0).count();
  release.join();
  ASSERT_TRUE(snap.ok()) << "after " << secs
                         << " s, with a lock_timeout of 30 s: " << snap.status().ToString();
  EXPECT_GE(secs, 6.0);
  const auto* t = FindTable(snap->manifest, "t");
  ASSERT_NE(t, nullptr);
  EXPECT_EQ(t->rows, 2) << "the snapshot began before the writer committed";
}

INSTANTIATE_TEST_SUITE_P(Engines, BankConsistencyTest,
                         ::testing::Values(BankCase{"mysql", ""}, BankCase{"sqlite", "wal"},
                                           BankCase{"sqlite", "delete"}),
                         CaseName);

}  // namespace
}  // namespace cutover
