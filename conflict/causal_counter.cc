#include "conflict/causal_counter.h"

namespace sanji::conflict {

void CausalCounter::Increment(const Dot& dot, int64_t delta) {
  int64_t origin_total = 0;
  for (const Entry& entry : entries()) {
    if (entry.dot.origin == dot.origin) origin_total += entry.payload;
  }
  kernel_.EraseIf([&](const Entry& entry) { return entry.dot.origin == dot.origin; });
  kernel_.Insert(dot, origin_total + delta);
}

int64_t CausalCounter::Total() const {
  int64_t total = 0;
  for (const Entry& entry : entries()) total += entry.payload;
  return total;
}

}  // namespace sanji::conflict
