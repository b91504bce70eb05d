#include "audit/audit_log.h"

#include <sodium.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cctype>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <sstream>

#include "base/os_user.h"
#include "base/sha256.h"
#include "base/strings.h"

namespace cutover::audit {
namespace {

constexpr const char* kSha256 = "sha256";
constexpr const char* kHmac = "hmac-sha256";
constexpr std::size_t kMinKeyBytes = 32;

std::string Hex(const unsigned char* bytes, std::size_t size) {
  static const char* digits = "0123456789abcdef";
  std::string out;
  out.reserve(size * 2);
  for (std::size_t i = 0; i < size; ++i) {
    out += digits[bytes[i] >> 4];
    out += digits[bytes[i] & 0xf];
  }
  return out;
}

// Every string in `value`, scrubbed: details come from commands that may
// quote a URI or an error message.
void Scrub(nlohmann::json& value) {
  if (value.is_string()) {
    value = ScrubSecrets(value.get<std::string>());
  } else if (value.is_structured()) {
    for (auto& item : value) Scrub(item);
  }
}

std::string Canonical(const nlohmann::json& value) {
  // nlohmann::json keeps object keys sorted: dump() without indent is one
  // canonical form. Invalid UTF-8 is replaced rather than refused, so a
  // hostile identifier in a detail cannot make an entry unrecordable.
  return value.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

Result<Entry> ParseEntry(const AuditRow& row) {
  Entry e;
  e.seq = row.seq;
  e.alg = row.alg;
  e.hash = row.hash;
  auto bad = [&](const std::string& what) {
    return Status::InvalidInput("audit log entry " + std::to_string(row.seq) + ": " + what +
                                "; run `cutover audit verify` to find where the log was changed");
  };
  nlohmann::json j = nlohmann::json::parse(row.content, nullptr, false);
  if (j.is_discarded() || !j.is_object()) return bad("its content is not a JSON object");
  try {
    if (j.at("seq").get<std::int64_t>() != row.seq) return bad("its content names another entry");
    e.at = j.at("at").get<std::string>();
    e.action = j.at("action").get<std::string>();
    e.target = j.at("target").get<std::string>();
    e.actor = j.at("actor").get<std::string>();
    e.db_user = j.at("db_user").get<std::string>();
    e.detail = j.at("detail");
  } catch (const nlohmann::json::exception&) {
    return bad("its content lacks a field of an entry or has one of the wrong type");
  }
  return e;
}

// Why entry `row` does not match its hash, as precisely as its content
// allows.
std::string Mismatch(const AuditRow& row, bool keyed_with_our_key) {
  nlohmann::json j = nlohmann::json::parse(row.content, nullptr, false);
  const std::string n = "entry " + std::to_string(row.seq);
  if (j.is_object() && j.contains("seq") && j["seq"].is_number_integer() &&
      j["seq"].get<std::int64_t>() != row.seq) {
    return n + " holds the content of entry " + std::to_string(j["seq"].get<std::int64_t>()) +
           ": entries were reordered or moved";
  }
  std::string out = n +
                    " does not match its hash: it was edited, or the entry before it was edited, "
                    "inserted or deleted";
  if (keyed_with_our_key) out += " (or [audit] key_file is not the key it was written with)";
  return out;
}

}  // namespace

Result<Key> Key::Load(const std::string& path) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) {
    return Status::NotFound("[audit] key_file " + path +
                            ": cannot be read; create one with `head -c 32 /dev/urandom > " + path +
                            " && chmod 600 " + path + "`, or remove the setting");
  }
  if ((st.st_mode & 077) != 0) {
    char mode[8];
    std::snprintf(mode, sizeof mode, "%03o", static_cast<unsigned>(st.st_mode & 0777));
    return Status::InvalidInput("[audit] key_file " + path + ": others may read it (mode " + mode +
                                "); run `chmod 600 " + path + "`");
  }
  std::ifstream in(path, std::ios::binary);
  std::ostringstream bytes;
  bytes << in.rdbuf();
  if (!in.good() && !in.eof()) return Status::Io("[audit] key_file " + path + ": cannot be read");
  std::string key = bytes.str();
  if (key.size() < kMinKeyBytes) {
    return Status::InvalidInput("[audit] key_file " + path + ": holds " + std::to_string(key.size()) +
                                " bytes; an HMAC key needs at least 32 random bytes (head -c 32 "
                                "/dev/urandom)");
  }
  return Key(std::move(key));
}

std::string ChainHash(const std::string& alg, const std::optional<Key>& key, const std::string& prev_hash,
                      std::int64_t seq, const std::string& content) {
  const std::string header =
      "cutover-audit-v1\n" + prev_hash + "\n" + std::to_string(seq) + "\n" + alg + "\n";
  if (alg == kHmac && key) {
    crypto_auth_hmacsha256_state state;
    const std::string& k = key->bytes();
    crypto_auth_hmacsha256_init(&state, reinterpret_cast<const unsigned char*>(k.data()), k.size());
    crypto_auth_hmacsha256_update(&state, reinterpret_cast<const unsigned char*>(header.data()),
                                  header.size());
    crypto_auth_hmacsha256_update(&state, reinterpret_cast<const unsigned char*>(content.data()),
                                  content.size());
    unsigned char mac[crypto_auth_hmacsha256_BYTES];
    crypto_auth_hmacsha256_final(&state, mac);
    sodium_memzero(&state, sizeof state);
    return Hex(mac, sizeof mac);
  }
  Sha256 h;
  h.Update(header);
  h.Update(content);
  return h.HexDigest();
}

std::string HeadJson(const Head& head) {
  nlohmann::ordered_json j{
      {"format", "cutover.audit-head"}, {"version", 1}, {"seq", head.seq}, {"hash", head.hash}};
  return j.dump(2) + "\n";
}

Result<Head> ParseHead(const std::string& text, const std::string& file) {
  const std::string what = "--head " + file;
  // `audit head` in text form: "SEQ HASH".
  std::istringstream words(text);
  long long seq = -1;
  std::string hash;
  std::string rest;
  if (std::isdigit(static_cast<unsigned char>(text.empty() ? 'x' : text[0])) && (words >> seq >> hash) &&
      !(words >> rest) && seq >= 0) {
    return Head{seq, hash};
  }
  nlohmann::json j = nlohmann::json::parse(text, nullptr, false);
  // Compared as JSON, not with value(): a "format" that is not a string is
  // refused here instead of throwing.
  if (j.is_discarded() || !j.is_object() || !j.contains("format") || j["format"] != "cutover.audit-head") {
    return Status::InvalidInput(what + ": not an audit head; write one with `cutover audit head --json > " +
                                file + "`");
  }
  Head head;
  if (!j.contains("seq") || !j["seq"].is_number_integer() || j["seq"].get<std::int64_t>() < 0 ||
      !j.contains("hash") || !j["hash"].is_string()) {
    return Status::InvalidInput(what + ": needs a \"seq\" (0 or more) and a \"hash\" (hex)");
  }
  head.seq = j["seq"].get<std::int64_t>();
  head.hash = j["hash"].get<std::string>();
  return head;
}

Status AuditLog::Append(const Event& event) {
  if (sodium_init() < 0) return Status::Internal("libsodium could not be initialized");
  const std::string alg = key_ ? kHmac : kSha256;
  nlohmann::json detail = event.detail.is_object() ? event.detail : nlohmann::json::object();
  Scrub(detail);
  nlohmann::json content{{"v", 1},
                         {"at", NowIso8601()},
                         {"action", event.action},
                         {"target", ScrubSecrets(event.target)},
                         {"actor", OsUserAtHost()},
                         {"db_user", event.db_user},
                         {"detail", detail}};
  return catalog_.AppendAudit([&](const std::optional<AuditRow>& head) -> Result<AuditRow> {
    AuditRow row;
    row.seq = head ? head->seq + 1 : 1;
    row.alg = alg;
    content["seq"] = row.seq;
    row.content = Canonical(content);
    row.hash = ChainHash(alg, key_, head ? head->hash : std::string(), row.seq, row.content);
    return row;
  });
}

Result<Head> AuditLog::ReadHead() {
  auto row = catalog_.AuditHead();
  if (!row.ok()) return row.status();
  if (!*row) return Head{};
  return Head{(*row)->seq, (*row)->hash};
}

Status AuditLog::ForEach(const std::function<Status(const Entry&)>& fn) {
  return catalog_.ForEachAudit([&](const AuditRow& row) -> Status {
    auto entry = ParseEntry(row);
    if (!entry.ok()) return entry.status();
    return fn(*entry);
  });
}

ChainVerifier::ChainVerifier(const std::optional<Key>& key, std::optional<Head> anchor)
    : key_(key), anchor_(std::move(anchor)) {}

Status ChainVerifier::Fail(std::int64_t seq, std::string problem) {
  result_.ok = false;
  result_.bad_seq = seq;
  result_.problem = std::move(problem);
  return Status::Cancelled("stop");  // ends the walk; not an error
}

Status ChainVerifier::Step(const AuditRow& row) {
  if (!result_.ok) return Status::Cancelled("stop");
  ++result_.entries;
  const std::int64_t expected = result_.head.seq + 1;
  if (row.seq != expected) {
    return Fail(expected,
                "entry " + std::to_string(expected) +
                    (row.seq == expected + 1 ? " is missing"
                                             : " to " + std::to_string(row.seq - 1) + " are missing") +
                    ": deleted from the log");
  }
  if (row.alg == kHmac) {
    if (!key_) {
      return Status::InvalidInput("audit log entry " + std::to_string(row.seq) +
                                  " is authenticated with HMAC-SHA-256: set [audit] key_file in the "
                                  "config to the key it was written with, then verify again");
    }
    if (!first_keyed_) first_keyed_ = row.seq;
    ++result_.keyed;
  } else if (row.alg != kSha256) {
    return Fail(row.seq, "entry " + std::to_string(row.seq) + " names an unknown algorithm");
  } else if (first_keyed_) {
    return Fail(row.seq, "entry " + std::to_string(row.seq) + " is not authenticated though entry " +
                             std::to_string(*first_keyed_) +
                             " before it is: it was forged or downgraded by someone without the key");
  }
  if (ChainHash(row.alg, key_, result_.head.hash, row.seq, row.content) != row.hash) {
    return Fail(row.seq, Mismatch(row, row.alg == kHmac));
  }
  if (anchor_ && row.seq == anchor_->seq) {
    anchor_seen_ = true;
    if (row.hash != anchor_->hash) {
      return Fail(row.seq, "entry " + std::to_string(row.seq) +
                               " differs from the anchored head: the log was rewritten up to here");
    }
  }
  result_.head = Head{row.seq, row.hash};
  return Status::Ok();
}

VerifyResult ChainVerifier::Finish() {
  if (result_.ok && anchor_ && anchor_->seq > 0 && !anchor_seen_) {
    result_.ok = false;
    result_.bad_seq = result_.head.seq + 1;
    result_.problem = "the log ends at entry " + std::to_string(result_.head.seq) +
                      " but the anchored head is entry " + std::to_string(anchor_->seq) + ": entries " +
                      std::to_string(result_.head.seq + 1) + " to " + std::to_string(anchor_->seq) +
                      " were removed (truncated)";
  }
  return result_;
}

Result<VerifyResult> AuditLog::Verify(const std::optional<Head>& anchor) {
  ChainVerifier verifier(key_, anchor);
  Status fatal;
  Status st = catalog_.ForEachAudit([&](const AuditRow& row) -> Status {
    Status step = verifier.Step(row);
    if (step.code() == StatusCode::kInvalidInput) fatal = step;
    return step;
  });
  if (!fatal.ok()) return fatal;
  VerifyResult result = verifier.Finish();
  if (!st.ok() && result.ok) return st;
  return result;
}

}  // namespace cutover::audit
