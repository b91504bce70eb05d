// MySQL/MariaDB driver tests.
//
// 1. Unit tests without a server: the script splitter, the normalizers, and
//    the schema model built from catalog rows, including MySQL 8 rows (no
//    MySQL server is available here, so its catalog output is fed in).
// 2. The plugin through the real loader against the MariaDB test server:
//    connections and their failures, scratch databases, quoting, typed and
//    streaming results (bounded memory), timeouts, lock waits, scripts,
//    schema reading and normalization, the shop fixture and the drift corpus
//    of tests/drift_corpus/mysql.
#include <fcntl.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>
#include <optional>
#include <regex>
#include <set>
#include <span>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "base/sha256.h"
#include "base/strings.h"
#include "mysql_internal.h"
#include "schema/drift.h"
#include "schema/fingerprint.h"
#include "support/test_env.h"

namespace cutover {
namespace {

using testing::Bag;
using testing::DriftLines;
using testing::Dump;
using testing::ExportRecords;
using testing::ImportRecords;
using testing::StatusKb;
using testing::TakeDriverSnapshot;

namespace fs = std::filesystem;
using mysql::Flavor;
using testing::ScratchDatabase;
using testing::ServerUri;
using testing::TestDriver;
using namespace std::chrono_literals;

// ===========================================================================
// Helpers
// ===========================================================================

Driver* Mysql() {
  return TestDriver("mysql");
}

std::vector<std::string> Texts(const std::vector<mysql::SplitStatement>& statements) {
  std::vector<std::string> out;
  for (const auto& s : statements) out.push_back(s.text);
  return out;
}

std::vector<std::string> Split(std::string_view script, bool backslash_escapes = true) {
  auto r = mysql::SplitScript(script, backslash_escapes);
  EXPECT_TRUE(r.ok()) << r.status().ToString();
  return r.ok() ? Texts(*r) : std::vector<std::string>{"<error>"};
}

// First cell of the first row, "<null>" for NULL, "<no row>" / "<error: ...>".
std::string Scalar(Connection& conn, const std::string& sql) {
  std::optional<std::string> value;
  bool null = false;
  Status st = conn.Query(sql, [&](RowView row) {
    if (!value && !null) {
      if (row[0].is_null()) {
        null = true;
      } else {
        value = std::string(row[0].data);
      }
    }
    return Status::Ok();
  });
  if (!st.ok()) return "<error: " + st.ToString() + ">";
  if (null) return "<null>";
  return value.value_or("<no row>");
}

SchemaModel ReadModel(Connection& conn) {
  auto model = conn.ReadSchema();
  EXPECT_TRUE(model.ok()) << model.status().ToString();
  return model.ok() ? *model : SchemaModel{};
}

SchemaModel ModelOf(const std::string& script) {
  ScratchDatabase db("mysql");
  auto conn = db.Connect();
  if (!conn) return {};
  Status st = conn->ExecuteScript(script);
  EXPECT_TRUE(st.ok()) << st.ToString();
  return ReadModel(*conn);
}

std::string Attr(const SchemaModel& model, ObjectKind kind, const std::string& table, const std::string& name,
                 const std::string& attribute) {
  const SchemaObject* obj = model.Find(kind, "", table, name);
  if (obj == nullptr) return "<no " + std::string(ObjectKindName(kind)) + " " + table + "." + name + ">";
  auto it = obj->attributes.find(attribute);
  return it == obj->attributes.end() ? "<absent>" : it->second;
}

// A TCP port on 127.0.0.1 where nothing listens.
int UnusedPort() {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = 0;
  socklen_t len = sizeof addr;
  int port = 1;
  if (::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0 &&
      ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) == 0) {
    port = ntohs(addr.sin_port);
  }
  ::close(fd);
  return port;
}

ConnectionUri Parse(const std::string& text) {
  auto uri = ConnectionUri::Parse(text);
  EXPECT_TRUE(uri.ok()) << uri.status().ToString();
  return uri.ok() ? *uri : *ConnectionUri::Parse("mysql://invalid/");
}

// "mysql://user:pw@host:port/" + suffix, built from the test server URI.
std::string ServerText(const std::string& user, const std::optional<std::string>& password, int port,
                       const std::string& db) {
  ConnectionUri server = ServerUri("mysql");
  std::string out = "mysql://" + PercentEncode(user);
  if (password) out += ":" + PercentEncode(*password);
  return out + "@" + server.host() + ":" + std::to_string(port) + "/" + db;
}

// ===========================================================================
// Script splitting (unit)
// ===========================================================================

TEST(MysqlScript, SplitsOnSemicolonsOutsideQuotesIdentifiersAndComments) {
  EXPECT_EQ(Split("SELECT 1; SELECT 2;\n  SELECT 3"),
            (std::vector<std::string>{"SELECT 1", "SELECT 2", "SELECT 3"}));
  EXPECT_EQ(Split("INSERT INTO t VALUES ('a;b', \"c;d\", 'it\\'s;', 'x'';y');SELECT `we;ird``;`"),
            (std::vector<std::string>{"INSERT INTO t VALUES ('a;b', \"c;d\", 'it\\'s;', 'x'';y')",
                                      "SELECT `we;ird``;`"}));
  EXPECT_EQ(Split(";;  ;\n;"), std::vector<std::string>{});
  EXPECT_EQ(Split("SELECT 1 -- trailing; comment\n, 2; SELECT 3 # hash; comment\n;"),
            (std::vector<std::string>{"SELECT 1 -- trailing; comment\n, 2", "SELECT 3 # hash; comment"}));
  // "--" without a following space is the minus operator twice, not a comment.
  EXPECT_EQ(Split("SELECT 5--1; SELECT 2"), (std::vector<std::string>{"SELECT 5--1", "SELECT 2"}));
  EXPECT_EQ(Split("SELECT 1 /* a; b */ + 1; SELECT 2"),
            (std::vector<std::string>{"SELECT 1 /* a; b */ + 1", "SELECT 2"}));
  EXPECT_EQ(Split("SELECT 1;\r\nSELECT 2;\r\n"), (std::vector<std::string>{"SELECT 1", "SELECT 2"}));
}

TEST(MysqlScript, LeadingCommentsAreDroppedVersionedCommentsAreKept) {
  EXPECT_EQ(Split("-- header; comment\n# another;\n/* block; */ CREATE TABLE t (a int);"),
            std::vector<std::string>{"CREATE TABLE t (a int)"});
  EXPECT_EQ(
      Split("/*!40101 SET NAMES utf8mb4 */;\n/*M!100100 SET @x = 1 */;/*!50003 CREATE*/ /*!50017 DEFINER=x*/ "
            "TABLE t (a int);"),
      (std::vector<std::string>{"/*!40101 SET NAMES utf8mb4 */", "/*M!100100 SET @x = 1 */",
                                "/*!50003 CREATE*/ /*!50017 DEFINER=x*/ TABLE t (a int)"}));
  EXPECT_EQ(Split("SELECT /*+ MAX_EXECUTION_TIME(1) */ 1;"),
            std::vector<std::string>{"SELECT /*+ MAX_EXECUTION_TIME(1) */ 1"});
}

TEST(MysqlScript, DelimiterCommand) {
  const std::string script =
      "CREATE TABLE t (a int);\n"
      "DELIMITER //\n"
      "CREATE TRIGGER trg BEFORE INSERT ON t FOR EACH ROW\n"
      "BEGIN\n"
      "  SET NEW.a = 1; -- inner; statement\n"
      "END//\n"
      "delimiter $$   \n"
      "CREATE PROCEDURE p() BEGIN SELECT ';'; SELECT 2; END $$\n"
      "DELIMITER ;\n"
      "SELECT 3;\n";
  auto r = mysql::SplitScript(script);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  ASSERT_EQ(r->size(), 4u);
  EXPECT_EQ((*r)[0].text, "CREATE TABLE t (a int)");
  EXPECT_EQ(
      (*r)[1].text,
      "CREATE TRIGGER trg BEFORE INSERT ON t FOR EACH ROW\nBEGIN\n  SET NEW.a = 1; -- inner; statement\nEND");
  EXPECT_EQ((*r)[2].text, "CREATE PROCEDURE p() BEGIN SELECT ';'; SELECT 2; END");
  EXPECT_EQ((*r)[3].text, "SELECT 3");
  EXPECT_EQ((*r)[0].line, 1);
  EXPECT_EQ((*r)[1].line, 3);
  EXPECT_EQ((*r)[2].line, 8);
  EXPECT_EQ((*r)[3].line, 10);
  // The delimiter in force after each statement, to resume splitting.
  EXPECT_EQ((*r)[1].delimiter_after, "//");
  EXPECT_EQ((*r)[3].delimiter_after, ";");
  // A quoted delimiter value; a multi-character one.
  EXPECT_EQ(Split("DELIMITER ';;'\nSELECT 1;;SELECT 2;;"),
            (std::vector<std::string>{"SELECT 1", "SELECT 2"}));
  // The word only counts at the start of a statement.
  EXPECT_EQ(Split("SELECT 1 AS delimiter;"), std::vector<std::string>{"SELECT 1 AS delimiter"});
}

TEST(MysqlScript, LineNumbersCountCommentsAndStrings) {
  auto r = mysql::SplitScript("\n\n-- c\nSELECT 'a\nb';\n/* x\ny */\n\n  SELECT 2;");
  ASSERT_TRUE(r.ok());
  ASSERT_EQ(r->size(), 2u);
  EXPECT_EQ((*r)[0].line, 4);
  EXPECT_EQ((*r)[1].line, 9);
}

TEST(MysqlScript, UnterminatedAndBadDelimiterAreErrorsNamingTheLine) {
  struct Bad {
    const char* script;
    const char* needle;
  };
  for (const Bad& b :
       {Bad{"SELECT 1;\nSELECT 'abc;\n", "line 2"}, Bad{"SELECT \"x", "line 1"},
        Bad{"\n\nSELECT `x", "line 3"}, Bad{"SELECT 1; /* never closed", "line 1"},
        Bad{"SELECT 1;\nDELIMITER\nSELECT 2", "line 2"}, Bad{"DELIMITER \\\\\n", "backslash"}}) {
    auto r = mysql::SplitScript(b.script);
    ASSERT_FALSE(r.ok()) << b.script;
    EXPECT_EQ(r.status().code(), StatusCode::kInvalidInput);
    EXPECT_NE(r.status().message().find(b.needle), std::string::npos) << r.status().message();
  }
}

TEST(MysqlScript, NoBackslashEscapesMode) {
  // With NO_BACKSLASH_ESCAPES, 'a\' is a complete string.
  EXPECT_EQ(Split("SELECT 'a\\'; SELECT 2", false), (std::vector<std::string>{"SELECT 'a\\'", "SELECT 2"}));
  EXPECT_EQ(Split("SELECT 'a\\'; SELECT 2';", true), std::vector<std::string>{"SELECT 'a\\'; SELECT 2'"});
}

TEST(MysqlScript, FirstLineIsShortAndValidUtf8) {
  EXPECT_EQ(mysql::FirstLine("  SELECT 1\nFROM t"), "SELECT 1 ...");
  EXPECT_EQ(mysql::FirstLine("SELECT 1"), "SELECT 1");
  std::string cut = mysql::FirstLine("SELECT 'ééééé'", 10);
  EXPECT_TRUE(IsValidUtf8(cut)) << cut;
  EXPECT_TRUE(EndsWith(cut, " ...")) << cut;
}

// ===========================================================================
// Normalization (unit)
// ===========================================================================

TEST(MysqlNormalize, ColumnTypes) {
  using mysql::NormalizeColumnType;
  EXPECT_EQ(NormalizeColumnType("int(11)"), "int");
  EXPECT_EQ(NormalizeColumnType("INT(10) UNSIGNED"), "int unsigned");
  EXPECT_EQ(NormalizeColumnType("bigint(20) unsigned"), "bigint unsigned");
  EXPECT_EQ(NormalizeColumnType("tinyint(4)"), "tinyint");
  EXPECT_EQ(NormalizeColumnType("tinyint(1)"), "tinyint(1)");
  EXPECT_EQ(NormalizeColumnType("tinyint(1) unsigned"), "tinyint(1) unsigned");
  EXPECT_EQ(NormalizeColumnType("int(10) unsigned zerofill"), "int(10) unsigned zerofill");
  EXPECT_EQ(NormalizeColumnType("year(4)"), "year");
  EXPECT_EQ(NormalizeColumnType("decimal(10,2)"), "decimal(10,2)");
  EXPECT_EQ(NormalizeColumnType("VARCHAR(20)"), "varchar(20)");
  EXPECT_EQ(NormalizeColumnType("enum('A','b''C')"), "enum('A','b''C')");
  EXPECT_EQ(NormalizeColumnType("SET('X','y')"), "set('X','y')");
  EXPECT_TRUE(mysql::IsNumericType("int unsigned"));
  EXPECT_TRUE(mysql::IsNumericType("bit(3)"));
  EXPECT_FALSE(mysql::IsNumericType("interval"));
  EXPECT_FALSE(mysql::IsNumericType("varchar(3)"));
}

TEST(MysqlNormalize, DefaultsOfMariaDbAndMySqlAgree) {
  using mysql::NormalizeDefault;
  struct Case {
    std::optional<std::string> mariadb;
    std::optional<std::string> mysql;
    std::string type;
    std::string mysql_extra;
    std::optional<std::string> expected;
  };
  const std::vector<Case> cases = {
      {"'new'", "new", "varchar(10)", "", "'new'"},
      {"'it''s \\\\ x'", "it's \\ x", "varchar(10)", "", "'it''s \\\\ x'"},
      {"0", "0", "int", "", "0"},
      {"1.50", "1.50", "decimal(10,2)", "", "1.50"},
      {"b'101'", "b'101'", "bit(3)", "", "b'101'"},
      {"'2020-01-01'", "2020-01-01", "date", "", "'2020-01-01'"},
      {"current_timestamp()", "CURRENT_TIMESTAMP", "timestamp", "DEFAULT_GENERATED", "current_timestamp()"},
      {"current_timestamp(3)", "CURRENT_TIMESTAMP(3)", "datetime(3)",
       "DEFAULT_GENERATED on update CURRENT_TIMESTAMP(3)", "current_timestamp(3)"},
      {"uuid()", "uuid()", "varchar(36)", "DEFAULT_GENERATED", "uuid()"},
      {"(1 + 2)", "(1 + 2)", "int", "DEFAULT_GENERATED", "1 + 2"},
      {"NULL", std::nullopt, "int", "", std::nullopt},
      {std::nullopt, std::nullopt, "int", "", std::nullopt},
      {"'NULL'", "NULL", "varchar(4)", "", "'NULL'"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.mariadb.value_or("<null>"));
    EXPECT_EQ(NormalizeDefault(c.mariadb, c.type, "", Flavor::kMariaDb), c.expected);
    EXPECT_EQ(NormalizeDefault(c.mysql, c.type, c.mysql_extra, Flavor::kMySql), c.expected);
  }
  EXPECT_EQ(mysql::OnUpdateFromExtra("on update current_timestamp()"), "current_timestamp()");
  EXPECT_EQ(mysql::OnUpdateFromExtra("DEFAULT_GENERATED on update CURRENT_TIMESTAMP"), "current_timestamp()");
  EXPECT_EQ(mysql::OnUpdateFromExtra("on update CURRENT_TIMESTAMP(3)"), "current_timestamp(3)");
  EXPECT_EQ(mysql::OnUpdateFromExtra("auto_increment"), std::nullopt);
}

TEST(MysqlNormalize, Expressions) {
  using mysql::NormalizeExpression;
  EXPECT_EQ(NormalizeExpression("`price` > 0", Flavor::kMariaDb), "price > 0");
  EXPECT_EQ(NormalizeExpression("(`price` > 0)", Flavor::kMySql), "price > 0");
  EXPECT_EQ(NormalizeExpression("`a` + `b`", Flavor::kMariaDb),
            NormalizeExpression("(`a` + `b`)", Flavor::kMySql));
  // MySQL's escaped quotes and charset introducers.
  EXPECT_EQ(NormalizeExpression("concat(`Note`,_utf8mb4\\' x\\')", Flavor::kMySql), "concat(note,' x')");
  EXPECT_EQ(NormalizeExpression("concat(`note`,' x')", Flavor::kMariaDb), "concat(note,' x')");
  EXPECT_EQ(NormalizeExpression("(`c` in (_utf8mb4\\'a\\',_utf8mb4\\'b\\'))", Flavor::kMySql),
            "c in ('a','b')");
  // Literals keep their case and spacing; identifiers that need quotes keep them.
  EXPECT_EQ(NormalizeExpression("`Status` = 'Paid  X'", Flavor::kMariaDb), "status = 'Paid  X'");
  EXPECT_EQ(NormalizeExpression("`two words` + `x``y` > 0", Flavor::kMariaDb), "`two words` + `x``y` > 0");
  EXPECT_EQ(NormalizeExpression("(a) + (b)", Flavor::kMariaDb), "(a) + (b)");
  EXPECT_EQ(NormalizeExpression("((a + b))", Flavor::kMariaDb), "a + b");
  EXPECT_EQ(NormalizeExpression("x'0A' = b'1'", Flavor::kMariaDb), "x'0A' = b'1'");
  EXPECT_EQ(NormalizeExpression("year(`dt`)", Flavor::kMariaDb), "year(dt)");
}

TEST(MysqlNormalize, ViewDefinitionDropsOnlyTheCurrentDatabase) {
  EXPECT_EQ(
      mysql::NormalizeViewDefinition(
          "select `shop`.`t`.`id` AS `id`,`other`.`u`.`x` AS `x`,'`shop`.' AS `s` from (`shop`.`t` join "
          "`other`.`u`)",
          "shop"),
      "select `t`.`id` AS `id`,`other`.`u`.`x` AS `x`,'`shop`.' AS `s` from (`t` join `other`.`u`)");
  EXPECT_EQ(mysql::NormalizeViewDefinition("select `we``ird`.`t`.`a` AS `a` from `we``ird`.`t`", "we`ird"),
            "select `t`.`a` AS `a` from `t`");
  EXPECT_EQ(mysql::NormalizeViewDefinition("select\n  1   AS `a`", "db"), "select 1 AS `a`");
  // Column names are case-insensitive, table names and aliases keep their case.
  EXPECT_EQ(
      mysql::NormalizeViewDefinition("select `db`.`Items`.`ID` AS `ID` from (`db`.`Items` `I` join `U`) "
                                     "where `I`.`Name` = 'Ab'",
                                     "db"),
      "select `Items`.`id` AS `id` from (`Items` `I` join `U`) where `I`.`name` = 'Ab'");
}

TEST(MysqlNormalize, QuotingAndCollations) {
  EXPECT_EQ(mysql::QuoteIdent("a`b"), "`a``b`");
  EXPECT_EQ(mysql::QuoteIdent("plain"), "`plain`");
  EXPECT_EQ(mysql::QuoteString("it's \\ x", true), "'it''s \\\\ x'");
  EXPECT_EQ(mysql::QuoteString("it's \\ x", false), "'it''s \\ x'");
  EXPECT_EQ(mysql::QuoteString(std::string_view("a\0b", 3), true), "'a\\0b'");
  EXPECT_EQ(mysql::NormalizeCollation("utf8_general_ci"), "utf8mb3_general_ci");
  EXPECT_EQ(mysql::NormalizeCollation("utf8mb4_bin"), "utf8mb4_bin");
}

// ===========================================================================
// Schema model from catalog rows (unit): MariaDB and MySQL 8 forms agree
// ===========================================================================

using FakeRow = std::vector<std::optional<std::string>>;
using FakeTables = std::map<std::string, std::vector<FakeRow>>;

// Answers catalog queries by the first information_schema table they read.
mysql::CatalogQuery FakeCatalog(const FakeTables& tables, std::vector<std::string>* seen = nullptr,
                                std::string fail_on = "") {
  return [&tables, seen, fail_on](const std::string& sql, const RowCallback& on_row) -> Status {
    std::smatch m;
    static const std::regex from_re(R"(FROM information_schema\.([A-Z_]+))");
    std::string table = std::regex_search(sql, m, from_re) ? m[1].str() : "SEQUENCES";
    if (seen) seen->push_back(table);
    if (table == fail_on) return Status::Query("simulated failure reading " + table, "1205");
    auto it = tables.find(table);
    if (it == tables.end()) return Status::Ok();
    for (const FakeRow& r : it->second) {
      std::vector<Cell> cells;
      for (const auto& v : r) cells.push_back(v ? Cell{CellType::kText, *v} : Cell{});
      CUTOVER_RETURN_IF_ERROR(on_row(RowView(cells.data(), cells.size())));
    }
    return Status::Ok();
  };
}

const std::optional<std::string> N = std::nullopt;

FakeTables MariaDbRows() {
  FakeTables t;
  t["TABLES"] = {{"t", "BASE TABLE", "InnoDB", "utf8mb4_0900_ai_ci", "row_format=DYNAMIC", "tbl"},
                 {"p", "BASE TABLE", "InnoDB", "utf8mb4_0900_ai_ci", "", ""},
                 {"v", "VIEW", N, N, N, "VIEW"}};
  // TABLE_NAME, COLUMN_NAME, ORDINAL_POSITION, COLUMN_DEFAULT, IS_NULLABLE, COLUMN_TYPE, COLLATION_NAME,
  // EXTRA, COLUMN_COMMENT, GENERATION_EXPRESSION
  t["COLUMNS"] = {
      {"t", "ID", "1", N, "NO", "int(11)", N, "auto_increment", "", N},
      {"t", "qty", "2", "0", "YES", "int(11)", N, "", "", N},
      {"t", "price", "3", "1.50", "YES", "decimal(10,2)", N, "", "", N},
      {"t", "note", "4", "'it''s \\\\ x'", "YES", "varchar(20)", "utf8mb4_0900_ai_ci", "", "a note", N},
      {"t", "created", "5", "current_timestamp()", "YES", "timestamp", N, "", "", N},
      {"t", "updated", "6", "current_timestamp(3)", "YES", "datetime(3)", N, "on update current_timestamp(3)",
       "", N},
      {"t", "u", "7", "uuid()", "YES", "varchar(36)", "utf8mb4_bin", "", "", N},
      {"t", "e", "8", "(1 + 2)", "YES", "int(11)", N, "", "", N},
      {"t", "d", "9", "'2020-01-01'", "YES", "date", N, "", "", N},
      {"t", "status", "10", "'a'", "YES", "enum('a','B')", "utf8mb4_0900_ai_ci", "", "", N},
      {"t", "doc", "11", N, "YES", "longtext", "utf8mb4_bin", "", "", N},
      {"t", "total", "12", N, "YES", "decimal(20,2)", N, "STORED GENERATED", "", "`qty` * `price`"},
      {"t", "label", "13", N, "YES", "varchar(30)", "utf8mb4_0900_ai_ci", "VIRTUAL GENERATED", "",
       "concat(`note`,'x')"},
      {"t", "flag", "14", "1", "NO", "tinyint(1)", N, "", "", N},
      {"t", "big", "15", N, "YES", "bigint(20) unsigned", N, "", "", N},
      {"t", "z", "16", N, "YES", "int(5) unsigned zerofill", N, "", "", N},
      {"t", "nul", "17", "NULL", "YES", "int(11)", N, "", "", N},
      {"t", "inv", "18", N, "YES", "int(11)", N, "INVISIBLE", "", N},
      {"t", "pid", "19", N, "YES", "int(11)", N, "", "", N},
      {"p", "id", "1", N, "NO", "int(11)", N, "", "", N},
      {"v", "id", "1", N, "NO", "int(11)", N, "", "", N},
  };
  // TABLE_NAME, CONSTRAINT_NAME, LEVEL, CHECK_CLAUSE, ENFORCED
  t["CHECK_CONSTRAINTS"] = {{"t", "qty", "Column", "`qty` >= 0", "YES"},
                            {"t", "CONSTRAINT_1", "Table", "`price` > 0", "YES"},
                            {"t", "ck_named", "Table", "`qty` < 1000", "YES"},
                            {"t", "doc", "Column", "json_valid(`doc`)", "YES"}};
  // TABLE_NAME, INDEX_NAME, NON_UNIQUE, SEQ_IN_INDEX, COLUMN_NAME, SUB_PART, COLLATION, INDEX_TYPE,
  // INDEX_COMMENT, invisible, EXPRESSION
  t["STATISTICS"] = {{"t", "PRIMARY", "0", "1", "ID", N, "A", "BTREE", "", "NO", N},
                     {"t", "Ix_Note", "1", "2", "note", "5", "A", "BTREE", "", "NO", N},
                     {"t", "Ix_Note", "1", "1", "qty", N, "D", "BTREE", "idx comment", "YES", N},
                     {"t", "pid", "1", "1", "pid", N, "A", "BTREE", "", "NO", N},
                     {"p", "PRIMARY", "0", "1", "id", N, "A", "BTREE", "", "NO", N}};
  t["KEY_COLUMN_USAGE"] = {{"t", "t_ibfk_1", "pid", "1", "shop", "p", "id"}};
  t["REFERENTIAL_CONSTRAINTS"] = {{"t", "t_ibfk_1", "NONE", "RESTRICT", "CASCADE"}};
  t["VIEWS"] = {{"v", "select `shop`.`p`.`id` AS `id` from `shop`.`p`", "NONE", "DEFINER"}};
  // EVENT_OBJECT_TABLE, TRIGGER_NAME, EVENT_MANIPULATION, ACTION_TIMING, ACTION_ORIENTATION,
  // ACTION_STATEMENT, ACTION_ORDER
  t["TRIGGERS"] = {{"t", "Trg_A", "INSERT", "BEFORE", "ROW", "SET NEW.qty = 1", "1"},
                   {"t", "trg_b", "INSERT", "BEFORE", "ROW", "SET NEW.qty = 2", "2"},
                   {"t", "trg_c", "UPDATE", "AFTER", "ROW", "BEGIN\n  DO 1;\nEND", "1"}};
  // ROUTINE_NAME, ROUTINE_TYPE, DTD_IDENTIFIER, ROUTINE_BODY, ROUTINE_DEFINITION, IS_DETERMINISTIC,
  // SQL_DATA_ACCESS, SECURITY_TYPE, ROUTINE_COMMENT
  t["ROUTINES"] = {
      {"Fn", "FUNCTION", "int(11)", "SQL", "return x + 1", "YES", "NO SQL", "DEFINER", ""},
      {"pr", "PROCEDURE", N, "SQL", "BEGIN\n  SELECT a;\nEND", "NO", "READS SQL DATA", "INVOKER", "c"}};
  // SPECIFIC_NAME, ROUTINE_TYPE, ORDINAL_POSITION, PARAMETER_MODE, PARAMETER_NAME, DTD_IDENTIFIER
  t["PARAMETERS"] = {{"Fn", "FUNCTION", "1", "IN", "X", "int(11)"},
                     {"pr", "PROCEDURE", "2", "OUT", "b", "varchar(10)"},
                     {"pr", "PROCEDURE", "1", "IN", "a", "bigint(20)"}};
  return t;
}

// The same schema as MySQL 8.0 reports it.
FakeTables MySqlRows() {
  FakeTables t = MariaDbRows();
  t["COLUMNS"] = {
      {"t", "ID", "1", N, "NO", "int", N, "auto_increment", "", ""},
      {"t", "qty", "2", "0", "YES", "int", N, "", "", ""},
      {"t", "price", "3", "1.50", "YES", "decimal(10,2)", N, "", "", ""},
      {"t", "note", "4", "it's \\ x", "YES", "varchar(20)", "utf8mb4_0900_ai_ci", "", "a note", ""},
      {"t", "created", "5", "CURRENT_TIMESTAMP", "YES", "timestamp", N, "DEFAULT_GENERATED", "", ""},
      {"t", "updated", "6", "CURRENT_TIMESTAMP(3)", "YES", "datetime(3)", N,
       "DEFAULT_GENERATED on update CURRENT_TIMESTAMP(3)", "", ""},
      {"t", "u", "7", "uuid()", "YES", "varchar(36)", "utf8mb4_bin", "DEFAULT_GENERATED", "", ""},
      {"t", "e", "8", "(1 + 2)", "YES", "int", N, "DEFAULT_GENERATED", "", ""},
      {"t", "d", "9", "2020-01-01", "YES", "date", N, "", "", ""},
      {"t", "status", "10", "a", "YES", "enum('a','B')", "utf8mb4_0900_ai_ci", "", "", ""},
      {"t", "doc", "11", N, "YES", "json", N, "", "", ""},
      {"t", "total", "12", N, "YES", "decimal(20,2)", N, "STORED GENERATED", "", "(`qty` * `price`)"},
      {"t", "label", "13", N, "YES", "varchar(30)", "utf8mb4_0900_ai_ci", "VIRTUAL GENERATED", "",
       "concat(`note`,_utf8mb4\\'x\\')"},
      {"t", "flag", "14", "1", "NO", "tinyint(1)", N, "", "", ""},
      {"t", "big", "15", N, "YES", "bigint unsigned", N, "", "", ""},
      {"t", "z", "16", N, "YES", "int(5) unsigned zerofill", N, "", "", ""},
      {"t", "nul", "17", N, "YES", "int", N, "", "", ""},
      {"t", "inv", "18", N, "YES", "int", N, "INVISIBLE", "", ""},
      {"t", "pid", "19", N, "YES", "int", N, "", "", ""},
      {"p", "id", "1", N, "NO", "int", N, "", "", ""},
      {"v", "id", "1", N, "NO", "int", N, "", "", ""},
  };
  t["CHECK_CONSTRAINTS"] = {{"t", "t_chk_1", "Table", "(`qty` >= 0)", "YES"},
                            {"t", "t_chk_2", "Table", "(`price` > 0)", "YES"},
                            {"t", "ck_named", "Table", "(`qty` < 1000)", "YES"}};
  t["REFERENTIAL_CONSTRAINTS"] = {{"t", "t_ibfk_1", "NONE", "NO ACTION", "CASCADE"}};
  t["ROUTINES"] = {
      {"Fn", "FUNCTION", "int", "SQL", "return x + 1", "YES", "NO SQL", "DEFINER", ""},
      {"pr", "PROCEDURE", N, "SQL", "BEGIN\n  SELECT a;\nEND", "NO", "READS SQL DATA", "INVOKER", "c"}};
  t["PARAMETERS"] = {{"Fn", "FUNCTION", "1", N, "X", "int"},
                     {"pr", "PROCEDURE", "2", "OUT", "b", "varchar(10)"},
                     {"pr", "PROCEDURE", "1", "IN", "a", "bigint"}};
  return t;
}

mysql::SchemaContext Context(Flavor flavor) {
  mysql::SchemaContext ctx;
  ctx.database = "shop";
  ctx.flavor = flavor;
  ctx.version_number = flavor == Flavor::kMariaDb ? 101119 : 80036;
  ctx.server_version = flavor == Flavor::kMariaDb ? "10.11.19-MariaDB" : "8.0.36";
  return ctx;
}

TEST(MysqlSchemaRows, MySql8CatalogGivesTheSameModelAsMariaDb) {
  FakeTables maria_rows = MariaDbRows();
  FakeTables mysql_rows = MySqlRows();
  auto maria = mysql::ReadSchemaWith(FakeCatalog(maria_rows), Context(Flavor::kMariaDb));
  auto mysql = mysql::ReadSchemaWith(FakeCatalog(mysql_rows), Context(Flavor::kMySql));
  ASSERT_TRUE(maria.ok()) << maria.status().ToString();
  ASSERT_TRUE(mysql.ok()) << mysql.status().ToString();
  EXPECT_EQ(Dump(*maria), Dump(*mysql));
  EXPECT_EQ(DriftLines(*maria, *mysql), std::set<std::string>{});

  const SchemaModel& m = *maria;
  EXPECT_EQ(m.engine, "mysql");
  EXPECT_EQ(Attr(m, ObjectKind::kTable, "", "t", "mysql.row_format"), "DYNAMIC");
  EXPECT_EQ(Attr(m, ObjectKind::kTable, "", "t", "comment"), "tbl");
  EXPECT_EQ(Attr(m, ObjectKind::kTable, "", "t", "mysql.collation"), "utf8mb4_0900_ai_ci");
  EXPECT_EQ(Attr(m, ObjectKind::kTable, "", "p", "mysql.row_format"), "<absent>");
  EXPECT_EQ(m.Find(ObjectKind::kTable, "", "", "v"), nullptr) << "a view is not a table";
  EXPECT_EQ(m.Find(ObjectKind::kColumn, "", "v", "id"), nullptr) << "view columns are not listed";
  EXPECT_EQ(Attr(m, ObjectKind::kColumn, "t", "id", "identity"), "auto_increment");
  EXPECT_EQ(Attr(m, ObjectKind::kColumn, "t", "id", "type"), "int");
  EXPECT_EQ(Attr(m, ObjectKind::kColumn, "t", "note", "default"), "'it''s \\\\ x'");
  EXPECT_EQ(Attr(m, ObjectKind::kColumn, "t", "note", "collation"), "<absent>") << "same as the table's";
  EXPECT_EQ(Attr(m, ObjectKind::kColumn, "t", "note", "comment"), "a note");
  EXPECT_EQ(Attr(m, ObjectKind::kColumn, "t", "u", "collation"), "utf8mb4_bin");
  EXPECT_EQ(Attr(m, ObjectKind::kColumn, "t", "created", "default"), "current_timestamp()");
  EXPECT_EQ(Attr(m, ObjectKind::kColumn, "t", "updated", "mysql.on_update"), "current_timestamp(3)");
  EXPECT_EQ(Attr(m, ObjectKind::kColumn, "t", "e", "default"), "1 + 2");
  EXPECT_EQ(Attr(m, ObjectKind::kColumn, "t", "d", "default"), "'2020-01-01'");
  EXPECT_EQ(Attr(m, ObjectKind::kColumn, "t", "status", "default"), "'a'");
  EXPECT_EQ(Attr(m, ObjectKind::kColumn, "t", "doc", "type"), "json");
  EXPECT_EQ(Attr(m, ObjectKind::kColumn, "t", "doc", "collation"), "<absent>");
  EXPECT_EQ(Attr(m, ObjectKind::kColumn, "t", "total", "generated"), "qty * price");
  EXPECT_EQ(Attr(m, ObjectKind::kColumn, "t", "total", "generated_kind"), "stored");
  EXPECT_EQ(Attr(m, ObjectKind::kColumn, "t", "total", "default"), "<absent>");
  EXPECT_EQ(Attr(m, ObjectKind::kColumn, "t", "label", "generated"), "concat(note,'x')");
  EXPECT_EQ(Attr(m, ObjectKind::kColumn, "t", "label", "generated_kind"), "virtual");
  EXPECT_EQ(Attr(m, ObjectKind::kColumn, "t", "big", "type"), "bigint unsigned");
  EXPECT_EQ(Attr(m, ObjectKind::kColumn, "t", "z", "type"), "int(5) unsigned zerofill");
  EXPECT_EQ(Attr(m, ObjectKind::kColumn, "t", "nul", "default"), "<absent>");
  EXPECT_EQ(Attr(m, ObjectKind::kColumn, "t", "inv", "mysql.invisible"), "true");
  EXPECT_EQ(Attr(m, ObjectKind::kPrimaryKey, "t", "primary", "columns"), "[\"id\"]");
  EXPECT_EQ(Attr(m, ObjectKind::kIndex, "t", "ix_note", "keys"), "[\"qty DESC\",\"note(5)\"]");
  EXPECT_EQ(Attr(m, ObjectKind::kIndex, "t", "ix_note", "comment"), "idx comment");
  EXPECT_EQ(Attr(m, ObjectKind::kIndex, "t", "ix_note", "mysql.invisible"), "true");
  EXPECT_EQ(Attr(m, ObjectKind::kIndex, "t", "pid", "unique"), "false");
  EXPECT_EQ(Attr(m, ObjectKind::kForeignKey, "t", "t_ibfk_1", "on_update"), "RESTRICT");
  EXPECT_EQ(Attr(m, ObjectKind::kForeignKey, "t", "t_ibfk_1", "on_delete"), "CASCADE");
  EXPECT_EQ(Attr(m, ObjectKind::kForeignKey, "t", "t_ibfk_1", "match"), "SIMPLE");
  EXPECT_EQ(Attr(m, ObjectKind::kForeignKey, "t", "t_ibfk_1", "references"), "p");
  EXPECT_EQ(Attr(m, ObjectKind::kCheckConstraint, "t", "check(qty >= 0)", "expression"), "qty >= 0");
  EXPECT_EQ(Attr(m, ObjectKind::kCheckConstraint, "t", "check(price > 0)", "expression"), "price > 0");
  EXPECT_EQ(Attr(m, ObjectKind::kCheckConstraint, "t", "ck_named", "expression"), "qty < 1000");
  EXPECT_EQ(m.Find(ObjectKind::kCheckConstraint, "", "t", "doc"), nullptr)
      << "json_valid is part of the json type";
  EXPECT_EQ(Attr(m, ObjectKind::kView, "", "v", "definition"), "select `p`.`id` AS `id` from `p`");
  EXPECT_EQ(Attr(m, ObjectKind::kView, "", "v", "check_option"), "<absent>");
  EXPECT_EQ(Attr(m, ObjectKind::kTrigger, "t", "trg_a", "mysql.action_order"), "1");
  EXPECT_EQ(Attr(m, ObjectKind::kTrigger, "t", "trg_b", "mysql.action_order"), "2");
  EXPECT_EQ(Attr(m, ObjectKind::kTrigger, "t", "trg_c", "mysql.action_order"), "<absent>");
  EXPECT_EQ(Attr(m, ObjectKind::kTrigger, "t", "trg_c", "definition"), "BEGIN DO 1; END");
  EXPECT_EQ(Attr(m, ObjectKind::kFunction, "", "fn", "arguments"), "x int");
  EXPECT_EQ(Attr(m, ObjectKind::kFunction, "", "fn", "returns"), "int");
  EXPECT_EQ(Attr(m, ObjectKind::kFunction, "", "fn", "deterministic"), "true");
  EXPECT_EQ(Attr(m, ObjectKind::kProcedure, "", "pr", "arguments"), "IN a bigint, OUT b varchar(10)");
  EXPECT_EQ(Attr(m, ObjectKind::kProcedure, "", "pr", "security"), "INVOKER");
  EXPECT_EQ(Attr(m, ObjectKind::kProcedure, "", "pr", "definition"), "BEGIN SELECT a; END");
  EXPECT_EQ(Attr(m, ObjectKind::kProcedure, "", "pr", "comment"), "c");
}

TEST(MysqlSchemaRows, MySqlFunctionalIndexAndNotEnforcedCheck) {
  FakeTables rows = MySqlRows();
  rows["STATISTICS"].push_back({"t", "ix_expr", "1", "1", N, N, "A", "BTREE", "", "NO", "(`qty` + 1)"});
  rows["CHECK_CONSTRAINTS"].push_back({"t", "ck_soft", "Table", "(`qty` <> 5)", "NO"});
  auto m = mysql::ReadSchemaWith(FakeCatalog(rows), Context(Flavor::kMySql));
  ASSERT_TRUE(m.ok()) << m.status().ToString();
  EXPECT_EQ(Attr(*m, ObjectKind::kIndex, "t", "ix_expr", "keys"), "[\"(qty + 1)\"]");
  EXPECT_EQ(Attr(*m, ObjectKind::kCheckConstraint, "t", "ck_soft", "mysql.enforced"), "false");
}

TEST(MysqlSchemaRows, LowerCaseTableNamesFoldsTableNames) {
  FakeTables rows;
  rows["TABLES"] = {{"Orders", "BASE TABLE", "InnoDB", "utf8mb4_general_ci", "", ""},
                    {"Customers", "BASE TABLE", "InnoDB", "utf8mb4_general_ci", "", ""}};
  rows["COLUMNS"] = {{"Orders", "Customer_ID", "1", N, "YES", "int(11)", N, "", "", N},
                     {"Customers", "ID", "1", N, "NO", "int(11)", N, "", "", N}};
  rows["KEY_COLUMN_USAGE"] = {{"Orders", "FK_1", "Customer_ID", "1", "shop", "Customers", "ID"}};
  rows["REFERENTIAL_CONSTRAINTS"] = {{"Orders", "FK_1", "NONE", "RESTRICT", "RESTRICT"}};
  for (int lctn : {0, 2}) {
    auto ctx = Context(Flavor::kMariaDb);
    ctx.lower_case_table_names = lctn;
    auto m = mysql::ReadSchemaWith(FakeCatalog(rows), ctx);
    ASSERT_TRUE(m.ok()) << m.status().ToString();
    const std::string orders = lctn == 0 ? "Orders" : "orders";
    EXPECT_NE(m->Find(ObjectKind::kTable, "", "", orders), nullptr) << Dump(*m);
    EXPECT_NE(m->Find(ObjectKind::kColumn, "", orders, "customer_id"), nullptr) << Dump(*m);
    EXPECT_EQ(Attr(*m, ObjectKind::kForeignKey, orders, "fk_1", "references"),
              lctn == 0 ? "Customers" : "customers");
    EXPECT_EQ(Attr(*m, ObjectKind::kForeignKey, orders, "fk_1", "references_columns"), "[\"id\"]");
  }
}

// access.* attributes (docs/schema-json.md): DEFINER, SQL_MODE and the
// creation character set verbatim; grants as sorted GRANTEE:PRIVILEGE lists
// on the table, view or column they name, matched after the reader's folding.
TEST(MysqlSchemaRows, AccessAttributesAndPrivilegesFromCatalogRows) {
  FakeTables rows = MariaDbRows();
  auto append = [](FakeRow& row, std::initializer_list<std::optional<std::string>> cells) {
    row.insert(row.end(), cells);
  };
  append(rows["VIEWS"][0], {"app@%", N, "utf8mb4", "utf8mb4_general_ci"});
  append(rows["TRIGGERS"][0], {"root@localhost", "STRICT_TRANS_TABLES", "latin1", "latin1_swedish_ci"});
  append(rows["ROUTINES"][0], {"o'b`x@%", "", "utf8mb3", "utf8mb3_general_ci"});
  rows["EVENTS"] = {{"Ev", "DO 1", "RECURRING", N, "1", "DAY", N, "ENABLED", "PRESERVE", "", "app@%",
                     "PIPES_AS_CONCAT,NO_ZERO_DATE", "utf8mb4", "utf8mb4_bin"}};
  // TABLE_NAME, COLUMN_NAME (NULL for a table grant), GRANTEE, PRIVILEGE_TYPE, IS_GRANTABLE
  rows["TABLE_PRIVILEGES"] = {
      {"t", N, "'b'@'%'", "Select", "YES"},      {"t", N, "'app'@'%'", "SELECT", "NO"},
      {"t", N, "'app'@'%'", "INSERT", "NO"},     {"t", "QTY", "'app'@'%'", "UPDATE", "NO"},
      {"v", N, "'app'@'%'", "SELECT", "NO"},     {"gone", N, "'app'@'%'", "SELECT", "NO"},
      {"t", "gone", "'app'@'%'", "SELECT", "NO"}};
  auto m = mysql::ReadSchemaWith(FakeCatalog(rows), Context(Flavor::kMariaDb));
  ASSERT_TRUE(m.ok()) << m.status().ToString();
  SCOPED_TRACE(Dump(*m));
  EXPECT_EQ(Attr(*m, ObjectKind::kView, "", "v", "access.definer"), "app@%");
  EXPECT_EQ(Attr(*m, ObjectKind::kView, "", "v", "access.sql_mode"), "<absent>") << "VIEWS has no SQL_MODE";
  EXPECT_EQ(Attr(*m, ObjectKind::kView, "", "v", "access.character_set_client"), "utf8mb4");
  EXPECT_EQ(Attr(*m, ObjectKind::kView, "", "v", "access.collation_connection"), "utf8mb4_general_ci");
  EXPECT_EQ(Attr(*m, ObjectKind::kTrigger, "t", "trg_a", "access.definer"), "root@localhost");
  EXPECT_EQ(Attr(*m, ObjectKind::kTrigger, "t", "trg_a", "access.sql_mode"), "STRICT_TRANS_TABLES");
  EXPECT_EQ(Attr(*m, ObjectKind::kTrigger, "t", "trg_a", "access.character_set_client"), "latin1");
  EXPECT_EQ(Attr(*m, ObjectKind::kTrigger, "t", "trg_a", "access.collation_connection"), "latin1_swedish_ci");
  EXPECT_EQ(Attr(*m, ObjectKind::kTrigger, "t", "trg_b", "access.definer"), "<absent>");
  EXPECT_EQ(Attr(*m, ObjectKind::kFunction, "", "fn", "access.definer"), "o'b`x@%");
  EXPECT_EQ(Attr(*m, ObjectKind::kFunction, "", "fn", "access.sql_mode"), "<absent>")
      << "an empty SQL_MODE is absent: attribute values are never empty";
  EXPECT_EQ(Attr(*m, ObjectKind::kFunction, "", "fn", "access.character_set_client"), "utf8mb3");
  EXPECT_EQ(Attr(*m, ObjectKind::kFunction, "", "fn", "access.collation_connection"), "utf8mb3_general_ci");
  EXPECT_EQ(Attr(*m, ObjectKind::kEvent, "", "ev", "access.definer"), "app@%");
  EXPECT_EQ(Attr(*m, ObjectKind::kEvent, "", "ev", "access.sql_mode"), "PIPES_AS_CONCAT,NO_ZERO_DATE");
  EXPECT_EQ(Attr(*m, ObjectKind::kEvent, "", "ev", "access.collation_connection"), "utf8mb4_bin");
  EXPECT_EQ(Attr(*m, ObjectKind::kTable, "", "t", "access.privileges"),
            ListValue({"'app'@'%':INSERT", "'app'@'%':SELECT", "'b'@'%':SELECT WITH GRANT OPTION"}));
  EXPECT_EQ(Attr(*m, ObjectKind::kColumn, "t", "qty", "access.privileges"), ListValue({"'app'@'%':UPDATE"}));
  EXPECT_EQ(Attr(*m, ObjectKind::kView, "", "v", "access.privileges"), ListValue({"'app'@'%':SELECT"}));
  EXPECT_EQ(Attr(*m, ObjectKind::kTable, "", "p", "access.privileges"), "<absent>");
  EXPECT_EQ(Attr(*m, ObjectKind::kColumn, "t", "id", "access.privileges"), "<absent>");
  for (const auto& obj : m->objects) EXPECT_NE(obj.name, "gone") << "grants never create objects";

  // Under lower_case_table_names = 2 a grant is matched on the folded name.
  FakeTables folded;
  folded["TABLES"] = {{"Orders", "BASE TABLE", "InnoDB", "utf8mb4_general_ci", "", ""}};
  folded["COLUMNS"] = {{"Orders", "Total", "1", N, "YES", "int(11)", N, "", "", N}};
  folded["TABLE_PRIVILEGES"] = {{"orders", N, "'app'@'%'", "SELECT", "NO"},
                                {"orders", "total", "'app'@'%'", "UPDATE", "NO"}};
  auto ctx = Context(Flavor::kMariaDb);
  ctx.lower_case_table_names = 2;
  auto f = mysql::ReadSchemaWith(FakeCatalog(folded), ctx);
  ASSERT_TRUE(f.ok()) << f.status().ToString();
  EXPECT_EQ(Attr(*f, ObjectKind::kTable, "", "orders", "access.privileges"), ListValue({"'app'@'%':SELECT"}));
  EXPECT_EQ(Attr(*f, ObjectKind::kColumn, "orders", "total", "access.privileges"),
            ListValue({"'app'@'%':UPDATE"}));
}

TEST(MysqlSchemaRows, BoundedQueriesAndErrorsAreNeverPartialResults) {
  FakeTables rows = MariaDbRows();
  std::vector<std::string> seen;
  auto ok = mysql::ReadSchemaWith(FakeCatalog(rows, &seen), Context(Flavor::kMariaDb));
  ASSERT_TRUE(ok.ok());
  EXPECT_LE(seen.size(), 14u);
  std::set<std::string> distinct(seen.begin(), seen.end());
  EXPECT_EQ(distinct.size(), seen.size()) << "each catalog table is read once";
  for (const char* table : {"TABLES", "COLUMNS", "STATISTICS", "KEY_COLUMN_USAGE", "CHECK_CONSTRAINTS",
                            "VIEWS", "TRIGGERS", "ROUTINES", "EVENTS", "PARAMETERS", "TABLE_PRIVILEGES"}) {
    EXPECT_TRUE(distinct.count(table)) << table;
    auto failed =
        mysql::ReadSchemaWith(FakeCatalog(rows, nullptr, std::string(table)), Context(Flavor::kMariaDb));
    ASSERT_FALSE(failed.ok()) << "a failed catalog query on " << table << " must fail ReadSchema";
    EXPECT_EQ(failed.status().code(), StatusCode::kQuery);
    EXPECT_NE(failed.status().message().find("shop"), std::string::npos) << failed.status().message();
  }
}

// ===========================================================================
// The plugin against the MariaDB test server
// ===========================================================================

TEST(MysqlDriver, InfoAndServerVersion) {
  Driver* d = Mysql();
  ASSERT_NE(d, nullptr);
  EXPECT_EQ(d->info().name, "mysql");
  EXPECT_EQ(d->info().schemes, (std::vector<std::string>{"mysql", "mariadb"}));
  EXPECT_TRUE(StartsWith(d->info().client_library, "MySQL Connector/C++ 1.1")) << d->info().client_library;
  ScratchDatabase db("mysql");
  auto conn = db.Connect();
  ASSERT_TRUE(conn);
  EXPECT_EQ(conn->server_info().product, "MariaDB");
  EXPECT_GE(conn->server_info().version_number, 101100);
  EXPECT_TRUE(StartsWith(conn->server_info().version, "10.")) << conn->server_info().version;
  EXPECT_EQ(conn->display_uri(), db.uri().Redacted());
  EXPECT_EQ(conn->display_uri().find("c0ver"), std::string::npos);
  EXPECT_EQ(conn->SessionId(), Scalar(*conn, "SELECT CONNECTION_ID()"));
}

TEST(MysqlDriver, WrongPasswordIsConnectionErrorWithoutThePassword) {
  ConnectionUri server = ServerUri("mysql");
  ASSERT_TRUE(server.port());
  const std::string secret = "Wr0ng-Secret-xyz";
  auto conn = Mysql()->Connect(Parse(ServerText(server.user(), secret, *server.port(), "")));
  ASSERT_FALSE(conn.ok());
  EXPECT_EQ(conn.status().code(), StatusCode::kConnection);
  EXPECT_EQ(conn.status().message().find(secret), std::string::npos) << conn.status().message();
  EXPECT_NE(conn.status().message().find("***"), std::string::npos) << conn.status().message();
  EXPECT_NE(conn.status().message().find("password"), std::string::npos) << conn.status().message();
  // Also for the scratch-database entry points.
  auto created = Mysql()->CreateDatabase(Parse(ServerText(server.user(), secret, *server.port(), "")),
                                         "cutover_scratch_never_created");
  ASSERT_FALSE(created.ok());
  EXPECT_EQ(created.status().code(), StatusCode::kConnection);
  EXPECT_EQ(created.status().message().find(secret), std::string::npos);
}

TEST(MysqlDriver, UnreachablePortIsConnectionError) {
  ConnectionUri server = ServerUri("mysql");
  auto start = std::chrono::steady_clock::now();
  auto conn = Mysql()->Connect(Parse(ServerText(server.user(), "pw", UnusedPort(), "")));
  ASSERT_FALSE(conn.ok());
  EXPECT_EQ(conn.status().code(), StatusCode::kConnection);
  EXPECT_NE(conn.status().message().find("server is running"), std::string::npos) << conn.status().message();
  EXPECT_LT(std::chrono::steady_clock::now() - start, 10s);
  auto list = Mysql()->ListDatabases(Parse(ServerText(server.user(), "pw", UnusedPort(), "")), "x");
  EXPECT_EQ(list.status().code(), StatusCode::kConnection);
}

TEST(MysqlDriver, MissingDatabaseIsNotFound) {
  ConnectionUri server = ServerUri("mysql");
  auto conn = Mysql()->Connect(server.WithDatabase("cutover_scratch_does_not_exist_x1"));
  ASSERT_FALSE(conn.ok());
  EXPECT_EQ(conn.status().code(), StatusCode::kNotFound) << conn.status().ToString();
  EXPECT_NE(conn.status().message().find("cutover_scratch_does_not_exist_x1"), std::string::npos);
  EXPECT_EQ(conn.status().message().find("c0ver"), std::string::npos);
}

TEST(MysqlDriver, BadUriParametersAreInvalidInput) {
  ConnectionUri server = ServerUri("mysql");
  const std::string base = server.Text();
  for (const char* suffix : {"?sslmode=require", "?connect_timeout=abc", "?connect_timeout=0", "?socket="}) {
    auto conn = Mysql()->Connect(Parse(base + std::string(suffix)));
    ASSERT_FALSE(conn.ok()) << suffix;
    EXPECT_EQ(conn.status().code(), StatusCode::kInvalidInput) << suffix << ": " << conn.status().ToString();
    EXPECT_EQ(conn.status().message().find("c0ver"), std::string::npos);
  }
  auto ok = Mysql()->Connect(Parse(base + "?connect_timeout=5"));
  EXPECT_TRUE(ok.ok()) << ok.status().ToString();
  // Without a database: no schema to read, no lock waits to watch.
  ASSERT_TRUE(ok.ok());
  auto model = (*ok)->ReadSchema();
  EXPECT_EQ(model.status().code(), StatusCode::kInvalidInput);
  EXPECT_EQ((*ok)->LockWaits().status().code(), StatusCode::kInvalidInput);
}

TEST(MysqlDriver, PasswordFromMysqlPwdWhenTheUriHasNone) {
  ConnectionUri server = ServerUri("mysql");
  ASSERT_TRUE(server.password());
  auto without = Parse(ServerText(server.user(), std::nullopt, *server.port(), ""));
  const char* old = std::getenv("MYSQL_PWD");
  std::optional<std::string> saved = old ? std::optional<std::string>(old) : std::nullopt;
  ::setenv("MYSQL_PWD", server.password()->c_str(), 1);
  auto conn = Mysql()->Connect(without);
  ::setenv("MYSQL_PWD", "not-the-password", 1);
  auto wrong = Mysql()->Connect(without);
  if (saved) {
    ::setenv("MYSQL_PWD", saved->c_str(), 1);
  } else {
    ::unsetenv("MYSQL_PWD");
  }
  EXPECT_TRUE(conn.ok()) << conn.status().ToString();
  ASSERT_FALSE(wrong.ok());
  EXPECT_EQ(wrong.status().code(), StatusCode::kConnection);
  EXPECT_EQ(wrong.status().message().find("not-the-password"), std::string::npos);
}

TEST(MysqlDriver, UnixSocketAndMariadbScheme) {
  const char* socket = std::getenv("CUTOVER_TEST_MYSQL_SOCKET");
  ASSERT_NE(socket, nullptr) << "CUTOVER_TEST_MYSQL_SOCKET is not set";
  ConnectionUri server = ServerUri("mysql");
  ScratchDatabase db("mysql");
  std::string text = "mariadb://" + PercentEncode(server.user()) + ":" + PercentEncode(*server.password()) +
                     "@localhost/" + db.name() + "?socket=" + PercentEncode(socket);
  auto conn = Mysql()->Connect(Parse(text));
  ASSERT_TRUE(conn.ok()) << conn.status().ToString();
  EXPECT_EQ(Scalar(**conn, "SELECT DATABASE()"), db.name());
  EXPECT_EQ(Scalar(**conn, "SELECT @@hostname IS NOT NULL"), "1");
  // A host other than localhost together with socket= is ambiguous.
  auto ambiguous = Mysql()->Connect(Parse("mysql://u@db.example.com/x?socket=/tmp/s"));
  EXPECT_EQ(ambiguous.status().code(), StatusCode::kInvalidInput);
}

TEST(MysqlDriver, ConnectionsFromSeveralThreads) {
  ScratchDatabase db("mysql");
  db.Exec("CREATE TABLE t (id int PRIMARY KEY);");
  std::atomic<int> failures{0};
  std::vector<std::thread> workers;
  for (int w = 0; w < 6; ++w) {
    workers.emplace_back([&, w] {
      for (int round = 0; round < 5; ++round) {
        auto conn = Mysql()->Connect(db.uri());
        if (!conn.ok()) {
          ++failures;
          continue;
        }
        auto r = (*conn)->Execute("INSERT INTO t VALUES (" + std::to_string(w * 100 + round) + ")");
        std::string seen;
        Status st = (*conn)->Query("SELECT COUNT(*) FROM t", [&](RowView row) {
          seen = std::string(row[0].data);
          return Status::Ok();
        });
        if (!r.ok() || !st.ok() || seen.empty()) ++failures;
      }
    });
  }
  for (auto& t : workers) t.join();
  EXPECT_EQ(failures.load(), 0);
  auto conn = db.Connect();
  ASSERT_TRUE(conn);
  EXPECT_EQ(Scalar(*conn, "SELECT COUNT(*) FROM t"), "30");
}

TEST(MysqlDriver, KilledConnectionIsConnectionErrorAndStaysBroken) {
  ScratchDatabase db("mysql");
  auto victim = db.Connect();
  auto killer = db.Connect();
  ASSERT_TRUE(victim && killer);
  ASSERT_TRUE(killer->Execute("KILL " + victim->SessionId()).ok());
  auto r = victim->Execute("SELECT 1");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kConnection) << r.status().ToString();
  EXPECT_EQ(r.status().message().find("c0ver"), std::string::npos);
  // Every later call fails the same way, without touching the dead handle.
  EXPECT_EQ(victim->Query("SELECT 1", [](RowView) { return Status::Ok(); }).code(), StatusCode::kConnection);
  EXPECT_EQ(victim->ExecuteScript("SELECT 1; SELECT 2").code(), StatusCode::kConnection);
  EXPECT_EQ(victim->Begin().code(), StatusCode::kConnection);
  EXPECT_EQ(victim->ReadSchema().status().code(), StatusCode::kConnection);
  EXPECT_EQ(victim->LockWaits().status().code(), StatusCode::kConnection);
  EXPECT_EQ(killer->Execute("SELECT 1").status().ToString(), "ok");
}

TEST(MysqlDriver, ScratchDatabasesCreateListDrop) {
  Driver* d = Mysql();
  ConnectionUri server = ServerUri("mysql");
  const std::string name = testing::UniqueName("cutover_scratch_mysqltest_");
  auto created = d->CreateDatabase(server, name);
  ASSERT_TRUE(created.ok()) << created.status().ToString();
  EXPECT_EQ(created->database(), name);
  EXPECT_EQ(created->Text(), server.WithDatabase(name).Text());
  auto again = d->CreateDatabase(server, name);
  ASSERT_FALSE(again.ok());
  EXPECT_TRUE(again.status().code() == StatusCode::kQuery ||
              again.status().code() == StatusCode::kInvalidInput);
  EXPECT_NE(again.status().message().find("exists"), std::string::npos) << again.status().message();
  auto listed = d->ListDatabases(server, "cutover_scratch_mysqltest_");
  ASSERT_TRUE(listed.ok()) << listed.status().ToString();
  EXPECT_NE(std::find(listed->begin(), listed->end(), name), listed->end());
  for (const auto& n : *listed) EXPECT_TRUE(StartsWith(n, "cutover_scratch_mysqltest_")) << n;
  auto conn = d->Connect(*created);
  ASSERT_TRUE(conn.ok()) << conn.status().ToString();
  EXPECT_EQ(Scalar(**conn, "SELECT @@character_set_database"), "utf8mb4");
  conn->reset();
  EXPECT_TRUE(d->DropDatabase(server, name).ok());
  EXPECT_TRUE(d->DropDatabase(server, name).ok()) << "dropping a missing database succeeds";
  listed = d->ListDatabases(server, name);
  ASSERT_TRUE(listed.ok());
  EXPECT_TRUE(listed->empty());
  // A server URI that names a database works too; bad names are refused.
  EXPECT_TRUE(d->DropDatabase(server.WithDatabase("mysql"), name + "_x").ok());
  auto too_long = d->CreateDatabase(server, "cutover_scratch_" + std::string(60, 'x'));
  ASSERT_FALSE(too_long.ok());
  EXPECT_EQ(too_long.status().code(), StatusCode::kInvalidInput) << too_long.status().ToString();
  EXPECT_EQ(d->CreateDatabase(server, "").status().code(), StatusCode::kInvalidInput);
}

TEST(MysqlDriver, QueryCellTypesAndRawBytes) {
  ScratchDatabase db("mysql");
  auto conn = db.Connect();
  ASSERT_TRUE(conn);
  std::vector<Cell> types;
  std::vector<std::string> values;
  Status st = conn->Query(
      "SELECT 42, CAST(18446744073709551615 AS UNSIGNED), 1.5, 2.5e0, 'héllo', NULL, x'00ff00', "
      "CAST('2020-01-02' AS DATE), b'101' + 0, CAST(x'61' AS BINARY), JSON_OBJECT('a', 1)",
      [&](RowView row) {
        for (const Cell& c : row) {
          types.push_back(Cell{c.type, {}});
          values.emplace_back(c.data);
        }
        return Status::Ok();
      });
  ASSERT_TRUE(st.ok()) << st.ToString();
  ASSERT_EQ(types.size(), 11u);
  std::vector<CellType> expected = {CellType::kInteger, CellType::kInteger, CellType::kReal, CellType::kReal,
                                    CellType::kText,    CellType::kNull,    CellType::kBlob, CellType::kText,
                                    CellType::kInteger, CellType::kBlob,    CellType::kText};
  for (size_t i = 0; i < expected.size(); ++i) EXPECT_EQ(types[i].type, expected[i]) << "column " << i;
  EXPECT_EQ(values[0], "42");
  EXPECT_EQ(values[1], "18446744073709551615");
  EXPECT_EQ(values[2], "1.5");
  EXPECT_EQ(values[4], "héllo");
  EXPECT_EQ(values[6], std::string("\0\xff\0", 3));
  EXPECT_EQ(values[7], "2020-01-02");
  EXPECT_EQ(values[8], "5");
  // A statement without a result set streams no rows and succeeds.
  int rows = 0;
  EXPECT_TRUE(conn->Query("DO 1", [&](RowView) { return ++rows, Status::Ok(); }).ok());
  EXPECT_EQ(rows, 0);
}

TEST(MysqlDriver, QuoteLiteralAndIdentifierRoundTrip) {
  ScratchDatabase db("mysql");
  auto conn = db.Connect();
  ASSERT_TRUE(conn);
  const std::vector<std::string> values = {"plain",          "it's",   "back\\slash",
                                           "both \\' mixed", "\"dq\"", std::string("nul\0byte", 8),
                                           "ünïcødé ✓",      "100%_",  "\n\t\r\x1a"};
  const std::string table = "t `q` \"x\" 'y'";
  ASSERT_TRUE(conn->Execute("CREATE TABLE " + conn->QuoteIdentifier(table) + " (" +
                            conn->QuoteIdentifier("select") + " int PRIMARY KEY, v varbinary(100))")
                  .ok());
  for (bool no_backslash : {false, true}) {
    SCOPED_TRACE(no_backslash ? "NO_BACKSLASH_ESCAPES" : "default sql_mode");
    if (no_backslash) {
      ASSERT_TRUE(conn->Execute("SET SESSION sql_mode = CONCAT(@@sql_mode, ',NO_BACKSLASH_ESCAPES')").ok());
    }
    ASSERT_TRUE(conn->Execute("DELETE FROM " + conn->QuoteIdentifier(table)).ok());
    for (size_t i = 0; i < values.size(); ++i) {
      auto r = conn->Execute("INSERT INTO " + conn->QuoteIdentifier(table) + " VALUES (" + std::to_string(i) +
                             ", " + conn->QuoteLiteral(values[i]) + ")");
      ASSERT_TRUE(r.ok()) << r.status().ToString();
      EXPECT_EQ(*r, 1);
    }
    std::vector<std::string> back;
    Status st = conn->Query(
        "SELECT v FROM " + conn->QuoteIdentifier(table) + " ORDER BY " + conn->QuoteIdentifier("select"),
        [&](RowView row) {
          back.emplace_back(row[0].data);
          return Status::Ok();
        });
    ASSERT_TRUE(st.ok()) << st.ToString();
    EXPECT_EQ(back, values);
    // A literal compares equal on the server too.
    EXPECT_EQ(Scalar(*conn, "SELECT " + conn->QuoteLiteral("a\\b'c") +
                                " = CONCAT('a', CHAR(92), 'b', CHAR(39), 'c')"),
              "1");
  }
}

TEST(MysqlDriver, ExecuteReturnsAffectedRowsAndDrainsResults) {
  ScratchDatabase db("mysql");
  auto conn = db.Connect();
  ASSERT_TRUE(conn);
  Status setup = conn->ExecuteScript(
      "CREATE TABLE t (id int PRIMARY KEY, v int);\n"
      "INSERT INTO t VALUES (1, 0), (2, 0), (3, 0);\n"
      "DELIMITER //\nCREATE PROCEDURE two_results() BEGIN SELECT 1; SELECT 2, 3; END//\n");
  ASSERT_TRUE(setup.ok()) << setup.ToString();
  auto updated = conn->Execute("UPDATE t SET v = 1 WHERE id >= 2");
  ASSERT_TRUE(updated.ok());
  EXPECT_EQ(*updated, 2);
  auto selected = conn->Execute("SELECT * FROM t");
  ASSERT_TRUE(selected.ok()) << selected.status().ToString();
  auto called = conn->Execute("CALL two_results()");
  ASSERT_TRUE(called.ok()) << called.status().ToString();
  // The connection is still in sync after multi-result statements.
  EXPECT_EQ(Scalar(*conn, "SELECT COUNT(*) FROM t"), "3");
  int rows = 0;
  EXPECT_TRUE(conn->Query("CALL two_results()", [&](RowView) { return ++rows, Status::Ok(); }).ok());
  EXPECT_EQ(rows, 1) << "the first result set is streamed, the others drained";
  EXPECT_EQ(Scalar(*conn, "SELECT 7"), "7");
  // Server errors carry the MySQL error number.
  auto bad = conn->Execute("INSERT INTO t VALUES (1, 1)");
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.status().code(), StatusCode::kQuery);
  EXPECT_EQ(bad.status().sqlstate(), "1062");
  EXPECT_NE(bad.status().message().find("INSERT INTO t VALUES (1, 1)"), std::string::npos);
  // An earlier error does not make a later table-less SELECT look failed.
  auto after = conn->Execute("SELECT 1");
  EXPECT_TRUE(after.ok()) << after.status().ToString();
  EXPECT_EQ(Scalar(*conn, "SELECT 1"), "1");
}

TEST(MysqlDriver, ExecuteScriptDelimitersCommentsAndErrorLine) {
  ScratchDatabase db("mysql");
  auto conn = db.Connect();
  ASSERT_TRUE(conn);
  const std::string script =
      "-- header comment; with a semicolon\n"
      "CREATE TABLE t (id int PRIMARY KEY, v varchar(20) DEFAULT 'a;b');\n"
      "/*!40101 SET @cutover_versioned = 5 */;\n"
      "/*M!100000 SET @cutover_mariadb = 6 */;\n"
      "DELIMITER //\n"
      "CREATE TRIGGER trg BEFORE INSERT ON t FOR EACH ROW\n"
      "BEGIN\n"
      "  SET NEW.v = CONCAT(NEW.v, ';x');\n"
      "END//\n"
      "DELIMITER ;\n"
      "INSERT INTO t (id) VALUES (1);\n";
  Status st = conn->ExecuteScript(script);
  ASSERT_TRUE(st.ok()) << st.ToString();
  EXPECT_EQ(Scalar(*conn, "SELECT @cutover_versioned"), "5") << "versioned comments are sent to the server";
  EXPECT_EQ(Scalar(*conn, "SELECT @cutover_mariadb"), "6");
  EXPECT_EQ(Scalar(*conn, "SELECT v FROM t"), "a;b;x");
  // The failing statement is named by its line; later statements do not run.
  st = conn->ExecuteScript(
      "INSERT INTO t (id) VALUES (2);\n\n-- comment\nINSERT INTO nowhere\n  VALUES (1);\n"
      "INSERT INTO t (id) VALUES (3);\n");
  ASSERT_FALSE(st.ok());
  EXPECT_EQ(st.code(), StatusCode::kQuery);
  EXPECT_EQ(st.sqlstate(), "1146");
  EXPECT_NE(st.message().find("line 4"), std::string::npos) << st.message();
  EXPECT_NE(st.message().find("INSERT INTO nowhere"), std::string::npos) << st.message();
  EXPECT_EQ(Scalar(*conn, "SELECT COUNT(*) FROM t"), "2");
  // A syntax problem in the script itself.
  st = conn->ExecuteScript("SELECT 1;\nSELECT 'unterminated;\n");
  EXPECT_EQ(st.code(), StatusCode::kInvalidInput);
  EXPECT_NE(st.message().find("line 2"), std::string::npos) << st.message();
  // NO_BACKSLASH_ESCAPES set inside the script changes how the rest splits.
  st = conn->ExecuteScript(
      "SET SESSION sql_mode = CONCAT(@@sql_mode, ',NO_BACKSLASH_ESCAPES');\n"
      "INSERT INTO t (id, v) VALUES (10, 'back\\');\n"
      "SET SESSION sql_mode = REPLACE(@@sql_mode, 'NO_BACKSLASH_ESCAPES', '');\n"
      "INSERT INTO t (id, v) VALUES (11, 'it\\'s');\n");
  ASSERT_TRUE(st.ok()) << st.ToString();
  EXPECT_EQ(Scalar(*conn, "SELECT v FROM t WHERE id = 10"), "back\\;x");
  EXPECT_EQ(Scalar(*conn, "SELECT v FROM t WHERE id = 11"), "it's;x");
}

TEST(MysqlDriver, TransactionsCommitAndRollback) {
  ScratchDatabase db("mysql");
  db.Exec("CREATE TABLE t (id int PRIMARY KEY) ENGINE=InnoDB;");
  auto conn = db.Connect();
  auto other = db.Connect();
  ASSERT_TRUE(conn && other);
  ASSERT_TRUE(conn->Begin().ok());
  ASSERT_TRUE(conn->Execute("INSERT INTO t VALUES (1)").ok());
  EXPECT_EQ(Scalar(*other, "SELECT COUNT(*) FROM t"), "0");
  ASSERT_TRUE(conn->Rollback().ok());
  EXPECT_EQ(Scalar(*conn, "SELECT COUNT(*) FROM t"), "0");
  ASSERT_TRUE(conn->Begin().ok());
  ASSERT_TRUE(conn->Execute("INSERT INTO t VALUES (2)").ok());
  ASSERT_TRUE(conn->Commit().ok());
  EXPECT_EQ(Scalar(*other, "SELECT COUNT(*) FROM t"), "1");
}

TEST(MysqlDriver, StatementTimeoutExpiresAndIsRestored) {
  ScratchDatabase db("mysql");
  auto conn = db.Connect();
  ASSERT_TRUE(conn);
  const std::string before = Scalar(*conn, "SELECT @@SESSION.max_statement_time");
  ExecOptions limit;
  limit.statement_timeout = 300ms;
  auto start = std::chrono::steady_clock::now();
  auto r = conn->Execute("SELECT SLEEP(5)", limit);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kLockTimeout) << r.status().ToString();
  EXPECT_NE(r.status().message().find("statement_timeout"), std::string::npos) << r.status().message();
  EXPECT_LT(std::chrono::steady_clock::now() - start, 3s);
  EXPECT_EQ(Scalar(*conn, "SELECT @@SESSION.max_statement_time"), before);
  // While rows are streaming: the stream ends with the error, not silently.
  std::uint64_t rows = 0;
  Status st = conn->Query(
      "SELECT seq, SLEEP(0.001) FROM seq_1_to_100000", [&](RowView) { return ++rows, Status::Ok(); }, limit);
  ASSERT_FALSE(st.ok()) << "after " << rows << " rows";
  EXPECT_EQ(st.code(), StatusCode::kLockTimeout) << st.ToString();
  EXPECT_LT(rows, 100000u);
  EXPECT_EQ(Scalar(*conn, "SELECT @@SESSION.max_statement_time"), before);
  // A statement within its limit is unaffected.
  auto fast = conn->Execute("SELECT 1", limit);
  EXPECT_TRUE(fast.ok()) << fast.status().ToString();
}

TEST(MysqlDriver, LockTimeoutExpiresAndIsRestored) {
  ScratchDatabase db("mysql");
  db.Exec("CREATE TABLE t (id int PRIMARY KEY, v int) ENGINE=InnoDB; INSERT INTO t VALUES (1, 0);");
  auto holder = db.Connect();
  auto waiter = db.Connect();
  ASSERT_TRUE(holder && waiter);
  const std::string before = Scalar(*waiter,
                                    "SELECT CONCAT(@@SESSION.lock_wait_timeout, '/', "
                                    "@@SESSION.innodb_lock_wait_timeout)");
  ASSERT_TRUE(holder->Begin().ok());
  ASSERT_TRUE(holder->Execute("UPDATE t SET v = 1 WHERE id = 1").ok());
  ExecOptions limit;
  limit.lock_timeout = 1000ms;
  // A row lock.
  auto start = std::chrono::steady_clock::now();
  auto r = waiter->Execute("UPDATE t SET v = 2 WHERE id = 1", limit);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kLockTimeout) << r.status().ToString();
  EXPECT_NE(r.status().message().find("lock_timeout"), std::string::npos) << r.status().message();
  EXPECT_LT(std::chrono::steady_clock::now() - start, 5s);
  // A metadata lock (ALTER TABLE behind an open transaction).
  r = waiter->Execute("ALTER TABLE t ADD COLUMN w int", limit);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kLockTimeout) << r.status().ToString();
  EXPECT_EQ(
      Scalar(*waiter, "SELECT CONCAT(@@SESSION.lock_wait_timeout, '/', @@SESSION.innodb_lock_wait_timeout)"),
      before);
  ASSERT_TRUE(holder->Rollback().ok());
  EXPECT_TRUE(waiter->Execute("UPDATE t SET v = 3 WHERE id = 1", limit).ok());
}

TEST(MysqlDriver, LockWaitsSeesRowAndMetadataLockWaits) {
  ScratchDatabase db("mysql");
  db.Exec("CREATE TABLE t (id int PRIMARY KEY, v int) ENGINE=InnoDB; INSERT INTO t VALUES (1, 0);");
  auto holder = db.Connect();
  auto waiter = db.Connect();
  auto watcher = db.Connect();
  ASSERT_TRUE(holder && waiter && watcher);
  auto no_waits = watcher->LockWaits();
  ASSERT_TRUE(no_waits.ok()) << no_waits.status().ToString();
  EXPECT_TRUE(no_waits->empty());

  auto wait_for = [&](const std::string& session) -> std::optional<LockWait> {
    for (int i = 0; i < 200; ++i) {
      auto waits = watcher->LockWaits();
      EXPECT_TRUE(waits.ok()) << waits.status().ToString();
      if (!waits.ok()) return std::nullopt;
      for (const LockWait& w : *waits) {
        if (w.waiting_session == session) return w;
      }
      std::this_thread::sleep_for(50ms);
    }
    return std::nullopt;
  };
  ExecOptions patient;
  patient.lock_timeout = 30000ms;

  // Row lock: the blocker is known.
  ASSERT_TRUE(holder->Begin().ok());
  ASSERT_TRUE(holder->Execute("UPDATE t SET v = 1 WHERE id = 1").ok());
  Status waiter_status = Status::Internal("not run");
  std::thread row_waiter(
      [&] { waiter_status = waiter->Execute("UPDATE t SET v = 2 WHERE id = 1", patient).status(); });
  auto w = wait_for(waiter->SessionId());
  ASSERT_TRUE(holder->Rollback().ok());
  row_waiter.join();
  ASSERT_TRUE(w.has_value()) << "LockWaits never showed session " << waiter->SessionId();
  EXPECT_EQ(w->blocking_session, holder->SessionId());
  EXPECT_NE(w->lock.find("row lock"), std::string::npos) << w->lock;
  EXPECT_EQ(w->object, "t");
  EXPECT_NE(w->query.find("UPDATE t SET v = 2"), std::string::npos) << w->query;
  EXPECT_GE(w->waited.count(), 0);
  EXPECT_TRUE(waiter_status.ok()) << waiter_status.ToString();

  // Metadata lock: ALTER TABLE waits behind a transaction that read the table.
  ASSERT_TRUE(holder->Begin().ok());
  EXPECT_EQ(Scalar(*holder, "SELECT COUNT(*) FROM t"), "1");
  std::thread mdl_waiter(
      [&] { waiter_status = waiter->Execute("ALTER TABLE t ADD COLUMN w int", patient).status(); });
  w = wait_for(waiter->SessionId());
  ASSERT_TRUE(holder->Commit().ok());
  mdl_waiter.join();
  ASSERT_TRUE(w.has_value()) << "LockWaits never showed the ALTER TABLE waiting";
  EXPECT_NE(w->lock.find("metadata lock"), std::string::npos) << w->lock;
  EXPECT_NE(w->query.find("ALTER TABLE"), std::string::npos) << w->query;
  EXPECT_TRUE(waiter_status.ok()) << waiter_status.ToString();
  auto after = watcher->LockWaits();
  ASSERT_TRUE(after.ok());
  EXPECT_TRUE(after->empty());
}

TEST(MysqlDriver, QueryStreamsTwoMillionRowsWithBoundedMemory) {
  ScratchDatabase db("mysql");
  auto conn = db.Connect();
  ASSERT_TRUE(conn);
  // Reset the peak RSS counter so VmHWM measures this query only.
  {
    std::ofstream clear("/proc/self/clear_refs");
    clear << "5";
    clear.flush();
    ASSERT_TRUE(clear.good()) << "cannot reset the peak RSS through /proc/self/clear_refs";
  }
  const long rss_before = StatusKb("VmRSS");
  ASSERT_GT(rss_before, 0);
  ASSERT_LE(StatusKb("VmHWM"), rss_before + 1024) << "peak RSS was not reset";
  std::uint64_t rows = 0, sum = 0, bytes = 0;
  // About 2,000,000 x 200 bytes = 400 MB if the result were buffered.
  Status st = conn->Query("SELECT seq, REPEAT('x', 200) FROM seq_1_to_2000000", [&](RowView row) {
    ++rows;
    sum += std::stoull(std::string(row[0].data));
    bytes += row[1].data.size();
    return Status::Ok();
  });
  ASSERT_TRUE(st.ok()) << st.ToString();
  const long peak = StatusKb("VmHWM");
  EXPECT_EQ(rows, 2000000u);
  EXPECT_EQ(sum, 2000000ull * 2000001ull / 2);
  EXPECT_EQ(bytes, 2000000ull * 200);
  RecordProperty("peak_rss_growth_kb", std::to_string(peak - rss_before));
  std::cout << "[ info     ] peak RSS growth while streaming 2,000,000 rows: " << (peak - rss_before)
            << " kB\n";
  EXPECT_LT(peak - rss_before, 32 * 1024)
      << "peak RSS grew by " << (peak - rss_before) << " kB while streaming";
}

TEST(MysqlDriver, ErrorsWhileStreamingAreNeverSilent) {
  ScratchDatabase db("mysql");
  auto conn = db.Connect();
  auto other = db.Connect();
  ASSERT_TRUE(conn && other);
  // KILL QUERY from another session in the middle of the stream.
  std::uint64_t rows = 0;
  Status st = conn->Query("SELECT seq, SLEEP(0.001) FROM seq_1_to_20000", [&](RowView) {
    if (++rows == 100) {
      EXPECT_TRUE(other->Execute("KILL QUERY " + conn->SessionId()).ok());
    }
    return Status::Ok();
  });
  ASSERT_FALSE(st.ok()) << "the stream was interrupted after " << rows << " rows but Query reported success";
  EXPECT_EQ(st.code(), StatusCode::kQuery) << st.ToString();
  EXPECT_EQ(st.sqlstate(), "1317") << st.ToString();
  EXPECT_LT(rows, 20000u);
  EXPECT_EQ(Scalar(*conn, "SELECT 1"), "1") << "the session survives KILL QUERY";
  // The callback's own error stops the query and is returned as is.
  rows = 0;
  st = conn->Query("SELECT seq FROM seq_1_to_100000",
                   [&](RowView) { return ++rows == 10 ? Status::CheckFailed("enough") : Status::Ok(); });
  EXPECT_EQ(st.code(), StatusCode::kCheckFailed);
  EXPECT_EQ(rows, 10u);
  EXPECT_EQ(Scalar(*conn, "SELECT 2"), "2");
  // The whole connection killed in the middle of the stream.
  rows = 0;
  st = conn->Query("SELECT seq, SLEEP(0.001) FROM seq_1_to_20000", [&](RowView) {
    if (++rows == 100) {
      EXPECT_TRUE(other->Execute("KILL " + conn->SessionId()).ok());
    }
    return Status::Ok();
  });
  ASSERT_FALSE(st.ok()) << "the connection was killed after " << rows << " rows but Query reported success";
  EXPECT_EQ(st.code(), StatusCode::kConnection) << st.ToString();
  EXPECT_EQ(conn->Execute("SELECT 1").status().code(), StatusCode::kConnection);
}

// ===========================================================================
// Schema reading against the server
// ===========================================================================

TEST(MysqlSchema, ReadsEveryObjectKind) {
  ScratchDatabase db("mysql");
  auto conn = db.Connect();
  ASSERT_TRUE(conn);
  Status st = conn->ExecuteScript(R"sql(
CREATE TABLE customers (
  id int NOT NULL AUTO_INCREMENT PRIMARY KEY,
  email varchar(200) NOT NULL COMMENT 'login',
  name varchar(100) COLLATE utf8mb4_bin,
  created_at timestamp NOT NULL DEFAULT CURRENT_TIMESTAMP ON UPDATE CURRENT_TIMESTAMP,
  prefs json,
  UNIQUE KEY uq_email (email),
  KEY ix_name (name(10) DESC)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_general_ci ROW_FORMAT=DYNAMIC COMMENT='people' AUTO_INCREMENT=500;
CREATE TABLE orders (
  id bigint unsigned NOT NULL PRIMARY KEY,
  customer_id int,
  status enum('new','paid') NOT NULL DEFAULT 'new',
  qty int CHECK (qty > 0),
  net decimal(10,2), gross decimal(10,2) AS (net * 1.2) VIRTUAL,
  CONSTRAINT fk_customer FOREIGN KEY (customer_id) REFERENCES customers (id) ON DELETE CASCADE ON UPDATE SET NULL,
  CONSTRAINT ck_net CHECK (net >= 0)
);
CREATE VIEW paid AS SELECT id, customer_id FROM orders WHERE status = 'paid' WITH LOCAL CHECK OPTION;
CREATE TRIGGER trg_orders BEFORE INSERT ON orders FOR EACH ROW SET NEW.qty = COALESCE(NEW.qty, 1);
CREATE FUNCTION twice(x int) RETURNS int DETERMINISTIC RETURN x * 2;
CREATE PROCEDURE touch(IN p_id int) MODIFIES SQL DATA UPDATE orders SET qty = qty WHERE id = p_id;
CREATE TABLE logs (id int NOT NULL, d date NOT NULL, PRIMARY KEY (id, d))
  PARTITION BY RANGE (YEAR(d)) (PARTITION p1 VALUES LESS THAN (2020), PARTITION p2 VALUES LESS THAN MAXVALUE);
CREATE SEQUENCE seq_orders START WITH 100 INCREMENT BY 10;
INSERT INTO customers (email) VALUES ('a@example.com');
)sql");
  ASSERT_TRUE(st.ok()) << st.ToString();
  SchemaModel m = ReadModel(*conn);
  SCOPED_TRACE(Dump(m));
  EXPECT_EQ(m.engine, "mysql");
  EXPECT_EQ(m.server_version, conn->server_info().version);
  EXPECT_EQ(Attr(m, ObjectKind::kTable, "", "customers", "mysql.engine"), "InnoDB");
  EXPECT_EQ(Attr(m, ObjectKind::kTable, "", "customers", "mysql.collation"), "utf8mb4_general_ci");
  EXPECT_EQ(Attr(m, ObjectKind::kTable, "", "customers", "mysql.row_format"), "DYNAMIC");
  EXPECT_EQ(Attr(m, ObjectKind::kTable, "", "customers", "comment"), "people");
  EXPECT_EQ(Attr(m, ObjectKind::kTable, "", "orders", "mysql.row_format"), "<absent>");
  for (const auto& obj : m.objects) {
    for (const auto& [k, v] : obj.attributes) {
      EXPECT_EQ(ToLower(k).find("auto_increment"), std::string::npos) << obj.Path() << " " << k;
      EXPECT_EQ(v.find("500"), std::string::npos)
          << "AUTO_INCREMENT counter leaked into " << obj.Path() << " " << k;
      EXPECT_FALSE(v.empty()) << obj.Path() << " " << k << " is empty: absent attributes are omitted";
    }
  }
  EXPECT_EQ(Attr(m, ObjectKind::kColumn, "customers", "id", "identity"), "auto_increment");
  EXPECT_EQ(Attr(m, ObjectKind::kColumn, "customers", "id", "position"), "1");
  EXPECT_EQ(Attr(m, ObjectKind::kColumn, "customers", "email", "comment"), "login");
  EXPECT_EQ(Attr(m, ObjectKind::kColumn, "customers", "email", "nullable"), "false");
  EXPECT_EQ(Attr(m, ObjectKind::kColumn, "customers", "name", "collation"), "utf8mb4_bin");
  EXPECT_EQ(Attr(m, ObjectKind::kColumn, "customers", "email", "collation"), "<absent>");
  EXPECT_EQ(Attr(m, ObjectKind::kColumn, "customers", "created_at", "default"), "current_timestamp()");
  EXPECT_EQ(Attr(m, ObjectKind::kColumn, "customers", "created_at", "mysql.on_update"),
            "current_timestamp()");
  EXPECT_EQ(Attr(m, ObjectKind::kColumn, "customers", "prefs", "type"), "json");
  EXPECT_EQ(Attr(m, ObjectKind::kPrimaryKey, "customers", "primary", "columns"), "[\"id\"]");
  EXPECT_EQ(Attr(m, ObjectKind::kIndex, "customers", "uq_email", "unique"), "true");
  EXPECT_EQ(Attr(m, ObjectKind::kIndex, "customers", "uq_email", "method"), "btree");
  EXPECT_EQ(Attr(m, ObjectKind::kIndex, "customers", "ix_name", "keys"), "[\"name(10) DESC\"]");
  EXPECT_EQ(Attr(m, ObjectKind::kColumn, "orders", "id", "type"), "bigint unsigned");
  EXPECT_EQ(Attr(m, ObjectKind::kColumn, "orders", "status", "type"), "enum('new','paid')");
  EXPECT_EQ(Attr(m, ObjectKind::kColumn, "orders", "status", "default"), "'new'");
  EXPECT_EQ(Attr(m, ObjectKind::kColumn, "orders", "gross", "generated"), "net * 1.2");
  EXPECT_EQ(Attr(m, ObjectKind::kColumn, "orders", "gross", "generated_kind"), "virtual");
  EXPECT_EQ(Attr(m, ObjectKind::kForeignKey, "orders", "fk_customer", "columns"), "[\"customer_id\"]");
  EXPECT_EQ(Attr(m, ObjectKind::kForeignKey, "orders", "fk_customer", "references"), "customers");
  EXPECT_EQ(Attr(m, ObjectKind::kForeignKey, "orders", "fk_customer", "references_columns"), "[\"id\"]");
  EXPECT_EQ(Attr(m, ObjectKind::kForeignKey, "orders", "fk_customer", "on_delete"), "CASCADE");
  EXPECT_EQ(Attr(m, ObjectKind::kForeignKey, "orders", "fk_customer", "on_update"), "SET NULL");
  EXPECT_EQ(Attr(m, ObjectKind::kIndex, "orders", "fk_customer", "keys"), "[\"customer_id\"]")
      << "the index InnoDB created for the foreign key is a normal index";
  EXPECT_EQ(Attr(m, ObjectKind::kCheckConstraint, "orders", "check(qty > 0)", "expression"), "qty > 0");
  EXPECT_EQ(Attr(m, ObjectKind::kCheckConstraint, "orders", "ck_net", "expression"), "net >= 0");
  EXPECT_EQ(Attr(m, ObjectKind::kView, "", "paid", "definition"),
            "select `orders`.`id` AS `id`,`orders`.`customer_id` AS `customer_id` from `orders` where "
            "`orders`.`status` = 'paid'");
  EXPECT_EQ(Attr(m, ObjectKind::kView, "", "paid", "check_option"), "LOCAL");
  EXPECT_EQ(Attr(m, ObjectKind::kView, "", "paid", "mysql.security"), "DEFINER");
  EXPECT_EQ(Attr(m, ObjectKind::kTrigger, "orders", "trg_orders", "timing"), "BEFORE");
  EXPECT_EQ(Attr(m, ObjectKind::kTrigger, "orders", "trg_orders", "events"), "[\"INSERT\"]");
  EXPECT_EQ(Attr(m, ObjectKind::kTrigger, "orders", "trg_orders", "level"), "ROW");
  EXPECT_EQ(Attr(m, ObjectKind::kTrigger, "orders", "trg_orders", "definition"),
            "SET NEW.qty = COALESCE(NEW.qty, 1)");
  EXPECT_EQ(Attr(m, ObjectKind::kFunction, "", "twice", "arguments"), "x int");
  EXPECT_EQ(Attr(m, ObjectKind::kFunction, "", "twice", "returns"), "int");
  EXPECT_EQ(Attr(m, ObjectKind::kFunction, "", "twice", "definition"), "RETURN x * 2");
  EXPECT_EQ(Attr(m, ObjectKind::kFunction, "", "twice", "language"), "SQL");
  EXPECT_EQ(Attr(m, ObjectKind::kFunction, "", "twice", "security"), "DEFINER");
  EXPECT_EQ(Attr(m, ObjectKind::kProcedure, "", "touch", "arguments"), "IN p_id int");
  EXPECT_EQ(Attr(m, ObjectKind::kProcedure, "", "touch", "mysql.sql_data_access"), "MODIFIES SQL DATA");
  EXPECT_EQ(Attr(m, ObjectKind::kTable, "", "logs", "partition_by"), "RANGE (year(d))");
  EXPECT_EQ(Attr(m, ObjectKind::kTable, "", "logs", "mysql.partitions"),
            "[\"p1 VALUES LESS THAN (2020)\",\"p2 VALUES LESS THAN (MAXVALUE)\"]");
  EXPECT_EQ(Attr(m, ObjectKind::kSequence, "", "seq_orders", "start"), "100");
  EXPECT_EQ(Attr(m, ObjectKind::kSequence, "", "seq_orders", "increment"), "10");
  EXPECT_EQ(m.Find(ObjectKind::kTable, "", "", "seq_orders"), nullptr);
  EXPECT_EQ(m.Find(ObjectKind::kTable, "", "", "paid"), nullptr);
  // Reading twice gives the same model; reading does not change anything.
  EXPECT_EQ(Dump(ReadModel(*conn)), Dump(m));
}

TEST(MysqlSchema, HostileIdentifiersInEveryObjectKind) {
  ScratchDatabase db("mysql");
  auto conn = db.Connect();
  ASSERT_TRUE(conn);
  auto q = [&](const std::string& name) { return conn->QuoteIdentifier(name); };
  const std::string table = "Tab \"x\" `y` 'z' ü";
  const std::string col = "Sel\"ect `c` 'q'";
  const std::string long_table(64, 'T');
  const std::string long_col = std::string(63, 'c') + "\xc3\xa9";  // 64 characters, the maximum
  const std::string reserved = "from";
  std::vector<std::string> script = {
      "CREATE TABLE " + q(table) + " (" + q(col) + " int PRIMARY KEY, " + q(reserved) + " int, " +
          q(long_col) + " int, INDEX " + q("Idx `1` ü") + " (" + q(reserved) + "), CONSTRAINT " +
          q("Ck 'a'") + " CHECK (" + q(reserved) + " > 0))",
      "CREATE TABLE " + q(long_table) + " (id int PRIMARY KEY, ref int, CONSTRAINT " + q("Fk \"1\"") +
          " FOREIGN KEY (ref) REFERENCES " + q(table) + " (" + q(col) + "))",
      "CREATE VIEW " + q("v `w` \"x\"") + " AS SELECT " + q(col) + " FROM " + q(table),
      "CREATE TRIGGER " + q("Trg `x` ü") + " BEFORE INSERT ON " + q(table) + " FOR EACH ROW SET NEW." +
          q(reserved) + " = 1",
      "CREATE FUNCTION " + q("F `x` ü") + "(" + q("a b") + " int) RETURNS int DETERMINISTIC RETURN " +
          q("a b"),
      "CREATE PROCEDURE " + q("P \"y\"") + "() SELECT 1",
      "INSERT INTO " + q(table) + " VALUES (1, 2, 3)",
  };
  for (const std::string& s : script) {
    auto r = conn->Execute(s);
    ASSERT_TRUE(r.ok()) << s << ": " << r.status().ToString();
  }
  SchemaModel m = ReadModel(*conn);
  SCOPED_TRACE(Dump(m));
  EXPECT_NE(m.Find(ObjectKind::kTable, "", "", table), nullptr) << "table names keep their case (lctn=0)";
  EXPECT_NE(m.Find(ObjectKind::kTable, "", "", long_table), nullptr);
  EXPECT_NE(m.Find(ObjectKind::kColumn, "", table, ToLower(col)), nullptr);
  EXPECT_NE(m.Find(ObjectKind::kColumn, "", table, reserved), nullptr);
  EXPECT_NE(m.Find(ObjectKind::kColumn, "", table, long_col), nullptr);
  EXPECT_EQ(Attr(m, ObjectKind::kPrimaryKey, table, "primary", "columns"), ListValue({ToLower(col)}));
  EXPECT_EQ(Attr(m, ObjectKind::kIndex, table, "idx `1` ü", "keys"), ListValue({reserved}));
  EXPECT_EQ(Attr(m, ObjectKind::kCheckConstraint, table, "ck 'a'", "expression"), "from > 0");
  EXPECT_EQ(Attr(m, ObjectKind::kForeignKey, long_table, "fk \"1\"", "references"), table);
  EXPECT_EQ(Attr(m, ObjectKind::kForeignKey, long_table, "fk \"1\"", "references_columns"),
            ListValue({ToLower(col)}));
  EXPECT_NE(m.Find(ObjectKind::kView, "", "", "v `w` \"x\""), nullptr);
  EXPECT_NE(m.Find(ObjectKind::kTrigger, "", table, "trg `x` ü"), nullptr);
  EXPECT_EQ(Attr(m, ObjectKind::kFunction, "", "f `x` ü", "arguments"), "a b int");
  EXPECT_NE(m.Find(ObjectKind::kProcedure, "", "", "p \"y\""), nullptr);
  EXPECT_EQ(Scalar(*conn, "SELECT " + q(reserved) + " FROM " + q(table)), "1") << "the trigger ran";
  // A database name that needs quoting in view definitions too.
  const std::string odd_db = testing::UniqueName("cutover_scratch_q`x y_");
  auto created = Mysql()->CreateDatabase(ServerUri("mysql"), odd_db);
  ASSERT_TRUE(created.ok()) << created.status().ToString();
  {
    auto c2 = Mysql()->Connect(*created);
    ASSERT_TRUE(c2.ok()) << c2.status().ToString();
    ASSERT_TRUE((*c2)->ExecuteScript("CREATE TABLE t (a int); CREATE VIEW v AS SELECT a FROM t;").ok());
    SchemaModel m2 = ReadModel(**c2);
    EXPECT_EQ(Attr(m2, ObjectKind::kView, "", "v", "definition"), "select `t`.`a` AS `a` from `t`");
  }
  EXPECT_TRUE(Mysql()->DropDatabase(ServerUri("mysql"), odd_db).ok());
}

TEST(MysqlSchema, EquivalentSpellingsReadIdentically) {
  SchemaModel a = ModelOf(R"sql(
create table Items (ID int(11) not null auto_increment, Name varchar(20) default 'x', Price numeric(10,2) default 0,
  Flag boolean default false, Made timestamp null default now(), primary key (id), unique key (name),
  check (PRICE >= 0), constraint FK_Self foreign key (ID) references Items (Id) on delete no action);
create view V as select `ID` , `Name`   from `Items`;
)sql");
  SchemaModel b = ModelOf(R"sql(
CREATE TABLE Items (id INT NOT NULL AUTO_INCREMENT PRIMARY KEY, name VARCHAR(20) DEFAULT 'x' UNIQUE,
  price DECIMAL(10,2) DEFAULT '0.00' CHECK (price >= 0), flag TINYINT(1) DEFAULT 0,
  made TIMESTAMP NULL DEFAULT CURRENT_TIMESTAMP);
ALTER TABLE Items ADD CONSTRAINT fk_self FOREIGN KEY (id) REFERENCES Items (id);
CREATE VIEW V AS SELECT id, name FROM Items;
)sql");
  EXPECT_EQ(DriftLines(a, b), std::set<std::string>{}) << "A:\n" << Dump(a) << "B:\n" << Dump(b);
  EXPECT_EQ(Dump(a), Dump(b));
}

TEST(MysqlSchema, BoundedNumberOfCatalogQueries) {
  auto catalog_queries = [](int tables) {
    ScratchDatabase db("mysql");
    auto conn = db.Connect();
    EXPECT_TRUE(conn);
    if (!conn) return -1;
    std::string script = "CREATE FUNCTION f() RETURNS int RETURN 1;\n";
    for (int i = 0; i < tables; ++i) {
      std::string t = "t" + std::to_string(i);
      script += "CREATE TABLE " + t +
                " (id int PRIMARY KEY, v int CHECK (v > 0), KEY ix (v)) PARTITION BY HASH (id) "
                "PARTITIONS 2;\nCREATE VIEW v" +
                std::to_string(i) + " AS SELECT id FROM " + t + ";\n" + "CREATE TRIGGER tr" +
                std::to_string(i) + " BEFORE INSERT ON " + t +
                " FOR EACH ROW SET NEW.v = 1;\nCREATE SEQUENCE s" + std::to_string(i) + ";\n";
    }
    EXPECT_TRUE(conn->ExecuteScript(script).ok());
    auto count = [&] {
      return std::stoi(Scalar(*conn,
                              "SELECT VARIABLE_VALUE FROM information_schema.SESSION_STATUS "
                              "WHERE VARIABLE_NAME = 'COM_SELECT'"));
    };
    int before = count();
    auto model = conn->ReadSchema();
    EXPECT_TRUE(model.ok()) << model.status().ToString();
    int after = count();
    return after - before - 1;  // minus the counting query itself
  };
  int small = catalog_queries(2);
  int large = catalog_queries(30);
  EXPECT_EQ(small, large) << "the number of catalog queries must not depend on the number of tables";
  EXPECT_LE(large, 14);
  EXPECT_GE(large, 10);
}

TEST(MysqlSchema, FixtureShopLoadsAndReads) {
  ScratchDatabase db("mysql");
  auto conn = db.Connect();
  ASSERT_TRUE(conn);
  const std::string script = testing::ReadFileOrDie(testing::SourceDir() + "/fixtures/mysql/shop.sql");
  ASSERT_FALSE(script.empty());
  Status st = conn->ExecuteScript(script);
  ASSERT_TRUE(st.ok()) << st.ToString();
  SchemaModel m = ReadModel(*conn);
  SCOPED_TRACE(Dump(m));
  for (const char* t : {"customers", "products", "orders", "order_items", "payments"}) {
    EXPECT_NE(m.Find(ObjectKind::kTable, "", "", t), nullptr) << t;
  }
  EXPECT_EQ(Attr(m, ObjectKind::kPrimaryKey, "order_items", "primary", "columns"),
            "[\"order_id\",\"product_id\"]");
  EXPECT_EQ(Attr(m, ObjectKind::kForeignKey, "order_items", "fk_order_items_order", "on_delete"), "CASCADE");
  EXPECT_EQ(Attr(m, ObjectKind::kForeignKey, "payments", "fk_payments_order", "on_delete"), "RESTRICT");
  EXPECT_TRUE(StartsWith(Attr(m, ObjectKind::kColumn, "orders", "status", "type"), "enum("));
  EXPECT_NE(m.Find(ObjectKind::kView, "", "", "order_totals"), nullptr);
  EXPECT_NE(m.Find(ObjectKind::kTrigger, "", "order_items", "trg_order_items_price"), nullptr);
  EXPECT_EQ(Attr(m, ObjectKind::kTable, "", "orders", "comment"), "one row per checkout");
  EXPECT_EQ(Attr(m, ObjectKind::kIndex, "customers", "ix_customers_email_prefix", "keys"), "[\"email(16)\"]");
  bool has_check = false;
  for (const auto& obj : m.objects) has_check |= obj.kind == ObjectKind::kCheckConstraint;
  EXPECT_TRUE(has_check);
  EXPECT_NE(Scalar(*conn, "SELECT COUNT(*) FROM order_items"), "0");
  // The fixture loads the same way twice.
  ScratchDatabase db2("mysql");
  auto conn2 = db2.Connect();
  ASSERT_TRUE(conn2);
  ASSERT_TRUE(conn2->ExecuteScript(script).ok());
  EXPECT_EQ(DriftLines(m, ReadModel(*conn2)), std::set<std::string>{});
}

// A server account for one test, dropped when the test ends (also when it
// fails). Its name may need quoting.
class TestUser {
 public:
  TestUser(std::string name, std::string host, std::optional<std::string> password = std::nullopt)
      : name_(std::move(name)), host_(std::move(host)) {
    auto admin = Mysql()->Connect(ServerUri("mysql"));
    if (!admin.ok()) {
      ADD_FAILURE() << admin.status().ToString();
      return;
    }
    std::string sql = "CREATE USER " + account();
    if (password) sql += " IDENTIFIED BY " + (*admin)->QuoteLiteral(*password);
    auto r = (*admin)->Execute(sql);
    created_ = r.ok();
    if (!created_) ADD_FAILURE() << sql << ": " << r.status().ToString();
  }
  ~TestUser() {
    if (!created_) return;
    auto admin = Mysql()->Connect(ServerUri("mysql"));
    auto r = admin.ok() ? (*admin)->Execute("DROP USER " + account()) : Result<std::int64_t>(admin.status());
    EXPECT_TRUE(r.ok()) << "dropping " << account() << ": " << r.status().ToString();
  }
  TestUser(const TestUser&) = delete;
  TestUser& operator=(const TestUser&) = delete;

  bool created() const { return created_; }
  const std::string& name() const { return name_; }
  // For statements: `name`@`host`.
  std::string account() const { return mysql::QuoteIdent(name_) + "@" + mysql::QuoteIdent(host_); }
  // As information_schema prints them: DEFINER without quotes, GRANTEE in
  // single quotes that are not escaped.
  std::string definer() const { return name_ + "@" + host_; }
  std::string grantee() const { return "'" + name_ + "'@'" + host_ + "'"; }

 private:
  std::string name_;
  std::string host_;
  bool created_ = false;
};

// access.definer, access.sql_mode, access.character_set_client and
// access.collation_connection read exactly what each object was created
// under, by a definer whose name needs quoting.
TEST(MysqlSchema, AccessAttributesRecordDefinerSqlModeAndCreationCharset) {
  ScratchDatabase db("mysql");
  auto conn = db.Connect();
  ASSERT_TRUE(conn);
  TestUser owner(testing::UniqueName("cut'own`r_"), "%");
  ASSERT_TRUE(owner.created());
  const std::string definer = " DEFINER=" + owner.account() + " ";
  {
    // sql_mode and SET NAMES are session state: a session of their own.
    auto ctx = db.Connect();
    ASSERT_TRUE(ctx);
    const std::vector<std::string> script = {
        "CREATE TABLE t (id int PRIMARY KEY, note varchar(20))",
        "SET SESSION sql_mode = 'ANSI_QUOTES,NO_ENGINE_SUBSTITUTION'",
        "SET NAMES latin1",
        "CREATE" + definer + "PROCEDURE p() SELECT \"id\" FROM t",
        "SET SESSION sql_mode = 'STRICT_ALL_TABLES'",
        "SET NAMES utf8mb3 COLLATE utf8mb3_unicode_ci",
        "CREATE" + definer + "TRIGGER trg BEFORE INSERT ON t FOR EACH ROW SET NEW.note = 'x'",
        "CREATE" + definer + "SQL SECURITY INVOKER VIEW v AS SELECT id FROM t",
        // Typed out of order: the server prints its canonical order.
        "SET SESSION sql_mode = 'NO_ZERO_DATE,PIPES_AS_CONCAT'",
        "SET NAMES utf8mb4 COLLATE utf8mb4_bin",
        "CREATE" + definer + "EVENT ev ON SCHEDULE EVERY 1 DAY DISABLE DO DELETE FROM t",
        "SET SESSION sql_mode = ''",
        "CREATE" + definer + "FUNCTION f() RETURNS int DETERMINISTIC RETURN 1",
    };
    for (const std::string& s : script) {
      auto r = ctx->Execute(s);
      ASSERT_TRUE(r.ok()) << s << ": " << r.status().ToString();
    }
  }
  // No DEFINER: the reading session's own user and context.
  ASSERT_TRUE(conn->Execute("CREATE FUNCTION plain() RETURNS int DETERMINISTIC RETURN 2").ok());
  SchemaModel m = ReadModel(*conn);
  SCOPED_TRACE(Dump(m));
  const std::string who = owner.definer();
  EXPECT_EQ(Attr(m, ObjectKind::kProcedure, "", "p", "access.definer"), who);
  EXPECT_EQ(Attr(m, ObjectKind::kProcedure, "", "p", "access.sql_mode"),
            "ANSI_QUOTES,NO_ENGINE_SUBSTITUTION");
  EXPECT_EQ(Attr(m, ObjectKind::kProcedure, "", "p", "access.character_set_client"), "latin1");
  EXPECT_EQ(Attr(m, ObjectKind::kProcedure, "", "p", "access.collation_connection"), "latin1_swedish_ci");
  EXPECT_EQ(Attr(m, ObjectKind::kTrigger, "t", "trg", "access.definer"), who);
  EXPECT_EQ(Attr(m, ObjectKind::kTrigger, "t", "trg", "access.sql_mode"), "STRICT_ALL_TABLES");
  EXPECT_EQ(Attr(m, ObjectKind::kTrigger, "t", "trg", "access.character_set_client"), "utf8mb3");
  EXPECT_EQ(Attr(m, ObjectKind::kTrigger, "t", "trg", "access.collation_connection"), "utf8mb3_unicode_ci");
  EXPECT_EQ(Attr(m, ObjectKind::kView, "", "v", "access.definer"), who);
  EXPECT_EQ(Attr(m, ObjectKind::kView, "", "v", "access.sql_mode"), "<absent>") << "VIEWS has no SQL_MODE";
  EXPECT_EQ(Attr(m, ObjectKind::kView, "", "v", "access.character_set_client"), "utf8mb3");
  EXPECT_EQ(Attr(m, ObjectKind::kView, "", "v", "access.collation_connection"), "utf8mb3_unicode_ci");
  EXPECT_EQ(Attr(m, ObjectKind::kView, "", "v", "mysql.security"), "INVOKER");
  EXPECT_EQ(Attr(m, ObjectKind::kEvent, "", "ev", "access.definer"), who);
  EXPECT_EQ(Attr(m, ObjectKind::kEvent, "", "ev", "access.sql_mode"), "PIPES_AS_CONCAT,NO_ZERO_DATE");
  EXPECT_EQ(Attr(m, ObjectKind::kEvent, "", "ev", "access.character_set_client"), "utf8mb4");
  EXPECT_EQ(Attr(m, ObjectKind::kEvent, "", "ev", "access.collation_connection"), "utf8mb4_bin");
  EXPECT_EQ(Attr(m, ObjectKind::kFunction, "", "f", "access.definer"), who);
  EXPECT_EQ(Attr(m, ObjectKind::kFunction, "", "f", "access.sql_mode"), "<absent>")
      << "an empty sql_mode is absent: attribute values are never empty";
  EXPECT_EQ(Attr(m, ObjectKind::kFunction, "", "f", "access.character_set_client"), "utf8mb4");
  EXPECT_EQ(Attr(m, ObjectKind::kFunction, "", "f", "access.collation_connection"), "utf8mb4_bin");
  EXPECT_EQ(Attr(m, ObjectKind::kFunction, "", "plain", "access.definer"),
            Scalar(*conn, "SELECT CURRENT_USER()"));
  EXPECT_EQ(Attr(m, ObjectKind::kFunction, "", "plain", "access.sql_mode"),
            Scalar(*conn, "SELECT @@SESSION.sql_mode"));
  EXPECT_EQ(Attr(m, ObjectKind::kFunction, "", "plain", "access.character_set_client"),
            Scalar(*conn, "SELECT @@SESSION.character_set_client"));
  EXPECT_EQ(Attr(m, ObjectKind::kFunction, "", "plain", "access.collation_connection"),
            Scalar(*conn, "SELECT @@SESSION.collation_connection"));
  EXPECT_EQ(Attr(m, ObjectKind::kTable, "", "t", "access.privileges"), "<absent>") << "no grants";
  for (const auto& obj : m.objects) {
    for (const auto& [k, v] : obj.attributes) {
      if (IsAccessAttribute(k)) {
        EXPECT_FALSE(v.empty()) << obj.Path() << " " << k;
      }
    }
  }
}

// access.privileges: the sorted GRANTEE:PRIVILEGE grants of a table, a view
// and a column whose names need quoting, for a grantee whose name does too;
// only where there is a grant; following REVOKE; and only the grants the
// reading user may see.
TEST(MysqlSchema, AccessPrivilegesOfTablesViewsAndColumns) {
  ScratchDatabase db("mysql");
  auto conn = db.Connect();
  ASSERT_TRUE(conn);
  auto q = [&](const std::string& name) { return conn->QuoteIdentifier(name); };
  const std::string table = "Gr 't' `x` \"y\"";
  const std::string col = "C'ol `1`";
  const std::string password = "Pw-'1`";
  TestUser u(testing::UniqueName("cut'g`u_"), "%", password);
  TestUser u2(testing::UniqueName("cutover_g2_"), "localhost");
  ASSERT_TRUE(u.created() && u2.created());
  const std::string on = " ON " + q(db.name()) + "." + q(table);
  const std::vector<std::string> script = {
      "CREATE TABLE " + q(table) + " (id int PRIMARY KEY, " + q(col) + " int, d int)",
      "CREATE TABLE plain (id int PRIMARY KEY)",
      "CREATE VIEW " + q("V 'w'") + " AS SELECT id FROM " + q(table),
      "GRANT SELECT, INSERT" + on + " TO " + u.account(),
      "GRANT UPDATE (" + q(col) + ")" + on + " TO " + u.account(),
      "GRANT SELECT" + on + " TO " + u2.account() + " WITH GRANT OPTION",
      // No WITH GRANT OPTION here, but u2 holds it on the table, so
      // information_schema shows this column grant as grantable.
      "GRANT UPDATE (d)" + on + " TO " + u2.account(),
      "GRANT SELECT, SHOW VIEW ON " + q(db.name()) + "." + q("V 'w'") + " TO " + u.account(),
  };
  for (const std::string& s : script) {
    auto r = conn->Execute(s);
    ASSERT_TRUE(r.ok()) << s << ": " << r.status().ToString();
  }
  const std::string g = u.grantee();
  const std::string g2 = u2.grantee();
  {
    SchemaModel m = ReadModel(*conn);
    SCOPED_TRACE(Dump(m));
    EXPECT_EQ(Attr(m, ObjectKind::kTable, "", table, "access.privileges"),
              ListValue({g + ":INSERT", g + ":SELECT", g2 + ":SELECT WITH GRANT OPTION"}));
    EXPECT_EQ(Attr(m, ObjectKind::kColumn, table, ToLower(col), "access.privileges"),
              ListValue({g + ":UPDATE"}));
    EXPECT_EQ(Attr(m, ObjectKind::kColumn, table, "d", "access.privileges"),
              ListValue({g2 + ":UPDATE WITH GRANT OPTION"}));
    EXPECT_EQ(Attr(m, ObjectKind::kColumn, table, "id", "access.privileges"), "<absent>");
    EXPECT_EQ(Attr(m, ObjectKind::kView, "", "V 'w'", "access.privileges"),
              ListValue({g + ":SELECT", g + ":SHOW VIEW"}));
    EXPECT_EQ(Attr(m, ObjectKind::kTable, "", "plain", "access.privileges"), "<absent>");
    EXPECT_EQ(Attr(m, ObjectKind::kColumn, "plain", "id", "access.privileges"), "<absent>");
  }
  for (const std::string& s : {"REVOKE INSERT" + on + " FROM " + u.account(),
                               "REVOKE UPDATE (" + q(col) + ")" + on + " FROM " + u.account()}) {
    auto r = conn->Execute(s);
    ASSERT_TRUE(r.ok()) << s << ": " << r.status().ToString();
  }
  SchemaModel after = ReadModel(*conn);
  EXPECT_EQ(Attr(after, ObjectKind::kTable, "", table, "access.privileges"),
            ListValue({g + ":SELECT", g2 + ":SELECT WITH GRANT OPTION"}))
      << Dump(after);
  EXPECT_EQ(Attr(after, ObjectKind::kColumn, table, ToLower(col), "access.privileges"), "<absent>");

  // Read as u: information_schema shows u its own grants only.
  ConnectionUri server = ServerUri("mysql");
  ASSERT_TRUE(server.port());
  auto as_u = Mysql()->Connect(Parse(ServerText(u.name(), password, *server.port(), db.name())));
  ASSERT_TRUE(as_u.ok()) << as_u.status().ToString();
  SchemaModel seen_by_u = ReadModel(**as_u);
  EXPECT_EQ(Attr(seen_by_u, ObjectKind::kTable, "", table, "access.privileges"), ListValue({g + ":SELECT"}))
      << Dump(seen_by_u);
  EXPECT_EQ(Attr(seen_by_u, ObjectKind::kColumn, table, "d", "access.privileges"), "<absent>");
  EXPECT_EQ(Attr(seen_by_u, ObjectKind::kView, "", "V 'w'", "access.privileges"),
            ListValue({g + ":SELECT", g + ":SHOW VIEW"}));
}

}  // namespace
}  // namespace cutover

// ===========================================================================
// Snapshots: record format and SHOW CREATE surgery (no server)
// ===========================================================================

namespace cutover {
namespace {

std::string Record(const std::vector<std::optional<std::string>>& values) {
  std::string out;
  for (size_t i = 0; i < values.size(); ++i) {
    if (i > 0) out += '\t';
    if (values[i]) {
      mysql::AppendLoadDataField(out, *values[i]);
    } else {
      out += "\\N";
    }
  }
  return out + "\n";
}

TEST(MysqlDump, LoadDataFieldsEscapeAndParseBack) {
  const std::string nasty("a\\b\tc\nd\re\0f\xff \\N", 16);
  std::vector<std::optional<std::string>> values = {
      nasty, std::string(), std::nullopt, std::string("\\N"), std::string("\\"), std::string("plain")};
  std::string rec = Record(values);
  EXPECT_EQ(std::count(rec.begin(), rec.end(), '\n'), 1) << "one line";
  EXPECT_EQ(std::count(rec.begin(), rec.end(), '\t'), 5) << "raw tabs only between fields";
  EXPECT_EQ(rec.find('\0'), std::string::npos);
  EXPECT_NE(rec.find("\\0"), std::string::npos);
  auto parsed = mysql::ParseLoadDataRecord(rec, values.size());
  ASSERT_TRUE(parsed.ok()) << parsed.status().ToString();
  EXPECT_EQ(*parsed, values) << "'' and NULL and the text \\N stay apart";
}

TEST(MysqlDump, MalformedRecordsAreRejected) {
  EXPECT_EQ(mysql::CheckLoadDataRecord("1\t2", 2).code(), StatusCode::kInvalidInput) << "no newline";
  EXPECT_EQ(mysql::CheckLoadDataRecord("1\n2\n", 1).code(), StatusCode::kInvalidInput) << "two lines";
  auto fields = mysql::CheckLoadDataRecord("1\t2\t3\n", 2);
  EXPECT_EQ(fields.code(), StatusCode::kInvalidInput);
  EXPECT_NE(fields.message().find("3 fields"), std::string::npos) << fields.message();
  EXPECT_TRUE(mysql::CheckLoadDataRecord("\\N\t\n", 2).ok());
  EXPECT_FALSE(mysql::ParseLoadDataRecord("a\\\n", 1).ok()) << "lone backslash at the end";
}

// The array-insert path unescapes records into one arena per batch.
TEST(MysqlDump, UnescapeIntoAnArenaKeepsEarlierRecordsAndFailsCleanly) {
  std::string arena = "earlier";
  std::vector<mysql::LoadDataField> fields(1);
  ASSERT_TRUE(mysql::UnescapeLoadDataRecord("a\\tb\\\\c\\0\t\\N\t\t\\\\N\tx\\Zy\n", 5, arena, fields).ok());
  ASSERT_EQ(fields.size(), 6u) << "appended after the one already there";
  auto value = [&](size_t i) { return arena.substr(fields[i].offset, fields[i].length); };
  EXPECT_EQ(value(1), std::string("a\tb\\c\0", 6));
  EXPECT_TRUE(fields[2].null) << "\\N alone is NULL";
  EXPECT_FALSE(fields[3].null);
  EXPECT_EQ(fields[3].length, 0u) << "an empty field is the empty string, not NULL";
  EXPECT_FALSE(fields[4].null);
  EXPECT_EQ(value(4), "\\N") << "an escaped backslash before N is text";
  EXPECT_EQ(value(5), "x\x1ay");
  EXPECT_EQ(arena.substr(0, 7), "earlier");

  const std::string before = arena;
  for (const char* bad : {"1\t2\t3\n", "1\n", "1\t2", "1\n\t2\n", "ab\\\t2\n"}) {
    SCOPED_TRACE(bad);
    Status st = mysql::UnescapeLoadDataRecord(bad, 2, arena, fields);
    EXPECT_EQ(st.code(), StatusCode::kInvalidInput);
    EXPECT_EQ(arena, before) << "nothing appended on failure";
    EXPECT_EQ(fields.size(), 6u);
  }
  EXPECT_NE(mysql::UnescapeLoadDataRecord("1\t2\t3\n", 2, arena, fields).message().find("3 fields"),
            std::string::npos);
  EXPECT_NE(mysql::UnescapeLoadDataRecord("ab\\\t2\n", 2, arena, fields).message().find("lone backslash"),
            std::string::npos);
}

TEST(MysqlDump, SplitCreateTableMovesOnlyForeignKeys) {
  const std::string create =
      "CREATE TABLE `ch, (x)` (\n"
      "  `id` int(11) NOT NULL COMMENT 'a, b) CONSTRAINT c FOREIGN KEY',\n"
      "  `p``1` int(11) DEFAULT NULL,\n"
      "  `e` enum('x,y','(') DEFAULT NULL,\n"
      "  PRIMARY KEY (`id`),\n"
      "  KEY `fk `` , (1)` (`p``1`),\n"
      "  CONSTRAINT `fk `` , (1)` FOREIGN KEY (`p``1`) REFERENCES `par, (p)` (`id`) ON DELETE CASCADE,\n"
      "  CONSTRAINT `ck` CHECK (`id` > 0 and `e` <> ','),\n"
      "  CONSTRAINT `foreign` FOREIGN KEY (`id`) REFERENCES `other` (`id`)\n"
      ") ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COMMENT='t (1), x'";
  auto parts = mysql::SplitCreateTable(create);
  ASSERT_TRUE(parts.ok()) << parts.status().ToString();
  EXPECT_EQ(
      parts->foreign_keys,
      (std::vector<std::string>{
          "CONSTRAINT `fk `` , (1)` FOREIGN KEY (`p``1`) REFERENCES `par, (p)` (`id`) ON DELETE CASCADE",
          "CONSTRAINT `foreign` FOREIGN KEY (`id`) REFERENCES `other` (`id`)"}));
  EXPECT_EQ(parts->create_table,
            "CREATE TABLE `ch, (x)` (\n"
            "  `id` int(11) NOT NULL COMMENT 'a, b) CONSTRAINT c FOREIGN KEY',\n"
            "  `p``1` int(11) DEFAULT NULL,\n"
            "  `e` enum('x,y','(') DEFAULT NULL,\n"
            "  PRIMARY KEY (`id`),\n"
            "  KEY `fk `` , (1)` (`p``1`),\n"
            "  CONSTRAINT `ck` CHECK (`id` > 0 and `e` <> ',')\n"
            ") ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COMMENT='t (1), x'");
  auto plain = mysql::SplitCreateTable("CREATE TABLE `t` (\n  `a` int\n) ENGINE=InnoDB");
  ASSERT_TRUE(plain.ok());
  EXPECT_TRUE(plain->foreign_keys.empty());
  EXPECT_EQ(plain->create_table, "CREATE TABLE `t` (\n  `a` int\n) ENGINE=InnoDB");
  EXPECT_FALSE(mysql::SplitCreateTable("CREATE TABLE `t` (\n  `a` int").ok());
}

TEST(MysqlDump, SplitCreateTableDefersSecondaryKeysOnlyWhenSafe) {
  const std::string create =
      "CREATE TABLE `big, (x)` (\n"
      "  `id` bigint(20) unsigned NOT NULL AUTO_INCREMENT,\n"
      "  `p` int(11) DEFAULT NULL,\n"
      "  `body` text DEFAULT NULL COMMENT 'KEY `fake` (`p`), ',\n"
      "  PRIMARY KEY (`id`),\n"
      "  UNIQUE KEY `u ``1`` ,` (`p`,`id`),\n"
      "  KEY `by p` (`p`) COMMENT 'x, (y)',\n"
      "  FULLTEXT KEY `ft` (`body`),\n"
      "  CONSTRAINT `fk` FOREIGN KEY (`p`) REFERENCES `par` (`id`)\n"
      ") ENGINE=InnoDB DEFAULT CHARSET=utf8mb4";
  auto parts = mysql::SplitCreateTable(create, true);
  ASSERT_TRUE(parts.ok()) << parts.status().ToString();
  EXPECT_EQ(parts->secondary_keys, (std::vector<std::string>{"UNIQUE KEY `u ``1`` ,` (`p`,`id`)",
                                                             "KEY `by p` (`p`) COMMENT 'x, (y)'"}));
  EXPECT_EQ(parts->foreign_keys,
            (std::vector<std::string>{"CONSTRAINT `fk` FOREIGN KEY (`p`) REFERENCES `par` (`id`)"}));
  EXPECT_EQ(parts->create_table,
            "CREATE TABLE `big, (x)` (\n"
            "  `id` bigint(20) unsigned NOT NULL AUTO_INCREMENT,\n"
            "  `p` int(11) DEFAULT NULL,\n"
            "  `body` text DEFAULT NULL COMMENT 'KEY `fake` (`p`), ',\n"
            "  PRIMARY KEY (`id`),\n"
            "  FULLTEXT KEY `ft` (`body`)\n"
            ") ENGINE=InnoDB DEFAULT CHARSET=utf8mb4");
  // Without the option, or without a primary key, or with an AUTO_INCREMENT
  // column only a secondary key covers, every key stays in CREATE TABLE.
  auto kept = mysql::SplitCreateTable(create, false);
  ASSERT_TRUE(kept.ok());
  EXPECT_TRUE(kept->secondary_keys.empty());
  const std::string no_pk =
      "CREATE TABLE `t` (\n  `a` int NOT NULL,\n  UNIQUE KEY `a` (`a`)\n) ENGINE=InnoDB";
  auto unique_only = mysql::SplitCreateTable(no_pk, true);
  ASSERT_TRUE(unique_only.ok());
  EXPECT_TRUE(unique_only->secondary_keys.empty());
  EXPECT_EQ(unique_only->create_table, no_pk);
  const std::string auto_in_key =
      "CREATE TABLE `t` (\n  `a` int NOT NULL,\n  `n` int NOT NULL AUTO_INCREMENT,\n  PRIMARY KEY (`a`),\n"
      "  KEY `n` (`n`)\n) ENGINE=InnoDB";
  auto with_auto = mysql::SplitCreateTable(auto_in_key, true);
  ASSERT_TRUE(with_auto.ok());
  EXPECT_TRUE(with_auto->secondary_keys.empty());
  EXPECT_EQ(with_auto->create_table, auto_in_key);
}

TEST(MysqlDump, ReplaceDefinerOnlyInTheHead) {
  using mysql::ReplaceDefiner;
  const std::string me = "CURRENT_USER";
  EXPECT_EQ(
      ReplaceDefiner("CREATE ALGORITHM=UNDEFINED DEFINER=`ro``ot`@`local host` SQL SECURITY DEFINER VIEW `v` "
                     "AS select 'DEFINER=`x`@`y`' AS `a`",
                     "'app'@'%'"),
      "CREATE ALGORITHM=UNDEFINED DEFINER='app'@'%' SQL SECURITY DEFINER VIEW `v` AS select "
      "'DEFINER=`x`@`y`' AS `a`");
  EXPECT_EQ(
      ReplaceDefiner("CREATE DEFINER=`u`@`%` TRIGGER `t` BEFORE INSERT ON `x` FOR EACH ROW SET @d = 1", me),
      "CREATE DEFINER=CURRENT_USER TRIGGER `t` BEFORE INSERT ON `x` FOR EACH ROW SET @d = 1");
  EXPECT_EQ(ReplaceDefiner("CREATE DEFINER=CURRENT_USER() PROCEDURE `p`() SELECT 1", "'a'@'b'"),
            "CREATE DEFINER='a'@'b' PROCEDURE `p`() SELECT 1");
  EXPECT_EQ(ReplaceDefiner("CREATE DEFINER=`role1` FUNCTION `f`() RETURNS int RETURN 1", me),
            "CREATE DEFINER=CURRENT_USER FUNCTION `f`() RETURNS int RETURN 1");
  EXPECT_EQ(ReplaceDefiner("CREATE DEFINER='u'@'h' EVENT `e` ON SCHEDULE EVERY 1 DAY DO SELECT 1", me),
            "CREATE DEFINER=CURRENT_USER EVENT `e` ON SCHEDULE EVERY 1 DAY DO SELECT 1");
  EXPECT_EQ(ReplaceDefiner("CREATE PROCEDURE `definer`() SELECT 'DEFINER=x'", me),
            "CREATE PROCEDURE `definer`() SELECT 'DEFINER=x'")
      << "no clause in the head: unchanged, whatever the body says";
}

TEST(MysqlDump, LoadPipeIsPrivateStreamsAndLeavesNothingBehind) {
  auto pipe = mysql::LoadPipe::Create();
  ASSERT_TRUE(pipe.ok()) << pipe.status().ToString();
  const std::string path = (*pipe)->path();
  const fs::path dir = fs::path(path).parent_path();
  EXPECT_EQ(fs::status(dir).permissions(), fs::perms::owner_all) << "a private 0700 directory";
  EXPECT_EQ(fs::status(path).type(), fs::file_type::fifo);
  // The client library's side: opens the name, reads what was written.
  int reader = ::open(path.c_str(), O_RDONLY | O_NONBLOCK);
  ASSERT_GE(reader, 0);
  (*pipe)->RemoveName();
  EXPECT_FALSE(fs::exists(dir)) << "nothing left once the reader has the pipe";
  std::atomic<bool> done{false};
  ASSERT_TRUE((*pipe)->Write("1\ta\n", done).ok());
  char buf[16];
  ssize_t n = ::read(reader, buf, sizeof buf);
  ASSERT_EQ(n, 4);
  EXPECT_EQ(std::string(buf, 4), "1\ta\n");
  EXPECT_TRUE((*pipe)->WaitDrained(done));
  (*pipe)->CloseWriteEnd();
  EXPECT_EQ(::read(reader, buf, sizeof buf), 0) << "end of file after the write end closes";
  ::close(reader);
  done = true;
  EXPECT_EQ((*pipe)->Write("more", done).code(), StatusCode::kIo) << "a finished statement stops the writer";
}

// A process killed before the server opened its pipe leaves its directory;
// the next pipe removes it, and never one of a live process or a name that
// is not cutover's.
TEST(MysqlDump, LoadPipeRemovesDirectoriesOfDeadProcesses) {
  const fs::path tmp = fs::temp_directory_path() / ("cutover-pipe-sweep-" + std::to_string(::getpid()));
  fs::remove_all(tmp);
  fs::create_directories(tmp);
  pid_t dead = ::fork();
  if (dead == 0) ::_exit(0);
  ASSERT_GT(dead, 0);
  ASSERT_EQ(::waitpid(dead, nullptr, 0), dead);
  const fs::path stale = tmp / ("cutover-load-" + std::to_string(dead) + "-abc123");
  const fs::path live = tmp / ("cutover-load-" + std::to_string(::getpid()) + "-def456");
  const fs::path other = tmp / "cutover-load-notapid";
  for (const fs::path& d : {stale, live, other}) fs::create_directories(d);
  ASSERT_EQ(::mkfifo((stale / "rows").c_str(), 0600), 0);
  const char* saved = std::getenv("TMPDIR");
  const std::string saved_value = saved != nullptr ? saved : "";
  ::setenv("TMPDIR", tmp.c_str(), 1);
  {
    auto pipe = mysql::LoadPipe::Create();
    ASSERT_TRUE(pipe.ok()) << pipe.status().ToString();
    EXPECT_NE((*pipe)->path().find("/cutover-load-" + std::to_string(::getpid()) + "-"), std::string::npos)
        << (*pipe)->path();
  }
  if (saved != nullptr) {
    ::setenv("TMPDIR", saved_value.c_str(), 1);
  } else {
    ::unsetenv("TMPDIR");
  }
  EXPECT_FALSE(fs::exists(stale)) << "the dead process's directory and pipe are gone";
  EXPECT_TRUE(fs::exists(live)) << "a live process's directory stays";
  EXPECT_TRUE(fs::exists(other));
  size_t left = 0;
  for (const auto& e : fs::directory_iterator(tmp))
    left += e.path().filename().string().rfind("cutover-load-", 0) == 0;
  EXPECT_EQ(left, 2u) << "the new pipe's own directory is removed with it";
  fs::remove_all(tmp);
}

TEST(MysqlDump, DelimiterViewOrderAndQualifiers) {
  EXPECT_EQ(mysql::ChooseDelimiter("BEGIN SELECT 1; END"), ";;");
  EXPECT_EQ(mysql::ChooseDelimiter("BEGIN SELECT ';;'; END"), "$$");
  EXPECT_EQ(mysql::ChooseDelimiter(";; $$ // $$$ %% ~~"), "$cutover1$");
  // a_dep uses m_mid, which uses z_base: created base first whatever the names.
  std::vector<std::string> names = {"a_dep", "z_base", "m_mid", "solo"};
  std::vector<std::string> defs = {
      "CREATE VIEW `a_dep` AS select * from `m_mid`", "CREATE VIEW `z_base` AS select 1 AS `x`",
      "CREATE VIEW `m_mid` AS select `x` from `z_base`", "CREATE VIEW `solo` AS select 2"};
  std::vector<size_t> order = mysql::OrderViews(names, defs);
  std::vector<std::string> ordered;
  for (size_t i : order) ordered.push_back(names[i]);
  EXPECT_EQ(ordered, (std::vector<std::string>{"solo", "z_base", "m_mid", "a_dep"}));
  // A cycle (names only in literals) still yields every view once.
  EXPECT_EQ(mysql::OrderViews({"a", "b"}, {"select '`b`'", "select '`a`'"}).size(), 2u);
  EXPECT_EQ(
      mysql::DropTableOption("CREATE TABLE `PAGE_CHECKSUM=1` (\n  `a` int COMMENT ' PAGE_CHECKSUM=1'\n) "
                             "ENGINE=Aria PAGE_CHECKSUM=1 COMMENT=' PAGE_CHECKSUM=1'",
                             "PAGE_CHECKSUM=1"),
      "CREATE TABLE `PAGE_CHECKSUM=1` (\n  `a` int COMMENT ' PAGE_CHECKSUM=1'\n) ENGINE=Aria COMMENT=' "
      "PAGE_CHECKSUM=1'");
  EXPECT_EQ(mysql::RemoveDatabaseQualifier(
                "`id` int DEFAULT nextval(`src db`.`s`) COMMENT '`src db`.x', `src db2`.`t`", "src db"),
            "`id` int DEFAULT nextval(`s`) COMMENT '`src db`.x', `src db2`.`t`");
}

}  // namespace
}  // namespace cutover

// ===========================================================================
// Snapshots against the MariaDB test server
// ===========================================================================

namespace cutover {
namespace {

// What a snapshot carries, taken the way the core takes it.
using Snap = testing::DriverSnapshot;

Snap TakeSnapshot(Connection& conn, const SnapshotOptions& options = {}) {
  return TakeDriverSnapshot(conn, options);
}

void RestoreInto(const Snap& s, Connection& into) {
  auto empty = into.IsEmptyDatabase();
  ASSERT_TRUE(empty.ok()) << empty.status().ToString();
  ASSERT_TRUE(*empty);
  Status pre = into.ExecuteScript(s.script.pre_data);
  ASSERT_TRUE(pre.ok()) << pre.ToString() << "\n" << s.script.pre_data;
  for (const DataTable& t : s.tables) {
    const auto& records = s.records.at(t.name);
    auto n = ImportRecords(into, t, records, 7);
    ASSERT_TRUE(n.ok()) << t.name << ": " << n.status().ToString();
    EXPECT_EQ(*n, static_cast<std::int64_t>(records.size())) << t.name;
  }
  Status post = into.ExecuteScript(s.script.post_data);
  ASSERT_TRUE(post.ok()) << post.ToString() << "\n" << s.script.post_data;
}

// The restored database has the snapshot's schema and, table by table, the
// same records.
void ExpectSameAsSnapshot(const Snap& s, Connection& restored) {
  SchemaModel model = ReadModel(restored);
  EXPECT_EQ(Fingerprint(model), Fingerprint(s.model))
      << "drift: " << ::testing::PrintToString(DriftLines(s.model, model));
  auto tables = restored.ListDataTables();
  ASSERT_TRUE(tables.ok()) << tables.status().ToString();
  ASSERT_EQ(tables->size(), s.tables.size());
  for (size_t i = 0; i < s.tables.size(); ++i) {
    EXPECT_EQ((*tables)[i].name, s.tables[i].name);
    EXPECT_EQ((*tables)[i].columns, s.tables[i].columns);
    EXPECT_EQ((*tables)[i].split_column, s.tables[i].split_column);
    EXPECT_EQ(Bag(ExportRecords(restored, s.tables[i])), Bag(s.records.at(s.tables[i].name)))
        << s.tables[i].name;
  }
}

const DataTable* FindTable(const Snap& s, const std::string& name) {
  for (const DataTable& t : s.tables) {
    if (t.name == name) return &t;
  }
  ADD_FAILURE() << "no table " << name;
  return nullptr;
}

std::string Password() {
  return ServerUri("mysql").password().value_or("<no password>");
}

ConnectionUri WithParam(const ConnectionUri& uri, const std::string& param) {
  auto parsed = ConnectionUri::Parse(uri.Text() + (uri.params().empty() ? "?" : "&") + param);
  EXPECT_TRUE(parsed.ok()) << parsed.status().ToString();
  return parsed.ok() ? *parsed : uri;
}

// The three ways ImportRows loads on MariaDB, as URI parameters: array-bound
// INSERT (the default), LOAD DATA, and multi-row INSERT.
constexpr const char* kLoadPaths[] = {"", "array_insert=0", "array_insert=0&local_infile=0"};

std::string LoadPathName(const char* param) {
  return *param != '\0' ? param : "array-bound INSERT";
}

// `s` restored into `dst` through the load path `param` (one of kLoadPaths);
// nullptr, with the failure recorded, when it could not be.
std::unique_ptr<Connection> RestoredOnPath(const Snap& s, const ScratchDatabase& dst, const char* param) {
  auto into = Mysql()->Connect(*param ? WithParam(dst.uri(), param) : dst.uri());
  if (!into.ok()) {
    ADD_FAILURE() << into.status().ToString();
    return nullptr;
  }
  RestoreInto(s, **into);
  if (::testing::Test::HasFailure()) return nullptr;
  return std::move(*into);
}

// A connection to `db` with the URI parameter `param` ("" for none), and the
// database's only data table. Failures are recorded; `conn` is then null.
struct Loading {
  std::unique_ptr<Connection> conn;
  DataTable table;
};
Loading ConnectForLoading(const ScratchDatabase& db, const char* param = "") {
  Loading l;
  auto conn = Mysql()->Connect(*param != '\0' ? WithParam(db.uri(), param) : db.uri());
  if (!conn.ok()) {
    ADD_FAILURE() << conn.status().ToString();
    return l;
  }
  auto tables = (*conn)->ListDataTables();
  if (!tables.ok() || tables->size() != 1) {
    ADD_FAILURE() << "expected exactly one data table in " << db.name();
    return l;
  }
  l.table = (*tables)[0];
  l.conn = std::move(*conn);
  return l;
}

constexpr const char* kEveryType = R"sql(
CREATE TABLE types (
  id int NOT NULL AUTO_INCREMENT PRIMARY KEY,
  ti tinyint, tiu tinyint unsigned, si smallint, siu smallint unsigned, mi mediumint, miu mediumint unsigned,
  i int, iu int unsigned, bi bigint, biu bigint unsigned,
  dec65 decimal(65,30), f float, d double, f2 float(10,3), dd double(20,5),
  b1 bit(1), b10 bit(10), b64 bit(64),
  bn binary(4), vb varbinary(100), bl blob, lb longblob,
  c char(10), vc varchar(100), tx text, lt longtext, latin varchar(20) CHARACTER SET latin1,
  u16 varchar(10) CHARACTER SET utf16,
  e enum('a','b','it''s','ü'), st set('x','y','z'),
  dt date, tm time(6), dtm datetime(6), ts timestamp(6) NULL DEFAULT NULL, yr year,
  j json,
  g bigint AS (i + 1) VIRTUAL, gs varchar(210) AS (concat(vc, '!')) STORED
) ENGINE=InnoDB;
INSERT INTO types (ti,tiu,si,siu,mi,miu,i,iu,bi,biu,dec65,f,d,f2,dd,b1,b10,b64,bn,vb,bl,lb,c,vc,tx,lt,latin,u16,e,st,
                   dt,tm,dtm,ts,yr,j) VALUES
(-128,0,-32768,0,-8388608,0,-2147483648,0,-9223372036854775808,0,
 -99999999999999999999999999999999999.999999999999999999999999999999, -3.40282e38, -1.7976931348623157e308,
 -99999.999, -9999999999.99999,
 0, b'0', 0, X'00000000', X'', X'', X'', '', '', '', '', '', '', 'a', '',
 '1000-01-01', '-838:59:59.000000', '1000-01-01 00:00:00.000000', '1970-01-01 00:00:01.000000', 1901, '[]'),
(127,255,32767,65535,8388607,16777215,2147483647,4294967295,9223372036854775807,18446744073709551615,
 99999999999999999999999999999999999.999999999999999999999999999999, 3.40282e38, 1.7976931348623157e308, 0.1, 0.1,
 1, b'1000000001', 18446744073709551615, X'FF5C0900', X'00090A0D5C1AFF27225C4E', X'5C4E', REPEAT(X'00FF0A095C', 10000),
 'a', 'a  ', 'tab\there\nnewline\\back\rcr', REPEAT('😀ü', 5000), 'café', 'héllo😀', 'it''s', 'x,z',
 '9999-12-31', '838:59:59.000000', '9999-12-31 23:59:59.999999', '2038-01-19 03:14:07.999999', 2155,
 '{"a": [1, 2.5, "x\\ty"], "b": null, "c": "😀"}'),
(0,1,0,1,0,1,0,1,0,1, 0.000000000000000000000000000001, -0e0, 1e-300, 0, -0e0,
 NULL, 0, 1, X'5C', '\\N', '\\', 'N', ' x ', '\\N', 'NULL', ' ', 'x ', 'y', 'ü', '',
 '0000-00-00', '-00:00:00.500000', '0000-00-00 00:00:00.000000', '0000-00-00 00:00:00', 0, '"str"'),
(1,2,3,4,5,6,7,8,9,10, -0.5, 1.17549435e-38, 4.9e-324, 1.5, 2.5,
 1, b'1111111111', 9223372036854775808, X'01', X'0A', X'0D0A', X'1A', 'x', 'y', 'z', 'w', 'v', 'u', 'b', 'x,y,z',
 '2020-00-15', '100:00:00.000001', '2020-02-29 12:34:56.000001', '2020-03-29 01:30:00.5', 2000, '{}');
INSERT INTO types (f, d) VALUES (0.1e0, 0.1e0 + 0.2e0), (16777217, 1e0 / 3e0), (1e-40, 123456789012345678);
INSERT INTO types () VALUES ();
INSERT INTO types (id) VALUES (41);
DELETE FROM types WHERE id = 41;
)sql";

TEST(MysqlSnapshot, EveryTypeRoundTripsByteForByte) {
  ScratchDatabase src("mysql");
  auto conn = src.Connect();
  ASSERT_TRUE(conn);
  src.Exec(kEveryType);
  ASSERT_FALSE(::testing::Test::HasFailure());
  Snap s = TakeSnapshot(*conn);
  ASSERT_FALSE(::testing::Test::HasFailure());
  EXPECT_EQ(s.point.position.at("binlog"), "off") << "the test server runs with --skip-log-bin";
  const DataTable* t = FindTable(s, "types");
  ASSERT_NE(t, nullptr);
  EXPECT_EQ(t->split_column, "id");
  EXPECT_EQ(std::count(t->columns.begin(), t->columns.end(), "g"), 0) << "generated columns are not dumped";
  EXPECT_EQ(std::count(t->columns.begin(), t->columns.end(), "gs"), 0);
  ASSERT_EQ(t->columns.size(), 37u);
  const auto& records = s.records.at("types");
  ASSERT_EQ(records.size(), 8u);
  std::string all;
  for (const auto& r : records) all += r;
  // Exact forms: FLOAT widened to its exact double, BIT as numbers, \0 escaped.
  EXPECT_NE(all.find("\t0.10000000149011612\t0.30000000000000004\t"), std::string::npos)
      << all.substr(0, 2000);
  EXPECT_NE(all.find("\t16777216\t"), std::string::npos)
      << "FLOAT 16777217 is the float 16777216, not 16777200";
  EXPECT_NE(all.find("\t513\t18446744073709551615\t"), std::string::npos) << "BIT(10) and BIT(64) as numbers";
  EXPECT_NE(all.find("\\0\\t\\n\\r\\\\\x1a\xff'\"\\\\N\t"), std::string::npos) << "VARBINARY escaped";
  EXPECT_NE(all.find("\tcaf\xe9\t"), std::string::npos) << "latin1 bytes, unconverted";
  EXPECT_NE(
      all.find("\t0000-00-00\t-00:00:00.500000\t0000-00-00 00:00:00.000000\t0000-00-00 00:00:00.000000\t"),
      std::string::npos);

  for (const char* param : kLoadPaths) {
    SCOPED_TRACE("restore with " + LoadPathName(param));
    ScratchDatabase dst("mysql");
    auto into = RestoredOnPath(s, dst, param);
    ASSERT_NE(into, nullptr);
    ExpectSameAsSnapshot(s, *into);
    EXPECT_EQ(Scalar(*into, "SELECT gs FROM types WHERE vc = 'a  '"), "a  !")
        << "generated values recomputed";
    // AUTO_INCREMENT position: id 41 was used and deleted on the source.
    ASSERT_TRUE(into->Execute("INSERT INTO types (i) VALUES (1)").ok());
    EXPECT_EQ(Scalar(*into, "SELECT LAST_INSERT_ID()"), "42");
    std::string checks;
    auto problems = into->CheckIntegrity(&checks);
    ASSERT_TRUE(problems.ok()) << problems.status().ToString();
    EXPECT_TRUE(problems->empty()) << Join(*problems, "\n");
    EXPECT_TRUE(StartsWith(checks, "CHECK TABLE on 1 tables")) << checks;
  }
  ASSERT_TRUE(conn->Execute("INSERT INTO types (i) VALUES (1)").ok());
  EXPECT_EQ(Scalar(*conn, "SELECT LAST_INSERT_ID()"), "42") << "the source agrees";
}

// Issue 14 (found by the schema corpus): MariaDB's uuid, inet6 and inet4
// columns refused the binary literals one load path sent ("Incorrect uuid
// value"), so such a snapshot could not be restored.
TEST(MysqlSnapshot, UuidAndInetColumnsRestoreOnEveryLoadPath) {
  ScratchDatabase src("mysql");
  auto conn = src.Connect();
  ASSERT_TRUE(conn);
  src.Exec(
      "CREATE TABLE places (id uuid PRIMARY KEY, addr inet6, v4 inet4, name varchar(20));\n"
      "CREATE TABLE reviews (id int PRIMARY KEY, place_id uuid NOT NULL, client_ip inet6 NULL, KEY "
      "(place_id), "
      "FOREIGN KEY (place_id) REFERENCES places (id));\n"
      "INSERT INTO places VALUES ('123e4567-e89b-12d3-a456-426614174000', '2001:db8::1', '10.0.0.1', 'a'), "
      "('00000000-0000-0000-0000-000000000001', '::ffff:192.0.2.128', NULL, 'b'), "
      "('ffffffff-ffff-ffff-ffff-ffffffffffff', NULL, '255.255.255.255', NULL);\n"
      "INSERT INTO reviews VALUES (1, '123e4567-e89b-12d3-a456-426614174000', '2001:db8::2'), "
      "(2, 'ffffffff-ffff-ffff-ffff-ffffffffffff', NULL);\n");
  ASSERT_FALSE(::testing::Test::HasFailure());
  Snap s = TakeSnapshot(*conn);
  ASSERT_FALSE(::testing::Test::HasFailure());
  const std::string all =
      "SELECT GROUP_CONCAT(CONCAT_WS('/', id, IFNULL(addr, '-'), IFNULL(v4, '-')) ORDER BY id) "
      "FROM places";
  for (const char* param : kLoadPaths) {
    SCOPED_TRACE("restore with " + LoadPathName(param));
    ScratchDatabase dst("mysql");
    auto into = RestoredOnPath(s, dst, param);
    ASSERT_NE(into, nullptr);
    ExpectSameAsSnapshot(s, *into);
    EXPECT_EQ(Scalar(*into, all), Scalar(*conn, all));
    EXPECT_EQ(Scalar(*into, "SELECT client_ip FROM reviews WHERE id = 1"), "2001:db8::2");
  }
}

TEST(MysqlSnapshot, HostileNamesViewsRoutinesTriggersEventsSequencesRestore) {
  ScratchDatabase src("mysql");
  auto conn = src.Connect();
  ASSERT_TRUE(conn);
  const std::string parent = "Par`ent, (p) 'q' \"d\"";
  const std::string child = "child\\x ü";
  auto q = [](const std::string& n) { return mysql::QuoteIdent(n); };
  src.Exec(
      "CREATE SEQUENCE `s q` START WITH 100 INCREMENT BY 5 NOCACHE;\n"
      "CREATE SEQUENCE cached START WITH 1;\n"
      "SELECT NEXTVAL(`s q`), NEXTVAL(`s q`), NEXTVAL(`s q`), NEXTVAL(cached);\n"
      "CREATE TABLE " +
      q(parent) +
      " (`i d` int PRIMARY KEY, `select` varchar(10), `ü` int) COMMENT 'x, (y)';\n"
      "CREATE TABLE " +
      q(child) +
      " (`id` int AUTO_INCREMENT PRIMARY KEY, `p,(1)` int, `from` int DEFAULT NEXTVAL(`s q`),"
      " KEY `ix order` (`from`), CONSTRAINT `fk ``x``, (y)` FOREIGN KEY (`p,(1)`) REFERENCES " +
      q(parent) +
      " (`i d`) ON DELETE CASCADE) ENGINE=InnoDB;\n"
      "CREATE TABLE self (id int PRIMARY KEY, up int, CONSTRAINT self_up FOREIGN KEY (up) REFERENCES self "
      "(id));\n"
      "INSERT INTO " +
      q(parent) +
      " VALUES (1, 'a', 1), (2, 'b', NULL);\n"
      "INSERT INTO " +
      q(child) +
      " (`p,(1)`) VALUES (1), (2), (NULL);\n"
      "INSERT INTO self VALUES (1, NULL), (2, 1), (3, 2);\n"
      "CREATE FUNCTION `f``n`(x int) RETURNS int DETERMINISTIC RETURN x * 2;\n"
      "DELIMITER //\n"
      "CREATE DEFINER=`nobody_cutover`@`localhost` PROCEDURE `p;` () BEGIN DECLARE a int DEFAULT 1; SELECT "
      "a; "
      "SELECT ';;', '$$'; END //\n"
      "CREATE TRIGGER `z first` BEFORE INSERT ON " +
      q(child) +
      " FOR EACH ROW BEGIN SET NEW.`p,(1)` = "
      "COALESCE(NEW.`p,(1)`, 1); END //\n"
      "CREATE TRIGGER `a second` BEFORE INSERT ON " +
      q(child) +
      " FOR EACH ROW FOLLOWS `z first` SET NEW.`from` = "
      "NEW.`from` + 0 //\n"
      "DELIMITER ;\n"
      "CREATE DEFINER=`nobody_cutover`@`localhost` SQL SECURITY INVOKER VIEW `z base` AS SELECT `i d`, "
      "`select` FROM " +
      q(parent) +
      ";\n"
      "CREATE VIEW `a dep` AS SELECT `i d` FROM `z base` WHERE `select` <> 'z base';\n"
      "CREATE VIEW `b calls` AS SELECT `f``n`(`i d`) AS twice FROM `a dep`;\n"
      "CREATE EVENT `ev` ON SCHEDULE EVERY 1 DAY STARTS '2030-01-01 00:00:00' DISABLE DO DELETE FROM self "
      "WHERE id < 0;\n");
  ASSERT_FALSE(::testing::Test::HasFailure());
  Snap s = TakeSnapshot(*conn);
  ASSERT_FALSE(::testing::Test::HasFailure());
  EXPECT_EQ(s.script.pre_data.find("FOREIGN KEY"), std::string::npos) << s.script.pre_data;
  EXPECT_NE(s.script.post_data.find("FOREIGN KEY"), std::string::npos);
  // Definers are kept (restore --definer rewrites them, WithDefiner).
  EXPECT_NE(
      s.script.post_data.find("DEFINER=`nobody_cutover`@`localhost` SQL SECURITY INVOKER VIEW `z base`"),
      std::string::npos)
      << s.script.post_data;
  for (const std::string* part : {&s.script.pre_data, &s.script.post_data}) {
    // Only the header comment names the source database.
    EXPECT_EQ(part->find(src.name(), part->find('\n')), std::string::npos)
        << "a reference to the source database:\n"
        << *part;
  }
  EXPECT_LT(s.script.post_data.find("VIEW `z base`"), s.script.post_data.find("VIEW `a dep`"));
  EXPECT_LT(s.script.post_data.find("VIEW `a dep`"), s.script.post_data.find("VIEW `b calls`"));
  auto split = Mysql()->SplitScript(s.script.post_data);
  ASSERT_TRUE(split.ok()) << split.status().ToString();

  ScratchDatabase dst("mysql");
  auto into = dst.Connect();
  ASSERT_TRUE(into);
  RestoreInto(s, *into);
  ASSERT_FALSE(::testing::Test::HasFailure());
  ExpectSameAsSnapshot(s, *into);
  // Positions: the NOCACHE sequence continues exactly, the cached one no
  // earlier than the source would after a restart; auto-increment too.
  for (Connection* c : {conn.get(), into.get()}) {
    EXPECT_EQ(Scalar(*c, "SELECT NEXTVAL(`s q`)"), "130") << "3 NEXTVAL, then 3 rows with it as default";
    EXPECT_GE(std::stoll(Scalar(*c, "SELECT NEXTVAL(cached)")), 2);
    ASSERT_TRUE(c->Execute("INSERT INTO " + q(child) + " (`p,(1)`) VALUES (NULL)").ok());
    EXPECT_EQ(Scalar(*c, "SELECT LAST_INSERT_ID()"), "4");
    EXPECT_EQ(Scalar(*c, "SELECT `p,(1)` FROM " + q(child) + " WHERE id = 4"), "1") << "trigger ran";
    EXPECT_EQ(Scalar(*c, "SELECT SUM(twice) FROM `b calls`"), "6") << "views and the function work";
    EXPECT_EQ(Scalar(*c, "SELECT STATUS FROM information_schema.EVENTS WHERE EVENT_SCHEMA = DATABASE()"),
              "DISABLED");
  }
  EXPECT_EQ(Scalar(*into,
                   "SELECT DEFINER FROM information_schema.VIEWS WHERE TABLE_SCHEMA = DATABASE() AND "
                   "TABLE_NAME = 'z base'"),
            "nobody_cutover@localhost")
      << "a SQL SECURITY INVOKER view keeps its (absent) definer";
  // Foreign keys are enforced again after post_data.
  auto orphan = into->Execute("INSERT INTO " + q(child) + " (`p,(1)`) VALUES (99)");
  EXPECT_FALSE(orphan.ok());
  std::string checks;
  auto problems = into->CheckIntegrity(&checks);
  ASSERT_TRUE(problems.ok()) << problems.status().ToString();
  EXPECT_TRUE(problems->empty()) << Join(*problems, "\n");
  EXPECT_NE(checks.find("CHECK TABLE on 3 tables"), std::string::npos) << checks;
  EXPECT_NE(checks.find("on 2 constraints"), std::string::npos) << checks;
}

// Issue 14: routines, triggers, views and events keep the client character
// set and connection collation they were created under (before, a routine
// created under utf8mb3 came back under utf8mb4).
TEST(MysqlSnapshot, CreationContextOfRoutinesTriggersViewsAndEventsSurvivesARestore) {
  ScratchDatabase src("mysql");
  auto conn = src.Connect();
  ASSERT_TRUE(conn);
  src.Exec(
      "CREATE TABLE t (id int PRIMARY KEY, note varchar(20));\n"
      "SET NAMES utf8mb3 COLLATE utf8mb3_general_ci;\n"
      "CREATE FUNCTION greet() RETURNS varchar(20) DETERMINISTIC RETURN 'café';\n"
      "CREATE TRIGGER t_note BEFORE INSERT ON t FOR EACH ROW SET NEW.note = COALESCE(NEW.note, 'thé');\n"
      "CREATE VIEW v AS SELECT id, 'crème' AS label FROM t;\n"
      "CREATE EVENT e ON SCHEDULE EVERY 1 DAY STARTS '2030-01-01 00:00:00' DISABLE DO DELETE FROM t "
      "WHERE note = 'brûlée';\n"
      "SET NAMES utf8mb4;\n"
      "CREATE FUNCTION plain() RETURNS int DETERMINISTIC RETURN 1;\n");
  ASSERT_FALSE(::testing::Test::HasFailure());
  Snap s = TakeSnapshot(*conn);
  ASSERT_FALSE(::testing::Test::HasFailure());
  ScratchDatabase dst("mysql");
  auto into = dst.Connect();
  ASSERT_TRUE(into);
  RestoreInto(s, *into);
  ASSERT_FALSE(::testing::Test::HasFailure());
  auto context = [](Connection& c) {
    return Scalar(
        c,
        "SELECT GROUP_CONCAT(CONCAT_WS(':', kind, name, cs, coll) ORDER BY kind, name SEPARATOR ' ') "
        "FROM (SELECT 'routine' kind, ROUTINE_NAME name, CHARACTER_SET_CLIENT cs, COLLATION_CONNECTION "
        "coll FROM information_schema.ROUTINES WHERE ROUTINE_SCHEMA = DATABASE() UNION ALL "
        "SELECT 'trigger', TRIGGER_NAME, CHARACTER_SET_CLIENT, COLLATION_CONNECTION FROM "
        "information_schema.TRIGGERS WHERE TRIGGER_SCHEMA = DATABASE() UNION ALL "
        "SELECT 'view', TABLE_NAME, CHARACTER_SET_CLIENT, COLLATION_CONNECTION FROM "
        "information_schema.VIEWS WHERE TABLE_SCHEMA = DATABASE() UNION ALL "
        "SELECT 'event', EVENT_NAME, CHARACTER_SET_CLIENT, COLLATION_CONNECTION FROM "
        "information_schema.EVENTS WHERE EVENT_SCHEMA = DATABASE()) x");
  };
  const std::string before = context(*conn);
  EXPECT_NE(before.find("routine:greet:utf8mb3:utf8mb3_general_ci"), std::string::npos) << before;
  EXPECT_NE(before.find("routine:plain:utf8mb4"), std::string::npos) << before;
  EXPECT_EQ(context(*into), before);
  for (Connection* c : {conn.get(), into.get()}) {
    EXPECT_EQ(Scalar(*c, "SELECT greet()"), "café");
    EXPECT_EQ(Scalar(*c, "SELECT label FROM v UNION ALL SELECT 'crème' LIMIT 1"), "crème");
    ASSERT_TRUE(c->Execute("INSERT INTO t (id) VALUES (1)").ok());
    EXPECT_EQ(Scalar(*c, "SELECT note FROM t WHERE id = 1"), "thé");
  }
}

TEST(MysqlSnapshot, JoinedWorkersSeeTheSnapshotAndTheBarrierHoldsCommits) {
  ScratchDatabase db("mysql");
  db.Exec("CREATE TABLE t (id int PRIMARY KEY, v varchar(10)); INSERT INTO t VALUES (1, 'one');");
  auto coord = db.Connect();
  auto worker = db.Connect();
  auto other = db.Connect();
  ASSERT_TRUE(coord && worker && other);
  auto point = coord->BeginSnapshot(SnapshotOptions{});
  ASSERT_TRUE(point.ok()) << point.status().ToString();
  ExecOptions quick;
  quick.lock_timeout = 1000ms;
  auto blocked = other->Execute("INSERT INTO t VALUES (2, 'two')", quick);
  EXPECT_EQ(blocked.status().code(), StatusCode::kLockTimeout)
      << "commits wait while the barrier is held: " << blocked.status().ToString();
  ASSERT_TRUE(worker->JoinSnapshot(*point).ok());
  auto tables = coord->ListDataTables();
  ASSERT_TRUE(tables.ok());
  ASSERT_EQ(tables->size(), 1u);
  EXPECT_TRUE(coord->ReleaseSnapshotBarrier().ok());
  // Generous: another test's snapshot barrier on the shared server may hold commits a moment.
  ExecOptions patient;
  patient.lock_timeout = 60s;
  auto after = other->Execute("INSERT INTO t VALUES (3, 'three')", patient);
  EXPECT_TRUE(after.ok()) << after.status().ToString();
  EXPECT_EQ(ExportRecords(*worker, (*tables)[0]), std::vector<std::string>{"1\tone\n"});
  EXPECT_EQ(ExportRecords(*coord, (*tables)[0]), std::vector<std::string>{"1\tone\n"});
  EXPECT_EQ(ExportRecords(*worker, (*tables)[0], "`id` >= 1 AND `id` < 2"),
            std::vector<std::string>{"1\tone\n"});
  EXPECT_TRUE(worker->EndSnapshot().ok());
  EXPECT_TRUE(coord->EndSnapshot().ok());
  EXPECT_TRUE(coord->EndSnapshot().ok()) << "ending twice is harmless";
  EXPECT_EQ(Bag(ExportRecords(*worker, (*tables)[0])), Bag({"1\tone\n", "3\tthree\n"}));
}

TEST(MysqlSnapshot, NonTransactionalTablesAreRefusedUnlessLocked) {
  ScratchDatabase db("mysql");
  db.Exec(
      "CREATE TABLE inno (id int PRIMARY KEY);\n"
      "CREATE TABLE `my isam` (id int PRIMARY KEY, s varchar(5)) ENGINE=MyISAM;\n"
      "CREATE TABLE ar (id int PRIMARY KEY) ENGINE=Aria;\n"
      "INSERT INTO `my isam` VALUES (1, 'a'), (2, NULL); INSERT INTO ar VALUES (7);\n");
  auto conn = db.Connect();
  auto other = db.Connect();
  ASSERT_TRUE(conn && other);
  auto refused = conn->BeginSnapshot(SnapshotOptions{});
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.status().code(), StatusCode::kInvalidInput);
  EXPECT_NE(refused.status().message().find("`my isam` (MyISAM)"), std::string::npos)
      << refused.status().message();
  EXPECT_NE(refused.status().message().find("`ar` (Aria)"), std::string::npos);
  EXPECT_NE(refused.status().message().find("--lock-nontransactional"), std::string::npos);
  EXPECT_EQ(refused.status().message().find("inno"), std::string::npos);

  SnapshotOptions lock;
  lock.lock_nontransactional_tables = true;
  auto point = conn->BeginSnapshot(lock);
  ASSERT_TRUE(point.ok()) << point.status().ToString();
  EXPECT_EQ(point->position.at("nontransactional_tables_locked"), "2");
  auto tables = conn->ListDataTables();
  auto script = conn->DumpSchemaScript();
  ASSERT_TRUE(tables.ok() && script.ok());
  EXPECT_NE(script->pre_data.find("ENGINE=MyISAM"), std::string::npos);
  ASSERT_TRUE(conn->ReleaseSnapshotBarrier().ok());
  ExecOptions quick;
  quick.lock_timeout = 1000ms;
  auto write = other->Execute("INSERT INTO `my isam` VALUES (3, 'c')", quick);
  EXPECT_EQ(write.status().code(), StatusCode::kLockTimeout)
      << "writes wait until EndSnapshot with the option: " << write.status().ToString();
  Snap s;
  s.tables = *tables;
  s.script = *script;
  s.model = ReadModel(*conn);
  for (const DataTable& t : s.tables) s.records[t.name] = ExportRecords(*conn, t);
  ASSERT_TRUE(conn->EndSnapshot().ok());
  ExecOptions patient;
  patient.lock_timeout = 60s;
  EXPECT_TRUE(other->Execute("INSERT INTO `my isam` VALUES (3, 'c')", patient).ok()) << "released";
  EXPECT_EQ(s.records.at("my isam"), (std::vector<std::string>{"1\ta\n", "2\t\\N\n"}));
  ScratchDatabase dst("mysql");
  auto into = dst.Connect();
  ASSERT_TRUE(into);
  RestoreInto(s, *into);
  ExpectSameAsSnapshot(s, *into);
}

TEST(MysqlSnapshot, BarrierWaitIsBoundedByTheLockTimeout) {
  ScratchDatabase db("mysql");
  db.Exec("CREATE TABLE m (id int) ENGINE=MyISAM;");
  auto holder = db.Connect();
  auto conn = db.Connect();
  ASSERT_TRUE(holder && conn);
  ASSERT_TRUE(holder->Execute("LOCK TABLES m WRITE").ok());
  SnapshotOptions options;
  options.lock_nontransactional_tables = true;
  options.lock_timeout = 1000ms;
  auto start = std::chrono::steady_clock::now();
  auto point = conn->BeginSnapshot(options);
  auto waited = std::chrono::steady_clock::now() - start;
  ASSERT_FALSE(point.ok());
  EXPECT_EQ(point.status().code(), StatusCode::kLockTimeout) << point.status().ToString();
  EXPECT_LT(waited, 10s);
  EXPECT_EQ(point.status().message().find(Password()), std::string::npos);
  ASSERT_TRUE(holder->Execute("UNLOCK TABLES").ok());
  auto again = conn->BeginSnapshot(options);
  EXPECT_TRUE(again.ok()) << again.status().ToString();
  EXPECT_TRUE(conn->EndSnapshot().ok());
}

TEST(MysqlSnapshot, IsEmptyDatabaseSeesEveryObjectKind) {
  for (const char* object :
       {"", "CREATE TABLE t (a int)", "CREATE VIEW v AS SELECT 1 AS x", "CREATE PROCEDURE p() SELECT 1",
        "CREATE FUNCTION f() RETURNS int RETURN 1", "CREATE SEQUENCE s",
        "CREATE EVENT e ON SCHEDULE EVERY 1 DAY DISABLE DO SELECT 1"}) {
    ScratchDatabase db("mysql");
    auto conn = db.Connect();
    ASSERT_TRUE(conn);
    if (*object) {
      ASSERT_TRUE(conn->Execute(object).ok()) << object;
    }
    auto empty = conn->IsEmptyDatabase();
    ASSERT_TRUE(empty.ok()) << empty.status().ToString();
    EXPECT_EQ(*empty, *object == '\0') << object;
  }
  auto server = Mysql()->Connect(ServerUri("mysql"));
  ASSERT_TRUE(server.ok());
  EXPECT_EQ((*server)->IsEmptyDatabase().status().code(), StatusCode::kInvalidInput)
      << "no database in the URI";
}

TEST(MysqlSnapshot, CheckIntegrityFindsForeignKeyOrphans) {
  ScratchDatabase db("mysql");
  db.Exec(
      "CREATE TABLE `pa rent` (id int PRIMARY KEY);\n"
      "CREATE TABLE kid (id int PRIMARY KEY, p int, CONSTRAINT `fk kid` FOREIGN KEY (p) REFERENCES `pa rent` "
      "(id));\n"
      "CREATE TABLE mem (id int) ENGINE=MEMORY;\n"
      "INSERT INTO `pa rent` VALUES (1); INSERT INTO kid VALUES (1, 1), (2, NULL);\n");
  auto conn = db.Connect();
  ASSERT_TRUE(conn);
  std::string checks;
  auto clean = conn->CheckIntegrity(&checks);
  ASSERT_TRUE(clean.ok()) << clean.status().ToString();
  EXPECT_TRUE(clean->empty()) << Join(*clean, "\n");
  EXPECT_EQ(checks,
            "CHECK TABLE on 2 tables (1 more whose engine has no CHECK TABLE); foreign key orphan check on 1 "
            "constraints")
      << "MEMORY tables have no CHECK TABLE";
  ASSERT_TRUE(
      conn->ExecuteScript("SET foreign_key_checks = 0; INSERT INTO kid VALUES (3, 42), (4, 43);").ok());
  auto dirty = conn->CheckIntegrity(&checks);
  ASSERT_TRUE(dirty.ok());
  ASSERT_EQ(dirty->size(), 1u);
  EXPECT_EQ((*dirty)[0], "table `kid`: 2 row(s) violate foreign key `fk kid` (no matching row in `pa rent`)");
}

TEST(MysqlSnapshot, BadRecordsFailNamingTheTableAndLoadNothing) {
  ScratchDatabase db("mysql");
  db.Exec("CREATE TABLE `bad ``t`` ü` (id int PRIMARY KEY, s varchar(3), d date);");
  for (const char* param : kLoadPaths) {
    SCOPED_TRACE(LoadPathName(param));
    Loading l = ConnectForLoading(db, param);
    ASSERT_NE(l.conn, nullptr);
    const DataTable& t = l.table;
    struct Case {
      std::vector<std::string> records;
      StatusCode code;
      std::vector<std::string> says;  // one of these, lower case
    };
    std::vector<Case> cases = {
        {{"1\tabc\t2020-01-01\n", "2\tabcdef\t2020-01-01\n"}, StatusCode::kQuery, {"column 's'"}},
        {{"zz\tabc\t\\N\n"}, StatusCode::kQuery, {"incorrect integer value: 'zz'"}},
        {{"1\ta\t\\N\n", "1\tb\t\\N\n"}, StatusCode::kQuery, {"duplicate"}},
        {{"1\ta\t2020-13-45\n"}, StatusCode::kQuery, {"column 'd'", "`d`"}},
        {{"1\ta\n"}, StatusCode::kInvalidInput, {"2 fields"}},
        {{"1\ta\t\\N"}, StatusCode::kInvalidInput, {"newline"}},
    };
    for (const Case& c : cases) {
      // Many good records first: the error comes after the pipe was drained,
      // and after the first array of 10,000 rows was inserted.
      std::vector<std::string> records;
      for (int i = 100; i < 12100; ++i) records.push_back(std::to_string(i) + "\tok\t\\N\n");
      records.insert(records.end(), c.records.begin(), c.records.end());
      auto n = ImportRecords(*l.conn, t, records, 1000);
      ASSERT_FALSE(n.ok()) << c.says[0];
      EXPECT_EQ(n.status().code(), c.code) << n.status().ToString();
      const std::string message = ToLower(n.status().message());
      EXPECT_NE(n.status().message().find("`bad ``t`` ü`"), std::string::npos) << n.status().message();
      EXPECT_TRUE(std::any_of(c.says.begin(), c.says.end(), [&](const std::string& s) {
        return message.find(s) != std::string::npos;
      })) << n.status().message();
      EXPECT_EQ(n.status().message().find(Password()), std::string::npos);
      EXPECT_EQ(Scalar(*l.conn, "SELECT COUNT(*) FROM `bad ``t`` ü`"), "0") << "nothing stays loaded";
    }
    // A failing source stops the load too.
    int calls = 0;
    std::vector<std::string> good = {"1\ta\t\\N\n"};
    std::vector<std::string_view> views(good.begin(), good.end());
    auto n = l.conn->ImportRows(t, [&]() -> Result<std::span<const std::string_view>> {
      if (++calls == 1) return std::span<const std::string_view>(views);
      return Status::Io("chunk 7 is damaged");
    });
    EXPECT_EQ(n.status().code(), StatusCode::kIo) << n.status().ToString();
    EXPECT_EQ(Scalar(*l.conn, "SELECT COUNT(*) FROM `bad ``t`` ü`"), "0");
    // And the connection still loads good rows afterwards.
    auto ok = ImportRecords(*l.conn, t, {"1\ta\t2020-01-01\n", "2\t\\N\t0000-00-00\n"});
    ASSERT_TRUE(ok.ok()) << ok.status().ToString();
    EXPECT_EQ(*ok, 2);
    ASSERT_TRUE(l.conn->Execute("DELETE FROM `bad ``t`` ü`").ok());
  }
  auto conn = db.Connect();
  DataTable missing{"", "no such table", {"a"}, "", 0, 0, ""};
  auto n = ImportRecords(*conn, missing, {"1\n"});
  EXPECT_EQ(n.status().code(), StatusCode::kNotFound) << n.status().ToString();
}

// A value the server would round leaves only a note, even in strict mode:
// every load path treats any warning as a failure and loads nothing.
TEST(MysqlSnapshot, ValuesTheServerWouldRoundFailTheLoad) {
  ScratchDatabase db("mysql");
  db.Exec("CREATE TABLE `ro und` (id int PRIMARY KEY, amount decimal(5,2));");
  for (const char* param : kLoadPaths) {
    SCOPED_TRACE(LoadPathName(param));
    Loading l = ConnectForLoading(db, param);
    ASSERT_NE(l.conn, nullptr);
    auto n = ImportRecords(*l.conn, l.table, {"1\t1.25\n", "2\t1.234\n"});
    ASSERT_FALSE(n.ok());
    EXPECT_EQ(n.status().code(), StatusCode::kQuery) << n.status().ToString();
    EXPECT_NE(n.status().message().find("warning(s)"), std::string::npos) << n.status().message();
    EXPECT_NE(n.status().message().find("`ro und`"), std::string::npos) << n.status().message();
    EXPECT_NE(n.status().message().find("1265"), std::string::npos) << "the server's note is shown";
    EXPECT_EQ(Scalar(*l.conn, "SELECT COUNT(*) FROM `ro und`"), "0") << "nothing stays loaded";
  }
}

// Rows bigger than one array's byte budget (2 MiB) go in arrays of their
// own, smaller ones share; every byte arrives.
TEST(MysqlSnapshot, ArrayInsertSplitsArraysByBytes) {
  ScratchDatabase db("mysql");
  db.Exec("CREATE TABLE `blo bs` (id int PRIMARY KEY, b longblob, n int);");
  Loading l = ConnectForLoading(db);
  ASSERT_NE(l.conn, nullptr);
  std::vector<std::string> records;
  std::vector<std::string> digests;
  std::uint32_t x = 12345;
  for (int i = 0; i < 7; ++i) {
    const size_t size = i == 3 ? (size_t{5} << 20) : (size_t{3} << 19) + static_cast<size_t>(i);
    std::string value(size, '\0');
    for (char& c : value) {
      x = x * 1103515245u + 12345u;
      c = static_cast<char>(x >> 24);  // every byte value, tabs, newlines and NULs included
    }
    digests.push_back(Sha256Hex(value));
    std::string record = std::to_string(i) + "\t";
    mysql::AppendLoadDataField(record, value);
    record += i == 5 ? "\t\\N\n" : "\t" + std::to_string(i * 7) + "\n";
    records.push_back(std::move(record));
  }
  auto n = ImportRecords(*l.conn, l.table, records, 2);
  ASSERT_TRUE(n.ok()) << n.status().ToString();
  EXPECT_EQ(*n, 7);
  for (int i = 0; i < 7; ++i) {
    SCOPED_TRACE(i);
    EXPECT_EQ(Scalar(*l.conn, "SELECT SHA2(b, 256) FROM `blo bs` WHERE id = " + std::to_string(i)),
              digests[i]);
  }
  EXPECT_EQ(Scalar(*l.conn, "SELECT COUNT(*) FROM `blo bs` WHERE n IS NULL"), "1");
}

// A row larger than the server's max_allowed_packet cannot travel in an
// array: the load fails with what to do, and nothing is loaded.
TEST(MysqlSnapshot, ArrayInsertNamesMaxAllowedPacketForAnOversizedRow) {
  ScratchDatabase db("mysql");
  db.Exec("CREATE TABLE huge (id int PRIMARY KEY, b longblob);");
  Loading l = ConnectForLoading(db);
  ASSERT_NE(l.conn, nullptr);
  const long long packet = std::atoll(Scalar(*l.conn, "SELECT @@max_allowed_packet").c_str());
  ASSERT_GT(packet, 0);
  std::vector<std::string> records = {"1\tsmall\n",
                                      "2\t" + std::string(static_cast<size_t>(packet), 'x') + "\n"};
  auto n = ImportRecords(*l.conn, l.table, records);
  ASSERT_FALSE(n.ok());
  EXPECT_EQ(n.status().code(), StatusCode::kInvalidInput) << n.status().ToString();
  EXPECT_NE(n.status().message().find("record 2"), std::string::npos) << n.status().message();
  EXPECT_NE(n.status().message().find("max_allowed_packet (" + std::to_string(packet) + ")"),
            std::string::npos)
      << n.status().message();
  EXPECT_EQ(Scalar(*l.conn, "SELECT COUNT(*) FROM huge"), "0");
}

// The array-insert session is killed in the middle of a load (after the
// first 12,000 records were read, so an array is in flight or done): the
// load fails as a lost connection naming the table, nothing stays loaded,
// and the next load on the same connection opens a new session.
TEST(MysqlSnapshot, ArrayInsertSessionKilledMidLoadLoadsNothing) {
  ScratchDatabase db("mysql");
  db.Exec("CREATE TABLE `ki ll``ed` (id int PRIMARY KEY, s text);");
  Loading l = ConnectForLoading(db);
  ASSERT_NE(l.conn, nullptr);
  auto admin = db.Connect();
  ASSERT_TRUE(admin);
  const std::string sessions_sql =
      "SELECT COALESCE(GROUP_CONCAT(ID ORDER BY ID), '') FROM "
      "information_schema.PROCESSLIST WHERE DB = '" +
      db.name() + "'";
  const std::string before = Scalar(*admin, sessions_sql);
  std::vector<std::string> first, second;
  for (int i = 0; i < 12000; ++i) first.push_back(std::to_string(i) + "\tfirst " + std::to_string(i) + "\n");
  for (int i = 12000; i < 24000; ++i) second.push_back(std::to_string(i) + "\tsecond\n");
  std::vector<std::string_view> v1(first.begin(), first.end()), v2(second.begin(), second.end());
  int calls = 0;
  std::string killed;
  auto n = l.conn->ImportRows(l.table, [&]() -> Result<std::span<const std::string_view>> {
    ++calls;
    if (calls == 1) return std::span<const std::string_view>(v1);
    if (calls == 2) {
      // The session that appeared since the load began is the loader.
      std::stringstream now(Scalar(*admin, sessions_sql));
      for (std::string id; std::getline(now, id, ',');) {
        if (("," + before + ",").find("," + id + ",") != std::string::npos) continue;
        killed = id;
        auto k = admin->Execute("KILL " + killed);
        EXPECT_TRUE(k.ok()) << k.status().ToString();
      }
      return std::span<const std::string_view>(v2);
    }
    return std::span<const std::string_view>();
  });
  ASSERT_FALSE(killed.empty()) << "no loading session was found";
  ASSERT_FALSE(n.ok());
  EXPECT_EQ(n.status().code(), StatusCode::kConnection) << n.status().ToString();
  EXPECT_NE(n.status().message().find("`ki ll``ed`"), std::string::npos) << n.status().message();
  EXPECT_EQ(n.status().message().find(Password()), std::string::npos);
  EXPECT_EQ(Scalar(*admin, "SELECT COUNT(*) FROM `ki ll``ed`"), "0") << "the killed transaction rolled back";
  auto again = ImportRecords(*l.conn, l.table, {"1\tagain\n"});
  ASSERT_TRUE(again.ok()) << again.status().ToString();
  EXPECT_EQ(Scalar(*admin, "SELECT s FROM `ki ll``ed`"), "again");
}

// array_insert takes 0 or 1 like local_infile.
TEST(MysqlDriver, ArrayInsertParameterIsChecked) {
  ScratchDatabase db("mysql");
  auto bad = Mysql()->Connect(WithParam(db.uri(), "array_insert=sometimes"));
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.status().code(), StatusCode::kInvalidInput);
  EXPECT_NE(bad.status().message().find("array_insert must be 0 or 1, not 'sometimes'"), std::string::npos)
      << bad.status().message();
  EXPECT_TRUE(Mysql()->Connect(WithParam(db.uri(), "array_insert=off")).ok());
}

TEST(MysqlSnapshot, ParallelRangesOfOneTableAndManyBatches) {
  ScratchDatabase src("mysql");
  src.Exec(
      "CREATE TABLE big (id bigint PRIMARY KEY, s varchar(100), b blob, KEY ks (s));\n"
      "INSERT INTO big SELECT seq, CONCAT('row ', seq, '\\t\\n'), UNHEX(SHA2(seq, 256)) FROM "
      "seq_1_to_60000;\n");
  auto conn = src.Connect();
  ASSERT_TRUE(conn);
  Snap s = TakeSnapshot(*conn);
  const DataTable* t = FindTable(s, "big");
  ASSERT_NE(t, nullptr);
  EXPECT_EQ(t->split_column, "id");
  EXPECT_GT(t->estimated_rows, 0);
  const std::string id = (*conn).QuoteIdentifier(t->split_column);
  auto lower = ExportRecords(*conn, *t, id + " >= 1 AND " + id + " < 30000");
  auto upper = ExportRecords(*conn, *t, id + " >= 30000 AND " + id + " < 60001");
  EXPECT_EQ(lower.size() + upper.size(), 60000u);
  // A small table loads in MariaDB's bulk mode (the second range waits for
  // the first one's table lock); a big one (over 64 MiB) loads both ranges
  // at once with unique checks on. Both must restore the same rows.
  for (std::int64_t bytes : {t->estimated_bytes, std::int64_t{1} << 30}) {
    SCOPED_TRACE("estimated_bytes " + std::to_string(bytes));
    DataTable table = *t;
    table.estimated_bytes = bytes;
    ScratchDatabase dst("mysql");
    auto into = dst.Connect();
    ASSERT_TRUE(into);
    ASSERT_TRUE(into->ExecuteScript(s.script.pre_data).ok());
    auto w1 = dst.Connect();
    auto w2 = dst.Connect();
    Result<std::int64_t> n1 = Status::Internal("not run"), n2 = Status::Internal("not run");
    std::thread a([&] { n1 = ImportRecords(*w1, table, lower, 5000); });
    std::thread b([&] { n2 = ImportRecords(*w2, table, upper, 5000); });
    a.join();
    b.join();
    ASSERT_TRUE(n1.ok()) << n1.status().ToString();
    ASSERT_TRUE(n2.ok()) << n2.status().ToString();
    EXPECT_EQ(*n1 + *n2, 60000);
    ASSERT_TRUE(into->ExecuteScript(s.script.post_data).ok());
    ExpectSameAsSnapshot(s, *into);
  }
}

}  // namespace
}  // namespace cutover

namespace cutover {
namespace {

// A benchmark, run on demand (--gtest_also_run_disabled_tests): ImportRows
// of ~100 MB on one connection, on two (two ranges in parallel, as restore
// --jobs 2 does), and with INSERT instead of LOAD DATA. Prints figures.
TEST(MysqlSnapshot, DISABLED_ImportThroughput) {
  ScratchDatabase src("mysql");
  const char* rows_env = std::getenv("CUTOVER_BENCH_ROWS");
  const long rows = rows_env != nullptr ? std::atol(rows_env) : 500000;
  src.Exec(
      "CREATE TABLE bench (id bigint PRIMARY KEY, a int NOT NULL, b varchar(64), c decimal(12,2), d "
      "datetime(6), "
      "f double, t text, KEY ka (a), KEY kb (b));\n"
      "INSERT INTO bench SELECT seq, seq % 1000, CONCAT('name ', seq * 7919 % 100003), seq / 7, "
      "'2020-01-01' + INTERVAL seq SECOND, seq / 3e0, REPEAT(CONCAT('payload ', seq, ' '), 8) FROM "
      "seq_1_to_" +
      std::to_string(rows) + ";\n");
  auto conn = src.Connect();
  ASSERT_TRUE(conn);
  auto t0 = std::chrono::steady_clock::now();
  Snap s = TakeSnapshot(*conn);
  double export_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  const DataTable* t = FindTable(s, "bench");
  ASSERT_NE(t, nullptr);
  const auto& records = s.records.at("bench");
  double mb = 0;
  for (const auto& r : records) mb += static_cast<double>(r.size());
  mb /= 1e6;
  std::printf("export: %zu rows, %.1f MB of records in %.2f s (%.0f rows/s, %.1f MB/s)\n", records.size(), mb,
              export_s, static_cast<double>(records.size()) / export_s, mb / export_s);
  std::vector<std::string> lower(records.begin(),
                                 records.begin() + static_cast<std::ptrdiff_t>(records.size() / 2));
  std::vector<std::string> upper(records.begin() + static_cast<std::ptrdiff_t>(records.size() / 2),
                                 records.end());
  auto run = [&](const char* label, const std::string& param, int jobs) {
    ScratchDatabase dst("mysql");
    ConnectionUri uri = param.empty() ? dst.uri() : WithParam(dst.uri(), param);
    auto into = Mysql()->Connect(uri);
    ASSERT_TRUE(into.ok());
    ASSERT_TRUE((*into)->ExecuteScript(s.script.pre_data).ok());
    auto w1 = Mysql()->Connect(uri);
    auto w2 = Mysql()->Connect(uri);
    ASSERT_TRUE(w1.ok() && w2.ok());
    auto start = std::chrono::steady_clock::now();
    std::int64_t loaded = 0;
    if (jobs == 1) {
      auto n = ImportRecords(**w1, *t, records, 20000);
      ASSERT_TRUE(n.ok()) << n.status().ToString();
      loaded = *n;
    } else {
      Result<std::int64_t> n1 = Status::Internal("not run"), n2 = Status::Internal("not run");
      std::thread a([&] { n1 = ImportRecords(**w1, *t, lower, 20000); });
      std::thread b([&] { n2 = ImportRecords(**w2, *t, upper, 20000); });
      a.join();
      b.join();
      ASSERT_TRUE(n1.ok() && n2.ok()) << n1.status().ToString() << n2.status().ToString();
      loaded = *n1 + *n2;
    }
    auto load_end = std::chrono::steady_clock::now();
    ASSERT_TRUE((*into)->ExecuteScript(s.script.post_data).ok());
    double secs = std::chrono::duration<double>(load_end - start).count();
    std::printf("%-34s %lld rows in %.2f s: %.0f rows/s, %.1f MB/s\n", label, static_cast<long long>(loaded),
                secs, static_cast<double>(loaded) / secs, mb / secs);
    EXPECT_EQ(loaded, static_cast<std::int64_t>(records.size()));
  };
  const char* modes_env = std::getenv("CUTOVER_BENCH_MODES");
  const std::string modes = modes_env != nullptr ? modes_env : "load1,load2,insert";
  if (modes.find("load1") != std::string::npos) run("ImportRows LOAD DATA, 1 connection", "", 1);
  if (modes.find("load2") != std::string::npos) run("ImportRows LOAD DATA, 2 ranges", "", 2);
  if (modes.find("insert") != std::string::npos) run("ImportRows INSERT, 1 connection", "local_infile=0", 1);
  if (std::getenv("CUTOVER_BENCH_KEEP") != nullptr) {
    std::printf("source database kept for comparison: %s\n", src.name().c_str());
    std::fflush(stdout);
    std::this_thread::sleep_for(std::chrono::seconds(std::atoi(std::getenv("CUTOVER_BENCH_KEEP"))));
  }
}

// Restore's deferred keys (SplitCreateTable with defer_secondary_keys, then
// one ALTER TABLE ... ADD per table) must recreate exactly the source table:
// restore-test compares the schema model, so key order, names, prefixes,
// comments and uniqueness must all come back the same.
TEST(MysqlSnapshot, DeferredSecondaryKeysRecreateTheSameTables) {
  ScratchDatabase src("mysql");
  src.Exec(
      "CREATE TABLE `par ``p``` (id int PRIMARY KEY, code varchar(20) NOT NULL, UNIQUE KEY `code` (code));\n"
      "CREATE TABLE `big, \"x\" ñ` (\n"
      "  id bigint unsigned NOT NULL AUTO_INCREMENT PRIMARY KEY,\n"
      "  `select` int NULL, code varchar(20), body text, at datetime(3),\n"
      "  KEY `by select` (`select`, at DESC) COMMENT 'x, (y)',\n"
      "  UNIQUE KEY `u ``1`` ,` (code, id),\n"
      "  KEY `prefix` (body(10)) IGNORED,\n"
      "  UNIQUE KEY `nullable` (`select`),\n"
      "  FULLTEXT KEY ft (body),\n"
      "  CONSTRAINT `to par` FOREIGN KEY (code) REFERENCES `par ``p``` (code)\n"
      ") ENGINE=InnoDB;\n"
      "INSERT INTO `par ``p``` VALUES (1, 'a'), (2, 'b');\n"
      "INSERT INTO `big, \"x\" ñ` (`select`, code, body, at) VALUES (1, 'a', 'hello world', NOW(3)), "
      "(2, 'b', 'more text', NULL), (NULL, NULL, NULL, NULL);\n");
  ASSERT_FALSE(HasFailure());
  auto from = src.Connect();
  ASSERT_TRUE(from);
  ScratchDatabase dst("mysql");
  auto into = dst.Connect();
  ASSERT_TRUE(into);
  std::string pre = "SET SESSION foreign_key_checks = 0;\n", post = "SET SESSION foreign_key_checks = 0;\n";
  size_t deferred = 0;
  for (const std::string table : {"par `p`", "big, \"x\" ñ"}) {
    std::string create;
    ASSERT_TRUE(from->Query("SHOW CREATE TABLE " + from->QuoteIdentifier(table),
                            [&](RowView row) {
                              create = std::string(row[1].data);
                              return Status::Ok();
                            })
                    .ok());
    auto parts = mysql::SplitCreateTable(create, true);
    ASSERT_TRUE(parts.ok()) << parts.status().ToString();
    pre += parts->create_table + ";\n";
    std::vector<std::string> adds;
    for (const auto& k : parts->secondary_keys) adds.push_back("ADD " + k);
    for (const auto& k : parts->foreign_keys) adds.push_back("ADD " + k);
    deferred += parts->secondary_keys.size();
    if (!adds.empty()) post += "ALTER TABLE " + from->QuoteIdentifier(table) + " " + Join(adds, ", ") + ";\n";
  }
  EXPECT_EQ(deferred, 5u) << "par's unique key and four of big's keys (not the FULLTEXT one)";
  ASSERT_TRUE(into->ExecuteScript(pre).ok());
  ASSERT_TRUE(into->ExecuteScript("INSERT INTO `par ``p``` VALUES (1, 'a'), (2, 'b')").ok());
  ASSERT_TRUE(into->ExecuteScript(post).ok());
  SchemaModel expected = ReadModel(*from), actual = ReadModel(*into);
  EXPECT_EQ(Fingerprint(actual), Fingerprint(expected))
      << "drift: " << ::testing::PrintToString(DriftLines(expected, actual));
  for (const std::string table : {"par `p`", "big, \"x\" ñ"}) {
    const std::string sql = "SHOW CREATE TABLE " + from->QuoteIdentifier(table);
    auto text = [&](Connection& c) {
      std::string create;
      EXPECT_TRUE(c.Query(sql, [&](RowView row) {
                     create = std::string(row[1].data);
                     return Status::Ok();
                   }).ok());
      // AUTO_INCREMENT=n differs: no rows were copied into the new table.
      size_t at = create.find(" AUTO_INCREMENT=");
      if (at != std::string::npos) create.erase(at, create.find(' ', at + 1) - at);
      return create;
    };
    EXPECT_EQ(text(*into), text(*from)) << table;
  }
}

// While the barrier holds every commit on the server, the coordinator's and
// the workers' metadata-lock waits are bounded by the snapshot's lock
// timeout; afterwards the session's own setting is back.
TEST(MysqlSnapshot, LockWaitsUnderTheBarrierAreBoundedByTheLockTimeout) {
  ScratchDatabase db("mysql");
  db.Exec("CREATE TABLE t (id int PRIMARY KEY);");
  auto coord = db.Connect();
  auto worker = db.Connect();
  ASSERT_TRUE(coord && worker);
  ASSERT_TRUE(coord->Execute("SET SESSION lock_wait_timeout = 4000").ok());
  ASSERT_TRUE(worker->Execute("SET SESSION lock_wait_timeout = 5000").ok());
  SnapshotOptions options;
  options.lock_timeout = 2500ms;  // rounded up to whole seconds
  auto point = coord->BeginSnapshot(options);
  ASSERT_TRUE(point.ok()) << point.status().ToString();
  EXPECT_EQ(Scalar(*coord, "SELECT @@SESSION.lock_wait_timeout"), "3");
  ASSERT_TRUE(worker->JoinSnapshot(*point).ok());
  EXPECT_EQ(Scalar(*worker, "SELECT @@SESSION.lock_wait_timeout"), "3");
  ASSERT_TRUE(coord->ReleaseSnapshotBarrier().ok());
  EXPECT_EQ(Scalar(*coord, "SELECT @@SESSION.lock_wait_timeout"), "4000");
  EXPECT_TRUE(worker->EndSnapshot().ok());
  EXPECT_EQ(Scalar(*worker, "SELECT @@SESSION.lock_wait_timeout"), "5000");
  EXPECT_TRUE(coord->EndSnapshot().ok());
  EXPECT_EQ(Scalar(*coord, "SELECT @@SESSION.lock_wait_timeout"), "4000");
}

}  // namespace
}  // namespace cutover
