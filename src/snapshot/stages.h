// StageTimes: wall-clock time per stage of a snapshot, restore or restore
// test, in the order the stages ran. The commands log them at -v and put
// them in --json ("stages"), so a slow run can be explained without a
// profiler. Owned by the outcome struct that carries it; never fails.
#pragma once

#include <spdlog/spdlog.h>

#include <chrono>
#include <string>
#include <utility>
#include <vector>

namespace cutover::snapshot {

class StageTimes {
 public:
  using Clock = std::chrono::steady_clock;

  // Ends the current stage (started at construction or by the previous
  // Mark) and records it under `name`.
  void Mark(const std::string& name) {
    const auto now = Clock::now();
    Add(name, std::chrono::duration<double>(now - last_).count());
    last_ = now;
  }
  // Records a measured figure that is not a slice of the timeline (summed
  // thread time, e.g. compression over all compressor threads).
  void Add(const std::string& name, double seconds) {
    entries_.emplace_back(name, seconds);
    spdlog::debug("{}: {:.3f} s", name, seconds);
  }
  // Restarts the clock without recording (time spent elsewhere).
  void Restart() { last_ = Clock::now(); }

  const std::vector<std::pair<std::string, double>>& entries() const { return entries_; }

 private:
  Clock::time_point last_ = Clock::now();
  std::vector<std::pair<std::string, double>> entries_;
};

}  // namespace cutover::snapshot
