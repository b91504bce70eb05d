#include "base/file_env.h"

#include <gtest/gtest.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <csignal>
#include <cstdlib>
#include <fstream>
#include <sstream>

namespace cutover {
namespace {
namespace fs = std::filesystem;

class FileEnvTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string pattern = (fs::temp_directory_path() / "cutover-file-env-XXXXXX").string();
    ASSERT_NE(::mkdtemp(pattern.data()), nullptr);
    dir_ = pattern;
  }
  void TearDown() override {
    std::error_code ec;
    fs::remove_all(dir_, ec);
  }
  std::vector<std::string> Names() const {
    std::vector<std::string> names;
    for (const auto& e : fs::directory_iterator(dir_)) names.push_back(e.path().filename().string());
    std::sort(names.begin(), names.end());
    return names;
  }
  static std::string Slurp(const fs::path& p) {
    std::ifstream in(p, std::ios::binary);
    std::ostringstream ss;
    ss << in.rdbuf();
    return ss.str();
  }
  static unsigned Mode(const fs::path& p) {
    struct stat st {};
    EXPECT_EQ(::stat(p.c_str(), &st), 0) << p;
    return st.st_mode & 0777;
  }
  Env& env_ = Env::Default();
  fs::path dir_;
};

// Sets a permissive umask for the test's life: the modes must not depend on it.
struct OpenUmask {
  OpenUmask() : saved(::umask(0)) {}
  ~OpenUmask() { ::umask(saved); }
  mode_t saved;
};

TEST_F(FileEnvTest, TempFileLeavesNothingUnlessLinked) {
  {
    auto file = env_.NewTempFile(dir_);
    ASSERT_TRUE(file.ok()) << file.status().ToString();
    ASSERT_TRUE((*file)->WriteAt(4096, "tail").ok());
    ASSERT_TRUE((*file)->WriteAt(0, "head").ok());
    ASSERT_TRUE((*file)->Sync().ok());
    // While it lives it is readable through its /proc path, and has no name.
    std::string through_proc = Slurp((*file)->OpenPath());
    EXPECT_EQ(through_proc.size(), 4100u);
    EXPECT_EQ(through_proc.substr(0, 4), "head");
    EXPECT_TRUE(Names().empty());
  }
  EXPECT_TRUE(Names().empty()) << "a temporary file outlived its object";
}

TEST_F(FileEnvTest, ReplaceWithTempFileSwapsTheWholeFileAndLeavesOnlyTheTarget) {
  OpenUmask open_umask;
  const fs::path target = dir_ / "db.sqlite";
  { std::ofstream(target, std::ios::binary) << "old bytes"; }
  auto file = env_.NewTempFile(dir_);
  ASSERT_TRUE(file.ok()) << file.status().ToString();
  ASSERT_TRUE((*file)->WriteAt(0, "new bytes, longer").ok());
  EXPECT_EQ(Slurp(target), "old bytes");  // nothing visible before the commit
  ASSERT_TRUE(ReplaceWithTempFile(env_, **file, target).ok());
  file->reset();
  EXPECT_EQ(Slurp(target), "new bytes, longer");
  EXPECT_EQ(Mode(target), 0600u);
  EXPECT_EQ(Names(), std::vector<std::string>{"db.sqlite"});
}

TEST_F(FileEnvTest, LinkAsRefusesATakenName) {
  { std::ofstream(dir_ / "taken") << "mine"; }
  auto file = env_.NewTempFile(dir_);
  ASSERT_TRUE(file.ok());
  auto linked = (*file)->LinkAs(dir_ / "taken");
  ASSERT_TRUE(linked.ok()) << linked.status().ToString();
  EXPECT_FALSE(*linked);
  EXPECT_EQ(Slurp(dir_ / "taken"), "mine");
}

TEST_F(FileEnvTest, FilesAre0600AndDirectories0700WhateverTheUmask) {
  OpenUmask open_umask;
  auto file = env_.NewWritableFile(dir_ / "f");
  ASSERT_TRUE(file.ok()) << file.status().ToString();
  ASSERT_TRUE((*file)->Append("x").ok());
  ASSERT_TRUE((*file)->Close().ok());
  EXPECT_EQ(Mode(dir_ / "f"), 0600u);
  // O_EXCL: an existing file is never overwritten.
  auto again = env_.NewWritableFile(dir_ / "f");
  EXPECT_EQ(again.status().code(), StatusCode::kIo);
  EXPECT_NE(again.status().message().find((dir_ / "f").string()), std::string::npos);

  ASSERT_TRUE(env_.CreateDirs(dir_ / "a" / "b" / "c").ok());
  for (const fs::path& d : {dir_ / "a", dir_ / "a" / "b", dir_ / "a" / "b" / "c"})
    EXPECT_EQ(Mode(d), 0700u) << d;
  auto made = env_.CreateDir(dir_ / "d");
  ASSERT_TRUE(made.ok());
  EXPECT_TRUE(*made);
  EXPECT_EQ(Mode(dir_ / "d"), 0700u);
  made = env_.CreateDir(dir_ / "d");
  ASSERT_TRUE(made.ok());
  EXPECT_FALSE(*made);  // already there

  auto lock = env_.LockFile(dir_ / ".lock");
  ASSERT_TRUE(lock.ok()) << lock.status().ToString();
  EXPECT_EQ(Mode(dir_ / ".lock"), 0600u);
  auto second = env_.LockFile(dir_ / ".lock");
  EXPECT_EQ(second.status().code(), StatusCode::kIo);
  lock->reset();
  EXPECT_TRUE(env_.LockFile(dir_ / ".lock").ok());

  EXPECT_EQ(env_.CreateDirs(dir_ / "f" / "under-a-file").code(), StatusCode::kIo);
}

TEST_F(FileEnvTest, ReadingAMissingFileNamesIt) {
  const fs::path missing = dir_ / "no-such-file.json";
  auto whole = env_.ReadFile(missing, 1 << 20);
  EXPECT_EQ(whole.status().code(), StatusCode::kNotFound);
  EXPECT_NE(whole.status().message().find(missing.string()), std::string::npos) << whole.status().message();
  EXPECT_NE(whole.status().message().find("No such file or directory"), std::string::npos);
  auto positional = env_.NewRandomAccessFile(missing);
  EXPECT_EQ(positional.status().code(), StatusCode::kNotFound);
  EXPECT_NE(positional.status().message().find(missing.string()), std::string::npos);
  EXPECT_EQ(env_.Stat(missing).status().code(), StatusCode::kNotFound);
  EXPECT_FALSE(env_.Exists(missing));
  EXPECT_EQ(env_.RemoveFile(missing).code(), StatusCode::kNotFound);
  EXPECT_TRUE(env_.RemoveAll(missing).ok());
  EXPECT_EQ(env_.ListDir(missing).status().code(), StatusCode::kNotFound);
}

TEST_F(FileEnvTest, ReadsWholeAndPositionalAndRefusesOversizedFiles) {
  { std::ofstream(dir_ / "data", std::ios::binary) << "0123456789"; }
  auto whole = env_.ReadFile(dir_ / "data", 10);
  ASSERT_TRUE(whole.ok());
  EXPECT_EQ(*whole, "0123456789");
  auto big = env_.ReadFile(dir_ / "data", 9);
  EXPECT_EQ(big.status().code(), StatusCode::kInvalidInput);
  EXPECT_NE(big.status().message().find((dir_ / "data").string()), std::string::npos);

  auto file = env_.NewRandomAccessFile(dir_ / "data");
  ASSERT_TRUE(file.ok());
  EXPECT_EQ(*(*file)->Size(), 10);
  std::string buf(4, '\0');
  ASSERT_TRUE((*file)->ReadAt(3, buf.data(), buf.size()).ok());
  EXPECT_EQ(buf, "3456");
  Status past = (*file)->ReadAt(8, buf.data(), buf.size());
  EXPECT_EQ(past.code(), StatusCode::kIo);
  EXPECT_NE(past.message().find("ended early"), std::string::npos) << past.message();
  EXPECT_NE(past.message().find((dir_ / "data").string()), std::string::npos) << past.message();

  auto info = env_.Stat(dir_ / "data");
  ASSERT_TRUE(info.ok());
  EXPECT_EQ(info->kind, FileInfo::Kind::kFile);
  EXPECT_EQ(info->size, 10);
  EXPECT_EQ(env_.Stat(dir_)->kind, FileInfo::Kind::kDirectory);
  auto names = env_.ListDir(dir_);
  ASSERT_TRUE(names.ok());
  EXPECT_EQ(*names, std::vector<std::string>{"data"});
}

// A file-size limit makes the kernel write only part of a pwrite and then
// refuse (EFBIG): a real short write. WriteAt must report it, naming the
// offset it reached, and the unnamed file must vanish.
TEST_F(FileEnvTest, AShortWriteIsAnErrorNamingTheOffset) {
  const pid_t child = ::fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    std::signal(SIGXFSZ, SIG_IGN);
    struct rlimit limit {};
    limit.rlim_cur = limit.rlim_max = 10000;
    if (::setrlimit(RLIMIT_FSIZE, &limit) != 0) ::_exit(10);
    int code = 0;
    {
      auto file = Env::Default().NewTempFile(dir_);
      if (!file.ok()) ::_exit(11);
      Status st = (*file)->WriteAt(0, std::string(65536, 'x'));
      if (st.code() != StatusCode::kIo) code = 12;
      if (st.message().find("at byte 10000") == std::string::npos) code = 13;
      if (st.message().find("File too large") == std::string::npos) code = 14;
      if (code != 0) std::fprintf(stderr, "%s\n", st.ToString().c_str());
    }
    ::_exit(code);
  }
  int status = 0;
  ASSERT_EQ(::waitpid(child, &status, 0), child);
  ASSERT_TRUE(WIFEXITED(status));
  EXPECT_EQ(WEXITSTATUS(status), 0) << "10: setrlimit, 11: create, 12: not kIo, 13: offset, 14: errno text";
  EXPECT_TRUE(Names().empty());
}

// EnvWrapper forwards everything; a test overrides the one call it fails.
class FailingRename : public EnvWrapper {
 public:
  FailingRename() : EnvWrapper(Env::Default()) {}
  Status Rename(const fs::path&, const fs::path&) override {
    ++calls;
    return Status::Io("injected: rename failed: Input/output error");
  }
  int calls = 0;
};

TEST_F(FileEnvTest, EnvWrapperFailsOneCallAndForwardsTheRest) {
  FailingRename env;
  const fs::path target = dir_ / "manifest.json";
  { std::ofstream(target, std::ios::binary) << "committed"; }
  Status st = WriteFileAtomically(env, target, "new manifest");
  EXPECT_EQ(st.code(), StatusCode::kIo);
  EXPECT_EQ(env.calls, 1);
  EXPECT_EQ(Slurp(target), "committed");
  EXPECT_EQ(Names(), std::vector<std::string>{"manifest.json"}) << "the temporary file was left";

  auto temp = env.NewTempFile(dir_);
  ASSERT_TRUE(temp.ok());
  ASSERT_TRUE((*temp)->WriteAt(0, "image").ok());
  st = ReplaceWithTempFile(env, **temp, target);
  EXPECT_EQ(st.code(), StatusCode::kIo);
  EXPECT_NE(st.message().find(target.string()), std::string::npos) << st.message();
  EXPECT_EQ(env.calls, 2);
  temp->reset();
  EXPECT_EQ(Slurp(target), "committed");
  EXPECT_EQ(Names(), std::vector<std::string>{"manifest.json"}) << "the temporary name was left";

  // The calls it does not override reach the real file system.
  auto read = env.ReadFile(target, 100);
  ASSERT_TRUE(read.ok());
  EXPECT_EQ(*read, "committed");
  EXPECT_TRUE(env.CreateDirs(dir_ / "sub").ok());
  EXPECT_TRUE(fs::is_directory(dir_ / "sub"));
  EXPECT_TRUE(WriteFileAtomically(Env::Default(), target, "new manifest").ok());
  EXPECT_EQ(Slurp(target), "new manifest");
}

}  // namespace
}  // namespace cutover
