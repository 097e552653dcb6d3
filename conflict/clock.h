// PhysicalClock: the source of physical time for the hybrid logical clock.
//
// conflict/ never reads the machine's clock itself: the node injects a real
// clock (node/), tests and the simulator inject ManualClock. This is what lets
// a test set the clock back a day or run a village "in 1970".
//
// Thread-safety: implementations must be safe to call from any thread.
// ManualClock and ManualReferenceClock are not: tests drive them from one
// thread.
#ifndef SANJI_CONFLICT_CLOCK_H_
#define SANJI_CONFLICT_CLOCK_H_

#include <cstdint>
#include <optional>

namespace sanji::conflict {

class PhysicalClock {
 public:
  virtual ~PhysicalClock() = default;
  // Microseconds since the Unix epoch. May jump backwards (NTP, a dead RTC
  // battery): callers must not assume monotonicity.
  virtual int64_t NowMicros() const = 0;
};

// A clock this node trusts to tell which of its own clocks is wrong when the
// physical clock and the HLC's saved time disagree (conflict/hlc.h): node/
// implements it with its parent's clock, as the parent's latest frame read
// it, carried forward by the machine's monotonic clock. Unknown (nullopt)
// until a reading arrives.
class ReferenceClock {
 public:
  virtual ~ReferenceClock() = default;
  virtual std::optional<int64_t> NowMicros() const = 0;
};

// A clock that only moves when told to. For tests and the simulator.
class ManualClock final : public PhysicalClock {
 public:
  explicit ManualClock(int64_t now_micros = 0) : now_micros_(now_micros) {}
  int64_t NowMicros() const override { return now_micros_; }
  void Set(int64_t now_micros) { now_micros_ = now_micros; }
  void Advance(int64_t delta_micros) { now_micros_ += delta_micros; }

 private:
  int64_t now_micros_;
};

// A reference clock that says what it is told. For tests and the simulator.
class ManualReferenceClock final : public ReferenceClock {
 public:
  std::optional<int64_t> NowMicros() const override { return now_micros_; }
  void Set(std::optional<int64_t> now_micros) { now_micros_ = now_micros; }

 private:
  std::optional<int64_t> now_micros_;
};

}  // namespace sanji::conflict

#endif  // SANJI_CONFLICT_CLOCK_H_
