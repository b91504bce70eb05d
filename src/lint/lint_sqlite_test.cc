// SQLite lint behaviour beyond single corpus statements: the table rebuild
// seen as a whole, case-insensitive names. Statements are split by the real
// SQLite driver plugin.
#include <gtest/gtest.h>

#include "lint/lint_test_util.h"

namespace cutover::lint {
namespace {

using plan::Engine;
using testutil::Counted;
using testutil::LintFiles;
using V = std::vector<std::string>;

TEST(LintSqlite, RebuildInExpandIsOneWarningNotADrop) {
  auto r = LintFiles(
      Engine::kSqlite,
      {{"0001_rebuild/expand.sql",
        "CREATE TABLE \"Orders_New\" (id INTEGER PRIMARY KEY, total REAL NOT NULL CHECK (total >= 0));\n"
        "INSERT INTO orders_new SELECT id, total FROM orders;\n"
        "DROP TABLE Orders;\n"
        "ALTER TABLE orders_new RENAME TO orders;\n"
        "CREATE INDEX orders_total_idx ON ORDERS (total);\n"
        "DROP TABLE legacy;\n"},
       {"0001_rebuild/rollback.sql", ""}});
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(Counted(*r), (V{"EXP001@0001_rebuild/expand.sql:6", "SQ002@0001_rebuild/expand.sql:3"}));
}

TEST(LintSqlite, NamesAreCaseInsensitiveAndMainIsTheDefaultSchema) {
  auto r = LintFiles(Engine::kSqlite, {{"0001_a/expand.sql",
                                        "CREATE TABLE Coupons (id INTEGER PRIMARY KEY, code TEXT);\n"
                                        "CREATE INDEX main.c1 ON \"COUPONS\" (code);\n"
                                        "ALTER TABLE main.[coupons] DROP COLUMN code;\n"
                                        "CREATE INDEX c2 ON orders (code);\n"},
                                       {"0001_a/rollback.sql", ""}});
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(Counted(*r), V{"SQ006@0001_a/expand.sql:4"});
}

}  // namespace
}  // namespace cutover::lint
