// golang-migrate: {version}_{title}.up.sql and {version}_{title}.down.sql in
// one directory; the version is an unsigned integer and orders the
// migrations. golang-migrate sends each file as one Exec: on PostgreSQL
// that is one implicit transaction for the file, on SQLite its driver wraps
// the file in a transaction, on MySQL/MariaDB DDL commits by itself. A file
// of one statement runs as that statement alone (so CREATE INDEX
// CONCURRENTLY works), which is what no_transaction means here.
#include <map>
#include <regex>

#include "base/strings.h"
#include "plan/layout_foreign.h"

namespace cutover::plan::internal {
namespace {

struct Found {
  std::string name;  // {version}_{title}
  std::map<Phase, DirEntry> files;
};

}  // namespace

Result<Plan> ReadGolangMigratePlan(const std::string& directory, const ReadOptions& options) {
  static const std::regex kFile(R"(^(\d+)_(.*)\.(up|down)\.sql$)", std::regex::icase);
  auto entries = SortedEntries(directory);
  if (!entries.ok()) return entries.status();
  Problems problems;
  Plan plan = EmptyPlan(directory, options);
  std::map<std::string, Found, decltype(&NumericLess)> by_version(&NumericLess);
  for (const DirEntry& e : *entries) {
    if (e.name.empty() || e.name[0] == '.') continue;
    std::smatch m;
    if (e.is_directory || !std::regex_match(e.name, m, kFile)) {
      if (EndsWith(ToLower(e.name), ".sql")) {
        problems.Add(e.name, 0,
                     "not a golang-migrate file name ({version}_{title}.up.sql or .down.sql): golang-migrate "
                     "would not run it; rename it or move it out of the plan");
      } else {
        plan.warnings.push_back(e.name + ": not a migration file; ignored");
      }
      continue;
    }
    const std::string version = WithoutLeadingZeros(m[1].str());
    const Phase phase = ToLower(m[3].str()) == "up" ? Phase::kExpand : Phase::kRollback;
    const std::string name = e.name.substr(0, e.name.size() - m[3].length() - 5);  // ".up.sql"
    Found& f = by_version[version];
    if (f.files.count(phase) != 0) {
      problems.Add(e.name, 0,
                   "version " + version + " has two " + std::string(phase == Phase::kExpand ? "up" : "down") +
                       " files (" + f.files.at(phase).name + " and " + e.name +
                       "): golang-migrate refuses a duplicate version; renumber one");
      continue;
    }
    if (!f.name.empty() && f.name != name) {
      problems.Add(e.name, 0,
                   "version " + version + " has files of two names (" + f.files.begin()->second.name +
                       " and " + e.name + "): an up and a down file must share {version}_{title}");
    }
    if (f.name.empty()) f.name = name;
    f.files.emplace(phase, e);
  }
  for (auto& [version, f] : by_version) {
    if (f.files.count(Phase::kExpand) == 0) {
      problems.Add(
          f.files.begin()->second.name, 0,
          "a down file without its up file (" + f.name + ".up.sql): add the up file or remove this one");
      continue;
    }
    Migration m;
    m.name = f.name;
    m.number = version;
    m.version = version;
    m.path = directory;
    for (const auto& [phase, entry] : f.files) {
      auto raw = ReadRaw(entry.path);
      if (!raw.ok()) return raw.status();
      auto file = ParseFileInto(*raw, entry.name, phase, options, &problems);
      if (!file) continue;
      file->path = entry.path.string();
      if (file->statements.size() == 1) file->settings.no_transaction = true;
      m.files.emplace(phase, std::move(*file));
    }
    SetForwardPhase(m);
    plan.migrations.push_back(std::move(m));
  }
  return FinishPlan(std::move(plan), problems, "golang-migrate", "000001_create_orders.up.sql");
}

}  // namespace cutover::plan::internal
