// MySQL/MariaDB owners and privileges at restore. Privileges belong to
// server accounts (mysql.* tables), not to the database: a restore does not
// grant them (the schema model records them as access.privileges for drift
// and restore-test), and objects have definers, not owners, kept in their
// CREATE statements. So there is nothing to plan; accounts can still be
// looked up, in information_schema's GRANTEE form ('user'@'host').
#include <string>
#include <vector>

#include "driver/driver_helpers.h"
#include "mysql_internal.h"

namespace cutover::mysql {

Result<std::vector<AccessStatement>> MysqlConnection::PlanAccess(const SchemaModel& /*model*/) {
  return std::vector<AccessStatement>{};
}

Result<std::vector<std::string>> MysqlConnection::MissingRoles(const std::vector<std::string>& roles) {
  // Every account has at least its USAGE row here (as far as the connecting
  // account may see the others).
  auto missing = NotListedBy(*this, "SELECT DISTINCT GRANTEE FROM information_schema.USER_PRIVILEGES", roles);
  if (!missing.ok()) return missing.status().WithContext("listing the accounts of " + display_uri());
  return missing;
}

}  // namespace cutover::mysql
