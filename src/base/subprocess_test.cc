#include "base/subprocess.h"

#include <gtest/gtest.h>
#include <stdlib.h>

#include <chrono>

namespace cutover {
namespace {

Result<CommandOutcome> Shell(const std::string& command, ShellCommandOptions options = {}) {
  return RunShellCommand(command, options);
}

TEST(RunShellCommand, ReportsTheExitStatusAndTheOutputOfBothStreams) {
  auto r = Shell("echo out; echo err >&2; exit 3");
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->exit_code, 3);
  EXPECT_EQ(r->signal, 0);
  EXPECT_FALSE(r->ok());
  EXPECT_NE(r->output_tail.find("out\n"), std::string::npos) << r->output_tail;
  EXPECT_NE(r->output_tail.find("err\n"), std::string::npos) << r->output_tail;
  EXPECT_EQ(r->output_bytes, 8);
}

TEST(RunShellCommand, ACommandThatDoesNotExistIsExit127NotAnError) {
  auto r = Shell("/nonexistent/migrator --up");
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->exit_code, 127);
  EXPECT_NE(r->output_tail.find("/nonexistent/migrator"), std::string::npos) << r->output_tail;
}

TEST(RunShellCommand, ASignalThatEndsTheCommandIsReported) {
  auto r = Shell("kill -KILL $$");
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->exit_code, -1);
  EXPECT_EQ(r->signal, 9);
}

TEST(RunShellCommand, TheDurationOfAKnownSleepIsMeasured) {
  auto r = Shell("sleep 0.5");
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->exit_code, 0);
  EXPECT_GE(r->duration_ms, 480);
  EXPECT_LE(r->duration_ms, 900);
}

TEST(RunShellCommand, TheEnvironmentIsOverriddenAndEmptyValuesRemoveInheritedVariables) {
  ::setenv("CUTOVER_TEST_INHERITED", "production-host", 1);
  ::setenv("CUTOVER_TEST_KEPT", "kept", 1);
  ShellCommandOptions options;
  options.environment = {{"CUTOVER_TEST_INHERITED", ""}, {"CUTOVER_TEST_SET", "a value with 'quotes' $x"}};
  auto r =
      Shell("echo \"[${CUTOVER_TEST_INHERITED-unset}] [$CUTOVER_TEST_SET] [$CUTOVER_TEST_KEPT]\"", options);
  ::unsetenv("CUTOVER_TEST_INHERITED");
  ::unsetenv("CUTOVER_TEST_KEPT");
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->output_tail, "[unset] [a value with 'quotes' $x] [kept]\n");
}

TEST(RunShellCommand, TheTailIsBoundedAndLinesArePassedOnAsTheyCome) {
  ShellCommandOptions options;
  options.tail_bytes = 100;
  std::vector<std::string> lines;
  options.on_line = [&](const std::string& line) { lines.push_back(line); };
  auto r = Shell("i=0; while [ $i -lt 2000 ]; do echo line $i; i=$((i+1)); done; printf 'no newline'", options);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->output_tail.size(), 100u);
  EXPECT_EQ(r->output_tail.substr(r->output_tail.size() - 20), "line 1999\nno newline");
  ASSERT_EQ(lines.size(), 2001u);
  EXPECT_EQ(lines[0], "line 0");
  EXPECT_EQ(lines.back(), "no newline");
  EXPECT_GT(r->output_bytes, 10000);
}

TEST(RunShellCommand, AProcessLeftBehindHoldingTheOutputDoesNotHangTheCall) {
  ShellCommandOptions options;
  options.linger = std::chrono::milliseconds(300);
  const auto start = std::chrono::steady_clock::now();
  auto r = Shell("sleep 30 & echo started", options);
  const double ms =
      std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count();
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->exit_code, 0);
  EXPECT_EQ(r->output_tail, "started\n");
  EXPECT_LT(ms, 5000) << "the background sleep was killed with its group";
  EXPECT_LT(r->duration_ms, 1000) << "the duration is the shell's, not the lingering child's";
}

}  // namespace
}  // namespace cutover
