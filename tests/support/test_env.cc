#include "support/test_env.h"

#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <random>
#include <sstream>

#include "base/strings.h"
#include "schema/drift.h"

namespace cutover::testing {
namespace fs = std::filesystem;

const std::vector<std::string>& AllEngines() {
  static const std::vector<std::string> engines = {"postgresql", "mysql", "sqlite"};
  return engines;
}

DriverLoader& TestLoader() {
  static DriverLoader loader(std::vector<std::string>{CUTOVER_TEST_DRIVER_DIR});
  return loader;
}

std::string UniqueName(const std::string& prefix) {
  static std::mt19937_64 rng{std::random_device{}()};
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out = prefix;
  auto bits = rng();
  for (int i = 0; i < 12; ++i) {
    out += kHex[bits & 15];
    bits >>= 4;
  }
  return out;
}

ConnectionUri ServerUri(const std::string& engine) {
  if (engine == "sqlite") {
    fs::path dir = fs::temp_directory_path() / UniqueName("cutover-test-sqlite-");
    fs::create_directories(dir);
    ::chmod(dir.c_str(), 0700);
    auto uri = ConnectionUri::Parse("sqlite://" + dir.string());
    if (!uri.ok()) ADD_FAILURE() << uri.status().ToString();
    return *uri;
  }
  const char* var = engine == "postgresql" ? "CUTOVER_TEST_PG_URI" : "CUTOVER_TEST_MYSQL_URI";
  const char* value = std::getenv(var);
  if (value == nullptr || *value == '\0') {
    ADD_FAILURE()
        << var << " is not set: the " << engine
        << " tests need the test servers. Run them through scripts/test.sh, or start the servers with "
           "scripts/test-servers.sh start and source the env file it prints.";
    return *ConnectionUri::Parse("sqlite:///nonexistent");
  }
  auto uri = ConnectionUri::Parse(value);
  if (!uri.ok()) {
    ADD_FAILURE() << var << " is not a valid URI: " << uri.status().ToString();
    return *ConnectionUri::Parse("sqlite:///nonexistent");
  }
  return *uri;
}

Driver* TestDriver(const std::string& engine) {
  auto driver = TestLoader().Get(engine);
  if (!driver.ok()) {
    ADD_FAILURE() << "cannot load the " << engine << " driver: " << driver.status().ToString();
    return nullptr;
  }
  return *driver;
}

ScratchDatabase::ScratchDatabase(const std::string& engine)
    : engine_(engine), name_(UniqueName("cutover_scratch_test_")), server_(ServerUri(engine)), uri_(server_) {
  Driver* driver = TestDriver(engine);
  if (driver == nullptr) {
    name_.clear();
    return;
  }
  auto created = driver->CreateDatabase(server_, name_);
  if (!created.ok()) {
    ADD_FAILURE() << "cannot create scratch database " << name_ << " on " << server_.Redacted() << ": "
                  << created.status().ToString();
    name_.clear();
    return;
  }
  uri_ = *created;
}

ScratchDatabase::~ScratchDatabase() {
  if (name_.empty()) return;
  Driver* driver = TestDriver(engine_);
  if (driver == nullptr) return;
  Status st = driver->DropDatabase(server_, name_);
  if (!st.ok()) ADD_FAILURE() << "cannot drop scratch database " << name_ << ": " << st.ToString();
  if (engine_ == "sqlite") {
    std::error_code ec;
    fs::remove_all(server_.path(), ec);
  }
}

std::unique_ptr<Connection> ScratchDatabase::Connect() const {
  Driver* driver = TestDriver(engine_);
  if (driver == nullptr) return nullptr;
  auto conn = driver->Connect(uri_);
  if (!conn.ok()) {
    ADD_FAILURE() << "cannot connect to scratch database " << uri_.Redacted() << ": "
                  << conn.status().ToString();
    return nullptr;
  }
  return std::move(*conn);
}

void ScratchDatabase::Exec(const std::string& script) const {
  auto conn = Connect();
  if (!conn) return;
  Status st = conn->ExecuteScript(script);
  if (!st.ok()) ADD_FAILURE() << "script failed on " << engine_ << ": " << st.ToString();
}

std::string ReadFileOrDie(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    ADD_FAILURE() << "cannot read " << path;
    return {};
  }
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

std::string SourceDir() {
  return CUTOVER_SOURCE_DIR;
}

std::string Dump(const SchemaModel& model) {
  std::string out;
  for (const auto& obj : model.objects) {
    out += std::string(ObjectKindName(obj.kind)) + " " + obj.Path() + " {";
    for (const auto& [k, v] : obj.attributes) out += " " + k + "=" + v;
    out += " }\n";
  }
  return out;
}

std::set<std::string> DriftLines(const SchemaModel& expected, const SchemaModel& actual) {
  auto report = ComputeDrift(expected, actual, DriftOptions{});
  std::set<std::string> lines;
  if (!report.ok()) {
    ADD_FAILURE() << report.status().ToString();
    return lines;
  }
  for (const auto& d : report->differences) {
    lines.insert(std::string(DiffKindName(d.kind)) + " " + ObjectKindName(d.object_kind) + " " + d.path);
  }
  return lines;
}

long StatusKb(const std::string& field) {
  std::ifstream in("/proc/self/status");
  std::string line;
  while (std::getline(in, line)) {
    if (StartsWith(line, field + ":")) return std::stol(line.substr(field.size() + 1));
  }
  ADD_FAILURE() << field << " not in /proc/self/status";
  return -1;
}

long ResetPeakRssKb() {
  {
    std::ofstream clear("/proc/self/clear_refs");
    clear << "5";
  }
  const long rss = StatusKb("VmRSS");
  const long hwm = StatusKb("VmHWM");
  if (rss < 0 || hwm > rss + 1024) {
    ADD_FAILURE() << "could not reset VmHWM through /proc/self/clear_refs (VmHWM " << hwm << " kB, VmRSS "
                  << rss << " kB)";
    return -1;
  }
  return rss;
}

std::string Scalar(Connection& conn, const std::string& sql) {
  std::string value = "<no row>";
  bool first = true;
  Status st = conn.Query(sql, [&](RowView row) {
    if (first) value = row.empty() || row[0].is_null() ? "<null>" : std::string(row[0].data);
    first = false;
    return Status::Ok();
  });
  EXPECT_TRUE(st.ok()) << sql << ": " << st.ToString();
  return value;
}

RecordBatchSource BatchesOf(const std::vector<std::string>& records, size_t per_batch) {
  auto views = std::make_shared<std::vector<std::string_view>>(records.begin(), records.end());
  auto next = std::make_shared<size_t>(0);
  return [views, next, per_batch]() -> Result<std::span<const std::string_view>> {
    const size_t start = std::min(*next, views->size());
    const size_t n = std::min(per_batch, views->size() - start);
    *next = start + n;
    return std::span<const std::string_view>(views->data() + start, n);
  };
}

Result<std::int64_t> ImportRecords(Connection& conn, const DataTable& table,
                                   const std::vector<std::string>& records, size_t per_batch) {
  return conn.ImportRows(table, BatchesOf(records, per_batch));
}

std::string TableLabel(const DataTable& t) {
  return t.schema.empty() ? t.name : t.schema + "." + t.name;
}

std::vector<std::string> ExportRecords(Connection& conn, const DataTable& t, std::string_view predicate) {
  std::vector<std::string> out;
  Status st = conn.ExportRows(t, predicate, [&](std::string_view record) {
    out.emplace_back(record);
    return Status::Ok();
  });
  EXPECT_TRUE(st.ok()) << TableLabel(t) << " [" << predicate << "]: " << st.ToString();
  return out;
}

std::multiset<std::string> Bag(const std::vector<std::string>& records) {
  return {records.begin(), records.end()};
}

DriverSnapshot TakeDriverSnapshot(Connection& conn, const SnapshotOptions& options) {
  DriverSnapshot s;
  auto point = conn.BeginSnapshot(options);
  EXPECT_TRUE(point.ok()) << point.status().ToString();
  if (!point.ok()) return s;
  s.point = *point;
  auto tables = conn.ListDataTables();
  EXPECT_TRUE(tables.ok()) << tables.status().ToString();
  auto script = conn.DumpSchemaScript();
  EXPECT_TRUE(script.ok()) << script.status().ToString();
  auto model = conn.ReadSchema();
  EXPECT_TRUE(model.ok()) << model.status().ToString();
  EXPECT_TRUE(conn.ReleaseSnapshotBarrier().ok());
  if (tables.ok()) s.tables = *tables;
  if (script.ok()) s.script = *script;
  if (model.ok()) s.model = *model;
  for (const DataTable& t : s.tables) s.records[TableLabel(t)] = ExportRecords(conn, t);
  EXPECT_TRUE(conn.EndSnapshot().ok());
  return s;
}

}  // namespace cutover::testing
