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
#include <libpq-fe.h>

#include <algorithm>
#include <cctype>
#include <cstring>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "base/strings.h"
#include "base/uri.h"
#include "postgres_internal.h"

namespace cutover::postgres {

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
  PgConnection(std::unique_ptr<pqxx::connection> conn, std::string display)
      : conn_(std::move(conn)),
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

  std::string SessionId() override { return std::to_string(pid_); }

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

  std::unique_ptr<pqxx::connection> conn_;
  std::unique_ptr<QuietNotices> notices_;
  std::unique_ptr<pqxx::nontransaction> nt_;
  bool in_tx_ = false;      // Begin() was called
  bool tx_failed_ = false;  // a statement failed inside it
  std::string display_;
  ServerInfo info_;
  int pid_ = 0;
  std::uint64_t cursor_seq_ = 0;
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
  std::unique_ptr<pqxx::connection> conn;
  try {
    conn = std::make_unique<pqxx::connection>(*conninfo);
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
  auto c = std::make_unique<PgConnection>(std::move(conn), uri.Redacted());
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
}  // namespace cutover::postgres

CUTOVER_DEFINE_DRIVER_ENTRY("postgresql", &cutover::postgres::MakePostgresDriver)
