// Test helper for the lint tests: writes plan files into a temporary
// directory, reads them with the real plan reader (MySQL and SQLite through
// the real driver plugins) and lints them. The directory is removed before
// returning.
#pragma once

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <string>
#include <utility>
#include <vector>

#include "lint/lint.h"
#include "plan/plan.h"
#include "support/test_env.h"

namespace cutover::lint::testutil {

using Files = std::vector<std::pair<std::string, std::string>>;  // relative path, text

inline Result<plan::Plan> ReadFiles(plan::Engine engine, const Files& files) {
  namespace fs = std::filesystem;
  const fs::path root = fs::temp_directory_path() / cutover::testing::UniqueName("cutover-lint-test-");
  for (const auto& [rel, text] : files) {
    fs::create_directories((root / rel).parent_path());
    std::ofstream(root / rel, std::ios::binary) << text;
  }
  Driver* driver = engine == plan::Engine::kPostgreSql
                       ? nullptr
                       : cutover::testing::TestDriver(std::string(plan::EngineName(engine)));
  auto plan = plan::ReadPlan(root.string(), plan::ReadOptionsFor(engine, driver));
  fs::remove_all(root);
  return plan;
}

inline Result<LintReport> LintFiles(plan::Engine engine, const Files& files,
                                    const LintOptions& options = {}) {
  auto plan = ReadFiles(engine, files);
  if (!plan.ok()) return plan.status();
  return LintPlan(*plan, options);
}

// "RULE@file:line" for every finding that counts, sorted.
inline std::vector<std::string> Counted(const LintReport& report) {
  std::vector<std::string> out;
  for (const Finding& f : report.findings) {
    if (!f.ignored) out.push_back(std::string(f.rule->id) + "@" + f.Location());
  }
  std::sort(out.begin(), out.end());
  return out;
}

}  // namespace cutover::lint::testutil
