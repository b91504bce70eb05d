// Bulk data on MySQL/MariaDB: ExportRows() streams LOAD DATA records
// (mysql_bulk_record.cc) from a forward-only SELECT; ImportRows() loads them
// with LOAD DATA LOCAL INFILE through a named pipe (mysql_bulk_pipe.cc), with
// MariaDB's array-bound INSERT (mysql_bulk_array_insert.cc), or with plain
// INSERTs when neither is available.
#include <algorithm>
#include <atomic>
#include <cctype>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <span>
#include <string>
#include <string_view>
#include <thread>
#include <tuple>
#include <utility>
#include <vector>

#include "base/strings.h"
#include "base/uri.h"
#include "mysql_bulk_array_insert.h"
#include "mysql_internal.h"

namespace cutover::mysql {
namespace {

// sql_mode of loading sessions: strict, so a value that does not fit fails
// (LOAD DATA LOCAL turns those errors into warnings, which ImportRows checks);
// no NO_ZERO_DATE / NO_ZERO_IN_DATE, so zero dates load as they were dumped;
// ALLOW_INVALID_DATES, so dates a source stored under it load too;
// NO_AUTO_VALUE_ON_ZERO, so a stored 0 in an AUTO_INCREMENT column stays 0.
constexpr const char* kLoadSqlMode =
    "STRICT_ALL_TABLES,NO_AUTO_VALUE_ON_ZERO,NO_ENGINE_SUBSTITUTION,ALLOW_INVALID_DATES";

}  // namespace

Result<Endpoint> ParseEndpoint(const ConnectionUri& uri) {
  const std::string shown = uri.Redacted();
  Endpoint e;
  for (const auto& [key, value] : uri.params()) {
    if (key == "socket") {
      if (value.empty()) return Status::InvalidInput(shown + ": the socket parameter is empty");
      e.socket = value;
    } else if (key == "connect_timeout") {
      char* end = nullptr;
      long v = std::strtol(value.c_str(), &end, 10);
      if (value.empty() || *end != '\0' || v <= 0 || v > 3600) {
        return Status::InvalidInput(
            shown + ": connect_timeout must be a number of seconds from 1 to 3600, not '" + value + "'");
      }
      e.connect_timeout_s = static_cast<int>(v);
    } else if (key == "local_infile" || key == "array_insert") {
      if (value != "0" && value != "1" && value != "true" && value != "false" && value != "on" &&
          value != "off") {
        return Status::InvalidInput(shown + ": " + key + " must be 0 or 1, not '" + value + "'");
      }
    } else {
      return Status::InvalidInput(shown + ": unknown parameter '" + key +
                                  "'; the mysql driver accepts socket=/path/to/mysqld.sock, "
                                  "connect_timeout=SECONDS, local_infile=0|1 and array_insert=0|1");
    }
  }
  if (e.socket) {
    if (!uri.host().empty() && uri.host() != "localhost") {
      return Status::InvalidInput(shown +
                                  ": both a host and socket= are given; use mysql://user@localhost/db"
                                  "?socket=/path or leave the host empty");
    }
    e.host = "localhost";
  } else {
    e.host = uri.host().empty() ? "localhost" : uri.host();
    e.port = uri.port().value_or(3306);
  }
  e.user = uri.user();
  if (uri.password()) {
    e.password = *uri.password();
  } else if (const char* env = std::getenv("MYSQL_PWD")) {
    e.password = env;
  }
  e.database = uri.database();
  return e;
}

Status MysqlConnection::ExportRows(const DataTable& table, std::string_view predicate,
                                   const RecordCallback& on_record) {
  CUTOVER_RETURN_IF_ERROR(RequireDatabase("export rows from"));
  const std::string what = "exporting table " + QuoteIdent(table.name) + " from " + display_uri_;
  auto types = ColumnTypes(table, what);
  if (!types.ok()) return types.status();
  std::string sql = "SELECT ";
  for (size_t i = 0; i < table.columns.size(); ++i) {
    if (i > 0) sql += ", ";
    sql += ExportExpression(QuoteIdent(table.columns[i]), (*types)[i]);
  }
  sql += " FROM " + QuoteIdent(table.name);
  if (!Trim(predicate).empty()) sql += " WHERE " + std::string(predicate);
  // Every setting that changes a value's text is pinned here, not only in
  // BeginSnapshot: a restore test exports from a fresh connection and must
  // produce the same bytes.
  CUTOVER_RETURN_IF_ERROR(PinDataSession(what));
  CUTOVER_RETURN_IF_ERROR(Run("SET SESSION character_set_results = binary", what));
  Status st = Guarded(what, nullptr, [&]() { return StreamRecords(sql, table.columns.size(), on_record); });
  if (broken_) return st;
  Status reset = Run("SET SESSION character_set_results = utf8mb4", what);
  return st.ok() ? reset : st;
}

Result<std::int64_t> MysqlConnection::ImportRows(const DataTable& table,
                                                 const RecordBatchSource& next_batch) {
  CUTOVER_RETURN_IF_ERROR(RequireDatabase("load rows into"));
  const std::string label = "table " + QuoteIdent(table.name);
  const std::string what = "loading " + label + " into " + display_uri_;
  // The loading session first: its errors come before any record is taken.
  ArrayInsertSession* array = nullptr;
  if (array_insert_ && ctx_.flavor == Flavor::kMariaDb) {
    auto session = ArrayLoader();
    if (session.ok()) {
      array = *session;
    } else if (session.status().code() != StatusCode::kUnsupported) {
      return session.status().WithContext(what);
    } else {
      array_insert_ = false;  // a MariaDB before 10.2: LOAD DATA from now on
    }
  }
  MysqlConnection* loader = nullptr;
  if (array == nullptr) {
    auto opened = Loader(local_infile_ && !local_infile_refused_);
    if (!opened.ok()) return opened.status().WithContext(what);
    loader = *opened;
  }
  auto types = ColumnTypes(table, what);
  if (!types.ok()) return types.status();
  const LoadTarget target = MakeLoadTarget(table, *types);
  auto first = next_batch();
  if (!first.ok()) return first.status();
  if (first->empty()) return std::int64_t{0};
  if (array != nullptr) return ArrayInsertRows(*array, table, target, *first, next_batch);
  MysqlConnection& ld = *loader;
  if (ld.local_infile_capable_ && !local_infile_refused_) {
    bool refused = false;
    auto loaded = LoadDataLocal(ld, table, target, *first, next_batch, &refused);
    if (!refused) return loaded;
    local_infile_refused_ = true;
    NoteInsertFallback(loaded.status());
  }
  return InsertRows(ld, table, target, *first, next_batch);
}

Result<MysqlConnection*> MysqlConnection::Loader(bool local_infile) {
  if (loader_ && (loader_->broken_ || (local_infile && !loader_->local_infile_capable_))) loader_.reset();
  if (loader_) return loader_.get();
  auto c = OpenAuxiliary(local_infile);
  if (!c.ok()) return c.status();
  const std::string what = "preparing a session for loading rows into " + display_uri_;
  CUTOVER_RETURN_IF_ERROR((*c)->Run("SET NAMES utf8mb4", what));
  CUTOVER_RETURN_IF_ERROR((*c)->Run("SET SESSION time_zone = '+00:00', SESSION sql_mode = '" +
                                        std::string(kLoadSqlMode) +
                                        "', SESSION foreign_key_checks = 0, SESSION unique_checks = 1, "
                                        "SESSION innodb_lock_wait_timeout = 86400",
                                    what));
  (*c)->SetSqlMode(kLoadSqlMode);
  (*c)->unique_checks_ = true;
  loader_ = std::move(*c);
  return loader_.get();
}

Result<ArrayInsertSession*> MysqlConnection::ArrayLoader() {
  if (array_loader_ && array_loader_->broken()) array_loader_.reset();
  if (array_loader_) return array_loader_.get();
  auto endpoint = ParseEndpoint(uri_);
  if (!endpoint.ok()) return endpoint.status();
  auto session = ArrayInsertSession::Open(*endpoint, display_uri_);
  if (!session.ok()) return session.status();
  const std::string what = "preparing a session for loading rows into " + display_uri_;
  CUTOVER_RETURN_IF_ERROR((*session)->Run("SET SESSION time_zone = '+00:00', SESSION sql_mode = '" +
                                              std::string(kLoadSqlMode) +
                                              "', SESSION foreign_key_checks = 0, SESSION unique_checks = 1, "
                                              "SESSION innodb_lock_wait_timeout = 86400",
                                          what));
  array_loader_ = std::move(*session);
  return array_loader_.get();
}

Result<std::int64_t> MysqlConnection::ArrayInsertRows(ArrayInsertSession& session, const DataTable& table,
                                                      const LoadTarget& target,
                                                      std::span<const std::string_view> first,
                                                      const RecordBatchSource& next_batch) {
  const std::string what = "loading table " + QuoteIdent(table.name) + " into " + display_uri_;
  std::vector<std::string> placeholders;
  for (size_t i = 0; i < table.columns.size(); ++i)
    placeholders.push_back(target.wrap_before[i] + "?" + target.wrap_after[i]);
  const std::string sql = "INSERT INTO " + QuoteIdent(table.name) + " (" + Join(target.insert_columns, ", ") +
                          ") VALUES (" + Join(placeholders, ", ") + ")";
  CUTOVER_RETURN_IF_ERROR(session.Run("START TRANSACTION", what));
  auto inserted = session.Insert(sql, table.columns.size(), first, next_batch, what);
  if (!inserted.ok()) {
    if (!session.broken()) (void)session.Run("ROLLBACK", what);
    return inserted.status();
  }
  CUTOVER_RETURN_IF_ERROR(session.Run("COMMIT", what));
  return inserted;
}

Result<std::vector<MysqlConnection::ColumnType>> MysqlConnection::ColumnTypes(const DataTable& table,
                                                                              const std::string& what) {
  if (table.columns.empty()) return Status::InvalidInput(what + ": the table has no columns to transfer");
  auto rows = Fetch(
      "SELECT TABLE_NAME, COLUMN_NAME, DATA_TYPE, NUMERIC_SCALE FROM information_schema.COLUMNS WHERE "
      "TABLE_SCHEMA = " +
          DbLiteral() + " AND TABLE_NAME = " + QuoteString(table.name, ctx_.backslash_escapes),
      what);
  if (!rows.ok()) return rows.status();
  const bool fold = ctx_.lower_case_table_names != 0;
  std::map<std::string, ColumnType> by_name;
  for (const TextRow& r : *rows) {
    // information_schema compares names case-insensitively: keep the exact table.
    if (fold ? ToLower(Col(r, 0)) != ToLower(table.name) : Col(r, 0) != table.name) continue;
    by_name[ToLower(Col(r, 1))] = ColumnType{ToLower(Col(r, 2)), r.size() > 3 && r[3].has_value()};
  }
  if (by_name.empty()) {
    return Status::NotFound(what + ": there is no table " + QuoteIdent(table.name) + " in database '" +
                            ctx_.database + "'");
  }
  std::vector<ColumnType> out;
  for (const std::string& c : table.columns) {
    auto it = by_name.find(ToLower(c));
    if (it == by_name.end()) {
      return Status::NotFound(what + ": the table has no column " + QuoteIdent(c) +
                              "; it differs from the snapshot's table");
    }
    out.push_back(it->second);
  }
  return out;
}

bool MysqlConnection::CanCastToDouble() const {
  return ctx_.flavor == Flavor::kMariaDb ? ctx_.version_number >= 100405 : ctx_.version_number >= 80017;
}

std::string MysqlConnection::ExportExpression(const std::string& quoted, const ColumnType& t) const {
  // FLOAT's text form has 6 significant digits; the exact float widened to
  // DOUBLE prints in full (shortest round-trip form) and loads back into
  // the same float. FLOAT(M,D) prints its D decimals, which is exact.
  if (t.data_type == "float" && !t.has_scale) {
    return CanCastToDouble() ? "CAST(" + quoted + " AS DOUBLE)" : "(" + quoted + " + 0e0)";
  }
  // BIT: LOAD DATA cannot parse b'...' and Connector/C++ returns BIT as a
  // decimal string anyway: export the number, load it through CAST.
  if (t.data_type == "bit") return "(" + quoted + " + 0)";
  return quoted;
}

MysqlConnection::LoadTarget MysqlConnection::MakeLoadTarget(const DataTable& table,
                                                            const std::vector<ColumnType>& types) const {
  LoadTarget t;
  std::vector<std::string> list, sets;
  for (size_t i = 0; i < table.columns.size(); ++i) {
    const std::string col = QuoteIdent(table.columns[i]);
    t.insert_columns.push_back(col);
    std::string before, after;
    if (types[i].data_type == "bit") {
      before = "CAST(";
      after = " AS UNSIGNED)";
    } else if ((types[i].data_type == "json" && ctx_.flavor == Flavor::kMySql) ||
               types[i].data_type == "uuid" || types[i].data_type == "inet6" ||
               types[i].data_type == "inet4") {
      // MySQL refuses JSON from a binary string, MariaDB its uuid, inet6
      // and inet4 types ("Incorrect uuid value"): they parse text only.
      before = "CONVERT(";
      after = " USING utf8mb4)";
    }
    if (before.empty()) {
      list.push_back(col);
    } else {
      std::string var = "@cutover_v" + std::to_string(i);
      list.push_back(var);
      sets.push_back(col + " = " + before + var + after);
    }
    t.wrap_before.push_back(before);
    t.wrap_after.push_back(after);
  }
  t.column_list = Join(list, ", ");
  if (!sets.empty()) t.set_clause = " SET " + Join(sets, ", ");
  return t;
}

Status MysqlConnection::StreamRecords(const std::string& sql, size_t columns,
                                      const RecordCallback& on_record) {
  ClearDiagnostics();
  std::unique_ptr<sql::Statement> st(conn_->createStatement());
  st->setResultSetType(sql::ResultSet::TYPE_FORWARD_ONLY);
  std::unique_ptr<sql::ResultSet> rs(st->executeQuery(sql::SQLString(sql.data(), sql.size())));
  Status callback_status;
  std::uint64_t delivered = 0;
  std::string record;
  const auto n = static_cast<std::uint32_t>(columns);
  while (rs->next()) {
    record.clear();
    for (std::uint32_t i = 1; i <= n; ++i) {
      if (i > 1) record += '\t';
      if (rs->isNull(i)) {
        record += "\\N";
      } else {
        const sql::SQLString value = rs->getString(i);
        AppendLoadDataField(record, value.asStdString());
      }
    }
    record += '\n';
    ++delivered;
    callback_status = on_record(record);
    if (!callback_status.ok()) break;
  }
  rs.reset();  // drains what is left of the result
  if (!callback_status.ok()) return callback_status;
  return CheckStreamErrors(std::to_string(delivered) + " rows");
}

Status MysqlConnection::CheckLoadWarnings(const std::string& label) {
  auto rows = Fetch("SHOW WARNINGS LIMIT 5", "reading the warnings of loading " + label);
  if (!rows.ok()) return rows.status();
  if (rows->empty()) return Status::Ok();
  auto count = Fetch("SHOW COUNT(*) WARNINGS", "reading the warnings of loading " + label);
  std::string total = count.ok() && !count->empty() ? Col((*count)[0], 0) : std::to_string(rows->size());
  std::vector<std::string> shown;
  for (const TextRow& r : *rows) shown.push_back(Col(r, 0) + " " + Col(r, 1) + ": " + Col(r, 2));
  return LoadWarningsError("loading " + label + " into " + display_uri_, total, shown, Col((*rows)[0], 1));
}

Status MysqlConnection::SetUniqueChecks(bool on, const std::string& what) {
  if (unique_checks_ == on) return Status::Ok();
  CUTOVER_RETURN_IF_ERROR(Run(std::string("SET SESSION unique_checks = ") + (on ? "1" : "0"), what));
  unique_checks_ = on;
  return Status::Ok();
}

Status MysqlConnection::BulkLoadError(const Status& st) {
  if (st.sqlstate() != std::to_string(kErErrorDuringCommit)) return st;
  return Status::Query(
      st.message() + ": in a bulk load into an empty table MariaDB reports a duplicate key value this way",
      st.sqlstate());
}

bool MysqlConnection::IsLocalInfileRefusal(const Status& st) {
  const std::string& code = st.sqlstate();
  return code == std::to_string(kErNotAllowedCommand) || code == std::to_string(kErLocalInfileDisabled) ||
         code == std::to_string(kCrLocalInfileRejected);
}

void MysqlConnection::NoteInsertFallback(const Status& why) {
  static std::atomic<bool> told{false};
  if (told.exchange(true)) return;
  std::fprintf(stderr,
               "cutover: mysql driver: %s refuses LOAD DATA LOCAL INFILE (%s); loading rows with multi-row "
               "INSERT instead, which is slower. Enable it with SET GLOBAL local_infile = ON, or add "
               "local_infile=0 to the URI to choose INSERT from the start.\n",
               display_uri_.c_str(), why.message().c_str());
}

Result<std::int64_t> MysqlConnection::LoadDataLocal(MysqlConnection& ld, const DataTable& table,
                                                    const LoadTarget& target,
                                                    std::span<const std::string_view> first,
                                                    const RecordBatchSource& next_batch, bool* refused) {
  const std::string label = "table " + QuoteIdent(table.name);
  const std::string what = "loading " + label + " into " + display_uri_;
  const size_t columns = table.columns.size();
  std::int64_t fed = 0;
  auto validate = [&](std::span<const std::string_view> batch) -> Status {
    for (size_t k = 0; k < batch.size(); ++k) {
      Status st = CheckLoadDataRecord(batch[k], columns);
      if (!st.ok()) {
        return Status::InvalidInput(what + ": record " +
                                    std::to_string(fed + static_cast<std::int64_t>(k) + 1) + ": " +
                                    st.message());
      }
    }
    return Status::Ok();
  };
  CUTOVER_RETURN_IF_ERROR(validate(first));
  auto pipe = LoadPipe::Create();
  if (!pipe.ok()) return pipe.status().WithContext(what);
  CUTOVER_RETURN_IF_ERROR(ld.SetUniqueChecks(!UseBulkLoad(table), what));
  CUTOVER_RETURN_IF_ERROR(ld.Run("START TRANSACTION", what));
  const std::string sql =
      "LOAD DATA LOCAL INFILE " + QuoteString((*pipe)->path(), true) + " INTO TABLE " +
      QuoteIdent(table.name) +
      " CHARACTER SET binary FIELDS TERMINATED BY '\\t' ESCAPED BY '\\\\' LINES TERMINATED "
      "BY '\\n' (" +
      target.column_list + ")" + target.set_clause;
  std::atomic<bool> done{false};
  Status load_status;
  std::int64_t loaded = 0;
  sql::Driver* client = conn_->getDriver();
  std::thread statement([&] {
    client->threadInit();
    auto r = ld.Execute(sql, ExecOptions{});
    if (r.ok()) {
      loaded = *r;
    } else {
      load_status = r.status();
    }
    client->threadEnd();
    done = true;
  });
  Status feed;
  bool accepted = false;  // the client library opened the pipe and read from it
  std::string buffer;
  constexpr size_t kWriteBytes = 1 << 20;
  std::span<const std::string_view> batch = first;
  while (true) {
    buffer.clear();
    for (std::string_view r : batch) {
      buffer.append(r);
      if (buffer.size() >= kWriteBytes) {
        feed = (*pipe)->Write(buffer, done);
        buffer.clear();
        if (!feed.ok()) break;
      }
    }
    if (feed.ok() && !buffer.empty()) feed = (*pipe)->Write(buffer, done);
    if (!feed.ok()) break;
    fed += static_cast<std::int64_t>(batch.size());
    if (!accepted) {
      // Keep the first batch until the server has taken the statement: a
      // refusal can then still fall back to INSERT with it.
      if (!(*pipe)->WaitDrained(done)) break;
      accepted = true;
      (*pipe)->RemoveName();
    }
    auto next = next_batch();
    if (!next.ok()) {
      feed = next.status();
      break;
    }
    if (next->empty()) break;
    feed = validate(*next);
    if (!feed.ok()) break;
    batch = *next;
  }
  // The reader has opened the pipe (accepted) or the statement is over:
  // closing is safe either way and ends the data.
  (*pipe)->CloseWriteEnd();
  statement.join();
  pipe->reset();
  auto rollback = [&]() {
    if (!ld.broken_) (void)ld.Run("ROLLBACK", what);
  };
  if (!load_status.ok()) {
    rollback();
    if (!accepted && IsLocalInfileRefusal(load_status)) *refused = true;
    // A failing source is reported as such, not as what it did to the statement.
    if (!feed.ok() && feed.code() != StatusCode::kIo) return feed;
    return BulkLoadError(load_status).WithContext("loading " + label);
  }
  if (!feed.ok()) {
    rollback();
    return feed;
  }
  Status warned = ld.CheckLoadWarnings(label);
  if (!warned.ok()) {
    rollback();
    return warned;
  }
  if (loaded != fed) {
    rollback();
    return Status::Query(what + ": LOAD DATA took " + std::to_string(loaded) + " rows from " +
                         std::to_string(fed) + " records; nothing was loaded");
  }
  CUTOVER_RETURN_IF_ERROR(ld.Run("COMMIT", what));
  return fed;
}

Result<std::int64_t> MysqlConnection::InsertRows(MysqlConnection& ld, const DataTable& table,
                                                 const LoadTarget& target,
                                                 std::span<const std::string_view> first,
                                                 const RecordBatchSource& next_batch) {
  const std::string label = "table " + QuoteIdent(table.name);
  const std::string what = "loading " + label + " into " + display_uri_ + " with INSERT";
  const size_t columns = table.columns.size();
  auto packet = ld.Fetch("SELECT @@SESSION.max_allowed_packet", what);
  if (!packet.ok()) return packet.status();
  long long max_packet = packet->empty() ? 0 : std::atoll(Col((*packet)[0], 0).c_str());
  const size_t limit = static_cast<size_t>(std::clamp<long long>(max_packet - 65536, 65536, 8 << 20));
  const std::string head =
      "INSERT INTO " + QuoteIdent(table.name) + " (" + Join(target.insert_columns, ", ") + ") VALUES ";
  CUTOVER_RETURN_IF_ERROR(ld.SetUniqueChecks(!UseBulkLoad(table), what));
  CUTOVER_RETURN_IF_ERROR(ld.Run("START TRANSACTION", what));
  std::int64_t record_no = 0, total = 0, in_statement = 0;
  std::string statement = head;
  auto flush = [&]() -> Status {
    if (in_statement == 0) return Status::Ok();
    auto r = ld.Execute(statement, ExecOptions{});
    if (!r.ok()) return BulkLoadError(r.status()).WithContext("loading " + label);
    CUTOVER_RETURN_IF_ERROR(ld.CheckLoadWarnings(label));
    if (*r != in_statement) {
      return Status::Query(what + ": INSERT took " + std::to_string(*r) + " of " +
                           std::to_string(in_statement) + " rows");
    }
    total += *r;
    in_statement = 0;
    statement = head;
    return Status::Ok();
  };
  auto run = [&]() -> Status {
    std::span<const std::string_view> batch = first;
    std::string tuple;
    while (true) {
      for (std::string_view record : batch) {
        ++record_no;
        auto fields = ParseLoadDataRecord(record, columns);
        if (!fields.ok()) {
          return Status::InvalidInput(what + ": record " + std::to_string(record_no) + ": " +
                                      fields.status().message());
        }
        tuple = "(";
        for (size_t i = 0; i < columns; ++i) {
          if (i > 0) tuple += ", ";
          const auto& v = (*fields)[i];
          if (!v) {
            tuple += "NULL";
          } else {
            tuple += target.wrap_before[i] + "_binary" + QuoteString(*v, true) + target.wrap_after[i];
          }
        }
        tuple += ")";
        if (in_statement > 0 && statement.size() + tuple.size() + 2 > limit) CUTOVER_RETURN_IF_ERROR(flush());
        if (in_statement > 0) statement += ", ";
        statement += tuple;
        ++in_statement;
      }
      auto next = next_batch();
      if (!next.ok()) return next.status();
      if (next->empty()) break;
      batch = *next;
    }
    return flush();
  };
  Status st = run();
  if (!st.ok()) {
    if (!ld.broken_) (void)ld.Run("ROLLBACK", what);
    return st;
  }
  CUTOVER_RETURN_IF_ERROR(ld.Run("COMMIT", what));
  return total;
}

}  // namespace cutover::mysql

namespace cutover::mysql {

// ImportRows tunes its own session (foreign and unique checks, sql_log_bin).
Status MysqlConnection::PrepareRestoreSession(bool /*scratch*/) {
  return Status::Ok();
}

}  // namespace cutover::mysql
