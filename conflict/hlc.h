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
// The one exception to "strictly increasing" is StepBack(). A physical clock
// that ran ahead and was corrected (NTP after a bad RTC, an operator's
// mistake) leaves Last() in the future: the clock keeps handing out
// timestamps from it (the logical part counts them), which every peer whose
// clock is right refuses beyond the skew bound until real time catches up.
// Which clock is wrong cannot be told locally (a box that boots in 1970 looks
// the same), so the clock only steps back on evidence: a reference clock (the
// parent's, read from its frames) that confirms the physical clock, checked
// before every timestamp, or an operator who says so (sanjid --reset-clock).
// The step leaves the clock at the later of the two, so a reference that is
// wrong can at worst bring it back to this machine's own clock. Stepping back is safe for the
// merge: every field kind replaces what a write saw by its causal context,
// never by timestamp, and timestamps only order writes made without seeing
// each other (docs/CONFLICT.md). A write after the step still replaces this
// node's own earlier ones; it merely stops winning concurrent conflicts on a
// clock that was wrong. An origin's changes are ordered by their dots.
//
// Thread-safety: not thread-safe. The owner (the store's commit path, or one
// engine) serializes calls.
#ifndef SANJI_CONFLICT_HLC_H_
#define SANJI_CONFLICT_HLC_H_

#include <compare>
#include <cstdint>
#include <limits>
#include <optional>
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
    // If set, Now() and Observe() first StepBack(reference, max_lead()):
    // this node's timestamps then stay within the bound of a peer whose
    // clock agrees with the reference. REQUIRES: outlives the clock.
    const ReferenceClock* reference = nullptr;
  };

  // REQUIRES: `clock` outlives this object.
  HybridLogicalClock(const PhysicalClock* clock, Options options);

  // A new timestamp, greater than every timestamp this clock returned or
  // observed before (unless it stepped back first: Options::reference).
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

  // Steps the clock back (see the file comment) if Last() is more than
  // `min_lead_micros` ahead of both the physical clock and
  // `reference_micros`: it then restarts from the later of those two, and
  // the step is counted. Returns the timestamp it stepped back from, or
  // nullopt if it did not step. REQUIRES: min_lead_micros >= 0.
  std::optional<HlcTimestamp> StepBack(int64_t reference_micros, int64_t min_lead_micros);

  // How far Last() is ahead of the physical clock now (0 if it is not): what
  // a corrected forward jump of the physical clock leaves, until real time
  // catches up or StepBack(). A peer refuses this node's timestamps once it
  // nears the skew bound.
  int64_t LeadMicros() const;

  // The greatest timestamp handed out or observed; what the owner persists.
  HlcTimestamp Last() const { return last_; }

  int64_t refused_remote_count() const { return refused_remote_count_; }
  // The most a remote timestamp that passed CheckSkew was ahead of the
  // physical clock (0 if none was ahead): the clock skew seen, which the
  // node's status reports so that an operator finds a drifting clock before
  // it nears the bound.
  int64_t max_remote_ahead_micros() const { return max_remote_ahead_micros_; }
  int64_t logical_carry_count() const { return logical_carry_count_; }
  int64_t step_back_count() const { return step_back_count_; }
  // The timestamp the latest StepBack() left (zero if none).
  HlcTimestamp last_stepped_from() const { return last_stepped_from_; }
  // The lead over the reference at which the clock steps back: half the skew
  // bound, so that a peer whose clock is up to as much behind the reference
  // still accepts every timestamp.
  int64_t max_lead_micros() const { return options_.max_skew_micros / 2; }

 private:
  static constexpr uint32_t kMaxLogical = std::numeric_limits<uint32_t>::max();

  // StepBack to the reference clock, if there is one and it has a reading.
  void FollowReference();
  // Returns the successor of max(last_, floor) at physical time `physical`.
  HlcTimestamp Advance(HlcTimestamp floor, int64_t physical);

  const PhysicalClock* const clock_;
  const Options options_;
  HlcTimestamp last_;
  int64_t refused_remote_count_ = 0;
  int64_t max_remote_ahead_micros_ = 0;
  int64_t logical_carry_count_ = 0;
  int64_t step_back_count_ = 0;
  HlcTimestamp last_stepped_from_;
};

}  // namespace sanji::conflict

#endif  // SANJI_CONFLICT_HLC_H_
