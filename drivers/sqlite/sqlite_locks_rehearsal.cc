// What a rehearsal asks of SQLite (driver API v6): probe statements by
// primary key (or rowid), the table's root page as its storage identity (a
// rebuild creates a new table with a new root page), row estimates from
// sqlite_stat1 (counts where there is none), and the write lock of the
// connections of this process (SQLite shows no lock of another connection:
// each connection notes its own state in a registry, see write_locks).
#include <atomic>
#include <cstdlib>
#include <filesystem>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "base/strings.h"
#include "driver/driver_helpers.h"
#include "sqlite_internal.h"

namespace cutover::sqlite {
namespace {

Status TableNotFound(const TableId& table) {
  return Status::NotFound("table " + table.Display() + " does not exist");
}

// The `sqlite_schema` of the table's schema ("main" when it has none).
std::string SchemaTable(const Connection& conn, const TableId& table) {
  return (table.schema.empty() ? std::string("main") : conn.QuoteIdentifier(table.schema)) + ".sqlite_schema";
}

}  // namespace

Result<ProbeStatements> SqliteConnection::ProbeStatementsFor(const TableId& table, int keys) {
  std::vector<ProbeColumn> columns;
  bool has_key = false;
  bool exists = false;
  Status st = Query("SELECT count(*) FROM " + SchemaTable(*this, table) +
                        " WHERE type = 'table' AND name = " + QuoteLiteral(table.name) + " COLLATE NOCASE",
                    [&](RowView row) {
                      exists = row[0].data != "0";
                      return Status::Ok();
                    },
                    {});
  if (st.ok() && exists) {
    // hidden: 0 an ordinary column, 1 a virtual table's hidden one, 2 and 3
    // generated columns (which an UPDATE cannot set).
    st = Query("SELECT name, pk > 0, hidden = 0 FROM pragma_table_xinfo(" + QuoteLiteral(table.name) +
                   (table.schema.empty() ? "" : ", " + QuoteLiteral(table.schema)) + ") ORDER BY cid",
               [&](RowView row) {
                 columns.push_back({std::string(row[0].data), row[1].data == "1", row[2].data == "1"});
                 has_key = has_key || row[1].data == "1";
                 return Status::Ok();
               },
               {});
  }
  if (!st.ok()) return st.WithContext("reading the columns of " + table.Display() + " for probes");
  if (!exists) return TableNotFound(table);
  if (!has_key) {
    // A table without a primary key is a rowid table: its rowid is its key,
    // unless a column took every name the rowid goes by.
    for (const char* alias : {"rowid", "_rowid_", "oid"}) {
      const bool taken = std::any_of(columns.begin(), columns.end(),
                                     [&](const ProbeColumn& c) { return ToLower(c.name) == alias; });
      if (taken) continue;
      columns.push_back({alias, true, false});
      break;
    }
  }
  return BuildProbeStatements(*this, QuotedTable(*this, table), columns, "random()", keys);
}

Result<std::string> SqliteConnection::StorageIdentity(const TableId& table) {
  std::string auto_vacuum;
  std::string rootpage;
  Status st = Query("PRAGMA " + (table.schema.empty() ? std::string() : QuoteIdentifier(table.schema) + ".") +
                        "auto_vacuum",
                    [&](RowView row) {
                      auto_vacuum = std::string(row[0].data);
                      return Status::Ok();
                    },
                    {});
  if (st.ok()) {
    st = Query("SELECT rootpage FROM " + SchemaTable(*this, table) +
                   " WHERE type = 'table' AND name = " + QuoteLiteral(table.name) + " COLLATE NOCASE",
               [&](RowView row) {
                 rootpage = std::string(row[0].data);
                 return Status::Ok();
               },
               {});
  }
  if (!st.ok()) return st.WithContext("reading the storage identity of " + table.Display());
  if (rootpage.empty()) return TableNotFound(table);
  // With auto_vacuum, dropping the old copy of a rebuilt table moves the new
  // one's root page into the freed one: equal root pages prove nothing.
  if (auto_vacuum != "0") {
    return Status::Unsupported("the database uses auto_vacuum, which moves root pages: whether " +
                               table.Display() + " was rewritten cannot be told");
  }
  return rootpage;
}

namespace write_locks {
namespace {

std::mutex& Mutex() {
  static std::mutex mu;
  return mu;
}

std::map<std::string, std::weak_ptr<std::atomic<bool>>>& Sessions() {
  static std::map<std::string, std::weak_ptr<std::atomic<bool>>> sessions;
  return sessions;
}

}  // namespace

std::shared_ptr<std::atomic<bool>> Register(const std::string& session) {
  auto flag = std::make_shared<std::atomic<bool>>(false);
  std::lock_guard<std::mutex> lock(Mutex());
  Sessions()[session] = flag;
  return flag;
}

void Unregister(const std::string& session) {
  std::lock_guard<std::mutex> lock(Mutex());
  Sessions().erase(session);
}

std::optional<bool> Writing(const std::string& session) {
  std::lock_guard<std::mutex> lock(Mutex());
  auto it = Sessions().find(session);
  if (it == Sessions().end()) return std::nullopt;
  auto flag = it->second.lock();
  if (!flag) return std::nullopt;
  return flag->load();
}

}  // namespace write_locks

Result<std::vector<HeldLock>> SqliteConnection::LocksHeldBy(std::string_view session) {
  if (session.substr(0, 7) != "sqlite:") {
    return Status::InvalidInput("'" + std::string(session) + "' is not a SQLite session (a SessionId())");
  }
  // SQLite's locks are the file locks of the processes using the file; a
  // connection of another process is not visible from here.
  auto writing = write_locks::Writing(std::string(session));
  if (!writing) {
    return Status::Unsupported("session " + std::string(session) +
                               " is not a connection of this process; SQLite shows only this process's "
                               "write lock on " +
                               display_);
  }
  std::vector<HeldLock> locks;
  // The write lock covers the whole database: it blocks every other
  // writer, and while a rollback-journal commit waits for readers, every
  // new reader too.
  if (*writing) locks.push_back(HeldLock{"main", "write", true});
  return locks;
}

Result<std::vector<SessionActivity>> SqliteConnection::OtherSessions() {
  return Status::Unsupported(
      "SQLite keeps no list of the connections to " + display_ +
      ": they are other processes' file handles, so their statements cannot be seen from here");
}

Result<bool> SqliteConnection::AttachNeighbour(std::string_view name) {
  if (name.empty() || name.find('/') != std::string_view::npos || name.find('\0') != std::string_view::npos)
    return Status::InvalidInput("'" + std::string(name) + "' is not a database file name to look for");
  bool attached = false;
  Status st = Query("SELECT count(*) FROM pragma_database_list WHERE name = " + QuoteLiteral(name),
                    [&](RowView row) {
                      attached = row[0].data != "0";
                      return Status::Ok();
                    },
                    {});
  if (!st.ok()) return st;
  if (attached) return true;
  const std::filesystem::path file = std::filesystem::path(path_).parent_path() / (std::string(name) + ".db");
  std::error_code ec;
  if (!std::filesystem::is_regular_file(file, ec)) return false;  // ATTACH would create it
  auto r = Execute("ATTACH DATABASE " + QuoteLiteral(file.string()) + " AS " + QuoteIdentifier(name), {});
  if (!r.ok()) return r.status().WithContext("attaching " + file.string() + " to " + display_);
  return true;
}

Result<std::vector<TableRowEstimate>> SqliteConnection::EstimatedRowCounts() {
  bool has_stat1 = false;
  Status st = Query("SELECT count(*) FROM main.sqlite_schema WHERE type = 'table' AND name = 'sqlite_stat1'",
                    [&](RowView row) {
                      has_stat1 = row[0].data != "0";
                      return Status::Ok();
                    },
                    {});
  // The first number of a sqlite_stat1 row is the table's row count at the
  // last ANALYZE; every index of the table repeats it.
  const std::string estimate =
      has_stat1 ? "(SELECT max(CAST(s.stat AS INTEGER)) FROM main.sqlite_stat1 s WHERE s.tbl = t.name)"
                : "NULL";
  std::vector<TableRowEstimate> rows;
  if (st.ok()) {
    st = Query(
        "SELECT t.name, " + estimate +
            " FROM main.sqlite_schema t WHERE t.type = 'table' AND t.name NOT LIKE 'sqlite\\_%' ESCAPE '\\' "
            "ORDER BY t.name",
        [&](RowView row) {
          TableRowEstimate e;
          e.table = {"", std::string(row[0].data)};
          e.rows = row[1].is_null() ? -1 : std::atoll(std::string(row[1].data).c_str());
          rows.push_back(std::move(e));
          return Status::Ok();
        },
        {});
  }
  if (!st.ok()) return st.WithContext("reading row estimates on " + display_);
  CUTOVER_RETURN_IF_ERROR(CountRowsWithoutEstimate(*this, rows));
  return rows;
}

Status SqliteConnection::StartRewriteLog() {
  return Status::Unsupported(
      "SQLite has no hook for table rebuilds; rewrites are seen by the root page (StorageIdentity)");
}

Result<std::vector<std::string>> SqliteConnection::TakeRewriteLog() {
  return Status::Unsupported(
      "SQLite has no hook for table rebuilds; rewrites are seen by the root page (StorageIdentity)");
}

}  // namespace cutover::sqlite
