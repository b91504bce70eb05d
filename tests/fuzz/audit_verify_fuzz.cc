// Fuzz target: the audit log's verifier (audit/audit_log.h ChainVerifier,
// what `cutover audit verify` runs over the catalog's rows) and the anchored
// head reader. Each input line becomes a row: its first byte picks the
// algorithm, its second whether the row carries its true chain hash or the
// bytes the fuzzer wrote, its third whether its sequence number is skipped;
// the rest is the content. The verdict must follow from how the rows were
// built: an untouched chain verifies, and a chain with a forged, skipped or
// downgraded row is refused at or before that row.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "audit/audit_log.h"
#include "fuzz_check.h"

namespace audit = cutover::audit;

namespace {

std::vector<std::string_view> Lines(std::string_view input) {
  std::vector<std::string_view> lines;
  while (!input.empty()) {
    const std::size_t nl = input.find('\n');
    lines.push_back(input.substr(0, nl));
    if (nl == std::string_view::npos) break;
    input.remove_prefix(nl + 1);
  }
  return lines;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size < 2) return 0;
  const std::string_view input(reinterpret_cast<const char*>(data + 1), size - 1);
  (void)audit::ParseHead(std::string(input), "fuzz/head.json");

  std::optional<audit::Key> key;
  if ((data[0] & 1) != 0) key = audit::Key::FromBytes(std::string(32, 'k'));
  audit::ChainVerifier verifier(key, std::nullopt);
  std::string prev_hash;
  std::int64_t seq = 0;
  std::optional<std::int64_t> first_bad;  // the first row built to fail
  bool keyed_seen = false;
  bool fatal = false;
  for (std::string_view line : Lines(input)) {
    if (line.size() < 3) continue;
    cutover::AuditRow row;
    row.alg = line[0] % 4 == 0 ? "hmac-sha256" : line[0] % 4 == 3 ? std::string(line.substr(3, 4)) : "sha256";
    const bool skip = line[2] % 8 == 0;
    row.seq = ++seq + (skip ? 1 : 0);
    row.content = std::string(line.substr(3));
    const std::string true_hash = audit::ChainHash(row.alg, key, prev_hash, row.seq, row.content);
    row.hash = line[1] % 4 == 0 ? std::string(line.substr(3)) : true_hash;
    const bool hmac = row.alg == "hmac-sha256";
    const bool broken = skip || row.hash != true_hash || (row.alg != "sha256" && !hmac) ||
                        (row.alg == "sha256" && keyed_seen);
    if (hmac && !key && !first_bad) fatal = true;
    if (broken && !first_bad) first_bad = row.seq - (skip ? 1 : 0);
    cutover::Status step = verifier.Step(row);
    if (!step.ok()) break;
    keyed_seen = keyed_seen || hmac;
    prev_hash = row.hash;
    seq = row.seq;
  }
  if (fatal) return 0;  // a keyed entry without the key: an error, not a verdict
  const audit::VerifyResult result = verifier.Finish();
  if (!first_bad) {
    FUZZ_CHECK(result.ok);
  } else {
    FUZZ_CHECK(!result.ok);
    FUZZ_CHECK(result.bad_seq && *result.bad_seq <= *first_bad);
    FUZZ_CHECK(!result.problem.empty());
  }
  return 0;
}
