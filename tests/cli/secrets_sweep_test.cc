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
#include <chrono>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <memory>
#include <string>
#include <thread>
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
  RunResult Run(const std::vector<std::string>& args, const std::vector<std::string>& env = {}) {
    RunResult r = testing::RunCutover(Argv(args), Options(env));
    printed_.push_back({args[0] + " " + (args.size() > 1 ? args[1] : ""), r.out + r.err});
    return r;
  }
  std::vector<std::string> Argv(const std::vector<std::string>& args) const {
    std::vector<std::string> all{
        "--repo", (dir_ / "repo").string(), "--driver-path", CUTOVER_TEST_DRIVER_DIR, "--no-progress", "-vv"};
    all.insert(all.end(), args.begin(), args.end());
    return all;
  }
  testing::ProcessOptions Options(std::vector<std::string> env) const {
    env.push_back("HOME=" + (dir_ / "home").string());
    return testing::ProcessOptions().Env(env).Unset(
        {"PGPASSWORD", "MYSQL_PWD", "PGPASSFILE", "GITHUB_ACTIONS"});
  }

  // Runs cutover and expects it to succeed, or to fail.
  void ExpectOk(const std::vector<std::string>& args, const std::vector<std::string>& env = {}) {
    const RunResult r = Run(args, env);
    EXPECT_EQ(r.exit_code, 0) << Joined(args) << "\n" << r.out << r.err;
  }
  void ExpectFails(const std::vector<std::string>& args, const std::vector<std::string>& env = {}) {
    const RunResult r = Run(args, env);
    EXPECT_NE(r.exit_code, 0) << Joined(args) << " should have failed\n" << r.out << r.err;
  }
  static std::string Joined(const std::vector<std::string>& args) {
    std::string out = "cutover";
    for (const std::string& a : args) out += " " + a;
    return out;
  }

  void SuccessPaths();
  void PasswordOutsideTheUri();
  void ApplyAndAudit();
  void FailurePaths();
  void DroppedConnection();

  fs::path dir_;
  std::unique_ptr<testing::ScratchDatabase> db_;
  std::string host_, target_, scratch_, plan_;
  std::vector<std::pair<std::string, std::string>> printed_;
};

void SecretsSweep::SuccessPaths() {
  fs::create_directories(dir_ / "out");
  ExpectOk({"schema", target_, "--json"});
  std::ofstream(Out("schema.json")) << Run({"schema", target_, "--json"}).out;
  ExpectOk({"drift", target_, "--against", Out("schema.json"), "--json"});
  ExpectOk({"snapshot", target_, "--json"});
  ExpectOk({"snapshots", "--json"});
  ExpectOk({"verify", "latest", "--deep", "--json"});
  ExpectOk({"restore-test", "latest", "--scratch", scratch_, "--json", "--junit", Out("restore-test.xml"),
            "--metrics-file", Out("restore-test.prom")});
  ExpectOk({"lint", plan_, "--target", target_, "--json", "--junit", Out("lint.xml"), "--sarif",
            Out("lint.sarif")});
  if (engine() == "mysql") {
    ExpectOk({"lint", plan_, "--target", target_, "--scratch", scratch_, "--json"});
    const std::string refused = UriFor("cutover", kSentinel, host_, "");
    ExpectFails({"lint", plan_, "--target", target_, "--scratch", refused, "--json"});
  }
  ExpectOk({"status", target_, "--plan", plan_, "--json"});
  ExpectOk(
      {"rehearse", target_, "--plan", plan_, "--scratch", scratch_, "--json", "--junit", Out("rehearse.xml"),
       "--html", Out("rehearse.html"), "--metrics-file", Out("rehearse.prom"), "--github"},
      {"GITHUB_STEP_SUMMARY=" + Out("rehearse-summary.md")});
  ExpectOk({"gate", target_, "--plan", plan_, "--scratch", scratch_, "--json", "--junit", Out("gate.xml"),
            "--markdown", Out("gate.md"), "--metrics-file", Out("gate.prom")});
}

// The last success path: apply (the gate GO on the evidence gathered before)
// and the audit log it and every earlier command appended to.
void SecretsSweep::ApplyAndAudit() {
  ExpectOk({"apply", target_, "--plan", plan_, "--phase", "expand", "--scratch", scratch_, "--json"});
  ExpectOk({"audit", "--json"});
  ExpectOk({"audit", "verify", "--json"});
  ExpectOk({"audit", "head"});
}

void SecretsSweep::FailurePaths() {
  // Nothing listens on port 1; the sentinel as the wrong password of a real
  // user; a database that does not exist.
  const std::string bad_host = UriFor(kUser, kSentinel, "127.0.0.1:1", db_->name());
  const std::string wrong_password = UriFor("cutover", kSentinel, host_, db_->name());
  const std::string no_database = UriFor(kUser, kSentinel, host_, "cutover_no_such_db");
  for (const std::string& uri : {bad_host, wrong_password, no_database}) {
    ExpectFails({"schema", uri, "--json"});
    ExpectFails({"snapshot", uri, "--json"});
    ExpectFails({"drift", uri, "--against", Out("schema.json")});
    ExpectFails({"rehearse", uri, "--plan", plan_, "--scratch", scratch_, "--json"});
    ExpectFails({"gate", uri, "--plan", plan_, "--json", "--markdown", Out("gate-failed.md")});
    ExpectFails({"apply", uri, "--plan", plan_, "--phase", "expand", "--json"});
  }
  // A scratch server that refuses: restore-test, rehearse and lint's scratch.
  const std::string bad_scratch = UriFor("cutover", kSentinel, host_, "");
  ExpectFails(
      {"restore-test", "latest", "--scratch", bad_scratch, "--json", "--junit", Out("rt-failed.xml")});
  ExpectFails({"rehearse", target_, "--plan", plan_, "--scratch", bad_scratch, "--json"});
  // A malformed URI holding the password.
  ExpectFails({"schema", engine() + "://" + kUser + ":" + kSentinel + "@[" + host_ + "/x", "--json"});
}

// The server drops the session mid-command: rehearse's copy loses its
// connection while a statement of the plan runs (killed from the test's own
// connection, as an administrator would). Exit 3, and the message about the
// lost connection must not carry the password either.
void SecretsSweep::DroppedConnection() {
  const fs::path plan = dir_ / "plan-slow";
  fs::create_directories(plan / "0001_slow");
  const bool pg = engine() == "postgresql";
  std::ofstream(plan / "0001_slow" / "expand.sql") << (pg ? "SELECT pg_sleep(4);\n" : "DO SLEEP(4);\n");
  std::ofstream(plan / "0001_slow" / "rollback.sql") << "SELECT 1;\n";
  std::vector<std::string> argv =
      Argv({"rehearse", target_, "--plan", plan.string(), "--scratch", scratch_, "--json"});
  argv.insert(argv.begin(), CUTOVER_BINARY);
  testing::ChildProcess child(argv, Options({}), dir_ / "out" / "dropped.out", dir_ / "out" / "dropped.err");
  ASSERT_TRUE(child.started());
  std::unique_ptr<Connection> admin = db_->Connect();
  ASSERT_NE(admin, nullptr);
  bool killed = false;
  for (int i = 0; i < 200 && !killed && child.Running(); ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
    if (pg) {
      killed =
          testing::Scalar(*admin,
                          "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity WHERE query LIKE "
                          "'SELECT pg_sleep(4)%'") == "1";
    } else {
      const std::string id =
          testing::Scalar(*admin,
                          "SELECT COALESCE(MAX(ID), 0) FROM information_schema.PROCESSLIST WHERE INFO LIKE "
                          "'DO SLEEP(4)%'");
      if (id != "0") killed = admin->Execute("KILL CONNECTION " + id).ok();
    }
  }
  const int code = child.Wait();
  const RunResult r = child.Result();
  printed_.push_back({"rehearse (dropped connection)", r.out + r.err});
  ASSERT_TRUE(killed) << "the slow statement was never seen running: " << r.out << r.err;
  EXPECT_EQ(code, 3) << r.out << r.err;
  EXPECT_NE(r.err.find("rehearsing on the copy"), std::string::npos) << r.err;
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
    SCOPED_TRACE(env[0]);
    ExpectOk({"schema", target, "--json"}, env);
    ExpectOk({"snapshot", target, "--json"}, env);
    ExpectOk({"restore-test", "latest", "--scratch", scratch, "--json"}, env);
    ExpectOk({"rehearse", target, "--plan", plan_, "--scratch", scratch, "--json"}, env);
    ExpectFails({"schema", wrong, "--json"}, env);
  }
}

TEST_P(SecretsSweep, NoCommandPrintsOrStoresThePassword) {
  SuccessPaths();
  PasswordOutsideTheUri();
  DroppedConnection();  // before apply changes the target's schema (rehearse refuses drift)
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
