#include "schema/drift.h"

#include <gtest/gtest.h>

#include "schema/fingerprint.h"
#include "schema/schema_json.h"

namespace cutover {
namespace {

SchemaModel Shop() {
  SchemaModel m;
  m.engine = "postgresql";
  m.server_version = "15.18";
  m.Add(ObjectKind::kTable, "public", "", "orders");
  int pos = 1;
  for (const char* c : {"id", "customer_id", "total"}) {
    auto& col = m.Add(ObjectKind::kColumn, "public", "orders", c);
    col.attributes["position"] = std::to_string(pos++);
    col.attributes["type"] = "integer";
    col.attributes["nullable"] = "false";
  }
  m.Add(ObjectKind::kPrimaryKey, "public", "orders", "orders_pkey").attributes["columns"] = ListValue({"id"});
  m.Add(ObjectKind::kIndex, "public", "orders", "orders_customer_idx").attributes["keys"] =
      ListValue({"customer_id"});
  m.Add(ObjectKind::kTable, "public", "", "audit_log");
  m.Add(ObjectKind::kColumn, "public", "audit_log", "id").attributes["position"] = "1";
  return m;
}

const Difference* FindDiff(const DriftReport& r, DiffKind kind, const std::string& path) {
  for (const auto& d : r.differences) {
    if (d.kind == kind && d.path == path) return &d;
  }
  return nullptr;
}

TEST(Drift, IdenticalModelsHaveNoDrift) {
  auto r = ComputeDrift(Shop(), Shop(), {});
  ASSERT_TRUE(r.ok());
  EXPECT_FALSE(r->HasDrift());
  EXPECT_TRUE(r->differences.empty());
  EXPECT_EQ(r->expected_fingerprint, r->actual_fingerprint);
}

TEST(Drift, ClassifiesMissingUnexpectedAndChanged) {
  SchemaModel expected = Shop();
  SchemaModel actual = Shop();
  // actual lacks the index, has an extra table, and a changed column type.
  std::erase_if(actual.objects, [](const SchemaObject& o) { return o.name == "orders_customer_idx"; });
  actual.Add(ObjectKind::kTable, "public", "", "tmp_import");
  actual.Add(ObjectKind::kColumn, "public", "tmp_import", "x").attributes["position"] = "1";
  for (auto& o : actual.objects) {
    if (o.kind == ObjectKind::kColumn && o.name == "total") o.attributes["type"] = "bigint";
  }
  auto r = ComputeDrift(expected, actual, {});
  ASSERT_TRUE(r.ok());
  EXPECT_TRUE(r->HasDrift());
  ASSERT_EQ(r->differences.size(), 3u) << DriftReportText(*r);
  EXPECT_NE(FindDiff(*r, DiffKind::kMissing, "public.orders.orders_customer_idx"), nullptr);
  // The whole table is reported once; its column is not listed again.
  EXPECT_NE(FindDiff(*r, DiffKind::kUnexpected, "public.tmp_import"), nullptr);
  const Difference* changed = FindDiff(*r, DiffKind::kChanged, "public.orders.total");
  ASSERT_NE(changed, nullptr);
  ASSERT_EQ(changed->changes.size(), 1u);
  EXPECT_EQ(changed->changes[0].attribute, "type");
  EXPECT_EQ(*changed->changes[0].expected, "integer");
  EXPECT_EQ(*changed->changes[0].actual, "bigint");
  EXPECT_EQ(r->Count(DiffKind::kMissing), 1u);
  EXPECT_EQ(r->Count(DiffKind::kUnexpected), 1u);
  EXPECT_EQ(r->Count(DiffKind::kChanged), 1u);
}

TEST(Drift, AttributeAddedOrRemovedIsAChange) {
  SchemaModel actual = Shop();
  for (auto& o : actual.objects) {
    if (o.name == "customer_id") o.attributes["default"] = "0";
  }
  auto r = ComputeDrift(Shop(), actual, {});
  ASSERT_TRUE(r.ok());
  const Difference* d = FindDiff(*r, DiffKind::kChanged, "public.orders.customer_id");
  ASSERT_NE(d, nullptr);
  EXPECT_FALSE(d->changes[0].expected.has_value());
  EXPECT_EQ(*d->changes[0].actual, "0");
}

// Owners, privileges and definers are compared only when asked, and are
// never part of the fingerprint: environments differ in their roles.
TEST(Drift, AccessAttributesCountOnlyWithPrivilegesAndNeverInTheFingerprint) {
  SchemaModel expected = Shop();
  SchemaModel actual = Shop();
  expected.objects[0].attributes["access.owner"] = "prod_owner";
  actual.objects[0].attributes["access.owner"] = "staging_owner";
  actual.objects[0].attributes["access.privileges"] = ListValue({"app:SELECT"});
  EXPECT_EQ(Fingerprint(expected), Fingerprint(actual));
  EXPECT_EQ(Fingerprint(expected), Fingerprint(Shop()));
  auto plain = ComputeDrift(expected, actual, DriftOptions{});
  ASSERT_TRUE(plain.ok());
  EXPECT_FALSE(plain->HasDrift());
  DriftOptions with;
  with.with_privileges = true;
  auto strict = ComputeDrift(expected, actual, with);
  ASSERT_TRUE(strict.ok());
  ASSERT_EQ(strict->differences.size(), 1u);
  ASSERT_EQ(strict->differences[0].changes.size(), 2u);
  EXPECT_EQ(strict->differences[0].changes[0].attribute, "access.owner");
  EXPECT_EQ(strict->differences[0].changes[1].attribute, "access.privileges");
  EXPECT_FALSE(strict->differences[0].changes[1].expected.has_value());
  EXPECT_NE(DriftReportJson(*strict).find("\"privileges_compared\": true"), std::string::npos);
}

TEST(Drift, ColumnOrderIsItsOwnIgnorableClass) {
  SchemaModel actual = Shop();
  for (auto& o : actual.objects) {
    if (o.name == "customer_id") o.attributes["position"] = "3";
    if (o.name == "total") o.attributes["position"] = "2";
  }
  auto r = ComputeDrift(Shop(), actual, {});
  ASSERT_TRUE(r.ok());
  ASSERT_EQ(r->differences.size(), 1u) << DriftReportText(*r);
  EXPECT_EQ(r->differences[0].kind, DiffKind::kColumnOrder);
  EXPECT_EQ(r->differences[0].path, "public.orders");
  EXPECT_EQ(r->differences[0].actual_order, (std::vector<std::string>{"id", "total", "customer_id"}));
  EXPECT_TRUE(r->HasDrift());
  DriftOptions ignore;
  ignore.ignore_column_order = true;
  auto r2 = ComputeDrift(Shop(), actual, ignore);
  ASSERT_TRUE(r2.ok());
  EXPECT_EQ(r2->differences.size(), 1u);  // still reported
  EXPECT_FALSE(r2->HasDrift());           // but not drift
}

TEST(Drift, ColumnAddedInTheMiddleIsNotAnOrderChange) {
  SchemaModel expected = Shop();
  auto& extra = expected.Add(ObjectKind::kColumn, "public", "orders", "note");
  extra.attributes["position"] = "2";
  for (auto& o : expected.objects) {
    if (o.name == "customer_id") o.attributes["position"] = "3";
    if (o.name == "total") o.attributes["position"] = "4";
  }
  auto r = ComputeDrift(expected, Shop(), {});
  ASSERT_TRUE(r.ok());
  ASSERT_EQ(r->differences.size(), 1u) << DriftReportText(*r);
  EXPECT_EQ(r->differences[0].kind, DiffKind::kMissing);
}

TEST(Drift, IgnoreGlobsHideObjectsAndWhatTheyOwn) {
  SchemaModel actual = Shop();
  actual.objects.erase(actual.objects.begin() + 6, actual.objects.end());  // drop audit_log + its column
  DriftOptions options;
  options.ignore_globs = {"public.audit_*"};
  auto r = ComputeDrift(Shop(), actual, options);
  ASSERT_TRUE(r.ok());
  EXPECT_FALSE(r->HasDrift()) << DriftReportText(*r);
  auto r2 = ComputeDrift(Shop(), actual, {});
  ASSERT_TRUE(r2.ok());
  EXPECT_TRUE(r2->HasDrift());
}

TEST(Drift, RefusesDifferentEngines) {
  SchemaModel other = Shop();
  other.engine = "mysql";
  auto r = ComputeDrift(Shop(), other, {});
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kInvalidInput);
}

TEST(Drift, TextAndJsonReportsNameTheObjects) {
  SchemaModel actual = Shop();
  for (auto& o : actual.objects) {
    if (o.name == "total") o.attributes["type"] = "bigint";
  }
  auto r = ComputeDrift(Shop(), actual, {});
  ASSERT_TRUE(r.ok());
  std::string text = DriftReportText(*r);
  EXPECT_NE(text.find("changed     column public.orders.total"), std::string::npos) << text;
  EXPECT_NE(text.find("type: expected integer, actual bigint"), std::string::npos) << text;
  std::string json = DriftReportJson(*r);
  EXPECT_NE(json.find("\"drift\": true"), std::string::npos) << json;
  EXPECT_NE(json.find("\"attribute\": \"type\""), std::string::npos) << json;
}

TEST(Fingerprint, IndependentOfObjectOrderAndServerVersion) {
  SchemaModel a = Shop();
  SchemaModel b = Shop();
  std::reverse(b.objects.begin(), b.objects.end());
  b.server_version = "16.1";
  EXPECT_EQ(Fingerprint(a), Fingerprint(b));
  EXPECT_EQ(Fingerprint(a).rfind("sha256:", 0), 0u);
  EXPECT_EQ(Fingerprint(a).size(), 7u + 64u);
  b.objects[0].attributes["comment"] = "x";
  EXPECT_NE(Fingerprint(a), Fingerprint(b));
}

// The database object (default privileges, database-level grants) has no
// identity, reads back from JSON, and is neither fingerprinted nor compared
// without --with-privileges.
TEST(SchemaJson, TheDatabaseObjectRoundTripsAndStaysOutOfTheFingerprint) {
  SchemaModel m = Shop();
  const std::string before = Fingerprint(m);
  m.Add(ObjectKind::kDatabase, "", "", "").attributes["access.default_privileges.tables.app"] =
      ListValue({"reader:SELECT"});
  m.Sort();
  EXPECT_EQ(Fingerprint(m), before);
  auto back = SchemaFromJson(SchemaToJson(m), "m.json");
  ASSERT_TRUE(back.ok()) << back.status().ToString();
  const SchemaObject* db = back->Find(ObjectKind::kDatabase, "", "", "");
  ASSERT_NE(db, nullptr);
  EXPECT_EQ(db->Path(), "(database)");
  EXPECT_EQ(db->attributes.size(), 1u);
  auto plain = ComputeDrift(Shop(), *back, DriftOptions{});
  ASSERT_TRUE(plain.ok());
  EXPECT_FALSE(plain->HasDrift());
  DriftOptions with;
  with.with_privileges = true;
  auto strict = ComputeDrift(Shop(), *back, with);
  ASSERT_TRUE(strict.ok());
  ASSERT_EQ(strict->differences.size(), 1u);
  EXPECT_EQ(strict->differences[0].kind, DiffKind::kUnexpected);
  EXPECT_EQ(strict->differences[0].path, "(database)");

  std::string named = SchemaToJson(m);
  const std::string empty = "\"kind\": \"database\", \"schema\": \"\", \"table\": \"\", \"name\": \"\"";
  ASSERT_NE(named.find(empty), std::string::npos) << named;
  named.replace(named.find(empty), empty.size(),
                "\"kind\": \"database\", \"schema\": \"\", \"table\": \"\", \"name\": \"shop\"");
  auto refused = SchemaFromJson(named, "m.json");
  ASSERT_FALSE(refused.ok());
  EXPECT_NE(refused.status().message().find("a database object has an empty schema, table and name"),
            std::string::npos)
      << refused.status().message();
}

TEST(Fingerprint, FieldBoundariesCannotCollide) {
  SchemaModel a, b;
  a.engine = b.engine = "sqlite";
  a.Add(ObjectKind::kTable, "", "", "ab").attributes["c"] = "d";
  b.Add(ObjectKind::kTable, "", "", "a").attributes["bc"] = "d";
  EXPECT_NE(Fingerprint(a), Fingerprint(b));
}

TEST(SchemaJson, RoundTripsExactly) {
  SchemaModel m = Shop();
  m.objects[0].attributes["comment"] = "quote \" backslash \\ newline \n unicode \xc3\xa9";
  auto back = SchemaFromJson(SchemaToJson(m), "mem.json");
  ASSERT_TRUE(back.ok()) << back.status().ToString();
  EXPECT_EQ(Fingerprint(*back), Fingerprint(m));
  EXPECT_EQ(back->server_version, "15.18");
  auto r = ComputeDrift(m, *back, {});
  ASSERT_TRUE(r.ok());
  EXPECT_TRUE(r->differences.empty());
}

TEST(SchemaJson, RejectsBadDocumentsWithLocation) {
  std::string good = SchemaToJson(Shop());
  struct Case {
    std::string text;
    std::string needle;
  } cases[] = {
      {"", "not valid JSON"},
      {"{\"format\": ", "bad.json:1"},
      {"[1,2]", "expected a JSON object"},
      {"{\"format\":\"other\"}", "format is 'other'"},
      {"{\"format\":\"cutover.schema\",\"version\":99}", "version 99 is not supported"},
      {"{\"format\":\"cutover.schema\",\"version\":1,\"engine\":\"Oracle DB\"}", "is not a driver name"},
      {"{\"format\":\"cutover.schema\",\"version\":1,\"engine\":\"sqlite\",\"fingerprint\":\"x\",\"objects\":"
       "[{\"kind\":"
       "\"tabel\",\"schema\":\"\",\"table\":\"\",\"name\":\"t\"}]}",
       "objects[0]: unknown kind 'tabel'"},
      {"{\"format\":\"cutover.schema\",\"version\":1,\"engine\":\"sqlite\",\"objects\":[]}",
       "missing field 'fingerprint'"},
      // Found by the schema_json fuzz target: a number too large for a
      // double was an uncaught exception that ended the process.
      {"[332e37333]", "bad.json: not readable JSON"},
  };
  for (const auto& c : cases) {
    auto r = SchemaFromJson(c.text, "bad.json");
    ASSERT_FALSE(r.ok()) << c.text;
    EXPECT_EQ(r.status().code(), StatusCode::kInvalidInput);
    EXPECT_NE(r.status().message().find(c.needle), std::string::npos) << r.status().message();
  }
  // A hand edit of an attribute is caught by the fingerprint.
  std::string tampered = good;
  auto pos = tampered.find("\"integer\"");
  ASSERT_NE(pos, std::string::npos);
  tampered.replace(pos, 9, "\"bigint\"");
  auto r = SchemaFromJson(tampered, "tampered.json");
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("does not match the content"), std::string::npos);
  EXPECT_EQ(LoadSchemaJsonFile("/nonexistent/x.json").status().code(), StatusCode::kNotFound);
}

TEST(ListValue, EncodesAndDecodesHostileItems) {
  std::vector<std::string> items = {"a,b", "q\"uote", "back\\slash", "", "line\nbreak"};
  auto back = ParseListValue(ListValue(items));
  ASSERT_TRUE(back.has_value());
  EXPECT_EQ(*back, items);
  EXPECT_FALSE(ParseListValue("not a list").has_value());
  EXPECT_FALSE(ParseListValue("[\"unterminated]").has_value());
  EXPECT_EQ(ParseListValue("[]")->size(), 0u);
}

}  // namespace
}  // namespace cutover
