// RehearsalHtml: the page of a known report holds one bar per statement
// execution and the blocked intervals with their data attributes, escapes
// hostile names from the plan and the database, references nothing
// external, and renders in headless Chromium (DOM and screenshot, kept in
// the build's artifacts/ folder for CI).
#include "report/rehearsal_html.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "lint_xml_check.h"
#include "support/chromium.h"
#include "support/test_env.h"

namespace cutover::report {
namespace {
namespace fs = std::filesystem;
using rehearse::IntervalMs;
using rehearse::ProbeTimeline;
using rehearse::RehearsalContext;
using rehearse::RehearsalReport;
using rehearse::StatementResult;

const std::string kHostileTable = "<script>alert(\"t\")</script>&'\"x";
const std::string kHostileSql =
    "UPDATE \"</title><script>alert(1)</script>\" SET a = '<img src=http://evil/x>'";

StatementResult Statement(const std::string& phase, const std::string& file, int line, double start,
                          double duration) {
  StatementResult s;
  s.migration = file.substr(0, file.find('/'));
  s.phase = phase;
  s.file = file;
  s.line = line;
  s.sql = "ALTER TABLE items ADD COLUMN c" + std::to_string(line) + " INTEGER";
  s.start_ms = start;
  s.duration_ms = duration;
  s.estimate_duration_ms = duration;
  return s;
}

// Four executions; the second blocks writes of a (hostile-named) table for
// 500 ms from 1200 ms.
RehearsalReport KnownReport(bool hostile = true) {
  RehearsalReport r;
  r.ok = false;
  r.phases_run = {"expand", "backfill"};
  r.statements.push_back(Statement("expand", "0001_a/expand.sql", 1, 1000, 40));
  StatementResult slow = Statement("expand", "0001_a/expand.sql", 3, 1150, 600);
  if (hostile) slow.sql = kHostileSql;
  slow.blocked_write_ms = 500;
  slow.locks.push_back(rehearse::LockFigures{kHostileTable, "AccessExclusive", 1150.0, 590, true});
  rehearse::TableFigures tf;
  tf.table = kHostileTable;
  tf.blocked_write_ms = 500;
  slow.tables.push_back(tf);
  r.statements.push_back(slow);
  StatementResult drill = Statement("rollback", "0001_a/rollback.sql", 1, 1800, 30);
  drill.drill = true;
  r.statements.push_back(drill);
  StatementResult failed = Statement("backfill", "0002_b/backfill.sql", 2, 2000, 200);
  failed.ok = false;
  failed.error = "no such column: <b>";
  r.statements.push_back(failed);
  r.findings.push_back("backfill: 0002_b/backfill.sql:2: no such column: <b>");
  r.notes.push_back("a note with <i>markup</i>");
  r.timeline.elapsed_ms = 2300;
  for (const char* kind : {"read", "write"}) {
    ProbeTimeline p;
    p.table = kHostileTable;
    p.kind = kind;
    p.bucket_ms = 50;
    p.allowed_ms = 11;
    for (int i = 0; i < 46; ++i) p.latency.emplace_back(i * 50.0, 1.0);
    if (std::string(kind) == "write") {
      p.latency[24].second = 501;
      p.blocked.push_back(IntervalMs{1200, 500});
    }
    r.timeline.probes.push_back(p);
  }
  r.drills.push_back(rehearse::DrillResult{"0001_a", true, "", true, 30, {}});
  r.compat.run = 2;
  r.checks.run = 1;
  return r;
}

RehearsalContext KnownContext() {
  RehearsalContext c;
  c.target = "sqlite:///tmp/<prod>.db";
  c.engine = "sqlite";
  c.snapshot_id = "20260101T000000Z-abc";
  c.plan_sha256 = std::string(64, 'a');
  c.started_at = "2026-01-01T00:00:00Z";
  c.rehearsal_id = "r-1";
  return c;
}

std::string Between(const std::string& s, const std::string& from, const std::string& to) {
  const std::size_t a = s.find(from);
  const std::size_t b = s.find(to, a);
  if (a == std::string::npos || b == std::string::npos) return "";
  return s.substr(a, b + to.size() - a);
}

TEST(RehearsalHtmlTest, BarsBlockedIntervalsLocksAndLatencyCarryTheirData) {
  const std::string html = RehearsalHtml(KnownContext(), KnownReport());
  // The SVG is well-formed XML.
  const std::string svg = Between(html, "<svg", "</svg>");
  ASSERT_FALSE(svg.empty());
  testing::XmlCheck check(svg);
  ASSERT_EQ(check.Run(), "");
  const auto rects = check.Elements("rect");
  std::vector<std::map<std::string, std::string>> bars, blocked, locks;
  for (const auto& a : rects) {
    const std::string cls = a.count("class") ? a.at("class") : "";
    if (cls.rfind("stmt-bar", 0) == 0) bars.push_back(a);
    if (cls == "blocked") blocked.push_back(a);
    if (cls == "lock-held") locks.push_back(a);
  }
  ASSERT_EQ(bars.size(), 4u);
  EXPECT_EQ(bars[1].at("data-file"), "0001_a/expand.sql");
  EXPECT_EQ(bars[1].at("data-line"), "3");
  EXPECT_EQ(bars[1].at("data-start-ms"), "1150.0");
  EXPECT_EQ(bars[1].at("data-duration-ms"), "600.0");
  EXPECT_EQ(bars[2].at("class"), "stmt-bar drill");   // rollback, grouped after expand
  EXPECT_EQ(bars[3].at("class"), "stmt-bar failed");  // backfill
  EXPECT_EQ(bars[3].at("data-ok"), "false");
  ASSERT_EQ(blocked.size(), 1u);
  EXPECT_EQ(blocked[0].at("data-table"), kHostileTable);
  EXPECT_EQ(blocked[0].at("data-kind"), "write");
  EXPECT_EQ(blocked[0].at("data-start-ms"), "1200.0");
  EXPECT_EQ(blocked[0].at("data-duration-ms"), "500.0");
  ASSERT_EQ(locks.size(), 1u);
  EXPECT_EQ(locks[0].at("data-mode"), "AccessExclusive");
  // Bars sit on the time axis: 1150 ms of 2300 ms is the middle of the plot.
  const double x0 = std::stod(bars[0].at("x"));
  const double x1 = std::stod(bars[1].at("x"));
  const double xb = std::stod(blocked[0].at("x"));
  EXPECT_LT(x0, x1);
  EXPECT_LT(x1, xb);
  EXPECT_NEAR(std::stod(bars[1].at("width")) / std::stod(blocked[0].at("width")), 600.0 / 500.0, 0.01);
  const auto lines = check.Elements("polyline");
  ASSERT_EQ(lines.size(), 2u);
  EXPECT_EQ(lines[1].at("data-kind"), "write");
  EXPECT_EQ(lines[1].at("data-points"), "46");
  EXPECT_FALSE(check.Elements("text").empty());  // tick labels, file:line labels
  // The tables of the text report.
  EXPECT_NE(html.find("<h2>Rollback drills</h2>"), std::string::npos);
  EXPECT_NE(html.find("<h2>Estimate for production</h2>"), std::string::npos);
  EXPECT_NE(html.find("class=\"verdict findings\""), std::string::npos);
  EXPECT_NE(html.find(std::string(64, 'a')), std::string::npos);
}

TEST(RehearsalHtmlTest, HostileNamesFromThePlanAndTheDatabaseAreInert) {
  const std::string html = RehearsalHtml(KnownContext(), KnownReport());
  EXPECT_EQ(html.find("<script"), std::string::npos);
  EXPECT_EQ(html.find("<img"), std::string::npos);
  EXPECT_EQ(html.find("column: <b>"), std::string::npos);
  EXPECT_EQ(html.find("<i>markup"), std::string::npos);
  EXPECT_EQ(html.find("<prod>"), std::string::npos);
  EXPECT_EQ(html.find(kHostileTable), std::string::npos);
  EXPECT_NE(html.find("&lt;script&gt;alert(&quot;t&quot;)&lt;/script&gt;&amp;&apos;&quot;x"),
            std::string::npos);
  EXPECT_NE(html.find("&lt;/title&gt;&lt;script&gt;"), std::string::npos);
  // One <title> element for the page, the rest inside the SVG.
  EXPECT_EQ(html.find("</title>"), html.find("</title>\n<style>"));
}

TEST(RehearsalHtmlTest, ThePageReferencesNothingExternal) {
  // (The hostile SQL would put "src=http://" in the page as text.)
  const std::string html = RehearsalHtml(KnownContext(), KnownReport(false));
  for (const char* banned : {"http://", "https://", "//evil", "<link", "@import", "src=", "href=", "<script",
                             "url(", "<iframe", "<object", "<embed"}) {
    EXPECT_EQ(html.find(banned), std::string::npos) << banned;
  }
  EXPECT_EQ(html.rfind("<!DOCTYPE html>", 0), 0u);
  EXPECT_NE(html.find("<meta charset=\"utf-8\">"), std::string::npos);
  EXPECT_NE(html.find("</html>"), std::string::npos);
}

TEST(RehearsalHtmlTest, AnEmptyReportStillRenders) {
  RehearsalReport r;
  r.ok = true;
  const std::string html = RehearsalHtml(RehearsalContext{}, r);
  const std::string svg = Between(html, "<svg", "</svg>");
  testing::XmlCheck check(svg);
  EXPECT_EQ(check.Run(), "");
  EXPECT_NE(html.find("class=\"verdict ok\""), std::string::npos);
}

TEST(RehearsalHtmlTest, RendersInHeadlessChromium) {
  const fs::path dir = fs::temp_directory_path() / testing::UniqueName("cutover-html-");
  fs::create_directories(dir);
  const fs::path page = dir / "rehearsal.html";
  std::ofstream(page, std::ios::binary) << RehearsalHtml(KnownContext(), KnownReport());

  const std::string dom = testing::ChromiumDumpDom(page);
  ASSERT_FALSE(dom.empty());
  EXPECT_NE(dom.find("<svg id=\"timeline\""), std::string::npos);
  const auto bars = testing::ElementsWithClass(dom, "rect", "stmt-bar");
  ASSERT_EQ(bars.size(), 4u);
  EXPECT_EQ(bars[1].at("data-start-ms"), "1150.0");
  const auto blocked = testing::ElementsWithClass(dom, "rect", "blocked");
  ASSERT_EQ(blocked.size(), 1u);
  EXPECT_EQ(blocked[0].at("data-table"), kHostileTable);
  EXPECT_EQ(blocked[0].at("data-kind"), "write");
  EXPECT_EQ(blocked[0].at("data-duration-ms"), "500.0");
  EXPECT_EQ(testing::ElementsWithClass(dom, "polyline", "latency").size(), 2u);
  // The hostile names stayed text: the browser built no script or img element.
  EXPECT_EQ(dom.find("<script"), std::string::npos);
  EXPECT_EQ(dom.find("<img"), std::string::npos);

  const fs::path png = testing::ArtifactsDir() / "rehearsal_known.png";
  EXPECT_TRUE(testing::ChromiumScreenshot(page, png));
  std::error_code ec;
  fs::remove_all(dir, ec);
}

}  // namespace
}  // namespace cutover::report
