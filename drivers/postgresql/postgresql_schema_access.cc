// PostgreSQL owners and privileges at restore: the statements that give
// restored objects the owners and ACLs the source's schema model recorded
// (access.owner, access.privileges; read in postgresql_schema.cc), and which
// of the roles they name the destination lacks.
//
// The database's own owner and ACL (recorded when its ACL is not the
// default) go to the database restored into, as pg_restore --create does.
//
// An object whose ACL was the default (NULL) gets no privilege statement.
// One with an explicit ACL gets REVOKE ALL from PUBLIC and from its owner,
// then one GRANT per recorded entry: the result is the recorded ACL whatever
// the server version's defaults are. Column ACLs are empty by default and
// only get their GRANTs.
#include <algorithm>
#include <cctype>
#include <optional>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "driver/driver_helpers.h"
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
// without owners or privileges. The database object stands for the one
// being restored into, `database`.
std::optional<Target> TargetOf(const SchemaObject& o, const PgConnection& c, const std::string& database) {
  const std::string qualified = c.QuoteIdentifier(o.schema) + "." + c.QuoteIdentifier(o.name);
  switch (o.kind) {
    case ObjectKind::kDatabase:
      return Target{"ALTER DATABASE " + c.QuoteIdentifier(database),
                    "DATABASE " + c.QuoteIdentifier(database)};
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

// One access.privileges entry, "grantee:PRIVILEGE[ WITH GRANT OPTION]" (the
// grantee may hold ':'), taken apart and checked.
struct Entry {
  std::string grantee;  // "PUBLIC" for everyone
  std::string privilege;
  bool grant_option = false;
  std::string text;  // as recorded
};

Result<Entry> ParseEntry(const std::string& path, const std::string& entry) {
  static const std::string kGrantOption = " WITH GRANT OPTION";
  const size_t colon = entry.rfind(':');
  if (colon == std::string::npos || colon == 0) {
    return Status::InvalidInput(path + ": privilege entry '" + entry + "' is not grantee:PRIVILEGE");
  }
  Entry e{entry.substr(0, colon), entry.substr(colon + 1), false, entry};
  if (e.privilege.ends_with(kGrantOption)) {
    e.grant_option = true;
    e.privilege.resize(e.privilege.size() - kGrantOption.size());
  }
  if (e.privilege.empty() ||
      e.privilege.find_first_not_of("ABCDEFGHIJKLMNOPQRSTUVWXYZ ") != std::string::npos) {
    return Status::InvalidInput(path + ": privilege entry '" + entry + "' names no privilege");
  }
  return e;
}

Result<std::vector<Entry>> ParseEntries(const std::string& path, const std::string& attribute,
                                        const std::string& value) {
  auto items = ParseListValue(value);
  if (!items) return Status::InvalidInput(path + ": " + attribute + " is not a list: " + value);
  std::vector<Entry> out;
  for (const std::string& item : *items) {
    auto e = ParseEntry(path, item);
    if (!e.ok()) return e.status();
    out.push_back(std::move(*e));
  }
  return out;
}

// Builds the statements of one object, in the order they must run.
class AccessPlanner {
 public:
  AccessPlanner(const PgConnection& c, std::string database) : c_(c), database_(std::move(database)) {}

  Status Object(const SchemaObject& o) {
    auto owner = o.attributes.find("access.owner");
    auto acl = o.attributes.find("access.privileges");
    if (owner == o.attributes.end() && acl == o.attributes.end()) return Status::Ok();
    auto target = TargetOf(o, c_, database_);
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
                        target->alter + " OWNER TO " + Q(owner->second)});
    }
    if (acl == o.attributes.end()) return Status::Ok();
    auto entries = ParseEntries(path, acl->first, acl->second);
    if (!entries.ok()) return entries.status();
    std::string columns;
    if (o.kind == ObjectKind::kColumn) {
      columns = " (" + Q(o.name) + ")";  // column ACLs start empty: nothing to revoke
    } else {
      Privilege(path, "revoke the defaults from PUBLIC", {},
                "REVOKE ALL ON " + target->grant + " FROM PUBLIC");
      if (owner != o.attributes.end()) {
        Privilege(path, "revoke the defaults from the owner", {owner->second},
                  "REVOKE ALL ON " + target->grant + " FROM " + Q(owner->second));
      }
    }
    for (const Entry& e : *entries) {
      Privilege(path, e.privilege + (e.grant_option ? " WITH GRANT OPTION" : ""), Roles({e.grantee}),
                "GRANT " + e.privilege + columns + " ON " + target->grant + " TO " + Grantee(e));
    }
    return Status::Ok();
  }

  // access.default_privileges.<objects>.<role> of a schema (IN SCHEMA: its
  // ACL only adds to the defaults) or of the database (the whole default
  // ACL of the role's new objects: revoked first, then granted).
  Status DefaultPrivileges(const SchemaObject& o) {
    static const std::string kPrefix = "access.default_privileges.";
    for (const auto& [key, value] : o.attributes) {
      if (!key.starts_with(kPrefix)) continue;
      const std::string rest = key.substr(kPrefix.size());
      const size_t dot = rest.find('.');
      static const std::set<std::string> kObjects = {"tables", "sequences", "functions", "types", "schemas"};
      if (dot == std::string::npos || dot + 1 == rest.size() || !kObjects.count(rest.substr(0, dot))) {
        return Status::InvalidInput(o.Path() + ": attribute " + key + " is not " + kPrefix +
                                    "<objects>.<role>");
      }
      const std::string objects = rest.substr(0, dot);
      const std::string role = rest.substr(dot + 1);
      std::string on = objects;
      for (char& ch : on) ch = static_cast<char>(std::toupper(static_cast<unsigned char>(ch)));
      const std::string alter = "ALTER DEFAULT PRIVILEGES FOR ROLE " + Q(role) +
                                (o.kind == ObjectKind::kSchema ? " IN SCHEMA " + Q(o.name) : "");
      const std::string what = " on new " + objects + " of " + role;
      auto entries = ParseEntries(o.Path(), key, value);
      if (!entries.ok()) return entries.status();
      if (o.kind == ObjectKind::kDatabase) {
        Privilege(o.Path(), "revoke the defaults from PUBLIC" + what, {role},
                  alter + " REVOKE ALL ON " + on + " FROM PUBLIC");
        Privilege(o.Path(), "revoke the defaults from " + role + what, {role},
                  alter + " REVOKE ALL ON " + on + " FROM " + Q(role));
      }
      for (const Entry& e : *entries) {
        std::vector<std::string> roles = Roles({role, e.grantee});
        Privilege(o.Path(), "default " + e.privilege + (e.grant_option ? " WITH GRANT OPTION" : "") + what,
                  roles, alter + " GRANT " + e.privilege + " ON " + on + " TO " + Grantee(e));
      }
    }
    return Status::Ok();
  }

  std::vector<AccessStatement> owners;
  std::vector<AccessStatement> privileges;

 private:
  std::string Q(const std::string& name) const { return c_.QuoteIdentifier(name); }
  std::string Grantee(const Entry& e) const {
    return (e.grantee == "PUBLIC" ? std::string("PUBLIC") : Q(e.grantee)) +
           (e.grant_option ? " WITH GRANT OPTION" : "");
  }
  static std::vector<std::string> Roles(std::vector<std::string> names) {
    std::erase(names, "PUBLIC");
    std::sort(names.begin(), names.end());
    names.erase(std::unique(names.begin(), names.end()), names.end());
    return names;
  }
  void Privilege(const std::string& path, std::string what, std::vector<std::string> roles, std::string sql) {
    privileges.push_back(
        {AccessStatement::Kind::kPrivilege, path, std::move(what), std::move(roles), std::move(sql)});
  }

  const PgConnection& c_;
  const std::string database_;
};

}  // namespace

Result<std::vector<AccessStatement>> PgConnection::PlanAccess(const SchemaModel& model) {
  const char* database = raw_->pg != nullptr ? PQdb(raw_->pg) : nullptr;
  AccessPlanner planner(*this, database != nullptr ? database : "");
  for (const SchemaObject& o : model.objects) {
    CUTOVER_RETURN_IF_ERROR(planner.Object(o));
    CUTOVER_RETURN_IF_ERROR(planner.DefaultPrivileges(o));
  }
  std::vector<AccessStatement> out = std::move(planner.owners);
  out.insert(out.end(), std::make_move_iterator(planner.privileges.begin()),
             std::make_move_iterator(planner.privileges.end()));
  return out;
}

Result<std::vector<std::string>> PgConnection::MissingRoles(const std::vector<std::string>& roles) {
  auto missing = NotListedBy(*this, "SELECT rolname FROM pg_catalog.pg_roles", roles);
  if (!missing.ok()) return missing.status().WithContext("listing the roles of " + display_uri());
  return missing;
}

// Objects here have owners (PostgreSQL) or nothing (SQLite), no definer.
Result<std::string> PgConnection::WithDefiner(std::string_view script, std::string_view /*definer*/) {
  return std::string(script);
}

}  // namespace cutover::postgresql
