#include "support/process.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <thread>

#include "support/test_env.h"

extern char** environ;

namespace cutover::testing {
namespace fs = std::filesystem;
using std::chrono::milliseconds;
using std::chrono::steady_clock;

namespace {

std::string VariableName(const std::string& entry) {
  return entry.substr(0, entry.find('='));
}

std::vector<std::string> ChildEnvironment(const ProcessOptions& options) {
  std::vector<std::string> env;
  for (char** e = environ; *e != nullptr; ++e) {
    const std::string entry(*e);
    const std::string name = VariableName(entry);
    bool drop = false;
    for (const auto& u : options.unset) drop = drop || u == name;
    for (const auto& o : options.env) drop = drop || VariableName(o) == name;
    if (!drop) env.push_back(entry);
  }
  env.insert(env.end(), options.env.begin(), options.env.end());
  return env;
}

// Child side of fork(): async-signal-safe calls only, up to execve.
[[noreturn]] void ExecChild(pid_t parent, const char* cwd, const char* path, char* const* argv,
                            char* const* envp, const char* out, const char* err) {
  ::prctl(PR_SET_PDEATHSIG, SIGKILL);
  if (::getppid() != parent) ::_exit(127);
  if (cwd != nullptr && ::chdir(cwd) != 0) ::_exit(127);
  const int in = ::open("/dev/null", O_RDONLY);
  const int o = ::open(out, O_WRONLY | O_CREAT | O_TRUNC, 0600);
  const int e = err == nullptr ? o : ::open(err, O_WRONLY | O_CREAT | O_TRUNC, 0600);
  if (in < 0 || o < 0 || e < 0) ::_exit(127);
  ::dup2(in, 0);
  ::dup2(o, 1);
  ::dup2(e, 2);
  ::execve(path, argv, envp);
  ::_exit(127);
}

}  // namespace

ChildProcess::ChildProcess(const std::vector<std::string>& argv, const ProcessOptions& options,
                           const fs::path& out, const fs::path& err)
    : out_(out), err_(err) {
  if (argv.empty()) {
    ADD_FAILURE() << "ChildProcess: no program";
    return;
  }
  const std::vector<std::string> env = ChildEnvironment(options);
  std::vector<char*> argp, envp;
  for (const auto& a : argv) argp.push_back(const_cast<char*>(a.c_str()));
  argp.push_back(nullptr);
  for (const auto& e : env) envp.push_back(const_cast<char*>(e.c_str()));
  envp.push_back(nullptr);
  const std::string out_path = out.string(), err_path = err.string();
  started_ = steady_clock::now();
  const pid_t parent = ::getpid();
  pid_ = ::fork();
  if (pid_ == 0) {
    ExecChild(parent, options.cwd.empty() ? nullptr : options.cwd.c_str(), argv[0].c_str(), argp.data(),
              envp.data(), out_path.c_str(), err.empty() ? nullptr : err_path.c_str());
  }
  started_ok_ = pid_ > 0;
  if (!started_ok_) ADD_FAILURE() << "cannot start " << argv[0] << ": " << std::strerror(errno);
}

ChildProcess::~ChildProcess() {
  if (pid_ > 0) Stop(SIGKILL);
}

milliseconds ChildProcess::Elapsed() const {
  return std::chrono::duration_cast<milliseconds>(steady_clock::now() - started_);
}

void ChildProcess::Reaped(int status) {
  pid_ = -1;
  code_ = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

bool ChildProcess::Running() {
  if (pid_ <= 0) return false;
  int status = 0;
  if (::waitpid(pid_, &status, WNOHANG) == 0) return true;
  Reaped(status);
  return false;
}

int ChildProcess::Wait() {
  if (pid_ <= 0) return code_;
  int status = 0;
  while (::waitpid(pid_, &status, 0) < 0 && errno == EINTR) {
  }
  Reaped(status);
  return code_;
}

bool ChildProcess::WaitFor(milliseconds limit) {
  const auto deadline = steady_clock::now() + limit;
  while (Running()) {
    if (steady_clock::now() > deadline) return false;
    std::this_thread::sleep_for(milliseconds(10));
  }
  return true;
}

void ChildProcess::Signal(int sig) {
  if (pid_ > 0) ::kill(pid_, sig);
}

int ChildProcess::Stop(int sig) {
  Signal(sig);
  return Wait();
}

RunResult ChildProcess::Result() const {
  return RunResult{code_, ReadFileOrDie(out_.string()),
                   err_.empty() ? std::string() : ReadFileOrDie(err_.string())};
}

std::string ChildProcess::Log() const {
  return ReadFileOrDie(out_.string());
}

RunResult RunCutover(const std::vector<std::string>& args, const ProcessOptions& options) {
  const fs::path dir = fs::temp_directory_path() / UniqueName("cutover-run-");
  fs::create_directories(dir);
  fs::permissions(dir, fs::perms::owner_all, fs::perm_options::replace);
  std::vector<std::string> argv{CUTOVER_BINARY};
  argv.insert(argv.end(), args.begin(), args.end());
  RunResult result;
  {
    ChildProcess child(argv, options, dir / "stdout", dir / "stderr");
    if (child.started()) {
      child.Wait();
      result = child.Result();
    }
  }
  std::error_code ec;
  fs::remove_all(dir, ec);
  return result;
}

CliTarget ForCli(const ConnectionUri& uri) {
  CliTarget t{uri.scheme(), uri.Text(), {}, uri};
  if (uri.scheme() == "sqlite") return t;
  t.text = uri.scheme() + "://" + PercentEncode(uri.user()) + "@" + uri.host() +
           (uri.port() ? ":" + std::to_string(*uri.port()) : "") + "/" + PercentEncode(uri.database());
  if (uri.password()) {
    t.env.push_back((uri.scheme() == "postgresql" ? "PGPASSWORD=" : "MYSQL_PWD=") + *uri.password());
  }
  return t;
}

}  // namespace cutover::testing
