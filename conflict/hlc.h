// Hybrid logical clock (Kulkarni et al., "Logical Physical Clocks", 2014).
//
// Orders lww writes across nodes: a timestamp is (physical microseconds,
// logical counter). Timestamps a clock hands out are strictly increasing, stay
// close to physical time, and respect causality: after Observe(remote) every
// local timestamp is greater than `remote`.
//
// Three guarantees Sanji relies on:
//  - Monotonic across restarts: the owner persists Last() with each write and
//    calls Restore() on start, so a mini PC that boots with its clock in 1970
//    keeps issuing timestamps above everything it issued before.
//  - Bounded skew: a remote timestamp more than `max_skew_micros` ahead of the
//    local physical clock is refused with OutOfRange naming both times, and
//    counted, so one node with a clock years ahead cannot win every lww
//    conflict forever.
//  - No silent overflow: when the logical part reaches its maximum, the clock
//    carries into the physical part (still strictly increasing) and counts it.
//
// Thread-safety: not thread-safe. The owner (the store's commit path, or one
// engine) serializes calls.
#ifndef SANJI_CONFLICT_HLC_H_
#define SANJI_CONFLICT_HLC_H_

#include <compare>
#include <cstdint>
#include <limits>
#include <string>

#include "absl/status/statusor.h"
#include "conflict/clock.h"

namespace sanji::conflict {

struct HlcTimestamp {
  int64_t physical_micros = 0;
  uint32_t logical = 0;

  friend auto operator<=>(const HlcTimestamp&, const HlcTimestamp&) = default;
  // "2026-11-28T01:39:51.123456Z+3" (logical part after '+').
  std::string ToString() const;
};

class HybridLogicalClock {
 public:
  struct Options {
    // How far a remote timestamp may be ahead of the local physical clock.
    int64_t max_skew_micros = 5 * 60 * 1'000'000LL;
  };

  // REQUIRES: `clock` outlives this object.
  HybridLogicalClock(const PhysicalClock* clock, Options options);

  // A new timestamp, greater than every timestamp this clock returned or
  // observed before.
  HlcTimestamp Now();

  // Folds a timestamp received from another node into this clock and returns
  // a new local timestamp greater than both. Errors: OutOfRange if `remote` is
  // more than max_skew ahead of the physical clock (the clock is unchanged).
  absl::StatusOr<HlcTimestamp> Observe(HlcTimestamp remote);

  // Checks `remote` against the skew bound without changing the clock; a
  // refusal is counted. Used to validate a batch before any of it is merged.
  absl::Status CheckSkew(HlcTimestamp remote);

  // Raises the clock to at least `persisted` (never lowers it). Call on start
  // with the last timestamp the store persisted.
  void Restore(HlcTimestamp persisted);

  // The greatest timestamp handed out or observed; what the owner persists.
  HlcTimestamp Last() const { return last_; }

  int64_t refused_remote_count() const { return refused_remote_count_; }
  // The most a remote timestamp that passed CheckSkew was ahead of the
  // physical clock (0 if none was ahead): the clock skew seen, which the
  // node's status reports so that an operator finds a drifting clock before
  // it nears the bound.
  int64_t max_remote_ahead_micros() const { return max_remote_ahead_micros_; }
  int64_t logical_carry_count() const { return logical_carry_count_; }

 private:
  static constexpr uint32_t kMaxLogical = std::numeric_limits<uint32_t>::max();

  // Returns the successor of max(last_, floor) at physical time `physical`.
  HlcTimestamp Advance(HlcTimestamp floor, int64_t physical);

  const PhysicalClock* const clock_;
  const Options options_;
  HlcTimestamp last_;
  int64_t refused_remote_count_ = 0;
  int64_t max_remote_ahead_micros_ = 0;
  int64_t logical_carry_count_ = 0;
};

}  // namespace sanji::conflict

#endif  // SANJI_CONFLICT_HLC_H_
