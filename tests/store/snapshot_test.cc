// Store snapshots (ARCHITECTURE.md §3: the engine takes "store snapshots in"):
// knowledge, index frontier and change streams read at one instant, blind to
// later commits; the frontier is the highest indexed counter per origin.
#include <gtest/gtest.h>

#include <map>
#include <random>
#include <vector>

#include "absl/strings/str_cat.h"
#include "store/store.h"
#include "tests/store/store_test_util.h"

namespace sanji::store::testing {
namespace {

using conflict::Origin;
using conflict::Record;
using conflict::VersionVector;

class SnapshotTest : public StoreConformanceTest {
 protected:
  // `origin`'s change `counter` to (tickets, key), on top of what `store`
  // holds there, as a remote batch carrying `origin`'s knowledge up to it.
  RemoteBatch RemoteWrite(const Store& store, const Origin& origin, uint64_t counter,
                          const std::string& key, const std::string& title) {
    const auto* tickets = *schema_.Collection(kTickets);
    auto stored = store.Get(kTickets, key);
    const Record base = stored.ok() ? *stored : Record();
    auto record =
        base.Write(*tickets, SetTitle(title, stored.ok() ? std::nullopt : std::optional(kNode)),
                   {origin, counter}, {kStartMicros, static_cast<uint32_t>(counter)});
    EXPECT_TRUE(record.ok()) << record.status();
    RemoteBatch batch;
    batch.items.push_back({kTickets, key, *record});
    batch.knowledge.Set(origin, counter);
    return batch;
  }

  // (counter, key, title) of every change of `origin` at `snapshot`.
  static std::vector<std::string> Stream(const StoreSnapshot& snapshot, const Origin& origin) {
    std::vector<std::string> changes;
    auto it = snapshot.ChangesSince(origin, 0);
    for (; it->Valid(); it->Next()) {
      changes.push_back(absl::StrCat(it->counter(), " ", it->key(), " ", TitleOf(it->record())));
    }
    EXPECT_TRUE(it->status().ok()) << it->status();
    return changes;
  }

  // The highest counter per origin over every record's context: what the
  // frontier must be, computed without the index.
  static VersionVector MaxContext(const Store& store) {
    VersionVector max;
    std::string token;
    do {
      auto page = store.List(kTickets, "", token, 1000);
      EXPECT_TRUE(page.ok()) << page.status();
      if (!page.ok()) break;
      for (const ListEntry& entry : page->entries) max.Join(entry.record.context());
      token = page->next_page_token;
    } while (!token.empty());
    return max;
  }

  const Origin township_{"gutian/fengpu", 4};
};

SANJI_STORE_CONFORMANCE(SnapshotTest);

TEST_P(SnapshotTest, DoesNotSeeLaterCommits) {
  auto store = OpenStore();
  ASSERT_TRUE(store->Write(kTickets, "T-1", SetTitle("旧")).ok());
  ASSERT_TRUE(store->ApplyRemote(RemoteWrite(*store, township_, 1, "R-1", "镇 1")).ok());
  const VersionVector knowledge = store->Knowledge();

  auto snapshot = store->Snapshot();
  ASSERT_TRUE(snapshot->status().ok()) << snapshot->status();
  // After the snapshot: a new record, an overwrite (its index entry moves
  // from 1 to 3), and more from the township.
  ASSERT_TRUE(store->Write(kTickets, "T-2", SetTitle("新")).ok());
  ASSERT_TRUE(store->Write(kTickets, "T-1", SetTitle("改", std::nullopt)).ok());
  ASSERT_TRUE(store->ApplyRemote(RemoteWrite(*store, township_, 5, "R-5", "镇 5")).ok());

  EXPECT_EQ(snapshot->Knowledge(), knowledge);
  VersionVector frontier;
  frontier.Set(store->origin(), 1);
  frontier.Set(township_, 1);
  EXPECT_EQ(snapshot->IndexFrontier(), frontier);
  EXPECT_EQ(Stream(*snapshot, store->origin()), (std::vector<std::string>{"1 T-1 旧"}));
  EXPECT_EQ(Stream(*snapshot, township_), (std::vector<std::string>{"1 R-1 镇 1"}));

  // The store itself has moved on, and so does a new snapshot.
  auto now = store->Snapshot();
  EXPECT_EQ(now->Knowledge(), store->Knowledge());
  EXPECT_EQ(now->Knowledge().Get(township_), 5u);
  frontier.Set(store->origin(), 3);
  frontier.Set(township_, 5);
  EXPECT_EQ(now->IndexFrontier(), frontier);
  EXPECT_EQ(Stream(*now, store->origin()), (std::vector<std::string>{"2 T-2 新", "3 T-1 改"}));
}

TEST_P(SnapshotTest, IteratorOutlivesItsSnapshot) {
  auto store = OpenStore();
  ASSERT_TRUE(store->Write(kTickets, "T-1", SetTitle("a")).ok());
  auto snapshot = store->Snapshot();
  auto it = snapshot->ChangesSince(store->origin(), 0);
  snapshot.reset();
  ASSERT_TRUE(store->Write(kTickets, "T-2", SetTitle("b")).ok());
  ASSERT_TRUE(it->Valid()) << it->status();
  EXPECT_EQ(it->key(), "T-1");
  it->Next();
  EXPECT_FALSE(it->Valid());
  EXPECT_TRUE(it->status().ok()) << it->status();
}

TEST_P(SnapshotTest, EmptyStoreHasAnEmptyFrontier) {
  auto store = OpenStore();
  auto snapshot = store->Snapshot();
  ASSERT_TRUE(snapshot->status().ok()) << snapshot->status();
  EXPECT_TRUE(snapshot->IndexFrontier().empty());
  EXPECT_TRUE(snapshot->Knowledge().empty());
}

// Random local writes and remote writes of four other origins over a small
// key pool, so records move to higher counters and gather several origins;
// after each step the frontier is the highest context counter per origin.
TEST_P(SnapshotTest, FrontierIsTheHighestIndexedCounterPerOrigin) {
  const uint64_t seed = TestSeed();
  std::mt19937_64 rng(seed);
  auto store = OpenStore();
  const std::vector<Origin> remotes = {
      {"gutian", 1}, {"gutian/fengpu", 4}, {"gutian/fengpu/dongcun", 2}, {"gutian/pingbu", 7}};
  std::map<Origin, uint64_t> counters;
  for (int step = 0; step < 300; ++step) {
    const std::string key = absl::StrCat("K-", rng() % 40);
    const size_t who = rng() % (remotes.size() + 1);
    if (who == remotes.size()) {
      const bool exists = store->Get(kTickets, key).ok();
      ASSERT_TRUE(
          store
              ->Write(kTickets, key, SetTitle("本地", exists ? std::nullopt : std::optional(kNode)))
              .ok());
    } else {
      const Origin& origin = remotes[who];
      // Counters of an origin advance with gaps, as a filtered stream does.
      counters[origin] += 1 + rng() % 3;
      ASSERT_TRUE(
          store->ApplyRemote(RemoteWrite(*store, origin, counters[origin], key, "远程")).ok());
    }
    if (step % 25 == 24) {
      auto snapshot = store->Snapshot();
      ASSERT_TRUE(snapshot->status().ok()) << snapshot->status();
      EXPECT_EQ(snapshot->IndexFrontier(), MaxContext(*store)) << "step " << step;
      EXPECT_EQ(snapshot->Knowledge(), store->Knowledge());
    }
  }
  EXPECT_TRUE(store->CheckConsistency().ok()) << store->CheckConsistency();
}

// The store keeps each snapshot's summary from its commits instead of reading
// it (store.h, Snapshot): it must follow every kind of commit, including the
// ones that lower the frontier or touch the knowledge cloud.
TEST_P(SnapshotTest, SummaryFollowsEvictionsAndTheCloud) {
  auto store = OpenStore();
  ASSERT_TRUE(store->ApplyRemote(RemoteWrite(*store, township_, 1, "R-1", "一")).ok());
  ASSERT_TRUE(store->ApplyRemote(RemoteWrite(*store, township_, 2, "R-2", "二")).ok());
  auto before = store->Snapshot();
  EXPECT_EQ(before->IndexFrontier().Get(township_), 2u);
  EXPECT_TRUE(before->summary().cloud_empty);

  // R-2 holds the township's top entry; evicting it lowers the frontier.
  RemoteBatch evict;
  VersionVector moved;
  moved.Set(township_, 3);
  evict.evictions.push_back({kTickets, "R-2", moved});
  ASSERT_TRUE(store->ApplyRemote(evict).ok());
  for (int i = 0; i < 2; ++i) {  // the first snapshot reads it, the second has it kept
    auto after = store->Snapshot();
    ASSERT_TRUE(after->status().ok()) << after->status();
    EXPECT_EQ(after->IndexFrontier(), MaxContext(*store)) << "snapshot " << i;
    EXPECT_EQ(after->IndexFrontier().Get(township_), 1u) << "snapshot " << i;
  }
  EXPECT_EQ(before->IndexFrontier().Get(township_), 2u);  // taken earlier, unchanged

  // A change held beyond the knowledge (counter 5 while the knowledge is at
  // 2) goes into the cloud.
  RemoteBatch ahead = RemoteWrite(*store, township_, 5, "R-3", "三");
  ahead.knowledge = VersionVector();
  ahead.held_dots.push_back({township_, 5});
  ASSERT_TRUE(store->ApplyRemote(ahead).ok());
  auto with_cloud = store->Snapshot();
  EXPECT_FALSE(with_cloud->summary().cloud_empty);
  auto cloud = with_cloud->KnowledgeCloud(10);
  ASSERT_TRUE(cloud.ok()) << cloud.status();
  EXPECT_EQ(*cloud, (std::vector<conflict::Dot>{{township_, 5}}));
  EXPECT_EQ(with_cloud->IndexFrontier().Get(township_), 5u);
  EXPECT_EQ(with_cloud->Knowledge(), store->Knowledge());

  // Reopened, the store reads the same summary it kept. (Snapshots must not
  // outlive their store.)
  const StoreSnapshot::Summary kept = store->Snapshot()->summary();
  before.reset();
  with_cloud.reset();
  store.reset();
  store = OpenStore();
  const StoreSnapshot::Summary read = store->Snapshot()->summary();
  EXPECT_EQ(read.knowledge, kept.knowledge);
  EXPECT_EQ(read.frontier, kept.frontier);
  EXPECT_EQ(read.cloud_empty, kept.cloud_empty);
}

}  // namespace
}  // namespace sanji::store::testing
