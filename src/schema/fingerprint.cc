#include "schema/fingerprint.h"

#include <algorithm>

#include "base/sha256.h"

namespace cutover {
namespace {
constexpr char kUnit = '\x1f';
constexpr char kRecord = '\x1e';
}  // namespace

std::vector<const SchemaObject*> SortedObjects(const SchemaModel& model) {
  std::vector<const SchemaObject*> out;
  out.reserve(model.objects.size());
  for (const auto& obj : model.objects) out.push_back(&obj);
  if (!std::is_sorted(out.begin(), out.end(), [](auto* a, auto* b) { return KeyLess(*a, *b); })) {
    std::sort(out.begin(), out.end(), [](auto* a, auto* b) { return KeyLess(*a, *b); });
  }
  return out;
}

std::string CanonicalForm(const SchemaModel& model) {
  std::string out = model.engine;
  out += kRecord;
  for (const SchemaObject* object : SortedObjects(model)) {
    const SchemaObject& obj = *object;
    if (obj.kind == ObjectKind::kDatabase) continue;  // access attributes only (schema_model.h)
    for (const std::string& field :
         {std::string(ObjectKindName(obj.kind)), obj.schema, obj.table, obj.name}) {
      out += field;
      out += kUnit;
    }
    for (const auto& [key, value] : obj.attributes) {  // std::map: sorted by key
      if (IsAccessAttribute(key)) continue;            // environment-specific (schema_model.h)
      out += key;
      out += '=';
      out += value;
      out += kUnit;
    }
    out += kRecord;
  }
  return out;
}

std::string Fingerprint(const SchemaModel& model) {
  return "sha256:" + Sha256Hex(CanonicalForm(model));
}

}  // namespace cutover
