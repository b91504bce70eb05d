// Integrity checks on SQLite: what PRAGMA integrity_check covers, split
// into parts run in parallel on connections of their own; and the emptiness
// test of a restore target.
#include <algorithm>
#include <array>
#include <atomic>
#include <cctype>
#include <cerrno>
#include <charconv>
#include <chrono>
#include <cmath>
#include <cstring>
#include <exception>
#include <filesystem>
#include <functional>
#include <future>
#include <limits>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "base/strings.h"
#include "base/uri.h"
#include "driver/driver.h"
#include "sqlite_ddl_parse.h"
#include "sqlite_internal.h"
#include "sqlite_snapshot_image.h"

namespace cutover::sqlite {
namespace {

// The problems in one result value of integrity_check or quick_check. SQLite
// joins the b-tree problems of one check into one value, after a "*** in
// database main ***" line: one problem per line here.
std::vector<std::string> CheckLines(const std::string& text) {
  std::vector<std::string> lines;
  for (std::string_view line : Split(text, '\n')) {
    line = Trim(line);
    const bool header = StartsWith(line, "*** in database ") && EndsWith(line, " ***");
    if (!line.empty() && line != "ok" && !header) lines.emplace_back(line);
  }
  return lines;
}

// The whole check on the caller's connection: PRAGMA integrity_check. Used
// when the parallel check cannot be (in-memory database, a transaction open
// on `db`, a table name integrity_check(TABLE) cannot take).
Result<std::vector<std::string>> SerialIntegrityCheck(sqlite3* db, const std::string& display,
                                                      std::string* checks_run) {
  std::vector<std::string> problems;
  std::int64_t tables = 0;
  std::int64_t indexes = 0;
  // What the check covers, for the report. A database too damaged to list
  // is itself a finding.
  auto counted = ForEachRow(db,
                            "SELECT (SELECT count(*) FROM main.sqlite_schema WHERE type = 'table'), "
                            "(SELECT count(*) FROM main.sqlite_schema WHERE type = 'index')",
                            display + ": counting what integrity_check covers", [&](sqlite3_stmt* s) {
                              tables = sqlite3_column_int64(s, 0);
                              indexes = sqlite3_column_int64(s, 1);
                              return Status::Ok();
                            });
  // integrity_check looks each row up in every index: with the default
  // 2 MiB page cache it re-reads index pages from the file again and again.
  // A 64 MiB cache for the duration of the check cuts its time by a quarter
  // and keeps memory bounded; the connection's own setting comes back after.
  std::string cache_before;
  CUTOVER_RETURN_IF_ERROR(
      ForEachRow(db, "PRAGMA main.cache_size", display + ": reading the cache size", [&](sqlite3_stmt* s) {
        cache_before = ColumnText(s, 0);
        return Status::Ok();
      }));
  struct CacheRestore {
    sqlite3* db;
    std::string size;
    ~CacheRestore() {
      if (!size.empty())
        sqlite3_exec(db, ("PRAGMA main.cache_size = " + size).c_str(), nullptr, nullptr, nullptr);
    }
  } cache_restore{db, cache_before};
  std::int64_t cache = 0;
  std::from_chars(cache_before.data(), cache_before.data() + cache_before.size(), cache);
  // Negative: KiB; positive: pages (of at most 64 KiB). Never shrink it.
  if ((cache < 0 && cache > -65536) || (cache >= 0 && cache < 1024)) {
    CUTOVER_RETURN_IF_ERROR(
        Exec(db, "PRAGMA main.cache_size = -65536", display + ": enlarging the page cache"));
  } else {
    cache_restore.size.clear();
  }
  const char* sql = "PRAGMA main.integrity_check";
  sqlite3_stmt* raw = nullptr;
  int rc = sqlite3_prepare_v2(db, sql, -1, &raw, nullptr);
  StatementPtr stmt(raw);
  if (rc == SQLITE_OK) {
    while ((rc = sqlite3_step(stmt.get())) == SQLITE_ROW) {
      for (const std::string& line : CheckLines(ColumnText(stmt.get(), 0))) {
        problems.push_back("integrity_check: " + line);
      }
    }
  }
  if (rc != SQLITE_DONE) {
    const int primary = rc & 0xff;
    // The check could not finish because of the damage: that is its result.
    if (primary != SQLITE_CORRUPT && primary != SQLITE_NOTADB)
      return StatusFromSqlite(db, rc, display + ": " + sql);
    problems.push_back(std::string(sql) + " stopped: " + ScrubSecrets(sqlite3_errmsg(db)));
  }
  if (checks_run != nullptr) {
    *checks_run = counted.ok() ? "PRAGMA integrity_check (" + std::to_string(tables) + " tables, " +
                                     std::to_string(indexes) + " indexes)"
                               : "PRAGMA integrity_check";
  }
  return problems;
}

// ---- The parallel check.
//
// PRAGMA integrity_check is single-threaded. What it covers is split into
// parts that together cover exactly the same:
//   - PRAGMA quick_check of the whole file: page accounting (every page used
//     once, the freelist), the structure of every b-tree, NOT NULL, CHECK
//     and STRICT types, i.e. everything but the checks below;
//   - PRAGMA integrity_check(TABLE) for every ordinary table: the same for
//     that table and its indexes without page accounting, plus what
//     quick_check leaves out (each index entry matches its row, UNIQUE,
//     record headers decode).
// Two read-only connections with fixed 64 MiB caches take the parts from
// one list, the most expensive first, so the longest part starts at once.

struct IntegrityPart {
  enum class Kind { kQuickCheck, kTable };
  Kind kind = Kind::kQuickCheck;
  std::string table;               // kTable
  double cost = 0;                 // estimated microseconds, for the order only
  std::vector<std::string> lines;  // what the check reported (not "ok")
  std::string stopped;             // the damage that stopped the check, if any
  Status status;                   // any other failure
};

std::string PartLabel(const IntegrityPart& part) {
  switch (part.kind) {
    case IntegrityPart::Kind::kQuickCheck: return "quick_check";
    case IntegrityPart::Kind::kTable: return "integrity_check of table " + Quote(part.table);
  }
  return "";
}

void RunIntegrityPart(sqlite3* db, const std::string& display, IntegrityPart& part) {
  std::string sql;
  switch (part.kind) {
    case IntegrityPart::Kind::kQuickCheck: sql = "PRAGMA main.quick_check"; break;
    case IntegrityPart::Kind::kTable:
      sql = "PRAGMA main.integrity_check(" + QuoteText(part.table) + ")";
      break;
  }
  sqlite3_stmt* raw = nullptr;
  int rc = sqlite3_prepare_v2(db, sql.c_str(), static_cast<int>(sql.size()), &raw, nullptr);
  StatementPtr stmt(raw);
  if (rc == SQLITE_OK) {
    while ((rc = sqlite3_step(stmt.get())) == SQLITE_ROW) {
      for (std::string& line : CheckLines(ColumnText(stmt.get(), 0))) part.lines.push_back(std::move(line));
    }
    if (rc == SQLITE_DONE) return;
  }
  const int primary = rc & 0xff;
  if (primary == SQLITE_CORRUPT || primary == SQLITE_NOTADB) {
    // The check could not finish because of the damage: that is its result.
    part.stopped = ScrubSecrets(sqlite3_errmsg(db));
    return;
  }
  part.status = StatusFromSqlite(db, rc, display + ": " + sql);
}

// SQLite names b-tree problems by page: "On tree page 40 cell 3: ..."
// (3.40) or "Tree 12 page 40 cell 3: ..." (3.43 and later, 12 the root).
// Adds the table or index when the page named first is a b-tree's root.
std::string NameTheTree(const std::string& line, const std::map<std::int64_t, std::string>& roots) {
  std::size_t at = 0;
  if (StartsWith(line, "On tree page ")) {
    at = 13;
  } else if (StartsWith(line, "Tree ")) {
    at = 5;
  } else {
    return line;
  }
  std::int64_t page = 0;
  const char* begin = line.data() + at;
  auto [end, ec] = std::from_chars(begin, line.data() + line.size(), page);
  if (ec != std::errc() || end == begin) return line;
  auto it = roots.find(page);
  if (it == roots.end()) return line;
  const auto number_end = static_cast<std::size_t>(end - line.data());
  return line.substr(0, number_end) + (at == 5 ? " (" : " (the root of ") + it->second + ")" +
         line.substr(number_end);
}

struct CheckerDeleter {
  void operator()(sqlite3* db) const { sqlite3_close_v2(db); }
};

using CheckerPtr = std::unique_ptr<sqlite3, CheckerDeleter>;

CheckerPtr OpenChecker(const char* file) {
  sqlite3* raw = nullptr;
  const int rc = sqlite3_open_v2(
      file, &raw,
      SQLITE_OPEN_READONLY | SQLITE_OPEN_NOMUTEX | SQLITE_OPEN_PRIVATECACHE | SQLITE_OPEN_EXRESCODE, nullptr);
  CheckerPtr db(raw);
  if (rc != SQLITE_OK) return nullptr;
  sqlite3_busy_timeout(raw, 5000);
  // integrity_check looks each row up in every index: with the default
  // 2 MiB page cache it re-reads index pages again and again.
  if (sqlite3_exec(raw, "PRAGMA main.cache_size = -65536", nullptr, nullptr, nullptr) != SQLITE_OK) {
    return nullptr;
  }
  return db;
}

// Table names integrity_check(TABLE) would read as a number (an error limit).
bool ReadsAsNumber(std::string_view name) {
  if (!name.empty() && (name[0] == '+' || name[0] == '-')) name.remove_prefix(1);
  return !name.empty() && name[0] >= '0' && name[0] <= '9';
}

// The parallel check; nullopt when it cannot run here (the caller then runs
// the serial one).
// The plan of a parallel integrity check, from the catalog: every ordinary
// table (virtual ones have no b-tree), its indexes and any ANALYZE row
// count; the b-trees' names by root page for messages.
struct IntegrityPlan {
  struct TableInfo {
    std::string name;
    std::int64_t root = 0;
    std::vector<std::int64_t> index_roots;
    std::int64_t stat_rows = 0;
  };
  std::vector<TableInfo> tables;
  std::map<std::int64_t, std::string> trees;  // root page -> "table \"t\"", "index \"i\" of table \"t\""
  std::int64_t page_size = 4096;
  std::int64_t page_count = 0;
  std::int64_t index_count = 0;
};

// Reads the plan; nullopt when the serial check must run instead (a
// catalog too damaged to read, which the serial integrity_check reports as
// well as it can, or a table name integrity_check(TABLE) would misread).
std::optional<IntegrityPlan> PlanIntegrityCheck(sqlite3* db, const std::string& display) {
  IntegrityPlan plan;
  std::map<std::string, std::size_t> by_name;                 // lower-case name -> tables index
  std::vector<std::pair<std::string, std::int64_t>> indexes;  // table, root
  const std::string what = display + ": planning the integrity check";
  Status listed = ForEachRow(
      db, "SELECT type, name, tbl_name, rootpage FROM main.sqlite_schema WHERE type IN ('table', 'index')",
      what, [&](sqlite3_stmt* s) {
        const std::string type = ColumnText(s, 0);
        const std::string name = ColumnText(s, 1);
        const std::int64_t root = sqlite3_column_int64(s, 3);
        if (root <= 0) return Status::Ok();  // virtual tables
        if (type == "table") {
          by_name[ToLower(name)] = plan.tables.size();
          plan.tables.push_back(IntegrityPlan::TableInfo{name, root, {}, 0});
          plan.trees[root] = "table " + Quote(name);
        } else {
          indexes.emplace_back(ColumnText(s, 2), root);
          plan.trees[root] = "index " + Quote(name) + " of table " + Quote(ColumnText(s, 2));
        }
        return Status::Ok();
      });
  if (listed.ok()) {
    listed =
        ForEachRow(db, "SELECT p.page_count, s.page_size FROM pragma_page_count AS p, pragma_page_size AS s",
                   what, [&](sqlite3_stmt* s) {
                     plan.page_count = sqlite3_column_int64(s, 0);
                     plan.page_size = std::max<std::int64_t>(512, sqlite3_column_int64(s, 1));
                     return Status::Ok();
                   });
  }
  if (!listed.ok()) return std::nullopt;
  for (const auto& [table, root] : indexes) {
    auto it = by_name.find(ToLower(table));
    if (it != by_name.end()) plan.tables[it->second].index_roots.push_back(root);
    ++plan.index_count;
  }
  for (const IntegrityPlan::TableInfo& t : plan.tables) {
    if (ReadsAsNumber(t.name)) return std::nullopt;
  }
  // ANALYZE's row counts, when there are any.
  sqlite3_stmt* raw = nullptr;
  if (sqlite3_prepare_v2(db, "SELECT tbl, max(CAST(stat AS INTEGER)) FROM main.sqlite_stat1 GROUP BY tbl", -1,
                         &raw, nullptr) == SQLITE_OK) {
    StatementPtr stmt(raw);
    while (sqlite3_step(stmt.get()) == SQLITE_ROW) {
      auto it = by_name.find(ToLower(ColumnText(stmt.get(), 0)));
      if (it != by_name.end()) plan.tables[it->second].stat_rows = sqlite3_column_int64(stmt.get(), 1);
    }
  } else {
    StatementPtr none(raw);
  }
  return plan;
}

// The parts of the check, each with its cost in estimated microseconds
// (measured on a 1.2 GB database: about 5 us per page walked, 1.8 us per
// index entry compared with its row). Sizes come from a few page reads per
// b-tree (dbstat would read the whole file); row counts from ANALYZE, else
// from the sizes.
std::vector<IntegrityPart> CostedIntegrityParts(const char* file, const IntegrityPlan& plan) {
  std::vector<std::int64_t> roots;
  for (const IntegrityPlan::TableInfo& t : plan.tables) {
    roots.push_back(t.root);
    roots.insert(roots.end(), t.index_roots.begin(), t.index_roots.end());
  }
  auto estimated = EstimateSqliteBtreePages(file, roots);
  std::vector<std::int64_t> pages = estimated.ok() ? *estimated : std::vector<std::int64_t>(roots.size(), 0);
  std::vector<IntegrityPart> parts;
  IntegrityPart quick;
  quick.kind = IntegrityPart::Kind::kQuickCheck;
  quick.cost = 5.0 * static_cast<double>(plan.page_count);
  parts.push_back(std::move(quick));
  std::size_t next_root = 0;
  for (const IntegrityPlan::TableInfo& t : plan.tables) {
    const double table_pages = static_cast<double>(pages[next_root++]);
    double index_pages = 0;
    double largest_index = 0;
    for (std::size_t i = 0; i < t.index_roots.size(); ++i) {
      const auto p = static_cast<double>(pages[next_root++]);
      index_pages += p;
      largest_index = std::max(largest_index, p);
    }
    const double page_size = static_cast<double>(plan.page_size);
    const double rows = t.stat_rows > 0          ? static_cast<double>(t.stat_rows)
                        : !t.index_roots.empty() ? largest_index * page_size / 40
                                                 : table_pages * page_size / 200;
    IntegrityPart part;
    part.kind = IntegrityPart::Kind::kTable;
    part.table = t.name;
    part.cost = 5.0 * (table_pages + index_pages) + 1.8 * rows * static_cast<double>(t.index_roots.size());
    parts.push_back(std::move(part));
  }
  return parts;
}

// Runs the parts, largest first: two workers, one per connection, take the
// next part until none is left (or one failed for another reason than
// damage).
void RunIntegrityParts(sqlite3* first, sqlite3* second, const std::string& display,
                       std::vector<IntegrityPart>& parts) {
  std::vector<std::size_t> order(parts.size());
  for (std::size_t i = 0; i < order.size(); ++i) order[i] = i;
  std::stable_sort(order.begin(), order.end(),
                   [&](std::size_t a, std::size_t b) { return parts[a].cost > parts[b].cost; });
  std::atomic<std::size_t> next{0};
  std::atomic<bool> failed{false};
  auto work = [&](sqlite3* on) {
    while (!failed.load()) {
      const std::size_t i = next.fetch_add(1);
      if (i >= order.size()) break;
      IntegrityPart& part = parts[order[i]];
      try {
        RunIntegrityPart(on, display, part);
      } catch (const std::exception& e) {
        part.status = Status::Internal(display + ": " + PartLabel(part) + ": unexpected error: " + e.what());
      }
      if (!part.status.ok()) failed.store(true);
    }
  };
  std::thread helper(work, second);
  struct Join {
    std::thread& t;
    ~Join() { t.join(); }
  } join{helper};
  work(first);
}

// The problems the parts found, in a stable order: tables by name, then the
// whole-file check. A line the table's own check already reported (NOT
// NULL, a damaged b-tree) is not repeated for quick_check.
std::vector<std::string> MergeIntegrityProblems(const std::vector<IntegrityPart>& parts,
                                                const std::map<std::int64_t, std::string>& trees) {
  std::vector<const IntegrityPart*> sorted;
  for (const IntegrityPart& part : parts) sorted.push_back(&part);
  std::stable_sort(sorted.begin(), sorted.end(), [](const IntegrityPart* a, const IntegrityPart* b) {
    auto rank = [](const IntegrityPart* p) { return p->kind == IntegrityPart::Kind::kTable ? 0 : 1; };
    if (rank(a) != rank(b)) return rank(a) < rank(b);
    return a->table < b->table;
  });
  std::set<std::string> reported;
  std::vector<std::string> problems;
  for (const IntegrityPart* part : sorted) {
    const std::string label = PartLabel(*part);
    for (const std::string& line : part->lines) {
      if (part->kind == IntegrityPart::Kind::kTable || reported.count(line) == 0) {
        reported.insert(line);
        problems.push_back(label + ": " + NameTheTree(line, trees));
      }
    }
    if (!part->stopped.empty()) problems.push_back(label + " stopped: " + part->stopped);
  }
  return problems;
}

std::optional<Result<std::vector<std::string>>> ParallelIntegrityCheck(sqlite3* db,
                                                                       const std::string& display,
                                                                       std::string* checks_run) {
  const char* file = sqlite3_db_filename(db, "main");
  // Without a file there is nothing a second connection could open; with a
  // transaction open here, other connections would not see what it did.
  if (file == nullptr || *file == '\0' || sqlite3_get_autocommit(db) == 0) return std::nullopt;
  std::optional<IntegrityPlan> plan = PlanIntegrityCheck(db, display);
  if (!plan) return std::nullopt;
  CheckerPtr first = OpenChecker(file);
  CheckerPtr second = first ? OpenChecker(file) : nullptr;
  if (!second) return std::nullopt;
  std::vector<IntegrityPart> parts = CostedIntegrityParts(file, *plan);
  RunIntegrityParts(first.get(), second.get(), display, parts);
  for (const IntegrityPart& part : parts) {
    if (!part.status.ok()) return Result<std::vector<std::string>>(part.status);
  }
  std::vector<std::string> problems = MergeIntegrityProblems(parts, plan->trees);
  if (checks_run != nullptr) {
    const std::size_t tables = plan->tables.size();
    const std::int64_t index_count = plan->index_count;
    *checks_run = "integrity_check of " + std::to_string(tables) + (tables == 1 ? " table" : " tables") +
                  " (" + std::to_string(index_count) + (index_count == 1 ? " index" : " indexes") +
                  ") and quick_check of the whole file, on 2 connections";
  }
  return Result<std::vector<std::string>>(std::move(problems));
}

}  // namespace

Result<bool> IsEmptySqliteDatabase(sqlite3* db, const std::string& display) {
  std::int64_t objects = 0;
  CUTOVER_RETURN_IF_ERROR(
      ForEachRow(db, "SELECT count(*) FROM main.sqlite_schema WHERE name NOT LIKE 'sqlite\\_%' ESCAPE '\\'",
                 display + ": checking whether the database is empty", [&](sqlite3_stmt* s) {
                   objects = sqlite3_column_int64(s, 0);
                   return Status::Ok();
                 }));
  return objects == 0;
}

Result<std::vector<std::string>> CheckSqliteIntegrity(sqlite3* db, const std::string& display,
                                                      std::string* checks_run) {
  auto parallel = ParallelIntegrityCheck(db, display, checks_run);
  if (parallel) return std::move(*parallel);
  return SerialIntegrityCheck(db, display, checks_run);
}

Result<bool> SqliteConnection::IsEmptyDatabase() {
  return Guarded(display_, [&]() -> Result<bool> { return IsEmptySqliteDatabase(db_, display_); });
}

Result<std::vector<std::string>> SqliteConnection::CheckIntegrity(std::string* checks_run) {
  return Guarded(display_, [&]() -> Result<std::vector<std::string>> {
    return CheckSqliteIntegrity(db_, display_, checks_run);
  });
}

}  // namespace cutover::sqlite
