#include "report/github.h"

#include <cstdlib>
#include <fstream>

namespace cutover::report {
namespace {

// The runner's escaping (actions/toolkit, command.ts): data escapes %, CR
// and LF; property values also ':' and ','.
std::string EscapeData(std::string_view text) {
  std::string out;
  for (char c : text) {
    switch (c) {
      case '%': out += "%25"; break;
      case '\r': out += "%0D"; break;
      case '\n': out += "%0A"; break;
      default: out += c;
    }
  }
  return out;
}

std::string EscapeProperty(std::string_view text) {
  std::string out;
  for (char c : EscapeData(text)) {
    switch (c) {
      case ':': out += "%3A"; break;
      case ',': out += "%2C"; break;
      default: out += c;
    }
  }
  return out;
}

const char* LevelName(AnnotationLevel level) {
  switch (level) {
    case AnnotationLevel::kError: return "error";
    case AnnotationLevel::kWarning: return "warning";
    case AnnotationLevel::kNotice: return "notice";
  }
  return "error";
}

}  // namespace

std::string WorkflowCommand(const Annotation& a) {
  std::string props;
  auto add = [&](const char* key, const std::string& value) {
    if (value.empty()) return;
    props += (props.empty() ? " " : ",") + std::string(key) + "=" + EscapeProperty(value);
  };
  add("file", a.file);
  if (a.line > 0) add("line", std::to_string(a.line));
  add("title", a.title);
  return "::" + std::string(LevelName(a.level)) + props + "::" + EscapeData(a.message);
}

bool GithubMode(bool flag) {
  if (flag) return true;
  const char* env = std::getenv("GITHUB_ACTIONS");
  return env != nullptr && std::string_view(env) == "true";
}

Status AppendStepSummary(std::string_view markdown) {
  const char* path = std::getenv("GITHUB_STEP_SUMMARY");
  if (path == nullptr || *path == '\0') return Status::Ok();
  std::ofstream out(path, std::ios::app | std::ios::binary);
  if (out) out << markdown;
  out.flush();
  if (!out) return Status::Io(std::string("$GITHUB_STEP_SUMMARY ") + path + ": cannot append the summary");
  return Status::Ok();
}

std::string MarkdownCell(std::string_view text) {
  std::string out;
  for (char c : text) {
    if (c == '|') {
      out += "\\|";
    } else if (c == '\n' || c == '\r') {
      out += "<br>";
    } else if (c == '<') {
      out += "&lt;";
    } else if (c == '>') {
      out += "&gt;";
    } else {
      out += c;
    }
  }
  return out;
}

}  // namespace cutover::report
