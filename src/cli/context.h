// CommandContext: what every command needs (config, driver loader, output
// mode) and the one place errors become messages and exit codes.
//
// Output contract: results go to stdout (human text, or JSON with --json);
// logs, progress and errors go to stderr. With --json an error is also
// written to stdout as {"format":"cutover.error",...} so a pipeline that
// parses stdout always gets a document.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "audit/audit_log.h"
#include "base/progress.h"
#include "base/status.h"
#include "catalog/catalog.h"
#include "config/config.h"
#include "driver/loader.h"
#include "plan/plan.h"
#include "rehearse/exec.h"
#include "snapshot/repository.h"

namespace cutover::cli {

struct GlobalOptions {
  std::optional<std::string> config_path;
  std::optional<std::string> repo;
  std::vector<std::string> driver_path;
  bool json = false;
  int verbose = 0;
  bool quiet = false;
  bool no_progress = false;
};

class CommandContext {
 public:
  explicit CommandContext(GlobalOptions options);

  // Loads the config (once). Must succeed before config() is used.
  Status Init();

  const GlobalOptions& options() const { return options_; }
  const Config& config() const { return config_; }
  DriverLoader& loader() { return *loader_; }
  bool json() const { return options_.json; }

  // TARGET (URI or config name) resolved to its URI and loaded driver.
  // `label` is the config name, or the redacted URI.
  struct Target {
    std::string label;
    ConnectionUri uri;
    Driver* driver = nullptr;
  };
  Result<Target> ResolveTarget(const std::string& target);
  // A URI argument (no config lookup) with its driver.
  Result<Target> ResolveUri(const std::string& uri_text, const std::string& what);

  // Resolves TARGET (URI or config name), loads its driver and connects.
  Result<std::unique_ptr<Connection>> ConnectTarget(const std::string& target);

  // The repository (--repo, else [repository] path) and its catalog. Only
  // `snapshot` creates a missing repository; every other command needs an
  // existing one, so a mistyped path is an error instead of a new folder.
  enum class RepositoryUse { kCreateIfMissing, kMustExist };
  Result<snapshot::Repository> OpenRepository(RepositoryUse use = RepositoryUse::kMustExist);
  Result<std::unique_ptr<Catalog>> OpenCatalog(const snapshot::Repository& repo);
  // The repository's audit log, authenticated with [audit] key_file when
  // set (a key file that cannot be used is an error naming it).
  Result<audit::AuditLog> AuditLogFor(Catalog& catalog) const;
  // Appends `event`; a failure is a warning on stderr (the command's own
  // result stands and the message says the entry is missing). Commands
  // that must not go on without their entry (apply) use AuditLogFor.
  void RecordAudit(Catalog& catalog, const audit::Event& event) const;
  // How progress is shown on stderr for this run.
  Progress::Mode progress_mode() const;

  // Prints the error (stderr, and stdout in --json mode); returns its exit code.
  int Fail(const Status& status) const;

 private:
  GlobalOptions options_;
  Config config_;
  std::unique_ptr<DriverLoader> loader_;
};

// A private temporary directory removed on destruction: the default SQLite
// scratch "server". path() is empty when it could not be created.
class TempDir {
 public:
  TempDir();
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

// The scratch server for work on databases of `driver`: --scratch (`flag`),
// else the config (the target's own scratch, then [scratch] uri), else, for
// engines whose scratch server is a directory (Driver::LocalScratchServer),
// the directory `local_dir` (a private temporary one, or the repository's scratch folder). The scratch URI
// must be served by the same driver. `purpose` says what needs it ("restore-test restores into a scratch
// database") and `engine_of` whose engine it must match ("the target sqlite:shop.db"), for the messages.
Result<ConnectionUri> ResolveScratchServer(DriverLoader& loader, const Config& config,
                                           const std::string& target, const std::optional<std::string>& flag,
                                           Driver& driver, const std::string& local_dir,
                                           const std::string& purpose, const std::string& engine_of);

// Appends `event` to `log`; a failure is a warning on stderr naming the
// missing entry (the command's own result stands).
void RecordAudit(audit::AuditLog& log, const audit::Event& event);

void SetUpLogging(const GlobalOptions& options);

// The plan in `dir` for `engine` (MySQL and SQLite split by `driver`), read
// as the layout `layout` (--layout) names, else as its files show.
// kInvalidInput for a layout name cutover does not know.
Result<plan::Plan> ReadPlanArg(const std::string& dir, plan::Engine engine, Driver* driver,
                               const std::optional<std::string>& layout);

// What rehearse and gate are given to judge: a plan (--plan DIR) or an
// outside migrator (--exec, --exec-rollback, --exec-hash-of).
struct PlanOrExec {
  std::optional<rehearse::ExecSpec> exec;  // nullopt: --plan
  std::string exec_sha256;                 // with exec: rehearse::ExecSha256
  std::vector<std::string> hashed_files;
  std::string args;  // "--plan DIR" or "--exec '...' ...", for messages
};
// Exactly one of --plan and --exec; the --exec-* options only with --exec,
// and none of `plan_only` (flag names given) with it. kInvalidInput otherwise
// or for an --exec-hash-of path that cannot be read.
Result<PlanOrExec> ReadPlanOrExec(const std::string& plan, const std::optional<std::string>& exec,
                                  const std::optional<std::string>& exec_rollback,
                                  const std::vector<std::string>& exec_hash_of,
                                  const std::vector<std::string>& plan_only);

}  // namespace cutover::cli
