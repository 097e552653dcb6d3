// ChangesSince (ARCHITECTURE.md §3, §5): the records whose dot for an origin is
// above a counter, in counter order, from a snapshot, resumable in bounded
// steps however many are behind.
#include <gtest/gtest.h>

#include "absl/strings/str_cat.h"
#include "codec/record_codec.h"
#include "store/store.h"
#include "tests/store/store_test_util.h"

namespace sanji::store::testing {
namespace {

using conflict::Origin;
using conflict::Record;

class ChangeIteratorTest : public StoreConformanceTest {};
SANJI_STORE_CONFORMANCE(ChangeIteratorTest);

struct Change {
  uint64_t counter;
  std::string key;
  friend bool operator==(const Change&, const Change&) = default;
};

std::vector<Change> Drain(ChangeIterator& it, size_t max = SIZE_MAX) {
  std::vector<Change> changes;
  for (; it.Valid() && changes.size() < max; it.Next()) {
    EXPECT_EQ(it.collection(), kTickets);
    changes.push_back({it.counter(), it.key()});
  }
  EXPECT_TRUE(it.status().ok()) << it.status();
  return changes;
}

TEST_P(ChangeIteratorTest, ChangesSinceYieldsCounterOrderFromASnapshot) {
  auto store = OpenStore();
  for (int i = 1; i <= 5; ++i) {
    ASSERT_TRUE(store->Write(kTickets, absl::StrCat("k", i), SetTitle("x")).ok());
  }
  ASSERT_TRUE(store->Write(kTickets, "k2", SetTitle("y", std::nullopt)).ok());  // counter 6

  auto it = store->ChangesSince(store->origin(), 0);
  ASSERT_TRUE(store->Write(kTickets, "k7", SetTitle("after the snapshot")).ok());
  EXPECT_EQ(Drain(*it),
            (std::vector<Change>{{1, "k1"}, {3, "k3"}, {4, "k4"}, {5, "k5"}, {6, "k2"}}));

  auto tail = store->ChangesSince(store->origin(), 4);
  EXPECT_EQ(Drain(*tail), (std::vector<Change>{{5, "k5"}, {6, "k2"}, {7, "k7"}}));
  EXPECT_FALSE(store->ChangesSince(store->origin(), 7)->Valid());
  EXPECT_FALSE(store->ChangesSince(Origin{"gutian/other", 1}, 0)->Valid());
  EXPECT_FALSE(store->ChangesSince(store->origin(), UINT64_MAX)->Valid());
}

// Sync forwards a record's stored bytes and reads only its head
// (Decode::kHead): the bytes are the record's encoding, the head its context
// and scope.
TEST_P(ChangeIteratorTest, HeadDecodingYieldsStoredBytesAndHead) {
  auto store = OpenStore();
  for (int i = 1; i <= 3; ++i) {
    ASSERT_TRUE(store->Write(kTickets, absl::StrCat("k", i), SetTitle("x")).ok());
  }
  auto it = store->Snapshot()->ChangesSince(store->origin(), 0, ChangeIterator::Decode::kHead);
  int seen = 0;
  for (; it->Valid(); it->Next(), ++seen) {
    absl::StatusOr<Record> record = store->Get(kTickets, it->key());
    ASSERT_TRUE(record.ok()) << record.status();
    EXPECT_EQ(it->record_bytes(), codec::SerializeRecord(*record));
    EXPECT_EQ(it->head().context, record->context());
    EXPECT_EQ(it->head().scope, record->scope());
  }
  EXPECT_TRUE(it->status().ok()) << it->status();
  EXPECT_EQ(seen, 3);
}

// A catch-up of many records taken in bounded steps: each step holds one
// iterator and at most `kStep` records, and resumes from the last counter.
TEST_P(ChangeIteratorTest, ChangesSinceResumesInBoundedSteps) {
  constexpr int kRecords = 3000;
  constexpr size_t kStep = 128;
  auto store = OpenStore();
  const Origin township{"gutian/fengpu", 2};
  const auto* tickets = *schema_.Collection(kTickets);
  RemoteBatch batch;
  for (int i = 1; i <= kRecords; ++i) {
    // Keys in an order unrelated to counters.
    const std::string key = absl::StrCat("k", (i * 7919) % kRecords);
    batch.items.push_back(
        {kTickets, key,
         *Record().Write(*tickets, SetTitle("x"), {township, static_cast<uint64_t>(i)},
                         {kStartMicros, 0})});
  }
  ASSERT_TRUE(store->ApplyRemote(batch).ok());

  uint64_t after = 0;
  size_t steps = 0;
  std::vector<uint64_t> counters;
  while (true) {
    auto it = store->ChangesSince(township, after);
    std::vector<Change> step = Drain(*it, kStep);
    if (step.empty()) break;
    ++steps;
    for (const Change& change : step) counters.push_back(change.counter);
    after = step.back().counter;
  }
  ASSERT_EQ(counters.size(), static_cast<size_t>(kRecords));
  for (int i = 0; i < kRecords; ++i) EXPECT_EQ(counters[i], static_cast<uint64_t>(i + 1));
  EXPECT_EQ(steps, (kRecords + kStep - 1) / kStep);
}

}  // namespace
}  // namespace sanji::store::testing
