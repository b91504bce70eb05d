#include "base/uri.h"

#include <algorithm>
#include <cctype>
#include <charconv>

#include "base/strings.h"

namespace cutover {
namespace {

int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// Message used when the text cannot be shown because it may hold a password.
std::string Describe(std::string_view text) {
  // Show only the scheme: anything after it may be a secret.
  auto pos = text.find(':');
  if (pos == std::string_view::npos) return "'" + std::string(text.substr(0, 40)) + "'";
  return "a '" + std::string(text.substr(0, pos)) + ":' URI";
}

}  // namespace

Result<std::string> PercentDecode(std::string_view in) {
  std::string out;
  out.reserve(in.size());
  for (size_t i = 0; i < in.size(); ++i) {
    if (in[i] != '%') {
      out += in[i];
      continue;
    }
    if (i + 2 >= in.size()) return Status::InvalidInput("truncated percent-escape");
    int hi = HexValue(in[i + 1]);
    int lo = HexValue(in[i + 2]);
    if (hi < 0 || lo < 0) return Status::InvalidInput("invalid percent-escape");
    // %00 would cut the value short where a client library reads a C string.
    if (hi == 0 && lo == 0) return Status::InvalidInput("percent-escape of a NUL byte");
    out += static_cast<char>(hi * 16 + lo);
    i += 2;
  }
  return out;
}

std::string PercentEncode(std::string_view in) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : in) {
    if (std::isalnum(c) || c == '-' || c == '.' || c == '_' || c == '~') {
      out += static_cast<char>(c);
    } else {
      out += '%';
      out += kHex[c >> 4];
      out += kHex[c & 15];
    }
  }
  return out;
}

bool IsSecretParam(std::string_view key) {
  std::string k = ToLower(key);
  return k.find("password") != std::string::npos || k.find("passwd") != std::string::npos || k == "pwd" ||
         k.find("secret") != std::string::npos || k == "sslkey";
}

std::string ScrubSecrets(std::string_view text) {
  std::string out(text);
  // key=value forms: password=..., passwd=...
  for (const char* key : {"password=", "passwd=", "pwd="}) {
    size_t pos = 0;
    while ((pos = ToLower(out).find(key, pos)) != std::string::npos) {
      size_t start = pos + std::char_traits<char>::length(key);
      size_t end = start;
      if (end < out.size() && out[end] == '\'') {
        end = out.find('\'', end + 1);
        end = end == std::string::npos ? out.size() : end + 1;
      } else {
        while (end < out.size() && !std::isspace(static_cast<unsigned char>(out[end])) && out[end] != '&' &&
               out[end] != '"')
          ++end;
      }
      out.replace(start, end - start, "***");
      pos = start + 3;
    }
  }
  // scheme://user:secret@host forms.
  size_t pos = 0;
  while ((pos = out.find("://", pos)) != std::string::npos) {
    size_t auth_start = pos + 3;
    size_t auth_end = out.find_first_of("/?# \t\n'\"", auth_start);
    if (auth_end == std::string::npos) auth_end = out.size();
    size_t at = out.rfind('@', auth_end);
    if (at != std::string::npos && at > auth_start) {
      size_t colon = out.find(':', auth_start);
      if (colon != std::string::npos && colon < at) {
        out.replace(colon + 1, at - colon - 1, "***");
      }
    }
    pos = auth_start;
  }
  return out;
}

namespace {

bool ValidScheme(std::string_view scheme) {
  if (scheme.empty() || !std::isalpha(static_cast<unsigned char>(scheme[0]))) return false;
  return std::all_of(scheme.begin(), scheme.end(), [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || c == '+' || c == '-' || c == '.';
  });
}

Status ParseQuery(std::string_view query, std::string_view text,
                  std::vector<std::pair<std::string, std::string>>* params) {
  for (std::string_view part : Split(query, '&')) {
    if (part.empty()) continue;
    auto eq = part.find('=');
    auto key = PercentDecode(part.substr(0, eq));
    auto val = PercentDecode(eq == std::string_view::npos ? "" : part.substr(eq + 1));
    if (!key.ok() || !val.ok())
      return Status::InvalidInput(Describe(text) + " has a bad %-escape in its query");
    params->emplace_back(*key, *val);
  }
  return Status::Ok();
}

}  // namespace

// Shape only, the same for every scheme (RFC 3986): which driver serves the
// scheme, and what its path means, is the driver's business.
Result<ConnectionUri> ConnectionUri::Parse(std::string_view text) {
  ConnectionUri uri;
  text = Trim(text);
  if (text.empty()) return Status::InvalidInput("empty connection URI");
  // A NUL would cut the URI short where a client library reads it as a C
  // string; no other control character belongs in a URI either.
  for (size_t i = 0; i < text.size(); ++i) {
    const auto c = static_cast<unsigned char>(text[i]);
    if (c < 0x20 || c == 0x7F) {
      return Status::InvalidInput("the connection URI has a control character (byte " + std::to_string(c) +
                                  ") at position " + std::to_string(i + 1) + "; remove it");
    }
  }
  auto colon = text.find(':');
  if (colon == std::string_view::npos || !ValidScheme(text.substr(0, colon))) {
    return Status::InvalidInput(Describe(text) +
                                " is not a connection URI: expected postgresql://, mysql://, "
                                "mariadb://, sqlite:///path or sqlite:path");
  }
  uri.scheme_ = ToLower(text.substr(0, colon));
  std::string_view rest = text.substr(colon + 1);
  uri.has_authority_ = StartsWith(rest, "//");
  if (uri.has_authority_) {
    rest.remove_prefix(2);
    auto auth_end = rest.find_first_of("/?");
    CUTOVER_RETURN_IF_ERROR(uri.ParseAuthority(rest.substr(0, auth_end), text));
    rest = auth_end == std::string_view::npos ? "" : rest.substr(auth_end);
  }
  auto q = rest.find('?');
  uri.raw_path_ = std::string(rest.substr(0, q));
  auto path = PercentDecode(uri.raw_path_);
  if (!path.ok()) return Status::InvalidInput(Describe(text) + " has a bad %-escape in its path");
  uri.path_ = *path;
  if (q != std::string_view::npos)
    CUTOVER_RETURN_IF_ERROR(ParseQuery(rest.substr(q + 1), text, &uri.params_));
  uri.text_ = std::string(text);
  return uri;
}

Status ConnectionUri::ParseAuthority(std::string_view authority, std::string_view text) {
  auto at = authority.rfind('@');
  if (at != std::string_view::npos) {
    std::string_view userinfo = authority.substr(0, at);
    authority = authority.substr(at + 1);
    auto pw = userinfo.find(':');
    auto user = PercentDecode(userinfo.substr(0, pw));
    if (!user.ok()) return Status::InvalidInput(Describe(text) + " has a bad %-escape in the user name");
    user_ = *user;
    if (pw != std::string_view::npos) {
      auto pass = PercentDecode(userinfo.substr(pw + 1));
      if (!pass.ok()) return Status::InvalidInput(Describe(text) + " has a bad %-escape in the password");
      password_ = *pass;
    }
  }
  // host[:port], with [v6] hosts.
  std::string_view hostport = authority;
  std::string_view port_text;
  if (StartsWith(hostport, "[")) {
    auto close = hostport.find(']');
    if (close == std::string_view::npos)
      return Status::InvalidInput(Describe(text) + " has an unclosed '[' in the host");
    host_ = std::string(hostport.substr(1, close - 1));
    std::string_view tail = hostport.substr(close + 1);
    if (!tail.empty()) {
      if (tail[0] != ':') return Status::InvalidInput(Describe(text) + " has text after the IPv6 host");
      port_text = tail.substr(1);
    }
  } else {
    auto pc = hostport.rfind(':');
    if (pc != std::string_view::npos) {
      port_text = hostport.substr(pc + 1);
      hostport = hostport.substr(0, pc);
    }
    auto host = PercentDecode(hostport);
    if (!host.ok()) return Status::InvalidInput(Describe(text) + " has a bad %-escape in the host");
    // A ':' in a host is an IPv6 address, written in brackets; one smuggled
    // in as %3A would be shown (and handed on) as a different URI.
    if (host->find(':') != std::string::npos) {
      return Status::InvalidInput(Describe(text) + " has a ':' in its host: write an IPv6 address as [addr]");
    }
    host_ = *host;
  }
  if (!port_text.empty()) {
    int port = 0;
    auto [p, ec] = std::from_chars(port_text.data(), port_text.data() + port_text.size(), port);
    if (ec != std::errc() || p != port_text.data() + port_text.size() || port <= 0 || port > 65535) {
      return Status::InvalidInput(Describe(text) + " has an invalid port '" + std::string(port_text) +
                                  "': expected a number from 1 to 65535");
    }
    port_ = port;
  }
  return Status::Ok();
}

std::string ConnectionUri::database() const {
  return has_authority_ && StartsWith(path_, "/") ? path_.substr(1) : path_;
}

Status ConnectionUri::RequireServerForm(std::string_view what) const {
  if (has_authority_) return Status::Ok();
  // Not Redacted(): in a malformed URI a password may sit anywhere in the path.
  return Status::InvalidInput("a '" + scheme_ + ":' URI must start with " + scheme_ +
                              "://: " + std::string(what) + " URIs name a server (" + scheme_ +
                              "://user@host:port/database)");
}

Status ConnectionUri::RequireFileForm(std::string_view what) const {
  if (has_authority_ && (!host_.empty() || port_ || !user_.empty() || password_)) {
    return Status::InvalidInput(Redacted() + " has a host part; use " + scheme_ + ":///absolute/path or " +
                                scheme_ + ":relative/path for " + std::string(what));
  }
  if (path_.empty()) return Status::InvalidInput(Redacted() + " has no file path");
  return Status::Ok();
}

std::optional<std::string> ConnectionUri::param(std::string_view key) const {
  for (const auto& [k, v] : params_) {
    if (k == key) return v;
  }
  return std::nullopt;
}

namespace {

// Percent-encodes a path, keeping its '/' separators.
std::string EncodePath(std::string_view path) {
  std::string out;
  bool first = true;
  for (std::string_view part : Split(path, '/')) {
    if (!first) out += '/';
    first = false;
    out += PercentEncode(part);
  }
  return out;
}

}  // namespace

std::string ConnectionUri::Compose(bool redact) const {
  std::string out = scheme_ + ":";
  if (has_authority_) {
    out += "//";
    if (!user_.empty() || password_) {
      out += PercentEncode(user_);
      if (password_) out += ":" + (redact ? std::string("***") : PercentEncode(*password_));
      out += '@';
    }
    out += host_.find(':') != std::string::npos ? "[" + host_ + "]" : PercentEncode(host_);
    if (port_) out += ":" + std::to_string(*port_);
  }
  // A path with '@' outside an authority is probably a mistyped
  // user:password@host: never show what stands before it.
  const size_t at = has_authority_ || !redact ? std::string::npos : raw_path_.rfind('@');
  out += at == std::string::npos ? raw_path_ : "***" + raw_path_.substr(at);
  bool first = true;
  for (const auto& [k, v] : params_) {
    out += first ? '?' : '&';
    first = false;
    out += PercentEncode(k) + "=" + (redact && IsSecretParam(k) ? "***" : PercentEncode(v));
  }
  return out;
}

std::string ConnectionUri::Redacted() const {
  return Compose(true);
}

ConnectionUri ConnectionUri::WithDatabase(std::string_view database) const {
  return WithPath("/" + std::string(database));
}

ConnectionUri ConnectionUri::WithPath(std::string_view path) const {
  ConnectionUri copy = *this;
  copy.path_ = std::string(path);
  copy.raw_path_ = EncodePath(path);
  // A relative path has no authority form.
  if (!StartsWith(path, "/")) copy.has_authority_ = false;
  // A dbname= parameter would override the path for libpq: drop it.
  std::erase_if(copy.params_, [](const auto& kv) { return kv.first == "dbname"; });
  copy.text_ = copy.Compose(false);
  return copy;
}

ConnectionUri ConnectionUri::WithPassword(std::string_view password) const {
  ConnectionUri copy = *this;
  copy.password_ = std::string(password);
  copy.text_ = copy.Compose(false);
  return copy;
}

}  // namespace cutover
