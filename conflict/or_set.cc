#include "conflict/or_set.h"

#include <algorithm>

namespace sanji::conflict {

void OrSet::Add(const Dot& dot, const std::vector<Value>& elements) {
  Remove(elements);
  for (const Value& element : elements) kernel_.Insert(dot, element);
}

void OrSet::Remove(const std::vector<Value>& elements) {
  kernel_.EraseIf([&](const Entry& entry) {
    return std::find(elements.begin(), elements.end(), entry.payload) != elements.end();
  });
}

bool OrSet::Contains(const Value& element) const {
  return std::any_of(entries().begin(), entries().end(),
                     [&](const Entry& entry) { return entry.payload == element; });
}

std::vector<Value> OrSet::Elements() const {
  std::vector<Value> elements;
  for (const Entry& entry : entries()) elements.push_back(entry.payload);
  std::sort(elements.begin(), elements.end());
  elements.erase(std::unique(elements.begin(), elements.end()), elements.end());
  return elements;
}

}  // namespace sanji::conflict
