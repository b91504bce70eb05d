// The entry function of each command. Each returns the process exit code
// (docs/exit-codes.md) and prints its own results; CLI11 parsing lives in
// main.cc.
#pragma once

#include <nlohmann/json_fwd.hpp>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "cli/context.h"
#include "snapshot/manifest.h"

namespace cutover::cli {

int RunDrivers(CommandContext& ctx);

struct SchemaArgs {
  std::string target;
};
int RunSchema(CommandContext& ctx, const SchemaArgs& args);

struct DriftArgs {
  std::string target;
  std::string against;
  std::optional<std::string> scratch;
  std::optional<std::string> plan;    // --against history: the plan whose files the history names
  std::optional<std::string> layout;  // --layout: the plan's tool (plan/layout.h); detected when absent
  std::vector<std::string> ignore;
  bool ignore_column_order = false;
  bool with_privileges = false;  // compare owners, privileges, definers too
};
int RunDrift(CommandContext& ctx, const DriftArgs& args);

// ---- Snapshots (cmd_snapshot.cc, cmd_verify.cc, cmd_restore.cc) ----
struct SnapshotArgs {
  std::string target;
  int jobs = 2;
  int compression_level = 1;
  bool lock_nontransactional = false;
  std::string lock_timeout = "10s";
  std::string layout = "auto";  // auto | records | image
};
int RunSnapshot(CommandContext& ctx, const SnapshotArgs& args);
int RunSnapshots(CommandContext& ctx);

struct PruneArgs {
  std::optional<int> keep_last;
  std::optional<std::string> keep_within;
  bool dry_run = false;
  std::optional<std::string> scratch;  // a server holding base copies of deleted snapshots
};
int RunPrune(CommandContext& ctx, const PruneArgs& args);

struct VerifyArgs {
  std::string snapshot;
  bool deep = false;
  int jobs = 2;
};
int RunVerify(CommandContext& ctx, const VerifyArgs& args);

struct RestoreArgs {
  std::string snapshot;
  std::string into;
  int jobs = 2;
  bool no_owner = false;  // pg_restore's names
  bool no_privileges = false;
  bool skip_missing_roles = false;  // restore without what missing roles would receive
  std::string definer;              // MySQL/MariaDB: user@host or CURRENT_USER; "": as recorded
};
int RunRestore(CommandContext& ctx, const RestoreArgs& args);

struct RestoreTestArgs {
  std::optional<std::string> snapshot;
  std::optional<std::string> target;
  std::optional<std::string> scratch;
  int jobs = 2;
  bool keep = false;
  std::vector<std::string> checks;
  std::optional<std::string> metrics_file;
  std::optional<std::string> junit;
};
int RunRestoreTest(CommandContext& ctx, const RestoreTestArgs& args);

// ---- Migrations (cmd_lint.cc) ----
struct LintArgs {
  std::string plan;
  std::optional<std::string> layout;  // --layout: the plan's tool (plan/layout.h); detected when absent
  std::optional<std::string> engine;
  std::optional<std::string> target;
  std::optional<std::string> from;
  std::optional<std::string> junit;
  std::optional<std::string> scratch;  // MySQL/MariaDB server URI: ask it (lint/lint_scratch.h)
  std::optional<std::string> sarif;    // SARIF 2.1.0 file for GitHub code scanning
  bool github = false;                 // annotations and step summary (also when GITHUB_ACTIONS=true)
};
int RunLint(CommandContext& ctx, const LintArgs& args);

// ---- Migrations: history, status and apply (cmd_migrate.cc) ----
struct StatusArgs {
  std::string target;
  std::string plan;
  std::optional<std::string> layout;  // --layout: the plan's tool (plan/layout.h); detected when absent
};
int RunStatus(CommandContext& ctx, const StatusArgs& args);

struct ApplyArgs {
  std::string target;
  std::string plan;
  std::optional<std::string> layout;  // --layout: the plan's tool (plan/layout.h); detected when absent
  std::optional<std::string> phase;   // expand|backfill|contract|rollback; optional with --baseline
  std::optional<std::string> to;
  bool dry_run = false;
  bool baseline = false;
  std::optional<std::string> lock_timeout;
  std::optional<std::string> statement_timeout;
  std::optional<int> retries;
  std::optional<long long> batch_size;
  std::optional<std::string> pause;
  // The gate (docs/gate.md): expand, backfill and contract are gated;
  // --no-gate --reason TEXT overrides, recorded in the audit log.
  bool no_gate = false;
  std::optional<std::string> reason;
  std::optional<std::string> scratch;  // where the gate replays the history
};
int RunApply(CommandContext& ctx, const ApplyArgs& args);

// ---- Rehearsals (cmd_rehearse.cc) ----
struct RehearseArgs {
  std::string target;
  std::string plan;
  std::optional<std::string> layout;    // --layout: the plan's tool (plan/layout.h); detected when absent
  std::optional<std::string> snapshot;  // ID, prefix or "latest"
  std::optional<std::string> scratch;
  std::optional<std::string> phase;  // expand|backfill|contract|all
  std::optional<std::string> to;
  std::optional<std::string> probe;  // FILE of hot queries
  double probe_rate = 100;
  std::optional<int> lock_queue_drill;  // seconds
  bool keep = false;
  bool allow_drift = false;
  std::optional<std::string> junit;
  std::optional<std::string> html;          // one self-contained HTML page (report/rehearsal_html.h)
  std::optional<std::string> metrics_file;  // Prometheus textfile metrics
  bool github = false;                      // annotations and step summary (also GITHUB_ACTIONS=true)
  // Any migrator (rehearse/exec.h): instead of --plan.
  std::optional<std::string> exec;
  std::optional<std::string> exec_rollback;
  std::vector<std::string> exec_hash_of;
};
int RunRehearse(CommandContext& ctx, const RehearseArgs& args);

// ---- The gate (cmd_gate.cc) ----
struct GateArgs {
  std::string target;
  std::string plan;
  std::optional<std::string> layout;  // --layout: the plan's tool (plan/layout.h); detected when absent
  std::string phase = "expand";
  std::optional<std::string> to;  // the last migration the phase will run (apply --to)
  std::optional<std::string> scratch;
  std::optional<std::string> junit;         // one test case per check
  std::optional<std::string> metrics_file;  // Prometheus textfile metrics
  std::optional<std::string> markdown;      // the executive readout (report/gate_markdown.h)
  bool github = false;                      // annotations and step summary (also GITHUB_ACTIONS=true)
  // The migrator rehearsed with `rehearse --exec` (instead of --plan): the
  // same command lines and files.
  std::optional<std::string> exec;
  std::optional<std::string> exec_rollback;
  std::vector<std::string> exec_hash_of;
};
int RunGate(CommandContext& ctx, const GateArgs& args);

// ---- The audit log (cmd_audit.cc) ----
struct AuditArgs {
  std::optional<std::string> since;      // ISO time or a duration back from now
  std::optional<std::string> target;     // only this target's entries
  std::optional<std::string> head_file;  // audit verify --head FILE
};
int RunAudit(CommandContext& ctx, const AuditArgs& args);
int RunAuditHead(CommandContext& ctx);
int RunAuditVerify(CommandContext& ctx, const AuditArgs& args);

// Stage timings for --json: [{"stage": ..., "seconds": ...}], in order
// (snapshot, restore and restore-test).
nlohmann::ordered_json StagesJson(const std::vector<std::pair<std::string, double>>& stages);

// The catalog row for a committed snapshot.
SnapshotRecord SnapshotRecordFor(const snapshot::Manifest& manifest, const std::string& checksum);

}  // namespace cutover::cli
