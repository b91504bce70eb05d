// Internal to lint: the state shared by the engine analysers while one file
// is linted (FileLinter) and across the plan (PlanState), and the analysers'
// entry points. Not part of the public interface.
#pragma once

#include <chrono>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "lint/lint.h"

namespace cutover::lint {

// A table (or other relation) as a statement names it. `schema` is empty
// when the statement does not qualify the name.
struct TableName {
  std::string schema;
  std::string name;
  std::string Display() const { return schema.empty() ? name : schema + "." + name; }
};

// What a statement is, for the plan-structure rules.
enum class StatementKind {
  kQuery,        // SELECT, WITH ... SELECT, VALUES, SHOW, EXPLAIN
  kDml,          // INSERT, UPDATE, DELETE, MERGE, REPLACE
  kDdl,          // everything that changes the schema
  kTransaction,  // BEGIN, COMMIT, ROLLBACK, SAVEPOINT, ...
  kSession,      // SET, RESET, PRAGMA
  kOther,
};

// Engine-independent schema and data changes, mapped to EXP / CON rules by
// phase (FileLinter::Change).
enum class ChangeKind {
  kDropObject,
  kDropIndex,  // breaks nothing, but the previous version may rely on it for speed
  kDropColumn,
  kRename,
  kTypeChange,
  kAddNotNullWithoutDefault,
  kSetNotNull,
  kAddUnique,
  kTruncate,
  kDelete,
  kUpdate,
};

// The MySQL rules that guess from the text whether a statement copies the
// table or blocks writes. With lint --scratch the server's answer (MY011,
// MY012) replaces them, and ignore directives naming them apply to it.
inline constexpr std::string_view kServerAnsweredRules[] = {"MY001", "MY002", "MY003", "MY004", "MY005",
                                                            "MY007", "MY008", "MY009", "MY010"};

// Up to this lock timeout counts as "low" (PG010, MY006).
inline constexpr std::chrono::milliseconds kMaxLowLockTimeout{10'000};

// Tables created so far while linting the plan.
class PlanState {
 public:
  explicit PlanState(plan::Engine engine) : engine_(engine) {}
  void NoteCreated(const TableName& table, int migration_index);
  // Created earlier in the plan (any migration linted so far).
  bool CreatedInPlan(const TableName& table) const;
  // Created earlier in migration `migration_index`.
  bool CreatedInMigration(const TableName& table, int migration_index) const;

  // PostgreSQL: CHECK (col IS NOT NULL) constraints, so that SET NOT NULL
  // after a validated one (which PostgreSQL 12+ uses instead of a scan) is
  // not flagged.
  void NoteNotNullCheck(const TableName& table, const std::string& constraint, const std::string& column,
                        bool validated);
  void NoteValidated(const TableName& table, const std::string& constraint);
  bool NotNullProven(const TableName& table, const std::string& column) const;

  // SQLite: the columns (lower-cased, in order) of tables whose CREATE TABLE
  // the plan holds, kept through ADD, DROP and RENAME COLUMN and RENAME TO,
  // so that a rebuild can be checked for columns it loses. nullptr: unknown.
  void SetColumns(const TableName& table, std::vector<std::string> columns);
  std::vector<std::string>* Columns(const TableName& table);
  void MoveColumns(const TableName& from, const TableName& to);

 private:
  struct NotNullCheck {
    TableName table;
    std::string constraint, column;
    bool validated = false;
  };
  std::vector<NotNullCheck> not_null_checks_;
  std::map<std::string, std::vector<std::string>> columns_;  // by lower-cased table name
  struct Entry {
    TableName table;
    int migration = 0;
  };
  bool Same(const TableName& a, const TableName& b) const;
  plan::Engine engine_;
  std::vector<Entry> created_;
};

class FileLinter {
 public:
  FileLinter(const plan::Migration& migration, int migration_index, const plan::PlanFile& file,
             plan::Engine engine, PlanState* state, std::vector<Finding>* out);

  const plan::PlanFile& file() const { return file_; }
  plan::Phase phase() const { return file_.phase; }
  plan::Engine engine() const { return engine_; }
  bool in_transaction() const { return !file_.settings.no_transaction; }
  // Lock rules are checked in expand, backfill, contract and rollback.
  bool lock_rules_apply() const;

  // Reports `rule_id` on `statement` (or on the file when nullptr), unless
  // the phase does not take engine rules; honours ignore directives.
  void Report(std::string_view rule_id, const plan::Statement* statement, std::string message);
  // Maps a change to EXP (expand) or CON (contract) findings; no finding for
  // other phases or for tables created in this migration.
  void Change(const plan::Statement& statement, ChangeKind kind, const TableName& table, std::string what);

  // Tables: new ones are exempt from lock and rewrite rules.
  bool IsNew(const TableName& table) const { return state_->CreatedInPlan(table); }
  // Created earlier in this migration (not in an earlier one).
  bool IsNewInMigration(const TableName& table) const {
    return state_->CreatedInMigration(table, migration_index_);
  }
  PlanState& plan_state() { return *state_; }
  void NoteCreated(const TableName& table);

  // Lock timeout in force: statement directive, else the last SET in this
  // file, else the header directive. nullopt: none (or disabled).
  std::optional<std::chrono::milliseconds> LockTimeoutFor(const plan::Statement& statement) const;
  // A SET statement changed the session's lock timeout (0: disabled).
  void NoteSessionLockTimeout(std::chrono::milliseconds value) { session_lock_timeout_ = value; }
  // An engine-specific per-statement timeout (MariaDB WAIT n / NOWAIT,
  // SET STATEMENT ... FOR) for the statement being analysed.
  void NoteStatementLockTimeout(std::chrono::milliseconds value) { statement_lock_timeout_ = value; }

  // `statement` takes a lock that blocks writes on `table` (an existing
  // table): reports `timeout_rule` unless a low lock timeout is in force,
  // and remembers the lock for PG011.
  void StrongLock(const plan::Statement& statement, const TableName& table, std::string_view lock,
                  std::string_view timeout_rule);

  // lint --scratch: the server's verdict on the statement being analysed
  // (nullptr: none). Reset by BeginStatement.
  void SetServerVerdict(const ServerVerdict* verdict) { verdict_ = verdict; }
  // The server said whether the statement copies the table or blocks
  // writes: the analysers' guesses about that (MY001-MY005, MY007-MY010)
  // give way to it.
  bool server_answered() const;
  // Reports the verdict: MY011 / MY012 (existing tables only), MY013, MY014.
  void ReportServerVerdict(const plan::Statement& statement);

  // Called by LintPlan around each statement.
  void BeginStatement(const plan::Statement& statement);
  void EndStatement(const plan::Statement& statement, StatementKind kind);
  // After the last statement: unused ignore directives (PLAN005).
  void Finish();

  // Engine-specific state the analysers keep per file.
  bool mysql_foreign_key_checks_off = false;
  // "ALTER TABLE copy RENAME TO old": the copy of each rebuilt table, by the
  // lower-cased name of the table it replaces.
  std::map<std::string, TableName> sqlite_rebuilt_tables;

 private:
  const plan::Migration& migration_;
  int migration_index_;
  const plan::PlanFile& file_;
  plan::Engine engine_;
  PlanState* state_;
  std::vector<Finding>* out_;
  std::optional<std::chrono::milliseconds> session_lock_timeout_;
  std::optional<std::chrono::milliseconds> statement_lock_timeout_;
  bool timeout_reported_ = false;  // PG010/MY006 once per statement
  // PG011: the first strong lock held in this file's transaction.
  const plan::Statement* strong_lock_statement_ = nullptr;
  std::string strong_lock_what_;
  bool held_lock_reported_ = false;
  std::set<std::pair<int, std::string>> used_ignores_;  // (statement line, rule id)
  const ServerVerdict* verdict_ = nullptr;
};

// The engine analysers: report findings for one statement and say what it is.
StatementKind AnalyzePostgres(FileLinter& linter, const plan::Statement& statement);
StatementKind AnalyzeMySql(FileLinter& linter, const plan::Statement& statement);
StatementKind AnalyzeSqlite(FileLinter& linter, const plan::Statement& statement);
// SQLite: tables the file rebuilds ("ALTER TABLE x_new RENAME TO x"), found
// before the statements are analysed so "DROP TABLE x" is known to be part
// of a rebuild.
void PrepareSqliteFile(FileLinter& linter);

// True when the statement's text bounds its batch (LIMIT or {{batch_size}}).
bool TextHasBatchBound(std::string_view text, plan::Engine engine);

}  // namespace cutover::lint
