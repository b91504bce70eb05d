// The SQLite snapshot record: one table row as a self-delimiting, typed
// binary string (what ExportRows emits and ImportRows reads back).
//
// SQLite values carry their own storage class, whatever the column's
// declared type, so the record keeps it exactly: an integer stays an
// integer, the text '1' stays text, a REAL keeps its 64 bits (-0.0
// included), NULL, '' and a zero-length blob stay three different things.
//
// Format 1:
//   record := header cell*
//   header := 0xC1            the cells are the DataTable's columns, in order
//           | 0xC2            one extra INTEGER cell first: the rowid of a rowid
//                             table without an INTEGER PRIMARY KEY alias (kept so
//                             that rowids, which FTS external content and
//                             applications may reference, survive a restore)
//   cell   := 0x00                      NULL
//           | 0x01 varint(zigzag(i64))  INTEGER
//           | 0x02 u64 little-endian    REAL, IEEE 754 bits
//           | 0x03 varint(n) n bytes    TEXT (UTF-8, as stored)
//           | 0x04 varint(n) n bytes    BLOB
//   varint := LEB128, 7 bits per byte, low group first, at most 10 bytes.
// The encoding of a row is a function of its values alone (minimal varints),
// so exporting the same rows again, also from a restored copy, yields the
// same bytes. Header-only and free of SQLite: unit-tested directly.
//
// Decoding never reads past the record: a truncated or corrupt record is a
// RecordError describing what is wrong and where, never a crash.
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>

namespace cutover::sqlite::record {

inline constexpr unsigned char kHeaderColumns = 0xC1;
inline constexpr unsigned char kHeaderRowidAndColumns = 0xC2;

enum class Tag : unsigned char { kNull = 0, kInteger = 1, kReal = 2, kText = 3, kBlob = 4 };

// Builds one record at a time in a reused buffer. Writes go through a raw
// pointer into space reserved up front: the export loop runs once per
// value of the snapshot, so it avoids std::string's per-append checks.
class Writer {
 public:
  void Begin(unsigned char header) {
    n_ = 0;
    *Reserve(1) = static_cast<char>(header);
    n_ = 1;
  }
  void Null() {
    *Reserve(1) = static_cast<char>(Tag::kNull);
    ++n_;
  }
  void Integer(std::int64_t v) {
    char* p = Reserve(11);
    *p = static_cast<char>(Tag::kInteger);
    // Zigzag: small magnitudes of either sign take few bytes.
    const std::uint64_t u = static_cast<std::uint64_t>(v);
    n_ += 1 + PutVarint(p + 1, (u << 1) ^ (v < 0 ? ~std::uint64_t{0} : std::uint64_t{0}));
  }
  void Real(double v) {
    std::uint64_t bits = 0;
    std::memcpy(&bits, &v, sizeof bits);
    char* p = Reserve(9);
    *p = static_cast<char>(Tag::kReal);
    for (int i = 0; i < 8; ++i) p[1 + i] = static_cast<char>((bits >> (8 * i)) & 0xff);
    n_ += 9;
  }
  // kText or kBlob.
  void Bytes(Tag tag, const void* data, std::size_t size) {
    char* p = Reserve(11 + size);
    *p = static_cast<char>(tag);
    const std::size_t len = PutVarint(p + 1, size);
    if (size > 0) std::memcpy(p + 1 + len, data, size);
    n_ += 1 + len + size;
  }
  std::string_view view() const { return std::string_view(buf_.data(), n_); }

 private:
  char* Reserve(std::size_t need) {
    if (n_ + need > buf_.size()) buf_.resize(std::max(buf_.size() * 2, n_ + need + 256));
    return buf_.data() + n_;
  }
  // LEB128; returns the number of bytes written (at most 10).
  static std::size_t PutVarint(char* out, std::uint64_t v) {
    std::size_t n = 0;
    while (v >= 0x80) {
      out[n++] = static_cast<char>((v & 0x7f) | 0x80);
      v >>= 7;
    }
    out[n++] = static_cast<char>(v);
    return n;
  }

  std::string buf_;
  std::size_t n_ = 0;
};

// One decoded cell; `bytes` points into the record.
struct Cell {
  Tag tag = Tag::kNull;
  std::int64_t integer = 0;
  double real = 0;
  std::string_view bytes;
};

// Reads cells from one record in order.
class Reader {
 public:
  explicit Reader(std::string_view record) : data_(record) {}

  // Consumes the header byte. False (with error()) when it is not a format-1
  // header.
  bool ReadHeader(bool* has_rowid) {
    if (pos_ >= data_.size()) return Fail("the record is empty (no header byte)");
    const auto h = static_cast<unsigned char>(data_[pos_]);
    if (h != kHeaderColumns && h != kHeaderRowidAndColumns) {
      return Fail("unknown record header byte 0x" + Hex(h) + " (not a cutover SQLite record, format 1)");
    }
    ++pos_;
    *has_rowid = h == kHeaderRowidAndColumns;
    return true;
  }

  // Reads the next cell; false (with error()) when the record ends early or
  // the cell is malformed. The error does not name the column (building
  // names per value would cost more than decoding): the caller adds it.
  bool Next(Cell* cell) {
    if (pos_ >= data_.size()) return Fail("the record ends before this value (truncated)");
    const auto tag = static_cast<unsigned char>(data_[pos_]);
    const std::size_t at = pos_++;
    switch (tag) {
      case static_cast<unsigned char>(Tag::kNull): cell->tag = Tag::kNull; return true;
      case static_cast<unsigned char>(Tag::kInteger): {
        std::uint64_t u = 0;
        if (!Varint(&u)) return false;
        cell->tag = Tag::kInteger;
        cell->integer = static_cast<std::int64_t>((u >> 1) ^ (~(u & 1) + 1));
        return true;
      }
      case static_cast<unsigned char>(Tag::kReal): {
        if (data_.size() - pos_ < 8) return Fail("the REAL value is truncated");
        std::uint64_t bits = 0;
        for (int i = 0; i < 8; ++i) {
          bits |= static_cast<std::uint64_t>(static_cast<unsigned char>(data_[pos_ + i])) << (8 * i);
        }
        pos_ += 8;
        cell->tag = Tag::kReal;
        std::memcpy(&cell->real, &bits, sizeof bits);
        return true;
      }
      case static_cast<unsigned char>(Tag::kText):
      case static_cast<unsigned char>(Tag::kBlob): {
        std::uint64_t n = 0;
        if (!Varint(&n)) return false;
        if (n > data_.size() - pos_) {
          return Fail("the " + std::string(tag == 3 ? "TEXT" : "BLOB") + " value claims " +
                      std::to_string(n) + " bytes but only " + std::to_string(data_.size() - pos_) +
                      " remain (truncated)");
        }
        cell->tag = static_cast<Tag>(tag);
        cell->bytes = data_.substr(pos_, static_cast<std::size_t>(n));
        pos_ += static_cast<std::size_t>(n);
        return true;
      }
      default: return Fail("unknown cell type 0x" + Hex(tag) + " at byte " + std::to_string(at));
    }
  }

  // True when every byte was consumed; otherwise sets error().
  bool AtEnd() {
    if (pos_ == data_.size()) return true;
    return Fail(std::to_string(data_.size() - pos_) + " unexpected bytes after the last column");
  }

  const std::string& error() const { return error_; }

 private:
  bool Fail(std::string message) {
    error_ = std::move(message);
    return false;
  }

  bool Varint(std::uint64_t* out) {
    std::uint64_t v = 0;
    for (int shift = 0; shift < 70; shift += 7) {
      if (pos_ >= data_.size()) return Fail("a length or integer is truncated");
      const auto byte = static_cast<unsigned char>(data_[pos_++]);
      if (shift == 63 && (byte & 0x7e) != 0) return Fail("an integer overflows 64 bits");
      v |= static_cast<std::uint64_t>(byte & 0x7f) << shift;
      if ((byte & 0x80) == 0) {
        *out = v;
        return true;
      }
    }
    return Fail("a varint is longer than 10 bytes");
  }

  static std::string Hex(unsigned char b) {
    const char* digits = "0123456789abcdef";
    return std::string{digits[b >> 4], digits[b & 15]};
  }

  std::string_view data_;
  std::size_t pos_ = 0;
  std::string error_;
};

}  // namespace cutover::sqlite::record
