// SQLite driver tests: the DDL parser (unit), then the plugin through the real
// loader: connections and their failures, scratch databases, quoting, typed
// streaming results, timeouts, schema reading and normalization, the shop
// fixture and the drift corpus of tests/drift_corpus/sqlite.
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <map>
#include <random>
#include <regex>
#include <set>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "base/strings.h"
#include "schema/drift.h"
#include "sqlite_ddl.h"
#include "support/test_env.h"

namespace cutover {
namespace {

using testing::DriftLines;
using testing::Dump;
using testing::StatusKb;

namespace fs = std::filesystem;
using sqlite::ConstraintKind;
using sqlite::TokenKind;
using testing::ScratchDatabase;
using testing::ServerUri;
using testing::TestDriver;

// ===========================================================================
// Parser unit tests
// ===========================================================================

std::vector<std::string> TokenTexts(std::string_view sql) {
  auto tokens = sqlite::Tokenize(sql);
  EXPECT_TRUE(tokens.ok()) << tokens.status().ToString();
  std::vector<std::string> out;
  if (tokens.ok()) {
    for (const auto& t : *tokens) out.emplace_back(t.text);
  }
  return out;
}

std::string Norm(std::string_view expr) {
  auto r = sqlite::NormalizeExpression(expr);
  EXPECT_TRUE(r.ok()) << expr << ": " << r.status().ToString();
  return r.ok() ? *r : "<error>";
}

TEST(SqliteTokenizer, QuotesCommentsAndOperators) {
  EXPECT_EQ(TokenTexts("a\"b\"\"c\"[d e]`f``g`'h''i'x'0A'"),
            (std::vector<std::string>{"a", "\"b\"\"c\"", "[d e]", "`f``g`", "'h''i'", "x'0A'"}));
  EXPECT_EQ(TokenTexts("a -- comment ; 'x\nb /* block ; ) */ c /* unterminated"),
            (std::vector<std::string>{"a", "b", "c"}));
  EXPECT_EQ(TokenTexts("a->>'$.x'||b<>c!=d==e<=f>=g<<h>>i"),
            (std::vector<std::string>{"a", "->>", "'$.x'", "||", "b", "<>", "c", "!=", "d", "==", "e",
                                      "<=", "f", ">=", "g", "<<", "h", ">>", "i"}));
  EXPECT_EQ(
      TokenTexts("1 1.5 .5 1e10 1.5E-3 0x1F ?1 :name @v $x"),
      (std::vector<std::string>{"1", "1.5", ".5", "1e10", "1.5E-3", "0x1F", "?1", ":name", "@v", "$x"}));
  EXPECT_EQ(TokenTexts("'--not a comment; really' \"/*nor this*/\""),
            (std::vector<std::string>{"'--not a comment; really'", "\"/*nor this*/\""}));

  auto kinds = sqlite::Tokenize("f(a, b.c);");
  ASSERT_TRUE(kinds.ok());
  std::vector<TokenKind> expected = {TokenKind::kWord,  TokenKind::kLParen, TokenKind::kWord,
                                     TokenKind::kComma, TokenKind::kWord,   TokenKind::kDot,
                                     TokenKind::kWord,  TokenKind::kRParen, TokenKind::kSemicolon};
  ASSERT_EQ(kinds->size(), expected.size());
  for (size_t i = 0; i < expected.size(); ++i) EXPECT_EQ((*kinds)[i].kind, expected[i]) << i;
}

TEST(SqliteTokenizer, RejectsUnterminatedQuotesAndUnknownCharacters) {
  for (const char* bad : {"'abc", "\"abc", "`abc", "[abc", "x'00", "a ! b", "a \x01 b"}) {
    auto r = sqlite::Tokenize(bad);
    ASSERT_FALSE(r.ok()) << bad;
    EXPECT_EQ(r.status().code(), StatusCode::kInvalidInput);
    EXPECT_NE(r.status().message().find("offset"), std::string::npos) << r.status().message();
  }
}

TEST(SqliteTokenizer, IdentifiersUnquoteAndRender) {
  auto tokens = sqlite::Tokenize("\"We\"\"ird\" [Sp ace] `Back``tick` 'Str''ing' Plain Grüße_表");
  ASSERT_TRUE(tokens.ok());
  std::vector<std::string> names;
  for (const auto& t : *tokens) names.push_back(sqlite::NormalizeName(t));
  EXPECT_EQ(names,
            (std::vector<std::string>{"we\"ird", "sp ace", "back`tick", "str'ing", "plain", "grüße_表"}));
  EXPECT_EQ(sqlite::RenderIdentifier("plain_1"), "plain_1");
  EXPECT_EQ(sqlite::RenderIdentifier("grüße_表"), "grüße_表");
  EXPECT_EQ(sqlite::RenderIdentifier("select"), "\"select\"");
  EXPECT_EQ(sqlite::RenderIdentifier("sp ace"), "\"sp ace\"");
  EXPECT_EQ(sqlite::RenderIdentifier("we\"ird"), "\"we\"\"ird\"");
  EXPECT_EQ(sqlite::RenderIdentifier("1abc"), "\"1abc\"");
  EXPECT_TRUE(sqlite::IsKeyword("current_timestamp"));
  EXPECT_TRUE(sqlite::IsKeyword("Without"));
  EXPECT_FALSE(sqlite::IsKeyword("strict"));
  EXPECT_FALSE(sqlite::IsKeyword("rowid"));
}

TEST(SqliteNormalize, EquivalentExpressionsRenderIdentically) {
  EXPECT_EQ(Norm("price>0"), "price > 0");
  EXPECT_EQ(Norm("( ( PRICE  >  0 ) )"), "price > 0");
  EXPECT_EQ(Norm("\"Price\" > 0 /* c */"), "price > 0");
  EXPECT_EQ(Norm("[price]>0 -- trailing"), "price > 0");
  EXPECT_EQ(Norm("a == 1 and b != 2"), "a = 1 AND b <> 2");
  EXPECT_EQ(Norm("status in ('New','Paid')"), "status IN ('New', 'Paid')");
  EXPECT_EQ(Norm("x > -1"), "x > -1");
  EXPECT_EQ(Norm("x - 1"), "x - 1");
  EXPECT_EQ(Norm("-1"), "-1");
  EXPECT_EQ(Norm("LOWER( Email )"), "lower(email)");
  EXPECT_EQ(Norm("count(*)"), "count(*)");
  EXPECT_EQ(Norm("t.a+T.B"), "t.a + t.b");
  EXPECT_EQ(Norm("current_timestamp"), "CURRENT_TIMESTAMP");
  EXPECT_EQ(Norm("(datetime('now'))"), "datetime('now')");
  EXPECT_EQ(Norm("x'0aFF'"), "X'0AFF'");
  EXPECT_EQ(Norm("\"select\" + \"with space\""), "\"select\" + \"with space\"");
  // Not stripped: the first parenthesis closes before the end.
  EXPECT_EQ(Norm("(a) + (b)"), "(a) + (b)");
  // String literals keep their case and spacing.
  EXPECT_EQ(Norm("'A  b'"), "'A  b'");
  EXPECT_NE(Norm("'a'"), Norm("'A'"));
}

TEST(SqliteNormalize, DeclaredTypes) {
  EXPECT_EQ(sqlite::NormalizeType("varchar( 20 )"), "VARCHAR(20)");
  EXPECT_EQ(sqlite::NormalizeType("decimal(10,  2)"), "DECIMAL(10,2)");
  EXPECT_EQ(sqlite::NormalizeType("unsigned   big\tint"), "UNSIGNED BIG INT");
  EXPECT_EQ(sqlite::NormalizeType("int"), "INT");
  EXPECT_EQ(sqlite::NormalizeType("numeric(-5, +3)"), "NUMERIC(-5,+3)");
  EXPECT_EQ(sqlite::NormalizeType(""), "");
  EXPECT_NE(sqlite::NormalizeType("INT"), sqlite::NormalizeType("INTEGER"));
}

TEST(SqliteParser, CreateTableColumnsAndConstraints) {
  auto t = sqlite::ParseCreateTable(R"sql(CREATE TABLE IF NOT EXISTS "Order Items" (
      -- a comment with ) and , inside
      [ID] integer PRIMARY KEY DESC ON CONFLICT REPLACE AUTOINCREMENT,
      `qty` INT NOT NULL ON CONFLICT IGNORE DEFAULT (1) CHECK (qty > 0),
      price decimal( 10 , 2 ) CONSTRAINT price_ok CHECK(price >= 0) DEFAULT -1.5,
      code TEXT COLLATE nocase UNIQUE ON CONFLICT FAIL NULL,
      parent_id INT CONSTRAINT fk_parent REFERENCES parents ON DELETE SET NULL ON UPDATE CASCADE
          MATCH FULL DEFERRABLE INITIALLY DEFERRED NOT NULL,
      total REAL GENERATED ALWAYS AS ((qty * price)) STORED,
      half AS (price / 2),
      'str col' /* block */ TEXT,
      nothing,
      CONSTRAINT uq UNIQUE (code, "qty" COLLATE binary DESC)
      CHECK (total < 1000)
      FOREIGN KEY (qty, code) REFERENCES other(a, b) NOT DEFERRABLE INITIALLY DEFERRED
    ) WITHOUT ROWID, STRICT)sql");
  ASSERT_TRUE(t.ok()) << t.status().ToString();
  EXPECT_EQ(t->name, "order items");
  EXPECT_TRUE(t->without_rowid);
  EXPECT_TRUE(t->strict);
  ASSERT_EQ(t->columns.size(), 9u);
  const auto& id = t->columns[0];
  EXPECT_EQ(id.name, "id");
  EXPECT_EQ(id.type, "INTEGER");
  EXPECT_TRUE(id.autoincrement);
  EXPECT_TRUE(id.primary_key_desc);
  EXPECT_EQ(t->columns[1].not_null_on_conflict, "IGNORE");
  EXPECT_EQ(t->columns[1].default_value, "1");
  EXPECT_EQ(t->columns[2].type, "DECIMAL(10,2)");
  EXPECT_EQ(t->columns[2].default_value, "-1.5");
  EXPECT_EQ(t->columns[3].collation, "NOCASE");
  EXPECT_EQ(t->columns[5].generated, "qty * price");
  EXPECT_TRUE(t->columns[5].generated_stored);
  EXPECT_EQ(t->columns[6].generated, "price / 2");
  EXPECT_FALSE(t->columns[6].generated_stored);
  EXPECT_EQ(t->columns[6].type, "");
  EXPECT_EQ(t->columns[7].name, "str col");
  EXPECT_EQ(t->columns[7].type, "TEXT");
  EXPECT_EQ(t->columns[8].name, "nothing");

  // Constraints in declaration order: pk(id), check(qty), price_ok, unique(code),
  // fk_parent, uq, check(total), fk(qty, code).
  ASSERT_EQ(t->constraints.size(), 8u);
  const auto& pk = t->constraints[0];
  EXPECT_EQ(pk.kind, ConstraintKind::kPrimaryKey);
  EXPECT_EQ(pk.on_conflict, "REPLACE");
  ASSERT_EQ(pk.keys.size(), 1u);
  EXPECT_EQ(pk.keys[0].column, "id");
  EXPECT_EQ(t->constraints[1].kind, ConstraintKind::kCheck);
  EXPECT_EQ(t->constraints[1].expression, "qty > 0");
  EXPECT_EQ(t->constraints[1].name, "");
  EXPECT_EQ(t->constraints[2].name, "price_ok");
  EXPECT_EQ(t->constraints[2].expression, "price >= 0");
  EXPECT_EQ(t->constraints[3].kind, ConstraintKind::kUnique);
  EXPECT_EQ(t->constraints[3].on_conflict, "FAIL");
  const auto& fk = t->constraints[4];
  EXPECT_EQ(fk.kind, ConstraintKind::kForeignKey);
  EXPECT_EQ(fk.name, "fk_parent");
  EXPECT_EQ(fk.references, "parents");
  EXPECT_TRUE(fk.ref_columns.empty());
  EXPECT_EQ(fk.on_delete, "SET NULL");
  EXPECT_EQ(fk.on_update, "CASCADE");
  EXPECT_TRUE(fk.deferrable);
  EXPECT_TRUE(fk.initially_deferred);
  const auto& uq = t->constraints[5];
  EXPECT_EQ(uq.name, "uq");
  ASSERT_EQ(uq.keys.size(), 2u);
  EXPECT_EQ(uq.keys[1].column, "qty");
  EXPECT_EQ(uq.keys[1].collation, "BINARY");
  EXPECT_TRUE(uq.keys[1].desc);
  EXPECT_EQ(t->constraints[6].expression, "total < 1000");
  const auto& fk2 = t->constraints[7];
  EXPECT_EQ(fk2.ref_columns, (std::vector<std::string>{"a", "b"}));
  EXPECT_FALSE(fk2.deferrable);
  EXPECT_FALSE(fk2.initially_deferred);
}

TEST(SqliteParser, CreateTableVariants) {
  auto v =
      sqlite::ParseCreateTable("CREATE VIRTUAL TABLE Docs USING fts5(title,  body, tokenize = 'porter')");
  ASSERT_TRUE(v.ok()) << v.status().ToString();
  EXPECT_TRUE(v->is_virtual);
  EXPECT_EQ(v->name, "docs");
  EXPECT_EQ(v->virtual_using, "USING fts5(title, body, tokenize = 'porter')");

  auto table_pk = sqlite::ParseCreateTable("CREATE TABLE t(id INTEGER, PRIMARY KEY(id AUTOINCREMENT));");
  ASSERT_TRUE(table_pk.ok()) << table_pk.status().ToString();
  EXPECT_TRUE(table_pk->columns[0].autoincrement);

  auto qualified = sqlite::ParseCreateTable("create temp table main.[t] (a)");
  ASSERT_TRUE(qualified.ok()) << qualified.status().ToString();
  EXPECT_EQ(qualified->name, "t");

  // Keywords usable as column names, and types made of several words.
  auto kw = sqlite::ParseCreateTable("CREATE TABLE t(key TEXT, action DOUBLE PRECISION, \"primary\" int)");
  ASSERT_TRUE(kw.ok()) << kw.status().ToString();
  EXPECT_EQ(kw->columns[0].name, "key");
  EXPECT_EQ(kw->columns[1].type, "DOUBLE PRECISION");
  EXPECT_EQ(kw->columns[2].name, "primary");
}

TEST(SqliteParser, GrammarQuirksSqliteAccepts) {
  // Accepted by SQLite 3.40 (checked with the sqlite3 shell): a lone
  // CONSTRAINT name, ON INSERT actions, DEFERRABLE as a separate column
  // constraint after NOT NULL, CHECK ... ON CONFLICT.
  auto t = sqlite::ParseCreateTable(
      "CREATE TABLE t(a INT REFERENCES p ON INSERT CASCADE NOT NULL DEFERRABLE INITIALLY DEFERRED "
      "CONSTRAINT lonely, b INT, CONSTRAINT alone, CHECK (b > 0) ON CONFLICT FAIL, UNIQUE(b))");
  ASSERT_TRUE(t.ok()) << t.status().ToString();
  ASSERT_EQ(t->constraints.size(), 3u);
  EXPECT_EQ(t->constraints[0].kind, ConstraintKind::kForeignKey);
  EXPECT_EQ(t->constraints[0].on_delete, "NO ACTION");
  EXPECT_EQ(t->constraints[0].on_update, "NO ACTION");
  EXPECT_TRUE(t->constraints[0].deferrable);
  EXPECT_TRUE(t->constraints[0].initially_deferred);
  EXPECT_EQ(t->constraints[1].kind, ConstraintKind::kCheck);
  EXPECT_EQ(t->constraints[1].name, "");
  EXPECT_EQ(t->constraints[2].kind, ConstraintKind::kUnique);
  // NOT DEFERRABLE INITIALLY DEFERRED is immediate.
  auto nd = sqlite::ParseCreateTable("CREATE TABLE t(a REFERENCES p NOT DEFERRABLE INITIALLY DEFERRED)");
  ASSERT_TRUE(nd.ok()) << nd.status().ToString();
  EXPECT_FALSE(nd->constraints[0].deferrable);
  EXPECT_FALSE(nd->constraints[0].initially_deferred);
}

TEST(SqliteParser, RejectsWhatItDoesNotUnderstand) {
  for (const char* bad : {"CREATE TABLE t", "CREATE TABLE t()", "CREATE TABLE t(a int NOT bogus)",
                          "CREATE TABLE t(a) WITHOUT", "CREATE TABLE t(a CHECK (a > 0)", "SELECT 1",
                          "CREATE TABLE t(a) garbage", "CREATE TABLE t(a REFERENCES p ON DELETE EXPLODE)"}) {
    auto r = sqlite::ParseCreateTable(bad);
    EXPECT_FALSE(r.ok()) << bad;
    if (!r.ok()) {
      EXPECT_EQ(r.status().code(), StatusCode::kInvalidInput) << bad;
    }
  }
}

TEST(SqliteParser, CreateIndex) {
  auto i = sqlite::ParseCreateIndex(
      "CREATE UNIQUE INDEX IF NOT EXISTS Ix ON T (lower( Email ) DESC, b COLLATE NoCase, (c), [d e] ASC) "
      "WHERE (deleted_at IS NULL)");
  ASSERT_TRUE(i.ok()) << i.status().ToString();
  EXPECT_EQ(i->name, "ix");
  EXPECT_EQ(i->table, "t");
  EXPECT_TRUE(i->unique);
  ASSERT_EQ(i->keys.size(), 4u);
  EXPECT_EQ(i->keys[0].expression, "lower(email)");
  EXPECT_TRUE(i->keys[0].desc);
  EXPECT_EQ(i->keys[1].column, "b");
  EXPECT_EQ(i->keys[1].collation, "NOCASE");
  EXPECT_EQ(i->keys[2].column, "c");
  EXPECT_EQ(i->keys[3].column, "d e");
  EXPECT_FALSE(i->keys[3].desc);
  EXPECT_EQ(i->where, "deleted_at IS NULL");
  EXPECT_FALSE(sqlite::ParseCreateIndex("CREATE INDEX i ON t").ok());
  EXPECT_FALSE(sqlite::ParseCreateIndex("CREATE INDEX i ON t(a) WHERE").ok());
}

TEST(SqliteParser, CreateViewAndTrigger) {
  auto v = sqlite::ParseCreateView(
      "CREATE VIEW \"Big Orders\"(Id, Total) AS\n  select id,total from orders -- x\n");
  ASSERT_TRUE(v.ok()) << v.status().ToString();
  EXPECT_EQ(v->name, "big orders");
  EXPECT_EQ(v->definition, "(id, total) AS SELECT id, total FROM orders");
  auto v2 = sqlite::ParseCreateView("create view v as SELECT * FROM t WHERE a==1");
  ASSERT_TRUE(v2.ok());
  EXPECT_EQ(v2->definition, "SELECT * FROM t WHERE a = 1");

  auto t = sqlite::ParseCreateTrigger(R"sql(create trigger IF NOT EXISTS Trg update of Qty, price on Items
      for each row when new.qty > 0
      begin
        update stock set n = n - (new.qty - old.qty) where id = new.id;
        select case when new.qty > 100 then raise(abort, 'too many') end;
      end)sql");
  ASSERT_TRUE(t.ok()) << t.status().ToString();
  EXPECT_EQ(t->name, "trg");
  EXPECT_EQ(t->timing, "BEFORE");
  EXPECT_EQ(t->event, "UPDATE OF qty, price");
  EXPECT_EQ(t->table, "items");
  EXPECT_EQ(t->when, "new.qty > 0");
  EXPECT_EQ(t->body,
            "UPDATE stock SET n = n - (new.qty - old.qty) WHERE id = new.id; SELECT CASE WHEN new.qty > 100 "
            "THEN RAISE (ABORT, 'too many') END;");
  EXPECT_EQ(t->definition, "CREATE TRIGGER trg BEFORE UPDATE OF qty, price ON items WHEN new.qty > 0 BEGIN " +
                               t->body + " END");
  auto instead =
      sqlite::ParseCreateTrigger("CREATE TRIGGER x INSTEAD OF DELETE ON v BEGIN DELETE FROM t; END");
  ASSERT_TRUE(instead.ok());
  EXPECT_EQ(instead->timing, "INSTEAD OF");
  EXPECT_EQ(instead->event, "DELETE");
  EXPECT_FALSE(sqlite::ParseCreateTrigger("CREATE TRIGGER x AFTER INSERT ON t BEGIN SELECT 1;").ok());
}

// ===========================================================================
// Driver tests
// ===========================================================================

Driver* Sqlite() {
  return TestDriver("sqlite");
}

std::unique_ptr<Connection> Open(const ConnectionUri& uri) {
  auto conn = Sqlite()->Connect(uri);
  EXPECT_TRUE(conn.ok()) << conn.status().ToString();
  return conn.ok() ? std::move(*conn) : nullptr;
}

ConnectionUri FileUri(const std::string& path, const std::string& query = "") {
  auto uri = ConnectionUri::Parse("sqlite://" + path + query);
  EXPECT_TRUE(uri.ok()) << uri.status().ToString();
  return *uri;
}

struct Value {
  CellType type;
  std::string data;
  bool operator==(const Value&) const = default;
};
using Rows = std::vector<std::vector<Value>>;

Rows QueryAll(Connection& conn, const std::string& sql) {
  Rows rows;
  Status st = conn.Query(sql, [&](RowView row) {
    std::vector<Value> values;
    for (const Cell& c : row) values.push_back({c.type, std::string(c.data)});
    rows.push_back(std::move(values));
    return Status::Ok();
  });
  EXPECT_TRUE(st.ok()) << sql << ": " << st.ToString();
  return rows;
}

std::string Scalar(Connection& conn, const std::string& sql) {
  Rows rows = QueryAll(conn, sql);
  if (rows.size() != 1 || rows[0].size() != 1) {
    ADD_FAILURE() << sql << " did not return one value";
    return "";
  }
  return rows[0][0].data;
}

void WriteFile(const std::string& path, const std::string& bytes) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << bytes;
  ASSERT_TRUE(out.good()) << path;
}

// A fresh directory (the SQLite scratch "server") removed at the end.
class TempDir {
 public:
  TempDir() : uri_(ServerUri("sqlite")) {}
  ~TempDir() {
    std::error_code ec;
    fs::remove_all(uri_.database(), ec);
  }
  const ConnectionUri& uri() const { return uri_; }
  std::string path(const std::string& name) const { return uri_.database() + "/" + name; }

 private:
  ConnectionUri uri_;
};

SchemaModel ReadModel(Connection& conn) {
  auto model = conn.ReadSchema();
  EXPECT_TRUE(model.ok()) << model.status().ToString();
  return model.ok() ? *model : SchemaModel{};
}

SchemaModel ModelOf(const std::string& script) {
  ScratchDatabase db("sqlite");
  auto conn = db.Connect();
  if (!conn) return {};
  Status st = conn->ExecuteScript(script);
  EXPECT_TRUE(st.ok()) << st.ToString();
  return ReadModel(*conn);
}

std::string Attr(const SchemaModel& model, ObjectKind kind, const std::string& table, const std::string& name,
                 const std::string& attribute) {
  const SchemaObject* obj = model.Find(kind, "", table, name);
  if (obj == nullptr) {
    ADD_FAILURE() << "no " << ObjectKindName(kind) << " " << table << "." << name;
    return "<no object>";
  }
  auto it = obj->attributes.find(attribute);
  return it == obj->attributes.end() ? "<absent>" : it->second;
}

// ---------------------------------------------------------------------------
// Driver info and connections

TEST(SqliteDriver, InfoNamesTheDriverAndLibrary) {
  Driver* d = Sqlite();
  ASSERT_NE(d, nullptr);
  EXPECT_EQ(d->info().name, "sqlite");
  EXPECT_EQ(d->info().schemes, std::vector<std::string>{"sqlite"});
  EXPECT_TRUE(StartsWith(d->info().client_library, "SQLite 3.")) << d->info().client_library;
  ScratchDatabase db("sqlite");
  auto conn = db.Connect();
  ASSERT_TRUE(conn);
  EXPECT_EQ(conn->server_info().product, "SQLite");
  EXPECT_GE(conn->server_info().version_number, 3040000);
  EXPECT_EQ(conn->display_uri(), db.uri().Redacted());
}

TEST(SqliteDriver, MissingFileIsNotFoundAndIsNeverCreated) {
  TempDir dir;
  const std::string path = dir.path("does-not-exist.db");
  auto conn = Sqlite()->Connect(FileUri(path));
  ASSERT_FALSE(conn.ok());
  EXPECT_EQ(conn.status().code(), StatusCode::kNotFound) << conn.status().ToString();
  EXPECT_NE(conn.status().message().find(path), std::string::npos) << conn.status().message();
  EXPECT_FALSE(fs::exists(path));
  // A missing directory in the path too.
  auto nested = Sqlite()->Connect(FileUri(dir.path("no/such/dir/x.db")));
  ASSERT_FALSE(nested.ok());
  EXPECT_EQ(nested.status().code(), StatusCode::kNotFound);
}

TEST(SqliteDriver, RandomBytesAreNotADatabase) {
  TempDir dir;
  const std::string path = dir.path("random.db");
  std::mt19937 rng(42);
  std::string bytes(16384, '\0');
  for (char& c : bytes) c = static_cast<char>(rng() & 0xff);
  WriteFile(path, bytes);
  auto conn = Sqlite()->Connect(FileUri(path));
  ASSERT_FALSE(conn.ok());
  EXPECT_EQ(conn.status().code(), StatusCode::kInvalidInput) << conn.status().ToString();
  EXPECT_NE(conn.status().message().find(path), std::string::npos) << conn.status().message();
  EXPECT_NE(conn.status().message().find("not a database"), std::string::npos) << conn.status().message();
  // A text file too.
  WriteFile(path, "CREATE TABLE t(a);\nthis is a SQL script, not a database\n");
  auto text = Sqlite()->Connect(FileUri(path));
  ASSERT_FALSE(text.ok());
  EXPECT_EQ(text.status().code(), StatusCode::kInvalidInput) << text.status().ToString();
}

TEST(SqliteDriver, TruncatedFilesGiveAClearError) {
  TempDir dir;
  ScratchDatabase db("sqlite");
  {
    auto conn = db.Connect();
    ASSERT_TRUE(conn);
    ASSERT_TRUE(conn->ExecuteScript(R"sql(
        CREATE TABLE t (id INTEGER PRIMARY KEY, payload TEXT);
        CREATE INDEX t_payload ON t(payload);
        WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < 3000)
        INSERT INTO t SELECT x, printf('%0300d', x) FROM c;)sql")
                    .ok());
  }
  const std::string original = testing::ReadFileOrDie(db.uri().database());
  ASSERT_GT(original.size(), 500000u);
  for (size_t keep : {original.size() / 2, size_t{4096}, size_t{50}}) {
    SCOPED_TRACE("truncated to " + std::to_string(keep) + " bytes");
    const std::string path = dir.path("truncated.db");
    WriteFile(path, original.substr(0, keep));
    auto conn = Sqlite()->Connect(FileUri(path));
    ASSERT_FALSE(conn.ok()) << "a truncated database must not open as if it were fine";
    EXPECT_EQ(conn.status().code(), StatusCode::kInvalidInput) << conn.status().ToString();
    EXPECT_NE(conn.status().message().find(path), std::string::npos) << conn.status().message();
  }
}

TEST(SqliteDriver, EmptyFileIsAnEmptyDatabase) {
  TempDir dir;
  const std::string path = dir.path("empty.db");
  WriteFile(path, "");
  auto conn = Open(FileUri(path));
  ASSERT_TRUE(conn);
  EXPECT_TRUE(ReadModel(*conn).objects.empty());
}

TEST(SqliteDriver, DirectoryAndBadParametersAreInvalidInput) {
  TempDir dir;
  auto as_dir = Sqlite()->Connect(dir.uri());
  ASSERT_FALSE(as_dir.ok());
  EXPECT_EQ(as_dir.status().code(), StatusCode::kInvalidInput) << as_dir.status().ToString();

  ScratchDatabase db("sqlite");
  const std::string path = db.uri().database();
  for (const char* query : {"?password=hunter2", "?busy_timeout=soon", "?mode=rwc", "?busy_timeout=-1"}) {
    auto conn = Sqlite()->Connect(FileUri(path, query));
    ASSERT_FALSE(conn.ok()) << query;
    EXPECT_EQ(conn.status().code(), StatusCode::kInvalidInput) << conn.status().ToString();
    EXPECT_EQ(conn.status().message().find("hunter2"), std::string::npos) << conn.status().message();
  }
  auto ok = Sqlite()->Connect(FileUri(path, "?busy_timeout=250&mode=rw"));
  EXPECT_TRUE(ok.ok()) << ok.status().ToString();
}

TEST(SqliteDriver, RelativePathUri) {
  ScratchDatabase db("sqlite");
  std::string relative = fs::relative(db.uri().database()).string();
  ASSERT_FALSE(StartsWith(relative, "/"));
  auto uri = ConnectionUri::Parse("sqlite:" + relative);
  ASSERT_TRUE(uri.ok());
  auto conn = Open(*uri);
  ASSERT_TRUE(conn);
  EXPECT_EQ(Scalar(*conn, "SELECT 40 + 2"), "42");
}

TEST(SqliteDriver, ReadOnlyModeRejectsWrites) {
  ScratchDatabase db("sqlite");
  db.Exec("CREATE TABLE t(a)");
  auto conn = Open(FileUri(db.uri().database(), "?mode=ro"));
  ASSERT_TRUE(conn);
  auto r = conn->Execute("INSERT INTO t VALUES (1)");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kQuery) << r.status().ToString();
}

TEST(SqliteDriver, ForeignKeysAreEnforced) {
  ScratchDatabase db("sqlite");
  auto conn = db.Connect();
  ASSERT_TRUE(conn);
  ASSERT_TRUE(
      conn->ExecuteScript("CREATE TABLE p(id INTEGER PRIMARY KEY); CREATE TABLE c(p INT REFERENCES p(id));")
          .ok());
  EXPECT_EQ(Scalar(*conn, "PRAGMA foreign_keys"), "1");
  auto r = conn->Execute("INSERT INTO c VALUES (7)");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kQuery);
  EXPECT_NE(r.status().message().find("FOREIGN KEY"), std::string::npos) << r.status().message();
  EXPECT_EQ(r.status().sqlstate(), std::to_string(787)) << "SQLITE_CONSTRAINT_FOREIGNKEY";
}

// ---------------------------------------------------------------------------
// Scratch databases

TEST(SqliteDriver, ScratchDatabasesLiveInADirectory) {
  TempDir base;
  auto server = FileUri(base.path("nested/scratch"));
  Driver* d = Sqlite();

  auto created = d->CreateDatabase(server, "cutover_scratch_a");
  ASSERT_TRUE(created.ok()) << created.status().ToString();
  const std::string file = base.path("nested/scratch/cutover_scratch_a.db");
  EXPECT_EQ(created->database(), file);
  EXPECT_EQ(created->Text(), "sqlite://" + file);
  struct stat st {};
  ASSERT_EQ(::stat(base.path("nested/scratch").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0700u);
  ASSERT_EQ(::stat(file.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);

  // The new database is usable and empty.
  auto conn = Open(*created);
  ASSERT_TRUE(conn);
  EXPECT_TRUE(ReadModel(*conn).objects.empty());
  ASSERT_TRUE(conn->ExecuteScript("CREATE TABLE t(a); INSERT INTO t VALUES (1);").ok());
  conn.reset();

  auto again = d->CreateDatabase(server, "cutover_scratch_a");
  ASSERT_FALSE(again.ok());
  EXPECT_TRUE(again.status().code() == StatusCode::kQuery ||
              again.status().code() == StatusCode::kInvalidInput)
      << again.status().ToString();
  ASSERT_TRUE(d->CreateDatabase(server, "cutover_scratch_b").ok());
  ASSERT_TRUE(d->CreateDatabase(server, "other_c").ok());
  WriteFile(base.path("nested/scratch/cutover_scratch_not_a_db.txt"), "x");

  auto listed = d->ListDatabases(server, "cutover_scratch_");
  ASSERT_TRUE(listed.ok()) << listed.status().ToString();
  EXPECT_EQ(*listed, (std::vector<std::string>{"cutover_scratch_a", "cutover_scratch_b"}));

  // Drop removes the file and its journals; dropping again succeeds.
  WriteFile(file + "-wal", "w");
  WriteFile(file + "-shm", "s");
  WriteFile(file + "-journal", "j");
  ASSERT_TRUE(d->DropDatabase(server, "cutover_scratch_a").ok());
  for (const char* suffix : {"", "-wal", "-shm", "-journal"})
    EXPECT_FALSE(fs::exists(file + suffix)) << suffix;
  EXPECT_TRUE(d->DropDatabase(server, "cutover_scratch_a").ok());
  listed = d->ListDatabases(server, "cutover_scratch_");
  ASSERT_TRUE(listed.ok());
  EXPECT_EQ(*listed, (std::vector<std::string>{"cutover_scratch_b"}));

  // A directory that does not exist has no databases.
  auto none = d->ListDatabases(FileUri(base.path("nowhere")), "");
  ASSERT_TRUE(none.ok());
  EXPECT_TRUE(none->empty());
}

TEST(SqliteDriver, ScratchNamesAreValidated) {
  TempDir base;
  Driver* d = Sqlite();
  for (const char* bad : {"", "a/b", "../escape", ".hidden", "/abs"}) {
    auto r = d->CreateDatabase(base.uri(), bad);
    ASSERT_FALSE(r.ok()) << bad;
    EXPECT_EQ(r.status().code(), StatusCode::kInvalidInput) << bad;
    Status drop = d->DropDatabase(base.uri(), bad);
    EXPECT_EQ(drop.code(), StatusCode::kInvalidInput) << bad;
  }
  WriteFile(base.path("plain-file"), "x");
  auto in_file = d->CreateDatabase(FileUri(base.path("plain-file")), "cutover_scratch_x");
  ASSERT_FALSE(in_file.ok());
  EXPECT_EQ(in_file.status().code(), StatusCode::kInvalidInput) << in_file.status().ToString();
}

// ---------------------------------------------------------------------------
// Quoting, statements, results

TEST(SqliteDriver, QuotingAlwaysQuotesAndRoundTrips) {
  ScratchDatabase db("sqlite");
  auto conn = db.Connect();
  ASSERT_TRUE(conn);
  EXPECT_EQ(conn->QuoteIdentifier("plain"), "\"plain\"");
  EXPECT_EQ(conn->QuoteIdentifier("a\"b"), "\"a\"\"b\"");
  EXPECT_EQ(conn->QuoteLiteral("it's"), "'it''s'");
  EXPECT_EQ(conn->QuoteLiteral("back\\slash"), "'back\\slash'");
  for (const std::string value :
       {"it's", "''", "\\'", "x'00'", "-- not a comment", "Grüße 表 🚀", "a\nb\tc", "'); DROP TABLE t; --"}) {
    EXPECT_EQ(Scalar(*conn, "SELECT " + conn->QuoteLiteral(value)), value);
    EXPECT_EQ(Scalar(*conn, "SELECT 1 AS " + conn->QuoteIdentifier(value)), "1");
  }
}

TEST(SqliteDriver, CellsAreTypedByStorageClass) {
  ScratchDatabase db("sqlite");
  auto conn = db.Connect();
  ASSERT_TRUE(conn);
  Rows rows =
      QueryAll(*conn,
               "SELECT 1, 9223372036854775807, -5, 0.1 + 0.2, 1e300, 'text', X'00FF10', NULL, '', 2.0, "
               "CAST('12' AS INTEGER)");
  ASSERT_EQ(rows.size(), 1u);
  std::vector<Value> expected = {{CellType::kInteger, "1"},
                                 {CellType::kInteger, "9223372036854775807"},
                                 {CellType::kInteger, "-5"},
                                 {CellType::kReal, "0.30000000000000004"},
                                 {CellType::kReal, "1e+300"},
                                 {CellType::kText, "text"},
                                 {CellType::kBlob, std::string("\x00\xff\x10", 3)},
                                 {CellType::kNull, ""},
                                 {CellType::kText, ""},
                                 {CellType::kReal, "2"},
                                 {CellType::kInteger, "12"}};
  EXPECT_EQ(rows[0], expected);
  // Per value, not per column: SQLite columns hold mixed storage classes.
  ASSERT_TRUE(
      conn->ExecuteScript("CREATE TABLE m(v); INSERT INTO m VALUES (1), ('a'), (2.5), (NULL), (x'01');")
          .ok());
  Rows mixed = QueryAll(*conn, "SELECT v FROM m ORDER BY rowid");
  ASSERT_EQ(mixed.size(), 5u);
  EXPECT_EQ(mixed[0][0].type, CellType::kInteger);
  EXPECT_EQ(mixed[1][0].type, CellType::kText);
  EXPECT_EQ(mixed[2][0].type, CellType::kReal);
  EXPECT_EQ(mixed[3][0].type, CellType::kNull);
  EXPECT_EQ(mixed[4][0].type, CellType::kBlob);
}

TEST(SqliteDriver, ExecuteReturnsAffectedRows) {
  ScratchDatabase db("sqlite");
  auto conn = db.Connect();
  ASSERT_TRUE(conn);
  auto n = conn->Execute("CREATE TABLE t(a INTEGER)");
  ASSERT_TRUE(n.ok()) << n.status().ToString();
  EXPECT_EQ(*n, 0);
  n = conn->Execute("INSERT INTO t VALUES (1), (2), (3)");
  ASSERT_TRUE(n.ok());
  EXPECT_EQ(*n, 3);
  n = conn->Execute("UPDATE t SET a = a + 10 WHERE a >= 2");
  ASSERT_TRUE(n.ok());
  EXPECT_EQ(*n, 2);
  // DDL after DML: SQLite keeps the last DML count, the driver must not.
  n = conn->Execute("CREATE TABLE u(b)");
  ASSERT_TRUE(n.ok());
  EXPECT_EQ(*n, 0);
  n = conn->Execute("SELECT * FROM t");
  ASSERT_TRUE(n.ok());
  EXPECT_EQ(*n, 0);
  // Several statements: they all run, the counts add up.
  n = conn->Execute("INSERT INTO u VALUES (1); INSERT INTO u VALUES (2), (3);");
  ASSERT_TRUE(n.ok());
  EXPECT_EQ(*n, 3);
  n = conn->Execute("DELETE FROM t");
  ASSERT_TRUE(n.ok());
  EXPECT_EQ(*n, 3);
  auto bad = conn->Execute("INSERT INTO missing VALUES (1)");
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.status().code(), StatusCode::kQuery);
  EXPECT_NE(bad.status().message().find("no such table: missing"), std::string::npos)
      << bad.status().message();
}

TEST(SqliteDriver, ScriptsHandleTriggersCommentsAndReportTheFailingLine) {
  ScratchDatabase db("sqlite");
  auto conn = db.Connect();
  ASSERT_TRUE(conn);
  const std::string script = R"sql(-- leading comment; with a semicolon
CREATE TABLE t (a INTEGER, note TEXT);   /* block; comment */
CREATE TABLE log (msg TEXT);
CREATE TRIGGER t_ins AFTER INSERT ON t
BEGIN
  INSERT INTO log VALUES ('inserted; ' || new.a);
  INSERT INTO log VALUES ('--not a comment');
END;
;;
INSERT INTO t VALUES (1, 'a;b'), (2, '/* x */');
-- trailing comment without newline)sql";
  Status st = conn->ExecuteScript(script);
  ASSERT_TRUE(st.ok()) << st.ToString();
  EXPECT_EQ(Scalar(*conn, "SELECT count(*) FROM log"), "4");
  EXPECT_EQ(Scalar(*conn, "SELECT msg FROM log ORDER BY rowid LIMIT 1"), "inserted; 1");
  EXPECT_EQ(Scalar(*conn, "SELECT note FROM t WHERE a = 1"), "a;b");

  const std::string failing =
      "INSERT INTO t VALUES (10, 'x');\n"
      "\n"
      "UPDATE t\n"
      "   SET nope = 1;\n"
      "INSERT INTO t VALUES (11, 'never');\n";
  st = conn->ExecuteScript(failing);
  ASSERT_FALSE(st.ok());
  EXPECT_EQ(st.code(), StatusCode::kQuery);
  EXPECT_NE(st.message().find("line 3"), std::string::npos) << st.message();
  EXPECT_NE(st.message().find("(UPDATE t)"), std::string::npos) << st.message();
  EXPECT_NE(st.message().find("no such column: nope"), std::string::npos) << st.message();
  EXPECT_EQ(Scalar(*conn, "SELECT count(*) FROM t WHERE a = 10"), "1") << "statements before the error ran";
  EXPECT_EQ(Scalar(*conn, "SELECT count(*) FROM t WHERE a = 11"), "0")
      << "statements after the error did not";

  // A NUL byte would make SQLite ignore the rest of the text.
  const std::string with_nul("INSERT INTO t VALUES (20, 'a');\nINSERT INTO t VALUES (21, 'b\0c');\n", 66);
  ASSERT_EQ(with_nul.find('\0'), 60u);
  st = conn->ExecuteScript(with_nul);
  ASSERT_FALSE(st.ok());
  EXPECT_EQ(st.code(), StatusCode::kInvalidInput) << st.ToString();
  EXPECT_NE(st.message().find("NUL byte at line 2"), std::string::npos) << st.message();
  EXPECT_EQ(Scalar(*conn, "SELECT count(*) FROM t WHERE a >= 20"), "0") << "nothing ran";

  // A syntax error on a later line of a multi-line statement.
  st = conn->ExecuteScript("SELECT 1;\nSELECT a,\n  b\n  FROM t WHERE;\n");
  ASSERT_FALSE(st.ok());
  EXPECT_NE(st.message().find("line 2"), std::string::npos) << st.message();
  EXPECT_NE(st.message().find("error on line 4"), std::string::npos) << st.message();
}

TEST(SqliteDriver, FailedScriptDoesNotLeaveItsTransactionOpen) {
  ScratchDatabase db("sqlite");
  auto conn = db.Connect();
  auto other = db.Connect();
  ASSERT_TRUE(conn && other);
  ASSERT_TRUE(conn->ExecuteScript("CREATE TABLE t(a UNIQUE);").ok());
  Status st = conn->ExecuteScript("BEGIN; INSERT INTO t VALUES (1); INSERT INTO t VALUES (1); COMMIT;");
  ASSERT_FALSE(st.ok());
  EXPECT_NE(st.message().find("rolled back"), std::string::npos) << st.message();
  EXPECT_EQ(Scalar(*conn, "SELECT count(*) FROM t"), "0");
  auto w =
      other->Execute("INSERT INTO t VALUES (2)",
                     ExecOptions{.statement_timeout = {}, .lock_timeout = std::chrono::milliseconds(100)});
  EXPECT_TRUE(w.ok()) << "the failed script still holds the write lock: " << w.status().ToString();
  // A caller's own transaction is the caller's business.
  ASSERT_TRUE(conn->Begin().ok());
  ASSERT_FALSE(conn->ExecuteScript("INSERT INTO t VALUES (3); INSERT INTO t VALUES (3);").ok());
  EXPECT_EQ(Scalar(*conn, "SELECT count(*) FROM t WHERE a = 3"), "1");
  ASSERT_TRUE(conn->Rollback().ok());
}

TEST(SqliteDriver, Transactions) {
  ScratchDatabase db("sqlite");
  auto conn = db.Connect();
  ASSERT_TRUE(conn);
  ASSERT_TRUE(conn->ExecuteScript("CREATE TABLE t(a)").ok());
  ASSERT_TRUE(conn->Begin().ok());
  ASSERT_TRUE(conn->Execute("INSERT INTO t VALUES (1)").ok());
  ASSERT_TRUE(conn->Rollback().ok());
  EXPECT_EQ(Scalar(*conn, "SELECT count(*) FROM t"), "0");
  ASSERT_TRUE(conn->Begin().ok());
  ASSERT_TRUE(conn->Execute("INSERT INTO t VALUES (2)").ok());
  ASSERT_TRUE(conn->Commit().ok());
  EXPECT_EQ(Scalar(*conn, "SELECT count(*) FROM t"), "1");
  EXPECT_TRUE(conn->Rollback().ok()) << "rollback without a transaction is a no-op";
  Status commit = conn->Commit();
  EXPECT_FALSE(commit.ok());
  EXPECT_EQ(commit.code(), StatusCode::kQuery);
  ASSERT_TRUE(conn->Begin().ok());
  EXPECT_FALSE(conn->Begin().ok()) << "nested BEGIN";
  ASSERT_TRUE(conn->Rollback().ok());
}

TEST(SqliteDriver, QueryRunsOneStatementAndPropagatesCallbackErrors) {
  ScratchDatabase db("sqlite");
  auto conn = db.Connect();
  ASSERT_TRUE(conn);
  Status two = conn->Query("SELECT 1; SELECT 2", [](RowView) { return Status::Ok(); });
  EXPECT_EQ(two.code(), StatusCode::kInvalidInput) << two.ToString();
  Status none = conn->Query("  -- nothing\n", [](RowView) { return Status::Ok(); });
  EXPECT_EQ(none.code(), StatusCode::kInvalidInput) << none.ToString();
  EXPECT_TRUE(conn->Query("SELECT 1; -- trailing comment\n", [](RowView) { return Status::Ok(); }).ok());

  int seen = 0;
  Status stop = conn->Query(
      "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < 100) SELECT x FROM c",
      [&](RowView) { return ++seen == 3 ? Status::CheckFailed("enough") : Status::Ok(); });
  EXPECT_EQ(stop.code(), StatusCode::kCheckFailed);
  EXPECT_EQ(seen, 3);
  Status thrown = conn->Query("SELECT 1", [](RowView) -> Status { throw std::runtime_error("boom"); });
  EXPECT_EQ(thrown.code(), StatusCode::kInternal);
  EXPECT_NE(thrown.message().find("boom"), std::string::npos);
  EXPECT_EQ(Scalar(*conn, "SELECT 5"), "5") << "the connection stays usable";
}

TEST(SqliteDriver, SessionIdsAndLockWaits) {
  ScratchDatabase db("sqlite");
  auto a = db.Connect();
  auto b = db.Connect();
  ASSERT_TRUE(a && b);
  EXPECT_FALSE(a->SessionId().empty());
  EXPECT_EQ(a->SessionId(), a->SessionId());
  EXPECT_NE(a->SessionId(), b->SessionId());
  auto waits = a->LockWaits();
  ASSERT_FALSE(waits.ok());
  EXPECT_EQ(waits.status().code(), StatusCode::kUnsupported);
}

// ---------------------------------------------------------------------------
// Timeouts

using Clock = std::chrono::steady_clock;
long ElapsedMs(Clock::time_point start) {
  return static_cast<long>(
      std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - start).count());
}

TEST(SqliteDriver, LockTimeoutExpiresAndIsRestored) {
  ScratchDatabase db("sqlite");
  db.Exec("CREATE TABLE t(a)");
  // busy_timeout=1000: the connection's own default lock wait.
  auto holder = db.Connect();
  auto waiter = Open(FileUri(db.uri().database(), "?busy_timeout=1000"));
  ASSERT_TRUE(holder && waiter);
  ASSERT_TRUE(holder->Execute("BEGIN IMMEDIATE").ok());
  ASSERT_TRUE(holder->Execute("INSERT INTO t VALUES (1)").ok());

  ExecOptions opts;
  opts.lock_timeout = std::chrono::milliseconds(150);
  auto start = Clock::now();
  auto r = waiter->Execute("INSERT INTO t VALUES (2)", opts);
  long took = ElapsedMs(start);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kLockTimeout) << r.status().ToString();
  EXPECT_NE(r.status().message().find("lock_timeout of 150 ms"), std::string::npos) << r.status().message();
  EXPECT_GE(took, 120);
  EXPECT_LT(took, 900) << "the 150 ms lock_timeout was not applied";

  // The next statement without options waits the connection default again.
  start = Clock::now();
  r = waiter->Execute("INSERT INTO t VALUES (3)");
  took = ElapsedMs(start);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kLockTimeout);
  EXPECT_GE(took, 900) << "the per-statement lock_timeout leaked into the next statement";

  // Query() honours it too, and the statement_timeout caps a lock wait.
  ExecOptions capped;
  capped.statement_timeout = std::chrono::milliseconds(200);
  start = Clock::now();
  Status q = waiter->Query(
      "INSERT INTO t VALUES (4) RETURNING a", [](RowView) { return Status::Ok(); }, capped);
  took = ElapsedMs(start);
  EXPECT_EQ(q.code(), StatusCode::kLockTimeout) << q.ToString();
  EXPECT_NE(q.message().find("statement_timeout"), std::string::npos) << q.message();
  EXPECT_LT(took, 900);

  ASSERT_TRUE(holder->Commit().ok());
  auto after = waiter->Execute("INSERT INTO t VALUES (5)", opts);
  EXPECT_TRUE(after.ok()) << after.status().ToString();
}

TEST(SqliteDriver, StatementTimeoutInterruptsAndIsRestored) {
  ScratchDatabase db("sqlite");
  auto conn = db.Connect();
  ASSERT_TRUE(conn);
  const std::string endless =
      "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < 5000000000) SELECT count(*) "
      "FROM c";
  ExecOptions opts;
  opts.statement_timeout = std::chrono::milliseconds(200);
  auto start = Clock::now();
  Status st = conn->Query(
      endless, [](RowView) { return Status::Ok(); }, opts);
  long took = ElapsedMs(start);
  ASSERT_EQ(st.code(), StatusCode::kLockTimeout) << st.ToString();
  EXPECT_NE(st.message().find("statement_timeout of 200 ms"), std::string::npos) << st.message();
  EXPECT_GE(took, 180);
  EXPECT_LT(took, 3000);

  start = Clock::now();
  auto r = conn->Execute("CREATE TABLE big AS " + endless, opts);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kLockTimeout) << r.status().ToString();
  EXPECT_LT(ElapsedMs(start), 3000);
  EXPECT_EQ(Scalar(*conn, "SELECT count(*) FROM sqlite_schema WHERE name = 'big'"), "0");

  // Without options, a statement longer than the old limit completes.
  start = Clock::now();
  EXPECT_EQ(Scalar(*conn,
                   "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < 3000000) "
                   "SELECT count(*) FROM c"),
            "3000000");
  EXPECT_GT(ElapsedMs(start), 200) << "make the statement longer so that this test can see a leaked limit";
}

// ---------------------------------------------------------------------------
// Streaming

TEST(SqliteDriver, QueryStreamsTwoMillionRowsInBoundedMemory) {
  ScratchDatabase db("sqlite");
  auto conn = db.Connect();
  ASSERT_TRUE(conn);
  // Reset the peak RSS so that this test measures only itself.
  {
    std::ofstream clear("/proc/self/clear_refs");
    clear << "5";
  }
  const long rss_before = StatusKb("VmRSS");
  const long hwm_reset = StatusKb("VmHWM");
  ASSERT_LE(hwm_reset, rss_before + 1024) << "could not reset VmHWM through /proc/self/clear_refs";

  constexpr long kRows = 2'000'000;
  long rows = 0;
  long long sum = 0;
  size_t bytes = 0;
  Status st = conn->Query(
      "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < 2000000) "
      "SELECT x, printf('%0200d', x) FROM c",
      [&](RowView row) {
        ++rows;
        sum += std::stoll(std::string(row[0].data));
        bytes += row[1].data.size();
        if (row[0].type != CellType::kInteger || row[1].type != CellType::kText) {
          return Status::Internal("wrong cell types");
        }
        return Status::Ok();
      });
  ASSERT_TRUE(st.ok()) << st.ToString();
  EXPECT_EQ(rows, kRows);
  EXPECT_EQ(sum, kRows * (kRows + 1) / 2);
  EXPECT_EQ(bytes, static_cast<size_t>(kRows) * 200);  // 400 MB went through the callback
  const long peak_growth_kb = StatusKb("VmHWM") - rss_before;
  RecordProperty("peak_rss_growth_kb", std::to_string(peak_growth_kb));
  EXPECT_LT(peak_growth_kb, 64 * 1024) << "peak RSS grew by " << peak_growth_kb << " kB for a 400 MB result";
}

// ---------------------------------------------------------------------------
// Schema reading

TEST(SqliteSchema, ColumnsConstraintsAndIdentity) {
  SchemaModel m = ModelOf(R"sql(
    CREATE TABLE parent (id INTEGER PRIMARY KEY, code TEXT NOT NULL COLLATE NOCASE UNIQUE);
    CREATE TABLE child (
      id INTEGER PRIMARY KEY AUTOINCREMENT,
      parent_id INT REFERENCES parent ON DELETE CASCADE DEFERRABLE INITIALLY DEFERRED,
      qty int DEFAULT (0) CHECK (qty >= 0),
      price real NOT NULL DEFAULT -1.5,
      created TEXT DEFAULT current_timestamp,
      nada DEFAULT NULL,
      plus INT DEFAULT +5,
      total REAL GENERATED ALWAYS AS (qty * price) STORED,
      half AS (price/2),
      CONSTRAINT child_code_fk FOREIGN KEY (parent_id) REFERENCES parent(id),
      CONSTRAINT qty_small CHECK (qty < 1000),
      UNIQUE (parent_id, qty)
    );
    INSERT INTO parent(code) VALUES ('x');
    INSERT INTO child(parent_id, qty, price) VALUES (1, 1, 1);
    ANALYZE;
  )sql");
  const std::string dump = Dump(m);
  SCOPED_TRACE(dump);
  EXPECT_EQ(m.engine, "sqlite");
  // sqlite_sequence, sqlite_stat1 and the autoindexes are not objects.
  for (const auto& obj : m.objects) {
    EXPECT_FALSE(StartsWith(obj.name, "sqlite_")) << obj.Path();
    EXPECT_FALSE(StartsWith(obj.table, "sqlite_")) << obj.Path();
  }
  EXPECT_EQ(m.Find(ObjectKind::kIndex, "", "parent", "sqlite_autoindex_parent_1"), nullptr);

  using K = ObjectKind;
  EXPECT_EQ(Attr(m, K::kColumn, "parent", "id", "identity"), "rowid");
  EXPECT_EQ(Attr(m, K::kColumn, "parent", "id", "nullable"), "false");
  EXPECT_EQ(Attr(m, K::kColumn, "parent", "code", "collation"), "NOCASE");
  EXPECT_EQ(Attr(m, K::kUniqueConstraint, "parent", "unique(code)", "columns"), "[\"code\"]");
  EXPECT_EQ(Attr(m, K::kPrimaryKey, "parent", "pk", "columns"), "[\"id\"]");

  EXPECT_EQ(Attr(m, K::kColumn, "child", "id", "identity"), "autoincrement");
  EXPECT_EQ(Attr(m, K::kColumn, "child", "id", "position"), "1");
  EXPECT_EQ(Attr(m, K::kColumn, "child", "parent_id", "type"), "INT");
  EXPECT_EQ(Attr(m, K::kColumn, "child", "parent_id", "identity"), "<absent>");
  EXPECT_EQ(Attr(m, K::kColumn, "child", "qty", "default"), "0");
  EXPECT_EQ(Attr(m, K::kColumn, "child", "qty", "type"), "INT");
  EXPECT_EQ(Attr(m, K::kColumn, "child", "price", "default"), "-1.5");
  EXPECT_EQ(Attr(m, K::kColumn, "child", "price", "nullable"), "false");
  EXPECT_EQ(Attr(m, K::kColumn, "child", "price", "type"), "REAL");
  EXPECT_EQ(Attr(m, K::kColumn, "child", "created", "default"), "CURRENT_TIMESTAMP");
  EXPECT_EQ(Attr(m, K::kColumn, "child", "nada", "default"), "<absent>");
  EXPECT_EQ(Attr(m, K::kColumn, "child", "nada", "type"), "<absent>");
  EXPECT_EQ(Attr(m, K::kColumn, "child", "plus", "default"), "5");
  EXPECT_EQ(Attr(m, K::kColumn, "child", "total", "generated"), "qty * price");
  EXPECT_EQ(Attr(m, K::kColumn, "child", "total", "generated_kind"), "stored");
  EXPECT_EQ(Attr(m, K::kColumn, "child", "half", "generated"), "price / 2");
  EXPECT_EQ(Attr(m, K::kColumn, "child", "half", "generated_kind"), "virtual");
  EXPECT_EQ(Attr(m, K::kColumn, "child", "half", "position"), "9");

  EXPECT_EQ(Attr(m, K::kCheckConstraint, "child", "check(qty >= 0)", "expression"), "qty >= 0");
  EXPECT_EQ(Attr(m, K::kCheckConstraint, "child", "qty_small", "expression"), "qty < 1000");
  EXPECT_EQ(Attr(m, K::kUniqueConstraint, "child", "unique(parent_id,qty)", "columns"),
            "[\"parent_id\",\"qty\"]");

  const std::string fk = "fk(parent_id)->parent(id)";
  EXPECT_EQ(Attr(m, K::kForeignKey, "child", fk, "references"), "parent");
  EXPECT_EQ(Attr(m, K::kForeignKey, "child", fk, "references_columns"), "[\"id\"]") << "implicit parent key";
  EXPECT_EQ(Attr(m, K::kForeignKey, "child", fk, "on_delete"), "CASCADE");
  EXPECT_EQ(Attr(m, K::kForeignKey, "child", fk, "on_update"), "NO ACTION");
  EXPECT_EQ(Attr(m, K::kForeignKey, "child", fk, "deferrable"), "true");
  EXPECT_EQ(Attr(m, K::kForeignKey, "child", fk, "initially_deferred"), "true");
  EXPECT_EQ(Attr(m, K::kForeignKey, "child", "child_code_fk", "deferrable"), "false");
  EXPECT_EQ(Attr(m, K::kForeignKey, "child", "child_code_fk", "on_delete"), "NO ACTION");
}

TEST(SqliteSchema, RowidAliasOnlyForTrueIntegerPrimaryKeys) {
  SchemaModel m = ModelOf(R"sql(
    CREATE TABLE a (id INTEGER PRIMARY KEY);
    CREATE TABLE b (id INT PRIMARY KEY);
    CREATE TABLE c (id INTEGER PRIMARY KEY DESC);
    CREATE TABLE d (id integer, other TEXT, PRIMARY KEY (id));
    CREATE TABLE e (id INTEGER PRIMARY KEY) WITHOUT ROWID;
    CREATE TABLE f (id INTEGER, k INTEGER, PRIMARY KEY (id, k));
    CREATE TABLE g (id INTEGER PRIMARY KEY, x ANY) STRICT;
    CREATE TABLE h (code TEXT, PRIMARY KEY (code COLLATE NOCASE)) WITHOUT ROWID;
    CREATE TABLE i (code TEXT COLLATE NOCASE PRIMARY KEY);
  )sql");
  SCOPED_TRACE(Dump(m));
  using K = ObjectKind;
  EXPECT_EQ(Attr(m, K::kColumn, "a", "id", "identity"), "rowid");
  EXPECT_EQ(Attr(m, K::kColumn, "b", "id", "identity"), "<absent>");
  EXPECT_EQ(Attr(m, K::kColumn, "b", "id", "nullable"), "true") << "SQLite allows NULL in a non-rowid key";
  EXPECT_EQ(Attr(m, K::kColumn, "c", "id", "identity"), "<absent>");
  EXPECT_EQ(Attr(m, K::kColumn, "d", "id", "identity"), "rowid");
  EXPECT_EQ(Attr(m, K::kColumn, "e", "id", "identity"), "<absent>");
  EXPECT_EQ(Attr(m, K::kColumn, "e", "id", "nullable"), "false");
  EXPECT_EQ(Attr(m, K::kTable, "", "e", "sqlite.without_rowid"), "true");
  EXPECT_EQ(Attr(m, K::kTable, "", "a", "sqlite.without_rowid"), "<absent>");
  EXPECT_EQ(Attr(m, K::kColumn, "f", "id", "identity"), "<absent>");
  EXPECT_EQ(Attr(m, K::kPrimaryKey, "f", "pk", "columns"), "[\"id\",\"k\"]");
  EXPECT_EQ(Attr(m, K::kTable, "", "g", "sqlite.strict"), "true");
  EXPECT_EQ(Attr(m, K::kColumn, "g", "x", "type"), "ANY");
  EXPECT_EQ(Attr(m, K::kPrimaryKey, "h", "pk", "columns"), "[\"code COLLATE NOCASE\"]");
  EXPECT_EQ(Attr(m, K::kPrimaryKey, "i", "pk", "columns"), "[\"code\"]") << "the column's own collation";
  EXPECT_EQ(Attr(m, K::kColumn, "i", "code", "collation"), "NOCASE");
}

TEST(SqliteSchema, IndexesViewsTriggersAndVirtualTables) {
  SchemaModel m = ModelOf(R"sql(
    CREATE TABLE t (a TEXT COLLATE NOCASE, b INT, c TEXT, deleted_at TEXT);
    CREATE UNIQUE INDEX t_ab ON t (a, b DESC) WHERE deleted_at IS NULL;
    CREATE INDEX t_expr ON t (lower(c), c COLLATE NOCASE, a COLLATE NOCASE, a COLLATE BINARY);
    CREATE VIEW live_t AS SELECT a, b FROM t WHERE deleted_at IS NULL;
    CREATE TRIGGER t_upd AFTER UPDATE OF b ON t WHEN new.b > 10 BEGIN SELECT 1; END;
    CREATE TRIGGER live_del INSTEAD OF DELETE ON live_t BEGIN DELETE FROM t WHERE a = old.a; END;
    CREATE VIRTUAL TABLE docs USING fts5(title, body);
  )sql");
  SCOPED_TRACE(Dump(m));
  using K = ObjectKind;
  EXPECT_EQ(Attr(m, K::kIndex, "t", "t_ab", "unique"), "true");
  EXPECT_EQ(Attr(m, K::kIndex, "t", "t_ab", "method"), "btree");
  EXPECT_EQ(Attr(m, K::kIndex, "t", "t_ab", "keys"), "[\"a\",\"b DESC\"]");
  EXPECT_EQ(Attr(m, K::kIndex, "t", "t_ab", "predicate"), "deleted_at IS NULL");
  EXPECT_EQ(Attr(m, K::kIndex, "t", "t_expr", "unique"), "false");
  EXPECT_EQ(Attr(m, K::kIndex, "t", "t_expr", "keys"),
            "[\"lower(c)\",\"c COLLATE NOCASE\",\"a\",\"a COLLATE BINARY\"]");
  EXPECT_EQ(Attr(m, K::kIndex, "t", "t_expr", "predicate"), "<absent>");
  EXPECT_EQ(Attr(m, K::kView, "", "live_t", "definition"), "SELECT a, b FROM t WHERE deleted_at IS NULL");
  EXPECT_EQ(Attr(m, K::kTrigger, "t", "t_upd", "timing"), "AFTER");
  EXPECT_EQ(Attr(m, K::kTrigger, "t", "t_upd", "events"), "[\"UPDATE OF b\"]");
  EXPECT_EQ(Attr(m, K::kTrigger, "t", "t_upd", "level"), "ROW");
  EXPECT_EQ(Attr(m, K::kTrigger, "t", "t_upd", "when"), "new.b > 10");
  EXPECT_EQ(Attr(m, K::kTrigger, "t", "t_upd", "definition"),
            "CREATE TRIGGER t_upd AFTER UPDATE OF b ON t WHEN new.b > 10 BEGIN SELECT 1; END");
  EXPECT_EQ(Attr(m, K::kTrigger, "live_t", "live_del", "timing"), "INSTEAD OF");
  EXPECT_EQ(Attr(m, K::kTable, "", "docs", "sqlite.virtual"), "USING fts5(title, body)");
  for (const auto& obj : m.objects) {
    EXPECT_FALSE(StartsWith(obj.name, "docs_")) << "shadow table listed: " << obj.Path();
    EXPECT_NE(obj.table, "docs") << "virtual table internals listed: " << obj.Path();
  }
}

TEST(SqliteSchema, BrokenViewsTempObjectsAndTheReadTransaction) {
  ScratchDatabase db("sqlite");
  auto conn = db.Connect();
  ASSERT_TRUE(conn);
  // SQLite keeps a view whose table was dropped; it is still schema.
  ASSERT_TRUE(conn->ExecuteScript("CREATE TABLE a(x); CREATE VIEW v AS SELECT x FROM a; DROP TABLE a;"
                                  "CREATE TABLE b(y); CREATE TEMP TABLE scratchpad(z);"
                                  "CREATE TEMP VIEW tv AS SELECT 1;")
                  .ok());
  SchemaModel m = ReadModel(*conn);
  SCOPED_TRACE(Dump(m));
  EXPECT_NE(m.Find(ObjectKind::kView, "", "", "v"), nullptr);
  EXPECT_NE(m.Find(ObjectKind::kTable, "", "", "b"), nullptr);
  EXPECT_EQ(m.Find(ObjectKind::kTable, "", "", "scratchpad"), nullptr)
      << "temp objects are not the database's";
  EXPECT_EQ(m.Find(ObjectKind::kView, "", "", "tv"), nullptr);
  // Inside the caller's transaction, the caller's uncommitted DDL is seen
  // and the transaction stays open.
  ASSERT_TRUE(conn->Begin().ok());
  ASSERT_TRUE(conn->Execute("CREATE TABLE c(z)").ok());
  SchemaModel in_tx = ReadModel(*conn);
  EXPECT_NE(in_tx.Find(ObjectKind::kTable, "", "", "c"), nullptr);
  ASSERT_TRUE(conn->Rollback().ok());
  EXPECT_EQ(ReadModel(*conn).Find(ObjectKind::kTable, "", "", "c"), nullptr);
}

TEST(SqliteSchema, VirtualTableOfAnUnavailableModule) {
  ScratchDatabase db("sqlite");
  {
    auto conn = db.Connect();
    ASSERT_TRUE(conn);
    // As a database made by a program that had an extension this library
    // lacks: the pragma functions must never be called on that table.
    ASSERT_TRUE(conn->ExecuteScript("CREATE TABLE a(x); PRAGMA writable_schema = ON;"
                                    "INSERT INTO sqlite_schema VALUES ('table', 'z', 'z', 0, "
                                    "'CREATE VIRTUAL TABLE z USING nosuchmodule(a, b)');"
                                    "PRAGMA writable_schema = OFF;")
                    .ok());
  }
  auto conn = db.Connect();
  ASSERT_TRUE(conn);
  SchemaModel m = ReadModel(*conn);
  SCOPED_TRACE(Dump(m));
  EXPECT_EQ(Attr(m, ObjectKind::kTable, "", "z", "sqlite.virtual"), "USING nosuchmodule(a, b)");
  EXPECT_NE(m.Find(ObjectKind::kColumn, "", "a", "x"), nullptr);
}

TEST(SqliteSchema, HostileIdentifiersInEveryObjectKind) {
  const std::vector<std::string> names = {
      "we\"ird", "it's", "with space", "Grüße_表", "select", std::string(64, 'n'), "br]ack`et"};
  ScratchDatabase db("sqlite");
  auto conn = db.Connect();
  ASSERT_TRUE(conn);
  for (size_t i = 0; i < names.size(); ++i) {
    SCOPED_TRACE("name " + names[i]);
    const std::string n = names[i];
    auto q = [&](const std::string& suffix) { return conn->QuoteIdentifier(n + suffix); };
    const std::string parent = q("_p");
    const std::string table = q("");
    const std::string col = q("_c");
    std::string script =
        "CREATE TABLE " + parent + " (" + q("_id") + " INTEGER PRIMARY KEY);\n" + "CREATE TABLE " + table +
        " (" + col + " INTEGER CONSTRAINT " + q("_pk") + " PRIMARY KEY, " + q("_u") + " TEXT CONSTRAINT " +
        q("_uq") + " UNIQUE, " + q("_f") + " INTEGER, CONSTRAINT " + q("_fk") + " FOREIGN KEY (" + q("_f") +
        ") REFERENCES " + parent + " (" + q("_id") + "), CONSTRAINT " + q("_ck") + " CHECK (" + col +
        " > 0), CHECK (" + q("_f") + " <> 7));\n" + "CREATE INDEX " + q("_ix") + " ON " + table + " (" +
        q("_u") + " DESC, lower(" + q("_u") + "));\n" + "CREATE VIEW " + q("_v") + " AS SELECT " + col +
        " AS " + q("_alias") + " FROM " + table + ";\n" + "CREATE TRIGGER " + q("_tr") + " AFTER INSERT ON " +
        table + " BEGIN UPDATE " + table + " SET " + q("_u") + " = 'trig' WHERE " + col + " = new." + col +
        "; END;\n" + "INSERT INTO " + parent + " VALUES (1);\n" + "INSERT INTO " + table +
        " VALUES (5, 'x', 1);\n";
    Status st = conn->ExecuteScript(script);
    ASSERT_TRUE(st.ok()) << st.ToString() << "\n" << script;
    EXPECT_EQ(Scalar(*conn, "SELECT " + q("_u") + " FROM " + table), "trig");
    EXPECT_EQ(Scalar(*conn, "SELECT " + q("_alias") + " FROM " + q("_v")), "5");
  }
  SchemaModel m = ReadModel(*conn);
  const std::string dump = Dump(m);
  SCOPED_TRACE(dump);
  using K = ObjectKind;
  for (const std::string& raw : names) {
    const std::string n = ToLower(raw);  // ASCII lower-casing, as SQLite compares
    SCOPED_TRACE("name " + n);
    EXPECT_NE(m.Find(K::kTable, "", "", n), nullptr);
    EXPECT_NE(m.Find(K::kColumn, "", n, n + "_c"), nullptr);
    EXPECT_EQ(Attr(m, K::kPrimaryKey, n, n + "_pk", "columns"), ListValue({n + "_c"}));
    EXPECT_EQ(Attr(m, K::kColumn, n, n + "_c", "identity"), "rowid");
    EXPECT_EQ(Attr(m, K::kUniqueConstraint, n, n + "_uq", "columns"), ListValue({n + "_u"}));
    EXPECT_EQ(Attr(m, K::kForeignKey, n, n + "_fk", "references"), n + "_p");
    EXPECT_EQ(Attr(m, K::kForeignKey, n, n + "_fk", "references_columns"), ListValue({n + "_id"}));
    EXPECT_EQ(Attr(m, K::kCheckConstraint, n, n + "_ck", "expression"),
              sqlite::RenderIdentifier(n + "_c") + " > 0");
    const std::string derived = "check(" + sqlite::RenderIdentifier(n + "_f") + " <> 7)";
    EXPECT_NE(m.Find(K::kCheckConstraint, "", n, derived), nullptr) << derived;
    EXPECT_EQ(Attr(m, K::kIndex, n, n + "_ix", "keys"),
              ListValue({n + "_u DESC", "lower(" + sqlite::RenderIdentifier(n + "_u") + ")"}));
    EXPECT_NE(m.Find(K::kView, "", "", n + "_v"), nullptr);
    EXPECT_EQ(Attr(m, K::kTrigger, n, n + "_tr", "timing"), "AFTER");
  }
  // Reading the same schema again gives the same model.
  EXPECT_EQ(Dump(ReadModel(*conn)), dump);
}

TEST(SqliteSchema, EquivalentSpellingsGiveIdenticalModels) {
  SchemaModel a = ModelOf(R"sql(
    create table Customers (ID integer primary key, Email varchar( 255 ) not null unique, Since text default (current_timestamp));
    create table "Orders" (
      id INTEGER NOT NULL,
      customer_id INTEGER references customers on delete cascade,
      status TEXT default 'new' check (status in ('new','paid')),
      amount decimal(10,2) CHECK (amount>=0),
      primary key (id)
    );
    create index IX_Orders_Customer on Orders (Customer_ID desc) where status=='paid';
    create view V_Paid as select id,amount from orders where status = 'paid';
    create trigger TRG after insert on orders for each row begin update customers set since = null where id = new.customer_id; end;
  )sql");
  SchemaModel b = ModelOf(R"sql(
    CREATE TABLE orders (
      "ID" INTEGER PRIMARY KEY NOT NULL,   -- primary key inline
      customer_id INTEGER,
      status TEXT DEFAULT ('new'),
      amount DECIMAL(10, 2),
      CHECK ( STATUS IN ( 'new' , 'paid' ) ),
      CONSTRAINT "check(amount >= 0)" CHECK ((amount >= 0)),
      FOREIGN KEY (customer_id) REFERENCES customers (id) ON DELETE CASCADE
    );
    CREATE TABLE customers (id INTEGER, email VARCHAR(255) NOT NULL, since TEXT DEFAULT CURRENT_TIMESTAMP,
                            PRIMARY KEY (id), UNIQUE (email));
    CREATE INDEX ix_orders_customer ON orders(customer_id DESC) WHERE status = 'paid';
    CREATE VIEW v_paid AS
      SELECT id, amount
        FROM orders
       WHERE status = 'paid';
    CREATE TRIGGER trg AFTER INSERT ON orders BEGIN
      UPDATE customers SET since = NULL WHERE id = new.customer_id;
    END;
  )sql");
  EXPECT_EQ(DriftLines(a, b), std::set<std::string>{}) << "A:\n" << Dump(a) << "B:\n" << Dump(b);
  EXPECT_EQ(Dump(a), Dump(b));
}

TEST(SqliteSchema, FixtureShopLoadsAndReads) {
  ScratchDatabase db("sqlite");
  auto conn = db.Connect();
  ASSERT_TRUE(conn);
  const std::string script = testing::ReadFileOrDie(testing::SourceDir() + "/fixtures/sqlite/shop.sql");
  ASSERT_FALSE(script.empty());
  Status st = conn->ExecuteScript(script);
  ASSERT_TRUE(st.ok()) << st.ToString();
  SchemaModel m = ReadModel(*conn);
  SCOPED_TRACE(Dump(m));
  using K = ObjectKind;
  for (const char* table : {"customers", "products", "orders", "order_items", "payments"}) {
    EXPECT_NE(m.Find(K::kTable, "", "", table), nullptr) << table;
    EXPECT_NE(Scalar(*conn, std::string("SELECT count(*) FROM ") + table), "0") << table << " has rows";
  }
  EXPECT_EQ(Attr(m, K::kPrimaryKey, "order_items", "pk", "columns"), "[\"order_id\",\"product_id\"]");
  int fks = 0, views = 0, triggers = 0, checks = 0, partial_or_expr = 0;
  for (const auto& obj : m.objects) {
    fks += obj.kind == K::kForeignKey;
    views += obj.kind == K::kView;
    triggers += obj.kind == K::kTrigger;
    checks += obj.kind == K::kCheckConstraint;
    if (obj.kind == K::kIndex &&
        (obj.attributes.count("predicate") || obj.attributes.at("keys").find('(') != std::string::npos)) {
      ++partial_or_expr;
    }
    if (obj.kind == K::kForeignKey) {
      EXPECT_TRUE(obj.attributes.at("on_delete") != "NO ACTION" ||
                  obj.attributes.at("on_update") != "NO ACTION")
          << obj.Path() << " has no action";
    }
  }
  EXPECT_GE(fks, 4);
  EXPECT_GE(views, 1);
  EXPECT_GE(triggers, 1);
  EXPECT_GE(checks, 2);
  EXPECT_GE(partial_or_expr, 2);
  // The foreign keys hold on the sample rows.
  EXPECT_TRUE(QueryAll(*conn, "PRAGMA foreign_key_check").empty());
}

TEST(SqliteSchema, MalformedSchemaIsAClearErrorNotAPartialModel) {
  ScratchDatabase db("sqlite");
  {
    auto conn = db.Connect();
    ASSERT_TRUE(conn);
    // writable_schema plants a definition SQLite itself cannot load.
    ASSERT_TRUE(conn->ExecuteScript("CREATE TABLE t(a INT); CREATE TABLE u(b INT);").ok());
    ASSERT_TRUE(conn->ExecuteScript("PRAGMA writable_schema = ON;"
                                    "UPDATE sqlite_schema SET sql = 'CREATE TABLE t(a INT,' WHERE name = 't';"
                                    "PRAGMA writable_schema = OFF;")
                    .ok());
  }
  auto fresh = Sqlite()->Connect(db.uri());
  ASSERT_FALSE(fresh.ok()) << "a database whose schema cannot be read must not open as if it were fine";
  EXPECT_EQ(fresh.status().code(), StatusCode::kInvalidInput) << fresh.status().ToString();
  EXPECT_NE(fresh.status().message().find(db.uri().database()), std::string::npos)
      << fresh.status().message();
  EXPECT_NE(fresh.status().message().find("malformed"), std::string::npos) << fresh.status().message();
}

}  // namespace
}  // namespace cutover
