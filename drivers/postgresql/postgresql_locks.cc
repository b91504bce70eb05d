// PostgreSQL sessions and locks: the backend pid as SessionId(), lock waits
// from pg_stat_activity and pg_locks, and the migration lock: a
// session-level advisory lock (survives COMMIT, released when the session
// ends), polled so the wait is bounded.
#include <libpq-fe.h>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdlib>
#include <memory>
#include <string>
#include <string_view>
#include <thread>
#include <utility>
#include <vector>

#include "base/strings.h"
#include "base/uri.h"
#include "postgresql_internal.h"

namespace cutover::postgresql {
namespace {

// The advisory lock key of the migration lock: FNV-1a 64 of "cutover:<db>",
// computed here rather than with the server's hash functions so the key
// never changes with the server version.
std::int64_t MigrationLockKey(std::string_view database) {
  std::uint64_t h = 1469598103934665603ULL;
  for (char c : "cutover:" + std::string(database)) {
    h ^= static_cast<unsigned char>(c);
    h *= 1099511628211ULL;
  }
  return static_cast<std::int64_t>(h);
}

}  // namespace

Status PgConnection::AcquireMigrationLock(std::chrono::milliseconds wait) {
  CUTOVER_RETURN_IF_ERROR(CheckUsable());
  if (migration_lock_held_) return Status::Ok();
  const std::string what = "taking the cutover migration lock on " + display_;
  return Guarded(what, [&]() -> Status {
    const std::string db = nt_->exec("SELECT pg_catalog.current_database()")[0][0].c_str();
    migration_lock_key_ = MigrationLockKey(db);
    const std::string key = std::to_string(migration_lock_key_);
    const auto deadline = std::chrono::steady_clock::now() + wait;
    while (true) {
      if (std::string(nt_->exec("SELECT pg_catalog.pg_try_advisory_lock(" + key + ")")[0][0].c_str()) ==
          "t") {
        migration_lock_held_ = true;
        return Status::Ok();
      }
      const auto now = std::chrono::steady_clock::now();
      if (now >= deadline) break;
      std::this_thread::sleep_for(
          std::min<std::chrono::steady_clock::duration>(std::chrono::milliseconds(100), deadline - now));
    }
    // Name the holder: a bigint advisory lock shows as classid = high 32
    // bits, objid = low 32 bits, objsubid = 1.
    const auto ukey = static_cast<std::uint64_t>(migration_lock_key_);
    pqxx::result r = nt_->exec(
        "SELECT l.pid::text, coalesce(a.usename::text, ''), coalesce(a.client_addr::text, 'local'), "
        "coalesce(a.application_name, ''), coalesce(to_char(a.backend_start AT TIME ZONE 'UTC', "
        "'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"'), '') FROM pg_catalog.pg_locks l LEFT JOIN "
        "pg_catalog.pg_stat_activity a ON a.pid = l.pid WHERE l.locktype = 'advisory' AND l.granted AND "
        "l.database = (SELECT oid FROM pg_catalog.pg_database WHERE datname = "
        "pg_catalog.current_database()) "
        "AND l.classid = " +
        std::to_string(ukey >> 32) + " AND l.objid = " + std::to_string(ukey & 0xffffffffULL) +
        " AND l.objsubid = 1 LIMIT 1");
    std::string holder = "another session";
    if (!r.empty()) {
      holder = "session pid " + std::string(r[0][0].c_str()) + " (user " + r[0][1].c_str() + ", from " +
               r[0][2].c_str() + (std::string(r[0][3].c_str()).empty() ? "" : ", application ") +
               r[0][3].c_str() + ", connected " + r[0][4].c_str() + ")";
    }
    return Status::LockTimeout("another cutover apply holds the migration lock on " + display_ + ": " +
                               holder + " (advisory lock " + key + "); waited " + Ms(wait) +
                               ". Wait for that run to finish, or check that it is still alive "
                               "(pg_stat_activity) before terminating it");
  });
}

Status PgConnection::ReleaseMigrationLock() {
  if (!migration_lock_held_) return Status::Ok();
  migration_lock_held_ = false;
  CUTOVER_RETURN_IF_ERROR(CheckUsable());
  return Guarded("releasing the cutover migration lock on " + display_, [&]() -> Status {
    nt_->exec("SELECT pg_catalog.pg_advisory_unlock(" + std::to_string(migration_lock_key_) + ")");
    return Status::Ok();
  });
}

Result<std::vector<LockWait>> PgConnection::LockWaits() {
  CUTOVER_RETURN_IF_ERROR(CheckUsable());
  const bool waitstart = info_.version_number >= 140000;
  const std::string sql = std::string(R"sql(
SELECT a.pid::text,
       array_to_string(pg_blocking_pids(a.pid), ','),
       coalesce(l.mode, a.wait_event),
       CASE WHEN l.relation IS NOT NULL THEN l.relation::regclass::text
            WHEN l.locktype = 'transactionid' THEN 'transaction ' || l.transactionid::text
            WHEN l.locktype = 'virtualxid' THEN 'virtual transaction ' || l.virtualxid
            WHEN l.locktype IS NOT NULL THEN l.locktype
            ELSE a.wait_event END,
       greatest(0, (extract(epoch FROM clock_timestamp() - coalesce()sql") +
                          (waitstart ? "l.waitstart, " : "") +
                          R"sql(a.state_change, a.query_start)) * 1000))::bigint,
       left(a.query, 1000)
FROM pg_catalog.pg_stat_activity a
LEFT JOIN LATERAL (SELECT * FROM pg_catalog.pg_locks pl WHERE pl.pid = a.pid AND NOT pl.granted LIMIT 1) l ON true
WHERE a.datname = current_database() AND a.wait_event_type = 'Lock' AND a.pid <> pg_backend_pid()
ORDER BY a.pid)sql";
  return Guarded("listing lock waits on " + display_, [&]() -> Result<std::vector<LockWait>> {
    std::vector<LockWait> waits;
    pqxx::result r = nt_->exec(sql);
    for (const auto& row : r) {
      LockWait w;
      w.waiting_session = row[0].c_str();
      w.blocking_session = row[1].is_null() ? "" : row[1].c_str();
      w.lock = row[2].is_null() ? "" : row[2].c_str();
      w.object = row[3].is_null() ? "" : row[3].c_str();
      w.waited = std::chrono::milliseconds(row[4].is_null() ? 0 : std::atoll(row[4].c_str()));
      w.query = row[5].is_null() ? "" : row[5].c_str();
      waits.push_back(std::move(w));
    }
    return waits;
  });
}

}  // namespace cutover::postgresql
