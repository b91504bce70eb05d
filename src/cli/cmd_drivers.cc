// cutover drivers: which driver plugins load, their versions, the search path.
#include <iostream>
#include <nlohmann/json.hpp>

#include "cli/commands.h"

namespace cutover::cli {

int RunDrivers(CommandContext& ctx) {
  std::vector<LoadedDriverInfo> loaded;
  std::vector<DriverLoadFailure> failed;
  ctx.loader().LoadAll(&loaded, &failed);
  if (ctx.json()) {
    nlohmann::ordered_json doc;
    doc["format"] = "cutover.drivers";
    doc["version"] = 1;
    doc["interface_version"] = kDriverApiVersion;
    doc["search_path"] = ctx.loader().search_path();
    auto& drivers = doc["drivers"] = nlohmann::ordered_json::array();
    for (const auto& d : loaded) {
      drivers.push_back({{"name", d.info.name},
                         {"schemes", d.info.schemes},
                         {"version", d.info.driver_version},
                         {"client_library", d.info.client_library},
                         {"path", d.path}});
    }
    auto& failures = doc["failed"] = nlohmann::ordered_json::array();
    for (const auto& f : failed) failures.push_back({{"path", f.path}, {"reason", f.reason}});
    std::cout << doc.dump(2) << "\n";
  } else {
    std::cout << "Drivers (interface version " << kDriverApiVersion << "):\n";
    if (loaded.empty()) std::cout << "  none found\n";
    for (const auto& d : loaded) {
      std::string schemes;
      for (const auto& s : d.info.schemes) schemes += (schemes.empty() ? "" : ", ") + s + "://";
      std::cout << "  " << d.info.name << " " << d.info.driver_version << "  [" << schemes << "]\n"
                << "      client: " << d.info.client_library << "\n"
                << "      file:   " << d.path << "\n";
    }
    for (const auto& f : failed) std::cout << "  FAILED " << f.path << ": " << f.reason << "\n";
    std::cout << "Search path (first match wins):\n";
    for (const auto& p : ctx.loader().search_path()) std::cout << "  " << p << "\n";
  }
  // Every plugin file found must load: a broken one is a packaging error.
  return failed.empty() && !loaded.empty() ? 0 : 3;
}

}  // namespace cutover::cli
