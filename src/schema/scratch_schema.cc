#include "schema/scratch_schema.h"

#include <chrono>
#include <ctime>
#include <random>

#include "base/interrupt.h"

namespace cutover {

std::string NewScratchName() {
  std::time_t now = std::time(nullptr);
  std::tm tm{};
  gmtime_r(&now, &tm);
  char stamp[32];
  std::strftime(stamp, sizeof stamp, "%Y%m%d%H%M%S", &tm);
  static std::mt19937 rng{std::random_device{}()};
  static constexpr char kHex[] = "0123456789abcdef";
  std::string suffix;
  for (int i = 0; i < 8; ++i) suffix += kHex[rng() & 15];
  return std::string(kScratchPrefix) + stamp + "_" + suffix;
}

Status WithScratchDatabase(
    Driver& driver, const ConnectionUri& scratch_server,
    const std::function<Status(const std::string& name, const ConnectionUri& database)>& use) {
  ScopedSignalsHeld hold;  // created means dropped: a signal waits until the drop
  const std::string name = NewScratchName();
  auto created = driver.CreateDatabase(scratch_server, name);
  if (!created.ok()) {
    return created.status().WithContext("creating scratch database " + name + " on " +
                                        scratch_server.Redacted());
  }
  Status used = use(name, *created);  // `use` closes its connections before the drop
  Status dropped = driver.DropDatabase(scratch_server, name);
  if (dropped.ok()) return used;
  const std::string drop_failure = "dropping scratch database " + name + " on " + scratch_server.Redacted() +
                                   " failed (drop it by hand): " + dropped.message();
  if (used.ok()) {
    return dropped.WithContext("dropping scratch database " + name + " on " + scratch_server.Redacted() +
                               " (drop it by hand)");
  }
  return used.WithContext(drop_failure + "; before that");
}

bool TerminationPending() {
  return InterruptToken::Requested();
}

Result<SchemaModel> SchemaFromDdl(Driver& driver, const ConnectionUri& scratch_server, std::string_view ddl,
                                  const std::string& source) {
  Result<SchemaModel> model = Status::Internal("not read");
  Status st = WithScratchDatabase(driver, scratch_server, [&](const std::string&, const ConnectionUri& db) {
    auto conn = driver.Connect(db);
    if (!conn.ok()) return conn.status().WithContext("connecting to scratch database " + db.Redacted());
    if (Status run = (*conn)->ExecuteScript(ddl); !run.ok()) {
      return Status::InvalidInput(source + ": the DDL failed on the scratch database: " + run.message() +
                                  "; fix the file and run again")
          .WithSqlstate(run.sqlstate());
    }
    model = (*conn)->ReadSchema();
    return model.ok() ? Status::Ok() : model.status();
  });
  if (!st.ok()) return st;
  return model;
}

}  // namespace cutover
