// Small string helpers shared by the core and the drivers' normalizers.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"

namespace cutover {

std::string ToLower(std::string_view s);
std::string ToUpper(std::string_view s);
std::string_view Trim(std::string_view s);
bool StartsWith(std::string_view s, std::string_view prefix);
bool EndsWith(std::string_view s, std::string_view suffix);
// Case-insensitive ASCII comparison.
bool EqualsIgnoreCase(std::string_view a, std::string_view b);
std::vector<std::string_view> Split(std::string_view s, char sep);
std::string Join(const std::vector<std::string>& parts, std::string_view sep);
// Replaces every run of whitespace outside quotes ('...', "...", `...`) with
// one space and trims the ends. For comparing SQL text written differently.
std::string CollapseSqlWhitespace(std::string_view sql);
// Replaces every occurrence of `from` with `to`.
std::string ReplaceAll(std::string_view s, std::string_view from, std::string_view to);
// True when s is valid UTF-8.
bool IsValidUtf8(std::string_view s);
// Text for an XML attribute or element: markup characters escaped, control
// characters XML 1.0 forbids replaced by spaces.
std::string XmlEscape(std::string_view s);
// A Prometheus label value with \\, " and newlines escaped (the text exposition format).
std::string PromLabel(std::string_view value);
// Appends s as a JSON string literal (quotes included): escapes quotes,
// backslashes and control characters; a byte that is not part of valid UTF-8
// becomes U+FFFD so the output is always valid JSON.
void AppendJsonString(std::string& out, std::string_view s);

// Parses a duration such as "30d", "12h", "2w", "90m", "45s" (one whole
// number and one unit). kInvalidInput names the text on anything else.
Result<std::int64_t> ParseDurationSeconds(std::string_view text);

// `text` as one POSIX shell word: in single quotes, each ' written '\''.
std::string ShellQuote(std::string_view text);

}  // namespace cutover
