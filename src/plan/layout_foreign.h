// The readers of other tools' migration layouts (layout.h, docs/layouts.md),
// one per tool in layout_<tool>.cc, and what they share. Not for use outside
// src/plan: ReadPlan() is the entry point.
//
// Each reader returns a Plan whose migrations are in the tool's apply order,
// with Migration::version as the tool's history records it, the up/deploy
// file as Phase::kExpand (SetForwardPhase moves it where a `-- cutover:phase`
// directive says), down/undo/revert as kRollback and verify as kChecks, and
// FileSettings::no_transaction set where the tool would not wrap the file in
// a transaction. Files that hold several sections (dbmate, goose, Liquibase)
// are parsed section by section with the file's own line numbers (the other
// lines blanked), so every message names the file and its real line.
//
// Failure: kInvalidInput listing every malformed file and line (an
// ambiguous version, a duplicate, a header the tool would refuse); kIo when
// a file cannot be read.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"
#include "plan/plan.h"
#include "plan/plan_internal.h"

namespace cutover::plan::internal {

Result<Plan> ReadGolangMigratePlan(const std::string& directory, const ReadOptions& options);
Result<Plan> ReadFlywayPlan(const std::string& directory, const ReadOptions& options);
Result<Plan> ReadDbmatePlan(const std::string& directory, const ReadOptions& options);
Result<Plan> ReadGoosePlan(const std::string& directory, const ReadOptions& options);
Result<Plan> ReadLiquibasePlan(const std::string& directory, const ReadOptions& options);
Result<Plan> ReadSqitchPlan(const std::string& directory, const ReadOptions& options);

// Every file under `dir` and its subdirectories (hidden ones skipped), in
// name order, each named by its path relative to the plan ("prefix" + ...).
Status WalkFiles(const std::filesystem::path& dir, const std::string& prefix, std::vector<DirEntry>* out);

// After a reader filled m.files: the up file's `-- cutover:irreversible` and
// `-- cutover:phase` header directives take effect (the file moves to the
// phase named; without one it stays the expand phase).
void SetForwardPhase(Migration& m);

// Versions made of digits compared as numbers: "10" after "9"; "007" is "7".
std::string WithoutLeadingZeros(std::string_view digits);
bool NumericLess(const std::string& a, const std::string& b);  // both without leading zeros
// "1.2.10" -> {"1", "2", "10"}: each part without leading zeros, trailing
// zero parts dropped ("1.0" is "1"); the key Flyway orders versions by.
std::vector<std::string> VersionKey(std::string_view dotted);
bool VersionKeyLess(const std::vector<std::string>& a, const std::vector<std::string>& b);

// A file named {digits}_{title}.sql (dbmate, goose).
struct NumberedFile {
  std::string version;  // the digits without leading zeros
  std::string name;     // the file name without ".sql"
  DirEntry entry;
};
// The {digits}_{title}.sql files of `entries` in version order. Another .sql
// file, or two files of one version, is a problem naming both; other files
// are plan warnings (ignored, as the tool ignores them).
std::vector<NumberedFile> NumberedSqlFiles(const std::vector<DirEntry>& entries, std::string_view tool,
                                           Plan* plan, Problems* problems);

// The lines of a normalized text (LF endings), without their '\n'.
std::vector<std::string_view> SplitLines(std::string_view text);
// The text with every line outside [first, last] (1-based, inclusive) and
// every line in `drop` made empty: one section of a file, parsed with the
// file's own line numbers.
std::string KeepLines(const std::vector<std::string_view>& lines, int first, int last,
                      const std::vector<int>& drop = {});

// A line "-- WORD..." (any spaces after "--"): what follows the dashes,
// trimmed; nullopt for any other line.
std::optional<std::string_view> CommentBody(std::string_view line);

// dbmate and goose: one {version}_{title}.sql file per migration, whose
// sections `read_sections` parses into the migration (its text normalized).
// `version_as_written`: the history records the digits as they are in the
// file name (dbmate), not as a number (goose).
using SectionReader = void (*)(Migration& m, std::string_view text, const DirEntry& entry,
                               const ReadOptions& options, Problems* problems);
Result<Plan> ReadFilePerMigrationPlan(const std::string& directory, const ReadOptions& options,
                                      std::string_view tool, SectionReader read_sections,
                                      bool version_as_written);

// Parses `section` (KeepLines of the file) as `phase` of `m`, recording the
// file's path; false after reporting a problem.
bool AddSection(Migration& m, const std::string& section, const DirEntry& entry, Phase phase,
                bool no_transaction, const ReadOptions& options, Problems* problems);

// The statements of `file` that begin after line `after` and before line
// `before` become one statement, the text of those lines: what the tool
// sends whole (a goose StatementBegin/End block, a Liquibase changeset with
// splitStatements:false or a chunk ended by its endDelimiter).
void MergeStatementsBetween(PlanFile& file, const std::vector<std::string_view>& lines, int after,
                            int before);

// The plan a reader fills: `directory` for the options' engine, no migrations.
Plan EmptyPlan(const std::string& directory, const ReadOptions& options);

// A reader's result: every problem at once, or the plan (an empty plan is
// a problem: `example` names a first file to add).
Result<Plan> FinishPlan(Plan plan, const Problems& problems, std::string_view tool, std::string_view example);

}  // namespace cutover::plan::internal
