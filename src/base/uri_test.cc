#include "base/uri.h"

#include <gtest/gtest.h>

#include "base/status.h"
#include "base/strings.h"

namespace cutover {
namespace {

TEST(ConnectionUri, ParsesPostgresUriWithEverything) {
  auto uri =
      ConnectionUri::Parse("postgresql://app%40corp:p%40ss@db.example.com:6543/shop%20db?sslmode=require");
  ASSERT_TRUE(uri.ok()) << uri.status().ToString();
  EXPECT_EQ(uri->scheme(), "postgresql");
  EXPECT_TRUE(uri->has_authority());
  EXPECT_EQ(uri->user(), "app@corp");
  EXPECT_EQ(*uri->password(), "p@ss");
  EXPECT_EQ(uri->host(), "db.example.com");
  EXPECT_EQ(*uri->port(), 6543);
  EXPECT_EQ(uri->database(), "shop db");
  EXPECT_EQ(*uri->param("sslmode"), "require");
}

// Aliases are folded by the loader from DriverInfo::schemes (loader_test);
// the URI keeps the scheme as written, lower-cased.
TEST(ConnectionUri, KeepsTheSchemeLowerCased) {
  EXPECT_EQ(ConnectionUri::Parse("postgres://h/db")->scheme(), "postgres");
  EXPECT_EQ(ConnectionUri::Parse("MariaDB://h/db")->scheme(), "mariadb");
}

TEST(ConnectionUri, SocketAndIpv6Hosts) {
  auto pg = ConnectionUri::Parse("postgresql:///shop?host=/var/run/postgresql");
  ASSERT_TRUE(pg.ok());
  EXPECT_EQ(pg->host(), "");
  EXPECT_EQ(*pg->param("host"), "/var/run/postgresql");
  auto my = ConnectionUri::Parse("mysql://root@localhost/shop?socket=/run/mysqld/mysqld.sock");
  ASSERT_TRUE(my.ok());
  EXPECT_EQ(*my->param("socket"), "/run/mysqld/mysqld.sock");
  auto v6 = ConnectionUri::Parse("postgresql://u@[::1]:5433/db");
  ASSERT_TRUE(v6.ok());
  EXPECT_EQ(v6->host(), "::1");
  EXPECT_EQ(*v6->port(), 5433);
}

// Found by the uri fuzz target: "u:p%40arb" as a host decoded to "u:p@arb",
// which was shown as "[u:p@arb]", a URI with another user and host.
TEST(ConnectionUri, AColonSmuggledIntoTheHostIsRefused) {
  auto bad = ConnectionUri::Parse("mysql://u:p%40arb:/db");
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.status().message().find("':' in its host"), std::string::npos) << bad.status().message();
  EXPECT_FALSE(ConnectionUri::Parse("postgresql://db%3A5432/shop").ok());
  auto v6 = ConnectionUri::Parse("postgresql://u:pw@[fe80::1]:5432/shop");
  ASSERT_TRUE(v6.ok());
  EXPECT_EQ(ConnectionUri::Parse(v6->Redacted())->host(), "fe80::1");
}

// A NUL would cut the URI short in a client library (libpq reads C strings):
// "shop\0x" would connect to "shop". Raw or escaped, control bytes are refused.
TEST(ConnectionUri, ControlCharactersAndEscapedNulsAreRefused) {
  auto nul = ConnectionUri::Parse(std::string("postgresql://u:pw@h/shop\0x", 26));
  ASSERT_FALSE(nul.ok());
  EXPECT_NE(nul.status().message().find("control character (byte 0) at position 25"), std::string::npos)
      << nul.status().message();
  EXPECT_FALSE(ConnectionUri::Parse("postgresql://u:pw@h/sh\top").ok());
  EXPECT_FALSE(ConnectionUri::Parse("postgresql://u:pw@h/shop%00x").ok());
  EXPECT_FALSE(ConnectionUri::Parse("postgresql://u:p%00w@h/shop").ok());
  EXPECT_FALSE(ConnectionUri::Parse("mysql://u@h/shop?socket=%00").ok());
  EXPECT_TRUE(ConnectionUri::Parse("sqlite:/tmp/a%20b.db").ok());
}

TEST(ConnectionUri, SqliteForms) {
  auto abs = ConnectionUri::Parse("sqlite:///var/lib/app/shop.db");
  ASSERT_TRUE(abs.ok());
  EXPECT_EQ(abs->path(), "/var/lib/app/shop.db");
  EXPECT_TRUE(abs->RequireFileForm("SQLite").ok());
  auto rel = ConnectionUri::Parse("sqlite:data/shop.db");
  ASSERT_TRUE(rel.ok());
  EXPECT_EQ(rel->path(), "data/shop.db");
  EXPECT_FALSE(rel->has_authority());
  EXPECT_TRUE(rel->RequireFileForm("SQLite").ok());
  EXPECT_EQ(rel->Redacted(), "sqlite:data/shop.db");
  EXPECT_EQ(abs->Redacted(), "sqlite:///var/lib/app/shop.db");
  // A file URI with a host part, or none at all: the driver refuses it.
  Status host = ConnectionUri::Parse("sqlite://host/x.db")->RequireFileForm("SQLite");
  EXPECT_EQ(host.code(), StatusCode::kInvalidInput);
  EXPECT_NE(host.message().find("has a host part"), std::string::npos) << host.message();
  EXPECT_FALSE(ConnectionUri::Parse("sqlite:")->RequireFileForm("SQLite").ok());
  // A server URI without //: the driver refuses it, without the password.
  Status opaque = ConnectionUri::Parse("postgresql:u:topsecret@h")->RequireServerForm("PostgreSQL");
  EXPECT_EQ(opaque.code(), StatusCode::kInvalidInput);
  EXPECT_EQ(opaque.message().find("topsecret"), std::string::npos) << opaque.message();
  EXPECT_EQ(ConnectionUri::Parse("postgresql:u:topsecret@h")->Redacted().find("topsecret"),
            std::string::npos);
}

TEST(ConnectionUri, RejectsBadInputWithoutLeakingThePassword) {
  for (const char* bad : {"", "nonsense", "1abc://u:topsecret@h/db", ":topsecret@h",
                          "postgresql://u:topsecret@h:99999/db", "postgresql://u:topsecret@h:12ab/db",
                          "mysql://u:topsecret@[::1/db", "postgresql://u:top%zzsecret@h/db"}) {
    auto uri = ConnectionUri::Parse(bad);
    ASSERT_FALSE(uri.ok()) << bad;
    EXPECT_EQ(uri.status().code(), StatusCode::kInvalidInput) << bad;
    EXPECT_EQ(uri.status().message().find("topsecret"), std::string::npos) << uri.status().message();
    EXPECT_EQ(ExitCodeFor(uri.status()), 2);
  }
}

TEST(ConnectionUri, RedactsPasswordsEverywhere) {
  auto uri =
      ConnectionUri::Parse("postgresql://app:hunter2@db:5432/shop?password=hunter3&sslpassword=hunter4&x=1");
  ASSERT_TRUE(uri.ok());
  std::string shown = uri->Redacted();
  EXPECT_EQ(shown.find("hunter"), std::string::npos) << shown;
  EXPECT_NE(shown.find("app:***@db:5432/shop"), std::string::npos) << shown;
  EXPECT_NE(shown.find("x=1"), std::string::npos) << shown;
  // The original text still has it, for the client library.
  EXPECT_NE(uri->Text().find("hunter2"), std::string::npos);
}

TEST(ConnectionUri, WithDatabaseKeepsCredentialsAndDropsDbnameParam) {
  auto uri = ConnectionUri::Parse("postgresql://app:pw@db:5432/postgres?dbname=other&sslmode=disable");
  ASSERT_TRUE(uri.ok());
  auto scratch = uri->WithDatabase("cutover_scratch_x");
  EXPECT_EQ(scratch.database(), "cutover_scratch_x");
  EXPECT_EQ(*scratch.password(), "pw");
  EXPECT_FALSE(scratch.param("dbname"));
  auto reparsed = ConnectionUri::Parse(scratch.Text());
  ASSERT_TRUE(reparsed.ok());
  EXPECT_EQ(reparsed->database(), "cutover_scratch_x");
  auto file = ConnectionUri::Parse("sqlite:///tmp/dir")->WithPath("/tmp/dir/a b.db");
  EXPECT_EQ(ConnectionUri::Parse(file.Text())->path(), "/tmp/dir/a b.db");
  EXPECT_EQ(file.Redacted(), "sqlite:///tmp/dir/a%20b.db");
  auto relative = ConnectionUri::Parse("sqlite:///tmp/dir")->WithPath("rel/x.db");
  EXPECT_EQ(relative.Text(), "sqlite:rel/x.db");
}

TEST(ScrubSecrets, RemovesKeyValueAndUserinfoSecrets) {
  std::string msg = "connection to host=db password=s3cr3t user=x failed; uri postgresql://a:s3cr3t@h/db";
  std::string scrubbed = ScrubSecrets(msg);
  EXPECT_EQ(scrubbed.find("s3cr3t"), std::string::npos) << scrubbed;
  EXPECT_NE(scrubbed.find("user=x"), std::string::npos);
  EXPECT_EQ(ScrubSecrets("password='a b c' tail").find("a b c"), std::string::npos);
}

TEST(Strings, CollapseSqlWhitespaceKeepsQuotedText) {
  EXPECT_EQ(CollapseSqlWhitespace("  SELECT  a,\n\t b FROM t  "), "SELECT a, b FROM t");
  EXPECT_EQ(CollapseSqlWhitespace("SELECT 'a   b'  ,  \"x  y\""), "SELECT 'a   b' , \"x  y\"");
}

TEST(Strings, Utf8Validation) {
  EXPECT_TRUE(IsValidUtf8("plain"));
  EXPECT_TRUE(IsValidUtf8("caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80"));
  EXPECT_FALSE(IsValidUtf8("bad \xc3"));
  EXPECT_FALSE(IsValidUtf8("bad \xff"));
  EXPECT_FALSE(IsValidUtf8("bad \xe2\x82"));
}

TEST(Status, ExitCodes) {
  EXPECT_EQ(ExitCodeFor(Status::Ok()), 0);
  EXPECT_EQ(ExitCodeFor(Status::CheckFailed("x")), 1);
  EXPECT_EQ(ExitCodeFor(Status::InvalidInput("x")), 2);
  EXPECT_EQ(ExitCodeFor(Status::NotFound("x")), 2);
  EXPECT_EQ(ExitCodeFor(Status::Connection("x")), 3);
  EXPECT_EQ(ExitCodeFor(Status::Query("x", "42P01")), 3);
  EXPECT_EQ(Status::Query("x", "42P01").ToString(), "query error: x [42P01]");
  EXPECT_EQ(Status::Io("disk").WithContext("writing f").message(), "writing f: disk");
}

}  // namespace
}  // namespace cutover
