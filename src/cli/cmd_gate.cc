// cutover gate TARGET --plan DIR [--phase P] [--scratch URI]: GO / NO-GO for
// running phase P of the plan on TARGET now (docs/gate.md).
//
// Everything is evaluated now, with cheap reads only: the catalog, the live
// schema and history (on a read-only session), the plan files, lint; drift
// against the history replays it on the scratch server. Each check is a
// pure function in gate/checks.h; this file gathers their inputs. Evidence
// that cannot be read fails its check (NO-GO), never passes it.
//
// Exit: 0 GO, 1 NO-GO, 2 bad input (usage, an unknown target, a plan that
// cannot be read, a bad [policy]), 3 runtime (the target, the repository or
// the catalog cannot be read).
#include <sys/stat.h>

#include <algorithm>
#include <chrono>
#include <iostream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "base/file_env.h"
#include "base/sha256.h"
#include "base/strings.h"
#include "cli/commands.h"
#include "cli/gate_eval.h"
#include "gate/checks.h"
#include "plan/plan.h"
#include "report/gate_markdown.h"
#include "report/github.h"

namespace cutover::cli {
namespace {

using Json = nlohmann::ordered_json;

std::string DecisionSha256(const Json& checks, bool go) {
  Sha256 h;
  h.Update(checks.dump());
  h.Update(go ? std::string_view("GO") : std::string_view("NO-GO"));
  return h.HexDigest();
}

std::string GateJunit(const std::string& target, const std::string& phase,
                      const std::vector<gate::CheckResult>& checks) {
  std::string cases;
  int failures = 0;
  int skipped = 0;
  for (const gate::CheckResult& c : checks) {
    cases += "    <testcase classname=\"gate." + XmlEscape(phase) + "\" name=\"" + XmlEscape(c.id) + "\">\n";
    if (c.verdict == gate::Verdict::kFail) {
      ++failures;
      cases += "      <failure message=\"" + XmlEscape(c.evidence) + "\">" + XmlEscape("fix: " + c.fix) +
               "</failure>\n";
    } else if (c.verdict == gate::Verdict::kSkipped) {
      ++skipped;
      cases += "      <skipped message=\"" + XmlEscape(c.evidence) + "\"/>\n";
    } else {
      cases += "      <system-out>" + XmlEscape(c.evidence) + "</system-out>\n";
    }
    cases += "    </testcase>\n";
  }
  return "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<testsuites>\n  <testsuite name=\"cutover gate " +
         XmlEscape(target) + "\" tests=\"" + std::to_string(checks.size()) + "\" failures=\"" +
         std::to_string(failures) + "\" skipped=\"" + std::to_string(skipped) + "\">\n" + cases +
         "  </testsuite>\n</testsuites>\n";
}

// node_exporter's textfile collector: the decision, when it was made, and
// one series per check, so an alert can name the check that went red.
std::string GateMetrics(const std::string& target, const std::string& phase,
                        const std::vector<gate::CheckResult>& checks, bool go) {
  const std::string labels = "target=\"" + PromLabel(target) + "\",phase=\"" + PromLabel(phase) + "\"";
  const auto now = std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count();
  std::ostringstream out;
  out.precision(15);
  int failed = 0;
  for (const gate::CheckResult& c : checks) failed += c.verdict == gate::Verdict::kFail ? 1 : 0;
  out << "# HELP cutover_gate_go 1 if the last gate said GO, 0 for NO-GO.\n# TYPE cutover_gate_go gauge\n"
      << "cutover_gate_go{" << labels << "} " << (go ? 1 : 0) << "\n"
      << "# HELP cutover_gate_last_run_timestamp_seconds When the gate last ran.\n"
      << "# TYPE cutover_gate_last_run_timestamp_seconds gauge\n"
      << "cutover_gate_last_run_timestamp_seconds{" << labels << "} " << now << "\n"
      << "# HELP cutover_gate_failed_checks Checks that failed in the last gate.\n"
      << "# TYPE cutover_gate_failed_checks gauge\n"
      << "cutover_gate_failed_checks{" << labels << "} " << failed << "\n"
      << "# HELP cutover_gate_check_failed 1 if the check failed in the last gate, else 0 (passed or "
         "skipped).\n"
      << "# TYPE cutover_gate_check_failed gauge\n";
  for (const gate::CheckResult& c : checks) {
    out << "cutover_gate_check_failed{" << labels << ",check=\"" << PromLabel(c.id) << "\"} "
        << (c.verdict == gate::Verdict::kFail ? 1 : 0) << "\n";
  }
  return out.str();
}

// The leading comment of a plan file (directives left out): the author's
// "why", for the readout.
std::string LeadingComment(const std::string& text) {
  std::string out;
  std::size_t at = 0;
  while (at < text.size()) {
    std::size_t end = text.find('\n', at);
    if (end == std::string::npos) end = text.size();
    std::string_view line = Trim(std::string_view(text).substr(at, end - at));
    at = end + 1;
    if (line.empty()) continue;
    if (line.substr(0, 2) != "--") break;
    line = Trim(line.substr(2));
    if (line.substr(0, 8) == "cutover:" || line.empty()) continue;
    out += (out.empty() ? "" : " ") + std::string(line);
  }
  return out;
}

// The files the phase will run: migrations in scope whose phase is still
// to run (pending, or failed or stopped part-way: apply resumes them).
std::vector<report::GateStep> PendingSteps(const plan::Plan& plan, const migrate::StatusReport& in_scope,
                                           const std::string& phase) {
  std::vector<report::GateStep> steps;
  const std::optional<plan::Phase> p = plan::PhaseForName(phase);
  for (const plan::Migration& m : plan.migrations) {
    const migrate::PhaseStatus* st = in_scope.Find(m.name, phase);
    const plan::PlanFile* file = p ? m.file(*p) : nullptr;
    if (st == nullptr || file == nullptr) continue;
    if (st->state != migrate::PhaseState::kPending && st->state != migrate::PhaseState::kFailed &&
        st->state != migrate::PhaseState::kPartial) {
      continue;
    }
    steps.push_back(
        {file->display_path, static_cast<std::int64_t>(file->statements.size()), LeadingComment(file->text)});
  }
  return steps;
}

// --github: one annotation per failed check (a notice on GO), on stderr;
// the readout as the step summary.
Status GithubOutput(const std::string& target, const std::string& phase,
                    const std::vector<gate::CheckResult>& checks, bool go, const std::string& markdown) {
  if (go) {
    std::cerr << report::WorkflowCommand({report::AnnotationLevel::kNotice, "", 0, "cutover gate",
                                          "GO for " + phase + " on " + target})
              << "\n";
  }
  for (const gate::CheckResult& c : checks) {
    if (c.verdict != gate::Verdict::kFail) continue;
    std::cerr << report::WorkflowCommand({report::AnnotationLevel::kError, "", 0, "cutover gate: " + c.id,
                                          c.evidence + (c.fix.empty() ? "" : "\nfix: " + c.fix)})
              << "\n";
  }
  return report::AppendStepSummary(markdown);
}

int Output(CommandContext& ctx, const GateArgs& args, const CommandContext::Target& resolved,
           Catalog& catalog, const plan::Plan& plan, const GateOutcome& outcome) {
  const std::string& target = resolved.label;
  const std::vector<gate::CheckResult>& checks = outcome.checks;
  bool go = true;
  int failed = 0;
  Json list = Json::array();
  for (const gate::CheckResult& c : checks) {
    if (c.verdict == gate::Verdict::kFail) {
      go = false;
      ++failed;
    }
    Json j{{"id", c.id}, {"status", gate::VerdictName(c.verdict)}, {"evidence", c.evidence}};
    if (!c.fix.empty()) j["fix"] = c.fix;
    list.push_back(j);
  }
  const std::string decision = go ? "GO" : "NO-GO";
  const std::string decision_sha256 = DecisionSha256(list, go);
  ctx.RecordAudit(catalog, audit::Event{"gate",
                                        target,
                                        resolved.uri.user(),
                                        {{"phase", args.phase},
                                         {"plan", args.plan},
                                         {"decision", decision},
                                         {"decision_sha256", decision_sha256},
                                         {"failed_checks", FailedChecks(checks)}}});
  if (args.junit) {
    Status written = WriteFileAtomically(Env::Default(), *args.junit, GateJunit(target, args.phase, checks));
    if (!written.ok()) return ctx.Fail(Status::Io("--junit " + *args.junit + ": " + written.message()));
  }
  if (args.markdown || report::GithubMode(args.github)) {
    report::GateReadout readout{target,
                                args.plan,
                                args.phase,
                                args.to.value_or(""),
                                NowIso8601(),
                                go,
                                decision_sha256,
                                checks,
                                PendingSteps(plan, outcome.in_scope, args.phase),
                                outcome.snapshot,
                                outcome.rehearsal};
    const std::string markdown = report::GateMarkdown(readout);
    if (args.markdown) {
      Status written = WriteFileAtomically(Env::Default(), *args.markdown, markdown);
      if (!written.ok())
        return ctx.Fail(Status::Io("--markdown " + *args.markdown + ": " + written.message()));
    }
    if (report::GithubMode(args.github)) {
      if (Status st = GithubOutput(target, args.phase, checks, go, markdown); !st.ok()) return ctx.Fail(st);
    }
  }
  if (args.metrics_file) {
    Status written =
        WriteFileAtomically(Env::Default(), *args.metrics_file, GateMetrics(target, args.phase, checks, go));
    if (!written.ok())
      return ctx.Fail(Status::Io("--metrics-file " + *args.metrics_file + ": " + written.message()));
    // node_exporter usually runs as another user; the metrics hold no secret.
    ::chmod(args.metrics_file->c_str(), 0644);
  }
  if (ctx.json()) {
    Json doc{{"format", "cutover.gate"}, {"version", 1},
             {"target", target},         {"plan", args.plan},
             {"phase", args.phase},      {"decision", decision},
             {"checks", list},           {"decision_sha256", decision_sha256}};
    std::cout << doc.dump(2, ' ', false, Json::error_handler_t::replace) << "\n";
  } else {
    std::cout << "gate for " << args.phase << " of " << args.plan << " on " << target << "\n";
    for (const gate::CheckResult& c : checks) {
      const char* mark = c.verdict == gate::Verdict::kPass   ? "PASS"
                         : c.verdict == gate::Verdict::kFail ? "FAIL"
                                                             : "SKIP";
      std::cout << "  " << mark << "  " << c.id << ": " << c.evidence << "\n";
      if (!c.fix.empty()) std::cout << "        fix: " << c.fix << "\n";
    }
    std::cout << (go ? "GO" : "NO-GO (" + std::to_string(failed) + " check(s) failed)") << "\n";
  }
  std::cout.flush();
  return go ? 0 : 1;
}

}  // namespace

int RunGate(CommandContext& ctx, const GateArgs& args) {
  if (args.phase != "expand" && args.phase != "backfill" && args.phase != "contract") {
    return ctx.Fail(Status::InvalidInput("--phase " + args.phase + ": use expand, backfill or contract"));
  }
  std::vector<std::string> plan_only;
  if (args.layout) plan_only.push_back("--layout");
  if (args.to) plan_only.push_back("--to");
  auto what = ReadPlanOrExec(args.plan, args.exec, args.exec_rollback, args.exec_hash_of, plan_only);
  if (!what.ok()) return ctx.Fail(what.status());
  auto target = ctx.ResolveTarget(args.target);
  if (!target.ok()) return ctx.Fail(target.status());
  auto engine = plan::ParseEngine(target->driver->info().name);
  if (!engine.ok()) return ctx.Fail(engine.status().WithContext("TARGET " + target->label));
  Result<plan::Plan> plan = plan::Plan{};
  if (!what->exec) plan = ReadPlanArg(args.plan, *engine, target->driver, args.layout);
  if (!plan.ok()) return ctx.Fail(plan.status());
  // What the outputs name as the plan: the directory, or the --exec arguments.
  GateArgs shown = args;
  if (what->exec) shown.plan = what->args;
  // No repository or catalog: the evidence cannot be read at all (exit 3).
  auto repo = ctx.OpenRepository();
  if (!repo.ok()) return ctx.Fail(Status::Io("NO-GO: " + repo.status().message()));
  auto catalog = ctx.OpenCatalog(*repo);
  if (!catalog.ok())
    return ctx.Fail(Status::Io("NO-GO: the catalog cannot be read: " + catalog.status().message()));
  auto outcome = EvaluateGate(ctx, shown, *target, *plan, *repo, **catalog, what->exec ? &*what : nullptr);
  if (!outcome.ok()) return ctx.Fail(outcome.status());
  return Output(ctx, shown, *target, **catalog, *plan, *outcome);
}

}  // namespace cutover::cli
