// ConnectionUri: a parsed database URI, and the only way a URI is ever shown.
//
// Accepted forms (docs/quickstart.md, "Connection URIs"):
//   postgresql://user:pass@host:port/db?param=value   (also postgres://)
//   mysql://user:pass@host:port/db?socket=/path        (also mariadb://)
//   sqlite:///absolute/path.db   sqlite:relative/path.db
// Parsing checks the generic shape only (RFC 3986: scheme, optional
// //authority, path, query), the same for every scheme. The driver whose
// DriverInfo::schemes lists the scheme serves the URI (DriverLoader::ForUri)
// and decides what the path means: a database name (server engines:
// database(), the path without its leading '/') or a file (path()). A driver
// may hand the original text to its client library (libpq accepts more keys
// than cutover knows about).
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

  // The scheme, lower-cased ("mariadb", "postgres", ...).
  const std::string& scheme() const { return scheme_; }
  // True for scheme://authority/... forms, false for scheme:path.
  bool has_authority() const { return has_authority_; }

  const std::string& user() const { return user_; }
  const std::optional<std::string>& password() const { return password_; }
  const std::string& host() const { return host_; }  // without IPv6 brackets
  std::optional<int> port() const { return port_; }
  // The path, percent-decoded: "/shop" in scheme://host/shop,
  // "/var/lib/a.db" in scheme:///var/lib/a.db, "a.db" in scheme:a.db.
  const std::string& path() const { return path_; }
  // The database name of a server URI: the path without its leading '/'.
  std::string database() const;
  // For drivers: kInvalidInput unless this URI has the form their engine
  // needs, naming the URI (redacted) and the expected form.
  Status RequireServerForm(std::string_view what) const;
  Status RequireFileForm(std::string_view what) const;
  const std::vector<std::pair<std::string, std::string>>& params() const { return params_; }
  std::optional<std::string> param(std::string_view key) const;

  // The URI as given: may contain a password. Only for client libraries.
  const std::string& Text() const { return text_; }
  // The URI with every secret replaced by "***". Safe to print.
  std::string Redacted() const;

  // The same server and credentials, another database. Used to reach scratch
  // databases a driver created.
  ConnectionUri WithDatabase(std::string_view database) const;
  // The same URI with another path (a file, for engines whose databases are
  // files): absolute paths keep the scheme:///path form, relative ones become
  // scheme:path.
  ConnectionUri WithPath(std::string_view path) const;
  // The same URI carrying `password` (a password the client found
  // elsewhere, PGPASSWORD or MYSQL_PWD), for a child process's environment.
  ConnectionUri WithPassword(std::string_view password) const;

 private:
  Status ParseAuthority(std::string_view authority, std::string_view text);
  std::string Compose(bool redact) const;

  std::string scheme_;
  bool has_authority_ = false;
  std::string user_;
  std::optional<std::string> password_;
  std::string host_;
  std::optional<int> port_;
  std::string path_;      // decoded
  std::string raw_path_;  // as written, for showing the URI as given
  std::vector<std::pair<std::string, std::string>> params_;
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
