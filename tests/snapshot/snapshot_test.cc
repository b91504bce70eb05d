// The snapshot pipeline end to end on every engine: snapshot the fixture
// shop database, verify (cheap and deep), restore-test into a scratch
// database; then every kind of damage, each of which verify and restore-test
// must report naming the table and file; and a restore into a non-empty
// database, which must be refused without changing anything.
#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <filesystem>
#include <fstream>
#include <map>
#include <mutex>

#include "base/file_env.h"
#include "base/strings.h"
#include "catalog/catalog.h"
#include "lint_xml_check.h"
#include "schema/fingerprint.h"
#include "snapshot/restore.h"
#include "snapshot/restore_check.h"
#include "snapshot/take.h"
#include "snapshot/verify.h"
#include "support/process.h"
#include "support/test_env.h"

namespace cutover::snapshot {
namespace {
namespace fs = std::filesystem;
using testing::ScratchDatabase;

std::string Joined(const std::vector<std::string>& v) {
  std::string s;
  for (const auto& x : v) s += x + "\n";
  return s;
}

bool AnyContains(const std::vector<std::string>& v, const std::string& needle) {
  for (const auto& x : v) {
    if (x.find(needle) != std::string::npos) return true;
  }
  return false;
}

class SnapshotPipeline : public ::testing::TestWithParam<std::string> {
 protected:
  void SetUp() override {
    engine_ = GetParam();
    driver_ = testing::TestDriver(engine_);
    ASSERT_NE(driver_, nullptr);
    std::string pattern = (fs::temp_directory_path() / "cutover-snaptest-XXXXXX").string();
    ASSERT_NE(mkdtemp(pattern.data()), nullptr);
    dir_ = pattern;
    auto repo = Repository::Open(dir_ / "repo");
    ASSERT_TRUE(repo.ok());
    repo_ = std::make_unique<Repository>(std::move(*repo));
    auto catalog = Catalog::Open(testing::TestLoader(), dir_ / "repo");
    ASSERT_TRUE(catalog.ok()) << catalog.status().ToString();
    catalog_ = std::move(*catalog);
    source_ = std::make_unique<ScratchDatabase>(engine_);
    ASSERT_FALSE(source_->name().empty());
    std::string fixture_dir = engine_ == "postgresql" ? "postgresql" : engine_;
    source_->Exec(testing::ReadFileOrDie(testing::SourceDir() + "/fixtures/" + fixture_dir + "/shop.sql"));
    ASSERT_FALSE(HasFailure());
  }
  void TearDown() override {
    source_.reset();
    catalog_.reset();
    fs::remove_all(dir_);
  }

  Manifest Take(std::int64_t split_bytes = std::int64_t{64} << 20, std::int64_t chunk_raw_bytes = 256) {
    SnapshotRequest req;
    req.driver = driver_;
    req.uri = source_->uri();
    req.target_label = "shop";
    req.jobs = 2;
    req.chunk_raw_bytes = chunk_raw_bytes;  // 256: many small chunks, every table gets several
    req.split_bytes = split_bytes;
    req.layout = layout_;
    auto out = TakeSnapshot(*repo_, req);
    EXPECT_TRUE(out.ok()) << out.status().ToString();
    return out.ok() ? out->manifest : Manifest{};
  }

  VerifyReport Verify(const std::string& id, bool deep) {
    auto r = VerifySnapshot(*repo_, id, deep, 2, Progress::Mode::kOff, &testing::TestLoader());
    EXPECT_TRUE(r.ok()) << r.status().ToString();
    return r.ok() ? *r : VerifyReport{};
  }

  RestoreTestReport RestoreTest(const Manifest& m) {
    RestoreTestRequest req;
    req.driver = driver_;
    req.scratch_server = scratch_server_;
    req.jobs = 2;
    auto r = RunRestoreTest(*repo_, *catalog_, m, req);
    EXPECT_TRUE(r.ok()) << r.status().ToString();
    return r.ok() ? *r : RestoreTestReport{};
  }

  // A table with at least two chunks, and one of its chunk files.
  const TableEntry& BiggestTable(const Manifest& m) {
    const TableEntry* best = &m.tables.at(0);
    for (const auto& t : m.tables) {
      if (t.raw_bytes > best->raw_bytes) best = &t;
    }
    return *best;
  }

  std::string engine_;
  // The tests of this fixture check the records layout on every engine;
  // ImageSnapshotPipeline checks SQLite's image layout.
  SnapshotRequest::LayoutChoice layout_ = SnapshotRequest::LayoutChoice::kRecords;
  Driver* driver_ = nullptr;
  fs::path dir_;
  std::unique_ptr<Repository> repo_;
  std::unique_ptr<Catalog> catalog_;
  std::unique_ptr<ScratchDatabase> source_;
  ConnectionUri scratch_server_ = testing::ServerUri(GetParam());
};

TEST_P(SnapshotPipeline, SnapshotVerifiesAndRestoreTestPasses) {
  Manifest m = Take();
  ASSERT_FALSE(m.id.empty());
  EXPECT_EQ(m.engine, driver_->info().name);
  EXPECT_GT(m.tables.size(), 3u);
  EXPECT_GT(m.TotalRows(), 0);
  EXPECT_FALSE(m.point.empty());
  // The URI's own password, wherever it could land in the manifest file.
  if (const auto password = source_->uri().password(); password && !password->empty()) {
    const std::string text = testing::ReadFileOrDie((repo_->SnapshotDir(m.id) / kManifestFile).string());
    EXPECT_NE(text.find(source_->uri().user()), std::string::npos) << "the manifest names the source";
    EXPECT_EQ(text.find(*password), std::string::npos) << "the manifest must not hold the password";
  }

  VerifyReport cheap = Verify(m.id, false);
  EXPECT_TRUE(cheap.ok()) << Joined(cheap.problems);
  VerifyReport deep = Verify(m.id, true);
  EXPECT_TRUE(deep.ok()) << Joined(deep.problems);
  EXPECT_EQ(deep.rows_counted, m.TotalRows() + 3);  // + the three one-record schema files

  RestoreTestReport rt = RestoreTest(m);
  EXPECT_TRUE(rt.ok) << Joined(rt.problems);
  EXPECT_EQ(rt.rows, m.TotalRows());
  EXPECT_GT(rt.restore_seconds, 0);
  // The scratch database was dropped and forgotten.
  auto left = driver_->ListDatabases(scratch_server_, rt.scratch_database);
  ASSERT_TRUE(left.ok());
  EXPECT_TRUE(left->empty());
  EXPECT_TRUE(catalog_->ListScratch()->empty());
  auto last = catalog_->LastSuccessfulRestoreTest("shop");
  ASSERT_TRUE(last.ok());
  ASSERT_TRUE(last->has_value());
  EXPECT_EQ((*last)->snapshot_id, m.id);
}

TEST_P(SnapshotPipeline, EveryKindOfDamageIsReportedByVerifyAndRestoreTest) {
  Manifest m = Take();
  ASSERT_FALSE(m.id.empty());
  const fs::path snap = repo_->SnapshotDir(m.id);
  const TableEntry& big = BiggestTable(m);
  ASSERT_FALSE(big.ranges.at(0).empty());
  const ChunkInfo& victim = big.ranges[0].back();
  const fs::path victim_path = snap / victim.file;
  const std::string original = testing::ReadFileOrDie(victim_path.string());
  auto write = [](const fs::path& p, const std::string& data) {
    std::error_code ec;
    fs::permissions(p, fs::perms::owner_read | fs::perms::owner_write, ec);  // absent after "missing chunk"
    std::ofstream(p, std::ios::binary | std::ios::trunc) << data;
  };

  struct Damage {
    std::string name;
    std::function<void()> apply;
    bool restore_test_fails = true;
  };
  // Another table's chunk, for the swap.
  const ChunkInfo* other = nullptr;
  for (const auto& t : m.tables) {
    if (&t != &big && !t.ranges.empty() && !t.ranges[0].empty()) other = &t.ranges[0][0];
  }
  ASSERT_NE(other, nullptr);
  const std::string other_original = testing::ReadFileOrDie((snap / other->file).string());

  std::vector<Damage> damages{
      {"flipped byte",
       [&] {
         std::string d = original;
         d[d.size() / 2] ^= 0x20;
         write(victim_path, d);
       }},
      {"truncated chunk", [&] { write(victim_path, original.substr(0, original.size() - 3)); }},
      {"missing chunk", [&] { fs::remove(victim_path); }},
      {"chunks swapped between tables",
       [&] {
         write(victim_path, other_original);
         write(snap / other->file, original);
       }},
  };
  for (const auto& damage : damages) {
    SCOPED_TRACE(damage.name);
    damage.apply();
    for (bool deep : {false, true}) {
      VerifyReport r = Verify(m.id, deep);
      EXPECT_FALSE(r.ok()) << "verify " << (deep ? "--deep " : "") << "missed: " << damage.name;
      EXPECT_TRUE(AnyContains(r.problems, victim.file)) << Joined(r.problems);
      EXPECT_TRUE(AnyContains(r.problems, big.table.name)) << Joined(r.problems);
    }
    RestoreTestReport rt = RestoreTest(m);
    EXPECT_FALSE(rt.ok) << "restore-test missed: " << damage.name;
    EXPECT_TRUE(AnyContains(rt.problems, big.table.name) || AnyContains(rt.problems, other->file))
        << Joined(rt.problems);
    // Undo.
    write(victim_path, original);
    write(snap / other->file, other_original);
    ASSERT_TRUE(Verify(m.id, true).ok());
  }

  // An extra chunk nobody named.
  const fs::path extra = snap / "data" / "t99999-r0000-c000000.zst";
  std::ofstream(extra) << "junk";
  VerifyReport with_extra = Verify(m.id, false);
  EXPECT_FALSE(with_extra.ok());
  EXPECT_TRUE(AnyContains(with_extra.problems, "t99999")) << Joined(with_extra.problems);
  fs::remove(extra);

  // An edited manifest: one digit of a row count.
  const fs::path manifest_path = snap / kManifestFile;
  const std::string manifest_text = testing::ReadFileOrDie(manifest_path.string());
  std::string edited = manifest_text;
  size_t at = edited.find("\"rows\": ");
  ASSERT_NE(at, std::string::npos);
  edited[at + 8] = edited[at + 8] == '9' ? '8' : static_cast<char>(edited[at + 8] + 1);
  write(manifest_path, edited);
  VerifyReport edited_report = Verify(m.id, false);
  EXPECT_FALSE(edited_report.ok());
  EXPECT_TRUE(AnyContains(edited_report.problems, "checksum")) << Joined(edited_report.problems);
  EXPECT_EQ(repo_->LoadManifest(m.id).status().code(), StatusCode::kCheckFailed);
  write(manifest_path, manifest_text);
}

// A tamperer who rewrites a chunk AND re-checksums the manifest passes the
// cheap verify; the deep verify and the restore test, which compare content,
// still catch it.
TEST_P(SnapshotPipeline, ReChecksummedTamperingIsCaughtByContentComparison) {
  Manifest m = Take();
  ASSERT_FALSE(m.id.empty());
  const fs::path snap = repo_->SnapshotDir(m.id);
  TableEntry& big = const_cast<TableEntry&>(BiggestTable(m));
  ChunkInfo& victim = big.ranges.at(0).at(0);
  // Drop the chunk's last record, re-encode, and fix every hash the cheap
  // verify looks at, but keep the recorded rows/digest.
  std::string stored = testing::ReadFileOrDie((snap / victim.file).string());
  std::string framed;
  ASSERT_TRUE(DecodeChunk(stored, victim, framed).ok());
  std::vector<std::string_view> records;
  ASSERT_TRUE(SplitFramedRecords(framed, records).ok());
  ASSERT_GE(records.size(), 2u);
  std::string shorter;
  for (size_t i = 0; i + 1 < records.size(); ++i) AppendFramedRecord(shorter, records[i]);
  ChunkInfo forged;
  std::string forged_stored;
  ASSERT_TRUE(EncodeChunk(shorter, 3, forged_stored, forged).ok());
  victim.stored_bytes = forged.stored_bytes;
  victim.stored_sha256 = forged.stored_sha256;
  victim.raw_bytes = forged.raw_bytes;
  victim.raw_xxh128 = forged.raw_xxh128;
  std::int64_t raw = 0;
  for (const auto& r : big.ranges) {
    for (const auto& c : r) raw += c.raw_bytes;
  }
  big.raw_bytes = raw;
  fs::remove(snap / victim.file);
  std::ofstream(snap / victim.file, std::ios::binary) << forged_stored;
  fs::remove(snap / kManifestFile);
  std::ofstream(snap / kManifestFile, std::ios::binary) << Serialize(m);

  EXPECT_TRUE(Verify(m.id, false).ok()) << "precondition: the forgery passes the cheap checks";
  VerifyReport deep = Verify(m.id, true);
  EXPECT_FALSE(deep.ok());
  EXPECT_TRUE(AnyContains(deep.problems, victim.file)) << Joined(deep.problems);
  RestoreTestReport rt = RestoreTest(m);
  EXPECT_FALSE(rt.ok);
  EXPECT_TRUE(AnyContains(rt.problems, big.table.name)) << Joined(rt.problems);
}

TEST_P(SnapshotPipeline, RestoreIntoANonEmptyDatabaseIsRefusedAndChangesNothing) {
  Manifest m = Take();
  ASSERT_FALSE(m.id.empty());
  ScratchDatabase target(engine_);
  target.Exec(engine_ == "mysql"
                  ? "CREATE TABLE keepme (id INT PRIMARY KEY); INSERT INTO keepme VALUES (42);"
                  : "CREATE TABLE keepme (id INT PRIMARY KEY); INSERT INTO keepme VALUES (42);");
  auto before_conn = target.Connect();
  ASSERT_NE(before_conn, nullptr);
  auto before = before_conn->ReadSchema();
  ASSERT_TRUE(before.ok());
  RestoreRequest req;
  req.driver = driver_;
  req.into = target.uri();
  auto out = RestoreSnapshot(*repo_, m, req);
  EXPECT_EQ(out.status().code(), StatusCode::kCheckFailed);
  EXPECT_NE(out.status().message().find("not empty"), std::string::npos) << out.status().ToString();
  auto after = before_conn->ReadSchema();
  ASSERT_TRUE(after.ok());
  EXPECT_EQ(Fingerprint(*before), Fingerprint(*after));
  std::int64_t rows = 0;
  ASSERT_TRUE(before_conn
                  ->Query("SELECT id FROM keepme",
                          [&](RowView) {
                            ++rows;
                            return Status::Ok();
                          })
                  .ok());
  EXPECT_EQ(rows, 1);

  // And into an empty one it works, with the same schema.
  ScratchDatabase empty(engine_);
  req.into = empty.uri();
  auto ok = RestoreSnapshot(*repo_, m, req);
  ASSERT_TRUE(ok.ok()) << ok.status().ToString();
  EXPECT_EQ(ok->rows, m.TotalRows());
  auto conn = empty.Connect();
  ASSERT_NE(conn, nullptr);
  auto model = conn->ReadSchema();
  ASSERT_TRUE(model.ok());
  EXPECT_EQ(Fingerprint(*model), m.fingerprint);
}

// Issue 14: `restore --into` a database that does not exist yet creates it
// (as pg_restore --create and myloader do); a restore that then fails drops
// what it created, and nothing else.
TEST_P(SnapshotPipeline, RestoreIntoAMissingDatabaseCreatesItAndDropsItWhenTheRestoreFails) {
  Manifest m = Take();
  ASSERT_FALSE(m.id.empty());
  const ConnectionUri server = testing::ServerUri(engine_);
  fs::create_directories(dir_ / "targets");
  auto target_uri = [&](const std::string& name) {
    return engine_ == "sqlite" ? server.WithPath((dir_ / "targets" / (name + ".db")).string())
                               : server.WithDatabase(name);
  };
  auto restore = [&](const ConnectionUri& into) {
    const testing::CliTarget cli = testing::ForCli(into);
    return testing::RunCutover({"--repo", (dir_ / "repo").string(), "--driver-path", CUTOVER_TEST_DRIVER_DIR,
                                "--no-progress", "restore", m.id, "--into", cli.text},
                               testing::ProcessOptions().Env(cli.env));
  };
  const ConnectionUri fresh = target_uri(testing::UniqueName("cutover_scratch_new_"));
  testing::RunResult r = restore(fresh);
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_NE(r.err.find("created"), std::string::npos) << r.err;
  {
    auto conn = driver_->Connect(fresh);
    ASSERT_TRUE(conn.ok()) << conn.status().ToString();
    auto model = (*conn)->ReadSchema();
    ASSERT_TRUE(model.ok());
    EXPECT_EQ(Fingerprint(*model), m.fingerprint);
  }
  EXPECT_TRUE(driver_->DropTarget(fresh).ok());

  // A damaged chunk: the restore fails after creating the database, which goes.
  const TableEntry& big = BiggestTable(m);
  const fs::path victim = repo_->SnapshotDir(m.id) / big.ranges.at(0).back().file;
  fs::permissions(victim, fs::perms::owner_read | fs::perms::owner_write);
  std::ofstream(victim, std::ios::binary | std::ios::trunc) << "not a chunk";
  const ConnectionUri doomed = target_uri(testing::UniqueName("cutover_scratch_doomed_"));
  testing::RunResult failed = restore(doomed);
  EXPECT_NE(failed.exit_code, 0) << failed.out << failed.err;
  EXPECT_NE(failed.err.find("the database cutover created for it was dropped"), std::string::npos)
      << failed.err;
  EXPECT_FALSE(driver_->Connect(doomed).ok()) << "the database the failed restore created is gone";
  if (engine_ == "sqlite") {
    EXPECT_FALSE(fs::exists(doomed.path()));
  }
}

TEST_P(SnapshotPipeline, AcceptanceChecksMustReturnNoRows) {
  Manifest m = Take();
  ASSERT_FALSE(m.id.empty());
  const fs::path good = dir_ / "good.sql";
  const fs::path bad = dir_ / "bad.sql";
  std::ofstream(good) << "-- no customer without an email\nSELECT 1 WHERE 1 = 0;\n";
  std::ofstream(bad) << "SELECT 1 WHERE 1 = 0;\n\nSELECT 'found' AS problem;\n";
  RestoreTestRequest req;
  req.driver = driver_;
  req.scratch_server = scratch_server_;
  req.check_files = {good.string()};
  auto pass = RunRestoreTest(*repo_, *catalog_, m, req);
  ASSERT_TRUE(pass.ok()) << pass.status().ToString();
  EXPECT_TRUE(pass->ok) << Joined(pass->problems);
  EXPECT_EQ(pass->acceptance_queries, 1);
  req.check_files = {good.string(), bad.string()};
  auto fail = RunRestoreTest(*repo_, *catalog_, m, req);
  ASSERT_TRUE(fail.ok()) << fail.status().ToString();
  EXPECT_FALSE(fail->ok);
  EXPECT_TRUE(AnyContains(fail->problems, bad.string() + ":3")) << Joined(fail->problems);
  EXPECT_TRUE(AnyContains(fail->problems, "found")) << Joined(fail->problems);
}

// Every problem of a report is the detail of exactly one failed check, and
// every failed check is a problem: the JUnit file tells the whole verdict.
void ExpectChecksMatchProblems(const RestoreTestReport& r) {
  std::vector<std::string> failed;
  for (const auto& c : r.checks) {
    if (c.outcome == RestoreCheck::Outcome::kFailed) failed.push_back(c.detail);
  }
  std::vector<std::string> problems = r.problems;
  std::sort(failed.begin(), failed.end());
  std::sort(problems.begin(), problems.end());
  EXPECT_EQ(failed, problems);
}

// restore-test --junit's document: well formed, one test case per check.
struct JunitCases {
  std::string xml;
  std::map<std::string, std::string>
      outcome;  // test case name -> passed, failed: <message>, skipped: <message>
  int failures = 0, skipped = 0, tests = 0;
};
JunitCases ParseJunit(const RestoreTestReport& r) {
  JunitCases out;
  out.xml = RestoreTestJunit(r);
  testing::XmlCheck check(out.xml);
  const std::string problem = check.Run();
  EXPECT_EQ(problem, "") << out.xml;
  if (!problem.empty()) return out;
  auto suites = check.Elements("testsuite");
  EXPECT_EQ(suites.size(), 1u);
  if (suites.size() != 1) return out;
  EXPECT_EQ(suites[0]["name"], "cutover restore-test " + r.snapshot_id);
  out.tests = std::stoi(suites[0]["tests"]);
  out.failures = std::stoi(suites[0]["failures"]);
  out.skipped = std::stoi(suites[0]["skipped"]);
  EXPECT_EQ(out.tests, static_cast<int>(r.checks.size()));
  EXPECT_EQ(check.counts().count("testcase") ? check.counts().at("testcase") : 0, out.tests);
  // The cases in document order, with their outcome element.
  size_t at = 0;
  for (const auto& c : r.checks) {
    at = out.xml.find("<testcase classname=\"restore-test\" name=\"" + XmlEscape(c.name) + "\"", at);
    EXPECT_NE(at, std::string::npos) << c.name << "\n" << out.xml;
    if (at == std::string::npos) return out;
    const size_t end = out.xml.find("</testcase>", at);
    const std::string body = out.xml.substr(at, end - at);
    std::string& o = out.outcome[c.name];
    if (body.find("<failure message=\"") != std::string::npos) {
      o = "failed: " + c.detail;
      EXPECT_NE(body.find("<failure message=\"" + XmlEscape(c.detail) + "\""), std::string::npos) << body;
    } else if (body.find("<skipped message=\"") != std::string::npos) {
      o = "skipped: " + c.detail;
    } else {
      o = "passed";
      EXPECT_NE(body.find("<system-out>" + XmlEscape(c.detail) + "</system-out>"), std::string::npos) << body;
    }
    at = end;
  }
  return out;
}

TEST_P(SnapshotPipeline, RestoreTestJunitHasOneCasePerCheck) {
  Manifest m = Take();
  ASSERT_FALSE(m.id.empty());
  const fs::path good = dir_ / "good <checks> & \"more\".sql";
  const fs::path bad = dir_ / "bad.sql";
  std::ofstream(good) << "SELECT 1 WHERE 1 = 0;\n";
  std::ofstream(bad) << "SELECT 1 WHERE 1 = 0;\n\nSELECT 'found <it> & \"more\"' AS problem;\n";
  RestoreTestRequest req;
  req.driver = driver_;
  req.scratch_server = scratch_server_;
  req.check_files = {good.string()};

  // Passing: the restore, the schema, every table, the integrity check (or
  // skipped where the engine has none), the acceptance query, the drop.
  auto pass = RunRestoreTest(*repo_, *catalog_, m, req);
  ASSERT_TRUE(pass.ok()) << pass.status().ToString();
  ASSERT_TRUE(pass->ok) << Joined(pass->problems);
  ExpectChecksMatchProblems(*pass);
  JunitCases ok = ParseJunit(*pass);
  // Owners and privileges: compared on PostgreSQL, recorded but not
  // restored on MySQL/MariaDB (skipped), none on SQLite (no check).
  const int access = engine_ == "sqlite" ? 0 : 1;
  const int access_skipped = engine_ == "mysql" ? 1 : 0;
  EXPECT_EQ(ok.tests, static_cast<int>(m.tables.size()) + 5 + access) << ok.xml;
  if (engine_ == "postgresql") {
    EXPECT_EQ(ok.outcome["owners and privileges"], "passed") << ok.xml;
  }
  if (engine_ == "mysql") {
    EXPECT_TRUE(ok.outcome["owners and privileges"].starts_with(
        "skipped: grants recorded in the snapshot, not restored"))
        << ok.xml;
  }
  EXPECT_EQ(ok.failures, 0) << ok.xml;
  EXPECT_EQ(ok.outcome["restore"], "passed");
  EXPECT_EQ(ok.outcome["schema fingerprint"], "passed");
  for (const auto& e : m.tables) {
    const std::string name = "table " + (e.table.schema.empty() ? "" : e.table.schema + ".") + e.table.name;
    EXPECT_EQ(ok.outcome[name], "passed") << name << "\n" << ok.xml;
    EXPECT_NE(ok.xml.find(XmlEscape(std::to_string(e.rows) + " rows, content digest " + e.digest)),
              std::string::npos)
        << name;
  }
  EXPECT_TRUE(ok.outcome["integrity"] == "passed" ||
              ok.outcome["integrity"].starts_with("skipped: not available"))
      << ok.outcome["integrity"];
  EXPECT_EQ(ok.outcome["acceptance check " + good.string() + ":1"], "passed") << ok.xml;
  EXPECT_EQ(ok.outcome["drop the scratch database"], "passed");
  EXPECT_EQ(ok.skipped, (ok.outcome["integrity"] == "passed" ? 0 : 1) + access_skipped);

  // Failing: a query that returns a row, and a check file that is missing.
  req.check_files = {bad.string(), (dir_ / "missing.sql").string()};
  auto fail = RunRestoreTest(*repo_, *catalog_, m, req);
  ASSERT_TRUE(fail.ok()) << fail.status().ToString();
  ASSERT_FALSE(fail->ok);
  ExpectChecksMatchProblems(*fail);
  JunitCases bad_cases = ParseJunit(*fail);
  EXPECT_EQ(bad_cases.failures, 2) << bad_cases.xml;
  EXPECT_EQ(bad_cases.outcome["acceptance check " + bad.string() + ":1"], "passed");
  const std::string found = bad_cases.outcome["acceptance check " + bad.string() + ":3"];
  EXPECT_TRUE(found.starts_with("failed: acceptance check " + bad.string() + ":3 returned 1 row(s)"))
      << found;
  EXPECT_NE(found.find("found <it> & \"more\""), std::string::npos) << found;
  EXPECT_TRUE(
      bad_cases.outcome["acceptance check " + (dir_ / "missing.sql").string()].starts_with("failed: "));
  EXPECT_EQ(bad_cases.outcome["restore"], "passed");

  // A damaged chunk: the restore fails; the checks after it did not run and
  // are skipped, not passed.
  const TableEntry& big = BiggestTable(m);
  const fs::path victim = repo_->SnapshotDir(m.id) / big.ranges.at(0).back().file;
  const std::string original = testing::ReadFileOrDie(victim.string());
  fs::permissions(victim, fs::perms::owner_read | fs::perms::owner_write);
  std::ofstream(victim, std::ios::binary | std::ios::trunc) << original.substr(0, original.size() - 3);
  req.check_files = {good.string()};
  auto broken = RunRestoreTest(*repo_, *catalog_, m, req);
  ASSERT_TRUE(broken.ok()) << broken.status().ToString();
  ASSERT_FALSE(broken->ok);
  ExpectChecksMatchProblems(*broken);
  JunitCases damaged = ParseJunit(*broken);
  EXPECT_TRUE(damaged.outcome["restore"].starts_with("failed: restore failed: ")) << damaged.xml;
  EXPECT_NE(damaged.outcome["restore"].find(big.table.name), std::string::npos) << damaged.outcome["restore"];
  EXPECT_EQ(damaged.outcome["schema fingerprint"], "skipped: the restore failed");
  EXPECT_EQ(damaged.outcome["integrity"], "skipped: the restore failed");
  EXPECT_EQ(damaged.outcome["acceptance check " + good.string()], "skipped: the restore failed");
  EXPECT_EQ(damaged.outcome["drop the scratch database"], "passed");
  EXPECT_EQ(damaged.failures, 1);
  EXPECT_EQ(damaged.skipped, static_cast<int>(m.tables.size()) + 3);
}

// Server engines only: SQLite reads through one connection (no ranges) and
// its scratch "server" is a directory (no user in the URI).
class ServerSnapshotPipeline : public SnapshotPipeline {};

// Every table big enough is read and loaded in ranges (PostgreSQL 14+: by
// page, TID range scans; MariaDB: by key, here a BIGINT UNSIGNED key with
// values above 2^63), and post-data runs on several connections: the
// restored database must still match the snapshot exactly.
TEST_P(ServerSnapshotPipeline, TablesSplitIntoRangesRestoreIdentically) {
  const std::string big = "big \"one\" ñ";
  if (engine_ == "postgresql") {
    source_->Exec(
        "CREATE TABLE \"big \"\"one\"\" ñ\" (id bigint PRIMARY KEY, note text NOT NULL, n int);\n"
        "INSERT INTO \"big \"\"one\"\" ñ\" SELECT g, repeat(md5(g::text), 3), g % 7 FROM "
        "generate_series(1, 20000) g;\n"
        "CREATE INDEX \"by note\" ON \"big \"\"one\"\" ñ\" (note);\n"
        "CREATE UNIQUE INDEX \"by n\" ON \"big \"\"one\"\" ñ\" (n, id);\n"
        "ANALYZE;\n");
  } else {
    source_->Exec(
        "CREATE TABLE `big \"one\" ñ` (id BIGINT UNSIGNED NOT NULL PRIMARY KEY, note VARCHAR(200) NOT NULL, "
        "n int, KEY `by note` (note), UNIQUE KEY `by n` (n, id)) ENGINE=InnoDB;\n"
        "INSERT INTO `big \"one\" ñ` SELECT 18446744073709551615 - seq * 100003, REPEAT(MD5(seq), 3), seq % "
        "7 "
        "FROM seq_1_to_20000;\n"
        "INSERT INTO `big \"one\" ñ` SELECT seq, MD5(seq), NULL FROM seq_0_to_99;\n"
        "ANALYZE TABLE `big \"one\" ñ`;\n");
  }
  ASSERT_FALSE(HasFailure());
  Manifest m = Take(/*split_bytes=*/1, /*chunk_raw_bytes=*/64 << 10);
  ASSERT_FALSE(m.id.empty());
  const TableEntry* entry = nullptr;
  size_t split_tables = 0;
  for (const auto& t : m.tables) {
    if (t.table.name == big) entry = &t;
    if (t.ranges.size() > 1) ++split_tables;
  }
  ASSERT_NE(entry, nullptr);
  EXPECT_EQ(entry->ranges.size(), 8u) << "4 ranges per job";
  EXPECT_EQ(entry->rows, engine_ == "postgresql" ? 20000 : 20100);
  EXPECT_GE(split_tables, 1u);
  RestoreTestReport rt = RestoreTest(m);
  EXPECT_TRUE(rt.ok) << Joined(rt.problems);
  EXPECT_EQ(rt.rows, m.TotalRows());
  bool post_data_timed = false;
  for (const auto& [stage, secs] : rt.stages) {
    if (stage.find("post-data") != std::string::npos) post_data_timed = true;
    EXPECT_GE(secs, 0) << stage;
  }
  EXPECT_TRUE(post_data_timed);

  // The read-back splits the split table again over its connections: one
  // changed row, then one missing row, in one range is still seen.
  auto created = driver_->CreateDatabase(scratch_server_, testing::UniqueName("cutover_scratch_split_"));
  ASSERT_TRUE(created.ok()) << created.status().ToString();
  const ConnectionUri into = *created;
  RestoreRequest req;
  req.driver = driver_;
  req.into = into;
  req.jobs = 2;
  auto restored = RestoreSnapshot(*repo_, m, req);
  ASSERT_TRUE(restored.ok()) << restored.status().ToString();
  auto compare = [&] {
    auto cmp = CompareWithManifest(m, restored->model, *driver_, into, 2, nullptr);
    EXPECT_TRUE(cmp.ok()) << cmp.status().ToString();
    return cmp.ok() ? *cmp : Comparison{};
  };
  Comparison same = compare();
  EXPECT_TRUE(same.problems.empty()) << Joined(same.problems);
  EXPECT_EQ(same.rows_read, m.TotalRows());
  auto conn = driver_->Connect(into);
  ASSERT_TRUE(conn.ok()) << conn.status().ToString();
  const std::string table = (*conn)->QuoteIdentifier(big);
  const std::string last_id = engine_ == "postgresql" ? "20000" : "18446744073709551615 - 20000 * 100003";
  ASSERT_TRUE((*conn)->Execute("UPDATE " + table + " SET note = 'changed' WHERE id = " + last_id).ok());
  Comparison changed = compare();
  ASSERT_EQ(changed.problems.size(), 1u) << Joined(changed.problems);
  EXPECT_NE(changed.problems[0].find("content digest"), std::string::npos) << changed.problems[0];
  EXPECT_NE(changed.problems[0].find("ñ"), std::string::npos) << changed.problems[0];
  ASSERT_TRUE((*conn)->Execute("DELETE FROM " + table + " WHERE id = " + last_id).ok());
  Comparison missing = compare();
  ASSERT_EQ(missing.problems.size(), 1u) << Joined(missing.problems);
  EXPECT_NE(missing.problems[0].find(std::to_string(entry->rows - 1) + " rows restored"), std::string::npos)
      << missing.problems[0];
  conn->reset();
  EXPECT_TRUE(driver_->DropTarget(into).ok());
}

// A scratch database registered by a killed run is dropped by the next
// restore test on the same server, also when the two runs reached the
// server with and without a password in the URI (user:***@ vs user@).
TEST_P(ServerSnapshotPipeline, StaleScratchIsDroppedWhateverThePasswordSource) {
  Manifest m = Take();
  ASSERT_FALSE(m.id.empty());
  const std::string name = testing::UniqueName("cutover_scratch_stale");
  auto created = driver_->CreateDatabase(scratch_server_, name);
  ASSERT_TRUE(created.ok()) << created.status().ToString();
  std::string other = scratch_server_.Redacted();
  const size_t marker = other.find(":***@");
  if (marker != std::string::npos) {
    other.erase(marker, 4);
  } else {
    other.insert(other.find('@'), ":***");
  }
  pid_t child = fork();
  if (child == 0) _exit(0);
  ASSERT_GT(child, 0);
  ASSERT_EQ(waitpid(child, nullptr, 0), child);  // a pid that is certainly gone
  char host[256] = {};
  ASSERT_EQ(gethostname(host, sizeof host - 1), 0);
  ScratchRecord stale;
  stale.name = name;
  stale.engine = driver_->info().name;
  stale.server = other;
  stale.host = host;
  stale.pid = child;
  stale.created_at = "2026-01-01T00:00:00Z";
  stale.purpose = "restore-test";
  ASSERT_TRUE(catalog_->RegisterScratch(stale).ok());
  RestoreTestReport rt = RestoreTest(m);
  EXPECT_TRUE(rt.ok) << Joined(rt.problems);
  EXPECT_TRUE(AnyContains(rt.cleaned_up, name)) << Joined(rt.cleaned_up);
  auto left = driver_->ListDatabases(scratch_server_, name);
  ASSERT_TRUE(left.ok());
  EXPECT_TRUE(left->empty());
}

// SQLite's image layout: the database file's bytes in chunks, each table
// counted and digested by the driver in the image (driver.h, "Database
// images"). The shop gets a bigger table so the image spans many chunks.
class ImageSnapshotPipeline : public SnapshotPipeline {
 protected:
  void SetUp() override {
    SnapshotPipeline::SetUp();
    layout_ = SnapshotRequest::LayoutChoice::kImage;
    source_->Exec(
        "CREATE TABLE \"big \"\"notes\"\" ✓\" (id INTEGER PRIMARY KEY, \"select\" TEXT, payload BLOB);"
        "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 4000) "
        "INSERT INTO \"big \"\"notes\"\" ✓\" SELECT i, printf('note %d %s', i, hex(randomblob(60))), "
        "CASE WHEN i % 500 = 0 THEN randomblob(20000) ELSE randomblob(40) END FROM n;");
  }
  Manifest TakeImage() { return Take(std::int64_t{64} << 20, std::int64_t{64} << 10); }
  static void Write(const fs::path& p, const std::string& data) {
    std::error_code ec;
    fs::permissions(p, fs::perms::owner_read | fs::perms::owner_write, ec);
    std::ofstream(p, std::ios::binary | std::ios::trunc) << data;
  }
};

TEST_P(ImageSnapshotPipeline, ImageSnapshotVerifiesAndRestoresBitForBit) {
  Manifest m = TakeImage();
  ASSERT_FALSE(m.id.empty());
  ASSERT_EQ(m.layout, Layout::kImage);
  EXPECT_GT(m.image.size(), 4u);
  EXPECT_EQ(m.image_bytes, static_cast<std::int64_t>(fs::file_size(source_->uri().path())));
  for (const auto& t : m.tables) EXPECT_TRUE(t.ranges.empty()) << t.table.name;
  std::int64_t big_rows = -1;
  for (const auto& t : m.tables) {
    if (t.table.name == "big \"notes\" ✓") big_rows = t.rows;
  }
  EXPECT_EQ(big_rows, 4000);
  // The manifest says which layout it is, as format version 2.
  const std::string text = testing::ReadFileOrDie((repo_->SnapshotDir(m.id) / kManifestFile).string());
  EXPECT_NE(text.find("\"format_version\": 2"), std::string::npos);
  EXPECT_NE(text.find("\"layout\": \"image\""), std::string::npos);

  EXPECT_TRUE(Verify(m.id, false).ok());
  VerifyReport deep = Verify(m.id, true);
  EXPECT_TRUE(deep.ok()) << Joined(deep.problems);
  EXPECT_EQ(deep.rows_counted, m.TotalRows());

  RestoreTestReport rt = RestoreTest(m);
  EXPECT_TRUE(rt.ok) << Joined(rt.problems);
  EXPECT_EQ(rt.rows, m.TotalRows());
  EXPECT_NE(rt.integrity.find("integrity_check"), std::string::npos) << rt.integrity;

  // restore --into an empty database: the same bytes as the source.
  ScratchDatabase empty(engine_);
  RestoreRequest req;
  req.driver = driver_;
  req.into = empty.uri();
  auto out = RestoreSnapshot(*repo_, m, req);
  ASSERT_TRUE(out.ok()) << out.status().ToString();
  EXPECT_EQ(testing::ReadFileOrDie(empty.uri().path()), testing::ReadFileOrDie(source_->uri().path()));
  EXPECT_EQ(fs::status(empty.uri().path()).permissions() & fs::perms::all,
            fs::perms::owner_read | fs::perms::owner_write);
}

TEST_P(ImageSnapshotPipeline, EveryKindOfDamageIsReportedByVerifyAndRestoreTest) {
  Manifest m = TakeImage();
  ASSERT_GT(m.image.size(), 4u);
  const fs::path snap = repo_->SnapshotDir(m.id);
  const ChunkInfo& victim = m.image[2];
  const ChunkInfo& other = m.image[3];
  const fs::path victim_path = snap / victim.file;
  const std::string original = testing::ReadFileOrDie(victim_path.string());
  const std::string other_original = testing::ReadFileOrDie((snap / other.file).string());
  const std::vector<std::pair<std::string, std::function<void()>>> damages{
      {"flipped byte",
       [&] {
         std::string d = original;
         d[d.size() / 2] ^= 0x20;
         Write(victim_path, d);
       }},
      {"truncated chunk", [&] { Write(victim_path, original.substr(0, original.size() - 3)); }},
      {"missing chunk", [&] { fs::remove(victim_path); }},
      {"chunks swapped",
       [&] {
         Write(victim_path, other_original);
         Write(snap / other.file, original);
       }},
  };
  for (const auto& [name, apply] : damages) {
    SCOPED_TRACE(name);
    apply();
    for (bool deep : {false, true}) {
      VerifyReport r = Verify(m.id, deep);
      EXPECT_FALSE(r.ok()) << "verify " << (deep ? "--deep " : "") << "missed: " << name;
      EXPECT_TRUE(AnyContains(r.problems, victim.file)) << Joined(r.problems);
      EXPECT_TRUE(AnyContains(r.problems, "database image")) << Joined(r.problems);
    }
    RestoreTestReport rt = RestoreTest(m);
    EXPECT_FALSE(rt.ok) << "restore-test missed: " << name;
    EXPECT_TRUE(AnyContains(rt.problems, victim.file) || AnyContains(rt.problems, other.file))
        << Joined(rt.problems);
    Write(victim_path, original);
    Write(snap / other.file, other_original);
    ASSERT_TRUE(Verify(m.id, true).ok());
  }
  const fs::path extra = snap / "data" / "image-c999999.zst";
  std::ofstream(extra) << "junk";
  VerifyReport with_extra = Verify(m.id, false);
  EXPECT_FALSE(with_extra.ok());
  EXPECT_TRUE(AnyContains(with_extra.problems, "image-c999999")) << Joined(with_extra.problems);
  fs::remove(extra);
}

// A tamperer who changes bytes inside the image AND fixes every hash and the
// manifest's checksum passes the cheap verify; the deep verify and the
// restore test, which recount and re-digest the tables in the image, catch
// it and name the table.
TEST_P(ImageSnapshotPipeline, ReChecksummedTamperingIsCaughtByTheTableDigests) {
  Manifest m = TakeImage();
  ASSERT_GT(m.image.size(), 4u);
  const fs::path snap = repo_->SnapshotDir(m.id);
  // A chunk in the middle of the big table's pages: change one byte of
  // note text (ASCII hex digits), which keeps the page well-formed.
  ChunkInfo& victim = m.image[m.image.size() / 2];
  std::string raw;
  ASSERT_TRUE(DecodeChunk(testing::ReadFileOrDie((snap / victim.file).string()), victim, raw).ok());
  const size_t at = raw.find("note ");
  ASSERT_NE(at, std::string::npos) << "no row text in the chosen chunk";
  raw[at + 5] = raw[at + 5] == '7' ? '8' : '7';
  ChunkInfo forged;
  std::string forged_stored;
  ASSERT_TRUE(EncodeChunk(raw, 0, ContentDigest(), 1, forged_stored, forged).ok());
  victim.stored_bytes = forged.stored_bytes;
  victim.stored_sha256 = forged.stored_sha256;
  victim.raw_xxh128 = forged.raw_xxh128;
  Write(snap / victim.file, forged_stored);
  Write(snap / kManifestFile, Serialize(m));

  EXPECT_TRUE(Verify(m.id, false).ok()) << "precondition: the forgery passes the cheap checks";
  VerifyReport deep = Verify(m.id, true);
  EXPECT_FALSE(deep.ok());
  EXPECT_TRUE(AnyContains(deep.problems, "big \"notes\" ✓")) << Joined(deep.problems);
  RestoreTestReport rt = RestoreTest(m);
  EXPECT_FALSE(rt.ok);
  EXPECT_TRUE(AnyContains(rt.problems, "big \"notes\" ✓")) << Joined(rt.problems);
}

TEST_P(ImageSnapshotPipeline, RestoreRefusesANonEmptyTargetOrAStrayJournalAndChangesNothing) {
  Manifest m = TakeImage();
  ASSERT_EQ(m.layout, Layout::kImage);
  ScratchDatabase target(engine_);
  target.Exec("CREATE TABLE keepme (id INTEGER PRIMARY KEY); INSERT INTO keepme VALUES (42);");
  const std::string before = testing::ReadFileOrDie(target.uri().path());
  RestoreRequest req;
  req.driver = driver_;
  req.into = target.uri();
  auto out = RestoreSnapshot(*repo_, m, req);
  EXPECT_EQ(out.status().code(), StatusCode::kCheckFailed) << out.status().ToString();
  EXPECT_EQ(testing::ReadFileOrDie(target.uri().path()), before);

  // An empty WAL-mode database that another connection holds open: its
  // -wal file would be applied to the new file, so the restore refuses.
  ScratchDatabase empty(engine_);
  empty.Exec("PRAGMA journal_mode = WAL; CREATE TABLE gone (x); DROP TABLE gone;");
  auto holder = empty.Connect();
  ASSERT_NE(holder, nullptr);
  ASSERT_TRUE(holder->Execute("SELECT count(*) FROM sqlite_schema").ok());
  const std::string wal = empty.uri().path() + "-wal";
  ASSERT_TRUE(fs::exists(wal));
  const std::string empty_before = testing::ReadFileOrDie(empty.uri().path());
  req.into = empty.uri();
  auto refused = RestoreSnapshot(*repo_, m, req);
  EXPECT_EQ(refused.status().code(), StatusCode::kInvalidInput) << refused.status().ToString();
  EXPECT_NE(refused.status().message().find(wal), std::string::npos) << refused.status().ToString();
  EXPECT_EQ(testing::ReadFileOrDie(empty.uri().path()), empty_before);
  for (const auto& e : fs::directory_iterator(fs::path(empty.uri().path()).parent_path())) {
    EXPECT_EQ(e.path().string().find(".cutover-"), std::string::npos) << "left behind: " << e.path();
  }
}

// A database in WAL mode keeps committed pages in its -wal file: auto falls
// back to records, and --layout image refuses.
TEST_P(ImageSnapshotPipeline, WalModeDatabasesAreSnapshotAsRecords) {
  source_->Exec("PRAGMA journal_mode = WAL;");
  SnapshotRequest req;
  req.driver = driver_;
  req.uri = source_->uri();
  req.target_label = "shop";
  req.layout = SnapshotRequest::LayoutChoice::kImage;
  auto insisted = TakeSnapshot(*repo_, req);
  EXPECT_EQ(insisted.status().code(), StatusCode::kUnsupported) << insisted.status().ToString();
  EXPECT_NE(insisted.status().message().find("WAL"), std::string::npos) << insisted.status().ToString();
  EXPECT_TRUE(repo_->ListCommitted()->empty());
  req.layout = SnapshotRequest::LayoutChoice::kAuto;
  auto automatic = TakeSnapshot(*repo_, req);
  ASSERT_TRUE(automatic.ok()) << automatic.status().ToString();
  EXPECT_EQ(automatic->manifest.layout, Layout::kRecords);
  EXPECT_TRUE(RestoreTest(automatic->manifest).ok);
}

// The image restore through an Env that fails one step. Each fault must
// leave the target's bytes and its directory exactly as they were (no
// temporary file), and fail with kIo (exit 3) naming the target file. The
// injected messages do not name the file: the restore must add it.
enum class ImageFault { kFsync, kRename, kShortWrite, kNoSpace };

const char* FaultName(ImageFault f) {
  switch (f) {
    case ImageFault::kFsync: return "failed fsync";
    case ImageFault::kRename: return "failed rename";
    case ImageFault::kShortWrite: return "short write";
    case ImageFault::kNoSpace: return "ENOSPC";
  }
  return "?";
}

class FaultyEnv : public EnvWrapper {
 public:
  explicit FaultyEnv(ImageFault fault) : EnvWrapper(Env::Default()), fault_(fault) {}
  Result<std::unique_ptr<TempFile>> NewTempFile(const fs::path& dir) override {
    auto file = target().NewTempFile(dir);
    if (!file.ok()) return file;
    return std::unique_ptr<TempFile>(new FaultyTempFile(std::move(*file), *this));
  }
  Status Rename(const fs::path& from, const fs::path& to) override {
    if (fault_ == ImageFault::kRename) return Injected("rename failed: Input/output error");
    return target().Rename(from, to);
  }
  int injected() const { return injected_; }

 private:
  Status Injected(const std::string& what) {
    ++injected_;
    return Status::Io("injected: " + what);
  }
  // Fails the third write: by then other chunks are in the new file.
  class FaultyTempFile : public TempFile {
   public:
    FaultyTempFile(std::unique_ptr<TempFile> inner, FaultyEnv& env) : inner_(std::move(inner)), env_(env) {}
    Status WriteAt(std::int64_t offset, std::string_view data) override {
      const bool fail =
          (env_.fault_ == ImageFault::kShortWrite || env_.fault_ == ImageFault::kNoSpace) && ++writes_ == 3;
      if (!fail) return inner_->WriteAt(offset, data);
      std::lock_guard<std::mutex> lock(env_.mu_);
      if (env_.fault_ == ImageFault::kNoSpace)
        return env_.Injected("writing at byte " + std::to_string(offset) + ": No space left on device");
      // Part of the data reaches the file, then the device gives up.
      CUTOVER_RETURN_IF_ERROR(inner_->WriteAt(offset, data.substr(0, data.size() / 2)));
      return env_.Injected("wrote " + std::to_string(data.size() / 2) + " of " + std::to_string(data.size()) +
                           " bytes at byte " + std::to_string(offset) + ", then: Input/output error");
    }
    Status Sync() override {
      if (env_.fault_ == ImageFault::kFsync) return env_.Injected("fsync failed: Input/output error");
      return inner_->Sync();
    }
    Result<bool> LinkAs(const fs::path& path) override { return inner_->LinkAs(path); }
    std::string OpenPath() const override { return inner_->OpenPath(); }

   private:
    std::unique_ptr<TempFile> inner_;
    FaultyEnv& env_;
    std::atomic<int> writes_{0};
  };

  ImageFault fault_;
  std::mutex mu_;
  int injected_ = 0;
};

std::vector<std::string> DirectoryNames(const fs::path& dir) {
  std::vector<std::string> names;
  for (const auto& e : fs::directory_iterator(dir)) names.push_back(e.path().filename().string());
  std::sort(names.begin(), names.end());
  return names;
}

TEST_P(ImageSnapshotPipeline, RestoreIntoAFileFailingAtEachStepLeavesTheTargetUntouched) {
  Manifest m = TakeImage();
  ASSERT_EQ(m.layout, Layout::kImage);
  ASSERT_GT(m.image.size(), 4u);
  for (ImageFault fault :
       {ImageFault::kFsync, ImageFault::kRename, ImageFault::kShortWrite, ImageFault::kNoSpace}) {
    SCOPED_TRACE(FaultName(fault));
    ScratchDatabase target(engine_);
    target.Exec("PRAGMA user_version = 7;");  // an empty database whose file has bytes to compare
    const std::string path = target.uri().path();
    const fs::path dir = fs::path(path).parent_path();
    const std::string before = testing::ReadFileOrDie(path);
    ASSERT_FALSE(before.empty());
    const auto names_before = DirectoryNames(dir);

    FaultyEnv env(fault);
    auto repo = Repository::OpenExisting(dir_ / "repo", env);
    ASSERT_TRUE(repo.ok()) << repo.status().ToString();
    RestoreRequest req;
    req.driver = driver_;
    req.into = target.uri();
    req.jobs = 2;
    auto out = RestoreSnapshot(*repo, m, req);
    EXPECT_EQ(out.status().code(), StatusCode::kIo) << out.status().ToString();
    EXPECT_EQ(ExitCodeFor(out.status()), 3);
    EXPECT_NE(out.status().message().find(path), std::string::npos) << out.status().ToString();
    EXPECT_NE(out.status().message().find("injected"), std::string::npos) << out.status().ToString();
    EXPECT_EQ(env.injected(), 1);
    EXPECT_EQ(testing::ReadFileOrDie(path), before);
    EXPECT_EQ(DirectoryNames(dir), names_before);
  }
}

// restore-test writes the image into a scratch database without fsync (the
// copy is dropped after the test): an fsync fault cannot happen there, the
// others must fail the restore, be reported, and leave the scratch server's
// directory as it was.
TEST_P(ImageSnapshotPipeline, RestoreTestImageWriteFailingAtEachStepLeavesNothing) {
  Manifest m = TakeImage();
  ASSERT_EQ(m.layout, Layout::kImage);
  for (ImageFault fault :
       {ImageFault::kFsync, ImageFault::kRename, ImageFault::kShortWrite, ImageFault::kNoSpace}) {
    SCOPED_TRACE(FaultName(fault));
    FaultyEnv env(fault);
    auto repo = Repository::OpenExisting(dir_ / "repo", env);
    ASSERT_TRUE(repo.ok()) << repo.status().ToString();

    // The restore step itself, as restore-test runs it.
    ScratchDatabase scratch(engine_);
    const std::string path = scratch.uri().path();
    const fs::path dir = fs::path(path).parent_path();
    const std::string before = testing::ReadFileOrDie(path);
    const auto names_before = DirectoryNames(dir);
    RestoreRequest req;
    req.driver = driver_;
    req.into = scratch.uri();
    req.jobs = 2;
    req.scratch = true;
    auto out = RestoreSnapshot(*repo, m, req);
    if (fault == ImageFault::kFsync) {
      EXPECT_TRUE(out.ok()) << out.status().ToString();
      EXPECT_EQ(env.injected(), 0) << "a scratch restore synced its file";
      continue;
    }
    EXPECT_EQ(out.status().code(), StatusCode::kIo) << out.status().ToString();
    EXPECT_EQ(ExitCodeFor(out.status()), 3);
    EXPECT_NE(out.status().message().find(path), std::string::npos) << out.status().ToString();
    EXPECT_EQ(env.injected(), 1);
    EXPECT_EQ(testing::ReadFileOrDie(path), before);
    EXPECT_EQ(DirectoryNames(dir), names_before);

    // The whole restore-test: a verdict of failure naming the fault, and the
    // scratch server's directory left as it was.
    const auto server_before = DirectoryNames(scratch_server_.path());
    RestoreTestRequest rt_req;
    rt_req.driver = driver_;
    rt_req.scratch_server = scratch_server_;
    rt_req.jobs = 2;
    auto rt = RunRestoreTest(*repo, *catalog_, m, rt_req);
    ASSERT_TRUE(rt.ok()) << rt.status().ToString();
    EXPECT_FALSE(rt->ok);
    EXPECT_TRUE(AnyContains(rt->problems, "restore failed")) << Joined(rt->problems);
    EXPECT_TRUE(AnyContains(rt->problems, "injected")) << Joined(rt->problems);
    EXPECT_TRUE(AnyContains(rt->problems, scratch_server_.path())) << Joined(rt->problems);
    EXPECT_EQ(DirectoryNames(scratch_server_.path()), server_before);
  }
}

INSTANTIATE_TEST_SUITE_P(AllEngines, SnapshotPipeline, ::testing::ValuesIn(testing::AllEngines()),
                         [](const auto& param_info) { return param_info.param; });
INSTANTIATE_TEST_SUITE_P(Sqlite, ImageSnapshotPipeline, ::testing::Values("sqlite"),
                         [](const auto& param_info) { return param_info.param; });
INSTANTIATE_TEST_SUITE_P(ServerEngines, ServerSnapshotPipeline, ::testing::Values("postgresql", "mysql"),
                         [](const auto& param_info) { return param_info.param; });

}  // namespace
}  // namespace cutover::snapshot
