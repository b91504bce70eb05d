// cutover: command-line entry. Parses arguments (CLI11), sets up logging and
// the command context, and hands over to one command's entry function.
// Exit codes: docs/exit-codes.md (0 ok, 1 check failed, 2 usage/input, 3 runtime).
#include <CLI/CLI.hpp>
#include <iostream>

#include "cli/commands.h"

int main(int argc, char** argv) {
  using namespace cutover::cli;
  CLI::App app{
      "cutover: make database changes safe to ship (snapshots, drift, rehearsed migrations, GO/NO-GO)",
      "cutover"};
  app.set_version_flag("--version", std::string("cutover ") + CUTOVER_VERSION);
  app.require_subcommand(1);
  app.fallthrough();  // global options are accepted after the command too

  GlobalOptions global;
  app.add_option("--config", global.config_path, "Config file (default: ./cutover.toml when present)");
  app.add_option("--repo", global.repo, "Snapshot repository directory");
  app.add_option("--driver-path", global.driver_path,
                 "Directory searched first for driver plugins (repeatable)");
  app.add_flag("--json", global.json, "Machine-readable JSON on stdout");
  app.add_flag("-v,--verbose", global.verbose, "More log output on stderr (repeat for more)");
  app.add_flag("-q,--quiet", global.quiet, "Only errors on stderr");
  app.add_flag("--no-progress", global.no_progress, "No progress bars");

  auto* drivers = app.add_subcommand("drivers", "List driver plugins, their versions and the search path");

  SchemaArgs schema_args;
  auto* schema = app.add_subcommand("schema", "Print the normalized schema model of a live database");
  schema->add_option("TARGET", schema_args.target, "Connection URI or target name from the config")
      ->required();

  DriftArgs drift_args;
  auto* drift = app.add_subcommand("drift", "Compare the live schema with an expected one (exit 1 on drift)");
  drift->add_option("TARGET", drift_args.target, "Connection URI or target name (the live database)")
      ->required();
  drift
      ->add_option("--against", drift_args.against,
                   "Expected schema: a URI or target name, a 'cutover schema --json' file, or a DDL file")
      ->required();
  drift->add_option("--scratch", drift_args.scratch,
                    "Server URI where a scratch database may be created (for a DDL file)");
  drift->add_option("--ignore", drift_args.ignore, "Ignore objects whose path matches GLOB (repeatable)");
  drift->add_flag("--ignore-column-order", drift_args.ignore_column_order,
                  "Report column order differences without counting them as drift");

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    int code = app.exit(e);
    return code == 0 ? 0 : 2;  // usage errors are exit 2 (docs/exit-codes.md)
  }

  SetUpLogging(global);
  CommandContext ctx(global);
  if (auto st = ctx.Init(); !st.ok()) return ctx.Fail(st);

  if (*drivers) return RunDrivers(ctx);
  if (*schema) return RunSchema(ctx, schema_args);
  if (*drift) return RunDrift(ctx, drift_args);
  return 2;
}
