// Schema: the collections of a deployment, their fields, each field's kind and
// value type, and the ordered values of status fields.
//
// The schema is what a local write is checked against before it touches a
// record: unknown collection or field, an operation that does not fit the
// field's kind, a value of the wrong type or size, an unknown status. Every
// error names the collection, the field and the offending value.
//
// Thread-safety: immutable once built; const methods may run concurrently.
#ifndef SANJI_CONFLICT_SCHEMA_H_
#define SANJI_CONFLICT_SCHEMA_H_

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "absl/container/btree_map.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "conflict/change.h"
#include "conflict/field.h"
#include "conflict/value.h"

namespace sanji::conflict {

// The largest value (string bytes) a field or set element may hold.
inline constexpr size_t kMaxValueBytes = 64 * 1024;

struct FieldSpec {
  FieldKind kind = FieldKind::kLww;
  // lww, mv: the value's type; set: the elements' type. Unused otherwise.
  ValueType value_type = ValueType::kString;
  // status: the values in order, first is the start.
  std::vector<std::string> status_order;
  // No longer written (docs/SCHEMA.md, "Rules of change"): a local write of
  // the field is refused, while received changes still merge and reads
  // still show it. Not part of the fingerprint: it changes no state.
  bool deprecated = false;
  // Written by nodes below a record's scope, each only its own entries
  // (authz/answer.h): a set of strings whose elements name their owner, or a
  // counter. Not part of the fingerprint: it widens who may write, not the
  // state.
  bool answer = false;
  // The names the field was renamed to, oldest first; the last is the name
  // applications read it under. It is stored and travels under its first
  // name for good (its key in CollectionSchema::fields()), so nodes of every
  // version read and write the same field, and applications may write it
  // under any of its names (docs/SCHEMA.md, "Renames keep identity"). Not
  // part of the fingerprint: it changes no state.
  std::vector<std::string> renamed_to = {};

  static FieldSpec Lww(ValueType type = ValueType::kString) { return {FieldKind::kLww, type, {}}; }
  static FieldSpec Mv(ValueType type = ValueType::kString) { return {FieldKind::kMv, type, {}}; }
  static FieldSpec Counter() { return {FieldKind::kCounter, ValueType::kInt, {}}; }
  static FieldSpec Set(ValueType type = ValueType::kString) { return {FieldKind::kSet, type, {}}; }
  static FieldSpec Status(std::vector<std::string> order) {
    return {FieldKind::kStatus, ValueType::kString, std::move(order)};
  }
};

class CollectionSchema {
 public:
  explicit CollectionSchema(std::string name) : name_(std::move(name)) {}

  // Errors: InvalidArgument for a duplicate or malformed name (empty, or
  // starting with '@', which Sanji reserves), a status field with no values
  // or a repeated value, or an answer field that is not a set of strings or
  // a counter.
  absl::Status AddField(std::string field_name, FieldSpec spec);

  // Errors: NotFound naming the collection and the field.
  absl::StatusOr<const FieldSpec*> Field(absl::string_view field_name) const;

  // Renames (FieldSpec::renamed_to). The stored name of the field an
  // application names `name` (the stored name, or a name it was renamed
  // to). Errors: NotFound as Field().
  absl::StatusOr<std::string> StoredName(absl::string_view name) const;
  // The name applications read the field stored as `stored_name` under: its
  // last rename, or `stored_name` itself (also for a field not in this
  // schema).
  std::string ApiName(absl::string_view stored_name) const;
  // Rewrites the field of every operation of `change` named by a rename to
  // the field's stored name (at the API, before anything else reads the
  // change); other names are left for ValidateChange to judge.
  void UseStoredNames(Change& change) const;

  // Checks every operation of `change` against this collection (see the file
  // comment), and refuses one that writes a deprecated field. Does not look
  // at the record's current state.
  absl::Status ValidateChange(const Change& change) const;

  // The rank of `status` in the order of `field_name`. Errors as Field(), or
  // InvalidArgument listing the allowed values.
  absl::StatusOr<uint32_t> StatusRank(absl::string_view field_name, absl::string_view status) const;

  const std::string& name() const { return name_; }
  const absl::btree_map<std::string, FieldSpec>& fields() const { return fields_; }

 private:
  absl::Status ValidateOperation(const FieldOp& op) const;
  absl::Status ValidateValue(absl::string_view field_name, const FieldSpec& spec,
                             const Value& value) const;

  std::string name_;
  absl::btree_map<std::string, FieldSpec> fields_;
  // Every name a field was renamed to, with the field's stored name.
  absl::btree_map<std::string, std::string> renamed_;
};

class Schema {
 public:
  // A collection of the deployment's schema. Errors: InvalidArgument for an
  // empty or duplicate collection name, or one starting with '@', which Sanji
  // reserves for its own collections (message naming the collection).
  absl::Status AddCollection(CollectionSchema collection);

  // One of Sanji's own collections (the node status, `@status`), which every
  // node adds to the schema it builds, so fingerprints still match.
  // Errors: InvalidArgument for a name that does not start with '@' or has
  // nothing after it, or a duplicate.
  absl::Status AddSystemCollection(CollectionSchema collection);

  // Errors: NotFound naming the collection.
  absl::StatusOr<const CollectionSchema*> Collection(absl::string_view name) const;

  // The collection `name`, or, for a name this schema does not hold (a newer
  // schema's collection), one with no fields, shared by every such name:
  // records received for it are kept and relayed as they came, every field
  // unknown (Record::CheckAgainst).
  const CollectionSchema& CollectionOrUnknown(absl::string_view name) const;

  // A stable 64-bit digest of every collection, field, kind, type and status
  // order. Protocol-1 peers replicate only if their fingerprints match;
  // from protocol 2 on, nodes of different schemas sync (docs/SCHEMA.md).
  uint64_t Fingerprint() const;

  const absl::btree_map<std::string, CollectionSchema>& collections() const { return collections_; }

 private:
  absl::Status Insert(CollectionSchema collection);

  absl::btree_map<std::string, CollectionSchema> collections_;
};

}  // namespace sanji::conflict

#endif  // SANJI_CONFLICT_SCHEMA_H_
