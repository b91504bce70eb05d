// PostgreSQL driver tests: the text helpers (unit), then the plugin through
// the real loader against the test server: connections and their failures,
// statements, scripts, typed streaming results in bounded memory,
// transactions, timeouts, lock waits, connection loss, quoting of hostile
// names, scratch databases, schema reading and normalization, the shop
// fixture and the drift corpus of tests/drift_corpus/postgresql.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <map>
#include <regex>
#include <set>
#include <sstream>
#include <string>
#include <thread>
#include <tuple>
#include <vector>

#include "base/strings.h"
#include "postgresql_script_text.h"
#include "schema/drift.h"
#include "schema/fingerprint.h"
#include "support/test_env.h"

namespace cutover {
namespace {

using testing::Bag;
using testing::BatchesOf;
using testing::DriftLines;
using testing::Dump;
using testing::ExportRecords;
using testing::StatusKb;
using testing::TableLabel;
using testing::TakeDriverSnapshot;

namespace fs = std::filesystem;
using namespace std::chrono_literals;
using testing::ScratchDatabase;

constexpr const char* kEngine = "postgresql";

Driver* Pg() {
  return testing::TestDriver(kEngine);
}

// ===========================================================================
// Helpers
// ===========================================================================

using Table = std::vector<std::vector<std::string>>;

Status QueryInto(Connection& c, const std::string& sql, Table* out, const ExecOptions& options = {}) {
  return c.Query(
      sql,
      [out](RowView row) {
        std::vector<std::string> r;
        for (const Cell& cell : row) r.push_back(cell.is_null() ? "<null>" : std::string(cell.data));
        out->push_back(std::move(r));
        return Status::Ok();
      },
      options);
}

Table Rows(Connection& c, const std::string& sql) {
  Table t;
  Status st = QueryInto(c, sql, &t);
  EXPECT_TRUE(st.ok()) << sql << ": " << st.ToString();
  return t;
}

std::string Scalar(Connection& c, const std::string& sql) {
  Table t = Rows(c, sql);
  return t.empty() || t[0].empty() ? "<no row>" : t[0][0];
}

void Exec(Connection& c, const std::string& sql) {
  auto r = c.Execute(sql);
  ASSERT_TRUE(r.ok()) << sql << ": " << r.status().ToString();
}

std::unique_ptr<Connection> ConnectTo(const ConnectionUri& uri) {
  auto c = Pg()->Connect(uri);
  EXPECT_TRUE(c.ok()) << c.status().ToString();
  return c.ok() ? std::move(*c) : nullptr;
}

// The password of a test URI (the test server always has one; a missing one
// is a failure, never a crash).
std::string Password(const ConnectionUri& uri) {
  if (!uri.password().has_value()) {
    ADD_FAILURE() << uri.Redacted() << " has no password: the test server URI must carry one";
    return "<no password>";
  }
  return *uri.password();
}

// The server URI with another user/password, for failure tests.
std::string UriWithPassword(const ConnectionUri& server, const std::string& password) {
  return "postgresql://" + PercentEncode(server.user()) + ":" + PercentEncode(password) + "@" +
         server.host() + ":" + std::to_string(server.port().value_or(5432)) + "/" +
         PercentEncode(server.database());
}

SchemaModel ReadModel(Connection& c) {
  auto m = c.ReadSchema();
  EXPECT_TRUE(m.ok()) << m.status().ToString();
  return m.ok() ? std::move(*m) : SchemaModel{};
}

SchemaModel ModelOf(const std::string& script) {
  ScratchDatabase db(kEngine);
  auto conn = db.Connect();
  if (!conn) return {};
  Status st = conn->ExecuteScript(script);
  EXPECT_TRUE(st.ok()) << st.ToString();
  return ReadModel(*conn);
}

const SchemaObject* Find(const SchemaModel& m, ObjectKind kind, const std::string& schema,
                         const std::string& table, const std::string& name) {
  return m.Find(kind, schema, table, name);
}

// An attribute of an object; "<no object>" (and a failure) when the object
// is missing, "<absent>" when the attribute is.
std::string Attr(const SchemaModel& m, ObjectKind kind, const std::string& schema, const std::string& table,
                 const std::string& name, const std::string& attribute) {
  const SchemaObject* obj = m.Find(kind, schema, table, name);
  if (obj == nullptr) {
    ADD_FAILURE() << "no " << ObjectKindName(kind) << " " << schema << "." << table << "." << name;
    return "<no object>";
  }
  auto it = obj->attributes.find(attribute);
  return it == obj->attributes.end() ? "<absent>" : it->second;
}

std::string JoinLines(const std::set<std::string>& lines) {
  std::string out;
  for (const auto& l : lines) out += "  " + l + "\n";
  return out.empty() ? "  (none)\n" : out;
}

// Waits until `pid` has left pg_stat_activity (seen from `observer`).
void WaitGone(Connection& observer, const std::string& pid) {
  for (int i = 0; i < 100; ++i) {
    if (Scalar(observer, "SELECT count(*) FROM pg_stat_activity WHERE pid = " + pid) == "0") return;
    std::this_thread::sleep_for(50ms);
  }
  ADD_FAILURE() << "backend " << pid << " did not go away";
}

// ===========================================================================
// Text helpers (unit)
// ===========================================================================

std::vector<std::string> Texts(std::string_view script) {
  std::vector<std::string> out;
  for (const auto& s : postgresql::SplitScript(script)) out.push_back(s.text);
  return out;
}

TEST(PostgresText, SplitScriptHonoursQuotesCommentsAndBodies) {
  EXPECT_EQ(Texts("SELECT 1; SELECT 2;"), (std::vector<std::string>{"SELECT 1", "SELECT 2"}));
  EXPECT_EQ(Texts("SELECT 1"), (std::vector<std::string>{"SELECT 1"}));
  EXPECT_EQ(Texts("  ;; -- only a comment ;\n /* and ; another */ ;"), std::vector<std::string>{});
  EXPECT_EQ(Texts("SELECT 'a;b''c;'; SELECT \"x;\"\"y\" FROM t;"),
            (std::vector<std::string>{"SELECT 'a;b''c;'", "SELECT \"x;\"\"y\" FROM t"}));
  // E'' strings: a backslash-escaped quote does not end the literal.
  EXPECT_EQ(Texts("SELECT E'it\\'s; fine'; SELECT 2"),
            (std::vector<std::string>{"SELECT E'it\\'s; fine'", "SELECT 2"}));
  // ...but in a standard string a backslash is just a character.
  EXPECT_EQ(Texts("SELECT 'a\\'; SELECT 2"), (std::vector<std::string>{"SELECT 'a\\'", "SELECT 2"}));
  EXPECT_EQ(Texts("CREATE FUNCTION f() RETURNS int AS $$ SELECT 1; $$ LANGUAGE sql; SELECT 2"),
            (std::vector<std::string>{"CREATE FUNCTION f() RETURNS int AS $$ SELECT 1; $$ LANGUAGE sql",
                                      "SELECT 2"}));
  EXPECT_EQ(Texts("DO $body$ BEGIN PERFORM 1; $x$ not a tag end $x$; END $body$; SELECT $1"),
            (std::vector<std::string>{"DO $body$ BEGIN PERFORM 1; $x$ not a tag end $x$; END $body$",
                                      "SELECT $1"}));
  // Nested block comments and a -- comment holding a quote.
  EXPECT_EQ(Texts("SELECT /* a /* b; */ c; */ 1; -- it's\nSELECT 2"),
            (std::vector<std::string>{"SELECT /* a /* b; */ c; */ 1", "SELECT 2"}));
  // Parentheses: psql does not split inside them.
  EXPECT_EQ(
      Texts("CREATE RULE r AS ON INSERT TO t DO ALSO (INSERT INTO a VALUES (1); INSERT INTO b VALUES (2)); "
            "SELECT 3"),
      (std::vector<std::string>{
          "CREATE RULE r AS ON INSERT TO t DO ALSO (INSERT INTO a VALUES (1); INSERT INTO b VALUES (2))",
          "SELECT 3"}));
  // SQL-standard routine bodies: BEGIN ATOMIC ... END with CASE ... END inside.
  EXPECT_EQ(
      Texts("CREATE OR REPLACE FUNCTION f(x int) RETURNS int LANGUAGE sql BEGIN ATOMIC SELECT CASE WHEN x > "
            "0 THEN 1 ELSE 0 END; SELECT 2; END; BEGIN; COMMIT"),
      (std::vector<std::string>{"CREATE OR REPLACE FUNCTION f(x int) RETURNS int LANGUAGE sql BEGIN ATOMIC "
                                "SELECT CASE WHEN x > 0 THEN 1 ELSE 0 END; SELECT 2; END",
                                "BEGIN", "COMMIT"}));
  EXPECT_EQ(Texts("CREATE PROCEDURE p() LANGUAGE sql BEGIN ATOMIC INSERT INTO t VALUES (1); END; SELECT 1"),
            (std::vector<std::string>{
                "CREATE PROCEDURE p() LANGUAGE sql BEGIN ATOMIC INSERT INTO t VALUES (1); END", "SELECT 1"}));
  // An unterminated quote swallows the rest (the server then reports it).
  EXPECT_EQ(Texts("SELECT 'open; SELECT 2"), (std::vector<std::string>{"SELECT 'open; SELECT 2"}));
}

TEST(PostgresText, SplitScriptLineNumbers) {
  auto st =
      postgresql::SplitScript("-- header\n\nSELECT 1;\n/* multi\nline */\nSELECT\n  'a\nb';\n\n  SELECT 3");
  ASSERT_EQ(st.size(), 3u);
  EXPECT_EQ(st[0].line, 3);
  EXPECT_EQ(st[1].line, 6);
  EXPECT_EQ(st[2].line, 10);
}

TEST(PostgresText, FirstLineAndKeyword) {
  EXPECT_EQ(postgresql::FirstLine("-- c\n  /* x */ CREATE TABLE t (\n a int\n)"), "CREATE TABLE t ( ...");
  EXPECT_EQ(postgresql::FirstLine("SELECT 1"), "SELECT 1");
  EXPECT_EQ(postgresql::FirstLine(std::string(200, 'x')).size(), 123u);
  EXPECT_EQ(postgresql::FirstKeyword(" /* c */ -- d\n WITH x AS (SELECT 1) SELECT * FROM x"), "with");
  EXPECT_EQ(postgresql::FirstKeyword("(SELECT 1) UNION (SELECT 2)"), "(");
  EXPECT_EQ(postgresql::FirstKeyword("sElEcT 1"), "select");
}

TEST(PostgresText, TransactionEffect) {
  using postgresql::TransactionEffect;
  EXPECT_EQ(TransactionEffect("BEGIN"), 1);
  EXPECT_EQ(TransactionEffect("-- c\n begin isolation level serializable"), 1);
  EXPECT_EQ(TransactionEffect("START TRANSACTION READ ONLY"), 1);
  EXPECT_EQ(TransactionEffect("COMMIT"), -1);
  EXPECT_EQ(TransactionEffect("end transaction"), -1);
  EXPECT_EQ(TransactionEffect("ROLLBACK"), -1);
  EXPECT_EQ(TransactionEffect("abort"), -1);
  EXPECT_EQ(TransactionEffect("PREPARE TRANSACTION 'x'"), -1);
  EXPECT_EQ(TransactionEffect("ROLLBACK TO SAVEPOINT s"), 0);
  EXPECT_EQ(TransactionEffect("rollback to s"), 0);
  EXPECT_EQ(TransactionEffect("COMMIT AND CHAIN"), 0);
  EXPECT_EQ(TransactionEffect("COMMIT AND NO CHAIN"), -1);
  EXPECT_EQ(TransactionEffect("COMMIT PREPARED 'x'"), 0);
  EXPECT_EQ(TransactionEffect("SELECT 'BEGIN'"), 0);
  EXPECT_EQ(TransactionEffect("START something"), 0);
  EXPECT_EQ(TransactionEffect(""), 0);
}

TEST(PostgresText, Quoting) {
  EXPECT_EQ(postgresql::QuoteIdent("plain"), "\"plain\"");
  EXPECT_EQ(postgresql::QuoteIdent("we\"ird"), "\"we\"\"ird\"");
  EXPECT_EQ(postgresql::QuoteIdent(""), "\"\"");
  EXPECT_EQ(postgresql::QuoteLit("it's"), "'it''s'");
  EXPECT_EQ(postgresql::QuoteLit("a\\b'c"), "E'a\\\\b''c'");
  EXPECT_EQ(postgresql::QuoteLit(""), "''");
}

TEST(PostgresText, JsonStringArrays) {
  auto v = postgresql::ParseJsonStringArray(R"(["a", "b\"c", "\\", "\u00e9\ud83d\ude00", "\n\t\b\f\/"])");
  ASSERT_TRUE(v.has_value());
  EXPECT_EQ(*v, (std::vector<std::string>{"a", "b\"c", "\\", "\xC3\xA9\xF0\x9F\x98\x80", "\n\t\b\f/"}));
  EXPECT_EQ(*postgresql::ParseJsonStringArray("[]"), std::vector<std::string>{});
  EXPECT_FALSE(postgresql::ParseJsonStringArray("[1]").has_value());
  EXPECT_FALSE(postgresql::ParseJsonStringArray("[\"a\"").has_value());
  EXPECT_FALSE(postgresql::ParseJsonStringArray("[\"a\" \"b\"]").has_value());
  EXPECT_FALSE(postgresql::ParseJsonStringArray("null").has_value());
}

TEST(PostgresText, IntLists) {
  EXPECT_EQ(*postgresql::ParseIntList("{1,2,30}"), (std::vector<long long>{1, 2, 30}));
  EXPECT_EQ(*postgresql::ParseIntList("3 0 -2"), (std::vector<long long>{3, 0, -2}));
  EXPECT_EQ(*postgresql::ParseIntList(""), std::vector<long long>{});
  EXPECT_EQ(*postgresql::ParseIntList("{}"), std::vector<long long>{});
  EXPECT_FALSE(postgresql::ParseIntList("{1,a}").has_value());
  EXPECT_FALSE(postgresql::ParseIntList("{1").has_value());
}

// Issue 14: `x AT TIME ZONE 'utc'` and `timezone('utc', x)` are one
// expression the server stores in whichever form was typed.
TEST(PostgresText, TimezoneCallsReadAsAtTimeZone) {
  using postgresql::NormalizeTimezoneCalls;
  EXPECT_EQ(NormalizeTimezoneCalls("timezone('utc'::text, a)"), "(a AT TIME ZONE 'utc'::text)");
  EXPECT_EQ(NormalizeTimezoneCalls(
                "(timezone('utc'::text, a) > '2000-01-01 00:00:00'::timestamp without time zone)"),
            "((a AT TIME ZONE 'utc'::text) > '2000-01-01 00:00:00'::timestamp without time zone)");
  EXPECT_EQ(NormalizeTimezoneCalls("timezone('UTC'::text, now())"), "(now() AT TIME ZONE 'UTC'::text)");
  // Nested, and an argument holding a comma inside parentheses or quotes.
  EXPECT_EQ(NormalizeTimezoneCalls("timezone(z, timezone('utc'::text, coalesce(a, b)))"),
            "((coalesce(a, b) AT TIME ZONE 'utc'::text) AT TIME ZONE z)");
  EXPECT_EQ(NormalizeTimezoneCalls("timezone('a,b'::text, x)"), "(x AT TIME ZONE 'a,b'::text)");
  // Left alone: literals, quoted names, other functions, other arities.
  EXPECT_EQ(NormalizeTimezoneCalls("'timezone(1, 2)'::text"), "'timezone(1, 2)'::text");
  EXPECT_EQ(NormalizeTimezoneCalls("\"timezone(\"(1, 2)"), "\"timezone(\"(1, 2)");
  EXPECT_EQ(NormalizeTimezoneCalls("my_timezone(1, 2)"), "my_timezone(1, 2)");
  EXPECT_EQ(NormalizeTimezoneCalls("timezone(x)"), "timezone(x)");
  EXPECT_EQ(NormalizeTimezoneCalls("timezone(1, 2, 3)"), "timezone(1, 2, 3)");
  EXPECT_EQ(NormalizeTimezoneCalls("timezone('unterminated"), "timezone('unterminated");
  EXPECT_EQ(postgresql::NormalizeDefault("timezone('utc'::text, now())"), "(now() AT TIME ZONE 'utc'::text)");
}

// Issue 14 (found by the schema corpus): `status IN ('a', 'b')` on a
// varchar column is stored as an array cast as a whole and comes back from a
// restore with each element cast; both read the same.
TEST(PostgresText, ArrayCastsReadAsPostgresPrintsThemAfterARestore) {
  using postgresql::NormalizeArrayCasts;
  const std::string stored =
      "((status)::text = ANY ((ARRAY['draft'::character varying, 'live'::character varying])::text[]))";
  const std::string restored =
      "((status)::text = ANY (ARRAY[('draft'::character varying)::text, ('live'::character varying)::text]))";
  EXPECT_EQ(NormalizeArrayCasts(stored), restored);
  EXPECT_EQ(NormalizeArrayCasts(restored), restored) << "idempotent";
  // Pretty-printed (views).
  EXPECT_EQ(
      NormalizeArrayCasts("q.status::text = ANY (ARRAY['draft'::character varying, 'it''s'::character "
                          "varying]::text[])"),
      "q.status::text = ANY (ARRAY['draft'::character varying::text, 'it''s'::character varying::text])");
  // Left alone: arrays that are not all cast literals, uncast arrays, text inside literals.
  for (const char* same :
       {"(c = ANY (ARRAY['a'::bpchar, 'b'::bpchar]))", "(x = ANY ((ARRAY[1, 2])::bigint[]))",
        "(x = ANY ((ARRAY[y, 'b'::character varying])::text[]))", "'ARRAY[''a''::text]::text[]'::text",
        "ARRAY['unterminated"}) {
    EXPECT_EQ(NormalizeArrayCasts(same), same);
  }
}

TEST(PostgresText, NormalizationHelpers) {
  EXPECT_EQ(postgresql::NormalizeDefault("now()"), "CURRENT_TIMESTAMP");
  EXPECT_EQ(postgresql::NormalizeDefault("transaction_timestamp()"), "CURRENT_TIMESTAMP");
  EXPECT_EQ(postgresql::NormalizeDefault("'a  b'::text"), "'a  b'::text");
  EXPECT_EQ(postgresql::TriggerWhen(
                "CREATE TRIGGER t BEFORE UPDATE ON x FOR EACH ROW WHEN ((old.a IS DISTINCT FROM "
                "new.a) AND (new.b <> ')')) EXECUTE FUNCTION f()"),
            "(old.a IS DISTINCT FROM new.a) AND (new.b <> ')')");
  EXPECT_EQ(
      postgresql::TriggerWhen("CREATE TRIGGER t AFTER INSERT ON x FOR EACH ROW EXECUTE FUNCTION f('WHEN (')"),
      "");
  EXPECT_EQ(postgresql::CleanMessage("ERROR:  boom\nLINE 1: x\n   ^\n"), "boom | LINE 1: x | ^");
  EXPECT_EQ(postgresql::CleanMessage("failed: password=hunter2 x"), "failed: password=*** x");
}

// ===========================================================================
// Driver and connections
// ===========================================================================

TEST(PostgresDriver, InfoNamesDriverSchemesAndLibraries) {
  Driver* d = Pg();
  ASSERT_NE(d, nullptr);
  EXPECT_EQ(d->info().name, "postgresql");
  EXPECT_EQ(d->info().schemes, (std::vector<std::string>{"postgresql", "postgres"}));
  EXPECT_FALSE(d->info().driver_version.empty());
  EXPECT_TRUE(
      std::regex_search(d->info().client_library, std::regex(R"(^libpqxx 6\.\d+\.\d+ / libpq \d+\.\d+$)")))
      << d->info().client_library;
}

TEST(PostgresDriver, ConnectReportsServerAndSession) {
  ScratchDatabase db(kEngine);
  auto c = db.Connect();
  ASSERT_TRUE(c);
  EXPECT_EQ(c->server_info().product, "PostgreSQL");
  EXPECT_TRUE(std::regex_match(c->server_info().version, std::regex(R"(\d+\.\d+)")))
      << c->server_info().version;
  EXPECT_EQ(std::to_string(c->server_info().version_number), Scalar(*c, "SHOW server_version_num"));
  EXPECT_EQ(c->SessionId(), Scalar(*c, "SELECT pg_backend_pid()"));
  EXPECT_EQ(c->display_uri(), db.uri().Redacted());
  ASSERT_TRUE(db.uri().password().has_value());
  EXPECT_EQ(c->display_uri().find(Password(db.uri())), std::string::npos);
  EXPECT_EQ(Scalar(*c, "SELECT current_database()"), db.name());
}

TEST(PostgresDriver, PostgresSchemeAndSocketDirectory) {
  const ConnectionUri server = testing::ServerUri(kEngine);
  ASSERT_TRUE(server.password().has_value());
  std::string text = server.Text();
  auto alias = ConnectionUri::Parse("postgres" + text.substr(text.find("://")));
  ASSERT_TRUE(alias.ok());
  auto c = ConnectTo(*alias);
  ASSERT_TRUE(c);
  EXPECT_EQ(Scalar(*c, "SELECT 1"), "1");

  const char* socket_dir = std::getenv("CUTOVER_TEST_PG_SOCKET_DIR");
  ASSERT_NE(socket_dir, nullptr) << "CUTOVER_TEST_PG_SOCKET_DIR is not set";
  auto sock = ConnectionUri::Parse(
      "postgresql:///" + server.database() + "?host=" + PercentEncode(socket_dir) +
      "&port=" + std::to_string(server.port().value_or(5432)) + "&user=" + PercentEncode(server.user()) +
      "&password=" + PercentEncode(Password(server)));
  ASSERT_TRUE(sock.ok()) << sock.status().ToString();
  auto s = ConnectTo(*sock);
  ASSERT_TRUE(s);
  // Over a Unix socket inet_server_addr() is NULL.
  EXPECT_EQ(Scalar(*s, "SELECT inet_server_addr()"), "<null>");
  EXPECT_EQ(s->display_uri().find(Password(server)), std::string::npos);
}

TEST(PostgresDriver, WrongPasswordIsAConnectionErrorWithoutThePassword) {
  const ConnectionUri server = testing::ServerUri(kEngine);
  const std::string secret = "Wr0ng-s3cret-pw";
  auto uri = ConnectionUri::Parse(UriWithPassword(server, secret));
  ASSERT_TRUE(uri.ok());
  auto c = Pg()->Connect(*uri);
  ASSERT_FALSE(c.ok());
  EXPECT_EQ(c.status().code(), StatusCode::kConnection) << c.status().ToString();
  EXPECT_EQ(c.status().message().find(secret), std::string::npos) << c.status().message();
  EXPECT_EQ(c.status().message().find(Password(server)), std::string::npos);
  EXPECT_NE(c.status().message().find("password authentication failed"), std::string::npos)
      << c.status().message();
  EXPECT_NE(c.status().message().find(uri->Redacted()), std::string::npos) << c.status().message();
  // The scratch-database entry points report it the same way.
  auto created = Pg()->CreateDatabase(*uri, testing::UniqueName("cutover_scratch_pgtest_"));
  ASSERT_FALSE(created.ok());
  EXPECT_EQ(created.status().code(), StatusCode::kConnection);
  EXPECT_EQ(created.status().message().find(secret), std::string::npos) << created.status().message();
  auto listed = Pg()->ListDatabases(*uri, "cutover_scratch_");
  ASSERT_FALSE(listed.ok());
  EXPECT_EQ(listed.status().message().find(secret), std::string::npos);
}

TEST(PostgresDriver, UnreachablePortFailsFast) {
  const ConnectionUri server = testing::ServerUri(kEngine);
  auto uri = ConnectionUri::Parse("postgresql://" + server.user() + ":" + PercentEncode(Password(server)) +
                                  "@127.0.0.1:1/postgres");
  ASSERT_TRUE(uri.ok());
  auto t0 = std::chrono::steady_clock::now();
  auto c = Pg()->Connect(*uri);
  ASSERT_FALSE(c.ok());
  EXPECT_LT(std::chrono::steady_clock::now() - t0, 5s);
  EXPECT_EQ(c.status().code(), StatusCode::kConnection) << c.status().ToString();
  EXPECT_NE(c.status().message().find("127.0.0.1:1"), std::string::npos) << c.status().message();
  EXPECT_EQ(c.status().message().find(Password(server)), std::string::npos);
}

TEST(PostgresDriver, MissingDatabaseIsNotFound) {
  const ConnectionUri server = testing::ServerUri(kEngine);
  const std::string name = testing::UniqueName("cutover_scratch_missing_");
  auto c = Pg()->Connect(server.WithDatabase(name));
  ASSERT_FALSE(c.ok());
  EXPECT_EQ(c.status().code(), StatusCode::kNotFound) << c.status().ToString();
  EXPECT_NE(c.status().message().find(name), std::string::npos);
  EXPECT_EQ(c.status().message().find(Password(server)), std::string::npos);
}

TEST(PostgresDriver, BadUriParametersAreInvalidInput) {
  const ConnectionUri server = testing::ServerUri(kEngine);
  auto uri = ConnectionUri::Parse(server.Text() + (server.params().empty() ? "?" : "&") + "no_such_option=1");
  ASSERT_TRUE(uri.ok());
  auto c = Pg()->Connect(*uri);
  ASSERT_FALSE(c.ok());
  EXPECT_EQ(c.status().code(), StatusCode::kInvalidInput) << c.status().ToString();
  EXPECT_NE(c.status().message().find("no_such_option"), std::string::npos) << c.status().message();
  EXPECT_EQ(c.status().message().find(Password(server)), std::string::npos);
  // A URI of another engine is refused, not misread.
  auto other = ConnectionUri::Parse("mysql://u:p@127.0.0.1:1/x");
  ASSERT_TRUE(other.ok());
  auto o = Pg()->Connect(*other);
  ASSERT_FALSE(o.ok());
  EXPECT_EQ(o.status().code(), StatusCode::kInvalidInput);
}

TEST(PostgresDriver, KilledSessionIsReportedAsConnectionLossOnEveryCall) {
  ScratchDatabase db(kEngine);
  auto victim = db.Connect();
  auto killer = db.Connect();
  ASSERT_TRUE(victim && killer);
  const std::string pid = victim->SessionId();
  EXPECT_EQ(Scalar(*killer, "SELECT pg_terminate_backend(" + pid + ")"), "t");
  WaitGone(*killer, pid);

  auto r = victim->Execute("SELECT 1");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kConnection) << r.status().ToString();
  EXPECT_EQ(r.status().message().find(Password(db.uri())), std::string::npos);
  // No silent reconnection: the session is gone for good.
  auto again = victim->Execute("SELECT 1");
  EXPECT_EQ(again.status().code(), StatusCode::kConnection) << again.status().ToString();
  Table t;
  EXPECT_EQ(QueryInto(*victim, "SELECT 1", &t).code(), StatusCode::kConnection);
  EXPECT_EQ(victim->ExecuteScript("SELECT 1; SELECT 2").code(), StatusCode::kConnection);
  EXPECT_EQ(victim->Begin().code(), StatusCode::kConnection);
  EXPECT_EQ(victim->ReadSchema().status().code(), StatusCode::kConnection);
  EXPECT_EQ(victim->LockWaits().status().code(), StatusCode::kConnection);
  EXPECT_EQ(victim->SessionId(), pid);
}

TEST(PostgresDriver, KilledSessionInsideTransactionAndQuery) {
  ScratchDatabase db(kEngine);
  db.Exec("CREATE TABLE t (id int); INSERT INTO t SELECT generate_series(1, 10000);");
  auto victim = db.Connect();
  auto killer = db.Connect();
  ASSERT_TRUE(victim && killer);
  const std::string pid = victim->SessionId();
  ASSERT_TRUE(victim->Begin().ok());
  Exec(*victim, "INSERT INTO t VALUES (-1)");
  // Killed in the middle of a streamed query: the callback kills it.
  int seen = 0;
  Status st = victim->Query("SELECT id FROM t", [&](RowView) {
    if (++seen == 1) {
      EXPECT_EQ(Scalar(*killer, "SELECT pg_terminate_backend(" + pid + ")"), "t");
      WaitGone(*killer, pid);
    }
    return Status::Ok();
  });
  EXPECT_EQ(st.code(), StatusCode::kConnection) << st.ToString();
  EXPECT_EQ(victim->Commit().code(), StatusCode::kConnection);
  EXPECT_EQ(Scalar(*killer, "SELECT count(*) FROM t WHERE id = -1"), "0");
}

// ===========================================================================
// Statements, scripts, results
// ===========================================================================

TEST(PostgresExec, ExecuteReturnsAffectedRowsAndNamesFailures) {
  ScratchDatabase db(kEngine);
  auto c = db.Connect();
  ASSERT_TRUE(c);
  auto r = c->Execute("CREATE TABLE items (id int PRIMARY KEY, qty int)");
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(*r, 0);
  r = c->Execute("INSERT INTO items SELECT g, g FROM generate_series(1, 5) g");
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(*r, 5);
  r = c->Execute("UPDATE items SET qty = qty + 1 WHERE id > 2");
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(*r, 3);
  r = c->Execute("INSERT INTO items VALUES (1, 1)\n-- second line");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kQuery);
  EXPECT_EQ(r.status().sqlstate(), "23505");
  EXPECT_NE(r.status().message().find("INSERT INTO items VALUES (1, 1)"), std::string::npos)
      << r.status().message();
  EXPECT_NE(r.status().message().find("items_pkey"), std::string::npos) << r.status().message();
  r = c->Execute("SELEC 1");
  EXPECT_EQ(r.status().sqlstate(), "42601");
  // NUL bytes would silently truncate the statement in libpq: refused.
  r = c->Execute(std::string("SELECT 'a\0b'", 13));
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kInvalidInput);
  // Statements that refuse a transaction block work outside Begin().
  r = c->Execute("CREATE INDEX CONCURRENTLY items_qty ON items (qty)",
                 {.statement_timeout = 10s, .lock_timeout = 5s});
  EXPECT_TRUE(r.ok()) << r.status().ToString();
  r = c->Execute("VACUUM items");
  EXPECT_TRUE(r.ok()) << r.status().ToString();
}

TEST(PostgresScript, RunsPsqlStyleScripts) {
  ScratchDatabase db(kEngine);
  auto c = db.Connect();
  ASSERT_TRUE(c);
  Status st = c->ExecuteScript(R"sql(
-- a comment; with a semicolon
CREATE TABLE notes (id int, body text);
INSERT INTO notes VALUES (1, 'semi;colon'), (2, E'back\\slash; ''quote'''), (3, $q$dollar; 'quoted'$q$);
CREATE FUNCTION bump(x int) RETURNS int LANGUAGE plpgsql AS $$
BEGIN
  RETURN x + 1; -- inside the body;
END
$$;
CREATE FUNCTION sign_of(x int) RETURNS int LANGUAGE sql
BEGIN ATOMIC
  SELECT CASE WHEN x > 0 THEN 1 WHEN x < 0 THEN -1 ELSE 0 END;
END;
BEGIN;
INSERT INTO notes VALUES (4, 'in a script transaction');
COMMIT;
CREATE INDEX CONCURRENTLY notes_id ON notes (id);
/* trailing comment */
)sql");
  ASSERT_TRUE(st.ok()) << st.ToString();
  EXPECT_EQ(
      Rows(*c, "SELECT body FROM notes ORDER BY id"),
      (Table{{"semi;colon"}, {"back\\slash; 'quote'"}, {"dollar; 'quoted'"}, {"in a script transaction"}}));
  EXPECT_EQ(Scalar(*c, "SELECT bump(1) + sign_of(-5)"), "1");
  EXPECT_TRUE(c->ExecuteScript("").ok());
  EXPECT_TRUE(c->ExecuteScript("  -- nothing\n").ok());
}

TEST(PostgresScript, FailureNamesLineAndStatementAndLeavesSessionClean) {
  ScratchDatabase db(kEngine);
  auto c = db.Connect();
  ASSERT_TRUE(c);
  Status st = c->ExecuteScript(
      "CREATE TABLE a (id int);\n"
      "BEGIN;\n"
      "INSERT INTO a VALUES (1);\n"
      "\n"
      "INSERT INTO missing_table\n  VALUES (2);\n"
      "COMMIT;\n"
      "CREATE TABLE never (id int);\n");
  ASSERT_FALSE(st.ok());
  EXPECT_EQ(st.code(), StatusCode::kQuery);
  EXPECT_EQ(st.sqlstate(), "42P01");
  EXPECT_NE(st.message().find("line 5"), std::string::npos) << st.message();
  EXPECT_NE(st.message().find("INSERT INTO missing_table ..."), std::string::npos) << st.message();
  EXPECT_NE(st.message().find("statement 4 of 6"), std::string::npos) << st.message();
  EXPECT_NE(st.message().find("missing_table"), std::string::npos);
  // The script's own transaction was rolled back and the session is usable.
  EXPECT_EQ(Scalar(*c, "SELECT count(*) FROM a"), "0");
  EXPECT_EQ(Scalar(*c, "SELECT count(*) FROM pg_class WHERE relname = 'never'"), "0");
  EXPECT_EQ(Scalar(*c, "SELECT 1"), "1");
}

TEST(PostgresQuery, CellTypesFollowColumnTypes) {
  ScratchDatabase db(kEngine);
  auto c = db.Connect();
  ASSERT_TRUE(c);
  std::vector<std::pair<CellType, std::string>> cells;
  Status st = c->Query(
      "SELECT 1::smallint, 2::int, 3::bigint, 4::oid, 1.5::real, 2.25::float8, 123.450::numeric(10,3), "
      "'text'::text, 'v'::varchar(3), true, '\\x00ff10'::bytea, NULL::int, NULL::bytea, 'NaN'::float8, "
      "'{1,2}'::int[], DATE '2024-02-29', ''::bytea",
      [&](RowView row) {
        for (const Cell& cell : row) cells.emplace_back(cell.type, std::string(cell.data));
        return Status::Ok();
      });
  ASSERT_TRUE(st.ok()) << st.ToString();
  using P = std::pair<CellType, std::string>;
  EXPECT_EQ(cells,
            (std::vector<P>{P{CellType::kInteger, "1"}, P{CellType::kInteger, "2"},
                            P{CellType::kInteger, "3"}, P{CellType::kInteger, "4"}, P{CellType::kReal, "1.5"},
                            P{CellType::kReal, "2.25"}, P{CellType::kReal, "123.450"},
                            P{CellType::kText, "text"}, P{CellType::kText, "v"}, P{CellType::kText, "t"},
                            P{CellType::kBlob, std::string("\x00\xff\x10", 3)}, P{CellType::kNull, ""},
                            P{CellType::kNull, ""}, P{CellType::kReal, "NaN"}, P{CellType::kText, "{1,2}"},
                            P{CellType::kText, "2024-02-29"}, P{CellType::kBlob, ""}}));
}

TEST(PostgresQuery, CallbackErrorStopsTheQueryAndTheConnectionStaysUsable) {
  ScratchDatabase db(kEngine);
  auto c = db.Connect();
  ASSERT_TRUE(c);
  for (bool in_tx : {false, true}) {
    SCOPED_TRACE(in_tx ? "inside a transaction" : "autocommit");
    if (in_tx) {
      ASSERT_TRUE(c->Begin().ok());
    }
    int calls = 0;
    Status st = c->Query("SELECT g FROM generate_series(1, 100000) g", [&](RowView row) {
      ++calls;
      if (row[0].data == "1500") return Status::CheckFailed("stop here");
      return Status::Ok();
    });
    EXPECT_EQ(st.code(), StatusCode::kCheckFailed);
    EXPECT_EQ(st.message(), "stop here");
    EXPECT_EQ(calls, 1500);
    EXPECT_EQ(Scalar(*c, "SELECT 42"), "42");
    if (in_tx) {
      EXPECT_TRUE(c->Commit().ok());
    }
  }
}

TEST(PostgresQuery, StatementsThatCannotBeCursorsStillReturnRows) {
  ScratchDatabase db(kEngine);
  auto c = db.Connect();
  ASSERT_TRUE(c);
  db.Exec("CREATE TABLE t (id serial PRIMARY KEY, v text)");
  EXPECT_EQ(Scalar(*c, "SHOW TimeZone").empty(), false);
  EXPECT_EQ(Rows(*c, "INSERT INTO t (v) VALUES ('a'), ('b') RETURNING id, v"),
            (Table{{"1", "a"}, {"2", "b"}}));
  EXPECT_EQ(Rows(*c, "WITH ins AS (INSERT INTO t (v) VALUES ('c') RETURNING id) SELECT id FROM ins;"),
            (Table{{"3"}}));
  ASSERT_TRUE(c->Begin().ok());
  EXPECT_EQ(Rows(*c, "WITH ins AS (INSERT INTO t (v) VALUES ('d') RETURNING id) SELECT id FROM ins"),
            (Table{{"4"}}));
  // The transaction survived the refused cursor.
  EXPECT_EQ(Scalar(*c, "SELECT count(*) FROM t"), "4");
  ASSERT_TRUE(c->Commit().ok());
  EXPECT_FALSE(Rows(*c, "EXPLAIN SELECT * FROM t").empty());
  EXPECT_EQ(Rows(*c, "VALUES (1, 'x'), (2, 'y')"), (Table{{"1", "x"}, {"2", "y"}}));
  EXPECT_EQ(Rows(*c, "(SELECT 1) UNION ALL (SELECT 2)"), (Table{{"1"}, {"2"}}));
  EXPECT_EQ(Rows(*c, "TABLE t ORDER BY id LIMIT 1"), (Table{{"1", "a"}}));
  // A syntax error is a kQuery with the SQLSTATE, both paths.
  Table t;
  Status st = QueryInto(*c, "SELECT FROM WHERE", &t);
  EXPECT_EQ(st.code(), StatusCode::kQuery);
  EXPECT_EQ(st.sqlstate(), "42601");
  st = QueryInto(*c, "SHOW no_such_setting", &t);
  EXPECT_EQ(st.code(), StatusCode::kQuery);
  EXPECT_EQ(st.sqlstate(), "42704");
}

TEST(PostgresQuery, StreamsTwoMillionRowsInBoundedMemory) {
  ScratchDatabase db(kEngine);
  auto c = db.Connect();
  ASSERT_TRUE(c);
  const std::string sql = "SELECT g, repeat('x', 100) || g::text FROM generate_series(1, 2000000) g";
  EXPECT_EQ(Scalar(*c, "SELECT 1"), "1");  // warm up
  {
    std::ofstream clear("/proc/self/clear_refs");
    clear << "5";  // resets VmHWM to the current RSS
  }
  const long rss_before = StatusKb("VmRSS");
  const long hwm_reset = StatusKb("VmHWM");
  ASSERT_GT(rss_before, 0);
  ASSERT_LE(hwm_reset, rss_before + 1024) << "could not reset the peak RSS through /proc/self/clear_refs";
  long long rows = 0;
  long long sum = 0;
  size_t bytes = 0;
  Status st = c->Query(sql, [&](RowView row) {
    ++rows;
    sum += std::stoll(std::string(row[0].data));
    bytes += row[1].data.size();
    return Status::Ok();
  });
  ASSERT_TRUE(st.ok()) << st.ToString();
  const long peak = StatusKb("VmHWM");
  EXPECT_EQ(rows, 2000000);
  EXPECT_EQ(sum, 2000000LL * 2000001LL / 2);
  EXPECT_GT(bytes, 200u * 1000 * 1000);  // 200 MB went through the callback
  // A buffered result would hold all of it (> 200 MB); the cursor holds one
  // batch of about 4 MB.
  EXPECT_LT(peak - rss_before, 48 * 1024) << "peak RSS grew by " << (peak - rss_before) << " kB";
  RecordProperty("rss_growth_kb", std::to_string(peak - rss_before));
}

// ===========================================================================
// Transactions
// ===========================================================================

TEST(PostgresTransaction, CommitAndRollback) {
  ScratchDatabase db(kEngine);
  db.Exec("CREATE TABLE t (id int)");
  auto c = db.Connect();
  auto other = db.Connect();
  ASSERT_TRUE(c && other);
  ASSERT_TRUE(c->Begin().ok());
  Exec(*c, "INSERT INTO t VALUES (1)");
  ASSERT_TRUE(c->ExecuteScript("INSERT INTO t VALUES (2); INSERT INTO t VALUES (3);").ok());
  EXPECT_EQ(Scalar(*c, "SELECT count(*) FROM t"), "3");
  EXPECT_EQ(Scalar(*other, "SELECT count(*) FROM t"), "0");
  ASSERT_TRUE(c->Rollback().ok());
  EXPECT_EQ(Scalar(*other, "SELECT count(*) FROM t"), "0");
  ASSERT_TRUE(c->Begin().ok());
  Exec(*c, "INSERT INTO t VALUES (4)");
  ASSERT_TRUE(c->Commit().ok());
  EXPECT_EQ(Scalar(*other, "SELECT count(*) FROM t"), "1");
}

TEST(PostgresTransaction, AFailedStatementMakesCommitFail) {
  ScratchDatabase db(kEngine);
  db.Exec("CREATE TABLE t (id int PRIMARY KEY)");
  auto c = db.Connect();
  ASSERT_TRUE(c);
  ASSERT_TRUE(c->Begin().ok());
  Exec(*c, "INSERT INTO t VALUES (1)");
  EXPECT_FALSE(c->Execute("INSERT INTO t VALUES (1)").ok());
  auto r = c->Execute("INSERT INTO t VALUES (2)");
  EXPECT_EQ(r.status().sqlstate(), "25P02");  // in failed transaction
  Status st = c->Commit();
  EXPECT_EQ(st.code(), StatusCode::kQuery);
  EXPECT_NE(st.message().find("nothing was committed"), std::string::npos) << st.message();
  EXPECT_EQ(Scalar(*c, "SELECT count(*) FROM t"), "0");
}

TEST(PostgresTransaction, TransactionBlocksOpenedByStatementsAreNeverCommittedBehindTheCallersBack) {
  ScratchDatabase db(kEngine);
  db.Exec("CREATE TABLE t (id int)");
  auto c = db.Connect();
  auto other = db.Connect();
  ASSERT_TRUE(c && other);
  // BEGIN through Execute: Query() and ReadSchema() must not COMMIT it.
  Exec(*c, "BEGIN");
  Exec(*c, "INSERT INTO t VALUES (1)");
  EXPECT_EQ(Scalar(*c, "SELECT count(*) FROM t"), "1");
  EXPECT_TRUE(c->ReadSchema().ok());
  EXPECT_EQ(Scalar(*other, "SELECT count(*) FROM t"), "0");
  Exec(*c, "ROLLBACK");
  EXPECT_EQ(Scalar(*c, "SELECT count(*) FROM t"), "0");
  // A script that leaves a block open: Commit() ends it.
  ASSERT_TRUE(c->ExecuteScript("BEGIN; INSERT INTO t VALUES (2);").ok());
  EXPECT_EQ(Scalar(*c, "SELECT count(*) FROM t"), "1");
  EXPECT_EQ(Scalar(*other, "SELECT count(*) FROM t"), "0");
  EXPECT_EQ(c->Begin().code(), StatusCode::kInvalidInput);
  ASSERT_TRUE(c->Commit().ok());
  EXPECT_EQ(Scalar(*other, "SELECT count(*) FROM t"), "1");
  // Query() runs one statement.
  Table rows;
  EXPECT_EQ(QueryInto(*c, "SELECT 1; DELETE FROM t", &rows).code(), StatusCode::kInvalidInput);
  EXPECT_EQ(Scalar(*other, "SELECT count(*) FROM t"), "1");
}

TEST(PostgresTransaction, MisuseIsInvalidInput) {
  ScratchDatabase db(kEngine);
  auto c = db.Connect();
  ASSERT_TRUE(c);
  EXPECT_EQ(c->Commit().code(), StatusCode::kInvalidInput);
  EXPECT_EQ(c->Rollback().code(), StatusCode::kInvalidInput);
  ASSERT_TRUE(c->Begin().ok());
  EXPECT_EQ(c->Begin().code(), StatusCode::kInvalidInput);
  EXPECT_TRUE(c->Rollback().ok());
}

// ===========================================================================
// Timeouts and lock waits
// ===========================================================================

TEST(PostgresTimeouts, StatementTimeoutExpiresAndPreviousValueIsRestored) {
  ScratchDatabase db(kEngine);
  auto c = db.Connect();
  ASSERT_TRUE(c);
  Exec(*c, "SET statement_timeout = '7s'");
  const ExecOptions limit{.statement_timeout = 200ms};
  auto t0 = std::chrono::steady_clock::now();
  auto r = c->Execute("SELECT pg_sleep(10)", limit);
  ASSERT_FALSE(r.ok());
  EXPECT_LT(std::chrono::steady_clock::now() - t0, 5s);
  EXPECT_EQ(r.status().code(), StatusCode::kLockTimeout) << r.status().ToString();
  EXPECT_NE(r.status().message().find("statement_timeout of 200 ms"), std::string::npos)
      << r.status().message();
  EXPECT_EQ(Scalar(*c, "SHOW statement_timeout"), "7s");
  // Query() and inside a transaction too.
  Table t;
  Status st = QueryInto(*c, "SELECT pg_sleep(10)", &t, limit);
  EXPECT_EQ(st.code(), StatusCode::kLockTimeout) << st.ToString();
  EXPECT_EQ(Scalar(*c, "SHOW statement_timeout"), "7s");
  ASSERT_TRUE(c->Begin().ok());
  r = c->Execute("SELECT pg_sleep(10)", limit);
  EXPECT_EQ(r.status().code(), StatusCode::kLockTimeout);
  ASSERT_TRUE(c->Rollback().ok());
  EXPECT_EQ(Scalar(*c, "SHOW statement_timeout"), "7s");
  // A statement that fits in its limit succeeds, and the limit is gone after.
  ASSERT_TRUE(c->Begin().ok());
  ASSERT_TRUE(c->Execute("SELECT pg_sleep(0.01)", {.statement_timeout = 5s, .lock_timeout = 1s}).ok());
  EXPECT_EQ(Scalar(*c, "SHOW statement_timeout"), "7s");
  EXPECT_EQ(Scalar(*c, "SHOW lock_timeout"), "0");
  ASSERT_TRUE(c->Commit().ok());
}

TEST(PostgresTimeouts, LockTimeoutExpiresWhileAnotherSessionHoldsTheLock) {
  ScratchDatabase db(kEngine);
  db.Exec("CREATE TABLE t (id int); INSERT INTO t VALUES (1);");
  auto holder = db.Connect();
  auto c = db.Connect();
  ASSERT_TRUE(holder && c);
  ASSERT_TRUE(holder->Begin().ok());
  Exec(*holder, "LOCK TABLE t IN ACCESS EXCLUSIVE MODE");
  const ExecOptions limit{.lock_timeout = 200ms};
  auto t0 = std::chrono::steady_clock::now();
  auto r = c->Execute("ALTER TABLE t ADD COLUMN x int", limit);
  ASSERT_FALSE(r.ok());
  EXPECT_LT(std::chrono::steady_clock::now() - t0, 5s);
  EXPECT_EQ(r.status().code(), StatusCode::kLockTimeout) << r.status().ToString();
  EXPECT_NE(r.status().message().find("lock_timeout of 200 ms"), std::string::npos) << r.status().message();
  EXPECT_NE(r.status().message().find("ALTER TABLE t ADD COLUMN x int"), std::string::npos);
  EXPECT_EQ(Scalar(*c, "SHOW lock_timeout"), "0");
  Table rows;
  Status st = QueryInto(*c, "SELECT * FROM t", &rows, limit);
  EXPECT_EQ(st.code(), StatusCode::kLockTimeout) << st.ToString();
  ASSERT_TRUE(c->Begin().ok());
  r = c->Execute("SELECT * FROM t", limit);
  EXPECT_EQ(r.status().code(), StatusCode::kLockTimeout);
  ASSERT_TRUE(c->Rollback().ok());
  ASSERT_TRUE(holder->Rollback().ok());
  EXPECT_TRUE(c->Execute("ALTER TABLE t ADD COLUMN x int", limit).ok());
}

TEST(PostgresLocks, LockWaitsShowsTheWaitingSessionAndItsBlocker) {
  ScratchDatabase db(kEngine);
  db.Exec("CREATE TABLE \"Orders\" (id int); INSERT INTO \"Orders\" VALUES (1);");
  auto holder = db.Connect();
  auto waiter = db.Connect();
  auto observer = db.Connect();
  ASSERT_TRUE(holder && waiter && observer);
  auto none = observer->LockWaits();
  ASSERT_TRUE(none.ok()) << none.status().ToString();
  EXPECT_TRUE(none->empty());

  ASSERT_TRUE(holder->Begin().ok());
  Exec(*holder, "LOCK TABLE \"Orders\" IN ACCESS EXCLUSIVE MODE");
  const std::string waiter_id = waiter->SessionId();
  std::atomic<bool> done{false};
  Result<std::int64_t> waited_result = Status::Internal("not run");
  std::thread t([&] {
    waited_result = waiter->Execute("SELECT count(*) FROM \"Orders\"", {.lock_timeout = 20s});
    done = true;
  });
  std::vector<LockWait> waits;
  for (int i = 0; i < 100 && waits.empty(); ++i) {
    auto w = observer->LockWaits();
    ASSERT_TRUE(w.ok()) << w.status().ToString();
    for (const auto& lw : *w)
      if (lw.waiting_session == waiter_id) waits.push_back(lw);
    if (waits.empty()) std::this_thread::sleep_for(50ms);
  }
  std::this_thread::sleep_for(200ms);
  auto later = observer->LockWaits();
  ASSERT_TRUE(holder->Rollback().ok());
  t.join();
  EXPECT_TRUE(done);
  EXPECT_TRUE(waited_result.ok()) << waited_result.status().ToString();
  ASSERT_EQ(waits.size(), 1u);
  EXPECT_EQ(waits[0].blocking_session, holder->SessionId());
  EXPECT_EQ(waits[0].lock, "AccessShareLock");
  EXPECT_EQ(waits[0].object, "\"Orders\"");
  EXPECT_NE(waits[0].query.find("SELECT count(*)"), std::string::npos) << waits[0].query;
  ASSERT_TRUE(later.ok());
  ASSERT_EQ(later->size(), 1u);
  EXPECT_GE((*later)[0].waited, 200ms);
  EXPECT_LT((*later)[0].waited, 20s);
  auto after = observer->LockWaits();
  ASSERT_TRUE(after.ok());
  EXPECT_TRUE(after->empty());
}

// ===========================================================================
// Quoting and hostile names
// ===========================================================================

const std::vector<std::string>& HostileNames() {
  static const std::vector<std::string> names = {
      "we\"ird", "with space",  "ünïcødé_名前",       "select", "MixedCase", "semi;colon",
      "it's",    "back\\slash", std::string(63, 'n'),
  };
  return names;
}

TEST(PostgresQuoting, LiteralsRoundTrip) {
  ScratchDatabase db(kEngine);
  auto c = db.Connect();
  ASSERT_TRUE(c);
  for (const std::string& v : {std::string("plain"), std::string("it's"), std::string("back\\slash\\'mix"),
                               std::string("ünïcødé ☃"), std::string(""), std::string("$$dollar$$"),
                               std::string("new\nline\ttab"), std::string("'; DROP TABLE x; --")}) {
    EXPECT_EQ(Scalar(*c, "SELECT " + c->QuoteLiteral(v)), v);
  }
  // The same with standard_conforming_strings off (backslashes then escape).
  Exec(*c, "SET standard_conforming_strings = off");
  EXPECT_EQ(Scalar(*c, "SELECT " + c->QuoteLiteral("a\\'b")), "a\\'b");
  EXPECT_EQ(c->QuoteIdentifier("plain"), "\"plain\"");
  EXPECT_EQ(c->QuoteIdentifier("a\"b"), "\"a\"\"b\"");
}

// A derived name that stays distinct within PostgreSQL's 63-byte limit: the
// suffix goes first when appending it would be truncated away.
std::string Nm(const std::string& n, const std::string& suffix) {
  if (n.size() + suffix.size() <= 63) return n + suffix;
  return (suffix + n).substr(0, 63);
}

// A string literal as the server deparses it (standard_conforming_strings).
std::string StdLit(const std::string& v) {
  return "'" + ReplaceAll(v, "'", "''") + "'";
}

TEST(PostgresQuoting, HostileIdentifiersInEveryObjectKind) {
  ScratchDatabase db(kEngine);
  auto c = db.Connect();
  ASSERT_TRUE(c);
  auto q = [&](const std::string& n) { return c->QuoteIdentifier(n); };
  std::string script;
  for (const std::string& n : HostileNames()) {
    const std::string s = q(n) + ".";
    const std::string t = s + q(n);
    script += "CREATE SCHEMA " + q(n) + ";\n";
    script += "COMMENT ON SCHEMA " + q(n) + " IS " + c->QuoteLiteral(n) + ";\n";
    script += "CREATE TYPE " + s + q(Nm(n, "_e")) + " AS ENUM (" + c->QuoteLiteral(n) + ");\n";
    script += "CREATE DOMAIN " + s + q(Nm(n, "_d")) + " AS text CONSTRAINT " + q(n) + " CHECK (VALUE <> " +
              c->QuoteLiteral(n) + ");\n";
    script += "CREATE SEQUENCE " + s + q(Nm(n, "_s")) + ";\n";
    script += "CREATE TABLE " + t + " (" + q(n) + " int CONSTRAINT " + q(Nm(n, "_pk")) + " PRIMARY KEY, " +
              q(Nm(n, "_2")) + " text COLLATE \"C\" CONSTRAINT " + q(Nm(n, "_u")) + " UNIQUE, " +
              q(Nm(n, "_3")) + " int CONSTRAINT " + q(Nm(n, "_fk")) + " REFERENCES " + t + " (" + q(n) +
              "), CONSTRAINT " + q(Nm(n, "_c")) + " CHECK (" + q(n) + " > 0));\n";
    script += "COMMENT ON TABLE " + t + " IS " + c->QuoteLiteral(n) + ";\n";
    script += "COMMENT ON COLUMN " + t + "." + q(n) + " IS " + c->QuoteLiteral(n) + ";\n";
    script += "CREATE INDEX " + q(Nm(n, "_i")) + " ON " + t + " (" + q(Nm(n, "_2")) + " DESC, lower(" +
              q(Nm(n, "_2")) + "));\n";
    script += "CREATE VIEW " + s + q(Nm(n, "_v")) + " AS SELECT " + q(n) + " FROM " + t + ";\n";
    script += "CREATE MATERIALIZED VIEW " + s + q(Nm(n, "_m")) + " AS SELECT " + q(n) + " FROM " + t + ";\n";
    script +=
        "CREATE FUNCTION " + t + "(" + s + q(Nm(n, "_e")) + ") RETURNS int LANGUAGE sql AS $$SELECT 1$$;\n";
    script += "CREATE FUNCTION " + s + q(Nm(n, "_t")) +
              "() RETURNS trigger LANGUAGE plpgsql AS $$BEGIN RETURN " + "NEW; END$$;\n";
    script += "CREATE TRIGGER " + q(n) + " BEFORE UPDATE OF " + q(Nm(n, "_2")) + " ON " + t +
              " FOR EACH ROW EXECUTE FUNCTION " + s + q(Nm(n, "_t")) + "();\n";
    script += "CREATE PROCEDURE " + s + q(Nm(n, "_p")) + "() LANGUAGE sql AS $$SELECT 1$$;\n";
  }
  Status st = c->ExecuteScript(script);
  ASSERT_TRUE(st.ok()) << st.ToString();
  SchemaModel m = ReadModel(*c);
  SCOPED_TRACE(Dump(m));
  using K = ObjectKind;
  for (const std::string& n : HostileNames()) {
    SCOPED_TRACE(n);
    // Column keys are quoted as the server quotes them (only when needed).
    const std::string col2 = Scalar(*c, "SELECT quote_ident(" + c->QuoteLiteral(Nm(n, "_2")) + ")");
    EXPECT_EQ(Attr(m, K::kSchema, "", "", n, "comment"), n);
    EXPECT_EQ(Attr(m, K::kEnumType, n, "", Nm(n, "_e"), "labels"), ListValue({n}));
    EXPECT_EQ(Attr(m, K::kDomain, n, "", Nm(n, "_d"), "checks"),
              ListValue({n + ": CHECK (VALUE <> " + StdLit(n) + "::text)"}));
    EXPECT_EQ(Attr(m, K::kSequence, n, "", Nm(n, "_s"), "data_type"), "bigint");
    EXPECT_EQ(Attr(m, K::kTable, n, "", n, "comment"), n);
    EXPECT_EQ(Attr(m, K::kColumn, n, n, n, "type"), "integer");
    EXPECT_EQ(Attr(m, K::kColumn, n, n, n, "comment"), n);
    EXPECT_EQ(Attr(m, K::kColumn, n, n, Nm(n, "_2"), "collation"), "C");
    EXPECT_EQ(Attr(m, K::kColumn, n, n, Nm(n, "_3"), "position"), "3");
    EXPECT_EQ(Attr(m, K::kPrimaryKey, n, n, Nm(n, "_pk"), "columns"), ListValue({n}));
    EXPECT_EQ(Attr(m, K::kUniqueConstraint, n, n, Nm(n, "_u"), "columns"), ListValue({Nm(n, "_2")}));
    EXPECT_EQ(Attr(m, K::kForeignKey, n, n, Nm(n, "_fk"), "columns"), ListValue({Nm(n, "_3")}));
    EXPECT_EQ(Attr(m, K::kForeignKey, n, n, Nm(n, "_fk"), "references"), n + "." + n);
    EXPECT_EQ(Attr(m, K::kForeignKey, n, n, Nm(n, "_fk"), "references_columns"), ListValue({n}));
    EXPECT_NE(Attr(m, K::kCheckConstraint, n, n, Nm(n, "_c"), "expression").find(" > 0)"), std::string::npos);
    // The expression inherits the column's collation "C", which differs from
    // the default collation of its type (text): it is shown.
    EXPECT_EQ(Attr(m, K::kIndex, n, n, Nm(n, "_i"), "keys"),
              ListValue({col2 + " DESC", "lower(" + col2 + ") COLLATE \"C\""}));
    EXPECT_NE(Find(m, K::kView, n, "", Nm(n, "_v")), nullptr);
    EXPECT_NE(Find(m, K::kMaterializedView, n, "", Nm(n, "_m")), nullptr);
    // Function names carry their argument types, qualified outside public.
    const std::string arg_type =
        Scalar(*c, "SELECT format_type(" + c->QuoteLiteral(q(n) + "." + q(Nm(n, "_e"))) + "::regtype, NULL)");
    EXPECT_NE(Find(m, K::kFunction, n, "", n + "(" + arg_type + ")"), nullptr) << arg_type;
    EXPECT_NE(Find(m, K::kFunction, n, "", Nm(n, "_t") + "()"), nullptr);
    EXPECT_NE(Find(m, K::kProcedure, n, "", Nm(n, "_p") + "()"), nullptr);
    EXPECT_EQ(Attr(m, K::kTrigger, n, n, n, "events"), ListValue({"UPDATE OF " + col2}));
  }
}

// ===========================================================================
// Scratch databases
// ===========================================================================

TEST(PostgresScratch, CreateListDrop) {
  Driver* d = Pg();
  ASSERT_NE(d, nullptr);
  const ConnectionUri server = testing::ServerUri(kEngine);
  const std::string name = testing::UniqueName("cutover_scratch_pgtest_Ünï \"q\"_");
  auto created = d->CreateDatabase(server, name);
  ASSERT_TRUE(created.ok()) << created.status().ToString();
  EXPECT_EQ(created->database(), name);
  EXPECT_EQ(created->Text(), server.WithDatabase(name).Text());
  {
    auto c = ConnectTo(*created);
    ASSERT_TRUE(c);
    EXPECT_EQ(Scalar(*c, "SELECT current_database()"), name);
    EXPECT_EQ(
        Scalar(*c,
               "SELECT pg_encoding_to_char(encoding) FROM pg_database WHERE datname = current_database()"),
        "UTF8");
    // A clean database: only the public schema and plpgsql.
    SchemaModel m = ReadModel(*c);
    EXPECT_EQ(Dump(m),
              "schema public { access.owner=pg_database_owner "
              "access.privileges=[\"PUBLIC:USAGE\",\"pg_database_owner:CREATE\",\"pg_database_owner:USAGE\"] "
              "}\nextension plpgsql { schema=pg_catalog }\n");
  }
  auto again = d->CreateDatabase(server, name);
  ASSERT_FALSE(again.ok());
  EXPECT_EQ(again.status().code(), StatusCode::kQuery);
  EXPECT_EQ(again.status().sqlstate(), "42P04");
  EXPECT_NE(again.status().message().find("already exists"), std::string::npos);

  auto listed = d->ListDatabases(server, "cutover_scratch_pgtest_Ünï");
  ASSERT_TRUE(listed.ok()) << listed.status().ToString();
  EXPECT_NE(std::find(listed->begin(), listed->end(), name), listed->end());
  for (const auto& n : *listed) EXPECT_TRUE(StartsWith(n, "cutover_scratch_pgtest_Ünï")) << n;
  auto all = d->ListDatabases(server, "");
  ASSERT_TRUE(all.ok());
  EXPECT_NE(std::find(all->begin(), all->end(), "postgres"), all->end());
  EXPECT_EQ(std::find(all->begin(), all->end(), "template0"), all->end());
  auto literal = d->ListDatabases(server, "cutover_scratch_pgtest_Ünï \"q\"_%");
  ASSERT_TRUE(literal.ok());
  EXPECT_TRUE(literal->empty()) << "the prefix is not a LIKE pattern";

  // A connection still open does not prevent the drop (WITH (FORCE)).
  auto open = ConnectTo(*created);
  ASSERT_TRUE(open);
  Status st = d->DropDatabase(server, name);
  ASSERT_TRUE(st.ok()) << st.ToString();
  EXPECT_TRUE(d->DropDatabase(server, name).ok()) << "dropping a missing database succeeds";
  auto after = d->ListDatabases(server, name);
  ASSERT_TRUE(after.ok());
  EXPECT_TRUE(after->empty());

  EXPECT_EQ(d->CreateDatabase(server, std::string(64, 'x')).status().code(), StatusCode::kInvalidInput);
  EXPECT_EQ(d->CreateDatabase(server, "").status().code(), StatusCode::kInvalidInput);
  EXPECT_EQ(d->DropDatabase(server, "").code(), StatusCode::kInvalidInput);
}

TEST(PostgresScratch, ServerUriWithoutDatabaseUsesPostgres) {
  const ConnectionUri server = testing::ServerUri(kEngine);
  auto bare = ConnectionUri::Parse("postgresql://" + PercentEncode(server.user()) + ":" +
                                   PercentEncode(Password(server)) + "@" + server.host() + ":" +
                                   std::to_string(server.port().value_or(5432)));
  ASSERT_TRUE(bare.ok());
  const std::string name = testing::UniqueName("cutover_scratch_pgbare_");
  auto created = Pg()->CreateDatabase(*bare, name);
  ASSERT_TRUE(created.ok()) << created.status().ToString();
  EXPECT_TRUE(Pg()->DropDatabase(*bare, name).ok());
}

// ===========================================================================
// Schema reading
// ===========================================================================

constexpr const char* kRichSchema = R"sql(
CREATE SCHEMA app;
COMMENT ON SCHEMA app IS 'application objects';
CREATE EXTENSION btree_gist;
CREATE TYPE status AS ENUM ('new', 'paid', 'shipped');
CREATE DOMAIN positive_int AS integer NOT NULL DEFAULT 1 CONSTRAINT positive CHECK (VALUE > 0);
CREATE DOMAIN code AS text COLLATE "C" CHECK (length(VALUE) < 10);
CREATE SEQUENCE app.counter AS integer START 10 INCREMENT 5 MINVALUE 5 MAXVALUE 1000 CACHE 3 CYCLE;
CREATE TABLE customers (
  id serial PRIMARY KEY,
  email text NOT NULL UNIQUE,
  name text COLLATE "C",
  created timestamptz DEFAULT now(),
  note varchar(20) DEFAULT 'x',
  score numeric(6,2) DEFAULT 0.5,
  tags text[]
);
COMMENT ON TABLE customers IS 'people who buy';
COMMENT ON COLUMN customers.email IS 'login';
CREATE TABLE orders (
  id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  customer_id int REFERENCES customers (id) ON DELETE CASCADE ON UPDATE RESTRICT DEFERRABLE INITIALLY DEFERRED,
  st status DEFAULT 'new',
  total numeric(10,2) CHECK (total >= 0),
  qty int,
  code text,
  doubled int GENERATED ALWAYS AS (qty * 2) STORED,
  alt int GENERATED BY DEFAULT AS IDENTITY,
  UNIQUE NULLS NOT DISTINCT (customer_id, st) INCLUDE (total),
  CONSTRAINT late UNIQUE (code) DEFERRABLE
);
ALTER TABLE orders ADD CONSTRAINT qty_pos CHECK (qty > 0) NOT VALID;
ALTER TABLE orders ADD CONSTRAINT full_fk FOREIGN KEY (qty) REFERENCES customers (id) MATCH FULL NOT VALID;
CREATE TABLE order_lines (order_id bigint, line int, customer_id int,
  PRIMARY KEY (order_id, line),
  FOREIGN KEY (customer_id) REFERENCES customers ON DELETE SET NULL (customer_id));
CREATE INDEX orders_partial ON orders ((total * 2) DESC NULLS LAST, code text_pattern_ops, code COLLATE "C" NULLS FIRST)
  INCLUDE (qty) WHERE total > 100;
CREATE INDEX ON orders USING hash (qty);
CREATE UNIQUE INDEX orders_code_uq ON orders (lower(code)) NULLS NOT DISTINCT;
CREATE INDEX orders_brin ON orders USING brin (id) WITH (pages_per_range = 16);
CREATE VIEW big_orders AS SELECT id, total FROM orders WHERE total > 1000 WITH CASCADED CHECK OPTION;
CREATE VIEW barrier WITH (security_barrier = true) AS SELECT 1 AS one;
COMMENT ON VIEW big_orders IS 'large ones';
CREATE MATERIALIZED VIEW order_totals AS SELECT customer_id, sum(total) AS s FROM orders GROUP BY customer_id;
CREATE UNIQUE INDEX ON order_totals (customer_id);
COMMENT ON MATERIALIZED VIEW order_totals IS 'per customer';
CREATE FUNCTION touch() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  NEW.created := now();
  RETURN NEW;
END $$;
CREATE TRIGGER customers_touch BEFORE INSERT OR UPDATE OF name, email ON customers
  FOR EACH ROW WHEN (NEW.name IS NOT NULL) EXECUTE FUNCTION touch();
CREATE TRIGGER orders_audit AFTER TRUNCATE ON orders FOR EACH STATEMENT EXECUTE FUNCTION touch();
ALTER TABLE orders DISABLE TRIGGER orders_audit;
CREATE FUNCTION add(a integer, b integer DEFAULT 1) RETURNS integer LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
  BEGIN ATOMIC SELECT a + b; END;
CREATE FUNCTION add(a text) RETURNS text LANGUAGE sql STABLE AS 'SELECT a || a';
CREATE PROCEDURE app.p(IN x int, OUT y int) LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog
  AS $$ BEGIN y := x; END $$;
CREATE AGGREGATE app.my_sum(int) (SFUNC = int4pl, STYPE = int);
CREATE TABLE events (id int, at date NOT NULL) PARTITION BY RANGE (at);
CREATE TABLE events_2024 PARTITION OF events FOR VALUES FROM ('2024-01-01') TO ('2025-01-01');
CREATE UNLOGGED TABLE cache (k text, v text) WITH (fillfactor = 70, autovacuum_enabled = false);
CREATE TABLE child (extra int) INHERITS (cache);
ALTER TABLE cache DROP COLUMN v;
CREATE TABLE rooms (room int, during tsrange, EXCLUDE USING gist (room WITH =, during WITH &&));
CREATE TEMP TABLE scratch_temp (x int);
)sql";

// Part of ReadsEveryObjectKindWithItsAttributes.
void ExpectSchemasTablesAndColumns(const SchemaModel& m) {
  using K = ObjectKind;
  // Schemas: public without its default comment, app with its comment.
  EXPECT_EQ(Find(m, K::kSchema, "", "", "public")->attributes.count("comment"), 0u);
  EXPECT_EQ(Attr(m, K::kSchema, "", "", "public", "access.owner"), "pg_database_owner");
  EXPECT_EQ(Attr(m, K::kSchema, "", "", "app", "comment"), "application objects");
  EXPECT_EQ(Attr(m, K::kExtension, "", "", "btree_gist", "schema"), "public");
  EXPECT_EQ(Attr(m, K::kExtension, "", "", "plpgsql", "schema"), "pg_catalog");
  // Extension members (btree_gist functions, operator classes...) are not listed.
  for (const auto& o : m.objects) {
    EXPECT_FALSE(StartsWith(o.name, "gbt_")) << o.Path();
    EXPECT_NE(o.schema, "pg_catalog");
    EXPECT_FALSE(StartsWith(o.schema, "pg_temp")) << o.Path();
    EXPECT_NE(o.name, "scratch_temp");
    // No empty attribute values.
    for (const auto& [k, v] : o.attributes) EXPECT_FALSE(v.empty()) << o.Path() << " " << k;
  }
  // Tables.
  EXPECT_EQ(Attr(m, K::kTable, "public", "", "customers", "comment"), "people who buy");
  EXPECT_EQ(Attr(m, K::kTable, "public", "", "events", "partition_by"), "RANGE (at)");
  EXPECT_EQ(Attr(m, K::kTable, "public", "", "events_2024", "partition_of"), "public.events");
  EXPECT_EQ(Attr(m, K::kTable, "public", "", "events_2024", "partition_bound"),
            "FOR VALUES FROM ('2024-01-01') TO ('2025-01-01')");
  EXPECT_EQ(Attr(m, K::kTable, "public", "", "cache", "postgresql.unlogged"), "true");
  EXPECT_EQ(Attr(m, K::kTable, "public", "", "cache", "postgresql.options"),
            ListValue({"autovacuum_enabled=false", "fillfactor=70"}));
  EXPECT_EQ(Attr(m, K::kTable, "public", "", "child", "postgresql.inherits"), ListValue({"public.cache"}));
  EXPECT_EQ(Attr(m, K::kTable, "public", "", "child", "postgresql.unlogged"), "<absent>");
  // Columns.
  EXPECT_EQ(Attr(m, K::kColumn, "public", "customers", "id", "type"), "integer");
  EXPECT_EQ(Attr(m, K::kColumn, "public", "customers", "id", "default"),
            "nextval('customers_id_seq'::regclass)");
  EXPECT_EQ(Attr(m, K::kColumn, "public", "customers", "id", "nullable"), "false");
  EXPECT_EQ(Attr(m, K::kColumn, "public", "customers", "email", "comment"), "login");
  EXPECT_EQ(Attr(m, K::kColumn, "public", "customers", "name", "collation"), "C");
  EXPECT_EQ(Attr(m, K::kColumn, "public", "customers", "email", "collation"), "<absent>");
  EXPECT_EQ(Attr(m, K::kColumn, "public", "customers", "created", "default"), "CURRENT_TIMESTAMP");
  EXPECT_EQ(Attr(m, K::kColumn, "public", "customers", "created", "type"), "timestamp with time zone");
  EXPECT_EQ(Attr(m, K::kColumn, "public", "customers", "note", "default"), "'x'::character varying");
  EXPECT_EQ(Attr(m, K::kColumn, "public", "customers", "note", "type"), "character varying(20)");
  EXPECT_EQ(Attr(m, K::kColumn, "public", "customers", "score", "default"), "0.5");
  EXPECT_EQ(Attr(m, K::kColumn, "public", "customers", "tags", "type"), "text[]");
  EXPECT_EQ(Attr(m, K::kColumn, "public", "customers", "tags", "position"), "7");
  EXPECT_EQ(Attr(m, K::kColumn, "public", "orders", "id", "identity"), "always");
  EXPECT_EQ(Attr(m, K::kColumn, "public", "orders", "alt", "identity"), "by default");
  EXPECT_EQ(Attr(m, K::kColumn, "public", "orders", "id", "default"), "<absent>");
  EXPECT_EQ(Attr(m, K::kColumn, "public", "orders", "st", "type"), "status");
  EXPECT_EQ(Attr(m, K::kColumn, "public", "orders", "st", "default"), "'new'::status");
  EXPECT_EQ(Attr(m, K::kColumn, "public", "orders", "doubled", "generated"), "(qty * 2)");
  EXPECT_EQ(Attr(m, K::kColumn, "public", "orders", "doubled", "generated_kind"), "stored");
  EXPECT_EQ(Attr(m, K::kColumn, "public", "orders", "doubled", "default"), "<absent>");
  // Dense positions after a dropped column; inherited columns come first.
  EXPECT_EQ(Attr(m, K::kColumn, "public", "cache", "k", "position"), "1");
  EXPECT_EQ(Find(m, K::kColumn, "public", "cache", "v"), nullptr);
  EXPECT_EQ(Attr(m, K::kColumn, "public", "child", "k", "position"), "1");
  EXPECT_EQ(Attr(m, K::kColumn, "public", "child", "extra", "position"), "2");
  EXPECT_EQ(Find(m, K::kColumn, "public", "child", "v"), nullptr);
}

// Part of ReadsEveryObjectKindWithItsAttributes.
void ExpectConstraintsAndIndexes(const SchemaModel& m) {
  using K = ObjectKind;
  // Constraints.
  EXPECT_EQ(Attr(m, K::kPrimaryKey, "public", "order_lines", "order_lines_pkey", "columns"),
            ListValue({"order_id", "line"}));
  EXPECT_EQ(Attr(m, K::kPrimaryKey, "public", "orders", "orders_pkey", "deferrable"), "<absent>");
  const std::string uq = "orders_customer_id_st_total_key";
  EXPECT_EQ(Attr(m, K::kUniqueConstraint, "public", "orders", uq, "columns"),
            ListValue({"customer_id", "st"}));
  EXPECT_EQ(Attr(m, K::kUniqueConstraint, "public", "orders", uq, "include"), ListValue({"total"}));
  EXPECT_EQ(Attr(m, K::kUniqueConstraint, "public", "orders", uq, "nulls_not_distinct"), "true");
  EXPECT_EQ(Attr(m, K::kUniqueConstraint, "public", "orders", uq, "deferrable"), "false");
  EXPECT_EQ(Attr(m, K::kUniqueConstraint, "public", "orders", "late", "deferrable"), "true");
  EXPECT_EQ(Attr(m, K::kUniqueConstraint, "public", "orders", "late", "initially_deferred"), "false");
  EXPECT_EQ(Attr(m, K::kUniqueConstraint, "public", "orders", "late", "nulls_not_distinct"), "<absent>");
  const std::string fk = "orders_customer_id_fkey";
  EXPECT_EQ(Attr(m, K::kForeignKey, "public", "orders", fk, "columns"), ListValue({"customer_id"}));
  EXPECT_EQ(Attr(m, K::kForeignKey, "public", "orders", fk, "references"), "public.customers");
  EXPECT_EQ(Attr(m, K::kForeignKey, "public", "orders", fk, "references_columns"), ListValue({"id"}));
  EXPECT_EQ(Attr(m, K::kForeignKey, "public", "orders", fk, "on_delete"), "CASCADE");
  EXPECT_EQ(Attr(m, K::kForeignKey, "public", "orders", fk, "on_update"), "RESTRICT");
  EXPECT_EQ(Attr(m, K::kForeignKey, "public", "orders", fk, "match"), "SIMPLE");
  EXPECT_EQ(Attr(m, K::kForeignKey, "public", "orders", fk, "deferrable"), "true");
  EXPECT_EQ(Attr(m, K::kForeignKey, "public", "orders", fk, "initially_deferred"), "true");
  EXPECT_EQ(Attr(m, K::kForeignKey, "public", "orders", fk, "not_valid"), "<absent>");
  EXPECT_EQ(Attr(m, K::kForeignKey, "public", "orders", "full_fk", "match"), "FULL");
  EXPECT_EQ(Attr(m, K::kForeignKey, "public", "orders", "full_fk", "not_valid"), "true");
  EXPECT_EQ(Attr(m, K::kForeignKey, "public", "order_lines", "order_lines_customer_id_fkey", "on_delete"),
            "SET NULL (customer_id)");
  EXPECT_EQ(Attr(m, K::kCheckConstraint, "public", "orders", "orders_total_check", "expression"),
            "(total >= (0)::numeric)");
  EXPECT_EQ(Attr(m, K::kCheckConstraint, "public", "orders", "qty_pos", "not_valid"), "true");
  EXPECT_EQ(Attr(m, K::kCheckConstraint, "public", "orders", "orders_total_check", "not_valid"), "<absent>");
  // Indexes: constraint indexes are not listed; the exclusion constraint is.
  EXPECT_EQ(Find(m, K::kIndex, "public", "orders", "orders_pkey"), nullptr);
  EXPECT_EQ(Find(m, K::kIndex, "public", "orders", uq), nullptr);
  EXPECT_EQ(Attr(m, K::kIndex, "public", "orders", "orders_partial", "keys"),
            ListValue({"(total * 2::numeric) DESC NULLS LAST", "code text_pattern_ops",
                       "code COLLATE \"C\" NULLS FIRST"}));
  EXPECT_EQ(Attr(m, K::kIndex, "public", "orders", "orders_partial", "include"), ListValue({"qty"}));
  EXPECT_EQ(Attr(m, K::kIndex, "public", "orders", "orders_partial", "predicate"),
            "(total > (100)::numeric)");
  EXPECT_EQ(Attr(m, K::kIndex, "public", "orders", "orders_partial", "method"), "btree");
  EXPECT_EQ(Attr(m, K::kIndex, "public", "orders", "orders_partial", "unique"), "false");
  EXPECT_EQ(Attr(m, K::kIndex, "public", "orders", "orders_qty_idx", "method"), "hash");
  EXPECT_EQ(Attr(m, K::kIndex, "public", "orders", "orders_code_uq", "keys"), ListValue({"lower(code)"}));
  EXPECT_EQ(Attr(m, K::kIndex, "public", "orders", "orders_code_uq", "unique"), "true");
  EXPECT_EQ(Attr(m, K::kIndex, "public", "orders", "orders_code_uq", "nulls_not_distinct"), "true");
  EXPECT_EQ(Attr(m, K::kIndex, "public", "orders", "orders_brin", "postgresql.options"),
            ListValue({"pages_per_range=16"}));
  EXPECT_EQ(Attr(m, K::kIndex, "public", "rooms", "rooms_room_during_excl", "postgresql.exclusion"),
            "EXCLUDE USING gist (room WITH =, during WITH &&)");
  EXPECT_EQ(Attr(m, K::kIndex, "public", "order_totals", "order_totals_customer_id_idx", "unique"), "true");
}

// Part of ReadsEveryObjectKindWithItsAttributes.
void ExpectViewsSequencesAndTypes(const SchemaModel& m) {
  using K = ObjectKind;
  // Views.
  EXPECT_EQ(Attr(m, K::kView, "public", "", "big_orders", "definition"),
            "SELECT orders.id, orders.total FROM orders WHERE orders.total > 1000::numeric");
  EXPECT_EQ(Attr(m, K::kView, "public", "", "big_orders", "check_option"), "CASCADED");
  EXPECT_EQ(Attr(m, K::kView, "public", "", "big_orders", "comment"), "large ones");
  EXPECT_EQ(Attr(m, K::kView, "public", "", "barrier", "postgresql.options"),
            ListValue({"security_barrier=true"}));
  EXPECT_EQ(Attr(m, K::kMaterializedView, "public", "", "order_totals", "comment"), "per customer");
  EXPECT_NE(Attr(m, K::kMaterializedView, "public", "", "order_totals", "definition").find("GROUP BY"),
            std::string::npos);
  // Sequences: the serial's, owned; the identity ones are not listed.
  EXPECT_EQ(Attr(m, K::kSequence, "public", "", "customers_id_seq", "owned_by"), "public.customers.id");
  EXPECT_EQ(Find(m, K::kSequence, "public", "", "orders_id_seq"), nullptr);
  EXPECT_EQ(Find(m, K::kSequence, "public", "", "orders_alt_seq"), nullptr);
  EXPECT_EQ(Attr(m, K::kSequence, "app", "", "counter", "data_type"), "integer");
  EXPECT_EQ(Attr(m, K::kSequence, "app", "", "counter", "start"), "10");
  EXPECT_EQ(Attr(m, K::kSequence, "app", "", "counter", "increment"), "5");
  EXPECT_EQ(Attr(m, K::kSequence, "app", "", "counter", "min"), "5");
  EXPECT_EQ(Attr(m, K::kSequence, "app", "", "counter", "max"), "1000");
  EXPECT_EQ(Attr(m, K::kSequence, "app", "", "counter", "cache"), "3");
  EXPECT_EQ(Attr(m, K::kSequence, "app", "", "counter", "cycle"), "true");
  EXPECT_EQ(Attr(m, K::kSequence, "app", "", "counter", "owned_by"), "<absent>");
  // Types.
  EXPECT_EQ(Attr(m, K::kEnumType, "public", "", "status", "labels"), ListValue({"new", "paid", "shipped"}));
  EXPECT_EQ(Attr(m, K::kDomain, "public", "", "positive_int", "base_type"), "integer");
  EXPECT_EQ(Attr(m, K::kDomain, "public", "", "positive_int", "nullable"), "false");
  EXPECT_EQ(Attr(m, K::kDomain, "public", "", "positive_int", "default"), "1");
  EXPECT_EQ(Attr(m, K::kDomain, "public", "", "positive_int", "checks"),
            ListValue({"positive: CHECK (VALUE > 0)"}));
  EXPECT_EQ(Attr(m, K::kDomain, "public", "", "code", "collation"), "C");
  EXPECT_EQ(Attr(m, K::kDomain, "public", "", "positive_int", "collation"), "<absent>");
}

// Part of ReadsEveryObjectKindWithItsAttributes.
void ExpectTriggersAndRoutines(const SchemaModel& m) {
  using K = ObjectKind;
  // Triggers.
  EXPECT_EQ(Attr(m, K::kTrigger, "public", "customers", "customers_touch", "timing"), "BEFORE");
  EXPECT_EQ(Attr(m, K::kTrigger, "public", "customers", "customers_touch", "events"),
            ListValue({"INSERT", "UPDATE OF name, email"}));
  EXPECT_EQ(Attr(m, K::kTrigger, "public", "customers", "customers_touch", "level"), "ROW");
  EXPECT_EQ(Attr(m, K::kTrigger, "public", "customers", "customers_touch", "when"), "new.name IS NOT NULL");
  EXPECT_EQ(
      Attr(m, K::kTrigger, "public", "customers", "customers_touch", "definition"),
      "CREATE TRIGGER customers_touch BEFORE INSERT OR UPDATE OF name, email ON customers FOR EACH ROW WHEN "
      "(new.name IS NOT NULL) EXECUTE FUNCTION touch()");
  EXPECT_EQ(Attr(m, K::kTrigger, "public", "customers", "customers_touch", "enabled"), "<absent>");
  EXPECT_EQ(Attr(m, K::kTrigger, "public", "orders", "orders_audit", "events"), ListValue({"TRUNCATE"}));
  EXPECT_EQ(Attr(m, K::kTrigger, "public", "orders", "orders_audit", "level"), "STATEMENT");
  EXPECT_EQ(Attr(m, K::kTrigger, "public", "orders", "orders_audit", "timing"), "AFTER");
  EXPECT_EQ(Attr(m, K::kTrigger, "public", "orders", "orders_audit", "enabled"), "D");
  EXPECT_EQ(Attr(m, K::kTrigger, "public", "orders", "orders_audit", "when"), "<absent>");
  // Foreign-key triggers are internal and not listed.
  for (const auto& o : m.objects) EXPECT_FALSE(StartsWith(o.name, "RI_ConstraintTrigger")) << o.Path();
  // Routines: overloads by argument types, procedures, no aggregates.
  EXPECT_EQ(Attr(m, K::kFunction, "public", "", "add(integer, integer)", "arguments"),
            "a integer, b integer DEFAULT 1");
  EXPECT_EQ(Attr(m, K::kFunction, "public", "", "add(integer, integer)", "returns"), "integer");
  EXPECT_EQ(Attr(m, K::kFunction, "public", "", "add(integer, integer)", "definition"),
            "BEGIN ATOMIC SELECT (a + b); END");
  EXPECT_EQ(Attr(m, K::kFunction, "public", "", "add(integer, integer)", "volatility"), "IMMUTABLE");
  EXPECT_EQ(Attr(m, K::kFunction, "public", "", "add(integer, integer)", "postgresql.strict"), "true");
  EXPECT_EQ(Attr(m, K::kFunction, "public", "", "add(integer, integer)", "postgresql.parallel"), "SAFE");
  EXPECT_EQ(Attr(m, K::kFunction, "public", "", "add(text)", "definition"), "SELECT a || a");
  EXPECT_EQ(Attr(m, K::kFunction, "public", "", "add(text)", "volatility"), "STABLE");
  EXPECT_EQ(Attr(m, K::kFunction, "public", "", "add(text)", "language"), "sql");
  EXPECT_EQ(Attr(m, K::kFunction, "public", "", "touch()", "arguments"), "<absent>");
  EXPECT_EQ(Attr(m, K::kFunction, "public", "", "touch()", "definition"),
            "BEGIN NEW.created := now(); RETURN NEW; END");
  EXPECT_EQ(Attr(m, K::kFunction, "public", "", "touch()", "security"), "INVOKER");
  EXPECT_EQ(Attr(m, K::kProcedure, "app", "", "p(integer, integer)", "arguments"),
            "IN x integer, OUT y integer");
  EXPECT_EQ(Attr(m, K::kProcedure, "app", "", "p(integer, integer)", "security"), "DEFINER");
  EXPECT_EQ(Attr(m, K::kProcedure, "app", "", "p(integer, integer)", "returns"), "<absent>");
  EXPECT_EQ(Attr(m, K::kProcedure, "app", "", "p(integer, integer)", "postgresql.config"),
            ListValue({"search_path=pg_catalog"}));
  for (const auto& o : m.objects) EXPECT_FALSE(StartsWith(o.name, "my_sum")) << "aggregates are not listed";
}

TEST(PostgresSchema, ReadsEveryObjectKindWithItsAttributes) {
  SchemaModel m = ModelOf(kRichSchema);
  const std::string dump = Dump(m);
  SCOPED_TRACE(dump);
  EXPECT_EQ(m.engine, "postgresql");
  EXPECT_FALSE(m.server_version.empty());
  // Sorted canonically.
  for (size_t i = 1; i < m.objects.size(); ++i) EXPECT_LT(m.objects[i - 1].Key(), m.objects[i].Key());
  ExpectSchemasTablesAndColumns(m);
  ExpectConstraintsAndIndexes(m);
  ExpectViewsSequencesAndTypes(m);
  ExpectTriggersAndRoutines(m);
}

TEST(PostgresSchema, PartitionsCarryTheirClonedObjects) {
  SchemaModel m = ModelOf(R"sql(
CREATE TABLE parent_ref (id int PRIMARY KEY);
CREATE TABLE measures (id int, at date, ref int REFERENCES parent_ref, PRIMARY KEY (id, at)) PARTITION BY RANGE (at);
CREATE TABLE measures_a PARTITION OF measures FOR VALUES FROM ('2024-01-01') TO ('2024-07-01');
CREATE TABLE measures_b PARTITION OF measures DEFAULT;
CREATE INDEX measures_ref ON measures (ref);
CREATE TABLE target (id int, at date, PRIMARY KEY (id, at)) PARTITION BY LIST (at);
CREATE TABLE target_1 PARTITION OF target FOR VALUES IN ('2024-01-01');
CREATE TABLE pointer (id int, at date, FOREIGN KEY (id, at) REFERENCES target);
)sql");
  SCOPED_TRACE(Dump(m));
  using K = ObjectKind;
  EXPECT_EQ(Attr(m, K::kTable, "public", "", "measures_b", "partition_bound"), "DEFAULT");
  EXPECT_EQ(Attr(m, K::kTable, "public", "", "target", "partition_by"), "LIST (at)");
  EXPECT_EQ(Attr(m, K::kTable, "public", "", "target_1", "partition_bound"), "FOR VALUES IN ('2024-01-01')");
  EXPECT_NE(Find(m, K::kIndex, "public", "measures", "measures_ref"), nullptr);
  EXPECT_NE(Find(m, K::kIndex, "public", "measures_a", "measures_a_ref_idx"), nullptr);
  EXPECT_NE(Find(m, K::kPrimaryKey, "public", "measures_a", "measures_a_pkey"), nullptr);
  EXPECT_NE(Find(m, K::kForeignKey, "public", "measures_a", "measures_ref_fkey"), nullptr);
  // The FK to a partitioned table is listed once, not once per partition.
  int pointer_fks = 0;
  for (const auto& o : m.objects)
    if (o.kind == K::kForeignKey && o.table == "pointer") ++pointer_fks;
  EXPECT_EQ(pointer_fks, 1);
  EXPECT_EQ(Attr(m, K::kForeignKey, "public", "pointer", "pointer_id_at_fkey", "references"),
            "public.target");
  // Identities are unique.
  std::set<std::string> keys;
  for (const auto& o : m.objects) EXPECT_TRUE(keys.insert(o.Key()).second) << "duplicate " << o.Path();
}

TEST(PostgresSchema, SessionSettingsDoNotChangeTheModel) {
  ScratchDatabase db(kEngine);
  db.Exec(kRichSchema);
  auto plain = db.Connect();
  auto odd = db.Connect();
  ASSERT_TRUE(plain && odd);
  SchemaModel a = ReadModel(*plain);
  Exec(*odd, "SET search_path = app, pg_catalog");
  Exec(*odd, "SET datestyle = 'SQL, DMY'");
  Exec(*odd, "SET timezone = 'Pacific/Chatham'");
  Exec(*odd, "SET extra_float_digits = 3");
  Exec(*odd, "SET intervalstyle = 'iso_8601'");
  SchemaModel b = ReadModel(*odd);
  EXPECT_EQ(Dump(a), Dump(b));
  // ...and ReadSchema restores them.
  EXPECT_EQ(Scalar(*odd, "SHOW search_path"), "app, pg_catalog");
  EXPECT_EQ(Scalar(*odd, "SHOW timezone"), "Pacific/Chatham");
}

TEST(PostgresSchema, InsideATransactionSeesUncommittedDdlAndRestoresSettings) {
  ScratchDatabase db(kEngine);
  auto c = db.Connect();
  ASSERT_TRUE(c);
  Exec(*c, "CREATE TABLE before_tx (id int)");
  ASSERT_TRUE(c->Begin().ok());
  Exec(*c, "SET LOCAL search_path = pg_catalog");
  Exec(*c, "CREATE TABLE public.during_tx (id int)");
  SchemaModel m = ReadModel(*c);
  EXPECT_NE(Find(m, ObjectKind::kTable, "public", "", "during_tx"), nullptr);
  EXPECT_NE(Find(m, ObjectKind::kTable, "public", "", "before_tx"), nullptr);
  EXPECT_EQ(Scalar(*c, "SHOW search_path"), "pg_catalog");
  ASSERT_TRUE(c->Rollback().ok());
  m = ReadModel(*c);
  EXPECT_EQ(Find(m, ObjectKind::kTable, "public", "", "during_tx"), nullptr);
}

// A TCP proxy in front of the server that counts the statements a client
// sends (each statement of a simple-protocol 'Q' message, each extended-
// protocol 'P' message), for proving that ReadSchema runs a bounded number of
// catalog queries.
class CountingProxy {
 public:
  CountingProxy(std::string host, int port) : host_(std::move(host)), port_(port) {
    listen_fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    addr.sin_port = 0;
    if (::bind(listen_fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 ||
        ::listen(listen_fd_, 4) != 0) {
      ADD_FAILURE() << "proxy: cannot listen";
      return;
    }
    socklen_t len = sizeof addr;
    ::getsockname(listen_fd_, reinterpret_cast<sockaddr*>(&addr), &len);
    listen_port_ = ntohs(addr.sin_port);
    acceptor_ = std::thread([this] { AcceptLoop(); });
  }
  ~CountingProxy() {
    stopping_ = true;
    ::shutdown(listen_fd_, SHUT_RDWR);
    ::close(listen_fd_);
    if (acceptor_.joinable()) acceptor_.join();
    for (int fd : fds_) ::shutdown(fd, SHUT_RDWR);
    for (auto& t : pumps_) t.join();
    for (int fd : fds_) ::close(fd);
  }
  int port() const { return listen_port_; }
  int queries() const { return queries_; }
  void Reset() { queries_ = 0; }

 private:
  void AcceptLoop() {
    while (!stopping_) {
      int client = ::accept(listen_fd_, nullptr, nullptr);
      if (client < 0) return;
      int server = ::socket(AF_INET, SOCK_STREAM, 0);
      sockaddr_in addr{};
      addr.sin_family = AF_INET;
      addr.sin_port = htons(static_cast<uint16_t>(port_));
      ::inet_pton(AF_INET, host_.c_str(), &addr.sin_addr);
      if (::connect(server, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
        ::close(client);
        ::close(server);
        continue;
      }
      fds_.push_back(client);
      fds_.push_back(server);
      pumps_.emplace_back([this, client, server] { Pump(client, server, true); });
      pumps_.emplace_back([this, client, server] { Pump(server, client, false); });
    }
  }
  void Pump(int from, int to, bool count) {
    std::string pending;
    bool startup_done = false;
    char buf[65536];
    while (true) {
      ssize_t n = ::read(from, buf, sizeof buf);
      if (n <= 0) break;
      if (count) {
        pending.append(buf, static_cast<size_t>(n));
        while (true) {
          auto be32 = [&](size_t at) {
            return (static_cast<uint32_t>(static_cast<unsigned char>(pending[at])) << 24) |
                   (static_cast<uint32_t>(static_cast<unsigned char>(pending[at + 1])) << 16) |
                   (static_cast<uint32_t>(static_cast<unsigned char>(pending[at + 2])) << 8) |
                   static_cast<uint32_t>(static_cast<unsigned char>(pending[at + 3]));
          };
          if (!startup_done) {
            if (pending.size() < 4 || pending.size() < be32(0)) break;
            pending.erase(0, be32(0));
            startup_done = true;
            continue;
          }
          if (pending.size() < 5 || pending.size() < 1 + be32(1)) break;
          if (pending[0] == 'Q') {
            // A simple query may hold several statements (a pipeline sends
            // them together): count each.
            const std::string text = pending.substr(5, be32(1) - 4);
            queries_ += static_cast<int>(postgresql::SplitScript(text.c_str()).size());
          } else if (pending[0] == 'P') {
            ++queries_;
          }
          pending.erase(0, 1 + be32(1));
        }
      }
      for (ssize_t off = 0; off < n;) {
        ssize_t w = ::write(to, buf + off, static_cast<size_t>(n - off));
        if (w <= 0) break;
        off += w;
      }
    }
    // Either side ending ends both directions; the destructor closes.
    ::shutdown(to, SHUT_RDWR);
    ::shutdown(from, SHUT_RDWR);
  }

  std::string host_;
  int port_;
  int listen_fd_ = -1;
  int listen_port_ = 0;
  std::atomic<bool> stopping_{false};
  std::atomic<int> queries_{0};
  std::thread acceptor_;
  std::vector<std::thread> pumps_;
  std::vector<int> fds_;
};

TEST(PostgresSchema, ReadsWithABoundedNumberOfQueries) {
  const ConnectionUri server = testing::ServerUri(kEngine);
  CountingProxy proxy(server.host(), server.port().value_or(5432));
  ASSERT_GT(proxy.port(), 0);
  auto queries_for = [&](const std::string& script) {
    ScratchDatabase db(kEngine);
    db.Exec(script);
    auto uri =
        ConnectionUri::Parse("postgresql://" + PercentEncode(server.user()) + ":" +
                             PercentEncode(Password(server)) + "@127.0.0.1:" + std::to_string(proxy.port()) +
                             "/" + PercentEncode(db.name()) + "?sslmode=disable&gssencmode=disable");
    EXPECT_TRUE(uri.ok());
    auto c = ConnectTo(*uri);
    if (!c) return -1;
    proxy.Reset();
    auto m = c->ReadSchema();
    EXPECT_TRUE(m.ok()) << m.status().ToString();
    return proxy.queries();
  };
  const int one = queries_for("CREATE TABLE t (id int PRIMARY KEY, v text);");
  std::string many;
  for (int i = 0; i < 200; ++i) {
    const std::string t = "t" + std::to_string(i);
    many += "CREATE TABLE " + t + " (id int PRIMARY KEY, v text UNIQUE, w int CHECK (w > 0)" +
            (i > 0 ? ", p int REFERENCES t" + std::to_string(i - 1) : std::string()) + ");";
    many += "CREATE INDEX ON " + t + " (lower(v)); CREATE VIEW " + t + "_v AS SELECT * FROM " + t + ";";
    many += "CREATE TRIGGER " + t + "_trg BEFORE UPDATE ON " + t +
            " FOR EACH ROW EXECUTE FUNCTION suppress_redundant_updates_trigger();";
    many += "CREATE SEQUENCE " + t + "_s; CREATE TYPE " + t + "_e AS ENUM ('a'); CREATE FUNCTION " + t +
            "_f() RETURNS int LANGUAGE sql AS 'SELECT 1';";
  }
  const int lots = queries_for(many);
  EXPECT_GT(one, 0);
  EXPECT_EQ(one, lots) << "ReadSchema must not run a query per object";
  EXPECT_LE(lots, 40);
  RecordProperty("read_schema_queries", std::to_string(lots));
}

TEST(PostgresSchema, ThreeHundredTablesReadQuickly) {
  ScratchDatabase db(kEngine);
  std::string script;
  for (int i = 0; i < 300; ++i) {
    const std::string t = "t" + std::to_string(i);
    script += "CREATE TABLE " + t + " (id int PRIMARY KEY, ref int" +
              (i > 0 ? " REFERENCES t" + std::to_string(i - 1) : std::string()) +
              ", a text, b int, c numeric(8,2));";
    script += "CREATE INDEX ON " + t + " (a); CREATE INDEX ON " + t + " (lower(a)) WHERE b > 0;";
  }
  db.Exec(script);
  auto c = db.Connect();
  ASSERT_TRUE(c);
  auto t0 = std::chrono::steady_clock::now();
  SchemaModel m = ReadModel(*c);
  auto elapsed = std::chrono::steady_clock::now() - t0;
  EXPECT_EQ(m.objects.size(), 1u + 1 + 300 * (1 + 5 + 1 + 2) + 299);
  // Generous bound for a loaded CI machine; a query per table would take
  // several seconds here.
  EXPECT_LT(elapsed, 5s);
}

TEST(PostgresSchema, EquivalentSpellingsGiveIdenticalModels) {
  const std::string first = R"sql(
CREATE TYPE mood AS ENUM ('ok', 'sad');
CREATE TABLE parent (id INT4 PRIMARY KEY);
CREATE TABLE Items (
  ID integer NOT NULL,
  Qty INT DEFAULT '0' CHECK (Qty >= 0),
  Name VARCHAR(20) DEFAULT 'x',
  Price DECIMAL(10, 2),
  Seen TIMESTAMPTZ DEFAULT now(),
  Flag BOOL DEFAULT TRUE,
  Parent_ID INT REFERENCES parent,
  M mood,
  CONSTRAINT items_pkey PRIMARY KEY (ID)
);
CREATE INDEX Items_Name ON Items USING btree (Name ASC NULLS LAST);
CREATE VIEW Cheap AS SELECT ID, Price FROM Items WHERE Price < 10;
CREATE FUNCTION t() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RETURN NEW; END $$;
CREATE TRIGGER trg AFTER INSERT OR UPDATE ON Items FOR EACH ROW EXECUTE PROCEDURE t();
)sql";
  // The same schema: other spellings of types, defaults, constraints declared
  // later, other creation order, other whitespace and keyword case.
  const std::string second = R"sql(
create function t() returns trigger language plpgsql as $$
  BEGIN
      RETURN NEW;
  END
$$;
create type mood as enum ('ok', 'sad');
create table parent (id integer primary key);
create table items (
  id int4,
  qty int4 default 0,
  name character varying(20) default 'x'::character varying,
  price numeric(10,2),
  seen timestamp with time zone default CURRENT_TIMESTAMP,
  flag boolean default true,
  parent_id integer,
  m public.mood
);
alter table items add primary key (id);
alter table items add constraint items_qty_check check ((qty >= 0));
alter table items add foreign key (parent_id) references parent (id) match simple on delete no action;
create index items_name on items (name);
create view cheap as select items.id, items.price from items where (items.price < (10)::numeric);
create trigger trg after update or insert on items for each row execute function t();
)sql";
  SchemaModel x = ModelOf(first);
  SchemaModel y = ModelOf(second);
  EXPECT_TRUE(DriftLines(x, y).empty()) << JoinLines(DriftLines(x, y)) << "first:\n"
                                        << Dump(x) << "second:\n"
                                        << Dump(y);
}

// ===========================================================================
// Fixture
// ===========================================================================

TEST(PostgresFixture, ShopLoadsThroughExecuteScript) {
  ScratchDatabase db(kEngine);
  auto c = db.Connect();
  ASSERT_TRUE(c);
  const std::string script = testing::ReadFileOrDie(testing::SourceDir() + "/fixtures/postgresql/shop.sql");
  ASSERT_FALSE(script.empty());
  Status st = c->ExecuteScript(script);
  ASSERT_TRUE(st.ok()) << st.ToString();
  SchemaModel m = ReadModel(*c);
  SCOPED_TRACE(Dump(m));
  using K = ObjectKind;
  for (const char* t : {"customers", "products", "orders", "order_items", "payments"}) {
    EXPECT_NE(Find(m, K::kTable, "public", "", t), nullptr) << t;
    EXPECT_NE(Scalar(*c, std::string("SELECT count(*) FROM ") + t), "0") << t;
  }
  EXPECT_EQ(Attr(m, K::kPrimaryKey, "public", "order_items", "order_items_pkey", "columns"),
            ListValue({"order_id", "product_id"}));
  EXPECT_EQ(Attr(m, K::kForeignKey, "public", "order_items", "order_items_order_id_fkey", "on_delete"),
            "CASCADE");
  EXPECT_NE(Find(m, K::kEnumType, "public", "", "order_status"), nullptr);
  bool view = false, trigger = false, partial = false, comment = false;
  for (const auto& o : m.objects) {
    view |= o.kind == K::kView;
    trigger |= o.kind == K::kTrigger;
    partial |= o.kind == K::kIndex && o.attributes.count("predicate");
    comment |= o.attributes.count("comment") > 0;
  }
  EXPECT_TRUE(view && trigger && partial && comment);
  // Running it twice into the same database fails on the first statement
  // and says which.
  st = c->ExecuteScript(script);
  EXPECT_FALSE(st.ok());
  EXPECT_NE(st.message().find("statement 1 of"), std::string::npos) << st.message();
}

TEST(PostgresText, PgDumpVersionsAndRestrictLines) {
  EXPECT_EQ(postgresql::ParsePgDumpVersion("pg_dump (PostgreSQL) 15.14 (Debian 15.14-0+deb12u1)"), 150014);
  EXPECT_EQ(postgresql::ParsePgDumpVersion("pg_dump (PostgreSQL) 11.0\n"), 110000);
  EXPECT_EQ(postgresql::ParsePgDumpVersion("pg_dump (PostgreSQL) 17beta2"), 170000);
  EXPECT_EQ(postgresql::ParsePgDumpVersion("pg_dump (PostgreSQL) 9.6.24"), 90624);
  EXPECT_EQ(postgresql::ParsePgDumpVersion("16"), 160000);
  EXPECT_EQ(postgresql::ParsePgDumpVersion("pg_dump: command not found"), std::nullopt);
  EXPECT_EQ(postgresql::ParsePgDumpVersion(""), std::nullopt);
  EXPECT_EQ(postgresql::MajorVersionName(150018), "15");
  EXPECT_EQ(postgresql::MajorVersionName(90624), "9.6");
  EXPECT_EQ(postgresql::StripRestrictLines("\\restrict abcDEF123\n\nSET x = 1;\nCREATE TABLE t (a int);\n"
                                           "\\unrestrict abcDEF123\n"),
            "\nSET x = 1;\nCREATE TABLE t (a int);\n");
  EXPECT_EQ(postgresql::StripRestrictLines("SELECT '\\restrict';\n\\restricted\n"),
            "SELECT '\\restrict';\n\\restricted\n");
  EXPECT_EQ(postgresql::CopyOutSql("s", "t\"x", {"a", "B c"}, ""),
            "COPY \"s\".\"t\"\"x\" (\"a\", \"B c\") TO STDOUT");
  EXPECT_EQ(postgresql::CopyOutSql("s", "t", {"a"}, "\"a\" >= 1"),
            "COPY (SELECT \"a\" FROM ONLY \"s\".\"t\" WHERE (\"a\" >= 1)) TO STDOUT");
  EXPECT_EQ(postgresql::CopyOutSql("s", "t", {}, ""), "COPY \"s\".\"t\" TO STDOUT");
  EXPECT_EQ(postgresql::CopyInSql("", "t", {"a"}), "COPY \"t\" (\"a\") FROM STDIN");
  EXPECT_EQ(postgresql::CopyOutSql("s", "t", {"a"}, "\"a\" >= 1", true),
            "COPY (SELECT \"a\" FROM ONLY \"s\".\"t\" WHERE (\"a\" >= 1)) TO STDOUT (FORMAT binary)");
  EXPECT_EQ(postgresql::CopyInSql("", "t", {"a"}, true), "COPY \"t\" (\"a\") FROM STDIN (FORMAT binary)");
}

// A COPY BINARY tuple: int16 field count, then per field an int32 length
// (-1: NULL) and its bytes. Anything else is named, never sent.
TEST(PostgresText, BinaryTuplesAreCheckedFieldByField) {
  using postgresql::BinaryTupleProblem;
  const std::string two("\x00\x02\x00\x00\x00\x01x\xff\xff\xff\xff", 11);  // 'x', NULL
  EXPECT_EQ(BinaryTupleProblem(two, 2), "");
  EXPECT_EQ(BinaryTupleProblem(two, -1), "");
  EXPECT_EQ(BinaryTupleProblem(std::string("\x00\x00", 2), 0), "");
  EXPECT_EQ(BinaryTupleProblem(two, 3), "2 fields where the table has 3 columns");
  EXPECT_EQ(BinaryTupleProblem(two.substr(0, 9), 2), "field 2 has no length");
  EXPECT_EQ(BinaryTupleProblem(two.substr(0, 6), 2), "field 1 is longer than the record");
  EXPECT_EQ(BinaryTupleProblem(two + "!", 2), "1 bytes after the last field");
  EXPECT_EQ(BinaryTupleProblem(std::string("\xff\xff", 2), 2),
            "a field count below zero (the stream's end marker?)");
  EXPECT_EQ(BinaryTupleProblem("", 2), "shorter than a field count");
  EXPECT_EQ(BinaryTupleProblem(std::string("\x00\x01\x80\x00\x00\x00", 6), 1),
            "field 1 has a negative length");
  // The text form's own checks are RecordProblem's for text.
  EXPECT_EQ(postgresql::RecordProblem("1\tx\n", postgresql::CopyForm::kText, 2), "");
  EXPECT_EQ(postgresql::RecordProblem("1\tx", postgresql::CopyForm::kText, 2), "no final newline");
  // A form this driver does not know is refused, naming the table.
  DataTable t{"public", "t", {"a"}, "", 0, 0, "parquet"};
  auto form = postgresql::CopyFormOf(t, "importing rows into table \"public\".\"t\"");
  ASSERT_FALSE(form.ok());
  EXPECT_EQ(form.status().code(), StatusCode::kInvalidInput);
  EXPECT_NE(form.status().message().find("\"parquet\""), std::string::npos) << form.status().message();
  EXPECT_NE(form.status().message().find("upgrade cutover"), std::string::npos) << form.status().message();
}

// ===========================================================================
// Snapshots and bulk data (driver API v2)
// ===========================================================================

// Every type whose text form a restore must keep byte for byte, hostile
// names, generated/serial/identity columns, sequences, partitions and
// inheritance.
constexpr const char* kEveryTypeScript = R"sql(
CREATE TYPE mood AS ENUM ('sad', 'o''k', 'happy');
CREATE DOMAIN posint AS integer CHECK (VALUE > 0);
CREATE TYPE pair AS (a int, b text);
CREATE TABLE everything (
  id bigserial PRIMARY KEY,
  t text, vc varchar(20), ch char(5), b bytea,
  f4 real, f8 double precision, num numeric, n52 numeric(5,2),
  d date, tm time, ttz timetz, ts timestamp, tstz timestamptz, iv interval,
  js json, jsb jsonb, ai int[], at text[],
  m mood, r4 int4range, rtz tstzrange,
  u uuid, ip inet, net cidr, mac macaddr, bits bit(8), vbits varbit,
  x xml, tsv tsvector, cash money, dom posint, comp pair, flag boolean, i2 smallint,
  g bigint GENERATED ALWAYS AS (id * 10) STORED
);
INSERT INTO everything (t, vc, ch, b, f4, f8, num, n52, d, tm, ttz, ts, tstz, iv, js, jsb, ai, at, m, r4, rtz,
                        u, ip, net, mac, bits, vbits, x, tsv, cash, dom, comp, flag, i2) VALUES
 (NULL, '', 'ab', '\x00ff00'::bytea, 'NaN', 'Infinity', 'NaN', 1.5, '2024-02-29', '23:59:59.999999',
  '12:00+05:30', '2024-01-01 00:00:00', '2024-06-01 12:00:00+02', '1 year 2 mons 3 days 04:05:06.789',
  '{"b": 1,   "a": [1, 2]}', '{"b": 1,   "a": [1, 2]}', '{{1,2},{3,NULL}}', '{"with \"quote\"","back\\slash",NULL,"NULL",""}',
  'o''k', '[1,10)', '["2024-01-01 00:00:00+00","2024-12-31 00:00:00+00")',
  'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11', '192.168.1.1/24', '10.0.0.0/8', '08:00:2b:01:02:03', B'10101010', B'101',
  '<a x="1">t &amp; u</a>', 'fat:2 cat:1 rat', 1234.56, 7, ROW(1, 'x, "y"'), true, -32768),
 ('', 'tab	and
newline', 'x', '', '-Infinity', '-0', '1234567890123456789012345678901234567890123456789012345678901234567890123456789012345678901234567890.123456789', -999.99,
  '0044-03-15 BC', '00:00:00', '00:00:00-12', '0001-01-01 00:00:00 BC', '-infinity', '-1 days +02:00:00',
  '[]', '{}', '{}', '{}', 'sad', 'empty', 'empty',
  '00000000-0000-0000-0000-000000000000', '::1', '2001:db8::/32', 'ff:ff:ff:ff:ff:ff', B'00000000', B'',
  'plain text', '', -0.01, 2147483647, ROW(NULL, NULL), false, 32767),
 (E'back\\slash \\N not null, unicode: \u00e9\u4e2d\U0001F600, CR\r', 'é', 'ñ', '\x5c'::bytea, 1.17549435e-38, 1e-300, '-0.000000000000000000001', 0,
  'infinity', '24:00:00', '24:00:00+14', 'infinity', '2024-03-10 02:30:00 America/New_York', '-178000000 years',
  '"\u00e9 \\n"', '[1.0, 1e3, "x"]', '{-2147483648}', ARRAY['a	b', E'c\nd'], 'happy', '(,5]', '[2024-01-01 00:00:00+00,infinity)',
  'ffffffff-ffff-ffff-ffff-ffffffffffff', '255.255.255.255', '0.0.0.0/0', '00:00:00:00:00:00', B'11111111', B'1111000011110000',
  '<?xml version="1.0"?><r/>', 'a:1A,2B b', '-92233720368547758.08', 1, ROW(-1, ''), NULL, 0),
 (NULL, NULL, NULL, NULL, '1.4e-45', 4.9e-324, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL,
  'null', 'null', NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL,
  NULL, NULL, NULL);
CREATE SCHEMA "Odd ""Schema"" ü";
CREATE TABLE "Odd ""Schema"" ü"."select" (
  "from" int NOT NULL UNIQUE, "Mixed Case" text, "quo""te" text, "ünï cødé" text, "tab	col" text
);
INSERT INTO "Odd ""Schema"" ü"."select" VALUES (1, 'A', 'q"q', 'ü', 't'), (2, NULL, '', E'\\', NULL);
CREATE TABLE ident (id int GENERATED ALWAYS AS IDENTITY PRIMARY KEY, v text);
INSERT INTO ident (v) VALUES ('a'), ('b'), ('c');
CREATE SEQUENCE standalone START 100 INCREMENT 7;
SELECT nextval('standalone'), nextval('standalone');
CREATE SEQUENCE untouched;
CREATE TABLE parted (id int NOT NULL, v text) PARTITION BY RANGE (id);
CREATE TABLE parted_1 PARTITION OF parted FOR VALUES FROM (0) TO (100);
CREATE TABLE parted_2 PARTITION OF parted FOR VALUES FROM (100) TO (200);
INSERT INTO parted SELECT g, 'v' || g FROM generate_series(0, 199) g;
CREATE TABLE inh_parent (a int);
CREATE TABLE inh_child (b text) INHERITS (inh_parent);
INSERT INTO inh_parent VALUES (1), (2);
INSERT INTO inh_child VALUES (3, 'c');
CREATE TABLE nocols ();
INSERT INTO nocols DEFAULT VALUES;
INSERT INTO nocols DEFAULT VALUES;
CREATE TABLE dropped (a int, b text, c int);
INSERT INTO dropped VALUES (1, 'x', 2);
ALTER TABLE dropped DROP COLUMN b;
CREATE TABLE fk_child (id int PRIMARY KEY, parent bigint REFERENCES everything (id));
INSERT INTO fk_child VALUES (1, 1), (2, 2);
CREATE INDEX everything_t ON everything (t);
CREATE VIEW v_everything AS SELECT id, t FROM everything;
CREATE MATERIALIZED VIEW mv AS SELECT count(*) AS n FROM everything;
CREATE FUNCTION touch() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN NEW.v := NEW.v || '!'; RETURN NEW; END $$;
CREATE TRIGGER ident_touch BEFORE INSERT ON ident FOR EACH ROW EXECUTE FUNCTION touch();
)sql";

// Exports every row of `table` (optionally restricted) into a multiset.
Status ExportInto(Connection& c, const DataTable& table, const std::string& predicate,
                  std::multiset<std::string>* out) {
  return c.ExportRows(table, predicate, [out](std::string_view record) {
    out->emplace(record);
    return Status::Ok();
  });
}

using TableData = std::map<std::string, std::multiset<std::string>>;

// Every data table of the connection, exported.
TableData ExportAll(Connection& c, const std::vector<DataTable>& tables) {
  TableData data;
  for (const DataTable& t : tables) data[TableLabel(t)] = Bag(ExportRecords(c, t));
  return data;
}

bool Contains(const std::string& haystack, const std::string& needle) {
  return haystack.find(needle) != std::string::npos;
}

using Taken = testing::DriverSnapshot;

Taken TakeSnapshot(Connection& c) {
  return TakeDriverSnapshot(c);
}

// Restores `snap` into the empty database `into` the way the core does.
void Restore(const Taken& snap, const ScratchDatabase& into) {
  auto d = into.Connect();
  ASSERT_TRUE(d);
  auto empty = d->IsEmptyDatabase();
  ASSERT_TRUE(empty.ok()) << empty.status().ToString();
  ASSERT_TRUE(*empty);
  Status st = d->ExecuteScript(snap.script.pre_data);
  ASSERT_TRUE(st.ok()) << st.ToString() << "\n" << snap.script.pre_data;
  auto worker = into.Connect();
  ASSERT_TRUE(worker);
  for (const DataTable& t : snap.tables) {
    const auto& list = snap.records.at(TableLabel(t));
    auto n = worker->ImportRows(t, BatchesOf(list, 3));
    ASSERT_TRUE(n.ok()) << TableLabel(t) << ": " << n.status().ToString();
    EXPECT_EQ(*n, static_cast<std::int64_t>(list.size())) << TableLabel(t);
  }
  st = d->ExecuteScript(snap.script.post_data);
  ASSERT_TRUE(st.ok()) << st.ToString() << "\n" << snap.script.post_data;
}

TEST(PostgresSnapshot, EveryTypeRoundTripsByteForByte) {
  ScratchDatabase src(kEngine);
  auto c = src.Connect();
  ASSERT_TRUE(c);
  Status st = c->ExecuteScript(kEveryTypeScript);
  ASSERT_TRUE(st.ok()) << st.ToString();

  Taken snap = TakeSnapshot(*c);
  ASSERT_FALSE(HasFailure());
  EXPECT_FALSE(snap.point.token.empty());
  EXPECT_EQ(snap.point.position.at("snapshot_id"), snap.point.token);
  EXPECT_TRUE(std::regex_match(snap.point.position.at("lsn"), std::regex("[0-9A-F]+/[0-9A-F]+")))
      << snap.point.position.at("lsn");

  // The table list: leaf partitions and inheritance tables, no partitioned
  // parent, views or materialized views; generated and dropped columns left out.
  std::vector<std::string> labels;
  for (const auto& t : snap.tables) labels.push_back(TableLabel(t));
  EXPECT_EQ(labels, (std::vector<std::string>{"Odd \"Schema\" ü.select", "public.dropped",
                                              "public.everything", "public.fk_child", "public.ident",
                                              "public.inh_child", "public.inh_parent", "public.nocols",
                                              "public.parted_1", "public.parted_2"}));
  for (const auto& t : snap.tables) {
    if (t.name == "everything") {
      EXPECT_EQ(t.split_column, "id");
      EXPECT_EQ(t.columns.size(), 35u);
      EXPECT_EQ(std::count(t.columns.begin(), t.columns.end(), "g"), 0);
    }
    if (t.name == "select") {
      EXPECT_EQ(t.split_column, "from");
      EXPECT_EQ(t.columns,
                (std::vector<std::string>{"from", "Mixed Case", "quo\"te", "ünï cødé", "tab\tcol"}));
    }
    if (t.name == "dropped") {
      EXPECT_EQ(t.columns, (std::vector<std::string>{"a", "c"}));
    }
    if (t.name == "nocols") {
      EXPECT_TRUE(t.columns.empty());
    }
    if (t.name == "parted_1" || t.name == "inh_parent") {
      EXPECT_EQ(t.split_column, "");
    }
  }
  EXPECT_EQ(snap.records["public.inh_parent"].size(), 2u)
      << "inheritance children are not read with the parent";
  EXPECT_EQ(snap.records["public.nocols"], (std::vector<std::string>{"\n", "\n"}));
  EXPECT_EQ(snap.records["public.everything"].size(), 4u);
  // The pinned text forms.
  std::string all;
  for (const auto& r : snap.records["public.everything"]) all += r;
  for (const char* form :
       {"\\\\x00ff00", "\tNaN\tInfinity\tNaN\t", "\t-Infinity\t-0\t", "1e-300", "5e-324", "0044-03-15 BC",
        "2024-06-01 10:00:00+00", "-infinity", "1 year 2 mons 3 days 04:05:06.789",
        "{\"b\": 1,   \"a\": [1, 2]}", "{\"a\": [1, 2], \"b\": 1}", "$1,234.56", "\t\\N\t\t",
        "tab\\tand\\nnewline", "back\\\\slash", "\\r\t"}) {
    EXPECT_TRUE(Contains(all, form)) << "missing " << form << " in\n" << all;
  }
  EXPECT_FALSE(Contains(snap.script.pre_data, "\\restrict"));
  EXPECT_FALSE(Contains(snap.script.post_data, "\\unrestrict"));
  EXPECT_TRUE(Contains(snap.script.post_data, "pg_catalog.setval('\"public\".\"standalone\"', 107, true)"))
      << snap.script.post_data;
  EXPECT_TRUE(Contains(snap.script.post_data, "pg_catalog.setval('\"public\".\"untouched\"', 1, false)"));

  ScratchDatabase dst(kEngine);
  Restore(snap, dst);
  ASSERT_FALSE(HasFailure());
  auto d = dst.Connect();
  ASSERT_TRUE(d);
  auto tables = d->ListDataTables();
  ASSERT_TRUE(tables.ok()) << tables.status().ToString();
  EXPECT_EQ(tables->size(), snap.tables.size());
  TableData again = ExportAll(*d, snap.tables);
  for (const auto& [label, records] : snap.records) {
    EXPECT_EQ(again[label], Bag(records)) << label;
  }
  SchemaModel restored = ReadModel(*d);
  EXPECT_EQ(Fingerprint(restored), Fingerprint(snap.model)) << "drift:\n"
                                                            << JoinLines(DriftLines(snap.model, restored));
  // Generated columns are recomputed, json keeps its text, sequences go on
  // where the source's do.
  EXPECT_EQ(Scalar(*d, "SELECT count(*) FROM everything WHERE g IS DISTINCT FROM id * 10"), "0");
  EXPECT_EQ(Scalar(*d, "SELECT js::text FROM everything WHERE id = 1"), "{\"b\": 1,   \"a\": [1, 2]}");
  for (const char* next :
       {"SELECT nextval('standalone')", "SELECT nextval('untouched')", "SELECT nextval('everything_id_seq')",
        "SELECT nextval(pg_get_serial_sequence('ident', 'id'))"}) {
    EXPECT_EQ(Scalar(*d, next), Scalar(*c, next)) << next;
  }
  Exec(*d, "INSERT INTO ident (v) VALUES ('d')");
  EXPECT_EQ(Scalar(*d, "SELECT v FROM ident WHERE id = 5"), "d!") << "the trigger is restored after the data";
  std::string what;
  auto problems = d->CheckIntegrity(&what);
  ASSERT_TRUE(problems.ok()) << problems.status().ToString();
  EXPECT_TRUE(problems->empty()) << Join(*problems, "\n");
  EXPECT_TRUE(std::regex_search(what, std::regex("amcheck: [1-9][0-9]* btree indexes"))) << what;
}

// Tables whose columns all have built-in types travel as COPY BINARY tuples
// (the server neither prints nor parses them); a user type (enum, domain,
// composite, an enum's array) keeps the table in text, whose form is the
// same in every database: a binary array or record carries type OIDs.
TEST(PostgresSnapshot, BuiltInTypesTravelAsBinaryTuplesAndUserTypesAsText) {
  ScratchDatabase src(kEngine);
  auto c = src.Connect();
  ASSERT_TRUE(c);
  Exec(*c, R"sql(
CREATE TYPE mood AS ENUM ('sad', 'happy');
CREATE DOMAIN posint AS integer CHECK (VALUE > 0);
CREATE TABLE builtins (
  id bigint PRIMARY KEY, t text, b bytea, f4 real, f8 double precision, num numeric, n52 numeric(5,2),
  d date, tm time, ttz timetz, ts timestamp, tstz timestamptz, iv interval, js json, jsb jsonb,
  ai int[], at text[], r4 int4range, u uuid, ip inet, mac macaddr, bits bit(8), vbits varbit, x xml,
  tsv tsvector, cash money, flag boolean, i2 smallint, p point, ch "char", nm name, o oid
);
INSERT INTO builtins VALUES
 (1, E'tab\there \\N \u00e9\U0001F600', '\x00ff00', 'NaN', '-0', 'NaN', -999.99, '0044-03-15 BC', '24:00:00',
  '00:00:00-12', 'infinity', '2024-03-10 02:30:00 America/New_York', '-178000000 years', '{"b": 1,   "a": 2}',
  '{"b": 1, "a": [1.0, 1e3]}', '{{1,2},{3,NULL}}', '{"with \"quote\"",NULL,""}', '(,5]',
  'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11', '2001:db8::/32', '08:00:2b:01:02:03', B'10101010', B'', '<a>t</a>',
  'fat:2 cat:1', -92233720368547758.08, true, -32768, '(1.5,-2)', 'x', 'a name', 4294967295),
 (2, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL,
  NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL);
CREATE TABLE with_enum (id int, m mood);
INSERT INTO with_enum VALUES (1, 'happy');
CREATE TABLE with_domain (id int, p posint);
INSERT INTO with_domain VALUES (1, 7);
CREATE TABLE with_enum_array (id int, ms mood[]);
INSERT INTO with_enum_array VALUES (1, '{sad,happy}');
CREATE TABLE with_record (id int, r builtins);
CREATE TABLE no_columns ();
INSERT INTO no_columns DEFAULT VALUES;
)sql");
  Taken snap = TakeSnapshot(*c);
  ASSERT_FALSE(HasFailure());
  std::map<std::string, std::string> formats;
  for (const DataTable& t : snap.tables) formats[t.name] = t.record_format;
  EXPECT_EQ(formats, (std::map<std::string, std::string>{{"builtins", "binary"},
                                                         {"no_columns", ""},
                                                         {"with_domain", ""},
                                                         {"with_enum", ""},
                                                         {"with_enum_array", ""},
                                                         {"with_record", ""}}));
  // Binary records: the field count first, no COPY header or trailer.
  const auto& rows = snap.records.at("public.builtins");
  ASSERT_EQ(rows.size(), 2u);
  for (const std::string& r : rows) EXPECT_EQ(postgresql::BinaryTupleProblem(r, 32), "") << r.size();
  EXPECT_EQ(snap.records.at("public.with_enum"), (std::vector<std::string>{"1\thappy\n"}));

  ScratchDatabase dst(kEngine);
  Restore(snap, dst);
  ASSERT_FALSE(HasFailure());
  auto d = dst.Connect();
  ASSERT_TRUE(d);
  // The same bytes read back (what a restore test's digests compare), and
  // the same values as the server prints them.
  TableData again = ExportAll(*d, snap.tables);
  for (const auto& [label, records] : snap.records) EXPECT_EQ(again[label], Bag(records)) << label;
  const char* text = "SELECT string_agg(b::text, ' | ' ORDER BY id) FROM builtins b";
  EXPECT_EQ(Scalar(*d, text), Scalar(*c, text));
  EXPECT_EQ(Scalar(*d, "SELECT tstz::text FROM builtins WHERE id = 1"),
            Scalar(*c, "SELECT tstz::text FROM builtins WHERE id = 1"));
  EXPECT_EQ(Scalar(*d, "SELECT count(*) FROM no_columns"), "1");
}

// A damaged binary tuple never reaches the server: the import stops naming
// the record and why, and loads nothing.
TEST(PostgresSnapshot, BinaryImportRefusesDamagedTuplesAndLoadsNothing) {
  ScratchDatabase db(kEngine);
  auto c = db.Connect();
  ASSERT_TRUE(c);
  Exec(*c, "CREATE TABLE bin (id int PRIMARY KEY, v text)");
  DataTable t{"public", "bin", {"id", "v"}, "id", 0, 0, "binary"};
  auto tuple = [](int id, const std::string& v) {
    std::string r("\x00\x02\x00\x00\x00\x04", 6);
    for (int shift = 24; shift >= 0; shift -= 8) r += static_cast<char>((id >> shift) & 0xff);
    const auto n = static_cast<std::uint32_t>(v.size());
    for (int shift = 24; shift >= 0; shift -= 8) r += static_cast<char>((n >> shift) & 0xff);
    return r + v;
  };
  auto n = c->ImportRows(t, BatchesOf({tuple(1, "one"), tuple(2, "two")}, 1));
  ASSERT_TRUE(n.ok()) << n.status().ToString();
  EXPECT_EQ(*n, 2);
  EXPECT_EQ(Scalar(*c, "SELECT string_agg(id || '=' || v, ',' ORDER BY id) FROM bin"), "1=one,2=two");
  const std::string good = tuple(3, "three");
  for (const auto& [bad, why] : std::vector<std::pair<std::string, std::string>>{
           {good.substr(0, good.size() - 1), "field 2 is longer than the record"},
           {good + "x", "1 bytes after the last field"},
           {std::string("\x00\x01\x00\x00\x00\x00", 6), "1 fields where the table has 2 columns"},
           {std::string("\xff\xff", 2), "end marker"}}) {
    n = c->ImportRows(t, BatchesOf({tuple(4, "four"), bad}, 10));
    ASSERT_FALSE(n.ok()) << why;
    EXPECT_EQ(n.status().code(), StatusCode::kInvalidInput) << n.status().ToString();
    EXPECT_TRUE(Contains(n.status().message(), "record 2 is not one PostgreSQL COPY BINARY tuple"))
        << n.status().message();
    EXPECT_TRUE(Contains(n.status().message(), why)) << n.status().message();
    EXPECT_TRUE(Contains(n.status().message(), "\"public\".\"bin\"")) << n.status().message();
  }
  EXPECT_EQ(Scalar(*c, "SELECT count(*) FROM bin"), "2") << "failed imports load nothing";
  // A text record given as binary is refused the same way; text given to a
  // binary COPY would otherwise be the server's garbled guess.
  n = c->ImportRows(t, BatchesOf({"5\tfive\n"}, 1));
  EXPECT_EQ(n.status().code(), StatusCode::kInvalidInput) << n.status().ToString();
  // The server's own errors still come through (a duplicate key).
  n = c->ImportRows(t, BatchesOf({tuple(1, "again")}, 1));
  ASSERT_FALSE(n.ok());
  EXPECT_EQ(n.status().code(), StatusCode::kQuery) << n.status().ToString();
  EXPECT_EQ(Scalar(*c, "SELECT count(*) FROM bin"), "2");
}

TEST(PostgresSnapshot, ExportIgnoresTheSessionsTextSettings) {
  ScratchDatabase db(kEngine);
  auto c = db.Connect();
  ASSERT_TRUE(c);
  ASSERT_TRUE(c->ExecuteScript(kEveryTypeScript).ok());
  auto tables = c->ListDataTables();
  ASSERT_TRUE(tables.ok());
  TableData plain = ExportAll(*c, *tables);
  auto odd = db.Connect();
  ASSERT_TRUE(odd);
  Exec(*odd,
       "SET TimeZone TO 'Asia/Kathmandu'; SET DateStyle TO 'SQL, DMY'; SET IntervalStyle TO 'iso_8601'; "
       "SET extra_float_digits TO -3; SET bytea_output TO 'escape'; SET client_encoding TO 'LATIN1'; "
       "SET search_path TO pg_catalog");
  EXPECT_EQ(ExportAll(*odd, *tables), plain);
  // And the session's own settings are left as they were.
  EXPECT_EQ(Scalar(*odd, "SHOW DateStyle"), "SQL, DMY");
  EXPECT_EQ(Scalar(*odd, "SHOW bytea_output"), "escape");
}

TEST(PostgresSnapshot, JoinedWorkerSeesTheSnapshotNotLaterCommits) {
  ScratchDatabase db(kEngine);
  auto setup = db.Connect();
  ASSERT_TRUE(setup);
  Exec(*setup, "CREATE TABLE t (id int PRIMARY KEY); INSERT INTO t SELECT generate_series(1, 10)");
  auto coord = db.Connect();
  auto worker = db.Connect();
  ASSERT_TRUE(coord && worker);
  auto point = coord->BeginSnapshot(SnapshotOptions{});
  ASSERT_TRUE(point.ok()) << point.status().ToString();
  ASSERT_TRUE(worker->JoinSnapshot(*point).ok());
  Exec(*setup, "INSERT INTO t SELECT generate_series(11, 15); DELETE FROM t WHERE id = 1");
  Exec(*setup, "CREATE TABLE later (a int)");
  auto tables = coord->ListDataTables();
  ASSERT_TRUE(tables.ok());
  ASSERT_EQ(tables->size(), 1u) << "a table created after the snapshot is not in it";
  auto script = worker->DumpSchemaScript();
  ASSERT_TRUE(script.ok()) << script.status().ToString();
  EXPECT_FALSE(Contains(script->pre_data, "later")) << "pg_dump reads the same snapshot";
  EXPECT_TRUE(Contains(script->pre_data, "CREATE TABLE public.t"));
  // An int column: binary tuples; the row id = 1 is one field of 4 bytes.
  ASSERT_EQ((*tables)[0].record_format, "binary");
  const std::string id_one("\x00\x01\x00\x00\x00\x04\x00\x00\x00\x01", 10);
  for (Connection* conn : {coord.get(), worker.get()}) {
    std::multiset<std::string> rows;
    Status st = ExportInto(*conn, (*tables)[0], "", &rows);
    ASSERT_TRUE(st.ok()) << st.ToString();
    EXPECT_EQ(rows.size(), 10u);
    EXPECT_EQ(rows.count(id_one), 1u);
  }
  // A worker cannot join twice or after the coordinator ended it.
  EXPECT_EQ(worker->JoinSnapshot(*point).code(), StatusCode::kInvalidInput);
  EXPECT_TRUE(worker->EndSnapshot().ok());
  EXPECT_TRUE(coord->EndSnapshot().ok());
  EXPECT_TRUE(coord->EndSnapshot().ok()) << "EndSnapshot is idempotent";
  auto late = db.Connect();
  Status gone = late->JoinSnapshot(*point);
  EXPECT_EQ(gone.code(), StatusCode::kInvalidInput) << gone.ToString();
  EXPECT_TRUE(Contains(gone.message(), point->token)) << gone.message();
  // Outside a snapshot, the latest data.
  std::multiset<std::string> now;
  ASSERT_TRUE(ExportInto(*late, (*tables)[0], "", &now).ok());
  EXPECT_EQ(now.size(), 14u);
  // The connections are usable again.
  EXPECT_EQ(Scalar(*coord, "SELECT count(*) FROM t"), "14");
}

TEST(PostgresSnapshot, ExportFailsFastWhenDdlIsQueuedBehindTheSnapshot) {
  ScratchDatabase db(kEngine);
  auto setup = db.Connect();
  ASSERT_TRUE(setup);
  Exec(*setup, "CREATE TABLE \"Queued Tbl\" (id int); INSERT INTO \"Queued Tbl\" VALUES (1)");
  auto coord = db.Connect();
  auto worker = db.Connect();
  auto ddl = db.Connect();
  ASSERT_TRUE(coord && worker && ddl);
  auto point = coord->BeginSnapshot(SnapshotOptions{});
  ASSERT_TRUE(point.ok()) << point.status().ToString();
  ASSERT_TRUE(worker->JoinSnapshot(*point).ok());
  auto tables = coord->ListDataTables();
  ASSERT_TRUE(tables.ok() && tables->size() == 1u);
  // ALTER TABLE queues for ACCESS EXCLUSIVE behind the coordinator's share lock.
  std::atomic<bool> done{false};
  Status ddl_status;
  std::thread t([&] {
    ExecOptions o;
    o.lock_timeout = 20s;
    auto r = ddl->Execute("ALTER TABLE \"Queued Tbl\" ADD COLUMN z int", o);
    ddl_status = r.status();
    done = true;
  });
  bool waiting = false;
  for (int i = 0; i < 200 && !waiting; ++i) {
    auto waits = setup->LockWaits();
    if (waits.ok())
      for (const auto& w : *waits) waiting |= w.waiting_session == ddl->SessionId();
    if (!waiting) std::this_thread::sleep_for(20ms);
  }
  ASSERT_TRUE(waiting) << "the ALTER TABLE never queued";
  auto t0 = std::chrono::steady_clock::now();
  std::multiset<std::string> rows;
  Status st = ExportInto(*worker, (*tables)[0], "", &rows);
  auto took = std::chrono::steady_clock::now() - t0;
  EXPECT_EQ(st.code(), StatusCode::kLockTimeout) << st.ToString();
  EXPECT_TRUE(Contains(st.message(), "\"public\".\"Queued Tbl\"")) << st.message();
  EXPECT_LT(took, 2s);
  EXPECT_FALSE(Contains(st.message(), Password(testing::ServerUri(kEngine))));
  // The worker's snapshot survives the failed export, and the coordinator,
  // which already holds the lock, can still read.
  EXPECT_EQ(Scalar(*worker, "SELECT count(*) FROM pg_class WHERE relname = 'Queued Tbl'"), "1");
  rows.clear();
  st = ExportInto(*coord, (*tables)[0], "", &rows);
  EXPECT_TRUE(st.ok()) << st.ToString();
  EXPECT_EQ(rows.size(), 1u);
  EXPECT_FALSE(done.load());
  EXPECT_TRUE(worker->EndSnapshot().ok());
  EXPECT_TRUE(coord->EndSnapshot().ok());
  t.join();
  EXPECT_TRUE(ddl_status.ok()) << ddl_status.ToString();
}

TEST(PostgresSnapshot, BeginSnapshotNamesTheLockedTableOnTimeout) {
  ScratchDatabase db(kEngine);
  auto holder = db.Connect();
  auto coord = db.Connect();
  ASSERT_TRUE(holder && coord);
  Exec(*holder, "CREATE TABLE free_t (a int); CREATE TABLE \"busy Tbl\" (a int)");
  ASSERT_TRUE(holder->Begin().ok());
  Exec(*holder, "LOCK TABLE \"busy Tbl\" IN ACCESS EXCLUSIVE MODE");
  SnapshotOptions o;
  o.lock_timeout = 300ms;
  auto t0 = std::chrono::steady_clock::now();
  auto point = coord->BeginSnapshot(o);
  EXPECT_LT(std::chrono::steady_clock::now() - t0, 3s);
  ASSERT_FALSE(point.ok());
  EXPECT_EQ(point.status().code(), StatusCode::kLockTimeout) << point.status().ToString();
  EXPECT_TRUE(Contains(point.status().message(), "\"public\".\"busy Tbl\"")) << point.status().message();
  EXPECT_TRUE(Contains(point.status().message(), holder->SessionId())) << point.status().message();
  EXPECT_TRUE(holder->Rollback().ok());
  // No transaction is left open: the next snapshot works.
  point = coord->BeginSnapshot(o);
  ASSERT_TRUE(point.ok()) << point.status().ToString();
  EXPECT_EQ(coord->BeginSnapshot(o).status().code(), StatusCode::kInvalidInput);
  EXPECT_TRUE(coord->EndSnapshot().ok());
}

TEST(PostgresSnapshot, PredicateRangesPartitionTheTable) {
  ScratchDatabase db(kEngine);
  auto c = db.Connect();
  ASSERT_TRUE(c);
  Exec(*c,
       "CREATE TABLE r (\"Key Col\" bigint PRIMARY KEY, v text); INSERT INTO r SELECT g, md5(g::text) FROM "
       "generate_series(1, 1000) g; "
       "CREATE TABLE composite (a int, b int, PRIMARY KEY (a, b)); "
       "CREATE TABLE nullable_unique (a int UNIQUE, b int NOT NULL UNIQUE); "
       "CREATE TABLE text_pk (k text PRIMARY KEY); "
       "CREATE TABLE partial (a int NOT NULL); CREATE UNIQUE INDEX ON partial (a) WHERE a > 0; "
       "CREATE TABLE smallkey (k smallint PRIMARY KEY)");
  auto tables = c->ListDataTables();
  ASSERT_TRUE(tables.ok());
  std::map<std::string, std::string> split;
  DataTable r;
  for (const auto& t : *tables) {
    split[t.name] = t.split_column;
    if (t.name == "r") r = t;
  }
  EXPECT_EQ(split, (std::map<std::string, std::string>{{"composite", ""},
                                                       {"nullable_unique", "b"},
                                                       {"partial", ""},
                                                       {"r", "Key Col"},
                                                       {"smallkey", "k"},
                                                       {"text_pk", ""}}));
  ASSERT_EQ(r.split_column, "Key Col");
  Exec(*c, "ANALYZE r");
  tables = c->ListDataTables();
  for (const auto& t : *tables)
    if (t.name == "r") {
      EXPECT_EQ(t.estimated_rows, 1000);
      EXPECT_GT(t.estimated_bytes, 8192);
    }
  std::multiset<std::string> all;
  ASSERT_TRUE(ExportInto(*c, r, "", &all).ok());
  ASSERT_EQ(all.size(), 1000u);
  const std::string col = c->QuoteIdentifier(r.split_column);
  std::multiset<std::string> joined;
  for (int lo = 0; lo < 1100; lo += 250) {
    std::multiset<std::string> part;
    Status st = ExportInto(
        *c, r, col + " >= " + std::to_string(lo) + " AND " + col + " < " + std::to_string(lo + 250), &part);
    ASSERT_TRUE(st.ok()) << st.ToString();
    EXPECT_EQ(part.size(), lo == 0 ? 249u : lo == 1000 ? 1u : 250u) << lo;
    joined.insert(part.begin(), part.end());
  }
  EXPECT_EQ(joined, all);
  // A bad predicate is the server's error, naming the table; the connection
  // stays usable.
  std::multiset<std::string> none;
  Status bad = ExportInto(*c, r, "no_such_column > 1", &none);
  EXPECT_EQ(bad.code(), StatusCode::kQuery);
  EXPECT_TRUE(Contains(bad.message(), "\"public\".\"r\"")) << bad.message();
  DataTable missing = r;
  missing.name = "missing";
  EXPECT_EQ(ExportInto(*c, missing, "", &none).code(), StatusCode::kNotFound);
  EXPECT_EQ(Scalar(*c, "SELECT count(*) FROM r"), "1000");
}

TEST(PostgresSnapshot, ExportCallbackErrorStopsTheCopyAndKeepsTheSnapshot) {
  ScratchDatabase db(kEngine);
  auto c = db.Connect();
  ASSERT_TRUE(c);
  Exec(*c,
       "CREATE TABLE big (id int, pad text); INSERT INTO big SELECT g, repeat('x', 100) FROM "
       "generate_series(1, "
       "300000) g");
  auto tables = c->ListDataTables();
  ASSERT_TRUE(tables.ok());
  ASSERT_TRUE(c->BeginSnapshot(SnapshotOptions{}).ok());
  int seen = 0;
  auto t0 = std::chrono::steady_clock::now();
  Status st = c->ExportRows((*tables)[0], "", [&](std::string_view) {
    return ++seen == 10 ? Status::Io("disk full") : Status::Ok();
  });
  EXPECT_EQ(st.code(), StatusCode::kIo);
  EXPECT_EQ(st.message(), "disk full");
  EXPECT_EQ(seen, 10);
  EXPECT_LT(std::chrono::steady_clock::now() - t0, 5s);
  std::multiset<std::string> rows;
  st = ExportInto(*c, (*tables)[0], "\"id\" <= 5", &rows);
  EXPECT_TRUE(st.ok()) << st.ToString();
  EXPECT_EQ(rows.size(), 5u);
  EXPECT_TRUE(c->EndSnapshot().ok());
}

TEST(PostgresSnapshot, ImportRowsLoadsLargeBatchesAndReportsBadRecords) {
  ScratchDatabase db(kEngine);
  auto c = db.Connect();
  ASSERT_TRUE(c);
  Exec(*c, "CREATE TABLE \"Load Me\" (id int PRIMARY KEY, v text)");
  DataTable t{"public", "Load Me", {"id", "v"}, "id", 0, 0, ""};
  std::vector<std::string> records;
  for (int i = 0; i < 50000; ++i) records.push_back(std::to_string(i) + "\t" + std::string(40, 'v') + "\n");
  auto n = c->ImportRows(t, BatchesOf(records, 7000));
  ASSERT_TRUE(n.ok()) << n.status().ToString();
  EXPECT_EQ(*n, 50000);
  EXPECT_EQ(Scalar(*c, "SELECT count(*) FROM \"Load Me\""), "50000");

  const std::string password = Password(testing::ServerUri(kEngine));
  // Garbage: the server's message with COPY's line, naming the table.
  std::vector<std::string> bad = {"60000\tok\n", "60001\tok\n", "not a number\tx\n"};
  n = c->ImportRows(t, BatchesOf(bad, 2));
  ASSERT_FALSE(n.ok());
  EXPECT_EQ(n.status().code(), StatusCode::kQuery) << n.status().ToString();
  EXPECT_TRUE(Contains(n.status().message(), "\"public\".\"Load Me\"")) << n.status().message();
  EXPECT_TRUE(Contains(n.status().message(), "line 3")) << n.status().message();
  EXPECT_TRUE(Contains(n.status().message(), "invalid input syntax")) << n.status().message();
  EXPECT_FALSE(Contains(n.status().message(), password));
  // Wrong column count, a duplicate key: also the server's words.
  for (const std::vector<std::string>& wrong :
       {std::vector<std::string>{"1\t2\t3\n"}, std::vector<std::string>{"1\tdup\n"}}) {
    n = c->ImportRows(t, BatchesOf(wrong, 10));
    ASSERT_FALSE(n.ok());
    EXPECT_TRUE(Contains(n.status().message(), "\"Load Me\"")) << n.status().message();
  }
  // Records that are not one COPY line never reach the server.
  for (const std::string& rec : {std::string("70000\tno newline"), std::string("1\ttwo\nlines\n"),
                                 std::string("\\.\n"), std::string()}) {
    n = c->ImportRows(t, BatchesOf({"70001\tfine\n", rec}, 10));
    ASSERT_FALSE(n.ok());
    EXPECT_EQ(n.status().code(), StatusCode::kInvalidInput) << n.status().ToString();
    EXPECT_TRUE(Contains(n.status().message(), "record 2")) << n.status().message();
  }
  // A failing source stops the import with its own error.
  int calls = 0;
  std::vector<std::string_view> one = {"80000\tx\n"};
  n = c->ImportRows(t, [&]() -> Result<std::span<const std::string_view>> {
    if (++calls == 1) return std::span<const std::string_view>(one);
    return Status::Io("chunk 7 of the snapshot is unreadable");
  });
  EXPECT_EQ(n.status().code(), StatusCode::kIo);
  EXPECT_EQ(Scalar(*c, "SELECT count(*) FROM \"Load Me\""), "50000") << "failed imports load nothing";
  // Inside the caller's transaction: loaded and the session's settings kept.
  ASSERT_TRUE(c->Begin().ok());
  Exec(*c, "SET LOCAL DateStyle TO 'German'");
  n = c->ImportRows(t, BatchesOf({"90000\tin tx\n"}, 1));
  EXPECT_TRUE(n.ok()) << n.status().ToString();
  EXPECT_EQ(Scalar(*c, "SHOW DateStyle"), "German, DMY");
  ASSERT_TRUE(c->Commit().ok());
  EXPECT_EQ(Scalar(*c, "SELECT v FROM \"Load Me\" WHERE id = 90000"), "in tx");
}

TEST(PostgresSnapshot, IsEmptyDatabase) {
  ScratchDatabase db(kEngine);
  auto c = db.Connect();
  ASSERT_TRUE(c);
  auto empty = [&] {
    auto r = c->IsEmptyDatabase();
    EXPECT_TRUE(r.ok()) << r.status().ToString();
    return r.ok() && *r;
  };
  EXPECT_TRUE(empty());
  for (const char* object :
       {"CREATE TABLE t (a int)|DROP TABLE t", "CREATE VIEW v AS SELECT 1 AS a|DROP VIEW v",
        "CREATE SEQUENCE s|DROP SEQUENCE s",
        "CREATE FUNCTION f() RETURNS int LANGUAGE sql AS 'SELECT 1'|DROP FUNCTION f",
        "CREATE TYPE e AS ENUM ('a')|DROP TYPE e", "CREATE SCHEMA other|DROP SCHEMA other",
        "CREATE EXTENSION amcheck|DROP EXTENSION amcheck",
        "CREATE MATERIALIZED VIEW mv AS SELECT 1 AS a|DROP MATERIALIZED VIEW mv",
        "CREATE DOMAIN d AS int|DROP DOMAIN d"}) {
    auto parts = Split(object, '|');
    Exec(*c, std::string(parts[0]));
    EXPECT_FALSE(empty()) << parts[0];
    Exec(*c, std::string(parts[1]));
    EXPECT_TRUE(empty()) << parts[1];
  }
}

TEST(PostgresSnapshot, CheckIntegrityOnACleanDatabase) {
  ScratchDatabase db(kEngine);
  auto c = db.Connect();
  ASSERT_TRUE(c);
  Exec(*c,
       "CREATE TABLE a (id int PRIMARY KEY, t text UNIQUE); INSERT INTO a SELECT g, repeat(g::text, 50) FROM "
       "generate_series(1, 500) g; CREATE TABLE b (x int); CREATE INDEX ON b (x); "
       "CREATE INDEX a_hash ON a USING hash (t)");
  // Like a restored pg_dump script leaves it.
  Exec(*c, "SELECT pg_catalog.set_config('search_path', '', false)");
  std::string what;
  auto problems = c->CheckIntegrity(&what);
  ASSERT_TRUE(problems.ok()) << problems.status().ToString();
  EXPECT_TRUE(problems->empty()) << Join(*problems, "\n");
  EXPECT_EQ(what, "amcheck: 3 btree indexes (bt_index_check), 2 tables (verify_heapam)");
  problems = c->CheckIntegrity(&what);
  EXPECT_TRUE(problems.ok()) << "amcheck already installed";
}

// Damaged pages are named. The damage is written on disk into a copy made
// at the file level (CREATE DATABASE ... STRATEGY FILE_COPY after a
// CHECKPOINT) before anything reads its pages, so the server reads the
// damaged bytes, not pages it has cached. The tests run as root (CI) or as
// the servers' owner, so the data files are writable.
TEST(PostgresSnapshot, CheckIntegrityNamesADamagedIndexAndADamagedHeapPage) {
  ScratchDatabase src(kEngine);
  {
    auto c = src.Connect();
    ASSERT_TRUE(c);
    Exec(*c,
         "CREATE TABLE d (id int PRIMARY KEY, v text); INSERT INTO d SELECT g, repeat('x', 20) || g FROM "
         "generate_series(1, 2000) g; CREATE TABLE clean (id int PRIMARY KEY); INSERT INTO clean VALUES (1); "
         "CHECKPOINT");
  }
  Driver* driver = testing::TestDriver(kEngine);
  ASSERT_NE(driver, nullptr);
  auto admin = driver->Connect(testing::ServerUri(kEngine));
  ASSERT_TRUE(admin.ok()) << admin.status().ToString();
  const std::string name = testing::UniqueName("cutover_scratch_damaged_");
  Exec(**admin, "CREATE DATABASE " + (*admin)->QuoteIdentifier(name) + " TEMPLATE " +
                    (*admin)->QuoteIdentifier(src.name()) + " STRATEGY FILE_COPY");
  const ConnectionUri damaged_uri = testing::ServerUri(kEngine).WithDatabase(name);
  {
    auto d = driver->Connect(damaged_uri);
    ASSERT_TRUE(d.ok()) << d.status().ToString();
    const fs::path data_dir = Scalar(**d, "SHOW data_directory");
    const fs::path heap = data_dir / Scalar(**d, "SELECT pg_relation_filepath('public.d')");
    const fs::path index = data_dir / Scalar(**d, "SELECT pg_relation_filepath('public.d_pkey')");
    ASSERT_GE(fs::file_size(index), 2u * 8192) << index;
    auto scribble = [](const fs::path& file, std::streamoff at, std::size_t n, char byte) {
      std::fstream f(file, std::ios::in | std::ios::out | std::ios::binary);
      ASSERT_TRUE(f.good()) << "cannot open " << file << " for writing";
      f.seekp(at);
      const std::string junk(n, byte);
      f.write(junk.data(), static_cast<std::streamsize>(junk.size()));
      ASSERT_TRUE(f.good()) << "cannot write " << file;
    };
    // Block 0's line pointers: each now redirects past the last item (an
    // all-ones pointer would read as dead, which verify_heapam skips).
    scribble(heap, 24, 64, '\x01');
    scribble(index, 8192 + 4000, 96, '\x7f');  // index tuples of the first leaf (block 1)
    std::string what;
    auto problems = (*d)->CheckIntegrity(&what);
    ASSERT_TRUE(problems.ok()) << problems.status().ToString();
    const std::string all = Join(*problems, "\n");
    EXPECT_TRUE(std::any_of(problems->begin(), problems->end(), [](const std::string& p) {
      return p.starts_with("index \"public\".\"d_pkey\": ");
    })) << all;
    EXPECT_TRUE(std::any_of(problems->begin(), problems->end(), [](const std::string& p) {
      return p.starts_with("table \"public\".\"d\": block 0");
    })) << all;
    EXPECT_FALSE(Contains(all, "clean")) << "the undamaged table and index are not named:\n" << all;
  }
  Exec(**admin, "DROP DATABASE " + (*admin)->QuoteIdentifier(name) + " WITH (FORCE)");
}

// A stand-in pg_dump: prints `version` for --version; otherwise records its
// argv and PGPASSWORD in files next to it and fails with a message.
std::string FakePgDump(const fs::path& dir, const std::string& version) {
  fs::create_directories(dir);
  const fs::path path = dir / "pg_dump";
  std::ofstream(path) << "#!/bin/sh\n"
                         "if [ \"$1\" = --version ]; then echo '"
                      << version
                      << "'; exit 0; fi\n"
                         "echo \"$@\" > \""
                      << (dir / "argv").string()
                      << "\"\n"
                         "echo \"$PGPASSWORD\" > \""
                      << (dir / "password").string()
                      << "\"\n"
                         "echo 'pg_dump: error: simulated failure' >&2\n"
                         "exit 1\n";
  fs::permissions(path, fs::perms::owner_all);
  return path.string();
}

class ScopedEnv {
 public:
  ScopedEnv(const char* name, const std::string& value) : name_(name) { setenv(name, value.c_str(), 1); }
  ~ScopedEnv() { unsetenv(name_); }

 private:
  const char* name_;
};

TEST(PostgresSnapshot, PgDumpOlderThanTheServerIsRefusedClearly) {
  ScratchDatabase db(kEngine);
  auto c = db.Connect();
  ASSERT_TRUE(c);
  const fs::path dir = fs::temp_directory_path() / testing::UniqueName("cutover_fake_pg_dump_");
  ScopedEnv env("CUTOVER_PG_DUMP", FakePgDump(dir, "pg_dump (PostgreSQL) 11.0"));
  auto script = c->DumpSchemaScript();
  fs::remove_all(dir);
  ASSERT_FALSE(script.ok());
  const Status& st = script.status();
  EXPECT_EQ(st.code(), StatusCode::kUnsupported) << st.ToString();
  const std::string major = std::to_string(c->server_info().version_number / 10000);
  for (const std::string& part : {std::string("pg_dump 11"), c->server_info().version,
                                  "postgresql-client-" + major, std::string("CUTOVER_PG_DUMP")}) {
    EXPECT_TRUE(Contains(st.message(), part)) << part << " not in: " << st.message();
  }
}

TEST(PostgresSnapshot, PgDumpGetsThePasswordThroughItsEnvironmentOnly) {
  ScratchDatabase db(kEngine);
  auto c = db.Connect();
  ASSERT_TRUE(c);
  const std::string password = Password(testing::ServerUri(kEngine));
  const fs::path dir = fs::temp_directory_path() / testing::UniqueName("cutover_fake_pg_dump_");
  const std::string major = std::to_string(c->server_info().version_number / 10000);
  ScopedEnv env("CUTOVER_PG_DUMP", FakePgDump(dir, "pg_dump (PostgreSQL) " + major + ".99"));
  ASSERT_TRUE(c->BeginSnapshot(SnapshotOptions{}).ok());
  auto script = c->DumpSchemaScript();
  ASSERT_FALSE(script.ok());
  EXPECT_EQ(script.status().code(), StatusCode::kQuery);
  EXPECT_TRUE(Contains(script.status().message(), "simulated failure")) << script.status().message();
  EXPECT_FALSE(Contains(script.status().message(), password));
  const std::string argv = testing::ReadFileOrDie((dir / "argv").string());
  EXPECT_FALSE(Contains(argv, password)) << "argv is visible in ps";
  EXPECT_TRUE(Contains(argv, "--snapshot=")) << argv;
  EXPECT_TRUE(Contains(argv, "--schema-only")) << argv;
  EXPECT_EQ(testing::ReadFileOrDie((dir / "password").string()), password + "\n");
  fs::remove_all(dir);
  // The snapshot is still usable after the failed dump.
  auto tables = c->ListDataTables();
  EXPECT_TRUE(tables.ok()) << tables.status().ToString();
  EXPECT_TRUE(c->EndSnapshot().ok());
  // A CUTOVER_PG_DUMP that is not a program.
  ScopedEnv missing("CUTOVER_PG_DUMP", (dir / "nothing").string());
  EXPECT_EQ(c->DumpSchemaScript().status().code(), StatusCode::kNotFound);
}

TEST(PostgresSnapshot, SplitScriptThroughTheDriver) {
  auto r = Pg()->SplitScript("SELECT 1;\nCREATE FUNCTION f() RETURNS int AS $$ SELECT 1; $$ LANGUAGE sql;");
  ASSERT_TRUE(r.ok());
  ASSERT_EQ(r->size(), 2u);
  EXPECT_EQ((*r)[1].line, 2);
  for (const auto& [script, kind, line] :
       std::vector<std::tuple<std::string, std::string, int>>{{"SELECT 1;\nSELECT 'open", "string", 2},
                                                              {"SELECT 1;\n\n/* a /* b */", "comment", 3},
                                                              {"SELECT $x$ body", "dollar-quoted string", 1},
                                                              {"SELECT \"id", "quoted identifier", 1}}) {
    auto bad = Pg()->SplitScript(script);
    ASSERT_FALSE(bad.ok()) << script;
    EXPECT_EQ(bad.status().code(), StatusCode::kInvalidInput);
    EXPECT_TRUE(Contains(bad.status().message(),
                         "unterminated " + kind + " starting on line " + std::to_string(line)))
        << bad.status().message();
  }
}

// Cost of ExportRows and ImportRows against the server's own COPY to
// /dev/null and from a server file (superuser only). The table size is
// CUTOVER_PG_BENCH_MB (default 40 MB, so the suite stays quick); the figures
// are printed. Wall times are the best of three; CPU seconds of the server
// backend (same host, /proc) and of this thread are printed too, because
// the machine is shared and wall times alone are noisy.
TEST(PostgresSnapshot, ExportSpeedAgainstServerSideCopy) {
  ScratchDatabase db(kEngine);
  auto c = db.Connect();
  ASSERT_TRUE(c);
  if (Scalar(*c, "SELECT rolsuper FROM pg_roles WHERE rolname = current_user") != "t") {
    GTEST_FAIL() << "the test user must be a superuser to COPY to and from server files";
  }
  const char* mb_env = std::getenv("CUTOVER_PG_BENCH_MB");
  const long mb = mb_env != nullptr ? std::atol(mb_env) : 40;
  const long rows = mb * 1024 * 1024 / 105;
  Exec(*c,
       "CREATE TABLE bench (id bigint PRIMARY KEY, a text, b double precision, c timestamptz, d int); "
       "INSERT INTO bench SELECT g, md5(g::text) || md5((g+1)::text), g / 7.0, "
       "'2024-01-01'::timestamptz + g * interval '1 second', g % 1000 FROM generate_series(1, " +
           std::to_string(rows) + ") g");
  Exec(*c, "VACUUM ANALYZE bench");
  auto tables = c->ListDataTables();
  ASSERT_TRUE(tables.ok());
  const DataTable& t = (*tables)[0];

  const std::string backend_stat = "/proc/" + c->SessionId() + "/stat";
  auto backend_cpu = [&] {
    std::string stat = testing::ReadFileOrDie(backend_stat);
    std::istringstream in(stat.substr(stat.rfind(')') + 2));
    std::string field;
    double ticks = 0;
    for (int i = 3; i <= 15 && in >> field; ++i)
      if (i == 14 || i == 15) ticks += std::stod(field);  // utime, stime
    return ticks / static_cast<double>(sysconf(_SC_CLK_TCK));
  };
  auto thread_cpu = [] {
    timespec ts{};
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) / 1e9;
  };
  struct Cost {
    double wall = 1e9, server_cpu = 1e9, client_cpu = 1e9;
  };
  auto measure = [&](Cost& cost, auto&& fn) {
    const double s0 = backend_cpu(), c0 = thread_cpu();
    const auto w0 = std::chrono::steady_clock::now();
    fn();
    cost.wall =
        std::min(cost.wall, std::chrono::duration<double>(std::chrono::steady_clock::now() - w0).count());
    cost.server_cpu = std::min(cost.server_cpu, backend_cpu() - s0);
    cost.client_cpu = std::min(cost.client_cpu, thread_cpu() - c0);
  };
  const long step = rows / 4 + 1;
  auto range = [&](long lo) {
    return "\"id\" >= " + std::to_string(lo) + " AND \"id\" < " + std::to_string(lo + step);
  };
  Cost server, client, server_ranges, client_ranges;
  std::uint64_t bytes = 0;
  std::vector<std::string> records;
  for (int round = 0; round < 3; ++round) {
    measure(server, [&] { Exec(*c, "COPY public.bench (id, a, b, c, d) TO '/dev/null'"); });
    measure(client, [&] {
      bytes = 0;
      Status st = c->ExportRows(t, "", [&](std::string_view r) {
        bytes += r.size();
        if (round == 0) records.emplace_back(r);
        return Status::Ok();
      });
      EXPECT_TRUE(st.ok()) << st.ToString();
    });
    // Four ranges of the split column, as the core reads a big table.
    measure(server_ranges, [&] {
      for (long lo = 0; lo <= rows; lo += step)
        Exec(*c,
             "COPY (SELECT id, a, b, c, d FROM ONLY public.bench WHERE " + range(lo) + ") TO '/dev/null'");
    });
    measure(client_ranges, [&] {
      for (long lo = 0; lo <= rows; lo += step) {
        Status st = c->ExportRows(t, range(lo), [&](std::string_view) { return Status::Ok(); });
        EXPECT_TRUE(st.ok()) << st.ToString();
      }
    });
  }
  // Loading: ImportRows against the server reading a file it wrote.
  const std::string file = "/tmp/" + testing::UniqueName("cutover_bench_") + ".copy";
  Exec(*c, "COPY public.bench TO '" + file +
               "'; CREATE TABLE bench_a (LIKE bench); CREATE TABLE bench_b (LIKE bench)");
  Cost server_load, client_load;
  measure(server_load, [&] { Exec(*c, "COPY public.bench_a FROM '" + file + "'"); });
  (void)std::remove(file.c_str());
  DataTable into = t;
  into.name = "bench_b";
  measure(client_load, [&] {
    auto n = c->ImportRows(into, BatchesOf(records, 8192));
    EXPECT_TRUE(n.ok() && *n == rows) << n.status().ToString();
  });
  auto line = [](const char* what, const Cost& base, const Cost& ours) {
    std::printf(
        "[ figures  ] %-22s server-side %.3f s (cpu %.3f) | driver %.3f s (server cpu %.3f + client cpu "
        "%.3f) "
        "| wall ratio %.2f\n",
        what, base.wall, base.server_cpu, ours.wall, ours.server_cpu, ours.client_cpu, ours.wall / base.wall);
  };
  std::printf("[ figures  ] %.0f MB of COPY text, %ld rows\n", static_cast<double>(bytes) / 1e6, rows);
  line("export whole table", server, client);
  line("export 4 ranges", server_ranges, client_ranges);
  line("import", server_load, client_load);
  // Generous: the machine is shared; the figures are what matters.
  EXPECT_LT(client.wall / server.wall, 2.5);
}

// ---- API v6 on partitioned tables ------------------------------------------

TEST(PostgresRehearsal, PartitionedTablesHaveTheirLeavesStorageAndRowEstimates) {
  ScratchDatabase db(kEngine);
  db.Exec(
      "CREATE TABLE m (id int NOT NULL, at date NOT NULL) PARTITION BY RANGE (at);"
      // No autovacuum: the partitions must stay without statistics until ANALYZE.
      "CREATE TABLE m_2025 PARTITION OF m FOR VALUES FROM ('2025-01-01') TO ('2026-01-01') "
      "WITH (autovacuum_enabled = false);"
      "CREATE TABLE m_2026 PARTITION OF m FOR VALUES FROM ('2026-01-01') TO ('2027-01-01') "
      "WITH (autovacuum_enabled = false);"
      "INSERT INTO m SELECT g, date '2025-01-01' + (g % 700) FROM generate_series(1, 7000) g;");
  auto conn = db.Connect();
  ASSERT_NE(conn, nullptr);
  const TableId m{"public", "m"};
  auto never_analyzed = conn->EstimatedRowCounts();
  ASSERT_TRUE(never_analyzed.ok()) << never_analyzed.status().ToString();
  ASSERT_EQ(never_analyzed->size(), 1u) << "partitions are not listed on their own";
  EXPECT_EQ(never_analyzed->front().table, m);
  EXPECT_EQ(never_analyzed->front().rows, 7000) << "partitions without statistics: counted";
  EXPECT_TRUE(never_analyzed->front().exact);
  db.Exec("ANALYZE m_2025; ANALYZE m_2026;");
  auto analyzed = conn->EstimatedRowCounts();
  ASSERT_TRUE(analyzed.ok());
  EXPECT_NEAR(static_cast<double>(analyzed->front().rows), 7000.0, 1750.0);
  EXPECT_FALSE(analyzed->front().exact);
  auto before = conn->StorageIdentity(m);
  ASSERT_TRUE(before.ok()) << before.status().ToString();
  EXPECT_EQ(std::count(before->begin(), before->end(), ','), 1) << "one relfilenode per leaf: " << *before;
  db.Exec("TRUNCATE m_2026");  // new storage for one leaf
  auto after = conn->StorageIdentity(m);
  ASSERT_TRUE(after.ok());
  EXPECT_NE(*after, *before) << "a rewritten partition is a rewrite of the partitioned table";
}

}  // namespace
}  // namespace cutover
