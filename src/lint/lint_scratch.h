// `cutover lint --scratch URI` for MySQL/MariaDB: instead of guessing from
// the text whether an ALTER copies the table or blocks writes, ask the
// server, on a scratch copy.
//
// LintPlanOnScratch() creates a fresh scratch database (kScratchPrefix) on
// the scratch server, copies the schema of `schema_source` into it when one
// is given (schema only, read-only on the source: no rows), and lints the
// plan with a StatementProbe that runs every statement the plan applies
// (expand, then contract, of each migration; backfill changes data only) on
// that database:
//   - ALTER TABLE, CREATE INDEX, DROP INDEX: first with ALGORITHM=INSTANT,
//     then, if the server refuses (ER_ALTER_OPERATION_NOT_SUPPORTED[_REASON],
//     1845/1846), with ALGORITHM=INPLACE, LOCK=NONE; if that is refused too
//     the statement copies the table or blocks writes (MY011), with the
//     server's reasons; a statement that names ALGORITHM or LOCK itself is
//     run as written. Then the statement is applied as written so later
//     statements meet the right schema.
//   - other statements run as written; a failure is MY013 with the server's
//     message.
//   - statements that could reach beyond the scratch database (USE, names of
//     other databases on the server, CREATE/DROP DATABASE, GRANT, SET
//     GLOBAL, LOAD DATA, INTO OUTFILE, ...) are not run (MY014).
// With a schema source, migrations before --from are taken as already
// applied there and are not run; without one they run (unreported) to
// build the schema.
//
// The scratch database is dropped afterwards, also on failure; SIGINT,
// SIGTERM and SIGHUP are held meanwhile, stop the run at the next
// statement, and are delivered after the drop (scratch_schema.h).
// Failure: kUnsupported for a plan that is not MySQL/MariaDB; the plan's own
// input errors (kInvalidInput) before anything connects; kConnection /
// kQuery when the scratch server cannot be reached, the database cannot be
// created or the schema cannot be copied. Messages carry redacted URIs only.
#pragma once

#include <functional>
#include <string>

#include "base/status.h"
#include "base/uri.h"
#include "driver/driver.h"
#include "lint/lint.h"
#include "plan/plan.h"

namespace cutover::lint {

struct ScratchLintRequest {
  Driver* driver = nullptr;      // the MySQL driver plugin (not owned)
  ConnectionUri scratch_server;  // a server on which cutover may create databases
  // The live database whose schema is copied first (not owned; only
  // DumpSchemaScript is called on it). nullptr: the scratch starts empty.
  Connection* schema_source = nullptr;
  // Called once the scratch database exists, with its name (for logs).
  std::function<void(const std::string& name)> on_created;
};

Result<LintReport> LintPlanOnScratch(const plan::Plan& plan, const LintOptions& options,
                                     const ScratchLintRequest& request);

}  // namespace cutover::lint
