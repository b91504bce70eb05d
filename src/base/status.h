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
#include <exception>
#include <string>
#include <utility>
#include <variant>

namespace cutover {

// The one table of status codes (pgBackRest's error.yaml idea): every code
// with its name (the "error" of a JSON error document), its process exit
// code and whether running the same command again, unchanged, may succeed.
// StatusCodeName, ExitCodeFor and IsRetryable are derived from it, and
// docs/exit-codes.md shows the same table (status_test.cc checks that they
// agree). Adding a code changes the driver plugin ABI (kDriverApiVersion).
//
//   X(enumerator,   name,               exit, retryable)
#define CUTOVER_STATUS_CODES(X)                                                                         \
  X(kOk, "ok", 0, false)                      /* success */                                             \
  X(kInvalidInput, "invalid input", 2, false) /* bad URI, config, file, argument: fix the input */      \
  X(kNotFound, "not found", 2, false)         /* a named file, object, driver or database is missing */ \
  X(kUnsupported, "unsupported", 2, false)    /* valid request this engine or version cannot do */      \
  X(kCheckFailed, "check failed", 1, false)   /* a verification ran and found a problem; a refusal */   \
  X(kConnection, "connection error", 3, true) /* could not reach or lost the server */                  \
  X(kQuery, "query error", 3, false)          /* the server rejected a statement */                     \
  X(kLockTimeout, "lock timeout", 3, true)    /* a lock or statement timeout expired */                 \
  X(kIo, "I/O error", 3, false)               /* file system failure (disk full, EIO, permissions) */   \
  X(kCancelled, "cancelled", 3, true)         /* interrupted by SIGINT/SIGTERM/SIGHUP */                \
  X(kInternal, "internal error", 3, false)    /* a bug in cutover or a plugin */

enum class StatusCode {
#define CUTOVER_STATUS_ENUMERATOR(code, name, exit, retryable) code,
  CUTOVER_STATUS_CODES(CUTOVER_STATUS_ENUMERATOR)
#undef CUTOVER_STATUS_ENUMERATOR
};

struct StatusCodeInfo {
  StatusCode code;
  const char* enumerator;  // "kIo": the name in this table
  const char* name;        // "I/O error"
  int exit_code;
  bool retryable;
};

inline constexpr StatusCodeInfo kStatusCodes[] = {
#define CUTOVER_STATUS_INFO(code, name, exit, retryable) {StatusCode::code, #code, name, exit, retryable},
    CUTOVER_STATUS_CODES(CUTOVER_STATUS_INFO)
#undef CUTOVER_STATUS_INFO
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
  // An interruption (SIGINT, SIGTERM, SIGHUP). Build it with
  // InterruptedStatus() (base/interrupt.h) so every command words it alike.
  static Status Cancelled(std::string msg) { return {StatusCode::kCancelled, std::move(msg)}; }
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

  // Returns a copy carrying `sqlstate`: for a Status re-coded from another
  // one (a failed statement reported as kCheckFailed), so the server's
  // SQLSTATE or error number survives: Status::CheckFailed(msg).WithSqlstate(st.sqlstate()).
  Status WithSqlstate(std::string sqlstate) const {
    Status s = *this;
    s.sqlstate_ = std::move(sqlstate);
    return s;
  }

  // Same code and SQLSTATE, new message (for rewording a status).
  Status WithMessage(std::string msg) const {
    Status s = *this;
    s.message_ = std::move(msg);
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
int ExitCodeFor(StatusCode code);

const char* StatusCodeName(StatusCode code);

// Whether the same command, run again unchanged, may succeed (a lost
// connection, a lock timeout, an interruption); not for input errors, failed
// checks, rejected statements or I/O errors, which need someone to act first.
bool IsRetryable(StatusCode code);

// What main reports when an exception escaped a command (a bug: errors are
// Status values): kInternal with "internal error: <what>; please report this
// with the command line (no secrets)". `error` may be null or hold anything.
Status StatusFromEscapedException(const std::exception_ptr& error);

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

  // A reference into this Result (the sanitizer build found callers keeping
  // `status().message()` by reference past a returned copy's lifetime).
  const Status& status() const {
    static const Status kOk = Status::Ok();
    return ok() ? kOk : std::get<Status>(state_);
  }

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
