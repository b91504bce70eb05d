#include "driver/schema_model.h"

#include <algorithm>
#include <array>
#include <tuple>
#include <utility>

#include "base/strings.h"

namespace cutover {
namespace {

constexpr std::array<std::pair<ObjectKind, const char*>, 20> kKindNames = {{
    {ObjectKind::kSchema, "schema"},
    {ObjectKind::kTable, "table"},
    {ObjectKind::kColumn, "column"},
    {ObjectKind::kPrimaryKey, "primary_key"},
    {ObjectKind::kUniqueConstraint, "unique"},
    {ObjectKind::kForeignKey, "foreign_key"},
    {ObjectKind::kCheckConstraint, "check"},
    {ObjectKind::kIndex, "index"},
    {ObjectKind::kView, "view"},
    {ObjectKind::kMaterializedView, "materialized_view"},
    {ObjectKind::kSequence, "sequence"},
    {ObjectKind::kEnumType, "enum"},
    {ObjectKind::kDomain, "domain"},
    {ObjectKind::kTrigger, "trigger"},
    {ObjectKind::kFunction, "function"},
    {ObjectKind::kProcedure, "procedure"},
    {ObjectKind::kExtension, "extension"},
    {ObjectKind::kPolicy, "policy"},
    {ObjectKind::kEvent, "event"},
    {ObjectKind::kDatabase, "database"},
}};

}  // namespace

bool KeyLess(const SchemaObject& a, const SchemaObject& b) {
  // Same order as comparing Key() strings, without building them: the sort of
  // a 50,000-object model would otherwise build millions of strings.
  return std::tie(a.kind, a.schema, a.table, a.name) < std::tie(b.kind, b.schema, b.table, b.name);
}

const char* ObjectKindName(ObjectKind kind) {
  for (const auto& [k, name] : kKindNames) {
    if (k == kind) return name;
  }
  return "unknown";
}

std::optional<ObjectKind> ObjectKindFromName(std::string_view name) {
  for (const auto& [k, n] : kKindNames) {
    if (name == n) return k;
  }
  return std::nullopt;
}

std::string SchemaObject::Path() const {
  if (kind == ObjectKind::kDatabase) return "(database)";
  std::string out;
  for (const std::string* part : {&schema, &table, &name}) {
    if (part->empty()) continue;
    if (!out.empty()) out += '.';
    out += *part;
  }
  return out;
}

std::string SchemaObject::Key() const {
  // The kind's rank first, so tables sort before their columns in reports;
  // '\x1f' cannot appear in a normalized identifier.
  std::string key(1, static_cast<char>('A' + static_cast<int>(kind)));
  key += '\x1f' + schema + '\x1f' + table + '\x1f' + name;
  return key;
}

SchemaObject& SchemaModel::Add(ObjectKind kind, std::string schema, std::string table, std::string name) {
  SchemaObject& obj = objects.emplace_back();
  obj.kind = kind;
  obj.schema = std::move(schema);
  obj.table = std::move(table);
  obj.name = std::move(name);
  return obj;
}

void SchemaModel::Sort() {
  std::sort(objects.begin(), objects.end(),
            [](const SchemaObject& a, const SchemaObject& b) { return KeyLess(a, b); });
}

const SchemaObject* SchemaModel::Find(ObjectKind kind, std::string_view schema, std::string_view table,
                                      std::string_view name) const {
  for (const auto& obj : objects) {
    if (obj.kind == kind && obj.schema == schema && obj.table == table && obj.name == name) return &obj;
  }
  return nullptr;
}

std::string ListValue(const std::vector<std::string>& items) {
  std::string out = "[";
  for (size_t i = 0; i < items.size(); ++i) {
    if (i) out += ',';
    AppendJsonString(out, items[i]);
  }
  out += ']';
  return out;
}

std::optional<std::vector<std::string>> ParseListValue(std::string_view value) {
  if (value.size() < 2 || value.front() != '[' || value.back() != ']') return std::nullopt;
  std::vector<std::string> items;
  size_t i = 1;
  const size_t end = value.size() - 1;
  if (i == end) return items;
  while (i < end) {
    if (value[i] != '"') return std::nullopt;
    ++i;
    std::string item;
    while (i < end && value[i] != '"') {
      if (value[i] == '\\' && i + 1 < end) {
        char e = value[++i];
        switch (e) {
          case 'n': item += '\n'; break;
          case 't': item += '\t'; break;
          case 'r': item += '\r'; break;
          case 'u':
            if (i + 4 >= end) return std::nullopt;
            item += static_cast<char>(std::stoi(std::string(value.substr(i + 1, 4)), nullptr, 16));
            i += 4;
            break;
          default: item += e;
        }
      } else {
        item += value[i];
      }
      ++i;
    }
    if (i >= end) return std::nullopt;
    ++i;  // closing quote
    items.push_back(std::move(item));
    if (i < end) {
      if (value[i] != ',') return std::nullopt;
      ++i;
    }
  }
  return items;
}

}  // namespace cutover
