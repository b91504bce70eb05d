#include "snapshot/ranges.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstdlib>
#include <optional>

namespace cutover::snapshot {
namespace {

// A split-column bound as the server printed it: signed 64-bit, or unsigned
// up to 2^64-1 (MySQL BIGINT UNSIGNED). long double holds both exactly (64-bit
// mantissa on x86-64, 113 bits on aarch64). nullopt for anything else.
std::optional<long double> ParseKey(std::string_view text) {
  const std::string s(text);
  if (s.empty()) return std::nullopt;
  char* end = nullptr;
  errno = 0;
  if (s[0] == '-') {
    long long v = std::strtoll(s.c_str(), &end, 10);
    if (errno != 0 || end != s.c_str() + s.size()) return std::nullopt;
    return static_cast<long double>(v);
  }
  unsigned long long v = std::strtoull(s.c_str(), &end, 10);
  if (errno != 0 || end != s.c_str() + s.size()) return std::nullopt;
  return static_cast<long double>(v);
}

std::string KeyText(long double v) {
  return v < 0 ? std::to_string(static_cast<long long>(v))
               : std::to_string(static_cast<unsigned long long>(v));
}

std::string QualifiedName(const Connection& conn, const DataTable& t) {
  return t.schema.empty() ? conn.QuoteIdentifier(t.name)
                          : conn.QuoteIdentifier(t.schema) + "." + conn.QuoteIdentifier(t.name);
}

// Predicates for consecutive ranges between `bounds`; the first and last
// ranges are open-ended, so every row belongs to exactly one range.
template <typename Bound, typename Text>
std::vector<std::string> RangePredicates(const std::string& expr, const std::vector<Bound>& bounds,
                                         Text text) {
  std::vector<std::string> predicates;
  for (size_t i = 0; i <= bounds.size(); ++i) {
    std::string p;
    if (i > 0) p = expr + " >= " + text(bounds[i - 1]);
    if (i < bounds.size()) p += (p.empty() ? "" : " AND ") + expr + " < " + text(bounds[i]);
    predicates.push_back(p);
  }
  return predicates;
}

// Splits a big table on its integer key into about `parts` ranges between
// the key's min and max (read inside the snapshot).
Result<std::vector<std::string>> KeyRanges(Connection& conn, const DataTable& t, int parts) {
  const std::string col = conn.QuoteIdentifier(t.split_column);
  std::optional<long double> lo, hi;
  Status st = conn.Query("SELECT MIN(" + col + "), MAX(" + col + ") FROM " + QualifiedName(conn, t),
                         [&](RowView row) -> Status {
                           if (row.size() != 2 || row[0].is_null() || row[1].is_null()) return Status::Ok();
                           lo = ParseKey(row[0].data);
                           hi = ParseKey(row[1].data);
                           return Status::Ok();
                         });
  if (!st.ok()) return st.WithContext("reading the key range of " + t.name);
  // A key that is not a 64-bit integer (the driver's choice was wrong, or
  // the type is wider): one range is always correct, only slower.
  if (!lo || !hi || *hi - *lo < parts * 2) return std::vector<std::string>{""};
  // In long double: max - min can exceed int64 (signed extremes, unsigned keys).
  const long double step = (*hi - *lo) / parts;
  std::vector<long double> bounds;
  for (int i = 1; i < parts; ++i) bounds.push_back(std::floor(*lo + step * i));
  bounds.erase(std::unique(bounds.begin(), bounds.end()), bounds.end());
  return RangePredicates(col, bounds, KeyText);
}

}  // namespace

Result<std::vector<std::string>> SplitForReaders(Connection& conn, const DataTable& t, std::int64_t parts) {
  auto physical = conn.PhysicalRanges(t, static_cast<int>(parts));
  if (!physical.ok()) return physical.status().WithContext("splitting " + t.name + " for parallel reads");
  if (!physical->empty()) {
    spdlog::debug("table {}: {} range(s) by physical position", t.name, physical->size());
    return physical;
  }
  if (t.split_column.empty()) return std::vector<std::string>{""};
  auto by_key = KeyRanges(conn, t, static_cast<int>(parts));
  if (by_key.ok()) spdlog::debug("table {}: {} range(s) on {}", t.name, by_key->size(), t.split_column);
  return by_key;
}

}  // namespace cutover::snapshot
