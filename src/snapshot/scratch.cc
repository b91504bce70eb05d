// Scratch databases and base copies (see scratch.h).
#include "snapshot/scratch.h"

#include <signal.h>
#include <spdlog/spdlog.h>
#include <unistd.h>

#include <cerrno>
#include <utility>

#include "base/kill_point.h"
#include "schema/scratch_schema.h"

namespace cutover::snapshot {
namespace {

std::string HostName() {
  char buf[256] = {};
  if (gethostname(buf, sizeof buf - 1) != 0) return "unknown";
  return buf;
}

bool ProcessAlive(std::int64_t pid) {
  if (pid <= 0) return false;
  return ::kill(static_cast<pid_t>(pid), 0) == 0 || errno == EPERM;
}

}  // namespace

std::string NewDatabaseName(ScratchNaming naming) {
  std::string name = NewScratchName();
  if (naming == ScratchNaming::kBaseCopy) name.replace(0, kScratchPrefix.size(), kBaseCopyPrefix);
  return name;
}

ScratchDatabase::ScratchDatabase(Catalog& catalog, Driver& driver, ConnectionUri server, std::string name,
                                 ConnectionUri uri)
    : catalog_(catalog),
      driver_(driver),
      server_(std::move(server)),
      name_(std::move(name)),
      uri_(std::move(uri)) {}

Result<std::unique_ptr<ScratchDatabase>> ScratchDatabase::Create(Catalog& catalog, Driver& driver,
                                                                 const ConnectionUri& server,
                                                                 const std::string& purpose,
                                                                 ScratchNaming naming) {
  return Make(catalog, driver, server, "", purpose, naming);
}

Result<std::unique_ptr<ScratchDatabase>> ScratchDatabase::Clone(Catalog& catalog, Driver& driver,
                                                                const ConnectionUri& server,
                                                                const std::string& source,
                                                                const std::string& purpose,
                                                                ScratchNaming naming) {
  if (source.empty()) return Status::InvalidInput("cloning a scratch database: no source database named");
  return Make(catalog, driver, server, source, purpose, naming);
}

// Registers, then creates (empty, or a clone of `source` when not empty).
Result<std::unique_ptr<ScratchDatabase>> ScratchDatabase::Make(Catalog& catalog, Driver& driver,
                                                               const ConnectionUri& server,
                                                               const std::string& source,
                                                               const std::string& purpose,
                                                               ScratchNaming naming) {
  ScratchRecord record;
  record.name = NewDatabaseName(naming);
  record.engine = driver.info().name;
  record.server = server.Redacted();
  record.host = HostName();
  record.pid = ::getpid();
  record.created_at = NowIso8601();
  record.purpose = purpose;
  CUTOVER_RETURN_IF_ERROR(catalog.RegisterScratch(record));
  CUTOVER_KILL_POINT("scratch.registered");  // in the catalog, not yet created
  auto made = source.empty() ? driver.CreateDatabase(server, record.name)
                             : driver.CloneDatabase(server, source, record.name);
  if (!made.ok()) {
    // Nothing was created: the driver fails before creating, or cleans up.
    if (Status forgot = catalog.ForgetScratch(record.engine, record.name); !forgot.ok()) {
      spdlog::warn("{} (a later cleanup on this server retries)", forgot.message());
    }
    if (made.status().code() == StatusCode::kUnsupported) return made.status();
    if (source.empty()) {
      return made.status().WithContext("creating scratch database " + record.name + " on " + record.server);
    }
    return made.status().WithContext("cloning " + record.name + " from " + source + " on " + record.server);
  }
  CUTOVER_KILL_POINT("scratch.created");
  return std::unique_ptr<ScratchDatabase>(
      new ScratchDatabase(catalog, driver, server, record.name, std::move(made).value()));
}

ScratchDatabase::~ScratchDatabase() {
  if (!owned_ || drop_failed_) return;
  Status st = Drop();
  if (!st.ok()) {
    spdlog::warn("dropping scratch database {} on {}: {} (the next cleanup on this server retries)", name_,
                 server_.Redacted(), st.message());
  }
}

Status ScratchDatabase::Drop() {
  if (!owned_) return Status::Ok();
  Status dropped = driver_.DropDatabase(server_, name_);
  if (!dropped.ok()) {
    drop_failed_ = true;
    return dropped;
  }
  owned_ = false;
  return catalog_.ForgetScratch(driver_.info().name, name_);
}

Status ScratchDatabase::Keep() {
  if (!owned_) return Status::Ok();
  owned_ = false;
  Status st = catalog_.ForgetScratch(driver_.info().name, name_);
  if (!st.ok()) {
    return st.WithContext("keeping scratch database " + name_ +
                          ": it is still registered, so a later cleanup on this server may drop it");
  }
  return Status::Ok();
}

Status ScratchDatabase::PromoteToBaseCopy(BaseCopyRecord record) {
  if (!owned_) {
    return Status::InvalidInput("scratch database " + name_ +
                                " was already dropped, kept or promoted: it cannot become a base copy");
  }
  record.engine = driver_.info().name;
  record.server = server_.Redacted();
  record.name = name_;
  if (record.created_at.empty()) record.created_at = NowIso8601();
  CUTOVER_RETURN_IF_ERROR(catalog_.RecordBaseCopy(record));
  owned_ = false;
  return Status::Ok();
}

std::vector<std::string> DropStaleScratch(Catalog& catalog, Driver& driver, const ConnectionUri& server) {
  std::vector<std::string> dropped;
  auto records = catalog.ListScratch();
  if (!records.ok()) return dropped;
  const std::string host = HostName();
  const std::string key = ScratchServerKey(server.Redacted());
  for (const auto& r : *records) {
    if (r.engine != driver.info().name || ScratchServerKey(r.server) != key || r.host != host ||
        ProcessAlive(r.pid)) {
      continue;
    }
    if (driver.DropDatabase(server, r.name).ok() && catalog.ForgetScratch(r.engine, r.name).ok()) {
      dropped.push_back(r.name);
    }
  }
  return dropped;
}

Status DropBaseCopy(Catalog& catalog, Driver& driver, const ConnectionUri& server,
                    const BaseCopyRecord& copy) {
  Status dropped = driver.DropDatabase(server, copy.name);
  if (!dropped.ok()) {
    return dropped.WithContext("dropping base copy " + copy.name + " (snapshot " + copy.snapshot_id +
                               ") on " + server.Redacted());
  }
  return catalog.ForgetBaseCopy(copy.engine, copy.server, copy.name);
}

BaseCopyCleanup DropReplacedBaseCopies(Catalog& catalog, Driver& driver, const ConnectionUri& server,
                                       const std::string& target, const std::string& keep_snapshot_id) {
  BaseCopyCleanup out;
  auto copies = catalog.ListBaseCopies();
  if (!copies.ok()) {
    out.warnings.push_back("base copies not cleaned up: " + copies.status().message());
    return out;
  }
  const std::string key = ScratchServerKey(server.Redacted());
  // Stored targets went through ScrubSecrets; compare them the same way.
  const std::string stored_target = ScrubSecrets(target);
  for (const BaseCopyRecord& copy : *copies) {
    if (copy.engine != driver.info().name || ScratchServerKey(copy.server) != key) continue;
    bool replaced = copy.target == stored_target && copy.snapshot_id != keep_snapshot_id;
    if (!replaced) {
      auto snapshot = catalog.FindSnapshot(copy.snapshot_id);
      if (!snapshot.ok()) {
        out.warnings.push_back("base copy " + copy.name + ": " + snapshot.status().message());
        continue;
      }
      replaced = snapshot->has_value() && (*snapshot)->deleted;
    }
    if (!replaced) continue;
    Status st = DropBaseCopy(catalog, driver, server, copy);
    if (st.ok()) {
      out.dropped.push_back(copy.name);
    } else {
      out.warnings.push_back(st.message() + " (the next run retries)");
    }
  }
  return out;
}

}  // namespace cutover::snapshot
