// Test support: the servers, drivers and scratch databases tests use.
//
// Server URIs come from the environment that scripts/test-servers.sh exports
// (CUTOVER_TEST_PG_URI, CUTOVER_TEST_MYSQL_URI). A test that needs a server it
// cannot reach FAILS: ServerUri() records a gtest failure when the variable is
// unset. Never skip. Helpers here record failures with ADD_FAILURE (they return
// values, so they cannot ASSERT); callers stop early with
// ASSERT_FALSE(HasFailure()) or by checking for nullptr.
//
// Drivers load from the build tree's drivers/ directory (compiled in as
// CUTOVER_TEST_DRIVER_DIR) through the real DriverLoader, exactly as the CLI
// loads them.
#pragma once

#include <gtest/gtest.h>

#include <map>
#include <memory>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "base/uri.h"
#include "driver/driver.h"
#include "driver/loader.h"

namespace cutover::testing {

// Engines under test: "postgresql", "mysql", "sqlite".
const std::vector<std::string>& AllEngines();

// The shared loader (build tree's drivers/ directory first).
DriverLoader& TestLoader();

// The server URI for an engine: for "sqlite", a fresh temporary directory
// (the SQLite "server" is a directory). Adds a fatal failure when a server
// engine's variable is unset.
ConnectionUri ServerUri(const std::string& engine);

// The driver for an engine; records a failure and returns nullptr when it
// cannot be loaded.
Driver* TestDriver(const std::string& engine);

// A scratch database created on construction and dropped on destruction.
// Names are cutover_scratch_test_<random>. A failure to create is recorded
// and leaves name() empty.
class ScratchDatabase {
 public:
  explicit ScratchDatabase(const std::string& engine);
  ~ScratchDatabase();
  ScratchDatabase(const ScratchDatabase&) = delete;
  ScratchDatabase& operator=(const ScratchDatabase&) = delete;

  const ConnectionUri& uri() const { return uri_; }
  const std::string& name() const { return name_; }
  const std::string& engine() const { return engine_; }
  // A new connection to the scratch database (nullptr and a failure on error).
  std::unique_ptr<Connection> Connect() const;
  // Runs a script; records a failure with the driver's message on error.
  void Exec(const std::string& script) const;

 private:
  std::string engine_;
  std::string name_;
  ConnectionUri server_;
  ConnectionUri uri_;
};

// A unique name with the given prefix: prefix + 12 random hex digits.
std::string UniqueName(const std::string& prefix);

// The first column of the first row of `sql` as text ("<null>" for NULL,
// "<no row>" when there is none); records a failure when the query fails.
std::string Scalar(Connection& conn, const std::string& sql);

// Feeds `records` (which must outlive the source) to Connection::ImportRows
// in batches of `per_batch`.
RecordBatchSource BatchesOf(const std::vector<std::string>& records, size_t per_batch);
// Imports `records` into `table` in batches of `per_batch`.
Result<std::int64_t> ImportRecords(Connection& conn, const DataTable& table,
                                   const std::vector<std::string>& records, size_t per_batch = 1000);

// What a snapshot of one connection carries, taken through the driver calls
// in the core's order: BeginSnapshot, ListDataTables, DumpSchemaScript,
// ReadSchema, ReleaseSnapshotBarrier, ExportRows of every table,
// EndSnapshot. Records by TableLabel, in export order. Failures are
// recorded; whatever could not be read stays empty.
struct DriverSnapshot {
  SnapshotPoint point;
  std::vector<DataTable> tables;
  SchemaScript script;
  SchemaModel model;
  std::map<std::string, std::vector<std::string>> records;
};
DriverSnapshot TakeDriverSnapshot(Connection& conn, const SnapshotOptions& options = {});
// "schema.name", or "name" for engines without schemas.
std::string TableLabel(const DataTable& t);
// The records ExportRows streams for `t` restricted by `predicate` (records
// a failure when it fails).
std::vector<std::string> ExportRecords(Connection& conn, const DataTable& t, std::string_view predicate = "");
// Records as a multiset, for comparisons in which order does not matter.
std::multiset<std::string> Bag(const std::vector<std::string>& records);

// Reads a whole file (records a failure when unreadable).
std::string ReadFileOrDie(const std::string& path);

// The source tree root (compiled in), for fixtures/ and tests/ data.
std::string SourceDir();

// Every object of a model with its attributes, one per line: for failure
// messages.
std::string Dump(const SchemaModel& model);

// Drift between two models as "<type> <kind> <path>" lines (the drift
// corpus's expect-line form); records a failure if drift cannot be computed.
std::set<std::string> DriftLines(const SchemaModel& expected, const SchemaModel& actual);

// A "<field>: N kB" value of /proc/self/status (VmRSS, VmHWM); records a
// failure and returns -1 when absent. For bounded-memory tests.
long StatusKb(const std::string& field);
// Resets the process's peak RSS (VmHWM) to its current RSS through
// /proc/self/clear_refs, so a bounded-memory test measures only itself, not
// an earlier test of the same process; returns the RSS (kB) the peak now
// starts from, and records a failure (returning -1) when the reset did not
// take.
long ResetPeakRssKb();

}  // namespace cutover::testing
