// cutover: command-line entry. Parses arguments (CLI11), sets up logging and
// the command context, and hands over to one command's entry function.
// Exit codes: docs/exit-codes.md (0 ok, 1 check failed, 2 usage/input, 3 runtime).
//
// main owns the process's InterruptToken (base/interrupt.h): the SIGINT,
// SIGTERM and SIGHUP handlers are installed once here and the previous ones
// are restored when main returns. No exception may end the process: one that
// escapes a command (a bug) is reported as an internal error, exit 3.
#include <CLI/CLI.hpp>
#include <exception>
#include <iostream>

#include "base/interrupt.h"
#include "base/uri.h"
#include "cli/commands.h"
#include "plan/layout.h"

namespace {

using namespace cutover::cli;

// The parsed command line: global options, every command's arguments and
// its CLI11 subcommand (which one was given decides what runs).
struct CommandLine {
  CLI::App app{
      "cutover: make database changes safe to ship (snapshots, drift, rehearsed migrations, GO/NO-GO)",
      "cutover"};
  GlobalOptions global;
  SchemaArgs schema_args;
  DriftArgs drift_args;
  SnapshotArgs snapshot_args;
  PruneArgs prune_args;
  VerifyArgs verify_args;
  RestoreArgs restore_args;
  RestoreTestArgs rt_args;
  LintArgs lint_args;
  StatusArgs status_args;
  ApplyArgs apply_args;
  RehearseArgs rehearse_args;
  GateArgs gate_args;
  AuditArgs audit_args;
  CLI::App* drivers = nullptr;
  CLI::App* schema = nullptr;
  CLI::App* drift = nullptr;
  CLI::App* snapshot = nullptr;
  CLI::App* snapshots = nullptr;
  CLI::App* prune = nullptr;
  CLI::App* verify = nullptr;
  CLI::App* restore = nullptr;
  CLI::App* restore_test = nullptr;
  CLI::App* lint = nullptr;
  CLI::App* status = nullptr;
  CLI::App* apply = nullptr;
  CLI::App* rehearse = nullptr;
  CLI::App* gate = nullptr;
  CLI::App* audit = nullptr;
  CLI::App* audit_head = nullptr;
  CLI::App* audit_verify = nullptr;
};

void AddGlobalOptions(CommandLine& c) {
  c.app.set_version_flag("--version", std::string("cutover ") + CUTOVER_VERSION);
  c.app.require_subcommand(1);
  c.app.fallthrough();  // global options are accepted after the command too
  c.app.add_option("--config", c.global.config_path, "Config file (default: ./cutover.toml when present)");
  c.app.add_option("--repo", c.global.repo, "Snapshot repository directory");
  c.app.add_option("--driver-path", c.global.driver_path,
                   "Directory searched first for driver plugins (repeatable)");
  c.app.add_flag("--json", c.global.json, "Machine-readable JSON on stdout");
  c.app.add_flag("-v,--verbose", c.global.verbose, "More log output on stderr (repeat for more)");
  c.app.add_flag("-q,--quiet", c.global.quiet, "Only errors on stderr");
  c.app.add_flag("--no-progress", c.global.no_progress, "No progress bars");
}

// --layout NAME on every command that reads a plan.
void AddLayoutOption(CLI::App* command, std::optional<std::string>& layout) {
  command->add_option("--layout", layout,
                      "Read the plan as this tool's layout: " + cutover::plan::LayoutNames() +
                          " (default: detected from its files; docs/layouts.md)");
}

void AddSchemaCommands(CommandLine& c) {
  c.drivers = c.app.add_subcommand("drivers", "List driver plugins, their versions and the search path");
  c.schema = c.app.add_subcommand("schema", "Print the normalized schema model of a live database");
  c.schema->add_option("TARGET", c.schema_args.target, "Connection URI or target name from the config")
      ->required();

  c.drift = c.app.add_subcommand("drift", "Compare the live schema with an expected one (exit 1 on drift)");
  c.drift->add_option("TARGET", c.drift_args.target, "Connection URI or target name (the live database)")
      ->required();
  c.drift
      ->add_option("--against", c.drift_args.against,
                   "Expected schema: a URI or target name, a 'cutover schema --json' file, a DDL file, "
                   "snapshot:ID|latest, or 'history' (the migrations recorded as applied, with --plan)")
      ->required();
  c.drift->add_option("--scratch", c.drift_args.scratch,
                      "Server URI where a scratch database may be created (for a DDL file or the history)");
  c.drift->add_option("--plan", c.drift_args.plan, "The migration plan directory (with --against history)");
  AddLayoutOption(c.drift, c.drift_args.layout);
  c.drift->add_option("--ignore", c.drift_args.ignore, "Ignore objects whose path matches GLOB (repeatable)");
  c.drift->add_flag("--ignore-column-order", c.drift_args.ignore_column_order,
                    "Report column order differences without counting them as drift");
  c.drift->add_flag(
      "--with-privileges", c.drift_args.with_privileges,
      "Compare owners, privileges, definers and sql_mode too (off: environments differ in roles)");
}

void AddSnapshotCommands(CommandLine& c) {
  c.snapshot = c.app.add_subcommand("snapshot", "Take a consistent, checksummed, compressed snapshot");
  c.snapshot->add_option("TARGET", c.snapshot_args.target, "Connection URI or target name")->required();
  c.snapshot->add_option("-j,--jobs", c.snapshot_args.jobs, "Parallel reader connections (default 2)");
  c.snapshot->add_option("--compress-level", c.snapshot_args.compression_level,
                         "zstd level 1-19 (default 1)");
  c.snapshot->add_flag("--lock-nontransactional", c.snapshot_args.lock_nontransactional,
                       "MySQL/MariaDB: read non-transactional tables (MyISAM, Aria) under a read lock");
  c.snapshot->add_option("--lock-timeout", c.snapshot_args.lock_timeout,
                         "How long to wait for the locks a snapshot needs (default 10s)");
  c.snapshot->add_option("--layout", c.snapshot_args.layout,
                         "auto (default: a file image where the engine has one, SQLite), records, or image");

  c.snapshots =
      c.app.add_subcommand("snapshots", "List snapshots with their last verification and restore test");

  c.prune = c.app.add_subcommand("prune", "Delete old snapshots (never the newest restore-tested one)");
  c.prune->add_option("--keep-last", c.prune_args.keep_last, "Keep the newest N snapshots");
  c.prune->add_option("--keep-within", c.prune_args.keep_within,
                      "Keep snapshots younger than DURATION (30d, 12h)");
  c.prune->add_flag("--dry-run", c.prune_args.dry_run, "Say what would be deleted, delete nothing");
  c.prune->add_option(
      "--scratch", c.prune_args.scratch,
      "Scratch server holding rehearsal base copies of deleted snapshots (default: the config's)");

  c.verify = c.app.add_subcommand("verify", "Check a snapshot's files against its manifest (no database)");
  c.verify->add_option("SNAPSHOT", c.verify_args.snapshot, "Snapshot id, unique prefix or 'latest'")
      ->required();
  c.verify->add_flag("--deep", c.verify_args.deep, "Also decompress and recount rows and content digests");
  c.verify->add_option("-j,--jobs", c.verify_args.jobs, "Parallel readers (default 2)");

  c.restore = c.app.add_subcommand("restore", "Restore a snapshot into a new, empty database");
  c.restore->add_option("SNAPSHOT", c.restore_args.snapshot, "Snapshot id, unique prefix or 'latest'")
      ->required();
  c.restore->add_option("--into", c.restore_args.into, "URI (or target name) of an empty database")
      ->required();
  c.restore->add_option("-j,--jobs", c.restore_args.jobs, "Parallel loader connections (default 2)");
  c.restore->add_flag("--no-owner", c.restore_args.no_owner,
                      "Do not give objects their recorded owners (they belong to the restoring user)");
  c.restore->add_flag("--no-privileges", c.restore_args.no_privileges, "Do not restore GRANTs and REVOKEs");
  c.restore->add_flag("--skip-missing-roles", c.restore_args.skip_missing_roles,
                      "Restore without the owners and privileges of roles the destination lacks (listed)");
  c.restore->add_option(
      "--definer", c.restore_args.definer,
      "MySQL/MariaDB: give views, routines, triggers and events this definer (user@host, or "
      "CURRENT_USER for the restoring account) instead of the recorded one");

  c.restore_test = c.app.add_subcommand(
      "restore-test",
      "Restore into a scratch database, compare with the manifest, run checks (exit 1 on mismatch)");
  c.restore_test->add_option("SNAPSHOT", c.rt_args.snapshot, "Snapshot id, unique prefix or 'latest'");
  c.restore_test->add_option("--target", c.rt_args.target, "Test the newest snapshot of this target");
  c.restore_test->add_option("--scratch", c.rt_args.scratch,
                             "Server URI where scratch databases may be created");
  c.restore_test->add_option("-j,--jobs", c.rt_args.jobs, "Parallel connections (default 2)");
  c.restore_test->add_flag("--keep", c.rt_args.keep, "Keep the scratch database afterwards");
  c.restore_test->add_option("--check", c.rt_args.checks,
                             "SQL file whose queries must return no rows (repeatable)");
  c.restore_test->add_option("--metrics-file", c.rt_args.metrics_file,
                             "Write Prometheus textfile metrics here");
  c.restore_test->add_option("--junit", c.rt_args.junit, "Also write one JUnit test case per check to FILE");
}

void AddMigrationCommands(CommandLine& c) {
  c.lint = c.app.add_subcommand(
      "lint", "Check a migration plan for breaking changes and dangerous locks (exit 1 on errors)");
  c.lint->add_option("PLAN", c.lint_args.plan, "Plan directory (migration folders NNNN_name/expand.sql ...)")
      ->required();
  c.lint->add_option("--engine", c.lint_args.engine, "postgresql, mysql or sqlite (or give --target)");
  c.lint->add_option("--target", c.lint_args.target,
                     "Take the engine from this URI or config target (no connection)");
  AddLayoutOption(c.lint, c.lint_args.layout);
  c.lint->add_option("--from", c.lint_args.from, "Lint only this migration and the ones after it");
  c.lint->add_option("--junit", c.lint_args.junit, "Also write the findings as JUnit XML to FILE");
  c.lint->add_option("--scratch", c.lint_args.scratch,
                     "MySQL/MariaDB: ask this server what each ALTER does, on a scratch copy");
  c.lint->add_option("--sarif", c.lint_args.sarif,
                     "Also write the findings as SARIF 2.1.0 to FILE (GitHub code scanning)");
  c.lint->add_flag("--github", c.lint_args.github,
                   "GitHub Actions annotations on stderr and a step summary (on when GITHUB_ACTIONS=true)");

  c.status = c.app.add_subcommand(
      "status", "Applied, pending, edited, missing and failed migrations (exit 1 on edited/missing/failed)");
  c.status->add_option("TARGET", c.status_args.target, "Connection URI or target name")->required();
  c.status->add_option("--plan", c.status_args.plan, "Plan directory")->required();
  AddLayoutOption(c.status, c.status_args.layout);

  c.apply =
      c.app.add_subcommand("apply", "Apply one phase of a migration plan, recorded in the history table");
  c.apply->add_option("TARGET", c.apply_args.target, "Connection URI or target name")->required();
  c.apply->add_option("--plan", c.apply_args.plan, "Plan directory")->required();
  AddLayoutOption(c.apply, c.apply_args.layout);
  c.apply->add_option("--phase", c.apply_args.phase, "expand, backfill, contract or rollback");
  c.apply->add_option("--to", c.apply_args.to, "Last migration to apply (rollback: the oldest to roll back)");
  c.apply->add_flag("--dry-run", c.apply_args.dry_run, "Print what would run; change nothing");
  c.apply->add_flag("--baseline", c.apply_args.baseline,
                    "Record the migrations up to --to as applied without running them");
  c.apply->add_option("--lock-timeout", c.apply_args.lock_timeout,
                      "Lock wait per statement and for the migration lock (default 2s)");
  c.apply->add_option("--statement-timeout", c.apply_args.statement_timeout, "Run time limit per statement");
  c.apply->add_option("--retries", c.apply_args.retries, "Retries after a lock timeout (default 5)");
  c.apply->add_option("--batch-size", c.apply_args.batch_size,
                      "Backfill rows per batch (overrides the directive)");
  c.apply->add_option("--pause", c.apply_args.pause,
                      "Backfill pause between batches (overrides the directive)");
  c.apply->add_option("--scratch", c.apply_args.scratch, "Server URI where the gate may replay the history");
  c.apply->add_flag("--no-gate", c.apply_args.no_gate,
                    "Run even when the gate says NO-GO (needs --reason; recorded in the audit log)");
  c.apply->add_option("--reason", c.apply_args.reason, "Why the gate is overridden (with --no-gate)");
}

void AddRehearseCommand(CommandLine& c) {
  c.rehearse = c.app.add_subcommand(
      "rehearse", "Run the plan on a restored copy, measuring blocked reads and writes (exit 1 on findings)");
  RehearseArgs& a = c.rehearse_args;
  c.rehearse->add_option("TARGET", a.target, "Connection URI or target name (only read)")->required();
  c.rehearse->add_option("--plan", a.plan, "Plan directory (or --exec)");
  c.rehearse->add_option("--exec", a.exec,
                         "Rehearse this migrator command instead of a plan (the copy is in its environment)");
  c.rehearse->add_option("--exec-rollback", a.exec_rollback,
                         "With --exec: the command that undoes it (drilled)");
  c.rehearse->add_option("--exec-hash-of", a.exec_hash_of,
                         "With --exec: migration files or directories the gate binds the rehearsal to");
  AddLayoutOption(c.rehearse, a.layout);
  c.rehearse->add_option("--snapshot", a.snapshot,
                         "Snapshot id or 'latest' (default: the newest one whose restore test passed)");
  c.rehearse->add_option("--scratch", a.scratch, "Server URI where the copy may be created");
  c.rehearse->add_option("--phase", a.phase, "expand, backfill, contract or all (default all)");
  c.rehearse->add_option("--to", a.to, "Last migration to rehearse");
  c.rehearse->add_option("--probe", a.probe, "SQL file of the application's hot queries, probed too");
  c.rehearse->add_option("--probe-rate", a.probe_rate, "Probes per second per table and kind (default 100)");
  c.rehearse->add_option("--lock-queue-drill", a.lock_queue_drill,
                         "Replay the plan with a transaction held open SECONDS ahead of each table-locking "
                         "statement, with and without apply's lock timeout");
  c.rehearse->add_flag("--keep", a.keep, "Keep the rehearsed copy and print its URI");
  c.rehearse->add_flag("--allow-drift", a.allow_drift,
                       "Rehearse even when the live schema differs from the snapshot's");
  c.rehearse->add_option("--junit", a.junit, "Also write the results as JUnit XML to FILE");
  c.rehearse->add_option("--html", a.html,
                         "Also write one self-contained HTML page (timeline, tables, evidence) to FILE");
  c.rehearse->add_option("--metrics-file", a.metrics_file, "Write Prometheus textfile metrics here");
  c.rehearse->add_flag("--github", a.github,
                       "GitHub Actions annotations and step summary (automatic when GITHUB_ACTIONS=true)");

  c.gate = c.app.add_subcommand("gate", "GO / NO-GO for a phase of the plan on TARGET now (exit 1 on NO-GO)");
  GateArgs& g = c.gate_args;
  c.gate->add_option("TARGET", g.target, "Connection URI or target name (only read)")->required();
  c.gate->add_option("--plan", g.plan, "Plan directory (or --exec)");
  c.gate->add_option("--exec", g.exec,
                     "The migrator command rehearsed with rehearse --exec, instead of a plan");
  c.gate->add_option("--exec-rollback", g.exec_rollback, "With --exec: as given to rehearse");
  c.gate->add_option("--exec-hash-of", g.exec_hash_of, "With --exec: as given to rehearse");
  AddLayoutOption(c.gate, g.layout);
  c.gate->add_option("--phase", g.phase, "expand, backfill or contract (default expand)");
  c.gate->add_option("--to", g.to, "Last migration the phase will run (as apply --to)");
  c.gate->add_option("--scratch", g.scratch, "Server URI where the history may be replayed");
  c.gate->add_option("--junit", g.junit, "Also write one JUnit test case per check to FILE");
  c.gate->add_option("--metrics-file", g.metrics_file, "Write Prometheus textfile metrics here");
  c.gate->add_option("--markdown", g.markdown,
                     "Also write the decision as a Markdown readout (PR comment) to FILE");
  c.gate->add_flag("--github", g.github,
                   "GitHub Actions annotations and step summary (automatic when GITHUB_ACTIONS=true)");
}

void AddAuditCommand(CommandLine& c) {
  c.audit =
      c.app.add_subcommand("audit", "The hash-chained audit log of every snapshot, test, decision and apply");
  c.audit->require_subcommand(0, 1);
  c.audit->add_option("--since", c.audit_args.since,
                      "Entries from this time (ISO 8601) or duration ago (24h)");
  c.audit->add_option("--target", c.audit_args.target, "Only this target's entries");
  c.audit_head = c.audit->add_subcommand("head", "Print the head (seq, hash) to anchor outside the catalog");
  c.audit_verify =
      c.audit->add_subcommand("verify", "Recompute the chain (exit 1 and the first bad entry when broken)");
  c.audit_verify->add_option("--head", c.audit_args.head_file,
                             "A head printed earlier by 'cutover audit head': the log must still extend it");
}

int Dispatch(CommandLine& c, CommandContext& ctx) {
  if (*c.drivers) return RunDrivers(ctx);
  if (*c.schema) return RunSchema(ctx, c.schema_args);
  if (*c.drift) return RunDrift(ctx, c.drift_args);
  if (*c.snapshot) return RunSnapshot(ctx, c.snapshot_args);
  if (*c.snapshots) return RunSnapshots(ctx);
  if (*c.prune) return RunPrune(ctx, c.prune_args);
  if (*c.verify) return RunVerify(ctx, c.verify_args);
  if (*c.restore) return RunRestore(ctx, c.restore_args);
  if (*c.restore_test) return RunRestoreTest(ctx, c.rt_args);
  if (*c.lint) return RunLint(ctx, c.lint_args);
  if (*c.status) return RunStatus(ctx, c.status_args);
  if (*c.apply) return RunApply(ctx, c.apply_args);
  if (*c.rehearse) return RunRehearse(ctx, c.rehearse_args);
  if (*c.gate) return RunGate(ctx, c.gate_args);
  if (*c.audit_head) return RunAuditHead(ctx);
  if (*c.audit_verify) return RunAuditVerify(ctx, c.audit_args);
  if (*c.audit) return RunAudit(ctx, c.audit_args);
  return 2;
}

// Runs the parsed command; an exception escaping it becomes an internal
// error printed like any other (with --json, as a document on stdout too).
int RunCommand(CommandLine& c) {
  SetUpLogging(c.global);
  CommandContext ctx(c.global);
  try {
    if (auto st = ctx.Init(); !st.ok()) return ctx.Fail(st);
    return Dispatch(c, ctx);
  } catch (...) {
    return ctx.Fail(cutover::StatusFromEscapedException(std::current_exception()));
  }
}

int Run(int argc, char** argv) {
  CommandLine c;
  AddGlobalOptions(c);
  AddSchemaCommands(c);
  AddSnapshotCommands(c);
  AddMigrationCommands(c);
  AddRehearseCommand(c);
  AddAuditCommand(c);
  try {
    c.app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    int code = c.app.exit(e);
    return code == 0 ? 0 : 2;  // usage errors are exit 2 (docs/exit-codes.md)
  }
  return RunCommand(c);
}

}  // namespace

int main(int argc, char** argv) {
  cutover::InterruptToken interrupts;  // the process's one token; commands poll it
  try {
    return Run(argc, argv);
  } catch (...) {
    // Before a command context exists (or from printing an error): stderr only.
    const cutover::Status st = cutover::StatusFromEscapedException(std::current_exception());
    std::cerr << "cutover: error: " << cutover::ScrubSecrets(st.message()) << "\n";
    return cutover::ExitCodeFor(st);
  }
}
