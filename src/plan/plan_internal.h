// What the plan readers share: cutover's own layout (plan.cc) and the
// foreign layouts (layout_*.cc) read files, report problems and parse SQL
// the same way. Not for use outside src/plan.
//
// Ownership: plain values; nothing here keeps a file open. Failure: parsing
// reports into a Problems list (every problem of a plan in one message);
// file access returns kIo, as ReadPlan does.
#pragma once

#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"
#include "plan/plan.h"

namespace cutover::plan::internal {

// Every problem found while reading, each "where:line: what".
class Problems {
 public:
  void Add(const std::string& where, int line, const std::string& what) {
    items_.push_back(line > 0 ? where + ":" + std::to_string(line) + ": " + what : where + ": " + what);
  }
  bool empty() const { return items_.empty(); }
  Status ToStatus(const std::string& plan) const {
    if (items_.size() == 1) return Status::InvalidInput(items_[0]);
    std::string msg = "the plan " + plan + " has " + std::to_string(items_.size()) + " problems:";
    for (const auto& item : items_) msg += "\n  " + item;
    return Status::InvalidInput(msg);
  }

 private:
  std::vector<std::string> items_;
};

// BOM removed, CRLF and lone CR turned into LF.
std::string NormalizeLineEndings(std::string_view raw);

// Parses `raw` as one file of `phase` (UTF-8 check, statements split by the
// engine's rules, `-- cutover:` directives); nullopt after reporting.
std::optional<PlanFile> ParseFileInto(std::string_view raw, const std::string& display_path, Phase phase,
                                      const ReadOptions& options, Problems* problems);

// A file found by listing its directory: gone by now is kIo, not bad input.
Result<std::string> ReadRaw(const std::filesystem::path& path);

struct DirEntry {
  std::string name;
  std::filesystem::path path;
  bool is_directory = false;
};
// The entries of `dir` sorted by name, through the Env like every file access.
Result<std::vector<DirEntry>> SortedEntries(const std::filesystem::path& dir);

// cutover's own layout (docs/plan-format.md).
Result<Plan> ReadCutoverPlan(const std::string& directory, const ReadOptions& options);
// Another tool's layout (layout.h): dispatches to that tool's reader
// (layout_<tool>.cc); kUnsupported for a layout whose reader is not built.
Result<Plan> ReadForeignPlan(const std::string& directory, Layout layout, const ReadOptions& options);

}  // namespace cutover::plan::internal
