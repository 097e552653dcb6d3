// Disk full (ARCHITECTURE.md §5: "an acknowledged write survives"; issue 3:
// "writes fail with a clear error, nothing earlier is lost, the node recovers
// when space returns"). A FaultInjectionEnv fails appends, syncs and file
// creation with "No space left on device" past a byte budget. Writes then fail
// with ResourceExhausted naming the path and the condition, reads keep
// working, and once space returns the next write reopens LevelDB in place
// (store.h, "Write errors and recovery") without restarting anything.
#include <gtest/gtest.h>

#include <map>
#include <string>

#include "absl/strings/str_cat.h"
#include "store/store.h"
#include "tests/store/fault_injection_env.h"
#include "tests/store/store_test_util.h"

namespace sanji::store::testing {
namespace {

class DiskFullTest : public StoreTest {
 protected:
  Options FaultOptions() {
    Options options = MakeOptions();
    options.env = &env_;
    return options;
  }

  // Writes key-0, key-1, ... until a write fails; returns the failure.
  absl::Status WriteUntilFull(Store& store, std::map<std::string, std::string>& written) {
    for (int i = 0; i < 100000; ++i) {
      const std::string key = absl::StrCat("full-", i);
      const std::string title = absl::StrCat("磁盘满测试 ", i, std::string(200, 'x'));
      auto result = store.Write(kTickets, key, SetTitle(title));
      if (!result.ok()) return result.status();
      written[key] = title;
    }
    return absl::OkStatus();
  }

  // Opens the store and fills the disk until a write fails, then frees space:
  // the next write has to reopen LevelDB.
  std::unique_ptr<Store> OpenAfterFailedWrite(std::map<std::string, std::string>& written) {
    auto store = OpenStore(FaultOptions());
    env_.SetSpaceBudget(64 << 10);
    EXPECT_FALSE(WriteUntilFull(*store, written).ok());
    env_.SetSpaceBudget(std::nullopt);
    return store;
  }

  void ExpectAll(const Store& store, const std::map<std::string, std::string>& written) {
    for (const auto& [key, title] : written) {
      auto record = store.Get(kTickets, key);
      ASSERT_TRUE(record.ok()) << key << ": " << record.status();
      EXPECT_EQ(TitleOf(*record), title) << key;
    }
  }

  FaultInjectionEnv env_;
};

TEST_F(DiskFullTest, WritesFailClearlyAndReadsGoOn) {
  auto store = OpenStore(FaultOptions());
  std::map<std::string, std::string> written;
  env_.SetSpaceBudget(64 << 10);
  const absl::Status full = WriteUntilFull(*store, written);
  ASSERT_FALSE(full.ok());
  EXPECT_EQ(full.code(), absl::StatusCode::kResourceExhausted) << full;
  EXPECT_NE(full.message().find("No space left on device"), absl::string_view::npos) << full;
  EXPECT_NE(full.message().find(store_path()), absl::string_view::npos) << full;
  EXPECT_GT(written.size(), 10u);

  // Still full: the next write fails fast, naming the earlier failure.
  auto again = store->Write(kTickets, "later", SetTitle("还是满的"));
  EXPECT_EQ(again.status().code(), absl::StatusCode::kResourceExhausted) << again.status();
  EXPECT_NE(again.status().message().find("reads still work"), absl::string_view::npos);
  ExpectAll(*store, written);
  EXPECT_TRUE(store->List(kTickets, "full-", "", 10).ok());
  auto changes = store->ChangesSince(store->origin(), 0);
  EXPECT_TRUE(changes->Valid()) << changes->status();
  EXPECT_TRUE(store->CheckConsistency().ok()) << store->CheckConsistency();
}

TEST_F(DiskFullTest, RecoversInPlaceWhenSpaceReturns) {
  auto store = OpenStore(FaultOptions());
  std::map<std::string, std::string> written;
  env_.SetSpaceBudget(64 << 10);
  ASSERT_FALSE(WriteUntilFull(*store, written).ok());
  ASSERT_FALSE(store->Write(kTickets, "later", SetTitle("还是满的")).ok());

  env_.SetSpaceBudget(std::nullopt);  // an operator freed space
  auto after = store->Write(kTickets, "after", SetTitle("空间回来了"));
  ASSERT_TRUE(after.ok()) << after.status();
  EXPECT_EQ(store->stats().reopens, 1u);
  // Dots stay dense: the failed commit took none (or, had it reached the log,
  // the reopen would have reloaded its counter).
  EXPECT_EQ(after->dot.counter, store->progress().counter);
  EXPECT_EQ(store->Knowledge().Get(store->origin()), after->dot.counter);
  written["after"] = "空间回来了";
  ExpectAll(*store, written);
  EXPECT_TRUE(store->CheckConsistency().ok()) << store->CheckConsistency();

  store.reset();  // and the store reopens cleanly afterwards
  auto reopened = OpenStore(FaultOptions());
  ExpectAll(*reopened, written);
  EXPECT_TRUE(reopened->CheckConsistency().ok()) << reopened->CheckConsistency();
}

TEST_F(DiskFullTest, ReopenWaitsForLiveChangeIterators) {
  std::map<std::string, std::string> written;
  auto store = OpenAfterFailedWrite(written);
  {
    auto stream = store->ChangesSince(store->origin(), 0);  // a sync stream in progress
    auto blocked = store->Write(kTickets, "after", SetTitle("等一等"));
    EXPECT_EQ(blocked.status().code(), absl::StatusCode::kUnavailable) << blocked.status();
    EXPECT_NE(blocked.status().message().find("change iterators"), absl::string_view::npos);
    for (; stream->Valid(); stream->Next()) {
    }
    EXPECT_TRUE(stream->status().ok()) << stream->status();
  }
  EXPECT_TRUE(store->Write(kTickets, "after", SetTitle("好了")).ok());
  ExpectAll(*store, written);
}

TEST_F(DiskFullTest, ReopenWaitsForLiveSnapshots) {
  std::map<std::string, std::string> written;
  auto store = OpenAfterFailedWrite(written);
  auto snapshot = store->Snapshot();  // a sync session in progress
  ASSERT_TRUE(snapshot->status().ok()) << snapshot->status();
  auto blocked = store->Write(kTickets, "after", SetTitle("等一等"));
  EXPECT_EQ(blocked.status().code(), absl::StatusCode::kUnavailable) << blocked.status();
  EXPECT_NE(blocked.status().message().find("1 snapshots"), absl::string_view::npos);
  // An iterator from the snapshot keeps it alive on its own.
  auto stream = snapshot->ChangesSince(store->origin(), 0);
  snapshot.reset();
  EXPECT_EQ(store->Write(kTickets, "after", SetTitle("等一等")).status().code(),
            absl::StatusCode::kUnavailable);
  stream.reset();
  EXPECT_TRUE(store->Write(kTickets, "after", SetTitle("好了")).ok());
  ExpectAll(*store, written);
}

TEST_F(DiskFullTest, FullDuringRemoteApplyLosesNothingEarlier) {
  auto store = OpenStore(FaultOptions());
  std::map<std::string, std::string> written;
  for (int i = 0; i < 5; ++i) {
    const std::string key = absl::StrCat("before-", i);
    ASSERT_TRUE(store->Write(kTickets, key, SetTitle(key)).ok());
    written[key] = key;
  }
  env_.SetSpaceBudget(0);
  const auto* tickets = *schema_.Collection(kTickets);
  RemoteBatch batch;
  for (uint64_t i = 1; i <= 20; ++i) {
    auto record = conflict::Record().Write(*tickets, SetTitle(absl::StrCat("镇上 ", i)),
                                           {{"gutian/fengpu", 4}, i}, {kStartMicros, 0});
    batch.items.push_back({kTickets, absl::StrCat("R-", i), *record});
  }
  batch.knowledge.Set({"gutian/fengpu", 4}, 20);
  const absl::Status refused = store->ApplyRemote(batch).status();
  EXPECT_EQ(refused.code(), absl::StatusCode::kResourceExhausted) << refused;
  env_.SetSpaceBudget(std::nullopt);
  ASSERT_TRUE(store->ApplyRemote(batch).ok());
  EXPECT_EQ(store->Knowledge().Get({"gutian/fengpu", 4}), 20u);
  ExpectAll(*store, written);
  EXPECT_TRUE(store->CheckConsistency().ok()) << store->CheckConsistency();
}

}  // namespace
}  // namespace sanji::store::testing
