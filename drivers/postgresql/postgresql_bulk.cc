// Bulk data of the PostgreSQL driver: ExportRows/ImportRows as COPY text
// through raw libpq on the session libpqxx manages (same transaction, same
// exported snapshot), each call scoped by a savepoint inside a transaction
// or by a transaction of its own, with the text-form settings pinned
// transaction-locally (kDataSessionSettings).
//
// One record is one line of COPY's text format, '\n' included, or one tuple
// of COPY's binary format (CopyForm), exactly as the server sends it (no
// parsing, no re-encoding); imports pack records into ~1 MiB CopyData
// messages, so the cost per row is a memcpy (and, for binary tuples, a walk
// over the field lengths that checks the framing).
//
// Why binary where it can: the server neither prints nor parses the values.
// On a durable PostgreSQL 15 server, COPY of the benchmark's 600 MB events
// table took 5.97-7.18 s of server CPU in binary against 8.64-10.96 s in
// text (import) and 2.1 s against 3.3 s (export to /dev/null); compressed,
// the two forms are the same size (docs/performance.md).
#include <libpq-fe.h>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdlib>
#include <cstring>
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

// Puts the connection in blocking mode for one COPY (PQputCopyData and
// PQgetCopyData then never report "would block") and restores the previous
// mode afterwards.
class BlockingScope {
 public:
  explicit BlockingScope(PGconn* pg) : pg_(pg), was_nonblocking_(PQisnonblocking(pg) != 0) {
    if (was_nonblocking_) (void)PQsetnonblocking(pg_, 0);
  }
  ~BlockingScope() {
    if (was_nonblocking_) (void)PQsetnonblocking(pg_, 1);
  }
  BlockingScope(const BlockingScope&) = delete;
  BlockingScope& operator=(const BlockingScope&) = delete;

 private:
  PGconn* pg_;
  bool was_nonblocking_;
};

// Reads and frees whatever results are left, so the session is idle again.
void DrainResults(PGconn* pg) {
  while (PGresult* r = PQgetResult(pg)) PQclear(r);
}

// Asks the server to stop the running statement. Best effort: the caller
// reads on until the server ends it either way.
void Cancel(PGconn* pg) {
  PGcancel* c = PQgetCancel(pg);
  if (c == nullptr) return;
  char err[256];
  (void)PQcancel(c, err, sizeof err);
  PQfreeCancel(c);
}

}  // namespace

const char* const kDataSessionSettings =
    "SET LOCAL TimeZone TO 'UTC'; "
    "SET LOCAL DateStyle TO 'ISO, YMD'; "
    "SET LOCAL IntervalStyle TO 'postgres'; "
    "SET LOCAL extra_float_digits TO 3; "
    "SET LOCAL bytea_output TO 'hex'; "
    "SET LOCAL client_encoding TO 'UTF8'; "
    // money's text form follows lc_monetary; xml input follows xmloption;
    // regclass & co. print names relative to search_path.
    "SET LOCAL lc_monetary TO 'C'; "
    "SET LOCAL xmloption TO content; "
    "SELECT pg_catalog.set_config('search_path', '', true)";

Status CopyOut(PGconn* pg, const std::string& sql, CopyForm form, const std::string& what,
               const RecordCallback& on_record) {
  if (pg == nullptr || PQstatus(pg) != CONNECTION_OK) return ConnectionLost(pg, what);
  BlockingScope blocking(pg);
  // The extended protocol runs exactly one statement, whatever the text.
  if (PQsendQueryParams(pg, sql.c_str(), 0, nullptr, nullptr, nullptr, nullptr, 0) == 0) {
    return ConnectionLost(pg, what);
  }
  PGresult* res = PQgetResult(pg);
  if (res == nullptr || PQresultStatus(res) != PGRES_COPY_OUT) {
    Status st = StatusFromResult(pg, res, what);
    PQclear(res);
    DrainResults(pg);
    return st;
  }
  PQclear(res);
  Status stop;
  // Binary: the server sends the header with the first tuple and the
  // trailer as a message of its own.
  bool header_due = form == CopyForm::kBinary;
  while (true) {
    char* buf = nullptr;
    const int n = PQgetCopyData(pg, &buf, 0);
    if (n > 0) {
      std::string_view record(buf, static_cast<size_t>(n));
      if (stop.ok() && header_due) {
        stop = StripBinaryHeader(record, what);
        header_due = false;
        if (!stop.ok()) Cancel(pg);
      }
      const bool framing = form == CopyForm::kBinary && (record.empty() || record == kBinaryTrailer);
      if (stop.ok() && !framing) {
        stop = CallingBack("the record callback threw an exception while " + what,
                           [&] { return on_record(record); });
        // The rest of the table is not wanted: stop the server instead of
        // reading it all.
        if (!stop.ok()) Cancel(pg);
      }
      PQfreemem(buf);
      continue;
    }
    if (n == -1) break;  // end of data; the command's result follows
    Status lost = ConnectionLost(pg, what);
    DrainResults(pg);
    return stop.ok() ? lost : stop;
  }
  res = PQgetResult(pg);
  Status st = res != nullptr && PQresultStatus(res) == PGRES_COMMAND_OK ? Status::Ok()
                                                                        : StatusFromResult(pg, res, what);
  PQclear(res);
  DrainResults(pg);
  return stop.ok() ? st : stop;
}

Result<std::int64_t> CopyIn(PGconn* pg, const std::string& sql, CopyForm form, int fields,
                            const std::string& what, const RecordBatchSource& next_batch) {
  if (pg == nullptr || PQstatus(pg) != CONNECTION_OK) return ConnectionLost(pg, what);
  BlockingScope blocking(pg);
  if (PQsendQueryParams(pg, sql.c_str(), 0, nullptr, nullptr, nullptr, nullptr, 0) == 0) {
    return ConnectionLost(pg, what);
  }
  PGresult* res = PQgetResult(pg);
  if (res == nullptr || PQresultStatus(res) != PGRES_COPY_IN) {
    Status st = StatusFromResult(pg, res, what);
    PQclear(res);
    DrainResults(pg);
    return st;
  }
  PQclear(res);

  constexpr size_t kMessageBytes = 1u << 20;
  std::string buf = form == CopyForm::kBinary ? BinaryHeader() : std::string();
  buf.reserve(kMessageBytes);
  bool sending = true;  // false once the server stopped the COPY (its error is in the result)
  auto put = [&](const char* data, size_t size) {
    if (sending && size > 0 && PQputCopyData(pg, data, static_cast<int>(size)) != 1) sending = false;
  };
  auto flush = [&] {
    put(buf.data(), buf.size());
    buf.clear();
  };

  Status stop;  // a source error or a malformed record: the COPY is aborted
  std::int64_t record_no = 0;
  while (sending && stop.ok()) {
    Result<std::span<const std::string_view>> batch = Status::Internal("unset");
    batch = CallingBack("the record source threw an exception while " + what, [&] { return next_batch(); });
    if (!batch.ok()) {
      stop = batch.status();
      break;
    }
    if (batch->empty()) break;
    for (std::string_view rec : *batch) {
      ++record_no;
      const std::string problem = RecordProblem(rec, form, fields);
      if (!problem.empty()) {
        stop = Status::InvalidInput(
            what + ": record " + std::to_string(record_no) + " is not one " +
            (form == CopyForm::kBinary ? "PostgreSQL COPY BINARY tuple" : "line of PostgreSQL COPY text") +
            " (" + problem + "); the snapshot data is damaged or was not written by this driver");
        break;
      }
      if (rec.size() >= kMessageBytes) {
        flush();
        put(rec.data(), rec.size());
      } else {
        if (buf.size() + rec.size() > kMessageBytes) flush();
        buf.append(rec);
      }
      if (!sending) break;
    }
  }
  if (stop.ok() && form == CopyForm::kBinary) {
    if (buf.size() + kBinaryTrailer.size() > kMessageBytes) flush();
    buf.append(kBinaryTrailer);
  }
  if (stop.ok()) flush();
  // PQputCopyEnd fails when the server already ended the COPY with an error;
  // the result below then says why.
  (void)PQputCopyEnd(pg, stop.ok() ? nullptr : "cutover stopped the import");
  res = PQgetResult(pg);
  std::int64_t rows = 0;
  Status st;
  if (res != nullptr && PQresultStatus(res) == PGRES_COMMAND_OK) {
    rows = std::atoll(PQcmdTuples(res));
  } else {
    st = StatusFromResult(pg, res, what);
  }
  PQclear(res);
  DrainResults(pg);
  if (!stop.ok()) return stop;
  if (!st.ok()) return st;
  return rows;
}

Status PgConnection::ExportRows(const DataTable& table, std::string_view predicate,
                                const RecordCallback& on_record) {
  CUTOVER_RETURN_IF_ERROR(CheckUsable());
  CUTOVER_RETURN_IF_ERROR(CheckNotAborted("ExportRows()"));
  CUTOVER_RETURN_IF_ERROR(CheckSql(predicate));
  const std::string name = QualifiedName(table.schema, table.name);
  const std::string what = "exporting the rows of table " + name + " from " + display_;
  auto form = CopyFormOf(table, what);
  if (!form.ok()) return form.status();
  // Inside a transaction (a snapshot, or the caller's) a savepoint scopes
  // the settings and lets a failed lock or a stopped COPY leave the
  // transaction usable; otherwise a transaction of our own does.
  const bool own = !in_tx_;
  Status st = Guarded(
      what,
      [&] {
        nt_->exec(std::string(own ? "BEGIN ISOLATION LEVEL REPEATABLE READ, READ ONLY; "
                                  : "SAVEPOINT cutover_export; ") +
                  kDataSessionSettings);
        return Status::Ok();
      },
      GuardOptions{}.KeepingTransaction().Undoing([&] { AbortScope(own, "cutover_export"); }));
  if (!st.ok()) return st;
  st = LockForData(name, what);
  if (st.ok())
    st = CopyOut(raw_->pg,
                 CopyOutSql(table.schema, table.name, table.columns, predicate, *form == CopyForm::kBinary),
                 *form, what, on_record);
  // Rolling back to the savepoint drops only what the export set (settings,
  // the lock taken inside it); the snapshot's own locks stay.
  Status ended = EndScope(own ? (st.ok() ? "COMMIT" : "ROLLBACK")
                              : "ROLLBACK TO SAVEPOINT cutover_export; RELEASE SAVEPOINT cutover_export",
                          what, own);
  return st.ok() ? ended : st;
}

Result<std::int64_t> PgConnection::ImportRows(const DataTable& table, const RecordBatchSource& next_batch) {
  CUTOVER_RETURN_IF_ERROR(CheckUsable());
  CUTOVER_RETURN_IF_ERROR(CheckNotAborted("ImportRows()"));
  const std::string name = QualifiedName(table.schema, table.name);
  const std::string what = "importing rows into table " + name + " of " + display_;
  auto form = CopyFormOf(table, what);
  if (!form.ok()) return form.status();
  if (snapshot_) {
    return Status::InvalidInput(what +
                                ": the connection is reading a snapshot (read only); import on another "
                                "connection");
  }
  const bool own = !in_tx_;
  std::string restore_settings;
  Status started = Guarded(
      what,
      [&] {
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
        return Status::Ok();
      },
      GuardOptions{}.KeepingTransaction().Undoing([&] { AbortScope(own, "cutover_import"); }));
  if (!started.ok()) return started;
  const int fields = table.columns.empty() ? -1 : static_cast<int>(table.columns.size());
  Result<std::int64_t> rows =
      CopyIn(raw_->pg, CopyInSql(table.schema, table.name, table.columns, *form == CopyForm::kBinary), *form,
             fields, what, next_batch);
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

Status PgConnection::LockForData(const std::string& name, const std::string& what) {
  return Guarded(
      what,
      [&] {
        nt_->exec("LOCK TABLE ONLY " + name + " IN ACCESS SHARE MODE NOWAIT");
        return Status::Ok();
      },
      GuardOptions{}.KeepingTransaction().Recognizing([&](const std::exception& e) -> std::optional<Status> {
        const std::string state = SqlState(e);
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
        return std::nullopt;
      }));
}

void PgConnection::AbortScope(bool own, const char* savepoint) noexcept {
  if (own) {
    QuietExec("ROLLBACK");
    return;
  }
  const bool undone = IgnoringErrors([&] {
    nt_->exec(std::string("ROLLBACK TO SAVEPOINT ") + savepoint + "; RELEASE SAVEPOINT " + savepoint);
  });
  if (!undone) tx_failed_ = true;
}

Status PgConnection::EndScope(const std::string& sql, const std::string& what, bool own) {
  return Guarded(
      what,
      [&] {
        nt_->exec(sql);
        return Status::Ok();
      },
      GuardOptions{}.KeepingTransaction().Undoing([&] {
        if (own) {
          QuietExec("ROLLBACK");
        } else {
          tx_failed_ = true;
        }
      }));
}

std::string PgConnection::RestoreSettingsSql(const pqxx::result& r) {
  static constexpr const char* kNames[] = {
      "TimeZone",        "DateStyle",   "IntervalStyle", "extra_float_digits", "bytea_output",
      "client_encoding", "lc_monetary", "xmloption",     "search_path",        "synchronous_commit"};
  std::string sql;
  for (int i = 0; i < 10; ++i) {
    if (i > 0) sql += ", ";
    sql += "pg_catalog.set_config('" + std::string(kNames[i]) + "', " + QuoteLit(r[0][i].c_str()) + ", true)";
  }
  return sql;
}

}  // namespace cutover::postgresql

namespace cutover::postgresql {

// ImportRows tunes its own sessions (see RestoreSettingsSql).
Status PgConnection::PrepareRestoreSession(bool /*scratch*/) {
  return Status::Ok();
}

}  // namespace cutover::postgresql
