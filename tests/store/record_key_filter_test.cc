// The record key filter (store/record_key_filter.h) and the store's use of it:
// a write of a key the store holds must always read and merge the stored
// state, whether the filter was complete from creation, filled after a reopen,
// or being filled while the writes run.
#include "store/record_key_filter.h"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "conflict/causal_counter.h"
#include "store/key_layout.h"
#include "store/store.h"
#include "tests/store/store_test_util.h"

namespace sanji::store::testing {
namespace {

using conflict::Change;
using conflict::FieldOp;
using conflict::Increment;

std::vector<std::string> RandomKeys(std::mt19937_64& random, size_t count, absl::string_view tag) {
  std::vector<std::string> keys;
  keys.reserve(count);
  for (size_t i = 0; i < count; ++i) {
    keys.push_back(RecordKey(kTickets, absl::StrCat(tag, "-", random(), "-", i)));
  }
  return keys;
}

TEST(RecordKeyFilterTest, NeverCallsAnAddedKeyAbsentAndRarelyAnotherPresent) {
  const uint64_t seed = TestSeed();
  std::mt19937_64 random(seed);
  // Enough keys to grow past the first segments.
  const std::vector<std::string> added =
      RandomKeys(random, 5 * RecordKeyFilter::kFirstSegmentKeys, "added");
  RecordKeyFilter filter(/*complete=*/false);
  filter.AddAll(added);
  EXPECT_FALSE(filter.CertainlyAbsent("anything")) << "an incomplete filter knows nothing";
  filter.MarkComplete();
  for (const std::string& key : added) {
    ASSERT_FALSE(filter.CertainlyAbsent(key)) << key << " (seed " << seed << ")";
  }
  const std::vector<std::string> others = RandomKeys(random, 100'000, "other");
  size_t false_positives = 0;
  for (const std::string& key : others) false_positives += !filter.CertainlyAbsent(key);
  // About 1% per segment, three segments: well under 5%.
  EXPECT_LT(false_positives, others.size() / 20) << "seed " << seed;
  std::printf("false positives: %zu of %zu\n", false_positives, others.size());
  // Duplicates are not counted twice, and memory stays near 2.5 bytes a key.
  const size_t distinct = filter.keys();
  EXPECT_GE(distinct, added.size() * 97 / 100);
  EXPECT_LE(distinct, added.size());
  filter.AddAll(added);
  EXPECT_EQ(filter.keys(), distinct);
  EXPECT_LE(filter.memory_bytes(), added.size() * 3);
}

TEST(RecordKeyFilterTest, AnEmptyCompleteFilterCallsEveryKeyAbsent) {
  RecordKeyFilter filter(/*complete=*/true);
  EXPECT_TRUE(filter.CertainlyAbsent(RecordKey(kTickets, "T-1")));
  filter.Add(RecordKey(kTickets, "T-1"));
  EXPECT_FALSE(filter.CertainlyAbsent(RecordKey(kTickets, "T-1")));
  EXPECT_EQ(filter.keys(), 1u);
}

class StoreKeyFilterTest : public StoreConformanceTest {
 protected:
  static Change VisitChange(std::optional<std::string> scope = std::nullopt) {
    Change change;
    change.ops.push_back(FieldOp{"visits", Increment{1}});
    change.scope = std::move(scope);
    return change;
  }

  static int64_t VisitsOf(const Store& store, const std::string& key) {
    auto record = store.Get(kTickets, key);
    EXPECT_TRUE(record.ok()) << key << ": " << record.status();
    if (!record.ok()) return -1;
    const conflict::FieldState* field = record->field("visits");
    return field == nullptr ? 0 : std::get<conflict::CausalCounter>(*field).Total();
  }

  // Waits, with a deadline, for the store to finish filling its filter.
  static void AwaitFilterComplete(const Store& store) {
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
    while (!store.stats().record_key_filter_complete) {
      ASSERT_LT(std::chrono::steady_clock::now(), deadline) << "the filter never completed";
      std::this_thread::yield();
    }
  }

  void Visit(Store& store, const std::string& key, bool is_new = false) {
    auto written =
        store.Write(kTickets, key, VisitChange(is_new ? std::optional(kNode) : std::nullopt));
    ASSERT_TRUE(written.ok()) << key << ": " << written.status();
  }
};
SANJI_STORE_CONFORMANCE(StoreKeyFilterTest);

// Every record is visited once per round; a write that took a stored record
// for new would fail (a new record needs a scope) or leave it with fewer
// visits. Between the filling's chunks, the test visits the record whose
// index entry the chunk ended on, which moves that entry to the end of the
// index: the next chunk must resume at the entry after it, not skip one.
TEST_P(StoreKeyFilterTest, WritesMergeWithStoredRecordsBeforeDuringAndAfterFilling) {
  constexpr int kRecords = 300;
  constexpr int kChunk = 7;
  const auto key_of = [](int i) { return absl::StrCat("T-", i); };
  {
    auto store = OpenStore();
    EXPECT_TRUE(store->stats().record_key_filter_complete) << "a new store holds nothing";
    for (int i = 0; i < kRecords; ++i) Visit(*store, key_of(i), /*is_new=*/true);
    // The index now holds T-0 ... T-299 in this order (one origin, dense).
    for (int i = 0; i < kRecords; ++i) Visit(*store, key_of(i));
    EXPECT_EQ(store->stats().record_key_filter_keys, static_cast<uint64_t>(kRecords));
  }
  Options options = MakeOptions();
  options.key_filter_fill_chunk = kChunk;
  std::atomic<Store*> opened{nullptr};
  int chunks = 0;  // touched by the filling thread only
  options.key_filter_chunk_done_for_test = [&] {
    ++chunks;
    Store* store = nullptr;
    while ((store = opened.load()) == nullptr) std::this_thread::yield();
    const int last_read = kChunk * chunks - 1;
    if (last_read < kRecords) Visit(*store, key_of(last_read));
    Visit(*store, absl::StrCat("N-", chunks), /*is_new=*/true);
  };
  auto store = OpenStore(options);
  ASSERT_NE(store, nullptr);
  opened = store.get();
  AwaitFilterComplete(*store);
  EXPECT_GE(store->stats().record_key_filter_keys, static_cast<uint64_t>(kRecords));
  ASSERT_GT(chunks, kRecords / kChunk);
  for (int i = 0; i < kRecords; ++i) Visit(*store, key_of(i));
  for (int n = 1; n <= chunks; ++n) Visit(*store, absl::StrCat("N-", n));
  for (int i = 0; i < kRecords; ++i) {
    const bool visited_while_filling = (i + 1) % kChunk == 0;
    EXPECT_EQ(VisitsOf(*store, key_of(i)), visited_while_filling ? 4 : 3) << key_of(i);
  }
  for (int n = 1; n <= chunks; ++n) EXPECT_EQ(VisitsOf(*store, absl::StrCat("N-", n)), 2);
  EXPECT_TRUE(store->CheckConsistency().ok()) << store->CheckConsistency();
}

TEST_P(StoreKeyFilterTest, RemoteBatchesMergeWithRecordsStoredBeforeTheReopen) {
  {
    auto store = OpenStore();
    MakeTitleConflicts(*store, schema_);  // T-1 written here and at the township
  }
  auto store = OpenStore();
  AwaitFilterComplete(*store);
  EXPECT_FALSE(store->ListConflicts(0, 0)->empty());
  // A remote state of T-1 that knows nothing of the stored one must merge,
  // not replace: the stored title stays among the candidates.
  auto stored = store->Get(kTickets, "T-1");
  ASSERT_TRUE(stored.ok()) << stored.status();
  const auto* tickets = *schema_.Collection(kTickets);
  const conflict::Origin county{"gutian", 1};
  auto remote = conflict::Record().Write(*tickets, VisitChange(std::string(kNode)), {county, 1},
                                         {kStartMicros, 1});
  ASSERT_TRUE(remote.ok()) << remote.status();
  RemoteBatch batch;
  batch.items.push_back({kTickets, "T-1", *remote});
  batch.knowledge.Set(county, 1);
  ASSERT_TRUE(store->ApplyRemote(batch).ok());
  auto merged = store->Get(kTickets, "T-1");
  ASSERT_TRUE(merged.ok());
  EXPECT_TRUE(merged->context().Covers(stored->context())) << "the stored state was replaced";
  EXPECT_EQ(TitleOf(*merged), TitleOf(*stored));
  EXPECT_EQ(VisitsOf(*store, "T-1"), 1);
  EXPECT_TRUE(store->CheckConsistency().ok()) << store->CheckConsistency();
}

}  // namespace
}  // namespace sanji::store::testing
