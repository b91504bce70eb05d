// RehearsalHtml: one self-contained HTML page of a rehearsal
// (`cutover rehearse --html FILE`, docs/rehearsal.md "HTML report").
//
// What it is for: people reading why a rehearsal passed or failed. The page
// has a header (target, engine, snapshot, plan sha, when, verdict), the
// rehearsal as an inline SVG timeline (one bar per statement execution,
// grouped by phase and labelled file:line; the locks the migration held;
// per probed table the probe latency series and the blocked intervals
// highlighted), the tables the text report has (statements, backfills,
// rollback drills, compat and checks, the window estimate, the lock-queue
// drill), findings, notes and the evidence (fingerprints, probes, lock
// observer).
//
// Self-contained: no script, no external stylesheet, font, image or link;
// inline CSS and SVG only, so the file can be archived as a CI artifact and
// opened offline. Every string that comes from the plan or the database
// (SQL text, table and file names, errors) is escaped, so hostile
// identifiers stay inert text.
//
// Stable hooks for tests and tools (docs/rehearsal.md lists them):
//   <rect class="stmt-bar" data-file data-line data-phase data-start-ms
//         data-duration-ms data-ok>
//   <rect class="lock-held" data-object data-mode data-start-ms data-duration-ms>
//   <rect class="blocked" data-table data-kind="read|write" data-start-ms
//         data-duration-ms>
//   <polyline class="latency" data-table data-kind>
//   <svg id="timeline" data-elapsed-ms>
//
// Ownership and failure: a pure function of its arguments; it cannot fail.
#pragma once

#include <string>

#include "rehearse/rehearsal.h"
#include "rehearse/report.h"

namespace cutover::report {

std::string RehearsalHtml(const rehearse::RehearsalContext& context, const rehearse::RehearsalReport& report);

}  // namespace cutover::report
