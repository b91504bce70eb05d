// Snapshots on MySQL/MariaDB: a consistent-snapshot transaction per
// connection, started while a barrier connection holds FLUSH TABLES WITH
// READ LOCK (or the backup lock), with the binary log / GTID position read
// under it; the tables a snapshot carries. No database images.
#include <algorithm>
#include <atomic>
#include <cctype>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <span>
#include <string>
#include <string_view>
#include <thread>
#include <tuple>
#include <utility>
#include <vector>

#include "base/strings.h"
#include "base/uri.h"
#include "mysql_internal.h"

namespace cutover::mysql {

Result<SnapshotPoint> MysqlConnection::BeginSnapshot(const SnapshotOptions& options) {
  CUTOVER_RETURN_IF_ERROR(RequireDatabase("take a snapshot of"));
  if (in_snapshot_ || barrier_) {
    return Status::InvalidInput("a snapshot is already open on " + display_uri_ + "; call EndSnapshot first");
  }
  const std::string what = "starting a snapshot of " + display_uri_;
  CUTOVER_RETURN_IF_ERROR(PinDataSession(what));
  auto nontx = Fetch(
      "SELECT t.TABLE_NAME, COALESCE(t.ENGINE, 'unknown engine') FROM information_schema.TABLES t "
      "LEFT JOIN information_schema.ENGINES e ON e.ENGINE = t.ENGINE WHERE t.TABLE_SCHEMA = " +
          DbLiteral() +
          " AND t.TABLE_TYPE IN ('BASE TABLE', 'SYSTEM VERSIONED') AND COALESCE(e.TRANSACTIONS, 'NO') <> "
          "'YES'",
      "listing the non-transactional tables of " + display_uri_);
  if (!nontx.ok()) return nontx.status();
  std::vector<std::string> locked;
  for (const TextRow& r : *nontx) locked.push_back(QuoteIdent(Col(r, 0)) + " (" + Col(r, 1) + ")");
  std::sort(locked.begin(), locked.end());
  if (!locked.empty() && !options.lock_nontransactional_tables) {
    std::vector<std::string> shown(locked.begin(),
                                   locked.begin() + std::min<std::ptrdiff_t>(20, locked.size()));
    if (locked.size() > shown.size())
      shown.push_back("and " + std::to_string(locked.size() - shown.size()) + " more");
    return Status::InvalidInput(
        "database '" + ctx_.database + "' on " + display_uri_ + " has " + std::to_string(locked.size()) +
        " table(s) of non-transactional engines, which a consistent snapshot cannot read without blocking "
        "writes: " +
        Join(shown, ", ") +
        "; convert them to InnoDB, or pass --lock-nontransactional to hold a read lock that blocks all "
        "writes on the server until the snapshot ends");
  }
  auto barrier = OpenAuxiliary(false);
  if (!barrier.ok()) return barrier.status().WithContext(what);
  ExecOptions lock_options;
  lock_options.lock_timeout = options.lock_timeout;
  const bool mariadb = ctx_.flavor == Flavor::kMariaDb;
  const std::vector<std::string> take =
      mariadb ? std::vector<std::string>{"BACKUP STAGE START", "BACKUP STAGE BLOCK_COMMIT"}
              : std::vector<std::string>{"FLUSH TABLES WITH READ LOCK"};
  for (const std::string& sql : take) {
    auto r = (*barrier)->Execute(sql, lock_options);
    if (!r.ok()) {
      Status st = r.status();
      if (st.sqlstate() == std::to_string(kErSpecificAccessDenied)) {
        return Status::Query(st.message() + ": a snapshot needs the RELOAD privilege for " + sql +
                                 "; grant it to this user or snapshot as a user who has it",
                             st.sqlstate());
      }
      if (st.code() == StatusCode::kLockTimeout) {
        return Status::LockTimeout(what + ": " + st.message() + " (" + sql +
                                   " waits for a backup running on the server, mariabackup or another "
                                   "snapshot, only one at a time; for LOCK TABLES ... WRITE; for DDL in "
                                   "progress" +
                                   (mariadb ? "" : "; for any long-running statement") + ")");
      }
      return st.WithContext(what);
    }
  }
  barrier_ = std::move(*barrier);
  // While the barrier holds every commit on the server, this session's
  // metadata-lock waits (SHOW CREATE, information_schema behind a pending
  // DDL) must fail after the snapshot's lock timeout, not the server's
  // lock_wait_timeout (a day by default).
  Status st = LimitLockWaits(options.lock_timeout, what);
  if (st.ok()) st = StartSnapshotTransaction(what);
  Result<std::map<std::string, std::string>> position = std::map<std::string, std::string>{};
  if (st.ok()) {
    position = ReadPosition();
    if (!position.ok()) st = position.status();
  }
  if (!st.ok()) {
    (void)Run("ROLLBACK", what);
    (void)RestoreLockWaits(what);
    barrier_.reset();  // closing the session releases the barrier
    return st;
  }
  in_snapshot_ = true;
  hold_barrier_until_end_ = !locked.empty();
  SnapshotPoint point;
  point.token = "lock_timeout_ms=" + std::to_string(options.lock_timeout.count());
  point.position = std::move(*position);
  if (hold_barrier_until_end_)
    point.position["nontransactional_tables_locked"] = std::to_string(locked.size());
  return point;
}

Status MysqlConnection::JoinSnapshot(const SnapshotPoint& point) {
  CUTOVER_RETURN_IF_ERROR(RequireDatabase("join a snapshot of"));
  if (in_snapshot_) {
    return Status::InvalidInput("a snapshot is already open on " + display_uri_ + "; call EndSnapshot first");
  }
  const std::string what = "joining the snapshot on " + display_uri_;
  CUTOVER_RETURN_IF_ERROR(PinDataSession(what));
  // The coordinator's lock timeout (BeginSnapshot's token): workers join
  // while the barrier is held, so their waits must be bounded the same way.
  constexpr std::string_view kLockTimeoutKey = "lock_timeout_ms=";
  if (point.token.rfind(kLockTimeoutKey, 0) == 0) {
    const long long ms = std::atoll(point.token.c_str() + kLockTimeoutKey.size());
    if (ms > 0) CUTOVER_RETURN_IF_ERROR(LimitLockWaits(std::chrono::milliseconds(ms), what));
  }
  CUTOVER_RETURN_IF_ERROR(StartSnapshotTransaction(what));
  in_snapshot_ = true;
  return Status::Ok();
}

Status MysqlConnection::ReleaseSnapshotBarrier() {
  if (!barrier_ || hold_barrier_until_end_) return Status::Ok();
  Status st = ReleaseBarrier();
  Status unlimited = RestoreLockWaits("releasing the snapshot barrier on " + display_uri_);
  return st.ok() ? unlimited : st;
}

Status MysqlConnection::EndSnapshot() {
  Status result;
  if (in_snapshot_) {
    in_snapshot_ = false;
    result = Run("ROLLBACK", "ending the snapshot transaction on " + display_uri_);
  }
  if (barrier_) {
    Status released = ReleaseBarrier();
    if (result.ok()) result = released;
  }
  Status unlimited = RestoreLockWaits("ending the snapshot on " + display_uri_);
  if (result.ok()) result = unlimited;
  hold_barrier_until_end_ = false;
  return result;
}

Result<std::vector<DataTable>> MysqlConnection::ListDataTables() {
  CUTOVER_RETURN_IF_ERROR(RequireDatabase("list the tables of"));
  const std::string what = "listing the tables of " + display_uri_;
  auto tables = Fetch(
      "SELECT TABLE_NAME, TABLE_ROWS, DATA_LENGTH FROM information_schema.TABLES WHERE TABLE_SCHEMA = " +
          DbLiteral() + " AND TABLE_TYPE IN ('BASE TABLE', 'SYSTEM VERSIONED')",
      what);
  if (!tables.ok()) return tables.status();
  auto columns = Fetch(
      "SELECT TABLE_NAME, COLUMN_NAME, ORDINAL_POSITION, DATA_TYPE, IS_NULLABLE, EXTRA, "
      "GENERATION_EXPRESSION FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = " +
          DbLiteral(),
      what);
  if (!columns.ok()) return columns.status();
  auto indexes = Fetch(
      "SELECT TABLE_NAME, INDEX_NAME, NON_UNIQUE, COLUMN_NAME, SEQ_IN_INDEX "
      "FROM information_schema.STATISTICS WHERE TABLE_SCHEMA = " +
          DbLiteral(),
      what);
  if (!indexes.ok()) return indexes.status();

  struct ColumnRow {
    long long position;
    std::string name;
    std::string type;
    bool not_null;
  };
  std::map<std::string, std::vector<ColumnRow>> columns_of;
  for (const TextRow& r : *columns) {
    if (IsGeneratedColumn(Col(r, 5), Col(r, 6))) continue;
    columns_of[Col(r, 0)].push_back(
        {std::atoll(Col(r, 2).c_str()), Col(r, 1), ToLower(Col(r, 3)), Col(r, 4) == "NO"});
  }
  // The key parts of every index, by (table, index name).
  std::map<std::pair<std::string, std::string>, std::vector<const TextRow*>> parts_of;
  for (const TextRow& r : *indexes) parts_of[{Col(r, 0), Col(r, 1)}].push_back(&r);

  std::vector<DataTable> out;
  for (const TextRow& r : *tables) {
    DataTable t;
    t.name = Col(r, 0);
    t.estimated_rows = std::atoll(Col(r, 1).c_str());
    t.estimated_bytes = std::atoll(Col(r, 2).c_str());
    auto& cols = columns_of[t.name];
    std::sort(cols.begin(), cols.end(),
              [](const ColumnRow& a, const ColumnRow& b) { return a.position < b.position; });
    std::map<std::string, const ColumnRow*> by_name;
    for (const ColumnRow& c : cols) {
      t.columns.push_back(c.name);
      by_name[ToLower(c.name)] = &c;
    }
    // The split column: the primary key if it is one integer column, else
    // the first (by name) unique single-column index on a NOT NULL integer.
    std::string best_index;
    for (const auto& [key, parts] : parts_of) {
      if (key.first != t.name || parts.size() != 1 || Col(*parts[0], 2) != "0") continue;
      auto it = by_name.find(ToLower(Col(*parts[0], 3)));
      if (it == by_name.end() || !it->second->not_null || !IsIntegerType(it->second->type)) continue;
      const bool primary = key.second == "PRIMARY";
      if (best_index.empty() || primary || (best_index != "PRIMARY" && key.second < best_index)) {
        best_index = key.second;
        t.split_column = it->second->name;
      }
    }
    out.push_back(std::move(t));
  }
  std::sort(out.begin(), out.end(), [](const DataTable& a, const DataTable& b) { return a.name < b.name; });
  return out;
}

Result<std::string> MysqlConnection::SnapshotImagePath() {
  return Status::Unsupported("MySQL/MariaDB databases are snapshot as records, not as a file image");
}

bool MysqlConnection::IsIntegerType(const std::string& t) {
  return t == "tinyint" || t == "smallint" || t == "mediumint" || t == "int" || t == "integer" ||
         t == "bigint";
}

bool MysqlConnection::IsGeneratedColumn(const std::string& extra, const std::string& generation) {
  if (generation.empty()) return false;
  std::string e = ToLower(extra);
  return e.find("virtual") != std::string::npos || e.find("stored") != std::string::npos ||
         e.find("persistent") != std::string::npos;
}

Status MysqlConnection::PinDataSession(const std::string& what) {
  CUTOVER_RETURN_IF_ERROR(Run("SET NAMES utf8mb4", what));
  CUTOVER_RETURN_IF_ERROR(
      Run("SET SESSION time_zone = '+00:00', SESSION sql_mode = '" + std::string(kDataSqlMode) + "'", what));
  SetSqlMode(kDataSqlMode);
  return Status::Ok();
}

Status MysqlConnection::LimitLockWaits(std::chrono::milliseconds timeout, const std::string& what) {
  if (timeout.count() <= 0) return Status::Ok();
  const long long secs = std::max<long long>(1, (timeout.count() + 999) / 1000);
  if (!lock_waits_limited_) {
    CUTOVER_RETURN_IF_ERROR(Run("SET @cutover_snapshot_saved_lwt = @@SESSION.lock_wait_timeout", what));
  }
  CUTOVER_RETURN_IF_ERROR(Run("SET SESSION lock_wait_timeout = " + std::to_string(secs), what));
  lock_waits_limited_ = true;
  return Status::Ok();
}

Status MysqlConnection::RestoreLockWaits(const std::string& what) {
  if (!lock_waits_limited_) return Status::Ok();
  lock_waits_limited_ = false;
  return Run("SET SESSION lock_wait_timeout = @cutover_snapshot_saved_lwt", what);
}

Status MysqlConnection::StartSnapshotTransaction(const std::string& what) {
  CUTOVER_RETURN_IF_ERROR(Run("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ", what));
  return Run("START TRANSACTION WITH CONSISTENT SNAPSHOT, READ ONLY", what);
}

Result<std::map<std::string, std::string>> MysqlConnection::ReadPosition() {
  std::map<std::string, std::string> pos;
  const std::string what = "reading the binary log position of " + display_uri_;
  auto log_bin = Fetch("SELECT @@GLOBAL.log_bin", what);
  if (!log_bin.ok()) return log_bin.status();
  const std::string on = log_bin->empty() ? "" : ToUpper(Col((*log_bin)[0], 0));
  if (on != "1" && on != "ON") {
    pos["binlog"] = "off";
    return pos;
  }
  const bool mariadb = ctx_.flavor == Flavor::kMariaDb;
  const std::string show =
      !mariadb && ctx_.version_number >= 80200 ? "SHOW BINARY LOG STATUS" : "SHOW MASTER STATUS";
  auto status = Fetch(show, what);
  if (!status.ok()) {
    return Status::Query(status.status().message() + ": reading the position needs the " +
                             (mariadb ? "BINLOG MONITOR" : "REPLICATION CLIENT") + " privilege",
                         status.status().sqlstate());
  }
  if (status->empty()) {
    pos["binlog"] = "off";
    return pos;
  }
  pos["binlog_file"] = Col((*status)[0], 0);
  pos["binlog_position"] = Col((*status)[0], 1);
  auto gtid = Fetch(mariadb ? "SELECT @@GLOBAL.gtid_binlog_pos" : "SELECT @@GLOBAL.gtid_executed", what);
  if (!gtid.ok()) return gtid.status();
  pos["gtid"] = gtid->empty() ? "" : Col((*gtid)[0], 0);
  return pos;
}

Status MysqlConnection::ReleaseBarrier() {
  const std::string sql = ctx_.flavor == Flavor::kMariaDb ? "BACKUP STAGE END" : "UNLOCK TABLES";
  Status st = barrier_->Run(sql, "releasing the snapshot barrier (" + sql + ") on " + display_uri_);
  barrier_.reset();  // closing the session releases whatever is left
  return st;
}

Result<std::vector<ImageTableDigest>> MysqlDriver::DigestImage(const std::string&,
                                                               const std::vector<std::string>&) {
  return Status::Unsupported("MySQL/MariaDB has no database images");
}

Result<std::string> MysqlDriver::ImageFilePath(const ConnectionUri&) const {
  return Status::Unsupported("MySQL/MariaDB has no database images");
}

}  // namespace cutover::mysql

namespace cutover::mysql {

// InnoDB has no physical row addresses to range over: the core splits on the
// table's integer key.
Result<std::vector<std::string>> MysqlConnection::PhysicalRanges(const DataTable& /*table*/, int /*parts*/) {
  return std::vector<std::string>{};
}

}  // namespace cutover::mysql
