// cutover status TARGET --plan PLAN and cutover apply TARGET --plan PLAN
// --phase P: the migration history commands (docs/migrations.md).
//
// Both read the plan first with the reader lint uses (PostgreSQL:
// libpg_query; MySQL/SQLite: the driver plugin's SplitScript), so a bad plan
// is exit 2 before anything connects. status is read-only (it never creates
// the history table) and exits 1 when anything is edited, missing, failed or
// partial. apply exits 0 when the phase ran, 1 when a statement or check
// failed or the run was refused (nothing changed then), 2 for usage or a bad
// plan, 3 for connection errors and interruptions (SIGINT/SIGTERM finish the
// current statement or batch, record it, and stop).
//
// apply obeys the gate: before expand, backfill or contract changes
// anything, the same checks as `cutover gate` are evaluated and a NO-GO
// refuses (exit 1, the failed checks named, nothing changed). `--no-gate
// --reason TEXT` overrides; the override, with the checks that failed, is
// written to the audit log before anything runs, and an override that
// cannot be recorded does not run. --dry-run and --baseline are not gated,
// nor is rollback (the way back must not wait for evidence); every run that
// changes something is recorded (apply.start, apply.end).
#include <iostream>

#include "cli/commands.h"
#include "cli/gate_eval.h"
#include "migrate/apply.h"
#include "migrate/foreign_history.h"
#include "migrate/history.h"
#include "migrate/status.h"
#include "plan/plan.h"
#include "rehearse/rehearsal.h"

namespace cutover::cli {
namespace {

struct Prepared {
  CommandContext::Target target;
  plan::Plan plan;
};

Result<Prepared> Prepare(CommandContext& ctx, const std::string& target_text, const std::string& plan_dir,
                         const std::optional<std::string>& layout) {
  auto target = ctx.ResolveTarget(target_text);
  if (!target.ok()) return target.status();
  auto engine = plan::ParseEngine(target->driver->info().name);
  if (!engine.ok()) return engine.status().WithContext("TARGET " + target->label);
  auto plan = ReadPlanArg(plan_dir, *engine, target->driver, layout);
  if (!plan.ok()) return plan.status();
  return Prepared{*target, std::move(*plan)};
}

Result<std::optional<std::chrono::milliseconds>> Duration(const std::optional<std::string>& text,
                                                          const std::string& flag) {
  if (!text) return std::optional<std::chrono::milliseconds>();
  auto d = plan::ParseDuration(*text);
  if (!d.ok()) return d.status().WithContext(flag);
  return std::optional<std::chrono::milliseconds>(*d);
}

// The audit trail of one apply run: the catalog it records to (none when no
// repository is configured for an ungated run) and the entries' common part.
struct ApplyAudit {
  std::unique_ptr<Catalog> catalog;
  std::optional<audit::AuditLog> log;  // on `catalog`, opened (key file read) once
  audit::Event base;                   // action filled per entry
};

audit::Event AuditEvent(const ApplyAudit& trail, const std::string& action, nlohmann::json extra) {
  audit::Event e = trail.base;
  e.action = action;
  for (auto& [k, v] : extra.items()) e.detail[k] = v;
  return e;
}

std::string RefusalText(const ApplyArgs& args, const std::string& target_label,
                        const std::vector<gate::CheckResult>& checks) {
  const std::vector<std::string> failed = FailedChecks(checks);
  std::string ids;
  for (const std::string& id : failed) ids += (ids.empty() ? "" : ", ") + id;
  std::string text = "apply refused: the gate says NO-GO for " + *args.phase + " of " + args.plan + " on " +
                     target_label + " (" + std::to_string(failed.size()) + " check(s) failed: " + ids +
                     "); nothing was changed";
  for (const gate::CheckResult& c : checks) {
    if (c.verdict != gate::Verdict::kFail) continue;
    text += "\n  FAIL  " + c.id + ": " + c.evidence;
    if (!c.fix.empty()) text += "\n        fix: " + c.fix;
  }
  text += "\n`cutover gate " + args.target + " --plan " + args.plan + " --phase " + *args.phase +
          "` shows every check; to run anyway: --no-gate --reason \"why\" (recorded in the audit log)";
  return text;
}

// Opens the audit trail and, for a gated phase, evaluates the gate. A
// non-OK status refuses the run before anything changed.
Result<ApplyAudit> GateAndOpenAudit(CommandContext& ctx, const ApplyArgs& args, const Prepared& prepared,
                                    bool gated) {
  ApplyAudit trail;
  trail.base.target = prepared.target.label;
  trail.base.db_user = prepared.target.uri.user();
  trail.base.detail = {{"plan", args.plan},
                       {"plan_sha256", rehearse::PlanSha256(prepared.plan)},
                       {"phase", args.baseline ? "baseline" : args.phase.value_or("")},
                       {"to", args.to.value_or("")}};
  // An override is recorded whatever it takes (a new repository if need
  // be); an ungated run (baseline, rollback) is recorded where a repository
  // exists, and never creates one as a side effect.
  auto repo = ctx.OpenRepository(args.no_gate ? CommandContext::RepositoryUse::kCreateIfMissing
                                              : CommandContext::RepositoryUse::kMustExist);
  if (!repo.ok()) {
    if (args.no_gate)
      return repo.status().WithContext("--no-gate: the override must be recorded in the audit log");
    if (gated) return Status::Io("apply refused (NO-GO): " + repo.status().message());
    std::cerr << "cutover: warning: this apply is not recorded in an audit log: " << repo.status().message()
              << "\n";
    return trail;
  }
  auto catalog = ctx.OpenCatalog(*repo);
  if (!catalog.ok())
    return Status::Io("apply refused: the catalog cannot be read: " + catalog.status().message());
  trail.catalog = std::move(*catalog);
  auto log = ctx.AuditLogFor(*trail.catalog);
  if (!log.ok()) return log.status();
  trail.log.emplace(std::move(*log));
  if (!gated) return trail;

  GateArgs gate_args;
  gate_args.target = args.target;
  gate_args.plan = args.plan;
  gate_args.phase = *args.phase;
  gate_args.to = args.to;
  gate_args.scratch = args.scratch;
  auto outcome = EvaluateGate(ctx, gate_args, prepared.target, prepared.plan, *repo, *trail.catalog);
  nlohmann::json failed = nlohmann::json::array();
  if (outcome.ok()) {
    for (const std::string& id : FailedChecks(outcome->checks)) failed.push_back(id);
  } else {
    failed.push_back("the gate could not be evaluated: " + outcome.status().message());
  }
  const bool go = outcome.ok() && failed.empty();
  CUTOVER_RETURN_IF_ERROR(trail.log->Append(AuditEvent(
      trail, "gate", {{"by", "apply"}, {"decision", go ? "GO" : "NO-GO"}, {"failed_checks", failed}})));
  if (!args.no_gate) {
    if (!outcome.ok()) return outcome.status().WithContext("apply refused (NO-GO)");
    if (!go) return Status::CheckFailed(RefusalText(args, prepared.target.label, outcome->checks));
    if (!ctx.options().quiet)
      std::cerr << "cutover: gate: GO (" << outcome->checks.size() << " checks passed)\n";
    return trail;
  }
  CUTOVER_RETURN_IF_ERROR(trail.log->Append(
      AuditEvent(trail, "apply.override", {{"reason", *args.reason}, {"failed_checks", failed}})));
  if (!ctx.options().quiet) {
    std::cerr << "cutover: warning: the gate is overridden (--no-gate, recorded in the audit log): "
              << (go ? "it said GO" : "it said NO-GO, " + std::to_string(failed.size()) + " check(s) failed")
              << "\n";
  }
  return trail;
}

}  // namespace

int RunStatus(CommandContext& ctx, const StatusArgs& args) {
  auto prepared = Prepare(ctx, args.target, args.plan, args.layout);
  if (!prepared.ok()) return ctx.Fail(prepared.status());
  auto conn = prepared->target.driver->Connect(prepared->target.uri);
  if (!conn.ok()) return ctx.Fail(conn.status());
  auto exists = migrate::HistoryTableExistsFor(**conn, prepared->plan);
  if (!exists.ok()) return ctx.Fail(exists.status());
  auto history = migrate::ReadHistoryOf(**conn, prepared->plan);
  if (!history.ok()) return ctx.Fail(history.status());
  migrate::StatusReport report = migrate::ComputeStatus(prepared->plan, *history, *exists);
  std::cout << (ctx.json() ? migrate::StatusJson(report) : migrate::StatusText(report));
  std::cout.flush();
  return report.problems() > 0 ? 1 : 0;
}

int RunApply(CommandContext& ctx, const ApplyArgs& args) {
  migrate::ApplyOptions options;
  if (args.phase) {
    const std::optional<plan::Phase> phase = plan::PhaseForName(*args.phase);
    if (!phase || (*phase != plan::Phase::kExpand && *phase != plan::Phase::kBackfill &&
                   *phase != plan::Phase::kContract && *phase != plan::Phase::kRollback)) {
      return ctx.Fail(Status::InvalidInput("--phase " + std::string(*args.phase) +
                                           ": unknown phase; use expand, backfill, contract or rollback"));
    }
    options.phase = *phase;
  } else if (!args.baseline) {
    return ctx.Fail(
        Status::InvalidInput("apply needs --phase expand|backfill|contract|rollback (or --baseline)"));
  }
  if (args.baseline && args.phase) {
    return ctx.Fail(Status::InvalidInput(
        "--baseline records every phase of the migrations up to --to as applied; it takes no --phase"));
  }
  auto lock = Duration(args.lock_timeout, "--lock-timeout");
  if (!lock.ok()) return ctx.Fail(lock.status());
  auto stmt = Duration(args.statement_timeout, "--statement-timeout");
  if (!stmt.ok()) return ctx.Fail(stmt.status());
  auto pause = Duration(args.pause, "--pause");
  if (!pause.ok()) return ctx.Fail(pause.status());
  if (args.retries && (*args.retries < 0 || *args.retries > 100)) {
    return ctx.Fail(Status::InvalidInput("--retries " + std::to_string(*args.retries) + ": use 0 to 100"));
  }
  if (args.batch_size && (*args.batch_size < 1 || *args.batch_size > 10000000)) {
    return ctx.Fail(
        Status::InvalidInput("--batch-size " + std::to_string(*args.batch_size) + ": use 1 to 10000000"));
  }
  options.lock_timeout = *lock;
  options.statement_timeout = *stmt;
  options.pause = *pause;
  if (args.retries) options.retries = *args.retries;
  if (args.batch_size) options.batch_size = *args.batch_size;
  if (args.no_gate != args.reason.has_value() || (args.reason && args.reason->empty())) {
    return ctx.Fail(Status::InvalidInput(
        "--no-gate and --reason TEXT go together: an override of the gate says why, for the audit log"));
  }
  options.to = args.to;
  options.dry_run = args.dry_run;
  options.baseline = args.baseline;
  options.tool_version = CUTOVER_VERSION;

  auto prepared = Prepare(ctx, args.target, args.plan, args.layout);
  if (!prepared.ok()) return ctx.Fail(prepared.status());
  if (prepared->plan.layout != plan::Layout::kCutover) {
    // Another tool's history is that tool's to write; cutover only reads it.
    const plan::Layout layout = prepared->plan.layout;
    return ctx.Fail(Status::InvalidInput(
        "apply: " + args.plan + " is a " + std::string(plan::LayoutName(layout)) +
        " plan, and cutover never applies another tool's migrations to a target (it would have to write " +
        std::string(migrate::ToolHistoryTable(layout)) + ", which belongs to " +
        std::string(plan::LayoutName(layout)) + "); once `cutover gate " + args.target + " --plan " +
        args.plan + "` says GO, apply it with " + std::string(plan::LayoutName(layout)) +
        "'s own command: " + std::string(plan::LayoutApplyCommand(layout))));
  }
  options.applied_by = migrate::AppliedBy(prepared->target.uri);
  const bool quiet = ctx.options().quiet;
  options.note = [quiet](const std::string& line) {
    if (!quiet) std::cerr << "cutover: " << line << std::endl;
  };

  const bool gated = !args.dry_run && !args.baseline && options.phase != plan::Phase::kRollback;
  std::optional<ApplyAudit> trail;
  if (!args.dry_run) {
    auto opened = GateAndOpenAudit(ctx, args, *prepared, gated);
    if (!opened.ok()) return ctx.Fail(opened.status());
    trail.emplace(std::move(*opened));
  }
  auto conn = prepared->target.driver->Connect(prepared->target.uri);
  if (!conn.ok()) return ctx.Fail(conn.status());
  if (trail && trail->log) {
    // The start is recorded before anything runs; a run that cannot be
    // recorded does not start.
    Status st = trail->log->Append(AuditEvent(*trail, "apply.start", nlohmann::json::object()));
    if (!st.ok()) return ctx.Fail(st.WithContext("apply refused: the audit log cannot be written"));
  }
  // main's token: SIGINT/SIGTERM/SIGHUP finish the statement or batch, record it, stop (kCancelled)
  InterruptGuard interrupts;
  migrate::ApplyReport report = migrate::Apply(**conn, prepared->plan, options);
  if (trail && trail->log) {
    nlohmann::json steps = nlohmann::json::array();
    for (const migrate::StepOutcome& step : report.steps) steps.push_back(step.file + ": " + step.outcome);
    RecordAudit(*trail->log,
                AuditEvent(*trail, "apply.end",
                           {{"ok", report.status.ok()},
                            {"error", report.status.ok() ? std::string() : report.status.message()},
                            {"steps", steps}}));
  }
  if (ctx.json()) {
    std::cout << migrate::ApplyJson(report, options);
    std::cout.flush();
    if (!report.status.ok()) std::cerr << "cutover: error: " << ScrubSecrets(report.status.message()) << "\n";
    return ExitCodeFor(report.status);
  }
  std::cout << migrate::ApplyText(report, options);
  std::cout.flush();
  if (!report.status.ok()) return ctx.Fail(report.status);
  return 0;
}

}  // namespace cutover::cli
