// The MySQL/MariaDB driver plugin's entry point and Driver: connecting
// through Connector/C++ (endpoint and options from the URI), creating,
// dropping and listing databases.
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
#include "mysql_internal.h"

namespace cutover::mysql {

Driver* MakeMysqlDriver() {
  try {
    return new MysqlDriver();
  } catch (...) {
    return nullptr;
  }
}

MysqlDriver::MysqlDriver() {
  info_.name = "mysql";
  info_.schemes = {"mysql", "mariadb"};
  info_.driver_version = CUTOVER_VERSION;
  try {
    driver_ = sql::mysql::get_mysql_driver_instance();  // initializes the C client library once
    info_.client_library = "MySQL Connector/C++ " + std::to_string(driver_->getMajorVersion()) + "." +
                           std::to_string(driver_->getMinorVersion()) + "." +
                           std::to_string(driver_->getPatchVersion());
  } catch (const std::exception& e) {
    init_error_ = ScrubSecrets(e.what());
    info_.client_library = "MySQL Connector/C++ (failed to initialize)";
  } catch (...) {
    init_error_ = "unknown exception";
    info_.client_library = "MySQL Connector/C++ (failed to initialize)";
  }
}

Result<std::unique_ptr<Connection>> MysqlDriver::Connect(const ConnectionUri& uri) {
  auto conn = Open(uri, false);
  if (!conn.ok()) return conn.status();
  const bool local_infile = FlagParam(uri, "local_infile", true);
  Opener opener = [this, uri](bool with_local_infile) { return Open(uri, with_local_infile); };
  auto c = std::make_unique<MysqlConnection>(std::move(*conn), uri, std::move(opener), local_infile);
  CUTOVER_RETURN_IF_ERROR(c->Init());
  return std::unique_ptr<Connection>(std::move(c));
}

Result<ConnectionUri> MysqlDriver::CreateDatabase(const ConnectionUri& server, std::string_view name) {
  CUTOVER_RETURN_IF_ERROR(CheckName(name));
  ConnectionUri target = server.WithDatabase(name);
  Status st = OnServer(server, "creating database '" + std::string(name) + "' on", [&](sql::Statement& s) {
    s.execute("CREATE DATABASE " + QuoteIdent(name) + " CHARACTER SET utf8mb4");
  });
  if (!st.ok()) {
    if (st.sqlstate() == std::to_string(kErDbCreateExists)) {
      return Status::Query(st.message() + ": the database already exists; pick another name or drop it first",
                           st.sqlstate());
    }
    if (st.sqlstate() == std::to_string(kErWrongDbName) || st.sqlstate() == std::to_string(kErTooLongIdent)) {
      return Status::InvalidInput(st.message() +
                                  ": database names have at most 64 characters and cannot end "
                                  "with a space");
    }
    return st;
  }
  return target;
}

Status MysqlDriver::DropDatabase(const ConnectionUri& server, std::string_view name) {
  CUTOVER_RETURN_IF_ERROR(CheckName(name));
  return OnServer(server, "dropping database '" + std::string(name) + "' on",
                  [&](sql::Statement& s) { s.execute("DROP DATABASE IF EXISTS " + QuoteIdent(name)); });
}

// MySQL and MariaDB have no database copy in the server (a file-level copy
// of InnoDB tablespaces needs FLUSH TABLES ... FOR EXPORT per table and
// access to the data directory): the caller restores the snapshot again.
Result<ConnectionUri> MysqlDriver::CloneDatabase(const ConnectionUri& server, std::string_view source,
                                                 std::string_view /*name*/) {
  return Status::Unsupported("MySQL/MariaDB cannot clone database '" + std::string(source) + "' on " +
                             server.Redacted() + " in the server; the snapshot is restored again instead");
}

Result<std::vector<std::string>> MysqlDriver::ListDatabases(const ConnectionUri& server,
                                                            std::string_view prefix) {
  std::vector<std::string> names;
  Status st = OnServer(server, "listing databases on", [&](sql::Statement& s) {
    std::unique_ptr<sql::ResultSet> rs(s.executeQuery("SELECT SCHEMA_NAME FROM information_schema.SCHEMATA"));
    while (rs->next()) {
      std::string name = rs->getString(1);
      if (StartsWith(name, prefix)) names.push_back(std::move(name));
    }
  });
  if (!st.ok()) return st;
  std::sort(names.begin(), names.end());
  return names;
}

Status MysqlDriver::CheckName(std::string_view name) {
  if (name.empty()) return Status::InvalidInput("empty database name");
  if (name.find('\0') != std::string_view::npos)
    return Status::InvalidInput("database name contains a NUL byte");
  return Status::Ok();
}

Result<std::unique_ptr<sql::Connection>> MysqlDriver::Open(const ConnectionUri& uri, bool local_infile) {
  const std::string shown = uri.Redacted();
  if (driver_ == nullptr) {
    return Status::Internal("MySQL Connector/C++ failed to initialize (" + init_error_ + "); cannot open " +
                            shown);
  }
  CUTOVER_RETURN_IF_ERROR(uri.RequireServerForm("MySQL/MariaDB"));
  auto endpoint = ParseEndpoint(uri);
  if (!endpoint.ok()) return endpoint.status();
  sql::ConnectOptionsMap options;
  if (endpoint->socket) {
    options["hostName"] = sql::SQLString("localhost");
    options["socket"] = sql::SQLString(*endpoint->socket);
  } else {
    std::string host = endpoint->host;
    if (host.find(':') != std::string::npos) host = "tcp://[" + host + "]";
    options["hostName"] = sql::SQLString(host);
    options["port"] = static_cast<int>(endpoint->port);
  }
  options["userName"] = sql::SQLString(endpoint->user);
  options["password"] = sql::SQLString(endpoint->password);
  if (!endpoint->database.empty()) options["schema"] = sql::SQLString(endpoint->database);
  const int connect_timeout = endpoint->connect_timeout_s;
  options["OPT_RECONNECT"] = false;
  options["CLIENT_MULTI_STATEMENTS"] = true;
  options["OPT_CONNECT_TIMEOUT"] = connect_timeout;
  options["OPT_CHARSET_NAME"] = sql::SQLString("utf8mb4");
  if (local_infile) options["OPT_LOCAL_INFILE"] = 1;
  try {
    driver_->threadInit();
    return std::unique_ptr<sql::Connection>(driver_->connect(options));
  } catch (const sql::SQLException& e) {
    int code = e.getErrorCode();
    std::string msg = "cannot connect to " + shown + ": " + Message(e) + ErrorSuffix(e);
    if (code == kErAccessDenied || code == kErDbAccessDenied || code == kErAccessDeniedNoPassword) {
      return Status::Connection(msg +
                                ": check the user name and password (in the URI or MYSQL_PWD) and the "
                                "user's privileges");
    }
    if (code == kErBadDb) {
      return Status::NotFound(msg + ": database '" + uri.database() +
                              "' does not exist on that server; check the name or create it");
    }
    if (code == kCrConnectionError || code == kCrConnHostError || code == kCrUnknownHost) {
      return Status::Connection(msg +
                                ": check that the server is running and the host, port or socket is "
                                "right");
    }
    return Status::Connection(msg);
  } catch (const std::exception& e) {
    return Status::Connection("cannot connect to " + shown + ": " + ScrubSecrets(e.what()));
  } catch (...) {
    return Status::Connection("cannot connect to " + shown + ": unknown exception from MySQL Connector/C++");
  }
}

}  // namespace cutover::mysql

CUTOVER_DEFINE_DRIVER_ENTRY("mysql", &cutover::mysql::MakeMysqlDriver)

namespace cutover::mysql {

// `restore --into` a database that does not exist yet: created on the
// URI's server with its credentials (utf8mb4, as scratch databases are; the
// snapshot's own tables carry their character sets). A database created by
// someone else in between counts as existing.
Result<bool> MysqlDriver::CreateTargetIfMissing(const ConnectionUri& uri) {
  const std::string name = uri.database();
  if (name.empty()) return Status::InvalidInput(uri.Redacted() + " names no database to restore into");
  auto created = CreateDatabase(uri, name);
  if (created.ok()) return true;
  if (created.status().sqlstate() == std::to_string(kErDbCreateExists)) return false;
  return created.status();
}

// The variables the mysql/mariadb clients read (MYSQL_HOST, MYSQL_TCP_PORT,
// MYSQL_UNIX_PORT, MYSQL_PWD), plus MYSQL_DATABASE and MYSQL_USER, which
// the clients do not read but containers and scripts commonly do.
Result<std::vector<std::pair<std::string, std::string>>> MysqlDriver::ClientEnvironment(
    const ConnectionUri& uri) const {
  if (uri.database().empty()) {
    return Status::InvalidInput("the MySQL/MariaDB URI " + uri.Redacted() + " names no database");
  }
  // A password cutover itself took from MYSQL_PWD goes to the child too,
  // inside DATABASE_URL as well: most clients do not read MYSQL_PWD.
  const char* inherited = std::getenv("MYSQL_PWD");
  const ConnectionUri full =
      !uri.password() && inherited != nullptr && *inherited != '\0' ? uri.WithPassword(inherited) : uri;
  std::vector<std::pair<std::string, std::string>> env{{"DATABASE_URL", full.Text()}};
  if (!full.host().empty()) env.emplace_back("MYSQL_HOST", full.host());
  env.emplace_back("MYSQL_TCP_PORT", std::to_string(uri.port().value_or(3306)));
  if (auto socket = uri.param("socket"); socket) env.emplace_back("MYSQL_UNIX_PORT", *socket);
  env.emplace_back("MYSQL_DATABASE", uri.database());
  if (!uri.user().empty()) env.emplace_back("MYSQL_USER", uri.user());
  if (full.password()) env.emplace_back("MYSQL_PWD", *full.password());
  // The other variables the clients read to choose a server or credentials
  // are removed (empty value), so an inherited one cannot redirect them.
  for (const char* variable : {"MYSQL_HOST", "MYSQL_UNIX_PORT", "MYSQL_PWD", "MYSQL_USER", "MYSQL_HOME"}) {
    if (std::none_of(env.begin(), env.end(), [&](const auto& kv) { return kv.first == variable; }))
      env.emplace_back(variable, "");
  }
  return env;
}

Status MysqlDriver::DropTarget(const ConnectionUri& uri) {
  if (uri.database().empty()) return Status::InvalidInput(uri.Redacted() + " names no database to drop");
  return DropDatabase(uri, uri.database());
}

Result<ConnectionUri> MysqlDriver::LocalScratchServer(const std::string& /*directory*/) const {
  return Status::Unsupported("MySQL/MariaDB needs a scratch server: give --scratch or set [scratch] uri");
}

}  // namespace cutover::mysql
