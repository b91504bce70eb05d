// Fuzz target: the snapshot manifest reader (snapshot/manifest.h), both
// layouts (records, image) and every format version it reads. A manifest is
// refused unless its embedded SHA-256 matches, which random bytes never do:
// when the first byte is odd the target writes the right checksum into the
// input first, so the fuzzer reaches the JSON reader behind the check; when
// it is even the input is read as it is. Besides not crashing: a manifest
// that is accepted has only safe chunk paths and non-negative sizes, and
// serializes to a manifest that is accepted and serializes identically.
#include <cstdint>
#include <string>
#include <string_view>

#include "fuzz_check.h"
#include "snapshot/manifest.h"

namespace snapshot = cutover::snapshot;

namespace {

void CheckChunk(const snapshot::ChunkInfo& c) {
  FUZZ_CHECK(snapshot::IsSafeChunkPath(c.file));
  FUZZ_CHECK(c.rows >= 0 && c.raw_bytes >= 0 && c.stored_bytes >= 0);
  FUZZ_CHECK(c.raw_bytes <= snapshot::kMaxChunkRawBytes);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  std::string text(reinterpret_cast<const char*>(data + 1), size - 1);
  if ((data[0] & 1) != 0) text = snapshot::WithRecomputedChecksum(std::move(text));
  auto manifest = snapshot::Parse(text, "fuzz/manifest.json");
  if (!manifest.ok()) {
    FUZZ_CHECK(!manifest.status().message().empty());
    return 0;
  }
  for (const snapshot::ChunkInfo* c : manifest->AllChunks()) CheckChunk(*c);
  (void)manifest->TotalRows();
  (void)manifest->TotalRawBytes();
  (void)manifest->TotalStoredBytes();
  const std::string written = snapshot::Serialize(*manifest);
  auto again = snapshot::Parse(written, "rewritten/manifest.json");
  FUZZ_CHECK(again.ok());
  FUZZ_CHECK(snapshot::Serialize(*again) == written);
  return 0;
}
