#include "schema/fingerprint.h"

#include "base/sha256.h"

namespace cutover {
namespace {
constexpr char kUnit = '\x1f';
constexpr char kRecord = '\x1e';
}  // namespace

std::string CanonicalForm(const SchemaModel& model) {
  SchemaModel sorted = model;
  sorted.Sort();
  std::string out = sorted.engine;
  out += kRecord;
  for (const auto& obj : sorted.objects) {
    for (const std::string& field : {std::string(ObjectKindName(obj.kind)), obj.schema, obj.table, obj.name}) {
      out += field;
      out += kUnit;
    }
    for (const auto& [key, value] : obj.attributes) {  // std::map: sorted by key
      out += key;
      out += '=';
      out += value;
      out += kUnit;
    }
    out += kRecord;
  }
  return out;
}

std::string Fingerprint(const SchemaModel& model) { return "sha256:" + Sha256Hex(CanonicalForm(model)); }

}  // namespace cutover
