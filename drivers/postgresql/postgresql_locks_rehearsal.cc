// What a rehearsal asks of PostgreSQL (driver API v6): probe statements by
// primary key, the relfilenode as a table's storage identity (it changes
// when a statement rewrites the table), the relation locks a session holds
// (pg_locks) and row estimates from pg_class.reltuples.
#include <algorithm>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

#include "base/strings.h"
#include "driver/driver_helpers.h"
#include "postgresql_internal.h"

namespace cutover::postgresql {
namespace {

// A literal naming `table` for to_regclass(), which returns NULL instead of
// raising an error when the table does not exist: a probe must never abort
// the caller's transaction.
std::string RegclassLiteral(const Connection& conn, const TableId& table) {
  return QuoteLit(QuotedTable(conn, table));
}

Status TableNotFound(const TableId& table) {
  return Status::NotFound("table " + table.Display() + " does not exist");
}

}  // namespace

Result<ProbeStatements> PgConnection::ProbeStatementsFor(const TableId& table, int keys) {
  std::vector<ProbeColumn> columns;
  bool exists = false;
  Status st = Query(
      "SELECT c.oid IS NOT NULL, a.attname, coalesce(a.attnum = ANY(i.indkey), false), "
      "coalesce(a.attidentity <> 'a' AND a.attgenerated = '', false) "
      "FROM (SELECT to_regclass(" +
          RegclassLiteral(*this, table) +
          ") AS oid) c LEFT JOIN pg_catalog.pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0 AND NOT "
          "a.attisdropped LEFT JOIN pg_catalog.pg_index i ON i.indrelid = c.oid AND i.indisprimary "
          "ORDER BY a.attnum",
      [&](RowView row) {
        exists = row[0].data == "t";
        if (!row[1].is_null())
          columns.push_back({std::string(row[1].data), row[2].data == "t", row[3].data == "t"});
        return Status::Ok();
      },
      {});
  if (!st.ok()) return st.WithContext("reading the columns of " + table.Display() + " for probes");
  if (!exists) return TableNotFound(table);
  return BuildProbeStatements(*this, QuotedTable(*this, table), columns, "random()", keys);
}

Result<std::string> PgConnection::StorageIdentity(const TableId& table) {
  // A partitioned table has no storage of its own: its identity is that of
  // its leaf partitions, in order.
  std::string identity;
  bool exists = false;
  Status st = Query(
      "SELECT r.oid IS NOT NULL, CASE WHEN c.relkind = 'p' THEN (SELECT string_agg(p.relfilenode::text, ',' "
      "ORDER BY p.oid) FROM pg_catalog.pg_partition_tree(r.oid) t JOIN pg_catalog.pg_class p ON p.oid = "
      "t.relid WHERE t.isleaf) ELSE nullif(c.relfilenode, 0)::text END FROM (SELECT to_regclass(" +
          RegclassLiteral(*this, table) + ") AS oid) r LEFT JOIN pg_catalog.pg_class c ON c.oid = r.oid",
      [&](RowView row) {
        exists = row[0].data == "t";
        if (!row[1].is_null()) identity = row[1].data;
        return Status::Ok();
      },
      {});
  if (!st.ok()) return st.WithContext("reading the storage identity of " + table.Display());
  if (!exists) return TableNotFound(table);
  if (identity.empty()) return Status::Unsupported(table.Display() + " has no storage of its own");
  return identity;
}

Result<std::vector<HeldLock>> PgConnection::LocksHeldBy(std::string_view session) {
  if (session.empty() || session.find_first_not_of("0123456789") != std::string_view::npos) {
    return Status::InvalidInput("'" + std::string(session) + "' is not a PostgreSQL session (a backend pid)");
  }
  // Relations another session cannot see yet (created by the holder's open
  // transaction) are left out: nobody else can be waiting for them.
  std::vector<HeldLock> locks;
  Status st = Query(
      "SELECT n.nspname || '.' || c.relname, l.mode FROM pg_catalog.pg_locks l "
      "JOIN pg_catalog.pg_class c ON c.oid = l.relation "
      "JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace "
      "WHERE l.pid = " +
          std::string(session) +
          " AND l.granted AND l.locktype = 'relation' AND c.relkind IN ('r', 'p', 'm', 'v', 'f') "
          "AND l.database = (SELECT oid FROM pg_catalog.pg_database WHERE datname = "
          "pg_catalog.current_database()) ORDER BY 1, 2",
      [&](RowView row) {
        HeldLock lock{std::string(row[0].data), std::string(row[1].data)};
        // What SELECT, SELECT FOR UPDATE and INSERT/UPDATE/DELETE take;
        // every stronger mode conflicts with some of them.
        lock.table_level =
            lock.mode != "AccessShareLock" && lock.mode != "RowShareLock" && lock.mode != "RowExclusiveLock";
        locks.push_back(std::move(lock));
        return Status::Ok();
      },
      {});
  if (!st.ok()) return st.WithContext("listing the locks session " + std::string(session) + " holds");
  return locks;
}

Result<std::vector<SessionActivity>> PgConnection::OtherSessions() {
  // Client backends only (autovacuum and WAL senders are the server's own).
  // Without superuser or pg_read_all_stats another role's query reads
  // "<insufficient privilege>"; the rehearsal copy belongs to the scratch
  // role, which runs the migrator too.
  std::vector<SessionActivity> sessions;
  Status st = Query(
      "SELECT pid::text, state = 'active', coalesce(query, ''), CASE WHEN state = 'active' THEN "
      "extract(epoch FROM pg_catalog.clock_timestamp() - query_start) * 1000 END "
      "FROM pg_catalog.pg_stat_activity WHERE datname = pg_catalog.current_database() "
      "AND pid <> pg_catalog.pg_backend_pid() AND backend_type = 'client backend' ORDER BY pid",
      [&](RowView row) {
        SessionActivity a;
        a.session = std::string(row[0].data);
        a.running = row[1].data == "t";
        a.statement = std::string(row[2].data);
        if (!row[3].is_null()) a.running_ms = std::max(0.0, std::atof(std::string(row[3].data).c_str()));
        sessions.push_back(std::move(a));
        return Status::Ok();
      },
      {});
  if (!st.ok()) return st.WithContext("listing the other sessions of " + display_);
  return sessions;
}

Result<bool> PgConnection::AttachNeighbour(std::string_view name) {
  if (name.empty() || name.find('/') != std::string_view::npos)
    return Status::InvalidInput("'" + std::string(name) + "' is not a schema name to look for");
  bool exists = false;
  Status st = Query(
      "SELECT EXISTS (SELECT 1 FROM pg_catalog.pg_namespace WHERE nspname = " + QuoteLiteral(name) + ")",
      [&](RowView row) {
        exists = row[0].data == "t";
        return Status::Ok();
      },
      {});
  if (!st.ok()) return st.WithContext("looking for schema " + std::string(name) + " on " + display_);
  return exists;
}

Result<std::vector<TableRowEstimate>> PgConnection::EstimatedRowCounts() {
  // reltuples is -1 for a table never vacuumed or analyzed: those are
  // counted (exact) rather than guessed, and so is a partitioned table with
  // such a partition.
  std::vector<TableRowEstimate> rows;
  Status st = Query(
      "SELECT n.nspname, c.relname, CASE WHEN c.relkind = 'p' THEN (SELECT CASE WHEN bool_or(p.reltuples < "
      "0) "
      "THEN -1 ELSE coalesce(sum(p.reltuples), 0) END::bigint FROM pg_catalog.pg_partition_tree(c.oid) t "
      "JOIN pg_catalog.pg_class p ON p.oid = t.relid WHERE t.isleaf) ELSE c.reltuples::bigint END "
      "FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace "
      "WHERE c.relkind IN ('r', 'p') AND NOT c.relispartition AND n.nspname NOT IN ('pg_catalog', "
      "'information_schema') AND n.nspname NOT LIKE 'pg\\_%' ORDER BY 1, 2",
      [&](RowView row) {
        TableRowEstimate e;
        e.table = {std::string(row[0].data), std::string(row[1].data)};
        e.rows = std::atoll(std::string(row[2].data).c_str());
        rows.push_back(std::move(e));
        return Status::Ok();
      },
      {});
  if (!st.ok()) return st.WithContext("reading row estimates on " + display_);
  CUTOVER_RETURN_IF_ERROR(CountRowsWithoutEstimate(*this, rows));
  return rows;
}

Status PgConnection::StartRewriteLog() {
  bool superuser = false;
  Status st = Query("SELECT rolsuper FROM pg_catalog.pg_roles WHERE rolname = current_user",
                    [&](RowView row) {
                      superuser = row[0].data == "t";
                      return Status::Ok();
                    },
                    {});
  if (!st.ok()) return st.WithContext("checking whether the role may create an event trigger");
  if (!superuser) {
    return Status::Unsupported("creating a table_rewrite event trigger needs a superuser on " + display_ +
                               "; rewrites are seen by relfilenode alone");
  }
  // The function and the log are temporary: they, and the event trigger
  // that depends on the function, go away when this session ends. Another
  // session that rewrites a table finds no log of its own and is ignored.
  st = ExecuteScript(
      "CREATE TEMPORARY TABLE cutover_rewrite_log (relid pg_catalog.oid NOT NULL);\n"
      "CREATE FUNCTION pg_temp.cutover_note_rewrite() RETURNS event_trigger LANGUAGE plpgsql AS $cutover$\n"
      "BEGIN\n"
      "  INSERT INTO pg_temp.cutover_rewrite_log VALUES (pg_catalog.pg_event_trigger_table_rewrite_oid());\n"
      "EXCEPTION WHEN undefined_table THEN NULL;\n"
      "END $cutover$;\n"
      "CREATE EVENT TRIGGER cutover_rewrite_log_" +
      std::to_string(pid_) + " ON table_rewrite EXECUTE FUNCTION pg_temp.cutover_note_rewrite();\n");
  if (!st.ok()) return st.WithContext("installing the table_rewrite event trigger");
  rewrite_log_ = true;
  return Status::Ok();
}

Result<std::vector<std::string>> PgConnection::TakeRewriteLog() {
  if (!rewrite_log_)
    return Status::Unsupported("no rewrite log on this session: call StartRewriteLog() first");
  std::vector<std::string> tables;
  Status st = Query(
      "WITH taken AS (DELETE FROM pg_temp.cutover_rewrite_log RETURNING relid) "
      "SELECT DISTINCT n.nspname || '.' || c.relname FROM taken t JOIN pg_catalog.pg_class c ON c.oid = "
      "t.relid "
      "JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace ORDER BY 1",
      [&](RowView row) {
        tables.emplace_back(row[0].data);
        return Status::Ok();
      },
      {});
  if (!st.ok()) return st.WithContext("reading the rewrite log");
  return tables;
}

}  // namespace cutover::postgresql
