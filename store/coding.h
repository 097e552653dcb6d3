// Byte encodings the store's keys and values are built from.
//
// Keys need order-preserving encodings, so that LevelDB's bytewise order is
// the order the store iterates in:
//  - unsigned integers as big-endian fixed width (counters, sequences);
//  - strings escaped and terminated (as FoundationDB's tuple layer does): a
//    0x00 byte becomes 0x00 0xFF and the string ends with 0x00 0x01. Escaped
//    strings sort like the raw strings, and no escaped string is a prefix of
//    another, so "a" then "bc" can never be confused with "ab" then "c".
// Values use compact varints and length-prefixed strings (order does not
// matter there).
//
// Get* functions consume from the front of `input` and return false on
// truncated or malformed input (the caller turns that into DataLoss).
//
// Thread-safety: pure functions.
#ifndef SANJI_STORE_CODING_H_
#define SANJI_STORE_CODING_H_

#include <cstdint>
#include <string>

#include "absl/strings/string_view.h"

namespace sanji::store {

void PutFixed32BigEndian(std::string* out, uint32_t value);
void PutFixed64BigEndian(std::string* out, uint64_t value);
bool GetFixed32BigEndian(absl::string_view* input, uint32_t* value);
bool GetFixed64BigEndian(absl::string_view* input, uint64_t* value);

// Appends `text` escaped, with (`terminate`) or without the terminator. An
// unterminated escape is a key prefix: it matches every string that starts
// with `text`.
void PutEscaped(std::string* out, absl::string_view text, bool terminate = true);
bool GetEscaped(absl::string_view* input, std::string* text);

void PutVarint64(std::string* out, uint64_t value);
bool GetVarint64(absl::string_view* input, uint64_t* value);
void PutLengthPrefixed(std::string* out, absl::string_view text);
bool GetLengthPrefixed(absl::string_view* input, std::string* text);

// The smallest string greater than every string that starts with `prefix`,
// or "" if there is none (prefix all 0xFF): the exclusive end of a prefix scan.
std::string PrefixSuccessor(absl::string_view prefix);

// Lower-case hexadecimal, for tokens kept in text files.
std::string ToHex(absl::string_view bytes);

}  // namespace sanji::store

#endif  // SANJI_STORE_CODING_H_
