#include "lint/lint.h"

#include <algorithm>

#include "base/strings.h"
#include "lint/lint_internal.h"

namespace cutover::lint {
namespace {

using plan::Phase;

std::string ShortStatement(std::string_view text) {
  constexpr size_t kMax = 300;
  std::string s = CollapseSqlWhitespace(text);
  if (s.size() <= kMax) return s;
  size_t cut = kMax;
  while (cut > 0 && (static_cast<unsigned char>(s[cut]) & 0xC0) == 0x80) --cut;  // not inside UTF-8
  return s.substr(0, cut) + " ...";
}

std::string TableKey(const TableName& t, plan::Engine engine) {
  return engine == plan::Engine::kSqlite ? ToLower(t.name) : t.name;
}

Finding FileFinding(const Rule* rule, const std::string& migration, const std::string& file, int line,
                    std::string message) {
  Finding f;
  f.rule = rule;
  f.migration = migration;
  f.file = file;
  f.line = line;
  f.message = std::move(message);
  return f;
}

}  // namespace

std::string Finding::Location() const {
  return line > 0 ? file + ":" + std::to_string(line) : file;
}

int LintReport::errors() const {
  return static_cast<int>(std::count_if(findings.begin(), findings.end(), [](const Finding& f) {
    return !f.ignored && f.rule->severity == Severity::kError;
  }));
}
int LintReport::warnings() const {
  return static_cast<int>(std::count_if(findings.begin(), findings.end(), [](const Finding& f) {
    return !f.ignored && f.rule->severity == Severity::kWarning;
  }));
}
int LintReport::ignored() const {
  return static_cast<int>(
      std::count_if(findings.begin(), findings.end(), [](const Finding& f) { return f.ignored; }));
}

// ---- PlanState ----------------------------------------------------------------

bool PlanState::Same(const TableName& a, const TableName& b) const {
  auto norm_schema = [&](const std::string& s) {
    std::string x = engine_ == plan::Engine::kSqlite ? ToLower(s) : s;
    return engine_ == plan::Engine::kSqlite && x == "main" ? std::string() : x;
  };
  if (TableKey(a, engine_) != TableKey(b, engine_)) return false;
  std::string sa = norm_schema(a.schema), sb = norm_schema(b.schema);
  return sa.empty() || sb.empty() || sa == sb;
}

void PlanState::NoteCreated(const TableName& table, int migration_index) {
  created_.push_back(Entry{table, migration_index});
}

void PlanState::SetColumns(const TableName& table, std::vector<std::string> columns) {
  columns_[ToLower(table.name)] = std::move(columns);
}

std::vector<std::string>* PlanState::Columns(const TableName& table) {
  auto it = columns_.find(ToLower(table.name));
  return it == columns_.end() ? nullptr : &it->second;
}

void PlanState::MoveColumns(const TableName& from, const TableName& to) {
  auto it = columns_.find(ToLower(from.name));
  if (it == columns_.end()) return;
  std::vector<std::string> columns = std::move(it->second);
  columns_.erase(it);
  columns_[ToLower(to.name)] = std::move(columns);
}

bool PlanState::CreatedInPlan(const TableName& table) const {
  return std::any_of(created_.begin(), created_.end(), [&](const Entry& e) { return Same(e.table, table); });
}

bool PlanState::CreatedInMigration(const TableName& table, int migration_index) const {
  return std::any_of(created_.begin(), created_.end(),
                     [&](const Entry& e) { return e.migration == migration_index && Same(e.table, table); });
}

void PlanState::NoteNotNullCheck(const TableName& table, const std::string& constraint,
                                 const std::string& column, bool validated) {
  not_null_checks_.push_back(NotNullCheck{table, constraint, column, validated});
}

void PlanState::NoteValidated(const TableName& table, const std::string& constraint) {
  for (auto& c : not_null_checks_) {
    if (c.constraint == constraint && Same(c.table, table)) c.validated = true;
  }
}

bool PlanState::NotNullProven(const TableName& table, const std::string& column) const {
  return std::any_of(not_null_checks_.begin(), not_null_checks_.end(), [&](const NotNullCheck& c) {
    return c.validated && c.column == column && Same(c.table, table);
  });
}

// ---- FileLinter ----------------------------------------------------------------

FileLinter::FileLinter(const plan::Migration& migration, int migration_index, const plan::PlanFile& file,
                       plan::Engine engine, PlanState* state, std::vector<Finding>* out)
    : migration_(migration),
      migration_index_(migration_index),
      file_(file),
      engine_(engine),
      state_(state),
      out_(out) {}

bool FileLinter::lock_rules_apply() const {
  return phase() == Phase::kExpand || phase() == Phase::kBackfill || phase() == Phase::kContract ||
         phase() == Phase::kRollback;
}

void FileLinter::Report(std::string_view rule_id, const plan::Statement* statement, std::string message) {
  const Rule* rule = FindRule(rule_id);
  if (rule == nullptr) return;  // a typo in an analyser; the registry test catches it
  if (rule->scope != RuleScope::kAll && !lock_rules_apply()) return;
  Finding f = FileFinding(rule, migration_.name, file_.display_path, statement ? statement->line : 0,
                          std::move(message));
  if (statement != nullptr) {
    f.statement = ShortStatement(statement->text);
    if (const plan::Directive* ignore = statement->IgnoreFor(rule->id)) {
      f.ignored = true;
      f.ignore_reason = ignore->reason;
      used_ignores_.emplace(statement->line, std::string(rule->id));
    }
  }
  out_->push_back(std::move(f));
}

void FileLinter::Change(const plan::Statement& statement, ChangeKind kind, const TableName& table,
                        std::string what) {
  if (state_->CreatedInMigration(table, migration_index_)) return;
  if (phase() == Phase::kExpand) {
    std::string_view rule;
    switch (kind) {
      case ChangeKind::kDropObject:
      case ChangeKind::kDropIndex: rule = "EXP001"; break;
      case ChangeKind::kDropColumn: rule = "EXP002"; break;
      case ChangeKind::kRename: rule = "EXP003"; break;
      case ChangeKind::kTypeChange: rule = "EXP004"; break;
      case ChangeKind::kAddNotNullWithoutDefault:
      case ChangeKind::kSetNotNull: rule = "EXP005"; break;
      case ChangeKind::kAddUnique: rule = "EXP006"; break;
      case ChangeKind::kTruncate:
      case ChangeKind::kDelete: rule = "EXP007"; break;
      case ChangeKind::kUpdate: rule = "EXP008"; break;
    }
    Report(rule, &statement, std::move(what) + " in expand");
  } else if (phase() == Phase::kContract) {
    if (kind == ChangeKind::kDropObject || kind == ChangeKind::kDropColumn || kind == ChangeKind::kTruncate ||
        kind == ChangeKind::kDelete) {
      Report("CON001", &statement, std::move(what) + ": permanent");
    }
  }
}

void FileLinter::NoteCreated(const TableName& table) {
  // Tables rollback.sql recreates are not new to later migrations.
  if (phase() == Phase::kRollback || phase() == Phase::kChecks || phase() == Phase::kCompat) return;
  state_->NoteCreated(table, migration_index_);
}

std::optional<std::chrono::milliseconds> FileLinter::LockTimeoutFor(const plan::Statement& statement) const {
  std::optional<std::chrono::milliseconds> t;
  if (statement_lock_timeout_) {
    t = statement_lock_timeout_;
  } else if (auto own = statement.lock_timeout()) {
    t = own;
  } else if (session_lock_timeout_) {
    t = session_lock_timeout_;
  } else {
    t = file_.settings.lock_timeout;
  }
  if (t && t->count() == 0) return std::nullopt;  // 0 disables the timeout
  return t;
}

void FileLinter::StrongLock(const plan::Statement& statement, const TableName& table, std::string_view lock,
                            std::string_view timeout_rule) {
  if (IsNew(table)) return;
  if (!timeout_reported_) {
    timeout_reported_ = true;
    auto timeout = LockTimeoutFor(statement);
    const std::string what = std::string(lock) + " lock on " + table.Display();
    if (!timeout) {
      Report(timeout_rule, &statement, what + ", requested with no lock timeout");
    } else if (*timeout > kMaxLowLockTimeout) {
      Report(timeout_rule, &statement,
             what + ", requested with a lock timeout of " + plan::FormatDuration(*timeout) + " (above " +
                 plan::FormatDuration(kMaxLowLockTimeout) + ")");
    }
  }
  if (strong_lock_statement_ == nullptr && in_transaction()) {
    strong_lock_statement_ = &statement;
    strong_lock_what_ = std::string(lock) + " lock on " + table.Display();
  }
}

void FileLinter::BeginStatement(const plan::Statement&) {
  statement_lock_timeout_.reset();
  timeout_reported_ = false;
  verdict_ = nullptr;
}

bool FileLinter::server_answered() const {
  if (verdict_ == nullptr) return false;
  using K = ServerVerdict::Kind;
  return verdict_->kind == K::kInstant || verdict_->kind == K::kInplace || verdict_->kind == K::kBlocking;
}

void FileLinter::ReportServerVerdict(const plan::Statement& statement) {
  if (verdict_ == nullptr) return;
  // An ignore written for a text-based guess (say MY001 on a small table)
  // accepts what the server found instead, and is not stale.
  const plan::Directive* replaced_ignore = nullptr;
  if (server_answered()) {
    for (std::string_view id : kServerAnsweredRules) {
      if (const plan::Directive* d = statement.IgnoreFor(id)) {
        if (replaced_ignore == nullptr) replaced_ignore = d;
        used_ignores_.emplace(statement.line, std::string(id));
      }
    }
  }
  auto report = [&](std::string_view rule, std::string message) {
    const size_t before = out_->size();
    Report(rule, &statement, std::move(message));
    if (out_->size() > before && !out_->back().ignored && replaced_ignore != nullptr) {
      out_->back().ignored = true;
      out_->back().ignore_reason = replaced_ignore->reason + " (ignore " + replaced_ignore->rule_id + ")";
    }
  };
  const TableName table{verdict_->table_schema, verdict_->table};
  const bool existing = !table.name.empty() && !IsNew(table);
  switch (verdict_->kind) {
    case ServerVerdict::Kind::kNotAsked:
    case ServerVerdict::Kind::kInstant: return;
    case ServerVerdict::Kind::kInplace:
      if (existing) {
        report("MY012", table.Display() + " is changed in place with writes allowed (asked the server: " +
                            verdict_->detail + ")");
      }
      return;
    case ServerVerdict::Kind::kBlocking:
      if (existing) {
        report("MY011", table.Display() + " is copied or its writes are blocked (asked the server: " +
                            verdict_->detail + ")");
      }
      return;
    case ServerVerdict::Kind::kFailed:
      Report("MY013", &statement,
             "the statement fails on a scratch copy (asked the server): " + verdict_->detail);
      return;
    case ServerVerdict::Kind::kNotRun:
      Report("MY014", &statement, "not run on the scratch copy: " + verdict_->detail);
      return;
  }
}

void FileLinter::EndStatement(const plan::Statement& statement, StatementKind kind) {
  if (engine_ != plan::Engine::kPostgreSql || held_lock_reported_ || strong_lock_statement_ == nullptr ||
      strong_lock_statement_ == &statement || !in_transaction()) {
    return;
  }
  if (kind == StatementKind::kSession || kind == StatementKind::kTransaction) return;
  held_lock_reported_ = true;
  Report("PG011", &statement,
         "runs while the " + strong_lock_what_ + " taken at line " +
             std::to_string(strong_lock_statement_->line) +
             " is still held (until the file's transaction commits)");
}

void FileLinter::Finish() {
  for (const plan::Statement& s : file_.statements) {
    for (const plan::Directive& d : s.directives) {
      if (d.kind != plan::DirectiveKind::kIgnore || used_ignores_.count({s.line, d.rule_id})) continue;
      Finding f = FileFinding(FindRule("PLAN005"), migration_.name, file_.display_path, d.line,
                              "cutover:ignore " + d.rule_id +
                                  " matches no finding on the statement at line " + std::to_string(s.line));
      f.statement = ShortStatement(s.text);
      out_->push_back(std::move(f));
    }
  }
}

// ---- LintPlan ----------------------------------------------------------------

namespace {

// PLAN001: a migration without a way back that does not say it has none.
void CheckWayBack(const plan::Plan& plan, const plan::Migration& m, LintReport& report) {
  if (m.file(Phase::kRollback) != nullptr || m.irreversible) return;
  if (plan.layout == plan::Layout::kCutover) {
    report.findings.push_back(FileFinding(FindRule("PLAN001"), m.name, m.name + "/rollback.sql", 0,
                                          m.name + " has no rollback.sql and is not marked irreversible"));
    return;
  }
  // Another tool's layout: the finding sits on the up file, where the
  // irreversible directive would go.
  const std::string up = m.files.empty() ? m.name : m.files.begin()->second.display_path;
  report.findings.push_back(FileFinding(
      FindRule("PLAN001"), m.name, up, 0,
      m.name + " has no way back (" + std::string(plan::LayoutName(plan.layout)) +
          "'s down, undo or rollback) and is not marked irreversible (-- cutover:irreversible REASON)"));
}

}  // namespace

Result<LintReport> LintPlan(const plan::Plan& plan, const LintOptions& options) {
  LintReport report;
  report.plan_root = plan.root;
  report.engine = plan.engine;
  report.plan_warnings = plan.warnings;

  size_t first = 0;
  if (!options.from.empty()) {
    auto it = std::find_if(plan.migrations.begin(), plan.migrations.end(),
                           [&](const plan::Migration& m) { return m.name == options.from; });
    if (it == plan.migrations.end()) {
      return Status::InvalidInput("--from " + options.from + ": no migration of that name in " + plan.root);
    }
    first = static_cast<size_t>(it - plan.migrations.begin());
  }

  // Ignore directives must name a rule of this engine: a typo would
  // otherwise silently ignore nothing, or a copied directive mean nothing.
  std::vector<std::string> problems;
  for (const auto& m : plan.migrations) {
    for (const auto& [phase, file] : m.files) {
      for (const auto& s : file.statements) {
        for (const auto& d : s.directives) {
          if (d.kind != plan::DirectiveKind::kIgnore) continue;
          const Rule* rule = FindRule(d.rule_id);
          const std::string where = file.display_path + ":" + std::to_string(d.line) + ": ";
          if (rule == nullptr) {
            problems.push_back(where + "cutover:ignore names unknown rule " + d.rule_id +
                               " (rules: docs/lint-rules.md)");
          } else if (!RuleApplies(*rule, plan.engine)) {
            problems.push_back(where + "cutover:ignore names " + d.rule_id +
                               ", a rule of another engine; this plan "
                               "is linted as " +
                               std::string(plan::EngineName(plan.engine)));
          }
        }
      }
    }
  }
  if (problems.size() == 1) return Status::InvalidInput(problems[0]);
  if (!problems.empty()) {
    return Status::InvalidInput("the plan " + plan.root + " has " + std::to_string(problems.size()) +
                                " problems:\n  " + Join(problems, "\n  "));
  }

  // lint --scratch: the migrations before --from only build the schema the
  // linted ones meet (the probe decides whether they run at all). A
  // statement failing there is still reported: the answers for everything
  // after it would be about the wrong schema.
  if (options.probe != nullptr) {
    for (size_t i = 0; i < first; ++i) {
      const plan::Migration& m = plan.migrations[i];
      for (Phase phase : {Phase::kExpand, Phase::kContract}) {
        const plan::PlanFile* file = m.file(phase);
        if (file == nullptr) continue;
        CUTOVER_RETURN_IF_ERROR(options.probe->BeginFile(m, *file, false));
        for (const plan::Statement& s : file->statements) {
          auto verdict = options.probe->Run(*file, s);
          if (!verdict.ok()) return verdict.status();
          if (verdict->kind != ServerVerdict::Kind::kFailed) continue;
          Finding f = FileFinding(FindRule("MY013"), m.name, file->display_path, s.line,
                                  "the statement fails on a scratch copy (asked the server), before --from " +
                                      options.from + ": " + verdict->detail);
          f.statement = ShortStatement(s.text);
          report.findings.push_back(std::move(f));
        }
      }
    }
  }

  PlanState state(plan.engine);
  for (size_t i = first; i < plan.migrations.size(); ++i) {
    const plan::Migration& m = plan.migrations[i];
    const int index = static_cast<int>(i);
    ++report.migrations;
    CheckWayBack(plan, m, report);
    for (const auto& [phase, file] : m.files) {
      ++report.files;
      report.linted_files.push_back(file.display_path);
      FileLinter linter(m, index, file, plan.engine, &state, &report.findings);
      if (plan.engine == plan::Engine::kSqlite) PrepareSqliteFile(linter);
      const bool probed = options.probe != nullptr && (phase == Phase::kExpand || phase == Phase::kContract);
      if (probed) CUTOVER_RETURN_IF_ERROR(options.probe->BeginFile(m, file, true));
      StatementKind first_kind = StatementKind::kOther;
      for (size_t k = 0; k < file.statements.size(); ++k) {
        const plan::Statement& s = file.statements[k];
        ++report.statements;
        linter.BeginStatement(s);
        std::optional<ServerVerdict> verdict;
        if (probed) {
          auto answer = options.probe->Run(file, s);
          if (!answer.ok()) return answer.status();
          verdict = std::move(*answer);
          linter.SetServerVerdict(&*verdict);
        }
        StatementKind kind = StatementKind::kOther;
        switch (plan.engine) {
          case plan::Engine::kPostgreSql: kind = AnalyzePostgres(linter, s); break;
          case plan::Engine::kMySql: kind = AnalyzeMySql(linter, s); break;
          case plan::Engine::kSqlite: kind = AnalyzeSqlite(linter, s); break;
        }
        linter.ReportServerVerdict(s);
        linter.EndStatement(s, kind);
        if (k == 0) first_kind = kind;
        if (kind == StatementKind::kTransaction) {
          linter.Report("PLAN002", &s, "transaction control in " + std::string(plan::PhaseFileName(phase)));
        }
        if (phase == Phase::kChecks && kind != StatementKind::kQuery && kind != StatementKind::kSession &&
            kind != StatementKind::kTransaction) {
          linter.Report("PLAN006", &s, "checks.sql may only query");
        }
        if (phase == Phase::kCompat && kind == StatementKind::kDdl) {
          linter.Report("PLAN007", &s, "schema change in compat.sql");
        }
        if (phase == Phase::kBackfill && k == 1) {
          linter.Report("PLAN003", &s,
                        "backfill.sql has " + std::to_string(file.statements.size()) +
                            " statements; it must have exactly one batch statement");
        }
      }
      if (phase == Phase::kBackfill) {
        if (file.statements.empty()) {
          report.findings.push_back(FileFinding(FindRule("PLAN003"), m.name, file.display_path, 0,
                                                "backfill.sql has no statement"));
        } else if (first_kind != StatementKind::kDml) {
          linter.Report("PLAN003", &file.statements[0], "the batch statement does not change data");
        } else if (file.statements.size() == 1 && !TextHasBatchBound(file.statements[0].text, plan.engine)) {
          linter.Report("PLAN004", &file.statements[0],
                        "no LIMIT and no {{batch_size}}: one run changes every row");
        }
        bool placeholder = std::any_of(file.statements.begin(), file.statements.end(), [](const auto& s) {
          return s.text.find(plan::kBatchSizePlaceholder) != std::string::npos;
        });
        if (file.settings.batch_size && !placeholder && !file.statements.empty()) {
          linter.Report("PLAN008", &file.statements[0],
                        "cutover:batch-size " + std::to_string(*file.settings.batch_size) +
                            " is set but the statement has no {{batch_size}}");
        }
      }
      linter.Finish();
    }
  }
  return report;
}

}  // namespace cutover::lint
