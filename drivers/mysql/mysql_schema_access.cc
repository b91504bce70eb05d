// MySQL/MariaDB owners and privileges at restore. Privileges belong to
// server accounts (mysql.* tables), not to the database: a restore does not
// grant them (the schema model records them as access.privileges for drift
// and restore-test), and objects have definers, not owners, kept in their
// CREATE statements. So there is nothing to plan; accounts can still be
// looked up, in information_schema's GRANTEE form ('user'@'host').
#include <algorithm>
#include <string>
#include <vector>

#include "mysql_internal.h"

namespace cutover::mysql {

Result<std::vector<AccessStatement>> MysqlConnection::PlanAccess(const SchemaModel& /*model*/) {
  return std::vector<AccessStatement>{};
}

Result<std::vector<std::string>> MysqlConnection::MissingRoles(const std::vector<std::string>& roles) {
  std::vector<std::string> existing;
  // Every account has at least its USAGE row here (as far as the connecting
  // account may see the others).
  Status st = Query("SELECT DISTINCT GRANTEE FROM information_schema.USER_PRIVILEGES",
                    [&](RowView row) {
                      existing.emplace_back(row[0].data);
                      return Status::Ok();
                    },
                    {});
  if (!st.ok()) return st.WithContext("listing the accounts of " + display_uri());
  std::sort(existing.begin(), existing.end());
  std::vector<std::string> missing;
  for (const std::string& role : roles) {
    if (!std::binary_search(existing.begin(), existing.end(), role)) missing.push_back(role);
  }
  return missing;
}

}  // namespace cutover::mysql
