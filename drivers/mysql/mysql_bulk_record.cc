// The LOAD DATA record format of MySQL/MariaDB snapshots (see
// mysql_internal.h), without a client-library dependency.
#include <cstring>
#include <string>
#include <string_view>
#include <vector>

#include "base/strings.h"
#include "mysql_internal.h"

namespace cutover::mysql {

// ---- LOAD DATA records ------------------------------------------------------

void AppendLoadDataField(std::string& out, std::string_view value) {
  const char* p = value.data();
  const char* end = p + value.size();
  while (p < end) {
    // Copy the longest run that needs no escape in one go.
    const char* run = p;
    while (p < end) {
      char c = *p;
      if (c == '\\' || c == '\t' || c == '\n' || c == '\r' || c == '\0') break;
      ++p;
    }
    out.append(run, static_cast<size_t>(p - run));
    if (p == end) break;
    switch (*p) {
      case '\\': out += "\\\\"; break;
      case '\t': out += "\\t"; break;
      case '\n': out += "\\n"; break;
      case '\r': out += "\\r"; break;
      default: out += "\\0"; break;
    }
    ++p;
  }
}

Status CheckLoadDataRecord(std::string_view record, size_t columns) {
  if (record.empty() || record.back() != '\n') {
    return Status::InvalidInput("the record does not end with a newline: it is not a LOAD DATA line");
  }
  std::string_view body = record.substr(0, record.size() - 1);
  if (body.find('\n') != std::string_view::npos) {
    return Status::InvalidInput(
        "the record holds an unescaped newline before its end: it is not one LOAD DATA line");
  }
  size_t tabs = static_cast<size_t>(std::count(body.begin(), body.end(), '\t'));
  if (tabs + 1 != columns) {
    return Status::InvalidInput("the record has " + std::to_string(tabs + 1) + " fields, the table has " +
                                std::to_string(columns) + " columns to load");
  }
  return Status::Ok();
}

Status LoadWarningsError(const std::string& what, const std::string& total,
                         const std::vector<std::string>& shown, const std::string& code) {
  return Status::Query(what + ": the server reported " + total +
                           " warning(s), so it would have changed or dropped values; nothing was loaded: " +
                           Join(shown, "; ") +
                           ". The records do not fit this table (another column type, character set or "
                           "constraint?)",
                       code);
}

Status UnescapeLoadDataRecord(std::string_view record, size_t columns, std::string& arena,
                              std::vector<LoadDataField>& fields) {
  // The hot path of a MariaDB restore: memchr (vectorized) finds newlines,
  // tabs and backslashes, and runs without escapes are copied whole.
  if (record.empty() || record.back() != '\n') return CheckLoadDataRecord(record, columns);
  const char* p = record.data();
  const char* const end = p + record.size() - 1;  // without the final '\n'
  if (std::memchr(p, '\n', static_cast<size_t>(end - p)) != nullptr)
    return CheckLoadDataRecord(record, columns);
  const size_t arena_size = arena.size();
  const size_t fields_size = fields.size();
  auto fail = [&](Status st) {
    arena.resize(arena_size);
    fields.resize(fields_size);
    return st;
  };
  size_t count = 0;
  while (true) {
    const auto* tab = static_cast<const char*>(std::memchr(p, '\t', static_cast<size_t>(end - p)));
    const char* field_end = tab != nullptr ? tab : end;
    if (++count > columns) return fail(CheckLoadDataRecord(record, columns));
    LoadDataField field{arena.size(), 0, false};
    if (field_end - p == 2 && p[0] == '\\' && p[1] == 'N') {
      field.null = true;
    } else {
      const char* q = p;
      while (q < field_end) {
        const auto* escape =
            static_cast<const char*>(std::memchr(q, '\\', static_cast<size_t>(field_end - q)));
        const char* run_end = escape != nullptr ? escape : field_end;
        arena.append(q, static_cast<size_t>(run_end - q));
        if (escape == nullptr) break;
        if (escape + 1 == field_end)
          return fail(Status::InvalidInput("the record has a field ending in a lone backslash"));
        // The escapes LOAD DATA itself understands; any other escaped
        // character stands for itself.
        switch (escape[1]) {
          case '0': arena += '\0'; break;
          case 'b': arena += '\b'; break;
          case 'n': arena += '\n'; break;
          case 'r': arena += '\r'; break;
          case 't': arena += '\t'; break;
          case 'Z': arena += '\x1a'; break;
          default: arena += escape[1]; break;
        }
        q = escape + 2;
      }
      field.length = arena.size() - field.offset;
    }
    fields.push_back(field);
    if (tab == nullptr) break;
    p = tab + 1;
  }
  if (count != columns) return fail(CheckLoadDataRecord(record, columns));
  return Status::Ok();
}

Result<std::vector<std::optional<std::string>>> ParseLoadDataRecord(std::string_view record, size_t columns) {
  std::string arena;
  std::vector<LoadDataField> parsed;
  CUTOVER_RETURN_IF_ERROR(UnescapeLoadDataRecord(record, columns, arena, parsed));
  std::vector<std::optional<std::string>> values;
  values.reserve(parsed.size());
  for (const LoadDataField& f : parsed) {
    if (f.null) {
      values.emplace_back(std::nullopt);
    } else {
      values.emplace_back(arena.substr(f.offset, f.length));
    }
  }
  return values;
}

}  // namespace cutover::mysql
