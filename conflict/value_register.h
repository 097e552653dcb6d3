// ValueRegister: a multi-value register (the state of both `lww` and `mv`
// fields). An assignment replaces every value the writer saw; assignments made
// without seeing each other are all kept, as siblings.
//
//  - An `mv` field reads all siblings: a person resolves them by assigning a
//    new value, which sees them all and so replaces them.
//  - An `lww` field reads the Winner(): the greatest (HLC timestamp, dot). The
//    other siblings are the values a concurrent overwrite displaced; they stay
//    in the state (and so replicate to the county) until the next assignment,
//    which is what `sanjictl conflicts` shows and resolves. Keeping them in the
//    state rather than in one node's log makes the set of conflicts the same
//    on every replica, whatever order the merges happened in. A sibling of
//    the value read displaced nothing: it stays (so the join is the same
//    whatever the values) but is no conflict (conflict_event.h).
//
// Thread-safety: a value type.
#ifndef SANJI_CONFLICT_VALUE_REGISTER_H_
#define SANJI_CONFLICT_VALUE_REGISTER_H_

#include <vector>

#include "conflict/causal_field.h"
#include "conflict/hlc.h"
#include "conflict/value.h"

namespace sanji::conflict {

struct TimestampedValue {
  HlcTimestamp timestamp;
  Value value;

  friend bool operator==(const TimestampedValue&, const TimestampedValue&) = default;
  friend bool operator<(const TimestampedValue& a, const TimestampedValue& b) {
    if (a.timestamp != b.timestamp) return a.timestamp < b.timestamp;
    return a.value < b.value;
  }
};

class ValueRegister : public CausalField<TimestampedValue> {
 public:
  // Replaces every current value with `value`, written at `dot` and `timestamp`.
  void Assign(const Dot& dot, HlcTimestamp timestamp, Value value);

  // The lww read: the entry with the greatest (timestamp, dot).
  // REQUIRES: !empty().
  const Entry& Winner() const;
  // Every entry but the Winner(), in entry order.
  std::vector<Entry> Losers() const;
};

}  // namespace sanji::conflict

#endif  // SANJI_CONFLICT_VALUE_REGISTER_H_
