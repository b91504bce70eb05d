// dbmate: one file {version}_{title}.sql per migration, its up section
// after a `-- migrate:up` line and its optional down section after
// `-- migrate:down`. Each section runs in one transaction unless its marker
// line says `transaction:false`. The version (the leading digits, usually
// a timestamp) is what dbmate records in schema_migrations(version).
#include <optional>

#include "base/strings.h"
#include "plan/layout_foreign.h"

namespace cutover::plan::internal {
namespace {

struct Marker {
  Phase phase = Phase::kExpand;
  int line = 0;
  bool no_transaction = false;
};

// "migrate:up transaction:false" -> a marker; nullopt for any other line.
std::optional<Marker> ParseMarker(std::string_view line, int number, const std::string& where,
                                  Problems* problems) {
  auto body = CommentBody(line);
  if (!body) return std::nullopt;
  const std::string lower = ToLower(*body);
  Marker marker;
  marker.line = number;
  std::string_view options;
  if (lower.starts_with("migrate:up")) {
    options = body->substr(10);
  } else if (lower.starts_with("migrate:down")) {
    marker.phase = Phase::kRollback;
    options = body->substr(12);
  } else {
    return std::nullopt;
  }
  for (std::string_view word : Split(Trim(options), ' ')) {
    if (word.empty()) continue;
    if (ToLower(word) == "transaction:false") {
      marker.no_transaction = true;
    } else if (ToLower(word) != "transaction:true") {
      problems->Add(where, number,
                    "unknown dbmate option '" + std::string(word) +
                        "' (dbmate knows transaction:false and transaction:true)");
    }
  }
  return marker;
}

// The up and down sections of one file into `m`.
void ReadSections(Migration& m, std::string_view text, const DirEntry& entry, const ReadOptions& options,
                  Problems* problems) {
  const std::vector<std::string_view> lines = SplitLines(text);
  std::vector<Marker> markers;
  int first_content = 0;
  for (int n = 1; n <= static_cast<int>(lines.size()); ++n) {
    if (auto marker = ParseMarker(lines[n - 1], n, entry.name, problems)) {
      markers.push_back(*marker);
    } else if (first_content == 0 && !Trim(lines[n - 1]).empty() && !CommentBody(lines[n - 1])) {
      first_content = n;
    }
  }
  if (markers.empty() || markers.front().phase != Phase::kExpand) {
    problems->Add(
        entry.name, markers.empty() ? 0 : markers.front().line,
        "dbmate needs a '-- migrate:up' line before the migration's statements (and '-- migrate:down' "
        "after them for the way back)");
    return;
  }
  if (first_content != 0 && first_content < markers.front().line) {
    problems->Add(
        entry.name, first_content,
        "a statement before '-- migrate:up': dbmate runs only what is inside the up and down sections; "
        "move it below the marker");
  }
  for (size_t i = 0; i < markers.size(); ++i) {
    if (i > 0 && markers[i].phase == markers[i - 1].phase) {
      problems->Add(
          entry.name, markers[i].line,
          "a second '-- migrate:" + std::string(markers[i].phase == Phase::kExpand ? "up" : "down") +
              "' (the first is line " + std::to_string(markers[i - 1].line) + "): dbmate allows one each");
      return;
    }
    const int last = i + 1 < markers.size() ? markers[i + 1].line - 1 : static_cast<int>(lines.size());
    const std::string section = KeepLines(lines, markers[i].line + 1, last);
    if (markers[i].phase == Phase::kRollback && Trim(section).empty()) continue;  // an empty down
    AddSection(m, section, entry, markers[i].phase, markers[i].no_transaction, options, problems);
  }
}

}  // namespace

Result<Plan> ReadDbmatePlan(const std::string& directory, const ReadOptions& options) {
  // dbmate records the digits as written, leading zeros and all.
  return ReadFilePerMigrationPlan(directory, options, "dbmate", ReadSections, /*version_as_written=*/true);
}

}  // namespace cutover::plan::internal
