// SplitScript for SQLite: statement boundaries exactly as SQLite sees them.
//
// A small lexer finds the ';' that lie outside strings, quoted identifiers
// and comments; sqlite3_complete() then decides whether that ';' ends the
// statement (it does not inside a CREATE TRIGGER ... BEGIN ... END body).
// Asking sqlite3_complete() only at those candidates keeps the cost linear
// for long string literals full of ';' (the lexer skips them), and leaves
// the trigger grammar to SQLite itself.
#include <cctype>
#include <string>
#include <vector>

#include "base/strings.h"
#include "driver/driver_helpers.h"
#include "sqlite_internal.h"

namespace cutover::sqlite {
namespace {

// The first line of a statement, shortened, for messages.
std::string Excerpt(std::string_view text) {
  std::string_view line = Trim(text.substr(0, text.find('\n')));
  std::size_t cut = std::min<std::size_t>(line.size(), 80);
  // Never cut inside a UTF-8 sequence.
  while (cut < line.size() && cut > 0 && (static_cast<unsigned char>(line[cut]) & 0xC0) == 0x80) --cut;
  std::string out(line.substr(0, cut));
  if (cut < line.size() || text.find('\n') != std::string_view::npos) out += " ...";
  return ScrubSecrets(out);
}

}  // namespace

Result<std::vector<ScriptStatement>> SplitSqliteScript(std::string_view script) {
  std::vector<ScriptStatement> out;
  // sqlite3_complete() reads NUL-terminated text: a private copy in which the
  // byte after a candidate ';' is briefly replaced by NUL.
  std::string buf(script);
  const std::size_t n = buf.size();
  constexpr std::size_t kNone = std::string::npos;

  std::size_t i = 0;
  int line = 1;
  std::size_t stmt_start = kNone;  // first significant byte of the pending statement
  int stmt_line = 0;
  std::size_t last_token_end = 0;  // end of the pending statement's last non-comment token

  auto unterminated = [&](const char* what, int at_line, std::size_t at) -> Status {
    return Status::InvalidInput("unterminated " + std::string(what) + " starting at line " +
                                std::to_string(at_line) + " (" + Excerpt(std::string_view(buf).substr(at)) +
                                "): close it, the script ends inside it");
  };

  while (i < n) {
    const char c = buf[i];
    if (c == '\n') {
      ++line;
      ++i;
      continue;
    }
    if (c == '\0') {
      return Status::InvalidInput("the script contains a NUL byte at line " + std::to_string(line) +
                                  ": SQLite stops reading SQL text there; remove it (write binary values "
                                  "as blob literals X'..')");
    }
    if (std::isspace(static_cast<unsigned char>(c))) {
      ++i;
      continue;
    }
    if (c == '-' && i + 1 < n && buf[i + 1] == '-') {  // line comment
      while (i < n && buf[i] != '\n') ++i;
      continue;
    }
    if (c == '/' && i + 1 < n && buf[i + 1] == '*') {  // block comment, not nested
      const std::size_t open = i;
      const int open_line = line;
      i += 2;
      while (i < n && !(buf[i] == '*' && i + 1 < n && buf[i + 1] == '/')) {
        if (buf[i] == '\n') ++line;
        ++i;
      }
      if (i >= n) return unterminated("comment /* ... */", open_line, open);
      i += 2;
      continue;
    }
    if (c == ';') {
      if (stmt_start == kNone) {  // an empty statement
        ++i;
        continue;
      }
      // Is the text up to and including this ';' a complete statement?
      const char saved = i + 1 < n ? buf[i + 1] : '\0';
      if (i + 1 < n) buf[i + 1] = '\0';
      const bool complete = sqlite3_complete(buf.c_str() + stmt_start) != 0;
      if (i + 1 < n) buf[i + 1] = saved;
      if (complete) {
        out.push_back(ScriptStatement{buf.substr(stmt_start, last_token_end - stmt_start), stmt_line});
        stmt_start = kNone;
      } else {
        last_token_end = i + 1;  // a ';' inside a trigger body belongs to the statement
      }
      ++i;
      continue;
    }
    // A significant token: it starts a statement when none is pending.
    if (stmt_start == kNone) {
      stmt_start = i;
      stmt_line = line;
    }
    if (c == '\'' || c == '"' || c == '`' || c == '[') {
      const char close = c == '[' ? ']' : c;
      const std::size_t open = i;
      const int open_line = line;
      ++i;
      while (true) {
        if (i >= n) {
          return unterminated(c == '\''  ? "string literal '...'"
                              : c == '"' ? "quoted identifier \"...\""
                              : c == '`' ? "quoted identifier `...`"
                                         : "bracketed identifier [...]",
                              open_line, open);
        }
        if (buf[i] == '\0') {
          return Status::InvalidInput("the script contains a NUL byte at line " + std::to_string(line) +
                                      ": SQLite stops reading SQL text there; remove it (write binary "
                                      "values as blob literals X'..')");
        }
        if (buf[i] == '\n') ++line;
        if (buf[i] == close) {
          // A doubled quote is an escaped quote; brackets have no escape.
          if (close != ']' && i + 1 < n && buf[i + 1] == close) {
            i += 2;
            continue;
          }
          ++i;
          break;
        }
        ++i;
      }
      last_token_end = i;
      continue;
    }
    // Any other token: advance to the next byte that may start something else.
    ++i;
    while (i < n) {
      const char d = buf[i];
      if (std::isspace(static_cast<unsigned char>(d)) || d == ';' || d == '\'' || d == '"' || d == '`' ||
          d == '[' || d == '\0' || (d == '-' && i + 1 < n && buf[i + 1] == '-') ||
          (d == '/' && i + 1 < n && buf[i + 1] == '*')) {
        break;
      }
      ++i;
    }
    last_token_end = i;
  }

  if (stmt_start != kNone) {
    // A last statement without its ';' is accepted when a ';' would end it;
    // a trigger body without END is not.
    std::string pending = buf.substr(stmt_start, last_token_end - stmt_start);
    if (sqlite3_complete((pending + ";").c_str()) == 0) {
      return Status::InvalidInput("the statement starting at line " + std::to_string(stmt_line) + " (" +
                                  Excerpt(pending) +
                                  ") is incomplete at the end of the script: a CREATE TRIGGER body must "
                                  "end with END; add the missing END;");
    }
    out.push_back(ScriptStatement{std::move(pending), stmt_line});
  }
  return out;
}

}  // namespace cutover::sqlite
