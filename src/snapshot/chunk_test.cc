// Unit tests of the on-disk pieces: record framing, content digests, chunk
// encoding and its checks, the manifest and its checksum, the repository's
// commit point. No database needed.
#include "snapshot/chunk.h"

#include <gtest/gtest.h>
#include <sys/stat.h>

#include <filesystem>
#include <fstream>

#include "base/file_env.h"
#include "snapshot/manifest.h"
#include "snapshot/repository.h"

namespace cutover::snapshot {
namespace {
namespace fs = std::filesystem;

std::string Framed(const std::vector<std::string>& records) {
  std::string framed;
  for (const auto& r : records) AppendFramedRecord(framed, r);
  return framed;
}

TEST(ContentDigest, IsOrderIndependentAndAdditive) {
  ContentDigest a, b, part1, part2;
  a.AddRecord("x");
  a.AddRecord("y");
  a.AddRecord("z");
  b.AddRecord("z");
  b.AddRecord("x");
  b.AddRecord("y");
  EXPECT_EQ(a, b);
  part1.AddRecord("y");
  part2.AddRecord("z");
  part2.AddRecord("x");
  part1.Add(part2);
  EXPECT_EQ(a.Hex(), part1.Hex());
  ContentDigest c;
  c.AddRecord("x");
  c.AddRecord("y");
  c.AddRecord("y");  // a duplicated row is a different multiset
  EXPECT_NE(a, c);
  auto round = ContentDigest::FromHex(a.Hex());
  ASSERT_TRUE(round.ok());
  EXPECT_EQ(*round, a);
  EXPECT_FALSE(ContentDigest::FromHex("xyz").ok());
}

TEST(Framing, RoundTripsEmptyLargeAndBinaryRecords) {
  std::vector<std::string> in{"", std::string(1, '\0'), std::string(300, 'a'), std::string(70000, '\xff'),
                              "tab\there"};
  std::string framed = Framed(in);
  std::vector<std::string_view> out;
  ASSERT_TRUE(SplitFramedRecords(framed, out).ok());
  ASSERT_EQ(out.size(), in.size());
  for (size_t i = 0; i < in.size(); ++i) EXPECT_EQ(out[i], in[i]);
}

TEST(Framing, TruncationIsACheckFailure) {
  std::string framed = Framed({"hello", std::string(200, 'b')});
  for (size_t cut : {framed.size() - 1, size_t{7}, size_t{8}}) {
    std::vector<std::string_view> out;
    Status st = SplitFramedRecords(std::string_view(framed).substr(0, cut), out);
    EXPECT_EQ(st.code(), StatusCode::kCheckFailed) << cut;
  }
}

// Found by the chunk fuzz target: lengths written with padding (0x80 0x00
// for 0) were read, so two byte strings framed the same records. Only the
// writer's form is read now, and no length past 64 bits.
TEST(Framing, OnlyTheWritersLengthFormIsRead) {
  std::vector<std::string_view> out;
  EXPECT_TRUE(SplitFramedRecords(std::string("\x00", 1), out).ok());
  const std::string padded("\x80\x00", 2);
  Status st = SplitFramedRecords(padded, out);
  EXPECT_EQ(st.code(), StatusCode::kCheckFailed);
  EXPECT_NE(st.message().find("a record length at byte 1 is not in the form cutover writes"),
            std::string::npos)
      << st.message();
  const std::string too_long(std::string(9, '\xff') + "\x02");
  EXPECT_EQ(SplitFramedRecords(too_long, out).code(), StatusCode::kCheckFailed);
}

TEST(Chunk, EncodeDecodeAndEveryKindOfDamage) {
  std::string framed = Framed({"1\tone\n", "2\ttwo\n", "\\N\tthree\n"});
  std::string stored;
  ChunkInfo info;
  info.file = "data/t00000-r0000-c000000.zst";
  ASSERT_TRUE(EncodeChunk(framed, 3, stored, info).ok());
  EXPECT_EQ(info.rows, 3);
  EXPECT_EQ(info.raw_bytes, static_cast<std::int64_t>(framed.size()));
  std::string back;
  ASSERT_TRUE(DecodeChunk(stored, info, back).ok());
  EXPECT_EQ(back, framed);

  std::string flipped = stored;
  flipped[flipped.size() / 2] ^= 0x01;
  Status st = DecodeChunk(flipped, info, back);
  EXPECT_EQ(st.code(), StatusCode::kCheckFailed);
  EXPECT_NE(st.message().find(info.file), std::string::npos) << st.message();

  st = CheckStoredBytes(stored.substr(0, stored.size() - 1), info);
  EXPECT_EQ(st.code(), StatusCode::kCheckFailed);
  EXPECT_NE(st.message().find("truncated"), std::string::npos) << st.message();

  ChunkInfo lying = info;
  lying.raw_bytes = kMaxChunkRawBytes + 1;
  EXPECT_EQ(DecodeChunk(stored, lying, back).code(), StatusCode::kCheckFailed);

  ChunkInfo wrong_raw = info;
  wrong_raw.raw_xxh128 = std::string(32, '0');
  EXPECT_EQ(DecodeChunk(stored, wrong_raw, back).code(), StatusCode::kCheckFailed);
}

Manifest SampleManifest() {
  Manifest m;
  m.id = "20261121T101500Z-abcdef";
  m.tool_version = "0.1.0";
  m.engine = "sqlite";
  m.server_product = "SQLite";
  m.server_version = "3.40.1";
  m.source = "sqlite:/tmp/x.db";
  m.target = "shop \"prod\" ünïcode";
  m.point = {{"data_version", "7"}};
  m.started_at = "2026-11-21T10:15:00Z";
  m.finished_at = "2026-11-21T10:15:01Z";
  m.compression_level = 3;
  m.fingerprint = "sha256:" + std::string(64, 'a');
  ChunkInfo schema;
  schema.stored_sha256 = std::string(64, 'b');
  schema.raw_xxh128 = std::string(32, 'c');
  schema.digest = std::string(32, 'd');
  schema.rows = 1;
  m.pre_data = schema;
  m.pre_data.file = "schema/pre-data.sql.zst";
  m.post_data = schema;
  m.post_data.file = "schema/post-data.sql.zst";
  m.model = schema;
  m.model.file = "schema/model.json.zst";
  TableEntry t;
  t.table.name = "order \"items\"";
  t.table.columns = {"id", "select"};
  t.table.split_column = "id";
  ChunkInfo c = schema;
  c.file = "data/t00000-r0000-c000000.zst";
  c.rows = 5;
  c.raw_bytes = 100;
  c.stored_bytes = 50;
  t.ranges = {{c}};
  t.rows = 5;
  t.raw_bytes = 100;
  t.digest = c.digest;
  m.tables.push_back(t);
  return m;
}

TEST(Manifest, RoundTripsAndCarriesItsChecksum) {
  Manifest m = SampleManifest();
  std::string text = Serialize(m);
  auto back = Parse(text, "manifest.json");
  ASSERT_TRUE(back.ok()) << back.status().ToString();
  EXPECT_EQ(Serialize(*back), text);
  EXPECT_EQ(back->target, m.target);
  EXPECT_EQ(back->tables.at(0).table.name, "order \"items\"");
  EXPECT_EQ(ChecksumOf(text).size(), 7u + 64u);
}

// Counts a reader adds up (totals, a table's chunks) must fit in 64 bits:
// a manifest whose two tables hold 2^62 rows each is refused when read,
// not summed into a negative total later. One row fewer still fits.
TEST(Manifest, CountsThatAddUpPast64BitsAreRefused) {
  Manifest m = SampleManifest();
  ASSERT_FALSE(m.tables.empty());
  m.tables.resize(1);
  m.tables.push_back(m.tables[0]);
  m.tables[0].rows = std::int64_t{1} << 62;
  m.tables[1].rows = (std::int64_t{1} << 62) - 1;
  std::string text = Serialize(m);
  ASSERT_TRUE(Parse(text, "m.json").ok());
  // The same manifest with one more row, its checksum recomputed as an
  // attacker would.
  const std::string fits = "\"rows\": " + std::to_string((std::int64_t{1} << 62) - 1);
  const size_t at = text.find(fits);
  ASSERT_NE(at, std::string::npos);
  text.replace(at, fits.size(), "\"rows\": " + std::to_string(std::int64_t{1} << 62));
  auto back = Parse(WithRecomputedChecksum(text), "m.json");
  ASSERT_FALSE(back.ok());
  EXPECT_EQ(back.status().code(), StatusCode::kCheckFailed);
  EXPECT_NE(back.status().message().find("add up past 2^63"), std::string::npos) << back.status().message();
}

TEST(Manifest, AnyEditIsDetected) {
  std::string text = Serialize(SampleManifest());
  // Change one digit of the row count, as a person "fixing" a manifest would.
  std::string edited = text;
  size_t at = edited.find("\"rows\": 5");
  ASSERT_NE(at, std::string::npos);
  edited[at + 8] = '6';
  auto r = Parse(edited, "m.json");
  EXPECT_EQ(r.status().code(), StatusCode::kCheckFailed);
  EXPECT_NE(r.status().message().find("checksum"), std::string::npos);

  EXPECT_EQ(Parse(text.substr(0, text.size() / 2), "m.json").status().code(), StatusCode::kCheckFailed);
  EXPECT_EQ(Parse("", "m.json").status().code(), StatusCode::kCheckFailed);
  EXPECT_EQ(Parse("{\"checksum\": \"sha256:" + std::string(64, '0') + "\"}", "m.json").status().code(),
            StatusCode::kCheckFailed);
}

// A records manifest stays format version 1 (older cutovers read it); an
// image manifest is version 2 and carries its layout and chunks.
TEST(Manifest, ImageLayoutRoundTripsAsVersionTwo) {
  Manifest records = SampleManifest();
  const std::string v1 = Serialize(records);
  EXPECT_NE(v1.find("\"format_version\": 1"), std::string::npos);
  EXPECT_EQ(v1.find("\"layout\""), std::string::npos);

  Manifest m = SampleManifest();
  m.layout = Layout::kImage;
  m.tables[0].ranges.clear();
  m.tables[0].raw_bytes = 0;
  ChunkInfo c = m.pre_data;
  c.rows = 0;
  c.digest = ContentDigest().Hex();
  c.raw_bytes = 65536;
  for (int i = 0; i < 3; ++i) {
    c.file = "data/image-c00000" + std::to_string(i) + ".zst";
    m.image.push_back(c);
  }
  m.image_bytes = 3 * 65536;
  const std::string text = Serialize(m);
  EXPECT_NE(text.find("\"format_version\": 2"), std::string::npos);
  auto back = Parse(text, "manifest.json");
  ASSERT_TRUE(back.ok()) << back.status().ToString();
  EXPECT_EQ(back->layout, Layout::kImage);
  EXPECT_EQ(back->image_bytes, 3 * 65536);
  ASSERT_EQ(back->image.size(), 3u);
  EXPECT_EQ(back->image[2].file, "data/image-c000002.zst");
  EXPECT_EQ(back->TotalRawBytes(), 3 * 65536);
  EXPECT_EQ(back->AllChunks().size(), 3u + 3u);
  EXPECT_EQ(Serialize(*back), text);
}

// A table whose records are in a non-default form (PostgreSQL's binary
// tuples) makes the manifest version 3, which cutovers before it refuse
// instead of loading the records as text; without one it stays version 1.
TEST(Manifest, ARecordFormatRoundTripsAsVersionThree) {
  Manifest m = SampleManifest();
  TableEntry binary = m.tables[0];
  binary.table.name = "binary rows";
  binary.table.record_format = "binary";
  m.tables.push_back(binary);
  const std::string text = Serialize(m);
  EXPECT_NE(text.find("\"format_version\": 3"), std::string::npos) << text;
  EXPECT_NE(text.find("\"layout\": \"records\""), std::string::npos) << text;
  EXPECT_EQ(text.find("\"record_format\": \"\""), std::string::npos) << "the default form is not written";
  auto back = Parse(text, "manifest.json");
  ASSERT_TRUE(back.ok()) << back.status().ToString();
  EXPECT_EQ(back->layout, Layout::kRecords);
  ASSERT_EQ(back->tables.size(), 2u);
  EXPECT_EQ(back->tables[0].table.record_format, "");
  EXPECT_EQ(back->tables[1].table.record_format, "binary");
  EXPECT_EQ(Serialize(*back), text);
}

TEST(Manifest, UnknownLayoutOrNewerVersionIsRefused) {
  Manifest m = SampleManifest();
  m.layout = Layout::kImage;
  m.tables[0].ranges.clear();
  std::string text = Serialize(m);
  // Re-checksummed edits: the structure is what is refused, not the checksum.
  std::string unknown = text;
  unknown.replace(unknown.find("\"layout\": \"image\""), 17, "\"layout\": \"pages\"");
  auto r = Parse(WithRecomputedChecksum(unknown), "m.json");
  EXPECT_EQ(r.status().code(), StatusCode::kCheckFailed);
  EXPECT_NE(r.status().message().find("unknown layout \"pages\""), std::string::npos)
      << r.status().ToString();

  std::string newer = text;
  newer.replace(newer.find("\"format_version\": 2"), 19, "\"format_version\": 4");
  auto n = Parse(WithRecomputedChecksum(newer), "m.json");
  EXPECT_EQ(n.status().code(), StatusCode::kUnsupported);
  EXPECT_NE(n.status().message().find("upgrade cutover"), std::string::npos) << n.status().ToString();
}

TEST(Manifest, RefusesPathsOutsideTheSnapshot) {
  EXPECT_TRUE(IsSafeChunkPath("data/t00001-r0000-c000001.zst"));
  EXPECT_TRUE(IsSafeChunkPath("schema/model.json.zst"));
  for (const char* bad : {"../etc/passwd", "data/../../x", "/etc/passwd", "data/", "other/x", "data/a b",
                          "data//x", "schema/\xc3\xa9"}) {
    EXPECT_FALSE(IsSafeChunkPath(bad)) << bad;
  }
}

class TempRepo : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string pattern = (fs::temp_directory_path() / "cutover-repo-XXXXXX").string();
    ASSERT_NE(mkdtemp(pattern.data()), nullptr);
    root_ = fs::path(pattern) / "repo";
  }
  void TearDown() override { fs::remove_all(root_.parent_path()); }
  fs::path root_;
};

TEST_F(TempRepo, PendingSnapshotsAreInvisibleUntilCommittedAndPrivate) {
  auto repo = Repository::Open(root_);
  ASSERT_TRUE(repo.ok());
  struct stat st {};
  ASSERT_EQ(::stat(root_.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0700u);

  auto pending = repo->StartSnapshot();
  ASSERT_TRUE(pending.ok());
  EXPECT_TRUE(repo->ListCommitted()->empty());
  EXPECT_EQ(repo->Resolve("latest").status().code(), StatusCode::kNotFound);
  // Held lock: cleanup must not remove a snapshot in progress.
  EXPECT_TRUE(repo->CleanUpIncomplete().empty());
  EXPECT_TRUE(fs::exists(pending->dir));

  Manifest m = SampleManifest();
  m.id = pending->id;
  auto checksum = repo->Commit(*pending, m);
  ASSERT_TRUE(checksum.ok()) << checksum.status().ToString();
  ASSERT_EQ(repo->ListCommitted()->size(), 1u);
  EXPECT_EQ(*repo->Resolve("latest"), m.id);
  EXPECT_EQ(*repo->Resolve(m.id.substr(0, 12)), m.id);
  EXPECT_FALSE(fs::exists(pending->dir / ".lock"));
  ASSERT_EQ(::stat((pending->dir / kManifestFile).c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  auto loaded = repo->LoadManifest(m.id);
  ASSERT_TRUE(loaded.ok()) << loaded.status().ToString();

  ASSERT_TRUE(repo->Delete(m.id).ok());
  EXPECT_TRUE(repo->ListCommitted()->empty());
}

TEST_F(TempRepo, AbandonedDirectoryIsCleanedUp) {
  auto repo = Repository::Open(root_);
  ASSERT_TRUE(repo.ok());
  std::string id;
  {
    auto pending = repo->StartSnapshot();
    ASSERT_TRUE(pending.ok());
    id = pending->id;
    pending->lock.reset();  // what a killed process leaves: no manifest, lock free
  }
  ASSERT_TRUE(fs::exists(repo->SnapshotDir(id)));
  auto removed = repo->CleanUpIncomplete();
  ASSERT_EQ(removed.size(), 1u);
  EXPECT_EQ(removed[0], id);
  EXPECT_FALSE(fs::exists(repo->SnapshotDir(id)));
}

// An Env that fails one kind of step of StartSnapshot: where a run killed
// at that step stops.
class StopAtEnv : public EnvWrapper {
 public:
  enum class Step { kLock, kRename };
  explicit StopAtEnv(Step step) : EnvWrapper(Env::Default()), step_(step) {}
  Result<std::unique_ptr<FileLock>> LockFile(const fs::path& path) override {
    if (step_ == Step::kLock && path.parent_path().parent_path().filename() == "staging") {
      return Status::Io("injected: killed before the lock");
    }
    return target().LockFile(path);
  }
  Status Rename(const fs::path& from, const fs::path& to) override {
    if (step_ == Step::kRename) return Status::Io("injected: killed before the rename");
    return target().Rename(from, to);
  }

 private:
  Step step_;
};

// However early a run stops, snapshots/ never holds a directory without its
// lock file (which would look like one being created); what staging/ keeps
// is removed by the next clean-up, at once or once it is a minute old.
TEST_F(TempRepo, ARunStoppedWhileCreatingItsDirectoryLeavesNothingInSnapshots) {
  {
    auto repo = Repository::Open(root_);
    ASSERT_TRUE(repo.ok());
    auto pending = repo->StartSnapshot();
    ASSERT_TRUE(pending.ok());
    EXPECT_TRUE(fs::exists(pending->dir / ".lock")) << "the directory appears with its lock";
    EXPECT_TRUE(fs::is_empty(root_ / "staging"));
    repo->Abandon(*pending);
  }
  // A failed rename removes its staging directory; a run stopped before
  // its lock leaves an empty one without a lock file.
  for (StopAtEnv::Step step : {StopAtEnv::Step::kRename, StopAtEnv::Step::kLock}) {
    StopAtEnv env(step);
    auto repo = Repository::Open(root_, env);
    ASSERT_TRUE(repo.ok());
    auto pending = repo->StartSnapshot();
    ASSERT_EQ(pending.status().code(), StatusCode::kIo);
    EXPECT_TRUE(fs::is_empty(root_ / "snapshots"));
  }
  ASSERT_EQ(std::distance(fs::directory_iterator(root_ / "staging"), fs::directory_iterator()), 1);
  const fs::path lockless = fs::directory_iterator(root_ / "staging")->path();
  EXPECT_FALSE(fs::exists(lockless / ".lock"));
  // A run killed after its lock and before the rename: the lock file stays.
  const fs::path locked = root_ / "staging" / "20261207T000000.000Z-abcdef";
  fs::create_directories(locked);
  { std::ofstream(locked / ".lock") << ""; }

  auto repo = Repository::Open(root_);
  ASSERT_TRUE(repo.ok());
  EXPECT_TRUE(repo->CleanUpIncomplete().empty()) << "staging directories are not snapshots";
  EXPECT_FALSE(fs::exists(locked)) << "a free lock: removed at once";
  EXPECT_TRUE(fs::exists(lockless)) << "no lock and young: it may be a run starting";
  fs::last_write_time(lockless, fs::file_time_type::clock::now() - std::chrono::minutes(2));
  repo->CleanUpIncomplete();
  EXPECT_TRUE(fs::is_empty(root_ / "staging"));
}

TEST_F(TempRepo, ManifestInTheWrongDirectoryIsRefused) {
  auto repo = Repository::Open(root_);
  ASSERT_TRUE(repo.ok());
  auto pending = repo->StartSnapshot();
  ASSERT_TRUE(pending.ok());
  Manifest m = SampleManifest();  // its id is not the directory's
  ASSERT_TRUE(repo->Commit(*pending, m).ok());
  EXPECT_EQ(repo->LoadManifest(pending->id).status().code(), StatusCode::kCheckFailed);
}

// Only `cutover snapshot` creates a repository, and only in a new or empty
// directory; every other command needs an existing one. A mistyped --repo
// is refused and nothing is created anywhere.
TEST_F(TempRepo, ReadingCommandsNeedAnExistingRepository) {
  auto missing = Repository::OpenExisting(root_);
  ASSERT_EQ(missing.status().code(), StatusCode::kInvalidInput);
  EXPECT_NE(missing.status().message().find(root_.string()), std::string::npos) << missing.status().message();
  EXPECT_NE(missing.status().message().find("does not exist"), std::string::npos)
      << missing.status().message();
  EXPECT_FALSE(fs::exists(root_));

  fs::create_directory(root_);
  auto empty = Repository::OpenExisting(root_);
  EXPECT_EQ(empty.status().code(), StatusCode::kInvalidInput);
  EXPECT_NE(empty.status().message().find("not a cutover repository"), std::string::npos);
  EXPECT_TRUE(fs::is_empty(root_));

  ASSERT_TRUE(Repository::Open(root_).ok());  // an empty directory becomes a repository
  EXPECT_TRUE(Repository::OpenExisting(root_).ok());
}

TEST_F(TempRepo, SnapshotRefusesADirectoryThatIsNotARepository) {
  fs::create_directory(root_);
  { std::ofstream(root_ / "notes.txt") << "someone else's files\n"; }
  auto busy = Repository::Open(root_);
  ASSERT_EQ(busy.status().code(), StatusCode::kInvalidInput);
  EXPECT_NE(busy.status().message().find("not a cutover repository"), std::string::npos)
      << busy.status().message();
  EXPECT_FALSE(fs::exists(root_ / "snapshots"));

  const fs::path file = root_.parent_path() / "plain-file";
  { std::ofstream(file) << "x"; }
  auto not_dir = Repository::Open(file);
  ASSERT_EQ(not_dir.status().code(), StatusCode::kInvalidInput);
  EXPECT_NE(not_dir.status().message().find("not a directory"), std::string::npos)
      << not_dir.status().message();
  EXPECT_EQ(Repository::OpenExisting(file).status().code(), StatusCode::kInvalidInput);
}

// An Env whose fsync fails: the commit must fail and leave no manifest.
class FailingSyncEnv : public EnvWrapper {
 public:
  FailingSyncEnv() : EnvWrapper(Env::Default()) {}
  Result<std::unique_ptr<WritableFile>> NewWritableFile(const fs::path& path) override {
    auto f = target().NewWritableFile(path);
    if (!f.ok()) return f.status();
    return std::unique_ptr<WritableFile>(new Failing(std::move(*f)));
  }

 private:
  struct Failing : WritableFile {
    explicit Failing(std::unique_ptr<WritableFile> f) : inner(std::move(f)) {}
    Status Append(std::string_view d) override { return inner->Append(d); }
    Status Sync() override { return Status::Io("injected: fsync failed (EIO)"); }
    Status Close() override { return inner->Close(); }
    std::unique_ptr<WritableFile> inner;
  };
};

TEST_F(TempRepo, FailedFsyncNeverCommits) {
  FailingSyncEnv env;
  auto repo = Repository::Open(root_, env);
  ASSERT_TRUE(repo.ok());
  auto pending = repo->StartSnapshot();
  ASSERT_TRUE(pending.ok());
  Manifest m = SampleManifest();
  m.id = pending->id;
  auto checksum = repo->Commit(*pending, m);
  EXPECT_EQ(checksum.status().code(), StatusCode::kIo);
  EXPECT_FALSE(fs::exists(pending->dir / kManifestFile));
  EXPECT_TRUE(repo->ListCommitted()->empty());
}

}  // namespace
}  // namespace cutover::snapshot
