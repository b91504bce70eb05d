// Scripts on PostgreSQL: ExecuteScript() runs a script statement by
// statement, split by the text helpers of postgresql_script_text.cc.
#include <libpq-fe.h>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdlib>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "base/strings.h"
#include "base/uri.h"
#include "driver/driver_helpers.h"
#include "postgresql_internal.h"

namespace cutover::postgresql {

Status PgConnection::ExecuteScript(std::string_view script) {
  CUTOVER_RETURN_IF_ERROR(CheckUsable());
  if (script.find('\0') != std::string_view::npos) {
    return Status::InvalidInput("the script contains a NUL byte, which PostgreSQL cannot accept in SQL text");
  }
  const std::vector<ScriptStatement> statements = SplitScript(script);
  const bool caller_tx = in_tx_;
  size_t done = 0;
  for (const ScriptStatement& st : statements) {
    Status failed = Guarded(
        "running line " + std::to_string(st.line) + ": " + Describe(st.text) + " on " + display_, [&] {
          UndoOnThrow([&] { nt_->exec(st.text); }, [&] { Track(st.text, false); });
          Track(st.text, true);
          return Status::Ok();
        });
    if (failed.ok()) {
      ++done;
      continue;
    }
    std::string next;
    if (done == 0) {
      next = "no earlier statement of the script ran";
    } else if (caller_tx) {
      next = std::to_string(done) + " earlier statement(s) ran inside the open transaction";
    } else {
      next = std::to_string(done) + " earlier statement(s) were applied";
    }
    if (!caller_tx && in_tx_) {
      // The script opened a transaction block (BEGIN): roll it back
      // rather than leave the session inside an aborted one.
      QuietExec("ROLLBACK");
      in_tx_ = false;
      tx_failed_ = false;
      next += "; the transaction block the script opened was rolled back";
    } else if (in_tx_) {
      next += "; the transaction is aborted: roll it back";
    }
    return failed.WithContext("script failed at statement " + std::to_string(done + 1) + " of " +
                              std::to_string(statements.size()) + " (" + next + ")");
  }
  return Status::Ok();
}

Result<std::vector<ScriptStatement>> PgDriver::SplitScript(std::string_view script) const {
  Unterminated open;
  std::vector<ScriptStatement> statements = postgresql::SplitScript(script, &open);
  if (!open.kind.empty()) {
    return Status::InvalidInput("the script has an unterminated " + open.kind + " starting on line " +
                                std::to_string(open.line) +
                                "; close it (everything after it would be swallowed)");
  }
  return statements;
}

}  // namespace cutover::postgresql

namespace cutover::postgresql {

// pg_dump scripts set their search path with a SELECT:
//   SELECT pg_catalog.set_config('search_path', '', false);
StatementClass PgDriver::ClassifyStatement(std::string_view statement) const {
  const QuotingRules rules{.backslash_escapes = false, .escape_string_prefix = true};
  const std::vector<std::string> t = TopLevelTokens(statement, 4, rules);
  if (t.size() == 4 && ToUpper(t[0]) == "SELECT" && ToUpper(t[1]) == "PG_CATALOG" && t[2] == "." &&
      ToUpper(t[3]) == "SET_CONFIG") {
    return {StatementClass::Kind::kSessionSetting, {}, false};
  }
  return ClassifyCommonStatement(statement, rules);
}

}  // namespace cutover::postgresql

namespace cutover::postgresql {

// Unquoted names fold to lower case; $$ bodies and E'...' strings are not names.
std::vector<std::string> PgDriver::ReferencedNames(std::string_view statement) const {
  return IdentifierChains(statement, {.escape_string_prefix = true, .dollar_quotes = true},
                          IdentifierFolding::kLower);
}

}  // namespace cutover::postgresql
