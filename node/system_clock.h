// The machine's wall clock, as the HLC's physical time (conflict/clock.h).
//
// Thread-safety: thread-safe.
#ifndef SANJI_NODE_SYSTEM_CLOCK_H_
#define SANJI_NODE_SYSTEM_CLOCK_H_

#include "absl/time/clock.h"
#include "conflict/clock.h"

namespace sanji::node {

class SystemClock final : public conflict::PhysicalClock {
 public:
  int64_t NowMicros() const override { return absl::GetCurrentTimeNanos() / 1000; }
};

}  // namespace sanji::node

#endif  // SANJI_NODE_SYSTEM_CLOCK_H_
