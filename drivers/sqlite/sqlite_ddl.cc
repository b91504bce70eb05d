// DumpSchemaScript() on SQLite: the script that recreates a database's
// schema, from sqlite_schema in creation order.
#include <algorithm>
#include <array>
#include <atomic>
#include <cctype>
#include <cerrno>
#include <charconv>
#include <chrono>
#include <cmath>
#include <cstring>
#include <exception>
#include <filesystem>
#include <functional>
#include <limits>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "base/strings.h"
#include "base/uri.h"
#include "driver/driver.h"
#include "sqlite_ddl_parse.h"
#include "sqlite_internal.h"

namespace cutover::sqlite {
namespace {

// A SQL literal for one result value that reads back as the same value
// with the same storage class.
std::string Literal(sqlite3_stmt* s, int col) {
  switch (sqlite3_column_type(s, col)) {
    case SQLITE_INTEGER: {
      const std::int64_t v = sqlite3_column_int64(s, col);
      // -9223372036854775808 would parse as a REAL.
      if (v == std::numeric_limits<std::int64_t>::min()) return "(-9223372036854775807 - 1)";
      return std::to_string(v);
    }
    case SQLITE_FLOAT: {
      const double v = sqlite3_column_double(s, col);
      if (std::isnan(v)) return "NULL";
      if (std::isinf(v)) return v > 0 ? "1e999" : "-1e999";
      char buf[64];
      auto r = std::to_chars(buf, buf + sizeof buf, v);
      std::string text(buf, r.ptr);
      // Keep it a REAL: "1" would be read as an INTEGER.
      if (text.find_first_of(".eEn") == std::string::npos) text += ".0";
      return text;
    }
    case SQLITE_TEXT: {
      std::string text = ColumnText(s, col);
      if (text.find('\0') == std::string::npos) return QuoteText(text);
      std::string hex = "CAST(X'";
      static const char* digits = "0123456789abcdef";
      for (unsigned char c : text) {
        hex.push_back(digits[c >> 4]);
        hex.push_back(digits[c & 15]);
      }
      return hex + "' AS TEXT)";
    }
    case SQLITE_BLOB: {
      const auto* p = static_cast<const unsigned char*>(sqlite3_column_blob(s, col));
      const int n = sqlite3_column_bytes(s, col);
      std::string hex = "X'";
      static const char* digits = "0123456789abcdef";
      for (int i = 0; i < n; ++i) {
        hex.push_back(digits[p[i] >> 4]);
        hex.push_back(digits[p[i] & 15]);
      }
      return hex + "'";
    }
    default: return "NULL";
  }
}

// sql + ";" so that the terminator can never end up inside a trailing
// "--" comment.
void AppendStatement(std::string& out, std::string_view sql) {
  sql = Trim(sql);
  out.append(sql);
  const std::size_t last_line = sql.rfind('\n');
  const std::string_view tail = last_line == std::string_view::npos ? sql : sql.substr(last_line);
  out += tail.find("--") != std::string_view::npos ? "\n;\n" : ";\n";
}

bool HasAutoincrement(std::string_view create_table) {
  auto tokens = Tokenize(create_table);
  if (!tokens.ok()) return create_table.find("AUTOINCREMENT") != std::string_view::npos;  // cannot happen
  for (const Token& t : *tokens) {
    if (t.kind == TokenKind::kWord && EqualsIgnoreCase(t.text, "AUTOINCREMENT")) return true;
  }
  return false;
}

}  // namespace

Result<SchemaScript> DumpSqliteSchemaScript(sqlite3* db, const std::string& display) {
  CUTOVER_RETURN_IF_ERROR(CheckVirtualTables(db, display));
  const std::string what = display + ": dumping the schema";
  std::set<std::string> shadow;
  CUTOVER_RETURN_IF_ERROR(
      ForEachRow(db, "SELECT name FROM pragma_table_list WHERE schema = 'main' AND type = 'shadow'", what,
                 [&](sqlite3_stmt* s) {
                   shadow.insert(ToLower(ColumnText(s, 0)));
                   return Status::Ok();
                 }));
  auto scalar = [&](const char* sql) -> Result<std::string> {
    std::string value;
    CUTOVER_RETURN_IF_ERROR(ForEachRow(db, sql, what, [&](sqlite3_stmt* s) {
      value = ColumnText(s, 0);
      return Status::Ok();
    }));
    return value;
  };
  auto encoding = scalar("PRAGMA main.encoding");
  if (!encoding.ok()) return encoding.status();
  auto page_size = scalar("PRAGMA main.page_size");
  if (!page_size.ok()) return page_size.status();
  auto auto_vacuum = scalar("PRAGMA main.auto_vacuum");
  if (!auto_vacuum.ok()) return auto_vacuum.status();
  auto user_version = scalar("PRAGMA main.user_version");
  if (!user_version.ok()) return user_version.status();
  auto application_id = scalar("PRAGMA main.application_id");
  if (!application_id.ok()) return application_id.status();

  std::string tables;
  std::string clear_shadow;
  std::string indexes;
  std::string views;
  std::string triggers;
  bool autoincrement = false;
  bool has_sequence = false;
  bool has_stat1 = false;
  // sqlite_schema in rowid order: the order the objects were created in.
  CUTOVER_RETURN_IF_ERROR(
      ForEachRow(db, "SELECT type, name, tbl_name, sql FROM main.sqlite_schema ORDER BY rowid", what,
                 [&](sqlite3_stmt* s) {
                   const std::string type = ColumnText(s, 0);
                   const std::string name = ColumnText(s, 1);
                   const std::string table = ColumnText(s, 2);
                   const auto sql = ColumnOptText(s, 3);
                   if (StartsWith(ToLower(name), "sqlite_")) {
                     has_sequence = has_sequence || EqualsIgnoreCase(name, "sqlite_sequence");
                     has_stat1 = has_stat1 || EqualsIgnoreCase(name, "sqlite_stat1");
                     return Status::Ok();  // SQLite's own: created on demand, filled below
                   }
                   if (!sql) return Status::Ok();  // automatic indexes of UNIQUE / PRIMARY KEY
                   if (type == "table") {
                     if (shadow.count(ToLower(name)) != 0) {
                       // Created by its virtual table with initial rows; emptied so that
                       // the snapshot's rows load exactly.
                       clear_shadow += "DELETE FROM main." + Quote(name) + ";\n";
                       return Status::Ok();
                     }
                     AppendStatement(tables, *sql);
                     autoincrement = autoincrement || HasAutoincrement(*sql);
                   } else if (type == "index") {
                     if (shadow.count(ToLower(table)) == 0) AppendStatement(indexes, *sql);
                   } else if (type == "view") {
                     AppendStatement(views, *sql);
                   } else if (type == "trigger") {
                     AppendStatement(triggers, *sql);
                   }
                   return Status::Ok();
                 }));

  SchemaScript script;
  std::string& pre = script.pre_data;
  pre = "-- cutover SQLite schema, pre-data: tables, created before rows are loaded.\n";
  // File-format settings only take effect on a database without tables.
  if (*encoding != "UTF-8") pre += "PRAGMA encoding = " + QuoteText(*encoding) + ";\n";
  pre += "PRAGMA page_size = " + *page_size + ";\n";
  pre += "PRAGMA auto_vacuum = " + *auto_vacuum + ";\n";
  pre += "BEGIN;\n" + tables + clear_shadow + "COMMIT;\n";

  std::string& post = script.post_data;
  post =
      "-- cutover SQLite schema, post-data: indexes, views and triggers, created after the rows were loaded\n"
      "-- (so loading fires no trigger), then AUTOINCREMENT positions, statistics and header values.\n";
  post += "BEGIN;\n" + indexes + views + triggers;
  if (has_sequence && autoincrement) {
    // Exact positions: loading rows moved them to max(rowid), which may be
    // below where the source had got to.
    post += "DELETE FROM main.sqlite_sequence;\n";
    CUTOVER_RETURN_IF_ERROR(ForEachRow(db, "SELECT name, seq FROM main.sqlite_sequence ORDER BY rowid", what,
                                       [&](sqlite3_stmt* s) {
                                         post += "INSERT INTO main.sqlite_sequence (name, seq) VALUES (" +
                                                 Literal(s, 0) + ", " + Literal(s, 1) + ");\n";
                                         return Status::Ok();
                                       }));
  }
  if (has_stat1) {
    // The planner's statistics (ANALYZE): the restored copy plans queries
    // as the source did. "ANALYZE sqlite_schema" only creates the table.
    std::string rows;
    CUTOVER_RETURN_IF_ERROR(ForEachRow(
        db, "SELECT tbl, idx, stat FROM main.sqlite_stat1 ORDER BY rowid", what, [&](sqlite3_stmt* s) {
          rows += "INSERT INTO main.sqlite_stat1 (tbl, idx, stat) VALUES (" + Literal(s, 0) + ", " +
                  Literal(s, 1) + ", " + Literal(s, 2) + ");\n";
          return Status::Ok();
        }));
    post += "ANALYZE main.sqlite_schema;\nDELETE FROM main.sqlite_stat1;\n" + rows;
  }
  post += "PRAGMA main.user_version = " + *user_version + ";\n";
  post += "PRAGMA main.application_id = " + *application_id + ";\n";
  post += "COMMIT;\n";
  return script;
}

Result<SchemaScript> SqliteConnection::DumpSchemaScript() {
  return Guarded(display_, [&]() -> Result<SchemaScript> {
    return InReadTransaction<SchemaScript>([&] { return DumpSqliteSchemaScript(db_, display_); });
  });
}

}  // namespace cutover::sqlite
