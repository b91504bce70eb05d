// ReadSchema for PostgreSQL: a fixed set of 13 pg_catalog queries, whatever
// the number of objects, sent together through a libpqxx pipeline (with
// BEGIN, the SET LOCALs and COMMIT: 25 statements in 3 round trips;
// postgresql_test.cc counts them through a proxy), then
// normalization into the model of docs/schema-json.md.
//
// Scope: every schema except pg_catalog, information_schema, pg_toast*,
// pg_temp* (all pg_* names, which users cannot create); objects that belong to
// an extension (pg_depend deptype 'e') are left out, the extension itself is
// listed. The public schema is listed like any other; its comment only when
// it differs from the default "standard public schema". Routines: functions
// and procedures only (aggregates and window functions are not listed).
//
// Speed: column names of keys (constraints, indexes) come from one query over
// pg_attribute instead of per-object subqueries, and pg_get_indexdef() is
// called only for expression keys; deparsing functions are the expensive part
// of the catalog.
//
// Deparsed text (defaults, checks, view and trigger definitions, types) is
// produced under the settings ReadSchema() pins (search_path = public, ISO
// dates, UTC): objects in public appear unqualified, others qualified.
//
// Identities beyond docs/schema-json.md: a schema object has an empty
// `schema` and its name as `name` (path "billing"); an extension likewise
// (path "pg_trgm"). An exclusion constraint is listed as the `index` that
// implements it, with its definition in `postgresql.exclusion`.
#include <algorithm>
#include <cstdlib>
#include <map>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

#include "base/strings.h"
#include "driver/driver_helpers.h"
#include "postgresql_internal.h"

namespace cutover::postgresql {
namespace {

// A user namespace, for a pg_namespace alias `n`.
constexpr const char* kUserNamespace = "n.nspname <> 'information_schema' AND n.nspname !~ '^pg_'";

// True when the object is a member of an extension, for an object `oid_expr`
// of catalog `catalog`.
std::string ExtensionMember(const std::string& catalog, const std::string& oid_expr) {
  return "EXISTS (SELECT 1 FROM pg_depend dep WHERE dep.classid = '" + catalog +
         "'::regclass AND dep.objid = " + oid_expr + " AND dep.deptype = 'e')";
}
std::string NotExtensionMember(const std::string& catalog, const std::string& oid_expr) {
  return "NOT " + ExtensionMember(catalog, oid_expr);
}

std::string Text(const pqxx::field& f) {
  return f.is_null() ? std::string() : std::string(f.c_str(), f.size());
}
bool Bool(const pqxx::field& f) {
  return !f.is_null() && f.c_str()[0] == 't';
}
long long Int(const pqxx::field& f) {
  return f.is_null() ? 0 : std::atoll(f.c_str());
}
const char* BoolText(bool b) {
  return b ? "true" : "false";
}

[[noreturn]] void Unexpected(const std::string& what, const pqxx::field& f) {
  throw pqxx::internal_error("unexpected " + what +
                             " from the catalog: " + std::string(f.c_str(), std::min<size_t>(f.size(), 200)));
}

std::vector<std::string> List(const pqxx::field& f) {
  if (f.is_null()) return {};
  auto items = ParseJsonStringArray(std::string_view(f.c_str(), f.size()));
  if (!items) Unexpected("JSON list", f);
  return *items;
}

std::vector<long long> Ints(const pqxx::field& f) {
  if (f.is_null()) return {};
  auto items = ParseIntList(std::string_view(f.c_str(), f.size()));
  if (!items) Unexpected("number list", f);
  return *items;
}

std::string Path(const std::string& schema, const std::string& name) {
  return schema + "." + name;
}

std::string Collapse(std::string_view s) {
  return CollapseSqlWhitespace(s);
}

// An expression (check, generated column, index key or predicate, domain
// check, policy): whitespace collapsed and the equivalent spellings the
// server keeps apart (timezone() and AT TIME ZONE) made one.
std::string Expr(std::string_view s) {
  return NormalizeArrayCasts(NormalizeTimezoneCalls(CollapseSqlWhitespace(s)));
}

void SetIf(SchemaObject& o, const std::string& key, const std::string& value) {
  if (!value.empty()) o.attributes[key] = value;
}

std::string FkAction(char c) {
  switch (c) {
    case 'a': return "NO ACTION";
    case 'r': return "RESTRICT";
    case 'c': return "CASCADE";
    case 'n': return "SET NULL";
    case 'd': return "SET DEFAULT";
    default: return std::string(1, c);
  }
}

std::string FkMatch(char c) {
  switch (c) {
    case 'f': return "FULL";
    case 'p': return "PARTIAL";
    case 's': return "SIMPLE";
    default: return std::string(1, c);
  }
}

// What the other queries need to know about a relation's attributes.
struct AttributeInfo {
  std::string name;              // as stored
  std::string quoted;            // quote_ident(name), as pg_get_indexdef prints it
  long long collation = 0;       // attcollation
  long long type_collation = 0;  // typcollation of its type
};

struct Catalog {
  std::unordered_map<unsigned long long, AttributeInfo> attributes;       // by (relid << 16 | attnum)
  std::unordered_map<long long, std::string> collations;                  // oid -> quote_ident(collname)
  std::unordered_map<long long, std::pair<std::string, bool>> opclasses;  // oid -> (quoted name, default)

  static unsigned long long Key(long long relid, long long attnum) {
    return (static_cast<unsigned long long>(relid) << 16) |
           (static_cast<unsigned long long>(attnum) & 0xFFFF);
  }
  const AttributeInfo* Attribute(long long relid, long long attnum) const {
    auto it = attributes.find(Key(relid, attnum));
    return it == attributes.end() ? nullptr : &it->second;
  }
  // Names of the attributes `nums` of relation `relid`; throws when one is
  // unknown (the result would silently be partial otherwise).
  std::vector<std::string> Names(long long relid, const std::vector<long long>& nums,
                                 bool quoted = false) const {
    std::vector<std::string> out;
    for (long long n : nums) {
      const AttributeInfo* a = Attribute(relid, n);
      if (a == nullptr) {
        throw pqxx::internal_error("attribute " + std::to_string(n) + " of relation " +
                                   std::to_string(relid) + " is missing from the catalog read");
      }
      out.push_back(quoted ? a->quoted : a->name);
    }
    return out;
  }
};

// The comment of an object as a last column: COMMENT ON INDEX, CONSTRAINT,
// FUNCTION, TYPE, DOMAIN, TRIGGER and POLICY are part of the schema too.
std::string CommentOf(const std::string& oid_expr, const std::string& catalog) {
  return "(SELECT d.description FROM pg_description d WHERE d.objoid = " + oid_expr + " AND d.classoid = '" +
         catalog + "'::regclass AND d.objsubid = 0)";
}

// The last column of a row: the comment CommentOf() appended.
void SetComment(SchemaObject& o, const pqxx::row& row) {
  SetIf(o, "comment", Text(row[row.size() - 1]));
}

std::string SchemasSql() {
  return std::string(R"sql(
SELECT n.nspname, d.description
FROM pg_namespace n
LEFT JOIN pg_description d ON d.objoid = n.oid AND d.classoid = 'pg_namespace'::regclass AND d.objsubid = 0
WHERE )sql") +
         kUserNamespace + " AND " + NotExtensionMember("pg_namespace", "n.oid");
}

void ParseSchemas(const pqxx::result& r, SchemaModel& m) {
  for (const auto& row : r) {
    std::string name = Text(row[0]);
    std::string comment = Text(row[1]);
    // A schema object's identity is its name alone (path "app", not "app.app").
    auto& o = m.Add(ObjectKind::kSchema, "", "", name);
    if (name == "public" && comment == "standard public schema") comment.clear();
    SetIf(o, "comment", comment);
  }
}

std::string ExtensionsSql() {
  return R"sql(
SELECT e.extname, n.nspname FROM pg_extension e JOIN pg_namespace n ON n.oid = e.extnamespace)sql";
}

void ParseExtensions(const pqxx::result& r, SchemaModel& m) {
  for (const auto& row : r) {
    auto& o = m.Add(ObjectKind::kExtension, "", "", Text(row[0]));
    o.attributes["schema"] = Text(row[1]);
  }
}

constexpr const char* kCollationsSql = "SELECT oid, quote_ident(collname) FROM pg_collation";
constexpr const char* kOpclassesSql = "SELECT oid, quote_ident(opcname), opcdefault FROM pg_opclass";

void ParseCollations(const pqxx::result& r, Catalog& cat) {
  for (const auto& row : r) cat.collations[Int(row[0])] = Text(row[1]);
}

void ParseOpclasses(const pqxx::result& r, Catalog& cat) {
  for (const auto& row : r) cat.opclasses[Int(row[0])] = {Text(row[1]), Bool(row[2])};
}

std::string TablesSql() {
  return std::string(R"sql(
SELECT n.nspname, c.relname, c.relkind, c.relpersistence, d.description,
       CASE WHEN c.relkind = 'p' THEN pg_get_partkeydef(c.oid) END,
       CASE WHEN c.relispartition THEN pg_get_expr(c.relpartbound, c.oid) END,
       (SELECT pn.nspname || '.' || pc.relname FROM pg_inherits i JOIN pg_class pc ON pc.oid = i.inhparent
          JOIN pg_namespace pn ON pn.oid = pc.relnamespace
        WHERE i.inhrelid = c.oid AND c.relispartition),
       (SELECT json_agg(pn.nspname || '.' || pc.relname ORDER BY i.inhseqno) FROM pg_inherits i
          JOIN pg_class pc ON pc.oid = i.inhparent JOIN pg_namespace pn ON pn.oid = pc.relnamespace
        WHERE i.inhrelid = c.oid AND NOT c.relispartition),
       to_json(c.reloptions), c.relrowsecurity, c.relforcerowsecurity
FROM pg_class c
JOIN pg_namespace n ON n.oid = c.relnamespace
LEFT JOIN pg_description d ON d.objoid = c.oid AND d.classoid = 'pg_class'::regclass AND d.objsubid = 0
WHERE c.relkind IN ('r', 'p') AND )sql") +
         kUserNamespace + " AND " + NotExtensionMember("pg_class", "c.oid");
}

void ParseTables(const pqxx::result& r, SchemaModel& m) {
  for (const auto& row : r) {
    auto& o = m.Add(ObjectKind::kTable, Text(row[0]), "", Text(row[1]));
    SetIf(o, "comment", Text(row[4]));
    SetIf(o, "partition_by", Collapse(Text(row[5])));
    SetIf(o, "partition_of", Text(row[7]));
    SetIf(o, "partition_bound", Collapse(Text(row[6])));
    if (Text(row[3]) == "u") o.attributes["postgresql.unlogged"] = "true";
    auto parents = List(row[8]);
    if (!parents.empty()) o.attributes["postgresql.inherits"] = ListValue(parents);
    auto options = List(row[9]);
    std::sort(options.begin(), options.end());
    if (!options.empty()) o.attributes["postgresql.options"] = ListValue(options);
    // Row-level security: absent when off, so that tables without it keep
    // the attributes (and fingerprints) they always had.
    if (Bool(row[10])) o.attributes["row_security"] = "enabled";
    if (Bool(row[11])) o.attributes["row_security_forced"] = "true";
  }
}

// Reads the attributes of every table, materialized view and index in user
// schemas into `cat`, and adds the columns of user tables (not extension
// members) to the model.
std::string ColumnsSql() {
  return std::string(R"sql(
SELECT a.attrelid, a.attnum, a.attname, quote_ident(a.attname), a.attcollation, t.typcollation,
       c.relkind IN ('r', 'p') AND NOT )sql") +
         ExtensionMember("pg_class", "c.oid") + R"sql( AS is_column,
       n.nspname, c.relname,
       CASE WHEN c.relkind IN ('r', 'p') THEN format_type(a.atttypid, a.atttypmod) END,
       a.attnotnull, a.attidentity, a.attgenerated,
       pg_get_expr(ad.adbin, ad.adrelid),
       CASE WHEN c.relkind IN ('r', 'p') AND a.attcollation <> t.typcollation THEN
         CASE WHEN cn.nspname = 'pg_catalog' THEN co.collname ELSE cn.nspname || '.' || co.collname END END,
       d.description
FROM pg_attribute a
JOIN pg_class c ON c.oid = a.attrelid
JOIN pg_namespace n ON n.oid = c.relnamespace
JOIN pg_type t ON t.oid = a.atttypid
LEFT JOIN pg_attrdef ad ON ad.adrelid = a.attrelid AND ad.adnum = a.attnum
LEFT JOIN pg_collation co ON co.oid = a.attcollation
LEFT JOIN pg_namespace cn ON cn.oid = co.collnamespace
LEFT JOIN pg_description d ON d.objoid = a.attrelid AND d.classoid = 'pg_class'::regclass AND d.objsubid = a.attnum
WHERE a.attnum > 0 AND NOT a.attisdropped AND c.relkind IN ('r', 'p', 'm', 'i', 'I', 'v', 'f') AND )sql" +
         kUserNamespace;
}

void ParseColumns(const pqxx::result& r, SchemaModel& m, Catalog& cat) {
  // Dense positions: the columns of each table in attnum order.
  struct Pending {
    long long relid;
    long long attnum;
    size_t index;
  };
  std::vector<Pending> columns;
  cat.attributes.reserve(r.size());
  for (const auto& row : r) {
    const long long relid = Int(row[0]);
    const long long attnum = Int(row[1]);
    AttributeInfo info{Text(row[2]), Text(row[3]), Int(row[4]), Int(row[5])};
    if (Bool(row[6])) {
      auto& o = m.Add(ObjectKind::kColumn, Text(row[7]), Text(row[8]), info.name);
      o.attributes["type"] = Text(row[9]);
      o.attributes["nullable"] = BoolText(!Bool(row[10]));
      std::string identity = Text(row[11]);
      if (identity == "a") o.attributes["identity"] = "always";
      if (identity == "d") o.attributes["identity"] = "by default";
      std::string generated = Text(row[12]);
      std::string expr = Text(row[13]);
      if (!generated.empty()) {
        o.attributes["generated"] = Expr(expr);
        o.attributes["generated_kind"] = generated == "s" ? "stored" : "virtual";
      } else if (!expr.empty()) {
        o.attributes["default"] = NormalizeDefault(expr);
      }
      SetIf(o, "collation", Text(row[14]));
      SetIf(o, "comment", Text(row[15]));
      columns.push_back({relid, attnum, m.objects.size() - 1});
    }
    cat.attributes.emplace(Catalog::Key(relid, attnum), std::move(info));
  }
  std::sort(columns.begin(), columns.end(), [](const Pending& a, const Pending& b) {
    return a.relid != b.relid ? a.relid < b.relid : a.attnum < b.attnum;
  });
  long long relid = -1;
  int position = 0;
  for (const Pending& p : columns) {
    position = p.relid == relid ? position + 1 : 1;
    relid = p.relid;
    m.objects[p.index].attributes["position"] = std::to_string(position);
  }
}

std::string ConstraintsSql(int version) {
  const bool pg15 = version >= 150000;
  std::string sql =
      std::string(R"sql(
SELECT n.nspname, c.relname, con.conname, con.contype, con.conrelid, con.conkey::text,
       fn.nspname, fc.relname, con.confrelid, con.confkey::text,
       con.confupdtype, con.confdeltype, con.confmatchtype, con.condeferrable, con.condeferred,
       con.convalidated,
       CASE WHEN con.contype = 'c' THEN pg_get_expr(con.conbin, con.conrelid) END,
       con.connoinherit, ix.indkey::text, ix.indnkeyatts, )sql") +
      (pg15 ? "con.confdelsetcols::text, coalesce(ix.indnullsnotdistinct, false)" : "NULL, false") + ", " +
      CommentOf("con.oid", "pg_constraint") + R"sql(
FROM pg_constraint con
JOIN pg_class c ON c.oid = con.conrelid
JOIN pg_namespace n ON n.oid = c.relnamespace
LEFT JOIN pg_class fc ON fc.oid = con.confrelid
LEFT JOIN pg_namespace fn ON fn.oid = fc.relnamespace
LEFT JOIN pg_constraint parent ON parent.oid = con.conparentid
LEFT JOIN pg_index ix ON ix.indexrelid = con.conindid AND con.contype IN ('p', 'u')
WHERE con.contype IN ('p', 'u', 'f', 'c') AND c.relkind IN ('r', 'p')
  AND NOT (con.contype = 'f' AND parent.oid IS NOT NULL AND parent.conrelid = con.conrelid)
  AND )sql" +
      kUserNamespace + " AND " + NotExtensionMember("pg_class", "c.oid");
  return sql;
}

void ParseConstraints(const pqxx::result& r, SchemaModel& m, const Catalog& cat) {
  for (const auto& row : r) {
    const std::string schema = Text(row[0]);
    const std::string table = Text(row[1]);
    const std::string name = Text(row[2]);
    const std::string type = Text(row[3]);
    const long long relid = Int(row[4]);
    const bool deferrable = Bool(row[13]);
    const bool deferred = Bool(row[14]);
    const bool validated = Bool(row[15]);
    if (type == "p" || type == "u") {
      auto& o =
          m.Add(type == "p" ? ObjectKind::kPrimaryKey : ObjectKind::kUniqueConstraint, schema, table, name);
      SetComment(o, row);
      o.attributes["columns"] = ListValue(cat.Names(relid, Ints(row[5])));
      auto indkey = Ints(row[18]);
      const auto nkey = static_cast<size_t>(Int(row[19]));
      if (indkey.size() > nkey) {
        std::vector<long long> included(indkey.begin() + static_cast<std::ptrdiff_t>(nkey), indkey.end());
        o.attributes["include"] = ListValue(cat.Names(relid, included));
      }
      if (type == "u") {
        o.attributes["deferrable"] = BoolText(deferrable);
        o.attributes["initially_deferred"] = BoolText(deferred);
        if (Bool(row[21])) o.attributes["nulls_not_distinct"] = "true";
      } else if (deferrable) {
        o.attributes["deferrable"] = "true";
        o.attributes["initially_deferred"] = BoolText(deferred);
      }
    } else if (type == "f") {
      auto& o = m.Add(ObjectKind::kForeignKey, schema, table, name);
      SetComment(o, row);
      o.attributes["columns"] = ListValue(cat.Names(relid, Ints(row[5])));
      o.attributes["references"] = Path(Text(row[6]), Text(row[7]));
      o.attributes["references_columns"] = ListValue(cat.Names(Int(row[8]), Ints(row[9])));
      o.attributes["on_update"] = FkAction(Text(row[10])[0]);
      std::string on_delete = FkAction(Text(row[11])[0]);
      auto set_cols = cat.Names(relid, Ints(row[20]), true);
      if (!set_cols.empty()) on_delete += " (" + Join(set_cols, ", ") + ")";
      o.attributes["on_delete"] = on_delete;
      o.attributes["match"] = FkMatch(Text(row[12])[0]);
      o.attributes["deferrable"] = BoolText(deferrable);
      o.attributes["initially_deferred"] = BoolText(deferred);
      if (!validated) o.attributes["not_valid"] = "true";
    } else {
      auto& o = m.Add(ObjectKind::kCheckConstraint, schema, table, name);
      SetComment(o, row);
      o.attributes["expression"] = Expr(Text(row[16]));
      if (!validated) o.attributes["not_valid"] = "true";
      if (Bool(row[17])) o.attributes["postgresql.no_inherit"] = "true";
    }
  }
}

std::string IndexesSql(int version) {
  const bool pg15 = version >= 150000;
  std::string sql = std::string(R"sql(
SELECT n.nspname, c.relname, ic.relname, i.indisunique, am.amname, i.indrelid, i.indexrelid,
       i.indkey::text, i.indnkeyatts, i.indoption::text, i.indcollation::text, i.indclass::text,
       CASE WHEN 0 = ANY (i.indkey::int2[]) THEN
         (SELECT json_agg(CASE WHEN i.indkey[k - 1] = 0 THEN pg_get_indexdef(i.indexrelid, k, true) ELSE '' END
                          ORDER BY k)
            FROM generate_series(1, i.indnatts) AS k) END,
       pg_get_expr(i.indpred, i.indrelid), )sql") +
                    (pg15 ? "i.indnullsnotdistinct" : "false") + R"sql(,
       CASE WHEN x.oid IS NOT NULL THEN pg_get_constraintdef(x.oid, true) END,
       to_json(ic.reloptions), )sql" +
                    CommentOf("i.indexrelid", "pg_class") + R"sql(
FROM pg_index i
JOIN pg_class ic ON ic.oid = i.indexrelid
JOIN pg_class c ON c.oid = i.indrelid
JOIN pg_namespace n ON n.oid = c.relnamespace
JOIN pg_am am ON am.oid = ic.relam
LEFT JOIN pg_constraint x ON x.conindid = i.indexrelid AND x.conrelid = i.indrelid AND x.contype = 'x'
WHERE c.relkind IN ('r', 'p', 'm')
  AND NOT EXISTS (SELECT 1 FROM pg_constraint pc WHERE pc.conindid = i.indexrelid AND pc.conrelid = i.indrelid
                  AND pc.contype IN ('p', 'u'))
  AND )sql" + kUserNamespace +
                    " AND " + NotExtensionMember("pg_class", "c.oid");
  return sql;
}

void ParseIndexes(const pqxx::result& r, SchemaModel& m, const Catalog& cat) {
  for (const auto& row : r) {
    auto& o = m.Add(ObjectKind::kIndex, Text(row[0]), Text(row[1]), Text(row[2]));
    SetComment(o, row);
    o.attributes["unique"] = BoolText(Bool(row[3]));
    o.attributes["method"] = Text(row[4]);
    const long long relid = Int(row[5]);
    const long long indexrelid = Int(row[6]);
    const auto indkey = Ints(row[7]);
    const auto nkey = static_cast<size_t>(Int(row[8]));
    const auto options = Ints(row[9]);
    const auto collations = Ints(row[10]);
    const auto opclasses = Ints(row[11]);
    const auto expressions = List(row[12]);
    std::vector<std::string> keys;
    std::vector<std::string> include;
    for (size_t k = 0; k < indkey.size(); ++k) {
      std::string key;
      const AttributeInfo* column = nullptr;
      if (indkey[k] != 0) {
        column = cat.Attribute(relid, indkey[k]);
        if (column == nullptr)
          throw pqxx::internal_error("index " + Text(row[2]) + " has an unknown key column");
        key = column->quoted;
      } else {
        if (k >= expressions.size())
          throw pqxx::internal_error("index " + Text(row[2]) + " lacks an expression");
        key = Expr(expressions[k]);
      }
      if (k >= nkey) {
        include.push_back(key);
        continue;
      }
      // The key's own collation: the column's, or for an expression the
      // collation of its type (what an index on it gets by default).
      long long default_collation = 0;
      if (column != nullptr) {
        default_collation = column->collation;
      } else if (const AttributeInfo* ia = cat.Attribute(indexrelid, static_cast<long long>(k + 1))) {
        default_collation = ia->type_collation;
      }
      if (k < collations.size() && collations[k] != 0 && collations[k] != default_collation) {
        auto it = cat.collations.find(collations[k]);
        key += " COLLATE " + (it != cat.collations.end() ? it->second : std::to_string(collations[k]));
      }
      if (k < opclasses.size()) {
        auto it = cat.opclasses.find(opclasses[k]);
        if (it != cat.opclasses.end() && !it->second.second) key += " " + it->second.first;
      }
      const long long option = k < options.size() ? options[k] : 0;
      // INDOPTION_DESC = 1, INDOPTION_NULLS_FIRST = 2; the defaults are
      // ASC NULLS LAST and DESC NULLS FIRST.
      if (option & 1) key += " DESC";
      if ((option & 3) == 2) key += " NULLS FIRST";
      if ((option & 3) == 1) key += " NULLS LAST";
      keys.push_back(key);
    }
    o.attributes["keys"] = ListValue(keys);
    if (!include.empty()) o.attributes["include"] = ListValue(include);
    SetIf(o, "predicate", Expr(Text(row[13])));
    if (Bool(row[14])) o.attributes["nulls_not_distinct"] = "true";
    SetIf(o, "postgresql.exclusion", Collapse(Text(row[15])));
    auto reloptions = List(row[16]);
    std::sort(reloptions.begin(), reloptions.end());
    if (!reloptions.empty()) o.attributes["postgresql.options"] = ListValue(reloptions);
  }
}

std::string ViewsSql() {
  return std::string(R"sql(
SELECT n.nspname, c.relname, c.relkind, pg_get_viewdef(c.oid, true), d.description, to_json(c.reloptions)
FROM pg_class c
JOIN pg_namespace n ON n.oid = c.relnamespace
LEFT JOIN pg_description d ON d.objoid = c.oid AND d.classoid = 'pg_class'::regclass AND d.objsubid = 0
WHERE c.relkind IN ('v', 'm') AND )sql") +
         kUserNamespace + " AND " + NotExtensionMember("pg_class", "c.oid");
}

void ParseViews(const pqxx::result& r, SchemaModel& m) {
  for (const auto& row : r) {
    const bool mat = Text(row[2]) == "m";
    auto& o = m.Add(mat ? ObjectKind::kMaterializedView : ObjectKind::kView, Text(row[0]), "", Text(row[1]));
    // Array casts as the server prints them after re-reading the view
    // (a restore): the same view must read the same before and after.
    std::string def = NormalizeArrayCasts(Collapse(Text(row[3])));
    while (!def.empty() && (def.back() == ';' || def.back() == ' ')) def.pop_back();
    o.attributes["definition"] = def;
    SetIf(o, "comment", Text(row[4]));
    std::vector<std::string> options;
    for (const auto& opt : List(row[5])) {
      if (StartsWith(opt, "check_option=")) {
        o.attributes["check_option"] = ToUpper(opt.substr(13));
      } else {
        options.push_back(opt);
      }
    }
    std::sort(options.begin(), options.end());
    if (!options.empty()) o.attributes["postgresql.options"] = ListValue(options);
  }
}

std::string SequencesSql() {
  return std::string(R"sql(
SELECT n.nspname, c.relname, format_type(s.seqtypid, NULL), s.seqstart, s.seqincrement, s.seqmin, s.seqmax,
       s.seqcache, s.seqcycle,
       (SELECT tn.nspname || '.' || tc.relname || '.' || ta.attname
          FROM pg_depend dep
          JOIN pg_class tc ON tc.oid = dep.refobjid
          JOIN pg_namespace tn ON tn.oid = tc.relnamespace
          JOIN pg_attribute ta ON ta.attrelid = dep.refobjid AND ta.attnum = dep.refobjsubid
         WHERE dep.classid = 'pg_class'::regclass AND dep.objid = c.oid AND dep.refclassid = 'pg_class'::regclass
           AND dep.refobjsubid > 0 AND dep.deptype = 'a'
         LIMIT 1)
FROM pg_sequence s
JOIN pg_class c ON c.oid = s.seqrelid
JOIN pg_namespace n ON n.oid = c.relnamespace
WHERE NOT EXISTS (SELECT 1 FROM pg_depend dep WHERE dep.classid = 'pg_class'::regclass AND dep.objid = c.oid
                    AND dep.deptype = 'i')
  AND )sql") +
         kUserNamespace + " AND " + NotExtensionMember("pg_class", "c.oid");
}

void ParseSequences(const pqxx::result& r, SchemaModel& m) {
  for (const auto& row : r) {
    auto& o = m.Add(ObjectKind::kSequence, Text(row[0]), "", Text(row[1]));
    o.attributes["data_type"] = Text(row[2]);
    o.attributes["start"] = Text(row[3]);
    o.attributes["increment"] = Text(row[4]);
    o.attributes["min"] = Text(row[5]);
    o.attributes["max"] = Text(row[6]);
    o.attributes["cache"] = Text(row[7]);
    o.attributes["cycle"] = BoolText(Bool(row[8]));
    SetIf(o, "owned_by", Text(row[9]));
  }
}

std::string TypesSql() {
  return std::string(R"sql(
SELECT n.nspname, t.typname, t.typtype,
       (SELECT json_agg(e.enumlabel ORDER BY e.enumsortorder) FROM pg_enum e WHERE e.enumtypid = t.oid),
       format_type(t.typbasetype, t.typtypmod), t.typnotnull, pg_get_expr(t.typdefaultbin, 0),
       CASE WHEN t.typtype = 'd' AND t.typcollation <> bt.typcollation THEN
         CASE WHEN cn.nspname = 'pg_catalog' THEN co.collname ELSE cn.nspname || '.' || co.collname END END,
       (SELECT json_agg(con.conname || ': ' || pg_get_constraintdef(con.oid, true) ORDER BY con.conname)
          FROM pg_constraint con WHERE con.contypid = t.oid), )sql" +
                     CommentOf("t.oid", "pg_type") + R"sql(
FROM pg_type t
JOIN pg_namespace n ON n.oid = t.typnamespace
LEFT JOIN pg_type bt ON bt.oid = t.typbasetype
LEFT JOIN pg_collation co ON co.oid = t.typcollation
LEFT JOIN pg_namespace cn ON cn.oid = co.collnamespace
WHERE t.typtype IN ('e', 'd') AND )sql") +
         kUserNamespace + " AND " + NotExtensionMember("pg_type", "t.oid");
}

void ParseTypes(const pqxx::result& r, SchemaModel& m) {
  for (const auto& row : r) {
    if (Text(row[2]) == "e") {
      auto& o = m.Add(ObjectKind::kEnumType, Text(row[0]), "", Text(row[1]));
      SetComment(o, row);
      o.attributes["labels"] = ListValue(List(row[3]));
      continue;
    }
    auto& o = m.Add(ObjectKind::kDomain, Text(row[0]), "", Text(row[1]));
    SetComment(o, row);
    o.attributes["base_type"] = Text(row[4]);
    o.attributes["nullable"] = BoolText(!Bool(row[5]));
    if (!row[6].is_null()) o.attributes["default"] = NormalizeDefault(Text(row[6]));
    SetIf(o, "collation", Text(row[7]));
    auto checks = List(row[8]);
    for (auto& c : checks) c = Expr(c);
    if (!checks.empty()) o.attributes["checks"] = ListValue(checks);
  }
}

std::string TriggersSql() {
  return std::string(R"sql(
SELECT n.nspname, c.relname, tg.tgname, tg.tgtype, tg.tgenabled, pg_get_triggerdef(tg.oid, true),
       tg.tgrelid, tg.tgattr::text, tg.tgqual IS NOT NULL, c.relkind, )sql" +
                     CommentOf("tg.oid", "pg_trigger") + R"sql(
FROM pg_trigger tg
JOIN pg_class c ON c.oid = tg.tgrelid
JOIN pg_namespace n ON n.oid = c.relnamespace
WHERE NOT tg.tgisinternal AND )sql") +
         kUserNamespace + " AND " + NotExtensionMember("pg_class", "c.oid");
}

void ParseTriggers(const pqxx::result& r, SchemaModel& m, const Catalog& cat) {
  for (const auto& row : r) {
    auto& o = m.Add(ObjectKind::kTrigger, Text(row[0]), Text(row[1]), Text(row[2]));
    SetComment(o, row);
    const long long type = Int(row[3]);
    // TRIGGER_TYPE_* bits of pg_trigger.tgtype.
    const bool row_level = type & 1;
    const bool before = type & 2;
    const bool instead = type & 64;
    o.attributes["timing"] = instead ? "INSTEAD OF" : before ? "BEFORE" : "AFTER";
    std::vector<std::string> events;
    if (type & 4) events.push_back("INSERT");
    if (type & 16) {
      auto attnums = Ints(row[7]);
      std::string ev = "UPDATE";
      if (!attnums.empty()) ev += " OF " + Join(cat.Names(Int(row[6]), attnums, true), ", ");
      events.push_back(ev);
    }
    if (type & 8) events.push_back("DELETE");
    if (type & 32) events.push_back("TRUNCATE");
    o.attributes["events"] = ListValue(events);
    o.attributes["level"] = row_level ? "ROW" : "STATEMENT";
    std::string def = Collapse(Text(row[5]));
    if (Bool(row[8])) SetIf(o, "when", Collapse(TriggerWhen(def)));
    o.attributes["definition"] = def;
    std::string enabled = Text(row[4]);
    if (enabled != "O") o.attributes["enabled"] = enabled;
  }
}

// The argument types in a routine's model name, "total(integer, text)": a
// procedure's include its OUT arguments, which identify it too.
constexpr const char* kRoutineArgTypes = R"sql(
       CASE WHEN p.prokind = 'p' AND p.proallargtypes IS NOT NULL THEN
         (SELECT string_agg(format_type(u.t, NULL), ', ' ORDER BY u.o)
            FROM unnest(p.proallargtypes, p.proargmodes) WITH ORDINALITY AS u(t, mode, o) WHERE u.mode <> 't')
       ELSE oidvectortypes(p.proargtypes) END)sql";

std::string RoutinesSql(int version) {
  const bool sqlbody = version >= 140000;
  std::string sql = std::string(R"sql(
SELECT n.nspname, p.proname, p.prokind, )sql") +
                    kRoutineArgTypes + R"sql(,
       pg_get_function_arguments(p.oid),
       CASE WHEN p.prokind = 'f' THEN pg_get_function_result(p.oid) END,
       l.lanname, p.prosrc,
       )sql" +
                    (sqlbody ? "CASE WHEN p.prosqlbody IS NOT NULL THEN pg_get_function_sqlbody(p.oid) END"
                             : "NULL::text") +
                    R"sql(,
       p.provolatile, p.prosecdef, p.proisstrict, p.proleakproof, p.proparallel, to_json(p.proconfig),
       )sql" + CommentOf("p.oid", "pg_proc") +
                    R"sql(
FROM pg_proc p
JOIN pg_namespace n ON n.oid = p.pronamespace
JOIN pg_language l ON l.oid = p.prolang
WHERE p.prokind IN ('f', 'p') AND )sql" +
                    kUserNamespace + " AND " + NotExtensionMember("pg_proc", "p.oid");
  return sql;
}

void ParseRoutines(const pqxx::result& r, SchemaModel& m) {
  for (const auto& row : r) {
    const bool proc = Text(row[2]) == "p";
    auto& o = m.Add(proc ? ObjectKind::kProcedure : ObjectKind::kFunction, Text(row[0]), "",
                    Text(row[1]) + "(" + Text(row[3]) + ")");
    SetComment(o, row);
    SetIf(o, "arguments", Text(row[4]));
    SetIf(o, "returns", Text(row[5]));
    o.attributes["language"] = Text(row[6]);
    std::string body = row[8].is_null() ? Text(row[7]) : Text(row[8]);
    SetIf(o, "definition", Collapse(body));
    const std::string vol = Text(row[9]);
    o.attributes["volatility"] = vol == "i" ? "IMMUTABLE" : vol == "s" ? "STABLE" : "VOLATILE";
    o.attributes["security"] = Bool(row[10]) ? "DEFINER" : "INVOKER";
    if (Bool(row[11])) o.attributes["postgresql.strict"] = "true";
    if (Bool(row[12])) o.attributes["postgresql.leakproof"] = "true";
    const std::string par = Text(row[13]);
    if (par == "s") o.attributes["postgresql.parallel"] = "SAFE";
    if (par == "r") o.attributes["postgresql.parallel"] = "RESTRICTED";
    auto config = List(row[14]);
    std::sort(config.begin(), config.end());
    if (!config.empty()) o.attributes["postgresql.config"] = ListValue(config);
  }
}

// Row-level security policies (CREATE POLICY): who they apply to, for which
// command, and their USING / WITH CHECK expressions.
std::string PoliciesSql() {
  return std::string(R"sql(
SELECT n.nspname, c.relname, p.polname, p.polcmd, p.polpermissive,
       (SELECT json_agg(CASE WHEN r.oid = 0 THEN 'public' ELSE quote_ident(pg_get_userbyid(r.oid)) END)
          FROM unnest(p.polroles) AS r(oid)),
       pg_get_expr(p.polqual, p.polrelid), pg_get_expr(p.polwithcheck, p.polrelid), )sql") +
         CommentOf("p.oid", "pg_policy") + R"sql(
FROM pg_policy p
JOIN pg_class c ON c.oid = p.polrelid
JOIN pg_namespace n ON n.oid = c.relnamespace
WHERE )sql" +
         kUserNamespace + " AND " + NotExtensionMember("pg_class", "c.oid");
}

void ParsePolicies(const pqxx::result& r, SchemaModel& m) {
  for (const auto& row : r) {
    auto& o = m.Add(ObjectKind::kPolicy, Text(row[0]), Text(row[1]), Text(row[2]));
    SetComment(o, row);
    const std::string cmd = Text(row[3]);
    o.attributes["command"] = cmd == "r"   ? "SELECT"
                              : cmd == "a" ? "INSERT"
                              : cmd == "w" ? "UPDATE"
                              : cmd == "d" ? "DELETE"
                                           : "ALL";
    o.attributes["permissive"] = Bool(row[4]) ? "PERMISSIVE" : "RESTRICTIVE";
    auto roles = List(row[5]);
    std::sort(roles.begin(), roles.end());
    o.attributes["roles"] = ListValue(roles);
    SetIf(o, "using", Expr(Text(row[6])));
    SetIf(o, "with_check", Expr(Text(row[7])));
  }
}

// The canonical order of SchemaModel::Sort() (by SchemaObject::Key()), with
// each key computed once: Sort() builds two keys per comparison, which is
// most of the time of a 50,000-object model.
void SortByKey(SchemaModel& m) {
  std::vector<std::pair<std::string, size_t>> keys;
  keys.reserve(m.objects.size());
  for (size_t i = 0; i < m.objects.size(); ++i) keys.emplace_back(m.objects[i].Key(), i);
  std::sort(keys.begin(), keys.end());
  std::vector<SchemaObject> sorted;
  sorted.reserve(m.objects.size());
  for (const auto& k : keys) sorted.push_back(std::move(m.objects[k.second]));
  m.objects = std::move(sorted);
}

}  // namespace

// Owners and privileges (attributes access.owner and access.privileges) of
// schemas, relations, columns, routines and types. An ACL that is NULL
// (the defaults) gives no access.privileges; an empty one (everything
// revoked) gives an empty list. Rows for objects the model does not hold
// (extension members, identity sequences) are ignored.
// The entries of the aclitem[] `acl` as a JSON list of "grantee:PRIVILEGE"
// (" WITH GRANT OPTION" appended when grantable); NULL for a NULL ACL.
std::string AclEntriesSql(const std::string& acl) {
  return "CASE WHEN " + acl + " IS NOT NULL THEN coalesce((SELECT json_agg(" +
         R"sql(CASE WHEN a.grantee = 0 THEN 'PUBLIC' ELSE pg_get_userbyid(a.grantee) END || ':' || a.privilege_type ||
         CASE WHEN a.is_grantable THEN ' WITH GRANT OPTION' ELSE '' END) FROM aclexplode()sql" +
         acl + ") a), '[]') END";
}

std::string AccessSql() {
  return "SELECT kind, schema_name, table_name, name, pg_get_userbyid(owner), " + AclEntriesSql("acl") +
         R"sql(
FROM (
  SELECT 'schema' AS kind, '' AS schema_name, '' AS table_name, n.nspname AS name, n.nspowner AS owner,
         n.nspacl AS acl
  FROM pg_namespace n WHERE )sql" +
         std::string(kUserNamespace) + R"sql(
  UNION ALL
  SELECT CASE c.relkind WHEN 'v' THEN 'view' WHEN 'm' THEN 'materialized_view' WHEN 'S' THEN 'sequence'
         ELSE 'table' END, n.nspname, '', c.relname, c.relowner, c.relacl
  FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
  WHERE c.relkind IN ('r', 'p', 'v', 'm', 'S') AND )sql" +
         kUserNamespace + R"sql(
  UNION ALL
  SELECT 'column', n.nspname, c.relname, a.attname, NULL::oid, a.attacl
  FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid JOIN pg_namespace n ON n.oid = c.relnamespace
  WHERE a.attacl IS NOT NULL AND a.attnum > 0 AND NOT a.attisdropped AND )sql" +
         kUserNamespace + R"sql(
  UNION ALL
  SELECT CASE p.prokind WHEN 'p' THEN 'procedure' ELSE 'function' END, n.nspname, '',
         p.proname || '(' || )sql" +
         kRoutineArgTypes + R"sql( || ')', p.proowner, p.proacl
  FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
  WHERE p.prokind IN ('f', 'p') AND )sql" +
         kUserNamespace + R"sql(
  UNION ALL
  SELECT CASE t.typtype WHEN 'e' THEN 'enum' ELSE 'domain' END, n.nspname, '', t.typname, t.typowner,
         t.typacl
  FROM pg_type t JOIN pg_namespace n ON n.oid = t.typnamespace
  WHERE t.typtype IN ('e', 'd') AND )sql" +
         kUserNamespace + R"sql(
  UNION ALL
  SELECT 'database', '', '', '', d.datdba, d.datacl
  FROM pg_database d WHERE d.datname = current_database() AND d.datacl IS NOT NULL) access)sql";
}

// Default privileges (ALTER DEFAULT PRIVILEGES): attribute
// access.default_privileges.<objects>.<role> of the schema they are IN, or
// of the database object when they apply to all schemas.
std::string DefaultAclSql() {
  return "SELECT CASE d.defaclobjtype WHEN 'r' THEN 'tables' WHEN 'S' THEN 'sequences' WHEN 'f' THEN "
         "'functions' WHEN 'T' THEN 'types' WHEN 'n' THEN 'schemas' END, pg_get_userbyid(d.defaclrole), "
         "n.nspname, " +
         AclEntriesSql("d.defaclacl") +
         " FROM pg_default_acl d LEFT JOIN pg_namespace n ON n.oid = d.defaclnamespace";
}

// The database object (it exists only when it has attributes), added when
// `wanted` and missing. Called before taking pointers to other objects:
// adding it could move them.
SchemaObject* DatabaseObject(SchemaModel& m, bool wanted) {
  for (auto& o : m.objects) {
    if (o.kind == ObjectKind::kDatabase) return &o;
  }
  return wanted ? &m.Add(ObjectKind::kDatabase, "", "", "") : nullptr;
}

void ParseDefaultAcl(const pqxx::result& r, SchemaModel& m) {
  SchemaObject* database = DatabaseObject(
      m, std::any_of(r.begin(), r.end(), [](const pqxx::row& row) { return row[2].is_null(); }));
  std::map<std::string, SchemaObject*> schemas;
  for (auto& o : m.objects) {
    if (o.kind == ObjectKind::kSchema) schemas[o.name] = &o;
  }
  for (const auto& row : r) {
    if (row[0].is_null()) Unexpected("default ACL object type", row[0]);
    SchemaObject* holder = database;
    if (!row[2].is_null()) {
      auto it = schemas.find(Text(row[2]));
      if (it == schemas.end()) continue;  // a system schema
      holder = it->second;
    }
    auto entries = List(row[3]);
    std::sort(entries.begin(), entries.end());
    holder->attributes["access.default_privileges." + Text(row[0]) + "." + Text(row[1])] = ListValue(entries);
  }
}

void ParseAccess(const pqxx::result& r, SchemaModel& m) {
  // The database's owner and ACL, recorded when its ACL is not the default.
  DatabaseObject(m, std::any_of(r.begin(), r.end(), [](const pqxx::row& row) {
                   return row[0].as<std::string>() == ObjectKindName(ObjectKind::kDatabase);
                 }));
  std::map<std::string, SchemaObject*> by_key;
  for (auto& o : m.objects) by_key[o.Key()] = &o;
  for (const auto& row : r) {
    const auto kind = ObjectKindFromName(Text(row[0]));
    if (!kind) Unexpected("object kind", row[0]);
    SchemaObject probe;
    probe.kind = *kind;
    probe.schema = Text(row[1]);
    probe.table = Text(row[2]);
    probe.name = Text(row[3]);
    auto it = by_key.find(probe.Key());
    if (it == by_key.end()) continue;
    SetIf(*it->second, "access.owner", Text(row[4]));
    if (row[5].is_null()) continue;
    auto entries = List(row[5]);
    std::sort(entries.begin(), entries.end());
    it->second->attributes["access.privileges"] = ListValue(entries);
  }
}

SchemaModel ReadSchemaIn(pqxx::transaction_base& tx, int version) {
  // All queries go out at once through a pipeline: the server runs the next
  // ones while the results of the first are turned into objects.
  const std::vector<std::string> queries = {
      SchemasSql(),   ExtensionsSql(),         kCollationsSql,       kOpclassesSql, TablesSql(),
      ColumnsSql(),   ConstraintsSql(version), IndexesSql(version),  ViewsSql(),    SequencesSql(),
      TypesSql(),     TriggersSql(),           RoutinesSql(version), PoliciesSql(), AccessSql(),
      DefaultAclSql()};
  pqxx::pipeline pipeline(tx);
  pipeline.retain(static_cast<int>(queries.size()));
  std::vector<pqxx::pipeline::query_id> ids;
  ids.reserve(queries.size());
  for (const auto& q : queries) ids.push_back(pipeline.insert(q));
  pipeline.resume();
  size_t next = 0;
  auto result = [&] { return pipeline.retrieve(ids.at(next++)); };

  SchemaModel m;
  m.engine = "postgresql";
  Catalog cat;
  // On failure, drain what is still in flight instead of letting the
  // pipeline's destructor send a cancel request, which could hit the
  // statement the caller runs next (its ROLLBACK).
  UndoOnThrow(
      [&] {
        ParseSchemas(result(), m);
        ParseExtensions(result(), m);
        ParseCollations(result(), cat);
        ParseOpclasses(result(), cat);
        ParseTables(result(), m);
        ParseColumns(result(), m, cat);
        ParseConstraints(result(), m, cat);
        ParseIndexes(result(), m, cat);
        ParseViews(result(), m);
        ParseSequences(result(), m);
        ParseTypes(result(), m);
        ParseTriggers(result(), m, cat);
        ParseRoutines(result(), m);
        ParsePolicies(result(), m);
        ParseAccess(result(), m);
        ParseDefaultAcl(result(), m);
        pipeline.complete();
      },
      [&] { IgnoringErrors([&] { pipeline.flush(); }); });
  SortByKey(m);
  return m;
}

Result<SchemaModel> PgConnection::ReadSchema() {
  CUTOVER_RETURN_IF_ERROR(CheckUsable());
  // Deterministic deparsing: object names relative to public only, ISO
  // dates, UTC for timestamptz constants, shortest exact floats; no JIT
  // (it costs more than it saves on catalog queries).
  static constexpr const char* kSettings =
      "SET LOCAL search_path TO public; "
      "SET LOCAL datestyle TO 'ISO, YMD'; "
      "SET LOCAL intervalstyle TO 'postgres'; "
      "SET LOCAL timezone TO 'UTC'; "
      "SET LOCAL extra_float_digits TO 1; "
      "SET LOCAL bytea_output TO 'hex'; "
      "SET LOCAL statement_timeout TO 0; "
      "SET LOCAL work_mem TO '64MB'; "
      "SET LOCAL jit TO off";
  const std::string what = "reading the schema of " + display_;
  if (in_tx_) {
    // A savepoint keeps the SET LOCALs from leaking into the caller's
    // transaction: rolling back to it restores them.
    return Guarded(
        what,
        [&]() -> Result<SchemaModel> {
          nt_->exec(std::string("SAVEPOINT cutover_read_schema; ") + kSettings);
          SchemaModel model = ReadSchemaIn(*nt_, info_.version_number);
          model.server_version = info_.version;
          nt_->exec("ROLLBACK TO SAVEPOINT cutover_read_schema; RELEASE SAVEPOINT cutover_read_schema");
          return model;
        },
        GuardOptions{}.Undoing([&] {
          if (!conn_->is_open()) return;
          IgnoringErrors([&] {
            nt_->exec("ROLLBACK TO SAVEPOINT cutover_read_schema; RELEASE SAVEPOINT cutover_read_schema");
            tx_failed_ = false;  // the caller's transaction is intact
          });
        }));
  }
  return Guarded(
      what,
      [&]() -> Result<SchemaModel> {
        nt_->exec(std::string("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY; ") + kSettings);
        SchemaModel model = ReadSchemaIn(*nt_, info_.version_number);
        model.server_version = info_.version;
        nt_->exec("COMMIT");
        return model;
      },
      GuardOptions{}.Undoing([&] { QuietExec("ROLLBACK"); }));
}

}  // namespace cutover::postgresql

namespace cutover::postgresql {

Result<bool> PgConnection::TableExists(std::string_view name) {
  return CountsAny(
      *this,
      "SELECT count(*) FROM pg_catalog.pg_class c WHERE c.relname = " + QuoteLiteral(name) +
          " AND c.relkind IN ('r', 'p') AND c.relnamespace = (SELECT n.oid FROM pg_catalog.pg_namespace n "
          "WHERE n.nspname = pg_catalog.current_schema())");
}

}  // namespace cutover::postgresql
