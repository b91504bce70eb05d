// RunShellCommand: runs a command line through /bin/sh -c, for `rehearse
// --exec` (an outside migrator run against the rehearsal copy).
//
// The child:
//   - runs in a process group of its own, so Ctrl-C at the terminal reaches
//     cutover only, and cutover stops the whole group (the migrator and
//     whatever it started) on an interrupt: SIGTERM, then SIGKILL after
//     `kill_grace`;
//   - inherits cutover's environment minus every variable named in
//     `environment` (an empty value removes it: an inherited PGHOSTADDR or
//     PGSERVICE would send a client elsewhere than the copy), plus the
//     non-empty ones;
//   - reads /dev/null; stdout and stderr go into one pipe, read as they come:
//     each complete line goes to `on_line` (progress for people), and the
//     last `tail_bytes` are kept (memory is bounded whatever it prints).
//
// Failure: the error return is for what prevents running it at all (the
// pipe or fork fails: kIo) and for an interrupt (kCancelled, after the group
// was stopped). A command that cannot be found or fails is an outcome, not
// an error: the shell's exit status (127: not found) is in CommandOutcome.
// If the shell exits while a process it left behind still holds the output
// open, that group is killed after `linger` so the call returns.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <string>
#include <utility>
#include <vector>

#include "base/status.h"

namespace cutover {

struct CommandOutcome {
  int exit_code = -1;  // the shell's exit status; -1 when a signal ended it
  int signal = 0;      // the signal that ended it, 0 when it exited
  double duration_ms = 0;
  std::string output_tail;        // the last tail_bytes of stdout and stderr, merged
  std::int64_t output_bytes = 0;  // all it wrote
  bool ok() const { return exit_code == 0; }
};

struct ShellCommandOptions {
  std::vector<std::pair<std::string, std::string>> environment;
  std::size_t tail_bytes = 8192;
  std::function<void(const std::string& line)> on_line;
  std::chrono::milliseconds kill_grace{5000};
  std::chrono::milliseconds linger{2000};
};

Result<CommandOutcome> RunShellCommand(const std::string& command, const ShellCommandOptions& options);

}  // namespace cutover
