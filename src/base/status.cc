#include "base/status.h"

namespace cutover {

const char* StatusCodeName(StatusCode code) {
  switch (code) {
    case StatusCode::kOk: return "ok";
    case StatusCode::kInvalidInput: return "invalid input";
    case StatusCode::kNotFound: return "not found";
    case StatusCode::kUnsupported: return "unsupported";
    case StatusCode::kCheckFailed: return "check failed";
    case StatusCode::kConnection: return "connection error";
    case StatusCode::kQuery: return "query error";
    case StatusCode::kLockTimeout: return "lock timeout";
    case StatusCode::kIo: return "I/O error";
    case StatusCode::kInternal: return "internal error";
  }
  return "unknown";
}

std::string Status::ToString() const {
  if (ok()) return "ok";
  std::string out = StatusCodeName(code_);
  out += ": ";
  out += message_;
  if (!sqlstate_.empty()) out += " [" + sqlstate_ + "]";
  return out;
}

int ExitCodeFor(const Status& status) {
  switch (status.code()) {
    case StatusCode::kOk: return 0;
    case StatusCode::kCheckFailed: return 1;
    case StatusCode::kInvalidInput:
    case StatusCode::kNotFound:
    case StatusCode::kUnsupported: return 2;
    case StatusCode::kConnection:
    case StatusCode::kQuery:
    case StatusCode::kLockTimeout:
    case StatusCode::kIo:
    case StatusCode::kInternal: return 3;
  }
  return 3;
}

}  // namespace cutover
