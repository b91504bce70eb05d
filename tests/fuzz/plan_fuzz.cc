// Fuzz target: one migration file through the plan reader (plan/plan.h):
// encoding checks, `-- cutover:` directives, and the statement split of each
// engine (libpg_query for PostgreSQL, the MySQL and SQLite drivers'
// splitters). The first byte picks the engine and the phase; the rest is the
// file. Besides not crashing: the checksum is that of the raw bytes, and
// every statement and directive lies inside the file, in order.
#include <algorithm>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "fuzz_check.h"
#include "mysql_internal.h"
#include "plan/plan.h"
#include "sqlite_internal.h"

namespace plan = cutover::plan;

namespace {

plan::ReadOptions OptionsFor(plan::Engine engine) {
  plan::ReadOptions options;
  options.engine = engine;
  if (engine == plan::Engine::kMySql) {
    options.split = [](std::string_view script) -> cutover::Result<std::vector<cutover::ScriptStatement>> {
      auto split = cutover::mysql::SplitScript(script);
      if (!split.ok()) return split.status();
      return std::vector<cutover::ScriptStatement>(split->begin(), split->end());
    };
  } else if (engine == plan::Engine::kSqlite) {
    options.split = cutover::sqlite::SplitSqliteScript;
  }
  return options;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  const auto engine = static_cast<plan::Engine>(data[0] % 3);
  const plan::Phase phase = plan::kAllPhases[(data[0] / 3) % std::size(plan::kAllPhases)];
  const std::string_view raw(reinterpret_cast<const char*>(data + 1), size - 1);

  auto file = plan::ParsePlanFile(raw, "0001_fuzz/" + std::string(plan::PhaseFileName(phase)), phase,
                                  OptionsFor(engine));
  if (!file.ok()) {
    FUZZ_CHECK(!file.status().message().empty());
    return 0;
  }
  FUZZ_CHECK(file->checksum == plan::FileChecksum(raw));
  const int lines = 1 + static_cast<int>(std::count(file->text.begin(), file->text.end(), '\n'));
  int previous = 0;
  for (const plan::Directive& d : file->header_directives) FUZZ_CHECK(d.line >= 1 && d.line <= lines);
  for (const plan::Statement& s : file->statements) {
    FUZZ_CHECK(!s.text.empty());
    FUZZ_CHECK(s.line >= 1 && s.line <= s.end_line && s.end_line <= lines);
    FUZZ_CHECK(s.line >= previous);
    previous = s.line;
    for (const plan::Directive& d : s.directives) FUZZ_CHECK(d.line >= 1 && d.line <= s.line);
    (void)file->ExecutableText(s);
  }
  return 0;
}
