// ConnectionUri: a parsed database URI, and the only way a URI is ever shown.
//
// Accepted forms (docs/uris.md):
//   postgresql://user:pass@host:port/db?param=value   (also postgres://)
//   mysql://user:pass@host:port/db?socket=/path        (also mariadb://)
//   sqlite:///absolute/path.db   sqlite:relative/path.db
// The scheme selects the driver. Parsing checks the shape only; a driver may
// hand the original text to its client library (libpq accepts more keys than
// cutover knows about).
//
// Secrets: Redacted() replaces the password (userinfo and any password-like
// query parameter) with "***". Use it for every log line, message, report and
// catalog entry; Text() is for handing to a client library only.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "base/status.h"

namespace cutover {

class ConnectionUri {
 public:
  // Parses text. Errors are kInvalidInput and never quote the password.
  static Result<ConnectionUri> Parse(std::string_view text);

  // The scheme, lower-cased, with aliases folded: "postgresql", "mysql"
  // (also for mariadb://), "sqlite".
  const std::string& driver_scheme() const { return driver_scheme_; }
  // The scheme exactly as written ("mariadb", "postgres", ...).
  const std::string& scheme() const { return scheme_; }

  const std::string& user() const { return user_; }
  const std::optional<std::string>& password() const { return password_; }
  const std::string& host() const { return host_; }  // without IPv6 brackets
  std::optional<int> port() const { return port_; }
  // Database name (server engines, percent-decoded) or file path (sqlite).
  const std::string& database() const { return database_; }
  const std::vector<std::pair<std::string, std::string>>& params() const { return params_; }
  std::optional<std::string> param(std::string_view key) const;

  // The URI as given: may contain a password. Only for client libraries.
  const std::string& Text() const { return text_; }
  // The URI with every secret replaced by "***". Safe to print.
  std::string Redacted() const;

  // The same server and credentials, another database (or, for sqlite, another
  // file path). Used to reach scratch databases a driver created.
  ConnectionUri WithDatabase(std::string_view database) const;

 private:
  void Rebuild();  // recompute text_ from the parts

  std::string scheme_;
  std::string driver_scheme_;
  std::string user_;
  std::optional<std::string> password_;
  std::string host_;
  std::optional<int> port_;
  std::string database_;
  std::vector<std::pair<std::string, std::string>> params_;
  bool sqlite_relative_ = false;
  std::string text_;
};

// Percent-decoding and -encoding of URI components.
Result<std::string> PercentDecode(std::string_view in);
std::string PercentEncode(std::string_view in);

// True for query keys whose value is a secret (password, sslpassword, ...).
bool IsSecretParam(std::string_view key);

// Replaces anything that looks like a credential in free text produced by a
// client library (e.g. "password=xyz" in a libpq message) with "***". A last
// line of defence for error messages; Redacted() is the first.
std::string ScrubSecrets(std::string_view text);

}  // namespace cutover
