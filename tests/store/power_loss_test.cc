// Simulated power loss (ARCHITECTURE.md §5: "an acknowledged write survives
// kill -9 and power loss"). A FaultInjectionEnv cuts the power after a random
// number of file operations while several threads write; the store is closed,
// unsynced bytes are dropped (keeping a random torn tail of each file), and the
// reopened store must hold every acknowledged write and pass its consistency
// check. Rounds reuse one store, so the damage compounds. Seeded: the seed is
// printed and SANJI_SEED replays it.
#include <gtest/gtest.h>

#include <map>
#include <mutex>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "store/store.h"
#include "tests/store/fault_injection_env.h"
#include "tests/store/store_test_util.h"

namespace sanji::store::testing {
namespace {

constexpr int kRounds = 40;
constexpr int kThreads = 4;
constexpr int kMaxWritesPerThread = 60;

class PowerLossTest : public StoreTest {
 protected:
  Options FaultOptions() {
    Options options = MakeOptions();
    options.env = &env_;
    // Small memtable: rounds also cut the power inside memtable flushes and
    // compactions, not only inside log appends.
    options.write_buffer_size = 64 << 10;
    return options;
  }

  // Writes from kThreads threads until the power is cut or each thread has
  // written its share; returns the writes acknowledged while the disk was alive.
  std::map<std::string, std::string> WriteUntilPowerCut(Store& store, int round) {
    std::mutex mu;
    std::map<std::string, std::string> acknowledged;
    std::vector<std::thread> threads;
    for (int t = 0; t < kThreads; ++t) {
      threads.emplace_back([&, t] {
        for (int i = 0; i < kMaxWritesPerThread && !env_.frozen(); ++i) {
          const std::string key = absl::StrCat("r", round, "-t", t, "-", i);
          const std::string title = absl::StrCat("停电测试 ", key);
          const bool ok = store.Write(kTickets, key, SetTitle(title)).ok();
          // The freeze is one-way: alive after the ack means the fsync was real.
          if (ok && !env_.frozen()) {
            std::lock_guard<std::mutex> lock(mu);
            acknowledged[key] = title;
          }
        }
      });
    }
    for (std::thread& thread : threads) thread.join();
    return acknowledged;
  }

  FaultInjectionEnv env_;
};

TEST_F(PowerLossTest, AcknowledgedWritesSurviveRandomPowerCuts) {
  std::mt19937_64 rng(TestSeed());
  std::map<std::string, std::string> acknowledged;
  int cuts_during_writes = 0;
  for (int round = 0; round < kRounds; ++round) {
    SCOPED_TRACE(absl::StrCat("round ", round));
    {
      auto store = Store::Open(FaultOptions());
      ASSERT_TRUE(store.ok()) << store.status();
      for (const auto& [key, title] : acknowledged) {
        auto record = (*store)->Get(kTickets, key);
        ASSERT_TRUE(record.ok()) << key << ": " << record.status();
        ASSERT_EQ(TitleOf(*record), title) << key;
      }
      const absl::Status consistent = (*store)->CheckConsistency();
      ASSERT_TRUE(consistent.ok()) << consistent;
      env_.FreezeAfter(rng() % 400);
      acknowledged.merge(WriteUntilPowerCut(**store, round));
      cuts_during_writes += env_.frozen() ? 1 : 0;
      env_.FreezeAfter(0);  // the power is off before the store closes
    }
    const leveldb::Status dropped = env_.DropUnsyncedData(rng);
    ASSERT_TRUE(dropped.ok()) << dropped.ToString();
  }
  EXPECT_GT(cuts_during_writes, kRounds / 2);
  auto store = Store::Open(FaultOptions());
  ASSERT_TRUE(store.ok()) << store.status();
  for (const auto& [key, title] : acknowledged) {
    auto record = (*store)->Get(kTickets, key);
    ASSERT_TRUE(record.ok()) << key << ": " << record.status();
    EXPECT_EQ(TitleOf(*record), title) << key;
  }
  EXPECT_TRUE((*store)->CheckConsistency().ok()) << (*store)->CheckConsistency();
}

}  // namespace
}  // namespace sanji::store::testing
