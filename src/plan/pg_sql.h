// PostgreSQL SQL through the real PostgreSQL parser (libpg_query, the
// server's own grammar built as a library): statement splitting, comment
// positions and parse trees, without a server.
//
// Why the real parser: dollar quoting ($$ and $tag$), E'' strings with
// backslash escapes, nested /* */ comments, function bodies and oddities
// such as CREATE RULE ... (SELECT 1; SELECT 2) are split exactly as
// PostgreSQL splits them, and a syntax error is found before anything runs.
//
// Offsets are byte offsets into the input. libpg_query reports error
// positions in characters; PgError::offset is already converted to bytes.
// Nothing here throws; libpg_query's own allocations are freed before
// returning.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"

namespace cutover::plan {

// A parser error: the message and the byte offset it points at (or npos).
struct PgError {
  std::string message;
  size_t offset = std::string::npos;
};

// A statement as the parser split it: [begin, end) covers the statement from
// its first token to its last character, without the ';' and without the
// comments and whitespace before it.
struct PgSplitStatement {
  size_t begin = 0;
  size_t end = 0;
};

// A comment found by PostgreSQL's scanner.
struct PgComment {
  size_t begin = 0;
  size_t end = 0;
  bool line_comment = false;  // "-- ..." (else /* ... */)
};

struct PgScript {
  std::vector<PgSplitStatement> statements;
  std::vector<PgComment> comments;
};

// Splits `sql` (which must not contain NUL bytes) with the parser and finds
// its comments with the scanner. On a syntax error returns false and fills
// `error`.
bool PgSplit(const std::string& sql, PgScript* out, PgError* error);

// The parse tree of `sql` as libpg_query's JSON (see pg_query.h). On a
// syntax error returns false and fills `error`.
bool PgParseJson(const std::string& sql, std::string* json, PgError* error);

}  // namespace cutover::plan
