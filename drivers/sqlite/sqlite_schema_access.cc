// SQLite owners and privileges: a SQLite file has neither (access is the
// file's permissions), so a restore has nothing to plan and no role is ever
// missing.
#include <string>
#include <vector>

#include "sqlite_internal.h"

namespace cutover::sqlite {

Result<std::vector<AccessStatement>> SqliteConnection::PlanAccess(const SchemaModel& /*model*/) {
  return std::vector<AccessStatement>{};
}

Result<std::vector<std::string>> SqliteConnection::MissingRoles(const std::vector<std::string>& /*roles*/) {
  return std::vector<std::string>{};
}

// Objects here have owners (PostgreSQL) or nothing (SQLite), no definer.
Result<std::string> SqliteConnection::WithDefiner(std::string_view script, std::string_view /*definer*/) {
  return std::string(script);
}

}  // namespace cutover::sqlite
