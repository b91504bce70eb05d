// MakeRehearsalCopy: the production copy a rehearsal runs on.
//
// The copy is a scratch database (snapshot/scratch.h: registered in the
// catalog before it exists, dropped when the returned object is destroyed,
// also on an interrupt; a killed run's copy is dropped by the next run on
// that server). Where the engine can clone a database (Driver::CloneDatabase)
// a repeated rehearsal of the same snapshot does not restore again:
//   - a base copy of the snapshot is recorded in the catalog: clone it;
//   - none: restore the snapshot once into a new database, check its schema
//     fingerprint against the snapshot's, keep it as the snapshot's base copy
//     (older snapshots' base copies of the target are dropped), and clone it;
//   - the engine cannot clone (MySQL/MariaDB): restore every time.
// A base copy that cannot be cloned any more (dropped by hand) is forgotten
// and the snapshot restored again.
//
// Failure: an error return leaves nothing behind but a recorded base copy.
#pragma once

#include <memory>
#include <string>

#include "base/progress.h"
#include "base/status.h"
#include "base/uri.h"
#include "catalog/catalog.h"
#include "driver/driver.h"
#include "migrate/history.h"
#include "snapshot/manifest.h"
#include "snapshot/repository.h"
#include "snapshot/scratch.h"

namespace cutover::rehearse {

struct CopyRequest {
  Driver* driver = nullptr;
  ConnectionUri scratch_server;
  int jobs = 2;
  Progress::Mode progress = Progress::Mode::kOff;
  std::function<void(const std::string&)> note;
  // Applied migrations another tool recorded outside the database a
  // snapshot holds (migrate::ToolHistoryOutsideDatabase): written into the
  // copy's cutover_migrations once it is made. Borrowed; may be null.
  const migrate::History* seed_history = nullptr;
};

struct RehearsalCopy {
  std::unique_ptr<snapshot::ScratchDatabase> database;
  std::string method;                   // "cloned" (from a base copy) or "restored"
  std::string detail;                   // for people: which base copy, whether one was kept
  double seconds = 0;                   // making the copy
  std::vector<std::string> cleaned_up;  // stale scratch databases and replaced base copies dropped
};

Result<RehearsalCopy> MakeRehearsalCopy(const snapshot::Repository& repo, Catalog& catalog,
                                        const snapshot::Manifest& manifest, const CopyRequest& request);

}  // namespace cutover::rehearse
