#include "rehearse/latency.h"

#include <algorithm>
#include <iterator>
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

LatencyRecorder::LatencyRecorder(LatencyRecorderOptions options)
    : options_(options), rng_(options.seed), bucket_(options.bucket) {
  if (options_.max_raw_samples == 0) options_.max_raw_samples = 1;
  if (options_.origin == Clock::time_point{}) options_.origin = Clock::now();
  if (bucket_ <= Clock::duration::zero()) bucket_ = std::chrono::milliseconds(50);
  if (options_.max_points < 2) options_.max_points = 2;
  if (options_.max_blocked_intervals == 0) options_.max_blocked_intervals = 1;
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
  RecordTimeline(start, us);
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

void LatencyRecorder::RecordTimeline(Clock::time_point start, std::uint32_t latency_us) {
  const Clock::duration since = start < options_.origin ? Clock::duration::zero() : start - options_.origin;
  auto index = static_cast<std::size_t>(since / bucket_);
  while (index >= options_.max_points) {
    // Twice as wide: bucket i of the new series is buckets 2i and 2i+1.
    std::vector<std::uint32_t> merged((buckets_.size() + 1) / 2, 0);
    for (std::size_t i = 0; i < buckets_.size(); ++i) merged[i / 2] = std::max(merged[i / 2], buckets_[i]);
    buckets_ = std::move(merged);
    bucket_ *= 2;
    index = static_cast<std::size_t>(since / bucket_);
  }
  if (buckets_.size() <= index) buckets_.resize(index + 1, 0);
  const std::uint32_t stored =
      latency_us == std::numeric_limits<std::uint32_t>::max() ? latency_us : latency_us + 1;
  buckets_[index] = std::max(buckets_[index], stored);
  if (!allowed_ || std::chrono::microseconds(latency_us) <= *allowed_) return;
  const Clock::time_point end = start + std::chrono::microseconds(latency_us) -
                                std::min(baseline_p50_, std::chrono::microseconds(latency_us));
  AddBlocked(BlockedInterval{start, end});
}

void LatencyRecorder::AddBlocked(BlockedInterval b) {
  // Intervals stay sorted by begin and disjoint: merge `b` with every one it
  // overlaps or touches.
  auto it =
      std::lower_bound(blocked_.begin(), blocked_.end(), b,
                       [](const BlockedInterval& x, const BlockedInterval& y) { return x.begin < y.begin; });
  if (it != blocked_.begin() && std::prev(it)->end >= b.begin) --it;
  auto last = it;
  while (last != blocked_.end() && last->begin <= b.end) {
    b.begin = std::min(b.begin, last->begin);
    b.end = std::max(b.end, last->end);
    ++last;
  }
  it = blocked_.erase(it, last);
  blocked_.insert(it, b);
  if (blocked_.size() <= options_.max_blocked_intervals) return;
  auto shortest = std::min_element(blocked_.begin(), blocked_.end(), [](const auto& x, const auto& y) {
    return x.end - x.begin < y.end - y.begin;
  });
  blocked_.erase(shortest);
  ++blocked_dropped_;
}

Status LatencyRecorder::UseBaseline(std::string_view window) {
  auto s = Summary(window);
  if (!s) return Status::NotFound("no baseline probe window named '" + std::string(window) + "' was marked");
  std::lock_guard lock(mu_);
  allowed_ = s->p95 + options_.blocked_margin;
  baseline_p50_ = s->p50;
  return Status::Ok();
}

LatencyTimeline LatencyRecorder::Timeline() const {
  std::lock_guard lock(mu_);
  LatencyTimeline t;
  t.origin = options_.origin;
  t.bucket = bucket_;
  for (std::size_t i = 0; i < buckets_.size(); ++i) {
    if (buckets_[i] == 0) continue;
    t.points.push_back(LatencyPoint{options_.origin + bucket_ * static_cast<std::int64_t>(i),
                                    std::chrono::microseconds(buckets_[i] - 1)});
  }
  t.blocked = blocked_;
  t.blocked_dropped = blocked_dropped_;
  t.allowed = allowed_;
  return t;
}

std::size_t LatencyRecorder::RawSamplesHeld() const {
  std::lock_guard lock(mu_);
  std::size_t n = 0;
  for (const Window& w : windows_) n += w.reservoir.size();
  return n;
}

}  // namespace cutover::rehearse
