// SQLite driver tests: the DDL parser (unit), then the plugin through the real
// loader: connections and their failures, scratch databases, quoting, typed
// streaming results, timeouts, schema reading and normalization, the shop
// fixture and the drift corpus of tests/drift_corpus/sqlite.
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <limits>
#include <map>
#include <random>
#include <regex>
#include <set>
#include <span>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "base/content_digest.h"
#include "base/strings.h"
#include "schema/drift.h"
#include "schema/fingerprint.h"
#include "sqlite_bulk_record.h"
#include "sqlite_ddl_parse.h"
#include "support/process.h"
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

// Keywords as column names inside table constraints (issue 14: a public
// application's "UNIQUE (key, ...)" then CHECK made schema, and so snapshot,
// fail). SQLite accepts each of these; checked with the sqlite3 shell.
TEST(SqliteParser, KeywordsAsNamesInsideTableConstraints) {
  auto t = sqlite::ParseCreateTable(
      "CREATE TABLE settings (id INTEGER PRIMARY KEY, key TEXT NOT NULL, value TEXT, scope TEXT, asc INT, "
      "desc INT, action TEXT, UNIQUE (key, scope), UNIQUE (desc, asc DESC), CHECK (length(key) > 0), "
      "FOREIGN KEY (action) REFERENCES actions (key) ON DELETE CASCADE)");
  ASSERT_TRUE(t.ok()) << t.status().ToString();
  std::vector<const sqlite::ParsedConstraint*> unique, fk;
  for (const auto& c : t->constraints) {
    if (c.kind == sqlite::ConstraintKind::kUnique) unique.push_back(&c);
    if (c.kind == sqlite::ConstraintKind::kForeignKey) fk.push_back(&c);
  }
  ASSERT_EQ(unique.size(), 2u);
  ASSERT_EQ(unique[0]->keys.size(), 2u);
  EXPECT_EQ(unique[0]->keys[0].column, "key");
  EXPECT_EQ(unique[0]->keys[1].column, "scope");
  ASSERT_EQ(unique[1]->keys.size(), 2u);
  EXPECT_EQ(unique[1]->keys[0].column, "desc") << "a column named desc, not an empty key sorted DESC";
  EXPECT_FALSE(unique[1]->keys[0].desc);
  EXPECT_EQ(unique[1]->keys[1].column, "asc");
  EXPECT_TRUE(unique[1]->keys[1].desc);
  ASSERT_EQ(fk.size(), 1u);
  EXPECT_EQ(fk[0]->keys[0].column, "action");
  auto pk = sqlite::ParseCreateTable(
      "CREATE TABLE t (key TEXT, value TEXT, PRIMARY KEY (key, value) ON CONFLICT REPLACE)");
  ASSERT_TRUE(pk.ok()) << pk.status().ToString();
  EXPECT_EQ(pk->constraints[0].keys[0].column, "key");
  // The literal keywords stay values: an expression, which a key list refuses.
  EXPECT_FALSE(sqlite::ParseCreateTable("CREATE TABLE t (a INT, UNIQUE (NULL))").ok());
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
    fs::remove_all(uri_.path(), ec);
  }
  const ConnectionUri& uri() const { return uri_; }
  std::string path(const std::string& name) const { return uri_.path() + "/" + name; }

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
  const std::string original = testing::ReadFileOrDie(db.uri().path());
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
  const std::string path = db.uri().path();
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
  std::string relative = fs::relative(db.uri().path()).string();
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
  auto conn = Open(FileUri(db.uri().path(), "?mode=ro"));
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
  EXPECT_EQ(created->path(), file);
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
  auto waiter = Open(FileUri(db.uri().path(), "?busy_timeout=1000"));
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
  EXPECT_NE(fresh.status().message().find(db.uri().path()), std::string::npos) << fresh.status().message();
  EXPECT_NE(fresh.status().message().find("malformed"), std::string::npos) << fresh.status().message();
}

// ===========================================================================
// Driver API v2: SplitScript, snapshots, bulk data, integrity
// ===========================================================================

std::vector<ScriptStatement> SplitOk(const std::string& script) {
  auto r = Sqlite()->SplitScript(script);
  EXPECT_TRUE(r.ok()) << script << ": " << r.status().ToString();
  return r.ok() ? *r : std::vector<ScriptStatement>{};
}
std::vector<std::string> SplitTexts(const std::string& script) {
  std::vector<std::string> out;
  for (const auto& s : SplitOk(script)) out.push_back(s.text);
  return out;
}

TEST(SqliteSplitScript, QuotesCommentsAndTriggerBodies) {
  using V = std::vector<std::string>;
  EXPECT_EQ(SplitTexts("SELECT 1; SELECT 2;"), (V{"SELECT 1", "SELECT 2"}));
  EXPECT_EQ(SplitTexts(";;  \n;"), V{});
  EXPECT_EQ(SplitTexts(""), V{});
  EXPECT_EQ(SplitTexts("-- only a comment\n/* and another */"), V{});
  // A last statement without ';' is kept.
  EXPECT_EQ(SplitTexts("SELECT 1;\nSELECT 2"), (V{"SELECT 1", "SELECT 2"}));
  // ';' inside strings, identifiers of every quoting style and comments.
  EXPECT_EQ(SplitTexts("SELECT 'a;b', 'it''s;'; SELECT \"c;\"\"d\", `e;f`, [g;h]; SELECT x'3b'"),
            (V{"SELECT 'a;b', 'it''s;'", "SELECT \"c;\"\"d\", `e;f`, [g;h]", "SELECT x'3b'"}));
  EXPECT_EQ(SplitTexts("SELECT 1 -- not; a split\n, 2; /* nor; this */ SELECT 3;"),
            (V{"SELECT 1 -- not; a split\n, 2", "SELECT 3"}));
  // Trailing comments before ';' are not part of the statement (appending
  // ';' must not land in a comment).
  EXPECT_EQ(SplitTexts("SELECT 1 -- trailing\n;"), V{"SELECT 1"});
  // A trigger body's ';' do not split; its END; does.
  const std::string trigger =
      "CREATE TRIGGER tr AFTER INSERT ON t BEGIN\n  INSERT INTO log VALUES (new.id);\n  UPDATE c SET n = n + "
      "1;\nEND";
  EXPECT_EQ(SplitTexts("CREATE TABLE t(id);\n" + trigger + ";\nSELECT 1;"),
            (V{"CREATE TABLE t(id)", trigger, "SELECT 1"}));
  EXPECT_EQ(
      SplitTexts("CREATE TEMP TRIGGER x BEFORE DELETE ON t BEGIN SELECT RAISE(ABORT, 'no;'); END; SELECT 2"),
      (V{"CREATE TEMP TRIGGER x BEFORE DELETE ON t BEGIN SELECT RAISE(ABORT, 'no;'); END", "SELECT 2"}));
  // Words that only look like trigger keywords.
  EXPECT_EQ(SplitTexts("SELECT 'CREATE TRIGGER' AS begin; SELECT 1 AS \"end\";"),
            (V{"SELECT 'CREATE TRIGGER' AS begin", "SELECT 1 AS \"end\""}));
}

TEST(SqliteSplitScript, LineNumbersAreThoseOfTheFirstSignificantCharacter) {
  auto r = SplitOk(
      "\n\n-- c\nSELECT 'a\nb';\n/* x\ny */\n\n  SELECT 2; SELECT 3;\r\n\r\nCREATE TRIGGER t AFTER "
      "INSERT ON x BEGIN\nSELECT 1;\nEND;");
  ASSERT_EQ(r.size(), 4u);
  EXPECT_EQ(r[0].line, 4);
  EXPECT_EQ(r[1].line, 9);
  EXPECT_EQ(r[2].line, 9);
  EXPECT_EQ(r[3].line, 11);
}

TEST(SqliteSplitScript, UnterminatedInputIsInvalidInputNamingTheLine) {
  struct Bad {
    std::string script;
    std::string needle;
  };
  for (const Bad& b : {Bad{"SELECT 1;\nSELECT 'abc;\n", "line 2"}, Bad{"SELECT \"x", "line 1"},
                       Bad{"\n\nSELECT `x", "line 3"}, Bad{"SELECT [x;\n", "line 1"},
                       Bad{"SELECT 1;\n\n /* never closed\n;", "line 3"},
                       Bad{"SELECT 1;\nCREATE TRIGGER t AFTER INSERT ON x BEGIN\n SELECT 1;\n", "line 2"},
                       Bad{"SELECT 1;\nCREATE TRIGGER t AFTER INSERT ON x BEGIN SELECT 1; END -- no ;\n"
                           "CREATE TABLE y(a);",
                           "line 2"},
                       Bad{std::string("SELECT 1;\nSELECT '\0';", 21), "NUL byte at line 2"}}) {
    auto r = Sqlite()->SplitScript(b.script);
    ASSERT_FALSE(r.ok()) << b.script;
    EXPECT_EQ(r.status().code(), StatusCode::kInvalidInput) << r.status().ToString();
    EXPECT_NE(r.status().message().find(b.needle), std::string::npos) << r.status().message();
  }
}

TEST(SqliteSplitScript, AgreesWithExecuteScriptOnTheShopFixture) {
  const std::string fixture = testing::ReadFileOrDie(testing::SourceDir() + "/fixtures/sqlite/shop.sql");
  auto parts = SplitOk(fixture);
  ASSERT_FALSE(parts.empty());
  // Running the pieces one by one builds the same schema as the whole script.
  ScratchDatabase db("sqlite");
  auto conn = db.Connect();
  ASSERT_TRUE(conn);
  for (const auto& p : parts) {
    auto r = conn->Execute(p.text);
    ASSERT_TRUE(r.ok()) << "line " << p.line << ": " << r.status().ToString();
  }
  EXPECT_EQ(ReadModel(*conn).objects.size(), ModelOf(fixture).objects.size());
}

// ---------------------------------------------------------------------------
// The record format

TEST(SqliteRecord, EncodesEveryStorageClassAndDecodesItBack) {
  sqlite::record::Writer w;
  w.Begin(sqlite::record::kHeaderRowidAndColumns);
  const std::vector<std::int64_t> ints = {0,
                                          1,
                                          -1,
                                          63,
                                          -64,
                                          64,
                                          300,
                                          std::numeric_limits<std::int64_t>::max(),
                                          std::numeric_limits<std::int64_t>::min()};
  for (std::int64_t v : ints) w.Integer(v);
  const double neg_zero = -0.0;
  w.Real(neg_zero);
  w.Real(std::numeric_limits<double>::infinity());
  w.Null();
  w.Bytes(sqlite::record::Tag::kText, "", 0);
  w.Bytes(sqlite::record::Tag::kBlob, "", 0);
  w.Bytes(sqlite::record::Tag::kBlob, "a\0b", 3);
  const std::string big_text(100000, 't');
  w.Bytes(sqlite::record::Tag::kText, big_text.data(), big_text.size());
  const std::string rec(w.view());
  sqlite::record::Reader r(rec);
  bool has_rowid = false;
  ASSERT_TRUE(r.ReadHeader(&has_rowid));
  EXPECT_TRUE(has_rowid);
  sqlite::record::Cell c;
  for (std::int64_t v : ints) {
    ASSERT_TRUE(r.Next(&c)) << r.error();
    EXPECT_EQ(c.tag, sqlite::record::Tag::kInteger);
    EXPECT_EQ(c.integer, v);
  }
  ASSERT_TRUE(r.Next(&c));
  EXPECT_EQ(c.tag, sqlite::record::Tag::kReal);
  EXPECT_TRUE(std::signbit(c.real)) << "-0.0 keeps its sign bit";
  ASSERT_TRUE(r.Next(&c));
  EXPECT_TRUE(std::isinf(c.real));
  ASSERT_TRUE(r.Next(&c));
  EXPECT_EQ(c.tag, sqlite::record::Tag::kNull);
  ASSERT_TRUE(r.Next(&c));
  EXPECT_EQ(c.tag, sqlite::record::Tag::kText);
  EXPECT_TRUE(c.bytes.empty());
  ASSERT_TRUE(r.Next(&c));
  EXPECT_EQ(c.tag, sqlite::record::Tag::kBlob);
  EXPECT_TRUE(c.bytes.empty());
  ASSERT_TRUE(r.Next(&c));
  EXPECT_EQ(c.bytes, std::string_view("a\0b", 3));
  ASSERT_TRUE(r.Next(&c));
  EXPECT_EQ(c.bytes, big_text);
  EXPECT_TRUE(r.AtEnd());
  // Small integers are small; the writer's buffer is reused.
  w.Begin(sqlite::record::kHeaderColumns);
  w.Integer(-1);
  EXPECT_EQ(w.view(), std::string_view("\xC1\x01\x01", 3));

  // Every proper prefix is truncated, never read past its end.
  for (size_t n = 0; n < rec.size(); ++n) {
    sqlite::record::Reader t(std::string_view(rec).substr(0, n));
    bool ok = t.ReadHeader(&has_rowid);
    size_t cells = 0;
    while (ok && cells < ints.size() + 7) {
      ok = t.Next(&c);
      cells += ok ? 1 : 0;
    }
    EXPECT_FALSE(ok && t.AtEnd()) << "prefix of " << n << " bytes decoded as complete";
    EXPECT_FALSE(t.error().empty());
  }
  // An integer longer than 64 bits, an unknown cell type, a bad header.
  const std::string too_big("\xC1\x01\xff\xff\xff\xff\xff\xff\xff\xff\xff\x7f", 12);
  sqlite::record::Reader big(too_big);
  ASSERT_TRUE(big.ReadHeader(&has_rowid));
  EXPECT_FALSE(big.Next(&c));
  EXPECT_NE(big.error().find("overflows"), std::string::npos) << big.error();
  const std::string bad_type("\xC1\x09", 2);
  sqlite::record::Reader unknown(bad_type);
  ASSERT_TRUE(unknown.ReadHeader(&has_rowid));
  EXPECT_FALSE(unknown.Next(&c));
  EXPECT_NE(unknown.error().find("unknown cell type 0x09"), std::string::npos) << unknown.error();
  sqlite::record::Reader header("xyz");
  EXPECT_FALSE(header.ReadHeader(&has_rowid));
}

// ---------------------------------------------------------------------------
// Snapshot, dump and restore

using Taken = testing::DriverSnapshot;

Taken TakeSnapshot(Connection& conn) {
  return TakeDriverSnapshot(conn);
}

// The records of `t` as a multiset: SQLite exports in rowid order, but the
// comparisons here do not depend on it.
std::multiset<std::string> ExportAll(Connection& conn, const DataTable& t,
                                     const std::string& predicate = "") {
  return Bag(ExportRecords(conn, t, predicate));
}

// Restores `s` into the empty database `into` the way the core does, then
// checks the restore test's promises: same fingerprint, same records.
void RestoreAndCompare(const Taken& s, Connection& into) {
  auto empty = into.IsEmptyDatabase();
  ASSERT_TRUE(empty.ok()) << empty.status().ToString();
  ASSERT_TRUE(*empty);
  // The scripts split cleanly (the core shows and runs them statement by statement).
  EXPECT_TRUE(Sqlite()->SplitScript(s.script.pre_data).ok());
  EXPECT_TRUE(Sqlite()->SplitScript(s.script.post_data).ok());
  Status pre = into.ExecuteScript(s.script.pre_data);
  ASSERT_TRUE(pre.ok()) << pre.ToString() << "\n" << s.script.pre_data;
  for (const DataTable& t : s.tables) {
    const auto& rows = s.records.at(t.name);
    auto n = ImportRecords(into, t, rows);
    ASSERT_TRUE(n.ok()) << t.name << ": " << n.status().ToString();
    EXPECT_EQ(*n, static_cast<std::int64_t>(rows.size())) << t.name;
  }
  Status post = into.ExecuteScript(s.script.post_data);
  ASSERT_TRUE(post.ok()) << post.ToString() << "\n" << s.script.post_data;
  SchemaModel restored = ReadModel(into);
  EXPECT_EQ(Fingerprint(restored), Fingerprint(s.model))
      << DriftLines(s.model, restored).size() << " drift lines";
  for (const auto& line : DriftLines(s.model, restored)) ADD_FAILURE() << "drift: " << line;
  auto tables = into.ListDataTables();
  ASSERT_TRUE(tables.ok()) << tables.status().ToString();
  ASSERT_EQ(tables->size(), s.tables.size());
  for (size_t i = 0; i < s.tables.size(); ++i) {
    EXPECT_EQ((*tables)[i].name, s.tables[i].name);
    EXPECT_EQ((*tables)[i].columns, s.tables[i].columns);
    EXPECT_EQ((*tables)[i].split_column, s.tables[i].split_column);
    EXPECT_TRUE(ExportAll(into, s.tables[i]) == Bag(s.records.at(s.tables[i].name)))
        << "re-exported records of " << s.tables[i].name << " differ";
  }
  std::string checks;
  auto problems = into.CheckIntegrity(&checks);
  ASSERT_TRUE(problems.ok()) << problems.status().ToString();
  EXPECT_TRUE(problems->empty()) << Join(*problems, "\n");
}

// Snapshots the database of `source`, restores it into a new scratch
// database and compares; returns the restored database.
std::unique_ptr<ScratchDatabase> RoundTrip(Connection& source, Taken* taken = nullptr) {
  Taken s = TakeSnapshot(source);
  auto db = std::make_unique<ScratchDatabase>("sqlite");
  auto into = db->Connect();
  EXPECT_TRUE(into);
  if (into) RestoreAndCompare(s, *into);
  if (taken != nullptr) *taken = std::move(s);
  return db;
}

const DataTable* FindTable(const std::vector<DataTable>& tables, const std::string& name) {
  for (const auto& t : tables) {
    if (t.name == name) return &t;
  }
  ADD_FAILURE() << "no data table " << name;
  return nullptr;
}

TEST(SqliteData, EveryStorageClassAndEdgeValueRoundTripsExactly) {
  ScratchDatabase db("sqlite");
  auto conn = db.Connect();
  ASSERT_TRUE(conn);
  // Columns of every affinity, a STRICT table, values of every storage class.
  ASSERT_TRUE(conn->ExecuteScript(R"sql(
    CREATE TABLE v (id INTEGER PRIMARY KEY, i INTEGER, r REAL, t TEXT, b BLOB, n NUMERIC, x);
    CREATE TABLE s (id INTEGER PRIMARY KEY, a ANY, i INTEGER, t TEXT) STRICT;
    INSERT INTO v (id, i, r, t, b, n, x) VALUES
      (1, 9223372036854775807, 1.0, '1', X'00ff00', '1.0', 1),
      (2, -9223372036854775808, -0.0, '', X'', ' 12 ', 1.0),
      (3, '1', 1, 'text', '', '1e3', '1'),
      (4, 'abc', 1e999, CAST(X'ff00fe' AS TEXT), NULL, 'x', -0.0),
      (5, 1.5, -1e999, 'üñí €😀', 'a', 1.5, X''),
      (6, NULL, 0.0/0, NULL, 2, 9223372036854775808, ''),
      (7, 2.0, 5e-324, 'line
break', 'tab	', 123456789012345678901234567890, NULL),
      (8, '0x10', 1.7976931348623157e308, '0', 3.25, '-0', 9223372036854775807);
    INSERT INTO s VALUES (1, '1', 1, '1'), (2, 1, 2, 'x'), (3, 1.0, 3, ''), (4, X'01', 4, 'y'), (5, NULL, 5, NULL);
  )sql")
                  .ok());
  // A huge text and a blob with every byte value.
  std::string huge(10 * 1024 * 1024, 'h');
  huge[12345] = '\0';
  ASSERT_TRUE(
      conn->Execute(
              "INSERT INTO v (id, t, b) VALUES (9, CAST(zeroblob(10485760) AS TEXT), randomblob(70000))")
          .ok());
  const std::string typeof_query =
      "SELECT id, typeof(i), quote(i), typeof(r), quote(r), typeof(t), hex(t), typeof(b), "
      "hex(b), typeof(n), quote(n), typeof(x), hex(x) FROM v ORDER BY id";
  Rows before = QueryAll(*conn, typeof_query);
  Rows strict_before =
      QueryAll(*conn, "SELECT id, typeof(a), quote(a), quote(i), quote(t) FROM s ORDER BY id");
  // Affinity applied on the way in: '1' in an INTEGER column is the integer
  // 1, but in a column without affinity it stays text.
  EXPECT_EQ(before[2][1].data, "integer");
  EXPECT_EQ(before[2][11].data, "text");
  EXPECT_EQ(before[0][11].data, "integer");
  EXPECT_EQ(before[1][11].data, "real");

  Taken taken;
  auto restored = RoundTrip(*conn, &taken);
  auto back = restored->Connect();
  ASSERT_TRUE(back);
  EXPECT_EQ(QueryAll(*back, typeof_query), before);
  EXPECT_EQ(QueryAll(*back, "SELECT id, typeof(a), quote(a), quote(i), quote(t) FROM s ORDER BY id"),
            strict_before);
  EXPECT_EQ(Scalar(*back, "SELECT length(CAST(t AS BLOB)) FROM v WHERE id = 9"), "10485760");
  // -0.0 in the column without affinity keeps its sign (1/x is -inf).
  EXPECT_EQ(Scalar(*back, "SELECT 1 / x < 0 FROM v WHERE id = 4"),
            Scalar(*conn, "SELECT 1 / x < 0 FROM v WHERE id = 4"));
  const DataTable* v = FindTable(taken.tables, "v");
  ASSERT_NE(v, nullptr);
  EXPECT_EQ(v->columns, (std::vector<std::string>{"id", "i", "r", "t", "b", "n", "x"}));
  EXPECT_EQ(v->split_column, "id");
  EXPECT_GT(v->estimated_bytes, 10 * 1024 * 1024);
  EXPECT_GE(v->estimated_rows, 9);
}

TEST(SqliteData, HostileNamesAndRowidsWithoutAnAlias) {
  ScratchDatabase db("sqlite");
  auto conn = db.Connect();
  ASSERT_TRUE(conn);
  ASSERT_TRUE(conn->ExecuteScript(R"sql(
    CREATE TABLE "select" ("from" INTEGER PRIMARY KEY, "dq""uote" TEXT, [sq'uote] BLOB, "semi;colon--x" INT);
    CREATE TABLE "wïth spâce 😀" ("a b" TEXT, "rowid" TEXT, "_rowid_" TEXT);
    CREATE TABLE all_shadowed ("rowid" INT, "_rowid_" INT, "oid" INT);
    CREATE TABLE plain (v TEXT);
    INSERT INTO "select" VALUES (1, 'it''s', X'22', 1), (2, '"', NULL, 2);
    INSERT INTO "wïth spâce 😀" (oid, "a b", rowid, _rowid_) VALUES (7, 'x', 'r', 'u'), (1000000, 'y', NULL, NULL);
    INSERT INTO all_shadowed VALUES (1, 2, 3);
    INSERT INTO plain (rowid, v) VALUES (5, 'five'), (10, 'ten'), (-3, 'minus three');
    DELETE FROM plain WHERE rowid = 10;
  )sql")
                  .ok());
  Taken taken;
  auto restored = RoundTrip(*conn, &taken);
  ASSERT_EQ(taken.tables.size(), 4u);
  // Byte-wise name order.
  EXPECT_EQ(taken.tables[0].name, "all_shadowed");
  EXPECT_EQ(taken.tables[1].name, "plain");
  EXPECT_EQ(taken.tables[2].name, "select");
  EXPECT_EQ(taken.tables[3].name, "wïth spâce 😀");
  EXPECT_EQ(taken.tables[2].split_column, "from");
  EXPECT_TRUE(taken.tables[1].split_column.empty());
  auto back = restored->Connect();
  ASSERT_TRUE(back);
  // Rowids of tables without an INTEGER PRIMARY KEY survive, also when
  // "rowid" itself is a column name.
  EXPECT_EQ(QueryAll(*back, "SELECT rowid, v FROM plain ORDER BY rowid"),
            QueryAll(*conn, "SELECT rowid, v FROM plain ORDER BY rowid"));
  EXPECT_EQ(QueryAll(*back, "SELECT oid, \"a b\", rowid, _rowid_ FROM \"wïth spâce 😀\" ORDER BY oid"),
            QueryAll(*conn, "SELECT oid, \"a b\", rowid, _rowid_ FROM \"wïth spâce 😀\" ORDER BY oid"));
  EXPECT_EQ(Scalar(*back, "SELECT \"oid\" FROM all_shadowed"), "3");
}

TEST(SqliteData, AutoincrementPositionsUserVersionAndStatisticsArePreserved) {
  ScratchDatabase db("sqlite");
  auto conn = db.Connect();
  ASSERT_TRUE(conn);
  ASSERT_TRUE(conn->ExecuteScript(R"sql(
    CREATE TABLE a (id INTEGER PRIMARY KEY AUTOINCREMENT, v TEXT);
    CREATE TABLE "b ""q" (id INTEGER PRIMARY KEY AUTOINCREMENT, v TEXT);
    CREATE INDEX a_v ON a (v);
    INSERT INTO a (v) VALUES ('1'), ('2'), ('3');
    DELETE FROM a WHERE id > 1;
    INSERT INTO "b ""q" (id, v) VALUES (41, 'x');
    UPDATE sqlite_sequence SET seq = 1000 WHERE name = 'b "q';
    PRAGMA user_version = 42;
    PRAGMA application_id = 1234567;
    ANALYZE;
  )sql")
                  .ok());
  Taken taken;
  auto restored = RoundTrip(*conn, &taken);
  auto back = restored->Connect();
  ASSERT_TRUE(back);
  EXPECT_EQ(QueryAll(*back, "SELECT name, seq FROM sqlite_sequence ORDER BY name"),
            QueryAll(*conn, "SELECT name, seq FROM sqlite_sequence ORDER BY name"));
  ASSERT_TRUE(back->Execute("INSERT INTO a (v) VALUES ('next')").ok());
  EXPECT_EQ(Scalar(*back, "SELECT max(id) FROM a"), "4") << "AUTOINCREMENT must not reuse ids 2 and 3";
  EXPECT_EQ(Scalar(*back, "PRAGMA user_version"), "42");
  EXPECT_EQ(Scalar(*back, "PRAGMA application_id"), "1234567");
  EXPECT_EQ(QueryAll(*back, "SELECT tbl, idx, stat FROM sqlite_stat1 ORDER BY tbl, idx"),
            QueryAll(*conn, "SELECT tbl, idx, stat FROM sqlite_stat1 ORDER BY tbl, idx"));
  // The script is split where the data goes: no index before the rows.
  EXPECT_EQ(taken.script.pre_data.find("CREATE INDEX"), std::string::npos) << taken.script.pre_data;
  EXPECT_NE(taken.script.post_data.find("CREATE INDEX"), std::string::npos) << taken.script.post_data;
}

TEST(SqliteData, TriggersDoNotFireDuringTheLoadAndGeneratedColumnsAreRecomputed) {
  ScratchDatabase db("sqlite");
  auto conn = db.Connect();
  ASSERT_TRUE(conn);
  ASSERT_TRUE(conn->ExecuteScript(R"sql(
    CREATE TABLE t (id INTEGER PRIMARY KEY, a INT, twice INT GENERATED ALWAYS AS (a * 2) VIRTUAL,
                    label TEXT AS ('#' || a) STORED, b TEXT);
    CREATE TABLE log (n INTEGER PRIMARY KEY, what TEXT);
    CREATE TRIGGER t_ins AFTER INSERT ON t BEGIN INSERT INTO log (what) VALUES ('insert ' || new.id); END;
    CREATE VIEW v AS SELECT id, twice FROM t;
    CREATE TRIGGER v_ins INSTEAD OF INSERT ON v BEGIN INSERT INTO t (id, a) VALUES (new.id, new.twice / 2); END;
    INSERT INTO t (id, a, b) VALUES (1, 10, 'x'), (2, 20, 'y');
    INSERT INTO v (id, twice) VALUES (3, 60);
  )sql")
                  .ok());
  ASSERT_EQ(Scalar(*conn, "SELECT count(*) FROM log"), "3");
  Taken taken;
  auto restored = RoundTrip(*conn, &taken);
  const DataTable* t = FindTable(taken.tables, "t");
  ASSERT_NE(t, nullptr);
  EXPECT_EQ(t->columns, (std::vector<std::string>{"id", "a", "b"})) << "generated columns are not dumped";
  auto back = restored->Connect();
  ASSERT_TRUE(back);
  EXPECT_EQ(QueryAll(*back, "SELECT * FROM log ORDER BY n"), QueryAll(*conn, "SELECT * FROM log ORDER BY n"))
      << "the load fired the trigger";
  EXPECT_EQ(QueryAll(*back, "SELECT id, twice, label FROM t ORDER BY id"),
            QueryAll(*conn, "SELECT id, twice, label FROM t ORDER BY id"));
  // The triggers work after the restore.
  ASSERT_TRUE(back->Execute("INSERT INTO v (id, twice) VALUES (4, 8)").ok());
  EXPECT_EQ(Scalar(*back, "SELECT count(*) FROM log"), "4");
}

TEST(SqliteData, WithoutRowidStrictAndPageSizeRoundTrip) {
  ScratchDatabase db("sqlite");
  auto conn = db.Connect();
  ASSERT_TRUE(conn);
  ASSERT_TRUE(conn->ExecuteScript(R"sql(
    PRAGMA page_size = 8192;
    CREATE TABLE kv (k TEXT PRIMARY KEY, v BLOB) WITHOUT ROWID;
    CREATE TABLE kk (a INT, b TEXT, c REAL, PRIMARY KEY (b DESC, a)) WITHOUT ROWID, STRICT;
    CREATE TABLE desc_pk (id INTEGER PRIMARY KEY DESC, v TEXT);
    INSERT INTO kv VALUES ('b', X'01'), ('a', NULL), ('', X'');
    INSERT INTO kk VALUES (1, 'x', 1.5), (2, 'x', NULL), (1, 'y', -0.0);
    INSERT INTO desc_pk VALUES (5, 'five'), (1, 'one');
  )sql")
                  .ok());
  Taken taken;
  auto restored = RoundTrip(*conn, &taken);
  for (const DataTable& t : taken.tables) {
    // Only a true rowid alias splits; INTEGER PRIMARY KEY DESC is none.
    EXPECT_TRUE(t.split_column.empty()) << t.name;
  }
  auto back = restored->Connect();
  ASSERT_TRUE(back);
  EXPECT_EQ(Scalar(*back, "PRAGMA page_size"), "8192");
  EXPECT_EQ(QueryAll(*back, "SELECT rowid, * FROM desc_pk ORDER BY id"),
            QueryAll(*conn, "SELECT rowid, * FROM desc_pk ORDER BY id"));
}

TEST(SqliteData, Utf16DatabasesKeepTheirEncodingAndText) {
  ScratchDatabase db("sqlite");
  auto conn = db.Connect();
  ASSERT_TRUE(conn);
  ASSERT_TRUE(
      conn->ExecuteScript("PRAGMA encoding = 'UTF-16le';"
                          "CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT, b BLOB);"
                          "INSERT INTO t VALUES (1, 'caf\xc3\xa9 \xf0\x9f\x98\x80', X'00d8'), (2, '', NULL);")
          .ok());
  ASSERT_EQ(Scalar(*conn, "PRAGMA encoding"), "UTF-16le");
  auto restored = RoundTrip(*conn);
  auto back = restored->Connect();
  ASSERT_TRUE(back);
  EXPECT_EQ(Scalar(*back, "PRAGMA encoding"), "UTF-16le");
  EXPECT_EQ(QueryAll(*back, "SELECT id, hex(v), hex(b) FROM t ORDER BY id"),
            QueryAll(*conn, "SELECT id, hex(v), hex(b) FROM t ORDER BY id"));
}

TEST(SqliteData, Fts5AndRtreeVirtualTablesRoundTripThroughTheirStorageTables) {
  ScratchDatabase db("sqlite");
  auto conn = db.Connect();
  ASSERT_TRUE(conn);
  ASSERT_TRUE(conn->ExecuteScript(R"sql(
    CREATE VIRTUAL TABLE docs USING fts5(title, body);
    INSERT INTO docs (rowid, title, body) VALUES (3, 'cutover', 'verified snapshots of databases'),
                                                 (9, 'drift', 'schema drift between databases');
    CREATE VIRTUAL TABLE box USING rtree(id, minx, maxx);
    INSERT INTO box VALUES (1, 0, 10), (2, 5, 15);
    CREATE TABLE plain (id INTEGER PRIMARY KEY);
  )sql")
                  .ok());
  Taken taken;
  auto restored = RoundTrip(*conn, &taken);
  std::set<std::string> names;
  for (const auto& t : taken.tables) names.insert(t.name);
  EXPECT_EQ(names.count("docs"), 0u) << "the virtual table itself is not a data table";
  EXPECT_EQ(names.count("docs_data"), 1u);
  EXPECT_EQ(names.count("box_node"), 1u);
  auto back = restored->Connect();
  ASSERT_TRUE(back);
  EXPECT_EQ(QueryAll(*back, "SELECT rowid, title FROM docs WHERE docs MATCH 'databases' ORDER BY rowid"),
            (Rows{{{CellType::kInteger, "3"}, {CellType::kText, "cutover"}},
                  {{CellType::kInteger, "9"}, {CellType::kText, "drift"}}}));
  EXPECT_EQ(Scalar(*back, "SELECT group_concat(id) FROM box WHERE maxx >= 12"), "2");
  ASSERT_TRUE(back->Execute("INSERT INTO docs (title, body) VALUES ('new', 'more databases')").ok());
  EXPECT_EQ(Scalar(*back, "SELECT count(*) FROM docs WHERE docs MATCH 'databases'"), "3");
  auto check = back->Execute("INSERT INTO docs (docs) VALUES ('integrity-check')");
  EXPECT_TRUE(check.ok()) << "FTS5's own integrity check: " << check.status().ToString();
}

TEST(SqliteData, VirtualTableOfAMissingModuleIsUnsupportedNamingIt) {
  ScratchDatabase db("sqlite");
  {
    auto conn = db.Connect();
    ASSERT_TRUE(conn);
    ASSERT_TRUE(conn->ExecuteScript("CREATE TABLE a(x); PRAGMA writable_schema = ON;"
                                    "INSERT INTO sqlite_schema VALUES ('table', 'zz', 'zz', 0, "
                                    "'CREATE VIRTUAL TABLE zz USING nosuchmodule(a, b)');"
                                    "PRAGMA writable_schema = OFF;")
                    .ok());
  }
  auto conn = db.Connect();
  ASSERT_TRUE(conn);
  auto tables = conn->ListDataTables();
  ASSERT_FALSE(tables.ok());
  EXPECT_EQ(tables.status().code(), StatusCode::kUnsupported);
  EXPECT_NE(tables.status().message().find("\"zz\""), std::string::npos) << tables.status().message();
  EXPECT_NE(tables.status().message().find("nosuchmodule"), std::string::npos) << tables.status().message();
  EXPECT_EQ(conn->DumpSchemaScript().status().code(), StatusCode::kUnsupported);
}

TEST(SqliteData, ShopFixtureRoundTrips) {
  ScratchDatabase db("sqlite");
  auto conn = db.Connect();
  ASSERT_TRUE(conn);
  ASSERT_TRUE(
      conn->ExecuteScript(testing::ReadFileOrDie(testing::SourceDir() + "/fixtures/sqlite/shop.sql")).ok());
  RoundTrip(*conn);
}

TEST(SqliteData, ImportLoadsChildrenBeforeParentsAndLeavesForeignKeysOn) {
  ScratchDatabase db("sqlite");
  auto conn = db.Connect();
  ASSERT_TRUE(conn);
  ASSERT_TRUE(conn->ExecuteScript("CREATE TABLE p (id INTEGER PRIMARY KEY);"
                                  "CREATE TABLE c (id INTEGER PRIMARY KEY, p INT REFERENCES p (id));"
                                  "INSERT INTO p VALUES (1); INSERT INTO c VALUES (10, 1);")
                  .ok());
  Taken s = TakeSnapshot(*conn);
  ScratchDatabase target("sqlite");
  auto into = target.Connect();
  ASSERT_TRUE(into);
  ASSERT_TRUE(into->ExecuteScript(s.script.pre_data).ok());
  const DataTable* c = FindTable(s.tables, "c");
  const DataTable* p = FindTable(s.tables, "p");
  ASSERT_TRUE(c && p);
  auto n = ImportRecords(*into, *c, s.records["c"]);
  ASSERT_TRUE(n.ok()) << n.status().ToString();
  EXPECT_EQ(Scalar(*into, "PRAGMA foreign_keys"), "1") << "foreign keys stay on for the session's other work";
  EXPECT_EQ(QueryAll(*into, "PRAGMA foreign_key_check").size(), 1u)
      << "the orphan, until its parent is loaded";
  // CheckIntegrity is about the file, not the data's foreign keys: the
  // orphan is no integrity problem (a restore test gets foreign_key_check
  // as an acceptance check, docs/restore-testing.md).
  std::string checks;
  auto problems = into->CheckIntegrity(&checks);
  ASSERT_TRUE(problems.ok());
  EXPECT_TRUE(problems->empty()) << Join(*problems, "\n");
  EXPECT_EQ(checks.find("foreign_key"), std::string::npos) << checks;
  ASSERT_TRUE(ImportRecords(*into, *p, s.records["p"]).ok());
  EXPECT_TRUE(QueryAll(*into, "PRAGMA foreign_key_check").empty());
}

TEST(SqliteData, DamagedRecordsAreRejectedNamingTableAndRowAndNothingIsLoaded) {
  ScratchDatabase db("sqlite");
  auto conn = db.Connect();
  ASSERT_TRUE(conn);
  ASSERT_TRUE(
      conn->ExecuteScript("CREATE TABLE \"t x\" (id INTEGER PRIMARY KEY, v TEXT);"
                          "CREATE TABLE r (v TEXT);"
                          "WITH RECURSIVE g(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM g WHERE n < 2500) "
                          "INSERT INTO \"t x\" SELECT n, 'value ' || n FROM g;")
          .ok());
  auto tables = conn->ListDataTables();
  ASSERT_TRUE(tables.ok());
  const DataTable* t = FindTable(*tables, "t x");
  const DataTable* r = FindTable(*tables, "r");
  ASSERT_TRUE(t && r);
  auto exported = ExportAll(*conn, *t);
  std::vector<std::string> good(exported.begin(), exported.end());
  ASSERT_TRUE(conn->Execute("DELETE FROM \"t x\"").ok());

  const std::string valid = good[0];
  struct Bad {
    std::string record;
    std::string needle;
  };
  for (const Bad& b : {Bad{valid.substr(0, valid.size() - 2), "truncated"},
                       Bad{valid + "x", "unexpected bytes"}, Bad{"garbage", "header"}, Bad{"", "empty"},
                       Bad{std::string("\xC2\x01\x02", 3) + valid.substr(1), "carries a rowid"}}) {
    std::vector<std::string> records = good;
    records[2001] = b.record;  // in the third batch of 1000: two were already inserted
    auto n = ImportRecords(*conn, *t, records);
    ASSERT_FALSE(n.ok());
    EXPECT_EQ(n.status().code(), StatusCode::kInvalidInput) << n.status().ToString();
    EXPECT_NE(n.status().message().find("\"t x\""), std::string::npos) << n.status().message();
    EXPECT_NE(n.status().message().find("record 2002"), std::string::npos) << n.status().message();
    EXPECT_NE(n.status().message().find(b.needle), std::string::npos) << n.status().message();
    EXPECT_EQ(Scalar(*conn, "SELECT count(*) FROM \"t x\""), "0") << "a failed import must load nothing";
  }
  // A record of a table with a rowid but no alias, loaded into one with.
  ASSERT_TRUE(conn->Execute("INSERT INTO r VALUES ('x')").ok());
  auto r_rows = ExportAll(*conn, *r);
  auto wrong = ImportRecords(*conn, *t, {r_rows.begin(), r_rows.end()});
  ASSERT_FALSE(wrong.ok());
  EXPECT_NE(wrong.status().message().find("rowid"), std::string::npos) << wrong.status().message();
  // A constraint violation is the engine's error, also naming the row.
  auto dup = ImportRecords(*conn, *t, {good[0], good[1], good[0]});
  ASSERT_FALSE(dup.ok());
  EXPECT_NE(dup.status().message().find("record 3"), std::string::npos) << dup.status().message();
  EXPECT_NE(dup.status().message().find("UNIQUE"), std::string::npos) << dup.status().message();
  EXPECT_EQ(Scalar(*conn, "SELECT count(*) FROM \"t x\""), "0");
  // The source's own error stops the import, also rolled back.
  int calls = 0;
  std::vector<std::string_view> one{good[0]};
  auto failing = conn->ImportRows(*t, [&]() -> Result<std::span<const std::string_view>> {
    if (++calls == 1) return std::span<const std::string_view>(one);
    return Status::CheckFailed("chunk 7 is damaged");
  });
  ASSERT_FALSE(failing.ok());
  EXPECT_EQ(failing.status().code(), StatusCode::kCheckFailed);
  EXPECT_EQ(Scalar(*conn, "SELECT count(*) FROM \"t x\""), "0");
  // And the connection is usable: the good records load.
  auto n = ImportRecords(*conn, *t, good);
  ASSERT_TRUE(n.ok()) << n.status().ToString();
  EXPECT_EQ(*n, 2500);
  // A table that does not exist is named.
  DataTable missing = *t;
  missing.name = "no such";
  auto nf = ImportRecords(*conn, missing, good);
  EXPECT_EQ(nf.status().code(), StatusCode::kNotFound);
  EXPECT_NE(nf.status().message().find("\"no such\""), std::string::npos) << nf.status().message();
}

TEST(SqliteData, ExportRefusesBadColumnsAndPredicatesThatAddStatements) {
  ScratchDatabase db("sqlite");
  auto conn = db.Connect();
  ASSERT_TRUE(conn);
  ASSERT_TRUE(
      conn->ExecuteScript("CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT); INSERT INTO t VALUES (1, 'a'), "
                          "(2, 'b'), (3, 'c');")
          .ok());
  auto tables = conn->ListDataTables();
  ASSERT_TRUE(tables.ok() && tables->size() == 1u);
  DataTable t = (*tables)[0];
  EXPECT_EQ(ExportAll(*conn, t, "\"id\" >= 2 AND \"id\" < 3").size(), 1u);
  auto noop = [](std::string_view) { return Status::Ok(); };
  // A double-quoted name that is no column is an error, not the string "nope".
  DataTable bad = t;
  bad.columns.push_back("nope");
  Status st = conn->ExportRows(bad, "", noop);
  ASSERT_FALSE(st.ok());
  EXPECT_NE(st.message().find("nope"), std::string::npos) << st.message();
  st = conn->ExportRows(t, "1); DELETE FROM t; SELECT (1", noop);
  ASSERT_FALSE(st.ok());
  EXPECT_EQ(st.code(), StatusCode::kInvalidInput) << st.ToString();
  EXPECT_EQ(Scalar(*conn, "SELECT count(*) FROM t"), "3");
  // The callback's error stops the export.
  int seen = 0;
  st = conn->ExportRows(
      t, "", [&](std::string_view) { return ++seen == 2 ? Status::Io("disk full") : Status::Ok(); });
  EXPECT_EQ(st.code(), StatusCode::kIo);
  EXPECT_EQ(seen, 2);
  // Usage is still the user's setting afterwards: DQS in user SQL unchanged.
  EXPECT_EQ(Scalar(*conn, "SELECT \"not a column\""), "not a column");
}

// In rollback-journal mode a COMMIT waits for readers, and no new reader
// gets in meanwhile: the wait must be bounded by the lock timeout the write
// transaction began with (apply's), not by the connection's 5 s busy
// timeout (found by rehearse --lock-queue-drill).
TEST(SqliteDriver, CommitOfAWriteTransactionWaitsNoLongerThanItsLockTimeout) {
  ScratchDatabase db("sqlite");
  db.Exec("PRAGMA journal_mode = DELETE; CREATE TABLE t (id INTEGER PRIMARY KEY); INSERT INTO t VALUES (1);");
  auto reader = db.Connect();
  auto writer = db.Connect();
  ASSERT_TRUE(reader && writer);
  ASSERT_TRUE(reader->Begin().ok());
  EXPECT_EQ(Scalar(*reader, "SELECT count(*) FROM t"), "1");  // holds SHARED until its transaction ends
  ASSERT_TRUE(writer->BeginWrite(std::chrono::milliseconds(400)).ok());
  ASSERT_TRUE(writer->Execute("INSERT INTO t VALUES (2)").ok());
  const auto start = Clock::now();
  Status committed = writer->Commit();
  const auto waited = Clock::now() - start;
  EXPECT_EQ(committed.code(), StatusCode::kLockTimeout) << committed.ToString();
  EXPECT_GE(waited, std::chrono::milliseconds(350));
  EXPECT_LT(waited, std::chrono::milliseconds(2500))
      << "the commit waited the busy timeout, not the lock timeout";
  ASSERT_TRUE(writer->Rollback().ok());
  ASSERT_TRUE(reader->Rollback().ok());
  // Outside a write transaction the busy timeout applies again, and a commit
  // with no reader in the way goes through.
  ASSERT_TRUE(writer->BeginWrite(std::chrono::milliseconds(400)).ok());
  ASSERT_TRUE(writer->Execute("INSERT INTO t VALUES (3)").ok());
  ASSERT_TRUE(writer->Commit().ok());
  EXPECT_EQ(Scalar(*reader, "SELECT count(*) FROM t"), "2");
}

// A second connection commits while a snapshot is open; the snapshot must
// not see it. `wal`: WAL mode (the writer commits), else a rollback journal
// (the writer cannot commit until the snapshot ends).
void SnapshotIsolation(bool wal) {
  ScratchDatabase db("sqlite");
  db.Exec(std::string(wal ? "PRAGMA journal_mode = WAL;" : "PRAGMA journal_mode = DELETE;") +
          "CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT);"
          "INSERT INTO t VALUES (1, 'a'), (2, 'b');");
  auto reader = db.Connect();
  auto writer = Open(FileUri(db.uri().path(), "?busy_timeout=300"));
  ASSERT_TRUE(reader && writer);
  auto point = reader->BeginSnapshot(SnapshotOptions{});
  ASSERT_TRUE(point.ok()) << point.status().ToString();
  EXPECT_FALSE(reader->SupportsSharedSnapshot());
  EXPECT_EQ(reader->JoinSnapshot(*point).code(), StatusCode::kUnsupported);
  EXPECT_EQ(point->position.at("journal_mode"), wal ? "wal" : "delete");
  EXPECT_FALSE(point->position.at("schema_version").empty());
  EXPECT_EQ(point->position.count("file_change_counter"), wal ? 0u : 1u);
  auto tables = reader->ListDataTables();
  ASSERT_TRUE(tables.ok());
  const DataTable t = (*tables)[0];

  auto start = Clock::now();
  auto ins = writer->Execute("INSERT INTO t VALUES (3, 'c')");
  auto upd = writer->Execute("UPDATE t SET v = 'changed'");
  auto ddl = writer->Execute("CREATE TABLE later (x)");
  if (wal) {
    EXPECT_TRUE(ins.ok() && upd.ok() && ddl.ok()) << ins.status().ToString();
  } else {
    // The writer waits its busy timeout and fails; it does not corrupt the
    // snapshot or wait forever.
    ASSERT_FALSE(ins.ok());
    EXPECT_EQ(ins.status().code(), StatusCode::kLockTimeout) << ins.status().ToString();
    EXPECT_FALSE(upd.ok());
    EXPECT_FALSE(ddl.ok());
    EXPECT_LT(ElapsedMs(start), 5000);
  }
  EXPECT_EQ(ExportAll(*reader, t).size(), 2u) << "the snapshot saw a later commit";
  std::multiset<std::string> values;
  ASSERT_TRUE(reader
                  ->Query("SELECT v FROM t",
                          [&](RowView row) {
                            values.emplace(row[0].data);
                            return Status::Ok();
                          })
                  .ok());
  EXPECT_EQ(values, (std::multiset<std::string>{"a", "b"}));
  auto still = reader->ListDataTables();
  ASSERT_TRUE(still.ok());
  EXPECT_EQ(still->size(), 1u) << "the snapshot saw a later CREATE TABLE";
  auto model = reader->ReadSchema();
  ASSERT_TRUE(model.ok());
  EXPECT_EQ(model->Find(ObjectKind::kTable, "", "", "later"), nullptr);
  ASSERT_TRUE(reader->EndSnapshot().ok());
  ASSERT_TRUE(reader->EndSnapshot().ok()) << "ending twice is harmless";
  if (!wal) {
    ASSERT_TRUE(writer->Execute("INSERT INTO t VALUES (3, 'c')").ok());
  }
  EXPECT_EQ(ExportAll(*reader, t).size(), 3u);
  // The counter moved with the commit.
  if (!wal) {
    auto again = reader->BeginSnapshot(SnapshotOptions{});
    ASSERT_TRUE(again.ok());
    EXPECT_NE(again->position.at("file_change_counter"), point->position.at("file_change_counter"));
    ASSERT_TRUE(reader->EndSnapshot().ok());
  }
}

TEST(SqliteData, SnapshotHidesLaterCommitsInWalMode) {
  SnapshotIsolation(true);
}

TEST(SqliteData, SnapshotHidesLaterCommitsWithARollbackJournal) {
  SnapshotIsolation(false);
}

TEST(SqliteData, BeginSnapshotWaitsAtMostTheLockTimeout) {
  ScratchDatabase db("sqlite");
  db.Exec("PRAGMA journal_mode = DELETE; CREATE TABLE t (a); INSERT INTO t VALUES (1);");
  auto holder = db.Connect();
  auto reader = db.Connect();
  ASSERT_TRUE(holder && reader);
  ASSERT_TRUE(holder->Execute("BEGIN EXCLUSIVE").ok());
  SnapshotOptions opts;
  opts.lock_timeout = std::chrono::milliseconds(250);
  auto start = Clock::now();
  auto point = reader->BeginSnapshot(opts);
  const long took = ElapsedMs(start);
  ASSERT_FALSE(point.ok());
  EXPECT_EQ(point.status().code(), StatusCode::kLockTimeout) << point.status().ToString();
  EXPECT_NE(point.status().message().find("250 ms"), std::string::npos) << point.status().message();
  EXPECT_GE(took, 200);
  EXPECT_LT(took, 3000);
  // Nothing stays open, and the connection's own busy timeout is back.
  ASSERT_TRUE(holder->Rollback().ok());
  auto ok = reader->BeginSnapshot(opts);
  ASSERT_TRUE(ok.ok()) << ok.status().ToString();
  EXPECT_EQ(reader->BeginSnapshot(opts).status().code(), StatusCode::kInvalidInput) << "a snapshot is open";
  ASSERT_TRUE(reader->EndSnapshot().ok());
}

TEST(SqliteData, IsEmptyDatabase) {
  ScratchDatabase db("sqlite");
  auto conn = db.Connect();
  ASSERT_TRUE(conn);
  auto empty = [&] {
    auto r = conn->IsEmptyDatabase();
    EXPECT_TRUE(r.ok()) << r.status().ToString();
    return r.ok() && *r;
  };
  EXPECT_TRUE(empty());
  ASSERT_TRUE(conn->Execute("CREATE TABLE a (id INTEGER PRIMARY KEY AUTOINCREMENT)").ok());
  EXPECT_FALSE(empty());
  ASSERT_TRUE(conn->Execute("DROP TABLE a").ok());
  EXPECT_TRUE(empty()) << "sqlite_sequence, left behind, is SQLite's own";
  ASSERT_TRUE(conn->Execute("CREATE VIEW v AS SELECT 1").ok());
  EXPECT_FALSE(empty());
  ASSERT_TRUE(conn->Execute("DROP VIEW v").ok());
  ASSERT_TRUE(conn->Execute("PRAGMA user_version = 3").ok());
  EXPECT_TRUE(empty());
}

// Connection::CheckIntegrity of the database file at `path`, on a new
// connection; a check that cannot run fails the test.
std::vector<std::string> IntegrityProblems(const std::string& path, std::string* checks) {
  auto conn = Open(FileUri(path));
  EXPECT_TRUE(conn);
  if (!conn) return {"cannot connect"};
  auto problems = conn->CheckIntegrity(checks);
  EXPECT_TRUE(problems.ok()) << problems.status().ToString();
  return problems.ok() ? *problems : std::vector<std::string>{problems.status().ToString()};
}

TEST(SqliteData, CheckIntegrityFindsADamagedIndex) {
  TempDir dir;
  const std::string path = dir.path("damaged.db");
  {
    WriteFile(path, "");
    auto conn = Open(FileUri(path));
    ASSERT_TRUE(conn);
    ASSERT_TRUE(
        conn->ExecuteScript("PRAGMA journal_mode = DELETE;"
                            "CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT);"
                            "CREATE INDEX t_v ON t (v);"
                            "WITH RECURSIVE g(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM g WHERE n < 5000) "
                            "INSERT INTO t SELECT n, printf('value %08d', n) FROM g;")
            .ok());
    std::string checks;
    auto healthy = conn->CheckIntegrity(&checks);
    ASSERT_TRUE(healthy.ok()) << healthy.status().ToString();
    EXPECT_TRUE(healthy->empty()) << Join(*healthy, "\n");
    EXPECT_NE(checks.find("integrity_check of 1 table (1 index) and quick_check of the whole file, on 2 "
                          "connections"),
              std::string::npos)
        << checks;
    EXPECT_EQ(Scalar(*conn, "PRAGMA cache_size"), "-2000") << "the check's bigger page cache must not stay";
  }
  // Flip bytes in a leaf page of the index, in a copy.
  const std::string copy = dir.path("damaged-copy.db");
  fs::copy_file(path, copy);
  int leaf = 0;
  {
    auto conn = Open(FileUri(path));
    ASSERT_TRUE(conn);
    // The index's pages: its root, then a page it points to.
    const int root = std::stoi(Scalar(*conn, "SELECT rootpage FROM sqlite_schema WHERE name = 't_v'"));
    std::string bytes = testing::ReadFileOrDie(path);
    const size_t page = 4096;
    const size_t off = static_cast<size_t>(root - 1) * page;
    ASSERT_LT(off + page, bytes.size());
    // An interior b-tree page (0x02) has a right-most child pointer at 8.
    ASSERT_EQ(static_cast<unsigned char>(bytes[off]), 0x02) << "expected an interior index page";
    leaf = (static_cast<unsigned char>(bytes[off + 8]) << 24) |
           (static_cast<unsigned char>(bytes[off + 9]) << 16) |
           (static_cast<unsigned char>(bytes[off + 10]) << 8) | static_cast<unsigned char>(bytes[off + 11]);
  }
  ASSERT_GT(leaf, 1);
  {
    std::fstream f(copy, std::ios::in | std::ios::out | std::ios::binary);
    // Damage cell contents near the end of the leaf page (the keys).
    for (int i = 0; i < 64; ++i) {
      f.seekp(static_cast<std::streamoff>(leaf) * 4096 - 200 + i * 2);
      f.put(static_cast<char>(0x5a));
    }
    ASSERT_TRUE(f.good());
  }
  auto conn = Open(FileUri(copy));
  ASSERT_TRUE(conn);
  std::string checks;
  auto problems = conn->CheckIntegrity(&checks);
  ASSERT_TRUE(problems.ok()) << problems.status().ToString();
  ASSERT_FALSE(problems->empty()) << "the damaged index went unnoticed";
  SCOPED_TRACE(Join(*problems, "\n"));
  EXPECT_NE((*problems)[0].find("integrity_check"), std::string::npos);
}

// ===========================================================================
// Database images: DigestImage, SnapshotImagePath, ImageFilePath
// ===========================================================================

// SQLite's record format, written here independently of the driver, so
// that expected digests do not come from the code under test.
std::string SqliteVarint(std::uint64_t v) {
  if (v > 0x00ffffffffffffffULL) {  // nine bytes: the last carries 8 bits
    std::string out(9, '\0');
    out[8] = static_cast<char>(v & 0xff);
    v >>= 8;
    for (int i = 7; i >= 0; --i) {
      out[static_cast<size_t>(i)] = static_cast<char>((v & 0x7f) | 0x80);
      v >>= 7;
    }
    return out;
  }
  std::string reversed;
  do {
    reversed.push_back(static_cast<char>((v & 0x7f) | (reversed.empty() ? 0 : 0x80)));
    v >>= 7;
  } while (v != 0);
  return std::string(reversed.rbegin(), reversed.rend());
}

struct SqlValue {
  enum Kind { kNull, kInteger, kText, kBlob } kind = kNull;
  std::int64_t integer = 0;
  std::string bytes;
};
SqlValue Null() {
  return {};
}
SqlValue Int(std::int64_t v) {
  return {SqlValue::kInteger, v, {}};
}
SqlValue Text(std::string s) {
  return {SqlValue::kText, 0, std::move(s)};
}
SqlValue Blob(std::string s) {
  return {SqlValue::kBlob, 0, std::move(s)};
}

// The record SQLite stores for `values` (file format 4, UTF-8).
std::string RecordOf(const std::vector<SqlValue>& values) {
  std::string types, body;
  for (const SqlValue& v : values) {
    switch (v.kind) {
      case SqlValue::kNull: types += SqliteVarint(0); break;
      case SqlValue::kText:
        types += SqliteVarint(13 + 2 * v.bytes.size());
        body += v.bytes;
        break;
      case SqlValue::kBlob:
        types += SqliteVarint(12 + 2 * v.bytes.size());
        body += v.bytes;
        break;
      case SqlValue::kInteger: {
        const std::int64_t i = v.integer;
        if (i == 0 || i == 1) {
          types += SqliteVarint(i == 0 ? 8 : 9);
          break;
        }
        int serial = 6, len = 8;
        if (i >= -128 && i <= 127) {
          serial = 1, len = 1;
        } else if (i >= -32768 && i <= 32767) {
          serial = 2, len = 2;
        } else if (i >= -8388608 && i <= 8388607) {
          serial = 3, len = 3;
        } else if (i >= std::numeric_limits<std::int32_t>::min() &&
                   i <= std::numeric_limits<std::int32_t>::max()) {
          serial = 4, len = 4;
        } else if (i >= -(std::int64_t{1} << 47) && i < (std::int64_t{1} << 47)) {
          serial = 5, len = 6;
        }
        types += SqliteVarint(static_cast<std::uint64_t>(serial));
        for (int b = len - 1; b >= 0; --b)
          body.push_back(static_cast<char>(static_cast<std::uint64_t>(i) >> (8 * b)));
        break;
      }
    }
  }
  std::size_t header = types.size() + 1;
  while (SqliteVarint(header).size() + types.size() != header) ++header;
  return SqliteVarint(header) + types + body;
}

// The image record of a rowid table's row: the rowid, 8 bytes little-endian,
// then the record.
std::string RowidRecord(std::int64_t rowid, const std::vector<SqlValue>& values) {
  std::string key(8, '\0');
  for (int b = 0; b < 8; ++b)
    key[static_cast<size_t>(b)] = static_cast<char>(static_cast<std::uint64_t>(rowid) >> (8 * b));
  return key + RecordOf(values);
}

// Creates the database `path` (rollback journal) with `script` and closes it.
void MakeDatabase(const std::string& path, const std::string& script) {
  WriteFile(path, "");
  auto conn = Open(FileUri(path));
  ASSERT_TRUE(conn);
  Status st = conn->ExecuteScript("PRAGMA journal_mode = DELETE;" + script);
  ASSERT_TRUE(st.ok()) << st.ToString();
}

std::vector<ImageTableDigest> DigestOk(const std::string& path, const std::vector<std::string>& tables) {
  auto r = Sqlite()->DigestImage(path, tables);
  EXPECT_TRUE(r.ok()) << r.status().ToString();
  if (!r.ok()) return {};
  EXPECT_EQ(r->size(), tables.size());
  return *r;
}

Status DigestStatus(const std::string& path, const std::vector<std::string>& tables) {
  auto r = Sqlite()->DigestImage(path, tables);
  return r.ok() ? Status::Ok() : r.status();
}

std::map<std::string, ImageTableDigest> ByTable(const std::vector<ImageTableDigest>& digests) {
  std::map<std::string, ImageTableDigest> out;
  for (const auto& d : digests) out[d.table] = d;
  return out;
}

std::int64_t RootPage(const std::string& path, const std::string& name) {
  auto conn = Open(FileUri(path));
  if (!conn) return 0;
  return std::stoll(
      Scalar(*conn, "SELECT rootpage FROM sqlite_schema WHERE name = " + conn->QuoteLiteral(name)));
}

std::uint32_t Be16At(const std::string& bytes, size_t off) {
  return (static_cast<std::uint32_t>(static_cast<unsigned char>(bytes[off])) << 8) |
         static_cast<unsigned char>(bytes[off + 1]);
}
std::uint32_t Be32At(const std::string& bytes, size_t off) {
  return (Be16At(bytes, off) << 16) | Be16At(bytes, off + 2);
}
void PutBe32(std::string& bytes, size_t off, std::uint32_t v) {
  for (int i = 0; i < 4; ++i) bytes[off + static_cast<size_t>(i)] = static_cast<char>(v >> (24 - 8 * i));
}

constexpr const char* kShopImage = R"sql(
    CREATE TABLE customers (id INTEGER PRIMARY KEY, name TEXT NOT NULL, note TEXT);
    CREATE INDEX customers_name ON customers (name);
    CREATE TABLE orders (id INTEGER PRIMARY KEY, customer INTEGER, total INTEGER);
    CREATE TABLE unused (a, b);
    CREATE TABLE tags (tag TEXT PRIMARY KEY, uses INTEGER) WITHOUT ROWID;
    WITH RECURSIVE g(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM g WHERE n < 3000)
    INSERT INTO customers SELECT n, printf('customer %05d', n), CASE WHEN n % 7 = 0 THEN NULL ELSE
      printf('%.*c', n % 300, 'x') END FROM g;
    WITH RECURSIVE g(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM g WHERE n < 5000)
    INSERT INTO orders SELECT n, n % 3000 + 1, n * 37 - 100000 FROM g;
    WITH RECURSIVE g(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM g WHERE n < 200)
    INSERT INTO tags SELECT printf('tag-%03d', n), n * n FROM g;)sql";

const std::vector<std::string> kShopTables = {"customers", "orders", "unused", "tags"};

TEST(SqliteImage, DigestsAreThoseOfTheRecordsAndACopyDigestsAlike) {
  TempDir dir;
  const std::string path = dir.path("shop.db");
  MakeDatabase(path, kShopImage);
  auto digests = ByTable(DigestOk(path, kShopTables));
  ASSERT_EQ(digests.size(), 4u);
  // Rows: what count(*) says, WITHOUT ROWID and empty tables included.
  {
    auto conn = Open(FileUri(path));
    ASSERT_TRUE(conn);
    for (const std::string& t : kShopTables) {
      EXPECT_EQ(std::to_string(digests[t].rows),
                Scalar(*conn, "SELECT count(*) FROM " + conn->QuoteIdentifier(t)))
          << t;
    }
  }
  EXPECT_EQ(digests["customers"].rows, 3000);
  EXPECT_EQ(digests["unused"].rows, 0);
  EXPECT_EQ(digests["unused"].digest, std::string(32, '0'));
  // The digests are exactly those of the records, computed here from the
  // values (the rowid alias is stored as NULL).
  ContentDigest orders, tags;
  for (int n = 1; n <= 5000; ++n)
    orders.AddRecord(RowidRecord(n, {Null(), Int(n % 3000 + 1), Int(n * 37 - 100000)}));
  for (int n = 1; n <= 200; ++n) {
    char tag[16];
    std::snprintf(tag, sizeof tag, "tag-%03d", n);
    tags.AddRecord(RecordOf({Text(tag), Int(n * n)}));
  }
  EXPECT_EQ(digests["orders"].digest, orders.Hex());
  EXPECT_EQ(digests["tags"].digest, tags.Hex());

  // A byte-for-byte copy, and a VACUUMed copy whose pages differ, digest alike.
  const std::string copy = dir.path("copy.db");
  fs::copy_file(path, copy);
  EXPECT_EQ(ByTable(DigestOk(copy, kShopTables))["customers"].digest, digests["customers"].digest);
  const std::string vacuumed = dir.path("vacuumed.db");
  {
    auto conn = Open(FileUri(path));
    ASSERT_TRUE(conn);
    ASSERT_TRUE(conn->Execute("DELETE FROM orders WHERE id % 2 = 0").ok());
    ASSERT_TRUE(conn->Execute("VACUUM INTO " + conn->QuoteLiteral(vacuumed)).ok());
  }
  auto after = ByTable(DigestOk(path, kShopTables));
  auto compacted = ByTable(DigestOk(vacuumed, kShopTables));
  EXPECT_EQ(testing::ReadFileOrDie(path).size() > testing::ReadFileOrDie(vacuumed).size(), true);
  for (const std::string& t : kShopTables) {
    EXPECT_EQ(after[t].rows, compacted[t].rows) << t;
    EXPECT_EQ(after[t].digest, compacted[t].digest) << t;
  }
  EXPECT_EQ(after["orders"].rows, 2500);
  EXPECT_NE(after["orders"].digest, digests["orders"].digest);

  // Results come in the order asked for; a name asked twice is reported twice.
  auto twice = DigestOk(copy, {"tags", "orders", "tags"});
  ASSERT_EQ(twice.size(), 3u);
  EXPECT_EQ(twice[0].table, "tags");
  EXPECT_EQ(twice[1].table, "orders");
  EXPECT_EQ(twice[2].digest, twice[0].digest);
  EXPECT_EQ(twice[1].digest, digests["orders"].digest);
  EXPECT_TRUE(DigestOk(copy, {}).empty());
}

TEST(SqliteImage, AnUpdatedValueChangesThatTablesDigestOnly) {
  TempDir dir;
  const std::string path = dir.path("shop.db");
  MakeDatabase(path, kShopImage);
  auto before = ByTable(DigestOk(path, kShopTables));
  {
    auto conn = Open(FileUri(path));
    ASSERT_TRUE(conn);
    ASSERT_TRUE(conn->Execute("UPDATE orders SET total = total + 1 WHERE id = 4321").ok());
  }
  auto after = ByTable(DigestOk(path, kShopTables));
  EXPECT_NE(after["orders"].digest, before["orders"].digest);
  EXPECT_EQ(after["orders"].rows, before["orders"].rows);
  for (const std::string t : {"customers", "unused", "tags"})
    EXPECT_EQ(after[t].digest, before[t].digest) << t;
  // Within a WITHOUT ROWID table too.
  {
    auto conn = Open(FileUri(path));
    ASSERT_TRUE(conn);
    ASSERT_TRUE(conn->Execute("UPDATE tags SET uses = 7 WHERE tag = 'tag-100'").ok());
  }
  auto again = ByTable(DigestOk(path, kShopTables));
  EXPECT_NE(again["tags"].digest, after["tags"].digest);
  EXPECT_EQ(again["orders"].digest, after["orders"].digest);
}

TEST(SqliteImage, OverflowPayloadIsStreamedExactly) {
  TempDir dir;
  const std::string path = dir.path("blobs.db");
  MakeDatabase(path,
               "CREATE TABLE files (id INTEGER PRIMARY KEY, name TEXT, body BLOB);"
               "CREATE TABLE keyed (k BLOB PRIMARY KEY, v INTEGER) WITHOUT ROWID;"
               "INSERT INTO files VALUES (1, 'small', x'00ff'),"
               " (2, 'hundred k', randomblob(100 * 1024)), (3, 'five m', randomblob(5 * 1024 * 1024)),"
               " (4, 'just over a page', randomblob(4100));"
               "INSERT INTO keyed VALUES (randomblob(3000), 1), (randomblob(70000), 2), (x'01', 3);");
  ContentDigest files, keyed;
  {
    auto conn = Open(FileUri(path));
    ASSERT_TRUE(conn);
    for (const auto& row : QueryAll(*conn, "SELECT id, name, body FROM files")) {
      files.AddRecord(RowidRecord(std::stoll(row[0].data), {Null(), Text(row[1].data), Blob(row[2].data)}));
    }
    for (const auto& row : QueryAll(*conn, "SELECT k, v FROM keyed")) {
      keyed.AddRecord(RecordOf({Blob(row[0].data), Int(std::stoll(row[1].data))}));
    }
  }
  auto digests = ByTable(DigestOk(path, {"files", "keyed"}));
  EXPECT_EQ(digests["files"].rows, 4);
  EXPECT_EQ(digests["files"].digest, files.Hex());
  EXPECT_EQ(digests["keyed"].rows, 3);
  EXPECT_EQ(digests["keyed"].digest, keyed.Hex());
}

TEST(SqliteImage, WithoutRowidRowsInInteriorCellsAreCounted) {
  TempDir dir;
  const std::string path = dir.path("wr.db");
  MakeDatabase(
      path,
      "CREATE TABLE words (w TEXT PRIMARY KEY, n INTEGER NOT NULL) WITHOUT ROWID;"
      "WITH RECURSIVE g(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM g WHERE n < 20000)"
      " INSERT INTO words SELECT printf('word-%06d-%s', n, substr('abcdefghij', 1, n % 10)), n FROM g;");
  // The table's root is an interior index b-tree page: rows live in
  // interior cells as well as in leaves.
  const std::int64_t root = RootPage(path, "words");
  const std::string bytes = testing::ReadFileOrDie(path);
  ASSERT_EQ(static_cast<unsigned char>(bytes[static_cast<size_t>(root - 1) * 4096]), 0x02);
  ContentDigest expected;
  for (int n = 1; n <= 20000; ++n) {
    char w[64];
    std::snprintf(w, sizeof w, "word-%06d-%s", n,
                  std::string("abcdefghij").substr(0, static_cast<size_t>(n % 10)).c_str());
    expected.AddRecord(RecordOf({Text(w), Int(n)}));
  }
  auto d = DigestOk(path, {"words"});
  ASSERT_EQ(d.size(), 1u);
  EXPECT_EQ(d[0].rows, 20000);
  EXPECT_EQ(d[0].digest, expected.Hex());
}

TEST(SqliteImage, HostileNamesAreMatchedExactly) {
  TempDir dir;
  const std::string path = dir.path("names.db");
  const std::vector<std::string> names = {"we\"ird", "it's", "sp ace", "Grüße 表", "select", "Order"};
  std::string script;
  for (size_t i = 0; i < names.size(); ++i) {
    const std::string q = "\"" + ReplaceAll(names[i], "\"", "\"\"") + "\"";
    script += "CREATE TABLE " + q + " (v INTEGER);";
    for (size_t r = 0; r <= i; ++r)
      script += "INSERT INTO " + q + " VALUES (" + std::to_string(100 + r) + ");";
  }
  MakeDatabase(path, script);
  auto digests = DigestOk(path, names);
  ASSERT_EQ(digests.size(), names.size());
  for (size_t i = 0; i < names.size(); ++i) {
    EXPECT_EQ(digests[i].table, names[i]);
    EXPECT_EQ(digests[i].rows, static_cast<std::int64_t>(i + 1)) << names[i];
    ContentDigest expected;
    for (size_t r = 0; r <= i; ++r)
      expected.AddRecord(
          RowidRecord(static_cast<std::int64_t>(r + 1), {Int(static_cast<std::int64_t>(100 + r))}));
    EXPECT_EQ(digests[i].digest, expected.Hex()) << names[i];
  }
  // Names are compared byte for byte, as SQLite stores them.
  for (const std::string wrong : {"SELECT", "grüße 表", "sp  ace", "we\"\"ird", "names"}) {
    Status st = DigestStatus(path, {"select", wrong});
    EXPECT_EQ(st.code(), StatusCode::kCheckFailed) << wrong << ": " << st.ToString();
    EXPECT_NE(st.message().find("\"" + ReplaceAll(wrong, "\"", "\"\"") + "\""), std::string::npos)
        << st.message();
    EXPECT_NE(st.message().find(path), std::string::npos) << st.message();
    EXPECT_NE(st.message().find("not in the image"), std::string::npos) << st.message();
  }
}

TEST(SqliteImage, PageSizesFrom512To65536DigestAlike) {
  TempDir dir;
  const std::string rows =
      "CREATE TABLE t (id INTEGER PRIMARY KEY, body TEXT, n INTEGER);"
      "CREATE TABLE k (a TEXT, b INTEGER, PRIMARY KEY (a, b)) WITHOUT ROWID;"
      "WITH RECURSIVE g(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM g WHERE n < 3000)"
      " INSERT INTO t SELECT n, printf('%.*c', n % 700, 'y'), -n FROM g;"
      "WITH RECURSIVE g(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM g WHERE n < 3000)"
      " INSERT INTO k SELECT printf('%.*c', n % 600, 'k'), n FROM g;"
      "INSERT INTO t VALUES (1000000, printf('%.*c', 200000, 'z'), 0);";
  std::vector<std::map<std::string, ImageTableDigest>> results;
  for (int page_size : {512, 4096, 65536}) {
    SCOPED_TRACE("page size " + std::to_string(page_size));
    const std::string path = dir.path("p" + std::to_string(page_size) + ".db");
    MakeDatabase(path, "PRAGMA page_size = " + std::to_string(page_size) + ";" + rows);
    ASSERT_EQ(testing::ReadFileOrDie(path).size() % static_cast<size_t>(page_size), 0u);
    results.push_back(ByTable(DigestOk(path, {"t", "k"})));
    EXPECT_EQ(results.back()["t"].rows, 3001);
    EXPECT_EQ(results.back()["k"].rows, 3000);
  }
  ASSERT_EQ(results.size(), 3u);
  for (size_t i = 1; i < results.size(); ++i) {
    EXPECT_EQ(results[i]["t"].digest, results[0]["t"].digest);
    EXPECT_EQ(results[i]["k"].digest, results[0]["k"].digest);
  }
}

TEST(SqliteImage, Utf16DatabasesAndVirtualTables) {
  TempDir dir;
  const std::string path = dir.path("utf16.db");
  MakeDatabase(path,
               "PRAGMA encoding = 'UTF-16le';"
               "CREATE TABLE \"Tëxt 表\" (v TEXT);"
               "INSERT INTO \"Tëxt 表\" VALUES ('a'), ('b');"
               "CREATE VIRTUAL TABLE docs USING fts5(body);"
               "INSERT INTO docs VALUES ('hello world');");
  std::vector<std::string> listed;
  {
    auto conn = Open(FileUri(path));
    ASSERT_TRUE(conn);
    auto tables = conn->ListDataTables();
    ASSERT_TRUE(tables.ok()) << tables.status().ToString();
    for (const auto& t : *tables) listed.push_back(t.name);
  }
  // ListDataTables leaves the virtual table out and lists its storage.
  EXPECT_EQ(std::count(listed.begin(), listed.end(), "docs"), 0);
  EXPECT_EQ(std::count(listed.begin(), listed.end(), "docs_content"), 1);
  auto digests = ByTable(DigestOk(path, listed));
  EXPECT_EQ(digests["Tëxt 表"].rows, 2);
  EXPECT_EQ(digests["docs_content"].rows, 1);
  // The virtual table itself has no b-tree: no rows of its own.
  auto virt = DigestOk(path, {"docs"});
  ASSERT_EQ(virt.size(), 1u);
  EXPECT_EQ(virt[0].rows, 0);
  EXPECT_EQ(virt[0].digest, std::string(32, '0'));
}

TEST(SqliteImage, FilesThatAreNoImageAreRefused) {
  TempDir dir;
  const std::string path = dir.path("shop.db");
  MakeDatabase(path, kShopImage);
  const std::string original = testing::ReadFileOrDie(path);

  Status missing = DigestStatus(dir.path("no-such.db"), {"orders"});
  EXPECT_EQ(missing.code(), StatusCode::kIo) << missing.ToString();
  EXPECT_NE(missing.message().find("no-such.db"), std::string::npos) << missing.message();
  Status directory = DigestStatus(dir.path(""), {"orders"});
  EXPECT_EQ(directory.code(), StatusCode::kIo) << directory.ToString();

  auto refused = [&](const std::string& name, const std::string& bytes, const std::string& says) {
    SCOPED_TRACE(name);
    const std::string bad = dir.path(name);
    WriteFile(bad, bytes);
    Status st = DigestStatus(bad, {"orders"});
    EXPECT_EQ(st.code(), StatusCode::kCheckFailed) << st.ToString();
    EXPECT_NE(st.message().find(bad), std::string::npos) << st.message();
    EXPECT_NE(st.message().find(says), std::string::npos) << st.message();
  };
  refused("text.db", "CREATE TABLE t(a);\nnot a database\n", "not an SQLite database");
  refused("short.db", "SQLite format 3", "not an SQLite database");
  refused("truncated.db", original.substr(0, original.size() - 1000), "not a multiple of its page size");
  refused("page-short.db", original.substr(0, original.size() - 4096 * 3), "truncated");
  std::string bad_size = original;
  bad_size[16] = 0x03;  // 0x0300: not a power of two
  refused("page-size.db", bad_size, "page size");
  std::string reserved = original;
  reserved[20] = static_cast<char>(200);
  refused("reserved.db", reserved, "sqlite_schema: page 1: cell 0: offset");  // beyond the usable bytes

  // An empty file is an empty database: it has no tables.
  const std::string empty = dir.path("empty.db");
  WriteFile(empty, "");
  EXPECT_TRUE(DigestOk(empty, {}).empty());
  Status none = DigestStatus(empty, {"orders"});
  EXPECT_EQ(none.code(), StatusCode::kCheckFailed) << none.ToString();
  EXPECT_NE(none.message().find("\"orders\""), std::string::npos) << none.message();
}

// Damage in a table's b-tree is reported naming the image, the table and the page.
TEST(SqliteImage, DamagedBtreesNameTheTableAndPage) {
  TempDir dir;
  const std::string path = dir.path("shop.db");
  MakeDatabase(path, kShopImage);
  const std::string original = testing::ReadFileOrDie(path);
  const std::uint32_t root = static_cast<std::uint32_t>(RootPage(path, "orders"));
  const size_t root_off = static_cast<size_t>(root - 1) * 4096;
  ASSERT_EQ(static_cast<unsigned char>(original[root_off]), 0x05) << "orders needs an interior root page";
  const std::uint32_t pages = static_cast<std::uint32_t>(original.size() / 4096);
  // The first cell's left child.
  const size_t cell = root_off + Be16At(original, root_off + 12);
  const std::uint32_t child = Be32At(original, cell);
  ASSERT_GT(child, 1u);
  ASSERT_LE(child, pages);

  auto damaged = [&](const std::string& name, const std::string& bytes, std::uint32_t page,
                     const std::string& says) {
    SCOPED_TRACE(name);
    const std::string bad = dir.path(name);
    WriteFile(bad, bytes);
    // Other tables still digest; the damaged one fails.
    EXPECT_EQ(DigestOk(bad, {"customers"}).size(), 1u);
    Status st = DigestStatus(bad, {"customers", "orders"});
    EXPECT_EQ(st.code(), StatusCode::kCheckFailed) << st.ToString();
    const std::string where = "image " + bad + ": table \"orders\": page " + std::to_string(page) + ": ";
    EXPECT_NE(st.message().find(where), std::string::npos) << st.message() << "\nexpected: " << where;
    EXPECT_NE(st.message().find(says), std::string::npos) << st.message();
  };
  std::string type = original;
  type[static_cast<size_t>(child - 1) * 4096] = 0x07;
  damaged("type.db", type, child, "unexpected page type 0x07");
  std::string beyond = original;
  PutBe32(beyond, cell, 99999);
  damaged("beyond.db", beyond, root,
          "child page 99999 is beyond the end of the file (" + std::to_string(pages) + " pages)");
  std::string cycle = original;
  PutBe32(cycle, cell, root);
  damaged("cycle.db", cycle, root, "child page " + std::to_string(root) + " is reached a second time");
  std::string zero = original;
  PutBe32(zero, root_off + 8, 0);
  damaged("zero.db", zero, root, "right-most child page number 0 is not a page");
  std::string cells = original;
  cells[root_off + 3] = static_cast<char>(0xff);
  cells[root_off + 4] = static_cast<char>(0xff);
  damaged("cells.db", cells, root, "cells do not fit");
  std::string pointer = original;
  pointer[root_off + 12] = static_cast<char>(0xff);
  pointer[root_off + 13] = static_cast<char>(0xff);
  damaged("pointer.db", pointer, root, "outside the cell content area");
  // A child shared with another table's b-tree.
  const std::uint32_t customers_root = static_cast<std::uint32_t>(RootPage(path, "customers"));
  std::string shared = original;
  PutBe32(shared, cell, customers_root);
  {
    const std::string bad = dir.path("shared.db");
    WriteFile(bad, shared);
    Status st = DigestStatus(bad, {"customers", "orders"});
    EXPECT_EQ(st.code(), StatusCode::kCheckFailed) << st.ToString();
    EXPECT_NE(st.message().find("reached a second time"), std::string::npos) << st.message();
  }
}

TEST(SqliteImage, DamagedOverflowChainsAreFound) {
  TempDir dir;
  const std::string path = dir.path("blob.db");
  MakeDatabase(
      path,
      "CREATE TABLE b (id INTEGER PRIMARY KEY, body BLOB); INSERT INTO b VALUES (1, randomblob(20000));");
  const std::string original = testing::ReadFileOrDie(path);
  const std::uint32_t root = static_cast<std::uint32_t>(RootPage(path, "b"));
  const size_t root_off = static_cast<size_t>(root - 1) * 4096;
  ASSERT_EQ(static_cast<unsigned char>(original[root_off]), 0x0D);
  // The cell: payload size varint (3 bytes for 20000+), rowid varint (1 byte),
  // then the local payload and the first overflow page number.
  const size_t cell = root_off + Be16At(original, root_off + 8);
  size_t p = cell;
  while (static_cast<unsigned char>(original[p]) & 0x80) ++p;
  p += 2;  // last size byte, rowid
  // U = 4096: X = 4061, M = 489; K = M + (P - M) % 4092.
  std::uint64_t size = 0;
  for (size_t i = cell; i < p - 1; ++i) size = (size << 7) | (static_cast<unsigned char>(original[i]) & 0x7f);
  ASSERT_GT(size, 20000u);
  const std::uint64_t k = 489 + (size - 489) % 4092;
  const size_t first_ptr = p + (k <= 4061 ? k : 489);
  const std::uint32_t first = Be32At(original, first_ptr);
  ASSERT_GT(first, 1u);
  ASSERT_LE(first, original.size() / 4096);
  auto check = [&](const std::string& name, const std::string& bytes, const std::string& says) {
    SCOPED_TRACE(name);
    const std::string bad = dir.path(name);
    WriteFile(bad, bytes);
    Status st = DigestStatus(bad, {"b"});
    EXPECT_EQ(st.code(), StatusCode::kCheckFailed) << st.ToString();
    EXPECT_NE(st.message().find("table \"b\": page " + std::to_string(root) + ": cell 0"), std::string::npos)
        << st.message();
    EXPECT_NE(st.message().find(says), std::string::npos) << st.message();
  };
  std::string ends = original;
  PutBe32(ends, static_cast<size_t>(first - 1) * 4096, 0);
  check("ends.db", ends, "overflow chain ends after 1 pages");
  std::string loops = original;
  PutBe32(loops, static_cast<size_t>(first - 1) * 4096, first);
  check("loops.db", loops,
        "overflow page 2 of its chain: overflow page " + std::to_string(first) + " is reached a second time");
  std::string into_tree = original;
  PutBe32(into_tree, first_ptr, root);
  check("into-tree.db", into_tree, "is reached a second time");
  // The chain's last page pointing further.
  std::uint32_t last = first;
  while (Be32At(original, static_cast<size_t>(last - 1) * 4096) != 0)
    last = Be32At(original, static_cast<size_t>(last - 1) * 4096);
  std::string longer = original;
  PutBe32(longer, static_cast<size_t>(last - 1) * 4096, 1);
  check("longer.db", longer, "continues to page 1 after all");
}

// Random damage: every outcome is a digest or kCheckFailed; never a crash,
// a hang, or another error.
TEST(SqliteImage, RandomDamageIsAlwaysCheckFailedOrADigest) {
  TempDir dir;
  const std::string path = dir.path("small.db");
  MakeDatabase(
      path,
      "PRAGMA page_size = 512;"
      "CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT, b BLOB);"
      "CREATE INDEX t_v ON t (v);"
      "CREATE TABLE w (k TEXT PRIMARY KEY, n INTEGER) WITHOUT ROWID;"
      "WITH RECURSIVE g(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM g WHERE n < 150)"
      " INSERT INTO t SELECT n, printf('value %d', n), CASE WHEN n % 30 = 0 THEN randomblob(1500) END FROM g;"
      "WITH RECURSIVE g(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM g WHERE n < 150)"
      " INSERT INTO w SELECT printf('key %05d %.*c', n, n % 40, 'k'), n FROM g;");
  const std::string original = testing::ReadFileOrDie(path);
  ASSERT_GT(original.size(), 40u * 512);
  const auto clean = DigestOk(path, {"t", "w"});
  ASSERT_EQ(clean.size(), 2u);
  std::mt19937 rng(20240611);
  const std::string bad = dir.path("fuzzed.db");
  int refused = 0, digested = 0, changed = 0;
  const auto start = Clock::now();
  for (int iteration = 0; iteration < 300; ++iteration) {
    std::string bytes = original;
    const int flips = 1 + static_cast<int>(rng() % 20);
    for (int i = 0; i < flips; ++i) {
      // Half the damage in b-tree and cell headers (the first 64 bytes of a
      // page), half anywhere.
      size_t off = rng() % bytes.size();
      if (i % 2 == 0) off = (off / 512) * 512 + rng() % 64;
      bytes[off] = static_cast<char>(rng() & 0xff);
    }
    if (iteration % 10 == 9) bytes.resize(rng() % bytes.size());  // and sometimes cut short
    fs::remove(bad);  // a new file: rewriting a truncated one makes ext4 flush it
    WriteFile(bad, bytes);
    auto r = Sqlite()->DigestImage(bad, {"t", "w"});
    if (r.ok()) {
      ASSERT_EQ(r->size(), 2u);
      ++digested;
      if ((*r)[0].digest != clean[0].digest || (*r)[1].digest != clean[1].digest) ++changed;
    } else {
      ASSERT_EQ(r.status().code(), StatusCode::kCheckFailed)
          << "iteration " << iteration << ": " << r.status().ToString();
      EXPECT_NE(r.status().message().find(bad), std::string::npos) << r.status().message();
      ++refused;
    }
  }
  std::printf("[ fuzz     ] 300 damaged images: %d refused, %d digested (%d with a changed digest)\n",
              refused, digested, changed);
  EXPECT_GT(refused, 30) << "the damage should often break the structure";
  EXPECT_GT(changed, 10) << "damage to cell contents should change digests";
  EXPECT_LT(ElapsedMs(start), 60000);
}

// ---------------------------------------------------------------------------
// SnapshotImagePath and ImageFilePath

TEST(SqliteImage, SnapshotImagePathOnlyInsideASnapshotOfARollbackJournalDatabase) {
  TempDir dir;
  const std::string path = dir.path("shop.db");
  MakeDatabase(path, kShopImage);
  auto conn = Open(FileUri(path));
  ASSERT_TRUE(conn);
  auto outside = conn->SnapshotImagePath();
  ASSERT_FALSE(outside.ok());
  EXPECT_EQ(outside.status().code(), StatusCode::kInvalidInput) << outside.status().ToString();
  EXPECT_NE(outside.status().message().find("BeginSnapshot"), std::string::npos)
      << outside.status().message();
  // A plain transaction is no snapshot.
  ASSERT_TRUE(conn->Begin().ok());
  EXPECT_FALSE(conn->SnapshotImagePath().ok());
  ASSERT_TRUE(conn->Rollback().ok());

  ASSERT_TRUE(conn->BeginSnapshot(SnapshotOptions{}).ok());
  auto image = conn->SnapshotImagePath();
  ASSERT_TRUE(image.ok()) << image.status().ToString();
  EXPECT_TRUE(fs::equivalent(*image, path)) << *image;
  EXPECT_EQ(ByTable(DigestOk(*image, kShopTables))["orders"].rows, 5000);
  ASSERT_TRUE(conn->EndSnapshot().ok());
  auto after = conn->SnapshotImagePath();
  ASSERT_FALSE(after.ok());
  EXPECT_EQ(after.status().code(), StatusCode::kInvalidInput) << after.status().ToString();
  // A snapshot rolled back behind the driver's back is not pinned either.
  ASSERT_TRUE(conn->BeginSnapshot(SnapshotOptions{}).ok());
  ASSERT_TRUE(conn->Execute("ROLLBACK").ok());
  EXPECT_FALSE(conn->SnapshotImagePath().ok());
  ASSERT_TRUE(conn->EndSnapshot().ok());
}

TEST(SqliteImage, WalAndInMemoryDatabasesHaveNoImage) {
  TempDir dir;
  const std::string path = dir.path("wal.db");
  MakeDatabase(path, "PRAGMA journal_mode = WAL; CREATE TABLE t (a); INSERT INTO t VALUES (1);");
  auto conn = Open(FileUri(path));
  ASSERT_TRUE(conn);
  ASSERT_TRUE(conn->BeginSnapshot(SnapshotOptions{}).ok());
  auto image = conn->SnapshotImagePath();
  ASSERT_FALSE(image.ok());
  EXPECT_EQ(image.status().code(), StatusCode::kUnsupported) << image.status().ToString();
  EXPECT_NE(image.status().message().find("WAL"), std::string::npos) << image.status().message();
  EXPECT_NE(image.status().message().find("records"), std::string::npos) << image.status().message();
  ASSERT_TRUE(conn->EndSnapshot().ok());
}

TEST(SqliteImage, ImageFilePathIsTheFileConnectOpens) {
  ScratchDatabase db("sqlite");
  auto abs = Sqlite()->ImageFilePath(db.uri());
  ASSERT_TRUE(abs.ok()) << abs.status().ToString();
  EXPECT_EQ(*abs, db.uri().path());
  const std::string relative = fs::relative(db.uri().path()).string();
  ASSERT_FALSE(StartsWith(relative, "/"));
  auto uri = ConnectionUri::Parse("sqlite:" + relative + "?busy_timeout=100");
  ASSERT_TRUE(uri.ok());
  auto rel = Sqlite()->ImageFilePath(*uri);
  ASSERT_TRUE(rel.ok()) << rel.status().ToString();
  EXPECT_TRUE(StartsWith(*rel, "/")) << *rel;
  EXPECT_TRUE(fs::equivalent(*rel, db.uri().path())) << *rel;
  auto bad = ConnectionUri::Parse("sqlite://" + db.uri().path() + "?mode=rwc");
  ASSERT_TRUE(bad.ok());
  EXPECT_EQ(Sqlite()->ImageFilePath(*bad).status().code(), StatusCode::kInvalidInput);
  auto pg = ConnectionUri::Parse("postgresql://u@h/db");
  ASSERT_TRUE(pg.ok());
  EXPECT_EQ(Sqlite()->ImageFilePath(*pg).status().code(), StatusCode::kInvalidInput);
}

// Run by the test below in a child process (POSIX locks are per process):
// tries one write to the database named by CUTOVER_TEST_SQLITE_WRITER and
// prints what happened.
TEST(SqliteImageHelper, WriterInAnotherProcess) {
  const char* path = std::getenv("CUTOVER_TEST_SQLITE_WRITER");
  if (path == nullptr) GTEST_SKIP() << "run by SqliteImage.DigestingInsideASnapshotKeepsItsReadLock";
  auto conn = Sqlite()->Connect(FileUri(path, "?busy_timeout=200"));
  ASSERT_TRUE(conn.ok()) << conn.status().ToString();
  auto ins = (*conn)->Execute("INSERT INTO orders (customer, total) VALUES (1, 1)");
  std::printf("%s\n", ins.ok() ? "WRITER COMMITTED" : ("WRITER REFUSED: " + ins.status().ToString()).c_str());
}

// Closing any descriptor of a file drops all of the process's POSIX locks
// on it: the image reader must not release the snapshot's read lock.
TEST(SqliteImage, DigestingInsideASnapshotKeepsItsReadLock) {
  TempDir dir;
  const std::string path = dir.path("locked.db");
  MakeDatabase(path, kShopImage);
  std::error_code ec;
  const fs::path self = fs::read_symlink("/proc/self/exe", ec);
  ASSERT_FALSE(ec) << ec.message();
  auto write_from_another_process = [&](const std::string& name) {
    const fs::path out = dir.path(name + ".out");
    testing::ChildProcess child({self.string(), "--gtest_filter=SqliteImageHelper.WriterInAnotherProcess"},
                                testing::ProcessOptions().Env({"CUTOVER_TEST_SQLITE_WRITER=" + path}), out);
    EXPECT_TRUE(child.WaitFor(std::chrono::seconds(60)));
    return child.Log();
  };
  auto conn = Open(FileUri(path));
  ASSERT_TRUE(conn);
  ASSERT_TRUE(conn->BeginSnapshot(SnapshotOptions{}).ok());
  auto image = conn->SnapshotImagePath();
  ASSERT_TRUE(image.ok()) << image.status().ToString();
  auto first = DigestOk(*image, kShopTables);
  EXPECT_TRUE(DigestOk(*image, {"orders"}).size() == 1);  // opened and closed twice
  const std::string during = write_from_another_process("during");
  EXPECT_NE(during.find("WRITER REFUSED"), std::string::npos) << during;
  EXPECT_EQ(DigestOk(*image, kShopTables)[1].digest, first[1].digest);
  ASSERT_TRUE(conn->EndSnapshot().ok());
  const std::string after = write_from_another_process("after");
  EXPECT_NE(after.find("WRITER COMMITTED"), std::string::npos) << after;
  EXPECT_NE(DigestOk(path, {"orders"})[0].digest, first[1].digest);
}

// ---------------------------------------------------------------------------
// CheckIntegrity: the parallel parts together find what integrity_check finds

TEST(SqliteData, CheckIntegrityFindsAnIndexEntryThatDisagreesWithItsRow) {
  TempDir dir;
  const std::string path = dir.path("index.db");
  MakeDatabase(path,
               "CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT);"
               "CREATE INDEX t_v ON t (v);"
               "CREATE TABLE \"o'ther \"\"t\"\"\" (x INTEGER UNIQUE);"
               "INSERT INTO \"o'ther \"\"t\"\"\" VALUES (1), (2);"
               "WITH RECURSIVE g(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM g WHERE n < 2000)"
               " INSERT INTO t SELECT n, printf('value %05d', n) FROM g;");
  std::string root;
  {
    auto conn = Open(FileUri(path));
    ASSERT_TRUE(conn);
    std::string checks;
    auto healthy = conn->CheckIntegrity(&checks);
    ASSERT_TRUE(healthy.ok()) << healthy.status().ToString();
    EXPECT_TRUE(healthy->empty()) << Join(*healthy, "\n");
    EXPECT_NE(checks.find("integrity_check of 2 tables (2 indexes) and quick_check of the whole file, on 2 "
                          "connections"),
              std::string::npos)
        << checks;
    // Take the index out of the schema, change a row it indexes, put the
    // index back: its b-tree is intact, but its entry for row 7 is stale.
    root = Scalar(*conn, "SELECT rootpage FROM sqlite_schema WHERE name = 't_v'");
    ASSERT_TRUE(conn->ExecuteScript("PRAGMA writable_schema = ON;"
                                    "DELETE FROM sqlite_schema WHERE name = 't_v';"
                                    "PRAGMA writable_schema = OFF;")
                    .ok());
  }
  {
    auto conn = Open(FileUri(path));
    ASSERT_TRUE(conn);
    ASSERT_TRUE(conn->Execute("UPDATE t SET v = 'changed' WHERE id = 7").ok());
  }
  {
    auto conn = Open(FileUri(path));
    ASSERT_TRUE(conn);
    ASSERT_TRUE(conn->ExecuteScript("PRAGMA writable_schema = ON;"
                                    "INSERT INTO sqlite_schema VALUES ('index', 't_v', 't', " +
                                    root +
                                    ", 'CREATE INDEX t_v ON t (v)');"
                                    "PRAGMA writable_schema = OFF;")
                    .ok());
  }
  auto conn = Open(FileUri(path));
  ASSERT_TRUE(conn);
  EXPECT_EQ(Scalar(*conn, "PRAGMA quick_check"), "ok") << "quick_check does not compare indexes with rows";
  std::string checks;
  auto problems = conn->CheckIntegrity(&checks);
  ASSERT_TRUE(problems.ok()) << problems.status().ToString();
  ASSERT_FALSE(problems->empty()) << "the stale index entry went unnoticed";
  const std::string all = Join(*problems, "\n");
  EXPECT_NE(all.find("integrity_check of table \"t\": row 7 missing from index t_v"), std::string::npos)
      << all;
  EXPECT_EQ(all.find("quick_check"), std::string::npos) << all;
  EXPECT_EQ(all.find("o'ther"), std::string::npos) << all;
}

TEST(SqliteData, CheckIntegrityFindsPagesNoTableOwnsWithQuickCheck) {
  TempDir dir;
  const std::string path = dir.path("freelist.db");
  MakeDatabase(path,
               "CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT);"
               "CREATE INDEX t_v ON t (v);"
               "WITH RECURSIVE g(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM g WHERE n < 3000)"
               " INSERT INTO t SELECT n, printf('value %05d %.*c', n, 100, 'v') FROM g;"
               "DELETE FROM t WHERE id > 1000;");
  std::string bytes = testing::ReadFileOrDie(path);
  ASSERT_GT(Be32At(bytes, 36), 10u) << "the deleted rows' pages are on the freelist";
  // Forget the freelist: its pages now belong to nothing, which only the
  // whole-file page accounting can see.
  PutBe32(bytes, 32, 0);
  PutBe32(bytes, 36, 0);
  WriteFile(path, bytes);
  std::string checks;
  const std::vector<std::string> problems = IntegrityProblems(path, &checks);
  const std::string all = Join(problems, "\n");
  ASSERT_FALSE(problems.empty()) << "pages outside every b-tree and the freelist went unnoticed";
  EXPECT_TRUE(StartsWith(problems[0], "quick_check: ")) << all;
  EXPECT_NE(all.find("never used"), std::string::npos) << all;
  EXPECT_EQ(all.find("integrity_check of table"), std::string::npos) << all;
}

TEST(SqliteData, CheckIntegrityNamesTheTreesOfDamagedPages) {
  TempDir dir;
  const std::string path = dir.path("tree.db");
  MakeDatabase(path,
               "CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT);"
               "WITH RECURSIVE g(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM g WHERE n < 3000)"
               " INSERT INTO t SELECT n, printf('value %05d', n) FROM g;");
  const std::uint32_t root = static_cast<std::uint32_t>(RootPage(path, "t"));
  std::string bytes = testing::ReadFileOrDie(path);
  const size_t root_off = static_cast<size_t>(root - 1) * 4096;
  ASSERT_EQ(static_cast<unsigned char>(bytes[root_off]), 0x05);
  // Two cells of the root point at the same child.
  const size_t cell0 = root_off + Be16At(bytes, root_off + 12);
  const size_t cell1 = root_off + Be16At(bytes, root_off + 14);
  PutBe32(bytes, cell1, Be32At(bytes, cell0));
  WriteFile(path, bytes);
  std::string checks;
  const std::vector<std::string> problems = IntegrityProblems(path, &checks);
  const std::string all = Join(problems, "\n");
  ASSERT_FALSE(problems.empty());
  // One problem per line, each naming its check, the table's own first.
  // quick_check finds the same damage and does not repeat it; what it adds
  // is the page no b-tree uses any more.
  EXPECT_TRUE(StartsWith(problems[0], "integrity_check of table \"t\": ")) << all;
  int quick = 0;
  for (const std::string& p : problems) {
    EXPECT_EQ(p.find('\n'), std::string::npos) << all;
    EXPECT_EQ(p.find("*** in database"), std::string::npos) << all;
    if (StartsWith(p, "quick_check: ")) {
      ++quick;
      EXPECT_NE(p.find("never used"), std::string::npos) << all;
    } else {
      EXPECT_TRUE(StartsWith(p, "integrity_check of table \"t\": ")) << all;
    }
  }
  EXPECT_EQ(quick, 1) << all;
  // The page SQLite names is the table's root: the problem says so.
  EXPECT_NE(all.find("page " + std::to_string(root) + " (the root of table \"t\") cell 0: "),
            std::string::npos)
      << all;
  EXPECT_NE(all.find("2nd reference to page"), std::string::npos) << all;
}

TEST(SqliteData, CheckIntegrityRunsWholeWhereItCannotSplit) {
  TempDir dir;
  const std::string path = dir.path("numeric.db");
  // integrity_check('1abc') would read the name as an error limit.
  MakeDatabase(path, "CREATE TABLE \"1abc\" (x UNIQUE); INSERT INTO \"1abc\" VALUES (1);");
  auto conn = Open(FileUri(path));
  ASSERT_TRUE(conn);
  std::string checks;
  auto problems = conn->CheckIntegrity(&checks);
  ASSERT_TRUE(problems.ok()) << problems.status().ToString();
  EXPECT_TRUE(problems->empty()) << Join(*problems, "\n");
  EXPECT_TRUE(StartsWith(checks, "PRAGMA integrity_check (1 tables, 1 indexes)")) << checks;
  // Inside a transaction, other connections would not see its changes.
  ASSERT_TRUE(conn->Begin().ok());
  ASSERT_TRUE(conn->Execute("INSERT INTO \"1abc\" VALUES (2)").ok());
  problems = conn->CheckIntegrity(&checks);
  ASSERT_TRUE(problems.ok()) << problems.status().ToString();
  EXPECT_TRUE(StartsWith(checks, "PRAGMA integrity_check")) << checks;
  ASSERT_TRUE(conn->Rollback().ok());
}

}  // namespace
}  // namespace cutover
