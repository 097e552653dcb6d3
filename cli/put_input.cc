#include "cli/put_input.h"

#include <utility>

#include "absl/container/btree_map.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "conflict/status_macros.h"
#include "conflict/value.h"

namespace sanji::cli {
namespace {

using Case = v1::FieldOperation::OpCase;

struct Assignment {
  std::string field;
  std::string value;
};

absl::StatusOr<Assignment> Split(absl::string_view text, absl::string_view flag) {
  const size_t equals = text.find('=');
  if (equals == 0 || equals == absl::string_view::npos) {
    return absl::InvalidArgumentError(absl::StrCat(flag, " \"", text, "\" is not FIELD=VALUE"));
  }
  if (!conflict::IsValidUtf8(text)) {
    // Not echoed: the bytes would reach the terminal as they are.
    return absl::InvalidArgumentError(absl::StrCat(
        flag, " of field ",
        conflict::IsValidUtf8(text.substr(0, equals)) ? text.substr(0, equals)
                                                      : "(its name is not UTF-8 either)",
        " is not UTF-8 text; check the encoding of the terminal or the file it "
        "came from"));
  }
  return Assignment{std::string(text.substr(0, equals)), std::string(text.substr(equals + 1))};
}

// "lww of int", "counter", "status (open < assigned < closed)".
std::string Describe(const conflict::FieldSpec& spec) {
  const absl::string_view kind = conflict::FieldKindName(spec.kind);
  switch (spec.kind) {
    case conflict::FieldKind::kCounter:
      return std::string(kind);
    case conflict::FieldKind::kStatus:
      return absl::StrCat(kind, " (", absl::StrJoin(spec.status_order, " < "), ")");
    default:
      return absl::StrCat(kind, " of ", conflict::ValueTypeName(spec.value_type));
  }
}

absl::Status DoesNotFit(const Assignment& in, const conflict::FieldSpec& spec,
                        absl::string_view takes) {
  return absl::InvalidArgumentError(absl::StrCat("field ", in.field, " (", Describe(spec),
                                                 ") takes ", takes, ": \"", in.value,
                                                 "\" is not one"));
}

absl::StatusOr<v1::Value> ParseValue(const Assignment& in, const conflict::FieldSpec& spec) {
  v1::Value value;
  switch (spec.value_type) {
    case conflict::ValueType::kString:
      value.set_text(in.value);
      return value;
    case conflict::ValueType::kInt: {
      int64_t integer = 0;
      if (!absl::SimpleAtoi(in.value, &integer)) return DoesNotFit(in, spec, "an integer");
      value.set_integer(integer);
      return value;
    }
    case conflict::ValueType::kDouble: {
      double real = 0;
      if (!absl::SimpleAtod(in.value, &real)) return DoesNotFit(in, spec, "a number");
      value.set_real(real);
      return value;
    }
    case conflict::ValueType::kBool: {
      bool flag = false;
      if (!absl::SimpleAtob(in.value, &flag)) return DoesNotFit(in, spec, "true or false");
      value.set_flag(flag);
      return value;
    }
  }
  return DoesNotFit(in, spec, "a value");
}

// The operations so far, by field, with the flag that asked for each.
class Operations {
 public:
  explicit Operations(const conflict::CollectionSchema& collection) : collection_(collection) {}

  absl::Status Assign(absl::string_view text) {
    SANJI_ASSIGN_OR_RETURN(const Assignment in, Split(text, "assignment"));
    SANJI_ASSIGN_OR_RETURN(const conflict::FieldSpec* spec, Spec(in.field));
    switch (spec->kind) {
      case conflict::FieldKind::kLww:
      case conflict::FieldKind::kMv: {
        SANJI_ASSIGN_OR_RETURN(v1::FieldOperation * op, Start(in.field));
        SANJI_ASSIGN_OR_RETURN(*op->mutable_assign(), ParseValue(in, *spec));
        return absl::OkStatus();
      }
      case conflict::FieldKind::kStatus:
        return Status(in, *spec);
      case conflict::FieldKind::kCounter:
        return UseInstead(in.field, *spec, absl::StrCat("--incr ", in.field, "=N"));
      case conflict::FieldKind::kSet:
        return UseInstead(
            in.field, *spec,
            absl::StrCat("--add ", in.field, "=VALUE or --remove ", in.field, "=VALUE"));
    }
    return absl::OkStatus();
  }

  absl::Status Increment(absl::string_view text) {
    SANJI_ASSIGN_OR_RETURN(const Assignment in, Split(text, "--incr"));
    SANJI_ASSIGN_OR_RETURN(const conflict::FieldSpec* spec,
                           SpecOfKind(in.field, conflict::FieldKind::kCounter, "--incr"));
    int64_t delta = 0;
    if (!absl::SimpleAtoi(in.value, &delta)) return DoesNotFit(in, *spec, "an integer");
    SANJI_ASSIGN_OR_RETURN(v1::FieldOperation * op, Start(in.field));
    op->set_increment(delta);
    return absl::OkStatus();
  }

  // --add and --remove: elements of one field accumulate in one operation.
  absl::Status Element(absl::string_view text, Case op_case, absl::string_view flag) {
    SANJI_ASSIGN_OR_RETURN(const Assignment in, Split(text, flag));
    SANJI_ASSIGN_OR_RETURN(const conflict::FieldSpec* spec,
                           SpecOfKind(in.field, conflict::FieldKind::kSet, flag));
    SANJI_ASSIGN_OR_RETURN(v1::Value value, ParseValue(in, *spec));
    v1::FieldOperation& op = ops_[in.field];
    if (op.op_case() != Case::OP_NOT_SET && op.op_case() != op_case) return Twice(in.field);
    op.set_field(in.field);
    v1::ValueList* list = op_case == Case::kAdd ? op.mutable_add() : op.mutable_remove();
    *list->add_values() = std::move(value);
    return absl::OkStatus();
  }

  absl::Status SetStatus(absl::string_view text) {
    SANJI_ASSIGN_OR_RETURN(const Assignment in, Split(text, "--status"));
    SANJI_ASSIGN_OR_RETURN(const conflict::FieldSpec* spec,
                           SpecOfKind(in.field, conflict::FieldKind::kStatus, "--status"));
    return Status(in, *spec);
  }

  std::vector<v1::FieldOperation> Take() && {
    std::vector<v1::FieldOperation> ops;
    for (auto& [field, op] : ops_) ops.push_back(std::move(op));
    return ops;
  }

 private:
  absl::StatusOr<const conflict::FieldSpec*> Spec(const std::string& field) const {
    // A field may be named by any of its names (a rename); the API takes
    // them all.
    absl::StatusOr<std::string> stored = collection_.StoredName(field);
    absl::StatusOr<const conflict::FieldSpec*> spec =
        stored.ok() ? collection_.Field(*stored) : stored.status();
    // An unknown field is a mistake on the command line, as the API has it.
    if (!spec.ok()) return absl::InvalidArgumentError(spec.status().message());
    return spec;
  }

  absl::StatusOr<const conflict::FieldSpec*> SpecOfKind(const std::string& field,
                                                        conflict::FieldKind kind,
                                                        absl::string_view flag) const {
    SANJI_ASSIGN_OR_RETURN(const conflict::FieldSpec* spec, Spec(field));
    if (spec->kind == kind) return spec;
    return absl::InvalidArgumentError(absl::StrCat(flag, " ", field, ": field ", field, " is ",
                                                   Describe(*spec), ", not ",
                                                   conflict::FieldKindName(kind)));
  }

  absl::Status Status(const Assignment& in, const conflict::FieldSpec& spec) {
    if (absl::Status known = collection_.StatusRank(in.field, in.value).status(); !known.ok()) {
      return DoesNotFit(in, spec, "a value of its order");
    }
    SANJI_ASSIGN_OR_RETURN(v1::FieldOperation * op, Start(in.field));
    op->set_set_status(in.value);
    return absl::OkStatus();
  }

  // The new operation on `field`. Errors: InvalidArgument if it has one.
  absl::StatusOr<v1::FieldOperation*> Start(const std::string& field) {
    v1::FieldOperation& op = ops_[field];
    if (op.op_case() != Case::OP_NOT_SET) return Twice(field);
    op.set_field(field);
    return &op;
  }

  static absl::Status Twice(absl::string_view field) {
    return absl::InvalidArgumentError(
        absl::StrCat("field ", field, " is written twice: a put takes one operation per field"));
  }

  static absl::Status UseInstead(absl::string_view field, const conflict::FieldSpec& spec,
                                 absl::string_view instead) {
    return absl::InvalidArgumentError(absl::StrCat("field ", field, " is ", Describe(spec),
                                                   ": write ", instead, " instead of ", field,
                                                   "=VALUE"));
  }

  const conflict::CollectionSchema& collection_;
  absl::btree_map<std::string, v1::FieldOperation> ops_;
};

}  // namespace

absl::StatusOr<std::vector<v1::FieldOperation>> OperationsFromInput(
    const conflict::CollectionSchema& collection, const PutInput& input) {
  Operations ops(collection);
  for (const std::string& text : input.assign) SANJI_RETURN_IF_ERROR(ops.Assign(text));
  for (const std::string& text : input.increment) SANJI_RETURN_IF_ERROR(ops.Increment(text));
  for (const std::string& text : input.add) {
    SANJI_RETURN_IF_ERROR(ops.Element(text, Case::kAdd, "--add"));
  }
  for (const std::string& text : input.remove) {
    SANJI_RETURN_IF_ERROR(ops.Element(text, Case::kRemove, "--remove"));
  }
  for (const std::string& text : input.set_status) SANJI_RETURN_IF_ERROR(ops.SetStatus(text));
  return std::move(ops).Take();
}

}  // namespace sanji::cli
