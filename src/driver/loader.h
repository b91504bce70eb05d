// DriverLoader: finds, loads and keeps the driver plugins.
//
// A plugin is a shared module named cutover_driver_<name>.so exporting
// CUTOVER_DRIVER_ENTRY_SYMBOL (see driver/driver.h). The loader searches, in
// order:
//   1. the --driver-path directories (colon-separated; then [drivers] path
//      from the config),
//   2. $CUTOVER_DRIVER_PATH (colon-separated),
//   3. <directory of the running binary>/drivers (the build tree),
//   4. <directory of the running binary>/<relative install dir>, the driver
//      directory of an installation relative to its bindir, computed at
//      configure time: "../lib/cutover/drivers", or
//      "../lib/x86_64-linux-gnu/cutover/drivers" with a multiarch libdir. This
//      is what makes `cmake --install --prefix X`, DESTDIR staging and a .deb
//      unpacked anywhere find their own plugins,
//   5. the absolute install directory compiled in (<prefix>/<libdir>/
//      cutover/drivers), as a last resort; omitted when 4 already names it.
// The binary's directory is that of /proc/self/exe, symlinks resolved.
// The first file found for a driver name is the one loaded (dlopen with
// RTLD_NOW | RTLD_LOCAL, so two plugins never see each other's symbols).
//
// Failure messages name every path searched and, for each candidate file,
// what was wrong with it (dlopen error, missing entry symbol, interface
// version mismatch, name mismatch), so a packaging problem can be fixed
// without a debugger.
//
// Ownership: the loader owns every loaded plugin and Driver and never unloads
// them before it is destroyed; keep it alive longer than any Connection.
#pragma once

#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"
#include "base/uri.h"
#include "driver/driver.h"

namespace cutover {

struct LoadedDriverInfo {
  DriverInfo info;
  std::string path;  // the file it was loaded from
};

// What `cutover drivers` shows for a plugin file that could not be loaded.
struct DriverLoadFailure {
  std::string path;
  std::string reason;
};

class DriverLoader {
 public:
  // `extra_paths` are the --driver-path directories, searched first.
  explicit DriverLoader(std::vector<std::string> extra_paths = {});
  ~DriverLoader();
  DriverLoader(const DriverLoader&) = delete;
  DriverLoader& operator=(const DriverLoader&) = delete;

  // The directories searched, in order.
  const std::vector<std::string>& search_path() const { return search_path_; }

  // The driver named `name` ("postgresql", "mysql", "sqlite"), loading it on
  // first use. kNotFound when no directory has it; the message lists the
  // search path and every rejected candidate.
  Result<Driver*> Get(const std::string& name);
  // The driver serving the URI's scheme.
  // The driver whose DriverInfo::schemes lists `scheme` (lower-case).
  Result<Driver*> ForScheme(const std::string& scheme);
  Result<Driver*> ForUri(const ConnectionUri& uri);
  // Parses `uri_text`, loads its driver and connects.
  Result<std::unique_ptr<Connection>> Connect(const std::string& uri_text);

  // Loads every cutover_driver_*.so on the search path (first of each name
  // wins) and reports what loaded and what failed.
  void LoadAll(std::vector<LoadedDriverInfo>* loaded, std::vector<DriverLoadFailure>* failed);

  // Loads one plugin file; exposed for tests of the failure messages.
  static Result<std::string> ProbeFile(const std::string& path, const std::string& expected_name);

 private:
  struct Plugin;
  Result<Plugin*> LoadFile(const std::string& path, const std::string& expected_name);

  std::vector<std::string> search_path_;
  // Get() and LoadAll() may be called from several threads (snapshot
  // workers, concurrent catalog opens): loading a plugin is serialized.
  std::recursive_mutex mu_;
  std::map<std::string, std::unique_ptr<Plugin>> plugins_;  // by driver name
};

// The install-time driver directories of search steps 4 and 5 above: relative
// to the binary's directory, and absolute (both fixed at configure time).
std::string_view InstallDriverDirRelativeToBinary();
std::string_view InstallDriverDirAbsolute();

}  // namespace cutover
