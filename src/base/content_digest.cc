#include "base/content_digest.h"

#include <cstdio>
#include <cstdlib>

namespace cutover {
namespace {

std::string Hex128(std::uint64_t high, std::uint64_t low) {
  char buf[33];
  std::snprintf(buf, sizeof buf, "%016llx%016llx", static_cast<unsigned long long>(high),
                static_cast<unsigned long long>(low));
  return buf;
}

}  // namespace

void ContentDigest::AddHash(std::uint64_t high, std::uint64_t low) {
  std::uint64_t sum = low_ + low;
  high_ += high + (sum < low_ ? 1 : 0);
  low_ = sum;
}

void ContentDigest::AddRecord(std::string_view record) {
  XXH128_hash_t h = XXH3_128bits(record.data(), record.size());
  AddHash(h.high64, h.low64);
}

void ContentDigest::Add(const ContentDigest& other) {
  AddHash(other.high_, other.low_);
}

std::string ContentDigest::Hex() const {
  return Hex128(high_, low_);
}

Result<ContentDigest> ContentDigest::FromHex(std::string_view hex) {
  if (hex.size() != 32 || hex.find_first_not_of("0123456789abcdef") != std::string_view::npos) {
    return Status::InvalidInput("'" + std::string(hex) + "' is not a 32-digit hex digest");
  }
  ContentDigest d;
  d.high_ = std::stoull(std::string(hex.substr(0, 16)), nullptr, 16);
  d.low_ = std::stoull(std::string(hex.substr(16)), nullptr, 16);
  return d;
}

RecordHasher::RecordHasher() : state_(XXH3_createState()) {
  // Allocation failure here would make every later digest meaningless.
  if (state_ == nullptr) std::abort();
}

RecordHasher::~RecordHasher() {
  XXH3_freeState(state_);
}

void RecordHasher::StartRecord() {
  XXH3_128bits_reset(state_);
}

void RecordHasher::Update(std::string_view piece) {
  XXH3_128bits_update(state_, piece.data(), piece.size());
}

void RecordHasher::FinishRecord(ContentDigest& into) {
  XXH128_hash_t h = XXH3_128bits_digest(state_);
  into.AddHash(h.high64, h.low64);
}

std::string Xxh128Hex(std::string_view data) {
  XXH128_hash_t h = XXH3_128bits(data.data(), data.size());
  return Hex128(h.high64, h.low64);
}

}  // namespace cutover
