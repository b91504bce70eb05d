#include "snapshot/restore_access.h"

#include <gtest/gtest.h>

namespace cutover::snapshot {
namespace {

SchemaModel Model(const std::string& owner, const std::string& privileges) {
  SchemaModel m;
  m.engine = "postgresql";
  auto& t = m.Add(ObjectKind::kTable, "public", "", "docs");
  t.attributes["comment"] = "x";
  t.attributes["access.owner"] = owner;
  if (!privileges.empty()) t.attributes["access.privileges"] = privileges;
  m.Add(ObjectKind::kTable, "public", "", "plain").attributes["access.owner"] = owner;
  return m;
}

AccessStatement Grant(const std::string& object, const std::string& role) {
  return {AccessStatement::Kind::kPrivilege, object, "SELECT", {role}, "GRANT ..."};
}

// Table owners run with pre-data (before the data, when nothing can hold the
// table); the owner of a view (created by post-data) and every privilege run
// after post-data, in their original order.
TEST(SplitAccess, TableOwnersGoWithPreDataAndEverythingElseAfterPostDataInOrder) {
  SchemaModel m = Model("app_owner", "");
  m.Add(ObjectKind::kView, "public", "", "docs_v");
  AccessPlan plan;
  const AccessStatement docs_owner{
      AccessStatement::Kind::kOwner, "public.docs", "owner", {"app_owner"}, "A1"};
  const AccessStatement view_owner{
      AccessStatement::Kind::kOwner, "public.docs_v", "owner", {"app_owner"}, "A2"};
  const AccessStatement plain_owner{
      AccessStatement::Kind::kOwner, "public.plain", "owner", {"app_owner"}, "A3"};
  const AccessStatement unknown_owner{AccessStatement::Kind::kOwner, "public.nowhere", "owner", {"x"}, "A4"};
  plan.statements = {Grant("public.docs", "app"),   docs_owner,  view_owner,
                     Grant("public.docs_v", "app"), plain_owner, unknown_owner};
  const AccessSteps steps = SplitAccess(plan, m);
  std::vector<std::string> first;
  std::vector<std::string> last;
  for (const AccessStatement& s : steps.with_tables) first.push_back(s.object + " " + s.what);
  for (const AccessStatement& s : steps.after_post_data) last.push_back(s.object + " " + s.what);
  EXPECT_EQ(first, (std::vector<std::string>{"public.docs owner", "public.plain owner"}));
  EXPECT_EQ(last, (std::vector<std::string>{"public.docs SELECT", "public.docs_v owner",
                                            "public.docs_v SELECT", "public.nowhere owner"}));
}

TEST(CompareAccess, MatchingAccessPassesAndEachDifferenceIsNamed) {
  const SchemaModel expected = Model("app_owner", R"(["app:SELECT"])");
  AccessPlan plan;
  plan.statements = {Grant("public.docs", "app"), Grant("public.plain", "app_owner")};
  AccessComparison same = CompareAccess(expected, expected, plan);
  EXPECT_EQ(same.compared, 2);
  EXPECT_TRUE(same.differences.empty());
  EXPECT_TRUE(same.not_compared.empty());

  const SchemaModel other = Model("someone_else", "");
  AccessComparison diff = CompareAccess(expected, other, plan);
  ASSERT_EQ(diff.differences.size(), 3u);
  EXPECT_EQ(diff.differences[0],
            "table public.docs: access.owner is someone_else, the snapshot recorded app_owner");
  EXPECT_EQ(diff.differences[1],
            "table public.docs: access.privileges is (default), the snapshot recorded [\"app:SELECT\"]");
  EXPECT_EQ(diff.differences[2],
            "table public.plain: access.owner is someone_else, the snapshot recorded app_owner");
}

// Objects given nothing by the restore (an engine that restores no access,
// or statements skipped for a missing role) are not compared; the skipped
// ones are named.
TEST(CompareAccess, OnlyWhatTheRestoreAppliedIsCompared) {
  const SchemaModel expected = Model("app_owner", R"(["gone:SELECT"])");
  const SchemaModel restored = Model("app_owner", "");
  AccessComparison nothing = CompareAccess(expected, restored, AccessPlan{});
  EXPECT_EQ(nothing.compared, 0);
  EXPECT_TRUE(nothing.differences.empty());

  AccessPlan plan;
  plan.statements = {Grant("public.plain", "app_owner")};
  plan.skipped = {Grant("public.docs", "gone")};
  plan.missing_roles = {"gone"};
  AccessComparison partial = CompareAccess(expected, restored, plan);
  EXPECT_EQ(partial.compared, 1);
  EXPECT_TRUE(partial.differences.empty());
  EXPECT_EQ(partial.not_compared,
            "1 object(s) not compared: the server has no role 'gone' (SELECT on public.docs)");
}

TEST(CompareAccess, AccessAttributesAreRecognizedByTheirPrefix) {
  EXPECT_TRUE(HasAccessAttributes(Model("o", "")));
  SchemaModel none;
  none.Add(ObjectKind::kTable, "", "", "t").attributes["comment"] = "access.owner";
  EXPECT_FALSE(HasAccessAttributes(none));
}

TEST(CompareAccess, GranteesAreEveryRoleGrantedAnythingButPublic) {
  SchemaModel m = Model("o", R"(["app:SELECT","PUBLIC:USAGE","'we:ird'@'%':INSERT WITH GRANT OPTION"])");
  m.Add(ObjectKind::kColumn, "public", "docs", "c").attributes["access.privileges"] =
      R"(["app:UPDATE","zed:SELECT"])";
  EXPECT_EQ(Grantees(m), (std::vector<std::string>{"'we:ird'@'%'", "app", "zed"}));
}

}  // namespace
}  // namespace cutover::snapshot
