// cutover.toml: named targets, the scratch server, the repository, drift
// ignores, the gate's policy (docs/quickstart.md, "Configuration: cutover.toml";
// docs/gate.md for [policy]).
//
// Loading is strict: an unknown section or key, a value of the wrong type or
// a malformed URI is an error naming the file and line, because a typo in a
// safety tool's config must not silently turn a check off.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"

namespace cutover {

struct TargetConfig {
  std::string uri;                     // may contain a password: never print it
  std::optional<std::string> scratch;  // scratch server for this target
};

// [policy]: what the GO / NO-GO gate requires (docs/gate.md, where each
// default is explained). The defaults below apply to every key not set.
struct Policy {
  std::int64_t snapshot_max_age_s = 24 * 3600;
  std::int64_t restore_test_max_age_s = 24 * 3600;
  std::int64_t rehearsal_max_age_s = 24 * 3600;
  std::int64_t max_blocked_ms = 1000;  // per statement, read and write, scaled to production
  std::int64_t max_statement_s = 300;
  std::int64_t max_backfill_s = 3600;
  std::optional<std::int64_t> window_s;  // none: the window check is not made
  bool lint_warnings_fail = false;       // lint_warnings = "fail"
  bool allow_irreversible = false;
};

struct Config {
  std::string source;  // the file it was read from; empty for the built-in defaults
  std::map<std::string, TargetConfig> targets;
  std::optional<std::string> scratch;     // default scratch server URI
  std::optional<std::string> repository;  // snapshot repository directory
  std::vector<std::string> drift_ignore;
  bool drift_ignore_column_order = false;
  bool drift_privileges = false;  // [drift] privileges: what drift --with-privileges does
  std::vector<std::string> driver_path;
  Policy policy;
  // [audit] key_file: the HMAC key of the audit log (audit/audit_log.h). A
  // relative path is resolved against the config file's directory.
  std::optional<std::string> audit_key_file;
};

// Reads `path`. kNotFound if it does not exist, kInvalidInput (file:line) for
// anything malformed.
Result<Config> LoadConfig(const std::string& path);
// The same for text already read; `path` names it in messages and anchors
// relative paths (key_file).
Result<Config> ParseConfig(std::string_view text, const std::string& path);
// --config when given, else ./cutover.toml when present, else defaults.
Result<Config> LoadConfigOrDefault(const std::optional<std::string>& explicit_path);

// A TARGET argument is a URI, or the name of a [targets.NAME] entry.
Result<std::string> ResolveTargetUri(const Config& config, const std::string& target);
// The scratch server for a target: --scratch, the target's own, the default.
std::optional<std::string> ResolveScratch(const Config& config, const std::string& target,
                                          const std::optional<std::string>& flag);

}  // namespace cutover
