// DumpSchemaScript() on MySQL/MariaDB: SHOW CREATE output for every object
// of the database, made restorable by mysql_ddl_show_create.cc.
#include <algorithm>
#include <atomic>
#include <cctype>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <span>
#include <string>
#include <string_view>
#include <thread>
#include <tuple>
#include <utility>
#include <vector>

#include "base/strings.h"
#include "base/uri.h"
#include "mysql_internal.h"

namespace cutover::mysql {

Result<SchemaScript> MysqlConnection::DumpSchemaScript() {
  CUTOVER_RETURN_IF_ERROR(RequireDatabase("dump the schema of"));
  const std::string what = "dumping the schema of " + display_uri_;
  // SHOW CREATE output depends on sql_mode (quoting, options) and on the
  // time zone (TIMESTAMP defaults): dump and restore under the same ones.
  CUTOVER_RETURN_IF_ERROR(PinDataSession(what));
  SchemaScript script;
  std::string& pre = script.pre_data;
  std::string& post = script.post_data;
  const std::string header = "-- cutover schema script for " + info_.product + " " + info_.version +
                             ", database " + QuoteIdent(ctx_.database) + "\n";
  const std::string save =
      "SET @cutover_saved_sql_mode = @@SESSION.sql_mode, @cutover_saved_time_zone = @@SESSION.time_zone, "
      "@cutover_saved_fk_checks = @@SESSION.foreign_key_checks;\n"
      "SET NAMES utf8mb4;\n";
  const std::string settings = "SET SESSION sql_mode = '" + std::string(kDataSqlMode) +
                               "', SESSION time_zone = '+00:00', SESSION foreign_key_checks = 0;\n";
  const std::string restore =
      "SET SESSION sql_mode = @cutover_saved_sql_mode, SESSION time_zone = @cutover_saved_time_zone, "
      "SESSION foreign_key_checks = @cutover_saved_fk_checks;\n";
  pre = header + "-- pre-data: tables and sequences, without foreign keys\n" + save + settings;
  post = header + "-- post-data: deferred secondary keys, foreign keys, routines, views, triggers, events\n" +
         save + settings;

  CUTOVER_RETURN_IF_ERROR(DumpDatabaseDefaults(what, pre));
  auto objects = ListDumpObjects(what);
  if (!objects.ok()) return objects.status();
  // Sequences first: column defaults may call NEXTVAL on them.
  CUTOVER_RETURN_IF_ERROR(DumpSequences(objects->sequences, pre));
  std::string deferred_keys;
  CUTOVER_RETURN_IF_ERROR(DumpTables(*objects, pre, deferred_keys));
  pre += restore;

  // Foreign keys without validating the loaded rows (foreign_key_checks =
  // 0 lets InnoDB add them in place instead of copying the table);
  // CheckIntegrity looks for orphans instead. Deferred secondary keys
  // first: a foreign key needs an index on its columns and would create
  // one of its own if none existed yet.
  post += deferred_keys;
  // Routines before views (a view may call a function); bodies are not
  // resolved at creation, so routines need no order among themselves.
  CUTOVER_RETURN_IF_ERROR(DumpRoutines(what, post));
  CUTOVER_RETURN_IF_ERROR(DumpViews(objects->views, post));
  CUTOVER_RETURN_IF_ERROR(DumpTriggers(what, post));
  CUTOVER_RETURN_IF_ERROR(DumpEvents(what, post));
  post += restore;
  return script;
}

Status MysqlConnection::DumpDatabaseDefaults(const std::string& what, std::string& pre) {
  auto schemata = Fetch(
      "SELECT DEFAULT_CHARACTER_SET_NAME, DEFAULT_COLLATION_NAME FROM information_schema.SCHEMATA WHERE "
      "SCHEMA_NAME = " +
          DbLiteral(),
      what);
  if (!schemata.ok()) return schemata.status();
  if (!schemata->empty()) {
    pre += "ALTER DATABASE CHARACTER SET " + Col((*schemata)[0], 0) + " COLLATE " + Col((*schemata)[0], 1) +
           ";\n";
  }
  return Status::Ok();
}

Result<MysqlConnection::DumpObjects> MysqlConnection::ListDumpObjects(const std::string& what) {
  auto objects = Fetch(
      "SELECT TABLE_NAME, TABLE_TYPE, ENGINE, CREATE_OPTIONS, DATA_LENGTH FROM information_schema.TABLES "
      "WHERE TABLE_SCHEMA = " +
          DbLiteral(),
      what);
  if (!objects.ok()) return objects.status();
  DumpObjects o;
  for (const TextRow& r : *objects) {
    const std::string type = Col(r, 1);
    if (type == "BASE TABLE" || type == "SYSTEM VERSIONED") {
      o.tables.push_back(Col(r, 0));
      if (type == "BASE TABLE" && Col(r, 2) == "InnoDB" && std::atoll(Col(r, 4).c_str()) > kBulkLoadMaxBytes)
        o.defer_keys.insert(Col(r, 0));
      if (Col(r, 2) == "Aria" && ToLower(Col(r, 3)).find("page_checksum") == std::string::npos) {
        o.implicit_page_checksum.insert(Col(r, 0));
      }
    } else if (type == "VIEW") {
      o.views.push_back(Col(r, 0));
    } else if (type == "SEQUENCE") {
      o.sequences.push_back(Col(r, 0));
    }
  }
  std::sort(o.tables.begin(), o.tables.end());
  std::sort(o.views.begin(), o.views.end());
  std::sort(o.sequences.begin(), o.sequences.end());
  return o;
}

Status MysqlConnection::DumpSequences(const std::vector<std::string>& sequences, std::string& pre) {
  for (const std::string& s : sequences) {
    auto create = ShowCreate("SHOW CREATE SEQUENCE " + QuoteIdent(s), 1, "sequence " + QuoteIdent(s));
    if (!create.ok()) return create.status();
    pre += *create + ";\n";
    auto state = Fetch("SELECT next_not_cached_value, cycle_count FROM " + QuoteIdent(s),
                       "reading the position of sequence " + QuoteIdent(s) + " on " + display_uri_);
    if (!state.ok()) return state.status();
    if (!state->empty()) {
      // is_used = 0: the restored sequence hands out next_not_cached_value
      // next, as the source would after a restart.
      pre +=
          "DO SETVAL(" + QuoteIdent(s) + ", " + Col((*state)[0], 0) + ", 0, " + Col((*state)[0], 1) + ");\n";
    }
  }
  return Status::Ok();
}

Status MysqlConnection::DumpTables(const DumpObjects& objects, std::string& pre, std::string& deferred_keys) {
  std::vector<std::string> foreign_keys, secondary_keys;
  for (const std::string& t : objects.tables) {
    auto create = ShowCreate("SHOW CREATE TABLE " + QuoteIdent(t), 1, "table " + QuoteIdent(t));
    if (!create.ok()) return create.status();
    std::string statement = RemoveDatabaseQualifier(*create, ctx_.database);
    if (objects.implicit_page_checksum.count(t) > 0)
      statement = DropTableOption(statement, "PAGE_CHECKSUM=1");
    auto parts = SplitCreateTable(statement, objects.defer_keys.count(t) > 0);
    if (!parts.ok()) return parts.status().WithContext("table " + QuoteIdent(t));
    pre += parts->create_table + ";\n";
    if (!parts->secondary_keys.empty()) {
      std::vector<std::string> adds;
      for (const std::string& key : parts->secondary_keys) adds.push_back("ADD " + key);
      secondary_keys.push_back("ALTER TABLE " + QuoteIdent(t) + " " + Join(adds, ", ") + ";\n");
    }
    if (!parts->foreign_keys.empty()) {
      std::vector<std::string> adds;
      for (const std::string& fk : parts->foreign_keys) adds.push_back("ADD " + fk);
      foreign_keys.push_back("ALTER TABLE " + QuoteIdent(t) + " " + Join(adds, ", ") + ";\n");
    }
  }
  for (const std::string& keys : secondary_keys) deferred_keys += keys;
  for (const std::string& fk : foreign_keys) deferred_keys += fk;
  return Status::Ok();
}

Status MysqlConnection::DumpRoutines(const std::string& what, std::string& post) {
  auto routines = Fetch(
      "SELECT ROUTINE_NAME, ROUTINE_TYPE, SQL_MODE, CHARACTER_SET_CLIENT, COLLATION_CONNECTION "
      "FROM information_schema.ROUTINES "
      "WHERE ROUTINE_SCHEMA = " +
          DbLiteral() + " AND ROUTINE_TYPE IN ('PROCEDURE', 'FUNCTION')",
      what);
  if (!routines.ok()) return routines.status();
  std::sort(routines->begin(), routines->end(), [](const TextRow& a, const TextRow& b) {
    return std::make_pair(Col(a, 1), Col(a, 0)) < std::make_pair(Col(b, 1), Col(b, 0));
  });
  for (const TextRow& r : *routines) {
    const std::string kind = Col(r, 1);
    auto create = ShowCreate("SHOW CREATE " + kind + " " + QuoteIdent(Col(r, 0)), 2,
                             ToLower(kind) + " " + QuoteIdent(Col(r, 0)));
    if (!create.ok()) return create.status();
    post += ModeLine(Col(r, 2)) + InContext(Col(r, 3), Col(r, 4), DelimitedBlock(*create));
  }
  return Status::Ok();
}

Status MysqlConnection::DumpViews(const std::vector<std::string>& views, std::string& post) {
  std::vector<std::string> view_sql;
  std::vector<std::pair<std::string, std::string>> contexts;
  for (const std::string& v : views) {
    // View, Create View, character_set_client, collation_connection.
    auto rows = Fetch("SHOW CREATE VIEW " + QuoteIdent(v), "reading the definition of view " + QuoteIdent(v));
    if (!rows.ok()) return rows.status();
    if (rows->empty() || rows->front().size() < 4 || !rows->front()[1]) {
      return Status::Query("reading the definition of view " + QuoteIdent(v) + " on " + display_uri_ +
                           ": the server showed none; the user needs SHOW VIEW on the database");
    }
    // Shown by another account than its definer, a view's columns come
    // qualified with the database (`db`.`t`.`c`): unqualified, it restores
    // into a database of another name.
    view_sql.push_back(RemoveDatabaseQualifier(Col(rows->front(), 1), ctx_.database));
    contexts.emplace_back(Col(rows->front(), 2), Col(rows->front(), 3));
  }
  if (!views.empty()) post += "SET SESSION sql_mode = '" + std::string(kDataSqlMode) + "';\n";
  for (size_t i : OrderViews(views, view_sql)) {
    post += InContext(contexts[i].first, contexts[i].second, view_sql[i] + ";\n");
  }
  return Status::Ok();
}

Status MysqlConnection::DumpTriggers(const std::string& what, std::string& post) {
  // Triggers on one table, timing and event fire in creation order.
  auto triggers = Fetch(
      "SELECT TRIGGER_NAME, EVENT_OBJECT_TABLE, ACTION_TIMING, EVENT_MANIPULATION, ACTION_ORDER, SQL_MODE, "
      "CHARACTER_SET_CLIENT, COLLATION_CONNECTION FROM information_schema.TRIGGERS WHERE TRIGGER_SCHEMA = " +
          DbLiteral(),
      what);
  if (!triggers.ok()) return triggers.status();
  std::sort(triggers->begin(), triggers->end(), [](const TextRow& a, const TextRow& b) {
    auto key = [](const TextRow& r) {
      return std::make_tuple(Col(r, 1), Col(r, 2), Col(r, 3), std::atoll(Col(r, 4).c_str()), Col(r, 0));
    };
    return key(a) < key(b);
  });
  std::set<std::string> seen_triggers;
  for (const TextRow& r : *triggers) {
    if (!seen_triggers.insert(Col(r, 0)).second) continue;  // one row per event of a multi-event trigger
    auto create =
        ShowCreate("SHOW CREATE TRIGGER " + QuoteIdent(Col(r, 0)), 2, "trigger " + QuoteIdent(Col(r, 0)));
    if (!create.ok()) return create.status();
    post += ModeLine(Col(r, 5)) + InContext(Col(r, 6), Col(r, 7), DelimitedBlock(*create));
  }
  return Status::Ok();
}

Status MysqlConnection::DumpEvents(const std::string& what, std::string& post) {
  auto events =
      Fetch("SELECT EVENT_NAME FROM information_schema.EVENTS WHERE EVENT_SCHEMA = " + DbLiteral(), what);
  if (!events.ok()) return events.status();
  std::sort(events->begin(), events->end());
  for (const TextRow& r : *events) {
    const std::string name = QuoteIdent(Col(r, 0));
    auto rows =
        Fetch("SHOW CREATE EVENT " + name, "reading the definition of event " + name + " on " + display_uri_);
    if (!rows.ok()) return rows.status();
    if (rows->empty() || rows->front().size() < 4 || !rows->front()[3]) {
      return Status::Query("reading the definition of event " + name + " on " + display_uri_ +
                           ": the server showed none; the user needs the EVENT privilege on the database");
    }
    const TextRow& e = (*rows)[0];
    // The schedule's times are in the event's own time zone.
    // Event, sql_mode, time_zone, Create Event, character_set_client, collation_connection.
    post += "SET SESSION time_zone = " + QuoteString(Col(e, 2), true) + ";\n" + ModeLine(Col(e, 1)) +
            InContext(Col(e, 4), Col(e, 5), DelimitedBlock(Col(e, 3))) +
            "SET SESSION time_zone = '+00:00';\n";
  }
  return Status::Ok();
}

Result<std::string> MysqlConnection::ShowCreate(const std::string& sql, size_t column,
                                                const std::string& object) {
  auto rows = Fetch(sql, "reading the definition of " + object + " on " + display_uri_);
  if (!rows.ok()) return rows.status();
  if (rows->empty() || column >= (*rows)[0].size() || !(*rows)[0][column]) {
    return Status::Query("reading the definition of " + object + " on " + display_uri_ +
                         ": the server showed none; the user needs privileges to see it (SELECT on "
                         "mysql.proc / SHOW CREATE ROUTINE for routines, TRIGGER for triggers)");
  }
  return *(*rows)[0][column];
}

std::string MysqlConnection::ModeLine(const std::string& sql_mode) {
  return "SET SESSION sql_mode = " + QuoteString(sql_mode, true) + ";\n";
}

std::string MysqlConnection::InContext(const std::string& charset_client,
                                       const std::string& collation_connection,
                                       const std::string& statement) {
  const bool utf8 = StartsWith(ToLower(charset_client), "utf8");
  const bool ascii = std::all_of(statement.begin(), statement.end(),
                                 [](char c) { return static_cast<unsigned char>(c) < 0x80; });
  if (charset_client.empty() || collation_connection.empty() || (!utf8 && !ascii)) return statement;
  return "SET SESSION character_set_client = " + QuoteString(charset_client, true) +
         ", SESSION collation_connection = " + QuoteString(collation_connection, true) + ";\n" + statement +
         "SET NAMES utf8mb4;\n";
}

std::string MysqlConnection::DelimitedBlock(const std::string& statement) {
  std::string d = ChooseDelimiter(statement);
  return "DELIMITER " + d + "\n" + statement + " " + d + "\nDELIMITER ;\n";
}

}  // namespace cutover::mysql
