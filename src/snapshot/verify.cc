#include "snapshot/verify.h"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdlib>
#include <mutex>
#include <set>
#include <thread>

#include "snapshot/restore.h"

namespace cutover::snapshot {
namespace fs = std::filesystem;
namespace {

// A chunk and the table it belongs to, for messages; an image chunk also
// where its bytes go in the image.
struct Item {
  const ChunkInfo* chunk;
  std::string owner;  // "table public.orders", "schema" or "database image"
  std::int64_t image_offset = -1;
};

constexpr char kImageOwner[] = "database image";

// An unnamed private file for the decompressed image in $TMPDIR: nothing
// to clean up, whatever happens to the process.
Result<std::unique_ptr<TempFile>> OpenImageScratch(Env& env) {
  const char* tmp = std::getenv("TMPDIR");
  const std::string dir = tmp != nullptr && *tmp != '\0' ? tmp : "/tmp";
  auto file = env.NewTempFile(dir);
  if (!file.ok()) return file.status().WithContext("a temporary file for the decompressed image");
  return file;
}

std::string TableLabel(const DataTable& t) {
  return "table " + (t.schema.empty() ? t.name : t.schema + "." + t.name);
}

// The manifest's sums must agree with its chunks: an edit that changes a
// table's totals without re-checksumming is caught by the checksum, but a
// bug or a crafted manifest must not make verify trust mismatched totals.
void CheckConsistency(const Manifest& m, std::vector<std::string>& problems) {
  std::set<std::string> files;
  for (const ChunkInfo* c : m.AllChunks()) {
    if (!files.insert(c->file).second) problems.push_back(c->file + ": named twice in the manifest");
  }
  if (m.layout == Layout::kImage) {
    std::int64_t bytes = 0;
    for (const auto& c : m.image) {
      bytes += c.raw_bytes;
      if (c.rows != 0 || c.digest != ContentDigest().Hex())
        problems.push_back(c.file + ": an image chunk that claims records");
    }
    if (bytes != m.image_bytes)
      problems.push_back(std::string(kImageOwner) + ": the manifest's size does not match its chunks");
    for (const auto& e : m.tables) {
      if (!e.ranges.empty() || e.raw_bytes != 0)
        problems.push_back(TableLabel(e.table) + ": record chunks in an image snapshot");
    }
    return;
  }
  if (!m.image.empty() || m.image_bytes != 0) problems.push_back("image chunks in a records snapshot");
  for (const auto& e : m.tables) {
    std::int64_t rows = 0, raw = 0;
    ContentDigest digest;
    for (const auto& range : e.ranges) {
      for (const auto& c : range) {
        rows += c.rows;
        raw += c.raw_bytes;
        if (auto d = ContentDigest::FromHex(c.digest); d.ok()) digest.Add(*d);
      }
    }
    if (rows != e.rows || raw != e.raw_bytes || digest.Hex() != e.digest) {
      problems.push_back(TableLabel(e.table) + ": the manifest's totals do not match its chunks");
    }
  }
}

}  // namespace

Result<VerifyReport> VerifySnapshot(const Repository& repo, const std::string& id, bool deep, int jobs,
                                    Progress::Mode progress_mode, DriverLoader* drivers) {
  const auto t0 = std::chrono::steady_clock::now();
  VerifyReport report;
  report.snapshot_id = id;
  report.deep = deep;
  const fs::path dir = repo.SnapshotDir(id);
  auto manifest = repo.LoadManifest(id);
  if (!manifest.ok()) {
    if (manifest.status().code() != StatusCode::kCheckFailed) return manifest.status();
    report.problems.push_back(manifest.status().message());
    return report;
  }
  const Manifest& m = *manifest;
  CheckConsistency(m, report.problems);

  std::vector<Item> items;
  for (const ChunkInfo* c : {&m.pre_data, &m.post_data, &m.model}) items.push_back({c, "schema"});
  for (const auto& e : m.tables) {
    for (const auto& range : e.ranges) {
      for (const auto& c : range) items.push_back({&c, TableLabel(e.table)});
    }
  }
  std::int64_t image_offset = 0;
  for (const auto& c : m.image) {
    items.push_back({&c, kImageOwner, image_offset});
    image_offset += c.raw_bytes;
  }
  // --deep of an image: the decompressed bytes go to an unnamed file that
  // the driver then walks.
  std::unique_ptr<TempFile> image_file;
  if (deep && m.layout == Layout::kImage) {
    auto file = OpenImageScratch(repo.env());
    if (!file.ok()) return file.status();
    image_file = std::move(*file);
  }

  // Files nobody named: an extra chunk is as suspicious as a missing one.
  std::set<std::string> named;
  for (const auto& item : items) named.insert(item.chunk->file);
  for (const char* sub : {"data", "schema"}) {
    // An unreadable directory lists nothing here; its chunks are reported missing below.
    auto names = repo.env().ListDir(dir / sub);
    if (!names.ok()) continue;
    std::sort(names->begin(), names->end());
    for (const auto& name : *names) {
      std::string rel = std::string(sub) + "/" + name;
      if (!named.count(rel))
        report.problems.push_back(rel + ": file not named in the manifest (extra chunk)");
    }
  }

  std::int64_t total = 0;
  for (const auto& item : items) total += item.chunk->stored_bytes;
  Progress progress(progress_mode, deep ? "verify --deep" : "verify",
                    static_cast<std::int64_t>(m.tables.size()), total);
  std::mutex mu;
  std::atomic<size_t> next{0};
  std::atomic<std::int64_t> bytes{0}, rows{0};
  std::vector<std::pair<size_t, std::string>> found;  // item index, problem: sorted for stable output
  std::vector<std::thread> threads;
  for (int j = 0; j < std::max(1, jobs); ++j) {
    threads.emplace_back([&] {
      std::string framed;
      for (size_t k; (k = next.fetch_add(1)) < items.size();) {
        const Item& item = items[k];
        const ChunkInfo& c = *item.chunk;
        auto stored = repo.env().ReadFile(dir / c.file, static_cast<std::uint64_t>(kMaxChunkRawBytes));
        Status st = stored.ok() ? Status::Ok() : stored.status();
        if (st.code() == StatusCode::kNotFound) st = Status::CheckFailed(c.file + ": missing");
        if (st.ok()) {
          bytes += static_cast<std::int64_t>(stored->size());
          progress.AddBytes(static_cast<std::int64_t>(stored->size()));
          st = deep ? DecodeChunk(*stored, c, framed) : CheckStoredBytes(*stored, c);
        }
        if (st.ok() && deep && item.image_offset >= 0) {
          st = image_file->WriteAt(item.image_offset, framed).WithContext("the decompressed image");
        } else if (st.ok() && deep) {
          auto content = DigestFramed(framed, c.file);
          if (!content.ok()) {
            st = content.status();
          } else if (content->rows != c.rows || content->digest.Hex() != c.digest) {
            st = Status::CheckFailed(c.file + ": " + std::to_string(content->rows) + " records with digest " +
                                     content->digest.Hex() + ", the manifest records " +
                                     std::to_string(c.rows) + " with " + c.digest);
          } else {
            rows += content->rows;
            progress.AddRows(content->rows);
          }
        }
        if (!st.ok()) {
          std::lock_guard<std::mutex> lock(mu);
          found.emplace_back(k, item.owner + ": " + st.message());
        }
      }
    });
  }
  for (auto& t : threads) t.join();
  std::sort(found.begin(), found.end());
  const bool image_intact = std::none_of(found.begin(), found.end(),
                                         [&](const auto& f) { return items[f.first].image_offset >= 0; });
  for (auto& [k, problem] : found) report.problems.push_back(std::move(problem));
  if (image_file && image_intact) {
    if (drivers == nullptr) return Status::Internal("verify --deep of an image needs the engine's driver");
    auto driver = drivers->Get(m.engine);
    if (!driver.ok()) return driver.status().WithContext("verify --deep of a " + m.engine + " image");
    auto counted = CompareImageDigests(**driver, image_file->OpenPath(), m, "the decompressed database image",
                                       report.problems);
    if (!counted.ok()) return counted.status();
    report.rows_counted = *counted;
    progress.AddRows(*counted);
  } else {
    report.rows_counted = rows.load();
  }
  report.files_checked = static_cast<std::int64_t>(items.size()) + 1;
  report.bytes_read = bytes.load();
  report.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  return report;
}

}  // namespace cutover::snapshot
