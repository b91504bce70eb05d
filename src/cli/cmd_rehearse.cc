// cutover rehearse TARGET --plan DIR: runs the plan on a restored copy of
// TARGET's newest restore-tested snapshot while measuring what the
// application would feel (docs/rehearsal.md).
//
// Order matters for safety: everything that can be refused (usage, the plan,
// the snapshot, the scratch server, drift) is checked before a copy is made;
// TARGET is only read, on a session made read-only first. Exit 0 when every
// statement ran and compat, checks and rollback drills passed; 1 when one of
// them failed, the live schema drifted from the snapshot or no snapshot was
// restore-tested; 2 bad input; 3 runtime (connection, interrupt).
#include <sys/stat.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <random>

#include "base/file_env.h"
#include "base/interrupt.h"
#include "base/kill_point.h"
#include "base/strings.h"
#include "cli/commands.h"
#include "migrate/foreign_history.h"
#include "migrate/history.h"
#include "plan/plan.h"
#include "rehearse/copy.h"
#include "rehearse/exec.h"
#include "rehearse/queue_drill.h"
#include "rehearse/rehearsal.h"
#include "rehearse/report.h"
#include "report/rehearsal_github.h"
#include "report/rehearsal_html.h"
#include "schema/drift.h"
#include "schema/fingerprint.h"
#include "schema/schema_json.h"
#include "snapshot/restore.h"

namespace cutover::cli {
namespace {

struct LiveState {
  migrate::History tool_history;  // only where it lives outside the copied database
  std::string fingerprint;
  std::vector<std::string> drift;
  std::vector<TableRowEstimate> rows;
  std::string rows_error;  // why `rows` could not be read ("" when they were)
};

Result<rehearse::PhaseSelection> ParsePhases(const std::optional<std::string>& text) {
  if (!text || *text == "all") return rehearse::PhaseSelection::kAll;
  if (*text == "expand") return rehearse::PhaseSelection::kExpand;
  if (*text == "backfill") return rehearse::PhaseSelection::kBackfill;
  if (*text == "contract") return rehearse::PhaseSelection::kContract;
  return Status::InvalidInput("--phase " + *text + ": use expand, backfill, contract or all");
}

// Exit 1, not 2: the input is fine, the evidence to rehearse on is missing.
Status NoTrustedSnapshot(const std::string& label, const std::string& target_text) {
  return Status::CheckFailed(
      "no snapshot of " + label +
      " has passed a restore test, so there is no trusted copy to rehearse on; run `cutover "
      "snapshot " +
      target_text + "` then `cutover restore-test --target " + target_text + "` first");
}

// The newest snapshot of `label` whose last restore test passed, or the one
// --snapshot names (which must be of this target and engine).
Result<SnapshotSummary> PickSnapshot(Catalog& catalog, const snapshot::Repository& repo,
                                     const CommandContext::Target& target,
                                     const std::optional<std::string>& ref, const std::string& target_text) {
  auto list = catalog.ListSnapshots();
  if (!list.ok()) return list.status();
  if (ref && *ref != "latest") {
    auto id = repo.Resolve(*ref);
    if (!id.ok()) return id.status();
    for (const SnapshotSummary& s : *list) {
      if (s.snapshot.id != *id) continue;
      if (s.snapshot.target != target.label || s.snapshot.engine != target.driver->info().name) {
        return Status::InvalidInput("snapshot " + *id + " is of " + s.snapshot.engine + " target " +
                                    s.snapshot.target + ", not of " + target.label +
                                    "; rehearse on a snapshot of the target the plan is for");
      }
      // Named or not, the copy must come from a snapshot known to restore.
      if (!s.last_restore_test || !s.last_restore_test->ok) {
        return Status::CheckFailed(
            "snapshot " + *id + " has " +
            (s.last_restore_test ? "failed its last restore test (" + s.last_restore_test->at + ")"
                                 : std::string("never been restore-tested")) +
            ", so it is no trusted copy to rehearse on; run `cutover restore-test " + *id + "` first");
      }
      return s;
    }
    return Status::NotFound("snapshot " + *id +
                            " is not in the catalog; run `cutover snapshots` to reconcile");
  }
  for (auto it = list->rbegin(); it != list->rend(); ++it) {
    if (it->snapshot.deleted || it->snapshot.target != target.label) continue;
    if (it->snapshot.engine != target.driver->info().name) continue;
    if (it->last_restore_test && it->last_restore_test->ok) return *it;
  }
  return NoTrustedSnapshot(target.label, target_text);
}

Result<SchemaModel> SnapshotModel(const snapshot::Repository& repo, const snapshot::Manifest& manifest) {
  auto text = snapshot::ReadSchemaFile(repo, manifest, manifest.model);
  if (!text.ok()) return text.status().WithContext("snapshot " + manifest.id);
  return SchemaFromJson(*text, "snapshot " + manifest.id);
}

// Reads the live target on a read-only session: its fingerprint, its drift
// from the snapshot and its row counts.
Result<LiveState> ReadLive(const CommandContext::Target& target, const SchemaModel& snapshot_model,
                           const plan::Plan& plan) {
  auto conn = target.driver->Connect(target.uri);
  if (!conn.ok()) return conn.status().WithContext("reading the live target");
  CUTOVER_RETURN_IF_ERROR(
      (*conn)->SetReadOnly().WithContext("making the session on the live target read-only"));
  auto model = (*conn)->ReadSchema();
  if (!model.ok()) return model.status().WithContext("reading the live target's schema");
  LiveState live;
  if (migrate::ToolHistoryOutsideDatabase(plan.layout)) {
    auto tool = migrate::ReadToolHistory(**conn, plan);
    if (!tool.ok()) return tool.status().WithContext("reading the live target's migration history");
    live.tool_history = std::move(*tool);
  }
  live.fingerprint = Fingerprint(*model);
  DriftOptions options;
  options.ignore_globs = {std::string(migrate::kHistoryTable), "*." + std::string(migrate::kHistoryTable)};
  auto drift = ComputeDrift(snapshot_model, *model, options);
  if (!drift.ok()) return drift.status();
  for (const Difference& d : drift->differences) {
    live.drift.push_back(std::string(DiffKindName(d.kind)) + " " + ObjectKindName(d.object_kind) + " " +
                         d.path);
  }
  // Without row counts the estimates are the copy's durations, unscaled
  // (the report's notes say so); the rehearsal itself still runs.
  auto rows = (*conn)->EstimatedRowCounts();
  if (rows.ok()) {
    live.rows = std::move(*rows);
  } else {
    live.rows_error = rows.status().message();
  }
  return live;
}

Result<std::vector<std::pair<std::string, std::string>>> ReadHotQueries(
    const std::optional<std::string>& path, const Driver& driver) {
  std::vector<std::pair<std::string, std::string>> out;
  if (!path) return out;
  auto text = Env::Default().ReadFile(*path, 16 << 20);
  if (!text.ok()) return text.status().WithContext("--probe");
  auto statements = driver.SplitScript(*text);
  if (!statements.ok()) return statements.status().WithContext("--probe " + *path);
  for (const ScriptStatement& s : *statements) out.emplace_back(*path + ":" + std::to_string(s.line), s.text);
  if (out.empty()) return Status::InvalidInput("--probe " + *path + ": the file holds no query");
  return out;
}

std::string NewRehearsalId() {
  std::random_device rd;
  char suffix[8];
  std::snprintf(suffix, sizeof suffix, "%06x", static_cast<unsigned>(rd() & 0xffffff));
  std::string now = NowIso8601();  // 2026-12-06T10:15:00Z -> 20261206T101500Z
  std::string compact;
  for (char c : now)
    if (c != '-' && c != ':') compact += c;
  return "rh-" + compact + "-" + suffix;
}

struct Prepared {
  CommandContext::Target target;
  PlanOrExec what;
  plan::Plan plan;  // empty with --exec
  snapshot::Repository repo;
  std::unique_ptr<Catalog> catalog;
  SnapshotSummary snapshot;
  snapshot::Manifest manifest;
  ConnectionUri scratch;
  rehearse::RehearsalOptions options;
};

// Everything that can be refused, before a copy is made.
Result<Prepared> Prepare(CommandContext& ctx, const RehearseArgs& args, const std::string& local_scratch) {
  auto phases = ParsePhases(args.phase);
  if (!phases.ok()) return phases.status();
  if (args.probe_rate < 1 || args.probe_rate > 1000) {
    return Status::InvalidInput("--probe-rate " + std::to_string(args.probe_rate) +
                                ": use 1 to 1000 probes per second per table and kind");
  }
  if (args.lock_queue_drill && (*args.lock_queue_drill < 1 || *args.lock_queue_drill > 3600)) {
    return Status::InvalidInput("--lock-queue-drill " + std::to_string(*args.lock_queue_drill) +
                                ": give how long the reader ahead of each statement holds its transaction, "
                                "1 to 3600 seconds");
  }
  std::vector<std::string> plan_only;
  if (args.layout) plan_only.push_back("--layout");
  if (args.phase) plan_only.push_back("--phase");
  if (args.to) plan_only.push_back("--to");
  if (args.lock_queue_drill) plan_only.push_back("--lock-queue-drill");
  auto what = ReadPlanOrExec(args.plan, args.exec, args.exec_rollback, args.exec_hash_of, plan_only);
  if (!what.ok()) return what.status();
  auto target = ctx.ResolveTarget(args.target);
  if (!target.ok()) return target.status();
  auto engine = plan::ParseEngine(target->driver->info().name);
  if (!engine.ok()) return engine.status().WithContext("TARGET " + target->label);
  Result<plan::Plan> plan = plan::Plan{};
  if (!what->exec) plan = ReadPlanArg(args.plan, *engine, target->driver, args.layout);
  if (!plan.ok()) return plan.status();
  if (args.to && std::none_of(plan->migrations.begin(), plan->migrations.end(),
                              [&](const plan::Migration& m) { return m.name == *args.to; })) {
    return Status::InvalidInput("--to " + *args.to + ": no migration of that name in " + args.plan +
                                "; `cutover status TARGET --plan " + args.plan + "` lists them");
  }
  auto hot = ReadHotQueries(args.probe, *target->driver);
  if (!hot.ok()) return hot.status();
  auto repo = ctx.OpenRepository();
  if (!repo.ok()) {
    const std::optional<std::string>& path = ctx.config().repository;
    std::error_code ec;
    if (path && !path->empty() && !std::filesystem::exists(*path, ec)) {
      return NoTrustedSnapshot(target->label, args.target);
    }
    return repo.status();
  }
  auto catalog = ctx.OpenCatalog(*repo);
  if (!catalog.ok()) return catalog.status();
  auto snap = PickSnapshot(**catalog, *repo, *target, args.snapshot, args.target);
  if (!snap.ok()) return snap.status();
  auto manifest = repo->LoadManifest(snap->snapshot.id);
  if (!manifest.ok()) return manifest.status();
  auto scratch = ResolveScratchServer(ctx.loader(), ctx.config(), args.target, args.scratch, *target->driver,
                                      local_scratch, "rehearse restores the snapshot into a scratch database",
                                      "the target " + target->label);
  if (!scratch.ok()) return scratch.status();
  if (scratch->Redacted() == target->uri.Redacted()) {
    return Status::InvalidInput(
        "--scratch " + scratch->Redacted() +
        " is the target itself; give a server (or directory) where cutover may create "
        "throwaway databases, never production");
  }
  Prepared p{*target,
             std::move(*what),
             std::move(*plan),
             std::move(*repo),
             std::move(*catalog),
             std::move(*snap),
             std::move(*manifest),
             *scratch,
             {}};
  p.options.phases = *phases;
  p.options.to = args.to;
  p.options.probe_rate = args.probe_rate;
  p.options.hot_queries = std::move(*hot);
  p.options.tool_version = CUTOVER_VERSION;
  p.options.applied_by = "cutover rehearse";
  if (p.snapshot.last_restore_test) p.options.restore_seconds = p.snapshot.last_restore_test->restore_seconds;
  return p;
}

// --lock-queue-drill: the plan replayed twice more, each time on a copy of
// its own (a clone where the engine clones, a restore otherwise), with a
// reader held open ahead of every statement that took a table-level lock.
Status DrillLockQueues(Prepared& p, const rehearse::CopyRequest& request, int hold_s,
                       rehearse::RehearsalReport& report) {
  rehearse::QueueDrillReport drill;
  drill.hold_s = hold_s;
  const bool all_ran = std::all_of(report.statements.begin(), report.statements.end(),
                                   [](const rehearse::StatementResult& s) { return s.ok; });
  if (!all_ran) {
    drill.notes.push_back("not run: a statement failed in the rehearsal; fix it, then drill");
    report.queue_drill = std::move(drill);
    return Status::Ok();
  }
  drill.statements = rehearse::SelectQueueDrillStatements(report);
  if (drill.statements.empty()) {
    drill.notes.push_back(
        "no statement took a lock stronger than row level: nothing can queue behind a reader");
  }
  using Mode = rehearse::QueueDrillMode;
  for (Mode mode : {Mode::kApplyTimeout, Mode::kNoTimeout}) {
    if (drill.statements.empty()) break;
    const std::string what =
        mode == Mode::kApplyTimeout ? "with apply's lock timeout" : "without a lock timeout";
    auto copy = rehearse::MakeRehearsalCopy(p.repo, *p.catalog, p.manifest, request);
    if (!copy.ok()) return copy.status().WithContext("making a copy for the lock-queue drill");
    if (request.note)
      request.note("lock-queue drill " + what + " on " + copy->database->name() + ": " + copy->detail);
    Status st = rehearse::RunQueueDrill(*p.target.driver, copy->database->uri(), p.plan, p.options, mode,
                                        std::chrono::seconds(hold_s), drill.statements);
    if (!st.ok()) return st.WithContext("the lock-queue drill on the copy " + copy->database->name());
    if (Status dropped = copy->database->Drop(); !dropped.ok()) {
      drill.notes.push_back("a drill copy could not be dropped (the next rehearsal drops it): " +
                            dropped.message());
    }
  }
  for (const rehearse::QueueDrillResult& s : drill.statements) {
    if (s.with_lock_timeout.gave_up) {
      drill.notes.push_back(s.file + ":" + std::to_string(s.line) + ": with a reader holding " +
                            std::to_string(hold_s) + " s ahead of it, apply gives up after " +
                            std::to_string(s.with_lock_timeout.attempts) +
                            " attempts; run it when no long transaction is open on its tables");
    }
  }
  report.queue_drill = std::move(drill);
  return Status::Ok();
}

// A run that stopped on a copy without a verdict. apply's own wording ("run
// the same apply again") is about the copy, which is dropped on the way out.
int FailOnCopy(CommandContext& ctx, const Status& st, const std::string& copy) {
  if (st.code() == StatusCode::kCancelled) {
    return ctx.Fail(ReworkInterruption(st, "the rehearsal copy is dropped and TARGET was only read",
                                       "run the rehearsal again"));
  }
  return ctx.Fail(st.WithContext("rehearsing on the copy " + copy +
                                 " (it is dropped; TARGET was only read; run the rehearsal again)"));
}

int Output(CommandContext& ctx, const RehearseArgs& args, const rehearse::RehearsalContext& rc,
           const rehearse::RehearsalReport& report) {
  if (args.junit) {
    Status written = WriteFileAtomically(Env::Default(), *args.junit, rehearse::RehearsalJunit(rc, report));
    if (!written.ok())
      return ctx.Fail(Status::Io("--junit " + *args.junit + ": cannot write the file: " + written.message()));
  }
  // Also when the rehearsal has findings (exit 1): the page shows why.
  if (args.html) {
    Status written = WriteFileAtomically(Env::Default(), *args.html, report::RehearsalHtml(rc, report));
    if (!written.ok())
      return ctx.Fail(Status::Io("--html " + *args.html + ": cannot write the file: " + written.message()));
  }
  if (args.metrics_file) {
    const double now =
        std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count();
    Status written =
        WriteFileAtomically(Env::Default(), *args.metrics_file, rehearse::RehearsalMetrics(rc, report, now));
    if (!written.ok())
      return ctx.Fail(Status::Io("--metrics-file " + *args.metrics_file + ": " + written.message()));
    // node_exporter usually runs as another user; the metrics hold no secret.
    ::chmod(args.metrics_file->c_str(), 0644);
  }
  if (report::GithubMode(args.github)) {
    for (const report::Annotation& a : report::RehearsalAnnotations(rc, report, args.plan)) {
      std::cerr << report::WorkflowCommand(a) << "\n";
    }
    if (Status st = report::AppendStepSummary(report::RehearsalSummary(rc, report)); !st.ok())
      return ctx.Fail(st);
  }
  std::cout << (ctx.json() ? rehearse::RehearsalJson(rc, report) : rehearse::RehearsalText(rc, report));
  std::cout.flush();
  return report.ok ? 0 : 1;
}

}  // namespace

int RunRehearse(CommandContext& ctx, const RehearseArgs& args) {
  // SQLite's scratch "server" is a directory: inside the repository (0700),
  // so a base copy outlives the run and the next rehearsal clones it.
  auto local = ctx.OpenRepository();
  std::string local_scratch;
  if (local.ok() && Env::Default().CreateDirs(local->root() / "scratch").ok()) {
    local_scratch = (local->root() / "scratch").string();
  }
  auto p = Prepare(ctx, args, local_scratch);
  if (!p.ok()) return ctx.Fail(p.status());
  const bool quiet = ctx.options().quiet;
  auto note = [quiet](const std::string& line) {
    if (!quiet) std::cerr << "cutover: " << line << std::endl;
  };
  p->options.note = note;

  auto snapshot_model = SnapshotModel(p->repo, p->manifest);
  if (!snapshot_model.ok()) return ctx.Fail(snapshot_model.status());
  auto live = ReadLive(p->target, *snapshot_model, p->plan);
  if (!live.ok()) return ctx.Fail(live.status());
  if (!live->drift.empty() && !args.allow_drift) {
    std::string list;
    for (std::size_t i = 0; i < live->drift.size() && i < 10; ++i) list += "\n  " + live->drift[i];
    return ctx.Fail(Status::CheckFailed(
        "the live schema of " + p->target.label + " differs from snapshot " + p->manifest.id + " (" +
        std::to_string(live->drift.size()) +
        " difference(s)): the copy is not production any more; take a new snapshot (or --allow-drift)" +
        list));
  }
  p->options.live_rows = live->rows;

  InterruptGuard interrupts;  // SIGINT/SIGTERM: stop the statement on the copy, drop the copy, exit 3
  rehearse::CopyRequest cr;
  cr.driver = p->target.driver;
  cr.scratch_server = p->scratch;
  cr.progress = ctx.progress_mode();
  cr.note = note;
  cr.seed_history = &live->tool_history;
  const std::string started_at = NowIso8601();
  auto copy = rehearse::MakeRehearsalCopy(p->repo, *p->catalog, p->manifest, cr);
  if (!copy.ok()) return ctx.Fail(copy.status());
  CUTOVER_KILL_POINT("rehearse.copy-made");
  note("rehearsing on " + copy->database->name() + ": " + copy->detail);
  auto report =
      p->what.exec
          ? rehearse::RunExecRehearsal(*p->target.driver, copy->database->uri(), *p->what.exec, p->options)
          : rehearse::RunRehearsal(*p->target.driver, copy->database->uri(), p->plan, p->options);
  if (!report.ok()) return FailOnCopy(ctx, report.status(), copy->database->name());
  if (report->exec) report->exec->hashed_files = p->what.hashed_files;

  if (!live->rows_error.empty()) {
    report->notes.push_back(
        "estimates are not scaled to production: the live row counts could not be read (" + live->rows_error +
        ")");
  }
  rehearse::RehearsalContext rc;
  rc.target = p->target.label;
  rc.engine = p->target.driver->info().name;
  rc.snapshot_id = p->manifest.id;
  rc.snapshot_fingerprint = p->manifest.fingerprint;
  rc.live_fingerprint = live->fingerprint;
  rc.drift_allowed = !live->drift.empty();
  rc.drift_summary = live->drift;
  rc.plan_sha256 = p->what.exec ? p->what.exec_sha256 : rehearse::PlanSha256(p->plan);
  rc.copy_method = copy->method;
  rc.copy_seconds = copy->seconds;
  rc.copy_database = copy->database->name();
  rc.tool_version = CUTOVER_VERSION;
  rc.rehearsal_id = NewRehearsalId();
  rc.started_at = started_at;
  CUTOVER_KILL_POINT("rehearse.measured");  // the copy is still there
  if (args.keep) {
    if (Status kept = copy->database->Keep(); !kept.ok()) {
      report->notes.push_back(
          "the copy is kept, but the catalog still lists it as scratch, so a later run may drop it: " +
          kept.message());
    }
    rc.kept_uri = copy->database->uri().Redacted();
  } else if (Status dropped = copy->database->Drop(); !dropped.ok()) {
    report->notes.push_back("the copy could not be dropped (the next rehearsal drops it): " +
                            dropped.message());
  }
  if (args.lock_queue_drill) {
    Status drilled = DrillLockQueues(*p, cr, *args.lock_queue_drill, *report);
    if (!drilled.ok()) return FailOnCopy(ctx, drilled, "made for the lock-queue drill");
  }

  RehearsalRecord record;
  record.id = rc.rehearsal_id;
  record.target = rc.target;
  record.engine = rc.engine;
  record.snapshot_id = rc.snapshot_id;
  record.snapshot_fingerprint = rc.snapshot_fingerprint;
  record.live_fingerprint = rc.live_fingerprint;
  record.plan_sha256 = rc.plan_sha256;
  record.phases = Join(report->phases_run, ",");
  record.to = args.to.value_or("");
  record.started_at = started_at;
  record.finished_at = NowIso8601();
  record.ok = report->ok;
  record.tool_version = rc.tool_version;
  record.summary = std::to_string(report->statements.size()) + " statement executions, " +
                   std::to_string(report->findings.size()) + " finding(s)";
  record.report_json = rehearse::RehearsalJson(rc, *report);
  CUTOVER_KILL_POINT("rehearse.copy-dropped");  // measured and dropped, not yet recorded
  if (Status st = p->catalog->RecordRehearsal(record); !st.ok()) return ctx.Fail(st);
  ctx.RecordAudit(*p->catalog, audit::Event{"rehearse",
                                            record.target,
                                            p->target.uri.user(),
                                            {{"rehearsal", record.id},
                                             {"snapshot", record.snapshot_id},
                                             {"plan", p->what.exec ? "--exec" : args.plan},
                                             {"plan_sha256", record.plan_sha256},
                                             {"phases", record.phases},
                                             {"ok", record.ok},
                                             {"summary", record.summary}}});
  return Output(ctx, args, rc, *report);
}

}  // namespace cutover::cli
