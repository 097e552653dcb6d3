// Field kinds and the state a field of each kind holds.
//
// `lww` and `mv` share one state type (ValueRegister) and differ in how they
// are read; the kind lives in the schema, not in the state, so the join needs
// no schema.
//
// Thread-safety: plain values.
#ifndef SANJI_CONFLICT_FIELD_H_
#define SANJI_CONFLICT_FIELD_H_

#include <compare>
#include <cstdint>
#include <string>
#include <utility>
#include <variant>

#include "absl/strings/string_view.h"
#include "conflict/causal_counter.h"
#include "conflict/or_set.h"
#include "conflict/status_register.h"
#include "conflict/value_register.h"

namespace sanji::conflict {

enum class FieldKind { kLww, kMv, kCounter, kSet, kStatus };

// "lww", "mv", "counter", "set", "status".
absl::string_view FieldKindName(FieldKind kind);

using FieldState = std::variant<ValueRegister, CausalCounter, OrSet, StatusRegister>;

// The kind of state a field holds, as the wire names it (RecordField.kind,
// minus one): the FieldState alternative. lww and mv share kRegister, so a
// schema may switch a register between them.
enum class StateKind : uint8_t { kRegister = 0, kCounter = 1, kSet = 2, kStatus = 3 };

StateKind StateKindOf(const FieldState& state);
StateKind StateKindOf(FieldKind kind);
// "register", "counter", "set", "status".
absl::string_view StateKindName(StateKind kind);

// A record's field is named by its name and the kind of state it holds. Two
// nodes whose schemas give one name two kinds (a schema file edited by hand:
// the rules of change refuse it) write two fields that never meet: each
// merges with its own kind, so the join needs no schema and is total, and
// neither side's writes are lost. A node reads and writes the one its schema
// names; the other is a clash, kept and relayed untouched.
struct FieldKey {
  std::string name;
  StateKind kind = StateKind::kRegister;

  friend auto operator<=>(const FieldKey&, const FieldKey&) = default;
  friend bool operator==(const FieldKey&, const FieldKey&) = default;
};

// Orders FieldKeys by name, then kind (the order records encode their
// fields in), and finds one by a (name, kind) pair without a copy.
struct FieldKeyLess {
  using is_transparent = void;
  using View = std::pair<absl::string_view, StateKind>;
  static View ViewOf(const FieldKey& key) { return {key.name, key.kind}; }
  static View ViewOf(const View& view) { return view; }
  template <typename A, typename B>
  bool operator()(const A& a, const B& b) const {
    return ViewOf(a) < ViewOf(b);
  }
};

// The empty state a field of `kind` starts from.
FieldState EmptyFieldState(FieldKind kind);
bool IsEmpty(const FieldState& state);

// Joins into `mine` a side that lacks the field: drops what `their_context`
// covers (see DotKernel::EraseCovered).
void EraseCovered(FieldState& mine, const VersionVector& their_context);

// Joins `theirs` into `mine` (see DotKernel::Join).
// REQUIRES: both hold the same alternative.
void JoinFieldState(FieldState& mine, const VersionVector& my_context, const FieldState& theirs,
                    const VersionVector& their_context);

}  // namespace sanji::conflict

#endif  // SANJI_CONFLICT_FIELD_H_
