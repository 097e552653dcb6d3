#include "conflict/status_register.h"

#include <algorithm>

namespace sanji::conflict {

void StatusRegister::Advance(const Dot& dot, uint32_t rank) {
  kernel_.Clear();
  kernel_.Insert(dot, rank);
}

std::optional<uint32_t> StatusRegister::Rank() const {
  if (empty()) return std::nullopt;
  uint32_t furthest = 0;
  for (const Entry& entry : entries()) furthest = std::max(furthest, entry.payload);
  return furthest;
}

}  // namespace sanji::conflict
