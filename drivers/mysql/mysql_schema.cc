// ReadSchema() on MySQL/MariaDB: the catalog queries of
// mysql_schema_catalog.cc run on the session.
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
#include "driver/driver_helpers.h"
#include "mysql_internal.h"

namespace cutover::mysql {

Result<SchemaModel> MysqlConnection::ReadSchema() {
  if (ctx_.database.empty()) {
    return Status::InvalidInput("cannot read a schema from " + display_uri_ +
                                ": the URI names no database; add one, e.g. mysql://host/dbname");
  }
  if (broken_) return BrokenStatus();
  CatalogQuery query = [this](const std::string& sql, const RowCallback& on_row) {
    return Guarded("catalog query on " + display_uri_, nullptr, [&]() { return Buffered(sql, on_row); });
  };
  return ReadSchemaWith(query, ctx_);
}

}  // namespace cutover::mysql

namespace cutover::mysql {

Result<bool> MysqlConnection::TableExists(std::string_view name) {
  return CountsAny(
      *this,
      "SELECT count(*) FROM information_schema.TABLES WHERE TABLE_SCHEMA = DATABASE() AND TABLE_TYPE = 'BASE "
      "TABLE' AND TABLE_NAME = " +
          QuoteLiteral(name));
}

}  // namespace cutover::mysql
