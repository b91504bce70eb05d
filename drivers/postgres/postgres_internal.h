// Internals of the PostgreSQL driver plugin that use libpqxx, shared by its
// source files. Nothing here crosses the plugin boundary.
#pragma once

#include <pqxx/pqxx>
#include <string_view>

#include "base/status.h"
#include "driver/driver.h"
#include "driver/schema_model.h"
#include "postgres_text.h"

namespace cutover::postgres {

// Maps the exception being handled (call from a catch block only) to a
// Status. `what` names what was being done ("running statement ... on URI");
// `options` says which limits were set, so an expired one is named.
// `connection_open` is false when the connection is known to be gone.
Status StatusFromException(std::string_view what, const ExecOptions& options, bool connection_open);

// Reads the whole schema of the database `tx` is connected to, with one
// catalog query per object family. The caller pins search_path, DateStyle,
// TimeZone... (see PgConnection::ReadSchema) so deparsed text is
// deterministic. Throws what libpqxx throws.
SchemaModel ReadSchemaIn(pqxx::transaction_base& tx, int server_version_num);

}  // namespace cutover::postgres
