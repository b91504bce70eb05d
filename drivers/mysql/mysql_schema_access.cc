// MySQL/MariaDB owners and privileges at restore. Privileges belong to
// server accounts (mysql.* tables), not to the database: a restore does not
// grant them (the schema model records them as access.privileges for drift
// and restore-test), and objects have definers, not owners, kept in their
// CREATE statements (WithDefiner rewrites them for restore --definer). So
// there is nothing to plan; accounts can still be looked up.
#include <algorithm>
#include <optional>
#include <string>
#include <vector>

#include "driver/driver_helpers.h"
#include "mysql_internal.h"

namespace cutover::mysql {

Result<std::vector<AccessStatement>> MysqlConnection::PlanAccess(const SchemaModel& /*model*/) {
  return std::vector<AccessStatement>{};
}

namespace {

// user@host (DEFINER form, split at the last '@') quoted as 'user'@'host'.
std::optional<std::string> QuotedAccount(std::string_view account) {
  const size_t at = account.rfind('@');
  if (at == std::string_view::npos || at == 0) return std::nullopt;
  return QuoteString(account.substr(0, at), true) + "@" + QuoteString(account.substr(at + 1), true);
}

}  // namespace

Result<std::vector<std::string>> MysqlConnection::MissingRoles(const std::vector<std::string>& roles) {
  // information_schema prints GRANTEE as 'user'@'host' without escaping the
  // quotes inside: compare in that form.
  std::vector<std::string> grantees;
  for (const std::string& role : roles) {
    const size_t at = role.rfind('@');
    const bool grantee_form = role.starts_with("'") || at == std::string::npos;
    grantees.push_back(grantee_form ? role : "'" + role.substr(0, at) + "'@'" + role.substr(at + 1) + "'");
  }
  // Every account has at least its USAGE row here (as far as the connecting
  // account may see the others).
  auto missing =
      NotListedBy(*this, "SELECT DISTINCT GRANTEE FROM information_schema.USER_PRIVILEGES", grantees);
  if (!missing.ok()) return missing.status().WithContext("listing the accounts of " + display_uri());
  std::vector<std::string> out;
  for (size_t i = 0; i < roles.size(); ++i) {
    if (std::find(missing->begin(), missing->end(), grantees[i]) != missing->end()) out.push_back(roles[i]);
  }
  return out;
}

Result<std::string> MysqlConnection::WithDefiner(std::string_view script, std::string_view definer) {
  std::string account = "CURRENT_USER";
  if (definer != "CURRENT_USER") {
    auto quoted = QuotedAccount(definer);
    if (!quoted) {
      return Status::InvalidInput("--definer '" + std::string(definer) +
                                  "' is not an account as user@host (or CURRENT_USER)");
    }
    account = *quoted;
  }
  auto statements = SplitScript(script);
  if (!statements.ok()) return statements.status().WithContext("reading the schema script");
  std::string out;
  size_t cursor = 0;
  for (const SplitStatement& st : *statements) {
    const size_t at = script.find(st.text, cursor);
    if (at == std::string_view::npos)
      return Status::Internal("the schema script's statements are not verbatim");
    out.append(script.substr(cursor, at - cursor));
    // Only CREATE heads hold a definer; a block's delimiter must not appear
    // in the new account, or the block would end inside it.
    const bool create = EqualsIgnoreCase(std::string_view(st.text).substr(0, 6), "CREATE");
    if (create && account.find(st.delimiter_after) != std::string::npos) {
      return Status::InvalidInput("--definer '" + std::string(definer) + "' holds '" + st.delimiter_after +
                                  "', which delimits a statement of the schema script");
    }
    out += create ? ReplaceDefiner(st.text, account) : st.text;
    cursor = at + st.text.size();
  }
  out.append(script.substr(cursor));
  return out;
}

}  // namespace cutover::mysql
