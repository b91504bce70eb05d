#include "plan/pg_sql.h"

#include <pg_query.h>

#include <cstdint>

namespace cutover::plan {
namespace {

// libpg_query reports a 1-based character position; the plan reader works in
// bytes (UTF-8 input).
size_t CharPosToByteOffset(const std::string& s, int cursorpos) {
  if (cursorpos <= 0) return std::string::npos;
  int chars = 0;
  for (size_t i = 0; i < s.size(); ++i) {
    if ((static_cast<unsigned char>(s[i]) & 0xC0) == 0x80) continue;  // continuation byte
    if (++chars == cursorpos) return i;
  }
  return s.empty() ? std::string::npos : s.size() - 1;
}

void FillError(const std::string& sql, const PgQueryError* e, PgError* error) {
  if (error == nullptr) return;
  error->message = e->message != nullptr ? e->message : "syntax error";
  error->offset = CharPosToByteOffset(sql, e->cursorpos);
}

// The scanner's result is a protobuf message (pg_query.proto: ScanResult
// { int32 version = 1; repeated ScanToken tokens = 2; }, ScanToken { int32
// start = 1; int32 end = 2; Token token = 4; KeywordKind keyword_kind = 5; }).
// protobuf-c's headers are not packaged, and only these four varint fields
// are needed, so the wire format is read directly.
class WireReader {
 public:
  WireReader(const std::uint8_t* p, size_t n) : p_(p), end_(p + n) {}
  bool done() const { return p_ >= end_; }
  bool Varint(std::uint64_t* v) {
    *v = 0;
    for (int shift = 0; shift < 64 && p_ < end_; shift += 7) {
      std::uint8_t b = *p_++;
      *v |= static_cast<std::uint64_t>(b & 0x7F) << shift;
      if ((b & 0x80) == 0) return true;
    }
    return false;
  }
  // Reads one field; for length-delimited fields `sub` receives the bytes.
  bool Field(std::uint32_t* number, std::uint64_t* value, WireReader* sub) {
    std::uint64_t key = 0;
    if (!Varint(&key)) return false;
    *number = static_cast<std::uint32_t>(key >> 3);
    switch (key & 7) {
      case 0: return Varint(value);
      case 1:
        if (end_ - p_ < 8) return false;
        p_ += 8;
        return true;
      case 2: {
        std::uint64_t len = 0;
        if (!Varint(&len) || static_cast<std::uint64_t>(end_ - p_) < len) return false;
        if (sub != nullptr) *sub = WireReader(p_, len);
        p_ += len;
        return true;
      }
      case 5:
        if (end_ - p_ < 4) return false;
        p_ += 4;
        return true;
      default: return false;
    }
  }

 private:
  const std::uint8_t* p_;
  const std::uint8_t* end_;
};

constexpr std::uint64_t kTokenSqlComment = 275;  // pg_query.proto Token.SQL_COMMENT
constexpr std::uint64_t kTokenCComment = 276;    // Token.C_COMMENT

struct ScanToken {
  size_t start = 0, end = 0;
  std::uint64_t token = 0;
};

bool Scan(const std::string& sql, std::vector<ScanToken>* tokens, PgError* error) {
  PgQueryScanResult r = pg_query_scan(sql.c_str());
  bool ok = true;
  if (r.error != nullptr) {
    FillError(sql, r.error, error);
    ok = false;
  } else {
    WireReader top(reinterpret_cast<const std::uint8_t*>(r.pbuf.data), r.pbuf.len);
    while (ok && !top.done()) {
      std::uint32_t number = 0;
      std::uint64_t value = 0;
      WireReader sub(nullptr, 0);
      if (!top.Field(&number, &value, &sub)) {
        ok = false;
        break;
      }
      if (number != 2) continue;
      ScanToken t;
      while (!sub.done()) {
        std::uint32_t n = 0;
        std::uint64_t v = 0;
        if (!sub.Field(&n, &v, nullptr)) {
          ok = false;
          break;
        }
        if (n == 1) t.start = v;
        if (n == 2) t.end = v;
        if (n == 4) t.token = v;
      }
      tokens->push_back(t);
    }
    if (!ok && error != nullptr) {
      error->message = "internal error: cannot decode the PostgreSQL scanner's output";
      error->offset = std::string::npos;
    }
  }
  pg_query_free_scan_result(r);
  return ok;
}

}  // namespace

bool PgSplit(const std::string& sql, PgScript* out, PgError* error) {
  out->statements.clear();
  out->comments.clear();
  std::vector<ScanToken> tokens;
  if (!Scan(sql, &tokens, error)) return false;

  PgQuerySplitResult r = pg_query_split_with_parser(sql.c_str());
  if (r.error != nullptr) {
    FillError(sql, r.error, error);
    pg_query_free_split_result(r);
    return false;
  }
  std::vector<std::pair<size_t, size_t>> ranges;
  for (int i = 0; i < r.n_stmts; ++i) {
    auto loc = static_cast<size_t>(r.stmts[i]->stmt_location);
    ranges.emplace_back(loc, loc + static_cast<size_t>(r.stmts[i]->stmt_len));
  }
  pg_query_free_split_result(r);

  for (const ScanToken& t : tokens) {
    if (t.token == kTokenSqlComment || t.token == kTokenCComment) {
      out->comments.push_back(PgComment{t.start, t.end, t.token == kTokenSqlComment});
    }
  }
  // A statement's range starts just after the previous ';' and so includes
  // the comments before it: it really begins at its first non-comment token.
  size_t k = 0;
  for (auto [begin, end] : ranges) {
    if (end > sql.size()) end = sql.size();
    while (k < tokens.size() && (tokens[k].start < begin || tokens[k].token == kTokenSqlComment ||
                                 tokens[k].token == kTokenCComment)) {
      ++k;
    }
    size_t first = k < tokens.size() && tokens[k].start < end ? tokens[k].start : begin;
    while (end > first && (sql[end - 1] == ' ' || sql[end - 1] == '\n' || sql[end - 1] == '\t' ||
                           sql[end - 1] == '\r' || sql[end - 1] == '\f')) {
      --end;
    }
    if (end > first) out->statements.push_back(PgSplitStatement{first, end});
  }
  return true;
}

bool PgParseJson(const std::string& sql, std::string* json, PgError* error) {
  PgQueryParseResult r = pg_query_parse(sql.c_str());
  bool ok = r.error == nullptr;
  if (ok) {
    *json = r.parse_tree != nullptr ? r.parse_tree : "";
  } else {
    FillError(sql, r.error, error);
  }
  pg_query_free_parse_result(r);
  return ok;
}

}  // namespace cutover::plan
