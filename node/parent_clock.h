// ParentClock: the parent's clock, as the parent's latest sync frame read it
// (its hello and its acks carry it, proto/sync.proto), carried forward by
// this machine's monotonic clock, which no correction of the wall clock
// moves. It is the HLC's reference clock (conflict/hlc.h, "StepBack"): it
// tells a saved time that ran ahead of a corrected wall clock (step back)
// from a wall clock that is wrong (a box that booted in 1970: keep the saved
// time). Whichever parent link read it last, the county's or the
// township's: both are ancestors whose clocks the node's writes must suit.
//
// Thread-safety: thread-safe.
#ifndef SANJI_NODE_PARENT_CLOCK_H_
#define SANJI_NODE_PARENT_CLOCK_H_

#include <chrono>
#include <cstdint>
#include <mutex>
#include <optional>

#include "absl/base/thread_annotations.h"
#include "conflict/clock.h"

namespace sanji::node {

class ParentClock final : public conflict::ReferenceClock {
 public:
  // The parent's clock said `parent_micros` (0: the parent did not say).
  void Update(int64_t parent_micros) {
    if (parent_micros == 0) return;
    std::lock_guard<std::mutex> lock(mu_);
    reading_ = Reading{parent_micros, std::chrono::steady_clock::now()};
  }

  std::optional<int64_t> NowMicros() const override {
    std::lock_guard<std::mutex> lock(mu_);
    if (!reading_.has_value()) return std::nullopt;
    const auto elapsed = std::chrono::steady_clock::now() - reading_->at;
    return reading_->parent_micros +
           std::chrono::duration_cast<std::chrono::microseconds>(elapsed).count();
  }

 private:
  struct Reading {
    int64_t parent_micros;
    std::chrono::steady_clock::time_point at;
  };
  mutable std::mutex mu_;
  std::optional<Reading> reading_ ABSL_GUARDED_BY(mu_);
};

}  // namespace sanji::node

#endif  // SANJI_NODE_PARENT_CLOCK_H_
