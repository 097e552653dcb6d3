#include "conflict/value_register.h"

#include <algorithm>
#include <cassert>

namespace sanji::conflict {

void ValueRegister::Assign(const Dot& dot, HlcTimestamp timestamp, Value value) {
  kernel_.Clear();
  kernel_.Insert(dot, TimestampedValue{timestamp, std::move(value)});
}

const ValueRegister::Entry& ValueRegister::Winner() const {
  assert(!empty());
  return *std::max_element(entries().begin(), entries().end(), [](const Entry& a, const Entry& b) {
    if (a.payload.timestamp != b.payload.timestamp) {
      return a.payload.timestamp < b.payload.timestamp;
    }
    return a.dot < b.dot;
  });
}

std::vector<ValueRegister::Entry> ValueRegister::Losers() const {
  std::vector<Entry> losers;
  if (empty()) return losers;
  const Entry& winner = Winner();
  for (const Entry& entry : entries()) {
    if (!(entry == winner)) losers.push_back(entry);
  }
  return losers;
}

}  // namespace sanji::conflict
