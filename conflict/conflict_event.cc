#include "conflict/conflict_event.h"

#include <algorithm>

#include "absl/strings/str_cat.h"

namespace sanji::conflict {

namespace {

using RegisterEntry = ValueRegister::Entry;

ConflictSide SideOf(const RegisterEntry& entry) {
  return ConflictSide{entry.dot, entry.payload.timestamp, entry.payload.value, ""};
}

bool Holds(const std::vector<RegisterEntry>& entries, const RegisterEntry& entry) {
  return std::find(entries.begin(), entries.end(), entry) != entries.end();
}

const ValueRegister* RegisterOf(const Record& record, absl::string_view field) {
  if (field == Record::kScopeField) return &record.state().scope;
  const FieldState* state = record.field(field, StateKind::kRegister);
  return state == nullptr ? nullptr : std::get_if<ValueRegister>(state);
}

bool HoldsValue(const std::vector<RegisterEntry>& entries, const Value& value) {
  return std::any_of(entries.begin(), entries.end(),
                     [&](const RegisterEntry& entry) { return entry.payload.value == value; });
}

// The losers of an lww register whose value differs from the one read. A loser
// that wrote the read value displaced nothing: two writes that said the same
// thing are not a conflict. It stays in the register (the join is the same on
// every node) and is simply not reported.
std::vector<RegisterEntry> Displaced(const ValueRegister* values) {
  std::vector<RegisterEntry> displaced;
  if (values == nullptr || values->empty()) return displaced;
  const Value& read = values->Winner().payload.value;
  for (const RegisterEntry& loser : values->Losers()) {
    if (!(loser.payload.value == read)) displaced.push_back(loser);
  }
  return displaced;
}

// Whether this replica may already have reported `loser` displaced by
// `winner`: the loser stayed displaced, or `before` held both. In the second
// case the loser was not displaced in `before` only because a write of its
// value above `winner` was read; a delete removed that write. Whether
// `winner` displaced the loser before that write arrived, and was reported
// then, is not in the state (both orders join to the same record), so the
// pair is never reported here: reporting it could list one overwrite twice.
// When it was not reported, the event of `winner` displaced by that write
// still names both values, and stays open while the register holds `winner`.
bool MayHaveBeenReported(const ValueRegister* before,
                         const std::vector<RegisterEntry>& old_displaced,
                         const RegisterEntry& loser, const RegisterEntry& winner) {
  if (Holds(old_displaced, loser)) return true;
  return before != nullptr && Holds(before->entries(), loser) && Holds(before->entries(), winner);
}

// A value is reported when it becomes displaced, once: a second write of a
// value that stays displaced (or of one reported in this same merge) is the
// same conflict.
void LwwConflicts(absl::string_view field, const ValueRegister* before, const ValueRegister& after,
                  std::vector<ConflictEvent>& events) {
  const std::vector<RegisterEntry> old_displaced = Displaced(before);
  const std::vector<RegisterEntry> now_displaced = Displaced(&after);
  std::vector<RegisterEntry> reported;
  for (const RegisterEntry& entry : now_displaced) {
    if (MayHaveBeenReported(before, old_displaced, entry, after.Winner()))
      reported.push_back(entry);
  }
  for (const RegisterEntry& loser : now_displaced) {
    if (HoldsValue(reported, loser.payload.value)) continue;
    events.push_back(ConflictEvent{ConflictEvent::Kind::kLwwOverwrite, std::string(field),
                                   SideOf(after.Winner()), SideOf(loser)});
    reported.push_back(loser);
  }
}

// A new sibling is reported when its value is new to the field: siblings that
// hold equal values leave nothing for a person to choose between.
void MvConflicts(absl::string_view field, const ValueRegister* before, const ValueRegister& after,
                 std::vector<ConflictEvent>& events) {
  std::vector<RegisterEntry> known;
  for (const RegisterEntry& entry : after.entries()) {
    if (before != nullptr && Holds(before->entries(), entry)) known.push_back(entry);
  }
  for (const RegisterEntry& sibling : after.entries()) {
    if (Holds(known, sibling) || HoldsValue(known, sibling.payload.value)) continue;
    const RegisterEntry* greatest_other = nullptr;
    for (const RegisterEntry& entry : after.entries()) {
      if (!(entry.payload.value == sibling.payload.value)) greatest_other = &entry;
    }
    if (greatest_other == nullptr) continue;
    events.push_back(ConflictEvent{ConflictEvent::Kind::kMvSiblings, std::string(field),
                                   SideOf(*greatest_other), SideOf(sibling)});
    known.push_back(sibling);
  }
}

bool Revived(const Record& record) { return record.alive() && !record.state().deletes.empty(); }

void DeleteConflicts(const Record& before, const Record& after,
                     std::vector<ConflictEvent>& events) {
  if (!Revived(after) || Revived(before)) return;
  const auto& write = after.state().presence.entries().back();
  const auto& deletion = after.state().deletes.entries().back();
  events.push_back(ConflictEvent{ConflictEvent::Kind::kWriteConcurrentWithDelete, "",
                                 ConflictSide{write.dot, write.payload, std::nullopt, ""},
                                 ConflictSide{deletion.dot, deletion.payload, std::nullopt, ""}});
}

}  // namespace

std::vector<ConflictEvent> NewConflicts(const CollectionSchema& schema, const Record& before,
                                        const Record& after) {
  std::vector<ConflictEvent> events;
  LwwConflicts(Record::kScopeField, RegisterOf(before, Record::kScopeField), after.state().scope,
               events);
  for (const auto& [key, state] : after.state().fields) {
    const absl::string_view name = key.name;
    const auto* after_register = std::get_if<ValueRegister>(&state);
    auto spec = schema.Field(name);
    // Fields the schema does not name are not read here, so not conflicts.
    if (after_register == nullptr || !spec.ok() || StateKindOf((*spec)->kind) != key.kind) continue;
    if ((*spec)->kind == FieldKind::kLww) {
      LwwConflicts(name, RegisterOf(before, name), *after_register, events);
    } else {
      MvConflicts(name, RegisterOf(before, name), *after_register, events);
    }
  }
  DeleteConflicts(before, after, events);
  for (ConflictEvent& event : events) {
    for (ConflictSide* side : {&event.kept, &event.other}) {
      side->author = after.AuthorOf(side->dot).value_or(before.AuthorOf(side->dot).value_or(""));
    }
  }
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
  if (event.kept.value.has_value() && event.kept.value == event.other.value) return true;
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
