#include "rehearse/report.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <nlohmann/json.hpp>
#include <sstream>

#include "base/strings.h"

namespace cutover::rehearse {
namespace {

using Json = nlohmann::ordered_json;

// Milliseconds rounded to 0.1 ms: finer figures are noise.
double Round1(double v) {
  return std::round(v * 10.0) / 10.0;
}

Json OptionalMs(const std::optional<double>& v) {
  return v ? Json(Round1(*v)) : Json(nullptr);
}

Json ProbeJson(const std::optional<ProbeFigures>& f) {
  if (!f) return nullptr;
  Json j{{"count", f->count},           {"p50_ms", Round1(f->p50_ms)}, {"p95_ms", Round1(f->p95_ms)},
         {"max_ms", Round1(f->max_ms)}, {"timeouts", f->timeouts},     {"errors", f->errors}};
  if (!f->first_error.empty()) j["first_error"] = f->first_error;
  return j;
}

Json StatementJson(const StatementResult& r) {
  Json locks = Json::array();
  for (const LockFigures& l : r.locks)
    locks.push_back({{"object", l.object},
                     {"mode", l.mode},
                     {"held_ms", Round1(l.held_ms)},
                     {"table_level", l.table_level},
                     {"start_ms", OptionalMs(l.start_ms)}});
  Json waits = Json::array();
  for (const WaitFigures& w : r.waits) {
    waits.push_back({{"object", w.object},
                     {"lock", w.lock},
                     {"waiting", w.waiting},
                     {"longest_wait_ms", Round1(w.longest_wait_ms)}});
  }
  Json tables = Json::array();
  for (const TableFigures& t : r.tables) {
    tables.push_back(
        {{"table", t.table},
         {"rewrite", t.rewrite ? Json(*t.rewrite) : Json(nullptr)},
         {"blocked_ms", {{"read", OptionalMs(t.blocked_read_ms)}, {"write", OptionalMs(t.blocked_write_ms)}}},
         {"probes", {{"read", ProbeJson(t.read)}, {"write", ProbeJson(t.write)}}}});
  }
  Json j{{"migration", r.migration},
         {"phase", r.phase},
         {"file", r.file},
         {"line", r.line},
         {"sql", r.sql},
         {"drill", r.drill},
         {"ok", r.ok},
         {"attempts", r.attempts},
         {"duration_ms", Round1(r.duration_ms)},
         {"rows", r.rows},
         {"rewrite", r.rewrite ? Json(*r.rewrite) : Json(nullptr)},
         {"rewritten", r.rewritten},
         {"locks", locks},
         {"waits", waits},
         {"blocked_ms", {{"read", OptionalMs(r.blocked_read_ms)}, {"write", OptionalMs(r.blocked_write_ms)}}},
         {"probes", {{"read", ProbeJson(r.read)}, {"write", ProbeJson(r.write)}}},
         {"tables", tables},
         {"estimate_ms",
          {{"duration", Round1(r.estimate_duration_ms)},
           {"blocked_read", OptionalMs(r.estimate_blocked_read_ms)},
           {"blocked_write", OptionalMs(r.estimate_blocked_write_ms)},
           {"scaled", r.scaled},
           {"growth", std::round(r.growth * 1000.0) / 1000.0}}}};
  if (r.batches > 0) j["batches"] = r.batches;
  if (!r.ok) j["error"] = r.error;
  j["start_ms"] = Round1(r.start_ms);
  return j;
}

Json TimelineJson(const RehearsalTimeline& t) {
  Json probes = Json::array();
  for (const ProbeTimeline& p : t.probes) {
    Json latency = Json::array();
    for (const auto& [at, max] : p.latency) latency.push_back(Json::array({Round1(at), Round1(max)}));
    Json blocked = Json::array();
    for (const IntervalMs& b : p.blocked)
      blocked.push_back({{"start_ms", Round1(b.start_ms)}, {"duration_ms", Round1(b.duration_ms)}});
    probes.push_back({{"table", p.table},
                      {"kind", p.kind},
                      {"bucket_ms", Round1(p.bucket_ms)},
                      {"allowed_ms", OptionalMs(p.allowed_ms)},
                      {"latency", latency},
                      {"blocked", blocked},
                      {"blocked_dropped", p.blocked_dropped}});
  }
  return {{"elapsed_ms", Round1(t.elapsed_ms)}, {"probes", probes}};
}

Json QueueFiguresJson(const QueueDrillFigures& f) {
  if (!f.ran) return {{"ran", false}, {"skipped", f.skipped}};
  return {
      {"ran", true},
      {"lock_timeout_ms", Round1(f.lock_timeout_ms)},
      {"attempts", f.attempts},
      {"gave_up", f.gave_up},
      {"queued_ms", Round1(f.queued_ms)},
      {"blocked_ms", {{"read", OptionalMs(f.blocked_read_ms)}, {"write", OptionalMs(f.blocked_write_ms)}}},
      {"probes", {{"read", ProbeJson(f.read)}, {"write", ProbeJson(f.write)}}}};
}

Json QueueDrillJson(const std::optional<QueueDrillReport>& q) {
  if (!q) return nullptr;
  Json statements = Json::array();
  for (const QueueDrillResult& s : q->statements) {
    statements.push_back({{"migration", s.migration},
                          {"phase", s.phase},
                          {"file", s.file},
                          {"line", s.line},
                          {"sql", s.sql},
                          {"reason", s.reason},
                          {"tables", s.tables},
                          {"with_lock_timeout", QueueFiguresJson(s.with_lock_timeout)},
                          {"without_lock_timeout", QueueFiguresJson(s.without_lock_timeout)}});
  }
  return {{"hold_s", q->hold_s}, {"statements", statements}, {"notes", q->notes}};
}

Json QuerySetJson(const QuerySetResult& q) {
  Json failed = Json::array();
  for (const QueryFailure& f : q.failed)
    failed.push_back({{"file", f.file}, {"line", f.line}, {"error", f.error}});
  return {{"ok", q.ok}, {"run", q.run}, {"failed", failed}};
}

std::string Fixed(double v, int decimals = 1) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.*f", decimals, v);
  return buf;
}

std::string MsText(const std::optional<double>& v) {
  return v ? Fixed(*v) : "-";
}

std::string Pad(std::string s, std::size_t width) {
  if (s.size() < width) s.append(width - s.size(), ' ');
  return s;
}

std::string LocksText(const StatementResult& r) {
  std::vector<std::string> parts;
  for (const LockFigures& l : r.locks) parts.push_back(l.mode + " " + l.object);
  return parts.empty() ? "-" : Join(parts, ", ");
}

void PhaseTable(std::string& out, const RehearsalReport& report, const std::string& phase) {
  std::vector<const StatementResult*> rows;
  std::size_t where_width = 9;
  for (const StatementResult& r : report.statements) {
    if (r.phase != phase) continue;
    rows.push_back(&r);
    where_width =
        std::max(where_width, r.file.size() + std::to_string(r.line).size() + 1 + (r.drill ? 8 : 0));
  }
  if (rows.empty()) return;
  out += "\n" + phase + "\n";
  out += "  " + Pad("statement", where_width + 2) + Pad("sql", 62) + Pad("ms", 10) + Pad("rewrite", 8) +
         Pad("read blocked/p95 ms", 22) + Pad("write blocked/p95 ms", 23) + Pad("estimate ms", 12) +
         "locks\n";
  for (const StatementResult* r : rows) {
    const std::string where = r->file + ":" + std::to_string(r->line) + (r->drill ? " (drill)" : "");
    const std::string rewrite = r->rewrite ? (*r->rewrite ? "yes" : "no") : "?";
    const std::string read = MsText(r->blocked_read_ms) + " / " + (r->read ? Fixed(r->read->p95_ms) : "-");
    const std::string write =
        MsText(r->blocked_write_ms) + " / " + (r->write ? Fixed(r->write->p95_ms) : "-");
    out += "  " + Pad(where, where_width + 2) + Pad(StatementHead(r->sql), 62) +
           Pad(Fixed(r->duration_ms), 10) + Pad(rewrite, 8) + Pad(read, 22) + Pad(write, 23) +
           Pad(Fixed(r->estimate_duration_ms), 12) + LocksText(*r) + "\n";
    if (!r->ok) out += "    FAILED: " + r->error + "\n";
    if (r->batches > 0)
      out += "    " + std::to_string(r->batches) + " batches, " + std::to_string(r->rows) + " rows\n";
  }
}

std::string QueueFiguresText(const QueueDrillFigures& f) {
  if (!f.ran) return "not drilled: " + f.skipped;
  std::string s = "queued " + Fixed(f.queued_ms) + " ms in " + std::to_string(f.attempts) +
                  " attempt(s) of " + Fixed(f.lock_timeout_ms, 0) + " ms; reads blocked " +
                  MsText(f.blocked_read_ms) + " ms, writes blocked " + MsText(f.blocked_write_ms) + " ms";
  if (f.gave_up) s += "; apply GAVE UP (retries exhausted)";
  return s;
}

void QueueDrillText(std::string& out, const QueueDrillReport& q) {
  out += "\nlock-queue drill: a transaction that read the table held open for " + Fixed(q.hold_s, 0) +
         " s ahead of each statement\n";
  for (const QueueDrillResult& s : q.statements) {
    out +=
        "  " + s.file + ":" + std::to_string(s.line) + "  " + StatementHead(s.sql) + "  (" + s.reason + ")\n";
    out += "    with apply's lock timeout: " + QueueFiguresText(s.with_lock_timeout) + "\n";
    out += "    without a lock timeout:    " + QueueFiguresText(s.without_lock_timeout) + "\n";
  }
  for (const std::string& n : q.notes) out += "  note: " + n + "\n";
}

}  // namespace

std::string StatementHead(const std::string& sql, std::size_t n) {
  std::string s = CollapseSqlWhitespace(sql);
  if (s.size() > n) {
    std::size_t cut = n - 3;
    while (cut > 0 && (static_cast<unsigned char>(s[cut]) & 0xC0) == 0x80)
      --cut;  // not inside a UTF-8 sequence
    s = s.substr(0, cut) + "...";
  }
  return s;
}

namespace {

Json CommandJson(const CommandEvidence& e) {
  return {{"command", e.command},        {"exit_code", e.exit_code},
          {"signal", e.signal},          {"duration_ms", Round1(e.duration_ms)},
          {"statements", e.statements},  {"output_bytes", e.output_bytes},
          {"output_tail", e.output_tail}};
}

Json ExecJson(const ExecReport& e) {
  return {{"forward", CommandJson(e.forward)},
          {"rollback", e.rollback ? CommandJson(*e.rollback) : Json(nullptr)},
          {"statements_observable", e.statements_observable},
          {"sample_interval_ms", Round1(e.sample_interval_ms)},
          {"rewritten", e.rewritten},
          {"hashed_files", e.hashed_files}};
}

void CommandText(std::string& out, const char* what, const CommandEvidence& e) {
  out += std::string(what) + ": " + e.command + "\n  " +
         (e.signal != 0 ? "ended by signal " + std::to_string(e.signal)
                        : "exit status " + std::to_string(e.exit_code)) +
         " after " + Fixed(e.duration_ms) + " ms; " + std::to_string(e.statements) + " statement(s) seen; " +
         std::to_string(e.output_bytes) + " bytes of output\n";
  if (e.exit_code == 0 && e.signal == 0) return;
  std::string_view tail = e.output_tail;
  int lines = 0;
  std::size_t from = tail.size();
  while (from > 0 && lines < 10) {
    from = tail.rfind('\n', from - 1);
    if (from == std::string_view::npos) {
      from = 0;
      break;
    }
    ++lines;
  }
  out += "  last output:\n";
  std::string_view rest = tail.substr(from);
  while (!rest.empty()) {
    const std::size_t nl = rest.find('\n');
    const std::string_view line = rest.substr(0, nl);
    if (!line.empty()) out += "  | " + std::string(line) + "\n";
    rest = nl == std::string_view::npos ? std::string_view() : rest.substr(nl + 1);
  }
}

}  // namespace

std::string RehearsalJson(const RehearsalContext& c, const RehearsalReport& r) {
  Json statements = Json::array();
  for (const StatementResult& s : r.statements) statements.push_back(StatementJson(s));
  Json backfills = Json::array();
  for (const BackfillResult& b : r.backfills) {
    backfills.push_back({{"migration", b.migration},
                         {"rows", b.rows},
                         {"batches", b.batches},
                         {"seconds", std::round(b.seconds * 1000.0) / 1000.0},
                         {"rows_per_s", std::round(b.rows_per_s)},
                         {"production_rows", std::round(b.production_rows)},
                         {"estimate_s", std::round(b.estimate_s * 1000.0) / 1000.0}});
  }
  Json drills = Json::array();
  for (const DrillResult& d : r.drills) {
    Json j{{"migration", d.migration},
           {"ran", d.ran},
           {"ok", d.ok},
           {"rollback_ms", Round1(d.rollback_ms)},
           {"differences", d.differences}};
    if (!d.ran) j["skipped"] = d.skipped_reason;
    drills.push_back(j);
  }
  auto secs = [](double v) { return std::round(v * 1000.0) / 1000.0; };
  const Totals& t = r.estimate;
  Json doc{
      {"format", "cutover.rehearse"},
      {"version", 1},
      {"ok", r.ok},
      {"target", c.target},
      {"engine", c.engine},
      {"snapshot", c.snapshot_id},
      {"plan_sha256", c.plan_sha256},
      {"fingerprint", c.snapshot_fingerprint},
      {"live_fingerprint", c.live_fingerprint},
      {"drift_allowed", c.drift_allowed},
      {"rehearsal_id", c.rehearsal_id},
      {"tool_version", c.tool_version},
      {"copy",
       {{"method", c.copy_method},
        {"seconds", secs(c.copy_seconds)},
        {"database", c.copy_database},
        {"kept_uri", c.kept_uri.empty() ? Json(nullptr) : Json(c.kept_uri)}}},
      {"phases", r.phases_run},
      {"statements", statements},
      {"backfills", backfills},
      {"rollback_drill", drills},
      {"compat", QuerySetJson(r.compat)},
      {"checks", QuerySetJson(r.checks)},
      {"estimate",
       {{"expand_s", secs(t.expand_s)},
        {"backfill_s", secs(t.backfill_s)},
        {"contract_s", secs(t.contract_s)},
        {"rollback_s", secs(t.rollback_s)},
        {"restore_s", t.restore_s ? Json(secs(*t.restore_s)) : Json(nullptr)},
        {"window_s", secs(t.window_s)}}},
      {"lock_queue_drill", QueueDrillJson(r.queue_drill)},
      {"findings", r.findings},
      {"notes", r.notes},
      {"probes", {{"run", r.probes_run}, {"rate_per_second", r.probe_rate}}},
      {"lock_observer", {{"samples", r.lock_samples}, {"mean_interval_ms", Round1(r.lock_interval_ms)}}}};
  if (c.drift_allowed) doc["drift"] = c.drift_summary;
  if (r.exec) doc["exec"] = ExecJson(*r.exec);
  doc["timeline"] = TimelineJson(r.timeline);
  return doc.dump(2, ' ', false, Json::error_handler_t::replace) + "\n";
}

std::string RehearsalText(const RehearsalContext& c, const RehearsalReport& r) {
  std::string out = "rehearsal of " + c.target + " on a copy of snapshot " + c.snapshot_id + " (" +
                    c.copy_method + " in " + Fixed(c.copy_seconds, 2) + " s)\n";
  out += "plan sha256 " + c.plan_sha256 + "\n";
  if (c.drift_allowed) {
    out += "WARNING: the live schema differs from the snapshot's (--allow-drift): " +
           std::to_string(c.drift_summary.size()) + " difference(s)\n";
  }
  if (r.exec) {
    CommandText(out, "exec", r.exec->forward);
    if (r.exec->rollback) CommandText(out, "exec-rollback", *r.exec->rollback);
    if (!r.exec->rewritten.empty())
      out += "  tables rewritten by it: " + Join(r.exec->rewritten, ", ") + "\n";
  }
  for (const char* phase : {"expand", "rollback", "backfill", "contract"}) PhaseTable(out, r, phase);
  out += "\ncompat: " + std::string(r.compat.ok ? "ok" : "FAILED") + " (" + std::to_string(r.compat.run) +
         " queries)\n";
  for (const QueryFailure& f : r.compat.failed)
    out += "  " + f.file + ":" + std::to_string(f.line) + ": " + f.error + "\n";
  out += "checks: " + std::string(r.checks.ok ? "ok" : "FAILED") + " (" + std::to_string(r.checks.run) +
         " queries)\n";
  for (const QueryFailure& f : r.checks.failed)
    out += "  " + f.file + ":" + std::to_string(f.line) + ": " + f.error + "\n";
  for (const DrillResult& d : r.drills) {
    if (!d.ran) {
      out += "rollback drill " + d.migration + ": skipped, " + d.skipped_reason + "\n";
      continue;
    }
    out += "rollback drill " + d.migration + ": " + (d.ok ? "ok" : "FAILED") + ", rollback took " +
           Fixed(d.rollback_ms) + " ms\n";
    for (const std::string& diff : d.differences) out += "  " + diff + "\n";
  }
  for (const BackfillResult& b : r.backfills) {
    out += "backfill " + b.migration + ": " + std::to_string(b.rows) + " rows in " + Fixed(b.seconds, 2) +
           " s (" + Fixed(b.rows_per_s, 0) + " rows/s); production estimate " + Fixed(b.estimate_s, 1) +
           " s\n";
  }
  const Totals& t = r.estimate;
  out += "\nestimate for production: expand " + Fixed(t.expand_s, 2) + " s, backfill " +
         Fixed(t.backfill_s, 2) + " s, contract " + Fixed(t.contract_s, 2) + " s, rollback " +
         Fixed(t.rollback_s, 2) + " s, restore " +
         (t.restore_s ? Fixed(*t.restore_s, 2) + " s" : std::string("unknown")) + "; window " +
         Fixed(t.window_s, 2) + " s\n";
  if (r.queue_drill) QueueDrillText(out, *r.queue_drill);
  for (const std::string& n : r.notes) out += "note: " + n + "\n";
  for (const std::string& f : r.findings) out += "FINDING: " + f + "\n";
  if (!c.kept_uri.empty()) out += "the rehearsed copy was kept: " + c.kept_uri + "\n";
  out += std::string(r.ok ? "rehearsal ok" : "rehearsal FAILED") + " (recorded as " + c.rehearsal_id + ")\n";
  return out;
}

std::string RehearsalJunit(const RehearsalContext& c, const RehearsalReport& r) {
  std::string cases;
  int tests = 0;
  int failures = 0;
  for (const StatementResult& s : r.statements) {
    ++tests;
    const std::string name = s.file + ":" + std::to_string(s.line) + (s.drill ? " (drill)" : "");
    cases += "    <testcase classname=\"rehearse." + XmlEscape(s.phase) + "\" name=\"" + XmlEscape(name) +
             "\" time=\"" + Fixed(s.duration_ms / 1000.0, 3) + "\">\n";
    if (!s.ok) {
      ++failures;
      cases += "      <failure message=\"" + XmlEscape(s.error) + "\">" + XmlEscape(s.sql) + "</failure>\n";
    }
    cases +=
        "      <system-out>" +
        XmlEscape("blocked read " + MsText(s.blocked_read_ms) + " ms, write " + MsText(s.blocked_write_ms) +
                  " ms; rewrite " + (s.rewrite ? (*s.rewrite ? "yes" : "no") : "unknown")) +
        "</system-out>\n    </testcase>\n";
  }
  auto query_cases = [&](const char* kind, const QuerySetResult& q) {
    for (const QueryFailure& p : q.passed) {
      ++tests;
      cases += std::string("    <testcase classname=\"rehearse.") + kind + "\" name=\"" +
               XmlEscape(p.file + ":" + std::to_string(p.line)) + "\"/>\n";
    }
    for (const QueryFailure& f : q.failed) {
      ++tests;
      ++failures;
      cases += std::string("    <testcase classname=\"rehearse.") + kind + "\" name=\"" +
               XmlEscape(f.file + ":" + std::to_string(f.line)) + "\">\n      <failure message=\"" +
               XmlEscape(f.error) + "\"/>\n    </testcase>\n";
    }
  };
  query_cases("checks", r.checks);
  query_cases("compat", r.compat);
  for (const DrillResult& d : r.drills) {
    ++tests;
    cases += "    <testcase classname=\"rehearse.rollback_drill\" name=\"" + XmlEscape(d.migration) + "\">\n";
    if (!d.ran) {
      cases += "      <skipped message=\"" + XmlEscape(d.skipped_reason) + "\"/>\n";
    } else if (!d.ok) {
      ++failures;
      cases += "      <failure message=\"rollback does not restore the pre-expand schema\">" +
               XmlEscape(Join(d.differences, "\n")) + "</failure>\n";
    }
    cases += "    </testcase>\n";
  }
  // --exec: each command is a case; a non-zero exit fails it, its output tail attached.
  auto command_case = [&](const char* name, const CommandEvidence& e) {
    ++tests;
    cases += "    <testcase classname=\"rehearse.exec\" name=\"" + std::string(name) + "\" time=\"" +
             Fixed(e.duration_ms / 1000.0, 3) + "\">\n";
    if (e.exit_code != 0 || e.signal != 0) {
      ++failures;
      cases += "      <failure message=\"" +
               XmlEscape(e.signal != 0 ? "ended by signal " + std::to_string(e.signal)
                                       : "exit status " + std::to_string(e.exit_code)) +
               "\">" + XmlEscape(e.output_tail) + "</failure>\n";
    }
    cases += "    </testcase>\n";
  };
  if (r.exec) {
    command_case("exec", r.exec->forward);
    if (r.exec->rollback) command_case("exec-rollback", *r.exec->rollback);
  }
  return "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<testsuites>\n  <testsuite name=\"cutover rehearse " +
         XmlEscape(c.target) + "\" tests=\"" + std::to_string(tests) + "\" failures=\"" +
         std::to_string(failures) + "\">\n" + cases + "  </testsuite>\n</testsuites>\n";
}

std::string RehearsalMetrics(const RehearsalContext& context, const RehearsalReport& report,
                             double now_seconds) {
  const std::string target = "target=\"" + PromLabel(context.target) + "\"";
  std::ostringstream out;
  out.precision(15);
  auto gauge = [&](const char* name, const char* help) {
    out << "# HELP " << name << " " << help << "\n# TYPE " << name << " gauge\n";
  };
  gauge("cutover_rehearsal_ok", "1 if the last rehearsal found nothing, 0 if it had findings.");
  out << "cutover_rehearsal_ok{" << target << "} " << (report.ok ? 1 : 0) << "\n";
  gauge("cutover_rehearsal_last_run_timestamp_seconds", "When the last rehearsal ran.");
  out << "cutover_rehearsal_last_run_timestamp_seconds{" << target << "} " << now_seconds << "\n";
  gauge("cutover_rehearsal_findings", "Findings of the last rehearsal.");
  out << "cutover_rehearsal_findings{" << target << "} " << report.findings.size() << "\n";
  gauge("cutover_rehearsal_estimated_window_seconds",
        "Estimated production window: migration + max(rollback, restore).");
  out << "cutover_rehearsal_estimated_window_seconds{" << target << "} " << report.estimate.window_s << "\n";
  gauge("cutover_rehearsal_statement_estimated_duration_ms",
        "Per statement: estimated duration in production.");
  std::string blocked;
  for (const StatementResult& s : report.statements) {
    if (s.drill) continue;
    const std::string labels = target + ",phase=\"" + PromLabel(s.phase) + "\",file=\"" + PromLabel(s.file) +
                               "\",line=\"" + std::to_string(s.line) + "\"";
    out << "cutover_rehearsal_statement_estimated_duration_ms{" << labels << "} " << s.estimate_duration_ms
        << "\n";
    std::ostringstream b;
    b.precision(15);
    if (s.estimate_blocked_read_ms) {
      b << "cutover_rehearsal_statement_estimated_blocked_ms{" << labels << ",kind=\"read\"} "
        << *s.estimate_blocked_read_ms << "\n";
    }
    if (s.estimate_blocked_write_ms) {
      b << "cutover_rehearsal_statement_estimated_blocked_ms{" << labels << ",kind=\"write\"} "
        << *s.estimate_blocked_write_ms << "\n";
    }
    blocked += b.str();
  }
  gauge("cutover_rehearsal_statement_estimated_blocked_ms",
        "Per statement and kind: estimated time reads or writes were blocked in production.");
  out << blocked;
  return out.str();
}

}  // namespace cutover::rehearse
