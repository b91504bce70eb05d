// The snapshot manifest: the one file that says what a snapshot contains and
// the checksums every later check compares against.
//
// A snapshot exists only once manifest.json is committed (written, synced,
// renamed into place) as the last step of `cutover snapshot`. The manifest
// carries its own checksum: SHA-256 of the file with the checksum's hex
// digits replaced by zeros (docs/snapshot-format.md). Serialize() computes
// it; Parse() refuses a manifest whose checksum does not match, so an
// edited manifest is a failed verification, never a new truth.
//
// Parse() errors: kCheckFailed for a checksum mismatch, a missing checksum,
// or a structure that cannot be read (the file was damaged or edited);
// kUnsupported for a newer format version. Messages name the file.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"
#include "driver/driver.h"
#include "snapshot/chunk.h"

namespace cutover::snapshot {

// Version 1: records only. Version 2 adds the image layout; a records
// snapshot is still written as version 1, so older cutovers keep reading it,
// and an image snapshot is version 2, which they refuse instead of
// misreading it as a snapshot without rows. Version 3 adds a table's
// "record_format" (DataTable::record_format): a records snapshot with any
// table in a non-default form is version 3, which older cutovers refuse
// instead of loading binary records as text.
inline constexpr int kManifestFormatVersion = 3;
inline constexpr int kImageFormatVersion = 2;
inline constexpr int kRecordsFormatVersion = 1;
inline constexpr char kManifestFile[] = "manifest.json";

// How a snapshot holds the data (docs/snapshot-format.md):
//   kRecords  each table's rows as records, in chunks per table and range;
//   kImage    the database file's bytes in chunks (driver.h, "Database
//             images"), with each table's row count and image digest.
enum class Layout { kRecords, kImage };
const char* LayoutName(Layout layout);

// One table's data: its identity as the driver reported it, and its chunks
// grouped by range (each range was exported by one query, in order, and is
// imported by one ImportRows call). In an image snapshot `ranges` is empty
// and `rows`/`digest` are what the driver counted in the image.
struct TableEntry {
  DataTable table;
  std::int64_t rows = 0;
  std::int64_t raw_bytes = 0;
  std::string digest;  // ContentDigest of all its records
  std::vector<std::vector<ChunkInfo>> ranges;
};

struct Manifest {
  int format_version = kManifestFormatVersion;
  std::string id;
  std::string tool_version;
  std::string engine;  // driver name
  // The server product as the driver names it (ServerInfo::product).
  std::string server_product;
  std::string server_version;
  std::string source;                        // redacted URI
  std::string target;                        // config target name, or the redacted URI
  std::map<std::string, std::string> point;  // SnapshotPoint::position
  std::string started_at;
  std::string finished_at;
  int compression_level = 0;
  // Schema: what recreates it (pre_data, post_data) and the normalized model,
  // each stored as a one-record chunk, plus the model's fingerprint.
  std::string fingerprint;
  std::int64_t schema_objects = 0;
  ChunkInfo pre_data;
  ChunkInfo post_data;
  ChunkInfo model;
  std::vector<TableEntry> tables;
  Layout layout = Layout::kRecords;
  // kImage: the file's size and its chunks, in file order (chunk k starts
  // where chunk k-1 ends). Their `rows` are 0 and `digest` that of nothing.
  std::int64_t image_bytes = 0;
  std::vector<ChunkInfo> image;

  std::int64_t TotalRows() const;
  // Record bytes, or the image's size.
  std::int64_t TotalRawBytes() const;
  // Chunk bytes plus schema files (the manifest itself not included).
  std::int64_t TotalStoredBytes() const;
  // Every chunk of the snapshot, schema files first, then tables' or image's.
  std::vector<const ChunkInfo*> AllChunks() const;
};

// JSON text with its checksum filled in.
std::string Serialize(const Manifest& manifest);
// `text` with its checksum recomputed as Serialize() computes it (over the
// text with 64 zeros in the checksum's place); unchanged if `text` has no
// checksum. The checksum finds damage, not deliberate edits: anyone can do
// this, and tests and the fuzzer do it to reach the checks behind it.
std::string WithRecomputedChecksum(std::string text);
// The checksum ("sha256:<hex>") that Serialize() wrote into `text`.
std::string ChecksumOf(std::string_view text);
// `path` is only used in messages.
Result<Manifest> Parse(std::string_view text, const std::string& path);

// A chunk file name from a manifest must stay inside the snapshot directory:
// "data/..." or "schema/...", no "..", no absolute path.
bool IsSafeChunkPath(std::string_view file);

}  // namespace cutover::snapshot
