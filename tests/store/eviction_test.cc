// Evictions (ARCHITECTURE.md §4: "a record whose scope changes leaves the old
// village's store; a move-out never drops a change the old village has not
// yet passed up"): a remote batch removes a record only if the eviction's
// context covers the stored one, with no tombstone, no knowledge change and
// no conflict event; applying it twice changes nothing.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "store/store.h"
#include "tests/store/store_test_util.h"

namespace sanji::store::testing {
namespace {

using conflict::Origin;
using conflict::Record;
using conflict::VersionVector;
using ::testing::HasSubstr;

class EvictionTest : public StoreConformanceTest {
 protected:
  Record TownshipRecord(const Record& base, uint64_t counter) const {
    const auto* tickets = *schema_.Collection(kTickets);
    auto record = base.Write(*tickets, SetTitle("镇上写的"), {township_, counter},
                             {kStartMicros, static_cast<uint32_t>(counter)});
    EXPECT_TRUE(record.ok()) << record.status();
    return *record;
  }

  // Applies the township's records R-1 (counter 1) and R-2 (counter 2).
  void ApplyTwo(Store& store) {
    RemoteBatch batch;
    batch.items.push_back({kTickets, "R-1", TownshipRecord(Record(), 1)});
    batch.items.push_back({kTickets, "R-2", TownshipRecord(Record(), 2)});
    batch.knowledge.Set(township_, 2);
    ASSERT_TRUE(store.ApplyRemote(batch).ok());
  }

  VersionVector Township(uint64_t counter) const {
    VersionVector context;
    context.Set(township_, counter);
    return context;
  }

  static std::vector<uint64_t> Indexed(const Store& store, const Origin& origin) {
    std::vector<uint64_t> counters;
    auto it = store.ChangesSince(origin, 0);
    for (; it->Valid(); it->Next()) counters.push_back(it->counter());
    EXPECT_TRUE(it->status().ok()) << it->status();
    return counters;
  }

  const Origin township_{"gutian/fengpu", 4};
};

SANJI_STORE_CONFORMANCE(EvictionTest);

TEST_P(EvictionTest, RemovesACoveredRecordAndItsIndexEntries) {
  auto store = OpenStore();
  ApplyTwo(*store);
  const Progress before = store->progress();
  RemoteBatch batch;
  VersionVector wider = Township(7);  // a later state that moved it out
  wider.Set({"gutian", 1}, 3);
  batch.evictions.push_back({kTickets, "R-1", wider});
  ASSERT_TRUE(store->ApplyRemote(batch).ok());

  EXPECT_EQ(store->Get(kTickets, "R-1").status().code(), absl::StatusCode::kNotFound);
  EXPECT_TRUE(store->Get(kTickets, "R-2").ok());
  EXPECT_EQ(Indexed(*store, township_), (std::vector<uint64_t>{2}));
  EXPECT_EQ(store->Knowledge(), before.knowledge);
  EXPECT_EQ(store->progress().conflict_next, before.conflict_next);
  EXPECT_EQ(store->progress().counter, before.counter);
  EXPECT_TRUE(store->CheckConsistency().ok()) << store->CheckConsistency();
}

TEST_P(EvictionTest, KeepsARecordHoldingADotTheEvictionLacks) {
  auto store = OpenStore();
  ApplyTwo(*store);
  // The village changed R-1 and has not passed that change up yet.
  ASSERT_TRUE(store->Write(kTickets, "R-1", SetTitle("村里改的", std::nullopt)).ok());
  RemoteBatch batch;
  batch.evictions.push_back({kTickets, "R-1", Township(9)});
  ASSERT_TRUE(store->ApplyRemote(batch).ok());
  ExpectReapplyChangesNothing(*store, batch);  // the mark is written once
  EXPECT_EQ(TitleOf(*store->Get(kTickets, "R-1")), "村里改的");
  EXPECT_EQ(Indexed(*store, township_), (std::vector<uint64_t>{1, 2}));

  // Also kept: a stored dot of the evicting origin above the eviction's.
  RemoteBatch older;
  older.evictions.push_back({kTickets, "R-2", Township(1)});
  ASSERT_TRUE(store->ApplyRemote(older).ok());
  EXPECT_TRUE(store->Get(kTickets, "R-2").ok());
  EXPECT_TRUE(store->CheckConsistency().ok()) << store->CheckConsistency();
}

// A kept record is marked departed, so that sync finds it again after a
// restart; the mark goes with the record.
TEST_P(EvictionTest, AKeptRecordIsListedAsDepartedUntilEvicted) {
  auto store = OpenStore();
  ApplyTwo(*store);
  EXPECT_THAT(*store->Departures(), ::testing::IsEmpty());
  absl::StatusOr<WriteResult> village =
      store->Write(kTickets, "R-1", SetTitle("村里改的", std::nullopt));
  ASSERT_TRUE(village.ok()) << village.status();
  RemoteBatch moved;
  moved.evictions.push_back({kTickets, "R-1", Township(9)});
  ASSERT_TRUE(store->ApplyRemote(moved).ok());
  using Name = std::pair<std::string, std::string>;
  EXPECT_THAT(*store->Departures(), ::testing::ElementsAre(Name{kTickets, "R-1"}));
  EXPECT_TRUE(store->CheckConsistency().ok()) << store->CheckConsistency();

  // The parent has the village's change now: the record goes, and its mark.
  RemoteBatch evict;
  VersionVector covering = Township(9);
  covering.Join(village->record.context());
  evict.evictions.push_back({kTickets, "R-1", covering});
  ASSERT_TRUE(store->ApplyRemote(evict).ok());
  EXPECT_EQ(store->Get(kTickets, "R-1").status().code(), absl::StatusCode::kNotFound);
  EXPECT_THAT(*store->Departures(), ::testing::IsEmpty());
}

// The move reached this store first by another path (a bundle, the other
// parent); a copy from before the move, still in flight, must not bring the
// record back, since this store's knowledge covers the move and nothing
// would send the move-out again. A record the knowledge does not cover all
// of is new here and is stored.
TEST_P(EvictionTest, AnOlderCopyArrivingAfterTheEvictionDoesNotBringItBack) {
  auto store = OpenStore();
  ApplyTwo(*store);
  RemoteBatch moved;
  VersionVector wider = Township(7);
  wider.Set({"gutian", 1}, 3);
  moved.evictions.push_back({kTickets, "R-1", wider});
  moved.knowledge = wider;
  ASSERT_TRUE(store->ApplyRemote(moved).ok());
  ASSERT_EQ(store->Get(kTickets, "R-1").status().code(), absl::StatusCode::kNotFound);

  RemoteBatch in_flight;
  in_flight.items.push_back({kTickets, "R-1", TownshipRecord(Record(), 1)});
  in_flight.items.push_back({kTickets, "R-3", TownshipRecord(Record(), 8)});
  ASSERT_TRUE(store->ApplyRemote(in_flight).ok());
  EXPECT_EQ(store->Get(kTickets, "R-1").status().code(), absl::StatusCode::kNotFound);
  EXPECT_TRUE(store->Get(kTickets, "R-3").ok());
  EXPECT_TRUE(store->CheckConsistency().ok()) << store->CheckConsistency();
}

TEST_P(EvictionTest, UnknownKeyChangesNothing) {
  auto store = OpenStore();
  ApplyTwo(*store);
  const auto files = StoreFiles();
  const StoreStats stats = store->stats();
  RemoteBatch batch;
  batch.evictions.push_back({kTickets, "R-9", Township(9)});
  ASSERT_TRUE(store->ApplyRemote(batch).ok());
  EXPECT_EQ(StoreFiles(), files);
  EXPECT_EQ(store->stats().commits, stats.commits);
}

TEST_P(EvictionTest, IsValidatedLikeAnItem) {
  auto store = OpenStore();
  ApplyTwo(*store);
  const auto files = StoreFiles();
  RemoteBatch batch;
  batch.items.push_back({kTickets, "R-3", TownshipRecord(Record(), 3)});
  // (An eviction of a collection the schema does not name is a newer
  // schema's, and applies as any other.)
  batch.evictions = {{kTickets, "", Township(9)}};
  absl::Status status = store->ApplyRemote(batch).status();
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument) << status;
  EXPECT_THAT(status.message(), HasSubstr("eviction"));
  EXPECT_EQ(StoreFiles(), files);  // nor the item
  EXPECT_EQ(store->Get(kTickets, "R-3").status().code(), absl::StatusCode::kNotFound);
}

// Evictions apply to the state after the batch's own items are merged.
TEST_P(EvictionTest, AppliesAfterTheItemsOfItsBatch) {
  auto store = OpenStore();
  ApplyTwo(*store);
  RemoteBatch batch;
  // R-1 moves on to counter 3 in this batch: an eviction seen at 2 keeps it.
  batch.items.push_back({kTickets, "R-1", TownshipRecord(*store->Get(kTickets, "R-1"), 3)});
  batch.evictions.push_back({kTickets, "R-1", Township(2)});
  // R-4 arrives and leaves in the same batch (it moved out at counter 4).
  batch.items.push_back({kTickets, "R-4", TownshipRecord(Record(), 4)});
  batch.evictions.push_back({kTickets, "R-4", Township(4)});
  // R-2 leaves.
  batch.evictions.push_back({kTickets, "R-2", Township(4)});
  batch.knowledge.Set(township_, 4);
  ASSERT_TRUE(store->ApplyRemote(batch).ok());

  EXPECT_TRUE(store->Get(kTickets, "R-1").ok());
  EXPECT_EQ(store->Get(kTickets, "R-2").status().code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(store->Get(kTickets, "R-4").status().code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(Indexed(*store, township_), (std::vector<uint64_t>{3}));
  EXPECT_EQ(store->Knowledge().Get(township_), 4u);
  EXPECT_TRUE(store->CheckConsistency().ok()) << store->CheckConsistency();
}

TEST_P(EvictionTest, ApplyingTwiceChangesNothing) {
  auto store = OpenStore();
  ApplyTwo(*store);
  RemoteBatch batch;
  batch.items.push_back({kTickets, "R-3", TownshipRecord(Record(), 3)});
  batch.evictions.push_back({kTickets, "R-1", Township(3)});
  batch.knowledge.Set(township_, 3);
  ExpectReapplyChangesNothing(*store, batch);
  EXPECT_EQ(store->Get(kTickets, "R-1").status().code(), absl::StatusCode::kNotFound);
  EXPECT_TRUE(store->Get(kTickets, "R-3").ok());
}

}  // namespace
}  // namespace sanji::store::testing
