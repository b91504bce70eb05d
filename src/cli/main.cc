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
                   "Expected schema: a URI or target name, a 'cutover schema --json' file, a DDL file, "
                   "snapshot:ID|latest, or 'history' (the migrations recorded as applied, with --plan)")
      ->required();
  drift->add_option("--scratch", drift_args.scratch,
                    "Server URI where a scratch database may be created (for a DDL file or the history)");
  drift->add_option("--plan", drift_args.plan, "The migration plan directory (with --against history)");
  drift->add_option("--ignore", drift_args.ignore, "Ignore objects whose path matches GLOB (repeatable)");
  drift->add_flag("--ignore-column-order", drift_args.ignore_column_order,
                  "Report column order differences without counting them as drift");

  SnapshotArgs snapshot_args;
  auto* snapshot = app.add_subcommand("snapshot", "Take a consistent, checksummed, compressed snapshot");
  snapshot->add_option("TARGET", snapshot_args.target, "Connection URI or target name")->required();
  snapshot->add_option("-j,--jobs", snapshot_args.jobs, "Parallel reader connections (default 2)");
  snapshot->add_option("--compress-level", snapshot_args.compression_level, "zstd level 1-19 (default 1)");
  snapshot->add_flag("--lock-nontransactional", snapshot_args.lock_nontransactional,
                     "MySQL/MariaDB: read non-transactional tables (MyISAM, Aria) under a read lock");
  snapshot->add_option("--lock-timeout", snapshot_args.lock_timeout,
                       "How long to wait for the locks a snapshot needs (default 10s)");
  snapshot->add_option("--layout", snapshot_args.layout,
                       "auto (default: a file image where the engine has one, SQLite), records, or image");

  auto* snapshots =
      app.add_subcommand("snapshots", "List snapshots with their last verification and restore test");

  PruneArgs prune_args;
  auto* prune = app.add_subcommand("prune", "Delete old snapshots (never the newest restore-tested one)");
  prune->add_option("--keep-last", prune_args.keep_last, "Keep the newest N snapshots");
  prune->add_option("--keep-within", prune_args.keep_within,
                    "Keep snapshots younger than DURATION (30d, 12h)");
  prune->add_flag("--dry-run", prune_args.dry_run, "Say what would be deleted, delete nothing");

  VerifyArgs verify_args;
  auto* verify = app.add_subcommand("verify", "Check a snapshot's files against its manifest (no database)");
  verify->add_option("SNAPSHOT", verify_args.snapshot, "Snapshot id, unique prefix or 'latest'")->required();
  verify->add_flag("--deep", verify_args.deep, "Also decompress and recount rows and content digests");
  verify->add_option("-j,--jobs", verify_args.jobs, "Parallel readers (default 2)");

  RestoreArgs restore_args;
  auto* restore = app.add_subcommand("restore", "Restore a snapshot into a new, empty database");
  restore->add_option("SNAPSHOT", restore_args.snapshot, "Snapshot id, unique prefix or 'latest'")
      ->required();
  restore->add_option("--into", restore_args.into, "URI (or target name) of an empty database")->required();
  restore->add_option("-j,--jobs", restore_args.jobs, "Parallel loader connections (default 2)");

  RestoreTestArgs rt_args;
  auto* restore_test = app.add_subcommand(
      "restore-test",
      "Restore into a scratch database, compare with the manifest, run checks (exit 1 on mismatch)");
  restore_test->add_option("SNAPSHOT", rt_args.snapshot, "Snapshot id, unique prefix or 'latest'");
  restore_test->add_option("--target", rt_args.target, "Test the newest snapshot of this target");
  restore_test->add_option("--scratch", rt_args.scratch, "Server URI where scratch databases may be created");
  restore_test->add_option("-j,--jobs", rt_args.jobs, "Parallel connections (default 2)");
  restore_test->add_flag("--keep", rt_args.keep, "Keep the scratch database afterwards");
  restore_test->add_option("--check", rt_args.checks,
                           "SQL file whose queries must return no rows (repeatable)");
  restore_test->add_option("--metrics-file", rt_args.metrics_file, "Write Prometheus textfile metrics here");

  LintArgs lint_args;
  auto* lint = app.add_subcommand(
      "lint", "Check a migration plan for breaking changes and dangerous locks (exit 1 on errors)");
  lint->add_option("PLAN", lint_args.plan, "Plan directory (migration folders NNNN_name/expand.sql ...)")
      ->required();
  lint->add_option("--engine", lint_args.engine, "postgresql, mysql or sqlite (or give --target)");
  lint->add_option("--target", lint_args.target,
                   "Take the engine from this URI or config target (no connection)");
  lint->add_option("--from", lint_args.from, "Lint only this migration and the ones after it");
  lint->add_option("--junit", lint_args.junit, "Also write the findings as JUnit XML to FILE");
  lint->add_option("--scratch", lint_args.scratch,
                   "MySQL/MariaDB: ask this server what each ALTER does, on a scratch copy");

  StatusArgs status_args;
  auto* status = app.add_subcommand(
      "status", "Applied, pending, edited, missing and failed migrations (exit 1 on edited/missing/failed)");
  status->add_option("TARGET", status_args.target, "Connection URI or target name")->required();
  status->add_option("--plan", status_args.plan, "Plan directory")->required();

  ApplyArgs apply_args;
  auto* apply =
      app.add_subcommand("apply", "Apply one phase of a migration plan, recorded in the history table");
  apply->add_option("TARGET", apply_args.target, "Connection URI or target name")->required();
  apply->add_option("--plan", apply_args.plan, "Plan directory")->required();
  apply->add_option("--phase", apply_args.phase, "expand, backfill, contract or rollback");
  apply->add_option("--to", apply_args.to, "Last migration to apply (rollback: the oldest to roll back)");
  apply->add_flag("--dry-run", apply_args.dry_run, "Print what would run; change nothing");
  apply->add_flag("--baseline", apply_args.baseline,
                  "Record the migrations up to --to as applied without running them");
  apply->add_option("--lock-timeout", apply_args.lock_timeout,
                    "Lock wait per statement and for the migration lock (default 2s)");
  apply->add_option("--statement-timeout", apply_args.statement_timeout, "Run time limit per statement");
  apply->add_option("--retries", apply_args.retries, "Retries after a lock timeout (default 5)");
  apply->add_option("--batch-size", apply_args.batch_size,
                    "Backfill rows per batch (overrides the directive)");
  apply->add_option("--pause", apply_args.pause, "Backfill pause between batches (overrides the directive)");

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
  if (*snapshot) return RunSnapshot(ctx, snapshot_args);
  if (*snapshots) return RunSnapshots(ctx);
  if (*prune) return RunPrune(ctx, prune_args);
  if (*verify) return RunVerify(ctx, verify_args);
  if (*restore) return RunRestore(ctx, restore_args);
  if (*restore_test) return RunRestoreTest(ctx, rt_args);
  if (*lint) return RunLint(ctx, lint_args);
  if (*status) return RunStatus(ctx, status_args);
  if (*apply) return RunApply(ctx, apply_args);
  return 2;
}
