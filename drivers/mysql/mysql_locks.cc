// Sessions and locks on MySQL/MariaDB: lock waits (metadata locks and
// InnoDB row locks) and the migration lock, a named lock (GET_LOCK) held by
// the session.
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
namespace {

// See LockWaits(): InnoDB's lock-wait tables are a snapshot the server
// refreshes only after 100 ms without readers.
constexpr std::chrono::milliseconds kInnodbSnapshotInterval{120};

std::mutex innodb_read_mutex;

std::chrono::steady_clock::time_point last_innodb_read;

}  // namespace

Status MysqlConnection::AcquireMigrationLock(std::chrono::milliseconds wait) {
  if (migration_lock_held_) return Status::Ok();
  if (ctx_.database.empty()) {
    return Status::InvalidInput("cannot take the cutover migration lock on " + display_uri_ +
                                ": the URI names no database; add the database to migrate");
  }
  std::string name = "cutover:" + ctx_.database;
  if (name.size() > 64) {  // MySQL refuses lock names over 64 characters
    std::uint64_t h = 1469598103934665603ULL;
    for (char c : name) h = (h ^ static_cast<unsigned char>(c)) * 1099511628211ULL;
    char hex[17];
    std::snprintf(hex, sizeof hex, "%016llx", static_cast<unsigned long long>(h));
    name = std::string("cutover:") + hex;
  }
  const std::string lit = QuoteString(name, ctx_.backslash_escapes);
  const std::string secs = ctx_.flavor == Flavor::kMariaDb
                               ? FormatSeconds(wait)
                               : std::to_string((std::max<std::int64_t>(0, wait.count()) + 999) / 1000);
  const std::string what = "taking the cutover migration lock '" + name + "' on " + display_uri_;
  std::string got = "<null>";
  CUTOVER_RETURN_IF_ERROR(Guarded(what, nullptr, [&]() -> Status {
    return Buffered("SELECT GET_LOCK(" + lit + ", " + secs + ")", [&](RowView row) {
      got = row[0].is_null() ? "<null>" : std::string(row[0].data);
      return Status::Ok();
    });
  }));
  if (got == "1") {
    migration_lock_held_ = true;
    migration_lock_name_ = name;
    return Status::Ok();
  }
  if (got != "0") {
    return Status::Query(what +
                         ": GET_LOCK returned NULL (the session was killed or the server is out "
                         "of memory); retry with a new connection");
  }
  std::string holder = "another session";
  (void)Guarded(what, nullptr, [&]() -> Status {
    return Buffered(
        "SELECT p.ID, p.USER, p.HOST, p.TIME FROM information_schema.PROCESSLIST p WHERE p.ID = "
        "IS_USED_LOCK(" +
            lit + ")",
        [&](RowView row) {
          auto text = [&](size_t i) { return row[i].is_null() ? "" : std::string(row[i].data); };
          holder = "connection id " + text(0) + " (user " + text(1) + ", from " + text(2) +
                   ", connected for " + text(3) + " s)";
          return Status::Ok();
        });
  });
  return Status::LockTimeout("another cutover apply holds the migration lock on " + display_uri_ + ": " +
                             holder + " (GET_LOCK '" + name + "'); waited " + std::to_string(wait.count()) +
                             " ms. Wait for that run to finish, or check that it is still alive "
                             "(SHOW PROCESSLIST) before killing it");
}

Status MysqlConnection::ReleaseMigrationLock() {
  if (!migration_lock_held_) return Status::Ok();
  migration_lock_held_ = false;
  const std::string lit = QuoteString(migration_lock_name_, ctx_.backslash_escapes);
  return Guarded("releasing the cutover migration lock on " + display_uri_, nullptr, [&]() -> Status {
    return Buffered("SELECT RELEASE_LOCK(" + lit + ")", [](RowView) { return Status::Ok(); });
  });
}

Result<std::vector<LockWait>> MysqlConnection::LockWaits() {
  if (ctx_.database.empty()) {
    return Status::InvalidInput("cannot list lock waits on " + display_uri_ +
                                ": the URI names no database; add the database to watch");
  }
  std::vector<LockWait> waits;
  std::map<std::string, size_t> by_session;
  const std::string db = QuoteString(ctx_.database, ctx_.backslash_escapes);
  const bool mariadb = ctx_.flavor == Flavor::kMariaDb;
  const std::string waited_ms = mariadb ? "p.TIME_MS" : "p.TIME * 1000";
  // 1. Metadata and table lock waits: visible in the process list state.
  std::string mdl = "SELECT p.ID, p.STATE, " + waited_ms +
                    ", LEFT(p.INFO, 500) FROM information_schema.PROCESSLIST p WHERE p.DB = " + db +
                    " AND p.ID <> CONNECTION_ID() AND (p.STATE LIKE 'Waiting for %lock%' OR "
                    "p.STATE = 'Waiting for table flush')";
  Status st = Guarded("listing lock waits on " + display_uri_, nullptr, [&]() {
    return Buffered(mdl, [&](RowView row) {
      LockWait w;
      w.waiting_session = std::string(row[0].data);
      w.lock = std::string(row[1].data);
      w.waited =
          std::chrono::milliseconds(static_cast<std::int64_t>(std::atof(std::string(row[2].data).c_str())));
      w.query = std::string(row[3].data);
      by_session[w.waiting_session] = waits.size();
      waits.push_back(std::move(w));
      return Status::Ok();
    });
  });
  if (!st.ok()) return st;
  // 2. InnoDB row lock waits: the waiting transaction, who blocks it, on what.
  std::string row_locks;
  if (mariadb) {
    row_locks =
        "SELECT r.trx_mysql_thread_id, b.trx_mysql_thread_id, l.lock_mode, l.lock_table, p.TIME_MS, "
        "LEFT(r.trx_query, 500) FROM information_schema.INNODB_TRX r "
        "JOIN information_schema.PROCESSLIST p ON p.ID = r.trx_mysql_thread_id "
        "LEFT JOIN information_schema.INNODB_LOCK_WAITS w ON w.requesting_trx_id = r.trx_id "
        "LEFT JOIN information_schema.INNODB_TRX b ON b.trx_id = w.blocking_trx_id "
        "LEFT JOIN information_schema.INNODB_LOCKS l ON l.lock_id = w.requested_lock_id "
        "WHERE r.trx_state = 'LOCK WAIT' AND p.DB = " +
        db;
  } else {
    row_locks =
        "SELECT r.trx_mysql_thread_id, b.trx_mysql_thread_id, l.LOCK_MODE, "
        "CONCAT(l.OBJECT_SCHEMA, '.', l.OBJECT_NAME), p.TIME * 1000, LEFT(r.trx_query, 500) "
        "FROM information_schema.INNODB_TRX r "
        "JOIN information_schema.PROCESSLIST p ON p.ID = r.trx_mysql_thread_id "
        "LEFT JOIN performance_schema.data_lock_waits w ON w.REQUESTING_ENGINE_TRANSACTION_ID = r.trx_id "
        "LEFT JOIN information_schema.INNODB_TRX b ON b.trx_id = w.BLOCKING_ENGINE_TRANSACTION_ID "
        "LEFT JOIN performance_schema.data_locks l ON l.ENGINE_LOCK_ID = w.REQUESTING_ENGINE_LOCK_ID "
        "WHERE r.trx_state = 'LOCK WAIT' AND p.DB = " +
        db;
  }
  // The server refreshes its INNODB_TRX / INNODB_LOCK_WAITS snapshot only
  // when nobody read it during the previous 100 ms: polling faster would
  // see the same stale snapshot forever. Space this process's reads.
  std::unique_lock<std::mutex> pace(innodb_read_mutex);
  auto since = std::chrono::steady_clock::now() - last_innodb_read;
  if (since < kInnodbSnapshotInterval) std::this_thread::sleep_for(kInnodbSnapshotInterval - since);
  st = Guarded("listing InnoDB row lock waits on " + display_uri_, nullptr, [&]() {
    return Buffered(row_locks, [&](RowView row) {
      std::string waiting(row[0].data);
      std::string blocking = row[1].is_null() ? std::string() : std::string(row[1].data);
      auto it = by_session.find(waiting);
      if (it != by_session.end()) {  // several blockers: list them all
        LockWait& w = waits[it->second];
        if (!blocking.empty() &&
            ("," + w.blocking_session + ",").find("," + blocking + ",") == std::string::npos) {
          w.blocking_session += (w.blocking_session.empty() ? "" : ",") + blocking;
        }
        return Status::Ok();
      }
      LockWait w;
      w.waiting_session = waiting;
      w.blocking_session = blocking;
      w.lock = row[2].is_null() ? std::string("row lock") : "row lock " + std::string(row[2].data);
      if (!row[3].is_null()) w.object = UnqualifiedObject(row[3].data);
      w.waited =
          std::chrono::milliseconds(static_cast<std::int64_t>(std::atof(std::string(row[4].data).c_str())));
      w.query = row[5].is_null() ? std::string() : std::string(row[5].data);
      by_session[waiting] = waits.size();
      waits.push_back(std::move(w));
      return Status::Ok();
    });
  });
  last_innodb_read = std::chrono::steady_clock::now();
  if (!st.ok()) return st;
  return waits;
}

std::string MysqlConnection::UnqualifiedObject(std::string_view object) const {
  std::string s(object);
  for (const std::string& prefix : {QuoteIdent(ctx_.database) + ".", ctx_.database + "."}) {
    if (StartsWith(s, prefix)) s = s.substr(prefix.size());
  }
  if (s.size() >= 2 && s.front() == '`' && s.back() == '`')
    s = ReplaceAll(s.substr(1, s.size() - 2), "``", "`");
  return s;
}

}  // namespace cutover::mysql
