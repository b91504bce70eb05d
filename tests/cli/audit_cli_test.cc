// `cutover audit`, `audit head` and `audit verify` end to end: the entries
// real commands write, the listing filters, and the adversarial cases of
// issue 13 done with the sqlite3 tool directly on the catalog (an entry
// edited, deleted, inserted, reordered; the tail cut off and caught against
// an anchored head; an unkeyed entry slipped into a keyed log), each named
// by `audit verify` with exit 1. A repository or catalog that cannot be read
// is exit 3, bad input exit 2.
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>

#include "support/process.h"
#include "support/test_env.h"

namespace cutover {
namespace {

namespace fs = std::filesystem;
using Json = nlohmann::json;
using testing::RunResult;

class AuditCli : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / testing::UniqueName("cutover-audit-cli-");
    fs::create_directories(dir_);
    db_ = (dir_ / "shop.db").string();
    ASSERT_EQ(
        Sqlite(db_,
               "CREATE TABLE items (id INTEGER PRIMARY KEY, name TEXT); INSERT INTO items VALUES (1, 'a');")
            .exit_code,
        0);
    // Four entries: snapshot, verify, restore-test, verify.
    RunResult s = Run({"snapshot", "sqlite:" + db_});
    ASSERT_EQ(s.exit_code, 0) << s.out << s.err;
    ASSERT_EQ(Run({"verify", "latest"}).exit_code, 0);
    ASSERT_EQ(Run({"restore-test", "latest"}).exit_code, 0);
    ASSERT_EQ(Run({"verify", "latest", "--deep"}).exit_code, 0);
  }
  void TearDown() override {
    std::error_code ec;
    fs::remove_all(dir_, ec);
  }

  RunResult Run(std::vector<std::string> args, const std::vector<std::string>& before = {}) {
    std::vector<std::string> all = before;
    all.insert(all.end(), {"--repo", (dir_ / "repo").string(), "--driver-path", CUTOVER_TEST_DRIVER_DIR,
                           "--no-progress"});
    all.insert(all.end(), args.begin(), args.end());
    return testing::RunCutover(all);
  }
  // The sqlite3 command-line tool, as someone with write access would use it.
  RunResult Sqlite(const std::string& file, const std::string& sql) {
    const fs::path out = dir_ / "sqlite3.out";
    testing::ChildProcess p({"/usr/bin/sqlite3", file, sql}, testing::ProcessOptions(), out);
    if (!p.started()) return {};
    p.Wait();
    return p.Result();
  }
  RunResult Tamper(const std::string& sql) {
    RunResult r = Sqlite((dir_ / "repo" / "catalog.db").string(), sql);
    EXPECT_EQ(r.exit_code, 0) << sql << "\n" << r.out;
    return r;
  }
  // Saves the repository as it is and brings it back, between tamperings.
  void Save() { fs::copy(dir_ / "repo", dir_ / "saved", fs::copy_options::recursive); }
  void Restore() {
    fs::remove_all(dir_ / "repo");
    fs::copy(dir_ / "saved", dir_ / "repo", fs::copy_options::recursive);
  }
  // `audit verify` must fail with exit 1 naming entry `seq` and `what`.
  void ExpectBroken(const std::string& why, int seq, const std::string& what,
                    const std::vector<std::string>& more = {}) {
    std::vector<std::string> args{"--json", "audit", "verify"};
    args.insert(args.end(), more.begin(), more.end());
    RunResult r = Run(args);
    EXPECT_EQ(r.exit_code, 1) << why << "\n" << r.out << r.err;
    Json doc = Json::parse(r.out, nullptr, false);
    ASSERT_TRUE(doc.is_object()) << why << "\n" << r.out;
    EXPECT_EQ(doc["ok"], false) << why;
    EXPECT_EQ(doc["bad_seq"], seq) << why << "\n" << r.out;
    EXPECT_NE(doc["problem"].get<std::string>().find(what), std::string::npos) << why << "\n" << r.out;
    RunResult text = Run({"audit", "verify"});
    if (more.empty()) {
      EXPECT_NE(text.out.find("BROKEN at entry " + std::to_string(seq)), std::string::npos)
          << why << text.out;
    }
  }

  fs::path dir_;
  std::string db_;
};

TEST_F(AuditCli, CommandsAreRecordedAndListed) {
  RunResult list = Run({"--json", "audit"});
  ASSERT_EQ(list.exit_code, 0) << list.out << list.err;
  Json doc = Json::parse(list.out);
  EXPECT_EQ(doc["format"], "cutover.audit");
  const Json& entries = doc["entries"];
  ASSERT_EQ(entries.size(), 4u) << list.out;
  EXPECT_EQ(entries[0]["action"], "snapshot");
  EXPECT_EQ(entries[0]["target"], "sqlite:" + db_);
  EXPECT_EQ(entries[1]["action"], "verify");
  EXPECT_EQ(entries[2]["action"], "restore-test");
  EXPECT_EQ(entries[2]["detail"]["ok"], true);
  EXPECT_EQ(entries[3]["detail"]["deep"], true);
  for (std::size_t i = 0; i < entries.size(); ++i) {
    EXPECT_EQ(entries[i]["seq"], i + 1);
    EXPECT_NE(entries[i]["actor"].get<std::string>().find('@'), std::string::npos);
    EXPECT_EQ(entries[i]["hash"].get<std::string>().size(), 64u);
  }
  // Filters.
  EXPECT_EQ(Json::parse(Run({"--json", "audit", "--target", "elsewhere"}).out)["entries"].size(), 0u);
  EXPECT_EQ(Json::parse(Run({"--json", "audit", "--since", "1h"}).out)["entries"].size(), 4u);
  EXPECT_EQ(Json::parse(Run({"--json", "audit", "--since", "2999-01-01T00:00:00Z"}).out)["entries"].size(),
            0u);
  RunResult bad = Run({"audit", "--since", "yesterday-ish"});
  EXPECT_EQ(bad.exit_code, 2) << bad.err;
  EXPECT_NE(bad.err.find("--since"), std::string::npos) << bad.err;
  // Text: one line per entry.
  RunResult text = Run({"audit"});
  EXPECT_EQ(std::count(text.out.begin(), text.out.end(), '\n'), 4) << text.out;
  EXPECT_EQ(text.out.rfind("1  ", 0), 0u) << text.out;

  // The head, in both forms, anchors verify.
  RunResult head = Run({"audit", "head"});
  ASSERT_EQ(head.exit_code, 0);
  EXPECT_EQ(head.out.rfind("4 ", 0), 0u) << head.out;
  RunResult head_json = Run({"--json", "audit", "head"});
  EXPECT_EQ(Json::parse(head_json.out)["seq"], 4);
  std::ofstream(dir_ / "head.txt") << head.out;
  std::ofstream(dir_ / "head.json") << head_json.out;
  for (const char* f : {"head.txt", "head.json"}) {
    RunResult ok = Run({"audit", "verify", "--head", (dir_ / f).string()});
    EXPECT_EQ(ok.exit_code, 0) << f << ok.out << ok.err;
    EXPECT_NE(ok.out.find("intact, 4 entries"), std::string::npos) << ok.out;
  }
  std::ofstream(dir_ / "junk.txt") << "not a head";
  RunResult junk = Run({"audit", "verify", "--head", (dir_ / "junk.txt").string()});
  EXPECT_EQ(junk.exit_code, 2) << junk.err;
  EXPECT_NE(junk.err.find("junk.txt"), std::string::npos) << junk.err;
}

TEST_F(AuditCli, PruneIsRecordedButNotItsDryRun) {
  ASSERT_EQ(Run({"snapshot", "sqlite:" + db_}).exit_code, 0);
  ASSERT_EQ(Run({"restore-test", "latest"}).exit_code, 0);
  ASSERT_EQ(Run({"prune", "--keep-last", "1", "--dry-run"}).exit_code, 0);
  RunResult pruned = Run({"prune", "--keep-last", "1"});
  ASSERT_EQ(pruned.exit_code, 0) << pruned.out << pruned.err;
  const Json entries = Json::parse(Run({"--json", "audit"}).out)["entries"];
  ASSERT_EQ(entries.size(), 7u) << entries.dump();
  const Json& last = entries.back();
  EXPECT_EQ(last["action"], "prune");
  ASSERT_EQ(last["detail"]["deleted"].size(), 1u) << last.dump();
  EXPECT_EQ(last["detail"]["keep_last"], 1);
  EXPECT_EQ(Run({"audit", "verify"}).exit_code, 0);
}

TEST_F(AuditCli, EveryTamperingIsNamedBySqlite3) {
  Save();
  Tamper("UPDATE audit_log SET content = replace(content, '\"deep\":false', '\"deep\":true') WHERE seq = 2");
  ExpectBroken("an edited entry", 2, "does not match its hash");

  Restore();
  Tamper("DELETE FROM audit_log WHERE seq = 3");
  ExpectBroken("a deleted entry", 3, "entry 3 is missing");

  Restore();
  Tamper(
      "UPDATE audit_log SET seq = seq + 10 WHERE seq >= 2; UPDATE audit_log SET seq = seq - 9 WHERE seq >= "
      "12; "
      "INSERT INTO audit_log SELECT 2, alg, content, hash FROM audit_log WHERE seq = 1");
  ExpectBroken("an inserted entry", 2, "holds the content of entry 1");

  Restore();
  Tamper(
      "UPDATE audit_log SET seq = 100 WHERE seq = 2; UPDATE audit_log SET seq = 2 WHERE seq = 3; "
      "UPDATE audit_log SET seq = 3 WHERE seq = 100");
  ExpectBroken("reordered entries", 2, "reordered");

  // Cutting off the tail leaves a valid chain: only the anchored head tells.
  Restore();
  RunResult head = Run({"audit", "head"});
  std::ofstream(dir_ / "head.txt") << head.out;
  Tamper("DELETE FROM audit_log WHERE seq >= 3");
  EXPECT_EQ(Run({"audit", "verify"}).exit_code, 0);
  ExpectBroken("a truncated log", 3, "truncated", {"--head", (dir_ / "head.txt").string()});
}

TEST_F(AuditCli, KeyedEntriesNeedTheKeyAndAnUnkeyedOneAfterThemIsCaught) {
  const fs::path key = dir_ / "audit.key";
  std::ofstream(key) << std::string(32, 'k') << "0123456789";
  ::chmod(key.c_str(), 0600);
  const fs::path config = dir_ / "cutover.toml";
  std::ofstream(config) << "[audit]\nkey_file = \"audit.key\"\n";
  const std::vector<std::string> keyed{"--config", config.string()};
  ASSERT_EQ(Run({"verify", "latest"}, keyed).exit_code, 0);
  RunResult ok = Run({"--json", "audit", "verify"}, keyed);
  ASSERT_EQ(ok.exit_code, 0) << ok.out << ok.err;
  EXPECT_EQ(Json::parse(ok.out)["keyed"], 1);

  // Without the key there is no verdict on keyed entries: bad input, not OK.
  RunResult no_key = Run({"audit", "verify"});
  EXPECT_EQ(no_key.exit_code, 2) << no_key.out << no_key.err;
  EXPECT_NE(no_key.err.find("key_file"), std::string::npos) << no_key.err;

  // Someone without the key appends: a downgrade, named.
  ASSERT_EQ(Run({"verify", "latest"}).exit_code, 0);
  RunResult caught = Run({"--json", "audit", "verify"}, keyed);
  EXPECT_EQ(caught.exit_code, 1) << caught.out;
  EXPECT_EQ(Json::parse(caught.out)["bad_seq"], 6) << caught.out;

  // A key file others can read is refused, naming it; so is a missing one.
  ::chmod(key.c_str(), 0644);
  RunResult open = Run({"audit", "verify"}, keyed);
  EXPECT_EQ(open.exit_code, 2) << open.err;
  EXPECT_NE(open.err.find(key.string()), std::string::npos) << open.err;
  EXPECT_EQ(open.err.find("0123456789"), std::string::npos) << "the key never reaches a message";
  fs::remove(key);
  EXPECT_EQ(Run({"audit", "verify"}, keyed).exit_code, 2);
}

TEST_F(AuditCli, AMissingOrCorruptCatalogIsExit3) {
  RunResult missing = testing::RunCutover(
      {"--repo", (dir_ / "nowhere").string(), "--driver-path", CUTOVER_TEST_DRIVER_DIR, "audit", "verify"});
  EXPECT_EQ(missing.exit_code, 3) << missing.err;
  std::ofstream(dir_ / "repo" / "catalog.db", std::ios::binary | std::ios::trunc) << std::string(8192, 'x');
  fs::remove(dir_ / "repo" / "catalog.db-wal");
  fs::remove(dir_ / "repo" / "catalog.db-shm");
  RunResult corrupt = Run({"audit", "verify"});
  EXPECT_EQ(corrupt.exit_code, 3) << corrupt.err;
  EXPECT_NE(corrupt.err.find("catalog"), std::string::npos) << corrupt.err;
}

}  // namespace
}  // namespace cutover
