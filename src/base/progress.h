// Progress: what a long command reports while it runs, on stderr.
//
// On a terminal (and without --no-progress, --quiet or --json) one line is
// redrawn in place: a bar, tables done, rows, bytes, rate and ETA. Elsewhere
// (a log file, a cron mail) a plain line is printed every `plain_interval`
// so the output stays readable. Counters are atomic: workers call Add*()
// from any thread; a reporter thread draws.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <string>
#include <thread>

#include "base/interrupt.h"  // InterruptGuard, for the commands that report progress

namespace cutover {

class Progress {
 public:
  enum class Mode { kOff, kBar, kPlain };
  // `what` names the phase ("snapshot", "restore"); totals may be 0 when
  // unknown (no ETA then).
  Progress(Mode mode, std::string what, std::int64_t total_tables, std::int64_t total_bytes);
  ~Progress();  // stops the reporter and finishes the line
  Progress(const Progress&) = delete;
  Progress& operator=(const Progress&) = delete;

  static Mode ModeFor(bool no_progress, bool quiet, bool json);

  void AddRows(std::int64_t n) { rows_ += n; }
  void AddBytes(std::int64_t n) { bytes_ += n; }
  void TableDone() { ++tables_; }

 private:
  void Run();
  std::string Line(bool final) const;

  Mode mode_;
  std::string what_;
  std::int64_t total_tables_;
  std::int64_t total_bytes_;
  std::atomic<std::int64_t> rows_{0}, bytes_{0}, tables_{0};
  std::chrono::steady_clock::time_point start_ = std::chrono::steady_clock::now();
  std::mutex mu_;
  std::condition_variable cv_;
  bool stop_ = false;
  std::thread reporter_;
};

// Human sizes and counts for messages: "1.2 GiB", "3.4M".
std::string HumanBytes(double bytes);
std::string HumanCount(double n);

}  // namespace cutover
