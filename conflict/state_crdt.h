// StateCrdt: the concept every state-based CRDT of Sanji satisfies, and what
// the law tests (commutative, associative, idempotent, inflationary) are
// written against.
#ifndef SANJI_CONFLICT_STATE_CRDT_H_
#define SANJI_CONFLICT_STATE_CRDT_H_

#include <concepts>

namespace sanji::conflict {

template <typename T>
concept StateCrdt = std::copyable<T> && std::equality_comparable<T> && requires(T a, const T b) {
  { a.Join(b) } -> std::same_as<void>;
};

}  // namespace sanji::conflict

#endif  // SANJI_CONFLICT_STATE_CRDT_H_
