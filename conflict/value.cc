#include "conflict/value.h"

#include <cstdint>

#include "absl/strings/str_cat.h"

namespace sanji::conflict {

absl::string_view ValueTypeName(ValueType type) {
  switch (type) {
    case ValueType::kString:
      return "string";
    case ValueType::kInt:
      return "int";
    case ValueType::kDouble:
      return "double";
    case ValueType::kBool:
      return "bool";
  }
  return "unknown";
}

std::string ValueToString(const Value& value) {
  struct Printer {
    std::string operator()(const std::string& text) const { return absl::StrCat("\"", text, "\""); }
    std::string operator()(int64_t number) const { return absl::StrCat(number); }
    std::string operator()(double number) const { return absl::StrCat(number); }
    std::string operator()(bool flag) const { return flag ? "true" : "false"; }
  };
  return std::visit(Printer{}, value);
}

size_t ValueSize(const Value& value) {
  if (const auto* text = std::get_if<std::string>(&value)) return text->size();
  return sizeof(int64_t);
}

bool IsValidUtf8(absl::string_view text) {
  size_t i = 0;
  while (i < text.size()) {
    const unsigned char lead = static_cast<unsigned char>(text[i]);
    size_t length = 1;
    uint32_t min = 0;
    uint32_t code = lead;
    if (lead >= 0xf0 && lead <= 0xf4) {
      length = 4, min = 0x10000, code = lead & 0x07;
    } else if (lead >= 0xe0) {
      length = 3, min = 0x800, code = lead & 0x0f;
    } else if (lead >= 0xc2 && lead <= 0xdf) {
      length = 2, min = 0x80, code = lead & 0x1f;
    } else if (lead >= 0x80) {
      return false;
    }
    if (lead >= 0xf5 || i + length > text.size()) return false;
    for (size_t k = 1; k < length; ++k) {
      const unsigned char next = static_cast<unsigned char>(text[i + k]);
      if ((next & 0xc0) != 0x80) return false;
      code = (code << 6) | (next & 0x3f);
    }
    if (code < min || code > 0x10ffff || (code >= 0xd800 && code <= 0xdfff)) return false;
    i += length;
  }
  return true;
}

}  // namespace sanji::conflict
