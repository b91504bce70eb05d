// Env: the file-system seam of cutover.
//
// Every file cutover itself reads or writes goes through an Env: snapshot
// chunks and manifests, the database image a restore writes over the user's
// file, the scratch copy verify --deep decompresses into, the catalog's
// directory and lock files, plan and schema files read from disk. Tests
// wrap the real Env (EnvWrapper) and override one method to inject the
// failures real disks produce (a failed fsync, a short write, a full disk, a
// failed rename) and check that nothing half-written is ever taken for a
// complete file. Env::Default() is the real POSIX file system; it is
// thread-safe and lives for the whole process. Files that engines open
// themselves (SQLite's database, journal and WAL files) are theirs, not
// Env's.
//
// Ownership: an Env hands out files as unique_ptr; the caller owns them and
// destroying one closes it. An Env passed by reference must outlive every
// file it returned.
//
// Files and directories are created private: files 0600, directories 0700,
// whatever the process umask. NewWritableFile refuses to overwrite (O_EXCL):
// a snapshot never rewrites a file it did not create in this run. A file is
// replaced only through a TempFile (ReplaceWithTempFile): readers of the
// target see the old file or the complete new one, never a partial one.
//
// Every failure is a Status (kIo, or kNotFound for a missing file or
// directory) whose message names the path and the system error text
// (strerror). Nothing is retried except short transfers and EINTR.
#pragma once

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"

namespace cutover {

// A new file being written from its start.
class WritableFile {
 public:
  virtual ~WritableFile() = default;
  // Appends all of `data` or fails (short writes are retried, ENOSPC reported).
  virtual Status Append(std::string_view data) = 0;
  // fsync: the data is on disk when this returns Ok.
  virtual Status Sync() = 0;
  virtual Status Close() = 0;
};

// A file open for reading at any offset; ReadAt may be called from several
// threads at once (pread on one descriptor).
class RandomAccessFile {
 public:
  virtual ~RandomAccessFile() = default;
  // Exactly `size` bytes at `offset` into `data`; reading past the end is kIo
  // ("the file ended early"), naming the file and the offset.
  virtual Status ReadAt(std::int64_t offset, char* data, std::size_t size) = 0;
  // The file's current size (fstat).
  virtual Result<std::int64_t> Size() = 0;
};

// A new file with no name yet (O_TMPFILE; where the file system lacks it, a
// hidden name in the same directory), mode 0600. It is written at any
// offset, from several threads at once, and becomes visible only through
// LinkAs (ReplaceWithTempFile). Destroyed before that, it disappears: a
// killed process leaves nothing (with the hidden-name fallback, nothing
// once the destructor ran).
class TempFile {
 public:
  virtual ~TempFile() = default;
  // All of `data` at `offset`; a short write that cannot progress is kIo
  // (ENOSPC: "No space left on device"), naming the file and the offset.
  virtual Status WriteAt(std::int64_t offset, std::string_view data) = 0;
  // fsync: the data is on disk when this returns Ok.
  virtual Status Sync() = 0;
  // Gives the file the name `path` (linkat through /proc/self/fd), which
  // must be in the directory the file was created in. false when `path`
  // already exists (nothing changed; pick another name).
  virtual Result<bool> LinkAs(const std::filesystem::path& path) = 0;
  // A path by which this process (e.g. an engine's library) can open the
  // file while this object lives: /proc/self/fd/N.
  virtual std::string OpenPath() const = 0;
};

// What Stat reports.
struct FileInfo {
  enum class Kind { kFile, kDirectory, kOther };
  Kind kind = Kind::kOther;
  std::int64_t size = 0;
  std::uint32_t mode = 0;  // permission bits (0777 mask)
  std::chrono::system_clock::time_point modified;
};

// An exclusive advisory lock (flock) on a file, held for the object's life.
// Used to tell a snapshot being written from one abandoned by a killed run.
class FileLock {
 public:
  // Creates the file (0600) if needed and takes the lock without waiting;
  // kIo when another process holds it. Env::LockFile is the way in; this is
  // the POSIX implementation.
  static Result<std::unique_ptr<FileLock>> TryAcquire(const std::filesystem::path& path);
  ~FileLock();
  FileLock(const FileLock&) = delete;
  FileLock& operator=(const FileLock&) = delete;

 private:
  explicit FileLock(int fd) : fd_(fd) {}
  int fd_;
};

class Env {
 public:
  virtual ~Env() = default;
  // The POSIX file system.
  static Env& Default();

  // Writing. Creates a new file, mode 0600; fails if it exists (kIo, EEXIST).
  virtual Result<std::unique_ptr<WritableFile>> NewWritableFile(const std::filesystem::path& path) = 0;
  // A new unnamed file in `dir` (see TempFile).
  virtual Result<std::unique_ptr<TempFile>> NewTempFile(const std::filesystem::path& dir) = 0;

  // Reading.
  virtual Result<std::unique_ptr<RandomAccessFile>> NewRandomAccessFile(
      const std::filesystem::path& path) = 0;
  // Reads a whole file, refusing files larger than `max_bytes` (kInvalidInput).
  virtual Result<std::string> ReadFile(const std::filesystem::path& path, std::uint64_t max_bytes) = 0;
  // kNotFound when nothing is at `path`; symbolic links are followed.
  virtual Result<FileInfo> Stat(const std::filesystem::path& path) = 0;
  // The names (not paths) in a directory, without "." and "..", unsorted.
  virtual Result<std::vector<std::string>> ListDir(const std::filesystem::path& dir) = 0;

  // Directories. CreateDir makes one directory, mode 0700: true when it
  // made it, false when something already exists at `path`.
  virtual Result<bool> CreateDir(const std::filesystem::path& path) = 0;
  // Creates the directory and its missing parents, mode 0700.
  virtual Status CreateDirs(const std::filesystem::path& path) = 0;

  // Names. rename(2): atomic on one file system, replaces `to`.
  virtual Status Rename(const std::filesystem::path& from, const std::filesystem::path& to) = 0;
  // unlink(2); kNotFound when it is already gone.
  virtual Status RemoveFile(const std::filesystem::path& path) = 0;
  // A file, or a directory and everything in it; Ok when nothing was there.
  virtual Status RemoveAll(const std::filesystem::path& path) = 0;

  // Durability. fsync of a directory, so a rename or a new entry in it is durable.
  virtual Status SyncDir(const std::filesystem::path& dir) = 0;

  // Locks (see FileLock).
  virtual Result<std::unique_ptr<FileLock>> LockFile(const std::filesystem::path& path) = 0;

  // Stat(path).ok(): something (file or directory) is at `path`.
  bool Exists(const std::filesystem::path& path) { return Stat(path).ok(); }
};

// An Env that forwards every call to another one (leveldb's EnvWrapper): a
// test derives from it and overrides only the call it wants to fail. The
// target must outlive the wrapper.
class EnvWrapper : public Env {
 public:
  explicit EnvWrapper(Env& target) : target_(&target) {}
  Env& target() const { return *target_; }

  Result<std::unique_ptr<WritableFile>> NewWritableFile(const std::filesystem::path& path) override {
    return target_->NewWritableFile(path);
  }
  Result<std::unique_ptr<TempFile>> NewTempFile(const std::filesystem::path& dir) override {
    return target_->NewTempFile(dir);
  }
  Result<std::unique_ptr<RandomAccessFile>> NewRandomAccessFile(const std::filesystem::path& path) override {
    return target_->NewRandomAccessFile(path);
  }
  Result<std::string> ReadFile(const std::filesystem::path& path, std::uint64_t max_bytes) override {
    return target_->ReadFile(path, max_bytes);
  }
  Result<FileInfo> Stat(const std::filesystem::path& path) override { return target_->Stat(path); }
  Result<std::vector<std::string>> ListDir(const std::filesystem::path& dir) override {
    return target_->ListDir(dir);
  }
  Result<bool> CreateDir(const std::filesystem::path& path) override { return target_->CreateDir(path); }
  Status CreateDirs(const std::filesystem::path& path) override { return target_->CreateDirs(path); }
  Status Rename(const std::filesystem::path& from, const std::filesystem::path& to) override {
    return target_->Rename(from, to);
  }
  Status RemoveFile(const std::filesystem::path& path) override { return target_->RemoveFile(path); }
  Status RemoveAll(const std::filesystem::path& path) override { return target_->RemoveAll(path); }
  Status SyncDir(const std::filesystem::path& dir) override { return target_->SyncDir(dir); }
  Result<std::unique_ptr<FileLock>> LockFile(const std::filesystem::path& path) override {
    return target_->LockFile(path);
  }

 private:
  Env* target_;
};

// Writes `data` to `path` through a temporary file in the same directory,
// synced and renamed into place, then syncs the directory: readers see the
// old file or the complete new one, never a partial one.
Status WriteFileAtomically(Env& env, const std::filesystem::path& path, std::string_view data);

// Gives `file` a fresh temporary name beside `target` (LinkAs) and renames
// it over `target`. On failure `target` is as it was and the temporary
// name is removed again; the caller syncs the file before and the directory
// after (both are skipped for scratch copies). The returned error names
// `target`.
Status ReplaceWithTempFile(Env& env, TempFile& file, const std::filesystem::path& target);

}  // namespace cutover
