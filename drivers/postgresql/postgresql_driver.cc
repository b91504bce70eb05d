// The PostgreSQL driver plugin: connections through libpqxx 6.4 over libpq.
//
// Transactions: every statement goes through one pqxx::nontransaction, and
// Begin()/Commit()/Rollback() send BEGIN/COMMIT/ROLLBACK themselves (libpqxx's
// transaction classes close on the first failed statement, which would rule
// out savepoints). Outside Begin() statements run in autocommit, so those that
// refuse a transaction block (CREATE INDEX CONCURRENTLY, VACUUM) work.
//
// Streaming: Query() reads SELECT/VALUES/TABLE/WITH statements through a
// server-side NO SCROLL cursor, FETCH FORWARD in batches sized to about 4 MB,
// inside the caller's transaction or an internal one. Other statements that
// return rows (SHOW, EXPLAIN, INSERT ... RETURNING, CALL) cannot be declared
// as cursors and are read in one result.
//
// Limits: ExecOptions are applied with set_config() around the statement
// (transaction-local inside a transaction, session-level in autocommit so
// CREATE INDEX CONCURRENTLY can have a lock_timeout) and the previous values
// are restored afterwards.
//
// Reconnection: libpqxx 6 silently reconnects a broken connection, which would
// lose session state and change SessionId(); it is inhibited, so a lost
// connection is reported as kConnection on every later call.
//
// Snapshots: BeginSnapshot() opens a REPEATABLE READ READ ONLY transaction,
// exports its snapshot and locks every table IN ACCESS SHARE MODE, as pg_dump
// does; JoinSnapshot() imports it on a worker. Both mark the connection as in
// a transaction, so Query() and ReadSchema() read the snapshot too. Bulk data
// (ExportRows/ImportRows) is COPY text through raw libpq on the same session
// (postgresql_bulk.cc), each call scoped by a savepoint inside a transaction or
// by a transaction of its own, with the text-form settings pinned
// transaction-locally (kDataSessionSettings). DumpSchemaScript() runs pg_dump
// on the exported snapshot.
#include <libpq-fe.h>

#include <algorithm>
#include <cctype>
#include <cstring>
#include <memory>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "base/strings.h"
#include "base/uri.h"
#include "postgresql_internal.h"

namespace cutover::postgresql {

// ---------------------------------------------------------------------------
// Errors.

namespace {

std::string Ms(std::chrono::milliseconds ms) {
  return std::to_string(ms.count()) + " ms";
}

Status LockTimeoutStatus(std::string_view what, const std::string& state, const std::string& msg,
                         const ExecOptions& options) {
  std::string limit;
  if (state == "55P03") {
    limit = options.lock_timeout.count() > 0 ? "lock_timeout of " + Ms(options.lock_timeout) + " expired"
                                             : "a lock could not be obtained (server lock_timeout or NOWAIT)";
  } else {
    limit = options.statement_timeout.count() > 0
                ? "statement_timeout of " + Ms(options.statement_timeout) + " expired"
                : "the statement was canceled (server statement_timeout or a cancel request)";
  }
  return Status::LockTimeout(std::string(what) + ": " + limit + " (" + msg + ", SQLSTATE " + state +
                             "); retry when the blocking sessions are done, or raise the limit");
}

// The advisory lock key of the migration lock: FNV-1a 64 of "cutover:<db>",
// computed here rather than with the server's hash functions so the key
// never changes with the server version.
std::int64_t MigrationLockKey(std::string_view database) {
  std::uint64_t h = 1469598103934665603ULL;
  for (char c : "cutover:" + std::string(database)) {
    h ^= static_cast<unsigned char>(c);
    h *= 1099511628211ULL;
  }
  return static_cast<std::int64_t>(h);
}

}  // namespace

Status StatusFromException(std::string_view what, const ExecOptions& options, bool connection_open) {
  const std::string w(what);
  const char* reconnect = "; check that the server is running and reachable, then reconnect";
  try {
    throw;
  } catch (const pqxx::in_doubt_error& e) {
    return Status::Connection("connection lost while committing (" + w +
                              "): the transaction may or may not have been committed; check the database "
                              "before retrying (" +
                              CleanMessage(e.what()) + ")");
  } catch (const pqxx::broken_connection& e) {
    return Status::Connection("connection to the PostgreSQL server lost while " + w + ": " +
                              CleanMessage(e.what()) + reconnect);
  } catch (const pqxx::sql_error& e) {
    std::string state = e.sqlstate();
    std::string msg = CleanMessage(e.what());
    if (state == "55P03" || state == "57014") return LockTimeoutStatus(w, state, msg, options);
    if (StartsWith(state, "08") || state == "57P01" || state == "57P02" || state == "57P03" ||
        (!connection_open && state.empty())) {
      return Status::Connection("connection to the PostgreSQL server lost while " + w + ": " + msg +
                                reconnect);
    }
    return Status::Query(w + " failed: " + msg + (state.empty() ? "" : " (SQLSTATE " + state + ")"), state);
  } catch (const pqxx::deadlock_detected& e) {
    return Status::Query(
        w + " failed: " + CleanMessage(e.what()) + " (SQLSTATE 40P01); retry the transaction", "40P01");
  } catch (const pqxx::serialization_failure& e) {
    return Status::Query(
        w + " failed: " + CleanMessage(e.what()) + " (SQLSTATE 40001); retry the transaction", "40001");
  } catch (const pqxx::statement_completion_unknown& e) {
    return Status::Query(w + " failed: " + CleanMessage(e.what()) + " (SQLSTATE 40003)", "40003");
  } catch (const pqxx::transaction_rollback& e) {
    return Status::Query(w + " failed: " + CleanMessage(e.what()) + " (SQLSTATE 40000)", "40000");
  } catch (const pqxx::usage_error& e) {
    return Status::Internal("PostgreSQL driver misused libpqxx while " + w + ": " + CleanMessage(e.what()));
  } catch (const std::bad_alloc&) {
    return Status::Internal("out of memory while " + w);
  } catch (const std::exception& e) {
    if (!connection_open) {
      return Status::Connection("connection to the PostgreSQL server lost while " + w + ": " +
                                CleanMessage(e.what()) + reconnect);
    }
    return Status::Query(w + " failed: " + CleanMessage(e.what()));
  } catch (...) {
    return Status::Internal("unknown exception while " + w);
  }
}

// ---------------------------------------------------------------------------
// Connection.

namespace {

constexpr const char* kDriverVersion = CUTOVER_VERSION;

std::string LibpqVersionText() {
  int v = PQlibVersion();
  return std::to_string(v / 10000) + "." + std::to_string(v % 10000);
}

// Swallows server notices (DROP ... IF EXISTS "skipping", etc.): libpqxx
// would print them on stderr.
class QuietNotices : public pqxx::errorhandler {
 public:
  explicit QuietNotices(pqxx::connection_base& c) : pqxx::errorhandler(c) {}
  bool operator()(const char[]) noexcept override { return false; }
};

// The cell type of a result column, from its type OID.
CellType CellTypeFor(pqxx::oid type) {
  switch (type) {
    case 20:  // int8
    case 21:  // int2
    case 23:  // int4
    case 26:  // oid
      return CellType::kInteger;
    case 700:   // float4
    case 701:   // float8
    case 1700:  // numeric
      return CellType::kReal;
    case 17:  // bytea
      return CellType::kBlob;
    default: return CellType::kText;
  }
}

// Decodes the hex text form of a bytea ("\x0102..."); falls back to
// libpq's decoder for the legacy escape format.
std::string DecodeBytea(const char* text, size_t size) {
  if (size >= 2 && text[0] == '\\' && text[1] == 'x') {
    std::string out;
    out.reserve((size - 2) / 2);
    auto hex = [](char c) -> int {
      if (c >= '0' && c <= '9') return c - '0';
      if (c >= 'a' && c <= 'f') return c - 'a' + 10;
      if (c >= 'A' && c <= 'F') return c - 'A' + 10;
      return 0;
    };
    for (size_t i = 2; i + 1 < size; i += 2) out += static_cast<char>(hex(text[i]) * 16 + hex(text[i + 1]));
    return out;
  }
  size_t len = 0;
  unsigned char* raw = PQunescapeBytea(reinterpret_cast<const unsigned char*>(text), &len);
  if (raw == nullptr) throw std::bad_alloc();
  std::string out(reinterpret_cast<const char*>(raw), len);
  PQfreemem(raw);
  return out;
}

// Feeds the rows of a result to the callback. Returns false with `status`
// set when the callback asked to stop.
Status DeliverRows(const pqxx::result& r, const RowCallback& on_row, std::vector<Cell>& cells,
                   std::vector<std::string>& blobs) {
  const auto ncols = static_cast<size_t>(r.columns());
  std::vector<CellType> types(ncols);
  for (size_t c = 0; c < ncols; ++c)
    types[c] = CellTypeFor(r.column_type(static_cast<pqxx::row::size_type>(c)));
  cells.assign(ncols, Cell{});
  blobs.resize(ncols);
  for (const auto& row : r) {
    for (size_t c = 0; c < ncols; ++c) {
      const pqxx::field f = row[static_cast<pqxx::row::size_type>(c)];
      if (f.is_null()) {
        cells[c] = Cell{CellType::kNull, {}};
      } else if (types[c] == CellType::kBlob) {
        blobs[c] = DecodeBytea(f.c_str(), f.size());
        cells[c] = Cell{CellType::kBlob, blobs[c]};
      } else {
        cells[c] = Cell{types[c], std::string_view(f.c_str(), f.size())};
      }
    }
    Status st = on_row(RowView(cells.data(), cells.size()));
    if (!st.ok()) return st;
  }
  return Status::Ok();
}

bool HasLimits(const ExecOptions& o) {
  return o.statement_timeout.count() > 0 || o.lock_timeout.count() > 0;
}

struct SavedLimits {
  bool active = false;
  bool local = false;
  std::string statement_timeout;
  std::string lock_timeout;
};

// Sets the limits of `o` (only those that are non-zero) and returns the
// previous values for RestoreLimits().
SavedLimits ApplyLimits(pqxx::transaction_base& t, const ExecOptions& o, bool local) {
  SavedLimits saved;
  if (!HasLimits(o)) return saved;
  pqxx::result r = t.exec("SELECT current_setting('statement_timeout'), current_setting('lock_timeout')");
  saved.statement_timeout = r[0][0].c_str();
  saved.lock_timeout = r[0][1].c_str();
  saved.local = local;
  const char* l = local ? "true" : "false";
  std::vector<std::string> sets;
  if (o.statement_timeout.count() > 0)
    sets.push_back("set_config('statement_timeout', '" + std::to_string(o.statement_timeout.count()) +
                   "ms', " + l + ")");
  if (o.lock_timeout.count() > 0)
    sets.push_back("set_config('lock_timeout', '" + std::to_string(o.lock_timeout.count()) + "ms', " + l +
                   ")");
  saved.active = true;
  t.exec("SELECT " + Join(sets, ", "));
  return saved;
}

// Restores what ApplyLimits() changed. Never throws: when the transaction is
// aborted the rollback restores the values anyway.
void RestoreLimits(pqxx::transaction_base& t, const SavedLimits& saved, const ExecOptions& o) noexcept {
  if (!saved.active) return;
  try {
    const char* l = saved.local ? "true" : "false";
    std::vector<std::string> sets;
    if (o.statement_timeout.count() > 0)
      sets.push_back("set_config('statement_timeout', " + QuoteLit(saved.statement_timeout) + ", " + l + ")");
    if (o.lock_timeout.count() > 0)
      sets.push_back("set_config('lock_timeout', " + QuoteLit(saved.lock_timeout) + ", " + l + ")");
    t.exec("SELECT " + Join(sets, ", "));
  } catch (...) {
  }
}

// Statement text for messages: `statement "CREATE TABLE x (..."`.
std::string Describe(std::string_view sql) {
  return "statement \"" + FirstLine(sql) + "\"";
}

Status CheckSql(std::string_view sql) {
  if (sql.find('\0') != std::string_view::npos) {
    return Status::InvalidInput(Describe(sql) +
                                " contains a NUL byte, which PostgreSQL cannot accept in SQL text; remove it "
                                "(for binary data use a bytea literal such as '\\x00'::bytea)");
  }
  return Status::Ok();
}

std::string StripTrailingSemicolons(std::string_view sql) {
  std::string_view t = Trim(sql);
  while (!t.empty() && t.back() == ';') t = Trim(t.substr(0, t.size() - 1));
  return std::string(t);
}

class PgConnection final : public Connection {
 public:
  PgConnection(std::unique_ptr<RawHandle> raw, std::unique_ptr<PqxxConnection> conn, std::string display)
      : raw_(std::move(raw)),
        conn_(std::move(conn)),
        notices_(std::make_unique<QuietNotices>(*conn_)),
        display_(std::move(display)) {}

  ~PgConnection() override {
    // An open transaction ends with the session (the server rolls it back).
    nt_.reset();
    notices_.reset();
  }

  // Reads the server version; part of connecting.
  void Init() {
    // One nontransaction for the life of the connection: libpqxx's
    // dbtransaction classes close themselves on the first failed statement,
    // which rules out savepoints and a usable aborted state; transaction
    // control is plain SQL instead.
    nt_ = std::make_unique<pqxx::nontransaction>(*conn_);
    pqxx::result r =
        nt_->exec("SELECT current_setting('server_version'), current_setting('server_version_num')");
    std::string version = r[0][0].c_str();
    auto space = version.find(' ');
    if (space != std::string::npos) version.resize(space);
    info_.product = "PostgreSQL";
    info_.version = version;
    info_.version_number = std::atoi(r[0][1].c_str());
    pid_ = conn_->backendpid();
  }

  const ServerInfo& server_info() const override { return info_; }
  std::string display_uri() const override { return display_; }

  std::string QuoteIdentifier(std::string_view name) const override { return QuoteIdent(name); }
  std::string QuoteLiteral(std::string_view value) const override { return QuoteLit(value); }

  Result<std::int64_t> Execute(std::string_view sql, const ExecOptions& options) override {
    CUTOVER_RETURN_IF_ERROR(CheckSql(sql));
    CUTOVER_RETURN_IF_ERROR(CheckUsable());
    try {
      SavedLimits saved = ApplyLimits(*nt_, options, in_tx_);
      pqxx::result r;
      try {
        r = nt_->exec(std::string(sql));
      } catch (...) {
        // Inside a transaction the rollback restores the limits.
        if (!in_tx_ && conn_->is_open()) RestoreLimits(*nt_, saved, options);
        Track(sql, false);
        throw;
      }
      RestoreLimits(*nt_, saved, options);
      Track(sql, true);
      return static_cast<std::int64_t>(r.affected_rows());
    } catch (...) {
      return Fail("running " + Describe(sql) + " on " + display_, options);
    }
  }

  Status ExecuteScript(std::string_view script) override {
    CUTOVER_RETURN_IF_ERROR(CheckUsable());
    if (script.find('\0') != std::string_view::npos) {
      return Status::InvalidInput(
          "the script contains a NUL byte, which PostgreSQL cannot accept in SQL text");
    }
    const std::vector<ScriptStatement> statements = SplitScript(script);
    const bool caller_tx = in_tx_;
    size_t done = 0;
    for (const ScriptStatement& st : statements) {
      try {
        nt_->exec(st.text);
        Track(st.text, true);
        ++done;
      } catch (...) {
        Track(st.text, false);
        Status failed = Fail(
            "running line " + std::to_string(st.line) + ": " + Describe(st.text) + " on " + display_, {});
        std::string next;
        if (done == 0) {
          next = "no earlier statement of the script ran";
        } else if (caller_tx) {
          next = std::to_string(done) + " earlier statement(s) ran inside the open transaction";
        } else {
          next = std::to_string(done) + " earlier statement(s) were applied";
        }
        if (!caller_tx && in_tx_) {
          // The script opened a transaction block (BEGIN): roll it back
          // rather than leave the session inside an aborted one.
          QuietExec("ROLLBACK");
          in_tx_ = false;
          tx_failed_ = false;
          next += "; the transaction block the script opened was rolled back";
        } else if (in_tx_) {
          next += "; the transaction is aborted: roll it back";
        }
        return failed.WithContext("script failed at statement " + std::to_string(done + 1) + " of " +
                                  std::to_string(statements.size()) + " (" + next + ")");
      }
    }
    return Status::Ok();
  }

  Status Query(std::string_view sql, const RowCallback& on_row, const ExecOptions& options) override {
    CUTOVER_RETURN_IF_ERROR(CheckSql(sql));
    CUTOVER_RETURN_IF_ERROR(CheckUsable());
    const std::string text = StripTrailingSemicolons(sql);
    if (SplitScript(text).size() > 1) {
      return Status::InvalidInput(Describe(sql) + " holds several statements; Query() runs exactly one");
    }
    const std::string kw = FirstKeyword(text);
    const bool cursorable = kw == "select" || kw == "values" || kw == "table" || kw == "with" || kw == "(";
    const std::string what = "running query " + Describe(sql) + " on " + display_;
    if (!cursorable) {
      try {
        return QueryBuffered(text, on_row, options);
      } catch (...) {
        return Fail(what, options);
      }
    }
    if (in_tx_) {
      try {
        return QueryCursor(text, on_row, options, kw == "with");
      } catch (...) {
        return Fail(what, options);
      }
    }
    // Autocommit: a transaction of our own holds the cursor.
    bool refused = false;
    try {
      nt_->exec("BEGIN");
      Status st = QueryCursor(text, on_row, options, false, &refused);
      nt_->exec(st.ok() ? "COMMIT" : "ROLLBACK");
      if (!refused) return st;
    } catch (...) {
      Status st = Fail(what, options);
      QuietExec("ROLLBACK");
      return st;
    }
    // A data-modifying WITH cannot be a cursor: read it in one result.
    try {
      return QueryBuffered(text, on_row, options);
    } catch (...) {
      return Fail(what, options);
    }
  }

  Status Begin() override {
    CUTOVER_RETURN_IF_ERROR(CheckUsable());
    if (in_tx_) {
      return Status::InvalidInput("Begin() called while a transaction is already open on " + display_ +
                                  "; Commit() or Rollback() it first");
    }
    try {
      nt_->exec("BEGIN");
      in_tx_ = true;
      tx_failed_ = false;
      return Status::Ok();
    } catch (...) {
      return Fail("starting a transaction on " + display_, {});
    }
  }

  Status Commit() override {
    if (!in_tx_) {
      return Status::InvalidInput("Commit() called with no open transaction on " + display_ +
                                  "; call Begin() first");
    }
    in_tx_ = false;
    snapshot_ = false;  // Commit()/Rollback()/COMMIT also end a snapshot
    if (!conn_->is_open()) return LostTransaction("COMMIT");
    try {
      // COMMIT of a transaction aborted by an earlier error "succeeds" with
      // the tag ROLLBACK; every statement goes through this class, so a
      // failure inside the transaction was seen (tx_failed_).
      nt_->exec(tx_failed_ ? "ROLLBACK" : "COMMIT");
      if (tx_failed_) {
        tx_failed_ = false;
        return Status::Query(
            "COMMIT on " + display_ +
                " rolled back instead: an earlier statement of the transaction failed, so "
                "nothing was committed. Fix the failing statement and rerun the whole transaction",
            "25P02");
      }
      return Status::Ok();
    } catch (...) {
      tx_failed_ = false;
      return Fail("committing the transaction on " + display_, {});
    }
  }

  Status Rollback() override {
    if (!in_tx_) {
      return Status::InvalidInput("Rollback() called with no open transaction on " + display_ +
                                  "; call Begin() first");
    }
    in_tx_ = false;
    snapshot_ = false;  // Commit()/Rollback()/COMMIT also end a snapshot
    tx_failed_ = false;
    if (!conn_->is_open()) return LostTransaction("ROLLBACK");
    try {
      nt_->exec("ROLLBACK");
      return Status::Ok();
    } catch (...) {
      return Fail("rolling back the transaction on " + display_, {});
    }
  }

  Result<SchemaModel> ReadSchema() override {
    CUTOVER_RETURN_IF_ERROR(CheckUsable());
    // Deterministic deparsing: object names relative to public only, ISO
    // dates, UTC for timestamptz constants, shortest exact floats; no JIT
    // (it costs more than it saves on catalog queries).
    static constexpr const char* kSettings =
        "SET LOCAL search_path TO public; "
        "SET LOCAL datestyle TO 'ISO, YMD'; "
        "SET LOCAL intervalstyle TO 'postgres'; "
        "SET LOCAL timezone TO 'UTC'; "
        "SET LOCAL extra_float_digits TO 1; "
        "SET LOCAL bytea_output TO 'hex'; "
        "SET LOCAL statement_timeout TO 0; "
        "SET LOCAL work_mem TO '64MB'; "
        "SET LOCAL jit TO off";
    const std::string what = "reading the schema of " + display_;
    if (in_tx_) {
      // A savepoint keeps the SET LOCALs from leaking into the caller's
      // transaction: rolling back to it restores them.
      try {
        nt_->exec(std::string("SAVEPOINT cutover_read_schema; ") + kSettings);
        SchemaModel model = ReadSchemaIn(*nt_, info_.version_number);
        model.server_version = info_.version;
        nt_->exec("ROLLBACK TO SAVEPOINT cutover_read_schema; RELEASE SAVEPOINT cutover_read_schema");
        return model;
      } catch (...) {
        Status st = Fail(what, {});
        if (conn_->is_open()) {
          try {
            nt_->exec("ROLLBACK TO SAVEPOINT cutover_read_schema; RELEASE SAVEPOINT cutover_read_schema");
            tx_failed_ = false;  // the caller's transaction is intact
          } catch (...) {
          }
        }
        return st;
      }
    }
    try {
      nt_->exec(std::string("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY; ") + kSettings);
      SchemaModel model = ReadSchemaIn(*nt_, info_.version_number);
      model.server_version = info_.version;
      nt_->exec("COMMIT");
      return model;
    } catch (...) {
      Status st = Fail(what, {});
      QuietExec("ROLLBACK");
      return st;
    }
  }

  // ---- Snapshots and bulk data -------------------------------------------

  bool SupportsSharedSnapshot() const override { return true; }

  Result<SnapshotPoint> BeginSnapshot(const SnapshotOptions& options) override {
    CUTOVER_RETURN_IF_ERROR(CheckUsable());
    CUTOVER_RETURN_IF_ERROR(CheckNoTransaction("BeginSnapshot()"));
    const std::string what = "starting a snapshot of " + display_;
    const bool modern = info_.version_number >= 100000;
    SnapshotPoint point;
    try {
      nt_->exec("BEGIN ISOLATION LEVEL REPEATABLE READ, READ ONLY");
      in_tx_ = true;
      tx_failed_ = false;
      snapshot_ = true;
      // The first query fixes the snapshot: export it and note where the WAL
      // was (the replay position on a standby).
      pqxx::result r = nt_->exec(
          std::string(
              "SELECT pg_catalog.pg_export_snapshot(), CASE WHEN pg_catalog.pg_is_in_recovery() THEN ") +
          (modern ? "pg_catalog.pg_last_wal_replay_lsn() ELSE pg_catalog.pg_current_wal_lsn()"
                  : "pg_catalog.pg_last_xlog_replay_location() ELSE pg_catalog.pg_current_xlog_location()") +
          " END::text");
      snapshot_id_ = r[0][0].c_str();
      point.token = snapshot_id_;
      point.position["snapshot_id"] = snapshot_id_;
      point.position["lsn"] = r[0][1].is_null() ? "" : r[0][1].c_str();
    } catch (...) {
      Status st = StatusFromException(what, {}, conn_->is_open());
      AbandonSnapshot();
      return st;
    }
    // ACCESS SHARE on every table, as pg_dump takes them: DDL that would
    // change a table under the workers waits until EndSnapshot() instead.
    Status locked = LockAllTables(options.lock_timeout);
    if (!locked.ok()) {
      AbandonSnapshot();
      return locked;
    }
    snapshot_lock_timeout_ = options.lock_timeout;
    return point;
  }

  Status JoinSnapshot(const SnapshotPoint& point) override {
    CUTOVER_RETURN_IF_ERROR(CheckUsable());
    CUTOVER_RETURN_IF_ERROR(CheckNoTransaction("JoinSnapshot()"));
    if (point.token.empty()) {
      return Status::InvalidInput(
          "JoinSnapshot() on " + display_ +
          " needs the exported snapshot id BeginSnapshot() returned; the token is empty");
    }
    try {
      // SET TRANSACTION SNAPSHOT must come before the transaction's first query.
      nt_->exec("BEGIN ISOLATION LEVEL REPEATABLE READ, READ ONLY; SET TRANSACTION SNAPSHOT " +
                QuoteLit(point.token));
    } catch (const pqxx::sql_error& e) {
      const std::string state = e.sqlstate();
      Status st =
          StatusFromException("joining snapshot " + point.token + " on " + display_, {}, conn_->is_open());
      QuietExec("ROLLBACK");
      if (state == "22023" || state == "0A000") {
        return Status::InvalidInput("cannot join snapshot '" + point.token + "' on " + display_ + ": " +
                                    CleanMessage(e.what()) +
                                    "; the coordinator's transaction must still be open and the worker must "
                                    "connect to the same server and database");
      }
      return st;
    } catch (...) {
      Status st =
          StatusFromException("joining snapshot " + point.token + " on " + display_, {}, conn_->is_open());
      QuietExec("ROLLBACK");
      return st;
    }
    in_tx_ = true;
    tx_failed_ = false;
    snapshot_ = true;
    snapshot_id_ = point.token;
    snapshot_lock_timeout_ = std::chrono::milliseconds{0};
    return Status::Ok();
  }

  Status ReleaseSnapshotBarrier() override { return Status::Ok(); }

  Status EndSnapshot() override {
    if (!snapshot_) return Status::Ok();
    AbandonSnapshot();
    return Status::Ok();
  }

  Result<std::vector<DataTable>> ListDataTables() override {
    CUTOVER_RETURN_IF_ERROR(CheckUsable());
    CUTOVER_RETURN_IF_ERROR(CheckNotAborted("ListDataTables()"));
    const int v = info_.version_number;
    const std::string generated = v >= 120000 ? " AND a.attgenerated = ''" : "";
    const std::string keyatts = v >= 110000 ? "i.indnkeyatts" : "i.indnatts";
    // Ordinary tables and leaf partitions (relkind 'r'; a partitioned parent
    // holds no rows), in user schemas, not owned by an extension. The split
    // column: one NOT NULL int2/int4/int8 column that alone is the key of a
    // valid, non-partial unique index, the primary key first.
    const std::string sql = R"sql(
SELECT n.nspname, c.relname,
       (SELECT pg_catalog.json_agg(a.attname ORDER BY a.attnum) FROM pg_catalog.pg_attribute a
         WHERE a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped)sql" +
                            generated + R"sql(),
       (SELECT a.attname FROM pg_catalog.pg_index i
          JOIN pg_catalog.pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = i.indkey[0]
         WHERE i.indrelid = c.oid AND i.indisunique AND i.indisvalid AND )sql" +
                            keyatts + R"sql( = 1
           AND i.indpred IS NULL AND i.indexprs IS NULL AND a.attnotnull
           AND a.atttypid IN ('pg_catalog.int2'::pg_catalog.regtype, 'pg_catalog.int4'::pg_catalog.regtype,
                              'pg_catalog.int8'::pg_catalog.regtype)
         ORDER BY i.indisprimary DESC, a.attnum LIMIT 1),
       greatest(c.reltuples, 0)::bigint,
       pg_catalog.pg_relation_size(c.oid)
FROM pg_catalog.pg_class c
JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
WHERE c.relkind = 'r' AND n.nspname <> 'information_schema' AND n.nspname NOT LIKE 'pg\_%'
  AND NOT EXISTS (SELECT 1 FROM pg_catalog.pg_depend d
                   WHERE d.classid = 'pg_catalog.pg_class'::pg_catalog.regclass AND d.objid = c.oid
                     AND d.deptype = 'e')
ORDER BY n.nspname COLLATE "C", c.relname COLLATE "C")sql";
    try {
      std::vector<DataTable> tables;
      pqxx::result r = nt_->exec(sql);
      for (const auto& row : r) {
        DataTable t;
        t.schema = row[0].c_str();
        t.name = row[1].c_str();
        if (!row[2].is_null()) {
          auto cols = ParseJsonStringArray(row[2].c_str());
          if (!cols) {
            return Status::Internal("cannot parse the column list of table " +
                                    QualifiedName(t.schema, t.name) + " from the catalog of " + display_);
          }
          t.columns = std::move(*cols);
        }
        t.split_column = row[3].is_null() ? "" : row[3].c_str();
        t.estimated_rows = std::atoll(row[4].c_str());
        t.estimated_bytes = std::atoll(row[5].c_str());
        tables.push_back(std::move(t));
      }
      return tables;
    } catch (...) {
      return Fail("listing the tables of " + display_, {});
    }
  }

  Result<SchemaScript> DumpSchemaScript() override {
    CUTOVER_RETURN_IF_ERROR(CheckUsable());
    CUTOVER_RETURN_IF_ERROR(CheckNotAborted("DumpSchemaScript()"));
    PgDumpRequest req;
    req.pg = raw_->pg;
    req.server_version_num = info_.version_number;
    req.server_version = info_.version;
    req.snapshot_id = snapshot_ ? snapshot_id_ : "";
    req.lock_timeout = snapshot_ ? snapshot_lock_timeout_ : std::chrono::milliseconds{0};
    req.display = display_;
    auto script = RunPgDump(req);
    if (!script.ok()) return script.status();
    auto positions = SequencePositions();
    if (!positions.ok()) return positions.status();
    if (!positions->empty()) {
      script->post_data +=
          "\n--\n-- Sequence positions as of the snapshot (schema-only dumps leave them out), added by "
          "cutover\n--\n\n" +
          *positions;
    }
    return script;
  }

  Status ExportRows(const DataTable& table, std::string_view predicate,
                    const RecordCallback& on_record) override {
    CUTOVER_RETURN_IF_ERROR(CheckUsable());
    CUTOVER_RETURN_IF_ERROR(CheckNotAborted("ExportRows()"));
    CUTOVER_RETURN_IF_ERROR(CheckSql(predicate));
    const std::string name = QualifiedName(table.schema, table.name);
    const std::string what = "exporting the rows of table " + name + " from " + display_;
    // Inside a transaction (a snapshot, or the caller's) a savepoint scopes
    // the settings and lets a failed lock or a stopped COPY leave the
    // transaction usable; otherwise a transaction of our own does.
    const bool own = !in_tx_;
    try {
      nt_->exec(std::string(own ? "BEGIN ISOLATION LEVEL REPEATABLE READ, READ ONLY; "
                                : "SAVEPOINT cutover_export; ") +
                kDataSessionSettings);
    } catch (...) {
      Status st = StatusFromException(what, {}, conn_->is_open());
      AbortScope(own, "cutover_export");
      return st;
    }
    Status st = LockForData(name, what);
    if (st.ok())
      st = CopyOut(raw_->pg, CopyOutSql(table.schema, table.name, table.columns, predicate), what, on_record);
    // Rolling back to the savepoint drops only what the export set (settings,
    // the lock taken inside it); the snapshot's own locks stay.
    Status ended = EndScope(own ? (st.ok() ? "COMMIT" : "ROLLBACK")
                                : "ROLLBACK TO SAVEPOINT cutover_export; RELEASE SAVEPOINT cutover_export",
                            what, own);
    return st.ok() ? ended : st;
  }

  Result<std::int64_t> ImportRows(const DataTable& table, const RecordBatchSource& next_batch) override {
    CUTOVER_RETURN_IF_ERROR(CheckUsable());
    CUTOVER_RETURN_IF_ERROR(CheckNotAborted("ImportRows()"));
    const std::string name = QualifiedName(table.schema, table.name);
    const std::string what = "importing rows into table " + name + " of " + display_;
    if (snapshot_) {
      return Status::InvalidInput(what +
                                  ": the connection is reading a snapshot (read only); import on another "
                                  "connection");
    }
    const bool own = !in_tx_;
    std::string restore_settings;
    try {
      if (!own) {
        // SET LOCAL would outlive the savepoint's release: note the values
        // to put back.
        pqxx::result r = nt_->exec(kSettingsSnapshotSql);
        restore_settings = "SELECT " + RestoreSettingsSql(r);
      }
      // No synchronous commit wait: a restore is verified afterwards, and one
      // lost at a server crash is simply redone.
      nt_->exec(std::string(own ? "BEGIN; " : "SAVEPOINT cutover_import; ") + kDataSessionSettings +
                "; SET LOCAL synchronous_commit TO off");
    } catch (...) {
      Status st = StatusFromException(what, {}, conn_->is_open());
      AbortScope(own, "cutover_import");
      return st;
    }
    Result<std::int64_t> rows =
        CopyIn(raw_->pg, CopyInSql(table.schema, table.name, table.columns), what, next_batch);
    std::string end;
    if (own) {
      end = rows.ok() ? "COMMIT" : "ROLLBACK";
    } else {
      end = rows.ok() ? "RELEASE SAVEPOINT cutover_import; " + restore_settings
                      : "ROLLBACK TO SAVEPOINT cutover_import; RELEASE SAVEPOINT cutover_import";
    }
    Status ended = EndScope(end, what, own);
    if (!rows.ok()) return rows.status();
    if (!ended.ok()) return ended;
    return rows;
  }

  Result<std::string> SnapshotImagePath() override {
    return Status::Unsupported("PostgreSQL databases are snapshot as records, not as a file image");
  }

  Result<bool> IsEmptyDatabase() override {
    CUTOVER_RETURN_IF_ERROR(CheckUsable());
    CUTOVER_RETURN_IF_ERROR(CheckNotAborted("IsEmptyDatabase()"));
    // Anything in a user schema (relations, routines, types, operators, text
    // search objects...), any schema but public, any extension but plpgsql,
    // and the database-wide objects a dump would recreate.
    static constexpr const char* kUser = "n.nspname <> 'information_schema' AND n.nspname NOT LIKE 'pg\\_%'";
    std::string sql =
        "SELECT (SELECT count(*) FROM pg_catalog.pg_namespace n WHERE n.nspname <> 'public' AND " +
        std::string(kUser) + ")";
    const std::vector<std::pair<const char*, const char*>> in_schemas = {
        {"pg_class", "relnamespace"},        {"pg_proc", "pronamespace"},
        {"pg_type", "typnamespace"},         {"pg_collation", "collnamespace"},
        {"pg_operator", "oprnamespace"},     {"pg_opfamily", "opfnamespace"},
        {"pg_conversion", "connamespace"},   {"pg_ts_config", "cfgnamespace"},
        {"pg_ts_dict", "dictnamespace"},     {"pg_ts_parser", "prsnamespace"},
        {"pg_ts_template", "tmplnamespace"}, {"pg_statistic_ext", "stxnamespace"}};
    for (const auto& [catalog, column] : in_schemas) {
      sql += std::string(" + (SELECT count(*) FROM pg_catalog.") + catalog +
             " x JOIN pg_catalog.pg_namespace n ON n.oid = x." + column + " WHERE " + kUser + ")";
    }
    sql +=
        " + (SELECT count(*) FROM pg_catalog.pg_extension WHERE extname <> 'plpgsql')"
        " + (SELECT count(*) FROM pg_catalog.pg_event_trigger)"
        " + (SELECT count(*) FROM pg_catalog.pg_foreign_data_wrapper)"
        " + (SELECT count(*) FROM pg_catalog.pg_foreign_server)"
        " + (SELECT count(*) FROM pg_catalog.pg_publication)";
    try {
      pqxx::result r = nt_->exec(sql);
      return std::atoll(r[0][0].c_str()) == 0;
    } catch (...) {
      return Fail("checking whether " + display_ + " is empty", {});
    }
  }

  Result<std::vector<std::string>> CheckIntegrity(std::string* checks_run) override {
    CUTOVER_RETURN_IF_ERROR(CheckUsable());
    if (in_tx_) {
      return Status::InvalidInput(
          "CheckIntegrity() on " + display_ +
          " runs each check in a transaction of its own; end the open transaction first");
    }
    const std::string what = "checking the integrity of " + display_;
    std::string schema;
    bool heapam = false;
    try {
      pqxx::result r = nt_->exec(
          "SELECT (SELECT default_version FROM pg_catalog.pg_available_extensions WHERE name = 'amcheck'), "
          "(SELECT extname FROM pg_catalog.pg_extension WHERE extname = 'amcheck')");
      if (r[0][0].is_null()) {
        return Status::Unsupported("amcheck is not available on the server of " + display_ +
                                   " (not in pg_available_extensions); install "
                                   "the PostgreSQL contrib modules for PostgreSQL " +
                                   MajorVersionName(info_.version_number) +
                                   " on the server to enable integrity checks");
      }
      if (r[0][1].is_null()) {
        try {
          // public rather than the session's search_path, which a restored
          // pg_dump script leaves empty.
          nt_->exec("CREATE EXTENSION IF NOT EXISTS amcheck SCHEMA public");
        } catch (const std::exception& e) {
          return Status::Unsupported("amcheck is available but cannot be created in " + display_ + ": " +
                                     CleanMessage(e.what()) +
                                     "; connect as a user allowed to create extensions (superuser, or the "
                                     "database owner for trusted extensions)");
        }
      }
      pqxx::result s = nt_->exec(
          "SELECT n.nspname, EXISTS (SELECT 1 FROM pg_catalog.pg_proc p WHERE p.pronamespace = n.oid AND "
          "p.proname = 'verify_heapam') FROM pg_catalog.pg_extension e JOIN pg_catalog.pg_namespace n ON "
          "n.oid = "
          "e.extnamespace WHERE e.extname = 'amcheck'");
      schema = QuoteIdent(s[0][0].c_str());
      heapam = std::string_view(s[0][1].c_str()) == "t";
    } catch (...) {
      return Fail(what, {});
    }
    struct Rel {
      std::string oid;
      std::string name;
    };
    auto list = [&](const std::string& sql) {
      std::vector<Rel> rels;
      pqxx::result r = nt_->exec(sql);
      for (const auto& row : r)
        rels.push_back({row[0].c_str(), QualifiedName(row[1].c_str(), row[2].c_str())});
      return rels;
    };
    static constexpr const char* kUser =
        " AND n.nspname <> 'information_schema' AND n.nspname NOT LIKE 'pg\\_%' AND c.relpersistence <> 't' ";
    std::vector<Rel> indexes;
    std::vector<Rel> tables;
    try {
      indexes = list(
          std::string("SELECT c.oid, n.nspname, c.relname FROM pg_catalog.pg_index i "
                      "JOIN pg_catalog.pg_class c ON c.oid = i.indexrelid "
                      "JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace "
                      "JOIN pg_catalog.pg_am am ON am.oid = c.relam "
                      "WHERE c.relkind = 'i' AND am.amname = 'btree' AND i.indisvalid AND i.indisready") +
          kUser + "ORDER BY n.nspname COLLATE \"C\", c.relname COLLATE \"C\"");
      if (heapam) {
        tables = list(std::string("SELECT c.oid, n.nspname, c.relname FROM pg_catalog.pg_class c "
                                  "JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace "
                                  "WHERE c.relkind IN ('r', 'm') AND c.relispopulated") +
                      kUser + "ORDER BY n.nspname COLLATE \"C\", c.relname COLLATE \"C\"");
      }
    } catch (...) {
      return Fail(what, {});
    }
    std::vector<std::string> problems;
    constexpr size_t kPerRelation = 100;
    // One statement per relation, each its own transaction: a corrupt index
    // raises an error that must not stop the other checks.
    for (const Rel& idx : indexes) {
      try {
        nt_->exec("SELECT " + schema + ".bt_index_check(" + idx.oid + "::pg_catalog.regclass)");
      } catch (const pqxx::sql_error& e) {
        if (!conn_->is_open()) return Fail(what, {});
        problems.push_back("index " + idx.name + ": " + CleanMessage(e.what()));
      } catch (...) {
        return Fail(what, {});
      }
    }
    for (const Rel& t : tables) {
      try {
        pqxx::result r = nt_->exec("SELECT blkno, offnum, attnum, msg FROM " + schema + ".verify_heapam(" +
                                   t.oid + "::pg_catalog.regclass, check_toast => true)");
        size_t n = 0;
        for (const auto& row : r) {
          if (++n > kPerRelation) break;
          std::string where = "block " + std::string(row[0].c_str());
          if (!row[1].is_null()) where += ", offset " + std::string(row[1].c_str());
          if (!row[2].is_null()) where += ", attribute " + std::string(row[2].c_str());
          problems.push_back("table " + t.name + ": " + where + ": " + std::string(row[3].c_str()));
        }
        if (r.size() > kPerRelation) {
          problems.push_back("table " + t.name + ": " + std::to_string(r.size() - kPerRelation) +
                             " more problems not listed");
        }
      } catch (const pqxx::sql_error& e) {
        if (!conn_->is_open()) return Fail(what, {});
        problems.push_back("table " + t.name + ": " + CleanMessage(e.what()));
      } catch (...) {
        return Fail(what, {});
      }
    }
    if (checks_run != nullptr) {
      *checks_run = "amcheck: " + std::to_string(indexes.size()) + " btree indexes (bt_index_check)";
      *checks_run += heapam ? ", " + std::to_string(tables.size()) + " tables (verify_heapam)"
                            : "; tables not checked (verify_heapam needs amcheck 1.3, PostgreSQL 14)";
    }
    return problems;
  }

  std::string SessionId() override { return std::to_string(pid_); }

  // ---- Migration lock: a session-level advisory lock (survives COMMIT,
  // released when the session ends), polled so the wait is bounded.
  Status AcquireMigrationLock(std::chrono::milliseconds wait) override {
    CUTOVER_RETURN_IF_ERROR(CheckUsable());
    if (migration_lock_held_) return Status::Ok();
    const std::string what = "taking the cutover migration lock on " + display_;
    try {
      const std::string db = nt_->exec("SELECT pg_catalog.current_database()")[0][0].c_str();
      migration_lock_key_ = MigrationLockKey(db);
      const std::string key = std::to_string(migration_lock_key_);
      const auto deadline = std::chrono::steady_clock::now() + wait;
      while (true) {
        if (std::string(nt_->exec("SELECT pg_catalog.pg_try_advisory_lock(" + key + ")")[0][0].c_str()) ==
            "t") {
          migration_lock_held_ = true;
          return Status::Ok();
        }
        const auto now = std::chrono::steady_clock::now();
        if (now >= deadline) break;
        std::this_thread::sleep_for(
            std::min<std::chrono::steady_clock::duration>(std::chrono::milliseconds(100), deadline - now));
      }
      // Name the holder: a bigint advisory lock shows as classid = high 32
      // bits, objid = low 32 bits, objsubid = 1.
      const auto ukey = static_cast<std::uint64_t>(migration_lock_key_);
      pqxx::result r = nt_->exec(
          "SELECT l.pid::text, coalesce(a.usename::text, ''), coalesce(a.client_addr::text, 'local'), "
          "coalesce(a.application_name, ''), coalesce(to_char(a.backend_start AT TIME ZONE 'UTC', "
          "'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"'), '') FROM pg_catalog.pg_locks l LEFT JOIN "
          "pg_catalog.pg_stat_activity a ON a.pid = l.pid WHERE l.locktype = 'advisory' AND l.granted AND "
          "l.database = (SELECT oid FROM pg_catalog.pg_database WHERE datname = "
          "pg_catalog.current_database()) "
          "AND l.classid = " +
          std::to_string(ukey >> 32) + " AND l.objid = " + std::to_string(ukey & 0xffffffffULL) +
          " AND l.objsubid = 1 LIMIT 1");
      std::string holder = "another session";
      if (!r.empty()) {
        holder = "session pid " + std::string(r[0][0].c_str()) + " (user " + r[0][1].c_str() + ", from " +
                 r[0][2].c_str() + (std::string(r[0][3].c_str()).empty() ? "" : ", application ") +
                 r[0][3].c_str() + ", connected " + r[0][4].c_str() + ")";
      }
      return Status::LockTimeout("another cutover apply holds the migration lock on " + display_ + ": " +
                                 holder + " (advisory lock " + key + "); waited " + Ms(wait) +
                                 ". Wait for that run to finish, or check that it is still alive "
                                 "(pg_stat_activity) before terminating it");
    } catch (...) {
      return Fail(what, {});
    }
  }

  Status ReleaseMigrationLock() override {
    if (!migration_lock_held_) return Status::Ok();
    migration_lock_held_ = false;
    CUTOVER_RETURN_IF_ERROR(CheckUsable());
    try {
      nt_->exec("SELECT pg_catalog.pg_advisory_unlock(" + std::to_string(migration_lock_key_) + ")");
      return Status::Ok();
    } catch (...) {
      return Fail("releasing the cutover migration lock on " + display_, {});
    }
  }

  bool TransactionalDdl() const override { return true; }

  Result<std::vector<LockWait>> LockWaits() override {
    CUTOVER_RETURN_IF_ERROR(CheckUsable());
    const bool waitstart = info_.version_number >= 140000;
    const std::string sql = std::string(R"sql(
SELECT a.pid::text,
       array_to_string(pg_blocking_pids(a.pid), ','),
       coalesce(l.mode, a.wait_event),
       CASE WHEN l.relation IS NOT NULL THEN l.relation::regclass::text
            WHEN l.locktype = 'transactionid' THEN 'transaction ' || l.transactionid::text
            WHEN l.locktype = 'virtualxid' THEN 'virtual transaction ' || l.virtualxid
            WHEN l.locktype IS NOT NULL THEN l.locktype
            ELSE a.wait_event END,
       greatest(0, (extract(epoch FROM clock_timestamp() - coalesce()sql") +
                            (waitstart ? "l.waitstart, " : "") +
                            R"sql(a.state_change, a.query_start)) * 1000))::bigint,
       left(a.query, 1000)
FROM pg_catalog.pg_stat_activity a
LEFT JOIN LATERAL (SELECT * FROM pg_catalog.pg_locks pl WHERE pl.pid = a.pid AND NOT pl.granted LIMIT 1) l ON true
WHERE a.datname = current_database() AND a.wait_event_type = 'Lock' AND a.pid <> pg_backend_pid()
ORDER BY a.pid)sql";
    try {
      std::vector<LockWait> waits;
      pqxx::result r = nt_->exec(sql);
      for (const auto& row : r) {
        LockWait w;
        w.waiting_session = row[0].c_str();
        w.blocking_session = row[1].is_null() ? "" : row[1].c_str();
        w.lock = row[2].is_null() ? "" : row[2].c_str();
        w.object = row[3].is_null() ? "" : row[3].c_str();
        w.waited = std::chrono::milliseconds(row[4].is_null() ? 0 : std::atoll(row[4].c_str()));
        w.query = row[5].is_null() ? "" : row[5].c_str();
        waits.push_back(std::move(w));
      }
      return waits;
    } catch (...) {
      return Fail("listing lock waits on " + display_, {});
    }
  }

 private:
  Status CheckUsable() const {
    if (!conn_->is_open() || !nt_) {
      return Status::Connection("the connection to " + display_ +
                                " was lost earlier; open a new connection (session state and any open "
                                "transaction are gone)");
    }
    return Status::Ok();
  }

  Status LostTransaction(const char* command) const {
    return Status::Connection(
        "connection to the PostgreSQL server " + display_ + " was lost before " + command +
        "; the server rolled the transaction back when the session ended: reconnect and "
        "rerun the whole transaction");
  }

  // Maps the exception being handled; marks an open transaction as failed.
  Status Fail(const std::string& what, const ExecOptions& options) {
    bool open = conn_->is_open();
    if (in_tx_) tx_failed_ = true;
    return StatusFromException(what, options, open);
  }

  // Follows BEGIN/COMMIT/ROLLBACK sent as statements, so that a transaction
  // block opened through Execute()/ExecuteScript() is treated like Begin():
  // Query() and ReadSchema() then never COMMIT it behind the caller's back.
  void Track(std::string_view sql, bool succeeded) {
    const int effect = TransactionEffect(sql);
    if (effect > 0 && succeeded && !in_tx_) {
      in_tx_ = true;
      tx_failed_ = false;
    } else if (effect < 0) {
      // COMMIT/ROLLBACK end the block even when they fail.
      in_tx_ = false;
      snapshot_ = false;  // Commit()/Rollback()/COMMIT also end a snapshot
      tx_failed_ = false;
    }
  }

  // Runs a statement whose failure does not matter (cleanup).
  void QuietExec(const char* sql) noexcept {
    if (!conn_->is_open()) return;
    try {
      nt_->exec(sql);
    } catch (...) {
    }
  }

  // ---- Snapshot helpers ----

  Status CheckNoTransaction(const char* op) const {
    if (!in_tx_) return Status::Ok();
    return Status::InvalidInput(
        std::string(op) + " on " + display_ + " needs a connection without an open " +
        (snapshot_ ? "snapshot; call EndSnapshot() first" : "transaction; Commit() or Rollback() it first"));
  }

  Status CheckNotAborted(const char* op) const {
    if (!in_tx_ || !tx_failed_) return Status::Ok();
    return Status::InvalidInput(std::string(op) + " on " + display_ + ": the " +
                                (snapshot_ ? "snapshot's transaction" : "transaction") +
                                " was aborted by an earlier error; " +
                                (snapshot_ ? "end the snapshot and take it again" : "roll it back first"));
  }

  // Ends the snapshot's transaction whatever state it is in.
  void AbandonSnapshot() noexcept {
    QuietExec("ROLLBACK");
    in_tx_ = false;
    tx_failed_ = false;
    snapshot_ = false;
    snapshot_id_.clear();
    snapshot_lock_timeout_ = std::chrono::milliseconds{0};
  }

  // LOCK TABLE ... IN ACCESS SHARE MODE on every table of the user schemas,
  // waiting at most `timeout` for each. On a timeout the message names the
  // tables other sessions hold or wait for an ACCESS EXCLUSIVE lock on.
  Status LockAllTables(std::chrono::milliseconds timeout) {
    const std::string what = "locking the tables of " + display_ + " for the snapshot";
    std::vector<std::string> names;
    std::string previous;
    try {
      pqxx::result r = nt_->exec(
          "SELECT n.nspname, c.relname FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = "
          "c.relnamespace WHERE c.relkind IN ('r', 'p') AND n.nspname <> 'information_schema' AND n.nspname "
          "NOT "
          "LIKE 'pg\\_%' ORDER BY 1, 2");
      for (const auto& row : r) names.push_back(QualifiedName(row[0].c_str(), row[1].c_str()));
      if (names.empty()) return Status::Ok();
      previous = nt_->exec("SELECT pg_catalog.current_setting('lock_timeout')")[0][0].c_str();
      nt_->exec("SAVEPOINT cutover_lock; SELECT pg_catalog.set_config('lock_timeout', '" +
                std::to_string(timeout.count()) + "ms', true)");
    } catch (...) {
      return StatusFromException(what, {}, conn_->is_open());
    }
    try {
      constexpr size_t kPerStatement = 1000;
      for (size_t i = 0; i < names.size(); i += kPerStatement) {
        std::string sql = "LOCK TABLE ";
        for (size_t j = i; j < std::min(names.size(), i + kPerStatement); ++j)
          sql += (j == i ? "ONLY " : ", ONLY ") + names[j];
        nt_->exec(sql + " IN ACCESS SHARE MODE");
      }
      nt_->exec("RELEASE SAVEPOINT cutover_lock; SELECT pg_catalog.set_config('lock_timeout', " +
                QuoteLit(previous) + ", true)");
      return Status::Ok();
    } catch (const pqxx::sql_error& e) {
      if (e.sqlstate() != "55P03") return StatusFromException(what, {}, conn_->is_open());
    } catch (...) {
      return StatusFromException(what, {}, conn_->is_open());
    }
    // Who is in the way: sessions holding or queued for ACCESS EXCLUSIVE
    // (a queued request blocks new ACCESS SHARE requests too).
    std::vector<std::string> blockers;
    try {
      nt_->exec("ROLLBACK TO SAVEPOINT cutover_lock");
      pqxx::result r = nt_->exec(
          "SELECT DISTINCT n.nspname, c.relname, l.pid, l.granted FROM pg_catalog.pg_locks l "
          "JOIN pg_catalog.pg_class c ON c.oid = l.relation JOIN pg_catalog.pg_namespace n ON n.oid = "
          "c.relnamespace WHERE l.locktype = 'relation' AND l.mode = 'AccessExclusiveLock' AND l.pid <> "
          "pg_catalog.pg_backend_pid() AND l.database = (SELECT oid FROM pg_catalog.pg_database WHERE "
          "datname = "
          "pg_catalog.current_database()) AND c.relkind IN ('r', 'p') ORDER BY 1, 2, 3 LIMIT 10");
      for (const auto& row : r) {
        blockers.push_back(QualifiedName(row[0].c_str(), row[1].c_str()) + " (session " + row[2].c_str() +
                           (std::string_view(row[3].c_str()) == "t" ? " holds" : " waits for") +
                           " an ACCESS EXCLUSIVE lock)");
      }
    } catch (...) {
      // The message below is still right without the names.
    }
    return Status::LockTimeout(
        what + ": lock_timeout of " + Ms(timeout) + " expired" +
        (blockers.empty() ? std::string(" (a table was locked by another session)")
                          : ": " + Join(blockers, ", ")) +
        "; DDL or VACUUM FULL is running or waiting on it: retry when it is done, or raise the lock timeout");
  }

  // The ACCESS SHARE lock an export takes first, NOWAIT: when DDL is queued
  // behind the snapshot's locks, waiting here would wait for the coordinator,
  // which waits for us.
  Status LockForData(const std::string& name, const std::string& what) {
    try {
      nt_->exec("LOCK TABLE ONLY " + name + " IN ACCESS SHARE MODE NOWAIT");
      return Status::Ok();
    } catch (const pqxx::sql_error& e) {
      const std::string state = e.sqlstate();
      if (state == "55P03") {
        return Status::LockTimeout(what + ": table " + name +
                                   " cannot be locked without waiting: another session holds or is waiting "
                                   "for a conflicting lock on "
                                   "it (typically DDL such as ALTER TABLE queued behind the snapshot), and "
                                   "waiting would deadlock the "
                                   "snapshot (" +
                                   CleanMessage(e.what()) +
                                   ", SQLSTATE 55P03); take the snapshot again when that session is done");
      }
      if (state == "42P01") {
        return Status::NotFound(what + ": table " + name + " does not exist (" + CleanMessage(e.what()) +
                                "); list the tables with ListDataTables() on this database");
      }
      return StatusFromException(what, {}, conn_->is_open());
    } catch (...) {
      return StatusFromException(what, {}, conn_->is_open());
    }
  }

  // Undoes a transaction (own) or savepoint that failed while being set up;
  // when even that fails, the caller's transaction is marked aborted.
  void AbortScope(bool own, const char* savepoint) noexcept {
    if (own) {
      QuietExec("ROLLBACK");
      return;
    }
    try {
      nt_->exec(std::string("ROLLBACK TO SAVEPOINT ") + savepoint + "; RELEASE SAVEPOINT " + savepoint);
    } catch (...) {
      tx_failed_ = true;
    }
  }

  // Ends what ExportRows/ImportRows opened (their transaction or savepoint).
  Status EndScope(const std::string& sql, const std::string& what, bool own) {
    try {
      nt_->exec(sql);
      return Status::Ok();
    } catch (...) {
      Status st = StatusFromException(what, {}, conn_->is_open());
      if (own) {
        QuietExec("ROLLBACK");
      } else {
        tx_failed_ = true;
      }
      return st;
    }
  }

  // setval() calls restoring every sequence of the user schemas to its
  // position: schema-only dumps leave positions out. Sequences are not
  // transactional, so the values read may be later than the snapshot: never
  // earlier, so no restored value is ever handed out twice.
  Result<std::string> SequencePositions() {
    const std::string what = "reading the sequence positions of " + display_;
    const bool savepoint = in_tx_;
    try {
      if (savepoint) nt_->exec("SAVEPOINT cutover_sequences");
      std::vector<std::string> names;
      pqxx::result r = nt_->exec(
          "SELECT n.nspname, c.relname FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = "
          "c.relnamespace WHERE c.relkind = 'S' AND n.nspname <> 'information_schema' AND n.nspname NOT LIKE "
          "'pg\\_%' AND NOT EXISTS (SELECT 1 FROM pg_catalog.pg_depend d WHERE d.classid = "
          "'pg_catalog.pg_class'::pg_catalog.regclass AND d.objid = c.oid AND d.deptype = 'e') "
          "ORDER BY n.nspname COLLATE \"C\", c.relname COLLATE \"C\"");
      for (const auto& row : r) names.push_back(QualifiedName(row[0].c_str(), row[1].c_str()));
      std::string out;
      constexpr size_t kPerQuery = 200;
      for (size_t i = 0; i < names.size(); i += kPerQuery) {
        std::string sql;
        const size_t end = std::min(names.size(), i + kPerQuery);
        for (size_t j = i; j < end; ++j) {
          if (!sql.empty()) sql += " UNION ALL ";
          sql += "SELECT " + std::to_string(j) + ", last_value, is_called FROM " + names[j];
        }
        pqxx::result v = nt_->exec(sql + " ORDER BY 1");
        for (const auto& row : v) {
          const size_t k = static_cast<size_t>(std::atoll(row[0].c_str()));
          out += "SELECT pg_catalog.setval(" + QuoteLit(names.at(k)) + ", " + row[1].c_str() + ", " +
                 (std::string_view(row[2].c_str()) == "t" ? "true" : "false") + ");\n";
        }
      }
      if (savepoint) nt_->exec("RELEASE SAVEPOINT cutover_sequences");
      return out;
    } catch (...) {
      Status st = StatusFromException(what, {}, conn_->is_open());
      if (savepoint)
        QuietExec("ROLLBACK TO SAVEPOINT cutover_sequences; RELEASE SAVEPOINT cutover_sequences");
      return st;
    }
  }

  // The settings kDataSessionSettings changes, read before an import inside
  // the caller's transaction and put back after it.
  static constexpr const char* kSettingsSnapshotSql =
      "SELECT pg_catalog.current_setting('TimeZone'), pg_catalog.current_setting('DateStyle'), "
      "pg_catalog.current_setting('IntervalStyle'), pg_catalog.current_setting('extra_float_digits'), "
      "pg_catalog.current_setting('bytea_output'), pg_catalog.current_setting('client_encoding'), "
      "pg_catalog.current_setting('lc_monetary'), pg_catalog.current_setting('xmloption'), "
      "pg_catalog.current_setting('search_path'), pg_catalog.current_setting('synchronous_commit')";
  static std::string RestoreSettingsSql(const pqxx::result& r) {
    static constexpr const char* kNames[] = {
        "TimeZone",        "DateStyle",   "IntervalStyle", "extra_float_digits", "bytea_output",
        "client_encoding", "lc_monetary", "xmloption",     "search_path",        "synchronous_commit"};
    std::string sql;
    for (int i = 0; i < 10; ++i) {
      if (i > 0) sql += ", ";
      sql +=
          "pg_catalog.set_config('" + std::string(kNames[i]) + "', " + QuoteLit(r[0][i].c_str()) + ", true)";
    }
    return sql;
  }

  Status QueryBuffered(const std::string& sql, const RowCallback& on_row, const ExecOptions& options) {
    SavedLimits saved = ApplyLimits(*nt_, options, in_tx_);
    pqxx::result r;
    try {
      r = nt_->exec(sql);
    } catch (...) {
      if (!in_tx_ && conn_->is_open()) RestoreLimits(*nt_, saved, options);
      throw;
    }
    RestoreLimits(*nt_, saved, options);
    std::vector<Cell> cells;
    std::vector<std::string> blobs;
    return DeliverRows(r, on_row, cells, blobs);
  }

  // Streams through a cursor inside the current transaction block.
  // `savepoint`: guard the DECLARE with a savepoint, so that a WITH query the
  // server refuses as a cursor (data-modifying WITH) leaves the caller's
  // transaction intact and is read in one result instead. Without it, a
  // refusal sets `*refused` and returns an error for the caller to retry.
  Status QueryCursor(const std::string& sql, const RowCallback& on_row, const ExecOptions& options,
                     bool savepoint, bool* refused = nullptr) {
    const std::string cursor = "cutover_cursor_" + std::to_string(++cursor_seq_);
    SavedLimits saved = ApplyLimits(*nt_, options, true);
    const std::string declare = "DECLARE " + cursor + " NO SCROLL CURSOR WITHOUT HOLD FOR " + sql;
    if (savepoint) {
      nt_->exec("SAVEPOINT cutover_declare");
      try {
        nt_->exec(declare);
      } catch (const pqxx::sql_error& e) {
        if (e.sqlstate() != "0A000") throw;
        nt_->exec("ROLLBACK TO SAVEPOINT cutover_declare; RELEASE SAVEPOINT cutover_declare");
        RestoreLimits(*nt_, saved, options);
        return QueryBuffered(sql, on_row, options);
      }
      nt_->exec("RELEASE SAVEPOINT cutover_declare");
    } else {
      try {
        nt_->exec(declare);
      } catch (const pqxx::sql_error& e) {
        if (refused == nullptr || e.sqlstate() != "0A000") throw;
        *refused = true;
        return Status::Unsupported("the statement cannot be declared as a cursor");
      }
    }
    // Batches of about 4 MB: wide rows fetch fewer at a time.
    constexpr size_t kTargetBytes = 4u << 20;
    long batch = 1000;
    std::vector<Cell> cells;
    std::vector<std::string> blobs;
    Status status;
    while (true) {
      pqxx::result r = nt_->exec("FETCH FORWARD " + std::to_string(batch) + " FROM " + cursor);
      size_t bytes = 0;
      for (const auto& row : r)
        for (const auto& f : row) bytes += f.size() + 16;
      status = DeliverRows(r, on_row, cells, blobs);
      if (!status.ok()) break;
      if (static_cast<long>(r.size()) < batch) break;
      const size_t per_row = std::max<size_t>(1, bytes / std::max<size_t>(1, r.size()));
      batch = static_cast<long>(std::clamp<size_t>(kTargetBytes / per_row, 1, 10000));
    }
    nt_->exec("CLOSE " + cursor);
    RestoreLimits(*nt_, saved, options);
    return status;
  }

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
  // Inside BeginSnapshot()/JoinSnapshot() .. EndSnapshot(); in_tx_ is set too,
  // so Query() and ReadSchema() read from the snapshot.
  bool snapshot_ = false;
  std::string snapshot_id_;  // exported (coordinator) or joined (worker)
  std::chrono::milliseconds snapshot_lock_timeout_{0};
  bool migration_lock_held_ = false;
  std::int64_t migration_lock_key_ = 0;
};

// ---------------------------------------------------------------------------
// Driver.

// Builds a libpq key=value conninfo string from the URI (so connect_timeout
// and fallback_application_name can be added when the URI does not set
// them). Bad parameters are kInvalidInput.
Result<std::string> BuildConninfo(const ConnectionUri& uri) {
  char* err = nullptr;
  PQconninfoOption* opts = PQconninfoParse(uri.Text().c_str(), &err);
  if (opts == nullptr) {
    std::string msg = err != nullptr ? CleanMessage(err) : "out of memory";
    if (err != nullptr) PQfreemem(err);
    return Status::InvalidInput("the PostgreSQL URI " + uri.Redacted() + " is not accepted by libpq: " + msg +
                                "; see https://www.postgresql.org/docs/current/libpq-connect.html for valid "
                                "parameters");
  }
  std::string out;
  bool has_timeout = false;
  bool has_app = false;
  for (PQconninfoOption* o = opts; o->keyword != nullptr; ++o) {
    if (o->val == nullptr) continue;
    std::string key = o->keyword;
    if (key == "connect_timeout") has_timeout = true;
    if (key == "application_name" || key == "fallback_application_name") has_app = true;
    std::string value;
    for (const char* p = o->val; *p; ++p) {
      if (*p == '\'' || *p == '\\') value += '\\';
      value += *p;
    }
    out += key + "='" + value + "' ";
  }
  PQconninfoFree(opts);
  if (!has_timeout) out += "connect_timeout='10' ";
  if (!has_app) out += "fallback_application_name='cutover' ";
  return out;
}

Status ConnectFailure(const ConnectionUri& uri, std::string_view raw) {
  std::string msg = CleanMessage(raw);
  if (msg.find("database \"") != std::string::npos && msg.find("does not exist") != std::string::npos) {
    return Status::NotFound("database '" + uri.database() + "' does not exist on " + uri.Redacted() + " (" +
                            msg + "); check the database name in the URI or create it");
  }
  if (msg.find("password authentication failed") != std::string::npos ||
      msg.find("no password supplied") != std::string::npos) {
    return Status::Connection("cannot connect to " + uri.Redacted() + ": " + msg +
                              "; check the user and the password (URI, PGPASSWORD or ~/.pgpass)");
  }
  return Status::Connection("cannot connect to " + uri.Redacted() + ": " + msg +
                            "; check that the server is running and that host, port and user are right");
}

Result<std::unique_ptr<PgConnection>> OpenConnection(const ConnectionUri& uri) {
  if (uri.driver_scheme() != "postgresql") {
    return Status::InvalidInput("the PostgreSQL driver cannot open " + uri.Redacted() +
                                ": expected a postgresql:// or postgres:// URI");
  }
  auto conninfo = BuildConninfo(uri);
  if (!conninfo.ok()) return conninfo.status();
  auto raw = std::make_unique<RawHandle>();
  std::unique_ptr<PqxxConnection> conn;
  try {
    conn = OpenRecordedConnection(*conninfo, raw.get());
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wdeprecated-declarations"
    conn->inhibit_reactivation(true);
#pragma GCC diagnostic pop
  } catch (const pqxx::broken_connection& e) {
    return ConnectFailure(uri, e.what());
  } catch (const std::exception& e) {
    return ConnectFailure(uri, e.what());
  } catch (...) {
    return Status::Internal("unknown exception while connecting to " + uri.Redacted());
  }
  auto c = std::make_unique<PgConnection>(std::move(raw), std::move(conn), uri.Redacted());
  try {
    c->Init();
  } catch (...) {
    return StatusFromException("reading the server version of " + uri.Redacted(), {}, false);
  }
  return c;
}

// The URI of the maintenance database for server-level commands: the URI's
// own database, or "postgres" when it names none.
ConnectionUri MaintenanceUri(const ConnectionUri& server) {
  if (server.database().empty() && !server.param("dbname")) return server.WithDatabase("postgres");
  return server;
}

Status CheckDatabaseName(std::string_view name) {
  if (name.empty()) return Status::InvalidInput("empty database name");
  if (name.size() > 63) {
    return Status::InvalidInput(
        "database name '" + std::string(name) + "' is " + std::to_string(name.size()) +
        " bytes long; PostgreSQL names are at most 63 bytes (longer ones are truncated)");
  }
  if (name.find('\0') != std::string_view::npos || !IsValidUtf8(name)) {
    return Status::InvalidInput("database name contains a NUL byte or invalid UTF-8");
  }
  return Status::Ok();
}

class PgDriver final : public Driver {
 public:
  PgDriver() {
    info_.name = "postgresql";
    info_.schemes = {"postgresql", "postgres"};
    info_.driver_version = kDriverVersion;
    info_.client_library = std::string("libpqxx ") + PQXX_VERSION + " / libpq " + LibpqVersionText();
  }

  const DriverInfo& info() const override { return info_; }

  Result<std::unique_ptr<Connection>> Connect(const ConnectionUri& uri) override {
    try {
      auto c = OpenConnection(uri);
      if (!c.ok()) return c.status();
      return std::unique_ptr<Connection>(std::move(*c));
    } catch (...) {
      return StatusFromException("connecting to " + uri.Redacted(), {}, false);
    }
  }

  Result<ConnectionUri> CreateDatabase(const ConnectionUri& server, std::string_view name) override {
    CUTOVER_RETURN_IF_ERROR(CheckDatabaseName(name));
    try {
      auto c = OpenConnection(MaintenanceUri(server));
      if (!c.ok()) return c.status().WithContext("creating database '" + std::string(name) + "'");
      auto r =
          (*c)->Execute("CREATE DATABASE " + QuoteIdent(name) + " TEMPLATE template0 ENCODING 'UTF8'", {});
      if (!r.ok()) {
        if (r.status().sqlstate() == "42P04") {
          return Status::Query("cannot create database '" + std::string(name) + "' on " + server.Redacted() +
                                   ": it already exists; choose another name or drop it first",
                               "42P04");
        }
        return r.status().WithContext("creating database '" + std::string(name) + "'");
      }
      return server.WithDatabase(name);
    } catch (...) {
      return StatusFromException("creating database '" + std::string(name) + "'", {}, true);
    }
  }

  Status DropDatabase(const ConnectionUri& server, std::string_view name) override {
    CUTOVER_RETURN_IF_ERROR(CheckDatabaseName(name));
    try {
      auto c = OpenConnection(MaintenanceUri(server));
      if (!c.ok()) return c.status().WithContext("dropping database '" + std::string(name) + "'");
      bool force = (*c)->server_info().version_number >= 130000;
      auto r =
          (*c)->Execute("DROP DATABASE IF EXISTS " + QuoteIdent(name) + (force ? " WITH (FORCE)" : ""), {});
      if (!r.ok()) return r.status().WithContext("dropping database '" + std::string(name) + "'");
      return Status::Ok();
    } catch (...) {
      return StatusFromException("dropping database '" + std::string(name) + "'", {}, true);
    }
  }

  Result<std::vector<ImageTableDigest>> DigestImage(const std::string& /*path*/,
                                                    const std::vector<std::string>& /*tables*/) override {
    return Status::Unsupported("PostgreSQL has no database images");
  }
  Result<std::string> ImageFilePath(const ConnectionUri& /*uri*/) const override {
    return Status::Unsupported("PostgreSQL has no database images");
  }

  Result<std::vector<ScriptStatement>> SplitScript(std::string_view script) const override {
    Unterminated open;
    std::vector<ScriptStatement> statements = postgresql::SplitScript(script, &open);
    if (!open.kind.empty()) {
      return Status::InvalidInput("the script has an unterminated " + open.kind + " starting on line " +
                                  std::to_string(open.line) +
                                  "; close it (everything after it would be swallowed)");
    }
    return statements;
  }

  Result<std::vector<std::string>> ListDatabases(const ConnectionUri& server,
                                                 std::string_view prefix) override {
    try {
      auto c = OpenConnection(MaintenanceUri(server));
      if (!c.ok()) return c.status().WithContext("listing databases");
      std::vector<std::string> names;
      Status st = (*c)->Query(
          "SELECT datname FROM pg_catalog.pg_database WHERE NOT datistemplate AND left(datname, length(" +
              QuoteLit(prefix) + ")) = " + QuoteLit(prefix) + " ORDER BY datname",
          [&](RowView row) {
            names.emplace_back(row[0].data);
            return Status::Ok();
          },
          {});
      if (!st.ok()) return st.WithContext("listing databases");
      std::erase_if(names, [&](const std::string& n) { return !StartsWith(n, prefix); });
      return names;
    } catch (...) {
      return StatusFromException("listing databases on " + server.Redacted(), {}, true);
    }
  }

 private:
  DriverInfo info_;
};

Driver* MakePostgresDriver() {
  try {
    return new PgDriver();
  } catch (...) {
    return nullptr;
  }
}

}  // namespace
}  // namespace cutover::postgresql

CUTOVER_DEFINE_DRIVER_ENTRY("postgresql", &cutover::postgresql::MakePostgresDriver)
