// The repository catalog: what cutover has done with a repository's
// snapshots, kept in an embedded SQLite database (REPO/catalog.db, mode 0600).
//
// It records snapshots, verifications, restore tests, the scratch
// databases cutover created (so that only those are ever dropped, also after
// a run was killed), the base copies kept for later rehearsals, and the
// rehearsals themselves (the evidence the gate checks), and the rows of the
// hash-chained audit log. Later capabilities add tables through the same
// versioned schema: each schema change is one numbered step in catalog.cc, applied in a transaction, and
// PRAGMA user_version says how far a file has been migrated. A catalog newer
// than this binary is refused (kUnsupported), never downgraded.
//
// The catalog goes through the SQLite driver plugin like any other database
// (the core includes no engine client header); values are quoted with the
// driver's QuoteLiteral. Several cutover processes may use one catalog at
// once: writes wait for SQLite's lock (busy timeout) and each record is one
// transaction.
//
// The snapshot directories are the truth; the catalog is an index over them.
// A snapshot whose manifest was committed but whose row never reached the
// catalog (a kill between the two) is still a snapshot: callers reconcile.
//
// Nothing secret is stored: URIs are stored redacted, and every free-text
// field (targets, sources, servers, details) also passes through
// ScrubSecrets() on the way in, as a last line of defence.
//
// Times are ISO 8601 UTC strings ("2026-11-21T10:15:00Z"), which sort. The
// Record* methods refuse a time that ParseIso8601 rejects (kInvalidInput) and
// store every time in that canonical form (UTC, whole seconds), so "latest"
// is a string comparison; ties are broken by insertion order.
//
// Errors: every failure names the catalog file. A file that is not a SQLite
// database (or is damaged) is kInvalidInput with what to do next; a lock
// that stays busy beyond the busy timeout (30 s) is kLockTimeout.
//
// Threads: one Catalog may be shared by several threads (calls are
// serialized by a mutex); several Catalog objects and processes may use the
// same file at once. The schema and the migration rule: docs/catalog.md.
#pragma once

#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/file_env.h"
#include "base/status.h"
#include "base/strings.h"  // ParseDurationSeconds, for retention
#include "driver/driver.h"
#include "driver/loader.h"

namespace cutover {

struct SnapshotRecord {
  std::string id;      // directory name under REPO/snapshots
  std::string target;  // target name from the config, or the redacted URI
  std::string engine;  // driver name
  std::string source;  // redacted source URI
  std::string started_at;
  std::string finished_at;
  std::int64_t tables = 0;
  std::int64_t rows = 0;
  std::int64_t raw_bytes = 0;     // uncompressed record bytes
  std::int64_t stored_bytes = 0;  // bytes on disk, manifest included
  std::string fingerprint;        // schema fingerprint "sha256:..."
  std::string manifest_sha256;
  bool deleted = false;  // pruned: files gone, history kept
};

struct VerificationRecord {
  std::string snapshot_id;
  std::string at;
  bool deep = false;
  bool ok = false;
  std::string detail;  // first problems found, or a one-line summary
  double seconds = 0;
};

struct RestoreTestRecord {
  std::string snapshot_id;
  std::string target;
  std::string at;
  bool ok = false;
  std::string detail;
  double restore_seconds = 0;  // restore alone: the measured recovery time
  double total_seconds = 0;    // restore plus every comparison and check
  std::int64_t rows = 0;
  std::int64_t bytes = 0;  // stored bytes read
  std::string scratch_database;
};

// A snapshot with its latest verification and restore test, for listings.
struct SnapshotSummary {
  SnapshotRecord snapshot;
  std::optional<VerificationRecord> last_verification;
  std::optional<RestoreTestRecord> last_restore_test;
};

// A scratch database cutover created and has not dropped yet.
struct ScratchRecord {
  std::string name;  // cutover_scratch_...
  std::string engine;
  std::string server;    // redacted server URI (a directory for SQLite)
  std::string host;      // hostname of the process that created it
  std::int64_t pid = 0;  // that process
  std::string created_at;
  std::string purpose;  // "restore-test", "drift"
};

// A restored copy of a snapshot kept so that later rehearsals clone it
// instead of restoring again (Driver::CloneDatabase). Its row is the only
// reason it exists: cutover drops it (DropReplacedBaseCopies, `prune`) and
// forgets the row after a successful drop. A base copy is never a scratch
// database: recording one forgets a scratch registration of the same
// (engine, name) in the same transaction, so stale-scratch cleanup never
// drops it.
struct BaseCopyRecord {
  std::string engine;  // driver name
  std::string server;  // redacted scratch server URI (a directory for SQLite)
  std::string name;    // database name on that server (cutover_base_...)
  std::string snapshot_id;
  std::string target;
  std::string fingerprint;  // schema fingerprint of the copy as restored
  std::string created_at;
  double restore_seconds = 0;  // how long restoring it took
};

// One `cutover rehearse` run: the evidence the gate checks.
struct RehearsalRecord {
  std::string id;  // unique, e.g. "rh-20261206T101500Z-1a2b3c"
  std::string target;
  std::string engine;
  std::string snapshot_id;
  std::string snapshot_fingerprint;
  std::string live_fingerprint;  // the live target's schema fingerprint when rehearsed
  std::string plan_sha256;       // over every file of the plan, names and bytes
  std::string phases;            // "expand,backfill,contract"
  std::string to;                // --to, or empty
  std::string started_at;
  std::string finished_at;  // may be empty
  bool ok = false;
  std::string tool_version;
  std::string summary;      // one line for listings
  std::string report_json;  // the full `rehearse --json` document
};

// One entry of the audit log as stored (the chain itself, hashing and
// verification: audit/audit_log.h). The catalog only stores and streams
// rows; it never interprets them.
struct AuditRow {
  std::int64_t seq = 0;  // 1, 2, ...: the position in the chain
  std::string alg;       // "sha256" or "hmac-sha256"
  std::string content;   // canonical JSON of the entry
  std::string hash;      // hex; covers the previous hash, seq, alg and content
};

// The identity of a scratch server for matching catalog rows: its redacted
// URI without the password marker, so the same server reached with and
// without a password in the URI (PGPASSWORD, ~/.my.cnf) redacts to
// user:***@host and user@host, which must match. Every ":***@" becomes "@".
std::string ScratchServerKey(std::string_view redacted_server);

class Catalog {
 public:
  // Opens REPO/catalog.db, creating the repository directory (0700) and the
  // file (0600) when missing and migrating the schema to the current version.
  // Those directory and file operations go through `env`; the database file
  // itself is opened by the SQLite driver.
  static Result<std::unique_ptr<Catalog>> Open(DriverLoader& loader, const std::filesystem::path& repo,
                                               Env& env = Env::Default());
  ~Catalog();

  // Inserts or replaces the row for record.id.
  Status RecordSnapshot(const SnapshotRecord& record);
  Status MarkSnapshotDeleted(const std::string& snapshot_id);
  Result<std::optional<SnapshotRecord>> FindSnapshot(const std::string& snapshot_id);
  // Every snapshot row, deleted ones included, oldest first.
  Result<std::vector<SnapshotSummary>> ListSnapshots();

  Status RecordVerification(const VerificationRecord& record);
  Status RecordRestoreTest(const RestoreTestRecord& record);
  // The latest passing restore test of a target (any target when empty).
  // Tests of snapshots marked deleted do not count: a pruned snapshot is no
  // longer a backup one can restore.
  Result<std::optional<RestoreTestRecord>> LastSuccessfulRestoreTest(const std::string& target);

  // Scratch databases: registered before CreateDatabase, forgotten after a
  // successful DropDatabase. Registering an (engine, name) that is already
  // registered fails (kInvalidInput): generate another name. Forgetting one
  // that is not registered succeeds.
  Status RegisterScratch(const ScratchRecord& record);
  Status ForgetScratch(const std::string& engine, const std::string& name);
  Result<std::vector<ScratchRecord>> ListScratch();

  // Base copies, keyed by (engine, ScratchServerKey(server), name).
  // RecordBaseCopy inserts or replaces that row and, in the same
  // transaction, forgets the scratch registration of (engine, name): a
  // promoted scratch database is never left both registered as scratch and
  // recorded as a base copy, nor neither. Server strings are matched by
  // ScratchServerKey, so a redacted URI with or without the password marker
  // finds the row. Forgetting a row that does not exist succeeds.
  Status RecordBaseCopy(const BaseCopyRecord& record);
  // The newest base copy of `snapshot_id` on that server (several may exist
  // when rehearsals ran concurrently), or nullopt.
  Result<std::optional<BaseCopyRecord>> FindBaseCopy(const std::string& engine, const std::string& server,
                                                     const std::string& snapshot_id);
  // Every base copy, oldest first.
  Result<std::vector<BaseCopyRecord>> ListBaseCopies();
  Status ForgetBaseCopy(const std::string& engine, const std::string& server, const std::string& name);

  // Rehearsals are evidence: recorded once, never replaced (an id that is
  // already recorded is kInvalidInput). started_at is required, finished_at
  // may be empty; both are stored in canonical form.
  Status RecordRehearsal(const RehearsalRecord& record);
  // The newest rehearsal of `target` with this plan hash (any outcome), or
  // nullopt. Newest: latest started_at, ties broken by insertion order.
  Result<std::optional<RehearsalRecord>> LatestRehearsal(const std::string& target,
                                                         const std::string& plan_sha256);
  // Oldest first (started_at, then insertion order); all targets when empty.
  Result<std::vector<RehearsalRecord>> ListRehearsals(const std::string& target);

  // The audit log. AppendAudit runs `make` inside one write transaction
  // with the current head (nullopt for an empty log) and inserts the row it
  // returns, which must be the head's seq + 1: concurrent appenders never
  // fork the chain. ForEachAudit streams every row in seq order (a callback
  // error stops the walk and is returned).
  Status AppendAudit(const std::function<Result<AuditRow>(const std::optional<AuditRow>& head)>& make);
  Result<std::optional<AuditRow>> AuditHead();
  Status ForEachAudit(const std::function<Status(const AuditRow& row)>& fn);

  const std::filesystem::path& path() const { return path_; }

 private:
  Result<std::optional<AuditRow>> ReadAuditHead(const std::string& where);  // caller holds mu_
  Catalog(std::unique_ptr<Connection> db, std::filesystem::path path);
  Status Migrate();
  // Runs `insert_sql` in one write transaction unless `exists_sql` counts a
  // row already: then kInvalidInput "<where>: <duplicate>". Caller holds mu_.
  Status InsertUnique(const std::string& where, const std::string& exists_sql, const std::string& insert_sql,
                      const std::string& duplicate);

  std::mutex mu_;  // serializes use of db_ (a Connection is one thread at a time)
  std::unique_ptr<Connection> db_;
  std::filesystem::path path_;
};

// Retention: which snapshots `cutover prune` deletes. `snapshots` are the
// live (not deleted) ones; a snapshot is kept when it is among the newest
// `keep_last`, or younger than `keep_within` seconds at `now`, or is the
// newest snapshot with a passing restore test. Pure: no I/O.
//
// The rules apply per target (snapshot.target), so a busy target never
// pushes out another target's snapshots or its last restorable backup.
// Age and order come from started_at (finished_at when started_at is empty).
// Conservative on doubt: rows marked deleted are ignored, a snapshot whose
// time does not parse is kept, and when keep_within is set but `now_iso`
// does not parse nothing is pruned. With neither option set nothing is
// pruned (the caller refuses to prune without a policy). The result is
// oldest first.
struct RetentionPolicy {
  std::optional<int> keep_last;
  std::optional<std::int64_t> keep_within_seconds;
};
std::vector<std::string> SnapshotsToPrune(const std::vector<SnapshotSummary>& snapshots,
                                          const RetentionPolicy& policy, const std::string& now_iso);

// Now as ISO 8601 UTC, and the conversion back (seconds since the epoch).
// ParseIso8601 accepts YYYY-MM-DDTHH:MM:SS, optional fractional seconds
// (dropped), then Z or an offset +HH:MM / -HH:MM; kInvalidInput otherwise.
std::string NowIso8601();
Result<std::int64_t> ParseIso8601(std::string_view text);
// Seconds since the epoch as "YYYY-MM-DDTHH:MM:SSZ" (years 0000-9999).
std::string FormatIso8601(std::int64_t epoch_seconds);

}  // namespace cutover
