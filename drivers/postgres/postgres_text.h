// Text helpers of the PostgreSQL driver that need no client library: script
// splitting, quoting, JSON lists from the catalog, normalizations. Built as a
// static library linked into the plugin and into postgres_driver_test, which
// unit-tests it directly.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace cutover::postgres {

// One statement of a script, as SplitScript() found it.
struct ScriptStatement {
  std::string text;  // without the terminating ';'
  int line = 1;      // 1-based line of its first significant character
};

// Splits a SQL script into statements the way psql does: semicolons inside
// '...', E'...', "...", $tag$...$tag$, comments (-- and nested /* */),
// parentheses and the BEGIN ... END body of CREATE FUNCTION/PROCEDURE do not
// end a statement. Statements made only of whitespace and comments are
// dropped.
std::vector<ScriptStatement> SplitScript(std::string_view script);

// The first line of a statement with leading comments and whitespace
// skipped, truncated to `max` bytes: how messages name a statement.
std::string FirstLine(std::string_view sql, size_t max = 120);

// The first keyword of a statement (lower-cased, leading comments skipped);
// "(" when the statement starts with a parenthesis.
std::string FirstKeyword(std::string_view sql);

// How a statement changes the session's transaction block: +1 opens one
// (BEGIN, START TRANSACTION), -1 ends it (COMMIT, END, ROLLBACK, ABORT,
// PREPARE TRANSACTION), 0 neither (ROLLBACK TO SAVEPOINT, COMMIT AND CHAIN,
// COMMIT PREPARED, every other statement).
int TransactionEffect(std::string_view sql);

// Identifier and literal quoting. Identifiers are always quoted; literals
// containing a backslash use the E'' form, which means the same whatever
// standard_conforming_strings says.
std::string QuoteIdent(std::string_view name);
std::string QuoteLit(std::string_view value);

// Parses a JSON array of strings as PostgreSQL's to_json/json_agg print it
// (all JSON escapes, \uXXXX with surrogate pairs). nullopt on anything else.
std::optional<std::vector<std::string>> ParseJsonStringArray(std::string_view json);

// Parses the text form of an integer array or vector as the catalog prints
// it: "{1,2}" (int2[]), "1 2" (int2vector, oidvector), "" or "{}" (empty).
// nullopt on anything else.
std::optional<std::vector<long long>> ParseIntList(std::string_view text);

// A cleaned client-library message: secrets scrubbed, libpq's "ERROR:"
// prefix removed, lines trimmed and joined with " | ".
std::string CleanMessage(std::string_view message);

// A column or domain default as stored (pg_get_expr), whitespace collapsed;
// now() and transaction_timestamp() become CURRENT_TIMESTAMP.
std::string NormalizeDefault(std::string_view expr);

// The WHEN condition (without its outer parentheses) of a
// pg_get_triggerdef() text; empty when there is none.
std::string TriggerWhen(std::string_view triggerdef);

}  // namespace cutover::postgres
