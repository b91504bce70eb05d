// What a rehearsal asks of SQLite (driver API v6): probe statements by
// primary key (or rowid), the table's root page as its storage identity (a
// rebuild creates a new table with a new root page), row estimates from
// sqlite_stat1 (counts where there is none). Locks held by another
// connection cannot be seen in SQLite.
#include <cstdlib>
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

Result<std::vector<HeldLock>> SqliteConnection::LocksHeldBy(std::string_view /*session*/) {
  return Status::Unsupported("SQLite does not show which locks a connection holds on " + display_ +
                             " to other connections");
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

}  // namespace cutover::sqlite
