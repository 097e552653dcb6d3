#include "conflict/field.h"

#include <cassert>

#include "conflict/change.h"

namespace sanji::conflict {

absl::string_view FieldKindName(FieldKind kind) {
  switch (kind) {
    case FieldKind::kLww:
      return "lww";
    case FieldKind::kMv:
      return "mv";
    case FieldKind::kCounter:
      return "counter";
    case FieldKind::kSet:
      return "set";
    case FieldKind::kStatus:
      return "status";
  }
  return "unknown";
}

absl::string_view OperationName(const FieldOperation& operation) {
  static constexpr absl::string_view kNames[] = {"assign", "increment", "add", "remove",
                                                 "set_status"};
  return kNames[operation.index()];
}

FieldState EmptyFieldState(FieldKind kind) {
  switch (kind) {
    case FieldKind::kLww:
    case FieldKind::kMv:
      return ValueRegister();
    case FieldKind::kCounter:
      return CausalCounter();
    case FieldKind::kSet:
      return OrSet();
    case FieldKind::kStatus:
      return StatusRegister();
  }
  return ValueRegister();
}

StateKind StateKindOf(const FieldState& state) { return static_cast<StateKind>(state.index()); }

StateKind StateKindOf(FieldKind kind) { return StateKindOf(EmptyFieldState(kind)); }

absl::string_view StateKindName(StateKind kind) {
  static constexpr absl::string_view kNames[] = {"register", "counter", "set", "status"};
  return kNames[static_cast<size_t>(kind)];
}

bool IsEmpty(const FieldState& state) {
  return std::visit([](const auto& field) { return field.empty(); }, state);
}

void EraseCovered(FieldState& mine, const VersionVector& their_context) {
  std::visit([&](auto& field) { field.EraseCovered(their_context); }, mine);
}

void JoinFieldState(FieldState& mine, const VersionVector& my_context, const FieldState& theirs,
                    const VersionVector& their_context) {
  assert(mine.index() == theirs.index());
  std::visit(
      [&](auto& field) {
        using Field = std::decay_t<decltype(field)>;
        field.Join(my_context, std::get<Field>(theirs), their_context);
      },
      mine);
}

}  // namespace sanji::conflict
