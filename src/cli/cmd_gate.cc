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
#include "gate/checks.h"
#include "lint/lint.h"
#include "migrate/history.h"
#include "migrate/history_schema.h"
#include "migrate/status.h"
#include "plan/plan.h"
#include "rehearse/rehearsal.h"
#include "schema/drift.h"
#include "schema/fingerprint.h"

namespace cutover::cli {
namespace {

using Json = nlohmann::ordered_json;

struct Live {
  SchemaModel model;
  std::string fingerprint;
  bool history_table = false;
  migrate::History history;
};

Result<Live> ReadLive(Connection& conn) {
  CUTOVER_RETURN_IF_ERROR(conn.SetReadOnly().WithContext("making the session on the target read-only"));
  Live live;
  auto model = conn.ReadSchema();
  if (!model.ok()) return model.status().WithContext("reading the target's schema");
  live.model = std::move(*model);
  auto exists = migrate::HistoryTableExists(conn);
  if (!exists.ok()) return exists.status();
  live.history_table = *exists;
  auto history = migrate::ReadHistory(conn);
  if (!history.ok()) return history.status();
  live.history = std::move(*history);
  live.fingerprint = Fingerprint(live.model);
  return live;
}

std::vector<std::string> Differences(const SchemaModel& expected, const SchemaModel& live) {
  SchemaModel actual = live;
  migrate::RemoveHistoryTable(actual);
  DriftOptions options;
  options.ignore_globs = {std::string(migrate::kHistoryTable), "*." + std::string(migrate::kHistoryTable)};
  auto drift = ComputeDrift(expected, actual, options);
  if (!drift.ok()) return {"the comparison failed: " + drift.status().message()};
  std::vector<std::string> out;
  for (const Difference& d : drift->differences) {
    out.push_back(std::string(DiffKindName(d.kind)) + " " + ObjectKindName(d.object_kind) + " " + d.path);
  }
  return out;
}

// schema.no_drift: against the history's replay on the scratch server, or,
// for a target with no history yet, against the rehearsed snapshot's schema.
gate::CheckResult NoDrift(CommandContext& ctx, const GateArgs& args, const CommandContext::Target& target,
                          const snapshot::Repository& repo, const plan::Plan& plan, const Live& live,
                          const std::vector<RehearsalRecord>& rehearsals) {
  const std::string drift_cmd = "cutover drift " + args.target + " --against history --plan " + args.plan;
  if (!live.history_table) {
    const RehearsalRecord* newest = nullptr;
    for (const RehearsalRecord& r : rehearsals) {
      if (newest == nullptr || r.started_at > newest->started_at) newest = &r;
    }
    if (newest == nullptr) {
      return gate::SchemaNoDrift("the rehearsed snapshot's schema", {},
                                 "no history and no rehearsal to compare with",
                                 "cutover rehearse " + args.target + " --plan " + args.plan);
    }
    std::vector<std::string> diff;
    if (newest->snapshot_fingerprint != live.fingerprint) {
      diff.push_back("live fingerprint " + live.fingerprint + ", rehearsed snapshot " + newest->snapshot_id +
                     " " + newest->snapshot_fingerprint);
    }
    return gate::SchemaNoDrift(
        "the schema of snapshot " + newest->snapshot_id + " (rehearsal " + newest->id + ")", diff, "",
        "cutover drift " + args.target + " --against snapshot:" + newest->snapshot_id +
            " names each difference; then take a new snapshot and rehearse again");
  }
  const std::string expected = "the history's replay";
  auto steps = migrate::ReplaySteps(plan, live.history);
  if (!steps.ok()) return gate::SchemaNoDrift(expected, {}, steps.status().message(), drift_cmd);
  const std::string local = (repo.root() / "scratch").string();
  auto scratch = ResolveScratchServer(ctx.loader(), ctx.config(), args.target, args.scratch, *target.driver,
                                      local, "the gate replays the history on a scratch database",
                                      "the target " + target.label);
  if (!scratch.ok()) return gate::SchemaNoDrift(expected, {}, scratch.status().message(), drift_cmd);
  auto model = migrate::SchemaFromHistory(*target.driver, *scratch, *steps);
  if (!model.ok()) return gate::SchemaNoDrift(expected, {}, model.status().message(), drift_cmd);
  return gate::SchemaNoDrift(
      expected, Differences(*model, live.model), "",
      drift_cmd + " names each difference; undo the live change or make it a migration");
}

// Lint judges what is still to run: from the first migration with a phase
// not applied yet (the ones before it count as existing tables, as in
// `lint --from`). Everything applied: the whole plan.
lint::LintOptions LintFrom(const plan::Plan& plan, const migrate::StatusReport& status) {
  lint::LintOptions options;
  for (const plan::Migration& m : plan.migrations) {
    const bool pending =
        std::any_of(status.entries.begin(), status.entries.end(), [&](const migrate::PhaseStatus& p) {
          return p.migration == m.name && p.phase != "rollback" && p.state != migrate::PhaseState::kApplied;
        });
    if (pending) {
      options.from = m.name;
      break;
    }
  }
  return options;
}

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

int Output(CommandContext& ctx, const GateArgs& args, const std::string& target,
           const std::vector<gate::CheckResult>& checks) {
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
  if (args.junit) {
    Status written = WriteFileAtomically(Env::Default(), *args.junit, GateJunit(target, args.phase, checks));
    if (!written.ok()) return ctx.Fail(Status::Io("--junit " + *args.junit + ": " + written.message()));
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
             {"checks", list},           {"decision_sha256", DecisionSha256(list, go)}};
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
  auto target = ctx.ResolveTarget(args.target);
  if (!target.ok()) return ctx.Fail(target.status());
  auto engine = plan::ParseEngine(target->driver->info().name);
  if (!engine.ok()) return ctx.Fail(engine.status().WithContext("TARGET " + target->label));
  auto plan = plan::ReadPlan(args.plan, plan::ReadOptionsFor(*engine, target->driver));
  if (!plan.ok()) return ctx.Fail(plan.status());
  // No repository or catalog: the evidence cannot be read at all (exit 3).
  auto repo = ctx.OpenRepository();
  if (!repo.ok()) return ctx.Fail(Status::Io("NO-GO: " + repo.status().message()));
  auto catalog = ctx.OpenCatalog(*repo);
  if (!catalog.ok())
    return ctx.Fail(Status::Io("NO-GO: the catalog cannot be read: " + catalog.status().message()));
  auto snapshots = (*catalog)->ListSnapshots();
  if (!snapshots.ok())
    return ctx.Fail(Status::Io("NO-GO: the catalog cannot be read: " + snapshots.status().message()));
  auto rehearsals = (*catalog)->ListRehearsals(target->label);
  if (!rehearsals.ok())
    return ctx.Fail(Status::Io("NO-GO: the catalog cannot be read: " + rehearsals.status().message()));
  auto conn = target->driver->Connect(target->uri);
  if (!conn.ok()) return ctx.Fail(conn.status());
  auto live = ReadLive(**conn);
  if (!live.ok()) return ctx.Fail(live.status());
  const std::int64_t now = *ParseIso8601(NowIso8601());
  const Policy& policy = ctx.config().policy;

  std::vector<gate::CheckResult> checks;
  gate::SnapshotEvidence se{target->label, target->driver->info().name, args.target, now, policy, *snapshots};
  for (gate::CheckResult& c : gate::SnapshotChecks(se)) checks.push_back(std::move(c));
  std::optional<SnapshotRecord> newest;
  if (auto s = gate::NewestSnapshot(*snapshots, target->label, se.engine)) newest = s->snapshot;
  const migrate::StatusReport status = migrate::ComputeStatus(*plan, live->history, live->history_table);
  checks.push_back(gate::SnapshotAfterExpand(status, args.phase, newest, args.target));
  checks.push_back(gate::HistoryClean(status, args.target, args.plan));
  checks.push_back(NoDrift(ctx, args, *target, *repo, *plan, *live, *rehearsals));
  auto lint = lint::LintPlan(*plan, LintFrom(*plan, status));
  checks.push_back(lint.ok() ? gate::LintClean(*lint, policy, args.plan)
                             : gate::CheckResult{"lint.clean", gate::Verdict::kFail,
                                                 "lint could not run: " + lint.status().message(),
                                                 "cutover lint " + args.plan});
  gate::RehearsalEvidence re{
      target->label,     args.target, args.plan, args.phase, rehearse::PlanSha256(*plan),
      live->fingerprint, now,         policy,    *rehearsals};
  for (gate::CheckResult& c : gate::RehearsalChecks(re)) checks.push_back(std::move(c));
  return Output(ctx, args, target->label, checks);
}

}  // namespace cutover::cli
