// The kill matrix (docs/reliability.md, "Kill and fault matrix"): snapshot,
// restore, restore-test, apply (expand and backfill) and rehearse are killed
// with SIGKILL at each of their kill points (base/kill_point.h, set through
// CUTOVER_KILL_AT) on every engine, and then what must hold is checked: no
// listable partial snapshot, scratch copies and load pipes swept by the next
// run, a history that resumes to the right totals, an audit chain that still
// verifies, a rehearsal's target untouched.
//
// Each cell first proves that the kill landed where it was aimed: exit 137
// (128 + SIGKILL) and the hook's "killed at <point>" on stderr. A point an
// engine never reaches is not listed for it (the operation's `engines`).
// Each test writes its part of the matrix to kill-matrix-<engine>-<op>.md in
// the working directory (the build's tests/ under ctest) and prints it.
#include <gtest/gtest.h>
#include <signal.h>

#include <charconv>
#include <filesystem>
#include <fstream>
#include <functional>
#include <iostream>
#include <iterator>
#include <set>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "rehearse/rehearse_cli_fixture.h"

namespace cutover {
namespace {

// One kill point of an operation; `arrival` picks the n-th time it is reached.
struct Point {
  Point(const char* point, int nth = 1, std::set<std::string> only = {})
      : name(point), arrival(nth), engines(std::move(only)) {}
  std::string name;
  int arrival;
  std::set<std::string> engines;  // empty: every engine
};

class KillMatrix : public RehearseCli {
 protected:
  void SetUp() override {
    RehearseCli::SetUp();
    fs::create_directories(dir_ / "tmp");
  }

  // Runs cutover with CUTOVER_KILL_AT aimed at `p`, and expects it to die
  // there. TMPDIR is the test's own, so load pipes left behind can be seen.
  void Killed(const std::vector<std::string>& args, const Point& p, bool scratch = true) {
    std::vector<std::string> env = Env();
    env.push_back("CUTOVER_KILL_AT=" + p.name + "#" + std::to_string(p.arrival));
    env.push_back("TMPDIR=" + (dir_ / "tmp").string());
    RunResult r = testing::RunCutover(Args(args, scratch), testing::ProcessOptions().Env(env));
    EXPECT_EQ(r.exit_code, 128 + SIGKILL) << p.name << " was not reached:\n" << r.out << r.err;
    EXPECT_NE(r.err.find("cutover: test hook: killed at " + p.name), std::string::npos) << r.err;
  }
  // Runs cutover paused at `p` (CUTOVER_PAUSE_AT) and, while it waits there,
  // has the server end the sessions on the databases `victims` names, as an
  // administrator's pg_terminate_backend or KILL CONNECTION would. Returns
  // how the run ended once it went on without them.
  RunResult Dropped(const std::vector<std::string>& args, const Point& p,
                    const std::function<std::vector<std::string>()>& victims, bool scratch = true) {
    std::vector<std::string> env = Env();
    env.push_back("CUTOVER_PAUSE_AT=" + p.name + "#" + std::to_string(p.arrival));
    env.push_back("CUTOVER_PAUSE_MS=3000");
    env.push_back("TMPDIR=" + (dir_ / "tmp").string());
    std::vector<std::string> argv{CUTOVER_BINARY};
    for (const std::string& a : Args(args, scratch)) argv.push_back(a);
    const fs::path out = dir_ / "dropped.out", err = dir_ / "dropped.err";
    testing::ChildProcess child(argv, testing::ProcessOptions().Env(env), out, err);
    EXPECT_TRUE(child.started());
    bool paused = false;
    for (int i = 0; i < 600 && !paused && child.Running(); ++i) {
      std::ifstream said(err);  // may not exist yet
      paused = std::string(std::istreambuf_iterator<char>(said), {}).find("paused at " + p.name) !=
               std::string::npos;
      if (!paused) std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    EXPECT_TRUE(paused) << p.name << " was not reached";
    int ended = 0;
    for (const std::string& db : victims()) ended += EndSessions(db);
    EXPECT_GT(ended, 0) << "no session of the run was found to end at " << p.name;
    child.Wait();
    RunResult r = child.Result();
    EXPECT_NE(r.err.find("resumed at " + p.name), std::string::npos) << r.err;
    return r;
  }
  // Ends every session on database `db` but the test's own; returns how many.
  int EndSessions(const std::string& db) {
    auto admin = testing::TestDriver(engine())->Connect(server_.uri.WithDatabase(db_->name()));
    EXPECT_TRUE(admin.ok()) << admin.status().ToString();
    if (!admin.ok()) return 0;
    const std::string mine = conn_->SessionId();  // the fixture's connection to the target stays
    if (engine() == "postgresql") {
      return static_cast<int>(
          Count(**admin, "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity WHERE datname = '" +
                             db + "' AND pid <> pg_backend_pid() AND pid::text <> '" + mine + "'"));
    }
    std::vector<std::string> ids;
    Status st = (*admin)->Query("SELECT ID FROM information_schema.PROCESSLIST WHERE DB = '" + db +
                                    "' AND ID <> CONNECTION_ID() AND ID <> '" + mine + "'",
                                [&](RowView row) {
                                  ids.emplace_back(row[0].data);
                                  return Status::Ok();
                                });
    EXPECT_TRUE(st.ok()) << st.ToString();
    int ended = 0;
    for (const std::string& id : ids) ended += (*admin)->Execute("KILL CONNECTION " + id).ok() ? 1 : 0;
    return ended;
  }
  // An ordinary run with the test's TMPDIR.
  RunResult RunHere(const std::vector<std::string>& args, bool scratch = true) {
    std::vector<std::string> env = Env();
    env.push_back("TMPDIR=" + (dir_ / "tmp").string());
    return testing::RunCutover(Args(args, scratch), testing::ProcessOptions().Env(env));
  }
  void ExpectOk(const std::vector<std::string>& args, bool scratch = true) {
    RunResult r = RunHere(args, scratch);
    EXPECT_EQ(r.exit_code, 0) << args[0] << ":\n" << r.out << r.err;
  }

  std::vector<std::string> SnapshotIds() {
    RunResult r = RunHere({"snapshots", "--json"}, false);
    EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
    std::vector<std::string> ids;
    const Json doc = Json::parse(r.out, nullptr, false);
    if (doc.is_object() && doc["snapshots"].is_array()) {
      for (const Json& s : doc["snapshots"]) ids.push_back(s["id"].get<std::string>());
    }
    return ids;
  }
  // Directories under snapshots/ without a manifest, and anything in staging/.
  std::vector<std::string> IncompleteSnapshotDirs() {
    std::vector<std::string> out;
    std::error_code ec;
    for (const auto& e : fs::directory_iterator(dir_ / "repo" / "snapshots", ec)) {
      if (!fs::exists(e.path() / "manifest.json")) out.push_back(e.path().filename().string());
    }
    for (const auto& e : fs::directory_iterator(dir_ / "repo" / "staging", ec)) {
      out.push_back("staging/" + e.path().filename().string());
    }
    return out;
  }
  std::vector<std::string> LoadPipesLeft() {
    std::vector<std::string> out;
    for (const auto& e : fs::directory_iterator(dir_ / "tmp")) {
      if (e.path().filename().string().rfind("cutover-load-", 0) == 0) out.push_back(e.path().string());
    }
    return out;
  }
  // The number `sql` returns; -1 (and a failure) when it returns none.
  static std::int64_t Count(Connection& conn, const std::string& sql) {
    const std::string text = testing::Scalar(conn, sql);
    std::int64_t n = -1;
    if (std::from_chars(text.data(), text.data() + text.size(), n).ec != std::errc()) {
      ADD_FAILURE() << sql << " gave " << text;
      return -1;
    }
    return n;
  }

  // Runs one cell: `kill` (which calls Killed) then `check`; records the
  // outcome in the matrix.
  template <typename Kill, typename Check>
  void Cell(const std::string& op, const Point& p, const std::string& invariant, Kill kill, Check check) {
    if (!p.engines.empty() && p.engines.count(engine()) == 0) return;
    const std::string label = p.name + (p.arrival > 1 ? "#" + std::to_string(p.arrival) : "");
    SCOPED_TRACE(op + " killed at " + label);
    const int before = ::testing::UnitTest::GetInstance()->current_test_info()->result()->total_part_count();
    kill(p);
    check();
    ExpectOk({"audit", "verify"}, false);
    const int after = ::testing::UnitTest::GetInstance()->current_test_info()->result()->total_part_count();
    rows_.push_back("| " + op + " | `" + label + "` | " + engine() + " | " + invariant + " | " +
                    (after == before ? "held" : "**FAILED**") + " |");
  }
  // A dropped-connection cell: servers only.
  template <typename Drop, typename Check>
  void DroppedCell(const std::string& op, const Point& p, const std::string& invariant, Drop drop,
                   Check check) {
    if (engine() == "sqlite") return;  // no server session to end
    Cell(op + " (sessions ended)", p, "exit 3 naming what was interrupted; " + invariant, drop, check);
  }
  void WriteMatrix(const std::string& op) {
    ASSERT_FALSE(rows_.empty()) << "no cell ran";
    std::string table =
        "| operation | killed at | engine | what must hold | result |\n|---|---|---|---|---|\n";
    for (const std::string& row : rows_) table += row + "\n";
    std::ofstream("kill-matrix-" + engine() + "-" + op + ".md") << table;
    std::cout << table;
  }
  // The plan apply runs: migration `n` adds column c<n>, backfilled in
  // batches of 100. Expand statements are written to run twice (IF NOT
  // EXISTS), as statement-by-statement engines need (docs/migrations.md).
  std::string ApplyPlan(int n) {
    const std::string c = "c" + std::to_string(n);
    const std::string add = engine() == "sqlite" ? "ADD COLUMN " : "ADD COLUMN IF NOT EXISTS ";
    const std::string batch =
        engine() == "mysql"
            ? "UPDATE items SET " + c + " = name WHERE " + c + " IS NULL ORDER BY id LIMIT {{batch_size}};\n"
            : "UPDATE items SET " + c + " = name WHERE id IN (SELECT id FROM items WHERE " + c +
                  " IS NULL ORDER BY id LIMIT {{batch_size}});\n";
    const std::string m = "000" + std::to_string(n) + "_" + c;
    return WritePlan("apply-plan", {{m + "/expand.sql", "ALTER TABLE items " + add + c + " VARCHAR(40);\n"},
                                    {m + "/backfill.sql", "-- cutover:batch-size 100\n" + batch}});
  }
  // The history row of `migration` `phase` in `status --json`.
  Json HistoryOf(const std::string& plan, const std::string& migration, const std::string& phase) {
    RunResult r = RunHere({"status", target_.text, "--plan", plan, "--json"}, false);
    const Json doc = Json::parse(r.out, nullptr, false);
    if (doc.is_object()) {
      for (const Json& e : doc["entries"]) {
        if (e["migration"] == migration && e["phase"] == phase) return e;
      }
    }
    ADD_FAILURE() << "no " << migration << " " << phase << " in status:\n" << r.out << r.err;
    return Json();
  }

  std::vector<std::string> rows_;
};

TEST_P(KillMatrix, Snapshot) {
  CreateItems(250);
  ASSERT_EQ(Run({"snapshot", target_.text}, false).exit_code, 0);
  const std::vector<Point> points{
      {"snapshot.started"},      {"snapshot.schema-written"},   {"snapshot.chunk-written"},
      {"snapshot.data-written"}, {"snapshot.manifest-written"}, {"snapshot.committed"},
      {"audit.inserted"},        {"catalog.before-commit"}};
  for (const Point& p : points) {
    const std::vector<std::string> before = SnapshotIds();
    const bool committed = p.name == "snapshot.manifest-written" || p.name == "snapshot.committed" ||
                           p.name == "audit.inserted" || p.name == "catalog.before-commit";
    Cell(
        "snapshot", p,
        committed ? "the new snapshot is listed and passes verify --deep; the next snapshot succeeds"
                  : "no new snapshot is listed; the next snapshot succeeds and removes the partial one",
        [&](const Point& at) {
          Killed({"snapshot", target_.text}, at, false);
        },
        [&] {
          const std::vector<std::string> after = SnapshotIds();
          if (committed) {
            ASSERT_EQ(after.size(), before.size() + 1);
            ExpectOk({"verify", after.back(), "--deep"}, false);
          } else {
            EXPECT_EQ(after, before) << "a partial snapshot is listed";
          }
          ExpectOk({"snapshot", target_.text}, false);
          EXPECT_TRUE(IncompleteSnapshotDirs().empty()) << "left: " << IncompleteSnapshotDirs().front();
        });
  }
  const std::vector<std::string> before = SnapshotIds();
  DroppedCell(
      "snapshot", {"snapshot.schema-written"}, "no new snapshot is listed; the next snapshot succeeds",
      [&](const Point& at) {
        RunResult r = Dropped(
            {"snapshot", target_.text}, at, [&] { return std::vector{db_->name()}; }, false);
        EXPECT_EQ(r.exit_code, 3) << r.out << r.err;
        EXPECT_NE(r.err.find("snapshot of"), std::string::npos) << r.err;
      },
      [&] {
        EXPECT_EQ(SnapshotIds(), before) << "a partial snapshot is listed";
        ExpectOk({"snapshot", target_.text}, false);
        EXPECT_TRUE(IncompleteSnapshotDirs().empty());
      });
  WriteMatrix("snapshot");
}

TEST_P(KillMatrix, RestoreTest) {
  CreateItems(250);
  SnapshotAndRestoreTest();
  const std::set<std::string> servers{"postgresql", "mysql"};
  const std::vector<Point> points{{"scratch.registered"},
                                  {"scratch.created"},
                                  {"restore.pre-data", 1, servers},
                                  {"restore.chunk-read", 1, servers},
                                  {"restore.data-loaded", 1, servers},
                                  {"restore.image-chunk-written", 1, {"sqlite"}},
                                  {"restore.done"},
                                  {"restore-test.checked"},
                                  {"restore-test.dropped"}};
  for (const Point& p : points) {
    Cell(
        "restore-test", p, "the next restore-test passes and leaves no scratch database or load pipe",
        [&](const Point& at) {
          Killed({"restore-test", "latest"}, at);
        },
        [&] {
          ExpectOk({"restore-test", "latest"});
          EXPECT_TRUE(Leftovers().empty()) << "scratch left: " << Leftovers().front();
          EXPECT_TRUE(LoadPipesLeft().empty()) << "load pipe left: " << LoadPipesLeft().front();
        });
  }
  DroppedCell(
      "restore-test", {"restore.chunk-read"}, "the scratch database is dropped; the next restore-test passes",
      [&](const Point& at) {
        RunResult r =
            Dropped({"restore-test", "latest"}, at, [&] { return ScratchCopies("cutover_scratch_"); });
        EXPECT_EQ(r.exit_code, 3) << r.out << r.err;
        EXPECT_NE(r.err.find("restore"), std::string::npos) << r.err;
      },
      [&] {
        EXPECT_TRUE(Leftovers().empty()) << "scratch left: " << Leftovers().front();
        ExpectOk({"restore-test", "latest"});
        EXPECT_TRUE(LoadPipesLeft().empty()) << "load pipe left: " << LoadPipesLeft().front();
      });
  WriteMatrix("restore-test");
}

TEST_P(KillMatrix, RestoreInto) {
  CreateItems(250);
  ASSERT_EQ(Run({"snapshot", target_.text}, false).exit_code, 0);
  const std::set<std::string> servers{"postgresql", "mysql"};
  const std::vector<Point> points{{"restore.pre-data", 1, servers},
                                  {"restore.chunk-read", 1, servers},
                                  {"restore.data-loaded", 1, servers},
                                  {"restore.image-chunk-written", 1, {"sqlite"}},
                                  {"restore.done"}};
  for (const Point& p : points) {
    // A new empty database for each cell; SQLite: a file that does not exist yet.
    testing::ScratchDatabase into(engine());
    testing::CliTarget cli = testing::ForCli(into.uri());
    if (engine() == "sqlite") fs::remove(into.uri().path());
    const std::string empty_db = into.uri().path();
    // SQLite's image is written to an unnamed file and renamed over the
    // target when complete; connecting first may create the target empty.
    const bool whole = p.name == "restore.done";
    const bool image = engine() == "sqlite" && !whole;
    Cell(
        "restore --into", p,
        image   ? "the target is absent or empty (no partial image); restoring again gives every row"
        : whole ? "the target has every row; restoring again into it is refused (not empty)"
                : "restoring again into the half-restored database is refused (not empty)",
        [&](const Point& at) {
          Killed({"restore", "latest", "--into", cli.text}, at, false);
        },
        [&] {
          if (image) {
            std::error_code ec;
            EXPECT_TRUE(!fs::exists(empty_db) || fs::file_size(empty_db, ec) == 0)
                << "a killed image restore left part of an image in " << empty_db;
            ExpectOk({"restore", "latest", "--into", cli.text}, false);
          } else {
            RunResult again = RunHere({"restore", "latest", "--into", cli.text}, false);
            EXPECT_EQ(again.exit_code, 1) << again.out << again.err;
            EXPECT_NE(again.err.find("is not empty"), std::string::npos) << again.err;
          }
          if (image || whole) {
            auto conn = testing::TestDriver(engine())->Connect(into.uri());
            ASSERT_TRUE(conn.ok()) << conn.status().ToString();
            EXPECT_EQ(Count(**conn, "SELECT count(*) FROM items"), 250);
          }
        });
  }
  if (engine() != "sqlite") {
    testing::ScratchDatabase into(engine());
    testing::CliTarget cli = testing::ForCli(into.uri());
    DroppedCell(
        "restore --into", {"restore.chunk-read"},
        "restoring again into the half-restored database is refused",
        [&](const Point& at) {
          RunResult r = Dropped(
              {"restore", "latest", "--into", cli.text}, at, [&] { return std::vector{into.name()}; }, false);
          EXPECT_EQ(r.exit_code, 3) << r.out << r.err;
        },
        [&] {
          RunResult again = RunHere({"restore", "latest", "--into", cli.text}, false);
          EXPECT_EQ(again.exit_code, 1) << again.out << again.err;
          EXPECT_TRUE(LoadPipesLeft().empty()) << "load pipe left: " << LoadPipesLeft().front();
        });
  }
  WriteMatrix("restore");
}

TEST_P(KillMatrix, Apply) {
  CreateItems(250);
  const std::vector<std::string> no_gate{"--no-gate", "--reason", "kill matrix"};
  auto apply = [&](const std::string& plan, const std::string& phase) {
    std::vector<std::string> args{"apply", target_.text, "--plan", plan, "--phase", phase};
    args.insert(args.end(), no_gate.begin(), no_gate.end());
    return args;
  };
  int n = 0;
  const std::set<std::string> transactional_ddl{"postgresql", "sqlite"};
  const std::vector<Point> expand_points{{"apply.statement-run"},
                                         {"apply.before-commit", 1, transactional_ddl},
                                         {"apply.file-recorded"},
                                         {"audit.inserted"}};
  for (const Point& p : expand_points) {
    const std::string plan = ApplyPlan(++n);
    const std::string m = "000" + std::to_string(n) + "_c" + std::to_string(n);
    Cell(
        "apply expand", p, "apply again resumes: the phase is applied, the column exists",
        [&](const Point& at) { Killed(apply(plan, "expand"), at, false); },
        [&] {
          ExpectOk(apply(plan, "expand"), false);
          EXPECT_EQ(HistoryOf(plan, m, "expand")["state"], "applied");
          EXPECT_EQ(Count(*conn_, "SELECT count(c" + std::to_string(n) + ") FROM items"), 0);
          ExpectOk(apply(plan, "backfill"), false);  // so the next cell's plan has only its own work
        });
  }
  const std::vector<Point> backfill_points{{"apply.batch-run", 2}, {"apply.batch-committed", 2}};
  for (const Point& p : backfill_points) {
    const std::string plan = ApplyPlan(++n);
    const std::string m = "000" + std::to_string(n) + "_c" + std::to_string(n);
    ExpectOk(apply(plan, "expand"), false);
    Cell(
        "apply backfill", p, "apply again resumes: 250 rows recorded in the history, none left to fill",
        [&](const Point& at) { Killed(apply(plan, "backfill"), at, false); },
        [&] {
          ExpectOk(apply(plan, "backfill"), false);
          const Json row = HistoryOf(plan, m, "backfill");
          EXPECT_EQ(row["state"], "applied") << row.dump();
          EXPECT_EQ(row["history"]["rows"], 250) << row.dump();
          EXPECT_EQ(Count(*conn_, "SELECT count(*) FROM items WHERE c" + std::to_string(n) + " IS NULL"), 0);
        });
  }
  {
    const std::string plan = ApplyPlan(++n);
    const std::string m = "000" + std::to_string(n) + "_c" + std::to_string(n);
    ExpectOk(apply(plan, "expand"), false);
    DroppedCell(
        "apply backfill", {"apply.batch-committed", 2}, "apply again resumes: 250 rows recorded, none left",
        [&](const Point& at) {
          RunResult r = Dropped(
              apply(plan, "backfill"), at, [&] { return std::vector{db_->name()}; }, false);
          EXPECT_EQ(r.exit_code, 3) << r.out << r.err;
          EXPECT_NE(r.err.find("backfill.sql"), std::string::npos) << r.err;
        },
        [&] {
          ExpectOk(apply(plan, "backfill"), false);
          const Json row = HistoryOf(plan, m, "backfill");
          EXPECT_EQ(row["history"]["rows"], 250) << row.dump();
          EXPECT_EQ(Count(*conn_, "SELECT count(*) FROM items WHERE c" + std::to_string(n) + " IS NULL"), 0);
        });
  }
  {
    const std::string plan = ApplyPlan(++n);
    const std::string m = "000" + std::to_string(n) + "_c" + std::to_string(n);
    DroppedCell(
        "apply expand", {"apply.statement-run"}, "apply again resumes: the phase is applied",
        [&](const Point& at) {
          RunResult r = Dropped(
              apply(plan, "expand"), at, [&] { return std::vector{db_->name()}; }, false);
          EXPECT_EQ(r.exit_code, 3) << r.out << r.err;
          EXPECT_NE(r.err.find("expand.sql"), std::string::npos) << r.err;
        },
        [&] {
          ExpectOk(apply(plan, "expand"), false);
          EXPECT_EQ(HistoryOf(plan, m, "expand")["state"], "applied");
        });
  }
  WriteMatrix("apply");
}

TEST_P(KillMatrix, Rehearse) {
  CreateItems(250);
  SnapshotAndRestoreTest();
  const std::string plan = GoodPlan();
  const std::string before = TargetFingerprint();
  const std::vector<Point> points{{"scratch.created"},
                                  // PostgreSQL and SQLite clone the restore-tested base copy.
                                  {"restore.chunk-read", 1, {"mysql"}},
                                  {"rehearse.copy-made"},
                                  {"apply.statement-run"},
                                  {"rehearse.expanded"},
                                  {"rehearse.rolled-back"},
                                  {"apply.batch-committed", 2},
                                  {"rehearse.measured"},
                                  {"rehearse.copy-dropped"}};
  for (const Point& p : points) {
    Cell(
        "rehearse", p,
        "the target is unchanged (schema, rows, no history table); the next rehearsal passes and leaves no "
        "copy",
        [&](const Point& at) {
          Killed({"rehearse", target_.text, "--plan", plan}, at);
        },
        [&] {
          EXPECT_EQ(TargetFingerprint(), before);
          EXPECT_EQ(Count(*conn_, "SELECT count(*) FROM items"), 250);
          auto history = conn_->TableExists("cutover_migrations");
          ASSERT_TRUE(history.ok()) << history.status().ToString();
          EXPECT_FALSE(*history) << "a history table appeared in the target";
          ExpectOk({"rehearse", target_.text, "--plan", plan});
          EXPECT_TRUE(Leftovers().empty()) << "copy left: " << Leftovers().front();
          EXPECT_TRUE(LoadPipesLeft().empty()) << "load pipe left: " << LoadPipesLeft().front();
        });
  }
  DroppedCell(
      "rehearse", {"rehearse.expanded"},
      "the copy is dropped, the target unchanged; the next rehearsal passes",
      [&](const Point& at) {
        RunResult r = Dropped({"rehearse", target_.text, "--plan", plan}, at,
                              [&] { return ScratchCopies("cutover_scratch_"); });
        EXPECT_EQ(r.exit_code, 3) << r.out << r.err;
        EXPECT_NE(r.err.find("rehearsing on the copy"), std::string::npos) << r.err;
      },
      [&] {
        EXPECT_TRUE(Leftovers().empty()) << "copy left: " << Leftovers().front();
        EXPECT_EQ(TargetFingerprint(), before);
        ExpectOk({"rehearse", target_.text, "--plan", plan});
      });
  WriteMatrix("rehearse");
}

INSTANTIATE_TEST_SUITE_P(AllEngines, KillMatrix, ::testing::ValuesIn(testing::AllEngines()),
                         [](const ::testing::TestParamInfo<std::string>& p) { return p.param; });

}  // namespace
}  // namespace cutover
