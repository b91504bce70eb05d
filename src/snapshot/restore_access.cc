#include "snapshot/restore_access.h"

#include <algorithm>
#include <map>
#include <set>
#include <utility>

namespace cutover::snapshot {
namespace {

// The first `limit` items, ", "-separated, then "and N more".
std::string FirstOf(const std::vector<std::string>& items, size_t limit) {
  std::string out;
  for (size_t i = 0; i < items.size() && i < limit; ++i) out += (i ? ", " : "") + items[i];
  if (items.size() > limit) out += " and " + std::to_string(items.size() - limit) + " more";
  return out;
}

// "owner of public.docs", "SELECT on public.docs".
std::string Received(const AccessStatement& s) {
  return s.kind == AccessStatement::Kind::kOwner ? "owner of " + s.object : s.what + " on " + s.object;
}

// Each missing role with (up to five of) the things it would have received.
std::string DescribeMissing(const std::vector<std::string>& missing,
                            const std::vector<AccessStatement>& skipped) {
  std::map<std::string, std::vector<std::string>> received;
  for (const AccessStatement& s : skipped) {
    for (const std::string& role : s.roles) received[role].push_back(Received(s));
  }
  std::string out;
  for (const std::string& role : missing) {
    out +=
        (out.empty() ? "" : "; ") + std::string("role '") + role + "' (" + FirstOf(received[role], 5) + ")";
  }
  return out;
}

}  // namespace

bool HasAccessAttributes(const SchemaModel& model) {
  return std::any_of(model.objects.begin(), model.objects.end(), [](const SchemaObject& o) {
    return std::any_of(o.attributes.begin(), o.attributes.end(),
                       [](const auto& kv) { return IsAccessAttribute(kv.first); });
  });
}

std::vector<std::string> Grantees(const SchemaModel& model) {
  std::set<std::string> out;
  for (const SchemaObject& o : model.objects) {
    auto it = o.attributes.find("access.privileges");
    if (it == o.attributes.end()) continue;
    for (const std::string& entry : ParseListValue(it->second).value_or(std::vector<std::string>{})) {
      const size_t colon = entry.rfind(':');
      if (colon == std::string::npos || colon == 0) continue;
      std::string grantee = entry.substr(0, colon);
      if (grantee != "PUBLIC") out.insert(std::move(grantee));
    }
  }
  return {out.begin(), out.end()};
}

namespace {

// The definers the model records, each with (up to three of) its objects.
std::map<std::string, std::vector<std::string>> Definers(const SchemaModel& model) {
  std::map<std::string, std::vector<std::string>> out;
  for (const SchemaObject& o : model.objects) {
    auto it = o.attributes.find("access.definer");
    if (it != o.attributes.end())
      out[it->second].push_back(std::string(ObjectKindName(o.kind)) + " " + o.Path());
  }
  return out;
}

// Keeps the recorded definers only when the server has their accounts.
Status PlanDefiners(Connection& into, const SchemaModel& model, const AccessPolicy& policy,
                    AccessPlan& plan) {
  plan.definer = policy.definer;
  if (!policy.definer.empty()) return Status::Ok();
  const auto definers = Definers(model);
  if (definers.empty()) return Status::Ok();
  std::vector<std::string> accounts;
  for (const auto& [account, objects] : definers) accounts.push_back(account);
  auto missing = into.MissingRoles(accounts);
  if (!missing.ok()) return missing.status().WithContext("looking up the definers' accounts");
  if (missing->empty()) return Status::Ok();
  std::string named;
  for (const std::string& account : *missing) {
    named += (named.empty() ? "" : "; ") + std::string("account '") + account + "' (definer of " +
             FirstOf(definers.at(account), 3) + ")";
  }
  if (policy.definer_fallback) {
    plan.definer = "CURRENT_USER";
    plan.definer_note = "the server has no " + named + ": every definer is the restoring account";
    return Status::Ok();
  }
  return Status::CheckFailed(
      into.display_uri() + " has no " + named +
      ": create the account(s) there first, or restore with --definer CURRENT_USER "
      "(or --definer user@host) to give the objects another definer; nothing was restored");
}

}  // namespace

Result<AccessPlan> PlanRestoreAccess(Connection& into, const SchemaModel& model, const AccessPolicy& policy) {
  AccessPlan plan;
  CUTOVER_RETURN_IF_ERROR(PlanDefiners(into, model, policy, plan));
  if (!policy.owners && !policy.privileges) return plan;
  auto planned = into.PlanAccess(model);
  if (!planned.ok()) return planned.status().WithContext("planning owners and privileges");
  std::vector<AccessStatement> wanted;
  std::set<std::string> roles;
  for (AccessStatement& s : *planned) {
    const bool owner = s.kind == AccessStatement::Kind::kOwner;
    if (owner ? !policy.owners : !policy.privileges) continue;
    roles.insert(s.roles.begin(), s.roles.end());
    wanted.push_back(std::move(s));
  }
  if (wanted.empty()) return plan;
  auto missing = into.MissingRoles(std::vector<std::string>(roles.begin(), roles.end()));
  if (!missing.ok()) return missing.status().WithContext("looking up the roles owners and privileges name");
  const std::set<std::string> absent(missing->begin(), missing->end());
  for (AccessStatement& s : wanted) {
    const bool names_absent = std::any_of(s.roles.begin(), s.roles.end(),
                                          [&](const std::string& r) { return absent.count(r) > 0; });
    (names_absent ? plan.skipped : plan.statements).push_back(std::move(s));
  }
  plan.missing_roles = *missing;
  if (!plan.missing_roles.empty() && !policy.skip_missing_roles) {
    return Status::CheckFailed(
        into.display_uri() + " has no " + DescribeMissing(plan.missing_roles, plan.skipped) +
        ": create the role(s) there first, or restore with --no-owner and/or --no-privileges, or with "
        "--skip-missing-roles to restore without what they would have received; nothing was restored");
  }
  return plan;
}

Status ApplyAccess(Connection& into, const std::vector<AccessStatement>& statements) {
  for (const AccessStatement& s : statements) {
    auto done = into.Execute(s.sql);
    if (!done.ok()) return done.status().WithContext("giving " + s.object + " its " + s.what);
  }
  return Status::Ok();
}

AccessSteps SplitAccess(const AccessPlan& plan, const SchemaModel& model) {
  std::set<std::string> tables;
  for (const SchemaObject& o : model.objects) {
    if (o.kind == ObjectKind::kTable) tables.insert(o.Path());
  }
  AccessSteps steps;
  for (const AccessStatement& s : plan.statements) {
    const bool table_owner = s.kind == AccessStatement::Kind::kOwner && tables.count(s.object) > 0;
    (table_owner ? steps.with_tables : steps.after_post_data).push_back(s);
  }
  return steps;
}

namespace {

std::map<std::string, std::string> AccessOf(const SchemaObject* o) {
  std::map<std::string, std::string> out;
  if (o == nullptr) return out;
  for (const auto& [k, v] : o->attributes) {
    if (IsAccessAttribute(k)) out[k] = v;
  }
  return out;
}

}  // namespace

AccessComparison CompareAccess(const SchemaModel& expected, const SchemaModel& restored,
                               const AccessPlan& plan) {
  AccessComparison out;
  // Only what the restore gave objects is compared: an engine may record
  // access it does not restore (MySQL/MariaDB accounts).
  std::set<std::string> applied;
  std::set<std::string> left_out;
  for (const AccessStatement& s : plan.statements) applied.insert(s.object);
  for (const AccessStatement& s : plan.skipped) left_out.insert(s.object);
  for (const SchemaObject& e : expected.objects) {
    const std::string path = e.Path();
    if (!applied.count(path) || left_out.count(path)) continue;
    ++out.compared;
    const auto want = AccessOf(&e);
    const auto got = AccessOf(restored.Find(e.kind, e.schema, e.table, e.name));
    std::set<std::string> names;
    for (const auto& [k, v] : want) names.insert(k);
    for (const auto& [k, v] : got) names.insert(k);
    for (const std::string& name : names) {
      auto w = want.find(name);
      auto g = got.find(name);
      const std::string wv = w == want.end() ? "(default)" : w->second;
      const std::string gv = g == got.end() ? "(default)" : g->second;
      if (wv == gv) continue;
      out.differences.push_back(std::string(ObjectKindName(e.kind)) + " " + path + ": " + name + " is " + gv +
                                ", the snapshot recorded " + wv);
    }
  }
  if (!left_out.empty()) {
    out.not_compared = std::to_string(left_out.size()) + " object(s) not compared: the server has no " +
                       DescribeMissing(plan.missing_roles, plan.skipped);
  }
  return out;
}

}  // namespace cutover::snapshot
