// Group commit (ARCHITECTURE.md §5): concurrent writers share one WriteBatch
// and one fsync, every acknowledged write is present, dots stay dense, and a
// refused write fails alone.
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <mutex>
#include <set>
#include <thread>

#include "absl/strings/str_cat.h"
#include "leveldb/env.h"
#include "store/store.h"
#include "tests/store/store_test_util.h"

namespace sanji::store::testing {
namespace {

constexpr auto kDeadline = std::chrono::seconds(20);

TEST_F(StoreTest, EightThreadsCommitEveryWriteWithDenseDots) {
  constexpr int kThreads = 8;
  constexpr int kWritesPerThread = 40;
  auto store = OpenStore();
  std::mutex mu;
  std::vector<uint64_t> counters;
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kWritesPerThread; ++i) {
        const std::string key = absl::StrCat("t", t, "-", i);
        auto result = store->Write(kTickets, key, SetTitle(key));
        ASSERT_TRUE(result.ok()) << result.status();
        std::lock_guard<std::mutex> lock(mu);
        counters.push_back(result->dot.counter);
      }
    });
  }
  for (std::thread& thread : threads) thread.join();

  constexpr uint64_t kTotal = kThreads * kWritesPerThread;
  std::sort(counters.begin(), counters.end());
  ASSERT_EQ(counters.size(), kTotal);
  for (uint64_t i = 0; i < kTotal; ++i) EXPECT_EQ(counters[i], i + 1);
  for (int t = 0; t < kThreads; ++t) {
    for (int i = 0; i < kWritesPerThread; ++i) {
      EXPECT_TRUE(store->Get(kTickets, absl::StrCat("t", t, "-", i)).ok());
    }
  }
  EXPECT_EQ(store->progress().counter, kTotal);
  EXPECT_EQ(store->stats().committed_writes, kTotal);
  EXPECT_LE(store->stats().commits, kTotal);
  EXPECT_TRUE(store->CheckConsistency().ok()) << store->CheckConsistency();
}

// An Env whose file Sync() blocks while the gate is closed: it holds the
// commit leader inside its fsync so that the test can line writers up behind it.
class GatedEnv : public leveldb::EnvWrapper {
 public:
  GatedEnv() : EnvWrapper(leveldb::Env::Default()) {}

  leveldb::Status NewWritableFile(const std::string& name,
                                  leveldb::WritableFile** result) override {
    leveldb::WritableFile* file = nullptr;
    leveldb::Status status = target()->NewWritableFile(name, &file);
    *result = status.ok() ? new GatedFile(this, file) : nullptr;
    return status;
  }

  void Close() {
    std::lock_guard<std::mutex> lock(mu_);
    open_ = false;
  }
  void Open() {
    std::lock_guard<std::mutex> lock(mu_);
    open_ = true;
    cv_.notify_all();
  }
  bool WaitForBlockedSync() {
    std::unique_lock<std::mutex> lock(mu_);
    return cv_.wait_for(lock, kDeadline, [&] { return blocked_ > 0; });
  }

 private:
  class GatedFile : public leveldb::WritableFile {
   public:
    GatedFile(GatedEnv* env, leveldb::WritableFile* file) : env_(env), file_(file) {}
    leveldb::Status Append(const leveldb::Slice& data) override { return file_->Append(data); }
    leveldb::Status Close() override { return file_->Close(); }
    leveldb::Status Flush() override { return file_->Flush(); }
    leveldb::Status Sync() override {
      env_->PassGate();
      return file_->Sync();
    }

   private:
    GatedEnv* env_;
    std::unique_ptr<leveldb::WritableFile> file_;
  };

  void PassGate() {
    std::unique_lock<std::mutex> lock(mu_);
    ++blocked_;
    cv_.notify_all();
    cv_.wait(lock, [&] { return open_; });
    --blocked_;
  }

  std::mutex mu_;
  std::condition_variable cv_;
  bool open_ = true;
  int blocked_ = 0;
};

TEST_F(StoreTest, WritersQueuedBehindAnFsyncShareTheNextOne) {
  GatedEnv env;
  Options options = MakeOptions();
  options.env = &env;
  auto store = OpenStore(options);
  const StoreStats start = store->stats();

  env.Close();
  std::thread leader([&] { ASSERT_TRUE(store->Write(kTickets, "first", SetTitle("1")).ok()); });
  ASSERT_TRUE(env.WaitForBlockedSync());

  // Five local writes, one remote batch and one write the schema refuses
  // queue behind the blocked fsync.
  RemoteBatch remote;
  const conflict::Origin township{"gutian/fengpu", 3};
  remote.items.push_back(
      {kTickets, "remote-1",
       *conflict::Record().Write(**schema_.Collection(kTickets), SetTitle("镇上"), {township, 1},
                                 {kStartMicros, 0})});
  remote.knowledge.Set(township, 1);
  std::vector<std::thread> followers;
  std::atomic<int> refused = 0;
  for (int i = 0; i < 7; ++i) {
    followers.emplace_back([&, i] {
      if (i == 5) {
        EXPECT_TRUE(store->ApplyRemote(remote).ok());
        return;
      }
      const conflict::Change change =
          i == 3 ? conflict::Change{{{"colour", conflict::Assign{std::string("red")}}}, kNode}
                 : SetTitle("x");
      auto result = store->Write(kTickets, absl::StrCat("queued-", i), change);
      if (!result.ok()) ++refused;
    });
  }
  const auto deadline = std::chrono::steady_clock::now() + kDeadline;
  while (store->QueuedWritersForTest() < 7) {
    ASSERT_LT(std::chrono::steady_clock::now(), deadline) << "writers never queued";
    std::this_thread::yield();
  }
  env.Open();
  leader.join();
  for (std::thread& follower : followers) follower.join();

  EXPECT_EQ(refused, 1);
  EXPECT_EQ(store->stats().commits - start.commits, 2u);  // the leader's, then all the others'
  EXPECT_EQ(store->stats().committed_writes - start.committed_writes, 7u);
  EXPECT_EQ(store->progress().counter, 6u);  // dense: the refused write took no dot
  EXPECT_EQ(store->Knowledge().Get(township), 1u);
  EXPECT_TRUE(store->Get(kTickets, "remote-1").ok());
  EXPECT_EQ(store->Get(kTickets, "queued-3").status().code(), absl::StatusCode::kNotFound);
  EXPECT_TRUE(store->CheckConsistency().ok()) << store->CheckConsistency();
  store.reset();  // before the Env it uses
}

}  // namespace
}  // namespace sanji::store::testing
