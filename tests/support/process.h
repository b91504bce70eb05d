// Child processes for tests: the cutover binary and external tools (pgbench).
//
// Arguments reach the child exactly as given (no shell), so hostile names
// need no quoting. stdin is /dev/null; stdout and stderr go to files that the
// test reads afterwards. A child gets SIGKILL when the test process dies
// (PR_SET_PDEATHSIG), so a test stopped by ctest's timeout never leaves a
// client holding locks on the shared servers.
//
// Ownership: a ChildProcess owns its child; destroying it kills (SIGKILL) and
// reaps a child that still runs. Failure to start is recorded as a gtest
// failure and leaves started() false.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <filesystem>
#include <string>
#include <utility>
#include <vector>

#include "base/uri.h"

namespace cutover::testing {

struct RunResult {
  int exit_code = -1;  // 128 + signal number when killed
  std::string out;
  std::string err;
};

struct ProcessOptions {
  std::string cwd;               // empty: the test's working directory
  std::vector<std::string> env;  // "NAME=value": set or replace in the inherited environment
  // Inherited variables dropped from the child's environment, e.g. so that a
  // password reaches it only through `env`.
  std::vector<std::string> unset;

  // Chainable setters: ProcessOptions().Env({...}).Unset({...}).
  ProcessOptions& Cwd(std::string dir) {
    cwd = std::move(dir);
    return *this;
  }
  ProcessOptions& Env(std::vector<std::string> vars) {
    env = std::move(vars);
    return *this;
  }
  ProcessOptions& Unset(std::vector<std::string> names) {
    unset = std::move(names);
    return *this;
  }
};

class ChildProcess {
 public:
  // argv[0] is the program's path. `err` empty: stderr goes with stdout.
  ChildProcess(const std::vector<std::string>& argv, const ProcessOptions& options,
               const std::filesystem::path& out, const std::filesystem::path& err = {});
  ~ChildProcess();
  ChildProcess(const ChildProcess&) = delete;
  ChildProcess& operator=(const ChildProcess&) = delete;

  bool started() const { return started_ok_; }
  pid_t pid() const { return pid_; }
  std::chrono::milliseconds Elapsed() const;
  // True while the child runs (reaps it once it has exited).
  bool Running();
  // Waits for the exit; returns the exit code (128 + signal when killed).
  int Wait();
  // Waits up to `limit`; false when the child still runs.
  bool WaitFor(std::chrono::milliseconds limit);
  void Signal(int sig);
  // Sends `sig` and waits.
  int Stop(int sig);
  // The exit code and what the child wrote so far.
  RunResult Result() const;
  // stdout (and stderr when it went with it).
  std::string Log() const;

 private:
  void Reaped(int status);

  std::filesystem::path out_, err_;
  pid_t pid_ = -1;
  bool started_ok_ = false;
  int code_ = -1;
  std::chrono::steady_clock::time_point started_;
};

// Runs the cutover binary of the build tree (CUTOVER_BINARY) to completion.
// Output files go to a private temporary directory, removed afterwards.
RunResult RunCutover(const std::vector<std::string>& args, const ProcessOptions& options = {});

// A database as a cutover child process sees it: the URI text for argv
// (no password) and the environment that carries the password (PGPASSWORD,
// MYSQL_PWD), so secrets never appear in a process listing.
struct CliTarget {
  std::string engine;
  std::string text;
  std::vector<std::string> env;
  ConnectionUri uri;  // the full URI, for this process's own driver calls
};
CliTarget ForCli(const ConnectionUri& uri);

}  // namespace cutover::testing
