// CausalCounter: the state of `counter` fields. A PN-counter with one entry
// per writing origin holding that origin's running total (increments minus
// decrements), tagged with the origin's latest dot (the "causal counter" of
// the delta-CRDT papers).
//
// Tagging each origin's total with a dot is what lets a record delete reset
// the counter: the delete removes the entries it saw, and a later increment
// starts from zero. An increment concurrent with the delete survives with its
// origin's whole total (the write-wins rule of record.h).
//
// Thread-safety: a value type.
#ifndef SANJI_CONFLICT_CAUSAL_COUNTER_H_
#define SANJI_CONFLICT_CAUSAL_COUNTER_H_

#include <cstdint>

#include "conflict/causal_field.h"

namespace sanji::conflict {

class CausalCounter : public CausalField<int64_t> {
 public:
  // Adds `delta` (negative to decrement) to the total of dot.origin.
  // Returns false, changing nothing, if that origin's total or the sum over
  // all origins (Total(), as this replica holds it) would leave int64.
  [[nodiscard]] bool Increment(const Dot& dot, int64_t delta);
  // The sum over all origins, saturated at the int64 limits (origins may each
  // be near a limit; their sum must still not be undefined).
  int64_t Total() const;
};

}  // namespace sanji::conflict

#endif  // SANJI_CONFLICT_CAUSAL_COUNTER_H_
