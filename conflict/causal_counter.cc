#include "conflict/causal_counter.h"

#include <limits>

namespace sanji::conflict {

namespace {

bool InInt64(__int128 value) {
  return value >= std::numeric_limits<int64_t>::min() &&
         value <= std::numeric_limits<int64_t>::max();
}

}  // namespace

bool CausalCounter::Increment(const Dot& dot, int64_t delta) {
  // An origin has at most one entry: the writer holds every entry of the field.
  int64_t origin_total = 0;
  // Exact, as no int64 sum of entries can leave __int128.
  __int128 total = 0;
  for (const Entry& entry : entries()) {
    if (entry.dot.origin == dot.origin) origin_total = entry.payload;
    total += entry.payload;
  }
  int64_t next = 0;
  if (__builtin_add_overflow(origin_total, delta, &next)) return false;
  // The total as this writer sees it must stay readable: an increment that
  // would carry it past an int64 limit is refused. One that brings a total
  // already beyond a limit (increments made concurrently elsewhere) back
  // towards it is taken.
  const __int128 next_total = total + delta;
  if (!InInt64(next_total) && (next_total > 0) == (delta > 0)) return false;
  kernel_.EraseIf([&](const Entry& entry) { return entry.dot.origin == dot.origin; });
  kernel_.Insert(dot, next);
  return true;
}

int64_t CausalCounter::Total() const {
  int64_t total = 0;
  for (const Entry& entry : entries()) {
    if (__builtin_add_overflow(total, entry.payload, &total)) {
      total = entry.payload > 0 ? std::numeric_limits<int64_t>::max()
                                : std::numeric_limits<int64_t>::min();
    }
  }
  return total;
}

}  // namespace sanji::conflict
