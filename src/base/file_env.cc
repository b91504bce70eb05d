#include "base/file_env.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <random>

namespace cutover {
namespace fs = std::filesystem;
namespace {

std::string Describe(const fs::path& path, const char* what, int err) {
  return path.string() + ": " + what + ": " + std::strerror(err);
}

Status IoError(const fs::path& path, const char* what, int err) {
  if (err == ENOENT) return Status::NotFound(Describe(path, what, err));
  return Status::Io(Describe(path, what, err));
}

Status OffsetError(const std::string& label, const char* what, std::int64_t offset, int err) {
  return Status::Io(label + ": " + what + " at byte " + std::to_string(offset) + ": " +
                    (err == 0 ? std::string("the file ended early") : std::strerror(err)));
}

std::string RandomSuffix() {
  static thread_local std::mt19937_64 rng{std::random_device{}()};
  static constexpr char kChars[] = "abcdefghijklmnopqrstuvwxyz0123456789";
  std::string s;
  for (int i = 0; i < 8; ++i) s += kChars[rng() % (sizeof kChars - 1)];
  return s;
}

class PosixWritableFile final : public WritableFile {
 public:
  PosixWritableFile(fs::path path, int fd) : path_(std::move(path)), fd_(fd) {}
  ~PosixWritableFile() override {
    if (fd_ >= 0) ::close(fd_);
  }
  Status Append(std::string_view data) override {
    while (!data.empty()) {
      ssize_t n = ::write(fd_, data.data(), data.size());
      if (n < 0) {
        if (errno == EINTR) continue;
        return IoError(path_, "write failed", errno);
      }
      data.remove_prefix(static_cast<size_t>(n));
    }
    return Status::Ok();
  }
  Status Sync() override {
    if (::fdatasync(fd_) != 0) return IoError(path_, "fsync failed", errno);
    return Status::Ok();
  }
  Status Close() override {
    int fd = fd_;
    fd_ = -1;
    if (fd >= 0 && ::close(fd) != 0) return IoError(path_, "close failed", errno);
    return Status::Ok();
  }

 private:
  fs::path path_;
  int fd_;
};

class PosixRandomAccessFile final : public RandomAccessFile {
 public:
  PosixRandomAccessFile(fs::path path, int fd) : path_(std::move(path)), fd_(fd) {}
  ~PosixRandomAccessFile() override { ::close(fd_); }
  Status ReadAt(std::int64_t offset, char* data, std::size_t size) override {
    for (std::size_t done = 0; done < size;) {
      const std::int64_t at = offset + static_cast<std::int64_t>(done);
      const ssize_t n = ::pread(fd_, data + done, size - done, static_cast<off_t>(at));
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) return OffsetError(path_.string(), "reading", at, n == 0 ? 0 : errno);
      done += static_cast<std::size_t>(n);
    }
    return Status::Ok();
  }
  Result<std::int64_t> Size() override {
    struct stat st {};
    if (::fstat(fd_, &st) != 0) return IoError(path_, "cannot stat", errno);
    return static_cast<std::int64_t>(st.st_size);
  }

 private:
  fs::path path_;
  int fd_;
};

// `named_` is the hidden name of a file created without O_TMPFILE, removed
// unless LinkAs gave the file its real name.
class PosixTempFile final : public TempFile {
 public:
  PosixTempFile(fs::path dir, int fd, fs::path named)
      : dir_(std::move(dir)), fd_(fd), named_(std::move(named)) {}
  ~PosixTempFile() override {
    ::close(fd_);
    if (!named_.empty()) ::unlink(named_.c_str());
  }
  Status WriteAt(std::int64_t offset, std::string_view data) override {
    for (std::size_t done = 0; done < data.size();) {
      const std::int64_t at = offset + static_cast<std::int64_t>(done);
      const ssize_t n = ::pwrite(fd_, data.data() + done, data.size() - done, static_cast<off_t>(at));
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) return OffsetError(Label(), "writing", at, n == 0 ? ENOSPC : errno);
      done += static_cast<std::size_t>(n);
    }
    return Status::Ok();
  }
  Status Sync() override {
    if (::fsync(fd_) != 0) return Status::Io(Label() + ": fsync failed: " + std::strerror(errno));
    return Status::Ok();
  }
  Result<bool> LinkAs(const fs::path& path) override {
    // linkat through /proc needs no privilege (AT_EMPTY_PATH would).
    const int rc = named_.empty()
                       ? ::linkat(AT_FDCWD, OpenPath().c_str(), AT_FDCWD, path.c_str(), AT_SYMLINK_FOLLOW)
                       : ::link(named_.c_str(), path.c_str());
    if (rc != 0) {
      if (errno == EEXIST) return false;
      return IoError(path, "cannot name the new file", errno);
    }
    if (!named_.empty()) {
      ::unlink(named_.c_str());
      named_.clear();
    }
    return true;
  }
  std::string OpenPath() const override { return "/proc/self/fd/" + std::to_string(fd_); }

 private:
  std::string Label() const { return named_.empty() ? "new file in " + dir_.string() : named_.string(); }
  fs::path dir_;
  int fd_;
  fs::path named_;
};

class PosixEnv final : public Env {
 public:
  Result<std::unique_ptr<WritableFile>> NewWritableFile(const fs::path& path) override {
    int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    if (fd < 0) return IoError(path, "cannot create", errno);
    ::fchmod(fd, 0600);  // whatever the umask
    return std::unique_ptr<WritableFile>(new PosixWritableFile(path, fd));
  }
  Result<std::unique_ptr<TempFile>> NewTempFile(const fs::path& dir) override {
    const fs::path where = dir.empty() ? fs::path(".") : dir;
    int fd = ::open(where.c_str(), O_TMPFILE | O_RDWR | O_CLOEXEC, 0600);
    fs::path named;
    if (fd < 0) {
      // No O_TMPFILE on this file system: a hidden name, removed on destruction.
      std::string pattern = (where / ".cutover-new-XXXXXX").string();
      fd = ::mkstemp(pattern.data());
      if (fd >= 0) named = pattern;
    }
    if (fd < 0) return IoError(where, "cannot create a new file in this directory", errno);
    ::fchmod(fd, 0600);
    return std::unique_ptr<TempFile>(new PosixTempFile(where, fd, std::move(named)));
  }
  Result<std::unique_ptr<RandomAccessFile>> NewRandomAccessFile(const fs::path& path) override {
    int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) return IoError(path, "cannot open", errno);
    return std::unique_ptr<RandomAccessFile>(new PosixRandomAccessFile(path, fd));
  }
  Result<std::string> ReadFile(const fs::path& path, std::uint64_t max_bytes) override;
  Result<FileInfo> Stat(const fs::path& path) override {
    struct stat st {};
    if (::stat(path.c_str(), &st) != 0) return IoError(path, "cannot stat", errno);
    FileInfo info;
    info.kind = S_ISREG(st.st_mode)   ? FileInfo::Kind::kFile
                : S_ISDIR(st.st_mode) ? FileInfo::Kind::kDirectory
                                      : FileInfo::Kind::kOther;
    info.size = static_cast<std::int64_t>(st.st_size);
    info.mode = static_cast<std::uint32_t>(st.st_mode & 0777);
    info.modified =
        std::chrono::system_clock::time_point(std::chrono::duration_cast<std::chrono::system_clock::duration>(
            std::chrono::seconds(st.st_mtim.tv_sec) + std::chrono::nanoseconds(st.st_mtim.tv_nsec)));
    return info;
  }
  Result<std::vector<std::string>> ListDir(const fs::path& dir) override {
    DIR* d = ::opendir(dir.c_str());
    if (d == nullptr) return IoError(dir, "cannot list", errno);
    std::vector<std::string> names;
    errno = 0;
    while (const dirent* e = ::readdir(d)) {
      const std::string name = e->d_name;
      if (name != "." && name != "..") names.push_back(name);
      errno = 0;
    }
    const int err = errno;
    ::closedir(d);
    if (err != 0) return IoError(dir, "cannot list", err);
    return names;
  }
  Result<bool> CreateDir(const fs::path& path) override {
    if (::mkdir(path.c_str(), 0700) != 0) {
      if (errno == EEXIST) return false;
      return IoError(path, "cannot create directory", errno);
    }
    if (::chmod(path.c_str(), 0700) != 0) return IoError(path, "cannot set mode 0700", errno);
    return true;
  }
  Status CreateDirs(const fs::path& path) override {
    fs::path built;
    for (const auto& part : path) {
      built /= part;
      if (built.empty() || built == built.root_path()) continue;
      auto made = CreateDir(built);
      if (!made.ok()) return made.status();
    }
    auto info = Stat(path);
    if (!info.ok()) return info.status();
    if (info->kind != FileInfo::Kind::kDirectory)
      return Status::Io(path.string() + ": exists and is not a directory");
    return Status::Ok();
  }
  Status Rename(const fs::path& from, const fs::path& to) override {
    if (::rename(from.c_str(), to.c_str()) != 0) {
      return IoError(from, ("cannot rename to " + to.string()).c_str(), errno);
    }
    return Status::Ok();
  }
  Status RemoveFile(const fs::path& path) override {
    if (::unlink(path.c_str()) != 0) return IoError(path, "cannot remove", errno);
    return Status::Ok();
  }
  Status RemoveAll(const fs::path& path) override {
    std::error_code ec;
    fs::remove_all(path, ec);
    if (ec) return Status::Io(path.string() + ": cannot remove: " + ec.message());
    return Status::Ok();
  }
  Status SyncDir(const fs::path& dir) override {
    int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0) return IoError(dir, "cannot open directory", errno);
    int rc = ::fsync(fd);
    int err = errno;
    ::close(fd);
    if (rc != 0) return IoError(dir, "fsync of directory failed", err);
    return Status::Ok();
  }
  Result<std::unique_ptr<FileLock>> LockFile(const fs::path& path) override {
    return FileLock::TryAcquire(path);
  }
};

Result<std::string> PosixEnv::ReadFile(const fs::path& path, std::uint64_t max_bytes) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return IoError(path, "cannot open", errno);
  struct stat st {};
  if (::fstat(fd, &st) != 0) {
    int err = errno;
    ::close(fd);
    return IoError(path, "cannot stat", err);
  }
  if (static_cast<std::uint64_t>(st.st_size) > max_bytes) {
    ::close(fd);
    return Status::InvalidInput(path.string() + ": " + std::to_string(st.st_size) +
                                " bytes, larger than the " + std::to_string(max_bytes) + " this file can be");
  }
  std::string data(static_cast<size_t>(st.st_size), '\0');
  size_t done = 0;
  while (done < data.size()) {
    ssize_t n = ::read(fd, data.data() + done, data.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      int err = n < 0 ? errno : EIO;
      ::close(fd);
      return IoError(path, n < 0 ? "read failed" : "file shrank while being read", err);
    }
    done += static_cast<size_t>(n);
  }
  ::close(fd);
  return data;
}

}  // namespace

Env& Env::Default() {
  static PosixEnv env;
  return env;
}

Status WriteFileAtomically(Env& env, const fs::path& path, std::string_view data) {
  fs::path tmp = path;
  tmp += ".tmp" + RandomSuffix();
  auto file = env.NewWritableFile(tmp);
  if (!file.ok()) return file.status();
  Status st = (*file)->Append(data);
  if (st.ok()) st = (*file)->Sync();
  Status closed = (*file)->Close();
  if (st.ok()) st = closed;
  if (st.ok()) st = env.Rename(tmp, path);
  if (!st.ok()) {
    (void)env.RemoveFile(tmp);
    return st;
  }
  return env.SyncDir(path.parent_path().empty() ? fs::path(".") : path.parent_path());
}

Status ReplaceWithTempFile(Env& env, TempFile& file, const fs::path& target) {
  fs::path temp;
  for (int attempt = 0;; ++attempt) {
    temp = target;
    temp += ".cutover-" + RandomSuffix();
    auto linked = file.LinkAs(temp);
    if (!linked.ok()) return linked.status().WithContext(target.string());
    if (*linked) break;
    if (attempt >= 10) return Status::Io(target.string() + ": cannot find a free name for the new file");
  }
  if (Status st = env.Rename(temp, target); !st.ok()) {
    (void)env.RemoveFile(temp);
    return st.WithContext(target.string());
  }
  return Status::Ok();
}

Result<std::unique_ptr<FileLock>> FileLock::TryAcquire(const fs::path& path) {
  int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
  if (fd < 0) return IoError(path, "cannot open lock file", errno);
  if (::flock(fd, LOCK_EX | LOCK_NB) != 0) {
    int err = errno;
    ::close(fd);
    return Status::Io(Describe(path, "locked by another cutover process", err));
  }
  return std::unique_ptr<FileLock>(new FileLock(fd));
}

FileLock::~FileLock() {
  ::close(fd_);
}

}  // namespace cutover
