// Sessions and locks on SQLite: the migration lock (an advisory lock on a
// file beside the database) and lock waits (none can be listed).
#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <cctype>
#include <cerrno>
#include <charconv>
#include <chrono>
#include <cmath>
#include <cstring>
#include <exception>
#include <filesystem>
#include <functional>
#include <limits>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "base/strings.h"
#include "base/uri.h"
#include "driver/driver.h"
#include "sqlite_ddl_parse.h"
#include "sqlite_internal.h"

namespace cutover::sqlite {

Status SqliteConnection::AcquireMigrationLock(std::chrono::milliseconds wait) {
  if (lock_fd_ >= 0) return Status::Ok();
  const std::string lock_path = path_ + "-cutover-lock";
  int fd = ::open(lock_path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
  if (fd < 0) {
    return Status::Io("cannot open the cutover migration lock file '" + lock_path + "' beside " + display_ +
                      ": " + std::strerror(errno) + "; the directory must be writable by this user");
  }
  const auto deadline = std::chrono::steady_clock::now() + wait;
  while (::flock(fd, LOCK_EX | LOCK_NB) != 0) {
    const int err = errno;
    if (err != EWOULDBLOCK && err != EINTR) {
      ::close(fd);
      return Status::Io("cannot lock '" + lock_path + "': " + std::strerror(err));
    }
    const auto now = std::chrono::steady_clock::now();
    if (now >= deadline) {
      char buf[64] = {};
      const ssize_t n = ::pread(fd, buf, sizeof buf - 1, 0);
      std::string holder = n > 0 ? std::string(Trim(std::string_view(buf, static_cast<size_t>(n)))) : "";
      ::close(fd);
      return Status::LockTimeout(
          "another cutover apply holds the migration lock on " + display_ + " (" +
          (holder.empty() ? std::string("lock file ") : "process " + holder + ", lock file ") + lock_path +
          "); waited " + std::to_string(wait.count()) +
          " ms. Wait for that run to finish; the lock goes away with its process");
    }
    std::this_thread::sleep_for(
        std::min<std::chrono::steady_clock::duration>(std::chrono::milliseconds(50), deadline - now));
  }
  const std::string me = "pid " + std::to_string(getpid()) + "\n";
  if (::ftruncate(fd, 0) == 0) (void)!::pwrite(fd, me.data(), me.size(), 0);
  lock_fd_ = fd;
  return Status::Ok();
}

Status SqliteConnection::ReleaseMigrationLock() {
  if (lock_fd_ < 0) return Status::Ok();
  (void)!::ftruncate(lock_fd_, 0);
  ::close(lock_fd_);  // releases the flock; the file stays (removing it would race a waiter)
  lock_fd_ = -1;
  return Status::Ok();
}

Result<std::vector<LockWait>> SqliteConnection::LockWaits() {
  return Status::Unsupported(
      "SQLite does not expose lock waits: another connection cannot see who waits for a lock on " + display_ +
      " (only the waiting statement itself learns it, when its busy timeout expires)");
}

}  // namespace cutover::sqlite
