// Driver::ExecuteScript and the statement classification for SQLite. The
// splitter both use is in sqlite_script_split.cc (server-free, fuzzed).
#include <string>
#include <vector>

#include "base/strings.h"
#include "driver/driver_helpers.h"
#include "sqlite_internal.h"

namespace cutover::sqlite {

// Split by the same splitter as SplitScript, so that a script runs exactly as
// the plan reader and lint saw it; each statement keeps its script line in
// messages. A transaction the script opened and left open by a failure is
// rolled back, as SQLite's own shell does.
Status SqliteConnection::ExecuteScript(std::string_view script) {
  return Guarded(display_, [&]() -> Status {
    auto statements = SplitSqliteScript(script);
    if (!statements.ok()) return statements.status().WithContext(display_);
    const bool was_autocommit = sqlite3_get_autocommit(db_) != 0;
    for (const ScriptStatement& s : *statements) {
      // With its ';', so that SQLite's syntax errors point where they did
      // in the script ("near ';'", not "incomplete input").
      Status st = Run(s.text + ";", ExecOptions{}, nullptr, s.line);
      if (!st.ok()) return AfterFailure(st, was_autocommit);
    }
    return Status::Ok();
  });
}

Result<std::vector<ScriptStatement>> SqliteDriver::SplitScript(std::string_view script) const {
  return Guarded("sqlite SplitScript",
                 [&]() -> Result<std::vector<ScriptStatement>> { return SplitSqliteScript(script); });
}

StatementClass SqliteDriver::ClassifyStatement(std::string_view statement) const {
  return ClassifyCommonStatement(statement, {.backslash_escapes = false, .escape_string_prefix = false});
}

// Names are kept as written; SQLite compares them case-insensitively, and so
// does the core when it matches names to tables (rehearse/meter.h).
std::vector<std::string> SqliteDriver::ReferencedNames(std::string_view statement) const {
  return IdentifierChains(statement, {.bracket_identifiers = true}, IdentifierFolding::kNone);
}

}  // namespace cutover::sqlite
