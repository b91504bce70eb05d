// Internal declarations of the MySQL/MariaDB driver plugin, shared by its
// files (one per role, see docs/driver-interface.md, "A driver's files").
//
// The parts without a Connector/C++ dependency are unit-tested without a
// server (static library cutover_mysql_core):
//   mysql_script_split.cc      statement splitting (DELIMITER, comments, quotes)
//   mysql_schema_normalize.cc  normalization of types, defaults, expressions, views
//   mysql_schema_catalog.cc    the catalog queries and the model they produce
//   mysql_ddl_show_create.cc   SHOW CREATE surgery for restorable scripts
//   mysql_bulk_record.cc       snapshot records (LOAD DATA lines)
//   mysql_bulk_pipe.cc         the named pipe that feeds LOAD DATA LOCAL INFILE
// The Connector/C++ classes (MysqlConnection, MysqlDriver) are declared at
// the end; their methods are defined in the role files.
#pragma once

#include <cppconn/datatype.h>
#include <cppconn/exception.h>
#include <cppconn/resultset.h>
#include <cppconn/resultset_metadata.h>
#include <cppconn/statement.h>
#include <mysql_connection.h>
#include <mysql_driver.h>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"
#include "base/strings.h"
#include "base/uri.h"
#include "driver/driver.h"
#include "driver/schema_model.h"
#include "mysql_bulk_array_insert.h"

namespace cutover::mysql {

// ---- mysql_script_split.cc -------------------------------------------------------

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
inline constexpr int kErQueryInterrupted = 1317;  // KILL QUERY
inline constexpr int kErAccessDeniedNoPassword = 1698;
inline constexpr int kErErrorDuringCommit = 1180;
inline constexpr int kErUnknownTable = 1109;              // an information_schema table a plugin provides
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

// ---- mysql_bulk_record.cc, mysql_ddl_show_create.cc -------------------------
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

// The DEFINER=user@host clause of a CREATE VIEW/TRIGGER/PROCEDURE/FUNCTION/
// EVENT statement (from the statement's head only: a body may hold the
// word): [begin, end) with the spaces after it, or nullopt.
std::optional<std::pair<size_t, size_t>> FindDefiner(std::string_view statement);
// The statement with `definer` (SQL text: 'user'@'host' or CURRENT_USER) in
// place of its DEFINER clause; unchanged when there is none.
std::string ReplaceDefiner(std::string_view statement, std::string_view definer);

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

// ---- mysql_schema_catalog.cc -------------------------------------------------------

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

// ---- The session and the driver (Connector/C++) ---------------------------

// Opens another raw connection to the same URI, with or without the client
// capability for LOAD DATA LOCAL INFILE.
using Opener = std::function<Result<std::unique_ptr<sql::Connection>>(bool local_infile)>;

std::string ErrorSuffix(const sql::SQLException& e);

std::string Message(const sql::SQLException& e);

std::string FormatSeconds(std::chrono::milliseconds ms);

// A boolean URI parameter (validated by ParseEndpoint), `fallback` when absent.
bool FlagParam(const ConnectionUri& uri, const std::string& key, bool fallback);

// The first keyword of a statement, upper-cased, after comments and "(".
std::string FirstKeyword(std::string_view sql);

bool MentionsSqlMode(std::string_view sql);

// sql_mode of snapshot, export and schema-dump sessions: no mode that
// changes the text of values or of SHOW CREATE output (PAD_CHAR_TO_FULL_LENGTH,
// ANSI_QUOTES, NO_BACKSLASH_ESCAPES...).
constexpr const char* kDataSqlMode = "NO_AUTO_VALUE_ON_ZERO,NO_ENGINE_SUBSTITUTION";

// The endpoint and credentials of a URI, its parameters checked: socket=,
// connect_timeout=, local_infile= and array_insert= (both read where they
// apply). The password comes from the URI or MYSQL_PWD.
Result<Endpoint> ParseEndpoint(const ConnectionUri& uri);

// A session on a MySQL/MariaDB server through Connector/C++: owns the
// Connector connection and, while a snapshot or a load runs, the auxiliary
// connections it opened (barrier, loader). Every Connector call runs inside
// Guarded(), so errors come back as Status; a lost connection makes every
// later call kConnection.
class MysqlConnection final : public Connection {
 public:
  // `opener` is empty for auxiliary connections (barrier, loader), which
  // never open further ones. `local_infile` is false when the URI says
  // local_infile=0: ImportRows then always loads with INSERT.
  MysqlConnection(std::unique_ptr<sql::Connection> conn, ConnectionUri uri, Opener opener = {},
                  bool local_infile = false);
  ~MysqlConnection() override;

  // Reads version, session id, lower_case_table_names and sql_mode.
  Status Init();

  const ServerInfo& server_info() const override { return info_; }
  std::string display_uri() const override { return display_uri_; }

  std::string QuoteIdentifier(std::string_view name) const override { return QuoteIdent(name); }
  std::string QuoteLiteral(std::string_view value) const override;
  Result<std::int64_t> Execute(std::string_view sql, const ExecOptions& options) override;
  Status ExecuteScript(std::string_view script) override;
  Status Query(std::string_view sql, const RowCallback& on_row, const ExecOptions& options) override;

  // Out of line: a unit test that includes this header must not inline
  // them (through devirtualization) and so need the Connector code.
  Status Begin() override;
  Status Commit() override;
  Status Rollback() override;
  Result<SchemaModel> ReadSchema() override;

  std::string SessionId() override { return session_id_; }

  // ---- Migration lock: GET_LOCK is session-level (COMMIT does not release
  // it) and the server releases it when the connection ends.
  Status AcquireMigrationLock(std::chrono::milliseconds wait) override;
  Status ReleaseMigrationLock() override;

  bool TransactionalDdl() const override { return false; }

  // API v5 (definitions in the role files named beside each).
  Result<std::vector<std::string>> PhysicalRanges(const DataTable& table,
                                                  int parts) override;  // _snapshot.cc
  Status PrepareRestoreSession(bool scratch) override;                  // _bulk.cc
  Result<bool> TableExists(std::string_view name) override;             // _schema.cc
  Status BeginWrite(std::chrono::milliseconds lock_timeout) override;   // _connection.cc
  Status SetReadOnly() override;                                        // _connection.cc
  // API v6 (rehearsals)
  Result<ProbeStatements> ProbeStatementsFor(const TableId& table, int keys) override;  // _locks_rehearsal.cc
  Result<std::string> StorageIdentity(const TableId& table) override;                   // _locks_rehearsal.cc
  Result<std::vector<HeldLock>> LocksHeldBy(std::string_view session) override;         // _locks_rehearsal.cc
  Result<std::vector<SessionActivity>> OtherSessions() override;                        // _locks_rehearsal.cc
  Result<bool> AttachNeighbour(std::string_view name) override;                         // _locks_rehearsal.cc
  // API v7
  Status Cancel() override;                                    // _connection.cc
  Status StartRewriteLog() override;                           // _locks_rehearsal.cc
  Result<std::vector<std::string>> TakeRewriteLog() override;  // _locks_rehearsal.cc
  // API v9
  Result<std::vector<AccessStatement>> PlanAccess(const SchemaModel& model) override;  // _schema_access.cc
  Result<std::vector<std::string>> MissingRoles(
      const std::vector<std::string>& roles) override;  // _schema_access.cc
  Result<std::string> WithDefiner(std::string_view script,
                                  std::string_view definer) override;   // _schema_access.cc
  Result<std::vector<TableRowEstimate>> EstimatedRowCounts() override;  // _locks_rehearsal.cc
  Result<std::vector<LockWait>> LockWaits() override;

  // ---- Snapshots --------------------------------------------------------
  //
  // The barrier is held on a separate connection: on MariaDB it is BACKUP
  // STAGE START + BLOCK_COMMIT, on MySQL FLUSH TABLES WITH READ LOCK. BACKUP
  // STAGE is preferred on MariaDB because it does not flush tables: FTWRL
  // waits for every running statement (a long report query) to finish while
  // blocking all writers behind it; BLOCK_COMMIT only waits for commits in
  // progress and then holds commits (and writes to non-transactional
  // tables), which is all a consistent point needs. BACKUP STAGE END
  // implicitly commits the session's transaction, which is why the barrier
  // cannot share the coordinator's session. Closing the barrier connection
  // releases it too, so a crashed run never leaves the server locked.

  bool SupportsSharedSnapshot() const override { return true; }
  Result<SnapshotPoint> BeginSnapshot(const SnapshotOptions& options) override;
  Status JoinSnapshot(const SnapshotPoint& point) override;

  // With lock_nontransactional_tables (and such tables present) the barrier
  // stays until EndSnapshot: the non-transactional tables are read after
  // this call and only the barrier keeps them consistent. All writes on the
  // server wait until then; that is the price of the option.
  Status ReleaseSnapshotBarrier() override;
  Status EndSnapshot() override;
  Result<std::vector<DataTable>> ListDataTables() override;
  Result<SchemaScript> DumpSchemaScript() override;

  // ---- Bulk data ----------------------------------------------------------

  Status ExportRows(const DataTable& table, std::string_view predicate,
                    const RecordCallback& on_record) override;
  Result<std::int64_t> ImportRows(const DataTable& table, const RecordBatchSource& next_batch) override;
  Result<std::string> SnapshotImagePath() override;
  Result<bool> IsEmptyDatabase() override;
  Result<std::vector<std::string>> CheckIntegrity(std::string* checks_run) override;

 private:
  using TextRow = std::vector<std::optional<std::string>>;

  // OtherSessions' statement history (_locks_rehearsal.cc); whether the
  // server keeps one is asked once per connection.
  Status AddFinishedStatements(std::vector<SessionActivity>& sessions);
  std::optional<bool> statement_history_;

  // What ExportRows/ImportRows need to know about one column.
  struct ColumnType {
    std::string data_type;   // DATA_TYPE, lower case
    bool has_scale = false;  // FLOAT(M,D) / DOUBLE(M,D)
  };

  // The column list and SET clause of LOAD DATA, and how INSERT wraps values.
  struct LoadTarget {
    std::string column_list;                           // "`a`, @cutover_v1, `c`"
    std::string set_clause;                            // " SET `b` = CAST(@cutover_v1 AS UNSIGNED)" or ""
    std::vector<std::string> insert_columns;           // quoted names
    std::vector<std::string> wrap_before, wrap_after;  // around a value literal in INSERT
  };

  static std::string Col(const TextRow& r, size_t i) { return i < r.size() && r[i] ? *r[i] : std::string(); }
  static bool IsIntegerType(const std::string& t);
  static bool IsGeneratedColumn(const std::string& extra, const std::string& generation);
  Status RequireDatabase(const std::string& action) const;

  std::string DbLiteral() const { return QuoteString(ctx_.database, ctx_.backslash_escapes); }
  Status Run(std::string_view sql, const std::string& what);
  Result<std::vector<TextRow>> Fetch(const std::string& sql, const std::string& what);

  // ---- DumpSchemaScript() steps (mysql_ddl.cc) ----
  // The objects of the database a schema script recreates, by name.
  struct DumpObjects {
    std::vector<std::string> tables, views, sequences;
    std::set<std::string> implicit_page_checksum;  // Aria tables showing PAGE_CHECKSUM=1 they never set
    // Tables too big for the bulk load (UseBulkLoad, same estimate as
    // ListDataTables): their secondary keys come after the data.
    std::set<std::string> defer_keys;
  };
  // ALTER DATABASE with the database's default character set and collation.
  Status DumpDatabaseDefaults(const std::string& what, std::string& pre);
  Result<DumpObjects> ListDumpObjects(const std::string& what);
  // CREATE SEQUENCE and the position of each.
  Status DumpSequences(const std::vector<std::string>& sequences, std::string& pre);
  // CREATE TABLE without foreign keys (and without deferred secondary keys)
  // into `pre`; the ALTER TABLE ... ADD statements for those into
  // `deferred_keys`, secondary keys first.
  Status DumpTables(const DumpObjects& objects, std::string& pre, std::string& deferred_keys);
  Status DumpRoutines(const std::string& what, std::string& post);
  // Views in dependency order.
  Status DumpViews(const std::vector<std::string>& views, std::string& post);
  Status DumpTriggers(const std::string& what, std::string& post);
  Status DumpEvents(const std::string& what, std::string& post);

  // The statement column of a SHOW CREATE ... row.
  Result<std::string> ShowCreate(const std::string& sql, size_t column, const std::string& object);
  static std::string ModeLine(const std::string& sql_mode);
  // The client character set and connection collation an object was created
  // under (they decide how its body's literals are read), set around its
  // CREATE statement, then SET NAMES utf8mb4 again. Kept when `statement`
  // can be sent as is: a UTF-8 character set, or an ASCII-only statement;
  // otherwise the object is restored under utf8mb4 (docs/restore-testing.md).
  static std::string InContext(const std::string& charset_client, const std::string& collation_connection,
                               const std::string& statement);
  static std::string DelimitedBlock(const std::string& statement);

  // Session settings of every snapshot, export and schema-dump session: the
  // text form of TIMESTAMP values and of SHOW CREATE output depends on them.
  Status PinDataSession(const std::string& what);

  // Sets this session's lock_wait_timeout (metadata locks) to `timeout`,
  // rounded up to whole seconds, saving the value to put back.
  Status LimitLockWaits(std::chrono::milliseconds timeout, const std::string& what);
  Status RestoreLockWaits(const std::string& what);
  Status StartSnapshotTransaction(const std::string& what);
  Result<std::map<std::string, std::string>> ReadPosition();
  Status ReleaseBarrier();
  Result<std::unique_ptr<MysqlConnection>> OpenAuxiliary(bool local_infile);

  // The connection ImportRows loads through, opened on first use: only it
  // has the LOAD DATA LOCAL capability (see Open). Its session is pinned for
  // loading: no foreign key checks (post_data adds the foreign keys), strict
  // mode so bad values fail instead of being adjusted, zero dates and
  // explicit zeros in AUTO_INCREMENT columns accepted as they are, and lock
  // waits long enough for another range of the same table to finish its
  // bulk load (see UseBulkLoad). unique_checks is set per table.
  Result<MysqlConnection*> Loader(bool local_infile);

  // The C API session ImportRows loads through on MariaDB (see
  // mysql_bulk_array_insert.h), opened on first use and pinned for loading like
  // Loader's session, except that unique checks stay on for every table:
  // InnoDB's bulk mode (unique_checks = 0 on an empty table) took twice the
  // server CPU for the same wall time here (634 MB table: 17.6 s against
  // 8.1 s), CPU the other loaders need.
  Result<ArrayInsertSession*> ArrayLoader();

  // Loads the records into `table` with one array-bound INSERT (bound
  // values wrapped as LOAD DATA's SET clause wraps them), in one transaction.
  Result<std::int64_t> ArrayInsertRows(ArrayInsertSession& session, const DataTable& table,
                                       const LoadTarget& target, std::span<const std::string_view> first,
                                       const RecordBatchSource& next_batch);

  // DATA_TYPE of each of table.columns, in order, on this connection.
  Result<std::vector<ColumnType>> ColumnTypes(const DataTable& table, const std::string& what);
  bool CanCastToDouble() const;

  // The select-list expression that yields a column's exact text.
  std::string ExportExpression(const std::string& quoted, const ColumnType& t) const;
  LoadTarget MakeLoadTarget(const DataTable& table, const std::vector<ColumnType>& types) const;

  // Streams a forward-only result as LOAD DATA records.
  Status StreamRecords(const std::string& sql, size_t columns, const RecordCallback& on_record);
  Status CheckLoadWarnings(const std::string& label);

  // MariaDB (10.6+) loads into an empty InnoDB table in bulk when unique and
  // foreign key checks are off: no undo log per row, indexes built sorted at
  // commit, about twice as fast as row-by-row inserts here. But the bulk load
  // holds an exclusive table lock until it commits, so the key ranges of one
  // big table, which restore loads on several connections at once, would
  // queue behind each other (and the later ones load row by row anyway).
  // Bulk mode is therefore used for tables at most the size above which the
  // snapshot core splits tables into ranges (take.h split_bytes, 64 MiB);
  // bigger ones keep unique checks on and load their ranges in parallel.
  static constexpr std::int64_t kBulkLoadMaxBytes = std::int64_t{64} << 20;
  static bool UseBulkLoad(const DataTable& table) { return table.estimated_bytes <= kBulkLoadMaxBytes; }
  Status SetUniqueChecks(bool on, const std::string& what);

  // MariaDB loads into an empty InnoDB table in bulk (no undo log per row,
  // indexes built at the end) when unique and foreign key checks are off,
  // and then reports a duplicate key as error 1180 "during COMMIT".
  static Status BulkLoadError(const Status& st);
  static bool IsLocalInfileRefusal(const Status& st);
  void NoteInsertFallback(const Status& why);

  // LOAD DATA LOCAL INFILE fed through a named pipe: the statement runs on a
  // helper thread (the loader connection is used by nobody else meanwhile)
  // while this thread pulls batches and writes them into the pipe. All in
  // one transaction, so a load that fails or warns leaves nothing behind.
  // `*refused` is set, with nothing loaded and `first` not yet given up,
  // when the server or client library refuses LOCAL INFILE.
  Result<std::int64_t> LoadDataLocal(MysqlConnection& ld, const DataTable& table, const LoadTarget& target,
                                     std::span<const std::string_view> first,
                                     const RecordBatchSource& next_batch, bool* refused);

  // The fallback when LOCAL INFILE is refused or disabled: the same records
  // as multi-row INSERTs of _binary literals (the bytes unconverted, as LOAD
  // DATA ... CHARACTER SET binary does), in one transaction.
  Result<std::int64_t> InsertRows(MysqlConnection& ld, const DataTable& table, const LoadTarget& target,
                                  std::span<const std::string_view> first,
                                  const RecordBatchSource& next_batch);

  struct ErrorContext {
    const std::string& what;
    const ExecOptions* options;
  };
  void SetSqlMode(const std::string& mode);
  void RefreshSqlMode();

  // "`db`.`t`" or "db.t" -> "t" when db is the connected database.
  std::string UnqualifiedObject(std::string_view object) const;
  Status BrokenStatus() const;
  void NoteFailure(int code);
  Status MapError(const sql::SQLException& e, const ErrorContext& ctx);

  template <typename Fn>
  Status Guarded(const std::string& what, const ExecOptions* options, Fn&& fn) {
    if (broken_) return BrokenStatus().WithContext(what);
    try {
      return fn();
    } catch (const sql::SQLException& e) {
      return MapError(e, ErrorContext{what, options});
    } catch (const std::exception& e) {
      diagnostics_may_hold_errors_ = true;
      return Status::Internal(what + ": " + ScrubSecrets(e.what()));
    } catch (...) {
      diagnostics_may_hold_errors_ = true;
      return Status::Internal(what + ": unknown exception from MySQL Connector/C++");
    }
  }
  Status Simple(const char* sql);
  static int LockSeconds(std::chrono::milliseconds ms);

  // Applies the limits of `options` to this session, runs body, restores the
  // previous values. Throws sql::SQLException from the SET statements.
  template <typename Body>
  Status WithLimits(std::string_view sql, const ExecOptions& options, Body&& body) {
    std::vector<std::string> set, restore;
    if (options.lock_timeout.count() > 0) {
      std::string secs = std::to_string(LockSeconds(options.lock_timeout));
      set.push_back("@cutover_saved_lwt = @@SESSION.lock_wait_timeout");
      set.push_back("@cutover_saved_ilwt = @@SESSION.innodb_lock_wait_timeout");
      set.push_back("SESSION lock_wait_timeout = " + secs);
      set.push_back("SESSION innodb_lock_wait_timeout = " + secs);
      restore.push_back("SESSION lock_wait_timeout = @cutover_saved_lwt");
      restore.push_back("SESSION innodb_lock_wait_timeout = @cutover_saved_ilwt");
    }
    if (options.statement_timeout.count() > 0) {
      if (ctx_.flavor == Flavor::kMariaDb) {
        set.push_back("@cutover_saved_mst = @@SESSION.max_statement_time");
        set.push_back("SESSION max_statement_time = " + FormatSeconds(options.statement_timeout));
        restore.push_back("SESSION max_statement_time = @cutover_saved_mst");
      } else {
        const std::string keyword = FirstKeyword(sql);
        const bool limitable = keyword == "SELECT" || keyword == "WITH";
        if (!limitable && !options.statement_timeout_if_supported) {
          return Status::Unsupported(
              "MySQL can only limit the run time of SELECT statements (max_execution_time); '" +
              FirstLine(sql) +
              "' cannot get a statement_timeout: run it without one, or rely on lock_timeout");
        }
        if (limitable) {
          set.push_back("@cutover_saved_met = @@SESSION.max_execution_time");
          set.push_back("SESSION max_execution_time = " + std::to_string(options.statement_timeout.count()));
          restore.push_back("SESSION max_execution_time = @cutover_saved_met");
        }
      }
    }
    if (set.empty()) return body();
    CUTOVER_RETURN_IF_ERROR(RunAndDrain("SET " + Join(set, ", ")).status());
    const std::string restore_sql = "SET " + Join(restore, ", ");
    Status result;
    try {
      result = body();
    } catch (...) {
      // Restore the previous limits, then report the statement's own error.
      if (!broken_) {
        try {
          (void)RunAndDrain(restore_sql);
        } catch (const sql::SQLException& e) {
          NoteFailure(e.getErrorCode());
        } catch (...) {  // NOLINT(bugprone-empty-catch): the original error is the one to report
        }
      }
      throw;
    }
    if (!broken_) {
      try {
        Status restored = RunAndDrain(restore_sql).status();
        if (result.ok()) result = restored;
      } catch (const sql::SQLException& e) {
        NoteFailure(e.getErrorCode());
        if (result.ok()) throw;
      }
    }
    return result;
  }

  // Runs one statement, discarding result sets; returns the affected rows.
  // Throws sql::SQLException.
  Result<std::int64_t> RunAndDrain(std::string_view sql);

  // After a forward-only result ended: did it end because of an error?
  Status CheckStreamErrors(const std::string& what);
  void ClearDiagnostics();
  Status Stream(std::string_view sql, const RowCallback& on_row);

  // A buffered query (mysql_store_result): errors are reported, memory is
  // the size of the result. For catalog queries only.
  Status Buffered(const std::string& sql, const RowCallback& on_row);

  std::unique_ptr<sql::Connection> conn_;
  ConnectionUri uri_;
  std::string display_uri_;
  ServerInfo info_;
  SchemaContext ctx_;
  std::string session_id_;
  bool broken_ = false;
  bool migration_lock_held_ = false;
  std::string migration_lock_name_;
  bool diagnostics_may_hold_errors_ = false;

  Opener opener_;
  std::atomic<bool> cancel_requested_{false};  // set by Cancel() on another thread
  bool local_infile_ = false;                  // the URI allows LOAD DATA LOCAL (local_infile is not 0)
  bool array_insert_ = true;  // MariaDB: load with array-bound INSERT (array_insert is not 0)
  std::unique_ptr<ArrayInsertSession> array_loader_;  // ImportRows' session for that, opened on first use
  bool local_infile_capable_ = false;                 // this session was opened with the LOCAL capability
  bool local_infile_refused_ = false;                 // the server refused it once: INSERT from then on
  std::unique_ptr<MysqlConnection> barrier_;          // holds the snapshot barrier
  std::unique_ptr<MysqlConnection> loader_;           // runs ImportRows' statements
  bool in_snapshot_ = false;
  bool hold_barrier_until_end_ = false;
  bool lock_waits_limited_ = false;    // LimitLockWaits saved the session's value
  std::optional<bool> unique_checks_;  // loader sessions: what unique_checks is set to  //
                                       // lock_nontransactional_tables: released by EndSnapshot
};

// The plugin's Driver: opens MysqlConnections and runs server-level commands
// (CREATE/DROP DATABASE, listing) on connections of their own.
class MysqlDriver final : public Driver {
 public:
  MysqlDriver();

  const DriverInfo& info() const override { return info_; }
  Result<std::unique_ptr<Connection>> Connect(const ConnectionUri& uri) override;
  Result<ConnectionUri> CreateDatabase(const ConnectionUri& server, std::string_view name) override;
  Status DropDatabase(const ConnectionUri& server, std::string_view name) override;
  Result<std::vector<std::string>> ListDatabases(const ConnectionUri& server,
                                                 std::string_view prefix) override;
  Result<std::vector<ImageTableDigest>> DigestImage(const std::string& /*path*/,
                                                    const std::vector<std::string>& /*tables*/) override;
  Result<std::string> ImageFilePath(const ConnectionUri& /*uri*/) const override;
  Result<std::vector<cutover::ScriptStatement>> SplitScript(std::string_view script) const override;

  // API v5.
  StatementClass ClassifyStatement(std::string_view statement) const override;  // _script.cc
  Result<bool> CreateTargetIfMissing(const ConnectionUri& uri) override;        // _driver.cc
  Status DropTarget(const ConnectionUri& uri) override;                         // _driver.cc
  Result<std::vector<std::pair<std::string, std::string>>> ClientEnvironment(
      const ConnectionUri& uri) const override;                                           // _driver.cc
  Result<ConnectionUri> LocalScratchServer(const std::string& directory) const override;  // _driver.cc
  Result<ConnectionUri> CloneDatabase(const ConnectionUri& server, std::string_view source,
                                      std::string_view name) override;                  // _driver.cc
  std::vector<std::string> ReferencedNames(std::string_view statement) const override;  // _script.cc

 private:
  static Status CheckName(std::string_view name);

  // Opens a raw Connector connection for the URI. All errors mapped.
  // Only the connections ImportRows opens for LOAD DATA LOCAL INFILE get
  // `local_infile`: with that capability the client library hands the server
  // any file it names, so no other connection advertises it.
  Result<std::unique_ptr<sql::Connection>> Open(const ConnectionUri& uri, bool local_infile);

  // Runs fn on a server-level connection (no database selected).
  template <typename Fn>
  Status OnServer(const ConnectionUri& server, const std::string& what, Fn&& fn) {
    ConnectionUri server_only = server.WithDatabase("");
    auto conn = Open(server_only, false);
    if (!conn.ok()) return conn.status();
    const std::string context = what + " " + server_only.Redacted();
    try {
      std::unique_ptr<sql::Statement> st((*conn)->createStatement());
      fn(*st);
      return Status::Ok();
    } catch (const sql::SQLException& e) {
      std::string msg = context + ": " + Message(e) + ErrorSuffix(e);
      if (IsConnectionLoss(e.getErrorCode())) return Status::Connection(msg);
      return Status::Query(msg, std::to_string(e.getErrorCode()));
    } catch (const std::exception& e) {
      return Status::Internal(context + ": " + ScrubSecrets(e.what()));
    } catch (...) {
      return Status::Internal(context + ": unknown exception from MySQL Connector/C++");
    }
  }

  DriverInfo info_;
  sql::mysql::MySQL_Driver* driver_ = nullptr;
  std::string init_error_;
};

}  // namespace cutover::mysql
