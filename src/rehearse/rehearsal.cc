#include "rehearse/rehearsal.h"

#include <algorithm>
#include <set>
#include <thread>

#include "base/interrupt.h"
#include "base/kill_point.h"
#include "base/sha256.h"
#include "migrate/apply.h"
#include "migrate/history.h"
#include "rehearse/interrupt_canceller.h"
#include "rehearse/lock_observer.h"
#include "rehearse/meter.h"
#include "rehearse/probe.h"
#include "rehearse/rehearsal_internal.h"
#include "schema/drift.h"

namespace cutover::rehearse {
namespace {

// Statements that ran longer than this on the copy are taken to scan the
// data (a catalog-only change takes milliseconds), so their estimate scales
// with the table's growth.
constexpr double kScanThresholdMs = 50;
constexpr int kProbeKeys = 32;

// The migrations a run may touch: all of them, or up to --to.
Result<std::vector<const plan::Migration*>> MigrationsInRange(const plan::Plan& plan,
                                                              const std::optional<std::string>& to) {
  std::vector<const plan::Migration*> out;
  for (const plan::Migration& m : plan.migrations) {
    out.push_back(&m);
    if (to && m.name == *to) return out;
  }
  if (to) return Status::InvalidInput("--to " + *to + ": no migration of that name in the plan");
  return out;
}

std::vector<TableId> TablesThePlanTouches(const Driver& driver, const std::vector<const plan::Migration*>& ms,
                                          const std::vector<TableId>& tables) {
  std::set<TableId> touched;
  for (const plan::Migration* m : ms) {
    for (const auto& [phase, file] : m->files) {
      if (phase == plan::Phase::kChecks) continue;
      for (const plan::Statement& s : file.statements) {
        for (const TableId& t : TablesMentioned(driver.ReferencedNames(s.text), tables)) touched.insert(t);
      }
    }
  }
  return {touched.begin(), touched.end()};
}

// Runs one apply phase on the copy. A refusal or a failed statement or
// check is a finding recorded in `report`; the error return is for what
// stops the rehearsal without a verdict (interrupt, lost connection, bad
// --to).
struct PhaseOutcome {
  bool ran_steps = false;
  bool failed = false;  // a finding: the rehearsal stops
  double seconds = 0;
};

class Runner {
 public:
  Runner(Driver& driver, Connection& conn, const plan::Plan& plan, const RehearsalOptions& options,
         StatementMeter& meter, RehearsalReport& report)
      : driver_(driver), conn_(conn), plan_(plan), options_(options), meter_(meter), report_(report) {}

  Status Run(const std::vector<const plan::Migration*>& ms);

 private:
  Result<PhaseOutcome> ApplyPhase(plan::Phase phase, const std::optional<std::string>& to);
  Result<bool> Expand(const plan::Migration& m);  // false: stop
  Result<bool> Drill(const plan::Migration& m, const SchemaModel& before);
  void RunCompat(const plan::Migration& m);
  void Note(const std::string& line) const {
    if (options_.note) options_.note(line);
  }

  Driver& driver_;
  Connection& conn_;
  const plan::Plan& plan_;
  const RehearsalOptions& options_;
  StatementMeter& meter_;
  RehearsalReport& report_;
};

Result<PhaseOutcome> Runner::ApplyPhase(plan::Phase phase, const std::optional<std::string>& to) {
  migrate::ApplyOptions ao;
  ao.phase = phase;
  ao.to = to;
  ao.observer = &meter_;
  ao.tool_version = options_.tool_version;
  ao.applied_by = options_.applied_by;
  ao.note = options_.note;
  const auto start = Clock::now();
  migrate::ApplyReport ar = migrate::Apply(conn_, plan_, ao);
  meter_.EndPhase();
  PhaseOutcome out;
  out.seconds = std::chrono::duration<double>(Clock::now() - start).count();
  out.ran_steps = !ar.steps.empty();
  for (const migrate::StepOutcome& step : ar.steps) {
    if (step.phase == "rollback") continue;
    if (const plan::Migration* m = plan_.Find(step.migration); m != nullptr) {
      if (const plan::PlanFile* checks = m->file(plan::Phase::kChecks); checks != nullptr) {
        for (const plan::Statement& s : checks->statements) {
          if (!step.check_file.empty() && s.line >= step.check_line) break;
          if (step.outcome == "failed" || step.outcome == "interrupted") break;
          ++report_.checks.run;
          report_.checks.passed.push_back(QueryFailure{checks->display_path, s.line, ""});
        }
      }
    }
    if (!step.check_error.empty()) {
      ++report_.checks.run;
      report_.checks.ok = false;
      report_.checks.failed.push_back(QueryFailure{step.check_file, step.check_line, step.check_error});
    }
  }
  const Status& st = ar.status;
  if (st.ok()) return out;
  // A statement stopped by the InterruptCanceller fails like any other.
  if (InterruptGuard::Requested()) return InterruptedStatus();
  if (st.code() == StatusCode::kCancelled || st.code() == StatusCode::kConnection ||
      st.code() == StatusCode::kIo || st.code() == StatusCode::kInvalidInput) {
    return st;
  }
  out.failed = true;
  report_.findings.push_back(std::string(plan::PhaseName(phase)) + ": " + st.message());
  return out;
}

void Runner::RunCompat(const plan::Migration& m) {
  const plan::PlanFile* compat = m.file(plan::Phase::kCompat);
  if (compat == nullptr) return;
  for (const plan::Statement& s : compat->statements) {
    ++report_.compat.run;
    // Each query in its own transaction, rolled back: compat.sql may write
    // like the previous app version does, and the copy's data stays as the
    // plan left it.
    Status st = conn_.Begin();
    if (st.ok()) {
      auto r = conn_.Execute(compat->ExecutableText(s), ExecOptions{});
      st = r.status();
      (void)conn_.Rollback();
    }
    if (st.ok()) report_.compat.passed.push_back(QueryFailure{compat->display_path, s.line, ""});
    if (!st.ok()) {
      report_.compat.ok = false;
      report_.compat.failed.push_back(QueryFailure{compat->display_path, s.line, st.message()});
      report_.findings.push_back(compat->display_path + ":" + std::to_string(s.line) +
                                 ": the previous app version's query fails: " + st.message());
    }
  }
}

Result<bool> Runner::Drill(const plan::Migration& m, const SchemaModel& before) {
  DrillResult d;
  d.migration = m.name;
  d.ran = true;
  meter_.SetDrill(true);
  const auto start = Clock::now();
  auto rolled = ApplyPhase(plan::Phase::kRollback, m.name);
  if (!rolled.ok()) return rolled.status();
  CUTOVER_KILL_POINT("rehearse.rolled-back");
  d.rollback_ms = std::chrono::duration<double, std::milli>(Clock::now() - start).count();
  if (rolled->failed) {
    d.differences.push_back("rollback.sql failed; see the findings");
    report_.drills.push_back(d);
    return false;
  }
  auto after = conn_.ReadSchema();
  if (!after.ok()) return after.status().WithContext("reading the copy's schema after the rollback drill");
  CUTOVER_RETURN_IF_ERROR(CompareWithBefore(before, *after, {}, d));
  if (!d.ok) {
    report_.findings.push_back(m.name + ": rollback.sql does not restore the pre-expand schema (" +
                               std::to_string(d.differences.size()) + " difference(s))");
  }
  report_.drills.push_back(d);
  Note(m.name + ": rollback drill " + (d.ok ? "passed" : "found differences") + "; expanding again");
  auto again = ApplyPhase(plan::Phase::kExpand, m.name);
  meter_.SetDrill(false);
  if (!again.ok()) return again.status();
  return !again->failed;
}

Result<bool> Runner::Expand(const plan::Migration& m) {
  auto before = conn_.ReadSchema();
  if (!before.ok()) return before.status().WithContext("reading the copy's schema before " + m.name);
  auto expanded = ApplyPhase(plan::Phase::kExpand, m.name);
  if (!expanded.ok()) return expanded.status();
  if (expanded->failed) return false;
  CUTOVER_KILL_POINT("rehearse.expanded");
  if (!expanded->ran_steps) return true;  // applied before the snapshot
  RunCompat(m);
  if (m.irreversible || m.file(plan::Phase::kRollback) == nullptr) {
    DrillResult d;
    d.migration = m.name;
    d.skipped_reason =
        m.irreversible ? "marked irreversible: " + m.irreversible->reason : "has no rollback.sql";
    report_.drills.push_back(d);
    return true;
  }
  return Drill(m, *before);
}

Status Runner::Run(const std::vector<const plan::Migration*>& ms) {
  CUTOVER_RETURN_IF_ERROR(migrate::EnsureHistoryTable(conn_));
  const bool all = options_.phases == PhaseSelection::kAll;
  if (all || options_.phases == PhaseSelection::kExpand) {
    report_.phases_run.push_back("expand");
    for (const plan::Migration* m : ms) {
      if (InterruptGuard::Requested()) return InterruptedStatus();
      auto go_on = Expand(*m);
      if (!go_on.ok()) return go_on.status();
      if (!*go_on) return Status::Ok();
    }
  }
  const std::optional<std::string> to = ms.empty() ? std::nullopt : std::optional(ms.back()->name);
  if (all || options_.phases == PhaseSelection::kBackfill) {
    report_.phases_run.push_back("backfill");
    auto r = ApplyPhase(plan::Phase::kBackfill, to);
    if (!r.ok()) return r.status();
    if (r->failed) return Status::Ok();
    for (const plan::Migration* m : ms) RunCompat(*m);
  }
  if (all || options_.phases == PhaseSelection::kContract) {
    report_.phases_run.push_back("contract");
    auto r = ApplyPhase(plan::Phase::kContract, to);
    if (!r.ok()) return r.status();
  }
  return Status::Ok();
}

std::map<TableId, double> RowsByTable(const std::vector<TableRowEstimate>& rows) {
  std::map<TableId, double> out;
  for (const TableRowEstimate& r : rows) out[r.table] = static_cast<double>(r.rows);
  return out;
}

void Estimate(RehearsalReport& report, const std::map<TableId, double>& copy_rows,
              const std::map<TableId, double>& live_rows, const std::optional<double>& restore_seconds) {
  for (StatementResult& r : report.statements) {
    double copy = 0;
    double live = 0;
    for (const TableFigures& tf : r.tables) {
      for (const auto& [id, rows] : copy_rows) {
        if (id.Display() != tf.table) continue;
        auto it = live_rows.find(id);
        if (it == live_rows.end() || rows <= 0) continue;
        copy += rows;
        live += it->second;
      }
    }
    r.growth = copy > 0 ? live / copy : 1.0;
    r.scaled = r.rewrite.value_or(false) || r.rows > 0 || r.duration_ms > kScanThresholdMs;
    const double factor = r.scaled ? r.growth : 1.0;
    r.estimate_duration_ms = r.duration_ms * factor;
    if (r.blocked_read_ms) r.estimate_blocked_read_ms = *r.blocked_read_ms * factor;
    if (r.blocked_write_ms) r.estimate_blocked_write_ms = *r.blocked_write_ms * factor;
    if (r.batches > 0) {
      BackfillResult b;
      b.migration = r.migration;
      b.rows = r.rows;
      b.batches = r.batches;
      b.seconds = r.duration_ms / 1000.0;
      b.rows_per_s = b.seconds > 0 ? static_cast<double>(b.rows) / b.seconds : 0;
      b.production_rows = static_cast<double>(b.rows) * r.growth;
      b.estimate_s = b.rows_per_s > 0 ? b.production_rows / b.rows_per_s : 0;
      report.backfills.push_back(b);
      report.estimate.backfill_s += b.estimate_s;
      continue;
    }
    const double s = r.estimate_duration_ms / 1000.0;
    if (r.phase == "rollback") {
      report.estimate.rollback_s += s;
    } else if (r.drill) {
      continue;  // the second expand of the drill: counted once, as the first
    } else if (r.phase == "expand") {
      report.estimate.expand_s += s;
    } else if (r.phase == "contract") {
      report.estimate.contract_s += s;
    }
  }
  Totals& t = report.estimate;
  t.restore_s = restore_seconds;
  t.window_s =
      t.expand_s + t.backfill_s + t.contract_s + std::max(t.rollback_s, restore_seconds.value_or(0.0));
}

// The probes' timelines on the rehearsal's time axis.
std::vector<ProbeTimeline> ProbeTimelines(const ProbeWorkload& probes, Clock::time_point origin) {
  std::vector<ProbeTimeline> out;
  for (const ProbeSeriesTimeline& s : probes.Timelines()) {
    ProbeTimeline p;
    p.table = s.label;
    p.kind = ProbeKindName(s.kind);
    p.bucket_ms = std::chrono::duration<double, std::milli>(s.timeline.bucket).count();
    if (s.timeline.allowed) p.allowed_ms = static_cast<double>(s.timeline.allowed->count()) / 1000.0;
    for (const LatencyPoint& pt : s.timeline.points)
      p.latency.emplace_back(MsSince(origin, pt.at), static_cast<double>(pt.max.count()) / 1000.0);
    for (const BlockedInterval& b : s.timeline.blocked)
      p.blocked.push_back(IntervalMs{MsSince(origin, b.begin), MsSince(b.begin, b.end)});
    p.blocked_dropped = s.timeline.blocked_dropped;
    out.push_back(std::move(p));
  }
  return out;
}

std::vector<ProbeSpec> ProbeSpecs(Connection& conn, const std::vector<TableId>& tables,
                                  const RehearsalOptions& options, RehearsalReport& report) {
  std::vector<ProbeSpec> specs = TableProbeSpecs(conn, tables, kProbeKeys, report.notes);
  for (const auto& [label, sql] : options.hot_queries) specs.push_back(ProbeSpec{label, {sql}, {}});
  return specs;
}

}  // namespace

std::string PlanSha256(const plan::Plan& plan) {
  Sha256 h;
  for (const plan::Migration& m : plan.migrations) {
    for (const auto& [phase, file] : m.files) {
      h.Update(file.display_path);
      h.Update(std::string_view("\0", 1));
      h.Update(file.checksum);
      // Another tool may take a file's transaction from outside it (Flyway's
      // V1__x.sql.conf): how it runs is part of what was rehearsed.
      if (plan.layout != plan::Layout::kCutover) h.Update(file.settings.no_transaction ? "/notx" : "/tx");
      h.Update(std::string_view("\n", 1));
    }
  }
  return h.HexDigest();
}

Status CompareWithBefore(const SchemaModel& before, const SchemaModel& after,
                         const std::vector<std::string>& ignore_globs, DrillResult& d) {
  DriftOptions drift_options;
  drift_options.ignore_globs = ignore_globs;
  drift_options.ignore_globs.push_back(std::string(migrate::kHistoryTable));
  drift_options.ignore_globs.push_back("*." + std::string(migrate::kHistoryTable));
  auto drift = ComputeDrift(before, after, drift_options);
  if (!drift.ok()) return drift.status();
  for (const Difference& diff : drift->differences) {
    d.differences.push_back(std::string(DiffKindName(diff.kind)) + " " + ObjectKindName(diff.object_kind) +
                            " " + diff.path);
  }
  d.ok = !drift->HasDrift();
  return Status::Ok();
}

Result<std::unique_ptr<Instruments>> StartInstruments(Driver& driver, const ConnectionUri& copy,
                                                      Connection& conn, const std::vector<TableId>& probed,
                                                      const RehearsalOptions& options,
                                                      const std::string& held_session,
                                                      RehearsalReport& report) {
  auto in = std::make_unique<Instruments>();
  in->specs = ProbeSpecs(conn, probed, options, report);
  in->origin = Clock::now();  // 0 of the report's time axis
  ProbeOptions po;
  po.origin = in->origin;
  po.rate_per_second = options.probe_rate;
  po.timeout = options.probe_timeout;
  if (driver.info().lock_waits_polled_by_client) po.lock_poll_interval = std::chrono::milliseconds(2);
  in->probes = std::make_unique<ProbeWorkload>(driver, copy, in->specs, po);
  if (in->probing()) CUTOVER_RETURN_IF_ERROR(in->probes->Start().WithContext("starting the probe sessions"));
  LockObserverOptions waits_options;
  waits_options.interval = options.lock_interval;
  in->waits = std::make_unique<LockObserver>(driver, copy, waits_options);
  CUTOVER_RETURN_IF_ERROR(in->waits->Start().WithContext("starting the lock observer"));
  if (!held_session.empty()) {
    LockObserverOptions held_options = waits_options;
    held_options.sample_waits = false;
    held_options.held_by_session = held_session;
    in->held = std::make_unique<LockObserver>(driver, copy, held_options);
    CUTOVER_RETURN_IF_ERROR(in->held->Start().WithContext("starting the lock observer"));
  }
  if (in->probing()) (void)in->probes->Mark(report.baseline_window);
  (void)in->waits->Mark(report.baseline_window);
  if (in->held) (void)in->held->Mark(report.baseline_window);
  std::this_thread::sleep_for(options.baseline);
  if (in->probing()) (void)in->probes->UseBaseline(report.baseline_window);
  return in;
}

void Instruments::Stop() {
  probes->Stop();
  waits->Stop();
  if (held) held->Stop();
}

std::vector<LockObserver*> Instruments::Observers() {
  std::vector<LockObserver*> out{waits.get()};
  if (held) out.push_back(held.get());
  return out;
}

void FinishReport(const Instruments& in, const RehearsalOptions& options,
                  const std::vector<TableRowEstimate>& copy_rows, RehearsalReport& report) {
  report.timeline.probes = ProbeTimelines(*in.probes, in.origin);
  report.probes_run = in.probes->ProbesRun();
  report.probe_rate = options.probe_rate;
  const LockObserverStats ws = in.waits->Stats();
  report.lock_samples = ws.samples;
  report.lock_interval_ms = static_cast<double>(ws.mean_interval.count()) / 1000.0;
  if (!ws.observable) report.notes.push_back("lock waits " + ws.not_observable_reason);
  if (in.held) {
    if (const LockObserverStats hs = in.held->Stats(); !hs.held_observable) {
      report.held_locks_observable = false;
      report.notes.push_back("locks held by the migration " + hs.held_not_observable_reason);
    }
  }
  Estimate(report, RowsByTable(copy_rows), RowsByTable(options.live_rows), options.restore_seconds);
  report.ok = report.findings.empty() && report.compat.ok && report.checks.ok &&
              std::all_of(report.drills.begin(), report.drills.end(),
                          [](const DrillResult& d) { return !d.ran || d.ok; });
}

Result<std::vector<TableRowEstimate>> CopyRowCounts(Connection& conn, RehearsalReport& report) {
  auto rows = conn.EstimatedRowCounts();
  if (rows.ok()) return rows;
  report.notes.push_back("estimates are not scaled by growth: the copy's row counts could not be read (" +
                         rows.status().message() + ")");
  return std::vector<TableRowEstimate>{};
}

Result<RehearsalReport> RunRehearsal(Driver& driver, const ConnectionUri& copy, const plan::Plan& plan,
                                     const RehearsalOptions& options) {
  RehearsalReport report;
  auto ms = MigrationsInRange(plan, options.to);
  if (!ms.ok()) return ms.status();
  auto conn = driver.Connect(copy);
  if (!conn.ok()) return conn.status().WithContext("connecting to the rehearsal copy");
  auto model = (*conn)->ReadSchema();
  if (!model.ok()) return model.status().WithContext("reading the copy's schema");
  const std::vector<TableId> tables = UserTables(*model);
  auto copy_rows = CopyRowCounts(**conn, report);
  const std::vector<TableId> probed = TablesThePlanTouches(driver, *ms, tables);
  auto in = StartInstruments(driver, copy, **conn, probed, options, (*conn)->SessionId(), report);
  if (!in.ok()) return in.status();
  Instruments& instruments = **in;

  std::vector<std::string> hot_labels;
  for (const auto& hot : options.hot_queries) hot_labels.push_back(hot.first);
  StatementMeter meter(driver, **conn, tables, instruments.probing() ? instruments.probes.get() : nullptr,
                       instruments.Observers(), std::move(hot_labels));
  meter.SetOrigin(instruments.origin);
  if (Status log = (*conn)->StartRewriteLog(); log.ok()) {
    meter.UseRewriteLog();
  } else {
    report.notes.push_back("rewrites are detected by storage identity only: " + log.message());
  }
  Runner runner(driver, **conn, plan, options, meter, report);
  Status ran = [&] {
    InterruptCanceller canceller(**conn);
    return runner.Run(*ms);
  }();
  report.timeline.elapsed_ms = MsSince(instruments.origin, Clock::now());
  instruments.Stop();
  if (!ran.ok()) return InterruptGuard::Requested() ? InterruptedStatus() : ran;
  meter.Finish(report.baseline_window, instruments.probes->SessionLabels());
  report.statements = std::move(meter.results());
  FinishReport(instruments, options, *copy_rows, report);
  return report;
}

}  // namespace cutover::rehearse
