#include "driver/driver_helpers.h"

#include <cctype>

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
