// Tests of the audit log's chain on a real catalog file (SQLite driver
// plugin). Each tampering is done with a second, raw connection to the
// file, as someone with write access to the catalog would do it; the CLI
// tests (tests/cli/audit_cli_test.cc) repeat the main ones with the sqlite3
// tool and `cutover audit verify`.
#include "audit/audit_log.h"

#include <gtest/gtest.h>
#include <sys/stat.h>

#include <filesystem>
#include <fstream>

#include "base/os_user.h"
#include "support/test_env.h"

namespace cutover::audit {
namespace {

namespace fs = std::filesystem;

Key TestKey(char fill = 'k') {
  return Key::FromBytes(std::string(32, fill));
}

class AuditLogTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / testing::UniqueName("cutover-audit-test-");
    fs::create_directories(dir_);
    auto c = Catalog::Open(testing::TestLoader(), dir_ / "repo");
    ASSERT_TRUE(c.ok()) << c.status().ToString();
    catalog_ = std::move(c).value();
  }
  void TearDown() override {
    catalog_.reset();
    std::error_code ec;
    fs::remove_all(dir_, ec);
  }

  // A raw connection to the catalog file, for tampering.
  std::unique_ptr<Connection> Raw() {
    Driver* driver = testing::TestDriver("sqlite");
    if (driver == nullptr) return nullptr;
    auto uri = ConnectionUri::Parse("sqlite:///x.db");
    auto conn = driver->Connect(uri->WithDatabase((dir_ / "repo" / "catalog.db").string()));
    if (!conn.ok()) {
      ADD_FAILURE() << conn.status().ToString();
      return nullptr;
    }
    return std::move(conn).value();
  }
  void Tamper(const std::string& sql) {
    auto raw = Raw();
    ASSERT_NE(raw, nullptr);
    Status st = raw->ExecuteScript(sql);
    ASSERT_TRUE(st.ok()) << st.ToString();
  }
  void AppendN(AuditLog& log, int n) {
    for (int i = 1; i <= n; ++i) {
      Event e{"snapshot", "prod", "app", {{"snapshot", "s" + std::to_string(i)}, {"ok", true}}};
      Status st = log.Append(e);
      ASSERT_TRUE(st.ok()) << st.ToString();
    }
  }
  // Rewrites entry `seq`'s detail "s<seq>" as "forged" and recomputes its
  // own hash with `alg` and `key`, as a forger with write access would.
  void Forge(std::int64_t seq, const std::string& alg, const std::optional<Key>& key) {
    auto raw = Raw();
    ASSERT_NE(raw, nullptr);
    const std::string n = std::to_string(seq);
    const std::string prev =
        seq == 1 ? ""
                 : testing::Scalar(*raw, "SELECT hash FROM audit_log WHERE seq = " + std::to_string(seq - 1));
    std::string content = testing::Scalar(*raw, "SELECT content FROM audit_log WHERE seq = " + n);
    const std::string was = "\"s" + n + "\"";
    ASSERT_NE(content.find(was), std::string::npos) << content;
    content.replace(content.find(was), was.size(), "\"forged\"");
    const std::string hash = ChainHash(alg, key, prev, seq, content);
    ASSERT_TRUE(raw->ExecuteScript("UPDATE audit_log SET content = " + raw->QuoteLiteral(content) +
                                   ", hash = " + raw->QuoteLiteral(hash) + " WHERE seq = " + n)
                    .ok());
  }
  VerifyResult VerifyOk(AuditLog& log, const std::optional<Head>& anchor = std::nullopt) {
    auto r = log.Verify(anchor);
    EXPECT_TRUE(r.ok()) << r.status().ToString();
    return r.ok() ? *r : VerifyResult{};
  }

  fs::path dir_;
  std::unique_ptr<Catalog> catalog_;
};

TEST_F(AuditLogTest, AppendedEntriesReadBackInOrderAndVerify) {
  AuditLog log(*catalog_, std::nullopt);
  EXPECT_TRUE(VerifyOk(log).ok) << "an empty log verifies";
  AppendN(log, 5);
  std::vector<Entry> entries;
  ASSERT_TRUE(log.ForEach([&](const Entry& e) {
                   entries.push_back(e);
                   return Status::Ok();
                 })
                  .ok());
  ASSERT_EQ(entries.size(), 5u);
  for (std::size_t i = 0; i < entries.size(); ++i) {
    EXPECT_EQ(entries[i].seq, static_cast<std::int64_t>(i + 1));
    EXPECT_EQ(entries[i].action, "snapshot");
    EXPECT_EQ(entries[i].target, "prod");
    EXPECT_EQ(entries[i].db_user, "app");
    EXPECT_EQ(entries[i].actor, OsUserAtHost());
    EXPECT_EQ(entries[i].detail["snapshot"], "s" + std::to_string(i + 1));
    EXPECT_EQ(entries[i].alg, "sha256");
  }
  const VerifyResult r = VerifyOk(log);
  EXPECT_TRUE(r.ok) << r.problem;
  EXPECT_EQ(r.entries, 5);
  auto head = log.ReadHead();
  ASSERT_TRUE(head.ok());
  EXPECT_EQ(head->seq, 5);
  EXPECT_EQ(head->hash, entries.back().hash);
  EXPECT_EQ(r.head.hash, head->hash);
}

TEST_F(AuditLogTest, SecretsInDetailsAreScrubbed) {
  AuditLog log(*catalog_, std::nullopt);
  Event e{
      "gate",
      "postgresql://app:hunter2@db/shop",
      "app",
      {{"error", "could not connect to postgresql://app:hunter2@db/shop"}, {"nested", {"password=hunter2"}}}};
  ASSERT_TRUE(log.Append(e).ok());
  auto raw = Raw();
  ASSERT_NE(raw, nullptr);
  const std::string content = testing::Scalar(*raw, "SELECT content FROM audit_log");
  EXPECT_EQ(content.find("hunter2"), std::string::npos) << content;
  EXPECT_NE(content.find("gate"), std::string::npos) << content;
}

TEST_F(AuditLogTest, EditedEntryIsNamed) {
  AuditLog log(*catalog_, std::nullopt);
  AppendN(log, 5);
  Tamper("UPDATE audit_log SET content = replace(content, '\"s3\"', '\"s9\"') WHERE seq = 3");
  const VerifyResult r = VerifyOk(log);
  EXPECT_FALSE(r.ok);
  EXPECT_EQ(r.bad_seq, 3);
  EXPECT_NE(r.problem.find("entry 3 does not match its hash"), std::string::npos) << r.problem;
}

TEST_F(AuditLogTest, EditedEntryWithARecomputedHashBreaksTheNextOne) {
  AuditLog log(*catalog_, std::nullopt);
  AppendN(log, 5);
  // The forger recomputes entry 3's own hash (possible without a key), but
  // entry 4 covers the old one.
  Forge(3, "sha256", std::nullopt);
  const VerifyResult r = VerifyOk(log);
  EXPECT_FALSE(r.ok);
  EXPECT_EQ(r.bad_seq, 4);
}

TEST_F(AuditLogTest, DeletedEntriesAreNamed) {
  AuditLog log(*catalog_, std::nullopt);
  AppendN(log, 5);
  Tamper("DELETE FROM audit_log WHERE seq = 2");
  VerifyResult r = VerifyOk(log);
  EXPECT_FALSE(r.ok);
  EXPECT_EQ(r.bad_seq, 2);
  EXPECT_NE(r.problem.find("entry 2 is missing"), std::string::npos) << r.problem;

  Tamper("DELETE FROM audit_log WHERE seq IN (1, 3)");
  r = VerifyOk(log);
  EXPECT_EQ(r.bad_seq, 1);
  EXPECT_NE(r.problem.find("entry 1 to 3 are missing"), std::string::npos) << r.problem;
}

TEST_F(AuditLogTest, InsertedEntryIsNamed) {
  AuditLog log(*catalog_, std::nullopt);
  AppendN(log, 3);
  // Make room: shift 2..3 up by one, insert a copy of entry 1 as entry 2.
  Tamper(
      "UPDATE audit_log SET seq = seq + 10 WHERE seq >= 2; UPDATE audit_log SET seq = seq - 9 WHERE seq >= "
      "12;"
      "INSERT INTO audit_log SELECT 2, alg, content, hash FROM audit_log WHERE seq = 1");
  const VerifyResult r = VerifyOk(log);
  EXPECT_FALSE(r.ok);
  EXPECT_EQ(r.bad_seq, 2);
  EXPECT_NE(r.problem.find("entry 2 holds the content of entry 1"), std::string::npos) << r.problem;
}

TEST_F(AuditLogTest, ReorderedEntriesAreNamed) {
  AuditLog log(*catalog_, std::nullopt);
  AppendN(log, 4);
  Tamper(
      "UPDATE audit_log SET seq = 100 WHERE seq = 2; UPDATE audit_log SET seq = 2 WHERE seq = 3;"
      "UPDATE audit_log SET seq = 3 WHERE seq = 100");
  const VerifyResult r = VerifyOk(log);
  EXPECT_FALSE(r.ok);
  EXPECT_EQ(r.bad_seq, 2);
  EXPECT_NE(r.problem.find("reordered"), std::string::npos) << r.problem;
}

TEST_F(AuditLogTest, TruncationIsSeenOnlyAgainstAnAnchoredHead) {
  AuditLog log(*catalog_, std::nullopt);
  AppendN(log, 5);
  auto head = log.ReadHead();
  ASSERT_TRUE(head.ok());
  EXPECT_TRUE(VerifyOk(log, *head).ok);
  AppendN(log, 2);
  EXPECT_TRUE(VerifyOk(log, *head).ok) << "a log that grew still extends the anchor";
  Tamper("DELETE FROM audit_log WHERE seq >= 4");
  EXPECT_TRUE(VerifyOk(log).ok) << "without an anchor a cut-off tail leaves a valid chain";
  const VerifyResult r = VerifyOk(log, *head);
  EXPECT_FALSE(r.ok);
  EXPECT_EQ(r.bad_seq, 4);
  EXPECT_NE(r.problem.find("truncated"), std::string::npos) << r.problem;
}

TEST_F(AuditLogTest, ARewrittenChainDoesNotMatchTheAnchor) {
  AuditLog log(*catalog_, std::nullopt);
  AppendN(log, 3);
  auto head = log.ReadHead();
  ASSERT_TRUE(head.ok());
  // Without a key anyone can rebuild the whole chain; the anchor held
  // elsewhere still tells.
  Tamper("DELETE FROM audit_log");
  AuditLog forger(*catalog_, std::nullopt);
  AppendN(forger, 2);
  ASSERT_TRUE(forger.Append(Event{"snapshot", "prod", "app", {{"snapshot", "forged"}}}).ok());
  EXPECT_TRUE(VerifyOk(log).ok);
  const VerifyResult r = VerifyOk(log, *head);
  EXPECT_FALSE(r.ok);
  EXPECT_EQ(r.bad_seq, 3);
  EXPECT_NE(r.problem.find("anchored head"), std::string::npos) << r.problem;
}

TEST_F(AuditLogTest, KeyedEntriesCannotBeForgedWithoutTheKey) {
  AuditLog keyed(*catalog_, TestKey());
  AppendN(keyed, 3);
  VerifyResult r = VerifyOk(keyed);
  EXPECT_TRUE(r.ok) << r.problem;
  EXPECT_EQ(r.keyed, 3);

  // Without the key there is no verdict, never a pass.
  AuditLog unkeyed(*catalog_, std::nullopt);
  auto no_key = unkeyed.Verify(std::nullopt);
  ASSERT_FALSE(no_key.ok());
  EXPECT_NE(no_key.status().message().find("key_file"), std::string::npos);

  // A wrong key fails at the first entry.
  AuditLog wrong(*catalog_, TestKey('x'));
  r = VerifyOk(wrong);
  EXPECT_FALSE(r.ok);
  EXPECT_EQ(r.bad_seq, 1);

  // A forger without the key appends an unkeyed entry: a downgrade.
  AppendN(unkeyed, 1);
  r = VerifyOk(keyed);
  EXPECT_FALSE(r.ok);
  EXPECT_EQ(r.bad_seq, 4);
  EXPECT_NE(r.problem.find("forged or downgraded"), std::string::npos) << r.problem;
}

TEST_F(AuditLogTest, AKeyedEntryEditedWithAGuessedKeyIsNamed) {
  AuditLog keyed(*catalog_, TestKey());
  AppendN(keyed, 3);
  Forge(2, "hmac-sha256", TestKey('g'));  // a guessed key
  const VerifyResult r = VerifyOk(keyed);
  EXPECT_FALSE(r.ok);
  EXPECT_EQ(r.bad_seq, 2);
}

TEST_F(AuditLogTest, KeyFilesAreCheckedBeforeUse) {
  const fs::path key = dir_ / "audit.key";
  auto missing = Key::Load(key.string());
  ASSERT_FALSE(missing.ok());
  EXPECT_NE(missing.status().message().find(key.string()), std::string::npos);
  { std::ofstream(key) << std::string(40, 'a'); }
  ::chmod(key.c_str(), 0644);
  auto open = Key::Load(key.string());
  ASSERT_FALSE(open.ok());
  EXPECT_NE(open.status().message().find("chmod 600"), std::string::npos) << open.status().message();
  EXPECT_NE(open.status().message().find("644"), std::string::npos) << open.status().message();
  ::chmod(key.c_str(), 0600);
  EXPECT_TRUE(Key::Load(key.string()).ok());
  { std::ofstream(key) << "short"; }
  auto shorter = Key::Load(key.string());
  ASSERT_FALSE(shorter.ok());
  EXPECT_NE(shorter.status().message().find("32"), std::string::npos);
  EXPECT_EQ(shorter.status().message().find("short"), std::string::npos) << "the key never reaches a message";
}

TEST(AuditHead, RoundTripsAndRefusesOtherFiles) {
  const Head head{42, std::string(64, 'a')};
  auto parsed = ParseHead(HeadJson(head), "h.json");
  ASSERT_TRUE(parsed.ok()) << parsed.status().ToString();
  EXPECT_EQ(parsed->seq, 42);
  EXPECT_EQ(parsed->hash, head.hash);
  auto text = ParseHead("42 " + head.hash + "\n", "h.txt");
  ASSERT_TRUE(text.ok()) << text.status().ToString();
  EXPECT_EQ(text->seq, 42);
  EXPECT_EQ(text->hash, head.hash);
  for (const char* bad :
       {"", "{}", "42", "42 a b", "-1 abc", "[1]", R"({"format":"cutover.audit-head","seq":-1,"hash":"x"})",
        R"({"format":"cutover.audit-head","seq":"1","hash":"x"})", "not json",
        // A "format" that is not a string (found by the fuzzer: it threw).
        R"({"format":5,"hash":"ab"})", R"({"format":null})", R"({"format":["cutover.audit-head"]})"}) {
    auto r = ParseHead(bad, "h.json");
    ASSERT_FALSE(r.ok()) << bad;
    EXPECT_EQ(r.status().code(), StatusCode::kInvalidInput);
    EXPECT_NE(r.status().message().find("h.json"), std::string::npos);
  }
}

}  // namespace
}  // namespace cutover::audit
