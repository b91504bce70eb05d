// The PostgreSQL session (PgConnection): statements, queries, transactions,
// quoting and server info, through libpqxx 6.4 over libpq.
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
#include <chrono>
#include <cstdint>
#include <cstdlib>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "base/strings.h"
#include "base/uri.h"
#include "postgresql_internal.h"

namespace cutover::postgresql {
namespace {

// The sink for the policy being constructed on this thread (see
// OpenRecordedConnection): libpqxx constructs the policy inside the
// connection's constructor, with no way to pass it anything but options.
thread_local RawHandle* t_sink = nullptr;

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
  IgnoringErrors([&] {
    const char* l = saved.local ? "true" : "false";
    std::vector<std::string> sets;
    if (o.statement_timeout.count() > 0)
      sets.push_back("set_config('statement_timeout', " + QuoteLit(saved.statement_timeout) + ", " + l + ")");
    if (o.lock_timeout.count() > 0)
      sets.push_back("set_config('lock_timeout', " + QuoteLit(saved.lock_timeout) + ", " + l + ")");
    t.exec("SELECT " + Join(sets, ", "));
  });
}

std::string StripTrailingSemicolons(std::string_view sql) {
  std::string_view t = Trim(sql);
  while (!t.empty() && t.back() == ';') t = Trim(t.substr(0, t.size() - 1));
  return std::string(t);
}

}  // namespace

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

RecordingConnect::RecordingConnect(const std::string& options)
    : pqxx::connect_direct(options), sink_(t_sink) {}

RecordingConnect::handle RecordingConnect::Record(handle h) noexcept {
  if (sink_ != nullptr) sink_->pg = h;
  return h;
}

RecordingConnect::handle RecordingConnect::do_startconnect(handle orig) {
  return Record(pqxx::connect_direct::do_startconnect(orig));
}

RecordingConnect::handle RecordingConnect::do_completeconnect(handle orig) {
  return Record(pqxx::connect_direct::do_completeconnect(orig));
}

RecordingConnect::handle RecordingConnect::do_dropconnect(handle orig) noexcept {
  return Record(pqxx::connect_direct::do_dropconnect(orig));
}

RecordingConnect::handle RecordingConnect::do_disconnect(handle orig) noexcept {
  return Record(pqxx::connect_direct::do_disconnect(orig));
}

std::unique_ptr<PqxxConnection> OpenRecordedConnection(const std::string& conninfo, RawHandle* sink) {
  struct Scope {
    explicit Scope(RawHandle* s) { t_sink = s; }
    ~Scope() { t_sink = nullptr; }
  } scope(sink);
  return std::make_unique<PqxxConnection>(conninfo);
}

PgConnection::PgConnection(std::unique_ptr<RawHandle> raw, std::unique_ptr<PqxxConnection> conn,
                           std::string display)
    : raw_(std::move(raw)),
      conn_(std::move(conn)),
      notices_(std::make_unique<QuietNotices>(*conn_)),
      display_(std::move(display)) {}

PgConnection::~PgConnection() {
  if (cancel_ != nullptr) PQfreeCancel(cancel_);
  // An open transaction ends with the session (the server rolls it back).
  nt_.reset();
  notices_.reset();
}

void PgConnection::Init() {
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
  if (raw_->pg != nullptr) cancel_ = PQgetCancel(raw_->pg);
}

Status PgConnection::Cancel() {
  if (cancel_ == nullptr)
    return Status::Connection("cannot cancel on " + display_ + ": the session is not open");
  cancel_requested_ = true;
  char error[256] = {0};
  if (PQcancel(cancel_, error, sizeof error) == 0) {
    return Status::Connection("sending a cancel request to " + display_ + " failed: " + CleanMessage(error));
  }
  return Status::Ok();
}

Result<std::int64_t> PgConnection::Execute(std::string_view sql, const ExecOptions& options) {
  CUTOVER_RETURN_IF_ERROR(CheckSql(sql));
  CUTOVER_RETURN_IF_ERROR(CheckUsable());
  return Guarded(
      "running " + Describe(sql) + " on " + display_,
      [&]() -> Result<std::int64_t> {
        SavedLimits saved = ApplyLimits(*nt_, options, in_tx_);
        pqxx::result r = UndoOnThrow([&] { return nt_->exec(std::string(sql)); },
                                     [&] {
                                       // Inside a transaction the rollback restores the limits.
                                       if (!in_tx_ && conn_->is_open()) RestoreLimits(*nt_, saved, options);
                                       Track(sql, false);
                                     });
        RestoreLimits(*nt_, saved, options);
        Track(sql, true);
        return static_cast<std::int64_t>(r.affected_rows());
      },
      GuardOptions{}.WithLimits(options));
}

Status PgConnection::Query(std::string_view sql, const RowCallback& on_row, const ExecOptions& options) {
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
    return Guarded(
        what, [&] { return QueryBuffered(text, on_row, options); }, GuardOptions{}.WithLimits(options));
  }
  if (in_tx_) {
    return Guarded(
        what, [&] { return QueryCursor(text, on_row, options, kw == "with"); },
        GuardOptions{}.WithLimits(options));
  }
  // Autocommit: a transaction of our own holds the cursor.
  bool refused = false;
  bool ended = false;  // COMMIT or ROLLBACK went through
  Status st = Guarded(
      what,
      [&] {
        nt_->exec("BEGIN");
        Status cursor = QueryCursor(text, on_row, options, false, &refused);
        nt_->exec(cursor.ok() ? "COMMIT" : "ROLLBACK");
        ended = true;
        return cursor;
      },
      GuardOptions{}.WithLimits(options).Undoing([&] { QuietExec("ROLLBACK"); }));
  if (!refused || !ended) return st;
  // A data-modifying WITH cannot be a cursor: read it in one result.
  return Guarded(
      what, [&] { return QueryBuffered(text, on_row, options); }, GuardOptions{}.WithLimits(options));
}

Status PgConnection::Begin() {
  CUTOVER_RETURN_IF_ERROR(CheckUsable());
  if (in_tx_) {
    return Status::InvalidInput("Begin() called while a transaction is already open on " + display_ +
                                "; Commit() or Rollback() it first");
  }
  return Guarded("starting a transaction on " + display_, [&] {
    nt_->exec("BEGIN");
    in_tx_ = true;
    tx_failed_ = false;
    return Status::Ok();
  });
}

Status PgConnection::Commit() {
  if (!in_tx_) {
    return Status::InvalidInput("Commit() called with no open transaction on " + display_ +
                                "; call Begin() first");
  }
  in_tx_ = false;
  snapshot_ = false;  // Commit()/Rollback()/COMMIT also end a snapshot
  if (!conn_->is_open()) return LostTransaction("COMMIT");
  return Guarded(
      "committing the transaction on " + display_,
      [&] {
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
      },
      GuardOptions{}.Undoing([&] { tx_failed_ = false; }));
}

Status PgConnection::Rollback() {
  if (!in_tx_) {
    return Status::InvalidInput("Rollback() called with no open transaction on " + display_ +
                                "; call Begin() first");
  }
  in_tx_ = false;
  snapshot_ = false;  // Commit()/Rollback()/COMMIT also end a snapshot
  tx_failed_ = false;
  if (!conn_->is_open()) return LostTransaction("ROLLBACK");
  return Guarded("rolling back the transaction on " + display_, [&] {
    nt_->exec("ROLLBACK");
    return Status::Ok();
  });
}

Status PgConnection::CheckUsable() const {
  if (!conn_->is_open() || !nt_) {
    return Status::Connection("the connection to " + display_ +
                              " was lost earlier; open a new connection (session state and any open "
                              "transaction are gone)");
  }
  return Status::Ok();
}

Status PgConnection::LostTransaction(const char* command) const {
  return Status::Connection("connection to the PostgreSQL server " + display_ + " was lost before " +
                            command +
                            "; the server rolled the transaction back when the session ended: reconnect and "
                            "rerun the whole transaction");
}

void PgConnection::Track(std::string_view sql, bool succeeded) {
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

void PgConnection::QuietExec(const char* sql) noexcept {
  if (!conn_->is_open()) return;
  IgnoringErrors([&] { nt_->exec(sql); });
}

Status PgConnection::CheckNoTransaction(const char* op) const {
  if (!in_tx_) return Status::Ok();
  return Status::InvalidInput(
      std::string(op) + " on " + display_ + " needs a connection without an open " +
      (snapshot_ ? "snapshot; call EndSnapshot() first" : "transaction; Commit() or Rollback() it first"));
}

Status PgConnection::CheckNotAborted(const char* op) const {
  if (!in_tx_ || !tx_failed_) return Status::Ok();
  return Status::InvalidInput(std::string(op) + " on " + display_ + ": the " +
                              (snapshot_ ? "snapshot's transaction" : "transaction") +
                              " was aborted by an earlier error; " +
                              (snapshot_ ? "end the snapshot and take it again" : "roll it back first"));
}

Status PgConnection::QueryBuffered(const std::string& sql, const RowCallback& on_row,
                                   const ExecOptions& options) {
  SavedLimits saved = ApplyLimits(*nt_, options, in_tx_);
  pqxx::result r = UndoOnThrow([&] { return nt_->exec(sql); },
                               [&] {
                                 if (!in_tx_ && conn_->is_open()) RestoreLimits(*nt_, saved, options);
                               });
  RestoreLimits(*nt_, saved, options);
  std::vector<Cell> cells;
  std::vector<std::string> blobs;
  return DeliverRows(r, on_row, cells, blobs);
}

Status PgConnection::QueryCursor(const std::string& sql, const RowCallback& on_row,
                                 const ExecOptions& options, bool savepoint, bool* refused) {
  const std::string cursor = "cutover_cursor_" + std::to_string(++cursor_seq_);
  SavedLimits saved = ApplyLimits(*nt_, options, true);
  const std::string declare = "DECLARE " + cursor + " NO SCROLL CURSOR WITHOUT HOLD FOR " + sql;
  if (savepoint) {
    nt_->exec("SAVEPOINT cutover_declare");
    if (!ExecUnless(*nt_, declare, "0A000")) {
      nt_->exec("ROLLBACK TO SAVEPOINT cutover_declare; RELEASE SAVEPOINT cutover_declare");
      RestoreLimits(*nt_, saved, options);
      return QueryBuffered(sql, on_row, options);
    }
    nt_->exec("RELEASE SAVEPOINT cutover_declare");
  } else if (!ExecUnless(*nt_, declare, refused != nullptr ? "0A000" : "")) {
    *refused = true;
    return Status::Unsupported("the statement cannot be declared as a cursor");
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

}  // namespace cutover::postgresql

namespace cutover::postgresql {

// PostgreSQL takes each lock when a statement needs it, waiting at most the
// statement's lock_timeout: nothing to take up front.
Status PgConnection::BeginWrite(std::chrono::milliseconds /*lock_timeout*/) {
  return Begin();
}

Status PgConnection::SetReadOnly() {
  auto r = Execute("SET SESSION CHARACTERISTICS AS TRANSACTION READ ONLY", ExecOptions{});
  return r.ok() ? Status::Ok() : r.status();
}

}  // namespace cutover::postgresql
