// The driver interface: everything cutover asks of a database engine.
//
// One header, implemented once per engine by a plugin under drivers/ (a
// shared module loaded with dlopen, see driver/loader.h and
// docs/driver-interface.md). The core never includes an engine's client
// headers; it only talks to these classes.
//
// Ownership: the loader owns each plugin and its Driver for the life of the
// process. Connections are owned by the caller through std::unique_ptr and
// must be destroyed before the plugin is unloaded (the loader never unloads
// during a run).
//
// Errors: no method throws. Every failure is returned as a Status whose
// message names the object and, for server engines, carries the SQLSTATE or
// server error number. Messages never contain passwords: drivers build them
// from ConnectionUri::Redacted() and pass client-library text through
// ScrubSecrets().
//
// Threads: a Driver may be used from several threads; a Connection from one
// thread at a time. Snapshot workers each open their own Connection.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"
#include "base/uri.h"
#include "driver/schema_model.h"

namespace cutover {

// Bumped whenever this header changes in a way that breaks binary
// compatibility. A plugin built against another version is refused.
inline constexpr std::uint32_t kDriverApiVersion = 11;

struct DriverInfo {
  // The driver's name, also its plugin file's: cutover_driver_<name>.so.
  std::string name;
  // URI schemes served, e.g. {"postgresql", "postgres"}. The loader routes a
  // URI to the driver whose list holds its scheme: this is the only table of
  // scheme aliases in cutover.
  std::vector<std::string> schemes;
  std::string driver_version;  // the plugin's own version
  std::string client_library;  // "libpqxx 6.4.5 / libpq 15.18"
  // API v6: the engine has no server-side lock queue; a client waiting for a
  // lock polls for it (SQLite's busy handler). Rehearsal probes then poll
  // every few milliseconds themselves, so a released lock is seen at once
  // (rehearse/probe.h, lock_poll_interval).
  bool lock_waits_polled_by_client = false;
  // API v6: Driver::CloneDatabase works (it returns kUnsupported otherwise),
  // so a restored copy is worth keeping as a base copy to clone later.
  bool clones_databases = false;
};

struct ServerInfo {
  // The server product as the server reports it (e.g. MariaDB for a
  // mysql:// URI), for reports; never compared by the core.
  std::string product;
  std::string version;     // "15.18", "10.11.19-MariaDB", "3.40.1"
  int version_number = 0;  // 150018, 101119, 3040001: comparable
};

// One value of a result row. `data` is valid only during the row callback;
// copy what must outlive it. kText/kBlob/kInteger/kReal carry the engine's
// text form for numbers and the raw bytes for blobs.
enum class CellType { kNull, kInteger, kReal, kText, kBlob };
struct Cell {
  CellType type = CellType::kNull;
  std::string_view data;
  bool is_null() const { return type == CellType::kNull; }
};
using RowView = std::span<const Cell>;
// Called once per row, in order. Returning an error stops the query and that
// error is returned by Query().
using RowCallback = std::function<Status(RowView row)>;

// Limits applied to one statement. Zero means "no limit set by cutover" (the
// server default applies). A lock wait that expires returns kLockTimeout; a
// statement that runs too long returns kLockTimeout too, with a message
// saying which limit was hit.
struct ExecOptions {
  std::chrono::milliseconds statement_timeout{0};
  std::chrono::milliseconds lock_timeout{0};
  // When the engine cannot limit this kind of statement's run time (MySQL
  // limits only SELECT), run it without the limit instead of refusing it
  // with kUnsupported. For callers applying one default to every statement.
  bool statement_timeout_if_supported = false;
};

// A session that is waiting for a lock, seen from another connection.
struct LockWait {
  std::string waiting_session;   // engine session id (pid, connection id)
  std::string blocking_session;  // empty when the engine cannot tell
  std::string lock;              // lock mode or wait event, e.g. "AccessExclusiveLock"
  std::string object;            // relation or metadata object waited on
  std::chrono::milliseconds waited{0};
  std::string query;  // the waiting statement, truncated
};

// One statement of a script, as Driver::SplitScript() found it.
struct ScriptStatement {
  std::string text;  // the statement, without its terminator (';' or DELIMITER)
  int line = 1;      // 1-based line of its first significant character
};

// How a restore may schedule one statement of a post-data script
// (Driver::ClassifyStatement). Index builds run on several connections as soon
// as their table is loaded; session settings are replayed on each of them;
// everything else runs in order on one connection.
struct StatementClass {
  enum class Kind { kOther, kSessionSetting, kIndexBuild };
  Kind kind = Kind::kOther;
  // kIndexBuild: the table, normalized (quotes removed, unquoted parts
  // lower-cased), schema-qualified when the statement qualifies it.
  std::string table;
  // kIndexBuild: the build takes the table exclusively (ALTER TABLE ... ADD
  // PRIMARY KEY), so no other build may run on it at the same time.
  bool exclusive = false;
};

// ---- Bulk data (snapshots and restores) -----------------------------------
//
// A snapshot streams each table's rows as *records*: opaque byte strings in
// the engine's own load format (PostgreSQL: one COPY text line with its
// '\n', or one COPY BINARY tuple; MySQL/MariaDB: one LOAD DATA line,
// tab-separated, '\N' for NULL; SQLite: a self-delimiting typed binary row).
// DataTable::record_format says which, when an engine has several. The core frames, hashes and
// compresses records without looking inside; only the same engine's
// ImportRows reads them back. Exporting the same rows twice, also after a
// restore into another database of the same engine, yields the same bytes:
// drivers pin every session setting that changes the text form (time zone,
// date style, float digits, bytea/binary form), which is what lets a restore
// test compare content digests computed from the live database.

// A table whose rows a snapshot carries.
struct DataTable {
  std::string schema;  // empty for engines without schemas
  std::string name;
  std::vector<std::string> columns;  // dumped and loaded in this order; generated columns left out
  // One NOT NULL integer column with a unique index (usually the primary
  // key) that ranges can split on; empty when there is none.
  std::string split_column;
  std::int64_t estimated_rows = 0;  // from statistics; 0 when unknown
  std::int64_t estimated_bytes = 0;
  // API v11: how this table's records are encoded, as ListDataTables()
  // chose; empty for the engine's first form (PostgreSQL: COPY text). The
  // snapshot records it and the restore and its read-back pass it back, so
  // ExportRows/ImportRows use the form the records were written in. An
  // engine refuses a form it does not know (kInvalidInput). PostgreSQL
  // "binary": COPY BINARY tuples, chosen when every column has a built-in
  // type with binary I/O (its binary form is the same in every database
  // and version; a user type's is not: arrays and records carry type OIDs).
  std::string record_format;
};

// Where a consistent snapshot was taken, as BeginSnapshot() returns it.
struct SnapshotPoint {
  // What JoinSnapshot() on another connection needs (PostgreSQL: the
  // exported snapshot id). Empty when the engine needs nothing.
  std::string token;
  // Recorded in the manifest, e.g. {"snapshot_id", "lsn"}, {"binlog_file",
  // "binlog_position", "gtid"}, {"data_version"}.
  std::map<std::string, std::string> position;
};

struct SnapshotOptions {
  // MySQL/MariaDB: tables of a non-transactional engine (MyISAM, Aria...)
  // cannot be read consistently inside a transaction. Without this option
  // BeginSnapshot refuses (kInvalidInput naming the tables); with it, they
  // are read under a read lock held until ReleaseSnapshotBarrier().
  bool lock_nontransactional_tables = false;
  // How long to wait for the locks a snapshot needs before giving up.
  std::chrono::milliseconds lock_timeout{10000};
};

// DDL that recreates a database, split where data loading goes in between.
struct SchemaScript {
  std::string pre_data;   // types, tables, sequences, functions: what loading rows needs
  std::string post_data;  // indexes, constraints, foreign keys, triggers, views, sequence positions
};

// ---- Database images (API v4; SQLite) -------------------------------------
//
// An engine whose whole database is one file can snapshot it as an *image*:
// the file's bytes exactly as the snapshot sees them. The core stores them in
// chunks like records and a restore writes them back, so nothing is
// re-inserted and no index rebuilt. The proof that the data is right is the
// same as for records, a row count and content digest per table, but the
// driver computes it from the image's own table structures (SQLite: the
// cells of each table's b-tree), so the source under the snapshot, a
// decompressed copy (verify --deep) and a restored file are digested alike
// without running a query. These digests are a different kind from record
// digests: the manifest records which layout it holds.

// A table's row count and content digest in an image.
struct ImageTableDigest {
  std::string table;  // DataTable::name
  std::int64_t rows = 0;
  std::string digest;  // ContentDigest::Hex() (base/content_digest.h) of the table's image records
};

// Called once per record; returning an error stops the export.
using RecordCallback = std::function<Status(std::string_view record)>;
// Supplies records to ImportRows, a batch at a time; an empty batch ends the
// import. The views stay valid until the next call.
using RecordBatchSource = std::function<Result<std::span<const std::string_view>>()>;

// ---- Rehearsals (API v6, `cutover rehearse`) -------------------------------
//
// A rehearsal runs a migration plan on a restored copy while probe sessions
// read and write the tables each statement touches, a second connection
// watches locks, and the tables' storage identity before and after each
// statement tells whether it rewrote them. The calls below give the core
// what it needs without knowing the engine. All are used on scratch copies
// only (Connection::EstimatedRowCounts also on the live target: it only
// reads statistics).

// A table by its SchemaModel identity: `schema` empty for engines without
// schemas (MySQL/MariaDB, SQLite), names as the model stores them.
struct TableId {
  std::string schema;
  std::string name;
  // "schema.name", or "name" without a schema: how reports name the table.
  std::string Display() const { return schema.empty() ? name : schema + "." + name; }
  bool operator<(const TableId& o) const { return schema != o.schema ? schema < o.schema : name < o.name; }
  bool operator==(const TableId& o) const { return schema == o.schema && name == o.name; }
};

// What probe sessions run against one table (Connection::ProbeStatementsFor).
struct ProbeStatements {
  // Each reads one row by one existing key (one statement per sampled key).
  std::vector<std::string> reads;
  // Each is a no-op UPDATE of one existing row by key (a column set to
  // itself), always run inside a transaction that is rolled back. The
  // UPDATE was trial-run once (on the first sampled key) and rolled back
  // before it was returned; when no column can be updated that way, or the
  // table has no key, `writes` is empty and `notes` says why. (No INSERT
  // probes: a new row would need a valid value for every NOT NULL column.)
  std::vector<std::string> writes;
  std::vector<std::string> notes;  // "no primary key: reads take the first row", ...
};

// A lock held by a session, seen from another connection.
struct HeldLock {
  std::string object;  // "public.orders", "shop.orders", "main": how the engine names what is locked
  std::string mode;    // "AccessExclusiveLock", "MDL_SHARED_NO_WRITE", ...
  // API v7: stronger than what ordinary reads and row writes take
  // (PostgreSQL: above RowExclusiveLock; MySQL/MariaDB: a metadata lock
  // above SHARED_WRITE). A session reading the table in an open transaction
  // can make a statement taking such a lock queue, and everyone behind it
  // (rehearse --lock-queue-drill).
  bool table_level = false;
};

// An estimate from the engine's statistics, not a count.
struct TableRowEstimate {
  TableId table;
  std::int64_t rows = 0;
  bool exact = false;  // the engine counted (no statistics to read)
};

// One statement that gives a restored object the owner or a privilege the
// snapshot's schema model recorded (its access.owner / access.privileges
// attributes). `roles` must all exist on the destination for it to run.
struct AccessStatement {
  enum class Kind { kOwner, kPrivilege };
  Kind kind = Kind::kOwner;
  std::string object;              // SchemaObject::Path() of the object
  std::string what;                // "owner", "SELECT", "USAGE WITH GRANT OPTION", "revoke EXECUTE"...
  std::vector<std::string> roles;  // roles (accounts) it names; PUBLIC is not one
  std::string sql;
};

// API v10: one client session of the connected database, other than the
// asking one, as the server shows it (rehearse --exec attributes an outside
// migrator's statements from it).
struct SessionActivity {
  std::string session;    // SessionId() form
  std::string statement;  // running now, or the last one run (as the engine truncates it)
  bool running = false;   // `statement` is running now
  // How long `statement` has run so far, by the server's clock; nullopt
  // when not running or the engine does not say.
  std::optional<double> running_ms;
  // Statements the session finished recently, oldest first, where the
  // server keeps a statement history (MySQL/MariaDB performance_schema
  // events_statements_history, when enabled); empty elsewhere. They catch
  // statements too short to be seen running.
  struct Finished {
    std::string id;  // unique within the session (the event id)
    std::string statement;
    double duration_ms = 0;
    double ended_ms_ago = 0;  // before this answer was read
  };
  std::vector<Finished> finished;
};

class Connection {
 public:
  virtual ~Connection() = default;

  virtual const ServerInfo& server_info() const = 0;
  // The redacted URI this connection was opened with.
  virtual std::string display_uri() const = 0;

  // Quoting for this engine. Identifiers are always quoted, also when they
  // would not need it, so hostile names (quotes, spaces, unicode, reserved
  // words) can never change a statement's meaning.
  virtual std::string QuoteIdentifier(std::string_view name) const = 0;
  virtual std::string QuoteLiteral(std::string_view value) const = 0;

  // Runs one statement; returns the affected row count (0 when not applicable).
  virtual Result<std::int64_t> Execute(std::string_view sql, const ExecOptions& options = {}) = 0;
  // Runs a script of several statements, in order, stopping at the first
  // error. The error names the statement (its first line) that failed.
  // Engines whose scripts use client-side delimiters (MySQL DELIMITER) handle
  // them here.
  virtual Status ExecuteScript(std::string_view script) = 0;
  // Streams the rows of one query to `on_row` without holding the result in
  // memory (server-side cursor or row-by-row fetch): memory stays bounded
  // whatever the result size.
  virtual Status Query(std::string_view sql, const RowCallback& on_row, const ExecOptions& options = {}) = 0;

  // Transactions, for callers that group statements.
  virtual Status Begin() = 0;
  virtual Status Commit() = 0;
  virtual Status Rollback() = 0;

  // Reads the schema of the connected database with a bounded number of
  // catalog queries (never one per table). The model is normalized and sorted.
  virtual Result<SchemaModel> ReadSchema() = 0;

  // This connection's session id, as LockWaits() reports it.
  virtual std::string SessionId() = 0;
  // Sessions currently waiting for a lock in this database. Used from a
  // second connection to measure how long a migration blocks others.
  // kUnsupported for engines without lock visibility (SQLite).
  virtual Result<std::vector<LockWait>> LockWaits() = 0;

  // ---- Snapshots: consistent reads (see docs/snapshot-format.md) ----
  //
  // The coordinator calls BeginSnapshot() on its connection: it starts a
  // read-only transaction at one point in time (PostgreSQL: REPEATABLE READ
  // READ ONLY with an exported snapshot and ACCESS SHARE locks on every
  // table; MySQL/MariaDB: a consistent InnoDB snapshot started under a brief
  // global read lock, binlog position recorded; SQLite: one read
  // transaction). Each worker connection then calls JoinSnapshot() with the
  // returned point and sees exactly the same data. Then the coordinator
  // calls ReleaseSnapshotBarrier() (MySQL/MariaDB: releases the global read
  // lock; no-op elsewhere). EndSnapshot() ends the read transaction on any
  // of these connections.
  //
  // Engines that cannot share a snapshot between connections return false
  // from SupportsSharedSnapshot(); the core then reads with the coordinator
  // alone and JoinSnapshot() returns kUnsupported. Such an engine (SQLite)
  // also takes one writer at a time, so the core restores through a single
  // connection too.
  virtual bool SupportsSharedSnapshot() const = 0;
  virtual Result<SnapshotPoint> BeginSnapshot(const SnapshotOptions& options) = 0;
  virtual Status JoinSnapshot(const SnapshotPoint& point) = 0;
  virtual Status ReleaseSnapshotBarrier() = 0;
  virtual Status EndSnapshot() = 0;

  // Inside a snapshot: the tables whose rows are dumped (base tables of the
  // user's schemas, in a stable order), and the DDL that recreates the
  // database as of the snapshot, sequence and auto-increment positions
  // included.
  virtual Result<std::vector<DataTable>> ListDataTables() = 0;
  virtual Result<SchemaScript> DumpSchemaScript() = 0;

  // Streams the rows of `table` restricted by `predicate` (a SQL boolean
  // expression built with QuoteIdentifier, or empty for all rows), one
  // record per call, without holding the table in memory. PostgreSQL takes
  // an ACCESS SHARE lock NOWAIT first, so a queued DDL fails the snapshot
  // instead of deadlocking it.
  virtual Status ExportRows(const DataTable& table, std::string_view predicate,
                            const RecordCallback& on_record) = 0;
  // Loads records that ExportRows produced on the same engine into `table`,
  // which exists and has `table.columns`. Returns the number of rows loaded.
  // May disable checks that post_data re-establishes (foreign keys, unique
  // checks) for this session only.
  virtual Result<std::int64_t> ImportRows(const DataTable& table, const RecordBatchSource& next_batch) = 0;

  // Inside a snapshot (after BeginSnapshot): the path of a file holding the
  // database's bytes exactly as the snapshot sees them, unchanged until
  // EndSnapshot(). kUnsupported when this engine or this database has none
  // (server engines; an SQLite database in WAL mode, whose committed pages
  // may still be in the -wal file): the core then snapshots records. Keep
  // any descriptor of the file open until after EndSnapshot(): closing one
  // drops every POSIX lock the process holds on the file, the engine's too.
  virtual Result<std::string> SnapshotImagePath() = 0;

  // True when the database holds no user objects (tables, views, routines,
  // sequences, types): `restore --into` refuses any other database.
  virtual Result<bool> IsEmptyDatabase() = 0;
  // Engine integrity checks on the connected database (SQLite
  // integrity_check, PostgreSQL amcheck when it can be installed, ...).
  // Returns the problems found, empty when all is well; kUnsupported when the
  // engine has no such check. `checks_run` receives what was checked, for
  // the report ("amcheck bt_index_check on 12 indexes").
  virtual Result<std::vector<std::string>> CheckIntegrity(std::string* checks_run) = 0;

  // ---- Migrations (API v3, used by `cutover apply`) ----
  //
  // A session-level lock on the connected database that only cutover takes,
  // so two `apply` runs never interleave. It survives COMMIT/ROLLBACK and is
  // released by ReleaseMigrationLock() or when the connection closes (also
  // when the process is killed). PostgreSQL: pg_try_advisory_lock on a key
  // derived from "cutover" and the database name, polled until `wait`;
  // MySQL/MariaDB: GET_LOCK('cutover:<db>'); SQLite: an flock on
  // "<file>-cutover-lock" beside the database. Not obtained within `wait`:
  // kLockTimeout saying another cutover apply holds it (and which session,
  // where the engine can tell). Taking it twice on one connection is a no-op.
  virtual Status AcquireMigrationLock(std::chrono::milliseconds wait) = 0;
  // Succeeds when the lock is not held.
  virtual Status ReleaseMigrationLock() = 0;
  // True when DDL runs inside a transaction and rolls back with it
  // (PostgreSQL, SQLite); false when DDL commits implicitly (MySQL/MariaDB).
  virtual bool TransactionalDdl() const = 0;

  // ---- API v5: engine knowledge the core used to carry itself ----

  // Inside a snapshot: predicates that split `table` into about `parts`
  // ranges by physical position, so parallel readers each read only their
  // own pages whatever the key order; every row is in exactly one range.
  // Empty when the engine or this table cannot be split that way (the core
  // then splits on DataTable::split_column). PostgreSQL 14+: TID ranges.
  virtual Result<std::vector<std::string>> PhysicalRanges(const DataTable& table, int parts) = 0;
  // Tunes a connection that restores into a database and is closed
  // afterwards. `scratch`: the database is a throwaway copy, so durability
  // may be traded for speed (SQLite: no journal, no fsync). Engines that tune
  // their sessions in ImportRows do nothing.
  virtual Status PrepareRestoreSession(bool scratch) = 0;
  // True when a base table named `name` exists in the connection's current
  // schema (PostgreSQL search path's first schema, MySQL's database, SQLite's
  // main).
  virtual Result<bool> TableExists(std::string_view name) = 0;
  // Begins a transaction that is going to write, taking the engine's write
  // lock up front where a lock taken later could fail half-way through
  // (SQLite: BEGIN IMMEDIATE, waiting up to `lock_timeout`). Where the
  // commit itself can wait for other sessions (SQLite's rollback journal
  // waits for readers, and blocks new ones meanwhile), Commit() waits up to
  // `lock_timeout` too, then fails with kLockTimeout.
  virtual Status BeginWrite(std::chrono::milliseconds lock_timeout) = 0;
  // Makes this session read-only for the rest of its life, so that even a bug
  // in a read-only command (apply --dry-run) cannot write.
  virtual Status SetReadOnly() = 0;

  // ---- API v6: rehearsals ----

  // Probe statements for `table` (see ProbeStatements): reads of up to
  // `keys` existing rows sampled at random by key, and writes undone by the
  // caller's rollback. Identifiers and key values are quoted by the driver.
  // kNotFound when the table does not exist.
  virtual Result<ProbeStatements> ProbeStatementsFor(const TableId& table, int keys) = 0;
  // An opaque value that changes when `table`'s rows are rewritten into new
  // storage (PostgreSQL: relfilenode; MySQL/MariaDB: the InnoDB table id;
  // SQLite: the root page). Equal before and after a statement: no rewrite.
  // kNotFound when the table does not exist; kUnsupported when the engine
  // cannot tell for this table (the report then says "unknown").
  virtual Result<std::string> StorageIdentity(const TableId& table) = 0;
  // Locks that session `session` (a SessionId()) holds on database objects
  // right now, seen from this connection; row locks are left out.
  // kUnsupported when the engine or server cannot show them (the message
  // says what would make them visible).
  virtual Result<std::vector<HeldLock>> LocksHeldBy(std::string_view session) = 0;
  // Row-count estimates of every base table of the connected database, from
  // the engine's statistics (exact counts where it keeps none). Read-only.
  virtual Result<std::vector<TableRowEstimate>> EstimatedRowCounts() = 0;

  // ---- API v7 ----

  // Asks the server to stop the statement this connection is running now.
  // The one call that may be made from another thread while this
  // connection is in use (rehearse stops a long statement on its copy when
  // interrupted). The stopped statement returns kCancelled; with no
  // statement running it has no effect, or stops the next one. Sessions
  // stay usable. Errors: the request could not be sent (kConnection).
  virtual Status Cancel() = 0;
  // Starts recording, for this session, every table the engine rewrites
  // into new storage (PostgreSQL: a table_rewrite event trigger whose
  // function and log are temporary objects of this session, gone when it
  // ends; it needs superuser). For scratch copies only: it creates an
  // event trigger in the database. kUnsupported where the engine has no
  // such hook or the role may not install it (the message says which);
  // rewrite detection then relies on StorageIdentity alone.
  virtual Status StartRewriteLog() = 0;
  // The tables (TableId::Display() form) rewritten by this session since
  // the previous call or StartRewriteLog(), each once; the log is emptied.
  // Within a transaction, a rewrite rolled back disappears from the log.
  virtual Result<std::vector<std::string>> TakeRewriteLog() = 0;

  // ---- API v9 ----

  // The statements that give the objects of `model` (read from another
  // database of this engine) their recorded owners and privileges here,
  // owners first: only what differs from what a new object gets by
  // default (like pg_dump). Pure: it reads nothing and runs nothing; the
  // objects need not exist yet. Engines whose privileges live outside the
  // database (MySQL/MariaDB accounts) or that have none (SQLite) return no
  // statements.
  virtual Result<std::vector<AccessStatement>> PlanAccess(const SchemaModel& model) = 0;
  // The roles (accounts) among `roles` this server does not have, in the
  // order given. Engines without roles return none. MySQL/MariaDB accounts
  // may be given as 'user'@'host' (GRANTEE form) or user@host (DEFINER form).
  virtual Result<std::vector<std::string>> MissingRoles(const std::vector<std::string>& roles) = 0;
  // `script` (a schema script of this engine's DumpSchemaScript) with the
  // definer of every object that has one (MySQL/MariaDB views, routines,
  // triggers, events) set to `definer`: an account as user@host, quoted
  // here, or CURRENT_USER (the restoring account). Engines whose objects
  // have no definer return the script unchanged. kInvalidInput for an
  // account that is not user@host.
  virtual Result<std::string> WithDefiner(std::string_view script, std::string_view definer) = 0;

  // ---- API v10 ----

  // Every other client session connected to this connection's database,
  // with its current or last statement, in session order. Read-only. The
  // sessions of other databases and the server's own workers are left out.
  // kUnsupported where the engine cannot see other connections (SQLite:
  // they live in other processes), the message says so.
  virtual Result<std::vector<SessionActivity>> OtherSessions() = 0;
  // Makes the namespace `name` beside this connection's database readable
  // as `name`.table here, for another tool's registry kept outside the
  // migrated schema (sqitch's): a schema of this database (PostgreSQL), a
  // database of this server (MySQL/MariaDB), the file NAME.db in the
  // database file's directory, attached (SQLite; cutover only reads it).
  // false when it does not exist (nothing attached). The caller quotes the
  // name with QuoteIdentifier when it queries; kInvalidInput for an empty
  // name or one with a path separator.
  virtual Result<bool> AttachNeighbour(std::string_view name) = 0;
};

class Driver {
 public:
  virtual ~Driver() = default;

  virtual const DriverInfo& info() const = 0;

  // Opens a connection to the database the URI names.
  virtual Result<std::unique_ptr<Connection>> Connect(const ConnectionUri& uri) = 0;

  // Scratch databases. `server` is a URI on which databases may be created
  // (for SQLite: a directory). CreateDatabase fails if `name` exists and
  // returns the URI of the new, empty database. DropDatabase removes it and
  // succeeds if it does not exist. Names are quoted by the driver; callers
  // only ever pass names they generated (cutover_scratch_...).
  virtual Result<ConnectionUri> CreateDatabase(const ConnectionUri& server, std::string_view name) = 0;
  virtual Status DropDatabase(const ConnectionUri& server, std::string_view name) = 0;
  // Databases on the server whose name starts with `prefix`, for cleaning up
  // scratch databases left behind by a killed run.
  virtual Result<std::vector<std::string>> ListDatabases(const ConnectionUri& server,
                                                         std::string_view prefix) = 0;

  // Row counts and content digests of `tables` (names as ListDataTables gave
  // them) read from the image file at `path` by the driver itself, in bounded
  // memory and never trusting the file: kCheckFailed naming the table and
  // page for a damaged structure or a table the image does not have, kIo
  // when the file cannot be read, kUnsupported for engines without images.
  virtual Result<std::vector<ImageTableDigest>> DigestImage(const std::string& path,
                                                            const std::vector<std::string>& tables) = 0;
  // The file a database URI names, for a restore that writes an image;
  // kUnsupported for engines without images.
  virtual Result<std::string> ImageFilePath(const ConnectionUri& uri) const = 0;

  // Splits a script into statements by this engine's rules (PostgreSQL
  // dollar quoting and nested comments, MySQL DELIMITER, SQLite
  // sqlite3_complete), without a connection. kInvalidInput names the line of
  // an unterminated string or comment.
  virtual Result<std::vector<ScriptStatement>> SplitScript(std::string_view script) const = 0;

  // ---- API v5 ----

  // How a restore may schedule `statement` (one statement of a post-data
  // script, as SplitScript returned it), by this engine's quoting rules.
  virtual StatementClass ClassifyStatement(std::string_view statement) const = 0;
  // `restore --into` a database that does not exist yet: creates the empty
  // database `uri` names and returns true; false when it already exists
  // (left alone). SQLite: a new file, private to the user. Server engines
  // (API v8): CREATE DATABASE on the URI's server with its credentials, so
  // the URI's user owns it. Errors: kInvalidInput for a URI that names no
  // database, the engine's error (permission, bad name) otherwise.
  virtual Result<bool> CreateTargetIfMissing(const ConnectionUri& uri) = 0;
  // For engines whose scratch "server" is a local directory (SQLite): that
  // directory as a scratch server URI, used when none is configured.
  // kUnsupported for server engines, which need a configured scratch server.
  virtual Result<ConnectionUri> LocalScratchServer(const std::string& directory) const = 0;
  // ---- API v6 ----

  // A new database `name` on `server` holding a copy of database `source`,
  // made by the engine's own copy (PostgreSQL: CREATE DATABASE ... TEMPLATE
  // ... STRATEGY FILE_COPY; SQLite: a file copy, a reflink where the file
  // system offers one), far faster than restoring it again. `source` must
  // have no open connections. kUnsupported for engines that cannot clone
  // (MySQL/MariaDB): the caller restores again. Returns the new database's URI.
  virtual Result<ConnectionUri> CloneDatabase(const ConnectionUri& server, std::string_view source,
                                              std::string_view name) = 0;
  // The names a statement mentions, by this engine's quoting rules: every
  // identifier chain, normalized the way the schema model stores names
  // (quotes removed, unquoted names case-folded where the engine folds them),
  // qualified chains joined with '.' ("public.orders"), in order of first
  // appearance, without duplicates. Keywords are not names. An
  // over-approximation is fine (a column that shares a table's name); the
  // core uses it to find which tables a migration statement touches.
  virtual std::vector<std::string> ReferencedNames(std::string_view statement) const = 0;

  // ---- API v8 ----

  // Drops the database `uri` names: the one CreateTargetIfMissing created for
  // a restore that then failed, so a failed restore leaves nothing it made.
  // Succeeds when it does not exist. Callers pass only databases they
  // created in this run; nothing else is ever dropped through it.
  virtual Status DropTarget(const ConnectionUri& uri) = 0;

  // ---- API v10 ----

  // The environment a client program needs to reach the database `uri`
  // names, for `rehearse --exec`: DATABASE_URL (in the form application
  // frameworks read) and this engine's own client variables (PGHOST,
  // PGPORT, PGDATABASE, PGUSER, PGPASSWORD; MYSQL_HOST, MYSQL_TCP_PORT,
  // MYSQL_PWD, ...; CUTOVER_SCRATCH_PATH for a file). An empty value names
  // a variable of the engine's clients to remove from an inherited
  // environment (PGSERVICE, PGHOSTADDR, MYSQL_HOME: they could send the
  // client elsewhere). Values carry the URI's secrets: for a child's
  // environment only, never for output. Pure.
  // kInvalidInput for a URI that names no database.
  virtual Result<std::vector<std::pair<std::string, std::string>>> ClientEnvironment(
      const ConnectionUri& uri) const = 0;
};

}  // namespace cutover

// ---------------------------------------------------------------------------
// Plugin entry point.
//
// Every plugin exports one C symbol, CUTOVER_DRIVER_ENTRY_SYMBOL
// ("cutover_driver_entry"), returning a pointer to a static CutoverDriverEntry.
// The symbol name is deliberately unversioned: the interface version lives in
// the struct. The loader reads api_version first (a plain integer at offset 0,
// so it can be read whatever version the plugin was built for) and refuses a
// mismatch with kDriverApiVersion before touching anything else, so an
// outdated plugin gets "interface version N, needs M" rather than "no entry
// symbol". Plugins built before the rename export "cutover_driver_entry_v1"
// (CUTOVER_LEGACY_DRIVER_ENTRY_SYMBOL); the loader names that symbol when it
// finds it, so such a file is reported as needing a rebuild.
extern "C" {

struct CutoverDriverEntry {
  std::uint32_t api_version;  // must equal cutover::kDriverApiVersion; never move it
  // The driver's name; must match the plugin file's.
  const char* name;
  // Creates the plugin's Driver. Never throws; returns nullptr only on
  // out-of-memory. The loader owns the result.
  cutover::Driver* (*create_driver)();
};

typedef const CutoverDriverEntry* (*CutoverDriverEntryFn)();
}

#define CUTOVER_DRIVER_ENTRY_SYMBOL "cutover_driver_entry"
#define CUTOVER_LEGACY_DRIVER_ENTRY_SYMBOL "cutover_driver_entry_v1"

// Use once in a plugin: CUTOVER_DEFINE_DRIVER_ENTRY("sqlite", &MakeSqliteDriver)
#define CUTOVER_DEFINE_DRIVER_ENTRY(driver_name, factory)                                              \
  extern "C" __attribute__((visibility("default"))) const CutoverDriverEntry* cutover_driver_entry() { \
    static const CutoverDriverEntry entry{::cutover::kDriverApiVersion, driver_name, factory};         \
    return &entry;                                                                                     \
  }
