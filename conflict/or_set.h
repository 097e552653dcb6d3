// OrSet: the state of `set` fields. An add-wins observed-remove set: each
// element is present while some add of it survives; a remove drops the adds it
// saw, so an add concurrent with a remove wins. Removed elements leave no
// tombstone: the record's causal context remembers their dots.
//
// Thread-safety: a value type.
#ifndef SANJI_CONFLICT_OR_SET_H_
#define SANJI_CONFLICT_OR_SET_H_

#include <vector>

#include "conflict/causal_field.h"
#include "conflict/value.h"

namespace sanji::conflict {

class OrSet : public CausalField<Value> {
 public:
  // Adds `elements` with the one dot of the write that adds them.
  void Add(const Dot& dot, const std::vector<Value>& elements);
  void Remove(const std::vector<Value>& elements);
  bool Contains(const Value& element) const;
  // The distinct elements, in value order.
  std::vector<Value> Elements() const;
};

}  // namespace sanji::conflict

#endif  // SANJI_CONFLICT_OR_SET_H_
