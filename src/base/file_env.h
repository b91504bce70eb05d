// Env: the file-system seam of cutover.
//
// Snapshots and catalogs write through an Env so that tests can inject the
// failures real disks produce (a failed fsync, a short write, a full disk)
// and check that nothing half-written is ever taken for a complete snapshot.
// Env::Default() is the real POSIX file system; tests subclass Env.
//
// Files and directories are created private: files 0600, directories 0700,
// whatever the process umask. NewWritableFile refuses to overwrite (O_EXCL):
// a snapshot never rewrites a file it did not create in this run.
//
// Every failure is a Status (kIo, or kNotFound for a missing file) whose
// message names the path and the system error.
#pragma once

#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>
#include <string_view>

#include "base/status.h"

namespace cutover {

class WritableFile {
 public:
  virtual ~WritableFile() = default;
  // Appends all of `data` or fails (short writes are retried, ENOSPC reported).
  virtual Status Append(std::string_view data) = 0;
  // fsync: the data is on disk when this returns Ok.
  virtual Status Sync() = 0;
  virtual Status Close() = 0;
};

class Env {
 public:
  virtual ~Env() = default;
  static Env& Default();

  // Creates a new file, mode 0600; fails if it exists.
  virtual Result<std::unique_ptr<WritableFile>> NewWritableFile(const std::filesystem::path& path) = 0;
  // Creates the directory and its missing parents, mode 0700.
  virtual Status CreateDirs(const std::filesystem::path& path) = 0;
  // rename(2): atomic on one file system.
  virtual Status Rename(const std::filesystem::path& from, const std::filesystem::path& to) = 0;
  // fsync of a directory, so a rename or a new entry in it is durable.
  virtual Status SyncDir(const std::filesystem::path& dir) = 0;
  // Reads a whole file, refusing files larger than `max_bytes`.
  virtual Result<std::string> ReadFile(const std::filesystem::path& path, std::uint64_t max_bytes) = 0;
};

// Writes `data` to `path` through a temporary file in the same directory,
// synced and renamed into place, then syncs the directory: readers see the
// old file or the complete new one, never a partial one.
Status WriteFileAtomically(Env& env, const std::filesystem::path& path, std::string_view data);

// Positional I/O on a descriptor shared by several threads: the whole of
// `data` at `offset`, retrying short transfers and EINTR. kIo names `what`
// (the file, for messages) and the offset; reading past the end is kIo too.
Status ReadAllAt(int fd, char* data, std::size_t size, std::int64_t offset, const std::string& what);
Status WriteAllAt(int fd, std::string_view data, std::int64_t offset, const std::string& what);

// An exclusive advisory lock (flock) on a file, held for the object's life.
// Used to tell a snapshot being written from one abandoned by a killed run.
class FileLock {
 public:
  // Creates the file (0600) if needed and takes the lock without waiting;
  // kIo when another process holds it.
  static Result<std::unique_ptr<FileLock>> TryAcquire(const std::filesystem::path& path);
  ~FileLock();
  FileLock(const FileLock&) = delete;
  FileLock& operator=(const FileLock&) = delete;

 private:
  explicit FileLock(int fd) : fd_(fd) {}
  int fd_;
};

}  // namespace cutover
