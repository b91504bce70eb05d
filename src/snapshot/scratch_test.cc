// Tests of the scratch database lifecycle and base copies: real catalogs,
// real SQLite scratch directories, and the PostgreSQL and MariaDB test
// servers (scripts/test-servers.sh) for the lifecycle on every engine.
#include "snapshot/scratch.h"

#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <fstream>

#include "schema/scratch_schema.h"
#include "support/test_env.h"

namespace cutover::snapshot {
namespace {

namespace fs = std::filesystem;

bool StartsWith(const std::string& s, std::string_view prefix) {
  return s.compare(0, prefix.size(), prefix) == 0;
}

// A pid that certainly belongs to no running process: a child that exited
// and was reaped.
std::int64_t DeadPid() {
  pid_t child = ::fork();
  if (child == 0) ::_exit(0);
  int status = 0;
  ::waitpid(child, &status, 0);
  return child;
}

std::string Host() {
  char buf[256] = {};
  ::gethostname(buf, sizeof buf - 1);
  return buf;
}

class ScratchTest : public ::testing::TestWithParam<std::string> {
 protected:
  void SetUp() override {
    engine_ = GetParam();
    driver_ = testing::TestDriver(engine_);
    ASSERT_NE(driver_, nullptr);
    dir_ = fs::temp_directory_path() / testing::UniqueName("cutover-scratch-test-");
    fs::create_directories(dir_);
    auto catalog = Catalog::Open(testing::TestLoader(), dir_ / "repo");
    ASSERT_TRUE(catalog.ok()) << catalog.status().ToString();
    catalog_ = std::move(*catalog);
    server_ = testing::ServerUri(engine_);
    ASSERT_FALSE(HasFailure());
    before_ = Databases();  // another run's leftovers on a shared server are not ours
  }
  void TearDown() override {
    // Whatever a failed test left: only names this test made.
    if (driver_ != nullptr) {
      for (std::string_view prefix : {kScratchPrefix, kBaseCopyPrefix}) {
        auto names = driver_->ListDatabases(server_, prefix);
        if (!names.ok()) continue;
        for (const auto& n : *names) {
          if (std::find(made_.begin(), made_.end(), n) != made_.end())
            (void)driver_->DropDatabase(server_, n);
        }
      }
    }
    catalog_.reset();
    fs::remove_all(dir_);
    if (engine_ == "sqlite") fs::remove_all(server_.path());
  }

  // The databases on the server carrying cutover's prefixes.
  std::vector<std::string> Databases() {
    std::vector<std::string> out;
    for (std::string_view prefix : {kScratchPrefix, kBaseCopyPrefix}) {
      auto names = driver_->ListDatabases(server_, prefix);
      EXPECT_TRUE(names.ok()) << names.status().ToString();
      if (!names.ok()) continue;
      for (const auto& n : *names) {
        if (std::find(before_.begin(), before_.end(), n) == before_.end()) out.push_back(n);
      }
    }
    return out;
  }
  bool Exists(const std::string& name) {
    auto all = Databases();
    return std::find(all.begin(), all.end(), name) != all.end();
  }
  std::vector<std::string> Registered() {
    std::vector<std::string> out;
    auto rows = catalog_->ListScratch();
    EXPECT_TRUE(rows.ok()) << rows.status().ToString();
    if (rows.ok()) {
      for (const auto& r : *rows) out.push_back(r.name);
    }
    return out;
  }
  std::unique_ptr<ScratchDatabase> CreateOrDie(const std::string& purpose,
                                               ScratchNaming naming = ScratchNaming::kScratch) {
    auto made = ScratchDatabase::Create(*catalog_, *driver_, server_, purpose, naming);
    EXPECT_TRUE(made.ok()) << made.status().ToString();
    if (!made.ok()) return nullptr;
    made_.push_back((*made)->name());
    return std::move(made).value();
  }
  void Exec(const ConnectionUri& uri, const std::string& script) {
    auto conn = driver_->Connect(uri);
    ASSERT_TRUE(conn.ok()) << conn.status().ToString();
    Status st = (*conn)->ExecuteScript(script);
    ASSERT_TRUE(st.ok()) << st.ToString();
  }
  // Records a snapshot row (deleted or not) for base-copy cleanup.
  void Snapshot(const std::string& id, bool deleted = false) {
    SnapshotRecord s;
    s.id = id;
    s.target = "prod";
    s.engine = engine_;
    s.source = "x";
    s.started_at = "2026-01-01T00:00:00Z";
    ASSERT_TRUE(catalog_->RecordSnapshot(s).ok());
    if (deleted) {
      ASSERT_TRUE(catalog_->MarkSnapshotDeleted(id).ok());
    }
  }
  // A base copy of `snapshot_id` for `target`, created and promoted.
  std::string BaseCopy(const std::string& snapshot_id, const std::string& target) {
    auto db = CreateOrDie("rehearse", ScratchNaming::kBaseCopy);
    if (db == nullptr) return "";
    BaseCopyRecord record;
    record.snapshot_id = snapshot_id;
    record.target = target;
    record.fingerprint = "sha256:" + snapshot_id;
    record.restore_seconds = 1.5;
    Status st = db->PromoteToBaseCopy(record);
    EXPECT_TRUE(st.ok()) << st.ToString();
    return db->name();
  }

  std::string engine_;
  Driver* driver_ = nullptr;
  fs::path dir_;
  std::unique_ptr<Catalog> catalog_;
  ConnectionUri server_;
  std::vector<std::string> made_;
  std::vector<std::string> before_;
};

TEST_P(ScratchTest, RegisteredBeforeCreationAndDroppedAndForgottenByDropOrDestructor) {
  std::string name;
  {
    auto db = CreateOrDie("restore-test");
    ASSERT_NE(db, nullptr);
    name = db->name();
    EXPECT_TRUE(StartsWith(name, kScratchPrefix)) << name;
    EXPECT_TRUE(Exists(name));
    auto rows = catalog_->ListScratch();
    ASSERT_TRUE(rows.ok());
    ASSERT_EQ(rows->size(), 1u);
    EXPECT_EQ(rows->front().name, name);
    EXPECT_EQ(rows->front().engine, engine_);
    EXPECT_EQ(rows->front().server, server_.Redacted());
    EXPECT_EQ(rows->front().purpose, "restore-test");
    EXPECT_EQ(rows->front().pid, ::getpid());
    EXPECT_EQ(rows->front().host, Host());
    Exec(db->uri(), "CREATE TABLE t (id INTEGER PRIMARY KEY)");
  }
  EXPECT_FALSE(Exists(name)) << "the destructor drops it";
  EXPECT_TRUE(Registered().empty());

  auto db = CreateOrDie("rehearse");
  ASSERT_NE(db, nullptr);
  ASSERT_TRUE(db->Drop().ok());
  EXPECT_FALSE(Exists(db->name()));
  EXPECT_TRUE(Registered().empty());
  EXPECT_TRUE(db->Drop().ok()) << "dropping twice is fine";
}

TEST_P(ScratchTest, KeptDatabaseIsTheUsersAndPromotedOneABaseCopy) {
  std::string kept;
  {
    auto db = CreateOrDie("restore-test");
    ASSERT_NE(db, nullptr);
    kept = db->name();
    ASSERT_TRUE(db->Keep().ok());
    EXPECT_TRUE(db->Drop().ok()) << "Drop after Keep is a no-op";
  }
  EXPECT_TRUE(Exists(kept)) << "a kept database is never dropped";
  EXPECT_TRUE(Registered().empty()) << "and no longer cutover's";
  EXPECT_TRUE(DropStaleScratch(*catalog_, *driver_, server_).empty());
  EXPECT_TRUE(Exists(kept));
  ASSERT_TRUE(driver_->DropDatabase(server_, kept).ok());

  std::string base;
  {
    auto db = CreateOrDie("rehearse", ScratchNaming::kBaseCopy);
    ASSERT_NE(db, nullptr);
    base = db->name();
    EXPECT_TRUE(StartsWith(base, kBaseCopyPrefix)) << base;
    BaseCopyRecord record;
    record.engine = "ignored";
    record.server = "ignored";
    record.name = "ignored";
    record.snapshot_id = "s1";
    record.target = "prod";
    record.fingerprint = "sha256:abc";
    record.restore_seconds = 2.25;
    ASSERT_TRUE(db->PromoteToBaseCopy(record).ok());
    Status again = db->PromoteToBaseCopy(record);
    EXPECT_EQ(again.code(), StatusCode::kInvalidInput) << again.ToString();
  }
  EXPECT_TRUE(Exists(base)) << "a base copy outlives its ScratchDatabase";
  EXPECT_TRUE(Registered().empty()) << "and is not registered scratch";
  auto found = catalog_->FindBaseCopy(engine_, server_.Redacted(), "s1");
  ASSERT_TRUE(found.ok() && found->has_value()) << found.status().ToString();
  EXPECT_EQ((*found)->name, base);
  EXPECT_EQ((*found)->engine, engine_);
  EXPECT_EQ((*found)->server, server_.Redacted());
  EXPECT_EQ((*found)->fingerprint, "sha256:abc");
  EXPECT_EQ((*found)->restore_seconds, 2.25);
  EXPECT_TRUE(ParseIso8601((*found)->created_at).ok()) << (*found)->created_at;

  // Stale cleanup never touches it, even with its process gone.
  EXPECT_TRUE(DropStaleScratch(*catalog_, *driver_, server_).empty());
  EXPECT_TRUE(Exists(base));

  // A newer snapshot replaces it.
  Snapshot("s1");
  Snapshot("s2");
  const std::string newer = BaseCopy("s2", "prod");
  BaseCopyCleanup cleanup = DropReplacedBaseCopies(*catalog_, *driver_, server_, "prod", "s2");
  EXPECT_TRUE(cleanup.warnings.empty()) << cleanup.warnings.front();
  EXPECT_EQ(cleanup.dropped, std::vector<std::string>{base});
  EXPECT_FALSE(Exists(base));
  EXPECT_TRUE(Exists(newer));
  auto copies = catalog_->ListBaseCopies();
  ASSERT_TRUE(copies.ok());
  ASSERT_EQ(copies->size(), 1u);
  EXPECT_EQ(copies->front().name, newer);
  cleanup = DropReplacedBaseCopies(*catalog_, *driver_, server_, "prod", "");
  EXPECT_EQ(cleanup.dropped, std::vector<std::string>{newer}) << "no snapshot to keep drops them all";
  EXPECT_FALSE(Exists(newer));
}

TEST_P(ScratchTest, StaleScratchOfADeadProcessOnThisHostIsDroppedAndNothingElse) {
  const std::int64_t dead = DeadPid();
  auto register_on = [&](const std::string& name, const std::string& host, std::int64_t pid,
                         const std::string& server, const std::string& engine, bool create) {
    ASSERT_TRUE(
        catalog_->RegisterScratch({name, engine, server, host, pid, "2026-01-01T00:00:00Z", "restore-test"})
            .ok());
    if (create) {
      made_.push_back(name);
      ASSERT_TRUE(driver_->CreateDatabase(server_, name).ok());
    }
  };
  const std::string stale = NewDatabaseName(ScratchNaming::kScratch) + "_stale";
  const std::string alive = NewDatabaseName(ScratchNaming::kScratch) + "_alive";
  const std::string elsewhere = NewDatabaseName(ScratchNaming::kScratch) + "_host";
  const std::string other_server = NewDatabaseName(ScratchNaming::kScratch) + "_server";
  const std::string other_engine = NewDatabaseName(ScratchNaming::kScratch) + "_engine";
  register_on(stale, Host(), dead, server_.Redacted(), engine_, true);
  register_on(alive, Host(), ::getpid(), server_.Redacted(), engine_, true);
  register_on(elsewhere, "another-host", dead, server_.Redacted(), engine_, true);
  register_on(other_server, Host(), dead, "sqlite:///nowhere/else", engine_, true);
  register_on(other_engine, Host(), dead, server_.Redacted(), engine_ + "x", true);
  ASSERT_FALSE(HasFailure());
  const std::string base = BaseCopy("s1", "prod");

  auto dropped = DropStaleScratch(*catalog_, *driver_, server_);
  EXPECT_EQ(dropped, std::vector<std::string>{stale});
  EXPECT_FALSE(Exists(stale));
  for (const auto& name : {alive, elsewhere, other_server, other_engine, base})
    EXPECT_TRUE(Exists(name)) << name;
  auto registered = Registered();
  EXPECT_EQ(registered.size(), 4u);
  EXPECT_EQ(std::count(registered.begin(), registered.end(), stale), 0);
}

TEST_P(ScratchTest, CloneCopiesTheSourceOrPassesKUnsupportedThroughLeavingNothing) {
  auto source = CreateOrDie("rehearse", ScratchNaming::kBaseCopy);
  ASSERT_NE(source, nullptr);
  Exec(source->uri(), "CREATE TABLE t (id INTEGER PRIMARY KEY); INSERT INTO t VALUES (1), (2), (3)");
  ASSERT_FALSE(HasFailure());
  auto clone = ScratchDatabase::Clone(*catalog_, *driver_, server_, source->name(), "rehearse");
  if (!clone.ok()) {
    // The engine cannot clone (or its plugin does not yet): the caller restores instead.
    EXPECT_EQ(clone.status().code(), StatusCode::kUnsupported) << clone.status().ToString();
    EXPECT_EQ(Registered(), std::vector<std::string>{source->name()}) << "nothing left registered";
    EXPECT_EQ(Databases(), std::vector<std::string>{source->name()}) << "nothing left on the server";
  } else {
    made_.push_back((*clone)->name());
    EXPECT_TRUE(StartsWith((*clone)->name(), kScratchPrefix));
    EXPECT_EQ(Registered().size(), 2u);
    auto conn = driver_->Connect((*clone)->uri());
    ASSERT_TRUE(conn.ok()) << conn.status().ToString();
    EXPECT_EQ(testing::Scalar(**conn, "SELECT count(*) FROM t"), "3");
    conn->reset();
    const std::string name = (*clone)->name();
    clone->reset();
    EXPECT_FALSE(Exists(name));
    EXPECT_TRUE(Exists(source->name())) << "dropping the clone leaves its source";
  }

  // A source that does not exist: an error naming both, nothing left.
  auto missing = ScratchDatabase::Clone(*catalog_, *driver_, server_, "cutover_base_missing_x", "rehearse");
  ASSERT_FALSE(missing.ok());
  if (missing.status().code() != StatusCode::kUnsupported) {
    EXPECT_NE(missing.status().message().find("cutover_base_missing_x"), std::string::npos)
        << missing.status().message();
    EXPECT_NE(missing.status().message().find("cloning"), std::string::npos) << missing.status().message();
  }
  EXPECT_EQ(Registered(), std::vector<std::string>{source->name()});
  EXPECT_EQ(Databases(), std::vector<std::string>{source->name()});
  auto unnamed = ScratchDatabase::Clone(*catalog_, *driver_, server_, "", "rehearse");
  EXPECT_EQ(unnamed.status().code(), StatusCode::kInvalidInput);
}

INSTANTIATE_TEST_SUITE_P(AllEngines, ScratchTest, ::testing::ValuesIn(testing::AllEngines()));

// ---- failure paths (SQLite: the scratch server is a directory we can break) ----

class SqliteScratchTest : public ScratchTest {};

TEST_P(SqliteScratchTest, FailureToCreateLeavesNothingRegistered) {
  const fs::path file = dir_ / "a-file";
  std::ofstream(file) << "x";
  auto uri = ConnectionUri::Parse("sqlite://" + file.string());
  ASSERT_TRUE(uri.ok());
  auto made = ScratchDatabase::Create(*catalog_, *driver_, *uri, "restore-test");
  ASSERT_FALSE(made.ok());
  EXPECT_NE(made.status().message().find("creating scratch database cutover_scratch_"), std::string::npos)
      << made.status().message();
  EXPECT_NE(made.status().message().find(file.string()), std::string::npos) << made.status().message();
  EXPECT_TRUE(Registered().empty());
}

TEST_P(SqliteScratchTest, FailedDropKeepsTheRowForTheNextCleanupAndIsNotRetriedByTheDestructor) {
  std::string name;
  fs::path blocker;
  {
    auto db = CreateOrDie("restore-test");
    ASSERT_NE(db, nullptr);
    name = db->name();
    // A directory where the journal would be: unlink fails, even for root.
    blocker = fs::path(server_.path()) / (name + ".db-journal");
    fs::create_directories(blocker / "x");
    Status dropped = db->Drop();
    EXPECT_FALSE(dropped.ok());
    EXPECT_NE(dropped.message().find(name), std::string::npos) << dropped.message();
    EXPECT_EQ(Registered(), std::vector<std::string>{name}) << "the row stays for the next cleanup";
    fs::remove_all(blocker);  // a retry by the destructor would now succeed and forget the row
  }
  EXPECT_EQ(Registered(), std::vector<std::string>{name})
      << "the destructor does not retry a drop whose failure its caller reported";

  // The destructor's own drop failing: logged, row kept.
  {
    auto db = CreateOrDie("restore-test");
    ASSERT_NE(db, nullptr);
    blocker = fs::path(server_.path()) / (db->name() + ".db-wal");
    fs::create_directories(blocker / "x");
    name = db->name();
  }
  EXPECT_EQ(Registered().size(), 2u);
  fs::remove_all(blocker);
  // A process that is alive (this one) is not stale: nothing dropped yet.
  EXPECT_TRUE(DropStaleScratch(*catalog_, *driver_, server_).empty());
}

TEST_P(SqliteScratchTest, ReplacedAndDeletedBaseCopiesAreDroppedOthersKeptFailuresWarned) {
  Snapshot("s1");
  Snapshot("s2");
  Snapshot("s0", /*deleted=*/true);
  Snapshot("s3");
  const std::string prod_old = BaseCopy("s1", "prod");
  const std::string prod_new = BaseCopy("s2", "prod");
  const std::string staging_deleted = BaseCopy("s0", "staging");
  const std::string staging_live = BaseCopy("s3", "staging");
  const std::string unknown_snapshot = BaseCopy("never-recorded", "staging");
  ASSERT_FALSE(HasFailure());
  // The same kind of copy on another server is out of reach: untouched.
  ConnectionUri other = testing::ServerUri("sqlite");
  ASSERT_TRUE(driver_->CreateDatabase(other, "cutover_base_other").ok());
  ASSERT_TRUE(catalog_
                  ->RecordBaseCopy(
                      {engine_, other.Redacted(), "cutover_base_other", "s1", "prod", "", NowIso8601(), 1})
                  .ok());
  // One copy whose drop fails.
  const std::string stuck = BaseCopy("s1", "prod");
  const fs::path blocker = fs::path(server_.path()) / (stuck + ".db-shm");
  fs::create_directories(blocker / "x");

  BaseCopyCleanup cleanup = DropReplacedBaseCopies(*catalog_, *driver_, server_, "prod", "s2");
  std::sort(cleanup.dropped.begin(), cleanup.dropped.end());
  std::vector<std::string> expected = {prod_old, staging_deleted};
  std::sort(expected.begin(), expected.end());
  EXPECT_EQ(cleanup.dropped, expected);
  ASSERT_EQ(cleanup.warnings.size(), 1u);
  EXPECT_NE(cleanup.warnings[0].find(stuck), std::string::npos) << cleanup.warnings[0];
  EXPECT_NE(cleanup.warnings[0].find("the next run retries"), std::string::npos) << cleanup.warnings[0];
  for (const auto& kept : {prod_new, staging_live, unknown_snapshot}) EXPECT_TRUE(Exists(kept)) << kept;
  EXPECT_FALSE(Exists(prod_old));
  EXPECT_FALSE(Exists(staging_deleted));

  auto copies = catalog_->ListBaseCopies();
  ASSERT_TRUE(copies.ok());
  std::vector<std::string> rows;
  for (const auto& c : *copies) rows.push_back(c.name);
  std::sort(rows.begin(), rows.end());
  std::vector<std::string> expected_rows = {prod_new, staging_live, unknown_snapshot, "cutover_base_other",
                                            stuck};
  std::sort(expected_rows.begin(), expected_rows.end());
  EXPECT_EQ(rows, expected_rows) << "a failed drop keeps its row";

  // Next time it works.
  fs::remove_all(blocker);
  cleanup = DropReplacedBaseCopies(*catalog_, *driver_, server_, "prod", "s2");
  EXPECT_EQ(cleanup.dropped, std::vector<std::string>{stuck});
  EXPECT_TRUE(cleanup.warnings.empty());
  EXPECT_TRUE(fs::exists(fs::path(other.path()) / "cutover_base_other.db"));
  fs::remove_all(other.path());
}

INSTANTIATE_TEST_SUITE_P(Sqlite, SqliteScratchTest, ::testing::Values("sqlite"));

}  // namespace
}  // namespace cutover::snapshot
