// `cutover lint`: checks a migration plan for statements that break the
// running app or take dangerous locks, before anything runs.
//
// LintPlan() walks a Plan read by plan::ReadPlan() in apply order. Each
// statement is analysed by its engine's analyser (PostgreSQL: libpg_query's
// parse tree; MySQL/MariaDB and SQLite: the statement's tokens) and the
// findings carry a rule from lint/rules.h, the file and line, the statement,
// and the rule's explanation and safe alternative.
//
// Phase awareness: expand.sql must stay backward compatible (EXP rules),
// contract.sql is warned about destruction (CON001), backfill.sql must be
// one bounded batch statement, checks.sql and compat.sql are queries. Lock
// and rewrite rules apply to expand, backfill, contract and rollback.
// Tables created earlier in the plan (or earlier in the same file) are new
// and empty: lock and rewrite rules skip them. Compatibility rules only skip
// tables created in the same migration, since the previous app version may
// already use a table an earlier migration created.
//
// With a StatementProbe (lint --scratch, lint_scratch.h) every statement the
// plan applies (expand, then contract, of each migration) first runs on a
// scratch copy, and the server's answer replaces the token-based guesses
// about table copies and write-blocking locks for that statement (MY011,
// MY012 instead of MY001-MY005, MY007-MY010); statements that fail there
// are MY013, statements not run there MY014.
//
// `-- cutover:ignore RULE reason` marks the next statement's finding for
// RULE as ignored: it stays in the report (JSON, JUnit) with its reason but
// does not count. Failure: kInvalidInput (file:line) for an ignore naming
// an unknown rule or a rule of another engine, and for an unknown --from
// migration. Nothing is kept between calls.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "base/status.h"
#include "lint/rules.h"
#include "plan/plan.h"

namespace cutover::lint {

struct Finding {
  const Rule* rule = nullptr;
  std::string migration;
  std::string file;       // relative to the plan: "0007_split_name/expand.sql"
  int line = 0;           // 0 when the finding concerns a whole file or migration
  std::string statement;  // the statement, whitespace collapsed and shortened; empty for file findings
  std::string message;    // what was found, naming the table, column or index
  bool ignored = false;
  std::string ignore_reason;

  std::string Location() const;  // "file:line" or "file"
};

// What the server showed about one statement run on a scratch copy.
struct ServerVerdict {
  enum class Kind {
    kNotAsked,  // not an ALTER the server could be asked about: the token rules decide
    kInstant,   // ALGORITHM=INSTANT accepted: no copy, no write-blocking lock
    kInplace,   // ALGORITHM=INPLACE, LOCK=NONE accepted: in place, writes allowed (MY012)
    kBlocking,  // both refused: the table is copied or writes are blocked (MY011)
    kFailed,    // the statement failed on the scratch copy (MY013)
    kNotRun,    // not run: it reaches beyond the scratch database (MY014)
  };
  Kind kind = Kind::kNotAsked;
  std::string table_schema, table;  // the table asked about (empty when none)
  std::string detail;               // the server's own words (reasons, error message), or why not run
};

// Runs the plan's statements on a scratch copy and says what the server did
// (lint_scratch.cc). LintPlan calls it in apply order: for each migration,
// BeginFile(expand.sql) and Run() per statement, then the same for
// contract.sql; for migrations before --from with `linted` false (no
// findings are reported for them, except statements that fail). An error
// Status (lost connection, interrupt) stops LintPlan with that error.
class StatementProbe {
 public:
  virtual ~StatementProbe() = default;
  virtual Status BeginFile(const plan::Migration& migration, const plan::PlanFile& file, bool linted) = 0;
  virtual Result<ServerVerdict> Run(const plan::PlanFile& file, const plan::Statement& statement) = 0;
};

struct LintOptions {
  // Lint only this migration and the ones after it. Tables created by the
  // migrations before it count as existing: in production they hold data.
  std::string from;
  // lint --scratch: ask a server (not owned; nullptr: judge from the text).
  StatementProbe* probe = nullptr;
};

// Where lint --scratch asked, for the report.
struct ScratchReport {
  std::string server;       // redacted scratch server URI
  std::string product;      // "MariaDB 10.11.19-MariaDB-0+deb12u1"
  std::string database;     // the scratch database (dropped when the report is made)
  std::string schema_from;  // redacted --target URI whose schema was copied; empty: started empty
  int statements_run = 0;
  int alters_asked = 0;
};

struct LintReport {
  std::string plan_root;
  plan::Engine engine = plan::Engine::kPostgreSql;
  int migrations = 0;  // linted
  int files = 0;
  int statements = 0;
  std::vector<std::string> linted_files;   // display paths, in plan order
  std::vector<Finding> findings;           // in plan order
  std::vector<std::string> plan_warnings;  // from the plan reader
  std::optional<ScratchReport> scratch;    // lint --scratch only

  int errors() const;    // error-level findings not ignored
  int warnings() const;  // warning-level findings not ignored
  int ignored() const;
};

Result<LintReport> LintPlan(const plan::Plan& plan, const LintOptions& options = {});

// Output formats (lint_report.cc). Text for people; JSON
// {"format":"cutover.lint","version":1,...}; JUnit XML for CI systems (one
// test suite per linted file, one failing test case per error finding,
// warnings as passing cases with their text in system-out).
std::string LintReportText(const LintReport& report);
std::string LintReportJson(const LintReport& report);
std::string LintReportJunit(const LintReport& report);

// SARIF 2.1.0 (GitHub code scanning, github/codeql-action/upload-sarif):
// one run whose driver lists every rule that appears (its title, why, fix
// and default level) and one result per finding; an ignored finding is a
// result with an inSource suppression carrying its reason. A finding's
// artifactLocation.uri is uri_prefix joined with its plan-relative file,
// percent-encoded (RFC 3986 path characters stay as they are); a whole-file
// finding (line 0) has no region.
struct SarifOptions {
  std::string tool_version;     // CUTOVER_VERSION
  std::string information_uri;  // the project's home page; omitted when empty
  std::string uri_prefix;  // the plan directory relative to the working directory ("db/plan"; "" for ".")
};
std::string LintReportSarif(const LintReport& report, const SarifOptions& options);

// The path of a finding's file for tools that point at the repository
// (SARIF, GitHub annotations): uri_prefix joined with `file`, unencoded.
std::string FindingPath(const std::string& uri_prefix, const std::string& file);

}  // namespace cutover::lint
