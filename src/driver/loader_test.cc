#include "driver/loader.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>

#include "support/test_env.h"

namespace cutover {
namespace {

const std::string kBrokenDir = CUTOVER_BROKEN_PLUGIN_DIR;

TEST(DriverLoader, LoadsEveryRealDriverFromTheBuildTree) {
  DriverLoader loader({CUTOVER_TEST_DRIVER_DIR});
  for (const auto& engine : testing::AllEngines()) {
    auto driver = loader.Get(engine);
    ASSERT_TRUE(driver.ok()) << driver.status().ToString();
    EXPECT_EQ((*driver)->info().name, engine);
    EXPECT_FALSE((*driver)->info().client_library.empty());
    EXPECT_FALSE((*driver)->info().schemes.empty());
  }
}

TEST(DriverLoader, SchemeSelectsTheDriver) {
  DriverLoader loader({CUTOVER_TEST_DRIVER_DIR});
  for (const auto& [uri, name] : std::vector<std::pair<std::string, std::string>>{
           {"postgres://h/db", "postgresql"}, {"mariadb://h/db", "mysql"}, {"sqlite:x.db", "sqlite"}}) {
    auto driver = loader.ForUri(*ConnectionUri::Parse(uri));
    ASSERT_TRUE(driver.ok()) << driver.status().ToString();
    EXPECT_EQ((*driver)->info().name, name);
  }
}

TEST(DriverLoader, MissingPluginNamesEveryPathSearched) {
  DriverLoader loader({"/nonexistent/first", "/nonexistent/second"});
  auto driver = loader.Get("oracle");
  ASSERT_FALSE(driver.ok());
  EXPECT_EQ(driver.status().code(), StatusCode::kNotFound);
  const std::string msg = driver.status().message();
  EXPECT_NE(msg.find("/nonexistent/first/cutover_driver_oracle.so: no such file"), std::string::npos) << msg;
  EXPECT_NE(msg.find("/nonexistent/second/cutover_driver_oracle.so: no such file"), std::string::npos) << msg;
  for (const auto& dir : loader.search_path()) EXPECT_NE(msg.find(dir), std::string::npos) << dir;
  EXPECT_NE(msg.find("--driver-path"), std::string::npos);
}

TEST(DriverLoader, WrongInterfaceVersionIsRefusedWithBothVersions) {
  DriverLoader loader({kBrokenDir});
  auto driver = loader.Get("wrongversion");
  ASSERT_FALSE(driver.ok());
  const std::string msg = driver.status().message();
  EXPECT_NE(msg.find("cutover_driver_wrongversion.so: driver interface version 999"), std::string::npos)
      << msg;
  EXPECT_NE(msg.find("needs version " + std::to_string(kDriverApiVersion)), std::string::npos) << msg;
}

TEST(DriverLoader, MissingEntrySymbolIsNamed) {
  DriverLoader loader({kBrokenDir});
  auto driver = loader.Get("noentry");
  ASSERT_FALSE(driver.ok());
  EXPECT_NE(driver.status().message().find("cutover_driver_noentry.so: not a cutover driver: it has no "
                                           "entry symbol 'cutover_driver_entry'"),
            std::string::npos)
      << driver.status().message();
}

// The entry symbol is unversioned (the version is in the struct); a plugin
// built when it was still "cutover_driver_entry_v1" is told to rebuild.
TEST(DriverLoader, LegacyEntrySymbolAsksForARebuild) {
  EXPECT_STREQ(CUTOVER_DRIVER_ENTRY_SYMBOL, "cutover_driver_entry");
  DriverLoader loader({kBrokenDir});
  auto driver = loader.Get("legacyentry");
  ASSERT_FALSE(driver.ok());
  const std::string msg = driver.status().message();
  EXPECT_NE(msg.find("cutover_driver_legacyentry.so: built for an older cutover: it exports "
                     "'cutover_driver_entry_v1' instead of 'cutover_driver_entry'"),
            std::string::npos)
      << msg;
  EXPECT_NE(msg.find("rebuild the plugin"), std::string::npos) << msg;
}

TEST(DriverLoader, UnresolvedSymbolFailsAtLoadWithDlopenError) {
  DriverLoader loader({kBrokenDir});
  auto driver = loader.Get("unresolved");
  ASSERT_FALSE(driver.ok());
  EXPECT_NE(driver.status().message().find("cannot load"), std::string::npos) << driver.status().message();
  EXPECT_NE(driver.status().message().find("cutover_symbol_that_does_not_exist"), std::string::npos)
      << driver.status().message();
}

TEST(DriverLoader, PluginClaimingAnotherNameIsRefused) {
  DriverLoader loader({kBrokenDir});
  auto driver = loader.Get("wrongname");
  ASSERT_FALSE(driver.ok());
  EXPECT_NE(driver.status().message().find("plugin says it is 'somebodyelse'"), std::string::npos)
      << driver.status().message();
}

TEST(DriverLoader, NotASharedObjectAtAll) {
  auto dir = std::filesystem::temp_directory_path() / testing::UniqueName("cutover-loader-");
  std::filesystem::create_directories(dir);
  { std::ofstream(dir / "cutover_driver_sqlite.so") << "this is not an ELF file"; }
  DriverLoader loader({dir.string(), CUTOVER_TEST_DRIVER_DIR});
  // The broken first candidate is reported, and the search goes on to the
  // next directory, which has the real plugin.
  auto driver = loader.Get("sqlite");
  EXPECT_TRUE(driver.ok()) << driver.status().ToString();
  DriverLoader only_bad({dir.string()});
  auto bad = DriverLoader::ProbeFile((dir / "cutover_driver_sqlite.so").string(), "sqlite");
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.status().message().find("cannot load"), std::string::npos) << bad.status().message();
  std::filesystem::remove_all(dir);
}

std::filesystem::path TestBinaryDir() {
  return std::filesystem::read_symlink("/proc/self/exe").parent_path();
}

TEST(DriverLoader, SearchOrderIsFlagThenEnvThenBinaryDirThenInstallDirs) {
  setenv("CUTOVER_DRIVER_PATH", "/env/one:/env/two", 1);
  DriverLoader loader({"/flag/a:/flag/b"});
  unsetenv("CUTOVER_DRIVER_PATH");
  const auto& path = loader.search_path();
  const std::filesystem::path exe_dir = TestBinaryDir();
  ASSERT_EQ(path.size(), 7u);
  EXPECT_EQ(path[0], "/flag/a");
  EXPECT_EQ(path[1], "/flag/b");
  EXPECT_EQ(path[2], "/env/one");
  EXPECT_EQ(path[3], "/env/two");
  EXPECT_EQ(path[4], (exe_dir / "drivers").string());  // the build tree
  // An installation's driver directory relative to its binary, normalized
  // (build/tests/../lib/cutover/drivers -> build/lib/cutover/drivers).
  EXPECT_EQ(path[5], (exe_dir / InstallDriverDirRelativeToBinary()).lexically_normal().string());
  EXPECT_EQ(path[5].find(".."), std::string::npos) << path[5];
  EXPECT_EQ(path[6], InstallDriverDirAbsolute());  // the last resort
}

TEST(DriverLoader, InstallDirsAreTheConfiguredOnes) {
  const std::string relative(InstallDriverDirRelativeToBinary());
  const std::string absolute(InstallDriverDirAbsolute());
  // Relative from bindir to <libdir>/cutover/drivers: "../lib/cutover/drivers"
  // or, with a multiarch libdir, "../lib/<triplet>/cutover/drivers".
  EXPECT_TRUE(relative.starts_with("../")) << relative;
  EXPECT_TRUE(relative.ends_with("/cutover/drivers")) << relative;
  EXPECT_TRUE(absolute.starts_with("/")) << absolute;
  EXPECT_TRUE(absolute.ends_with("/cutover/drivers")) << absolute;
}

TEST(DriverLoader, EnvironmentDirectoryEqualToABuiltInOneIsListedOnce) {
  setenv("CUTOVER_DRIVER_PATH", std::string(InstallDriverDirAbsolute()).c_str(), 1);
  DriverLoader loader;
  unsetenv("CUTOVER_DRIVER_PATH");
  const auto& path = loader.search_path();
  EXPECT_EQ(std::count(path.begin(), path.end(), std::string(InstallDriverDirAbsolute())), 1) << path.size();
  ASSERT_FALSE(path.empty());
  EXPECT_EQ(path.front(), InstallDriverDirAbsolute());
}

TEST(DriverLoader, LoadAllReportsBrokenFilesAndLoadsGoodOnes) {
  DriverLoader loader({kBrokenDir, CUTOVER_TEST_DRIVER_DIR});
  std::vector<LoadedDriverInfo> loaded;
  std::vector<DriverLoadFailure> failed;
  loader.LoadAll(&loaded, &failed);
  EXPECT_EQ(loaded.size(), 3u);
  // wrongversion, wrongname, noentry, legacyentry, unresolved.
  EXPECT_EQ(failed.size(), 5u);
}

}  // namespace
}  // namespace cutover
