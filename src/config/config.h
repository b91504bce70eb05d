// cutover.toml: named targets, the scratch server, the repository, drift
// ignores (docs/config.md).
//
// Loading is strict: an unknown section or key, a value of the wrong type or
// a malformed URI is an error naming the file and line, because a typo in a
// safety tool's config must not silently turn a check off.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "base/status.h"

namespace cutover {

struct TargetConfig {
  std::string uri;                     // may contain a password: never print it
  std::optional<std::string> scratch;  // scratch server for this target
};

struct Config {
  std::string source;  // the file it was read from; empty for the built-in defaults
  std::map<std::string, TargetConfig> targets;
  std::optional<std::string> scratch;     // default scratch server URI
  std::optional<std::string> repository;  // snapshot repository directory
  std::vector<std::string> drift_ignore;
  bool drift_ignore_column_order = false;
  std::vector<std::string> driver_path;
};

// Reads `path`. kNotFound if it does not exist, kInvalidInput (file:line) for
// anything malformed.
Result<Config> LoadConfig(const std::string& path);
// --config when given, else ./cutover.toml when present, else defaults.
Result<Config> LoadConfigOrDefault(const std::optional<std::string>& explicit_path);

// A TARGET argument is a URI, or the name of a [targets.NAME] entry.
Result<std::string> ResolveTargetUri(const Config& config, const std::string& target);
// The scratch server for a target: --scratch, the target's own, the default.
std::optional<std::string> ResolveScratch(const Config& config, const std::string& target,
                                          const std::optional<std::string>& flag);

}  // namespace cutover
