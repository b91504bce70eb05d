#include "snapshot/restore.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <atomic>
#include <cctype>
#include <chrono>
#include <condition_variable>
#include <filesystem>
#include <future>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <thread>

#include "base/kill_point.h"
#include "base/strings.h"
#include "driver/driver_helpers.h"
#include "schema/drift.h"
#include "schema/fingerprint.h"
#include "schema/schema_json.h"
#include "snapshot/ranges.h"
#include "snapshot/stages.h"

namespace cutover::snapshot {
namespace {

std::string TableLabel(const DataTable& t) {
  return t.schema.empty() ? t.name : t.schema + "." + t.name;
}

// Runs `work(conn, k)` for every k that `next` hands out (nullopt: none
// left for now or at all) on `jobs` connections, at most `count`; the first
// error stops the others at their next item. `next` and `done` are called
// under the scheduler's lock, so they need none of their own.
// `prepare` (optional) runs on each connection once it is open.
using Prepare = std::function<Status(Connection&)>;

template <typename Next, typename Done, typename Work>
Status RunScheduled(Driver& driver, const ConnectionUri& uri, size_t count, int jobs, Next next, Done done,
                    Work work, const Prepare& prepare = {}) {
  std::vector<std::unique_ptr<Connection>> conns;
  for (int i = 0; i < std::max(1, jobs) && static_cast<size_t>(i) < std::max<size_t>(count, 1); ++i) {
    auto c = driver.Connect(uri);
    if (!c.ok()) return c.status();
    if (prepare) CUTOVER_RETURN_IF_ERROR(prepare(**c));
    conns.push_back(std::move(*c));
  }
  std::mutex mu;
  std::condition_variable changed;
  size_t handed_out = 0;
  Status first;
  std::atomic<bool> failed{false};
  std::vector<std::thread> threads;
  for (auto& conn : conns) {
    threads.emplace_back([&, c = conn.get()] {
      while (!failed && !InterruptGuard::Requested()) {
        std::optional<size_t> k;
        {
          std::unique_lock<std::mutex> lock(mu);
          // Wait while items are left but none may start now (they would
          // contend with running ones); a finishing item wakes us.
          changed.wait(lock, [&] {
            if (failed || handed_out == count) return true;
            k = next();
            return k.has_value();
          });
          if (!k) return;
          ++handed_out;
        }
        Status st = work(*c, *k);
        std::lock_guard<std::mutex> lock(mu);
        done(*k);
        if (!st.ok()) {
          if (first.ok()) first = st;
          failed = true;
        }
        changed.notify_all();
      }
    });
  }
  for (auto& t : threads) t.join();
  if (!first.ok()) return first;
  if (InterruptGuard::Requested()) return InterruptedStatus();
  return Status::Ok();
}

// Runs `work(conn, k)` for k in [0, count) on `jobs` connections, in order.
template <typename Work>
Status ForEachParallel(Driver& driver, const ConnectionUri& uri, size_t count, int jobs, Work work) {
  size_t next = 0;
  return RunScheduled(
      driver, uri, count, jobs,
      [&]() -> std::optional<size_t> {
        if (next == count) return std::nullopt;
        return next++;
      },
      [](size_t) {}, work);
}

// ---- Post-data on several connections ----------------------------------
//
// Index builds dominate post-data. Like pg_restore -j, restore runs the
// index statements (CREATE INDEX, ALTER TABLE ... ADD PRIMARY KEY / UNIQUE /
// KEY) on `jobs` connections, biggest table first, never two on one table
// when either takes the table exclusively; then the rest of the script
// (foreign keys, which need those indexes, triggers, views, sequence
// positions...) in its original order on one connection. Every worker first
// runs the script's leading session settings. Statements after a later
// session setting (SET default_tablespace, a routine's sql_mode) stay in
// the serial part, so each runs under exactly the settings it had.

// The post-data script cut for index builds that start as soon as their
// table is loaded: the leading session settings (which every connection
// running an index build runs first), the index statements, biggest table
// first, and the rest of the script with those statements cut out.
struct PostDataPlan {
  struct Item {
    std::string text;  // the statement
    int line = 0;      // in the post-data script, for errors
    StatementClass index;
    std::int64_t bytes;  // of its table, to schedule big tables first
  };
  std::string preamble;
  std::vector<Item> items;
  std::string rest;
};

// Normalized table names a post-data statement may use for a manifest
// table: qualified and lower-cased, and its bare name.
std::vector<std::string> NamesOf(const TableEntry& e) {
  return {ToLower(e.table.schema.empty() ? e.table.name : e.table.schema + "." + e.table.name), e.table.name};
}

// nullopt when the script must run whole, in order, on one connection: it
// has no index statement, or the driver's splitter does not return the
// statements verbatim.
Result<std::optional<PostDataPlan>> PlanPostData(Driver& driver, const Manifest& m, const std::string& post) {
  auto statements = driver.SplitScript(post);
  if (!statements.ok()) return statements.status();
  // Where each statement is in the script, to cut the parallel ones out of
  // the serial remainder (which keeps its client-side DELIMITERs intact).
  std::vector<size_t> offsets;
  size_t cursor = 0;
  for (const auto& st : *statements) {
    size_t at = post.find(st.text, cursor);
    if (at == std::string::npos) return std::optional<PostDataPlan>();  // not verbatim: no reordering
    offsets.push_back(at);
    cursor = at + st.text.size();
  }
  PostDataPlan plan;
  size_t k = 0;
  auto kind_of = [&](size_t i) { return driver.ClassifyStatement((*statements)[i].text); };
  for (; k < statements->size(); ++k) {
    if (kind_of(k).kind != StatementClass::Kind::kSessionSetting) break;
    plan.preamble += (*statements)[k].text + ";\n";
  }
  std::map<std::string, std::int64_t> table_bytes;
  for (const auto& e : m.tables) {
    for (const std::string& name : NamesOf(e)) table_bytes[name] += e.raw_bytes;
  }
  std::vector<bool> cut(statements->size(), false);
  for (; k < statements->size(); ++k) {
    const ScriptStatement& st = (*statements)[k];
    const StatementClass kind = kind_of(k);
    if (kind.kind == StatementClass::Kind::kSessionSetting) break;
    if (kind.kind == StatementClass::Kind::kIndexBuild) {
      auto it = table_bytes.find(ToLower(kind.table));
      plan.items.push_back({st.text, st.line, kind, it == table_bytes.end() ? 0 : it->second});
      cut[k] = true;
    }
  }
  if (plan.items.empty()) return std::optional<PostDataPlan>();
  std::stable_sort(
      plan.items.begin(), plan.items.end(),
      [](const PostDataPlan::Item& a, const PostDataPlan::Item& b) { return a.bytes > b.bytes; });
  // The rest, in order, with the parallel statements and their ';' cut out.
  size_t copied = 0;
  for (size_t i = 0; i < statements->size(); ++i) {
    if (!cut[i]) continue;
    plan.rest.append(post, copied, offsets[i] - copied);
    copied = offsets[i] + (*statements)[i].text.size();
    size_t j = copied;
    while (j < post.size() && std::isspace(static_cast<unsigned char>(post[j]))) ++j;
    if (j < post.size() && post[j] == ';') copied = j + 1;
  }
  plan.rest.append(post, copied, std::string::npos);
  return std::optional<PostDataPlan>(std::move(plan));
}

Status RunScript(Driver& driver, const ConnectionUri& uri, const std::string& script,
                 const Prepare& prepare) {
  auto conn = driver.Connect(uri);
  if (!conn.ok()) return conn.status();
  CUTOVER_RETURN_IF_ERROR(prepare(**conn));
  return (*conn)->ExecuteScript(script);
}

// cutover's own restore connections are closed after the restore: the driver
// may tune them (durability too, on a scratch copy).
Prepare RestoreSessionSettings(bool scratch) {
  return [scratch](Connection& conn) -> Status {
    return conn.PrepareRestoreSession(scratch).WithContext("preparing a restore connection");
  };
}

// Writes the image chunks, each checked against its hashes, into a new
// private file beside `target` (`jobs` threads, pwrite at each chunk's
// offset), syncs it unless the target is a scratch database, and renames it
// over `target`: a failure leaves `target` as it was, and a kill leaves no
// partial file (it has no name until it is complete). Refuses when a
// rollback journal or WAL file sits beside `target`: SQLite would apply
// another database's journal to the new file.
Status WriteImage(const Repository& repo, const Manifest& m, const std::string& target,
                  const RestoreRequest& req) {
  Env& env = repo.env();
  for (const char* suffix : {"-journal", "-wal"}) {
    if (env.Exists(target + suffix)) {
      return Status::InvalidInput(target + suffix + " exists beside the target: another process may have " +
                                  target +
                                  " open, or a crash left it; close that process or remove the file " +
                                  "and run again (nothing was changed)");
    }
  }
  // The new file is unnamed until it is complete, so a killed restore
  // leaves nothing behind; it gets a temporary name only for the rename
  // over the target (Env::NewTempFile, ReplaceWithTempFile).
  const std::filesystem::path parent = std::filesystem::path(target).parent_path();
  const std::filesystem::path dir_name = parent.empty() ? std::filesystem::path(".") : parent;
  auto file = env.NewTempFile(dir_name);
  if (!file.ok()) return file.status().WithContext(target + ": cannot create a file beside it");
  TempFile& out = **file;

  std::vector<std::int64_t> offsets;
  std::int64_t offset = 0;
  for (const auto& c : m.image) {
    offsets.push_back(offset);
    offset += c.raw_bytes;
  }
  Progress progress(req.progress, "restore", static_cast<std::int64_t>(m.tables.size()),
                    m.TotalStoredBytes());
  const auto dir = repo.SnapshotDir(m.id);
  std::atomic<size_t> next{0};
  std::mutex mu;
  Status first;
  std::vector<std::thread> threads;
  for (int t = 0; t < std::max(1, req.jobs); ++t) {
    threads.emplace_back([&] {
      std::string raw;
      for (size_t k; (k = next.fetch_add(1)) < m.image.size();) {
        {
          std::lock_guard<std::mutex> lock(mu);
          if (!first.ok()) return;
        }
        if (InterruptGuard::Requested()) {
          std::lock_guard<std::mutex> lock(mu);
          if (first.ok()) first = InterruptedStatus();
          return;
        }
        const ChunkInfo& c = m.image[k];
        auto stored = repo.env().ReadFile(dir / c.file, static_cast<std::uint64_t>(kMaxChunkRawBytes));
        Status st = stored.ok() ? DecodeChunk(*stored, c, raw) : stored.status();
        if (st.code() == StatusCode::kNotFound) st = Status::CheckFailed(c.file + ": missing");
        if (st.ok()) st = out.WriteAt(offsets[k], raw).WithContext(target);
        if (st.ok()) CUTOVER_KILL_POINT("restore.image-chunk-written");
        if (!st.ok()) {
          std::lock_guard<std::mutex> lock(mu);
          if (first.ok()) first = st.WithContext("database image");
          return;
        }
        progress.AddBytes(c.stored_bytes);
      }
    });
  }
  for (auto& t : threads) t.join();
  CUTOVER_RETURN_IF_ERROR(first);
  if (!req.scratch) CUTOVER_RETURN_IF_ERROR(out.Sync().WithContext(target + ": fsync of the new file"));
  CUTOVER_RETURN_IF_ERROR(ReplaceWithTempFile(env, out, target));
  if (!req.scratch) CUTOVER_RETURN_IF_ERROR(env.SyncDir(dir_name));
  for (const auto& e : m.tables) {
    progress.AddRows(e.rows);
    progress.TableDone();
  }
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

namespace {

// The records layout, loaded on `jobs` connections: ranges biggest first, and
// each table's index builds (post-data) as soon as the table is loaded, on
// the same workers, so the build of a big table overlaps the loading of the
// others. Engines restored on one connection run the post-data script whole,
// after the data.
class RecordsRestore {
 public:
  RecordsRestore(const Repository& repo, const Manifest& m, const RestoreRequest& req, Prepare prepare,
                 int jobs)
      : repo_(repo),
        m_(m),
        req_(req),
        prepare_(std::move(prepare)),
        jobs_(jobs),
        dir_(repo.SnapshotDir(m.id)) {
    for (const auto& e : m.tables) {
      for (const auto& r : e.ranges) {
        std::int64_t b = 0;
        for (const auto& c : r) b += c.stored_bytes;
        if (!r.empty()) ranges_.push_back({&e, &r, b});
        total_bytes_ += b;
      }
    }
    std::stable_sort(ranges_.begin(), ranges_.end(),
                     [](const RangeRef& a, const RangeRef& b) { return a.bytes > b.bytes; });
    // Ranges of each table (by every name a statement may use) not yet loaded.
    for (const RangeRef& r : ranges_) {
      for (const std::string& name : NamesOf(*r.table)) ++unloaded_[name];
    }
    ranges_left_ = ranges_.size();
  }

  Status Run(const std::string& post, StageTimes& stages) {
    if (jobs_ > 1) {
      auto planned = PlanPostData(*req_.driver, m_, post);
      if (!planned.ok()) return planned.status().WithContext("reading the post-data script");
      plan_ = std::move(*planned);
    }
    if (plan_) items_ = plan_->items;
    taken_.assign(ranges_.size() + items_.size(), false);
    Progress progress(req_.progress, "restore", static_cast<std::int64_t>(m_.tables.size()), total_bytes_);
    progress_ = &progress;
    Status loaded = RunScheduled(
        *req_.driver, req_.into, ranges_.size() + items_.size(), jobs_, [this] { return NextItem(); },
        [this](size_t k) { ItemDone(k); },
        [this](Connection& conn, size_t k) -> Status {
          if (k < ranges_.size()) return LoadRange(conn, ranges_[k]);
          Status st = BuildIndex(conn, items_[k - ranges_.size()]);
          if (!st.ok()) return st.WithContext("creating indexes, constraints and triggers (post-data)");
          return st;
        },
        prepare_);
    index_sessions_.clear();
    if (!loaded.ok()) return loaded;
    CUTOVER_KILL_POINT("restore.data-loaded");
    std::string what = std::to_string(ranges_.size()) + " ranges";
    if (!items_.empty()) what += " and " + std::to_string(items_.size()) + " index statements";
    stages.Mark("restore: load the data (" + what + " on " + std::to_string(std::max(1, jobs_)) +
                " connections)");
    Status post_data = RunScript(*req_.driver, req_.into, plan_ ? plan_->rest : post, prepare_);
    if (!post_data.ok())
      return post_data.WithContext("creating indexes, constraints and triggers (post-data)");
    stages.Mark("restore: post-data");
    return Status::Ok();
  }

  std::int64_t rows() const { return rows_.load(); }

 private:
  struct RangeRef {
    const TableEntry* table;
    const std::vector<ChunkInfo>* chunks;
    std::int64_t bytes;
  };

  bool TableLoaded(const std::string& table) {
    auto it = unloaded_.find(ToLower(table));
    if (it == unloaded_.end()) it = unloaded_.find(table);
    // A table the manifest does not name waits for all the data.
    return it == unloaded_.end() ? ranges_left_ == 0 : it->second == 0;
  }

  // Biggest first, but a worker prefers a range of a table nobody is
  // loading: two loaders of one table contend on its extension lock (and on
  // MariaDB on its index pages). An index build whose table is loaded goes
  // before any range: it is the longest single step left for that table.
  // Called under the scheduler's lock, like ItemDone.
  std::optional<size_t> NextItem() {
    for (size_t i = 0; i < items_.size(); ++i) {
      if (taken_[ranges_.size() + i] || !TableLoaded(items_[i].index.table)) continue;
      auto& [shared, exclusive] = building_[items_[i].index.table];
      if (exclusive > 0 || (items_[i].index.exclusive && shared > 0)) continue;
      taken_[ranges_.size() + i] = true;
      (items_[i].index.exclusive ? exclusive : shared)++;
      return ranges_.size() + i;
    }
    std::optional<size_t> fallback;
    for (size_t i = 0; i < ranges_.size(); ++i) {
      if (taken_[i]) continue;
      if (!fallback) fallback = i;
      if (loading_[ranges_[i].table] == 0) {
        fallback = i;
        break;
      }
    }
    if (fallback) {
      taken_[*fallback] = true;
      ++loading_[ranges_[*fallback].table];
    }
    return fallback;
  }

  void ItemDone(size_t k) {
    if (k < ranges_.size()) {
      --loading_[ranges_[k].table];
      for (const std::string& name : NamesOf(*ranges_[k].table)) --unloaded_[name];
      --ranges_left_;
      return;
    }
    const PostDataPlan::Item& item = items_[k - ranges_.size()];
    auto& [shared, exclusive] = building_[item.index.table];
    (item.index.exclusive ? exclusive : shared)--;
  }

  Result<std::string> LoadChunk(const ChunkInfo& c) const {
    auto stored = repo_.env().ReadFile(dir_ / c.file, static_cast<std::uint64_t>(kMaxChunkRawBytes));
    if (!stored.ok()) {
      if (stored.status().code() == StatusCode::kNotFound) return Status::CheckFailed(c.file + ": missing");
      return stored.status();
    }
    std::string framed;
    CUTOVER_RETURN_IF_ERROR(DecodeChunk(*stored, c, framed));
    return framed;
  }

  // The next chunk is read and decoded on another thread while the driver
  // loads the current one: two chunks per worker in memory.
  Status LoadRange(Connection& conn, const RangeRef& r) {
    size_t next_chunk = 0;
    std::future<Result<std::string>> prefetch;
    std::string framed;
    std::vector<std::string_view> records;
    Status read_error;
    RecordBatchSource source = [&]() -> Result<std::span<const std::string_view>> {
      records.clear();
      if (InterruptGuard::Requested()) {
        read_error = InterruptedStatus();
        return read_error;
      }
      if (next_chunk == r.chunks->size()) return std::span<const std::string_view>();
      const ChunkInfo& c = (*r.chunks)[next_chunk++];
      Result<std::string> current = prefetch.valid() ? prefetch.get() : LoadChunk(c);
      if (next_chunk < r.chunks->size()) {
        prefetch = std::async(std::launch::async,
                              [this, &next = (*r.chunks)[next_chunk]] { return LoadChunk(next); });
      }
      if (!current.ok()) {
        read_error = current.status();
        return read_error;
      }
      framed = std::move(*current);
      CUTOVER_KILL_POINT("restore.chunk-read");  // mid-load: the range is being handed to the driver
      if (Status st = SplitFramedRecords(framed, records); !st.ok()) {
        read_error = st.WithContext(c.file);
        return read_error;
      }
      if (static_cast<std::int64_t>(records.size()) != c.rows) {
        read_error = Status::CheckFailed(c.file + ": " + std::to_string(records.size()) +
                                         " records, the manifest records " + std::to_string(c.rows));
        return read_error;
      }
      progress_->AddBytes(c.stored_bytes);
      progress_->AddRows(c.rows);
      return std::span<const std::string_view>(records);
    };
    auto n = conn.ImportRows(r.table->table, source);
    if (prefetch.valid()) prefetch.wait();  // the driver may stop early; never leave the thread behind
    // A damaged chunk is the snapshot's fault, whatever the driver made of
    // the error it got back from the source.
    if (!read_error.ok()) return read_error.WithContext("table " + TableLabel(r.table->table));
    if (!n.ok()) return n.status().WithContext("loading table " + TableLabel(r.table->table));
    rows_ += *n;
    return Status::Ok();
  }

  // Index builds run on a session of their own per worker, opened on its
  // first build and prepared with the post-data settings, so the worker's
  // loading session keeps its own settings.
  Status BuildIndex(Connection& worker, const PostDataPlan::Item& item) {
    Connection* session = nullptr;
    {
      std::lock_guard<std::mutex> lock(index_sessions_mu_);
      auto it = index_sessions_.find(&worker);
      if (it != index_sessions_.end()) session = it->second.get();
    }
    if (session == nullptr) {
      auto opened = req_.driver->Connect(req_.into);
      if (!opened.ok()) return opened.status();
      CUTOVER_RETURN_IF_ERROR(prepare_(**opened));
      if (!plan_->preamble.empty()) {
        if (Status st = (*opened)->ExecuteScript(plan_->preamble); !st.ok())
          return st.WithContext("post-data settings");
      }
      session = opened->get();
      std::lock_guard<std::mutex> lock(index_sessions_mu_);
      index_sessions_[&worker] = std::move(*opened);
    }
    auto r = session->Execute(item.text);
    if (!r.ok()) return r.status().WithContext("post-data line " + std::to_string(item.line));
    return Status::Ok();
  }

  const Repository& repo_;
  const Manifest& m_;
  const RestoreRequest& req_;
  const Prepare prepare_;
  const int jobs_;
  const std::filesystem::path dir_;
  std::vector<RangeRef> ranges_;
  std::int64_t total_bytes_ = 0;
  std::optional<PostDataPlan> plan_;
  std::vector<PostDataPlan::Item> items_;
  Progress* progress_ = nullptr;
  std::atomic<std::int64_t> rows_{0};
  // Scheduling state, used under RunScheduled's lock.
  std::vector<bool> taken_;
  std::map<const TableEntry*, int> loading_;
  std::map<std::string, std::pair<int, int>> building_;  // table -> (shared, exclusive) index builds
  std::map<std::string, int> unloaded_;
  size_t ranges_left_ = 0;
  std::mutex index_sessions_mu_;
  std::map<Connection*, std::unique_ptr<Connection>> index_sessions_;
};

}  // namespace

Result<SchemaModel> LoadSnapshotModel(const Repository& repo, const Manifest& m) {
  auto text = ReadSchemaFile(repo, m, m.model);
  if (!text.ok()) return text.status();
  return SchemaFromJson(*text, m.model.file);
}

Result<RestoreOutcome> RestoreSnapshot(const Repository& repo, const Manifest& m, const RestoreRequest& req) {
  const auto t0 = std::chrono::steady_clock::now();
  StageTimes stages;
  if (req.driver->info().name != m.engine) {
    return Status::InvalidInput("snapshot " + m.id + " is of a " + m.engine + " database; " +
                                req.into.Redacted() + " is " + req.driver->info().name);
  }
  // Read and check the schema files before touching the database.
  auto pre = ReadSchemaFile(repo, m, m.pre_data);
  if (!pre.ok()) return pre.status().WithContext("schema");
  auto post = ReadSchemaFile(repo, m, m.post_data);
  if (!post.ok()) return post.status().WithContext("schema");
  auto model = LoadSnapshotModel(repo, m);
  if (!model.ok()) return model.status().WithContext("schema");

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
  RestoreOutcome out;
  out.rows = m.TotalRows();
  // Missing roles stop the restore here, before it changes anything.
  auto access = PlanRestoreAccess(**into, *model, req.access);
  if (!access.ok()) return access.status();
  out.access = std::move(*access);
  if (!out.access.definer.empty() && m.layout != Layout::kImage) {
    for (std::string* script : {&*pre, &*post}) {
      auto rewritten = (*into)->WithDefiner(*script, out.access.definer);
      if (!rewritten.ok()) return rewritten.status().WithContext("--definer");
      *script = std::move(*rewritten);
    }
  }
  if (m.layout == Layout::kImage) {
    into->reset();  // the file is replaced: no connection may hold the old one open
    auto path = req.driver->ImageFilePath(req.into);
    if (!path.ok()) return path.status();
    stages.Mark("restore: check the snapshot's schema files and the target");
    CUTOVER_RETURN_IF_ERROR(WriteImage(repo, m, *path, req));
    stages.Mark("restore: write the database image (" + std::to_string(m.image.size()) + " chunks on " +
                std::to_string(std::max(1, req.jobs)) + " threads)");
  } else {
    const Prepare prepare = RestoreSessionSettings(req.scratch);
    CUTOVER_RETURN_IF_ERROR(prepare(**into));
    if (Status st = (*into)->ExecuteScript(*pre); !st.ok())
      return st.WithContext("creating the schema (pre-data)");
    const AccessSteps access_steps = SplitAccess(out.access, *model);
    CUTOVER_RETURN_IF_ERROR(ApplyAccess(**into, access_steps.with_tables));
    stages.Mark("restore: check the snapshot's schema files, pre-data");
    CUTOVER_KILL_POINT("restore.pre-data");
    const int jobs = (*into)->SupportsSharedSnapshot() ? req.jobs : 1;
    into->reset();  // workers connect on their own
    RecordsRestore records(repo, m, req, prepare, jobs);
    CUTOVER_RETURN_IF_ERROR(records.Run(*post, stages));
    out.rows = records.rows();
    if (!access_steps.after_post_data.empty()) {
      auto conn = req.driver->Connect(req.into);
      if (!conn.ok()) return conn.status();
      CUTOVER_RETURN_IF_ERROR(ApplyAccess(**conn, access_steps.after_post_data));
      stages.Mark("restore: owners and privileges (" + std::to_string(out.access.statements.size()) +
                  " statements, " + std::to_string(access_steps.with_tables.size()) +
                  " of them with pre-data)");
    }
  }
  CUTOVER_KILL_POINT("restore.done");
  out.stages = stages.entries();
  out.stored_bytes = m.TotalStoredBytes();
  out.model = std::move(*model);
  out.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  return out;
}

Result<std::int64_t> CompareImageDigests(Driver& driver, const std::string& path, const Manifest& m,
                                         const std::string& where, std::vector<std::string>& problems,
                                         std::vector<std::string>* per_table) {
  std::vector<std::string> names;
  names.reserve(m.tables.size());
  for (const auto& e : m.tables) names.push_back(e.table.name);
  auto digests = driver.DigestImage(path, names);
  if (!digests.ok()) {
    if (digests.status().code() != StatusCode::kCheckFailed) return digests.status();
    problems.push_back(where + " cannot be read back: " + digests.status().message());
    return std::int64_t{0};
  }
  std::int64_t rows = 0;
  if (per_table != nullptr) per_table->assign(m.tables.size(), "");
  for (size_t i = 0; i < m.tables.size() && i < digests->size(); ++i) {
    const TableEntry& e = m.tables[i];
    const ImageTableDigest& d = (*digests)[i];
    rows += d.rows;
    std::string problem;
    if (d.rows != e.rows) {
      problem = "table " + TableLabel(e.table) + ": " + std::to_string(d.rows) + " rows in " + where +
                ", the snapshot recorded " + std::to_string(e.rows);
    } else if (d.digest != e.digest) {
      problem = "table " + TableLabel(e.table) + ": content digest " + d.digest + " in " + where +
                " differs from the snapshot's " + e.digest + " (same row count, different data)";
    }
    if (problem.empty()) continue;
    if (per_table != nullptr) (*per_table)[i] = problem;
    problems.push_back(std::move(problem));
  }
  return rows;
}

namespace {

// What the restore test reads back, as (table, predicate) pieces: the
// tables the snapshot split into ranges are split again for `jobs` readers
// (on the restored database, by SplitForReaders), biggest first, so one big
// table does not leave the other connections idle; the rest whole. A table
// that cannot be split is read whole: the split only saves time.
Result<std::vector<std::pair<size_t, std::string>>> ReadBackPieces(const Manifest& m, Connection& conn,
                                                                   int jobs) {
  std::vector<size_t> order(m.tables.size());
  for (size_t k = 0; k < order.size(); ++k) order[k] = k;
  std::stable_sort(order.begin(), order.end(),
                   [&](size_t a, size_t b) { return m.tables[a].raw_bytes > m.tables[b].raw_bytes; });
  std::vector<std::pair<size_t, std::string>> pieces;
  for (size_t k : order) {
    const TableEntry& e = m.tables[k];
    if (jobs > 1 && e.ranges.size() > 1) {
      auto split = SplitForReaders(conn, e.table, jobs);
      if (split.ok() && split->size() > 1) {
        for (std::string& p : *split) pieces.emplace_back(k, std::move(p));
        continue;
      }
      if (!split.ok())
        spdlog::debug("reading table {} back whole: {}", TableLabel(e.table), split.status().ToString());
    }
    pieces.emplace_back(k, "");
  }
  return pieces;
}

}  // namespace

Result<Comparison> CompareWithManifest(const Manifest& m, const SchemaModel& expected, Driver& driver,
                                       const ConnectionUri& restored, int jobs,
                                       const std::function<void()>& after_schema) {
  Comparison cmp;
  // One connection reads the schema and plans the read-back.
  auto planner = driver.Connect(restored);
  if (!planner.ok()) return planner.status();
  {
    auto live = (*planner)->ReadSchema();
    if (!live.ok()) return live.status().WithContext("reading the restored schema");
    cmp.restored_schema = *live;
    if (Fingerprint(*live) != m.fingerprint) {
      auto drift = ComputeDrift(expected, *live, DriftOptions{});
      if (!drift.ok()) return drift.status();
      drift->expected_source = "snapshot " + m.id;
      drift->actual_source = "the restored database";
      std::string lines = DriftReportText(*drift);
      cmp.schema_problem = "schema: the restored schema's fingerprint " + Fingerprint(*live) +
                           " differs from the snapshot's " + m.fingerprint + ":\n" + lines;
      cmp.problems.push_back(cmp.schema_problem);
    }
  }
  if (after_schema) after_schema();
  if (m.layout == Layout::kImage) {
    planner->reset();
    // The driver counts and digests every table in the restored file
    // itself, not in the snapshot's chunks.
    auto path = driver.ImageFilePath(restored);
    if (!path.ok()) return path.status();
    auto rows =
        CompareImageDigests(driver, *path, m, "the restored database", cmp.problems, &cmp.table_problems);
    if (!rows.ok()) return rows.status();
    cmp.rows_read = *rows;
    cmp.tables_compared = static_cast<std::int64_t>(m.tables.size());
    std::sort(cmp.problems.begin(), cmp.problems.end());
    return cmp;
  }
  auto pieces = ReadBackPieces(m, **planner, jobs);
  if (!pieces.ok()) return pieces.status();
  planner->reset();
  // Per table: rows and digest summed over its pieces (the digest does not
  // depend on order), and the first read error.
  std::mutex mu;
  std::vector<std::int64_t> rows(m.tables.size(), 0);
  std::vector<ContentDigest> digests(m.tables.size());
  std::vector<std::string> read_errors(m.tables.size());
  Status st = ForEachParallel(driver, restored, pieces->size(), jobs, [&](Connection& conn, size_t k) {
    const auto& [table, predicate] = (*pieces)[k];
    const TableEntry& e = m.tables[table];
    std::int64_t n = 0;
    ContentDigest digest;
    Status read = conn.ExportRows(e.table, predicate, [&](std::string_view record) {
      if (InterruptGuard::Requested()) return InterruptedStatus();
      ++n;
      digest.AddRecord(record);
      return Status::Ok();
    });
    std::lock_guard<std::mutex> lock(mu);
    rows[table] += n;
    digests[table].Add(digest);
    if (!read.ok() && read_errors[table].empty()) read_errors[table] = read.message();
    return Status::Ok();
  });
  cmp.table_problems.assign(m.tables.size(), "");
  for (size_t k = 0; k < m.tables.size() && st.ok(); ++k) {
    const TableEntry& e = m.tables[k];
    std::string problem;
    if (!read_errors[k].empty()) {
      problem = "table " + TableLabel(e.table) + ": cannot be read back: " + read_errors[k];
    } else if (rows[k] != e.rows) {
      problem = "table " + TableLabel(e.table) + ": " + std::to_string(rows[k]) +
                " rows restored, the snapshot recorded " + std::to_string(e.rows);
    } else if (digests[k].Hex() != e.digest) {
      problem = "table " + TableLabel(e.table) + ": content digest " + digests[k].Hex() +
                " differs from the snapshot's " + e.digest + " (same row count, different data)";
    }
    if (problem.empty()) continue;
    cmp.table_problems[k] = problem;
    cmp.problems.push_back(std::move(problem));
  }
  std::int64_t rows_read = 0;
  for (std::int64_t n : rows) rows_read += n;
  if (!st.ok()) return st;
  cmp.tables_compared = static_cast<std::int64_t>(m.tables.size());
  cmp.rows_read = rows_read;
  std::sort(cmp.problems.begin(), cmp.problems.end());
  return cmp;
}

}  // namespace cutover::snapshot
