// TakeSnapshot: `cutover snapshot TARGET`, the pipeline that turns a live
// database into a committed snapshot directory.
//
// Consistency comes from the driver (BeginSnapshot/JoinSnapshot, see
// driver.h): every worker connection reads the same point in time. Big
// tables are cut into ranges so several workers read one table: by page
// (TID range scans) on PostgreSQL 14+, else by an integer split column.
// Readers frame records into buffers of ~chunk_raw_bytes; a pool of `jobs`
// compressor threads (also when the engine reads through one connection)
// hashes, compresses and writes each buffer as a chunk file. The queue between them is bounded, so memory
// stays at a few buffers per thread whatever the table sizes.
//
// Layout: where the driver can give a file image of the database inside
// the snapshot (SQLite in rollback-journal mode, driver.h "Database images"),
// kAuto stores that image instead of records: `jobs` threads read, compress
// and write its chunks while one more thread has the driver count and digest
// every table in it. Otherwise records, as above. kImage insists (an engine
// or database without images is kUnsupported); kRecords never uses images.
//
// On any failure or interrupt the partial directory is removed and the error
// returned; a kill -9 leaves a directory without manifest, which the next
// run of any snapshot command removes (Repository::CleanUpIncomplete).
#pragma once

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "base/progress.h"
#include "base/status.h"
#include "base/uri.h"
#include "driver/driver.h"
#include "snapshot/repository.h"

namespace cutover::snapshot {

struct SnapshotRequest {
  Driver* driver = nullptr;
  ConnectionUri uri;
  std::string target_label;  // config target name or redacted URI
  int jobs = 2;              // reader connections (1 for engines without shared snapshots)
  // Level 1: on realistic data ~40 % less CPU than level 3 for 1-3 % more
  // bytes (docs/performance.md); compression is most of a snapshot's CPU.
  int compression_level = 1;
  std::int64_t chunk_raw_bytes = std::int64_t{8} << 20;
  // Tables larger than this (by the driver's estimate) are split into ranges.
  std::int64_t split_bytes = std::int64_t{64} << 20;
  SnapshotOptions options;
  enum class LayoutChoice { kAuto, kRecords, kImage };
  LayoutChoice layout = LayoutChoice::kAuto;
  Progress::Mode progress = Progress::Mode::kOff;
};

struct SnapshotOutcome {
  Manifest manifest;
  std::string manifest_checksum;
  double seconds = 0;
  std::vector<std::pair<std::string, double>> stages;  // wall time per stage, in order
};

Result<SnapshotOutcome> TakeSnapshot(Repository& repo, const SnapshotRequest& request);

// The tool version written into manifests.
const char* ToolVersion();

}  // namespace cutover::snapshot
