#include "rehearse/meter.h"

#include <algorithm>

#include "base/strings.h"
#include "migrate/history.h"

namespace cutover::rehearse {
namespace {

double Ms(std::chrono::microseconds us) {
  return static_cast<double>(us.count()) / 1000.0;
}

ProbeFigures FiguresOf(const LatencySummary& s) {
  ProbeFigures f;
  f.count = s.count;
  f.timeouts = s.timeouts;
  f.errors = s.errors;
  f.p50_ms = Ms(s.p50);
  f.p95_ms = Ms(s.p95);
  f.max_ms = Ms(s.max);
  f.first_error = s.first_error;
  return f;
}

void KeepWorst(std::optional<ProbeFigures>& worst, const std::optional<ProbeFigures>& candidate) {
  if (!candidate) return;
  if (!worst || candidate->max_ms > worst->max_ms) worst = candidate;
}

void KeepLargest(std::optional<double>& largest, const std::optional<double>& candidate) {
  if (candidate && (!largest || *candidate > *largest)) largest = candidate;
}

}  // namespace

WindowFigures FiguresOver(const ProbeWorkload& probes, const std::vector<std::string>& labels,
                          const std::string& window, const std::string& baseline) {
  WindowFigures out;
  for (const std::string& label : labels) {
    for (ProbeKind kind : {ProbeKind::kRead, ProbeKind::kWrite}) {
      auto summary = probes.Summary(label, kind, window);
      if (!summary) continue;
      std::optional<double> blocked;
      if (auto b = probes.BlockedMs(label, kind, window, baseline); b.ok()) blocked = *b;
      const bool read = kind == ProbeKind::kRead;
      KeepWorst(read ? out.read : out.write, FiguresOf(*summary));
      KeepLargest(read ? out.blocked_read_ms : out.blocked_write_ms, blocked);
    }
  }
  return out;
}

std::vector<TableId> UserTables(const SchemaModel& model) {
  std::vector<TableId> out;
  for (const SchemaObject& o : model.objects) {
    if (o.kind != ObjectKind::kTable || o.name == migrate::kHistoryTable) continue;
    out.push_back(TableId{o.schema, o.name});
  }
  return out;
}

std::vector<TableId> TablesMentioned(const std::vector<std::string>& names,
                                     const std::vector<TableId>& tables) {
  std::vector<TableId> out;
  for (const TableId& t : tables) {
    const std::string name = ToLower(t.name);
    const std::string qualified = ToLower(t.Display());
    const bool mentioned = std::any_of(names.begin(), names.end(), [&](const std::string& n) {
      const std::string lower = ToLower(n);
      return lower == name || lower == qualified || EndsWith(lower, "." + name);
    });
    if (mentioned) out.push_back(t);
  }
  return out;
}

StatementMeter::StatementMeter(Driver& driver, Connection& migration, std::vector<TableId> tables,
                               ProbeWorkload* probes, std::vector<LockObserver*> observers,
                               std::vector<std::string> hot_labels)
    : driver_(driver),
      conn_(migration),
      tables_(std::move(tables)),
      probes_(probes),
      observers_(std::move(observers)),
      hot_labels_(std::move(hot_labels)) {}

void StatementMeter::MarkWindow(const std::string& name) {
  if (probes_ != nullptr) (void)probes_->Mark(name);
  for (LockObserver* o : observers_) (void)o->Mark(name);
}

const std::string kAbsentIdentity;
const std::string kUnknownIdentity = std::string("\x01unknown");

std::map<TableId, std::string> StorageIdentities(Connection& conn, const std::vector<TableId>& tables) {
  std::map<TableId, std::string> out;
  for (const TableId& t : tables) {
    auto id = conn.StorageIdentity(t);
    if (id.ok()) {
      out[t] = *id;
    } else if (id.status().code() == StatusCode::kNotFound) {
      out[t] = kAbsentIdentity;
    } else {
      out[t] = kUnknownIdentity;
    }
  }
  return out;
}

std::vector<std::string> RewrittenBetween(const std::map<TableId, std::string>& before,
                                          const std::map<TableId, std::string>& after) {
  std::vector<std::string> out;
  for (const auto& [t, b] : before) {
    auto it = after.find(t);
    if (it == after.end()) continue;
    const std::string& a = it->second;
    const bool known =
        b != kAbsentIdentity && b != kUnknownIdentity && a != kAbsentIdentity && a != kUnknownIdentity;
    if (known && a != b) out.push_back(t.Display());
  }
  return out;
}

void StatementMeter::EndPhase() {
  if (!in_backfill_) return;
  in_backfill_ = false;
  backfill_statement_ = nullptr;
  MarkWindow("i" + std::to_string(++windows_));
}

void StatementMeter::Before(const Event& event) {
  const auto now = Clock::now();
  if (event.batch && in_backfill_ && backfill_statement_ == event.statement) {
    started_ = now;  // the next batch of the execution in progress
    return;
  }
  EndPhase();
  StatementResult r;
  r.migration = event.migration != nullptr ? event.migration->name : "";
  r.phase = std::string(event.phase);
  r.file = event.file != nullptr ? event.file->display_path : "";
  r.line = event.statement != nullptr ? event.statement->line : 0;
  r.sql = std::string(event.sql);
  r.drill = drill_;
  r.attempts = event.attempt + 1;
  touched_ = TablesMentioned(driver_.ReferencedNames(event.sql), tables_);
  for (const TableId& t : touched_) {
    TableFigures tf;
    tf.table = t.Display();
    r.tables.push_back(std::move(tf));
  }
  // After the touched tables, so that r.tables[i] is touched_[i] in After().
  for (const std::string& label : hot_labels_) {
    TableFigures hot;
    hot.table = label;
    r.tables.push_back(std::move(hot));
  }
  if (known_file_ != r.file) {
    known_.clear();
    known_file_ = r.file;
  }
  if (rewrite_log_) (void)conn_.TakeRewriteLog();  // what ran between statements is not this one's
  before_ = StorageIdentities(conn_, touched_);
  for (const auto& [t, id] : before_) {
    if (id != kAbsentIdentity && id != kUnknownIdentity) known_[t] = id;
  }
  r.window = "w" + std::to_string(++windows_);
  if (event.batch) {
    in_backfill_ = true;
    backfill_statement_ = event.statement;
  }
  results_.push_back(std::move(r));
  MarkWindow(results_.back().window);
  started_ = Clock::now();
  results_.back().start_ms = std::chrono::duration<double, std::milli>(started_ - origin_).count();
}

void StatementMeter::After(const Event& event, const Status& result, std::int64_t rows) {
  if (results_.empty()) return;
  StatementResult& r = results_.back();
  r.duration_ms += std::chrono::duration<double, std::milli>(Clock::now() - started_).count();
  r.rows += rows;
  if (event.batch) ++r.batches;
  if (!result.ok()) {
    r.ok = false;
    r.error = result.message();
  }
  // A backfill's batches repeat one DML statement: its storage answer is
  // known after the first batch. Asking again after each of thousands of
  // batches would put two catalog queries per table on the backfill's path.
  if (result.ok() && !(event.batch && r.batches > 1)) {
    const auto after = StorageIdentities(conn_, touched_);
    bool unknown = false;
    bool rewritten = false;
    r.rewritten.clear();
    for (std::size_t i = 0; i < touched_.size(); ++i) {
      const TableId& t = touched_[i];
      const std::string& a = after.at(t);
      std::string b = before_.at(t);
      if (b == kAbsentIdentity && known_.count(t) != 0) b = known_[t];  // dropped earlier in this file
      std::optional<bool> table_rewrite;
      if (a == kUnknownIdentity || b == kUnknownIdentity) {
        unknown = true;
      } else {
        table_rewrite = !a.empty() && !b.empty() && a != b;
        if (*table_rewrite) {
          rewritten = true;
          r.rewritten.push_back(t.Display());
        }
      }
      r.tables[i].rewrite = table_rewrite;
      if (a != kAbsentIdentity && a != kUnknownIdentity) known_[t] = a;
    }
    if (rewrite_log_) {
      if (auto logged = conn_.TakeRewriteLog(); logged.ok()) {
        for (const std::string& t : *logged) {
          if (std::find(r.rewritten.begin(), r.rewritten.end(), t) == r.rewritten.end())
            r.rewritten.push_back(t);
          rewritten = true;
        }
      }
    }
    if (rewritten) {
      r.rewrite = true;
    } else if (!unknown) {
      r.rewrite = false;
    }
  }
  if (!event.batch || !result.ok()) {
    in_backfill_ = false;
    backfill_statement_ = nullptr;
    MarkWindow("i" + std::to_string(++windows_));
  }
}

void StatementMeter::FillProbes(StatementResult& r, const std::string& baseline) {
  if (probes_ == nullptr) return;
  for (TableFigures& tf : r.tables) {
    for (ProbeKind kind : {ProbeKind::kRead, ProbeKind::kWrite}) {
      auto summary = probes_->Summary(tf.table, kind, r.window);
      if (!summary) continue;
      std::optional<ProbeFigures> figures = FiguresOf(*summary);
      std::optional<double> blocked;
      if (auto b = probes_->BlockedMs(tf.table, kind, r.window, baseline); b.ok()) blocked = *b;
      if (kind == ProbeKind::kRead) {
        tf.read = figures;
        tf.blocked_read_ms = blocked;
        KeepWorst(r.read, figures);
        KeepLargest(r.blocked_read_ms, blocked);
      } else {
        tf.write = figures;
        tf.blocked_write_ms = blocked;
        KeepWorst(r.write, figures);
        KeepLargest(r.blocked_write_ms, blocked);
      }
    }
  }
}

void StatementMeter::FillLocks(StatementResult& r, const std::map<std::string, std::string>& session_labels) {
  for (LockObserver* o : observers_) {
    const LockObserverStats stats = o->Stats();
    const std::chrono::microseconds interval = std::max(stats.mean_interval, stats.mean_sample_time);
    for (const LockWindowSummary& w : o->Summaries()) {
      if (w.window != r.window) continue;
      for (const HeldLockSpan& h : w.held) {
        const double first = std::chrono::duration<double, std::milli>(h.first_seen - origin_).count();
        const double half = static_cast<double>(interval.count()) / 2000.0;
        r.locks.push_back(
            LockFigures{h.object, h.mode, std::max(0.0, first - half), h.HeldMs(interval), h.table_level});
      }
      for (const ObservedLock& l : w.locks) {
        WaitFigures wf;
        wf.object = l.object;
        wf.lock = l.lock;
        wf.longest_wait_ms = static_cast<double>(l.longest_wait.count());
        for (const std::string& s : l.waiting_sessions) {
          auto it = session_labels.find(s);
          wf.waiting.push_back(it != session_labels.end() ? it->second : "session " + s);
        }
        r.waits.push_back(std::move(wf));
      }
    }
  }
}

void StatementMeter::Finish(const std::string& baseline,
                            const std::map<std::string, std::string>& session_labels) {
  for (StatementResult& r : results_) {
    FillProbes(r, baseline);
    FillLocks(r, session_labels);
  }
}

}  // namespace cutover::rehearse
