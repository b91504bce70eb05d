// RunExecRehearsal: rehearses an outside migrator (`cutover rehearse
// --exec "COMMAND"`: Rails, Django, Alembic, Prisma, sqitch, a team's
// script) on a restored copy, measuring what the application would feel as
// for a native plan (docs/rehearsal.md, "Any migrator: --exec").
//
// What it does, on the copy only (the caller made it and drops it):
//   1. probes every user table of the copy (the largest kMaxExecProbedTables
//      by row estimate: which tables the command touches is not known
//      before it runs) and the --probe hot queries, starts the lock-wait
//      observer, and takes the baseline;
//   2. runs COMMAND through /bin/sh with the copy in its environment
//      (CUTOVER_SCRATCH_URI, and Driver::ClientEnvironment: DATABASE_URL,
//      PGHOST..., MYSQL_HOST..., CUTOVER_SCRATCH_PATH), the engine's other
//      inherited client variables removed so nothing can send it elsewhere;
//   3. meanwhile reads the server's sessions of the copy every lock interval
//      (Connection::OtherSessions; cutover's own probe and observer sessions
//      left out, every other session is the migrator's) and the locks each
//      holds (Connection::LocksHeldBy). Each statement seen running is one
//      execution: its start and run time come from the server's clock; a
//      statement shorter than one interval may be missed. A new probe
//      window opens when a statement starts, and one when the migrator goes
//      idle: time between statements (an open transaction still holding a
//      lock) is reported as "(between statements)" when probes were blocked
//      in it, so no blocked time is lost. Where the engine shows no sessions
//      (SQLite) the whole command is one step;
//   4. --exec-rollback: runs ROLLBACK the same way, then compares the copy's
//      schema with the one before COMMAND (the migrators' own history
//      tables, kMigratorTables, left out): the rollback drill;
//   5. the command's exit status, signal, duration and output tail are
//      evidence; a non-zero exit is a finding.
//
// Failure: as RunRehearsal. The copy's password never reaches the report
// (the output tail has it replaced by ***).
//
// ExecSha256 binds a rehearsal to what the gate will be shown: the command
// lines and the content of --exec-hash-of files (directories walked,
// sorted), so an edited migration file invalidates the rehearsal.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "base/status.h"
#include "base/uri.h"
#include "driver/driver.h"
#include "rehearse/rehearsal.h"

namespace cutover::rehearse {

inline constexpr int kMaxExecProbedTables = 32;

struct ExecSpec {
  std::string command;
  std::optional<std::string> rollback;
  std::vector<std::string> hash_paths;  // --exec-hash-of
};

// History tables of common migrators, left out of the rollback drill's
// schema comparison (a rollback keeps its tool's history table).
extern const char* const kMigratorTables[];

Result<RehearsalReport> RunExecRehearsal(Driver& driver, const ConnectionUri& copy, const ExecSpec& spec,
                                         const RehearsalOptions& options);

// sha256 of the commands and the files under spec.hash_paths; `files`
// receives the files hashed, in order. kInvalidInput naming a path that
// does not exist or cannot be read.
Result<std::string> ExecSha256(const ExecSpec& spec, std::vector<std::string>* files = nullptr);

}  // namespace cutover::rehearse
