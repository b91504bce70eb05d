#include "cli/gate_eval.h"

#include <algorithm>
#include <set>

#include "lint/lint.h"
#include "migrate/foreign_history.h"
#include "migrate/history.h"
#include "migrate/history_schema.h"
#include "migrate/status.h"
#include "rehearse/rehearsal.h"
#include "schema/drift.h"
#include "schema/fingerprint.h"

namespace cutover::cli {
namespace {

struct Live {
  SchemaModel model;
  std::string fingerprint;
  bool history_table = false;
  migrate::History history;
};

Result<Live> ReadLive(Connection& conn, const plan::Plan& plan) {
  CUTOVER_RETURN_IF_ERROR(conn.SetReadOnly().WithContext("making the session on the target read-only"));
  Live live;
  auto model = conn.ReadSchema();
  if (!model.ok()) return model.status().WithContext("reading the target's schema");
  live.model = std::move(*model);
  auto exists = migrate::HistoryTableExistsFor(conn, plan);
  if (!exists.ok()) return exists.status();
  live.history_table = *exists;
  auto history = migrate::ReadHistoryOf(conn, plan);
  if (!history.ok()) return history.status();
  live.history = std::move(*history);
  live.fingerprint = Fingerprint(live.model);
  return live;
}

std::vector<std::string> Differences(const SchemaModel& expected, const SchemaModel& live,
                                     plan::Layout layout) {
  SchemaModel actual = live;
  migrate::RemoveHistoryTable(actual, layout);
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
gate::CheckResult NoDrift(CommandContext& ctx, const GateArgs& args, const std::string& plan_args,
                          const CommandContext::Target& target, const snapshot::Repository& repo,
                          const plan::Plan& plan, const Live& live,
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
                                 "cutover rehearse " + args.target + " " + plan_args);
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
      expected, Differences(*model, live.model, plan.layout), "",
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
          // Still to run: pending, or a run that failed or stopped part-way.
          // An applied file edited since is history.clean's finding, not
          // something to lint as if it were new.
          return p.migration == m.name && p.phase != "rollback" &&
                 (p.state == migrate::PhaseState::kPending || p.state == migrate::PhaseState::kFailed ||
                  p.state == migrate::PhaseState::kPartial);
        });
    if (pending) {
      options.from = m.name;
      break;
    }
  }
  return options;
}

// The status entries of the migrations the phase will run: up to --to (all
// without it). Later migrations are not part of this cutover.
Result<migrate::StatusReport> UpTo(migrate::StatusReport status, const plan::Plan& plan,
                                   const std::optional<std::string>& to) {
  if (!to) return status;
  std::set<std::string> included;
  bool found = false;
  for (const plan::Migration& m : plan.migrations) {
    included.insert(m.name);
    if (m.name == *to) {
      found = true;
      break;
    }
  }
  if (!found) return Status::InvalidInput("--to " + *to + ": no migration of that name in the plan");
  std::erase_if(status.entries, [&](const migrate::PhaseStatus& p) { return !included.count(p.migration); });
  return status;
}

}  // namespace

Result<GateOutcome> EvaluateGate(CommandContext& ctx, const GateArgs& args,
                                 const CommandContext::Target& target, const plan::Plan& plan,
                                 const snapshot::Repository& repo, Catalog& catalog, const PlanOrExec* exec) {
  auto snapshots = catalog.ListSnapshots();
  if (!snapshots.ok())
    return Status::Io("NO-GO: the catalog cannot be read: " + snapshots.status().message());
  auto rehearsals = catalog.ListRehearsals(target.label);
  if (!rehearsals.ok())
    return Status::Io("NO-GO: the catalog cannot be read: " + rehearsals.status().message());
  auto conn = target.driver->Connect(target.uri);
  if (!conn.ok()) return conn.status();
  auto live = ReadLive(**conn, plan);
  if (!live.ok()) return live.status();
  const std::int64_t now = *ParseIso8601(NowIso8601());
  const Policy& policy = ctx.config().policy;

  GateOutcome out;
  std::vector<gate::CheckResult>& checks = out.checks;
  gate::SnapshotEvidence se{target.label, target.driver->info().name, args.target, now, policy, *snapshots};
  for (gate::CheckResult& c : gate::SnapshotChecks(se)) checks.push_back(std::move(c));
  out.snapshot = gate::NewestSnapshot(*snapshots, target.label, se.engine);
  std::optional<SnapshotRecord> newest;
  if (out.snapshot) newest = out.snapshot->snapshot;
  const migrate::StatusReport status = migrate::ComputeStatus(plan, live->history, live->history_table);
  auto in_scope = UpTo(status, plan, args.to);
  if (!in_scope.ok()) return in_scope.status();
  out.in_scope = *in_scope;
  checks.push_back(gate::SnapshotAfterExpand(out.in_scope, args.phase, newest, args.target));
  const std::string plan_args = exec != nullptr ? exec->args : "--plan " + args.plan;
  if (exec != nullptr) {
    // The migrator's own history and files are not cutover's to read; the
    // live schema is compared with the rehearsed snapshot's.
    checks.push_back({"history.clean", gate::Verdict::kSkipped,
                      "--exec: the migrator keeps its own history, which cutover does not read", ""});
    Live without_history = *live;
    without_history.history_table = false;
    checks.push_back(NoDrift(ctx, args, plan_args, target, repo, plan, without_history, *rehearsals));
    checks.push_back({"lint.clean", gate::Verdict::kSkipped,
                      "--exec: the migrator's files are not read; where they are SQL, `cutover lint` them",
                      ""});
    out.plan_sha256 = exec->exec_sha256;
  } else {
    checks.push_back(gate::HistoryClean(status, args.target, args.plan));
    checks.push_back(NoDrift(ctx, args, plan_args, target, repo, plan, *live, *rehearsals));
    auto lint = lint::LintPlan(plan, LintFrom(plan, status));
    checks.push_back(lint.ok() ? gate::LintClean(*lint, policy, args.plan)
                               : gate::CheckResult{"lint.clean", gate::Verdict::kFail,
                                                   "lint could not run: " + lint.status().message(),
                                                   "cutover lint " + args.plan});
    out.plan_sha256 = rehearse::PlanSha256(plan);
  }
  gate::RehearsalEvidence re{target.label,      args.target, plan_args, args.phase, out.plan_sha256,
                             live->fingerprint, now,         policy,    *rehearsals};
  for (gate::CheckResult& c : gate::RehearsalChecks(re)) checks.push_back(std::move(c));
  out.rehearsal = gate::RehearsalFor(re);
  return out;
}

std::vector<std::string> FailedChecks(const std::vector<gate::CheckResult>& checks) {
  std::vector<std::string> out;
  for (const gate::CheckResult& c : checks) {
    if (c.verdict == gate::Verdict::kFail) out.push_back(c.id);
  }
  return out;
}

}  // namespace cutover::cli
