#include "lint/lint_scratch.h"

#include <memory>
#include <set>

#include "base/strings.h"
#include "lint/lint_internal.h"
#include "lint/token_cursor.h"
#include "plan/sql_lexer.h"
#include "schema/scratch_schema.h"

namespace cutover::lint {
namespace {

using plan::Token;
using plan::TokenKind;
using Kind = ServerVerdict::Kind;

// MySQL: the server refuses the requested ALGORITHM / LOCK for this change.
constexpr std::string_view kAlterNotSupported = "1845";
constexpr std::string_view kAlterNotSupportedReason = "1846";

bool Refused(const Status& st) {
  return st.code() == StatusCode::kQuery &&
         (st.sqlstate() == kAlterNotSupported || st.sqlstate() == kAlterNotSupportedReason);
}

// The statements whose algorithm and lock level the server can be asked
// about, and how to ask.
struct Shape {
  enum Type { kOther, kAlterTable, kCreateIndex, kDropIndex } type = kOther;
  TableName table;
  std::string algorithm, lock;  // as written, upper case; DEFAULT counts as not written
  bool online_keyword = false;  // MariaDB ALTER ONLINE TABLE: LOCK=NONE
  size_t end = 0;               // byte offset just after the last token: clauses go there
  std::string drop_as_alter;    // kDropIndex: the same change as ALTER TABLE ... DROP INDEX
};

std::string TokenRange(std::string_view text, const std::vector<Token>& t, size_t b, size_t e) {
  if (b >= e) return "";
  const size_t from = t[b].offset, to = t[e - 1].offset + t[e - 1].text.size();
  return std::string(text.substr(from, to - from));
}

// ALGORITHM / LOCK clauses anywhere in [b, e).
void ReadClauses(const std::vector<Token>& t, size_t b, size_t e, Shape& shape) {
  for (size_t i = b; i + 1 < e; ++i) {
    if (!t[i].Is("ALGORITHM") && !t[i].Is("LOCK")) continue;
    size_t v = i + 1;
    if (t[v].IsSymbol('=') && v + 1 < e) ++v;
    std::string value = ToUpper(t[v].text);
    if (value == "DEFAULT") value.clear();
    (t[i].Is("ALGORITHM") ? shape.algorithm : shape.lock) = value;
  }
}

// Where the statement proper starts: after MariaDB's SET STATEMENT ... FOR.
size_t StatementStart(const std::vector<Token>& t) {
  if (t.size() < 2 || !t[0].Is("SET") || !t[1].Is("STATEMENT")) return 0;
  int depth = 0;
  for (size_t i = 2; i < t.size(); ++i) {
    if (t[i].IsSymbol('(')) ++depth;
    if (t[i].IsSymbol(')')) --depth;
    if (depth == 0 && t[i].Is("FOR")) return i + 1;
  }
  return 0;
}

Shape Classify(std::string_view text, const std::vector<Token>& t) {
  Shape shape;
  if (t.empty()) return shape;
  shape.end = t.back().offset + t.back().text.size();
  const size_t start = StatementStart(t);
  TokenCursor c(t, start, t.size());
  if (c.Accept("ALTER")) {
    while (c.PeekIs("ONLINE") || c.PeekIs("OFFLINE") || c.PeekIs("IGNORE")) {
      if (c.PeekIs("ONLINE")) shape.online_keyword = true;
      c.Skip();
    }
    if (!c.Accept("TABLE")) return shape;
    c.AcceptAll({"IF", "EXISTS"});
    auto table = c.QualifiedName();
    if (!table) return shape;
    shape.type = Shape::kAlterTable;
    shape.table = *table;
    ReadClauses(t, c.pos(), t.size(), shape);
    return shape;
  }
  if (c.Accept("CREATE")) {
    c.AcceptAll({"OR", "REPLACE"});
    while (c.Accept("ONLINE") || c.Accept("OFFLINE")) {
    }
    if (c.Accept("UNIQUE") || c.Accept("FULLTEXT") || c.Accept("SPATIAL")) {
    }
    if (!c.Accept("INDEX") && !c.Accept("KEY")) return shape;
    while (!c.AtEnd() && !c.PeekIs("ON")) c.Skip();
    if (!c.Accept("ON")) return shape;
    auto table = c.QualifiedName();
    if (!table) return shape;
    shape.type = Shape::kCreateIndex;
    shape.table = *table;
    ReadClauses(t, c.pos(), t.size(), shape);
    return shape;
  }
  if (c.Accept("DROP")) {
    if (!c.Accept("INDEX")) return shape;
    while (c.Accept("ONLINE") || c.Accept("OFFLINE")) {
    }
    const size_t if_exists = c.pos();
    c.AcceptAll({"IF", "EXISTS"});
    const size_t index_begin = c.pos();
    if (!c.Identifier()) return shape;
    const size_t index_end = c.pos();
    if (!c.Accept("ON")) return shape;
    const size_t table_begin = c.pos();
    auto table = c.QualifiedName();
    if (!table) return shape;
    const size_t table_end = c.pos();
    // WAIT n / NOWAIT belong after the table name in ALTER TABLE too.
    if (c.Accept("WAIT")) c.Skip();
    c.Accept("NOWAIT");
    const size_t wait_end = c.pos();
    shape.type = Shape::kDropIndex;
    shape.table = *table;
    ReadClauses(t, wait_end, t.size(), shape);
    // MariaDB's DROP INDEX takes no ALGORITHM or LOCK clause: ask through
    // the equivalent ALTER TABLE, which both servers accept.
    std::string alter = std::string(text.substr(0, t[start].offset)) + "ALTER TABLE " +
                        TokenRange(text, t, table_begin, table_end);
    if (wait_end > table_end) alter += " " + TokenRange(text, t, table_end, wait_end);
    alter += " DROP INDEX ";
    if (index_begin > if_exists) alter += "IF EXISTS ";
    alter += TokenRange(text, t, index_begin, index_end);
    shape.drop_as_alter = std::move(alter);
    return shape;
  }
  return shape;
}

// Statement kinds that stay inside the current database. Anything else
// (USE, GRANT, FLUSH, KILL, LOAD DATA, PREPARE, XA, ...) is not run.
bool RunsInsideTheDatabase(const std::vector<Token>& t, size_t start, std::string* why) {
  TokenCursor c(t, start, t.size());
  const Token* first = c.Peek();
  if (first == nullptr) return true;
  auto refuse = [&](const std::string& what) {
    *why = what;
    return false;
  };
  for (std::string_view verb : {"CREATE", "DROP", "ALTER"}) {
    if (!first->Is(verb)) continue;
    for (size_t i = start + 1; i < t.size() && i < start + 6; ++i) {
      for (std::string_view object : {"DATABASE", "SCHEMA", "USER", "ROLE", "SERVER", "TABLESPACE", "LOGFILE",
                                      "INSTANCE", "RESOURCE"}) {
        if (t[i].Is(object)) {
          return refuse(std::string(verb) + " " + std::string(object) +
                        " changes the server, not the migration's database");
        }
      }
    }
    return true;
  }
  if (first->Is("SET")) {
    for (size_t i = start + 1; i < t.size(); ++i) {
      const std::string lower = ToLower(t[i].text);
      if (t[i].Is("GLOBAL") || t[i].Is("PERSIST") || t[i].Is("PERSIST_ONLY") || t[i].Is("PASSWORD") ||
          StartsWith(lower, "@@global.")) {
        return refuse("SET " + std::string(t[i].text) + " changes the whole server");
      }
      if (t[i].Is("DEFAULT") && i + 1 < t.size() && t[i + 1].Is("ROLE")) {
        return refuse("SET DEFAULT ROLE changes a user");
      }
    }
    return true;
  }
  if (first->Is("RENAME")) {
    return c.PeekIs("TABLE", 1) || c.PeekIs("TABLES", 1) ? true : refuse("RENAME USER changes the server");
  }
  if (first->Is("BEGIN")) {
    if (c.PeekIs("NOT", 1)) return refuse("a compound statement (BEGIN NOT ATOMIC) is not run on the copy");
    return true;
  }
  for (std::string_view ok : {"TRUNCATE", "INSERT", "REPLACE", "UPDATE",   "DELETE",   "SELECT",    "WITH",
                              "VALUES",   "TABLE",  "DO",      "CALL",     "OPTIMIZE", "ANALYZE",   "CHECK",
                              "CHECKSUM", "REPAIR", "START",   "COMMIT",   "ROLLBACK", "SAVEPOINT", "RELEASE",
                              "LOCK",     "UNLOCK", "SHOW",    "DESCRIBE", "DESC",     "EXPLAIN"}) {
    if (first->Is(ok)) return true;
  }
  if (first->IsSymbol('(')) return true;
  return refuse(ToUpper(first->text) +
                " statements are not run on the copy: they may reach beyond its database");
}

class MySqlScratchProbe : public StatementProbe {
 public:
  MySqlScratchProbe(Driver& driver, ConnectionUri database, std::string name, bool has_source)
      : driver_(driver), database_(std::move(database)), name_(std::move(name)), has_source_(has_source) {}

  int statements_run() const { return statements_run_; }
  int alters_asked() const { return alters_asked_; }
  void Close() { conn_.reset(); }

  Status BeginFile(const plan::Migration& migration, const plan::PlanFile& file, bool linted) override {
    // The source already holds the migrations before --from.
    skip_ = !linted && has_source_;
    if (skip_) return Status::Ok();
    CUTOVER_RETURN_IF_ERROR(CheckInterrupt(file.display_path));
    // One session per file, as apply runs them: session settings (SET
    // foreign_key_checks, lock_wait_timeout) do not leak into the next file.
    conn_.reset();
    auto conn = driver_.Connect(database_);
    if (!conn.ok()) {
      return conn.status().WithContext("lint --scratch, " + migration.name +
                                       ": connecting to scratch database " + name_);
    }
    conn_ = std::move(*conn);
    if (other_databases_.empty()) CUTOVER_RETURN_IF_ERROR(ListOtherDatabases());
    return Status::Ok();
  }

  Result<ServerVerdict> Run(const plan::PlanFile& file, const plan::Statement& statement) override {
    ServerVerdict v;
    if (skip_ || conn_ == nullptr) return v;
    CUTOVER_RETURN_IF_ERROR(CheckInterrupt(file.display_path + ":" + std::to_string(statement.line)));
    const std::string text = file.ExecutableText(statement);
    plan::LexOptions lex;
    lex.dialect = plan::SqlDialect::kMySql;
    auto tokens = plan::Lex(text, lex);
    if (!tokens.ok() || tokens->empty()) return v;  // the plan reader accepted it; nothing to run

    std::string why;
    if (!RunsInsideTheDatabase(*tokens, StatementStart(*tokens), &why) || NamesOtherDatabase(*tokens, &why)) {
      v.kind = Kind::kNotRun;
      v.detail = why;
      return v;
    }
    const Shape shape = Classify(text, *tokens);
    v.table_schema = shape.table.schema;
    v.table = shape.table.name;
    ++statements_run_;
    if (shape.type == Shape::kOther) {
      Status st = Exec(text);
      if (st.code() == StatusCode::kConnection) return st;
      if (!st.ok()) Failed(v, st);
      return v;
    }
    ++alters_asked_;
    return Ask(text, shape, v);
  }

 private:
  // ---- Asking ------------------------------------------------------------

  Result<ServerVerdict> Ask(const std::string& text, const Shape& shape, ServerVerdict& v) {
    const bool written = !shape.algorithm.empty() || !shape.lock.empty() || shape.online_keyword;
    const bool lock_none = shape.lock == "NONE" || shape.online_keyword;
    if (!written) {
      Status instant = Exec(With(text, shape, "ALGORITHM=INSTANT"));
      if (instant.ok()) return Verdict(v, Kind::kInstant, "ALGORITHM=INSTANT accepted");
      if (instant.code() == StatusCode::kConnection) return instant;
      if (!Refused(instant)) return AsWrittenAfterOtherError(text, v);
      Status inplace = Exec(With(text, shape, "ALGORITHM=INPLACE, LOCK=NONE"));
      const std::string asked_instant = "ALGORITHM=INSTANT refused: '" + ServerText(instant) + "'";
      if (inplace.ok()) {
        return Verdict(v, Kind::kInplace, asked_instant + "; ALGORITHM=INPLACE, LOCK=NONE accepted");
      }
      if (inplace.code() == StatusCode::kConnection) return inplace;
      const std::string asked_both =
          asked_instant + "; ALGORITHM=INPLACE, LOCK=NONE refused: '" + ServerText(inplace) + "'";
      return ApplyAsWritten(text, v, Kind::kBlocking, asked_both);
    }
    if (shape.algorithm == "INSTANT" || (lock_none && shape.algorithm != "COPY")) {
      // The author asserts an online change: the server holds them to it.
      if (shape.algorithm.empty()) {
        // LOCK=NONE alone: the server may still do it instantly.
        Status instant = Exec(With(text, shape, "ALGORITHM=INSTANT"));
        if (instant.ok()) return Verdict(v, Kind::kInstant, "ALGORITHM=INSTANT accepted");
        if (instant.code() == StatusCode::kConnection) return instant;
      }
      Status st = Exec(text);
      if (st.ok()) {
        return Verdict(v, shape.algorithm == "INSTANT" ? Kind::kInstant : Kind::kInplace,
                       WrittenClauses(shape) + " as written accepted");
      }
      if (st.code() == StatusCode::kConnection) return st;
      if (Refused(st)) {
        v.kind = Kind::kFailed;
        v.detail = "the server refuses " + WrittenClauses(shape) + " as written: '" + ServerText(st) +
                   "' [MySQL error " + st.sqlstate() + "]: the change is not online";
        // Later statements need the change: apply it with the server's choice.
        (void)Exec(With(text, shape, "ALGORITHM=DEFAULT, LOCK=DEFAULT"));
        return v;
      }
      Failed(v, st);
      return v;
    }
    if ((shape.algorithm == "INPLACE" || shape.algorithm == "NOCOPY") && shape.lock.empty()) {
      // In place, but at which lock level? Ask for LOCK=NONE.
      Status none = Exec(With(text, shape, "LOCK=NONE"));
      if (none.ok())
        return Verdict(v, Kind::kInplace, "ALGORITHM=" + shape.algorithm + " with LOCK=NONE accepted");
      if (none.code() == StatusCode::kConnection) return none;
      if (!Refused(none)) return AsWrittenAfterOtherError(text, v);
      return ApplyAsWritten(text, v, Kind::kBlocking,
                            "LOCK=NONE refused: '" + ServerText(none) + "'; ALGORITHM=" + shape.algorithm +
                                " as written blocks writes");
    }
    // ALGORITHM=COPY or LOCK=SHARED / EXCLUSIVE: blocking, as the author wrote.
    return ApplyAsWritten(text, v, Kind::kBlocking, WrittenClauses(shape) + " as written");
  }

  // The server answered; the statement must still apply as written for the
  // statements after it.
  Result<ServerVerdict> ApplyAsWritten(const std::string& text, ServerVerdict& v, Kind kind,
                                       std::string detail) {
    Status st = Exec(text);
    if (st.code() == StatusCode::kConnection) return st;
    if (!st.ok()) {
      Failed(v, st);
      return v;
    }
    return Verdict(v, kind, std::move(detail));
  }

  // The clause could not be added (a statement form that takes none), or
  // the statement is wrong anyway: what it does as written decides.
  Result<ServerVerdict> AsWrittenAfterOtherError(const std::string& text, ServerVerdict& v) {
    Status st = Exec(text);
    if (st.code() == StatusCode::kConnection) return st;
    if (!st.ok()) {
      Failed(v, st);
      return v;
    }
    v.kind = Kind::kNotAsked;  // ran, but the server could not be asked: the token rules decide
    return v;
  }

  static Result<ServerVerdict> Verdict(ServerVerdict& v, Kind kind, std::string detail) {
    v.kind = kind;
    v.detail = std::move(detail);
    return v;
  }

  void Failed(ServerVerdict& v, const Status& st) {
    v.kind = Kind::kFailed;
    v.detail =
        "'" + ServerText(st) + "'" + (st.sqlstate().empty() ? "" : " [MySQL error " + st.sqlstate() + "]");
  }

  static std::string WrittenClauses(const Shape& shape) {
    std::vector<std::string> parts;
    if (shape.online_keyword) parts.push_back("ONLINE");
    if (!shape.algorithm.empty()) parts.push_back("ALGORITHM=" + shape.algorithm);
    if (!shape.lock.empty()) parts.push_back("LOCK=" + shape.lock);
    return Join(parts, ", ");
  }

  // The statement with `clauses` added where the server reads them.
  static std::string With(const std::string& text, const Shape& shape, const std::string& clauses) {
    switch (shape.type) {
      case Shape::kAlterTable: return text.substr(0, shape.end) + ", " + clauses + text.substr(shape.end);
      case Shape::kCreateIndex:
        return text.substr(0, shape.end) + " " + ReplaceAll(clauses, ",", "") + text.substr(shape.end);
      case Shape::kDropIndex:
        if (shape.algorithm.empty() && shape.lock.empty()) return shape.drop_as_alter + ", " + clauses;
        return text.substr(0, shape.end) + " " + ReplaceAll(clauses, ",", "") + text.substr(shape.end);
      case Shape::kOther: break;
    }
    return text;
  }

  // ---- Staying inside the scratch database --------------------------------

  Status ListOtherDatabases() {
    other_databases_.insert("");  // listed: not asked again
    Status st = conn_->Query("SHOW DATABASES", [&](RowView row) {
      if (!row.empty() && !row[0].is_null()) {
        const std::string name = ToLower(row[0].data);
        if (name != ToLower(name_) && name != "information_schema") other_databases_.insert(name);
      }
      return Status::Ok();
    });
    return st.WithContext("lint --scratch: listing the databases of " + database_.Redacted());
  }

  // db.table where db is another database of the scratch server.
  bool NamesOtherDatabase(const std::vector<Token>& t, std::string* why) const {
    for (size_t i = 0; i + 2 < t.size(); ++i) {
      if (t[i].kind != TokenKind::kWord && t[i].kind != TokenKind::kQuotedIdent) continue;
      if (!t[i + 1].IsSymbol('.') || (i > 0 && t[i - 1].IsSymbol('.'))) continue;
      const std::string name = t[i].Identifier();
      if (other_databases_.count(ToLower(name))) {
        *why = "it names database `" + name +
               "`, another database of the scratch server; only the scratch database is changed";
        return true;
      }
    }
    return false;
  }

  Status CheckInterrupt(const std::string& where) const {
    if (!TerminationPending()) return Status::Ok();
    return InterruptedStatus("lint --scratch stopped at " + where + "; scratch database " + name_ +
                                 " is dropped, nothing else was changed",
                             "run the same lint again");
  }

  Status Exec(const std::string& sql) {
    auto r = conn_->Execute(sql);
    return r.ok() ? Status::Ok() : r.status();
  }

  // The server's own words: the driver wraps them as "statement '...' on
  // URI: <text> [MySQL error N, SQLSTATE S]". The scratch database's name is
  // an accident of this run, so it is left out.
  std::string ServerText(const Status& st) const {
    std::string m = st.message();
    const std::string marker = " on " + conn_->display_uri() + ": ";
    if (size_t p = m.find(marker); p != std::string::npos) m = m.substr(p + marker.size());
    if (size_t q = m.rfind(" [MySQL error"); q != std::string::npos) m.resize(q);
    m = ReplaceAll(m, name_ + ".", "");
    return ReplaceAll(m, name_, "<scratch>");
  }

  Driver& driver_;
  ConnectionUri database_;
  std::string name_;
  bool has_source_;
  std::unique_ptr<Connection> conn_;
  bool skip_ = false;
  std::set<std::string> other_databases_;  // lower case; "" once listed
  int statements_run_ = 0;
  int alters_asked_ = 0;
};

}  // namespace

Result<LintReport> LintPlanOnScratch(const plan::Plan& plan, const LintOptions& options,
                                     const ScratchLintRequest& request) {
  if (plan.engine != plan::Engine::kMySql) {
    return Status::Unsupported(
        "lint --scratch asks a MySQL/MariaDB server what each ALTER does; the plan is linted as " +
        std::string(plan::EngineName(plan.engine)) + ": run lint without --scratch");
  }
  // The plan's own problems (ignores of unknown rules, an unknown --from)
  // are reported before anything is created.
  LintOptions text_only = options;
  text_only.probe = nullptr;
  if (auto check = LintPlan(plan, text_only); !check.ok()) return check.status();

  ScratchReport info;
  info.server = request.scratch_server.Redacted();
  if (request.schema_source != nullptr) info.schema_from = request.schema_source->display_uri();
  Result<LintReport> report = Status::Internal("lint --scratch did not run");
  Status st = WithScratchDatabase(
      *request.driver, request.scratch_server,
      [&](const std::string& name, const ConnectionUri& db) -> Status {
        info.database = name;
        if (request.on_created) request.on_created(name);
        {
          auto conn = request.driver->Connect(db);
          if (!conn.ok())
            return conn.status().WithContext("lint --scratch: connecting to scratch database " + name);
          const ServerInfo& server = (*conn)->server_info();
          info.product = server.product + " " + server.version;
          if (request.schema_source != nullptr) {
            const std::string what = "lint --scratch: copying the schema of " +
                                     request.schema_source->display_uri() + " into scratch database " + name;
            auto script = request.schema_source->DumpSchemaScript();
            if (!script.ok()) return script.status().WithContext(what);
            CUTOVER_RETURN_IF_ERROR((*conn)->ExecuteScript(script->pre_data).WithContext(what));
            CUTOVER_RETURN_IF_ERROR((*conn)->ExecuteScript(script->post_data).WithContext(what));
          }
        }
        MySqlScratchProbe probe(*request.driver, db, name, request.schema_source != nullptr);
        LintOptions asked = options;
        asked.probe = &probe;
        report = LintPlan(plan, asked);
        probe.Close();  // before the database is dropped
        info.statements_run = probe.statements_run();
        info.alters_asked = probe.alters_asked();
        return report.ok() ? Status::Ok() : report.status();
      });
  if (!st.ok()) return st;
  report->scratch = std::move(info);
  return report;
}

}  // namespace cutover::lint
