// CommitNotifier: tells the parts of a node that its store changed. Every
// commit to the store (an application's write, a sync session's batch) calls
// Notify(); a sync session's driver wakes up to push the change, a watch
// stream wakes up to send it.
//
// The notifier counts commits: a waiter remembers the count it has seen and
// waits for a greater one, so a commit that happens between reading the store
// and starting to wait is never missed.
//
// Thread-safety: thread-safe.
#ifndef SANJI_NODE_COMMIT_NOTIFIER_H_
#define SANJI_NODE_COMMIT_NOTIFIER_H_

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <mutex>

namespace sanji::node {

class CommitNotifier {
 public:
  // Counts a commit and wakes every waiter.
  void Notify() {
    {
      std::lock_guard<std::mutex> lock(mu_);
      ++commits_;
    }
    changed_.notify_all();
  }

  // Wakes every waiter without counting a commit (shutdown).
  void WakeAll() {
    {
      std::lock_guard<std::mutex> lock(mu_);
      ++wakes_;
    }
    changed_.notify_all();
  }

  // Commits counted so far.
  uint64_t commits() const {
    std::lock_guard<std::mutex> lock(mu_);
    return commits_;
  }

  // Waits until more than `seen` commits are counted, `deadline` passes, or
  // WakeAll() is called; returns the count then.
  uint64_t WaitBeyond(uint64_t seen, std::chrono::steady_clock::time_point deadline) {
    std::unique_lock<std::mutex> lock(mu_);
    const uint64_t wakes = wakes_;
    changed_.wait_until(lock, deadline, [&] { return commits_ > seen || wakes_ != wakes; });
    return commits_;
  }

 private:
  mutable std::mutex mu_;
  std::condition_variable changed_;
  uint64_t commits_ = 0;
  uint64_t wakes_ = 0;
};

}  // namespace sanji::node

#endif  // SANJI_NODE_COMMIT_NOTIFIER_H_
