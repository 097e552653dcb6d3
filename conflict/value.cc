#include "conflict/value.h"

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

}  // namespace sanji::conflict
