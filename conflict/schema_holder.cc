#include "conflict/schema_holder.h"

#include <utility>

namespace sanji::conflict {

SchemaHolder::SchemaHolder(SchemaVersion initial) {
  versions_.push_back(std::make_unique<const SchemaVersion>(std::move(initial)));
  current_.store(versions_.back().get(), std::memory_order_release);
}

bool SchemaHolder::Adopt(SchemaVersion next) {
  std::lock_guard<std::mutex> lock(mu_);
  if (next.number <= current_.load(std::memory_order_relaxed)->number) return false;
  versions_.push_back(std::make_unique<const SchemaVersion>(std::move(next)));
  current_.store(versions_.back().get(), std::memory_order_release);
  return true;
}

}  // namespace sanji::conflict
