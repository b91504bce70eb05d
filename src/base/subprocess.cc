#include "base/subprocess.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <map>

#include "base/interrupt.h"

extern char** environ;

namespace cutover {
namespace {

using Clock = std::chrono::steady_clock;

std::string ErrnoMessage(const std::string& what) {
  return what + ": " + std::strerror(errno);
}

// "NAME=value" strings of the child's environment: ours with `overrides`
// applied (an empty value removes the variable).
std::vector<std::string> ChildEnvironment(const std::vector<std::pair<std::string, std::string>>& overrides) {
  std::map<std::string, std::string> named(overrides.begin(), overrides.end());
  std::vector<std::string> out;
  for (char** e = environ; e != nullptr && *e != nullptr; ++e) {
    const std::string entry(*e);
    const std::string name = entry.substr(0, entry.find('='));
    if (named.count(name) == 0) out.push_back(entry);
  }
  for (const auto& [name, value] : overrides) {
    if (!value.empty()) out.push_back(name + "=" + value);
  }
  return out;
}

// Keeps the last `limit` bytes written and hands out complete lines.
class OutputReader {
 public:
  OutputReader(std::size_t limit, const std::function<void(const std::string&)>& on_line)
      : limit_(limit), on_line_(on_line) {}

  void Add(const char* data, std::size_t n) {
    total_ += static_cast<std::int64_t>(n);
    tail_.append(data, n);
    if (tail_.size() > 2 * limit_) tail_.erase(0, tail_.size() - limit_);
    if (!on_line_) return;
    line_.append(data, n);
    for (std::size_t nl; (nl = line_.find('\n')) != std::string::npos;) {
      on_line_(line_.substr(0, nl));
      line_.erase(0, nl + 1);
    }
    if (line_.size() > 4096) {  // a line that never ends: pass it on in pieces
      on_line_(line_);
      line_.clear();
    }
  }
  void Finish(CommandOutcome& out) {
    if (on_line_ && !line_.empty()) on_line_(line_);
    if (tail_.size() > limit_) tail_.erase(0, tail_.size() - limit_);
    out.output_tail = std::move(tail_);
    out.output_bytes = total_;
  }

 private:
  std::size_t limit_;
  const std::function<void(const std::string&)>& on_line_;
  std::string tail_;
  std::string line_;
  std::int64_t total_ = 0;
};

// Child side, between fork and exec: async-signal-safe calls only.
[[noreturn]] void ExecChild(int out_fd, char* const argv[], char* const envp[]) {
  ::setpgid(0, 0);
  sigset_t none;
  sigemptyset(&none);
  ::sigprocmask(SIG_SETMASK, &none, nullptr);
  const int null_fd = ::open("/dev/null", O_RDONLY);
  if (null_fd >= 0) ::dup2(null_fd, STDIN_FILENO);
  ::dup2(out_fd, STDOUT_FILENO);
  ::dup2(out_fd, STDERR_FILENO);
  ::execve("/bin/sh", argv, envp);
  _exit(127);
}

void Record(int status, CommandOutcome& out) {
  if (WIFEXITED(status)) {
    out.exit_code = WEXITSTATUS(status);
  } else if (WIFSIGNALED(status)) {
    out.signal = WTERMSIG(status);
  }
}

}  // namespace

Result<CommandOutcome> RunShellCommand(const std::string& command, const ShellCommandOptions& options) {
  std::vector<std::string> env_strings = ChildEnvironment(options.environment);
  std::vector<char*> envp;
  for (std::string& e : env_strings) envp.push_back(e.data());
  envp.push_back(nullptr);
  std::string sh = "sh", dash_c = "-c", text = command;
  char* argv[] = {sh.data(), dash_c.data(), text.data(), nullptr};

  int fds[2];
  if (::pipe2(fds, O_CLOEXEC) != 0) return Status::Io(ErrnoMessage("cannot make a pipe for the command"));
  const auto start = Clock::now();
  const pid_t pid = ::fork();
  if (pid < 0) {
    ::close(fds[0]);
    ::close(fds[1]);
    return Status::Io(ErrnoMessage("cannot start the command"));
  }
  if (pid == 0) ExecChild(fds[1], argv, envp.data());
  ::setpgid(pid, pid);  // also here: no race with the child's own call
  ::close(fds[1]);

  CommandOutcome out;
  OutputReader reader(options.tail_bytes, options.on_line);
  bool exited = false;
  bool interrupted = false;
  int status = 0;
  Clock::time_point exited_at{}, terminated_at{};
  char buf[8192];
  for (bool open = true; open;) {
    pollfd p{fds[0], POLLIN, 0};
    const int ready = ::poll(&p, 1, 50);
    if (ready > 0) {
      const ssize_t n = ::read(fds[0], buf, sizeof buf);
      if (n > 0) reader.Add(buf, static_cast<std::size_t>(n));
      if (n == 0 || (n < 0 && errno != EINTR && errno != EAGAIN)) open = false;
    }
    if (!exited && ::waitpid(pid, &status, WNOHANG) == pid) {
      exited = true;
      exited_at = Clock::now();
    }
    if (!interrupted && InterruptToken::Requested()) {
      interrupted = true;
      terminated_at = Clock::now();
      ::kill(-pid, SIGTERM);
    }
    const auto now = Clock::now();
    if ((interrupted && now - terminated_at > options.kill_grace) ||
        (exited && now - exited_at > options.linger)) {
      ::kill(-pid, SIGKILL);  // what is left of the group holds the pipe open
      open = false;
    }
  }
  ::close(fds[0]);
  if (!exited) {
    while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
    }
  }
  out.duration_ms =
      std::chrono::duration<double, std::milli>((exited ? exited_at : Clock::now()) - start).count();
  Record(status, out);
  reader.Finish(out);
  if (interrupted) return InterruptedStatus("the command was stopped (SIGTERM to its process group)");
  return out;
}

}  // namespace cutover
