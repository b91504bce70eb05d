// ArrayInsertSession: the MySQL driver's fastest way to load rows on MariaDB.
//
// One prepared INSERT executed with thousands of rows of parameters per round
// trip (MariaDB's array binding, COM_STMT_BULK_EXECUTE, 10.2+). The server
// stores each value straight from the binary protocol: it parses no SQL and
// no LOAD DATA text, which is about 40 % of its CPU in a LOAD DATA restore
// (docs/performance.md). Values are bound as binary strings, exactly as
// LOAD DATA ... CHARACTER SET binary and the INSERT fallback's _binary
// literals pass them, so every character set round-trips unconverted.
//
// The session is a libmariadb (C API) connection of its own, opened with the
// same endpoint as the driver's Connector/C++ connections; it never has the
// LOCAL INFILE capability. It is used by one thread at a time. Errors come
// back as Status (kQuery with the server's error number, kConnection when
// the connection is lost, after which broken() is true); a failed Insert
// leaves its transaction to the caller, who rolls back.

#ifndef CUTOVER_DRIVERS_MYSQL_MYSQL_ARRAY_INSERT_H_
#define CUTOVER_DRIVERS_MYSQL_MYSQL_ARRAY_INSERT_H_

#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "base/status.h"
#include "driver/driver.h"

namespace cutover::mysql {

// Where and as whom to connect, parsed from the URI by the driver.
struct Endpoint {
  std::string host;  // "localhost" with a socket
  unsigned port = 3306;
  std::optional<std::string> socket;  // Unix socket path
  std::string user;
  std::string password;
  std::string database;
  int connect_timeout_s = 10;
};

class ArrayInsertSession {
 public:
  // Connects; kUnsupported when the server cannot execute arrays (MySQL,
  // MariaDB before 10.2), so the caller loads another way.
  static Result<std::unique_ptr<ArrayInsertSession>> Open(const Endpoint& endpoint, std::string display_uri);
  ~ArrayInsertSession();
  ArrayInsertSession(const ArrayInsertSession&) = delete;
  ArrayInsertSession& operator=(const ArrayInsertSession&) = delete;

  // Runs one statement that returns no rows.
  Status Run(std::string_view sql, const std::string& what);

  // Prepares `insert_sql` (an INSERT with one placeholder per column) and
  // executes it for every record of `first` and of the batches
  // `next_batch` returns until an empty one: up to 10,000 rows or 2 MiB
  // (less under a small max_allowed_packet) per round trip. Records
  // are LOAD DATA lines of `columns` fields. Fails on the first bad record
  // (kInvalidInput naming its number; also a row that alone exceeds the
  // server's max_allowed_packet), server error or warning (strict
  // sql_mode makes a value that does not fit an error). Returns the rows
  // inserted.
  Result<std::int64_t> Insert(std::string_view insert_sql, size_t columns,
                              std::span<const std::string_view> first, const RecordBatchSource& next_batch,
                              const std::string& what);

  bool broken() const { return broken_; }

 private:
  struct Handles;
  ArrayInsertSession(std::unique_ptr<Handles> handles, std::string display_uri);
  Status Fail(const std::string& what, unsigned code, const char* message, const char* sqlstate);
  Status Warnings(const std::string& what);

  std::unique_ptr<Handles> h_;
  std::string display_uri_;
  std::size_t max_packet_ = 0;
  bool broken_ = false;
};

}  // namespace cutover::mysql

#endif  // CUTOVER_DRIVERS_MYSQL_MYSQL_ARRAY_INSERT_H_
