// Fuzz target: the catalog's timestamp parser (catalog/catalog.h), which
// reads every time the catalog holds and the --since/--before arguments.
// Besides not crashing: a time that parses formats to the canonical form,
// which parses to the same second.
#include <cstdint>
#include <string>
#include <string_view>

#include "catalog/catalog.h"
#include "fuzz_check.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  auto seconds = cutover::ParseIso8601(text);
  if (!seconds.ok()) return 0;
  const std::string canonical = cutover::FormatIso8601(*seconds);
  auto again = cutover::ParseIso8601(canonical);
  FUZZ_CHECK(again.ok());
  FUZZ_CHECK(*again == *seconds);
  return 0;
}
