// Status and Result<T>: the one error type of cutover.
//
// Every fallible function returns a Status (no value) or a Result<T> (a value
// or the Status explaining why there is none). Errors never travel as
// exceptions across a module boundary: driver plugins catch everything their
// client library throws and return a Status instead.
//
// A Status carries a code (which decides the process exit code, see
// docs/exit-codes.md) and a message written for the person who has to act on
// it: it names the file, object or table concerned and what to do next. A
// message must never contain a password; build messages from redacted URIs.
#pragma once

#include <cassert>
#include <string>
#include <utility>
#include <variant>

namespace cutover {

enum class StatusCode {
  kOk = 0,
  kInvalidInput,  // bad URI, config, file, argument: the user must fix the input (exit 2)
  kNotFound,      // a named file, object, driver or database does not exist (exit 2)
  kUnsupported,   // valid request this engine or version cannot do (exit 2)
  kCheckFailed,   // a verification ran and found a problem (exit 1)
  kConnection,    // could not reach or lost the server (exit 3)
  kQuery,         // the server rejected a statement (exit 3)
  kLockTimeout,   // a lock or statement timeout expired (exit 3, may be retried)
  kIo,            // file system failure (exit 3)
  kInternal,      // a bug in cutover or a plugin (exit 3)
};

class [[nodiscard]] Status {
 public:
  Status() = default;

  static Status Ok() { return Status(); }
  static Status InvalidInput(std::string msg) { return {StatusCode::kInvalidInput, std::move(msg)}; }
  static Status NotFound(std::string msg) { return {StatusCode::kNotFound, std::move(msg)}; }
  static Status Unsupported(std::string msg) { return {StatusCode::kUnsupported, std::move(msg)}; }
  static Status CheckFailed(std::string msg) { return {StatusCode::kCheckFailed, std::move(msg)}; }
  static Status Connection(std::string msg) { return {StatusCode::kConnection, std::move(msg)}; }
  static Status Query(std::string msg, std::string sqlstate = {}) {
    Status s{StatusCode::kQuery, std::move(msg)};
    s.sqlstate_ = std::move(sqlstate);
    return s;
  }
  static Status LockTimeout(std::string msg) { return {StatusCode::kLockTimeout, std::move(msg)}; }
  static Status Io(std::string msg) { return {StatusCode::kIo, std::move(msg)}; }
  static Status Internal(std::string msg) { return {StatusCode::kInternal, std::move(msg)}; }

  bool ok() const { return code_ == StatusCode::kOk; }
  StatusCode code() const { return code_; }
  const std::string& message() const { return message_; }
  // SQLSTATE (PostgreSQL) or server error number (MySQL) when the server gave one.
  const std::string& sqlstate() const { return sqlstate_; }

  // Returns a copy whose message is "context: message", for adding the file,
  // table or step the caller was working on.
  Status WithContext(const std::string& context) const {
    if (ok()) return *this;
    Status s = *this;
    s.message_ = context + ": " + message_;
    return s;
  }

  // "invalid input: ..." etc.; for logs and tests.
  std::string ToString() const;

 private:
  Status(StatusCode code, std::string msg) : code_(code), message_(std::move(msg)) {}

  StatusCode code_ = StatusCode::kOk;
  std::string message_;
  std::string sqlstate_;
};

// The process exit code for a status, per docs/exit-codes.md:
// 0 ok, 1 a check failed, 2 usage or input error, 3 runtime error.
int ExitCodeFor(const Status& status);

const char* StatusCodeName(StatusCode code);

// A value of type T, or the Status explaining its absence.
template <typename T>
class [[nodiscard]] Result {
 public:
  Result(T value) : state_(std::move(value)) {}        // NOLINT(google-explicit-constructor)
  Result(Status status) : state_(std::move(status)) {  // NOLINT(google-explicit-constructor)
    assert(!std::get<Status>(state_).ok() && "a Result built from a Status must carry an error");
  }

  bool ok() const { return std::holds_alternative<T>(state_); }
  const T& value() const& { return std::get<T>(state_); }
  T& value() & { return std::get<T>(state_); }
  T&& value() && { return std::get<T>(std::move(state_)); }
  const T* operator->() const { return &value(); }
  T* operator->() { return &value(); }
  const T& operator*() const& { return value(); }
  T& operator*() & { return value(); }

  Status status() const { return ok() ? Status::Ok() : std::get<Status>(state_); }

 private:
  std::variant<T, Status> state_;
};

}  // namespace cutover

// Propagates a failed Status to the caller.
#define CUTOVER_RETURN_IF_ERROR(expr)          \
  do {                                         \
    ::cutover::Status _cutover_st = (expr);    \
    if (!_cutover_st.ok()) return _cutover_st; \
  } while (0)
