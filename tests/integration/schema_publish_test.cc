// The schema as data (issue 16, docs/SCHEMA.md "The schema as data"), with
// real sanjid processes: the county publishes a version with `sanjictl
// schema publish`, every node adopts it without a restart (one offline
// across the publication once it is back), a village writes the new field
// and the county reads it as known; malformed, incompatible and misplaced
// publications are refused, and a schema version forged by a township is
// refused on the sync path and counted.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <fstream>
#include <string>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/time/clock.h"
#include "authz/county_records.h"
#include "conflict/clock.h"
#include "google/protobuf/text_format.h"
#include "node/config.h"
#include "node/status_schema.h"
#include "store/store.h"
#include "tests/integration/test_county.h"

namespace sanji::integration {
namespace {

using ::testing::HasSubstr;
using ::testing::IsEmpty;

// TestSchema() with service_requests.photo_url.
v1::SchemaConfig WithPhoto() {
  v1::SchemaConfig schema = TestSchema();
  for (v1::CollectionConfig& collection : *schema.mutable_collections()) {
    if (collection.name() != "service_requests") continue;
    v1::FieldConfig* photo = collection.add_fields();
    photo->set_name("photo_url");
    photo->set_kind(v1::FieldConfig::LWW);
  }
  return schema;
}

std::string Text(const v1::SchemaConfig& schema) {
  std::string text;
  google::protobuf::TextFormat::PrintToString(schema, &text);
  return text;
}

// Writes `text` to `name` in the cluster's directory; returns its path.
std::string WriteFile(Cluster& cluster, const std::string& name, const std::string& text) {
  const std::string path = absl::StrCat(cluster.dir(), "/", name);
  std::ofstream(path) << text;
  return path;
}

uint64_t SchemaVersionAt(Cluster& cluster, const std::string& node) {
  absl::StatusOr<v1::NodeStatus> status = cluster.Status(node);
  return status.ok() ? status->schema_version() : 0;
}

uint64_t RefusedAt(Cluster& cluster, const std::string& node) {
  absl::StatusOr<v1::NodeStatus> status = cluster.Status(node);
  return status.ok() ? status->refused_items() : 0;
}

// The cell of `column` in the row of node `name` of a `sanjictl tree`
// table, whose cells are set apart by two spaces or more; "" if none.
std::string TreeCell(const std::string& tree, const std::string& name, const std::string& column) {
  std::vector<std::vector<std::string>> rows;
  for (absl::string_view line : absl::StrSplit(tree, '\n', absl::SkipEmpty())) {
    std::vector<std::string> cells;
    for (absl::string_view cell : absl::StrSplit(line, "  ", absl::SkipEmpty())) {
      cell = absl::StripAsciiWhitespace(cell);
      if (!cell.empty()) cells.emplace_back(cell);
    }
    rows.push_back(std::move(cells));
  }
  if (rows.empty()) return "";
  const auto at = std::find(rows[0].begin(), rows[0].end(), column);
  if (at == rows[0].end()) return "";
  const size_t index = static_cast<size_t>(at - rows[0].begin());
  for (const std::vector<std::string>& row : rows) {
    if (!row.empty() && row[0] == name && index < row.size()) return row[index];
  }
  return "";
}

v1::PutRequest PhotoPut(const std::string& key, const std::string& scope,
                        const std::string& photo) {
  v1::PutRequest put = TitlePut("service_requests", key, scope, "路灯坏了");
  v1::FieldOperation* op = put.add_ops();
  op->set_field("photo_url");
  op->mutable_assign()->set_text(photo);
  return put;
}

// The record's photo_url as `node` reads it, known to its schema ("" if not).
std::string KnownPhotoAt(Cluster& cluster, const std::string& node, const std::string& key) {
  absl::StatusOr<v1::Record> record = GetAt(cluster, node, "service_requests", key);
  if (!record.ok()) return "";
  auto photo = record->fields().find("photo_url");
  return photo == record->fields().end() ? "" : photo->second.lww().text();
}

size_t UnknownCountAt(Cluster& cluster, const std::string& node, const std::string& key) {
  absl::StatusOr<v1::Record> record = GetAt(cluster, node, "service_requests", key);
  return record.ok() ? static_cast<size_t>(record->unknown_fields_size()) : 99;
}

// Writes a schema version into the stopped node's store past every service
// (as a node running other code could), in the county's scope, by the node
// itself: what a township forging the county's schema would send.
void ForgeSchemaVersion(Cluster& cluster, const std::string& node, uint64_t number,
                        const std::string& text) {
  absl::StatusOr<conflict::Schema> schema = node::BuildSchema(TestSchema());
  ASSERT_TRUE(schema.ok()) << schema.status();
  conflict::ManualClock clock(absl::GetCurrentTimeNanos() / 1000);
  store::Options options;
  options.path = cluster.config(node).data_dir();
  options.node_id = node;
  options.schema = &*schema;
  options.clock = &clock;
  absl::StatusOr<std::unique_ptr<store::Store>> store = store::Store::Open(options);
  ASSERT_TRUE(store.ok()) << store.status();
  conflict::Change forged;
  forged.scope = std::string(kCounty);
  forged.ops.push_back(
      {node::schema_field::kVersion, conflict::Assign{static_cast<int64_t>(number)}});
  forged.ops.push_back({node::schema_field::kText, conflict::Assign{text}});
  ASSERT_TRUE((*store)->Write(authz::kSchemaCollection, absl::StrCat(number), forged).ok());
}

TEST(SchemaPublishTest, APublishedVersionIsAdoptedEverywhereWithoutARestart) {
  TestCluster cluster;
  cluster.AddNode(kCounty, {}, false);
  cluster.AddNode(kFengpu, {kCounty}, false);
  cluster.AddNode(kXikou, {kCounty}, false);
  cluster.AddNode(kXiaban, {kFengpu, kCounty}, true);
  cluster.AddNode(kDongkeng, {kFengpu, kCounty}, true);
  // xikou already runs a schema with the field, so that the county holds it
  // as unknown before the publication.
  cluster.EditConfig(kXikou,
                     [](v1::NodeConfig& config) { *config.mutable_schema() = WithPhoto(); });
  cluster.StartAll();
  ASSERT_TRUE(cluster.error().ok()) << cluster.error();
  const v1::TlsConfig desk = cluster.Issue(authz::Identity::Operator("desk", kCounty));
  const v1::TlsConfig clerk = cluster.Issue(authz::Identity::Operator("clerk", kFengpu));
  const pid_t xiaban_pid = cluster.pid(kXiaban);

  // Offline across the publication.
  ASSERT_EQ(cluster.Stop(kDongkeng), 0);
  ASSERT_TRUE(PutAt(cluster, kXikou, PhotoPut("xikou-1", kXikou, "old.jpg")).ok());
  EXPECT_TRUE(WaitFor([&] { return UnknownCountAt(cluster, kCounty, "xikou-1") == 1; }));

  // Refused: a malformed file, naming its line; an incompatible change,
  // naming the field and the rule; a township's operator; a township.
  const std::string bad =
      WriteFile(cluster, "bad.schema", "collections {\n  name: \"x\"\n  fields { nam: 1 }\n}\n");
  CommandResult refused = Ctl(cluster, desk, kCounty, {"schema", "publish", bad});
  EXPECT_NE(refused.exit_code, 0) << refused.output;
  EXPECT_THAT(refused.output, HasSubstr("bad.schema:3:"));
  v1::SchemaConfig kind_changed = WithPhoto();
  for (v1::CollectionConfig& collection : *kind_changed.mutable_collections()) {
    for (v1::FieldConfig& field : *collection.mutable_fields()) {
      if (field.name() == "visits") field.set_kind(v1::FieldConfig::LWW);
    }
  }
  const std::string incompatible = WriteFile(cluster, "kind.schema", Text(kind_changed));
  refused = Ctl(cluster, desk, kCounty, {"schema", "publish", incompatible});
  EXPECT_NE(refused.exit_code, 0) << refused.output;
  EXPECT_THAT(refused.output, HasSubstr("service_requests.visits changes the kind of a field"));
  const CommandResult checked =
      Ctl(cluster, desk, kCounty,
          {"schema", "check", WriteFile(cluster, "v0.schema", Text(TestSchema())), incompatible});
  EXPECT_EQ(checked.exit_code, 1) << checked.output;
  EXPECT_THAT(checked.output, HasSubstr("incompatible: service_requests.visits changes the kind"));

  const std::string v1_path = WriteFile(cluster, "v1.schema", Text(WithPhoto()));
  refused = Ctl(cluster, clerk, kCounty, {"schema", "publish", v1_path});
  EXPECT_EQ(refused.exit_code, 4) << refused.output;
  refused = Ctl(cluster, desk, kFengpu, {"schema", "publish", v1_path});
  EXPECT_EQ(refused.exit_code, 4) << refused.output;
  EXPECT_THAT(refused.output, HasSubstr("only at the county node"));
  EXPECT_EQ(SchemaVersionAt(cluster, kCounty), 0u);

  // Published at the county: adopted there at once, and the field it held
  // as unknown reads as known.
  const CommandResult published = Ctl(cluster, desk, kCounty, {"schema", "publish", v1_path});
  ASSERT_EQ(published.exit_code, 0) << published.output;
  EXPECT_THAT(published.output, HasSubstr("published schema version 1 (was 0)"));
  EXPECT_EQ(SchemaVersionAt(cluster, kCounty), 1u);
  EXPECT_EQ(KnownPhotoAt(cluster, kCounty, "xikou-1"), "old.jpg");
  EXPECT_EQ(UnknownCountAt(cluster, kCounty, "xikou-1"), 0u);

  // Down the tree, through the township, without a restart.
  EXPECT_TRUE(WaitFor([&] { return SchemaVersionAt(cluster, kXiaban) == 1; }));
  EXPECT_EQ(cluster.pid(kXiaban), xiaban_pid);
  ASSERT_TRUE(PutAt(cluster, kXiaban, PhotoPut("xiaban-1", kXiaban, "p1.jpg")).ok());
  EXPECT_TRUE(WaitFor([&] { return KnownPhotoAt(cluster, kCounty, "xiaban-1") == "p1.jpg"; }));
  EXPECT_EQ(UnknownCountAt(cluster, kCounty, "xiaban-1"), 0u);

  const CommandResult status = Ctl(cluster, desk, kXiaban, {"status"});
  EXPECT_THAT(status.output, HasSubstr("schema       version 1\n"));
  // The status records that travel up say each node's version.
  std::string tree;
  EXPECT_TRUE(WaitFor([&] {
    tree = Ctl(cluster, desk, kCounty, {"tree"}).output;
    return TreeCell(tree, "xiaban", "SCHEMA") == "1" && TreeCell(tree, "fengpu", "SCHEMA") == "1";
  })) << tree;
  const CommandResult shown = Ctl(cluster, desk, kXiaban, {"schema", "show", "--version", "1"});
  EXPECT_EQ(shown.exit_code, 0) << shown.output;
  EXPECT_THAT(shown.output, HasSubstr("photo_url"));
  const std::string v0_path = absl::StrCat(cluster.dir(), "/v0.schema");
  const CommandResult diff = Ctl(cluster, desk, kCounty, {"schema", "diff", v0_path, "1"});
  EXPECT_EQ(diff.exit_code, 0) << diff.output;
  EXPECT_THAT(diff.output, HasSubstr("+ field service_requests.photo_url (lww string)"));

  // The village offline across the publication adopts it once back.
  cluster.Start(kDongkeng);
  EXPECT_TRUE(WaitFor([&] { return SchemaVersionAt(cluster, kDongkeng) == 1; }));
  ASSERT_TRUE(PutAt(cluster, kDongkeng, PhotoPut("dongkeng-1", kDongkeng, "p2.jpg")).ok());
  EXPECT_TRUE(WaitFor([&] { return KnownPhotoAt(cluster, kCounty, "dongkeng-1") == "p2.jpg"; }));

  StopAllCleanly(cluster, {kDongkeng, kXiaban, kXikou, kFengpu, kCounty});
}

// A village with no link gets the version in a USB bundle, like any record,
// and adopts it on import.
TEST(SchemaPublishTest, ASchemaVersionTravelsInABundle) {
  TestCluster cluster;
  cluster.AddNode(kCounty, {}, false);
  cluster.AddNode(kFengpu, {kCounty}, false);
  cluster.AddNode(kXiaban, {kFengpu, kCounty}, true);
  cluster.StartAll();
  ASSERT_TRUE(cluster.error().ok()) << cluster.error();
  const v1::TlsConfig desk = cluster.Issue(authz::Identity::Operator("desk", kCounty));
  ASSERT_TRUE(WaitFor([&] { return LiveTo(cluster, kXiaban, kFengpu); }));
  ASSERT_TRUE(WaitFor([&] { return Caught(cluster, kFengpu, kXiaban); }));
  ASSERT_EQ(cluster.Stop(kXiaban), 0);
  cluster.SetParentAddresses(kXiaban, {});
  cluster.Start(kXiaban);

  const std::string v1_path = WriteFile(cluster, "v1.schema", Text(WithPhoto()));
  const CommandResult published = Ctl(cluster, desk, kCounty, {"schema", "publish", v1_path});
  ASSERT_EQ(published.exit_code, 0) << published.output;
  EXPECT_TRUE(WaitFor([&] { return SchemaVersionAt(cluster, kFengpu) == 1; }));
  const std::string down = cluster.dir() + "/down.bundle";
  CommandResult moved = Ctl(cluster, desk, kFengpu, {"export", "--for", kXiaban, "-o", down});
  ASSERT_EQ(moved.exit_code, 0) << moved.output;
  EXPECT_EQ(SchemaVersionAt(cluster, kXiaban), 0u);
  moved = Ctl(cluster, desk, kXiaban, {"import", down});
  ASSERT_EQ(moved.exit_code, 0) << moved.output;
  EXPECT_TRUE(WaitFor([&] { return SchemaVersionAt(cluster, kXiaban) == 1; }));
  EXPECT_TRUE(PutAt(cluster, kXiaban, PhotoPut("xiaban-1", kXiaban, "usb.jpg")).ok());
  StopAllCleanly(cluster, {kXiaban, kFengpu, kCounty});
}

// TestSchema() with service_requests.title renamed to subject.
v1::SchemaConfig WithSubject() {
  v1::SchemaConfig schema = TestSchema();
  for (v1::CollectionConfig& collection : *schema.mutable_collections()) {
    if (collection.name() != "service_requests") continue;
    for (v1::FieldConfig& field : *collection.mutable_fields()) {
      if (field.name() != "title") continue;
      field.set_name("subject");
      field.add_aliases("title");
    }
  }
  return schema;
}

v1::PutRequest SubjectPut(const std::string& key, const std::string& scope,
                          const std::string& subject) {
  v1::PutRequest put = TitlePut("service_requests", key, scope, subject);
  put.mutable_ops(0)->set_field("subject");
  return put;
}

// The text of lww field `field` of the record as `node` reads it ("" if none).
std::string TextAt(Cluster& cluster, const std::string& node, const std::string& key,
                   const std::string& field) {
  absl::StatusOr<v1::Record> record = GetAt(cluster, node, "service_requests", key);
  if (!record.ok()) return "";
  auto found = record->fields().find(field);
  return found == record->fields().end() ? "" : found->second.lww().text();
}

// A rename keeps identity (docs/SCHEMA.md, "Renames keep identity"): xikou
// runs a version with title renamed to subject while the county runs the
// old one, and both read and write the same field, each under its own name
// (an application of xikou's may still use the old one); published at the
// county, the rename shows in the diff and the county reads the new name.
TEST(SchemaPublishTest, ARenamedFieldIsOneFieldForNodesOfBothVersions) {
  TestCluster cluster;
  cluster.AddNode(kCounty, {}, false);
  cluster.AddNode(kXikou, {kCounty}, false);
  cluster.EditConfig(kXikou,
                     [](v1::NodeConfig& config) { *config.mutable_schema() = WithSubject(); });
  cluster.StartAll();
  ASSERT_TRUE(cluster.error().ok()) << cluster.error();
  const v1::TlsConfig desk = cluster.Issue(authz::Identity::Operator("desk", kCounty));

  ASSERT_TRUE(PutAt(cluster, kXikou, SubjectPut("xikou-1", kXikou, "水管漏水")).ok());
  ASSERT_TRUE(
      PutAt(cluster, kXikou, TitlePut("service_requests", "xikou-2", kXikou, "门坏了")).ok());
  EXPECT_EQ(TextAt(cluster, kXikou, "xikou-2", "subject"), "门坏了");
  EXPECT_TRUE(WaitFor([&] { return TextAt(cluster, kCounty, "xikou-1", "title") == "水管漏水"; }));
  EXPECT_TRUE(WaitFor([&] { return TextAt(cluster, kCounty, "xikou-2", "title") == "门坏了"; }));
  EXPECT_EQ(UnknownCountAt(cluster, kCounty, "xikou-1"), 0u);
  ASSERT_TRUE(
      PutAt(cluster, kCounty, TitlePut("service_requests", "xikou-1", kXikou, "水管已修")).ok());
  EXPECT_TRUE(WaitFor([&] { return TextAt(cluster, kXikou, "xikou-1", "subject") == "水管已修"; }));
  EXPECT_EQ(UnknownCountAt(cluster, kXikou, "xikou-1"), 0u);
  // The county's version knows no "subject".
  EXPECT_FALSE(PutAt(cluster, kCounty, SubjectPut("county-1", kCounty, "x")).ok());

  // A version that drops the old name is refused; the rename is published.
  v1::SchemaConfig dropped = WithSubject();
  for (v1::FieldConfig& field : *dropped.mutable_collections(0)->mutable_fields()) {
    field.clear_aliases();
  }
  CommandResult refused =
      Ctl(cluster, desk, kCounty,
          {"schema", "publish", WriteFile(cluster, "drop.schema", Text(dropped))});
  EXPECT_NE(refused.exit_code, 0) << refused.output;
  EXPECT_THAT(refused.output, HasSubstr("service_requests.title removes a field"));
  const std::string v1_path = WriteFile(cluster, "v1.schema", Text(WithSubject()));
  const std::string v0_path = WriteFile(cluster, "v0.schema", Text(TestSchema()));
  const CommandResult checked = Ctl(cluster, desk, kCounty, {"schema", "check", v0_path, v1_path});
  EXPECT_EQ(checked.exit_code, 0) << checked.output;
  const CommandResult diff = Ctl(cluster, desk, kCounty, {"schema", "diff", v0_path, v1_path});
  EXPECT_EQ(diff.exit_code, 0) << diff.output;
  EXPECT_THAT(diff.output,
              HasSubstr("~ field service_requests.title: renamed to subject (stored as title)"));
  const CommandResult published = Ctl(cluster, desk, kCounty, {"schema", "publish", v1_path});
  ASSERT_EQ(published.exit_code, 0) << published.output;
  EXPECT_EQ(TextAt(cluster, kCounty, "xikou-1", "subject"), "水管已修");
  EXPECT_EQ(TextAt(cluster, kCounty, "xikou-1", "title"), "");
  StopAllCleanly(cluster, {kXikou, kCounty});
}

// A township that writes a schema version of the county's scope: its parent
// refuses it (a child writes only in its subtree), its villages refuse it
// (only the county's changes make a version), each counts it, and no node,
// the township included, runs it.
TEST(SchemaPublishTest, ASchemaVersionForgedByATownshipIsRefusedAndCounted) {
  TestCluster cluster;
  cluster.AddNode(kCounty, {}, false);
  cluster.AddNode(kFengpu, {kCounty}, false);
  cluster.AddNode(kXiaban, {kFengpu}, true);
  cluster.StartAll();
  ASSERT_TRUE(cluster.error().ok()) << cluster.error();

  // No service writes a version: only PublishSchema does, at the county.
  EXPECT_EQ(Put(cluster, kCounty, authz::kSchemaCollection, "7", kCounty, "x").error_code(),
            grpc::StatusCode::PERMISSION_DENIED);
  ASSERT_EQ(cluster.Stop(kFengpu), 0);
  ForgeSchemaVersion(cluster, kFengpu, 7, Text(WithPhoto()));
  const uint64_t county_refused = RefusedAt(cluster, kCounty);
  cluster.Start(kFengpu);
  ASSERT_TRUE(Put(cluster, kFengpu, "service_requests", "after", kFengpu, "照常").ok());
  EXPECT_TRUE(
      WaitFor([&] { return HasTitle(cluster, kCounty, "service_requests", "after", "照常"); }));
  EXPECT_TRUE(WaitFor([&] { return RefusedAt(cluster, kCounty) > county_refused; }));
  EXPECT_TRUE(WaitFor([&] { return RefusedAt(cluster, kXiaban) >= 1; }));
  EXPECT_TRUE(
      WaitFor([&] { return HasTitle(cluster, kXiaban, "service_requests", "after", "照常"); }));
  EXPECT_THAT(cluster.Log(kXiaban), HasSubstr("only the county gutian publishes one"));
  for (const char* node : {kCounty, kFengpu, kXiaban}) {
    EXPECT_EQ(SchemaVersionAt(cluster, node), 0u) << node;
  }
  EXPECT_EQ(GetAt(cluster, kCounty, authz::kSchemaCollection, "7").status().code(),
            absl::StatusCode::kNotFound);
  EXPECT_EQ(GetAt(cluster, kXiaban, authz::kSchemaCollection, "7").status().code(),
            absl::StatusCode::kNotFound);
  StopAllCleanly(cluster, {kXiaban, kFengpu, kCounty});
}

}  // namespace
}  // namespace sanji::integration
