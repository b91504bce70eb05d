// cutover restore SNAPSHOT --into URI, and cutover restore-test: the
// scheduled proof that a snapshot restores (see snapshot/restore_test.h).
#include <spdlog/spdlog.h>

#include <filesystem>
#include <iostream>
#include <nlohmann/json.hpp>

#include "cli/commands.h"
#include "snapshot/restore.h"
#include "snapshot/restore_test.h"

namespace cutover::cli {
namespace {

using Json = nlohmann::ordered_json;

// SNAPSHOT argument, or the newest snapshot of --target.
Result<std::string> PickSnapshot(CommandContext& ctx, const snapshot::Repository& repo,
                                 const std::optional<std::string>& ref,
                                 const std::optional<std::string>& target) {
  if (ref && target) return Status::InvalidInput("give a SNAPSHOT or --target NAME, not both");
  if (ref) return repo.Resolve(*ref);
  if (!target) return Status::InvalidInput("give a SNAPSHOT id (or 'latest') or --target NAME");
  auto resolved = ctx.ResolveTarget(*target);
  if (!resolved.ok()) return resolved.status();
  auto ids = repo.ListCommitted();
  if (!ids.ok()) return ids.status();
  for (auto it = ids->rbegin(); it != ids->rend(); ++it) {
    auto m = repo.LoadManifest(*it);
    if (m.ok() && m->target == resolved->label) return *it;
  }
  return Status::NotFound("no snapshot of target " + resolved->label + " in " + repo.root().string() +
                          "; take one with `cutover snapshot " + *target + "`");
}

}  // namespace

int RunRestore(CommandContext& ctx, const RestoreArgs& args) {
  auto repo = ctx.OpenRepository();
  if (!repo.ok()) return ctx.Fail(repo.status());
  auto id = repo->Resolve(args.snapshot);
  if (!id.ok()) return ctx.Fail(id.status());
  auto manifest = repo->LoadManifest(*id);
  if (!manifest.ok()) return ctx.Fail(manifest.status());
  auto into = ctx.ResolveTarget(args.into);
  if (!into.ok()) return ctx.Fail(into.status().WithContext("--into"));
  // A new SQLite database is a new file: create it (private) so the restore
  // can open it. Server engines need the database created first (createdb,
  // CREATE DATABASE), which keeps restore from ever guessing ownership.
  if (into->uri.driver_scheme() == "sqlite" && !repo->env().Exists(into->uri.database())) {
    auto created = repo->env().NewWritableFile(into->uri.database());
    Status st = created.ok() ? (*created)->Close() : created.status();
    if (!st.ok()) return ctx.Fail(st.WithContext("cannot create the new SQLite database"));
  }
  snapshot::RestoreRequest req;
  req.driver = into->driver;
  req.into = into->uri;
  req.jobs = args.jobs;
  req.progress = ctx.progress_mode();
  InterruptGuard interrupts;
  auto out = snapshot::RestoreSnapshot(*repo, *manifest, req);
  if (!out.ok()) return ctx.Fail(out.status().WithContext("restoring " + *id + " into " + into->label));
  if (ctx.json()) {
    std::cout << Json{{"format", "cutover.restore"},
                      {"version", 1},
                      {"snapshot", *id},
                      {"into", into->label},
                      {"rows", out->rows},
                      {"stored_bytes", out->stored_bytes},
                      {"seconds", out->seconds},
                      {"stages", StagesJson(out->stages)}}
                     .dump(2)
              << "\n";
  } else {
    std::cout << "restored " << *id << " into " << into->label << ": " << out->rows << " rows in "
              << static_cast<long long>(out->seconds * 1000) << " ms\n";
  }
  return 0;
}

int RunRestoreTest(CommandContext& ctx, const RestoreTestArgs& args) {
  auto repo = ctx.OpenRepository();
  if (!repo.ok()) return ctx.Fail(repo.status());
  auto catalog = ctx.OpenCatalog(*repo);
  if (!catalog.ok()) return ctx.Fail(catalog.status());
  auto id = PickSnapshot(ctx, *repo, args.snapshot, args.target);
  if (!id.ok()) return ctx.Fail(id.status());
  auto manifest = repo->LoadManifest(*id);
  if (!manifest.ok()) return ctx.Fail(manifest.status());

  auto driver = ctx.loader().Get(manifest->engine);
  if (!driver.ok()) return ctx.Fail(driver.status());
  TempDir sqlite_scratch;
  auto scratch = ResolveScratchServer(ctx.config(), args.target.value_or(manifest->target), args.scratch,
                                      manifest->engine, sqlite_scratch,
                                      "restore-test restores into a scratch database", "snapshot " + *id);
  if (!scratch.ok()) return ctx.Fail(scratch.status());
  snapshot::RestoreTestRequest req;
  req.driver = *driver;
  req.scratch_server = *scratch;
  req.jobs = args.jobs;
  req.keep = args.keep;
  req.check_files = args.checks;
  req.progress = ctx.progress_mode();
  auto report = snapshot::RunRestoreTest(*repo, **catalog, *manifest, req);
  if (!report.ok()) return ctx.Fail(report.status().WithContext("restore-test of " + *id));
  const auto& r = *report;
  if (args.metrics_file) {
    auto last = (*catalog)->LastSuccessfulRestoreTest(r.target);
    Status st = snapshot::WriteRestoreTestMetrics(*args.metrics_file, r,
                                                  last.ok() ? *last : std::optional<RestoreTestRecord>());
    if (!st.ok()) return ctx.Fail(st.WithContext("--metrics-file"));
  }
  if (ctx.json()) {
    std::cout << Json{{"format", "cutover.restore_test"},
                      {"version", 1},
                      {"snapshot", r.snapshot_id},
                      {"target", r.target},
                      {"ok", r.ok},
                      {"scratch_database", r.scratch_database},
                      {"kept", r.kept},
                      {"restore_seconds", r.restore_seconds},
                      {"total_seconds", r.total_seconds},
                      {"tables", r.tables},
                      {"rows", r.rows},
                      {"bytes", r.bytes},
                      {"integrity", r.integrity},
                      {"acceptance_queries", r.acceptance_queries},
                      {"problems", r.problems},
                      {"cleaned_up", r.cleaned_up},
                      {"stages", StagesJson(r.stages)}}
                     .dump(2)
              << "\n";
  } else {
    for (const auto& name : r.cleaned_up) std::cout << "dropped stale scratch database " << name << "\n";
    std::cout << "restore-test of " << r.snapshot_id << " (" << r.target
              << "): " << (r.ok ? "PASSED" : "FAILED") << "\n";
    if (r.restore_seconds > 0) {
      std::cout << "  restored " << r.tables << " tables, " << r.rows << " rows in "
                << static_cast<long long>(r.restore_seconds * 1000) << " ms (total "
                << static_cast<long long>(r.total_seconds * 1000)
                << " ms)\n  integrity: " << (r.integrity.empty() ? "-" : r.integrity)
                << "\n  acceptance queries: " << r.acceptance_queries << "\n";
    } else {
      std::cout << "  the restore did not complete\n";
    }
    if (r.kept)
      std::cout << "  kept scratch database " << r.scratch_database << " on " << scratch->Redacted() << "\n";
    for (const auto& p : r.problems) std::cout << "  problem: " << p << "\n";
  }
  return r.ok ? 0 : 1;
}

}  // namespace cutover::cli
