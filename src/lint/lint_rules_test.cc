// The rule registry and docs/lint-rules.md kept in step, the engine-independent
// lint behaviour (ignores, --from, which tables count as new), and the three
// output formats.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <regex>
#include <set>

#include "base/strings.h"
#include "lint/lint.h"
#include "lint/lint_test_util.h"
#include "lint_xml_check.h"
#include "support/test_env.h"

namespace cutover::lint {
namespace {

using plan::Engine;
using testutil::Counted;
using testutil::LintFiles;

TEST(Rules, IdsAreUniqueWellFormedAndExplained) {
  std::set<std::string_view> ids;
  const std::regex id_pattern("(PLAN|EXP|CON|PG|MY|SQ)[0-9]{3}");
  for (const Rule& r : AllRules()) {
    EXPECT_TRUE(ids.insert(r.id).second) << "duplicate id " << r.id;
    EXPECT_TRUE(std::regex_match(std::string(r.id), id_pattern)) << r.id;
    EXPECT_GT(r.title.size(), 10u) << r.id;
    EXPECT_GT(r.why.size(), 60u) << r.id << ": say which lock, rewrite or breakage";
    EXPECT_GT(r.fix.size(), 30u) << r.id << ": give the safe alternative";
    EXPECT_EQ(FindRule(r.id), &r);
    const bool engine_rule = StartsWith(r.id, "PG") || StartsWith(r.id, "MY") || StartsWith(r.id, "SQ");
    EXPECT_EQ(engine_rule, r.scope != RuleScope::kAll) << r.id;
  }
  EXPECT_EQ(FindRule("PG999"), nullptr);
  EXPECT_GE(ids.size(), 40u);
}

// docs/lint-rules.md has a section per rule ("### ID: title") with its
// severity, why, a bad and a good example; and documents no rule that does
// not exist.
TEST(Rules, EveryRuleIsDocumentedWithBadAndGoodExamples) {
  const std::string doc = testing::ReadFileOrDie(testing::SourceDir() + "/docs/lint-rules.md");
  std::map<std::string, std::string> sections;
  const std::regex heading("^### ([A-Z]+[0-9]+): ", std::regex::multiline);
  std::vector<std::pair<std::string, size_t>> starts;
  for (auto it = std::sregex_iterator(doc.begin(), doc.end(), heading); it != std::sregex_iterator(); ++it) {
    starts.emplace_back((*it)[1].str(), static_cast<size_t>(it->position()));
  }
  for (size_t i = 0; i < starts.size(); ++i) {
    size_t end = i + 1 < starts.size() ? starts[i + 1].second : doc.size();
    size_t next_h2 = doc.find("\n## ", starts[i].second);
    if (next_h2 != std::string::npos && next_h2 < end) end = next_h2;
    EXPECT_TRUE(
        sections.emplace(starts[i].first, doc.substr(starts[i].second, end - starts[i].second)).second)
        << starts[i].first << " is documented twice";
  }
  for (const Rule& r : AllRules()) {
    const std::string id(r.id);
    auto it = sections.find(id);
    if (it == sections.end()) {
      ADD_FAILURE() << id << " is not documented in docs/lint-rules.md (a '### " << id << ": ...' section)";
      continue;
    }
    const std::string& s = it->second;
    EXPECT_NE(s.find("Severity: " + std::string(SeverityName(r.severity))), std::string::npos) << id;
    EXPECT_NE(s.find("**Why**"), std::string::npos) << id;
    EXPECT_NE(s.find("**Bad**"), std::string::npos) << id;
    EXPECT_NE(s.find("**Good**"), std::string::npos) << id;
    size_t blocks = 0;
    for (size_t p = s.find("```sql"); p != std::string::npos; p = s.find("```sql", p + 1)) ++blocks;
    EXPECT_GE(blocks, 2u) << id << ": needs a bad and a good ```sql example";
  }
  for (const auto& [id, s] : sections)
    EXPECT_NE(FindRule(id), nullptr) << id << " is documented but not a rule";
}

// ---- Engine-independent behaviour ----------------------------------------------

TEST(Lint, IgnoredFindingsStayInTheReportWithTheirReason) {
  auto r = LintFiles(Engine::kPostgreSql,
                     {{"0001_a/expand.sql",
                       "-- cutover:lock-timeout 2s\n-- cutover:ignore PG001 orders has twelve rows\n"
                       "CREATE INDEX i ON orders (a);\n"},
                      {"0001_a/rollback.sql", "DROP INDEX i;"}});
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  ASSERT_EQ(r->findings.size(), 1u);
  EXPECT_TRUE(r->findings[0].ignored);
  EXPECT_EQ(r->findings[0].ignore_reason, "orders has twelve rows");
  EXPECT_EQ(r->errors(), 0);
  EXPECT_EQ(r->ignored(), 1);
  EXPECT_NE(
      LintReportText(*r).find("ignored by directive:\n  0001_a/expand.sql:3: PG001 (orders has twelve rows)"),
      std::string::npos);
}

TEST(Lint, IgnoringAnUnknownRuleOrARuleOfAnotherEngineIsABadPlan) {
  auto unknown = LintFiles(Engine::kPostgreSql,
                           {{"0001_a/expand.sql", "SELECT 1;\n-- cutover:ignore PG999 typo\nSELECT 2;"}});
  ASSERT_FALSE(unknown.ok());
  EXPECT_EQ(unknown.status().code(), StatusCode::kInvalidInput);
  EXPECT_EQ(unknown.status().message(),
            "0001_a/expand.sql:2: cutover:ignore names unknown rule PG999 (rules: docs/lint-rules.md)");
  auto other =
      LintFiles(Engine::kPostgreSql, {{"0001_a/expand.sql", "-- cutover:ignore MY001 copied\nSELECT 1;"}});
  ASSERT_FALSE(other.ok());
  EXPECT_EQ(
      other.status().message(),
      "0001_a/expand.sql:1: cutover:ignore names MY001, a rule of another engine; this plan is linted as "
      "postgresql");
}

TEST(Lint, CompatibilityRulesOnlyExemptTablesOfTheSameMigration) {
  // Lock rules skip a table created anywhere earlier in the plan; but the
  // previous app version may already use a table an earlier migration made.
  auto r = LintFiles(Engine::kPostgreSql,
                     {{"0001_create/expand.sql", "CREATE TABLE coupons (id bigint, code text);"},
                      {"0001_create/rollback.sql", "DROP TABLE coupons;"},
                      {"0002_drop_code/expand.sql", "ALTER TABLE coupons DROP COLUMN code;"},
                      {"0002_drop_code/rollback.sql", "ALTER TABLE coupons ADD COLUMN code text;"}});
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(Counted(*r), (std::vector<std::string>{"EXP002@0002_drop_code/expand.sql:1"}));
}

TEST(Lint, FromTreatsTablesOfEarlierMigrationsAsExisting) {
  testutil::Files files = {
      {"0001_create/expand.sql", "CREATE TABLE coupons (id bigint, code text);"},
      {"0001_create/rollback.sql", "DROP TABLE coupons;"},
      {"0002_index/expand.sql", "-- cutover:lock-timeout 2s\nCREATE INDEX c ON coupons (code);"},
      {"0002_index/rollback.sql", "DROP INDEX c;"}};
  auto all = LintFiles(Engine::kPostgreSql, files);
  ASSERT_TRUE(all.ok()) << all.status().ToString();
  EXPECT_TRUE(Counted(*all).empty());
  EXPECT_EQ(all->migrations, 2);

  LintOptions from;
  from.from = "0002_index";
  auto later = LintFiles(Engine::kPostgreSql, files, from);
  ASSERT_TRUE(later.ok()) << later.status().ToString();
  EXPECT_EQ(Counted(*later), (std::vector<std::string>{"PG001@0002_index/expand.sql:2"}));
  EXPECT_EQ(later->migrations, 1);

  from.from = "0003_nope";
  auto bad = LintFiles(Engine::kPostgreSql, files, from);
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.status().message().find("--from 0003_nope: no migration of that name"), std::string::npos);
}

TEST(Lint, RulesOfCheckAndCompatFilesAreQueriesOnly) {
  // Engine lock rules do not apply to checks.sql; its own rule does.
  auto r = LintFiles(Engine::kPostgreSql, {{"0001_a/expand.sql", "SELECT 1;"},
                                           {"0001_a/rollback.sql", ""},
                                           {"0001_a/checks.sql", "CREATE INDEX i ON orders (a);"}});
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(Counted(*r), (std::vector<std::string>{"PLAN006@0001_a/checks.sql:1"}));
}

// ---- Output formats --------------------------------------------------------------

Result<LintReport> MixedReport() {
  return LintFiles(Engine::kPostgreSql, {{"0001_index/expand.sql",
                                          "-- cutover:lock-timeout 2s\n"
                                          "CREATE INDEX \"odd <name> & 'quotes'\" ON orders (a);\n"
                                          "-- cutover:ignore EXP008 tiny table\n"
                                          "UPDATE settings SET v = 'x' WHERE k = '\"<&>\"';\n"},
                                         {"0002_clean/expand.sql", "CREATE TABLE t (id int);"},
                                         {"0002_clean/rollback.sql", "DROP TABLE t;"}});
}

TEST(Output, TextNamesFileLineRuleStatementWhyAndFix) {
  auto r = MixedReport();
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  const std::string text = LintReportText(*r);
  EXPECT_NE(
      text.find(
          "0001_index/expand.sql:2: error PG001: CREATE INDEX builds index odd <name> & 'quotes' on "
          "orders under a SHARE lock\n    CREATE INDEX \"odd <name> & 'quotes'\" ON orders (a)\n    why: "),
      std::string::npos)
      << text;
  EXPECT_NE(text.find("0001_index/rollback.sql: error PLAN001: "), std::string::npos) << text;
  EXPECT_NE(text.find("    fix: CREATE INDEX CONCURRENTLY"), std::string::npos) << text;
  EXPECT_NE(text.find("cutover lint (postgresql): 2 errors, 1 warning, 1 ignored in 2 migrations (3 files, 4 "
                      "statements)"),
            std::string::npos)
      << text;
}

TEST(Output, JsonCarriesEveryFinding) {
  auto r = MixedReport();
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  auto doc = nlohmann::json::parse(LintReportJson(*r));
  EXPECT_EQ(doc["format"], "cutover.lint");
  EXPECT_EQ(doc["version"], 1);
  EXPECT_EQ(doc["engine"], "postgresql");
  EXPECT_EQ(doc["summary"]["errors"], 2);
  EXPECT_EQ(doc["summary"]["warnings"], 1);
  EXPECT_EQ(doc["summary"]["ignored"], 1);
  ASSERT_EQ(doc["findings"].size(), 4u);
  const auto& f = doc["findings"][0];
  EXPECT_EQ(f["rule"], "PLAN001");
  const auto& pg = doc["findings"][1];
  EXPECT_EQ(pg["rule"], "PG001");
  EXPECT_EQ(pg["severity"], "error");
  EXPECT_EQ(pg["file"], "0001_index/expand.sql");
  EXPECT_EQ(pg["line"], 2);
  EXPECT_EQ(pg["migration"], "0001_index");
  EXPECT_EQ(pg["statement"], "CREATE INDEX \"odd <name> & 'quotes'\" ON orders (a)");
  EXPECT_FALSE(pg["why"].get<std::string>().empty());
  EXPECT_FALSE(pg["fix"].get<std::string>().empty());
  EXPECT_EQ(doc["findings"][2]["rule"], "EXP008");
  EXPECT_EQ(doc["findings"][2]["ignored"], true);
  EXPECT_EQ(doc["findings"][2]["ignore_reason"], "tiny table");
  EXPECT_EQ(doc["findings"][3]["rule"], "PG011");
  EXPECT_EQ(doc["findings"][3]["ignored"], false);
}

TEST(Output, JunitIsWellFormedWithOneFailurePerError) {
  auto r = MixedReport();
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  const std::string xml = LintReportJunit(*r);
  testing::XmlCheck check(xml);
  ASSERT_EQ(check.Run(), "") << xml;
  auto root = check.Elements("testsuites");
  ASSERT_EQ(root.size(), 1u);
  EXPECT_EQ(root[0]["failures"], "2");
  EXPECT_EQ(root[0]["skipped"], "1");
  EXPECT_EQ(check.counts().at("failure"), 2);
  EXPECT_EQ(check.counts().at("skipped"), 1);
  EXPECT_EQ(check.counts().at("system-out"), 1);  // the warning
  std::set<std::string> suites;
  for (auto& s : check.Elements("testsuite")) suites.insert(s["name"]);
  EXPECT_EQ(suites, (std::set<std::string>{"0001_index/expand.sql", "0001_index/rollback.sql",
                                           "0002_clean/expand.sql", "0002_clean/rollback.sql"}));
  bool found = false;
  for (auto& tc : check.Elements("testcase")) {
    if (tc["name"].find("odd <name> & 'quotes'") != std::string::npos) {
      found = true;
      EXPECT_EQ(tc["file"], "0001_index/expand.sql");
      EXPECT_EQ(tc["line"], "2");
    }
  }
  EXPECT_TRUE(found) << xml;
}

// The structure SARIF 2.1.0 requires of what cutover writes (the schema's
// required properties and value sets, checked by hand: no schema download).
// Returns what is wrong, or "".
std::string SarifStructureProblem(const nlohmann::json& doc) {
  auto is_str = [](const nlohmann::json& j, const char* key) {
    return j.contains(key) && j[key].is_string();
  };
  if (doc.value("$schema", "") != "https://json.schemastore.org/sarif-2.1.0.json") return "$schema";
  if (doc.value("version", "") != "2.1.0") return "version";
  if (!doc.contains("runs") || !doc["runs"].is_array() || doc["runs"].size() != 1) return "runs";
  const auto& run = doc["runs"][0];
  if (!run.contains("tool") || !run["tool"].contains("driver")) return "tool.driver";
  const auto& driver = run["tool"]["driver"];
  if (!is_str(driver, "name") || !is_str(driver, "version") || !is_str(driver, "informationUri"))
    return "driver name/version/informationUri";
  std::set<std::string> rule_ids;
  for (const auto& rule : driver.at("rules")) {
    if (!is_str(rule, "id") || !rule_ids.insert(rule["id"].get<std::string>()).second) return "rule id";
    for (const char* k : {"shortDescription", "fullDescription", "help"})
      if (!rule.contains(k) || !is_str(rule[k], "text") || rule[k]["text"].get<std::string>().empty())
        return std::string("rule ") + k;
    const std::string level = rule["defaultConfiguration"].value("level", "");
    if (level != "error" && level != "warning" && level != "note") return "rule level";
  }
  if (!run.contains("results") || !run["results"].is_array()) return "results";
  for (const auto& res : run["results"]) {
    if (!is_str(res, "ruleId") || rule_ids.count(res["ruleId"].get<std::string>()) == 0)
      return "result ruleId";
    const auto& rule = driver["rules"].at(res.at("ruleIndex").get<size_t>());
    if (rule["id"] != res["ruleId"]) return "result ruleIndex";
    const std::string level = res.value("level", "");
    if (level != "error" && level != "warning" && level != "note") return "result level";
    if (!res.contains("message") || !is_str(res["message"], "text")) return "result message";
    for (const auto& loc : res.at("locations")) {
      const auto& phys = loc.at("physicalLocation");
      if (!is_str(phys.at("artifactLocation"), "uri")) return "artifactLocation.uri";
      const std::string uri = phys["artifactLocation"]["uri"];
      for (char c : uri)
        if (c == ' ' || c == '#' || c == '?' || c == '\\' || static_cast<unsigned char>(c) >= 0x80)
          return "uri not encoded: " + uri;
      if (phys.contains("region") && phys["region"].at("startLine").get<int>() < 1) return "startLine";
    }
    if (res.contains("suppressions")) {
      for (const auto& sup : res["suppressions"])
        if (sup.value("kind", "") != "inSource" || !is_str(sup, "justification")) return "suppression";
    }
  }
  return "";
}

std::string PercentDecode(const std::string& s) {
  std::string out;
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '%' && i + 2 < s.size()) {
      out += static_cast<char>(std::stoi(s.substr(i + 1, 2), nullptr, 16));
      i += 2;
    } else {
      out += s[i];
    }
  }
  return out;
}

TEST(Output, SarifHasTheRequiredStructureRulesAndSuppressions) {
  auto r = MixedReport();
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  SarifOptions options;
  options.tool_version = "9.8.7";
  options.information_uri = "https://example.org/cutover";
  options.uri_prefix = "db/plan";
  const std::string text = LintReportSarif(*r, options);
  auto doc = nlohmann::json::parse(text);
  ASSERT_EQ(SarifStructureProblem(doc), "") << text;
  const auto& run = doc["runs"][0];
  EXPECT_EQ(run["tool"]["driver"]["name"], "cutover");
  EXPECT_EQ(run["tool"]["driver"]["version"], "9.8.7");
  // Every rule that appears, once, with its why and fix; none that does not.
  std::vector<std::string> rules;
  for (const auto& rule : run["tool"]["driver"]["rules"]) rules.push_back(rule["id"]);
  EXPECT_EQ(rules, (std::vector<std::string>{"PLAN001", "PG001", "EXP008", "PG011"}));
  const Rule* pg001 = FindRule("PG001");
  const auto& rule = run["tool"]["driver"]["rules"][1];
  EXPECT_EQ(rule["shortDescription"]["text"], std::string(pg001->title));
  EXPECT_EQ(rule["fullDescription"]["text"], std::string(pg001->why));
  EXPECT_EQ(rule["help"]["text"], "fix: " + std::string(pg001->fix));
  EXPECT_EQ(rule["defaultConfiguration"]["level"], "error");

  const auto& results = run["results"];
  ASSERT_EQ(results.size(), 4u);
  // PLAN001 concerns the whole migration: a location without a region.
  EXPECT_EQ(results[0]["locations"][0]["physicalLocation"]["artifactLocation"]["uri"],
            "db/plan/0001_index/rollback.sql");
  EXPECT_FALSE(results[0]["locations"][0]["physicalLocation"].contains("region"));
  EXPECT_EQ(results[1]["ruleId"], "PG001");
  EXPECT_EQ(results[1]["level"], "error");
  EXPECT_EQ(results[1]["locations"][0]["physicalLocation"]["artifactLocation"]["uri"],
            "db/plan/0001_index/expand.sql");
  EXPECT_EQ(results[1]["locations"][0]["physicalLocation"]["region"]["startLine"], 2);
  EXPECT_FALSE(results[1].contains("suppressions"));
  EXPECT_EQ(results[2]["ruleId"], "EXP008");
  ASSERT_EQ(results[2]["suppressions"].size(), 1u);
  EXPECT_EQ(results[2]["suppressions"][0]["kind"], "inSource");
  EXPECT_EQ(results[2]["suppressions"][0]["justification"], "tiny table");
  EXPECT_EQ(results[3]["level"], "warning");
  EXPECT_FALSE(results[3].contains("suppressions"));
}

TEST(Output, SarifRoundTripsHostileMessagesAndPaths) {
  LintReport report;
  report.engine = Engine::kPostgreSql;
  Finding f;
  f.rule = FindRule("PG001");
  f.migration = "0001_\"odd\"";
  f.file = "0001_\"odd\" dir #1?/ex%20pand ✓.sql";
  f.line = 7;
  f.statement = "CREATE INDEX \"a\nb\" ON t (c)";
  f.message = "index \"q\" <b>&amp;</b>\nsecond line \\ tab\t ✓ \xF0\x9F\x90\x98";
  report.findings.push_back(f);
  f.ignored = true;
  f.ignore_reason = "reason with \"quotes\", <tags>\nand a newline";
  report.findings.push_back(f);
  SarifOptions options;
  options.tool_version = "1";
  options.information_uri = "https://example.org/";
  options.uri_prefix = "plans/ü ber";
  auto doc = nlohmann::json::parse(LintReportSarif(report, options));
  ASSERT_EQ(SarifStructureProblem(doc), "") << doc.dump(2);
  const auto& results = doc["runs"][0]["results"];
  ASSERT_EQ(results.size(), 2u);
  EXPECT_EQ(results[0]["message"]["text"], f.message);
  const std::string uri = results[0]["locations"][0]["physicalLocation"]["artifactLocation"]["uri"];
  EXPECT_EQ(PercentDecode(uri), "plans/ü ber/" + f.file) << uri;
  EXPECT_EQ(results[0]["properties"]["statement"], f.statement);
  EXPECT_EQ(results[1]["suppressions"][0]["justification"], f.ignore_reason);
  EXPECT_EQ(doc["runs"][0]["tool"]["driver"]["rules"].size(), 1u);

  // No prefix ("." or empty): the plan-relative path as it is.
  options.uri_prefix = "";
  auto plain = nlohmann::json::parse(LintReportSarif(report, options));
  EXPECT_EQ(
      PercentDecode(
          plain["runs"][0]["results"][0]["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]),
      f.file);
  EXPECT_EQ(FindingPath("", "a/b.sql"), "a/b.sql");
  EXPECT_EQ(FindingPath(".", "a/b.sql"), "a/b.sql");
  EXPECT_EQ(FindingPath("x/", "a/b.sql"), "x/a/b.sql");
  EXPECT_EQ(FindingPath("x", "a/b.sql"), "x/a/b.sql");
}

TEST(Output, SarifOfACleanPlanHasNoResultsAndNoRules) {
  LintReport report;
  auto doc = nlohmann::json::parse(LintReportSarif(report, SarifOptions{"1", "https://example.org/", ""}));
  ASSERT_EQ(SarifStructureProblem(doc), "");
  EXPECT_TRUE(doc["runs"][0]["results"].empty());
  EXPECT_TRUE(doc["runs"][0]["tool"]["driver"]["rules"].empty());
}

}  // namespace
}  // namespace cutover::lint
