// The rules of change between schema versions (conflict/schema_rules.h,
// docs/SCHEMA.md "Rules of change"), and the holder nodes swap versions in.
#include "conflict/schema_rules.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "conflict/schema_holder.h"

namespace sanji::conflict {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;

Schema MakeSchema(std::vector<CollectionSchema> collections) {
  Schema schema;
  for (CollectionSchema& collection : collections) {
    EXPECT_TRUE(schema.AddCollection(std::move(collection)).ok());
  }
  CollectionSchema status("@status");
  EXPECT_TRUE(status.AddField("version", FieldSpec::Lww()).ok());
  EXPECT_TRUE(schema.AddSystemCollection(std::move(status)).ok());
  return schema;
}

CollectionSchema Requests(std::vector<std::pair<std::string, FieldSpec>> extra = {}) {
  CollectionSchema requests("service_requests");
  EXPECT_TRUE(requests.AddField("title", FieldSpec::Lww()).ok());
  EXPECT_TRUE(requests.AddField("visits", FieldSpec::Counter()).ok());
  EXPECT_TRUE(requests.AddField("state", FieldSpec::Status({"open", "assigned", "closed"})).ok());
  for (auto& [name, spec] : extra) EXPECT_TRUE(requests.AddField(name, std::move(spec)).ok());
  return requests;
}

// The violations as "where rule".
std::vector<std::string> Violations(const Schema& before, const Schema& after) {
  std::vector<std::string> out;
  for (const SchemaViolation& violation : CheckSchemaChange(before, after)) {
    out.push_back(violation.collection + "." + violation.field + " " + violation.rule);
  }
  return out;
}

TEST(SchemaRulesTest, AddingACollectionAFieldOrAStatusAtTheEndIsCompatible) {
  const Schema before = MakeSchema({Requests()});
  CollectionSchema notices("notices");
  ASSERT_TRUE(notices.AddField("title", FieldSpec::Lww()).ok());
  CollectionSchema requests("service_requests");
  ASSERT_TRUE(requests.AddField("title", FieldSpec::Lww()).ok());
  ASSERT_TRUE(requests.AddField("visits", FieldSpec::Counter()).ok());
  ASSERT_TRUE(
      requests.AddField("state", FieldSpec::Status({"open", "assigned", "closed", "archived"}))
          .ok());
  ASSERT_TRUE(requests.AddField("photo_url", FieldSpec::Lww()).ok());
  const Schema after = MakeSchema({std::move(requests), std::move(notices)});
  EXPECT_THAT(Violations(before, after), IsEmpty());
  EXPECT_TRUE(CheckCompatible(before, after).ok());
  EXPECT_THAT(DiffSchemas(before, after),
              ElementsAre("+ collection notices", "+ field notices.title (lww string)",
                          "+ field service_requests.photo_url (lww string)",
                          "+ status service_requests.state: archived"));
}

TEST(SchemaRulesTest, SwitchingARegisterBetweenLwwAndMvIsCompatible) {
  const Schema before = MakeSchema({Requests()});
  CollectionSchema requests("service_requests");
  ASSERT_TRUE(requests.AddField("title", FieldSpec::Mv()).ok());
  ASSERT_TRUE(requests.AddField("visits", FieldSpec::Counter()).ok());
  ASSERT_TRUE(requests.AddField("state", FieldSpec::Status({"open", "assigned", "closed"})).ok());
  const Schema after = MakeSchema({std::move(requests)});
  EXPECT_THAT(Violations(before, after), IsEmpty());
  EXPECT_THAT(Violations(after, before), IsEmpty());
  EXPECT_THAT(DiffSchemas(before, after),
              ElementsAre("~ field service_requests.title: lww string -> mv string"));
}

// Deprecating stops writes only; the field and its name stay, so removing
// it later is still a removal.
TEST(SchemaRulesTest, DeprecatingAFieldIsCompatibleAndRemovingItStaysRefused) {
  const Schema before = MakeSchema({Requests()});
  FieldSpec visits = FieldSpec::Counter();
  visits.deprecated = true;
  CollectionSchema requests("service_requests");
  ASSERT_TRUE(requests.AddField("title", FieldSpec::Lww()).ok());
  ASSERT_TRUE(requests.AddField("visits", visits).ok());
  ASSERT_TRUE(requests.AddField("state", FieldSpec::Status({"open", "assigned", "closed"})).ok());
  const Schema deprecated = MakeSchema({std::move(requests)});
  EXPECT_THAT(Violations(before, deprecated), IsEmpty());
  EXPECT_THAT(DiffSchemas(before, deprecated),
              ElementsAre("~ field service_requests.visits: deprecated"));
  EXPECT_THAT(DiffSchemas(deprecated, before),
              ElementsAre("~ field service_requests.visits: no longer deprecated"));

  CollectionSchema without("service_requests");
  ASSERT_TRUE(without.AddField("title", FieldSpec::Lww()).ok());
  ASSERT_TRUE(without.AddField("state", FieldSpec::Status({"open", "assigned", "closed"})).ok());
  EXPECT_THAT(Violations(deprecated, MakeSchema({std::move(without)})),
              ElementsAre("service_requests.visits removes a field"));
}

// A rename (FieldSpec::renamed_to) keeps the stored name: compatible, both
// ways, and shown in the diff; a later version keeps every earlier name.
TEST(SchemaRulesTest, RenamingAFieldIsCompatibleAndKeepsEveryEarlierName) {
  const Schema before = MakeSchema({Requests()});
  const auto renamed = [](std::vector<std::string> names) {
    CollectionSchema requests("service_requests");
    FieldSpec title = FieldSpec::Lww();
    title.renamed_to = std::move(names);
    EXPECT_TRUE(requests.AddField("title", title).ok());
    EXPECT_TRUE(requests.AddField("visits", FieldSpec::Counter()).ok());
    EXPECT_TRUE(requests.AddField("state", FieldSpec::Status({"open", "assigned", "closed"})).ok());
    return MakeSchema({std::move(requests)});
  };
  const Schema subject = renamed({"subject"});
  EXPECT_THAT(Violations(before, subject), IsEmpty());
  EXPECT_EQ(before.Fingerprint(), subject.Fingerprint());
  EXPECT_THAT(DiffSchemas(before, subject),
              ElementsAre("~ field service_requests.title: renamed to subject (stored as title)"));
  const Schema again = renamed({"subject", "summary"});
  EXPECT_THAT(Violations(subject, again), IsEmpty());
  EXPECT_THAT(
      DiffSchemas(subject, again),
      ElementsAre("~ field service_requests.subject: renamed to summary (stored as title)"));

  EXPECT_THAT(Violations(again, renamed({"summary"})),
              ElementsAre(HasSubstr("service_requests.title drops an earlier name of a field")));
  EXPECT_THAT(Violations(subject, before),
              ElementsAre(HasSubstr("service_requests.title drops an earlier name")));
  // A first alias the earlier version has no field of.
  CollectionSchema requests = Requests();
  FieldSpec photo = FieldSpec::Lww();
  photo.renamed_to = {"photo_url"};
  ASSERT_TRUE(requests.AddField("photo", photo).ok());
  EXPECT_THAT(Violations(before, MakeSchema({std::move(requests)})),
              ElementsAre("service_requests.photo_url renames a field the earlier version does not "
                          "have (\"photo\")"));
}

TEST(SchemaRulesTest, ChangingAFieldsKindIsRefusedNamingTheFieldAndTheRule) {
  const Schema before = MakeSchema({Requests()});
  CollectionSchema requests("service_requests");
  ASSERT_TRUE(requests.AddField("title", FieldSpec::Lww()).ok());
  ASSERT_TRUE(requests.AddField("visits", FieldSpec::Lww(ValueType::kInt)).ok());
  ASSERT_TRUE(requests.AddField("state", FieldSpec::Status({"open", "assigned", "closed"})).ok());
  const Schema after = MakeSchema({std::move(requests)});
  EXPECT_THAT(Violations(before, after),
              ElementsAre("service_requests.visits changes the kind of a field (counter to lww)"));
  const absl::Status refused = CheckCompatible(before, after);
  EXPECT_EQ(refused.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(refused.message(), HasSubstr("service_requests.visits changes the kind"));
  EXPECT_THAT(refused.message(), HasSubstr("add a field with a new name"));
}

TEST(SchemaRulesTest, ChangingAValueTypeIsRefused) {
  const Schema before = MakeSchema({Requests()});
  CollectionSchema requests("service_requests");
  ASSERT_TRUE(requests.AddField("title", FieldSpec::Lww(ValueType::kInt)).ok());
  ASSERT_TRUE(requests.AddField("visits", FieldSpec::Counter()).ok());
  ASSERT_TRUE(requests.AddField("state", FieldSpec::Status({"open", "assigned", "closed"})).ok());
  EXPECT_THAT(
      Violations(before, MakeSchema({std::move(requests)})),
      ElementsAre("service_requests.title changes the value type of a field (string to int)"));
}

TEST(SchemaRulesTest, RemovingOrReorderingStatusValuesIsRefused) {
  const Schema before = MakeSchema({Requests()});
  for (const auto& [order, rule] : std::vector<std::pair<std::vector<std::string>, std::string>>{
           {{"open", "closed"}, "removes status value \"assigned\""},
           {{"open", "closed", "assigned"}, "reorders status values"},
           {{"open", "reopened", "assigned", "closed"}, "reorders status values"}}) {
    CollectionSchema requests("service_requests");
    ASSERT_TRUE(requests.AddField("title", FieldSpec::Lww()).ok());
    ASSERT_TRUE(requests.AddField("visits", FieldSpec::Counter()).ok());
    ASSERT_TRUE(requests.AddField("state", FieldSpec::Status(order)).ok());
    const std::vector<std::string> violations =
        Violations(before, MakeSchema({std::move(requests)}));
    ASSERT_EQ(violations.size(), 1u) << rule;
    EXPECT_THAT(violations[0], HasSubstr("service_requests.state " + rule));
  }
}

TEST(SchemaRulesTest, RemovingAFieldOrACollectionIsRefused) {
  CollectionSchema notices("notices");
  ASSERT_TRUE(notices.AddField("title", FieldSpec::Lww()).ok());
  const Schema before = MakeSchema({Requests(), std::move(notices)});
  CollectionSchema requests("service_requests");
  ASSERT_TRUE(requests.AddField("title", FieldSpec::Lww()).ok());
  ASSERT_TRUE(requests.AddField("state", FieldSpec::Status({"open", "assigned", "closed"})).ok());
  const Schema after = MakeSchema({std::move(requests)});
  EXPECT_THAT(Violations(before, after), ElementsAre("notices. removes a collection",
                                                     "service_requests.visits removes a field"));
  EXPECT_THAT(DiffSchemas(before, after),
              ElementsAre("- field service_requests.visits", "- collection notices"));
}

TEST(SchemaRulesTest, SanjisOwnCollectionsAreLeftOut) {
  Schema without_status;
  ASSERT_TRUE(without_status.AddCollection(Requests()).ok());
  EXPECT_THAT(Violations(MakeSchema({Requests()}), without_status), IsEmpty());
  EXPECT_THAT(DiffSchemas(without_status, MakeSchema({Requests()})), IsEmpty());
}

TEST(SchemaHolderTest, AdoptsOnlyNewerVersionsAndKeepsOldOnesReadable) {
  SchemaHolder holder(SchemaVersion{0, MakeSchema({Requests()}), ""});
  const SchemaVersion* start = holder.Current();
  EXPECT_EQ(start->number, 0u);
  CollectionSchema notices("notices");
  ASSERT_TRUE(notices.AddField("title", FieldSpec::Lww()).ok());
  EXPECT_TRUE(holder.Adopt({2, MakeSchema({Requests(), std::move(notices)}), "v2"}));
  EXPECT_FALSE(holder.Adopt({1, MakeSchema({Requests()}), "v1"}));
  EXPECT_FALSE(holder.Adopt({2, MakeSchema({Requests()}), "v2 again"}));
  EXPECT_EQ(holder.Current()->number, 2u);
  EXPECT_EQ(holder.Current()->text, "v2");
  // A reader that took the start version still reads it.
  EXPECT_FALSE(start->schema.Collection("notices").ok());

  const SchemaSource source(&holder);
  EXPECT_EQ(source.version(), 2u);
  EXPECT_TRUE(source->Collection("notices").ok());
  const Schema fixed = MakeSchema({Requests()});
  const SchemaSource fixed_source(&fixed);
  EXPECT_EQ(fixed_source.version(), 0u);
  EXPECT_EQ(&*fixed_source, &fixed);
  EXPECT_TRUE(SchemaSource() == nullptr);
}

}  // namespace
}  // namespace sanji::conflict
