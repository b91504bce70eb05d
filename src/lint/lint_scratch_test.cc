// lint --scratch against the real MariaDB test server: the server's answers
// (INSTANT, INPLACE with LOCK=NONE, refused) replace the token guesses, the
// scratch database is dropped on every path, a target's schema is copied
// read-only, hostile identifiers survive the rewriting, and nothing outside
// the scratch database is touched.
#include "lint/lint_scratch.h"

#include <gtest/gtest.h>

#include "lint/lint_test_util.h"

namespace cutover::lint {
namespace {

using plan::Engine;
using testutil::Counted;
using testutil::Files;
using V = std::vector<std::string>;

class LintScratch : public ::testing::Test {
 protected:
  void SetUp() override {
    driver_ = testing::TestDriver("mysql");
    ASSERT_NE(driver_, nullptr);
    server_ = testing::ServerUri("mysql");
    ASSERT_FALSE(HasFailure());
  }

  // Lints `files` on a scratch database; records the scratch name.
  Result<LintReport> Ask(const Files& files, const LintOptions& options = {}, Connection* source = nullptr) {
    auto plan = testutil::ReadFiles(Engine::kMySql, files);
    if (!plan.ok()) return plan.status();
    ScratchLintRequest request;
    request.driver = driver_;
    request.scratch_server = server_;
    request.schema_source = source;
    request.on_created = [this](const std::string& name) { created_.push_back(name); };
    return LintPlanOnScratch(*plan, options, request);
  }

  // Every scratch database this test created is gone.
  void ExpectDropped() {
    for (const std::string& name : created_) {
      auto left = driver_->ListDatabases(server_, name);
      ASSERT_TRUE(left.ok()) << left.status().ToString();
      EXPECT_TRUE(left->empty()) << name << " was left behind";
    }
  }

  static const Finding* Find(const LintReport& r, std::string_view rule, int line) {
    for (const Finding& f : r.findings)
      if (f.rule->id == rule && f.line == line) return &f;
    return nullptr;
  }

  Driver* driver_ = nullptr;
  ConnectionUri server_;
  std::vector<std::string> created_;
};

// 0001 builds the table (its migration is not linted: with --from its table
// holds data in production); 0002 changes it. Each statement's token guess
// and server answer, on MariaDB 10.11:
const Files kPlan = {
    {"0001_orders/expand.sql",
     "CREATE TABLE orders (id INT PRIMARY KEY, qty INT, note VARCHAR(20), state ENUM('new', 'paid'),\n"
     "  email VARCHAR(100)) DEFAULT CHARSET latin1;\n"},
    {"0001_orders/rollback.sql", "DROP TABLE orders;\n"},
    {"0002_change/expand.sql",
     "-- cutover:lock-timeout 2s\n"
     "ALTER TABLE orders ADD COLUMN added INT;\n"                         // 2: instant; no guess
     "ALTER TABLE orders ADD INDEX orders_email (email);\n"               // 3: in place; no guess -> MY012
     "ALTER TABLE orders ADD COLUMN twice INT AS (qty * 2) STORED;\n"     // 4: MY003 -> MY011
     "ALTER TABLE orders ADD COLUMN half INT AS (qty DIV 2) VIRTUAL;\n"   // 5: instant
     "ALTER TABLE orders MODIFY state ENUM('new', 'paid', 'shipped');\n"  // 6: MY002 -> instant
     "CREATE INDEX orders_note ON orders (note);\n"},                     // 7: in place -> MY012
    {"0002_change/contract.sql",
     "-- cutover:lock-timeout 2s\n"
     "ALTER TABLE orders MODIFY qty BIGINT;\n"                 // 2: MY001 -> MY011
     "ALTER TABLE orders CONVERT TO CHARACTER SET utf8mb4;\n"  // 3: MY004 -> MY011
     "ALTER TABLE orders DROP COLUMN added;\n"                 // 4: instant (CON001 stays)
     "ALTER TABLE orders MODIFY note VARCHAR(40);\n"           // 5: MY001 -> instant
     "DROP INDEX orders_note ON orders;\n"},                   // 6: asked through ALTER: in place (NOCOPY)
    {"0002_change/rollback.sql", "-- cutover:lock-timeout 2s\nALTER TABLE orders DROP COLUMN half;\n"},
};

TEST_F(LintScratch, ServerAnswersReplaceTheTokenGuesses) {
  LintOptions from;
  from.from = "0002_change";
  auto guessed = testutil::LintFiles(Engine::kMySql, kPlan, from);
  ASSERT_TRUE(guessed.ok()) << guessed.status().ToString();
  EXPECT_EQ(Counted(*guessed), (V{"CON001@0002_change/contract.sql:4", "EXP004@0002_change/expand.sql:6",
                                  "MY001@0002_change/contract.sql:2", "MY001@0002_change/contract.sql:5",
                                  "MY002@0002_change/expand.sql:6", "MY003@0002_change/expand.sql:4",
                                  "MY004@0002_change/contract.sql:3"}));
  EXPECT_FALSE(guessed->scratch.has_value());

  auto asked = Ask(kPlan, from);
  ASSERT_TRUE(asked.ok()) << asked.status().ToString();
  EXPECT_EQ(Counted(*asked), (V{"CON001@0002_change/contract.sql:4", "EXP004@0002_change/expand.sql:6",
                                "MY011@0002_change/contract.sql:2", "MY011@0002_change/contract.sql:3",
                                "MY011@0002_change/expand.sql:4", "MY012@0002_change/contract.sql:6",
                                "MY012@0002_change/expand.sql:3", "MY012@0002_change/expand.sql:7"}));
  ASSERT_TRUE(asked->scratch.has_value());
  EXPECT_EQ(asked->scratch->schema_from, "");
  EXPECT_NE(asked->scratch->product.find("MariaDB"), std::string::npos) << asked->scratch->product;
  EXPECT_EQ(asked->scratch->alters_asked, 11);
  EXPECT_EQ(asked->scratch->statements_run, 12);  // with 0001's CREATE TABLE

  const Finding* modify = Find(*asked, "MY011", 2);
  ASSERT_NE(modify, nullptr);
  EXPECT_EQ(modify->message,
            "orders is copied or its writes are blocked (asked the server: ALGORITHM=INSTANT refused: "
            "'ALGORITHM=INSTANT is not supported. Reason: Cannot change column type. Try ALGORITHM=COPY'; "
            "ALGORITHM=INPLACE, LOCK=NONE refused: 'ALGORITHM=INPLACE is not supported. Reason: Cannot "
            "change column type. Try ALGORITHM=COPY')");
  const Finding* index = Find(*asked, "MY012", 3);
  ASSERT_NE(index, nullptr);
  EXPECT_NE(index->message.find("ALGORITHM=INPLACE, LOCK=NONE accepted"), std::string::npos)
      << index->message;
  const Finding* drop = Find(*asked, "MY012", 6);
  ASSERT_NE(drop, nullptr);
  EXPECT_NE(drop->message.find("Reason: DROP INDEX"), std::string::npos) << drop->message;
  EXPECT_EQ(asked->errors(), 4);    // EXP004 and three MY011
  EXPECT_EQ(asked->warnings(), 4);  // CON001 and three MY012
  ExpectDropped();
}

// Without --from, 0001's table is new: lock answers are not reported for
// it, just as the token rules skip it (EXP004 stays: the previous app
// version may use a table an earlier migration created).
TEST_F(LintScratch, NewTablesGetNoLockAnswers) {
  auto asked = Ask(kPlan);
  ASSERT_TRUE(asked.ok()) << asked.status().ToString();
  EXPECT_EQ(Counted(*asked), (V{"CON001@0002_change/contract.sql:4", "EXP004@0002_change/expand.sql:6"}));
  ExpectDropped();
}

TEST_F(LintScratch, FailingStatementsAreErrorsWithTheServersMessage) {
  auto asked = Ask({{"0001_a/expand.sql",
                     "-- cutover:lock-timeout 2s\n"
                     "CREATE TABLE t (id INT PRIMARY KEY);\n"
                     "ALTER TABLE missing ADD COLUMN c INT;\n"
                     "INSERT INTO t (id, nope) VALUES (1, 2);\n"
                     "ALTER TABLE t ADD COLUMN c INT;\n"},
                    {"0001_a/rollback.sql", "DROP TABLE t;\n"}});
  ASSERT_TRUE(asked.ok()) << asked.status().ToString();
  EXPECT_EQ(Counted(*asked), (V{"MY013@0001_a/expand.sql:3", "MY013@0001_a/expand.sql:4"}));
  EXPECT_EQ(
      asked->findings[0].message,
      "the statement fails on a scratch copy (asked the server): 'Table 'missing' doesn't exist' [MySQL "
      "error 1146]");
  EXPECT_NE(asked->findings[1].message.find("Unknown column 'nope'"), std::string::npos)
      << asked->findings[1].message;
  ExpectDropped();
}

// ALGORITHM / LOCK written by the author: held to it, or asked for the
// lock level when only the algorithm is named.
TEST_F(LintScratch, WrittenClausesAreRunAsWritten) {
  auto asked = Ask({{"0001_t/expand.sql", "CREATE TABLE t (id INT PRIMARY KEY, a INT, b VARCHAR(10));\n"},
                    {"0001_t/rollback.sql", "DROP TABLE t;\n"},
                    {"0002_x/contract.sql",
                     "-- cutover:lock-timeout 2s\n"
                     "ALTER TABLE t MODIFY a BIGINT, ALGORITHM=INSTANT;\n"    // 2: refused -> MY013
                     "ALTER TABLE t ADD INDEX t_b (b), ALGORITHM=INPLACE;\n"  // 3: LOCK=NONE accepted
                     "ALTER ONLINE TABLE t ADD COLUMN c INT;\n"               // 4: instant
                     "ALTER TABLE t ADD COLUMN d INT, ALGORITHM=COPY;\n"      // 5: copy as written
                     "ALTER TABLE t MODIFY a BIGINT NOT NULL, LOCK=NONE;\n"   // 6: rebuilt in place
                     "ALTER TABLE t MODIFY b VARCHAR(5), LOCK=NONE;\n"},      // 7: shrinking copies
                    {"0002_x/expand.sql", ""},
                    {"0002_x/rollback.sql", ""}},
                   LintOptions{"0002_x", nullptr});
  ASSERT_TRUE(asked.ok()) << asked.status().ToString();
  EXPECT_EQ(Counted(*asked),
            (V{"MY011@0002_x/contract.sql:5", "MY012@0002_x/contract.sql:3", "MY012@0002_x/contract.sql:6",
               "MY013@0002_x/contract.sql:2", "MY013@0002_x/contract.sql:7"}));
  const Finding* refused = Find(*asked, "MY013", 2);
  ASSERT_NE(refused, nullptr);
  EXPECT_EQ(
      refused->message,
      "the statement fails on a scratch copy (asked the server): the server refuses ALGORITHM=INSTANT as "
      "written: 'ALGORITHM=INSTANT is not supported. Reason: Cannot change column type. Try "
      "ALGORITHM=COPY' [MySQL error 1846]: the change is not online");
  // The refused change was still applied, so line 6 met a BIGINT column
  // and only NOT NULL was left to change: in place.
  const Finding* not_null = Find(*asked, "MY012", 6);
  ASSERT_NE(not_null, nullptr);
  EXPECT_NE(not_null->message.find("LOCK=NONE as written accepted"), std::string::npos) << not_null->message;
  const Finding* shrink = Find(*asked, "MY013", 7);
  ASSERT_NE(shrink, nullptr);
  EXPECT_NE(shrink->message.find("the server refuses LOCK=NONE as written"), std::string::npos)
      << shrink->message;
  ExpectDropped();
}

TEST_F(LintScratch, IgnoresOfTokenGuessesApplyToTheServersAnswer) {
  auto asked = Ask({{"0001_t/expand.sql", "CREATE TABLE t (id INT PRIMARY KEY, a INT);\n"},
                    {"0001_t/rollback.sql", "DROP TABLE t;\n"},
                    {"0002_x/contract.sql",
                     "-- cutover:lock-timeout 2s\n"
                     "-- cutover:ignore MY001 t holds 40 rows\n"
                     "ALTER TABLE t MODIFY a BIGINT;\n"},
                    {"0002_x/expand.sql", ""},
                    {"0002_x/rollback.sql", ""}},
                   LintOptions{"0002_x", nullptr});
  ASSERT_TRUE(asked.ok()) << asked.status().ToString();
  EXPECT_TRUE(Counted(*asked).empty()) << Counted(*asked)[0];  // no PLAN005 either
  ASSERT_EQ(asked->findings.size(), 1u);
  EXPECT_EQ(asked->findings[0].rule->id, "MY011");
  EXPECT_TRUE(asked->findings[0].ignored);
  EXPECT_EQ(asked->findings[0].ignore_reason, "t holds 40 rows (ignore MY001)");
}

// The target's schema (not its rows) is copied, read-only: an ALTER of a
// table that only the target has meets its real definition.
TEST_F(LintScratch, TargetSchemaIsCopiedReadOnly) {
  testing::ScratchDatabase target("mysql");
  ASSERT_FALSE(HasFailure());
  target.Exec(
      "CREATE TABLE legacy (id INT PRIMARY KEY, code VARCHAR(20), total INT, KEY legacy_code (code)) "
      "DEFAULT CHARSET latin1 ROW_FORMAT=COMPACT;\n"
      "CREATE VIEW legacy_view AS SELECT id, code FROM legacy;\n"
      "INSERT INTO legacy VALUES (1, 'a', 10), (2, 'b', 20);\n");
  auto source = target.Connect();
  ASSERT_NE(source, nullptr);
  auto before = source->ReadSchema();
  ASSERT_TRUE(before.ok()) << before.status().ToString();

  // 0001 was applied to the target already: with --from it is not run.
  const Files files = {
      {"0001_legacy/expand.sql", "CREATE TABLE legacy (id INT PRIMARY KEY);\n"},
      {"0001_legacy/rollback.sql", "DROP TABLE legacy;\n"},
      {"0002_widen/expand.sql",
       "-- cutover:lock-timeout 2s\n"
       "ALTER TABLE legacy ADD COLUMN note TEXT;\n"
       "ALTER TABLE legacy MODIFY total BIGINT;\n"
       "ALTER TABLE legacy DROP INDEX legacy_code;\n"},
      {"0002_widen/rollback.sql", "-- cutover:lock-timeout 2s\nALTER TABLE legacy DROP COLUMN note;\n"}};
  LintOptions from;
  from.from = "0002_widen";
  auto asked = Ask(files, from, source.get());
  ASSERT_TRUE(asked.ok()) << asked.status().ToString();
  EXPECT_EQ(Counted(*asked), (V{"EXP001@0002_widen/expand.sql:4", "EXP004@0002_widen/expand.sql:3",
                                "MY011@0002_widen/expand.sql:3", "MY012@0002_widen/expand.sql:4"}));
  EXPECT_EQ(asked->scratch->schema_from, source->display_uri());

  // Without the target, 0001 builds the table as the plan says, which
  // lacks the target's column and index: the server says so. (A failed
  // statement keeps the text guess, MY001.)
  auto empty = Ask(files, from);
  ASSERT_TRUE(empty.ok()) << empty.status().ToString();
  EXPECT_EQ(Counted(*empty), (V{"EXP001@0002_widen/expand.sql:4", "EXP004@0002_widen/expand.sql:3",
                                "MY001@0002_widen/expand.sql:3", "MY013@0002_widen/expand.sql:3",
                                "MY013@0002_widen/expand.sql:4"}));
  const Finding* unknown = Find(*empty, "MY013", 3);
  ASSERT_NE(unknown, nullptr);
  EXPECT_NE(unknown->message.find("Unknown column 'total'"), std::string::npos) << unknown->message;

  auto after = source->ReadSchema();
  ASSERT_TRUE(after.ok());
  EXPECT_TRUE(testing::DriftLines(*before, *after).empty());
  int64_t rows = -1;
  ASSERT_TRUE(source
                  ->Query("SELECT COUNT(*) FROM legacy",
                          [&](RowView row) {
                            rows = std::stoll(std::string(row[0].data));
                            return Status::Ok();
                          })
                  .ok());
  EXPECT_EQ(rows, 2);
  ExpectDropped();
}

TEST_F(LintScratch, HostileIdentifiersSurviveTheRewriting) {
  const std::string table = "`we``ird ✓ select`";
  auto asked = Ask({{"0001_t/expand.sql", "CREATE TABLE " + table +
                                              " (`from` INT PRIMARY KEY, `my col` INT, `order` VARCHAR(10),\n"
                                              "  KEY `idx ✓ ``x`` q` (`order`));\n"},
                    {"0001_t/rollback.sql", "DROP TABLE " + table + ";\n"},
                    {"0002_x/contract.sql",
                     "-- cutover:lock-timeout 2s\n"
                     "ALTER TABLE " +
                         table +
                         " MODIFY `my col` BIGINT;\n"  // 2
                         "DROP INDEX `idx ✓ ``x`` q` ON " +
                         table +
                         ";\n"  // 3
                         "CREATE UNIQUE INDEX `idx; DROP TABLE x` ON " +
                         table +
                         " (`order`, `from`);\n"  // 4
                         "ALTER TABLE " +
                         table +
                         " ADD COLUMN `select` INT -- a comment at the end\n"
                         ";\n"},  // 5
                    {"0002_x/expand.sql", ""},
                    {"0002_x/rollback.sql", ""}},
                   LintOptions{"0002_x", nullptr});
  ASSERT_TRUE(asked.ok()) << asked.status().ToString();
  EXPECT_EQ(Counted(*asked),
            (V{"MY011@0002_x/contract.sql:2", "MY012@0002_x/contract.sql:3", "MY012@0002_x/contract.sql:4"}));
  const Finding* modify = Find(*asked, "MY011", 2);
  ASSERT_NE(modify, nullptr);
  EXPECT_EQ(modify->message.rfind("we`ird ✓ select is copied", 0), 0u) << modify->message;
  ExpectDropped();
}

// The plan runs on the scratch database and nowhere else.
TEST_F(LintScratch, NothingOutsideTheScratchDatabaseIsTouched) {
  testing::ScratchDatabase victim("mysql");
  ASSERT_FALSE(HasFailure());
  victim.Exec("CREATE TABLE keep (id INT PRIMARY KEY);\nINSERT INTO keep VALUES (1);\n");
  const std::string db = "`" + victim.name() + "`";
  auto asked = Ask({{"0001_a/expand.sql",
                     "-- cutover:lock-timeout 2s\n"
                     "DROP TABLE " +
                         db +
                         ".keep;\n"  // 2
                         "USE " +
                         db +
                         ";\n"  // 3
                         "DROP DATABASE " +
                         db +
                         ";\n"                                // 4
                         "SET GLOBAL max_connections = 3;\n"  // 5
                         "INSERT INTO " +
                         db +
                         ".keep VALUES (2);\n"  // 6
                         "CREATE TABLE t (id INT) SELECT id FROM " +
                         db +
                         ".keep;\n"                          // 7
                         "GRANT ALL ON *.* TO cutover;\n"},  // 8
                    {"0001_a/rollback.sql", ""}});
  ASSERT_TRUE(asked.ok()) << asked.status().ToString();
  EXPECT_EQ(Counted(*asked),
            (V{"EXP001@0001_a/expand.sql:2", "EXP001@0001_a/expand.sql:4", "MY014@0001_a/expand.sql:2",
               "MY014@0001_a/expand.sql:3", "MY014@0001_a/expand.sql:4", "MY014@0001_a/expand.sql:5",
               "MY014@0001_a/expand.sql:6", "MY014@0001_a/expand.sql:7", "MY014@0001_a/expand.sql:8"}));
  EXPECT_EQ(asked->scratch->statements_run, 0);
  auto conn = victim.Connect();
  ASSERT_NE(conn, nullptr);
  int64_t rows = -1;
  ASSERT_TRUE(conn->Query("SELECT COUNT(*) FROM keep",
                          [&](RowView row) {
                            rows = std::stoll(std::string(row[0].data));
                            return Status::Ok();
                          })
                  .ok());
  EXPECT_EQ(rows, 1);
  ExpectDropped();
}

// A failure after the scratch database exists (here: the target's schema
// cannot be read) still drops it.
TEST_F(LintScratch, ScratchIsDroppedWhenTheRunFails) {
  testing::ScratchDatabase target("mysql");
  auto source = target.Connect();
  ASSERT_NE(source, nullptr);
  (void)source->Execute("KILL CONNECTION_ID()");  // the connection is gone
  auto asked = Ask({{"0001_a/expand.sql", "SELECT 1;\n"}, {"0001_a/rollback.sql", ""}}, {}, source.get());
  ASSERT_FALSE(asked.ok());
  EXPECT_NE(asked.status().message().find("lint --scratch: copying the schema of " + source->display_uri()),
            std::string::npos)
      << asked.status().message();
  ASSERT_EQ(created_.size(), 1u);
  ExpectDropped();
}

TEST_F(LintScratch, OnlyForMySqlPlans) {
  auto plan = testutil::ReadFiles(Engine::kPostgreSql, {{"0001_a/expand.sql", "SELECT 1;"}});
  ASSERT_TRUE(plan.ok());
  ScratchLintRequest request;
  request.driver = driver_;
  request.scratch_server = server_;
  auto r = LintPlanOnScratch(*plan, {}, request);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kUnsupported);
  EXPECT_TRUE(created_.empty());
}

}  // namespace
}  // namespace cutover::lint
