// StatementMeter: the migrate::StatementObserver through which a rehearsal
// measures every statement `apply`'s executor runs on the copy.
//
// Before a statement it marks a new window in the probe workload and the
// lock observers and reads the storage identity of the tables the
// statement mentions; after it, it records the duration, the outcome and
// the identities again (rewrite = an identity changed, or a table dropped
// and created again within the file), then marks an "idle" window so the
// time between statements (history rows, checks) is not charged to the
// statement. Where the engine keeps a rewrite log (PostgreSQL's
// table_rewrite event trigger) the tables it names count as rewritten too,
// also those the statement does not mention (a function, a cascade).
// A backfill statement's batches form one execution whose
// window spans them all, pauses included: that is what the application
// feels during the backfill.
//
// The identities are read on the migration's own connection, between
// statements, so a rewrite inside a transactional file is seen before it
// commits; the connection is borrowed and used only on apply's thread.
//
// Ownership: borrows the connection, the probe workload and the observers,
// which must outlive it. Figures (probes, locks) are filled in by Finish()
// after the workload and observers stopped.
#pragma once

#include <map>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "driver/driver.h"
#include "migrate/apply.h"
#include "rehearse/lock_observer.h"
#include "rehearse/probe.h"
#include "rehearse/rehearsal.h"

namespace cutover::rehearse {

// Tables of `tables` that `names` (Driver::ReferencedNames) mention: by bare
// name, schema-qualified name, or as the last part of a longer chain
// ("db.orders"), compared without regard to ASCII case. It over-approximates
// on purpose: probing one table too many costs a few probes, missing one
// would hide a blocked table.
std::vector<TableId> TablesMentioned(const std::vector<std::string>& names,
                                     const std::vector<TableId>& tables);

// The tables of `model` a migration can touch: every table but the history
// table.
std::vector<TableId> UserTables(const SchemaModel& model);

// Identity values besides the driver's own (Connection::StorageIdentity):
// the table does not exist, or the engine cannot tell.
extern const std::string kAbsentIdentity;
extern const std::string kUnknownIdentity;
// The storage identity of each of `tables`, read on `conn`: a different
// identity after a statement means the table was rewritten.
std::map<TableId, std::string> StorageIdentities(Connection& conn, const std::vector<TableId>& tables);
// The tables whose identity changed from `before` to `after`, both known.
std::vector<std::string> RewrittenBetween(const std::map<TableId, std::string>& before,
                                          const std::map<TableId, std::string>& after);

// What the probes of `labels` felt in `window`: per kind, the largest
// blocked time over the labels and the figures of the label with the
// largest max latency (nullopt: no probe of that kind).
struct WindowFigures {
  std::optional<double> blocked_read_ms;
  std::optional<double> blocked_write_ms;
  std::optional<ProbeFigures> read;
  std::optional<ProbeFigures> write;
};
WindowFigures FiguresOver(const ProbeWorkload& probes, const std::vector<std::string>& labels,
                          const std::string& window, const std::string& baseline);

class StatementMeter final : public migrate::StatementObserver {
 public:
  // `hot_labels`: the labels of the `--probe FILE` queries, reported with
  // every statement after its tables (TableFigures::table is the label).
  StatementMeter(Driver& driver, Connection& migration, std::vector<TableId> tables, ProbeWorkload* probes,
                 std::vector<LockObserver*> observers, std::vector<std::string> hot_labels = {});

  // Whether the statements that follow belong to the rollback drill.
  void SetDrill(bool drill) { drill_ = drill; }
  // The migration session records rewrites (Connection::StartRewriteLog
  // succeeded): tables in its log count as rewritten, touched or not.
  void UseRewriteLog() { rewrite_log_ = true; }
  // Start of the time axis for StatementResult::start_ms and
  // LockFigures::start_ms (default: when the meter was made).
  void SetOrigin(Clock::time_point origin) { origin_ = origin; }
  // Closes an open backfill execution (call after each apply phase).
  void EndPhase();

  void Before(const Event& event) override;
  void After(const Event& event, const Status& result, std::int64_t rows) override;

  // Fills in probe and lock figures once probes and observers stopped.
  void Finish(const std::string& baseline, const std::map<std::string, std::string>& session_labels);

  std::vector<StatementResult>& results() { return results_; }

 private:
  void MarkWindow(const std::string& name);
  void FillProbes(StatementResult& r, const std::string& baseline);
  void FillLocks(StatementResult& r, const std::map<std::string, std::string>& session_labels);

  Driver& driver_;
  Connection& conn_;
  std::vector<TableId> tables_;
  ProbeWorkload* probes_;
  std::vector<LockObserver*> observers_;
  std::vector<std::string> hot_labels_;
  bool drill_ = false;
  bool rewrite_log_ = false;
  Clock::time_point origin_ = Clock::now();
  int windows_ = 0;
  std::vector<StatementResult> results_;
  // The execution in progress.
  Clock::time_point started_{};
  std::vector<TableId> touched_;
  std::map<TableId, std::string> before_;
  // Last identity seen per table within the current file (a rebuild drops
  // the table in one statement and renames its copy in another).
  std::map<TableId, std::string> known_;
  std::string known_file_;
  bool in_backfill_ = false;
  const plan::Statement* backfill_statement_ = nullptr;
};

}  // namespace cutover::rehearse
