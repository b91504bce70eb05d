// Internal declarations of the MySQL/MariaDB driver plugin.
//
// The plugin is split so that the parts without a client-library dependency
// (script splitting, normalization of catalog text, building the schema model
// from catalog rows) can be unit-tested without a server:
//   mysql_script.cc     statement splitting (DELIMITER, comments, quotes)
//   mysql_schema_normalize.cc  normalization of types, defaults, expressions, views
//   mysql_schema.cc     the catalog queries and the model they produce
//   mysql_ddl.cc       snapshot records (LOAD DATA lines) and SHOW CREATE surgery
//   mysql_bulk_pipe.cc       the named pipe that feeds LOAD DATA LOCAL INFILE
//   mysql_driver.cc     Connector/C++: Driver, Connection, errors, timeouts,
//                       snapshots, bulk export and import
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"
#include "driver/driver.h"
#include "driver/schema_model.h"

namespace cutover::mysql {

// ---- mysql_script.cc -------------------------------------------------------

// A statement as the splitter found it: the public ScriptStatement (text
// without its delimiter, 1-based line of its first significant character)
// plus where splitting resumes after it (offset in the input, just past the
// delimiter), the line there and the delimiter then in force: a statement
// that changes sql_mode (NO_BACKSLASH_ESCAPES) changes how the rest of the
// script must be split.
struct SplitStatement : ScriptStatement {
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
Result<std::vector<SplitStatement>> SplitScript(std::string_view script, bool backslash_escapes = true,
                                                int first_line = 1, std::string delimiter = ";",
                                                size_t max_statements = SIZE_MAX);

// The first line of a statement, trimmed and cut to `max_chars`, for messages.
std::string FirstLine(std::string_view statement, size_t max_chars = 100);

// ---- mysql_schema_normalize.cc ----------------------------------------------------

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

// ---- error numbers --------------------------------------------------------

// Server and client error numbers the driver treats specially.
inline constexpr int kErDbCreateExists = 1007;
inline constexpr int kErDbAccessDenied = 1044;
inline constexpr int kErAccessDenied = 1045;
inline constexpr int kErBadDb = 1049;
inline constexpr int kErTooLongIdent = 1059;
inline constexpr int kErWrongDbName = 1102;
inline constexpr int kErLockWaitTimeout = 1205;
inline constexpr int kErAccessDeniedNoPassword = 1698;
inline constexpr int kErErrorDuringCommit = 1180;
inline constexpr int kErNotAllowedCommand = 1148;         // LOAD DATA LOCAL with local_infile=OFF
inline constexpr int kErSpecificAccessDenied = 1227;      // a global privilege (RELOAD) is missing
inline constexpr int kErLocalInfileDisabled = 3948;       // MySQL 8: local_infile off on either side
inline constexpr int kCrLocalInfileRejected = 2068;       // the client library refused the file request
inline constexpr int kErConnectionKilled = 1927;          // MariaDB
inline constexpr int kErStatementTimeout = 1969;          // MariaDB max_statement_time
inline constexpr int kErQueryTimeout = 3024;              // MySQL max_execution_time
inline constexpr int kErClientInteractionTimeout = 4031;  // MySQL 8.0.24+: disconnected for inactivity
inline constexpr int kCrConnectionError = 2002;
inline constexpr int kCrConnHostError = 2003;
inline constexpr int kCrUnknownHost = 2005;
inline constexpr int kCrServerGone = 2006;
inline constexpr int kCrServerLost = 2013;
inline constexpr int kCrServerLostExtended = 2055;

inline bool IsConnectionLoss(int code) {
  return code == kCrServerGone || code == kCrServerLost || code == kCrServerLostExtended ||
         code == kErConnectionKilled || code == kErClientInteractionTimeout || code == kCrConnectionError ||
         code == kCrConnHostError;
}

// ---- mysql_ddl.cc ---------------------------------------------------------
//
// A snapshot record is one LOAD DATA line: fields separated by '\t', ended by
// '\n', NULL as \N, and in each value the bytes \\, \t, \n, \r and NUL
// escaped with a backslash (NUL as \0). Values are the server's bytes
// unconverted (character_set_results=binary on export, CHARACTER SET binary
// on load), so every character set round-trips exactly.

// Appends `value`, escaped, to `out`.
void AppendLoadDataField(std::string& out, std::string_view value);
// kInvalidInput unless `record` is one line (ending in '\n', no other raw
// newline) of exactly `columns` fields.
Status CheckLoadDataRecord(std::string_view record, size_t columns);
// The error for a load the server answered with warnings (strict sql_mode
// leaves some, and any would mean changed or dropped values): `what` is the
// load ("loading table `t` into URI"), `shown` the first warnings as
// "Level Code: Message", `code` the first one's number.
Status LoadWarningsError(const std::string& what, const std::string& total,
                         const std::vector<std::string>& shown, const std::string& code);

// One value of a record after UnescapeLoadDataRecord: NULL, or the bytes
// [offset, offset + length) of the arena it was unescaped into. Offsets, not
// pointers, so the arena may grow while a batch is collected.
struct LoadDataField {
  size_t offset = 0;
  size_t length = 0;
  bool null = false;
};
// Checks `record` as CheckLoadDataRecord does, appends its unescaped values
// to `arena` and one LoadDataField per column to `fields`. On failure
// neither is changed.
Status UnescapeLoadDataRecord(std::string_view record, size_t columns, std::string& arena,
                              std::vector<LoadDataField>& fields);
// The values of a record (nullopt for \N), unescaped: for the INSERT path.
Result<std::vector<std::optional<std::string>>> ParseLoadDataRecord(std::string_view record, size_t columns);

// SHOW CREATE TABLE output split for a restore script: the statement without
// its FOREIGN KEY definitions, and those definitions ("CONSTRAINT `fk`
// FOREIGN KEY ...") for ALTER TABLE ... ADD after the data is loaded.
// With defer_secondary_keys, also the plain and unique secondary keys ("KEY
// `k` (...)", "UNIQUE KEY `u` (...)") for one ALTER TABLE ... ADD after the
// data: a table restored in several key ranges without MariaDB's bulk load
// would otherwise update them row by row at random places (35 % slower on
// a table much bigger than the buffer pool, docs/performance.md). Only when
// the table has a PRIMARY KEY (else InnoDB would cluster on the first
// unique key and the ALTER would rebuild the table) and no AUTO_INCREMENT
// column that only a secondary key covers; FULLTEXT, SPATIAL, hash and
// WITHOUT OVERLAPS keys stay. ADD KEY keeps SHOW CREATE TABLE's key order
// (primary, unique, then the others in creation order), so the restored
// table reads back identical.
struct CreateTableParts {
  std::string create_table;
  std::vector<std::string> foreign_keys;
  std::vector<std::string> secondary_keys;
};
Result<CreateTableParts> SplitCreateTable(std::string_view create, bool defer_secondary_keys = false);

// `create` without the table option `option` (" PAGE_CHECKSUM=1"), looked
// for only after the column list and outside quotes. SHOW CREATE TABLE shows
// Aria's implicit PAGE_CHECKSUM=1; restored verbatim it would become an
// explicit option and the restored table would differ from the source.
std::string DropTableOption(std::string_view create, std::string_view option);

// A SHOW CREATE VIEW/TRIGGER/PROCEDURE/FUNCTION/EVENT statement without its
// DEFINER=user@host clause, so that another user can restore it (the
// restoring user becomes the definer). Unchanged when there is none.
std::string StripDefiner(std::string_view statement);

// `statement` without the qualifier `database`. in front of names (outside
// string literals): SHOW CREATE TABLE writes it in NEXTVAL(`db`.`seq`)
// defaults, which must name the restored database's sequence.
std::string RemoveDatabaseQualifier(std::string_view statement, std::string_view database);

// A DELIMITER for a script block that occurs nowhere in `text`.
std::string ChooseDelimiter(std::string_view text);

// Creation order for views: a view comes after every view whose quoted name
// occurs in its definition; otherwise by name. Returns indexes into `names`.
std::vector<size_t> OrderViews(const std::vector<std::string>& names,
                               const std::vector<std::string>& definitions);

// ---- mysql_bulk_pipe.cc ---------------------------------------------------------

// A named pipe in a private directory (mode 0700, removed on destruction)
// through which ImportRows streams records to the client library, which
// reads it as the file of LOAD DATA LOCAL INFILE. The pipe is opened for
// reading here too, so that the write end never blocks on open and never
// gets SIGPIPE: whether the client library opened it, read it all or gave up
// is told by the bytes left in the pipe and by `reader_done`.
class LoadPipe {
 public:
  static Result<std::unique_ptr<LoadPipe>> Create();
  ~LoadPipe();
  LoadPipe(const LoadPipe&) = delete;
  LoadPipe& operator=(const LoadPipe&) = delete;

  const std::string& path() const { return path_; }
  // Writes all of `data`, waiting while the pipe is full. kIo when
  // `reader_done` becomes true first (the statement ended).
  Status Write(std::string_view data, const std::atomic<bool>& reader_done);
  // Waits until the reader took every byte written (so it has the pipe
  // open) or `reader_done`. Returns true when drained.
  bool WaitDrained(const std::atomic<bool>& reader_done);
  // Ends the data: the reader sees end of file once it took every byte.
  void CloseWriteEnd();
  // Removes the pipe's name and directory; open ends keep working. Called as
  // soon as the reader has the pipe open, so that a process killed in the
  // middle of a load leaves nothing behind in the temporary directory.
  void RemoveName();
  std::uint64_t bytes_written() const { return written_; }

 private:
  LoadPipe() = default;
  std::string dir_;
  std::string path_;
  int read_fd_ = -1;
  int write_fd_ = -1;
  std::uint64_t written_ = 0;
};

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

}  // namespace cutover::mysql
