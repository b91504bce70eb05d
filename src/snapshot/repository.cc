#include "snapshot/repository.h"

#include <sys/stat.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <random>

namespace cutover::snapshot {
namespace fs = std::filesystem;
namespace {

constexpr char kLockFile[] = ".lock";
constexpr std::uint64_t kMaxManifestBytes = std::uint64_t{1} << 30;

std::string NewId() {
  const auto now = std::chrono::system_clock::now();
  const std::time_t secs = std::chrono::system_clock::to_time_t(now);
  const auto ms =
      std::chrono::duration_cast<std::chrono::milliseconds>(now.time_since_epoch()).count() % 1000;
  std::tm tm{};
  gmtime_r(&secs, &tm);
  char stamp[32];
  std::strftime(stamp, sizeof stamp, "%Y%m%dT%H%M%S", &tm);
  char millis[8];
  std::snprintf(millis, sizeof millis, ".%03dZ", static_cast<int>(ms));
  static thread_local std::mt19937_64 rng{std::random_device{}()};
  static constexpr char kHex[] = "0123456789abcdef";
  std::string id = std::string(stamp) + millis + "-";
  for (int i = 0; i < 6; ++i) id += kHex[rng() & 15];
  return id;
}

constexpr char kNoRepository[] = "no repository: pass --repo DIR or set [repository] path in the config";

bool IsRepository(const fs::path& root) {
  std::error_code ec;
  return fs::is_directory(root / "snapshots", ec);
}

}  // namespace

Result<Repository> Repository::Open(const fs::path& root, Env& env) {
  if (root.empty()) return Status::InvalidInput(kNoRepository);
  std::error_code ec;
  const auto kind = fs::status(root, ec).type();
  if (kind != fs::file_type::not_found && !IsRepository(root)) {
    if (kind != fs::file_type::directory) {
      return Status::InvalidInput(root.string() +
                                  " is not a directory; pass a new or empty directory as --repo");
    }
    if (!fs::is_empty(root, ec) || ec) {
      return Status::InvalidInput(
          root.string() +
          " is not a cutover repository (it has no snapshots/ directory) and is not "
          "empty; pass the repository's path, or a new or empty directory, as --repo");
    }
  }
  CUTOVER_RETURN_IF_ERROR(env.CreateDirs(root / "snapshots"));
  return Repository(root, env);
}

Result<Repository> Repository::OpenExisting(const fs::path& root, Env& env) {
  if (root.empty()) return Status::InvalidInput(kNoRepository);
  std::error_code ec;
  if (!fs::exists(root, ec)) {
    return Status::InvalidInput("no repository at " + root.string() +
                                " (the directory does not exist): check --repo or [repository] path; "
                                "`cutover snapshot TARGET` creates it with the first snapshot");
  }
  if (!IsRepository(root)) {
    return Status::InvalidInput(root.string() +
                                " is not a cutover repository (it has no snapshots/ directory): check --repo "
                                "or [repository] path");
  }
  return Repository(root, env);
}

Result<Repository::Pending> Repository::StartSnapshot() {
  for (int attempt = 0; attempt < 10; ++attempt) {
    Pending p;
    p.id = NewId();
    p.dir = SnapshotDir(p.id);
    if (::mkdir(p.dir.c_str(), 0700) != 0) {
      if (errno == EEXIST) continue;
      return Status::Io(p.dir.string() + ": cannot create snapshot directory: " + std::strerror(errno));
    }
    ::chmod(p.dir.c_str(), 0700);
    auto lock = FileLock::TryAcquire(p.dir / kLockFile);
    if (!lock.ok()) return lock.status();
    p.lock = std::move(*lock);
    CUTOVER_RETURN_IF_ERROR(env_->CreateDirs(p.dir / "data"));
    CUTOVER_RETURN_IF_ERROR(env_->CreateDirs(p.dir / "schema"));
    return p;
  }
  return Status::Io("could not find a free snapshot id in " + root_.string());
}

Result<std::string> Repository::Commit(Pending& pending, const Manifest& manifest) {
  // Everything the manifest names was synced when written; the directories
  // holding them are synced before the manifest makes them a snapshot.
  CUTOVER_RETURN_IF_ERROR(env_->SyncDir(pending.dir / "data"));
  CUTOVER_RETURN_IF_ERROR(env_->SyncDir(pending.dir / "schema"));
  std::string text = Serialize(manifest);
  CUTOVER_RETURN_IF_ERROR(WriteFileAtomically(*env_, pending.dir / kManifestFile, text));
  std::error_code ec;
  fs::remove(pending.dir / kLockFile, ec);
  pending.lock.reset();
  (void)env_->SyncDir(pending.dir);
  (void)env_->SyncDir(root_ / "snapshots");
  return ChecksumOf(text);
}

void Repository::Abandon(Pending& pending) {
  std::error_code ec;
  fs::remove_all(pending.dir, ec);
  pending.lock.reset();
}

Result<std::vector<std::string>> Repository::ListCommitted() const {
  std::vector<std::string> ids;
  std::error_code ec;
  for (fs::directory_iterator it(root_ / "snapshots", ec), end; !ec && it != end; it.increment(ec)) {
    if (it->is_directory() && fs::exists(it->path() / kManifestFile)) ids.push_back(it->path().filename());
  }
  if (ec) return Status::Io((root_ / "snapshots").string() + ": cannot list: " + ec.message());
  std::sort(ids.begin(), ids.end());
  return ids;
}

Result<std::string> Repository::Resolve(const std::string& ref) const {
  auto ids = ListCommitted();
  if (!ids.ok()) return ids.status();
  if (ids->empty()) {
    return Status::NotFound("the repository " + root_.string() +
                            " has no snapshots; take one with `cutover snapshot TARGET`");
  }
  if (ref == "latest") return ids->back();
  std::vector<std::string> matches;
  for (const auto& id : *ids) {
    if (id == ref) return id;
    if (id.starts_with(ref)) matches.push_back(id);
  }
  if (matches.size() == 1) return matches[0];
  if (matches.empty()) {
    return Status::NotFound("no snapshot '" + ref + "' in " + root_.string() +
                            "; `cutover snapshots` lists them (newest: " + ids->back() + ")");
  }
  return Status::InvalidInput("'" + ref + "' matches " + std::to_string(matches.size()) +
                              " snapshots; give more of the id");
}

Result<Manifest> Repository::LoadManifest(const std::string& id) const {
  fs::path path = SnapshotDir(id) / kManifestFile;
  auto text = env_->ReadFile(path, kMaxManifestBytes);
  if (!text.ok()) return text.status();
  auto manifest = Parse(*text, path.string());
  if (!manifest.ok()) return manifest.status();
  if (manifest->id != id) {
    return Status::CheckFailed(path.string() + ": the manifest names snapshot " + manifest->id +
                               ", not the directory it is in (" + id + ")");
  }
  return manifest;
}

std::vector<std::string> Repository::CleanUpIncomplete() const {
  std::vector<std::string> removed;
  std::error_code ec;
  for (fs::directory_iterator it(root_ / "snapshots", ec), end; !ec && it != end; it.increment(ec)) {
    if (!it->is_directory() || fs::exists(it->path() / kManifestFile)) continue;
    // A snapshot being created has its directory a moment before its lock:
    // leave very young directories alone.
    std::error_code age_ec;
    auto modified = fs::last_write_time(it->path(), age_ec);
    if (age_ec || fs::file_time_type::clock::now() - modified < std::chrono::seconds(60)) {
      if (!fs::exists(it->path() / kLockFile)) continue;
    }
    auto lock = FileLock::TryAcquire(it->path() / kLockFile);
    if (!lock.ok()) continue;  // a snapshot in progress
    std::error_code rm;
    fs::remove_all(it->path(), rm);
    if (!rm) removed.push_back(it->path().filename());
  }
  return removed;
}

Status Repository::Delete(const std::string& id) const {
  fs::path dir = SnapshotDir(id);
  std::error_code ec;
  fs::remove(dir / kManifestFile, ec);
  if (ec) return Status::Io((dir / kManifestFile).string() + ": cannot delete: " + ec.message());
  (void)env_->SyncDir(dir);
  fs::remove_all(dir, ec);
  if (ec) return Status::Io(dir.string() + ": cannot delete: " + ec.message());
  return Status::Ok();
}

}  // namespace cutover::snapshot
