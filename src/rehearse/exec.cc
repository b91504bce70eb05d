#include "rehearse/exec.h"

#include <algorithm>
#include <condition_variable>
#include <filesystem>
#include <fstream>
#include <map>
#include <mutex>
#include <set>
#include <thread>

#include "base/interrupt.h"
#include "base/sha256.h"
#include "base/subprocess.h"
#include "rehearse/meter.h"
#include "rehearse/rehearsal_internal.h"

namespace cutover::rehearse {

const char* const kMigratorTables[] = {"alembic_version",
                                       "schema_migrations",
                                       "ar_internal_metadata",
                                       "django_migrations",
                                       "_prisma_migrations",
                                       "knex_migrations",
                                       "knex_migrations_lock",
                                       "flyway_schema_history",
                                       "goose_db_version",
                                       "databasechangelog",
                                       "databasechangeloglock",
                                       "sqitch",
                                       "sqitch.*",
                                       nullptr};

namespace {

constexpr const char* kBetweenStatements = "(between statements)";
constexpr std::size_t kMaxStatementText = 4000;

// A statement of the migrator seen running on the server.
struct Execution {
  std::string session;
  std::string text;
  Clock::time_point start{};  // by the server's run time at the first sample
  double duration_ms = 0;     // the server's run time at the last sample
  std::string window;
};

// A lock a migrator session held over consecutive samples.
struct LockSpan {
  std::string session;
  HeldLock lock;
  Clock::time_point first{};
  Clock::time_point last{};
};

// A probe window in which no migrator statement was seen running.
struct Gap {
  std::string window;
  Clock::time_point begin{};
};

// Marks window `name` on every instrument.
void MarkAll(Instruments& in, const std::string& name) {
  if (in.probing()) (void)in.probes->Mark(name);
  for (LockObserver* o : in.Observers()) (void)o->Mark(name);
}

// Reads the copy's other sessions on a fixed grid while the command runs and
// opens a probe window per new statement (see exec.h). Start/Stop from the
// controlling thread; while running, the sampler's thread is the one that
// marks the instruments' windows (the controlling thread waits for the
// command meanwhile).
class MigratorSampler {
 public:
  MigratorSampler(Driver& driver, ConnectionUri copy, Instruments& in, std::set<std::string> excluded,
                  std::chrono::milliseconds interval, std::string prefix)
      : driver_(driver),
        copy_(std::move(copy)),
        in_(in),
        excluded_(std::move(excluded)),
        interval_(interval),
        prefix_(std::move(prefix)) {}
  ~MigratorSampler() { Stop(); }

  // Opens the sampler's connection and marks the command's first window.
  // false (and `reason`): the engine shows no sessions; no thread runs.
  Result<bool> Start(std::string* reason);
  void Stop();

  const std::vector<Execution>& executions() const { return done_; }
  const std::vector<LockSpan>& locks() const { return locks_done_; }
  const std::vector<Gap>& gaps() const { return gaps_; }
  std::int64_t sample_errors() const { return errors_; }
  const std::string& first_error() const { return first_error_; }

 private:
  void Run();
  void Sample();
  void AddFinished(const SessionActivity& a, Clock::time_point at);
  void Mark(const std::string& window, Clock::time_point at) {
    MarkAll(in_, window);
    marks_.emplace_back(at, window);
  }
  void TrackLocks(const std::vector<std::string>& sessions, Clock::time_point at);
  std::string NextWindow(char kind) { return prefix_ + kind + std::to_string(++windows_); }

  Driver& driver_;
  ConnectionUri copy_;
  Instruments& in_;
  std::set<std::string> excluded_;
  std::chrono::milliseconds interval_;
  std::string prefix_;
  std::unique_ptr<Connection> conn_;
  std::thread thread_;
  std::mutex mu_;
  std::condition_variable cv_;
  bool stopping_ = false;
  int windows_ = 0;
  std::map<std::string, Execution> open_;                         // by session
  std::set<std::string> finished_seen_;                           // "session/id" of history entries taken
  std::vector<std::pair<Clock::time_point, std::string>> marks_;  // windows opened, in order
  std::vector<Execution> done_;
  std::map<std::tuple<std::string, std::string, std::string>, LockSpan> locks_open_;
  std::vector<LockSpan> locks_done_;
  std::vector<Gap> gaps_;
  bool idle_ = true;
  std::int64_t errors_ = 0;
  std::string first_error_;
};

Result<bool> MigratorSampler::Start(std::string* reason) {
  auto conn = driver_.Connect(copy_);
  if (!conn.ok()) return conn.status().WithContext("connecting the statement sampler to the copy");
  conn_ = std::move(*conn);
  auto first = conn_->OtherSessions();
  if (!first.ok()) {
    if (first.status().code() != StatusCode::kUnsupported) return first.status();
    *reason = first.status().message();
    return false;
  }
  const Gap& opening = gaps_.emplace_back(Gap{NextWindow('g'), Clock::now()});
  Mark(opening.window, opening.begin);
  thread_ = std::thread([this] { Run(); });
  return true;
}

void MigratorSampler::Stop() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stopping_ = true;
  }
  cv_.notify_all();
  if (thread_.joinable()) thread_.join();
  for (auto& [session, e] : open_) done_.push_back(std::move(e));
  open_.clear();
  for (auto& [key, span] : locks_open_) locks_done_.push_back(std::move(span));
  locks_open_.clear();
  std::sort(done_.begin(), done_.end(),
            [](const Execution& a, const Execution& b) { return a.start < b.start; });
  // A statement known only from the history is charged the window it ran in.
  for (Execution& e : done_) {
    if (!e.window.empty() || marks_.empty()) continue;
    e.window = marks_.front().second;
    for (const auto& [begin, window] : marks_) {
      if (begin <= e.start) e.window = window;
    }
  }
}

void MigratorSampler::Run() {
  Clock::time_point next = Clock::now();
  std::unique_lock<std::mutex> lock(mu_);
  while (!stopping_) {
    lock.unlock();
    Sample();
    lock.lock();
    next += interval_;
    const auto now = Clock::now();
    if (next < now) next = now;  // a slow sample skips slots, never bursts
    cv_.wait_until(lock, next, [this] { return stopping_; });
  }
}

void MigratorSampler::Sample() {
  auto sessions = conn_->OtherSessions();
  const Clock::time_point at = Clock::now();
  if (!sessions.ok()) {
    if (errors_++ == 0) first_error_ = sessions.status().message();
    if (sessions.status().code() == StatusCode::kConnection) {
      if (auto again = driver_.Connect(copy_); again.ok()) conn_ = std::move(*again);
    }
    return;
  }
  std::set<std::string> excluded = excluded_;
  if (in_.probing()) {
    for (const auto& [session, label] : in_.probes->SessionLabels()) excluded.insert(session);
  }
  std::vector<std::string> migrator;
  std::set<std::string> running;
  bool opened = false;
  for (const SessionActivity& a : *sessions) {
    if (excluded.count(a.session) != 0) continue;
    migrator.push_back(a.session);
    AddFinished(a, at);
    if (!a.running) continue;
    running.insert(a.session);
    const double ran_ms = a.running_ms.value_or(0);
    const auto start = at - std::chrono::microseconds(static_cast<std::int64_t>(ran_ms * 1000));
    auto it = open_.find(a.session);
    const bool same = it != open_.end() && it->second.text == a.statement.substr(0, kMaxStatementText) &&
                      std::chrono::abs(it->second.start - start) < interval_ + std::chrono::milliseconds(20);
    if (same) {
      it->second.duration_ms = std::max(it->second.duration_ms, ran_ms);
      continue;
    }
    if (it != open_.end()) {
      done_.push_back(std::move(it->second));
      open_.erase(it);
    }
    open_[a.session] = Execution{a.session, a.statement.substr(0, kMaxStatementText), start, ran_ms, ""};
    opened = true;
  }
  for (auto it = open_.begin(); it != open_.end();) {
    if (running.count(it->first) != 0) {
      ++it;
      continue;
    }
    done_.push_back(std::move(it->second));
    it = open_.erase(it);
  }
  if (opened) {
    const std::string window = NextWindow('x');
    Mark(window, at);
    for (auto& [session, e] : open_) {
      if (e.window.empty()) e.window = window;
    }
    idle_ = false;
  } else if (open_.empty() && !idle_) {
    const Gap& gap = gaps_.emplace_back(Gap{NextWindow('g'), at});
    Mark(gap.window, at);
    idle_ = true;
  }
  TrackLocks(migrator, at);
}

// Statements the server's history says the session finished: the one seen
// running gets the history's exact duration; one never seen running (shorter
// than the interval) is listed, with the figures of the window it ran in
// (Stop() finds it).
void MigratorSampler::AddFinished(const SessionActivity& a, Clock::time_point at) {
  for (const SessionActivity::Finished& f : a.finished) {
    if (!finished_seen_.insert(a.session + "/" + f.id).second) continue;
    const std::string text = f.statement.substr(0, kMaxStatementText);
    auto it = open_.find(a.session);
    if (it != open_.end() && (it->second.text.rfind(text, 0) == 0 || text.rfind(it->second.text, 0) == 0)) {
      it->second.duration_ms = f.duration_ms;
      continue;
    }
    const auto ms = [](double v) { return std::chrono::microseconds(static_cast<std::int64_t>(v * 1000)); };
    done_.push_back(Execution{a.session, text, at - ms(f.ended_ms_ago + f.duration_ms), f.duration_ms, ""});
  }
}

void MigratorSampler::TrackLocks(const std::vector<std::string>& sessions, Clock::time_point at) {
  std::set<std::tuple<std::string, std::string, std::string>> seen;
  for (const std::string& s : sessions) {
    auto held = conn_->LocksHeldBy(s);
    if (!held.ok()) continue;  // a session that ended between the two reads
    for (const HeldLock& l : *held) {
      auto key = std::make_tuple(s, l.object, l.mode);
      seen.insert(key);
      auto [it, fresh] = locks_open_.try_emplace(key, LockSpan{s, l, at, at});
      if (!fresh) it->second.last = at;
    }
  }
  for (auto it = locks_open_.begin(); it != locks_open_.end();) {
    if (seen.count(it->first) != 0) {
      ++it;
      continue;
    }
    locks_done_.push_back(std::move(it->second));
    it = locks_open_.erase(it);
  }
}

// Every secret, wherever the command printed it.
std::string Redact(std::string text, const std::vector<std::string>& secrets) {
  for (const std::string& secret : secrets) {
    for (std::size_t at; (at = text.find(secret)) != std::string::npos;)
      text.replace(at, secret.size(), "***");
  }
  return text;
}

// The largest `limit` tables by the copy's row estimate.
std::vector<TableId> LargestTables(const std::vector<TableId>& tables,
                                   const std::vector<TableRowEstimate>& rows, std::size_t limit,
                                   RehearsalReport& report) {
  std::map<TableId, std::int64_t> by_table;
  for (const TableRowEstimate& r : rows) by_table[r.table] = r.rows;
  std::vector<TableId> out = tables;
  std::stable_sort(out.begin(), out.end(),
                   [&](const TableId& a, const TableId& b) { return by_table[a] > by_table[b]; });
  if (out.size() > limit) {
    report.notes.push_back(
        "probed the " + std::to_string(limit) + " largest of " + std::to_string(out.size()) +
        " tables: with --exec the tables the command touches are not known before it runs");
    out.resize(limit);
  }
  return out;
}

// One run of one command (forward or rollback) with the sampler around it.
struct CommandRun {
  CommandEvidence evidence;
  std::vector<StatementResult> steps;
};

class ExecRunner {
 public:
  ExecRunner(Driver& driver, const ConnectionUri& copy, Connection& conn, Instruments& in,
             const std::vector<TableId>& probed, const RehearsalOptions& options, RehearsalReport& report,
             ExecReport& exec)
      : driver_(driver),
        copy_(copy),
        conn_(conn),
        in_(in),
        probed_(probed),
        options_(options),
        report_(report),
        exec_(exec) {}

  Result<CommandRun> Run(const std::string& command, bool rollback);

 private:
  void PrepareEnvironment();
  StatementResult Step(const std::string& sql, bool rollback, const std::string& window,
                       Clock::time_point start, double duration_ms) const;
  void Attribute(const MigratorSampler& sampler, bool rollback, Clock::time_point end, CommandRun& run) const;

  Driver& driver_;
  const ConnectionUri& copy_;
  Connection& conn_;
  Instruments& in_;
  const std::vector<TableId>& probed_;
  const RehearsalOptions& options_;
  RehearsalReport& report_;
  ExecReport& exec_;
  int runs_ = 0;
  std::vector<std::pair<std::string, std::string>> env_;
  std::vector<std::string> secrets_;
};

// The copy in the migrator's environment, and the secrets that it carries
// (a password in the copy's URI or taken from the client's own variable).
void ExecRunner::PrepareEnvironment() {
  env_ = {{"CUTOVER_SCRATCH_URI", copy_.Text()}};
  if (auto client = driver_.ClientEnvironment(copy_); client.ok()) {
    for (auto& kv : *client) env_.push_back(std::move(kv));
  }
  for (const auto& [name, value] : env_) {
    auto uri = ConnectionUri::Parse(value);
    if (!value.empty() && uri.ok() && uri->password() && uri->password()->size() >= 3)
      secrets_.push_back(*uri->password());
  }
  if (copy_.password() && !copy_.password()->empty()) secrets_.push_back(*copy_.password());
}

StatementResult ExecRunner::Step(const std::string& sql, bool rollback, const std::string& window,
                                 Clock::time_point start, double duration_ms) const {
  StatementResult r;
  r.migration = "exec";
  r.phase = rollback ? "rollback" : "expand";
  r.drill = rollback;
  r.file = rollback ? "exec-rollback" : "exec";
  r.sql = sql;
  r.start_ms = MsSince(in_.origin, start);
  r.duration_ms = duration_ms;
  r.window = window;
  std::vector<TableId> touched = TablesMentioned(driver_.ReferencedNames(sql), probed_);
  if (touched.empty() || sql == kBetweenStatements || sql.rfind("$ ", 0) == 0) touched = probed_;
  for (const TableId& t : touched) r.tables.push_back(TableFigures{t.Display(), {}, {}, {}, {}, {}});
  for (const auto& [label, query] : options_.hot_queries)
    r.tables.push_back(TableFigures{label, {}, {}, {}, {}, {}});
  return r;
}

// The statements, the gaps between them (until the next statement or the
// command's `end`), and each lock span charged to the statement of its
// session that was running when it was first seen, or else to the gap it
// was first seen in (a lock kept by an open transaction after a statement
// too short to be seen).
void ExecRunner::Attribute(const MigratorSampler& sampler, bool rollback, Clock::time_point end,
                           CommandRun& run) const {
  const std::vector<Execution>& ex = sampler.executions();  // by start
  for (const Execution& e : ex) run.steps.push_back(Step(e.text, rollback, e.window, e.start, e.duration_ms));
  const std::size_t first_gap = run.steps.size();
  for (const Gap& g : sampler.gaps()) {
    Clock::time_point until = end;
    for (const Execution& e : ex) {
      if (e.start >= g.begin) {
        until = std::min(until, e.start);
        break;
      }
    }
    run.steps.push_back(
        Step(kBetweenStatements, rollback, g.window, g.begin, std::max(0.0, MsSince(g.begin, until))));
  }
  const double interval = static_cast<double>(options_.lock_interval.count());
  for (const LockSpan& l : sampler.locks()) {
    std::optional<std::size_t> owner;
    for (std::size_t i = 0; i < ex.size(); ++i) {
      if (ex[i].session == l.session && ex[i].start <= l.first) owner = i;
    }
    for (std::size_t i = first_gap; !owner && i < run.steps.size(); ++i) {
      const StatementResult& g = run.steps[i];
      const double at = MsSince(in_.origin, l.first);
      if (g.start_ms <= at && at <= g.start_ms + g.duration_ms + interval) owner = i;
    }
    if (!owner) continue;
    run.steps[*owner].locks.push_back(LockFigures{l.lock.object, l.lock.mode,
                                                  std::max(0.0, MsSince(in_.origin, l.first) - interval / 2),
                                                  MsSince(l.first, l.last) + interval, l.lock.table_level});
  }
}

Result<CommandRun> ExecRunner::Run(const std::string& command, bool rollback) {
  std::set<std::string> excluded{conn_.SessionId(), in_.waits->SessionId()};
  if (in_.held) excluded.insert(in_.held->SessionId());
  const std::string tag = std::to_string(++runs_) + (rollback ? "r" : "f");
  MigratorSampler sampler(driver_, copy_, in_, excluded, options_.lock_interval, tag);
  std::string unobservable;
  auto observable = sampler.Start(&unobservable);
  if (!observable.ok()) return observable.status();
  if (!*observable) {
    exec_.statements_observable = false;
    MarkAll(in_, tag + "-command");
  }
  ShellCommandOptions so;
  if (env_.empty()) PrepareEnvironment();
  so.environment = env_;
  if (options_.note) {
    const std::string prefix = rollback ? "exec-rollback| " : "exec| ";
    so.on_line = [this, prefix](const std::string& line) { options_.note(prefix + Redact(line, secrets_)); };
  }
  const Clock::time_point start = Clock::now();
  auto outcome = RunShellCommand(command, so);
  const Clock::time_point end = Clock::now();
  sampler.Stop();
  MarkAll(in_, tag + "-after");  // what follows (the drill's schema read) is no statement's
  if (!outcome.ok()) return outcome.status();
  CommandRun run;
  run.evidence.command = Redact(command, secrets_);
  run.evidence.exit_code = outcome->exit_code;
  run.evidence.signal = outcome->signal;
  run.evidence.duration_ms = outcome->duration_ms;
  run.evidence.output_tail = Redact(outcome->output_tail, secrets_);
  run.evidence.output_bytes = outcome->output_bytes;
  if (!*observable) {
    run.steps.push_back(
        Step("$ " + run.evidence.command, rollback, tag + "-command", start, outcome->duration_ms));
    run.evidence.statements = 1;
    const std::string note = "each --exec command is one step: " + unobservable;
    if (std::find(report_.notes.begin(), report_.notes.end(), note) == report_.notes.end())
      report_.notes.push_back(note);
    return run;
  }
  Attribute(sampler, rollback, end, run);
  run.evidence.statements = static_cast<std::int64_t>(sampler.executions().size());
  if (sampler.sample_errors() > 0) {
    report_.notes.push_back(std::to_string(sampler.sample_errors()) +
                            " reading(s) of the migrator's sessions failed: " + sampler.first_error());
  }
  return run;
}

std::string Outcome(const CommandEvidence& e) {
  if (e.signal != 0) return "was ended by signal " + std::to_string(e.signal);
  return "exited with status " + std::to_string(e.exit_code);
}

// The last non-empty line of the output, for a finding.
std::string LastLine(const std::string& tail) {
  std::string_view t = tail;
  while (!t.empty() && (t.back() == '\n' || t.back() == ' ')) t.remove_suffix(1);
  const std::size_t nl = t.rfind('\n');
  return std::string(nl == std::string_view::npos ? t : t.substr(nl + 1));
}

// Gap steps in which nothing was blocked (beyond the probes' own jitter,
// a millisecond or two), waited or held say nothing.
void DropQuietGaps(std::vector<StatementResult>& steps) {
  constexpr double kGapBlockedMs = 10;
  std::erase_if(steps, [](const StatementResult& s) {
    return s.sql == kBetweenStatements && s.blocked_read_ms.value_or(0) < kGapBlockedMs &&
           s.blocked_write_ms.value_or(0) < kGapBlockedMs && s.waits.empty() && s.locks.empty();
  });
  std::stable_sort(steps.begin(), steps.end(), [](const StatementResult& a, const StatementResult& b) {
    return a.start_ms < b.start_ms;
  });
}

// The rollback drill: --exec-rollback, then the schema compared with
// `before`, the migrators' history tables left out.
Result<DrillResult> DrillRollback(ExecRunner& runner, Connection& conn, const std::string& rollback,
                                  const SchemaModel& before, CommandRun& run) {
  DrillResult d;
  d.migration = "exec";
  d.ran = true;
  auto r = runner.Run(rollback, true);
  if (!r.ok()) return r.status();
  run = std::move(*r);
  d.rollback_ms = run.evidence.duration_ms;
  if (run.evidence.exit_code != 0 || run.evidence.signal != 0) {
    d.differences.push_back("the rollback command " + Outcome(run.evidence));
    return d;
  }
  auto after = conn.ReadSchema();
  if (!after.ok()) return after.status().WithContext("reading the copy's schema after --exec-rollback");
  std::vector<std::string> ignore;
  for (const char* const* t = kMigratorTables; *t != nullptr; ++t) {
    ignore.emplace_back(*t);
    ignore.push_back(std::string("*.") + *t);
  }
  CUTOVER_RETURN_IF_ERROR(CompareWithBefore(before, *after, ignore, d));
  return d;
}

}  // namespace

Result<RehearsalReport> RunExecRehearsal(Driver& driver, const ConnectionUri& copy, const ExecSpec& spec,
                                         const RehearsalOptions& options) {
  RehearsalReport report;
  ExecReport exec;
  auto conn = driver.Connect(copy);
  if (!conn.ok()) return conn.status().WithContext("connecting to the rehearsal copy");
  auto before = (*conn)->ReadSchema();
  if (!before.ok()) return before.status().WithContext("reading the copy's schema");
  const std::vector<TableId> tables = UserTables(*before);
  auto copy_rows = CopyRowCounts(**conn, report);
  const std::vector<TableId> probed = LargestTables(tables, *copy_rows, kMaxExecProbedTables, report);
  auto ids_before = StorageIdentities(**conn, tables);
  auto in = StartInstruments(driver, copy, **conn, probed, options, "", report);
  if (!in.ok()) return in.status();
  Instruments& instruments = **in;
  exec.sample_interval_ms = static_cast<double>(options.lock_interval.count());
  ExecRunner runner(driver, copy, **conn, instruments, probed, options, report, exec);
  std::vector<StatementResult> steps;
  report.phases_run.push_back("expand");
  Status ran = [&]() -> Status {
    auto forward = runner.Run(spec.command, false);
    if (!forward.ok()) return forward.status();
    exec.forward = forward->evidence;
    for (StatementResult& s : forward->steps) steps.push_back(std::move(s));
    if (exec.forward.exit_code != 0 || exec.forward.signal != 0) {
      report.findings.push_back("the --exec command " + Outcome(exec.forward) + ": " +
                                LastLine(exec.forward.output_tail));
      return Status::Ok();
    }
    exec.rewritten = RewrittenBetween(ids_before, StorageIdentities(**conn, tables));
    if (!spec.rollback) {
      report.drills.push_back(DrillResult{"exec", false, "no --exec-rollback command", false, 0, {}});
      return Status::Ok();
    }
    CommandRun back;
    auto drill = DrillRollback(runner, **conn, *spec.rollback, *before, back);
    if (!drill.ok()) return drill.status();
    exec.rollback = back.evidence;
    for (StatementResult& s : back.steps) steps.push_back(std::move(s));
    if (!drill->ok) {
      report.findings.push_back("--exec-rollback does not restore the schema before --exec (" +
                                std::to_string(drill->differences.size()) + " difference(s))");
    }
    report.drills.push_back(std::move(*drill));
    return Status::Ok();
  }();
  report.timeline.elapsed_ms = MsSince(instruments.origin, Clock::now());
  instruments.Stop();
  if (!ran.ok()) return InterruptGuard::Requested() ? InterruptedStatus() : ran;
  StatementMeter meter(driver, **conn, tables, instruments.probing() ? instruments.probes.get() : nullptr,
                       instruments.Observers());
  meter.SetOrigin(instruments.origin);
  meter.results() = std::move(steps);
  meter.Finish(report.baseline_window, instruments.probes->SessionLabels());
  report.statements = std::move(meter.results());
  DropQuietGaps(report.statements);
  std::map<std::string, int> seq;  // "exec:3": the third step of the command
  for (StatementResult& r : report.statements) r.line = ++seq[r.file];
  report.exec = std::move(exec);
  FinishReport(instruments, options, *copy_rows, report);
  return report;
}

Result<std::string> ExecSha256(const ExecSpec& spec, std::vector<std::string>* files) {
  namespace fs = std::filesystem;
  std::vector<std::string> all;
  for (const std::string& p : spec.hash_paths) {
    std::error_code ec;
    const fs::file_status st = fs::status(p, ec);
    if (ec || !fs::exists(st))
      return Status::InvalidInput("--exec-hash-of " + p + ": no such file or directory");
    if (!fs::is_directory(st)) {
      all.push_back(p);
      continue;
    }
    std::vector<std::string> found;
    for (fs::recursive_directory_iterator it(p, ec), stop; !ec && it != stop; it.increment(ec)) {
      // What an interpreter or a VCS writes beside the sources is no part of them.
      const std::string name = it->path().filename().string();
      if (it->is_directory() && (name == "__pycache__" || name == ".git")) {
        it.disable_recursion_pending();
        continue;
      }
      if (it->is_regular_file()) found.push_back(it->path().string());
    }
    if (ec) return Status::InvalidInput("--exec-hash-of " + p + ": cannot list it: " + ec.message());
    std::sort(found.begin(), found.end());
    all.insert(all.end(), found.begin(), found.end());
  }
  Sha256 h;
  h.Update("cutover exec\n");
  h.Update(spec.command);
  h.Update(std::string_view("\0", 1));
  h.Update(spec.rollback ? "rollback:" + *spec.rollback : std::string("no rollback"));
  h.Update(std::string_view("\0", 1));
  for (const std::string& f : all) {
    std::ifstream in(f, std::ios::binary);
    if (!in) return Status::InvalidInput("--exec-hash-of " + f + ": cannot read it");
    Sha256 content;
    std::string buf(64 * 1024, '\0');
    while (in.read(buf.data(), static_cast<std::streamsize>(buf.size())) || in.gcount() > 0)
      content.Update(std::string_view(buf.data(), static_cast<std::size_t>(in.gcount())));
    if (in.bad()) return Status::InvalidInput("--exec-hash-of " + f + ": cannot read it");
    h.Update(f);
    h.Update(std::string_view("\0", 1));
    h.Update(content.HexDigest());
    h.Update(std::string_view("\n", 1));
  }
  if (files != nullptr) *files = all;
  return h.HexDigest();
}

}  // namespace cutover::rehearse
