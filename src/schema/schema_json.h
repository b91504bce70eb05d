// The versioned schema JSON format (docs/schema-json.md): what
// `cutover schema --json` writes and `cutover drift --against FILE` reads.
//
// Reading validates everything: format name and version, engine, every
// object's kind and fields, and the recorded fingerprint (recomputed; a
// mismatch means the file was edited by hand and is refused). Errors are
// kInvalidInput and name the file and the object index.
#pragma once

#include <string>
#include <string_view>

#include "base/file_env.h"
#include "base/status.h"
#include "driver/schema_model.h"

namespace cutover {

inline constexpr int kSchemaJsonVersion = 2;

std::string SchemaToJson(const SchemaModel& model);
// `source` names the input in error messages (a file path).
Result<SchemaModel> SchemaFromJson(std::string_view text, const std::string& source);
// The file is read through `env`; at most kMaxSchemaJsonBytes.
inline constexpr std::uint64_t kMaxSchemaJsonBytes = std::uint64_t{1} << 30;
Result<SchemaModel> LoadSchemaJsonFile(const std::string& path, Env& env = Env::Default());

}  // namespace cutover
