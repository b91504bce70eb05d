#include "rehearse/copy.h"

#include <chrono>

#include "migrate/history.h"
#include "schema/fingerprint.h"
#include "snapshot/restore.h"

namespace cutover::rehearse {
namespace {

double Since(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

// Restores the snapshot into a new scratch database and checks the result's
// schema fingerprint against the snapshot's.
Result<std::unique_ptr<snapshot::ScratchDatabase>> RestoreInto(const snapshot::Repository& repo,
                                                               Catalog& catalog,
                                                               const snapshot::Manifest& manifest,
                                                               const CopyRequest& request,
                                                               const std::string& purpose, double* seconds) {
  // Named as a base copy where it becomes one (the engine can clone it);
  // elsewhere it is the rehearsal's own throwaway copy.
  const bool base = request.driver->info().clones_databases;
  auto db = snapshot::ScratchDatabase::Create(
      catalog, *request.driver, request.scratch_server, purpose,
      base ? snapshot::ScratchNaming::kBaseCopy : snapshot::ScratchNaming::kScratch);
  if (!db.ok()) return db.status();
  snapshot::RestoreRequest restore;
  restore.driver = request.driver;
  restore.into = (*db)->uri();
  restore.jobs = request.jobs;
  restore.progress = request.progress;
  restore.scratch = true;
  // A copy gets the owners and privileges whose roles the server has.
  restore.access.skip_missing_roles = true;
  restore.access.definer_fallback = true;
  auto restored = snapshot::RestoreSnapshot(repo, manifest, restore);
  if (!restored.ok())
    return restored.status().WithContext("restoring snapshot " + manifest.id + " for the rehearsal");
  *seconds = restored->seconds;
  auto conn = request.driver->Connect((*db)->uri());
  if (!conn.ok()) return conn.status().WithContext("connecting to the restored copy");
  auto model = (*conn)->ReadSchema();
  if (!model.ok()) return model.status().WithContext("reading the restored copy's schema");
  const std::string fingerprint = Fingerprint(*model);
  if (fingerprint != manifest.fingerprint) {
    return Status::CheckFailed("the copy restored from snapshot " + manifest.id + " has schema fingerprint " +
                               fingerprint + ", not the snapshot's " + manifest.fingerprint +
                               "; run `cutover restore-test " + manifest.id + "` to see why");
  }
  return db;
}

Result<RehearsalCopy> MakeCopy(const snapshot::Repository& repo, Catalog& catalog,
                               const snapshot::Manifest& manifest, const CopyRequest& request) {
  Driver& driver = *request.driver;
  const auto start = std::chrono::steady_clock::now();
  RehearsalCopy copy;
  copy.cleaned_up = snapshot::DropStaleScratch(catalog, driver, request.scratch_server);
  const std::string server = request.scratch_server.Redacted();

  auto base = catalog.FindBaseCopy(driver.info().name, server, manifest.id);
  if (!base.ok()) return base.status();
  if (*base) {
    auto clone =
        snapshot::ScratchDatabase::Clone(catalog, driver, request.scratch_server, (*base)->name, "rehearse");
    if (clone.ok()) {
      copy.database = std::move(*clone);
      copy.method = "cloned";
      copy.detail = "cloned from base copy " + (*base)->name;
      copy.seconds = Since(start);
      return copy;
    }
    if (request.note) {
      request.note("base copy " + (*base)->name + " could not be cloned (" + clone.status().message() +
                   "); restoring the snapshot again");
    }
    (void)snapshot::DropBaseCopy(catalog, driver, request.scratch_server, **base);
  }

  double restore_seconds = 0;
  auto restored = RestoreInto(repo, catalog, manifest, request, "rehearse", &restore_seconds);
  if (!restored.ok()) return restored.status();
  if (!driver.info().clones_databases) {
    copy.database = std::move(*restored);
    copy.method = "restored";
    copy.detail = "restored (this engine cannot clone a database, so every rehearsal restores)";
    copy.seconds = Since(start);
    return copy;
  }
  auto clone = snapshot::ScratchDatabase::Clone(catalog, driver, request.scratch_server, (*restored)->name(),
                                                "rehearse");
  if (!clone.ok()) return clone.status().WithContext("cloning the restored copy");
  const std::string base_name = (*restored)->name();
  BaseCopyRecord record;
  record.snapshot_id = manifest.id;
  record.target = manifest.target;
  record.fingerprint = manifest.fingerprint;
  record.created_at = NowIso8601();
  record.restore_seconds = restore_seconds;
  CUTOVER_RETURN_IF_ERROR((*restored)->PromoteToBaseCopy(record));
  snapshot::BaseCopyCleanup cleanup =
      snapshot::DropReplacedBaseCopies(catalog, driver, request.scratch_server, manifest.target, manifest.id);
  for (std::string& dropped : cleanup.dropped) copy.cleaned_up.push_back(std::move(dropped));
  for (const std::string& warning : cleanup.warnings) {
    if (request.note) request.note(warning);
  }
  copy.database = std::move(*clone);
  copy.method = "restored";
  copy.detail = "restored in " + std::to_string(static_cast<int>(restore_seconds * 1000)) +
                " ms, then cloned; base copy " + base_name +
                " kept so the next rehearsal of this snapshot clones it";
  copy.seconds = Since(start);
  return copy;
}

// Rows another tool recorded outside the copied database, written into the
// copy's own history so the plan's applied migrations are not run again.
Status Seed(const ConnectionUri& copy, Driver& driver, const migrate::History& rows) {
  auto conn = driver.Connect(copy);
  if (!conn.ok()) return conn.status().WithContext("connecting to the copy to record the applied migrations");
  CUTOVER_RETURN_IF_ERROR(migrate::EnsureHistoryTable(**conn));
  for (const auto& [key, tool_row] : rows) {
    migrate::HistoryRow row = tool_row;
    row.note = "copied from the target's " + tool_row.source + " (" + tool_row.note + ")";
    row.source.clear();
    CUTOVER_RETURN_IF_ERROR(migrate::SaveRow(**conn, row, false));
  }
  return Status::Ok();
}

}  // namespace

Result<RehearsalCopy> MakeRehearsalCopy(const snapshot::Repository& repo, Catalog& catalog,
                                        const snapshot::Manifest& manifest, const CopyRequest& request) {
  auto copy = MakeCopy(repo, catalog, manifest, request);
  if (!copy.ok() || request.seed_history == nullptr || request.seed_history->empty()) return copy;
  CUTOVER_RETURN_IF_ERROR(Seed(copy->database->uri(), *request.driver, *request.seed_history));
  return copy;
}

}  // namespace cutover::rehearse
