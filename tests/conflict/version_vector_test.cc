#include "conflict/version_vector.h"

#include <initializer_list>
#include <string>
#include <utility>

#include "conflict/dot.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/conflict/test_util.h"

namespace sanji::conflict {
namespace {

const Origin kXiaban{"gutian/fengpu/xiaban", 1};
const Origin kXiabanReimaged{"gutian/fengpu/xiaban", 2};
const Origin kFengpu{"gutian/fengpu", 1};
const Origin kCounty{"gutian", 1};

VersionVector Vector(std::initializer_list<std::pair<Origin, uint64_t>> entries) {
  VersionVector vector;
  for (const auto& [origin, counter] : entries) vector.Set(origin, counter);
  return vector;
}

TEST(VersionVectorTest, GetIsZeroForAnAbsentOrigin) {
  VersionVector vector;
  EXPECT_EQ(vector.Get(kXiaban), 0u);
  EXPECT_TRUE(vector.empty());
  vector.Set(kXiaban, 4);
  EXPECT_EQ(vector.Get(kXiaban), 4u);
  EXPECT_EQ(vector.Get(kFengpu), 0u);
}

// ARCHITECTURE.md §2: a re-imaged box starts a new incarnation, a distinct origin.
TEST(VersionVectorTest, IncarnationsAreDistinctOrigins) {
  VersionVector vector = Vector({{kXiaban, 9}});
  EXPECT_EQ(vector.Get(kXiabanReimaged), 0u);
  EXPECT_FALSE(vector.Covers(Dot{kXiabanReimaged, 1}));
  vector.Advance(Dot{kXiabanReimaged, 1});
  EXPECT_EQ(vector.size(), 2u);
  EXPECT_EQ(vector.Get(kXiaban), 9u);
}

TEST(VersionVectorTest, CoversDotUpToItsCounter) {
  const VersionVector vector = Vector({{kXiaban, 3}});
  EXPECT_TRUE(vector.Covers(Dot{kXiaban, 1}));
  EXPECT_TRUE(vector.Covers(Dot{kXiaban, 3}));
  EXPECT_FALSE(vector.Covers(Dot{kXiaban, 4}));
  EXPECT_FALSE(vector.Covers(Dot{kFengpu, 1}));
}

TEST(VersionVectorTest, CoversVector) {
  const VersionVector big = Vector({{kXiaban, 3}, {kFengpu, 2}});
  EXPECT_TRUE(big.Covers(Vector({{kXiaban, 3}})));
  EXPECT_TRUE(big.Covers(Vector({{kXiaban, 1}, {kFengpu, 2}})));
  EXPECT_TRUE(big.Covers(VersionVector()));
  EXPECT_FALSE(big.Covers(Vector({{kXiaban, 4}})));
  EXPECT_FALSE(big.Covers(Vector({{kCounty, 1}})));
  EXPECT_FALSE(VersionVector().Covers(big));
}

TEST(VersionVectorTest, AdvanceOnlyRaises) {
  VersionVector vector;
  vector.Advance(Dot{kXiaban, 5});
  EXPECT_EQ(vector.Get(kXiaban), 5u);
  vector.Advance(Dot{kXiaban, 2});
  EXPECT_EQ(vector.Get(kXiaban), 5u);
  vector.Advance(Dot{kXiaban, 6});
  EXPECT_EQ(vector.Get(kXiaban), 6u);
  vector.Advance(Dot{kFengpu, 0});
  EXPECT_EQ(vector.size(), 1u);
}

TEST(VersionVectorTest, SetIsExactAndZeroRemoves) {
  VersionVector vector = Vector({{kXiaban, 5}, {kFengpu, 2}});
  vector.Set(kXiaban, 3);
  EXPECT_EQ(vector.Get(kXiaban), 3u);
  vector.Set(kXiaban, 0);
  EXPECT_EQ(vector.Get(kXiaban), 0u);
  EXPECT_EQ(vector.size(), 1u);
  vector.Set(kCounty, 0);  // removing an absent origin is a no-op
  EXPECT_EQ(vector.size(), 1u);
}

// VersionVector's canonical form (no zero entries) makes equal vectors compare equal.
TEST(VersionVectorTest, SetToZeroIsCanonical) {
  VersionVector vector = Vector({{kXiaban, 5}});
  vector.Set(kXiaban, 0);
  EXPECT_EQ(vector, VersionVector());
  EXPECT_TRUE(vector.empty());

  VersionVector a = Vector({{kFengpu, 2}, {kXiaban, 1}});
  a.Set(kXiaban, 0);
  EXPECT_EQ(a, Vector({{kFengpu, 2}}));
}

TEST(VersionVectorTest, InsertionOrderDoesNotMatter) {
  EXPECT_EQ(Vector({{kXiaban, 1}, {kFengpu, 2}, {kCounty, 3}}),
            Vector({{kCounty, 3}, {kXiaban, 1}, {kFengpu, 2}}));
}

TEST(VersionVectorTest, JoinIsPointwiseMax) {
  VersionVector a = Vector({{kXiaban, 5}, {kFengpu, 1}});
  const VersionVector b = Vector({{kFengpu, 4}, {kCounty, 2}});
  a.Join(b);
  EXPECT_EQ(a, Vector({{kXiaban, 5}, {kFengpu, 4}, {kCounty, 2}}));

  VersionVector c = b;
  c.Join(Vector({{kXiaban, 5}, {kFengpu, 1}}));
  EXPECT_EQ(c, a);  // commutative

  VersionVector d = a;
  d.Join(a);
  EXPECT_EQ(d, a);  // idempotent
  d.Join(VersionVector());
  EXPECT_EQ(d, a);
}

TEST(VersionVectorTest, CompareEqual) {
  EXPECT_EQ(Vector({{kXiaban, 2}}).Compare(Vector({{kXiaban, 2}})), CausalOrder::kEqual);
  EXPECT_EQ(VersionVector().Compare(VersionVector()), CausalOrder::kEqual);
}

TEST(VersionVectorTest, CompareBeforeAndAfter) {
  const VersionVector older = Vector({{kXiaban, 2}});
  const VersionVector newer = Vector({{kXiaban, 3}, {kFengpu, 1}});
  EXPECT_EQ(older.Compare(newer), CausalOrder::kBefore);
  EXPECT_EQ(newer.Compare(older), CausalOrder::kAfter);
  EXPECT_TRUE(newer.Dominates(older));
  EXPECT_FALSE(older.Dominates(newer));
  EXPECT_FALSE(older.Dominates(older));  // strict
  EXPECT_FALSE(newer.ConcurrentWith(older));
  EXPECT_EQ(VersionVector().Compare(older), CausalOrder::kBefore);
}

TEST(VersionVectorTest, CompareConcurrent) {
  const VersionVector village = Vector({{kXiaban, 3}, {kFengpu, 1}});
  const VersionVector township = Vector({{kXiaban, 2}, {kFengpu, 2}});
  EXPECT_EQ(village.Compare(township), CausalOrder::kConcurrent);
  EXPECT_EQ(township.Compare(village), CausalOrder::kConcurrent);
  EXPECT_TRUE(village.ConcurrentWith(township));
  EXPECT_FALSE(village.Dominates(township));
  EXPECT_FALSE(township.Dominates(village));

  // Disjoint origins are concurrent too.
  EXPECT_TRUE(Vector({{kXiaban, 1}}).ConcurrentWith(Vector({{kCounty, 1}})));
}

TEST(VersionVectorTest, JoinDominatesBothSides) {
  const VersionVector a = Vector({{kXiaban, 3}});
  const VersionVector b = Vector({{kFengpu, 2}});
  VersionVector joined = a;
  joined.Join(b);
  EXPECT_TRUE(joined.Dominates(a));
  EXPECT_TRUE(joined.Dominates(b));
}

TEST(VersionVectorTest, ToStringListsEntriesByOrigin) {
  EXPECT_EQ(VersionVector().ToString(), "{}");
  EXPECT_EQ(Vector({{kXiaban, 7}, {kCounty, 3}}).ToString(),
            "{gutian#1:3, gutian/fengpu/xiaban#1:7}");
}

TEST(DotTest, ToStringNamesOriginIncarnationAndCounter) {
  EXPECT_EQ(kXiabanReimaged.ToString(), "gutian/fengpu/xiaban#2");
  EXPECT_EQ((Dot{kXiabanReimaged, 17}).ToString(), "gutian/fengpu/xiaban#2:17");
}

}  // namespace
}  // namespace sanji::conflict
