#include "schema/drift.h"

#include <fnmatch.h>

#include <algorithm>
#include <map>
#include <nlohmann/json.hpp>
#include <set>

#include "schema/fingerprint.h"

namespace cutover {
namespace {

bool OwnsChildren(ObjectKind kind) {
  return kind == ObjectKind::kTable || kind == ObjectKind::kView || kind == ObjectKind::kMaterializedView;
}

std::string OwnerPath(const SchemaObject& obj) {
  if (obj.table.empty()) return obj.Path();
  return obj.schema.empty() ? obj.table : obj.schema + "." + obj.table;
}

bool Ignored(const SchemaObject& obj, const std::vector<std::string>& globs) {
  const std::string path = obj.Path();
  const std::string owner = OwnerPath(obj);
  for (const auto& glob : globs) {
    if (fnmatch(glob.c_str(), path.c_str(), 0) == 0) return true;
    if (owner != path && fnmatch(glob.c_str(), owner.c_str(), 0) == 0) return true;
  }
  return false;
}

std::map<std::string, const SchemaObject*> IndexModel(const SchemaModel& model, const DriftOptions& options) {
  std::map<std::string, const SchemaObject*> index;
  for (const auto& obj : model.objects) {
    // The database object holds access attributes only.
    if (obj.kind == ObjectKind::kDatabase && !options.with_privileges) continue;
    if (!Ignored(obj, options.ignore_globs)) index.emplace(obj.Key(), &obj);
  }
  return index;
}

// "schema\x1ftable" of a child object, or of an owning object itself.
std::string OwnerKey(const SchemaObject& obj) {
  return obj.schema + '\x1f' + (obj.table.empty() ? obj.name : obj.table);
}

long Position(const SchemaObject& column) {
  auto it = column.attributes.find("position");
  if (it == column.attributes.end()) return 0;
  try {
    return std::stol(it->second);
  } catch (...) {
    return 0;
  }
}

// Column names of one table in position order, restricted to `common`.
std::vector<std::string> ColumnOrder(std::vector<const SchemaObject*> columns,
                                     const std::set<std::string>& common) {
  std::stable_sort(columns.begin(), columns.end(),
                   [](const SchemaObject* a, const SchemaObject* b) { return Position(*a) < Position(*b); });
  std::vector<std::string> names;
  for (const auto* c : columns) {
    if (common.count(c->name)) names.push_back(c->name);
  }
  return names;
}

Difference MakeDifference(DiffKind kind, const SchemaObject& obj) {
  Difference d;
  d.kind = kind;
  d.object_kind = obj.kind;
  d.path = obj.Path();
  d.owner = OwnerPath(obj);
  return d;
}

}  // namespace

const char* DiffKindName(DiffKind kind) {
  switch (kind) {
    case DiffKind::kMissing: return "missing";
    case DiffKind::kUnexpected: return "unexpected";
    case DiffKind::kChanged: return "changed";
    case DiffKind::kColumnOrder: return "column_order";
  }
  return "unknown";
}

size_t DriftReport::Count(DiffKind kind) const {
  return static_cast<size_t>(std::count_if(differences.begin(), differences.end(),
                                           [kind](const Difference& d) { return d.kind == kind; }));
}

bool DriftReport::HasDrift() const {
  return std::any_of(differences.begin(), differences.end(), [this](const Difference& d) {
    return d.kind != DiffKind::kColumnOrder || !ignore_column_order;
  });
}

Result<DriftReport> ComputeDrift(const SchemaModel& expected, const SchemaModel& actual,
                                 const DriftOptions& options) {
  if (expected.engine != actual.engine) {
    return Status::InvalidInput("cannot compare a " + expected.engine + " schema with a " + actual.engine +
                                " schema: drift compares schemas of the same engine");
  }
  DriftReport report;
  report.expected_fingerprint = Fingerprint(expected);
  report.actual_fingerprint = Fingerprint(actual);
  report.ignore_column_order = options.ignore_column_order;
  report.with_privileges = options.with_privileges;

  const auto exp = IndexModel(expected, options);
  const auto act = IndexModel(actual, options);

  // Owners (tables, views) present on one side only: their children are not
  // reported separately.
  std::set<std::string> lone_owners;
  for (const auto& [key, obj] : exp) {
    if (OwnsChildren(obj->kind) && !act.count(key)) lone_owners.insert(OwnerKey(*obj));
  }
  for (const auto& [key, obj] : act) {
    if (OwnsChildren(obj->kind) && !exp.count(key)) lone_owners.insert(OwnerKey(*obj));
  }
  auto hidden = [&](const SchemaObject& obj) {
    return !obj.table.empty() && lone_owners.count(OwnerKey(obj));
  };

  // Columns per owner, for the column-order check.
  std::map<std::string, std::vector<const SchemaObject*>> exp_columns;
  std::map<std::string, std::vector<const SchemaObject*>> act_columns;

  for (const auto& [key, e] : exp) {
    if (hidden(*e)) continue;
    auto it = act.find(key);
    if (it == act.end()) {
      report.differences.push_back(MakeDifference(DiffKind::kMissing, *e));
      continue;
    }
    const SchemaObject& a = *it->second;
    if (e->kind == ObjectKind::kColumn) {
      exp_columns[OwnerKey(*e)].push_back(e);
      act_columns[OwnerKey(a)].push_back(&a);
    }
    Difference d = MakeDifference(DiffKind::kChanged, *e);
    std::set<std::string> names;
    for (const auto& [k, v] : e->attributes) names.insert(k);
    for (const auto& [k, v] : a.attributes) names.insert(k);
    for (const auto& name : names) {
      if (e->kind == ObjectKind::kColumn && name == "position") continue;  // column order is its own class
      if (IsAccessAttribute(name) && !options.with_privileges) continue;
      auto ev = e->attributes.find(name);
      auto av = a.attributes.find(name);
      std::optional<std::string> expected_value, actual_value;
      if (ev != e->attributes.end()) expected_value = ev->second;
      if (av != a.attributes.end()) actual_value = av->second;
      if (expected_value != actual_value) d.changes.push_back({name, expected_value, actual_value});
    }
    if (!d.changes.empty()) report.differences.push_back(std::move(d));
  }
  for (const auto& [key, a] : act) {
    if (hidden(*a) || exp.count(key)) continue;
    report.differences.push_back(MakeDifference(DiffKind::kUnexpected, *a));
  }

  // Column order: the relative order of the columns both sides have.
  for (const auto& [owner, columns] : exp_columns) {
    std::set<std::string> common;
    for (const auto* c : columns) common.insert(c->name);
    auto expected_order = ColumnOrder(columns, common);
    auto actual_order = ColumnOrder(act_columns[owner], common);
    if (expected_order == actual_order) continue;
    const SchemaObject& first = *columns.front();
    Difference d;
    d.kind = DiffKind::kColumnOrder;
    d.object_kind = ObjectKind::kTable;
    d.owner = d.path = OwnerPath(first);
    // The owner may be a view; report the kind the expected model has.
    for (const auto& [key, obj] : exp) {
      if (obj->table.empty() && OwnsChildren(obj->kind) && OwnerKey(*obj) == owner) d.object_kind = obj->kind;
    }
    d.expected_order = std::move(expected_order);
    d.actual_order = std::move(actual_order);
    report.differences.push_back(std::move(d));
  }

  std::stable_sort(report.differences.begin(), report.differences.end(),
                   [](const Difference& x, const Difference& y) {
                     if (x.owner != y.owner) return x.owner < y.owner;
                     bool x_owner = x.path == x.owner, y_owner = y.path == y.owner;
                     if (x_owner != y_owner) return x_owner;  // the owner's own line first
                     if (x.object_kind != y.object_kind) return x.object_kind < y.object_kind;
                     return x.path < y.path;
                   });
  return report;
}

namespace {

std::string ShowValue(const std::optional<std::string>& v) {
  return v ? *v : "(none)";
}

std::string JoinNames(const std::vector<std::string>& names) {
  std::string out = "(";
  for (size_t i = 0; i < names.size(); ++i) out += (i ? ", " : "") + names[i];
  return out + ")";
}

}  // namespace

std::string DriftReportText(const DriftReport& report) {
  std::string out;
  if (report.differences.empty()) {
    out += "No drift: the live schema matches the expected schema.\n";
  } else {
    out += "Drift: " + std::to_string(report.differences.size()) + " difference" +
           (report.differences.size() == 1 ? "" : "s") + " (" +
           std::to_string(report.Count(DiffKind::kMissing)) + " missing, " +
           std::to_string(report.Count(DiffKind::kUnexpected)) + " unexpected, " +
           std::to_string(report.Count(DiffKind::kChanged)) + " changed, " +
           std::to_string(report.Count(DiffKind::kColumnOrder)) + " column order" +
           (report.ignore_column_order ? ", ignored" : "") + ")\n";
  }
  out += "  expected: " + report.expected_source + "  " + report.expected_fingerprint + "\n";
  out += "  actual:   " + report.actual_source + "  " + report.actual_fingerprint + "\n";
  std::string current_owner;
  for (const auto& d : report.differences) {
    if (d.owner != current_owner) {
      current_owner = d.owner;
      out += "\n" + d.owner + "\n";
    }
    const std::string what = std::string(ObjectKindName(d.object_kind)) + " " + d.path;
    switch (d.kind) {
      case DiffKind::kMissing:
        out += "  missing     " + what + "  (expected, absent from the live database)\n";
        break;
      case DiffKind::kUnexpected:
        out += "  unexpected  " + what + "  (in the live database, not expected)\n";
        break;
      case DiffKind::kChanged:
        out += "  changed     " + what + "\n";
        for (const auto& c : d.changes) {
          out += "                " + c.attribute + ": expected " + ShowValue(c.expected) + ", actual " +
                 ShowValue(c.actual) + "\n";
        }
        break;
      case DiffKind::kColumnOrder:
        out += "  column order" + std::string(report.ignore_column_order ? " (ignored)" : "") +
               ": expected " + JoinNames(d.expected_order) + ", actual " + JoinNames(d.actual_order) + "\n";
        break;
    }
  }
  return out;
}

std::string DriftReportJson(const DriftReport& report) {
  using nlohmann::ordered_json;
  ordered_json doc;
  doc["format"] = "cutover.drift";
  doc["version"] = 1;
  doc["drift"] = report.HasDrift();
  doc["expected"] = {{"source", report.expected_source}, {"fingerprint", report.expected_fingerprint}};
  doc["actual"] = {{"source", report.actual_source}, {"fingerprint", report.actual_fingerprint}};
  doc["summary"] = {{"missing", report.Count(DiffKind::kMissing)},
                    {"unexpected", report.Count(DiffKind::kUnexpected)},
                    {"changed", report.Count(DiffKind::kChanged)},
                    {"column_order", report.Count(DiffKind::kColumnOrder)},
                    {"column_order_ignored", report.ignore_column_order},
                    {"privileges_compared", report.with_privileges}};
  ordered_json diffs = ordered_json::array();
  for (const auto& d : report.differences) {
    ordered_json j;
    j["type"] = DiffKindName(d.kind);
    j["kind"] = ObjectKindName(d.object_kind);
    j["path"] = d.path;
    j["owner"] = d.owner;
    if (d.kind == DiffKind::kChanged) {
      ordered_json changes = ordered_json::array();
      for (const auto& c : d.changes) {
        changes.push_back({{"attribute", c.attribute},
                           {"expected", c.expected ? ordered_json(*c.expected) : ordered_json(nullptr)},
                           {"actual", c.actual ? ordered_json(*c.actual) : ordered_json(nullptr)}});
      }
      j["changes"] = std::move(changes);
    }
    if (d.kind == DiffKind::kColumnOrder) {
      j["expected_order"] = d.expected_order;
      j["actual_order"] = d.actual_order;
    }
    diffs.push_back(std::move(j));
  }
  doc["differences"] = std::move(diffs);
  return doc.dump(2, ' ', false, ordered_json::error_handler_t::replace) + "\n";
}

}  // namespace cutover
