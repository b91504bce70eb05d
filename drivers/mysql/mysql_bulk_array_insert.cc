#include "mysql_bulk_array_insert.h"

#include <mysql.h>

#include <algorithm>
#include <condition_variable>
#include <cstdlib>
#include <deque>
#include <mutex>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "base/strings.h"
#include "base/uri.h"
#include "mysql_internal.h"

namespace cutover::mysql {

struct ArrayInsertSession::Handles {
  MYSQL* mysql = nullptr;
  ~Handles() {
    if (mysql != nullptr) mysql_close(mysql);
  }
};

namespace {

// Rows and bytes of one execute: enough to make the round trip negligible
// (1,000 rows / 1 MiB to 50,000 rows / 12 MiB all restored the benchmark's
// 1 GB in 11.7 s), small enough to keep a worker's memory bounded whatever
// the table size.
constexpr size_t kMaxRowsPerExecute = 10000;
constexpr size_t kMaxBytesPerExecute = size_t{2} << 20;
// What one value adds to the packet besides its bytes: an indicator and a
// length prefix of up to 9 bytes.
constexpr size_t kValueOverhead = 10;

std::string ErrorText(unsigned code, const char* message, const char* sqlstate) {
  std::string msg = message != nullptr && *message != '\0'
                        ? ScrubSecrets(message)
                        : std::string("(no message from the client library)");
  msg += " [MySQL error " + std::to_string(code);
  if (sqlstate != nullptr && *sqlstate != '\0' && std::string_view(sqlstate) != "00000")
    msg += std::string(", SQLSTATE ") + sqlstate;
  return msg + "]";
}

// One array of rows: values unescaped into an arena, row-major fields
// (row r, column c at r * columns + c).
struct Array {
  std::string arena;
  std::vector<LoadDataField> fields;
  size_t rows = 0;
};

// The parameter arrays of the prepared INSERT, one per column, pointing
// into an Array's arena.
struct ArrayBinds {
  explicit ArrayBinds(size_t columns)
      : values(columns), lengths(columns), indicators(columns), binds(columns) {}

  // Points every column's parameter array at the values of `a`.
  void Point(const Array& a) {
    const size_t columns = binds.size();
    for (size_t c = 0; c < columns; ++c) {
      values[c].resize(a.rows);
      lengths[c].resize(a.rows);
      indicators[c].resize(a.rows);
      for (size_t r = 0; r < a.rows; ++r) {
        const LoadDataField& f = a.fields[r * columns + c];
        values[c][r] = const_cast<char*>(a.arena.data()) + f.offset;
        lengths[c][r] = static_cast<unsigned long>(f.length);
        indicators[c][r] = f.null ? STMT_INDICATOR_NULL : STMT_INDICATOR_NONE;
      }
      MYSQL_BIND& b = binds[c];
      b = MYSQL_BIND{};
      // A blob parameter is binary: the server takes its bytes unconverted.
      b.buffer_type = MYSQL_TYPE_BLOB;
      b.buffer = values[c].data();
      b.length = lengths[c].data();
      b.u.indicator = indicators[c].data();
    }
  }

  std::vector<std::vector<char*>> values;
  std::vector<std::vector<unsigned long>> lengths;
  std::vector<std::vector<char>> indicators;
  std::vector<MYSQL_BIND> binds;
};

// Appends record `record_no` (1-based, for messages) to `a`. kInvalidInput
// for a malformed record, or for a row that does not fit in one packet:
// the server would drop the connection instead of saying so.
Status AddRecord(Array& a, std::string_view record, size_t columns, std::int64_t record_no, size_t max_packet,
                 const std::string& what) {
  if (Status st = UnescapeLoadDataRecord(record, columns, a.arena, a.fields); !st.ok()) {
    return Status::InvalidInput(what + ": record " + std::to_string(record_no) + ": " + st.message());
  }
  const size_t row_bytes = record.size() + columns * kValueOverhead + (size_t{64} << 10);
  if (a.rows == 0 && max_packet > 0 && row_bytes > max_packet) {
    return Status::InvalidInput(what + ": record " + std::to_string(record_no) + " needs a packet of " +
                                std::to_string(row_bytes) + " bytes, more than the server's " +
                                "max_allowed_packet (" + std::to_string(max_packet) +
                                "); raise max_allowed_packet on the server, or load with "
                                "?array_insert=0 (LOAD DATA)");
  }
  ++a.rows;
  return Status::Ok();
}

}  // namespace

ArrayInsertSession::ArrayInsertSession(std::unique_ptr<Handles> handles, std::string display_uri)
    : h_(std::move(handles)), display_uri_(std::move(display_uri)) {}

ArrayInsertSession::~ArrayInsertSession() = default;

Result<std::unique_ptr<ArrayInsertSession>> ArrayInsertSession::Open(const Endpoint& endpoint,
                                                                     std::string display_uri) {
  auto handles = std::make_unique<Handles>();
  handles->mysql = mysql_init(nullptr);
  if (handles->mysql == nullptr) return Status::Internal("libmariadb could not allocate a connection handle");
  MYSQL* m = handles->mysql;
  const unsigned timeout = static_cast<unsigned>(endpoint.connect_timeout_s);
  const unsigned no_local_infile = 0;
  mysql_optionsv(m, MYSQL_SET_CHARSET_NAME, "utf8mb4");
  mysql_optionsv(m, MYSQL_OPT_CONNECT_TIMEOUT, &timeout);
  mysql_optionsv(m, MYSQL_OPT_LOCAL_INFILE, &no_local_infile);
  const char* socket = endpoint.socket ? endpoint.socket->c_str() : nullptr;
  if (mysql_real_connect(m, endpoint.host.c_str(), endpoint.user.c_str(), endpoint.password.c_str(),
                         endpoint.database.empty() ? nullptr : endpoint.database.c_str(), endpoint.port,
                         socket, 0) == nullptr) {
    return Status::Connection("cannot open a loading session to " + display_uri + ": " +
                              ErrorText(mysql_errno(m), mysql_error(m), mysql_sqlstate(m)));
  }
  unsigned long capabilities = 0;
  unsigned long extended = 0;
  mariadb_get_infov(m, MARIADB_CONNECTION_SERVER_CAPABILITIES, &capabilities);
  mariadb_get_infov(m, MARIADB_CONNECTION_EXTENDED_SERVER_CAPABILITIES, &extended);
  if ((capabilities & CLIENT_MYSQL) != 0 || (extended & (MARIADB_CLIENT_STMT_BULK_OPERATIONS >> 32)) == 0) {
    return Status::Unsupported(display_uri +
                               " cannot execute arrays of parameters (MariaDB 10.2 or later can)");
  }
  std::unique_ptr<ArrayInsertSession> session(
      new ArrayInsertSession(std::move(handles), std::move(display_uri)));
  const std::string what = "reading max_allowed_packet of " + session->display_uri_;
  if (mysql_query(m, "SELECT @@SESSION.max_allowed_packet") != 0)
    return session->Fail(what, mysql_errno(m), mysql_error(m), mysql_sqlstate(m));
  MYSQL_RES* res = mysql_store_result(m);
  if (res == nullptr) return session->Fail(what, mysql_errno(m), mysql_error(m), mysql_sqlstate(m));
  MYSQL_ROW row = mysql_fetch_row(res);
  session->max_packet_ = row != nullptr && row[0] != nullptr ? std::strtoull(row[0], nullptr, 10) : 0;
  mysql_free_result(res);
  return session;
}

Status ArrayInsertSession::Fail(const std::string& what, unsigned code, const char* message,
                                const char* sqlstate) {
  const int number = static_cast<int>(code);
  const std::string msg = what + ": " + ErrorText(code, message, sqlstate);
  if (IsConnectionLoss(number)) {
    broken_ = true;
    return Status::Connection(msg +
                              ": the connection to the server was lost; check that the server is running, "
                              "then retry");
  }
  if (number == kErLockWaitTimeout) {
    return Status::LockTimeout(msg + ": the server's innodb_lock_wait_timeout expired while loading");
  }
  return Status::Query(msg, std::to_string(code));
}

Status ArrayInsertSession::Run(std::string_view sql, const std::string& what) {
  if (broken_)
    return Status::Connection(what + ": the loading session to " + display_uri_ + " was lost earlier");
  MYSQL* m = h_->mysql;
  if (mysql_real_query(m, sql.data(), sql.size()) != 0)
    return Fail(what, mysql_errno(m), mysql_error(m), mysql_sqlstate(m));
  // Drain whatever the statement returned (SET and COMMIT return nothing).
  do {
    if (MYSQL_RES* res = mysql_store_result(m)) mysql_free_result(res);
  } while (mysql_next_result(m) == 0);
  if (mysql_errno(m) != 0) return Fail(what, mysql_errno(m), mysql_error(m), mysql_sqlstate(m));
  return Status::Ok();
}

// Strict sql_mode turns a value that does not fit into an error; what is
// left as a warning (a note about a truncated fraction, say) would still
// change data, so any warning fails the load.
Status ArrayInsertSession::Warnings(const std::string& what) {
  MYSQL* m = h_->mysql;
  const unsigned count = mysql_warning_count(m);
  if (count == 0) return Status::Ok();
  std::vector<std::string> shown;
  std::string first_code;
  if (mysql_query(m, "SHOW WARNINGS LIMIT 5") == 0) {
    if (MYSQL_RES* res = mysql_store_result(m)) {
      while (MYSQL_ROW row = mysql_fetch_row(res)) {
        const std::string code = row[1] != nullptr ? row[1] : "";
        if (first_code.empty()) first_code = code;
        shown.push_back(std::string(row[0] != nullptr ? row[0] : "") + " " + code + ": " +
                        (row[2] != nullptr ? ScrubSecrets(row[2]) : ""));
      }
      mysql_free_result(res);
    }
  }
  return LoadWarningsError(what, std::to_string(count), shown, first_code);
}

Result<std::int64_t> ArrayInsertSession::Insert(std::string_view insert_sql, size_t columns,
                                                std::span<const std::string_view> first,
                                                const RecordBatchSource& next_batch,
                                                const std::string& what) {
  if (broken_)
    return Status::Connection(what + ": the loading session to " + display_uri_ + " was lost earlier");
  MYSQL* m = h_->mysql;
  MYSQL_STMT* stmt = mysql_stmt_init(m);
  if (stmt == nullptr) return Fail(what, mysql_errno(m), mysql_error(m), mysql_sqlstate(m));
  struct StmtCloser {
    MYSQL_STMT* s;
    ~StmtCloser() { mysql_stmt_close(s); }
  } closer{stmt};
  auto stmt_error = [&]() {
    return Fail(what, mysql_stmt_errno(stmt), mysql_stmt_error(stmt), mysql_stmt_sqlstate(stmt));
  };
  if (mysql_stmt_prepare(stmt, insert_sql.data(), insert_sql.size()) != 0) return stmt_error();
  if (mysql_stmt_param_count(stmt) != columns) {
    return Status::Internal(what + ": the INSERT has " + std::to_string(mysql_stmt_param_count(stmt)) +
                            " placeholders for " + std::to_string(columns) + " columns");
  }
  const size_t packet_limit =
      std::clamp<size_t>(max_packet_ > (size_t{64} << 10) ? max_packet_ - (size_t{64} << 10) : 0,
                         size_t{64} << 10, kMaxBytesPerExecute);

  ArrayBinds binds(columns);
  std::int64_t inserted = 0;

  auto execute = [&](const Array& a) -> Status {
    binds.Point(a);
    unsigned int array_size = static_cast<unsigned int>(a.rows);
    if (mysql_stmt_attr_set(stmt, STMT_ATTR_ARRAY_SIZE, &array_size) != 0) return stmt_error();
    if (mysql_stmt_bind_param(stmt, binds.binds.data()) != 0) return stmt_error();
    if (mysql_stmt_execute(stmt) != 0) return stmt_error();
    const auto affected = static_cast<std::int64_t>(mysql_stmt_affected_rows(stmt));
    CUTOVER_RETURN_IF_ERROR(Warnings(what));
    if (affected != static_cast<std::int64_t>(a.rows)) {
      return Status::Query(what + ": the server inserted " + std::to_string(affected) + " of " +
                           std::to_string(a.rows) + " rows; nothing was loaded");
    }
    inserted += affected;
    return Status::Ok();
  };

  // A helper thread reads and unescapes the next array while this one
  // executes: the server inserts while the client prepares, instead of
  // taking turns. Two arrays, so memory stays at twice the array budget.
  Array arrays[2];
  std::mutex mu;
  std::condition_variable changed;
  std::vector<Array*> empty = {&arrays[0], &arrays[1]};
  std::deque<Array*> full;
  bool stop = false;          // the consumer failed: the producer quits
  bool produced_all = false;  // the producer is finished (see producer_status)
  Status producer_status;
  std::thread producer([&] {
    Array* a = nullptr;
    auto take_empty = [&]() {
      std::unique_lock<std::mutex> lock(mu);
      changed.wait(lock, [&] { return stop || !empty.empty(); });
      if (stop) return false;
      a = empty.back();
      empty.pop_back();
      a->arena.clear();
      a->fields.clear();
      a->rows = 0;
      return true;
    };
    auto hand_over = [&]() {
      std::lock_guard<std::mutex> lock(mu);
      if (a->rows > 0) {
        full.push_back(a);
      } else {
        empty.push_back(a);
      }
      a = nullptr;
      changed.notify_all();
    };
    auto produce = [&]() -> Status {
      if (!take_empty()) return Status::Ok();
      std::int64_t record_no = 0;
      std::span<const std::string_view> batch = first;
      while (!batch.empty()) {
        for (std::string_view record : batch) {
          ++record_no;
          // Hand the array over first when this record would push the
          // packet over the limit.
          const size_t bytes = a->arena.size() + (a->rows + 1) * columns * kValueOverhead + record.size();
          if (a->rows > 0 && (a->rows == kMaxRowsPerExecute || bytes > packet_limit)) {
            hand_over();
            if (!take_empty()) return Status::Ok();
          }
          CUTOVER_RETURN_IF_ERROR(AddRecord(*a, record, columns, record_no, max_packet_, what));
        }
        auto next = next_batch();
        if (!next.ok()) return next.status();
        batch = *next;
      }
      hand_over();
      return Status::Ok();
    };
    Status st = produce();
    std::lock_guard<std::mutex> lock(mu);
    producer_status = st;
    produced_all = true;
    changed.notify_all();
  });

  Status consumed;
  while (true) {
    Array* a = nullptr;
    {
      std::unique_lock<std::mutex> lock(mu);
      changed.wait(lock, [&] { return !full.empty() || produced_all; });
      // A bad record or a failing source ends the load at once.
      if (full.empty() || !producer_status.ok()) break;
      a = full.front();
      full.pop_front();
    }
    consumed = execute(*a);
    std::lock_guard<std::mutex> lock(mu);
    empty.push_back(a);
    if (!consumed.ok()) stop = true;
    changed.notify_all();
    if (!consumed.ok()) break;
  }
  producer.join();
  // A failing source is reported as such, not as what it did to the load.
  if (!producer_status.ok()) return producer_status;
  if (!consumed.ok()) return consumed;
  return inserted;
}

}  // namespace cutover::mysql
