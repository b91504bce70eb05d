// SqlLexer: a small tokenizer for MySQL/MariaDB and SQLite statements.
//
// It exists for two readers that must not be fooled by quotes and comments:
// the plan reader, which finds `-- cutover:` directives in comments, and the
// MySQL/SQLite lint rules, which look at the keywords of one statement.
// Statement *splitting* is not done here (the driver plugins' SplitScript
// does that by each engine's real rules); this only needs to agree with them
// on what is a string, a quoted identifier and a comment.
//
// Dialects:
//   MySQL:  '...' and "..." strings (backslash escapes, doubled quotes),
//           `...` identifiers, comments "-- " (dash dash whitespace), "#" and
//           /* */; executable comments /*! ... */ and /*M! ... */ are read as
//           SQL (their version number is skipped), optimizer hints /*+ */ are
//           comments; @var and @@var are variables.
//   SQLite: '...' strings (doubled quotes only), "...", `...` and [...]
//           identifiers, comments "--" and /* */; ?, ?NNN, :name, @name and
//           $name are parameters.
//
// Tokens are views into the input, which must outlive them. Lex() never
// throws; an unterminated string, identifier or comment is kInvalidInput
// naming its starting line.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"

namespace cutover::plan {

enum class SqlDialect { kMySql, kSqlite };

enum class TokenKind {
  kWord,         // unquoted identifier or keyword
  kQuotedIdent,  // `x`, "x" (SQLite), [x] (SQLite)
  kString,       // 'x', "x" (MySQL), x'ab'
  kNumber,
  kVariable,  // @x, @@x (MySQL), ?, :x, $x (SQLite)
  kSymbol,    // one punctuation character, or a multi-character operator
  kComment,   // -- ..., # ..., /* ... */ (text includes the markers)
};

struct Token {
  TokenKind kind = TokenKind::kSymbol;
  std::string_view text;  // exactly as written
  size_t offset = 0;      // byte offset in the lexed input
  int line = 1;           // 1-based line of the first character

  // Case-insensitive keyword test for kWord tokens.
  bool Is(std::string_view keyword) const;
  bool IsSymbol(char c) const { return kind == TokenKind::kSymbol && text.size() == 1 && text[0] == c; }
  // The identifier this token names: quotes removed and doubled quotes
  // undone for kQuotedIdent, the text itself for kWord.
  std::string Identifier() const;
};

struct LexOptions {
  SqlDialect dialect = SqlDialect::kMySql;
  bool keep_comments = false;  // comments are dropped unless asked for
  int first_line = 1;          // line number of the input's first character
};

Result<std::vector<Token>> Lex(std::string_view sql, const LexOptions& options);

}  // namespace cutover::plan
