// PostgreSQL snapshots: BeginSnapshot() opens a REPEATABLE READ READ ONLY
// transaction, exports its snapshot and locks every table IN ACCESS SHARE
// MODE, as pg_dump does; JoinSnapshot() imports it on a worker. Both mark the
// connection as in a transaction, so Query() and ReadSchema() read the
// snapshot too. PostgreSQL has no database images.
#include <libpq-fe.h>

#include <algorithm>
#include <charconv>
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

Result<SnapshotPoint> PgConnection::BeginSnapshot(const SnapshotOptions& options) {
  CUTOVER_RETURN_IF_ERROR(CheckUsable());
  CUTOVER_RETURN_IF_ERROR(CheckNoTransaction("BeginSnapshot()"));
  const std::string what = "starting a snapshot of " + display_;
  const bool modern = info_.version_number >= 100000;
  SnapshotPoint point;
  Status started = Guarded(
      what,
      [&] {
        nt_->exec("BEGIN ISOLATION LEVEL REPEATABLE READ, READ ONLY");
        in_tx_ = true;
        tx_failed_ = false;
        snapshot_ = true;
        // The first query fixes the snapshot: export it and note where the WAL
        // was (the replay position on a standby).
        pqxx::result r = nt_->exec(
            std::string(
                "SELECT pg_catalog.pg_export_snapshot(), CASE WHEN pg_catalog.pg_is_in_recovery() THEN ") +
            (modern
                 ? "pg_catalog.pg_last_wal_replay_lsn() ELSE pg_catalog.pg_current_wal_lsn()"
                 : "pg_catalog.pg_last_xlog_replay_location() ELSE pg_catalog.pg_current_xlog_location()") +
            " END::text");
        snapshot_id_ = r[0][0].c_str();
        point.token = snapshot_id_;
        point.position["snapshot_id"] = snapshot_id_;
        point.position["lsn"] = r[0][1].is_null() ? "" : r[0][1].c_str();
        return Status::Ok();
      },
      GuardOptions{}.KeepingTransaction().Undoing([&] { AbandonSnapshot(); }));
  if (!started.ok()) return started;
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

Status PgConnection::JoinSnapshot(const SnapshotPoint& point) {
  CUTOVER_RETURN_IF_ERROR(CheckUsable());
  CUTOVER_RETURN_IF_ERROR(CheckNoTransaction("JoinSnapshot()"));
  if (point.token.empty()) {
    return Status::InvalidInput(
        "JoinSnapshot() on " + display_ +
        " needs the exported snapshot id BeginSnapshot() returned; the token is empty");
  }
  Status joined = Guarded(
      "joining snapshot " + point.token + " on " + display_,
      [&] {
        // SET TRANSACTION SNAPSHOT must come before the transaction's first query.
        nt_->exec("BEGIN ISOLATION LEVEL REPEATABLE READ, READ ONLY; SET TRANSACTION SNAPSHOT " +
                  QuoteLit(point.token));
        return Status::Ok();
      },
      GuardOptions{}
          .KeepingTransaction()
          .Recognizing([&](const std::exception& e) -> std::optional<Status> {
            const std::string state = SqlState(e);
            if (state != "22023" && state != "0A000") return std::nullopt;
            return Status::InvalidInput(
                "cannot join snapshot '" + point.token + "' on " + display_ + ": " + CleanMessage(e.what()) +
                "; the coordinator's transaction must still be open and the worker must "
                "connect to the same server and database");
          })
          .Undoing([&] { QuietExec("ROLLBACK"); }));
  if (!joined.ok()) return joined;
  in_tx_ = true;
  tx_failed_ = false;
  snapshot_ = true;
  snapshot_id_ = point.token;
  snapshot_lock_timeout_ = std::chrono::milliseconds{0};
  return Status::Ok();
}

Status PgConnection::EndSnapshot() {
  if (!snapshot_) return Status::Ok();
  AbandonSnapshot();
  return Status::Ok();
}

Result<std::vector<DataTable>> PgConnection::ListDataTables() {
  CUTOVER_RETURN_IF_ERROR(CheckUsable());
  CUTOVER_RETURN_IF_ERROR(CheckNotAborted("ListDataTables()"));
  const int v = info_.version_number;
  const std::string generated = v >= 120000 ? " AND a.attgenerated = ''" : "";
  const std::string keyatts = v >= 110000 ? "i.indnkeyatts" : "i.indnatts";
  // Ordinary tables and leaf partitions (relkind 'r'; a partitioned parent
  // holds no rows), in user schemas, not owned by an extension. The split
  // column: one NOT NULL int2/int4/int8 column that alone is the key of a
  // valid, non-partial unique index, the primary key first. The record
  // format: binary when every column's type is built in (an OID below
  // FirstNormalObjectId, 16384: the same in every database and version) and
  // has binary I/O, as has an array type's element.
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
       pg_catalog.pg_relation_size(c.oid),
       (SELECT pg_catalog.bool_and(a.atttypid < 16384 AND t.typsend <> 0 AND t.typreceive <> 0
                                   AND (t.typelem = 0 OR EXISTS (SELECT 1 FROM pg_catalog.pg_type e
                                          WHERE e.oid = t.typelem AND e.typsend <> 0 AND e.typreceive <> 0)))
          FROM pg_catalog.pg_attribute a JOIN pg_catalog.pg_type t ON t.oid = a.atttypid
         WHERE a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped)sql" +
                          generated + R"sql()
FROM pg_catalog.pg_class c
JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
WHERE c.relkind = 'r' AND n.nspname <> 'information_schema' AND n.nspname NOT LIKE 'pg\_%'
  AND NOT EXISTS (SELECT 1 FROM pg_catalog.pg_depend d
                   WHERE d.classid = 'pg_catalog.pg_class'::pg_catalog.regclass AND d.objid = c.oid
                     AND d.deptype = 'e')
ORDER BY n.nspname COLLATE "C", c.relname COLLATE "C")sql";
  return Guarded("listing the tables of " + display_, [&]() -> Result<std::vector<DataTable>> {
    std::vector<DataTable> tables;
    pqxx::result r = nt_->exec(sql);
    for (const auto& row : r) {
      DataTable t;
      t.schema = row[0].c_str();
      t.name = row[1].c_str();
      if (!row[2].is_null()) {
        auto cols = ParseJsonStringArray(row[2].c_str());
        if (!cols) {
          return Status::Internal("cannot parse the column list of table " + QualifiedName(t.schema, t.name) +
                                  " from the catalog of " + display_);
        }
        t.columns = std::move(*cols);
      }
      t.split_column = row[3].is_null() ? "" : row[3].c_str();
      t.estimated_rows = std::atoll(row[4].c_str());
      t.estimated_bytes = std::atoll(row[5].c_str());
      if (!row[6].is_null() && row[6].as<bool>()) t.record_format = kBinaryRecordFormat;
      tables.push_back(std::move(t));
    }
    return tables;
  });
}

Result<std::string> PgConnection::SnapshotImagePath() {
  return Status::Unsupported("PostgreSQL databases are snapshot as records, not as a file image");
}

void PgConnection::AbandonSnapshot() noexcept {
  QuietExec("ROLLBACK");
  in_tx_ = false;
  tx_failed_ = false;
  snapshot_ = false;
  snapshot_id_.clear();
  snapshot_lock_timeout_ = std::chrono::milliseconds{0};
}

Status PgConnection::LockAllTables(std::chrono::milliseconds timeout) {
  const std::string what = "locking the tables of " + display_ + " for the snapshot";
  std::vector<std::string> names;
  std::string previous;
  Status prepared = Guarded(
      what,
      [&] {
        pqxx::result r = nt_->exec(
            "SELECT n.nspname, c.relname FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n "
            "ON n.oid = "
            "c.relnamespace WHERE c.relkind IN ('r', 'p') AND n.nspname <> 'information_schema' AND "
            "n.nspname "
            "NOT "
            "LIKE 'pg\\_%' ORDER BY 1, 2");
        for (const auto& row : r) names.push_back(QualifiedName(row[0].c_str(), row[1].c_str()));
        if (names.empty()) return Status::Ok();
        previous = nt_->exec("SELECT pg_catalog.current_setting('lock_timeout')")[0][0].c_str();
        nt_->exec("SAVEPOINT cutover_lock; SELECT pg_catalog.set_config('lock_timeout', '" +
                  std::to_string(timeout.count()) + "ms', true)");
        return Status::Ok();
      },
      GuardOptions{}.KeepingTransaction());
  if (!prepared.ok() || names.empty()) return prepared;
  return Guarded(
      what,
      [&] {
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
      },
      GuardOptions{}.KeepingTransaction().Recognizing([&](const std::exception& e) -> std::optional<Status> {
        if (SqlState(e) != "55P03") return std::nullopt;
        return LockTimeoutNamingBlockers(what, timeout);
      }));
}

Status PgConnection::LockTimeoutNamingBlockers(const std::string& what, std::chrono::milliseconds timeout) {
  // Who is in the way: sessions holding or queued for ACCESS EXCLUSIVE
  // (a queued request blocks new ACCESS SHARE requests too). Without the
  // names, the message is still right.
  std::vector<std::string> blockers;
  IgnoringErrors([&] {
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
  });
  return Status::LockTimeout(
      what + ": lock_timeout of " + Ms(timeout) + " expired" +
      (blockers.empty() ? std::string(" (a table was locked by another session)")
                        : ": " + Join(blockers, ", ")) +
      "; DDL or VACUUM FULL is running or waiting on it: retry when it is done, or raise the lock timeout");
}

Result<std::vector<ImageTableDigest>> PgDriver::DigestImage(const std::string&,
                                                            const std::vector<std::string>&) {
  return Status::Unsupported("PostgreSQL has no database images");
}

Result<std::string> PgDriver::ImageFilePath(const ConnectionUri&) const {
  return Status::Unsupported("PostgreSQL has no database images");
}

}  // namespace cutover::postgresql

namespace cutover::postgresql {

// PostgreSQL 14+ splits a heap table by physical position (TID range scans),
// so each range reads only its own pages whatever the key order. The page
// count comes from the relation's size inside the snapshot: rows the snapshot
// sees cannot live past it, and the last range is open-ended anyway. A
// partitioned parent or a small table is not split.
Result<std::vector<std::string>> PgConnection::PhysicalRanges(const DataTable& table, int parts) {
  std::vector<std::string> predicates;
  if (info_.version_number < 140000 || parts < 2) return predicates;
  const std::string name = table.schema.empty()
                               ? QuoteIdentifier(table.name)
                               : QuoteIdentifier(table.schema) + "." + QuoteIdentifier(table.name);
  std::int64_t pages = -1;
  Status st = Query(
      "SELECT pg_catalog.pg_relation_size(c.oid) / pg_catalog.current_setting('block_size')::int8 "
      "FROM pg_catalog.pg_class c WHERE c.relkind = 'r' AND c.oid = " +
          QuoteLiteral(name) + "::pg_catalog.regclass",
      [&](RowView row) -> Status {
        if (row.size() == 1 && !row[0].is_null()) {
          std::from_chars(row[0].data.data(), row[0].data.data() + row[0].data.size(), pages);
        }
        return Status::Ok();
      },
      ExecOptions{});
  if (!st.ok()) return st.WithContext("reading the size of " + name);
  if (pages < static_cast<std::int64_t>(parts) * 2) return predicates;
  auto tid = [](std::int64_t page) { return "'(" + std::to_string(page) + ",0)'::pg_catalog.tid"; };
  // pages >= 2 * parts: every range has at least two pages, and range i
  // ends where range i + 1 starts.
  for (int i = 0; i < parts; ++i) {
    const std::int64_t from = pages * i / parts;
    const std::int64_t to = pages * (i + 1) / parts;
    std::string p;
    if (i > 0) p = "ctid >= " + tid(from);
    if (i + 1 < parts) p += (p.empty() ? "" : " AND ") + std::string("ctid < ") + tid(to);
    predicates.push_back(p);
  }
  return predicates;
}

}  // namespace cutover::postgresql
