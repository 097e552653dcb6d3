#include "cli/table.h"

#include <algorithm>
#include <cassert>
#include <cstdint>
#include <utility>

#include "absl/strings/str_cat.h"

namespace sanji::cli {
namespace {

struct Range {
  char32_t first;
  char32_t last;
};

// East Asian Wide (W) and Fullwidth (F) blocks of Unicode 15, merged into
// ranges as wcwidth implementations (Markus Kuhn's, glibc's) do.
constexpr Range kWide[] = {
    {0x1100, 0x115F},   {0x231A, 0x231B},   {0x2329, 0x232A},   {0x23E9, 0x23EC},
    {0x25FD, 0x25FE},   {0x2614, 0x2615},   {0x2648, 0x2653},   {0x26A1, 0x26A1},
    {0x26AA, 0x26AB},   {0x26BD, 0x26BE},   {0x26C4, 0x26C5},   {0x26D4, 0x26D4},
    {0x26EA, 0x26EA},   {0x26F2, 0x26F5},   {0x26FA, 0x26FD},   {0x2705, 0x2705},
    {0x270A, 0x270B},   {0x2728, 0x2728},   {0x274C, 0x274C},   {0x2753, 0x2757},
    {0x2795, 0x2797},   {0x27B0, 0x27BF},   {0x2B1B, 0x2B1C},   {0x2B50, 0x2B55},
    {0x2E80, 0x303E},   {0x3041, 0x33FF},   {0x3400, 0x4DBF},   {0x4E00, 0x9FFF},
    {0xA000, 0xA4CF},   {0xA960, 0xA97F},   {0xAC00, 0xD7A3},   {0xF900, 0xFAFF},
    {0xFE10, 0xFE19},   {0xFE30, 0xFE6F},   {0xFF00, 0xFF60},   {0xFFE0, 0xFFE6},
    {0x16FE0, 0x18CFF}, {0x1B000, 0x1B2FF}, {0x1F004, 0x1F004}, {0x1F0CF, 0x1F0CF},
    {0x1F18E, 0x1F18E}, {0x1F191, 0x1F19A}, {0x1F200, 0x1F2FF}, {0x1F300, 0x1F64F},
    {0x1F680, 0x1F6FF}, {0x1F7E0, 0x1F7EB}, {0x1F90C, 0x1F9FF}, {0x1FA70, 0x1FAFF},
    {0x20000, 0x2FFFD}, {0x30000, 0x3FFFD},
};

// Combining marks and zero-width characters: they draw on the character
// before them.
constexpr Range kZero[] = {
    {0x0300, 0x036F}, {0x0483, 0x0489}, {0x0591, 0x05BD}, {0x0610, 0x061A}, {0x064B, 0x065F},
    {0x200B, 0x200F}, {0x202A, 0x202E}, {0x2060, 0x2064}, {0x20D0, 0x20FF}, {0x302A, 0x302D},
    {0x3099, 0x309A}, {0xFE00, 0xFE0F}, {0xFE20, 0xFE2F}, {0xFEFF, 0xFEFF}, {0xE0100, 0xE01EF},
};

template <size_t N>
bool In(const Range (&ranges)[N], char32_t c) {
  const Range* it = std::lower_bound(std::begin(ranges), std::end(ranges), c,
                                     [](const Range& range, char32_t v) { return range.last < v; });
  return it != std::end(ranges) && it->first <= c;
}

size_t CodePointWidth(char32_t c) {
  if (In(kZero, c)) return 0;
  return In(kWide, c) ? 2 : 1;
}

// The length of the UTF-8 sequence that `lead` starts, or 0 if it can not
// start one (a continuation byte, or 0xF8 and above).
size_t SequenceLength(uint8_t lead) {
  if (lead < 0x80) return 1;
  if ((lead >> 5) == 0x6) return 2;
  if ((lead >> 4) == 0xE) return 3;
  if ((lead >> 3) == 0x1E) return 4;
  return 0;
}

// Decodes the character at the start of `text` (not empty): its code point
// and its length in bytes. An invalid sequence reads as one byte, U+FFFD.
std::pair<char32_t, size_t> DecodeOne(absl::string_view text) {
  const auto lead = static_cast<uint8_t>(text[0]);
  const size_t length = SequenceLength(lead);
  if (length == 0 || length > text.size()) return {0xFFFD, 1};
  char32_t c = length == 1 ? lead : lead & (0x7F >> length);
  for (size_t i = 1; i < length; ++i) {
    const auto next = static_cast<uint8_t>(text[i]);
    if ((next >> 6) != 0x2) return {0xFFFD, 1};
    c = (c << 6) | (next & 0x3F);
  }
  return {c, length};
}

}  // namespace

size_t DisplayWidth(absl::string_view text) {
  size_t width = 0;
  while (!text.empty()) {
    const auto [c, length] = DecodeOne(text);
    width += CodePointWidth(c);
    text.remove_prefix(length);
  }
  return width;
}

std::string TruncateToWidth(absl::string_view text, size_t width) {
  assert(width >= 1);
  if (DisplayWidth(text) <= width) return std::string(text);
  std::string cut;
  size_t used = 0;
  while (!text.empty()) {
    const auto [c, length] = DecodeOne(text);
    const size_t w = CodePointWidth(c);
    if (used + w > width - 1) break;  // one column stays for the ellipsis
    cut.append(text.data(), length);
    used += w;
    text.remove_prefix(length);
  }
  return cut + "…";
}

std::string EscapeForTerminal(absl::string_view text) {
  std::string safe;
  safe.reserve(text.size());
  while (!text.empty()) {
    const auto [c, length] = DecodeOne(text);
    const bool invalid = c == 0xFFFD && length == 1 && static_cast<uint8_t>(text[0]) >= 0x80;
    if (c == '\n') {
      safe += "\\n";
    } else if (c == '\r') {
      safe += "\\r";
    } else if (c == '\t') {
      safe += "\\t";
    } else if (invalid || c < 0x20 || c == 0x7F) {
      absl::StrAppend(&safe, "\\x", absl::Hex(static_cast<uint8_t>(text[0]), absl::kZeroPad2));
    } else if (c >= 0x80 && c <= 0x9F) {
      absl::StrAppend(&safe, "\\u", absl::Hex(static_cast<uint32_t>(c), absl::kZeroPad4));
    } else {
      safe.append(text.data(), length);
    }
    text.remove_prefix(length);
  }
  return safe;
}

Table::Table(std::vector<std::string> headers) : headers_(std::move(headers)) {}

void Table::AddRow(std::vector<std::string> cells) {
  [[maybe_unused]] const size_t columns =
      !headers_.empty() ? headers_.size() : (rows_.empty() ? cells.size() : rows_[0].size());
  assert(cells.size() == columns);
  for (std::string& cell : cells) cell = EscapeForTerminal(cell);
  rows_.push_back(std::move(cells));
}

void Table::Print(std::ostream& out) const {
  std::vector<const std::vector<std::string>*> lines;
  if (!headers_.empty()) lines.push_back(&headers_);
  for (const std::vector<std::string>& row : rows_) lines.push_back(&row);
  if (lines.empty()) return;

  std::vector<size_t> widths(lines[0]->size(), 0);
  for (const std::vector<std::string>* line : lines) {
    for (size_t i = 0; i < line->size(); ++i) {
      widths[i] = std::max(widths[i], DisplayWidth((*line)[i]));
    }
  }
  for (const std::vector<std::string>* line : lines) {
    for (size_t i = 0; i < line->size(); ++i) {
      out << (*line)[i];
      if (i + 1 < line->size()) {
        out << std::string(widths[i] - DisplayWidth((*line)[i]) + 2, ' ');
      }
    }
    out << "\n";
  }
}

}  // namespace sanji::cli
