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
#include <memory>
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
inline constexpr std::uint32_t kDriverApiVersion = 1;

struct DriverInfo {
  std::string name;                  // "postgresql", "mysql", "sqlite"
  std::vector<std::string> schemes;  // URI schemes served: {"postgresql", "postgres"}
  std::string driver_version;        // the plugin's own version
  std::string client_library;        // "libpqxx 6.4.5 / libpq 15.18"
};

struct ServerInfo {
  std::string product;     // "PostgreSQL", "MariaDB", "MySQL", "SQLite"
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
};

}  // namespace cutover

// ---------------------------------------------------------------------------
// Plugin entry point.
//
// Every plugin exports one C symbol, CUTOVER_DRIVER_ENTRY_SYMBOL, returning a
// pointer to a static CutoverDriverEntry. The loader reads api_version first
// (a plain integer at offset 0, so it can be read whatever version the plugin
// was built for) and refuses a mismatch before touching anything else.
extern "C" {

struct CutoverDriverEntry {
  std::uint32_t api_version;  // must equal cutover::kDriverApiVersion
  const char* name;           // "postgresql"
  // Creates the plugin's Driver. Never throws; returns nullptr only on
  // out-of-memory. The loader owns the result.
  cutover::Driver* (*create_driver)();
};

typedef const CutoverDriverEntry* (*CutoverDriverEntryFn)();
}

#define CUTOVER_DRIVER_ENTRY_SYMBOL "cutover_driver_entry_v1"

// Use once in a plugin: CUTOVER_DEFINE_DRIVER_ENTRY("sqlite", &MakeSqliteDriver)
#define CUTOVER_DEFINE_DRIVER_ENTRY(driver_name, factory)                                                 \
  extern "C" __attribute__((visibility("default"))) const CutoverDriverEntry* cutover_driver_entry_v1() { \
    static const CutoverDriverEntry entry{::cutover::kDriverApiVersion, driver_name, factory};            \
    return &entry;                                                                                        \
  }
