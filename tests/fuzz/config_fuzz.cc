// Fuzz target: cutover.toml (config/config.h), through the same parser
// LoadConfig uses. Besides not crashing: a config that loads has no negative
// policy duration, and every target it names resolves to its URI.
#include <cstdint>
#include <string>
#include <string_view>

#include "config/config.h"
#include "fuzz_check.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  auto config = cutover::ParseConfig(text, "/fuzz/cutover.toml");
  if (!config.ok()) {
    FUZZ_CHECK(!config.status().message().empty());
    return 0;
  }
  const cutover::Policy& p = config->policy;
  FUZZ_CHECK(p.snapshot_max_age_s >= 0 && p.restore_test_max_age_s >= 0 && p.rehearsal_max_age_s >= 0);
  FUZZ_CHECK(p.max_blocked_ms >= 0 && p.max_statement_s >= 0 && p.max_backfill_s >= 0);
  FUZZ_CHECK(!p.window_s || *p.window_s >= 0);
  for (const auto& [name, target] : config->targets) {
    auto uri = cutover::ResolveTargetUri(*config, name);
    FUZZ_CHECK(uri.ok() && *uri == target.uri);
    (void)cutover::ResolveScratch(*config, name, std::nullopt);
  }
  return 0;
}
