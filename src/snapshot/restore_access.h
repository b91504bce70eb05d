// Owners, privileges and definers at restore: what a restore gives the
// restored objects of the access attributes (access.owner,
// access.privileges, access.definer) the snapshot's schema model recorded,
// and restore-test's check of the result.
//
// The driver turns the model into statements (Connection::PlanAccess); this
// file decides which of them run. Roles the destination lacks are found
// before anything is restored: the restore then fails naming each role and
// what it would have received, unless the policy skips them (their
// statements are left out and reported). Engines that keep no privileges in
// the database plan nothing, and a snapshot taken before access attributes
// existed has none: both restore as before.
#pragma once

#include <string>
#include <vector>

#include "base/status.h"
#include "driver/driver.h"

namespace cutover::snapshot {

// pg_restore's names: --no-owner, --no-privileges; --skip-missing-roles;
// and --definer (MySQL/MariaDB).
struct AccessPolicy {
  bool owners = true;
  bool privileges = true;
  bool skip_missing_roles = false;
  // "": objects keep the definers they were created with (access.definer);
  // otherwise every definer becomes this account (user@host, or
  // CURRENT_USER: the restoring account).
  std::string definer;
  // A copy for checks (restore-test, rehearse): definers the server lacks
  // make every definer the restoring account instead of stopping.
  bool definer_fallback = false;
};

struct AccessPlan {
  std::vector<AccessStatement> statements;  // to run after post-data, in order
  std::vector<AccessStatement> skipped;     // left out: they name a missing role
  std::vector<std::string> missing_roles;
  std::string definer;       // what the schema scripts' definers become ("": as recorded)
  std::string definer_note;  // why, when the fallback chose it
};

// kCheckFailed (nothing was changed) when roles are missing and the policy
// does not skip them, or definer accounts are missing and the policy keeps
// definers without a fallback; the message names each role or account,
// what it would have received or defines, and the options that go on
// without it.
Result<AccessPlan> PlanRestoreAccess(Connection& into, const SchemaModel& model, const AccessPolicy& policy);

// Runs the statements in order; the first failure names the object and what
// it was being given.
Status ApplyAccess(Connection& into, const std::vector<AccessStatement>& statements);

// The plan's statements in two steps. `with_tables`: the owners of tables,
// which run as soon as pre-data created the tables, before their data, as
// pg_restore does: once a table is loaded, the server's background
// statistics pass (PostgreSQL's autovacuum ANALYZE) soon holds a lock an
// owner change must wait for, about a second per table on PostgreSQL.
// `after_post_data`: the rest, in order (grants on views and routines need
// those objects; default privileges must not reach objects post-data
// creates).
struct AccessSteps {
  std::vector<AccessStatement> with_tables;
  std::vector<AccessStatement> after_post_data;
};
AccessSteps SplitAccess(const AccessPlan& plan, const SchemaModel& model);

// restore-test: the access attributes of `restored` against `expected` for
// every object none of whose statements was skipped. Empty `differences`
// when they match; `not_compared` names the objects left out and why.
struct AccessComparison {
  std::int64_t compared = 0;  // objects with access attributes compared
  std::vector<std::string> differences;
  std::string not_compared;
};
AccessComparison CompareAccess(const SchemaModel& expected, const SchemaModel& restored,
                               const AccessPlan& plan);

// True when the model holds any access attribute.
bool HasAccessAttributes(const SchemaModel& model);

// Every grantee of the model's access.privileges entries ("grantee:PRIVILEGE",
// schema-json.md), sorted, without PUBLIC.
std::vector<std::string> Grantees(const SchemaModel& model);

}  // namespace cutover::snapshot
