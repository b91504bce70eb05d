// Scratch databases and base copies: the databases cutover creates on a
// scratch server, and the only ones it ever drops.
//
// A ScratchDatabase is registered in the catalog (scratch_databases) before
// it is created, so a run killed at any point leaves a row that a later run
// finds: DropStaleScratch drops the registered databases on a server whose
// creating process (same host) is gone. The object owns its database: the
// destructor drops it and forgets the row, unless it was kept (the user's
// now), promoted to a base copy, or already dropped. A failed drop is logged
// and the row stays, so the next cleanup on that server retries.
//
// A base copy is a restored snapshot kept so that later rehearsals clone it
// (Driver::CloneDatabase) instead of restoring again. It is recorded in the
// catalog (base_copies) and not registered as scratch; PromoteToBaseCopy
// moves the row from one table to the other in one catalog transaction, so
// stale-scratch cleanup never drops a base copy, whatever its name. Base
// copies are dropped by DropReplacedBaseCopies (a newer snapshot of the
// target, or its snapshot deleted) and by `cutover prune`. They are named
// cutover_base_<time>_<hex> (ScratchNaming::kBaseCopy) so that someone
// looking at the server sees which databases cutover keeps on purpose, and
// so that no listing of cutover_scratch_* databases ever includes them; the
// guarantee itself comes from the catalog, not from the name.
//
// Signals are not handled here: callers that must not be interrupted
// between create and drop hold them (InterruptGuard, ScopedSignalsHeld).
// The Catalog and Driver passed in must outlive the ScratchDatabase. Not
// thread-safe: one owner at a time.
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"
#include "base/uri.h"
#include "catalog/catalog.h"
#include "driver/driver.h"

namespace cutover::snapshot {

// The prefix of base copy names; scratch databases use kScratchPrefix
// (schema/scratch_schema.h).
inline constexpr std::string_view kBaseCopyPrefix = "cutover_base_";

// Which name a new database gets: cutover_scratch_... for a database that
// lives for one run, cutover_base_... for one that may be promoted to a base
// copy. Both are registered scratch until promoted.
enum class ScratchNaming { kScratch, kBaseCopy };

// A fresh name with the naming's prefix: <prefix><yyyymmddhhmmss>_<8 hex>.
std::string NewDatabaseName(ScratchNaming naming);

class ScratchDatabase {
 public:
  // Registers then creates an empty database (purpose: "restore-test",
  // "rehearse"). A failure to register is returned as the catalog gave it; a
  // failure to create forgets the row and returns the driver's error with
  // "creating scratch database NAME on SERVER" in front.
  static Result<std::unique_ptr<ScratchDatabase>> Create(Catalog& catalog, Driver& driver,
                                                         const ConnectionUri& server,
                                                         const std::string& purpose,
                                                         ScratchNaming naming = ScratchNaming::kScratch);
  // Registers then creates a copy of database `source` on the same server by
  // Driver::CloneDatabase (`source` must have no open connections).
  // kUnsupported passes through unchanged (the caller restores instead) with
  // nothing left registered; any other failure forgets the row too and gets
  // "cloning NAME from SOURCE on SERVER" in front. The driver leaves nothing
  // behind when a clone fails.
  static Result<std::unique_ptr<ScratchDatabase>> Clone(Catalog& catalog, Driver& driver,
                                                        const ConnectionUri& server,
                                                        const std::string& source, const std::string& purpose,
                                                        ScratchNaming naming = ScratchNaming::kScratch);
  // Drop() unless kept, promoted, dropped, or a Drop() call already failed
  // (its caller reported that); a failure is logged (spdlog::warn) and the
  // catalog row stays so a later run drops it.
  ~ScratchDatabase();
  ScratchDatabase(const ScratchDatabase&) = delete;
  ScratchDatabase& operator=(const ScratchDatabase&) = delete;

  const std::string& name() const { return name_; }
  // The URI of the database itself (to connect to it).
  const ConnectionUri& uri() const { return uri_; }
  const ConnectionUri& server() const { return server_; }

  // Drops the database, then forgets its row. Ok when already dropped; a
  // no-op after Keep or a promotion. A failed drop returns the driver's error
  // unchanged (callers say what they were doing) and keeps the row (a later
  // Drop() call tries again; the destructor does not); a
  // failure to forget after a successful drop returns the catalog's error
  // (the row is harmless: dropping a missing database succeeds).
  Status Drop();
  // The user's now: forgotten in the catalog and never dropped by cutover.
  // A failure to forget is returned: the row stays, so a later stale cleanup
  // on this server could drop the database; tell the user.
  Status Keep();
  // Becomes a recorded base copy: `record` gets this database's engine,
  // server (redacted) and name, and created_at when empty; in one catalog
  // transaction it is recorded as a base copy and forgotten as scratch.
  // Afterwards neither the destructor nor stale cleanup drops it. On failure
  // it stays a scratch database (dropped by the destructor).
  Status PromoteToBaseCopy(BaseCopyRecord record);

 private:
  ScratchDatabase(Catalog& catalog, Driver& driver, ConnectionUri server, std::string name,
                  ConnectionUri uri);
  static Result<std::unique_ptr<ScratchDatabase>> Make(Catalog& catalog, Driver& driver,
                                                       const ConnectionUri& server, const std::string& source,
                                                       const std::string& purpose, ScratchNaming naming);

  Catalog& catalog_;
  Driver& driver_;
  ConnectionUri server_;
  std::string name_;
  ConnectionUri uri_;
  bool owned_ = true;         // false once dropped, kept or promoted
  bool drop_failed_ = false;  // the last Drop() failed and was reported to its caller
};

// Drops the scratch databases registered on `server` (for this driver's
// engine) whose creating process on this host is gone, then forgets them;
// returns their names. A database whose drop fails keeps its row (the next
// cleanup retries). Databases the catalog does not list are never touched.
std::vector<std::string> DropStaleScratch(Catalog& catalog, Driver& driver, const ConnectionUri& server);

// What DropReplacedBaseCopies did: the names dropped (and forgotten), and one
// warning per base copy that could not be dropped (its row stays, so the next
// run retries).
struct BaseCopyCleanup {
  std::vector<std::string> dropped;
  std::vector<std::string> warnings;
};

// Drops the base copies on `server` (this driver's engine) that are of
// `target` and not of snapshot `keep_snapshot_id`, and every base copy on
// `server` whose snapshot is marked deleted in the catalog. An empty
// `keep_snapshot_id` drops every base copy of `target` on `server`. Base
// copies on other servers are not touched (they cannot be reached from
// here). A catalog that cannot be read is one warning.
BaseCopyCleanup DropReplacedBaseCopies(Catalog& catalog, Driver& driver, const ConnectionUri& server,
                                       const std::string& target, const std::string& keep_snapshot_id);

// Drops one recorded base copy and forgets its row; the row stays when the
// drop fails. For callers that resolved the server themselves (`prune`).
Status DropBaseCopy(Catalog& catalog, Driver& driver, const ConnectionUri& server,
                    const BaseCopyRecord& copy);

}  // namespace cutover::snapshot
