#include "migrate/status.h"

#include <algorithm>
#include <nlohmann/json.hpp>
#include <set>

namespace cutover::migrate {
namespace {

constexpr plan::Phase kRunPhases[] = {plan::Phase::kExpand, plan::Phase::kBackfill, plan::Phase::kContract};

std::string Ran(const HistoryRow& r) {
  return std::to_string(r.statements_done) + " of " + std::to_string(r.statements_total) +
         " statement(s) ran";
}

}  // namespace

std::string_view PhaseStateName(PhaseState state) {
  switch (state) {
    case PhaseState::kApplied: return "applied";
    case PhaseState::kPending: return "pending";
    case PhaseState::kEdited: return "edited";
    case PhaseState::kMissing: return "missing";
    case PhaseState::kOutOfOrder: return "out_of_order";
    case PhaseState::kFailed: return "failed";
    case PhaseState::kPartial: return "partial";
    case PhaseState::kRolledBack: return "rolled_back";
  }
  return "?";
}

int StatusReport::problems() const {
  int n = 0;
  for (const auto& e : entries) {
    if (e.state == PhaseState::kEdited || e.state == PhaseState::kMissing || e.state == PhaseState::kFailed ||
        e.state == PhaseState::kPartial) {
      ++n;
    }
  }
  return n;
}

const PhaseStatus* StatusReport::Find(const std::string& migration, const std::string& phase) const {
  for (const auto& e : entries) {
    if (e.migration == migration && e.phase == phase) return &e;
  }
  return nullptr;
}

StatusReport ComputeStatus(const plan::Plan& plan, const History& history, bool history_table) {
  StatusReport report;
  report.history_table = history_table;
  std::set<std::pair<std::string, std::string>> seen;

  // The index of the last migration whose expand is applied, for out-of-order.
  int last_applied = -1;
  for (size_t i = 0; i < plan.migrations.size(); ++i) {
    if (plan.migrations[i].repeatable)
      continue;  // Flyway's R__ files run after every version, whatever is pending
    auto it = history.find({plan.migrations[i].name, "expand"});
    if (it != history.end() && it->second.state == RunState::kSucceeded) last_applied = static_cast<int>(i);
  }

  for (size_t i = 0; i < plan.migrations.size(); ++i) {
    const plan::Migration& m = plan.migrations[i];
    for (plan::Phase phase : kRunPhases) {
      const std::string phase_name(plan::PhaseName(phase));
      const plan::PlanFile* file = m.file(phase);
      auto it = history.find({m.name, phase_name});
      const HistoryRow* row = it != history.end() ? &it->second : nullptr;
      if (file == nullptr && row == nullptr) continue;
      seen.insert({m.name, phase_name});
      PhaseStatus e;
      e.migration = m.name;
      e.phase = phase_name;
      if (row != nullptr) e.row = *row;
      if (file != nullptr) e.file = file->display_path;
      if (file == nullptr) {
        if (row->state == RunState::kRolledBack) continue;  // rolled back, then deleted: nothing to say
        e.state = PhaseState::kMissing;
        e.detail = m.name + "/" + phase_name + ".sql is recorded as " +
                   std::string(RunStateName(row->state)) + " but is no longer in the plan: restore the file";
      } else if (row == nullptr) {
        e.state = PhaseState::kPending;
        if (phase == plan::Phase::kExpand && static_cast<int>(i) < last_applied) {
          e.state = PhaseState::kOutOfOrder;
          e.detail = "pending, but the later migration " + plan.migrations[last_applied].name +
                     " is already applied";
        }
      } else {
        switch (row->state) {
          case RunState::kSucceeded:
            if (row->checksum != file->checksum) {
              e.state = PhaseState::kEdited;
              // Another tool's row explains its own checksum in the note.
              const std::string recorded = row->source.empty()
                                               ? "recorded checksum " + row->checksum.substr(0, 12) +
                                                     ", now " + file->checksum.substr(0, 12)
                                               : row->note;
              e.detail = file->display_path + " was edited after it was applied (" + recorded +
                         "): restore the applied version and put the change in a new migration";
            } else {
              e.state = PhaseState::kApplied;
              if (!row->note.empty()) e.detail = row->note;
            }
            break;
          case RunState::kFailed:
            e.state = PhaseState::kFailed;
            e.detail = "failed at " + file->display_path + ":" + std::to_string(row->failed_line) + " (" +
                       Ran(*row) + "): " + row->error;
            break;
          case RunState::kRunning:
            e.state = PhaseState::kPartial;
            e.detail = phase == plan::Phase::kBackfill
                           ? "interrupted after " + std::to_string(row->batches) + " batch(es), " +
                                 std::to_string(row->rows) +
                                 " row(s) (or running now): apply again to continue"
                           : "interrupted (or running now): " + Ran(*row) + "; apply again to resume";
            break;
          case RunState::kRolledBack:
            e.state = PhaseState::kRolledBack;
            e.detail = "rolled back: pending again";
            if (phase == plan::Phase::kExpand && static_cast<int>(i) < last_applied) {
              e.state = PhaseState::kOutOfOrder;
              e.detail = "rolled back, and the later migration " + plan.migrations[last_applied].name +
                         " is applied";
            }
            break;
        }
      }
      report.entries.push_back(std::move(e));
    }
    // A rollback row is information: shown while its expand is rolled back.
    auto rb = history.find({m.name, "rollback"});
    if (rb != history.end()) {
      seen.insert({m.name, "rollback"});
      auto ex = history.find({m.name, "expand"});
      const bool current = ex == history.end() || ex->second.state == RunState::kRolledBack ||
                           rb->second.state != RunState::kSucceeded;
      if (current) {
        PhaseStatus e;
        e.migration = m.name;
        e.phase = "rollback";
        e.row = rb->second;
        if (const plan::PlanFile* f = m.file(plan::Phase::kRollback)) e.file = f->display_path;
        if (rb->second.state == RunState::kSucceeded) {
          e.state = PhaseState::kApplied;
          e.detail = "rollback ran " + rb->second.finished_at;
        } else if (rb->second.state == RunState::kFailed) {
          e.state = PhaseState::kFailed;
          e.detail = "rollback failed at line " + std::to_string(rb->second.failed_line) + " (" +
                     Ran(rb->second) + "): " + rb->second.error;
        } else {
          e.state = PhaseState::kPartial;
          e.detail = "rollback interrupted: " + Ran(rb->second);
        }
        report.entries.push_back(std::move(e));
      }
    }
  }
  // History rows of migrations that are no longer in the plan.
  for (const auto& [key, row] : history) {
    if (seen.count(key) || plan.Find(key.first) != nullptr) continue;
    if (row.state == RunState::kRolledBack || key.second == "rollback") continue;
    PhaseStatus e;
    e.migration = key.first;
    e.phase = key.second;
    e.row = row;
    e.state = PhaseState::kMissing;
    e.detail =
        row.source.empty()
            ? "recorded as " + std::string(RunStateName(row.state)) +
                  " in the history, but the migration folder is not in the plan: restore it"
            : "recorded in " + row.source + ", but no file of the plan has this version: restore the file";
    report.entries.push_back(std::move(e));
  }
  return report;
}

std::string StatusText(const StatusReport& report) {
  std::string out;
  if (!report.history_table) out += "No history table (cutover_migrations) yet: nothing has been applied.\n";
  size_t w = 9;
  for (const auto& e : report.entries) w = std::max(w, e.migration.size());
  auto pad = [](std::string s, size_t n) {
    if (s.size() < n) s.append(n - s.size(), ' ');
    return s;
  };
  out += pad("MIGRATION", w) + "  " + pad("PHASE", 8) + "  " + pad("STATE", 12) + "  DETAIL\n";
  for (const auto& e : report.entries) {
    std::string detail = e.detail;
    if (detail.empty() && e.row && e.state == PhaseState::kApplied) {
      detail = e.row->finished_at + " by " + e.row->applied_by + " in " + std::to_string(e.row->duration_ms) +
               " ms";
      if (e.phase == "backfill") detail += ", " + std::to_string(e.row->rows) + " row(s)";
    }
    out += pad(e.migration, w) + "  " + pad(e.phase, 8) + "  " +
           pad(std::string(PhaseStateName(e.state)), 12) + "  " + detail + "\n";
  }
  const int problems = report.problems();
  out += problems == 0
             ? "OK: nothing edited, missing or failed.\n"
             : std::to_string(problems) + " problem(s): edited, missing, failed or partial entries above.\n";
  return out;
}

std::string StatusJson(const StatusReport& report) {
  nlohmann::ordered_json doc;
  doc["format"] = "cutover.status";
  doc["version"] = 1;
  doc["history_table"] = report.history_table;
  doc["problems"] = report.problems();
  auto entries = nlohmann::ordered_json::array();
  for (const auto& e : report.entries) {
    nlohmann::ordered_json j;
    j["migration"] = e.migration;
    j["phase"] = e.phase;
    j["state"] = PhaseStateName(e.state);
    if (!e.file.empty()) j["file"] = e.file;
    if (!e.detail.empty()) j["detail"] = e.detail;
    if (e.row) {
      const HistoryRow& r = *e.row;
      nlohmann::ordered_json h;
      h["state"] = RunStateName(r.state);
      h["checksum"] = r.checksum;
      h["applied_by"] = r.applied_by;
      h["started_at"] = r.started_at;
      h["finished_at"] = r.finished_at;
      h["duration_ms"] = r.duration_ms;
      h["statements_done"] = r.statements_done;
      h["statements_total"] = r.statements_total;
      if (r.failed_line > 0) {
        h["failed_line"] = r.failed_line;
        h["failed_statement"] = r.failed_statement;
      }
      if (!r.error.empty()) h["error"] = r.error;
      if (e.phase == "backfill") {
        h["batches"] = r.batches;
        h["rows"] = r.rows;
      }
      h["attempts"] = r.attempts;
      h["tool_version"] = r.tool_version;
      if (!r.note.empty()) h["note"] = r.note;
      j["history"] = std::move(h);
    }
    entries.push_back(std::move(j));
  }
  doc["entries"] = std::move(entries);
  return doc.dump(2, ' ', false, nlohmann::ordered_json::error_handler_t::replace) + "\n";
}

}  // namespace cutover::migrate
