// Data chunks: how a snapshot stores a table's records on disk, and the
// digests that prove the data is what was read at snapshot time.
//
// A record is one row in the engine's own load format (driver.h, "Bulk
// data"); the core never looks inside. A chunk file holds one zstd frame
// whose content is a run of framed records: a LEB128 varint length, then
// the record's bytes. docs/snapshot-format.md describes the format.
//
// Three hashes guard a chunk, all recorded in the manifest:
//   stored_sha256  SHA-256 of the file's bytes: verify (no decompression)
//   raw_xxh128     XXH3-128 of the decompressed bytes: verify --deep
//   digest         ContentDigest of its records: compared with the records
//                  read back from a restored database, order-independently
//
// Failures are Status values: kCheckFailed when data does not match what the
// manifest promised (corrupt, truncated, tampered), kIo when a file cannot
// be read. Messages name the chunk file; callers add the table.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "base/content_digest.h"
#include "base/status.h"

namespace cutover::snapshot {

using cutover::ContentDigest;
using cutover::Xxh128Hex;

// Appends varint(record.size()) + record to `framed`.
void AppendFramedRecord(std::string& framed, std::string_view record);

// Splits framed records; kCheckFailed when the bytes end inside a record.
Status SplitFramedRecords(std::string_view framed, std::vector<std::string_view>& records);

// What the manifest records of one chunk.
struct ChunkInfo {
  std::string file;  // relative to the snapshot directory, e.g. "data/t0003/r002-c000017.zst"
  std::int64_t rows = 0;
  std::int64_t raw_bytes = 0;
  std::int64_t stored_bytes = 0;
  std::string stored_sha256;
  std::string raw_xxh128;
  std::string digest;
};

// Compresses framed records into `stored` and fills every field of `info`
// but `file`. Reuses a per-thread zstd context.
Status EncodeChunk(std::string_view framed, int level, std::string& stored, ChunkInfo& info);
// The same, with the row count and content digest already computed by the
// caller while it framed the records (the snapshot's readers do, which
// takes that work off the compressor threads, usually the bottleneck).
Status EncodeChunk(std::string_view framed, std::int64_t rows, const ContentDigest& digest, int level,
                   std::string& stored, ChunkInfo& info);

// Checks `stored` (a chunk file's bytes) against `info`'s size and
// stored_sha256, decompresses it into `framed` and checks raw_bytes and
// raw_xxh128. kCheckFailed names the file and what differs.
Status DecodeChunk(std::string_view stored, const ChunkInfo& info, std::string& framed);

// Size and SHA-256 only (cheap verify).
Status CheckStoredBytes(std::string_view stored, const ChunkInfo& info);

// Records counted and digested from decoded framed bytes.
struct ChunkContent {
  std::int64_t rows = 0;
  ContentDigest digest;
};
Result<ChunkContent> DigestFramed(std::string_view framed, const std::string& file);

// The largest raw chunk a manifest may claim: refusing more keeps a tampered
// manifest from making a reader allocate without bound.
inline constexpr std::int64_t kMaxChunkRawBytes = std::int64_t{2} << 30;

}  // namespace cutover::snapshot
