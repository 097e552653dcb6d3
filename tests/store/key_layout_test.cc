// The key layout of store/key_layout.h: escaped strings and big-endian
// counters sort like the values they encode, prefixes are unambiguous, and
// every key parses back (ARCHITECTURE.md §5: the layout is written down once).
#include "store/key_layout.h"

#include <gtest/gtest.h>

#include <random>

#include "store/coding.h"
#include "store/conflict_log.h"

namespace sanji::store {
namespace {

// Short strings over an alphabet of the bytes escaping treats specially.
std::string RandomText(std::mt19937& rng) {
  static constexpr char kAlphabet[] = {'\x00', '\x01', 'a', '\xff'};
  std::string text(rng() % 4, ' ');
  for (char& c : text) c = kAlphabet[rng() % 4];
  return text;
}

int Sign(int value) { return (value > 0) - (value < 0); }

TEST(KeyLayoutTest, RecordKeysSortByCollectionThenKey) {
  std::mt19937 rng(20261128);
  for (int i = 0; i < 20000; ++i) {
    const std::string c1 = RandomText(rng), k1 = RandomText(rng);
    const std::string c2 = RandomText(rng), k2 = RandomText(rng);
    const int expected = c1 != c2 ? Sign(c1.compare(c2)) : Sign(k1.compare(k2));
    EXPECT_EQ(Sign(RecordKey(c1, k1).compare(RecordKey(c2, k2))), expected)
        << ToHex(c1) << "/" << ToHex(k1) << " vs " << ToHex(c2) << "/" << ToHex(k2);
  }
}

TEST(KeyLayoutTest, RangePrefixMatchesExactlyTheKeysWithThatPrefix) {
  std::mt19937 rng(7);
  for (int i = 0; i < 20000; ++i) {
    const std::string collection = RandomText(rng), other = RandomText(rng);
    const std::string key = RandomText(rng), prefix = RandomText(rng);
    const std::string range = RecordRangePrefix(collection, prefix);
    EXPECT_EQ(RecordKey(collection, key).starts_with(range), key.starts_with(prefix));
    if (other != collection) {
      EXPECT_FALSE(RecordKey(other, key).starts_with(range));
    }
  }
}

TEST(KeyLayoutTest, RecordKeysParseBack) {
  const std::string collection("t\0x", 3), key("k\0\xff", 3);
  std::string parsed_collection, parsed_key;
  ASSERT_TRUE(ParseRecordKey(RecordKey(collection, key), &parsed_collection, &parsed_key));
  EXPECT_EQ(parsed_collection, collection);
  EXPECT_EQ(parsed_key, key);
  EXPECT_FALSE(ParseRecordKey(RecordKey(collection, key) + "x", &parsed_collection, &parsed_key));
  EXPECT_FALSE(ParseRecordKey(OriginIndexKey({"a", 1}, 1), &parsed_collection, &parsed_key));

  // An index entry's value (the name) gives the record key back, and no
  // cut of a name parses.
  const std::string name = RecordName(collection, key);
  std::string record_key = "reused";
  RecordKeyOfName(name, &record_key);
  EXPECT_EQ(record_key, RecordKey(collection, key));
  for (size_t size = 0; size < name.size(); ++size) {
    EXPECT_FALSE(ParseRecordName(name.substr(0, size), &parsed_collection, &parsed_key)) << size;
  }
}

TEST(KeyLayoutTest, IndexKeysSortByCounterWithinAnOrigin) {
  const conflict::Origin origin{"gutian/fengpu", 7};
  for (uint64_t counter : {1ULL, 255ULL, 256ULL, 65535ULL, 1ULL << 40}) {
    EXPECT_LT(OriginIndexKey(origin, counter), OriginIndexKey(origin, counter + 1));
    EXPECT_TRUE(OriginIndexKey(origin, counter).starts_with(OriginIndexPrefix(origin)));
  }
  // "gutian" must not own the index entries of "gutian/fengpu" or "gutian\0".
  EXPECT_FALSE(OriginIndexKey(origin, 1).starts_with(OriginIndexPrefix({"gutian", 7})));
  EXPECT_FALSE(OriginIndexKey(origin, 1).starts_with(OriginIndexPrefix({"gutian/fengpu", 8})));
  conflict::Origin parsed;
  uint64_t counter = 0;
  ASSERT_TRUE(ParseOriginIndexKey(OriginIndexKey(origin, 42), &parsed, &counter));
  EXPECT_EQ(parsed, origin);
  EXPECT_EQ(counter, 42u);
}

TEST(KeyLayoutTest, KeySpacesDoNotOverlap) {
  const std::string record = RecordKey("m", "x");
  EXPECT_FALSE(record.starts_with(MetadataKey("")));
  EXPECT_LT(MetadataKey(meta::kNodeId), RecordSpacePrefix());
  EXPECT_LT(record, OriginIndexSpacePrefix());
  EXPECT_LT(OriginIndexKey({"\xff\xff", 0xffffffff}, UINT64_MAX), KnowledgeKey());
  EXPECT_LT(KnowledgeKey(), ConflictLogKey(0));
  uint64_t sequence = 0;
  ASSERT_TRUE(ParseConflictLogKey(ConflictLogKey(300), &sequence));
  EXPECT_EQ(sequence, 300u);
  EXPECT_LT(ConflictLogKey(UINT64_MAX), ConflictResolutionSpacePrefix());
  ASSERT_TRUE(ParseConflictResolutionKey(ConflictResolutionKey(301), &sequence));
  EXPECT_EQ(sequence, 301u);
  EXPECT_FALSE(ParseConflictResolutionKey(ConflictLogKey(301), &sequence));
  EXPECT_FALSE(ParseConflictResolutionKey(ConflictResolutionSpacePrefix() + "abc", &sequence));
}

TEST(KeyLayoutTest, ConflictLogEntriesRoundTrip) {
  using conflict::ConflictEvent;
  ConflictLogEntry entry;
  entry.sequence = 9;
  entry.collection = "tickets";
  entry.key = std::string("工单\0一", 10);
  entry.recorded_at = {123456, 3};
  entry.event.kind = ConflictEvent::Kind::kLwwOverwrite;
  entry.event.field = "title";
  entry.event.kept.dot = {{"gutian/fengpu", 2}, 5};
  entry.event.kept.timestamp = {1000, 1};
  entry.event.kept.value = conflict::Value(std::string("甲"));
  entry.event.other.dot = {{"gutian/fengpu/xiaban", 1}, 9};
  entry.event.other.timestamp = {999, 0};
  entry.event.other.value = conflict::Value(-1.5);
  auto decoded = DecodeConflictLogEntry(9, EncodeConflictLogEntry(entry));
  ASSERT_TRUE(decoded.ok()) << decoded.status();
  EXPECT_EQ(*decoded, entry);
  entry.event.other.value.reset();
  entry.event.kept.value = conflict::Value(true);
  EXPECT_EQ(*DecodeConflictLogEntry(9, EncodeConflictLogEntry(entry)), entry);
  EXPECT_EQ(DecodeConflictLogEntry(9, "\x05garbage").status().code(), absl::StatusCode::kDataLoss);
}

TEST(KeyLayoutTest, ConflictLogEntriesKeepTheirAuthorsAndOlderEntriesReadWithout) {
  ConflictLogEntry entry;
  entry.sequence = 4;
  entry.collection = "tickets";
  entry.key = "T-1";
  entry.event.field = "title";
  entry.event.kept.dot = {{"gutian", 1}, 5};
  entry.event.kept.value = conflict::Value(std::string("甲"));
  entry.event.kept.author = "sanji://operator/duty/gutian";
  entry.event.other.dot = {{"gutian/fengpu/xiaban", 1}, 9};
  entry.event.other.value = conflict::Value(std::string("乙"));
  const std::string bytes = EncodeConflictLogEntry(entry);
  EXPECT_EQ(*DecodeConflictLogEntry(4, bytes), entry);
  // An entry written before authors were recorded ends at the sides: the
  // same entry with both authors empty, less their two length bytes.
  ConflictLogEntry older = entry;
  older.event.kept.author.clear();
  const std::string older_bytes = EncodeConflictLogEntry(older);
  EXPECT_EQ(*DecodeConflictLogEntry(4, older_bytes.substr(0, older_bytes.size() - 2)), older);
  // Cut inside the authors: malformed.
  EXPECT_EQ(DecodeConflictLogEntry(4, bytes.substr(0, bytes.size() - 3)).status().code(),
            absl::StatusCode::kDataLoss);
}

}  // namespace
}  // namespace sanji::store
