// The gate's Markdown readout: sections, the figures of the gated phase
// only, failures with their fixes, and hostile names kept inert.
#include "report/gate_markdown.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

namespace cutover::report {
namespace {

using Json = nlohmann::json;

GateReadout Readout() {
  GateReadout r;
  r.target = "prod|<script>alert(1)</script>";
  r.plan_dir = "migrations`x";
  r.phase = "expand";
  r.decided_at = "2026-12-07T10:00:00Z";
  r.go = false;
  r.decision_sha256 = std::string(64, 'd');
  r.checks = {{"snapshot.fresh", gate::Verdict::kPass, "snapshot s1 taken 2h ago (limit 1d)", ""},
              {"rehearsal.blocking", gate::Verdict::kFail,
               "0001_x/expand.sql:3 blocks writes 4200 ms > 1000 ms", "use CREATE INDEX CONCURRENTLY"},
              {"window.fits", gate::Verdict::kSkipped, "no window in [policy]", ""}};
  r.steps = {{"0001_x/expand.sql", 2, "Orders need a | separator"}};
  RehearsalRecord h;
  h.id = "rh-1";
  h.snapshot_id = "s1";
  h.started_at = "2026-12-07T09:00:00Z";
  h.ok = true;
  h.report_json =
      Json{{"statements",
            Json::array({Json{{"phase", "expand"},
                              {"file", "0001_x/expand.sql"},
                              {"line", 3},
                              {"drill", false},
                              {"rewrite", true},
                              {"estimate_ms",
                               {{"duration", 12500.0}, {"blocked_read", 3.5}, {"blocked_write", 4200.0}}}},
                         Json{{"phase", "expand"},
                              {"file", "0001_x/expand.sql"},
                              {"line", 3},
                              {"drill", true},
                              {"estimate_ms", {{"duration", 99999.0}}}},
                         Json{{"phase", "contract"}, {"file", "0001_x/contract.sql"}, {"line", 1}}})},
           {"estimate", {{"expand_s", 12.5}, {"window_s", 40.0}}}}
          .dump();
  r.rehearsal = h;
  return r;
}

TEST(GateMarkdown, SaysWhatChangesWhatFailedAndWhatWasMeasured) {
  const std::string md = GateMarkdown(Readout());
  EXPECT_NE(md.find("❌ NO-GO for expand"), std::string::npos) << md;
  EXPECT_NE(md.find("| **NO-GO** | 1 passed, 1 failed, 1 skipped |"), std::string::npos) << md;
  EXPECT_NE(md.find("#### What changes"), std::string::npos);
  EXPECT_NE(md.find("| `0001_x/expand.sql` | 2 | Orders need a \\| separator |"), std::string::npos) << md;
  EXPECT_NE(md.find("❌ **Locks the application would feel** (`rehearsal.blocking`)"), std::string::npos)
      << md;
  EXPECT_NE(md.find("**Not removed.** Fix: `use CREATE INDEX CONCURRENTLY`"), std::string::npos) << md;
  EXPECT_NE(md.find("✅ **No recent backup**"), std::string::npos) << md;
  EXPECT_NE(md.find("➖ **Running past the maintenance window**"), std::string::npos) << md;
  // The phase's statement only: not the drill's execution, not contract.
  EXPECT_NE(md.find("| `0001_x/expand.sql:3` | 12.5 s | 3.5 ms | 4200.0 ms | yes |"), std::string::npos)
      << md;
  EXPECT_EQ(md.find("99999"), std::string::npos) << md;
  EXPECT_EQ(md.find("contract.sql"), std::string::npos) << md;
  EXPECT_NE(md.find("the window it needs: 40.0 s"), std::string::npos) << md;
}

TEST(GateMarkdown, HostileNamesStayInert) {
  const std::string md = GateMarkdown(Readout());
  EXPECT_EQ(md.find("<script>"), std::string::npos) << md;
  EXPECT_NE(md.find("&lt;script&gt;"), std::string::npos) << md;
  EXPECT_EQ(md.find("migrations`x"), std::string::npos) << "a backtick would end the code span: " << md;
  EXPECT_EQ(md.find("prod|"), std::string::npos) << "a raw pipe would split the table: " << md;
}

TEST(GateMarkdown, MissingOrUnreadableEvidenceIsSaidNotHidden) {
  GateReadout r = Readout();
  r.rehearsal->report_json = "{not json";
  EXPECT_NE(GateMarkdown(r).find("cannot be read"), std::string::npos);
  // A catalog row edited by hand: valid JSON, a field of the wrong type.
  for (const char* report : {R"({"statements": [{"phase": 5}]})", R"({"statements": 3})",
                             R"({"estimate": 3, "statements": []})"}) {
    r.rehearsal->report_json = report;
    EXPECT_NE(GateMarkdown(r).find("cannot be read"), std::string::npos) << report;
  }
  r.rehearsal.reset();
  r.steps.clear();
  const std::string md = GateMarkdown(r);
  EXPECT_NE(md.find("No rehearsal of this phase is recorded."), std::string::npos) << md;
  EXPECT_NE(md.find("Nothing is pending for this phase."), std::string::npos) << md;
}

}  // namespace
}  // namespace cutover::report
