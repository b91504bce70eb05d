#include "base/status.h"

#include <exception>

namespace cutover {
namespace {

const StatusCodeInfo* InfoFor(StatusCode code) {
  for (const StatusCodeInfo& info : kStatusCodes) {
    if (info.code == code) return &info;
  }
  return nullptr;
}

}  // namespace

const char* StatusCodeName(StatusCode code) {
  const StatusCodeInfo* info = InfoFor(code);
  return info != nullptr ? info->name : "unknown";
}

std::string Status::ToString() const {
  if (ok()) return "ok";
  std::string out = StatusCodeName(code_);
  out += ": ";
  out += message_;
  if (!sqlstate_.empty()) out += " [" + sqlstate_ + "]";
  return out;
}

int ExitCodeFor(StatusCode code) {
  const StatusCodeInfo* info = InfoFor(code);
  return info != nullptr ? info->exit_code : 3;  // a code from a newer plugin: a runtime error
}

int ExitCodeFor(const Status& status) {
  return ExitCodeFor(status.code());
}

bool IsRetryable(StatusCode code) {
  const StatusCodeInfo* info = InfoFor(code);
  return info != nullptr && info->retryable;
}

Status StatusFromEscapedException(const std::exception_ptr& error) {
  std::string what = "an unknown exception";
  if (error) {
    try {
      std::rethrow_exception(error);
    } catch (const std::exception& e) {
      what = *e.what() != '\0' ? e.what() : "an exception without a message";
    } catch (...) {
      what = "an exception that is not a std::exception";
    }
  }
  return Status::Internal("internal error: " + what +
                          "; please report this with the command line (no secrets)");
}

}  // namespace cutover
