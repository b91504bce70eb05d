// Tests of the repository catalog on a real SQLite file through the real
// SQLite driver plugin, and of the pure retention and time helpers.
#include "catalog/catalog.h"

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <cmath>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <limits>
#include <random>
#include <sstream>
#include <thread>

#include "support/test_env.h"

namespace cutover {
namespace {

namespace fs = std::filesystem;

// A fresh directory under the temp dir (the repository goes inside it),
// removed at the end.
class TempDir {
 public:
  TempDir() : path_(fs::temp_directory_path() / testing::UniqueName("cutover-catalog-test-")) {
    fs::create_directories(path_);
  }
  ~TempDir() {
    std::error_code ec;
    fs::remove_all(path_, ec);
  }
  const fs::path& path() const { return path_; }

 private:
  fs::path path_;
};

unsigned Mode(const fs::path& p) {
  struct stat st {};
  if (::stat(p.c_str(), &st) != 0) return 0xffff;
  return st.st_mode & 07777;
}

std::unique_ptr<Catalog> OpenOrDie(const fs::path& repo) {
  auto c = Catalog::Open(testing::TestLoader(), repo);
  if (!c.ok()) {
    ADD_FAILURE() << c.status().ToString();
    return nullptr;
  }
  return std::move(c).value();
}

// A direct connection to a catalog file, to inspect or tamper with it.
std::unique_ptr<Connection> RawConnect(const fs::path& file) {
  Driver* driver = testing::TestDriver("sqlite");
  if (driver == nullptr) return nullptr;
  auto uri = ConnectionUri::Parse("sqlite:///x.db");
  auto conn = driver->Connect(uri->WithDatabase(file.string()));
  if (!conn.ok()) {
    ADD_FAILURE() << conn.status().ToString();
    return nullptr;
  }
  return std::move(conn).value();
}

std::string QueryText(Connection& db, const std::string& sql) {
  std::string out;
  Status st = db.Query(sql, [&](RowView row) {
    out = row.empty() ? "" : std::string(row[0].data);
    return Status::Ok();
  });
  EXPECT_TRUE(st.ok()) << st.ToString();
  return out;
}

SnapshotRecord Snap(const std::string& id, const std::string& started, const std::string& target = "prod") {
  SnapshotRecord s;
  s.id = id;
  s.target = target;
  s.engine = "postgresql";
  s.source = "postgresql://app@db/shop";
  s.started_at = started;
  s.finished_at = started;
  s.tables = 12;
  s.rows = 3456789;
  s.raw_bytes = 1LL << 40;
  s.stored_bytes = 123456789;
  s.fingerprint = "sha256:abc";
  s.manifest_sha256 = "def";
  return s;
}

void ExpectSameSnapshot(const SnapshotRecord& a, const SnapshotRecord& b) {
  EXPECT_EQ(a.id, b.id);
  EXPECT_EQ(a.target, b.target);
  EXPECT_EQ(a.engine, b.engine);
  EXPECT_EQ(a.source, b.source);
  EXPECT_EQ(a.started_at, b.started_at);
  EXPECT_EQ(a.finished_at, b.finished_at);
  EXPECT_EQ(a.tables, b.tables);
  EXPECT_EQ(a.rows, b.rows);
  EXPECT_EQ(a.raw_bytes, b.raw_bytes);
  EXPECT_EQ(a.stored_bytes, b.stored_bytes);
  EXPECT_EQ(a.fingerprint, b.fingerprint);
  EXPECT_EQ(a.manifest_sha256, b.manifest_sha256);
  EXPECT_EQ(a.deleted, b.deleted);
}

BaseCopyRecord Base(const std::string& name, const std::string& snapshot_id, const std::string& created,
                    const std::string& target = "prod") {
  return BaseCopyRecord{"postgresql", "postgresql://cutover:***@scratch:5432/postgres",
                        name,         snapshot_id,
                        target,       "sha256:fp-" + snapshot_id,
                        created,      12.5};
}

void ExpectSameBaseCopy(const BaseCopyRecord& a, const BaseCopyRecord& b) {
  EXPECT_EQ(a.engine, b.engine);
  EXPECT_EQ(a.server, b.server);
  EXPECT_EQ(a.name, b.name);
  EXPECT_EQ(a.snapshot_id, b.snapshot_id);
  EXPECT_EQ(a.target, b.target);
  EXPECT_EQ(a.fingerprint, b.fingerprint);
  EXPECT_EQ(a.created_at, b.created_at);
  EXPECT_EQ(a.restore_seconds, b.restore_seconds);
}

RehearsalRecord Rehearsal(const std::string& id, const std::string& target, const std::string& started,
                          const std::string& plan = "sha256:plan1", bool ok = true) {
  RehearsalRecord h;
  h.id = id;
  h.target = target;
  h.engine = "postgresql";
  h.snapshot_id = "s1";
  h.snapshot_fingerprint = "sha256:snap";
  h.live_fingerprint = "sha256:live";
  h.plan_sha256 = plan;
  h.phases = "expand,backfill,contract";
  h.to = "";
  h.started_at = started;
  h.finished_at = started;
  h.ok = ok;
  h.tool_version = "0.1.0";
  h.summary = "3 phases, 7 statements, longest lock wait 12 ms";
  h.report_json = R"({"format":"cutover.rehearse","ok":true})";
  return h;
}

void ExpectSameRehearsal(const RehearsalRecord& a, const RehearsalRecord& b) {
  EXPECT_EQ(a.id, b.id);
  EXPECT_EQ(a.target, b.target);
  EXPECT_EQ(a.engine, b.engine);
  EXPECT_EQ(a.snapshot_id, b.snapshot_id);
  EXPECT_EQ(a.snapshot_fingerprint, b.snapshot_fingerprint);
  EXPECT_EQ(a.live_fingerprint, b.live_fingerprint);
  EXPECT_EQ(a.plan_sha256, b.plan_sha256);
  EXPECT_EQ(a.phases, b.phases);
  EXPECT_EQ(a.to, b.to);
  EXPECT_EQ(a.started_at, b.started_at);
  EXPECT_EQ(a.finished_at, b.finished_at);
  EXPECT_EQ(a.ok, b.ok);
  EXPECT_EQ(a.tool_version, b.tool_version);
  EXPECT_EQ(a.summary, b.summary);
  EXPECT_EQ(a.report_json, b.report_json);
}

// Strings that break naive SQL building, quoting, line handling or encoding.
const std::vector<std::string>& HostileStrings() {
  static const std::vector<std::string> values = {
      "it's",
      "''",
      "'); DROP TABLE snapshots; --",
      "\"double\" `back` [bracket]",
      "back\\slash\\",
      "line one\nline two\r\nline three",
      "tab\there",
      "Ωmega – Zürich – 東京 – 🚀",
      "select",
      "%s %n %x {} ${x} $1 ?",
      " leading and trailing spaces ",
      std::string(100000, 'x') + "'",
      "\xff\xfe not utf-8 \xc3",
  };
  return values;
}

// ---------------------------------------------------------------------------
// Files, modes, schema versions

// Every byte of the files directly in `dir` (the catalog and its journal),
// to search for secrets.
std::string BytesOfFilesIn(const fs::path& dir) {
  std::string bytes;
  for (const auto& entry : fs::directory_iterator(dir)) {
    std::ifstream in(entry.path(), std::ios::binary);
    bytes += std::string(std::istreambuf_iterator<char>(in), {});
  }
  return bytes;
}

TEST(Catalog, CreatesPrivateRepositoryAndFilesWhateverTheUmask) {
  TempDir tmp;
  const fs::path repo = tmp.path() / "nested" / "repo";
  const mode_t old_umask = ::umask(0);  // the modes must not depend on it
  auto catalog = Catalog::Open(testing::TestLoader(), repo);
  ::umask(old_umask);
  ASSERT_TRUE(catalog.ok()) << catalog.status().ToString();
  EXPECT_EQ((*catalog)->path(), fs::absolute(repo) / "catalog.db");
  EXPECT_EQ(Mode(repo), 0700u);
  EXPECT_EQ(Mode(repo / "catalog.db"), 0600u);
  ASSERT_TRUE((*catalog)->RecordSnapshot(Snap("s1", "2026-01-01T00:00:00Z")).ok());
  // While the catalog is open, SQLite's side files exist; they are private too.
  int side_files = 0;
  for (const char* suffix : {"-wal", "-shm", "-journal"}) {
    fs::path side = repo / (std::string("catalog.db") + suffix);
    if (!fs::exists(side)) continue;
    ++side_files;
    EXPECT_EQ(Mode(side), 0600u) << side;
  }
  EXPECT_GE(side_files, 1);
  EXPECT_TRUE(fs::exists(repo / "catalog.db-wal")) << "the catalog runs in WAL mode";
}

TEST(Catalog, RepositoryThatIsAFileIsRefused) {
  TempDir tmp;
  const fs::path repo = tmp.path() / "repo";
  std::ofstream(repo) << "not a directory";
  auto catalog = Catalog::Open(testing::TestLoader(), repo);
  ASSERT_FALSE(catalog.ok());
  EXPECT_EQ(catalog.status().code(), StatusCode::kInvalidInput);
  EXPECT_NE(catalog.status().message().find(repo.string()), std::string::npos) << catalog.status().message();
}

// The catalog's own file operations go through the Env it is given: a
// failure there is kIo naming the repository, and nothing is created.
class RefusingEnv : public EnvWrapper {
 public:
  explicit RefusingEnv(std::string refuse) : EnvWrapper(Env::Default()), refuse_(std::move(refuse)) {}
  Result<bool> CreateDir(const fs::path& path) override {
    if (refuse_ == "mkdir") return Status::Io("injected: mkdir failed: No space left on device");
    return target().CreateDir(path);
  }
  Result<std::unique_ptr<WritableFile>> NewWritableFile(const fs::path& path) override {
    if (refuse_ == "create") return Status::Io("injected: create failed: No space left on device");
    return target().NewWritableFile(path);
  }

 private:
  std::string refuse_;
};

TEST(Catalog, FileSystemFailuresThroughTheEnvAreIoErrorsNamingTheRepository) {
  TempDir tmp;
  const fs::path repo = tmp.path() / "repo";
  RefusingEnv no_mkdir("mkdir");
  auto refused = Catalog::Open(testing::TestLoader(), repo, no_mkdir);
  EXPECT_EQ(refused.status().code(), StatusCode::kIo) << refused.status().ToString();
  EXPECT_NE(refused.status().message().find(repo.string()), std::string::npos) << refused.status().message();
  EXPECT_NE(refused.status().message().find("injected"), std::string::npos) << refused.status().message();
  EXPECT_FALSE(fs::exists(repo));

  RefusingEnv no_create("create");
  refused = Catalog::Open(testing::TestLoader(), repo, no_create);
  EXPECT_EQ(refused.status().code(), StatusCode::kIo) << refused.status().ToString();
  EXPECT_NE(refused.status().message().find((repo / "catalog.db").string()), std::string::npos)
      << refused.status().message();
  EXPECT_FALSE(fs::exists(repo / "catalog.db"));

  EXPECT_TRUE(Catalog::Open(testing::TestLoader(), repo, Env::Default()).ok());
}

TEST(Catalog, EmptyRepositoryPathIsRefused) {
  auto catalog = Catalog::Open(testing::TestLoader(), fs::path());
  ASSERT_FALSE(catalog.ok());
  EXPECT_EQ(catalog.status().code(), StatusCode::kInvalidInput);
}

TEST(Catalog, SchemaIsVersionedAndReopeningKeepsTheData) {
  TempDir tmp;
  const fs::path repo = tmp.path() / "repo";
  {
    auto catalog = OpenOrDie(repo);
    ASSERT_NE(catalog, nullptr);
    ASSERT_TRUE(catalog->RecordSnapshot(Snap("s1", "2026-01-01T00:00:00Z")).ok());
  }
  {
    auto raw = RawConnect(repo / "catalog.db");
    ASSERT_NE(raw, nullptr);
    EXPECT_EQ(QueryText(*raw, "PRAGMA user_version"), "3");
    EXPECT_EQ(QueryText(*raw, "PRAGMA application_id"), std::to_string(0x43555456));
    EXPECT_EQ(QueryText(*raw, "PRAGMA journal_mode"), "wal");
    for (const char* table : {"snapshots", "verifications", "restore_tests", "scratch_databases",
                              "base_copies", "rehearsals", "audit_log"}) {
      EXPECT_EQ(QueryText(*raw, std::string(
                                    "SELECT count(*) FROM sqlite_schema WHERE type = 'table' AND name = '") +
                                    table + "'"),
                "1")
          << table;
    }
  }
  auto again = OpenOrDie(repo);
  ASSERT_NE(again, nullptr);
  auto found = again->FindSnapshot("s1");
  ASSERT_TRUE(found.ok()) << found.status().ToString();
  ASSERT_TRUE(found->has_value());
  ExpectSameSnapshot(**found, Snap("s1", "2026-01-01T00:00:00Z"));
}

TEST(Catalog, CatalogFromANewerCutoverIsRefusedNotDowngraded) {
  TempDir tmp;
  const fs::path repo = tmp.path() / "repo";
  { ASSERT_NE(OpenOrDie(repo), nullptr); }
  {
    auto raw = RawConnect(repo / "catalog.db");
    ASSERT_NE(raw, nullptr);
    ASSERT_TRUE(raw->ExecuteScript("PRAGMA user_version = 99").ok());
  }
  auto catalog = Catalog::Open(testing::TestLoader(), repo);
  ASSERT_FALSE(catalog.ok());
  EXPECT_EQ(catalog.status().code(), StatusCode::kUnsupported);
  const std::string msg = catalog.status().message();
  EXPECT_NE(msg.find("catalog was written by a newer cutover"), std::string::npos) << msg;
  EXPECT_NE(msg.find("99"), std::string::npos) << msg;
  EXPECT_NE(msg.find((repo / "catalog.db").string()), std::string::npos) << msg;
  auto raw = RawConnect(repo / "catalog.db");
  ASSERT_NE(raw, nullptr);
  EXPECT_EQ(QueryText(*raw, "PRAGMA user_version"), "99") << "a newer catalog is never touched";
}

TEST(Catalog, AnotherApplicationsDatabaseIsNotTakenOver) {
  TempDir tmp;
  const fs::path repo = tmp.path() / "repo";
  fs::create_directories(repo);
  std::ofstream(repo / "catalog.db").close();  // an empty file is an empty SQLite database
  {
    auto raw = RawConnect(repo / "catalog.db");
    ASSERT_NE(raw, nullptr);
    ASSERT_TRUE(raw->ExecuteScript("CREATE TABLE customers (id INTEGER PRIMARY KEY)").ok());
  }
  auto catalog = Catalog::Open(testing::TestLoader(), repo);
  ASSERT_FALSE(catalog.ok());
  EXPECT_EQ(catalog.status().code(), StatusCode::kInvalidInput);
  EXPECT_NE(catalog.status().message().find("not a cutover catalog"), std::string::npos)
      << catalog.status().message();

  {
    auto raw = RawConnect(repo / "catalog.db");
    ASSERT_NE(raw, nullptr);
    ASSERT_TRUE(raw->ExecuteScript("DROP TABLE customers; PRAGMA application_id = 12345").ok());
  }
  catalog = Catalog::Open(testing::TestLoader(), repo);
  ASSERT_FALSE(catalog.ok());
  EXPECT_EQ(catalog.status().code(), StatusCode::kInvalidInput);
  EXPECT_NE(catalog.status().message().find("another application"), std::string::npos)
      << catalog.status().message();
}

// Every way a catalog file can be unreadable ends in a clear error that
// names the file and says what to do; none crashes.
TEST(Catalog, DamagedCatalogFileIsAClearErrorNeverACrash) {
  std::mt19937 rng(42);
  struct Case {
    std::string name;
    std::function<void(const fs::path& file)> damage;
  };
  auto garbage = [&](std::size_t n) {
    std::string bytes(n, '\0');
    for (char& c : bytes) c = static_cast<char>(rng() & 0xff);
    return bytes;
  };
  std::vector<Case> cases = {
      {"random bytes", [&](const fs::path& f) { std::ofstream(f, std::ios::binary) << garbage(8192); }},
      {"text file", [&](const fs::path& f) { std::ofstream(f) << "this is not a database\n"; }},
      {"truncated header", [&](const fs::path& f) { fs::resize_file(f, 50); }},
      {"header intact, pages garbage",
       [&](const fs::path& f) {
         const auto size = fs::file_size(f);
         std::fstream out(f, std::ios::binary | std::ios::in | std::ios::out);
         out.seekp(100);
         out << garbage(size - 100);
       }},
      {"pages after the first garbage",
       [&](const fs::path& f) {
         const auto size = fs::file_size(f);
         std::fstream out(f, std::ios::binary | std::ios::in | std::ios::out);
         out.seekp(4096);
         out << garbage(size - 4096);
       }},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    TempDir tmp;
    const fs::path repo = tmp.path() / "repo";
    const fs::path file = repo / "catalog.db";
    {
      auto catalog = OpenOrDie(repo);
      ASSERT_NE(catalog, nullptr);
      for (int i = 0; i < 50; ++i) {
        ASSERT_TRUE(catalog->RecordSnapshot(Snap("s" + std::to_string(i), "2026-01-01T00:00:00Z")).ok());
      }
    }  // last connection closed: the WAL is checkpointed into the file and removed
    ASSERT_FALSE(fs::exists(repo / "catalog.db-wal"));
    c.damage(file);

    Status failure;
    auto catalog = Catalog::Open(testing::TestLoader(), repo);
    if (!catalog.ok()) {
      failure = catalog.status();
    } else {
      // Damage SQLite only meets when it reads the pages.
      auto list = (*catalog)->ListSnapshots();
      failure = list.ok() ? Status::Ok() : list.status();
      if (failure.ok()) {
        auto found = (*catalog)->FindSnapshot("s7");
        failure = found.ok() ? Status::Ok() : found.status();
      }
    }
    ASSERT_FALSE(failure.ok()) << "damage went unnoticed";
    EXPECT_TRUE(failure.code() == StatusCode::kInvalidInput || failure.code() == StatusCode::kIo)
        << failure.ToString();
    EXPECT_NE(failure.message().find(file.string()), std::string::npos) << failure.message();
    EXPECT_NE(failure.message().find("move it aside"), std::string::npos) << failure.message();
  }
}

TEST(Catalog, DirectoryInPlaceOfTheCatalogFileIsRefused) {
  TempDir tmp;
  const fs::path repo = tmp.path() / "repo";
  fs::create_directories(repo / "catalog.db");
  auto catalog = Catalog::Open(testing::TestLoader(), repo);
  ASSERT_FALSE(catalog.ok());
  EXPECT_EQ(catalog.status().code(), StatusCode::kInvalidInput) << catalog.status().ToString();
  EXPECT_NE(catalog.status().message().find("catalog.db"), std::string::npos) << catalog.status().message();
}

// ---------------------------------------------------------------------------
// Records

TEST(Catalog, HostileStringsRoundTripUnchanged) {
  TempDir tmp;
  auto catalog = OpenOrDie(tmp.path() / "repo with spaces 'quoted' Ω");
  ASSERT_NE(catalog, nullptr);
  int n = 0;
  for (const std::string& value : HostileStrings()) {
    SCOPED_TRACE(value.substr(0, 60));
    const std::string id = value + "#" + std::to_string(n++);
    SnapshotRecord snap = Snap(id, "2026-03-01T12:00:00Z", value);
    snap.engine = value;
    snap.source = value;
    snap.fingerprint = value;
    snap.manifest_sha256 = value;
    ASSERT_TRUE(catalog->RecordSnapshot(snap).ok());
    auto found = catalog->FindSnapshot(id);
    ASSERT_TRUE(found.ok()) << found.status().ToString();
    ASSERT_TRUE(found->has_value());
    ExpectSameSnapshot(**found, snap);

    VerificationRecord v{id, "2026-03-01T12:05:00Z", true, false, value, 1.25};
    ASSERT_TRUE(catalog->RecordVerification(v).ok());
    RestoreTestRecord t{id, value, "2026-03-01T12:10:00Z", true, value, 2.5, 7.75, 42, 4096, value};
    ASSERT_TRUE(catalog->RecordRestoreTest(t).ok());
    auto last = catalog->LastSuccessfulRestoreTest(value);
    ASSERT_TRUE(last.ok()) << last.status().ToString();
    ASSERT_TRUE(last->has_value());
    EXPECT_EQ((*last)->snapshot_id, id);
    EXPECT_EQ((*last)->target, value);
    EXPECT_EQ((*last)->detail, value);
    EXPECT_EQ((*last)->scratch_database, value);

    ScratchRecord s{value, value, value, value, 4242, "2026-03-01T12:00:00Z", value};
    ASSERT_TRUE(catalog->RegisterScratch(s).ok());
    auto scratch = catalog->ListScratch();
    ASSERT_TRUE(scratch.ok()) << scratch.status().ToString();
    ASSERT_EQ(scratch->size(), 1u);
    EXPECT_EQ(scratch->front().name, value);
    EXPECT_EQ(scratch->front().engine, value);
    EXPECT_EQ(scratch->front().server, value);
    EXPECT_EQ(scratch->front().host, value);
    EXPECT_EQ(scratch->front().purpose, value);
    EXPECT_EQ(scratch->front().pid, 4242);
    ASSERT_TRUE(catalog->ForgetScratch(value, value).ok());

    BaseCopyRecord b{value, value, value, id, value, value, "2026-03-01T12:00:00Z", 3.5};
    ASSERT_TRUE(catalog->RecordBaseCopy(b).ok());
    auto copy = catalog->FindBaseCopy(value, value, id);
    ASSERT_TRUE(copy.ok()) << copy.status().ToString();
    ASSERT_TRUE(copy->has_value());
    ExpectSameBaseCopy(**copy, b);
    ASSERT_TRUE(catalog->ForgetBaseCopy(value, value, value).ok());

    RehearsalRecord h = Rehearsal(id, value, "2026-03-01T12:00:00Z", value);
    h.engine = h.snapshot_id = h.snapshot_fingerprint = h.live_fingerprint = h.phases = h.to = value;
    h.tool_version = h.summary = h.report_json = value;
    ASSERT_TRUE(catalog->RecordRehearsal(h).ok());
    auto latest = catalog->LatestRehearsal(value, value);
    ASSERT_TRUE(latest.ok()) << latest.status().ToString();
    ASSERT_TRUE(latest->has_value());
    ExpectSameRehearsal(**latest, h);
  }
  auto copies = catalog->ListBaseCopies();
  ASSERT_TRUE(copies.ok());
  EXPECT_TRUE(copies->empty());
  auto rehearsals = catalog->ListRehearsals("");
  ASSERT_TRUE(rehearsals.ok()) << rehearsals.status().ToString();
  EXPECT_EQ(rehearsals->size(), HostileStrings().size());
  auto list = catalog->ListSnapshots();
  ASSERT_TRUE(list.ok()) << list.status().ToString();
  ASSERT_EQ(list->size(), HostileStrings().size());
  for (const SnapshotSummary& s : *list) {
    ASSERT_TRUE(s.last_verification.has_value());
    EXPECT_EQ(s.last_verification->detail, s.snapshot.target);
    EXPECT_TRUE(s.last_verification->deep);
    EXPECT_FALSE(s.last_verification->ok);
    EXPECT_EQ(s.last_verification->seconds, 1.25);
    ASSERT_TRUE(s.last_restore_test.has_value());
    EXPECT_EQ(s.last_restore_test->detail, s.snapshot.target);
    EXPECT_EQ(s.last_restore_test->restore_seconds, 2.5);
    EXPECT_EQ(s.last_restore_test->total_seconds, 7.75);
    EXPECT_EQ(s.last_restore_test->rows, 42);
    EXPECT_EQ(s.last_restore_test->bytes, 4096);
  }
  // Every table is still there: nothing was executed as SQL.
  auto raw = RawConnect(catalog->path());
  ASSERT_NE(raw, nullptr);
  EXPECT_EQ(QueryText(*raw, "SELECT count(*) FROM sqlite_schema WHERE type = 'table'"), "7");
}

TEST(Catalog, NumbersRoundTripAtTheirLimits) {
  TempDir tmp;
  auto catalog = OpenOrDie(tmp.path() / "repo");
  ASSERT_NE(catalog, nullptr);
  SnapshotRecord snap = Snap("limits", "2026-01-01T00:00:00Z");
  snap.tables = 0;
  snap.rows = std::numeric_limits<std::int64_t>::max();
  snap.raw_bytes = std::numeric_limits<std::int64_t>::min();
  snap.stored_bytes = -1;
  ASSERT_TRUE(catalog->RecordSnapshot(snap).ok());
  auto found = catalog->FindSnapshot("limits");
  ASSERT_TRUE(found.ok() && found->has_value());
  ExpectSameSnapshot(**found, snap);
  for (double seconds : {0.0, 0.1, 1e-9, 123456.789, 2.0, 1e300, -3.5}) {
    SCOPED_TRACE(seconds);
    ASSERT_TRUE(catalog
                    ->RecordRestoreTest(
                        {"limits", "prod", "2026-01-02T00:00:00Z", true, "", seconds, seconds, 0, 0, ""})
                    .ok());
    auto last = catalog->LastSuccessfulRestoreTest("prod");
    ASSERT_TRUE(last.ok() && last->has_value());
    EXPECT_EQ((*last)->restore_seconds, seconds);  // exact: the shortest round-trip form is stored
  }
}

TEST(Catalog, InvalidValuesAreRefusedAndWriteNothing) {
  TempDir tmp;
  auto catalog = OpenOrDie(tmp.path() / "repo");
  ASSERT_NE(catalog, nullptr);
  struct Case {
    std::string name;
    Status status;
    std::string needle;
  };
  SnapshotRecord no_id = Snap("", "2026-01-01T00:00:00Z");
  SnapshotRecord bad_time = Snap("s", "yesterday");
  SnapshotRecord no_time = Snap("s", "");
  SnapshotRecord nul = Snap("s", "2026-01-01T00:00:00Z");
  nul.target = std::string("a\0b", 3);
  std::vector<Case> cases = {
      {"empty snapshot id", catalog->RecordSnapshot(no_id), "snapshot id is empty"},
      {"unparsable started_at", catalog->RecordSnapshot(bad_time), "started_at"},
      {"missing started_at", catalog->RecordSnapshot(no_time), "started_at"},
      {"NUL byte in a value", catalog->RecordSnapshot(nul), "NUL"},
      {"NaN seconds",
       catalog->RecordVerification({"s", "2026-01-01T00:00:00Z", false, true, "", std::nan("")}),
       "seconds is not a finite number"},
      {"infinite restore time",
       catalog->RecordRestoreTest({"s", "prod", "2026-01-01T00:00:00Z", true, "",
                                   std::numeric_limits<double>::infinity(), 1, 0, 0, ""}),
       "restore_seconds"},
      {"bad verification time",
       catalog->RecordVerification({"s", "2026-02-30T00:00:00Z", false, true, "", 1}), "day out of range"},
      {"empty scratch name",
       catalog->RegisterScratch({"", "sqlite", "/tmp", "h", 1, "2026-01-01T00:00:00Z", ""}),
       "scratch database name is empty"},
      {"empty engine", catalog->ForgetScratch("", "x"), "engine is empty"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    ASSERT_FALSE(c.status.ok());
    EXPECT_EQ(c.status.code(), StatusCode::kInvalidInput) << c.status.ToString();
    EXPECT_NE(c.status.message().find(c.needle), std::string::npos) << c.status.message();
    EXPECT_NE(c.status.message().find(catalog->path().string()), std::string::npos) << c.status.message();
  }
  auto list = catalog->ListSnapshots();
  ASSERT_TRUE(list.ok());
  EXPECT_TRUE(list->empty());
  auto raw = RawConnect(catalog->path());
  ASSERT_NE(raw, nullptr);
  EXPECT_EQ(QueryText(*raw, "SELECT count(*) FROM verifications"), "0");
  EXPECT_EQ(QueryText(*raw, "SELECT count(*) FROM restore_tests"), "0");
  EXPECT_EQ(QueryText(*raw, "SELECT count(*) FROM scratch_databases"), "0");
}

TEST(Catalog, TimesAreStoredInCanonicalUtcForm) {
  TempDir tmp;
  auto catalog = OpenOrDie(tmp.path() / "repo");
  ASSERT_NE(catalog, nullptr);
  ASSERT_TRUE(catalog->RecordSnapshot(Snap("s", "2026-01-01T02:30:00.987+02:00")).ok());
  auto found = catalog->FindSnapshot("s");
  ASSERT_TRUE(found.ok() && found->has_value());
  EXPECT_EQ((*found)->started_at, "2026-01-01T00:30:00Z");
}

TEST(Catalog, SecretsNeverReachTheFile) {
  TempDir tmp;
  const fs::path repo = tmp.path() / "repo";
  {
    auto catalog = OpenOrDie(repo);
    ASSERT_NE(catalog, nullptr);
    SnapshotRecord snap = Snap("s", "2026-01-01T00:00:00Z", "postgresql://app:Hunter2Target@db/shop");
    snap.source = "postgresql://app:Hunter2Source@db/shop?sslpassword=Hunter2Param";
    ASSERT_TRUE(catalog->RecordSnapshot(snap).ok());
    ASSERT_TRUE(catalog
                    ->RecordVerification({"s", "2026-01-01T00:00:00Z", false, false,
                                          "connect failed: password=Hunter2Detail host=db", 1})
                    .ok());
    ASSERT_TRUE(
        catalog
            ->RegisterScratch({"cutover_scratch_x", "mysql", "mysql://root:Hunter2Server@scratch/mysql", "h",
                               1, "2026-01-01T00:00:00Z", "restore-test"})
            .ok());
    auto found = catalog->FindSnapshot("s");
    ASSERT_TRUE(found.ok() && found->has_value());
    EXPECT_EQ((*found)->source, "postgresql://app:***@db/shop?sslpassword=***");
    EXPECT_EQ((*found)->target, "postgresql://app:***@db/shop");
    // A redacted target finds the test recorded under the unredacted one.
    ASSERT_TRUE(catalog
                    ->RecordRestoreTest({"s", "postgresql://app:Hunter2Target@db/shop",
                                         "2026-01-01T00:00:00Z", true, "", 1, 1, 0, 0, ""})
                    .ok());
    auto last = catalog->LastSuccessfulRestoreTest("postgresql://app:***@db/shop");
    ASSERT_TRUE(last.ok() && last->has_value());
  }
  const std::string bytes = BytesOfFilesIn(repo);
  ASSERT_FALSE(bytes.empty());
  EXPECT_EQ(bytes.find("Hunter2"), std::string::npos) << "a password reached the catalog files";
}

TEST(Catalog, RecordSnapshotReplacesAndMarkDeletedKeepsHistory) {
  TempDir tmp;
  auto catalog = OpenOrDie(tmp.path() / "repo");
  ASSERT_NE(catalog, nullptr);
  SnapshotRecord snap = Snap("s1", "2026-01-01T00:00:00Z");
  ASSERT_TRUE(catalog->RecordSnapshot(snap).ok());
  ASSERT_TRUE(catalog->RecordVerification({"s1", "2026-01-01T01:00:00Z", false, true, "ok", 1}).ok());
  snap.rows = 7;
  snap.manifest_sha256 = "changed";
  ASSERT_TRUE(catalog->RecordSnapshot(snap).ok());
  auto list = catalog->ListSnapshots();
  ASSERT_TRUE(list.ok());
  ASSERT_EQ(list->size(), 1u);
  ExpectSameSnapshot(list->front().snapshot, snap);
  EXPECT_TRUE(list->front().last_verification.has_value()) << "history survives a replace";

  ASSERT_TRUE(catalog->MarkSnapshotDeleted("s1").ok());
  ASSERT_TRUE(catalog->MarkSnapshotDeleted("s1").ok()) << "marking twice is harmless";
  auto found = catalog->FindSnapshot("s1");
  ASSERT_TRUE(found.ok() && found->has_value());
  EXPECT_TRUE((*found)->deleted);
  list = catalog->ListSnapshots();
  ASSERT_TRUE(list.ok());
  ASSERT_EQ(list->size(), 1u) << "deleted snapshots stay listed";
  EXPECT_TRUE(list->front().snapshot.deleted);

  Status missing = catalog->MarkSnapshotDeleted("nope");
  EXPECT_EQ(missing.code(), StatusCode::kNotFound);
  EXPECT_NE(missing.message().find("'nope'"), std::string::npos) << missing.message();
  auto none = catalog->FindSnapshot("nope");
  ASSERT_TRUE(none.ok());
  EXPECT_FALSE(none->has_value());
}

TEST(Catalog, ListingIsOldestFirstWithTheLatestEvidencePerSnapshot) {
  TempDir tmp;
  auto catalog = OpenOrDie(tmp.path() / "repo");
  ASSERT_NE(catalog, nullptr);
  // Recorded out of order on purpose.
  ASSERT_TRUE(catalog->RecordSnapshot(Snap("c", "2026-01-03T00:00:00Z")).ok());
  ASSERT_TRUE(catalog->RecordSnapshot(Snap("a", "2026-01-01T00:00:00Z")).ok());
  ASSERT_TRUE(catalog->RecordSnapshot(Snap("b", "2026-01-02T00:00:00Z")).ok());
  // a: latest verification is the one with the latest time, not the last inserted.
  ASSERT_TRUE(catalog->RecordVerification({"a", "2026-01-05T00:00:00Z", true, true, "late", 1}).ok());
  ASSERT_TRUE(catalog->RecordVerification({"a", "2026-01-04T00:00:00Z", false, false, "early", 1}).ok());
  // b: two in the same second: the one recorded last wins.
  ASSERT_TRUE(catalog->RecordVerification({"b", "2026-01-04T00:00:00Z", false, true, "first", 1}).ok());
  ASSERT_TRUE(catalog->RecordVerification({"b", "2026-01-04T00:00:00Z", false, false, "second", 1}).ok());
  ASSERT_TRUE(
      catalog->RecordRestoreTest({"a", "prod", "2026-01-06T00:00:00Z", true, "pass", 1, 2, 3, 4, "x"}).ok());
  ASSERT_TRUE(
      catalog->RecordRestoreTest({"a", "prod", "2026-01-07T00:00:00Z", false, "fail", 1, 2, 3, 4, "y"}).ok());

  auto list = catalog->ListSnapshots();
  ASSERT_TRUE(list.ok()) << list.status().ToString();
  ASSERT_EQ(list->size(), 3u);
  EXPECT_EQ((*list)[0].snapshot.id, "a");
  EXPECT_EQ((*list)[1].snapshot.id, "b");
  EXPECT_EQ((*list)[2].snapshot.id, "c");
  ASSERT_TRUE((*list)[0].last_verification.has_value());
  EXPECT_EQ((*list)[0].last_verification->detail, "late");
  ASSERT_TRUE((*list)[0].last_restore_test.has_value());
  EXPECT_EQ((*list)[0].last_restore_test->detail, "fail");
  EXPECT_FALSE((*list)[0].last_restore_test->ok);
  ASSERT_TRUE((*list)[1].last_verification.has_value());
  EXPECT_EQ((*list)[1].last_verification->detail, "second");
  EXPECT_FALSE((*list)[1].last_restore_test.has_value());
  EXPECT_FALSE((*list)[2].last_verification.has_value());
  EXPECT_FALSE((*list)[2].last_restore_test.has_value());
}

TEST(Catalog, LastSuccessfulRestoreTestPerTargetIgnoresFailuresAndPrunedSnapshots) {
  TempDir tmp;
  auto catalog = OpenOrDie(tmp.path() / "repo");
  ASSERT_NE(catalog, nullptr);
  auto last = catalog->LastSuccessfulRestoreTest("");
  ASSERT_TRUE(last.ok());
  EXPECT_FALSE(last->has_value()) << "an empty catalog has none";

  for (const char* id : {"p1", "p2", "p3", "s1"}) {
    ASSERT_TRUE(
        catalog->RecordSnapshot(Snap(id, "2026-01-01T00:00:00Z", id[0] == 'p' ? "prod" : "staging")).ok());
  }
  ASSERT_TRUE(
      catalog->RecordRestoreTest({"p1", "prod", "2026-01-02T00:00:00Z", true, "", 1, 1, 0, 0, ""}).ok());
  ASSERT_TRUE(
      catalog->RecordRestoreTest({"p2", "prod", "2026-01-03T00:00:00Z", true, "", 1, 1, 0, 0, ""}).ok());
  ASSERT_TRUE(
      catalog->RecordRestoreTest({"p3", "prod", "2026-01-04T00:00:00Z", false, "", 1, 1, 0, 0, ""}).ok());
  ASSERT_TRUE(
      catalog->RecordRestoreTest({"s1", "staging", "2026-01-05T00:00:00Z", true, "", 1, 1, 0, 0, ""}).ok());

  last = catalog->LastSuccessfulRestoreTest("prod");
  ASSERT_TRUE(last.ok() && last->has_value());
  EXPECT_EQ((*last)->snapshot_id, "p2") << "the failed p3 test does not count";
  last = catalog->LastSuccessfulRestoreTest("");
  ASSERT_TRUE(last.ok() && last->has_value());
  EXPECT_EQ((*last)->snapshot_id, "s1");
  last = catalog->LastSuccessfulRestoreTest("nobody");
  ASSERT_TRUE(last.ok());
  EXPECT_FALSE(last->has_value());

  ASSERT_TRUE(catalog->MarkSnapshotDeleted("p2").ok());
  last = catalog->LastSuccessfulRestoreTest("prod");
  ASSERT_TRUE(last.ok() && last->has_value());
  EXPECT_EQ((*last)->snapshot_id, "p1") << "a pruned snapshot is no longer a restorable backup";
}

TEST(Catalog, ScratchRegistry) {
  TempDir tmp;
  auto catalog = OpenOrDie(tmp.path() / "repo");
  ASSERT_NE(catalog, nullptr);
  ScratchRecord a{"cutover_scratch_a",    "postgresql",  "postgresql://cutover@scratch/postgres", "host1", 11,
                  "2026-01-01T00:00:01Z", "restore-test"};
  ScratchRecord b{"cutover_scratch_b",    "sqlite", "/tmp/scratch", "host2", 22,
                  "2026-01-01T00:00:00Z", "drift"};
  ASSERT_TRUE(catalog->RegisterScratch(a).ok());
  ASSERT_TRUE(catalog->RegisterScratch(b).ok());
  // The same name on another engine is another database.
  ScratchRecord a_mysql = a;
  a_mysql.engine = "mysql";
  ASSERT_TRUE(catalog->RegisterScratch(a_mysql).ok());

  Status dup = catalog->RegisterScratch(a);
  EXPECT_EQ(dup.code(), StatusCode::kInvalidInput) << dup.ToString();
  EXPECT_NE(dup.message().find("already registered"), std::string::npos) << dup.message();
  EXPECT_NE(dup.message().find("cutover_scratch_a"), std::string::npos) << dup.message();

  auto list = catalog->ListScratch();
  ASSERT_TRUE(list.ok()) << list.status().ToString();
  ASSERT_EQ(list->size(), 3u);
  EXPECT_EQ((*list)[0].name, "cutover_scratch_b");  // oldest first
  EXPECT_EQ((*list)[0].pid, 22);
  EXPECT_EQ((*list)[0].host, "host2");
  EXPECT_EQ((*list)[0].purpose, "drift");
  EXPECT_EQ((*list)[0].created_at, "2026-01-01T00:00:00Z");

  ASSERT_TRUE(catalog->ForgetScratch("postgresql", "cutover_scratch_a").ok());
  ASSERT_TRUE(catalog->ForgetScratch("postgresql", "cutover_scratch_a").ok()) << "forgetting twice succeeds";
  list = catalog->ListScratch();
  ASSERT_TRUE(list.ok());
  ASSERT_EQ(list->size(), 2u);
  for (const auto& s : *list) EXPECT_FALSE(s.engine == "postgresql" && s.name == "cutover_scratch_a");
}

// ---------------------------------------------------------------------------
// Schema step 2: base copies and rehearsals

// A catalog left at version 1 by an older cutover: steps 2 and 3 only add, so
// dropping its tables and resetting user_version recreates that file exactly.
void MakeVersion1Catalog(const fs::path& repo) {
  {
    auto catalog = OpenOrDie(repo);
    ASSERT_NE(catalog, nullptr);
    ASSERT_TRUE(catalog->RecordSnapshot(Snap("old", "2025-06-01T00:00:00Z")).ok());
    ASSERT_TRUE(
        catalog->RecordRestoreTest({"old", "prod", "2025-06-02T00:00:00Z", true, "", 1, 2, 3, 4, "x"}).ok());
    ASSERT_TRUE(catalog
                    ->RegisterScratch({"cutover_scratch_left", "sqlite", "sqlite:///tmp/s", "h", 7,
                                       "2025-06-02T00:00:00Z", "restore-test"})
                    .ok());
  }
  auto raw = RawConnect(repo / "catalog.db");
  ASSERT_NE(raw, nullptr);
  ASSERT_TRUE(
      raw->ExecuteScript(
             "DROP TABLE base_copies; DROP TABLE rehearsals; DROP TABLE audit_log; PRAGMA user_version = 1")
          .ok());
  EXPECT_EQ(QueryText(*raw, "SELECT count(*) FROM sqlite_schema"), "11")
      << "version 1 has 4 tables, 5 indexes and 2 automatic primary-key indexes";
}

TEST(Catalog, Version1CatalogIsMigratedToTheCurrentVersionKeepingItsRows) {
  TempDir tmp;
  const fs::path repo = tmp.path() / "repo";
  MakeVersion1Catalog(repo);
  ASSERT_FALSE(::testing::Test::HasFailure());

  auto catalog = OpenOrDie(repo);
  ASSERT_NE(catalog, nullptr);
  {
    auto raw = RawConnect(repo / "catalog.db");
    ASSERT_NE(raw, nullptr);
    EXPECT_EQ(QueryText(*raw, "PRAGMA user_version"), "3");
  }
  auto found = catalog->FindSnapshot("old");
  ASSERT_TRUE(found.ok() && found->has_value());
  auto last = catalog->LastSuccessfulRestoreTest("prod");
  ASSERT_TRUE(last.ok() && last->has_value());
  EXPECT_EQ((*last)->scratch_database, "x");
  auto scratch = catalog->ListScratch();
  ASSERT_TRUE(scratch.ok());
  ASSERT_EQ(scratch->size(), 1u);
  EXPECT_EQ(scratch->front().name, "cutover_scratch_left");

  ASSERT_TRUE(catalog->RecordBaseCopy(Base("cutover_base_1", "old", "2026-01-01T00:00:00Z")).ok());
  ASSERT_TRUE(catalog->RecordRehearsal(Rehearsal("rh-1", "prod", "2026-01-01T00:00:00Z")).ok());
  auto copies = catalog->ListBaseCopies();
  ASSERT_TRUE(copies.ok());
  EXPECT_EQ(copies->size(), 1u);
  auto rehearsals = catalog->ListRehearsals("prod");
  ASSERT_TRUE(rehearsals.ok());
  EXPECT_EQ(rehearsals->size(), 1u);
}

// Step 3 (the audit log) on a catalog an older cutover left at version 2.
TEST(Catalog, Version2CatalogGainsTheAuditLogKeepingItsRows) {
  TempDir tmp;
  const fs::path repo = tmp.path() / "repo";
  {
    auto catalog = OpenOrDie(repo);
    ASSERT_NE(catalog, nullptr);
    ASSERT_TRUE(catalog->RecordRehearsal(Rehearsal("rh-1", "prod", "2026-01-01T00:00:00Z")).ok());
  }
  {
    auto raw = RawConnect(repo / "catalog.db");
    ASSERT_NE(raw, nullptr);
    ASSERT_TRUE(raw->ExecuteScript("DROP TABLE audit_log; PRAGMA user_version = 2").ok());
  }
  auto catalog = OpenOrDie(repo);
  ASSERT_NE(catalog, nullptr);
  auto raw = RawConnect(repo / "catalog.db");
  ASSERT_NE(raw, nullptr);
  EXPECT_EQ(QueryText(*raw, "PRAGMA user_version"), "3");
  auto rehearsals = catalog->ListRehearsals("prod");
  ASSERT_TRUE(rehearsals.ok());
  EXPECT_EQ(rehearsals->size(), 1u);
  auto head = catalog->AuditHead();
  ASSERT_TRUE(head.ok()) << head.status().ToString();
  EXPECT_FALSE(head->has_value());
  ASSERT_TRUE(catalog
                  ->AppendAudit([](const std::optional<AuditRow>& h) -> Result<AuditRow> {
                    EXPECT_FALSE(h.has_value());
                    return AuditRow{1, "sha256", "{}", "00"};
                  })
                  .ok());
  EXPECT_EQ(QueryText(*raw, "SELECT count(*) FROM audit_log"), "1");
  // A row that does not follow the head is refused and writes nothing.
  Status st = catalog->AppendAudit([](const std::optional<AuditRow>&) -> Result<AuditRow> {
    return AuditRow{5, "sha256", "{}", "00"};
  });
  EXPECT_EQ(st.code(), StatusCode::kInternal);
  EXPECT_EQ(QueryText(*raw, "SELECT count(*) FROM audit_log"), "1");
}

// A step that fails leaves the file at the previous version, all of it: the
// step's tables are not half created.
TEST(Catalog, FailedStep2LeavesTheCatalogAtVersion1) {
  TempDir tmp;
  const fs::path repo = tmp.path() / "repo";
  MakeVersion1Catalog(repo);
  ASSERT_FALSE(::testing::Test::HasFailure());
  {
    auto raw = RawConnect(repo / "catalog.db");
    ASSERT_NE(raw, nullptr);
    // Someone's own table in the way of step 2's second table.
    ASSERT_TRUE(raw->ExecuteScript("CREATE TABLE rehearsals (x INTEGER)").ok());
  }
  auto catalog = Catalog::Open(testing::TestLoader(), repo);
  ASSERT_FALSE(catalog.ok());
  const std::string msg = catalog.status().message();
  EXPECT_NE(msg.find("schema step 2"), std::string::npos) << msg;
  EXPECT_NE(msg.find("stays at version 1"), std::string::npos) << msg;
  EXPECT_NE(msg.find((repo / "catalog.db").string()), std::string::npos) << msg;
  auto raw = RawConnect(repo / "catalog.db");
  ASSERT_NE(raw, nullptr);
  EXPECT_EQ(QueryText(*raw, "PRAGMA user_version"), "1");
  EXPECT_EQ(QueryText(*raw, "SELECT count(*) FROM sqlite_schema WHERE name = 'base_copies'"), "0")
      << "the step's first table was rolled back";
  EXPECT_EQ(QueryText(*raw, "SELECT count(*) FROM snapshots"), "1");
}

TEST(Catalog, BaseCopiesAreFoundByEngineServerAndSnapshotNewestFirst) {
  TempDir tmp;
  auto catalog = OpenOrDie(tmp.path() / "repo");
  ASSERT_NE(catalog, nullptr);
  auto none = catalog->FindBaseCopy("postgresql", "postgresql://cutover@scratch:5432/postgres", "s1");
  ASSERT_TRUE(none.ok());
  EXPECT_FALSE(none->has_value());

  // Two copies of s1 (concurrent first rehearsals) at the same second, one older, one of s2.
  ASSERT_TRUE(catalog->RecordBaseCopy(Base("cutover_base_old", "s1", "2026-01-01T00:00:00Z")).ok());
  ASSERT_TRUE(catalog->RecordBaseCopy(Base("cutover_base_a", "s1", "2026-01-02T00:00:00Z")).ok());
  ASSERT_TRUE(catalog->RecordBaseCopy(Base("cutover_base_b", "s1", "2026-01-02T00:00:00+00:00")).ok());
  ASSERT_TRUE(catalog->RecordBaseCopy(Base("cutover_base_s2", "s2", "2026-01-03T00:00:00Z")).ok());
  BaseCopyRecord other_engine = Base("cutover_base_my", "s1", "2026-01-04T00:00:00Z");
  other_engine.engine = "mysql";
  ASSERT_TRUE(catalog->RecordBaseCopy(other_engine).ok());
  BaseCopyRecord other_server = Base("cutover_base_elsewhere", "s1", "2026-01-05T00:00:00Z");
  other_server.server = "postgresql://cutover:***@other:5432/postgres";
  ASSERT_TRUE(catalog->RecordBaseCopy(other_server).ok());

  // The server with or without the password marker is the same server.
  for (const char* server :
       {"postgresql://cutover:***@scratch:5432/postgres", "postgresql://cutover@scratch:5432/postgres"}) {
    SCOPED_TRACE(server);
    auto found = catalog->FindBaseCopy("postgresql", server, "s1");
    ASSERT_TRUE(found.ok()) << found.status().ToString();
    ASSERT_TRUE(found->has_value());
    ExpectSameBaseCopy(**found, Base("cutover_base_b", "s1", "2026-01-02T00:00:00Z"));
  }
  auto mysql = catalog->FindBaseCopy("mysql", "postgresql://cutover@scratch:5432/postgres", "s1");
  ASSERT_TRUE(mysql.ok() && mysql->has_value());
  EXPECT_EQ((*mysql)->name, "cutover_base_my");
  auto s3 = catalog->FindBaseCopy("postgresql", "postgresql://cutover@scratch:5432/postgres", "s3");
  ASSERT_TRUE(s3.ok());
  EXPECT_FALSE(s3->has_value());

  auto list = catalog->ListBaseCopies();
  ASSERT_TRUE(list.ok()) << list.status().ToString();
  std::vector<std::string> names;
  for (const auto& b : *list) names.push_back(b.name);
  EXPECT_EQ(names,
            (std::vector<std::string>{"cutover_base_old", "cutover_base_a", "cutover_base_b",
                                      "cutover_base_s2", "cutover_base_my", "cutover_base_elsewhere"}));

  // Recording the same (engine, server, name) again replaces the row.
  BaseCopyRecord replaced = Base("cutover_base_b", "s9", "2026-01-06T00:00:00Z");
  replaced.server = "postgresql://cutover@scratch:5432/postgres";
  replaced.restore_seconds = 99;
  ASSERT_TRUE(catalog->RecordBaseCopy(replaced).ok());
  list = catalog->ListBaseCopies();
  ASSERT_TRUE(list.ok());
  EXPECT_EQ(list->size(), 6u);
  auto s9 = catalog->FindBaseCopy("postgresql", "postgresql://cutover:***@scratch:5432/postgres", "s9");
  ASSERT_TRUE(s9.ok() && s9->has_value());
  ExpectSameBaseCopy(**s9, replaced);
  auto s1 = catalog->FindBaseCopy("postgresql", "postgresql://cutover@scratch:5432/postgres", "s1");
  ASSERT_TRUE(s1.ok() && s1->has_value());
  EXPECT_EQ((*s1)->name, "cutover_base_a");

  // Forgetting: only that server's row; twice is fine.
  ASSERT_TRUE(
      catalog->ForgetBaseCopy("postgresql", "postgresql://cutover@scratch:5432/postgres", "cutover_base_a")
          .ok());
  ASSERT_TRUE(
      catalog->ForgetBaseCopy("postgresql", "postgresql://cutover@scratch:5432/postgres", "cutover_base_a")
          .ok());
  ASSERT_TRUE(catalog
                  ->ForgetBaseCopy("postgresql", "postgresql://cutover@scratch:5432/postgres",
                                   "cutover_base_elsewhere")
                  .ok());
  s1 = catalog->FindBaseCopy("postgresql", "postgresql://cutover@scratch:5432/postgres", "s1");
  ASSERT_TRUE(s1.ok() && s1->has_value());
  EXPECT_EQ((*s1)->name, "cutover_base_old");
  list = catalog->ListBaseCopies();
  ASSERT_TRUE(list.ok());
  EXPECT_EQ(list->size(), 5u) << "another server's copy of the same name is another database";
}

TEST(Catalog, RecordingABaseCopyForgetsItsScratchRegistrationInTheSameTransaction) {
  TempDir tmp;
  auto catalog = OpenOrDie(tmp.path() / "repo");
  ASSERT_NE(catalog, nullptr);
  for (const char* name : {"cutover_base_promoted", "cutover_scratch_other"}) {
    ASSERT_TRUE(catalog
                    ->RegisterScratch({name, "postgresql", "postgresql://cutover:***@scratch:5432/postgres",
                                       "h", 1, "2026-01-01T00:00:00Z", "rehearse"})
                    .ok());
  }
  // A refused record changes neither table.
  BaseCopyRecord bad = Base("cutover_base_promoted", "s1", "not a time");
  Status refused = catalog->RecordBaseCopy(bad);
  EXPECT_EQ(refused.code(), StatusCode::kInvalidInput) << refused.ToString();
  auto scratch = catalog->ListScratch();
  ASSERT_TRUE(scratch.ok());
  EXPECT_EQ(scratch->size(), 2u);

  ASSERT_TRUE(catalog->RecordBaseCopy(Base("cutover_base_promoted", "s1", "2026-01-01T00:00:00Z")).ok());
  scratch = catalog->ListScratch();
  ASSERT_TRUE(scratch.ok());
  ASSERT_EQ(scratch->size(), 1u);
  EXPECT_EQ(scratch->front().name, "cutover_scratch_other");
  auto copies = catalog->ListBaseCopies();
  ASSERT_TRUE(copies.ok());
  ASSERT_EQ(copies->size(), 1u);
  EXPECT_EQ(copies->front().name, "cutover_base_promoted");
}

TEST(Catalog, InvalidBaseCopiesAndRehearsalsAreRefusedAndWriteNothing) {
  TempDir tmp;
  auto catalog = OpenOrDie(tmp.path() / "repo");
  ASSERT_NE(catalog, nullptr);
  struct Case {
    std::string name;
    Status status;
    std::string needle;
  };
  auto base = [](auto change) {
    BaseCopyRecord b = Base("cutover_base_x", "s1", "2026-01-01T00:00:00Z");
    change(b);
    return b;
  };
  auto rehearsal = [](auto change) {
    RehearsalRecord h = Rehearsal("rh-x", "prod", "2026-01-01T00:00:00Z");
    change(h);
    return h;
  };
  std::vector<Case> cases = {
      {"base: empty name", catalog->RecordBaseCopy(base([](auto& b) { b.name = ""; })),
       "base copy name is empty"},
      {"base: empty engine", catalog->RecordBaseCopy(base([](auto& b) { b.engine = ""; })),
       "engine is empty"},
      {"base: empty server", catalog->RecordBaseCopy(base([](auto& b) { b.server = ""; })),
       "server is empty"},
      {"base: empty snapshot", catalog->RecordBaseCopy(base([](auto& b) { b.snapshot_id = ""; })),
       "snapshot id is empty"},
      {"base: no time", catalog->RecordBaseCopy(base([](auto& b) { b.created_at = ""; })), "created_at"},
      {"base: NaN seconds", catalog->RecordBaseCopy(base([](auto& b) { b.restore_seconds = std::nan(""); })),
       "restore_seconds is not a finite number"},
      {"forget: empty name", catalog->ForgetBaseCopy("sqlite", "sqlite:///tmp", ""),
       "base copy name is empty"},
      {"rehearsal: empty id", catalog->RecordRehearsal(rehearsal([](auto& h) { h.id = ""; })),
       "rehearsal id is empty"},
      {"rehearsal: empty target", catalog->RecordRehearsal(rehearsal([](auto& h) { h.target = ""; })),
       "target is empty"},
      {"rehearsal: empty plan hash", catalog->RecordRehearsal(rehearsal([](auto& h) { h.plan_sha256 = ""; })),
       "plan_sha256 is empty"},
      {"rehearsal: empty snapshot", catalog->RecordRehearsal(rehearsal([](auto& h) { h.snapshot_id = ""; })),
       "snapshot id is empty"},
      {"rehearsal: bad start", catalog->RecordRehearsal(rehearsal([](auto& h) { h.started_at = "today"; })),
       "started_at"},
      {"rehearsal: bad finish",
       catalog->RecordRehearsal(rehearsal([](auto& h) { h.finished_at = "2026-13-01T00:00:00Z"; })),
       "finished_at"},
      {"rehearsal: NUL in the report",
       catalog->RecordRehearsal(rehearsal([](auto& h) { h.report_json = std::string("{\0}", 3); })), "NUL"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    ASSERT_FALSE(c.status.ok());
    EXPECT_EQ(c.status.code(), StatusCode::kInvalidInput) << c.status.ToString();
    EXPECT_NE(c.status.message().find(c.needle), std::string::npos) << c.status.message();
    EXPECT_NE(c.status.message().find(catalog->path().string()), std::string::npos) << c.status.message();
  }
  auto raw = RawConnect(catalog->path());
  ASSERT_NE(raw, nullptr);
  EXPECT_EQ(QueryText(*raw, "SELECT count(*) FROM base_copies"), "0");
  EXPECT_EQ(QueryText(*raw, "SELECT count(*) FROM rehearsals"), "0");
}

TEST(Catalog, RehearsalsAreEvidenceRecordedOnceAndFoundNewestFirst) {
  TempDir tmp;
  auto catalog = OpenOrDie(tmp.path() / "repo");
  ASSERT_NE(catalog, nullptr);
  auto none = catalog->LatestRehearsal("prod", "sha256:plan1");
  ASSERT_TRUE(none.ok());
  EXPECT_FALSE(none->has_value());

  // Recorded out of order; two in the same second; a failed one newest.
  ASSERT_TRUE(catalog->RecordRehearsal(Rehearsal("rh-c", "prod", "2026-01-03T00:00:00Z")).ok());
  ASSERT_TRUE(catalog->RecordRehearsal(Rehearsal("rh-a", "prod", "2026-01-01T00:00:00Z")).ok());
  ASSERT_TRUE(catalog->RecordRehearsal(Rehearsal("rh-b1", "prod", "2026-01-02T00:00:00Z")).ok());
  ASSERT_TRUE(catalog->RecordRehearsal(Rehearsal("rh-b2", "prod", "2026-01-02T01:00:00+01:00")).ok());
  ASSERT_TRUE(
      catalog->RecordRehearsal(Rehearsal("rh-other-plan", "prod", "2026-01-09T00:00:00Z", "sha256:plan2"))
          .ok());
  ASSERT_TRUE(catalog->RecordRehearsal(Rehearsal("rh-staging", "staging", "2026-01-08T00:00:00Z")).ok());

  auto latest = catalog->LatestRehearsal("prod", "sha256:plan1");
  ASSERT_TRUE(latest.ok() && latest->has_value());
  EXPECT_EQ((*latest)->id, "rh-c") << "the latest start wins, not the last insert";

  RehearsalRecord failed = Rehearsal("rh-d", "prod", "2026-01-04T00:00:00Z", "sha256:plan1", false);
  failed.finished_at = "";
  failed.to = "0042_add_index";
  ASSERT_TRUE(catalog->RecordRehearsal(failed).ok());
  latest = catalog->LatestRehearsal("prod", "sha256:plan1");
  ASSERT_TRUE(latest.ok() && latest->has_value());
  ExpectSameRehearsal(**latest, failed);  // any outcome counts; empty finished_at stays empty

  auto prod = catalog->ListRehearsals("prod");
  ASSERT_TRUE(prod.ok()) << prod.status().ToString();
  std::vector<std::string> ids;
  for (const auto& h : *prod) ids.push_back(h.id);
  EXPECT_EQ(ids, (std::vector<std::string>{"rh-a", "rh-b1", "rh-b2", "rh-c", "rh-d", "rh-other-plan"}));
  EXPECT_EQ((*prod)[2].started_at, "2026-01-02T00:00:00Z") << "times are stored in canonical UTC form";
  auto all = catalog->ListRehearsals("");
  ASSERT_TRUE(all.ok());
  EXPECT_EQ(all->size(), 7u);
  EXPECT_EQ((*all)[5].id, "rh-staging");

  // Same-second tie: the one recorded last is the newest.
  ASSERT_TRUE(
      catalog->RecordRehearsal(Rehearsal("rh-e1", "prod", "2026-02-01T00:00:00Z", "sha256:plan3")).ok());
  ASSERT_TRUE(
      catalog->RecordRehearsal(Rehearsal("rh-e2", "prod", "2026-02-01T00:00:00Z", "sha256:plan3")).ok());
  latest = catalog->LatestRehearsal("prod", "sha256:plan3");
  ASSERT_TRUE(latest.ok() && latest->has_value());
  EXPECT_EQ((*latest)->id, "rh-e2");

  // Evidence is never replaced.
  RehearsalRecord again = Rehearsal("rh-c", "prod", "2026-03-01T00:00:00Z", "sha256:plan1", false);
  Status dup = catalog->RecordRehearsal(again);
  EXPECT_EQ(dup.code(), StatusCode::kInvalidInput) << dup.ToString();
  EXPECT_NE(dup.message().find("already recorded"), std::string::npos) << dup.message();
  EXPECT_NE(dup.message().find("rh-c"), std::string::npos) << dup.message();
  latest = catalog->LatestRehearsal("prod", "sha256:plan1");
  ASSERT_TRUE(latest.ok() && latest->has_value());
  EXPECT_EQ((*latest)->id, "rh-d");
  auto nobody = catalog->ListRehearsals("nobody");
  ASSERT_TRUE(nobody.ok());
  EXPECT_TRUE(nobody->empty());
}

TEST(Catalog, SecretsInBaseCopiesAndRehearsalsNeverReachTheFile) {
  TempDir tmp;
  const fs::path repo = tmp.path() / "repo";
  {
    auto catalog = OpenOrDie(repo);
    ASSERT_NE(catalog, nullptr);
    BaseCopyRecord b =
        Base("cutover_base_s", "s1", "2026-01-01T00:00:00Z", "postgresql://app:Hunter2Target@db/shop");
    b.server = "postgresql://cutover:Hunter2Server@scratch/postgres?sslpassword=Hunter2Param";
    ASSERT_TRUE(catalog->RecordBaseCopy(b).ok());
    // Found by the redacted server, with or without the marker.
    auto found =
        catalog->FindBaseCopy("postgresql", "postgresql://cutover@scratch/postgres?sslpassword=***", "s1");
    ASSERT_TRUE(found.ok() && found->has_value());
    EXPECT_EQ((*found)->server, "postgresql://cutover:***@scratch/postgres?sslpassword=***");
    EXPECT_EQ((*found)->target, "postgresql://app:***@db/shop");

    RehearsalRecord h = Rehearsal("rh-s", "postgresql://app:Hunter2Target@db/shop", "2026-01-01T00:00:00Z");
    h.summary = "connect failed: password=Hunter2Summary host=db";
    h.report_json = R"({"target":"postgresql://app:Hunter2Json@db/shop","error":"pwd=Hunter2Pwd"})";
    h.phases = "expand password=Hunter2Phases";
    ASSERT_TRUE(catalog->RecordRehearsal(h).ok());
    // The redacted target finds what was recorded under the unredacted one.
    auto latest = catalog->LatestRehearsal("postgresql://app:***@db/shop", "sha256:plan1");
    ASSERT_TRUE(latest.ok() && latest->has_value());
    EXPECT_EQ((*latest)->report_json, R"({"target":"postgresql://app:***@db/shop","error":"pwd=***"})")
        << "the JSON document stays JSON";
    auto listed = catalog->ListRehearsals("postgresql://app:Hunter2Target@db/shop");
    ASSERT_TRUE(listed.ok());
    EXPECT_EQ(listed->size(), 1u);
  }
  const std::string bytes = BytesOfFilesIn(repo);
  ASSERT_FALSE(bytes.empty());
  EXPECT_EQ(bytes.find("Hunter2"), std::string::npos) << "a password reached the catalog files";
}

TEST(ScratchServerKey, DropsOnlyThePasswordMarker) {
  EXPECT_EQ(ScratchServerKey("postgresql://u:***@h:5432/postgres"), "postgresql://u@h:5432/postgres");
  EXPECT_EQ(ScratchServerKey("postgresql://u@h:5432/postgres"), "postgresql://u@h:5432/postgres");
  EXPECT_EQ(ScratchServerKey("sqlite:///tmp/scratch"), "sqlite:///tmp/scratch");
  EXPECT_EQ(ScratchServerKey("mysql://u@h/x?password=***"), "mysql://u@h/x?password=***");
  EXPECT_EQ(ScratchServerKey(":***@:***@"), "@@");
}

// ---------------------------------------------------------------------------
// Concurrency

// Two Catalog objects on one file, each shared by several threads: every
// record succeeds (writers wait for the lock instead of failing).
TEST(Catalog, ConcurrentWritersFromThreadsAndInstancesAllSucceed) {
  TempDir tmp;
  const fs::path repo = tmp.path() / "repo";
  auto first = OpenOrDie(repo);
  auto second = OpenOrDie(repo);
  ASSERT_NE(first, nullptr);
  ASSERT_NE(second, nullptr);
  constexpr int kThreads = 6;
  constexpr int kPerThread = 40;
  std::atomic<int> failures{0};
  std::vector<std::string> errors(kThreads);
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      Catalog& catalog = t % 2 == 0 ? *first : *second;
      auto check = [&](const Status& st) {
        if (!st.ok()) {
          ++failures;
          if (errors[t].empty()) errors[t] = st.ToString();
        }
      };
      for (int i = 0; i < kPerThread; ++i) {
        const std::string id = "t" + std::to_string(t) + "-" + std::to_string(i);
        const std::string now = NowIso8601();
        check(catalog.RecordSnapshot(Snap(id, now)));
        check(catalog.RecordVerification({id, now, false, true, "ok", 0.5}));
        check(catalog.RecordRestoreTest({id, "prod", now, true, "ok", 1, 2, 3, 4, "scratch"}));
        check(catalog.RegisterScratch(
            {"cutover_scratch_" + id, "sqlite", "/tmp", "h", 1, now, "restore-test"}));
        auto list = catalog.ListSnapshots();
        check(list.status());
        check(catalog.ForgetScratch("sqlite", "cutover_scratch_" + id));
      }
    });
  }
  for (auto& th : threads) th.join();
  for (const auto& e : errors) EXPECT_TRUE(e.empty()) << e;
  EXPECT_EQ(failures.load(), 0);
  auto list = first->ListSnapshots();
  ASSERT_TRUE(list.ok());
  EXPECT_EQ(list->size(), static_cast<std::size_t>(kThreads * kPerThread));
  for (const auto& s : *list) {
    EXPECT_TRUE(s.last_verification.has_value()) << s.snapshot.id;
    EXPECT_TRUE(s.last_restore_test.has_value()) << s.snapshot.id;
  }
  auto scratch = second->ListScratch();
  ASSERT_TRUE(scratch.ok());
  EXPECT_TRUE(scratch->empty());
}

// Several openers racing to create and migrate a brand-new catalog.
TEST(Catalog, ConcurrentFirstOpenCreatesOneCatalog) {
  TempDir tmp;
  const fs::path repo = tmp.path() / "fresh";
  constexpr int kThreads = 6;
  std::vector<std::string> errors(kThreads);
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      auto catalog = Catalog::Open(testing::TestLoader(), repo);
      if (!catalog.ok()) {
        errors[t] = catalog.status().ToString();
        return;
      }
      Status st = (*catalog)->RecordSnapshot(Snap("s" + std::to_string(t), NowIso8601()));
      if (!st.ok()) errors[t] = st.ToString();
    });
  }
  for (auto& th : threads) th.join();
  for (const auto& e : errors) EXPECT_TRUE(e.empty()) << e;
  auto catalog = OpenOrDie(repo);
  ASSERT_NE(catalog, nullptr);
  auto list = catalog->ListSnapshots();
  ASSERT_TRUE(list.ok());
  EXPECT_EQ(list->size(), static_cast<std::size_t>(kThreads));
}

// Two processes recording at once.
TEST(Catalog, ConcurrentProcessesAllSucceed) {
  TempDir tmp;
  const fs::path repo = tmp.path() / "repo";
  { ASSERT_NE(OpenOrDie(repo), nullptr); }
  constexpr int kPerProcess = 60;
  auto work = [&](const std::string& who) -> Status {
    auto catalog = Catalog::Open(testing::TestLoader(), repo);
    if (!catalog.ok()) return catalog.status();
    for (int i = 0; i < kPerProcess; ++i) {
      const std::string id = who + std::to_string(i);
      const std::string now = NowIso8601();
      CUTOVER_RETURN_IF_ERROR((*catalog)->RecordSnapshot(Snap(id, now)));
      CUTOVER_RETURN_IF_ERROR((*catalog)->RecordRestoreTest({id, "prod", now, true, "", 1, 1, 0, 0, ""}));
      CUTOVER_RETURN_IF_ERROR((*catalog)->RegisterScratch(
          {"cutover_scratch_" + id, "sqlite", "/tmp", "h", 1, now, "restore-test"}));
    }
    return Status::Ok();
  };
  const pid_t child = ::fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    Status st = work("child-");
    if (!st.ok()) std::fprintf(stderr, "child: %s\n", st.ToString().c_str());
    ::_exit(st.ok() ? 0 : 1);
  }
  Status parent = work("parent-");
  int wstatus = 0;
  ASSERT_EQ(::waitpid(child, &wstatus, 0), child);
  EXPECT_TRUE(parent.ok()) << parent.ToString();
  ASSERT_TRUE(WIFEXITED(wstatus));
  EXPECT_EQ(WEXITSTATUS(wstatus), 0) << "the child process failed to record (see stderr)";
  auto catalog = OpenOrDie(repo);
  ASSERT_NE(catalog, nullptr);
  auto list = catalog->ListSnapshots();
  ASSERT_TRUE(list.ok());
  EXPECT_EQ(list->size(), static_cast<std::size_t>(2 * kPerProcess));
  auto scratch = catalog->ListScratch();
  ASSERT_TRUE(scratch.ok());
  EXPECT_EQ(scratch->size(), static_cast<std::size_t>(2 * kPerProcess));
}

// ---------------------------------------------------------------------------
// Durations and times (pure)

TEST(ParseDurationSeconds, AcceptsOneWholeNumberAndOneUnit) {
  struct Case {
    const char* text;
    std::int64_t seconds;
  } cases[] = {
      {"30d", 30 * 86400},
      {"12h", 12 * 3600},
      {"2w", 14 * 86400},
      {"90m", 90 * 60},
      {"45s", 45},
      {"0s", 0},
      {"0d", 0},
      {"007d", 7 * 86400},
      {"1w", 604800},
      {"9223372036854775807s", std::numeric_limits<std::int64_t>::max()},
      {"153722867280912930m", 153722867280912930LL * 60},
      {"15250284452471w", 15250284452471LL * 604800},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.text);
    auto r = ParseDurationSeconds(c.text);
    ASSERT_TRUE(r.ok()) << r.status().ToString();
    EXPECT_EQ(*r, c.seconds);
  }
}

TEST(ParseDurationSeconds, RejectsEverythingElseNamingTheText) {
  for (const char* text : {"",
                           "5",
                           "d",
                           "-1d",
                           "1.5h",
                           "+1d",
                           " 1d",
                           "1d ",
                           "1 d",
                           "1D",
                           "1H",
                           "1y",
                           "1ms",
                           "1dd",
                           "1d12h",
                           "d1",
                           "1e3s",
                           "0x10s",
                           "١d",
                           "9223372036854775808s",
                           "99999999999999999999999s",
                           "15250284452472w",
                           "106751991167301d",
                           "153722867280912931m"}) {
    SCOPED_TRACE(text);
    auto r = ParseDurationSeconds(text);
    ASSERT_FALSE(r.ok()) << *r;
    EXPECT_EQ(r.status().code(), StatusCode::kInvalidInput);
    EXPECT_NE(r.status().message().find("'" + std::string(text) + "'"), std::string::npos)
        << r.status().message();
  }
}

TEST(Iso8601, ParsesUtcAndOffsets) {
  struct Case {
    const char* text;
    std::int64_t epoch;
  } cases[] = {
      {"1970-01-01T00:00:00Z", 0},
      {"1970-01-01T00:00:01Z", 1},
      {"1969-12-31T23:59:59Z", -1},
      {"2000-02-29T00:00:00Z", 951782400},
      {"2024-02-29T12:00:00Z", 1709208000},
      {"2026-11-21T10:15:00Z", 1795256100},
      {"2026-11-21T12:15:00+02:00", 1795256100},
      {"2026-11-21T05:45:00-04:30", 1795256100},
      {"2026-11-21T10:15:00.999999Z", 1795256100},
      {"2038-01-19T03:14:08Z", 2147483648LL},
      {"9999-12-31T23:59:59Z", 253402300799LL},
      {"0000-01-01T00:00:00Z", -62167219200LL},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.text);
    auto r = ParseIso8601(c.text);
    ASSERT_TRUE(r.ok()) << r.status().ToString();
    EXPECT_EQ(*r, c.epoch);
  }
}

TEST(Iso8601, RejectsMalformedTimes) {
  for (const char* text : {"",
                           "2026",
                           "2026-11-21",
                           "2026-11-21T10:15:00",
                           "2026-11-21 10:15:00Z",
                           "2026-11-21t10:15:00Z",
                           "2026-11-21T10:15:00z",
                           "2026-13-01T00:00:00Z",
                           "2026-00-01T00:00:00Z",
                           "2026-02-29T00:00:00Z",
                           "1900-02-29T00:00:00Z",
                           "2026-04-31T00:00:00Z",
                           "2026-11-00T00:00:00Z",
                           "2026-11-21T24:00:00Z",
                           "2026-11-21T23:60:00Z",
                           "2026-11-21T23:59:60Z",
                           "2026-1-21T10:15:00Z",
                           "2026-11-21T10:15:00Zjunk",
                           "2026-11-21T10:15:00.Z",
                           "2026-11-21T10:15:00+2:00",
                           "2026-11-21T10:15:00+0200",
                           "2026-11-21T10:15:00+24:00",
                           "-2026-11-21T10:15:00Z",
                           "0000-01-01T00:30:00+01:00",
                           "9999-12-31T23:30:00-01:00",
                           "２０２６-11-21T10:15:00Z"}) {
    SCOPED_TRACE(text);
    auto r = ParseIso8601(text);
    ASSERT_FALSE(r.ok()) << *r;
    EXPECT_EQ(r.status().code(), StatusCode::kInvalidInput);
    EXPECT_NE(r.status().message().find("ISO 8601"), std::string::npos) << r.status().message();
  }
}

TEST(Iso8601, FormatRoundTripsAndNowIsNow) {
  for (std::int64_t t : {0LL, 1LL, -1LL, 951782400LL, 1795256100LL, 253402300799LL, -62167219200LL}) {
    SCOPED_TRACE(t);
    auto back = ParseIso8601(FormatIso8601(t));
    ASSERT_TRUE(back.ok()) << back.status().ToString();
    EXPECT_EQ(*back, t);
  }
  EXPECT_EQ(FormatIso8601(1795256100), "2026-11-21T10:15:00Z");
  // Every second of a leap year's February end and a year boundary.
  for (std::int64_t t = 1709164800 - 2 * 86400; t < 1709164800 + 2 * 86400; t += 3607) {
    EXPECT_EQ(*ParseIso8601(FormatIso8601(t)), t);
  }
  const std::string now = NowIso8601();
  EXPECT_EQ(now.size(), 20u);
  auto parsed = ParseIso8601(now);
  ASSERT_TRUE(parsed.ok()) << now;
  EXPECT_LE(std::llabs(*parsed - static_cast<std::int64_t>(std::time(nullptr))), 2);
}

// ---------------------------------------------------------------------------
// Retention (pure)

enum class Tested { kNone, kPassed, kFailed };

SnapshotSummary S(const std::string& id, const std::string& started, Tested tested = Tested::kNone,
                  const std::string& target = "prod", bool deleted = false) {
  SnapshotSummary s;
  s.snapshot = Snap(id, started, target);
  s.snapshot.deleted = deleted;
  if (tested != Tested::kNone) {
    RestoreTestRecord t;
    t.snapshot_id = id;
    t.target = target;
    t.at = started;
    t.ok = tested == Tested::kPassed;
    s.last_restore_test = t;
  }
  return s;
}

constexpr const char* kNow = "2026-06-30T00:00:00Z";

// Five daily snapshots of prod, June 25 (oldest) to June 29.
std::vector<SnapshotSummary> Daily(Tested june25 = Tested::kNone, Tested june26 = Tested::kNone) {
  return {S("d25", "2026-06-25T00:00:00Z", june25), S("d26", "2026-06-26T00:00:00Z", june26),
          S("d27", "2026-06-27T00:00:00Z"), S("d28", "2026-06-28T00:00:00Z"),
          S("d29", "2026-06-29T00:00:00Z")};
}

TEST(SnapshotsToPrune, Table) {
  const std::int64_t day = 86400;
  struct Case {
    std::string name;
    std::vector<SnapshotSummary> snapshots;
    RetentionPolicy policy;
    std::string now;
    std::vector<std::string> pruned;  // oldest first
  };
  std::vector<Case> cases = {
      {"no policy prunes nothing", Daily(), {}, kNow, {}},
      {"empty input", {}, {3, std::nullopt}, kNow, {}},
      {"keep_last 2", Daily(), {2, std::nullopt}, kNow, {"d25", "d26", "d27"}},
      {"keep_last larger than the count", Daily(), {10, std::nullopt}, kNow, {}},
      {"keep_last 0 prunes every untested snapshot",
       Daily(),
       {0, std::nullopt},
       kNow,
       {"d25", "d26", "d27", "d28", "d29"}},
      {"negative keep_last counts as 0",
       Daily(),
       {-3, std::nullopt},
       kNow,
       {"d25", "d26", "d27", "d28", "d29"}},
      {"keep_within 3d: exactly 3 days old is not younger",
       Daily(),
       {std::nullopt, 3 * day},
       kNow,
       {"d25", "d26", "d27"}},
      {"keep_within one second more keeps it", Daily(), {std::nullopt, 3 * day + 1}, kNow, {"d25", "d26"}},
      {"keep_within covering everything", Daily(), {std::nullopt, 30 * day}, kNow, {}},
      {"both options keep the union (last wins)", Daily(), {3, 1 * day}, kNow, {"d25", "d26"}},
      {"both options keep the union (within wins)", Daily(), {1, 4 * day + 1}, kNow, {"d25"}},
      {"the newest restore-tested snapshot is old and is still kept",
       Daily(Tested::kPassed),
       {1, std::nullopt},
       kNow,
       {"d26", "d27", "d28"}},
      {"the newest restore-tested snapshot survives keep_within too",
       Daily(Tested::kPassed),
       {std::nullopt, 1 * day + 1},
       kNow,
       {"d26", "d27", "d28"}},
      {"the newest restore-tested snapshot survives keep_last 0",
       Daily(Tested::kPassed),
       {0, std::nullopt},
       kNow,
       {"d26", "d27", "d28", "d29"}},
      {"only the newest restore-tested snapshot is protected",
       Daily(Tested::kPassed, Tested::kPassed),
       {1, std::nullopt},
       kNow,
       {"d25", "d27", "d28"}},
      {"a snapshot whose last restore test failed is not protected",
       Daily(Tested::kFailed),
       {1, std::nullopt},
       kNow,
       {"d25", "d26", "d27", "d28"}},
      {"a failed newer test does not hide an older pass",
       Daily(Tested::kPassed, Tested::kFailed),
       {1, std::nullopt},
       kNow,
       {"d26", "d27", "d28"}},
      {"targets are counted separately",
       {S("a1", "2026-06-01T00:00:00Z", Tested::kNone, "a"),
        S("a2", "2026-06-02T00:00:00Z", Tested::kNone, "a"),
        S("a3", "2026-06-03T00:00:00Z", Tested::kNone, "a"),
        S("b1", "2026-01-01T00:00:00Z", Tested::kNone, "b")},
       {1, std::nullopt},
       kNow,
       {"a1", "a2"}},
      {"each target keeps its own restore-tested snapshot",
       {S("a1", "2026-06-01T00:00:00Z", Tested::kPassed, "a"),
        S("a2", "2026-06-02T00:00:00Z", Tested::kNone, "a"),
        S("a3", "2026-06-03T00:00:00Z", Tested::kNone, "a"),
        S("b1", "2026-01-01T00:00:00Z", Tested::kPassed, "b"),
        S("b2", "2026-01-02T00:00:00Z", Tested::kNone, "b"),
        S("b3", "2026-01-03T00:00:00Z", Tested::kNone, "b")},
       {1, std::nullopt},
       kNow,
       {"b2", "a2"}},
      {"deleted rows are ignored and do not count",
       {S("x1", "2026-06-01T00:00:00Z"), S("x2", "2026-06-02T00:00:00Z"),
        S("x3", "2026-06-03T00:00:00Z", Tested::kPassed, "prod", true)},
       {1, std::nullopt},
       kNow,
       {"x1"}},
      {"input order does not matter",
       {S("d28", "2026-06-28T00:00:00Z"), S("d25", "2026-06-25T00:00:00Z"), S("d29", "2026-06-29T00:00:00Z"),
        S("d26", "2026-06-26T00:00:00Z")},
       {2, std::nullopt},
       kNow,
       {"d25", "d26"}},
      {"same start time: ties broken by id",
       {S("b", "2026-06-01T00:00:00Z"), S("a", "2026-06-01T00:00:00Z"), S("c", "2026-06-01T00:00:00Z")},
       {1, std::nullopt},
       kNow,
       {"a", "b"}},
      {"times with offsets compare as instants",
       {S("east", "2026-06-01T01:00:00+02:00"), S("utc", "2026-05-31T23:30:00Z")},
       {1, std::nullopt},
       kNow,
       {"east"}},
      {"an undatable snapshot is kept and takes no keep_last slot",
       {S("bad", "last tuesday"), S("d1", "2026-06-01T00:00:00Z"), S("d2", "2026-06-02T00:00:00Z")},
       {1, std::nullopt},
       kNow,
       {"d1"}},
      {"finished_at stands in for a missing started_at",
       {[] {
          auto s = S("f", "");
          s.snapshot.finished_at = "2026-01-01T00:00:00Z";
          return s;
        }(),
        S("g", "2026-06-01T00:00:00Z")},
       {1, std::nullopt},
       kNow,
       {"f"}},
      {"a snapshot from the future (clock skew) is young",
       {S("future", "2027-01-01T00:00:00Z")},
       {std::nullopt, 1 * day},
       kNow,
       {}},
      {"keep_within with an unparsable now prunes nothing", Daily(), {std::nullopt, 1 * day}, "now", {}},
      {"keep_last alone does not need now", Daily(), {4, std::nullopt}, "garbage", {"d25"}},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    EXPECT_EQ(SnapshotsToPrune(c.snapshots, c.policy, c.now), c.pruned);
  }
}

TEST(SnapshotsToPrune, RestoreTestedSnapshotSurvivesAYearOfDailySnapshots) {
  // One old snapshot passed a restore test; a year of untested snapshots
  // followed. A tight policy prunes the year but never the tested one.
  std::vector<SnapshotSummary> snapshots;
  snapshots.push_back(S("tested", "2025-01-01T00:00:00Z", Tested::kPassed));
  for (int i = 0; i < 365; ++i)
    snapshots.push_back(S("day" + std::to_string(i), FormatIso8601(1735776000 + i * 86400)));
  auto pruned = SnapshotsToPrune(snapshots, {7, 86400}, "2026-01-10T00:00:00Z");
  EXPECT_EQ(pruned.size(), 365u - 7u);
  EXPECT_EQ(std::find(pruned.begin(), pruned.end(), "tested"), pruned.end());
  EXPECT_EQ(pruned.front(), "day0");
}

}  // namespace
}  // namespace cutover
