// Migration plans: reading a plan directory into memory (docs/plan-format.md;
// other tools' layouts: layout.h, docs/layouts.md).
//
// A plan is a directory of migration folders applied in the order of their
// numeric prefix (NNNN_name). Each folder holds expand.sql (required) and
// optionally backfill.sql, contract.sql, rollback.sql, checks.sql and
// compat.sql. ReadPlan() reads every file, checks that it is UTF-8 text,
// splits it into statements by the engine's own rules (PostgreSQL: the real
// parser, libpg_query; MySQL/MariaDB and SQLite: the driver plugin's
// Driver::SplitScript) and parses the `-- cutover:` directives in comments.
//
// What later commands build on: PlanFile::checksum (stable across line-ending
// styles, for the history table), FileSettings (transaction, timeouts, batch
// size, pause) and the per-statement directives and exact line numbers.
//
// Ownership: a Plan owns copies of everything it read; it holds no file
// handles or driver references. Failure: ReadPlan() collects every problem it
// finds and returns one kInvalidInput Status listing them, each as
// "<migration>/<file>:<line>: <what> ..." so all of them can be fixed in one
// pass; kNotFound when the directory does not exist; kIo when a file cannot
// be read.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"
#include "driver/driver.h"
#include "plan/layout.h"

namespace cutover::plan {

enum class Engine { kPostgreSql, kMySql, kSqlite };
// "postgresql", "mysql", "sqlite".
std::string_view EngineName(Engine engine);
// Accepts the engine names above; aliases (postgres, mariadb) are URI schemes
// that DriverLoader::ForScheme resolves to a driver, whose name this takes.
Result<Engine> ParseEngine(std::string_view name);

// The files of a migration, in the order they are described (not the order
// they run: expand, backfill and contract are separate `apply` steps).
enum class Phase { kExpand, kBackfill, kContract, kRollback, kChecks, kCompat };
inline constexpr Phase kAllPhases[] = {Phase::kExpand,   Phase::kBackfill, Phase::kContract,
                                       Phase::kRollback, Phase::kChecks,   Phase::kCompat};
std::string_view PhaseName(Phase phase);      // "expand"
std::string_view PhaseFileName(Phase phase);  // "expand.sql"
std::optional<Phase> PhaseForFileName(std::string_view file_name);
std::optional<Phase> PhaseForName(std::string_view name);  // "expand" -> kExpand

enum class DirectiveKind {
  kNoTransaction,     // no-transaction
  kLockTimeout,       // lock-timeout DURATION
  kStatementTimeout,  // statement-timeout DURATION
  kBatchSize,         // batch-size N (backfill.sql)
  kPause,             // pause DURATION (backfill.sql)
  kRemaining,         // remaining QUERY (backfill.sql): rows still to do, for the ETA
  kIrreversible,      // irreversible REASON (expand.sql)
  kIgnore,            // ignore RULE-ID REASON (the next statement)
  kPhase,             // phase expand|backfill|contract (foreign layouts: the up file's phase)
};
std::string_view DirectiveName(DirectiveKind kind);  // "no-transaction"

// One `-- cutover:NAME ARGS` comment.
struct Directive {
  DirectiveKind kind = DirectiveKind::kNoTransaction;
  int line = 0;
  std::string text;                       // as written, from "cutover:" on
  std::chrono::milliseconds duration{0};  // lock-timeout, statement-timeout, pause
  std::int64_t count = 0;                 // batch-size
  std::string rule_id;                    // ignore (upper-cased)
  std::string reason;                     // ignore, irreversible
  std::string query;                      // remaining
  Phase phase = Phase::kExpand;           // phase
};

struct Statement {
  std::string text;  // as in the file (LF line endings), without its terminator
  int line = 0;      // line of its first significant character
  int end_line = 0;  // line of its last character
  // Directives written after the previous statement and before this one:
  // ignore, and statement-level lock-timeout / statement-timeout.
  std::vector<Directive> directives;

  // The ignore directive for `rule_id`, or nullptr.
  const Directive* IgnoreFor(std::string_view rule_id) const;
  // This statement's own lock/statement timeout, when it has one.
  std::optional<std::chrono::milliseconds> lock_timeout() const;
  std::optional<std::chrono::milliseconds> statement_timeout() const;
};

// What the directives in a file's header (before its first statement) set.
struct FileSettings {
  bool no_transaction = false;
  std::optional<std::chrono::milliseconds> lock_timeout;
  std::optional<std::chrono::milliseconds> statement_timeout;
  std::optional<std::int64_t> batch_size;          // backfill.sql only
  std::optional<std::chrono::milliseconds> pause;  // backfill.sql only
  // backfill.sql only: a query whose single value is the number of rows the
  // backfill still has to change; run once before the first batch for the ETA.
  std::optional<std::string> remaining_query;
  // checks only, from another tool's verify script (sqitch): the check
  // passes when every statement runs without an error, whatever rows it
  // returns (a verify script fails by raising one, e.g. 1/COUNT(*)).
  bool errors_only = false;
};

// In backfill.sql this token is replaced by the batch size (batch-size
// directive, else kDefaultBatchSize) before the statement runs.
inline constexpr std::string_view kBatchSizePlaceholder = "{{batch_size}}";
inline constexpr std::int64_t kDefaultBatchSize = 1000;

struct PlanFile {
  Phase phase = Phase::kExpand;
  std::string path;          // on disk
  std::string display_path;  // relative to the plan: "0007_split_name/expand.sql"
  // SHA-256 (hex) of the text with a UTF-8 BOM removed and CRLF / CR line
  // endings turned into LF: the same file saved on Windows or Unix has the
  // same checksum; any other edit changes it.
  std::string checksum;
  std::string text;  // the normalized text the checksum covers
  FileSettings settings;
  std::vector<Directive> header_directives;
  std::vector<Statement> statements;

  // The statement text ready to run: in backfill.sql the batch size placeholder
  // replaced.
  std::string ExecutableText(const Statement& statement) const;
  std::int64_t batch_size() const { return settings.batch_size.value_or(kDefaultBatchSize); }
};

struct Migration {
  // The folder name ("0007_split_customer_name"); in a foreign layout the
  // file's name without its extensions ("0007_split_name", "V1_2__split_name",
  // sqitch's change name, Liquibase's "author:id").
  std::string name;
  std::string number;  // its numeric prefix without leading zeros: "7"
  std::string path;    // on disk
  // Foreign layouts: the migration's identity in the tool's own history
  // ("7", "1.2", "20240101120000"; Flyway repeatables: the script name;
  // Liquibase: "author:id"); empty in cutover's layout.
  std::string version;
  bool repeatable = false;  // Flyway R__ (re-run when its checksum changes)
  // The checksum the tool records (Flyway's CRC32 as a decimal number);
  // empty when the tool records none.
  std::string tool_checksum;
  std::map<Phase, PlanFile> files;
  // From `-- cutover:irreversible REASON` in expand.sql's header.
  std::optional<Directive> irreversible;

  const PlanFile* file(Phase phase) const;
};

struct Plan {
  std::string root;
  Engine engine = Engine::kPostgreSql;
  Layout layout = Layout::kCutover;
  std::vector<Migration> migrations;  // in apply order
  // The tool's own name of the project, where its history is keyed by it
  // (sqitch's %project=); empty otherwise.
  std::string project;
  // Things that are not errors but were skipped: "0003_x/notes.txt: ...".
  std::vector<std::string> warnings;

  const Migration* Find(std::string_view name) const;
};

// Splits a script into statements: the signature of Driver::SplitScript.
using SplitFunction = std::function<Result<std::vector<ScriptStatement>>(std::string_view script)>;

struct ReadOptions {
  Engine engine = Engine::kPostgreSql;
  // Required for MySQL and SQLite (bind the driver plugin's SplitScript);
  // ignored for PostgreSQL, which is split by libpg_query.
  SplitFunction split;
  // The layout to read (--layout); nullopt: DetectLayout() decides.
  std::optional<Layout> layout;
  // The names the engine goes by (the driver's URI schemes: "mysql",
  // "mariadb"), which Liquibase's dbms: attribute is matched against; empty:
  // EngineName(engine) alone.
  std::vector<std::string> engine_names;
};

// The options that read `engine`'s plans as they will run: MySQL and SQLite
// split by `driver`'s SplitScript (which must outlive the options);
// PostgreSQL by libpg_query (`driver` is not used and may be null).
ReadOptions ReadOptionsFor(Engine engine, Driver* driver);

Result<Plan> ReadPlan(const std::string& directory, const ReadOptions& options);

// Parses one file's raw bytes as `phase` of a migration; `display_path` is
// used in messages. For tests and for tools that look at a single file.
Result<PlanFile> ParsePlanFile(std::string_view raw, const std::string& display_path, Phase phase,
                               const ReadOptions& options);

// The checksum PlanFile::checksum holds, from a file's raw bytes.
std::string FileChecksum(std::string_view raw);

// "3s" -> 3000 ms. Units: ms, s, min, h; a positive integer before them.
Result<std::chrono::milliseconds> ParseDuration(std::string_view text);
std::string FormatDuration(std::chrono::milliseconds d);

}  // namespace cutover::plan
