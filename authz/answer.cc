#include "authz/answer.h"

#include <algorithm>
#include <string>
#include <type_traits>
#include <variant>
#include <vector>

#include "absl/strings/str_cat.h"
#include "authz/scope_path.h"
#include "conflict/status_macros.h"

namespace sanji::authz {
namespace {

using conflict::CollectionSchema;
using conflict::Dot;
using conflict::FieldKind;
using conflict::FieldSpec;
using conflict::Record;
using conflict::Value;
using conflict::VersionVector;

// What one part of a record (a field, the scope, presence, deletes) lets a
// child's subtree write to a record outside its authority.
enum class PartRule {
  kNone,           // nothing
  kAuthors,        // anything: each change's author, kept and dropped with it
  kAnswerSet,      // elements owned within the writer
  kAnswerCounter,  // its origins' own totals
};

PartRule RuleOf(const CollectionSchema& collection, const conflict::FieldKey& key) {
  if (key.name == Record::kAuthorsField) return PartRule::kAuthors;
  absl::StatusOr<const FieldSpec*> spec = collection.Field(key.name);
  if (!spec.ok() || !(*spec)->answer || conflict::StateKindOf((*spec)->kind) != key.kind) {
    return PartRule::kNone;
  }
  return (*spec)->kind == FieldKind::kCounter ? PartRule::kAnswerCounter : PartRule::kAnswerSet;
}

// Whether an entry at `dot` carrying `payload` is owned within `writer`.
template <typename Payload>
bool OwnedWithin(PartRule rule, const Dot& dot, const Payload& payload, absl::string_view writer) {
  switch (rule) {
    case PartRule::kNone:
      return false;
    case PartRule::kAuthors:
      return true;
    case PartRule::kAnswerCounter:
      return InSubtree(dot.origin.node_id.str(), writer);
    case PartRule::kAnswerSet:
      if constexpr (std::is_same_v<Payload, Value>) {
        const auto* element = std::get_if<std::string>(&payload);
        return element != nullptr && InSubtree(AnswerOwner(*element), writer);
      }
      return false;
  }
  return false;
}

template <typename Payload>
std::string EntryText(const Dot& dot, const Payload& payload) {
  if constexpr (std::is_same_v<Payload, Value>) {
    return absl::StrCat(conflict::ValueToString(payload), " (", dot.ToString(), ")");
  }
  return dot.ToString();
}

struct Sides {
  const VersionVector& received_context;
  const VersionVector& stored_context;
  absl::string_view child;
};

// The rule of one part, its entries as received and as stored (each sorted).
template <typename Entry>
absl::Status CheckPart(absl::string_view part, PartRule rule, const std::vector<Entry>& received,
                       const std::vector<Entry>& stored, const Sides& sides) {
  for (const Entry& entry : received) {
    const std::string origin = entry.dot.origin.node_id.str();
    if (!InSubtree(origin, sides.child) || sides.stored_context.Covers(entry.dot)) continue;
    if (!OwnedWithin(rule, entry.dot, entry.payload, origin)) {
      return absl::PermissionDeniedError(
          absl::StrCat("it writes ", EntryText(entry.dot, entry.payload), " to ", part,
                       rule == PartRule::kNone
                           ? ", which only the record's scope may change"
                           : absl::StrCat(", an answer its writer ", origin, " does not own")));
    }
  }
  for (const Entry& entry : stored) {
    if (!sides.received_context.Covers(entry.dot) ||
        std::binary_search(received.begin(), received.end(), entry)) {
      continue;
    }
    if (!OwnedWithin(rule, entry.dot, entry.payload, sides.child)) {
      return absl::PermissionDeniedError(
          absl::StrCat("it removes ", EntryText(entry.dot, entry.payload), " from ", part,
                       rule == PartRule::kNone
                           ? ", which only the record's scope may change"
                           : absl::StrCat(", an answer not of ", sides.child, "'s subtree")));
    }
  }
  return absl::OkStatus();
}

// CheckPart of a field `received` or `stored` holds (either may be null).
absl::Status CheckField(const conflict::FieldKey& key, PartRule rule,
                        const conflict::FieldState* received, const conflict::FieldState* stored,
                        const Sides& sides) {
  const std::string part = absl::StrCat("field \"", key.name, "\"");
  return std::visit(
      [&](const auto& typed) {
        using State = std::decay_t<decltype(typed)>;
        static const State kNothing;
        const auto* on_received = received == nullptr ? &kNothing : std::get_if<State>(received);
        const auto* on_stored = stored == nullptr ? &kNothing : std::get_if<State>(stored);
        return CheckPart(part, rule, on_received->entries(), on_stored->entries(), sides);
      },
      received != nullptr ? *received : *stored);
}

}  // namespace

bool HasAnswerFields(const CollectionSchema& collection) {
  const auto& fields = collection.fields();
  return std::any_of(fields.begin(), fields.end(),
                     [](const auto& field) { return field.second.answer; });
}

absl::string_view AnswerOwner(absl::string_view element) {
  return element.substr(0, element.find(':'));
}

absl::Status CheckAnswer(const conflict::Change& change, const CollectionSchema& collection,
                         absl::string_view caller_scope, absl::string_view node) {
  if (change.scope.has_value()) {
    return absl::PermissionDeniedError("an answer cannot set the record's scope");
  }
  for (const conflict::FieldOp& op : change.ops) {
    absl::StatusOr<const FieldSpec*> spec = collection.Field(op.field);
    if (!spec.ok()) return spec.status();
    if (!(*spec)->answer) {
      return absl::PermissionDeniedError(
          absl::StrCat("field \"", op.field, "\" of \"", collection.name(),
                       "\" is not an answer field, which only the record's scope writes"));
    }
    if (std::holds_alternative<conflict::Increment>(op.operation)) continue;
    const std::vector<Value>* elements = nullptr;
    if (const auto* add = std::get_if<conflict::AddElements>(&op.operation)) {
      elements = &add->elements;
    } else if (const auto* remove = std::get_if<conflict::RemoveElements>(&op.operation)) {
      elements = &remove->elements;
    } else {
      continue;  // ValidateChange refuses what does not fit the field's kind.
    }
    for (const Value& element : *elements) {
      const auto* text = std::get_if<std::string>(&element);
      const absl::string_view owner = text == nullptr ? "" : AnswerOwner(*text);
      if (text == nullptr || !InSubtree(owner, caller_scope) || !InSubtree(owner, node)) {
        return absl::PermissionDeniedError(absl::StrCat(
            "element ", conflict::ValueToString(element), " of answer field \"", op.field,
            "\" is not the writer's own: it must name a scope within ", caller_scope,
            " (the caller) and ", node, " (this node), as \"", node, "\" or \"", node, ":...\""));
      }
    }
  }
  return absl::OkStatus();
}

absl::Status CheckAnswerFromChild(const Record& received, const Record& stored,
                                  absl::string_view child, const CollectionSchema& collection) {
  const Sides sides{received.context(), stored.context(), child};
  const conflict::RecordState& mine = stored.state();
  const conflict::RecordState& theirs = received.state();
  SANJI_RETURN_IF_ERROR(
      CheckPart("the scope", PartRule::kNone, theirs.scope.entries(), mine.scope.entries(), sides));
  SANJI_RETURN_IF_ERROR(CheckPart("the record's presence", PartRule::kNone,
                                  theirs.presence.entries(), mine.presence.entries(), sides));
  SANJI_RETURN_IF_ERROR(CheckPart("the record's deletes", PartRule::kNone, theirs.deletes.entries(),
                                  mine.deletes.entries(), sides));
  for (const auto& [key, field] : theirs.fields) {
    auto found = mine.fields.find(key);
    SANJI_RETURN_IF_ERROR(CheckField(key, RuleOf(collection, key), &field,
                                     found == mine.fields.end() ? nullptr : &found->second, sides));
  }
  for (const auto& [key, field] : mine.fields) {
    if (theirs.fields.contains(key)) continue;
    SANJI_RETURN_IF_ERROR(CheckField(key, RuleOf(collection, key), nullptr, &field, sides));
  }
  return absl::OkStatus();
}

}  // namespace sanji::authz
