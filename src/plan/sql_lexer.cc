#include "plan/sql_lexer.h"

#include <cctype>

#include "base/strings.h"

namespace cutover::plan {
namespace {

bool IsSpace(char c) {
  return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v';
}
bool IsWordStart(char c) {
  auto u = static_cast<unsigned char>(c);
  return std::isalpha(u) || c == '_' || u >= 0x80;
}
bool IsWordChar(char c) {
  auto u = static_cast<unsigned char>(c);
  return std::isalnum(u) || c == '_' || c == '$' || u >= 0x80;
}
bool IsDigit(char c) {
  return c >= '0' && c <= '9';
}

class Lexer {
 public:
  Lexer(std::string_view s, const LexOptions& o) : s_(s), o_(o), line_(o.first_line) {}

  Result<std::vector<Token>> Run() {
    while (i_ < s_.size()) {
      char c = s_[i_];
      if (IsSpace(c)) {
        Advance();
        continue;
      }
      if (in_executable_comment_ && c == '*' && At(1) == '/') {
        i_ += 2;
        in_executable_comment_ = false;
        continue;
      }
      const size_t start = i_;
      const int start_line = line_;
      if (AtLineComment()) {
        while (i_ < s_.size() && s_[i_] != '\n') ++i_;
        Emit(TokenKind::kComment, start, start_line);
      } else if (c == '/' && At(1) == '*') {
        if (mysql() && !in_executable_comment_ && (At(2) == '!' || (At(2) == 'M' && At(3) == '!'))) {
          i_ += At(2) == '!' ? 3 : 4;
          while (i_ < s_.size() && IsDigit(s_[i_])) ++i_;
          in_executable_comment_ = true;
          continue;
        }
        i_ += 2;
        bool closed = false;
        while (i_ < s_.size()) {
          if (s_[i_] == '*' && At(1) == '/') {
            i_ += 2;
            closed = true;
            break;
          }
          Advance();
        }
        if (!closed) return Unterminated("/* comment", start_line);
        Emit(TokenKind::kComment, start, start_line);
      } else if (c == '\'' || (c == '"' && mysql())) {
        CUTOVER_RETURN_IF_ERROR(SkipQuoted(c, mysql(), start_line));
        Emit(TokenKind::kString, start, start_line);
      } else if (c == '`' || (c == '"' && !mysql())) {
        CUTOVER_RETURN_IF_ERROR(SkipQuoted(c, false, start_line));
        Emit(TokenKind::kQuotedIdent, start, start_line);
      } else if (c == '[' && !mysql()) {
        size_t close = s_.find(']', i_);
        if (close == std::string_view::npos) return Unterminated("[identifier]", start_line);
        while (i_ <= close) Advance();
        Emit(TokenKind::kQuotedIdent, start, start_line);
      } else if ((c == 'x' || c == 'X' || c == 'b' || c == 'B' || c == 'n' || c == 'N') && At(1) == '\'') {
        ++i_;  // hex, bit and national strings: x'ab', b'01', N'text'
        CUTOVER_RETURN_IF_ERROR(SkipQuoted('\'', mysql(), start_line));
        Emit(TokenKind::kString, start, start_line);
      } else if (IsDigit(c) || (c == '.' && IsDigit(At(1)))) {
        while (i_ < s_.size() && (IsWordChar(s_[i_]) || s_[i_] == '.')) {
          // An exponent sign belongs to the number: 1e-5.
          if ((s_[i_] == 'e' || s_[i_] == 'E') && (At(1) == '-' || At(1) == '+')) ++i_;
          ++i_;
        }
        Emit(TokenKind::kNumber, start, start_line);
      } else if (IsWordStart(c)) {
        while (i_ < s_.size() && IsWordChar(s_[i_])) ++i_;
        Emit(TokenKind::kWord, start, start_line);
      } else if (mysql() && c == '@') {
        i_ += At(1) == '@' ? 2 : 1;
        if (i_ < s_.size() && (s_[i_] == '\'' || s_[i_] == '"' || s_[i_] == '`')) {
          CUTOVER_RETURN_IF_ERROR(SkipQuoted(s_[i_], s_[i_] != '`', start_line));
        } else {
          while (i_ < s_.size() && (IsWordChar(s_[i_]) || s_[i_] == '.')) ++i_;
        }
        Emit(TokenKind::kVariable, start, start_line);
      } else if (!mysql() && (c == '?' || c == ':' || c == '@' || c == '$') &&
                 (c == '?' || IsWordStart(At(1)) || IsDigit(At(1)))) {
        ++i_;
        while (i_ < s_.size() && IsWordChar(s_[i_])) ++i_;
        Emit(TokenKind::kVariable, start, start_line);
      } else {
        // Two-character operators stay together so "<=" is never "<" "=".
        static constexpr std::string_view kPairs[] = {"<=", ">=", "<>", "!=", "||",
                                                      "::", ":=", "->", "<<", ">>"};
        size_t len = 1;
        for (std::string_view p : kPairs) {
          if (s_.substr(i_, 2) == p) len = 2;
        }
        i_ += len;
        Emit(TokenKind::kSymbol, start, start_line);
      }
    }
    return std::move(out_);
  }

 private:
  bool mysql() const { return o_.dialect == SqlDialect::kMySql; }
  char At(size_t k) const { return i_ + k < s_.size() ? s_[i_ + k] : '\0'; }
  void Advance() {
    if (s_[i_] == '\n') ++line_;
    ++i_;
  }

  bool AtLineComment() const {
    if (mysql() && s_[i_] == '#') return true;
    if (s_[i_] != '-' || At(1) != '-') return false;
    if (!mysql()) return true;
    // MySQL: "--" starts a comment only when followed by whitespace, a
    // control character or the end of the input (the client's rule).
    return i_ + 2 >= s_.size() || static_cast<unsigned char>(s_[i_ + 2]) <= ' ';
  }

  Status SkipQuoted(char quote, bool backslash_escapes, int start_line) {
    ++i_;  // the opening quote
    while (i_ < s_.size()) {
      char c = s_[i_];
      if (c == '\\' && backslash_escapes) {
        Advance();
        if (i_ < s_.size()) Advance();
        continue;
      }
      if (c == quote) {
        if (At(1) == quote) {
          i_ += 2;
          continue;
        }
        ++i_;
        return Status::Ok();
      }
      Advance();
    }
    return Unterminated(quote == '`' || (quote == '"' && !mysql()) ? "quoted identifier" : "quoted string",
                        start_line);
  }

  static Status Unterminated(std::string_view what, int line) {
    return Status::InvalidInput("line " + std::to_string(line) + ": unterminated " + std::string(what));
  }

  void Emit(TokenKind kind, size_t start, int start_line) {
    if (kind == TokenKind::kComment && !o_.keep_comments) return;
    out_.push_back(Token{kind, s_.substr(start, i_ - start), start, start_line});
  }

  std::string_view s_;
  LexOptions o_;
  size_t i_ = 0;
  int line_;
  bool in_executable_comment_ = false;
  std::vector<Token> out_;
};

}  // namespace

bool Token::Is(std::string_view keyword) const {
  return kind == TokenKind::kWord && EqualsIgnoreCase(text, keyword);
}

std::string Token::Identifier() const {
  if (kind != TokenKind::kQuotedIdent || text.size() < 2) return std::string(text);
  char open = text.front();
  char close = open == '[' ? ']' : open;
  std::string_view inner = text.substr(1, text.size() - 2);
  if (open == '[') return std::string(inner);
  std::string out;
  for (size_t i = 0; i < inner.size(); ++i) {
    out += inner[i];
    if (inner[i] == close && i + 1 < inner.size() && inner[i + 1] == close) ++i;
  }
  return out;
}

Result<std::vector<Token>> Lex(std::string_view sql, const LexOptions& options) {
  return Lexer(sql, options).Run();
}

}  // namespace cutover::plan
