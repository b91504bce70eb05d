#include "driver/loader.h"

#include <dlfcn.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <set>
#include <system_error>

#include "base/strings.h"

// Both come from CMakeLists.txt (GNUInstallDirs); these defaults match the
// default prefix /usr/local.
#ifndef CUTOVER_INSTALL_DRIVER_DIR
#define CUTOVER_INSTALL_DRIVER_DIR "/usr/local/lib/cutover/drivers"
#endif
#ifndef CUTOVER_RELATIVE_DRIVER_DIR
#define CUTOVER_RELATIVE_DRIVER_DIR "../lib/cutover/drivers"
#endif

namespace cutover {
namespace fs = std::filesystem;

namespace {

constexpr std::string_view kFilePrefix = "cutover_driver_";
constexpr std::string_view kFileSuffix = ".so";

std::string PluginFileName(const std::string& name) {
  return std::string(kFilePrefix) + name + std::string(kFileSuffix);
}

std::string ExecutableDir() {
  std::error_code ec;
  fs::path exe = fs::read_symlink("/proc/self/exe", ec);
  if (ec) return {};
  return exe.parent_path().string();
}

void AppendPathList(const std::string& list, std::vector<std::string>* out) {
  for (std::string_view part : Split(list, ':')) {
    if (!part.empty()) out->emplace_back(part);
  }
}

// Why dlerror() text is safe to show: it names files and symbols only.
std::string DlError() {
  const char* err = dlerror();
  return err ? err : "unknown dlopen error";
}

}  // namespace

struct DriverLoader::Plugin {
  std::string path;
  void* handle = nullptr;
  std::unique_ptr<Driver> driver;

  ~Plugin() {
    // The Driver's code lives in the module: destroy it first. The module is
    // deliberately not dlclose()d: client libraries (libpq, Connector/C++)
    // register atexit handlers and thread-locals that must outlive us.
    driver.reset();
  }
};

std::string_view InstallDriverDirRelativeToBinary() {
  return CUTOVER_RELATIVE_DRIVER_DIR;
}
std::string_view InstallDriverDirAbsolute() {
  return CUTOVER_INSTALL_DRIVER_DIR;
}

DriverLoader::DriverLoader(std::vector<std::string> extra_paths) {
  for (const auto& p : extra_paths) AppendPathList(p, &search_path_);
  if (const char* env = std::getenv("CUTOVER_DRIVER_PATH")) AppendPathList(env, &search_path_);
  // The directories derived from the binary's location come before the
  // compiled-in install directory: an installation moved elsewhere (another
  // --prefix, DESTDIR staging, an unpacked .deb) finds its own plugins, not
  // those of another cutover installed under the configured prefix.
  std::vector<std::string> fixed;
  if (std::string exe_dir = ExecutableDir(); !exe_dir.empty()) {
    fixed.push_back(exe_dir + "/drivers");  // the build tree
    const fs::path relative(InstallDriverDirRelativeToBinary());
    fixed.push_back(relative.is_absolute() ? relative.string()
                                           : (fs::path(exe_dir) / relative).lexically_normal().string());
  }
  fixed.emplace_back(InstallDriverDirAbsolute());
  // Installed under the configured prefix, the relative and absolute forms
  // name one directory: list it once.
  for (auto& dir : fixed) {
    if (std::find(search_path_.begin(), search_path_.end(), dir) == search_path_.end())
      search_path_.push_back(std::move(dir));
  }
}

DriverLoader::~DriverLoader() = default;

Result<DriverLoader::Plugin*> DriverLoader::LoadFile(const std::string& path,
                                                     const std::string& expected_name) {
  dlerror();
  void* handle = dlopen(path.c_str(), RTLD_NOW | RTLD_LOCAL);
  if (handle == nullptr) return Status::NotFound("cannot load: " + DlError());
  auto entry_fn = reinterpret_cast<CutoverDriverEntryFn>(dlsym(handle, CUTOVER_DRIVER_ENTRY_SYMBOL));
  if (entry_fn == nullptr) {
    const bool legacy = dlsym(handle, CUTOVER_LEGACY_DRIVER_ENTRY_SYMBOL) != nullptr;
    dlclose(handle);
    if (legacy) {
      return Status::NotFound(std::string("built for an older cutover: it exports '") +
                              CUTOVER_LEGACY_DRIVER_ENTRY_SYMBOL + "' instead of '" +
                              CUTOVER_DRIVER_ENTRY_SYMBOL +
                              "': rebuild the plugin against this cutover's driver.h");
    }
    return Status::NotFound(std::string("not a cutover driver: it has no entry symbol '") +
                            CUTOVER_DRIVER_ENTRY_SYMBOL + "'");
  }
  const CutoverDriverEntry* entry = entry_fn();
  if (entry == nullptr) {
    dlclose(handle);
    return Status::NotFound("its entry point returned no driver description");
  }
  // Copy what the messages need: `entry` points into the module, which is
  // unmapped by dlclose().
  const std::uint32_t api_version = entry->api_version;
  if (api_version != kDriverApiVersion) {
    dlclose(handle);
    return Status::NotFound("driver interface version " + std::to_string(api_version) +
                            ", but this cutover needs version " + std::to_string(kDriverApiVersion) +
                            ": rebuild the plugin against this cutover's driver.h");
  }
  std::string name = entry->name ? entry->name : "";
  if (!expected_name.empty() && name != expected_name) {
    dlclose(handle);
    return Status::NotFound("the file is named for driver '" + expected_name +
                            "' but the plugin says it is '" + name + "'");
  }
  if (entry->create_driver == nullptr) {
    dlclose(handle);
    return Status::NotFound("its entry point has no create_driver function");
  }
  std::unique_ptr<Driver> driver(entry->create_driver());
  if (!driver) {
    dlclose(handle);
    return Status::Internal("the plugin failed to create its driver");
  }
  auto plugin = std::make_unique<Plugin>();
  plugin->path = path;
  plugin->handle = handle;
  plugin->driver = std::move(driver);
  Plugin* raw = plugin.get();
  plugins_[name] = std::move(plugin);
  return raw;
}

Result<std::string> DriverLoader::ProbeFile(const std::string& path, const std::string& expected_name) {
  DriverLoader loader(std::vector<std::string>{});
  auto plugin = loader.LoadFile(path, expected_name);
  if (!plugin.ok()) return plugin.status();
  return (*plugin)->driver->info().name;
}

Result<Driver*> DriverLoader::Get(const std::string& name) {
  std::lock_guard<std::recursive_mutex> lock(mu_);
  if (auto it = plugins_.find(name); it != plugins_.end()) return it->second->driver.get();
  const std::string file = PluginFileName(name);
  std::string report;
  for (const auto& dir : search_path_) {
    const std::string path = dir + "/" + file;
    std::error_code ec;
    if (!fs::exists(path, ec)) {
      report += "\n  " + path + ": no such file";
      continue;
    }
    auto plugin = LoadFile(path, name);
    if (plugin.ok()) return (*plugin)->driver.get();
    report += "\n  " + path + ": " + plugin.status().message();
  }
  return Status::NotFound(
      "no usable driver plugin '" + file + "' for '" + name + "'. Searched:" + report +
      "\nBuild the drivers, or point --driver-path or CUTOVER_DRIVER_PATH at the directory "
      "that holds them.");
}

namespace {

bool Serves(const Driver& driver, const std::string& scheme) {
  const auto& schemes = driver.info().schemes;
  return std::find(schemes.begin(), schemes.end(), scheme) != schemes.end();
}

}  // namespace

// Routed by DriverInfo::schemes, the only table of scheme aliases: a plugin
// named like the scheme is tried first (no directory scan for the usual
// postgresql://, mysql://, sqlite: URIs), then every plugin on the path.
Result<Driver*> DriverLoader::ForUri(const ConnectionUri& uri) {
  return ForScheme(uri.scheme());
}

Result<Driver*> DriverLoader::ForScheme(const std::string& scheme) {
  std::lock_guard<std::recursive_mutex> lock(mu_);
  for (const auto& [name, plugin] : plugins_) {
    if (Serves(*plugin->driver, scheme)) return plugin->driver.get();
  }
  if (auto named = Get(scheme); named.ok() && Serves(**named, scheme)) return *named;
  std::vector<LoadedDriverInfo> loaded;
  std::vector<DriverLoadFailure> failed;
  LoadAll(&loaded, &failed);
  std::string served;
  for (const auto& [name, plugin] : plugins_) {
    if (Serves(*plugin->driver, scheme)) return plugin->driver.get();
    served += (served.empty() ? "" : ", ") + name + " (" + Join(plugin->driver->info().schemes, ", ") + ")";
  }
  std::string message = "no driver serves URI scheme '" + scheme + "'";
  message += served.empty() ? "; no driver plugin could be loaded" : "; the drivers found serve " + served;
  for (const auto& f : failed) message += "\n  " + f.path + ": " + f.reason;
  return Status::InvalidInput(message + "\nSee `cutover drivers` for the search path.");
}

Result<std::unique_ptr<Connection>> DriverLoader::Connect(const std::string& uri_text) {
  auto uri = ConnectionUri::Parse(uri_text);
  if (!uri.ok()) return uri.status();
  auto driver = ForUri(*uri);
  if (!driver.ok()) return driver.status();
  return (*driver)->Connect(*uri);
}

void DriverLoader::LoadAll(std::vector<LoadedDriverInfo>* loaded, std::vector<DriverLoadFailure>* failed) {
  std::lock_guard<std::recursive_mutex> lock(mu_);
  std::set<std::string> seen_names;
  for (const auto& dir : search_path_) {
    std::error_code ec;
    if (!fs::is_directory(dir, ec)) continue;
    std::vector<std::string> files;
    for (const auto& entry : fs::directory_iterator(dir, ec)) {
      std::string fname = entry.path().filename().string();
      if (StartsWith(fname, kFilePrefix) && EndsWith(fname, kFileSuffix))
        files.push_back(entry.path().string());
    }
    std::sort(files.begin(), files.end());
    for (const auto& path : files) {
      std::string fname = fs::path(path).filename().string();
      std::string name =
          fname.substr(kFilePrefix.size(), fname.size() - kFilePrefix.size() - kFileSuffix.size());
      if (seen_names.count(name)) continue;  // an earlier directory wins
      if (auto it = plugins_.find(name); it != plugins_.end()) {
        seen_names.insert(name);
        loaded->push_back({it->second->driver->info(), it->second->path});
        continue;
      }
      auto plugin = LoadFile(path, name);
      if (!plugin.ok()) {
        failed->push_back({path, plugin.status().message()});
        continue;
      }
      seen_names.insert(name);
      loaded->push_back({(*plugin)->driver->info(), path});
    }
  }
}

}  // namespace cutover
