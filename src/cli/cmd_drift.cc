// cutover drift TARGET --against X: the live schema compared with an expected one.
//
// X is resolved in this order: "history" (the expand and contract files the
// target's history table records as applied, replayed on a scratch database;
// needs --plan; the history table itself is left out of the comparison),
// "snapshot:ID|latest" (the schema model recorded in a snapshot's manifest),
// a connection URI or config target name, a file: a saved
// `schema --json` document when it starts with '{', else a DDL script applied
// to a scratch database.
#include <spdlog/spdlog.h>

#include <filesystem>
#include <iostream>
#include <sstream>

#include "base/file_env.h"
#include "base/strings.h"
#include "cli/commands.h"
#include "migrate/foreign_history.h"
#include "migrate/history.h"
#include "migrate/history_schema.h"
#include "plan/plan.h"
#include "schema/drift.h"
#include "schema/schema_json.h"
#include "schema/scratch_schema.h"
#include "snapshot/restore.h"

namespace cutover::cli {
namespace fs = std::filesystem;
namespace {

struct ExpectedSchema {
  SchemaModel model;
  std::string source;                            // redacted URI or path
  plan::Layout layout = plan::Layout::kCutover;  // --against history: whose history table to leave out
};

Result<std::string> ReadTextFile(const std::string& path) {
  auto text = Env::Default().ReadFile(path, std::uint64_t{1} << 30);
  if (!text.ok()) return text.status();
  if (!IsValidUtf8(*text)) return Status::InvalidInput(path + ": not UTF-8 text");
  return text;
}

// The scratch server for expectations built on a scratch database.
Result<ConnectionUri> ScratchServer(CommandContext& ctx, const DriftArgs& args,
                                    const ConnectionUri& target_uri, const TempDir& sqlite_scratch,
                                    const std::string& why) {
  auto driver = ctx.loader().ForUri(target_uri);
  if (!driver.ok()) return driver.status();
  return ResolveScratchServer(ctx.loader(), ctx.config(), args.target, args.scratch, **driver,
                              sqlite_scratch.path(),
                              "--against " + args.against + why + ": it is applied to a scratch database",
                              "the target " + target_uri.Redacted());
}

// --against history: the target's recorded migrations replayed on a scratch database.
Result<ExpectedSchema> FromHistory(CommandContext& ctx, const DriftArgs& args,
                                   const ConnectionUri& target_uri, Connection& target_conn) {
  if (!args.plan) {
    return Status::InvalidInput(
        "--against history needs --plan DIR: the history table records which migrations ran and their "
        "checksums; their files come from the plan");
  }
  auto driver = ctx.loader().ForUri(target_uri);
  if (!driver.ok()) return driver.status();
  auto engine = plan::ParseEngine((*driver)->info().name);
  if (!engine.ok()) return engine.status();
  auto plan = ReadPlanArg(*args.plan, *engine, *driver, args.layout);
  if (!plan.ok()) return plan.status();
  auto exists = migrate::HistoryTableExistsFor(target_conn, *plan);
  if (!exists.ok()) return exists.status();
  if (!*exists && plan->layout != plan::Layout::kCutover) {
    return Status::InvalidInput("--against history: " + target_conn.display_uri() + " has no " +
                                std::string(migrate::ToolHistoryTable(plan->layout)) + " table, so " +
                                std::string(plan::LayoutName(plan->layout)) +
                                " has applied nothing to it; check the URI (and the database it names)");
  }
  if (!*exists) {
    return Status::InvalidInput("--against history: " + target_conn.display_uri() + " has no " +
                                std::string(migrate::kHistoryTable) +
                                " table, so no migration was applied to it with cutover; record the existing "
                                "schema with `cutover apply TARGET --plan PLAN --baseline --to NAME` first");
  }
  auto history = migrate::ReadHistoryOf(target_conn, *plan);
  if (!history.ok()) return history.status();
  auto steps = migrate::ReplaySteps(*plan, *history);
  if (!steps.ok()) return steps.status();
  TempDir sqlite_scratch;
  auto scratch = ScratchServer(ctx, args, target_uri, sqlite_scratch, " replays the migration history");
  if (!scratch.ok()) return scratch.status();
  spdlog::info("replaying {} applied migration file(s) of {} on a scratch database on {}", steps->size(),
               *args.plan, scratch->Redacted());
  auto model = migrate::SchemaFromHistory(**driver, *scratch, *steps);
  if (!model.ok()) return model.status();
  return ExpectedSchema{
      std::move(*model),
      "migration history (" + std::to_string(steps->size()) + " applied file(s) of " + *args.plan + ")",
      plan->layout};
}

Result<ExpectedSchema> LoadExpected(CommandContext& ctx, const DriftArgs& args,
                                    const ConnectionUri& target_uri, Connection& target_conn) {
  const std::string& x = args.against;
  if (x == "history") return FromHistory(ctx, args, target_uri, target_conn);
  if (StartsWith(x, "snapshot:")) {
    auto repo = ctx.OpenRepository();
    if (!repo.ok()) return repo.status();
    auto id = repo->Resolve(x.substr(std::string_view("snapshot:").size()));
    if (!id.ok()) return id.status();
    auto manifest = repo->LoadManifest(*id);
    if (!manifest.ok()) return manifest.status();
    auto text = snapshot::ReadSchemaFile(*repo, *manifest, manifest->model);
    if (!text.ok()) return text.status().WithContext("snapshot " + *id);
    auto model = SchemaFromJson(*text, "snapshot " + *id);
    if (!model.ok()) return model.status();
    return ExpectedSchema{std::move(*model), "snapshot " + *id + " (" + manifest->started_at + ")"};
  }
  auto info = Env::Default().Stat(x);
  const bool is_file = info.ok() && info->kind == FileInfo::Kind::kFile;
  if (!is_file &&
      (ctx.config().targets.count(x) || x.find("://") != std::string::npos || StartsWith(x, "sqlite:"))) {
    auto conn = ctx.ConnectTarget(x);
    if (!conn.ok()) return conn.status().WithContext("--against");
    auto model = (*conn)->ReadSchema();
    if (!model.ok()) return model.status().WithContext("reading the schema of " + (*conn)->display_uri());
    return ExpectedSchema{std::move(*model), (*conn)->display_uri()};
  }
  if (!is_file) {
    return Status::NotFound(
        "--against '" + x +
        "': no such file, and not a URI or a target in the config. Give a connection URI, a "
        "file written by 'cutover schema --json', or a .sql DDL file");
  }
  auto text = ReadTextFile(x);
  if (!text.ok()) return text.status();
  if (StartsWith(Trim(*text), "{")) {
    auto model = SchemaFromJson(*text, x);
    if (!model.ok()) return model.status();
    return ExpectedSchema{std::move(*model), x};
  }
  // A DDL file: the server normalizes it in a scratch database.
  auto driver = ctx.loader().ForUri(target_uri);
  if (!driver.ok()) return driver.status();
  TempDir sqlite_scratch;
  auto scratch = ScratchServer(ctx, args, target_uri, sqlite_scratch, " is a DDL file");
  if (!scratch.ok()) return scratch.status();
  spdlog::info("applying {} to a scratch database on {}", x, scratch->Redacted());
  auto model = SchemaFromDdl(**driver, *scratch, *text, x);
  if (!model.ok()) return model.status();
  return ExpectedSchema{std::move(*model), x};
}

}  // namespace

int RunDrift(CommandContext& ctx, const DriftArgs& args) {
  auto target_text = ResolveTargetUri(ctx.config(), args.target);
  if (!target_text.ok()) return ctx.Fail(target_text.status());
  auto target_uri = ConnectionUri::Parse(*target_text);
  if (!target_uri.ok()) return ctx.Fail(target_uri.status());

  auto conn = ctx.ConnectTarget(args.target);
  if (!conn.ok()) return ctx.Fail(conn.status());
  auto actual = (*conn)->ReadSchema();
  if (!actual.ok())
    return ctx.Fail(actual.status().WithContext("reading the schema of " + (*conn)->display_uri()));

  auto expected = LoadExpected(ctx, args, *target_uri, **conn);
  if (!expected.ok()) return ctx.Fail(expected.status());
  // cutover's own bookkeeping is not part of the application's schema.
  if (args.against == "history") migrate::RemoveHistoryTable(*actual, expected->layout);

  DriftOptions options;
  options.ignore_globs = ctx.config().drift_ignore;
  options.ignore_globs.insert(options.ignore_globs.end(), args.ignore.begin(), args.ignore.end());
  options.ignore_column_order = args.ignore_column_order || ctx.config().drift_ignore_column_order;
  options.with_privileges = args.with_privileges || ctx.config().drift_privileges;
  auto report = ComputeDrift(expected->model, *actual, options);
  if (!report.ok()) return ctx.Fail(report.status());
  report->expected_source = expected->source;
  report->actual_source = (*conn)->display_uri();
  std::cout << (ctx.json() ? DriftReportJson(*report) : DriftReportText(*report));
  return report->HasDrift() ? 1 : 0;
}

}  // namespace cutover::cli
