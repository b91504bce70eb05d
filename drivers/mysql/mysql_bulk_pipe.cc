// The named pipe that feeds LOAD DATA LOCAL INFILE (see mysql_internal.h).
//
// Why a named pipe: Connector/C++ 1.1 gives no access to the MYSQL handle,
// so libmariadb's local-infile callbacks cannot be set; its default handler
// opens the file the statement names. A FIFO makes that file a stream: rows
// go from the snapshot to the server without touching the disk and without
// holding a table in memory.
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <mutex>
#include <set>
#include <string>
#include <thread>

#include "mysql_internal.h"

namespace cutover::mysql {
namespace {

std::string ErrnoText(int err) {
  return std::strerror(err);
}

// The pipe buffer: larger means fewer wake-ups of the reader. 1 MiB is the
// default limit for unprivileged processes (/proc/sys/fs/pipe-max-size);
// a refusal just leaves the default 64 KiB.
constexpr int kPipeBytes = 1 << 20;
constexpr int kPollMillis = 50;

// Directories are named cutover-load-<pid>-XXXXXX. A process killed in the
// moment between creating its pipe and the server opening it leaves one
// behind; the first Create of a process in a base directory removes those
// whose process is gone (only ours: another user's cannot be removed
// anyway). Once per directory, not per pipe: a restore creates one per range.
void RemoveStaleDirectories(const std::string& base) {
  static std::mutex mu;
  static std::set<std::string> swept;
  {
    std::lock_guard<std::mutex> lock(mu);
    if (!swept.insert(base).second) return;
  }
  std::error_code ec;
  for (const auto& entry : std::filesystem::directory_iterator(base, ec)) {
    const std::string name = entry.path().filename().string();
    if (name.rfind("cutover-load-", 0) != 0) continue;
    const char* digits = name.c_str() + std::strlen("cutover-load-");
    char* end = nullptr;
    const long pid = std::strtol(digits, &end, 10);
    if (end == digits || *end != '-' || pid <= 0) continue;
    if (::kill(static_cast<pid_t>(pid), 0) == 0 || errno != ESRCH) continue;  // alive, or not ours to judge
    struct stat st {};
    if (::lstat(entry.path().c_str(), &st) != 0 || !S_ISDIR(st.st_mode) || st.st_uid != ::geteuid()) continue;
    (void)::unlink((entry.path() / "rows").c_str());
    (void)::rmdir(entry.path().c_str());
  }
}

}  // namespace

Result<std::unique_ptr<LoadPipe>> LoadPipe::Create() {
  std::unique_ptr<LoadPipe> pipe(new LoadPipe());
  const char* tmp = std::getenv("TMPDIR");
  std::string base = tmp != nullptr && *tmp != '\0' ? tmp : "/tmp";
  RemoveStaleDirectories(base);
  std::string templ = base + "/cutover-load-" + std::to_string(::getpid()) + "-XXXXXX";
  if (::mkdtemp(templ.data()) == nullptr) {
    return Status::Io("cannot create a private directory for the LOAD DATA pipe in " + base + ": " +
                      ErrnoText(errno) + "; set TMPDIR to a writable directory");
  }
  pipe->dir_ = templ;  // mkdtemp creates it with mode 0700
  pipe->path_ = templ + "/rows";
  if (::mkfifo(pipe->path_.c_str(), 0600) != 0) {
    return Status::Io("cannot create the named pipe " + pipe->path_ + ": " + ErrnoText(errno));
  }
  pipe->read_fd_ = ::open(pipe->path_.c_str(), O_RDONLY | O_NONBLOCK | O_CLOEXEC);
  if (pipe->read_fd_ < 0)
    return Status::Io("cannot open the named pipe " + pipe->path_ + ": " + ErrnoText(errno));
  pipe->write_fd_ = ::open(pipe->path_.c_str(), O_WRONLY | O_NONBLOCK | O_CLOEXEC);
  if (pipe->write_fd_ < 0)
    return Status::Io("cannot open the named pipe " + pipe->path_ + ": " + ErrnoText(errno));
  (void)::fcntl(pipe->write_fd_, F_SETPIPE_SZ, kPipeBytes);
  return pipe;
}

LoadPipe::~LoadPipe() {
  CloseWriteEnd();
  if (read_fd_ >= 0) ::close(read_fd_);
  RemoveName();
}

void LoadPipe::RemoveName() {
  if (!path_.empty()) ::unlink(path_.c_str());
  if (!dir_.empty()) ::rmdir(dir_.c_str());
  path_.clear();
  dir_.clear();
}

Status LoadPipe::Write(std::string_view data, const std::atomic<bool>& reader_done) {
  while (!data.empty()) {
    if (reader_done.load()) return Status::Io("the LOAD DATA statement ended before it read all rows");
    ssize_t n = ::write(write_fd_, data.data(), data.size());
    if (n > 0) {
      data.remove_prefix(static_cast<size_t>(n));
      written_ += static_cast<std::uint64_t>(n);
      continue;
    }
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && errno != EAGAIN)
      return Status::Io("writing to the named pipe " + path_ + ": " + ErrnoText(errno));
    pollfd p{write_fd_, POLLOUT, 0};
    (void)::poll(&p, 1, kPollMillis);
  }
  return Status::Ok();
}

bool LoadPipe::WaitDrained(const std::atomic<bool>& reader_done) {
  int delay_us = 50;
  while (!reader_done.load()) {
    int pending = 0;
    if (::ioctl(read_fd_, FIONREAD, &pending) != 0) return false;
    if (pending == 0) return true;
    std::this_thread::sleep_for(std::chrono::microseconds(delay_us));
    delay_us = std::min(delay_us * 2, 20000);
  }
  return false;
}

void LoadPipe::CloseWriteEnd() {
  if (write_fd_ >= 0) ::close(write_fd_);
  write_fd_ = -1;
}

}  // namespace cutover::mysql
