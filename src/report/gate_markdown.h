// The gate's executive readout in Markdown (`cutover gate --markdown FILE`,
// and the GitHub step summary of `gate --github`): what changes, which
// risks the evidence removed (one line per check, its evidence, the fix of
// a failure), the figures the rehearsal measured for the phase, and the
// decision with its hash. Fit for a pull-request comment.
//
// Pure: it renders what the caller gathered; nothing is read here. Every
// string from the plan, the catalog or the database is escaped for
// Markdown (report::MarkdownCell), so a hostile file or table name cannot
// break a table or inject HTML. A rehearsal report that cannot be parsed
// leaves the figures section saying so; it never fails the rendering.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "catalog/catalog.h"
#include "gate/checks.h"

namespace cutover::report {

// One file the phase will run.
struct GateStep {
  std::string file;  // "0007_split_name/expand.sql"
  std::int64_t statements = 0;
  std::string why;  // the file's leading comment (directives left out); may be empty
};

struct GateReadout {
  std::string target;
  std::string plan_dir;
  std::string phase;
  std::string to;          // --to, or empty
  std::string decided_at;  // ISO 8601
  bool go = false;
  std::string decision_sha256;
  std::vector<gate::CheckResult> checks;
  std::vector<GateStep> steps;
  std::optional<SnapshotSummary> snapshot;
  std::optional<RehearsalRecord> rehearsal;
};

std::string GateMarkdown(const GateReadout& readout);

}  // namespace cutover::report
