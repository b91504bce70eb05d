// Text helpers of the PostgreSQL driver that need no client library: script
// splitting, quoting, JSON lists from the catalog, normalizations, the COPY
// statements and the checks of a record's form. Built as a
// static library linked into the plugin and into postgresql_driver_test, which
// unit-tests it directly.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"
#include "driver/driver.h"  // ScriptStatement (a plain struct: no link dependency)

namespace cutover::postgresql {

// Splits a SQL script into statements the way psql does: semicolons inside
// '...', E'...', "...", $tag$...$tag$, comments (-- and nested /* */),
// parentheses and the BEGIN ... END body of CREATE FUNCTION/PROCEDURE do not
// end a statement. Statements made only of whitespace and comments are
// dropped. An unterminated quote, dollar quote or block comment swallows
// the rest of the script; when `unterminated` is given it receives what was
// left open and the line it opened on (kind empty when all is closed).
struct Unterminated {
  std::string kind;  // "string", "quoted identifier", "dollar-quoted string", "comment"
  int line = 0;
};
std::vector<ScriptStatement> SplitScript(std::string_view script, Unterminated* unterminated = nullptr);

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

// timezone(zone, value) written as the operator PostgreSQL prints for
// `value AT TIME ZONE zone`: "(value AT TIME ZONE zone)". The two are the
// same expression, stored as whichever form was typed. Literals and quoted
// names are left alone; calls nest.
std::string NormalizeTimezoneCalls(std::string_view expr);

// An array of cast literals cast as a whole, written the way PostgreSQL
// prints the same expression once it re-reads it: "(ARRAY['a'::character
// varying])::text[]" becomes "ARRAY[('a'::character varying)::text]", and
// (pretty-printed views) "ARRAY['a'::character varying]::text[]" becomes
// "ARRAY['a'::character varying::text]". `status IN ('a', 'b')` on a varchar
// column is stored in the first form and comes back from a restore in the
// second. Only arrays whose every element is a cast string literal change.
std::string NormalizeArrayCasts(std::string_view expr);

// A column or domain default as stored (pg_get_expr), whitespace collapsed,
// timezone() calls and array casts normalized; now() and transaction_timestamp() become
// CURRENT_TIMESTAMP.
std::string NormalizeDefault(std::string_view expr);

// The WHEN condition (without its outer parentheses) of a
// pg_get_triggerdef() text; empty when there is none.
std::string TriggerWhen(std::string_view triggerdef);

// The version of a `pg_dump --version` line ("pg_dump (PostgreSQL) 15.14
// (Debian ...)") as a server_version_num-style number: 150014, 110000,
// 90624 for 9.6.24. nullopt when the text holds no version.
std::optional<int> ParsePgDumpVersion(std::string_view text);

// The major version of a server_version_num-style number, as PostgreSQL
// names it: "15" for 150018, "9.6" for 90624.
std::string MajorVersionName(int version_num);

// pg_dump output with the psql meta-command lines \restrict KEY and
// \unrestrict KEY (pg_dump 15.14, 16.10, 17.6 and later) removed: they are
// not SQL and ExecuteScript() sends statements to the server, not to psql.
std::string StripRestrictLines(std::string_view dump);

// The COPY text of a table's data, for ExportRows/ImportRows: `columns`
// quoted in order (an empty list means every non-generated column, which
// is what COPY does without a list); `binary`: COPY's binary format.
std::string CopyOutSql(std::string_view schema, std::string_view name,
                       const std::vector<std::string>& columns, std::string_view predicate,
                       bool binary = false);
std::string CopyInSql(std::string_view schema, std::string_view name, const std::vector<std::string>& columns,
                      bool binary = false);

// The two forms of a record (DataTable::record_format): one line of COPY
// text, '\n' included ("" in the manifest), or one COPY BINARY tuple
// ("binary"): int16 field count, then per field an int32 length (-1: NULL)
// and its bytes, without the stream's header and trailer.
enum class CopyForm { kText, kBinary };
inline constexpr char kBinaryRecordFormat[] = "binary";
// kInvalidInput naming the table for a form this driver does not know.
Result<CopyForm> CopyFormOf(const DataTable& table, const std::string& what);
// Why `record` is not one COPY BINARY tuple of `fields` fields (any count
// when `fields` < 0), or "" when it is one.
std::string BinaryTupleProblem(std::string_view record, int fields);
// Why `record` is not one record of `form` (BinaryTupleProblem, or a text
// line's: no final newline, a newline inside, the end-of-data marker), or "".
std::string RecordProblem(std::string_view record, CopyForm form, int fields);

// The binary COPY stream around the tuples: its 19-byte header (signature,
// no flags, no extension), which an import sends first, and its trailer
// (a field count of -1), sent last.
std::string BinaryHeader();
inline constexpr std::string_view kBinaryTrailer("\xff\xff", 2);
// Removes the stream header from the first message of a binary COPY out;
// kQuery naming `what` when the server's stream does not start with one.
Status StripBinaryHeader(std::string_view& data, const std::string& what);

// "schema"."name" (or "name" when schema is empty), for SQL and messages.
std::string QualifiedName(std::string_view schema, std::string_view name);

}  // namespace cutover::postgresql
