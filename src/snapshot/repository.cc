#include "snapshot/repository.h"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <ctime>
#include <random>

#include "base/kill_point.h"

namespace cutover::snapshot {
namespace fs = std::filesystem;
namespace {

constexpr char kLockFile[] = ".lock";
constexpr char kStagingDir[] = "staging";
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

bool IsRepository(Env& env, const fs::path& root) {
  auto info = env.Stat(root / "snapshots");
  return info.ok() && info->kind == FileInfo::Kind::kDirectory;
}

}  // namespace

Result<Repository> Repository::Open(const fs::path& root, Env& env) {
  if (root.empty()) return Status::InvalidInput(kNoRepository);
  auto info = env.Stat(root);
  if (info.ok() && !IsRepository(env, root)) {
    if (info->kind != FileInfo::Kind::kDirectory) {
      return Status::InvalidInput(root.string() +
                                  " is not a directory; pass a new or empty directory as --repo");
    }
    auto names = env.ListDir(root);
    if (!names.ok() || !names->empty()) {
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
  if (!env.Exists(root)) {
    // Exists() follows links: a link that loops or points nowhere is there
    // but leads nowhere, and "does not exist" would send the user looking
    // for a missing directory.
    std::error_code ec;
    if (fs::is_symlink(fs::symlink_status(root, ec))) {
      return Status::InvalidInput("no repository at " + root.string() +
                                  ": it is a symbolic link that cannot be followed (it points nowhere, or "
                                  "into a loop of links); check --repo or [repository] path");
    }
    return Status::InvalidInput("no repository at " + root.string() +
                                " (the directory does not exist): check --repo or [repository] path; "
                                "`cutover snapshot TARGET` creates it with the first snapshot");
  }
  if (!IsRepository(env, root)) {
    return Status::InvalidInput(root.string() +
                                " is not a cutover repository (it has no snapshots/ directory): check --repo "
                                "or [repository] path");
  }
  return Repository(root, env);
}

Result<Repository::Pending> Repository::StartSnapshot() {
  // The directory is built in staging/ with its lock held, then renamed into
  // snapshots/: a directory there always has a lock file, so one without a
  // live holder is abandoned however early its run was killed.
  CUTOVER_RETURN_IF_ERROR(env_->CreateDirs(root_ / kStagingDir));
  for (int attempt = 0; attempt < 10; ++attempt) {
    Pending p;
    p.id = NewId();
    p.dir = SnapshotDir(p.id);
    if (env_->Exists(p.dir)) continue;
    const fs::path staging = root_ / kStagingDir / p.id;
    auto made = env_->CreateDir(staging);
    if (!made.ok()) return made.status().WithContext("creating the snapshot directory");
    if (!*made) continue;
    auto lock = env_->LockFile(staging / kLockFile);
    if (!lock.ok()) return lock.status();
    p.lock = std::move(*lock);
    CUTOVER_RETURN_IF_ERROR(env_->CreateDirs(staging / "data"));
    CUTOVER_RETURN_IF_ERROR(env_->CreateDirs(staging / "schema"));
    Status moved = env_->Rename(staging, p.dir);
    if (!moved.ok()) {
      (void)env_->RemoveAll(staging);
      return moved.WithContext("creating the snapshot directory");
    }
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
  CUTOVER_KILL_POINT("snapshot.manifest-written");  // committed; its lock file not yet removed
  (void)env_->RemoveFile(pending.dir / kLockFile);
  pending.lock.reset();
  (void)env_->SyncDir(pending.dir);
  (void)env_->SyncDir(root_ / "snapshots");
  return ChecksumOf(text);
}

void Repository::Abandon(Pending& pending) {
  (void)env_->RemoveAll(pending.dir);
  pending.lock.reset();
}

Result<std::vector<std::string>> Repository::ListCommitted() const {
  std::vector<std::string> ids;
  auto names = env_->ListDir(root_ / "snapshots");
  if (!names.ok()) return names.status();
  for (const auto& name : *names) {
    const fs::path dir = root_ / "snapshots" / name;
    auto info = env_->Stat(dir);
    if (info.ok() && info->kind == FileInfo::Kind::kDirectory && env_->Exists(dir / kManifestFile))
      ids.push_back(name);
  }
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
  auto names = env_->ListDir(root_ / "snapshots");
  if (names.ok()) {
    for (const auto& name : *names) {
      const fs::path dir = root_ / "snapshots" / name;
      auto info = env_->Stat(dir);
      if (!info.ok() || info->kind != FileInfo::Kind::kDirectory || env_->Exists(dir / kManifestFile))
        continue;
      auto lock = env_->LockFile(dir / kLockFile);
      if (!lock.ok()) continue;  // a snapshot in progress
      if (env_->RemoveAll(dir).ok()) removed.push_back(name);
    }
  }
  // A run killed between creating its staging directory and locking it
  // leaves one without a lock file: only an old one is surely abandoned.
  auto staged = env_->ListDir(root_ / kStagingDir);
  if (!staged.ok()) return removed;
  for (const auto& name : *staged) {
    const fs::path dir = root_ / kStagingDir / name;
    auto info = env_->Stat(dir);
    if (!info.ok()) continue;
    if (!env_->Exists(dir / kLockFile) &&
        std::chrono::system_clock::now() - info->modified < std::chrono::seconds(60))
      continue;
    auto lock = env_->LockFile(dir / kLockFile);
    if (lock.ok()) (void)env_->RemoveAll(dir);
  }
  return removed;
}

Status Repository::Delete(const std::string& id) const {
  fs::path dir = SnapshotDir(id);
  Status removed = env_->RemoveFile(dir / kManifestFile);
  if (!removed.ok() && removed.code() != StatusCode::kNotFound) return removed.WithContext("deleting");
  (void)env_->SyncDir(dir);
  return env_->RemoveAll(dir).WithContext("deleting");
}

}  // namespace cutover::snapshot
