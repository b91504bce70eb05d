// What a rehearsal asks of MySQL/MariaDB (driver API v6): probe statements
// by primary key, the InnoDB table id as a table's storage identity (a
// rebuild, ALGORITHM=COPY or an in-place rebuild, creates a table with a new
// id; an INSTANT change keeps it), the metadata locks a session holds and
// row estimates from information_schema.TABLES.
#include <algorithm>
#include <cctype>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "base/strings.h"
#include "driver/driver_helpers.h"
#include "mysql_internal.h"

namespace cutover::mysql {
namespace {

// InnoDB names a table "<db>/<table>" with each part in the server's file
// name encoding: ASCII letters, digits and '_' as they are, other ASCII as
// "@" and four hex digits. Non-ASCII characters use tables of their own;
// those names are left unknown rather than guessed.
bool InnodbNamePart(std::string_view part, std::string& out) {
  for (unsigned char c : part) {
    if (c >= 0x80) return false;
    if (std::isalnum(c) || c == '_') {
      out += static_cast<char>(c);
    } else {
      char buf[8];
      std::snprintf(buf, sizeof buf, "@%04x", c);
      out += buf;
    }
  }
  return true;
}

Status TableNotFound(const TableId& table) {
  return Status::NotFound("table " + table.Display() + " does not exist");
}

// MariaDB names modes "MDL_SHARED_WRITE", MySQL's performance_schema
// "SHARED_WRITE". DML takes SHARED_READ / SHARED_WRITE (and their
// low-priority and high-priority variants); DDL and LOCK TABLES take the
// rest, which conflict with DML, or upgrade to a mode that does.
bool IsTableLevelMetadataLock(std::string_view mode) {
  if (mode.substr(0, 4) == "MDL_") mode.remove_prefix(4);
  static constexpr std::string_view kRowLevel[] = {
      "SHARED",       "SHARED_HIGH_PRIO",      "SHARED_READ",
      "SHARED_WRITE", "SHARED_WRITE_LOW_PRIO", "INTENTION_EXCLUSIVE"};
  for (std::string_view row_level : kRowLevel) {
    if (mode == row_level) return false;
  }
  return true;
}

}  // namespace

Result<ProbeStatements> MysqlConnection::ProbeStatementsFor(const TableId& table, int keys) {
  const std::string schema = table.schema.empty() ? DbLiteral() : QuoteLiteral(table.schema);
  std::vector<ProbeColumn> columns;
  Status st = Query(
      "SELECT COLUMN_NAME, COLUMN_KEY = 'PRI', COALESCE(GENERATION_EXPRESSION, '') = '' "
      "FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = " +
          schema + " AND TABLE_NAME = " + QuoteLiteral(table.name) + " ORDER BY ORDINAL_POSITION",
      [&](RowView row) {
        columns.push_back({std::string(row[0].data), row[1].data == "1", row[2].data == "1"});
        return Status::Ok();
      },
      {});
  if (!st.ok()) return st.WithContext("reading the columns of " + table.Display() + " for probes");
  if (columns.empty()) return TableNotFound(table);
  return BuildProbeStatements(*this, QuotedTable(*this, table), columns, "RAND()", keys);
}

Result<std::string> MysqlConnection::StorageIdentity(const TableId& table) {
  const std::string db = table.schema.empty() ? ctx_.database : table.schema;
  std::string engine;
  Status st = Query("SELECT COALESCE(ENGINE, '') FROM information_schema.TABLES WHERE TABLE_SCHEMA = " +
                        QuoteLiteral(db) + " AND TABLE_NAME = " + QuoteLiteral(table.name),
                    [&](RowView row) {
                      engine = std::string(row[0].data);
                      return Status::Ok();
                    },
                    {});
  if (!st.ok()) return st.WithContext("reading the storage identity of " + table.Display());
  if (engine.empty()) return TableNotFound(table);
  std::string innodb_name;
  if (ToLower(engine) != "innodb" || !InnodbNamePart(db, innodb_name)) {
    return Status::Unsupported("the storage identity of " + table.Display() + " (engine " + engine +
                               ", or a non-ASCII name) cannot be read");
  }
  innodb_name += '/';
  if (!InnodbNamePart(table.name, innodb_name)) {
    return Status::Unsupported("the InnoDB name of " + table.Display() + " (non-ASCII) cannot be derived");
  }
  const char* view = ctx_.flavor == Flavor::kMariaDb ? "information_schema.INNODB_SYS_TABLES"
                                                     : "information_schema.INNODB_TABLES";
  std::string id;
  st = Query(std::string("SELECT TABLE_ID FROM ") + view + " WHERE NAME = " + QuoteLiteral(innodb_name),
             [&](RowView row) {
               id = std::string(row[0].data);
               return Status::Ok();
             },
             {});
  if (!st.ok()) return st.WithContext("reading the InnoDB table id of " + table.Display());
  if (id.empty())
    return Status::Unsupported("InnoDB does not list " + table.Display() + " (" + innodb_name + ")");
  return id;
}

Result<std::vector<HeldLock>> MysqlConnection::LocksHeldBy(std::string_view session) {
  if (session.empty() || session.find_first_not_of("0123456789") != std::string_view::npos) {
    return Status::InvalidInput("'" + std::string(session) +
                                "' is not a MySQL/MariaDB session (a connection id)");
  }
  const std::string sql =
      ctx_.flavor == Flavor::kMariaDb
          ? "SELECT LOCK_MODE, TABLE_SCHEMA, TABLE_NAME FROM information_schema.METADATA_LOCK_INFO "
            "WHERE THREAD_ID = " +
                std::string(session) + " AND LOCK_TYPE LIKE 'Table metadata lock%' ORDER BY 2, 3, 1"
          : "SELECT m.LOCK_TYPE, m.OBJECT_SCHEMA, m.OBJECT_NAME FROM performance_schema.metadata_locks m "
            "JOIN performance_schema.threads t ON t.THREAD_ID = m.OWNER_THREAD_ID WHERE t.PROCESSLIST_ID = " +
                std::string(session) +
                " AND m.OBJECT_TYPE = 'TABLE' AND m.LOCK_STATUS = 'GRANTED' ORDER BY 2, 3, 1";
  std::vector<HeldLock> locks;
  Status st = Query(sql,
                    [&](RowView row) {
                      const std::string object = std::string(row[1].data) + "." + std::string(row[2].data);
                      HeldLock lock{UnqualifiedObject(object), std::string(row[0].data)};
                      lock.table_level = IsTableLevelMetadataLock(lock.mode);
                      locks.push_back(std::move(lock));
                      return Status::Ok();
                    },
                    {});
  if (st.ok()) return locks;
  if (st.sqlstate() == std::to_string(kErUnknownTable)) {
    return Status::Unsupported(
        "the server does not show metadata locks: load the metadata_lock_info plugin "
        "(INSTALL SONAME 'metadata_lock_info', or --plugin-load-add=metadata_lock_info) on " +
        display_uri_);
  }
  return st.WithContext("listing the locks session " + std::string(session) + " holds");
}

Result<std::vector<SessionActivity>> MysqlConnection::OtherSessions() {
  // PROCESSLIST shows every session to an account with PROCESS, its own
  // otherwise. MariaDB gives the statement's run time in ms (TIME_MS), MySQL
  // in whole seconds. Background threads have no DB.
  const std::string time_ms = ctx_.flavor == Flavor::kMariaDb ? "TIME_MS" : "TIME * 1000";
  std::vector<SessionActivity> sessions;
  Status st = Query("SELECT ID, COMMAND = 'Query' AND INFO IS NOT NULL, COALESCE(INFO, ''), " + time_ms +
                        " FROM information_schema.PROCESSLIST WHERE DB = " + DbLiteral() +
                        " AND ID <> CONNECTION_ID() AND COMMAND NOT IN ('Daemon', 'Binlog Dump') ORDER BY ID",
                    [&](RowView row) {
                      SessionActivity a;
                      a.session = std::string(row[0].data);
                      a.running = row[1].data == "1";
                      a.statement = std::string(row[2].data);
                      if (a.running && !row[3].is_null())
                        a.running_ms = std::max(0.0, std::atof(std::string(row[3].data).c_str()));
                      sessions.push_back(std::move(a));
                      return Status::Ok();
                    },
                    {});
  if (!st.ok()) return st.WithContext("listing the other sessions of " + display_uri_);
  CUTOVER_RETURN_IF_ERROR(AddFinishedStatements(sessions));
  return sessions;
}

// performance_schema's statement history, when the server keeps it (the
// events_statements_current and _history consumers, on by default in MySQL,
// off in MariaDB): the statements each session finished lately (10 per
// thread by default), timed
// in picoseconds on the server's timer, whose "now" is the start of this
// query's own event.
Status MysqlConnection::AddFinishedStatements(std::vector<SessionActivity>& sessions) {
  if (!statement_history_) {
    bool on = false;
    Status probe = Query(
        "SELECT @@performance_schema = 1 AND (SELECT COUNT(*) FROM performance_schema.setup_consumers WHERE "
        "NAME IN ('events_statements_current', 'events_statements_history') AND ENABLED = 'YES') = 2",
        [&](RowView row) {
          on = row[0].data == "1";
          return Status::Ok();
        },
        {});
    statement_history_ = probe.ok() && on;
    if (!*statement_history_) return Status::Ok();
  }
  if (!*statement_history_) return Status::Ok();
  std::map<std::string, SessionActivity*> by_session;
  for (SessionActivity& a : sessions) by_session[a.session] = &a;
  // The history only adds to what PROCESSLIST showed: a server that cannot
  // answer for it (privileges, a version without these columns) is read
  // without it from then on.
  Status read = Query(
      "SELECT t.PROCESSLIST_ID, h.EVENT_ID, h.SQL_TEXT, (CAST(h.TIMER_END AS DECIMAL(30)) - h.TIMER_START) / "
      "1000000000, (CAST(n.TIMER_START AS DECIMAL(30)) - h.TIMER_END) / 1000000000 "
      "FROM performance_schema.events_statements_history h "
      "JOIN performance_schema.threads t ON t.THREAD_ID = h.THREAD_ID "
      "JOIN performance_schema.events_statements_current n ON n.THREAD_ID = (SELECT THREAD_ID FROM "
      "performance_schema.threads WHERE PROCESSLIST_ID = CONNECTION_ID()) "
      "WHERE t.PROCESSLIST_DB = " +
          DbLiteral() +
          " AND t.PROCESSLIST_ID <> CONNECTION_ID() AND h.TIMER_END IS NOT NULL AND h.SQL_TEXT IS NOT NULL "
          "ORDER BY t.PROCESSLIST_ID, h.EVENT_ID",
      [&](RowView row) {
        auto it = by_session.find(std::string(row[0].data));
        if (it == by_session.end()) return Status::Ok();  // it ended between the two reads
        SessionActivity::Finished f;
        f.id = std::string(row[1].data);
        f.statement = std::string(row[2].data);
        f.duration_ms = std::max(0.0, std::atof(std::string(row[3].data).c_str()));
        f.ended_ms_ago = std::max(0.0, std::atof(std::string(row[4].data).c_str()));
        it->second->finished.push_back(std::move(f));
        return Status::Ok();
      },
      {});
  if (!read.ok()) {
    statement_history_ = false;
    for (SessionActivity& a : sessions) a.finished.clear();
  }
  return Status::Ok();
}

Result<bool> MysqlConnection::AttachNeighbour(std::string_view name) {
  if (name.empty() || name.find('/') != std::string_view::npos)
    return Status::InvalidInput("'" + std::string(name) + "' is not a database name to look for");
  bool exists = false;
  Status st =
      Query("SELECT COUNT(*) FROM information_schema.SCHEMATA WHERE SCHEMA_NAME = " + QuoteLiteral(name),
            [&](RowView row) {
              exists = row[0].data != "0";
              return Status::Ok();
            },
            {});
  if (!st.ok()) return st.WithContext("looking for database " + std::string(name) + " on " + display_uri_);
  return exists;
}

Result<std::vector<TableRowEstimate>> MysqlConnection::EstimatedRowCounts() {
  // TABLE_ROWS is InnoDB's sampled estimate, exact for MyISAM; NULL (no
  // statistics) is counted.
  std::vector<TableRowEstimate> rows;
  Status st = Query(
      "SELECT TABLE_NAME, TABLE_ROWS, COALESCE(ENGINE, '') = 'MyISAM' FROM information_schema.TABLES "
      "WHERE TABLE_SCHEMA = " +
          DbLiteral() + " AND TABLE_TYPE = 'BASE TABLE' ORDER BY TABLE_NAME",
      [&](RowView row) {
        TableRowEstimate e;
        e.table = {"", std::string(row[0].data)};
        e.rows = row[1].is_null() ? -1 : std::atoll(std::string(row[1].data).c_str());
        e.exact = row[2].data == "1";
        rows.push_back(std::move(e));
        return Status::Ok();
      },
      {});
  if (!st.ok()) return st.WithContext("reading row estimates on " + display_uri_);
  CUTOVER_RETURN_IF_ERROR(CountRowsWithoutEstimate(*this, rows));
  return rows;
}

Status MysqlConnection::StartRewriteLog() {
  return Status::Unsupported(
      "MySQL and MariaDB have no hook for table rebuilds; rewrites are seen by the InnoDB table id "
      "(StorageIdentity)");
}

Result<std::vector<std::string>> MysqlConnection::TakeRewriteLog() {
  return Status::Unsupported(
      "MySQL and MariaDB have no hook for table rebuilds; rewrites are seen by the InnoDB table id "
      "(StorageIdentity)");
}

}  // namespace cutover::mysql
