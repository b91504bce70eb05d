// ReadForeignPlan: the dispatch to each tool's reader, and what every
// foreign reader does the same way once it has a migration's files.
#include "plan/layout_foreign.h"

#include <algorithm>
#include <iterator>
#include <map>
#include <regex>

#include "base/strings.h"

namespace cutover::plan {
namespace internal {

void SetForwardPhase(Migration& m) {
  auto up = m.files.find(Phase::kExpand);
  if (up == m.files.end()) return;
  for (const Directive& d : up->second.header_directives) {
    if (d.kind == DirectiveKind::kIrreversible) m.irreversible = d;
  }
  for (const Directive& d : up->second.header_directives) {
    if (d.kind != DirectiveKind::kPhase || d.phase == Phase::kExpand) continue;
    PlanFile file = std::move(up->second);
    m.files.erase(up);
    file.phase = d.phase;
    m.files.emplace(d.phase, std::move(file));
    return;
  }
}

Status WalkFiles(const std::filesystem::path& dir, const std::string& prefix, std::vector<DirEntry>* out) {
  // Deeper than any real project; a symbolic link loop would never end.
  constexpr int kMaxDepth = 16;
  if (std::count(prefix.begin(), prefix.end(), '/') >= kMaxDepth) {
    return Status::InvalidInput(dir.string() + ": directories nested more than " + std::to_string(kMaxDepth) +
                                " deep in the plan (a symbolic link loop?): remove the loop or move the "
                                "migrations up");
  }
  auto entries = SortedEntries(dir);
  if (!entries.ok()) return entries.status();
  for (DirEntry& e : *entries) {
    if (e.name.empty() || e.name[0] == '.') continue;
    e.name = prefix + e.name;
    if (e.is_directory) {
      if (Status s = WalkFiles(e.path, e.name + "/", out); !s.ok()) return s;
    } else {
      out->push_back(std::move(e));
    }
  }
  return Status::Ok();
}

std::string WithoutLeadingZeros(std::string_view digits) {
  const size_t first = digits.find_first_not_of('0');
  return first == std::string_view::npos ? "0" : std::string(digits.substr(first));
}

bool NumericLess(const std::string& a, const std::string& b) {
  return a.size() != b.size() ? a.size() < b.size() : a < b;
}

std::vector<std::string> VersionKey(std::string_view dotted) {
  std::vector<std::string> parts;
  for (std::string_view p : Split(dotted, '.')) parts.push_back(WithoutLeadingZeros(p));
  while (parts.size() > 1 && parts.back() == "0") parts.pop_back();
  return parts;
}

bool VersionKeyLess(const std::vector<std::string>& a, const std::vector<std::string>& b) {
  return std::lexicographical_compare(a.begin(), a.end(), b.begin(), b.end(), NumericLess);
}

std::vector<NumberedFile> NumberedSqlFiles(const std::vector<DirEntry>& entries, std::string_view tool,
                                           Plan* plan, Problems* problems) {
  static const std::regex kFile(R"(^(\d+)_(.+)\.sql$)", std::regex::icase);
  std::map<std::string, NumberedFile, decltype(&NumericLess)> by_version(&NumericLess);
  for (const DirEntry& e : entries) {
    if (e.name.empty() || e.name[0] == '.') continue;
    std::smatch m;
    if (e.is_directory || !std::regex_match(e.name, m, kFile)) {
      if (!e.is_directory && EndsWith(ToLower(e.name), ".sql")) {
        problems->Add(e.name, 0,
                      "not a " + std::string(tool) +
                          " file name ({version}_{title}.sql, the version digits): " + std::string(tool) +
                          " would not run it; rename it or move it out of the plan");
      } else {
        plan->warnings.push_back(e.name + ": not a migration file; ignored");
      }
      continue;
    }
    NumberedFile f{WithoutLeadingZeros(m[1].str()), e.name.substr(0, e.name.size() - 4), e};
    auto [it, inserted] = by_version.emplace(f.version, f);
    if (!inserted) {
      problems->Add(e.name, 0,
                    "version " + f.version + " is also " + it->second.entry.name + ": " + std::string(tool) +
                        " refuses a duplicate version; renumber one");
    }
  }
  std::vector<NumberedFile> out;
  for (auto& [version, f] : by_version) out.push_back(std::move(f));
  return out;
}

std::vector<std::string_view> SplitLines(std::string_view text) {
  std::vector<std::string_view> lines = Split(text, '\n');
  if (!lines.empty() && lines.back().empty()) lines.pop_back();
  return lines;
}

std::string KeepLines(const std::vector<std::string_view>& lines, int first, int last,
                      const std::vector<int>& drop) {
  std::string out;
  for (int n = 1; n <= static_cast<int>(lines.size()); ++n) {
    const bool kept = n >= first && n <= last && std::find(drop.begin(), drop.end(), n) == drop.end();
    if (kept) out += lines[n - 1];
    out += '\n';
  }
  return out;
}

std::optional<std::string_view> CommentBody(std::string_view line) {
  line = Trim(line);
  if (line.substr(0, 2) != "--") return std::nullopt;
  return Trim(line.substr(2));
}

bool AddSection(Migration& m, const std::string& section, const DirEntry& entry, Phase phase,
                bool no_transaction, const ReadOptions& options, Problems* problems) {
  auto file = ParseFileInto(section, entry.name, phase, options, problems);
  if (!file) return false;
  file->path = entry.path.string();
  file->settings.no_transaction = file->settings.no_transaction || no_transaction;
  m.files.emplace(phase, std::move(*file));
  return true;
}

void MergeStatementsBetween(PlanFile& file, const std::vector<std::string_view>& lines, int after,
                            int before) {
  auto inside = [&](const Statement& s) { return s.line > after && s.line < before; };
  auto first = std::find_if(file.statements.begin(), file.statements.end(), inside);
  if (first == file.statements.end()) return;
  auto last = std::find_if_not(first, file.statements.end(), inside);
  Statement merged = *first;
  std::string text;
  for (int n = after + 1; n < before && n <= static_cast<int>(lines.size()); ++n) {
    text += std::string(lines[n - 1]) + "\n";
  }
  text = std::string(Trim(text));
  if (EndsWith(text, ";")) text.pop_back();
  merged.text = text;
  merged.end_line = std::prev(last)->end_line;
  for (auto it = std::next(first); it != last; ++it)
    merged.directives.insert(merged.directives.end(), it->directives.begin(), it->directives.end());
  *first = std::move(merged);
  file.statements.erase(std::next(first), last);
}

Result<Plan> ReadFilePerMigrationPlan(const std::string& directory, const ReadOptions& options,
                                      std::string_view tool, SectionReader read_sections,
                                      bool version_as_written) {
  auto entries = SortedEntries(directory);
  if (!entries.ok()) return entries.status();
  Problems problems;
  Plan plan = EmptyPlan(directory, options);
  for (const NumberedFile& f : NumberedSqlFiles(*entries, tool, &plan, &problems)) {
    auto raw = ReadRaw(f.entry.path);
    if (!raw.ok()) return raw.status();
    Migration m;
    m.name = f.name;
    m.number = f.version;
    m.version = version_as_written ? f.name.substr(0, f.name.find('_')) : f.version;
    m.path = f.entry.path.string();
    read_sections(m, NormalizeLineEndings(*raw), f.entry, options, &problems);
    if (m.files.count(Phase::kExpand) == 0) continue;
    SetForwardPhase(m);
    plan.migrations.push_back(std::move(m));
  }
  return FinishPlan(std::move(plan), problems, tool, "20240101120000_create_orders.sql");
}

Plan EmptyPlan(const std::string& directory, const ReadOptions& options) {
  Plan plan;
  plan.root = directory;
  plan.engine = options.engine;
  return plan;
}

Result<Plan> FinishPlan(Plan plan, const Problems& problems, std::string_view tool,
                        std::string_view example) {
  if (!problems.empty()) return problems.ToStatus(plan.root);
  if (plan.migrations.empty()) {
    return Status::InvalidInput("the " + std::string(tool) + " plan " + plan.root +
                                " has no migrations: add e.g. " + std::string(example));
  }
  return plan;
}

Result<Plan> ReadForeignPlan(const std::string& directory, Layout layout, const ReadOptions& options) {
  switch (layout) {
    case Layout::kGolangMigrate: return ReadGolangMigratePlan(directory, options);
    case Layout::kFlyway: return ReadFlywayPlan(directory, options);
    case Layout::kDbmate: return ReadDbmatePlan(directory, options);
    case Layout::kGoose: return ReadGoosePlan(directory, options);
    case Layout::kLiquibase: return ReadLiquibasePlan(directory, options);
    case Layout::kCutover: return ReadCutoverPlan(directory, options);
    case Layout::kSqitch: return ReadSqitchPlan(directory, options);
  }
  return Status::Internal("unknown layout");
}

}  // namespace internal

bool ToolVersionLess(std::string_view a, std::string_view b) {
  return internal::VersionKeyLess(internal::VersionKey(a), internal::VersionKey(b));
}

bool SameToolVersion(std::string_view a, std::string_view b) {
  return internal::VersionKey(a) == internal::VersionKey(b);
}

}  // namespace cutover::plan
