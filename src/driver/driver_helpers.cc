#include "driver/driver_helpers.h"

#include <algorithm>
#include <cctype>
#include <cstdlib>
#include <set>
#include <string>
#include <vector>

#include "base/strings.h"

namespace cutover {
namespace {

bool IsWordChar(char c) {
  return std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '$' ||
         static_cast<unsigned char>(c) >= 0x80;
}

// The end (one past the closing quote) of the quoted text starting at s[i].
size_t QuotedEnd(std::string_view s, size_t i, bool backslash) {
  const char quote = s[i];
  size_t j = i + 1;
  while (j < s.size()) {
    if (s[j] == quote) {
      if (j + 1 < s.size() && s[j + 1] == quote) {
        j += 2;
        continue;
      }
      return j + 1;
    }
    if (backslash && s[j] == '\\') ++j;
    ++j;
  }
  return s.size();
}

bool IsSessionSetting(const std::vector<std::string>& t) {
  if (t.empty() || ToUpper(t[0]) != "SET") return false;
  return t.size() < 2 || ToUpper(t[1]) != "CONSTRAINTS";
}

// Reads a possibly qualified name at t[i]: its normalized text (quotes
// removed, unquoted parts lower-cased); advances i.
std::string ReadName(const std::vector<std::string>& t, size_t& i) {
  std::string name;
  while (i < t.size()) {
    const std::string& part = t[i];
    if (part.empty()) break;
    if (part[0] == '"' || part[0] == '`') {
      const std::string inner = part.substr(1, part.size() >= 2 ? part.size() - 2 : 0);
      for (size_t j = 0; j < inner.size(); ++j) {
        name += inner[j];
        if (inner[j] == part[0] && j + 1 < inner.size() && inner[j + 1] == part[0]) ++j;  // doubled quote
      }
    } else if (std::isalnum(static_cast<unsigned char>(part[0])) || part[0] == '_') {
      name += ToLower(part);
    } else {
      break;
    }
    ++i;
    if (i < t.size() && t[i] == ".") {
      name += '.';
      ++i;
    } else {
      break;
    }
  }
  return name;
}

StatementClass CreateIndex(const std::vector<std::string>& t) {
  size_t i = 0;
  while (i < t.size() && ToUpper(t[i]) != "ON") ++i;
  if (i == t.size()) return {};
  ++i;
  if (i < t.size() && ToUpper(t[i]) == "ONLY") ++i;
  StatementClass c;
  c.table = ReadName(t, i);
  if (c.table.empty()) return {};
  c.kind = StatementClass::Kind::kIndexBuild;
  return c;
}

// ALTER TABLE [ONLY] t whose every clause adds a primary key, unique
// constraint or key; `limit` tokens were read, so a full vector may be cut.
StatementClass AlterTableAddKeys(const std::vector<std::string>& t, size_t limit) {
  size_t i = 2;
  if (ToUpper(t[i]) == "ONLY") ++i;
  StatementClass c;
  c.table = ReadName(t, i);
  if (c.table.empty() || t.size() == limit) return {};
  bool any = false;
  while (i < t.size()) {
    if (ToUpper(t[i]) != "ADD") return {};
    ++i;
    if (i < t.size() && ToUpper(t[i]) == "CONSTRAINT") i += 2;  // CONSTRAINT name
    if (i >= t.size()) return {};
    const std::string kind = ToUpper(t[i]);
    if (kind != "PRIMARY" && kind != "UNIQUE" && kind != "KEY" && kind != "INDEX") return {};
    any = true;
    for (; i < t.size() && t[i] != ","; ++i) {
      // Not index builds: exclusion constraints, foreign keys.
      const std::string u = ToUpper(t[i]);
      if (u == "FOREIGN" || u == "REFERENCES" || u == "EXCLUDE" || u == "CHECK") return {};
    }
    if (i < t.size()) ++i;
  }
  if (!any) return {};
  c.kind = StatementClass::Kind::kIndexBuild;
  c.exclusive = true;
  return c;
}

}  // namespace

std::vector<std::string> TopLevelTokens(std::string_view s, size_t limit, const QuotingRules& rules) {
  std::vector<std::string> out;
  int depth = 0;
  size_t i = 0;
  while (i < s.size() && out.size() < limit) {
    const char c = s[i];
    if (std::isspace(static_cast<unsigned char>(c))) {
      ++i;
    } else if (c == '-' && i + 1 < s.size() && s[i + 1] == '-') {
      while (i < s.size() && s[i] != '\n') ++i;
    } else if (c == '/' && i + 1 < s.size() && s[i + 1] == '*') {
      size_t end = s.find("*/", i + 2);
      i = end == std::string_view::npos ? s.size() : end + 2;
    } else if (c == '"' || c == '`' || c == '\'') {
      const bool e_string = c == '\'' && rules.escape_string_prefix && !out.empty() && i > 0 &&
                            (s[i - 1] == 'E' || s[i - 1] == 'e') && (out.back() == "E" || out.back() == "e");
      const size_t end = QuotedEnd(s, i, c == '\'' && (rules.backslash_escapes || e_string));
      if (e_string && depth == 0) out.pop_back();  // the prefix belongs to the string
      if (depth == 0) out.emplace_back(s.substr(e_string ? i - 1 : i, end - (e_string ? i - 1 : i)));
      i = end;
    } else if (c == '(') {
      ++depth;
      ++i;
    } else if (c == ')') {
      --depth;
      ++i;
    } else if (IsWordChar(c)) {
      size_t j = i;
      while (j < s.size() && IsWordChar(s[j])) ++j;
      if (depth == 0) out.emplace_back(s.substr(i, j - i));
      i = j;
    } else {
      if (depth == 0) out.emplace_back(1, c);
      ++i;
    }
  }
  return out;
}

StatementClass ClassifyCommonStatement(std::string_view statement, const QuotingRules& rules) {
  constexpr size_t kLimit = 64;
  const std::vector<std::string> t = TopLevelTokens(statement, kLimit, rules);
  if (IsSessionSetting(t)) return {StatementClass::Kind::kSessionSetting, {}, false};
  if (t.size() < 4) return {};
  const std::string a = ToUpper(t[0]), b = ToUpper(t[1]);
  if (a == "CREATE" && (b == "INDEX" || (b == "UNIQUE" && ToUpper(t[2]) == "INDEX"))) return CreateIndex(t);
  if (a == "ALTER" && b == "TABLE") return AlterTableAddKeys(t, kLimit);
  return {};
}

}  // namespace cutover

namespace cutover {

Result<std::vector<std::string>> NotListedBy(Connection& conn, const std::string& list_sql,
                                             const std::vector<std::string>& wanted) {
  std::vector<std::string> listed;
  Status st = conn.Query(list_sql, [&](RowView row) {
    listed.emplace_back(row[0].data);
    return Status::Ok();
  });
  if (!st.ok()) return st;
  std::sort(listed.begin(), listed.end());
  std::vector<std::string> missing;
  for (const std::string& name : wanted) {
    if (!std::binary_search(listed.begin(), listed.end(), name)) missing.push_back(name);
  }
  return missing;
}

Result<bool> CountsAny(Connection& conn, const std::string& count_sql) {
  bool any = false;
  Status st = conn.Query(count_sql, [&](RowView row) {
    any = row.size() == 1 && !row[0].is_null() && row[0].data != "0";
    return Status::Ok();
  });
  if (!st.ok()) return st;
  return any;
}

}  // namespace cutover

namespace cutover {
namespace {

// Reserved words that cannot name a table unquoted in any of the engines,
// plus the statement words every migration uses. Kept short on purpose: a
// keyword taken for a name only costs an unused name (the caller matches
// names against real tables); a name taken for a keyword would hide a table.
const std::set<std::string, std::less<>>& Keywords() {
  static const std::set<std::string, std::less<>> words = {
      "ADD",    "ALL",      "ALTER",   "AND",     "AS",      "ASC",        "BEGIN",        "BETWEEN",
      "BY",     "CASCADE",  "CASE",    "CHECK",   "COLUMN",  "COMMIT",     "CONCURRENTLY", "CONSTRAINT",
      "CREATE", "CROSS",    "DEFAULT", "DELETE",  "DESC",    "DISTINCT",   "DROP",         "ELSE",
      "END",    "EXISTS",   "FALSE",   "FOREIGN", "FROM",    "FULL",       "GROUP",        "HAVING",
      "IF",     "IN",       "INDEX",   "INNER",   "INSERT",  "INTO",       "IS",           "JOIN",
      "KEY",    "LEFT",     "LIKE",    "LIMIT",   "NOT",     "NULL",       "OFFSET",       "ON",
      "ONLY",   "OR",       "ORDER",   "OUTER",   "PRIMARY", "REFERENCES", "RENAME",       "RESTRICT",
      "RIGHT",  "ROLLBACK", "SELECT",  "SET",     "TABLE",   "THEN",       "TO",           "TRANSACTION",
      "TRUE",   "UNION",    "UNIQUE",  "UPDATE",  "USING",   "VALUES",     "WHEN",         "WHERE",
      "WITH"};
  return words;
}

// One lexical piece of a statement for IdentifierChains.
struct NameToken {
  enum class Kind { kName, kQuotedName, kDot, kOther } kind;
  std::string text;  // kName: as written; kQuotedName: unquoted
};

std::string Unquote(std::string_view quoted) {
  const char open = quoted.front();
  const char close = open == '[' ? ']' : open;
  std::string out;
  for (size_t i = 1; i < quoted.size(); ++i) {
    if (quoted[i] == close) {
      if (open != '[' && i + 1 < quoted.size() && quoted[i + 1] == close) {  // doubled quote
        out += close;
        ++i;
        continue;
      }
      break;
    }
    out += quoted[i];
  }
  return out;
}

// The end of a PostgreSQL dollar-quoted string starting at s[i] ('$'), or
// npos when s[i] does not open one.
size_t DollarQuoteEnd(std::string_view s, size_t i) {
  size_t j = i + 1;
  while (j < s.size() && (std::isalnum(static_cast<unsigned char>(s[j])) || s[j] == '_')) ++j;
  if (j >= s.size() || s[j] != '$' || (j > i + 1 && std::isdigit(static_cast<unsigned char>(s[i + 1]))))
    return std::string_view::npos;
  const std::string_view tag = s.substr(i, j - i + 1);
  const size_t close = s.find(tag, j + 1);
  return close == std::string_view::npos ? s.size() : close + tag.size();
}

std::vector<NameToken> NameTokens(std::string_view s, const QuotingRules& rules) {
  std::vector<NameToken> out;
  size_t i = 0;
  auto other = [&]() { out.push_back({NameToken::Kind::kOther, {}}); };
  while (i < s.size()) {
    const char c = s[i];
    if (std::isspace(static_cast<unsigned char>(c))) {
      ++i;
    } else if (c == '-' && i + 1 < s.size() && s[i + 1] == '-') {
      while (i < s.size() && s[i] != '\n') ++i;
    } else if (c == '#' && rules.hash_comments) {
      while (i < s.size() && s[i] != '\n') ++i;
    } else if (c == '/' && i + 1 < s.size() && s[i + 1] == '*') {
      const size_t end = s.find("*/", i + 2);
      i = end == std::string_view::npos ? s.size() : end + 2;
    } else if (c == '\'' || (c == '"' && rules.double_quote_strings)) {
      const bool e = c == '\'' && rules.escape_string_prefix && i > 0 &&
                     (s[i - 1] == 'E' || s[i - 1] == 'e') && !out.empty() &&
                     out.back().kind == NameToken::Kind::kName &&
                     (out.back().text == "E" || out.back().text == "e");
      if (e) out.pop_back();
      i = QuotedEnd(s, i, rules.backslash_escapes || e);
      other();
    } else if (c == '"' || c == '`' || (c == '[' && rules.bracket_identifiers)) {
      size_t end = QuotedEnd(s, i, false);
      if (c == '[') end = s.find(']', i) == std::string_view::npos ? s.size() : s.find(']', i) + 1;
      out.push_back({NameToken::Kind::kQuotedName, Unquote(s.substr(i, end - i))});
      i = end;
    } else if (c == '$' && rules.dollar_quotes && DollarQuoteEnd(s, i) != std::string_view::npos) {
      i = DollarQuoteEnd(s, i);
      other();
    } else if (c == '.') {
      out.push_back({NameToken::Kind::kDot, {}});
      ++i;
    } else if (IsWordChar(c) && c != '$') {
      size_t j = i;
      while (j < s.size() && IsWordChar(s[j])) ++j;
      const bool number = std::isdigit(static_cast<unsigned char>(c));
      out.push_back(
          {number ? NameToken::Kind::kOther : NameToken::Kind::kName, std::string(s.substr(i, j - i))});
      i = j;
    } else {
      ++i;
      while (c == '$' && i < s.size() && std::isdigit(static_cast<unsigned char>(s[i]))) ++i;  // $1
      other();
    }
  }
  return out;
}

}  // namespace

std::vector<std::string> IdentifierChains(std::string_view statement, const QuotingRules& rules,
                                          IdentifierFolding folding) {
  const std::vector<NameToken> t = NameTokens(statement, rules);
  std::vector<std::string> out;
  std::set<std::string> seen;
  auto is_name = [&](size_t k) {
    return k < t.size() && (t[k].kind == NameToken::Kind::kName || t[k].kind == NameToken::Kind::kQuotedName);
  };
  size_t i = 0;
  while (i < t.size()) {
    if (!is_name(i)) {
      ++i;
      continue;
    }
    std::string chain;
    size_t parts = 0;
    bool lone_keyword = false;
    while (is_name(i)) {
      const NameToken& p = t[i];
      if (parts++ > 0) chain += '.';
      const bool quoted = p.kind == NameToken::Kind::kQuotedName;
      lone_keyword = !quoted && Keywords().count(ToUpper(p.text)) > 0;
      chain += quoted || folding == IdentifierFolding::kNone ? p.text : ToLower(p.text);
      ++i;
      if (i + 1 < t.size() && t[i].kind == NameToken::Kind::kDot && is_name(i + 1)) {
        ++i;
      } else {
        break;
      }
    }
    if (parts == 1 && lone_keyword) continue;
    if (seen.insert(chain).second) out.push_back(std::move(chain));
  }
  return out;
}

std::string QuotedTable(const Connection& conn, const TableId& table) {
  const std::string name = conn.QuoteIdentifier(table.name);
  return table.schema.empty() ? name : conn.QuoteIdentifier(table.schema) + "." + name;
}

Status CountRowsWithoutEstimate(Connection& conn, std::vector<TableRowEstimate>& estimates) {
  for (TableRowEstimate& e : estimates) {
    if (e.rows >= 0) continue;
    Status counted = conn.Query("SELECT count(*) FROM " + QuotedTable(conn, e.table),
                                [&](RowView row) {
                                  e.rows = std::atoll(std::string(row[0].data).c_str());
                                  return Status::Ok();
                                },
                                {});
    if (!counted.ok()) return counted.WithContext("counting the rows of " + e.table.Display());
    e.exact = true;
  }
  return Status::Ok();
}

Result<ProbeStatements> BuildProbeStatements(Connection& conn, const std::string& table,
                                             const std::vector<ProbeColumn>& columns,
                                             std::string_view random_function, int keys) {
  ProbeStatements out;
  std::vector<std::string> key_columns;
  for (const ProbeColumn& c : columns) {
    if (c.key) key_columns.push_back(conn.QuoteIdentifier(c.name));
  }
  const std::string first_row = "SELECT * FROM " + table + " LIMIT 1";
  if (key_columns.empty()) {
    out.reads.push_back(first_row);
    out.notes.push_back("no primary key: reads take the first row, and there are no write probes");
    return out;
  }
  std::vector<std::string> where;  // one "k1 = v AND k2 = w" per sampled row
  bool skipped = false;
  Status st = conn.Query("SELECT " + Join(key_columns, ", ") + " FROM " + table + " ORDER BY " +
                             std::string(random_function) + " LIMIT " + std::to_string(std::max(keys, 1)),
                         [&](RowView row) {
                           std::string w;
                           for (size_t k = 0; k < row.size() && k < key_columns.size(); ++k) {
                             if (row[k].is_null() || row[k].type == CellType::kBlob) {
                               skipped = true;
                               return Status::Ok();
                             }
                             w +=
                                 (k ? " AND " : "") + key_columns[k] + " = " + conn.QuoteLiteral(row[k].data);
                           }
                           where.push_back(std::move(w));
                           return Status::Ok();
                         },
                         {});
  if (!st.ok()) return st.WithContext("sampling keys of " + table + " for probes");
  if (skipped) out.notes.push_back("keys that are NULL or binary were not sampled");
  if (where.empty()) {
    out.reads.push_back(first_row);
    out.notes.push_back("no row to sample: reads look for a first row, and there are no write probes");
    return out;
  }
  for (const std::string& w : where) out.reads.push_back("SELECT * FROM " + table + " WHERE " + w);
  // Non-key columns first: updating a key can fire foreign-key checks.
  std::vector<const ProbeColumn*> candidates;
  for (const ProbeColumn& c : columns) {
    if (c.writable && !c.key) candidates.push_back(&c);
  }
  for (const ProbeColumn& c : columns) {
    if (c.writable && c.key) candidates.push_back(&c);
  }
  std::string last_error = "no column can be set (every column is generated)";
  for (size_t n = 0; n < candidates.size() && n < 3; ++n) {
    const std::string col = conn.QuoteIdentifier(candidates[n]->name);
    const std::string update = "UPDATE " + table + " SET " + col + " = " + col + " WHERE ";
    Status trial = conn.Begin();
    if (trial.ok()) trial = conn.Execute(update + where.front(), {}).status();
    Status undo = conn.Rollback();
    if (!undo.ok()) return undo.WithContext("rolling back the trial write probe on " + table);
    if (trial.ok()) {
      for (const std::string& w : where) out.writes.push_back(update + w);
      return out;
    }
    last_error = trial.message();
  }
  out.notes.push_back("no write probes: " + last_error);
  return out;
}

}  // namespace cutover
