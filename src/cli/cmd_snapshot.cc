// cutover snapshot TARGET: a consistent, checksummed, compressed snapshot
// into the repository; cutover snapshots: the list with the last
// verification and restore test of each; cutover prune: retention.
#include <spdlog/spdlog.h>

#include <algorithm>
#include <cstdio>
#include <iostream>
#include <map>
#include <nlohmann/json.hpp>
#include <set>

#include "base/kill_point.h"
#include "base/progress.h"
#include "cli/commands.h"
#include "snapshot/scratch.h"
#include "snapshot/take.h"

namespace cutover::cli {
namespace {

using Json = nlohmann::ordered_json;

Result<std::int64_t> DurationMs(const std::string& text, const std::string& option) {
  if (text.ends_with("ms")) {
    auto s = ParseDurationSeconds(text.substr(0, text.size() - 2) + "s");
    if (!s.ok()) return Status::InvalidInput(option + " '" + text + "': use e.g. 500ms, 10s, 2m");
    return *s;
  }
  auto s = ParseDurationSeconds(text);
  if (!s.ok()) return Status::InvalidInput(option + " '" + text + "': use e.g. 500ms, 10s, 2m");
  return *s * 1000;
}

// Catalog rows for committed snapshots the catalog missed (a kill between
// the manifest commit and the catalog insert) are added from the manifests.
Result<std::vector<SnapshotSummary>> ReconciledList(const snapshot::Repository& repo, Catalog& catalog) {
  auto ids = repo.ListCommitted();
  if (!ids.ok()) return ids.status();
  auto rows = catalog.ListSnapshots();
  if (!rows.ok()) return rows.status();
  std::set<std::string> known;
  for (const auto& r : *rows) known.insert(r.snapshot.id);
  bool added = false;
  for (const auto& id : *ids) {
    if (known.count(id)) continue;
    auto m = repo.LoadManifest(id);
    if (!m.ok()) {
      spdlog::warn("snapshot {}: {}", id, m.status().message());
      continue;
    }
    SnapshotRecord rec = SnapshotRecordFor(*m, "");
    CUTOVER_RETURN_IF_ERROR(catalog.RecordSnapshot(rec));
    added = true;
  }
  if (!added) return rows;
  return catalog.ListSnapshots();
}

}  // namespace

Json StagesJson(const std::vector<std::pair<std::string, double>>& stages) {
  Json out = Json::array();
  for (const auto& [stage, seconds] : stages) out.push_back(Json{{"stage", stage}, {"seconds", seconds}});
  return out;
}

SnapshotRecord SnapshotRecordFor(const snapshot::Manifest& m, const std::string& checksum) {
  SnapshotRecord rec;
  rec.id = m.id;
  rec.target = m.target;
  rec.engine = m.engine;
  rec.source = m.source;
  rec.started_at = m.started_at;
  rec.finished_at = m.finished_at;
  rec.tables = static_cast<std::int64_t>(m.tables.size());
  rec.rows = m.TotalRows();
  rec.raw_bytes = m.TotalRawBytes();
  rec.stored_bytes = m.TotalStoredBytes();
  rec.fingerprint = m.fingerprint;
  rec.manifest_sha256 = checksum;
  return rec;
}

int RunSnapshot(CommandContext& ctx, const SnapshotArgs& args) {
  if (args.jobs < 1 || args.jobs > 64)
    return ctx.Fail(Status::InvalidInput("--jobs must be between 1 and 64"));
  if (args.compression_level < 1 || args.compression_level > 19) {
    return ctx.Fail(Status::InvalidInput("--compress-level must be between 1 and 19"));
  }
  auto lock_ms = DurationMs(args.lock_timeout, "--lock-timeout");
  if (!lock_ms.ok()) return ctx.Fail(lock_ms.status());
  using LayoutChoice = snapshot::SnapshotRequest::LayoutChoice;
  const std::map<std::string, LayoutChoice> layouts = {
      {"auto", LayoutChoice::kAuto}, {"records", LayoutChoice::kRecords}, {"image", LayoutChoice::kImage}};
  if (!layouts.count(args.layout)) {
    return ctx.Fail(Status::InvalidInput("--layout '" + args.layout + "': use auto, records or image"));
  }
  auto target = ctx.ResolveTarget(args.target);
  if (!target.ok()) return ctx.Fail(target.status());
  auto repo = ctx.OpenRepository(CommandContext::RepositoryUse::kCreateIfMissing);
  if (!repo.ok()) return ctx.Fail(repo.status());
  auto catalog = ctx.OpenCatalog(*repo);
  if (!catalog.ok()) return ctx.Fail(catalog.status());

  snapshot::SnapshotRequest req;
  req.driver = target->driver;
  req.uri = target->uri;
  req.target_label = target->label;
  req.jobs = args.jobs;
  req.compression_level = args.compression_level;
  req.options.lock_nontransactional_tables = args.lock_nontransactional;
  req.options.lock_timeout = std::chrono::milliseconds(*lock_ms);
  req.layout = layouts.at(args.layout);
  req.progress = ctx.progress_mode();
  auto out = snapshot::TakeSnapshot(*repo, req);
  if (!out.ok()) return ctx.Fail(out.status().WithContext("snapshot of " + target->label));
  const auto& m = out->manifest;
  CUTOVER_KILL_POINT("snapshot.committed");  // in the repository, not yet in the catalog
  if (Status st = (*catalog)->RecordSnapshot(SnapshotRecordFor(m, out->manifest_checksum)); !st.ok()) {
    // The snapshot is committed; the next listing re-adds it from its manifest.
    spdlog::warn("snapshot {} committed but not recorded in the catalog: {}", m.id, st.message());
  }
  ctx.RecordAudit(**catalog, audit::Event{"snapshot",
                                          m.target,
                                          target->uri.user(),
                                          {{"snapshot", m.id},
                                           {"rows", m.TotalRows()},
                                           {"fingerprint", m.fingerprint},
                                           {"manifest_sha256", out->manifest_checksum}}});
  if (ctx.json()) {
    Json j{{"format", "cutover.snapshot.result"},
           {"version", 1},
           {"id", m.id},
           {"target", m.target},
           {"engine", m.engine},
           {"layout", snapshot::LayoutName(m.layout)},
           {"directory", repo->SnapshotDir(m.id).string()},
           {"tables", m.tables.size()},
           {"rows", m.TotalRows()},
           {"raw_bytes", m.TotalRawBytes()},
           {"stored_bytes", m.TotalStoredBytes()},
           {"fingerprint", m.fingerprint},
           {"point", m.point},
           {"manifest_checksum", out->manifest_checksum},
           {"seconds", out->seconds},
           {"stages", StagesJson(out->stages)}};
    std::cout << j.dump(2) << "\n";
  } else {
    std::cout << "snapshot " << m.id << " of " << m.target << " (" << m.server_product << " "
              << m.server_version << ")\n  " << m.tables.size() << " tables, " << m.TotalRows() << " rows, "
              << (m.layout == snapshot::Layout::kImage ? "database image " : "")
              << HumanBytes(static_cast<double>(m.TotalRawBytes())) << " -> "
              << HumanBytes(static_cast<double>(m.TotalStoredBytes())) << " stored, in "
              << static_cast<long long>(out->seconds * 1000) << " ms\n  schema " << m.fingerprint << "\n  "
              << repo->SnapshotDir(m.id).string() << "\n";
  }
  return 0;
}

int RunSnapshots(CommandContext& ctx) {
  auto repo = ctx.OpenRepository();
  if (!repo.ok()) return ctx.Fail(repo.status());
  auto catalog = ctx.OpenCatalog(*repo);
  if (!catalog.ok()) return ctx.Fail(catalog.status());
  for (const auto& gone : repo->CleanUpIncomplete()) spdlog::warn("removed incomplete snapshot {}", gone);
  auto list = ReconciledList(*repo, **catalog);
  if (!list.ok()) return ctx.Fail(list.status());
  auto committed = repo->ListCommitted();
  if (!committed.ok()) return ctx.Fail(committed.status());
  std::set<std::string> present(committed->begin(), committed->end());
  Json arr = Json::array();
  if (!ctx.json()) {
    std::printf("%-24s %-28s %8s %10s  %-27s %s\n", "ID", "TARGET / ENGINE", "ROWS", "STORED", "VERIFIED",
                "RESTORE-TESTED");
  }
  for (const auto& s : *list) {
    if (s.snapshot.deleted || !present.count(s.snapshot.id)) continue;
    std::string verified = s.last_verification ? std::string(s.last_verification->ok ? "ok " : "FAILED ") +
                                                     s.last_verification->at
                                               : "never";
    std::string tested = s.last_restore_test ? std::string(s.last_restore_test->ok ? "ok " : "FAILED ") +
                                                   s.last_restore_test->at
                                             : "never";
    if (ctx.json()) {
      Json j{{"id", s.snapshot.id},
             {"target", s.snapshot.target},
             {"engine", s.snapshot.engine},
             {"started_at", s.snapshot.started_at},
             {"tables", s.snapshot.tables},
             {"rows", s.snapshot.rows},
             {"stored_bytes", s.snapshot.stored_bytes},
             {"fingerprint", s.snapshot.fingerprint}};
      j["last_verification"] = s.last_verification ? Json{{"at", s.last_verification->at},
                                                          {"ok", s.last_verification->ok},
                                                          {"deep", s.last_verification->deep}}
                                                   : Json(nullptr);
      j["last_restore_test"] = s.last_restore_test
                                   ? Json{{"at", s.last_restore_test->at},
                                          {"ok", s.last_restore_test->ok},
                                          {"restore_seconds", s.last_restore_test->restore_seconds}}
                                   : Json(nullptr);
      arr.push_back(std::move(j));
    } else {
      std::string who = s.snapshot.target + " / " + s.snapshot.engine;
      std::printf("%-24s %-28s %8s %10s  %-27s %s\n", s.snapshot.id.c_str(), who.substr(0, 28).c_str(),
                  HumanCount(static_cast<double>(s.snapshot.rows)).c_str(),
                  HumanBytes(static_cast<double>(s.snapshot.stored_bytes)).c_str(), verified.c_str(),
                  tested.c_str());
    }
  }
  if (ctx.json())
    std::cout << Json{{"format", "cutover.snapshots"}, {"version", 1}, {"snapshots", arr}}.dump(2) << "\n";
  return 0;
}

namespace {

// The servers where base copies of `driver`'s engine may be dropped from:
// --scratch, the config's scratch servers, and the driver's local scratch
// server in the repository (file engines). A base copy records its server
// without the password, so the URI to reach it must come from here.
std::vector<ConnectionUri> KnownScratchServers(CommandContext& ctx, const snapshot::Repository& repo,
                                               const std::optional<std::string>& flag, const Driver& driver) {
  std::vector<std::string> texts;
  if (flag) texts.push_back(*flag);
  if (ctx.config().scratch) texts.push_back(*ctx.config().scratch);
  for (const auto& [name, target] : ctx.config().targets) {
    if (target.scratch) texts.push_back(*target.scratch);
  }
  std::vector<ConnectionUri> out;
  for (const std::string& text : texts) {
    auto uri = ConnectionUri::Parse(text);
    if (uri.ok()) out.push_back(std::move(*uri));
  }
  auto local = driver.LocalScratchServer((repo.root() / "scratch").string());
  if (local.ok()) out.push_back(std::move(*local));
  return out;
}

// Drops the rehearsal base copies whose snapshot is deleted (docs/rehearsal.md,
// "Base copies"). One that cannot be reached or dropped is kept, named in
// `kept` with the reason; its catalog row stays for the next prune.
// `doomed`: the snapshots this prune deletes (with --dry-run not yet marked
// deleted in the catalog).
void PruneBaseCopies(CommandContext& ctx, Catalog& catalog, const snapshot::Repository& repo,
                     const PruneArgs& args, const std::vector<std::string>& doomed, Json& dropped,
                     Json& kept) {
  auto copies = catalog.ListBaseCopies();
  if (!copies.ok()) {
    kept.push_back({{"name", ""}, {"reason", copies.status().message()}});
    return;
  }
  for (const BaseCopyRecord& copy : *copies) {
    auto snap = catalog.FindSnapshot(copy.snapshot_id);
    const bool going = std::find(doomed.begin(), doomed.end(), copy.snapshot_id) != doomed.end();
    if (!going && snap.ok() && snap->has_value() && !(*snap)->deleted) continue;
    const Json name = copy.engine + " " + copy.server + " " + copy.name;
    auto driver = ctx.loader().Get(copy.engine);
    std::vector<ConnectionUri> servers;
    if (driver.ok()) servers = KnownScratchServers(ctx, repo, args.scratch, **driver);
    auto server = std::find_if(servers.begin(), servers.end(), [&](const ConnectionUri& s) {
      return ScratchServerKey(s.Redacted()) == ScratchServerKey(copy.server);
    });
    if (!driver.ok() || server == servers.end()) {
      kept.push_back({{"name", name},
                      {"reason", "its server is not known here: give --scratch with that server's URI"}});
      continue;
    }
    if (args.dry_run) {
      dropped.push_back(name);
      continue;
    }
    Status st = snapshot::DropBaseCopy(catalog, **driver, *server, copy);
    if (st.ok()) {
      dropped.push_back(name);
    } else {
      kept.push_back({{"name", name}, {"reason", st.message()}});
    }
  }
}

}  // namespace

int RunPrune(CommandContext& ctx, const PruneArgs& args) {
  RetentionPolicy policy;
  policy.keep_last = args.keep_last;
  if (args.keep_within) {
    auto secs = ParseDurationSeconds(*args.keep_within);
    if (!secs.ok()) return ctx.Fail(secs.status().WithContext("--keep-within"));
    policy.keep_within_seconds = *secs;
  }
  if (!policy.keep_last && !policy.keep_within_seconds) {
    return ctx.Fail(
        Status::InvalidInput("prune needs --keep-last N and/or --keep-within DURATION (e.g. 30d)"));
  }
  if (policy.keep_last && *policy.keep_last < 1) {
    return ctx.Fail(Status::InvalidInput("--keep-last must be at least 1"));
  }
  auto repo = ctx.OpenRepository();
  if (!repo.ok()) return ctx.Fail(repo.status());
  auto catalog = ctx.OpenCatalog(*repo);
  if (!catalog.ok()) return ctx.Fail(catalog.status());
  for (const auto& gone : repo->CleanUpIncomplete()) spdlog::warn("removed incomplete snapshot {}", gone);
  auto list = ReconciledList(*repo, **catalog);
  if (!list.ok()) return ctx.Fail(list.status());
  std::vector<SnapshotSummary> live;
  for (auto& s : *list) {
    if (!s.snapshot.deleted) live.push_back(s);
  }
  std::vector<std::string> doomed = SnapshotsToPrune(live, policy, NowIso8601());
  Json deleted = Json::array();
  for (const auto& id : doomed) {
    if (!args.dry_run) {
      if (Status st = repo->Delete(id); !st.ok()) return ctx.Fail(st);
      if (Status st = (*catalog)->MarkSnapshotDeleted(id); !st.ok()) return ctx.Fail(st);
    }
    deleted.push_back(id);
    if (!ctx.json()) std::cout << (args.dry_run ? "would delete " : "deleted ") << id << "\n";
  }
  Json copies_dropped = Json::array();
  Json copies_kept = Json::array();
  PruneBaseCopies(ctx, **catalog, *repo, args, doomed, copies_dropped, copies_kept);
  if (!args.dry_run) {
    ctx.RecordAudit(**catalog,
                    audit::Event{"prune",
                                 "",
                                 "",
                                 {{"deleted", deleted},
                                  {"base_copies_dropped", copies_dropped},
                                  {"keep_last", args.keep_last ? Json(*args.keep_last) : Json(nullptr)},
                                  {"keep_within", args.keep_within.value_or("")}}});
  }
  if (ctx.json()) {
    std::cout << Json{{"format", "cutover.prune"},
                      {"version", 1},
                      {"dry_run", args.dry_run},
                      {"deleted", deleted},
                      {"kept", live.size() - doomed.size()},
                      {"base_copies_dropped", copies_dropped},
                      {"base_copies_kept", copies_kept}}
                     .dump(2)
              << "\n";
  } else {
    for (const Json& c : copies_dropped) {
      std::cout << (args.dry_run ? "would drop base copy " : "dropped base copy ") << c.get<std::string>()
                << "\n";
    }
    for (const Json& c : copies_kept) {
      std::cout << "kept base copy " << c["name"].get<std::string>() << ": " << c["reason"].get<std::string>()
                << "\n";
    }
    std::cout << (live.size() - doomed.size()) << " snapshot(s) kept\n";
  }
  return 0;
}

}  // namespace cutover::cli
