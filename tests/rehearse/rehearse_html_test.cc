// `cutover rehearse --html FILE` end to end on SQLite: a real rehearsal of a
// statement that holds the database's write lock for a known stretch, the
// page loaded in headless Chromium, and the bar of that statement and the
// blocked interval of the table's write probes found in the rendered DOM
// where the rehearsal measured them. Also: the page is written when the
// rehearsal has findings (exit 1), and an unwritable FILE is exit 3 naming
// it.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <iostream>
#include <nlohmann/json.hpp>

#include "support/chromium.h"
#include "support/process.h"
#include "support/test_env.h"

namespace cutover {
namespace {
namespace fs = std::filesystem;
using Json = nlohmann::json;
using testing::RunResult;

class RehearseHtml : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / testing::UniqueName("cutover-rehearse-html-");
    fs::create_directories(dir_);
    db_ = std::make_unique<testing::ScratchDatabase>("sqlite");
    target_ = testing::ForCli(db_->uri());
    db_->Exec(
        "CREATE TABLE items (id INTEGER PRIMARY KEY, name VARCHAR(40), qty INTEGER);"
        "WITH RECURSIVE g(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM g WHERE n < 1000) "
        "INSERT INTO items SELECT n, 'n' || n, n % 7 FROM g;");
    RunResult s = Run({"snapshot", target_.text});
    ASSERT_EQ(s.exit_code, 0) << s.out << s.err;
    RunResult t = Run({"restore-test", "latest"});
    ASSERT_EQ(t.exit_code, 0) << t.out << t.err;
  }
  void TearDown() override {
    db_.reset();
    std::error_code ec;
    fs::remove_all(dir_, ec);
  }
  RunResult Run(const std::vector<std::string>& args) const {
    std::vector<std::string> all{"--repo", (dir_ / "repo").string(), "--driver-path", CUTOVER_TEST_DRIVER_DIR,
                                 "--no-progress"};
    all.insert(all.end(), args.begin(), args.end());
    return testing::RunCutover(all);
  }
  std::string WritePlan(const std::string& name, const std::string& expand) const {
    const fs::path p = dir_ / name / "0001_slow" / "expand.sql";
    fs::create_directories(p.parent_path());
    std::ofstream(p) << expand;
    return (dir_ / name).string();
  }
  static std::string Slurp(const fs::path& p) {
    std::ifstream in(p, std::ios::binary);
    return std::string(std::istreambuf_iterator<char>(in), {});
  }

  fs::path dir_;
  std::unique_ptr<testing::ScratchDatabase> db_;
  testing::CliTarget target_;
};

// One UPDATE whose subquery counts for a second or two: SQLite holds the
// write lock from the statement's start to its end, so the write probes of
// `items` are blocked for the statement's duration and the read probes are
// not (rollback journal: readers wait only while the commit writes).
const char* kSlowUpdate =
    "UPDATE items SET qty = (WITH RECURSIVE g(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM g WHERE n < "
    "4000000) "
    "SELECT count(*) % 7 FROM g) WHERE id = 1;\n";

TEST_F(RehearseHtml, TheBlockedIntervalOfAKnownWriteLockIsDrawnWhereItWasMeasured) {
  const fs::path page = dir_ / "rehearsal.html";
  RunResult r = Run({"rehearse", target_.text, "--plan", WritePlan("plan", kSlowUpdate), "--json", "--html",
                     page.string()});
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  const Json doc = Json::parse(r.out);
  ASSERT_EQ(doc["statements"].size(), 1u);
  const Json& s = doc["statements"][0];
  const double start = s["start_ms"].get<double>();
  const double duration = s["duration_ms"].get<double>();
  const double blocked_write = s["blocked_ms"]["write"].get<double>();
  ASSERT_GT(duration, 300.0) << "too fast to tell a block from noise: " << s.dump();
  ASSERT_GT(start, 900.0) << "the statement starts after the 1 s baseline: " << s.dump();

  const std::string dom = testing::ChromiumDumpDom(page);
  ASSERT_FALSE(dom.empty());
  const auto bars = testing::ElementsWithClass(dom, "rect", "stmt-bar");
  ASSERT_EQ(bars.size(), doc["statements"].size());
  EXPECT_EQ(bars[0].at("data-file"), "0001_slow/expand.sql");
  EXPECT_EQ(bars[0].at("data-line"), "1");
  EXPECT_NEAR(std::stod(bars[0].at("data-start-ms")), start, 0.11);
  EXPECT_NEAR(std::stod(bars[0].at("data-duration-ms")), duration, 0.11);

  // The write probes of items: one interval covering the statement. A
  // probe's start lags the lock by at most the 10 ms probe gap plus the
  // 2 ms lock polling; it can also lead it: a probe already in flight when
  // the statement took the lock (its commit waiting on the rehearsal's own
  // catalog reads just before the statement) is blocked from its own start,
  // which is what the application felt. CI measured such a lead of 5.5 ms.
  // The last blocked probe ends when the lock is gone.
  const std::map<std::string, std::string>* longest = nullptr;
  double longest_ms = 0;
  const auto blocked = testing::ElementsWithClass(dom, "rect", "blocked");
  for (const auto& b : blocked) {
    if (b.at("data-table") != "items" || b.at("data-kind") != "write") continue;
    const double ms = std::stod(b.at("data-duration-ms"));
    if (ms > longest_ms) {
      longest_ms = ms;
      longest = &b;
    }
  }
  ASSERT_NE(longest, nullptr) << "no blocked interval for items writes in the DOM";
  const double b_start = std::stod(longest->at("data-start-ms"));
  std::cout << "[ measure  ] statement " << start << " ms + " << duration
            << " ms; blocked interval of items writes " << b_start << " ms + " << longest_ms
            << " ms; blocked_ms.write " << blocked_write << " ms\n";
  EXPECT_GE(b_start, start - 30.0);
  EXPECT_LE(b_start, start + 50.0);
  EXPECT_GE(longest_ms, 0.9 * duration - 20.0);
  EXPECT_LE(longest_ms, duration + 60.0);
  // As long as the blocked time the report already charged the statement.
  EXPECT_NEAR(longest_ms, blocked_write, 30.0);
  // Reads were not blocked for anything like that long.
  for (const auto& b : blocked) {
    if (b.at("data-kind") == "read") {
      EXPECT_LT(std::stod(b.at("data-duration-ms")), 0.5 * duration) << b.at("data-table");
    }
  }
  EXPECT_EQ(testing::ElementsWithClass(dom, "polyline", "latency").size(), 2u);  // items read and write
  // The page is self-contained.
  const std::string html = Slurp(page);
  for (const char* banned : {"http://", "https://", "<link", "<script", "@import"})
    EXPECT_EQ(html.find(banned), std::string::npos) << banned;
  EXPECT_TRUE(testing::ChromiumScreenshot(page, testing::ArtifactsDir() / "rehearse_sqlite.png"));
}

TEST_F(RehearseHtml, ThePageIsWrittenWhenTheRehearsalHasFindingsAndAnUnwritableFileIsExitThree) {
  const std::string plan = WritePlan("bad", "UPDATE items SET missing_column = 1;\n");
  const fs::path page = dir_ / "findings.html";
  RunResult r = Run({"rehearse", target_.text, "--plan", plan, "--html", page.string()});
  ASSERT_EQ(r.exit_code, 1) << r.out << r.err;
  const std::string dom = testing::ChromiumDumpDom(page);
  ASSERT_FALSE(dom.empty());
  const auto bars = testing::ElementsWithClass(dom, "rect", "stmt-bar");
  ASSERT_EQ(bars.size(), 1u);
  EXPECT_EQ(bars[0].at("class"), "stmt-bar failed");
  EXPECT_NE(dom.find("class=\"verdict findings\""), std::string::npos);
  EXPECT_NE(dom.find("missing_column"), std::string::npos);

  const std::string unwritable = (dir_ / "no-such-dir" / "x.html").string();
  RunResult w = Run({"rehearse", target_.text, "--plan", plan, "--html", unwritable});
  EXPECT_EQ(w.exit_code, 3) << w.out << w.err;
  EXPECT_NE(w.err.find("--html " + unwritable), std::string::npos) << w.err;
}

}  // namespace
}  // namespace cutover
