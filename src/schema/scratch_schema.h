// The schema a DDL script produces, read back from the server itself.
//
// The script runs in a fresh scratch database (cutover_scratch_<time>_<rand>)
// on the scratch server, the schema is read through the same introspection as
// a live database (so the server does the normalizing), and the scratch
// database is dropped afterwards, also when the script or the read fails.
// SIGINT/SIGTERM/SIGHUP are held back while the scratch database exists and
// delivered after it is dropped, so Ctrl-C cannot leave one behind.
#pragma once

#include <functional>
#include <string>
#include <string_view>

#include "base/interrupt.h"  // InterruptedStatus, for the callers that poll
#include "base/status.h"
#include "base/uri.h"
#include "driver/driver.h"

namespace cutover {

// The prefix every database cutover creates carries; it only ever drops
// databases with this prefix.
inline constexpr std::string_view kScratchPrefix = "cutover_scratch_";

// A fresh scratch database name: cutover_scratch_<yyyymmddhhmmss>_<8 hex>.
std::string NewScratchName();

// Creates a fresh scratch database on `scratch_server`, calls `use` with its
// name and URI, and drops it afterwards, also when `use` fails. SIGINT,
// SIGTERM and SIGHUP are held meanwhile and delivered after the drop; `use`
// may poll TerminationPending() to stop early. Returns the error of `use`
// (a failed drop is added to it), else the failure to create or drop.
Status WithScratchDatabase(
    Driver& driver, const ConnectionUri& scratch_server,
    const std::function<Status(const std::string& name, const ConnectionUri& database)>& use);

// True when a termination signal arrived while WithScratchDatabase holds
// them back (InterruptToken::Requested()): the caller should stop at the
// next safe point and return InterruptedStatus(...).
bool TerminationPending();

// `source` names the script in error messages (a file path).
Result<SchemaModel> SchemaFromDdl(Driver& driver, const ConnectionUri& scratch_server, std::string_view ddl,
                                  const std::string& source);

}  // namespace cutover
