// Internal declarations shared by the SQLite driver's files (one per role,
// see docs/driver-interface.md, "A driver's files"). The DDL parser without
// an SQLite dependency is in sqlite_ddl_parse.h.
#pragma once

#include <sqlite3.h>

#include <atomic>
#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"
#include "driver/driver.h"
#include "driver/schema_model.h"

namespace cutover::sqlite {

struct StatementDeleter {
  void operator()(sqlite3_stmt* stmt) const { sqlite3_finalize(stmt); }
};
using StatementPtr = std::unique_ptr<sqlite3_stmt, StatementDeleter>;

// Text of a result column; empty for NULL.
inline std::string ColumnText(sqlite3_stmt* stmt, int col) {
  const unsigned char* text = sqlite3_column_text(stmt, col);
  if (text == nullptr) return std::string();
  return std::string(reinterpret_cast<const char*>(text),
                     static_cast<std::size_t>(sqlite3_column_bytes(stmt, col)));
}
inline std::optional<std::string> ColumnOptText(sqlite3_stmt* stmt, int col) {
  if (sqlite3_column_type(stmt, col) == SQLITE_NULL) return std::nullopt;
  return ColumnText(stmt, col);
}

// The Status for a failed SQLite call. `what` names the database and the
// statement; the engine's message is added (scrubbed) with the result code.
// SQLITE_BUSY/LOCKED become kLockTimeout, NOTADB/CORRUPT kInvalidInput,
// IOERR/FULL/CANTOPEN kIo, everything else kQuery with the extended result
// code in sqlstate.
Status StatusFromSqlite(sqlite3* db, int rc, const std::string& what);

// Reads the schema of the `main` database of `db` with a fixed number of
// catalog queries (five) and normalizes it (docs/schema-json.md). The caller
// wraps the call in a read transaction. `display` names the database in
// messages.
Result<SchemaModel> ReadSqliteSchema(sqlite3* db, const std::string& display);

// ---- Snapshots, schema scripts, bulk data, integrity (sqlite_snapshot.cc,
// sqlite_ddl.cc, sqlite_bulk.cc, sqlite_integrity.cc); `display` names the
// database in messages.

// Connection::ListDataTables: ordinary tables (rowid and WITHOUT ROWID) and
// the storage ("shadow") tables of virtual tables, by name; never SQLite's
// sqlite_* tables or the virtual tables themselves. Columns leave generated
// ones out; split_column is the INTEGER PRIMARY KEY rowid alias. Sizes come
// from dbstat. kUnsupported names virtual tables whose module is missing.
Result<std::vector<DataTable>> ListSqliteDataTables(sqlite3* db, const std::string& display);
// Connection::DumpSchemaScript, from sqlite_schema in creation order.
// pre_data: file-format pragmas, CREATE TABLE / VIRTUAL TABLE (emptying the
// virtual tables' storage tables); post_data: indexes, views, triggers,
// sqlite_sequence and sqlite_stat1 rows, user_version and application_id.
Result<SchemaScript> DumpSqliteSchemaScript(sqlite3* db, const std::string& display);
// Connection::ExportRows / ImportRows in the format of sqlite_bulk_record.h.
Status ExportSqliteRows(sqlite3* db, const std::string& display, const DataTable& table,
                        std::string_view predicate, const RecordCallback& on_record);
Result<std::int64_t> ImportSqliteRows(sqlite3* db, const std::string& display, const DataTable& table,
                                      const RecordBatchSource& next_batch);
Result<bool> IsEmptySqliteDatabase(sqlite3* db, const std::string& display);
// Connection::CheckIntegrity: what PRAGMA integrity_check covers, split into
// quick_check of the whole file and integrity_check of each table, run on
// two read-only
// connections of their own in parallel, largest part first. Runs the whole
// integrity_check on `db` instead when there is no file, a transaction is
// open on `db`, or a table name cannot be passed to integrity_check(TABLE).
// One problem per line, each naming its check and table. Foreign keys are
// not checked: they are the data's business, not the file's (SQLite only
// enforces them where a connection turns them on, so many healthy files hold
// orphans); a restore test runs foreign_key_check as an acceptance check.
Result<std::vector<std::string>> CheckSqliteIntegrity(sqlite3* db, const std::string& display,
                                                      std::string* checks_run);

// Driver::SplitScript: statements ended by ';' outside strings, quoted
// identifiers and comments, where sqlite3_complete() agrees (so ';' inside a
// CREATE TRIGGER body does not split). Statement text excludes the ';' and
// any comment after the last token. A last statement without ';' is kept.
// kInvalidInput names the line of an unterminated string, identifier or
// comment, of a trigger body without END, or of a NUL byte.
Result<std::vector<ScriptStatement>> SplitSqliteScript(std::string_view script);

// ---- The session and the driver ---------------------------------------------

template <typename F>
auto Guarded(const std::string& what, F&& fn) -> decltype(fn()) {
  try {
    return fn();
  } catch (const std::exception& e) {
    return Status::Internal(what + ": unexpected error: " + ScrubSecrets(e.what()));
  } catch (...) {
    return Status::Internal(what + ": unexpected unknown exception");
  }
}

// Whether each connection of this process holds the database's write lock,
// by session id: LocksHeldBy answers for another connection from here,
// without calling into it (every call on a connection takes its mutex,
// which a running statement holds). _locks_rehearsal.cc.
namespace write_locks {
std::shared_ptr<std::atomic<bool>> Register(const std::string& session);
void Unregister(const std::string& session);
// nullopt: no open connection of this process has that session id.
std::optional<bool> Writing(const std::string& session);
}  // namespace write_locks

// The statement deadline the progress handler checks. It lives as long as
// the connection, so the handler never points at a dead object.
struct Deadline {
  std::chrono::steady_clock::time_point at{};
  bool expired = false;

  static int OnProgress(void* self) {
    auto* d = static_cast<Deadline*>(self);
    if (std::chrono::steady_clock::now() >= d->at) {
      d->expired = true;
      return 1;  // interrupts the statement with SQLITE_INTERRUPT
    }
    return 0;
  }
};

int LineAt(std::string_view text, std::size_t pos);

std::string Quote(std::string_view name);

std::string QuoteText(std::string_view value);

// Runs `fn` for each row of `sql` (parameters bound by `bind`, if given).
Status ForEachRow(sqlite3* db, const std::string& sql, const std::string& what,
                  const std::function<Status(sqlite3_stmt*)>& fn,
                  const std::function<void(sqlite3_stmt*)>& bind = nullptr);

Status Exec(sqlite3* db, const char* sql, const std::string& what);

// Virtual tables whose module this library does not provide: their storage
// tables cannot be told from ordinary ones, and a restore could not create
// them. Returns kUnsupported naming them.
Status CheckVirtualTables(sqlite3* db, const std::string& display);

// How one table stores its rows, as the record format needs it.
struct TableShape {
  std::string name;  // as stored
  std::string type;  // pragma_table_list: table, shadow, virtual
  bool without_rowid = false;
  std::vector<std::string> columns;  // not generated, in cid order
  std::string alias;                 // the INTEGER PRIMARY KEY rowid alias; empty when none
  // For a rowid table without an alias: a name that reaches the rowid
  // (rowid, _rowid_ or oid, whichever no column shadows); empty otherwise.
  std::string rowid_name;
};

struct ColumnInfo {
  std::string name;
  std::string type;
  int pk = 0;
  int hidden = 0;
};

void CompleteShape(TableShape& shape, const std::vector<ColumnInfo>& cols, bool has_pk_index);

constexpr int kDefaultBusyTimeoutMs = 5000;

// A connection to one SQLite database file: owns the sqlite3 handle (and the
// migration lock's file descriptor while it is held). Statement and lock
// limits are enforced by a progress handler; every call runs inside
// Guarded(), so errors come back as Status.
class SqliteConnection final : public Connection {
 public:
  SqliteConnection(sqlite3* db, const ConnectionUri& uri, int busy_ms);
  ~SqliteConnection() override;
  SqliteConnection(const SqliteConnection&) = delete;
  SqliteConnection& operator=(const SqliteConnection&) = delete;

  const ServerInfo& server_info() const override { return info_; }
  std::string display_uri() const override { return display_; }
  std::string QuoteIdentifier(std::string_view name) const override;
  std::string QuoteLiteral(std::string_view value) const override;
  Result<std::int64_t> Execute(std::string_view sql, const ExecOptions& options) override;
  Status ExecuteScript(std::string_view script) override;
  Status Query(std::string_view sql, const RowCallback& on_row, const ExecOptions& options) override;
  Status Begin() override;
  Status Commit() override;
  Status Rollback() override;
  Result<SchemaModel> ReadSchema() override;

  std::string SessionId() override { return session_id_; }

  // ---- Migration lock: SQLite's own locks last one transaction, so the lock
  // for a whole apply run is an flock on "<file>-cutover-lock" (0600), held
  // through this connection's descriptor; the kernel drops it when the
  // process ends, also on kill -9. The holder writes its pid into the file.
  Status AcquireMigrationLock(std::chrono::milliseconds wait) override;
  Status ReleaseMigrationLock() override;

  bool TransactionalDdl() const override { return true; }

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

  // ---- Snapshots and bulk data ----
  //
  // A snapshot is one read transaction on this connection: BEGIN, then a
  // read that takes the read lock. With a rollback journal that is a SHARED
  // lock, held until EndSnapshot(): writers can prepare changes but cannot
  // commit (they wait for their busy timeout, then fail busy), so nothing
  // the snapshot reads can change. In WAL mode it is a read mark: writers
  // commit freely and this transaction keeps seeing the database as of
  // BeginSnapshot(). Other connections cannot join it.

  bool SupportsSharedSnapshot() const override { return false; }
  Result<SnapshotPoint> BeginSnapshot(const SnapshotOptions& options) override;
  Status JoinSnapshot(const SnapshotPoint&) override;

  Status ReleaseSnapshotBarrier() override { return Status::Ok(); }
  Status EndSnapshot() override;
  Result<std::vector<DataTable>> ListDataTables() override;
  Result<SchemaScript> DumpSchemaScript() override;
  Status ExportRows(const DataTable& table, std::string_view predicate,
                    const RecordCallback& on_record) override;
  Result<std::int64_t> ImportRows(const DataTable& table, const RecordBatchSource& next_batch) override;

  // The database file itself: while the snapshot's read transaction holds
  // SQLite's SHARED lock, no writer can change it (rollback journal modes).
  Result<std::string> SnapshotImagePath() override;
  Result<bool> IsEmptyDatabase() override;
  Result<std::vector<std::string>> CheckIntegrity(std::string* checks_run) override;

 private:
  // Runs every statement of `sql` in order (prepare_v2 with its tail, so
  // trigger bodies and comments are handled by SQLite itself), stopping at
  // the first error, whose message names the statement's line and first line.
  // `first_line`: the line of `sql` in the script it came from, for messages.
  Status Run(std::string_view sql, const ExecOptions& options, std::int64_t* changes, int first_line = 1);

  // Runs `fn` inside a read transaction (the snapshot's, when one is open),
  // so that its several catalog queries see one state of the database.
  template <typename T, typename F>
  Result<T> InReadTransaction(F&& fn) {
    const bool own = sqlite3_get_autocommit(db_) != 0;
    if (own) CUTOVER_RETURN_IF_ERROR(Run("BEGIN", ExecOptions{}, nullptr));
    Result<T> result = fn();
    if (own && sqlite3_get_autocommit(db_) == 0) {
      Status end = Run(result.ok() ? "COMMIT" : "ROLLBACK", ExecOptions{}, nullptr);
      if (result.ok() && !end.ok()) return end;
    }
    return result;
  }

  // One value of a single-row statement, as text.
  Result<std::string> ScalarText(const char* sql, const std::string& what);
  Result<SnapshotPoint> DoBeginSnapshot(const SnapshotOptions& options);
  Result<std::string> DoSnapshotImagePath();

  // A script that opened a transaction and then failed must not leave it open
  // (it would hold the database's locks): roll it back and say so.
  Status AfterFailure(const Status& error, bool was_autocommit);
  std::string Describe(std::string_view sql, std::size_t pos, int first_line = 1) const;

  // SQLite stops reading SQL text at a NUL byte: refuse it rather than
  // silently run only the part before it.
  Status CheckText(std::string_view sql) const;
  Status RunQuery(std::string_view sql, const RowCallback& on_row, const ExecOptions& options);

  sqlite3* db_;
  std::string display_;
  std::string path_;  // the database file, for the migration lock file beside it
  int lock_fd_ = -1;  // holds the migration lock's flock while open
  int busy_ms_;
  // BeginWrite()'s lock timeout, which bounds the COMMIT's wait too; 0
  // outside a write transaction (the busy timeout applies).
  std::chrono::milliseconds write_lock_timeout_{0};
  Deadline deadline_;
  ServerInfo info_;
  std::string session_id_;
  // True from the start of a statement that writes until the write
  // transaction ends (write_locks registry).
  std::shared_ptr<std::atomic<bool>> writing_;
  // Sets writing_ from the transaction state when a Run/RunQuery ends.
  void NoteWriteLockState();
  bool in_snapshot_ = false;  // between a successful BeginSnapshot() and EndSnapshot()
};

// The plugin's Driver: opens SqliteConnections on existing files and manages
// scratch databases (<dir>/<name>.db) for CreateDatabase/DropDatabase.
class SqliteDriver final : public Driver {
 public:
  SqliteDriver();

  const DriverInfo& info() const override { return info_; }
  Result<std::unique_ptr<Connection>> Connect(const ConnectionUri& uri) override;
  Result<ConnectionUri> CreateDatabase(const ConnectionUri& server, std::string_view name) override;
  Status DropDatabase(const ConnectionUri& server, std::string_view name) override;
  Result<std::vector<std::string>> ListDatabases(const ConnectionUri& server,
                                                 std::string_view prefix) override;

 private:
  // What a sqlite URI asks for: the file (as given: a relative path is
  // relative to the working directory) and the connection settings.
  struct OpenRequest {
    std::string path;
    int busy_ms = kDefaultBusyTimeoutMs;
    int flags = SQLITE_OPEN_READWRITE;
  };
  static Result<OpenRequest> ParseUri(const ConnectionUri& uri);
  Result<std::unique_ptr<Connection>> DoConnect(const ConnectionUri& uri);
  Result<std::vector<ImageTableDigest>> DigestImage(const std::string& path,
                                                    const std::vector<std::string>& tables) override;

  // The file Connect() opens for `uri`. SQLite resolves a relative path
  // against the working directory when it opens it; so does this, once, so
  // the path stays right if the directory changes later.
  Result<std::string> ImageFilePath(const ConnectionUri& uri) const override;
  Result<std::vector<ScriptStatement>> SplitScript(std::string_view script) const override;

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

  DriverInfo info_;
};

}  // namespace cutover::sqlite
