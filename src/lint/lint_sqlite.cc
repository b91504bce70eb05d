// SQLite rules, on each statement's tokens. SQLite's ALTER TABLE can only
// rename a table or column, add a column (with restrictions) and drop a
// column; everything else needs a table rebuild, and every write holds the
// database-wide write lock until its transaction ends.
#include <algorithm>

#include "base/strings.h"
#include "lint/lint_internal.h"
#include "lint/token_cursor.h"

namespace cutover::lint {
namespace {

using plan::Statement;
using plan::Token;

Result<std::vector<Token>> LexSqlite(const Statement& s) {
  plan::LexOptions options;
  options.dialect = plan::SqlDialect::kSqlite;
  options.first_line = s.line;
  return plan::Lex(s.text, options);
}

class SqliteAnalyzer {
 public:
  SqliteAnalyzer(FileLinter& l, const Statement& s, const std::vector<Token>& t) : l_(l), s_(s), t_(t) {}

  StatementKind Run() {
    TokenCursor c(t_, 0, t_.size());
    const Token* first = c.Peek();
    if (first == nullptr) return StatementKind::kOther;
    if (c.AcceptAll({"ALTER", "TABLE"})) return AlterTable(c);
    if (c.Accept("CREATE")) return Create(c);
    if (c.Accept("DROP")) return Drop(c);
    if (c.Accept("DELETE")) {
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
      if (c.Accept("OR")) c.Skip();  // OR ROLLBACK / ABORT / REPLACE / FAIL / IGNORE
      if (auto t = c.QualifiedName()) l_.Change(s_, ChangeKind::kUpdate, *t, "UPDATE of " + t->Display());
      return StatementKind::kDml;
    }
    if (first->Is("INSERT") || first->Is("REPLACE")) return StatementKind::kDml;
    if (first->Is("WITH")) {
      for (std::string_view dml : {"UPDATE", "DELETE", "INSERT", "REPLACE"}) {
        if (HasTopLevelWord(t_, 0, t_.size(), dml)) return StatementKind::kDml;
      }
      return StatementKind::kQuery;
    }
    if (first->Is("SELECT") || first->Is("VALUES") || first->Is("EXPLAIN")) return StatementKind::kQuery;
    if (c.Accept("PRAGMA")) {
      auto name = c.QualifiedName();
      if (name && EqualsIgnoreCase(name->name, "foreign_keys") && (c.PeekSymbol('=') || c.PeekSymbol('(')) &&
          l_.in_transaction()) {
        l_.Report("SQ005", &s_, "PRAGMA foreign_keys has no effect inside the file's transaction");
      }
      return StatementKind::kSession;
    }
    if (first->Is("VACUUM")) {
      l_.Report("SQ007", &s_, "VACUUM rewrites the whole database file");
      return StatementKind::kOther;
    }
    if (first->Is("BEGIN") || first->Is("COMMIT") || first->Is("END") || first->Is("ROLLBACK") ||
        first->Is("SAVEPOINT") || first->Is("RELEASE")) {
      return StatementKind::kTransaction;
    }
    return StatementKind::kOther;
  }

 private:
  StatementKind AlterTable(TokenCursor& c) {
    auto t = c.QualifiedName();
    if (!t) return StatementKind::kDdl;
    if (c.Accept("RENAME")) {
      if (c.Accept("TO")) {
        auto to = c.QualifiedName();
        l_.Change(s_, ChangeKind::kRename, *t,
                  "table " + t->Display() + " renamed" + (to ? " to " + to->Display() : std::string()));
        if (to && l_.IsNew(*t)) l_.NoteCreated(*to);
        if (to) l_.plan_state().MoveColumns(*t, *to);
        return StatementKind::kDdl;
      }
      c.Accept("COLUMN");
      auto from = c.Identifier();
      c.Accept("TO");
      auto to = c.Identifier();
      if (auto* columns = l_.plan_state().Columns(*t); columns != nullptr && from && to) {
        std::replace(columns->begin(), columns->end(), ToLower(*from), ToLower(*to));
      }
      if (from) {
        l_.Change(
            s_, ChangeKind::kRename, *t,
            "column " + *from + " of " + t->Display() + " renamed" + (to ? " to " + *to : std::string()));
      }
      return StatementKind::kDdl;
    }
    if (c.PeekIs("ADD") && !c.PeekIs("CONSTRAINT", 1) && !c.PeekIs("PRIMARY", 1) && !c.PeekIs("UNIQUE", 1) &&
        !c.PeekIs("FOREIGN", 1) && !c.PeekIs("CHECK", 1)) {
      c.Skip();
      c.Accept("COLUMN");
      auto col = c.Identifier();
      if (col) AddColumn(*t, *col, c.pos());
      if (auto* columns = l_.plan_state().Columns(*t); columns != nullptr && col)
        columns->push_back(ToLower(*col));
      return StatementKind::kDdl;
    }
    if (c.Accept("DROP")) {
      c.Accept("COLUMN");
      if (auto col = c.Identifier()) {
        if (auto* columns = l_.plan_state().Columns(*t)) std::erase(*columns, ToLower(*col));
        l_.Change(s_, ChangeKind::kDropColumn, *t, "column " + *col + " of " + t->Display() + " dropped");
        if (!l_.IsNew(*t)) l_.Report("SQ003", &s_, "DROP COLUMN " + *col + " rewrites " + t->Display());
      }
      return StatementKind::kDdl;
    }
    const Token* what = c.Peek();
    l_.Report("SQ004", &s_,
              "ALTER TABLE " + t->Display() + " " + (what ? ToUpper(what->text) : std::string()) +
                  " is not supported by SQLite");
    return StatementKind::kDdl;
  }

  void AddColumn(const TableName& t, const std::string& col, size_t begin) {
    bool not_null = false, null_default = true, has_default = false, non_constant = false, stored = false;
    std::string key;
    int depth = 0;
    for (size_t i = begin; i < t_.size(); ++i) {
      if (t_[i].IsSymbol('(')) ++depth;
      if (t_[i].IsSymbol(')')) --depth;
      if (depth != 0) continue;
      const Token& tok = t_[i];
      if (tok.Is("NOT") && i + 1 < t_.size() && t_[i + 1].Is("NULL")) not_null = true;
      if (tok.Is("PRIMARY")) key = "PRIMARY KEY";
      if (tok.Is("UNIQUE")) key = "UNIQUE";
      if (tok.Is("STORED")) stored = true;
      if (tok.Is("DEFAULT") && i + 1 < t_.size()) {
        has_default = true;
        const Token& v = t_[i + 1];
        null_default = v.Is("NULL");
        if (v.IsSymbol('(') || v.Is("CURRENT_TIME") || v.Is("CURRENT_DATE") || v.Is("CURRENT_TIMESTAMP")) {
          non_constant = true;
        }
      }
    }
    const std::string where = "column " + col + " added to " + t.Display();
    std::string reason;
    if (!key.empty()) reason = "a " + key + " column";
    if (not_null && (!has_default || null_default)) reason = "a NOT NULL column without a non-NULL default";
    if (non_constant) reason = "a column with a non-constant default";
    if (stored) reason = "a STORED generated column";
    if (!reason.empty()) l_.Report("SQ001", &s_, where + ": SQLite cannot ADD " + reason);
    if (!key.empty()) l_.Change(s_, ChangeKind::kAddUnique, t, key + " " + where);
  }

  StatementKind Create(TokenCursor& c) {
    c.Accept("TEMP") || c.Accept("TEMPORARY");
    if (c.Accept("TABLE") || c.AcceptAll({"VIRTUAL", "TABLE"})) {
      c.AcceptAll({"IF", "NOT", "EXISTS"});
      if (auto t = c.QualifiedName()) {
        l_.NoteCreated(*t);
        if (auto columns = ColumnNames(c)) l_.plan_state().SetColumns(*t, std::move(*columns));
      }
      return StatementKind::kDdl;
    }
    const bool unique = c.Accept("UNIQUE");
    if (c.Accept("INDEX")) {
      c.AcceptAll({"IF", "NOT", "EXISTS"});
      auto name = c.QualifiedName();
      c.Accept("ON");
      auto t = c.QualifiedName();
      if (!t) return StatementKind::kDdl;
      const std::string shown = name ? "index " + name->Display() : std::string("an index");
      if (!l_.IsNew(*t))
        l_.Report("SQ006", &s_, "building " + shown + " on " + t->Display() + " holds the write lock");
      if (unique) l_.Change(s_, ChangeKind::kAddUnique, *t, "unique " + shown + " on " + t->Display());
      if (name) l_.NoteCreated(*name);
      return StatementKind::kDdl;
    }
    return StatementKind::kDdl;
  }

  // The column names of a CREATE TABLE's "(...)" list at the cursor
  // (lower-cased; table constraints left out); nullopt for AS SELECT.
  std::optional<std::vector<std::string>> ColumnNames(TokenCursor& c) const {
    if (!c.PeekSymbol('(')) return std::nullopt;
    const size_t open = c.pos();
    c.SkipParens();
    const size_t close = c.pos() - 1;
    if (close <= open || !t_[close].IsSymbol(')')) return std::nullopt;
    std::vector<std::string> names;
    for (const auto& [b, e] : SplitTopLevel(t_, open + 1, close)) {
      const Token& first = t_[b];
      const bool constraint = first.kind == plan::TokenKind::kWord &&
                              (first.Is("CONSTRAINT") || first.Is("PRIMARY") || first.Is("UNIQUE") ||
                               first.Is("CHECK") || first.Is("FOREIGN"));
      if (!constraint) names.push_back(ToLower(first.Identifier()));
    }
    return names;
  }

  // A rebuild in expand must keep every column of the table it replaces:
  // the running application still reads them (SQ008). Known only when the
  // plan holds both tables' CREATE TABLE.
  void CheckRebuildKeepsColumns(const TableName& old_table) {
    if (l_.phase() != plan::Phase::kExpand || l_.IsNewInMigration(old_table)) return;
    auto copy = l_.sqlite_rebuilt_tables.find(ToLower(old_table.name));
    if (copy == l_.sqlite_rebuilt_tables.end()) return;
    const std::vector<std::string>* before = l_.plan_state().Columns(old_table);
    const std::vector<std::string>* after = l_.plan_state().Columns(copy->second);
    if (before == nullptr || after == nullptr) return;
    std::vector<std::string> lost;
    for (const std::string& col : *before) {
      if (std::find(after->begin(), after->end(), col) == after->end()) lost.push_back(col);
    }
    if (lost.empty()) return;
    l_.Report("SQ008", &s_,
              "the rebuild of " + old_table.Display() + " by " + copy->second.Display() +
                  " loses column(s) " + Join(lost, ", ") + ", which the running application may still read");
  }

  StatementKind Drop(TokenCursor& c) {
    const Token* kind = c.Peek();
    if (kind == nullptr) return StatementKind::kDdl;
    c.Skip();
    c.AcceptAll({"IF", "EXISTS"});
    auto name = c.QualifiedName();
    if (!name) return StatementKind::kDdl;
    if (kind->Is("TABLE")) CheckRebuildKeepsColumns(*name);
    if (kind->Is("TABLE") && l_.sqlite_rebuilt_tables.count(ToLower(name->name)) && !l_.IsNew(*name)) {
      l_.Report("SQ002", &s_,
                "table " + name->Display() + " is rebuilt: dropped here and replaced by a renamed copy");
      return StatementKind::kDdl;
    }
    l_.Change(s_, kind->Is("INDEX") ? ChangeKind::kDropIndex : ChangeKind::kDropObject, *name,
              ToLower(kind->text) + " " + name->Display() + " dropped");
    return StatementKind::kDdl;
  }

  FileLinter& l_;
  const Statement& s_;
  const std::vector<Token>& t_;
};

}  // namespace

void PrepareSqliteFile(FileLinter& linter) {
  for (const Statement& s : linter.file().statements) {
    auto tokens = LexSqlite(s);
    if (!tokens.ok()) continue;
    TokenCursor c(*tokens, 0, tokens->size());
    if (!c.AcceptAll({"ALTER", "TABLE"})) continue;
    auto from = c.QualifiedName();
    if (!from || !c.AcceptAll({"RENAME", "TO"})) continue;
    if (auto to = c.QualifiedName()) linter.sqlite_rebuilt_tables[ToLower(to->name)] = *from;
  }
}

StatementKind AnalyzeSqlite(FileLinter& linter, const plan::Statement& statement) {
  auto tokens = LexSqlite(statement);
  if (!tokens.ok() || tokens->empty()) return StatementKind::kOther;
  return SqliteAnalyzer(linter, statement, *tokens).Run();
}

}  // namespace cutover::lint
