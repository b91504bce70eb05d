#include "plan/plan.h"

#include <algorithm>
#include <cctype>
#include <filesystem>
#include <limits>
#include <sstream>

#include "base/file_env.h"
#include "base/sha256.h"
#include "base/strings.h"
#include "plan/pg_sql.h"
#include "plan/plan_internal.h"
#include "plan/sql_lexer.h"

namespace cutover::plan {
namespace fs = std::filesystem;
using namespace internal;  // NOLINT(google-build-using-namespace): this file defines them
namespace {

// Byte offsets of line starts, for offset -> line.
class LineIndex {
 public:
  explicit LineIndex(std::string_view text) {
    starts_.push_back(0);
    for (size_t i = 0; i < text.size(); ++i) {
      if (text[i] == '\n') starts_.push_back(i + 1);
    }
  }
  int LineOf(size_t offset) const {
    auto it = std::upper_bound(starts_.begin(), starts_.end(), offset);
    return static_cast<int>(it - starts_.begin());
  }
  size_t LineStart(int line) const { return starts_[static_cast<size_t>(line - 1)]; }

 private:
  std::vector<size_t> starts_;
};

}  // namespace

namespace internal {

// BOM removed, CRLF and lone CR turned into LF.
std::string NormalizeLineEndings(std::string_view raw) {
  if (raw.substr(0, 3) == "\xEF\xBB\xBF") raw.remove_prefix(3);
  std::string out;
  out.reserve(raw.size());
  for (size_t i = 0; i < raw.size(); ++i) {
    if (raw[i] == '\r') {
      out += '\n';
      if (i + 1 < raw.size() && raw[i + 1] == '\n') ++i;
    } else {
      out += raw[i];
    }
  }
  return out;
}

}  // namespace internal

namespace {

// Offset of the first byte that is not part of well-formed UTF-8 (no
// overlong forms, no surrogates, nothing above U+10FFFF), or npos.
size_t FirstInvalidUtf8(std::string_view s) {
  size_t i = 0;
  while (i < s.size()) {
    auto c = static_cast<unsigned char>(s[i]);
    if (c < 0x80) {
      ++i;
      continue;
    }
    size_t n = 0;
    unsigned cp = 0, min = 0;
    if (c >= 0xC2 && c <= 0xDF) {
      n = 1, cp = c & 0x1F, min = 0x80;
    } else if (c >= 0xE0 && c <= 0xEF) {
      n = 2, cp = c & 0x0F, min = 0x800;
    } else if (c >= 0xF0 && c <= 0xF4) {
      n = 3, cp = c & 0x07, min = 0x10000;
    } else {
      return i;
    }
    for (size_t k = 1; k <= n; ++k) {
      if (i + k >= s.size()) return i;
      auto cc = static_cast<unsigned char>(s[i + k]);
      if ((cc & 0xC0) != 0x80) return i;
      cp = (cp << 6) | (cc & 0x3F);
    }
    if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return i;
    i += n + 1;
  }
  return std::string_view::npos;
}

std::string HexByte(unsigned char c) {
  static const char* kHex = "0123456789ABCDEF";
  return std::string("0x") + kHex[c >> 4] + kHex[c & 15];
}

struct RawStatement {
  std::string text;
  int line = 0;
  int end_line = 0;
};

struct RawComment {
  size_t offset = 0;
  int line = 0;
  std::string_view text;  // with its markers
};

// "... at line 12 ..." in a driver's split error -> 12.
int LineInMessage(const std::string& message) {
  size_t pos = message.find("line ");
  while (pos != std::string::npos) {
    size_t k = pos + 5;
    int line = 0;
    bool digits = false;
    while (k < message.size() && std::isdigit(static_cast<unsigned char>(message[k]))) {
      line = line * 10 + (message[k] - '0');
      digits = true;
      ++k;
    }
    if (digits) return line;
    pos = message.find("line ", pos + 1);
  }
  return 0;
}

// Text handed to the PostgreSQL parser: the batch size placeholder becomes a
// number of the same length, so offsets and lines do not move.
std::string ParseableText(std::string_view text, Phase phase) {
  std::string out(text);
  if (phase != Phase::kBackfill) return out;
  const std::string number(kBatchSizePlaceholder.size() - 1, '0');
  for (size_t pos = out.find(kBatchSizePlaceholder); pos != std::string::npos;
       pos = out.find(kBatchSizePlaceholder, pos)) {
    out.replace(pos, kBatchSizePlaceholder.size(), number + "1");
  }
  return out;
}

bool SplitPostgres(const std::string& text, Phase phase, const std::string& where, const LineIndex& lines,
                   std::vector<RawStatement>* statements, std::vector<RawComment>* comments,
                   Problems* problems) {
  PgScript script;
  PgError error;
  if (!PgSplit(ParseableText(text, phase), &script, &error)) {
    int line = error.offset == std::string::npos ? 0 : lines.LineOf(error.offset);
    problems->Add(where, line, error.message + " (PostgreSQL parser): fix the SQL");
    return false;
  }
  for (const auto& s : script.statements) {
    RawStatement st;
    st.text = text.substr(s.begin, s.end - s.begin);
    st.line = lines.LineOf(s.begin);
    st.end_line = lines.LineOf(s.end - 1);
    statements->push_back(std::move(st));
  }
  for (const auto& c : script.comments) {
    comments->push_back(
        RawComment{c.begin, lines.LineOf(c.begin), std::string_view(text).substr(c.begin, c.end - c.begin)});
  }
  return true;
}

bool SplitWithDriver(const std::string& text, const ReadOptions& options, const std::string& where,
                     std::vector<RawStatement>* statements, std::vector<RawComment>* comments,
                     Problems* problems) {
  if (!options.split) {
    problems->Add(where, 0,
                  "internal error: no statement splitter for " + std::string(EngineName(options.engine)));
    return false;
  }
  auto split = options.split(text);
  if (!split.ok()) {
    const std::string msg = split.status().message();
    problems->Add(where, LineInMessage(msg), msg);
    return false;
  }
  for (const auto& s : *split) {
    RawStatement st;
    st.text = s.text;
    st.line = s.line;
    st.end_line = s.line + static_cast<int>(std::count(s.text.begin(), s.text.end(), '\n'));
    statements->push_back(std::move(st));
  }
  LexOptions lex;
  lex.dialect = options.engine == Engine::kMySql ? SqlDialect::kMySql : SqlDialect::kSqlite;
  lex.keep_comments = true;
  auto tokens = Lex(text, lex);
  if (!tokens.ok()) {
    const std::string msg = tokens.status().message();
    problems->Add(where, LineInMessage(msg), msg);
    return false;
  }
  for (const Token& t : *tokens) {
    if (t.kind == TokenKind::kComment) comments->push_back(RawComment{t.offset, t.line, t.text});
  }
  return true;
}

struct DirectiveSpec {
  std::string_view name;
  DirectiveKind kind;
};
constexpr DirectiveSpec kDirectives[] = {
    {"no-transaction", DirectiveKind::kNoTransaction},
    {"lock-timeout", DirectiveKind::kLockTimeout},
    {"statement-timeout", DirectiveKind::kStatementTimeout},
    {"batch-size", DirectiveKind::kBatchSize},
    {"pause", DirectiveKind::kPause},
    {"remaining", DirectiveKind::kRemaining},
    {"irreversible", DirectiveKind::kIrreversible},
    {"ignore", DirectiveKind::kIgnore},
    {"phase", DirectiveKind::kPhase},
};

std::string KnownDirectives() {
  std::string out;
  for (const auto& d : kDirectives) out += (out.empty() ? "" : ", ") + std::string(d.name);
  return out;
}

bool IsRuleId(std::string_view s) {
  size_t i = 0;
  while (i < s.size() && std::isalpha(static_cast<unsigned char>(s[i]))) ++i;
  if (i == 0 || i == s.size()) return false;
  for (size_t k = i; k < s.size(); ++k) {
    if (!std::isdigit(static_cast<unsigned char>(s[k]))) return false;
  }
  return true;
}

// Parses "cutover:NAME ARGS". Returns false (and reports) when malformed.
bool ParseDirective(std::string_view body, int line, const std::string& where, Directive* out,
                    Problems* problems) {
  body = Trim(body);
  std::string_view rest = body.substr(8);  // after "cutover:"
  size_t name_end = 0;
  while (name_end < rest.size() && !std::isspace(static_cast<unsigned char>(rest[name_end]))) ++name_end;
  std::string name = ToLower(rest.substr(0, name_end));
  std::string_view args = Trim(rest.substr(name_end));
  out->line = line;
  out->text = std::string(body);
  const DirectiveSpec* spec = nullptr;
  for (const auto& d : kDirectives) {
    if (d.name == name) spec = &d;
  }
  if (spec == nullptr) {
    problems->Add(where, line,
                  "unknown directive 'cutover:" + name + "' (known: " + KnownDirectives() +
                      "; see docs/plan-format.md)");
    return false;
  }
  out->kind = spec->kind;
  const std::string directive = "cutover:" + std::string(spec->name);
  switch (spec->kind) {
    case DirectiveKind::kNoTransaction:
      if (!args.empty()) {
        problems->Add(where, line, directive + " takes no argument, found '" + std::string(args) + "'");
        return false;
      }
      return true;
    case DirectiveKind::kLockTimeout:
    case DirectiveKind::kStatementTimeout:
    case DirectiveKind::kPause: {
      auto d = ParseDuration(args);
      if (!d.ok()) {
        problems->Add(where, line, directive + ": " + d.status().message());
        return false;
      }
      if (spec->kind != DirectiveKind::kPause && d->count() == 0) {
        problems->Add(where, line,
                      directive + " must be greater than zero (a zero timeout means no limit at all)");
        return false;
      }
      out->duration = *d;
      return true;
    }
    case DirectiveKind::kBatchSize: {
      std::int64_t n = 0;
      // At most 9 digits, so the sum cannot overflow (the plan fuzz target
      // found a long argument overflowing it before it was refused).
      bool ok = !args.empty() && args.size() <= 9;
      for (char c : args) {
        if (!ok || !std::isdigit(static_cast<unsigned char>(c))) {
          ok = false;
          break;
        }
        n = n * 10 + (c - '0');
      }
      if (!ok || n < 1 || n > 10'000'000) {
        problems->Add(where, line,
                      directive + " needs a row count from 1 to 10000000, found '" + std::string(args) + "'");
        return false;
      }
      out->count = n;
      return true;
    }
    case DirectiveKind::kRemaining:
      if (args.empty()) {
        problems->Add(where, line,
                      directive +
                          " needs a query returning the number of rows still to backfill, e.g. '-- "
                          "cutover:remaining SELECT count(*) FROM customers WHERE first_name IS NULL'");
        return false;
      }
      out->query = std::string(args);
      return true;
    case DirectiveKind::kIrreversible:
      if (args.empty()) {
        problems->Add(where, line,
                      directive +
                          " needs a reason: say why this migration cannot be rolled back, e.g. "
                          "'-- cutover:irreversible drops the legacy audit table'");
        return false;
      }
      out->reason = std::string(args);
      return true;
    case DirectiveKind::kIgnore: {
      size_t id_end = 0;
      while (id_end < args.size() && !std::isspace(static_cast<unsigned char>(args[id_end]))) ++id_end;
      std::string id = ToUpper(args.substr(0, id_end));
      std::string_view reason = Trim(args.substr(id_end));
      if (id.empty() || !IsRuleId(id)) {
        problems->Add(where, line,
                      directive +
                          " needs a rule id and a reason, e.g. '-- cutover:ignore PG001 table has 10 "
                          "rows'");
        return false;
      }
      if (reason.empty()) {
        problems->Add(where, line,
                      directive + " " + id + " needs a reason: say why the rule does not apply here");
        return false;
      }
      out->rule_id = id;
      out->reason = std::string(reason);
      return true;
    }
    case DirectiveKind::kPhase: {
      auto phase = PhaseForName(ToLower(args));
      if (!phase || (*phase != Phase::kExpand && *phase != Phase::kBackfill && *phase != Phase::kContract)) {
        problems->Add(where, line,
                      directive + " needs expand, backfill or contract, found '" + std::string(args) + "'");
        return false;
      }
      out->phase = *phase;
      return true;
    }
  }
  return false;
}

bool HeaderOnly(DirectiveKind k) {
  return k == DirectiveKind::kNoTransaction || k == DirectiveKind::kBatchSize || k == DirectiveKind::kPause ||
         k == DirectiveKind::kRemaining || k == DirectiveKind::kIrreversible || k == DirectiveKind::kPhase;
}

void AssignDirectives(const std::string& text, const std::vector<RawComment>& comments,
                      const LineIndex& lines, const std::string& where, PlanFile* file, Problems* problems) {
  std::vector<Statement>& statements = file->statements;
  const int first_statement_line = statements.empty() ? std::numeric_limits<int>::max() : statements[0].line;
  std::map<DirectiveKind, int> seen;  // file-level directive -> its line
  for (const RawComment& c : comments) {
    std::string_view body = c.text;
    bool dash = false;
    if (body.substr(0, 2) == "--") {
      body.remove_prefix(2), dash = true;
    } else if (body.substr(0, 1) == "#") {
      body.remove_prefix(1);
    } else {
      body.remove_prefix(2);  // "/*"
      if (body.size() >= 2) body.remove_suffix(2);
    }
    std::string_view trimmed = Trim(body);
    if (trimmed.size() < 8 || !EqualsIgnoreCase(trimmed.substr(0, 8), "cutover:")) continue;
    if (!dash) {
      problems->Add(where, c.line,
                    "directives must be '-- cutover:...' line comments; this one is in a " +
                        std::string(c.text.substr(0, 1) == "#" ? "'#'" : "/* */") + " comment");
      continue;
    }
    std::string_view before(text.data() + lines.LineStart(c.line), c.offset - lines.LineStart(c.line));
    if (!Trim(before).empty()) {
      problems->Add(where, c.line,
                    "a directive must stand on its own line, before the statement it applies to");
      continue;
    }
    auto inside = std::find_if(statements.begin(), statements.end(),
                               [&](const Statement& s) { return c.line > s.line && c.line <= s.end_line; });
    if (inside != statements.end()) {
      problems->Add(where, c.line,
                    "directive inside the statement of lines " + std::to_string(inside->line) + "-" +
                        std::to_string(inside->end_line) + ": move it before that statement");
      continue;
    }
    Directive d;
    if (!ParseDirective(trimmed, c.line, where, &d, problems)) continue;
    const std::string name = "cutover:" + std::string(DirectiveName(d.kind));
    if ((d.kind == DirectiveKind::kBatchSize || d.kind == DirectiveKind::kPause ||
         d.kind == DirectiveKind::kRemaining) &&
        file->phase != Phase::kBackfill) {
      problems->Add(where, c.line, name + " belongs in backfill.sql, the only file run in batches");
      continue;
    }
    if (d.kind == DirectiveKind::kPhase && file->phase != Phase::kExpand) {
      problems->Add(where, c.line, name + " belongs in the header of a migration's up (deploy) file");
      continue;
    }
    if (d.kind == DirectiveKind::kIrreversible && file->phase != Phase::kExpand) {
      problems->Add(where, c.line,
                    name + " belongs in the header of expand.sql (rollback.sql reverses expand.sql)");
      continue;
    }
    const bool in_header = c.line < first_statement_line;
    if (in_header && d.kind != DirectiveKind::kIgnore) {
      auto [it, inserted] = seen.emplace(d.kind, c.line);
      if (!inserted) {
        problems->Add(where, c.line,
                      name + " given twice (first at line " + std::to_string(it->second) + ")");
        continue;
      }
      switch (d.kind) {
        case DirectiveKind::kNoTransaction: file->settings.no_transaction = true; break;
        case DirectiveKind::kLockTimeout: file->settings.lock_timeout = d.duration; break;
        case DirectiveKind::kStatementTimeout: file->settings.statement_timeout = d.duration; break;
        case DirectiveKind::kBatchSize: file->settings.batch_size = d.count; break;
        case DirectiveKind::kPause: file->settings.pause = d.duration; break;
        case DirectiveKind::kRemaining: file->settings.remaining_query = d.query; break;
        case DirectiveKind::kIrreversible:
        case DirectiveKind::kIgnore:
        case DirectiveKind::kPhase: break;
      }
      file->header_directives.push_back(std::move(d));
      continue;
    }
    if (HeaderOnly(d.kind)) {
      problems->Add(
          where, c.line,
          name + " applies to the whole file: put it in the header, before the first statement (line " +
              std::to_string(first_statement_line) + ")");
      continue;
    }
    auto next = std::find_if(statements.begin(), statements.end(),
                             [&](const Statement& s) { return s.line > c.line; });
    if (next == statements.end()) {
      problems->Add(where, c.line, name + " applies to the next statement, but no statement follows it");
      continue;
    }
    bool duplicate = false;
    for (const Directive& other : next->directives) {
      if (other.kind == d.kind && (d.kind != DirectiveKind::kIgnore || other.rule_id == d.rule_id)) {
        problems->Add(where, c.line,
                      name + " given twice for the statement at line " + std::to_string(next->line) +
                          " (first at line " + std::to_string(other.line) + ")");
        duplicate = true;
      }
    }
    if (!duplicate) next->directives.push_back(std::move(d));
  }
}

}  // namespace

namespace internal {

std::optional<PlanFile> ParseFileInto(std::string_view raw, const std::string& display_path, Phase phase,
                                      const ReadOptions& options, Problems* problems) {
  PlanFile file;
  file.phase = phase;
  file.display_path = display_path;
  file.text = NormalizeLineEndings(raw);
  file.checksum = Sha256Hex(file.text);
  const LineIndex lines(file.text);
  if (size_t nul = file.text.find('\0'); nul != std::string::npos) {
    problems->Add(display_path, lines.LineOf(nul), "contains a NUL byte: a plan file must be UTF-8 text");
    return std::nullopt;
  }
  if (size_t bad = FirstInvalidUtf8(file.text); bad != std::string_view::npos) {
    const int line = lines.LineOf(bad);
    const size_t column = bad - lines.LineStart(line) + 1;
    problems->Add(display_path, line,
                  "not UTF-8 text (byte " + HexByte(static_cast<unsigned char>(file.text[bad])) +
                      " at column " + std::to_string(column) + "): save the file as UTF-8");
    return std::nullopt;
  }
  std::vector<RawStatement> raw_statements;
  std::vector<RawComment> comments;
  const bool split_ok =
      options.engine == Engine::kPostgreSql
          ? SplitPostgres(file.text, phase, display_path, lines, &raw_statements, &comments, problems)
          : SplitWithDriver(file.text, options, display_path, &raw_statements, &comments, problems);
  if (!split_ok) return std::nullopt;
  for (auto& r : raw_statements) {
    Statement st;
    st.text = std::move(r.text);
    st.line = r.line;
    st.end_line = r.end_line;
    file.statements.push_back(std::move(st));
  }
  AssignDirectives(file.text, comments, lines, display_path, &file, problems);
  return file;
}

}  // namespace internal

namespace {

bool IsNameChar(char c) {
  return std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '-' || c == '.';
}

// "0007_split_name" -> "7"; empty when the name is not NNNN_name.
std::string MigrationNumber(const std::string& name) {
  size_t digits = 0;
  while (digits < name.size() && std::isdigit(static_cast<unsigned char>(name[digits]))) ++digits;
  if (digits == 0 || digits + 1 >= name.size() || name[digits] != '_') return {};
  for (size_t i = digits + 1; i < name.size(); ++i) {
    if (!IsNameChar(name[i])) return {};
  }
  size_t first = name.find_first_not_of('0');
  return first >= digits ? "0" : name.substr(first, digits - first);
}

bool NumberLess(const std::string& a, const std::string& b) {
  return a.size() != b.size() ? a.size() < b.size() : a < b;
}

size_t EditDistance(std::string_view a, std::string_view b) {
  std::vector<size_t> prev(b.size() + 1), cur(b.size() + 1);
  for (size_t j = 0; j <= b.size(); ++j) prev[j] = j;
  for (size_t i = 1; i <= a.size(); ++i) {
    cur[0] = i;
    for (size_t j = 1; j <= b.size(); ++j) {
      cur[j] = std::min({prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1)});
    }
    std::swap(prev, cur);
  }
  return prev[b.size()];
}

std::string PlanFileNames() {
  std::string out;
  for (Phase p : kAllPhases) out += (out.empty() ? "" : ", ") + std::string(PhaseFileName(p));
  return out;
}

}  // namespace

namespace internal {

// A migration file found by listing its directory: gone by now is an I/O
// failure, not bad input.
Result<std::string> ReadRaw(const fs::path& path) {
  auto text = Env::Default().ReadFile(path, std::uint64_t{1} << 30);
  if (!text.ok() && text.status().code() == StatusCode::kNotFound) return Status::Io(text.status().message());
  return text;
}

// The entries of `dir` by name, through the Env like every file access.
Result<std::vector<DirEntry>> SortedEntries(const fs::path& dir) {
  Env& env = Env::Default();
  auto names = env.ListDir(dir);
  if (!names.ok())
    return Status::Io(dir.string() + ": cannot list the directory: " + names.status().message());
  std::sort(names->begin(), names->end());
  std::vector<DirEntry> entries;
  for (const auto& name : *names) {
    auto info = env.Stat(dir / name);
    entries.push_back({name, dir / name, info.ok() && info->kind == FileInfo::Kind::kDirectory});
  }
  return entries;
}

}  // namespace internal

std::string_view EngineName(Engine engine) {
  switch (engine) {
    case Engine::kPostgreSql: return "postgresql";
    case Engine::kMySql: return "mysql";
    case Engine::kSqlite: return "sqlite";
  }
  return "?";
}

Result<Engine> ParseEngine(std::string_view name) {
  const std::string n = ToLower(Trim(name));
  for (Engine e : {Engine::kPostgreSql, Engine::kMySql, Engine::kSqlite}) {
    if (n == EngineName(e)) return e;
  }
  return Status::InvalidInput("unknown engine '" + std::string(name) + "': use postgresql, mysql or sqlite");
}

std::string_view PhaseName(Phase phase) {
  switch (phase) {
    case Phase::kExpand: return "expand";
    case Phase::kBackfill: return "backfill";
    case Phase::kContract: return "contract";
    case Phase::kRollback: return "rollback";
    case Phase::kChecks: return "checks";
    case Phase::kCompat: return "compat";
  }
  return "?";
}

std::string_view PhaseFileName(Phase phase) {
  switch (phase) {
    case Phase::kExpand: return "expand.sql";
    case Phase::kBackfill: return "backfill.sql";
    case Phase::kContract: return "contract.sql";
    case Phase::kRollback: return "rollback.sql";
    case Phase::kChecks: return "checks.sql";
    case Phase::kCompat: return "compat.sql";
  }
  return "?";
}

std::optional<Phase> PhaseForFileName(std::string_view file_name) {
  for (Phase p : kAllPhases) {
    if (PhaseFileName(p) == file_name) return p;
  }
  return std::nullopt;
}

std::optional<Phase> PhaseForName(std::string_view name) {
  for (Phase p : kAllPhases) {
    if (PhaseName(p) == name) return p;
  }
  return std::nullopt;
}

ReadOptions ReadOptionsFor(Engine engine, Driver* driver) {
  ReadOptions options;
  options.engine = engine;
  if (driver != nullptr) options.engine_names = driver->info().schemes;
  if (engine != Engine::kPostgreSql && driver != nullptr) {
    options.split = [driver](std::string_view script) { return driver->SplitScript(script); };
  }
  return options;
}

std::string_view DirectiveName(DirectiveKind kind) {
  for (const auto& d : kDirectives) {
    if (d.kind == kind) return d.name;
  }
  return "?";
}

const Directive* Statement::IgnoreFor(std::string_view rule_id) const {
  for (const Directive& d : directives) {
    if (d.kind == DirectiveKind::kIgnore && d.rule_id == rule_id) return &d;
  }
  return nullptr;
}

std::optional<std::chrono::milliseconds> Statement::lock_timeout() const {
  for (const Directive& d : directives) {
    if (d.kind == DirectiveKind::kLockTimeout) return d.duration;
  }
  return std::nullopt;
}

std::optional<std::chrono::milliseconds> Statement::statement_timeout() const {
  for (const Directive& d : directives) {
    if (d.kind == DirectiveKind::kStatementTimeout) return d.duration;
  }
  return std::nullopt;
}

std::string PlanFile::ExecutableText(const Statement& statement) const {
  if (phase != Phase::kBackfill) return statement.text;
  return ReplaceAll(statement.text, kBatchSizePlaceholder, std::to_string(batch_size()));
}

const PlanFile* Migration::file(Phase phase) const {
  auto it = files.find(phase);
  return it == files.end() ? nullptr : &it->second;
}

const Migration* Plan::Find(std::string_view name) const {
  for (const auto& m : migrations) {
    if (m.name == name) return &m;
  }
  return nullptr;
}

std::string FileChecksum(std::string_view raw) {
  return Sha256Hex(NormalizeLineEndings(raw));
}

Result<std::chrono::milliseconds> ParseDuration(std::string_view text) {
  text = Trim(text);
  size_t digits = 0;
  while (digits < text.size() && std::isdigit(static_cast<unsigned char>(text[digits]))) ++digits;
  const std::string unit = ToLower(Trim(text.substr(digits)));
  if (digits == 0 || digits > 9) {
    return Status::InvalidInput("needs a duration such as 200ms, 3s, 5min or 1h, found '" +
                                std::string(text) + "'");
  }
  std::int64_t n = std::stoll(std::string(text.substr(0, digits)));
  std::int64_t factor = 0;
  if (unit == "ms") factor = 1;
  if (unit == "s") factor = 1000;
  if (unit == "min") factor = 60'000;
  if (unit == "h") factor = 3'600'000;
  if (factor == 0) {
    return Status::InvalidInput("duration '" + std::string(text) +
                                "' needs a unit: ms, s, min or h (e.g. 200ms, 3s, 5min, 1h)");
  }
  return std::chrono::milliseconds(n * factor);
}

std::string FormatDuration(std::chrono::milliseconds d) {
  const std::int64_t ms = d.count();
  if (ms != 0 && ms % 3'600'000 == 0) return std::to_string(ms / 3'600'000) + "h";
  if (ms != 0 && ms % 60'000 == 0) return std::to_string(ms / 60'000) + "min";
  if (ms != 0 && ms % 1000 == 0) return std::to_string(ms / 1000) + "s";
  return std::to_string(ms) + "ms";
}

Result<PlanFile> ParsePlanFile(std::string_view raw, const std::string& display_path, Phase phase,
                               const ReadOptions& options) {
  Problems problems;
  auto file = ParseFileInto(raw, display_path, phase, options, &problems);
  if (!problems.empty()) return problems.ToStatus(display_path);
  return std::move(*file);
}

Result<Plan> ReadPlan(const std::string& directory, const ReadOptions& options) {
  auto root_info = Env::Default().Stat(fs::path(directory));
  if (!root_info.ok()) {
    return Status::NotFound("plan directory " + directory + " does not exist");
  }
  if (root_info->kind != FileInfo::Kind::kDirectory) {
    return Status::InvalidInput(directory +
                                " is not a directory: a plan is a directory of migration folders "
                                "(NNNN_name/expand.sql, ...) or of another tool's migration files "
                                "(docs/layouts.md)");
  }
  Layout layout = Layout::kCutover;
  if (options.layout) {
    layout = *options.layout;
  } else {
    auto detected = DetectLayout(directory);
    if (!detected.ok()) return detected.status();
    layout = *detected;
  }
  auto plan = layout == Layout::kCutover ? ReadCutoverPlan(directory, options)
                                         : ReadForeignPlan(directory, layout, options);
  if (plan.ok()) plan->layout = layout;
  return plan;
}

namespace internal {

Result<Plan> ReadCutoverPlan(const std::string& directory, const ReadOptions& options) {
  const fs::path root(directory);
  Plan plan;
  plan.root = directory;
  plan.engine = options.engine;
  Problems problems;

  auto entries = SortedEntries(root);
  if (!entries.ok()) return entries.status();
  std::vector<Migration> found;
  for (const auto& entry : *entries) {
    const std::string& name = entry.name;
    if (name.empty() || name[0] == '.') continue;  // .git, editor files
    if (entry.is_directory) {
      std::string number = MigrationNumber(name);
      if (number.empty()) {
        problems.Add(
            name, 0,
            "a migration folder name must be NNNN_name (a number, '_', then letters, digits, '_', '-' "
            "or '.'), which sets its order; rename it, e.g. to 0001_" +
                std::string(name.find_first_not_of("0123456789_-") == std::string::npos
                                ? "change"
                                : name.substr(name.find_first_not_of("0123456789_-"))));
        continue;
      }
      Migration m;
      m.name = name;
      m.number = number;
      m.path = entry.path.string();
      found.push_back(std::move(m));
    } else if (PhaseForFileName(name)) {
      problems.Add(
          name, 0,
          "a plan file at the top of the plan: " + directory +
              " looks like a single migration folder; give the directory that contains the migration "
              "folders");
    } else if (EndsWith(ToLower(name), ".sql")) {
      problems.Add(name, 0,
                   "an SQL file at the top of the plan: each migration is a folder NNNN_name holding "
                   "expand.sql and the other phase files");
    } else {
      plan.warnings.push_back(name + ": not a migration folder; ignored");
    }
  }
  std::stable_sort(found.begin(), found.end(),
                   [](const Migration& a, const Migration& b) { return NumberLess(a.number, b.number); });
  for (size_t i = 1; i < found.size(); ++i) {
    if (found[i].number == found[i - 1].number) {
      problems.Add(found[i].name, 0,
                   "has the same number (" + found[i].number + ") as " + found[i - 1].name +
                       ", so their order is ambiguous: renumber one of them");
    }
  }

  for (Migration& m : found) {
    auto files = SortedEntries(m.path);
    if (!files.ok()) return files.status();
    for (const auto& entry : *files) {
      const std::string& name = entry.name;
      const std::string display = m.name + "/" + name;
      if (name.empty() || name[0] == '.') continue;
      if (entry.is_directory) {
        plan.warnings.push_back(display + ": a folder inside a migration; ignored");
        continue;
      }
      auto phase = PhaseForFileName(name);
      if (!phase) {
        if (EndsWith(ToLower(name), ".sql")) {
          std::string hint;
          size_t best = 4;
          for (Phase p : kAllPhases) {
            size_t dist = EditDistance(ToLower(name), PhaseFileName(p));
            if (dist < best) best = dist, hint = std::string(PhaseFileName(p));
          }
          problems.Add(display, 0,
                       "unknown plan file" +
                           (hint.empty() ? std::string() : " (did you mean " + hint + "?)") +
                           ": a migration holds only " + PlanFileNames() +
                           "; an unrecognized .sql file would never run");
        } else {
          plan.warnings.push_back(display + ": not a plan file; ignored");
        }
        continue;
      }
      auto raw = ReadRaw(entry.path);
      if (!raw.ok()) return raw.status();
      auto file = ParseFileInto(*raw, display, *phase, options, &problems);
      if (!file) continue;
      file->path = entry.path.string();
      m.files.emplace(*phase, std::move(*file));
    }
    if (m.files.count(Phase::kExpand) == 0) {
      bool had_error_in_expand = Env::Default().Exists(fs::path(m.path) / "expand.sql");
      if (!had_error_in_expand) {
        problems.Add(m.name + "/expand.sql", 0,
                     "missing: every migration needs an expand.sql (the additive, backward-compatible step)");
      }
    } else {
      for (const Directive& d : m.files.at(Phase::kExpand).header_directives) {
        if (d.kind == DirectiveKind::kIrreversible) m.irreversible = d;
        if (d.kind == DirectiveKind::kPhase) {
          problems.Add(m.name + "/expand.sql", d.line,
                       "cutover:phase is for other tools' layouts (docs/layouts.md); in cutover's layout the "
                       "file name sets the phase");
        }
      }
    }
  }
  if (!problems.empty()) return problems.ToStatus(directory);
  if (found.empty()) {
    return Status::InvalidInput("the plan " + directory +
                                " has no migration folders: create e.g. 0001_create_orders/expand.sql");
  }
  plan.migrations = std::move(found);
  return plan;
}

}  // namespace internal

}  // namespace cutover::plan
