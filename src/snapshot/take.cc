#include "snapshot/take.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <deque>
#include <map>
#include <mutex>
#include <optional>
#include <thread>

#include "base/strings.h"
#include "catalog/catalog.h"
#include "schema/fingerprint.h"
#include "schema/schema_json.h"

namespace cutover::snapshot {
namespace {

// One query's worth of a table: all of it, or one key range.
struct Task {
  size_t table = 0;
  size_t range = 0;
  std::string predicate;
  std::int64_t estimated_bytes = 0;
};

// A full buffer on its way to a compressor.
struct Job {
  size_t table = 0;
  size_t range = 0;
  size_t seq = 0;
  std::string framed;
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
      return Status::Io("interrupted by signal " + std::to_string(InterruptGuard::Signal()) +
                        "; the partial snapshot was removed");
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

Status WriteChunkFile(Env& env, const std::filesystem::path& dir, std::string_view framed, int level,
                      ChunkInfo& info) {
  std::string stored;
  CUTOVER_RETURN_IF_ERROR(EncodeChunk(framed, level, stored, info));
  auto file = env.NewWritableFile(dir / info.file);
  if (!file.ok()) return file.status();
  Status st = (*file)->Append(stored);
  if (st.ok()) st = (*file)->Sync();
  Status closed = (*file)->Close();
  return st.ok() ? closed : st;
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

Result<std::int64_t> ParseInt(std::string_view text, const std::string& what) {
  try {
    size_t used = 0;
    long long v = std::stoll(std::string(text), &used);
    if (used != text.size()) throw std::invalid_argument("trailing");
    return static_cast<std::int64_t>(v);
  } catch (const std::exception&) {
    return Status::Internal(what + ": '" + std::string(text) + "' is not an integer");
  }
}

std::string QualifiedName(const Connection& conn, const DataTable& t) {
  return t.schema.empty() ? conn.QuoteIdentifier(t.name)
                          : conn.QuoteIdentifier(t.schema) + "." + conn.QuoteIdentifier(t.name);
}

// Splits a big table on its integer key into about `parts` ranges between
// the key's min and max (read inside the snapshot). The first and last
// ranges are open-ended, so every row belongs to exactly one range.
Result<std::vector<std::string>> KeyRanges(Connection& conn, const DataTable& t, int parts) {
  const std::string col = conn.QuoteIdentifier(t.split_column);
  std::optional<std::int64_t> lo, hi;
  Status st = conn.Query("SELECT MIN(" + col + "), MAX(" + col + ") FROM " + QualifiedName(conn, t),
                         [&](RowView row) -> Status {
                           if (row.size() != 2 || row[0].is_null() || row[1].is_null()) return Status::Ok();
                           auto a = ParseInt(row[0].data, "min of " + t.split_column);
                           auto b = ParseInt(row[1].data, "max of " + t.split_column);
                           if (!a.ok()) return a.status();
                           if (!b.ok()) return b.status();
                           lo = *a;
                           hi = *b;
                           return Status::Ok();
                         });
  if (!st.ok()) return st.WithContext("reading the key range of " + t.name);
  std::vector<std::string> predicates;
  if (!lo || !hi || *hi - *lo < parts * 2) return std::vector<std::string>{""};
  // Computed in long double: max - min can exceed int64 for extreme keys.
  long double step = (static_cast<long double>(*hi) - static_cast<long double>(*lo)) / parts;
  std::vector<std::int64_t> bounds;
  for (int i = 1; i < parts; ++i) bounds.push_back(static_cast<std::int64_t>(*lo + step * i));
  bounds.erase(std::unique(bounds.begin(), bounds.end()), bounds.end());
  for (size_t i = 0; i <= bounds.size(); ++i) {
    std::string p;
    if (i > 0) p = col + " >= " + std::to_string(bounds[i - 1]);
    if (i < bounds.size()) p += (p.empty() ? "" : " AND ") + col + " < " + std::to_string(bounds[i]);
    predicates.push_back(p);
  }
  return predicates;
}

}  // namespace

const char* ToolVersion() {
  return CUTOVER_VERSION;
}

Result<SnapshotOutcome> TakeSnapshot(Repository& repo, const SnapshotRequest& req) {
  const auto t0 = std::chrono::steady_clock::now();
  for (const auto& gone : repo.CleanUpIncomplete()) {
    spdlog::warn("removed the incomplete snapshot {} left by an interrupted run", gone);
  }
  InterruptGuard interrupts;
  auto pending = repo.StartSnapshot();
  if (!pending.ok()) return pending.status();
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

  auto coord_r = req.driver->Connect(req.uri);
  if (!coord_r.ok()) return coord_r.status();
  std::unique_ptr<Connection> coord = std::move(*coord_r);
  m.server_product = coord->server_info().product;
  m.server_version = coord->server_info().version;

  auto point = coord->BeginSnapshot(req.options);
  if (!point.ok()) return point.status().WithContext("starting a consistent snapshot of " + m.source);
  m.point = point->position;

  std::vector<std::unique_ptr<Connection>> workers;
  const int jobs = coord->SupportsSharedSnapshot() ? std::max(1, req.jobs) : 1;
  for (int i = 1; i < jobs; ++i) {
    auto w = req.driver->Connect(req.uri);
    if (!w.ok()) return w.status().WithContext("opening snapshot worker " + std::to_string(i));
    if (Status st = (*w)->JoinSnapshot(*point); !st.ok()) {
      return st.WithContext("snapshot worker " + std::to_string(i) + " joining the snapshot");
    }
    workers.push_back(std::move(*w));
  }

  // Schema and table list are read before the barrier is released: on
  // engines whose DDL is not transactional they must match the data.
  auto tables = coord->ListDataTables();
  if (!tables.ok()) return tables.status().WithContext("listing tables");
  auto script = coord->DumpSchemaScript();
  if (!script.ok()) return script.status().WithContext("dumping the schema");
  auto model = coord->ReadSchema();
  if (!model.ok()) return model.status().WithContext("reading the schema model");
  if (Status st = coord->ReleaseSnapshotBarrier(); !st.ok()) return st;

  m.fingerprint = Fingerprint(*model);
  m.schema_objects = static_cast<std::int64_t>(model->objects.size());
  Env& env = repo.env();
  auto pre = WriteSchemaFile(env, pending->dir, "pre-data.sql.zst", script->pre_data, req.compression_level);
  if (!pre.ok()) return pre.status();
  auto post =
      WriteSchemaFile(env, pending->dir, "post-data.sql.zst", script->post_data, req.compression_level);
  if (!post.ok()) return post.status();
  auto model_file =
      WriteSchemaFile(env, pending->dir, "model.json.zst", SchemaToJson(*model), req.compression_level);
  if (!model_file.ok()) return model_file.status();
  m.pre_data = *pre;
  m.post_data = *post;
  m.model = *model_file;

  // Tasks: whole tables, and key ranges of big ones; largest first.
  std::vector<Task> tasks;
  m.tables.resize(tables->size());
  std::int64_t total_estimate = 0;
  for (size_t i = 0; i < tables->size(); ++i) {
    const DataTable& t = (*tables)[i];
    m.tables[i].table = t;
    total_estimate += t.estimated_bytes;
    std::vector<std::string> predicates{""};
    if (jobs > 1 && !t.split_column.empty() && t.estimated_bytes > req.split_bytes) {
      int parts = static_cast<int>(std::min<std::int64_t>(4 * jobs, t.estimated_bytes / req.split_bytes + 1));
      auto ranges = KeyRanges(*coord, t, parts);
      if (!ranges.ok()) return ranges.status();
      predicates = std::move(*ranges);
    }
    m.tables[i].ranges.resize(predicates.size());
    for (size_t r = 0; r < predicates.size(); ++r) {
      tasks.push_back(
          Task{i, r, predicates[r], t.estimated_bytes / static_cast<std::int64_t>(predicates.size())});
    }
  }
  std::stable_sort(tasks.begin(), tasks.end(),
                   [](const Task& a, const Task& b) { return a.estimated_bytes > b.estimated_bytes; });

  Progress progress(req.progress, "snapshot", static_cast<std::int64_t>(tables->size()), total_estimate);
  FirstError error;
  const int compressors = std::max(1, jobs);
  JobQueue queue(static_cast<size_t>(compressors) * 2);
  std::mutex results_mu;
  std::map<std::tuple<size_t, size_t, size_t>, ChunkInfo> results;
  std::vector<std::atomic<int>> ranges_left(tables->size());
  for (size_t i = 0; i < tables->size(); ++i) ranges_left[i] = static_cast<int>(m.tables[i].ranges.size());

  std::vector<std::thread> compressor_threads;
  for (int c = 0; c < compressors; ++c) {
    compressor_threads.emplace_back([&] {
      while (auto job = queue.Pop()) {
        if (error.failed()) continue;  // drain so readers never block on a full queue
        ChunkInfo info;
        info.file = ChunkFileName(job->table, job->range, job->seq);
        Status st = WriteChunkFile(env, pending->dir, job->framed, req.compression_level, info);
        if (!st.ok()) {
          error.Set(st.WithContext("table " + m.tables[job->table].table.name));
          continue;
        }
        progress.AddBytes(static_cast<std::int64_t>(job->framed.size()));
        std::lock_guard<std::mutex> lock(results_mu);
        results[{job->table, job->range, job->seq}] = std::move(info);
      }
    });
  }

  std::atomic<size_t> next_task{0};
  std::vector<Connection*> readers{coord.get()};
  for (auto& w : workers) readers.push_back(w.get());
  std::vector<std::thread> reader_threads;
  for (Connection* conn : readers) {
    reader_threads.emplace_back([&, conn] {
      while (!error.failed()) {
        size_t k = next_task.fetch_add(1);
        if (k >= tasks.size()) break;
        const Task& task = tasks[k];
        const DataTable& t = m.tables[task.table].table;
        std::string framed;
        framed.reserve(static_cast<size_t>(req.chunk_raw_bytes) + 4096);
        size_t seq = 0;
        std::int64_t rows = 0;
        Status st = conn->ExportRows(t, task.predicate, [&](std::string_view record) -> Status {
          if (error.failed()) return Status::Io("stopped");
          AppendFramedRecord(framed, record);
          if (++rows % 4096 == 0) progress.AddRows(4096);
          if (static_cast<std::int64_t>(framed.size()) >= req.chunk_raw_bytes) {
            queue.Push(Job{task.table, task.range, seq++, std::move(framed)});
            framed = std::string();
            framed.reserve(static_cast<size_t>(req.chunk_raw_bytes) + 4096);
          }
          return Status::Ok();
        });
        progress.AddRows(rows % 4096);
        if (!st.ok()) {
          if (!error.failed()) error.Set(st.WithContext("reading table " + t.name));
          break;
        }
        if (!framed.empty()) queue.Push(Job{task.table, task.range, seq++, std::move(framed)});
        if (--ranges_left[task.table] == 0) progress.TableDone();
      }
    });
  }
  for (auto& t : reader_threads) t.join();
  queue.Close();
  for (auto& t : compressor_threads) t.join();
  for (Connection* conn : readers) (void)conn->EndSnapshot();
  CUTOVER_RETURN_IF_ERROR(error.status());

  for (auto& [key, info] : results) {
    auto [table, range, seq] = key;
    auto& chunks = m.tables[table].ranges[range];
    if (chunks.size() != seq) return Status::Internal("chunk " + info.file + " out of sequence");
    chunks.push_back(std::move(info));
  }
  for (auto& e : m.tables) {
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
  m.finished_at = NowIso8601();
  auto checksum = repo.Commit(*pending, m);
  if (!checksum.ok()) return checksum.status().WithContext("committing snapshot " + m.id);
  guard.committed = true;

  SnapshotOutcome out;
  out.manifest = std::move(m);
  out.manifest_checksum = *checksum;
  out.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  return out;
}

}  // namespace cutover::snapshot
