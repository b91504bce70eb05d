// goose: one file {version}_{title}.sql per migration with `-- +goose Up`
// and `-- +goose Down` sections. goose ends a statement at a line ending in
// ';' unless the statement is wrapped in `-- +goose StatementBegin` /
// `-- +goose StatementEnd` (then the block is one statement), runs each
// section in one transaction unless the file says `-- +goose NO
// TRANSACTION`, and records versions in goose_db_version.
//
// cutover splits statements with the engine's own rules (which understand
// quoting that goose does not), so where goose would cut a statement short
// at a line ending in ';' it is a problem here: the rehearsal must run what
// goose will run.
#include <algorithm>
#include <iterator>
#include <optional>
#include <regex>

#include "base/strings.h"
#include "plan/layout_foreign.h"

namespace cutover::plan::internal {
namespace {

enum class Annotation { kUp, kDown, kBegin, kEnd, kNoTransaction, kEnvsubOn, kEnvsubOff };

struct Marked {
  Annotation annotation;
  int line;
};

std::optional<Annotation> AnnotationOf(std::string_view line, int number, const std::string& where,
                                       Problems* problems) {
  auto body = CommentBody(line);
  if (!body || !ToLower(*body).starts_with("+goose")) return std::nullopt;
  const std::string word = ToLower(Trim(body->substr(6)));
  if (word == "up") return Annotation::kUp;
  if (word == "down") return Annotation::kDown;
  if (word == "statementbegin") return Annotation::kBegin;
  if (word == "statementend") return Annotation::kEnd;
  if (word == "no transaction") return Annotation::kNoTransaction;
  if (word == "envsub on") return Annotation::kEnvsubOn;
  if (word == "envsub off") return Annotation::kEnvsubOff;
  problems->Add(where, number,
                "unknown goose annotation '" + std::string(Trim(line)) +
                    "' (goose knows Up, Down, StatementBegin, StatementEnd, NO TRANSACTION, ENVSUB ON/OFF)");
  return std::nullopt;
}

struct Block {
  int begin = 0;  // the StatementBegin line
  int end = 0;    // the StatementEnd line
};

// A statement outside blocks that goose would end early: a line before its
// last that ends in ';' (in a dollar-quoted body or a string, for instance).
void CheckGooseSplit(const PlanFile& file, const std::vector<std::string_view>& lines,
                     const std::vector<Block>& blocks, Problems* problems) {
  for (const Statement& s : file.statements) {
    bool in_block = false;
    for (const Block& b : blocks) in_block = in_block || (s.line > b.begin && s.line < b.end);
    if (in_block) continue;
    for (int n = s.line; n < s.end_line; ++n) {
      std::string_view l = Trim(lines[n - 1]);
      if (!EndsWith(l, ";") || CommentBody(l)) continue;
      problems->Add(file.display_path, n,
                    "goose ends a statement at a line ending in ';', so it would run the statement of line " +
                        std::to_string(s.line) +
                        " cut short here: wrap it in '-- +goose StatementBegin' and "
                        "'-- +goose StatementEnd'");
      break;
    }
  }
}

struct Sections {
  int up = 0, down = 0;  // marker lines; 0 when absent
  bool no_transaction = false;
  std::vector<Block> blocks;
  std::vector<int> marker_lines;  // every annotation line, blanked before parsing
};

Sections FindSections(const std::vector<std::string_view>& lines, const std::string& where,
                      Problems* problems) {
  static const std::regex kVariable(R"(\$(\{|[A-Za-z_]))");
  Sections s;
  int open_block = 0, first_content = 0;
  bool envsub = false;
  for (int n = 1; n <= static_cast<int>(lines.size()); ++n) {
    auto a = AnnotationOf(lines[n - 1], n, where, problems);
    if (!a) {
      if (first_content == 0 && !Trim(lines[n - 1]).empty() && !CommentBody(lines[n - 1])) first_content = n;
      const std::string line(lines[n - 1]);
      if (envsub && std::regex_search(line, kVariable)) {
        problems->Add(
            where, n,
            "goose replaces environment variables here (ENVSUB ON) and cutover does not, so it would "
            "rehearse other SQL than goose runs; write the value, or turn ENVSUB off");
        envsub = false;  // once per region
      }
      continue;
    }
    s.marker_lines.push_back(n);
    switch (*a) {
      case Annotation::kUp: s.up = s.up ? s.up : n; break;
      case Annotation::kDown: s.down = s.down ? s.down : n; break;
      case Annotation::kNoTransaction: s.no_transaction = true; break;
      case Annotation::kEnvsubOn: envsub = true; break;
      case Annotation::kEnvsubOff: envsub = false; break;
      case Annotation::kBegin:
        if (open_block)
          problems->Add(where, n, "StatementBegin inside the block of line " + std::to_string(open_block));
        open_block = n;
        break;
      case Annotation::kEnd:
        if (!open_block)
          problems->Add(where, n, "StatementEnd without a StatementBegin before it");
        else
          s.blocks.push_back({open_block, n});
        open_block = 0;
        break;
    }
  }
  if (open_block) problems->Add(where, open_block, "StatementBegin without its StatementEnd");
  if (s.up == 0) {
    problems->Add(where, 0, "goose needs a '-- +goose Up' line before the migration's statements");
  } else if (first_content != 0 && first_content < s.up) {
    problems->Add(where, first_content,
                  "a statement before '-- +goose Up': goose refuses it; move it below the annotation");
  }
  if (s.down != 0 && s.down < s.up) problems->Add(where, s.down, "'-- +goose Down' before '-- +goose Up'");
  return s;
}

void ReadSections(Migration& m, std::string_view text, const DirEntry& entry, const ReadOptions& options,
                  Problems* problems) {
  const std::vector<std::string_view> lines = SplitLines(text);
  const Sections s = FindSections(lines, entry.name, problems);
  if (s.up == 0 || (s.down != 0 && s.down < s.up)) return;
  const int up_last = s.down ? s.down - 1 : static_cast<int>(lines.size());
  const std::pair<Phase, std::pair<int, int>> ranges[] = {
      {Phase::kExpand, {s.up + 1, up_last}},
      {Phase::kRollback, {s.down ? s.down + 1 : 1, s.down ? static_cast<int>(lines.size()) : 0}}};
  for (const auto& [phase, range] : ranges) {
    const std::string section = KeepLines(lines, range.first, range.second, s.marker_lines);
    if (phase == Phase::kRollback && Trim(section).empty()) continue;
    if (!AddSection(m, section, entry, phase, s.no_transaction, options, problems)) continue;
    PlanFile& file = m.files.at(phase);
    for (const Block& b : s.blocks) MergeStatementsBetween(file, lines, b.begin, b.end);
    CheckGooseSplit(file, lines, s.blocks, problems);
  }
}

}  // namespace

Result<Plan> ReadGoosePlan(const std::string& directory, const ReadOptions& options) {
  // goose records version_id as a number.
  return ReadFilePerMigrationPlan(directory, options, "goose", ReadSections, /*version_as_written=*/false);
}

}  // namespace cutover::plan::internal
