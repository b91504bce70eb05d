#include "postgresql_script_text.h"

#include <algorithm>
#include <cctype>
#include <cstdint>
#include <cstring>
#include <optional>
#include <utility>
#include <vector>

#include "base/strings.h"
#include "base/uri.h"

namespace cutover::postgresql {

namespace {

// The binary stream's header: signature, flags (no OIDs), no extension.
constexpr char kBinarySignature[] = "PGCOPY\n\377\r\n";  // + '\0': 11 bytes
constexpr std::size_t kSignatureBytes = 11;

std::uint32_t ReadBigEndian32(const char* p) {
  const auto* u = reinterpret_cast<const unsigned char*>(p);
  return (std::uint32_t{u[0]} << 24) | (std::uint32_t{u[1]} << 16) | (std::uint32_t{u[2]} << 8) | u[3];
}

std::string TextLineProblem(std::string_view rec) {
  // A record is exactly one COPY line: a missing or inner newline would
  // shift every later row; "\." would end the data early.
  if (rec.empty() || rec.back() != '\n') return "no final newline";
  if (rec == "\\.\n") return "an end-of-data marker";
  if (std::memchr(rec.data(), '\n', rec.size() - 1) != nullptr) return "a newline inside";
  return "";
}

bool IsIdentStart(char c) {
  auto u = static_cast<unsigned char>(c);
  return std::isalpha(u) || c == '_' || u >= 0x80;
}
bool IsIdentChar(char c) {
  return IsIdentStart(c) || std::isdigit(static_cast<unsigned char>(c)) || c == '$';
}

// Length of a dollar-quote tag starting at s[i] == '$' ("$$", "$tag$"), or 0.
size_t DollarTagLength(std::string_view s, size_t i) {
  size_t j = i + 1;
  if (j < s.size() && s[j] == '$') return 2;
  if (j >= s.size() || !IsIdentStart(s[j]) || s[j] == '$') return 0;
  while (j < s.size() && s[j] != '$') {
    if (!IsIdentStart(s[j]) && !std::isdigit(static_cast<unsigned char>(s[j]))) return 0;
    ++j;
  }
  if (j >= s.size()) return 0;
  return j - i + 1;
}

// Skips whitespace and comments from position i; returns the new position.
size_t SkipSpaceAndComments(std::string_view s, size_t i) {
  while (i < s.size()) {
    if (std::isspace(static_cast<unsigned char>(s[i]))) {
      ++i;
    } else if (s.substr(i, 2) == "--") {
      while (i < s.size() && s[i] != '\n') ++i;
    } else if (s.substr(i, 2) == "/*") {
      int depth = 0;
      while (i < s.size()) {
        if (s.substr(i, 2) == "/*") {
          ++depth;
          i += 2;
        } else if (s.substr(i, 2) == "*/") {
          --depth;
          i += 2;
          if (depth == 0) break;
        } else {
          ++i;
        }
      }
    } else {
      break;
    }
  }
  return i;
}

// The index just past the block comment opened at s[i] ("/*", nested
// comments included), or npos when it never closes.
size_t BlockCommentEnd(std::string_view s, size_t i) {
  int depth = 0;
  while (i < s.size()) {
    if (s.substr(i, 2) == "/*") {
      ++depth;
      i += 2;
    } else if (s.substr(i, 2) == "*/") {
      i += 2;
      if (--depth == 0) return i;
    } else {
      ++i;
    }
  }
  return std::string_view::npos;
}

// The index of the quote that closes the quoted text opened at s[open]
// (a doubled quote is part of the text), or s.size() when it never closes.
// With backslash_escapes (E'...'), a backslash escapes the next character.
size_t ClosingQuote(std::string_view s, size_t open, char quote, bool backslash_escapes) {
  size_t j = open + 1;
  while (j < s.size()) {
    if (backslash_escapes && s[j] == '\\') {
      j += 2;
      continue;
    }
    if (s[j] == quote) {
      if (j + 1 < s.size() && s[j + 1] == quote) {
        j += 2;
        continue;
      }
      return j;
    }
    ++j;
  }
  return s.size();
}

}  // namespace

std::vector<ScriptStatement> SplitScript(std::string_view s, Unterminated* unterminated) {
  std::vector<ScriptStatement> out;
  Unterminated open;
  size_t start = 0;  // start of the current statement
  int line = 1;
  int start_line = 1;
  bool started = false;  // a significant character was seen
  int paren_depth = 0;
  int begin_depth = 0;
  // First identifiers of the statement, for CREATE [OR REPLACE] FUNCTION|PROCEDURE.
  std::vector<std::string> first_words;
  bool routine = false;

  auto finish = [&](size_t end) {
    if (started) {
      std::string_view text = Trim(s.substr(start, end - start));
      out.push_back({std::string(text), start_line});
    }
    started = false;
    paren_depth = 0;
    begin_depth = 0;
    first_words.clear();
    routine = false;
  };
  auto mark = [&](size_t i) {
    if (!started) {
      started = true;
      start = i;
      start_line = line;
    }
  };
  auto count_lines = [&](size_t from, size_t to) {
    for (size_t k = from; k < to && k < s.size(); ++k)
      if (s[k] == '\n') ++line;
  };

  size_t i = 0;
  while (i < s.size()) {
    char c = s[i];
    if (c == '\n') {
      ++line;
      ++i;
      continue;
    }
    if (std::isspace(static_cast<unsigned char>(c))) {
      ++i;
      continue;
    }
    if (s.substr(i, 2) == "--") {
      while (i < s.size() && s[i] != '\n') ++i;
      continue;
    }
    if (s.substr(i, 2) == "/*") {
      size_t j = BlockCommentEnd(s, i);
      if (j == std::string_view::npos) {
        open = {"comment", line};
        j = s.size();
      }
      count_lines(i, j);
      i = j;
      continue;
    }
    if (c == ';' && !started) {
      ++i;  // an empty statement
      continue;
    }
    mark(i);
    if (c == ';') {
      if (paren_depth <= 0 && begin_depth <= 0) {
        finish(i);
      }
      ++i;
      continue;
    }
    if (c == '\'') {
      // E'...' allows backslash escapes.
      bool escapes = i > 0 && (s[i - 1] == 'E' || s[i - 1] == 'e') && (i < 2 || !IsIdentChar(s[i - 2]));
      size_t j = ClosingQuote(s, i, '\'', escapes);
      if (j >= s.size()) open = {"string", line};
      count_lines(i, j);
      i = std::min(j + 1, s.size());
      continue;
    }
    if (c == '"') {
      size_t j = ClosingQuote(s, i, '"', false);
      if (j >= s.size()) open = {"quoted identifier", line};
      count_lines(i, j);
      i = std::min(j + 1, s.size());
      continue;
    }
    if (c == '$' && (i == 0 || !IsIdentChar(s[i - 1]))) {
      size_t len = DollarTagLength(s, i);
      if (len > 0) {
        std::string_view tag = s.substr(i, len);
        size_t close = s.find(tag, i + len);
        size_t end = close == std::string_view::npos ? s.size() : close + len;
        if (close == std::string_view::npos) open = {"dollar-quoted string", line};
        count_lines(i, end);
        i = end;
        continue;
      }
    }
    if (c == '(') {
      ++paren_depth;
      ++i;
      continue;
    }
    if (c == ')') {
      --paren_depth;
      ++i;
      continue;
    }
    if (IsIdentStart(c)) {
      size_t j = i;
      while (j < s.size() && IsIdentChar(s[j])) ++j;
      std::string word = ToLower(s.substr(i, j - i));
      if (first_words.size() < 4) {
        first_words.push_back(word);
        const auto& w = first_words;
        routine = w.size() >= 2 && w[0] == "create" &&
                  (w[1] == "function" || w[1] == "procedure" ||
                   (w.size() >= 4 && w[1] == "or" && w[2] == "replace" &&
                    (w[3] == "function" || w[3] == "procedure")));
      }
      if (routine && paren_depth == 0) {
        if (word == "begin") {
          ++begin_depth;
        } else if (word == "case") {
          if (begin_depth >= 1) ++begin_depth;
        } else if (word == "end") {
          if (begin_depth > 0) --begin_depth;
        }
      }
      i = j;
      continue;
    }
    ++i;
  }
  finish(s.size());
  if (unterminated != nullptr) *unterminated = open;
  return out;
}

std::string FirstLine(std::string_view sql, size_t max) {
  size_t i = SkipSpaceAndComments(sql, 0);
  std::string_view rest = sql.substr(i);
  size_t nl = rest.find('\n');
  std::string line(Trim(rest.substr(0, nl)));
  if (line.size() > max) {
    size_t cut = max;
    // Do not cut a UTF-8 sequence in half.
    while (cut > 0 && (static_cast<unsigned char>(line[cut]) & 0xC0) == 0x80) --cut;
    line = line.substr(0, cut) + "...";
  } else if (nl != std::string_view::npos && !Trim(rest.substr(nl)).empty()) {
    line += " ...";
  }
  return line;
}

std::string FirstKeyword(std::string_view sql) {
  size_t i = SkipSpaceAndComments(sql, 0);
  if (i < sql.size() && sql[i] == '(') return "(";
  size_t j = i;
  while (j < sql.size() && IsIdentChar(sql[j])) ++j;
  return ToLower(sql.substr(i, j - i));
}

int TransactionEffect(std::string_view sql) {
  // The first words, lower-cased, comments skipped.
  std::vector<std::string> words;
  size_t i = 0;
  while (words.size() < 4) {
    i = SkipSpaceAndComments(sql, i);
    size_t j = i;
    while (j < sql.size() && IsIdentChar(sql[j])) ++j;
    if (j == i) break;
    words.push_back(ToLower(sql.substr(i, j - i)));
    i = j;
  }
  if (words.empty()) return 0;
  auto has = [&](const char* w) { return std::find(words.begin() + 1, words.end(), w) != words.end(); };
  const std::string& first = words[0];
  if (first == "begin") return 1;
  if (first == "start") return words.size() > 1 && words[1] == "transaction" ? 1 : 0;
  if (first == "commit" || first == "end") {
    if (has("prepared")) return 0;
    if (has("chain") && !has("no")) return 0;
    return -1;
  }
  if (first == "rollback" || first == "abort") {
    if (has("to") || has("prepared")) return 0;
    if (has("chain") && !has("no")) return 0;
    return -1;
  }
  if (first == "prepare") return words.size() > 1 && words[1] == "transaction" ? -1 : 0;
  return 0;
}

std::string QuoteIdent(std::string_view name) {
  std::string out = "\"";
  for (char c : name) {
    if (c == '"') out += '"';
    out += c;
  }
  out += '"';
  return out;
}

std::string QuoteLit(std::string_view value) {
  bool backslash = value.find('\\') != std::string_view::npos;
  std::string out = backslash ? "E'" : "'";
  for (char c : value) {
    if (c == '\'') out += '\'';
    if (c == '\\') out += '\\';
    out += c;
  }
  out += '\'';
  return out;
}

namespace {

void AppendUtf8(std::string& out, unsigned cp) {
  if (cp < 0x80) {
    out += static_cast<char>(cp);
  } else if (cp < 0x800) {
    out += static_cast<char>(0xC0 | (cp >> 6));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  } else if (cp < 0x10000) {
    out += static_cast<char>(0xE0 | (cp >> 12));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  } else {
    out += static_cast<char>(0xF0 | (cp >> 18));
    out += static_cast<char>(0x80 | ((cp >> 12) & 0x3F));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  }
}

std::optional<unsigned> Hex4(std::string_view s, size_t i) {
  if (i + 4 > s.size()) return std::nullopt;
  unsigned v = 0;
  for (size_t k = i; k < i + 4; ++k) {
    char c = s[k];
    v <<= 4;
    if (c >= '0' && c <= '9')
      v |= static_cast<unsigned>(c - '0');
    else if (c >= 'a' && c <= 'f')
      v |= static_cast<unsigned>(c - 'a' + 10);
    else if (c >= 'A' && c <= 'F')
      v |= static_cast<unsigned>(c - 'A' + 10);
    else
      return std::nullopt;
  }
  return v;
}

}  // namespace

std::optional<std::vector<std::string>> ParseJsonStringArray(std::string_view json) {
  std::vector<std::string> items;
  size_t i = 0;
  auto skip_ws = [&] {
    while (i < json.size() && std::isspace(static_cast<unsigned char>(json[i]))) ++i;
  };
  skip_ws();
  if (i >= json.size() || json[i] != '[') return std::nullopt;
  ++i;
  skip_ws();
  if (i < json.size() && json[i] == ']') return items;
  while (true) {
    skip_ws();
    if (i >= json.size() || json[i] != '"') return std::nullopt;
    ++i;
    std::string item;
    while (true) {
      if (i >= json.size()) return std::nullopt;
      char c = json[i];
      if (c == '"') {
        ++i;
        break;
      }
      if (c != '\\') {
        item += c;
        ++i;
        continue;
      }
      if (i + 1 >= json.size()) return std::nullopt;
      char e = json[i + 1];
      i += 2;
      switch (e) {
        case '"': item += '"'; break;
        case '\\': item += '\\'; break;
        case '/': item += '/'; break;
        case 'b': item += '\b'; break;
        case 'f': item += '\f'; break;
        case 'n': item += '\n'; break;
        case 'r': item += '\r'; break;
        case 't': item += '\t'; break;
        case 'u': {
          auto cp = Hex4(json, i);
          if (!cp) return std::nullopt;
          i += 4;
          unsigned code = *cp;
          if (code >= 0xD800 && code < 0xDC00 && json.substr(i, 2) == "\\u") {
            auto low = Hex4(json, i + 2);
            if (low && *low >= 0xDC00 && *low < 0xE000) {
              code = 0x10000 + ((code - 0xD800) << 10) + (*low - 0xDC00);
              i += 6;
            }
          }
          AppendUtf8(item, code);
          break;
        }
        default: return std::nullopt;
      }
    }
    items.push_back(std::move(item));
    skip_ws();
    if (i < json.size() && json[i] == ',') {
      ++i;
      continue;
    }
    if (i < json.size() && json[i] == ']') return items;
    return std::nullopt;
  }
}

std::optional<std::vector<long long>> ParseIntList(std::string_view text) {
  std::vector<long long> out;
  std::string_view t = Trim(text);
  if (!t.empty() && t.front() == '{') {
    if (t.back() != '}') return std::nullopt;
    t = t.substr(1, t.size() - 2);
  }
  size_t i = 0;
  while (i < t.size()) {
    char c = t[i];
    if (c == ' ' || c == ',') {
      ++i;
      continue;
    }
    bool negative = c == '-';
    if (negative) ++i;
    if (i >= t.size() || !std::isdigit(static_cast<unsigned char>(t[i]))) return std::nullopt;
    long long v = 0;
    while (i < t.size() && std::isdigit(static_cast<unsigned char>(t[i]))) {
      if (v > (1LL << 40)) return std::nullopt;
      v = v * 10 + (t[i] - '0');
      ++i;
    }
    if (i < t.size() && t[i] != ' ' && t[i] != ',') return std::nullopt;
    out.push_back(negative ? -v : v);
  }
  return out;
}

std::string CleanMessage(std::string_view message) {
  std::string text = ScrubSecrets(message);
  std::vector<std::string> lines;
  for (std::string_view l : Split(text, '\n')) {
    std::string_view t = Trim(l);
    if (t.empty()) continue;
    if (StartsWith(t, "ERROR:")) t = Trim(t.substr(6));
    lines.emplace_back(t);
  }
  return Join(lines, " | ");
}

namespace {

// Balanced parenthesized group starting at s[open] == '(', skipping quoted
// text; returns the position of the closing parenthesis or npos.
size_t MatchParen(std::string_view s, size_t open) {
  int depth = 0;
  for (size_t i = open; i < s.size(); ++i) {
    char c = s[i];
    if (c == '\'' || c == '"') {
      size_t j = i + 1;
      while (j < s.size()) {
        if (s[j] == c) {
          if (j + 1 < s.size() && s[j + 1] == c) {
            j += 2;
            continue;
          }
          break;
        }
        ++j;
      }
      i = j;
      continue;
    }
    if (c == '(') ++depth;
    if (c == ')' && --depth == 0) return i;
  }
  return std::string_view::npos;
}

// The end of the quoted literal or name starting at `i` (its closing quote;
// doubled quotes are part of it), or the text's size when unterminated.
size_t QuotedEnd(std::string_view s, size_t i) {
  const char q = s[i];
  size_t j = i + 1;
  while (j < s.size() && !(s[j] == q && (j + 1 >= s.size() || s[j + 1] != q))) j += s[j] == q ? 2 : 1;
  return j;
}

// The top-level comma-separated parts of a list's text (inside parentheses
// or brackets), quotes respected.
std::vector<std::string_view> TopLevelParts(std::string_view list) {
  std::vector<std::string_view> parts;
  int depth = 0;
  size_t start = 0;
  for (size_t i = 0; i < list.size(); ++i) {
    const char c = list[i];
    if (c == '\'' || c == '"') {
      i = QuotedEnd(list, i);
      continue;
    }
    if (c == '(' || c == '[') ++depth;
    if (c == ')' || c == ']') --depth;
    if (c == ',' && depth == 0) {
      parts.push_back(list.substr(start, i - start));
      start = i + 1;
    }
  }
  parts.push_back(list.substr(start));
  return parts;
}

// The two top-level arguments of a call's argument text, or nullopt when
// there are not exactly two.
std::optional<std::pair<std::string_view, std::string_view>> TwoArguments(std::string_view args) {
  const std::vector<std::string_view> parts = TopLevelParts(args);
  if (parts.size() != 2) return std::nullopt;
  return std::pair{parts[0], parts[1]};
}

// The matching ']' of the '[' at `open`, quotes respected; npos when none.
size_t MatchBracket(std::string_view s, size_t open) {
  int depth = 0;
  for (size_t i = open; i < s.size(); ++i) {
    if (s[i] == '\'' || s[i] == '"') {
      i = QuotedEnd(s, i);
      continue;
    }
    if (s[i] == '[') ++depth;
    if (s[i] == ']' && --depth == 0) return i;
  }
  return std::string_view::npos;
}

// 'text'::type: a string literal with one cast.
bool IsCastLiteral(std::string_view item) {
  if (item.empty() || item[0] != '\'') return false;
  const size_t end = QuotedEnd(item, 0);
  if (end >= item.size() || item.substr(end + 1, 2) != "::") return false;
  return std::all_of(item.begin() + static_cast<std::ptrdiff_t>(end) + 3, item.end(), [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == ' ';
  });
}

bool IsIdentifierChar(char c) {
  return std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '$';
}

}  // namespace

std::string NormalizeArrayCasts(std::string_view expr) {
  static constexpr std::string_view kArray = "ARRAY[";
  std::string out;
  for (size_t i = 0; i < expr.size();) {
    if (expr[i] == '\'' || expr[i] == '"') {
      const size_t end = std::min(QuotedEnd(expr, i) + 1, expr.size());
      out.append(expr.substr(i, end - i));
      i = end;
      continue;
    }
    if (expr.substr(i, kArray.size()) != kArray) {
      out += expr[i++];
      continue;
    }
    const size_t close = MatchBracket(expr, i + kArray.size() - 1);
    if (close == std::string_view::npos) {
      out.append(expr.substr(i));
      break;
    }
    // "(ARRAY[...])::T[]" (the parenthesis already copied) or "ARRAY[...]::T[]".
    const bool wrapped = !out.empty() && out.back() == '(' && expr.substr(close + 1, 3) == ")::";
    const size_t cast = close + (wrapped ? 4 : 3);
    const size_t dims = expr.find("[]", cast);
    const std::string_view items_text = expr.substr(i + kArray.size(), close - i - kArray.size());
    std::vector<std::string_view> items = TopLevelParts(items_text);
    const bool casted =
        (wrapped || expr.substr(close + 1, 2) == "::") && dims != std::string_view::npos &&
        std::all_of(expr.begin() + static_cast<std::ptrdiff_t>(cast),
                    expr.begin() + static_cast<std::ptrdiff_t>(dims), [](char c) {
                      return std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == ' ';
                    });
    bool literals = casted;
    for (std::string_view& item : items) {
      item = Trim(item);
      literals = literals && IsCastLiteral(item);
    }
    if (!literals) {
      out += expr[i++];
      continue;
    }
    const std::string type(expr.substr(cast, dims - cast));
    if (wrapped) out.pop_back();  // the "(" before ARRAY
    out += "ARRAY[";
    for (size_t k = 0; k < items.size(); ++k) {
      out += (k ? ", " : "") + (wrapped ? "(" + std::string(items[k]) + ")" : std::string(items[k])) +
             "::" + type;
    }
    out += "]";
    i = dims + 2;
  }
  return out;
}

std::string NormalizeTimezoneCalls(std::string_view expr) {
  static constexpr std::string_view kCall = "timezone(";
  std::string out;
  for (size_t i = 0; i < expr.size();) {
    const char c = expr[i];
    if (c == '\'' || c == '"') {  // a literal or quoted name: copied whole
      const size_t end = std::min(QuotedEnd(expr, i) + 1, expr.size());
      out.append(expr.substr(i, end - i));
      i = end;
      continue;
    }
    const bool call = expr.substr(i, kCall.size()) == kCall &&
                      (i == 0 || (!IsIdentifierChar(expr[i - 1]) && expr[i - 1] != '.'));
    if (call) {
      const size_t open = i + kCall.size() - 1;
      const size_t close = MatchParen(expr, open);
      auto args = close == std::string_view::npos ? std::nullopt
                                                  : TwoArguments(expr.substr(open + 1, close - open - 1));
      if (args) {
        out += "(" + NormalizeTimezoneCalls(Trim(args->second)) + " AT TIME ZONE " +
               NormalizeTimezoneCalls(Trim(args->first)) + ")";
        i = close + 1;
        continue;
      }
    }
    out += c;
    ++i;
  }
  return out;
}

std::string NormalizeDefault(std::string_view expr) {
  std::string e = NormalizeArrayCasts(NormalizeTimezoneCalls(CollapseSqlWhitespace(expr)));
  // now(), transaction_timestamp() and CURRENT_TIMESTAMP are the same value.
  if (e == "now()" || e == "transaction_timestamp()") return "CURRENT_TIMESTAMP";
  return e;
}

std::string TriggerWhen(std::string_view def) {
  // pg_get_triggerdef: "... FOR EACH ROW|STATEMENT WHEN (cond) EXECUTE ...".
  size_t each = def.find(" FOR EACH ");
  if (each == std::string_view::npos) return "";
  size_t when = def.find(" WHEN (", each);
  if (when == std::string_view::npos) return "";
  size_t open = when + 6;
  size_t close = MatchParen(def, open);
  if (close == std::string_view::npos) return "";
  return std::string(def.substr(open + 1, close - open - 1));
}

std::optional<int> ParsePgDumpVersion(std::string_view text) {
  // After "(PostgreSQL) " when present, else the first number.
  size_t i = text.find(") ");
  i = i == std::string_view::npos ? 0 : i + 2;
  while (i < text.size() && !std::isdigit(static_cast<unsigned char>(text[i]))) ++i;
  std::vector<int> parts;
  while (i < text.size() && parts.size() < 3) {
    size_t j = i;
    long v = 0;
    while (j < text.size() && std::isdigit(static_cast<unsigned char>(text[j])) && v < 100000) {
      v = v * 10 + (text[j] - '0');
      ++j;
    }
    if (j == i) break;
    parts.push_back(static_cast<int>(v));
    if (j >= text.size() || text[j] != '.') break;
    i = j + 1;
  }
  if (parts.empty() || parts[0] == 0 || parts[0] >= 1000) return std::nullopt;
  // 15.14, 15beta2 (minor 0), 9.6.24.
  if (parts[0] >= 10) return parts[0] * 10000 + (parts.size() > 1 ? parts[1] : 0);
  return parts[0] * 10000 + (parts.size() > 1 ? parts[1] : 0) * 100 + (parts.size() > 2 ? parts[2] : 0);
}

std::string MajorVersionName(int version_num) {
  if (version_num >= 100000) return std::to_string(version_num / 10000);
  return std::to_string(version_num / 10000) + "." + std::to_string(version_num / 100 % 100);
}

std::string StripRestrictLines(std::string_view dump) {
  std::string out;
  out.reserve(dump.size());
  size_t i = 0;
  while (i < dump.size()) {
    size_t nl = dump.find('\n', i);
    size_t end = nl == std::string_view::npos ? dump.size() : nl + 1;
    std::string_view line = dump.substr(i, end - i);
    std::string_view bare = line;
    while (!bare.empty() && (bare.back() == '\n' || bare.back() == '\r')) bare.remove_suffix(1);
    auto is_cmd = [&](std::string_view cmd) {
      return StartsWith(bare, cmd) && (bare.size() == cmd.size() || bare[cmd.size()] == ' ');
    };
    if (!is_cmd("\\restrict") && !is_cmd("\\unrestrict")) out.append(line);
    i = end;
  }
  return out;
}

std::string QualifiedName(std::string_view schema, std::string_view name) {
  return schema.empty() ? QuoteIdent(name) : QuoteIdent(schema) + "." + QuoteIdent(name);
}

namespace {
std::string ColumnList(const std::vector<std::string>& columns) {
  std::string out;
  for (const std::string& c : columns) {
    if (!out.empty()) out += ", ";
    out += QuoteIdent(c);
  }
  return out;
}
}  // namespace

std::string CopyOutSql(std::string_view schema, std::string_view name,
                       const std::vector<std::string>& columns, std::string_view predicate, bool binary) {
  const std::string table = QualifiedName(schema, name);
  const std::string format = binary ? " (FORMAT binary)" : "";
  if (Trim(predicate).empty()) {
    // COPY of a table reads that table alone (never inheritance children).
    if (columns.empty()) return "COPY " + table + " TO STDOUT" + format;
    return "COPY " + table + " (" + ColumnList(columns) + ") TO STDOUT" + format;
  }
  // ONLY: a SELECT would also read the rows of inheritance children, which
  // are tables of their own in the snapshot.
  return "COPY (SELECT " + ColumnList(columns) + " FROM ONLY " + table + " WHERE (" + std::string(predicate) +
         ")) TO STDOUT" + format;
}

std::string CopyInSql(std::string_view schema, std::string_view name, const std::vector<std::string>& columns,
                      bool binary) {
  const std::string table = QualifiedName(schema, name);
  const std::string format = binary ? " (FORMAT binary)" : "";
  if (columns.empty()) return "COPY " + table + " FROM STDIN" + format;
  return "COPY " + table + " (" + ColumnList(columns) + ") FROM STDIN" + format;
}

Result<CopyForm> CopyFormOf(const DataTable& table, const std::string& what) {
  if (table.record_format.empty()) return CopyForm::kText;
  if (table.record_format == kBinaryRecordFormat) return CopyForm::kBinary;
  return Status::InvalidInput(what + ": record format \"" + table.record_format +
                              "\" is not one this PostgreSQL driver reads (text or binary); the snapshot was "
                              "written by a newer cutover: upgrade cutover");
}

std::string BinaryTupleProblem(std::string_view record, int fields) {
  if (record.size() < 2) return "shorter than a field count";
  const int count = static_cast<std::int16_t>((static_cast<unsigned char>(record[0]) << 8) |
                                              static_cast<unsigned char>(record[1]));
  if (count < 0) return "a field count below zero (the stream's end marker?)";
  if (fields >= 0 && count != fields) {
    return std::to_string(count) + " fields where the table has " + std::to_string(fields) + " columns";
  }
  std::size_t at = 2;
  for (int i = 0; i < count; ++i) {
    if (record.size() - at < 4) return "field " + std::to_string(i + 1) + " has no length";
    const auto length = static_cast<std::int32_t>(ReadBigEndian32(record.data() + at));
    at += 4;
    if (length == -1) continue;  // NULL
    if (length < 0) return "field " + std::to_string(i + 1) + " has a negative length";
    if (record.size() - at < static_cast<std::size_t>(length)) {
      return "field " + std::to_string(i + 1) + " is longer than the record";
    }
    at += static_cast<std::size_t>(length);
  }
  if (at != record.size()) return std::to_string(record.size() - at) + " bytes after the last field";
  return "";
}

std::string BinaryHeader() {
  std::string h(kBinarySignature, kSignatureBytes);  // the signature's own '\0' included
  h.append(8, '\0');                                 // flags, extension length
  return h;
}

Status StripBinaryHeader(std::string_view& data, const std::string& what) {
  if (data.size() < kSignatureBytes + 8 ||
      data.substr(0, kSignatureBytes) != std::string_view(kBinarySignature, kSignatureBytes)) {
    return Status::Query(what + ": the server's binary COPY stream does not start with its signature");
  }
  const std::uint32_t extension = ReadBigEndian32(data.data() + kSignatureBytes + 4);
  if (data.size() < kSignatureBytes + 8 + extension) {
    return Status::Query(what + ": the server's binary COPY header is truncated");
  }
  data.remove_prefix(kSignatureBytes + 8 + extension);
  return Status::Ok();
}

std::string RecordProblem(std::string_view record, CopyForm form, int fields) {
  return form == CopyForm::kBinary ? BinaryTupleProblem(record, fields) : TextLineProblem(record);
}

}  // namespace cutover::postgresql
