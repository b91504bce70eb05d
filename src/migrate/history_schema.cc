#include "migrate/history_schema.h"

#include <algorithm>
#include <tuple>

#include "migrate/foreign_history.h"
#include "schema/scratch_schema.h"

namespace cutover::migrate {
namespace {

// expand before contract when two rows carry the same time (a baseline).
int PhaseRank(plan::Phase phase) {
  return phase == plan::Phase::kExpand ? 0 : 1;
}

}  // namespace

Result<std::vector<ReplayStep>> ReplaySteps(const plan::Plan& plan, const History& history) {
  struct Ordered {
    std::string started_at;
    std::size_t migration_index;
    int phase_rank;
    ReplayStep step;
  };
  std::vector<Ordered> ordered;
  std::vector<std::string> problems;
  for (const auto& entry : history) {
    const HistoryRow& row = entry.second;
    const std::optional<plan::Phase> phase = plan::PhaseForName(row.phase);
    const bool schema_phase = phase == plan::Phase::kExpand || phase == plan::Phase::kContract;
    if (!schema_phase || row.state == RunState::kRolledBack) continue;
    const auto found = std::find_if(plan.migrations.begin(), plan.migrations.end(),
                                    [&](const plan::Migration& m) { return m.name == row.migration; });
    if (found == plan.migrations.end()) {
      problems.push_back(row.migration + " (" + row.phase +
                         "): recorded in the history but missing from the plan on disk");
      continue;
    }
    const plan::PlanFile* file = found->file(*phase);
    if (file == nullptr) {
      problems.push_back(row.migration + "/" + std::string(plan::PhaseFileName(*phase)) +
                         ": recorded in the history but missing from the plan on disk");
      continue;
    }
    if (!row.checksum.empty() && row.checksum != file->checksum) {
      problems.push_back(file->display_path + ": edited after it was applied (checksum " +
                         row.checksum.substr(0, 12) + "... in the history, " + file->checksum.substr(0, 12) +
                         "... on disk)");
      continue;
    }
    const auto total = static_cast<std::int64_t>(file->statements.size());
    const std::int64_t count =
        row.state == RunState::kSucceeded ? total : std::clamp<std::int64_t>(row.statements_done, 0, total);
    if (count == 0) continue;
    ordered.push_back({row.started_at, static_cast<std::size_t>(found - plan.migrations.begin()),
                       PhaseRank(*phase), ReplayStep{&*found, file, count}});
  }
  if (!problems.empty()) {
    std::string message =
        "the migration history of the target does not match the plan, so the schema it should have is "
        "unknown:";
    for (const auto& p : problems) message += "\n  " + p;
    message += "\nrun `cutover status` for details; restore the files as they were applied";
    return Status::CheckFailed(message);
  }
  std::stable_sort(ordered.begin(), ordered.end(), [](const Ordered& a, const Ordered& b) {
    return std::tie(a.started_at, a.migration_index, a.phase_rank) <
           std::tie(b.started_at, b.migration_index, b.phase_rank);
  });
  std::vector<ReplayStep> steps;
  for (auto& o : ordered) steps.push_back(o.step);
  return steps;
}

Result<SchemaModel> SchemaFromHistory(Driver& driver, const ConnectionUri& scratch_server,
                                      const std::vector<ReplayStep>& steps) {
  SchemaModel model;
  Status st =
      WithScratchDatabase(driver, scratch_server, [&](const std::string&, const ConnectionUri& database) {
        auto conn = driver.Connect(database);
        if (!conn.ok())
          return conn.status().WithContext("connecting to scratch database " + database.Redacted());
        for (const ReplayStep& step : steps) {
          for (std::int64_t i = 0; i < step.statements; ++i) {
            if (TerminationPending()) {
              return InterruptedStatus(
                  "nothing was changed (the replay ran on a scratch database, which is dropped)",
                  "run the same command again");
            }
            const plan::Statement& statement = step.file->statements[static_cast<std::size_t>(i)];
            auto r = (*conn)->Execute(step.file->ExecutableText(statement));
            if (!r.ok()) {
              return Status::InvalidInput(
                         step.file->display_path + ":" + std::to_string(statement.line) +
                         ": replaying the migration history on the scratch database failed: " +
                         r.status().message() +
                         "; the file does not run on the schema the earlier migrations build")
                  .WithSqlstate(r.status().sqlstate());
            }
          }
        }
        auto read = (*conn)->ReadSchema();
        if (!read.ok()) return read.status().WithContext("reading the schema of the scratch database");
        model = std::move(*read);
        return Status::Ok();
      });
  if (!st.ok()) return st;
  return model;
}

void RemoveHistoryTable(SchemaModel& model, plan::Layout layout) {
  std::vector<std::string_view> tables = ToolTables(layout);
  tables.push_back(kHistoryTable);
  for (std::string_view table : tables) {
    std::erase_if(model.objects, [table](const SchemaObject& obj) {
      return obj.table == table || (obj.table.empty() && obj.name == table);
    });
  }
  // sqitch keeps its registry in a namespace of its own: where that is a
  // schema of the database, all of it goes.
  if (layout == plan::Layout::kSqitch) {
    std::erase_if(model.objects, [](const SchemaObject& obj) {
      return obj.schema == "sqitch" || (obj.kind == ObjectKind::kSchema && obj.name == "sqitch");
    });
  }
}

}  // namespace cutover::migrate
