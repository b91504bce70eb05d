// PostgreSQL rules, on libpg_query's parse tree (JSON form, see pg_query.h;
// node names are PostgreSQL's own: IndexStmt, AlterTableStmt, ...).
#include <algorithm>
#include <nlohmann/json.hpp>

#include "base/strings.h"
#include "lint/lint_internal.h"
#include "plan/pg_sql.h"
#include "plan/sql_lexer.h"

namespace cutover::lint {
namespace {

using json = nlohmann::json;
using plan::Statement;

const json& Get(const json& j, const char* key) {
  static const json kNull;
  if (!j.is_object()) return kNull;
  auto it = j.find(key);
  return it == j.end() ? kNull : *it;
}
std::string Str(const json& j, const char* key) {
  const json& v = Get(j, key);
  return v.is_string() ? v.get<std::string>() : std::string();
}
bool Bool(const json& j, const char* key) {
  const json& v = Get(j, key);
  return v.is_boolean() && v.get<bool>();
}

TableName RangeVarName(const json& rv) {
  return TableName{Str(rv, "schemaname"), Str(rv, "relname")};
}

// [{"String":{"sval":"a"}}, ...] -> {"a", ...}
std::vector<std::string> Names(const json& list) {
  std::vector<std::string> out;
  if (!list.is_array()) return out;
  for (const json& item : list) {
    const json& s = Get(item, "String");
    if (s.is_object()) out.push_back(Str(s, "sval"));
  }
  return out;
}

// The columns a CHECK expression proves NOT NULL: "col IS NOT NULL", or
// such terms joined by AND.
std::vector<std::string> NotNullColumns(const json& expr) {
  std::vector<std::string> out;
  const json& test = Get(expr, "NullTest");
  if (Str(test, "nulltesttype") == "IS_NOT_NULL") {
    auto fields = Names(Get(Get(Get(test, "arg"), "ColumnRef"), "fields"));
    if (fields.size() == 1) out.push_back(fields[0]);
  }
  const json& conj = Get(expr, "BoolExpr");
  if (Str(conj, "boolop") == "AND_EXPR" && Get(conj, "args").is_array()) {
    for (const json& arg : Get(conj, "args")) {
      auto more = NotNullColumns(arg);
      out.insert(out.end(), more.begin(), more.end());
    }
  }
  return out;
}

TableName FromNames(const std::vector<std::string>& names) {
  TableName t;
  if (names.empty()) return t;
  t.name = names.back();
  if (names.size() >= 2) t.schema = names[names.size() - 2];
  return t;
}

// The object a DROP statement names.
std::vector<std::string> DropObjectNames(const json& object) {
  if (const json& list = Get(object, "List"); list.is_object()) return Names(Get(list, "items"));
  if (const json& owa = Get(object, "ObjectWithArgs"); owa.is_object()) return Names(Get(owa, "objname"));
  if (const json& tn = Get(object, "TypeName"); tn.is_object()) return Names(Get(tn, "names"));
  if (const json& s = Get(object, "String"); s.is_object()) return {Str(s, "sval")};
  return {};
}

std::string LowerObjectType(std::string type) {  // "OBJECT_MATVIEW" -> "materialized view"
  if (StartsWith(type, "OBJECT_")) type = type.substr(7);
  if (type == "MATVIEW") return "materialized view";
  if (type == "FOREIGN_TABLE") return "foreign table";
  return ToLower(ReplaceAll(type, "_", " "));
}

bool ContainsVolatileCall(const json& j, std::string* which) {
  static const char* kVolatile[] = {"random",           "clock_timestamp",  "timeofday",
                                    "gen_random_uuid",  "uuid_generate_v1", "uuid_generate_v1mc",
                                    "uuid_generate_v4", "nextval",          "gen_random_bytes",
                                    "random_normal",    "setseed",          "txid_current"};
  if (j.is_object()) {
    if (const json& f = Get(j, "FuncCall"); f.is_object()) {
      auto names = Names(Get(f, "funcname"));
      if (!names.empty()) {
        std::string name = ToLower(names.back());
        for (const char* v : kVolatile) {
          if (name == v) {
            *which = name + "()";
            return true;
          }
        }
      }
    }
    for (const auto& [key, value] : j.items()) {
      if (ContainsVolatileCall(value, which)) return true;
    }
  } else if (j.is_array()) {
    for (const json& v : j) {
      if (ContainsVolatileCall(v, which)) return true;
    }
  }
  return false;
}

bool ContainsKey(const json& j, const char* key) {
  if (j.is_object()) {
    if (j.contains(key)) return true;
    for (const auto& [k, v] : j.items()) {
      if (ContainsKey(v, key)) return true;
    }
  } else if (j.is_array()) {
    for (const json& v : j) {
      if (ContainsKey(v, key)) return true;
    }
  }
  return false;
}

// PostgreSQL's GUC time syntax: a number with an optional unit (default ms).
std::optional<std::chrono::milliseconds> PgTimeValue(const json& arg) {
  const json& c = Get(arg, "A_Const");
  if (!c.is_object()) return std::nullopt;
  if (const json& iv = Get(c, "ival"); iv.is_object()) {
    const json& v = Get(iv, "ival");
    return std::chrono::milliseconds(v.is_number_integer() ? v.get<std::int64_t>() : 0);
  }
  std::string text = Str(Get(c, "sval"), "sval");
  text = std::string(Trim(text));
  size_t digits = 0;
  while (digits < text.size() &&
         (std::isdigit(static_cast<unsigned char>(text[digits])) || text[digits] == '.')) {
    ++digits;
  }
  if (digits == 0) return std::nullopt;
  double n = 0;
  try {
    n = std::stod(text.substr(0, digits));
  } catch (...) {  // "." and the like: not a time the server would accept either
    return std::nullopt;
  }
  std::string unit = ToLower(Trim(std::string_view(text).substr(digits)));
  double factor = unit.empty() || unit == "ms" ? 1
                  : unit == "s"                ? 1000
                  : unit == "min"              ? 60'000
                  : unit == "h"                ? 3'600'000
                  : unit == "d"                ? 86'400'000
                                               : 0;
  if (factor == 0) return std::nullopt;
  return std::chrono::milliseconds(static_cast<std::int64_t>(n * factor));
}

class PgAnalyzer {
 public:
  PgAnalyzer(FileLinter& l, const Statement& s) : l_(l), s_(s) {}

  StatementKind Run() {
    std::string tree;
    plan::PgError error;
    if (!plan::PgParseJson(l_.file().ExecutableText(s_), &tree, &error)) return StatementKind::kOther;
    json doc = json::parse(tree, nullptr, false);
    const json& stmts = Get(doc, "stmts");
    if (!stmts.is_array() || stmts.empty()) return StatementKind::kOther;
    const json& node = Get(stmts[0], "stmt");
    if (!node.is_object() || node.empty()) return StatementKind::kOther;
    return Dispatch(node.begin().key(), node.begin().value());
  }

 private:
  StatementKind Dispatch(const std::string& type, const json& n) {
    if (type == "CreateStmt") return CreateTable(n);
    if (type == "CreateTableAsStmt") {
      l_.NoteCreated(RangeVarName(Get(Get(n, "into"), "rel")));
      return StatementKind::kDdl;
    }
    if (type == "IndexStmt") return CreateIndex(n);
    if (type == "AlterTableStmt") return AlterTable(n);
    if (type == "RenameStmt") return Rename(n);
    if (type == "DropStmt") return Drop(n);
    if (type == "TruncateStmt") {
      for (const json& r : Get(n, "relations")) {
        TableName t = RangeVarName(Get(r, "RangeVar"));
        l_.Change(s_, ChangeKind::kTruncate, t, "TRUNCATE " + t.Display());
        l_.StrongLock(s_, t, "ACCESS EXCLUSIVE", "PG010");
      }
      return StatementKind::kDdl;
    }
    if (type == "DeleteStmt") {
      TableName t = RangeVarName(Get(n, "relation"));
      l_.Change(s_, ChangeKind::kDelete, t,
                std::string(Get(n, "whereClause").is_null() ? "DELETE of every row" : "DELETE") + " from " +
                    t.Display());
      return StatementKind::kDml;
    }
    if (type == "UpdateStmt") {
      TableName t = RangeVarName(Get(n, "relation"));
      l_.Change(s_, ChangeKind::kUpdate, t, "UPDATE of " + t.Display());
      return StatementKind::kDml;
    }
    if (type == "InsertStmt" || type == "MergeStmt") return StatementKind::kDml;
    if (type == "SelectStmt") {
      if (const json& into = Get(n, "intoClause"); into.is_object()) {
        l_.NoteCreated(RangeVarName(Get(into, "rel")));
        return StatementKind::kDdl;
      }
      return StatementKind::kQuery;
    }
    if (type == "ExplainStmt" || type == "VariableShowStmt") return StatementKind::kQuery;
    if (type == "VariableSetStmt") {
      if (Str(n, "name") == "lock_timeout") {
        const std::string kind = Str(n, "kind");
        std::optional<std::chrono::milliseconds> v;
        if (kind == "VAR_SET_VALUE" && Get(n, "args").is_array() && !Get(n, "args").empty()) {
          v = PgTimeValue(Get(n, "args")[0]);
        } else if (kind == "VAR_SET_DEFAULT" || kind == "VAR_RESET") {
          v = std::chrono::milliseconds(0);
        }
        if (v) l_.NoteSessionLockTimeout(*v);
      }
      return StatementKind::kSession;
    }
    if (type == "TransactionStmt") return StatementKind::kTransaction;
    if (type == "VacuumStmt") return Vacuum(n);
    if (type == "ClusterStmt") {
      const json& rel = Get(n, "relation");
      TableName t = rel.is_object() ? RangeVarName(rel) : TableName{"", "every clustered table"};
      if (!l_.IsNew(t)) {
        l_.Report("PG009", &s_, "CLUSTER rewrites " + t.Display() + " under ACCESS EXCLUSIVE");
        l_.StrongLock(s_, t, "ACCESS EXCLUSIVE", "PG010");
      }
      return StatementKind::kOther;
    }
    if (type == "ReindexStmt") return Reindex(n);
    if (type == "RefreshMatViewStmt") {
      TableName t = RangeVarName(Get(n, "relation"));
      if (!Bool(n, "concurrent") && !l_.IsNew(t)) {
        l_.Report("PG014", &s_, "REFRESH MATERIALIZED VIEW " + t.Display() + " without CONCURRENTLY");
        l_.StrongLock(s_, t, "ACCESS EXCLUSIVE", "PG010");
      }
      return StatementKind::kOther;
    }
    if (type == "LockStmt") {
      static const char* kModes[] = {
          "",      "ACCESS SHARE",        "ROW SHARE", "ROW EXCLUSIVE",   "SHARE UPDATE EXCLUSIVE",
          "SHARE", "SHARE ROW EXCLUSIVE", "EXCLUSIVE", "ACCESS EXCLUSIVE"};
      const json& m = Get(n, "mode");
      int mode = m.is_number_integer() ? m.get<int>() : 8;
      if (mode < 1 || mode > 8) mode = 8;
      for (const json& r : Get(n, "relations")) {
        TableName t = RangeVarName(Get(r, "RangeVar"));
        if (mode >= 5 && !l_.IsNew(t)) {
          l_.Report("PG015", &s_, std::string("LOCK TABLE ") + t.Display() + " IN " + kModes[mode] + " MODE");
          l_.StrongLock(s_, t, kModes[mode], "PG010");
        }
      }
      return StatementKind::kOther;
    }
    if (type == "CreateTrigStmt") {
      TableName t = RangeVarName(Get(n, "relation"));
      l_.StrongLock(s_, t, "SHARE ROW EXCLUSIVE", "PG010");
      return StatementKind::kDdl;
    }
    if (type == "CreatedbStmt" || type == "DropdbStmt" || type == "AlterSystemStmt" ||
        type == "CreateTableSpaceStmt" || type == "DropTableSpaceStmt") {
      NotInTransaction(type == "CreatedbStmt"           ? "CREATE DATABASE"
                       : type == "DropdbStmt"           ? "DROP DATABASE"
                       : type == "AlterSystemStmt"      ? "ALTER SYSTEM"
                       : type == "CreateTableSpaceStmt" ? "CREATE TABLESPACE"
                                                        : "DROP TABLESPACE");
      return StatementKind::kDdl;
    }
    if (type == "DoStmt" || type == "CallStmt") return StatementKind::kOther;
    return StatementKind::kDdl;
  }

  void NotInTransaction(const std::string& what) {
    if (l_.in_transaction()) {
      l_.Report("PG002", &s_, what + " cannot run inside a transaction block, and this file runs in one");
    }
  }

  StatementKind CreateTable(const json& n) {
    TableName t = RangeVarName(Get(n, "relation"));
    // CREATE TABLE ... PARTITION OF parent locks the parent.
    if (Get(n, "partbound").is_object()) {
      for (const json& parent : Get(n, "inhRelations")) {
        l_.StrongLock(s_, RangeVarName(Get(parent, "RangeVar")), "ACCESS EXCLUSIVE", "PG010");
      }
    }
    // A foreign key to an existing table locks that table against writes.
    auto references = [&](const json& constraint) {
      const json& c = Get(constraint, "Constraint");
      if (Str(c, "contype") == "CONSTR_FOREIGN") {
        l_.StrongLock(s_, RangeVarName(Get(c, "pktable")), "SHARE ROW EXCLUSIVE", "PG010");
      }
    };
    for (const json& elt : Get(n, "tableElts")) {
      references(elt);
      for (const json& c : Get(Get(elt, "ColumnDef"), "constraints")) references(c);
    }
    l_.NoteCreated(t);
    return StatementKind::kDdl;
  }

  StatementKind CreateIndex(const json& n) {
    TableName t = RangeVarName(Get(n, "relation"));
    const bool concurrent = Bool(n, "concurrent");
    const std::string name = Str(n, "idxname");
    const std::string shown = name.empty() ? "an index" : "index " + name;
    if (concurrent) NotInTransaction("CREATE INDEX CONCURRENTLY");
    if (!l_.IsNew(t)) {
      if (!concurrent) {
        l_.Report("PG001", &s_,
                  "CREATE INDEX builds " + shown + " on " + t.Display() + " under a SHARE lock");
        l_.StrongLock(s_, t, "SHARE", "PG010");
      }
    }
    if (Bool(n, "unique")) l_.Change(s_, ChangeKind::kAddUnique, t, "unique " + shown + " on " + t.Display());
    if (!name.empty()) l_.NoteCreated(TableName{t.schema, name});
    return StatementKind::kDdl;
  }

  static bool IsSerial(const std::string& type) {
    return type == "serial" || type == "bigserial" || type == "smallserial" || type == "serial2" ||
           type == "serial4" || type == "serial8";
  }

  void AddColumn(const TableName& t, const json& def, bool is_new) {
    const std::string col = Str(def, "colname");
    auto type_names = Names(Get(Get(def, "typeName"), "names"));
    const std::string type = type_names.empty() ? "" : ToLower(type_names.back());
    bool has_default = false, not_null = false, identity = false, generated = false;
    std::string volatile_call;
    for (const json& cj : Get(def, "constraints")) {
      const json& c = Get(cj, "Constraint");
      const std::string ct = Str(c, "contype");
      if (ct == "CONSTR_DEFAULT") {
        has_default = true;
        ContainsVolatileCall(Get(c, "raw_expr"), &volatile_call);
      } else if (ct == "CONSTR_NOTNULL") {
        not_null = true;
      } else if (ct == "CONSTR_IDENTITY") {
        identity = true;
      } else if (ct == "CONSTR_GENERATED") {
        generated = true;
      } else if (ct == "CONSTR_PRIMARY" || ct == "CONSTR_UNIQUE") {
        const std::string what = ct == "CONSTR_PRIMARY" ? "PRIMARY KEY" : "UNIQUE";
        if (!is_new) l_.Report("PG008", &s_, "new column " + col + " of " + t.Display() + " is " + what);
        l_.Change(s_, ChangeKind::kAddUnique, t, what + " column " + col + " added to " + t.Display());
      } else if (ct == "CONSTR_FOREIGN") {
        if (!is_new)
          l_.Report("PG003", &s_, "new column " + col + " of " + t.Display() + " REFERENCES a table");
      } else if (ct == "CONSTR_CHECK") {
        if (!is_new) l_.Report("PG004", &s_, "new column " + col + " of " + t.Display() + " has a CHECK");
      }
    }
    if (!is_new) {
      std::string why;
      if (!volatile_call.empty()) why = "a volatile default (" + volatile_call + ")";
      if (IsSerial(type)) why = "type " + type;
      if (identity) why = "an identity column";
      if (generated) why = "a STORED generated column";
      if (!why.empty()) {
        l_.Report("PG006", &s_,
                  "column " + col + " added to " + t.Display() + " with " + why + " rewrites the table");
      }
    }
    if (not_null && !has_default && !identity && !generated && !IsSerial(type)) {
      l_.Change(s_, ChangeKind::kAddNotNullWithoutDefault, t,
                "column " + col + " added to " + t.Display() + " as NOT NULL without a default");
    }
  }

  static bool TypeChangeRewrites(const json& def) {
    if (!Get(def, "raw_default").is_null()) return true;  // USING
    const json& tn = Get(def, "typeName");
    auto names = Names(Get(tn, "names"));
    const std::string type = names.empty() ? "" : ToLower(names.back());
    const bool typmods = Get(tn, "typmods").is_array() && !Get(tn, "typmods").empty();
    if (type == "text" || type == "varchar" || type == "citext") return false;
    if (type == "numeric" && !typmods) return false;
    return true;
  }

  StatementKind AlterTable(const json& n) {
    TableName t = RangeVarName(Get(n, "relation"));
    const bool is_new = l_.IsNew(t);
    bool strong = false, only_share_row = true;
    for (const json& cmd_node : Get(n, "cmds")) {
      const json& cmd = Get(cmd_node, "AlterTableCmd");
      const std::string sub = Str(cmd, "subtype");
      const std::string col = Str(cmd, "name");
      bool cmd_strong = true, cmd_share_row = false;
      if (sub == "AT_AddColumn") {
        AddColumn(t, Get(Get(cmd, "def"), "ColumnDef"), is_new);
      } else if (sub == "AT_DropColumn") {
        l_.Change(s_, ChangeKind::kDropColumn, t, "column " + col + " of " + t.Display() + " dropped");
      } else if (sub == "AT_AlterColumnType") {
        const json& def = Get(Get(cmd, "def"), "ColumnDef");
        l_.Change(s_, ChangeKind::kTypeChange, t,
                  "type of column " + col + " of " + t.Display() + " changed");
        if (!is_new && TypeChangeRewrites(def)) {
          l_.Report("PG007", &s_, "changing the type of " + t.Display() + "." + col + " rewrites the table");
        }
      } else if (sub == "AT_SetNotNull") {
        l_.Change(s_, ChangeKind::kSetNotNull, t, "column " + col + " of " + t.Display() + " set NOT NULL");
        if (!is_new && !l_.plan_state().NotNullProven(t, col)) {
          l_.Report("PG005", &s_, "SET NOT NULL on " + t.Display() + "." + col + " scans the table");
        }
      } else if (sub == "AT_AddConstraint") {
        const json& c = Get(Get(cmd, "def"), "Constraint");
        const std::string ct = Str(c, "contype");
        const std::string cname = Str(c, "conname");
        const std::string shown = cname.empty() ? "" : " " + cname;
        if (ct == "CONSTR_FOREIGN") {
          cmd_share_row = true;
          if (!Bool(c, "skip_validation") && !is_new) {
            l_.Report("PG003", &s_, "foreign key" + shown + " on " + t.Display() + " is validated at once");
          }
        } else if (ct == "CONSTR_CHECK") {
          // "col IS NOT NULL", also as one term of an AND (PostgreSQL 12+
          // proves SET NOT NULL from either form of a validated CHECK).
          for (const std::string& field : NotNullColumns(Get(c, "raw_expr"))) {
            l_.plan_state().NoteNotNullCheck(t, cname, field, !Bool(c, "skip_validation"));
          }
          if (!Bool(c, "skip_validation") && !is_new) {
            l_.Report("PG004", &s_,
                      "CHECK constraint" + shown + " on " + t.Display() + " is validated at once");
          }
        } else if (ct == "CONSTR_PRIMARY" || ct == "CONSTR_UNIQUE") {
          const std::string what = ct == "CONSTR_PRIMARY" ? "PRIMARY KEY" : "UNIQUE";
          if (Str(c, "indexname").empty()) {
            if (!is_new) {
              l_.Report("PG008", &s_,
                        what + " constraint" + shown + " on " + t.Display() + " builds its index");
            }
            l_.Change(s_, ChangeKind::kAddUnique, t, what + " constraint" + shown + " on " + t.Display());
          }
        } else if (ct == "CONSTR_EXCLUSION") {
          if (!is_new) {
            l_.Report("PG008", &s_,
                      "EXCLUDE constraint" + shown + " on " + t.Display() + " builds its index");
          }
        }
      } else if (sub == "AT_ValidateConstraint") {
        cmd_strong = false;  // SHARE UPDATE EXCLUSIVE: reads and writes continue
        l_.plan_state().NoteValidated(t, col);
      } else if (sub == "AT_SetStatistics" || sub == "AT_ClusterOn" || sub == "AT_DropCluster" ||
                 sub == "AT_SetRelOptions" || sub == "AT_ResetRelOptions") {
        cmd_strong = false;  // SHARE UPDATE EXCLUSIVE: reads and writes continue
      } else if (sub == "AT_DetachPartition") {
        if (Bool(Get(Get(cmd, "def"), "PartitionCmd"), "concurrent")) {
          cmd_strong = false;
          NotInTransaction("DETACH PARTITION CONCURRENTLY");
        }
      } else if (sub == "AT_SetTableSpace" || sub == "AT_SetLogged" || sub == "AT_SetUnLogged" ||
                 sub == "AT_SetAccessMethod") {
        if (!is_new) {
          const std::string what = sub == "AT_SetTableSpace" ? "SET TABLESPACE"
                                   : sub == "AT_SetLogged"   ? "SET LOGGED"
                                   : sub == "AT_SetUnLogged" ? "SET UNLOGGED"
                                                             : "SET ACCESS METHOD";
          l_.Report("PG012", &s_, what + " rewrites " + t.Display());
        }
      } else if (sub == "AT_EnableTrig" || sub == "AT_DisableTrig" || sub == "AT_EnableAlwaysTrig" ||
                 sub == "AT_EnableReplicaTrig" || sub == "AT_EnableTrigAll" || sub == "AT_DisableTrigAll" ||
                 sub == "AT_EnableTrigUser" || sub == "AT_DisableTrigUser") {
        cmd_share_row = true;
      }
      if (cmd_strong) {
        strong = true;
        if (!cmd_share_row) only_share_row = false;
      }
    }
    if (strong && !is_new)
      l_.StrongLock(s_, t, only_share_row ? "SHARE ROW EXCLUSIVE" : "ACCESS EXCLUSIVE", "PG010");
    return StatementKind::kDdl;
  }

  StatementKind Rename(const json& n) {
    const std::string type = Str(n, "renameType");
    const json& rel = Get(n, "relation");
    if (!rel.is_object()) return StatementKind::kDdl;
    TableName t = RangeVarName(rel);
    const std::string newname = Str(n, "newname");
    if (type == "OBJECT_COLUMN") {
      l_.Change(s_, ChangeKind::kRename, t,
                "column " + Str(n, "subname") + " of " + t.Display() + " renamed to " + newname);
    } else if (type == "OBJECT_TABLE" || type == "OBJECT_VIEW" || type == "OBJECT_MATVIEW" ||
               type == "OBJECT_FOREIGN_TABLE") {
      l_.Change(s_, ChangeKind::kRename, t,
                LowerObjectType(type) + " " + t.Display() + " renamed to " + newname);
      if (l_.IsNew(t)) l_.NoteCreated(TableName{t.schema, newname});
    }
    if (type != "OBJECT_INDEX") l_.StrongLock(s_, t, "ACCESS EXCLUSIVE", "PG010");
    return StatementKind::kDdl;
  }

  StatementKind Drop(const json& n) {
    const std::string type = Str(n, "removeType");
    const bool concurrent = Bool(n, "concurrent");
    if (type == "OBJECT_INDEX" && concurrent) NotInTransaction("DROP INDEX CONCURRENTLY");
    for (const json& object : Get(n, "objects")) {
      auto names = DropObjectNames(object);
      if (names.empty()) continue;
      TableName target = FromNames(names);
      const std::string what = LowerObjectType(type) + " " + Join(names, ".");
      l_.Change(s_, type == "OBJECT_INDEX" ? ChangeKind::kDropIndex : ChangeKind::kDropObject, target,
                what + " dropped");
      if (type == "OBJECT_INDEX") {
        if (!concurrent && !l_.IsNew(target)) {
          l_.Report("PG013", &s_, "DROP INDEX " + target.Display() + " without CONCURRENTLY");
          l_.StrongLock(s_, target, "ACCESS EXCLUSIVE", "PG010");
        }
      } else if (type == "OBJECT_TABLE" || type == "OBJECT_VIEW" || type == "OBJECT_MATVIEW" ||
                 type == "OBJECT_FOREIGN_TABLE") {
        l_.StrongLock(s_, target, "ACCESS EXCLUSIVE", "PG010");
      } else if (type == "OBJECT_TRIGGER" || type == "OBJECT_RULE" || type == "OBJECT_POLICY") {
        names.pop_back();  // the last name is the trigger's; the rest is its table
        if (!names.empty()) l_.StrongLock(s_, FromNames(names), "ACCESS EXCLUSIVE", "PG010");
      }
    }
    return StatementKind::kDdl;
  }

  StatementKind Vacuum(const json& n) {
    if (!Bool(n, "is_vacuumcmd")) return StatementKind::kOther;  // ANALYZE
    NotInTransaction("VACUUM");
    bool full = false;
    for (const json& o : Get(n, "options")) {
      if (ToLower(Str(Get(o, "DefElem"), "defname")) == "full") full = true;
    }
    if (!full) return StatementKind::kOther;
    std::vector<TableName> tables;
    for (const json& r : Get(n, "rels"))
      tables.push_back(RangeVarName(Get(Get(r, "VacuumRelation"), "relation")));
    if (tables.empty()) tables.push_back(TableName{"", "every table"});
    for (const TableName& t : tables) {
      if (l_.IsNew(t)) continue;
      l_.Report("PG009", &s_, "VACUUM FULL rewrites " + t.Display() + " under ACCESS EXCLUSIVE");
      l_.StrongLock(s_, t, "ACCESS EXCLUSIVE", "PG010");
    }
    return StatementKind::kOther;
  }

  StatementKind Reindex(const json& n) {
    bool concurrent = false;
    for (const json& o : Get(n, "params")) {
      if (ToLower(Str(Get(o, "DefElem"), "defname")) == "concurrently") concurrent = true;
    }
    const json& rel = Get(n, "relation");
    TableName t = rel.is_object() ? RangeVarName(rel) : TableName{"", Str(n, "name")};
    if (concurrent) {
      NotInTransaction("REINDEX CONCURRENTLY");
    } else if (!l_.IsNew(t)) {
      l_.Report("PG009", &s_, "REINDEX of " + t.Display() + " without CONCURRENTLY blocks writes");
      l_.StrongLock(s_, t, "SHARE", "PG010");
    }
    return StatementKind::kOther;
  }

  FileLinter& l_;
  const Statement& s_;
};

}  // namespace

StatementKind AnalyzePostgres(FileLinter& linter, const plan::Statement& statement) {
  return PgAnalyzer(linter, statement).Run();
}

bool TextHasBatchBound(std::string_view text, plan::Engine engine) {
  if (text.find(plan::kBatchSizePlaceholder) != std::string_view::npos) return true;
  if (engine == plan::Engine::kPostgreSql) {
    std::string tree;
    plan::PgError error;
    if (!plan::PgParseJson(std::string(text), &tree, &error)) return false;
    return ContainsKey(json::parse(tree, nullptr, false), "limitCount");
  }
  plan::LexOptions options;
  options.dialect = engine == plan::Engine::kMySql ? plan::SqlDialect::kMySql : plan::SqlDialect::kSqlite;
  auto tokens = plan::Lex(text, options);
  if (!tokens.ok()) return false;
  return std::any_of(tokens->begin(), tokens->end(), [](const plan::Token& t) { return t.Is("LIMIT"); });
}

}  // namespace cutover::lint
