// The node's side of the schema as data (node/schema_adopter.h,
// docs/SCHEMA.md): publication at the county, adoption of the newest
// version a store holds, and what is refused or skipped, over a real store.
#include "node/schema_adopter.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <chrono>
#include <memory>
#include <string>

#include "absl/strings/str_cat.h"
#include "authz/county_records.h"
#include "node/config.h"
#include "node/status_schema.h"
#include "tests/store/store_test_util.h"
#include "tests/support/poll_until.h"

namespace sanji::node {
namespace {

// The operator who publishes in these tests.
constexpr char kPublisher[] = "sanji://operator/duty/gutian";

using ::testing::HasSubstr;

constexpr char kCounty[] = "gutian";

// A schema file with a `tickets` collection and, if named, one more field.
std::string SchemaText(const std::string& extra_field = "") {
  std::string text =
      "collections {\n"
      "  name: \"tickets\"\n"
      "  fields { name: \"title\" kind: LWW }\n"
      "  fields { name: \"visits\" kind: COUNTER }\n";
  if (!extra_field.empty()) {
    absl::StrAppend(&text, "  fields { name: \"", extra_field, "\" kind: LWW }\n");
  }
  return text + "}\n";
}

conflict::Schema Parsed(const std::string& text) {
  absl::StatusOr<conflict::Schema> schema = ParseSchemaFile("test.schema", text);
  EXPECT_TRUE(schema.ok()) << schema.status();
  return *std::move(schema);
}

class SchemaAdopterTest : public store::testing::StoreTest {
 protected:
  SchemaAdopterTest() : holder_(conflict::SchemaVersion{0, Parsed(SchemaText()), ""}) {}

  // Opens the store of `node` reading `holder_`, and an adopter over it.
  void Open(const std::string& node) {
    store::Options options = MakeOptions(node);
    options.schema = &holder_;
    store_ = OpenStore(options);
    adopter_ = std::make_unique<SchemaAdopter>(store_.get(), &holder_, &notifier_, node);
  }

  // Writes version `number` into the store as `store_`'s node (a county's
  // record if that node is the county).
  void WriteVersion(uint64_t number, const std::string& text, const std::string& scope = kCounty) {
    conflict::Change change;
    change.scope = scope;
    change.ops.push_back({schema_field::kVersion, conflict::Assign{static_cast<int64_t>(number)}});
    change.ops.push_back({schema_field::kText, conflict::Assign{text}});
    ASSERT_TRUE(store_->Write(authz::kSchemaCollection, absl::StrCat(number), change).ok());
  }

  conflict::SchemaHolder holder_;
  CommitNotifier notifier_;
  std::unique_ptr<store::Store> store_;
  std::unique_ptr<SchemaAdopter> adopter_;
};

TEST_F(SchemaAdopterTest, PublishingWritesTheNextVersionAndRunsIt) {
  Open(kCounty);
  absl::StatusOr<SchemaAdopter::Published> published =
      adopter_->Publish("v1.schema", SchemaText("photo_url"), kPublisher);
  ASSERT_TRUE(published.ok()) << published.status();
  EXPECT_EQ(published->version, 1u);
  EXPECT_EQ(published->previous_version, 0u);
  EXPECT_EQ(holder_.Current()->number, 1u);
  EXPECT_TRUE((*holder_.Current()->schema.Collection("tickets"))->Field("photo_url").ok());
  EXPECT_EQ(notifier_.commits(), 1u);
  absl::StatusOr<conflict::Record> record = store_->Get(authz::kSchemaCollection, "1");
  ASSERT_TRUE(record.ok()) << record.status();
  EXPECT_EQ(record->scope(), std::string(kCounty));
  // The store takes the new field at once.
  conflict::Change photo = store::testing::SetTitle("路灯", std::string(kCounty));
  photo.ops.push_back({"photo_url", conflict::Assign{std::string("p.jpg")}});
  EXPECT_TRUE(store_->Write("tickets", "T-1", photo).ok());

  // The same again changes nothing: refused.
  const absl::Status again =
      adopter_->Publish("v1.schema", SchemaText("photo_url"), kPublisher).status();
  EXPECT_EQ(again.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(again.message(), HasSubstr("changes nothing from version 1"));
}

TEST_F(SchemaAdopterTest, AMalformedOrIncompatibleFileIsRefusedAndNothingWritten) {
  Open(kCounty);
  absl::Status refused =
      adopter_->Publish("bad.schema", "collections {\n  nme: 1\n}\n", kPublisher).status();
  EXPECT_EQ(refused.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(refused.message(), HasSubstr("bad.schema:2:"));
  std::string counted = SchemaText();
  counted.replace(counted.find("COUNTER"), 7, "LWW");
  refused = adopter_->Publish("kind.schema", counted, kPublisher).status();
  EXPECT_EQ(refused.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(refused.message(), HasSubstr("tickets.visits changes the kind of a field"));
  EXPECT_EQ(holder_.Current()->number, 0u);
  EXPECT_EQ(notifier_.commits(), 0u);
  EXPECT_TRUE(absl::IsNotFound(store_->Get(authz::kSchemaCollection, "1").status()));
}

TEST_F(SchemaAdopterTest, AdoptsTheNewestVersionItCanRead) {
  Open(kCounty);
  WriteVersion(1, SchemaText("photo_url"));
  WriteVersion(2, SchemaText("gps"));
  WriteVersion(3, "collections { this is not a schema");
  absl::StatusOr<uint64_t> adopted = adopter_->AdoptNewest();
  ASSERT_TRUE(adopted.ok()) << adopted.status();
  EXPECT_EQ(*adopted, 2u);
  EXPECT_TRUE((*holder_.Current()->schema.Collection("tickets"))->Field("gps").ok());
  // Older versions never replace a newer one.
  EXPECT_FALSE(holder_.Adopt({1, Parsed(SchemaText("photo_url")), ""}));
  // The next publication numbers past every stored version, readable or not.
  absl::StatusOr<SchemaAdopter::Published> published =
      adopter_->Publish("v4.schema", SchemaText("gps"), kPublisher);
  ASSERT_FALSE(published.ok());  // nothing changed from version 2
  std::string with_both = SchemaText("gps");
  with_both.insert(with_both.rfind("}"), "  fields { name: \"photo_url\" kind: LWW }\n");
  published = adopter_->Publish("v4.schema", with_both, kPublisher);
  ASSERT_TRUE(published.ok()) << published.status();
  EXPECT_EQ(published->version, 4u);
  EXPECT_EQ(published->previous_version, 2u);
}

TEST_F(SchemaAdopterTest, AVersionWrittenBelowTheCountyIsNeverRun) {
  Open("gutian/fengpu");
  WriteVersion(5, SchemaText("photo_url"));                   // by the township
  WriteVersion(6, SchemaText("photo_url"), "gutian/fengpu");  // in its own scope
  absl::StatusOr<uint64_t> adopted = adopter_->AdoptNewest();
  ASSERT_TRUE(adopted.ok()) << adopted.status();
  EXPECT_EQ(*adopted, 0u);
}

TEST_F(SchemaAdopterTest, ItsThreadAdoptsAVersionThatArrivesWithoutARestart) {
  Open(kCounty);
  adopter_->Start();
  WriteVersion(1, SchemaText("photo_url"));
  notifier_.Notify();
  // A commit wakes it; the holder tells no one, so the test polls it.
  EXPECT_TRUE(sanji::testing::PollUntil([&] { return holder_.Current()->number == 1; },
                                        std::chrono::seconds(30)));
  EXPECT_EQ(holder_.Current()->number, 1u);
  adopter_->Stop();
}

}  // namespace
}  // namespace sanji::node
