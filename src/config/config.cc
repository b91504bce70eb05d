#include "config/config.h"

#include <toml++/toml.h>

#include <filesystem>
#include <set>

#include "base/file_env.h"
#include "base/strings.h"
#include "base/uri.h"

namespace cutover {
namespace {

std::string Where(const std::string& path, const toml::node& node) {
  return path + ":" + std::to_string(node.source().begin.line);
}

Status UnknownKeys(const std::string& path, const toml::table& table, const std::set<std::string>& allowed,
                   const std::string& section) {
  for (const auto& [key, node] : table) {
    if (!allowed.count(std::string(key.str()))) {
      std::string known;
      for (const auto& a : allowed) known += (known.empty() ? "" : ", ") + a;
      return Status::InvalidInput(Where(path, node) + ": unknown key '" + std::string(key.str()) + "' in " +
                                  section + " (known: " + known + ")");
    }
  }
  return Status::Ok();
}

Result<std::string> GetString(const std::string& path, const toml::node& node, const std::string& name) {
  if (!node.is_string()) return Status::InvalidInput(Where(path, node) + ": " + name + " must be a string");
  return std::string(*node.value<std::string>());
}

Result<std::string> GetUri(const std::string& path, const toml::node& node, const std::string& name) {
  auto text = GetString(path, node, name);
  if (!text.ok()) return text;
  auto uri = ConnectionUri::Parse(*text);
  if (!uri.ok()) return Status::InvalidInput(Where(path, node) + ": " + name + ": " + uri.status().message());
  return text;
}

Result<std::vector<std::string>> GetStringList(const std::string& path, const toml::node& node,
                                               const std::string& name) {
  const toml::array* arr = node.as_array();
  if (arr == nullptr)
    return Status::InvalidInput(Where(path, node) + ": " + name + " must be an array of strings");
  std::vector<std::string> out;
  for (const auto& item : *arr) {
    if (!item.is_string())
      return Status::InvalidInput(Where(path, item) + ": " + name + " must contain strings only");
    out.emplace_back(*item.value<std::string>());
  }
  return out;
}

// A duration key: "90s", "30m", "24h", "2d".
Result<std::int64_t> GetDuration(const std::string& path, const toml::node& node, const std::string& name) {
  auto text = GetString(path, node, name);
  if (!text.ok()) {
    return Status::InvalidInput(Where(path, node) + ": " + name +
                                " must be a duration string such as \"24h\"");
  }
  auto seconds = ParseDurationSeconds(*text);
  if (!seconds.ok())
    return Status::InvalidInput(Where(path, node) + ": " + name + ": " + seconds.status().message());
  if (*seconds <= 0) return Status::InvalidInput(Where(path, node) + ": " + name + " must be longer than 0");
  return seconds;
}

// A count key (milliseconds or seconds): a whole number, 0 or more.
Result<std::int64_t> GetCount(const std::string& path, const toml::node& node, const std::string& name) {
  // value<int64_t>() of a float converts it, which is undefined for 1e300
  // (found by the config fuzz target): ask for an integer first.
  const std::optional<std::int64_t> v = node.is_integer() ? node.value<std::int64_t>() : std::nullopt;
  if (!v || *v < 0) {
    return Status::InvalidInput(Where(path, node) + ": " + name + " must be a whole number, 0 or more");
  }
  return *v;
}

Result<bool> GetBool(const std::string& path, const toml::node& node, const std::string& name) {
  if (!node.is_boolean())
    return Status::InvalidInput(Where(path, node) + ": " + name + " must be true or false");
  return *node.value<bool>();
}

Result<Policy> ParsePolicy(const std::string& path, const toml::table& t) {
  CUTOVER_RETURN_IF_ERROR(
      UnknownKeys(path, t,
                  {"snapshot_max_age", "restore_test_max_age", "rehearsal_max_age", "max_blocked_ms",
                   "max_statement_s", "max_backfill_s", "window", "lint_warnings", "allow_irreversible"},
                  "[policy]"));
  Policy p;
  const std::pair<const char*, std::int64_t*> durations[] = {
      {"snapshot_max_age", &p.snapshot_max_age_s},
      {"restore_test_max_age", &p.restore_test_max_age_s},
      {"rehearsal_max_age", &p.rehearsal_max_age_s}};
  for (const auto& [key, field] : durations) {
    if (const toml::node* n = t.get(key)) {
      auto v = GetDuration(path, *n, std::string("[policy] ") + key);
      if (!v.ok()) return v.status();
      *field = *v;
    }
  }
  const std::pair<const char*, std::int64_t*> counts[] = {{"max_blocked_ms", &p.max_blocked_ms},
                                                          {"max_statement_s", &p.max_statement_s},
                                                          {"max_backfill_s", &p.max_backfill_s}};
  for (const auto& [key, field] : counts) {
    if (const toml::node* n = t.get(key)) {
      auto v = GetCount(path, *n, std::string("[policy] ") + key);
      if (!v.ok()) return v.status();
      *field = *v;
    }
  }
  if (const toml::node* n = t.get("window")) {
    auto v = GetDuration(path, *n, "[policy] window");
    if (!v.ok()) return v.status();
    p.window_s = *v;
  }
  if (const toml::node* n = t.get("lint_warnings")) {
    auto v = GetString(path, *n, "[policy] lint_warnings");
    if (!v.ok() || (*v != "allow" && *v != "fail")) {
      return Status::InvalidInput(Where(path, *n) + ": [policy] lint_warnings must be \"allow\" or \"fail\"");
    }
    p.lint_warnings_fail = *v == "fail";
  }
  if (const toml::node* n = t.get("allow_irreversible")) {
    auto v = GetBool(path, *n, "[policy] allow_irreversible");
    if (!v.ok()) return v.status();
    p.allow_irreversible = *v;
  }
  return p;
}

}  // namespace

Result<Config> LoadConfig(const std::string& path) {
  auto file_text = Env::Default().ReadFile(path, std::uint64_t{64} << 20);
  if (!file_text.ok()) {
    if (file_text.status().code() == StatusCode::kNotFound)
      return Status::NotFound(path + ": config file not found");
    return file_text.status();
  }
  return ParseConfig(*file_text, path);
}

Result<Config> ParseConfig(std::string_view toml_text, const std::string& path) {
  toml::table root;
  try {
    root = toml::parse(toml_text, path);
  } catch (const toml::parse_error& e) {
    return Status::InvalidInput(path + ":" + std::to_string(e.source().begin.line) + ": " +
                                std::string(e.description()));
  }
  Config config;
  config.source = path;
  CUTOVER_RETURN_IF_ERROR(
      UnknownKeys(path, root, {"targets", "scratch", "repository", "drift", "drivers", "policy", "audit"},
                  "the top level"));

  if (const toml::node* targets = root.get("targets")) {
    const toml::table* t = targets->as_table();
    if (t == nullptr) return Status::InvalidInput(Where(path, *targets) + ": [targets] must be a table");
    for (const auto& [name, node] : *t) {
      const toml::table* target = node.as_table();
      const std::string section = "[targets." + std::string(name.str()) + "]";
      if (target == nullptr)
        return Status::InvalidInput(Where(path, node) + ": " + section + " must be a table");
      CUTOVER_RETURN_IF_ERROR(UnknownKeys(path, *target, {"uri", "scratch"}, section));
      TargetConfig tc;
      const toml::node* uri = target->get("uri");
      if (uri == nullptr) return Status::InvalidInput(Where(path, node) + ": " + section + " has no uri");
      auto text = GetUri(path, *uri, section + " uri");
      if (!text.ok()) return text.status();
      tc.uri = *text;
      if (const toml::node* scratch = target->get("scratch")) {
        auto s = GetUri(path, *scratch, section + " scratch");
        if (!s.ok()) return s.status();
        tc.scratch = *s;
      }
      config.targets[std::string(name.str())] = tc;
    }
  }
  if (const toml::node* scratch = root.get("scratch")) {
    const toml::table* t = scratch->as_table();
    if (t == nullptr) return Status::InvalidInput(Where(path, *scratch) + ": [scratch] must be a table");
    CUTOVER_RETURN_IF_ERROR(UnknownKeys(path, *t, {"uri"}, "[scratch]"));
    if (const toml::node* uri = t->get("uri")) {
      auto s = GetUri(path, *uri, "[scratch] uri");
      if (!s.ok()) return s.status();
      config.scratch = *s;
    }
  }
  if (const toml::node* repo = root.get("repository")) {
    const toml::table* t = repo->as_table();
    if (t == nullptr) return Status::InvalidInput(Where(path, *repo) + ": [repository] must be a table");
    CUTOVER_RETURN_IF_ERROR(UnknownKeys(path, *t, {"path"}, "[repository]"));
    if (const toml::node* p = t->get("path")) {
      auto s = GetString(path, *p, "[repository] path");
      if (!s.ok()) return s.status();
      config.repository = *s;
    }
  }
  if (const toml::node* drift = root.get("drift")) {
    const toml::table* t = drift->as_table();
    if (t == nullptr) return Status::InvalidInput(Where(path, *drift) + ": [drift] must be a table");
    CUTOVER_RETURN_IF_ERROR(
        UnknownKeys(path, *t, {"ignore", "ignore_column_order", "privileges"}, "[drift]"));
    if (const toml::node* ignore = t->get("ignore")) {
      auto list = GetStringList(path, *ignore, "[drift] ignore");
      if (!list.ok()) return list.status();
      config.drift_ignore = *list;
    }
    if (const toml::node* order = t->get("ignore_column_order")) {
      if (!order->is_boolean()) {
        return Status::InvalidInput(Where(path, *order) +
                                    ": [drift] ignore_column_order must be true or false");
      }
      config.drift_ignore_column_order = *order->value<bool>();
    }
    if (const toml::node* privileges = t->get("privileges")) {
      if (!privileges->is_boolean()) {
        return Status::InvalidInput(Where(path, *privileges) + ": [drift] privileges must be true or false");
      }
      config.drift_privileges = *privileges->value<bool>();
    }
  }
  if (const toml::node* drivers = root.get("drivers")) {
    const toml::table* t = drivers->as_table();
    if (t == nullptr) return Status::InvalidInput(Where(path, *drivers) + ": [drivers] must be a table");
    CUTOVER_RETURN_IF_ERROR(UnknownKeys(path, *t, {"path"}, "[drivers]"));
    if (const toml::node* p = t->get("path")) {
      auto list = GetStringList(path, *p, "[drivers] path");
      if (!list.ok()) return list.status();
      config.driver_path = *list;
    }
  }
  if (const toml::node* policy = root.get("policy")) {
    const toml::table* t = policy->as_table();
    if (t == nullptr) return Status::InvalidInput(Where(path, *policy) + ": [policy] must be a table");
    auto parsed = ParsePolicy(path, *t);
    if (!parsed.ok()) return parsed.status();
    config.policy = *parsed;
  }
  if (const toml::node* audit = root.get("audit")) {
    const toml::table* t = audit->as_table();
    if (t == nullptr) return Status::InvalidInput(Where(path, *audit) + ": [audit] must be a table");
    CUTOVER_RETURN_IF_ERROR(UnknownKeys(path, *t, {"key_file"}, "[audit]"));
    if (const toml::node* k = t->get("key_file")) {
      auto s = GetString(path, *k, "[audit] key_file");
      if (!s.ok()) return s.status();
      if (s->empty()) return Status::InvalidInput(Where(path, *k) + ": [audit] key_file is empty");
      std::filesystem::path key(*s);
      if (key.is_relative()) key = std::filesystem::path(path).parent_path() / key;
      config.audit_key_file = key.string();
    }
  }
  return config;
}

Result<Config> LoadConfigOrDefault(const std::optional<std::string>& explicit_path) {
  if (explicit_path) return LoadConfig(*explicit_path);
  if (Env::Default().Exists("cutover.toml")) return LoadConfig("cutover.toml");
  return Config{};
}

Result<std::string> ResolveTargetUri(const Config& config, const std::string& target) {
  if (auto it = config.targets.find(target); it != config.targets.end()) return it->second.uri;
  if (target.find(':') != std::string::npos) {
    auto uri = ConnectionUri::Parse(target);
    if (!uri.ok()) return uri.status();
    return target;
  }
  std::string known;
  for (const auto& [name, t] : config.targets) known += (known.empty() ? "" : ", ") + name;
  return Status::InvalidInput(
      "'" + target + "' is neither a connection URI nor a target in " +
      (config.source.empty() ? std::string("the config (no cutover.toml found)") : config.source) +
      (known.empty() ? "" : " (targets: " + known + ")"));
}

std::optional<std::string> ResolveScratch(const Config& config, const std::string& target,
                                          const std::optional<std::string>& flag) {
  if (flag) return flag;
  if (auto it = config.targets.find(target); it != config.targets.end() && it->second.scratch) {
    return it->second.scratch;
  }
  return config.scratch;
}

}  // namespace cutover
