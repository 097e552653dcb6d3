#include "authz/scope_path.h"

#include <gtest/gtest.h>

namespace sanji::authz {
namespace {

TEST(ScopePathTest, AncestryFollowsPathSegments) {
  EXPECT_TRUE(IsAncestorOrSelf("gutian", "gutian"));
  EXPECT_TRUE(IsAncestorOrSelf("gutian", "gutian/fengpu/xiaban"));
  EXPECT_TRUE(IsAncestorOrSelf("gutian/fengpu", "gutian/fengpu/xiaban"));
  EXPECT_FALSE(IsAncestorOrSelf("gutian/feng", "gutian/fengpu"));  // not at a '/'
  EXPECT_FALSE(IsAncestorOrSelf("gutian/fengpu/xiaban", "gutian/fengpu"));
  EXPECT_FALSE(IsAncestorOrSelf("gutian/dongqiao", "gutian/fengpu/xiaban"));
}

// ARCHITECTURE.md §4: notices from above and the node's own subtree; never a
// sibling's records.
TEST(ScopePathTest, FilterHoldsAncestorsAndTheSubtree) {
  const char* village = "gutian/fengpu/xiaban";
  EXPECT_TRUE(InFilter("gutian", village));
  EXPECT_TRUE(InFilter("gutian/fengpu", village));
  EXPECT_TRUE(InFilter("gutian/fengpu/xiaban", village));
  EXPECT_TRUE(InFilter("gutian/fengpu/xiaban/grid3", village));
  EXPECT_FALSE(InFilter("gutian/fengpu/shangban", village));
  EXPECT_FALSE(InFilter("gutian/dongqiao", village));
  EXPECT_TRUE(InSubtree("gutian/fengpu/xiaban", "gutian/fengpu"));
  EXPECT_FALSE(InSubtree("gutian", "gutian/fengpu"));
}

TEST(ScopePathTest, OnlyPathsOfNodeSegmentsAreScopes) {
  EXPECT_TRUE(ValidateScopePath("gutian/fengpu/xiaban").ok());
  EXPECT_TRUE(ValidateScopePath("gutian/fengpu/xiaban/grid-3_b").ok());
  for (const char* bad :
       {"", "gutian/fengpu/xiaban/../dongkeng", "gutian/fengpu/", "/gutian", "gutian//fengpu",
        "gutian/@status", "Gutian", "gutian/fengpu xiaban", "gutian/./fengpu"}) {
    const absl::Status valid = ValidateScopePath(bad, "PutRequest.scope");
    EXPECT_EQ(valid.code(), absl::StatusCode::kInvalidArgument) << bad;
    EXPECT_NE(valid.message().find("PutRequest.scope"), absl::string_view::npos) << valid;
  }
  EXPECT_NE(ValidateScopePath("gutian/fengpu/xiaban/../dongkeng").message().find("\"..\""),
            absl::string_view::npos);
}

TEST(ScopePathTest, ParentOfIsThePathWithoutItsLastSegment) {
  EXPECT_EQ(ParentOf("gutian/fengpu/xiaban"), "gutian/fengpu");
  EXPECT_EQ(ParentOf("gutian/fengpu"), "gutian");
  EXPECT_EQ(ParentOf("gutian"), "");
}

TEST(ScopePathTest, StrictlyBelowLeavesTheNodeItselfOut) {
  EXPECT_TRUE(StrictlyBelow("gutian/fengpu", "gutian"));
  EXPECT_FALSE(StrictlyBelow("gutian", "gutian"));
  EXPECT_FALSE(StrictlyBelow("gutian", "gutian/fengpu"));
}

}  // namespace
}  // namespace sanji::authz
