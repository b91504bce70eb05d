#include "snapshot/restore_check.h"

#include <signal.h>
#include <spdlog/spdlog.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <sstream>
#include <thread>

#include "base/file_env.h"
#include "base/kill_point.h"
#include "base/strings.h"
#include "schema/scratch_schema.h"
#include "snapshot/restore.h"
#include "snapshot/scratch.h"

namespace cutover::snapshot {
namespace {

std::string FirstRowText(RowView row) {
  std::string out;
  for (size_t i = 0; i < row.size() && out.size() < 200; ++i) {
    if (i) out += " | ";
    out += row[i].is_null() ? "NULL" : std::string(row[i].data.substr(0, 60));
  }
  return out;
}

using Outcome = RestoreCheck::Outcome;

// As restore.cc names a table in its problems.
std::string TableLabel(const DataTable& t) {
  return t.schema.empty() ? t.name : t.schema + "." + t.name;
}

double SecondsSince(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

// A failed check: its problem is also one of the report's problems.
void Fail(RestoreTestReport& report, std::string name, const std::string& problem, double seconds = -1) {
  report.problems.push_back(problem);
  report.checks.push_back({std::move(name), Outcome::kFailed, problem, seconds});
}

// Each statement of each file must return no rows.
void RunAcceptanceChecks(Driver& driver, Connection& conn, const std::vector<std::string>& files,
                         RestoreTestReport& report) {
  for (const auto& path : files) {
    auto text = Env::Default().ReadFile(path, std::uint64_t{64} << 20);
    if (!text.ok()) {
      Fail(report, "acceptance check " + path, "acceptance check " + path + ": " + text.status().message());
      continue;
    }
    auto statements = driver.SplitScript(*text);
    if (!statements.ok()) {
      Fail(report, "acceptance check " + path,
           "acceptance check " + path + ": " + statements.status().message());
      continue;
    }
    for (const auto& s : *statements) {
      ++report.acceptance_queries;
      std::int64_t rows = 0;
      std::string first;
      const auto start = std::chrono::steady_clock::now();
      Status st = conn.Query(s.text, [&](RowView row) {
        if (rows++ == 0) first = FirstRowText(row);
        return Status::Ok();
      });
      const double seconds = SecondsSince(start);
      const std::string where = path + ":" + std::to_string(s.line);
      if (!st.ok()) {
        Fail(report, "acceptance check " + where,
             "acceptance check " + where + " failed to run: " + st.message(), seconds);
      } else if (rows > 0) {
        Fail(report, "acceptance check " + where,
             "acceptance check " + where + " returned " + std::to_string(rows) +
                 " row(s), expected none; first: " + first,
             seconds);
      } else {
        std::string query = CollapseSqlWhitespace(s.text);
        if (query.size() > 200) query = query.substr(0, 197) + "...";
        report.checks.push_back(
            {"acceptance check " + where, Outcome::kPassed, "no rows: " + query, seconds});
      }
    }
  }
}

// The checks after the restore that did not run, and why.
void SkipChecks(RestoreTestReport& report, const Manifest& m, const std::vector<std::string>& check_files,
                bool comparison, bool integrity, const std::string& why) {
  if (comparison) {
    report.checks.push_back({"schema fingerprint", Outcome::kSkipped, why});
    for (const auto& e : m.tables)
      report.checks.push_back({"table " + TableLabel(e.table), Outcome::kSkipped, why});
  }
  if (integrity) report.checks.push_back({"integrity", Outcome::kSkipped, why});
  for (const auto& path : check_files)
    report.checks.push_back({"acceptance check " + path, Outcome::kSkipped, why});
}

// The schema's and each table's verdicts of the read-back comparison.
void RecordComparison(const Manifest& m, Result<Comparison>& cmp, double seconds, RestoreTestReport& report) {
  if (!cmp.ok()) {
    Fail(report, "schema fingerprint", "comparison could not run: " + cmp.status().message(), seconds);
    for (const auto& e : m.tables) {
      report.checks.push_back(
          {"table " + TableLabel(e.table), Outcome::kSkipped, "the comparison could not run"});
    }
    return;
  }
  if (cmp->schema_problem.empty()) {
    report.checks.push_back(
        {"schema fingerprint", Outcome::kPassed, "fingerprint " + m.fingerprint + " matched"});
  } else {
    report.checks.push_back({"schema fingerprint", Outcome::kFailed, cmp->schema_problem});
  }
  const bool per_table = cmp->table_problems.size() == m.tables.size();
  for (size_t i = 0; i < m.tables.size(); ++i) {
    const TableEntry& e = m.tables[i];
    const std::string name = "table " + TableLabel(e.table);
    if (!per_table) {
      report.checks.push_back({name, Outcome::kSkipped, "the restored database could not be read back"});
    } else if (!cmp->table_problems[i].empty()) {
      report.checks.push_back({name, Outcome::kFailed, cmp->table_problems[i]});
    } else {
      report.checks.push_back(
          {name, Outcome::kPassed,
           std::to_string(e.rows) + " rows, content digest " + e.digest + " as recorded"});
    }
  }
  // Problems that are neither the schema's nor one table's: the restored
  // database as a whole could not be read back.
  for (auto& p : cmp->problems) {
    const bool listed =
        p == cmp->schema_problem ||
        std::find(cmp->table_problems.begin(), cmp->table_problems.end(), p) != cmp->table_problems.end();
    if (!listed) report.checks.push_back({"read back", Outcome::kFailed, p});
    report.problems.push_back(std::move(p));
  }
}

// The owners and privileges of the restored objects against what the
// snapshot recorded, for the objects whose roles the scratch server has.
void CheckAccess(const SchemaModel& expected, const SchemaModel& restored, const AccessPlan& plan,
                 Connection* conn, RestoreTestReport& report) {
  const std::string name = "owners and privileges";
  if (!HasAccessAttributes(expected)) return;  // SQLite, or a snapshot older than access attributes
  if (plan.statements.empty() && plan.skipped.empty()) {
    // Grants of server accounts: what a restore elsewhere depends on is
    // that the accounts exist there.
    std::string accounts;
    const std::vector<std::string> grantees = Grantees(expected);
    auto missing = conn != nullptr && !grantees.empty()
                       ? conn->MissingRoles(grantees)
                       : Result<std::vector<std::string>>(std::vector<std::string>{});
    if (!missing.ok()) {
      accounts = "; the accounts they name could not be looked up: " + missing.status().message();
    } else if (!missing->empty()) {
      accounts = "; accounts granted privileges that the scratch server lacks: " + Join(*missing, ", ");
    } else if (!grantees.empty()) {
      accounts = "; every account granted privileges exists on the scratch server";
    }
    const std::string definers = plan.definer_note.empty() ? "" : "; definers: " + plan.definer_note;
    report.checks.push_back({name, Outcome::kSkipped,
                             "grants recorded in the snapshot, not restored by this engine (they belong to "
                             "server accounts): not compared" +
                                 accounts + definers});
    return;
  }
  const AccessComparison cmp = CompareAccess(expected, restored, plan);
  const std::string left_out = cmp.not_compared.empty() ? "" : "; " + cmp.not_compared;
  if (!cmp.differences.empty()) {
    Fail(report, name, Join(cmp.differences, "\n") + left_out);
  } else if (cmp.compared == 0) {
    report.checks.push_back({name, Outcome::kSkipped, "none compared" + left_out});
  } else {
    report.checks.push_back(
        {name, Outcome::kPassed,
         std::to_string(cmp.compared) + " objects' owners and privileges matched" + left_out});
  }
}

// After a restore that succeeded: the read-back comparison and the
// integrity check (concurrently), then the owners and privileges and the
// acceptance checks.
void CheckRestored(const Manifest& m, const RestoreTestRequest& req, const ConnectionUri& created,
                   const RestoreOutcome& restored, RestoreTestReport& report) {
  const auto verify_start = std::chrono::steady_clock::now();
  // The engine's integrity check runs on its own connection beside the
  // read-back of the rows: both only read the restored database, and together they
  // are most of a restore test after the restore.
  auto conn = req.driver->Connect(created);
  std::vector<std::string> integrity_problems;
  double integrity_seconds = 0;
  std::thread integrity_thread;
  auto start_integrity = [&] {
    if (!conn.ok() || integrity_thread.joinable()) return;
    integrity_thread = std::thread([&] {
      std::string what;
      auto integrity = (*conn)->CheckIntegrity(&what);
      if (integrity.ok()) {
        report.integrity = what;
        for (const auto& p : *integrity) integrity_problems.push_back("integrity: " + p);
      } else if (integrity.status().code() == StatusCode::kUnsupported) {
        report.integrity = "not available: " + integrity.status().message();
      } else {
        integrity_problems.push_back("integrity check failed to run: " + integrity.status().message());
      }
      integrity_seconds = SecondsSince(verify_start);
    });
  };
  // After the schema read: PostgreSQL's check installs amcheck, which the
  // schema comparison must not see.
  auto cmp = CompareWithManifest(m, restored.model, *req.driver, created, req.jobs, start_integrity);
  start_integrity();  // the comparison failed before reaching the rows
  const double compare_seconds = SecondsSince(verify_start);
  if (integrity_thread.joinable()) integrity_thread.join();
  report.stages.emplace_back("restore-test: read back and compare (schema, rows, digests)", compare_seconds);
  if (conn.ok())
    report.stages.emplace_back("restore-test: integrity check (concurrently)", integrity_seconds);
  RecordComparison(m, cmp, compare_seconds, report);
  if (cmp.ok())
    CheckAccess(restored.model, cmp->restored_schema, restored.access, conn.ok() ? conn->get() : nullptr,
                report);
  if (!conn.ok()) {
    Fail(report, "integrity", "reconnecting to the restored database: " + conn.status().message());
    SkipChecks(report, m, req.check_files, false, false, "could not reconnect to the restored database");
    return;
  }
  if (!integrity_problems.empty()) {
    for (const auto& p : integrity_problems) report.problems.push_back(p);
    report.checks.push_back(
        {"integrity", Outcome::kFailed, Join(integrity_problems, "\n"), integrity_seconds});
  } else if (StartsWith(report.integrity, "not available: ")) {
    report.checks.push_back({"integrity", Outcome::kSkipped, report.integrity});
  } else {
    report.checks.push_back({"integrity", Outcome::kPassed, report.integrity, integrity_seconds});
  }
  const auto checks_start = std::chrono::steady_clock::now();
  if (InterruptGuard::Requested()) {
    SkipChecks(report, m, req.check_files, false, false, "interrupted before the acceptance checks");
  } else {
    RunAcceptanceChecks(*req.driver, **conn, req.check_files, report);
  }
  if (!req.check_files.empty())
    report.stages.emplace_back("restore-test: acceptance checks", SecondsSince(checks_start));
}

}  // namespace

Result<RestoreTestReport> RunRestoreTest(const Repository& repo, Catalog& catalog, const Manifest& m,
                                         const RestoreTestRequest& req) {
  const auto t0 = std::chrono::steady_clock::now();
  RestoreTestReport report;
  report.snapshot_id = m.id;
  report.target = m.target;
  report.tables = static_cast<std::int64_t>(m.tables.size());
  report.cleaned_up = DropStaleScratch(catalog, *req.driver, req.scratch_server);

  InterruptGuard interrupts;
  auto scratch = ScratchDatabase::Create(catalog, *req.driver, req.scratch_server, "restore-test");
  if (!scratch.ok()) return scratch.status();
  const std::string name = (*scratch)->name();
  const ConnectionUri created = (*scratch)->uri();
  report.scratch_database = name;

  RestoreRequest restore_req;
  restore_req.driver = req.driver;
  restore_req.into = created;
  restore_req.jobs = req.jobs;
  restore_req.progress = req.progress;
  restore_req.scratch = true;
  // The scratch server may lack the production roles: what they would
  // receive is left out and the check says so.
  restore_req.access.skip_missing_roles = true;
  restore_req.access.definer_fallback = true;
  auto restored = RestoreSnapshot(repo, m, restore_req);
  if (!restored.ok()) {
    if (IsRetryable(restored.status().code())) report.cut_short = restored.status();
    Fail(report, "restore", "restore failed: " + restored.status().message());
    SkipChecks(report, m, req.check_files, true, true, "the restore failed");
  } else {
    report.restore_seconds = restored->seconds;
    report.rows = restored->rows;
    report.bytes = restored->stored_bytes;
    report.stages = restored->stages;
    report.checks.push_back({"restore", Outcome::kPassed,
                             std::to_string(report.tables) + " tables, " + std::to_string(report.rows) +
                                 " rows, " + std::to_string(report.bytes) + " stored bytes restored into " +
                                 name,
                             report.restore_seconds});
    CheckRestored(m, req, created, *restored, report);
  }
  if (InterruptGuard::Requested()) Fail(report, "finished", InterruptedStatus().message());
  CUTOVER_KILL_POINT("restore-test.checked");  // the scratch database still exists

  const auto drop_start = std::chrono::steady_clock::now();
  if (req.keep) {
    // Kept on request: it is the user's now, so no later run may drop it.
    report.kept = true;
    if (Status kept = (*scratch)->Keep(); !kept.ok()) spdlog::warn("{}", kept.message());
    report.checks.push_back(
        {"drop the scratch database", Outcome::kSkipped, name + " kept on request (--keep)"});
  } else {
    Status dropped = (*scratch)->Drop();
    const double seconds = SecondsSince(drop_start);
    if (!dropped.ok()) {
      Fail(report, "drop the scratch database",
           "dropping scratch database " + name + ": " + dropped.message() +
               " (the next restore-test on this server retries)",
           seconds);
    } else {
      report.checks.push_back({"drop the scratch database", Outcome::kPassed, "dropped " + name, seconds});
    }
    report.stages.emplace_back("restore-test: drop the scratch database", seconds);
  }
  for (const auto& [stage, secs] : report.stages) {
    if (stage.rfind("restore-test:", 0) == 0)
      spdlog::debug("{}: {:.3f} s", stage, secs);  // restore's logged already
  }
  report.ok = report.problems.empty();
  report.total_seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();

  RestoreTestRecord record;
  record.snapshot_id = m.id;
  record.target = m.target;
  record.at = NowIso8601();
  record.ok = report.ok;
  record.detail = report.ok ? "all " + std::to_string(report.tables) + " tables and the schema matched"
                            : report.problems.front().substr(0, 500);
  record.restore_seconds = report.restore_seconds;
  record.total_seconds = report.total_seconds;
  record.rows = report.rows;
  record.bytes = report.bytes;
  record.scratch_database = name;
  CUTOVER_KILL_POINT("restore-test.dropped");  // not yet recorded
  CUTOVER_RETURN_IF_ERROR(catalog.RecordRestoreTest(record));
  return report;
}

std::string RestoreTestJunit(const RestoreTestReport& r) {
  std::string cases;
  int failures = 0, skipped = 0;
  for (const RestoreCheck& c : r.checks) {
    std::string time;
    if (c.seconds >= 0) {
      char buf[32];
      std::snprintf(buf, sizeof buf, "%.3f", c.seconds);
      time = std::string(" time=\"") + buf + "\"";
    }
    cases += "    <testcase classname=\"restore-test\" name=\"" + XmlEscape(c.name) + "\"" + time + ">\n";
    switch (c.outcome) {
      case RestoreCheck::Outcome::kFailed:
        ++failures;
        cases +=
            "      <failure message=\"" + XmlEscape(c.detail) + "\">" + XmlEscape(c.detail) + "</failure>\n";
        break;
      case RestoreCheck::Outcome::kSkipped:
        ++skipped;
        cases += "      <skipped message=\"" + XmlEscape(c.detail) + "\"/>\n";
        break;
      case RestoreCheck::Outcome::kPassed:
        cases += "      <system-out>" + XmlEscape(c.detail) + "</system-out>\n";
        break;
    }
    cases += "    </testcase>\n";
  }
  char total[32];
  std::snprintf(total, sizeof total, "%.3f", r.total_seconds);
  const std::string counts = "tests=\"" + std::to_string(r.checks.size()) + "\" failures=\"" +
                             std::to_string(failures) + "\" errors=\"0\" skipped=\"" +
                             std::to_string(skipped) + "\" time=\"" + total + "\"";
  return "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<testsuites name=\"cutover restore-test\" " + counts +
         ">\n  <testsuite name=\"" + XmlEscape("cutover restore-test " + r.snapshot_id) + "\" " + counts +
         ">\n    <properties>\n      <property name=\"target\" value=\"" + XmlEscape(r.target) +
         "\"/>\n      <property name=\"scratch_database\" value=\"" + XmlEscape(r.scratch_database) +
         "\"/>\n    </properties>\n" + cases + "  </testsuite>\n</testsuites>\n";
}

Status WriteRestoreTestMetrics(const std::string& path, const RestoreTestReport& r,
                               const std::optional<RestoreTestRecord>& last_success) {
  const std::string labels = "{target=\"" + PromLabel(r.target) + "\"}";
  const auto now = std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count();
  std::ostringstream out;
  out.precision(15);
  auto metric = [&](const char* name, const char* type, const char* help, double value) {
    out << "# HELP " << name << " " << help << "\n# TYPE " << name << " " << type << "\n"
        << name << labels << " " << value << "\n";
  };
  metric("cutover_restore_test_success", "gauge", "1 if the last restore test passed, 0 if it failed.",
         r.ok ? 1 : 0);
  metric("cutover_restore_test_last_run_timestamp_seconds", "gauge", "When the last restore test finished.",
         now);
  if (last_success) {
    auto t = ParseIso8601(last_success->at);
    if (t.ok()) {
      metric("cutover_restore_test_last_success_timestamp_seconds", "gauge",
             "When a restore test of this target last passed.", static_cast<double>(*t));
    }
  }
  metric("cutover_restore_test_restore_duration_seconds", "gauge",
         "Restore time of the last test (recovery time).", r.restore_seconds);
  metric("cutover_restore_test_duration_seconds", "gauge",
         "Total time of the last test, comparisons included.", r.total_seconds);
  metric("cutover_restore_test_bytes", "gauge", "Stored snapshot bytes restored by the last test.",
         static_cast<double>(r.bytes));
  metric("cutover_restore_test_rows", "gauge", "Rows restored by the last test.",
         static_cast<double>(r.rows));
  metric("cutover_restore_test_problems", "gauge", "Problems found by the last test.",
         static_cast<double>(r.problems.size()));
  CUTOVER_RETURN_IF_ERROR(WriteFileAtomically(Env::Default(), path, out.str()));
  // node_exporter usually runs as another user; the metrics hold no secret.
  ::chmod(path.c_str(), 0644);
  return Status::Ok();
}

}  // namespace cutover::snapshot
