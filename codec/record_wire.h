// The wire form of v1.RecordState (proto/record.proto) as Sanji writes it:
// field numbers, wire types and varint sizes, shared by the direct writer
// (record_writer.h) and the strict reader (canonical_record.h), which must
// agree byte for byte.
//
// Thread-safety: constants and pure functions.
#ifndef SANJI_CODEC_RECORD_WIRE_H_
#define SANJI_CODEC_RECORD_WIRE_H_

#include <cstddef>
#include <cstdint>

namespace sanji::codec::wire {

// Field numbers of proto/record.proto.
enum RecordStateField {
  kOrigins = 1,
  kContext = 2,
  kScope = 3,
  kPresence = 4,
  kDeletes = 5,
  kFields = 6,
  kFormerScopes = 7
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

inline size_t VarintSize(uint64_t value) {
  size_t size = 1;
  while (value >= 0x80) {
    value >>= 7;
    ++size;
  }
  return size;
}

inline uint64_t ZigZag(int64_t value) {
  return (static_cast<uint64_t>(value) << 1) ^ static_cast<uint64_t>(value >> 63);
}
inline int64_t UnZigZag(uint64_t value) {
  return static_cast<int64_t>((value >> 1) ^ (~(value & 1) + 1));
}

}  // namespace sanji::codec::wire

#endif  // SANJI_CODEC_RECORD_WIRE_H_
