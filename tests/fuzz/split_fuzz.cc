// Fuzz target: an engine's script splitter, the code that decides where each
// statement of a migration, a snapshot's schema script or a lint input
// starts and ends. Built once per engine (CUTOVER_FUZZ_ENGINE_*: see
// tests/fuzz/CMakeLists.txt). Besides not crashing: every statement's line
// lies inside the script, lines never go backwards, and splitting is
// deterministic.
#include <algorithm>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "fuzz_check.h"

#if defined(CUTOVER_FUZZ_ENGINE_POSTGRESQL)
#include "postgresql_script_text.h"
#elif defined(CUTOVER_FUZZ_ENGINE_MYSQL)
#include "mysql_internal.h"
#elif defined(CUTOVER_FUZZ_ENGINE_SQLITE)
#include "sqlite_internal.h"
#else
#error "define CUTOVER_FUZZ_ENGINE_POSTGRESQL, _MYSQL or _SQLITE"
#endif

namespace {

struct Split {
  bool ok = false;
  std::vector<cutover::ScriptStatement> statements;
};

Split SplitOnce(std::string_view script, [[maybe_unused]] bool variant) {
  Split out;
#if defined(CUTOVER_FUZZ_ENGINE_POSTGRESQL)
  cutover::postgresql::Unterminated open;
  out.statements = cutover::postgresql::SplitScript(script, &open);
  out.ok = open.kind.empty();
  for (const auto& s : out.statements) (void)cutover::postgresql::FirstLine(s.text);
#elif defined(CUTOVER_FUZZ_ENGINE_MYSQL)
  // variant: the script runs under sql_mode NO_BACKSLASH_ESCAPES.
  auto split = cutover::mysql::SplitScript(script, !variant);
  out.ok = split.ok();
  if (split.ok()) out.statements.assign(split->begin(), split->end());
#else
  auto split = cutover::sqlite::SplitSqliteScript(script);
  out.ok = split.ok();
  if (split.ok()) out.statements = std::move(*split);
#endif
  return out;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  const bool variant = (data[0] & 1) != 0;
  const std::string_view script(reinterpret_cast<const char*>(data + 1), size - 1);
  const Split first = SplitOnce(script, variant);
  const int lines = 1 + static_cast<int>(std::count(script.begin(), script.end(), '\n'));
  int previous = 1;
  for (const cutover::ScriptStatement& s : first.statements) {
    FUZZ_CHECK(s.line >= previous && s.line <= lines);
    previous = s.line;
  }
  const Split second = SplitOnce(script, variant);
  FUZZ_CHECK(second.ok == first.ok && second.statements.size() == first.statements.size());
  return 0;
}
