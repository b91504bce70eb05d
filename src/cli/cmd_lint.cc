// cutover lint PLAN [--engine E | --target T] [--from NAME] [--junit FILE]
//                   [--sarif FILE] [--github] [--scratch SERVER_URI]:
// reads a migration plan and reports statements that break the running app
// or take dangerous locks (docs/lint-rules.md). Exit 0 clean or warnings
// only, 1 on any error-level finding, 2 for a bad plan or usage, 3 when the
// JUnit or SARIF file, or the GitHub step summary, cannot be written.
//
// --sarif and --github (or GITHUB_ACTIONS=true) name a finding's file as
// PLAN (as given) joined with the plan-relative file, made relative to the
// working directory: the repository root in a GitHub workflow. --github
// writes one workflow-command annotation per error or warning finding
// (ignored ones: none) to stderr, so stdout stays the report or JSON, and
// appends a markdown summary to $GITHUB_STEP_SUMMARY when it is set.
//
// The engine comes from --engine, else from --target's URI scheme (a URI or
// a target name from the config; without --scratch nothing connects). There
// is no default: the same SQL means different things on different engines.
//
// --scratch SERVER_URI (MySQL/MariaDB only, lint/lint_scratch.h): ask a
// scratch server what each ALTER does (ALGORITHM=INSTANT, then INPLACE with
// LOCK=NONE) on a scratch database, instead of guessing from the tokens.
// With --target too, the target's schema (no rows, read-only) is copied
// into the scratch database first, and without --from its migration
// history decides where linting starts (the first migration whose expand
// is not applied there). Nothing but the scratch database is
// ever changed; it is dropped afterwards, also on failure and Ctrl-C. Exit
// 2 for --scratch on another engine or a malformed URI, 3 when the scratch
// server or the target cannot be reached (redacted URIs only).
#include <spdlog/spdlog.h>

#include <algorithm>
#include <filesystem>
#include <iostream>

#include "base/file_env.h"
#include "base/strings.h"
#include "cli/commands.h"
#include "lint/lint.h"
#include "lint/lint_scratch.h"
#include "migrate/foreign_history.h"
#include "migrate/history.h"
#include "plan/plan.h"
#include "report/github.h"

namespace cutover::cli {
namespace {

Result<plan::Engine> ResolveEngine(CommandContext& ctx, const LintArgs& args) {
  std::optional<plan::Engine> from_target;
  if (args.target) {
    auto uri_text = ResolveTargetUri(ctx.config(), *args.target);
    if (!uri_text.ok()) return uri_text.status().WithContext("--target");
    auto uri = ConnectionUri::Parse(*uri_text);
    if (!uri.ok()) return uri.status().WithContext("--target");
    auto driver = ctx.loader().ForUri(*uri);
    if (!driver.ok()) return driver.status().WithContext("--target");
    auto engine = plan::ParseEngine((*driver)->info().name);
    if (!engine.ok()) return engine.status().WithContext("--target " + uri->Redacted());
    from_target = *engine;
  }
  if (args.engine) {
    // Aliases (postgres, mariadb) are the drivers' URI schemes.
    auto driver = ctx.loader().ForScheme(ToLower(*args.engine));
    auto engine = plan::ParseEngine(driver.ok() ? (*driver)->info().name : *args.engine);
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

// lint --scratch: the scratch server (and the target whose schema is
// copied), then the plan linted with the server's answers.
Result<lint::LintReport> LintOnScratch(CommandContext& ctx, const LintArgs& args, const plan::Plan& plan,
                                       const lint::LintOptions& options) {
  auto scratch = ConnectionUri::Parse(*args.scratch);
  if (!scratch.ok()) return scratch.status().WithContext("--scratch");
  auto driver = ctx.loader().ForUri(*scratch);
  const bool mysql = driver.ok() && [&] {
    auto engine = plan::ParseEngine((*driver)->info().name);
    return engine.ok() && *engine == plan::Engine::kMySql;
  }();
  if (!mysql) {
    return Status::InvalidInput(
        "--scratch " + scratch->Redacted() +
        " is not a MySQL/MariaDB server URI (mysql://user@host:port/ or mariadb://...)");
  }
  std::unique_ptr<Connection> source;
  if (args.target) {
    auto conn = ctx.ConnectTarget(*args.target);
    if (!conn.ok())
      return conn.status().WithContext("--target (its schema is copied to the scratch database)");
    source = std::move(*conn);
  }
  lint::LintOptions effective = options;
  if (source && effective.from.empty()) {
    // The target's migration history says which migrations its schema
    // already holds: lint (and run on the scratch copy) the pending ones only.
    auto history = migrate::ReadHistoryOf(*source, plan);
    if (!history.ok()) return history.status().WithContext("--target");
    if (!history->empty()) {
      auto pending =
          std::find_if(plan.migrations.begin(), plan.migrations.end(), [&](const plan::Migration& m) {
            auto row = history->find({m.name, "expand"});
            return row == history->end() || row->second.state != migrate::RunState::kSucceeded;
          });
      if (pending == plan.migrations.end()) {
        spdlog::info("lint --scratch: every migration of {} is applied on {}; nothing to lint", plan.root,
                     source->display_uri());
        lint::LintReport empty;
        empty.plan_root = plan.root;
        empty.engine = plan.engine;
        empty.plan_warnings = plan.warnings;
        return empty;
      }
      effective.from = pending->name;
      spdlog::info(
          "lint --scratch: {} holds the migrations before {} (its history table); linting from there",
          source->display_uri(), effective.from);
    }
  }
  lint::ScratchLintRequest request;
  request.driver = *driver;
  request.scratch_server = *scratch;
  request.schema_source = source.get();
  const std::string shown = scratch->Redacted();
  request.on_created = [shown](const std::string& name) {
    spdlog::info("lint --scratch: created scratch database {} on {}", name, shown);
  };
  return lint::LintPlanOnScratch(plan, effective, request);
}

// PLAN as given, relative to the working directory ("" for the directory
// itself), with '/' separators.
std::string PlanPrefix(const std::string& plan_arg) {
  std::error_code ec;
  const std::filesystem::path cwd = std::filesystem::current_path(ec);
  std::filesystem::path plan = std::filesystem::path(plan_arg).lexically_normal();
  if (!ec && plan.is_absolute()) {
    std::filesystem::path rel = plan.lexically_relative(cwd);
    if (!rel.empty()) plan = rel;
  }
  std::string out = plan.generic_string();
  while (EndsWith(out, "/") && out.size() > 1) out.pop_back();
  return out == "." ? "" : out;
}

// --github: annotations on stderr, then the step summary.
Status ReportToGithub(const lint::LintReport& report, const std::string& prefix) {
  std::string table;
  for (const lint::Finding& f : report.findings) {
    const std::string path = lint::FindingPath(prefix, f.file);
    const std::string where = f.line > 0 ? path + ":" + std::to_string(f.line) : path;
    const std::string level = f.ignored ? "ignored" : std::string(lint::SeverityName(f.rule->severity));
    table += "| " + report::MarkdownCell(f.rule->id) + " | " + level + " | " + report::MarkdownCell(where) +
             " | " +
             report::MarkdownCell(f.ignored ? f.message + " (ignored: " + f.ignore_reason + ")" : f.message) +
             " |\n";
    if (f.ignored) continue;
    report::Annotation a;
    a.level = f.rule->severity == lint::Severity::kError ? report::AnnotationLevel::kError
                                                         : report::AnnotationLevel::kWarning;
    a.file = path;
    a.line = f.line;
    a.title = std::string(f.rule->id) + ": " + std::string(f.rule->title);
    a.message = f.message + "\nfix: " + std::string(f.rule->fix);
    std::cerr << report::WorkflowCommand(a) << "\n";
  }
  std::cerr.flush();
  std::string summary = "## cutover lint (" + std::string(plan::EngineName(report.engine)) +
                        "): " + (report.errors() > 0 ? "failed" : "passed") + "\n\n" +
                        std::to_string(report.errors()) + " error(s), " + std::to_string(report.warnings()) +
                        " warning(s), " + std::to_string(report.ignored()) + " ignored in " +
                        std::to_string(report.migrations) + " migration(s) (" + std::to_string(report.files) +
                        " file(s), " + std::to_string(report.statements) + " statement(s)) of `" +
                        report::MarkdownCell(report.plan_root) + "`\n\n";
  if (!table.empty()) summary += "| rule | level | file:line | message |\n|---|---|---|---|\n" + table + "\n";
  return report::AppendStepSummary(summary);
}

// --junit and --sarif files, written atomically (kIo naming the file).
Status WriteReportFiles(const LintArgs& args, const lint::LintReport& report) {
  if (args.junit) {
    Status written = WriteFileAtomically(Env::Default(), *args.junit, lint::LintReportJunit(report));
    if (!written.ok())
      return Status::Io("--junit " + *args.junit + ": cannot write the file: " + written.message());
  }
  if (args.sarif) {
    lint::SarifOptions options;
    options.tool_version = CUTOVER_VERSION;
    // No informationUri: the project has no public home yet, and a made-up
    // link in code scanning would send people nowhere (SARIF makes it optional).
    options.uri_prefix = PlanPrefix(args.plan);
    Status written = WriteFileAtomically(Env::Default(), *args.sarif, lint::LintReportSarif(report, options));
    if (!written.ok())
      return Status::Io("--sarif " + *args.sarif + ": cannot write the file: " + written.message());
  }
  return Status::Ok();
}

}  // namespace

int RunLint(CommandContext& ctx, const LintArgs& args) {
  auto engine = ResolveEngine(ctx, args);
  if (!engine.ok()) return ctx.Fail(engine.status());
  if (args.scratch && *engine != plan::Engine::kMySql) {
    return ctx.Fail(Status::InvalidInput(
        "--scratch asks a MySQL/MariaDB server what each ALTER does and works for MySQL/MariaDB plans only; "
        "this plan is linted as " +
        std::string(plan::EngineName(*engine)) + ": run lint without --scratch"));
  }

  Driver* splitter = nullptr;
  if (*engine != plan::Engine::kPostgreSql) {
    // MySQL (DELIMITER) and SQLite (sqlite3_complete) scripts are split by
    // the driver plugin, exactly as they will be run.
    auto driver = ctx.loader().Get(std::string(plan::EngineName(*engine)));
    if (!driver.ok()) {
      return ctx.Fail(driver.status().WithContext("cutover lint splits " +
                                                  std::string(plan::EngineName(*engine)) +
                                                  " scripts with the driver plugin"));
    }
    splitter = *driver;
  }
  auto plan = ReadPlanArg(args.plan, *engine, splitter, args.layout);
  if (!plan.ok()) return ctx.Fail(plan.status());

  lint::LintOptions options;
  if (args.from) options.from = *args.from;
  auto report = args.scratch ? LintOnScratch(ctx, args, *plan, options) : lint::LintPlan(*plan, options);
  if (!report.ok()) return ctx.Fail(report.status());

  if (Status written = WriteReportFiles(args, *report); !written.ok()) return ctx.Fail(written);
  if (report::GithubMode(args.github)) {
    if (Status summary = ReportToGithub(*report, PlanPrefix(args.plan)); !summary.ok())
      return ctx.Fail(summary);
  }
  std::cout << (ctx.json() ? lint::LintReportJson(*report) : lint::LintReportText(*report));
  std::cout.flush();
  return report->errors() > 0 ? 1 : 0;
}

}  // namespace cutover::cli
