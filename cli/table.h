// Plain-text tables for sanjictl's output, aligned by display width: in a
// terminal a Chinese character takes two columns, so padding by bytes (three
// per character in UTF-8) or by code points misaligns every column after a
// Chinese cell.
//
//   KEY     SCOPE                 TITLE
//   路灯-3  gutian/fengpu/xiaban  村口路灯不亮
//
// Columns are separated by two spaces; the last column is not padded, so no
// line ends in spaces.
//
// Thread-safety: a Table is a value; the free functions are pure.
#ifndef SANJI_CLI_TABLE_H_
#define SANJI_CLI_TABLE_H_

#include <cstddef>
#include <ostream>
#include <string>
#include <vector>

#include "absl/strings/string_view.h"

namespace sanji::cli {

// The columns `text` (UTF-8) takes in a terminal, as wcwidth(3) counts them:
// 2 for East Asian wide and fullwidth characters (CJK ideographs, kana,
// hangul, fullwidth forms such as "，", most emoji), 0 for combining marks
// and zero-width characters, 1 for the rest. A byte that is not valid UTF-8
// counts as 1, as terminals show it as one replacement character.
size_t DisplayWidth(absl::string_view text);

// `text` cut to at most `width` columns, never inside a character; a cut
// text ends in "…" (counted in the width). REQUIRES: width >= 1.
std::string TruncateToWidth(absl::string_view text, size_t width);

// `text` made safe to write to a terminal: a record's key or value is
// anyone's input, and a raw ESC (as in "\x1b[2J") would clear or rewrite the
// operator's screen. Newline, carriage return and tab read as \n, \r and \t;
// every other control character (C0, DEL, and the C1 controls U+0080 to
// U+009F, which some terminals obey) as \xNN or \u00NN; a byte that is not
// UTF-8 as \xNN. Everything else, Chinese included, is kept as it is.
std::string EscapeForTerminal(absl::string_view text);

class Table {
 public:
  // With no headers, the table has no header line and as many columns as
  // its first row.
  explicit Table(std::vector<std::string> headers = {});

  // Cells show on one line and cannot drive the terminal: each is written
  // as EscapeForTerminal makes it.
  // REQUIRES: as many cells as the headers (or the first row) have.
  void AddRow(std::vector<std::string> cells);

  bool empty() const { return rows_.empty(); }

  // Writes the header line (if any) and the rows.
  void Print(std::ostream& out) const;

 private:
  std::vector<std::string> headers_;
  std::vector<std::vector<std::string>> rows_;
};

}  // namespace sanji::cli

#endif  // SANJI_CLI_TABLE_H_
