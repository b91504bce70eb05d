// migrations-examples/ end to end, per engine, through the real cutover binary
// against the test servers (PostgreSQL, MariaDB) and SQLite files:
//   - the baseline migration's DDL builds exactly the fixture's schema;
//   - the whole plan applies to a copy of the shop (baseline recorded, then
//     expand, backfill and contract of each migration in turn), every checks.sql
//     passes, the data survives, the dual-write triggers do their job while both
//     columns exist, and `status` reports everything applied;
//   - for each migration N: expand N then rollback N leaves zero drift against
//     the schema saved just before;
//   - `lint` finds no error in any engine's plan.
// Each test creates its own scratch databases (dropped afterwards).
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <tuple>
#include <vector>

#include "support/process.h"
#include "support/test_env.h"

namespace cutover {
namespace {
namespace fs = std::filesystem;

using testing::RunResult;

std::string PlanDir(const std::string& engine) {
  return testing::SourceDir() + "/migrations-examples/" + engine;
}

// The migration folders of a plan, in order (0000_shop_baseline first).
std::vector<std::string> Migrations(const std::string& engine) {
  std::vector<std::string> names;
  for (const auto& entry : fs::directory_iterator(PlanDir(engine))) {
    if (entry.is_directory()) names.push_back(entry.path().filename().string());
  }
  std::sort(names.begin(), names.end());
  return names;
}

using Rows = std::vector<std::vector<std::string>>;

// Every row of a query as text ("NULL" for NULL); a failure is recorded.
Rows Select(Connection& conn, const std::string& sql) {
  Rows rows;
  Status st = conn.Query(sql, [&](RowView row) {
    std::vector<std::string> r;
    for (const Cell& c : row) r.push_back(c.is_null() ? "NULL" : std::string(c.data));
    rows.push_back(std::move(r));
    return Status::Ok();
  });
  EXPECT_TRUE(st.ok()) << sql << ": " << st.ToString();
  return rows;
}

std::string One(Connection& conn, const std::string& sql) {
  Rows rows = Select(conn, sql);
  if (rows.size() != 1 || rows[0].size() != 1) {
    ADD_FAILURE() << sql << ": expected one value, got " << rows.size() << " rows";
    return {};
  }
  return rows[0][0];
}

class ExamplesTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / testing::UniqueName("cutover-examples-");
    fs::create_directories(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }

  RunResult Run(const std::vector<std::string>& args) { return testing::RunCutover(args); }
  std::string Repo() const { return (dir_ / "repo").string(); }

  // `cutover apply` of one phase up to and including `to`; expects exit 0.
  void Apply(const std::string& engine, const std::string& uri, const std::string& phase,
             const std::string& to, const std::vector<std::string>& extra = {}) {
    // The examples' SQL is under test here, not the gate (tests/rehearse).
    std::vector<std::string> args = {"apply",
                                     uri,
                                     "--plan",
                                     PlanDir(engine),
                                     "--phase",
                                     phase,
                                     "--to",
                                     to,
                                     "--repo",
                                     Repo(),
                                     "--no-gate",
                                     "--reason",
                                     "examples test: the migrations' SQL, not the gate"};
    args.insert(args.end(), extra.begin(), extra.end());
    RunResult r = Run(args);
    EXPECT_EQ(r.exit_code, 0) << "apply --phase " << phase << " --to " << to << " on " << engine << "\n"
                              << r.out << r.err;
  }

  // Records the baseline on a database that already holds the shop (--baseline
  // records every phase of the migrations up to --to, so it takes no --phase).
  void Baseline(const std::string& engine, const std::string& uri) {
    RunResult r = Run({"apply", uri, "--plan", PlanDir(engine), "--to", "0000_shop_baseline", "--baseline"});
    EXPECT_EQ(r.exit_code, 0) << "apply --baseline on " << engine << "\n" << r.out << r.err;
  }

  // Expand, backfill and contract of one migration: the examples are a sequence
  // of releases, each finished before the next one starts (README.md).
  void ApplyWhole(const std::string& engine, const std::string& uri, const std::string& migration) {
    for (const char* phase : {"expand", "backfill", "contract"}) {
      Apply(engine, uri, phase, migration,
            std::string(phase) == "backfill" ? std::vector<std::string>{"--batch-size", "2"}
                                             : std::vector<std::string>{});
    }
  }

  fs::path dir_;
};

// The fixture's schema (with its data) in a new scratch database.
std::unique_ptr<testing::ScratchDatabase> Shop(const std::string& engine) {
  auto db = std::make_unique<testing::ScratchDatabase>(engine);
  if (db->name().empty()) return nullptr;
  db->Exec(testing::ReadFileOrDie(testing::SourceDir() + "/fixtures/" + engine + "/shop.sql"));
  return db;
}

class ExamplesPerEngine : public ExamplesTest, public ::testing::WithParamInterface<std::string> {};

TEST_P(ExamplesPerEngine, BaselineBuildsExactlyTheFixtureSchema) {
  const std::string engine = GetParam();
  auto fixture = Shop(engine);
  ASSERT_NE(fixture, nullptr);
  testing::ScratchDatabase baseline(engine);
  ASSERT_FALSE(baseline.name().empty());
  baseline.Exec(testing::ReadFileOrDie(PlanDir(engine) + "/0000_shop_baseline/expand.sql"));
  ASSERT_FALSE(HasFailure());

  auto a = fixture->Connect();
  auto b = baseline.Connect();
  ASSERT_TRUE(a && b);
  auto expected = a->ReadSchema();
  auto actual = b->ReadSchema();
  ASSERT_TRUE(expected.ok()) << expected.status().ToString();
  ASSERT_TRUE(actual.ok()) << actual.status().ToString();
  EXPECT_GT(expected->objects.size(), 20u);
  EXPECT_TRUE(testing::DriftLines(*expected, *actual).empty())
      << "0000_shop_baseline/expand.sql no longer matches fixtures/" << engine
      << "/shop.sql: copy the fixture's DDL again\n"
      << ::testing::PrintToString(testing::DriftLines(*expected, *actual));
  // The baseline holds no rows: it is the schema only.
  EXPECT_EQ(One(*b, "SELECT count(*) FROM customers"), "0");
}

TEST_P(ExamplesPerEngine, WholePlanAppliesAndTheDataSurvives) {
  const std::string engine = GetParam();
  auto shop = Shop(engine);
  ASSERT_NE(shop, nullptr);
  const std::string uri = shop->uri().Text();
  auto conn = shop->Connect();
  ASSERT_NE(conn, nullptr);

  // What the app has before: names and countries per customer, row counts.
  std::map<std::string, std::pair<std::string, std::string>> customers;  // id -> (full_name, country)
  for (const auto& r : Select(*conn, "SELECT id, full_name, country FROM customers")) {
    customers[r[0]] = {r[1], r[2]};
  }
  ASSERT_GE(customers.size(), 3u);
  std::map<std::string, std::string> counts;
  for (const char* t : {"orders", "order_items", "payments", "products"}) {
    counts[t] = One(*conn, std::string("SELECT count(*) FROM ") + t);
  }

  Baseline(engine, uri);
  const std::vector<std::string> migrations = Migrations(engine);
  ASSERT_EQ(migrations.size(), 8u);
  for (size_t i = 1; i < migrations.size(); ++i) {
    const std::string& m = migrations[i];
    Apply(engine, uri, "expand", m);
    if (m == "0002_split_customer_name") {
      // The previous app version writes full_name only: the trigger splits it.
      ASSERT_TRUE(conn->Execute("INSERT INTO customers (email, full_name) "
                                "VALUES ('old.app@example.com', 'Old App Writer')")
                      .ok());
      EXPECT_EQ(
          Select(*conn, "SELECT first_name, last_name FROM customers WHERE email = 'old.app@example.com'"),
          (Rows{{"Old", "App Writer"}}));
    }
    if (m == "0003_rename_customer_country") {
      // Both app versions at once: each one's column is copied to the other.
      ASSERT_TRUE(conn->Execute("INSERT INTO customers (email, first_name, last_name, country) "
                                "VALUES ('old.country@example.com', 'Old', 'Country', 'DE')")
                      .ok());
      ASSERT_TRUE(conn->Execute("INSERT INTO customers (email, first_name, last_name, country_code) "
                                "VALUES ('new.country@example.com', 'New', 'Country', 'IT')")
                      .ok());
      EXPECT_EQ(Select(*conn,
                       "SELECT email, country, country_code FROM customers "
                       "WHERE email LIKE '%.country@example.com' ORDER BY email"),
                (Rows{{"new.country@example.com", "IT", "IT"}, {"old.country@example.com", "DE", "DE"}}));
    }
    Apply(engine, uri, "backfill", m, {"--batch-size", "2"});
    Apply(engine, uri, "contract", m);
    ASSERT_FALSE(HasFailure()) << "stopped at " << m;
  }

  auto status = Run({"status", uri, "--plan", PlanDir(engine)});
  EXPECT_EQ(status.exit_code, 0) << status.out << status.err;
  for (const auto& m : migrations) EXPECT_NE(status.out.find(m), std::string::npos) << status.out;
  EXPECT_EQ(status.out.find("pending"), std::string::npos) << status.out;

  // Every fixture customer split right and kept its country; the test's own three
  // customers are there too.
  Rows rows = Select(*conn, "SELECT id, first_name, last_name, country_code FROM customers");
  EXPECT_EQ(rows.size(), customers.size() + 3);
  for (const auto& r : rows) {
    auto it = customers.find(r[0]);
    if (it == customers.end()) continue;
    EXPECT_EQ(r[1] + " " + r[2], it->second.first) << "customer " << r[0];
    EXPECT_EQ(r[3], it->second.second) << "customer " << r[0];
  }
  for (const auto& [table, n] : counts) EXPECT_EQ(One(*conn, "SELECT count(*) FROM " + table), n) << table;

  // The widened column holds what an int could not.
  const std::string order = One(*conn, "SELECT min(id) FROM orders");
  ASSERT_TRUE(conn->Execute("UPDATE orders SET loyalty_points = 5000000000 WHERE id = " + order).ok());
  EXPECT_EQ(One(*conn, "SELECT loyalty_points FROM orders WHERE id = " + order), "5000000000");
  // NOT NULL names and the country foreign key are enforced.
  EXPECT_FALSE(conn->Execute("INSERT INTO customers (email, first_name, last_name, country_code) "
                             "VALUES ('no.last@example.com', 'No', NULL, 'FR')")
                   .ok());
  EXPECT_FALSE(conn->Execute("INSERT INTO customers (email, first_name, last_name, country_code) "
                             "VALUES ('nowhere@example.com', 'No', 'Where', 'ZZ')")
                   .ok());
  EXPECT_EQ(One(*conn, "SELECT count(*) FROM countries WHERE code IN ('GB', 'US', 'FR', 'DE', 'IT')"), "5");
}

TEST_P(ExamplesPerEngine, LintFindsNoError) {
  const std::string engine = GetParam();
  // The whole plan, and from 0001 on: 0000_shop_baseline creates every shop table,
  // so only with --from do the lock and rewrite rules treat them as the tables
  // with data they are in production.
  for (const std::vector<std::string>& from :
       {std::vector<std::string>{}, std::vector<std::string>{"--from", "0001_add_order_loyalty_points"}}) {
    std::vector<std::string> args = {"lint", PlanDir(engine), "--engine", engine, "--json"};
    args.insert(args.end(), from.begin(), from.end());
    auto r = Run(args);
    EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
    auto doc = nlohmann::json::parse(r.out, nullptr, false);
    ASSERT_FALSE(doc.is_discarded()) << r.out;
    EXPECT_EQ(doc["summary"]["errors"], 0) << r.out;
    EXPECT_EQ(doc["summary"]["migrations"], from.empty() ? 8 : 7) << r.out;
  }
}

INSTANTIATE_TEST_SUITE_P(Engines, ExamplesPerEngine, ::testing::Values("postgresql", "mysql", "sqlite"),
                         [](const auto& param_info) { return param_info.param; });

// Expand then rollback of migration N, on a shop with 1..N-1 applied, leaves the
// schema exactly as it was.
class ExamplesRollback : public ExamplesTest,
                         public ::testing::WithParamInterface<std::tuple<std::string, int>> {};

TEST_P(ExamplesRollback, ExpandThenRollbackLeavesNoDrift) {
  const auto& [engine, n] = GetParam();
  const std::vector<std::string> migrations = Migrations(engine);
  ASSERT_LT(static_cast<size_t>(n), migrations.size());
  auto shop = Shop(engine);
  ASSERT_NE(shop, nullptr);
  const std::string uri = shop->uri().Text();

  Baseline(engine, uri);
  for (int i = 1; i < n; ++i) ApplyWhole(engine, uri, migrations[i]);
  ASSERT_FALSE(HasFailure());

  const std::string saved = (dir_ / "before.json").string();
  auto schema = Run({"schema", uri, "--json"});
  ASSERT_EQ(schema.exit_code, 0) << schema.err;
  std::ofstream(saved) << schema.out;

  Apply(engine, uri, "expand", migrations[n]);
  // The expand really changed the schema, so zero drift below means something.
  auto changed = Run({"drift", uri, "--against", saved});
  EXPECT_EQ(changed.exit_code, engine == "sqlite" && n == 4 ? 0 : 1) << changed.out << changed.err;

  Apply(engine, uri, "rollback", migrations[n]);
  auto drift = Run({"drift", uri, "--against", saved});
  EXPECT_EQ(drift.exit_code, 0) << "rollback of " << migrations[n] << " left drift:\n"
                                << drift.out << drift.err;

  auto status = Run({"status", uri, "--plan", PlanDir(engine)});
  EXPECT_EQ(status.exit_code, 0) << status.out << status.err;
}

INSTANTIATE_TEST_SUITE_P(Migrations, ExamplesRollback,
                         ::testing::Combine(::testing::Values("postgresql", "mysql", "sqlite"),
                                            ::testing::Range(1, 8)),
                         [](const auto& param_info) {
                           return std::get<0>(param_info.param) + "_" +
                                  std::to_string(std::get<1>(param_info.param));
                         });

}  // namespace
}  // namespace cutover
