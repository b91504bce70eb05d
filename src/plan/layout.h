// Plan layouts: the ways teams keep migration files. cutover's own layout
// (folders NNNN_name with expand.sql, ... ; docs/plan-format.md) and the
// layouts of other migration tools, read natively (docs/layouts.md):
// golang-migrate, Flyway, dbmate, goose, sqitch and Liquibase formatted SQL.
//
// A foreign layout is read into the same Plan as cutover's own: each of the
// tool's migrations becomes a Migration whose up/deploy file is its only
// forward phase (expand, or what a `-- cutover:phase` header directive says),
// down/undo/revert its rollback and sqitch's verify its checks, with the
// tool's transaction semantics in FileSettings::no_transaction. What is
// applied comes from the tool's own history table (migrate/foreign_history.h),
// read-only: cutover never writes another tool's history and never applies a
// foreign layout to a production target.
//
// Failure: detection and readers return kInvalidInput naming the file (and
// line) that is ambiguous or malformed; kNotFound when the directory does
// not exist.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "base/status.h"

namespace cutover::plan {

enum class Layout { kCutover, kGolangMigrate, kFlyway, kDbmate, kGoose, kSqitch, kLiquibase };
inline constexpr Layout kAllLayouts[] = {Layout::kCutover,  Layout::kGolangMigrate, Layout::kFlyway,
                                         Layout::kDbmate,   Layout::kGoose,         Layout::kSqitch,
                                         Layout::kLiquibase};

// "cutover", "golang-migrate", "flyway", "dbmate", "goose", "sqitch", "liquibase".
std::string_view LayoutName(Layout layout);
std::optional<Layout> ParseLayout(std::string_view name);
// "cutover, golang-migrate, ...": for messages and --help.
std::string LayoutNames();
// The tool's own command that applies a plan of this layout: what `apply`
// names when it refuses a foreign layout. Empty for kCutover.
std::string_view LayoutApplyCommand(Layout layout);

// The layout of the plan in `directory`, from its files: cutover's folders
// NNNN_name/, golang-migrate's N_name.up.sql, Flyway's V1__name.sql,
// dbmate's and goose's markers inside the .sql files, sqitch.plan, or a
// Liquibase `--liquibase formatted sql` header. kInvalidInput when the
// files point to more than one layout (naming one file of each) or to none.
Result<Layout> DetectLayout(const std::string& directory);

// Versions as the tools compare them: dot-separated numbers, part by part
// ("1.10" after "1.9"; "1.0" equals "1"; "007" equals "7").
bool ToolVersionLess(std::string_view a, std::string_view b);
bool SameToolVersion(std::string_view a, std::string_view b);

}  // namespace cutover::plan
