// SchemaModel: the engine-neutral description of what a database contains.
//
// A model is a set of SchemaObjects. Each object has a kind, an identity
// (schema, owning table, name) and a flat, ordered map of attributes whose
// values are already normalized by the driver that read them: the same schema
// written differently must produce byte-identical attributes. Attribute names
// per kind are documented in docs/schema-json.md; engine-specific attributes
// carry the engine as a prefix ("mysql.engine", "sqlite.strict").
//
// Access attributes ("access.owner", "access.privileges", "access.definer",
// "access.sql_mode"...) say who owns and may use an object and under which
// session context it runs. They depend on the roles of an environment, so
// they are not part of the fingerprint and drift compares them only when
// asked (drift --with-privileges); a restore applies them where the engine
// keeps them in the database.
//
// Identity rules:
//  - `schema` is the namespace inside the database (PostgreSQL schemas). It is
//    empty for MySQL/MariaDB and SQLite, where the database itself is the
//    namespace, so two databases with different names compare.
//  - `table` names the owning table (or view) for columns, constraints,
//    indexes and triggers, and is empty for top-level objects.
//  - Names are stored the way the engine compares them: case-insensitive
//    names are lower-cased by the driver.
//  - Objects without a name in the engine (SQLite constraints) get a name
//    derived from their definition, e.g. "fk(customer_id)->customers(id)".
//  - Overloaded routines carry their argument types in the name:
//    "total(integer, text)".
//
// Values that are not schema (sequence positions, AUTO_INCREMENT counters,
// statistics, row counts) are never attributes.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace cutover {

enum class ObjectKind {
  kSchema,
  kTable,
  kColumn,
  kPrimaryKey,
  kUniqueConstraint,
  kForeignKey,
  kCheckConstraint,
  kIndex,
  kView,
  kMaterializedView,
  kSequence,
  kEnumType,
  kDomain,
  kTrigger,
  kFunction,
  kProcedure,
  kExtension,
  kPolicy,  // row-level security policy of a table (PostgreSQL)
  kEvent,   // scheduled event (MySQL/MariaDB)
  // The database itself, identity all empty (so databases of different
  // names compare), present only when it has attributes; it holds access
  // attributes only (default privileges, database-level grants), so like
  // them it is not part of the fingerprint.
  kDatabase,
};

// Stable lower-case names used in JSON and reports: "table", "foreign_key"...
const char* ObjectKindName(ObjectKind kind);
std::optional<ObjectKind> ObjectKindFromName(std::string_view name);

struct SchemaObject {
  ObjectKind kind = ObjectKind::kTable;
  std::string schema;
  std::string table;
  std::string name;
  std::map<std::string, std::string> attributes;

  // "schema.table.name" without empty parts; what reports show and --ignore
  // globs match.
  std::string Path() const;
  // Sort and match key: kind, schema, table, name.
  std::string Key() const;
};

// Orders objects as their Key()s compare (the canonical order).
bool KeyLess(const SchemaObject& a, const SchemaObject& b);

struct SchemaModel {
  // The driver's name (DriverInfo::name).
  std::string engine;
  std::string server_version;  // informational; not part of the fingerprint
  std::vector<SchemaObject> objects;

  // Adds an object and returns it, for fluent attribute setting by drivers.
  SchemaObject& Add(ObjectKind kind, std::string schema, std::string table, std::string name);
  // Sorts objects by Key(); the canonical order.
  void Sort();
  // Finds an object by identity, or nullptr.
  const SchemaObject* Find(ObjectKind kind, std::string_view schema, std::string_view table,
                           std::string_view name) const;
};

// True for the access attributes described at the top of this file.
inline bool IsAccessAttribute(std::string_view name) {
  return name.starts_with("access.");
}

// Encodes a list of strings as one attribute value: ["a","b"] with JSON string
// escaping, so that lists containing commas or quotes stay unambiguous.
std::string ListValue(const std::vector<std::string>& items);
// Decodes ListValue()'s output; returns nullopt for anything else.
std::optional<std::vector<std::string>> ParseListValue(std::string_view value);

}  // namespace cutover
