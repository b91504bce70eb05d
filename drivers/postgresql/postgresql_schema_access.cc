// PostgreSQL owners and privileges at restore: the statements that give
// restored objects the owners and ACLs the source's schema model recorded
// (access.owner, access.privileges; read in postgresql_schema.cc), and which
// of the roles they name the destination lacks.
//
// An object whose ACL was the default (NULL) gets no privilege statement.
// One with an explicit ACL gets REVOKE ALL from PUBLIC and from its owner,
// then one GRANT per recorded entry: the result is the recorded ACL whatever
// the server version's defaults are. Column ACLs are empty by default and
// only get their GRANTs.
#include <algorithm>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "postgresql_internal.h"

namespace cutover::postgresql {
namespace {

// A routine's model name "name(arg types)" split into the name and the
// argument list, which format_type() wrote as SQL (quoted where needed). The
// name itself is raw and may hold parentheses: the list is the last
// balanced "(...)" outside double quotes.
std::optional<std::pair<std::string, std::string>> SplitRoutineName(const std::string& name) {
  if (name.empty() || name.back() != ')') return std::nullopt;
  int depth = 0;
  bool quoted = false;
  for (size_t i = name.size(); i-- > 0;) {
    const char c = name[i];
    if (c == '"') quoted = !quoted;  // a doubled "" toggles twice
    if (quoted) continue;
    if (c == ')') ++depth;
    if (c == '(' && --depth == 0) return std::make_pair(name.substr(0, i), name.substr(i));
  }
  return std::nullopt;
}

struct Target {
  std::string alter;  // ALTER ... for OWNER TO; "" when the owner is not set on its own
  std::string grant;  // the object in GRANT/REVOKE ... ON
};

// How GRANT and ALTER ... OWNER TO name the object; nullopt for kinds
// without owners or privileges.
std::optional<Target> TargetOf(const SchemaObject& o, const PgConnection& c) {
  const std::string qualified = c.QuoteIdentifier(o.schema) + "." + c.QuoteIdentifier(o.name);
  switch (o.kind) {
    case ObjectKind::kSchema:
      return Target{"ALTER SCHEMA " + c.QuoteIdentifier(o.name), "SCHEMA " + c.QuoteIdentifier(o.name)};
    case ObjectKind::kTable: return Target{"ALTER TABLE " + qualified, "TABLE " + qualified};
    case ObjectKind::kView: return Target{"ALTER VIEW " + qualified, "TABLE " + qualified};
    case ObjectKind::kMaterializedView:
      return Target{"ALTER MATERIALIZED VIEW " + qualified, "TABLE " + qualified};
    case ObjectKind::kSequence: {
      // A sequence owned by a column follows its table's owner; setting
      // its owner alone is refused.
      const bool linked = o.attributes.count("owned_by") > 0;
      return Target{linked ? "" : "ALTER SEQUENCE " + qualified, "SEQUENCE " + qualified};
    }
    case ObjectKind::kEnumType: return Target{"ALTER TYPE " + qualified, "TYPE " + qualified};
    case ObjectKind::kDomain: return Target{"ALTER DOMAIN " + qualified, "DOMAIN " + qualified};
    case ObjectKind::kFunction:
    case ObjectKind::kProcedure: {
      auto parts = SplitRoutineName(o.name);
      if (!parts) return std::nullopt;
      const std::string word = o.kind == ObjectKind::kFunction ? "FUNCTION " : "PROCEDURE ";
      const std::string sig =
          c.QuoteIdentifier(o.schema) + "." + c.QuoteIdentifier(parts->first) + parts->second;
      return Target{"ALTER " + word + sig, word + sig};
    }
    case ObjectKind::kColumn:
      return Target{"", "TABLE " + c.QuoteIdentifier(o.schema) + "." + c.QuoteIdentifier(o.table)};
    default: return std::nullopt;
  }
}

// "grantee:PRIVILEGE[ WITH GRANT OPTION]"; the grantee may hold ':'.
std::optional<std::pair<std::string, std::string>> SplitEntry(const std::string& entry) {
  const size_t colon = entry.rfind(':');
  if (colon == std::string::npos || colon == 0) return std::nullopt;
  return std::make_pair(entry.substr(0, colon), entry.substr(colon + 1));
}

const char* kGrantOption = " WITH GRANT OPTION";

}  // namespace

Result<std::vector<AccessStatement>> PgConnection::PlanAccess(const SchemaModel& model) {
  std::vector<AccessStatement> owners;
  std::vector<AccessStatement> privileges;
  for (const SchemaObject& o : model.objects) {
    auto owner = o.attributes.find("access.owner");
    auto acl = o.attributes.find("access.privileges");
    if (owner == o.attributes.end() && acl == o.attributes.end()) continue;
    auto target = TargetOf(o, *this);
    if (!target) {
      return Status::InvalidInput("the schema model's " + std::string(ObjectKindName(o.kind)) + " " +
                                  o.Path() +
                                  " has owners or privileges cutover cannot restore; report this as a bug");
    }
    const std::string path = o.Path();
    if (owner != o.attributes.end() && !target->alter.empty()) {
      owners.push_back({AccessStatement::Kind::kOwner,
                        path,
                        "owner",
                        {owner->second},
                        target->alter + " OWNER TO " + QuoteIdentifier(owner->second)});
    }
    if (acl == o.attributes.end()) continue;
    auto entries = ParseListValue(acl->second);
    if (!entries) return Status::InvalidInput(path + ": access.privileges is not a list: " + acl->second);
    std::string columns;
    if (o.kind == ObjectKind::kColumn) {
      columns = " (" + QuoteIdentifier(o.name) + ")";
    } else {
      privileges.push_back({AccessStatement::Kind::kPrivilege,
                            path,
                            "revoke the defaults from PUBLIC",
                            {},
                            "REVOKE ALL ON " + target->grant + " FROM PUBLIC"});
      if (owner != o.attributes.end()) {
        privileges.push_back({AccessStatement::Kind::kPrivilege,
                              path,
                              "revoke the defaults from the owner",
                              {owner->second},
                              "REVOKE ALL ON " + target->grant + " FROM " + QuoteIdentifier(owner->second)});
      }
    }
    for (const std::string& entry : *entries) {
      auto parts = SplitEntry(entry);
      if (!parts)
        return Status::InvalidInput(path + ": access.privileges entry '" + entry +
                                    "' is not grantee:PRIVILEGE");
      auto [grantee, what] = *parts;
      std::string privilege = what;
      const bool option =
          privilege.size() > std::string(kGrantOption).size() && privilege.ends_with(kGrantOption);
      if (option) privilege.resize(privilege.size() - std::string(kGrantOption).size());
      if (privilege.empty() ||
          privilege.find_first_not_of("ABCDEFGHIJKLMNOPQRSTUVWXYZ ") != std::string::npos) {
        return Status::InvalidInput(path + ": access.privileges entry '" + entry + "' names no privilege");
      }
      const bool is_public = grantee == "PUBLIC";
      privileges.push_back({AccessStatement::Kind::kPrivilege, path, what,
                            is_public ? std::vector<std::string>{} : std::vector<std::string>{grantee},
                            "GRANT " + privilege + columns + " ON " + target->grant + " TO " +
                                (is_public ? std::string("PUBLIC") : QuoteIdentifier(grantee)) +
                                (option ? kGrantOption : "")});
    }
  }
  owners.insert(owners.end(), std::make_move_iterator(privileges.begin()),
                std::make_move_iterator(privileges.end()));
  return owners;
}

Result<std::vector<std::string>> PgConnection::MissingRoles(const std::vector<std::string>& roles) {
  std::vector<std::string> existing;
  Status st = Query("SELECT rolname FROM pg_catalog.pg_roles",
                    [&](RowView row) {
                      existing.emplace_back(row[0].data);
                      return Status::Ok();
                    },
                    {});
  if (!st.ok()) return st.WithContext("listing the roles of " + display_uri());
  std::sort(existing.begin(), existing.end());
  std::vector<std::string> missing;
  for (const std::string& role : roles) {
    if (!std::binary_search(existing.begin(), existing.end(), role)) missing.push_back(role);
  }
  return missing;
}

}  // namespace cutover::postgresql
