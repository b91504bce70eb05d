#include "rehearse/probe.h"

#include <algorithm>
#include <cmath>
#include <random>
#include <set>

namespace cutover::rehearse {

std::vector<ProbeSpec> TableProbeSpecs(Connection& conn, const std::vector<TableId>& tables, int keys,
                                       std::vector<std::string>& notes) {
  std::vector<ProbeSpec> specs;
  for (const TableId& t : tables) {
    auto ps = conn.ProbeStatementsFor(t, keys);
    if (!ps.ok()) {
      notes.push_back("no probes on " + t.Display() + ": " + ps.status().message());
      continue;
    }
    for (const std::string& n : ps->notes) notes.push_back("probes on " + t.Display() + ": " + n);
    if (ps->reads.empty() && ps->writes.empty()) continue;
    specs.push_back(ProbeSpec{t.Display(), ps->reads, ps->writes});
  }
  return specs;
}

const char* ProbeKindName(ProbeKind kind) {
  return kind == ProbeKind::kRead ? "read" : "write";
}

struct ProbeWorkload::Series {
  std::string label;
  ProbeKind kind = ProbeKind::kRead;
  const std::vector<std::string>* statements = nullptr;
  std::unique_ptr<LatencyRecorder> recorder;
};

struct ProbeWorkload::Worker {
  Series* series = nullptr;
  std::unique_ptr<Connection> conn;
  std::mt19937_64 rng;
  // This worker's slots: first_slot + m * period, m = 0, 1, ...
  Clock::time_point first_slot{};
  Clock::duration period{};
  // The engine cannot limit this kind of statement's run time (MySQL limits
  // only SELECTs): its probes rely on lock_timeout alone.
  bool no_statement_timeout = false;
};

ProbeWorkload::ProbeWorkload(Driver& driver, ConnectionUri uri, std::vector<ProbeSpec> specs,
                             ProbeOptions options)
    : driver_(driver), uri_(std::move(uri)), specs_(std::move(specs)), options_(options) {}

ProbeWorkload::~ProbeWorkload() {
  Stop();
}

namespace {

Status ValidateSpecs(const std::vector<ProbeSpec>& specs, const ProbeOptions& o) {
  if (specs.empty()) return Status::InvalidInput("the probe workload has no tables or queries to probe");
  if (!(o.rate_per_second > 0) || o.rate_per_second > 10000) {
    return Status::InvalidInput("probe rate " + std::to_string(o.rate_per_second) +
                                " per second is out of range; use a rate between 1 and 10000");
  }
  if (o.connections_per_series < 1 || o.connections_per_series > 16) {
    return Status::InvalidInput("probe connections per table and kind must be between 1 and 16, not " +
                                std::to_string(o.connections_per_series));
  }
  if (o.timeout.count() <= 0) return Status::InvalidInput("the probe timeout must be positive");
  if (o.lock_poll_interval.count() < 0)
    return Status::InvalidInput("the probe lock poll interval is negative");
  std::set<std::string> labels;
  for (const ProbeSpec& s : specs) {
    if (s.label.empty())
      return Status::InvalidInput("a probe spec has no label; name it after its table or query");
    if (!labels.insert(s.label).second) {
      return Status::InvalidInput("probe label '" + s.label + "' is used twice; labels must be unique");
    }
    if (s.reads.empty() && s.writes.empty()) {
      return Status::InvalidInput("probe '" + s.label + "' has no read and no write statement to run");
    }
    for (const auto* list : {&s.reads, &s.writes}) {
      for (const std::string& sql : *list) {
        if (sql.find_first_not_of(" \t\r\n;") == std::string::npos) {
          return Status::InvalidInput("probe '" + s.label + "' has an empty statement");
        }
      }
    }
  }
  return Status::Ok();
}

std::chrono::milliseconds CeilMs(Clock::duration d) {
  auto ms = std::chrono::ceil<std::chrono::milliseconds>(d);
  return std::max(ms, std::chrono::milliseconds(1));
}

}  // namespace

Status ProbeWorkload::Start() {
  if (started_) return Status::Internal("ProbeWorkload::Start called twice");
  CUTOVER_RETURN_IF_ERROR(ValidateSpecs(specs_, options_));
  std::random_device rd;
  std::mt19937_64 seeder(options_.seed != 0 ? options_.seed
                                            : (static_cast<std::uint64_t>(rd()) << 32) ^ rd());

  LatencyRecorderOptions rec;
  rec.max_raw_samples = options_.max_raw_samples_per_window;
  rec.settle = options_.timeout + std::chrono::seconds(5);
  rec.origin = options_.origin != Clock::time_point{} ? options_.origin : Clock::now();
  for (const ProbeSpec& spec : specs_) {
    for (ProbeKind kind : {ProbeKind::kRead, ProbeKind::kWrite}) {
      const auto& statements = kind == ProbeKind::kRead ? spec.reads : spec.writes;
      if (statements.empty()) continue;
      auto s = std::make_unique<Series>();
      s->label = spec.label;
      s->kind = kind;
      s->statements = &statements;
      rec.seed = seeder();
      s->recorder = std::make_unique<LatencyRecorder>(rec);
      series_.push_back(std::move(s));
    }
  }

  // Every connection first: a workload that cannot open one must not run half.
  const int n = options_.connections_per_series;
  for (auto& s : series_) {
    for (int i = 0; i < n; ++i) {
      auto w = std::make_unique<Worker>();
      w->series = s.get();
      w->rng.seed(seeder());
      Status st = Reconnect(*w);
      if (!st.ok()) {
        st = st.WithContext("opening probe connection for " + s->label + " " + ProbeKindName(s->kind));
        workers_.clear();
        series_.clear();
        std::lock_guard lock(sessions_mu_);
        session_labels_.clear();
        return st;
      }
      workers_.push_back(std::move(w));
    }
  }

  // One grid per series, gap 1/rate, offset at random per series so that the
  // series do not all fire at the same instants; worker i takes every n-th slot.
  const auto gap = std::chrono::duration_cast<Clock::duration>(
      std::chrono::duration<double>(1.0 / options_.rate_per_second));
  const Clock::time_point origin = Clock::now() + std::chrono::milliseconds(5);
  std::size_t w_index = 0;
  for (std::size_t series_index = 0; series_index < series_.size(); ++series_index) {
    std::uniform_int_distribution<Clock::rep> offset_pick(0, std::max<Clock::rep>(gap.count() - 1, 0));
    const Clock::time_point series_origin = origin + Clock::duration(offset_pick(seeder));
    for (int i = 0; i < n; ++i, ++w_index) {
      Worker& w = *workers_[w_index];
      w.first_slot = series_origin + gap * i;
      w.period = gap * n;
    }
  }
  started_ = true;
  for (auto& w : workers_) threads_.emplace_back([this, wp = w.get()] { RunWorker(*wp); });
  return Status::Ok();
}

Status ProbeWorkload::Mark(const std::string& name) {
  if (!started_) {
    return Status::Internal("probe window '" + name + "' marked before the probe workload was started");
  }
  const Clock::time_point at = Clock::now();
  for (auto& s : series_) CUTOVER_RETURN_IF_ERROR(s->recorder->Mark(name, at));
  return Status::Ok();
}

void ProbeWorkload::Stop() {
  {
    std::lock_guard lock(stop_mu_);
    stopping_ = true;
  }
  stop_cv_.notify_all();
  for (auto& t : threads_) {
    if (t.joinable()) t.join();
  }
  threads_.clear();
  for (auto& w : workers_) w->conn.reset();
  for (auto& s : series_) s->recorder->Finish();
}

bool ProbeWorkload::SleepUntil(Clock::time_point when) {
  std::unique_lock lock(stop_mu_);
  return !stop_cv_.wait_until(lock, when, [this] { return stopping_; });
}

Status ProbeWorkload::Reconnect(Worker& w) {
  w.conn.reset();
  auto conn = driver_.Connect(uri_);
  if (!conn.ok()) return conn.status();
  w.conn = std::move(conn).value();
  std::lock_guard lock(sessions_mu_);
  session_labels_[w.conn->SessionId()] = w.series->label + " " + ProbeKindName(w.series->kind);
  return Status::Ok();
}

void ProbeWorkload::RunWorker(Worker& w) {
  Clock::time_point slot = w.first_slot;
  while (SleepUntil(slot)) {
    RunOneProbe(w);
    // The next slot of this worker's grid that has not passed: a probe that
    // ran long skips slots rather than bursting to catch up.
    const Clock::time_point now = Clock::now();
    if (now >= slot + w.period) {
      const auto missed = (now - slot) / w.period;
      slot += w.period * missed;
    }
    slot += w.period;
  }
}

void ProbeWorkload::RunOneProbe(Worker& w) {
  Series& s = *w.series;
  const Clock::time_point start = Clock::now();
  Status st;
  if (w.conn == nullptr) st = Reconnect(w);
  if (st.ok()) {
    std::uniform_int_distribution<std::size_t> pick(0, s.statements->size() - 1);
    const std::string& sql = (*s.statements)[pick(w.rng)];
    st = ProbeOnce(w, sql, start + options_.timeout);
  }
  const Clock::duration latency = Clock::now() - start;
  if (st.ok()) {
    s.recorder->Record(start, latency, ProbeOutcome::kOk);
  } else if (st.code() == StatusCode::kLockTimeout) {
    s.recorder->Record(start, std::max<Clock::duration>(latency, options_.timeout), ProbeOutcome::kTimeout);
  } else {
    s.recorder->Record(start, latency, ProbeOutcome::kError,
                       s.label + " " + ProbeKindName(s.kind) + " probe: " + st.message());
    if (st.code() == StatusCode::kConnection) w.conn.reset();  // reopened before the next probe
  }
  probes_run_.fetch_add(1);
}

Status ProbeWorkload::ProbeOnce(Worker& w, const std::string& sql, Clock::time_point deadline) {
  Connection& conn = *w.conn;
  const ProbeKind kind = w.series->kind;
  const bool poll = options_.lock_poll_interval.count() > 0;
  while (true) {
    const Clock::duration remaining = deadline - Clock::now();
    if (remaining <= Clock::duration::zero()) {
      return Status::LockTimeout("the probe timeout of " + std::to_string(options_.timeout.count()) +
                                 " ms expired while waiting for a lock");
    }
    ExecOptions o;
    const std::chrono::milliseconds left = CeilMs(remaining);
    if (!w.no_statement_timeout) o.statement_timeout = left;
    o.lock_timeout = poll ? std::min(options_.lock_poll_interval, left) : left;
    Status st;
    if (kind == ProbeKind::kRead) {
      st = conn.Query(
          sql, [](RowView) { return Status::Ok(); }, o);
    } else {
      st = conn.Begin();
      if (st.ok()) {
        st = conn.Execute(sql, o).status();
        Status undone = conn.Rollback();
        if (st.ok() && !undone.ok()) st = undone.WithContext("rolling back the probe write");
      }
    }
    if (st.code() == StatusCode::kUnsupported && !w.no_statement_timeout) {
      w.no_statement_timeout = true;  // and run this probe again without it
      continue;
    }
    if (st.ok() || !poll || st.code() != StatusCode::kLockTimeout) return st;
  }
}

std::vector<ProbeWindowResult> ProbeWorkload::Results() const {
  std::vector<ProbeWindowResult> out;
  for (const auto& s : series_) {
    for (LatencySummary& sum : s->recorder->Summaries()) {
      out.push_back(ProbeWindowResult{s->label, s->kind, std::move(sum)});
    }
  }
  return out;
}

std::optional<LatencySummary> ProbeWorkload::Summary(const std::string& label, ProbeKind kind,
                                                     const std::string& window) const {
  for (const auto& s : series_) {
    if (s->label == label && s->kind == kind) return s->recorder->Summary(window);
  }
  return std::nullopt;
}

Result<double> ProbeWorkload::BlockedMs(const std::string& label, ProbeKind kind, const std::string& window,
                                        const std::string& baseline) const {
  for (const auto& s : series_) {
    if (s->label == label && s->kind == kind) return s->recorder->BlockedMs(window, baseline);
  }
  return Status::NotFound("no " + std::string(ProbeKindName(kind)) + " probes ran for '" + label + "'");
}

Status ProbeWorkload::UseBaseline(const std::string& baseline) {
  for (auto& s : series_) CUTOVER_RETURN_IF_ERROR(s->recorder->UseBaseline(baseline));
  return Status::Ok();
}

std::vector<ProbeSeriesTimeline> ProbeWorkload::Timelines() const {
  std::vector<ProbeSeriesTimeline> out;
  for (const auto& s : series_)
    out.push_back(ProbeSeriesTimeline{s->label, s->kind, s->recorder->Timeline()});
  return out;
}

std::map<std::string, std::string> ProbeWorkload::SessionLabels() const {
  std::lock_guard lock(sessions_mu_);
  return session_labels_;
}

}  // namespace cutover::rehearse
