#include "rehearse/queue_drill.h"

#include <algorithm>
#include <condition_variable>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <thread>

#include "base/interrupt.h"
#include "base/strings.h"
#include "migrate/apply.h"
#include "rehearse/interrupt_canceller.h"
#include "rehearse/meter.h"
#include "rehearse/probe.h"

namespace cutover::rehearse {
namespace {

using std::chrono::milliseconds;

// "Without the lock timeout": a limit the drill never reaches.
constexpr std::chrono::seconds kNoTimeoutMargin{60};
// The reader's own reads must not hang behind the migration's transaction.
constexpr milliseconds kReaderLockTimeout{2000};
constexpr int kProbeKeys = 32;

std::string Key(std::string_view migration, std::string_view file, int line) {
  return std::string(migration) + '\0' + std::string(file) + '\0' + std::to_string(line);
}

double MsSince(Clock::time_point start) {
  return std::chrono::duration<double, std::milli>(Clock::now() - start).count();
}

// A session that read some tables in a transaction it holds open until
// `hold` has passed or End() is called.
class Reader {
 public:
  ~Reader() { End(); }

  Status Open(Driver& driver, const ConnectionUri& uri, const std::vector<std::string>& reads,
              milliseconds hold) {
    auto conn = driver.Connect(uri);
    if (!conn.ok()) return conn.status();
    conn_ = std::move(*conn);
    CUTOVER_RETURN_IF_ERROR(conn_->Begin());
    ExecOptions limits;
    limits.lock_timeout = kReaderLockTimeout;
    limits.statement_timeout = 2 * kReaderLockTimeout;
    for (const std::string& sql : reads) {
      Status st = conn_->Query(
          sql, [](RowView) { return Status::Ok(); }, limits);
      if (!st.ok()) {
        (void)conn_->Rollback();
        return st;
      }
    }
    thread_ = std::thread([this, hold] {
      std::unique_lock<std::mutex> lock(mu_);
      cv_.wait_for(lock, hold, [this] { return end_; });
      (void)conn_->Rollback();
    });
    return Status::Ok();
  }

  // Ends the transaction now if `hold` has not passed yet; idempotent.
  void End() {
    {
      std::lock_guard<std::mutex> lock(mu_);
      end_ = true;
    }
    cv_.notify_all();
    if (thread_.joinable()) thread_.join();
  }

 private:
  std::unique_ptr<Connection> conn_;
  std::thread thread_;
  std::mutex mu_;
  std::condition_variable cv_;
  bool end_ = false;
};

// Places the reader ahead of each selected statement and keeps the time.
class QueueObserver final : public migrate::StatementObserver {
 public:
  QueueObserver(Driver& driver, const ConnectionUri& uri, ProbeWorkload& probes, QueueDrillMode mode,
                milliseconds hold, std::vector<QueueDrillResult>& statements, std::vector<TableId> tables,
                std::map<std::string, std::string> reads)
      : driver_(driver),
        uri_(uri),
        probes_(probes),
        mode_(mode),
        hold_(hold),
        statements_(statements),
        tables_(std::move(tables)),
        reads_(std::move(reads)),
        windows_(statements.size()) {
    for (std::size_t i = 0; i < statements_.size(); ++i) {
      index_[Key(statements_[i].migration, statements_[i].file, statements_[i].line)] = i;
    }
  }

  void Before(const Event& event) override {
    const std::string key = Key(event.migration != nullptr ? event.migration->name : "",
                                event.file != nullptr ? event.file->display_path : "",
                                event.statement != nullptr ? event.statement->line : 0);
    if (current_ && event.attempt > 0) {
      // A retry: of the statement itself, or of the transaction holding it.
      if (key == current_key_) Figures(*current_).attempts = event.attempt + 1;
      return;
    }
    if (current_) Close(Status::Ok());
    auto it = index_.find(key);
    if (it == index_.end() || done_.count(it->second) != 0 || event.batch || event.attempt > 0) return;
    Open(it->second, key, event);
  }

  void After(const Event& /*event*/, const Status& result, std::int64_t /*rows*/) override {
    if (current_) last_code_ = result.code();
  }

  // The phase is over; `phase` is what apply returned. Returns whether a
  // drill was open and apply gave up on its statement.
  bool EndPhase(const Status& phase) {
    if (!current_) return false;
    const std::size_t closed = *current_;
    Close(phase);
    return Figures(closed).gave_up;
  }

  bool AllDone() const { return done_.size() == statements_.size(); }

  // After the probes stopped: what they felt in each drilled window.
  void Finish(const std::string& baseline) {
    for (std::size_t i = 0; i < statements_.size(); ++i) {
      QueueDrillFigures& f = Figures(i);
      if (!f.ran) continue;
      const WindowFigures w = FiguresOver(probes_, statements_[i].tables, windows_[i], baseline);
      f.blocked_read_ms = w.blocked_read_ms;
      f.blocked_write_ms = w.blocked_write_ms;
      f.read = w.read;
      f.write = w.write;
    }
  }

  // Statements the replay never reached say why.
  void NotReached(const std::string& why) {
    for (std::size_t i = 0; i < statements_.size(); ++i) {
      if (done_.count(i) == 0) Figures(i).skipped = why;
    }
  }

 private:
  QueueDrillFigures& Figures(std::size_t i) {
    return mode_ == QueueDrillMode::kApplyTimeout ? statements_[i].with_lock_timeout
                                                  : statements_[i].without_lock_timeout;
  }

  void Open(std::size_t i, const std::string& key, const Event& event) {
    done_.insert(i);
    QueueDrillFigures& f = Figures(i);
    std::vector<std::string> reads;
    statements_[i].tables.clear();
    for (const TableId& t : TablesMentioned(driver_.ReferencedNames(event.sql), tables_)) {
      auto r = reads_.find(t.Display());
      if (r == reads_.end()) continue;
      statements_[i].tables.push_back(t.Display());
      reads.push_back(r->second);
    }
    if (reads.empty()) {
      f.skipped = "it touches no table that existed, with rows to read, before the plan ran";
      return;
    }
    auto reader = std::make_unique<Reader>();
    if (Status st = reader->Open(driver_, uri_, reads, hold_); !st.ok()) {
      f.skipped = "no reader could read its tables ahead of it (" + st.message() +
                  "); an earlier statement of the same transaction holds them, so the queue formed there";
      return;
    }
    reader_ = std::move(reader);
    f.ran = true;
    f.attempts = 1;
    f.lock_timeout_ms = static_cast<double>(event.lock_timeout.count());
    windows_[i] = "q" + std::to_string(i);
    (void)probes_.Mark(windows_[i]);
    started_ = Clock::now();
    current_ = i;
    current_key_ = key;
    last_code_ = StatusCode::kOk;
  }

  void Close(const Status& phase) {
    QueueDrillFigures& f = Figures(*current_);
    f.queued_ms = MsSince(started_);
    f.gave_up = !phase.ok() && last_code_ == StatusCode::kLockTimeout;
    reader_.reset();  // ends its transaction if it still holds one
    (void)probes_.Mark("qi" + std::to_string(*current_));
    current_.reset();
  }

  Driver& driver_;
  const ConnectionUri& uri_;
  ProbeWorkload& probes_;
  QueueDrillMode mode_;
  milliseconds hold_;
  std::vector<QueueDrillResult>& statements_;
  std::vector<TableId> tables_;
  std::map<std::string, std::string> reads_;  // table display name -> a read of one row
  std::map<std::string, std::size_t> index_;
  std::vector<std::string> windows_;
  std::set<std::size_t> done_;
  std::optional<std::size_t> current_;
  std::string current_key_;
  Clock::time_point started_{};
  StatusCode last_code_ = StatusCode::kOk;
  std::unique_ptr<Reader> reader_;
};

std::vector<plan::Phase> PhasesOf(PhaseSelection selection) {
  switch (selection) {
    case PhaseSelection::kExpand: return {plan::Phase::kExpand};
    case PhaseSelection::kBackfill: return {plan::Phase::kBackfill};
    case PhaseSelection::kContract: return {plan::Phase::kContract};
    case PhaseSelection::kAll: break;
  }
  return {plan::Phase::kExpand, plan::Phase::kBackfill, plan::Phase::kContract};
}

// Runs the selected phases with `observer`; a phase whose drilled statement
// apply gave up on runs again (resuming) once the reader is gone. Returns
// the error that stopped the replay without a verdict; a failed statement
// is recorded on the statements not reached.
Status Replay(Connection& conn, const plan::Plan& plan, const RehearsalOptions& options,
              migrate::ApplyOptions ao, QueueObserver& observer, std::size_t drills) {
  for (plan::Phase phase : PhasesOf(options.phases)) {
    ao.phase = phase;
    for (std::size_t run = 0; run <= drills && !observer.AllDone(); ++run) {
      migrate::ApplyReport ar = migrate::Apply(conn, plan, ao);
      const bool gave_up = observer.EndPhase(ar.status);
      if (InterruptGuard::Requested()) return InterruptedStatus();
      if (ar.status.ok()) break;
      if (gave_up) continue;
      if (ar.status.code() == StatusCode::kConnection || ar.status.code() == StatusCode::kIo) {
        return ar.status;
      }
      observer.NotReached("not reached: the replay stopped at " + std::string(plan::PhaseName(phase)) + " (" +
                          ar.status.message() + ")");
      return Status::Ok();
    }
    if (observer.AllDone()) break;
  }
  observer.NotReached("not reached: the statement did not run in the replay");
  return Status::Ok();
}

// Whether a lock's object is one of the tables the statement touches
// (engines name them with or without their schema).
bool NamesATableOf(const std::string& object, const StatementResult& r) {
  return std::any_of(r.tables.begin(), r.tables.end(), [&](const TableFigures& t) {
    return t.table == object || EndsWith(t.table, "." + object) || EndsWith(object, "." + t.table);
  });
}

}  // namespace

std::vector<QueueDrillResult> SelectQueueDrillStatements(const RehearsalReport& main) {
  std::vector<QueueDrillResult> out;
  std::set<std::string> seen;
  for (const StatementResult& r : main.statements) {
    if (r.drill || r.batches > 0 || r.phase == "rollback" || r.phase == "backfill") continue;
    std::string reason;
    for (const LockFigures& l : r.locks) {
      if (l.table_level) {
        reason = "took " + l.mode + " on " + l.object;
        break;
      }
    }
    // Row-level locks seen on its tables: nothing queues behind a reader.
    // None seen there: the engine does not show them, or the statement held
    // its lock for less than the sampling interval (a catalog-only ALTER),
    // so it is drilled.
    const bool row_level_on_its_tables =
        std::any_of(r.locks.begin(), r.locks.end(),
                    [&](const LockFigures& l) { return !l.table_level && NamesATableOf(l.object, r); });
    if (reason.empty() && !row_level_on_its_tables) {
      reason = main.held_locks_observable
                   ? "no lock on its tables was seen while it ran (held for less than the sampling interval)"
                   : "the engine does not show which locks it takes";
    }
    if (reason.empty() || !seen.insert(Key(r.migration, r.file, r.line)).second) continue;
    QueueDrillResult q;
    q.migration = r.migration;
    q.phase = r.phase;
    q.file = r.file;
    q.line = r.line;
    q.sql = r.sql;
    q.reason = reason;
    out.push_back(std::move(q));
  }
  return out;
}

Status RunQueueDrill(Driver& driver, const ConnectionUri& copy, const plan::Plan& plan,
                     const RehearsalOptions& options, QueueDrillMode mode, milliseconds hold,
                     std::vector<QueueDrillResult>& statements) {
  if (statements.empty()) return Status::Ok();
  auto conn = driver.Connect(copy);
  if (!conn.ok()) return conn.status().WithContext("connecting to the lock-queue drill's copy");
  auto model = (*conn)->ReadSchema();
  if (!model.ok()) return model.status().WithContext("reading the drill copy's schema");
  const std::vector<TableId> tables = UserTables(*model);
  std::set<TableId> touched;
  for (const QueueDrillResult& q : statements) {
    for (const TableId& t : TablesMentioned(driver.ReferencedNames(q.sql), tables)) touched.insert(t);
  }
  std::vector<std::string> notes;
  const std::vector<ProbeSpec> specs =
      TableProbeSpecs(**conn, {touched.begin(), touched.end()}, kProbeKeys, notes);
  std::map<std::string, std::string> reads;
  for (const ProbeSpec& s : specs) {
    if (!s.reads.empty()) reads[s.label] = s.reads.front();
  }

  ProbeOptions po;
  po.rate_per_second = options.probe_rate;
  // A probe queued behind the whole drill is measured, not cut short.
  po.timeout = std::max(options.probe_timeout, hold + milliseconds(10000));
  if (driver.info().lock_waits_polled_by_client) po.lock_poll_interval = milliseconds(2);
  ProbeWorkload probes(driver, copy, specs, po);
  if (!specs.empty()) CUTOVER_RETURN_IF_ERROR(probes.Start().WithContext("starting the drill's probes"));
  (void)probes.Mark("baseline");
  std::this_thread::sleep_for(options.baseline);

  QueueObserver observer(driver, copy, probes, mode, hold, statements, tables, std::move(reads));
  migrate::ApplyOptions ao;
  ao.to = options.to;
  ao.observer = &observer;
  ao.tool_version = options.tool_version;
  ao.applied_by = options.applied_by;
  if (mode == QueueDrillMode::kNoTimeout) {
    ao.forced_lock_timeout = hold + kNoTimeoutMargin;
    ao.retries = 0;
  }
  Status replayed = [&] {
    InterruptCanceller canceller(**conn);
    return Replay(**conn, plan, options, ao, observer, statements.size());
  }();
  probes.Stop();
  if (!replayed.ok()) return InterruptGuard::Requested() ? InterruptedStatus() : replayed;
  observer.Finish("baseline");
  return Status::Ok();
}

}  // namespace cutover::rehearse
