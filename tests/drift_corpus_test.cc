// The drift corpus: pairs of (current DDL, desired DDL) per engine, each with
// the exact set of differences drift must report (tests/drift_corpus/README.md).
// Each case runs on the real engine: current and desired are applied to two
// scratch databases, read back through the driver, and compared. Every case
// also applies `desired` to a third database and must find no drift against
// the second (a schema compared with itself), and survives a JSON round trip.
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <map>
#include <set>

#include "base/strings.h"
#include "schema/drift.h"
#include "schema/fingerprint.h"
#include "schema/schema_json.h"
#include "support/test_env.h"

namespace cutover {
namespace {
namespace fs = std::filesystem;

struct CorpusCase {
  std::string engine;
  std::string path;
  std::string description;
  std::string current;
  std::string desired;
  std::set<std::string> expected;  // "changed column public.t.c"; empty set = no drift
  bool expect_none = false;
  bool with_privileges = false;  // "-- options: with-privileges": drift --with-privileges
  std::string parse_error;
};

CorpusCase ParseCase(const std::string& engine, const std::string& path) {
  CorpusCase c;
  c.engine = engine;
  c.path = path;
  std::string text = testing::ReadFileOrDie(path);
  std::string* section = nullptr;
  int line_no = 0;
  for (std::string_view line : Split(text, '\n')) {
    ++line_no;
    std::string_view trimmed = Trim(line);
    if (trimmed == "==== current") {
      section = &c.current;
    } else if (trimmed == "==== desired") {
      section = &c.desired;
    } else if (section == nullptr && StartsWith(trimmed, "-- options:")) {
      const std::string options = CollapseSqlWhitespace(trimmed.substr(11));
      if (options != "with-privileges") {
        c.parse_error = path + ":" + std::to_string(line_no) + ": unknown options '" + options + "'";
      }
      c.with_privileges = true;
    } else if (section == nullptr && StartsWith(trimmed, "-- description:")) {
      c.description = std::string(Trim(trimmed.substr(15)));
    } else if (section == nullptr && StartsWith(trimmed, "-- expect:")) {
      std::string e = CollapseSqlWhitespace(trimmed.substr(10));
      if (e == "none") {
        c.expect_none = true;
      } else {
        // "<type> <kind> <path>": the path is the rest of the line and may
        // itself contain spaces.
        const size_t first = e.find(' ');
        const size_t second = first == std::string::npos ? first : e.find(' ', first + 1);
        const std::string type = e.substr(0, first);
        const std::string kind = first == std::string::npos ? "" : e.substr(first + 1, second - first - 1);
        if (second == std::string::npos || !ObjectKindFromName(kind) ||
            (type != "missing" && type != "unexpected" && type != "changed" && type != "column_order")) {
          c.parse_error = path + ":" + std::to_string(line_no) + ": bad expect line '" + e + "'";
        }
        c.expected.insert(e);
      }
    } else if (section != nullptr) {
      *section += std::string(line) + "\n";
    } else if (!trimmed.empty() && !StartsWith(trimmed, "--")) {
      c.parse_error = path + ":" + std::to_string(line_no) + ": text before '==== current'";
    }
  }
  if (c.current.empty() && c.desired.empty())
    c.parse_error = path + ": no '==== current' / '==== desired' sections";
  if (c.expect_none == !c.expected.empty() && c.parse_error.empty()) {
    c.parse_error = path + ": give either '-- expect: none' or one or more '-- expect: ...' lines";
  }
  return c;
}

std::vector<std::pair<std::string, std::string>> AllCaseFiles() {
  std::vector<std::pair<std::string, std::string>> out;
  for (const auto& engine : testing::AllEngines()) {
    fs::path dir = fs::path(testing::SourceDir()) / "tests" / "drift_corpus" / engine;
    std::error_code ec;
    if (!fs::is_directory(dir, ec)) continue;
    std::vector<std::string> files;
    for (const auto& entry : fs::directory_iterator(dir)) {
      if (entry.path().extension() == ".case") files.push_back(entry.path().string());
    }
    std::sort(files.begin(), files.end());
    for (auto& f : files) out.emplace_back(engine, f);
  }
  return out;
}

std::string DiffLine(const Difference& d) {
  return std::string(DiffKindName(d.kind)) + " " + ObjectKindName(d.object_kind) + " " + d.path;
}

SchemaModel ReadModel(const testing::ScratchDatabase& db, const std::string& script,
                      const std::string& what) {
  db.Exec(script);
  auto conn = db.Connect();
  if (!conn) return {};
  auto model = conn->ReadSchema();
  if (!model.ok()) {
    ADD_FAILURE() << what << ": " << model.status().ToString();
    return {};
  }
  return std::move(*model);
}

class DriftCorpus : public ::testing::TestWithParam<std::pair<std::string, std::string>> {};

TEST_P(DriftCorpus, ReportsExactlyTheExpectedDifferences) {
  const auto& [engine, path] = GetParam();
  CorpusCase c = ParseCase(engine, path);
  ASSERT_TRUE(c.parse_error.empty()) << c.parse_error;
  SCOPED_TRACE(path + ": " + c.description);

  testing::ScratchDatabase current_db(engine), desired_db(engine), desired_again_db(engine);
  SchemaModel current = ReadModel(current_db, c.current, "current");
  SchemaModel desired = ReadModel(desired_db, c.desired, "desired");
  SchemaModel desired_again = ReadModel(desired_again_db, c.desired, "desired (again)");
  ASSERT_FALSE(HasFailure());

  DriftOptions options;
  options.with_privileges = c.with_privileges;
  auto report = ComputeDrift(desired, current, options);
  ASSERT_TRUE(report.ok()) << report.status().ToString();
  std::set<std::string> actual;
  for (const auto& d : report->differences) actual.insert(DiffLine(d));
  EXPECT_EQ(actual, c.expected) << DriftReportText(*report);

  // The same DDL in another database: no drift, same fingerprint.
  auto self = ComputeDrift(desired, desired_again, options);
  ASSERT_TRUE(self.ok());
  EXPECT_TRUE(self->differences.empty()) << "desired vs itself:\n" << DriftReportText(*self);
  EXPECT_EQ(Fingerprint(desired), Fingerprint(desired_again));
  auto cur_self = ComputeDrift(current, current, options);
  ASSERT_TRUE(cur_self.ok());
  EXPECT_TRUE(cur_self->differences.empty());

  // A saved schema reads back to the same model.
  auto round_trip = SchemaFromJson(SchemaToJson(current), path);
  ASSERT_TRUE(round_trip.ok()) << round_trip.status().ToString();
  EXPECT_EQ(Fingerprint(*round_trip), Fingerprint(current));
}

INSTANTIATE_TEST_SUITE_P(Corpus, DriftCorpus, ::testing::ValuesIn(AllCaseFiles()), [](const auto& p) {
  std::string name = p.param.first + "_" + fs::path(p.param.second).stem().string();
  for (char& ch : name) {
    if (!std::isalnum(static_cast<unsigned char>(ch))) ch = '_';
  }
  return name;
});

TEST(DriftCorpusSize, FilesAreNumberedWithoutGapsAndDescribed) {
  std::map<std::string, int> next;
  for (const auto& [engine, path] : AllCaseFiles()) {
    const std::string file = fs::path(path).filename().string();
    const int expected = ++next[engine];
    char prefix[16];
    std::snprintf(prefix, sizeof prefix, "%03d_", expected);
    EXPECT_TRUE(StartsWith(file, prefix)) << path << ": expected number " << prefix;
    EXPECT_FALSE(ParseCase(engine, path).description.empty()) << path << ": no '-- description:'";
  }
}

TEST(DriftCorpusSize, EnoughCasesPerEngine) {
  std::map<std::string, int> counts;
  for (const auto& [engine, path] : AllCaseFiles()) ++counts[engine];
  EXPECT_GE(counts["postgresql"], 40);
  EXPECT_GE(counts["mysql"], 40);
  EXPECT_GE(counts["sqlite"], 20);
  // Both outcomes are represented on every engine.
  for (const auto& engine : testing::AllEngines()) {
    int none = 0, drift = 0;
    for (const auto& [e, path] : AllCaseFiles()) {
      if (e != engine) continue;
      (ParseCase(e, path).expect_none ? none : drift)++;
    }
    EXPECT_GE(none, 5) << engine << ": too few equivalent-spelling (no drift) cases";
    EXPECT_GE(drift, 10) << engine << ": too few drift cases";
  }
}

}  // namespace
}  // namespace cutover
