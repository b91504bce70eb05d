// cutover lint PLAN [--engine E | --target T] [--from NAME] [--junit FILE]:
// reads a migration plan and reports statements that break the running app
// or take dangerous locks (docs/lint-rules.md). Exit 0 clean or warnings
// only, 1 on any error-level finding, 2 for a bad plan or usage, 3 when the
// JUnit file cannot be written.
//
// The engine comes from --engine, else from --target's URI scheme (a URI or
// a target name from the config; nothing connects). There is no default:
// the same SQL means different things on different engines.
//
// --scratch (MySQL/MariaDB: ask a scratch server whether each ALTER can run
// ALGORITHM=INSTANT or INPLACE, LOCK=NONE instead of guessing from the
// tokens) is planned and refused with a clear message for now.
#include <fstream>
#include <iostream>

#include "cli/commands.h"
#include "lint/lint.h"
#include "plan/plan.h"

namespace cutover::cli {
namespace {

Result<plan::Engine> ResolveEngine(CommandContext& ctx, const LintArgs& args) {
  std::optional<plan::Engine> from_target;
  if (args.target) {
    auto uri_text = ResolveTargetUri(ctx.config(), *args.target);
    if (!uri_text.ok()) return uri_text.status().WithContext("--target");
    auto uri = ConnectionUri::Parse(*uri_text);
    if (!uri.ok()) return uri.status().WithContext("--target");
    auto engine = plan::ParseEngine(uri->driver_scheme());
    if (!engine.ok()) return engine.status().WithContext("--target " + uri->Redacted());
    from_target = *engine;
  }
  if (args.engine) {
    auto engine = plan::ParseEngine(*args.engine);
    if (!engine.ok()) return engine.status().WithContext("--engine");
    if (from_target && *from_target != *engine) {
      return Status::InvalidInput("--engine " + *args.engine + " contradicts --target, which is a " +
                                  std::string(plan::EngineName(*from_target)) + " database");
    }
    return *engine;
  }
  if (from_target) return *from_target;
  return Status::InvalidInput(
      "cutover lint needs the engine the plan is written for: give --engine postgresql|mysql|sqlite, "
      "or --target NAME|URI to take it from a target");
}

}  // namespace

int RunLint(CommandContext& ctx, const LintArgs& args) {
  if (args.scratch) {
    return ctx.Fail(Status::Unsupported(
        "lint --scratch (asking a MySQL/MariaDB scratch server whether each ALTER runs INSTANT or "
        "INPLACE, LOCK=NONE) is not available in this version of cutover; run lint without --scratch, "
        "which judges each statement from its text"));
  }
  auto engine = ResolveEngine(ctx, args);
  if (!engine.ok()) return ctx.Fail(engine.status());

  plan::ReadOptions read;
  read.engine = *engine;
  if (*engine != plan::Engine::kPostgreSql) {
    // MySQL (DELIMITER) and SQLite (sqlite3_complete) scripts are split by
    // the driver plugin, exactly as they will be run.
    auto driver = ctx.loader().Get(std::string(plan::EngineName(*engine)));
    if (!driver.ok()) {
      return ctx.Fail(driver.status().WithContext("cutover lint splits " +
                                                  std::string(plan::EngineName(*engine)) +
                                                  " scripts with the driver plugin"));
    }
    Driver* d = *driver;
    read.split = [d](std::string_view script) { return d->SplitScript(script); };
  }
  auto plan = plan::ReadPlan(args.plan, read);
  if (!plan.ok()) return ctx.Fail(plan.status());

  lint::LintOptions options;
  if (args.from) options.from = *args.from;
  auto report = lint::LintPlan(*plan, options);
  if (!report.ok()) return ctx.Fail(report.status());

  if (args.junit) {
    std::ofstream out(*args.junit, std::ios::binary | std::ios::trunc);
    out << lint::LintReportJunit(*report);
    out.close();
    if (!out) return ctx.Fail(Status::Io("--junit " + *args.junit + ": cannot write the file"));
  }
  std::cout << (ctx.json() ? lint::LintReportJson(*report) : lint::LintReportText(*report));
  std::cout.flush();
  return report->errors() > 0 ? 1 : 0;
}

}  // namespace cutover::cli
