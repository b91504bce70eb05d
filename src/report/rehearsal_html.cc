#include "report/rehearsal_html.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <map>
#include <set>
#include <vector>

#include "base/strings.h"

namespace cutover::report {
namespace {

using rehearse::IntervalMs;
using rehearse::LockFigures;
using rehearse::ProbeTimeline;
using rehearse::QueryFailure;
using rehearse::QuerySetResult;
using rehearse::RehearsalContext;
using rehearse::RehearsalReport;
using rehearse::StatementResult;

std::string Esc(std::string_view s) {
  return XmlEscape(s);
}

std::string Num(double v, int decimals = 1) {
  if (!std::isfinite(v)) v = 0;
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.*f", decimals, v);
  return buf;
}

std::string OptMs(const std::optional<double>& v) {
  return v ? Num(*v) : "-";
}

constexpr const char* kPhases[] = {"expand", "rollback", "backfill", "contract"};

const char* kStyle = R"(
body{font-family:system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;margin:24px;color:#1d2330;background:#fff}
h1{font-size:22px;margin:0 0 8px}h2{font-size:17px;margin:28px 0 8px;border-bottom:1px solid #dde2ea}
dl.meta{display:grid;grid-template-columns:max-content auto;gap:2px 14px;margin:0}
dl.meta dt{color:#5a6577}dl.meta dd{margin:0;font-family:ui-monospace,monospace;word-break:break-all}
.verdict{display:inline-block;padding:3px 10px;border-radius:4px;font-weight:600;color:#fff}
.verdict.ok{background:#2f8a4b}.verdict.findings{background:#c0392b}
table{border-collapse:collapse;font-size:13px;margin:4px 0 12px}
th,td{border:1px solid #dde2ea;padding:3px 7px;text-align:left;vertical-align:top}
th{background:#f3f5f9}td.num{text-align:right;font-variant-numeric:tabular-nums}
td.sql{font-family:ui-monospace,monospace;max-width:520px;white-space:pre-wrap;word-break:break-word}
tr.failed td{background:#fdecea}.finding{color:#c0392b}
svg text{font-size:11px;fill:#1d2330}svg .axis text{fill:#5a6577}
svg .grid{stroke:#eceff4}svg .phase-label{font-weight:600;font-size:12px}
svg .stmt-bar{fill:#3b6fd4}svg .stmt-bar.drill{fill:#8e6fd4}svg .stmt-bar.failed{fill:#c0392b}
svg .lock-held{fill:#e69b21}svg .blocked{fill:#e03b3b;fill-opacity:.35;stroke:#c0392b;stroke-width:1}
svg .latency{fill:none;stroke-width:1.2}svg .latency.read{stroke:#2f8a4b}svg .latency.write{stroke:#7a3fb0}
svg .lane{fill:#fafbfd;stroke:#e3e7ee}svg .allowed{stroke:#999;stroke-dasharray:3 3}
.legend span{display:inline-block;margin-right:14px;font-size:12px}
.legend i{display:inline-block;width:12px;height:10px;margin-right:4px;vertical-align:middle}
)";

// ---- The timeline ------------------------------------------------------

struct Axis {
  double elapsed_ms = 1;
  double left = 280;    // x of time 0
  double width = 1080;  // plot width in px
  double X(double ms) const { return left + std::clamp(ms, 0.0, elapsed_ms) / elapsed_ms * width; }
  double W(double ms) const { return std::max(1.0, ms / elapsed_ms * width); }
};

double ElapsedMs(const RehearsalReport& r) {
  double end = r.timeline.elapsed_ms;
  for (const StatementResult& s : r.statements) end = std::max(end, s.start_ms + s.duration_ms);
  for (const ProbeTimeline& p : r.timeline.probes) {
    for (const IntervalMs& b : p.blocked) end = std::max(end, b.start_ms + b.duration_ms);
    if (!p.latency.empty()) end = std::max(end, p.latency.back().first + p.bucket_ms);
  }
  return std::max(end, 1.0);
}

// A 1-2-5 step giving about 10 ticks.
double TickStep(double elapsed_ms) {
  const double raw = std::max(elapsed_ms / 10.0, 1.0);
  const double magnitude = std::pow(10.0, std::floor(std::log10(raw)));
  const double norm = raw / magnitude;
  return (norm <= 1 ? 1 : norm <= 2 ? 2 : norm <= 5 ? 5 : 10) * magnitude;
}

std::string TickLabel(double ms, double elapsed_ms) {
  if (elapsed_ms < 2000) return Num(ms, 0) + " ms";
  return Num(ms / 1000.0, ms < 10000 && std::fmod(ms, 1000.0) != 0 ? 1 : 0) + " s";
}

void AxisSvg(std::string& out, const Axis& a, double top, double bottom) {
  out += "<g class=\"axis\">";
  const double step = TickStep(a.elapsed_ms);
  for (double t = 0; t <= a.elapsed_ms + step * 1e-9; t += step) {
    const std::string x = Num(a.X(t));
    out += "<line class=\"grid\" x1=\"" + x + "\" x2=\"" + x + "\" y1=\"" + Num(top) + "\" y2=\"" +
           Num(bottom) + "\"/><text class=\"tick\" x=\"" + x + "\" y=\"" + Num(top - 6) +
           "\" text-anchor=\"middle\" data-ms=\"" + Num(t) + "\">" + TickLabel(t, a.elapsed_ms) + "</text>";
  }
  out += "</g>\n";
}

std::string Truncate(const std::string& s, std::size_t n) {
  if (s.size() <= n) return s;
  std::size_t cut = n - 1;
  while (cut > 0 && (static_cast<unsigned char>(s[cut]) & 0xC0) == 0x80) --cut;
  return s.substr(0, cut) + "\u2026";
}

std::string StatementLabel(const StatementResult& s) {
  return s.file + ":" + std::to_string(s.line) + (s.drill ? " (drill)" : "");
}

void LockSegments(std::string& out, const Axis& a, const StatementResult& s, double y) {
  for (const LockFigures& l : s.locks) {
    const double start = l.start_ms.value_or(s.start_ms);
    out += "<rect class=\"lock-held\" x=\"" + Num(a.X(start)) + "\" y=\"" + Num(y) + "\" width=\"" +
           Num(a.W(l.held_ms)) + "\" height=\"4\" data-object=\"" + Esc(l.object) + "\" data-mode=\"" +
           Esc(l.mode) + "\" data-start-ms=\"" + Num(start) + "\" data-duration-ms=\"" + Num(l.held_ms) +
           "\"><title>" + Esc(l.mode + " lock on " + l.object + " held ~" + Num(l.held_ms) + " ms") +
           "</title></rect>";
  }
}

// One row per statement execution, grouped by phase; returns the y below.
double StatementRows(std::string& out, const Axis& a, const RehearsalReport& r, double y) {
  constexpr double kRow = 20;
  int index = 0;
  for (const char* phase : kPhases) {
    std::vector<const StatementResult*> rows;
    for (const StatementResult& s : r.statements) {
      if (s.phase == phase) rows.push_back(&s);
    }
    if (rows.empty()) continue;
    out += "<g class=\"phase\" data-phase=\"" + std::string(phase) +
           "\"><text class=\"phase-label\" x=\"8\" y=\"" + Num(y + 14) + "\">" + phase + "</text>\n";
    y += kRow;
    for (const StatementResult* s : rows) {
      const std::string label = StatementLabel(*s);
      std::string cls = "stmt-bar";
      if (s->drill) cls += " drill";
      if (!s->ok) cls += " failed";
      out += "<text x=\"18\" y=\"" + Num(y + 12) + "\">" + Esc(Truncate(label, 40)) + "</text>";
      out += "<rect class=\"" + cls + "\" id=\"stmt-" + std::to_string(index++) + "\" x=\"" +
             Num(a.X(s->start_ms)) + "\" y=\"" + Num(y + 2) + "\" width=\"" + Num(a.W(s->duration_ms)) +
             "\" height=\"11\" data-file=\"" + Esc(s->file) + "\" data-line=\"" + std::to_string(s->line) +
             "\" data-phase=\"" + Esc(s->phase) + "\" data-start-ms=\"" + Num(s->start_ms) +
             "\" data-duration-ms=\"" + Num(s->duration_ms) + "\" data-ok=\"" + (s->ok ? "true" : "false") +
             "\"><title>" +
             Esc(label + ": " + Num(s->duration_ms) + " ms\n" + rehearse::StatementHead(s->sql, 200)) +
             "</title></rect>";
      LockSegments(out, a, *s, y + 14);
      out += "\n";
      y += kRow;
    }
    out += "</g>\n";
  }
  return y;
}

// One lane per probed table: read and write latency polylines (scaled to the
// lane's largest latency) and the blocked intervals, read in the upper half
// and write in the lower.
double TableLane(std::string& out, const Axis& a, const std::string& table,
                 const std::vector<const ProbeTimeline*>& series, double y) {
  constexpr double kLane = 64;
  double peak = 1;
  for (const ProbeTimeline* p : series) {
    for (const auto& pt : p->latency) peak = std::max(peak, pt.second);
  }
  out += "<g class=\"table-lane\" data-table=\"" + Esc(table) + "\"><rect class=\"lane\" x=\"" + Num(a.left) +
         "\" y=\"" + Num(y) + "\" width=\"" + Num(a.width) + "\" height=\"" + Num(kLane) + "\"/>";
  out += "<text x=\"8\" y=\"" + Num(y + 16) + "\">" + Esc(Truncate(table, 42)) + "</text><text x=\"8\" y=\"" +
         Num(y + 30) + "\" class=\"peak\">peak " + Num(peak) + " ms</text>";
  for (const ProbeTimeline* p : series) {
    const bool read = p->kind == "read";
    for (const IntervalMs& b : p->blocked) {
      out += "<rect class=\"blocked\" x=\"" + Num(a.X(b.start_ms)) + "\" y=\"" +
             Num(read ? y : y + kLane / 2) + "\" width=\"" + Num(a.W(b.duration_ms)) + "\" height=\"" +
             Num(kLane / 2) + "\" data-table=\"" + Esc(p->table) + "\" data-kind=\"" + Esc(p->kind) +
             "\" data-start-ms=\"" + Num(b.start_ms) + "\" data-duration-ms=\"" + Num(b.duration_ms) +
             "\"><title>" +
             Esc(p->table + " " + p->kind + "s blocked " + Num(b.duration_ms) + " ms from " +
                 Num(b.start_ms) + " ms") +
             "</title></rect>";
    }
    std::string points;
    for (const auto& [at, max] : p->latency) {
      points += Num(a.X(at + p->bucket_ms / 2)) + "," + Num(y + kLane - 2 - (kLane - 4) * max / peak) + " ";
    }
    out += "<polyline class=\"latency " + std::string(read ? "read" : "write") + "\" data-table=\"" +
           Esc(p->table) + "\" data-kind=\"" + Esc(p->kind) + "\" data-points=\"" +
           std::to_string(p->latency.size()) + "\" points=\"" + points + "\"><title>" +
           Esc(p->table + " " + p->kind + " probe latency, max per " + Num(p->bucket_ms, 0) + " ms") +
           "</title></polyline>";
  }
  out += "</g>\n";
  return y + kLane + 8;
}

std::string TimelineSvg(const RehearsalReport& r) {
  Axis a;
  a.elapsed_ms = ElapsedMs(r);
  // Lanes by table, in the order the probes ran.
  std::vector<std::string> tables;
  std::map<std::string, std::vector<const ProbeTimeline*>> by_table;
  for (const ProbeTimeline& p : r.timeline.probes) {
    if (by_table[p.table].empty()) tables.push_back(p.table);
    by_table[p.table].push_back(&p);
  }
  std::string body;
  double y = StatementRows(body, a, r, 30);
  if (!tables.empty()) {
    body += "<text class=\"phase-label\" x=\"8\" y=\"" + Num(y + 18) + "\">probes</text>\n";
    y += 26;
  }
  for (const std::string& t : tables) y = TableLane(body, a, t, by_table[t], y);
  std::string axis;
  AxisSvg(axis, a, 20, y);
  const double height = y + 10;
  return "<svg id=\"timeline\" width=\"" + Num(a.left + a.width + 20, 0) + "\" height=\"" + Num(height, 0) +
         "\" viewBox=\"0 0 " + Num(a.left + a.width + 20, 0) + " " + Num(height, 0) +
         "\" style=\"max-width:100%;height:auto\" data-elapsed-ms=\"" + Num(a.elapsed_ms) +
         "\" role=\"img\" aria-label=\"rehearsal timeline\">\n" + axis + body + "</svg>\n";
}

// ---- The tables ----------------------------------------------------------

std::string Cell(const std::string& text, const char* cls = nullptr) {
  return std::string("<td") + (cls != nullptr ? std::string(" class=\"") + cls + "\"" : "") + ">" +
         Esc(text) + "</td>";
}

std::string LocksText(const StatementResult& s) {
  std::vector<std::string> parts;
  for (const LockFigures& l : s.locks)
    parts.push_back(l.mode + " " + l.object + " (" + Num(l.held_ms) + " ms)");
  for (const auto& w : s.waits)
    parts.push_back("waited: " + Join(w.waiting, ", ") + " on " + w.lock + " " + w.object);
  return parts.empty() ? "-" : Join(parts, "; ");
}

void StatementTables(std::string& out, const RehearsalReport& r) {
  for (const char* phase : kPhases) {
    std::string rows;
    for (const StatementResult& s : r.statements) {
      if (s.phase != phase) continue;
      const std::string rewrite = s.rewrite ? (*s.rewrite ? "yes" : "no") : "?";
      rows += std::string("<tr class=\"stmt") + (s.ok ? "" : " failed") + "\">" + Cell(StatementLabel(s)) +
              Cell(s.sql + (s.ok ? "" : "\nFAILED: " + s.error), "sql") + Cell(Num(s.start_ms), "num") +
              Cell(Num(s.duration_ms), "num") + Cell(rewrite) +
              Cell(OptMs(s.blocked_read_ms) + " / " + (s.read ? Num(s.read->p95_ms) : "-"), "num") +
              Cell(OptMs(s.blocked_write_ms) + " / " + (s.write ? Num(s.write->p95_ms) : "-"), "num") +
              Cell(Num(s.estimate_duration_ms) + (s.scaled ? " (x" + Num(s.growth, 2) + ")" : ""), "num") +
              Cell(LocksText(s)) + "</tr>\n";
    }
    if (rows.empty()) continue;
    out += "<h3>" + std::string(phase) + "</h3>\n<table class=\"statements\" data-phase=\"" + phase +
           "\"><tr><th>statement</th><th>sql</th><th>start ms</th><th>ms</th><th>rewrite</th>"
           "<th>read blocked / p95 ms</th><th>write blocked / p95 ms</th><th>estimate ms</th>"
           "<th>locks</th></tr>\n" +
           rows + "</table>\n";
  }
}

void QuerySetHtml(std::string& out, const char* name, const QuerySetResult& q) {
  out += "<p>" + std::string(name) + ": <b>" + (q.ok ? "ok" : "FAILED") + "</b> (" + std::to_string(q.run) +
         " queries)</p>\n";
  if (q.failed.empty()) return;
  out += "<table><tr><th>query</th><th>error</th></tr>\n";
  for (const QueryFailure& f : q.failed)
    out += "<tr class=\"failed\">" + Cell(f.file + ":" + std::to_string(f.line)) + Cell(f.error) + "</tr>\n";
  out += "</table>\n";
}

void DrillsAndBackfills(std::string& out, const RehearsalReport& r) {
  if (!r.backfills.empty()) {
    out +=
        "<h2>Backfills</h2>\n<table><tr><th>migration</th><th>rows</th><th>batches</th><th>seconds</th>"
        "<th>rows/s</th><th>production rows</th><th>estimate s</th></tr>\n";
    for (const auto& b : r.backfills) {
      out += "<tr>" + Cell(b.migration) + Cell(std::to_string(b.rows), "num") +
             Cell(std::to_string(b.batches), "num") + Cell(Num(b.seconds, 2), "num") +
             Cell(Num(b.rows_per_s, 0), "num") + Cell(Num(b.production_rows, 0), "num") +
             Cell(Num(b.estimate_s, 1), "num") + "</tr>\n";
    }
    out += "</table>\n";
  }
  if (!r.drills.empty()) {
    out +=
        "<h2>Rollback drills</h2>\n<table><tr><th>migration</th><th>result</th><th>rollback ms</th>"
        "<th>differences</th></tr>\n";
    for (const auto& d : r.drills) {
      const std::string result = !d.ran ? "skipped: " + d.skipped_reason : (d.ok ? "ok" : "FAILED");
      out += std::string("<tr") + (d.ran && !d.ok ? " class=\"failed\"" : "") + ">" + Cell(d.migration) +
             Cell(result) + Cell(d.ran ? Num(d.rollback_ms) : "-", "num") +
             Cell(d.differences.empty() ? "-" : Join(d.differences, "\n"), "sql") + "</tr>\n";
    }
    out += "</table>\n";
  }
}

void EstimateHtml(std::string& out, const RehearsalReport& r) {
  const auto& t = r.estimate;
  out +=
      "<h2>Estimate for production</h2>\n<table class=\"estimate\"><tr><th>expand s</th><th>backfill s</th>"
      "<th>contract s</th><th>rollback s</th><th>restore s</th><th>window s</th></tr>\n<tr>" +
      Cell(Num(t.expand_s, 2), "num") + Cell(Num(t.backfill_s, 2), "num") +
      Cell(Num(t.contract_s, 2), "num") + Cell(Num(t.rollback_s, 2), "num") +
      Cell(t.restore_s ? Num(*t.restore_s, 2) : "unknown", "num") + Cell(Num(t.window_s, 2), "num") +
      "</tr></table>\n";
}

std::string QueueFigures(const rehearse::QueueDrillFigures& f) {
  if (!f.ran) return "not drilled: " + f.skipped;
  return "queued " + Num(f.queued_ms) + " ms in " + std::to_string(f.attempts) + " attempt(s) of " +
         Num(f.lock_timeout_ms, 0) + " ms; reads blocked " + OptMs(f.blocked_read_ms) +
         " ms, writes blocked " + OptMs(f.blocked_write_ms) + " ms" + (f.gave_up ? "; apply GAVE UP" : "");
}

void QueueDrillHtml(std::string& out, const RehearsalReport& r) {
  if (!r.queue_drill) return;
  const auto& q = *r.queue_drill;
  out += "<h2>Lock-queue drill</h2>\n<p>A transaction that read the table held open for " + Num(q.hold_s, 0) +
         " s ahead of each statement.</p>\n<table><tr><th>statement</th><th>sql</th><th>why</th>"
         "<th>with apply's lock timeout</th><th>without a lock timeout</th></tr>\n";
  for (const auto& s : q.statements) {
    out += "<tr>" + Cell(s.file + ":" + std::to_string(s.line)) +
           Cell(rehearse::StatementHead(s.sql, 120), "sql") + Cell(s.reason) +
           Cell(QueueFigures(s.with_lock_timeout)) + Cell(QueueFigures(s.without_lock_timeout)) + "</tr>\n";
  }
  out += "</table>\n";
  for (const std::string& n : q.notes) out += "<p class=\"note\">note: " + Esc(n) + "</p>\n";
}

void Header(std::string& out, const RehearsalContext& c, const RehearsalReport& r) {
  out += "<header><h1>cutover rehearsal of " + Esc(c.target) + " <span class=\"verdict " +
         (r.ok ? "ok\">ok" : "findings\">findings") + "</span></h1>\n<dl class=\"meta\">";
  auto row = [&](const char* k, const std::string& v) {
    if (!v.empty()) out += "<dt>" + std::string(k) + "</dt><dd>" + Esc(v) + "</dd>";
  };
  row("target", c.target);
  row("engine", c.engine);
  row("snapshot", c.snapshot_id);
  row("plan sha256", c.plan_sha256);
  row("started", c.started_at);
  row("rehearsal", c.rehearsal_id);
  row("copy", c.copy_method + (c.copy_method.empty() ? "" : " in " + Num(c.copy_seconds, 2) + " s"));
  row("phases", Join(r.phases_run, ", "));
  row("cutover", c.tool_version);
  out += "</dl></header>\n";
}

void Evidence(std::string& out, const RehearsalContext& c, const RehearsalReport& r) {
  out += "<h2>Evidence</h2>\n<dl class=\"meta evidence\">";
  auto row = [&](const char* k, const std::string& v) {
    out += "<dt>" + std::string(k) + "</dt><dd>" + Esc(v.empty() ? "-" : v) + "</dd>";
  };
  row("snapshot fingerprint", c.snapshot_fingerprint);
  row("live fingerprint", c.live_fingerprint);
  row("drift allowed", c.drift_allowed ? "yes: " + Join(c.drift_summary, "; ") : "no");
  row("copy database", c.copy_database);
  if (!c.kept_uri.empty()) row("kept copy", c.kept_uri);
  row("probes",
      std::to_string(r.probes_run) + " run at " + Num(r.probe_rate, 0) + " per second per table and kind");
  row("lock observer", std::to_string(r.lock_samples) + " samples, every " + Num(r.lock_interval_ms) + " ms");
  row("held locks observable", r.held_locks_observable ? "yes" : "no");
  std::string dropped;
  for (const ProbeTimeline& p : r.timeline.probes) {
    if (p.blocked_dropped > 0)
      dropped += p.table + " " + p.kind + ": " + std::to_string(p.blocked_dropped) +
                 " short interval(s) not drawn; ";
  }
  if (!dropped.empty()) row("timeline", dropped);
  out += "</dl>\n";
}

std::string Legend() {
  return "<p class=\"legend\"><span><i style=\"background:#3b6fd4\"></i>statement</span>"
         "<span><i style=\"background:#8e6fd4\"></i>rollback drill</span>"
         "<span><i style=\"background:#c0392b\"></i>failed</span>"
         "<span><i style=\"background:#e69b21\"></i>lock held</span>"
         "<span><i style=\"background:#e03b3b;opacity:.45\"></i>probes blocked (upper half read, lower "
         "write)</span><span><i style=\"background:#2f8a4b\"></i>read latency</span>"
         "<span><i style=\"background:#7a3fb0\"></i>write latency</span></p>\n";
}

}  // namespace

std::string RehearsalHtml(const RehearsalContext& c, const RehearsalReport& r) {
  std::string out =
      "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
      "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n<title>cutover rehearsal: " +
      Esc(c.target) + (r.ok ? " (ok)" : " (findings)") + "</title>\n<style>" + kStyle +
      "</style>\n</head>\n<body>\n";
  Header(out, c, r);
  if (!r.findings.empty()) {
    out += "<h2>Findings</h2>\n<ul class=\"findings\">";
    for (const std::string& f : r.findings) out += "<li class=\"finding\">" + Esc(f) + "</li>";
    out += "</ul>\n";
  }
  out += "<h2>Timeline</h2>\n" + Legend() + "<div class=\"timeline\">" + TimelineSvg(r) + "</div>\n";
  out += "<h2>Statements</h2>\n";
  StatementTables(out, r);
  DrillsAndBackfills(out, r);
  out += "<h2>Compat and checks</h2>\n";
  QuerySetHtml(out, "compat", r.compat);
  QuerySetHtml(out, "checks", r.checks);
  EstimateHtml(out, r);
  QueueDrillHtml(out, r);
  if (!r.notes.empty()) {
    out += "<h2>Notes</h2>\n<ul class=\"notes\">";
    for (const std::string& n : r.notes) out += "<li>" + Esc(n) + "</li>";
    out += "</ul>\n";
  }
  Evidence(out, c, r);
  out += "<footer><p>rehearsal " + std::string(r.ok ? "ok" : "FAILED") + "</p></footer>\n</body>\n</html>\n";
  return out;
}

}  // namespace cutover::report
