// Internals of the PostgreSQL driver plugin that use libpqxx or libpq,
// shared by its files (one per role, see docs/driver-interface.md, "A
// driver's files"). Nothing here crosses the plugin boundary. The text
// helpers without a client-library dependency are in
// postgresql_script_text.h.
#pragma once

#include <libpq-fe.h>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <exception>
#include <functional>
#include <memory>
#include <optional>
#include <pqxx/pqxx>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "base/status.h"
#include "base/uri.h"
#include "driver/driver.h"
#include "driver/schema_model.h"
#include "postgresql_script_text.h"

namespace cutover::postgresql {

// Maps the exception being handled (call from a catch block only) to a
// Status. `what` names what was being done ("running statement ... on URI");
// `options` says which limits were set, so an expired one is named.
// `connection_open` is false when the connection is known to be gone.
Status StatusFromException(std::string_view what, const ExecOptions& options, bool connection_open);

// ---- Guarded(): the one exception boundary ----------------------------------
//
// libpqxx reports every failure by throwing; nothing may cross the plugin
// boundary. Every call into libpqxx therefore runs inside Guarded() (or
// PgConnection::Guarded(), which also tracks the session's transaction),
// which maps what was thrown with StatusFromException().

// What Guarded() does besides mapping the exception, set with the chained
// calls below: GuardOptions{}.WithLimits(options).Undoing([&] { ... }).
struct GuardOptions {
  // The limits in force, named in the message when one expired.
  GuardOptions& WithLimits(const ExecOptions& options) {
    limits = options;
    return *this;
  }
  // PgConnection::Guarded() only: the failed call ran inside a savepoint or
  // transaction of its own that the caller undoes, so the caller's
  // transaction is not marked aborted.
  GuardOptions& KeepingTransaction() {
    marks_transaction = false;
    return *this;
  }
  // `recognize` looks at the exception first: a Status it returns is the
  // result (for a SQLSTATE with a meaning of its own, such as 55P03 after
  // NOWAIT); nullopt falls through to StatusFromException(). It may run
  // statements (guarded themselves).
  GuardOptions& Recognizing(std::function<std::optional<Status>(const std::exception&)> recognize) {
    special = std::move(recognize);
    return *this;
  }
  // `undo` runs last, after the Status is made: it undoes what the failed
  // call started (ROLLBACK, ROLLBACK TO SAVEPOINT). It must not throw.
  GuardOptions& Undoing(std::function<void()> undo) {
    cleanup = std::move(undo);
    return *this;
  }

  ExecOptions limits;
  bool marks_transaction = true;
  std::function<std::optional<Status>(const std::exception&)> special;
  std::function<void()> cleanup;
};

// The Status for the exception being handled (call from a catch block
// only), following `options`.
Status GuardedFailure(const std::string& what, const GuardOptions& options, bool connection_open);

// Runs `fn` (returning Status or Result<T>); an exception becomes
// GuardedFailure(). `connection_open` is false where the connection is
// known to be gone (or was never opened).
template <typename Fn>
auto Guarded(const std::string& what, bool connection_open, Fn&& fn, const GuardOptions& options = {})
    -> decltype(fn()) {
  try {
    return fn();
  } catch (...) {
    return GuardedFailure(what, options, connection_open);
  }
}

// Whether `e` is an error the server reported (pqxx::sql_error), and its
// SQLSTATE (empty for any other exception).
bool IsServerError(const std::exception& e);
std::string SqlState(const std::exception& e);

// Runs `fn`; when it throws, runs `undo` (which must not throw) and lets the
// exception go on to Guarded(): for cleanup that must come first.
template <typename Fn, typename Undo>
auto UndoOnThrow(Fn&& fn, Undo&& undo) -> decltype(fn()) {
  try {
    return fn();
  } catch (...) {
    undo();
    throw;
  }
}

// Runs `fn` and ignores whatever it throws: for cleanup whose failure
// changes nothing (the caller reports the first error, or the rollback of
// the transaction undoes it anyway). Returns whether `fn` finished.
template <typename Fn>
bool IgnoringErrors(Fn&& fn) noexcept {
  try {
    fn();
    return true;
  } catch (...) {
    return false;
  }
}

// Calls a caller's callback (record sink or source), which must not throw:
// an exception becomes kInternal with `message`.
template <typename Fn>
auto CallingBack(const std::string& message, Fn&& fn) -> decltype(fn()) {
  try {
    return fn();
  } catch (...) {
    return Status::Internal(message);
  }
}

// Runs `sql`; returns false when the server refuses it with SQLSTATE
// `state` (never when `state` is empty). Any other error is thrown.
bool ExecUnless(pqxx::transaction_base& t, const std::string& sql, std::string_view state);

// Reads the whole schema of the database `tx` is connected to, with one
// catalog query per object family. The caller pins search_path, DateStyle,
// TimeZone... (see PgConnection::ReadSchema) so deparsed text is
// deterministic. Throws what libpqxx throws.
SchemaModel ReadSchemaIn(pqxx::transaction_base& tx, int server_version_num);

// ---- Raw libpq access -------------------------------------------------------
//
// Bulk data goes through libpq's COPY calls directly: libpqxx 6.4 only copies
// whole tables (no COPY (SELECT ...)), copies every line once more into a
// std::string and strips its newline, and keeps the PGconn private. The
// connection policy below records the PGconn that libpqxx opens, so the
// plugin can use libpq on the very session libpqxx manages (same
// transaction, same exported snapshot). Between libpqxx calls the session is
// idle, so interleaving is safe as long as every raw exchange is finished
// (all results read) before libpqxx is used again.

// Where RecordingConnect writes the handle. Owned by the PgConnection; must
// outlive the libpqxx connection.
struct RawHandle {
  PGconn* pg = nullptr;
};

// libpqxx's direct connection policy, plus recording of the handle in the
// RawHandle that was current (see OpenRecordedConnection) when the policy was
// constructed.
class RecordingConnect : public pqxx::connect_direct {
 public:
  explicit RecordingConnect(const std::string& options);
  handle do_startconnect(handle orig) override;
  handle do_completeconnect(handle orig) override;
  handle do_dropconnect(handle orig) noexcept override;
  handle do_disconnect(handle orig) noexcept override;

 private:
  handle Record(handle h) noexcept;
  RawHandle* sink_;
};

using PqxxConnection = pqxx::basic_connection_base<RecordingConnect>;

// Opens a libpqxx connection whose PGconn is recorded in `*sink`. Throws what
// libpqxx throws.
std::unique_ptr<PqxxConnection> OpenRecordedConnection(const std::string& conninfo, RawHandle* sink);

// Session settings that fix the text form of every type in COPY output and
// how COPY input is parsed, as transaction-local SETs (one string of
// statements). Export and import sessions both run them, so the same rows
// always give the same bytes, also after a restore on another server.
extern const char* const kDataSessionSettings;

// Runs `sql` (a COPY ... TO STDOUT in `form`) and calls `on_record` with
// each record: a text line, '\n' included, or a binary tuple (the header
// and the trailer of the binary stream are checked and left out). A
// callback error cancels the COPY (the current transaction is then aborted:
// callers use a savepoint or their own transaction) and is returned. Server
// errors name `what`. Never throws.
Status CopyOut(PGconn* pg, const std::string& sql, CopyForm form, const std::string& what,
               const RecordCallback& on_record);

// Runs `sql` (a COPY ... FROM STDIN in `form`) feeding it the records of
// `next_batch`, packed into ~1 MiB messages (with the binary stream's header
// and trailer around them). Every record must be one COPY line ending in
// '\n', or one binary tuple of `fields` fields (unchecked count when < 0).
// Returns the rows loaded (COPY's count). A source error or a malformed
// record aborts the COPY and is returned; a server error names `what` and
// carries COPY's line number. Never throws.
Result<std::int64_t> CopyIn(PGconn* pg, const std::string& sql, CopyForm form, int fields,
                            const std::string& what, const RecordBatchSource& next_batch);

// A Status for a failed PGresult (SQLSTATE, message, detail, hint and
// context), or for a failed connection when `res` is null.
Status StatusFromResult(PGconn* pg, const PGresult* res, const std::string& what);

// ---- pg_dump ------------------------------------------------------------------

// What DumpSchema() needs to run pg_dump against the session's server.
struct PgDumpRequest {
  PGconn* pg = nullptr;                       // the live session: host, port, database, password
  int server_version_num = 0;                 // 150018
  std::string server_version;                 // "15.18"
  std::string snapshot_id;                    // exported snapshot to dump from; empty: pg_dump's own
  std::chrono::milliseconds lock_timeout{0};  // pg_dump --lock-wait-timeout; 0: none
  std::string display;                        // the redacted URI, for messages
};

// Locates pg_dump (CUTOVER_PG_DUMP, /usr/lib/postgresql/<major>/bin, the
// newest /usr/lib/postgresql/*/bin, PATH), refuses one older than the
// server (kUnsupported naming both versions and what to install), and runs
// it twice (--section=pre-data, --section=post-data) with the password in the
// child's PGPASSWORD only. \restrict lines are removed. Sequence positions
// are not included (the caller appends them).
Result<SchemaScript> RunPgDump(const PgDumpRequest& request);

// ---- The session and the driver ---------------------------------------------

// Swallows server notices (DROP ... IF EXISTS "skipping", etc.): libpqxx
// would print them on stderr.
class QuietNotices : public pqxx::errorhandler {
 public:
  explicit QuietNotices(pqxx::connection_base& c) : pqxx::errorhandler(c) {}
  bool operator()(const char[]) noexcept override { return false; }
};

std::string Ms(std::chrono::milliseconds ms);

Status ConnectionLost(PGconn* pg, const std::string& what);

Status ConnectFailure(const ConnectionUri& uri, std::string_view raw);

// Statement text for messages: `statement "CREATE TABLE x (..."`.
std::string Describe(std::string_view sql);

Status CheckSql(std::string_view sql);

// A session on a PostgreSQL server (see postgresql_connection.cc for how
// transactions, streaming, limits and reconnection work): owns the libpqxx
// connection, its one nontransaction and the raw libpq handle it records.
// Every libpqxx call runs inside Guarded(), so errors come back as Status; a
// lost connection makes every later call kConnection.
class PgConnection final : public Connection {
 public:
  PgConnection(std::unique_ptr<RawHandle> raw, std::unique_ptr<PqxxConnection> conn, std::string display);
  ~PgConnection() override;

  // Reads the server version; part of connecting.
  void Init();

  const ServerInfo& server_info() const override { return info_; }
  std::string display_uri() const override { return display_; }

  std::string QuoteIdentifier(std::string_view name) const override { return QuoteIdent(name); }
  std::string QuoteLiteral(std::string_view value) const override { return QuoteLit(value); }
  Result<std::int64_t> Execute(std::string_view sql, const ExecOptions& options) override;
  Status ExecuteScript(std::string_view script) override;
  Status Query(std::string_view sql, const RowCallback& on_row, const ExecOptions& options) override;
  Status Begin() override;
  Status Commit() override;
  Status Rollback() override;
  Result<SchemaModel> ReadSchema() override;

  // ---- Snapshots and bulk data -------------------------------------------

  bool SupportsSharedSnapshot() const override { return true; }
  Result<SnapshotPoint> BeginSnapshot(const SnapshotOptions& options) override;
  Status JoinSnapshot(const SnapshotPoint& point) override;

  Status ReleaseSnapshotBarrier() override { return Status::Ok(); }
  Status EndSnapshot() override;
  Result<std::vector<DataTable>> ListDataTables() override;
  Result<SchemaScript> DumpSchemaScript() override;
  Status ExportRows(const DataTable& table, std::string_view predicate,
                    const RecordCallback& on_record) override;
  Result<std::int64_t> ImportRows(const DataTable& table, const RecordBatchSource& next_batch) override;
  Result<std::string> SnapshotImagePath() override;
  Result<bool> IsEmptyDatabase() override;
  Result<std::vector<std::string>> CheckIntegrity(std::string* checks_run) override;

  std::string SessionId() override { return std::to_string(pid_); }

  // ---- Migration lock: a session-level advisory lock (survives COMMIT,
  // released when the session ends), polled so the wait is bounded.
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
  Result<std::vector<TableRowEstimate>> EstimatedRowCounts() override;                  // _locks_rehearsal.cc
  // API v7
  Status Cancel() override;                                    // _connection.cc
  Status StartRewriteLog() override;                           // _locks_rehearsal.cc
  Result<std::vector<std::string>> TakeRewriteLog() override;  // _locks_rehearsal.cc
  // API v9
  Result<std::vector<AccessStatement>> PlanAccess(const SchemaModel& model) override;  // _schema_access.cc
  Result<std::vector<std::string>> MissingRoles(
      const std::vector<std::string>& roles) override;  // _schema_access.cc
  Result<std::string> WithDefiner(std::string_view script,
                                  std::string_view definer) override;  // _schema_access.cc
  Result<std::vector<LockWait>> LockWaits() override;

 private:
  // Guarded() on this session: whether the connection is still open is
  // asked after the failure, and a failure inside a transaction marks it
  // aborted, as the server does (unless options.marks_transaction is false).
  template <typename Fn>
  auto Guarded(const std::string& what, Fn&& fn, const GuardOptions& options = {}) -> decltype(fn()) {
    try {
      return fn();
    } catch (...) {
      return SessionFailure(what, options);
    }
  }
  // The Status for the exception being handled, for Guarded().
  Status SessionFailure(const std::string& what, const GuardOptions& options);

  Status CheckUsable() const;
  Status LostTransaction(const char* command) const;

  // Follows BEGIN/COMMIT/ROLLBACK sent as statements, so that a transaction
  // block opened through Execute()/ExecuteScript() is treated like Begin():
  // Query() and ReadSchema() then never COMMIT it behind the caller's back.
  void Track(std::string_view sql, bool succeeded);

  // Runs a statement whose failure does not matter (cleanup).
  void QuietExec(const char* sql) noexcept;

  // ---- Snapshot helpers ----

  Status CheckNoTransaction(const char* op) const;
  Status CheckNotAborted(const char* op) const;

  // Ends the snapshot's transaction whatever state it is in.
  void AbandonSnapshot() noexcept;

  // LOCK TABLE ... IN ACCESS SHARE MODE on every table of the user schemas,
  // waiting at most `timeout` for each. On a timeout the message names the
  // tables other sessions hold or wait for an ACCESS EXCLUSIVE lock on.
  Status LockAllTables(std::chrono::milliseconds timeout);
  // LockAllTables() after its lock_timeout expired: the LockTimeout status,
  // naming the sessions that hold or wait for ACCESS EXCLUSIVE locks.
  Status LockTimeoutNamingBlockers(const std::string& what, std::chrono::milliseconds timeout);

  // The ACCESS SHARE lock an export takes first, NOWAIT: when DDL is queued
  // behind the snapshot's locks, waiting here would wait for the coordinator,
  // which waits for us.
  Status LockForData(const std::string& name, const std::string& what);

  // Undoes a transaction (own) or savepoint that failed while being set up;
  // when even that fails, the caller's transaction is marked aborted.
  void AbortScope(bool own, const char* savepoint) noexcept;

  // Ends what ExportRows/ImportRows opened (their transaction or savepoint).
  Status EndScope(const std::string& sql, const std::string& what, bool own);

  // setval() calls restoring every sequence of the user schemas to its
  // position: schema-only dumps leave positions out. Sequences are not
  // transactional, so the values read may be later than the snapshot: never
  // earlier, so no restored value is ever handed out twice.
  Result<std::string> SequencePositions();

  // The settings kDataSessionSettings changes, read before an import inside
  // the caller's transaction and put back after it.
  static constexpr const char* kSettingsSnapshotSql =
      "SELECT pg_catalog.current_setting('TimeZone'), pg_catalog.current_setting('DateStyle'), "
      "pg_catalog.current_setting('IntervalStyle'), pg_catalog.current_setting('extra_float_digits'), "
      "pg_catalog.current_setting('bytea_output'), pg_catalog.current_setting('client_encoding'), "
      "pg_catalog.current_setting('lc_monetary'), pg_catalog.current_setting('xmloption'), "
      "pg_catalog.current_setting('search_path'), pg_catalog.current_setting('synchronous_commit')";
  static std::string RestoreSettingsSql(const pqxx::result& r);
  Status QueryBuffered(const std::string& sql, const RowCallback& on_row, const ExecOptions& options);

  // Streams through a cursor inside the current transaction block.
  // `savepoint`: guard the DECLARE with a savepoint, so that a WITH query the
  // server refuses as a cursor (data-modifying WITH) leaves the caller's
  // transaction intact and is read in one result instead. Without it, a
  // refusal sets `*refused` and returns an error for the caller to retry.
  Status QueryCursor(const std::string& sql, const RowCallback& on_row, const ExecOptions& options,
                     bool savepoint, bool* refused = nullptr);

  std::unique_ptr<RawHandle> raw_;  // written by conn_'s policy: declared first, destroyed last
  std::unique_ptr<PqxxConnection> conn_;
  std::unique_ptr<QuietNotices> notices_;
  std::unique_ptr<pqxx::nontransaction> nt_;
  bool in_tx_ = false;      // Begin() was called
  bool tx_failed_ = false;  // a statement failed inside it
  std::string display_;
  ServerInfo info_;
  int pid_ = 0;
  std::uint64_t cursor_seq_ = 0;
  // Cancel(): made once at Init(), so another thread only calls PQcancel()
  // (thread-safe) and never touches the PGconn in use.
  PGcancel* cancel_ = nullptr;
  std::atomic<bool> cancel_requested_{false};
  bool rewrite_log_ = false;  // StartRewriteLog() installed the event trigger
  // Inside BeginSnapshot()/JoinSnapshot() .. EndSnapshot(); in_tx_ is set too,
  // so Query() and ReadSchema() read from the snapshot.
  bool snapshot_ = false;
  std::string snapshot_id_;  // exported (coordinator) or joined (worker)
  std::chrono::milliseconds snapshot_lock_timeout_{0};
  bool migration_lock_held_ = false;
  std::int64_t migration_lock_key_ = 0;
};

// The plugin's Driver: opens PgConnections and runs server-level commands
// (CREATE/DROP DATABASE, listing) on connections to the maintenance database.
class PgDriver final : public Driver {
 public:
  PgDriver();

  const DriverInfo& info() const override { return info_; }
  Result<std::unique_ptr<Connection>> Connect(const ConnectionUri& uri) override;
  Result<ConnectionUri> CreateDatabase(const ConnectionUri& server, std::string_view name) override;
  Status DropDatabase(const ConnectionUri& server, std::string_view name) override;
  Result<std::vector<ImageTableDigest>> DigestImage(const std::string& /*path*/,
                                                    const std::vector<std::string>& /*tables*/) override;
  Result<std::string> ImageFilePath(const ConnectionUri& /*uri*/) const override;
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
  Result<std::vector<std::string>> ListDatabases(const ConnectionUri& server,
                                                 std::string_view prefix) override;

 private:
  DriverInfo info_;
};

// Opens a session and reads its server version (see PgConnection::Init).
Result<std::unique_ptr<PgConnection>> OpenConnection(const ConnectionUri& uri);

}  // namespace cutover::postgresql
