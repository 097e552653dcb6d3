#include "codec/record_codec.h"

#include <algorithm>
#include <vector>

#include "absl/strings/str_cat.h"
#include "codec/record_writer.h"
#include "codec/vector_codec.h"
#include "conflict/status_macros.h"
#include "google/protobuf/arena.h"

namespace sanji::codec {

namespace {

using conflict::CausalCounter;
using conflict::Dot;
using conflict::FieldState;
using conflict::HlcTimestamp;
using conflict::Origin;
using conflict::OrSet;
using conflict::StatusRegister;
using conflict::TimestampedValue;
using conflict::Value;
using conflict::ValueRegister;
using conflict::VersionVector;

// The record's context covers every dot in it, so its origins are the
// record's origin table, already sorted.
uint32_t OriginIndex(const VersionVector& context, const Origin& origin) {
  auto it = std::lower_bound(context.entries().begin(), context.entries().end(), origin,
                             [](const auto& entry, const Origin& o) { return entry.first < o; });
  return static_cast<uint32_t>(it - context.entries().begin());
}

void EncodeTimestamp(const HlcTimestamp& timestamp, v1::RecordEntry* out) {
  out->set_physical_micros(timestamp.physical_micros);
  out->set_logical(timestamp.logical);
}

void EncodeValue(const Value& value, v1::RecordEntry* out) {
  struct Writer {
    v1::RecordEntry* out;
    void operator()(const std::string& text) const { out->set_text(text); }
    void operator()(int64_t integer) const { out->set_integer(integer); }
    void operator()(double real) const { out->set_real(real); }
    void operator()(bool flag) const { out->set_flag(flag); }
  };
  std::visit(Writer{out}, value);
}

void EncodePayload(const TimestampedValue& payload, v1::RecordEntry* out) {
  EncodeTimestamp(payload.timestamp, out);
  EncodeValue(payload.value, out);
}
void EncodePayload(const HlcTimestamp& payload, v1::RecordEntry* out) {
  EncodeTimestamp(payload, out);
}
void EncodePayload(const Value& payload, v1::RecordEntry* out) { EncodeValue(payload, out); }
void EncodePayload(int64_t payload, v1::RecordEntry* out) { out->set_number(payload); }
void EncodePayload(uint32_t payload, v1::RecordEntry* out) { out->set_number(payload); }

template <typename Entries>
void EncodeEntries(const VersionVector& context, const Entries& entries,
                   google::protobuf::RepeatedPtrField<v1::RecordEntry>* out) {
  out->Reserve(static_cast<int>(entries.size()));
  for (const auto& entry : entries) {
    v1::RecordEntry* encoded = out->Add();
    encoded->set_origin(OriginIndex(context, entry.dot.origin));
    encoded->set_counter(entry.dot.counter);
    EncodePayload(entry.payload, encoded);
  }
}

// conflict::StateKind is RecordField.StateKind minus one.
v1::RecordField::StateKind WireKindOf(const FieldState& state) {
  return static_cast<v1::RecordField::StateKind>(static_cast<int>(conflict::StateKindOf(state)) +
                                                 1);
}

// Most records of the example county encode to well under this.
constexpr size_t kTypicalRecordBytes = 512;

// A record's message is short-lived and made of many small strings: parsing
// it in an arena whose first block is on the stack calls malloc once for the
// message, instead of once per entry.
class ScratchArena {
 public:
  ScratchArena() : arena_(Options(block_, sizeof(block_))) {}
  template <typename Message>
  Message* Create() {
    return google::protobuf::Arena::CreateMessage<Message>(&arena_);
  }

 private:
  static google::protobuf::ArenaOptions Options(char* block, size_t size) {
    google::protobuf::ArenaOptions options;
    options.initial_block = block;
    options.initial_block_size = size;
    return options;
  }

  alignas(8) char block_[8192];
  google::protobuf::Arena arena_;
};

// ---- decoding ----

HlcTimestamp DecodeTimestamp(const v1::RecordEntry& entry) {
  return HlcTimestamp{entry.physical_micros(), entry.logical()};
}

absl::StatusOr<Value> DecodeValue(const v1::RecordEntry& entry) {
  switch (entry.value_case()) {
    case v1::RecordEntry::kText:
      return Value(entry.text());
    case v1::RecordEntry::kInteger:
      return Value(entry.integer());
    case v1::RecordEntry::kReal:
      return Value(entry.real());
    case v1::RecordEntry::kFlag:
      return Value(entry.flag());
    case v1::RecordEntry::VALUE_NOT_SET:
      break;
  }
  return absl::DataLossError("entry has no value");
}

absl::StatusOr<TimestampedValue> DecodeRegisterPayload(const v1::RecordEntry& entry) {
  SANJI_ASSIGN_OR_RETURN(Value value, DecodeValue(entry));
  return TimestampedValue{DecodeTimestamp(entry), std::move(value)};
}
absl::StatusOr<HlcTimestamp> DecodeTimestampPayload(const v1::RecordEntry& entry) {
  return DecodeTimestamp(entry);
}
absl::StatusOr<int64_t> DecodeCounterPayload(const v1::RecordEntry& entry) {
  return entry.number();
}
absl::StatusOr<uint32_t> DecodeRankPayload(const v1::RecordEntry& entry) {
  if (entry.number() < 0 || entry.number() > UINT32_MAX) {
    return absl::DataLossError(absl::StrCat("status rank ", entry.number(), " out of range"));
  }
  return static_cast<uint32_t>(entry.number());
}

// Decodes `entries` into `target` (anything with InsertDecoded or Insert).
template <typename Target, typename PayloadDecoder>
absl::Status DecodeEntries(const std::vector<Origin>& origins,
                           const google::protobuf::RepeatedPtrField<v1::RecordEntry>& entries,
                           absl::string_view what, PayloadDecoder decode, Target& target) {
  for (const v1::RecordEntry& entry : entries) {
    if (entry.origin() >= origins.size()) {
      return absl::DataLossError(absl::StrCat(what, ": origin index ", entry.origin(),
                                              " beyond the record's ", origins.size(), " origins"));
    }
    auto payload = decode(entry);
    if (!payload.ok()) {
      return absl::DataLossError(absl::StrCat(what, ": ", payload.status().message()));
    }
    Dot dot{origins[entry.origin()], entry.counter()};
    if constexpr (requires { target.InsertDecoded(dot, *payload); }) {
      target.InsertDecoded(std::move(dot), *std::move(payload));
    } else {
      target.Insert(std::move(dot), *std::move(payload));
    }
  }
  return absl::OkStatus();
}

absl::StatusOr<FieldState> DecodeField(const std::vector<Origin>& origins,
                                       const v1::RecordField& field) {
  const std::string what = absl::StrCat("field \"", field.name(), "\"");
  switch (field.kind()) {
    case v1::RecordField::REGISTER: {
      ValueRegister state;
      SANJI_RETURN_IF_ERROR(
          DecodeEntries(origins, field.entries(), what, DecodeRegisterPayload, state));
      return FieldState(std::move(state));
    }
    case v1::RecordField::COUNTER: {
      CausalCounter state;
      SANJI_RETURN_IF_ERROR(
          DecodeEntries(origins, field.entries(), what, DecodeCounterPayload, state));
      return FieldState(std::move(state));
    }
    case v1::RecordField::SET: {
      OrSet state;
      SANJI_RETURN_IF_ERROR(DecodeEntries(origins, field.entries(), what, DecodeValue, state));
      return FieldState(std::move(state));
    }
    case v1::RecordField::STATUS: {
      StatusRegister state;
      SANJI_RETURN_IF_ERROR(
          DecodeEntries(origins, field.entries(), what, DecodeRankPayload, state));
      return FieldState(std::move(state));
    }
    default:
      return absl::DataLossError(absl::StrCat(what, " has unknown kind ", field.kind()));
  }
}

// Decodes the origin table, the context and the scope of `message` into
// `origins` and `state`.
absl::Status DecodeHead(const v1::RecordState& message, std::vector<Origin>& origins,
                        conflict::RecordState& state) {
  origins.reserve(message.origins_size());
  for (const v1::RecordOrigin& origin : message.origins()) {
    SANJI_ASSIGN_OR_RETURN(Origin decoded, DecodeOrigin(origin));
    origins.push_back(std::move(decoded));
  }
  for (const v1::RecordState::ContextEntry& entry : message.context()) {
    if (entry.origin() >= origins.size()) {
      return absl::DataLossError(absl::StrCat("record context: origin index ", entry.origin(),
                                              " beyond the record's ", origins.size(), " origins"));
    }
    state.context.Advance(Dot{origins[entry.origin()], entry.counter()});
  }
  return DecodeEntries(origins, message.scope(), "scope", DecodeRegisterPayload, state.scope);
}

}  // namespace

void EncodeRecord(const conflict::Record& record, v1::RecordState* out) {
  const conflict::RecordState& state = record.state();
  const VersionVector& context = state.context;
  out->mutable_origins()->Reserve(static_cast<int>(context.size()));
  out->mutable_context()->Reserve(static_cast<int>(context.size()));
  for (uint32_t i = 0; i < context.size(); ++i) {
    EncodeOrigin(context.entries()[i].first, out->add_origins());
    v1::RecordState::ContextEntry* entry = out->add_context();
    entry->set_origin(i);
    entry->set_counter(context.entries()[i].second);
  }
  EncodeEntries(context, state.scope.entries(), out->mutable_scope());
  EncodeEntries(context, state.presence.entries(), out->mutable_presence());
  EncodeEntries(context, state.deletes.entries(), out->mutable_deletes());
  out->mutable_fields()->Reserve(static_cast<int>(state.fields.size()));
  for (const auto& [key, field_state] : state.fields) {
    v1::RecordField* field = out->add_fields();
    field->set_name(key.name);
    field->set_kind(WireKindOf(field_state));
    std::visit(
        [&](const auto& typed) {
          EncodeEntries(context, typed.entries(), field->mutable_entries());
        },
        field_state);
  }
  for (const std::string& former : state.former_scopes) out->add_former_scopes(former);
}

absl::StatusOr<conflict::Record> DecodeRecord(const v1::RecordState& message) {
  std::vector<Origin> origins;
  conflict::RecordState state;
  SANJI_RETURN_IF_ERROR(DecodeHead(message, origins, state));
  SANJI_RETURN_IF_ERROR(DecodeEntries(origins, message.presence(), "presence",
                                      DecodeTimestampPayload, state.presence));
  SANJI_RETURN_IF_ERROR(
      DecodeEntries(origins, message.deletes(), "deletes", DecodeTimestampPayload, state.deletes));
  for (const v1::RecordField& field : message.fields()) {
    SANJI_ASSIGN_OR_RETURN(FieldState decoded, DecodeField(origins, field));
    const conflict::StateKind kind = conflict::StateKindOf(decoded);
    if (!state.fields.emplace(conflict::FieldKey{field.name(), kind}, std::move(decoded)).second) {
      return absl::DataLossError(absl::StrCat("field \"", field.name(), "\" of state kind ",
                                              conflict::StateKindName(kind), " appears twice"));
    }
  }
  for (const std::string& former : message.former_scopes()) {
    if (!state.former_scopes.insert(former).second) {
      return absl::DataLossError(absl::StrCat("former scope \"", former, "\" appears twice"));
    }
  }
  return conflict::Record::FromState(std::move(state));
}

std::string SerializeRecord(const conflict::Record& record) {
  std::string bytes;
  bytes.reserve(kTypicalRecordBytes);
  AppendRecordBytes(record, bytes);
  return bytes;
}

absl::StatusOr<conflict::Record> ParseRecord(absl::string_view bytes) {
  ScratchArena arena;
  auto* message = arena.Create<v1::RecordState>();
  if (!message->ParseFromArray(bytes.data(), static_cast<int>(bytes.size()))) {
    return absl::DataLossError(absl::StrCat("record bytes (", bytes.size(), ") do not parse"));
  }
  return DecodeRecord(*message);
}

}  // namespace sanji::codec
