// The lint rule registry: every rule `cutover lint` can report, with its
// stable id, severity, the engines it applies to, and the texts shown to the
// user (docs/lint-rules.md documents each with a bad and a good example; a
// test keeps the two in step).
//
// Ids never change meaning once released: CI configurations and
// `-- cutover:ignore <id>` directives refer to them. Prefixes: PLAN (plan
// structure), EXP (expand must be backward compatible), CON (contract),
// PG / MY / SQ (PostgreSQL, MySQL/MariaDB, SQLite locks and rewrites).
//
// The registry is static, immutable data; nothing here fails.
#pragma once

#include <span>
#include <string_view>

#include "plan/plan.h"

namespace cutover::lint {

enum class Severity { kWarning, kError };
std::string_view SeverityName(Severity severity);  // "warning", "error"

// Which engines a rule applies to.
enum class RuleScope { kAll, kPostgreSql, kMySql, kSqlite };

struct Rule {
  std::string_view id;
  Severity severity;
  RuleScope scope;
  std::string_view title;  // one line: what is wrong
  std::string_view why;    // the lock taken, rewrite or scan, what breaks for the running app
  std::string_view fix;    // the safe alternative
};

std::span<const Rule> AllRules();
// nullptr when no rule has this id (ids are upper case).
const Rule* FindRule(std::string_view id);
bool RuleApplies(const Rule& rule, plan::Engine engine);

}  // namespace cutover::lint
