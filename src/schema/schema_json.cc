#include "schema/schema_json.h"

#include <algorithm>
#include <nlohmann/json.hpp>
#include <sstream>

#include "base/strings.h"
#include "schema/fingerprint.h"

namespace cutover {
using nlohmann::ordered_json;

std::string SchemaToJson(const SchemaModel& model) {
  // Written directly rather than through a JSON tree: a 2,000-table schema is
  // 50,000 objects and the tree would cost more than reading the catalog.
  std::string out;
  out.reserve(256 + model.objects.size() * 160);
  auto field = [&out](std::string_view key, std::string_view value, bool last = false) {
    AppendJsonString(out, key);
    out += ": ";
    AppendJsonString(out, value);
    if (!last) out += ", ";
  };
  out += "{\n  ";
  field("format", "cutover.schema", true);
  out += ",\n  \"version\": " + std::to_string(kSchemaJsonVersion) + ",\n  ";
  field("engine", model.engine, true);
  out += ",\n  ";
  field("server_version", model.server_version, true);
  out += ",\n  ";
  field("fingerprint", Fingerprint(model), true);
  out += ",";
  out += "\n  \"objects\": [";
  bool first = true;
  for (const SchemaObject* obj : SortedObjects(model)) {
    out += first ? "\n    {" : ",\n    {";
    first = false;
    field("kind", ObjectKindName(obj->kind));
    field("schema", obj->schema);
    field("table", obj->table);
    field("name", obj->name);
    out += "\"attributes\": {";
    bool first_attr = true;
    for (const auto& [k, v] : obj->attributes) {
      if (!first_attr) out += ", ";
      first_attr = false;
      field(k, v, true);
    }
    out += "}}";
  }
  out += first ? "]\n}\n" : "\n  ]\n}\n";
  return out;
}

namespace {

Result<std::string> RequireString(const ordered_json& obj, const char* key, const std::string& where) {
  auto it = obj.find(key);
  if (it == obj.end()) return Status::InvalidInput(where + ": missing field '" + key + "'");
  if (!it->is_string()) return Status::InvalidInput(where + ": field '" + key + "' must be a string");
  return it->get<std::string>();
}

}  // namespace

Result<SchemaModel> SchemaFromJson(std::string_view text, const std::string& source) {
  ordered_json doc;
  try {
    doc = ordered_json::parse(text);
  } catch (const ordered_json::parse_error& e) {
    // e.byte is the 1-based offset of the error: turn it into a line number.
    size_t line = 1;
    for (size_t i = 0; i + 1 < e.byte && i < text.size(); ++i) line += text[i] == '\n';
    return Status::InvalidInput(source + ":" + std::to_string(line) + ": not valid JSON (" + e.what() +
                                "); expected the output of 'cutover schema --json'");
  } catch (const ordered_json::exception& e) {
    // Not a syntax error: a number too large for a double (found by the
    // schema_json fuzz target; it ended the process).
    return Status::InvalidInput(source + ": not readable JSON (" + e.what() +
                                "); expected the output of 'cutover schema --json'");
  }
  if (!doc.is_object())
    return Status::InvalidInput(source + ": expected a JSON object from 'cutover schema --json'");
  auto format = RequireString(doc, "format", source);
  if (!format.ok()) return format.status();
  if (*format != "cutover.schema") {
    return Status::InvalidInput(source + ": format is '" + *format + "', expected 'cutover.schema'");
  }
  auto version = doc.find("version");
  if (version == doc.end() || !version->is_number_integer()) {
    return Status::InvalidInput(source + ": missing integer field 'version'");
  }
  // Version 2 added the optional access.* attributes: version 1 documents
  // read as they always did.
  if (version->get<int>() < 1 || version->get<int>() > kSchemaJsonVersion) {
    return Status::InvalidInput(source + ": schema format version " + std::to_string(version->get<int>()) +
                                " is not supported (this cutover reads versions 1 to " +
                                std::to_string(kSchemaJsonVersion) + ")");
  }
  SchemaModel model;
  auto engine = RequireString(doc, "engine", source);
  if (!engine.ok()) return engine.status();
  // A driver's name; comparing models of different engines is refused by drift.
  if (engine->empty() || !std::all_of(engine->begin(), engine->end(), [](char c) {
        return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_';
      })) {
    return Status::InvalidInput(source + ": engine '" + *engine + "' is not a driver name");
  }
  model.engine = *engine;
  if (auto sv = doc.find("server_version"); sv != doc.end() && sv->is_string()) model.server_version = *sv;
  auto objects = doc.find("objects");
  if (objects == doc.end() || !objects->is_array()) {
    return Status::InvalidInput(source + ": missing array field 'objects'");
  }
  for (size_t i = 0; i < objects->size(); ++i) {
    const auto& o = (*objects)[i];
    std::string where = source + ": objects[" + std::to_string(i) + "]";
    if (!o.is_object()) return Status::InvalidInput(where + ": expected an object");
    auto kind_name = RequireString(o, "kind", where);
    if (!kind_name.ok()) return kind_name.status();
    auto kind = ObjectKindFromName(*kind_name);
    if (!kind) return Status::InvalidInput(where + ": unknown kind '" + *kind_name + "'");
    auto schema = RequireString(o, "schema", where);
    auto table = RequireString(o, "table", where);
    auto name = RequireString(o, "name", where);
    for (const auto* r : {&schema, &table, &name}) {
      if (!r->ok()) return r->status();
    }
    // The database object alone has no identity (schema_model.h).
    const bool database = *kind == ObjectKind::kDatabase;
    if (name->empty() && !database) return Status::InvalidInput(where + ": empty name");
    if (database && (!name->empty() || !schema->empty() || !table->empty())) {
      return Status::InvalidInput(where + ": a database object has an empty schema, table and name");
    }
    SchemaObject& obj = model.Add(*kind, *schema, *table, *name);
    auto attrs = o.find("attributes");
    if (attrs == o.end()) continue;
    if (!attrs->is_object())
      return Status::InvalidInput(where + " (" + obj.Path() + "): 'attributes' must be an object");
    for (const auto& [k, v] : attrs->items()) {
      if (!v.is_string()) {
        return Status::InvalidInput(where + " (" + obj.Path() + "): attribute '" + k + "' must be a string");
      }
      obj.attributes[k] = v.get<std::string>();
    }
  }
  model.Sort();
  for (size_t i = 1; i < model.objects.size(); ++i) {
    if (model.objects[i].Key() == model.objects[i - 1].Key()) {
      return Status::InvalidInput(source + ": " + ObjectKindName(model.objects[i].kind) + " " +
                                  model.objects[i].Path() + " is listed twice");
    }
  }
  if (auto fp = doc.find("fingerprint"); fp != doc.end()) {
    if (!fp->is_string()) return Status::InvalidInput(source + ": field 'fingerprint' must be a string");
    std::string actual = Fingerprint(model);
    if (fp->get<std::string>() != actual) {
      return Status::InvalidInput(
          source + ": recorded fingerprint " + fp->get<std::string>() + " does not match the content (" +
          actual + "): the file was edited or damaged; regenerate it with 'cutover schema --json'");
    }
  } else {
    return Status::InvalidInput(source + ": missing field 'fingerprint'");
  }
  return model;
}

Result<SchemaModel> LoadSchemaJsonFile(const std::string& path, Env& env) {
  auto text = env.ReadFile(path, kMaxSchemaJsonBytes);
  if (!text.ok()) return text.status().WithContext("reading the schema file");
  return SchemaFromJson(*text, path);
}

}  // namespace cutover
