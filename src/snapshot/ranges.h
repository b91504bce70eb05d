// Ranges of a table for parallel readers: the snapshot splits its big
// tables with them, and the restore test splits its read-back the same way
// (the content digest does not depend on the order rows are read in).
//
// A range is a predicate for Connection::ExportRows; together a table's
// predicates hold every row exactly once. Read-only: the queries that find
// the bounds run on the caller's connection (inside its snapshot, when it
// has one). Errors are the connection's, with the table named.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "base/status.h"
#include "driver/driver.h"

namespace cutover::snapshot {

// About `parts` predicates for parallel readers of `t`: by physical position
// where the engine can (Connection::PhysicalRanges), else on the integer
// split column between its min and max, else one empty predicate (the whole
// table).
Result<std::vector<std::string>> SplitForReaders(Connection& conn, const DataTable& t, std::int64_t parts);

}  // namespace cutover::snapshot
