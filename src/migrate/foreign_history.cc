#include "migrate/foreign_history.h"

#include <algorithm>
#include <filesystem>
#include <map>
#include <optional>
#include <vector>

#include "base/strings.h"

namespace cutover::migrate {
namespace {

using plan::Layout;
using plan::Migration;
using Row = std::vector<std::optional<std::string>>;

bool Truthy(const std::optional<std::string>& v) {
  const std::string lower = v ? ToLower(Trim(*v)) : "";
  return lower == "t" || lower == "true" || lower == "1" || lower == "y" || lower == "yes";
}

// Every row of `columns` of `table`, NULL as nullopt; no rows when the
// table does not exist.
Result<std::vector<Row>> ReadTable(Connection& conn, std::string_view table,
                                   const std::vector<std::string>& columns, const std::string& order_by,
                                   std::string_view tool) {
  auto exists = conn.TableExists(table);
  if (!exists.ok())
    return exists.status().WithContext("looking for " + std::string(tool) + "'s history table " +
                                       std::string(table));
  std::vector<Row> rows;
  if (!*exists) return rows;
  std::vector<std::string> quoted;
  for (const auto& c : columns) quoted.push_back(conn.QuoteIdentifier(c));
  std::string sql = "SELECT " + Join(quoted, ", ") + " FROM " + conn.QuoteIdentifier(table);
  if (!order_by.empty()) sql += " ORDER BY " + conn.QuoteIdentifier(order_by);
  Status st = conn.Query(sql, [&](RowView view) {
    Row row;
    for (size_t i = 0; i < view.size(); ++i) {
      row.push_back(view[i].is_null() ? std::nullopt : std::optional<std::string>(std::string(view[i].data)));
    }
    rows.push_back(std::move(row));
    return Status::Ok();
  });
  if (!st.ok()) {
    return st.WithContext("reading " + std::string(tool) + "'s history table " + std::string(table) + "(" +
                          Join(columns, ", ") + ") on " + conn.display_uri() +
                          " (another tool's table of that name? say which layout the plan is with --layout)");
  }
  return rows;
}

plan::Phase ForwardPhase(const Migration& m) {
  for (plan::Phase p : {plan::Phase::kExpand, plan::Phase::kBackfill, plan::Phase::kContract}) {
    if (m.file(p) != nullptr) return p;
  }
  return plan::Phase::kExpand;
}

// The row of `m` as the tool recorded it.
HistoryRow ToolRow(const Migration& m, std::string_view tool, std::string_view table, RunState state,
                   const std::optional<std::string>& at) {
  const plan::Phase phase = ForwardPhase(m);
  const plan::PlanFile* f = m.file(phase);
  HistoryRow row;
  row.migration = m.name;
  row.phase = std::string(plan::PhaseName(phase));
  row.checksum = f != nullptr ? f->checksum : "";
  row.state = state;
  row.applied_by = std::string(tool);
  row.started_at = row.finished_at = at.value_or("");
  row.statements_total = f != nullptr ? static_cast<std::int64_t>(f->statements.size()) : 0;
  row.statements_done = state == RunState::kSucceeded ? row.statements_total : 0;
  row.attempts = 1;
  row.source = std::string(table);
  row.note = "recorded by " + std::string(tool) + " in " + std::string(table);
  return row;
}

// A version the tool recorded that no file of the plan has.
HistoryRow UnknownRow(std::string_view tool, std::string_view table, const std::string& name) {
  HistoryRow row;
  row.migration = name;
  row.phase = "expand";
  row.state = RunState::kSucceeded;
  row.applied_by = std::string(tool);
  row.source = std::string(table);
  row.note = "recorded by " + std::string(tool) + " in " + std::string(table);
  return row;
}

void Put(History& h, HistoryRow row) {
  auto key = std::make_pair(row.migration, row.phase);
  h[key] = std::move(row);
}

const Migration* ByVersion(const plan::Plan& plan, std::string_view version) {
  for (const Migration& m : plan.migrations) {
    if (!m.repeatable && plan::SameToolVersion(m.version, version)) return &m;
  }
  return nullptr;
}

bool IsNumber(const std::optional<std::string>& v) {
  return v && !v->empty() && v->find_first_not_of("0123456789") == std::string::npos;
}

Status BadRow(std::string_view table, const std::string& what) {
  return Status::InvalidInput(
      "the history table " + std::string(table) + " has " + what +
      ", which its tool never writes: was it edited by hand? Fix the row with the tool "
      "(or by hand) before cutover can say what is applied");
}

Result<History> GolangMigrate(Connection& conn, const plan::Plan& plan) {
  constexpr std::string_view kTable = "schema_migrations", kTool = "golang-migrate";
  auto rows = ReadTable(conn, kTable, {"version", "dirty"}, "", kTool);
  if (!rows.ok()) return rows.status();
  History h;
  if (rows->empty()) return h;
  if (rows->size() > 1)
    return BadRow(kTable, std::to_string(rows->size()) + " rows (golang-migrate keeps one)");
  const Row& r = rows->front();
  if (!IsNumber(r[0])) return BadRow(kTable, "the version '" + r[0].value_or("NULL") + "'");
  const std::string current = *r[0];
  const bool dirty = Truthy(r[1]);
  for (const Migration& m : plan.migrations) {
    if (plan::ToolVersionLess(current, m.version)) break;
    const bool is_current = plan::SameToolVersion(m.version, current);
    HistoryRow row =
        ToolRow(m, kTool, kTable, is_current && dirty ? RunState::kFailed : RunState::kSucceeded, {});
    if (is_current && dirty) {
      row.error = "golang-migrate marks version " + current +
                  " dirty: it failed part-way; repair the database by hand, then `migrate force VERSION`";
    }
    Put(h, row);
  }
  if (ByVersion(plan, current) == nullptr && current != "0") {
    Put(h, UnknownRow(kTool, kTable, "golang-migrate version " + current));
  }
  return h;
}

Result<History> Dbmate(Connection& conn, const plan::Plan& plan) {
  constexpr std::string_view kTable = "schema_migrations", kTool = "dbmate";
  auto rows = ReadTable(conn, kTable, {"version"}, "", kTool);
  if (!rows.ok()) return rows.status();
  History h;
  for (const Row& r : *rows) {
    if (!r[0]) return BadRow(kTable, "a NULL version");
    const Migration* m = nullptr;
    for (const Migration& candidate : plan.migrations) {
      if (candidate.version == *r[0]) m = &candidate;  // dbmate compares the text
    }
    Put(h, m != nullptr ? ToolRow(*m, kTool, kTable, RunState::kSucceeded, {})
                        : UnknownRow(kTool, kTable, "dbmate version " + *r[0]));
  }
  return h;
}

Result<History> Goose(Connection& conn, const plan::Plan& plan) {
  constexpr std::string_view kTable = "goose_db_version", kTool = "goose";
  auto rows = ReadTable(conn, kTable, {"version_id", "is_applied", "tstamp"}, "id", kTool);
  if (!rows.ok()) return rows.status();
  // The newest row of each version decides.
  std::vector<std::pair<std::string, Row>> latest;
  for (const Row& r : *rows) {
    if (!IsNumber(r[0])) return BadRow(kTable, "the version_id '" + r[0].value_or("NULL") + "'");
    if (plan::SameToolVersion(*r[0], "0")) continue;  // goose's own first row
    auto it = std::find_if(latest.begin(), latest.end(),
                           [&](const auto& p) { return plan::SameToolVersion(p.first, *r[0]); });
    if (it == latest.end())
      latest.emplace_back(*r[0], r);
    else
      it->second = r;
  }
  History h;
  for (const auto& [version, r] : latest) {
    if (!Truthy(r[1])) continue;  // migrated down
    const Migration* m = ByVersion(plan, version);
    Put(h, m != nullptr ? ToolRow(*m, kTool, kTable, RunState::kSucceeded, r[2])
                        : UnknownRow(kTool, kTable, "goose version " + version));
  }
  return h;
}

// One row of flyway_schema_history.
struct FlywayRow {
  std::optional<std::string> version;  // NULL for repeatables
  std::string description, type, script;
  std::optional<std::string> checksum, installed_on;
  bool success = false;
};

struct FlywayState {
  std::vector<FlywayRow> versioned;    // the newest row of each version
  std::vector<FlywayRow> undone;       // versions whose newest row is a successful undo
  std::vector<FlywayRow> repeatables;  // the newest row of each description
  std::optional<std::string> baseline;
};

void Newest(std::vector<FlywayRow>& rows, FlywayRow row, bool by_version) {
  auto same = [&](const FlywayRow& r) {
    return by_version ? plan::SameToolVersion(*r.version, *row.version) : r.description == row.description;
  };
  auto it = std::find_if(rows.begin(), rows.end(), same);
  if (it == rows.end())
    rows.push_back(std::move(row));
  else
    *it = std::move(row);
}

Result<FlywayState> ReadFlywayRows(Connection& conn) {
  constexpr std::string_view kTable = "flyway_schema_history";
  auto rows = ReadTable(conn, kTable,
                        {"version", "description", "type", "script", "checksum", "installed_on", "success"},
                        "installed_rank", "Flyway");
  if (!rows.ok()) return rows.status();
  FlywayState state;
  for (const Row& r : *rows) {
    FlywayRow row{r[0], r[1].value_or(""), ToUpper(r[2].value_or("")), r[3].value_or(""), r[4],
                  r[5], Truthy(r[6])};
    if (row.type == "SCHEMA" || row.type == "DELETE") continue;  // markers, not migrations
    if (row.type == "BASELINE") {
      state.baseline = row.version;
      continue;
    }
    if (!row.version) {
      Newest(state.repeatables, std::move(row), false);
      continue;
    }
    const bool undo = row.type.starts_with("UNDO");
    if (undo && !row.success) continue;  // a failed undo leaves the migration applied
    auto& from = undo ? state.versioned : state.undone;
    std::erase_if(from, [&](const FlywayRow& o) { return plan::SameToolVersion(*o.version, *row.version); });
    Newest(undo ? state.undone : state.versioned, std::move(row), true);
  }
  return state;
}

Result<History> Flyway(Connection& conn, const plan::Plan& plan) {
  constexpr std::string_view kTable = "flyway_schema_history", kTool = "Flyway";
  auto state = ReadFlywayRows(conn);
  if (!state.ok()) return state.status();
  History h;
  auto recorded = [&](const Migration& m, const FlywayRow& r) {
    HistoryRow row =
        ToolRow(m, kTool, kTable, r.success ? RunState::kSucceeded : RunState::kFailed, r.installed_on);
    if (!r.success) {
      row.error = "flyway_schema_history records " + r.script +
                  " as failed (success = false): Flyway will not migrate until `flyway repair`";
    } else if (r.checksum && *r.checksum != m.tool_checksum) {
      row.checksum = "flyway:" + *r.checksum;
      row.note =
          "flyway_schema_history records checksum " + *r.checksum + ", the file's is now " + m.tool_checksum;
    }
    Put(h, row);
  };
  for (const Migration& m : plan.migrations) {
    if (m.repeatable) {
      for (const FlywayRow& r : state->repeatables) {
        // A changed repeatable is pending again: Flyway re-runs it.
        if (r.description == m.version && (!r.success || r.checksum == m.tool_checksum)) recorded(m, r);
      }
      continue;
    }
    bool found = false;
    for (const FlywayRow& r : state->versioned) {
      if (!plan::SameToolVersion(*r.version, m.version)) continue;
      recorded(m, r);
      found = true;
    }
    for (const FlywayRow& r : state->undone) {
      if (!plan::SameToolVersion(*r.version, m.version)) continue;
      HistoryRow row = ToolRow(m, kTool, kTable, RunState::kRolledBack, r.installed_on);
      row.note = "undone by " + r.script;
      Put(h, row);
      found = true;
    }
    if (!found && state->baseline && !plan::ToolVersionLess(*state->baseline, m.version)) {
      HistoryRow row = ToolRow(m, kTool, kTable, RunState::kSucceeded, std::nullopt);
      row.note = "at or below Flyway's baseline version " + *state->baseline;
      Put(h, row);
    }
  }
  for (const FlywayRow& r : state->versioned) {
    if (ByVersion(plan, *r.version) == nullptr) {
      // Named as the plan would name its file: the script without ".sql".
      const std::string stem = std::filesystem::path(r.script).stem().string();
      Put(h, UnknownRow(kTool, kTable, stem.empty() ? "Flyway version " + *r.version : stem));
    }
  }
  return h;
}

// DATABASECHANGELOG: Liquibase creates it as DATABASECHANGELOG, which
// engines that fold unquoted names keep in lower case; both spellings are
// looked for. The newest row (ORDEREXECUTED) of each author:id decides.
Result<History> Liquibase(Connection& conn, const plan::Plan& plan) {
  constexpr std::string_view kTool = "Liquibase";
  std::string_view table = "databasechangelog";
  for (std::string_view spelling : {"databasechangelog", "DATABASECHANGELOG"}) {
    auto exists = conn.TableExists(spelling);
    if (!exists.ok()) return exists.status().WithContext("looking for Liquibase's DATABASECHANGELOG");
    if (*exists) table = spelling;
  }
  auto rows = ReadTable(conn, table, {"id", "author", "filename", "dateexecuted", "exectype"},
                        "orderexecuted", kTool);
  if (!rows.ok()) return rows.status();
  std::vector<std::pair<std::string, Row>> latest;  // "author:id" -> newest row
  for (const Row& r : *rows) {
    if (!r[0] || !r[1]) return BadRow(table, "a row without id or author");
    const std::string key = *r[1] + ":" + *r[0];
    auto it = std::find_if(latest.begin(), latest.end(), [&](const auto& p) { return p.first == key; });
    if (it == latest.end())
      latest.emplace_back(key, r);
    else
      it->second = r;
  }
  History h;
  for (const auto& newest : latest) {
    const std::string& key = newest.first;
    const Row& r = newest.second;
    const std::string type = ToUpper(r[4].value_or(""));
    if (type == "SKIPPED") continue;
    const Migration* m = nullptr;
    for (const Migration& candidate : plan.migrations) {
      if (candidate.version == key && !candidate.repeatable) m = &candidate;
    }
    if (m == nullptr) {
      if (std::none_of(plan.migrations.begin(), plan.migrations.end(),
                       [&](const Migration& c) { return c.version == key; })) {
        Put(h, UnknownRow(kTool, table, key));
      }
      continue;  // runAlways: pending at every update
    }
    HistoryRow row =
        ToolRow(*m, kTool, table, type == "FAILED" ? RunState::kFailed : RunState::kSucceeded, r[3]);
    if (type == "FAILED")
      row.error = "DATABASECHANGELOG records " + key + " (" + r[2].value_or("") + ") as FAILED";
    if (type == "MARK_RAN")
      row.note = "marked ran by Liquibase (changelogSync or a failed precondition), not run";
    Put(h, row);
  }
  return h;
}

// sqitch's registry: `changes` in the namespace `sqitch` beside the
// database (Connection::AttachNeighbour), one row per deployed change of
// each project, deleted on revert. A change reworked later appears in the
// plan once per version (NAME@TAG, ..., NAME) and in the registry once per
// deployed version, in deploy order: the k-th row of a name is its k-th
// version in the plan.
Result<History> Sqitch(Connection& conn, const plan::Plan& plan) {
  constexpr std::string_view kTable = "sqitch.changes", kTool = "sqitch";
  History h;
  auto present = conn.AttachNeighbour("sqitch");
  if (!present.ok()) return present.status().WithContext("looking for sqitch's registry");
  if (!*present) return h;
  std::vector<std::pair<std::string, std::optional<std::string>>> rows;
  const std::string sql =
      "SELECT " + conn.QuoteIdentifier("change") + ", " + conn.QuoteIdentifier("committed_at") + " FROM " +
      conn.QuoteIdentifier("sqitch") + "." + conn.QuoteIdentifier("changes") + " WHERE " +
      conn.QuoteIdentifier("project") + " = " + conn.QuoteLiteral(plan.project) + " ORDER BY " +
      conn.QuoteIdentifier("committed_at") + ", " + conn.QuoteIdentifier("change_id");
  Status st = conn.Query(sql, [&](RowView view) {
    rows.emplace_back(std::string(view[0].data), view[1].is_null()
                                                     ? std::nullopt
                                                     : std::optional<std::string>(std::string(view[1].data)));
    return Status::Ok();
  });
  if (!st.ok()) return st.WithContext("reading sqitch's registry (sqitch.changes) on " + conn.display_uri());
  std::map<std::string, int> seen;
  for (const auto& [change, at] : rows) {
    const int k = seen[change]++;
    const Migration* m = nullptr;
    int version = 0;
    for (const Migration& candidate : plan.migrations) {
      if (candidate.version == change && version++ == k) m = &candidate;
    }
    Put(h, m != nullptr ? ToolRow(*m, kTool, kTable, RunState::kSucceeded, at)
                        : UnknownRow(kTool, kTable, "sqitch change " + change));
  }
  return h;
}

}  // namespace

Result<History> ReadToolHistory(Connection& conn, const plan::Plan& plan) {
  switch (plan.layout) {
    case Layout::kCutover: return History{};
    case Layout::kGolangMigrate: return GolangMigrate(conn, plan);
    case Layout::kFlyway: return Flyway(conn, plan);
    case Layout::kDbmate: return Dbmate(conn, plan);
    case Layout::kGoose: return Goose(conn, plan);
    case Layout::kLiquibase: return Liquibase(conn, plan);
    case Layout::kSqitch: return Sqitch(conn, plan);
  }
  return History{};
}

std::string_view ToolHistoryTable(Layout layout) {
  return ToolTables(layout).front();
}

std::vector<std::string_view> ToolTables(Layout layout) {
  switch (layout) {
    case Layout::kCutover: return {kHistoryTable};
    case Layout::kGolangMigrate:
    case Layout::kDbmate: return {"schema_migrations"};
    case Layout::kFlyway: return {"flyway_schema_history"};
    case Layout::kGoose: return {"goose_db_version"};
    case Layout::kSqitch: return {"sqitch.changes"};
    case Layout::kLiquibase:
      return {"databasechangelog", "DATABASECHANGELOG", "databasechangeloglock", "DATABASECHANGELOGLOCK"};
  }
  return {kHistoryTable};
}

Result<bool> HistoryTableExistsFor(Connection& conn, const plan::Plan& plan) {
  auto own = HistoryTableExists(conn);
  if (!own.ok() || *own || plan.layout == Layout::kCutover) return own;
  if (plan.layout == Layout::kSqitch) return conn.AttachNeighbour("sqitch");
  for (std::string_view table : ToolTables(plan.layout)) {
    auto tool = conn.TableExists(table);
    if (!tool.ok()) return tool.status().WithContext("looking for " + std::string(table));
    if (*tool) return true;
  }
  return false;
}

Result<History> ReadHistoryOf(Connection& conn, const plan::Plan& plan) {
  auto own = ReadHistory(conn);
  if (!own.ok()) return own.status();
  auto tool = ReadToolHistory(conn, plan);
  if (!tool.ok()) return tool.status();
  for (auto& [key, row] : *tool) own->emplace(key, std::move(row));  // cutover's own rows win
  return own;
}

bool ToolHistoryOutsideDatabase(Layout layout) {
  return layout == Layout::kSqitch;
}

}  // namespace cutover::migrate
