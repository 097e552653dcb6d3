#include "node/record_view.h"

#include <algorithm>
#include <cassert>
#include <cstdint>
#include <optional>
#include <string>
#include <type_traits>
#include <utility>
#include <variant>
#include <vector>

#include "absl/container/btree_map.h"
#include "absl/container/btree_set.h"
#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "codec/vector_codec.h"
#include "conflict/causal_counter.h"
#include "conflict/or_set.h"
#include "conflict/status_macros.h"
#include "conflict/status_register.h"
#include "conflict/value_register.h"
#include "record.pb.h"

namespace sanji::node {

namespace {

// Errors name the bad element as where[i].
absl::StatusOr<std::vector<conflict::Value>> ValuesFromApi(const v1::ValueList& list,
                                                           absl::string_view where) {
  std::vector<conflict::Value> values;
  values.reserve(list.values_size());
  for (int i = 0; i < list.values_size(); ++i) {
    SANJI_ASSIGN_OR_RETURN(conflict::Value value,
                           ValueFromApi(list.values(i), absl::StrCat(where, "[", i, "]")));
    values.push_back(std::move(value));
  }
  return values;
}

absl::StatusOr<conflict::FieldOperation> OperationFromApi(const v1::FieldOperation& op,
                                                          absl::string_view where) {
  switch (op.op_case()) {
    case v1::FieldOperation::kAssign: {
      SANJI_ASSIGN_OR_RETURN(conflict::Value value,
                             ValueFromApi(op.assign(), absl::StrCat(where, ".assign")));
      return conflict::Assign{std::move(value)};
    }
    case v1::FieldOperation::kIncrement:
      return conflict::Increment{op.increment()};
    case v1::FieldOperation::kAdd: {
      SANJI_ASSIGN_OR_RETURN(auto elements,
                             ValuesFromApi(op.add(), absl::StrCat(where, ".add.values")));
      return conflict::AddElements{std::move(elements)};
    }
    case v1::FieldOperation::kRemove: {
      SANJI_ASSIGN_OR_RETURN(auto elements,
                             ValuesFromApi(op.remove(), absl::StrCat(where, ".remove.values")));
      return conflict::RemoveElements{std::move(elements)};
    }
    case v1::FieldOperation::kSetStatus:
      return conflict::SetStatus{op.set_status()};
    case v1::FieldOperation::OP_NOT_SET:
      break;
  }
  return absl::InvalidArgumentError(absl::StrCat(
      where, " sets no operation; set one of assign, increment, add, remove, set_status"));
}

void ValuesToApi(const std::vector<conflict::Value>& values, v1::ValueList* out) {
  for (const conflict::Value& value : values) ValueToApi(value, out->add_values());
}

// Siblings of one value (written at two nodes that did not see each other)
// read as that value once: there is nothing to choose between.
void RegisterValuesToApi(const conflict::ValueRegister& values, v1::ValueList* out) {
  std::vector<conflict::Value> distinct;
  for (const auto& entry : values.entries()) {
    if (std::find(distinct.begin(), distinct.end(), entry.payload.value) == distinct.end()) {
      distinct.push_back(entry.payload.value);
    }
  }
  ValuesToApi(distinct, out);
}

// Reads `state` as a field of `spec`'s kind. REQUIRES: they match, and a
// status rank is within the order.
void FieldToApi(const conflict::FieldSpec& spec, const conflict::FieldState& state,
                v1::FieldValue* out) {
  switch (spec.kind) {
    case conflict::FieldKind::kLww:
      ValueToApi(std::get<conflict::ValueRegister>(state).Winner().payload.value,
                 out->mutable_lww());
      return;
    case conflict::FieldKind::kMv:
      RegisterValuesToApi(std::get<conflict::ValueRegister>(state), out->mutable_mv());
      return;
    case conflict::FieldKind::kCounter:
      out->set_counter(std::get<conflict::CausalCounter>(state).Total());
      return;
    case conflict::FieldKind::kSet:
      ValuesToApi(std::get<conflict::OrSet>(state).Elements(), out->mutable_set());
      return;
    case conflict::FieldKind::kStatus: {
      const uint32_t rank = std::get<conflict::StatusRegister>(state).Rank().value_or(0);
      assert(rank < spec.status_order.size());
      out->set_status(spec.status_order[rank]);
      return;
    }
  }
}

// Reads `state` by the kind of state it holds, for a field the schema does
// not describe.
void UnknownFieldToApi(absl::string_view name, v1::UnknownField::Reason reason,
                       const conflict::FieldState& state, v1::UnknownField* out) {
  out->set_name(std::string(name));
  out->set_reason(reason);
  out->set_state_kind(std::string(conflict::StateKindName(conflict::StateKindOf(state))));
  if (const auto* values = std::get_if<conflict::ValueRegister>(&state)) {
    RegisterValuesToApi(*values, out->mutable_values());
  } else if (const auto* counter = std::get_if<conflict::CausalCounter>(&state)) {
    out->set_counter(counter->Total());
  } else if (const auto* set = std::get_if<conflict::OrSet>(&state)) {
    ValuesToApi(set->Elements(), out->mutable_values());
  } else {
    out->set_status_rank(std::get<conflict::StatusRegister>(state).Rank().value_or(0));
  }
}

}  // namespace

absl::StatusOr<conflict::Value> ValueFromApi(const v1::Value& value, absl::string_view where) {
  switch (value.kind_case()) {
    case v1::Value::kText:
      return conflict::Value(value.text());
    case v1::Value::kInteger:
      return conflict::Value(value.integer());
    case v1::Value::kReal:
      return conflict::Value(value.real());
    case v1::Value::kFlag:
      return conflict::Value(value.flag());
    case v1::Value::KIND_NOT_SET:
      break;
  }
  return absl::InvalidArgumentError(
      absl::StrCat(where, " is a Value with nothing set; set one of text, integer, real, flag"));
}

void ValueToApi(const conflict::Value& value, v1::Value* out) {
  std::visit(
      [out](const auto& held) {
        using T = std::decay_t<decltype(held)>;
        if constexpr (std::is_same_v<T, std::string>) out->set_text(held);
        if constexpr (std::is_same_v<T, int64_t>) out->set_integer(held);
        if constexpr (std::is_same_v<T, double>) out->set_real(held);
        if constexpr (std::is_same_v<T, bool>) out->set_flag(held);
      },
      value);
}

absl::StatusOr<conflict::Change> ChangeFromApi(const v1::PutRequest& request) {
  conflict::Change change;
  if (request.has_scope()) change.scope = request.scope();
  change.ops.reserve(request.ops_size());
  for (int i = 0; i < request.ops_size(); ++i) {
    const v1::FieldOperation& op = request.ops(i);
    if (op.field().empty()) {
      return absl::InvalidArgumentError(absl::StrCat("ops[", i, "].field is empty"));
    }
    const std::string where = absl::StrCat("ops[", i, "] (field \"", op.field(), "\")");
    SANJI_ASSIGN_OR_RETURN(conflict::FieldOperation operation, OperationFromApi(op, where));
    change.ops.push_back(conflict::FieldOp{op.field(), std::move(operation)});
  }
  return change;
}

void RecordToApi(const conflict::CollectionSchema& schema, absl::string_view collection,
                 absl::string_view key, const conflict::Record& record, v1::Record* out) {
  out->set_collection(std::string(collection));
  out->set_key(std::string(key));
  out->set_scope(record.scope().value_or(""));
  out->set_deleted(!record.alive());
  auto& fields = *out->mutable_fields();
  for (const auto& [key, state] : record.state().fields) {
    // Sanji's own fields (the authors) are read through ChangesToApi.
    if (absl::StartsWith(key.name, "@")) continue;
    auto spec = schema.Field(key.name);
    if (!spec.ok()) {
      UnknownFieldToApi(key.name, v1::UnknownField::NOT_IN_SCHEMA, state,
                        out->add_unknown_fields());
    } else if (conflict::StateKindOf((*spec)->kind) != key.kind) {
      UnknownFieldToApi(key.name, v1::UnknownField::KIND_CLASH, state, out->add_unknown_fields());
    } else if (key.kind == conflict::StateKind::kStatus &&
               std::get<conflict::StatusRegister>(state).Rank().value_or(0) >=
                   (*spec)->status_order.size()) {
      UnknownFieldToApi(key.name, v1::UnknownField::STATUS_BEYOND_ORDER, state,
                        out->add_unknown_fields());
    } else {
      // Under its current name, from the spec already found (a rename).
      const std::string& name = (*spec)->renamed_to.empty() ? key.name : (*spec)->renamed_to.back();
      FieldToApi(**spec, state, &fields[name]);
    }
  }
  for (const auto& [origin, counter] : record.context().entries()) {
    DotToApi(conflict::Dot{origin, counter}, out->add_version());
  }
  TimestampToApi(record.NewestTimestamp(), out->mutable_updated());
}

void ChangesToApi(const conflict::Record& record, v1::Record* out) {
  struct Seen {
    std::optional<conflict::HlcTimestamp> time;
    absl::btree_set<std::string> fields;
  };
  absl::btree_map<conflict::Dot, Seen> changes;
  // Entries of `field`: registers and the presence and delete kernels keep a
  // time, counters, sets and status registers do not.
  const auto add = [&](absl::string_view field, const auto& entries) {
    for (const auto& entry : entries) {
      Seen& seen = changes[entry.dot];
      if (!field.empty()) seen.fields.emplace(field);
      std::optional<conflict::HlcTimestamp> time;
      if constexpr (std::is_same_v<std::decay_t<decltype(entry.payload)>, conflict::HlcTimestamp>) {
        time = entry.payload;
      } else if constexpr (requires { entry.payload.timestamp; }) {
        time = entry.payload.timestamp;
      }
      if (time.has_value() && (!seen.time.has_value() || *seen.time < *time)) seen.time = time;
    }
  };
  const conflict::RecordState& state = record.state();
  add(conflict::Record::kScopeField, state.scope.entries());
  add("", state.presence.entries());
  add("@deleted", state.deletes.entries());
  for (const auto& [key, field] : state.fields) {
    if (key.name == conflict::Record::kAuthorsField) continue;
    std::visit([&](const auto& typed) { add(key.name, typed.entries()); }, field);
  }
  std::vector<std::pair<conflict::Dot, Seen>> ordered(changes.begin(), changes.end());
  std::stable_sort(ordered.begin(), ordered.end(), [](const auto& a, const auto& b) {
    return a.second.time.value_or(conflict::HlcTimestamp{}) <
           b.second.time.value_or(conflict::HlcTimestamp{});
  });
  for (const auto& [dot, seen] : ordered) {
    v1::RecordChange* change = out->add_changes();
    DotToApi(dot, change->mutable_change());
    if (seen.time.has_value()) TimestampToApi(*seen.time, change->mutable_time());
    change->set_author(record.AuthorOf(dot).value_or(""));
    for (const std::string& field : seen.fields) change->add_fields(field);
  }
}

void DotToApi(const conflict::Dot& dot, v1::ChangeId* out) {
  out->set_node_id(dot.origin.node_id.str());
  out->set_incarnation(dot.origin.incarnation);
  out->set_counter(dot.counter);
}

void TimestampToApi(const conflict::HlcTimestamp& timestamp, v1::HybridTimestamp* out) {
  out->set_physical_micros(timestamp.physical_micros);
  out->set_logical(timestamp.logical);
}

std::string EncodeCursor(const conflict::VersionVector& cursor) {
  v1::VersionVector message;
  codec::EncodeVersionVector(cursor, &message);
  return message.SerializeAsString();
}

absl::StatusOr<conflict::VersionVector> DecodeCursor(absl::string_view bytes) {
  v1::VersionVector message;
  if (!message.ParseFromArray(bytes.data(), static_cast<int>(bytes.size()))) {
    return absl::InvalidArgumentError("cursor is not a watch cursor: it does not parse");
  }
  auto cursor = codec::DecodeVersionVector(message);
  if (!cursor.ok()) {
    return absl::InvalidArgumentError(
        absl::StrCat("cursor is not a watch cursor: ", cursor.status().message()));
  }
  return cursor;
}

namespace {

// A token's parts, each as a 4-byte big-endian length and its bytes.
void AppendPart(absl::string_view part, std::string& out) {
  const auto length = static_cast<uint32_t>(part.size());
  for (int shift = 24; shift >= 0; shift -= 8) out.push_back(static_cast<char>(length >> shift));
  out.append(part.data(), part.size());
}

std::optional<absl::string_view> ConsumePart(absl::string_view& in) {
  if (in.size() < 4) return std::nullopt;
  uint32_t length = 0;
  for (int i = 0; i < 4; ++i) length = (length << 8) | static_cast<uint8_t>(in[i]);
  in.remove_prefix(4);
  if (in.size() < length) return std::nullopt;
  const absl::string_view part = in.substr(0, length);
  in.remove_prefix(length);
  return part;
}

}  // namespace

std::string EncodePageToken(absl::string_view collection, absl::string_view key_prefix,
                            absl::string_view last_key) {
  std::string bytes;
  AppendPart(collection, bytes);
  AppendPart(key_prefix, bytes);
  AppendPart(last_key, bytes);
  return absl::WebSafeBase64Escape(bytes);
}

absl::StatusOr<std::string> DecodePageToken(absl::string_view token, absl::string_view collection,
                                            absl::string_view key_prefix) {
  std::string bytes;
  std::optional<absl::string_view> token_collection, token_prefix, last_key;
  absl::string_view in;
  if (absl::WebSafeBase64Unescape(token, &bytes)) {
    in = bytes;
    token_collection = ConsumePart(in);
    token_prefix = ConsumePart(in);
    last_key = ConsumePart(in);
  }
  if (!last_key.has_value() || !in.empty()) {
    return absl::InvalidArgumentError(
        "ListRequest.page_token is not a token a List response gave; leave it empty to start "
        "from the first page");
  }
  if (*token_collection != collection || *token_prefix != key_prefix) {
    return absl::InvalidArgumentError(
        absl::StrCat("ListRequest.page_token continues the listing of collection \"",
                     *token_collection, "\", key prefix \"", *token_prefix,
                     "\", not this one of \"", collection, "\", \"", key_prefix, "\""));
  }
  return std::string(*last_key);
}

}  // namespace sanji::node
