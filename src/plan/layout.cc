#include "plan/layout.h"

#include <regex>
#include <vector>

#include "base/file_env.h"
#include "base/strings.h"
#include "plan/plan_internal.h"

namespace cutover::plan {
namespace {

struct LayoutSpec {
  Layout layout;
  std::string_view name;
  std::string_view apply_command;
};
constexpr LayoutSpec kLayouts[] = {
    {Layout::kCutover, "cutover", ""},
    {Layout::kGolangMigrate, "golang-migrate", "migrate -path DIR -database URL up"},
    {Layout::kFlyway, "flyway", "flyway migrate"},
    {Layout::kDbmate, "dbmate", "dbmate up"},
    {Layout::kGoose, "goose", "goose DRIVER DBSTRING up"},
    {Layout::kSqitch, "sqitch", "sqitch deploy"},
    {Layout::kLiquibase, "liquibase", "liquibase update"},
};

const LayoutSpec& SpecOf(Layout layout) {
  for (const LayoutSpec& s : kLayouts) {
    if (s.layout == layout) return s;
  }
  return kLayouts[0];
}

// The first line of `text` that is not blank.
std::string_view FirstLine(std::string_view text) {
  while (!text.empty()) {
    const size_t end = text.find('\n');
    std::string_view line = Trim(text.substr(0, end));
    if (!line.empty()) return line;
    if (end == std::string_view::npos) break;
    text.remove_prefix(end + 1);
  }
  return {};
}

// Whether a line of `text`, trimmed and compared without case, starts with
// `marker` (the tools accept "-- migrate:up" and "--migrate:up" alike, so
// the spaces after "--" are skipped too).
bool HasMarkerLine(std::string_view text, std::string_view marker) {
  const std::string want = ToLower(marker);
  size_t start = 0;
  while (start < text.size()) {
    size_t end = text.find('\n', start);
    if (end == std::string_view::npos) end = text.size();
    std::string_view line = Trim(text.substr(start, end - start));
    if (line.substr(0, 2) == "--") {
      line = Trim(line.substr(2));
      if (ToLower(line.substr(0, want.size())) == want) return true;
    }
    start = end + 1;
  }
  return false;
}

// What one top-level entry says about the layout, if anything.
std::optional<Layout> LayoutOfEntry(const internal::DirEntry& e) {
  static const std::regex kCutoverFolder(R"(^\d+_[A-Za-z0-9_.\-]+$)");
  static const std::regex kGolangMigrate(R"(^\d+_.+\.(up|down)\.sql$)", std::regex::icase);
  static const std::regex kFlyway(R"(^([VU]\d+([._]\d+)*|R)__.+\.sql$)");
  if (e.is_directory) {
    if (std::regex_match(e.name, kCutoverFolder) && Env::Default().Exists(e.path / "expand.sql"))
      return Layout::kCutover;
    return std::nullopt;
  }
  if (e.name == "sqitch.plan") return Layout::kSqitch;
  if (!EndsWith(ToLower(e.name), ".sql")) return std::nullopt;
  if (std::regex_match(e.name, kGolangMigrate)) return Layout::kGolangMigrate;
  if (std::regex_match(e.name, kFlyway)) return Layout::kFlyway;
  auto text = Env::Default().ReadFile(e.path, std::uint64_t{1} << 30);
  if (!text.ok()) return std::nullopt;  // the reader reports it
  if (ToLower(FirstLine(*text)).starts_with("--liquibase formatted sql")) return Layout::kLiquibase;
  if (HasMarkerLine(*text, "migrate:up")) return Layout::kDbmate;
  if (HasMarkerLine(*text, "+goose up")) return Layout::kGoose;
  return std::nullopt;
}

}  // namespace

std::string_view LayoutName(Layout layout) {
  return SpecOf(layout).name;
}

std::optional<Layout> ParseLayout(std::string_view name) {
  const std::string lower = ToLower(name);
  for (const LayoutSpec& s : kLayouts) {
    if (s.name == lower) return s.layout;
  }
  return std::nullopt;
}

std::string LayoutNames() {
  std::string out;
  for (const LayoutSpec& s : kLayouts) out += (out.empty() ? "" : ", ") + std::string(s.name);
  return out;
}

std::string_view LayoutApplyCommand(Layout layout) {
  return SpecOf(layout).apply_command;
}

Result<Layout> DetectLayout(const std::string& directory) {
  auto entries = internal::SortedEntries(directory);
  if (!entries.ok()) return entries.status();
  // One file per layout seen, to name in a conflict.
  std::vector<std::pair<Layout, std::string>> seen;
  for (const auto& e : *entries) {
    if (e.name.empty() || e.name[0] == '.') continue;
    auto layout = LayoutOfEntry(e);
    if (!layout) continue;
    bool known = false;
    for (const auto& [l, file] : seen) known = known || l == *layout;
    if (!known) seen.emplace_back(*layout, e.name);
  }
  if (seen.size() > 1) {
    std::string which;
    for (const auto& [l, file] : seen)
      which += (which.empty() ? "" : ", ") + file + " (" + std::string(LayoutName(l)) + ")";
    return Status::InvalidInput("the plan " + directory + " mixes migration layouts: " + which +
                                "; keep one tool's files per directory, or say which to read with --layout " +
                                "NAME (" + LayoutNames() + ")");
  }
  // Nothing recognizable: cutover's own reader says precisely what is wrong.
  return seen.empty() ? Layout::kCutover : seen.front().first;
}

}  // namespace cutover::plan
