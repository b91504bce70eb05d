// Repository: the directory that holds snapshots (REPO/snapshots/<ID>/) and
// the catalog (REPO/catalog.db, see catalog/catalog.h).
//
// A snapshot directory counts only when its manifest.json exists: that file
// is renamed into place as the last step, so listing and resolving ignore
// everything else. While a snapshot is being written its directory holds a
// `.lock` file locked with flock; the directory is made in REPO/staging/ and
// renamed into snapshots/ only once locked, so a directory without a manifest
// whose lock is free was left by a killed run and CleanUpIncomplete() removes
// it. A concurrent snapshot in progress is never touched.
//
// IDs are "YYYYMMDDTHHMMSS.mmmZ-xxxxxx" (UTC time to the millisecond, 6
// random hex digits): they sort by creation time and never collide (mkdir
// fails on an existing name and creation retries).
#pragma once

#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "base/file_env.h"
#include "base/status.h"
#include "snapshot/manifest.h"

namespace cutover::snapshot {

class Repository {
 public:
  // For `cutover snapshot`: creates ROOT and ROOT/snapshots (0700) when
  // missing. An existing ROOT must already be a repository (it has
  // snapshots/) or be empty: kInvalidInput for any other directory or file,
  // so a mistyped --repo never scatters a catalog into an unrelated folder.
  static Result<Repository> Open(const std::filesystem::path& root, Env& env = Env::Default());
  // For every command that only reads snapshots (verify, restore,
  // restore-test, snapshots, prune, drift): ROOT must be a repository.
  // kInvalidInput naming ROOT otherwise; nothing is created.
  static Result<Repository> OpenExisting(const std::filesystem::path& root, Env& env = Env::Default());

  const std::filesystem::path& root() const { return root_; }
  std::filesystem::path SnapshotDir(const std::string& id) const { return root_ / "snapshots" / id; }
  Env& env() const { return *env_; }

  // A new, empty snapshot directory with its lock held.
  struct Pending {
    std::string id;
    std::filesystem::path dir;
    std::unique_ptr<FileLock> lock;
  };
  Result<Pending> StartSnapshot();
  // Commits: writes manifest.json atomically and releases the lock file.
  // Returns the manifest's checksum.
  Result<std::string> Commit(Pending& pending, const Manifest& manifest);
  // Removes a pending snapshot's directory (after a failure).
  void Abandon(Pending& pending);

  // IDs of committed snapshots, oldest first.
  Result<std::vector<std::string>> ListCommitted() const;
  // An exact ID, a unique ID prefix, or "latest". kNotFound says what exists.
  Result<std::string> Resolve(const std::string& ref) const;
  // Reads and checks manifest.json of a committed snapshot (its checksum).
  Result<Manifest> LoadManifest(const std::string& id) const;
  // Removes directories of interrupted snapshots; returns their names.
  std::vector<std::string> CleanUpIncomplete() const;
  // Deletes a committed snapshot: the manifest first (so a half-deleted
  // directory is never listed), then the rest.
  Status Delete(const std::string& id) const;

 private:
  Repository(std::filesystem::path root, Env& env) : root_(std::move(root)), env_(&env) {}
  std::filesystem::path root_;
  Env* env_;
};

}  // namespace cutover::snapshot
