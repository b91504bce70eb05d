// The text surgery that turns SHOW CREATE output into a restorable script
// (see mysql_internal.h), without a client-library dependency.
#include <algorithm>
#include <cstring>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "base/strings.h"
#include "mysql_internal.h"

namespace cutover::mysql {
namespace {

bool IsSpace(char c) {
  return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v';
}

bool IsWordChar(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' || c == '$' ||
         static_cast<unsigned char>(c) >= 0x80;
}

// Index just past the quoted token starting at s[i] ('...', "..." or `...`):
// doubled quotes and, except in backquotes, backslash escapes stay inside.
// npos when it is not terminated.
size_t SkipQuoted(std::string_view s, size_t i) {
  const char q = s[i];
  ++i;
  while (i < s.size()) {
    char c = s[i];
    if (c == '\\' && q != '`') {
      i += 2;
      continue;
    }
    if (c == q) {
      if (i + 1 < s.size() && s[i + 1] == q) {
        i += 2;
        continue;
      }
      return i + 1;
    }
    ++i;
  }
  return std::string_view::npos;
}

size_t SkipSpaces(std::string_view s, size_t i) {
  while (i < s.size() && IsSpace(s[i])) ++i;
  return i;
}

// The word (letters, digits, _ $) at s[i], or empty.
std::string_view WordAt(std::string_view s, size_t i) {
  size_t j = i;
  while (j < s.size() && IsWordChar(s[j])) ++j;
  return s.substr(i, j - i);
}

// A definition inside CREATE TABLE (...) that is a foreign key:
// "CONSTRAINT [`name`] FOREIGN KEY ..." or "FOREIGN KEY ...".
bool IsForeignKeyDefinition(std::string_view def) {
  size_t i = 0;
  std::string_view w = WordAt(def, i);
  if (EqualsIgnoreCase(w, "CONSTRAINT")) {
    i = SkipSpaces(def, i + w.size());
    if (i < def.size() && def[i] == '`') {
      size_t end = SkipQuoted(def, i);
      if (end == std::string_view::npos) return false;
      i = SkipSpaces(def, end);
    } else {
      std::string_view name = WordAt(def, i);
      if (!EqualsIgnoreCase(name, "FOREIGN")) i = SkipSpaces(def, i + name.size());
    }
    w = WordAt(def, i);
  }
  if (!EqualsIgnoreCase(w, "FOREIGN")) return false;
  i = SkipSpaces(def, i + w.size());
  return EqualsIgnoreCase(WordAt(def, i), "KEY");
}

}  // namespace

// ---- SHOW CREATE surgery ----------------------------------------------------

// The first backquoted name in `def` at or after `from`, unquoted.
static std::string FirstQuotedName(std::string_view def, size_t from = 0) {
  size_t open = def.find('`', from);
  if (open == std::string_view::npos) return {};
  std::string name;
  for (size_t i = open + 1; i < def.size(); ++i) {
    if (def[i] == '`') {
      if (i + 1 < def.size() && def[i + 1] == '`') {
        name += '`';
        ++i;
        continue;
      }
      return name;
    }
    name += def[i];
  }
  return {};
}

Result<CreateTableParts> SplitCreateTable(std::string_view create, bool defer_secondary_keys) {
  // CREATE [TEMPORARY] TABLE [IF NOT EXISTS] `name` ( defs ) options
  size_t i = 0;
  size_t open = std::string_view::npos;
  while (i < create.size()) {
    char c = create[i];
    if (c == '`' || c == '\'' || c == '"') {
      i = SkipQuoted(create, i);
      if (i == std::string_view::npos) break;
      continue;
    }
    if (c == '(') {
      open = i;
      break;
    }
    ++i;
  }
  if (open == std::string_view::npos) {
    return Status::Internal("SHOW CREATE TABLE returned a statement without a column list: " +
                            FirstLine(create));
  }
  std::vector<std::string_view> defs;
  int depth = 1;
  size_t start = open + 1;
  size_t close = std::string_view::npos;
  for (i = open + 1; i < create.size();) {
    char c = create[i];
    if (c == '`' || c == '\'' || c == '"') {
      i = SkipQuoted(create, i);
      if (i == std::string_view::npos) break;
      continue;
    }
    if (c == '(') {
      ++depth;
    } else if (c == ')') {
      if (--depth == 0) {
        defs.push_back(Trim(create.substr(start, i - start)));
        close = i;
        break;
      }
    } else if (c == ',' && depth == 1) {
      defs.push_back(Trim(create.substr(start, i - start)));
      start = i + 1;
    }
    ++i;
  }
  if (close == std::string_view::npos) {
    return Status::Internal("SHOW CREATE TABLE returned an unbalanced statement: " + FirstLine(create));
  }
  if (defer_secondary_keys) {
    std::string primary_first, auto_increment;
    for (std::string_view def : defs) {
      if (StartsWith(def, "PRIMARY KEY")) primary_first = FirstQuotedName(def);
      // Over-matching (the word in a comment) only keeps the keys in place.
      if (StartsWith(def, "`") && ToUpper(def).find("AUTO_INCREMENT") != std::string::npos)
        auto_increment = FirstQuotedName(def);
    }
    if (primary_first.empty() || (!auto_increment.empty() && auto_increment != primary_first))
      defer_secondary_keys = false;
  }
  CreateTableParts parts;
  std::vector<std::string> kept;
  for (std::string_view def : defs) {
    const std::string upper = ToUpper(def);
    if (IsForeignKeyDefinition(def)) {
      parts.foreign_keys.emplace_back(def);
    } else if (defer_secondary_keys && (StartsWith(def, "KEY `") || StartsWith(def, "UNIQUE KEY `")) &&
               upper.find("USING HASH") == std::string::npos &&
               upper.find("WITHOUT OVERLAPS") == std::string::npos) {
      parts.secondary_keys.emplace_back(def);
    } else {
      kept.emplace_back(def);
    }
  }
  if (parts.foreign_keys.empty() && parts.secondary_keys.empty()) {
    parts.create_table = std::string(create);
  } else {
    parts.create_table = std::string(create.substr(0, open)) + "(\n  " + Join(kept, ",\n  ") + "\n" +
                         std::string(create.substr(close));
  }
  return parts;
}

std::string DropTableOption(std::string_view create, std::string_view option) {
  // Past the column list: the first top-level ')' after the first '('.
  size_t i = 0;
  int depth = 0;
  bool seen_open = false;
  while (i < create.size()) {
    char c = create[i];
    if (c == '`' || c == '\'' || c == '"') {
      size_t end = SkipQuoted(create, i);
      if (end == std::string_view::npos) return std::string(create);
      i = end;
      continue;
    }
    ++i;
    if (c == '(') {
      ++depth;
      seen_open = true;
    } else if (c == ')' && --depth == 0 && seen_open) {
      break;
    }
  }
  // Then the option as a whole word sequence outside quotes.
  while (i < create.size()) {
    char c = create[i];
    if (c == '`' || c == '\'' || c == '"') {
      size_t end = SkipQuoted(create, i);
      if (end == std::string_view::npos) break;
      i = end;
      continue;
    }
    if (IsSpace(c) && create.size() - i > option.size() &&
        EqualsIgnoreCase(create.substr(i + 1, option.size()), option) &&
        (i + 1 + option.size() == create.size() || !IsWordChar(create[i + 1 + option.size()]))) {
      return std::string(create.substr(0, i)) + std::string(create.substr(i + 1 + option.size()));
    }
    ++i;
  }
  return std::string(create);
}

std::optional<std::pair<size_t, size_t>> FindDefiner(std::string_view statement) {
  // Only the clauses before the object keyword are looked at: a body may
  // well contain the word DEFINER.
  static const std::set<std::string> kObjectWords = {"VIEW",  "TRIGGER",   "PROCEDURE", "FUNCTION",
                                                     "EVENT", "AGGREGATE", "PACKAGE"};
  size_t i = 0;
  while (i < statement.size()) {
    i = SkipSpaces(statement, i);
    if (i >= statement.size()) break;
    char c = statement[i];
    if (c == '`' || c == '\'' || c == '"') {
      size_t end = SkipQuoted(statement, i);
      if (end == std::string_view::npos) break;
      i = end;
      continue;
    }
    std::string_view word = WordAt(statement, i);
    if (word.empty()) {
      ++i;
      continue;
    }
    std::string upper = ToUpper(word);
    if (kObjectWords.count(upper) > 0) break;
    if (upper != "DEFINER") {
      i += word.size();
      continue;
    }
    size_t begin = i;
    size_t j = SkipSpaces(statement, i + word.size());
    if (j >= statement.size() || statement[j] != '=') break;
    j = SkipSpaces(statement, j + 1);
    // user[@host]: each part quoted or a bare word; CURRENT_USER[()].
    auto skip_part = [&](size_t k) -> size_t {
      if (k >= statement.size()) return std::string_view::npos;
      if (statement[k] == '`' || statement[k] == '\'' || statement[k] == '"') return SkipQuoted(statement, k);
      size_t e = k;
      while (e < statement.size() &&
             (IsWordChar(statement[e]) || statement[e] == '.' || statement[e] == '%' || statement[e] == '-'))
        ++e;
      return e == k ? std::string_view::npos : e;
    };
    size_t end = skip_part(j);
    if (end == std::string_view::npos) break;
    if (end + 1 < statement.size() && statement[end] == '(' && statement[end + 1] == ')') end += 2;
    if (end < statement.size() && statement[end] == '@') {
      end = skip_part(end + 1);
      if (end == std::string_view::npos) break;
    }
    return std::make_pair(begin, SkipSpaces(statement, end));
  }
  return std::nullopt;
}

std::string ReplaceDefiner(std::string_view statement, std::string_view definer) {
  auto clause = FindDefiner(statement);
  if (!clause) return std::string(statement);
  return std::string(statement.substr(0, clause->first)) + "DEFINER=" + std::string(definer) + " " +
         std::string(statement.substr(clause->second));
}

std::string RemoveDatabaseQualifier(std::string_view statement, std::string_view database) {
  const std::string qualifier = QuoteIdent(database) + ".";
  std::string out;
  out.reserve(statement.size());
  size_t i = 0;
  while (i < statement.size()) {
    char c = statement[i];
    if (c == '\'' || c == '"' || c == '`') {
      size_t end = SkipQuoted(statement, i);
      if (end == std::string_view::npos) end = statement.size();
      std::string_view token = statement.substr(i, end - i);
      if (c == '`' && statement.substr(i, qualifier.size()) == qualifier && end + 1 <= statement.size() &&
          end - i + 1 == qualifier.size()) {
        i = end + 1;  // drop `db` and its dot
        continue;
      }
      out.append(token);
      i = end;
      continue;
    }
    out += c;
    ++i;
  }
  return out;
}

std::string ChooseDelimiter(std::string_view text) {
  for (const char* candidate : {";;", "$$", "//", "$$$", "%%", "~~"}) {
    if (text.find(candidate) == std::string_view::npos) return candidate;
  }
  for (int n = 1;; ++n) {
    std::string candidate = "$cutover" + std::to_string(n) + "$";
    if (text.find(candidate) == std::string_view::npos) return candidate;
  }
}

std::vector<size_t> OrderViews(const std::vector<std::string>& names,
                               const std::vector<std::string>& definitions) {
  const size_t n = names.size();
  // deps[i]: views whose quoted name occurs in view i's definition.
  std::vector<std::set<size_t>> deps(n);
  std::vector<std::set<size_t>> dependents(n);
  for (size_t i = 0; i < n; ++i) {
    for (size_t j = 0; j < n; ++j) {
      if (i == j) continue;
      if (definitions[i].find(QuoteIdent(names[j])) != std::string::npos) {
        deps[i].insert(j);
        dependents[j].insert(i);
      }
    }
  }
  auto by_name = [&](size_t a, size_t b) { return names[a] < names[b] || (names[a] == names[b] && a < b); };
  std::set<size_t, decltype(by_name)> ready(by_name);
  std::vector<size_t> missing(n);
  for (size_t i = 0; i < n; ++i) {
    missing[i] = deps[i].size();
    if (missing[i] == 0) ready.insert(i);
  }
  std::vector<size_t> order;
  std::vector<bool> done(n, false);
  while (order.size() < n) {
    if (ready.empty()) {
      // A cycle: only possible through a name that merely appears in a
      // literal. Break it at the first remaining view by name.
      size_t pick = n;
      for (size_t i = 0; i < n; ++i) {
        if (!done[i] && (pick == n || by_name(i, pick))) pick = i;
      }
      ready.insert(pick);
    }
    size_t v = *ready.begin();
    ready.erase(ready.begin());
    if (done[v]) continue;
    done[v] = true;
    order.push_back(v);
    for (size_t d : dependents[v]) {
      if (!done[d] && missing[d] > 0 && --missing[d] == 0) ready.insert(d);
    }
  }
  return order;
}

}  // namespace cutover::mysql
