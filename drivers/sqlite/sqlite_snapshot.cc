// Snapshots on SQLite: a read transaction (shared lock) on one connection;
// the tables a snapshot carries; the database image (the file itself) and
// its digest by the driver's own b-tree walk (sqlite_snapshot_image.cc).
#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <cctype>
#include <cerrno>
#include <charconv>
#include <chrono>
#include <cmath>
#include <cstring>
#include <exception>
#include <filesystem>
#include <functional>
#include <limits>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "base/strings.h"
#include "base/uri.h"
#include "driver/driver.h"
#include "sqlite_ddl_parse.h"
#include "sqlite_internal.h"
#include "sqlite_snapshot_image.h"

namespace cutover::sqlite {

Status CheckVirtualTables(sqlite3* db, const std::string& display) {
  std::vector<std::pair<std::string, std::string>> missing;  // name, SQLite's message
  std::vector<std::string> names;
  CUTOVER_RETURN_IF_ERROR(ForEachRow(
      db, "SELECT name FROM pragma_table_list WHERE schema = 'main' AND type = 'virtual' ORDER BY name",
      display + ": listing virtual tables", [&](sqlite3_stmt* s) {
        names.push_back(ColumnText(s, 0));
        return Status::Ok();
      }));
  for (const std::string& name : names) {
    const std::string sql = "SELECT 1 FROM main." + Quote(name) + " LIMIT 0";
    sqlite3_stmt* raw = nullptr;
    const int rc = sqlite3_prepare_v2(db, sql.c_str(), static_cast<int>(sql.size()), &raw, nullptr);
    StatementPtr stmt(raw);
    if (rc != SQLITE_OK) missing.emplace_back(name, ScrubSecrets(sqlite3_errmsg(db)));
  }
  if (missing.empty()) return Status::Ok();
  std::string list;
  for (const auto& [name, msg] : missing) list += (list.empty() ? "" : ", ") + Quote(name) + " (" + msg + ")";
  return Status::Unsupported(display + ": cannot snapshot virtual table(s) " + list +
                             ": this SQLite library lacks their module, so cutover cannot tell which tables "
                             "hold their data, and a restore could not recreate them. Snapshot with a build "
                             "that has the module, or drop the virtual table(s) first");
}

// ---------------------------------------------------------------------------

Result<std::vector<DataTable>> ListSqliteDataTables(sqlite3* db, const std::string& display) {
  CUTOVER_RETURN_IF_ERROR(CheckVirtualTables(db, display));
  struct Pending {
    TableShape shape;
    std::vector<ColumnInfo> cols;
    bool has_pk_index = false;
  };
  std::map<std::string, Pending> tables;  // by stored name: a stable, byte-wise order
  const std::string what = display + ": listing tables";
  // Ordinary tables (rowid and WITHOUT ROWID) and the storage ("shadow")
  // tables of virtual tables; never SQLite's own sqlite_* tables.
  constexpr const char* kTables =
      "WITH t AS MATERIALIZED (SELECT name, wr FROM pragma_table_list WHERE schema = 'main' "
      "AND type IN ('table', 'shadow') AND name NOT LIKE 'sqlite\\_%' ESCAPE '\\') ";
  CUTOVER_RETURN_IF_ERROR(ForEachRow(db,
                                     std::string(kTables) +
                                         "SELECT t.name, t.wr, x.name, x.type, x.pk, x.hidden FROM t JOIN "
                                         "pragma_table_xinfo(t.name, 'main') AS x "
                                         "ORDER BY t.name, x.cid",
                                     what, [&](sqlite3_stmt* s) {
                                       Pending& p = tables[ColumnText(s, 0)];
                                       p.shape.name = ColumnText(s, 0);
                                       p.shape.without_rowid = sqlite3_column_int(s, 1) != 0;
                                       p.cols.push_back({ColumnText(s, 2), ColumnText(s, 3),
                                                         sqlite3_column_int(s, 4), sqlite3_column_int(s, 5)});
                                       return Status::Ok();
                                     }));
  CUTOVER_RETURN_IF_ERROR(
      ForEachRow(db,
                 std::string(kTables) +
                     "SELECT t.name FROM t JOIN pragma_index_list(t.name, 'main') AS i WHERE i.origin = 'pk'",
                 what, [&](sqlite3_stmt* s) {
                   auto it = tables.find(ColumnText(s, 0));
                   if (it != tables.end()) it->second.has_pk_index = true;
                   return Status::Ok();
                 }));
  // Sizes. dbstat measures each b-tree exactly but reads every page, so it
  // is only used on databases up to kMeasureLimit (there the extra read is
  // cheap and warms the cache for the export); above that, row counts come
  // from ANALYZE's sqlite_stat1 when present and bytes stay unknown (0), as
  // the estimates only order tasks and feed progress.
  constexpr std::int64_t kMeasureLimit = std::int64_t{256} << 20;
  std::map<std::string, std::pair<std::int64_t, std::int64_t>> sizes;  // name -> rows, bytes
  std::int64_t file_bytes = 0;
  CUTOVER_RETURN_IF_ERROR(
      ForEachRow(db, "SELECT p.page_count * s.page_size FROM pragma_page_count AS p, pragma_page_size AS s",
                 what, [&](sqlite3_stmt* s) {
                   file_bytes = sqlite3_column_int64(s, 0);
                   return Status::Ok();
                 }));
  sqlite3_stmt* raw = nullptr;
  const char* measure =
      file_bytes <= kMeasureLimit ? "SELECT name, ncell, pgsize FROM dbstat('main', 1)" : nullptr;
  if (measure != nullptr && sqlite3_prepare_v2(db, measure, -1, &raw, nullptr) == SQLITE_OK) {
    StatementPtr stmt(raw);
    int rc;
    while ((rc = sqlite3_step(stmt.get())) == SQLITE_ROW) {
      sizes[ColumnText(stmt.get(), 0)] = {sqlite3_column_int64(stmt.get(), 1),
                                          sqlite3_column_int64(stmt.get(), 2)};
    }
    if (rc != SQLITE_DONE) return StatusFromSqlite(db, rc, display + ": measuring table sizes (dbstat)");
  } else {
    StatementPtr failed(raw);  // no dbstat in this library, or a big file
    raw = nullptr;
    // The first number of a table's sqlite_stat1 rows is its row count.
    const char* stat1 = "SELECT tbl, max(CAST(stat AS INTEGER)) FROM main.sqlite_stat1 GROUP BY tbl";
    if (sqlite3_prepare_v2(db, stat1, -1, &raw, nullptr) == SQLITE_OK) {
      StatementPtr stmt(raw);
      while (sqlite3_step(stmt.get()) == SQLITE_ROW) {
        sizes[ColumnText(stmt.get(), 0)] = {sqlite3_column_int64(stmt.get(), 1), 0};
      }
    } else {
      StatementPtr none(raw);  // never analyzed: no sqlite_stat1
    }
  }
  std::vector<DataTable> out;
  out.reserve(tables.size());
  for (auto& [name, p] : tables) {
    CompleteShape(p.shape, p.cols, p.has_pk_index);
    DataTable t;
    t.name = p.shape.name;
    t.columns = p.shape.columns;
    t.split_column = p.shape.alias;
    auto size = sizes.find(name);
    if (size != sizes.end()) {
      t.estimated_rows = size->second.first;
      t.estimated_bytes = size->second.second;
    }
    out.push_back(std::move(t));
  }
  return out;
}

Result<SnapshotPoint> SqliteConnection::BeginSnapshot(const SnapshotOptions& options) {
  return Guarded(display_, [&]() -> Result<SnapshotPoint> { return DoBeginSnapshot(options); });
}

Status SqliteConnection::JoinSnapshot(const SnapshotPoint&) {
  return Status::Unsupported(display_ +
                             ": SQLite connections cannot share one read transaction; read the snapshot with "
                             "the connection that began it (SupportsSharedSnapshot() is false)");
}

Status SqliteConnection::EndSnapshot() {
  return Guarded(display_, [&]() -> Status {
    in_snapshot_ = false;
    if (sqlite3_get_autocommit(db_) != 0) return Status::Ok();  // no snapshot open
    return Run("ROLLBACK", ExecOptions{}, nullptr);             // it only read
  });
}

Result<std::vector<DataTable>> SqliteConnection::ListDataTables() {
  return Guarded(display_, [&]() -> Result<std::vector<DataTable>> {
    return InReadTransaction<std::vector<DataTable>>([&] { return ListSqliteDataTables(db_, display_); });
  });
}

Result<std::string> SqliteConnection::SnapshotImagePath() {
  return Guarded(display_, [&]() -> Result<std::string> { return DoSnapshotImagePath(); });
}

Result<SnapshotPoint> SqliteConnection::DoBeginSnapshot(const SnapshotOptions& options) {
  if (sqlite3_get_autocommit(db_) == 0) {
    return Status::InvalidInput(display_ +
                                ": cannot begin a snapshot while a transaction is open on this connection; "
                                "commit or roll it back first");
  }
  // Waits for locks are bounded by the snapshot's lock_timeout, not by the
  // connection's busy timeout.
  const int wait_ms =
      options.lock_timeout.count() > 0
          ? static_cast<int>(std::min<std::int64_t>(options.lock_timeout.count(), 1'000'000'000))
          : busy_ms_;
  sqlite3_busy_timeout(db_, wait_ms);
  struct RestoreBusy {
    sqlite3* db;
    int ms;
    ~RestoreBusy() { sqlite3_busy_timeout(db, ms); }
  } restore{db_, busy_ms_};

  const std::string what = display_ + ": beginning a snapshot";
  auto fail = [&](int rc, const std::string& step) -> Status {
    // The status first: rolling back replaces SQLite's error message.
    Status st;
    const int primary = rc & 0xff;
    if (primary == SQLITE_BUSY || primary == SQLITE_LOCKED) {
      st = Status::LockTimeout(what + ": could not take a read lock within the lock timeout of " +
                               std::to_string(wait_ms) + " ms (" + ScrubSecrets(sqlite3_errmsg(db_)) +
                               "): another connection holds an exclusive lock (it is committing, or "
                               "recovering the database); retry when it has finished, or allow a longer "
                               "lock timeout");
    } else {
      st = StatusFromSqlite(db_, rc, what + " (" + step + ")");
    }
    if (sqlite3_get_autocommit(db_) == 0) sqlite3_exec(db_, "ROLLBACK", nullptr, nullptr, nullptr);
    return st;
  };
  int rc = sqlite3_exec(db_, "BEGIN", nullptr, nullptr, nullptr);
  if (rc != SQLITE_OK) return fail(rc, "BEGIN");
  // The first read takes the read lock that pins the snapshot.
  sqlite3_stmt* raw = nullptr;
  rc = sqlite3_prepare_v2(db_, "SELECT count(*) FROM main.sqlite_schema", -1, &raw, nullptr);
  {
    StatementPtr stmt(raw);
    if (rc == SQLITE_OK) {
      while ((rc = sqlite3_step(stmt.get())) == SQLITE_ROW) {
      }
    }
  }
  if (rc != SQLITE_OK && rc != SQLITE_DONE) return fail(rc, "taking the read lock");

  SnapshotPoint point;
  auto record = [&](const char* key, const char* sql) -> Status {
    auto value = ScalarText(sql, what);
    if (!value.ok()) {
      sqlite3_exec(db_, "ROLLBACK", nullptr, nullptr, nullptr);
      return value.status();
    }
    point.position[key] = *value;
    return Status::Ok();
  };
  // Where the snapshot was taken: the journal mode; the schema cookie
  // (PRAGMA schema_version, bumped by every schema change); the database
  // size in pages as this snapshot sees it; and, with a rollback journal,
  // the header's file change counter (bumped by every committed write
  // transaction; in WAL mode SQLite does not maintain it per transaction,
  // so it is not recorded there).
  CUTOVER_RETURN_IF_ERROR(record("journal_mode", "PRAGMA main.journal_mode"));
  CUTOVER_RETURN_IF_ERROR(record("schema_version", "PRAGMA main.schema_version"));
  CUTOVER_RETURN_IF_ERROR(record("page_count", "PRAGMA main.page_count"));
  if (point.position["journal_mode"] != "wal") {
    sqlite3_file* file = nullptr;
    if (sqlite3_file_control(db_, "main", SQLITE_FCNTL_FILE_POINTER, &file) == SQLITE_OK && file != nullptr &&
        file->pMethods != nullptr) {
      unsigned char header[100] = {};
      // Under the SHARED lock the header cannot change. A short read
      // (an empty file) leaves zeros.
      const int read_rc = file->pMethods->xRead(file, header, sizeof header, 0);
      if (read_rc == SQLITE_OK || read_rc == SQLITE_IOERR_SHORT_READ) {
        const std::uint32_t counter = (std::uint32_t{header[24]} << 24) | (std::uint32_t{header[25]} << 16) |
                                      (std::uint32_t{header[26]} << 8) | std::uint32_t{header[27]};
        point.position["file_change_counter"] = std::to_string(counter);
      }
    }
  }
  in_snapshot_ = true;
  return point;
}

Result<std::string> SqliteConnection::DoSnapshotImagePath() {
  const std::string what = display_ + ": the snapshot's database image";
  if (!in_snapshot_ || sqlite3_get_autocommit(db_) != 0) {
    return Status::InvalidInput(what +
                                " exists only inside a snapshot: call BeginSnapshot() first (and before "
                                "EndSnapshot())");
  }
  // BeginSnapshot's first read took the SHARED lock (rolling back any hot
  // journal first); the transaction must still hold it, and must not
  // have written (a spilled cache would have changed the file).
  const int state = sqlite3_txn_state(db_, "main");
  if (state != SQLITE_TXN_READ) {
    return Status::Internal(what + ": the snapshot's read transaction is " +
                            (state == SQLITE_TXN_WRITE ? "writing" : "no longer open") +
                            ", so the file is not pinned; end the snapshot and begin a new one");
  }
  const char* file = sqlite3_db_filename(db_, "main");
  if (file == nullptr || *file == '\0') {
    return Status::Unsupported(display_ +
                               " is an in-memory or temporary database: it has no file to snapshot as an "
                               "image; it is snapshot as records");
  }
  auto mode = ScalarText("PRAGMA main.journal_mode", what);
  if (!mode.ok()) return mode.status();
  if (ToLower(*mode) == "wal") {
    return Status::Unsupported(display_ +
                               " is in WAL mode: WAL-mode databases are snapshot as records, because "
                               "committed pages may still be in the -wal file rather than the database file");
  }
  return std::string(file);
}

Result<std::vector<ImageTableDigest>> SqliteDriver::DigestImage(const std::string& path,
                                                                const std::vector<std::string>& tables) {
  return Guarded("image " + path,
                 [&]() -> Result<std::vector<ImageTableDigest>> { return DigestSqliteImage(path, tables); });
}

Result<std::string> SqliteDriver::ImageFilePath(const ConnectionUri& uri) const {
  return Guarded(uri.Redacted(), [&]() -> Result<std::string> {
    auto req = ParseUri(uri);
    if (!req.ok()) return req.status();
    std::error_code ec;
    std::filesystem::path absolute = std::filesystem::absolute(req->path, ec);
    if (ec) {
      return Status::Io("cannot resolve the SQLite database path '" + req->path + "' (" + uri.Redacted() +
                        "): " + ec.message());
    }
    return absolute.string();
  });
}

}  // namespace cutover::sqlite

namespace cutover::sqlite {

// One reader at a time on SQLite (SupportsSharedSnapshot is false): nothing
// to split for.
Result<std::vector<std::string>> SqliteConnection::PhysicalRanges(const DataTable& /*table*/, int /*parts*/) {
  return std::vector<std::string>{};
}

}  // namespace cutover::sqlite
