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

Status WithScratchDatabase(
    Driver& driver, const ConnectionUri& scratch_server,
    const std::function<Status(const std::string& name, const ConnectionUri& database)>& use) {
  TerminationSignalsHeld hold;
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
  sigset_t pending;
  sigemptyset(&pending);
  if (sigpending(&pending) != 0) return false;
  return sigismember(&pending, SIGINT) == 1 || sigismember(&pending, SIGTERM) == 1 ||
         sigismember(&pending, SIGHUP) == 1;
}

Result<SchemaModel> SchemaFromDdl(Driver& driver, const ConnectionUri& scratch_server, std::string_view ddl,
                                  const std::string& source) {
  Result<SchemaModel> model = Status::Internal("not read");
  Status st = WithScratchDatabase(driver, scratch_server, [&](const std::string&, const ConnectionUri& db) {
    auto conn = driver.Connect(db);
    if (!conn.ok()) return conn.status().WithContext("connecting to scratch database " + db.Redacted());
    if (Status run = (*conn)->ExecuteScript(ddl); !run.ok()) {
      return Status::InvalidInput(source + ": the DDL failed on the scratch database: " + run.message() +
                                  "; fix the file and run again");
    }
    model = (*conn)->ReadSchema();
    return model.ok() ? Status::Ok() : model.status();
  });
  if (!st.ok()) return st;
  return model;
}

}  // namespace cutover
