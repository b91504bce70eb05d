// The repository catalog (see catalog.h and docs/catalog.md).
//
// Everything goes through the SQLite driver plugin's Connection; values are
// always quoted with QuoteLiteral (strings) or formatted by us (numbers), so
// no stored text can change a statement.
#include "catalog/catalog.h"

#include <algorithm>
#include <charconv>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <limits>
#include <map>
#include <thread>
#include <utility>

#include "base/kill_point.h"
#include "base/uri.h"

namespace cutover {
namespace {

namespace fs = std::filesystem;

// PRAGMA application_id of a catalog ("CUTV"): tells a cutover catalog from
// any other SQLite database someone put at REPO/catalog.db.
constexpr std::int64_t kApplicationId = 0x43555456;
// How long a statement waits for another process's lock. Records are tiny
// transactions, so a long wait means a stuck process, not a busy one.
constexpr int kBusyTimeoutMs = 30000;

// One schema change. Released steps are never edited: a change is a new step
// with the next number (docs/catalog.md, "Migrations").
struct MigrationStep {
  int version;
  const char* purpose;
  const char* sql;
};

constexpr MigrationStep kSteps[] = {
    {1, "snapshots, verifications, restore tests and scratch databases",
     R"sql(
CREATE TABLE snapshots (
  id TEXT NOT NULL PRIMARY KEY,
  target TEXT NOT NULL,
  engine TEXT NOT NULL,
  source TEXT NOT NULL,
  started_at TEXT NOT NULL,
  finished_at TEXT NOT NULL,
  table_count INTEGER NOT NULL,
  row_count INTEGER NOT NULL,
  raw_bytes INTEGER NOT NULL,
  stored_bytes INTEGER NOT NULL,
  fingerprint TEXT NOT NULL,
  manifest_sha256 TEXT NOT NULL,
  deleted INTEGER NOT NULL DEFAULT 0 CHECK (deleted IN (0, 1)),
  deleted_at TEXT
);
CREATE INDEX snapshots_by_target ON snapshots (target, started_at, id);

CREATE TABLE verifications (
  id INTEGER PRIMARY KEY,
  snapshot_id TEXT NOT NULL,
  at TEXT NOT NULL,
  deep INTEGER NOT NULL CHECK (deep IN (0, 1)),
  ok INTEGER NOT NULL CHECK (ok IN (0, 1)),
  detail TEXT NOT NULL,
  seconds REAL NOT NULL
);
CREATE INDEX verifications_latest ON verifications (snapshot_id, at, id);

CREATE TABLE restore_tests (
  id INTEGER PRIMARY KEY,
  snapshot_id TEXT NOT NULL,
  target TEXT NOT NULL,
  at TEXT NOT NULL,
  ok INTEGER NOT NULL CHECK (ok IN (0, 1)),
  detail TEXT NOT NULL,
  restore_seconds REAL NOT NULL,
  total_seconds REAL NOT NULL,
  row_count INTEGER NOT NULL,
  byte_count INTEGER NOT NULL,
  scratch_database TEXT NOT NULL
);
CREATE INDEX restore_tests_latest ON restore_tests (snapshot_id, at, id);
CREATE INDEX restore_tests_passing ON restore_tests (target, at, id) WHERE ok = 1;
CREATE INDEX restore_tests_passing_any ON restore_tests (at, id) WHERE ok = 1;

CREATE TABLE scratch_databases (
  engine TEXT NOT NULL,
  name TEXT NOT NULL,
  server TEXT NOT NULL,
  host TEXT NOT NULL,
  pid INTEGER NOT NULL,
  created_at TEXT NOT NULL,
  purpose TEXT NOT NULL,
  PRIMARY KEY (engine, name)
);
)sql"},
    {2, "base copies and rehearsals",
     R"sql(
CREATE TABLE base_copies (
  engine TEXT NOT NULL,
  server TEXT NOT NULL,
  server_key TEXT NOT NULL,
  name TEXT NOT NULL,
  snapshot_id TEXT NOT NULL,
  target TEXT NOT NULL,
  fingerprint TEXT NOT NULL,
  created_at TEXT NOT NULL,
  restore_seconds REAL NOT NULL,
  PRIMARY KEY (engine, server_key, name)
);
CREATE INDEX base_copies_by_snapshot ON base_copies (engine, server_key, snapshot_id, created_at);

CREATE TABLE rehearsals (
  seq INTEGER PRIMARY KEY,
  id TEXT NOT NULL UNIQUE,
  target TEXT NOT NULL,
  engine TEXT NOT NULL,
  snapshot_id TEXT NOT NULL,
  snapshot_fingerprint TEXT NOT NULL,
  live_fingerprint TEXT NOT NULL,
  plan_sha256 TEXT NOT NULL,
  phases TEXT NOT NULL,
  to_migration TEXT NOT NULL,
  started_at TEXT NOT NULL,
  finished_at TEXT NOT NULL,
  ok INTEGER NOT NULL CHECK (ok IN (0, 1)),
  tool_version TEXT NOT NULL,
  summary TEXT NOT NULL,
  report_json TEXT NOT NULL
);
CREATE INDEX rehearsals_latest ON rehearsals (target, plan_sha256, started_at, seq);
CREATE INDEX rehearsals_by_target ON rehearsals (target, started_at, seq);
CREATE INDEX rehearsals_by_time ON rehearsals (started_at, seq);
)sql"},
    {3, "the audit log",
     R"sql(
CREATE TABLE audit_log (
  seq INTEGER PRIMARY KEY,
  alg TEXT NOT NULL,
  content TEXT NOT NULL,
  hash TEXT NOT NULL
);
)sql"},
};

constexpr int kSchemaVersion = kSteps[std::size(kSteps) - 1].version;

constexpr const char* kSnapshotColumns =
    "s.id, s.target, s.engine, s.source, s.started_at, s.finished_at, s.table_count, s.row_count, "
    "s.raw_bytes, s.stored_bytes, s.fingerprint, s.manifest_sha256, s.deleted";
constexpr std::size_t kSnapshotWidth = 13;
constexpr const char* kVerificationColumns = "v.snapshot_id, v.at, v.deep, v.ok, v.detail, v.seconds";
constexpr std::size_t kVerificationWidth = 6;
constexpr const char* kBaseCopyColumns =
    "engine, server, name, snapshot_id, target, fingerprint, created_at, restore_seconds";
constexpr const char* kRehearsalColumns =
    "id, target, engine, snapshot_id, snapshot_fingerprint, live_fingerprint, plan_sha256, phases, "
    "to_migration, started_at, finished_at, ok, tool_version, summary, report_json";
constexpr const char* kRestoreTestColumns =
    "r.snapshot_id, r.target, r.at, r.ok, r.detail, r.restore_seconds, r.total_seconds, r.row_count, "
    "r.byte_count, r.scratch_database";

// What to do about a catalog file SQLite cannot read.
std::string DamagedAdvice(const fs::path& file) {
  return "move it aside (mv '" + file.string() + "' '" + file.string() +
         ".damaged') and run again to start an empty catalog (the snapshot directories are untouched; only "
         "the recorded history is lost), or restore catalog.db from a backup";
}

// The same status with `prefix` in front of its message, keeping the code.
// The driver reports a damaged file as kInvalidInput saying "damaged", with
// advice for a user database; for the catalog, say what to do with it.
Status Prefixed(const Status& status, const std::string& prefix, const fs::path* file = nullptr) {
  Status out = status.WithContext(prefix);
  if (file != nullptr && status.code() == StatusCode::kInvalidInput &&
      status.message().find("damaged") != std::string::npos) {
    return out.WithMessage(out.message() + ". For the catalog: " + DamagedAdvice(*file));
  }
  return out;
}

// Reads the typed values of one result row, remembering the first value
// that is not what the schema says (a hand-edited or damaged file).
class RowReader {
 public:
  RowReader(RowView row, const std::string& table) : row_(row), table_(table) {}

  bool IsNull(std::size_t i) const { return i >= row_.size() || row_[i].is_null(); }
  std::string Text(std::size_t i) const { return IsNull(i) ? std::string() : std::string(row_[i].data); }
  std::int64_t Int(std::size_t i, const char* column) {
    std::int64_t v = 0;
    std::string_view d = IsNull(i) ? std::string_view() : row_[i].data;
    auto [ptr, ec] = std::from_chars(d.data(), d.data() + d.size(), v);
    if (ec != std::errc() || ptr != d.data() + d.size()) Bad(column, d, "an integer");
    return v;
  }
  double Real(std::size_t i, const char* column) {
    double v = 0;
    std::string_view d = IsNull(i) ? std::string_view() : row_[i].data;
    auto [ptr, ec] = std::from_chars(d.data(), d.data() + d.size(), v);
    if (ec != std::errc() || ptr != d.data() + d.size()) Bad(column, d, "a number");
    return v;
  }
  bool Bool(std::size_t i, const char* column) {
    std::int64_t v = Int(i, column);
    if (status_.ok() && v != 0 && v != 1) Bad(column, row_[i].data, "0 or 1");
    return v == 1;
  }
  const Status& status() const { return status_; }

 private:
  void Bad(const char* column, std::string_view value, const char* expected) {
    if (!status_.ok()) return;
    status_ = Status::InvalidInput("column " + table_ + "." + column + " holds '" +
                                   std::string(value.substr(0, 40)) + "' where " + expected +
                                   " belongs: the catalog was edited or is damaged; restore catalog.db "
                                   "from a backup or move it aside to start a new one");
  }

  RowView row_;
  const std::string& table_;
  Status status_;
};

SnapshotRecord ReadSnapshot(RowReader& r, std::size_t at) {
  SnapshotRecord s;
  s.id = r.Text(at + 0);
  s.target = r.Text(at + 1);
  s.engine = r.Text(at + 2);
  s.source = r.Text(at + 3);
  s.started_at = r.Text(at + 4);
  s.finished_at = r.Text(at + 5);
  s.tables = r.Int(at + 6, "table_count");
  s.rows = r.Int(at + 7, "row_count");
  s.raw_bytes = r.Int(at + 8, "raw_bytes");
  s.stored_bytes = r.Int(at + 9, "stored_bytes");
  s.fingerprint = r.Text(at + 10);
  s.manifest_sha256 = r.Text(at + 11);
  s.deleted = r.Bool(at + 12, "deleted");
  return s;
}

VerificationRecord ReadVerification(RowReader& r, std::size_t at) {
  VerificationRecord v;
  v.snapshot_id = r.Text(at + 0);
  v.at = r.Text(at + 1);
  v.deep = r.Bool(at + 2, "deep");
  v.ok = r.Bool(at + 3, "ok");
  v.detail = r.Text(at + 4);
  v.seconds = r.Real(at + 5, "seconds");
  return v;
}

RestoreTestRecord ReadRestoreTest(RowReader& r, std::size_t at) {
  RestoreTestRecord t;
  t.snapshot_id = r.Text(at + 0);
  t.target = r.Text(at + 1);
  t.at = r.Text(at + 2);
  t.ok = r.Bool(at + 3, "ok");
  t.detail = r.Text(at + 4);
  t.restore_seconds = r.Real(at + 5, "restore_seconds");
  t.total_seconds = r.Real(at + 6, "total_seconds");
  t.rows = r.Int(at + 7, "row_count");
  t.bytes = r.Int(at + 8, "byte_count");
  t.scratch_database = r.Text(at + 9);
  return t;
}

BaseCopyRecord ReadBaseCopy(RowReader& r) {
  BaseCopyRecord b;
  b.engine = r.Text(0);
  b.server = r.Text(1);
  b.name = r.Text(2);
  b.snapshot_id = r.Text(3);
  b.target = r.Text(4);
  b.fingerprint = r.Text(5);
  b.created_at = r.Text(6);
  b.restore_seconds = r.Real(7, "restore_seconds");
  return b;
}

RehearsalRecord ReadRehearsal(RowReader& r) {
  RehearsalRecord h;
  h.id = r.Text(0);
  h.target = r.Text(1);
  h.engine = r.Text(2);
  h.snapshot_id = r.Text(3);
  h.snapshot_fingerprint = r.Text(4);
  h.live_fingerprint = r.Text(5);
  h.plan_sha256 = r.Text(6);
  h.phases = r.Text(7);
  h.to = r.Text(8);
  h.started_at = r.Text(9);
  h.finished_at = r.Text(10);
  h.ok = r.Bool(11, "ok");
  h.tool_version = r.Text(12);
  h.summary = r.Text(13);
  h.report_json = r.Text(14);
  return h;
}

// Builds a statement: strings through the connection's QuoteLiteral, numbers
// formatted here. The first invalid value (a time that does not parse, a
// number that is not finite, an empty key) is kept and reported by sql().
class Sql {
 public:
  Sql(const Connection& db, std::string what) : db_(db), what_(std::move(what)) {}

  Sql& Raw(std::string_view text) {
    out_ += text;
    return *this;
  }
  Sql& Str(std::string_view value) {
    out_ += db_.QuoteLiteral(value);
    return *this;
  }
  // Free text that might carry a credential someone forgot to redact.
  Sql& Free(std::string_view value) { return Str(ScrubSecrets(value)); }
  Sql& Key(std::string_view value, const char* field) {
    if (value.empty()) Fail(std::string(field) + " is empty");
    return Str(value);
  }
  // A required free-text value (a target, a server).
  Sql& FreeKey(std::string_view value, const char* field) {
    if (value.empty()) Fail(std::string(field) + " is empty");
    return Free(value);
  }
  Sql& Int(std::int64_t value) {
    out_ += std::to_string(value);
    return *this;
  }
  Sql& Bool(bool value) { return Raw(value ? "1" : "0"); }
  Sql& Real(double value, const char* field) {
    if (!std::isfinite(value)) {
      Fail(std::string(field) + " is not a finite number");
      return Raw("0");
    }
    char buf[64];
    auto r = std::to_chars(buf, buf + sizeof buf, value);
    out_.append(buf, r.ptr);
    return *this;
  }
  // A time in canonical form; `required` refuses an empty one.
  Sql& Time(std::string_view value, const char* field, bool required) {
    if (value.empty() && !required) return Str("");
    auto t = ParseIso8601(value);
    if (!t.ok()) {
      Fail(std::string(field) + ": " + t.status().message());
      return Str("");
    }
    return Str(FormatIso8601(*t));
  }

  Result<std::string> sql() const {
    if (!error_.empty()) return Status::InvalidInput(what_ + ": " + error_);
    return out_;
  }

 private:
  void Fail(std::string message) {
    if (error_.empty()) error_ = std::move(message);
  }

  const Connection& db_;
  std::string what_;
  std::string out_;
  std::string error_;
};

// BEGIN IMMEDIATE takes the write lock up front (waiting up to the busy
// timeout): a deferred transaction that reads and then writes can fail with
// SQLITE_BUSY at once when another writer got there first, without waiting.
class WriteTransaction {
 public:
  explicit WriteTransaction(Connection& db) : db_(db) {}
  ~WriteTransaction() {
    if (open_) (void)db_.Rollback();
  }
  WriteTransaction(const WriteTransaction&) = delete;
  WriteTransaction& operator=(const WriteTransaction&) = delete;

  Status Begin() {
    auto r = db_.Execute("BEGIN IMMEDIATE");
    open_ = r.ok();
    return r.status();
  }
  Status Commit() {
    CUTOVER_KILL_POINT("catalog.before-commit");
    Status st = db_.Commit();
    if (st.ok()) open_ = false;
    return st;
  }

 private:
  Connection& db_;
  bool open_ = false;
};

Result<std::int64_t> QueryInt(Connection& db, std::string_view sql) {
  std::int64_t value = 0;
  Status read_error;
  static const std::string kTable = "pragma";
  Status st = db.Query(sql, [&](RowView row) {
    RowReader r(row, kTable);
    value = r.Int(0, "value");
    read_error = r.status();
    return Status::Ok();
  });
  if (!st.ok()) return st;
  if (!read_error.ok()) return read_error;
  return value;
}

Status EnsureRepositoryDir(Env& env, const fs::path& repo) {
  auto info = env.Stat(repo);
  if (info.ok()) {
    if (info->kind != FileInfo::Kind::kDirectory) {
      return Status::InvalidInput("repository '" + repo.string() +
                                  "' exists but is not a directory: point --repo at a directory");
    }
    return Status::Ok();
  }
  if (info.status().code() != StatusCode::kNotFound) {
    return Status::Io("cannot access repository '" + repo.string() + "': " + info.status().message());
  }
  if (repo.has_parent_path()) {
    Status parents = env.CreateDirs(repo.parent_path());
    if (!parents.ok()) {
      return Status::Io("cannot create the parent directories of repository '" + repo.string() +
                        "': " + parents.message());
    }
  }
  // CreateDir sets mode 0700 exactly, whatever the umask.
  auto made = env.CreateDir(repo);
  if (!made.ok()) {
    return Status::Io("cannot create repository directory '" + repo.string() +
                      "': " + made.status().message());
  }
  if (!*made) {
    auto now = env.Stat(repo);  // another process created it just now
    if (!now.ok() || now->kind != FileInfo::Kind::kDirectory) {
      return Status::Io("cannot create repository directory '" + repo.string() +
                        "': something else appeared at that path");
    }
  }
  return Status::Ok();
}

// Creates an empty catalog file (a valid empty SQLite database) with mode
// 0600 before SQLite ever opens it: SQLite gives its -wal, -shm and -journal
// files the mode of the database file.
Status EnsureCatalogFile(Env& env, const fs::path& file) {
  if (env.Exists(file)) return Status::Ok();
  auto created = env.NewWritableFile(file);
  Status st = created.ok() ? (*created)->Close() : created.status();
  if (!st.ok() && !env.Exists(file)) {
    return Status::Io("cannot create catalog '" + file.string() + "': " + st.message() +
                      ": check that the repository directory is writable");
  }
  return Status::Ok();
}

// The canonical sort key of a snapshot for retention: seconds since the
// epoch, or nullopt when its time does not parse.
std::optional<std::int64_t> SnapshotTime(const SnapshotRecord& s) {
  auto t = ParseIso8601(s.started_at.empty() ? s.finished_at : s.started_at);
  if (!t.ok()) return std::nullopt;
  return *t;
}

bool IsDigit(char c) {
  return c >= '0' && c <= '9';
}

// Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's
// days_from_civil).
std::int64_t DaysFromCivil(std::int64_t y, unsigned m, unsigned d) {
  y -= m <= 2 ? 1 : 0;
  const std::int64_t era = (y >= 0 ? y : y - 399) / 400;
  const auto yoe = static_cast<unsigned>(y - era * 400);
  const unsigned doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
  const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + static_cast<std::int64_t>(doe) - 719468;
}

bool IsLeap(std::int64_t y) {
  return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

unsigned DaysInMonth(std::int64_t y, unsigned m) {
  static constexpr unsigned kDays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  return m == 2 && IsLeap(y) ? 29 : kDays[m - 1];
}

}  // namespace

// ---------------------------------------------------------------------------
// Catalog

Catalog::Catalog(std::unique_ptr<Connection> db, std::filesystem::path path)
    : db_(std::move(db)), path_(std::move(path)) {}

Catalog::~Catalog() = default;

Result<std::unique_ptr<Catalog>> Catalog::Open(DriverLoader& loader, const std::filesystem::path& repo,
                                               Env& env) {
  if (repo.empty()) {
    return Status::InvalidInput("no repository directory given: set --repo or [repository] path");
  }
  std::error_code ec;
  fs::path repo_dir = fs::absolute(repo, ec);
  if (ec) return Status::Io("cannot resolve repository path '" + repo.string() + "': " + ec.message());
  CUTOVER_RETURN_IF_ERROR(EnsureRepositoryDir(env, repo_dir));
  const fs::path file = repo_dir / "catalog.db";
  CUTOVER_RETURN_IF_ERROR(EnsureCatalogFile(env, file));

  auto driver = loader.Get("sqlite");
  if (!driver.ok()) {
    return Prefixed(driver.status(), "catalog '" + file.string() +
                                         "' needs the sqlite driver plugin, which could not be loaded");
  }
  auto base = ConnectionUri::Parse("sqlite:///catalog.db?busy_timeout=" + std::to_string(kBusyTimeoutMs));
  if (!base.ok()) return Status::Internal("catalog URI: " + base.status().message());
  ConnectionUri uri = base->WithPath(file.string());
  auto conn = (*driver)->Connect(uri);
  if (!conn.ok()) {
    const Status& st = conn.status();
    if (st.code() == StatusCode::kInvalidInput) {
      return st.WithMessage("catalog '" + file.string() + "' cannot be read: " + st.message() + "; " +
                            DamagedAdvice(file));
    }
    return Prefixed(st, "cannot open catalog '" + file.string() + "'");
  }
  std::unique_ptr<Catalog> catalog(new Catalog(std::move(conn).value(), file));
  CUTOVER_RETURN_IF_ERROR(catalog->Migrate());
  return catalog;
}

Status Catalog::InsertUnique(const std::string& where, const std::string& exists_sql,
                             const std::string& insert_sql, const std::string& duplicate) {
  WriteTransaction txn(*db_);
  CUTOVER_RETURN_IF_ERROR(Prefixed(txn.Begin(), where, &path_));
  auto count = QueryInt(*db_, exists_sql);
  if (!count.ok()) return Prefixed(count.status(), where, &path_);
  if (*count != 0) return Status::InvalidInput(where + ": " + duplicate);
  auto r = db_->Execute(insert_sql);
  if (!r.ok()) return Prefixed(r.status(), where, &path_);
  return Prefixed(txn.Commit(), where, &path_);
}

Status Catalog::Migrate() {
  std::lock_guard lock(mu_);
  const std::string where = "catalog '" + path_.string() + "'";
  Connection& db = *db_;

  // WAL: readers never block the writer and the writer never blocks readers,
  // so a long listing does not hold up a snapshot recording its row. The
  // mode is stored in the file, so this runs once per catalog.
  // Openers racing on a new file: the switch is refused at once (not after
  // the busy timeout) while another connection holds a lock, and that other
  // opener may be making the very same switch; look again and retry.
  Status st;
  for (int attempt = 0;; ++attempt) {
    std::string mode;
    st = db.Query("PRAGMA journal_mode", [&](RowView row) {
      if (!row.empty()) mode = std::string(row[0].data);
      return Status::Ok();
    });
    if (!st.ok()) return Prefixed(st, where, &path_);
    if (mode == "wal") break;
    st = db.Query("PRAGMA journal_mode = WAL", [](RowView) { return Status::Ok(); });
    if (st.ok()) continue;  // read the mode back: the pragma reports what it got
    if (st.code() != StatusCode::kLockTimeout || attempt >= 100) {
      return Prefixed(st, where + ": switching to WAL journal mode", &path_);
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  const std::string foreign_advice =
      "point --repo at the right directory, or move the file aside to let cutover create a catalog there";

  auto read_state = [&](std::int64_t* app_id, std::int64_t* version) -> Status {
    auto a = QueryInt(db, "PRAGMA application_id");
    if (!a.ok()) return Prefixed(a.status(), where, &path_);
    auto v = QueryInt(db, "PRAGMA user_version");
    if (!v.ok()) return Prefixed(v.status(), where, &path_);
    *app_id = *a;
    *version = *v;
    if (*app_id != 0 && *app_id != kApplicationId) {
      return Status::InvalidInput(where + " is a SQLite database of another application (application_id " +
                                  std::to_string(*app_id) + "), not a cutover catalog: " + foreign_advice);
    }
    if (*version > kSchemaVersion) {
      return Status::Unsupported(where + ": catalog was written by a newer cutover (catalog schema version " +
                                 std::to_string(*version) + ", this cutover knows up to version " +
                                 std::to_string(kSchemaVersion) +
                                 "); upgrade cutover to use this repository. It is never downgraded");
    }
    if (*app_id == 0) {
      auto objects = QueryInt(db, "SELECT count(*) FROM sqlite_schema");
      if (!objects.ok()) return Prefixed(objects.status(), where, &path_);
      if (*objects != 0 || *version != 0) {
        return Status::InvalidInput(where + " is a SQLite database holding other data (" +
                                    std::to_string(*objects) +
                                    " schema objects), not a cutover catalog: " + foreign_advice);
      }
    }
    return Status::Ok();
  };

  std::int64_t app_id = 0;
  std::int64_t version = 0;
  // One read snapshot for the three reads: read one by one, they could see
  // another opener's migration commit in between (application_id still 0,
  // then its tables) and take the new catalog for foreign data.
  st = db.Begin();
  if (!st.ok()) return Prefixed(st, where, &path_);
  st = read_state(&app_id, &version);
  Status ended = st.ok() ? db.Commit() : db.Rollback();
  if (!st.ok()) return st;
  if (!ended.ok()) return Prefixed(ended, where, &path_);
  if (version == kSchemaVersion) return Status::Ok();

  WriteTransaction txn(db);
  st = txn.Begin();
  if (!st.ok()) return Prefixed(st, where + ": cannot lock the catalog to upgrade its schema", &path_);
  // Another process may have migrated while we waited for the lock.
  st = read_state(&app_id, &version);
  if (!st.ok()) return st;
  if (version == kSchemaVersion) return txn.Commit();
  for (const MigrationStep& step : kSteps) {
    if (step.version <= version) continue;
    st = db.ExecuteScript(step.sql);
    if (st.ok()) {
      // Both pragmas are transactional: a failed step leaves the file at the
      // previous version.
      st = db.ExecuteScript("PRAGMA application_id = " + std::to_string(kApplicationId) +
                            "; PRAGMA user_version = " + std::to_string(step.version));
    }
    if (!st.ok()) {
      return Prefixed(st,
                      where + ": schema step " + std::to_string(step.version) + " (" + step.purpose +
                          ") failed; the catalog stays at version " + std::to_string(version),
                      &path_);
    }
  }
  st = txn.Commit();
  if (!st.ok()) return Prefixed(st, where + ": committing the schema upgrade", &path_);
  return Status::Ok();
}

Status Catalog::RecordSnapshot(const SnapshotRecord& record) {
  std::lock_guard lock(mu_);
  const std::string where = "catalog '" + path_.string() + "': recording snapshot '" + record.id + "'";
  Sql q(*db_, where);
  q.Raw(
       "INSERT INTO snapshots (id, target, engine, source, started_at, finished_at, table_count, row_count, "
       "raw_bytes, stored_bytes, fingerprint, manifest_sha256, deleted, deleted_at)\nVALUES (")
      .Key(record.id, "snapshot id")
      .Raw(", ")
      .Free(record.target)
      .Raw(", ")
      .Str(record.engine)
      .Raw(", ")
      .Free(record.source)
      .Raw(", ")
      .Time(record.started_at, "started_at", true)
      .Raw(", ")
      .Time(record.finished_at, "finished_at", false)
      .Raw(", ")
      .Int(record.tables)
      .Raw(", ")
      .Int(record.rows)
      .Raw(", ")
      .Int(record.raw_bytes)
      .Raw(", ")
      .Int(record.stored_bytes)
      .Raw(", ")
      .Str(record.fingerprint)
      .Raw(", ")
      .Str(record.manifest_sha256)
      .Raw(", ")
      .Bool(record.deleted)
      .Raw(", ");
  if (record.deleted) {
    q.Str(NowIso8601());
  } else {
    q.Raw("NULL");
  }
  // An upsert keeps the row (and its rowid) instead of deleting and
  // re-inserting it; a row already marked deleted keeps its deletion time.
  q.Raw(
      ")\nON CONFLICT (id) DO UPDATE SET target = excluded.target, engine = excluded.engine, "
      "source = excluded.source, started_at = excluded.started_at, finished_at = excluded.finished_at, "
      "table_count = excluded.table_count, row_count = excluded.row_count, raw_bytes = excluded.raw_bytes, "
      "stored_bytes = excluded.stored_bytes, fingerprint = excluded.fingerprint, "
      "manifest_sha256 = excluded.manifest_sha256, deleted = excluded.deleted, "
      "deleted_at = CASE WHEN excluded.deleted = 1 THEN coalesce(snapshots.deleted_at, excluded.deleted_at) "
      "END");
  auto sql = q.sql();
  if (!sql.ok()) return sql.status();
  auto r = db_->Execute(*sql);
  return r.ok() ? Status::Ok() : Prefixed(r.status(), where, &path_);
}

Status Catalog::MarkSnapshotDeleted(const std::string& snapshot_id) {
  std::lock_guard lock(mu_);
  const std::string where =
      "catalog '" + path_.string() + "': marking snapshot '" + snapshot_id + "' deleted";
  Sql q(*db_, where);
  q.Raw("UPDATE snapshots SET deleted = 1, deleted_at = coalesce(deleted_at, ")
      .Str(NowIso8601())
      .Raw(") WHERE id = ")
      .Key(snapshot_id, "snapshot id");
  auto sql = q.sql();
  if (!sql.ok()) return sql.status();
  auto r = db_->Execute(*sql);
  if (!r.ok()) return Prefixed(r.status(), where, &path_);
  if (*r == 0) {
    return Status::NotFound(where + ": no such snapshot in the catalog; check the snapshot id");
  }
  return Status::Ok();
}

Result<std::optional<SnapshotRecord>> Catalog::FindSnapshot(const std::string& snapshot_id) {
  std::lock_guard lock(mu_);
  const std::string where = "catalog '" + path_.string() + "': looking up snapshot '" + snapshot_id + "'";
  Sql q(*db_, where);
  q.Raw("SELECT ").Raw(kSnapshotColumns).Raw(" FROM snapshots AS s WHERE s.id = ").Str(snapshot_id);
  auto sql = q.sql();
  if (!sql.ok()) return sql.status();
  std::optional<SnapshotRecord> found;
  Status read_error;
  static const std::string kTable = "snapshots";
  Status st = db_->Query(*sql, [&](RowView row) {
    RowReader r(row, kTable);
    found = ReadSnapshot(r, 0);
    read_error = r.status();
    return read_error;
  });
  if (!st.ok()) return Prefixed(st, where, &path_);
  return found;
}

Result<std::vector<SnapshotSummary>> Catalog::ListSnapshots() {
  std::lock_guard lock(mu_);
  const std::string where = "catalog '" + path_.string() + "': listing snapshots";
  // The latest verification and restore test of each snapshot, found
  // through the (snapshot_id, at, id) indexes: one probe per snapshot.
  std::string sql = std::string("SELECT ") + kSnapshotColumns + ", " + kVerificationColumns + ", " +
                    kRestoreTestColumns +
                    "\nFROM snapshots AS s"
                    "\nLEFT JOIN verifications AS v ON v.id = (SELECT id FROM verifications WHERE "
                    "snapshot_id = s.id ORDER BY at DESC, id DESC LIMIT 1)"
                    "\nLEFT JOIN restore_tests AS r ON r.id = (SELECT id FROM restore_tests WHERE "
                    "snapshot_id = s.id ORDER BY at DESC, id DESC LIMIT 1)"
                    "\nORDER BY s.started_at, s.id";
  std::vector<SnapshotSummary> out;
  static const std::string kTable = "snapshots";
  Status st = db_->Query(sql, [&](RowView row) {
    RowReader r(row, kTable);
    SnapshotSummary summary;
    summary.snapshot = ReadSnapshot(r, 0);
    if (!r.IsNull(kSnapshotWidth)) summary.last_verification = ReadVerification(r, kSnapshotWidth);
    if (!r.IsNull(kSnapshotWidth + kVerificationWidth)) {
      summary.last_restore_test = ReadRestoreTest(r, kSnapshotWidth + kVerificationWidth);
    }
    if (!r.status().ok()) return r.status();
    out.push_back(std::move(summary));
    return Status::Ok();
  });
  if (!st.ok()) return Prefixed(st, where, &path_);
  return out;
}

Status Catalog::RecordVerification(const VerificationRecord& record) {
  std::lock_guard lock(mu_);
  const std::string where =
      "catalog '" + path_.string() + "': recording a verification of snapshot '" + record.snapshot_id + "'";
  Sql q(*db_, where);
  q.Raw("INSERT INTO verifications (snapshot_id, at, deep, ok, detail, seconds) VALUES (")
      .Key(record.snapshot_id, "snapshot id")
      .Raw(", ")
      .Time(record.at, "at", true)
      .Raw(", ")
      .Bool(record.deep)
      .Raw(", ")
      .Bool(record.ok)
      .Raw(", ")
      .Free(record.detail)
      .Raw(", ")
      .Real(record.seconds, "seconds")
      .Raw(")");
  auto sql = q.sql();
  if (!sql.ok()) return sql.status();
  auto r = db_->Execute(*sql);
  return r.ok() ? Status::Ok() : Prefixed(r.status(), where, &path_);
}

Status Catalog::RecordRestoreTest(const RestoreTestRecord& record) {
  std::lock_guard lock(mu_);
  const std::string where =
      "catalog '" + path_.string() + "': recording a restore test of snapshot '" + record.snapshot_id + "'";
  Sql q(*db_, where);
  q.Raw(
       "INSERT INTO restore_tests (snapshot_id, target, at, ok, detail, restore_seconds, total_seconds, "
       "row_count, byte_count, scratch_database) VALUES (")
      .Key(record.snapshot_id, "snapshot id")
      .Raw(", ")
      .Free(record.target)
      .Raw(", ")
      .Time(record.at, "at", true)
      .Raw(", ")
      .Bool(record.ok)
      .Raw(", ")
      .Free(record.detail)
      .Raw(", ")
      .Real(record.restore_seconds, "restore_seconds")
      .Raw(", ")
      .Real(record.total_seconds, "total_seconds")
      .Raw(", ")
      .Int(record.rows)
      .Raw(", ")
      .Int(record.bytes)
      .Raw(", ")
      .Str(record.scratch_database)
      .Raw(")");
  auto sql = q.sql();
  if (!sql.ok()) return sql.status();
  auto r = db_->Execute(*sql);
  return r.ok() ? Status::Ok() : Prefixed(r.status(), where, &path_);
}

Result<std::optional<RestoreTestRecord>> Catalog::LastSuccessfulRestoreTest(const std::string& target) {
  std::lock_guard lock(mu_);
  const std::string where = "catalog '" + path_.string() + "': looking up the last passing restore test" +
                            (target.empty() ? std::string() : " of target '" + target + "'");
  Sql q(*db_, where);
  q.Raw("SELECT ")
      .Raw(kRestoreTestColumns)
      .Raw(
          "\nFROM restore_tests AS r LEFT JOIN snapshots AS s ON s.id = r.snapshot_id"
          "\nWHERE r.ok = 1 AND coalesce(s.deleted, 0) = 0");
  // Stored targets went through ScrubSecrets; look them up the same way.
  if (!target.empty()) q.Raw(" AND r.target = ").Free(target);
  q.Raw("\nORDER BY r.at DESC, r.id DESC LIMIT 1");
  auto sql = q.sql();
  if (!sql.ok()) return sql.status();
  std::optional<RestoreTestRecord> found;
  static const std::string kTable = "restore_tests";
  Status st = db_->Query(*sql, [&](RowView row) {
    RowReader r(row, kTable);
    found = ReadRestoreTest(r, 0);
    return r.status();
  });
  if (!st.ok()) return Prefixed(st, where, &path_);
  return found;
}

Status Catalog::RegisterScratch(const ScratchRecord& record) {
  std::lock_guard lock(mu_);
  const std::string where = "catalog '" + path_.string() + "': registering scratch database '" + record.name +
                            "' (" + record.engine + ")";
  Sql exists(*db_, where);
  exists.Raw("SELECT count(*) FROM scratch_databases WHERE engine = ")
      .Key(record.engine, "engine")
      .Raw(" AND name = ")
      .Key(record.name, "scratch database name");
  auto exists_sql = exists.sql();
  if (!exists_sql.ok()) return exists_sql.status();
  Sql insert(*db_, where);
  insert.Raw("INSERT INTO scratch_databases (engine, name, server, host, pid, created_at, purpose) VALUES (")
      .Str(record.engine)
      .Raw(", ")
      .Str(record.name)
      .Raw(", ")
      .Free(record.server)
      .Raw(", ")
      .Str(record.host)
      .Raw(", ")
      .Int(record.pid)
      .Raw(", ")
      .Time(record.created_at, "created_at", true)
      .Raw(", ")
      .Str(record.purpose)
      .Raw(")");
  auto insert_sql = insert.sql();
  if (!insert_sql.ok()) return insert_sql.status();

  return InsertUnique(where, *exists_sql, *insert_sql,
                      "a scratch database of that name is already registered (created by another "
                      "run); generate another name");
}

Status Catalog::ForgetScratch(const std::string& engine, const std::string& name) {
  std::lock_guard lock(mu_);
  const std::string where =
      "catalog '" + path_.string() + "': forgetting scratch database '" + name + "' (" + engine + ")";
  Sql q(*db_, where);
  q.Raw("DELETE FROM scratch_databases WHERE engine = ")
      .Key(engine, "engine")
      .Raw(" AND name = ")
      .Key(name, "scratch database name");
  auto sql = q.sql();
  if (!sql.ok()) return sql.status();
  auto r = db_->Execute(*sql);
  return r.ok() ? Status::Ok() : Prefixed(r.status(), where, &path_);
}

Result<std::vector<ScratchRecord>> Catalog::ListScratch() {
  std::lock_guard lock(mu_);
  const std::string where = "catalog '" + path_.string() + "': listing scratch databases";
  std::vector<ScratchRecord> out;
  static const std::string kTable = "scratch_databases";
  Status st = db_->Query(
      "SELECT engine, name, server, host, pid, created_at, purpose FROM scratch_databases "
      "ORDER BY created_at, engine, name",
      [&](RowView row) {
        RowReader r(row, kTable);
        ScratchRecord s;
        s.engine = r.Text(0);
        s.name = r.Text(1);
        s.server = r.Text(2);
        s.host = r.Text(3);
        s.pid = r.Int(4, "pid");
        s.created_at = r.Text(5);
        s.purpose = r.Text(6);
        if (!r.status().ok()) return r.status();
        out.push_back(std::move(s));
        return Status::Ok();
      });
  if (!st.ok()) return Prefixed(st, where, &path_);
  return out;
}

// ---------------------------------------------------------------------------
// Base copies

std::string ScratchServerKey(std::string_view redacted_server) {
  std::string key(redacted_server);
  for (size_t at = key.find(":***@"); at != std::string::npos; at = key.find(":***@", at + 1)) {
    key.erase(at, 4);
  }
  return key;
}

namespace {

// The key under which a server string is stored: the same scrubbing as the
// stored `server` column, then the password marker removed.
std::string StoredServerKey(std::string_view server) {
  return ScratchServerKey(ScrubSecrets(server));
}

}  // namespace

Status Catalog::RecordBaseCopy(const BaseCopyRecord& record) {
  std::lock_guard lock(mu_);
  const std::string where = "catalog '" + path_.string() + "': recording base copy '" + record.name + "' (" +
                            record.engine + ") of snapshot '" + record.snapshot_id + "'";
  Sql upsert(*db_, where);
  upsert
      .Raw(
          "INSERT INTO base_copies (engine, server, server_key, name, snapshot_id, target, fingerprint, "
          "created_at, restore_seconds) VALUES (")
      .Key(record.engine, "engine")
      .Raw(", ")
      .FreeKey(record.server, "server")
      .Raw(", ")
      .Str(StoredServerKey(record.server))
      .Raw(", ")
      .Key(record.name, "base copy name")
      .Raw(", ")
      .Key(record.snapshot_id, "snapshot id")
      .Raw(", ")
      .Free(record.target)
      .Raw(", ")
      .Str(record.fingerprint)
      .Raw(", ")
      .Time(record.created_at, "created_at", true)
      .Raw(", ")
      .Real(record.restore_seconds, "restore_seconds")
      .Raw(
          ")\nON CONFLICT (engine, server_key, name) DO UPDATE SET server = excluded.server, "
          "snapshot_id = excluded.snapshot_id, target = excluded.target, fingerprint = excluded.fingerprint, "
          "created_at = excluded.created_at, restore_seconds = excluded.restore_seconds");
  auto upsert_sql = upsert.sql();
  if (!upsert_sql.ok()) return upsert_sql.status();
  Sql forget(*db_, where);
  forget.Raw("DELETE FROM scratch_databases WHERE engine = ")
      .Str(record.engine)
      .Raw(" AND name = ")
      .Str(record.name);
  auto forget_sql = forget.sql();
  if (!forget_sql.ok()) return forget_sql.status();

  WriteTransaction txn(*db_);
  CUTOVER_RETURN_IF_ERROR(Prefixed(txn.Begin(), where, &path_));
  for (const std::string* sql : {&*upsert_sql, &*forget_sql}) {
    auto r = db_->Execute(*sql);
    if (!r.ok()) return Prefixed(r.status(), where, &path_);
  }
  return Prefixed(txn.Commit(), where, &path_);
}

Result<std::optional<BaseCopyRecord>> Catalog::FindBaseCopy(const std::string& engine,
                                                            const std::string& server,
                                                            const std::string& snapshot_id) {
  std::lock_guard lock(mu_);
  const std::string where = "catalog '" + path_.string() + "': looking up a base copy of snapshot '" +
                            snapshot_id + "' (" + engine + ")";
  Sql q(*db_, where);
  q.Raw("SELECT ")
      .Raw(kBaseCopyColumns)
      .Raw(" FROM base_copies WHERE engine = ")
      .Str(engine)
      .Raw(" AND server_key = ")
      .Str(StoredServerKey(server))
      .Raw(" AND snapshot_id = ")
      .Str(snapshot_id)
      .Raw("\nORDER BY created_at DESC, rowid DESC LIMIT 1");
  auto sql = q.sql();
  if (!sql.ok()) return sql.status();
  std::optional<BaseCopyRecord> found;
  static const std::string kTable = "base_copies";
  Status st = db_->Query(*sql, [&](RowView row) {
    RowReader r(row, kTable);
    found = ReadBaseCopy(r);
    return r.status();
  });
  if (!st.ok()) return Prefixed(st, where, &path_);
  return found;
}

Result<std::vector<BaseCopyRecord>> Catalog::ListBaseCopies() {
  std::lock_guard lock(mu_);
  const std::string where = "catalog '" + path_.string() + "': listing base copies";
  std::vector<BaseCopyRecord> out;
  static const std::string kTable = "base_copies";
  Status st =
      db_->Query(std::string("SELECT ") + kBaseCopyColumns + " FROM base_copies ORDER BY created_at, rowid",
                 [&](RowView row) {
                   RowReader r(row, kTable);
                   BaseCopyRecord b = ReadBaseCopy(r);
                   if (!r.status().ok()) return r.status();
                   out.push_back(std::move(b));
                   return Status::Ok();
                 });
  if (!st.ok()) return Prefixed(st, where, &path_);
  return out;
}

Status Catalog::ForgetBaseCopy(const std::string& engine, const std::string& server,
                               const std::string& name) {
  std::lock_guard lock(mu_);
  const std::string where =
      "catalog '" + path_.string() + "': forgetting base copy '" + name + "' (" + engine + ")";
  Sql q(*db_, where);
  q.Raw("DELETE FROM base_copies WHERE engine = ")
      .Key(engine, "engine")
      .Raw(" AND server_key = ")
      .Str(StoredServerKey(server))
      .Raw(" AND name = ")
      .Key(name, "base copy name");
  auto sql = q.sql();
  if (!sql.ok()) return sql.status();
  auto r = db_->Execute(*sql);
  return r.ok() ? Status::Ok() : Prefixed(r.status(), where, &path_);
}

// ---------------------------------------------------------------------------
// Rehearsals

Status Catalog::RecordRehearsal(const RehearsalRecord& record) {
  std::lock_guard lock(mu_);
  const std::string where = "catalog '" + path_.string() + "': recording rehearsal '" + record.id + "'";
  Sql exists(*db_, where);
  exists.Raw("SELECT count(*) FROM rehearsals WHERE id = ").Key(record.id, "rehearsal id");
  auto exists_sql = exists.sql();
  if (!exists_sql.ok()) return exists_sql.status();
  Sql insert(*db_, where);
  insert.Raw("INSERT INTO rehearsals (").Raw(kRehearsalColumns).Raw(")\nVALUES (");
  insert.Str(record.id)
      .Raw(", ")
      .FreeKey(record.target, "target")
      .Raw(", ")
      .Key(record.engine, "engine")
      .Raw(", ")
      .Key(record.snapshot_id, "snapshot id")
      .Raw(", ")
      .Str(record.snapshot_fingerprint)
      .Raw(", ")
      .Str(record.live_fingerprint)
      .Raw(", ")
      .Key(record.plan_sha256, "plan_sha256")
      .Raw(", ")
      .Free(record.phases)
      .Raw(", ")
      .Free(record.to)
      .Raw(", ")
      .Time(record.started_at, "started_at", true)
      .Raw(", ")
      .Time(record.finished_at, "finished_at", false)
      .Raw(", ")
      .Bool(record.ok)
      .Raw(", ")
      .Str(record.tool_version)
      .Raw(", ")
      .Free(record.summary)
      .Raw(", ")
      .Free(record.report_json)
      .Raw(")");
  auto insert_sql = insert.sql();
  if (!insert_sql.ok()) return insert_sql.status();

  return InsertUnique(where, *exists_sql, *insert_sql,
                      "a rehearsal with that id is already recorded; rehearsals are evidence and "
                      "are never replaced: generate another id");
}

Result<std::optional<RehearsalRecord>> Catalog::LatestRehearsal(const std::string& target,
                                                                const std::string& plan_sha256) {
  std::lock_guard lock(mu_);
  const std::string where = "catalog '" + path_.string() + "': looking up the latest rehearsal of target '" +
                            target + "' with plan " + plan_sha256;
  Sql q(*db_, where);
  // Stored targets went through ScrubSecrets; look them up the same way.
  q.Raw("SELECT ")
      .Raw(kRehearsalColumns)
      .Raw(" FROM rehearsals WHERE target = ")
      .Free(target)
      .Raw(" AND plan_sha256 = ")
      .Str(plan_sha256)
      .Raw("\nORDER BY started_at DESC, seq DESC LIMIT 1");
  auto sql = q.sql();
  if (!sql.ok()) return sql.status();
  std::optional<RehearsalRecord> found;
  static const std::string kTable = "rehearsals";
  Status st = db_->Query(*sql, [&](RowView row) {
    RowReader r(row, kTable);
    found = ReadRehearsal(r);
    return r.status();
  });
  if (!st.ok()) return Prefixed(st, where, &path_);
  return found;
}

Status Catalog::AppendAudit(
    const std::function<Result<AuditRow>(const std::optional<AuditRow>& head)>& make) {
  std::lock_guard lock(mu_);
  const std::string where = "catalog '" + path_.string() + "': appending to the audit log";
  // One write transaction from reading the head to the insert: two
  // processes appending at once are serialized by SQLite's write lock, so
  // each entry extends the head the other one committed.
  WriteTransaction txn(*db_);
  CUTOVER_RETURN_IF_ERROR(Prefixed(txn.Begin(), where, &path_));
  auto head = ReadAuditHead(where);
  if (!head.ok()) return head.status();
  auto row = make(*head);
  if (!row.ok()) return row.status().WithContext(where);
  const std::int64_t expected = *head ? (*head)->seq + 1 : 1;
  if (row->seq != expected) {
    return Status::Internal(where + ": entry " + std::to_string(row->seq) + " does not follow the head " +
                            std::to_string(expected - 1));
  }
  Sql insert(*db_, where);
  insert.Raw("INSERT INTO audit_log (seq, alg, content, hash) VALUES (")
      .Int(row->seq)
      .Raw(", ")
      .Key(row->alg, "alg")
      .Raw(", ")
      .Key(row->content, "content")
      .Raw(", ")
      .Key(row->hash, "hash")
      .Raw(")");
  auto sql = insert.sql();
  if (!sql.ok()) return sql.status();
  auto r = db_->Execute(*sql);
  if (!r.ok()) return Prefixed(r.status(), where, &path_);
  CUTOVER_KILL_POINT("audit.inserted");  // the entry is in the open transaction
  return Prefixed(txn.Commit(), where, &path_);
}

Result<std::optional<AuditRow>> Catalog::ReadAuditHead(const std::string& where) {
  std::optional<AuditRow> head;
  static const std::string kTable = "audit_log";
  Status st =
      db_->Query("SELECT seq, alg, content, hash FROM audit_log ORDER BY seq DESC LIMIT 1", [&](RowView row) {
        RowReader r(row, kTable);
        head = AuditRow{r.Int(0, "seq"), r.Text(1), r.Text(2), r.Text(3)};
        return r.status();
      });
  if (!st.ok()) return Prefixed(st, where, &path_);
  return head;
}

Result<std::optional<AuditRow>> Catalog::AuditHead() {
  std::lock_guard lock(mu_);
  return ReadAuditHead("catalog '" + path_.string() + "': reading the audit log's head");
}

Status Catalog::ForEachAudit(const std::function<Status(const AuditRow& row)>& fn) {
  std::lock_guard lock(mu_);
  const std::string where = "catalog '" + path_.string() + "': reading the audit log";
  static const std::string kTable = "audit_log";
  Status callback_error;
  // Rows stream through `fn` one at a time: memory stays flat whatever the
  // log's length. A read transaction makes the walk one consistent view.
  Status st = db_->Query("SELECT seq, alg, content, hash FROM audit_log ORDER BY seq", [&](RowView row) {
    RowReader r(row, kTable);
    AuditRow a{r.Int(0, "seq"), r.Text(1), r.Text(2), r.Text(3)};
    if (!r.status().ok()) return r.status();
    callback_error = fn(a);
    return callback_error;
  });
  if (!callback_error.ok()) return callback_error;
  if (!st.ok()) return Prefixed(st, where, &path_);
  return Status::Ok();
}

Result<std::vector<RehearsalRecord>> Catalog::ListRehearsals(const std::string& target) {
  std::lock_guard lock(mu_);
  const std::string where = "catalog '" + path_.string() + "': listing rehearsals" +
                            (target.empty() ? std::string() : " of target '" + target + "'");
  Sql q(*db_, where);
  q.Raw("SELECT ").Raw(kRehearsalColumns).Raw(" FROM rehearsals");
  if (!target.empty()) q.Raw(" WHERE target = ").Free(target);
  q.Raw("\nORDER BY started_at, seq");
  auto sql = q.sql();
  if (!sql.ok()) return sql.status();
  std::vector<RehearsalRecord> out;
  static const std::string kTable = "rehearsals";
  Status st = db_->Query(*sql, [&](RowView row) {
    RowReader r(row, kTable);
    RehearsalRecord h = ReadRehearsal(r);
    if (!r.status().ok()) return r.status();
    out.push_back(std::move(h));
    return Status::Ok();
  });
  if (!st.ok()) return Prefixed(st, where, &path_);
  return out;
}

// ---------------------------------------------------------------------------
// Retention

std::vector<std::string> SnapshotsToPrune(const std::vector<SnapshotSummary>& snapshots,
                                          const RetentionPolicy& policy, const std::string& now_iso) {
  if (!policy.keep_last && !policy.keep_within_seconds) return {};
  std::optional<std::int64_t> now;
  if (auto parsed = ParseIso8601(now_iso); parsed.ok()) now = *parsed;
  if (policy.keep_within_seconds && !now) return {};  // cannot tell ages: prune nothing

  struct Entry {
    const SnapshotSummary* summary;
    std::optional<std::int64_t> time;
  };
  // Newest first. Undatable snapshots sort first; they are always kept and
  // take no keep_last slot: doubt keeps more, never less.
  auto newer = [](const Entry& a, const Entry& b) {
    const std::int64_t ta = a.time.value_or(std::numeric_limits<std::int64_t>::max());
    const std::int64_t tb = b.time.value_or(std::numeric_limits<std::int64_t>::max());
    if (ta != tb) return ta > tb;
    return a.summary->snapshot.id > b.summary->snapshot.id;
  };

  std::map<std::string, std::vector<Entry>> by_target;
  for (const SnapshotSummary& s : snapshots) {
    if (s.snapshot.deleted) continue;
    by_target[s.snapshot.target].push_back(Entry{&s, SnapshotTime(s.snapshot)});
  }

  std::vector<Entry> prune;
  const std::int64_t keep_last = std::max(0, policy.keep_last.value_or(0));
  for (auto& [target, entries] : by_target) {
    std::sort(entries.begin(), entries.end(), newer);
    const SnapshotSummary* restorable = nullptr;
    for (const Entry& e : entries) {
      if (e.summary->last_restore_test && e.summary->last_restore_test->ok) {
        restorable = e.summary;
        break;
      }
    }
    std::int64_t rank = 0;  // among the datable snapshots, newest first
    for (const Entry& e : entries) {
      if (!e.time) continue;
      const bool within_last = rank++ < keep_last;
      if (e.summary == restorable) continue;
      if (policy.keep_last && within_last) continue;
      if (policy.keep_within_seconds) {
        // Subtraction cannot overflow for times ParseIso8601 accepts.
        const std::int64_t age = *now - *e.time;
        if (age < *policy.keep_within_seconds) continue;
      }
      prune.push_back(e);
    }
  }
  std::sort(prune.begin(), prune.end(), [&](const Entry& a, const Entry& b) { return newer(b, a); });
  std::vector<std::string> ids;
  ids.reserve(prune.size());
  for (const Entry& e : prune) ids.push_back(e.summary->snapshot.id);
  return ids;
}

std::string FormatIso8601(std::int64_t epoch_seconds) {
  std::int64_t days = epoch_seconds / 86400;
  std::int64_t secs = epoch_seconds % 86400;
  if (secs < 0) {
    secs += 86400;
    days -= 1;
  }
  // civil_from_days (H. Hinnant).
  const std::int64_t z = days + 719468;
  const std::int64_t era = (z >= 0 ? z : z - 146096) / 146097;
  const auto doe = static_cast<unsigned>(z - era * 146097);
  const unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  const unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const unsigned mp = (5 * doy + 2) / 153;
  const unsigned d = doy - (153 * mp + 2) / 5 + 1;
  const unsigned m = mp < 10 ? mp + 3 : mp - 9;
  std::int64_t y = static_cast<std::int64_t>(yoe) + era * 400 + (m <= 2 ? 1 : 0);
  y = std::clamp<std::int64_t>(y, 0, 9999);
  char buf[32];
  std::snprintf(buf, sizeof buf, "%04lld-%02u-%02uT%02lld:%02lld:%02lldZ", static_cast<long long>(y), m, d,
                static_cast<long long>(secs / 3600), static_cast<long long>(secs / 60 % 60),
                static_cast<long long>(secs % 60));
  return buf;
}

std::string NowIso8601() {
  const auto now = std::chrono::system_clock::now();
  return FormatIso8601(std::chrono::duration_cast<std::chrono::seconds>(now.time_since_epoch()).count());
}

Result<std::int64_t> ParseIso8601(std::string_view text) {
  auto invalid = [&](const char* why) {
    return Status::InvalidInput("'" + std::string(text.substr(0, 64)) + "' is not an ISO 8601 time (" + why +
                                "); expected e.g. 2026-11-21T10:15:00Z");
  };
  std::size_t pos = 0;
  // Reads exactly `n` digits.
  auto number = [&](std::size_t n, int* out) {
    if (pos + n > text.size()) return false;
    int v = 0;
    for (std::size_t i = 0; i < n; ++i) {
      char c = text[pos + i];
      if (!IsDigit(c)) return false;
      v = v * 10 + (c - '0');
    }
    pos += n;
    *out = v;
    return true;
  };
  auto literal = [&](char c) {
    if (pos >= text.size() || text[pos] != c) return false;
    ++pos;
    return true;
  };
  int year = 0, month = 0, day = 0, hour = 0, minute = 0, second = 0;
  if (!number(4, &year) || !literal('-') || !number(2, &month) || !literal('-') || !number(2, &day)) {
    return invalid("the date must be YYYY-MM-DD");
  }
  if (!literal('T') || !number(2, &hour) || !literal(':') || !number(2, &minute) || !literal(':') ||
      !number(2, &second)) {
    return invalid("the time must be THH:MM:SS");
  }
  if (month < 1 || month > 12) return invalid("month out of range");
  if (day < 1 || static_cast<unsigned>(day) > DaysInMonth(year, static_cast<unsigned>(month))) {
    return invalid("day out of range");
  }
  if (hour > 23 || minute > 59 || second > 59) return invalid("time of day out of range");
  if (literal('.')) {
    const std::size_t start = pos;
    while (pos < text.size() && IsDigit(text[pos])) ++pos;
    if (pos == start) return invalid("fractional seconds need digits");
  }
  std::int64_t offset = 0;
  if (literal('Z')) {
  } else if (pos < text.size() && (text[pos] == '+' || text[pos] == '-')) {
    const bool negative = text[pos] == '-';
    ++pos;
    int oh = 0, om = 0;
    if (!number(2, &oh) || !literal(':') || !number(2, &om) || oh > 23 || om > 59) {
      return invalid("the offset must be +HH:MM or -HH:MM");
    }
    offset = (oh * 3600 + om * 60) * (negative ? -1 : 1);
  } else {
    return invalid("a time zone, Z or +HH:MM, must follow the time");
  }
  if (pos != text.size()) return invalid("unexpected text after the time");
  const std::int64_t days = DaysFromCivil(year, static_cast<unsigned>(month), static_cast<unsigned>(day));
  const std::int64_t t = days * 86400 + hour * 3600 + minute * 60 + second - offset;
  // An offset can push year 0000 or 9999 out of the range FormatIso8601 writes.
  if (t < DaysFromCivil(0, 1, 1) * 86400 || t >= DaysFromCivil(10000, 1, 1) * 86400) {
    return invalid("outside the years 0000-9999 in UTC");
  }
  return t;
}

}  // namespace cutover
