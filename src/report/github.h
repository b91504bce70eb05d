// GitHub Actions output: workflow-command annotations and the job's step
// summary (docs/ci-recipes.md), shared by lint, gate and rehearse.
//
// Annotations go to stderr (the runner reads workflow commands from both
// streams), so stdout stays one text report or one JSON document. Every
// value is escaped the way the runner unescapes it: a message or file name
// cannot end the command early or inject another one.
//
// GitHub mode is on with --github, or when GITHUB_ACTIONS=true (set by the
// runner). The step summary is appended to the file $GITHUB_STEP_SUMMARY
// names; without that variable there is nothing to append to (not an
// error). A summary that cannot be written is kIo naming the file.
#pragma once

#include <ostream>
#include <string>
#include <string_view>

#include "base/status.h"

namespace cutover::report {

enum class AnnotationLevel { kError, kWarning, kNotice };

struct Annotation {
  AnnotationLevel level = AnnotationLevel::kError;
  std::string file;  // relative to the repository root, as GitHub shows it; may be empty
  int line = 0;      // 0: none
  std::string title;
  std::string message;
};

// "::error file=F,line=L,title=T::message", escaped; one line.
std::string WorkflowCommand(const Annotation& annotation);

// --github given, or GITHUB_ACTIONS=true.
bool GithubMode(bool flag);

// Appends `markdown` (ending with a newline) to $GITHUB_STEP_SUMMARY.
Status AppendStepSummary(std::string_view markdown);

// Text for one markdown table cell: pipes and newlines escaped, so a
// hostile name cannot break the table.
std::string MarkdownCell(std::string_view text);

}  // namespace cutover::report
