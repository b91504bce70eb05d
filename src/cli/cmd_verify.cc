// cutover verify SNAPSHOT [--deep]: the snapshot's files against its
// manifest, without a database. Exit 1 on any problem.
#include <iostream>
#include <nlohmann/json.hpp>

#include "cli/commands.h"
#include "snapshot/verify.h"

namespace cutover::cli {

int RunVerify(CommandContext& ctx, const VerifyArgs& args) {
  auto repo = ctx.OpenRepository();
  if (!repo.ok()) return ctx.Fail(repo.status());
  auto id = repo->Resolve(args.snapshot);
  if (!id.ok()) return ctx.Fail(id.status());
  auto report =
      snapshot::VerifySnapshot(*repo, *id, args.deep, args.jobs, ctx.progress_mode(), &ctx.loader());
  if (!report.ok()) return ctx.Fail(report.status());

  VerificationRecord rec;
  rec.snapshot_id = *id;
  rec.at = NowIso8601();
  rec.deep = args.deep;
  rec.ok = report->ok();
  rec.detail =
      report->ok() ? std::to_string(report->files_checked) + " files checked" : report->problems.front();
  rec.seconds = report->seconds;
  if (auto catalog = ctx.OpenCatalog(*repo); catalog.ok()) {
    if (Status st = (*catalog)->RecordVerification(rec); !st.ok()) {
      std::cerr << "cutover: warning: result not recorded in the catalog: " << st.message() << "\n";
    }
    ctx.RecordAudit(
        **catalog,
        audit::Event{"verify",
                     "",
                     "",
                     {{"snapshot", *id}, {"deep", args.deep}, {"ok", rec.ok}, {"detail", rec.detail}}});
  } else {
    std::cerr << "cutover: warning: result not recorded in the catalog: " << catalog.status().message()
              << "\n";
  }

  if (ctx.json()) {
    nlohmann::ordered_json j{{"format", "cutover.verify"},
                             {"version", 1},
                             {"snapshot", *id},
                             {"deep", args.deep},
                             {"ok", report->ok()},
                             {"files_checked", report->files_checked},
                             {"bytes_read", report->bytes_read},
                             {"seconds", report->seconds},
                             {"problems", report->problems}};
    if (args.deep) j["rows_counted"] = report->rows_counted;
    std::cout << j.dump(2) << "\n";
  } else if (report->ok()) {
    std::cout << "snapshot " << *id << ": OK (" << report->files_checked << " files"
              << (args.deep ? ", " + std::to_string(report->rows_counted) + " rows recounted and digested"
                            : "")
              << ", " << static_cast<long long>(report->seconds * 1000) << " ms)\n";
  } else {
    std::cout << "snapshot " << *id << ": FAILED, " << report->problems.size() << " problem(s):\n";
    for (const auto& p : report->problems) std::cout << "  " << p << "\n";
  }
  return report->ok() ? 0 : 1;
}

}  // namespace cutover::cli
