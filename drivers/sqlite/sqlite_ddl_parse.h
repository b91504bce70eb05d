// A tokenizer and a small parser for the SQLite DDL text kept in sqlite_schema.
//
// SQLite's pragmas do not expose everything the schema model needs: CHECK
// constraints, constraint names, column COLLATE clauses, GENERATED
// expressions, AUTOINCREMENT, DEFERRABLE and expression index keys only exist
// in the CREATE statements' text. This file parses exactly the statements
// SQLite stores there (CREATE TABLE / VIRTUAL TABLE / INDEX / VIEW / TRIGGER)
// at the level of detail the model needs; expressions and SELECT bodies are
// kept as token ranges and rendered canonically, never interpreted.
//
// Canonical rendering (RenderSql) is what makes equivalent spellings compare
// equal: comments and whitespace disappear, keywords are upper-cased,
// identifiers (quoted or not: SQLite compares them case-insensitively) are
// ASCII lower-cased and quoted only when they need it, '==' becomes '=' and
// '!=' becomes '<>'. String literals are kept byte for byte.
//
// No SQLite dependency: unit-tested directly by sqlite_driver_test.
#pragma once

#include <cstddef>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"

namespace cutover::sqlite {

enum class TokenKind {
  kWord,         // bare identifier or keyword
  kQuotedIdent,  // "x", [x], `x`
  kString,       // 'x'
  kBlob,         // x'00ff'
  kNumber,       // 12, 1.5e3, 0x1F, .5
  kVariable,     // ?, ?1, :name, @name, $name
  kLParen,
  kRParen,
  kComma,
  kSemicolon,
  kDot,
  kOperator,  // || -> ->> <= >= == != <> << >> and single-character operators
};

struct Token {
  TokenKind kind = TokenKind::kWord;
  std::string_view text;   // the raw source text of the token
  std::size_t offset = 0;  // byte offset in the tokenized string
};

// Splits `sql` into tokens, dropping whitespace and comments (-- to end of
// line, /* ... */; an unterminated block comment ends the text, as in SQLite).
// An unterminated quote or an unknown character is kInvalidInput naming the
// offset.
Result<std::vector<Token>> Tokenize(std::string_view sql);

// True for SQLite's keywords (the 147 of sqlite3_keyword_name() in 3.40),
// compared case-insensitively.
bool IsKeyword(std::string_view word);

// The identifier a token denotes: quotes removed and doubled quotes undone
// ("a""b" -> a"b, [x] -> x, `x` -> x, 'x' -> x, bare words as written).
std::string UnquoteIdentifier(const Token& token);
// UnquoteIdentifier, ASCII lower-cased: the name as SQLite compares it.
std::string NormalizeName(const Token& token);
// An already normalized name as it appears in canonical SQL: bare when it is
// a plain identifier that is not a keyword, otherwise "double-quoted".
std::string RenderIdentifier(std::string_view name);

// Canonical text of a token range (see the file comment).
std::string RenderSql(std::span<const Token> tokens);
// Removes parentheses that enclose the whole range: ((a > 0)) -> a > 0.
std::span<const Token> StripOuterParens(std::span<const Token> tokens);
// Tokenize + StripOuterParens + RenderSql: the canonical form of an
// expression (defaults, CHECK, WHERE, generated columns).
Result<std::string> NormalizeExpression(std::string_view expression);
// A declared column type, upper-cased with canonical spacing:
// "decimal( 10 , 2 )" -> "DECIMAL(10,2)", "unsigned   big int" -> "UNSIGNED BIG INT".
std::string NormalizeType(std::string_view declared);

// One key of an index or of a PRIMARY KEY / UNIQUE constraint.
struct KeyPart {
  std::string column;      // normalized column name; empty for an expression
  std::string expression;  // canonical expression; empty for a column
  std::string collation;   // explicit COLLATE, upper-cased; empty when none
  bool desc = false;
  bool autoincrement = false;  // PRIMARY KEY (id AUTOINCREMENT)
};

enum class ConstraintKind { kPrimaryKey, kUnique, kCheck, kForeignKey };

struct ParsedConstraint {
  ConstraintKind kind = ConstraintKind::kCheck;
  std::string name;           // CONSTRAINT name, normalized; empty when unnamed
  std::vector<KeyPart> keys;  // PRIMARY KEY / UNIQUE / FOREIGN KEY columns
  std::string expression;     // CHECK: canonical expression
  std::string on_conflict;    // PRIMARY KEY / UNIQUE: ROLLBACK, FAIL, IGNORE, REPLACE; empty = ABORT
  // FOREIGN KEY
  std::string references;                // normalized parent table name
  std::vector<std::string> ref_columns;  // normalized; empty when omitted
  std::string on_delete = "NO ACTION";   // as written, upper-cased
  std::string on_update = "NO ACTION";
  bool deferrable = false;          // DEFERRABLE (not NOT DEFERRABLE)
  bool initially_deferred = false;  // DEFERRABLE INITIALLY DEFERRED
};

struct ParsedColumn {
  std::string name;                          // normalized
  std::string type;                          // NormalizeType of the declared type; empty when none
  std::string collation;                     // COLLATE, upper-cased; empty when none
  std::optional<std::string> default_value;  // canonical expression
  std::optional<std::string> generated;      // canonical expression
  bool generated_stored = false;
  bool autoincrement = false;
  bool primary_key_desc = false;     // "INTEGER PRIMARY KEY DESC" is not a rowid alias
  std::string not_null_on_conflict;  // NOT NULL ON CONFLICT x (empty = ABORT)
};

struct ParsedTable {
  std::string name;  // normalized
  bool is_virtual = false;
  std::string virtual_using;  // "USING fts5(a, b)" (canonical)
  std::vector<ParsedColumn> columns;
  // Table constraints and column constraints alike (a column's UNIQUE becomes
  // a constraint on that column), in declaration order.
  std::vector<ParsedConstraint> constraints;
  bool without_rowid = false;
  bool strict = false;
};

struct ParsedIndex {
  std::string name;   // normalized
  std::string table;  // normalized
  bool unique = false;
  std::vector<KeyPart> keys;
  std::string where;  // canonical predicate; empty when not partial
};

struct ParsedView {
  std::string name;                  // normalized
  std::vector<std::string> columns;  // CREATE VIEW v(a, b): normalized
  std::string select;                // canonical SELECT text
  // "SELECT ..." or "(a, b) AS SELECT ...": the model's definition attribute.
  std::string definition;
};

struct ParsedTrigger {
  std::string name;    // normalized
  std::string timing;  // BEFORE (also when omitted), AFTER, INSTEAD OF
  std::string event;   // INSERT, DELETE, UPDATE, UPDATE OF a, b
  std::string table;   // normalized
  std::string when;    // canonical condition; empty when none
  std::string body;    // canonical statements between BEGIN and END
  // CREATE TRIGGER name timing event ON table [WHEN ...] BEGIN body END
  std::string definition;
};

// Parsers for the text SQLite stores in sqlite_schema.sql. Errors are
// kInvalidInput with the byte offset and the text near it.
Result<ParsedTable> ParseCreateTable(std::string_view sql);
Result<ParsedIndex> ParseCreateIndex(std::string_view sql);
Result<ParsedView> ParseCreateView(std::string_view sql);
Result<ParsedTrigger> ParseCreateTrigger(std::string_view sql);

}  // namespace cutover::sqlite
