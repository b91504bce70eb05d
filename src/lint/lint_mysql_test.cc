// MySQL/MariaDB lint behaviour beyond single corpus statements: session
// settings that change later statements, MariaDB syntax, hostile
// identifiers, executable comments. Statements are split by the real MySQL
// driver plugin.
#include <gtest/gtest.h>

#include "lint/lint_test_util.h"

namespace cutover::lint {
namespace {

using plan::Engine;
using testutil::Counted;
using testutil::LintFiles;
using V = std::vector<std::string>;

TEST(LintMySql, SetStatementSettingsLastForOneStatementOnly) {
  auto r = LintFiles(Engine::kMySql,
                     {{"0001_a/expand.sql",
                       "SET STATEMENT foreign_key_checks = 0, lock_wait_timeout = 2 FOR\n"
                       "  ALTER TABLE orders ADD FOREIGN KEY (customer_id) REFERENCES customers (id);\n"
                       "ALTER TABLE items ADD FOREIGN KEY (order_id) REFERENCES orders (id);\n"},
                      {"0001_a/rollback.sql", ""}});
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(Counted(*r), (V{"MY005@0001_a/expand.sql:3", "MY006@0001_a/expand.sql:3"}));
}

// LOCK=NONE (or MariaDB's ALTER ONLINE) makes the server refuse a blocking
// copy, so the author has asserted the change is online.
TEST(LintMySql, AlterOnlineMeansLockNone) {
  auto r = LintFiles(Engine::kMySql, {{"0001_a/contract.sql",
                                       "-- cutover:lock-timeout 2s\n"
                                       "ALTER ONLINE TABLE orders MODIFY note VARCHAR(500);\n"
                                       "ALTER TABLE orders MODIFY note VARCHAR(600);\n"
                                       "ALTER TABLE orders MODIFY note VARCHAR(700), LOCK = NONE;\n"},
                                      {"0001_a/expand.sql", ""},
                                      {"0001_a/rollback.sql", ""}});
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(Counted(*r), V{"MY001@0001_a/contract.sql:3"});
}

TEST(LintMySql, BackquotedIdentifiersAndReservedWords) {
  auto r =
      LintFiles(Engine::kMySql, {{"0001_a/expand.sql",
                                  "-- cutover:lock-timeout 2s\n"
                                  "CREATE TABLE `select` (`from` INT, `we``ird; name` TEXT);\n"
                                  "ALTER TABLE `select` MODIFY `from` BIGINT, DROP COLUMN `we``ird; name`;\n"
                                  "ALTER TABLE `Select` DROP COLUMN `from`;\n"},
                                 {"0001_a/rollback.sql", "DROP TABLE `select`;"}});
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  // Table names are case-sensitive on MySQL servers on Linux: `Select` is another table.
  ASSERT_EQ(Counted(*r), V{"EXP002@0001_a/expand.sql:4"});
  EXPECT_EQ(r->findings[0].message, "column from of Select dropped in expand");
}

TEST(LintMySql, ExecutableCommentsAreReadAsSql) {
  auto r =
      LintFiles(Engine::kMySql, {{"0001_a/contract.sql",
                                  "-- cutover:lock-timeout 2s\n"
                                  "/*!50100 ALTER TABLE orders MODIFY quantity BIGINT NOT NULL */;\n"
                                  "/* ALTER TABLE orders MODIFY quantity BIGINT NOT NULL */ SELECT 1;\n"},
                                 {"0001_a/expand.sql", ""},
                                 {"0001_a/rollback.sql", ""}});
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(Counted(*r), V{"MY001@0001_a/contract.sql:2"});
}

}  // namespace
}  // namespace cutover::lint
