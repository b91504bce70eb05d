#include "rehearse/lock_observer.h"

#include <algorithm>
#include <tuple>
#include <utility>

#include "base/strings.h"

namespace cutover::rehearse {

LockObserver::LockObserver(Driver& driver, ConnectionUri uri, LockObserverOptions options)
    : driver_(driver), uri_(std::move(uri)), options_(options) {
  LockWindowSummary first;
  first.window = std::string(kBeforeFirstMark);
  first.begin = Clock::time_point::min();
  windows_.push_back(std::move(first));
}

LockObserver::~LockObserver() {
  Stop();
}

Status LockObserver::Start() {
  if (started_) return Status::Internal("LockObserver::Start called twice");
  if (options_.interval.count() <= 0) {
    return Status::InvalidInput("the lock observer's sampling interval must be positive");
  }
  auto conn = driver_.Connect(uri_);
  if (!conn.ok()) return conn.status().WithContext("opening the lock observer's connection");
  conn_ = std::move(conn).value();
  session_id_ = conn_->SessionId();
  started_ = true;
  thread_ = std::thread([this] { Run(); });
  return Status::Ok();
}

Status LockObserver::Mark(const std::string& name) {
  std::lock_guard lock(mu_);
  if (name.empty() || name == kBeforeFirstMark) {
    return Status::InvalidInput("a lock observer window needs a name (got '" + name + "')");
  }
  for (const auto& w : windows_) {
    if (w.window == name) {
      return Status::InvalidInput("lock observer window '" + name +
                                  "' was already marked; give each statement's window a distinct name");
    }
  }
  LockWindowSummary w;
  w.window = name;
  w.begin = Clock::now();
  windows_.push_back(std::move(w));
  return Status::Ok();
}

void LockObserver::Stop() {
  {
    std::lock_guard lock(stop_mu_);
    stopping_ = true;
  }
  stop_cv_.notify_all();
  if (thread_.joinable()) thread_.join();
  conn_.reset();
}

void LockObserver::Run() {
  Clock::time_point slot = Clock::now();
  while (true) {
    {
      std::unique_lock lock(stop_mu_);
      if (stop_cv_.wait_until(lock, slot, [this] { return stopping_; })) return;
    }
    TakeSample();
    {
      std::lock_guard lock(mu_);
      if (!Sampling()) return;
    }
    const Clock::time_point now = Clock::now();
    slot += options_.interval;
    if (slot < now) {  // a slow sample: skip the slots it covered
      slot += options_.interval * ((now - slot) / options_.interval + 1);
    }
  }
}

bool LockObserver::Sampling() const {
  const bool waits = options_.sample_waits && stats_.observable;
  const bool held = !options_.held_by_session.empty() && stats_.held_observable;
  return waits || held;
}

void LockObserver::TakeSample() {
  const Clock::time_point start = Clock::now();
  // The sample counts in the window current when it started.
  std::size_t window_index = 0;
  bool want_waits = false;
  bool want_held = false;
  {
    std::lock_guard lock(mu_);
    window_index = windows_.size() - 1;
    want_waits = options_.sample_waits && stats_.observable;
    want_held = !options_.held_by_session.empty() && stats_.held_observable;
  }
  Status failure;
  Result<std::vector<LockWait>> waits = std::vector<LockWait>{};
  Result<std::vector<HeldLock>> held = std::vector<HeldLock>{};
  if (conn_ == nullptr) {
    auto conn = driver_.Connect(uri_);
    if (conn.ok()) {
      conn_ = std::move(conn).value();
    } else {
      failure = conn.status().WithContext("reopening the lock observer's connection");
    }
  }
  if (conn_ != nullptr && want_waits) waits = conn_->LockWaits();
  const Clock::time_point held_start = Clock::now();
  if (conn_ != nullptr && want_held) held = conn_->LocksHeldBy(options_.held_by_session);
  const Clock::duration took = Clock::now() - start;

  std::lock_guard lock(mu_);
  if (!waits.ok() && waits.status().code() == StatusCode::kUnsupported) {
    stats_.observable = false;
    stats_.not_observable_reason = "not observable on this engine: " + waits.status().message();
  } else if (!waits.ok() && failure.ok()) {
    failure = waits.status();
  }
  if (!held.ok() && held.status().code() == StatusCode::kUnsupported) {
    stats_.held_observable = false;
    stats_.held_not_observable_reason = "not observable: " + held.status().message();
  } else if (!held.ok() && failure.ok()) {
    failure = held.status();
  }
  if (!Sampling()) return;
  ++stats_.samples;
  ++windows_[window_index].samples;
  total_sample_time_ += took;
  const auto took_us = std::chrono::duration_cast<std::chrono::microseconds>(took);
  stats_.max_sample_time = std::max(stats_.max_sample_time, took_us);
  stats_.mean_sample_time =
      std::chrono::duration_cast<std::chrono::microseconds>(total_sample_time_ / stats_.samples);
  if (stats_.samples == 1) first_sample_start_ = start;
  last_sample_start_ = start;
  if (stats_.samples > 1) {
    stats_.mean_interval = std::chrono::duration_cast<std::chrono::microseconds>(
        (last_sample_start_ - first_sample_start_) / (stats_.samples - 1));
  }
  if (!failure.ok()) {
    ++stats_.sample_errors;
    if (stats_.first_error.empty()) stats_.first_error = failure.message();
    if (failure.code() == StatusCode::kConnection) conn_.reset();
  }
  if (waits.ok()) Aggregate(*waits, start + took);
  if (held.ok()) AggregateHeld(*held, window_index, held_start);
}

double HeldLockSpan::HeldMs(std::chrono::microseconds interval) const {
  const auto span = std::chrono::duration_cast<std::chrono::microseconds>(last_seen - first_seen) + interval;
  return static_cast<double>(span.count()) / 1000.0;
}

void LockObserver::AggregateHeld(const std::vector<HeldLock>& held, std::size_t window,
                                 Clock::time_point sample_start) {
  auto& spans = windows_[window].held;
  for (const HeldLock& h : held) {
    auto it = std::lower_bound(
        spans.begin(), spans.end(), std::tie(h.object, h.mode),
        [](const HeldLockSpan& a, const std::tuple<const std::string&, const std::string&>& b) {
          return std::tie(a.object, a.mode) < b;
        });
    if (it == spans.end() || it->object != h.object || it->mode != h.mode) {
      HeldLockSpan fresh;
      fresh.object = h.object;
      fresh.mode = h.mode;
      fresh.table_level = h.table_level;
      fresh.first_seen = sample_start;
      it = spans.insert(it, std::move(fresh));
    }
    it->last_seen = sample_start;
    ++it->samples;
  }
}

namespace {

void AddSession(std::set<std::string>& set, const std::string& id, std::int64_t& not_kept) {
  if (id.empty() || set.count(id) != 0) return;
  if (set.size() >= kMaxSessionsKept) {
    ++not_kept;
    return;
  }
  set.insert(id);
}

}  // namespace

std::size_t LockObserver::WindowAt(Clock::time_point t) const {
  for (std::size_t i = windows_.size(); i-- > 1;) {
    if (windows_[i].begin <= t) return i;
  }
  return 0;
}

void LockObserver::Aggregate(const std::vector<LockWait>& waits, Clock::time_point observed_at) {
  auto find = [this](std::size_t window, const std::string& object, const std::string& lock) {
    auto& locks = windows_[window].locks;
    auto it = std::lower_bound(
        locks.begin(), locks.end(), std::tie(object, lock),
        [](const ObservedLock& a, const std::tuple<const std::string&, const std::string&>& b) {
          return std::tie(a.object, a.lock) < b;
        });
    if (it == locks.end() || it->object != object || it->lock != lock) {
      ObservedLock fresh;
      fresh.object = object;
      fresh.lock = lock;
      it = locks.insert(it, std::move(fresh));
    }
    return it;
  };
  std::set<std::tuple<std::size_t, std::string, std::string>> seen_this_sample;
  for (const LockWait& wait : waits) {
    // A wait is charged to the window in which it began, as a probe is to
    // the window in which it started: a sample that straddles a Mark() or
    // sees a wait that began earlier does not move the wait to another
    // statement. The engine computes `waited` while answering, so the
    // sample's end minus `waited` is at or just after the wait's start
    // (never before it: a slow sample cannot push a wait into an earlier
    // window).
    const std::size_t window = WindowAt(observed_at - wait.waited);
    ObservedLock& o = *find(window, wait.object, wait.lock);
    AddSession(o.waiting_sessions, wait.waiting_session, o.sessions_not_kept);
    // PostgreSQL reports every blocker, comma-separated (pg_blocking_pids).
    for (std::string_view id : Split(wait.blocking_session, ',')) {
      AddSession(o.blocking_sessions, std::string(Trim(id)), o.sessions_not_kept);
    }
    if (wait.waited >= o.longest_wait) {
      o.longest_wait = wait.waited;
      o.longest_wait_session = wait.waiting_session;
      o.longest_wait_query = wait.query;
    }
    seen_this_sample.emplace(window, wait.object, wait.lock);
  }
  for (const auto& [window, object, lock] : seen_this_sample) ++find(window, object, lock)->samples_seen;
}

std::vector<LockWindowSummary> LockObserver::Summaries() const {
  std::lock_guard lock(mu_);
  std::vector<LockWindowSummary> out;
  for (std::size_t i = 0; i < windows_.size(); ++i) {
    if (i == 0 && windows_[i].samples == 0) continue;
    out.push_back(windows_[i]);
  }
  return out;
}

LockObserverStats LockObserver::Stats() const {
  std::lock_guard lock(mu_);
  return stats_;
}

std::string LockObserver::SessionId() const {
  return session_id_;
}

}  // namespace cutover::rehearse
