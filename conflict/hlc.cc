#include "conflict/hlc.h"

#include <algorithm>
#include <limits>
#include <utility>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/time/time.h"

namespace sanji::conflict {

std::string HlcTimestamp::ToString() const {
  absl::Time time = absl::FromUnixMicros(physical_micros);
  return absl::StrCat(absl::FormatTime("%Y-%m-%dT%H:%M:%E6SZ", time, absl::UTCTimeZone()), "+",
                      logical);
}

HybridLogicalClock::HybridLogicalClock(const PhysicalClock* clock, Options options)
    : clock_(clock), options_(options) {}

HlcTimestamp HybridLogicalClock::Now() {
  FollowReference();
  last_ = Advance(last_, clock_->NowMicros());
  return last_;
}

absl::Status HybridLogicalClock::CheckSkew(HlcTimestamp remote) {
  const int64_t physical = clock_->NowMicros();
  // A corrupt or hostile timestamp may be anywhere in int64: a difference that
  // overflows is as far ahead as can be.
  int64_t ahead = 0;
  const bool overflow = __builtin_sub_overflow(remote.physical_micros, physical, &ahead);
  if (!overflow && ahead <= options_.max_skew_micros) {
    max_remote_ahead_micros_ = std::max(max_remote_ahead_micros_, ahead);
    return absl::OkStatus();
  }
  ++refused_remote_count_;
  return absl::OutOfRangeError(absl::StrCat(
      "remote HLC timestamp ", remote.ToString(), " is ",
      overflow ? "out of range and" : absl::FormatDuration(absl::Microseconds(ahead)),
      " ahead of the local clock ", HlcTimestamp{physical, 0}.ToString(), " (max skew ",
      absl::FormatDuration(absl::Microseconds(options_.max_skew_micros)),
      "); check the clock of the sending node and of this one"));
}

absl::StatusOr<HlcTimestamp> HybridLogicalClock::Observe(HlcTimestamp remote) {
  absl::Status skew = CheckSkew(remote);
  if (!skew.ok()) return skew;
  FollowReference();
  last_ = Advance(std::max(last_, remote), clock_->NowMicros());
  return last_;
}

void HybridLogicalClock::Restore(HlcTimestamp persisted) { last_ = std::max(last_, persisted); }

std::optional<HlcTimestamp> HybridLogicalClock::StepBack(int64_t reference_micros,
                                                         int64_t min_lead_micros) {
  const int64_t target = std::max(clock_->NowMicros(), reference_micros);
  // A difference that overflows is as far ahead (or behind) as can be.
  int64_t lead = 0;
  if (__builtin_sub_overflow(last_.physical_micros, target, &lead)) {
    lead = last_.physical_micros > target ? std::numeric_limits<int64_t>::max() : 0;
  }
  if (lead <= min_lead_micros) return std::nullopt;
  ++step_back_count_;
  last_stepped_from_ = std::exchange(last_, HlcTimestamp{target, 0});
  return last_stepped_from_;
}

void HybridLogicalClock::FollowReference() {
  if (options_.reference == nullptr) return;
  // A step's target is at least the machine clock, so only a lead over it
  // can step: the reference (a lock and a clock read) is asked only then,
  // not on every timestamp.
  if (LeadMicros() <= max_lead_micros()) return;
  if (const std::optional<int64_t> reference = options_.reference->NowMicros()) {
    StepBack(*reference, max_lead_micros());
  }
}

int64_t HybridLogicalClock::LeadMicros() const {
  const int64_t physical = clock_->NowMicros();
  int64_t lead = 0;
  if (__builtin_sub_overflow(last_.physical_micros, physical, &lead)) {
    return last_.physical_micros > physical ? std::numeric_limits<int64_t>::max() : 0;
  }
  return std::max<int64_t>(lead, 0);
}

HlcTimestamp HybridLogicalClock::Advance(HlcTimestamp floor, int64_t physical) {
  if (physical > floor.physical_micros) return HlcTimestamp{physical, 0};
  if (floor.logical < kMaxLogical) return HlcTimestamp{floor.physical_micros, floor.logical + 1};
  // 2^32 events within one microsecond of physical time: carry rather than
  // wrap, so ordering still holds; the count makes it visible.
  ++logical_carry_count_;
  return HlcTimestamp{floor.physical_micros + 1, 0};
}

}  // namespace sanji::conflict
