// The hostile-input table (issue 17, docs/reliability.md "Hostile input"):
// commands given malformed URIs, configs, plans, manifests, repositories and
// catalogs. Each case must end with its documented exit code
// (docs/exit-codes.md) and a message naming the input and saying what to
// do, and must change nothing in the work directory. None may crash, hang
// (each run has 60 s) or allocate without bound: each runs under an address
// space limit (prlimit --as, 2 GiB), which a run that tried would hit as a
// crash or an out-of-memory error instead of the expected exit.
//
// Everything here is SQLite or a URI that is refused before any connection,
// so no server is needed. The table is printed at the end for
// docs/reliability.md.
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <iterator>
#include <map>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "snapshot/manifest.h"
#include "support/process.h"
#include "support/test_env.h"

namespace cutover {
namespace {
namespace fs = std::filesystem;
using testing::RunResult;

constexpr auto kTimeLimit = std::chrono::seconds(60);
constexpr char kAddressSpaceLimit[] = "--as=2147483648";

struct Case {
  std::string name;                   // what is hostile, for the table
  std::vector<std::string> args;      // after the common options; {dir} is the work directory
  int exit_code;                      // documented (docs/exit-codes.md)
  std::vector<std::string> must_say;  // each in the message (stderr)
  std::function<void(const fs::path&)> prepare = nullptr;  // makes the hostile input
};

std::string ReadAll(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), {});
}
void Write(const fs::path& p, const std::string& bytes) {
  fs::create_directories(p.parent_path());
  std::ofstream(p, std::ios::binary | std::ios::trunc) << bytes;
}

// Path, size, mode and modification time of everything under `root`
// (symlinks not followed, so a symlink loop is listed, not walked): what
// "writes nothing" compares.
void AddTreeState(const fs::path& root, const fs::path& dir, std::map<std::string, std::string>& state) {
  std::error_code ec;
  for (fs::directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec)) {
    struct stat st {};
    if (::lstat(it->path().c_str(), &st) != 0) continue;
    state[it->path().lexically_relative(root).string()] =
        std::to_string(st.st_size) + " " + std::to_string(st.st_mode) + " " +
        std::to_string(st.st_mtim.tv_sec) + "." + std::to_string(st.st_mtim.tv_nsec);
    if (S_ISDIR(st.st_mode)) AddTreeState(root, it->path(), state);
  }
}
std::map<std::string, std::string> TreeState(const fs::path& root) {
  std::map<std::string, std::string> state;
  AddTreeState(root, root, state);
  return state;
}

// A check that ran and failed (exit 1) records its result in the catalog
// (and the audit log there): the evidence the gate reads. Nothing else may
// change.
std::map<std::string, std::string> WithoutTheCatalog(std::map<std::string, std::string> state) {
  for (const char* p :
       {"repo", "repo/catalog.db", "repo/catalog.db-wal", "repo/catalog.db-shm", "repo/catalog.db-journal"}) {
    state.erase(p);
  }
  return state;
}

// The manifest of the repository's one snapshot.
fs::path ManifestOf(const fs::path& repo) {
  for (const auto& e : fs::directory_iterator(repo / "snapshots")) {
    if (fs::exists(e.path() / "manifest.json")) return e.path() / "manifest.json";
  }
  return {};
}

// `manifest` with `edit` applied and its checksum recomputed, so that the
// reader gets past the checksum to the values.
void EditManifest(const fs::path& manifest, const std::function<void(nlohmann::ordered_json&)>& edit) {
  nlohmann::ordered_json j = nlohmann::ordered_json::parse(ReadAll(manifest));
  edit(j);
  Write(manifest, snapshot::WithRecomputedChecksum(j.dump(1, ' ') + "\n"));
}

class HostileInput : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    base_ = fs::temp_directory_path() / testing::UniqueName("cutover-hostile-base-");
    fs::create_directories(base_);
    // A SQLite database and a repository with one good snapshot of it.
    const std::string db = (base_ / "shop.db").string();
    const std::string make = "sqlite3 '" + db +
                             "' 'CREATE TABLE items (id INTEGER PRIMARY KEY, name TEXT);"
                             " INSERT INTO items (id) VALUES (1), (2);'";
    ASSERT_EQ(std::system(make.c_str()), 0) << make;
    RunResult snap = testing::RunCutover({"--driver-path", CUTOVER_TEST_DRIVER_DIR, "--repo",
                                          (base_ / "repo").string(), "snapshot", "sqlite:" + db});
    ASSERT_EQ(snap.exit_code, 0) << snap.out << snap.err;
    Write(base_ / "plan" / "0001_a" / "expand.sql", "ALTER TABLE items ADD COLUMN note TEXT;\n");
    Write(base_ / "plan" / "0001_a" / "rollback.sql", "ALTER TABLE items DROP COLUMN note;\n");
  }
  static void TearDownTestSuite() {
    std::error_code ec;
    fs::remove_all(base_, ec);
  }
  void SetUp() override {
    dir_ = fs::temp_directory_path() / testing::UniqueName("cutover-hostile-");
    fs::copy(base_, dir_, fs::copy_options::recursive);
  }
  void TearDown() override {
    std::error_code ec;
    fs::permissions(dir_, fs::perms::owner_all, fs::perm_options::add, ec);
    fs::remove_all(dir_, ec);
  }

  // Runs one case; returns its row of the table.
  std::string RunCase(const Case& c) {
    if (c.prepare) c.prepare(dir_);
    const auto before = TreeState(dir_);
    std::vector<std::string> argv{"/usr/bin/prlimit", kAddressSpaceLimit,      "--",           CUTOVER_BINARY,
                                  "--driver-path",    CUTOVER_TEST_DRIVER_DIR, "--no-progress"};
    for (std::string a : c.args) {
      for (size_t at = a.find("{dir}"); at != std::string::npos; at = a.find("{dir}"))
        a.replace(at, 5, dir_.string());
      argv.push_back(a);
    }
    testing::ChildProcess child(argv, testing::ProcessOptions().Cwd(dir_.string()), dir_.string() + ".out",
                                dir_.string() + ".err");
    const bool ended = child.WaitFor(kTimeLimit);
    EXPECT_TRUE(ended) << c.name << ": still running after " << kTimeLimit.count() << " s";
    if (!ended) child.Stop(SIGKILL);
    const RunResult r = child.Result();
    std::error_code ec;
    fs::remove(dir_.string() + ".out", ec);
    fs::remove(dir_.string() + ".err", ec);
    EXPECT_EQ(r.exit_code, c.exit_code) << c.name << "\nstdout:\n" << r.out << "\nstderr:\n" << r.err;
    // A failed check reports its problems as its result (stdout); an error
    // is "cutover: error: ..." on stderr.
    const std::string said = c.exit_code == 1 ? r.out + r.err : r.err;
    if (c.exit_code != 1) {
      EXPECT_NE(r.err.find("cutover: error: "), std::string::npos) << c.name << ": " << r.err;
    }
    for (const std::string& needle : c.must_say) {
      EXPECT_NE(said.find(needle), std::string::npos)
          << c.name << ": the message does not say '" << needle << "':\n"
          << said;
    }
    if (c.exit_code == 1) {
      EXPECT_EQ(WithoutTheCatalog(TreeState(dir_)), WithoutTheCatalog(before))
          << c.name << ": the run changed more than the catalog";
    } else {
      EXPECT_EQ(TreeState(dir_), before) << c.name << ": the run changed the work directory";
    }
    std::string message;
    for (const std::string& text : {r.err, r.out}) {
      if (message.empty()) message = text.substr(0, text.find('\n'));
    }
    if (message.size() > 110) message = message.substr(0, 107) + "...";
    return "| " + c.name + " | " + std::to_string(r.exit_code) + " | " + message + " |";
  }

  static fs::path base_;
  fs::path dir_;
};
fs::path HostileInput::base_;

std::vector<Case> Cases() {
  const std::string repo = "--repo={dir}/repo";
  std::vector<Case> cases{
      // URIs.
      {"URI with an unclosed IPv6 bracket", {"schema", "postgresql://u:pw@[::1/db"}, 2, {"unclosed '['"}},
      {"URI of an unknown scheme", {"schema", "oracle://u@h/db"}, 2, {"oracle"}},
      {"URI with a port that is not a number", {"snapshot", "mysql://u@h:port/db", repo}, 2, {"port"}},
      {"URI with a bad %-escape",
       {"drift", "postgresql://u:p%zz@h/db", "--against", "{dir}/shop.db"},
       2,
       {"%-escape"}},
      {"URI with a NUL escape",
       {"status", "postgresql://u@h/db%00x", "--plan", "{dir}/plan"},
       2,
       {"%-escape"}},
      {"empty URI", {"schema", ""}, 2, {"is neither a connection URI nor a target"}},
      {"SQLite URI of a missing file", {"schema", "sqlite:{dir}/missing.db"}, 2, {"missing.db"}},
      // Configs.
      {"config with an unknown key",
       {"--config", "{dir}/bad.toml", "snapshots"},
       2,
       {"bad.toml:2", "pathh"},
       [](const fs::path& d) { Write(d / "bad.toml", "[repository]\npathh = \"/tmp/x\"\n"); }},
      {"config with a bad duration",
       {"--config", "{dir}/bad.toml", "gate", "sqlite:{dir}/shop.db", "--plan", "{dir}/plan"},
       2,
       {"bad.toml:2", "snapshot_max_age"},
       [](const fs::path& d) { Write(d / "bad.toml", "[policy]\nsnapshot_max_age = \"soon\"\n"); }},
      {"config that is not TOML",
       {"--config", "{dir}/bad.toml", "snapshots"},
       2,
       {"bad.toml:1"},
       [](const fs::path& d) {
         Write(d / "bad.toml", std::string("\x7f"
                                           "ELF\x02\x01\x00\xff[[",
                                           10));
       }},
      {"missing config", {"--config", "{dir}/none.toml", "snapshots"}, 2, {"none.toml"}},
      // Plans.
      {"plan file cut inside a string",
       {"lint", "{dir}/plan", "--engine", "sqlite"},
       2,
       {"0001_a/expand.sql:1"},
       [](const fs::path& d) { Write(d / "plan" / "0001_a" / "expand.sql", "SELECT 'never closed;\n"); }},
      {"plan file that is not UTF-8",
       {"lint", "{dir}/plan", "--engine", "postgresql"},
       2,
       {"0001_a/expand.sql", "UTF-8"},
       [](const fs::path& d) { Write(d / "plan" / "0001_a" / "expand.sql", "SELECT '\xff\xfe';\n"); }},
      {"plan file holding a NUL byte",
       {"status", "sqlite:{dir}/shop.db", "--plan", "{dir}/plan"},
       2,
       {"0001_a/expand.sql"},
       [](const fs::path& d) {
         Write(d / "plan" / "0001_a" / "expand.sql", std::string("SELECT 1;\0DROP TABLE x;\n", 24));
       }},
      {"plan file of 64 MiB of one statement",
       {"lint", "{dir}/plan", "--engine", "mysql"},
       2,
       {"0001_a/expand.sql:1"},
       [](const fs::path& d) {
         Write(d / "plan" / "0001_a" / "expand.sql", "SELECT '" + std::string(64 << 20, 'x'));
       }},
      {"plan directory that is missing", {"lint", "{dir}/noplan", "--engine", "sqlite"}, 2, {"noplan"}},
      // Manifests.
      {"manifest claiming a 1 TiB image chunk",
       {"verify", "latest", "--deep", repo},
       1,
       {"uncompressed bytes"},
       [](const fs::path& d) {
         EditManifest(ManifestOf(d / "repo"),
                      [](auto& j) { j["image"]["chunks"][0]["raw_bytes"] = 1LL << 40; });
       }},
      {"manifest claiming 9.2e18 rows",
       {"restore-test", "latest", repo},
       1,
       {"rows"},
       [](const fs::path& d) {
         EditManifest(ManifestOf(d / "repo"), [](auto& j) { j["tables"][0]["rows"] = INT64_MAX; });
       }},
      {"manifest with a negative size",
       {"verify", "latest", repo},
       1,
       {"non-negative"},
       [](const fs::path& d) {
         EditManifest(ManifestOf(d / "repo"), [](auto& j) { j["image"]["bytes"] = -5; });
       }},
      {"manifest naming a chunk outside the snapshot",
       {"verify", "latest", repo},
       1,
       {"unsafe chunk file name"},
       [](const fs::path& d) {
         EditManifest(ManifestOf(d / "repo"),
                      [](auto& j) { j["image"]["chunks"][0]["file"] = "../../../../etc/passwd"; });
       }},
      {"manifest cut in half",
       {"verify", "latest", repo},
       1,
       {"manifest"},
       [](const fs::path& d) {
         const fs::path m = ManifestOf(d / "repo");
         const std::string text = ReadAll(m);
         Write(m, text.substr(0, text.size() / 2));
       }},
      // Repositories and catalogs.
      {"repository path that is a file", {"snapshots", "--repo={dir}/shop.db"}, 2, {"shop.db", "--repo"}},
      {"repository path in a symlink loop",
       {"snapshots", "--repo={dir}/loop/a"},
       2,
       {"loop/a", "symbolic link that cannot be followed"},
       [](const fs::path& d) {
         fs::create_directories(d / "loop");
         fs::create_directory_symlink(d / "loop" / "b", d / "loop" / "a");
         fs::create_directory_symlink(d / "loop" / "a", d / "loop" / "b");
       }},
      {"snapshot directory replaced by a file",
       {"verify", "latest", repo},
       2,
       {"has no snapshots"},
       [](const fs::path& d) {
         const fs::path snap = ManifestOf(d / "repo").parent_path();
         fs::remove_all(snap);
         Write(snap, "not a directory");
       }},
      {"catalog that is not SQLite",
       {"snapshots", repo},
       2,
       {"catalog.db", "is not a SQLite database or is damaged", "move it aside"},
       [](const fs::path& d) { Write(d / "repo" / "catalog.db", std::string(8192, '\x5a')); }},
  };
  return cases;
}

TEST_F(HostileInput, EveryCaseEndsWithItsExitCodeAMessageAndNoChange) {
  ASSERT_TRUE(fs::exists("/usr/bin/prlimit")) << "prlimit (util-linux) is needed to cap memory";
  std::vector<std::string> rows{"| hostile input | exit | message (first line) |", "|---|---|---|"};
  for (const Case& c : Cases()) {
    SCOPED_TRACE(c.name);
    TearDown();
    SetUp();
    rows.push_back(RunCase(c));
  }
  // The table docs/reliability.md shows.
  for (const std::string& row : rows) std::printf("%s\n", row.c_str());
}

}  // namespace
}  // namespace cutover
