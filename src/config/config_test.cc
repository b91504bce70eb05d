#include "config/config.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

namespace cutover {
namespace {

std::string WriteTemp(const std::string& name, const std::string& text) {
  auto path = std::filesystem::temp_directory_path() / name;
  std::ofstream(path) << text;
  return path.string();
}

TEST(Config, LoadsEverySection) {
  auto path = WriteTemp("cutover-config-ok.toml", R"(
[targets.prod]
uri = "postgresql://app:pw@db/shop"
scratch = "postgresql://cutover@scratch/postgres"

[targets.local]
uri = "sqlite:shop.db"

[scratch]
uri = "postgresql://cutover@default-scratch/postgres"

[repository]
path = "/var/lib/cutover"

[drift]
ignore = ["public.audit_*", "*.tmp_*"]
ignore_column_order = true
privileges = true

[policy]
snapshot_max_age = "12h"
restore_test_max_age = "2d"
rehearsal_max_age = "90m"
max_blocked_ms = 250
max_statement_s = 60
max_backfill_s = 0
window = "2h"
lint_warnings = "fail"
allow_irreversible = true
)");
  auto c = LoadConfig(path);
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  EXPECT_EQ(c->targets.size(), 2u);
  EXPECT_EQ(*ResolveTargetUri(*c, "prod"), "postgresql://app:pw@db/shop");
  EXPECT_EQ(*ResolveTargetUri(*c, "sqlite:other.db"), "sqlite:other.db");
  EXPECT_EQ(*ResolveScratch(*c, "prod", std::nullopt), "postgresql://cutover@scratch/postgres");
  EXPECT_EQ(*ResolveScratch(*c, "local", std::nullopt), "postgresql://cutover@default-scratch/postgres");
  EXPECT_EQ(*ResolveScratch(*c, "prod", std::string("sqlite:///x")), "sqlite:///x");
  EXPECT_EQ(*c->repository, "/var/lib/cutover");
  EXPECT_EQ(c->drift_ignore.size(), 2u);
  EXPECT_TRUE(c->drift_ignore_column_order);
  EXPECT_TRUE(c->drift_privileges);
  const Policy& p = c->policy;
  EXPECT_EQ(p.snapshot_max_age_s, 12 * 3600);
  EXPECT_EQ(p.restore_test_max_age_s, 2 * 86400);
  EXPECT_EQ(p.rehearsal_max_age_s, 90 * 60);
  EXPECT_EQ(p.max_blocked_ms, 250);
  EXPECT_EQ(p.max_statement_s, 60);
  EXPECT_EQ(p.max_backfill_s, 0);
  EXPECT_EQ(p.window_s, 2 * 3600);
  EXPECT_TRUE(p.lint_warnings_fail);
  EXPECT_TRUE(p.allow_irreversible);
}

TEST(Config, PolicyDefaultsAreThoseDocumented) {
  auto path = WriteTemp("cutover-config-policy-defaults.toml", "[policy]\n");
  auto c = LoadConfig(path);
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  for (const Policy& p : {c->policy, Config{}.policy}) {
    EXPECT_EQ(p.snapshot_max_age_s, 24 * 3600);
    EXPECT_EQ(p.restore_test_max_age_s, 24 * 3600);
    EXPECT_EQ(p.rehearsal_max_age_s, 24 * 3600);
    EXPECT_EQ(p.max_blocked_ms, 1000);
    EXPECT_EQ(p.max_statement_s, 300);
    EXPECT_EQ(p.max_backfill_s, 3600);
    EXPECT_FALSE(p.window_s.has_value());
    EXPECT_FALSE(p.lint_warnings_fail);
    EXPECT_FALSE(p.allow_irreversible);
  }
}

TEST(Config, ErrorsNameFileAndLine) {
  struct Case {
    const char* text;
    const char* needle;
  } cases[] = {
      {"[targets.prod]\nuri = \"postgresql://a@b/c\"\nurl = \"x\"\n",
       ":3: unknown key 'url' in [targets.prod]"},
      {"[drift]\nignore = \"public.*\"\n", ":2: [drift] ignore must be an array"},
      {"[drift]\nignore_column_order = \"yes\"\n", ":2: [drift] ignore_column_order must be true or false"},
      {"[drift]\nprivileges = 1\n", ":2: [drift] privileges must be true or false"},
      // An unknown scheme is the loader's to refuse (no driver serves it,
      // cli_test); the config refuses what is not a URI at all.
      {"[targets.prod]\nuri = \"::x\"\n", ":2: [targets.prod] uri: "},
      {"[targets.prod]\nscratch = \"sqlite:x\"\n", "[targets.prod] has no uri"},
      {"[tragets.prod]\n", ":1: unknown key 'tragets'"},
      {"[scratch\nuri = 1\n", ":1:"},
      {"[policy]\nmax_lock_ms = 2000\n", ":2: unknown key 'max_lock_ms' in [policy]"},
      {"[policy]\nsnapshot_max_age = \"24 hours\"\n",
       ":2: [policy] snapshot_max_age: invalid duration '24 hours'"},
      {"[policy]\nwindow = 7200\n", ":2: [policy] window must be a duration string"},
      {"[policy]\nrehearsal_max_age = \"0s\"\n", ":2: [policy] rehearsal_max_age must be longer than 0"},
      {"[policy]\n\nmax_blocked_ms = -5\n", ":3: [policy] max_blocked_ms must be a whole number, 0 or more"},
      {"[policy]\nmax_statement_s = \"300\"\n", ":2: [policy] max_statement_s must be a whole number"},
      {"[policy]\nmax_backfill_s = 1.5\n", ":2: [policy] max_backfill_s must be a whole number"},
      // Found by the config fuzz target: a float too large for an integer
      // was converted (undefined behaviour) before it was refused.
      {"[policy]\nmax_blocked_ms = 1E300\n", ":2: [policy] max_blocked_ms must be a whole number"},
      {"[policy]\nlint_warnings = \"warn\"\n", ":2: [policy] lint_warnings must be \"allow\" or \"fail\""},
      {"[policy]\nallow_irreversible = \"yes\"\n", ":2: [policy] allow_irreversible must be true or false"},
      {"policy = 3\n", ":1: [policy] must be a table"},
  };
  int i = 0;
  for (const auto& c : cases) {
    auto path = WriteTemp("cutover-config-bad-" + std::to_string(i++) + ".toml", c.text);
    auto r = LoadConfig(path);
    ASSERT_FALSE(r.ok()) << c.text;
    EXPECT_EQ(r.status().code(), StatusCode::kInvalidInput);
    EXPECT_NE(r.status().message().find(path), std::string::npos) << r.status().message();
    EXPECT_NE(r.status().message().find(c.needle), std::string::npos) << r.status().message();
  }
  EXPECT_EQ(LoadConfig("/nonexistent/cutover.toml").status().code(), StatusCode::kNotFound);
}

TEST(Config, UnknownTargetNameIsInvalidInput) {
  Config c;
  c.targets["prod"] = {"sqlite:x.db", std::nullopt};
  auto r = ResolveTargetUri(c, "staging");
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("targets: prod"), std::string::npos) << r.status().message();
}

TEST(Config, PasswordsInTargetUrisNeverAppearInErrors) {
  auto path =
      WriteTemp("cutover-config-secret.toml", "[targets.p]\nuri = \"postgresql://u:hunter2@h:99999/db\"\n");
  auto r = LoadConfig(path);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().message().find("hunter2"), std::string::npos) << r.status().message();
}

}  // namespace
}  // namespace cutover
