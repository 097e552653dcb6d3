// Value: what an lww/mv register holds and what a set contains.
//
// Text is UTF-8 (keys, names and values are Chinese throughout); money is an
// integer number of fen. Values order by type index first, then by value, so
// that entries sort deterministically and replicas encode identically.
//
// Thread-safety: plain values.
#ifndef SANJI_CONFLICT_VALUE_H_
#define SANJI_CONFLICT_VALUE_H_

#include <cstdint>
#include <string>
#include <variant>

#include "absl/strings/string_view.h"

namespace sanji::conflict {

// The alternatives' order matches ValueType.
using Value = std::variant<std::string, int64_t, double, bool>;

enum class ValueType { kString = 0, kInt = 1, kDouble = 2, kBool = 3 };

inline ValueType TypeOf(const Value& value) { return static_cast<ValueType>(value.index()); }
absl::string_view ValueTypeName(ValueType type);

// Human-readable: strings quoted, UTF-8 kept as is.
std::string ValueToString(const Value& value);

// Bytes the value occupies (string length, or 8), for size limits.
size_t ValueSize(const Value& value);

// Well-formed UTF-8 (RFC 3629): no overlong forms, no surrogates, nothing
// above U+10FFFF; what protobuf requires of a `string`. Text is checked where
// it enters (an application's write, a record from a link); it then travels
// as proto `bytes` without protobuf re-checking it per hop.
bool IsValidUtf8(absl::string_view text);

}  // namespace sanji::conflict

#endif  // SANJI_CONFLICT_VALUE_H_
