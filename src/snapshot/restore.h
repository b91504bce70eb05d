// RestoreSnapshot: loads a snapshot into a database (`cutover restore`, and
// the first half of `cutover restore-test`); CompareWithManifest: reads a
// restored database back and compares it with what the manifest recorded.
//
// Restore refuses a database that is not empty (Connection::IsEmptyDatabase)
// before writing anything. Order: pre_data DDL, then every table's ranges in
// parallel through ImportRows (each range's chunks in order, checked
// against their hashes as they are read; a worker prefers a range of a
// table nobody else is loading), then post_data: its index builds on `jobs`
// connections (never two conflicting ones on one table), then the rest
// (foreign keys, triggers, sequence positions...) in script order on one
// connection. A damaged chunk stops the restore with kCheckFailed naming
// the table and file.
//
// CompareWithManifest never reads the snapshot's data files: it exports each
// restored table through the driver and compares row counts and content
// digests with the manifest, and compares the restored schema's fingerprint
// with the manifest's (listing the drift when they differ).
#pragma once

#include <cstdint>
#include <filesystem>
#include <functional>
#include <string>
#include <utility>
#include <vector>

#include "base/progress.h"
#include "base/status.h"
#include "base/uri.h"
#include "driver/driver.h"
#include "snapshot/manifest.h"
#include "snapshot/repository.h"
#include "snapshot/restore_access.h"

namespace cutover::snapshot {

struct RestoreRequest {
  Driver* driver = nullptr;
  ConnectionUri into;
  int jobs = 2;
  Progress::Mode progress = Progress::Mode::kOff;
  // A throwaway database (restore-test's scratch): durability may be traded
  // for speed (SQLite: no rollback journal, no fsync), since a crash only
  // loses a database that is dropped anyway. Never for `restore --into`.
  bool scratch = false;
  // Owners and privileges the snapshot recorded (snapshot/restore_access.h).
  AccessPolicy access;
};

struct RestoreOutcome {
  double seconds = 0;
  std::int64_t rows = 0;
  std::int64_t stored_bytes = 0;
  std::vector<std::pair<std::string, double>> stages;  // wall time per stage, in order
  AccessPlan access;  // what was applied, and what was skipped for missing roles
  SchemaModel model;  // the schema model the snapshot recorded (read once, for the checks after)
};

// The schema model the snapshot recorded (schema/model.json.zst), checked.
Result<SchemaModel> LoadSnapshotModel(const Repository& repo, const Manifest& manifest);

Result<RestoreOutcome> RestoreSnapshot(const Repository& repo, const Manifest& manifest,
                                       const RestoreRequest& request);

struct Comparison {
  std::int64_t tables_compared = 0;
  std::int64_t rows_read = 0;
  std::vector<std::string> problems;  // each names the table or object
  // The same verdicts per check: the schema's ("" when the fingerprint
  // matched), and each manifest table's, in manifest order ("" when its rows
  // and digest matched; empty vector when the tables could not be read back
  // one by one, which is then a problem of its own).
  std::string schema_problem;
  std::vector<std::string> table_problems;
  SchemaModel restored_schema;  // as read back (owners and privileges are checked on it)
};

// `jobs` connections read tables in parallel (nobody writes to a restored
// scratch database, so readers need no shared snapshot, also on SQLite).
// `after_schema` runs once the schema has been read, before the rows: work
// that may change the schema (an integrity check installing amcheck) can
// start from there concurrently with the read-back.
// `expected` is the snapshot's recorded model (RestoreOutcome::model): the
// schema comparison reports its differences from the restored one.
Result<Comparison> CompareWithManifest(const Manifest& manifest, const SchemaModel& expected, Driver& driver,
                                       const ConnectionUri& restored, int jobs,
                                       const std::function<void()>& after_schema = {});

// An image snapshot's check of an image file (the restored database, or a
// decompressed copy): the driver counts and digests every table of `m` in
// the file at `path`, and each table whose rows or digest differ from the
// manifest's is a problem naming it; damage the driver finds is a problem
// too. `where` names the file in messages. Returns the rows counted; an
// error when the check could not run at all. `per_table` (optional) gets
// each table's problem in manifest order ("" when it matched), unless the
// file could not be read back at all.
Result<std::int64_t> CompareImageDigests(Driver& driver, const std::string& path, const Manifest& m,
                                         const std::string& where, std::vector<std::string>& problems,
                                         std::vector<std::string>* per_table = nullptr);

// Reads one schema file (pre_data, post_data, model) of a snapshot, checked.
Result<std::string> ReadSchemaFile(const Repository& repo, const Manifest& manifest, const ChunkInfo& file);

}  // namespace cutover::snapshot
