#include "base/kill_point.h"

#ifdef CUTOVER_TEST_HOOKS

#include <signal.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdlib>
#include <optional>
#include <string>
#include <thread>

namespace cutover {
namespace {

// What one of the variables asks for: a point and which arrival.
struct Aim {
  std::string point;
  long arrival = 1;  // 1: the first time the point is reached
  std::atomic<long> arrivals{0};

  // Whether this arrival at `name` is the one aimed at.
  bool Hit(const char* name) { return point == name && arrivals.fetch_add(1) + 1 == arrival; }
};

// "<point>" or "<point>#<n>" from the environment variable `var`.
std::optional<std::string> Read(const char* var, long* arrival) {
  const char* text = std::getenv(var);
  if (text == nullptr || *text == '\0') return std::nullopt;
  std::string point = text;
  if (const std::size_t hash = point.find('#'); hash != std::string::npos) {
    *arrival = std::strtol(point.c_str() + hash + 1, nullptr, 10);
    point.resize(hash);
  }
  return point;
}

Aim* AimOf(const char* var) {
  auto* aim = new Aim;  // one per process, never freed: a point may be reached during exit
  std::optional<std::string> point = Read(var, &aim->arrival);
  if (!point) {
    delete aim;
    return nullptr;
  }
  aim->point = std::move(*point);
  return aim;
}

void Say(const std::string& what) {
  const std::string line = "cutover: test hook: " + what + "\n";
  (void)!::write(STDERR_FILENO, line.data(), line.size());
}

}  // namespace

void KillPoint(const char* name) {
  static Aim* const kill = AimOf("CUTOVER_KILL_AT");
  static Aim* const pause = AimOf("CUTOVER_PAUSE_AT");
  if (pause != nullptr && pause->Hit(name)) {
    const char* ms = std::getenv("CUTOVER_PAUSE_MS");
    Say(std::string("paused at ") + name);
    std::this_thread::sleep_for(std::chrono::milliseconds(ms != nullptr ? std::atol(ms) : 3000));
    Say(std::string("resumed at ") + name);
  }
  if (kill != nullptr && kill->Hit(name)) {
    Say(std::string("killed at ") + name);
    ::kill(::getpid(), SIGKILL);
    ::pause();  // SIGKILL cannot be caught; never returns
  }
}

}  // namespace cutover

#endif
