// Fuzz target: the chunk format (snapshot/chunk.h): record framing and the
// zstd frame a chunk file holds. The input is used three ways: as framed
// records (split, digest, and framed again: must give the same bytes), as
// a chunk file whose manifest entry matches its bytes (so decompression of
// arbitrary frames is reached behind the stored-bytes hash), and as records
// to encode and decode (must give the same bytes back).
#include <zstd.h>

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "base/sha256.h"
#include "fuzz_check.h"
#include "snapshot/chunk.h"

namespace snapshot = cutover::snapshot;

namespace {

// A chunk claiming more than this is not decompressed here (the reader's own
// cap is kMaxChunkRawBytes; the fuzzer's memory limit is lower).
constexpr unsigned long long kMaxFuzzRawBytes = 1 << 20;

void FramedRecords(std::string_view input) {
  std::vector<std::string_view> records;
  if (!snapshot::SplitFramedRecords(input, records).ok()) return;
  std::string framed;
  for (std::string_view r : records) snapshot::AppendFramedRecord(framed, r);
  FUZZ_CHECK(framed == input);
  auto content = snapshot::DigestFramed(input, "data/t0001/c000001.zst");
  FUZZ_CHECK(content.ok() && content->rows == static_cast<std::int64_t>(records.size()));
}

void StoredChunk(std::string_view input) {
  const unsigned long long claimed = ZSTD_getFrameContentSize(input.data(), input.size());
  if (claimed == ZSTD_CONTENTSIZE_ERROR || claimed == ZSTD_CONTENTSIZE_UNKNOWN || claimed > kMaxFuzzRawBytes)
    return;
  snapshot::ChunkInfo info;
  info.file = "data/t0001/c000001.zst";
  info.stored_bytes = static_cast<std::int64_t>(input.size());
  info.stored_sha256 = cutover::Sha256Hex(input);
  info.raw_bytes = static_cast<std::int64_t>(claimed);
  std::string framed;
  FUZZ_CHECK(!snapshot::DecodeChunk(input, info, framed).ok());  // raw_xxh128 is empty: never matches
  if (framed.size() == claimed) {
    info.raw_xxh128 = cutover::Xxh128Hex(framed);
    std::string again;
    if (snapshot::DecodeChunk(input, info, again).ok()) FUZZ_CHECK(again == framed);
  }
}

void RoundTrip(std::string_view input) {
  std::string framed;
  snapshot::AppendFramedRecord(framed, input);
  snapshot::AppendFramedRecord(framed, input.substr(0, input.size() / 2));
  std::string stored;
  snapshot::ChunkInfo info;
  FUZZ_CHECK(snapshot::EncodeChunk(framed, 1, stored, info).ok());
  FUZZ_CHECK(info.rows == 2);
  std::string decoded;
  FUZZ_CHECK(snapshot::DecodeChunk(stored, info, decoded).ok());
  FUZZ_CHECK(decoded == framed);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  FramedRecords(input);
  StoredChunk(input);
  RoundTrip(input);
  return 0;
}
