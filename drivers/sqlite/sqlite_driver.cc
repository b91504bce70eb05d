// The SQLite driver plugin: cutover's embedded default engine.
//
// URIs: sqlite:///absolute/path.db or sqlite:relative/path.db, with optional
// parameters busy_timeout=<ms> (default 5000: how long a statement waits for
// another connection's lock) and mode=ro|rw. Connecting never creates a file.
// The scratch "server" is a directory: scratch databases are <dir>/<name>.db.
#include <fcntl.h>
#include <linux/fs.h>
#include <sys/file.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <cctype>
#include <cerrno>
#include <charconv>
#include <chrono>
#include <cmath>
#include <cstring>
#include <exception>
#include <filesystem>
#include <functional>
#include <limits>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "base/strings.h"
#include "base/uri.h"
#include "driver/driver.h"
#include "sqlite_ddl_parse.h"
#include "sqlite_internal.h"

namespace cutover::sqlite {
namespace {

constexpr const char* kDriverName = "sqlite";

Result<int> ParseMillis(const std::string& key, const std::string& value) {
  int ms = 0;
  auto [p, ec] = std::from_chars(value.data(), value.data() + value.size(), ms);
  if (ec != std::errc() || p != value.data() + value.size() || ms < 0) {
    return Status::InvalidInput("sqlite URI parameter " + key + "='" + value +
                                "' is not a number of milliseconds (0 or more)");
  }
  return ms;
}

// ---------------------------------------------------------------------------

Status ValidateScratchName(std::string_view name) {
  if (name.empty() || name.find('/') != std::string_view::npos || name.find('\0') != std::string_view::npos ||
      name.front() == '.') {
    return Status::InvalidInput("invalid SQLite scratch database name '" + std::string(name) +
                                "': it must be a plain file name (no '/', not starting with '.')");
  }
  return Status::Ok();
}

std::string ScratchPath(const ConnectionUri& server, std::string_view name) {
  std::string dir = server.path();
  while (dir.size() > 1 && dir.back() == '/') dir.pop_back();
  return dir + "/" + std::string(name) + ".db";
}

std::string ErrnoText(int err) {
  return std::strerror(err);
}

// Copies all of `in` to `out` (both at offset 0): a reflink where the file
// system shares blocks (btrfs, XFS), else copy_file_range, else read/write.
// Returns errno on failure, 0 on success.
int CopyFileContents(int in, int out) {
  if (::ioctl(out, FICLONE, in) == 0) return 0;
  bool kernel_copy = true;
  while (true) {
    ssize_t n = kernel_copy ? ::copy_file_range(in, nullptr, out, nullptr, 1 << 30, 0) : 0;
    if (n < 0 && (errno == EXDEV || errno == ENOSYS || errno == EOPNOTSUPP || errno == EINVAL)) {
      kernel_copy = false;
      continue;
    }
    if (!kernel_copy) {
      std::array<char, 1 << 16> buf;
      n = ::read(in, buf.data(), buf.size());
      for (ssize_t done = 0; n > 0 && done < n;) {
        const ssize_t w = ::write(out, buf.data() + done, static_cast<size_t>(n - done));
        if (w < 0 && errno != EINTR) return errno;
        if (w > 0) done += w;
      }
    }
    if (n == 0) return ::fsync(out) == 0 ? 0 : errno;
    if (n < 0 && errno != EINTR) return errno;
  }
}

}  // namespace

Driver* MakeSqliteDriver() {
  try {
    return new SqliteDriver();
  } catch (...) {
    return nullptr;
  }
}

SqliteDriver::SqliteDriver() {
  info_.name = kDriverName;
  info_.schemes = {"sqlite"};
  info_.driver_version = CUTOVER_VERSION;
  info_.client_library = std::string("SQLite ") + sqlite3_libversion();
  info_.lock_waits_polled_by_client = true;  // the busy handler sleeps between retries
  info_.clones_databases = true;             // a file copy (sqlite_driver.cc, CloneDatabase)
}

Result<std::unique_ptr<Connection>> SqliteDriver::Connect(const ConnectionUri& uri) {
  return Guarded(uri.Redacted(), [&]() -> Result<std::unique_ptr<Connection>> { return DoConnect(uri); });
}

Result<ConnectionUri> SqliteDriver::CreateDatabase(const ConnectionUri& server, std::string_view name) {
  return Guarded(server.Redacted(), [&]() -> Result<ConnectionUri> {
    CUTOVER_RETURN_IF_ERROR(ValidateScratchName(name));
    const std::string dir = server.path();
    struct stat st {};
    if (::stat(dir.c_str(), &st) == 0) {
      if (!S_ISDIR(st.st_mode)) {
        return Status::InvalidInput("SQLite scratch location '" + dir +
                                    "' is not a directory: the scratch server of SQLite is a directory");
      }
    } else {
      std::error_code ec;
      std::filesystem::create_directories(dir, ec);
      if (ec || ::chmod(dir.c_str(), 0700) != 0) {
        return Status::Io("cannot create the SQLite scratch directory '" + dir +
                          "': " + (ec ? ec.message() : ErrnoText(errno)));
      }
    }
    const std::string path = ScratchPath(server, name);
    int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    if (fd < 0) {
      int err = errno;
      if (err == EEXIST) {
        return Status::Query("SQLite scratch database '" + std::string(name) + "' already exists ('" + path +
                             "'): choose another name or drop it first");
      }
      return Status::Io("cannot create SQLite scratch database '" + path + "': " + ErrnoText(err));
    }
    // An empty file is a valid, empty SQLite database.
    int chmod_rc = ::fchmod(fd, 0600);
    int err = errno;
    ::close(fd);
    if (chmod_rc != 0) {
      ::unlink(path.c_str());
      return Status::Io("cannot set mode 0600 on '" + path + "': " + ErrnoText(err));
    }
    return server.WithPath(path);
  });
}

Status SqliteDriver::DropDatabase(const ConnectionUri& server, std::string_view name) {
  return Guarded(server.Redacted(), [&]() -> Status {
    CUTOVER_RETURN_IF_ERROR(ValidateScratchName(name));
    const std::string path = ScratchPath(server, name);
    // "-cutover-lock": the migration lock file (sqlite_locks.cc) of a database
    // that `apply` or `rehearse` ran on.
    for (const char* suffix : {"", "-journal", "-wal", "-shm", "-cutover-lock"}) {
      std::string file = path + suffix;
      if (::unlink(file.c_str()) != 0 && errno != ENOENT) {
        return Status::Io("cannot remove '" + file + "' of SQLite scratch database '" + std::string(name) +
                          "': " + ErrnoText(errno));
      }
    }
    return Status::Ok();
  });
}

// `source` must be closed: a non-empty write-ahead log or a hot journal
// beside it would mean the file alone is not the database.
Result<ConnectionUri> SqliteDriver::CloneDatabase(const ConnectionUri& server, std::string_view source,
                                                  std::string_view name) {
  return Guarded(server.Redacted(), [&]() -> Result<ConnectionUri> {
    CUTOVER_RETURN_IF_ERROR(ValidateScratchName(source));
    CUTOVER_RETURN_IF_ERROR(ValidateScratchName(name));
    const std::string from = ScratchPath(server, source);
    const std::string to = ScratchPath(server, name);
    for (const char* suffix : {"-wal", "-journal"}) {
      struct stat side {};
      if (::stat((from + suffix).c_str(), &side) == 0 && side.st_size > 0) {
        return Status::Query("cannot clone SQLite database '" + from + "': '" + from + suffix +
                             "' is not empty (a connection is open or was killed); open and close it once, "
                             "or restore again");
      }
    }
    const int in = ::open(from.c_str(), O_RDONLY | O_CLOEXEC);
    if (in < 0) {
      const int err = errno;
      if (err == ENOENT)
        return Status::NotFound("cannot clone SQLite database '" + from + "': it does not exist");
      return Status::Io("cannot open '" + from + "' to clone it: " + ErrnoText(err));
    }
    const int out = ::open(to.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    if (out < 0) {
      const int err = errno;
      ::close(in);
      if (err == EEXIST) {
        return Status::Query("cannot clone into SQLite database '" + to +
                             "': it already exists; choose another name or drop it first");
      }
      return Status::Io("cannot create '" + to + "': " + ErrnoText(err));
    }
    const int err = CopyFileContents(in, out);
    ::close(in);
    if (::close(out) != 0 || err != 0) {
      const int e = err != 0 ? err : errno;
      ::unlink(to.c_str());
      return Status::Io("cannot copy '" + from + "' to '" + to + "': " + ErrnoText(e));
    }
    return server.WithPath(to);
  });
}

Result<std::vector<std::string>> SqliteDriver::ListDatabases(const ConnectionUri& server,
                                                             std::string_view prefix) {
  return Guarded(server.Redacted(), [&]() -> Result<std::vector<std::string>> {
    std::vector<std::string> names;
    const std::string dir = server.path();
    std::error_code ec;
    if (!std::filesystem::exists(dir, ec)) return names;  // no directory, no databases
    if (!std::filesystem::is_directory(dir, ec)) {
      return Status::InvalidInput("SQLite scratch location '" + dir + "' is not a directory");
    }
    for (std::filesystem::directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec)) {
      std::string file = it->path().filename().string();
      if (!EndsWith(file, ".db") || file.size() <= 3 || !StartsWith(file, prefix)) continue;
      std::error_code type_ec;
      if (!it->is_regular_file(type_ec)) continue;
      names.push_back(file.substr(0, file.size() - 3));
    }
    if (ec) return Status::Io("cannot list the SQLite scratch directory '" + dir + "': " + ec.message());
    std::sort(names.begin(), names.end());
    return names;
  });
}

Result<SqliteDriver::OpenRequest> SqliteDriver::ParseUri(const ConnectionUri& uri) {
  const std::string display = uri.Redacted();
  CUTOVER_RETURN_IF_ERROR(uri.RequireFileForm("an SQLite database"));
  OpenRequest req;
  for (const auto& [key, value] : uri.params()) {
    if (key == "busy_timeout") {
      auto ms = ParseMillis(key, value);
      if (!ms.ok()) return ms.status().WithContext(display);
      req.busy_ms = *ms;
    } else if (key == "mode" && (value == "ro" || value == "rw")) {
      req.flags = value == "ro" ? SQLITE_OPEN_READONLY : SQLITE_OPEN_READWRITE;
    } else {
      return Status::InvalidInput(display + ": unsupported sqlite URI parameter '" + key +
                                  "' (or value); accepted: busy_timeout=<ms>, mode=ro|rw");
    }
  }
  req.path = uri.path();
  return req;
}

Result<std::unique_ptr<Connection>> SqliteDriver::DoConnect(const ConnectionUri& uri) {
  const std::string display = uri.Redacted();
  auto req = ParseUri(uri);
  if (!req.ok()) return req.status();
  const int busy_ms = req->busy_ms;
  const int flags = req->flags;
  const std::string& path = req->path;
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) {
    int err = errno;
    if (err == ENOENT || err == ENOTDIR) {
      return Status::NotFound("SQLite database file '" + path + "' does not exist (" + display +
                              "): check the path; cutover never creates a database when connecting");
    }
    return Status::Io("cannot access SQLite database file '" + path + "': " + ErrnoText(err));
  }
  if (S_ISDIR(st.st_mode)) {
    return Status::InvalidInput("'" + path + "' is a directory, not a SQLite database file (" + display +
                                ")");
  }
  sqlite3* raw = nullptr;
  int rc = sqlite3_open_v2(path.c_str(), &raw,
                           flags | SQLITE_OPEN_NOMUTEX | SQLITE_OPEN_EXRESCODE | SQLITE_OPEN_PRIVATECACHE,
                           nullptr);
  if (rc != SQLITE_OK) {
    Status st_open =
        Status::Connection("cannot open SQLite database '" + path +
                           "': " + ScrubSecrets(raw != nullptr ? sqlite3_errmsg(raw) : sqlite3_errstr(rc)));
    sqlite3_close_v2(raw);
    return st_open;
  }
  auto conn = std::make_unique<SqliteConnection>(raw, uri, busy_ms);
  sqlite3_busy_timeout(raw, busy_ms);
  // Reading the schema proves the file is a database: a random, truncated
  // or damaged file fails here, not in the middle of a later operation.
  sqlite3_stmt* check = nullptr;
  int check_rc = sqlite3_prepare_v2(raw, "SELECT count(*) FROM main.sqlite_schema", -1, &check, nullptr);
  StatementPtr check_stmt(check);
  if (check_rc == SQLITE_OK) {
    while ((check_rc = sqlite3_step(check)) == SQLITE_ROW) {
    }
  }
  // SQLITE_BUSY: a writer holds the file locked. Connecting must not fail
  // for that: the caller's next operation waits up to its own lock timeout
  // (a snapshot may be allowed much longer than the busy default) and
  // checks the file then.
  if (check_rc != SQLITE_OK && check_rc != SQLITE_DONE && (check_rc & 0xff) != SQLITE_BUSY) {
    const int primary = check_rc & 0xff;
    const std::string engine_msg = ScrubSecrets(sqlite3_errmsg(raw));
    if (primary == SQLITE_NOTADB || primary == SQLITE_CORRUPT || primary == SQLITE_ERROR) {
      return Status::InvalidInput("'" + path +
                                  "' is not a SQLite database or is damaged (SQLite: " + engine_msg +
                                  "); check the path, or restore the database from a verified snapshot");
    }
    return StatusFromSqlite(raw, check_rc, "cannot read SQLite database '" + path + "'");
  }
  check_stmt.reset();
  CUTOVER_RETURN_IF_ERROR(conn->ExecuteScript("PRAGMA foreign_keys = ON"));
  bool fk_on = false;
  CUTOVER_RETURN_IF_ERROR(conn->Query(
      "PRAGMA foreign_keys",
      [&](RowView row) {
        fk_on = !row.empty() && row[0].data == "1";
        return Status::Ok();
      },
      ExecOptions{}));
  if (!fk_on) {
    return Status::Unsupported(display +
                               ": this SQLite library cannot enforce foreign keys "
                               "(built with SQLITE_OMIT_FOREIGN_KEY)");
  }
  return std::unique_ptr<Connection>(std::move(conn));
}

}  // namespace cutover::sqlite

CUTOVER_DEFINE_DRIVER_ENTRY("sqlite", &cutover::sqlite::MakeSqliteDriver)

namespace cutover::sqlite {

// A new SQLite database is a new, empty file, private to the user.
Result<bool> SqliteDriver::CreateTargetIfMissing(const ConnectionUri& uri) {
  return Guarded(uri.Redacted(), [&]() -> Result<bool> {
    auto req = ParseUri(uri);
    if (!req.ok()) return req.status();
    int fd = ::open(req->path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    if (fd < 0) {
      if (errno == EEXIST) return false;
      return Status::Io(req->path + ": cannot create the new SQLite database: " + ErrnoText(errno));
    }
    ::close(fd);
    return true;
  });
}

Status SqliteDriver::DropTarget(const ConnectionUri& uri) {
  return Guarded(uri.Redacted(), [&]() -> Status {
    auto req = ParseUri(uri);
    if (!req.ok()) return req.status();
    // The database file and what SQLite may have left beside it.
    for (const std::string& suffix :
         {std::string(), std::string("-journal"), std::string("-wal"), std::string("-shm")}) {
      const std::string file = req->path + suffix;
      if (::unlink(file.c_str()) != 0 && errno != ENOENT) {
        return Status::Io(file + ": cannot remove it: " + ErrnoText(errno));
      }
    }
    return Status::Ok();
  });
}

// SQLAlchemy's absolute form has four slashes (sqlite:////abs/path); Rails
// and most others read the path after "sqlite3:" or "sqlite:" alike.
Result<std::vector<std::pair<std::string, std::string>>> SqliteDriver::ClientEnvironment(
    const ConnectionUri& uri) const {
  auto path = ImageFilePath(uri);
  if (!path.ok()) return path.status();
  return std::vector<std::pair<std::string, std::string>>{{"DATABASE_URL", "sqlite:///" + *path},
                                                          {"CUTOVER_SCRATCH_PATH", *path}};
}

Result<ConnectionUri> SqliteDriver::LocalScratchServer(const std::string& directory) const {
  auto base = ConnectionUri::Parse("sqlite:///");
  if (!base.ok()) return base.status();
  return base->WithPath(directory.empty() ? "/" : directory);
}

}  // namespace cutover::sqlite
