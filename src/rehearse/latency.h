// LatencyRecorder: the latencies one probe series saw, cut into named time
// windows, and the statistics a rehearsal reports for each window.
//
// What it is for: `cutover rehearse` runs probe reads and writes against a
// restored copy while the plan's statements run (rehearse/probe.h). Each
// (table, kind) series feeds one recorder. The caller delimits windows with
// Mark() ("baseline", "statement 3", ...).
//
// Which window a probe counts in: its count, outcome and latency (p50, p95,
// max) go to the window that was current when the probe STARTED, so a probe
// that a statement blocked is charged to that statement even when it
// completes after the next Mark(). Its time in flight also goes, clipped, to
// every window it overlapped (`max_in_window`): a probe that started just
// before a statement's Mark() and was then blocked by the statement (common
// on PostgreSQL: a probe still in its first round trips when the
// statement's lock is granted) shows up in the statement's window with the
// time it spent blocked there, not in the previous window only.
//
// Blocked time is BlockedMs(): the longest a probe was in flight within the
// window (max_in_window) minus the median latency of the pre-statement
// baseline, never negative.
//
// Clock: std::chrono::steady_clock (monotonic) everywhere; wall-clock jumps
// never change a latency.
//
// Memory (a rehearsal can last hours): the recorder keeps raw latencies only
// for windows that may still receive samples. A window is *settled* once
// `settle` (the longest a probe can take: its timeout plus a margin) has
// passed since it ended; it is then reduced to its LatencySummary and its
// raw samples are freed (checked at each Mark(), so memory holds the raw
// samples of the windows marked within the last `settle`, plus the open
// one). Finish() settles everything (call it once no probe is running).
// Within one window the raw samples are a reservoir of at most
// `max_raw_samples` (Vitter's algorithm R, seeded, so runs are
// reproducible): count, timeouts, errors, max and max_in_window stay exact
// whatever the window's length; p50/p95 are exact up to max_raw_samples
// samples and estimated from a uniform sample beyond (the summary says so
// with `sampled`). Latencies are held as 32-bit microseconds (up to 71
// minutes; longer values saturate). Each summary is a few hundred bytes, one
// per window.
//
// Threads: every method may be called from any thread (one mutex; probes
// record a few hundred samples per second, so contention is negligible).
//
// Failure: Mark() refuses an empty or repeated window name and a time
// earlier than the previous mark (kInvalidInput). Record() cannot fail.
#pragma once

#include <chrono>
#include <cstdint>
#include <mutex>
#include <optional>
#include <random>
#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"

namespace cutover::rehearse {

using Clock = std::chrono::steady_clock;

enum class ProbeOutcome {
  kOk,       // the probe completed
  kTimeout,  // a lock or statement timeout expired (latency = at least the timeout)
  kError,    // anything else (connection lost, query rejected): counted, not in the latency stats
};

// The name of the window that holds samples started before the first Mark().
inline constexpr std::string_view kBeforeFirstMark = "(before first mark)";

struct LatencySummary {
  std::string window;
  Clock::time_point begin{};  // when the window was marked
  Clock::time_point end{};    // when the next window was marked; Clock::time_point::max() while open
  std::int64_t count = 0;     // every probe started in the window: ok + timeouts + errors
  std::int64_t timeouts = 0;
  std::int64_t errors = 0;
  std::string first_error;  // message of the first error, empty when none
  // Over ok and timed-out probes (a timeout counts with its latency, which is
  // at least the timeout: the true blocked time is then a lower bound).
  std::chrono::microseconds p50{0};
  std::chrono::microseconds p95{0};
  std::chrono::microseconds max{0};
  // The longest time one ok or timed-out probe was in flight within this
  // window, probes that started in an earlier window included (clipped to
  // the window's bounds). What BlockedMs() measures.
  std::chrono::microseconds max_in_window{0};
  bool sampled = false;  // p50/p95 estimated from a reservoir (more than max_raw_samples samples)
  bool settled = false;  // no sample can arrive any more; false: provisional figures
};

// The longest a probe was in flight within `window` (max_in_window) above
// the median latency of `baseline`, in milliseconds (fractional), never
// negative. 0 when no probe was in flight in `window`.
double BlockedMs(const LatencySummary& window, const LatencySummary& baseline);

struct LatencyRecorderOptions {
  // Raw latencies kept per unsettled window (4 bytes each). 32768 covers
  // about 5 minutes of one window at 100 probes per second exactly.
  std::size_t max_raw_samples = 32768;
  // How long after a window ends samples started in it may still arrive:
  // the probe timeout plus a margin.
  Clock::duration settle = std::chrono::seconds(10);
  std::uint64_t seed = 1;  // reservoir sampling
};

class LatencyRecorder {
 public:
  explicit LatencyRecorder(LatencyRecorderOptions options = {});

  // Starts window `name` at `at`; the current window ends there.
  Status Mark(const std::string& name, Clock::time_point at = Clock::now());
  // One probe that started at `start` and took `latency`. `error` (kError
  // only) is kept when it is the window's first.
  void Record(Clock::time_point start, Clock::duration latency, ProbeOutcome outcome,
              std::string_view error = {});
  // Settles every window: call once no sample can arrive any more.
  void Finish();

  // Every window, in mark order (the implicit kBeforeFirstMark window only
  // when it received samples).
  std::vector<LatencySummary> Summaries() const;
  std::optional<LatencySummary> Summary(std::string_view window) const;
  // BlockedMs of two windows by name; kNotFound naming the missing window.
  Result<double> BlockedMs(std::string_view window, std::string_view baseline) const;

  // Raw latencies currently held, over all windows (for bounded-memory checks).
  std::size_t RawSamplesHeld() const;

 private:
  struct Window {
    LatencySummary summary;  // exact counters always; percentiles filled when settled
    std::vector<std::uint32_t> reservoir;
    std::int64_t with_latency = 0;  // ok + timeout samples offered to the reservoir
  };

  Window* WindowFor(Clock::time_point start);
  void SettleIfDue(Clock::time_point now);
  static void FillPercentiles(const Window& w, LatencySummary& out);
  LatencySummary SummaryOf(const Window& w) const;

  LatencyRecorderOptions options_;
  mutable std::mutex mu_;
  std::vector<Window> windows_;  // [0] is kBeforeFirstMark
  std::mt19937_64 rng_;
};

}  // namespace cutover::rehearse
