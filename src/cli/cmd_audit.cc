// cutover audit [--since T] [--target NAME]: the audit log, oldest first;
// cutover audit head: its head (seq, hash) to anchor outside the catalog;
// cutover audit verify [--head FILE]: recompute the chain (docs/audit.md).
//
// Exit: 0 listed / intact; 1 the chain is broken or no longer extends the
// anchored head (the first bad entry named); 2 bad input (a bad --since,
// a --head file that is not a head, a key file that cannot be used, a
// keyed log without the key); 3 the repository or catalog cannot be read.
#include <fstream>
#include <iostream>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <sstream>

#include "base/strings.h"
#include "cli/commands.h"

namespace cutover::cli {
namespace {

using Json = nlohmann::ordered_json;

// The repository's catalog and its audit log (which borrows the catalog).
struct OpenLog {
  std::unique_ptr<Catalog> catalog;
  std::optional<audit::AuditLog> log;
};

// A repository or catalog that cannot be read is kIo (exit 3); a key file
// that cannot be used keeps its own code (exit 2).
Result<std::unique_ptr<OpenLog>> OpenAuditLog(CommandContext& ctx) {
  auto repo = ctx.OpenRepository();
  if (!repo.ok()) return Status::Io("the audit log cannot be read: " + repo.status().message());
  auto catalog = ctx.OpenCatalog(*repo);
  if (!catalog.ok()) return Status::Io("the audit log cannot be read: " + catalog.status().message());
  auto out = std::make_unique<OpenLog>();
  out->catalog = std::move(*catalog);
  auto log = ctx.AuditLogFor(*out->catalog);
  if (!log.ok()) return log.status();
  out->log.emplace(std::move(*log));
  return out;
}

// --since: an ISO 8601 time, or a duration back from now ("24h", "7d").
Result<std::int64_t> SinceEpoch(const std::string& text) {
  if (auto at = ParseIso8601(text); at.ok()) return *at;
  auto seconds = ParseDurationSeconds(text);
  if (!seconds.ok()) {
    return Status::InvalidInput(
        "--since '" + text + "': give a time (2026-12-01T00:00:00Z) or a duration back from now (24h, 7d)");
  }
  return *ParseIso8601(NowIso8601()) - *seconds;
}

Json EntryJson(const audit::Entry& e) {
  return Json{{"seq", e.seq},       {"at", e.at},       {"action", e.action},
              {"target", e.target}, {"actor", e.actor}, {"db_user", e.db_user},
              {"detail", e.detail}, {"alg", e.alg},     {"hash", e.hash}};
}

std::string EntryText(const audit::Entry& e) {
  std::string who = e.actor + (e.db_user.empty() ? "" : " (db " + e.db_user + ")");
  return std::to_string(e.seq) + "  " + e.at + "  " + e.action + "  " + (e.target.empty() ? "-" : e.target) +
         "  " + who + "  " + e.detail.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

}  // namespace

int RunAudit(CommandContext& ctx, const AuditArgs& args) {
  std::optional<std::int64_t> since;
  if (args.since) {
    auto s = SinceEpoch(*args.since);
    if (!s.ok()) return ctx.Fail(s.status());
    since = *s;
  }
  auto opened = OpenAuditLog(ctx);
  if (!opened.ok()) return ctx.Fail(opened.status());
  audit::AuditLog* log = &*(*opened)->log;
  // Streamed: a million entries are printed without being held.
  bool first = true;
  if (ctx.json()) std::cout << "{\"format\": \"cutover.audit\", \"version\": 1, \"entries\": [";
  Status st = log->ForEach([&](const audit::Entry& e) {
    if (since) {
      auto at = ParseIso8601(e.at);
      if (at.ok() && *at < *since) return Status::Ok();
    }
    if (args.target && e.target != *args.target) return Status::Ok();
    if (ctx.json()) {
      std::cout << (first ? "\n  " : ",\n  ")
                << EntryJson(e).dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
    } else {
      std::cout << EntryText(e) << "\n";
    }
    first = false;
    return Status::Ok();
  });
  if (ctx.json()) std::cout << (first ? "]}\n" : "\n]}\n");
  std::cout.flush();
  if (!st.ok()) return ctx.Fail(st);
  return 0;
}

int RunAuditHead(CommandContext& ctx) {
  auto opened = OpenAuditLog(ctx);
  if (!opened.ok()) return ctx.Fail(opened.status());
  audit::AuditLog* log = &*(*opened)->log;
  auto head = log->ReadHead();
  if (!head.ok()) return ctx.Fail(head.status());
  if (ctx.json()) {
    std::cout << audit::HeadJson(*head);
  } else {
    std::cout << head->seq << " " << head->hash << "\n";
  }
  return 0;
}

int RunAuditVerify(CommandContext& ctx, const AuditArgs& args) {
  std::optional<audit::Head> anchor;
  if (args.head_file) {
    std::ifstream in(*args.head_file);
    if (!in) return ctx.Fail(Status::NotFound("--head " + *args.head_file + ": cannot be read"));
    std::ostringstream text;
    text << in.rdbuf();
    auto parsed = audit::ParseHead(text.str(), *args.head_file);
    if (!parsed.ok()) return ctx.Fail(parsed.status());
    anchor = *parsed;
  }
  auto opened = OpenAuditLog(ctx);
  if (!opened.ok()) return ctx.Fail(opened.status());
  audit::AuditLog* log = &*(*opened)->log;
  auto result = log->Verify(anchor);
  if (!result.ok()) return ctx.Fail(result.status());
  const audit::VerifyResult& r = *result;
  if (ctx.json()) {
    Json j{{"format", "cutover.audit.verify"},
           {"version", 1},
           {"ok", r.ok},
           {"entries", r.entries},
           {"keyed", r.keyed},
           {"head", {{"seq", r.head.seq}, {"hash", r.head.hash}}},
           {"anchor", anchor ? Json{{"seq", anchor->seq}, {"hash", anchor->hash}} : Json(nullptr)},
           {"bad_seq", r.bad_seq ? Json(*r.bad_seq) : Json(nullptr)},
           {"problem", r.problem}};
    std::cout << j.dump(2) << "\n";
  } else if (r.ok) {
    std::cout << "audit log: intact, " << r.head.seq << " entries (" << r.keyed
              << " authenticated with the key), head " << r.head.seq << " " << r.head.hash << "\n";
    if (anchor) std::cout << "  extends the anchored head " << anchor->seq << "\n";
  } else {
    std::cout << "audit log: BROKEN at entry " << *r.bad_seq << ": " << r.problem << "\n";
  }
  std::cout.flush();
  return r.ok ? 0 : 1;
}

}  // namespace cutover::cli
