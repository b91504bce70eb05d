// Liquibase formatted SQL: files whose first line is `--liquibase formatted
// sql`, read in path order (as `includeAll` reads a directory), each holding
// changesets that start at `--changeset author:id [attribute:value ...]`.
// A changeset's SQL is its forward step; its `--rollback SQL` lines (or a
// `/* liquibase rollback ... */` block) its rollback. Attributes that change
// what runs are honoured: runInTransaction:false (no transaction),
// splitStatements:false (the changeset is one statement), endDelimiter:X
// (statements end at a line holding X alone), dbms:... (a changeset for
// another engine is left out, with a warning) and runAlways:true (pending
// at every update). Liquibase records changesets in DATABASECHANGELOG by
// author, id and file.
#include <algorithm>
#include <map>
#include <regex>
#include <set>

#include "base/strings.h"
#include "plan/layout_foreign.h"

namespace cutover::plan::internal {
namespace {

struct Changeset {
  std::string author, id;
  int line = 0;  // the --changeset line
  int last = 0;  // its last line
  bool run_in_transaction = true;
  bool split_statements = true;
  bool run_always = false;
  bool for_this_engine = true;
  bool valid = true;  // false: its --changeset line was reported
  std::string end_delimiter;
  std::string dbms;
  std::vector<int> rollback_lines;  // --rollback lines and /* liquibase rollback */ block lines
  std::vector<int> dropped;         // lines that are not the forward SQL
};

// The body of "--KEYWORD rest" (any spaces after the dashes), or nullopt.
std::optional<std::string_view> Directive(std::string_view line, std::string_view keyword) {
  auto body = CommentBody(line);
  if (!body || !ToLower(*body).starts_with(keyword)) return std::nullopt;
  return Trim(body->substr(keyword.size()));
}

// Liquibase names engines by their usual names, which are the driver's
// URI schemes ("postgresql", "mysql", "mariadb", "sqlite").
bool DbmsIncludes(const std::string& list, const ReadOptions& options) {
  std::set<std::string> mine(options.engine_names.begin(), options.engine_names.end());
  mine.insert(std::string(EngineName(options.engine)));
  bool any_positive = false, included = false;
  for (std::string_view raw : Split(list, ',')) {
    const std::string name = ToLower(Trim(raw));
    if (name.empty()) continue;
    if (name[0] == '!') {
      if (mine.count(name.substr(1))) return false;
      continue;
    }
    any_positive = true;
    included = included || name == "all" || mine.count(name) > 0;
  }
  return !any_positive || included;
}

// "--changeset author:id attr:value ..." into `cs`; false after reporting.
bool ParseChangesetLine(std::string_view rest, int line, const std::string& where, const ReadOptions& options,
                        Changeset* cs, Problems* problems) {
  static const std::regex kHead(R"re(^("[^"]+"|[^:\s]+):("[^"]+"|\S+)\s*(.*)$)re");
  const std::string text(rest);
  std::smatch m;
  if (!std::regex_match(text, m, kHead)) {
    problems->Add(where, line, "a changeset needs author:id (--changeset alice:add-orders)");
    return false;
  }
  auto unquote = [](std::string s) {
    return s.size() >= 2 && s.front() == '"' ? s.substr(1, s.size() - 2) : s;
  };
  cs->author = unquote(m[1].str());
  cs->id = unquote(m[2].str());
  cs->line = line;
  static const std::set<std::string> kKnown = {"runonchange",
                                               "failonerror",
                                               "stripcomments",
                                               "context",
                                               "contextfilter",
                                               "labels",
                                               "rollbacksplitstatements",
                                               "rollbackenddelimiter",
                                               "logicalfilepath",
                                               "created",
                                               "runorder",
                                               "ignore"};
  const std::string attributes = m[3].str();
  for (std::string_view word : Split(attributes, ' ')) {
    if (word.empty()) continue;
    const size_t colon = word.find(':');
    const std::string key = ToLower(word.substr(0, colon));
    const std::string value = colon == std::string_view::npos ? "" : std::string(word.substr(colon + 1));
    if (key == "runintransaction")
      cs->run_in_transaction = ToLower(value) != "false";
    else if (key == "splitstatements")
      cs->split_statements = ToLower(value) != "false";
    else if (key == "runalways")
      cs->run_always = ToLower(value) == "true";
    else if (key == "enddelimiter")
      cs->end_delimiter = value;
    else if (key == "dbms")
      cs->dbms = value;
    else if (kKnown.count(key) == 0) {
      problems->Add(
          where, line,
          "unknown changeset attribute '" + std::string(word) +
              "': a misspelt runInTransaction or splitStatements would change how Liquibase runs it");
    }
  }
  cs->for_this_engine = cs->dbms.empty() || DbmsIncludes(cs->dbms, options);
  return true;
}

// The changesets of one file, with the lines of each sorted into forward
// SQL, rollback and neither.
std::vector<Changeset> FindChangesets(const std::vector<std::string_view>& lines, const std::string& where,
                                      const ReadOptions& options, Plan* plan, Problems* problems) {
  std::vector<Changeset> out;
  bool in_rollback_block = false;
  for (int n = 2; n <= static_cast<int>(lines.size()); ++n) {  // line 1 is the header
    const std::string_view line = lines[n - 1];
    if (auto rest = Directive(line, "changeset")) {
      if (!out.empty()) out.back().last = n - 1;
      Changeset cs;
      cs.line = n;
      cs.valid = ParseChangesetLine(*rest, n, where, options, &cs, problems);
      out.push_back(std::move(cs));  // even when malformed: its lines are its own
      continue;
    }
    const bool blank = Trim(line).empty() || (CommentBody(line) && !Directive(line, "rollback"));
    if (out.empty()) {
      if (!blank) problems->Add(where, n, "SQL before the first --changeset: Liquibase would not run it");
      continue;
    }
    Changeset& cs = out.back();
    if (in_rollback_block || ToLower(Trim(line)).starts_with("/* liquibase rollback")) {
      in_rollback_block = Trim(line).find("*/") == std::string_view::npos;
      cs.dropped.push_back(n);
      if (!ToLower(Trim(line)).starts_with("/* liquibase rollback") && in_rollback_block)
        cs.rollback_lines.push_back(n);
      continue;
    }
    if (auto sql = Directive(line, "rollback")) {
      cs.dropped.push_back(n);
      const std::string lower = ToLower(*sql);
      if (lower != "not required" && lower != "empty" && !sql->empty()) cs.rollback_lines.push_back(n);
      continue;
    }
    for (std::string_view skipped : {"precondition", "comment", "validchecksum", "ignorelines"}) {
      if (Directive(line, skipped)) {
        cs.dropped.push_back(n);
        if (skipped == "precondition")
          plan->warnings.push_back(where + ":" + std::to_string(n) +
                                   ": preconditions are not evaluated by cutover");
      }
    }
  }
  if (!out.empty()) out.back().last = static_cast<int>(lines.size());
  return out;
}

// The rollback SQL of `cs` at its own line numbers: the "--rollback" prefix
// blanked, so the statements keep their columns.
std::string RollbackSection(const std::vector<std::string_view>& lines, const Changeset& cs) {
  std::string out;
  for (int n = 1; n <= static_cast<int>(lines.size()); ++n) {
    if (std::find(cs.rollback_lines.begin(), cs.rollback_lines.end(), n) != cs.rollback_lines.end()) {
      std::string_view l = lines[n - 1];
      if (auto sql = Directive(l, "rollback"))
        out += std::string(l.size() - sql->size(), ' ') + std::string(*sql);
      else
        out += l;
    }
    out += '\n';
  }
  return out;
}

// endDelimiter: statements end at a line holding the delimiter alone.
void ApplyEndDelimiter(Changeset& cs, const std::vector<std::string_view>& lines, std::vector<int>* ends,
                       const std::string& where, Problems* problems) {
  const std::string delimiter = ToLower(cs.end_delimiter);
  for (int n = cs.line + 1; n <= cs.last; ++n) {
    if (std::find(cs.dropped.begin(), cs.dropped.end(), n) != cs.dropped.end()) continue;
    const std::string line = ToLower(Trim(lines[n - 1]));
    if (line == delimiter) {
      cs.dropped.push_back(n);
      ends->push_back(n);
    } else if (EndsWith(line, delimiter) && delimiter != ";") {
      problems->Add(
          where, n,
          "endDelimiter '" + cs.end_delimiter + "' after SQL on the same line: put it on a line of its own");
    }
  }
}

void AddChangeset(Plan& plan, Changeset cs, const std::vector<std::string_view>& lines, const DirEntry& entry,
                  const ReadOptions& options, Problems* problems) {
  Migration m;
  m.name = cs.author + ":" + cs.id;
  m.version = m.name;
  m.number = std::to_string(plan.migrations.size() + 1);
  m.path = entry.path.string();
  m.repeatable = cs.run_always;
  std::vector<int> ends;
  if (!cs.end_delimiter.empty()) ApplyEndDelimiter(cs, lines, &ends, entry.name, problems);
  std::string forward = KeepLines(lines, cs.line + 1, cs.last, cs.dropped);
  if (!ends.empty()) {
    // The delimiter's line ends the statement for the engine's splitter too.
    std::vector<std::string> out;
    for (std::string_view l : SplitLines(forward)) out.emplace_back(l);
    for (int end : ends) out[end - 1] = ";";
    forward = Join(out, "\n") + "\n";
  }
  if (!AddSection(m, forward, entry, Phase::kExpand, !cs.run_in_transaction, options, problems)) return;
  PlanFile& file = m.files.at(Phase::kExpand);
  const std::vector<std::string_view> kept = SplitLines(file.text);
  if (!cs.split_statements) {
    MergeStatementsBetween(file, kept, cs.line, cs.last + 1);
  } else {
    int after = cs.line;
    for (int end : ends) {
      MergeStatementsBetween(file, kept, after, end);
      after = end;
    }
  }
  if (!cs.rollback_lines.empty()) {
    AddSection(m, RollbackSection(lines, cs), entry, Phase::kRollback, !cs.run_in_transaction, options,
               problems);
  }
  SetForwardPhase(m);
  plan.migrations.push_back(std::move(m));
}

}  // namespace

Result<Plan> ReadLiquibasePlan(const std::string& directory, const ReadOptions& options) {
  std::vector<DirEntry> files;
  if (Status s = WalkFiles(directory, "", &files); !s.ok()) return s;
  Problems problems;
  Plan plan = EmptyPlan(directory, options);
  std::map<std::string, std::string> seen;  // "author:id" -> file
  for (const DirEntry& entry : files) {
    if (!EndsWith(ToLower(entry.name), ".sql")) {
      plan.warnings.push_back(entry.name +
                              ": not read; cutover reads Liquibase formatted SQL changelogs only");
      continue;
    }
    auto raw = ReadRaw(entry.path);
    if (!raw.ok()) return raw.status();
    const std::string text = NormalizeLineEndings(*raw);
    const std::vector<std::string_view> lines = SplitLines(text);
    if (lines.empty() || !ToLower(Trim(lines[0])).starts_with("--liquibase formatted sql")) {
      problems.Add(
          entry.name, 1,
          "not a Liquibase formatted SQL changelog (its first line must be '--liquibase formatted sql')");
      continue;
    }
    for (Changeset& cs : FindChangesets(lines, entry.name, options, &plan, &problems)) {
      if (!cs.valid) continue;
      const std::string key = cs.author + ":" + cs.id;
      if (!cs.for_this_engine) {
        plan.warnings.push_back(entry.name + ":" + std::to_string(cs.line) + ": changeset " + key +
                                " is for dbms:" + cs.dbms + ", not this engine; left out");
        continue;
      }
      if (auto [it, inserted] = seen.emplace(key, entry.name); !inserted) {
        problems.Add(entry.name, cs.line,
                     "changeset " + key + " is also in " + it->second + "; give it its own id");
        continue;
      }
      AddChangeset(plan, std::move(cs), lines, entry, options, &problems);
    }
  }
  return FinishPlan(std::move(plan), problems, "Liquibase", "changelog.sql with --changeset alice:1");
}

}  // namespace cutover::plan::internal
