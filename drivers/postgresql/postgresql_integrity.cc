// PostgreSQL integrity checks (amcheck: bt_index_check on every btree
// index, verify_heapam on every table where available) and the emptiness
// test of a restore target.
#include <libpq-fe.h>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdlib>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "base/strings.h"
#include "base/uri.h"
#include "postgresql_internal.h"

namespace cutover::postgresql {

Result<bool> PgConnection::IsEmptyDatabase() {
  CUTOVER_RETURN_IF_ERROR(CheckUsable());
  CUTOVER_RETURN_IF_ERROR(CheckNotAborted("IsEmptyDatabase()"));
  // Anything in a user schema (relations, routines, types, operators, text
  // search objects...), any schema but public, any extension but plpgsql,
  // and the database-wide objects a dump would recreate.
  static constexpr const char* kUser = "n.nspname <> 'information_schema' AND n.nspname NOT LIKE 'pg\\_%'";
  std::string sql =
      "SELECT (SELECT count(*) FROM pg_catalog.pg_namespace n WHERE n.nspname <> 'public' AND " +
      std::string(kUser) + ")";
  const std::vector<std::pair<const char*, const char*>> in_schemas = {
      {"pg_class", "relnamespace"},        {"pg_proc", "pronamespace"},
      {"pg_type", "typnamespace"},         {"pg_collation", "collnamespace"},
      {"pg_operator", "oprnamespace"},     {"pg_opfamily", "opfnamespace"},
      {"pg_conversion", "connamespace"},   {"pg_ts_config", "cfgnamespace"},
      {"pg_ts_dict", "dictnamespace"},     {"pg_ts_parser", "prsnamespace"},
      {"pg_ts_template", "tmplnamespace"}, {"pg_statistic_ext", "stxnamespace"}};
  for (const auto& [catalog, column] : in_schemas) {
    sql += std::string(" + (SELECT count(*) FROM pg_catalog.") + catalog +
           " x JOIN pg_catalog.pg_namespace n ON n.oid = x." + column + " WHERE " + kUser + ")";
  }
  sql +=
      " + (SELECT count(*) FROM pg_catalog.pg_extension WHERE extname <> 'plpgsql')"
      " + (SELECT count(*) FROM pg_catalog.pg_event_trigger)"
      " + (SELECT count(*) FROM pg_catalog.pg_foreign_data_wrapper)"
      " + (SELECT count(*) FROM pg_catalog.pg_foreign_server)"
      " + (SELECT count(*) FROM pg_catalog.pg_publication)";
  return Guarded("checking whether " + display_ + " is empty", [&]() -> Result<bool> {
    pqxx::result r = nt_->exec(sql);
    return std::atoll(r[0][0].c_str()) == 0;
  });
}

Result<std::vector<std::string>> PgConnection::CheckIntegrity(std::string* checks_run) {
  CUTOVER_RETURN_IF_ERROR(CheckUsable());
  if (in_tx_) {
    return Status::InvalidInput(
        "CheckIntegrity() on " + display_ +
        " runs each check in a transaction of its own; end the open transaction first");
  }
  const std::string what = "checking the integrity of " + display_;
  std::string schema;
  bool heapam = false;
  Status ready = Guarded(what, [&]() -> Status {
    pqxx::result r = nt_->exec(
        "SELECT (SELECT default_version FROM pg_catalog.pg_available_extensions WHERE name = 'amcheck'), "
        "(SELECT extname FROM pg_catalog.pg_extension WHERE extname = 'amcheck')");
    if (r[0][0].is_null()) {
      return Status::Unsupported("amcheck is not available on the server of " + display_ +
                                 " (not in pg_available_extensions); install "
                                 "the PostgreSQL contrib modules for PostgreSQL " +
                                 MajorVersionName(info_.version_number) +
                                 " on the server to enable integrity checks");
    }
    if (r[0][1].is_null()) {
      Status created = Guarded(
          what,
          [&] {
            // public rather than the session's search_path, which a restored
            // pg_dump script leaves empty.
            nt_->exec("CREATE EXTENSION IF NOT EXISTS amcheck SCHEMA public");
            return Status::Ok();
          },
          GuardOptions{}.Recognizing([&](const std::exception& e) -> std::optional<Status> {
            return Status::Unsupported("amcheck is available but cannot be created in " + display_ + ": " +
                                       CleanMessage(e.what()) +
                                       "; connect as a user allowed to create extensions (superuser, or the "
                                       "database owner for trusted extensions)");
          }));
      if (!created.ok()) return created;
    }
    pqxx::result s = nt_->exec(
        "SELECT n.nspname, EXISTS (SELECT 1 FROM pg_catalog.pg_proc p WHERE p.pronamespace = n.oid AND "
        "p.proname = 'verify_heapam') FROM pg_catalog.pg_extension e JOIN pg_catalog.pg_namespace n ON "
        "n.oid = "
        "e.extnamespace WHERE e.extname = 'amcheck'");
    schema = QuoteIdent(s[0][0].c_str());
    heapam = std::string_view(s[0][1].c_str()) == "t";
    return Status::Ok();
  });
  if (!ready.ok()) return ready;
  struct Rel {
    std::string oid;
    std::string name;
  };
  auto list = [&](const std::string& sql) {
    std::vector<Rel> rels;
    pqxx::result r = nt_->exec(sql);
    for (const auto& row : r) rels.push_back({row[0].c_str(), QualifiedName(row[1].c_str(), row[2].c_str())});
    return rels;
  };
  static constexpr const char* kUser =
      " AND n.nspname <> 'information_schema' AND n.nspname NOT LIKE 'pg\\_%' AND c.relpersistence <> 't' ";
  std::vector<Rel> indexes;
  std::vector<Rel> tables;
  Status listed = Guarded(what, [&] {
    indexes =
        list(std::string("SELECT c.oid, n.nspname, c.relname FROM pg_catalog.pg_index i "
                         "JOIN pg_catalog.pg_class c ON c.oid = i.indexrelid "
                         "JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace "
                         "JOIN pg_catalog.pg_am am ON am.oid = c.relam "
                         "WHERE c.relkind = 'i' AND am.amname = 'btree' AND i.indisvalid AND i.indisready") +
             kUser + "ORDER BY n.nspname COLLATE \"C\", c.relname COLLATE \"C\"");
    if (heapam) {
      tables = list(std::string("SELECT c.oid, n.nspname, c.relname FROM pg_catalog.pg_class c "
                                "JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace "
                                "WHERE c.relkind IN ('r', 'm') AND c.relispopulated") +
                    kUser + "ORDER BY n.nspname COLLATE \"C\", c.relname COLLATE \"C\"");
    }
    return Status::Ok();
  });
  if (!listed.ok()) return listed;
  std::vector<std::string> problems;
  constexpr size_t kPerRelation = 100;
  // One statement per relation, each its own transaction: a corrupt index
  // raises an error that must not stop the other checks.
  // A check that fails with a server error is a problem found; any other
  // failure (the connection lost) ends the checks.
  auto problem_from = [&](const std::string& label) {
    return GuardOptions{}.Recognizing([&, label](const std::exception& e) -> std::optional<Status> {
      if (!IsServerError(e) || !conn_->is_open()) return std::nullopt;
      problems.push_back(label + ": " + CleanMessage(e.what()));
      return Status::Ok();
    });
  };
  for (const Rel& idx : indexes) {
    Status checked = Guarded(
        what,
        [&] {
          nt_->exec("SELECT " + schema + ".bt_index_check(" + idx.oid + "::pg_catalog.regclass)");
          return Status::Ok();
        },
        problem_from("index " + idx.name));
    if (!checked.ok()) return checked;
  }
  for (const Rel& t : tables) {
    Status checked = Guarded(
        what,
        [&] {
          pqxx::result r = nt_->exec("SELECT blkno, offnum, attnum, msg FROM " + schema + ".verify_heapam(" +
                                     t.oid + "::pg_catalog.regclass, check_toast => true)");
          size_t n = 0;
          for (const auto& row : r) {
            if (++n > kPerRelation) break;
            std::string where = "block " + std::string(row[0].c_str());
            if (!row[1].is_null()) where += ", offset " + std::string(row[1].c_str());
            if (!row[2].is_null()) where += ", attribute " + std::string(row[2].c_str());
            problems.push_back("table " + t.name + ": " + where + ": " + std::string(row[3].c_str()));
          }
          if (r.size() > kPerRelation) {
            problems.push_back("table " + t.name + ": " + std::to_string(r.size() - kPerRelation) +
                               " more problems not listed");
          }
          return Status::Ok();
        },
        problem_from("table " + t.name));
    if (!checked.ok()) return checked;
  }
  if (checks_run != nullptr) {
    *checks_run = "amcheck: " + std::to_string(indexes.size()) + " btree indexes (bt_index_check)";
    *checks_run += heapam ? ", " + std::to_string(tables.size()) + " tables (verify_heapam)"
                          : "; tables not checked (verify_heapam needs amcheck 1.3, PostgreSQL 14)";
  }
  return problems;
}

}  // namespace cutover::postgresql
