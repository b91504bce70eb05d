// PostgreSQL lint behaviour the corpus cannot express in one statement:
// lock bookkeeping across statements and migrations, timeouts per
// statement, hostile identifiers.
#include <gtest/gtest.h>

#include "lint/lint_test_util.h"

namespace cutover::lint {
namespace {

using plan::Engine;
using testutil::Counted;
using testutil::LintFiles;
using V = std::vector<std::string>;

TEST(LintPostgres, HeldLockIsReportedOnceAndNotOutsideATransaction) {
  const std::string sql =
      "ALTER TABLE orders ADD COLUMN a int;\n"
      "ALTER TABLE orders ADD COLUMN b int;\n"
      "ALTER TABLE customers ADD COLUMN c int;\n";
  auto in_tx = LintFiles(Engine::kPostgreSql, {{"0001_a/expand.sql", "-- cutover:lock-timeout 2s\n" + sql},
                                               {"0001_a/rollback.sql", ""}});
  ASSERT_TRUE(in_tx.ok()) << in_tx.status().ToString();
  EXPECT_EQ(Counted(*in_tx), V{"PG011@0001_a/expand.sql:3"});
  EXPECT_NE(in_tx->findings[0].message.find("ACCESS EXCLUSIVE lock on orders taken at line 2"),
            std::string::npos);

  auto no_tx =
      LintFiles(Engine::kPostgreSql,
                {{"0001_a/expand.sql", "-- cutover:lock-timeout 2s\n-- cutover:no-transaction\n" + sql},
                 {"0001_a/rollback.sql", ""}});
  ASSERT_TRUE(no_tx.ok()) << no_tx.status().ToString();
  EXPECT_TRUE(Counted(*no_tx).empty());
}

TEST(LintPostgres, LockTimeoutOncePerStatementAndPerStatementOverrides) {
  auto r = LintFiles(Engine::kPostgreSql, {{"0001_a/contract.sql",
                                            "-- cutover:lock-timeout 2s\n"
                                            "-- cutover:no-transaction\n"
                                            "SELECT 1;\n"
                                            "-- cutover:lock-timeout 30s\n"
                                            "DROP TABLE a, b, c;\n"
                                            "SET LOCAL lock_timeout TO DEFAULT;\n"
                                            "ALTER TABLE d ADD COLUMN x int;\n"
                                            "SET lock_timeout = '1.5s';\n"
                                            "ALTER TABLE e ADD COLUMN x int;\n"},
                                           {"0001_a/expand.sql", ""},
                                           {"0001_a/rollback.sql", ""}});
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(Counted(*r),
            (V{"CON001@0001_a/contract.sql:5", "CON001@0001_a/contract.sql:5", "CON001@0001_a/contract.sql:5",
               "PG010@0001_a/contract.sql:5", "PG010@0001_a/contract.sql:7"}));
  for (const Finding& f : r->findings) {
    if (f.line == 5 && f.rule->id == std::string_view("PG010")) {
      EXPECT_EQ(f.message, "ACCESS EXCLUSIVE lock on a, requested with a lock timeout of 30s (above 10s)");
    }
  }
}

TEST(LintPostgres, SetNotNullAfterAValidatedCheckInAnEarlierMigration) {
  auto r =
      LintFiles(Engine::kPostgreSql,
                {{"0001_check/expand.sql",
                  "-- cutover:lock-timeout 2s\n"
                  "ALTER TABLE orders ADD CONSTRAINT orders_note_nn CHECK (note IS NOT NULL) NOT VALID;\n"},
                 {"0001_check/contract.sql", "ALTER TABLE orders VALIDATE CONSTRAINT orders_note_nn;\n"},
                 {"0001_check/rollback.sql",
                  "-- cutover:lock-timeout 2s\nALTER TABLE orders DROP CONSTRAINT orders_note_nn;"},
                 {"0002_not_null/contract.sql",
                  "-- cutover:lock-timeout 2s\nALTER TABLE orders ALTER COLUMN note SET NOT NULL;\n"
                  "ALTER TABLE orders ALTER COLUMN other SET NOT NULL;\n"},
                 {"0002_not_null/expand.sql", ""},
                 {"0002_not_null/rollback.sql", ""}});
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  // Only the column without a validated constraint is scanned.
  EXPECT_EQ(Counted(*r), (V{"PG005@0002_not_null/contract.sql:3", "PG011@0002_not_null/contract.sql:3"}));
}

// PostgreSQL 12+ also proves NOT NULL from an AND of IS NOT NULL terms.
TEST(LintPostgres, SetNotNullAfterAValidatedConjunctionOfChecks) {
  auto r = LintFiles(Engine::kPostgreSql,
                     {{"0001_check/expand.sql",
                       "-- cutover:lock-timeout 2s\n"
                       "ALTER TABLE orders ADD CONSTRAINT names_nn CHECK (first IS NOT NULL AND (last IS NOT "
                       "NULL AND x > 0)) "
                       "NOT VALID;\n"
                       "ALTER TABLE orders ADD CONSTRAINT either_nn CHECK (nick IS NOT NULL OR alias IS NOT "
                       "NULL) NOT VALID;\n"},
                      {"0001_check/contract.sql",
                       "ALTER TABLE orders VALIDATE CONSTRAINT names_nn;\nALTER TABLE orders VALIDATE "
                       "CONSTRAINT either_nn;\n"},
                      {"0001_check/rollback.sql", ""},
                      {"0002_not_null/contract.sql",
                       "-- cutover:lock-timeout 2s\nALTER TABLE orders ALTER COLUMN first SET NOT NULL;\n"
                       "ALTER TABLE orders ALTER COLUMN last SET NOT NULL;\n"
                       "ALTER TABLE orders ALTER COLUMN nick SET NOT NULL;\n"},
                      {"0002_not_null/expand.sql", ""},
                      {"0002_not_null/rollback.sql", ""}});
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  // An OR proves nothing about either column.
  EXPECT_EQ(Counted(*r), (V{"PG005@0002_not_null/contract.sql:4", "PG011@0001_check/expand.sql:3",
                            "PG011@0002_not_null/contract.sql:3"}));
}

TEST(LintPostgres, QuotedIdentifiersAreExactAndNamedInMessages) {
  auto r =
      LintFiles(Engine::kPostgreSql, {{"0001_a/expand.sql",
                                       "-- cutover:lock-timeout 2s\n"
                                       "-- cutover:no-transaction\n"
                                       "CREATE TABLE \"Order Items ☃\" (\"select\" int);\n"
                                       "CREATE INDEX \"i; DROP TABLE x\" ON \"Order Items ☃\" (\"select\");\n"
                                       "CREATE INDEX j ON \"order items ☃\" (\"select\");\n"},
                                      {"0001_a/rollback.sql", "DROP TABLE \"Order Items ☃\";"}});
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  ASSERT_EQ(Counted(*r), V{"PG001@0001_a/expand.sql:5"});
  EXPECT_EQ(r->findings[0].message, "CREATE INDEX builds index j on order items ☃ under a SHARE lock");
}

TEST(LintPostgres, SchemaQualifiedAndUnqualifiedNamesMatch) {
  auto r = LintFiles(Engine::kPostgreSql,
                     {{"0001_a/expand.sql",
                       "CREATE TABLE shop.coupons (id int);\nCREATE INDEX c ON coupons (id);\n"
                       "CREATE INDEX d ON other.coupons (id);\n"},
                      {"0001_a/rollback.sql", ""}});
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(Counted(*r), (V{"PG001@0001_a/expand.sql:3", "PG010@0001_a/expand.sql:3"}));
}

}  // namespace
}  // namespace cutover::lint
