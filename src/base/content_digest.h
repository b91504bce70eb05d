// ContentDigest: the order-independent digest of a multiset of records, the
// sum modulo 2^128 of each record's XXH3-128. Digests of parts add up to the
// digest of the whole, so table ranges exported in parallel, a restored
// table read back in any order, and a database image walked page by page
// all give one value per table. A missing, extra, duplicated or changed
// record changes it. Here in base because both the snapshot core and the
// drivers (database images, driver.h) compute it.
//
// Also a streaming form for a record that arrives in pieces (an SQLite cell
// whose payload continues on overflow pages): StartRecord(), Update()...,
// FinishRecord() equals AddRecord() of the concatenation.
#pragma once

#include <xxhash.h>

#include <cstdint>
#include <string>
#include <string_view>

#include "base/status.h"

namespace cutover {

class ContentDigest {
 public:
  void AddRecord(std::string_view record);
  void Add(const ContentDigest& other);
  // 32 lower-case hex digits.
  std::string Hex() const;
  static Result<ContentDigest> FromHex(std::string_view hex);
  bool operator==(const ContentDigest& other) const = default;

 private:
  friend class RecordHasher;
  void AddHash(std::uint64_t high, std::uint64_t low);
  std::uint64_t high_ = 0;
  std::uint64_t low_ = 0;
};

// One record hashed in pieces, then added to a ContentDigest. Not copyable:
// it owns xxhash's streaming state.
class RecordHasher {
 public:
  RecordHasher();
  ~RecordHasher();
  RecordHasher(const RecordHasher&) = delete;
  RecordHasher& operator=(const RecordHasher&) = delete;

  void StartRecord();
  void Update(std::string_view piece);
  void FinishRecord(ContentDigest& into);

 private:
  XXH3_state_t* state_;
};

// XXH3-128 of `data` as 32 hex digits.
std::string Xxh128Hex(std::string_view data);

}  // namespace cutover
