// cutover schema TARGET [--json]: the normalized schema model of a database.
#include <spdlog/spdlog.h>

#include <chrono>
#include <iostream>

#include "cli/commands.h"
#include "schema/schema_json.h"
#include "schema/summary.h"

namespace cutover::cli {

int RunSchema(CommandContext& ctx, const SchemaArgs& args) {
  using Clock = std::chrono::steady_clock;
  auto ms = [](Clock::time_point since) {
    return std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - since).count();
  };
  auto start = Clock::now();
  auto conn = ctx.ConnectTarget(args.target);
  if (!conn.ok()) return ctx.Fail(conn.status());
  spdlog::debug("connected in {} ms", ms(start));
  start = Clock::now();
  auto model = (*conn)->ReadSchema();
  if (!model.ok())
    return ctx.Fail(model.status().WithContext("reading the schema of " + (*conn)->display_uri()));
  spdlog::debug("read {} objects in {} ms", model->objects.size(), ms(start));
  start = Clock::now();
  const std::string out =
      ctx.json() ? SchemaToJson(*model) : SchemaSummaryText(*model, (*conn)->display_uri());
  spdlog::debug("rendered {} bytes in {} ms", out.size(), ms(start));
  std::cout << out;
  return 0;
}

}  // namespace cutover::cli
