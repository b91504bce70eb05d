#include "report/rehearsal_github.h"

#include <cstdio>

namespace cutover::report {
namespace {

std::string Ms(double ms) {
  char buf[32];
  std::snprintf(buf, sizeof buf, ms >= 10000 ? "%.1f s" : "%.1f ms", ms >= 10000 ? ms / 1000 : ms);
  return buf;
}

std::string Ms(const std::optional<double>& ms) {
  return ms ? Ms(*ms) : "-";
}

std::string Joined(const std::string& dir, const std::string& file) {
  if (dir.empty() || dir == ".") return file;
  return dir.back() == '/' ? dir + file : dir + "/" + file;
}

}  // namespace

std::vector<Annotation> RehearsalAnnotations(const rehearse::RehearsalContext& context,
                                             const rehearse::RehearsalReport& report,
                                             const std::string& plan_dir) {
  std::vector<Annotation> out;
  for (const rehearse::StatementResult& s : report.statements) {
    if (s.ok) continue;
    out.push_back({AnnotationLevel::kError, Joined(plan_dir, s.file), s.line,
                   "cutover rehearse: statement failed on the copy", s.error});
  }
  for (const std::string& finding : report.findings) {
    out.push_back({AnnotationLevel::kError, "", 0, "cutover rehearse", finding});
  }
  if (report.ok) {
    out.push_back({AnnotationLevel::kNotice, "", 0, "cutover rehearse",
                   "rehearsal " + context.rehearsal_id + " of " + context.target + ": no findings, " +
                       std::to_string(report.statements.size()) + " statement executions"});
  }
  return out;
}

std::string RehearsalSummary(const rehearse::RehearsalContext& c, const rehearse::RehearsalReport& r) {
  std::string out = "### cutover rehearse: " + std::string(r.ok ? "✅ no findings" : "❌ findings") + " on `" +
                    MarkdownCell(c.target) + "`\n\nRehearsal `" + MarkdownCell(c.rehearsal_id) +
                    "` on a copy of snapshot `" + MarkdownCell(c.snapshot_id) + "` (" + c.copy_method +
                    "). Estimates are scaled to the live row counts.\n\n";
  out +=
      "| phase | statement | duration | estimate | reads blocked (est.) | writes blocked (est.) | rewrite |\n"
      "|---|---|---|---|---|---|---|\n";
  for (const rehearse::StatementResult& s : r.statements) {
    if (s.drill) continue;
    out += "| " + s.phase + " | `" + MarkdownCell(s.file) + ":" + std::to_string(s.line) + "`" +
           (s.ok ? "" : " ❌") + " | " + Ms(s.duration_ms) + " | " + Ms(s.estimate_duration_ms) + " | " +
           Ms(s.estimate_blocked_read_ms) + " | " + Ms(s.estimate_blocked_write_ms) + " | " +
           (s.rewrite ? (*s.rewrite ? "yes" : "no") : "unknown") + " |\n";
  }
  if (!r.findings.empty()) {
    out += "\n**Findings**\n\n";
    for (const std::string& f : r.findings) out += "- " + MarkdownCell(f) + "\n";
  }
  char buf[160];
  std::snprintf(
      buf, sizeof buf,
      "\nEstimate for production: expand %.1f s, backfill %.1f s, contract %.1f s, rollback %.1f s; "
      "window %.1f s.\n",
      r.estimate.expand_s, r.estimate.backfill_s, r.estimate.contract_s, r.estimate.rollback_s,
      r.estimate.window_s);
  return out + buf;
}

}  // namespace cutover::report
