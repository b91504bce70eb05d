#include "base/file_env.h"

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

class PosixEnv final : public Env {
 public:
  Result<std::unique_ptr<WritableFile>> NewWritableFile(const fs::path& path) override {
    int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    if (fd < 0) return IoError(path, "cannot create", errno);
    ::fchmod(fd, 0600);  // whatever the umask
    return std::unique_ptr<WritableFile>(new PosixWritableFile(path, fd));
  }
  Status CreateDirs(const fs::path& path) override {
    fs::path built;
    for (const auto& part : path) {
      built /= part;
      if (built.empty() || built == built.root_path()) continue;
      if (::mkdir(built.c_str(), 0700) == 0) {
        ::chmod(built.c_str(), 0700);
      } else if (errno != EEXIST) {
        return IoError(built, "cannot create directory", errno);
      }
    }
    std::error_code ec;
    if (!fs::is_directory(path, ec)) return Status::Io(path.string() + ": exists and is not a directory");
    return Status::Ok();
  }
  Status Rename(const fs::path& from, const fs::path& to) override {
    if (::rename(from.c_str(), to.c_str()) != 0) return IoError(from, "cannot rename", errno);
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
  Result<std::string> ReadFile(const fs::path& path, std::uint64_t max_bytes) override {
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
                                  " bytes, larger than the " + std::to_string(max_bytes) +
                                  " this file can be");
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
};

}  // namespace

Env& Env::Default() {
  static PosixEnv env;
  return env;
}

Status WriteFileAtomically(Env& env, const fs::path& path, std::string_view data) {
  static thread_local std::mt19937_64 rng{std::random_device{}()};
  fs::path tmp = path;
  tmp += ".tmp" + std::to_string(rng() % 1000000);
  auto file = env.NewWritableFile(tmp);
  if (!file.ok()) return file.status();
  Status st = (*file)->Append(data);
  if (st.ok()) st = (*file)->Sync();
  Status closed = (*file)->Close();
  if (st.ok()) st = closed;
  if (st.ok()) st = env.Rename(tmp, path);
  if (!st.ok()) {
    std::error_code ec;
    fs::remove(tmp, ec);
    return st;
  }
  return env.SyncDir(path.parent_path().empty() ? fs::path(".") : path.parent_path());
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

Status ReadAllAt(int fd, char* data, std::size_t size, std::int64_t offset, const std::string& what) {
  for (std::size_t done = 0; done < size;) {
    const ssize_t n =
        ::pread(fd, data + done, size - done, static_cast<off_t>(offset + static_cast<std::int64_t>(done)));
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      return Status::Io(what + ": reading at byte " +
                        std::to_string(offset + static_cast<std::int64_t>(done)) + ": " +
                        (n == 0 ? std::string("the file ended early") : std::strerror(errno)));
    }
    done += static_cast<std::size_t>(n);
  }
  return Status::Ok();
}

Status WriteAllAt(int fd, std::string_view data, std::int64_t offset, const std::string& what) {
  for (std::size_t done = 0; done < data.size();) {
    const ssize_t n = ::pwrite(fd, data.data() + done, data.size() - done,
                               static_cast<off_t>(offset + static_cast<std::int64_t>(done)));
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      return Status::Io(what + ": writing at byte " +
                        std::to_string(offset + static_cast<std::int64_t>(done)) + ": " +
                        std::strerror(errno));
    }
    done += static_cast<std::size_t>(n);
  }
  return Status::Ok();
}

}  // namespace cutover
