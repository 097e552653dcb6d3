// CommitNotifier: tells the parts of a node that its store changed. Every
// commit to the store (an application's write, a sync session's batch) calls
// Notify(); each sync link listens, to push the change to its peer, and a
// watch stream waits, to send it.
//
// The notifier counts commits: a waiter remembers the count it has seen and
// waits for a greater one, so a commit that happens between reading the store
// and starting to wait is never missed.
//
// Thread-safety: thread-safe. Listeners are called on the notifying thread,
// outside the notifier's count lock; they must be quick (set a flag, wake a
// thread) and must not call AddListener/RemoveListener.
#ifndef SANJI_NODE_COMMIT_NOTIFIER_H_
#define SANJI_NODE_COMMIT_NOTIFIER_H_

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <map>
#include <mutex>

namespace sanji::node {

class CommitNotifier {
 public:
  // Identifies a listener; 0 is no listener.
  using ListenerId = uint64_t;

  // Counts a commit, wakes every waiter and calls every listener except
  // `source` (the sync link whose own batch it was: its session already
  // knows).
  void Notify(ListenerId source = 0) {
    {
      std::lock_guard<std::mutex> lock(mu_);
      ++commits_;
    }
    changed_.notify_all();
    std::lock_guard<std::mutex> lock(listeners_mu_);
    for (const auto& [id, listener] : listeners_) {
      if (id != source) listener();
    }
  }

  // `on_commit` is called after each commit until RemoveListener returns.
  ListenerId AddListener(std::function<void()> on_commit) {
    std::lock_guard<std::mutex> lock(listeners_mu_);
    const ListenerId id = ++last_listener_;
    listeners_.emplace(id, std::move(on_commit));
    return id;
  }
  // After it returns, the listener is not running and is never called again.
  void RemoveListener(ListenerId id) {
    std::lock_guard<std::mutex> lock(listeners_mu_);
    listeners_.erase(id);
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

  std::mutex listeners_mu_;
  std::map<ListenerId, std::function<void()>> listeners_;
  ListenerId last_listener_ = 0;
};

}  // namespace sanji::node

#endif  // SANJI_NODE_COMMIT_NOTIFIER_H_
