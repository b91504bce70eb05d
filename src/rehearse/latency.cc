#include "rehearse/latency.h"

#include <algorithm>
#include <limits>

namespace cutover::rehearse {

namespace {

std::uint32_t ToMicros32(Clock::duration d) {
  const auto us = std::chrono::duration_cast<std::chrono::microseconds>(d).count();
  if (us <= 0) return 0;
  if (us >= std::numeric_limits<std::uint32_t>::max()) return std::numeric_limits<std::uint32_t>::max();
  return static_cast<std::uint32_t>(us);
}

// Nearest-rank percentile of sorted values: the smallest value with at least
// p of the values at or below it.
std::uint32_t Percentile(const std::vector<std::uint32_t>& sorted, double p) {
  if (sorted.empty()) return 0;
  auto rank = static_cast<std::size_t>(p * static_cast<double>(sorted.size()) + 0.999999);
  rank = std::clamp<std::size_t>(rank, 1, sorted.size());
  return sorted[rank - 1];
}

}  // namespace

double BlockedMs(const LatencySummary& window, const LatencySummary& baseline) {
  const auto blocked = window.max_in_window - baseline.p50;
  if (blocked.count() <= 0) return 0.0;
  return static_cast<double>(blocked.count()) / 1000.0;
}

LatencyRecorder::LatencyRecorder(LatencyRecorderOptions options) : options_(options), rng_(options.seed) {
  if (options_.max_raw_samples == 0) options_.max_raw_samples = 1;
  Window first;
  first.summary.window = std::string(kBeforeFirstMark);
  first.summary.begin = Clock::time_point::min();
  first.summary.end = Clock::time_point::max();
  windows_.push_back(std::move(first));
}

Status LatencyRecorder::Mark(const std::string& name, Clock::time_point at) {
  std::lock_guard lock(mu_);
  if (name.empty() || name == kBeforeFirstMark) {
    return Status::InvalidInput("a probe window needs a name (got '" + name +
                                "'); name it after the statement");
  }
  for (const Window& w : windows_) {
    if (w.summary.window == name) {
      return Status::InvalidInput("probe window '" + name +
                                  "' was already marked; give each statement's window a distinct name");
    }
  }
  Window& current = windows_.back();
  if (at < current.summary.begin) {
    return Status::InvalidInput("probe window '" + name + "' is marked earlier than window '" +
                                current.summary.window + "'; marks must follow each other in time");
  }
  current.summary.end = at;
  Window next;
  next.summary.window = name;
  next.summary.begin = at;
  next.summary.end = Clock::time_point::max();
  windows_.push_back(std::move(next));
  SettleIfDue(at);
  return Status::Ok();
}

LatencyRecorder::Window* LatencyRecorder::WindowFor(Clock::time_point start) {
  // Samples arrive for the newest windows almost always: search backwards.
  for (auto it = windows_.rbegin(); it != windows_.rend(); ++it) {
    if (it->summary.begin <= start) return &*it;
  }
  return &windows_.front();
}

void LatencyRecorder::Record(Clock::time_point start, Clock::duration latency, ProbeOutcome outcome,
                             std::string_view error) {
  std::lock_guard lock(mu_);
  Window* w = WindowFor(start);
  LatencySummary& s = w->summary;
  ++s.count;
  if (outcome == ProbeOutcome::kError) {
    ++s.errors;
    if (s.first_error.empty())
      s.first_error = error.empty() ? "probe failed (no message)" : std::string(error);
    return;
  }
  if (outcome == ProbeOutcome::kTimeout) ++s.timeouts;
  const std::uint32_t us = ToMicros32(latency);
  s.max = std::max(s.max, std::chrono::microseconds(us));
  // Time in flight within each window the probe overlapped (windows are in
  // time order; only the last few can overlap a probe that just ended).
  const Clock::time_point end = start + latency;
  for (auto it = windows_.rbegin(); it != windows_.rend(); ++it) {
    LatencySummary& ws = it->summary;
    if (ws.end <= start) break;
    if (ws.begin >= end) continue;
    const auto in_window = std::min(end, ws.end) - std::max(start, ws.begin);
    ws.max_in_window = std::max(ws.max_in_window, std::chrono::microseconds(ToMicros32(in_window)));
  }
  if (s.settled) {
    // Arrived later than `settle` promised: the counters and max above stay
    // exact; the percentiles were computed already and are left as they are.
    return;
  }
  ++w->with_latency;
  if (w->reservoir.size() < options_.max_raw_samples) {
    w->reservoir.push_back(us);
  } else {
    std::uniform_int_distribution<std::int64_t> pick(0, w->with_latency - 1);
    const std::int64_t slot = pick(rng_);
    if (slot < static_cast<std::int64_t>(options_.max_raw_samples))
      w->reservoir[static_cast<std::size_t>(slot)] = us;
  }
}

void LatencyRecorder::FillPercentiles(const Window& w, LatencySummary& out) {
  std::vector<std::uint32_t> sorted = w.reservoir;
  std::sort(sorted.begin(), sorted.end());
  out.p50 = std::chrono::microseconds(Percentile(sorted, 0.50));
  out.p95 = std::chrono::microseconds(Percentile(sorted, 0.95));
  out.sampled = w.with_latency > static_cast<std::int64_t>(w.reservoir.size());
}

void LatencyRecorder::SettleIfDue(Clock::time_point now) {
  for (Window& w : windows_) {
    if (w.summary.settled || w.summary.end == Clock::time_point::max()) continue;
    if (now - w.summary.end < options_.settle) continue;
    FillPercentiles(w, w.summary);
    w.summary.settled = true;
    std::vector<std::uint32_t>().swap(w.reservoir);
  }
}

void LatencyRecorder::Finish() {
  std::lock_guard lock(mu_);
  for (Window& w : windows_) {
    if (w.summary.settled) continue;
    FillPercentiles(w, w.summary);
    w.summary.settled = true;
    std::vector<std::uint32_t>().swap(w.reservoir);
  }
}

LatencySummary LatencyRecorder::SummaryOf(const Window& w) const {
  LatencySummary s = w.summary;
  if (!s.settled) FillPercentiles(w, s);
  return s;
}

std::vector<LatencySummary> LatencyRecorder::Summaries() const {
  std::lock_guard lock(mu_);
  std::vector<LatencySummary> out;
  for (std::size_t i = 0; i < windows_.size(); ++i) {
    if (i == 0 && windows_[i].summary.count == 0) continue;
    out.push_back(SummaryOf(windows_[i]));
  }
  return out;
}

std::optional<LatencySummary> LatencyRecorder::Summary(std::string_view window) const {
  std::lock_guard lock(mu_);
  for (const Window& w : windows_) {
    if (w.summary.window == window) return SummaryOf(w);
  }
  return std::nullopt;
}

Result<double> LatencyRecorder::BlockedMs(std::string_view window, std::string_view baseline) const {
  auto w = Summary(window);
  if (!w) return Status::NotFound("no probe window named '" + std::string(window) + "' was marked");
  auto b = Summary(baseline);
  if (!b)
    return Status::NotFound("no baseline probe window named '" + std::string(baseline) + "' was marked");
  return rehearse::BlockedMs(*w, *b);
}

std::size_t LatencyRecorder::RawSamplesHeld() const {
  std::lock_guard lock(mu_);
  std::size_t n = 0;
  for (const Window& w : windows_) n += w.reservoir.size();
  return n;
}

}  // namespace cutover::rehearse
