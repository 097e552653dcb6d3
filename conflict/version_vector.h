// VersionVector: for each origin, a counter, with "covers dot (o, c)" meaning
// c <= vector[o].
//
// Sanji uses it in two roles, both downward-closed per origin:
//  - a record's causal context: the latest dot of each origin that touched the
//    record. Because an origin only writes a record on a state that already
//    holds all of its own earlier writes to it, the record then holds every
//    change of that origin up to the counter that touched it.
//  - a node's knowledge (replication/): every change of the origin up to the
//    counter, within the node's filter, is in its store.
//
// Entries are kept sorted by origin with no zero counters, so equal vectors
// compare and encode identically.
//
// Thread-safety: a value type; const methods may run concurrently.
#ifndef SANJI_CONFLICT_VERSION_VECTOR_H_
#define SANJI_CONFLICT_VERSION_VECTOR_H_

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "conflict/dot.h"

namespace sanji::conflict {

enum class CausalOrder { kEqual, kBefore, kAfter, kConcurrent };

class VersionVector {
 public:
  using Entry = std::pair<Origin, uint64_t>;

  VersionVector() = default;

  // 0 when the origin is absent.
  uint64_t Get(const Origin& origin) const;
  bool Covers(const Dot& dot) const { return dot.counter <= Get(dot.origin); }
  // True if every entry of `other` is <= the entry here.
  bool Covers(const VersionVector& other) const;

  // Raises the entry of dot.origin to at least dot.counter.
  void Advance(const Dot& dot);
  // Sets the entry of `origin` to exactly `counter` (0 removes it).
  void Set(const Origin& origin, uint64_t counter);
  // Pointwise maximum.
  void Join(const VersionVector& other);

  // kBefore: *this < other (other dominates); kAfter: *this > other.
  CausalOrder Compare(const VersionVector& other) const;
  bool Dominates(const VersionVector& other) const { return Compare(other) == CausalOrder::kAfter; }
  bool ConcurrentWith(const VersionVector& other) const {
    return Compare(other) == CausalOrder::kConcurrent;
  }

  const std::vector<Entry>& entries() const { return entries_; }
  bool empty() const { return entries_.empty(); }
  size_t size() const { return entries_.size(); }

  // "{a#1:3, b#1:7}"
  std::string ToString() const;

  friend bool operator==(const VersionVector&, const VersionVector&) = default;

 private:
  static constexpr size_t kLinearScanLimit = 8;

  std::vector<Entry>::iterator LowerBound(const Origin& origin);
  std::vector<Entry>::const_iterator LowerBound(const Origin& origin) const;

  std::vector<Entry> entries_;  // sorted by origin; counters > 0
};

}  // namespace sanji::conflict

#endif  // SANJI_CONFLICT_VERSION_VECTOR_H_
