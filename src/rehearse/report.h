// The renderings of a rehearsal: human text, the stable JSON document
// (docs/rehearsal.md, "Output contract"), JUnit XML (one test case per
// statement execution and per check and compat query) and Prometheus
// textfile metrics.
//
// Pure functions of the report and its context: no I/O.
#pragma once

#include <string>
#include <vector>

#include "rehearse/rehearsal.h"

namespace cutover::rehearse {

// What the command knows around the run: where the copy came from and what
// the evidence is.
struct RehearsalContext {
  std::string target;  // label (redacted)
  std::string engine;
  std::string snapshot_id;
  std::string snapshot_fingerprint;
  std::string live_fingerprint;
  bool drift_allowed = false;              // --allow-drift and the fingerprints differ
  std::vector<std::string> drift_summary;  // differences, when allowed
  std::string plan_sha256;
  std::string copy_method;  // "restored", "cloned"
  double copy_seconds = 0;
  std::string copy_database;
  std::string kept_uri;  // --keep: the copy's redacted URI
  std::string tool_version;
  std::string rehearsal_id;  // catalog id
  std::string started_at;    // ISO 8601 UTC, when the copy was requested (the HTML page's header)
};

std::string RehearsalText(const RehearsalContext& context, const RehearsalReport& report);
std::string RehearsalJson(const RehearsalContext& context, const RehearsalReport& report);
std::string RehearsalJunit(const RehearsalContext& context, const RehearsalReport& report);
// Prometheus textfile metrics (node_exporter's textfile collector, beside
// restore-test's and the gate's): the verdict, when, the findings, the
// window estimate, and per statement of the plan (drill executions left
// out) its estimated duration and blocked read/write time. `now_seconds`
// is the run's timestamp.
std::string RehearsalMetrics(const RehearsalContext& context, const RehearsalReport& report,
                             double now_seconds);

// The first `n` characters of a statement on one line (whitespace collapsed).
std::string StatementHead(const std::string& sql, std::size_t n = 60);

}  // namespace cutover::rehearse
