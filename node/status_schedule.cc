#include "node/status_schedule.h"

#include <cassert>
#include <utility>

namespace sanji::node {

StatusSchedule::StatusSchedule(int64_t period_micros, int64_t debounce_micros)
    : period_(period_micros), debounce_(debounce_micros) {
  assert(debounce_ > 0 && debounce_ <= period_);
}

bool StatusSchedule::Due(int64_t now, const std::string& digest) const {
  // A clock set back (now before the last write) counts as time passed:
  // one write early rather than none until the clock catches up.
  if (last_attempt_.has_value() && now - *last_attempt_ < debounce_ && now >= *last_attempt_) {
    return false;
  }
  if (!last_written_.has_value() || digest != written_digest_) return true;
  return now - *last_written_ >= period_ || now < *last_written_;
}

void StatusSchedule::Written(int64_t now, std::string digest) {
  last_attempt_ = now;
  last_written_ = now;
  written_digest_ = std::move(digest);
}

void StatusSchedule::Failed(int64_t now) { last_attempt_ = now; }

}  // namespace sanji::node
