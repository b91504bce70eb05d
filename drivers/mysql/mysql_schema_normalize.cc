// Normalization of MySQL/MariaDB catalog text (see mysql_internal.h).
//
// Catalog text differs between MariaDB and MySQL 8 and between spellings of
// the same definition. Everything here maps both to one form, close to what
// MariaDB prints, so that equal schemas give byte-identical attributes.
#include <cctype>
#include <optional>
#include <string>
#include <string_view>

#include "base/strings.h"
#include "mysql_internal.h"

namespace cutover::mysql {
namespace {

bool IsIdentChar(char c) {
  auto u = static_cast<unsigned char>(c);
  return std::isalnum(u) || c == '_' || c == '$' || u >= 0x80;
}

char Lower(char c) {
  return static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
}

// Copies the quoted literal starting at s[i] (quote char s[i]) to out and
// returns the index after it. Handles doubled quotes and backslash escapes.
size_t CopyLiteral(std::string_view s, size_t i, std::string& out) {
  char q = s[i];
  out += q;
  ++i;
  while (i < s.size()) {
    char c = s[i];
    if (c == '\\' && q != '`' && i + 1 < s.size()) {
      out += c;
      out += s[i + 1];
      i += 2;
      continue;
    }
    out += c;
    ++i;
    if (c == q) {
      if (i < s.size() && s[i] == q) {
        out += q;
        ++i;
        continue;
      }
      return i;
    }
  }
  return i;
}

// Reads a backquoted identifier starting at s[i]; stores its unescaped
// content and returns the index after the closing backquote.
size_t ReadBackquoted(std::string_view s, size_t i, std::string& content) {
  ++i;
  while (i < s.size()) {
    if (s[i] == '`') {
      if (i + 1 < s.size() && s[i + 1] == '`') {
        content += '`';
        i += 2;
        continue;
      }
      return i + 1;
    }
    content += s[i++];
  }
  return i;
}

bool IsSimpleIdentifier(std::string_view name) {
  if (name.empty()) return false;
  bool all_digits = true;
  for (char c : name) {
    if (!IsIdentChar(c)) return false;
    if (!std::isdigit(static_cast<unsigned char>(c))) all_digits = false;
  }
  return !all_digits;
}

// MySQL 8 prints string literals in CHECK_CLAUSE / GENERATION_EXPRESSION with
// backslash-escaped quotes (_utf8mb4\'a\'). Undo that when the first quote of
// the text is escaped.
std::string UnescapeCatalogQuotes(std::string_view s) {
  size_t q = s.find('\'');
  if (q == std::string_view::npos || q == 0 || s[q - 1] != '\\') return std::string(s);
  std::string out;
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '\\' && i + 1 < s.size() && (s[i + 1] == '\'' || s[i + 1] == '\\')) {
      out += s[++i];
    } else {
      out += s[i];
    }
  }
  return out;
}

// Removes a charset introducer (_utf8mb4, _latin1, _binary) that ends `out`;
// returns whether there was one.
bool DropTrailingIntroducer(std::string& out) {
  size_t k = out.size();
  while (k > 0 && (std::isalnum(static_cast<unsigned char>(out[k - 1])))) --k;
  if (k == 0 || k == out.size() || out[k - 1] != '_') return false;
  size_t underscore = k - 1;
  if (underscore > 0 && IsIdentChar(out[underscore - 1])) return false;
  out.erase(underscore);
  return true;
}

// Index of the parenthesis closing the one at s[open], or npos.
size_t MatchingParen(std::string_view s, size_t open) {
  int depth = 0;
  for (size_t i = open; i < s.size(); ++i) {
    char c = s[i];
    if (c == '\'' || c == '"' || c == '`') {
      std::string ignored;
      i = CopyLiteral(s, i, ignored) - 1;
      continue;
    }
    if (c == '(') ++depth;
    if (c == ')' && --depth == 0) return i;
  }
  return std::string_view::npos;
}

// current_timestamp / CURRENT_TIMESTAMP(3) / now() -> current_timestamp() /
// current_timestamp(3), for defaults and ON UPDATE clauses.
std::string NormalizeTimestampFunction(std::string v) {
  for (std::string_view name : {"current_timestamp", "localtimestamp", "localtime", "now"}) {
    if (v == name) return "current_timestamp()";
    if (StartsWith(v, std::string(name) + "(") && EndsWith(v, ")")) {
      std::string arg = v.substr(name.size() + 1, v.size() - name.size() - 2);
      return "current_timestamp(" + (arg == "0" ? std::string() : arg) + ")";
    }
  }
  return v;
}

}  // namespace

std::string LowerOutsideStrings(std::string_view sql) {
  std::string out;
  out.reserve(sql.size());
  for (size_t i = 0; i < sql.size();) {
    char c = sql[i];
    if (c == '\'' || c == '"') {
      i = CopyLiteral(sql, i, out);
    } else {
      out += Lower(c);
      ++i;
    }
  }
  return out;
}

std::string NormalizeExpression(std::string_view input, Flavor flavor) {
  std::string expr = flavor == Flavor::kMySql ? UnescapeCatalogQuotes(input) : std::string(input);
  std::string_view s = expr;
  std::string out;
  out.reserve(s.size());
  bool pending_space = false;
  auto emit_space_before = [&] {
    if (pending_space && !out.empty()) out += ' ';
    pending_space = false;
  };
  for (size_t i = 0; i < s.size();) {
    char c = s[i];
    if (std::isspace(static_cast<unsigned char>(c))) {
      pending_space = true;
      ++i;
      continue;
    }
    if (c == '\'' || c == '"') {
      // _utf8mb4'x' (MySQL) is 'x' (MariaDB); b'1', x'ff' keep their prefix.
      if (DropTrailingIntroducer(out)) pending_space = false;
      emit_space_before();
      i = CopyLiteral(s, i, out);
      continue;
    }
    if (c == '`') {
      std::string name;
      i = ReadBackquoted(s, i, name);
      name = ToLower(name);
      emit_space_before();
      if (IsSimpleIdentifier(name)) {
        out += name;
      } else {
        out += QuoteIdent(name);
      }
      continue;
    }
    emit_space_before();
    out += Lower(c);
    ++i;
  }
  // Remove redundant outer parentheses: "(a > 0)" -> "a > 0".
  while (out.size() >= 2 && out.front() == '(' && MatchingParen(out, 0) == out.size() - 1) {
    out = out.substr(1, out.size() - 2);
  }
  return out;
}

std::string NormalizeColumnType(std::string_view column_type) {
  std::string t = LowerOutsideStrings(Trim(column_type));
  for (std::string_view name : {"tinyint", "smallint", "mediumint", "int", "bigint", "year"}) {
    if (!StartsWith(t, std::string(name) + "(")) continue;
    size_t close = t.find(')');
    if (close == std::string::npos) break;
    std::string width = t.substr(name.size() + 1, close - name.size() - 1);
    std::string rest = t.substr(close + 1);
    if (name == "year") return "year" + rest;
    if (rest.find("zerofill") != std::string::npos) return t;
    if (name == "tinyint" && width == "1") return t;
    return std::string(name) + rest;
  }
  return t;
}

bool IsNumericType(std::string_view t) {
  for (std::string_view name : {"tinyint", "smallint", "mediumint", "int", "bigint", "decimal", "float",
                                "double", "bit", "year", "numeric", "real"}) {
    if (StartsWith(t, name)) {
      if (t.size() == name.size()) return true;
      char next = t[name.size()];
      if (next == '(' || next == ' ') return true;
    }
  }
  return false;
}

std::optional<std::string> NormalizeDefault(const std::optional<std::string>& column_default,
                                            std::string_view normalized_type, std::string_view extra,
                                            Flavor flavor) {
  if (!column_default) return std::nullopt;
  const std::string& v = *column_default;
  if (flavor == Flavor::kMariaDb) {
    // MariaDB: literals are quoted, NULL means "no default", the rest is an
    // expression printed by the server.
    if (v == "NULL") return std::nullopt;
    if (!v.empty() && v[0] == '\'') return v;
    return NormalizeTimestampFunction(NormalizeExpression(v, flavor));
  }
  // MySQL 8: literals unquoted; expressions flagged DEFAULT_GENERATED.
  bool generated = ToLower(extra).find("default_generated") != std::string::npos;
  std::string lowered = ToLower(Trim(v));
  bool timestamp_function =
      StartsWith(lowered, "current_timestamp") && (lowered.size() == 17 || lowered[17] == '(');
  if (generated || timestamp_function) {
    return NormalizeTimestampFunction(NormalizeExpression(v, flavor));
  }
  if (IsNumericType(normalized_type)) return v;
  return QuoteString(v, true);
}

std::optional<std::string> OnUpdateFromExtra(std::string_view extra) {
  std::string lowered = ToLower(extra);
  size_t pos = lowered.find("on update ");
  if (pos == std::string::npos) return std::nullopt;
  std::string rest(Trim(std::string_view(lowered).substr(pos + 10)));
  size_t space = rest.find(' ');
  if (space != std::string::npos) rest = rest.substr(0, space);
  return NormalizeTimestampFunction(rest);
}

std::string NormalizeCollation(std::string_view collation) {
  if (StartsWith(collation, "utf8_")) return "utf8mb3_" + std::string(collation.substr(5));
  if (collation == "utf8") return "utf8mb3";
  return std::string(collation);
}

std::string NormalizeViewDefinition(std::string_view definition, std::string_view database) {
  std::string out;
  out.reserve(definition.size());
  for (size_t i = 0; i < definition.size();) {
    char c = definition[i];
    if (c == '\'' || c == '"') {
      i = CopyLiteral(definition, i, out);
      continue;
    }
    if (c == '`') {
      std::string name;
      size_t next = ReadBackquoted(definition, i, name);
      bool qualifier = next < definition.size() && definition[next] == '.';
      if (qualifier && name == database) {
        i = next + 1;  // drop the current database's qualifier
        continue;
      }
      // Column names are case-insensitive: the last part of a qualified
      // name (`t`.`Col`) and a column alias (AS `Col`) are lower-cased.
      // Table names and aliases keep their case (they may be case-sensitive).
      bool column = !qualifier && !out.empty() && out.back() == '.';
      bool alias = !qualifier && out.size() >= 4 &&
                   EqualsIgnoreCase(std::string_view(out).substr(out.size() - 4), " as ");
      out += QuoteIdent(column || alias ? ToLower(name) : name);
      i = next;
      continue;
    }
    out += c;
    ++i;
  }
  return CollapseSqlWhitespace(out);
}

std::string QuoteIdent(std::string_view name) {
  std::string out = "`";
  for (char c : name) {
    if (c == '`') out += '`';
    out += c;
  }
  out += '`';
  return out;
}

std::string QuoteString(std::string_view value, bool backslash_escapes) {
  std::string out = "'";
  for (char c : value) {
    if (c == '\'') {
      out += "''";
    } else if (backslash_escapes && c == '\\') {
      out += "\\\\";
    } else if (backslash_escapes && c == '\0') {
      out += "\\0";
    } else {
      out += c;
    }
  }
  out += '\'';
  return out;
}

}  // namespace cutover::mysql
