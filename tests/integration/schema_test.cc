// Nodes of different schemas in one tree (issue 16, "Compatibility instead
// of equality"), with real sanjid processes: a village and the county on a
// newer schema than the township between them, a village rolled back to the
// old schema, and a village whose schema gives a field another kind.
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/integration/test_county.h"

namespace sanji::integration {
namespace {

using ::testing::HasSubstr;

v1::FieldConfig FieldOf(const std::string& name, v1::FieldConfig::Kind kind) {
  v1::FieldConfig field;
  field.set_name(name);
  field.set_kind(kind);
  return field;
}

// TestSchema() with service_requests.photo_url and a collection `parcels`.
v1::SchemaConfig NewerSchema() {
  v1::SchemaConfig schema = TestSchema();
  for (v1::CollectionConfig& collection : *schema.mutable_collections()) {
    if (collection.name() == "service_requests") {
      *collection.add_fields() = FieldOf("photo_url", v1::FieldConfig::LWW);
    }
  }
  v1::CollectionConfig* parcels = schema.add_collections();
  parcels->set_name("parcels");
  *parcels->add_fields() = FieldOf("title", v1::FieldConfig::LWW);
  return schema;
}

v1::PutRequest PhotoPut(const std::string& key, const std::string& title,
                        const std::string& photo) {
  v1::PutRequest put = TitlePut("service_requests", key, kXiaban, title);
  v1::FieldOperation* op = put.add_ops();
  op->set_field("photo_url");
  op->mutable_assign()->set_text(photo);
  return put;
}

// The record's photo_url as a node whose schema names it reads it.
std::string PhotoAt(Cluster& cluster, const std::string& node, const std::string& key) {
  absl::StatusOr<v1::Record> record = GetAt(cluster, node, "service_requests", key);
  if (!record.ok()) return "";
  auto photo = record->fields().find("photo_url");
  return photo == record->fields().end() ? "" : photo->second.lww().text();
}

// The record's fields `node`'s schema does not describe, as "name reason
// value,value".
std::vector<std::string> UnknownAt(Cluster& cluster, const std::string& node,
                                   const std::string& collection, const std::string& key) {
  std::vector<std::string> unknown;
  absl::StatusOr<v1::Record> record = GetAt(cluster, node, collection, key);
  if (!record.ok()) return {record.status().ToString()};
  for (const v1::UnknownField& field : record->unknown_fields()) {
    std::vector<std::string> values;
    for (const v1::Value& value : field.values().values()) values.push_back(value.text());
    unknown.push_back(
        absl::StrCat(field.name(), " ", v1::UnknownField::Reason_Name(field.reason()), " ",
                     field.state_kind(), " ", absl::StrJoin(values, ","),
                     field.state_kind() == "counter" ? absl::StrCat(field.counter()) : ""));
  }
  return unknown;
}

TEST(SchemaTest, ANewerSchemaSyncsThroughATownshipOnTheOldOneAndBack) {
  TestCluster cluster;
  cluster.AddNode(kCounty, {}, false);
  cluster.AddNode(kFengpu, {kCounty}, false);
  cluster.AddNode(kXiaban, {kFengpu, kCounty}, true);
  for (const char* node : {kCounty, kXiaban}) {
    cluster.EditConfig(node,
                       [](v1::NodeConfig& config) { *config.mutable_schema() = NewerSchema(); });
  }
  cluster.StartAll();
  const v1::TlsConfig tls = cluster.Issue(authz::Identity::Operator("operator", kCounty));

  // Up: the village's new field passes the township, which keeps it as it came.
  ASSERT_TRUE(PutAt(cluster, kXiaban, PhotoPut("xiaban-1", "路灯坏了", "p1.jpg")).ok());
  EXPECT_TRUE(WaitFor([&] { return PhotoAt(cluster, kCounty, "xiaban-1") == "p1.jpg"; }));
  EXPECT_THAT(UnknownAt(cluster, kFengpu, "service_requests", "xiaban-1"),
              ::testing::ElementsAre("photo_url NOT_IN_SCHEMA register p1.jpg"));
  const CommandResult got = Ctl(cluster, tls, kFengpu, {"get", "service_requests", "xiaban-1"});
  EXPECT_EQ(got.exit_code, 0) << got.output;
  EXPECT_THAT(got.output, HasSubstr("? register, not in this node's schema"));
  EXPECT_THAT(got.output, HasSubstr("p1.jpg"));
  v1::PutRequest parcel = TitlePut("parcels", "P-1", kXiaban, "村东地块");
  ASSERT_TRUE(PutAt(cluster, kXiaban, parcel).ok());
  EXPECT_TRUE(WaitFor([&] { return HasTitle(cluster, kCounty, "parcels", "P-1", "村东地块"); }));
  // The township reads the collection its schema lacks, every field unknown.
  EXPECT_THAT(UnknownAt(cluster, kFengpu, "parcels", "P-1"),
              ::testing::ElementsAre("title NOT_IN_SCHEMA register 村东地块"));
  EXPECT_THAT(UnknownAt(cluster, kFengpu, "parcels", "P-2"),
              ::testing::ElementsAre(HasSubstr("no collection \"parcels\" in this node's schema")));

  // A write at the township keeps the field it does not know.
  ASSERT_TRUE(Put(cluster, kFengpu, "service_requests", "xiaban-1", kXiaban, "路灯已修").ok());
  EXPECT_TRUE(WaitFor(
      [&] { return HasTitle(cluster, kCounty, "service_requests", "xiaban-1", "路灯已修"); }));
  EXPECT_EQ(PhotoAt(cluster, kCounty, "xiaban-1"), "p1.jpg");

  // Down: the county's write of the new field reaches the village intact.
  ASSERT_TRUE(PutAt(cluster, kCounty, PhotoPut("xiaban-1", "路灯已修", "p2.jpg")).ok());
  EXPECT_TRUE(WaitFor([&] { return PhotoAt(cluster, kXiaban, "xiaban-1") == "p2.jpg"; }));
  EXPECT_TRUE(WaitFor(
      [&] { return HasTitle(cluster, kXiaban, "service_requests", "xiaban-1", "路灯已修"); }));

  // The village rolled back to the old schema keeps what it holds, shows it
  // unknown, and keeps syncing both ways: nothing is held back.
  ASSERT_EQ(cluster.Stop(kXiaban), 0);
  cluster.EditConfig(kXiaban,
                     [](v1::NodeConfig& config) { *config.mutable_schema() = TestSchema(); });
  cluster.Start(kXiaban);
  EXPECT_THAT(UnknownAt(cluster, kXiaban, "service_requests", "xiaban-1"),
              ::testing::ElementsAre("photo_url NOT_IN_SCHEMA register p2.jpg"));
  PutMany(cluster, kXiaban, kXiaban, "after-rollback", 12);
  EXPECT_TRUE(WaitFor([&] { return Caught(cluster, kCounty, kXiaban); }));
  EXPECT_EQ(ServiceRequests(cluster, kCounty).size(), 13u);
  for (const char* node : {kXiaban, kFengpu}) {
    EXPECT_TRUE(WaitFor([&] { return Apart(cluster, node).empty(); }))
        << node << ": " << Apart(cluster, node);
  }
  for (const char* node : {kXiaban, kFengpu, kCounty}) {
    const CommandResult check = Ctl(cluster, tls, node, {"check"});
    EXPECT_EQ(check.exit_code, 0) << node << ": " << check.output;
  }
  StopAllCleanly(cluster, {kXiaban, kFengpu, kCounty});
}

// A village whose schema makes `visits` an lww text field where the others
// count: each side keeps its own kind, reads the other's as a clash, and the
// session goes on.
TEST(SchemaTest, AKindClashIsKeptApartAndTheSessionGoesOn) {
  TestCluster cluster;
  cluster.AddNode(kFengpu, {}, false);
  cluster.AddNode(kXiaban, {kFengpu}, true);
  cluster.EditConfig(kXiaban, [](v1::NodeConfig& config) {
    for (v1::CollectionConfig& collection : *config.mutable_schema()->mutable_collections()) {
      for (v1::FieldConfig& field : *collection.mutable_fields()) {
        if (field.name() == "visits") field.set_kind(v1::FieldConfig::LWW);
      }
    }
  });
  cluster.StartAll();

  v1::PutRequest visits = TitlePut("service_requests", "xiaban-2", kXiaban, "入户走访");
  v1::FieldOperation* op = visits.add_ops();
  op->set_field("visits");
  op->mutable_assign()->set_text("三次");
  ASSERT_TRUE(PutAt(cluster, kXiaban, visits).ok());
  EXPECT_TRUE(WaitFor(
      [&] { return HasTitle(cluster, kFengpu, "service_requests", "xiaban-2", "入户走访"); }));
  EXPECT_THAT(UnknownAt(cluster, kFengpu, "service_requests", "xiaban-2"),
              ::testing::ElementsAre("visits KIND_CLASH register 三次"));

  v1::PutRequest count;
  count.set_collection("service_requests");
  count.set_key("xiaban-2");
  v1::FieldOperation* increment = count.add_ops();
  increment->set_field("visits");
  increment->set_increment(2);
  ASSERT_TRUE(PutAt(cluster, kFengpu, count).ok());
  EXPECT_TRUE(WaitFor([&] {
    return UnknownAt(cluster, kXiaban, "service_requests", "xiaban-2") ==
           std::vector<std::string>{"visits KIND_CLASH counter 2"};
  })) << ::testing::PrintToString(UnknownAt(cluster, kXiaban, "service_requests", "xiaban-2"));

  // Both sides still read their own kind, and the link carries on.
  absl::StatusOr<v1::Record> at_xiaban = GetAt(cluster, kXiaban, "service_requests", "xiaban-2");
  ASSERT_TRUE(at_xiaban.ok()) << at_xiaban.status();
  EXPECT_EQ(at_xiaban->fields().at("visits").lww().text(), "三次");
  absl::StatusOr<v1::Record> at_fengpu = GetAt(cluster, kFengpu, "service_requests", "xiaban-2");
  ASSERT_TRUE(at_fengpu.ok()) << at_fengpu.status();
  EXPECT_EQ(at_fengpu->fields().at("visits").counter(), 2);
  // Counted, logged and listed by check at the node that received it.
  absl::StatusOr<v1::NodeStatus> township = cluster.Status(kFengpu);
  ASSERT_TRUE(township.ok()) << township.status();
  EXPECT_GE(township->fields_clashing(), 1u);
  EXPECT_THAT(cluster.Log(kFengpu),
              HasSubstr("service_requests/xiaban-2: field \"visits\" holds another kind"));
  const v1::TlsConfig tls = cluster.Issue(authz::Identity::Operator("operator", kCounty));
  const CommandResult check = Ctl(cluster, tls, kFengpu, {"check"});
  EXPECT_EQ(check.exit_code, 0) << check.output;
  EXPECT_THAT(check.output, HasSubstr("consistent\n1 fields hold another kind"));
  EXPECT_THAT(check.output, HasSubstr("  service_requests/xiaban-2: visits\n"));
  const CommandResult status = Ctl(cluster, tls, kFengpu, {"status"});
  EXPECT_THAT(status.output, ::testing::ContainsRegex("[1-9][0-9]* fields of another kind"));

  ASSERT_TRUE(Put(cluster, kXiaban, "service_requests", "xiaban-3", kXiaban, "照常").ok());
  EXPECT_TRUE(
      WaitFor([&] { return HasTitle(cluster, kFengpu, "service_requests", "xiaban-3", "照常"); }));
  StopAllCleanly(cluster, {kXiaban, kFengpu});
}

}  // namespace
}  // namespace sanji::integration
