// Fuzz target: the schema JSON reader (schema/schema_json.h), which
// `drift --against FILE` feeds files from anywhere. Besides not crashing: a
// file that is accepted writes back to JSON that is accepted again and
// writes identically (the format round-trips; nothing is read that the
// writer cannot say).
#include <cstdint>
#include <string>
#include <string_view>

#include "fuzz_check.h"
#include "schema/schema_json.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  auto model = cutover::SchemaFromJson(text, "fuzz.json");
  if (!model.ok()) {
    FUZZ_CHECK(!model.status().message().empty());
    return 0;
  }
  const std::string written = cutover::SchemaToJson(*model);
  auto again = cutover::SchemaFromJson(written, "rewritten.json");
  FUZZ_CHECK(again.ok());
  FUZZ_CHECK(cutover::SchemaToJson(*again) == written);
  return 0;
}
