// The b-tree walker of sqlite_snapshot_image.h. The file format is that of
// https://www.sqlite.org/fileformat2.html; every value read from the file is
// checked before it is used as an offset, a size or a page number.
#include "sqlite_snapshot_image.h"

#include <fcntl.h>
#include <sqlite3.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/content_digest.h"
#include "base/strings.h"

namespace cutover::sqlite {
namespace {

// SQLite never uses the page holding the lock bytes (at 1 GiB).
constexpr std::uint64_t kPendingByte = 0x40000000;
// How much of one sqlite_schema row is kept for decoding (beyond the longest
// name asked for): more than any real row's header, type and name.
constexpr std::size_t kSchemaRowKeep = std::size_t{1} << 20;

std::uint32_t Get16(const unsigned char* p) {
  return (std::uint32_t{p[0]} << 8) | std::uint32_t{p[1]};
}
std::uint32_t Get32(const unsigned char* p) {
  return (std::uint32_t{p[0]} << 24) | (std::uint32_t{p[1]} << 16) | (std::uint32_t{p[2]} << 8) |
         std::uint32_t{p[3]};
}

// Reads the varint at `p` without touching `end` or beyond. Returns its
// length (1..9), or 0 when it does not end before `end`.
int GetVarint(const unsigned char* p, const unsigned char* end, std::uint64_t* value) {
  std::uint64_t v = 0;
  for (int i = 0; i < 8; ++i) {
    if (p + i >= end) return 0;
    v = (v << 7) | (p[i] & 0x7f);
    if ((p[i] & 0x80) == 0) {
      *value = v;
      return i + 1;
    }
  }
  if (p + 8 >= end) return 0;
  *value = (v << 8) | p[8];
  return 9;
}

std::string Quote(std::string_view name) {
  return "\"" + ReplaceAll(name, "\"", "\"\"") + "\"";
}

std::string Hex2(unsigned value) {
  static const char* digits = "0123456789abcdef";
  return std::string("0x") + digits[(value >> 4) & 15] + digits[value & 15];
}

// UTF-16 text as UTF-8; unpaired surrogates become U+FFFD.
std::string Utf16ToUtf8(std::string_view bytes, bool big_endian) {
  std::string out;
  out.reserve(bytes.size());
  auto unit = [&](std::size_t i) -> std::uint32_t {
    const auto a = static_cast<unsigned char>(bytes[i]);
    const auto b = static_cast<unsigned char>(bytes[i + 1]);
    return big_endian ? (std::uint32_t{a} << 8) | b : (std::uint32_t{b} << 8) | a;
  };
  const std::size_t n = bytes.size() & ~std::size_t{1};
  for (std::size_t i = 0; i < n; i += 2) {
    std::uint32_t c = unit(i);
    if (c >= 0xD800 && c < 0xDC00 && i + 3 < n) {
      const std::uint32_t low = unit(i + 2);
      if (low >= 0xDC00 && low < 0xE000) {
        c = 0x10000 + ((c - 0xD800) << 10) + (low - 0xDC00);
        i += 2;
      } else {
        c = 0xFFFD;
      }
    } else if (c >= 0xD800 && c < 0xE000) {
      c = 0xFFFD;
    }
    if (c < 0x80) {
      out.push_back(static_cast<char>(c));
    } else if (c < 0x800) {
      out.push_back(static_cast<char>(0xC0 | (c >> 6)));
      out.push_back(static_cast<char>(0x80 | (c & 0x3F)));
    } else if (c < 0x10000) {
      out.push_back(static_cast<char>(0xE0 | (c >> 12)));
      out.push_back(static_cast<char>(0x80 | ((c >> 6) & 0x3F)));
      out.push_back(static_cast<char>(0x80 | (c & 0x3F)));
    } else {
      out.push_back(static_cast<char>(0xF0 | (c >> 18)));
      out.push_back(static_cast<char>(0x80 | ((c >> 12) & 0x3F)));
      out.push_back(static_cast<char>(0x80 | ((c >> 6) & 0x3F)));
      out.push_back(static_cast<char>(0x80 | (c & 0x3F)));
    }
  }
  return out;
}

// ---------------------------------------------------------------------------
// The file, opened through SQLite's VFS (see the header for why).
//
// Paths that SQLite cannot name (xFullPathname fails: /proc/self/fd/N of an
// unlinked or O_TMPFILE file, a path longer than the VFS takes) are opened
// with open(2) instead. No connection can have opened such a file by its
// name, so closing that descriptor cannot release a connection's lock.

class ImageFile {
 public:
  ImageFile() = default;
  ~ImageFile() {
    if (file_ != nullptr) {
      if (file_->pMethods != nullptr) file_->pMethods->xClose(file_);
      sqlite3_free(file_);
    }
    if (name_ != nullptr) sqlite3_free_filename(name_);
    if (fd_ >= 0) ::close(fd_);
  }
  ImageFile(const ImageFile&) = delete;
  ImageFile& operator=(const ImageFile&) = delete;

  Status Open(const std::string& path) {
    path_ = path;
    struct stat st {};
    if (::stat(path.c_str(), &st) != 0) {
      const int err = errno;
      return Status::Io("cannot read image '" + path + "': " + std::strerror(err) +
                        (err == ENOENT ? "; check the path" : ""));
    }
    if (!S_ISREG(st.st_mode)) {
      return Status::Io("cannot read image '" + path + "': it is not a regular file");
    }
    sqlite3_vfs* vfs = sqlite3_vfs_find(nullptr);
    if (vfs == nullptr) return Status::Internal("cannot read image '" + path + "': SQLite has no VFS");
    // The name SQLite itself would open (absolute, symbolic links resolved:
    // the unix VFS opens with O_NOFOLLOW).
    std::vector<char> full(static_cast<std::size_t>(vfs->mxPathname) + 1, '\0');
    if (vfs->xFullPathname(vfs, path.c_str(), vfs->mxPathname + 1, full.data()) != SQLITE_OK) {
      return OpenDescriptor();
    }
    name_ = sqlite3_create_filename(full.data(), "", "", 0, nullptr);
    file_ = static_cast<sqlite3_file*>(sqlite3_malloc64(static_cast<sqlite3_uint64>(vfs->szOsFile)));
    if (name_ == nullptr || file_ == nullptr) {
      return Status::Internal("cannot read image '" + path + "': out of memory");
    }
    std::memset(static_cast<void*>(file_), 0, static_cast<std::size_t>(vfs->szOsFile));
    int out_flags = 0;
    const int rc = vfs->xOpen(vfs, name_, file_, SQLITE_OPEN_READONLY | SQLITE_OPEN_MAIN_DB, &out_flags);
    if (rc != SQLITE_OK) {
      const std::string why =
          ::access(path.c_str(), R_OK) != 0 ? std::string(std::strerror(errno)) : sqlite3_errstr(rc);
      return Status::Io("cannot open image '" + path + "' for reading: " + why);
    }
    sqlite3_int64 size = 0;
    if (file_->pMethods->xFileSize(file_, &size) != SQLITE_OK || size < 0) {
      return Status::Io("cannot read the size of image '" + path + "'");
    }
    size_ = static_cast<std::uint64_t>(size);
    return Status::Ok();
  }

  std::uint64_t size() const { return size_; }

  Status Read(unsigned char* buf, std::uint32_t n, std::uint64_t offset) const {
    if (file_ == nullptr) return ReadDescriptor(buf, n, offset);
    const int rc =
        file_->pMethods->xRead(file_, buf, static_cast<int>(n), static_cast<sqlite3_int64>(offset));
    if (rc == SQLITE_OK) return Status::Ok();
    if (rc == SQLITE_IOERR_SHORT_READ) return ShortRead(n, offset);
    return Status::Io("cannot read image '" + path_ + "': read error at offset " + std::to_string(offset) +
                      " (" + sqlite3_errstr(rc) + ")");
  }

 private:
  Status OpenDescriptor() {
    fd_ = ::open(path_.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd_ < 0) return Status::Io("cannot open image '" + path_ + "' for reading: " + std::strerror(errno));
    struct stat st {};
    if (::fstat(fd_, &st) != 0 || st.st_size < 0) {
      return Status::Io("cannot read the size of image '" + path_ + "': " + std::strerror(errno));
    }
    size_ = static_cast<std::uint64_t>(st.st_size);
    return Status::Ok();
  }

  Status ReadDescriptor(unsigned char* buf, std::uint32_t n, std::uint64_t offset) const {
    std::uint32_t done = 0;
    while (done < n) {
      const ssize_t got = ::pread(fd_, buf + done, n - done, static_cast<off_t>(offset + done));
      if (got < 0 && errno == EINTR) continue;
      if (got < 0) {
        return Status::Io("cannot read image '" + path_ + "': read error at offset " +
                          std::to_string(offset + done) + " (" + std::strerror(errno) + ")");
      }
      if (got == 0) return ShortRead(n, offset);
      done += static_cast<std::uint32_t>(got);
    }
    return Status::Ok();
  }

  Status ShortRead(std::uint32_t n, std::uint64_t offset) const {
    return Status::Io("cannot read image '" + path_ + "': " + std::to_string(n) + " bytes at offset " +
                      std::to_string(offset) + " are past the end of the file (it shrank while being read)");
  }

  std::string path_;
  sqlite3_filename name_ = nullptr;
  sqlite3_file* file_ = nullptr;  // the VFS's file, or
  int fd_ = -1;                   // a plain descriptor (see above)
  std::uint64_t size_ = 0;
};

// What the 100-byte header says, checked.
struct Geometry {
  std::uint32_t page_size = 0;
  std::uint32_t usable = 0;      // page_size minus the reserved bytes
  std::uint32_t page_count = 0;  // pages b-trees may use; 0 for an empty file
  std::uint64_t file_pages = 0;
  std::uint32_t lock_byte_page = 0;
  int encoding = 1;  // 1 UTF-8, 2 UTF-16le, 3 UTF-16be
};

Result<Geometry> ReadGeometry(const ImageFile& file, const std::string& label) {
  Geometry g;
  if (file.size() == 0) return g;  // an empty file is an empty database
  auto not_db = [&](const std::string& why) {
    return Status::CheckFailed(label + ": not an SQLite database image: " + why);
  };
  if (file.size() < 100) {
    return not_db("the file is only " + std::to_string(file.size()) +
                  " bytes, less than the 100-byte header");
  }
  unsigned char h[100];
  CUTOVER_RETURN_IF_ERROR(file.Read(h, sizeof h, 0));
  if (std::memcmp(h, "SQLite format 3", 16) != 0) return not_db("it does not start with 'SQLite format 3'");
  const std::uint32_t raw_size = Get16(h + 16);
  const std::uint32_t page_size = raw_size == 1 ? 65536 : raw_size;
  if (page_size < 512 || page_size > 65536 || (page_size & (page_size - 1)) != 0) {
    return not_db("header: page size " + std::to_string(raw_size) +
                  " is not a power of two between 512 and 65536");
  }
  if (h[18] < 1 || h[18] > 2 || h[19] < 1 || h[19] > 2) {
    return not_db("header: file format versions " + std::to_string(h[18]) + "/" + std::to_string(h[19]) +
                  " are not 1 (rollback journal) or 2 (WAL)");
  }
  g.page_size = page_size;
  g.usable = page_size - h[20];
  if (g.usable < 480) {
    return not_db("header: " + std::to_string(h[20]) + " reserved bytes per page leave " +
                  std::to_string(g.usable) + " usable bytes of a " + std::to_string(page_size) +
                  "-byte page (at least 480 are needed)");
  }
  if (h[21] != 64 || h[22] != 32 || h[23] != 32) {
    return not_db("header: payload fractions " + std::to_string(h[21]) + "/" + std::to_string(h[22]) + "/" +
                  std::to_string(h[23]) + " are not 64/32/32");
  }
  if (file.size() % page_size != 0) {
    return Status::CheckFailed(label + ": the file's size of " + std::to_string(file.size()) +
                               " bytes is not a multiple of its page size (" + std::to_string(page_size) +
                               " bytes): the image is truncated or damaged");
  }
  g.file_pages = file.size() / page_size;
  if (g.file_pages > 0xFFFFFFFEu) {
    return not_db("the file holds " + std::to_string(g.file_pages) +
                  " pages, more than an SQLite database can address");
  }
  g.page_count = static_cast<std::uint32_t>(g.file_pages);
  // The header's own size is authoritative when it is valid (written by
  // SQLite 3.7.0 or later, change counter matching).
  const std::uint32_t header_pages = Get32(h + 28);
  if (header_pages != 0 && Get32(h + 24) == Get32(h + 92)) {
    if (header_pages > g.file_pages) {
      return Status::CheckFailed(label + ": the header says the database has " +
                                 std::to_string(header_pages) + " pages but the file holds " +
                                 std::to_string(g.file_pages) + ": the image is truncated");
    }
    g.page_count = header_pages;
  }
  const std::uint32_t encoding = Get32(h + 56);
  if (encoding > 3) return not_db("header: unknown text encoding " + std::to_string(encoding));
  g.encoding = encoding == 0 ? 1 : static_cast<int>(encoding);
  g.lock_byte_page = static_cast<std::uint32_t>(kPendingByte / page_size + 1);
  return g;
}

// ---------------------------------------------------------------------------
// Rows found by the walk.

class RowSink {
 public:
  virtual ~RowSink() = default;
  // A row whose payload is all on its page. `key` is the 8-byte rowid for
  // table b-trees, empty for index b-trees. Returns what is wrong with the
  // row, empty when nothing is.
  virtual std::string Whole(std::string_view key, std::string_view payload) = 0;
  // A row in pieces: Begin, then Piece()s adding up to `payload_size`, End.
  virtual void Begin(std::string_view key, std::uint64_t payload_size) = 0;
  virtual void Piece(std::string_view piece) = 0;
  virtual std::string End() = 0;
};

// A table's rows into its count and ContentDigest.
class DigestSink final : public RowSink {
 public:
  explicit DigestSink(std::uint32_t page_size) : scratch_(std::size_t{page_size} + 8) {}

  std::string Whole(std::string_view key, std::string_view payload) override {
    ++rows;
    if (key.empty()) {
      digest.AddRecord(payload);
    } else {
      // One-shot hashing of a contiguous record is much cheaper than the
      // streaming state; the local payload always fits the scratch buffer.
      std::memcpy(scratch_.data(), key.data(), key.size());
      std::memcpy(scratch_.data() + key.size(), payload.data(), payload.size());
      digest.AddRecord(std::string_view(scratch_.data(), key.size() + payload.size()));
    }
    return std::string();
  }
  void Begin(std::string_view key, std::uint64_t) override {
    hasher_.StartRecord();
    if (!key.empty()) hasher_.Update(key);
  }
  void Piece(std::string_view piece) override { hasher_.Update(piece); }
  std::string End() override {
    hasher_.FinishRecord(digest);
    ++rows;
    return std::string();
  }

  ContentDigest digest;
  std::int64_t rows = 0;

 private:
  RecordHasher hasher_;
  std::vector<char> scratch_;
};

// One column of a record: its serial type and where its bytes are.
struct Column {
  std::uint64_t type = 0;
  std::uint64_t offset = 0;
  std::uint64_t size = 0;
};

// Decodes the header of a record of `total` bytes of which `rec` holds the
// first ones, up to `max_columns` columns. Returns the problem, empty when
// none.
std::string DecodeRecordHeader(std::string_view rec, std::uint64_t total, std::size_t max_columns,
                               std::vector<Column>* cols) {
  const auto* p = reinterpret_cast<const unsigned char*>(rec.data());
  std::uint64_t header_size = 0;
  const int n = GetVarint(p, p + rec.size(), &header_size);
  if (n == 0) return "its record header is cut off";
  if (header_size < static_cast<std::uint64_t>(n) || header_size > total) {
    return "its record header size " + std::to_string(header_size) + " is outside the record (" +
           std::to_string(total) + " bytes)";
  }
  if (header_size > rec.size()) {
    return "its record header of " + std::to_string(header_size) + " bytes is too large to read";
  }
  const unsigned char* end = p + header_size;
  const unsigned char* q = p + n;
  std::uint64_t offset = header_size;
  while (q < end && cols->size() < max_columns) {
    std::uint64_t type = 0;
    const int m = GetVarint(q, end, &type);
    if (m == 0) return "a serial type in its record header runs past the header";
    q += m;
    std::uint64_t size = 0;
    switch (type) {
      case 0:
      case 8:
      case 9: size = 0; break;
      case 1:
      case 2:
      case 3:
      case 4: size = type; break;
      case 5: size = 6; break;
      case 6:
      case 7: size = 8; break;
      case 10:
      case 11:
        return "column " + std::to_string(cols->size()) + " has the reserved serial type " +
               std::to_string(type);
      default: size = (type - 12) / 2;
    }
    if (size > total - offset) {
      return "column " + std::to_string(cols->size()) + " (" + std::to_string(size) +
             " bytes) runs past the end of the record (" + std::to_string(total) + " bytes)";
    }
    cols->push_back({type, offset, size});
    offset += size;
  }
  return std::string();
}

// The tables of sqlite_schema whose names were asked for.
class SchemaSink final : public RowSink {
 public:
  struct Entry {
    std::int64_t root = 0;
    bool virtual_table = false;
  };

  SchemaSink(const std::map<std::string, std::size_t>& wanted, int encoding)
      : wanted_(wanted), encoding_(encoding) {
    for (const auto& [name, index] : wanted) longest_ = std::max(longest_, name.size());
    keep_ = kSchemaRowKeep + 4 * longest_;
  }

  std::string Whole(std::string_view, std::string_view payload) override {
    return Row(payload, payload.size());
  }
  void Begin(std::string_view, std::uint64_t payload_size) override {
    buf_.clear();
    total_ = payload_size;
  }
  void Piece(std::string_view piece) override {
    if (buf_.size() < keep_) buf_.append(piece.substr(0, keep_ - buf_.size()));
  }
  std::string End() override { return Row(buf_, total_); }

  std::map<std::string, Entry> found;

 private:
  // A text column's bytes as UTF-8.
  std::string Text(std::string_view bytes) const {
    return encoding_ == 1 ? std::string(bytes) : Utf16ToUtf8(bytes, encoding_ == 3);
  }
  static bool IsText(const Column& c) { return c.type >= 13 && (c.type & 1) == 1; }

  std::string Row(std::string_view rec, std::uint64_t total) {
    std::vector<Column> cols;
    std::string problem = DecodeRecordHeader(rec, total, 5, &cols);
    if (!problem.empty()) return "sqlite_schema row: " + problem;
    if (cols.size() < 4) return "a sqlite_schema row has " + std::to_string(cols.size()) + " columns, not 5";
    const std::size_t unit = encoding_ == 1 ? 1 : 2;
    // type = 'table'?
    if (!IsText(cols[0]) || cols[0].size != 5 * unit) return std::string();
    if (cols[0].offset + cols[0].size > rec.size()) return "a sqlite_schema row is too large to read";
    if (Text(rec.substr(cols[0].offset, cols[0].size)) != "table") return std::string();
    // A name asked for? Names longer than the longest one asked for (in any
    // encoding) cannot be.
    if (!IsText(cols[1]) || cols[1].size > 2 * longest_) return std::string();
    if (cols[1].offset + cols[1].size > rec.size()) return "a sqlite_schema row is too large to read";
    const std::string name = Text(rec.substr(cols[1].offset, cols[1].size));
    if (wanted_.count(name) == 0) return std::string();
    const std::string label = "the sqlite_schema row of table " + Quote(name);
    const Column& root = cols[3];
    if (root.offset + root.size > rec.size()) return label + " is too large to read";
    std::int64_t page = 0;
    if (root.type == 8 || root.type == 9) {
      page = root.type == 8 ? 0 : 1;
    } else if (root.type >= 1 && root.type <= 6) {
      const auto* p = reinterpret_cast<const unsigned char*>(rec.data()) + root.offset;
      std::uint64_t v = (p[0] & 0x80) != 0 ? ~std::uint64_t{0} : 0;  // sign extension
      for (std::uint64_t i = 0; i < root.size; ++i) v = (v << 8) | p[i];
      page = static_cast<std::int64_t>(v);
    } else {
      return label + " has a rootpage that is not an integer (serial type " + std::to_string(root.type) + ")";
    }
    if (page < 0 || page > 0xFFFFFFFFll) {
      return label + " has the impossible root page " + std::to_string(page);
    }
    Entry entry;
    entry.root = page;
    if (page == 0) {
      // Only virtual tables have no b-tree of their own.
      std::string sql;
      if (cols.size() >= 5 && IsText(cols[4]) && cols[4].offset < rec.size()) {
        const std::uint64_t avail = std::min<std::uint64_t>(cols[4].size, rec.size() - cols[4].offset);
        sql = Text(rec.substr(cols[4].offset, std::min<std::uint64_t>(avail, 64 * unit)));
      }
      const std::string_view head = Trim(sql);
      if (!StartsWith(ToLower(head.substr(0, 14)), "create virtual")) {
        return label + " has root page 0, but it is not a virtual table";
      }
      entry.virtual_table = true;
    }
    if (!found.emplace(name, entry).second) return "sqlite_schema lists table " + Quote(name) + " twice";
    return std::string();
  }

  const std::map<std::string, std::size_t>& wanted_;
  int encoding_;
  std::size_t longest_ = 0;
  std::size_t keep_ = 0;
  std::string buf_;
  std::uint64_t total_ = 0;
};

// ---------------------------------------------------------------------------
// The walk.

class Walker {
 public:
  Walker(const ImageFile& file, const Geometry& g, std::string label)
      : file_(file),
        g_(g),
        label_(std::move(label)),
        seen_((std::size_t{g.page_count} + 64) / 64, 0),
        levels_(kMaxImageDepth),
        overflow_(new unsigned char[g.page_size]) {}

  // Walks the b-tree rooted at `root`, giving every row to `sink`. `what`
  // names it in messages ("table \"orders\""). `table_only`: it must be a
  // table (rowid) b-tree.
  Status Walk(std::int64_t root, const std::string& what, bool table_only, RowSink& sink) {
    what_ = &what;
    sink_ = &sink;
    table_only_ = table_only;
    leaf_depth_ = -1;
    std::string problem = Claim(root, "root page");
    if (!problem.empty()) return Status::CheckFailed(label_ + ": " + what + ": " + problem);
    return WalkPage(static_cast<std::uint32_t>(root), 0);
  }

 private:
  Status Damage(std::uint32_t page, const std::string& problem) const {
    return Status::CheckFailed(label_ + ": " + *what_ + ": page " + std::to_string(page) + ": " + problem);
  }

  // Marks page `n` as used; returns the problem when it may not be used.
  std::string Claim(std::int64_t n, const char* role) {
    if (n < 1) return std::string(role) + " number " + std::to_string(n) + " is not a page";
    if (n > g_.page_count) {
      return std::string(role) + " " + std::to_string(n) + " is beyond the end of " +
             (g_.page_count == g_.file_pages ? "the file" : "the database size in the header") + " (" +
             std::to_string(g_.page_count) + " pages)";
    }
    const auto page = static_cast<std::uint32_t>(n);
    if (page == g_.lock_byte_page) {
      return std::string(role) + " " + std::to_string(n) + " is the lock-byte page, which SQLite never uses";
    }
    std::uint64_t& word = seen_[page / 64];
    const std::uint64_t bit = std::uint64_t{1} << (page % 64);
    if ((word & bit) != 0) {
      return std::string(role) + " " + std::to_string(n) +
             " is reached a second time (a cycle, or a page used twice)";
    }
    word |= bit;
    return std::string();
  }

  Status ReadPage(std::uint32_t page, unsigned char* buf) const {
    return file_.Read(buf, g_.page_size, std::uint64_t{page - 1} * g_.page_size);
  }

  Status WalkPage(std::uint32_t pgno, int depth) {
    if (depth >= kMaxImageDepth) {
      return Damage(pgno, "the b-tree is more than " + std::to_string(kMaxImageDepth) +
                              " levels deep here; SQLite never builds such trees");
    }
    std::unique_ptr<unsigned char[]>& level = levels_[static_cast<std::size_t>(depth)];
    if (!level) level.reset(new unsigned char[g_.page_size]);
    unsigned char* page = level.get();
    CUTOVER_RETURN_IF_ERROR(ReadPage(pgno, page));
    const std::uint32_t usable = g_.usable;
    const unsigned char* end = page + usable;
    const std::uint32_t hdr = pgno == 1 ? 100 : 0;
    const unsigned type = page[hdr];
    bool interior = false;
    bool index = false;
    switch (type) {
      case 0x02:
        interior = true;
        index = true;
        break;
      case 0x05: interior = true; break;
      case 0x0A: index = true; break;
      case 0x0D: break;
      default: return Damage(pgno, "unexpected page type " + Hex2(type) + " (not a b-tree page)");
    }
    if (depth == 0) {
      if (index && table_only_) {
        return Damage(pgno,
                      "page type " + Hex2(type) + " is an index b-tree page; a table b-tree was expected");
      }
      index_ = index;
    } else if (index != index_) {
      return Damage(pgno, "page type " + Hex2(type) + " is a" + (index ? "n index" : " table") +
                              " b-tree page inside a" + (index_ ? "n index" : " table") + " b-tree");
    }
    if (!interior) {
      if (leaf_depth_ < 0) {
        leaf_depth_ = depth;
      } else if (leaf_depth_ != depth) {
        return Damage(pgno, "a leaf at level " + std::to_string(depth) +
                                " of the b-tree, but other leaves are at level " +
                                std::to_string(leaf_depth_) + " (the tree is not balanced)");
      }
    }
    const std::uint32_t ncell = Get16(page + hdr + 3);
    const std::uint32_t pointers = hdr + (interior ? 12 : 8);
    const std::uint32_t content = pointers + 2 * ncell;
    if (content > usable) {
      return Damage(pgno, std::to_string(ncell) + " cells do not fit on a page of " + std::to_string(usable) +
                              " usable bytes");
    }
    const std::uint64_t max_local =
        index ? ((usable - 12) * 64 / 255) - 23 : std::uint64_t{usable} - 35;  // X of the file format
    const std::uint64_t min_local = ((usable - 12) * 32 / 255) - 23;           // M
    for (std::uint32_t i = 0; i < ncell; ++i) {
      const std::uint32_t off = Get16(page + pointers + 2 * std::size_t{i});
      if (off < content || off >= usable) {
        return Damage(pgno, "cell " + std::to_string(i) + ": offset " + std::to_string(off) +
                                " is outside the cell content area (" + std::to_string(content) + ".." +
                                std::to_string(usable) + ")");
      }
      const unsigned char* c = page + off;
      if (interior) {
        if (off + 4 > usable) {
          return Damage(pgno, "cell " + std::to_string(i) + " runs past the end of the page");
        }
        const std::uint32_t child = Get32(c);
        std::string problem = Claim(child, "child page");
        if (!problem.empty()) return Damage(pgno, "cell " + std::to_string(i) + ": " + problem);
        CUTOVER_RETURN_IF_ERROR(WalkPage(child, depth + 1));
        c += 4;
        if (!index) {  // a table interior cell: the child's key, nothing to hash
          std::uint64_t key = 0;
          if (GetVarint(c, end, &key) == 0) {
            return Damage(pgno, "cell " + std::to_string(i) + ": its key runs past the end of the page");
          }
          continue;
        }
      }
      std::uint64_t payload_size = 0;
      int n = GetVarint(c, end, &payload_size);
      if (n == 0) {
        return Damage(pgno, "cell " + std::to_string(i) + ": its size runs past the end of the page");
      }
      c += n;
      unsigned char key[8];
      std::string_view key_view;
      if (!index) {
        std::uint64_t rowid = 0;
        n = GetVarint(c, end, &rowid);
        if (n == 0) {
          return Damage(pgno, "cell " + std::to_string(i) + ": its rowid runs past the end of the page");
        }
        c += n;
        for (int b = 0; b < 8; ++b) key[b] = static_cast<unsigned char>(rowid >> (8 * b));
        key_view = std::string_view(reinterpret_cast<const char*>(key), 8);
      }
      CUTOVER_RETURN_IF_ERROR(Payload(pgno, i, c, end, payload_size, max_local, min_local, key_view));
    }
    if (interior) {
      const std::uint32_t right = Get32(page + hdr + 8);
      std::string problem = Claim(right, "right-most child page");
      if (!problem.empty()) return Damage(pgno, problem);
      CUTOVER_RETURN_IF_ERROR(WalkPage(right, depth + 1));
    }
    return Status::Ok();
  }

  // One row: `size` payload bytes starting at `p` on page `pgno` (ending
  // before `end`), continued on overflow pages when they do not fit.
  Status Payload(std::uint32_t pgno, std::uint32_t cell, const unsigned char* p, const unsigned char* end,
                 std::uint64_t size, std::uint64_t max_local, std::uint64_t min_local, std::string_view key) {
    // Built only for a message: this runs once per row.
    auto at = [cell] { return "cell " + std::to_string(cell); };
    const auto room = static_cast<std::uint64_t>(end - p);
    if (size <= max_local) {
      if (size > room) {
        return Damage(
            pgno, at() + ": its payload of " + std::to_string(size) + " bytes runs past the end of the page");
      }
      std::string problem = sink_->Whole(key, std::string_view(reinterpret_cast<const char*>(p), size));
      if (!problem.empty()) return Damage(pgno, at() + ": " + problem);
      return Status::Ok();
    }
    const std::uint64_t per_page = g_.usable - 4;
    const std::uint64_t k = min_local + (size - min_local) % per_page;
    const std::uint64_t local = k <= max_local ? k : min_local;
    if (local + 4 > room) {
      return Damage(pgno, at() + ": its local payload of " + std::to_string(local) +
                              " bytes and overflow page number run past the end of the page");
    }
    std::uint64_t left = size - local;
    if ((left + per_page - 1) / per_page > g_.page_count) {
      return Damage(pgno,
                    at() + ": its payload of " + std::to_string(size) + " bytes is larger than the file");
    }
    sink_->Begin(key, size);
    sink_->Piece(std::string_view(reinterpret_cast<const char*>(p), local));
    std::uint32_t next = Get32(p + local);
    std::uint32_t count = 0;
    while (left > 0) {
      if (next == 0) {
        return Damage(pgno, at() + ": its overflow chain ends after " + std::to_string(count) +
                                " pages with " + std::to_string(left) + " of its " + std::to_string(size) +
                                " payload bytes missing");
      }
      std::string problem = Claim(next, "overflow page");
      if (!problem.empty()) {
        return Damage(pgno,
                      at() + ": overflow page " + std::to_string(count + 1) + " of its chain: " + problem);
      }
      CUTOVER_RETURN_IF_ERROR(ReadPage(next, overflow_.get()));
      const std::uint64_t take = std::min(left, per_page);
      sink_->Piece(std::string_view(reinterpret_cast<const char*>(overflow_.get()) + 4, take));
      left -= take;
      ++count;
      next = Get32(overflow_.get());
    }
    if (next != 0) {
      return Damage(pgno, at() + ": its overflow chain continues to page " + std::to_string(next) +
                              " after all " + std::to_string(size) + " payload bytes (" +
                              std::to_string(count) + " pages)");
    }
    std::string problem = sink_->End();
    if (!problem.empty()) return Damage(pgno, at() + ": " + problem);
    return Status::Ok();
  }

  const ImageFile& file_;
  const Geometry g_;
  const std::string label_;
  std::vector<std::uint64_t> seen_;  // one bit per page: claimed by a b-tree or an overflow chain
  std::vector<std::unique_ptr<unsigned char[]>> levels_;  // a page buffer per depth, allocated when reached
  std::unique_ptr<unsigned char[]> overflow_;
  // The walk under way.
  const std::string* what_ = nullptr;
  RowSink* sink_ = nullptr;
  bool table_only_ = false;
  bool index_ = false;
  int leaf_depth_ = -1;
};

}  // namespace

Result<std::vector<ImageTableDigest>> DigestSqliteImage(const std::string& path,
                                                        const std::vector<std::string>& tables) {
  const std::string label = "image " + path;
  ImageFile file;
  CUTOVER_RETURN_IF_ERROR(file.Open(path));
  auto geometry = ReadGeometry(file, label);
  if (!geometry.ok()) return geometry.status();

  std::map<std::string, std::size_t> wanted;  // name -> first position in `tables`
  for (std::size_t i = 0; i < tables.size(); ++i) wanted.emplace(tables[i], i);

  SchemaSink schema(wanted, geometry->encoding);
  std::optional<Walker> walker;
  if (geometry->page_count > 0) {
    walker.emplace(file, *geometry, label);
    CUTOVER_RETURN_IF_ERROR(walker->Walk(1, "sqlite_schema", /*table_only=*/true, schema));
  }
  std::vector<std::string> missing;  // in the order asked, once each
  for (std::size_t i = 0; i < tables.size(); ++i) {
    if (schema.found.count(tables[i]) == 0 && wanted.at(tables[i]) == i) missing.push_back(Quote(tables[i]));
  }
  if (!missing.empty()) {
    return Status::CheckFailed(label + ": " + (missing.size() == 1 ? "table " : "tables ") +
                               Join(missing, ", ") + (missing.size() == 1 ? " is" : " are") +
                               " not in the image: its sqlite_schema has no table of that name (names are "
                               "compared exactly)");
  }

  std::map<std::string, ImageTableDigest> done;
  std::vector<ImageTableDigest> out;
  out.reserve(tables.size());
  for (const std::string& name : tables) {
    auto it = done.find(name);
    if (it == done.end()) {
      const SchemaSink::Entry& entry = schema.found.at(name);
      ImageTableDigest d;
      d.table = name;
      if (entry.virtual_table) {
        d.digest = ContentDigest().Hex();
      } else {
        DigestSink sink(geometry->page_size);
        CUTOVER_RETURN_IF_ERROR(walker->Walk(entry.root, "table " + Quote(name), /*table_only=*/false, sink));
        d.rows = sink.rows;
        d.digest = sink.digest.Hex();
      }
      it = done.emplace(name, std::move(d)).first;
    }
    out.push_back(it->second);
  }
  return out;
}

Result<std::vector<std::int64_t>> EstimateSqliteBtreePages(const std::string& path,
                                                           const std::vector<std::int64_t>& roots) {
  ImageFile file;
  CUTOVER_RETURN_IF_ERROR(file.Open(path));
  auto geometry = ReadGeometry(file, "image " + path);
  if (!geometry.ok()) return geometry.status();
  const Geometry& g = *geometry;
  std::vector<std::int64_t> out(roots.size(), 0);
  std::unique_ptr<unsigned char[]> page(new unsigned char[std::max<std::uint32_t>(g.page_size, 1)]);
  for (std::size_t r = 0; r < roots.size(); ++r) {
    std::int64_t pgno = roots[r];
    std::int64_t pages = 0;  // of the levels seen so far
    std::int64_t width = 1;  // estimated pages on the current level
    for (int depth = 0; depth < kMaxImageDepth; ++depth) {
      if (pgno < 1 || pgno > g.page_count ||
          !file.Read(page.get(), g.page_size, static_cast<std::uint64_t>(pgno - 1) * g.page_size).ok()) {
        pages = 0;
        break;
      }
      const std::uint32_t hdr = pgno == 1 ? 100 : 0;
      const unsigned type = page[hdr];
      pages += width;
      if (type == 0x0A || type == 0x0D) break;  // a leaf: the last level
      if (type != 0x02 && type != 0x05) {
        pages = 0;
        break;
      }
      // Descend through the middle child: the tree's fan-out there is
      // typical, where the edges may be half full.
      const std::uint32_t ncell = Get16(page.get() + hdr + 3);
      if (hdr + 12 + 2 * ncell > g.usable) {
        pages = 0;
        break;
      }
      width = std::min<std::int64_t>(width * (ncell + 1), g.page_count);
      const std::uint32_t middle = ncell / 2;
      if (middle < ncell) {
        const std::uint32_t off = Get16(page.get() + hdr + 12 + 2 * std::size_t{middle});
        if (off + 4 > g.usable) {
          pages = 0;
          break;
        }
        pgno = Get32(page.get() + off);
      } else {
        pgno = Get32(page.get() + hdr + 8);
      }
    }
    out[r] = std::min<std::int64_t>(pages, g.page_count);
  }
  return out;
}

}  // namespace cutover::sqlite
