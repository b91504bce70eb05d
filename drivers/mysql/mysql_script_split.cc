// Statement splitting for MySQL/MariaDB scripts (see mysql_internal.h).
#include <algorithm>
#include <cctype>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "base/strings.h"
#include "mysql_internal.h"

namespace cutover::mysql {
namespace {

bool IsSpace(char c) {
  return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v';
}

class Splitter {
 public:
  Splitter(std::string_view script, bool backslash_escapes, int first_line, std::string delimiter,
           size_t max_statements)
      : s_(script),
        backslash_escapes_(backslash_escapes),
        max_statements_(max_statements),
        line_(first_line),
        delimiter_(std::move(delimiter)) {}

  Result<std::vector<SplitStatement>> Run() {
    while (out_.size() < max_statements_) {
      // Between statements: skip whitespace and plain comments.
      CUTOVER_RETURN_IF_ERROR(SkipInsignificant());
      if (i_ >= s_.size()) break;
      if (AtDelimiterCommand()) {
        CUTOVER_RETURN_IF_ERROR(ReadDelimiterCommand());
        continue;
      }
      CUTOVER_RETURN_IF_ERROR(ReadStatement());
    }
    return std::move(out_);
  }

 private:
  char At(size_t k) const { return k < s_.size() ? s_[k] : '\0'; }

  void Advance() {
    if (s_[i_] == '\n') ++line_;
    ++i_;
  }

  // "-- " starts a comment only when the dashes are followed by whitespace,
  // a control character or the end of the script (the client's rule).
  bool AtDashComment() const {
    if (At(i_) != '-' || At(i_ + 1) != '-') return false;
    if (i_ + 2 >= s_.size()) return true;
    auto c = static_cast<unsigned char>(s_[i_ + 2]);
    return c <= ' ';
  }
  bool AtPlainBlockComment() const {
    if (At(i_) != '/' || At(i_ + 1) != '*') return false;
    char c = At(i_ + 2);
    if (c == '!' || c == '+') return false;           // /*! versioned */, /*+ hints */
    if (c == 'M' && At(i_ + 3) == '!') return false;  // /*M! MariaDB-versioned */
    return true;
  }

  void SkipLineComment() {
    while (i_ < s_.size() && s_[i_] != '\n') ++i_;
  }

  Status SkipBlockComment() {
    int start_line = line_;
    i_ += 2;
    while (i_ < s_.size()) {
      if (s_[i_] == '*' && At(i_ + 1) == '/') {
        i_ += 2;
        return Status::Ok();
      }
      Advance();
    }
    return Status::InvalidInput("unterminated /* comment starting at line " + std::to_string(start_line));
  }

  Status SkipInsignificant() {
    while (i_ < s_.size()) {
      char c = s_[i_];
      if (IsSpace(c)) {
        Advance();
      } else if (c == '#' || AtDashComment()) {
        SkipLineComment();
      } else if (AtPlainBlockComment()) {
        CUTOVER_RETURN_IF_ERROR(SkipBlockComment());
      } else if (s_.substr(i_, delimiter_.size()) == delimiter_) {
        i_ += delimiter_.size();  // an empty statement
      } else {
        break;
      }
    }
    return Status::Ok();
  }

  bool AtDelimiterCommand() const {
    constexpr std::string_view kWord = "delimiter";
    if (s_.size() - i_ < kWord.size()) return false;
    if (!EqualsIgnoreCase(s_.substr(i_, kWord.size()), kWord)) return false;
    if (s_.size() - i_ == kWord.size()) return true;  // "DELIMITER" at the very end
    char after = s_[i_ + kWord.size()];
    return after == ' ' || after == '\t' || after == '\n' || after == '\r';
  }

  Status ReadDelimiterCommand() {
    int command_line = line_;
    i_ += 9;  // "delimiter"
    size_t eol = s_.find('\n', i_);
    if (eol == std::string_view::npos) eol = s_.size();
    std::string_view rest = Trim(s_.substr(i_, eol - i_));
    i_ = eol;
    std::string value;
    if (!rest.empty() && (rest[0] == '\'' || rest[0] == '"' || rest[0] == '`')) {
      size_t close = rest.find(rest[0], 1);
      value =
          std::string(rest.substr(1, close == std::string_view::npos ? std::string_view::npos : close - 1));
    } else {
      size_t end = 0;
      while (end < rest.size() && !IsSpace(rest[end])) ++end;
      value = std::string(rest.substr(0, end));
    }
    if (value.empty()) {
      return Status::InvalidInput("DELIMITER command at line " + std::to_string(command_line) +
                                  " has no delimiter: write e.g. 'DELIMITER //'");
    }
    if (value.find('\\') != std::string::npos) {
      return Status::InvalidInput("DELIMITER at line " + std::to_string(command_line) +
                                  " contains a backslash, which the mysql client does not allow");
    }
    delimiter_ = std::move(value);
    return Status::Ok();
  }

  Status SkipQuoted(char quote) {
    int start_line = line_;
    Advance();  // opening quote
    while (i_ < s_.size()) {
      char c = s_[i_];
      if (c == '\\' && quote != '`' && backslash_escapes_) {
        Advance();
        if (i_ < s_.size()) Advance();
        continue;
      }
      if (c == quote) {
        if (At(i_ + 1) == quote) {  // doubled quote: an escaped quote character
          i_ += 2;
          continue;
        }
        ++i_;
        return Status::Ok();
      }
      Advance();
    }
    const char* what = quote == '`' ? "backquoted identifier" : "quoted string";
    return Status::InvalidInput(std::string("unterminated ") + what + " (" + quote + ") starting at line " +
                                std::to_string(start_line));
  }

  Status ReadStatement() {
    size_t start = i_;
    int start_line = line_;
    while (i_ < s_.size()) {
      char c = s_[i_];
      if (c == '\'' || c == '"' || c == '`') {
        CUTOVER_RETURN_IF_ERROR(SkipQuoted(c));
      } else if (c == '#' || AtDashComment()) {
        SkipLineComment();
      } else if (AtPlainBlockComment()) {
        CUTOVER_RETURN_IF_ERROR(SkipBlockComment());
      } else if (s_.substr(i_, delimiter_.size()) == delimiter_) {
        size_t end = i_;
        i_ += delimiter_.size();
        Emit(start, end, start_line);
        return Status::Ok();
      } else {
        Advance();
      }
    }
    Emit(start, s_.size(), start_line);  // the last statement may lack its delimiter
    return Status::Ok();
  }

  void Emit(size_t begin, size_t end, int line) {
    std::string_view text = s_.substr(begin, end - begin);
    while (!text.empty() && IsSpace(text.back())) text.remove_suffix(1);
    if (text.empty()) return;
    SplitStatement st;
    st.text = std::string(text);
    st.line = line;
    st.end = i_;
    st.end_line = line_;
    st.delimiter_after = delimiter_;
    out_.push_back(std::move(st));
  }

  std::string_view s_;
  bool backslash_escapes_;
  size_t max_statements_;
  size_t i_ = 0;
  int line_;
  std::string delimiter_;
  std::vector<SplitStatement> out_;
};

}  // namespace

Result<std::vector<SplitStatement>> SplitScript(std::string_view script, bool backslash_escapes,
                                                int first_line, std::string delimiter,
                                                size_t max_statements) {
  return Splitter(script, backslash_escapes, first_line, std::move(delimiter), max_statements).Run();
}

std::string FirstLine(std::string_view statement, size_t max_chars) {
  std::string_view s = Trim(statement);
  size_t eol = s.find('\n');
  std::string_view line = Trim(s.substr(0, eol));
  size_t cut = std::min(max_chars, line.size());
  // Never cut inside a UTF-8 sequence: back off over continuation bytes.
  while (cut < line.size() && cut > 0 && (static_cast<unsigned char>(line[cut]) & 0xC0) == 0x80) --cut;
  std::string out(line.substr(0, cut));
  if (cut < line.size() || eol != std::string_view::npos) out += " ...";
  return out;
}

}  // namespace cutover::mysql
