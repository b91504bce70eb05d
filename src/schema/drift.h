// Drift: the differences between an expected and an actual schema model.
//
// "Expected" is what the schema should be (another database, a saved schema,
// a DDL file, later a snapshot or the migration history); "actual" is the live
// target. Objects are matched by identity (kind, schema, table, name) and
// classified:
//   missing     expected but absent from the live database
//   unexpected  present in the live database but not expected
//   changed     present in both with different attributes (each listed)
//   column_order the same columns in a different relative order; its own
//               class so a pipeline can choose to ignore it
// When a whole table or view is missing or unexpected, the objects it owns
// (columns, constraints, indexes, triggers) are not listed again.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "base/status.h"
#include "driver/schema_model.h"

namespace cutover {

enum class DiffKind { kMissing, kUnexpected, kChanged, kColumnOrder };
const char* DiffKindName(DiffKind kind);  // "missing", "unexpected", "changed", "column_order"

struct AttributeChange {
  std::string attribute;
  std::optional<std::string> expected;  // nullopt: the attribute is absent
  std::optional<std::string> actual;
};

struct Difference {
  DiffKind kind = DiffKind::kChanged;
  ObjectKind object_kind = ObjectKind::kTable;
  std::string path;                         // the object's display path
  std::string owner;                        // the owning table's path for child objects, else path
  std::vector<AttributeChange> changes;     // kChanged: per attribute
  std::vector<std::string> expected_order;  // kColumnOrder: column names
  std::vector<std::string> actual_order;
};

struct DriftOptions {
  // Globs (fnmatch) over object paths; matching objects, and everything a
  // matching table owns, are left out of the comparison.
  std::vector<std::string> ignore_globs;
  // Column order differences are still reported but do not count as drift.
  bool ignore_column_order = false;
  // Compare the access attributes too (owners, privileges, definers,
  // sql_mode: schema_model.h); off by default, as environments differ in
  // their roles.
  bool with_privileges = false;
};

struct DriftReport {
  std::string expected_source;  // redacted URI or file path
  std::string actual_source;
  std::string expected_fingerprint;
  std::string actual_fingerprint;
  bool ignore_column_order = false;
  bool with_privileges = false;         // access attributes were compared
  std::vector<Difference> differences;  // sorted by owner, then object

  size_t Count(DiffKind kind) const;
  // True when any difference counts (column order only when not ignored).
  bool HasDrift() const;
};

// Fails with kInvalidInput when the models are of different engines.
Result<DriftReport> ComputeDrift(const SchemaModel& expected, const SchemaModel& actual,
                                 const DriftOptions& options);

// Renderings.
std::string DriftReportText(const DriftReport& report);
std::string DriftReportJson(const DriftReport& report);

}  // namespace cutover
