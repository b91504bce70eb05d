#include "report/gate_markdown.h"

#include <cstdio>
#include <map>
#include <nlohmann/json.hpp>

#include "report/github.h"

namespace cutover::report {
namespace {

using Json = nlohmann::json;

// The risk each check takes off the table, in words a reviewer reads.
const std::map<std::string, std::string>& Risks() {
  static const std::map<std::string, std::string> risks = {
      {"snapshot.fresh", "No recent backup"},
      {"snapshot.verified", "A backup with damaged files"},
      {"snapshot.restore_tested", "A backup that does not restore"},
      {"snapshot.after_expand", "No backup of the expanded schema before contract"},
      {"history.clean", "A migration history edited or left half-applied"},
      {"schema.no_drift", "Hand-made live changes the plan does not expect"},
      {"lint.clean", "Known dangerous statements"},
      {"rehearsal.current", "Running something other than what was rehearsed"},
      {"rehearsal.blocking", "Locks the application would feel"},
      {"rehearsal.compat", "The running application version breaking"},
      {"rehearsal.rollback", "A rollback that does not restore the schema"},
      {"window.fits", "Running past the maintenance window"},
  };
  return risks;
}

std::string Code(const std::string& text) {
  // Inline code cannot hold a backtick; a table cell cannot hold a pipe.
  std::string out;
  for (char c : MarkdownCell(text)) out += c == '`' ? '\'' : c;
  return "`" + out + "`";
}

std::string Ms(const Json& v) {
  if (!v.is_number()) return "-";
  char buf[32];
  const double ms = v.get<double>();
  if (ms >= 10000) {
    std::snprintf(buf, sizeof buf, "%.1f s", ms / 1000);
  } else {
    std::snprintf(buf, sizeof buf, "%.1f ms", ms);
  }
  return buf;
}

std::string Seconds(const Json& v) {
  if (!v.is_number()) return "-";
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.1f s", v.get<double>());
  return buf;
}

std::string Header(const GateReadout& r) {
  int passed = 0, failed = 0, skipped = 0;
  for (const gate::CheckResult& c : r.checks) {
    passed += c.verdict == gate::Verdict::kPass ? 1 : 0;
    failed += c.verdict == gate::Verdict::kFail ? 1 : 0;
    skipped += c.verdict == gate::Verdict::kSkipped ? 1 : 0;
  }
  std::string out = "### cutover gate: " + std::string(r.go ? "✅ GO" : "❌ NO-GO") + " for " + r.phase +
                    " of " + Code(r.plan_dir) + (r.to.empty() ? "" : " up to " + Code(r.to)) + " on " +
                    Code(r.target) + "\n\n";
  out += "| decision | checks | decided at | decision sha256 |\n|---|---|---|---|\n";
  out += "| **" + std::string(r.go ? "GO" : "NO-GO") + "** | " + std::to_string(passed) + " passed, " +
         std::to_string(failed) + " failed, " + std::to_string(skipped) + " skipped | " + r.decided_at +
         " | " + Code(r.decision_sha256.substr(0, 16)) + " |\n\n";
  return out;
}

std::string WhatChanges(const GateReadout& r) {
  std::string out = "#### What changes\n\n";
  if (r.steps.empty()) return out + "Nothing is pending for this phase.\n\n";
  out += "| file | statements | why |\n|---|---|---|\n";
  for (const GateStep& s : r.steps) {
    out += "| " + Code(s.file) + " | " + std::to_string(s.statements) + " | " +
           (s.why.empty() ? "-" : MarkdownCell(s.why)) + " |\n";
  }
  return out + "\n";
}

std::string RisksSection(const GateReadout& r) {
  std::string out = "#### Risks the evidence removed\n\n";
  for (const gate::CheckResult& c : r.checks) {
    auto risk = Risks().find(c.id);
    const std::string name = risk != Risks().end() ? risk->second : c.id;
    const char* mark = c.verdict == gate::Verdict::kPass   ? "✅"
                       : c.verdict == gate::Verdict::kFail ? "❌"
                                                           : "➖";
    out += "- " + std::string(mark) + " **" + name + "** (" + Code(c.id) + "): " + MarkdownCell(c.evidence);
    if (c.verdict == gate::Verdict::kFail && !c.fix.empty()) out += ". **Not removed.** Fix: " + Code(c.fix);
    out += "\n";
  }
  return out + "\n";
}

// The statement table and the estimate line of one rehearsal report. Throws
// Json::exception when a field has the wrong type.
std::string ReportFigures(const Json& doc, const std::string& phase) {
  std::string out;
  std::string rows;
  for (const Json& s : doc.value("statements", Json::array())) {
    if (s.value("phase", "") != phase || s.value("drill", false)) continue;
    const Json est = s.value("estimate_ms", Json::object());
    const Json rewrite = s.value("rewrite", Json());
    rows += "| " + Code(s.value("file", "?") + ":" + std::to_string(s.value("line", 0))) + " | " +
            Ms(est.value("duration", Json())) + " | " + Ms(est.value("blocked_read", Json())) + " | " +
            Ms(est.value("blocked_write", Json())) + " | " +
            (rewrite.is_boolean() ? (rewrite.get<bool>() ? "yes" : "no") : "unknown") + " |\n";
  }
  if (rows.empty()) {
    out += "No statement of this phase ran in the rehearsal.\n\n";
  } else {
    out += "| statement | duration | reads blocked | writes blocked | rewrite |\n|---|---|---|---|---|\n" +
           rows + "\n";
  }
  const Json e = doc.value("estimate", Json::object());
  out += "Estimate for production: expand " + Seconds(e.value("expand_s", Json())) + ", backfill " +
         Seconds(e.value("backfill_s", Json())) + ", contract " + Seconds(e.value("contract_s", Json())) +
         ", rollback " + Seconds(e.value("rollback_s", Json())) + ", restore " +
         Seconds(e.value("restore_s", Json())) +
         "; the window it needs: " + Seconds(e.value("window_s", Json())) + ".\n\n";
  return out;
}

std::string Figures(const GateReadout& r) {
  std::string out = "#### Measured on a production copy\n\n";
  if (!r.rehearsal) return out + "No rehearsal of this phase is recorded.\n\n";
  const RehearsalRecord& h = *r.rehearsal;
  const Json doc = Json::parse(h.report_json, nullptr, false);
  out += "Rehearsal " + Code(h.id) + " on a copy of snapshot " + Code(h.snapshot_id) + ", started " +
         h.started_at + (h.ok ? "" : " (**it found problems**)") +
         ". Estimates are scaled to the live row counts.\n\n";
  const std::string unreadable = "Its report in the catalog cannot be read.\n\n";
  if (!doc.is_object()) return out + unreadable;
  try {
    return out + ReportFigures(doc, r.phase);
  } catch (const Json::exception&) {  // an edited catalog row: a field of the wrong type
    return out + unreadable;
  }
}

}  // namespace

std::string GateMarkdown(const GateReadout& r) {
  std::string out = Header(r) + WhatChanges(r) + RisksSection(r) + Figures(r);
  if (r.snapshot) {
    const SnapshotSummary& s = *r.snapshot;
    out += "The way back: snapshot " + Code(s.snapshot.id) + " (" + std::to_string(s.snapshot.rows) +
           " rows, taken " + s.snapshot.started_at + ")";
    if (s.last_restore_test && s.last_restore_test->ok) {
      char buf[32];
      std::snprintf(buf, sizeof buf, "%.1f s", s.last_restore_test->restore_seconds);
      out += ", restored in " + std::string(buf) + " by its last restore test";
    }
    out += ".\n\n";
  }
  out += "<sub>Every check was re-evaluated when the gate ran: " +
         Code("cutover gate " + r.target + " --plan " + r.plan_dir + " --phase " + r.phase +
              (r.to.empty() ? "" : " --to " + r.to)) +
         "</sub>\n";
  return out;
}

}  // namespace cutover::report
