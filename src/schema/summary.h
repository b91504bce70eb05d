// The human-readable schema summary printed by `cutover schema TARGET`.
#pragma once

#include <string>

#include "driver/schema_model.h"

namespace cutover {

// A count line per kind, then each table with its columns, keys, indexes and
// triggers, then the other objects. `source` is the redacted URI.
std::string SchemaSummaryText(const SchemaModel& model, const std::string& source);

}  // namespace cutover
