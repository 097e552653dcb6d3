#include "conflict/schema.h"

#include <algorithm>
#include <cmath>
#include <optional>
#include <string>

#include "absl/container/flat_hash_set.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "conflict/status_macros.h"

namespace sanji::conflict {

namespace {

// The field kind each operation applies to, as (kind, kind) for the two
// register kinds that accept an assignment.
bool OperationFitsKind(const FieldOperation& operation, FieldKind kind) {
  switch (operation.index()) {
    case 0:  // Assign
      return kind == FieldKind::kLww || kind == FieldKind::kMv;
    case 1:  // Increment
      return kind == FieldKind::kCounter;
    case 2:  // AddElements
    case 3:  // RemoveElements
      return kind == FieldKind::kSet;
    default:  // SetStatus
      return kind == FieldKind::kStatus;
  }
}

absl::Status CheckName(absl::string_view what, absl::string_view name) {
  if (name.empty()) return absl::InvalidArgumentError(absl::StrCat(what, " name is empty"));
  if (name.front() == '@') {
    return absl::InvalidArgumentError(absl::StrCat(
        what, " name \"", name,
        "\" starts with '@', which Sanji reserves for its own names (the @status collection)"));
  }
  return absl::OkStatus();
}

// FNV-1a: small, stable across builds and machines (std::hash is not).
void Mix(uint64_t& hash, absl::string_view bytes) {
  for (unsigned char byte : bytes) {
    hash ^= byte;
    hash *= 1099511628211ULL;
  }
  hash ^= 0xff;  // separator, so ("ab","c") and ("a","bc") differ
  hash *= 1099511628211ULL;
}

}  // namespace

absl::Status CollectionSchema::AddField(std::string field_name, FieldSpec spec) {
  SANJI_RETURN_IF_ERROR(CheckName(absl::StrCat("field of \"", name_, "\":"), field_name));
  if (spec.kind == FieldKind::kStatus) {
    if (spec.status_order.empty()) {
      return absl::InvalidArgumentError(
          absl::StrCat("status field \"", field_name, "\" of \"", name_, "\" has no values"));
    }
    absl::flat_hash_set<std::string> seen;
    for (const std::string& status : spec.status_order) {
      if (!seen.insert(status).second) {
        return absl::InvalidArgumentError(absl::StrCat("status field \"", field_name, "\" of \"",
                                                       name_, "\" lists \"", status, "\" twice"));
      }
    }
  }
  const bool answerable = spec.kind == FieldKind::kCounter ||
                          (spec.kind == FieldKind::kSet && spec.value_type == ValueType::kString);
  if (spec.answer && !answerable) {
    // A register or a status is one value for everybody: one village's
    // answer would overwrite another's.
    return absl::InvalidArgumentError(
        absl::StrCat("answer field \"", field_name, "\" of \"", name_,
                     "\" must be a set of strings or a counter, each entry its writer's own"));
  }
  // Every name of every field is one field's alone: a write under it must
  // mean one field on every version.
  auto taken_by = [&](absl::string_view name) -> std::optional<std::string> {
    if (fields_.contains(name)) return std::string(name);
    if (auto it = renamed_.find(name); it != renamed_.end()) return it->second;
    return std::nullopt;
  };
  if (std::optional<std::string> other = taken_by(field_name); other.has_value()) {
    return *other == field_name
               ? absl::InvalidArgumentError(absl::StrCat(
                     "collection \"", name_, "\" declares field \"", field_name, "\" twice"))
               : absl::InvalidArgumentError(absl::StrCat("field \"", field_name, "\" of \"", name_,
                                                         "\" is a name field \"", *other,
                                                         "\" was renamed to"));
  }
  for (const std::string& renamed : spec.renamed_to) {
    SANJI_RETURN_IF_ERROR(
        CheckName(absl::StrCat("name of field \"", field_name, "\" of \"", name_, "\":"), renamed));
    std::optional<std::string> other = taken_by(renamed);
    if (!other.has_value() && renamed != field_name) {
      renamed_.emplace(renamed, field_name);
      continue;
    }
    return absl::InvalidArgumentError(absl::StrCat(
        "field \"", field_name, "\" of \"", name_, "\" is renamed to \"", renamed, "\", which ",
        other.has_value() && *other != field_name ? absl::StrCat("field \"", *other, "\" has")
                                                  : "it already has"));
  }
  fields_.emplace(field_name, std::move(spec));
  return absl::OkStatus();
}

absl::StatusOr<std::string> CollectionSchema::StoredName(absl::string_view name) const {
  if (auto it = renamed_.find(name); it != renamed_.end()) return it->second;
  SANJI_RETURN_IF_ERROR(Field(name).status());
  return std::string(name);
}

std::string CollectionSchema::ApiName(absl::string_view stored_name) const {
  auto it = fields_.find(stored_name);
  if (it == fields_.end() || it->second.renamed_to.empty()) return std::string(stored_name);
  return it->second.renamed_to.back();
}

void CollectionSchema::UseStoredNames(Change& change) const {
  if (renamed_.empty()) return;
  for (FieldOp& op : change.ops) {
    if (auto it = renamed_.find(op.field); it != renamed_.end()) op.field = it->second;
  }
}

absl::StatusOr<const FieldSpec*> CollectionSchema::Field(absl::string_view field_name) const {
  auto it = fields_.find(field_name);
  if (it == fields_.end()) {
    return absl::NotFoundError(
        absl::StrCat("collection \"", name_, "\" has no field \"", field_name, "\""));
  }
  return &it->second;
}

absl::StatusOr<uint32_t> CollectionSchema::StatusRank(absl::string_view field_name,
                                                      absl::string_view status) const {
  SANJI_ASSIGN_OR_RETURN(const FieldSpec* spec, Field(field_name));
  auto it = std::find(spec->status_order.begin(), spec->status_order.end(), status);
  if (it == spec->status_order.end()) {
    return absl::InvalidArgumentError(
        absl::StrCat("\"", status, "\" is not a status of field \"", field_name, "\" of \"", name_,
                     "\"; allowed: ", absl::StrJoin(spec->status_order, " < ")));
  }
  return static_cast<uint32_t>(it - spec->status_order.begin());
}

absl::Status CollectionSchema::ValidateChange(const Change& change) const {
  if (change.scope.has_value() && change.scope->empty()) {
    return absl::InvalidArgumentError(
        absl::StrCat("a change to \"", name_, "\" sets an empty scope"));
  }
  if (change.ops.empty() && !change.scope.has_value()) {
    return absl::InvalidArgumentError(absl::StrCat("a change to \"", name_, "\" does nothing"));
  }
  absl::flat_hash_set<absl::string_view> touched;
  for (const FieldOp& op : change.ops) {
    if (!touched.insert(op.field).second) {
      return absl::InvalidArgumentError(
          absl::StrCat("a change to \"", name_, "\" touches field \"", op.field, "\" twice"));
    }
    SANJI_RETURN_IF_ERROR(ValidateOperation(op));
  }
  return absl::OkStatus();
}

absl::Status CollectionSchema::ValidateOperation(const FieldOp& op) const {
  auto spec_or = Field(op.field);
  if (!spec_or.ok()) return absl::InvalidArgumentError(spec_or.status().message());
  const FieldSpec& spec = **spec_or;
  if (spec.deprecated) {
    return absl::InvalidArgumentError(
        absl::StrCat("field \"", op.field, "\" of \"", name_,
                     "\" is deprecated: it is no longer written (it still merges and reads "
                     "show it)"));
  }
  if (!OperationFitsKind(op.operation, spec.kind)) {
    return absl::InvalidArgumentError(
        absl::StrCat("field \"", op.field, "\" of \"", name_, "\" is a ", FieldKindName(spec.kind),
                     " field; \"", OperationName(op.operation), "\" does not apply to it"));
  }
  if (const auto* assign = std::get_if<Assign>(&op.operation)) {
    return ValidateValue(op.field, spec, assign->value);
  }
  const std::vector<Value>* elements = nullptr;
  if (const auto* add = std::get_if<AddElements>(&op.operation)) elements = &add->elements;
  if (const auto* remove = std::get_if<RemoveElements>(&op.operation)) elements = &remove->elements;
  if (elements != nullptr) {
    if (elements->empty()) {
      return absl::InvalidArgumentError(absl::StrCat("\"", OperationName(op.operation),
                                                     "\" on field \"", op.field, "\" of \"", name_,
                                                     "\" names no elements"));
    }
    for (const Value& element : *elements) {
      SANJI_RETURN_IF_ERROR(ValidateValue(op.field, spec, element));
    }
  }
  if (const auto* status = std::get_if<SetStatus>(&op.operation)) {
    return StatusRank(op.field, status->status).status();
  }
  return absl::OkStatus();
}

absl::Status CollectionSchema::ValidateValue(absl::string_view field_name, const FieldSpec& spec,
                                             const Value& value) const {
  if (TypeOf(value) != spec.value_type) {
    return absl::InvalidArgumentError(absl::StrCat(
        "field \"", field_name, "\" of \"", name_, "\" holds ", ValueTypeName(spec.value_type),
        " values, got ", ValueTypeName(TypeOf(value)), " ", ValueToString(value)));
  }
  if (ValueSize(value) > kMaxValueBytes) {
    return absl::InvalidArgumentError(absl::StrCat("value of field \"", field_name, "\" of \"",
                                                   name_, "\" is ", ValueSize(value),
                                                   " bytes; the limit is ", kMaxValueBytes));
  }
  if (const auto* text = std::get_if<std::string>(&value); text && !IsValidUtf8(*text)) {
    return absl::InvalidArgumentError(
        absl::StrCat("value of field \"", field_name, "\" of \"", name_, "\" is not valid UTF-8"));
  }
  if (const auto* number = std::get_if<double>(&value); number && std::isnan(*number)) {
    return absl::InvalidArgumentError(
        absl::StrCat("field \"", field_name, "\" of \"", name_, "\" got NaN"));
  }
  return absl::OkStatus();
}

absl::Status Schema::AddCollection(CollectionSchema collection) {
  SANJI_RETURN_IF_ERROR(CheckName("collection", collection.name()));
  return Insert(std::move(collection));
}

absl::Status Schema::AddSystemCollection(CollectionSchema collection) {
  if (collection.name().size() < 2 || collection.name().front() != '@') {
    return absl::InvalidArgumentError(
        absl::StrCat("system collection name \"", collection.name(), "\" must be '@' and a name"));
  }
  return Insert(std::move(collection));
}

absl::Status Schema::Insert(CollectionSchema collection) {
  std::string name = collection.name();
  if (!collections_.emplace(name, std::move(collection)).second) {
    return absl::InvalidArgumentError(absl::StrCat("collection \"", name, "\" declared twice"));
  }
  return absl::OkStatus();
}

absl::StatusOr<const CollectionSchema*> Schema::Collection(absl::string_view name) const {
  auto it = collections_.find(name);
  if (it == collections_.end()) {
    return absl::NotFoundError(absl::StrCat("no collection \"", name, "\" in the schema"));
  }
  return &it->second;
}

const CollectionSchema& Schema::CollectionOrUnknown(absl::string_view name) const {
  auto it = collections_.find(name);
  if (it != collections_.end()) return it->second;
  static const CollectionSchema* const kUnknown =
      new CollectionSchema("(a collection this node's schema does not name)");
  return *kUnknown;
}

uint64_t Schema::Fingerprint() const {
  // Every list is preceded by its length, so no name can pass for another
  // part of the schema (a status value for the next field's name).
  uint64_t hash = 14695981039346656037ULL;
  Mix(hash, absl::StrCat(collections_.size()));
  for (const auto& [collection_name, collection] : collections_) {
    Mix(hash, collection_name);
    Mix(hash, absl::StrCat(collection.fields().size()));
    for (const auto& [field_name, spec] : collection.fields()) {
      Mix(hash, field_name);
      Mix(hash, FieldKindName(spec.kind));
      Mix(hash, ValueTypeName(spec.value_type));
      Mix(hash, absl::StrCat(spec.status_order.size()));
      for (const std::string& status : spec.status_order) Mix(hash, status);
    }
  }
  return hash;
}

}  // namespace sanji::conflict
