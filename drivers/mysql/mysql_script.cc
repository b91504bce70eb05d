// Scripts on MySQL/MariaDB: ExecuteScript() runs a script statement by
// statement, split as the mysql command-line client splits it
// (mysql_script_split.cc), following sql_mode changes that alter splitting.
#include <algorithm>
#include <atomic>
#include <cctype>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <span>
#include <string>
#include <string_view>
#include <thread>
#include <tuple>
#include <utility>
#include <vector>

#include "base/strings.h"
#include "base/uri.h"
#include "driver/driver_helpers.h"
#include "mysql_internal.h"

namespace cutover::mysql {

Status MysqlConnection::ExecuteScript(std::string_view script) {
  // Split everything first, so that a malformed script runs nothing. A
  // statement that turns NO_BACKSLASH_ESCAPES on or off changes how the
  // rest must be split: from there on, split lazily, one statement at a
  // time, with the mode then in force (as the mysql client does).
  auto all = SplitScript(script, ctx_.backslash_escapes);
  if (!all.ok() && !MentionsSqlMode(script)) return all.status().WithContext("script for " + display_uri_);
  bool lazy = !all.ok();
  size_t next = 0;    // eager: index in *all
  size_t offset = 0;  // lazy: where the rest of the script starts
  int line = 1;       // lazy: its line
  std::string delimiter = ";";
  while (true) {
    SplitStatement s;
    if (!lazy) {
      if (next >= all->size()) break;
      s = (*all)[next++];
    } else {
      auto one = SplitScript(script.substr(offset), ctx_.backslash_escapes, line, delimiter, 1);
      if (!one.ok()) return one.status().WithContext("script for " + display_uri_);
      if (one->empty()) break;
      s = std::move(one->front());
      s.end += offset;
    }
    std::string what = "script line " + std::to_string(s.line) + ", statement '" + FirstLine(s.text) +
                       "' on " + display_uri_;
    CUTOVER_RETURN_IF_ERROR(Guarded(what, nullptr, [&]() -> Status { return RunAndDrain(s.text).status(); }));
    if (MentionsSqlMode(s.text)) {
      bool before = ctx_.backslash_escapes;
      RefreshSqlMode();
      if (ctx_.backslash_escapes != before) lazy = true;
    }
    offset = s.end;
    line = s.end_line;
    delimiter = s.delimiter_after;
  }
  return Status::Ok();
}

Result<std::vector<cutover::ScriptStatement>> MysqlDriver::SplitScript(std::string_view script) const {
  auto split = mysql::SplitScript(script);
  if (!split.ok()) return split.status();
  std::vector<cutover::ScriptStatement> out;
  out.reserve(split->size());
  for (SplitStatement& s : *split) out.push_back(std::move(s));
  return out;
}

}  // namespace cutover::mysql

namespace cutover::mysql {

// Dump scripts are written with backslash escapes in strings (the server
// default; a dump under NO_BACKSLASH_ESCAPES doubles quotes, which reads the
// same).
StatementClass MysqlDriver::ClassifyStatement(std::string_view statement) const {
  return ClassifyCommonStatement(statement, {.backslash_escapes = true, .escape_string_prefix = false});
}

}  // namespace cutover::mysql

namespace cutover::mysql {

// Table names are case-sensitive on Linux (lower_case_table_names=0): no folding.
// Double quotes are strings without ANSI_QUOTES, the default sql_mode.
std::vector<std::string> MysqlDriver::ReferencedNames(std::string_view statement) const {
  return IdentifierChains(statement,
                          {.backslash_escapes = true, .double_quote_strings = true, .hash_comments = true},
                          IdentifierFolding::kNone);
}

}  // namespace cutover::mysql
