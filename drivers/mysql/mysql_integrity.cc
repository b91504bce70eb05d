// Integrity checks on MySQL/MariaDB (CHECK TABLE on every table, and every
// foreign key checked for orphan rows) and the emptiness test of a restore
// target.
#include <algorithm>
#include <atomic>
#include <cctype>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <span>
#include <string>
#include <string_view>
#include <thread>
#include <tuple>
#include <utility>
#include <vector>

#include "base/strings.h"
#include "base/uri.h"
#include "mysql_internal.h"

namespace cutover::mysql {

Result<bool> MysqlConnection::IsEmptyDatabase() {
  CUTOVER_RETURN_IF_ERROR(RequireDatabase("inspect"));
  const std::string db = DbLiteral();
  auto rows =
      Fetch("SELECT (SELECT COUNT(*) FROM information_schema.TABLES WHERE TABLE_SCHEMA = " + db +
                " AND TABLE_TYPE <> 'TEMPORARY') + (SELECT COUNT(*) FROM information_schema.ROUTINES WHERE "
                "ROUTINE_SCHEMA = " +
                db + ") + (SELECT COUNT(*) FROM information_schema.TRIGGERS WHERE TRIGGER_SCHEMA = " + db +
                ") + (SELECT COUNT(*) FROM information_schema.EVENTS WHERE EVENT_SCHEMA = " + db + ")",
            "checking whether " + display_uri_ + " is empty");
  if (!rows.ok()) return rows.status();
  return rows->empty() || Col((*rows)[0], 0) == "0";
}

Result<std::vector<std::string>> MysqlConnection::CheckIntegrity(std::string* checks_run) {
  CUTOVER_RETURN_IF_ERROR(RequireDatabase("check"));
  const std::string what = "checking the integrity of " + display_uri_;
  auto tables = Fetch("SELECT TABLE_NAME FROM information_schema.TABLES WHERE TABLE_SCHEMA = " + DbLiteral() +
                          " AND TABLE_TYPE IN ('BASE TABLE', 'SYSTEM VERSIONED')",
                      what);
  if (!tables.ok()) return tables.status();
  std::vector<std::string> names;
  for (const TextRow& r : *tables) names.push_back(Col(r, 0));
  std::sort(names.begin(), names.end());
  std::vector<std::string> problems;
  std::set<std::string> not_checkable;
  constexpr size_t kTablesPerStatement = 50;
  const std::string prefix = ctx_.database + ".";
  for (size_t at = 0; at < names.size(); at += kTablesPerStatement) {
    std::vector<std::string> quoted;
    for (size_t k = at; k < std::min(names.size(), at + kTablesPerStatement); ++k)
      quoted.push_back(QuoteIdent(names[k]));
    auto rows = Fetch("CHECK TABLE " + Join(quoted, ", "), what);
    if (!rows.ok()) return rows.status();
    for (const TextRow& r : *rows) {
      std::string table = Col(r, 0);
      if (StartsWith(table, prefix)) table = table.substr(prefix.size());
      const std::string type = ToLower(Col(r, 2));
      const std::string text = Col(r, 3);
      if (type == "status" && (text == "OK" || text == "Table is already up to date")) continue;
      if (type == "note" && ToLower(text).find("doesn't support check") != std::string::npos) {
        not_checkable.insert(table);
        continue;
      }
      problems.push_back("table " + QuoteIdent(table) + ": CHECK TABLE reported " + type + ": " + text);
    }
  }
  // Foreign keys are added after loading without validating the rows
  // (see DumpSchemaScript): look for rows whose parent is missing.
  auto fks = Fetch(
      "SELECT TABLE_NAME, CONSTRAINT_NAME, COLUMN_NAME, REFERENCED_TABLE_SCHEMA, REFERENCED_TABLE_NAME, "
      "REFERENCED_COLUMN_NAME, ORDINAL_POSITION FROM information_schema.KEY_COLUMN_USAGE WHERE "
      "TABLE_SCHEMA = " +
          DbLiteral() + " AND REFERENCED_TABLE_NAME IS NOT NULL",
      what);
  if (!fks.ok()) return fks.status();
  std::map<std::pair<std::string, std::string>, std::vector<const TextRow*>> by_fk;
  for (const TextRow& r : *fks) by_fk[{Col(r, 0), Col(r, 1)}].push_back(&r);
  for (auto& [key, parts] : by_fk) {
    std::sort(parts.begin(), parts.end(), [](const TextRow* a, const TextRow* b) {
      return std::atoll(Col(*a, 6).c_str()) < std::atoll(Col(*b, 6).c_str());
    });
    const TextRow& first = *parts.front();
    std::string parent = QuoteIdent(Col(first, 4));
    if (Col(first, 3) != ctx_.database) parent = QuoteIdent(Col(first, 3)) + "." + parent;
    std::vector<std::string> not_null, match;
    for (const TextRow* p : parts) {
      not_null.push_back("c." + QuoteIdent(Col(*p, 2)) + " IS NOT NULL");
      match.push_back("p." + QuoteIdent(Col(*p, 5)) + " = c." + QuoteIdent(Col(*p, 2)));
    }
    auto orphans =
        Fetch("SELECT COUNT(*) FROM " + QuoteIdent(key.first) + " c WHERE " + Join(not_null, " AND ") +
                  " AND NOT EXISTS (SELECT 1 FROM " + parent + " p WHERE " + Join(match, " AND ") + ")",
              what);
    if (!orphans.ok()) return orphans.status();
    const std::string count = orphans->empty() ? "0" : Col((*orphans)[0], 0);
    if (count != "0") {
      problems.push_back("table " + QuoteIdent(key.first) + ": " + count + " row(s) violate foreign key " +
                         QuoteIdent(key.second) + " (no matching row in " + parent + ")");
    }
  }
  if (checks_run != nullptr) {
    *checks_run = "CHECK TABLE on " + std::to_string(names.size() - not_checkable.size()) + " tables";
    if (!not_checkable.empty()) {
      *checks_run += " (" + std::to_string(not_checkable.size()) + " more whose engine has no CHECK TABLE)";
    }
    *checks_run += "; foreign key orphan check on " + std::to_string(by_fk.size()) + " constraints";
  }
  return problems;
}

}  // namespace cutover::mysql
