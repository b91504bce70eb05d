// MySQL/MariaDB rules, on each statement's tokens. InnoDB decides per ALTER
// whether it can work INSTANT, INPLACE (writes allowed) or must COPY the
// table (writes blocked); these rules flag the changes that copy or block,
// and accept an explicit ALGORITHM=INSTANT, or LOCK=NONE (MariaDB: ALTER
// ONLINE TABLE), as the author's assertion: the server then refuses the
// statement instead of silently copying. With lint --scratch the server is
// asked instead (lint_scratch.cc) and these guesses give way to its answer.
#include <algorithm>

#include "base/strings.h"
#include "lint/lint_internal.h"
#include "lint/token_cursor.h"

namespace cutover::lint {
namespace {

using plan::Statement;
using plan::Token;
using plan::TokenKind;

class MySqlAnalyzer {
 public:
  MySqlAnalyzer(FileLinter& l, const Statement& s, const std::vector<Token>& t) : l_(l), s_(s), t_(t) {}

  StatementKind Run() {
    // MariaDB's WAIT n / NOWAIT on ALTER, DROP, TRUNCATE, RENAME, OPTIMIZE.
    for (size_t i = 0; i < t_.size(); ++i) {
      if (t_[i].Is("NOWAIT")) l_.NoteStatementLockTimeout(std::chrono::milliseconds(1));
      if (t_[i].Is("WAIT") && i + 1 < t_.size() && t_[i + 1].kind == TokenKind::kNumber) {
        l_.NoteStatementLockTimeout(Seconds(t_[i + 1].text));
      }
    }
    return Analyze(0);
  }

 private:
  static std::chrono::milliseconds Seconds(std::string_view number) {
    double v = 0;
    try {
      v = std::stod(std::string(number));
    } catch (...) {
      v = 0;
    }
    return std::chrono::milliseconds(static_cast<std::int64_t>(v * 1000));
  }

  StatementKind Analyze(size_t begin) {
    TokenCursor c(t_, begin, t_.size());
    const Token* first = c.Peek();
    if (first == nullptr) return StatementKind::kOther;
    if (c.Accept("SET")) return Set(c);
    if (c.Accept("ALTER")) {
      while (c.Accept("ONLINE") || c.Accept("OFFLINE") || c.Accept("IGNORE")) {
        if (t_[c.pos() - 1].Is("ONLINE")) online_keyword_ = true;
      }
      if (c.Accept("TABLE")) return AlterTable(c);
      return StatementKind::kDdl;
    }
    if (c.Accept("CREATE")) return Create(c);
    if (c.Accept("DROP")) return Drop(c);
    if (c.AcceptAll({"RENAME", "TABLE"})) {
      for (auto [b, e] : SplitTopLevel(t_, c.pos(), t_.size())) {
        TokenCursor r(t_, b, e);
        auto from = r.QualifiedName();
        if (!from) continue;
        bool was_new = l_.IsNew(*from);
        std::optional<TableName> to;
        if (r.Accept("TO")) to = r.QualifiedName();
        l_.Change(s_, ChangeKind::kRename, *from,
                  "table " + from->Display() + " renamed" + (to ? " to " + to->Display() : std::string()));
        l_.StrongLock(s_, *from, "exclusive metadata", "MY006");
        if (was_new && to) l_.NoteCreated(*to);
      }
      return StatementKind::kDdl;
    }
    if (c.Accept("TRUNCATE")) {
      c.Accept("TABLE");
      if (auto t = c.QualifiedName()) {
        l_.Change(s_, ChangeKind::kTruncate, *t, "TRUNCATE " + t->Display());
        l_.StrongLock(s_, *t, "exclusive metadata", "MY006");
      }
      return StatementKind::kDdl;
    }
    if (c.Accept("OPTIMIZE")) {
      c.Accept("NO_WRITE_TO_BINLOG") || c.Accept("LOCAL");
      c.Accept("TABLE") || c.Accept("TABLES");
      for (auto [b, e] : SplitTopLevel(t_, c.pos(), t_.size())) {
        TokenCursor r(t_, b, e);
        auto t = r.QualifiedName();
        if (!t || l_.IsNew(*t)) continue;
        l_.Report("MY007", &s_, "OPTIMIZE TABLE rebuilds " + t->Display());
        l_.StrongLock(s_, *t, "exclusive metadata", "MY006");
      }
      return StatementKind::kOther;
    }
    if (c.Accept("DELETE")) {
      while (c.Accept("LOW_PRIORITY") || c.Accept("QUICK") || c.Accept("IGNORE")) {
      }
      c.Accept("FROM");
      if (auto t = c.QualifiedName()) {
        l_.Change(
            s_, ChangeKind::kDelete, *t,
            std::string(HasTopLevelWord(t_, c.pos(), t_.size(), "WHERE") ? "DELETE" : "DELETE of every row") +
                " from " + t->Display());
      }
      return StatementKind::kDml;
    }
    if (c.Accept("UPDATE")) {
      while (c.Accept("LOW_PRIORITY") || c.Accept("IGNORE")) {
      }
      if (auto t = c.QualifiedName()) l_.Change(s_, ChangeKind::kUpdate, *t, "UPDATE of " + t->Display());
      return StatementKind::kDml;
    }
    if (first->Is("INSERT") || first->Is("REPLACE") || first->Is("LOAD")) return StatementKind::kDml;
    if (first->Is("WITH")) {
      for (std::string_view dml : {"UPDATE", "DELETE", "INSERT"}) {
        if (HasTopLevelWord(t_, begin, t_.size(), dml)) return StatementKind::kDml;
      }
      return StatementKind::kQuery;
    }
    if (first->Is("SELECT") || first->Is("SHOW") || first->Is("DESCRIBE") || first->Is("DESC") ||
        first->Is("EXPLAIN") || first->Is("VALUES") || first->Is("TABLE") || first->IsSymbol('(')) {
      return StatementKind::kQuery;
    }
    if (first->Is("START") || first->Is("COMMIT") || first->Is("ROLLBACK") || first->Is("SAVEPOINT") ||
        first->Is("RELEASE") || first->Is("XA")) {
      return StatementKind::kTransaction;
    }
    if (first->Is("BEGIN")) {
      // BEGIN NOT ATOMIC ... END is MariaDB's compound statement, not a transaction.
      return c.PeekIs("NOT", 1) ? StatementKind::kOther : StatementKind::kTransaction;
    }
    if (first->Is("GRANT") || first->Is("REVOKE")) return StatementKind::kDdl;
    return StatementKind::kOther;
  }

  // SET [GLOBAL|SESSION] var = value, ... and MariaDB's
  // SET STATEMENT var = value, ... FOR <statement>.
  StatementKind Set(TokenCursor& c) {
    const bool statement_scope = c.Accept("STATEMENT");
    size_t end = t_.size();
    if (statement_scope) {
      int depth = 0;
      for (size_t i = c.pos(); i < t_.size(); ++i) {
        if (t_[i].IsSymbol('(')) ++depth;
        if (t_[i].IsSymbol(')')) --depth;
        if (depth == 0 && t_[i].Is("FOR")) {
          end = i;
          break;
        }
      }
    }
    const bool fk_before = l_.mysql_foreign_key_checks_off;
    for (auto [b, e] : SplitTopLevel(t_, c.pos(), end)) {
      TokenCursor a(t_, b, e);
      bool global = false;
      if (a.Accept("GLOBAL") || a.Accept("PERSIST") || a.Accept("PERSIST_ONLY")) global = true;
      a.Accept("SESSION") || a.Accept("LOCAL");
      const Token* var = a.Peek();
      if (var == nullptr) continue;
      a.Skip();
      std::string name = ToLower(var->text);
      if (StartsWith(name, "@@global.")) global = true;
      for (std::string_view prefix : {"@@session.", "@@local.", "@@global.", "@@"}) {
        if (StartsWith(name, prefix)) {
          name = name.substr(prefix.size());
          break;
        }
      }
      if (!a.AcceptSymbol('=')) {
        if (const Token* op = a.Peek(); op != nullptr && op->text == ":=") a.Skip();
      }
      const Token* value = a.Peek();
      if (global || value == nullptr) continue;
      if (name == "lock_wait_timeout") {
        std::chrono::milliseconds v =
            value->kind == TokenKind::kNumber ? Seconds(value->text) : std::chrono::milliseconds(0);
        if (statement_scope) {
          l_.NoteStatementLockTimeout(v.count() == 0 ? std::chrono::milliseconds(31'536'000'000) : v);
        } else {
          l_.NoteSessionLockTimeout(v);
        }
      } else if (name == "foreign_key_checks") {
        l_.mysql_foreign_key_checks_off = value->text == "0" || EqualsIgnoreCase(value->text, "OFF");
      }
    }
    if (!statement_scope) return StatementKind::kSession;
    // The statement after FOR, with the settings for it alone.
    StatementKind kind = end < t_.size() ? Analyze(end + 1) : StatementKind::kOther;
    l_.mysql_foreign_key_checks_off = fk_before;
    return kind;
  }

  struct ColumnDef {
    bool enum_or_set = false;
    bool stored_generated = false;
    bool generated = false;
    bool auto_increment = false;
    bool not_null = false;
    bool has_default = false;
    bool primary = false;
    bool unique = false;
  };

  ColumnDef ReadColumnDef(size_t b, size_t e) const {
    ColumnDef d;
    if (b < e && (t_[b].Is("ENUM") || t_[b].Is("SET"))) d.enum_or_set = true;
    int depth = 0;
    for (size_t i = b; i < e; ++i) {
      if (t_[i].IsSymbol('(')) ++depth;
      if (t_[i].IsSymbol(')')) --depth;
      if (depth != 0) continue;
      const Token& t = t_[i];
      if (t.Is("AS") || t.Is("GENERATED")) d.generated = true;
      if (t.Is("STORED") || t.Is("PERSISTENT")) d.stored_generated = true;
      if (t.Is("AUTO_INCREMENT")) d.auto_increment = true;
      if (t.Is("NOT") && i + 1 < e && t_[i + 1].Is("NULL")) d.not_null = true;
      if (t.Is("DEFAULT")) d.has_default = true;
      if (t.Is("PRIMARY")) d.primary = true;
      if (t.Is("UNIQUE")) d.unique = true;
    }
    return d;
  }

  // ALGORITHM=INSTANT, or LOCK=NONE with any algorithm but COPY: the server
  // refuses the statement rather than block writes or copy the table.
  // ALGORITHM= and LOCK= anywhere from `from` on (upper-cased; empty when absent).
  std::pair<std::string, std::string> AlgorithmAndLock(size_t from) const {
    std::string algorithm, lock;
    for (size_t i = from; i + 1 < t_.size(); ++i) {
      if (!t_[i].Is("ALGORITHM") && !t_[i].Is("LOCK")) continue;
      size_t v = i + 1;
      if (t_[v].IsSymbol('=') && v + 1 < t_.size()) ++v;
      (t_[i].Is("ALGORITHM") ? algorithm : lock) = ToUpper(t_[v].text);
    }
    return {algorithm, lock};
  }

  // LOCK=EXCLUSIVE or LOCK=SHARED asks the server to block the application
  // for the whole statement, whatever the operation could do online.
  void ExplicitBlockingLock(const TableName& t, const std::string& lock) {
    // With --scratch the server's answer (MY011) says it for this statement.
    if ((lock != "EXCLUSIVE" && lock != "SHARED") || l_.IsNew(t) || l_.server_answered()) return;
    l_.Report("MY015", &s_,
              "LOCK=" + lock + " blocks " + (lock == "EXCLUSIVE" ? "reads and writes" : "writes") + " on " +
                  t.Display() + " for the whole statement");
  }

  static bool IsOnline(const std::string& algorithm, const std::string& lock) {
    return algorithm == "INSTANT" || (lock == "NONE" && algorithm != "COPY");
  }

  // Reports a rule that means "the table is copied or writes are blocked",
  // unless the statement asks for a non-blocking algorithm (the server then
  // refuses instead) or the table is new.
  // With lint --scratch the server's answer replaces this guess.
  void Copy(std::string_view rule, const TableName& t, std::string message) {
    if (online_ || l_.IsNew(t) || l_.server_answered()) return;
    l_.Report(rule, &s_, std::move(message));
  }

  void AddColumn(const TableName& t, size_t b, size_t e) {
    TokenCursor c(t_, b, e);
    c.AcceptAll({"IF", "NOT", "EXISTS"});
    auto col = c.Identifier();
    if (!col) return;
    ColumnDef d = ReadColumnDef(c.pos(), e);
    const std::string where = "column " + *col + " of " + t.Display();
    if (d.stored_generated) Copy("MY003", t, "STORED generated " + where + " is computed for every row");
    if (d.auto_increment) Copy("MY008", t, "AUTO_INCREMENT " + where + " rebuilds the table, writes blocked");
    if (d.primary) Copy("MY007", t, "PRIMARY KEY " + where + " rebuilds the table");
    if (d.primary || d.unique) {
      l_.Change(s_, ChangeKind::kAddUnique, t, std::string(d.primary ? "PRIMARY KEY " : "UNIQUE ") + where);
    }
    if (d.not_null && !d.has_default && !d.auto_increment && !d.generated) {
      l_.Change(s_, ChangeKind::kAddNotNullWithoutDefault, t, where + " added NOT NULL without a default");
    }
  }

  void Redefine(const TableName& t, const std::string& col, size_t b, size_t e, const char* verb) {
    ColumnDef d = ReadColumnDef(b, e);
    const std::string where = t.Display() + "." + col;
    l_.Change(s_, ChangeKind::kTypeChange, t, std::string(verb) + " redefines column " + where);
    if (d.enum_or_set) {
      Copy("MY002", t, std::string(verb) + " changes the ENUM/SET of " + where);
    } else {
      Copy("MY001", t, std::string(verb) + " redefines " + where + ": table copy unless in place");
    }
  }

  void AlterSpec(const TableName& t, size_t b, size_t e) {
    TokenCursor c(t_, b, e);
    if (c.Accept("ADD")) {
      if (c.Accept("COLUMN")) {
        if (c.PeekSymbol('(')) {
          AddColumnList(t, c.pos(), e);
        } else {
          AddColumn(t, c.pos(), e);
        }
        return;
      }
      if (c.Accept("CONSTRAINT")) {
        if (!c.PeekIs("PRIMARY") && !c.PeekIs("UNIQUE") && !c.PeekIs("FOREIGN") && !c.PeekIs("CHECK")) {
          c.Identifier();
        }
      }
      if (c.PeekIs("INDEX") || c.PeekIs("KEY") || c.PeekIs("PARTITION") || c.PeekIs("PERIOD") ||
          c.PeekIs("SYSTEM")) {
        return;  // secondary indexes are built in place with writes allowed
      }
      if (c.PeekIs("FULLTEXT") || c.PeekIs("SPATIAL")) {
        Copy("MY009", t, std::string(c.Peek()->text) + " index on " + t.Display() + " blocks writes");
        return;
      }
      if (c.PeekIs("PRIMARY")) {
        Copy("MY007", t, "ADD PRIMARY KEY rebuilds " + t.Display());
        l_.Change(s_, ChangeKind::kAddUnique, t, "PRIMARY KEY added to " + t.Display());
        return;
      }
      if (c.PeekIs("UNIQUE")) {
        l_.Change(s_, ChangeKind::kAddUnique, t, "UNIQUE key added to " + t.Display());
        return;
      }
      if (c.PeekIs("FOREIGN")) {
        if (!l_.mysql_foreign_key_checks_off) {
          Copy("MY005", t, "foreign key on " + t.Display() + " with foreign_key_checks on: table copy");
        }
        return;
      }
      if (c.PeekIs("CHECK")) {
        Copy("MY010", t, "CHECK constraint on " + t.Display() + " validated through a table copy");
        return;
      }
      if (c.PeekSymbol('(')) {
        AddColumnList(t, c.pos(), e);
        return;
      }
      AddColumn(t, c.pos(), e);
      return;
    }
    if (c.Accept("DROP")) {
      if (c.AcceptAll({"PRIMARY", "KEY"})) {
        Copy("MY007", t, "DROP PRIMARY KEY copies " + t.Display() + ", writes blocked");
        return;
      }
      if (c.Accept("INDEX") || c.Accept("KEY")) {
        c.AcceptAll({"IF", "EXISTS"});
        if (auto idx = c.Identifier()) {
          l_.Change(s_, ChangeKind::kDropIndex, TableName{"", *idx},
                    "index " + *idx + " of " + t.Display() + " dropped");
        }
        return;
      }
      if (c.PeekIs("FOREIGN") || c.PeekIs("CONSTRAINT") || c.PeekIs("CHECK") || c.PeekIs("PARTITION") ||
          c.PeekIs("PERIOD") || c.PeekIs("SYSTEM")) {
        return;
      }
      c.Accept("COLUMN");
      c.AcceptAll({"IF", "EXISTS"});
      if (auto col = c.Identifier()) {
        l_.Change(s_, ChangeKind::kDropColumn, t, "column " + *col + " of " + t.Display() + " dropped");
      }
      return;
    }
    if (c.Accept("MODIFY")) {
      c.Accept("COLUMN");
      c.AcceptAll({"IF", "EXISTS"});
      if (auto col = c.Identifier()) Redefine(t, *col, c.pos(), e, "MODIFY");
      return;
    }
    if (c.Accept("CHANGE")) {
      c.Accept("COLUMN");
      c.AcceptAll({"IF", "EXISTS"});
      auto old_name = c.Identifier();
      auto new_name = c.Identifier();
      if (!old_name || !new_name) return;
      if (!EqualsIgnoreCase(*old_name, *new_name)) {
        l_.Change(s_, ChangeKind::kRename, t,
                  "column " + *old_name + " of " + t.Display() + " renamed to " + *new_name);
      }
      Redefine(t, *new_name, c.pos(), e, "CHANGE");
      return;
    }
    if (c.Accept("RENAME")) {
      if (c.Accept("COLUMN")) {
        auto from = c.Identifier();
        c.Accept("TO");
        auto to = c.Identifier();
        if (from) {
          l_.Change(
              s_, ChangeKind::kRename, t,
              "column " + *from + " of " + t.Display() + " renamed" + (to ? " to " + *to : std::string()));
        }
        return;
      }
      if (c.PeekIs("INDEX") || c.PeekIs("KEY")) return;
      c.Accept("TO") || c.Accept("AS");
      auto to = c.QualifiedName();
      l_.Change(s_, ChangeKind::kRename, t,
                "table " + t.Display() + " renamed" + (to ? " to " + to->Display() : std::string()));
      if (to && l_.IsNew(t)) l_.NoteCreated(*to);
      return;
    }
    if (c.AcceptAll({"CONVERT", "TO"})) {
      Copy("MY004", t, "CONVERT TO CHARACTER SET copies " + t.Display());
      return;
    }
    if (c.Accept("FORCE")) {
      Copy("MY007", t, "FORCE rebuilds " + t.Display());
      return;
    }
    if (c.PeekIs("ENGINE") || c.PeekIs("ROW_FORMAT")) {
      Copy("MY007", t, std::string(c.Peek()->text) + "= rebuilds " + t.Display());
      return;
    }
    if (c.Accept("ALGORITHM")) {
      c.AcceptSymbol('=');
      if (c.PeekIs("COPY")) {
        if (!l_.IsNew(t) && !l_.server_answered())
          l_.Report("MY007", &s_, "ALGORITHM=COPY copies " + t.Display() + ", writes blocked");
      }
    }
  }

  void AddColumnList(const TableName& t, size_t b, size_t e) {
    // ADD (a INT, b INT): the parenthesized list.
    if (b >= e || !t_[b].IsSymbol('(')) return;
    size_t close = b;
    int depth = 0;
    for (size_t i = b; i < e; ++i) {
      if (t_[i].IsSymbol('(')) ++depth;
      if (t_[i].IsSymbol(')') && --depth == 0) {
        close = i;
        break;
      }
    }
    for (auto [cb, ce] : SplitTopLevel(t_, b + 1, close)) AddColumn(t, cb, ce);
  }

  StatementKind AlterTable(TokenCursor& c) {
    c.AcceptAll({"IF", "EXISTS"});
    auto table = c.QualifiedName();
    if (!table) return StatementKind::kDdl;
    if (c.Accept("WAIT")) c.Skip();
    c.Accept("NOWAIT");
    auto [algorithm, lock] = AlgorithmAndLock(c.pos());
    ExplicitBlockingLock(*table, lock);
    if (online_keyword_) lock = "NONE";
    online_ = IsOnline(algorithm, lock);
    for (auto [b, e] : SplitTopLevel(t_, c.pos(), t_.size())) AlterSpec(*table, b, e);
    l_.StrongLock(s_, *table, "exclusive metadata", "MY006");
    return StatementKind::kDdl;
  }

  StatementKind Create(TokenCursor& c) {
    c.AcceptAll({"OR", "REPLACE"});
    while (c.Accept("TEMPORARY") || c.Accept("ONLINE") || c.Accept("OFFLINE")) {
    }
    if (c.Accept("TABLE")) {
      c.AcceptAll({"IF", "NOT", "EXISTS"});
      if (auto t = c.QualifiedName()) l_.NoteCreated(*t);
      return StatementKind::kDdl;
    }
    std::string index_kind;
    if (c.PeekIs("UNIQUE") || c.PeekIs("FULLTEXT") || c.PeekIs("SPATIAL")) {
      index_kind = ToUpper(c.Peek()->text);
      c.Skip();
    }
    if (c.Accept("INDEX") || c.Accept("KEY")) {
      c.AcceptAll({"IF", "NOT", "EXISTS"});
      auto name = c.Identifier();
      while (!c.AtEnd() && !c.PeekIs("ON")) c.Skip();  // USING BTREE
      c.Accept("ON");
      auto t = c.QualifiedName();
      if (!t) return StatementKind::kDdl;
      auto [algorithm, lock] = AlgorithmAndLock(c.pos());
      ExplicitBlockingLock(*t, lock);
      online_ = IsOnline(algorithm, lock);
      const std::string shown = name ? "index " + *name : std::string("an index");
      if (index_kind == "FULLTEXT" || index_kind == "SPATIAL") {
        Copy("MY009", *t, index_kind + " " + shown + " on " + t->Display() + " blocks writes");
      }
      if (algorithm == "COPY" && !l_.IsNew(*t) && !l_.server_answered()) {
        l_.Report("MY007", &s_, "ALGORITHM=COPY copies " + t->Display() + ", writes blocked");
      }
      if (index_kind == "UNIQUE")
        l_.Change(s_, ChangeKind::kAddUnique, *t, "unique " + shown + " on " + t->Display());
      l_.StrongLock(s_, *t, "exclusive metadata", "MY006");
      return StatementKind::kDdl;
    }
    // CREATE [DEFINER=...] TRIGGER name {BEFORE|AFTER} event ON table
    for (size_t i = c.pos(); i < t_.size(); ++i) {
      if (t_[i].Is("TRIGGER")) {
        for (size_t k = i + 1; k < t_.size(); ++k) {
          if (t_[k].Is("ON")) {
            TokenCursor on(t_, k + 1, t_.size());
            if (auto t = on.QualifiedName()) l_.StrongLock(s_, *t, "exclusive metadata", "MY006");
            break;
          }
        }
        break;
      }
      if (t_[i].Is("VIEW") || t_[i].Is("PROCEDURE") || t_[i].Is("FUNCTION") || t_[i].Is("EVENT")) break;
    }
    return StatementKind::kDdl;
  }

  StatementKind Drop(TokenCursor& c) {
    c.Accept("TEMPORARY");
    if (c.Accept("TABLE") || c.Accept("TABLES")) {
      c.AcceptAll({"IF", "EXISTS"});
      for (auto [b, e] : SplitTopLevel(t_, c.pos(), t_.size())) {
        TokenCursor r(t_, b, e);
        auto t = r.QualifiedName();
        if (!t) continue;
        l_.Change(s_, ChangeKind::kDropObject, *t, "table " + t->Display() + " dropped");
        l_.StrongLock(s_, *t, "exclusive metadata", "MY006");
      }
      return StatementKind::kDdl;
    }
    if (c.Accept("INDEX")) {
      c.Accept("ONLINE") || c.Accept("OFFLINE");
      c.AcceptAll({"IF", "EXISTS"});
      auto idx = c.Identifier();
      c.Accept("ON");
      auto t = c.QualifiedName();
      if (idx) {
        l_.Change(s_, ChangeKind::kDropIndex, TableName{"", *idx},
                  "index " + *idx + (t ? " of " + t->Display() : std::string()) + " dropped");
      }
      if (t) l_.StrongLock(s_, *t, "exclusive metadata", "MY006");
      return StatementKind::kDdl;
    }
    const Token* kind = c.Peek();
    if (kind == nullptr) return StatementKind::kDdl;
    c.Skip();
    c.AcceptAll({"IF", "EXISTS"});
    if (auto name = c.QualifiedName()) {
      l_.Change(s_, ChangeKind::kDropObject, *name, ToLower(kind->text) + " " + name->Display() + " dropped");
    }
    return StatementKind::kDdl;
  }

  FileLinter& l_;
  const Statement& s_;
  const std::vector<Token>& t_;
  bool online_ = false;
  bool online_keyword_ = false;
};

}  // namespace

StatementKind AnalyzeMySql(FileLinter& linter, const plan::Statement& statement) {
  plan::LexOptions options;
  options.dialect = plan::SqlDialect::kMySql;
  options.first_line = statement.line;
  auto tokens = plan::Lex(statement.text, options);
  if (!tokens.ok() || tokens->empty()) return StatementKind::kOther;
  return MySqlAnalyzer(linter, statement, *tokens).Run();
}

}  // namespace cutover::lint
