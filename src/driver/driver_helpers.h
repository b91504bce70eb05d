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
  // $$...$$ and $tag$...$tag$ are strings (PostgreSQL function bodies).
  bool dollar_quotes = false;
  // "..." is a string, not an identifier (MySQL without ANSI_QUOTES).
  bool double_quote_strings = false;
  // [...] is a quoted identifier (SQLite, for compatibility with others).
  bool bracket_identifiers = false;
  // '#' starts a comment to the end of the line (MySQL).
  bool hash_comments = false;
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

// The names among `wanted` that the first column of `list_sql` does not
// return, in the order given: Connection::MissingRoles over the engine's
// list of roles or accounts.
Result<std::vector<std::string>> NotListedBy(Connection& conn, const std::string& list_sql,
                                             const std::vector<std::string>& wanted);

}  // namespace cutover

namespace cutover {

// ---- Rehearsals (API v6) ---------------------------------------------------

// How an engine folds unquoted identifiers (Driver::ReferencedNames).
enum class IdentifierFolding { kLower, kNone };

// Driver::ReferencedNames by the engine's rules: every identifier chain of
// `statement` at any depth, quoted parts unquoted, unquoted parts folded,
// chains joined with '.', SQL keywords dropped (a keyword inside a chain is
// kept: "t.key"), in order of first appearance without duplicates. Strings,
// numbers, comments and parameters ($1, ?) are not names.
std::vector<std::string> IdentifierChains(std::string_view statement, const QuotingRules& rules,
                                          IdentifierFolding folding);

// `table` quoted by `conn`: "schema"."name", or "name" without a schema.
std::string QuotedTable(const Connection& conn, const TableId& table);

// Counts the rows of each table whose estimate is negative (the engine has
// no statistics for it) and marks it exact: the last step of the drivers'
// Connection::EstimatedRowCounts.
Status CountRowsWithoutEstimate(Connection& conn, std::vector<TableRowEstimate>& estimates);

// One column of a table, as Connection::ProbeStatementsFor needs it.
struct ProbeColumn {
  std::string name;      // as stored, unquoted
  bool key = false;      // part of the primary key (or the engine's row id)
  bool writable = true;  // a no-op UPDATE may set it (not generated, not an always-identity)
};

// The engine-neutral part of Connection::ProbeStatementsFor: samples up to
// `keys` keys of `table` (already quoted and qualified) in random order
// (`random_function`: "random()", "RAND()"), builds one read per key and one
// no-op UPDATE per key of the first writable column that passes a trial run
// (Begin, Execute, Rollback on `conn`, so nothing changes). `columns` in the
// order the engine lists them; without key columns, reads take the first
// row and there are no write probes (a note says so).
Result<ProbeStatements> BuildProbeStatements(Connection& conn, const std::string& table,
                                             const std::vector<ProbeColumn>& columns,
                                             std::string_view random_function, int keys);

}  // namespace cutover
