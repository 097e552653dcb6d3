#include "conflict/conflict_event.h"

#include <algorithm>

#include "absl/strings/str_cat.h"

namespace sanji::conflict {

namespace {

using RegisterEntry = ValueRegister::Entry;

ConflictSide SideOf(const RegisterEntry& entry) {
  return ConflictSide{entry.dot, entry.payload.timestamp, entry.payload.value};
}

bool Holds(const std::vector<RegisterEntry>& entries, const RegisterEntry& entry) {
  return std::find(entries.begin(), entries.end(), entry) != entries.end();
}

const ValueRegister* RegisterOf(const Record& record, absl::string_view field) {
  if (field == Record::kScopeField) return &record.state().scope;
  const FieldState* state = record.field(field);
  return state == nullptr ? nullptr : std::get_if<ValueRegister>(state);
}

void LwwConflicts(absl::string_view field, const ValueRegister* before, const ValueRegister& after,
                  std::vector<ConflictEvent>& events) {
  const std::vector<RegisterEntry> old_losers =
      before == nullptr ? std::vector<RegisterEntry>() : before->Losers();
  for (const RegisterEntry& loser : after.Losers()) {
    if (Holds(old_losers, loser)) continue;
    events.push_back(ConflictEvent{ConflictEvent::Kind::kLwwOverwrite, std::string(field),
                                   SideOf(after.Winner()), SideOf(loser)});
  }
}

void MvConflicts(absl::string_view field, const ValueRegister* before, const ValueRegister& after,
                 std::vector<ConflictEvent>& events) {
  if (after.entries().size() < 2) return;
  const std::vector<RegisterEntry> old_entries =
      before == nullptr ? std::vector<RegisterEntry>() : before->entries();
  for (const RegisterEntry& sibling : after.entries()) {
    if (Holds(old_entries, sibling)) continue;
    const RegisterEntry* greatest_other = nullptr;
    for (const RegisterEntry& entry : after.entries()) {
      if (!(entry == sibling)) greatest_other = &entry;
    }
    events.push_back(ConflictEvent{ConflictEvent::Kind::kMvSiblings, std::string(field),
                                   SideOf(*greatest_other), SideOf(sibling)});
  }
}

bool Revived(const Record& record) { return record.alive() && !record.state().deletes.empty(); }

void DeleteConflicts(const Record& before, const Record& after,
                     std::vector<ConflictEvent>& events) {
  if (!Revived(after) || Revived(before)) return;
  const auto& write = after.state().presence.entries().back();
  const auto& deletion = after.state().deletes.entries().back();
  events.push_back(ConflictEvent{ConflictEvent::Kind::kWriteConcurrentWithDelete, "",
                                 ConflictSide{write.dot, write.payload, std::nullopt},
                                 ConflictSide{deletion.dot, deletion.payload, std::nullopt}});
}

}  // namespace

std::vector<ConflictEvent> NewConflicts(const CollectionSchema& schema, const Record& before,
                                        const Record& after) {
  std::vector<ConflictEvent> events;
  LwwConflicts(Record::kScopeField, RegisterOf(before, Record::kScopeField), after.state().scope,
               events);
  for (const auto& [name, state] : after.state().fields) {
    const auto* after_register = std::get_if<ValueRegister>(&state);
    auto spec = schema.Field(name);
    if (after_register == nullptr || !spec.ok()) continue;
    if ((*spec)->kind == FieldKind::kLww) {
      LwwConflicts(name, RegisterOf(before, name), *after_register, events);
    } else {
      MvConflicts(name, RegisterOf(before, name), *after_register, events);
    }
  }
  DeleteConflicts(before, after, events);
  return events;
}

std::string ConflictEvent::ToString() const {
  static constexpr absl::string_view kKindNames[] = {"lww-overwrite", "mv-siblings",
                                                     "write-concurrent-with-delete"};
  auto side = [](const ConflictSide& s) {
    return absl::StrCat(s.dot.ToString(), "@", s.timestamp.ToString(),
                        s.value.has_value() ? absl::StrCat("=", ValueToString(*s.value)) : "");
  };
  return absl::StrCat(kKindNames[static_cast<int>(kind)], " ", field.empty() ? "(record)" : field,
                      ": kept ", side(kept), ", other ", side(other));
}

bool SettledBy(const ConflictEvent& event, const Record& record) {
  const VersionVector& context = record.context();
  if (!context.Covers(event.kept.dot) || !context.Covers(event.other.dot)) return false;
  const auto holds_side = [&](const auto& entries) {
    return std::any_of(entries.begin(), entries.end(), [&](const auto& entry) {
      return entry.dot == event.kept.dot || entry.dot == event.other.dot;
    });
  };
  if (event.kind == ConflictEvent::Kind::kWriteConcurrentWithDelete) {
    return !holds_side(record.state().presence.entries()) &&
           !holds_side(record.state().deletes.entries());
  }
  const ValueRegister* value_register = RegisterOf(record, event.field);
  return value_register == nullptr || !holds_side(value_register->entries());
}

}  // namespace sanji::conflict
