// The audit log: every snapshot, verification, restore test, rehearsal,
// gate decision, apply (start and end), override and prune, appended to a
// hash chain kept in the catalog (docs/audit.md).
//
// Each entry is stored as canonical JSON (sorted keys, no spaces) and a
// hash over "cutover-audit-v1", the previous entry's hash, its sequence
// number, its algorithm and that content. Changing, deleting, inserting or
// reordering a row breaks the chain at that row or the next one; cutting
// entries off the end leaves a valid chain, which only an anchored head
// (`audit head`, kept outside the catalog) reveals. With a key
// ([audit] key_file) the hash is an HMAC-SHA-256 (libsodium), so someone
// who can write the catalog but not read the key cannot forge entries.
//
// Nothing secret is recorded: the actor is the OS user@host and the
// database user name; detail values pass ScrubSecrets on the way in.
//
// Ownership: an AuditLog borrows the catalog for its lifetime and owns its
// key. Errors: Append/Verify return the catalog's errors; Verify reports a
// broken chain in its result (ok = false, the first bad entry named), not
// as an error status. A keyed log verified without the key is kInvalidInput
// (configure the key), never "ok".
#pragma once

#include <cstdint>
#include <functional>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>

#include "base/status.h"
#include "catalog/catalog.h"

namespace cutover::audit {

// The HMAC key of [audit] key_file. Load refuses a file others may read
// (mode & 077), one shorter than 32 bytes, and a missing file, naming it.
class Key {
 public:
  static Result<Key> Load(const std::string& path);
  static Key FromBytes(std::string bytes) { return Key(std::move(bytes)); }
  const std::string& bytes() const { return bytes_; }

 private:
  explicit Key(std::string bytes) : bytes_(std::move(bytes)) {}
  std::string bytes_;
};

// What a command records. `detail` is a JSON object of the command's
// evidence (ids, decisions, failed checks, reasons).
struct Event {
  std::string action;   // "snapshot", "verify", "restore-test", "rehearse", "gate",
                        // "apply.start", "apply.end", "apply.override", "prune"
  std::string target;   // the target's label (config name or redacted URI); may be empty
  std::string db_user;  // the database user the command connected as; may be empty
  nlohmann::json detail = nlohmann::json::object();
};

// An entry as read back.
struct Entry {
  std::int64_t seq = 0;
  std::string at;  // ISO 8601 UTC
  std::string action;
  std::string target;
  std::string actor;  // OS user@host
  std::string db_user;
  nlohmann::json detail;
  std::string alg;
  std::string hash;
};

struct Head {
  std::int64_t seq = 0;  // 0: the log is empty
  std::string hash;
};
// The head as a file for anchoring ({"format":"cutover.audit-head",...}),
// and back; ParseHead also takes the text form "SEQ HASH" and names what is
// wrong with a file that is neither.
std::string HeadJson(const Head& head);
Result<Head> ParseHead(const std::string& text, const std::string& file);

struct VerifyResult {
  bool ok = true;
  std::int64_t entries = 0;             // rows read
  std::int64_t keyed = 0;               // entries authenticated with the key
  std::optional<std::int64_t> bad_seq;  // the first bad entry
  std::string problem;                  // what is wrong with it, and what to do
  Head head;                            // the last entry read
};

// The chain hash of one entry (hex).
std::string ChainHash(const std::string& alg, const std::optional<Key>& key, const std::string& prev_hash,
                      std::int64_t seq, const std::string& content);

// Recomputes a chain row by row, in seq order: AuditLog::Verify feeds it the
// catalog's rows, the fuzz target arbitrary ones. Step returns Cancelled once
// the chain is found broken (then Finish() says where and why), and
// kInvalidInput for an authenticated entry when there is no key; Finish()
// also reports an anchored head the rows never reached.
class ChainVerifier {
 public:
  ChainVerifier(const std::optional<Key>& key, std::optional<Head> anchor);
  Status Step(const AuditRow& row);
  VerifyResult Finish();

 private:
  Status Fail(std::int64_t seq, std::string problem);

  const std::optional<Key>& key_;
  std::optional<Head> anchor_;
  VerifyResult result_;
  std::optional<std::int64_t> first_keyed_;
  bool anchor_seen_ = false;
};

class AuditLog {
 public:
  AuditLog(Catalog& catalog, std::optional<Key> key) : catalog_(catalog), key_(std::move(key)) {}

  // Appends `event` at the current time as the next entry.
  Status Append(const Event& event);
  Result<Head> ReadHead();
  // Every entry in order, parsed; a row whose content is not an entry is
  // kInvalidInput naming its seq (run `audit verify`).
  Status ForEach(const std::function<Status(const Entry&)>& fn);
  // Recomputes the chain; with `anchor`, also requires that the log still
  // holds the anchored entry unchanged.
  Result<VerifyResult> Verify(const std::optional<Head>& anchor);

 private:
  Catalog& catalog_;
  std::optional<Key> key_;
};

}  // namespace cutover::audit
