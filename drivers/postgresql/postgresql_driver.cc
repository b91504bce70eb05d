// The PostgreSQL driver plugin's entry point and Driver: connecting
// (libpq conninfo from the URI), creating, dropping and listing databases.
#include <libpq-fe.h>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdlib>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "base/strings.h"
#include "base/uri.h"
#include "postgresql_internal.h"

namespace cutover::postgresql {
namespace {

constexpr const char* kDriverVersion = CUTOVER_VERSION;

std::string LibpqVersionText() {
  int v = PQlibVersion();
  return std::to_string(v / 10000) + "." + std::to_string(v % 10000);
}

// ---------------------------------------------------------------------------
// Driver.

// libpq's own reading of the URI: its keyword/value pairs that have a
// value. Bad parameters are kInvalidInput.
Result<std::vector<std::pair<std::string, std::string>>> ParsedConninfo(const ConnectionUri& uri) {
  char* err = nullptr;
  PQconninfoOption* opts = PQconninfoParse(uri.Text().c_str(), &err);
  if (opts == nullptr) {
    std::string msg = err != nullptr ? CleanMessage(err) : "out of memory";
    if (err != nullptr) PQfreemem(err);
    return Status::InvalidInput("the PostgreSQL URI " + uri.Redacted() + " is not accepted by libpq: " + msg +
                                "; see https://www.postgresql.org/docs/current/libpq-connect.html for valid "
                                "parameters");
  }
  std::vector<std::pair<std::string, std::string>> out;
  for (PQconninfoOption* o = opts; o->keyword != nullptr; ++o) {
    if (o->val != nullptr) out.emplace_back(o->keyword, o->val);
  }
  PQconninfoFree(opts);
  return out;
}

// Builds a libpq key=value conninfo string from the URI (so connect_timeout
// and fallback_application_name can be added when the URI does not set
// them). Bad parameters are kInvalidInput.
Result<std::string> BuildConninfo(const ConnectionUri& uri) {
  auto options = ParsedConninfo(uri);
  if (!options.ok()) return options.status();
  std::string out;
  bool has_timeout = false;
  bool has_app = false;
  for (const auto& [key, val] : *options) {
    if (key == "connect_timeout") has_timeout = true;
    if (key == "application_name" || key == "fallback_application_name") has_app = true;
    std::string value;
    for (char c : val) {
      if (c == '\'' || c == '\\') value += '\\';
      value += c;
    }
    out += key + "='" + value + "' ";
  }
  if (!has_timeout) out += "connect_timeout='10' ";
  if (!has_app) out += "fallback_application_name='cutover' ";
  return out;
}

// The URI of the maintenance database for server-level commands: the URI's
// own database, or "postgres" when it names none.
ConnectionUri MaintenanceUri(const ConnectionUri& server) {
  if (server.database().empty() && !server.param("dbname")) return server.WithDatabase("postgres");
  return server;
}

Status CheckDatabaseName(std::string_view name) {
  if (name.empty()) return Status::InvalidInput("empty database name");
  if (name.size() > 63) {
    return Status::InvalidInput(
        "database name '" + std::string(name) + "' is " + std::to_string(name.size()) +
        " bytes long; PostgreSQL names are at most 63 bytes (longer ones are truncated)");
  }
  if (name.find('\0') != std::string_view::npos || !IsValidUtf8(name)) {
    return Status::InvalidInput("database name contains a NUL byte or invalid UTF-8");
  }
  return Status::Ok();
}

}  // namespace

Result<std::unique_ptr<PgConnection>> OpenConnection(const ConnectionUri& uri) {
  CUTOVER_RETURN_IF_ERROR(uri.RequireServerForm("PostgreSQL"));
  auto conninfo = BuildConninfo(uri);
  if (!conninfo.ok()) return conninfo.status();
  auto raw = std::make_unique<RawHandle>();
  std::unique_ptr<PqxxConnection> conn;
  const std::string connecting = "connecting to " + uri.Redacted();
  Status connected = Guarded(
      connecting, false,
      [&] {
        conn = OpenRecordedConnection(*conninfo, raw.get());
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wdeprecated-declarations"
        conn->inhibit_reactivation(true);
#pragma GCC diagnostic pop
        return Status::Ok();
      },
      GuardOptions{}.Recognizing(
          [&](const std::exception& e) -> std::optional<Status> { return ConnectFailure(uri, e.what()); }));
  if (!connected.ok()) return connected;
  auto c = std::make_unique<PgConnection>(std::move(raw), std::move(conn), uri.Redacted());
  Status ready = Guarded("reading the server version of " + uri.Redacted(), false, [&] {
    c->Init();
    return Status::Ok();
  });
  if (!ready.ok()) return ready;
  return c;
}

Driver* MakePostgresDriver() {
  try {
    return new PgDriver();
  } catch (...) {
    return nullptr;
  }
}

PgDriver::PgDriver() {
  info_.name = "postgresql";
  info_.schemes = {"postgresql", "postgres"};
  info_.driver_version = kDriverVersion;
  info_.client_library = std::string("libpqxx ") + PQXX_VERSION + " / libpq " + LibpqVersionText();
  info_.clones_databases = true;  // CREATE DATABASE ... TEMPLATE
}

Result<std::unique_ptr<Connection>> PgDriver::Connect(const ConnectionUri& uri) {
  return Guarded("connecting to " + uri.Redacted(), false, [&]() -> Result<std::unique_ptr<Connection>> {
    auto c = OpenConnection(uri);
    if (!c.ok()) return c.status();
    return std::unique_ptr<Connection>(std::move(*c));
  });
}

Result<ConnectionUri> PgDriver::CreateDatabase(const ConnectionUri& server, std::string_view name) {
  CUTOVER_RETURN_IF_ERROR(CheckDatabaseName(name));
  return Guarded("creating database '" + std::string(name) + "'", true, [&]() -> Result<ConnectionUri> {
    auto c = OpenConnection(MaintenanceUri(server));
    if (!c.ok()) return c.status().WithContext("creating database '" + std::string(name) + "'");
    auto r = (*c)->Execute("CREATE DATABASE " + QuoteIdent(name) + " TEMPLATE template0 ENCODING 'UTF8'", {});
    if (!r.ok()) {
      if (r.status().sqlstate() == "42P04") {
        return Status::Query("cannot create database '" + std::string(name) + "' on " + server.Redacted() +
                                 ": it already exists; choose another name or drop it first",
                             "42P04");
      }
      return r.status().WithContext("creating database '" + std::string(name) + "'");
    }
    return server.WithDatabase(name);
  });
}

Status PgDriver::DropDatabase(const ConnectionUri& server, std::string_view name) {
  CUTOVER_RETURN_IF_ERROR(CheckDatabaseName(name));
  return Guarded("dropping database '" + std::string(name) + "'", true, [&]() -> Status {
    auto c = OpenConnection(MaintenanceUri(server));
    if (!c.ok()) return c.status().WithContext("dropping database '" + std::string(name) + "'");
    bool force = (*c)->server_info().version_number >= 130000;
    auto r =
        (*c)->Execute("DROP DATABASE IF EXISTS " + QuoteIdent(name) + (force ? " WITH (FORCE)" : ""), {});
    if (!r.ok()) return r.status().WithContext("dropping database '" + std::string(name) + "'");
    return Status::Ok();
  });
}

Result<std::vector<std::string>> PgDriver::ListDatabases(const ConnectionUri& server,
                                                         std::string_view prefix) {
  return Guarded(
      "listing databases on " + server.Redacted(), true, [&]() -> Result<std::vector<std::string>> {
        auto c = OpenConnection(MaintenanceUri(server));
        if (!c.ok()) return c.status().WithContext("listing databases");
        std::vector<std::string> names;
        Status st = (*c)->Query(
            "SELECT datname FROM pg_catalog.pg_database WHERE NOT datistemplate AND left(datname, length(" +
                QuoteLit(prefix) + ")) = " + QuoteLit(prefix) + " ORDER BY datname",
            [&](RowView row) {
              names.emplace_back(row[0].data);
              return Status::Ok();
            },
            {});
        if (!st.ok()) return st.WithContext("listing databases");
        std::erase_if(names, [&](const std::string& n) { return !StartsWith(n, prefix); });
        return names;
      });
}

}  // namespace cutover::postgresql

CUTOVER_DEFINE_DRIVER_ENTRY("postgresql", &cutover::postgresql::MakePostgresDriver)

namespace cutover::postgresql {

// `restore --into` a database that does not exist yet: created through the
// maintenance database with the URI's credentials (owned by its user, UTF8
// from template0, as scratch databases are). A database created by someone
// else in between counts as existing.
Result<bool> PgDriver::CreateTargetIfMissing(const ConnectionUri& uri) {
  const std::string name = uri.database();
  if (name.empty() || uri.param("dbname")) {
    return Status::InvalidInput(uri.Redacted() + ": name the database to restore into in the URI's path");
  }
  auto created = CreateDatabase(uri.WithDatabase(""), name);
  if (created.ok()) return true;
  if (created.status().sqlstate() == "42P04") return false;
  return created.status();
}

// libpq's own reading of the URI gives the values, so what the child sees
// is what cutover connected with (a host= parameter, a socket directory).
Result<std::vector<std::pair<std::string, std::string>>> PgDriver::ClientEnvironment(
    const ConnectionUri& uri) const {
  auto options = ParsedConninfo(uri);
  if (!options.ok()) return options.status();
  static const std::pair<const char*, const char*> kVariables[] = {
      {"host", "PGHOST"},       {"hostaddr", "PGHOSTADDR"},
      {"port", "PGPORT"},       {"dbname", "PGDATABASE"},
      {"user", "PGUSER"},       {"password", "PGPASSWORD"},
      {"sslmode", "PGSSLMODE"}, {"sslrootcert", "PGSSLROOTCERT"},
      {"sslcert", "PGSSLCERT"}, {"sslkey", "PGSSLKEY"},
      {"options", "PGOPTIONS"}};
  // A password cutover itself took from PGPASSWORD goes to the child too,
  // inside DATABASE_URL as well: not every client reads PGPASSWORD.
  const char* inherited = std::getenv("PGPASSWORD");
  const ConnectionUri with_password =
      !uri.password() && inherited != nullptr && *inherited != '\0' ? uri.WithPassword(inherited) : uri;
  std::vector<std::pair<std::string, std::string>> env{{"DATABASE_URL", with_password.Text()}};
  if (!uri.password() && with_password.password()) env.emplace_back("PGPASSWORD", *with_password.password());
  bool has_database = false;
  for (const auto& [key, value] : *options) {
    if (value.empty()) continue;
    for (const auto& [keyword, variable] : kVariables) {
      if (key != keyword) continue;
      env.emplace_back(variable, value);
      if (key == "dbname") has_database = true;
    }
  }
  // Every other variable libpq reads to choose a server or credentials:
  // removed (empty value), so an inherited one cannot send the client
  // elsewhere than `uri`.
  for (const char* variable :
       {"PGHOST", "PGHOSTADDR", "PGPORT", "PGDATABASE", "PGUSER", "PGPASSWORD", "PGPASSFILE", "PGSERVICE",
        "PGSERVICEFILE", "PGOPTIONS", "PGSSLMODE", "PGREQUIRESSL", "PGSSLROOTCERT", "PGSSLCERT", "PGSSLKEY",
        "PGTARGETSESSIONATTRS"}) {
    if (std::none_of(env.begin(), env.end(), [&](const auto& kv) { return kv.first == variable; }))
      env.emplace_back(variable, "");
  }
  if (!has_database) {
    return Status::InvalidInput("the PostgreSQL URI " + uri.Redacted() + " names no database");
  }
  return env;
}

Status PgDriver::DropTarget(const ConnectionUri& uri) {
  if (uri.database().empty() || uri.param("dbname")) {
    return Status::InvalidInput(uri.Redacted() + ": name the database to drop in the URI's path");
  }
  return DropDatabase(uri.WithDatabase(""), uri.database());
}

Result<ConnectionUri> PgDriver::LocalScratchServer(const std::string& /*directory*/) const {
  return Status::Unsupported("PostgreSQL needs a scratch server: give --scratch or set [scratch] uri");
}

// FILE_COPY copies the source's files instead of WAL-logging every block
// (WAL_LOG, the PostgreSQL 15 default, is slower for large databases and
// fills the WAL). The server refuses while anyone is connected to `source`.
Result<ConnectionUri> PgDriver::CloneDatabase(const ConnectionUri& server, std::string_view source,
                                              std::string_view name) {
  CUTOVER_RETURN_IF_ERROR(CheckDatabaseName(source));
  CUTOVER_RETURN_IF_ERROR(CheckDatabaseName(name));
  const std::string what = "cloning database '" + std::string(source) + "' into '" + std::string(name) + "'";
  return Guarded(what, true, [&]() -> Result<ConnectionUri> {
    auto c = OpenConnection(MaintenanceUri(server));
    if (!c.ok()) return c.status().WithContext(what);
    const bool strategy = (*c)->server_info().version_number >= 150000;
    auto r = (*c)->Execute("CREATE DATABASE " + QuoteIdent(name) + " TEMPLATE " + QuoteIdent(source) +
                               (strategy ? " STRATEGY FILE_COPY" : ""),
                           {});
    if (r.ok()) return server.WithDatabase(name);
    const std::string state = r.status().sqlstate();
    if (state == "42P04") {
      return Status::Query("cannot clone into database '" + std::string(name) + "' on " + server.Redacted() +
                               ": it already exists; choose another name or drop it first",
                           state);
    }
    if (state == "3D000") {
      return Status::NotFound("cannot clone database '" + std::string(source) + "' on " + server.Redacted() +
                              ": it does not exist");
    }
    if (state == "55006") {
      return Status::Query("cannot clone database '" + std::string(source) + "' on " + server.Redacted() +
                               ": other sessions are connected to it; close them and try again",
                           state);
    }
    return r.status().WithContext(what);
  });
}

}  // namespace cutover::postgresql
