// PollUntil: waits for a condition that another process (or a part with no
// way to notify the test) makes true, up to a deadline.
//
// Tests wait on conditions, never for a fixed time (STYLE.md). When the
// condition lives in another process — a sanjid's knowledge, read over gRPC —
// there is nothing to block on, so this checks it with a short, growing pause
// between checks (1 ms doubling to 50 ms). It is the one place tests pause,
// and tests/lint allows it here only.
//
// Thread-safety: a pure function of `condition`.
#ifndef SANJI_TESTS_SUPPORT_POLL_UNTIL_H_
#define SANJI_TESTS_SUPPORT_POLL_UNTIL_H_

#include <algorithm>
#include <chrono>
#include <functional>
#include <thread>

namespace sanji::testing {

// Returns whether `condition` held before `timeout` passed.
inline bool PollUntil(const std::function<bool()>& condition,
                      std::chrono::milliseconds timeout = std::chrono::seconds(60)) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  auto pause = std::chrono::milliseconds(1);
  while (!condition()) {
    if (std::chrono::steady_clock::now() >= deadline) return false;
    std::this_thread::sleep_for(pause);
    pause = std::min(pause * 2, std::chrono::milliseconds(50));
  }
  return true;
}

}  // namespace sanji::testing

#endif  // SANJI_TESTS_SUPPORT_POLL_UNTIL_H_
