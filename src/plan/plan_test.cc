// The plan reader: directory layout and names, every bad-plan error with its
// exact file:line, directives, statement splitting per engine (PostgreSQL
// through libpg_query; MySQL and SQLite through the real driver plugins) and
// checksums stable across line endings.
#include "plan/plan.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "plan/sql_lexer.h"
#include "support/test_env.h"

namespace cutover::plan {
namespace {
namespace fs = std::filesystem;
using std::chrono::milliseconds;

class PlanDir : public ::testing::Test {
 protected:
  void SetUp() override {
    // A space and a non-ASCII letter in the path: nothing may depend on a tame root.
    root_ = fs::temp_directory_path() / testing::UniqueName("cutover plan ÿ-");
    fs::create_directories(root_);
  }
  void TearDown() override { fs::remove_all(root_); }

  void Write(const std::string& rel, const std::string& text) {
    fs::path p = root_ / rel;
    fs::create_directories(p.parent_path());
    std::ofstream(p, std::ios::binary) << text;
  }
  Result<Plan> Read(Engine engine = Engine::kPostgreSql) {
    ReadOptions options;
    options.engine = engine;
    if (engine != Engine::kPostgreSql) {
      Driver* d = testing::TestDriver(std::string(EngineName(engine)));
      if (d != nullptr) options.split = [d](std::string_view s) { return d->SplitScript(s); };
    }
    return ReadPlan(root_.string(), options);
  }
  // The error message of a plan that must not read.
  std::string Error(Engine engine = Engine::kPostgreSql) {
    auto plan = Read(engine);
    EXPECT_FALSE(plan.ok()) << "the plan was read without error";
    if (plan.ok()) return {};
    EXPECT_EQ(plan.status().code(), StatusCode::kInvalidInput) << plan.status().ToString();
    return plan.status().message();
  }

  fs::path root_;
};

Result<PlanFile> Parse(const std::string& text, Phase phase = Phase::kExpand) {
  ReadOptions options;
  return ParsePlanFile(text, "0001_m/" + std::string(PhaseFileName(phase)), phase, options);
}

std::string ParseError(const std::string& text, Phase phase = Phase::kExpand) {
  auto f = Parse(text, phase);
  EXPECT_FALSE(f.ok()) << "parsed without error:\n" << text;
  return f.ok() ? std::string() : f.status().message();
}

// ---- Layout and names ---------------------------------------------------------

TEST_F(PlanDir, MigrationsRunInNumericOrderNotTextOrder) {
  Write("10_third/expand.sql", "SELECT 3;");
  Write("9_second/expand.sql", "SELECT 2;");
  Write("0001_first/expand.sql", "SELECT 1;");
  Write("20240101120000_timestamped/expand.sql", "SELECT 4;");
  auto plan = Read();
  ASSERT_TRUE(plan.ok()) << plan.status().ToString();
  ASSERT_EQ(plan->migrations.size(), 4u);
  EXPECT_EQ(plan->migrations[0].name, "0001_first");
  EXPECT_EQ(plan->migrations[1].name, "9_second");
  EXPECT_EQ(plan->migrations[2].name, "10_third");
  EXPECT_EQ(plan->migrations[3].name, "20240101120000_timestamped");
  EXPECT_EQ(plan->migrations[0].number, "1");
}

TEST_F(PlanDir, ReadsEveryPhaseFile) {
  for (Phase p : kAllPhases) Write("0001_all/" + std::string(PhaseFileName(p)), "SELECT 1;");
  auto plan = Read();
  ASSERT_TRUE(plan.ok()) << plan.status().ToString();
  const Migration& m = plan->migrations[0];
  for (Phase p : kAllPhases) {
    ASSERT_NE(m.file(p), nullptr) << PhaseFileName(p);
    EXPECT_EQ(m.file(p)->display_path, "0001_all/" + std::string(PhaseFileName(p)));
    EXPECT_EQ(m.file(p)->statements.size(), 1u);
  }
}

TEST_F(PlanDir, FolderWithoutExpandSqlIsAnError) {
  Write("0001_ok/expand.sql", "SELECT 1;");
  Write("0002_no_expand/contract.sql", "SELECT 1;");
  EXPECT_EQ(Error(),
            "0002_no_expand/expand.sql: missing: every migration needs an expand.sql (the additive, "
            "backward-compatible step)");
}

TEST_F(PlanDir, UnknownSqlFileIsAnErrorWithASuggestion) {
  Write("0001_a/expand.sql", "SELECT 1;");
  Write("0001_a/rollbak.sql", "SELECT 1;");
  std::string e = Error();
  EXPECT_NE(e.find("0001_a/rollbak.sql: unknown plan file (did you mean rollback.sql?)"), std::string::npos)
      << e;
}

TEST_F(PlanDir, UpperCasePhaseFileIsUnknown) {
  Write("0001_a/Expand.sql", "SELECT 1;");
  std::string e = Error();
  EXPECT_NE(e.find("0001_a/Expand.sql: unknown plan file (did you mean expand.sql?)"), std::string::npos)
      << e;
  EXPECT_NE(e.find("0001_a/expand.sql: missing"), std::string::npos) << e;
}

TEST_F(PlanDir, OtherFilesAndFoldersAreWarningsAndHiddenOnesAreSkipped) {
  Write("0001_a/expand.sql", "SELECT 1;");
  Write("0001_a/NOTES.md", "why we do this");
  Write("0001_a/data/seed.csv", "1,2");
  Write("0001_a/.expand.sql.swp", "\xff\xfe");
  Write("README.md", "the plan");
  Write(".git/HEAD", "ref");
  auto plan = Read();
  ASSERT_TRUE(plan.ok()) << plan.status().ToString();
  EXPECT_EQ(plan->warnings, (std::vector<std::string>{"README.md: not a migration folder; ignored",
                                                      "0001_a/NOTES.md: not a plan file; ignored",
                                                      "0001_a/data: a folder inside a migration; ignored"}));
}

TEST_F(PlanDir, UnsortableNamesAreErrors) {
  Write("add_index/expand.sql", "SELECT 1;");
  Write("0002-dash/expand.sql", "SELECT 1;");
  Write("0003_/expand.sql", "SELECT 1;");
  Write("0004_café/expand.sql", "SELECT 1;");
  Write("0005_ok/expand.sql", "SELECT 1;");
  std::string e = Error();
  EXPECT_NE(e.find("has 4 problems"), std::string::npos) << e;
  EXPECT_NE(e.find("add_index: a migration folder name must be NNNN_name"), std::string::npos) << e;
  EXPECT_NE(e.find("rename it, e.g. to 0001_add_index"), std::string::npos) << e;
  EXPECT_NE(e.find("0002-dash: a migration folder name must be"), std::string::npos) << e;
  EXPECT_NE(e.find("0003_: a migration folder name must be"), std::string::npos) << e;
  EXPECT_NE(e.find("0004_café: a migration folder name must be"), std::string::npos) << e;
}

TEST_F(PlanDir, DuplicateNumbersAreAnError) {
  Write("0007_split_name/expand.sql", "SELECT 1;");
  Write("007_other/expand.sql", "SELECT 1;");
  EXPECT_EQ(
      Error(),
      "007_other: has the same number (7) as 0007_split_name, so their order is ambiguous: renumber one "
      "of them");
}

TEST_F(PlanDir, SqlFilesAtTheTopAreErrors) {
  Write("expand.sql", "SELECT 1;");
  Write("schema.sql", "SELECT 1;");
  std::string e = Error();
  EXPECT_NE(e.find("expand.sql: a plan file at the top of the plan"), std::string::npos) << e;
  EXPECT_NE(e.find("looks like a single migration folder"), std::string::npos) << e;
  EXPECT_NE(e.find("schema.sql: an SQL file at the top of the plan"), std::string::npos) << e;
}

TEST_F(PlanDir, EmptyMissingAndNonDirectoryPlans) {
  EXPECT_NE(Error().find("has no migration folders"), std::string::npos);
  Write("file.txt", "x");
  ReadOptions options;
  auto not_dir = ReadPlan((root_ / "file.txt").string(), options);
  ASSERT_FALSE(not_dir.ok());
  EXPECT_EQ(not_dir.status().code(), StatusCode::kInvalidInput);
  EXPECT_NE(not_dir.status().message().find("is not a directory"), std::string::npos);
  auto missing = ReadPlan((root_ / "nope").string(), options);
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.status().code(), StatusCode::kNotFound);
  EXPECT_NE(missing.status().message().find("does not exist"), std::string::npos);
}

TEST_F(PlanDir, NonUtf8TextNamesTheLineAndColumn) {
  Write("0001_a/expand.sql", "SELECT 1;\n-- fine: café\nSELECT 'caf\xE9';\n");
  EXPECT_EQ(Error(), "0001_a/expand.sql:3: not UTF-8 text (byte 0xE9 at column 12): save the file as UTF-8");
}

TEST_F(PlanDir, OverlongAndSurrogateEncodingsAreNotUtf8) {
  Write("0001_a/expand.sql", "SELECT '\xC0\xAF';");
  EXPECT_NE(Error().find("0001_a/expand.sql:1: not UTF-8 text (byte 0xC0 at column 9)"), std::string::npos);
  Write("0001_a/expand.sql", "\n\nSELECT '\xED\xA0\x80';");
  EXPECT_NE(Error().find("0001_a/expand.sql:3: not UTF-8 text (byte 0xED"), std::string::npos);
}

TEST_F(PlanDir, NulByteIsAnError) {
  Write("0001_a/expand.sql", std::string("SELECT 1;\nSELECT 2\0;", 20));
  EXPECT_EQ(Error(), "0001_a/expand.sql:2: contains a NUL byte: a plan file must be UTF-8 text");
}

TEST_F(PlanDir, SyntaxErrorNamesTheLineEvenAfterMultibyteText) {
  Write("0001_a/expand.sql", "-- ünïcödé ☃ before\nSELECT 'ééé';\n\nALTER TABLE orders ADD COLUMN;\n");
  EXPECT_EQ(Error(), "0001_a/expand.sql:4: syntax error at or near \";\" (PostgreSQL parser): fix the SQL");
}

TEST_F(PlanDir, UnterminatedStringNamesItsLine) {
  Write("0001_a/expand.sql", "SELECT 1;\nSELECT 'abc\n\n");
  std::string e = Error();
  EXPECT_NE(e.find("0001_a/expand.sql:2: unterminated quoted string"), std::string::npos) << e;
}

TEST_F(PlanDir, AllProblemsAreReportedAtOnce) {
  Write("0001_a/expand.sql", "-- cutover:frobnicate\nSELECT 1;");
  Write("0002_b/expand.sql", "SELEC 1;");
  Write("0003_c/rollback.sql", "SELECT 1;");
  std::string e = Error();
  EXPECT_NE(e.find("has 3 problems:"), std::string::npos) << e;
  EXPECT_NE(e.find("\n  0001_a/expand.sql:1: unknown directive 'cutover:frobnicate'"), std::string::npos)
      << e;
  EXPECT_NE(e.find("\n  0002_b/expand.sql:1: syntax error at or near \"SELEC\""), std::string::npos) << e;
  EXPECT_NE(e.find("\n  0003_c/expand.sql: missing"), std::string::npos) << e;
}

// ---- Directives --------------------------------------------------------------

TEST(Directives, HeaderDirectivesSetTheFileSettings) {
  auto f = Parse(
      "-- A header comment\n"
      "-- cutover:no-transaction\n"
      "--cutover:lock-timeout 3s\n"
      "   -- CUTOVER:statement-timeout 5min\n"
      "-- cutover:irreversible drops the legacy audit table\n"
      "CREATE INDEX CONCURRENTLY i ON t (a);\n");
  ASSERT_TRUE(f.ok()) << f.status().ToString();
  EXPECT_TRUE(f->settings.no_transaction);
  EXPECT_EQ(f->settings.lock_timeout, milliseconds(3000));
  EXPECT_EQ(f->settings.statement_timeout, milliseconds(300000));
  ASSERT_EQ(f->header_directives.size(), 4u);
  EXPECT_EQ(f->header_directives[3].kind, DirectiveKind::kIrreversible);
  EXPECT_EQ(f->header_directives[3].reason, "drops the legacy audit table");
  EXPECT_EQ(f->header_directives[3].line, 5);
}

TEST(Directives, BackfillBatchSizeAndPause) {
  auto f = Parse(
      "-- cutover:batch-size 5000\n-- cutover:pause 200ms\n"
      "UPDATE t SET b = a WHERE id IN (SELECT id FROM t WHERE b IS NULL LIMIT {{batch_size}});",
      Phase::kBackfill);
  ASSERT_TRUE(f.ok()) << f.status().ToString();
  EXPECT_EQ(f->settings.batch_size, 5000);
  EXPECT_EQ(f->settings.pause, milliseconds(200));
  EXPECT_EQ(f->ExecutableText(f->statements[0]),
            "UPDATE t SET b = a WHERE id IN (SELECT id FROM t WHERE b IS NULL LIMIT 5000)");
  auto defaults =
      Parse("UPDATE t SET b = a WHERE id IN (SELECT id FROM t LIMIT {{batch_size}});", Phase::kBackfill);
  ASSERT_TRUE(defaults.ok()) << defaults.status().ToString();
  EXPECT_EQ(defaults->batch_size(), kDefaultBatchSize);
  EXPECT_FALSE(defaults->settings.remaining_query.has_value());
}

TEST(Directives, RemainingQueryForTheBackfillEta) {
  auto f = Parse(
      "-- cutover:remaining SELECT count(*) FROM t WHERE b IS NULL\n"
      "UPDATE t SET b = a WHERE id IN (SELECT id FROM t WHERE b IS NULL LIMIT {{batch_size}});",
      Phase::kBackfill);
  ASSERT_TRUE(f.ok()) << f.status().ToString();
  EXPECT_EQ(f->settings.remaining_query, "SELECT count(*) FROM t WHERE b IS NULL");
  EXPECT_NE(ParseError("-- cutover:remaining\nUPDATE t SET b = 1;", Phase::kBackfill)
                .find("0001_m/backfill.sql:1: cutover:remaining needs a query"),
            std::string::npos);
  EXPECT_NE(ParseError("-- cutover:remaining SELECT 1\nSELECT 1;").find("belongs in backfill.sql"),
            std::string::npos);
  EXPECT_NE(ParseError("UPDATE t SET b = 1;\n-- cutover:remaining SELECT 1\n", Phase::kBackfill)
                .find("applies to the whole file"),
            std::string::npos);
}

TEST(Directives, IgnoreAndTimeoutsApplyToTheNextStatement) {
  auto f = Parse(
      "SELECT 1;\n"
      "-- cutover:ignore pg001 orders has twelve rows\n"
      "-- cutover:lock-timeout 10s\n"
      "\n"
      "CREATE INDEX i ON orders (a);\n"
      "SELECT 2;\n");
  ASSERT_TRUE(f.ok()) << f.status().ToString();
  ASSERT_EQ(f->statements.size(), 3u);
  EXPECT_TRUE(f->statements[0].directives.empty());
  const Statement& s = f->statements[1];
  EXPECT_EQ(s.line, 5);
  ASSERT_NE(s.IgnoreFor("PG001"), nullptr);
  EXPECT_EQ(s.IgnoreFor("PG001")->reason, "orders has twelve rows");
  EXPECT_EQ(s.IgnoreFor("PG001")->line, 2);
  EXPECT_EQ(s.lock_timeout(), milliseconds(10000));
  EXPECT_FALSE(f->settings.lock_timeout.has_value());
  EXPECT_TRUE(f->statements[2].directives.empty());
}

TEST(Directives, IgnoreInTheHeaderAppliesToTheFirstStatement) {
  auto f = Parse("-- cutover:lock-timeout 2s\n-- cutover:ignore PG001 tiny table\nCREATE INDEX i ON t (a);");
  ASSERT_TRUE(f.ok()) << f.status().ToString();
  EXPECT_NE(f->statements[0].IgnoreFor("PG001"), nullptr);
  EXPECT_EQ(f->settings.lock_timeout, milliseconds(2000));
}

TEST(Directives, UnknownDirectiveNamesTheLineAndTheKnownOnes) {
  EXPECT_EQ(
      ParseError("SELECT 1;\n-- cutover:no-transation\nSELECT 2;"),
      "0001_m/expand.sql:2: unknown directive 'cutover:no-transation' (known: no-transaction, lock-timeout, "
      "statement-timeout, batch-size, pause, remaining, irreversible, ignore, phase; see "
      "docs/plan-format.md)");
  EXPECT_NE(ParseError("-- cutover: fix later\nSELECT 1;")
                .find("0001_m/expand.sql:1: unknown directive 'cutover:'"),
            std::string::npos);
}

TEST(Directives, ReasonsAreRequired) {
  EXPECT_NE(ParseError("-- cutover:irreversible\nSELECT 1;")
                .find("0001_m/expand.sql:1: cutover:irreversible needs a reason"),
            std::string::npos);
  EXPECT_NE(ParseError("-- cutover:ignore PG001\nSELECT 1;")
                .find("0001_m/expand.sql:1: cutover:ignore PG001 needs a reason"),
            std::string::npos);
  EXPECT_NE(ParseError("-- cutover:ignore\nSELECT 1;")
                .find("0001_m/expand.sql:1: cutover:ignore needs a rule id and a reason"),
            std::string::npos);
  EXPECT_NE(ParseError("-- cutover:ignore because-I-said-so\nSELECT 1;").find("needs a rule id"),
            std::string::npos);
}

TEST(Directives, BadValuesAreErrors) {
  EXPECT_EQ(
      ParseError("-- cutover:lock-timeout 3 seconds\nSELECT 1;"),
      "0001_m/expand.sql:1: cutover:lock-timeout: duration '3 seconds' needs a unit: ms, s, min or h (e.g. "
      "200ms, 3s, 5min, 1h)");
  EXPECT_NE(ParseError("-- cutover:statement-timeout fast\nSELECT 1;").find("needs a duration such as"),
            std::string::npos);
  EXPECT_NE(ParseError("-- cutover:lock-timeout 0s\nSELECT 1;").find("must be greater than zero"),
            std::string::npos);
  EXPECT_NE(ParseError("-- cutover:batch-size lots\nSELECT 1;", Phase::kBackfill).find("needs a row count"),
            std::string::npos);
  EXPECT_NE(ParseError("-- cutover:batch-size 0\nSELECT 1;", Phase::kBackfill).find("needs a row count"),
            std::string::npos);
  // Found by the plan fuzz target: a long argument overflowed the count
  // (undefined behaviour) before it was refused.
  EXPECT_NE(ParseError("-- cutover:batch-size 99999999999999999999999\nSELECT 1;", Phase::kBackfill)
                .find("needs a row count from 1 to 10000000, found '99999999999999999999999'"),
            std::string::npos);
  EXPECT_NE(ParseError("-- cutover:no-transaction please\nSELECT 1;").find("takes no argument"),
            std::string::npos);
}

TEST(Directives, PlacementIsChecked) {
  EXPECT_EQ(
      ParseError("SELECT 1;\n-- cutover:no-transaction\nSELECT 2;"),
      "0001_m/expand.sql:2: cutover:no-transaction applies to the whole file: put it in the header, before "
      "the first statement (line 1)");
  EXPECT_EQ(ParseError("-- cutover:batch-size 10\nSELECT 1;"),
            "0001_m/expand.sql:1: cutover:batch-size belongs in backfill.sql, the only file run in batches");
  EXPECT_NE(ParseError("-- cutover:irreversible reasons\nSELECT 1;", Phase::kContract)
                .find("0001_m/contract.sql:1: cutover:irreversible belongs in the header of expand.sql"),
            std::string::npos);
  EXPECT_EQ(
      ParseError("SELECT 1; -- cutover:ignore PG001 reason\nSELECT 2;"),
      "0001_m/expand.sql:1: a directive must stand on its own line, before the statement it applies to");
  EXPECT_EQ(
      ParseError("SELECT 1,\n-- cutover:ignore PG001 reason\n2;"),
      "0001_m/expand.sql:2: directive inside the statement of lines 1-3: move it before that statement");
  EXPECT_EQ(ParseError("SELECT 1;\n-- cutover:ignore PG001 reason\n"),
            "0001_m/expand.sql:2: cutover:ignore applies to the next statement, but no statement follows it");
  EXPECT_EQ(ParseError("-- cutover:lock-timeout 2s\n-- cutover:lock-timeout 3s\nSELECT 1;"),
            "0001_m/expand.sql:2: cutover:lock-timeout given twice (first at line 1)");
  EXPECT_EQ(ParseError("/* cutover:no-transaction */\nSELECT 1;"),
            "0001_m/expand.sql:1: directives must be '-- cutover:...' line comments; this one is in a /* */ "
            "comment");
}

TEST(Directives, TextInsideStringsAndBodiesIsNotADirective) {
  auto f = Parse(
      "CREATE FUNCTION f() RETURNS text LANGUAGE sql AS $$\n"
      "-- cutover:bogus inside a body\n"
      "SELECT '-- cutover:also-bogus'::text\n"
      "$$;\n"
      "SELECT E'\\n-- cutover:nope';\n");
  ASSERT_TRUE(f.ok()) << f.status().ToString();
  EXPECT_EQ(f->statements.size(), 2u);
}

// ---- Statement splitting ---------------------------------------------------------

TEST(PostgresSplitting, RealParserRulesAndExactLines) {
  auto f = Parse(
      "-- header\n"                                                      // 1
      "/* a /* nested ; */ comment ; */\n"                               // 2
      "CREATE FUNCTION f() RETURNS int AS $fn$\n"                        // 3
      "  SELECT 1; SELECT 2;\n"                                          // 4
      "$fn$ LANGUAGE sql;\n"                                             // 5
      "\n"                                                               // 6
      "  SELECT E'it\\'s; not the end', 'a''b;c';  -- tail ;\n"          // 7
      "CREATE RULE r AS ON INSERT TO t DO ALSO (SELECT 1; SELECT 2);\n"  // 8
      "SELECT\n"                                                         // 9
      "  3");                                                            // 10
  ASSERT_TRUE(f.ok()) << f.status().ToString();
  ASSERT_EQ(f->statements.size(), 4u);
  EXPECT_EQ(f->statements[0].line, 3);
  EXPECT_EQ(f->statements[0].end_line, 5);
  EXPECT_EQ(f->statements[0].text,
            "CREATE FUNCTION f() RETURNS int AS $fn$\n  SELECT 1; SELECT 2;\n$fn$ LANGUAGE sql");
  EXPECT_EQ(f->statements[1].line, 7);
  EXPECT_EQ(f->statements[1].text, "SELECT E'it\\'s; not the end', 'a''b;c'");
  EXPECT_EQ(f->statements[2].line, 8);
  EXPECT_EQ(f->statements[3].line, 9);
  EXPECT_EQ(f->statements[3].end_line, 10);
  EXPECT_EQ(f->statements[3].text, "SELECT\n  3");
}

TEST(PostgresSplitting, EmptyFileAndCommentsOnly) {
  auto empty = Parse("");
  ASSERT_TRUE(empty.ok());
  EXPECT_TRUE(empty->statements.empty());
  auto comments = Parse("-- nothing\n/* at all */\n;;\n");
  ASSERT_TRUE(comments.ok()) << comments.status().ToString();
  EXPECT_TRUE(comments->statements.empty());
}

TEST_F(PlanDir, MySqlDelimiterBlocksThroughTheDriver) {
  Write("0001_trigger/expand.sql",
        "-- cutover:lock-timeout 2s\n"                               // 1
        "ALTER TABLE orders ADD COLUMN note TEXT;\n"                 // 2
        "DELIMITER //\n"                                             // 3
        "-- cutover:ignore MY006 the trigger is created at night\n"  // 4
        "CREATE TRIGGER t BEFORE INSERT ON orders FOR EACH ROW\n"    // 5
        "BEGIN\n"                                                    // 6
        "  SET NEW.note = 'a;b'; # not the end\n"                    // 7
        "END//\n"                                                    // 8
        "DELIMITER ;\n"                                              // 9
        "SELECT `odd;name` FROM orders;\n");                         // 10
  auto plan = Read(Engine::kMySql);
  ASSERT_TRUE(plan.ok()) << plan.status().ToString();
  const PlanFile& f = *plan->migrations[0].file(Phase::kExpand);
  ASSERT_EQ(f.statements.size(), 3u);
  EXPECT_EQ(f.statements[0].line, 2);
  EXPECT_EQ(f.statements[1].line, 5);
  EXPECT_EQ(f.statements[1].end_line, 8);
  EXPECT_NE(f.statements[1].IgnoreFor("MY006"), nullptr);
  EXPECT_EQ(f.statements[2].line, 10);
  EXPECT_EQ(f.settings.lock_timeout, milliseconds(2000));
}

TEST_F(PlanDir, MySqlErrorsNameTheLine) {
  Write("0001_a/expand.sql", "SELECT 1;\n\nSELECT 'unterminated;\n");
  std::string e = Error(Engine::kMySql);
  EXPECT_NE(e.find("0001_a/expand.sql:3: "), std::string::npos) << e;
  Write("0001_a/expand.sql", "SELECT 1;\n# cutover:no-transaction\nSELECT 2;\n");
  EXPECT_EQ(
      Error(Engine::kMySql),
      "0001_a/expand.sql:2: directives must be '-- cutover:...' line comments; this one is in a '#' comment");
}

TEST_F(PlanDir, SqliteTriggerBodiesThroughTheDriver) {
  Write("0001_trigger/expand.sql",
        "CREATE TABLE t (id INTEGER PRIMARY KEY, note TEXT);\n"  // 1
        "-- cutover:ignore SQ006 built on an empty table\n"      // 2
        "CREATE TRIGGER tt AFTER INSERT ON t\n"                  // 3
        "BEGIN\n"                                                // 4
        "  UPDATE t SET note = 'x; y' WHERE id = NEW.id;\n"      // 5
        "END;\n"                                                 // 6
        "SELECT [odd;name], \"q;\" FROM t;\n");                  // 7
  auto plan = Read(Engine::kSqlite);
  ASSERT_TRUE(plan.ok()) << plan.status().ToString();
  const PlanFile& f = *plan->migrations[0].file(Phase::kExpand);
  ASSERT_EQ(f.statements.size(), 3u);
  EXPECT_EQ(f.statements[1].line, 3);
  EXPECT_EQ(f.statements[1].end_line, 6);
  EXPECT_NE(f.statements[1].IgnoreFor("SQ006"), nullptr);
  EXPECT_EQ(f.statements[2].line, 7);
}

TEST_F(PlanDir, SqliteUnterminatedInputNamesTheLine) {
  Write("0001_a/expand.sql", "SELECT 1;\nSELECT 'never closed;\n");
  std::string e = Error(Engine::kSqlite);
  EXPECT_NE(e.find("0001_a/expand.sql:2: "), std::string::npos) << e;
}

// ---- Checksums and line endings -----------------------------------------------------

TEST(Checksums, StableAcrossLineEndingsAndBom) {
  const std::string unix_text = "-- cutover:lock-timeout 2s\nALTER TABLE t ADD COLUMN c int;\n";
  const std::string windows_text = "-- cutover:lock-timeout 2s\r\nALTER TABLE t ADD COLUMN c int;\r\n";
  const std::string old_mac_text = "-- cutover:lock-timeout 2s\rALTER TABLE t ADD COLUMN c int;\r";
  const std::string bom_text = "\xEF\xBB\xBF" + unix_text;
  EXPECT_EQ(FileChecksum(unix_text), FileChecksum(windows_text));
  EXPECT_EQ(FileChecksum(unix_text), FileChecksum(old_mac_text));
  EXPECT_EQ(FileChecksum(unix_text), FileChecksum(bom_text));
  EXPECT_NE(FileChecksum(unix_text),
            FileChecksum("-- cutover:lock-timeout 2s\nALTER TABLE t ADD COLUMN d int;\n"));
  EXPECT_NE(FileChecksum(unix_text), FileChecksum(unix_text + "\n"));
  EXPECT_EQ(FileChecksum(unix_text).size(), 64u);

  auto a = Parse(unix_text), b = Parse(windows_text);
  ASSERT_TRUE(a.ok() && b.ok());
  EXPECT_EQ(a->checksum, b->checksum);
  EXPECT_EQ(a->checksum, FileChecksum(windows_text));
  EXPECT_EQ(b->statements[0].line, 2);
  EXPECT_EQ(b->statements[0].text, "ALTER TABLE t ADD COLUMN c int");
}

TEST(Durations, ParseAndFormat) {
  EXPECT_EQ(*ParseDuration("200ms"), milliseconds(200));
  EXPECT_EQ(*ParseDuration("3s"), milliseconds(3000));
  EXPECT_EQ(*ParseDuration(" 5min "), milliseconds(300000));
  EXPECT_EQ(*ParseDuration("1H"), milliseconds(3600000));
  EXPECT_FALSE(ParseDuration("3").ok());
  EXPECT_FALSE(ParseDuration("-3s").ok());
  EXPECT_FALSE(ParseDuration("3.5s").ok());
  EXPECT_FALSE(ParseDuration("").ok());
  EXPECT_EQ(FormatDuration(milliseconds(200)), "200ms");
  EXPECT_EQ(FormatDuration(milliseconds(10000)), "10s");
  EXPECT_EQ(FormatDuration(milliseconds(60000)), "1min");
  EXPECT_EQ(FormatDuration(milliseconds(7200000)), "2h");
}

// Aliases (postgres, mariadb) are URI schemes resolved by the loader from
// DriverInfo::schemes (loader_test, lint_cli_test); here only driver names.
TEST(Engines, DriverNames) {
  EXPECT_EQ(*ParseEngine("postgresql"), Engine::kPostgreSql);
  EXPECT_EQ(*ParseEngine("PostgreSQL"), Engine::kPostgreSql);
  EXPECT_EQ(*ParseEngine("mysql"), Engine::kMySql);
  EXPECT_EQ(*ParseEngine("sqlite"), Engine::kSqlite);
  EXPECT_FALSE(ParseEngine("mariadb").ok());
  auto bad = ParseEngine("oracle");
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.status().message(), "unknown engine 'oracle': use postgresql, mysql or sqlite");
}

// ---- The MySQL/SQLite lexer ------------------------------------------------------------

TEST(SqlLexer, MySqlQuotesCommentsAndExecutableComments) {
  LexOptions o;
  o.keep_comments = true;
  auto t =
      Lex("SELECT 'a\\'b', \"c\"\"d\", `e``f` -- x\n#y\n/*!40101 SET x=1 */ /*+ hint */ @@session.x --z", o);
  ASSERT_TRUE(t.ok()) << t.status().ToString();
  std::vector<std::string> kinds;
  for (const Token& tok : *t)
    kinds.push_back(std::to_string(static_cast<int>(tok.kind)) + ":" + std::string(tok.text));
  EXPECT_EQ(kinds, (std::vector<std::string>{"0:SELECT", "2:'a\\'b'", "5:,", "2:\"c\"\"d\"", "5:,",
                                             "1:`e``f`", "6:-- x", "6:#y", "0:SET", "0:x", "5:=", "3:1",
                                             "6:/*+ hint */", "4:@@session.x", "5:-", "5:-", "0:z"}));
  EXPECT_EQ((*t)[5].Identifier(), "e`f");
  EXPECT_EQ((*t)[8].line, 3);
}

TEST(SqlLexer, SqliteIdentifiersAndParameters) {
  LexOptions o;
  o.dialect = SqlDialect::kSqlite;
  auto t = Lex("SELECT [a b], \"c\"\"d\", 'e\\' FROM t WHERE x = :name AND y = ?2 --c", o);
  ASSERT_TRUE(t.ok()) << t.status().ToString();
  EXPECT_EQ((*t)[1].Identifier(), "a b");
  EXPECT_EQ((*t)[3].Identifier(), "c\"d");
  EXPECT_EQ((*t)[5].kind, TokenKind::kString);
  EXPECT_EQ((*t)[5].text, "'e\\'");
  EXPECT_EQ((*t)[11].kind, TokenKind::kVariable);
  EXPECT_EQ(t->back().text, "?2");
}

TEST(SqlLexer, UnterminatedInputNamesTheLine) {
  LexOptions o;
  auto s = Lex("SELECT 1;\nSELECT 'x", o);
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.status().message(), "line 2: unterminated quoted string");
  auto c = Lex("\n\n/* open", o);
  ASSERT_FALSE(c.ok());
  EXPECT_EQ(c.status().message(), "line 3: unterminated /* comment");
}

}  // namespace
}  // namespace cutover::plan
