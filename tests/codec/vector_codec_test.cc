// Version vector and dot context codec: exact round trips; corrupt vectors
// (zero counters, unsorted entries, empty node ids) are DataLoss.
#include "codec/vector_codec.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace sanji::codec {
namespace {

using conflict::Dot;
using conflict::DotContext;
using conflict::Origin;
using conflict::VersionVector;
using ::testing::HasSubstr;

const Origin kCounty{"gutian", 1};
const Origin kVillage{"gutian/fengpu/xiaban", 3};

TEST(VectorCodecTest, VersionVectorRoundTrips) {
  VersionVector vector;
  vector.Advance({kCounty, 17});
  vector.Advance({kVillage, 4});
  v1::VersionVector message;
  EncodeVersionVector(vector, &message);
  auto decoded = DecodeVersionVector(message);
  ASSERT_TRUE(decoded.ok()) << decoded.status();
  EXPECT_EQ(*decoded, vector);
}

TEST(VectorCodecTest, DotContextRoundTripsWithCloud) {
  DotContext context;
  context.Insert({kCounty, 1});
  context.Insert({kCounty, 5});
  context.Insert({kVillage, 9});
  v1::DotContext message;
  EncodeDotContext(context, &message);
  auto decoded = DecodeDotContext(message);
  ASSERT_TRUE(decoded.ok()) << decoded.status();
  EXPECT_EQ(*decoded, context);
  EXPECT_TRUE(decoded->Covers({kCounty, 5}));
  EXPECT_FALSE(decoded->Covers({kCounty, 4}));
}

TEST(VectorCodecTest, ZeroCounterIsDataLoss) {
  v1::VersionVector message;
  auto* entry = message.add_entries();
  EncodeOrigin(kCounty, entry->mutable_origin());
  auto decoded = DecodeVersionVector(message);
  EXPECT_EQ(decoded.status().code(), absl::StatusCode::kDataLoss);
  EXPECT_THAT(decoded.status().message(), HasSubstr("gutian#1 has counter 0"));
}

TEST(VectorCodecTest, UnsortedEntriesAreDataLoss) {
  v1::VersionVector message;
  for (const Origin& origin : {kVillage, kCounty}) {
    auto* entry = message.add_entries();
    EncodeOrigin(origin, entry->mutable_origin());
    entry->set_counter(1);
  }
  auto decoded = DecodeVersionVector(message);
  EXPECT_EQ(decoded.status().code(), absl::StatusCode::kDataLoss);
  EXPECT_THAT(decoded.status().message(), HasSubstr("not sorted"));
}

TEST(VectorCodecTest, EmptyNodeIdIsDataLoss) {
  v1::Dot message;
  message.set_counter(3);
  auto decoded = DecodeDot(message);
  EXPECT_EQ(decoded.status().code(), absl::StatusCode::kDataLoss);
  EXPECT_THAT(decoded.status().message(), HasSubstr("empty node id"));
}

}  // namespace
}  // namespace sanji::codec
