#include "migrate/apply.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <nlohmann/json.hpp>
#include <random>
#include <thread>

#include "base/kill_point.h"
#include "base/progress.h"
#include "base/sha256.h"
#include "base/strings.h"
#include "base/uri.h"
#include "migrate/foreign_history.h"
#include "migrate/status.h"

namespace cutover::migrate {
namespace {

using std::chrono::milliseconds;
using Clock = std::chrono::steady_clock;

std::int64_t MsSince(Clock::time_point start) {
  return std::chrono::duration_cast<milliseconds>(Clock::now() - start).count();
}

std::string First200(std::string_view text) {
  std::string s(Trim(text));
  if (s.size() <= 200) return s;
  size_t n = 200;
  while (n > 0 && (static_cast<unsigned char>(s[n]) & 0xC0) == 0x80) --n;  // keep UTF-8 whole
  return s.substr(0, n) + "...";
}

std::string OneLine(std::string_view text) {
  std::string s = First200(text);
  std::replace(s.begin(), s.end(), '\n', ' ');
  return s;
}

// kCancelled: "interrupted by SIGINT; <kept>; run the same apply again to resume".
// `kept` says what this run left applied and recorded in the history.
Status Interrupted(const std::string& kept) {
  return InterruptedStatus(kept, "run the same apply again to resume");
}

// What is kept of a backfill: each batch commits with its history row.
std::string BatchesKept(const plan::PlanFile& f, const HistoryRow& row) {
  return f.display_path + ": " + std::to_string(row.batches) + " batch(es), " + std::to_string(row.rows) +
         " row(s) in total, committed and recorded in the history";
}

// What is kept of a file run statement by statement: each is recorded as it commits.
std::string StatementsKept(const plan::PlanFile& f, std::int64_t done) {
  if (done == 0) return f.display_path + ": no statement of it ran";
  return f.display_path + ": " + std::to_string(done) + " of " + std::to_string(f.statements.size()) +
         " statement(s) applied and recorded in the history (up to line " +
         std::to_string(f.statements[static_cast<size_t>(done - 1)].line) + ")";
}

// One file to run (or record) for one migration.
struct Step {
  const plan::Migration* migration = nullptr;
  const plan::PlanFile* file = nullptr;
  std::string phase;  // history phase name
};

class Runner {
 public:
  Runner(Connection& conn, const plan::Plan& plan, const ApplyOptions& options, ApplyReport& report)
      : conn_(conn), plan_(plan), opt_(options), report_(report), rng_(std::random_device{}()) {}

  Status Run();

 private:
  void Note(const std::string& s) {
    if (opt_.note) opt_.note(s);
  }
  // Reads whether the history table exists and its rows, then plans.
  Result<std::vector<Step>> ReadHistoryAndPlan();
  Result<std::vector<Step>> PlanSteps();
  Status RunStep(const Step& step);
  Status RunFile(const Step& step, StepOutcome& out);
  Result<std::int64_t> ResumePoint(const Step& step, StepOutcome& out);
  Status RunFileInTransaction(const Step& step, std::int64_t from, StepOutcome& out);
  Status RunFileByStatement(const Step& step, std::int64_t from, StepOutcome& out);
  Status MarkRolledBack(const Step& step, std::vector<HistoryRow>& rolled);
  // Every migration statement runs through these, which call the observer.
  Result<std::int64_t> Execute(const Step& step, const plan::Statement& s, std::string_view sql,
                               const ExecOptions& o, int attempt, bool batch);
  Result<std::int64_t> ExecuteStatement(const Step& step, const plan::Statement& s, int attempt);
  Status RunBackfill(const Step& step, StepOutcome& out);
  std::optional<std::int64_t> RemainingRows(const plan::PlanFile& f);
  Status RunChecks(const plan::Migration& m, StepOutcome& out);
  Status Baseline(const std::vector<Step>& steps);
  std::string DryRun(const std::vector<Step>& steps);

  ExecOptions OptionsFor(const plan::PlanFile& f, const plan::Statement& s);
  bool Transactional(const plan::PlanFile& f) const {
    return conn_.TransactionalDdl() && !f.settings.no_transaction;
  }
  Status BeginTx(const ExecOptions& o);
  void RollbackQuietly() { (void)conn_.Rollback(); }
  // Sleeps before retry `attempt` (1-based); false when interrupted meanwhile.
  bool Backoff(int attempt, const std::string& what, const Status& why);
  bool Sleep(milliseconds d);

  const HistoryRow* Row(const std::string& m, const std::string& phase) const {
    auto it = history_.find({m, phase});
    return it == history_.end() ? nullptr : &it->second;
  }
  bool Succeeded(const std::string& m, const std::string& phase) const {
    const HistoryRow* r = Row(m, phase);
    return r != nullptr && r->state == RunState::kSucceeded;
  }
  HistoryRow NewRow(const Step& step) const {
    HistoryRow row;
    if (const HistoryRow* old = Row(step.migration->name, step.phase)) row = *old;
    row.migration = step.migration->name;
    row.phase = step.phase;
    row.checksum = step.file->checksum;
    row.applied_by = opt_.applied_by;
    row.tool_version = opt_.tool_version;
    row.statements_total = static_cast<std::int64_t>(step.file->statements.size());
    row.started_at = NowUtc();
    row.finished_at.clear();
    row.failed_line = 0;
    row.failed_statement.clear();
    row.error.clear();
    row.note.clear();
    row.source.clear();  // cutover's own row from now on, over another tool's
    row.attempts += 1;
    return row;
  }
  Status Save(const HistoryRow& row) {
    const HistoryRow* old = Row(row.migration, row.phase);
    return SaveRow(conn_, row, old != nullptr && old->source.empty());
  }
  void Remember(const HistoryRow& row) { history_[{row.migration, row.phase}] = row; }
  // "<what of the current file>; the N earlier file(s) of this run are applied and recorded".
  std::string Kept(const std::string& current) const {
    const size_t earlier = report_.steps.size();
    std::string kept = current;
    if (!kept.empty()) kept += "; ";
    return kept + (earlier == 0 ? (current.empty() ? "nothing was applied by this run"
                                                   : "nothing else was applied by this run")
                                : "the " + std::to_string(earlier) +
                                      " earlier file(s) of this run are applied and recorded in the history");
  }
  // Records a failure in autocommit; returns the failure for the caller.
  Status RecordFailure(HistoryRow row, const plan::PlanFile& f, const plan::Statement* s, const Status& error,
                       std::int64_t done, Clock::time_point start);

  Connection& conn_;
  const plan::Plan& plan_;
  const ApplyOptions& opt_;
  ApplyReport& report_;
  History history_;
  bool table_exists_ = false;
  std::mt19937_64 rng_;
};

ExecOptions Runner::OptionsFor(const plan::PlanFile& f, const plan::Statement& s) {
  ExecOptions o;
  o.lock_timeout = opt_.forced_lock_timeout.value_or(s.lock_timeout().value_or(
      f.settings.lock_timeout.value_or(opt_.lock_timeout.value_or(kDefaultLockTimeout))));
  o.statement_timeout = s.statement_timeout().value_or(
      f.settings.statement_timeout.value_or(opt_.statement_timeout.value_or(milliseconds{0})));
  // A default for every statement: where the engine cannot limit a kind of
  // statement (MySQL limits only SELECT), that statement runs without it.
  o.statement_timeout_if_supported = true;
  return o;
}

Status Runner::BeginTx(const ExecOptions& o) {
  return conn_.BeginWrite(o.lock_timeout);
}

bool Runner::Sleep(milliseconds d) {
  const auto end = Clock::now() + d;
  while (Clock::now() < end) {
    if (InterruptGuard::Requested()) return false;
    std::this_thread::sleep_for(std::min<Clock::duration>(milliseconds(50), end - Clock::now()));
  }
  return !InterruptGuard::Requested();
}

bool Runner::Backoff(int attempt, const std::string& what, const Status& why) {
  const double base = static_cast<double>(opt_.backoff.count()) * std::pow(2.0, attempt - 1);
  const auto capped = static_cast<std::int64_t>(std::min(base, 10000.0));
  std::uniform_int_distribution<std::int64_t> jitter(0, std::max<std::int64_t>(1, capped / 2));
  const milliseconds delay(capped + jitter(rng_));
  Note("retry " + std::to_string(attempt) + "/" + std::to_string(opt_.retries) + " of " + what + " in " +
       std::to_string(delay.count()) + " ms: " + ScrubSecrets(why.message()));
  return Sleep(delay);
}

Status Runner::RecordFailure(HistoryRow row, const plan::PlanFile& f, const plan::Statement* s,
                             const Status& error, std::int64_t done, Clock::time_point start) {
  row.state = RunState::kFailed;
  row.statements_done = done;
  row.done_checksum = StatementsChecksum(f, done);
  row.failed_line = s != nullptr ? s->line : 0;
  row.failed_statement = s != nullptr ? First200(s->text) : "";
  row.error = ScrubSecrets(error.message());
  row.finished_at = NowUtc();
  row.duration_ms = MsSince(start);
  std::string where = f.display_path + (s != nullptr ? ":" + std::to_string(s->line) : "");
  std::string ran = done == 0 ? "no statement of the file is applied"
                              : std::to_string(done) +
                                    " earlier statement(s) of the file are applied (up to line " +
                                    std::to_string(f.statements[static_cast<size_t>(done - 1)].line) + ")";
  std::string msg = where + ": " + (s != nullptr ? "statement \"" + OneLine(s->text) + "\" failed: " : "") +
                    ScrubSecrets(error.message()) + "; " + ran;
  if (error.code() == StatusCode::kConnection) {
    return Status::Connection(msg +
                              "; the history could not be updated (connection lost): run `cutover status` "
                              "after reconnecting")
        .WithSqlstate(error.sqlstate());
  }
  // A statement the database refused is the migration's failure (exit 1); a
  // file system failure under it (a full disk) is the environment's (exit 3).
  auto failure = [&](std::string text) {
    if (error.code() == StatusCode::kIo) return error.WithMessage(std::move(text));
    return Status::CheckFailed(std::move(text)).WithSqlstate(error.sqlstate());
  };
  if (Status saved = Save(row); !saved.ok()) {
    if (saved.code() == StatusCode::kConnection) {
      return Status::Connection(msg + "; recording the failure also failed: " + saved.message())
          .WithSqlstate(error.sqlstate());
    }
    // The statement's failure is what matters; the history keeps its last state.
    return failure(msg + "; recording the failure in the history also failed (" + saved.message() +
                   "): check `cutover status` before running apply again");
  }
  Remember(row);
  return failure(msg + (done > 0 ? "; fix the cause and run apply again to resume at line " +
                                       std::to_string(s != nullptr ? s->line : 0) +
                                       ", or roll back (docs/migrations.md)"
                                 : "; fix the cause and run apply again"));
}

Result<std::vector<Step>> Runner::ReadHistoryAndPlan() {
  auto exists = HistoryTableExists(conn_);
  if (!exists.ok()) return exists.status();
  table_exists_ = *exists;
  auto history = ReadHistoryOf(conn_, plan_);
  if (!history.ok()) return history.status();
  history_ = std::move(*history);
  return PlanSteps();
}

Result<std::vector<Step>> Runner::PlanSteps() {
  const auto& ms = plan_.migrations;
  size_t last = ms.size();  // exclusive end of the --to range (forward phases)
  size_t to_index = 0;
  if (opt_.to) {
    const plan::Migration* target = plan_.Find(*opt_.to);
    if (target == nullptr) {
      return Status::InvalidInput("--to " + *opt_.to + ": no such migration in the plan " + plan_.root +
                                  " (give a folder name such as " +
                                  (ms.empty() ? "0001_x" : ms.front().name) + ")");
    }
    to_index = static_cast<size_t>(target - ms.data());
    last = to_index + 1;
  }
  // Refuse edited and missing files: the database would no longer match the plan.
  StatusReport status = ComputeStatus(plan_, history_, table_exists_);
  std::vector<std::string> refused;
  for (const auto& e : status.entries) {
    if (e.state == PhaseState::kEdited || e.state == PhaseState::kMissing)
      refused.push_back(e.migration + "/" + e.phase + ": " + e.detail);
  }
  std::vector<Step> steps;
  auto add = [&](const plan::Migration& m, plan::Phase p) {
    steps.push_back(Step{&m, m.file(p), std::string(plan::PhaseName(p))});
  };
  if (opt_.baseline) {
    for (size_t i = 0; i < last; ++i) {
      for (plan::Phase p : {plan::Phase::kExpand, plan::Phase::kBackfill, plan::Phase::kContract}) {
        if (ms[i].file(p) != nullptr && Row(ms[i].name, std::string(plan::PhaseName(p))) == nullptr)
          add(ms[i], p);
      }
    }
  } else if (opt_.phase == plan::Phase::kRollback) {
    // Applied (or partly applied) migrations, newest first.
    std::vector<size_t> applied;
    for (size_t i = 0; i < ms.size(); ++i) {
      const HistoryRow* ex = Row(ms[i].name, "expand");
      if (ex == nullptr) continue;
      if (ex->state == RunState::kSucceeded ||
          ((ex->state == RunState::kFailed || ex->state == RunState::kRunning) && ex->statements_done > 0)) {
        applied.push_back(i);
      }
    }
    std::reverse(applied.begin(), applied.end());
    for (size_t i : applied) {
      if (opt_.to && i < to_index) break;
      const plan::Migration& m = ms[i];
      const HistoryRow* contract = Row(m.name, "contract");
      if (contract != nullptr && contract->state != RunState::kRolledBack &&
          (contract->state == RunState::kSucceeded || contract->statements_done > 0)) {
        refused.push_back(m.name +
                          ": its contract phase already ran, so expand can no longer be rolled back "
                          "(contract destroyed what the old version needs); write a new migration instead");
      } else if (m.file(plan::Phase::kRollback) == nullptr) {
        refused.push_back(m.name + ": " +
                          (m.irreversible ? "marked irreversible (" + m.irreversible->reason + ")"
                                          : std::string("has no rollback.sql")) +
                          ", so it cannot be rolled back; write a new migration that reverses it");
      } else {
        add(m, plan::Phase::kRollback);
      }
      if (!opt_.to) break;  // without --to: only the last applied migration
    }
  } else {
    const std::string phase(plan::PhaseName(opt_.phase));
    for (size_t i = 0; i < last; ++i) {
      const plan::Migration& m = ms[i];
      if (m.file(opt_.phase) == nullptr || Succeeded(m.name, phase)) continue;
      if (opt_.phase != plan::Phase::kExpand && !Succeeded(m.name, "expand")) {
        refused.push_back(m.name + ": " + phase +
                          " needs its expand phase applied first (apply --phase expand" +
                          (opt_.to ? "" : ", or stop earlier with --to") + ")");
        continue;
      }
      if (opt_.phase == plan::Phase::kContract && m.file(plan::Phase::kBackfill) != nullptr &&
          !Succeeded(m.name, "backfill")) {
        refused.push_back(m.name +
                          ": contract needs its backfill to complete first (apply --phase backfill)");
        continue;
      }
      add(m, opt_.phase);
    }
  }
  if (!refused.empty()) {
    return Status::CheckFailed("apply refused, nothing was changed:\n  " + Join(refused, "\n  "));
  }
  return steps;
}

std::string Runner::DryRun(const std::vector<Step>& steps) {
  std::string out = "Dry run on " + conn_.display_uri() + ": nothing is changed.\n";
  if (!table_exists_) out += "The history table " + std::string(kHistoryTable) + " would be created.\n";
  if (steps.empty()) out += "Nothing to do for --phase " + std::string(plan::PhaseName(opt_.phase)) + ".\n";
  for (const Step& step : steps) {
    const plan::PlanFile& f = *step.file;
    const HistoryRow* row = Row(step.migration->name, step.phase);
    if (opt_.baseline) {
      out += "would record " + f.display_path + " as applied (baseline), checksum " +
             f.checksum.substr(0, 12) + "\n";
      continue;
    }
    const bool tx = Transactional(f) && step.phase != "backfill";
    out += "== " + step.migration->name + " " + step.phase + ": " + f.display_path + " (" +
           (step.phase == "backfill" ? std::string("each batch in its own transaction")
            : tx                     ? std::string("one transaction")
                                     : std::string("statement by statement, no transaction")) +
           ")\n";
    std::int64_t from = 0;
    if (row != nullptr && (row->state == RunState::kFailed || row->state == RunState::kRunning) &&
        step.phase != "backfill") {
      from = row->statements_done;
      if (from > 0) out += "   resumes after " + std::to_string(from) + " statement(s) that already ran\n";
    }
    if (step.phase == "backfill") {
      out += "   batch size " + std::to_string(opt_.batch_size.value_or(f.batch_size())) + ", pause " +
             plan::FormatDuration(opt_.pause.value_or(f.settings.pause.value_or(milliseconds{0}))) +
             ", repeated until a batch changes no rows" +
             (row != nullptr ? " (" + std::to_string(row->rows) + " row(s) done so far)" : std::string()) +
             "\n";
    }
    for (size_t i = static_cast<size_t>(from); i < f.statements.size(); ++i) {
      const plan::Statement& s = f.statements[i];
      ExecOptions o = OptionsFor(f, s);
      std::string text =
          step.phase == "backfill" && opt_.batch_size
              ? ReplaceAll(s.text, plan::kBatchSizePlaceholder, std::to_string(*opt_.batch_size))
              : f.ExecutableText(s);
      out += "   " + f.display_path + ":" + std::to_string(s.line) + " [lock timeout " +
             plan::FormatDuration(o.lock_timeout) +
             (o.statement_timeout.count() > 0
                  ? ", statement timeout " + plan::FormatDuration(o.statement_timeout)
                  : "") +
             "]\n";
      for (std::string_view line : Split(text, '\n')) out += "      " + std::string(line) + "\n";
    }
    if (const plan::PlanFile* checks = step.migration->file(plan::Phase::kChecks);
        checks != nullptr && step.phase != "rollback") {
      out += "   then " + checks->display_path + " (" + std::to_string(checks->statements.size()) +
             " query(ies) that must return no rows)\n";
    }
    StepOutcome o;
    o.migration = step.migration->name;
    o.phase = step.phase;
    o.file = f.display_path;
    o.outcome = "would run";
    o.transactional = tx;
    o.resumed_at = from;
    report_.steps.push_back(o);
  }
  return out;
}

Status Runner::Baseline(const std::vector<Step>& steps) {
  // Only history rows are written: plain DML, transactional on every engine.
  const bool tx = true;
  CUTOVER_RETURN_IF_ERROR(BeginTx(ExecOptions{}));
  std::vector<HistoryRow> rows;
  for (const Step& step : steps) {
    HistoryRow row = NewRow(step);
    row.state = RunState::kSucceeded;
    row.statements_done = row.statements_total;
    row.done_checksum = StatementsChecksum(*step.file, row.statements_done);
    row.finished_at = row.started_at;
    row.note = "baseline: recorded as applied without running";
    if (Status st = Save(row); !st.ok()) {
      if (tx) RollbackQuietly();
      return st;
    }
    rows.push_back(row);
  }
  if (tx) CUTOVER_RETURN_IF_ERROR(conn_.Commit());
  for (size_t i = 0; i < steps.size(); ++i) {
    Remember(rows[i]);
    StepOutcome o;
    o.migration = steps[i].migration->name;
    o.phase = steps[i].phase;
    o.file = steps[i].file->display_path;
    o.outcome = "baseline";
    o.statements = 0;
    report_.steps.push_back(o);
  }
  return Status::Ok();
}

// Where an earlier, stopped run of this file left off (0: from the start).
Result<std::int64_t> Runner::ResumePoint(const Step& step, StepOutcome& out) {
  const plan::PlanFile& f = *step.file;
  const HistoryRow* old = Row(step.migration->name, step.phase);
  if (old == nullptr || (old->state != RunState::kFailed && old->state != RunState::kRunning) ||
      old->statements_done <= 0) {
    return std::int64_t{0};
  }
  const std::int64_t from = old->statements_done;
  if (from > static_cast<std::int64_t>(f.statements.size()) ||
      (old->checksum != f.checksum && StatementsChecksum(f, from) != old->done_checksum)) {
    return Status::CheckFailed(
        f.display_path + ": an earlier run applied its first " + std::to_string(from) +
        " statement(s) and stopped, and those statements were changed on disk since, so cutover cannot "
        "tell "
        "where to resume. Restore the file as it was (checksum " +
        old->checksum.substr(0, 12) +
        "), or repair the database by hand and record the outcome (docs/migrations.md, recovery)");
  }
  Note(f.display_path + ": resuming at statement " + std::to_string(from + 1) + " of " +
       std::to_string(f.statements.size()) + " (the first " + std::to_string(from) +
       " ran in an earlier run" +
       (old->checksum != f.checksum ? "; the file changed after them, which is allowed" : "") + ")");
  out.outcome = "resumed";
  out.resumed_at = from;
  return from;
}

// Rollback only: marks the migration's expand and backfill rolled back, in
// the current transaction if any; `rolled` receives the rows to remember
// once that commits.
Status Runner::MarkRolledBack(const Step& step, std::vector<HistoryRow>& rolled) {
  rolled.clear();
  if (step.phase != "rollback") return Status::Ok();
  for (const char* p : {"expand", "backfill"}) {
    const HistoryRow* r = Row(step.migration->name, p);
    if (r == nullptr || r->state == RunState::kRolledBack) continue;
    HistoryRow copy = *r;
    copy.state = RunState::kRolledBack;
    copy.note = "rolled back " + NowUtc();
    copy.source.clear();
    CUTOVER_RETURN_IF_ERROR(SaveRow(conn_, copy, r->source.empty()));
    rolled.push_back(copy);
  }
  return Status::Ok();
}

Result<std::int64_t> Runner::Execute(const Step& step, const plan::Statement& s, std::string_view sql,
                                     const ExecOptions& o, int attempt, bool batch) {
  StatementObserver::Event event{step.migration, step.file,     &s, step.phase, sql, attempt,
                                 batch,          o.lock_timeout};
  if (opt_.observer != nullptr) opt_.observer->Before(event);
  auto r = conn_.Execute(sql, o);
  if (opt_.observer != nullptr) opt_.observer->After(event, r.status(), r.ok() ? *r : 0);
  return r;
}

Result<std::int64_t> Runner::ExecuteStatement(const Step& step, const plan::Statement& s, int attempt) {
  return Execute(step, s, step.file->ExecutableText(s), OptionsFor(*step.file, s), attempt, false);
}

Status Runner::RunFile(const Step& step, StepOutcome& out) {
  auto from = ResumePoint(step, out);
  if (!from.ok()) return from.status();
  out.transactional = Transactional(*step.file);
  if (out.transactional) return RunFileInTransaction(step, *from, out);
  return RunFileByStatement(step, *from, out);
}

// The whole file and its history row in one transaction, retried as a whole
// after a lock timeout.
Status Runner::RunFileInTransaction(const Step& step, std::int64_t from, StepOutcome& out) {
  const plan::PlanFile& f = *step.file;
  const auto start = Clock::now();
  std::vector<HistoryRow> rolled;
  for (int attempt = 0;; ++attempt) {
    if (InterruptGuard::Requested()) {
      return Interrupted(Kept(f.display_path + ": nothing of it is applied (one transaction, not started" +
                              (attempt > 0 ? " again after a rollback)" : ")")));
    }
    HistoryRow row = NewRow(step);
    const plan::Statement* failed = nullptr;
    const ExecOptions first = f.statements.empty() ? ExecOptions{} : OptionsFor(f, f.statements.front());
    Status error = BeginTx(first);
    std::int64_t done = from;
    if (!error.ok() && static_cast<size_t>(from) < f.statements.size()) {
      failed = &f.statements[static_cast<size_t>(from)];  // it could not start: name where the file starts
    }
    for (size_t i = static_cast<size_t>(from); error.ok() && i < f.statements.size(); ++i) {
      auto r = ExecuteStatement(step, f.statements[i], attempt);
      if (!r.ok()) {
        failed = &f.statements[i];
        error = r.status();
        break;
      }
      CUTOVER_KILL_POINT("apply.statement-run");  // transactional: nothing committed yet
      ++done;
    }
    if (error.ok()) {
      row.state = RunState::kSucceeded;
      row.statements_done = done;
      row.done_checksum = StatementsChecksum(f, done);
      row.finished_at = NowUtc();
      row.duration_ms = MsSince(start);
      error = Save(row);
      if (error.ok()) error = MarkRolledBack(step, rolled);
      if (error.ok()) CUTOVER_KILL_POINT("apply.before-commit");
      if (error.ok()) error = conn_.Commit();
      if (error.ok()) {
        CUTOVER_KILL_POINT("apply.file-recorded");
        Remember(row);
        for (const auto& r : rolled) Remember(r);
        out.statements = done - from;
        out.duration_ms = row.duration_ms;
        out.retries = attempt;
        if (out.outcome.empty()) out.outcome = step.phase == "rollback" ? "rolled back" : "applied";
        return Status::Ok();
      }
    }
    RollbackQuietly();
    if (error.code() == StatusCode::kLockTimeout && attempt < opt_.retries) {
      if (!Backoff(attempt + 1,
                   f.display_path + " (the transaction was rolled back; the whole file runs again)", error)) {
        return Interrupted(
            Kept(f.display_path + ": nothing of it is applied (its transaction was rolled back)"));
      }
      continue;
    }
    out.retries = attempt;
    out.outcome = "failed";
    out.error = error.message();
    // The transaction rolled back: nothing of this run is applied.
    return RecordFailure(NewRow(step), f, failed, error, from, start);
  }
}

// Statement by statement in autocommit, progress recorded after each, each
// statement retried after a lock timeout.
Status Runner::RunFileByStatement(const Step& step, std::int64_t from, StepOutcome& out) {
  const plan::PlanFile& f = *step.file;
  const auto start = Clock::now();
  HistoryRow row = NewRow(step);
  row.state = RunState::kRunning;
  row.statements_done = from;
  row.done_checksum = StatementsChecksum(f, from);
  CUTOVER_RETURN_IF_ERROR(Save(row));
  Remember(row);
  std::int64_t done = from;
  for (size_t i = static_cast<size_t>(from); i < f.statements.size(); ++i) {
    if (InterruptGuard::Requested()) return Interrupted(Kept(StatementsKept(f, done)));
    const plan::Statement& s = f.statements[i];
    Status error;
    for (int attempt = 0;; ++attempt) {
      error = ExecuteStatement(step, s, attempt).status();
      if (error.code() != StatusCode::kLockTimeout || attempt >= opt_.retries) break;
      ++out.retries;
      if (!Backoff(attempt + 1, f.display_path + ":" + std::to_string(s.line), error)) {
        return Interrupted(Kept(StatementsKept(f, done)));
      }
    }
    if (!error.ok()) {
      out.outcome = "failed";
      out.error = error.message();
      out.statements = done - from;
      return RecordFailure(row, f, &s, error, done, start);
    }
    // Autocommit: the statement is applied, its progress not yet recorded.
    CUTOVER_KILL_POINT("apply.statement-run");
    ++done;
    row.statements_done = done;
    row.done_checksum = StatementsChecksum(f, done);
    CUTOVER_RETURN_IF_ERROR(Save(row));
  }
  row.state = RunState::kSucceeded;
  row.finished_at = NowUtc();
  row.duration_ms = MsSince(start);
  CUTOVER_RETURN_IF_ERROR(Save(row));
  CUTOVER_KILL_POINT("apply.file-recorded");
  Remember(row);
  std::vector<HistoryRow> rolled;
  CUTOVER_RETURN_IF_ERROR(MarkRolledBack(step, rolled));
  for (const auto& r : rolled) Remember(r);
  out.statements = done - from;
  out.duration_ms = row.duration_ms;
  if (out.outcome.empty()) out.outcome = step.phase == "rollback" ? "rolled back" : "applied";
  return Status::Ok();
}

// The `remaining` directive's count, for the ETA. A query that fails or
// returns no number only costs the ETA: the backfill itself does not need it.
std::optional<std::int64_t> Runner::RemainingRows(const plan::PlanFile& f) {
  if (!f.settings.remaining_query) return std::nullopt;
  std::optional<std::int64_t> count;
  Status st = conn_.Query(*f.settings.remaining_query, [&](RowView row) {
    std::int64_t n = 0;
    if (!count && !row.empty() && !row[0].is_null()) {
      const std::string_view v = row[0].data;
      if (std::from_chars(v.data(), v.data() + v.size(), n).ec == std::errc()) count = n;
    }
    return Status::Ok();
  });
  if (!st.ok() || !count) {
    Note(f.display_path + ": cutover:remaining gave no row count (" +
         (st.ok() ? std::string("no integer in its first column") : st.message()) + "); no ETA");
    return std::nullopt;
  }
  Note(f.display_path + ": " + std::to_string(*count) + " row(s) to backfill");
  return count;
}

Status Runner::RunBackfill(const Step& step, StepOutcome& out) {
  const plan::PlanFile& f = *step.file;
  if (f.statements.size() != 1) {
    return Status::InvalidInput(f.display_path + ": a backfill must be exactly one batch statement, found " +
                                std::to_string(f.statements.size()) + " (docs/plan-format.md, backfill.sql)");
  }
  const plan::Statement& s = f.statements.front();
  const std::int64_t batch_size = opt_.batch_size.value_or(f.batch_size());
  const std::string sql = ReplaceAll(s.text, plan::kBatchSizePlaceholder, std::to_string(batch_size));
  const milliseconds pause = opt_.pause.value_or(f.settings.pause.value_or(milliseconds{0}));
  const ExecOptions eo = OptionsFor(f, s);
  out.transactional = true;
  const auto start = Clock::now();

  HistoryRow row = NewRow(step);
  const HistoryRow* old = Row(step.migration->name, step.phase);
  const bool continuing =
      old != nullptr && old->state != RunState::kRolledBack && old->state != RunState::kSucceeded;
  if (!continuing) {
    row.batches = 0;
    row.rows = 0;
  } else if (old->rows > 0) {
    Note(f.display_path + ": continuing an earlier run (" + std::to_string(old->batches) + " batch(es), " +
         std::to_string(old->rows) + " row(s) done)");
    out.outcome = "resumed";
  }
  row.state = RunState::kRunning;
  row.statements_done = 0;
  CUTOVER_RETURN_IF_ERROR(Save(row));
  Remember(row);
  const std::optional<std::int64_t> remaining_at_start = RemainingRows(f);
  std::int64_t rows_this_run = 0;
  auto last_note = Clock::now();
  while (true) {
    if (InterruptGuard::Requested()) {
      out.batches = row.batches;
      out.rows = row.rows;
      out.outcome = "interrupted";
      return Interrupted(Kept(BatchesKept(f, row)));
    }
    std::int64_t changed = 0;
    Status error;
    for (int attempt = 0;; ++attempt) {
      error = BeginTx(eo);
      if (error.ok()) {
        auto r = Execute(step, s, sql, eo, attempt, true);
        error = r.status();
        if (r.ok()) {
          changed = *r;
          HistoryRow next = row;
          if (changed > 0) {
            next.batches += 1;
            next.rows += changed;
            next.duration_ms = MsSince(start);
            error = Save(next);
          }
          if (error.ok()) CUTOVER_KILL_POINT("apply.batch-run");  // the batch and its count, uncommitted
          if (error.ok()) error = conn_.Commit();
          if (error.ok()) {
            CUTOVER_KILL_POINT("apply.batch-committed");
            row = next;
            Remember(row);
            break;
          }
        }
      }
      RollbackQuietly();
      if (error.code() == StatusCode::kLockTimeout && attempt < opt_.retries) {
        ++out.retries;
        if (!Backoff(attempt + 1, f.display_path + " batch " + std::to_string(row.batches + 1), error)) {
          out.batches = row.batches;
          out.rows = row.rows;
          return Interrupted(Kept(BatchesKept(f, row)));
        }
        continue;
      }
      break;
    }
    if (!error.ok()) {
      out.outcome = "failed";
      out.error = error.message();
      out.batches = row.batches;
      out.rows = row.rows;
      return RecordFailure(row, f, &s, error, 0, start);
    }
    rows_this_run += changed;
    const bool finished = changed == 0;
    if (finished || Clock::now() - last_note >= std::chrono::seconds(1)) {
      last_note = Clock::now();
      const double secs = std::max(0.001, static_cast<double>(MsSince(start)) / 1000.0);
      const double rate = static_cast<double>(rows_this_run) / secs;
      std::string eta;
      if (!finished && remaining_at_start && rate > 0) {
        const std::int64_t left = std::max<std::int64_t>(0, *remaining_at_start - rows_this_run);
        eta = ", about " + HumanCount(static_cast<double>(left)) + " left, ETA " +
              plan::FormatDuration(
                  milliseconds(static_cast<std::int64_t>(1000.0 * static_cast<double>(left) / rate)));
      }
      Note(f.display_path + ": " + std::to_string(row.batches) + " batch(es), " + std::to_string(row.rows) +
           " row(s)" + (finished ? " in total, done" : "") + ", " + HumanCount(rate) + " rows/s" + eta);
    }
    if (finished) break;
    if (pause.count() > 0 && !Sleep(pause)) {
      out.batches = row.batches;
      out.rows = row.rows;
      out.outcome = "interrupted";
      return Interrupted(Kept(BatchesKept(f, row)));
    }
  }
  row.state = RunState::kSucceeded;
  row.statements_done = 1;
  row.done_checksum = StatementsChecksum(f, 1);
  row.finished_at = NowUtc();
  row.duration_ms = MsSince(start);
  CUTOVER_RETURN_IF_ERROR(Save(row));
  Remember(row);
  out.batches = row.batches;
  out.rows = row.rows;
  out.duration_ms = row.duration_ms;
  out.statements = 1;
  if (out.outcome.empty()) out.outcome = "applied";
  return Status::Ok();
}

Status Runner::RunChecks(const plan::Migration& m, StepOutcome& out) {
  const plan::PlanFile* checks = m.file(plan::Phase::kChecks);
  if (checks == nullptr) return Status::Ok();
  for (const plan::Statement& s : checks->statements) {
    std::string first_row;
    bool found = false;
    ExecOptions o = OptionsFor(*checks, s);
    Status st = conn_.Query(
        checks->ExecutableText(s),
        [&](RowView row) {
          if (checks->settings.errors_only) return Status::Ok();  // a verify script: only errors fail it
          found = true;
          std::vector<std::string> cells;
          for (const Cell& c : row)
            cells.push_back(c.is_null() ? "NULL" : std::string(c.data).substr(0, 100));
          first_row = "(" + Join(cells, ", ") + ")";
          return Status::CheckFailed("stop");  // the first row is enough
        },
        o);
    if (found || !st.ok()) {
      out.check_file = checks->display_path;
      out.check_line = s.line;
    }
    if (found) {
      return Status::CheckFailed(checks->display_path + ":" + std::to_string(s.line) +
                                 ": acceptance check returned a row, so it failed: " + first_row +
                                 "; the phase itself is applied and recorded: fix the data or the migration");
    }
    if (!st.ok()) {
      return Status::CheckFailed(checks->display_path + ":" + std::to_string(s.line) +
                                 ": acceptance check could not run: " + st.message())
          .WithSqlstate(st.sqlstate());
    }
  }
  return Status::Ok();
}

Status Runner::RunStep(const Step& step) {
  StepOutcome out;
  out.migration = step.migration->name;
  out.phase = step.phase;
  out.file = step.file->display_path;
  Note("applying " + step.file->display_path);
  Status st = step.phase == "backfill" ? RunBackfill(step, out) : RunFile(step, out);
  if (!st.ok() && out.outcome.empty())
    out.outcome = st.code() == StatusCode::kCancelled ? "interrupted" : "failed";
  if (!st.ok() && out.error.empty()) out.error = st.message();
  if (!st.ok() && out.sqlstate.empty()) out.sqlstate = st.sqlstate();
  report_.steps.push_back(out);
  if (!st.ok()) return st;
  if (step.phase != "rollback") {
    StepOutcome& done = report_.steps.back();
    Status checked = RunChecks(*step.migration, done);
    if (!checked.ok()) done.check_error = checked.message();
    return checked;
  }
  return Status::Ok();
}

Status Runner::Run() {
  if (opt_.dry_run) {
    if (Status ro = conn_.SetReadOnly(); !ro.ok())
      return ro.WithContext("making the dry-run session read-only");
    auto steps = ReadHistoryAndPlan();
    if (!steps.ok()) return steps.status();
    report_.dry_run_text = DryRun(*steps);
    return Status::Ok();
  }

  const milliseconds wait = opt_.lock_timeout.value_or(kDefaultLockTimeout);
  Status locked = conn_.AcquireMigrationLock(wait);
  if (!locked.ok()) {
    if (locked.code() == StatusCode::kLockTimeout) {
      return Status::CheckFailed("apply refused, nothing was changed: " + locked.message())
          .WithSqlstate(locked.sqlstate());
    }
    return locked;
  }
  struct Unlock {
    Connection& c;
    ~Unlock() { (void)c.ReleaseMigrationLock(); }
  } unlock{conn_};

  auto steps = ReadHistoryAndPlan();
  if (!steps.ok()) return steps.status();
  CUTOVER_RETURN_IF_ERROR(EnsureHistoryTable(conn_));
  if (opt_.baseline) return Baseline(*steps);
  for (const Step& step : *steps) {
    if (InterruptGuard::Requested()) return Interrupted(Kept(""));
    CUTOVER_RETURN_IF_ERROR(RunStep(step));
  }
  return Status::Ok();
}

}  // namespace

std::string StatementsChecksum(const plan::PlanFile& file, std::int64_t count) {
  Sha256 h;
  const auto n = std::min<std::int64_t>(count, static_cast<std::int64_t>(file.statements.size()));
  for (std::int64_t i = 0; i < n; ++i) {
    h.Update(file.statements[static_cast<size_t>(i)].text);
    h.Update(std::string_view("\0", 1));
  }
  return h.HexDigest();
}

ApplyReport Apply(Connection& conn, const plan::Plan& plan, const ApplyOptions& options) {
  ApplyReport report;
  Runner runner(conn, plan, options, report);
  report.status = runner.Run();
  return report;
}

namespace {

std::string ErrorCodeLabel(const std::string& sqlstate) {
  // PostgreSQL's SQLSTATE has five characters; MySQL/MariaDB give the
  // server's error number and SQLite its (extended) result code.
  return (sqlstate.size() == 5 ? "SQLSTATE " : "error code ") + sqlstate;
}

}  // namespace

std::string ApplyText(const ApplyReport& report, const ApplyOptions& options) {
  if (options.dry_run) return report.dry_run_text;
  std::string out;
  for (const StepOutcome& s : report.steps) {
    out += s.file + ": " + s.outcome;
    if (s.outcome != "baseline") {
      if (s.phase == "backfill") {
        out +=
            " (" + std::to_string(s.batches) + " batch(es), " + std::to_string(s.rows) + " row(s) in total";
      } else {
        out += " (" + std::to_string(s.statements) + " statement(s)" +
               (s.resumed_at > 0 ? " after the " + std::to_string(s.resumed_at) + " of an earlier run" : "") +
               (s.transactional ? ", one transaction" : ", no transaction");
      }
      out +=
          ", " + std::to_string(s.duration_ms) + " ms" +
          (s.retries > 0 ? ", " + std::to_string(s.retries) + " retr" + (s.retries == 1 ? "y" : "ies") : "") +
          ")";
    }
    if (!s.sqlstate.empty()) out += " [" + ErrorCodeLabel(s.sqlstate) + "]";
    out += "\n";
  }
  if (report.steps.empty() && report.status.ok()) {
    out += options.baseline
               ? "Nothing to record: every migration up to the target is already in the history.\n"
               : "Nothing to apply for --phase " + std::string(plan::PhaseName(options.phase)) + ".\n";
  }
  return out;
}

std::string ApplyJson(const ApplyReport& report, const ApplyOptions& options) {
  nlohmann::ordered_json doc;
  doc["format"] = "cutover.apply";
  doc["version"] = 1;
  doc["phase"] = options.baseline ? "baseline" : std::string(plan::PhaseName(options.phase));
  doc["dry_run"] = options.dry_run;
  doc["ok"] = report.status.ok();
  doc["exit_code"] = ExitCodeFor(report.status);
  if (!report.status.ok()) doc["error"] = ScrubSecrets(report.status.message());
  if (!report.status.sqlstate().empty()) doc["sqlstate"] = report.status.sqlstate();
  auto steps = nlohmann::ordered_json::array();
  for (const StepOutcome& s : report.steps) {
    nlohmann::ordered_json j;
    j["migration"] = s.migration;
    j["phase"] = s.phase;
    j["file"] = s.file;
    j["outcome"] = s.outcome;
    j["transactional"] = s.transactional;
    j["statements"] = s.statements;
    j["resumed_at"] = s.resumed_at;
    j["duration_ms"] = s.duration_ms;
    j["retries"] = s.retries;
    if (s.phase == "backfill") {
      j["batches"] = s.batches;
      j["rows"] = s.rows;
    }
    if (!s.error.empty()) j["error"] = ScrubSecrets(s.error);
    if (!s.sqlstate.empty()) j["sqlstate"] = s.sqlstate;
    steps.push_back(std::move(j));
  }
  doc["steps"] = std::move(steps);
  if (options.dry_run) doc["plan_text"] = report.dry_run_text;
  return doc.dump(2, ' ', false, nlohmann::ordered_json::error_handler_t::replace) + "\n";
}

}  // namespace cutover::migrate
