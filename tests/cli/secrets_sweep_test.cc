// The secrets sweep (issue 17, docs/reliability.md "Secrets"). One sentinel
// password is given to cutover every way it takes one: in the URI, in
// PGPASSWORD / MYSQL_PWD, and in a password file (PGPASSFILE). Every command
// then runs on its success and failure paths at -vv, with --json and with
// every report it writes. Last, every byte cutover produced is searched for
// the password: stdout, stderr, and every file in the repository and the
// work directory (catalog and audit log, manifests, decompressed chunks,
// JUnit, SARIF, HTML, Markdown, Prometheus files). There must be no
// occurrence, raw or percent-encoded.
//
// The search first proves it can see: it must find a password planted in a
// compressed file, and the password file cutover was given must be the only
// other hit.
#include <gtest/gtest.h>
#include <zstd.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <memory>
#include <string>
#include <vector>

#include "base/uri.h"
#include "support/process.h"
#include "support/test_env.h"

namespace cutover {
namespace {
namespace fs = std::filesystem;
using testing::RunResult;

// The sentinel: characters a URI must escape (':', '@', '#') around a core
// that appears nowhere else, so that a partial leak (cut at ':') is found too.
constexpr char kSentinel[] = "Sn:7f3Kq9@pw#x";
constexpr char kCore[] = "7f3Kq9";
constexpr char kUser[] = "cutover_sentinel";

std::string ReadAll(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

// A .zst file's content (cutover's chunks record their size); the raw bytes
// when it is not one frame of known size.
std::string Decompressed(const std::string& bytes) {
  const unsigned long long size = ZSTD_getFrameContentSize(bytes.data(), bytes.size());
  if (size == ZSTD_CONTENTSIZE_ERROR || size == ZSTD_CONTENTSIZE_UNKNOWN || size > (1ull << 30)) return bytes;
  std::string out(static_cast<size_t>(size), '\0');
  const size_t n = ZSTD_decompress(out.data(), out.size(), bytes.data(), bytes.size());
  return ZSTD_isError(n) ? bytes : out;
}

bool HoldsSecret(const std::string& text) {
  return text.find(kCore) != std::string::npos || text.find(PercentEncode(kSentinel)) != std::string::npos;
}

// Every file under `root` that holds the secret (raw, or once decompressed).
std::vector<std::string> FilesHoldingSecret(const fs::path& root) {
  std::vector<std::string> hits;
  for (const auto& e : fs::recursive_directory_iterator(root)) {
    if (!e.is_regular_file()) continue;
    const std::string bytes = ReadAll(e.path());
    if (HoldsSecret(bytes) || (e.path().extension() == ".zst" && HoldsSecret(Decompressed(bytes)))) {
      hits.push_back(fs::relative(e.path(), root).string());
    }
  }
  return hits;
}

class SecretsSweep : public ::testing::TestWithParam<std::string> {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / testing::UniqueName("cutover-secrets-");
    fs::create_directories(dir_ / "home");
    db_ = std::make_unique<testing::ScratchDatabase>(engine());
    ASSERT_FALSE(db_->name().empty());
    db_->Exec("CREATE TABLE items (id INTEGER PRIMARY KEY, name VARCHAR(40), qty INTEGER)");
    std::string rows = "INSERT INTO items VALUES (1, 'n1', 1)";
    for (int i = 2; i <= 200; ++i) rows += ", (" + std::to_string(i) + ", 'n" + std::to_string(i) + "', 3)";
    db_->Exec(rows);
    CreateSentinelUser();
    const ConnectionUri& server = testing::ServerUri(engine());
    host_ = server.host() + ":" + std::to_string(*server.port());
    target_ = UriFor(kUser, kSentinel, host_, db_->name());
    scratch_ = UriFor(kUser, kSentinel, host_, engine() == "postgresql" ? "postgres" : "");
    plan_ = WritePlan();
  }
  void TearDown() override {
    db_.reset();
    std::error_code ec;
    fs::remove_all(dir_, ec);
  }
  const std::string& engine() const { return GetParam(); }

  void CreateSentinelUser() {
    const std::string pw = std::string("'") + kSentinel + "'";
    if (engine() == "postgresql") {
      db_->Exec(std::string("DO $$BEGIN IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = '") + kUser +
                "') THEN CREATE ROLE " + kUser + " LOGIN SUPERUSER; END IF; END$$;\nALTER ROLE " + kUser +
                " PASSWORD " + pw + ";");
      return;
    }
    for (const char* host : {"127.0.0.1", "localhost"}) {
      const std::string who = std::string("'") + kUser + "'@'" + host + "'";
      db_->Exec("CREATE USER IF NOT EXISTS " + who + " IDENTIFIED BY " + pw + ";\nALTER USER " + who +
                " IDENTIFIED BY " + pw + ";\nGRANT ALL PRIVILEGES ON *.* TO " + who + " WITH GRANT OPTION;");
    }
  }
  std::string UriFor(const std::string& user, const std::string& password, const std::string& host,
                     const std::string& db) const {
    std::string uri = engine() + "://" + user;
    if (!password.empty()) uri += ":" + PercentEncode(password);
    return uri + "@" + host + "/" + db;
  }
  std::string WritePlan() const {
    const std::string batch =
        engine() == "mysql"
            ? "UPDATE items SET note = name WHERE note IS NULL ORDER BY id LIMIT {{batch_size}};\n"
            : "UPDATE items SET note = name WHERE id IN (SELECT id FROM items WHERE note IS NULL ORDER BY id "
              "LIMIT {{batch_size}});\n";
    const std::vector<std::pair<std::string, std::string>> files{
        {"0001_note/expand.sql", "ALTER TABLE items ADD COLUMN note VARCHAR(40);\n"},
        {"0001_note/backfill.sql", "-- cutover:batch-size 100\n" + batch},
        {"0001_note/rollback.sql", "ALTER TABLE items DROP COLUMN note;\n"},
        {"0001_note/compat.sql", "SELECT id, name, qty FROM items WHERE id = 1;\n"},
        {"0001_note/checks.sql", "SELECT id FROM items WHERE note IS NULL AND id < 0;\n"}};
    for (const auto& [rel, text] : files) {
      const fs::path p = dir_ / "plan" / rel;
      fs::create_directories(p.parent_path());
      std::ofstream(p, std::ios::binary | std::ios::trunc) << text;
    }
    return (dir_ / "plan").string();
  }
  std::string Out(const std::string& name) const { return (dir_ / "out" / name).string(); }

  // Runs cutover at -vv with the repository under the work directory and
  // HOME in it; keeps what it printed for the sweep.
  RunResult Run(std::vector<std::string> args, std::vector<std::string> env = {}) {
    std::vector<std::string> all{
        "--repo", (dir_ / "repo").string(), "--driver-path", CUTOVER_TEST_DRIVER_DIR, "--no-progress", "-vv"};
    all.insert(all.end(), args.begin(), args.end());
    env.push_back("HOME=" + (dir_ / "home").string());
    RunResult r = testing::RunCutover(all, testing::ProcessOptions().Env(env).Unset(
                                               {"PGPASSWORD", "MYSQL_PWD", "PGPASSFILE", "GITHUB_ACTIONS"}));
    printed_.push_back({args[0] + " " + (args.size() > 1 ? args[1] : ""), r.out + r.err});
    return r;
  }

  void SuccessPaths();
  void PasswordOutsideTheUri();
  void ApplyAndAudit();
  void FailurePaths();

  fs::path dir_;
  std::unique_ptr<testing::ScratchDatabase> db_;
  std::string host_, target_, scratch_, plan_;
  std::vector<std::pair<std::string, std::string>> printed_;
};

void SecretsSweep::SuccessPaths() {
  fs::create_directories(dir_ / "out");
  auto ok = [&](const RunResult& r, const std::string& what) {
    EXPECT_EQ(r.exit_code, 0) << what << "\n" << r.out << r.err;
  };
  ok(Run({"schema", target_, "--json"}), "schema");
  std::ofstream(Out("schema.json")) << Run({"schema", target_, "--json"}).out;
  ok(Run({"drift", target_, "--against", Out("schema.json"), "--json"}), "drift");
  ok(Run({"snapshot", target_, "--json"}), "snapshot");
  ok(Run({"snapshots", "--json"}), "snapshots");
  ok(Run({"verify", "latest", "--deep", "--json"}), "verify");
  ok(Run({"restore-test", "latest", "--scratch", scratch_, "--json", "--junit", Out("restore-test.xml"),
          "--metrics-file", Out("restore-test.prom")}),
     "restore-test");
  ok(Run({"lint", plan_, "--target", target_, "--json", "--junit", Out("lint.xml"), "--sarif",
          Out("lint.sarif")}),
     "lint");
  if (engine() == "mysql") {
    ok(Run({"lint", plan_, "--target", target_, "--scratch", scratch_, "--json"}), "lint --scratch");
    const std::string refused = UriFor("cutover", kSentinel, host_, "");
    EXPECT_NE(Run({"lint", plan_, "--target", target_, "--scratch", refused, "--json"}).exit_code, 0)
        << "lint --scratch with the wrong password";
  }
  ok(Run({"status", target_, "--plan", plan_, "--json"}), "status");
  ok(Run({"rehearse", target_, "--plan", plan_, "--scratch", scratch_, "--json", "--junit",
          Out("rehearse.xml"), "--html", Out("rehearse.html"), "--metrics-file", Out("rehearse.prom"),
          "--github"},
         {"GITHUB_STEP_SUMMARY=" + Out("rehearse-summary.md")}),
     "rehearse");
  ok(Run({"gate", target_, "--plan", plan_, "--scratch", scratch_, "--json", "--junit", Out("gate.xml"),
          "--markdown", Out("gate.md"), "--metrics-file", Out("gate.prom")}),
     "gate");
}

// The last success path: apply (the gate GO on the evidence gathered before)
// and the audit log it and every earlier command appended to.
void SecretsSweep::ApplyAndAudit() {
  auto ok = [&](const RunResult& r, const std::string& what) {
    EXPECT_EQ(r.exit_code, 0) << what << "\n" << r.out << r.err;
  };
  ok(Run({"apply", target_, "--plan", plan_, "--phase", "expand", "--scratch", scratch_, "--json"}), "apply");
  ok(Run({"audit", "--json"}), "audit");
  ok(Run({"audit", "verify", "--json"}), "audit verify");
  ok(Run({"audit", "head"}), "audit head");
}

void SecretsSweep::FailurePaths() {
  auto fails = [&](const RunResult& r, const std::string& what) {
    EXPECT_NE(r.exit_code, 0) << what << " should have failed\n" << r.out << r.err;
  };
  // Nothing listens on port 1; the sentinel as the wrong password of a real
  // user; a database that does not exist.
  const std::string bad_host = UriFor(kUser, kSentinel, "127.0.0.1:1", db_->name());
  const std::string wrong_password = UriFor("cutover", kSentinel, host_, db_->name());
  const std::string no_database = UriFor(kUser, kSentinel, host_, "cutover_no_such_db");
  for (const std::string& uri : {bad_host, wrong_password, no_database}) {
    fails(Run({"schema", uri, "--json"}), "schema " + uri);
    fails(Run({"snapshot", uri, "--json"}), "snapshot");
    fails(Run({"drift", uri, "--against", Out("schema.json")}), "drift");
    fails(Run({"rehearse", uri, "--plan", plan_, "--scratch", scratch_, "--json"}), "rehearse");
    fails(Run({"gate", uri, "--plan", plan_, "--json", "--markdown", Out("gate-failed.md")}), "gate");
    fails(Run({"apply", uri, "--plan", plan_, "--phase", "expand", "--json"}), "apply");
  }
  // A scratch server that refuses: restore-test, rehearse and lint's scratch.
  const std::string bad_scratch = UriFor("cutover", kSentinel, host_, "");
  fails(Run({"restore-test", "latest", "--scratch", bad_scratch, "--json", "--junit", Out("rt-failed.xml")}),
        "restore-test");
  fails(Run({"rehearse", target_, "--plan", plan_, "--scratch", bad_scratch, "--json"}), "rehearse");
  // A malformed URI holding the password.
  fails(Run({"schema", engine() + "://" + kUser + ":" + kSentinel + "@[" + host_ + "/x", "--json"}),
        "bad URI");
}

// The password reaches cutover outside the URI: the client library's
// environment variable, and for PostgreSQL a password file.
void SecretsSweep::PasswordOutsideTheUri() {
  const std::string target = UriFor(kUser, "", host_, db_->name());
  const std::string wrong = UriFor("cutover", "", host_, db_->name());
  const std::string var = engine() == "postgresql" ? "PGPASSWORD=" : "MYSQL_PWD=";
  std::vector<std::vector<std::string>> envs{{var + kSentinel}};
  if (engine() == "postgresql") {
    const fs::path pgpass = dir_ / "inputs" / "pgpass";
    fs::create_directories(pgpass.parent_path());
    std::string escaped;
    for (char c : std::string(kSentinel))
      escaped += (c == ':' || c == '\\') ? std::string("\\") + c : std::string(1, c);
    std::ofstream(pgpass) << "*:*:*:" << kUser << ":" << escaped << "\n*:*:*:cutover:" << escaped << "\n";
    fs::permissions(pgpass, fs::perms::owner_read | fs::perms::owner_write);
    envs.push_back({"PGPASSFILE=" + pgpass.string()});
  }
  for (const auto& env : envs) {
    const std::string scratch = UriFor(kUser, "", host_, engine() == "postgresql" ? "postgres" : "");
    EXPECT_EQ(Run({"schema", target, "--json"}, env).exit_code, 0) << env[0];
    EXPECT_EQ(Run({"snapshot", target, "--json"}, env).exit_code, 0) << env[0];
    EXPECT_EQ(Run({"restore-test", "latest", "--scratch", scratch, "--json"}, env).exit_code, 0) << env[0];
    EXPECT_EQ(Run({"rehearse", target, "--plan", plan_, "--scratch", scratch, "--json"}, env).exit_code, 0)
        << env[0];
    EXPECT_NE(Run({"schema", wrong, "--json"}, env).exit_code, 0) << env[0];
  }
}

TEST_P(SecretsSweep, NoCommandPrintsOrStoresThePassword) {
  SuccessPaths();
  PasswordOutsideTheUri();
  ApplyAndAudit();
  FailurePaths();
  ASSERT_GE(printed_.size(), 40u);

  // The search can see: a password planted in a compressed file is found,
  // and so is the password file cutover read (the only input holding it).
  // Lines long enough that zstd codes their literals (Huffman): the file's
  // raw bytes do not hold the password, only its decompressed content does.
  std::string planted;
  for (int i = 0; i < 300; ++i) {
    planted +=
        "line " + std::to_string(i) + " of the planted file holds " + kSentinel + " and words to pad it\n";
  }
  std::string compressed(ZSTD_compressBound(planted.size()), '\0');
  compressed.resize(ZSTD_compress(compressed.data(), compressed.size(), planted.data(), planted.size(), 1));
  std::ofstream(dir_ / "planted.zst", std::ios::binary) << compressed;
  std::vector<std::string> expected{"planted.zst"};
  if (engine() == "postgresql") expected.push_back("inputs/pgpass");
  std::vector<std::string> hits = FilesHoldingSecret(dir_);
  std::sort(hits.begin(), hits.end());
  std::sort(expected.begin(), expected.end());
  EXPECT_EQ(hits, expected) << "files holding the password (beyond the planted one and the password file)";
  EXPECT_FALSE(HoldsSecret(ReadAll(dir_ / "planted.zst")));  // only its decompressed form holds it

  for (const auto& [command, text] : printed_) {
    EXPECT_FALSE(HoldsSecret(text)) << "cutover " << command << " printed the password:\n" << text;
  }
  // The repository holds what the sweep was meant to read.
  EXPECT_TRUE(fs::exists(dir_ / "repo" / "catalog.db"));
  EXPECT_GE(
      std::distance(fs::recursive_directory_iterator(dir_ / "repo"), fs::recursive_directory_iterator{}), 20);
  for (const char* report :
       {"restore-test.xml", "restore-test.prom", "lint.xml", "lint.sarif", "rehearse.xml", "rehearse.html",
        "rehearse.prom", "rehearse-summary.md", "gate.xml", "gate.md", "gate.prom"}) {
    EXPECT_TRUE(fs::exists(Out(report))) << report << " was not written, so it was not searched";
  }
}

INSTANTIATE_TEST_SUITE_P(Servers, SecretsSweep, ::testing::Values("postgresql", "mysql"),
                         [](const auto& param_info) { return param_info.param; });

}  // namespace
}  // namespace cutover
