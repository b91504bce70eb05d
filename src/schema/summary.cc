#include "schema/summary.h"

#include <algorithm>
#include <map>

#include "schema/fingerprint.h"

namespace cutover {
namespace {

std::string Attr(const SchemaObject& obj, const char* key) {
  auto it = obj.attributes.find(key);
  return it == obj.attributes.end() ? std::string() : it->second;
}

// ["a","b"] -> (a, b)
std::string ListText(const std::string& value) {
  auto items = ParseListValue(value);
  if (!items) return value;
  std::string out = "(";
  for (size_t i = 0; i < items->size(); ++i) out += (i ? ", " : "") + (*items)[i];
  return out + ")";
}

std::string ColumnLine(const SchemaObject& c) {
  std::string line = c.name + " " + Attr(c, "type");
  if (Attr(c, "nullable") == "false") line += " not null";
  if (auto d = Attr(c, "default"); !d.empty()) line += " default " + d;
  if (auto g = Attr(c, "generated"); !g.empty())
    line += " generated (" + g + ") " + Attr(c, "generated_kind");
  if (auto i = Attr(c, "identity"); !i.empty()) line += " identity " + i;
  if (auto col = Attr(c, "collation"); !col.empty()) line += " collate " + col;
  return line;
}

std::string ChildLine(const SchemaObject& o) {
  switch (o.kind) {
    case ObjectKind::kColumn: return ColumnLine(o);
    case ObjectKind::kPrimaryKey: return "primary key " + ListText(Attr(o, "columns"));
    case ObjectKind::kUniqueConstraint: return "unique " + o.name + " " + ListText(Attr(o, "columns"));
    case ObjectKind::kForeignKey: {
      std::string line = "foreign key " + o.name + " " + ListText(Attr(o, "columns")) + " -> " +
                         Attr(o, "references") + " " + ListText(Attr(o, "references_columns"));
      if (auto d = Attr(o, "on_delete"); !d.empty() && d != "NO ACTION") line += " on delete " + d;
      if (auto u = Attr(o, "on_update"); !u.empty() && u != "NO ACTION") line += " on update " + u;
      return line;
    }
    case ObjectKind::kCheckConstraint: return "check " + o.name + " " + Attr(o, "expression");
    case ObjectKind::kIndex: {
      std::string line = std::string(Attr(o, "unique") == "true" ? "unique " : "") + "index " + o.name + " " +
                         Attr(o, "method") + " " + ListText(Attr(o, "keys"));
      if (auto p = Attr(o, "predicate"); !p.empty()) line += " where " + p;
      return line;
    }
    case ObjectKind::kTrigger:
      return "trigger " + o.name + " " + Attr(o, "timing") + " " + ListText(Attr(o, "events"));
    case ObjectKind::kPolicy: {
      std::string line = "policy " + o.name + " " + Attr(o, "permissive") + " for " + Attr(o, "command") +
                         " to " + ListText(Attr(o, "roles"));
      if (auto u = Attr(o, "using"); !u.empty()) line += " using (" + u + ")";
      if (auto w = Attr(o, "with_check"); !w.empty()) line += " with check (" + w + ")";
      return line;
    }
    default: return std::string(ObjectKindName(o.kind)) + " " + o.name;
  }
}

}  // namespace

std::string SchemaSummaryText(const SchemaModel& model, const std::string& source) {
  SchemaModel sorted = model;
  sorted.Sort();
  std::string out = source + "\n  " + sorted.engine + " " + sorted.server_version + ", fingerprint " +
                    Fingerprint(sorted) + "\n  ";
  std::map<ObjectKind, size_t> counts;
  for (const auto& o : sorted.objects) ++counts[o.kind];
  bool first = true;
  for (const auto& [kind, n] : counts) {
    out += std::string(first ? "" : ", ") + std::to_string(n) + " " + ObjectKindName(kind);
    first = false;
  }
  if (counts.empty()) out += "empty: no objects";
  out += "\n";
  // Objects the driver could not take apart: compared as their SQL text.
  for (const auto& o : sorted.objects) {
    if (o.attributes.count("unparsed_sql") == 0) continue;
    out += "  note: " + std::string(ObjectKindName(o.kind)) + " " + o.Path() +
           " is compared as its SQL text: " + Attr(o, "unparsed_reason") + "\n";
  }

  // Children grouped under their owner, columns in position order.
  std::map<std::string, std::vector<const SchemaObject*>> children;
  for (const auto& o : sorted.objects) {
    if (!o.table.empty()) children[o.schema + '\x1f' + o.table].push_back(&o);
  }
  for (auto& [owner, list] : children) {
    std::stable_sort(list.begin(), list.end(), [](const SchemaObject* a, const SchemaObject* b) {
      if (a->kind != b->kind) return a->kind < b->kind;
      if (a->kind == ObjectKind::kColumn)
        return std::stol("0" + Attr(*a, "position")) < std::stol("0" + Attr(*b, "position"));
      return a->name < b->name;
    });
  }
  for (const auto& o : sorted.objects) {
    if (!o.table.empty()) continue;
    out += "\n" + std::string(ObjectKindName(o.kind)) + " " + o.Path();
    if (auto c = Attr(o, "comment"); !c.empty()) out += "  -- " + c;
    out += "\n";
    if (auto it = children.find(o.schema + '\x1f' + o.name); it != children.end()) {
      for (const auto* child : it->second) out += "  " + ChildLine(*child) + "\n";
    }
  }
  return out;
}

}  // namespace cutover
