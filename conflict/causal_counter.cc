#include "conflict/causal_counter.h"

#include <limits>

namespace sanji::conflict {

bool CausalCounter::Increment(const Dot& dot, int64_t delta) {
  // An origin has at most one entry: the writer holds every entry of the field.
  int64_t origin_total = 0;
  for (const Entry& entry : entries()) {
    if (entry.dot.origin == dot.origin) origin_total = entry.payload;
  }
  int64_t next = 0;
  if (__builtin_add_overflow(origin_total, delta, &next)) return false;
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
