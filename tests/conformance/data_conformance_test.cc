// The bulk-data conformance suite: one set of tests for the driver API v2
// methods (snapshots, schema scripts, record export/import, SplitScript,
// IsEmptyDatabase, CheckIntegrity), run against every driver. It proves what
// the snapshot core relies on: a restore into a fresh database reproduces the
// schema fingerprint and byte-identical records, ranges on split_column
// partition a table, a snapshot does not see later commits, and export
// memory stays bounded. Engine-specific behaviour is tested in
// drivers/<engine>/<engine>_test.cc.
#include <gtest/gtest.h>

#include <fstream>
#include <map>
#include <set>
#include <span>
#include <thread>

#include "base/strings.h"
#include "schema/fingerprint.h"
#include "support/test_env.h"

namespace cutover {
namespace {

using testing::ImportRecords;
using testing::ScratchDatabase;

// The little SQL that differs per engine.
struct EngineSql {
  std::string bigint;       // a 64-bit integer column type
  std::string int_pk;       // an integer primary key column (the split column)
  std::string text;         // unbounded text
  std::string real;         // 64-bit floating point
  std::string blob;         // unbounded binary
  std::string blob_prefix;  // a binary literal is blob_prefix + hex + blob_suffix
  std::string blob_suffix;
  std::string setup;         // run first on every source database
  std::string million_rows;  // INSERT INTO %s (id, payload): 1M rows of ~200 bytes
};

const EngineSql& Sql(const std::string& engine) {
  static const std::map<std::string, EngineSql> sql = {
      {"postgresql",
       {"bigint", "bigint PRIMARY KEY", "text", "double precision", "bytea", "decode('", "', 'hex')", "",
        "INSERT INTO %s SELECT n, repeat('x', 200) || n::text FROM generate_series(1, 1000000) AS n"}},
      {"mysql",
       {"bigint", "bigint PRIMARY KEY", "longtext", "double", "longblob", "X'", "'", "",
        "INSERT INTO %s SELECT seq, CONCAT(REPEAT('x', 200), seq) FROM seq_1_to_1000000"}},
      {"sqlite",
       {"INTEGER", "INTEGER PRIMARY KEY", "TEXT", "REAL", "BLOB", "X'", "'",
        // WAL: a writer can commit while a snapshot reads (with a rollback
        // journal it waits instead; drivers/sqlite tests both).
        "PRAGMA journal_mode = WAL",
        "WITH RECURSIVE g(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM g WHERE n < 1000000) "
        "INSERT INTO %s SELECT n, printf('%%.200c', 'x') || n FROM g"}},
  };
  return sql.at(engine);
}

std::string Format(std::string pattern, const std::string& arg) {
  const size_t at = pattern.find("%s");
  if (at != std::string::npos) pattern.replace(at, 2, arg);
  for (size_t p = pattern.find("%%"); p != std::string::npos; p = pattern.find("%%", p + 1))
    pattern.erase(p, 1);
  return pattern;
}

std::string Hex(std::string_view bytes) {
  static const char* digits = "0123456789abcdef";
  std::string out;
  for (unsigned char c : bytes) {
    out.push_back(digits[c >> 4]);
    out.push_back(digits[c & 15]);
  }
  return out;
}

using testing::Scalar;

using Taken = testing::DriverSnapshot;

// A table's records as a multiset (the core's digest does not depend on
// order either).
std::multiset<std::string> ExportAll(Connection& conn, const DataTable& t,
                                     const std::string& predicate = "") {
  return testing::Bag(testing::ExportRecords(conn, t, predicate));
}

const DataTable* FindTable(const std::vector<DataTable>& tables, const std::string& name) {
  for (const auto& t : tables) {
    if (t.name == name) return &t;
  }
  ADD_FAILURE() << "ListDataTables() has no table " << name;
  return nullptr;
}

Taken TakeSnapshot(Connection& conn) {
  return testing::TakeDriverSnapshot(conn);
}

// The snapshot's records of the table named `name` (any schema).
const std::vector<std::string>& RecordsOf(const Taken& s, const std::string& name) {
  static const std::vector<std::string> kNone;
  const DataTable* t = FindTable(s.tables, name);
  return t != nullptr ? s.records.at(testing::TableLabel(*t)) : kNone;
}

// Restores `s` into the new database `db` the way the core does, then checks
// what a restore test checks: the same fingerprint, byte-identical records,
// no integrity problems.
void RestoreAndCompare(const Taken& s, const ScratchDatabase& db) {
  auto into = db.Connect();
  ASSERT_NE(into, nullptr);
  auto empty = into->IsEmptyDatabase();
  ASSERT_TRUE(empty.ok()) << empty.status().ToString();
  ASSERT_TRUE(*empty) << "a new database must be empty";
  Status pre = into->ExecuteScript(s.script.pre_data);
  ASSERT_TRUE(pre.ok()) << pre.ToString() << "\n--- pre_data:\n" << s.script.pre_data;
  for (const DataTable& t : s.tables) {
    auto loader = db.Connect();  // the core loads on worker connections
    ASSERT_NE(loader, nullptr);
    const auto& rows = s.records.at(testing::TableLabel(t));
    auto n = ImportRecords(*loader, t, rows);
    ASSERT_TRUE(n.ok()) << t.name << ": " << n.status().ToString();
    EXPECT_EQ(*n, static_cast<std::int64_t>(rows.size())) << t.name;
  }
  Status post = into->ExecuteScript(s.script.post_data);
  ASSERT_TRUE(post.ok()) << post.ToString() << "\n--- post_data:\n" << s.script.post_data;

  auto checker = db.Connect();  // a fresh session, as the restore test uses
  ASSERT_NE(checker, nullptr);
  auto restored = checker->ReadSchema();
  ASSERT_TRUE(restored.ok()) << restored.status().ToString();
  EXPECT_EQ(Fingerprint(*restored), Fingerprint(s.model));
  for (const auto& line : testing::DriftLines(s.model, *restored))
    ADD_FAILURE() << "drift after restore: " << line;
  for (const DataTable& t : s.tables) {
    EXPECT_TRUE(ExportAll(*checker, t) == testing::Bag(s.records.at(testing::TableLabel(t))))
        << "re-exported records of " << t.name << " differ from the snapshot's";
  }
  std::string checks;
  auto problems = checker->CheckIntegrity(&checks);
  if (!problems.ok()) {
    EXPECT_EQ(problems.status().code(), StatusCode::kUnsupported) << problems.status().ToString();
  } else {
    EXPECT_TRUE(problems->empty()) << Join(*problems, "\n");
    EXPECT_FALSE(checks.empty()) << "checks_run must say what was checked";
  }
}

class DataConformance : public ::testing::TestWithParam<std::string> {
 protected:
  const std::string& engine() const { return GetParam(); }
  const EngineSql& sql() const { return Sql(engine()); }

  // A scratch database with the engine's setup applied.
  std::unique_ptr<ScratchDatabase> Source() const {
    auto db = std::make_unique<ScratchDatabase>(engine());
    if (!sql().setup.empty()) db->Exec(sql().setup);
    return db;
  }
};

TEST_P(DataConformance, RoundTripIntoANewDatabaseIsByteIdentical) {
  auto db = Source();
  auto conn = db->Connect();
  ASSERT_NE(conn, nullptr);
  const auto& e = sql();
  const std::string q = conn->QuoteIdentifier("values");
  auto id = [&](const char* n) { return conn->QuoteIdentifier(n); };
  ASSERT_TRUE(conn->Execute("CREATE TABLE " + q + " (" + id("id") + " " + e.int_pk + ", " + id("i") + " " +
                            e.bigint + ", " + id("r") + " " + e.real + ", " + id("t") + " " + e.text + ", " +
                            id("b") + " " + e.blob + ")")
                  .ok());
  const std::vector<std::string> ints = {"0",    "-1", "9223372036854775807", "-9223372036854775807",
                                         "NULL", "42"};
  const std::vector<std::string> reals = {"1.5", "-0.25", "1e300", "0.1", "NULL", "123456.789"};
  const std::vector<std::string> texts = {"it's",
                                          "back\\slash",
                                          "tab\there",
                                          "line\nbreak",
                                          "cr\rlf\n",
                                          "\\N",
                                          "",
                                          "\xc3\xbc\xc3\xb1\xe2\x82\xac \xf0\x9f\x98\x80",
                                          "-- comment",
                                          "\"dq\"",
                                          std::string(100000, 'L')};
  const std::vector<std::string> blobs = {std::string("\0\xff\0", 3), "", "\\N", "\n\t\r", "plain"};
  int n = 0;
  for (size_t k = 0; k < texts.size() + 2; ++k) {
    const std::string text = k < texts.size() ? conn->QuoteLiteral(texts[k]) : "NULL";
    const std::string blob = k < blobs.size() ? e.blob_prefix + Hex(blobs[k]) + e.blob_suffix : "NULL";
    auto ins =
        conn->Execute("INSERT INTO " + q + " VALUES (" + std::to_string(++n) + ", " + ints[k % ints.size()] +
                      ", " + reals[k % reals.size()] + ", " + text + ", " + blob + ")");
    ASSERT_TRUE(ins.ok()) << ins.status().ToString();
  }
  ASSERT_TRUE(conn->Execute("CREATE INDEX " + id("values_t") + " ON " + q + " (" + id("i") + ")").ok());
  ASSERT_TRUE(conn->Execute("CREATE TABLE " + id("empty") + " (" + id("id") + " " + e.int_pk + ")").ok());

  Taken s = TakeSnapshot(*conn);
  ASSERT_FALSE(HasFailure());
  const DataTable* values = FindTable(s.tables, "values");
  ASSERT_NE(values, nullptr);
  EXPECT_EQ(values->columns, (std::vector<std::string>{"id", "i", "r", "t", "b"}));
  EXPECT_EQ(RecordsOf(s, "values").size(), static_cast<size_t>(n));
  EXPECT_TRUE(RecordsOf(s, "empty").empty());
  EXPECT_FALSE(s.point.position.empty()) << "the snapshot position is recorded in the manifest";
  // Exporting again yields the same records.
  EXPECT_TRUE(ExportAll(*conn, *values) == testing::Bag(RecordsOf(s, "values")));

  ScratchDatabase target(engine());
  RestoreAndCompare(s, target);
}

TEST_P(DataConformance, HostileTableAndColumnNamesRoundTrip) {
  auto db = Source();
  auto conn = db->Connect();
  ASSERT_NE(conn, nullptr);
  const std::vector<std::string> names = {"select",
                                          "Mixed Case",
                                          "with space",
                                          "dq\"uote",
                                          "sq'uote",
                                          "semi;colon--x",
                                          "\xc3\xa4\xc3\xb6\xc3\xbc_\xe2\x82\xac",
                                          "back\\slash"};
  for (const std::string& name : names) {
    SCOPED_TRACE(name);
    const std::string qt = conn->QuoteIdentifier(name);
    const std::string qc = conn->QuoteIdentifier("col " + name);
    ASSERT_TRUE(conn->Execute("CREATE TABLE " + qt + " (" + conn->QuoteIdentifier("order") + " " +
                              sql().int_pk + ", " + qc + " " + sql().text + ")")
                    .ok());
    ASSERT_TRUE(
        conn->Execute("INSERT INTO " + qt + " VALUES (1, " + conn->QuoteLiteral(name) + "), (2, NULL)").ok());
  }
  Taken s = TakeSnapshot(*conn);
  ASSERT_FALSE(HasFailure());
  ASSERT_EQ(s.tables.size(), names.size());
  for (const std::string& name : names) {
    const DataTable* t = FindTable(s.tables, name);
    ASSERT_NE(t, nullptr);
    EXPECT_EQ(t->columns, (std::vector<std::string>{"order", "col " + name}));
    EXPECT_EQ(RecordsOf(s, name).size(), 2u);
  }
  ScratchDatabase target(engine());
  RestoreAndCompare(s, target);
}

TEST_P(DataConformance, RangesOnTheSplitColumnCoverEveryRowExactlyOnce) {
  auto db = Source();
  auto conn = db->Connect();
  ASSERT_NE(conn, nullptr);
  const std::string qt = conn->QuoteIdentifier("split me");
  const std::string key = "the key";
  ASSERT_TRUE(conn->Execute("CREATE TABLE " + qt + " (" + conn->QuoteIdentifier(key) + " " + sql().int_pk +
                            ", " + conn->QuoteIdentifier("v") + " " + sql().text + ")")
                  .ok());
  // Negative keys, gaps, the extremes.
  std::string values;
  int rows = 0;
  for (long long k : {-9223372036854775807LL, -1000LL, -1LL, 0LL, 1LL, 2LL, 999LL, 1000LL, 1001LL, 5000LL,
                      9223372036854775807LL}) {
    values += (values.empty() ? "(" : ", (") + std::to_string(k) + ", 'v" + std::to_string(k) + "')";
    ++rows;
  }
  for (int k = 100; k < 600; k += 3) {
    values += ", (" + std::to_string(k) + ", 'w')";
    ++rows;
  }
  ASSERT_TRUE(conn->Execute("INSERT INTO " + qt + " VALUES " + values).ok());
  auto tables = conn->ListDataTables();
  ASSERT_TRUE(tables.ok()) << tables.status().ToString();
  const DataTable* t = FindTable(*tables, "split me");
  ASSERT_NE(t, nullptr);
  ASSERT_EQ(t->split_column, key) << "an integer primary key is the split column";
  const auto all = ExportAll(*conn, *t);
  ASSERT_EQ(all.size(), static_cast<size_t>(rows));
  const std::string c = conn->QuoteIdentifier(t->split_column);
  const std::vector<std::string> predicates = {c + " < -1000",
                                               c + " >= -1000 AND " + c + " < 0",
                                               c + " >= 0 AND " + c + " < 1",
                                               c + " >= 1 AND " + c + " < 1000",
                                               c + " >= 1000 AND " + c + " < 5001",
                                               c + " >= 5001"};
  std::multiset<std::string> pieces;
  for (const std::string& p : predicates) {
    auto part = ExportAll(*conn, *t, p);
    for (const auto& r : part) {
      EXPECT_EQ(all.count(r), 1u) << "a range returned a record the full export does not have";
      pieces.insert(r);
    }
  }
  EXPECT_TRUE(pieces == all) << pieces.size() << " records from the ranges, " << all.size()
                             << " in the table";
}

TEST_P(DataConformance, SnapshotHidesALaterCommit) {
  auto db = Source();
  db->Exec("CREATE TABLE t (id " + sql().int_pk + ", v " + sql().text +
           "); INSERT INTO t VALUES (1, 'a'), (2, 'b');");
  auto reader = db->Connect();
  auto writer = db->Connect();
  ASSERT_TRUE(reader && writer);
  auto point = reader->BeginSnapshot(SnapshotOptions{});
  ASSERT_TRUE(point.ok()) << point.status().ToString();
  std::unique_ptr<Connection> worker;
  if (reader->SupportsSharedSnapshot()) {
    worker = db->Connect();
    ASSERT_NE(worker, nullptr);
    Status joined = worker->JoinSnapshot(*point);
    ASSERT_TRUE(joined.ok()) << joined.ToString();
  } else {
    auto other = db->Connect();
    ASSERT_NE(other, nullptr);
    EXPECT_EQ(other->JoinSnapshot(*point).code(), StatusCode::kUnsupported);
  }
  auto tables = reader->ListDataTables();
  ASSERT_TRUE(tables.ok()) << tables.status().ToString();
  ASSERT_EQ(tables->size(), 1u);
  const DataTable t = (*tables)[0];
  ASSERT_TRUE(reader->ReleaseSnapshotBarrier().ok());

  auto ins = writer->Execute("INSERT INTO t VALUES (3, 'c')");
  ASSERT_TRUE(ins.ok()) << ins.status().ToString();
  auto upd = writer->Execute("UPDATE t SET v = 'changed' WHERE id = 1");
  ASSERT_TRUE(upd.ok()) << upd.status().ToString();

  const auto seen = ExportAll(*reader, t);
  EXPECT_EQ(seen.size(), 2u) << "the snapshot saw a row committed after it began";
  if (worker) {
    EXPECT_TRUE(ExportAll(*worker, t) == seen) << "a joined worker must see exactly the coordinator's data";
    EXPECT_TRUE(worker->EndSnapshot().ok());
  }
  ASSERT_TRUE(reader->EndSnapshot().ok());
  // After the snapshot the new state is visible, with the update.
  const auto now = ExportAll(*reader, t);
  EXPECT_EQ(now.size(), 3u);
  EXPECT_FALSE(now == seen);
}

TEST_P(DataConformance, IsEmptyDatabaseBeforeAndAfter) {
  ScratchDatabase db(engine());
  auto conn = db.Connect();
  ASSERT_NE(conn, nullptr);
  auto empty = [&] {
    auto r = conn->IsEmptyDatabase();
    EXPECT_TRUE(r.ok()) << r.status().ToString();
    return r.ok() && *r;
  };
  EXPECT_TRUE(empty());
  ASSERT_TRUE(
      conn->Execute("CREATE TABLE " + conn->QuoteIdentifier("x y") + " (id " + sql().int_pk + ")").ok());
  EXPECT_FALSE(empty());
  ASSERT_TRUE(conn->Execute("DROP TABLE " + conn->QuoteIdentifier("x y")).ok());
  EXPECT_TRUE(empty());
  ASSERT_TRUE(conn->Execute("CREATE VIEW " + conn->QuoteIdentifier("v") + " AS SELECT 1 AS one").ok());
  EXPECT_FALSE(empty()) << "a view is a user object";
}

// Per engine: a script whose statement boundaries only that engine's rules
// get right, its statements' first lines, and an unterminated input.
struct SplitCase {
  std::string script;
  std::vector<int> lines;
  std::vector<std::string> must_contain;  // one fragment per statement
  std::string unterminated;               // must fail, naming `unterminated_line`
  std::string unterminated_line;
};

SplitCase TrickySplit(const std::string& engine) {
  if (engine == "postgresql") {
    return {
        "-- header; not a statement\nCREATE FUNCTION f() RETURNS int AS $body$\n  SELECT 1; -- inside\n"
        "$body$ LANGUAGE sql;\n/* nested /* comment; */ still; */ SELECT 'a;b', E'it\\'s;';\n\nSELECT $$;$$",
        {2, 5, 7},
        {"$body$", "'a;b'", "$$;$$"},
        "SELECT 1;\n\nSELECT $tag$ never closed;\n",
        "line 3"};
  }
  if (engine == "mysql") {
    return {
        "SELECT 'a;b', \"c;d\", `e;f`;\nDELIMITER //\nCREATE PROCEDURE p()\nBEGIN\n  SELECT 1;\n  SELECT 2;\n"
        "END//\nDELIMITER ;\n-- comment;\nSELECT 'it\\'s;'",
        {1, 3, 10},
        {"'a;b'", "SELECT 2;", "it\\'s"},
        "SELECT 1;\nSELECT 'open;\n",
        "line 2"};
  }
  return {
      "SELECT 'a;b', \"c;d\", [e;f];\nCREATE TRIGGER tr AFTER INSERT ON t BEGIN\n  INSERT INTO log VALUES "
      "(1);\n"
      "  UPDATE c SET n = n + 1;\nEND;\n/* c; */ -- d;\nSELECT 3",
      {1, 2, 7},
      {"'a;b'", "UPDATE c", "SELECT 3"},
      "SELECT 1;\n\nCREATE TRIGGER x AFTER INSERT ON t BEGIN\n  SELECT 1;\n",
      "line 3"};
}

TEST_P(DataConformance, SplitScriptHandlesTheEnginesTrickyInput) {
  Driver* driver = testing::TestDriver(engine());
  ASSERT_NE(driver, nullptr);
  const SplitCase c = TrickySplit(engine());
  auto parts = driver->SplitScript(c.script);
  ASSERT_TRUE(parts.ok()) << parts.status().ToString();
  ASSERT_EQ(parts->size(), c.lines.size());
  for (size_t i = 0; i < parts->size(); ++i) {
    EXPECT_EQ((*parts)[i].line, c.lines[i]) << (*parts)[i].text;
    EXPECT_NE((*parts)[i].text.find(c.must_contain[i]), std::string::npos) << (*parts)[i].text;
    EXPECT_NE((*parts)[i].text.back(), ';') << "the terminator is not part of the statement";
  }
  auto bad = driver->SplitScript(c.unterminated);
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.status().code(), StatusCode::kInvalidInput) << bad.status().ToString();
  EXPECT_NE(bad.status().message().find(c.unterminated_line), std::string::npos) << bad.status().message();
  auto nothing = driver->SplitScript("  -- only a comment\n");
  ASSERT_TRUE(nothing.ok());
  EXPECT_TRUE(nothing->empty());
}

TEST_P(DataConformance, CheckIntegrityOfAHealthyDatabase) {
  auto db = Source();
  db->Exec("CREATE TABLE p (id " + sql().int_pk +
           ");"
           "CREATE TABLE c (id " +
           sql().int_pk + ", p " + sql().bigint +
           " REFERENCES p (id));"
           "CREATE INDEX c_p ON c (p);"
           "INSERT INTO p VALUES (1), (2); INSERT INTO c VALUES (10, 1), (11, 2), (12, NULL);");
  auto conn = db->Connect();
  ASSERT_NE(conn, nullptr);
  std::string checks;
  auto problems = conn->CheckIntegrity(&checks);
  if (!problems.ok()) {
    EXPECT_EQ(problems.status().code(), StatusCode::kUnsupported) << problems.status().ToString();
    EXPECT_FALSE(problems.status().message().empty());
    return;
  }
  EXPECT_TRUE(problems->empty()) << Join(*problems, "\n");
  EXPECT_FALSE(checks.empty());
}

TEST_P(DataConformance, ImportRowsRejectsAGarbageRecordNamingTheTable) {
  auto db = Source();
  const std::string table = "garbage target";
  auto conn = db->Connect();
  ASSERT_NE(conn, nullptr);
  ASSERT_TRUE(conn->Execute("CREATE TABLE " + conn->QuoteIdentifier(table) + " (" +
                            conn->QuoteIdentifier("id") + " " + sql().int_pk + ", " +
                            conn->QuoteIdentifier("n") + " " + sql().bigint + ")")
                  .ok());
  auto tables = conn->ListDataTables();
  ASSERT_TRUE(tables.ok()) << tables.status().ToString();
  const DataTable* t = FindTable(*tables, table);
  ASSERT_NE(t, nullptr);
  ASSERT_TRUE(conn->Execute("INSERT INTO " + conn->QuoteIdentifier(table) + " VALUES (1, 7)").ok());
  auto good = ExportAll(*conn, *t);
  ASSERT_EQ(good.size(), 1u);
  ASSERT_TRUE(conn->Execute("DELETE FROM " + conn->QuoteIdentifier(table)).ok());
  // Not a record of any engine: wrong field count, a non-number where an
  // integer belongs, bytes that are no valid header.
  const std::string garbage = std::string("\xc3\x28 not-a-number\tx\ty\tz\x01\x02", 23) + "\n";
  auto loader = db->Connect();
  ASSERT_NE(loader, nullptr);
  auto n = ImportRecords(*loader, *t, {*good.begin(), garbage});
  ASSERT_FALSE(n.ok()) << "a garbage record was accepted";
  EXPECT_NE(n.status().message().find(table), std::string::npos) << n.status().ToString();
  loader.reset();
  EXPECT_EQ(Scalar(*conn, "SELECT count(*) FROM " + conn->QuoteIdentifier(table)), "0")
      << "nothing of a failed import may stay committed";
}

TEST_P(DataConformance, ExportingAMillionRowsKeepsMemoryBounded) {
  auto db = Source();
  auto conn = db->Connect();
  ASSERT_NE(conn, nullptr);
  const std::string qt = conn->QuoteIdentifier("big");
  ASSERT_TRUE(
      conn->Execute("CREATE TABLE " + qt + " (id " + sql().int_pk + ", payload " + sql().text + ")").ok());
  auto filled = conn->Execute(Format(sql().million_rows, qt));
  ASSERT_TRUE(filled.ok()) << filled.status().ToString();
  auto tables = conn->ListDataTables();
  ASSERT_TRUE(tables.ok()) << tables.status().ToString();
  const DataTable* t = FindTable(*tables, "big");
  ASSERT_NE(t, nullptr);
  // Measure this export only: reset the peak RSS.
  {
    std::ofstream clear("/proc/self/clear_refs");
    clear << "5";
  }
  const long before = testing::StatusKb("VmRSS");
  long long rows = 0;
  long long bytes = 0;
  Status st = conn->ExportRows(*t, "", [&](std::string_view record) {
    ++rows;
    bytes += static_cast<long long>(record.size());
    return Status::Ok();
  });
  ASSERT_TRUE(st.ok()) << st.ToString();
  EXPECT_EQ(rows, 1000000);
  EXPECT_GT(bytes, 200LL * 1000000);
  const long growth_kb = testing::StatusKb("VmHWM") - before;
  RecordProperty("peak_rss_growth_kb", std::to_string(growth_kb));
  // Buffering the table would need > 200 MB; streaming needs a few MB.
  EXPECT_LT(growth_kb, 64 * 1024) << "peak RSS grew by " << growth_kb << " kB while exporting " << bytes
                                  << " bytes";
}

INSTANTIATE_TEST_SUITE_P(AllDrivers, DataConformance, ::testing::ValuesIn(testing::AllEngines()),
                         [](const auto& p) { return p.param; });

}  // namespace
}  // namespace cutover
