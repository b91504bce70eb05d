#include "snapshot/chunk.h"

#include <zstd.h>

#include <cstdio>
#include <memory>

#include "base/sha256.h"

namespace cutover::snapshot {
namespace {

struct ZstdContexts {
  ZSTD_CCtx* c = ZSTD_createCCtx();
  ZSTD_DCtx* d = ZSTD_createDCtx();
  ~ZstdContexts() {
    ZSTD_freeCCtx(c);
    ZSTD_freeDCtx(d);
  }
};

ZstdContexts& ThreadContexts() {
  static thread_local ZstdContexts contexts;
  return contexts;
}

}  // namespace

void AppendFramedRecord(std::string& framed, std::string_view record) {
  std::uint64_t n = record.size();
  char len[10];
  int i = 0;
  do {
    unsigned char byte = n & 0x7f;
    n >>= 7;
    if (n != 0) byte |= 0x80;
    len[i++] = static_cast<char>(byte);
  } while (n != 0);
  framed.append(len, static_cast<size_t>(i));
  framed.append(record);
}

Status SplitFramedRecords(std::string_view framed, std::vector<std::string_view>& records) {
  size_t pos = 0;
  while (pos < framed.size()) {
    std::uint64_t len = 0;
    int shift = 0;
    while (true) {
      if (pos >= framed.size() || shift > 63) {
        return Status::CheckFailed("a record length is cut off at byte " + std::to_string(pos));
      }
      auto byte = static_cast<unsigned char>(framed[pos++]);
      // Only the writer's form is read: no padding byte 0x00 after a
      // continuation, no bits past the 64th. Every length has one encoding,
      // so splitting and framing again gives the same bytes (the chunk fuzz
      // target checks it).
      if ((byte == 0 && shift > 0) || (shift == 63 && byte > 1)) {
        return Status::CheckFailed("a record length at byte " + std::to_string(pos - 1) +
                                   " is not in the form cutover writes");
      }
      len |= std::uint64_t{byte & 0x7fu} << shift;
      shift += 7;
      if ((byte & 0x80) == 0) break;
    }
    if (len > framed.size() - pos) {
      return Status::CheckFailed("a record of " + std::to_string(len) + " bytes at byte " +
                                 std::to_string(pos) + " runs past the end of the chunk");
    }
    records.emplace_back(framed.data() + pos, static_cast<size_t>(len));
    pos += static_cast<size_t>(len);
  }
  return Status::Ok();
}

Status EncodeChunk(std::string_view framed, int level, std::string& stored, ChunkInfo& info) {
  std::vector<std::string_view> records;
  CUTOVER_RETURN_IF_ERROR(SplitFramedRecords(framed, records));
  ContentDigest digest;
  for (std::string_view r : records) digest.AddRecord(r);
  return EncodeChunk(framed, static_cast<std::int64_t>(records.size()), digest, level, stored, info);
}

Status EncodeChunk(std::string_view framed, std::int64_t rows, const ContentDigest& digest, int level,
                   std::string& stored, ChunkInfo& info) {
  info.rows = rows;
  info.digest = digest.Hex();
  info.raw_bytes = static_cast<std::int64_t>(framed.size());
  info.raw_xxh128 = Xxh128Hex(framed);

  stored.resize(ZSTD_compressBound(framed.size()));
  size_t n = ZSTD_compressCCtx(ThreadContexts().c, stored.data(), stored.size(), framed.data(), framed.size(),
                               level);
  if (ZSTD_isError(n))
    return Status::Internal(std::string("zstd compression failed: ") + ZSTD_getErrorName(n));
  stored.resize(n);
  info.stored_bytes = static_cast<std::int64_t>(n);
  info.stored_sha256 = Sha256Hex(stored);
  return Status::Ok();
}

Status CheckStoredBytes(std::string_view stored, const ChunkInfo& info) {
  if (static_cast<std::int64_t>(stored.size()) != info.stored_bytes) {
    return Status::CheckFailed(info.file + ": " + std::to_string(stored.size()) +
                               " bytes on disk, the manifest records " + std::to_string(info.stored_bytes) +
                               " (truncated or replaced)");
  }
  if (Sha256Hex(stored) != info.stored_sha256) {
    return Status::CheckFailed(info.file +
                               ": SHA-256 of the stored bytes does not match the manifest (corrupted)");
  }
  return Status::Ok();
}

Status DecodeChunk(std::string_view stored, const ChunkInfo& info, std::string& framed) {
  CUTOVER_RETURN_IF_ERROR(CheckStoredBytes(stored, info));
  if (info.raw_bytes < 0 || info.raw_bytes > kMaxChunkRawBytes) {
    return Status::CheckFailed(info.file + ": the manifest claims " + std::to_string(info.raw_bytes) +
                               " uncompressed bytes, more than a chunk can hold");
  }
  unsigned long long frame_size = ZSTD_getFrameContentSize(stored.data(), stored.size());
  if (frame_size == ZSTD_CONTENTSIZE_ERROR || frame_size != static_cast<unsigned long long>(info.raw_bytes)) {
    return Status::CheckFailed(info.file + ": not a zstd frame of the recorded size");
  }
  framed.resize(static_cast<size_t>(info.raw_bytes));
  size_t n =
      ZSTD_decompressDCtx(ThreadContexts().d, framed.data(), framed.size(), stored.data(), stored.size());
  if (ZSTD_isError(n) || n != framed.size()) {
    return Status::CheckFailed(info.file + ": decompression failed" +
                               (ZSTD_isError(n) ? std::string(": ") + ZSTD_getErrorName(n) : std::string()));
  }
  if (Xxh128Hex(framed) != info.raw_xxh128) {
    return Status::CheckFailed(info.file + ": hash of the decompressed bytes does not match the manifest");
  }
  return Status::Ok();
}

Result<ChunkContent> DigestFramed(std::string_view framed, const std::string& file) {
  std::vector<std::string_view> records;
  if (Status st = SplitFramedRecords(framed, records); !st.ok()) return st.WithContext(file);
  ChunkContent content;
  content.rows = static_cast<std::int64_t>(records.size());
  for (std::string_view r : records) content.digest.AddRecord(r);
  return content;
}

}  // namespace cutover::snapshot
