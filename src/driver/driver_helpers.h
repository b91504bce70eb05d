// Helpers the driver plugins share (linked into every plugin through
// cutover_driver_api), so that the same logic is written once.
//
// Statement classification: the shared part of Driver::ClassifyStatement
// (driver/driver.h).
//
// A restore runs the index builds of a post-data script on several
// connections and everything else in order on one. Deciding which statement
// is which needs a tokenizer that is not fooled by quotes and comments, and
// quoting rules differ per engine (MySQL's backslash escapes, PostgreSQL's
// E'...' strings). The driver passes its engine's rules; this code knows only
// the statement shapes common to the engines' dump scripts:
//   SET ...                                   a session setting
//   CREATE [UNIQUE] INDEX ... ON [ONLY] table an index build
//   ALTER TABLE [ONLY] table ADD [CONSTRAINT x] PRIMARY KEY|UNIQUE|KEY|INDEX ...
//                                             an exclusive index build
// Anything it cannot read with certainty is kOther, which is always safe
// (it runs in order on one connection). Never throws; no allocation beyond
// the tokens of one statement's first `limit` top-level tokens.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "driver/driver.h"

namespace cutover {

struct QuotingRules {
  // '...' strings treat a backslash as an escape (MySQL without
  // NO_BACKSLASH_ESCAPES).
  bool backslash_escapes = false;
  // E'...' strings treat a backslash as an escape (PostgreSQL).
  bool escape_string_prefix = false;
};

// Tokens at parenthesis depth 0, at most `limit`. Quoted identifiers and
// strings keep their quotes; comments are skipped.
std::vector<std::string> TopLevelTokens(std::string_view statement, size_t limit, const QuotingRules& rules);

// The classification by the shapes above.
StatementClass ClassifyCommonStatement(std::string_view statement, const QuotingRules& rules);

}  // namespace cutover

namespace cutover {

// Runs a `SELECT count(*) ...` and says whether it counted anything: the
// shape of the drivers' existence checks (Connection::TableExists).
Result<bool> CountsAny(Connection& conn, const std::string& count_sql);

}  // namespace cutover
