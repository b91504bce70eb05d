// SHA-256 (OpenSSL EVP), for fingerprints and checksums.
//
// Sha256 is incremental: Update() as data streams in, then HexDigest() once.
// OpenSSL failures (which only happen on allocation failure) abort: a hash
// that silently fails would make every later comparison meaningless.
#pragma once

#include <memory>
#include <string>
#include <string_view>

namespace cutover {

class Sha256 {
 public:
  Sha256();
  ~Sha256();
  Sha256(const Sha256&) = delete;
  Sha256& operator=(const Sha256&) = delete;

  void Update(std::string_view data);
  // Lower-case hex of the digest. The object cannot be updated afterwards.
  std::string HexDigest();

 private:
  struct State;
  std::unique_ptr<State> state_;
};

// One-shot helper.
std::string Sha256Hex(std::string_view data);

}  // namespace cutover
