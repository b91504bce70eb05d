// The three output forms of a LintReport: text for people, JSON, JUnit XML.
#include <algorithm>
#include <cctype>
#include <map>
#include <nlohmann/json.hpp>
#include <set>

#include "base/strings.h"
#include "lint/lint.h"

namespace cutover::lint {
namespace {

// Wraps `text` at `width` columns, every line starting with `indent`.
std::string Wrap(std::string_view text, const std::string& indent, size_t width = 100) {
  // A directive ("-- cutover:...") stays on one line, so it can be copied.
  std::vector<std::string> words;
  for (std::string_view w : Split(text, ' ')) {
    if (w.empty()) continue;
    if (!words.empty() && EndsWith(words.back(), "--")) {
      words.back() += " " + std::string(w);
    } else {
      words.emplace_back(w);
    }
  }
  std::string out, line;
  for (const std::string& word : words) {
    if (!line.empty() && indent.size() + line.size() + 1 + word.size() > width) {
      out += indent + line + "\n";
      line.clear();
    }
    if (!line.empty()) line += ' ';
    line += word;
  }
  if (!line.empty()) out += indent + line + "\n";
  return out;
}

std::string Plural(int n, const char* word) {
  return std::to_string(n) + " " + word + (n == 1 ? "" : "s");
}

}  // namespace

std::string LintReportText(const LintReport& report) {
  std::string out;
  for (const auto& w : report.plan_warnings) out += "note: " + w + "\n";
  if (!report.plan_warnings.empty()) out += "\n";
  std::set<std::string_view> explained;  // why/fix once per rule; later findings refer back
  for (const Finding& f : report.findings) {
    if (f.ignored) continue;
    out += f.Location() + ": " + std::string(SeverityName(f.rule->severity)) + " " + std::string(f.rule->id) +
           ": " + f.message + "\n";
    if (!f.statement.empty()) out += "    " + f.statement + "\n";
    if (explained.insert(f.rule->id).second) {
      out += Wrap(std::string("why: ") + std::string(f.rule->why), "    ");
      out += Wrap(std::string("fix: ") + std::string(f.rule->fix), "    ");
    } else {
      out += "    (why and fix: see " + std::string(f.rule->id) + " above)\n";
    }
    out += "\n";
  }
  if (report.ignored() > 0) {
    out += "ignored by directive:\n";
    for (const Finding& f : report.findings) {
      if (f.ignored)
        out += "  " + f.Location() + ": " + std::string(f.rule->id) + " (" + f.ignore_reason + ")\n";
    }
    out += "\n";
  }
  if (report.scratch) {
    const ScratchReport& sc = *report.scratch;
    out += "asked the server: " + sc.product + " on " + sc.server + ", scratch database " + sc.database +
           " (dropped), " +
           (sc.schema_from.empty() ? std::string("started empty") : "schema copied from " + sc.schema_from) +
           ": " + Plural(sc.statements_run, "statement") + " run, " +
           Plural(sc.alters_asked, "schema change") + " asked about\n";
  }
  out += "cutover lint (" + std::string(plan::EngineName(report.engine)) +
         "): " + Plural(report.errors(), "error") + ", " + Plural(report.warnings(), "warning") + ", " +
         std::to_string(report.ignored()) + " ignored in " + Plural(report.migrations, "migration") + " (" +
         Plural(report.files, "file") + ", " + Plural(report.statements, "statement") + ")\n";
  return out;
}

std::string LintReportJson(const LintReport& report) {
  nlohmann::ordered_json doc;
  doc["format"] = "cutover.lint";
  doc["version"] = 1;
  doc["engine"] = plan::EngineName(report.engine);
  doc["plan"] = report.plan_root;
  doc["summary"] = {{"migrations", report.migrations}, {"files", report.files},
                    {"statements", report.statements}, {"errors", report.errors()},
                    {"warnings", report.warnings()},   {"ignored", report.ignored()}};
  doc["findings"] = nlohmann::ordered_json::array();
  for (const Finding& f : report.findings) {
    nlohmann::ordered_json j;
    j["rule"] = f.rule->id;
    j["severity"] = SeverityName(f.rule->severity);
    j["title"] = f.rule->title;
    j["migration"] = f.migration;
    j["file"] = f.file;
    j["line"] = f.line;
    j["statement"] = f.statement;
    j["message"] = f.message;
    j["why"] = f.rule->why;
    j["fix"] = f.rule->fix;
    j["ignored"] = f.ignored;
    if (f.ignored) j["ignore_reason"] = f.ignore_reason;
    doc["findings"].push_back(std::move(j));
  }
  doc["plan_warnings"] = report.plan_warnings;
  if (report.scratch) {
    const ScratchReport& sc = *report.scratch;
    nlohmann::ordered_json j;
    j["server"] = sc.server;
    j["product"] = sc.product;
    j["database"] = sc.database;
    j["dropped"] = true;
    j["schema_from"] =
        sc.schema_from.empty() ? nlohmann::ordered_json() : nlohmann::ordered_json(sc.schema_from);
    j["statements_run"] = sc.statements_run;
    j["alters_asked"] = sc.alters_asked;
    doc["scratch"] = std::move(j);
  }
  return doc.dump(2, ' ', false, nlohmann::ordered_json::error_handler_t::replace) + "\n";
}

std::string LintReportJunit(const LintReport& report) {
  // One suite per file, in plan order (files with findings but not linted,
  // such as a missing rollback.sql, come after their migration's files).
  std::vector<std::string> files = report.linted_files;
  for (const Finding& f : report.findings) {
    if (std::find(files.begin(), files.end(), f.file) == files.end()) files.push_back(f.file);
  }
  std::map<std::string, std::vector<const Finding*>> by_file;
  for (const Finding& f : report.findings) by_file[f.file].push_back(&f);

  std::string suites;
  int total_tests = 0, total_failures = 0, total_skipped = 0;
  for (const std::string& file : files) {
    const auto& findings = by_file[file];
    std::string cases;
    int tests = 0, failures = 0, skipped = 0;
    std::string classname = file;
    if (EndsWith(classname, ".sql")) classname.resize(classname.size() - 4);
    classname = ReplaceAll(classname, "/", ".");
    for (const Finding* f : findings) {
      ++tests;
      const std::string name = std::string(f->rule->id) + " " + f->Location() + ": " + f->message;
      cases += "    <testcase classname=\"" + XmlEscape(classname) + "\" name=\"" + XmlEscape(name) +
               "\" file=\"" + XmlEscape(f->file) + "\"" +
               (f->line > 0 ? " line=\"" + std::to_string(f->line) + "\"" : "") + ">\n";
      const std::string body = (f->statement.empty() ? "" : f->statement + "\n") +
                               "why: " + std::string(f->rule->why) + "\nfix: " + std::string(f->rule->fix);
      if (f->ignored) {
        ++skipped;
        cases += "      <skipped message=\"" + XmlEscape("ignored: " + f->ignore_reason) + "\"/>\n";
      } else if (f->rule->severity == Severity::kError) {
        ++failures;
        cases += "      <failure type=\"" + XmlEscape(f->rule->id) + "\" message=\"" + XmlEscape(f->message) +
                 "\">" + XmlEscape(body) + "</failure>\n";
      } else {
        cases += "      <system-out>" + XmlEscape("warning: " + f->message + "\n" + body) + "</system-out>\n";
      }
      cases += "    </testcase>\n";
    }
    if (findings.empty()) {
      ++tests;
      cases += "    <testcase classname=\"" + XmlEscape(classname) + "\" name=\"lint\" file=\"" +
               XmlEscape(file) + "\"/>\n";
    }
    suites += "  <testsuite name=\"" + XmlEscape(file) + "\" tests=\"" + std::to_string(tests) +
              "\" failures=\"" + std::to_string(failures) + "\" errors=\"0\" skipped=\"" +
              std::to_string(skipped) + "\">\n" + cases + "  </testsuite>\n";
    total_tests += tests, total_failures += failures, total_skipped += skipped;
  }
  return "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<testsuites name=\"cutover lint\" tests=\"" +
         std::to_string(total_tests) + "\" failures=\"" + std::to_string(total_failures) +
         "\" errors=\"0\" skipped=\"" + std::to_string(total_skipped) + "\">\n" + suites + "</testsuites>\n";
}

}  // namespace cutover::lint

namespace cutover::lint {
namespace {

// A URI reference for a relative path: unreserved characters, '/' and the
// sub-delimiters a path may hold stay; every other byte (space, '%', '?',
// '#', non-ASCII UTF-8) is percent-encoded.
std::string PercentEncodePath(std::string_view path) {
  static constexpr std::string_view kKeep = "-._~/!$&'()*+,;=:@";
  std::string out;
  for (unsigned char c : path) {
    if (std::isalnum(c) != 0 || kKeep.find(static_cast<char>(c)) != std::string_view::npos) {
      out += static_cast<char>(c);
    } else {
      static constexpr char kHex[] = "0123456789ABCDEF";
      out += '%';
      out += kHex[c >> 4];
      out += kHex[c & 15];
    }
  }
  return out;
}

const char* SarifLevel(Severity severity) {
  return severity == Severity::kError ? "error" : "warning";
}

nlohmann::ordered_json SarifRule(const Rule& rule) {
  nlohmann::ordered_json j;
  j["id"] = rule.id;
  j["name"] = rule.id;
  j["shortDescription"] = {{"text", rule.title}};
  j["fullDescription"] = {{"text", rule.why}};
  j["help"] = {{"text", "fix: " + std::string(rule.fix)}};
  j["defaultConfiguration"] = {{"level", SarifLevel(rule.severity)}};
  j["properties"] = {{"tags", {"cutover", "migration"}}};
  return j;
}

nlohmann::ordered_json SarifResult(const Finding& f, int rule_index, const SarifOptions& options) {
  nlohmann::ordered_json j;
  j["ruleId"] = f.rule->id;
  j["ruleIndex"] = rule_index;
  j["level"] = SarifLevel(f.rule->severity);
  j["message"] = {{"text", f.message}};
  nlohmann::ordered_json physical;
  physical["artifactLocation"] = {{"uri", PercentEncodePath(FindingPath(options.uri_prefix, f.file))}};
  if (f.line > 0) physical["region"] = {{"startLine", f.line}};
  j["locations"] = nlohmann::ordered_json::array({{{"physicalLocation", std::move(physical)}}});
  if (f.ignored) {
    j["suppressions"] =
        nlohmann::ordered_json::array({{{"kind", "inSource"}, {"justification", f.ignore_reason}}});
  }
  // The statement is collapsed and shortened, not the file's text: a
  // property, not a region snippet.
  j["properties"] = {{"migration", f.migration}, {"statement", f.statement}};
  return j;
}

}  // namespace

std::string FindingPath(const std::string& uri_prefix, const std::string& file) {
  if (uri_prefix.empty() || uri_prefix == ".") return file;
  return EndsWith(uri_prefix, "/") ? uri_prefix + file : uri_prefix + "/" + file;
}

std::string LintReportSarif(const LintReport& report, const SarifOptions& options) {
  nlohmann::ordered_json rules = nlohmann::ordered_json::array();
  std::map<std::string_view, int> rule_index;  // rules in order of first appearance
  for (const Finding& f : report.findings) {
    if (rule_index.emplace(f.rule->id, static_cast<int>(rule_index.size())).second)
      rules.push_back(SarifRule(*f.rule));
  }
  nlohmann::ordered_json results = nlohmann::ordered_json::array();
  for (const Finding& f : report.findings) results.push_back(SarifResult(f, rule_index[f.rule->id], options));

  nlohmann::ordered_json driver;
  driver["name"] = "cutover";
  driver["version"] = options.tool_version;
  driver["semanticVersion"] = options.tool_version;
  if (!options.information_uri.empty()) driver["informationUri"] = options.information_uri;
  driver["rules"] = std::move(rules);

  nlohmann::ordered_json run;
  run["tool"] = {{"driver", std::move(driver)}};
  run["automationDetails"] = {{"id", "cutover-lint/" + std::string(plan::EngineName(report.engine)) + "/"}};
  run["columnKind"] = "unicodeCodePoints";
  run["results"] = std::move(results);
  run["properties"] = {{"engine", plan::EngineName(report.engine)},
                       {"plan", report.plan_root},
                       {"errors", report.errors()},
                       {"warnings", report.warnings()},
                       {"ignored", report.ignored()}};

  nlohmann::ordered_json doc;
  doc["$schema"] = "https://json.schemastore.org/sarif-2.1.0.json";
  doc["version"] = "2.1.0";
  doc["runs"] = nlohmann::ordered_json::array({std::move(run)});
  return doc.dump(2, ' ', false, nlohmann::ordered_json::error_handler_t::replace) + "\n";
}

}  // namespace cutover::lint
