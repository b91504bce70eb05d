// sqitch: sqitch.plan lists the changes in deploy order; each change NAME
// has deploy/NAME.sql (its forward step), revert/NAME.sql (its way back)
// and verify/NAME.sql (its acceptance check), beside the plan file. A
// change reworked after a tag TAG keeps its earlier scripts as
// deploy/NAME@TAG.sql and so on.
//
// sqitch does not wrap a script in a transaction: its scripts do, with
// BEGIN ... COMMIT (verify: BEGIN ... ROLLBACK). A script so wrapped runs
// here as one transaction, without the two statements; any other script
// runs statement by statement, as the engine's client would run it. A
// verify script fails by raising an error, so its rows do not fail the
// check (FileSettings::errors_only).
//
// Not read: sqitch.conf (top_dir, deploy_dir, ... must be the defaults).
#include <map>
#include <regex>

#include "base/file_env.h"
#include "base/strings.h"
#include "plan/layout_foreign.h"

namespace cutover::plan::internal {
namespace {

struct Change {
  std::string name;
  int line = 0;
  std::string suffix;  // "@TAG" for a change reworked later
};

struct SqitchPlan {
  std::string project;
  std::vector<Change> changes;
  std::vector<std::pair<size_t, std::string>> tags;  // (changes before it, tag)
};

SqitchPlan ParsePlanFile(std::string_view text, Problems* problems) {
  static const std::regex kChange(
      R"(^([^\s\[@#%:]+)\s*(\[[^\]]*\])?\s*(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ)\s+.*$)");
  static const std::regex kTag(R"(^@(\S+)\s+\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ\s+.*$)");
  SqitchPlan plan;
  bool project = false;
  int n = 0;
  for (std::string_view raw : SplitLines(text)) {
    ++n;
    const std::string line(Trim(raw));
    if (line.empty() || line[0] == '#') continue;
    if (line[0] == '%') {
      if (line.starts_with("%project=")) {
        project = true;
        plan.project = std::string(Trim(std::string_view(line).substr(9)));
      }
      continue;
    }
    std::smatch m;
    if (std::regex_match(line, m, kTag)) {
      plan.tags.emplace_back(plan.changes.size(), m[1].str());
    } else if (std::regex_match(line, m, kChange)) {
      plan.changes.push_back({m[1].str(), n, ""});
    } else {
      problems->Add(
          "sqitch.plan", n,
          "not a change or tag line (NAME [DEPENDENCIES] TIMESTAMP PLANNER <EMAIL> [# NOTE], or @TAG "
          "TIMESTAMP PLANNER <EMAIL>): sqitch would refuse the plan");
    }
  }
  if (!project) problems->Add("sqitch.plan", 0, "no %project=NAME pragma: sqitch needs one");
  // A change named again later was reworked: its earlier scripts carry the
  // first tag after it.
  for (size_t i = 0; i < plan.changes.size(); ++i) {
    bool reworked = false;
    for (size_t j = i + 1; j < plan.changes.size(); ++j)
      reworked = reworked || plan.changes[j].name == plan.changes[i].name;
    if (!reworked) continue;
    for (const auto& [before, tag] : plan.tags) {
      if (before > i) {
        plan.changes[i].suffix = "@" + tag;
        break;
      }
    }
    if (plan.changes[i].suffix.empty()) {
      problems->Add("sqitch.plan", plan.changes[i].line,
                    "change " + plan.changes[i].name +
                        " is reworked with no tag after it: sqitch needs a tag "
                        "between a change and its rework");
    }
  }
  return plan;
}

bool IsStatement(const Statement& s, std::initializer_list<std::string_view> words) {
  std::string text = ToUpper(Trim(s.text));
  for (std::string_view w : words) {
    if (text == w) return true;
  }
  return false;
}

// Drops a BEGIN ... `last` wrapper; true when the script had one.
bool Unwrap(PlanFile& file, std::initializer_list<std::string_view> last) {
  auto& st = file.statements;
  if (st.size() < 2 ||
      !IsStatement(st.front(), {"BEGIN", "BEGIN TRANSACTION", "START TRANSACTION", "BEGIN WORK"}) ||
      !IsStatement(st.back(), last)) {
    return false;
  }
  st.erase(st.end() - 1);
  st.erase(st.begin());
  return true;
}

void AddScripts(Migration& m, const std::string& directory, const Change& c, const ReadOptions& options,
                Problems* problems) {
  const std::pair<Phase, std::string_view> kinds[] = {
      {Phase::kExpand, "deploy"}, {Phase::kRollback, "revert"}, {Phase::kChecks, "verify"}};
  for (const auto& [phase, dir] : kinds) {
    const std::string rel = std::string(dir) + "/" + c.name + c.suffix + ".sql";
    const std::filesystem::path path = std::filesystem::path(directory) / rel;
    if (!Env::Default().Exists(path)) {
      if (phase == Phase::kExpand) {
        problems->Add("sqitch.plan", c.line, "change " + c.name + c.suffix + " has no " + rel + ": add it");
      }
      continue;
    }
    auto raw = ReadRaw(path);
    if (!raw.ok()) {
      problems->Add(rel, 0, raw.status().message());
      continue;
    }
    auto file = ParseFileInto(*raw, rel, phase, options, problems);
    if (!file) continue;
    file->path = path.string();
    if (phase == Phase::kChecks) {
      Unwrap(*file, {"ROLLBACK", "COMMIT"});
      file->settings.errors_only = true;
    } else {
      file->settings.no_transaction =
          file->settings.no_transaction || !Unwrap(*file, {"COMMIT", "COMMIT WORK", "END"});
    }
    m.files.emplace(phase, std::move(*file));
  }
}

}  // namespace

Result<Plan> ReadSqitchPlan(const std::string& directory, const ReadOptions& options) {
  auto raw = ReadRaw(std::filesystem::path(directory) / "sqitch.plan");
  if (!raw.ok()) return raw.status();
  Problems problems;
  Plan plan = EmptyPlan(directory, options);
  const SqitchPlan parsed = ParsePlanFile(NormalizeLineEndings(*raw), &problems);
  plan.project = parsed.project;
  for (size_t i = 0; i < parsed.changes.size(); ++i) {
    const Change& c = parsed.changes[i];
    Migration m;
    m.name = c.name + c.suffix;
    m.version = c.name;
    m.number = std::to_string(i + 1);
    m.path = directory;
    AddScripts(m, directory, c, options, &problems);
    if (m.files.count(Phase::kExpand) == 0) continue;
    SetForwardPhase(m);
    plan.migrations.push_back(std::move(m));
  }
  return FinishPlan(std::move(plan), problems, "sqitch", "a change in sqitch.plan with deploy/NAME.sql");
}

}  // namespace cutover::plan::internal
