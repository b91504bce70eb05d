// What another migration tool's own history table says is applied, for a
// plan of that tool's layout (plan/layout.h, docs/layouts.md): read-only,
// as cutover's History rows, so `status`, `lint`, `drift --against history`,
// `rehearse` and `gate` work the same on every layout.
//
//   golang-migrate  schema_migrations(version, dirty): every version up to
//                   the recorded one is applied; dirty marks it failed
//   Flyway          flyway_schema_history: success, checksum (a CRC-32
//                   that differs from the file's is an edited migration),
//                   undo rows, a baseline, repeatables by checksum
//   dbmate          schema_migrations(version): one row per applied version
//   goose           goose_db_version: the newest row of each version says
//                   whether it is applied
//   Liquibase       DATABASECHANGELOG: the newest row of each author:id;
//                   EXECUTED, RERAN and MARK_RAN are applied, FAILED failed
//
// Each row is keyed by the plan migration's name and the phase of its
// forward file; a version the tool recorded that has no file in the plan is
// a row named "<tool> version V" (status: missing). cutover never writes
// these tables: on a rehearsal copy the migrations it runs itself are
// recorded in its own cutover_migrations, and ReadHistoryOf lays those rows
// over the tool's.
//
// Ownership: borrows the Connection; reads only. Failure: a driver error
// names the table; a row the tool would not write (a version that is not a
// number, a NULL where the tool never leaves one) is kInvalidInput naming
// the table and the row.
#pragma once

#include <string_view>
#include <vector>

#include "base/status.h"
#include "driver/driver.h"
#include "migrate/history.h"
#include "plan/plan.h"

namespace cutover::migrate {

// The history of `plan` in the connected database: cutover's own rows
// (ReadHistory), over the rows of the plan's tool when it is not cutover.
Result<History> ReadHistoryOf(Connection& conn, const plan::Plan& plan);

// Whether the connected database has a history of `plan`: cutover's table,
// or the plan's tool's (ToolHistoryTable). False means nothing was applied.
Result<bool> HistoryTableExistsFor(Connection& conn, const plan::Plan& plan);
// "flyway_schema_history", ...; cutover's own table for its layout.
std::string_view ToolHistoryTable(plan::Layout layout);
// Every table the tool keeps for itself, in every spelling an engine may
// give it (DATABASECHANGELOG, databasechangelog and its lock table): left
// out of schema comparisons.
std::vector<std::string_view> ToolTables(plan::Layout layout);

// Only the tool's rows (HistoryRow::source names its table); empty for
// cutover's layout and when the tool's table does not exist.
Result<History> ReadToolHistory(Connection& conn, const plan::Plan& plan);

// Whether `layout`'s tool may keep its history outside the database a
// snapshot copies (sqitch's registry: another MySQL/MariaDB database, a
// file beside a SQLite database): a rehearsal copy then gets the target's
// rows in its own history (rehearse/copy.h, CopyRequest::seed_history).
bool ToolHistoryOutsideDatabase(plan::Layout layout);

}  // namespace cutover::migrate
