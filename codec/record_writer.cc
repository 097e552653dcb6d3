#include "codec/record_writer.h"

#include <algorithm>
#include <cstring>

namespace sanji::codec {

namespace {

using conflict::HlcTimestamp;
using conflict::Origin;
using conflict::TimestampedValue;
using conflict::Value;
using conflict::VersionVector;

// Field numbers of proto/record.proto.
enum RecordStateField {
  kOrigins = 1,
  kContext = 2,
  kScope = 3,
  kPresence = 4,
  kDeletes = 5,
  kFields = 6
};
enum OriginField { kNodeId = 1, kIncarnation = 2 };
enum ContextEntryField { kContextOrigin = 1, kContextCounter = 2 };
enum RecordEntryField {
  kEntryOrigin = 1,
  kEntryCounter = 2,
  kPhysicalMicros = 3,
  kLogical = 4,
  kText = 5,
  kInteger = 6,
  kReal = 7,
  kFlag = 8,
  kNumber = 9
};
enum RecordFieldField { kFieldName = 1, kFieldKind = 2, kFieldEntries = 3 };

enum WireType { kVarint = 0, kFixed64 = 1, kLengthDelimited = 2 };

constexpr uint32_t Tag(int field, WireType type) {
  return (static_cast<uint32_t>(field) << 3) | type;
}

size_t VarintSize(uint64_t value) {
  size_t size = 1;
  while (value >= 0x80) {
    value >>= 7;
    ++size;
  }
  return size;
}

uint64_t ZigZag(int64_t value) {
  return (static_cast<uint64_t>(value) << 1) ^ static_cast<uint64_t>(value >> 63);
}

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

class Writer {
 public:
  explicit Writer(std::string& out) : out_(out) {}

  void Varint(uint64_t value) {
    while (value >= 0x80) {
      out_.push_back(static_cast<char>(value | 0x80));
      value >>= 7;
    }
    out_.push_back(static_cast<char>(value));
  }
  void Scalar(int field, uint64_t value) {
    if (value == 0) return;
    Varint(Tag(field, kVarint));
    Varint(value);
  }
  void Bytes(int field, const std::string& bytes) {
    Header(field, bytes.size());
    out_.append(bytes);
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
        char bytes[sizeof(double)];
        const double real = std::get<double>(value);
        std::memcpy(bytes, &real, sizeof(real));  // little-endian, as protobuf
        out_.append(bytes, sizeof(bytes));
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
  std::string& out_;
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

void AppendRecordBytes(const conflict::Record& record, std::string& out) {
  const conflict::RecordState& state = record.state();
  const VersionVector& context = state.context;
  Writer writer(out);
  for (uint32_t i = 0; i < context.size(); ++i) {
    const Origin& origin = context.entries()[i].first;
    const std::string& node_id = origin.node_id.str();
    writer.Header(kOrigins, (node_id.empty() ? 0 : BytesFieldSize(node_id.size())) +
                                ScalarSize(origin.incarnation));
    if (!node_id.empty()) writer.Bytes(kNodeId, node_id);
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
  for (const auto& [name, field_state] : state.fields) {
    writer.Header(kFields, FieldBodySize(context, name, field_state));
    writer.Bytes(kFieldName, name);
    writer.Scalar(kFieldKind, field_state.index() + 1);
    std::visit([&](const auto& field) { writer.Entries(kFieldEntries, context, field.entries()); },
               field_state);
  }
}

}  // namespace sanji::codec
