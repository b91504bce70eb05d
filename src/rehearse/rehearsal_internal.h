// What RunRehearsal (rehearsal.cc) and RunExecRehearsal (exec.cc) share:
// the probes and lock observers started on the copy with their baseline
// taken, and the report's common tail (timeline, observer figures,
// production estimates, verdict). Not for use outside rehearse/.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "driver/driver.h"
#include "rehearse/lock_observer.h"
#include "rehearse/probe.h"
#include "rehearse/rehearsal.h"

namespace cutover::rehearse {

inline double MsSince(Clock::time_point origin, Clock::time_point t) {
  return std::chrono::duration<double, std::milli>(t - origin).count();
}

// Owns the probe workload and the observers; Stop() before reading figures.
struct Instruments {
  Clock::time_point origin;  // 0 of the report's time axis
  std::vector<ProbeSpec> specs;
  std::unique_ptr<ProbeWorkload> probes;
  std::unique_ptr<LockObserver> waits;  // who waits for which lock
  std::unique_ptr<LockObserver> held;   // locks of the migration session; null without one
  bool probing() const { return !specs.empty(); }
  std::vector<LockObserver*> Observers();
  void Stop();
};

// Probes `probed` (and options.hot_queries) on `copy`, starts the observers
// (`held_session` empty: no held-lock observer) and waits out the baseline.
// A table that cannot be probed is a note in `report`.
Result<std::unique_ptr<Instruments>> StartInstruments(Driver& driver, const ConnectionUri& copy,
                                                      Connection& conn, const std::vector<TableId>& probed,
                                                      const RehearsalOptions& options,
                                                      const std::string& held_session,
                                                      RehearsalReport& report);

// The rollback drill's comparison: `after` against `before`, tables matching
// `ignore_globs` and cutover's history table left out; fills d.differences
// (named) and d.ok.
Status CompareWithBefore(const SchemaModel& before, const SchemaModel& after,
                         const std::vector<std::string>& ignore_globs, DrillResult& d);

// The copy's row estimates; none (and a note) when they cannot be read.
Result<std::vector<TableRowEstimate>> CopyRowCounts(Connection& conn, RehearsalReport& report);

// Timeline, probe and observer figures, estimates and report.ok, once the
// statements are in `report` and the instruments stopped.
void FinishReport(const Instruments& in, const RehearsalOptions& options,
                  const std::vector<TableRowEstimate>& copy_rows, RehearsalReport& report);

}  // namespace cutover::rehearse
