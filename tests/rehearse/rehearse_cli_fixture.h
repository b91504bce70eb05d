// The fixture of the `cutover rehearse` CLI tests (rehearse_cli_test.cc,
// rehearse_exec_test.cc): a scratch database of the engine under test as the
// target, a repository of the test's own, the binary run with the scratch
// server, and helpers to snapshot, write plans and find leftover copies.
// Every run checks that no password of the environment reached its output.
#pragma once

#include <gtest/gtest.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <set>
#include <string>
#include <vector>

#include "schema/fingerprint.h"
#include "support/process.h"
#include "support/test_env.h"

namespace cutover {
namespace {
namespace fs = std::filesystem;
using Json = nlohmann::json;
using testing::RunResult;

// A query counting `rows` rows: SQLite's pause, as it cannot sleep in SQL.
std::string CountingQuery(std::int64_t rows) {
  return "WITH RECURSIVE g(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM g WHERE n < " + std::to_string(rows) +
         ") SELECT count(*) FROM g;\n";
}

class RehearseCli : public ::testing::TestWithParam<std::string> {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / testing::UniqueName("cutover-rehearse-");
    fs::create_directories(dir_);
    db_ = std::make_unique<testing::ScratchDatabase>(engine());
    conn_ = db_->Connect();
    ASSERT_NE(conn_, nullptr);
    target_ = testing::ForCli(db_->uri());
    if (engine() != "sqlite") server_ = testing::ForCli(testing::ServerUri(engine()));
    // The servers are shared: copies other tests left behind are not ours.
    const std::vector<std::string> before = ListScratch("cutover_");
    others_.insert(before.begin(), before.end());
  }
  void TearDown() override {
    conn_.reset();
    db_.reset();
    std::error_code ec;
    fs::remove_all(dir_, ec);
  }
  const std::string& engine() const { return GetParam(); }
  std::string Q(const std::string& name) const { return conn_->QuoteIdentifier(name); }

  // How many rows CountingQuery must count to take `seconds` here, measured
  // on the test's own connection (machines differ several-fold).
  std::int64_t RowsCountedIn(double seconds) const {
    const std::int64_t sample = 1000000;
    const auto start = std::chrono::steady_clock::now();
    testing::Scalar(*conn_, CountingQuery(sample));
    const double took = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    return static_cast<std::int64_t>(static_cast<double>(sample) * seconds / std::max(took, 0.01));
  }

  // The cutover command line with the repository, drivers and scratch server.
  std::vector<std::string> Args(const std::vector<std::string>& args, bool scratch) const {
    std::vector<std::string> all{"--repo", (dir_ / "repo").string(), "--driver-path", CUTOVER_TEST_DRIVER_DIR,
                                 "--no-progress"};
    all.insert(all.end(), args.begin(), args.end());
    if (scratch && !server_.text.empty()) {
      all.push_back("--scratch");
      all.push_back(server_.text);
    }
    return all;
  }
  std::vector<std::string> Env() const {
    std::vector<std::string> env = target_.env;
    env.insert(env.end(), server_.env.begin(), server_.env.end());
    return env;
  }
  RunResult Run(const std::vector<std::string>& args, bool scratch = true) const {
    RunResult r = testing::RunCutover(Args(args, scratch), testing::ProcessOptions().Env(Env()));
    for (const std::string& e : Env()) {
      const std::string secret = e.substr(e.find('=') + 1);
      if (secret.size() >= 4) {
        EXPECT_EQ((r.out + r.err).find(secret), std::string::npos) << "a password leaked";
      }
    }
    return r;
  }
  RunResult Rehearse(const std::string& plan, const std::vector<std::string>& more = {}) const {
    std::vector<std::string> args{"rehearse", target_.text, "--plan", plan, "--json"};
    args.insert(args.end(), more.begin(), more.end());
    return Run(args);
  }
  // Starts `cutover rehearse TARGET --plan PLAN` in the background; its
  // stdout and stderr go to <dir>/<name>.out and <dir>/<name>.err.
  std::unique_ptr<testing::ChildProcess> StartRehearse(const std::string& plan,
                                                       const std::string& name) const {
    std::vector<std::string> argv{CUTOVER_BINARY};
    for (const std::string& a : Args({"rehearse", target_.text, "--plan", plan}, true)) argv.push_back(a);
    return std::make_unique<testing::ChildProcess>(argv, testing::ProcessOptions().Env(Env()),
                                                   dir_ / (name + ".out"), dir_ / (name + ".err"));
  }
  // What the background run `name` wrote to stderr so far.
  std::string Stderr(const std::string& name) const {
    std::ifstream err(dir_ / (name + ".err"));
    return std::string(std::istreambuf_iterator<char>(err), {});
  }
  static Json Parse(const RunResult& r) {
    Json doc = Json::parse(r.out, nullptr, false);
    if (doc.is_discarded()) ADD_FAILURE() << "not JSON on stdout:\n" << r.out << "\nstderr:\n" << r.err;
    return doc;
  }

  // items(id, name, qty) with `rows` rows.
  void CreateItems(int rows) {
    db_->Exec("CREATE TABLE items (id INTEGER PRIMARY KEY, name VARCHAR(40), qty INTEGER)");
    for (int start = 1; start <= rows; start += 1000) {
      std::string sql = "INSERT INTO items VALUES ";
      for (int i = start; i < start + 1000 && i <= rows; ++i) {
        sql += (i == start ? "(" : ",(") + std::to_string(i) + ", 'n" + std::to_string(i) + "', " +
               std::to_string(i % 7) + ")";
      }
      db_->Exec(sql);
    }
  }
  // A snapshot of the target that passed a restore test.
  void SnapshotAndRestoreTest(bool restore_test = true) {
    RunResult s = Run({"snapshot", target_.text}, false);
    ASSERT_EQ(s.exit_code, 0) << s.out << s.err;
    if (!restore_test) return;
    RunResult t = Run({"restore-test", "latest"});
    ASSERT_EQ(t.exit_code, 0) << t.out << t.err;
  }
  std::string WritePlan(const std::string& name,
                        const std::vector<std::pair<std::string, std::string>>& files) {
    for (const auto& [rel, text] : files) {
      const fs::path p = dir_ / name / rel;
      fs::create_directories(p.parent_path());
      std::ofstream(p, std::ios::binary | std::ios::trunc) << text;
    }
    return (dir_ / name).string();
  }
  // 0001 adds a column (backfilled, dropped by rollback, checked, compat-tested).
  std::string GoodPlan() {
    const std::string batch =
        engine() == "mysql"
            ? "UPDATE items SET note = name WHERE note IS NULL ORDER BY id LIMIT {{batch_size}};\n"
            : "UPDATE items SET note = name WHERE id IN (SELECT id FROM items WHERE note IS NULL ORDER BY id "
              "LIMIT {{batch_size}});\n";
    return WritePlan("good",
                     {{"0001_note/expand.sql", "ALTER TABLE items ADD COLUMN note VARCHAR(40);\n"},
                      {"0001_note/backfill.sql", "-- cutover:batch-size 100\n" + batch},
                      {"0001_note/rollback.sql", "ALTER TABLE items DROP COLUMN note;\n"},
                      {"0001_note/compat.sql", "SELECT id, name, qty FROM items WHERE id = 1;\n"},
                      {"0001_note/checks.sql", "SELECT id FROM items WHERE note IS NULL AND id < 0;\n"}});
  }
  std::string TargetFingerprint() {
    auto model = conn_->ReadSchema();
    EXPECT_TRUE(model.ok()) << model.status().ToString();
    return model.ok() ? Fingerprint(*model) : "";
  }
  // The copies this test's runs left that should be gone: scratch databases,
  // and base copies where the engine cannot clone (it keeps none).
  std::vector<std::string> Leftovers() {
    std::vector<std::string> left = ScratchCopies("cutover_scratch_");
    if (!Clones()) {
      for (std::string& n : ScratchCopies("cutover_base_")) left.push_back(std::move(n));
    }
    return left;
  }
  bool Clones() const { return testing::TestDriver(engine())->info().clones_databases; }
  // The databases named `prefix`... this test's runs made and left.
  std::vector<std::string> ScratchCopies(const std::string& prefix) {
    std::vector<std::string> ours;
    for (const std::string& n : ListScratch(prefix)) {
      if (others_.count(n) == 0) ours.push_back(n);
    }
    return ours;
  }
  std::vector<std::string> ListScratch(const std::string& prefix) {
    Driver* driver = testing::TestDriver(engine());
    ConnectionUri server = server_.text.empty()
                               ? *driver->LocalScratchServer((dir_ / "repo" / "scratch").string())
                               : server_.uri;
    auto names = driver->ListDatabases(server, prefix);
    EXPECT_TRUE(names.ok()) << names.status().ToString();
    return names.ok() ? *names : std::vector<std::string>{};
  }

  fs::path dir_;
  std::unique_ptr<testing::ScratchDatabase> db_;
  std::unique_ptr<Connection> conn_;
  testing::CliTarget target_;
  testing::CliTarget server_;
  std::set<std::string> others_;
};

// The status of each check in a `gate --json` document.
[[maybe_unused]] std::map<std::string, std::string> GateStatuses(const Json& doc) {
  std::map<std::string, std::string> out;
  for (const Json& c : doc["checks"]) out[c["id"].get<std::string>()] = c["status"].get<std::string>();
  return out;
}

}  // namespace
}  // namespace cutover
