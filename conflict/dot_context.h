// DotContext: a set of dots stored as a version vector plus a "cloud" of dots
// that are known but not yet contiguous with it (Almeida, Shoker, Baquero,
// "Delta State Replicated Data Types", 2018, §7.2).
//
// Where a VersionVector can only say "everything of origin o up to c", a
// DotContext can also say "and these few dots above it". Replication uses it
// for knowledge that arrives out of order: a record touched by several origins
// travels once, in the stream of the first of them, so the receiver learns
// isolated dots of the others before their own streams catch up. Compact()
// folds the cloud into the vector as gaps close, so it stays small.
//
// Invariant after any mutator: every cloud dot is above the vector's entry for
// its origin and not contiguous with it (the representation is canonical, so
// equal sets compare equal).
//
// Thread-safety: a value type; const methods may run concurrently.
#ifndef SANJI_CONFLICT_DOT_CONTEXT_H_
#define SANJI_CONFLICT_DOT_CONTEXT_H_

#include <string>

#include "absl/container/btree_set.h"
#include "conflict/version_vector.h"

namespace sanji::conflict {

class DotContext {
 public:
  DotContext() = default;
  explicit DotContext(VersionVector compact) : compact_(std::move(compact)) {}

  bool Covers(const Dot& dot) const { return compact_.Covers(dot) || cloud_.contains(dot); }
  // Adds one dot.
  void Insert(const Dot& dot);
  // Adds every dot of origin up to `vector`'s counters.
  void InsertPrefixes(const VersionVector& vector);
  // Set union.
  void Join(const DotContext& other);

  const VersionVector& compact() const { return compact_; }
  const absl::btree_set<Dot>& cloud() const { return cloud_; }

  std::string ToString() const;
  friend bool operator==(const DotContext&, const DotContext&) = default;

 private:
  // Moves cloud dots contiguous with the vector into it and drops covered ones.
  void Compact();

  VersionVector compact_;
  absl::btree_set<Dot> cloud_;
};

}  // namespace sanji::conflict

#endif  // SANJI_CONFLICT_DOT_CONTEXT_H_
