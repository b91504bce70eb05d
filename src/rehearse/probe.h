// ProbeWorkload: application-like reads and writes run against a database
// while a migration statement runs, to measure from the application's side
// how long each statement blocked them.
//
// What it is for: `cutover rehearse` (issue #12) starts a workload on the
// restored copy, marks a "baseline" window, then one window per statement
// (Mark("statement 3")), and reports per statement, per table, read and
// write: count, p50, p95, max, timeouts, errors and the blocked time
// (rehearse/latency.h: the longest a probe was in flight within the window,
// above the baseline's median latency).
// The SQL is the caller's: for each table a ProbeSpec of ready-to-run
// statements (reads by a random existing primary key; writes that are
// undone: a no-op UPDATE of one row by key). The driver layer generates
// them per engine; `--probe FILE` hot queries are specs with reads only and
// any label. Each probe picks one of its spec's statements at random.
//
// How one probe runs: a read is Connection::Query() with the rows
// discarded; a write is Begin(), Execute(stmt), Rollback(), so nothing is
// ever changed. Each call carries ExecOptions{lock_timeout, statement_timeout}
// set to what is left of the probe's timeout, so a probe never hangs (the
// connection's own timeouts, e.g. SQLite's busy_timeout URI parameter, are
// overridden per statement by these; an engine that cannot limit a kind of
// statement's run time, MySQL for non-SELECTs, answers kUnsupported once and
// that connection's probes then carry lock_timeout alone). A probe that ends
// with kLockTimeout is a timeout whose latency is at least the timeout; any
// other failure is an error (counted, first message kept) and the workload
// goes on. A connection that reports kConnection is reopened before its next
// probe.
//
// Resolution (why several staggered connections): a block that starts at t0
// and ends at t0+D is reported through the first probe that starts after t0:
// its latency is D - u, u being the delay between t0 and that probe's start.
// So the under-report is bounded by the largest gap between two probe starts
// of the series. With one connection the gap is the interval plus the
// previous probe's own latency (a slow-but-unblocked probe delays the next
// one), and a connection stuck in a blocked probe cannot start another. Each
// (table, kind) therefore runs `connections_per_series` connections (default
// 2), each at rate/connections, on a common grid staggered by 1/rate: while
// one connection is busy the other starts on time. At the default 100 probes
// per second per (table, kind) (50 per connection) the gap is 10 ms, so a
// known block is reported within about -10 ms .. +(wake-up delay) ms.
//
// Engines whose lock waits are polled by the client (SQLite: the busy
// handler sleeps 1, 2, 5, ... up to 100 ms between retries) would wake a
// blocked probe up to 100 ms after the lock is released. Set
// `lock_poll_interval` (e.g. 2 ms) for them: each attempt then carries that
// lock_timeout and the probe retries on kLockTimeout until its own timeout,
// so the wake-up delay is at most about the poll interval. Leave it 0 for
// engines with server-side lock queues (PostgreSQL, MariaDB): a waiting probe
// must stay in the queue like the application's statements would.
//
// Ownership: the workload owns its connections and threads; the Driver must
// outlive it. Threads: Start/Mark/Stop/Summaries from one controlling thread
// (Summaries and SessionLabels may also be called while running); one
// thread per connection internally. The destructor stops the workload.
//
// Failure: Start() validates the specs and options (kInvalidInput naming the
// spec) and opens every connection before any probe runs; if one cannot be
// opened it returns that error with nothing left running. Stop() returns
// within about the probe timeout.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "base/status.h"
#include "base/uri.h"
#include "driver/driver.h"
#include "rehearse/latency.h"

namespace cutover::rehearse {

// The probes of one table (or one named set of hot queries).
struct ProbeSpec {
  std::string label;                // table name or hot query name; unique within a workload
  std::vector<std::string> reads;   // each run as Query(); rows discarded
  std::vector<std::string> writes;  // each run as Begin(); Execute(); Rollback()
};

enum class ProbeKind { kRead, kWrite };
const char* ProbeKindName(ProbeKind kind);  // "read", "write"

struct ProbeOptions {
  // Probe starts per second per (label, kind), over all its connections.
  double rate_per_second = 100;
  // Connections per (label, kind), staggered (see the header comment).
  int connections_per_series = 2;
  // Longest one probe may take, lock waits included.
  std::chrono::milliseconds timeout{2000};
  // 0: wait for locks in the engine. > 0: retry lock timeouts at this
  // interval until `timeout` (for engines that poll for locks: SQLite).
  std::chrono::milliseconds lock_poll_interval{0};
  // Reservoir size per window and series (see latency.h).
  std::size_t max_raw_samples_per_window = 32768;
  std::uint64_t seed = 0;  // 0: a random seed
  // Start of the timeline's axis (LatencyRecorderOptions::origin); default:
  // when Start() runs.
  Clock::time_point origin{};
};

// The timeline of one series (latency.h).
struct ProbeSeriesTimeline {
  std::string label;
  ProbeKind kind = ProbeKind::kRead;
  LatencyTimeline timeline;
};

// One window of one series.
struct ProbeWindowResult {
  std::string label;
  ProbeKind kind = ProbeKind::kRead;
  LatencySummary summary;
};

// The probe specs of `tables` (Connection::ProbeStatementsFor with `keys`
// sampled keys each), labelled TableId::Display(). A table the driver
// cannot probe is left out and `notes` says why, as do the driver's notes.
std::vector<ProbeSpec> TableProbeSpecs(Connection& conn, const std::vector<TableId>& tables, int keys,
                                       std::vector<std::string>& notes);

class ProbeWorkload {
 public:
  ProbeWorkload(Driver& driver, ConnectionUri uri, std::vector<ProbeSpec> specs, ProbeOptions options = {});
  ~ProbeWorkload();
  ProbeWorkload(const ProbeWorkload&) = delete;
  ProbeWorkload& operator=(const ProbeWorkload&) = delete;

  // Opens every connection, then starts probing. Once only.
  Status Start();
  // Starts window `name` for every series at one instant (see latency.h);
  // kInvalidInput for an empty or repeated name, kInternal before Start().
  Status Mark(const std::string& name);
  // Stops probing, waits for the probes in flight (at most about the
  // timeout), closes the connections and settles every window.
  void Stop();

  // Every window of every series: by label (spec order), read before write,
  // windows in mark order.
  std::vector<ProbeWindowResult> Results() const;
  // One window of one series; nullopt when either is unknown.
  std::optional<LatencySummary> Summary(const std::string& label, ProbeKind kind,
                                        const std::string& window) const;
  // Blocked time of `window` against `baseline` for one series (latency.h);
  // kNotFound naming the series or window that does not exist.
  Result<double> BlockedMs(const std::string& label, ProbeKind kind, const std::string& window,
                           const std::string& baseline = "baseline") const;

  // Fixes what `baseline` allows for every series (LatencyRecorder::UseBaseline):
  // call once the baseline has run, before the statements start.
  Status UseBaseline(const std::string& baseline);
  // Every series' latency series and blocked intervals, in Results() order.
  std::vector<ProbeSeriesTimeline> Timelines() const;

  // Session id (Connection::SessionId) -> "label read|write", so the lock
  // observer's waiting sessions can be named.
  std::map<std::string, std::string> SessionLabels() const;

  // Probes completed so far, over all series (for tests and progress).
  std::int64_t ProbesRun() const { return probes_run_.load(); }

 private:
  struct Series;
  struct Worker;
  void RunWorker(Worker& worker);
  void RunOneProbe(Worker& worker);
  Status ProbeOnce(Worker& worker, const std::string& sql, Clock::time_point deadline);
  Status Reconnect(Worker& worker);
  bool SleepUntil(Clock::time_point when);

  Driver& driver_;
  ConnectionUri uri_;
  std::vector<ProbeSpec> specs_;
  ProbeOptions options_;

  std::vector<std::unique_ptr<Series>> series_;
  std::vector<std::unique_ptr<Worker>> workers_;
  std::vector<std::thread> threads_;
  bool started_ = false;

  std::mutex stop_mu_;
  std::condition_variable stop_cv_;
  bool stopping_ = false;
  std::atomic<std::int64_t> probes_run_{0};
  mutable std::mutex sessions_mu_;
  std::map<std::string, std::string> session_labels_;
};

}  // namespace cutover::rehearse
