// `cutover rehearse --github` (or GITHUB_ACTIONS=true): the rehearsal's
// annotations and its step summary in Markdown (docs/ci-recipes.md).
//
// Pure: the command prints the annotations (report::WorkflowCommand, to
// stderr) and appends the summary (report::AppendStepSummary).
#pragma once

#include <string>
#include <vector>

#include "rehearse/report.h"
#include "report/github.h"

namespace cutover::report {

// One error per finding; a statement that failed points at its file and
// line (`plan_dir`/file, as the repository holds it); a notice when there
// is nothing to find.
std::vector<Annotation> RehearsalAnnotations(const rehearse::RehearsalContext& context,
                                             const rehearse::RehearsalReport& report,
                                             const std::string& plan_dir);

// The verdict, each statement of the plan with its measured and estimated
// figures (drill executions left out), the findings and the estimate.
std::string RehearsalSummary(const rehearse::RehearsalContext& context,
                             const rehearse::RehearsalReport& report);

}  // namespace cutover::report
