#include "conflict/record.h"

#include <algorithm>
#include <cassert>

#include "absl/strings/str_cat.h"
#include "conflict/status_macros.h"

namespace sanji::conflict {

namespace {

template <typename Payload>
bool AllCovered(const VersionVector& context,
                const std::vector<typename DotKernel<Payload>::Entry>& entries) {
  for (const auto& entry : entries) {
    if (!context.Covers(entry.dot)) return false;
  }
  return true;
}

bool FieldCovered(const VersionVector& context, const FieldState& state) {
  return std::visit(
      [&](const auto& field) {
        using Payload = typename std::decay_t<decltype(field)>::Payload;
        return AllCovered<Payload>(context, field.entries());
      },
      state);
}

absl::Status CheckValueType(absl::string_view collection, absl::string_view field,
                            ValueType expected, const Value& value) {
  if (TypeOf(value) != expected) {
    return absl::InvalidArgumentError(absl::StrCat("field \"", field, "\" of \"", collection,
                                                   "\" holds ", ValueTypeName(expected),
                                                   " values, got ", ValueToString(value)));
  }
  // Applications read text as protobuf `string`, which must be UTF-8: a record
  // holding other bytes could not be sent to any of them.
  if (const auto* text = std::get_if<std::string>(&value); text && !IsValidUtf8(*text)) {
    return absl::InvalidArgumentError(
        absl::StrCat("field \"", field, "\" of \"", collection, "\" holds text that is not UTF-8"));
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<Record> Record::FromState(RecordState state) {
  const VersionVector& context = state.context;
  if (!AllCovered<TimestampedValue>(context, state.scope.entries()) ||
      !AllCovered<HlcTimestamp>(context, state.presence.entries()) ||
      !AllCovered<HlcTimestamp>(context, state.deletes.entries())) {
    return absl::DataLossError("record holds a dot its causal context does not cover");
  }
  for (const auto& entry : state.scope.entries()) {
    if (TypeOf(entry.payload.value) != ValueType::kString) {
      return absl::DataLossError("record's scope is not a string");
    }
  }
  for (const auto& [key, field] : state.fields) {
    if (StateKindOf(field) != key.kind) {
      return absl::DataLossError(absl::StrCat("field \"", key.name, "\" is named ",
                                              StateKindName(key.kind), " but holds ",
                                              StateKindName(StateKindOf(field))));
    }
    if (IsEmpty(field)) {
      return absl::DataLossError(
          absl::StrCat("record holds field \"", key.name, "\" with no entries"));
    }
    if (!FieldCovered(context, field)) {
      return absl::DataLossError(
          absl::StrCat("field \"", key.name, "\" holds a dot the record's context does not cover"));
    }
  }
  return Record(std::move(state));
}

absl::StatusOr<Record> Record::Write(const CollectionSchema& schema, const Change& change,
                                     const Dot& dot, HlcTimestamp timestamp) const {
  assert(dot.counter > state_.context.Get(dot.origin));
  SANJI_RETURN_IF_ERROR(schema.ValidateChange(change));
  if (!change.scope.has_value() && state_.scope.empty()) {
    return absl::InvalidArgumentError(
        absl::StrCat("a new record of \"", schema.name(), "\" needs a scope"));
  }
  if (change.answer && change.scope.has_value()) {
    return absl::InvalidArgumentError(absl::StrCat("an answer to a record of \"", schema.name(),
                                                   "\" cannot set the record's scope"));
  }
  Record next = *this;
  RecordState& state = next.state_;
  for (const FieldOp& op : change.ops) {
    SANJI_RETURN_IF_ERROR(next.ApplyOperation(schema, op, dot, timestamp));
  }
  // An answer is an annotation (change.h): only its fields change.
  if (!change.answer) {
    next.StartStatusFields(schema, dot);
    if (change.scope.has_value()) {
      for (const auto& entry : state.scope.entries()) {
        const auto& old_scope = std::get<std::string>(entry.payload.value);
        if (old_scope != *change.scope) state.former_scopes.insert(old_scope);
      }
      state.scope.Assign(dot, timestamp, *change.scope);
    }
    state.presence.Clear();
    state.presence.Insert(dot, timestamp);
    state.deletes.Clear();
  }
  absl::erase_if(state.fields, [](const auto& item) { return IsEmpty(item.second); });
  next.KeepAuthor(dot, change.author);
  state.context.Advance(dot);
  return next;
}

void Record::StartStatusFields(const CollectionSchema& schema, const Dot& dot) {
  for (const auto& [name, spec] : schema.fields()) {
    if (spec.kind != FieldKind::kStatus) continue;
    auto [it, inserted] =
        state_.fields.try_emplace(FieldKey{name, StateKind::kStatus}, EmptyFieldState(spec.kind));
    if (IsEmpty(it->second)) std::get<StatusRegister>(it->second).Advance(dot, 0);
  }
}

absl::Status Record::ApplyOperation(const CollectionSchema& schema, const FieldOp& op,
                                    const Dot& dot, HlcTimestamp timestamp) {
  SANJI_ASSIGN_OR_RETURN(const FieldSpec* spec, schema.Field(op.field));
  // A field of the same name and another kind (a clash) is another field:
  // the write leaves it as it is.
  auto [it, inserted] = state_.fields.try_emplace(FieldKey{op.field, StateKindOf(spec->kind)},
                                                  EmptyFieldState(spec->kind));
  FieldState& field = it->second;
  if (const auto* assign = std::get_if<Assign>(&op.operation)) {
    std::get<ValueRegister>(field).Assign(dot, timestamp, assign->value);
  } else if (const auto* increment = std::get_if<Increment>(&op.operation)) {
    if (!std::get<CausalCounter>(field).Increment(dot, increment->delta)) {
      return absl::OutOfRangeError(absl::StrCat(
          "incrementing counter \"", op.field, "\" of \"", schema.name(), "\" by ",
          increment->delta, " would carry its total past the int64 limits; nothing was written"));
    }
  } else if (const auto* add = std::get_if<AddElements>(&op.operation)) {
    std::get<OrSet>(field).Add(dot, add->elements);
  } else if (const auto* remove = std::get_if<RemoveElements>(&op.operation)) {
    std::get<OrSet>(field).Remove(remove->elements);
  } else {
    const std::string& status = std::get<SetStatus>(op.operation).status;
    SANJI_ASSIGN_OR_RETURN(uint32_t rank, schema.StatusRank(op.field, status));
    auto& status_register = std::get<StatusRegister>(field);
    std::optional<uint32_t> current = status_register.Rank();
    if (current.has_value() && rank < *current) {
      return absl::FailedPreconditionError(absl::StrCat(
          "status field \"", op.field, "\" of \"", schema.name(), "\" cannot move back from \"",
          spec->status_order[*current], "\" to \"", status, "\""));
    }
    status_register.Advance(dot, rank);
  }
  return absl::OkStatus();
}

Record Record::Delete(const Dot& dot, HlcTimestamp timestamp, absl::string_view author) const {
  assert(dot.counter > state_.context.Get(dot.origin));
  Record next = *this;
  RecordState& state = next.state_;
  state.fields.clear();
  state.presence.Clear();
  state.deletes.Clear();
  state.deletes.Insert(dot, timestamp);
  next.KeepAuthor(dot, author);
  state.context.Advance(dot);
  return next;
}

void Record::KeepAuthor(const Dot& dot, absl::string_view author) {
  const FieldKey key{std::string(kAuthorsField), StateKind::kSet};
  // The dots of every change the record still holds something of.
  std::vector<Dot> live;
  auto add_dots = [&](const auto& entries) {
    for (const auto& entry : entries) live.push_back(entry.dot);
  };
  add_dots(state_.scope.entries());
  add_dots(state_.presence.entries());
  add_dots(state_.deletes.entries());
  for (const auto& [field_key, field] : state_.fields) {
    if (field_key.name == kAuthorsField) continue;
    std::visit([&](const auto& typed) { add_dots(typed.entries()); }, field);
  }
  std::sort(live.begin(), live.end());
  OrSet authors;
  if (auto found = state_.fields.find(key); found != state_.fields.end()) {
    if (const auto* held = std::get_if<OrSet>(&found->second); held != nullptr) {
      for (const auto& entry : held->entries()) {
        if (std::binary_search(live.begin(), live.end(), entry.dot)) {
          authors.InsertDecoded(entry.dot, entry.payload);
        }
      }
    }
  }
  if (!author.empty()) authors.InsertDecoded(dot, Value(std::string(author)));
  if (authors.empty()) {
    state_.fields.erase(key);
  } else {
    state_.fields.insert_or_assign(key, std::move(authors));
  }
}

Record Record::WithoutAuthors() const {
  Record stripped = *this;
  stripped.state_.fields.erase(FieldKey{std::string(kAuthorsField), StateKind::kSet});
  return stripped;
}

std::optional<std::string> Record::AuthorOf(const Dot& dot) const {
  const FieldState* authors = field(kAuthorsField, StateKind::kSet);
  if (authors == nullptr) return std::nullopt;
  for (const auto& entry : std::get<OrSet>(*authors).entries()) {
    if (entry.dot != dot) continue;
    if (const auto* text = std::get_if<std::string>(&entry.payload)) return *text;
  }
  return std::nullopt;
}

void Record::Join(const Record& other) {
  RecordState& mine = state_;
  const RecordState& theirs = other.state_;
  mine.scope.Join(mine.context, theirs.scope, theirs.context);
  mine.former_scopes.insert(theirs.former_scopes.begin(), theirs.former_scopes.end());
  mine.presence.Join(mine.context, theirs.presence, theirs.context);
  mine.deletes.Join(mine.context, theirs.deletes, theirs.context);
  // Both maps are sorted by name: walk them together rather than search.
  auto mine_it = mine.fields.begin();
  auto their_it = theirs.fields.begin();
  while (mine_it != mine.fields.end() || their_it != theirs.fields.end()) {
    const bool only_mine = their_it == theirs.fields.end() ||
                           (mine_it != mine.fields.end() && mine_it->first < their_it->first);
    if (!only_mine && (mine_it == mine.fields.end() || their_it->first < mine_it->first)) {
      FieldState joined = their_it->second;
      EraseCovered(joined, mine.context);
      if (!IsEmpty(joined))
        mine_it = std::next(mine.fields.emplace_hint(mine_it, their_it->first, std::move(joined)));
      ++their_it;
      continue;
    }
    if (only_mine) {
      EraseCovered(mine_it->second, theirs.context);
    } else {
      JoinFieldState(mine_it->second, mine.context, their_it->second, theirs.context);
      ++their_it;
    }
    mine_it = IsEmpty(mine_it->second) ? mine.fields.erase(mine_it) : std::next(mine_it);
  }
  mine.context.Join(theirs.context);
}

absl::Status Record::CheckAgainst(const CollectionSchema& schema) const {
  for (const auto& entry : state_.scope.entries()) {
    SANJI_RETURN_IF_ERROR(
        CheckValueType(schema.name(), kScopeField, ValueType::kString, entry.payload.value));
  }
  for (const auto& [key, field] : state_.fields) {
    auto spec_or = schema.Field(key.name);
    const FieldSpec* spec =
        spec_or.ok() && StateKindOf((*spec_or)->kind) == key.kind ? *spec_or : nullptr;
    auto check = [&](const Value& value) {
      if (spec != nullptr) return CheckValueType(schema.name(), key.name, spec->value_type, value);
      return CheckValueType(schema.name(), key.name, TypeOf(value), value);
    };
    if (const auto* values = std::get_if<ValueRegister>(&field)) {
      for (const auto& entry : values->entries()) SANJI_RETURN_IF_ERROR(check(entry.payload.value));
    } else if (const auto* set = std::get_if<OrSet>(&field)) {
      for (const auto& entry : set->entries()) SANJI_RETURN_IF_ERROR(check(entry.payload));
    }
  }
  return absl::OkStatus();
}

std::vector<std::string> Record::ClashingFields(const CollectionSchema& schema) const {
  std::vector<std::string> clashing;
  for (const auto& [key, field] : state_.fields) {
    auto spec = schema.Field(key.name);
    if (!spec.ok() || StateKindOf((*spec)->kind) == key.kind) continue;
    if (clashing.empty() || clashing.back() != key.name) clashing.push_back(key.name);
  }
  return clashing;
}

std::optional<std::string> Record::scope() const {
  if (state_.scope.empty()) return std::nullopt;
  return std::get<std::string>(state_.scope.Winner().payload.value);
}

std::vector<std::string> Record::DepartedScopes() const {
  const std::optional<std::string> current = scope();
  absl::btree_set<std::string> departed = state_.former_scopes;
  for (const auto& entry : state_.scope.entries()) {
    departed.insert(std::get<std::string>(entry.payload.value));
  }
  if (current.has_value()) departed.erase(*current);
  return {departed.begin(), departed.end()};
}

HlcTimestamp Record::NewestTimestamp() const {
  HlcTimestamp newest;
  for (const auto& entry : state_.scope.entries())
    newest = std::max(newest, entry.payload.timestamp);
  for (const auto& entry : state_.presence.entries()) newest = std::max(newest, entry.payload);
  for (const auto& entry : state_.deletes.entries()) newest = std::max(newest, entry.payload);
  for (const auto& [key, field] : state_.fields) {
    if (const auto* values = std::get_if<ValueRegister>(&field)) {
      for (const auto& entry : values->entries())
        newest = std::max(newest, entry.payload.timestamp);
    }
  }
  return newest;
}

const FieldState* Record::field(absl::string_view name, StateKind kind) const {
  auto it = state_.fields.find(FieldKeyLess::View{name, kind});
  return it == state_.fields.end() ? nullptr : &it->second;
}

const FieldState* Record::field(absl::string_view name) const {
  auto it = state_.fields.lower_bound(FieldKeyLess::View{name, StateKind::kRegister});
  if (it == state_.fields.end() || it->first.name != name) return nullptr;
  auto next = std::next(it);
  if (next != state_.fields.end() && next->first.name == name) return nullptr;
  return &it->second;
}

std::string Record::DebugString() const {
  std::string out = absl::StrCat(alive() ? "alive" : "deleted", " scope=", scope().value_or("-"),
                                 " context=", state_.context.ToString());
  for (const auto& [key, field] : state_.fields) {
    absl::StrAppend(&out, " ", key.name, "{");
    std::visit(
        [&](const auto& typed) {
          for (const auto& entry : typed.entries())
            absl::StrAppend(&out, entry.dot.ToString(), ";");
        },
        field);
    absl::StrAppend(&out, "}");
  }
  return out;
}

}  // namespace sanji::conflict
