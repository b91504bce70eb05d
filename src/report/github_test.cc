// The GitHub Actions helpers: escaping as the runner unescapes, the mode
// switch, and the step summary file.
#include "report/github.h"

#include <gtest/gtest.h>
#include <stdlib.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "support/test_env.h"

namespace cutover::report {
namespace {

TEST(Github, WorkflowCommandsEscapeWhatWouldEndOrInjectACommand) {
  Annotation a{AnnotationLevel::kWarning, "plan/0001_a,b:c/expand.sql", 7, "SQ003: rewrite",
               "50% of rows\n::error::injected\r"};
  EXPECT_EQ(WorkflowCommand(a),
            "::warning file=plan/0001_a%2Cb%3Ac/expand.sql,line=7,title=SQ003%3A rewrite::50%25 of "
            "rows%0A::error::injected%0D");
  EXPECT_EQ(WorkflowCommand({AnnotationLevel::kError, "", 0, "", "NO-GO"}), "::error::NO-GO");
  EXPECT_EQ(WorkflowCommand({AnnotationLevel::kNotice, "", 0, "gate", "GO"}), "::notice title=gate::GO");
}

TEST(Github, ModeIsTheFlagOrTheRunnersVariable) {
  ::unsetenv("GITHUB_ACTIONS");
  EXPECT_FALSE(GithubMode(false));
  EXPECT_TRUE(GithubMode(true));
  ::setenv("GITHUB_ACTIONS", "true", 1);
  EXPECT_TRUE(GithubMode(false));
  ::setenv("GITHUB_ACTIONS", "false", 1);
  EXPECT_FALSE(GithubMode(false));
  ::unsetenv("GITHUB_ACTIONS");
}

TEST(Github, StepSummaryIsAppendedAndAnUnwritableOneIsAnError) {
  namespace fs = std::filesystem;
  const fs::path dir = fs::temp_directory_path() / testing::UniqueName("cutover-github-");
  fs::create_directories(dir);
  const fs::path file = dir / "summary.md";
  ::unsetenv("GITHUB_STEP_SUMMARY");
  EXPECT_TRUE(AppendStepSummary("nothing to append to\n").ok());
  ::setenv("GITHUB_STEP_SUMMARY", file.c_str(), 1);
  ASSERT_TRUE(AppendStepSummary("# one\n").ok());
  ASSERT_TRUE(AppendStepSummary("two\n").ok());
  std::stringstream text;
  text << std::ifstream(file).rdbuf();
  EXPECT_EQ(text.str(), "# one\ntwo\n");
  ::setenv("GITHUB_STEP_SUMMARY", (dir / "missing" / "summary.md").c_str(), 1);
  Status st = AppendStepSummary("x\n");
  EXPECT_EQ(st.code(), StatusCode::kIo);
  EXPECT_NE(st.message().find("missing"), std::string::npos);
  ::unsetenv("GITHUB_STEP_SUMMARY");
  fs::remove_all(dir);
}

TEST(Github, MarkdownCellsCannotBreakTheTable) {
  EXPECT_EQ(MarkdownCell("a|b\nc<script>"), "a\\|b<br>c&lt;script&gt;");
}

}  // namespace
}  // namespace cutover::report
