// The entry function of each command. Each returns the process exit code
// (docs/exit-codes.md) and prints its own results; CLI11 parsing lives in
// main.cc.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "cli/context.h"

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
  std::vector<std::string> ignore;
  bool ignore_column_order = false;
};
int RunDrift(CommandContext& ctx, const DriftArgs& args);

}  // namespace cutover::cli
