// The SQLite database image reader: row counts and content digests of tables
// read straight from a database file's b-trees, without SQL.
//
// A snapshot of an SQLite database can store the file's pages instead of its
// rows (driver.h, "Database images"). What proves such an image right is a
// per-table row count and ContentDigest (base/content_digest.h) computed by
// walking each table's b-tree in the file: the source under the snapshot's
// read lock, a decompressed copy and a restored file give the same values
// when they hold the same rows, whatever else differs. One row is one record:
//   - rowid tables (table b-trees): each leaf cell, hashed as the rowid
//     (8 bytes, little-endian two's complement) followed by the cell's full
//     payload (the SQLite record, local part and overflow chain);
//   - WITHOUT ROWID tables (index b-trees): each cell, interior and leaf,
//     hashed as its payload.
// The file's sqlite_schema (the b-tree on page 1) gives each table's root
// page; names are compared byte for byte (UTF-16 databases are converted to
// UTF-8 first). A virtual table (root page 0) has no rows of its own.
//
// Ownership and resources: the functions open the file themselves, through
// SQLite's default VFS (read-only; one pread per page). Going through the
// VFS matters: closing any descriptor of a file drops every POSIX lock this
// process holds on it, which would silently release the read lock a
// snapshot's connection holds on the same file; SQLite's unix VFS defers that
// close until its connections have unlocked. (A path SQLite cannot name,
// such as /proc/self/fd/N of an unlinked file, is read through a plain
// descriptor: no connection can hold a lock on it by name.)
// Memory is bounded: one page buffer per b-tree level (at most
// kMaxImageDepth), one for overflow pages, and a bitmap of one bit per page
// of the file. Overflow payload is streamed into the hash, never assembled.
//
// Failure: the file is never trusted (it may be tampered with or truncated).
// Every offset is checked against its page, every page number against the
// file, a page reached twice (a cycle, a page shared between b-trees or
// overflow chains) and b-trees deeper than kMaxImageDepth are damage: the
// walk never reads out of bounds, never loops and never crashes. Damage and
// files that are not SQLite databases give kCheckFailed naming the image
// path, the table and the page ("image /x/y.db: table "orders": page 17:
// child page 99999 is beyond the end of the file (1200 pages)"); a file that
// cannot be opened or read gives kIo.
//
// Thread safety: the functions share no state; several may run at once.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "base/status.h"
#include "driver/driver.h"

namespace cutover::sqlite {

// Deeper b-trees are damage. SQLite itself never builds trees deeper than 20.
inline constexpr int kMaxImageDepth = 40;

// Driver::DigestImage: one ImageTableDigest per name of `tables`, in that
// order (a name given twice is walked once and reported twice). A name that
// is not a table of the image's sqlite_schema is kCheckFailed naming it. An
// empty file is an empty database (SQLite treats it so): it has no tables.
Result<std::vector<ImageTableDigest>> DigestSqliteImage(const std::string& path,
                                                        const std::vector<std::string>& tables);

// A rough size, in pages, of the b-tree at each of `roots` in the database
// file at `path`, from the fan-out along one root-to-leaf path: a few page
// reads per b-tree, whatever its size. For ordering work only: 0 for a root
// that cannot be read or looks damaged. kIo when the file cannot be opened,
// kCheckFailed when it is not an SQLite database.
Result<std::vector<std::int64_t>> EstimateSqliteBtreePages(const std::string& path,
                                                           const std::vector<std::int64_t>& roots);

}  // namespace cutover::sqlite
