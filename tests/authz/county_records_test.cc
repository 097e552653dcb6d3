// Which `@schema` records a node takes (authz/county_records.h): only
// the county's, in the county's scope, whoever relays them.
#include "authz/county_records.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>

#include "conflict/change.h"
#include "conflict/schema.h"

namespace sanji::authz {
namespace {

using ::testing::HasSubstr;
using ::testing::IsEmpty;

conflict::Record Written(const std::string& writer, const std::string& scope) {
  conflict::CollectionSchema versions(kSchemaCollection);
  EXPECT_TRUE(versions.AddField("text", conflict::FieldSpec::Lww()).ok());
  conflict::Change change;
  change.scope = scope;
  change.ops.push_back({"text", conflict::Assign{std::string("collections {}")}});
  absl::StatusOr<conflict::Record> record = conflict::Record().Write(
      versions, change, conflict::Dot{conflict::Origin{writer, 1}, 1}, {1'000'000, 0});
  EXPECT_TRUE(record.ok()) << record.status();
  return *record;
}

TEST(CountyRecordsTest, TheCountysVersionInItsScopeIsTakenAnywhere) {
  const conflict::Record version = Written("gutian", "gutian");
  for (const char* self : {"gutian", "gutian/fengpu", "gutian/fengpu/xiaban"}) {
    EXPECT_THAT(CheckCountyAuthored(kSchemaCollection, version, self), IsEmpty()) << self;
  }
}

TEST(CountyRecordsTest, AVersionWrittenBelowTheCountyIsRefused) {
  const std::string forged =
      CheckCountyAuthored(kSchemaCollection, Written("gutian/fengpu", "gutian"), "gutian/fengpu/x");
  EXPECT_THAT(forged, HasSubstr("changed by gutian/fengpu"));
  EXPECT_THAT(forged, HasSubstr("only the county gutian publishes one"));
  EXPECT_THAT(CheckCountyAuthored(kSchemaCollection, Written("gutian", "gutian/fengpu"), "gutian"),
              HasSubstr("of scope gutian/fengpu"));
}

TEST(CountyRecordsTest, OtherCollectionsAreNotItsBusiness) {
  EXPECT_THAT(CheckCountyAuthored("notices", Written("gutian/fengpu", "gutian"), "gutian"),
              IsEmpty());
  EXPECT_EQ(CountyOf("gutian/fengpu/xiaban"), "gutian");
  EXPECT_EQ(CountyOf("gutian"), "gutian");
}

}  // namespace
}  // namespace sanji::authz
