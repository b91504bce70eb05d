// The lint corpus: statements per engine, each with the exact set of rules
// `cutover lint` must report for it (tests/lint_corpus/README.md).
//
// Every case is written out as a real plan directory, read by the real plan
// reader (PostgreSQL: libpg_query; MySQL and SQLite: the driver plugin's
// SplitScript) and linted. The rule ids of the findings that count (not
// ignored) must equal the case's expectation exactly, as a multiset: a
// dangerous statement must fire its rule and nothing else, a safe one
// nothing at all.
//
// A case with `-- scratch` (MySQL/MariaDB) is linted with --scratch: its
// statements are asked on a scratch copy of a database holding
// tests/lint_corpus/<engine>/setup.sql, as `lint --target DB --scratch`.
//
// Safe cases also run on the real engine (SafeCasesRunOnTheEngine): every
// statement of the case, in plan order, on a scratch database holding
// tests/lint_corpus/<engine>/setup.sql, must succeed. A statement lint calls
// safe must at least be valid SQL that works against a real schema.
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <map>

#include "base/strings.h"
#include "lint/lint.h"
#include "lint/lint_scratch.h"
#include "plan/plan.h"
#include "support/test_env.h"

namespace cutover {
namespace {
namespace fs = std::filesystem;

struct LintCase {
  std::string engine;
  std::string file;  // the .cases file
  int line = 0;      // where the case starts in it
  std::string name;
  std::string phase = "expand";
  bool rollback = true;
  bool scratch = false;            // linted with --scratch on a copy of setup.sql
  std::vector<std::string> setup;  // statements run before the case (safe cases)
  bool expect_none = false;
  std::vector<std::string> expected;                       // "PG001" or "PG001@3", sorted
  std::vector<std::pair<std::string, std::string>> files;  // relative path -> text
  std::string error;                                       // a malformed case
  std::string Where() const { return file + ":" + std::to_string(line); }
};

// gtest prints parameters on failure; the case's location is what helps.
void PrintTo(const LintCase& c, std::ostream* os) {
  *os << c.Where() << " " << c.name;
}

std::vector<LintCase> ParseCases(const std::string& engine, const std::string& path) {
  std::vector<LintCase> out;
  const std::string text = testing::ReadFileOrDie(path);
  LintCase* c = nullptr;
  bool in_header = false;
  std::string* body = nullptr;
  int line_no = 0;
  for (std::string_view line : Split(text, '\n')) {
    ++line_no;
    std::string_view trimmed = Trim(line);
    if (StartsWith(trimmed, "==== ")) {
      out.emplace_back();
      c = &out.back();
      c->engine = engine;
      c->file = path;
      c->line = line_no;
      c->name = std::string(Trim(trimmed.substr(5)));
      in_header = true;
      body = nullptr;
      continue;
    }
    if (c == nullptr) {
      if (!trimmed.empty() && !StartsWith(trimmed, "#")) {
        out.emplace_back();
        out.back().error = path + ":" + std::to_string(line_no) + ": text before the first '==== name'";
      }
      continue;
    }
    if (in_header && StartsWith(trimmed, "-- expect:")) {
      const std::string ids = CollapseSqlWhitespace(trimmed.substr(10));
      for (std::string_view id : Split(ids, ' ')) {
        if (id == "none") {
          c->expect_none = true;
        } else if (!id.empty()) {
          c->expected.emplace_back(id);
        }
      }
      continue;
    }
    if (in_header && StartsWith(trimmed, "-- phase:")) {
      c->phase = std::string(Trim(trimmed.substr(9)));
      continue;
    }
    if (in_header && StartsWith(trimmed, "-- setup:")) {
      c->setup.emplace_back(Trim(trimmed.substr(9)));
      continue;
    }
    if (in_header && trimmed == "-- scratch") {
      c->scratch = true;
      continue;
    }
    if (in_header && trimmed == "-- no-rollback") {
      c->rollback = false;
      continue;
    }
    in_header = false;
    if (StartsWith(trimmed, "---- ")) {
      c->files.emplace_back(std::string(Trim(trimmed.substr(5))), "");
      body = &c->files.back().second;
      continue;
    }
    if (body == nullptr) {
      c->files.emplace_back("0001_case/" + c->phase + ".sql", "");
      body = &c->files.back().second;
    }
    *body += std::string(line) + "\n";
  }
  for (LintCase& k : out) {
    std::sort(k.expected.begin(), k.expected.end());
    if (!k.error.empty()) continue;
    if (k.expect_none == !k.expected.empty()) {
      k.error = k.Where() + ": give '-- expect: none' or the rule ids that must fire";
    }
    if (k.files.empty()) k.error = k.Where() + ": no SQL";
  }
  return out;
}

std::vector<LintCase> AllCases() {
  std::vector<LintCase> out;
  for (const std::string& engine : testing::AllEngines()) {
    fs::path dir = fs::path(testing::SourceDir()) / "tests" / "lint_corpus" / engine;
    std::error_code ec;
    if (!fs::is_directory(dir, ec)) continue;
    std::vector<std::string> files;
    for (const auto& entry : fs::directory_iterator(dir)) {
      if (entry.path().extension() == ".cases") files.push_back(entry.path().string());
    }
    std::sort(files.begin(), files.end());
    for (const auto& f : files) {
      for (auto& c : ParseCases(engine, f)) out.push_back(std::move(c));
    }
  }
  return out;
}

std::string CaseId(const LintCase& c) {
  std::string name = c.engine + "_" + fs::path(c.file).stem().string() + "_" + c.name;
  for (char& ch : name) {
    if (!std::isalnum(static_cast<unsigned char>(ch))) ch = '_';
  }
  return name;
}

plan::ReadOptions ReadOptionsFor(const std::string& engine) {
  plan::ReadOptions options;
  options.engine = *plan::ParseEngine(engine);
  if (options.engine != plan::Engine::kPostgreSql) {
    Driver* driver = testing::TestDriver(engine);
    if (driver != nullptr) options.split = [driver](std::string_view s) { return driver->SplitScript(s); };
  }
  return options;
}

// Writes the case as a plan directory, reads it back and removes it.
Result<plan::Plan> WriteAndRead(const LintCase& c) {
  const fs::path root = fs::temp_directory_path() / testing::UniqueName("cutover-lint-corpus-");
  std::set<fs::path> migrations;
  for (const auto& [rel, text] : c.files) {
    fs::path p = root / rel;
    fs::create_directories(p.parent_path());
    std::ofstream(p, std::ios::binary) << text;
    migrations.insert(p.parent_path());
  }
  for (const fs::path& m : migrations) {
    if (!fs::exists(m / "expand.sql")) std::ofstream(m / "expand.sql") << "";
    if (c.rollback && !fs::exists(m / "rollback.sql")) std::ofstream(m / "rollback.sql") << "";
  }
  auto plan = plan::ReadPlan(root.string(), ReadOptionsFor(c.engine));
  fs::remove_all(root);
  return plan;
}

class LintCorpus : public ::testing::TestWithParam<LintCase> {};

TEST_P(LintCorpus, ReportsExactlyTheExpectedRules) {
  const LintCase& c = GetParam();
  ASSERT_TRUE(c.error.empty()) << c.error;
  SCOPED_TRACE(c.Where() + ": " + c.name);

  auto plan = WriteAndRead(c);
  ASSERT_TRUE(plan.ok()) << plan.status().ToString();
  Result<lint::LintReport> report = Status::Internal("not linted");
  if (c.scratch) {
    testing::ScratchDatabase target(c.engine);
    ASSERT_FALSE(target.name().empty());
    target.Exec(
        testing::ReadFileOrDie(testing::SourceDir() + "/tests/lint_corpus/" + c.engine + "/setup.sql"));
    for (const std::string& s : c.setup) target.Exec(s);
    auto source = target.Connect();
    ASSERT_NE(source, nullptr);
    lint::ScratchLintRequest request;
    request.driver = testing::TestDriver(c.engine);
    request.scratch_server = testing::ServerUri(c.engine);
    request.schema_source = source.get();
    ASSERT_FALSE(HasFailure());
    report = lint::LintPlanOnScratch(*plan, {}, request);
  } else {
    report = lint::LintPlan(*plan);
  }
  ASSERT_TRUE(report.ok()) << report.status().ToString();

  std::vector<std::string> actual;
  const bool with_lines = std::any_of(c.expected.begin(), c.expected.end(),
                                      [](const std::string& e) { return e.find('@') != std::string::npos; });
  for (const auto& f : report->findings) {
    if (f.ignored) continue;
    actual.push_back(std::string(f.rule->id) + (with_lines ? "@" + std::to_string(f.line) : ""));
  }
  std::sort(actual.begin(), actual.end());
  EXPECT_EQ(actual, c.expected) << lint::LintReportText(*report);
}

INSTANTIATE_TEST_SUITE_P(Corpus, LintCorpus, ::testing::ValuesIn(AllCases()),
                         [](const auto& p) { return CaseId(p.param); });

std::vector<LintCase> SafeCases() {
  std::vector<LintCase> out;
  for (auto& c : AllCases()) {
    if (c.expect_none) out.push_back(std::move(c));
  }
  return out;
}

class SafeCasesRunOnTheEngine : public ::testing::TestWithParam<LintCase> {};

TEST_P(SafeCasesRunOnTheEngine, EveryStatementSucceeds) {
  const LintCase& c = GetParam();
  ASSERT_TRUE(c.error.empty()) << c.error;
  SCOPED_TRACE(c.Where() + ": " + c.name);
  auto plan = WriteAndRead(c);
  ASSERT_TRUE(plan.ok()) << plan.status().ToString();

  testing::ScratchDatabase db(c.engine);
  ASSERT_FALSE(db.name().empty());
  db.Exec(testing::ReadFileOrDie(testing::SourceDir() + "/tests/lint_corpus/" + c.engine + "/setup.sql"));
  for (const std::string& s : c.setup) db.Exec(s);
  ASSERT_FALSE(HasFailure());
  auto conn = db.Connect();
  ASSERT_NE(conn, nullptr);
  // The phases in the order a rollout runs them; rollback.sql is not run.
  const plan::Phase order[] = {plan::Phase::kExpand, plan::Phase::kCompat, plan::Phase::kBackfill,
                               plan::Phase::kContract, plan::Phase::kChecks};
  for (const plan::Migration& m : plan->migrations) {
    for (plan::Phase phase : order) {
      const plan::PlanFile* f = m.file(phase);
      if (f == nullptr) continue;
      for (const plan::Statement& s : f->statements) {
        auto r = conn->Execute(f->ExecutableText(s));
        EXPECT_TRUE(r.ok()) << f->display_path << ":" << s.line << ": " << r.status().ToString();
      }
    }
  }
}

INSTANTIATE_TEST_SUITE_P(Corpus, SafeCasesRunOnTheEngine, ::testing::ValuesIn(SafeCases()),
                         [](const auto& p) { return CaseId(p.param); });

TEST(LintCorpusSize, EnoughDangerousAndSafeCasesPerEngine) {
  std::map<std::string, int> dangerous, safe;
  std::set<std::string> names;
  for (const LintCase& c : AllCases()) {
    EXPECT_TRUE(c.error.empty()) << c.error;
    EXPECT_TRUE(names.insert(CaseId(c)).second) << c.Where() << ": duplicate case name " << c.name;
    (c.expect_none ? safe : dangerous)[c.engine]++;
  }
  EXPECT_GE(dangerous["postgresql"], 30);
  EXPECT_GE(safe["postgresql"], 20);
  EXPECT_GE(dangerous["mysql"], 30);
  EXPECT_GE(safe["mysql"], 20);
  EXPECT_GE(dangerous["sqlite"], 10);
  EXPECT_GE(safe["sqlite"], 8);
}

// Every rule of an engine (and every engine-independent rule) fires in some
// corpus case, so a rule cannot silently stop working.
TEST(LintCorpusSize, EveryRuleIsExercised) {
  std::map<std::string, std::set<std::string>> fired;  // engine -> rule ids
  for (const LintCase& c : AllCases()) {
    for (const std::string& e : c.expected) fired[c.engine].insert(e.substr(0, e.find('@')));
  }
  for (const lint::Rule& rule : lint::AllRules()) {
    bool somewhere = false;
    for (const std::string& engine : testing::AllEngines()) {
      auto e = plan::ParseEngine(engine);
      if (lint::RuleApplies(rule, *e) && fired[engine].count(std::string(rule.id))) somewhere = true;
    }
    EXPECT_TRUE(somewhere) << rule.id << " is not expected by any corpus case";
  }
}

}  // namespace
}  // namespace cutover
