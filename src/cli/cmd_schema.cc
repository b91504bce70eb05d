// cutover schema TARGET [--json]: the normalized schema model of a database.
#include <iostream>

#include "cli/commands.h"
#include "schema/schema_json.h"
#include "schema/summary.h"

namespace cutover::cli {

int RunSchema(CommandContext& ctx, const SchemaArgs& args) {
  auto conn = ctx.ConnectTarget(args.target);
  if (!conn.ok()) return ctx.Fail(conn.status());
  auto model = (*conn)->ReadSchema();
  if (!model.ok()) return ctx.Fail(model.status().WithContext("reading the schema of " + (*conn)->display_uri()));
  if (ctx.json()) {
    std::cout << SchemaToJson(*model);
  } else {
    std::cout << SchemaSummaryText(*model, (*conn)->display_uri());
  }
  return 0;
}

}  // namespace cutover::cli
