// cutover restore SNAPSHOT --into URI, and cutover restore-test: the
// scheduled proof that a snapshot restores (see snapshot/restore_check.h).
#include <spdlog/spdlog.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <iostream>
#include <nlohmann/json.hpp>

#include "base/file_env.h"
#include "base/strings.h"
#include "base/uri.h"
#include "cli/commands.h"
#include "snapshot/restore.h"
#include "snapshot/restore_check.h"

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

// What a restore did with the snapshot's owners and privileges.
Json AccessJson(const snapshot::AccessPlan& access) {
  Json skipped = Json::array();
  for (const AccessStatement& s : access.skipped) {
    skipped.push_back({{"object", s.object}, {"what", s.what}, {"roles", s.roles}});
  }
  return {{"statements", access.statements.size()},
          {"missing_roles", access.missing_roles},
          {"skipped", skipped},
          {"definer", access.definer.empty() ? Json() : Json(access.definer)}};
}

// Every check of a restore test, in order (restore_check.h).
Json ChecksJson(const std::vector<snapshot::RestoreCheck>& checks) {
  Json out = Json::array();
  for (const auto& c : checks) {
    using Outcome = snapshot::RestoreCheck::Outcome;
    Json j = {{"name", c.name},
              {"outcome", c.outcome == Outcome::kPassed   ? "passed"
                          : c.outcome == Outcome::kFailed ? "failed"
                                                          : "skipped"},
              {"detail", c.detail}};
    if (c.seconds >= 0) j["seconds"] = c.seconds;
    out.push_back(std::move(j));
  }
  return out;
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
  // "Restore into a new database" creates it (owned by the URI's user; a
  // private file for SQLite). An existing one is used as it is: the restore
  // refuses it unless it is empty.
  auto created = into->driver->CreateTargetIfMissing(into->uri);
  if (!created.ok()) return ctx.Fail(created.status().WithContext("--into: creating " + into->label));
  if (*created && !ctx.options().quiet) std::cerr << "cutover: created " << into->label << "\n";
  snapshot::RestoreRequest req;
  req.driver = into->driver;
  req.into = into->uri;
  req.jobs = args.jobs;
  req.progress = ctx.progress_mode();
  req.access.owners = !args.no_owner;
  req.access.privileges = !args.no_privileges;
  req.access.skip_missing_roles = args.skip_missing_roles;
  req.access.definer = args.definer;
  InterruptGuard interrupts;  // main's token: stop the load at the next chunk
  auto out = snapshot::RestoreSnapshot(*repo, *manifest, req);
  if (!out.ok() && *created) {
    // A failed restore leaves nothing it made: the database it created goes.
    if (Status dropped = into->driver->DropTarget(into->uri); dropped.ok()) {
      return ctx.Fail(out.status().WithContext("restoring " + *id + " into " + into->label +
                                               " (the database cutover created for it was dropped)"));
    } else {
      return ctx.Fail(out.status().WithContext(
          "restoring " + *id + " into " + into->label + " (and dropping " +
          "the database cutover created for it failed too: " + dropped.message() + ")"));
    }
  }
  if (!out.ok()) {
    // An image is written to an unnamed file and only then renamed over the
    // target; records go straight into the target's tables.
    const Status st =
        ReworkInterruption(out.status(),
                           manifest->layout == snapshot::Layout::kImage
                               ? "the target " + into->label + " was left unchanged"
                               : "the target " + into->label + " holds a partial restore and is not usable",
                           manifest->layout == snapshot::Layout::kImage
                               ? "run the same restore again"
                               : "drop it and create it again, empty, then run the same restore again");
    if (st.code() == StatusCode::kCancelled) return ctx.Fail(st.WithContext("restoring " + *id));
    return ctx.Fail(st.WithContext("restoring " + *id + " into " + into->label));
  }
  if (ctx.json()) {
    std::cout << Json{{"format", "cutover.restore"},
                      {"version", 1},
                      {"snapshot", *id},
                      {"into", into->label},
                      {"rows", out->rows},
                      {"stored_bytes", out->stored_bytes},
                      {"seconds", out->seconds},
                      {"stages", StagesJson(out->stages)},
                      {"access", AccessJson(out->access)}}
                     .dump(2)
              << "\n";
  } else {
    std::cout << "restored " << *id << " into " << into->label << ": " << out->rows << " rows in "
              << static_cast<long long>(out->seconds * 1000) << " ms\n";
    if (!out->access.statements.empty()) {
      std::cout << "owners and privileges: " << out->access.statements.size() << " statements\n";
    }
  }
  for (const AccessStatement& s : out->access.skipped) {
    std::cerr << "cutover: warning: not restored (missing role " << Join(s.roles, ", ") << "): " << s.what
              << " of " << s.object << "\n";
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
  auto scratch = ResolveScratchServer(ctx.loader(), ctx.config(), args.target.value_or(manifest->target),
                                      args.scratch, **driver, sqlite_scratch.path(),
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
  ctx.RecordAudit(**catalog, audit::Event{"restore-test",
                                          r.target,
                                          scratch->user(),
                                          {{"snapshot", r.snapshot_id},
                                           {"ok", r.ok},
                                           {"restore_seconds", r.restore_seconds},
                                           {"rows", r.rows},
                                           {"problems", r.problems}}});
  if (args.metrics_file) {
    auto last = (*catalog)->LastSuccessfulRestoreTest(r.target);
    Status st = snapshot::WriteRestoreTestMetrics(*args.metrics_file, r,
                                                  last.ok() ? *last : std::optional<RestoreTestRecord>());
    if (!st.ok()) return ctx.Fail(st.WithContext("--metrics-file"));
  }
  if (args.junit) {
    // Also (above all) when the test failed: CI shows which check did.
    Status written = WriteFileAtomically(Env::Default(), *args.junit, snapshot::RestoreTestJunit(r));
    if (!written.ok())
      return ctx.Fail(Status::Io("--junit " + *args.junit + ": cannot write the file: " + written.message()));
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
                      {"checks", ChecksJson(r.checks)},
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
    for (const auto& c : r.checks) {
      // Passed and skipped alike, as it may say what was not compared.
      if (c.name == "owners and privileges" && c.outcome != snapshot::RestoreCheck::Outcome::kFailed)
        std::cout << "  owners and privileges: " << c.detail << "\n";
    }
    for (const auto& p : r.problems) std::cout << "  problem: " << p << "\n";
  }
  if (InterruptGuard::Requested() || r.cut_short) {
    // The report above says what was done; the exit code says it was cut
    // short (a signal, or a lost connection) and proves nothing.
    const bool drop_failed = std::any_of(r.problems.begin(), r.problems.end(), [](const std::string& p) {
      return p.rfind("dropping scratch database", 0) == 0;
    });
    const std::string scratch_fate =
        r.kept        ? "the scratch database " + r.scratch_database + " was kept (--keep)"
        : drop_failed ? "the scratch database could not be dropped (the next restore-test drops it)"
                      : "the scratch database was dropped";
    const std::string unfinished = scratch_fate + "; the test did not finish and proves nothing";
    const Status why = InterruptGuard::Requested()
                           ? InterruptedStatus(unfinished, "run the same restore-test again")
                           : r.cut_short->WithMessage(r.cut_short->message() + "; " + unfinished +
                                                      "; run the same restore-test again");
    std::cerr << "cutover: error: restore-test of " << *id << ": " << ScrubSecrets(why.message()) << "\n";
    return ExitCodeFor(why);
  }
  return r.ok ? 0 : 1;
}

}  // namespace cutover::cli
