#include "cli/context.h"

#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>

#include <cstdlib>
#include <filesystem>
#include <iostream>
#include <nlohmann/json.hpp>

#include "base/strings.h"
#include "base/uri.h"

namespace cutover::cli {

TempDir::TempDir() {
  std::string pattern = (std::filesystem::temp_directory_path() / "cutover-scratch-XXXXXX").string();
  if (mkdtemp(pattern.data()) != nullptr) path_ = pattern;
}

TempDir::~TempDir() {
  std::error_code ec;
  if (!path_.empty()) std::filesystem::remove_all(path_, ec);
}

void SetUpLogging(const GlobalOptions& options) {
  auto logger = spdlog::stderr_color_mt("cutover");
  logger->set_pattern("cutover: %^%l%$: %v");
  if (options.quiet) {
    logger->set_level(spdlog::level::err);
  } else if (options.verbose >= 2) {
    logger->set_level(spdlog::level::trace);
  } else if (options.verbose == 1) {
    logger->set_level(spdlog::level::debug);
  } else {
    logger->set_level(spdlog::level::warn);
  }
  spdlog::set_default_logger(logger);
}

CommandContext::CommandContext(GlobalOptions options) : options_(std::move(options)) {}

Status CommandContext::Init() {
  auto config = LoadConfigOrDefault(options_.config_path);
  if (!config.ok()) return config.status();
  config_ = std::move(*config);
  if (options_.repo) config_.repository = options_.repo;
  std::vector<std::string> paths = options_.driver_path;
  paths.insert(paths.end(), config_.driver_path.begin(), config_.driver_path.end());
  loader_ = std::make_unique<DriverLoader>(paths);
  if (!config_.source.empty()) spdlog::debug("config: {}", config_.source);
  return Status::Ok();
}

Result<CommandContext::Target> CommandContext::ResolveTarget(const std::string& target) {
  auto uri_text = ResolveTargetUri(config_, target);
  if (!uri_text.ok()) return uri_text.status();
  auto resolved = ResolveUri(*uri_text, "TARGET");
  if (!resolved.ok()) return resolved.status();
  if (config_.targets.count(target)) resolved->label = target;
  return resolved;
}

Result<CommandContext::Target> CommandContext::ResolveUri(const std::string& uri_text,
                                                          const std::string& what) {
  auto uri = ConnectionUri::Parse(uri_text);
  if (!uri.ok()) return uri.status().WithContext(what);
  auto driver = loader_->ForUri(*uri);
  if (!driver.ok()) return driver.status();
  Target t;
  t.label = uri->Redacted();
  t.uri = *uri;
  t.driver = *driver;
  return t;
}

Result<std::unique_ptr<Connection>> CommandContext::ConnectTarget(const std::string& target) {
  auto uri_text = ResolveTargetUri(config_, target);
  if (!uri_text.ok()) return uri_text.status();
  auto uri = ConnectionUri::Parse(*uri_text);
  if (!uri.ok()) return uri.status();
  auto driver = loader_->ForUri(*uri);
  if (!driver.ok()) return driver.status();
  spdlog::debug("connecting to {}", uri->Redacted());
  return (*driver)->Connect(*uri);
}

Result<snapshot::Repository> CommandContext::OpenRepository(RepositoryUse use) {
  if (!config_.repository || config_.repository->empty()) {
    return Status::InvalidInput(
        "no snapshot repository: pass --repo DIR or set [repository] path in cutover.toml");
  }
  if (use == RepositoryUse::kCreateIfMissing) return snapshot::Repository::Open(*config_.repository);
  return snapshot::Repository::OpenExisting(*config_.repository);
}

Result<std::unique_ptr<Catalog>> CommandContext::OpenCatalog(const snapshot::Repository& repo) {
  return Catalog::Open(*loader_, repo.root());
}

Result<audit::AuditLog> CommandContext::AuditLogFor(Catalog& catalog) const {
  std::optional<audit::Key> key;
  if (config_.audit_key_file) {
    auto loaded = audit::Key::Load(*config_.audit_key_file);
    if (!loaded.ok()) return loaded.status();
    key = std::move(*loaded);
  }
  return audit::AuditLog(catalog, std::move(key));
}

namespace {
void WarnMissing(const audit::Event& event, const Status& st) {
  std::cerr << "cutover: warning: this " << event.action
            << " is missing from the audit log: " << ScrubSecrets(st.message()) << "\n";
}
}  // namespace

void CommandContext::RecordAudit(Catalog& catalog, const audit::Event& event) const {
  auto log = AuditLogFor(catalog);
  if (!log.ok()) return WarnMissing(event, log.status());
  cli::RecordAudit(*log, event);
}

void RecordAudit(audit::AuditLog& log, const audit::Event& event) {
  if (Status st = log.Append(event); !st.ok()) WarnMissing(event, st);
}

Progress::Mode CommandContext::progress_mode() const {
  return Progress::ModeFor(options_.no_progress, options_.quiet, options_.json);
}

int CommandContext::Fail(const Status& status) const {
  // Messages are built from redacted URIs; scrubbing again is the last line
  // of defence against a client library quoting a secret.
  const std::string message = ScrubSecrets(status.message());
  std::cerr << "cutover: error: " << message << "\n";
  if (options_.json) {
    nlohmann::ordered_json doc;
    doc["format"] = "cutover.error";
    doc["version"] = 1;
    doc["error"] = StatusCodeName(status.code());
    doc["exit_code"] = ExitCodeFor(status);
    doc["message"] = message;
    if (!status.sqlstate().empty()) doc["sqlstate"] = status.sqlstate();
    std::cout << doc.dump(2, ' ', false, nlohmann::ordered_json::error_handler_t::replace) << "\n";
  }
  return ExitCodeFor(status);
}

Result<ConnectionUri> ResolveScratchServer(DriverLoader& loader, const Config& config,
                                           const std::string& target, const std::optional<std::string>& flag,
                                           Driver& driver, const std::string& local_dir,
                                           const std::string& purpose, const std::string& engine_of) {
  auto scratch_text = ResolveScratch(config, target, flag);
  if (!scratch_text) {
    auto local = driver.LocalScratchServer(local_dir);
    if (local.ok() && local_dir.empty()) return Status::Io("cannot create a temporary scratch directory");
    if (local.ok()) return *local;
    return Status::InvalidInput(purpose +
                                ": give --scratch URI (a server where cutover may create databases) or set "
                                "[scratch] uri in the config");
  }
  auto scratch = ConnectionUri::Parse(*scratch_text);
  if (!scratch.ok()) return scratch.status().WithContext("--scratch");
  auto scratch_driver = loader.ForUri(*scratch);
  if (!scratch_driver.ok()) return scratch_driver.status().WithContext("--scratch " + scratch->Redacted());
  if (*scratch_driver != &driver) {
    return Status::InvalidInput("the scratch server " + scratch->Redacted() + " is not a " +
                                driver.info().name + " server like " + engine_of);
  }
  return *scratch;
}

Result<plan::Plan> ReadPlanArg(const std::string& dir, plan::Engine engine, Driver* driver,
                               const std::optional<std::string>& layout) {
  plan::ReadOptions options = plan::ReadOptionsFor(engine, driver);
  if (layout) {
    options.layout = plan::ParseLayout(*layout);
    if (!options.layout) {
      return Status::InvalidInput("--layout " + *layout + ": not a layout cutover reads; use one of " +
                                  plan::LayoutNames() + " (docs/layouts.md)");
    }
  }
  return plan::ReadPlan(dir, options);
}

Result<PlanOrExec> ReadPlanOrExec(const std::string& plan, const std::optional<std::string>& exec,
                                  const std::optional<std::string>& exec_rollback,
                                  const std::vector<std::string>& exec_hash_of,
                                  const std::vector<std::string>& plan_only) {
  PlanOrExec out;
  if (!exec) {
    if (exec_rollback || !exec_hash_of.empty())
      return Status::InvalidInput("--exec-rollback and --exec-hash-of go with --exec COMMAND");
    if (plan.empty())
      return Status::InvalidInput("give --plan DIR, or --exec COMMAND to run another migrator");
    out.args = "--plan " + plan;
    return out;
  }
  if (!plan.empty())
    return Status::InvalidInput("--plan and --exec: give one, the plan or the command that runs it");
  if (!plan_only.empty())
    return Status::InvalidInput(Join(plan_only, ", ") + ": not with --exec (the command decides what runs)");
  if (Trim(*exec).empty()) return Status::InvalidInput("--exec: the command is empty");
  if (exec_rollback && Trim(*exec_rollback).empty())
    return Status::InvalidInput("--exec-rollback: the command is empty");
  out.exec = rehearse::ExecSpec{*exec, exec_rollback, exec_hash_of};
  auto sha = rehearse::ExecSha256(*out.exec, &out.hashed_files);
  if (!sha.ok()) return sha.status();
  out.exec_sha256 = *sha;
  out.args = "--exec " + ShellQuote(*exec);
  if (exec_rollback) out.args += " --exec-rollback " + ShellQuote(*exec_rollback);
  for (const std::string& p : exec_hash_of) out.args += " --exec-hash-of " + ShellQuote(p);
  return out;
}

}  // namespace cutover::cli
