#include "sqlite_ddl_parse.h"

#include <algorithm>
#include <array>
#include <cctype>

#include "base/strings.h"

namespace cutover::sqlite {
namespace {

// SQLite 3.40's keywords (sqlite3_keyword_name), sorted for binary search.
// clang-format off
constexpr std::array<std::string_view, 147> kKeywords = {
    "ABORT", "ACTION", "ADD", "AFTER", "ALL", "ALTER", "ALWAYS",
    "ANALYZE", "AND", "AS", "ASC", "ATTACH", "AUTOINCREMENT", "BEFORE",
    "BEGIN", "BETWEEN", "BY", "CASCADE", "CASE", "CAST", "CHECK",
    "COLLATE", "COLUMN", "COMMIT", "CONFLICT", "CONSTRAINT", "CREATE", "CROSS",
    "CURRENT", "CURRENT_DATE", "CURRENT_TIME", "CURRENT_TIMESTAMP", "DATABASE", "DEFAULT", "DEFERRABLE",
    "DEFERRED", "DELETE", "DESC", "DETACH", "DISTINCT", "DO", "DROP",
    "EACH", "ELSE", "END", "ESCAPE", "EXCEPT", "EXCLUDE", "EXCLUSIVE",
    "EXISTS", "EXPLAIN", "FAIL", "FILTER", "FIRST", "FOLLOWING", "FOR",
    "FOREIGN", "FROM", "FULL", "GENERATED", "GLOB", "GROUP", "GROUPS",
    "HAVING", "IF", "IGNORE", "IMMEDIATE", "IN", "INDEX", "INDEXED",
    "INITIALLY", "INNER", "INSERT", "INSTEAD", "INTERSECT", "INTO", "IS",
    "ISNULL", "JOIN", "KEY", "LAST", "LEFT", "LIKE", "LIMIT",
    "MATCH", "MATERIALIZED", "NATURAL", "NO", "NOT", "NOTHING", "NOTNULL",
    "NULL", "NULLS", "OF", "OFFSET", "ON", "OR", "ORDER",
    "OTHERS", "OUTER", "OVER", "PARTITION", "PLAN", "PRAGMA", "PRECEDING",
    "PRIMARY", "QUERY", "RAISE", "RANGE", "RECURSIVE", "REFERENCES", "REGEXP",
    "REINDEX", "RELEASE", "RENAME", "REPLACE", "RESTRICT", "RETURNING", "RIGHT",
    "ROLLBACK", "ROW", "ROWS", "SAVEPOINT", "SELECT", "SET", "TABLE",
    "TEMP", "TEMPORARY", "THEN", "TIES", "TO", "TRANSACTION", "TRIGGER",
    "UNBOUNDED", "UNION", "UNIQUE", "UPDATE", "USING", "VACUUM", "VALUES",
    "VIEW", "VIRTUAL", "WHEN", "WHERE", "WINDOW", "WITH", "WITHOUT",
};
// clang-format on

bool IsIdStart(unsigned char c) {
  return std::isalpha(c) || c == '_' || c >= 0x80;
}
bool IsIdChar(unsigned char c) {
  return std::isalnum(c) || c == '_' || c == '$' || c >= 0x80;
}

std::string Near(std::string_view sql, std::size_t offset) {
  std::string near(sql.substr(std::min(offset, sql.size()), 40));
  for (char& c : near) {
    if (c == '\n' || c == '\r' || c == '\t') c = ' ';
  }
  return near;
}

Status SyntaxError(std::string_view sql, std::size_t offset, const std::string& what) {
  return Status::InvalidInput(what + " at offset " + std::to_string(offset) + " near '" + Near(sql, offset) +
                              "'");
}

// True when the bare word ends an operand, so a following '-' or '+' is binary.
bool IsOperandKeyword(std::string_view upper) {
  return upper == "NULL" || upper == "END" || upper == "CURRENT_DATE" || upper == "CURRENT_TIME" ||
         upper == "CURRENT_TIMESTAMP";
}

bool IsUnaryContext(const Token* before) {
  if (before == nullptr) return true;
  switch (before->kind) {
    case TokenKind::kLParen:
    case TokenKind::kComma:
    case TokenKind::kSemicolon:
    case TokenKind::kOperator: return true;
    case TokenKind::kWord: {
      std::string upper = ToUpper(before->text);
      return IsKeyword(upper) && !IsOperandKeyword(upper);
    }
    default: return false;
  }
}

std::string CanonicalToken(const Token& t) {
  switch (t.kind) {
    case TokenKind::kWord:
      if (IsKeyword(t.text)) return ToUpper(t.text);
      return RenderIdentifier(ToLower(t.text));
    case TokenKind::kQuotedIdent: return RenderIdentifier(NormalizeName(t));
    case TokenKind::kNumber: return ToLower(t.text);
    case TokenKind::kBlob: return ToUpper(t.text);
    case TokenKind::kOperator:
      if (t.text == "==") return "=";
      if (t.text == "!=") return "<>";
      return std::string(t.text);
    default: return std::string(t.text);
  }
}

// ---------------------------------------------------------------------------
// Cursor over the tokens of one statement.
class Cursor {
 public:
  Cursor(std::string_view sql, std::vector<Token> tokens) : sql_(sql), tokens_(std::move(tokens)) {
    // A trailing ';' is not part of the statement.
    while (!tokens_.empty() && tokens_.back().kind == TokenKind::kSemicolon) tokens_.pop_back();
  }

  bool AtEnd() const { return pos_ >= tokens_.size(); }
  std::size_t pos() const { return pos_; }
  void set_pos(std::size_t p) { pos_ = p; }
  const std::vector<Token>& tokens() const { return tokens_; }
  std::span<const Token> Range(std::size_t begin, std::size_t end) const {
    return std::span<const Token>(tokens_).subspan(begin, end - begin);
  }

  const Token* Peek(std::size_t ahead = 0) const {
    return pos_ + ahead < tokens_.size() ? &tokens_[pos_ + ahead] : nullptr;
  }
  bool Is(TokenKind kind, std::size_t ahead = 0) const {
    const Token* t = Peek(ahead);
    return t != nullptr && t->kind == kind;
  }
  // True when the token `ahead` is the bare word `word` (case-insensitive).
  bool IsWord(std::string_view word, std::size_t ahead = 0) const {
    const Token* t = Peek(ahead);
    return t != nullptr && t->kind == TokenKind::kWord && EqualsIgnoreCase(t->text, word);
  }
  bool AcceptWord(std::string_view word) {
    if (!IsWord(word)) return false;
    ++pos_;
    return true;
  }
  bool Accept(TokenKind kind) {
    if (!Is(kind)) return false;
    ++pos_;
    return true;
  }
  Status ExpectWord(std::string_view word) {
    if (AcceptWord(word)) return Status::Ok();
    return Error("expected " + std::string(word));
  }
  Status Expect(TokenKind kind, const char* what) {
    if (Accept(kind)) return Status::Ok();
    return Error(std::string("expected ") + what);
  }
  // Any token that can name something: bare word, quoted identifier or string.
  bool IsName() const {
    return Is(TokenKind::kWord) || Is(TokenKind::kQuotedIdent) || Is(TokenKind::kString);
  }
  Result<std::string> Name(const char* what) {
    if (!IsName()) return Error(std::string("expected ") + what);
    return NormalizeName(tokens_[pos_++]);
  }
  // [schema.]name: the schema qualifier is dropped (only "main" is read).
  Result<std::string> QualifiedName(const char* what) {
    auto name = Name(what);
    if (!name.ok()) return name;
    if (Accept(TokenKind::kDot)) return Name(what);
    return name;
  }
  // At '(': consumes the balanced group and returns the index range inside it.
  Result<std::pair<std::size_t, std::size_t>> Group() {
    if (!Is(TokenKind::kLParen)) return Error("expected '('");
    std::size_t begin = ++pos_;
    int depth = 1;
    while (pos_ < tokens_.size()) {
      if (tokens_[pos_].kind == TokenKind::kLParen) ++depth;
      if (tokens_[pos_].kind == TokenKind::kRParen && --depth == 0) {
        return std::pair<std::size_t, std::size_t>(begin, pos_++);
      }
      ++pos_;
    }
    return Error("unbalanced parentheses");
  }
  // Index of the next token at depth 0 (from the current position) that is
  // a ',' or a ')' closing the enclosing group, or the end.
  std::size_t FindListEnd() const {
    int depth = 0;
    for (std::size_t i = pos_; i < tokens_.size(); ++i) {
      TokenKind k = tokens_[i].kind;
      if (k == TokenKind::kLParen) ++depth;
      if (k == TokenKind::kRParen) {
        if (depth == 0) return i;
        --depth;
      }
      if (k == TokenKind::kComma && depth == 0) return i;
    }
    return tokens_.size();
  }

  Status Error(const std::string& what) const {
    std::size_t offset = AtEnd() ? sql_.size() : tokens_[pos_].offset;
    if (AtEnd()) return Status::InvalidInput(what + " at the end of the statement");
    return SyntaxError(sql_, offset, what);
  }

 private:
  std::string_view sql_;
  std::vector<Token> tokens_;
  std::size_t pos_ = 0;
};

Result<Cursor> MakeCursor(std::string_view sql) {
  auto tokens = Tokenize(sql);
  if (!tokens.ok()) return tokens.status();
  return Cursor(sql, std::move(tokens).value());
}

// CREATE [TEMP|TEMPORARY] <object words...>
Status ParseCreatePrefix(Cursor& c) {
  CUTOVER_RETURN_IF_ERROR(c.ExpectWord("CREATE"));
  if (!c.AcceptWord("TEMP")) (void)c.AcceptWord("TEMPORARY");
  return Status::Ok();
}

void AcceptIfNotExists(Cursor& c) {
  if (c.IsWord("IF") && c.IsWord("NOT", 1) && c.IsWord("EXISTS", 2)) c.set_pos(c.pos() + 3);
}

// ON CONFLICT <resolution>, returning "" for ABORT (the default).
Result<std::string> ParseConflictClause(Cursor& c) {
  if (!(c.IsWord("ON") && c.IsWord("CONFLICT", 1))) return std::string();
  c.set_pos(c.pos() + 2);
  for (const char* r : {"ROLLBACK", "ABORT", "FAIL", "IGNORE", "REPLACE"}) {
    if (c.AcceptWord(r)) return std::string(r) == "ABORT" ? std::string() : std::string(r);
  }
  return c.Error("expected a conflict resolution (ROLLBACK, ABORT, FAIL, IGNORE, REPLACE)");
}

// The tokens [begin, end) of one indexed column: expr [COLLATE name] [ASC|DESC]
// [AUTOINCREMENT].
// The keywords that are values where an expression may stand.
bool IsLiteralKeyword(std::string_view word) {
  for (std::string_view k : {"NULL", "CURRENT_TIME", "CURRENT_DATE", "CURRENT_TIMESTAMP"}) {
    if (EqualsIgnoreCase(word, k)) return true;
  }
  return false;
}

Result<KeyPart> ParseKeyPart(const Cursor& c, std::size_t begin, std::size_t end) {
  KeyPart part;
  auto is_word = [&](std::size_t i, std::string_view w) {
    return c.tokens()[i].kind == TokenKind::kWord && EqualsIgnoreCase(c.tokens()[i].text, w);
  };
  // Each suffix is one only when something stays before it: a column may
  // be named asc, desc or autoincrement ("UNIQUE (desc, id)").
  if (end > begin + 1 && is_word(end - 1, "AUTOINCREMENT")) {
    part.autoincrement = true;
    --end;
  }
  if (end > begin + 1 && (is_word(end - 1, "ASC") || is_word(end - 1, "DESC"))) {
    part.desc = is_word(end - 1, "DESC");
    --end;
  }
  if (end >= begin + 3 && is_word(end - 2, "COLLATE")) {
    part.collation = ToUpper(UnquoteIdentifier(c.tokens()[end - 1]));
    end -= 2;
  }
  if (end == begin) return Status::InvalidInput("empty key in a column list");
  std::span<const Token> expr = StripOuterParens(c.Range(begin, end));
  if (expr.size() == 1 && (expr[0].kind == TokenKind::kWord || expr[0].kind == TokenKind::kQuotedIdent ||
                           expr[0].kind == TokenKind::kString)) {
    // A lone word in a key list names a column, keywords included: SQLite
    // lets KEY, ACTION, REPLACE and most other keywords be names
    // ("UNIQUE (key, scope)"). Only the literal keywords are values.
    if (expr[0].kind != TokenKind::kWord || !IsLiteralKeyword(expr[0].text)) {
      part.column = NormalizeName(expr[0]);
      return part;
    }
  }
  part.expression = RenderSql(expr);
  return part;
}

// ( key, key, ... )
Result<std::vector<KeyPart>> ParseKeyList(Cursor& c) {
  auto group = c.Group();
  if (!group.ok()) return group.status();
  std::vector<KeyPart> keys;
  std::size_t start = group->first;
  int depth = 0;
  for (std::size_t i = group->first; i <= group->second; ++i) {
    const Token& t = c.tokens()[i];
    bool end_of_key = i == group->second || (t.kind == TokenKind::kComma && depth == 0);
    if (end_of_key) {
      auto part = ParseKeyPart(c, start, i);
      if (!part.ok()) return part.status();
      keys.push_back(std::move(part).value());
      start = i + 1;
      continue;
    }
    if (t.kind == TokenKind::kLParen) ++depth;
    if (t.kind == TokenKind::kRParen) --depth;
  }
  return keys;
}

// ( name, name, ... )
Result<std::vector<std::string>> ParseNameList(Cursor& c) {
  CUTOVER_RETURN_IF_ERROR(c.Expect(TokenKind::kLParen, "'('"));
  std::vector<std::string> names;
  do {
    auto name = c.Name("a column name");
    if (!name.ok()) return name.status();
    names.push_back(std::move(name).value());
  } while (c.Accept(TokenKind::kComma));
  CUTOVER_RETURN_IF_ERROR(c.Expect(TokenKind::kRParen, "')'"));
  return names;
}

// [NOT] DEFERRABLE [INITIALLY DEFERRED|IMMEDIATE], applied to `fk`. Returns
// false (consuming nothing) when the clause is not there.
Result<bool> ParseDeferClause(Cursor& c, ParsedConstraint* fk) {
  bool not_deferrable = false;
  if (c.IsWord("NOT") && c.IsWord("DEFERRABLE", 1)) {
    c.set_pos(c.pos() + 2);
    not_deferrable = true;
  } else if (!c.AcceptWord("DEFERRABLE")) {
    return false;
  }
  bool deferred = false;
  if (c.AcceptWord("INITIALLY")) {
    if (c.AcceptWord("DEFERRED")) {
      deferred = true;
    } else if (!c.AcceptWord("IMMEDIATE")) {
      return c.Error("expected DEFERRED or IMMEDIATE");
    }
  }
  // SQLite applies it to the table's most recent foreign key (none: ignored).
  if (fk != nullptr) {
    fk->deferrable = !not_deferrable;
    fk->initially_deferred = !not_deferrable && deferred;
  }
  return true;
}

// REFERENCES parent [(cols)] [ON DELETE|UPDATE|INSERT action | MATCH name]...
Status ParseForeignKeyClause(Cursor& c, ParsedConstraint& fk) {
  CUTOVER_RETURN_IF_ERROR(c.ExpectWord("REFERENCES"));
  auto parent = c.Name("the referenced table");
  if (!parent.ok()) return parent.status();
  fk.references = std::move(parent).value();
  if (c.Is(TokenKind::kLParen)) {
    auto cols = ParseNameList(c);
    if (!cols.ok()) return cols.status();
    fk.ref_columns = std::move(cols).value();
  }
  while (true) {
    if (c.IsWord("ON") && (c.IsWord("DELETE", 1) || c.IsWord("UPDATE", 1) || c.IsWord("INSERT", 1))) {
      const bool is_delete = c.IsWord("DELETE", 1);
      const bool is_insert = c.IsWord("INSERT", 1);  // accepted and ignored by SQLite
      c.set_pos(c.pos() + 2);
      std::string action;
      if (c.AcceptWord("SET")) {
        if (c.AcceptWord("NULL")) {
          action = "SET NULL";
        } else if (c.AcceptWord("DEFAULT")) {
          action = "SET DEFAULT";
        } else {
          return c.Error("expected NULL or DEFAULT after SET");
        }
      } else if (c.AcceptWord("CASCADE")) {
        action = "CASCADE";
      } else if (c.AcceptWord("RESTRICT")) {
        action = "RESTRICT";
      } else if (c.IsWord("NO") && c.IsWord("ACTION", 1)) {
        c.set_pos(c.pos() + 2);
        action = "NO ACTION";
      } else {
        return c.Error("expected a foreign key action");
      }
      if (!is_insert) (is_delete ? fk.on_delete : fk.on_update) = action;
      continue;
    }
    if (c.AcceptWord("MATCH")) {
      auto ignored = c.Name("a MATCH type");  // parsed and ignored by SQLite
      if (!ignored.ok()) return ignored.status();
      continue;
    }
    break;
  }
  return Status::Ok();
}

bool IsColumnConstraintStart(const Cursor& c) {
  for (const char* w : {"CONSTRAINT", "PRIMARY", "NOT", "NULL", "UNIQUE", "CHECK", "DEFAULT", "COLLATE",
                        "REFERENCES", "GENERATED", "AS"}) {
    if (c.IsWord(w)) return true;
  }
  return false;
}

Status ParseColumnDef(Cursor& c, ParsedTable& table) {
  ParsedColumn col;
  auto name = c.Name("a column name");
  if (!name.ok()) return name.status();
  col.name = std::move(name).value();

  // Type: names up to a constraint keyword, then an optional ( ... ).
  std::size_t type_begin = c.pos();
  while (!c.AtEnd() && c.IsName() && !IsColumnConstraintStart(c)) c.set_pos(c.pos() + 1);
  if (c.pos() > type_begin && c.Is(TokenKind::kLParen)) {
    auto group = c.Group();
    if (!group.ok()) return group.status();
  }
  if (c.pos() > type_begin) {
    std::string declared;
    for (const Token& t : c.Range(type_begin, c.pos())) declared += std::string(t.text) + " ";
    col.type = NormalizeType(declared);
  }

  std::string constraint_name;
  while (!c.AtEnd() && !c.Is(TokenKind::kComma) && !c.Is(TokenKind::kRParen)) {
    if (c.AcceptWord("CONSTRAINT")) {
      auto cname = c.Name("a constraint name");
      if (!cname.ok()) return cname.status();
      constraint_name = std::move(cname).value();
      continue;
    }
    ParsedConstraint cons;
    cons.name = constraint_name;
    constraint_name.clear();
    if (c.AcceptWord("PRIMARY")) {
      CUTOVER_RETURN_IF_ERROR(c.ExpectWord("KEY"));
      cons.kind = ConstraintKind::kPrimaryKey;
      KeyPart key;
      key.column = col.name;
      if (c.AcceptWord("DESC")) {
        col.primary_key_desc = true;
      } else {
        (void)c.AcceptWord("ASC");
      }
      auto conflict = ParseConflictClause(c);
      if (!conflict.ok()) return conflict.status();
      cons.on_conflict = *conflict;
      if (c.AcceptWord("AUTOINCREMENT")) col.autoincrement = true;
      cons.keys.push_back(std::move(key));
      table.constraints.push_back(std::move(cons));
    } else if (c.IsWord("NOT") && c.IsWord("NULL", 1)) {
      c.set_pos(c.pos() + 2);
      auto conflict = ParseConflictClause(c);
      if (!conflict.ok()) return conflict.status();
      col.not_null_on_conflict = *conflict;
    } else if (c.AcceptWord("NULL")) {
      auto conflict = ParseConflictClause(c);
      if (!conflict.ok()) return conflict.status();
    } else if (c.AcceptWord("UNIQUE")) {
      cons.kind = ConstraintKind::kUnique;
      KeyPart key;
      key.column = col.name;
      cons.keys.push_back(std::move(key));
      auto conflict = ParseConflictClause(c);
      if (!conflict.ok()) return conflict.status();
      cons.on_conflict = *conflict;
      table.constraints.push_back(std::move(cons));
    } else if (c.AcceptWord("CHECK")) {
      auto group = c.Group();
      if (!group.ok()) return group.status();
      cons.kind = ConstraintKind::kCheck;
      cons.expression = RenderSql(StripOuterParens(c.Range(group->first, group->second)));
      table.constraints.push_back(std::move(cons));
    } else if (c.AcceptWord("DEFAULT")) {
      std::size_t begin = c.pos();
      if (c.Is(TokenKind::kLParen)) {
        auto group = c.Group();
        if (!group.ok()) return group.status();
      } else {
        const Token* sign = c.Peek();
        if (sign != nullptr && sign->kind == TokenKind::kOperator &&
            (sign->text == "-" || sign->text == "+")) {
          c.set_pos(c.pos() + 1);
        }
        if (c.AtEnd()) return c.Error("expected a default value");
        c.set_pos(c.pos() + 1);
      }
      col.default_value = RenderSql(StripOuterParens(c.Range(begin, c.pos())));
    } else if (c.AcceptWord("COLLATE")) {
      auto coll = c.Name("a collation name");
      if (!coll.ok()) return coll.status();
      col.collation = ToUpper(*coll);
    } else if (c.IsWord("REFERENCES")) {
      cons.kind = ConstraintKind::kForeignKey;
      KeyPart key;
      key.column = col.name;
      cons.keys.push_back(std::move(key));
      CUTOVER_RETURN_IF_ERROR(ParseForeignKeyClause(c, cons));
      table.constraints.push_back(std::move(cons));
    } else if (c.IsWord("DEFERRABLE") || (c.IsWord("NOT") && c.IsWord("DEFERRABLE", 1))) {
      // A separate column constraint in SQLite's grammar, for the table's
      // most recent foreign key.
      ParsedConstraint* last_fk = nullptr;
      for (ParsedConstraint& pc : table.constraints) {
        if (pc.kind == ConstraintKind::kForeignKey) last_fk = &pc;
      }
      auto parsed = ParseDeferClause(c, last_fk);
      if (!parsed.ok()) return parsed.status();
    } else if (c.IsWord("GENERATED") || c.IsWord("AS")) {
      if (c.AcceptWord("GENERATED")) CUTOVER_RETURN_IF_ERROR(c.ExpectWord("ALWAYS"));
      CUTOVER_RETURN_IF_ERROR(c.ExpectWord("AS"));
      auto group = c.Group();
      if (!group.ok()) return group.status();
      col.generated = RenderSql(StripOuterParens(c.Range(group->first, group->second)));
      if (c.AcceptWord("STORED")) {
        col.generated_stored = true;
      } else {
        (void)c.AcceptWord("VIRTUAL");
      }
    } else {
      return c.Error("unexpected text in the definition of column '" + col.name + "'");
    }
  }
  table.columns.push_back(std::move(col));
  return Status::Ok();
}

bool IsTableConstraintStart(const Cursor& c) {
  return c.IsWord("CONSTRAINT") || c.IsWord("PRIMARY") || c.IsWord("UNIQUE") || c.IsWord("CHECK") ||
         c.IsWord("FOREIGN");
}

Status ParseTableConstraint(Cursor& c, ParsedTable& table) {
  ParsedConstraint cons;
  if (c.AcceptWord("CONSTRAINT")) {
    auto name = c.Name("a constraint name");
    if (!name.ok()) return name.status();
    cons.name = std::move(name).value();
  }
  if (c.AcceptWord("PRIMARY") || c.AcceptWord("UNIQUE")) {
    bool primary = EqualsIgnoreCase(c.tokens()[c.pos() - 1].text, "PRIMARY");
    if (primary) CUTOVER_RETURN_IF_ERROR(c.ExpectWord("KEY"));
    cons.kind = primary ? ConstraintKind::kPrimaryKey : ConstraintKind::kUnique;
    auto keys = ParseKeyList(c);
    if (!keys.ok()) return keys.status();
    cons.keys = std::move(keys).value();
    for (const KeyPart& k : cons.keys) {
      if (k.column.empty()) return c.Error("expressions are not allowed in PRIMARY KEY or UNIQUE");
      if (k.autoincrement) {
        for (ParsedColumn& col : table.columns) {
          if (col.name == k.column) col.autoincrement = true;
        }
      }
    }
    auto conflict = ParseConflictClause(c);
    if (!conflict.ok()) return conflict.status();
    cons.on_conflict = *conflict;
  } else if (c.AcceptWord("CHECK")) {
    auto group = c.Group();
    if (!group.ok()) return group.status();
    cons.kind = ConstraintKind::kCheck;
    cons.expression = RenderSql(StripOuterParens(c.Range(group->first, group->second)));
    auto ignored = ParseConflictClause(c);  // CHECK (...) ON CONFLICT x: parsed, ignored by SQLite
    if (!ignored.ok()) return ignored.status();
  } else if (c.AcceptWord("FOREIGN")) {
    CUTOVER_RETURN_IF_ERROR(c.ExpectWord("KEY"));
    cons.kind = ConstraintKind::kForeignKey;
    auto cols = ParseNameList(c);
    if (!cols.ok()) return cols.status();
    for (std::string& col : *cols) {
      KeyPart key;
      key.column = std::move(col);
      cons.keys.push_back(std::move(key));
    }
    CUTOVER_RETURN_IF_ERROR(ParseForeignKeyClause(c, cons));
    auto deferred = ParseDeferClause(c, &cons);
    if (!deferred.ok()) return deferred.status();
  } else if (!cons.name.empty() &&
             (c.Is(TokenKind::kComma) || c.Is(TokenKind::kRParen) || IsTableConstraintStart(c))) {
    return Status::Ok();  // "CONSTRAINT name" alone: accepted and ignored by SQLite
  } else {
    return c.Error("expected PRIMARY KEY, UNIQUE, CHECK or FOREIGN KEY");
  }
  table.constraints.push_back(std::move(cons));
  return Status::Ok();
}

std::string RenderEvent(const std::string& verb, const std::vector<std::string>& columns) {
  if (columns.empty()) return verb;
  std::string out = verb + " OF ";
  for (std::size_t i = 0; i < columns.size(); ++i) {
    if (i) out += ", ";
    out += RenderIdentifier(columns[i]);
  }
  return out;
}

}  // namespace

// ---------------------------------------------------------------------------
// Tokens

Result<std::vector<Token>> Tokenize(std::string_view sql) {
  std::vector<Token> out;
  std::size_t i = 0;
  const std::size_t n = sql.size();
  auto at = [&](std::size_t k) -> unsigned char { return k < n ? static_cast<unsigned char>(sql[k]) : 0; };
  auto push = [&](TokenKind kind, std::size_t begin, std::size_t end) {
    out.push_back(Token{kind, sql.substr(begin, end - begin), begin});
  };
  while (i < n) {
    unsigned char ch = at(i);
    std::size_t begin = i;
    if (std::isspace(ch)) {
      ++i;
      continue;
    }
    if (ch == '-' && at(i + 1) == '-') {
      while (i < n && sql[i] != '\n') ++i;
      continue;
    }
    if (ch == '/' && at(i + 1) == '*') {
      std::size_t close = sql.find("*/", i + 2);
      i = close == std::string_view::npos ? n : close + 2;
      continue;
    }
    if ((ch == 'x' || ch == 'X') && at(i + 1) == '\'') {
      std::size_t close = sql.find('\'', i + 2);
      if (close == std::string_view::npos) return SyntaxError(sql, begin, "unterminated blob literal");
      i = close + 1;
      push(TokenKind::kBlob, begin, i);
      continue;
    }
    if (IsIdStart(ch)) {
      while (i < n && IsIdChar(at(i))) ++i;
      push(TokenKind::kWord, begin, i);
      continue;
    }
    if (ch == '\'' || ch == '"' || ch == '`') {
      ++i;
      while (true) {
        if (i >= n) return SyntaxError(sql, begin, "unterminated quote");
        if (at(i) == ch) {
          if (at(i + 1) == ch) {
            i += 2;
            continue;
          }
          ++i;
          break;
        }
        ++i;
      }
      push(ch == '\'' ? TokenKind::kString : TokenKind::kQuotedIdent, begin, i);
      continue;
    }
    if (ch == '[') {
      std::size_t close = sql.find(']', i + 1);
      if (close == std::string_view::npos) return SyntaxError(sql, begin, "unterminated [identifier]");
      i = close + 1;
      push(TokenKind::kQuotedIdent, begin, i);
      continue;
    }
    if (std::isdigit(ch) || (ch == '.' && std::isdigit(at(i + 1)))) {
      if (ch == '0' && (at(i + 1) == 'x' || at(i + 1) == 'X') && std::isxdigit(at(i + 2))) {
        i += 2;
        while (std::isxdigit(at(i))) ++i;
      } else {
        while (std::isdigit(at(i))) ++i;
        if (at(i) == '.') {
          ++i;
          while (std::isdigit(at(i))) ++i;
        }
        if ((at(i) == 'e' || at(i) == 'E') &&
            (std::isdigit(at(i + 1)) ||
             ((at(i + 1) == '+' || at(i + 1) == '-') && std::isdigit(at(i + 2))))) {
          i += 2;
          while (std::isdigit(at(i))) ++i;
        }
      }
      push(TokenKind::kNumber, begin, i);
      continue;
    }
    if (ch == '?') {
      ++i;
      while (std::isdigit(at(i))) ++i;
      push(TokenKind::kVariable, begin, i);
      continue;
    }
    if ((ch == ':' || ch == '@' || ch == '$' || ch == '#') && IsIdChar(at(i + 1))) {
      ++i;
      while (IsIdChar(at(i))) ++i;
      push(TokenKind::kVariable, begin, i);
      continue;
    }
    switch (ch) {
      case '(':
        push(TokenKind::kLParen, i, i + 1);
        ++i;
        continue;
      case ')':
        push(TokenKind::kRParen, i, i + 1);
        ++i;
        continue;
      case ',':
        push(TokenKind::kComma, i, i + 1);
        ++i;
        continue;
      case ';':
        push(TokenKind::kSemicolon, i, i + 1);
        ++i;
        continue;
      case '.':
        push(TokenKind::kDot, i, i + 1);
        ++i;
        continue;
      default: break;
    }
    // Operators: longest match first.
    static constexpr std::array<std::string_view, 10> kLongOperators = {
        "->>", "->", "||", "<=", ">=", "==", "!=", "<>", "<<", ">>"};
    bool matched = false;
    for (std::string_view op : kLongOperators) {
      if (sql.substr(i, op.size()) == op) {
        push(TokenKind::kOperator, i, i + op.size());
        i += op.size();
        matched = true;
        break;
      }
    }
    if (matched) continue;
    if (std::string_view("+-*/%&|~<>=").find(static_cast<char>(ch)) != std::string_view::npos) {
      push(TokenKind::kOperator, i, i + 1);
      ++i;
      continue;
    }
    return SyntaxError(sql, begin, "unexpected character");
  }
  return out;
}

bool IsKeyword(std::string_view word) {
  if (word.size() > 17) return false;  // longest keyword: CURRENT_TIMESTAMP
  std::string upper = ToUpper(word);
  return std::binary_search(kKeywords.begin(), kKeywords.end(), std::string_view(upper));
}

std::string UnquoteIdentifier(const Token& token) {
  std::string_view t = token.text;
  if (token.kind == TokenKind::kWord || t.size() < 2) return std::string(t);
  char open = t.front();
  std::string_view inner = t.substr(1, t.size() - 2);
  if (open == '[') return std::string(inner);
  std::string out;
  out.reserve(inner.size());
  for (std::size_t i = 0; i < inner.size(); ++i) {
    out += inner[i];
    if (inner[i] == open && i + 1 < inner.size() && inner[i + 1] == open) ++i;
  }
  return out;
}

std::string NormalizeName(const Token& token) {
  return ToLower(UnquoteIdentifier(token));
}

std::string RenderIdentifier(std::string_view name) {
  bool plain = !name.empty() && IsIdStart(static_cast<unsigned char>(name[0])) && !IsKeyword(name);
  for (char ch : name) {
    unsigned char c = static_cast<unsigned char>(ch);
    if (!IsIdChar(c) || std::isupper(c)) plain = false;
  }
  if (plain) return std::string(name);
  return "\"" + ReplaceAll(name, "\"", "\"\"") + "\"";
}

std::string RenderSql(std::span<const Token> tokens) {
  std::string out;
  for (std::size_t i = 0; i < tokens.size(); ++i) {
    const Token& t = tokens[i];
    const Token* prev = i > 0 ? &tokens[i - 1] : nullptr;
    bool space = prev != nullptr;
    if (prev != nullptr) {
      switch (t.kind) {
        case TokenKind::kRParen:
        case TokenKind::kComma:
        case TokenKind::kSemicolon:
        case TokenKind::kDot: space = false; break;
        case TokenKind::kLParen:
          // f(x), t(a, b): no space after a name; IN (...), AS (...): a space.
          if (prev->kind == TokenKind::kQuotedIdent ||
              (prev->kind == TokenKind::kWord && !IsKeyword(prev->text))) {
            space = false;
          }
          break;
        default: break;
      }
      if (prev->kind == TokenKind::kLParen || prev->kind == TokenKind::kDot) space = false;
      if (prev->kind == TokenKind::kOperator &&
          (prev->text == "-" || prev->text == "+" || prev->text == "~") &&
          IsUnaryContext(i > 1 ? &tokens[i - 2] : nullptr)) {
        space = false;
      }
    }
    if (space) out += ' ';
    out += CanonicalToken(t);
  }
  return out;
}

std::span<const Token> StripOuterParens(std::span<const Token> tokens) {
  while (tokens.size() >= 2 && tokens.front().kind == TokenKind::kLParen &&
         tokens.back().kind == TokenKind::kRParen) {
    // The first '(' must close at the very end, not earlier: (a) + (b).
    int depth = 0;
    std::size_t close = 0;
    for (std::size_t i = 0; i < tokens.size(); ++i) {
      if (tokens[i].kind == TokenKind::kLParen) ++depth;
      if (tokens[i].kind == TokenKind::kRParen && --depth == 0) {
        close = i;
        break;
      }
    }
    if (close != tokens.size() - 1) break;
    tokens = tokens.subspan(1, tokens.size() - 2);
  }
  return tokens;
}

Result<std::string> NormalizeExpression(std::string_view expression) {
  auto tokens = Tokenize(expression);
  if (!tokens.ok()) return tokens.status();
  return RenderSql(StripOuterParens(*tokens));
}

std::string NormalizeType(std::string_view declared) {
  auto tokens = Tokenize(declared);
  if (!tokens.ok()) return ToUpper(CollapseSqlWhitespace(declared));
  std::string out;
  const Token* prev = nullptr;
  for (const Token& t : *tokens) {
    bool glue = prev == nullptr || t.kind == TokenKind::kLParen || t.kind == TokenKind::kRParen ||
                t.kind == TokenKind::kComma || prev->kind == TokenKind::kLParen ||
                prev->kind == TokenKind::kComma || prev->kind == TokenKind::kOperator;
    if (!glue) out += ' ';
    out += t.kind == TokenKind::kQuotedIdent ? ToUpper(UnquoteIdentifier(t)) : ToUpper(t.text);
    prev = &t;
  }
  return out;
}

// ---------------------------------------------------------------------------
// Statements

Result<ParsedTable> ParseCreateTable(std::string_view sql) {
  auto cursor = MakeCursor(sql);
  if (!cursor.ok()) return cursor.status();
  Cursor& c = *cursor;
  ParsedTable table;
  CUTOVER_RETURN_IF_ERROR(ParseCreatePrefix(c));
  table.is_virtual = c.AcceptWord("VIRTUAL");
  CUTOVER_RETURN_IF_ERROR(c.ExpectWord("TABLE"));
  AcceptIfNotExists(c);
  auto name = c.QualifiedName("a table name");
  if (!name.ok()) return name.status();
  table.name = std::move(name).value();

  if (table.is_virtual) {
    if (!c.IsWord("USING")) return c.Error("expected USING");
    table.virtual_using = RenderSql(c.Range(c.pos(), c.tokens().size()));
    return table;
  }
  if (c.IsWord("AS")) return c.Error("CREATE TABLE ... AS SELECT is not stored by SQLite");
  CUTOVER_RETURN_IF_ERROR(c.Expect(TokenKind::kLParen, "'(' after the table name"));
  bool in_constraints = false;
  while (true) {
    if (!in_constraints && IsTableConstraintStart(c)) in_constraints = true;
    if (in_constraints) {
      CUTOVER_RETURN_IF_ERROR(ParseTableConstraint(c, table));
      // Commas between table constraints are optional in SQLite.
      if (c.Accept(TokenKind::kComma)) continue;
      if (c.Is(TokenKind::kRParen)) break;
      if (IsTableConstraintStart(c)) continue;
      return c.Error("expected ',' or ')'");
    }
    CUTOVER_RETURN_IF_ERROR(ParseColumnDef(c, table));
    if (c.Accept(TokenKind::kComma)) continue;
    if (c.Is(TokenKind::kRParen)) break;
    return c.Error("expected ',' or ')'");
  }
  CUTOVER_RETURN_IF_ERROR(c.Expect(TokenKind::kRParen, "')'"));
  if (table.columns.empty()) return c.Error("a table needs at least one column");
  // Table options: WITHOUT ROWID, STRICT, comma-separated.
  while (!c.AtEnd()) {
    if (c.IsWord("WITHOUT") && c.IsWord("ROWID", 1)) {
      c.set_pos(c.pos() + 2);
      table.without_rowid = true;
    } else if (c.AcceptWord("STRICT")) {
      table.strict = true;
    } else {
      return c.Error("expected WITHOUT ROWID or STRICT");
    }
    if (!c.Accept(TokenKind::kComma)) break;
  }
  if (!c.AtEnd()) return c.Error("unexpected text after the table definition");
  return table;
}

Result<ParsedIndex> ParseCreateIndex(std::string_view sql) {
  auto cursor = MakeCursor(sql);
  if (!cursor.ok()) return cursor.status();
  Cursor& c = *cursor;
  ParsedIndex index;
  CUTOVER_RETURN_IF_ERROR(c.ExpectWord("CREATE"));
  index.unique = c.AcceptWord("UNIQUE");
  CUTOVER_RETURN_IF_ERROR(c.ExpectWord("INDEX"));
  AcceptIfNotExists(c);
  auto name = c.QualifiedName("an index name");
  if (!name.ok()) return name.status();
  index.name = std::move(name).value();
  CUTOVER_RETURN_IF_ERROR(c.ExpectWord("ON"));
  auto table = c.Name("a table name");
  if (!table.ok()) return table.status();
  index.table = std::move(table).value();
  auto keys = ParseKeyList(c);
  if (!keys.ok()) return keys.status();
  index.keys = std::move(keys).value();
  if (c.AcceptWord("WHERE")) {
    if (c.AtEnd()) return c.Error("expected a WHERE condition");
    index.where = RenderSql(StripOuterParens(c.Range(c.pos(), c.tokens().size())));
    c.set_pos(c.tokens().size());
  }
  if (!c.AtEnd()) return c.Error("unexpected text after the index definition");
  return index;
}

Result<ParsedView> ParseCreateView(std::string_view sql) {
  auto cursor = MakeCursor(sql);
  if (!cursor.ok()) return cursor.status();
  Cursor& c = *cursor;
  ParsedView view;
  CUTOVER_RETURN_IF_ERROR(ParseCreatePrefix(c));
  CUTOVER_RETURN_IF_ERROR(c.ExpectWord("VIEW"));
  AcceptIfNotExists(c);
  auto name = c.QualifiedName("a view name");
  if (!name.ok()) return name.status();
  view.name = std::move(name).value();
  if (c.Is(TokenKind::kLParen)) {
    auto cols = ParseNameList(c);
    if (!cols.ok()) return cols.status();
    view.columns = std::move(cols).value();
  }
  CUTOVER_RETURN_IF_ERROR(c.ExpectWord("AS"));
  if (c.AtEnd()) return c.Error("expected a SELECT");
  view.select = RenderSql(c.Range(c.pos(), c.tokens().size()));
  view.definition = view.select;
  if (!view.columns.empty()) {
    std::string cols;
    for (std::size_t i = 0; i < view.columns.size(); ++i) {
      if (i) cols += ", ";
      cols += RenderIdentifier(view.columns[i]);
    }
    view.definition = "(" + cols + ") AS " + view.select;
  }
  return view;
}

Result<ParsedTrigger> ParseCreateTrigger(std::string_view sql) {
  auto cursor = MakeCursor(sql);
  if (!cursor.ok()) return cursor.status();
  Cursor& c = *cursor;
  ParsedTrigger trig;
  CUTOVER_RETURN_IF_ERROR(ParseCreatePrefix(c));
  CUTOVER_RETURN_IF_ERROR(c.ExpectWord("TRIGGER"));
  AcceptIfNotExists(c);
  auto name = c.QualifiedName("a trigger name");
  if (!name.ok()) return name.status();
  trig.name = std::move(name).value();

  trig.timing = "BEFORE";
  if (c.AcceptWord("BEFORE")) {
    trig.timing = "BEFORE";
  } else if (c.AcceptWord("AFTER")) {
    trig.timing = "AFTER";
  } else if (c.IsWord("INSTEAD") && c.IsWord("OF", 1)) {
    c.set_pos(c.pos() + 2);
    trig.timing = "INSTEAD OF";
  }
  if (c.AcceptWord("INSERT")) {
    trig.event = "INSERT";
  } else if (c.AcceptWord("DELETE")) {
    trig.event = "DELETE";
  } else if (c.AcceptWord("UPDATE")) {
    std::vector<std::string> cols;
    if (c.AcceptWord("OF")) {
      do {
        auto col = c.Name("a column name");
        if (!col.ok()) return col.status();
        cols.push_back(std::move(col).value());
      } while (c.Accept(TokenKind::kComma));
    }
    trig.event = RenderEvent("UPDATE", cols);
  } else {
    return c.Error("expected INSERT, UPDATE or DELETE");
  }
  CUTOVER_RETURN_IF_ERROR(c.ExpectWord("ON"));
  auto table = c.QualifiedName("a table name");
  if (!table.ok()) return table.status();
  trig.table = std::move(table).value();
  if (c.IsWord("FOR") && c.IsWord("EACH", 1) && c.IsWord("ROW", 2)) c.set_pos(c.pos() + 3);
  if (c.AcceptWord("WHEN")) {
    std::size_t begin = c.pos();
    while (!c.AtEnd() && !c.IsWord("BEGIN")) c.set_pos(c.pos() + 1);
    if (c.pos() == begin) return c.Error("expected a WHEN condition");
    trig.when = RenderSql(StripOuterParens(c.Range(begin, c.pos())));
  }
  CUTOVER_RETURN_IF_ERROR(c.ExpectWord("BEGIN"));
  std::size_t body_begin = c.pos();
  std::size_t last = c.tokens().size();
  if (last <= body_begin || !(c.tokens()[last - 1].kind == TokenKind::kWord &&
                              EqualsIgnoreCase(c.tokens()[last - 1].text, "END"))) {
    c.set_pos(last);
    return c.Error("expected END closing the trigger body");
  }
  trig.body = RenderSql(c.Range(body_begin, last - 1));
  trig.definition = "CREATE TRIGGER " + RenderIdentifier(trig.name) + " " + trig.timing + " " + trig.event +
                    " ON " + RenderIdentifier(trig.table);
  if (!trig.when.empty()) trig.definition += " WHEN " + trig.when;
  trig.definition += " BEGIN " + trig.body + " END";
  return trig;
}

}  // namespace cutover::sqlite
