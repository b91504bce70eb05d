// Internal declarations of the MySQL/MariaDB driver plugin.
//
// The plugin is split so that the parts without a client-library dependency
// (script splitting, normalization of catalog text, building the schema model
// from catalog rows) can be unit-tested without a server:
//   mysql_script.cc     statement splitting (DELIMITER, comments, quotes)
//   mysql_normalize.cc  normalization of types, defaults, expressions, views
//   mysql_schema.cc     the catalog queries and the model they produce
//   mysql_driver.cc     Connector/C++: Driver, Connection, errors, timeouts
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"
#include "driver/driver.h"
#include "driver/schema_model.h"

namespace cutover::mysql_driver {

// ---- mysql_script.cc -------------------------------------------------------

struct ScriptStatement {
  std::string text;  // the statement as sent, without its delimiter
  int line = 0;      // 1-based line of the statement's first significant character
  // Where splitting resumes after this statement (offset in the input, just
  // past the delimiter), the line there and the delimiter then in force: a
  // statement that changes sql_mode (NO_BACKSLASH_ESCAPES) changes how the
  // rest of the script must be split.
  size_t end = 0;
  int end_line = 1;
  std::string delimiter_after = ";";
};

// Splits a script the way the mysql/mariadb command-line client does:
// honours the DELIMITER command (at the start of a statement), skips
// -- comments (dash dash space), # comments and /* */ comments that precede a
// statement, keeps comments inside statements and keeps executable comments
// (/*! ... */, /*M! ... */, /*+ ... */) as statement text. Single and double
// quoted strings (backslash escapes unless `backslash_escapes` is false,
// doubled quotes) and backquoted identifiers never end a statement.
// Errors (kInvalidInput) name the line of an unterminated string, identifier
// or comment, or of a DELIMITER command without a value.
// `first_line` and `delimiter` let a caller resume splitting in the middle;
// `max_statements` stops after that many statements (lazy splitting).
Result<std::vector<ScriptStatement>> SplitScript(std::string_view script, bool backslash_escapes = true,
                                                 int first_line = 1, std::string delimiter = ";",
                                                 size_t max_statements = SIZE_MAX);

// The first line of a statement, trimmed and cut to `max_chars`, for messages.
std::string FirstLine(std::string_view statement, size_t max_chars = 100);

// ---- mysql_normalize.cc ----------------------------------------------------

// Server flavor, detected from VERSION(): MariaDB or Oracle MySQL.
enum class Flavor { kMariaDb, kMySql };

// Lower-cases ASCII letters outside '...' and "..." literals.
std::string LowerOutsideStrings(std::string_view sql);

// An expression as stored by the server (CHECK clause, generation expression,
// default expression, partition expression, functional index key), in one
// form for both flavors: MySQL's \' escaping undone, charset introducers
// (_utf8mb4'x') removed, simple backquoted identifiers unquoted, everything
// outside string literals lower-cased, whitespace collapsed, redundant outer
// parentheses removed.
std::string NormalizeExpression(std::string_view expr, Flavor flavor);

// COLUMN_TYPE lower-cased (outside enum/set labels) without integer display
// widths: int(11) -> int, int(10) unsigned -> int unsigned, year(4) -> year.
// tinyint(1) (bool) and zerofill columns keep their width.
std::string NormalizeColumnType(std::string_view column_type);

// True for column types whose literal defaults are numbers (not quoted).
bool IsNumericType(std::string_view normalized_type);

// COLUMN_DEFAULT in MariaDB's form: quoted string literals ('abc'), bare
// numbers, lower-case expressions (current_timestamp()). An absent default or
// an explicit NULL default is nullopt. `extra` is the column's EXTRA.
std::optional<std::string> NormalizeDefault(const std::optional<std::string>& column_default,
                                            std::string_view normalized_type, std::string_view extra,
                                            Flavor flavor);

// "on update current_timestamp(3)" part of EXTRA, as "current_timestamp(3)";
// nullopt when the column has no ON UPDATE clause.
std::optional<std::string> OnUpdateFromExtra(std::string_view extra);

// utf8_general_ci -> utf8mb3_general_ci (the same collation, renamed).
std::string NormalizeCollation(std::string_view collation);

// VIEW_DEFINITION with every `database`. qualifier (outside literals)
// removed, so that databases with different names compare, column names
// (`t`.`Col`, AS `Col`) lower-cased and whitespace collapsed outside quotes.
std::string NormalizeViewDefinition(std::string_view definition, std::string_view database);

// Quotes an identifier with backticks, doubling embedded backticks.
std::string QuoteIdent(std::string_view name);
// Quotes a string literal; escapes backslashes too unless the session runs
// with NO_BACKSLASH_ESCAPES.
std::string QuoteString(std::string_view value, bool backslash_escapes);

// ---- mysql_schema.cc -------------------------------------------------------

// What ReadSchema needs to know about the session.
struct SchemaContext {
  std::string database;
  Flavor flavor = Flavor::kMariaDb;
  int version_number = 0;  // 101119, 80036
  int lower_case_table_names = 0;
  std::string server_version;
  bool backslash_escapes = true;
};

// Runs one catalog query; calls on_row for every row. Errors are returned.
using CatalogQuery = std::function<Status(const std::string& sql, const RowCallback& on_row)>;

// Reads the schema of ctx.database with a fixed number of catalog queries
// (independent of the number of tables) and returns the sorted model.
Result<SchemaModel> ReadSchemaWith(const CatalogQuery& query, const SchemaContext& ctx);

}  // namespace cutover::mysql_driver
