// RunRestoreTest: `cutover restore-test`, the scheduled proof that a
// snapshot restores.
//
// Restores the snapshot into a fresh cutover_scratch_* database on the
// scratch server, then, independently of the snapshot files, reads the
// restored database back and compares row counts, content digests and the
// schema fingerprint with the manifest; runs the engine's integrity checks
// and the user's acceptance checks (SQL files whose queries must return no
// rows); measures the restore time; drops the scratch database (unless
// keep, and also after a failure or an interrupt); records the result in the
// catalog.
//
// The scratch database is registered in the catalog before it is created
// and forgotten after it is dropped. Registered databases whose creating
// process (same host) is gone were left by a killed run: they are dropped at
// the start of the next restore test on that server. A database with the
// prefix that the catalog does not know is never dropped, only reported.
//
// The report says ok only when every comparison matched and every check
// passed; an error return means the test could not run to a verdict.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "base/progress.h"
#include "base/status.h"
#include "base/uri.h"
#include "catalog/catalog.h"
#include "driver/driver.h"
#include "snapshot/manifest.h"
#include "snapshot/repository.h"

namespace cutover::snapshot {

struct RestoreTestRequest {
  Driver* driver = nullptr;
  ConnectionUri scratch_server;
  int jobs = 2;
  bool keep = false;
  std::vector<std::string> check_files;
  Progress::Mode progress = Progress::Mode::kOff;
};

// One check a restore test made, in the order it made them: "restore",
// "schema fingerprint", "table <name>" (rows and content digest), "read
// back" (only when the restored database could not be read table by
// table), "owners and privileges" (skipped when the snapshot records none;
// only objects whose roles the scratch server has are compared),
// "integrity", "acceptance check <file>:<line>" (or "<file>" when
// the file could not be read or the checks did not run), "drop the scratch
// database", "finished" (only when interrupted). Every problem of the
// report is the detail of a failed check; a check that did not run is
// skipped with the reason.
struct RestoreCheck {
  enum class Outcome { kPassed, kFailed, kSkipped };
  std::string name;
  Outcome outcome = Outcome::kPassed;
  std::string detail;   // the evidence (passed), the problem (failed), why it did not run (skipped)
  double seconds = -1;  // < 0: not measured on its own
};

struct RestoreTestReport {
  std::string snapshot_id;
  std::string target;
  std::string scratch_database;
  bool kept = false;
  bool ok = false;
  double restore_seconds = 0;
  double total_seconds = 0;
  std::int64_t rows = 0;
  std::int64_t bytes = 0;
  std::int64_t tables = 0;
  std::string integrity;  // what the engine checks covered, or why none ran
  std::int64_t acceptance_queries = 0;
  std::vector<std::string> problems;
  std::vector<std::string> cleaned_up;                 // stale scratch databases dropped first
  std::vector<std::pair<std::string, double>> stages;  // wall time per stage (restore's, then the checks')
  std::vector<RestoreCheck> checks;
  // Set when the restore stopped on an error that says nothing about the
  // snapshot (a lost connection, a lock timeout: IsRetryable): the run
  // proves nothing either way, and the command exits 3 instead of 1.
  std::optional<Status> cut_short;
};

// A failure to restore (damaged chunk, DDL error) is reported as a problem
// in a report with ok=false, after the scratch database is dropped (and a
// lost connection also sets cut_short); the
// returned error is for failures that prevent any verdict (no catalog, no
// scratch server).
Result<RestoreTestReport> RunRestoreTest(const Repository& repo, Catalog& catalog, const Manifest& manifest,
                                         const RestoreTestRequest& request);

// `restore-test --junit`: one test suite "cutover restore-test <id>", one
// test case per check (failure: the problem; skipped: why it did not run;
// passed: the evidence in system-out, with its time).
std::string RestoreTestJunit(const RestoreTestReport& report);

// Prometheus textfile metrics for node_exporter's textfile collector,
// written atomically. The last success time comes from the catalog so a
// failed run still exports when the target last passed.
Status WriteRestoreTestMetrics(const std::string& path, const RestoreTestReport& report,
                               const std::optional<RestoreTestRecord>& last_success);

}  // namespace cutover::snapshot
