// Encode/decode round trips over random reachable records: every field kind,
// deletes, scope changes, several origins. For each: decode(encode(r)) == r,
// re-encoding gives the same bytes, and the direct writer matches protoc's
// serializer byte for byte (ARCHITECTURE.md §5: stores and peers agree on
// bytes), and the head a sender decodes alone (ParseRecordHead) is the full
// decode's context and scope. Seeds replay with SANJI_SEED.
#include <gtest/gtest.h>

#include "codec/record_codec.h"
#include "tests/conflict/random_history.h"

namespace sanji::codec {
namespace {

using conflict::AllKindsSchema;
using conflict::ForEachCase;
using conflict::PropertyCases;
using conflict::RandomHistory;
using conflict::Record;

TEST(RecordCodecPropertyTest, RandomRecordsRoundTripByteForByte) {
  RandomHistory::Options options;
  options.replicas = 4;
  options.scope_change_probability = 0.1;
  ForEachCase(PropertyCases() / 10, [&](uint64_t seed) {
    RandomHistory history(&AllKindsSchema(), options, seed);
    history.Run(24);
    for (int replica = 0; replica < history.replicas(); ++replica) {
      const Record& record = history.current(replica);
      const std::string bytes = SerializeRecord(record);
      v1::RecordState message;
      EncodeRecord(record, &message);
      ASSERT_EQ(bytes, message.SerializeAsString()) << conflict::Describe(record);
      auto decoded = ParseRecord(bytes);
      ASSERT_TRUE(decoded.ok()) << decoded.status() << "\n" << conflict::Describe(record);
      ASSERT_EQ(*decoded, record) << conflict::Describe(record);
      ASSERT_EQ(SerializeRecord(*decoded), bytes);
      auto head = ParseRecordHead(bytes);
      ASSERT_TRUE(head.ok()) << head.status() << "\n" << conflict::Describe(record);
      ASSERT_EQ(head->context, record.context()) << conflict::Describe(record);
      ASSERT_EQ(head->scope, record.scope()) << conflict::Describe(record);
    }
  });
}

}  // namespace
}  // namespace sanji::codec
