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
#include <iostream>

#include "cli/commands.h"
#include "migrate/apply.h"
#include "migrate/history.h"
#include "migrate/status.h"
#include "plan/plan.h"

namespace cutover::cli {
namespace {

struct Prepared {
  CommandContext::Target target;
  plan::Plan plan;
};

Result<Prepared> Prepare(CommandContext& ctx, const std::string& target_text, const std::string& plan_dir) {
  auto target = ctx.ResolveTarget(target_text);
  if (!target.ok()) return target.status();
  auto engine = plan::ParseEngine(target->driver->info().name);
  if (!engine.ok()) return engine.status().WithContext("TARGET " + target->label);
  auto plan = plan::ReadPlan(plan_dir, plan::ReadOptionsFor(*engine, target->driver));
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

}  // namespace

int RunStatus(CommandContext& ctx, const StatusArgs& args) {
  auto prepared = Prepare(ctx, args.target, args.plan);
  if (!prepared.ok()) return ctx.Fail(prepared.status());
  auto conn = prepared->target.driver->Connect(prepared->target.uri);
  if (!conn.ok()) return ctx.Fail(conn.status());
  auto exists = migrate::HistoryTableExists(**conn);
  if (!exists.ok()) return ctx.Fail(exists.status());
  auto history = migrate::ReadHistory(**conn);
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
  options.to = args.to;
  options.dry_run = args.dry_run;
  options.baseline = args.baseline;
  options.tool_version = CUTOVER_VERSION;

  auto prepared = Prepare(ctx, args.target, args.plan);
  if (!prepared.ok()) return ctx.Fail(prepared.status());
  options.applied_by = migrate::AppliedBy(prepared->target.uri);
  const bool quiet = ctx.options().quiet;
  options.note = [quiet](const std::string& line) {
    if (!quiet) std::cerr << "cutover: " << line << std::endl;
  };

  auto conn = prepared->target.driver->Connect(prepared->target.uri);
  if (!conn.ok()) return ctx.Fail(conn.status());
  // main's token: SIGINT/SIGTERM/SIGHUP finish the statement or batch, record it, stop (kCancelled)
  InterruptGuard interrupts;
  migrate::ApplyReport report = migrate::Apply(**conn, prepared->plan, options);
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
