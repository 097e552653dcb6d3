#include "codec/record_writer.h"

#include <cassert>
#include <cstring>

#include "absl/container/inlined_vector.h"
#include "codec/record_wire.h"

namespace sanji::codec {

namespace {

using conflict::HlcTimestamp;
using conflict::Origin;
using conflict::TimestampedValue;
using conflict::Value;
using conflict::VersionVector;

using namespace wire;  // NOLINT: the writer speaks only the wire form

// ---- sizes ----

// A varint field with proto3 presence: omitted when zero.
size_t ScalarSize(uint64_t value) { return value == 0 ? 0 : 1 + VarintSize(value); }

size_t BytesFieldSize(size_t length) { return 1 + VarintSize(length) + length; }

size_t ValueSize(const Value& value) {
  switch (value.index()) {
    case 0:
      return BytesFieldSize(std::get<std::string>(value).size());
    case 1:
      return 1 + VarintSize(ZigZag(std::get<int64_t>(value)));
    case 2:
      return 1 + sizeof(double);
    default:
      return 2;
  }
}

size_t TimestampSize(const HlcTimestamp& timestamp) {
  return ScalarSize(static_cast<uint64_t>(timestamp.physical_micros)) +
         ScalarSize(timestamp.logical);
}

size_t PayloadSize(const TimestampedValue& payload) {
  return TimestampSize(payload.timestamp) + ValueSize(payload.value);
}
size_t PayloadSize(const HlcTimestamp& payload) { return TimestampSize(payload); }
size_t PayloadSize(const Value& payload) { return ValueSize(payload); }
size_t PayloadSize(int64_t payload) { return ScalarSize(ZigZag(payload)); }
size_t PayloadSize(uint32_t payload) { return ScalarSize(ZigZag(payload)); }

// The record's context covers every dot in it, so its origins are the
// record's origin table, already sorted (as in EncodeRecord).
uint32_t OriginIndex(const VersionVector& context, const Origin& origin) {
  const auto& entries = context.entries();
  for (uint32_t i = 0; i < entries.size(); ++i) {
    if (entries[i].first == origin) return i;
  }
  return static_cast<uint32_t>(entries.size());
}

template <typename Entry>
size_t EntrySize(const VersionVector& context, const Entry& entry) {
  return ScalarSize(OriginIndex(context, entry.dot.origin)) + ScalarSize(entry.dot.counter) +
         PayloadSize(entry.payload);
}

// ---- writing ----

// Writes into a buffer already sized for everything it will write: the sizes
// are computed first, so writing needs no bounds checks or growth.
class Writer {
 public:
  explicit Writer(char* position) : position_(position) {}

  char* position() const { return position_; }

  void Varint(uint64_t value) {
    while (value >= 0x80) {
      *position_++ = static_cast<char>(value | 0x80);
      value >>= 7;
    }
    *position_++ = static_cast<char>(value);
  }
  void Scalar(int field, uint64_t value) {
    if (value == 0) return;
    Varint(Tag(field, kVarint));
    Varint(value);
  }
  void Bytes(int field, const std::string& bytes) {
    Header(field, bytes.size());
    std::memcpy(position_, bytes.data(), bytes.size());
    position_ += bytes.size();
  }
  void Header(int field, size_t length) {
    Varint(Tag(field, kLengthDelimited));
    Varint(length);
  }
  void WriteValue(const conflict::Value& value) {
    switch (value.index()) {
      case 0:
        Bytes(kText, std::get<std::string>(value));
        break;
      case 1:
        Varint(Tag(kInteger, kVarint));
        Varint(ZigZag(std::get<int64_t>(value)));
        break;
      case 2: {
        Varint(Tag(kReal, kFixed64));
        const double real = std::get<double>(value);
        std::memcpy(position_, &real, sizeof(real));  // little-endian, as protobuf
        position_ += sizeof(real);
        break;
      }
      default:
        Varint(Tag(kFlag, kVarint));
        Varint(std::get<bool>(value) ? 1 : 0);
    }
  }
  void Timestamp(const HlcTimestamp& timestamp) {
    Scalar(kPhysicalMicros, static_cast<uint64_t>(timestamp.physical_micros));
    Scalar(kLogical, timestamp.logical);
  }
  void Payload(const TimestampedValue& payload) {
    Timestamp(payload.timestamp);
    WriteValue(payload.value);
  }
  void Payload(const HlcTimestamp& payload) { Timestamp(payload); }
  void Payload(const conflict::Value& payload) { WriteValue(payload); }
  void Payload(int64_t payload) { Scalar(kNumber, ZigZag(payload)); }
  void Payload(uint32_t payload) { Scalar(kNumber, ZigZag(payload)); }

  template <typename EntryList>
  void Entries(int field, const VersionVector& context, const EntryList& entries) {
    for (const auto& entry : entries) {
      Header(field, EntrySize(context, entry));
      Scalar(kEntryOrigin, OriginIndex(context, entry.dot.origin));
      Scalar(kEntryCounter, entry.dot.counter);
      Payload(entry.payload);
    }
  }

 private:
  char* position_;
};

template <typename EntryList>
size_t EntriesSize(const VersionVector& context, const EntryList& entries) {
  size_t size = 0;
  for (const auto& entry : entries) {
    const size_t entry_size = EntrySize(context, entry);
    size += 1 + VarintSize(entry_size) + entry_size;
  }
  return size;
}

size_t FieldBodySize(const VersionVector& context, const std::string& name,
                     const conflict::FieldState& state) {
  const size_t entries =
      std::visit([&](const auto& field) { return EntriesSize(context, field.entries()); }, state);
  // RecordField.StateKind is the variant index + 1.
  return BytesFieldSize(name.size()) + ScalarSize(state.index() + 1) + entries;
}

}  // namespace

size_t OriginBodySize(const Origin& origin) {
  const std::string& node_id = origin.node_id.str();
  return (node_id.empty() ? 0 : BytesFieldSize(node_id.size())) + ScalarSize(origin.incarnation);
}

size_t LengthDelimitedSize(size_t body) { return 1 + VarintSize(body) + body; }

void AppendRecordBytes(const conflict::Record& record, std::string& out) {
  const conflict::RecordState& state = record.state();
  const VersionVector& context = state.context;

  // Pass 1: the size of everything, keeping what pass 2 needs again.
  size_t total = 0;
  for (uint32_t i = 0; i < context.size(); ++i) {
    total += LengthDelimitedSize(OriginBodySize(context.entries()[i].first));
    total += LengthDelimitedSize(ScalarSize(i) + ScalarSize(context.entries()[i].second));
  }
  total += EntriesSize(context, state.scope.entries()) +
           EntriesSize(context, state.presence.entries()) +
           EntriesSize(context, state.deletes.entries());
  absl::InlinedVector<size_t, 16> field_sizes;
  for (const auto& [key, field_state] : state.fields) {
    field_sizes.push_back(FieldBodySize(context, key.name, field_state));
    total += LengthDelimitedSize(field_sizes.back());
  }
  for (const std::string& former : state.former_scopes) total += LengthDelimitedSize(former.size());

  // Pass 2: write, in field-number order.
  const size_t start = out.size();
  out.resize(start + total);
  Writer writer(out.data() + start);
  for (const auto& [origin, counter] : context.entries()) {
    writer.Header(kOrigins, OriginBodySize(origin));
    if (!origin.node_id.empty()) writer.Bytes(kNodeId, origin.node_id.str());
    writer.Scalar(kIncarnation, origin.incarnation);
  }
  for (uint32_t i = 0; i < context.size(); ++i) {
    const uint64_t counter = context.entries()[i].second;
    writer.Header(kContext, ScalarSize(i) + ScalarSize(counter));
    writer.Scalar(kContextOrigin, i);
    writer.Scalar(kContextCounter, counter);
  }
  writer.Entries(kScope, context, state.scope.entries());
  writer.Entries(kPresence, context, state.presence.entries());
  writer.Entries(kDeletes, context, state.deletes.entries());
  size_t field_index = 0;
  for (const auto& [key, field_state] : state.fields) {
    writer.Header(kFields, field_sizes[field_index++]);
    writer.Bytes(kFieldName, key.name);
    writer.Scalar(kFieldKind, field_state.index() + 1);
    std::visit([&](const auto& field) { writer.Entries(kFieldEntries, context, field.entries()); },
               field_state);
  }
  for (const std::string& former : state.former_scopes) writer.Bytes(kFormerScopes, former);
  assert(writer.position() == out.data() + out.size());
}

}  // namespace sanji::codec
