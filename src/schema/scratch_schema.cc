#include "schema/scratch_schema.h"

#include <signal.h>

#include <chrono>
#include <ctime>
#include <random>

namespace cutover {
namespace {

// Blocks termination signals for its lifetime; pending ones are delivered
// when it is destroyed.
class TerminationSignalsHeld {
 public:
  TerminationSignalsHeld() {
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGINT);
    sigaddset(&set, SIGTERM);
    sigaddset(&set, SIGHUP);
    sigprocmask(SIG_BLOCK, &set, &previous_);
  }
  ~TerminationSignalsHeld() { sigprocmask(SIG_SETMASK, &previous_, nullptr); }
  TerminationSignalsHeld(const TerminationSignalsHeld&) = delete;
  TerminationSignalsHeld& operator=(const TerminationSignalsHeld&) = delete;

 private:
  sigset_t previous_;
};

}  // namespace

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

Result<SchemaModel> SchemaFromDdl(Driver& driver, const ConnectionUri& scratch_server, std::string_view ddl,
                                  const std::string& source) {
  TerminationSignalsHeld hold;
  const std::string name = NewScratchName();
  auto created = driver.CreateDatabase(scratch_server, name);
  if (!created.ok()) {
    return created.status().WithContext("creating scratch database " + name + " on " +
                                        scratch_server.Redacted());
  }
  Result<SchemaModel> model = Status::Internal("not read");
  {
    auto conn = driver.Connect(*created);
    if (!conn.ok()) {
      model = conn.status().WithContext("connecting to scratch database " + created->Redacted());
    } else if (Status st = (*conn)->ExecuteScript(ddl); !st.ok()) {
      model = Status::InvalidInput(source + ": the DDL failed on the scratch database: " + st.message() +
                                   "; fix the file and run again");
    } else {
      model = (*conn)->ReadSchema();
    }
  }  // the connection closes before the database is dropped
  Status dropped = driver.DropDatabase(scratch_server, name);
  if (!dropped.ok()) {
    return dropped.WithContext("dropping scratch database " + name + " on " + scratch_server.Redacted() +
                               " (drop it by hand)");
  }
  return model;
}

}  // namespace cutover
