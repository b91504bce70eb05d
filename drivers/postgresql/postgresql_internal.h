// Internals of the PostgreSQL driver plugin that use libpqxx or libpq,
// shared by its source files. Nothing here crosses the plugin boundary.
#pragma once

#include <libpq-fe.h>

#include <chrono>
#include <cstdint>
#include <pqxx/pqxx>
#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"
#include "driver/driver.h"
#include "driver/schema_model.h"
#include "postgresql_script.h"

namespace cutover::postgresql {

// Maps the exception being handled (call from a catch block only) to a
// Status. `what` names what was being done ("running statement ... on URI");
// `options` says which limits were set, so an expired one is named.
// `connection_open` is false when the connection is known to be gone.
Status StatusFromException(std::string_view what, const ExecOptions& options, bool connection_open);

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

// Runs `sql` (a COPY ... TO STDOUT) and calls `on_record` with each line,
// '\n' included. A callback error cancels the COPY (the current transaction
// is then aborted: callers use a savepoint or their own transaction) and is
// returned. Server errors name `what`. Never throws.
Status CopyOut(PGconn* pg, const std::string& sql, const std::string& what, const RecordCallback& on_record);

// Runs `sql` (a COPY ... FROM STDIN) feeding it the records of
// `next_batch`, packed into ~1 MiB messages. Every record must be one COPY
// line ending in '\n'. Returns the rows loaded (COPY's count). A source error
// aborts the COPY and is returned; a server error names `what` and carries
// COPY's line number. Never throws.
Result<std::int64_t> CopyIn(PGconn* pg, const std::string& sql, const std::string& what,
                            const RecordBatchSource& next_batch);

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

}  // namespace cutover::postgresql
