#include "store/coding.h"

#include <cstring>

namespace sanji::store {

namespace {
constexpr char kEscape = '\x00';
constexpr char kEscapedZero = '\xff';
constexpr char kTerminator = '\x01';
}  // namespace

void PutFixed32BigEndian(std::string* out, uint32_t value) {
  for (int shift = 24; shift >= 0; shift -= 8) out->push_back(static_cast<char>(value >> shift));
}

void PutFixed64BigEndian(std::string* out, uint64_t value) {
  for (int shift = 56; shift >= 0; shift -= 8) out->push_back(static_cast<char>(value >> shift));
}

bool GetFixed32BigEndian(absl::string_view* input, uint32_t* value) {
  if (input->size() < 4) return false;
  uint32_t result = 0;
  for (int i = 0; i < 4; ++i) result = (result << 8) | static_cast<uint8_t>((*input)[i]);
  input->remove_prefix(4);
  *value = result;
  return true;
}

bool GetFixed64BigEndian(absl::string_view* input, uint64_t* value) {
  if (input->size() < 8) return false;
  uint64_t result = 0;
  for (int i = 0; i < 8; ++i) result = (result << 8) | static_cast<uint8_t>((*input)[i]);
  input->remove_prefix(8);
  *value = result;
  return true;
}

void PutEscaped(std::string* out, absl::string_view text, bool terminate) {
  // Keys are built for every record a batch touches: copy the runs between
  // escapes whole rather than byte by byte.
  out->reserve(out->size() + text.size() + 2);
  while (!text.empty()) {
    const void* found = std::memchr(text.data(), kEscape, text.size());
    const size_t run =
        found == nullptr ? text.size() : static_cast<const char*>(found) - text.data() + 1;
    out->append(text.data(), run);
    if (found != nullptr) out->push_back(kEscapedZero);
    text.remove_prefix(run);
  }
  if (terminate) {
    out->push_back(kEscape);
    out->push_back(kTerminator);
  }
}

bool GetEscaped(absl::string_view* input, std::string* text) {
  std::string result;
  absl::string_view rest = *input;
  while (true) {
    // Copies the run up to the next escape at once (most text has none).
    const size_t at = rest.find(kEscape);
    if (at == absl::string_view::npos || at + 1 >= rest.size()) return false;  // no terminator
    result.append(rest.data(), at);
    const char next = rest[at + 1];
    rest.remove_prefix(at + 2);
    if (next == kTerminator) {
      *input = rest;
      *text = std::move(result);
      return true;
    }
    if (next != kEscapedZero) return false;
    result.push_back(kEscape);
  }
}

void PutVarint64(std::string* out, uint64_t value) {
  while (value >= 0x80) {
    out->push_back(static_cast<char>(value | 0x80));
    value >>= 7;
  }
  out->push_back(static_cast<char>(value));
}

bool GetVarint64(absl::string_view* input, uint64_t* value) {
  uint64_t result = 0;
  for (size_t i = 0; i < input->size() && i < 10; ++i) {
    const uint64_t byte = static_cast<uint8_t>((*input)[i]);
    result |= (byte & 0x7f) << (7 * i);
    if ((byte & 0x80) == 0) {
      input->remove_prefix(i + 1);
      *value = result;
      return true;
    }
  }
  return false;
}

void PutLengthPrefixed(std::string* out, absl::string_view text) {
  PutVarint64(out, text.size());
  out->append(text.data(), text.size());
}

bool GetLengthPrefixed(absl::string_view* input, std::string* text) {
  uint64_t length = 0;
  if (!GetVarint64(input, &length) || length > input->size()) return false;
  text->assign(input->data(), length);
  input->remove_prefix(length);
  return true;
}

std::string PrefixSuccessor(absl::string_view prefix) {
  std::string end(prefix);
  while (!end.empty()) {
    if (static_cast<uint8_t>(end.back()) != 0xff) {
      end.back() = static_cast<char>(static_cast<uint8_t>(end.back()) + 1);
      return end;
    }
    end.pop_back();
  }
  return end;
}

std::string ToHex(absl::string_view bytes) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string out;
  out.reserve(bytes.size() * 2);
  for (char c : bytes) {
    out.push_back(kDigits[static_cast<uint8_t>(c) >> 4]);
    out.push_back(kDigits[static_cast<uint8_t>(c) & 0xf]);
  }
  return out;
}

}  // namespace sanji::store
