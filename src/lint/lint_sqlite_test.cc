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

// Issue 14: a rebuild in expand whose copy lacks columns of the table it
// replaces breaks the running application (SQ008), known when the plan
// created both; ADD/DROP/RENAME COLUMN and RENAME TO keep the columns known.
TEST(LintSqlite, RebuildInExpandThatLosesColumnsIsAnError) {
  const std::string base =
      "CREATE TABLE orders (id INTEGER PRIMARY KEY, \"Total\" REAL, note TEXT, CONSTRAINT c CHECK (id > "
      "0));\n"
      "ALTER TABLE orders ADD COLUMN placed TEXT;\nALTER TABLE orders RENAME COLUMN note TO memo;\n";
  auto rebuild = [](const std::string& columns, const std::string& phase) {
    return std::pair<std::string, std::string>(
        "0002_rebuild/" + phase + ".sql",
        "CREATE TABLE orders_new (" + columns +
            ", PRIMARY KEY (id));\n"
            "INSERT INTO orders_new SELECT * FROM orders;\n"
            "DROP TABLE orders;\nALTER TABLE orders_new RENAME TO orders;\n");
  };
  auto lost = LintFiles(Engine::kSqlite, {{"0001_base/expand.sql", base},
                                          {"0001_base/rollback.sql", ""},
                                          rebuild("id INTEGER, total REAL", "expand"),
                                          {"0002_rebuild/rollback.sql", ""}});
  ASSERT_TRUE(lost.ok()) << lost.status().ToString();
  bool found = false;
  for (const Finding& f : lost->findings) {
    if (std::string(f.rule->id) != "SQ008") continue;
    found = true;
    EXPECT_EQ(f.file, "0002_rebuild/expand.sql");
    EXPECT_NE(f.message.find("loses column(s) memo, placed"), std::string::npos) << f.message;
  }
  EXPECT_TRUE(found) << LintReportText(*lost);

  auto kept = LintFiles(Engine::kSqlite,
                        {{"0001_base/expand.sql", base},
                         {"0001_base/rollback.sql", ""},
                         rebuild("id INTEGER, TOTAL REAL, memo TEXT, placed TEXT, extra INT", "expand"),
                         {"0002_rebuild/rollback.sql", ""}});
  ASSERT_TRUE(kept.ok());
  for (const Finding& f : kept->findings) EXPECT_NE(std::string(f.rule->id), "SQ008") << f.message;

  auto in_contract = LintFiles(Engine::kSqlite, {{"0001_base/expand.sql", base},
                                                 {"0001_base/rollback.sql", ""},
                                                 {"0002_rebuild/expand.sql", "SELECT 1;\n"},
                                                 rebuild("id INTEGER, total REAL", "contract"),
                                                 {"0002_rebuild/rollback.sql", ""}});
  ASSERT_TRUE(in_contract.ok());
  for (const Finding& f : in_contract->findings) {
    EXPECT_NE(std::string(f.rule->id), "SQ008") << "contract may drop columns";
  }
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
