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
// Timeline (for the HTML report's time axis, rehearse/report docs): besides
// the windows, the recorder keeps
//   - a coarse latency series: the largest latency of the ok and timed-out
//     probes that started in each bucket of `bucket` (50 ms) from `origin`.
//     At most `max_points` buckets: when a run outgrows them the bucket width
//     doubles and neighbouring buckets merge (max of the two), so memory is
//     max_points * 4 bytes whatever the run's length;
//   - the blocked intervals: once UseBaseline() has fixed what the baseline
//     allows (its p95 plus `blocked_margin`), every probe that took longer is
//     blocked from its start until its end minus the baseline's median (the
//     time it would have taken unblocked), so one probe's interval lasts what
//     BlockedMs() charges it. Overlapping intervals (the staggered probes of
//     one block) merge into one. At most `max_blocked_intervals` are kept;
//     beyond, the shortest is dropped and counted (blocked_dropped). Probes
//     that end before UseBaseline() (the baseline itself) are not judged.
//   Resolution: an interval starts with the first probe that started after
//   the block did, so it begins up to one probe gap late (probe.h).
//
// Failure: Mark() refuses an empty or repeated window name and a time
// earlier than the previous mark (kInvalidInput). Record() cannot fail.
// UseBaseline() answers kNotFound for a window that was not marked.
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

// One stretch in which probes of a series were blocked (see the header).
struct BlockedInterval {
  Clock::time_point begin{};
  Clock::time_point end{};
};

// The largest latency of the probes that started in [at, at + bucket).
struct LatencyPoint {
  Clock::time_point at{};
  std::chrono::microseconds max{0};
};

struct LatencyTimeline {
  Clock::time_point origin{};
  Clock::duration bucket{};              // the width the series reached (doubles as the run grows)
  std::vector<LatencyPoint> points;      // buckets with at least one ok or timed-out probe, in time order
  std::vector<BlockedInterval> blocked;  // in time order, not overlapping
  std::int64_t blocked_dropped = 0;      // intervals left out beyond max_blocked_intervals
  // Latency above which a probe was blocked (baseline p95 + margin);
  // nullopt: UseBaseline() was not called, so no interval was judged.
  std::optional<std::chrono::microseconds> allowed;
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
  // Timeline (see the header). origin: Clock::time_point{} means the
  // recorder's construction time.
  Clock::time_point origin{};
  Clock::duration bucket = std::chrono::milliseconds(50);
  std::size_t max_points = 2000;
  std::chrono::microseconds blocked_margin = std::chrono::milliseconds(10);
  std::size_t max_blocked_intervals = 1000;
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

  // Fixes what the baseline allows from `window`'s figures so far (call
  // once it has run, before the statements start); probes recorded from
  // then on are judged blocked or not. kNotFound when it was not marked.
  Status UseBaseline(std::string_view window);
  // The latency series and blocked intervals so far.
  LatencyTimeline Timeline() const;

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
  void RecordTimeline(Clock::time_point start, std::uint32_t latency_us);
  void AddBlocked(BlockedInterval interval);

  LatencyRecorderOptions options_;
  mutable std::mutex mu_;
  std::vector<Window> windows_;  // [0] is kBeforeFirstMark
  std::mt19937_64 rng_;
  // Timeline.
  Clock::duration bucket_;
  std::vector<std::uint32_t> buckets_;  // max latency in us + 1 per bucket; 0: no probe
  std::optional<std::chrono::microseconds> allowed_;
  std::chrono::microseconds baseline_p50_{0};
  std::vector<BlockedInterval> blocked_;
  std::int64_t blocked_dropped_ = 0;
};

}  // namespace cutover::rehearse
