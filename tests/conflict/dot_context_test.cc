#include "conflict/dot_context.h"

#include <algorithm>
#include <vector>

#include "conflict/dot.h"
#include "conflict/version_vector.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/conflict/test_util.h"

namespace sanji::conflict {
namespace {

using ::testing::ElementsAre;
using ::testing::IsEmpty;

const Origin kXiaban{"gutian/fengpu/xiaban", 1};
const Origin kFengpu{"gutian/fengpu", 1};

Dot X(uint64_t counter) { return Dot{kXiaban, counter}; }
Dot F(uint64_t counter) { return Dot{kFengpu, counter}; }

// ARCHITECTURE.md §3 via dot_context.h: isolated dots wait in the cloud until the gap closes.
TEST(DotContextTest, OutOfOrderDotsCompactWhenTheGapCloses) {
  DotContext context;
  context.Insert(X(3));
  context.Insert(X(2));
  EXPECT_EQ(context.compact().Get(kXiaban), 0u);
  EXPECT_THAT(context.cloud(), ElementsAre(X(2), X(3)));

  context.Insert(X(1));
  EXPECT_EQ(context.compact().Get(kXiaban), 3u);
  EXPECT_THAT(context.cloud(), IsEmpty());
}

TEST(DotContextTest, PartialGapLeavesTheRestInTheCloud) {
  DotContext context;
  context.Insert(X(1));
  context.Insert(X(3));
  context.Insert(X(5));
  EXPECT_EQ(context.compact().Get(kXiaban), 1u);
  EXPECT_THAT(context.cloud(), ElementsAre(X(3), X(5)));
  context.Insert(X(2));
  EXPECT_EQ(context.compact().Get(kXiaban), 3u);
  EXPECT_THAT(context.cloud(), ElementsAre(X(5)));
}

TEST(DotContextTest, CoversCompactAndCloudDots) {
  DotContext context;
  context.Insert(X(1));
  context.Insert(X(4));
  context.Insert(F(2));
  EXPECT_TRUE(context.Covers(X(1)));
  EXPECT_TRUE(context.Covers(X(4)));
  EXPECT_FALSE(context.Covers(X(2)));
  EXPECT_FALSE(context.Covers(X(3)));
  EXPECT_FALSE(context.Covers(X(5)));
  EXPECT_TRUE(context.Covers(F(2)));
  EXPECT_FALSE(context.Covers(F(1)));
}

TEST(DotContextTest, InsertingACoveredDotChangesNothing) {
  VersionVector prefix;
  prefix.Set(kXiaban, 4);
  DotContext context(prefix);
  const DotContext before = context;
  context.Insert(X(2));
  EXPECT_EQ(context, before);
  EXPECT_THAT(context.cloud(), IsEmpty());
}

TEST(DotContextTest, InsertPrefixesFoldsTheCloud) {
  DotContext context;
  context.Insert(X(3));
  context.Insert(X(5));
  context.Insert(X(8));
  context.Insert(F(2));

  VersionVector prefixes;
  prefixes.Set(kXiaban, 4);
  prefixes.Set(kFengpu, 1);
  context.InsertPrefixes(prefixes);

  // x3 is now covered by the prefix, x5 is contiguous with it, x8 is not; f2 follows f1.
  EXPECT_EQ(context.compact().Get(kXiaban), 5u);
  EXPECT_EQ(context.compact().Get(kFengpu), 2u);
  EXPECT_THAT(context.cloud(), ElementsAre(X(8)));
  EXPECT_TRUE(context.Covers(X(4)));
  EXPECT_FALSE(context.Covers(X(6)));
}

TEST(DotContextTest, JoinIsSetUnion) {
  DotContext a;
  a.Insert(X(1));
  a.Insert(X(3));
  DotContext b;
  b.Insert(X(2));
  b.Insert(F(4));

  DotContext joined = a;
  joined.Join(b);
  EXPECT_EQ(joined.compact().Get(kXiaban), 3u);
  EXPECT_EQ(joined.compact().Get(kFengpu), 0u);
  EXPECT_THAT(joined.cloud(), ElementsAre(F(4)));
  for (const Dot& dot : {X(1), X(2), X(3), F(4)}) EXPECT_TRUE(joined.Covers(dot)) << dot.ToString();

  DotContext other_way = b;
  other_way.Join(a);
  EXPECT_EQ(other_way, joined);

  DotContext again = joined;
  again.Join(joined);
  EXPECT_EQ(again, joined);
}

TEST(DotContextTest, JoinDropsCloudDotsTheOtherSideCovers) {
  DotContext a;
  a.Insert(X(4));
  VersionVector prefix;
  prefix.Set(kXiaban, 6);
  DotContext b(prefix);
  a.Join(b);
  EXPECT_EQ(a, b);
  EXPECT_THAT(a.cloud(), IsEmpty());
}

// dot_context.h: the representation is canonical, so equal sets compare equal.
TEST(DotContextTest, SameSetInAnyOrderIsEqual) {
  std::vector<Dot> dots = {X(1), X(2), X(4), X(5), X(7), F(1), F(3)};
  DotContext forward;
  for (const Dot& dot : dots) forward.Insert(dot);

  std::sort(dots.begin(), dots.end());
  int orders = 0;
  do {
    DotContext permuted;
    for (const Dot& dot : dots) permuted.Insert(dot);
    ASSERT_EQ(permuted, forward) << "order " << orders;
    ++orders;
  } while (std::next_permutation(dots.begin(), dots.end()) && orders < 5040);
  EXPECT_EQ(orders, 5040);

  // Built from a prefix and the rest.
  VersionVector prefix;
  prefix.Set(kXiaban, 2);
  DotContext from_prefix(prefix);
  for (const Dot& dot : {F(3), X(7), X(5), F(1), X(4)}) from_prefix.Insert(dot);
  EXPECT_EQ(from_prefix, forward);
  EXPECT_EQ(forward.compact().Get(kXiaban), 2u);
  EXPECT_EQ(forward.compact().Get(kFengpu), 1u);
  EXPECT_THAT(forward.cloud(), ElementsAre(F(3), X(4), X(5), X(7)));
}

TEST(DotContextTest, ToStringShowsVectorAndCloud) {
  DotContext context;
  context.Insert(X(1));
  context.Insert(X(3));
  EXPECT_EQ(context.ToString(), "{gutian/fengpu/xiaban#1:1} + [gutian/fengpu/xiaban#1:3]");
}

}  // namespace
}  // namespace sanji::conflict
