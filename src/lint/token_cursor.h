// TokenCursor: reading one statement's tokens (plan/sql_lexer.h) for the
// MySQL and SQLite lint rules. A cursor over a token range; it never reads
// past the range and never fails: at the end every test is false and
// every read is empty.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "lint/lint_internal.h"
#include "plan/sql_lexer.h"

namespace cutover::lint {

class TokenCursor {
 public:
  TokenCursor(const std::vector<plan::Token>& tokens, size_t begin, size_t end)
      : t_(tokens), i_(begin), end_(end) {}

  bool AtEnd() const { return i_ >= end_; }
  size_t pos() const { return i_; }
  size_t end() const { return end_; }
  const plan::Token* Peek(size_t k = 0) const { return i_ + k < end_ ? &t_[i_ + k] : nullptr; }
  bool PeekIs(std::string_view keyword, size_t k = 0) const {
    const plan::Token* t = Peek(k);
    return t != nullptr && t->Is(keyword);
  }
  bool PeekSymbol(char c, size_t k = 0) const {
    const plan::Token* t = Peek(k);
    return t != nullptr && t->IsSymbol(c);
  }
  void Skip(size_t n = 1) { i_ = std::min(end_, i_ + n); }
  bool Accept(std::string_view keyword) {
    if (!PeekIs(keyword)) return false;
    ++i_;
    return true;
  }
  bool AcceptAll(std::initializer_list<std::string_view> keywords) {
    size_t k = 0;
    for (std::string_view kw : keywords) {
      if (!PeekIs(kw, k++)) return false;
    }
    i_ += keywords.size();
    return true;
  }
  bool AcceptSymbol(char c) {
    if (!PeekSymbol(c)) return false;
    ++i_;
    return true;
  }
  // An identifier (word or quoted), or nullopt.
  std::optional<std::string> Identifier() {
    const plan::Token* t = Peek();
    if (t == nullptr || (t->kind != plan::TokenKind::kWord && t->kind != plan::TokenKind::kQuotedIdent)) {
      return std::nullopt;
    }
    ++i_;
    return t->Identifier();
  }
  // name or schema.name
  std::optional<TableName> QualifiedName() {
    auto first = Identifier();
    if (!first) return std::nullopt;
    if (PeekSymbol('.')) {
      ++i_;
      auto second = Identifier();
      if (second) return TableName{*first, *second};
    }
    return TableName{"", *first};
  }
  // Skips a parenthesized group starting at '(' (nested groups included).
  void SkipParens() {
    if (!PeekSymbol('(')) return;
    int depth = 0;
    while (!AtEnd()) {
      if (PeekSymbol('(')) ++depth;
      if (PeekSymbol(')')) --depth;
      ++i_;
      if (depth == 0) return;
    }
  }

 private:
  const std::vector<plan::Token>& t_;
  size_t i_;
  size_t end_;
};

// Splits [begin, end) at commas outside parentheses.
inline std::vector<std::pair<size_t, size_t>> SplitTopLevel(const std::vector<plan::Token>& t, size_t begin,
                                                            size_t end) {
  std::vector<std::pair<size_t, size_t>> parts;
  int depth = 0;
  size_t start = begin;
  for (size_t i = begin; i < end; ++i) {
    if (t[i].IsSymbol('(')) ++depth;
    if (t[i].IsSymbol(')')) --depth;
    if (depth == 0 && t[i].IsSymbol(',')) {
      if (i > start) parts.emplace_back(start, i);
      start = i + 1;
    }
  }
  if (end > start) parts.emplace_back(start, end);
  return parts;
}

// True when a word token `keyword` occurs in [begin, end) outside parentheses.
inline bool HasTopLevelWord(const std::vector<plan::Token>& t, size_t begin, size_t end,
                            std::string_view keyword) {
  int depth = 0;
  for (size_t i = begin; i < end; ++i) {
    if (t[i].IsSymbol('(')) ++depth;
    if (t[i].IsSymbol(')')) --depth;
    if (depth == 0 && t[i].Is(keyword)) return true;
  }
  return false;
}

inline bool HasWord(const std::vector<plan::Token>& t, size_t begin, size_t end, std::string_view keyword) {
  for (size_t i = begin; i < end; ++i) {
    if (t[i].Is(keyword)) return true;
  }
  return false;
}

}  // namespace cutover::lint
