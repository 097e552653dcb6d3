// CheckConsistency and Open's metadata checks find damage that LevelDB itself
// cannot see (ARCHITECTURE.md §5): a missing or dangling index entry, a
// counter behind the index or the knowledge, missing metadata, a conflict
// resolution that is malformed or marks no logged event.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <functional>
#include <memory>

#include "codec/vector_codec.h"
#include "leveldb/db.h"
#include "record.pb.h"
#include "store/coding.h"
#include "store/conflict_log.h"
#include "store/key_layout.h"
#include "store/store.h"
#include "tests/store/store_test_util.h"

namespace sanji::store::testing {
namespace {

using ::testing::AllOf;
using ::testing::HasSubstr;

class ConsistencyTest : public StoreTest {
 protected:
  // A closed store with two records; returns its origin.
  conflict::Origin CreateStore() {
    auto store = OpenStore();
    EXPECT_TRUE(store->Write(kTickets, "T-1", SetTitle("a")).ok());
    EXPECT_TRUE(store->Write(kTickets, "T-2", SetTitle("b")).ok());
    return store->origin();
  }

  // Edits the closed store's LevelDB directly, behind the Store's back.
  void Tamper(const std::function<void(leveldb::DB*)>& edit) {
    leveldb::DB* raw = nullptr;
    leveldb::Options options;
    ASSERT_TRUE(leveldb::DB::Open(options, store_path() + "/leveldb", &raw).ok());
    std::unique_ptr<leveldb::DB> db(raw);
    edit(db.get());
  }
};

TEST_F(ConsistencyTest, FindsMissingAndDanglingIndexEntries) {
  const conflict::Origin origin = CreateStore();
  Tamper([&](leveldb::DB* db) {
    ASSERT_TRUE(db->Delete({}, OriginIndexKey(origin, 1)).ok());
    ASSERT_TRUE(db->Put({}, OriginIndexKey({"gutian", 1}, 9), RecordName(kTickets, "T-9")).ok());
  });
  auto store = OpenStore();
  absl::Status status = store->CheckConsistency();
  EXPECT_EQ(status.code(), absl::StatusCode::kDataLoss);
  EXPECT_THAT(status.message(), AllOf(HasSubstr("2 problem"), HasSubstr("is not indexed"),
                                      HasSubstr("T-1"), HasSubstr("dangles"), HasSubstr("T-9")));
}

TEST_F(ConsistencyTest, FindsBadConflictResolutions) {
  {
    // Two conflict events (1: the amount, 2: the title) and a resolution.
    auto store = OpenStore();
    MakeTitleConflicts(*store, schema_);
    ASSERT_EQ(store->progress().conflict_next, 3u);
    ASSERT_TRUE(store->ResolveConflict(1).ok());
    ASSERT_TRUE(store->CheckConsistency().ok()) << store->CheckConsistency();
  }
  const std::string resolution = EncodeConflictResolution({kStartMicros, 0});
  Tamper([&](leveldb::DB* db) {
    ASSERT_TRUE(db->Put({}, ConflictResolutionKey(1), "garbage").ok());
    ASSERT_TRUE(db->Put({}, ConflictResolutionKey(7), resolution).ok());
    ASSERT_TRUE(db->Put({}, ConflictResolutionSpacePrefix() + "xyz", resolution).ok());
    ASSERT_TRUE(db->Delete({}, ConflictLogKey(1)).ok());
  });
  auto store = OpenStore();
  absl::Status status = store->CheckConsistency();
  EXPECT_EQ(status.code(), absl::StatusCode::kDataLoss);
  EXPECT_THAT(
      status.message(),
      AllOf(HasSubstr("4 problem"), HasSubstr("resolution of conflict event 1 is malformed"),
            HasSubstr("conflict event 1 has no conflict log entry"),
            HasSubstr("conflict event 7 is not below the next sequence 3"),
            HasSubstr("a malformed conflict resolution key")))
      << status;
}

TEST_F(ConsistencyTest, OpenRefusesACounterBehindTheKnowledge) {
  CreateStore();
  Tamper([&](leveldb::DB* db) {
    std::string one;
    PutFixed64BigEndian(&one, 1);
    ASSERT_TRUE(db->Put({}, MetadataKey(meta::kCounter), one).ok());
  });
  auto store = Store::Open(MakeOptions());
  EXPECT_EQ(store.status().code(), absl::StatusCode::kDataLoss);
  EXPECT_THAT(store.status().message(), AllOf(HasSubstr("corrupt"), HasSubstr("counter is 1")));
}

// Counter and knowledge agree, but the index shows a dot above them: handing
// out that counter again would reuse a dot.
TEST_F(ConsistencyTest, OpenRefusesACounterBehindTheIndex) {
  const conflict::Origin origin = CreateStore();
  Tamper([&](leveldb::DB* db) {
    std::string one;
    PutFixed64BigEndian(&one, 1);
    ASSERT_TRUE(db->Put({}, MetadataKey(meta::kCounter), one).ok());
    conflict::VersionVector knowledge;
    knowledge.Set(origin, 1);
    v1::VersionVector message;
    codec::EncodeVersionVector(knowledge, &message);
    ASSERT_TRUE(db->Put({}, KnowledgeKey(), message.SerializeAsString()).ok());
  });
  auto store = Store::Open(MakeOptions());
  EXPECT_EQ(store.status().code(), absl::StatusCode::kDataLoss);
  EXPECT_THAT(store.status().message(),
              AllOf(HasSubstr("origin index holds"), HasSubstr(":2, beyond the counter 1")));
}

TEST_F(ConsistencyTest, OpenRefusesMissingMetadata) {
  CreateStore();
  Tamper([&](leveldb::DB* db) { ASSERT_TRUE(db->Delete({}, MetadataKey(meta::kNodeId)).ok()); });
  auto store = Store::Open(MakeOptions());
  EXPECT_EQ(store.status().code(), absl::StatusCode::kDataLoss);
  EXPECT_THAT(store.status().message(), AllOf(HasSubstr("node_id"), HasSubstr("missing")));
}

}  // namespace
}  // namespace sanji::store::testing
