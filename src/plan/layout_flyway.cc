// Flyway SQL migrations: V{version}__{description}.sql (versioned),
// U{version}__{description}.sql (undo of that version) and
// R__{description}.sql (repeatable: run after the versioned ones, in
// description order, again whenever its checksum changes), found in the
// directory and its subdirectories as Flyway's filesystem locations are.
// Versions are dot- or underscore-separated numbers compared part by part
// ("1.10" after "1.9"; "1.0" is "1"); history records them with dots.
//
// Each file runs in one transaction unless its script configuration file
// (V1__x.sql.conf) says executeInTransaction=false. Flyway's checksum is a
// CRC-32 of the file's lines without their line endings (a BOM removed),
// kept as Migration::tool_checksum so a history row of an edited file shows.
#include <zlib.h>

#include <algorithm>
#include <map>
#include <regex>

#include "base/file_env.h"
#include "base/strings.h"
#include "plan/layout_foreign.h"

namespace cutover::plan::internal {
namespace {

struct Script {
  char prefix = 'V';        // V, U or R
  std::string version;      // "1.2" (dots), empty for R
  std::string description;  // "add orders" (underscores as spaces)
  DirEntry entry;
};

struct Found {
  std::optional<Script> forward, undo;
};

// executeInTransaction=false in V1__x.sql.conf; other keys are warnings.
bool ReadScriptConfig(const DirEntry& script, Plan* plan, Problems* problems) {
  const std::filesystem::path conf = script.path.string() + ".conf";
  if (!Env::Default().Exists(conf)) return false;
  auto raw = ReadRaw(conf);
  if (!raw.ok()) {
    problems->Add(script.name + ".conf", 0, raw.status().message());
    return false;
  }
  bool no_transaction = false;
  const std::string text = NormalizeLineEndings(*raw);
  int n = 0;
  for (std::string_view line : SplitLines(text)) {
    ++n;
    line = Trim(line);
    if (line.empty() || line[0] == '#') continue;
    const size_t eq = line.find('=');
    const std::string key =
        eq == std::string_view::npos ? std::string(line) : std::string(Trim(line.substr(0, eq)));
    const std::string value = eq == std::string_view::npos ? "" : ToLower(Trim(line.substr(eq + 1)));
    if (key == "executeInTransaction" && (value == "false" || value == "true")) {
      no_transaction = value == "false";
    } else if (key == "executeInTransaction") {
      problems->Add(script.name + ".conf", n, "executeInTransaction must be true or false");
    } else {
      plan->warnings.push_back(script.name + ".conf:" + std::to_string(n) + ": " + key +
                               " is not rehearsed by cutover; only executeInTransaction is read");
    }
  }
  return no_transaction;
}

std::optional<Script> ParseScriptName(const DirEntry& e, Plan* plan, Problems* problems) {
  static const std::regex kScript(R"(^([VU])(\d+(?:[._]\d+)*)__(.+)\.sql$|^R__(.+)\.sql$)");
  static const std::regex kCallback(R"(^(before|after)[A-Za-z]*(__.*)?\.sql$)");
  const std::string base = std::filesystem::path(e.name).filename().string();
  std::smatch m;
  if (std::regex_match(base, m, kScript)) {
    Script s;
    s.entry = e;
    if (m[4].matched) {
      s.prefix = 'R';
      s.description = m[4].str();
    } else {
      s.prefix = m[1].str()[0];
      s.version = m[2].str();
      std::replace(s.version.begin(), s.version.end(), '_', '.');
      s.description = m[3].str();
    }
    std::replace(s.description.begin(), s.description.end(), '_', ' ');
    return s;
  }
  if (EndsWith(base, ".sql.conf")) return std::nullopt;  // read with its script
  if (std::regex_match(base, kCallback)) {
    plan->warnings.push_back(e.name + ": a Flyway callback; cutover does not run callbacks in a rehearsal");
  } else if (EndsWith(ToLower(base), ".sql")) {
    problems->Add(
        e.name, 0,
        "not a Flyway migration name (V1__name.sql, U1__name.sql or R__name.sql): Flyway would skip it "
        "silently; rename it or move it out of the plan");
  } else {
    plan->warnings.push_back(e.name + ": not a migration file; ignored");
  }
  return std::nullopt;
}

// Versioned migrations in version order, then repeatables by description.
struct Scripts {
  std::map<std::vector<std::string>, Found, decltype(&VersionKeyLess)> versioned{&VersionKeyLess};
  std::map<std::string, Script> repeatable;
};

Scripts SortScripts(const std::vector<DirEntry>& files, Plan* plan, Problems* problems) {
  Scripts out;
  for (const DirEntry& e : files) {
    auto s = ParseScriptName(e, plan, problems);
    if (!s) continue;
    if (s->prefix == 'R') {
      auto [it, inserted] = out.repeatable.emplace(s->description, *s);
      if (!inserted)
        problems->Add(e.name, 0,
                      "a second repeatable '" + s->description + "' (also " + it->second.entry.name + ")");
      continue;
    }
    Found& f = out.versioned[VersionKey(s->version)];
    std::optional<Script>& slot = s->prefix == 'V' ? f.forward : f.undo;
    if (slot) {
      problems->Add(e.name, 0,
                    "version " + s->version + " is also " + slot->entry.name +
                        ": Flyway refuses two migrations of one version; renumber one");
      continue;
    }
    slot = *s;
  }
  return out;
}

std::string FlywayChecksum(std::string_view normalized) {
  uLong crc = crc32(0L, Z_NULL, 0);
  for (std::string_view line : SplitLines(normalized))
    crc = crc32(crc, reinterpret_cast<const Bytef*>(line.data()), static_cast<uInt>(line.size()));
  return std::to_string(static_cast<std::int32_t>(static_cast<std::uint32_t>(crc)));
}

// Flyway replaces ${name} placeholders before it runs a script, with
// values from its configuration or the connection, which cutover does not
// read: running the text as written would rehearse other SQL.
void CheckPlaceholders(std::string_view text, const std::string& where, Problems* problems) {
  static const std::regex kPlaceholder(R"(\$\{[^}\n]+\})");
  int line = 1;
  for (std::string_view l : SplitLines(text)) {
    std::match_results<std::string_view::const_iterator> m;
    if (std::regex_search(l.begin(), l.end(), m, kPlaceholder)) {
      problems->Add(where, line,
                    "Flyway placeholder " + m.str() +
                        ": cutover does not replace Flyway placeholders, so it would rehearse other SQL than "
                        "Flyway runs; write the value, or leave this migration out of the rehearsed plan");
      return;
    }
    ++line;
  }
}

// Statements no engine runs inside a transaction block. Flyway runs a
// migration made only of them without a transaction, and refuses one that
// mixes them with others (its `mixed` setting off, the default).
bool NonTransactional(const Statement& s) {
  static const std::regex kStatement(
      R"(^\s*((CREATE|DROP)\s+(UNIQUE\s+)?INDEX\s+CONCURRENTLY|REINDEX\b.*\bCONCURRENTLY|VACUUM|ALTER\s+SYSTEM|)"
      R"((CREATE|DROP)\s+(DATABASE|TABLESPACE))\b)",
      std::regex::icase);
  return std::regex_search(s.text, kStatement);
}

void SetFlywayTransaction(PlanFile& file, Problems* problems) {
  const auto& st = file.statements;
  const auto count = std::count_if(st.begin(), st.end(), NonTransactional);
  if (count == 0) return;
  if (count == static_cast<std::ptrdiff_t>(st.size())) {
    file.settings.no_transaction = true;
    return;
  }
  if (file.settings.no_transaction) return;  // executeInTransaction=false: Flyway does not check
  const auto first = std::find_if(st.begin(), st.end(), NonTransactional);
  problems->Add(file.display_path, first->line,
                "a statement that cannot run in a transaction among statements that can: Flyway refuses the "
                "mix (its mixed setting is off by default); move it to a migration of its own");
}

// One script as `phase` of `m`; the forward script also sets the checksum.
bool AddScript(Migration& m, const Script& s, Phase phase, const ReadOptions& options, Plan* plan,
               Problems* problems) {
  auto raw = ReadRaw(s.entry.path);
  if (!raw.ok()) {
    problems->Add(s.entry.name, 0, raw.status().message());
    return false;
  }
  const std::string text = NormalizeLineEndings(*raw);
  if (phase == Phase::kExpand) m.tool_checksum = FlywayChecksum(text);
  CheckPlaceholders(text, s.entry.name, problems);
  const bool no_transaction = ReadScriptConfig(s.entry, plan, problems);
  if (!AddSection(m, text, s.entry, phase, no_transaction, options, problems)) return false;
  SetFlywayTransaction(m.files.at(phase), problems);
  return true;
}

}  // namespace

Result<Plan> ReadFlywayPlan(const std::string& directory, const ReadOptions& options) {
  std::vector<DirEntry> files;
  if (Status s = WalkFiles(directory, "", &files); !s.ok()) return s;
  Problems problems;
  Plan plan = EmptyPlan(directory, options);
  Scripts scripts = SortScripts(files, &plan, &problems);
  for (const auto& [key, f] : scripts.versioned) {
    if (!f.forward) {
      problems.Add(f.undo->entry.name, 0,
                   "an undo script without its versioned migration (V" + f.undo->version + "__...sql)");
      continue;
    }
    Migration m;
    m.name = std::filesystem::path(f.forward->entry.name).stem().string();
    m.number = m.version = f.forward->version;
    m.path = f.forward->entry.path.string();
    if (!AddScript(m, *f.forward, Phase::kExpand, options, &plan, &problems)) continue;
    if (f.undo) AddScript(m, *f.undo, Phase::kRollback, options, &plan, &problems);
    SetForwardPhase(m);
    plan.migrations.push_back(std::move(m));
  }
  for (const auto& [description, s] : scripts.repeatable) {
    Migration m;
    m.name = std::filesystem::path(s.entry.name).stem().string();
    m.version = description;
    m.repeatable = true;
    m.path = s.entry.path.string();
    if (!AddScript(m, s, Phase::kExpand, options, &plan, &problems)) continue;
    SetForwardPhase(m);
    plan.migrations.push_back(std::move(m));
  }
  return FinishPlan(std::move(plan), problems, "Flyway", "V1__create_orders.sql");
}

}  // namespace cutover::plan::internal
