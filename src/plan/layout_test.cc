// Other tools' migration layouts (layout.h): detection, and for each reader
// the order, versions, phases and transaction semantics it gives the plan,
// and the malformed layouts it refuses with the file and line (exit 2).
// MySQL and SQLite plans split through the real driver plugins.
#include "plan/layout.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "plan/plan.h"
#include "support/test_env.h"

namespace cutover::plan {
namespace {
namespace fs = std::filesystem;

class LayoutDir : public ::testing::Test {
 protected:
  void SetUp() override {
    root_ = fs::temp_directory_path() / testing::UniqueName("cutover layout ÿ-");
    fs::create_directories(root_);
  }
  void TearDown() override { fs::remove_all(root_); }

  void Write(const std::string& rel, const std::string& text) {
    fs::path p = root_ / rel;
    fs::create_directories(p.parent_path());
    std::ofstream(p, std::ios::binary) << text;
  }
  Result<Plan> Read(Engine engine = Engine::kPostgreSql, std::optional<Layout> layout = std::nullopt) {
    ReadOptions options;
    options.engine = engine;
    options.layout = layout;
    if (engine != Engine::kPostgreSql) {
      Driver* d = testing::TestDriver(std::string(EngineName(engine)));
      if (d != nullptr) options.split = [d](std::string_view s) { return d->SplitScript(s); };
    }
    return ReadPlan(root_.string(), options);
  }
  Plan MustRead(Engine engine = Engine::kPostgreSql) {
    auto plan = Read(engine);
    EXPECT_TRUE(plan.ok()) << plan.status().ToString();
    return plan.ok() ? std::move(*plan) : Plan{};
  }
  std::string Error(Engine engine = Engine::kPostgreSql, std::optional<Layout> layout = std::nullopt) {
    auto plan = Read(engine, layout);
    EXPECT_FALSE(plan.ok()) << "the plan was read without error";
    if (plan.ok()) return {};
    EXPECT_EQ(plan.status().code(), StatusCode::kInvalidInput) << plan.status().ToString();
    return plan.status().message();
  }

  fs::path root_;
};

std::vector<std::string> Names(const Plan& plan) {
  std::vector<std::string> out;
  for (const Migration& m : plan.migrations) out.push_back(m.name);
  return out;
}

// ---- Detection ------------------------------------------------------------------

TEST_F(LayoutDir, EachToolsFilesAreRecognized) {
  const std::pair<Layout, std::pair<std::string, std::string>> cases[] = {
      {Layout::kCutover, {"0001_a/expand.sql", "SELECT 1;"}},
      {Layout::kGolangMigrate, {"1_a.up.sql", "SELECT 1;"}},
      {Layout::kFlyway, {"V1__a.sql", "SELECT 1;"}},
      {Layout::kDbmate, {"20240101_a.sql", "-- migrate:up\nSELECT 1;\n"}},
      {Layout::kGoose, {"20240101_a.sql", "-- +goose Up\nSELECT 1;\n"}},
      {Layout::kSqitch, {"sqitch.plan", "%project=x\n"}},
      {Layout::kLiquibase, {"changelog.sql", "--liquibase formatted sql\n--changeset a:1\nSELECT 1;\n"}},
  };
  for (const auto& [layout, file] : cases) {
    fs::remove_all(root_);
    Write(file.first, file.second);
    auto detected = DetectLayout(root_.string());
    ASSERT_TRUE(detected.ok()) << file.first << ": " << detected.status().ToString();
    EXPECT_EQ(LayoutName(*detected), LayoutName(layout)) << file.first;
  }
}

TEST_F(LayoutDir, MixedLayoutsAreRefusedNamingAFileOfEach) {
  Write("1_a.up.sql", "SELECT 1;");
  Write("V2__b.sql", "SELECT 2;");
  const std::string e = Error();
  EXPECT_NE(e.find("mixes migration layouts: 1_a.up.sql (golang-migrate), V2__b.sql (flyway)"),
            std::string::npos)
      << e;
  EXPECT_NE(e.find("--layout NAME"), std::string::npos) << e;
}

TEST_F(LayoutDir, ForcingALayoutReadsTheFilesAsThatTool) {
  Write("20240101_a.sql", "-- migrate:up\nSELECT 1;\n");
  const std::string e = Error(Engine::kPostgreSql, Layout::kGoose);
  EXPECT_NE(e.find("20240101_a.sql: goose needs a '-- +goose Up' line"), std::string::npos) << e;
  EXPECT_EQ(MustRead().layout, Layout::kDbmate);
}

TEST(LayoutNames, RoundTripAndApplyCommands) {
  for (Layout l : kAllLayouts) EXPECT_EQ(ParseLayout(LayoutName(l)), l);
  EXPECT_EQ(ParseLayout("Flyway"), Layout::kFlyway);
  EXPECT_FALSE(ParseLayout("rails").has_value());
  EXPECT_EQ(LayoutApplyCommand(Layout::kCutover), "");
  EXPECT_EQ(LayoutApplyCommand(Layout::kFlyway), "flyway migrate");
}

// ---- golang-migrate -------------------------------------------------------------

TEST_F(LayoutDir, GolangMigrateOrdersVersionsAsNumbersAndPairsUpWithDown) {
  Write("10_third.up.sql", "CREATE TABLE c (id int);\nCREATE TABLE d (id int);\n");
  Write("9_second.up.sql", "CREATE TABLE b (id int);\n");
  Write("9_second.down.sql", "DROP TABLE b;\n");
  Write("000001_first.up.sql", "CREATE TABLE a (id int);\n");
  Write("README.md", "notes");
  const Plan plan = MustRead();
  EXPECT_EQ(plan.layout, Layout::kGolangMigrate);
  EXPECT_EQ(Names(plan), (std::vector<std::string>{"000001_first", "9_second", "10_third"}));
  EXPECT_EQ(plan.migrations[0].version, "1");
  ASSERT_NE(plan.migrations[1].file(Phase::kRollback), nullptr);
  EXPECT_EQ(plan.migrations[1].file(Phase::kRollback)->display_path, "9_second.down.sql");
  // One Exec per file: one statement runs alone (CREATE INDEX CONCURRENTLY
  // works), several share the implicit transaction.
  EXPECT_TRUE(plan.migrations[1].file(Phase::kExpand)->settings.no_transaction);
  EXPECT_FALSE(plan.migrations[2].file(Phase::kExpand)->settings.no_transaction);
  EXPECT_EQ(plan.warnings, (std::vector<std::string>{"README.md: not a migration file; ignored"}));
}

TEST_F(LayoutDir, GolangMigrateRefusesWhatTheToolRefuses) {
  Write("1_a.up.sql", "SELECT 1;");
  Write("01_b.up.sql", "SELECT 1;");
  Write("2_c.down.sql", "SELECT 1;");
  Write("3_d.up.sql", "SELECT 1;");
  Write("3_e.down.sql", "SELECT 1;");
  Write("4-f.up.sql", "SELECT 1;");
  const std::string e = Error();
  EXPECT_NE(e.find("has 4 problems"), std::string::npos) << e;
  EXPECT_NE(e.find("1_a.up.sql: version 1 has two up files (01_b.up.sql and 1_a.up.sql)"), std::string::npos)
      << e;
  EXPECT_NE(e.find("2_c.down.sql: a down file without its up file (2_c.up.sql)"), std::string::npos) << e;
  EXPECT_NE(e.find("3_e.down.sql: version 3 has files of two names"), std::string::npos) << e;
  EXPECT_NE(e.find("4-f.up.sql: not a golang-migrate file name"), std::string::npos) << e;
}

TEST_F(LayoutDir, APhaseDirectiveMovesTheUpFileAndIrreversibleIsKept) {
  Write("1_add.up.sql", "ALTER TABLE t ADD COLUMN c int;\n");
  Write("2_drop.up.sql",
        "-- cutover:phase contract\n-- cutover:irreversible the column's data is gone\nALTER TABLE t DROP "
        "COLUMN "
        "c;\n");
  Write("2_drop.down.sql", "-- cutover:phase expand\nSELECT 1;\n");
  auto plan = Read();
  ASSERT_FALSE(plan.ok());
  EXPECT_NE(plan.status().message().find(
                "2_drop.down.sql:1: cutover:phase belongs in the header of a migration's up"),
            std::string::npos)
      << plan.status().message();
  Write("2_drop.down.sql", "SELECT 1;\n");
  const Plan ok = MustRead();
  ASSERT_EQ(ok.migrations.size(), 2u);
  EXPECT_NE(ok.migrations[0].file(Phase::kExpand), nullptr);
  EXPECT_EQ(ok.migrations[1].file(Phase::kExpand), nullptr);
  ASSERT_NE(ok.migrations[1].file(Phase::kContract), nullptr);
  EXPECT_EQ(ok.migrations[1].file(Phase::kContract)->phase, Phase::kContract);
  ASSERT_TRUE(ok.migrations[1].irreversible.has_value());
  EXPECT_EQ(ok.migrations[1].irreversible->reason, "the column's data is gone");
}

TEST_F(LayoutDir, APhaseDirectiveIsAnErrorInCutoversOwnLayout) {
  Write("0001_a/expand.sql", "-- cutover:phase contract\nSELECT 1;\n");
  EXPECT_NE(Error().find("0001_a/expand.sql:1: cutover:phase is for other tools' layouts"),
            std::string::npos);
}

// ---- Flyway ---------------------------------------------------------------------

TEST_F(LayoutDir, FlywayOrdersVersionsPartByPartThenRepeatablesByDescription) {
  Write("V2__two.sql", "SELECT 2;\n");
  Write("V1_10__one_ten.sql", "SELECT 110;\n");
  Write("release/V1.9__one_nine.sql", "SELECT 19;\n");
  Write("V1__one.sql", "SELECT 1;\n");
  Write("R__views.sql", "SELECT 'v';\n");
  Write("R__a_functions.sql", "SELECT 'f';\n");
  Write("U2__two.sql", "SELECT -2;\n");
  Write("afterMigrate.sql", "SELECT 0;\n");
  const Plan plan = MustRead();
  EXPECT_EQ(plan.layout, Layout::kFlyway);
  EXPECT_EQ(Names(plan), (std::vector<std::string>{"V1__one", "V1.9__one_nine", "V1_10__one_ten", "V2__two",
                                                   "R__a_functions", "R__views"}));
  EXPECT_EQ(plan.migrations[2].version, "1.10");
  EXPECT_EQ(plan.migrations[1].file(Phase::kExpand)->display_path, "release/V1.9__one_nine.sql");
  ASSERT_NE(plan.migrations[3].file(Phase::kRollback), nullptr);
  EXPECT_EQ(plan.migrations[3].file(Phase::kRollback)->display_path, "U2__two.sql");
  EXPECT_TRUE(plan.migrations[5].repeatable);
  EXPECT_EQ(plan.migrations[5].version, "views");
  EXPECT_FALSE(plan.migrations[0].file(Phase::kExpand)->settings.no_transaction);
  ASSERT_EQ(plan.warnings.size(), 1u);
  EXPECT_NE(plan.warnings[0].find("afterMigrate.sql: a Flyway callback"), std::string::npos);
}

TEST_F(LayoutDir, FlywayChecksumIsItsCrc32OfLinesWhateverTheLineEndings) {
  // Values from zlib.crc32 over the lines without their endings, as a
  // signed 32-bit number: what Flyway stores in flyway_schema_history.
  Write("V1__a.sql", "CREATE TABLE orders (id int);\n");
  Write("V2__b.sql",
        "\xEF\xBB\xBF"
        "CREATE TABLE orders (id int);\r\n\r\n");
  Write("V3__c.sql", "SELECT 1;\n");
  const Plan plan = MustRead();
  EXPECT_EQ(plan.migrations[0].tool_checksum, "-1726728712");
  EXPECT_EQ(plan.migrations[1].tool_checksum, "-1726728712");
  EXPECT_EQ(plan.migrations[2].tool_checksum, "78787420");
}

TEST_F(LayoutDir, FlywayScriptConfigTurnsTheTransactionOff) {
  Write("V1__index.sql", "CREATE INDEX CONCURRENTLY i ON t (c);\n");
  Write("V1__index.sql.conf", "# Flyway script config\nexecuteInTransaction=false\nencoding=UTF-8\n");
  const Plan plan = MustRead();
  ASSERT_EQ(plan.migrations.size(), 1u);
  EXPECT_TRUE(plan.migrations[0].file(Phase::kExpand)->settings.no_transaction);
  EXPECT_EQ(
      plan.warnings,
      (std::vector<std::string>{
          "V1__index.sql.conf:3: encoding is not rehearsed by cutover; only executeInTransaction is read"}));
  Write("V1__index.sql.conf", "executeInTransaction=maybe\n");
  EXPECT_NE(Error().find("V1__index.sql.conf:1: executeInTransaction must be true or false"),
            std::string::npos);
}

TEST_F(LayoutDir, FlywayRunsAMigrationOfNonTransactionalStatementsWithoutATransaction) {
  Write("V1__index.sql",
        "CREATE INDEX CONCURRENTLY i ON t (c);\ncreate unique index concurrently j ON t (d);\n");
  Write("V2__table.sql", "CREATE TABLE u (id int);\n");
  const Plan plan = MustRead();
  EXPECT_TRUE(plan.migrations[0].file(Phase::kExpand)->settings.no_transaction);
  EXPECT_FALSE(plan.migrations[1].file(Phase::kExpand)->settings.no_transaction);
  Write("V3__mixed.sql", "CREATE TABLE v (id int);\n\nVACUUM v;\n");
  Write("V4__placeholder.sql", "-- schema from flyway.conf\nCREATE TABLE ${schema}.w (id int);\n");
  const std::string e = Error();
  EXPECT_NE(e.find("V3__mixed.sql:3: a statement that cannot run in a transaction among statements that can"),
            std::string::npos)
      << e;
  EXPECT_NE(e.find("V4__placeholder.sql:2: Flyway placeholder ${schema}"), std::string::npos) << e;
}

TEST_F(LayoutDir, FlywayRefusesDuplicateVersionsOrphanUndoAndStrayNames) {
  Write("V1__a.sql", "SELECT 1;");
  Write("V1.0__b.sql", "SELECT 1;");
  Write("U3__c.sql", "SELECT 1;");
  Write("V4_x.sql", "SELECT 1;");
  const std::string e = Error();
  EXPECT_NE(e.find("V1__a.sql: version 1 is also V1.0__b.sql"), std::string::npos) << e;
  EXPECT_NE(e.find("U3__c.sql: an undo script without its versioned migration (V3__...sql)"),
            std::string::npos)
      << e;
  EXPECT_NE(e.find("V4_x.sql: not a Flyway migration name"), std::string::npos) << e;
}

TEST_F(LayoutDir, ASymbolicLinkLoopUnderAFlywayPlanIsRefusedNotFollowedForever) {
  Write("V1__a.sql", "SELECT 1;\n");
  fs::create_directories(root_ / "sub");
  fs::create_directory_symlink(root_, root_ / "sub" / "loop");
  const std::string e = Error();
  EXPECT_NE(e.find("nested more than 16 deep in the plan (a symbolic link loop?)"), std::string::npos) << e;
}

TEST_F(LayoutDir, FlywayStatementErrorsNameTheFileAndLine) {
  Write("V1__a.sql", "SELECT 1;\n\nSELECT FROM WHERE (;\n");
  const std::string e = Error();
  EXPECT_NE(e.find("V1__a.sql:3:"), std::string::npos) << e;
}

// ---- dbmate ---------------------------------------------------------------------

TEST_F(LayoutDir, DbmateSectionsKeepTheFilesLineNumbers) {
  Write("20240101120000_orders.sql",
        "-- migrate:up\nCREATE TABLE orders (id int);\n\n-- migrate:down\nDROP TABLE orders;\n");
  Write("20240102120000_index.sql",
        "-- migrate:up transaction:false\nCREATE INDEX CONCURRENTLY i ON orders (id);\n-- migrate:down\n");
  const Plan plan = MustRead();
  EXPECT_EQ(plan.layout, Layout::kDbmate);
  ASSERT_EQ(plan.migrations.size(), 2u);
  EXPECT_EQ(plan.migrations[0].version, "20240101120000");
  const PlanFile* down = plan.migrations[0].file(Phase::kRollback);
  ASSERT_NE(down, nullptr);
  ASSERT_EQ(down->statements.size(), 1u);
  EXPECT_EQ(down->statements[0].line, 5);
  EXPECT_EQ(down->statements[0].text, "DROP TABLE orders");
  ASSERT_EQ(plan.migrations[0].file(Phase::kExpand)->statements.size(), 1u);
  EXPECT_FALSE(plan.migrations[0].file(Phase::kExpand)->settings.no_transaction);
  EXPECT_TRUE(plan.migrations[1].file(Phase::kExpand)->settings.no_transaction);
  EXPECT_EQ(plan.migrations[1].file(Phase::kRollback), nullptr);  // an empty down
  Write("20240101120000_orders.sql", "-- migrate:up\nSELECT 1;\n-- migrate:down\nDROP TABLE (;\n");
  EXPECT_NE(Error().find("20240101120000_orders.sql:4:"), std::string::npos);
}

TEST_F(LayoutDir, DbmateRefusesFilesTheToolWouldRefuse) {
  Write("1_no_marker.sql", "-- migrate:down\nSELECT 1;\n");
  Write("2_before.sql", "SELECT 0;\n-- migrate:up\nSELECT 1;\n");
  Write("3_twice.sql", "-- migrate:up\nSELECT 1;\n-- migrate:up\nSELECT 2;\n");
  Write("4_option.sql", "-- migrate:up transaction:maybe\nSELECT 1;\n");
  Write("5_fine.sql", "-- migrate:up\nSELECT 1;\n");
  const std::string e = Error();
  EXPECT_NE(e.find("1_no_marker.sql:1: dbmate needs a '-- migrate:up' line"), std::string::npos) << e;
  EXPECT_NE(e.find("2_before.sql:1: a statement before '-- migrate:up'"), std::string::npos) << e;
  EXPECT_NE(e.find("3_twice.sql:3: a second '-- migrate:up' (the first is line 1)"), std::string::npos) << e;
  EXPECT_NE(e.find("4_option.sql:1: unknown dbmate option 'transaction:maybe'"), std::string::npos) << e;
}

// ---- goose ----------------------------------------------------------------------

TEST_F(LayoutDir, GooseBlocksAreOneStatementAndNoTransactionCoversTheFile) {
  Write("00001_orders.sql",
        "-- +goose Up\nCREATE TABLE orders (id int);\n-- +goose StatementBegin\n"
        "CREATE FUNCTION f() RETURNS int AS $$\nBEGIN\n  RETURN 1;\nEND;\n$$ LANGUAGE plpgsql;\n"
        "-- +goose StatementEnd\n\n-- +goose Down\nDROP FUNCTION f;\nDROP TABLE orders;\n");
  Write("00002_index.sql",
        "-- +goose NO TRANSACTION\n-- +goose Up\nCREATE INDEX CONCURRENTLY i ON orders (id);\n"
        "-- +goose Down\nDROP INDEX CONCURRENTLY i;\n");
  const Plan plan = MustRead();
  EXPECT_EQ(plan.layout, Layout::kGoose);
  ASSERT_EQ(plan.migrations.size(), 2u);
  EXPECT_EQ(plan.migrations[0].version, "1");
  const PlanFile* up = plan.migrations[0].file(Phase::kExpand);
  ASSERT_EQ(up->statements.size(), 2u);
  EXPECT_EQ(up->statements[1].line, 4);
  EXPECT_EQ(up->statements[1].end_line, 8);
  EXPECT_TRUE(up->statements[1].text.starts_with("CREATE FUNCTION f()"));
  EXPECT_EQ(plan.migrations[0].file(Phase::kRollback)->statements.size(), 2u);
  EXPECT_EQ(plan.migrations[0].file(Phase::kRollback)->statements[0].line, 12);
  EXPECT_FALSE(up->settings.no_transaction);
  EXPECT_TRUE(plan.migrations[1].file(Phase::kExpand)->settings.no_transaction);
  EXPECT_TRUE(plan.migrations[1].file(Phase::kRollback)->settings.no_transaction);
}

TEST_F(LayoutDir, AStatementGooseWouldCutShortIsRefusedAtTheLineItWouldCut) {
  Write("1_fn.sql",
        "-- +goose Up\nCREATE FUNCTION f() RETURNS int AS $$\nBEGIN\n  RETURN 1;\nEND;\n$$ LANGUAGE "
        "plpgsql;\n");
  const std::string e = Error();
  EXPECT_NE(
      e.find("1_fn.sql:4: goose ends a statement at a line ending in ';', so it would run the statement of "
             "line 2 cut short here"),
      std::string::npos)
      << e;
}

TEST_F(LayoutDir, GooseEnvironmentSubstitutionIsRefusedWhereItWouldChangeTheSql) {
  Write("1_a.sql",
        "-- +goose Up\n-- +goose ENVSUB ON\nCREATE TABLE t (id int);\n-- +goose ENVSUB OFF\n"
        "CREATE FUNCTION f() RETURNS int AS $$ SELECT 1 $$ LANGUAGE sql;\n");
  EXPECT_EQ(MustRead().migrations.size(), 1u) << "no variable inside the ENVSUB region: nothing changes";
  Write("2_b.sql", "-- +goose Up\n-- +goose ENVSUB ON\nCREATE TABLE ${SCHEMA}.u (id int);\n");
  EXPECT_NE(Error().find("2_b.sql:3: goose replaces environment variables here (ENVSUB ON)"),
            std::string::npos);
}

TEST_F(LayoutDir, GooseRefusesMalformedAnnotations) {
  Write("1_a.sql", "SELECT 0;\n-- +goose Up\nSELECT 1;\n");
  Write("2_b.sql", "-- +goose Up\n-- +goose StatementBegin\nSELECT 1;\n");
  Write("3_c.sql", "-- +goose Up\n-- +goose Sideways\nSELECT 1;\n");
  Write("4_d.sql", "SELECT 1;\n");
  const std::string e = Error(Engine::kPostgreSql, Layout::kGoose);
  EXPECT_NE(e.find("1_a.sql:1: a statement before '-- +goose Up'"), std::string::npos) << e;
  EXPECT_NE(e.find("2_b.sql:2: StatementBegin without its StatementEnd"), std::string::npos) << e;
  EXPECT_NE(e.find("3_c.sql:2: unknown goose annotation '-- +goose Sideways'"), std::string::npos) << e;
  EXPECT_NE(e.find("4_d.sql: goose needs a '-- +goose Up' line"), std::string::npos) << e;
}

// ---- Liquibase formatted SQL ----------------------------------------------------

TEST_F(LayoutDir, LiquibaseChangesetsRollbacksAndAttributes) {
  Write("001_orders.sql",
        "--liquibase formatted sql\n"
        "\n"
        "--changeset alice:1\n"
        "--comment: the orders table\n"
        "CREATE TABLE orders (id int);\n"
        "--rollback DROP TABLE orders;\n"
        "\n"
        "--changeset bob:idx runInTransaction:false\n"
        "CREATE INDEX CONCURRENTLY i ON orders (id);\n"
        "--rollback DROP INDEX CONCURRENTLY i;\n"
        "--changeset \"Carol Ann\":fn splitStatements:false\n"
        "CREATE FUNCTION f() RETURNS int AS $$ SELECT 1; $$ LANGUAGE sql;\n"
        "--changeset dave:mysql-only dbms:mysql,mariadb\n"
        "SELECT 1;\n");
  Write("002_more.sql",
        "--liquibase formatted sql\n"
        "--changeset erin:delimited endDelimiter:GO\n"
        "CREATE TABLE a (id int)\n"
        "GO\n"
        "CREATE TABLE b (id int)\n"
        "GO\n"
        "/* liquibase rollback\n"
        "DROP TABLE b;\n"
        "DROP TABLE a;\n"
        "*/\n"
        "--changeset erin:always runAlways:true\n"
        "SELECT 2;\n");
  Write("master.xml", "<databaseChangeLog/>");
  const Plan plan = MustRead();
  EXPECT_EQ(plan.layout, Layout::kLiquibase);
  EXPECT_EQ(Names(plan), (std::vector<std::string>{"alice:1", "bob:idx", "Carol Ann:fn", "erin:delimited",
                                                   "erin:always"}));
  const Migration& orders = plan.migrations[0];
  ASSERT_EQ(orders.file(Phase::kExpand)->statements.size(), 1u);
  EXPECT_EQ(orders.file(Phase::kExpand)->statements[0].line, 5);
  ASSERT_NE(orders.file(Phase::kRollback), nullptr);
  EXPECT_EQ(orders.file(Phase::kRollback)->statements[0].text, "DROP TABLE orders");
  EXPECT_EQ(orders.file(Phase::kRollback)->statements[0].line, 6);
  EXPECT_FALSE(orders.file(Phase::kExpand)->settings.no_transaction);
  EXPECT_TRUE(plan.migrations[1].file(Phase::kExpand)->settings.no_transaction);
  EXPECT_EQ(plan.migrations[2].file(Phase::kExpand)->statements.size(), 1u);
  const PlanFile* delimited = plan.migrations[3].file(Phase::kExpand);
  ASSERT_EQ(delimited->statements.size(), 2u);
  EXPECT_EQ(delimited->statements[1].text, "CREATE TABLE b (id int)");
  EXPECT_EQ(delimited->statements[1].line, 5);
  ASSERT_NE(plan.migrations[3].file(Phase::kRollback), nullptr);
  EXPECT_EQ(plan.migrations[3].file(Phase::kRollback)->statements.size(), 2u);
  EXPECT_EQ(plan.migrations[3].file(Phase::kRollback)->statements[1].line, 9);
  EXPECT_TRUE(plan.migrations[4].repeatable);
  ASSERT_EQ(plan.warnings.size(), 2u);
  EXPECT_NE(plan.warnings[0].find("001_orders.sql:13: changeset dave:mysql-only is for dbms:mysql,mariadb"),
            std::string::npos)
      << plan.warnings[0];
  EXPECT_NE(plan.warnings[1].find("master.xml: not read"), std::string::npos) << plan.warnings[1];
}

TEST_F(LayoutDir, LiquibaseRefusesWhatWouldRunDifferently) {
  Write("a.sql",
        "--liquibase formatted sql\nSELECT 0;\n--changeset alice\nSELECT 1;\n"
        "--changeset alice:2 runInTransation:false\nSELECT 2;\n"
        "--changeset alice:3 endDelimiter:GO\nSELECT 3 GO\n");
  Write("b.sql", "--liquibase formatted sql\n--changeset alice:2\nSELECT 2;\n");
  Write("c.sql", "SELECT 'not a changelog';\n");
  const std::string e = Error();
  EXPECT_NE(e.find("a.sql:2: SQL before the first --changeset"), std::string::npos) << e;
  EXPECT_NE(e.find("a.sql:3: a changeset needs author:id"), std::string::npos) << e;
  EXPECT_NE(e.find("a.sql:5: unknown changeset attribute 'runInTransation:false'"), std::string::npos) << e;
  EXPECT_NE(e.find("a.sql:8: endDelimiter 'GO' after SQL on the same line"), std::string::npos) << e;
  EXPECT_NE(e.find("b.sql:2: changeset alice:2 is also in a.sql"), std::string::npos) << e;
  EXPECT_NE(e.find("c.sql:1: not a Liquibase formatted SQL changelog"), std::string::npos) << e;
}

// ---- sqitch ---------------------------------------------------------------------

TEST_F(LayoutDir, SqitchChangesInPlanOrderWithReworkedScriptsAndTheirWrappers) {
  Write("sqitch.plan",
        "%syntax-version=1.0.0\n%project=shop\n\n"
        "accounts 2024-01-01T10:00:00Z Alice <alice@example.com> # the table\n"
        "plan_column [accounts] 2024-01-02T10:00:00Z Alice <alice@example.com>\n"
        "@v1.0 2024-01-03T10:00:00Z Alice <alice@example.com> # release\n"
        "plan_column [plan_column@v1.0] 2024-01-04T10:00:00Z Bob <bob@example.com> # reworked\n");
  Write("deploy/accounts.sql", "-- Deploy shop:accounts\nBEGIN;\nCREATE TABLE accounts (id int);\nCOMMIT;\n");
  Write("revert/accounts.sql", "BEGIN;\nDROP TABLE accounts;\nCOMMIT;\n");
  Write("verify/accounts.sql", "BEGIN;\nSELECT 1/COUNT(*) FROM accounts;\nROLLBACK;\n");
  Write("deploy/plan_column@v1.0.sql", "ALTER TABLE accounts ADD COLUMN plan text;\n");
  Write("deploy/plan_column.sql", "CREATE INDEX CONCURRENTLY accounts_plan ON accounts (plan);\n");
  Write("revert/plan_column.sql", "DROP INDEX CONCURRENTLY accounts_plan;\n");
  const Plan plan = MustRead();
  EXPECT_EQ(plan.layout, Layout::kSqitch);
  EXPECT_EQ(Names(plan), (std::vector<std::string>{"accounts", "plan_column@v1.0", "plan_column"}));
  const Migration& accounts = plan.migrations[0];
  const PlanFile* deploy = accounts.file(Phase::kExpand);
  ASSERT_EQ(deploy->statements.size(), 1u) << "BEGIN and COMMIT are the transaction, not statements";
  EXPECT_EQ(deploy->statements[0].line, 3);
  EXPECT_FALSE(deploy->settings.no_transaction);
  EXPECT_EQ(accounts.file(Phase::kRollback)->statements.size(), 1u);
  const PlanFile* verify = accounts.file(Phase::kChecks);
  ASSERT_NE(verify, nullptr);
  EXPECT_EQ(verify->display_path, "verify/accounts.sql");
  EXPECT_EQ(verify->statements.size(), 1u);
  EXPECT_TRUE(verify->settings.errors_only);
  EXPECT_EQ(plan.migrations[1].file(Phase::kExpand)->display_path, "deploy/plan_column@v1.0.sql");
  EXPECT_EQ(plan.migrations[1].version, "plan_column");
  EXPECT_TRUE(plan.migrations[2].file(Phase::kExpand)->settings.no_transaction)
      << "not wrapped: as psql runs it";
}

TEST_F(LayoutDir, SqitchRefusesAPlanSqitchWouldRefuse) {
  Write("sqitch.plan",
        "%syntax-version=1.0.0\n"
        "accounts 2024-01-01T10:00:00Z Alice <alice@example.com>\n"
        "accounts yesterday Alice\n"
        "users 2024-01-01T10:00:00Z Alice <alice@example.com>\n"
        "users 2024-01-02T10:00:00Z Alice <alice@example.com>\n");
  Write("deploy/accounts.sql", "SELECT 1;\n");
  const std::string e = Error();
  EXPECT_NE(e.find("sqitch.plan: no %project=NAME pragma"), std::string::npos) << e;
  EXPECT_NE(e.find("sqitch.plan:3: not a change or tag line"), std::string::npos) << e;
  EXPECT_NE(e.find("sqitch.plan:4: change users is reworked with no tag after it"), std::string::npos) << e;
  EXPECT_NE(e.find("sqitch.plan:5: change users has no deploy/users.sql"), std::string::npos) << e;
}

// ---- Every reader on the engines split by the driver plugins ----------------------

TEST_F(LayoutDir, MysqlAndSqliteFilesSplitThroughTheirDrivers) {
  for (Engine engine : {Engine::kMySql, Engine::kSqlite}) {
    fs::remove_all(root_);
    Write(
        "20240101_t.sql",
        "-- +goose Up\nCREATE TABLE t (id int);\n-- +goose StatementBegin\n"
        "CREATE TRIGGER tr AFTER INSERT ON t FOR EACH ROW BEGIN\n  UPDATE t SET id = id WHERE id = 0;\nEND;\n"
        "-- +goose StatementEnd\n-- +goose Down\nDROP TABLE t;\n");
    const Plan plan = MustRead(engine);
    ASSERT_EQ(plan.migrations.size(), 1u) << EngineName(engine);
    const PlanFile* up = plan.migrations[0].file(Phase::kExpand);
    ASSERT_EQ(up->statements.size(), 2u) << EngineName(engine);
    EXPECT_EQ(up->statements[1].line, 4) << EngineName(engine);
    EXPECT_TRUE(up->statements[1].text.ends_with("END")) << up->statements[1].text;
  }
}

}  // namespace
}  // namespace cutover::plan
