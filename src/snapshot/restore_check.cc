#include "snapshot/restore_check.h"

#include <signal.h>
#include <spdlog/spdlog.h>
#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <sstream>
#include <thread>

#include "base/file_env.h"
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

// Each statement of each file must return no rows.
void RunAcceptanceChecks(Driver& driver, Connection& conn, const std::vector<std::string>& files,
                         RestoreTestReport& report) {
  for (const auto& path : files) {
    auto text = Env::Default().ReadFile(path, std::uint64_t{64} << 20);
    if (!text.ok()) {
      report.problems.push_back("acceptance check " + path + ": " + text.status().message());
      continue;
    }
    auto statements = driver.SplitScript(*text);
    if (!statements.ok()) {
      report.problems.push_back("acceptance check " + path + ": " + statements.status().message());
      continue;
    }
    for (const auto& s : *statements) {
      ++report.acceptance_queries;
      std::int64_t rows = 0;
      std::string first;
      Status st = conn.Query(s.text, [&](RowView row) {
        if (rows++ == 0) first = FirstRowText(row);
        return Status::Ok();
      });
      const std::string where = path + ":" + std::to_string(s.line);
      if (!st.ok()) {
        report.problems.push_back("acceptance check " + where + " failed to run: " + st.message());
      } else if (rows > 0) {
        report.problems.push_back("acceptance check " + where + " returned " + std::to_string(rows) +
                                  " row(s), expected none; first: " + first);
      }
    }
  }
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
  auto restored = RestoreSnapshot(repo, m, restore_req);
  if (!restored.ok()) {
    report.problems.push_back("restore failed: " + restored.status().message());
  } else {
    report.restore_seconds = restored->seconds;
    report.rows = restored->rows;
    report.bytes = restored->stored_bytes;
    report.stages = restored->stages;
    const auto verify_start = std::chrono::steady_clock::now();
    auto since = [](std::chrono::steady_clock::time_point start) {
      return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    };
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
        integrity_seconds = since(verify_start);
      });
    };
    // After the schema read: PostgreSQL's check installs amcheck, which the
    // schema comparison must not see.
    auto cmp = CompareWithManifest(repo, m, *req.driver, created, req.jobs, start_integrity);
    start_integrity();  // the comparison failed before reaching the rows
    const double compare_seconds = since(verify_start);
    if (integrity_thread.joinable()) integrity_thread.join();
    report.stages.emplace_back("restore-test: read back and compare (schema, rows, digests)",
                               compare_seconds);
    if (conn.ok())
      report.stages.emplace_back("restore-test: integrity check (concurrently)", integrity_seconds);
    if (!cmp.ok()) {
      report.problems.push_back("comparison could not run: " + cmp.status().message());
    } else {
      for (auto& p : cmp->problems) report.problems.push_back(std::move(p));
    }
    if (!conn.ok()) {
      report.problems.push_back("reconnecting to the restored database: " + conn.status().message());
    } else {
      for (auto& p : integrity_problems) report.problems.push_back(std::move(p));
      const auto checks_start = std::chrono::steady_clock::now();
      if (!InterruptGuard::Requested()) RunAcceptanceChecks(*req.driver, **conn, req.check_files, report);
      if (!req.check_files.empty())
        report.stages.emplace_back("restore-test: acceptance checks", since(checks_start));
    }
  }
  if (InterruptGuard::Requested()) {
    report.problems.push_back(InterruptedStatus().message());
  }

  const auto drop_start = std::chrono::steady_clock::now();
  if (req.keep) {
    // Kept on request: it is the user's now, so no later run may drop it.
    report.kept = true;
    if (Status kept = (*scratch)->Keep(); !kept.ok()) spdlog::warn("{}", kept.message());
  } else {
    Status dropped = (*scratch)->Drop();
    if (!dropped.ok()) {
      report.problems.push_back("dropping scratch database " + name + ": " + dropped.message() +
                                " (the next restore-test on this server retries)");
    }
  }
  if (!req.keep) {
    report.stages.emplace_back(
        "restore-test: drop the scratch database",
        std::chrono::duration<double>(std::chrono::steady_clock::now() - drop_start).count());
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
  CUTOVER_RETURN_IF_ERROR(catalog.RecordRestoreTest(record));
  return report;
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
