#include "snapshot/restore.h"

#include <spdlog/spdlog.h>

#include <atomic>
#include <chrono>
#include <future>
#include <mutex>
#include <thread>

#include "schema/drift.h"
#include "schema/fingerprint.h"
#include "schema/schema_json.h"

namespace cutover::snapshot {
namespace {

std::string TableLabel(const DataTable& t) {
  return t.schema.empty() ? t.name : t.schema + "." + t.name;
}

// Runs `work(conn, k)` for k in [0, count) on `jobs` connections; the first
// error stops the others at their next item.
template <typename Work>
Status ForEachParallel(Driver& driver, const ConnectionUri& uri, size_t count, int jobs, Work work) {
  std::vector<std::unique_ptr<Connection>> conns;
  for (int i = 0; i < std::max(1, jobs) && static_cast<size_t>(i) < std::max<size_t>(count, 1); ++i) {
    auto c = driver.Connect(uri);
    if (!c.ok()) return c.status();
    conns.push_back(std::move(*c));
  }
  std::atomic<size_t> next{0};
  std::mutex mu;
  Status first;
  std::atomic<bool> failed{false};
  std::vector<std::thread> threads;
  for (auto& conn : conns) {
    threads.emplace_back([&, c = conn.get()] {
      for (size_t k; !failed && !InterruptGuard::Requested() && (k = next.fetch_add(1)) < count;) {
        Status st = work(*c, k);
        if (!st.ok()) {
          std::lock_guard<std::mutex> lock(mu);
          if (first.ok()) first = st;
          failed = true;
        }
      }
    });
  }
  for (auto& t : threads) t.join();
  if (!first.ok()) return first;
  if (InterruptGuard::Requested())
    return Status::Io("interrupted by signal " + std::to_string(InterruptGuard::Signal()));
  return Status::Ok();
}

}  // namespace

Result<std::string> ReadSchemaFile(const Repository& repo, const Manifest& m, const ChunkInfo& file) {
  auto stored =
      repo.env().ReadFile(repo.SnapshotDir(m.id) / file.file, static_cast<std::uint64_t>(kMaxChunkRawBytes));
  if (!stored.ok()) {
    if (stored.status().code() == StatusCode::kNotFound) return Status::CheckFailed(file.file + ": missing");
    return stored.status();
  }
  std::string framed;
  CUTOVER_RETURN_IF_ERROR(DecodeChunk(*stored, file, framed));
  std::vector<std::string_view> records;
  CUTOVER_RETURN_IF_ERROR(SplitFramedRecords(framed, records).WithContext(file.file));
  if (records.size() != 1) return Status::CheckFailed(file.file + ": expected one record");
  return std::string(records[0]);
}

Result<RestoreOutcome> RestoreSnapshot(const Repository& repo, const Manifest& m, const RestoreRequest& req) {
  const auto t0 = std::chrono::steady_clock::now();
  if (req.driver->info().name != m.engine) {
    return Status::InvalidInput("snapshot " + m.id + " is of a " + m.engine + " database; " +
                                req.into.Redacted() + " is " + req.driver->info().name);
  }
  // Read and check the schema files before touching the database.
  auto pre = ReadSchemaFile(repo, m, m.pre_data);
  if (!pre.ok()) return pre.status().WithContext("schema");
  auto post = ReadSchemaFile(repo, m, m.post_data);
  if (!post.ok()) return post.status().WithContext("schema");

  auto into = req.driver->Connect(req.into);
  if (!into.ok()) return into.status();
  auto empty = (*into)->IsEmptyDatabase();
  if (!empty.ok()) return empty.status();
  if (!*empty) {
    return Status::CheckFailed(
        req.into.Redacted() +
        " is not empty: cutover restores only into a new or empty database and changed "
        "nothing; create an empty database (or drop its objects) and run again");
  }
  if (Status st = (*into)->ExecuteScript(*pre); !st.ok())
    return st.WithContext("creating the schema (pre-data)");

  struct RangeRef {
    const TableEntry* table;
    const std::vector<ChunkInfo>* chunks;
    std::int64_t bytes;
  };
  std::vector<RangeRef> ranges;
  std::int64_t total = 0;
  for (const auto& e : m.tables) {
    for (const auto& r : e.ranges) {
      std::int64_t b = 0;
      for (const auto& c : r) b += c.stored_bytes;
      if (!r.empty()) ranges.push_back({&e, &r, b});
      total += b;
    }
  }
  std::stable_sort(ranges.begin(), ranges.end(),
                   [](const RangeRef& a, const RangeRef& b) { return a.bytes > b.bytes; });
  const int jobs = (*into)->SupportsSharedSnapshot() ? req.jobs : 1;
  into->reset();  // workers connect on their own

  Progress progress(req.progress, "restore", static_cast<std::int64_t>(m.tables.size()), total);
  std::atomic<std::int64_t> rows{0};
  const auto dir = repo.SnapshotDir(m.id);
  Status loaded =
      ForEachParallel(*req.driver, req.into, ranges.size(), jobs, [&](Connection& conn, size_t k) {
        const RangeRef& r = ranges[k];
        // The next chunk is read and decoded on another thread while the
        // driver loads the current one: two chunks per worker in memory.
        auto load = [&repo, &dir](const ChunkInfo& c) -> Result<std::string> {
          auto stored = repo.env().ReadFile(dir / c.file, static_cast<std::uint64_t>(kMaxChunkRawBytes));
          if (!stored.ok()) {
            if (stored.status().code() == StatusCode::kNotFound)
              return Status::CheckFailed(c.file + ": missing");
            return stored.status();
          }
          std::string framed;
          CUTOVER_RETURN_IF_ERROR(DecodeChunk(*stored, c, framed));
          return framed;
        };
        size_t next_chunk = 0;
        std::future<Result<std::string>> prefetch;
        std::string framed;
        std::vector<std::string_view> records;
        Status read_error;
        RecordBatchSource source = [&]() -> Result<std::span<const std::string_view>> {
          records.clear();
          if (InterruptGuard::Requested()) {
            read_error = Status::Io("interrupted by signal " + std::to_string(InterruptGuard::Signal()));
            return read_error;
          }
          if (next_chunk == r.chunks->size()) return std::span<const std::string_view>();
          const ChunkInfo& c = (*r.chunks)[next_chunk++];
          Result<std::string> current = prefetch.valid() ? prefetch.get() : load(c);
          if (next_chunk < r.chunks->size()) {
            prefetch = std::async(std::launch::async, load, std::cref((*r.chunks)[next_chunk]));
          }
          if (!current.ok()) {
            read_error = current.status();
            return read_error;
          }
          framed = std::move(*current);
          if (Status st = SplitFramedRecords(framed, records); !st.ok()) {
            read_error = st.WithContext(c.file);
            return read_error;
          }
          if (static_cast<std::int64_t>(records.size()) != c.rows) {
            read_error = Status::CheckFailed(c.file + ": " + std::to_string(records.size()) +
                                             " records, the manifest records " + std::to_string(c.rows));
            return read_error;
          }
          progress.AddBytes(c.stored_bytes);
          progress.AddRows(c.rows);
          return std::span<const std::string_view>(records);
        };
        auto n = conn.ImportRows(r.table->table, source);
        if (prefetch.valid()) prefetch.wait();  // the driver may stop early; never leave the thread behind
        // A damaged chunk is the snapshot's fault, whatever the driver made of
        // the error it got back from the source.
        if (!read_error.ok()) return read_error.WithContext("table " + TableLabel(r.table->table));
        if (!n.ok()) return n.status().WithContext("loading table " + TableLabel(r.table->table));
        rows += *n;
        return Status::Ok();
      });
  if (!loaded.ok()) return loaded;

  auto finisher = req.driver->Connect(req.into);
  if (!finisher.ok()) return finisher.status();
  if (Status st = (*finisher)->ExecuteScript(*post); !st.ok()) {
    return st.WithContext("creating indexes, constraints and triggers (post-data)");
  }
  RestoreOutcome out;
  out.rows = rows.load();
  out.stored_bytes = m.TotalStoredBytes();
  out.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  return out;
}

Result<Comparison> CompareWithManifest(const Repository& repo, const Manifest& m, Driver& driver,
                                       const ConnectionUri& restored, int jobs) {
  Comparison cmp;
  {
    auto conn = driver.Connect(restored);
    if (!conn.ok()) return conn.status();
    auto live = (*conn)->ReadSchema();
    if (!live.ok()) return live.status().WithContext("reading the restored schema");
    if (Fingerprint(*live) != m.fingerprint) {
      auto model_text = ReadSchemaFile(repo, m, m.model);
      if (!model_text.ok()) return model_text.status();
      auto expected = SchemaFromJson(*model_text, m.model.file);
      if (!expected.ok()) return expected.status();
      auto drift = ComputeDrift(*expected, *live, DriftOptions{});
      if (!drift.ok()) return drift.status();
      drift->expected_source = "snapshot " + m.id;
      drift->actual_source = "the restored database";
      std::string lines = DriftReportText(*drift);
      cmp.problems.push_back("schema: the restored schema's fingerprint " + Fingerprint(*live) +
                             " differs from the snapshot's " + m.fingerprint + ":\n" + lines);
    }
  }
  std::mutex mu;
  std::atomic<std::int64_t> rows_read{0};
  Status st = ForEachParallel(driver, restored, m.tables.size(), jobs, [&](Connection& conn, size_t k) {
    const TableEntry& e = m.tables[k];
    std::int64_t rows = 0;
    ContentDigest digest;
    Status read = conn.ExportRows(e.table, "", [&](std::string_view record) {
      if (InterruptGuard::Requested()) return Status::Io("interrupted");
      ++rows;
      digest.AddRecord(record);
      return Status::Ok();
    });
    rows_read += rows;
    std::lock_guard<std::mutex> lock(mu);
    if (!read.ok()) {
      cmp.problems.push_back("table " + TableLabel(e.table) + ": cannot be read back: " + read.message());
    } else if (rows != e.rows) {
      cmp.problems.push_back("table " + TableLabel(e.table) + ": " + std::to_string(rows) +
                             " rows restored, the snapshot recorded " + std::to_string(e.rows));
    } else if (digest.Hex() != e.digest) {
      cmp.problems.push_back("table " + TableLabel(e.table) + ": content digest " + digest.Hex() +
                             " differs from the snapshot's " + e.digest +
                             " (same row count, different data)");
    }
    return Status::Ok();
  });
  if (!st.ok()) return st;
  cmp.tables_compared = static_cast<std::int64_t>(m.tables.size());
  cmp.rows_read = rows_read.load();
  std::sort(cmp.problems.begin(), cmp.problems.end());
  return cmp;
}

}  // namespace cutover::snapshot
