#include "snapshot/take.h"

#include <spdlog/spdlog.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <chrono>
#include <cmath>
#include <condition_variable>
#include <cstdlib>
#include <cstring>
#include <deque>
#include <map>
#include <mutex>
#include <optional>
#include <thread>

#include "base/kill_point.h"
#include "base/strings.h"
#include "catalog/catalog.h"
#include "schema/fingerprint.h"
#include "schema/schema_json.h"
#include "snapshot/ranges.h"
#include "snapshot/stages.h"

namespace cutover::snapshot {
namespace {

// One query's worth of a table: all of it, or one key range.
struct Task {
  size_t table = 0;
  size_t range = 0;
  std::string predicate;
  std::int64_t estimated_bytes = 0;
};

// A full buffer on its way to a compressor, with the row count and content
// digest its reader computed while framing.
struct Job {
  size_t table = 0;
  size_t range = 0;
  size_t seq = 0;
  std::string framed;
  std::int64_t rows = 0;
  ContentDigest digest;
};

// The first error wins; everyone polls failed() to stop early.
class FirstError {
 public:
  void Set(const Status& st) {
    std::lock_guard<std::mutex> lock(mu_);
    if (status_.ok()) status_ = st;
    failed_ = true;
  }
  bool failed() const { return failed_.load() || InterruptGuard::Requested(); }
  Status status() const {
    std::lock_guard<std::mutex> lock(mu_);
    if (!status_.ok()) return status_;
    if (InterruptGuard::Requested()) {
      return InterruptedStatus("no snapshot was recorded; its partial directory was removed",
                               "run the same snapshot command again");
    }
    return Status::Ok();
  }

 private:
  mutable std::mutex mu_;
  Status status_;
  std::atomic<bool> failed_{false};
};

// Bounded queue: Push blocks while full, so readers cannot outrun the
// compressors by more than `capacity` buffers.
class JobQueue {
 public:
  explicit JobQueue(size_t capacity) : capacity_(capacity) {}
  void Push(Job job) {
    std::unique_lock<std::mutex> lock(mu_);
    not_full_.wait(lock, [&] { return jobs_.size() < capacity_; });
    jobs_.push_back(std::move(job));
    not_empty_.notify_one();
  }
  std::optional<Job> Pop() {
    std::unique_lock<std::mutex> lock(mu_);
    not_empty_.wait(lock, [&] { return !jobs_.empty() || closed_; });
    if (jobs_.empty()) return std::nullopt;
    Job job = std::move(jobs_.front());
    jobs_.pop_front();
    not_full_.notify_one();
    return job;
  }
  void Close() {
    std::lock_guard<std::mutex> lock(mu_);
    closed_ = true;
    not_empty_.notify_all();
  }

 private:
  size_t capacity_;
  std::mutex mu_;
  std::condition_variable not_full_, not_empty_;
  std::deque<Job> jobs_;
  bool closed_ = false;
};

std::string ChunkFileName(size_t table, size_t range, size_t seq) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "data/t%05zu-r%04zu-c%06zu.zst", table, range, seq);
  return buf;
}

// Chunk files written but not yet synced. fsync waits for the disk, which
// a compressor thread should not: one syncer thread syncs and closes the
// files in the background. Bounded, so written-but-unsynced data stays a
// few chunks; Finish() returns the first error, and the manifest (the
// commit point) is written only after every chunk is synced.
class Syncer {
 public:
  explicit Syncer(size_t capacity) : capacity_(capacity), thread_([this] { Run(); }) {}
  ~Syncer() { (void)Finish(); }
  void Push(std::unique_ptr<WritableFile> file, std::string name) {
    std::unique_lock<std::mutex> lock(mu_);
    not_full_.wait(lock, [&] { return files_.size() < capacity_; });
    files_.emplace_back(std::move(file), std::move(name));
    not_empty_.notify_one();
  }
  Status Finish() {
    {
      std::lock_guard<std::mutex> lock(mu_);
      closed_ = true;
      not_empty_.notify_all();
    }
    if (thread_.joinable()) thread_.join();
    return status_;
  }

 private:
  void Run() {
    while (true) {
      std::pair<std::unique_ptr<WritableFile>, std::string> next;
      {
        std::unique_lock<std::mutex> lock(mu_);
        not_empty_.wait(lock, [&] { return !files_.empty() || closed_; });
        if (files_.empty()) return;
        next = std::move(files_.front());
        files_.pop_front();
        not_full_.notify_one();
      }
      Status st = next.first->Sync();
      Status closed = next.first->Close();
      if (st.ok()) st = closed;
      if (!st.ok() && status_.ok()) status_ = st.WithContext(next.second);
    }
  }

  size_t capacity_;
  std::mutex mu_;
  std::condition_variable not_full_, not_empty_;
  std::deque<std::pair<std::unique_ptr<WritableFile>, std::string>> files_;
  bool closed_ = false;
  Status status_;  // written by the syncer thread only, read after join
  std::thread thread_;
};

// Writes one chunk whose stored bytes are encoded; with a syncer, the file
// is synced and closed later.
Status WriteStoredChunk(Env& env, const std::filesystem::path& dir, const std::string& stored,
                        const ChunkInfo& info, Syncer* syncer) {
  auto file = env.NewWritableFile(dir / info.file);
  if (!file.ok()) return file.status();
  Status st = (*file)->Append(stored);
  if (st.ok() && syncer != nullptr) {
    syncer->Push(std::move(*file), info.file);
    return Status::Ok();
  }
  if (st.ok()) st = (*file)->Sync();
  Status closed = (*file)->Close();
  return st.ok() ? closed : st;
}

Status WriteChunkFile(Env& env, const std::filesystem::path& dir, std::string_view framed, int level,
                      ChunkInfo& info) {
  std::string stored;
  CUTOVER_RETURN_IF_ERROR(EncodeChunk(framed, level, stored, info));
  return WriteStoredChunk(env, dir, stored, info, nullptr);
}

// A schema file is stored as a one-record chunk, so it gets the same hashes
// and checks as data.
Result<ChunkInfo> WriteSchemaFile(Env& env, const std::filesystem::path& dir, const std::string& name,
                                  std::string_view text, int level) {
  std::string framed;
  AppendFramedRecord(framed, text);
  ChunkInfo info;
  info.file = "schema/" + name;
  CUTOVER_RETURN_IF_ERROR(WriteChunkFile(env, dir, framed, level, info));
  return info;
}

std::string ImageChunkFileName(size_t seq) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "data/image-c%06zu.zst", seq);
  return buf;
}

// The image layout's data stage: `jobs` threads read the file at `path`
// through `image` in pieces of chunk_raw_bytes (pread, so they share it), then
// compress, hash and write each piece as a chunk; meanwhile one more thread
// has the driver count and digest every table in the same file. The file
// does not change while the snapshot's read transaction is open (the driver
// promised that by returning the path); its size is checked again at the
// end all the same.
struct ImageStage {
  std::int64_t bytes = 0;
  std::vector<ChunkInfo> chunks;
  std::vector<ImageTableDigest> digests;
  double compress_seconds = 0;  // summed over the threads
  double digest_seconds = 0;
};

Result<ImageStage> WriteImageChunks(Env& env, const std::filesystem::path& dir, Driver& driver,
                                    const std::string& path, RandomAccessFile& image,
                                    const std::vector<std::string>& tables, const SnapshotRequest& req,
                                    Progress& progress) {
  ImageStage out;
  auto size = image.Size();
  if (!size.ok()) return size.status().WithContext("the database image");
  out.bytes = *size;
  // Chunks of at least 64 KiB: small test chunk sizes would otherwise make
  // one file per page.
  const std::int64_t piece = std::max<std::int64_t>(req.chunk_raw_bytes, std::int64_t{64} << 10);
  const size_t count = static_cast<size_t>((out.bytes + piece - 1) / piece);
  out.chunks.resize(count);

  FirstError error;
  Result<std::vector<ImageTableDigest>> digests = Status::Internal("the image was not digested");
  std::thread digest_thread([&] {
    const auto started = std::chrono::steady_clock::now();
    digests = driver.DigestImage(path, tables);
    if (!digests.ok()) error.Set(digests.status());
    out.digest_seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  });
  std::atomic<size_t> next{0};
  std::atomic<std::int64_t> compress_us{0};
  Syncer syncer(static_cast<size_t>(std::max(1, req.jobs)) * 4);
  std::vector<std::thread> threads;
  for (int t = 0; t < std::max(1, req.jobs); ++t) {
    threads.emplace_back([&] {
      std::string raw, stored;
      for (size_t k; !error.failed() && (k = next.fetch_add(1)) < count;) {
        const auto started = std::chrono::steady_clock::now();
        const std::int64_t offset = static_cast<std::int64_t>(k) * piece;
        raw.resize(static_cast<size_t>(std::min(piece, out.bytes - offset)));
        Status st = image.ReadAt(offset, raw.data(), raw.size());
        ChunkInfo& info = out.chunks[k];
        info.file = ImageChunkFileName(k);
        if (st.ok()) st = EncodeChunk(raw, 0, ContentDigest(), req.compression_level, stored, info);
        if (st.ok()) st = WriteStoredChunk(env, dir, stored, info, &syncer);
        if (st.ok()) CUTOVER_KILL_POINT("snapshot.chunk-written");
        compress_us +=
            std::chrono::duration_cast<std::chrono::microseconds>(std::chrono::steady_clock::now() - started)
                .count();
        if (!st.ok()) error.Set(st.WithContext("database image"));
        progress.AddBytes(static_cast<std::int64_t>(raw.size()));
      }
    });
  }
  for (auto& t : threads) t.join();
  digest_thread.join();
  if (Status synced = syncer.Finish(); !synced.ok()) error.Set(synced.WithContext("syncing chunk files"));
  CUTOVER_RETURN_IF_ERROR(error.status());
  if (auto now = image.Size(); !now.ok() || *now != out.bytes) {
    return Status::Internal(path + " changed size while it was read inside the snapshot's transaction");
  }
  out.digests = std::move(*digests);
  if (out.digests.size() != tables.size()) {
    return Status::Internal("the driver digested " + std::to_string(out.digests.size()) + " of " +
                            std::to_string(tables.size()) + " tables");
  }
  out.compress_seconds = static_cast<double>(compress_us.load()) / 1e6;
  return out;
}

// The commit point: the manifest is written, synced and renamed into place.
Result<SnapshotOutcome> CommitSnapshot(Repository& repo, Repository::Pending& pending, bool& committed,
                                       Manifest m, StageTimes& stages,
                                       std::chrono::steady_clock::time_point t0) {
  m.finished_at = NowIso8601();
  auto checksum = repo.Commit(pending, m);
  if (!checksum.ok()) return checksum.status().WithContext("committing snapshot " + m.id);
  committed = true;
  stages.Mark("snapshot: commit the manifest");

  SnapshotOutcome out;
  out.stages = stages.entries();
  out.manifest = std::move(m);
  out.manifest_checksum = *checksum;
  out.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  return out;
}

// The coordinator inside a consistent snapshot, and the workers that joined
// it (none on engines whose snapshot cannot be shared).
struct Sessions {
  std::unique_ptr<Connection> coord;
  std::vector<std::unique_ptr<Connection>> workers;
  int jobs = 1;
};

Result<Sessions> OpenSessions(const SnapshotRequest& req, Manifest& m) {
  Sessions s;
  auto coord = req.driver->Connect(req.uri);
  if (!coord.ok()) return coord.status();
  s.coord = std::move(*coord);
  const ServerInfo& server = s.coord->server_info();
  m.server_product = server.product;
  m.server_version = server.version;
  auto point = s.coord->BeginSnapshot(req.options);
  if (!point.ok()) return point.status().WithContext("starting a consistent snapshot of " + m.source);
  m.point = point->position;
  s.jobs = s.coord->SupportsSharedSnapshot() ? std::max(1, req.jobs) : 1;
  for (int i = 1; i < s.jobs; ++i) {
    auto w = req.driver->Connect(req.uri);
    if (!w.ok()) return w.status().WithContext("opening snapshot worker " + std::to_string(i));
    if (Status st = (*w)->JoinSnapshot(*point); !st.ok()) {
      return st.WithContext("snapshot worker " + std::to_string(i) + " joining the snapshot");
    }
    s.workers.push_back(std::move(*w));
  }
  return s;
}

struct SchemaAtSnapshot {
  std::vector<DataTable> tables;
  SchemaScript script;
  SchemaModel model;
};

// Schema and table list are read before the barrier is released: on engines
// whose DDL is not transactional they must match the data. A lock wait here
// fails after --lock-timeout (the drivers bound it): on MySQL/MariaDB every
// commit on the server waits for the barrier.
Result<SchemaAtSnapshot> ReadSchemaUnderBarrier(Connection& coord) {
  auto barrier_context = [](const Status& st, const std::string& what) {
    if (st.code() != StatusCode::kLockTimeout) return st.WithContext(what);
    return st.WithContext(what +
                          " while the snapshot barrier was held (another session holds a lock on "
                          "the schema, e.g. a DDL in progress; retry when it is done, or raise "
                          "--lock-timeout)");
  };
  SchemaAtSnapshot out;
  auto tables = coord.ListDataTables();
  if (!tables.ok()) return barrier_context(tables.status(), "listing tables");
  auto script = coord.DumpSchemaScript();
  if (!script.ok()) return barrier_context(script.status(), "dumping the schema");
  auto model = coord.ReadSchema();
  if (!model.ok()) return barrier_context(model.status(), "reading the schema model");
  CUTOVER_RETURN_IF_ERROR(coord.ReleaseSnapshotBarrier());
  out.tables = std::move(*tables);
  out.script = std::move(*script);
  out.model = std::move(*model);
  return out;
}

Status WriteSchemaFiles(Env& env, const std::filesystem::path& dir, const SchemaAtSnapshot& schema, int level,
                        Manifest& m) {
  m.fingerprint = Fingerprint(schema.model);
  m.schema_objects = static_cast<std::int64_t>(schema.model.objects.size());
  auto pre = WriteSchemaFile(env, dir, "pre-data.sql.zst", schema.script.pre_data, level);
  if (!pre.ok()) return pre.status();
  auto post = WriteSchemaFile(env, dir, "post-data.sql.zst", schema.script.post_data, level);
  if (!post.ok()) return post.status();
  auto model = WriteSchemaFile(env, dir, "model.json.zst", SchemaToJson(schema.model), level);
  if (!model.ok()) return model.status();
  m.pre_data = *pre;
  m.post_data = *post;
  m.model = *model;
  return Status::Ok();
}

// The image layout, where the engine offers one: true when the image was
// taken (the read transaction has ended), false to fall back to records.
Result<bool> TakeImage(Env& env, const std::filesystem::path& dir, const SnapshotRequest& req,
                       Connection& coord, const std::vector<DataTable>& tables, Manifest& m,
                       StageTimes& stages) {
  if (req.layout == SnapshotRequest::LayoutChoice::kRecords) return false;
  auto image_path = coord.SnapshotImagePath();
  if (!image_path.ok()) {
    if (req.layout == SnapshotRequest::LayoutChoice::kImage ||
        image_path.status().code() != StatusCode::kUnsupported) {
      return image_path.status().WithContext("snapshot as a database image");
    }
    spdlog::debug("snapshot as records: {}", image_path.status().message());
    return false;
  }
  std::vector<std::string> names;
  std::int64_t estimate = 0;
  m.tables.resize(tables.size());
  for (size_t i = 0; i < tables.size(); ++i) {
    m.tables[i].table = tables[i];
    names.push_back(tables[i].name);
    estimate += tables[i].estimated_bytes;
  }
  Progress progress(req.progress, "snapshot", static_cast<std::int64_t>(tables.size()), estimate);
  // A descriptor of our own that stays open until the read transaction has
  // ended: on POSIX, closing any descriptor of a file drops every lock the
  // process holds on it, the engine's shared lock included.
  auto file = env.NewRandomAccessFile(*image_path);
  if (!file.ok()) return file.status().WithContext("cannot open the database image");
  auto image = WriteImageChunks(env, dir, *req.driver, *image_path, **file, names, req, progress);
  (void)coord.EndSnapshot();
  file->reset();
  if (!image.ok()) return image.status();
  m.layout = Layout::kImage;
  m.image_bytes = image->bytes;
  m.image = std::move(image->chunks);
  for (size_t i = 0; i < m.tables.size(); ++i) {
    m.tables[i].rows = image->digests[i].rows;
    m.tables[i].digest = image->digests[i].digest;
    progress.AddRows(image->digests[i].rows);
    progress.TableDone();
  }
  stages.Mark("snapshot: read, compress and write the database image (" + std::to_string(m.image.size()) +
              " chunks on " + std::to_string(std::max(1, req.jobs)) + " threads)");
  stages.Add("snapshot: compression, hashing and writing (summed over the threads)", image->compress_seconds);
  stages.Add("snapshot: counting and digesting the tables in the image (beside them)", image->digest_seconds);
  return true;
}

// Tasks: whole tables, and ranges of big ones; largest first.
Result<std::vector<Task>> PlanTasks(Connection& coord, const std::vector<DataTable>& tables,
                                    const SnapshotRequest& req, int jobs, Manifest& m) {
  std::vector<Task> tasks;
  m.tables.resize(tables.size());
  for (size_t i = 0; i < tables.size(); ++i) {
    const DataTable& t = tables[i];
    m.tables[i].table = t;
    std::vector<std::string> predicates{""};
    if (jobs > 1 && t.estimated_bytes > req.split_bytes) {
      auto split = SplitForReaders(coord, t,
                                   std::min<std::int64_t>(4 * jobs, t.estimated_bytes / req.split_bytes + 1));
      if (!split.ok()) return split.status();
      predicates = std::move(*split);
    }
    m.tables[i].ranges.resize(predicates.size());
    for (size_t r = 0; r < predicates.size(); ++r) {
      tasks.push_back(
          Task{i, r, predicates[r], t.estimated_bytes / static_cast<std::int64_t>(predicates.size())});
    }
  }
  std::stable_sort(tasks.begin(), tasks.end(),
                   [](const Task& a, const Task& b) { return a.estimated_bytes > b.estimated_bytes; });
  return tasks;
}

std::int64_t MicrosSince(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration_cast<std::chrono::microseconds>(std::chrono::steady_clock::now() - start)
      .count();
}

// The records layout: readers export the tasks' rows into framed chunks,
// compressors encode, hash and write them. Fills each manifest table's
// ranges, rows, bytes and digest.
class RecordsPipeline {
 public:
  RecordsPipeline(Env& env, const std::filesystem::path& dir, const SnapshotRequest& req, Manifest& m)
      : env_(env),
        dir_(dir),
        req_(req),
        m_(m),
        compressors_(std::max(1, req.jobs)),
        queue_(static_cast<size_t>(compressors_) * 2),
        syncer_(static_cast<size_t>(compressors_) * 4) {}

  Status Run(const std::vector<Connection*>& readers, const std::vector<Task>& tasks, StageTimes& stages) {
    std::int64_t total_estimate = 0;
    for (const auto& e : m_.tables) total_estimate += e.table.estimated_bytes;
    Progress progress(req_.progress, "snapshot", static_cast<std::int64_t>(m_.tables.size()), total_estimate);
    progress_ = &progress;
    ranges_left_ = std::vector<std::atomic<int>>(m_.tables.size());
    for (size_t i = 0; i < m_.tables.size(); ++i)
      ranges_left_[i] = static_cast<int>(m_.tables[i].ranges.size());
    // Compression is most of the client's CPU: size the pool from the jobs
    // asked for, not from the reader connections (one on SQLite).
    std::vector<std::thread> compressors, reader_threads;
    for (int c = 0; c < compressors_; ++c) compressors.emplace_back([this] { Compress(); });
    for (Connection* conn : readers)
      reader_threads.emplace_back([this, conn, &tasks] { Read(*conn, tasks); });
    for (auto& t : reader_threads) t.join();
    queue_.Close();
    for (auto& t : compressors) t.join();
    if (Status synced = syncer_.Finish(); !synced.ok()) error_.Set(synced.WithContext("syncing chunk files"));
    for (Connection* conn : readers) (void)conn->EndSnapshot();
    CUTOVER_RETURN_IF_ERROR(error_.status());
    stages.Mark("snapshot: read, compress and write the data");
    stages.Add("snapshot: compression, hashing and writing (summed over " + std::to_string(compressors_) +
                   " threads)",
               static_cast<double>(compress_us_.load()) / 1e6);
    stages.Add("snapshot: readers waiting for a compressor (summed over " + std::to_string(readers.size()) +
                   " readers)",
               static_cast<double>(queue_wait_us_.load()) / 1e6);
    return Assemble();
  }

 private:
  void Compress() {
    while (auto job = queue_.Pop()) {
      if (error_.failed()) continue;  // drain so readers never block on a full queue
      ChunkInfo info;
      info.file = ChunkFileName(job->table, job->range, job->seq);
      const auto started = std::chrono::steady_clock::now();
      std::string stored;
      Status st = EncodeChunk(job->framed, job->rows, job->digest, req_.compression_level, stored, info);
      if (st.ok()) st = WriteStoredChunk(env_, dir_, stored, info, &syncer_);
      if (st.ok()) CUTOVER_KILL_POINT("snapshot.chunk-written");
      compress_us_ += MicrosSince(started);
      if (!st.ok()) {
        error_.Set(st.WithContext("table " + m_.tables[job->table].table.name));
        continue;
      }
      progress_->AddBytes(static_cast<std::int64_t>(job->framed.size()));
      std::lock_guard<std::mutex> lock(results_mu_);
      results_[{job->table, job->range, job->seq}] = std::move(info);
    }
  }

  void Read(Connection& conn, const std::vector<Task>& tasks) {
    while (!error_.failed()) {
      size_t k = next_task_.fetch_add(1);
      if (k >= tasks.size()) break;
      if (!ReadTask(conn, tasks[k])) break;
    }
  }

  // False when the task failed (the error is recorded).
  bool ReadTask(Connection& conn, const Task& task) {
    const DataTable& t = m_.tables[task.table].table;
    std::string framed;
    framed.reserve(static_cast<size_t>(req_.chunk_raw_bytes) + 4096);
    size_t seq = 0;
    std::int64_t rows = 0, chunk_rows = 0;
    ContentDigest digest;
    Status st = conn.ExportRows(t, task.predicate, [&](std::string_view record) -> Status {
      if (error_.failed()) return Status::Io("stopped");
      AppendFramedRecord(framed, record);
      digest.AddRecord(record);
      ++chunk_rows;
      if (++rows % 4096 == 0) progress_->AddRows(4096);
      if (static_cast<std::int64_t>(framed.size()) >= req_.chunk_raw_bytes) {
        const auto started = std::chrono::steady_clock::now();
        queue_.Push(Job{task.table, task.range, seq++, std::move(framed), chunk_rows, digest});
        queue_wait_us_ += MicrosSince(started);
        framed = std::string();
        framed.reserve(static_cast<size_t>(req_.chunk_raw_bytes) + 4096);
        chunk_rows = 0;
        digest = ContentDigest();
      }
      return Status::Ok();
    });
    progress_->AddRows(rows % 4096);
    if (!st.ok()) {
      if (!error_.failed()) error_.Set(st.WithContext("reading table " + t.name));
      return false;
    }
    if (!framed.empty())
      queue_.Push(Job{task.table, task.range, seq++, std::move(framed), chunk_rows, digest});
    if (--ranges_left_[task.table] == 0) progress_->TableDone();
    return true;
  }

  // The chunks in order into their ranges; each table's totals.
  Status Assemble() {
    for (auto& [key, info] : results_) {
      auto [table, range, seq] = key;
      auto& chunks = m_.tables[table].ranges[range];
      if (chunks.size() != seq) return Status::Internal("chunk " + info.file + " out of sequence");
      chunks.push_back(std::move(info));
    }
    for (auto& e : m_.tables) {
      ContentDigest digest;
      for (const auto& range : e.ranges) {
        for (const auto& c : range) {
          e.rows += c.rows;
          e.raw_bytes += c.raw_bytes;
          auto d = ContentDigest::FromHex(c.digest);
          if (!d.ok()) return d.status();
          digest.Add(*d);
        }
      }
      e.digest = digest.Hex();
    }
    return Status::Ok();
  }

  Env& env_;
  const std::filesystem::path& dir_;
  const SnapshotRequest& req_;
  Manifest& m_;
  const int compressors_;
  JobQueue queue_;
  Syncer syncer_;
  FirstError error_;
  Progress* progress_ = nullptr;
  std::atomic<std::int64_t> compress_us_{0}, queue_wait_us_{0};
  std::atomic<size_t> next_task_{0};
  std::vector<std::atomic<int>> ranges_left_;
  std::mutex results_mu_;
  std::map<std::tuple<size_t, size_t, size_t>, ChunkInfo> results_;
};

}  // namespace

const char* ToolVersion() {
  return CUTOVER_VERSION;
}

Result<SnapshotOutcome> TakeSnapshot(Repository& repo, const SnapshotRequest& req) {
  const auto t0 = std::chrono::steady_clock::now();
  StageTimes stages;
  for (const auto& gone : repo.CleanUpIncomplete()) {
    spdlog::warn("removed the incomplete snapshot {} left by an interrupted run", gone);
  }
  InterruptGuard interrupts;  // main's token: a signal stops the readers, the guard below cleans up
  auto pending = repo.StartSnapshot();
  if (!pending.ok()) return pending.status();
  CUTOVER_KILL_POINT("snapshot.started");
  // From here on, any early return must remove the partial directory.
  struct AbandonOnFailure {
    Repository& repo;
    Repository::Pending& p;
    bool committed = false;
    ~AbandonOnFailure() {
      if (!committed) repo.Abandon(p);
    }
  } guard{repo, *pending};

  Manifest m;
  m.id = pending->id;
  m.tool_version = ToolVersion();
  m.engine = req.driver->info().name;
  m.source = req.uri.Redacted();
  m.target = req.target_label;
  m.started_at = NowIso8601();
  m.compression_level = req.compression_level;

  auto sessions = OpenSessions(req, m);
  if (!sessions.ok()) return sessions.status();
  stages.Mark("snapshot: connect, begin and join the snapshot");
  auto schema = ReadSchemaUnderBarrier(*sessions->coord);
  if (!schema.ok()) return schema.status();
  stages.Mark("snapshot: table list, schema script and model (barrier held)");
  Env& env = repo.env();
  CUTOVER_RETURN_IF_ERROR(WriteSchemaFiles(env, pending->dir, *schema, req.compression_level, m));
  stages.Mark("snapshot: write the schema files");
  CUTOVER_KILL_POINT("snapshot.schema-written");

  auto image = TakeImage(env, pending->dir, req, *sessions->coord, schema->tables, m, stages);
  if (!image.ok()) return image.status();
  if (!*image) {
    auto tasks = PlanTasks(*sessions->coord, schema->tables, req, sessions->jobs, m);
    if (!tasks.ok()) return tasks.status();
    stages.Mark("snapshot: plan the key ranges");
    std::vector<Connection*> readers{sessions->coord.get()};
    for (auto& w : sessions->workers) readers.push_back(w.get());
    RecordsPipeline pipeline(env, pending->dir, req, m);
    CUTOVER_RETURN_IF_ERROR(pipeline.Run(readers, *tasks, stages));
  }
  CUTOVER_KILL_POINT("snapshot.data-written");
  return CommitSnapshot(repo, *pending, guard.committed, std::move(m), stages, t0);
}

}  // namespace cutover::snapshot
