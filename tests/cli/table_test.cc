// Tables aligned by display width (ARCHITECTURE.md §6: "table output";
// DOMAIN.md: "Text is Chinese (UTF-8) throughout").
#include "cli/table.h"

#include <gtest/gtest.h>

#include <sstream>

namespace sanji::cli {
namespace {

TEST(DisplayWidthTest, CountsChineseAsTwoColumns) {
  EXPECT_EQ(DisplayWidth(""), 0u);
  EXPECT_EQ(DisplayWidth("gutian"), 6u);
  EXPECT_EQ(DisplayWidth("古田"), 4u);
  EXPECT_EQ(DisplayWidth("路灯-3"), 6u);
  EXPECT_EQ(DisplayWidth("，（）"), 6u);    // fullwidth punctuation
  EXPECT_EQ(DisplayWidth("한글かな"), 8u);  // hangul and kana
  EXPECT_EQ(DisplayWidth("𠀀"), 2u);        // CJK extension B, four bytes
}

TEST(DisplayWidthTest, CombiningMarksTakeNoColumn) {
  EXPECT_EQ(DisplayWidth("e\xCC\x81"), 1u);  // e + U+0301
  EXPECT_EQ(DisplayWidth("a\xE2\x80\x8B"
                         "b"),
            2u);  // zero-width space
}

TEST(DisplayWidthTest, InvalidBytesCountOneEach) {
  EXPECT_EQ(DisplayWidth("\xFF\xFE"), 2u);
  EXPECT_EQ(DisplayWidth("\xE5\x8F"), 2u);  // a cut three-byte sequence
  EXPECT_EQ(DisplayWidth("a\x80"
                         "b"),
            3u);
}

TEST(TruncateToWidthTest, CutsBetweenCharactersAndMarksTheCut) {
  EXPECT_EQ(TruncateToWidth("村口路灯不亮", 12), "村口路灯不亮");
  EXPECT_EQ(TruncateToWidth("村口路灯不亮", 7), "村口路…");
  // A wide character that would overrun the width is left out whole.
  EXPECT_EQ(TruncateToWidth("村口路灯不亮", 6), "村口…");
  EXPECT_EQ(TruncateToWidth("abcdef", 4), "abc…");
  EXPECT_EQ(TruncateToWidth("村口", 1), "…");
}

TEST(TableTest, AlignsChineseCellsByDisplayWidth) {
  Table table({"KEY", "SCOPE", "TITLE"});
  table.AddRow({"路灯-3", "gutian/fengpu/xiaban", "村口路灯不亮"});
  table.AddRow({"a", "gutian", "hello"});
  table.AddRow({"低保复核", "gutian/xikou", "低保"});
  std::ostringstream out;
  table.Print(out);
  EXPECT_EQ(out.str(),
            "KEY       SCOPE                 TITLE\n"
            "路灯-3    gutian/fengpu/xiaban  村口路灯不亮\n"
            "a         gutian                hello\n"
            "低保复核  gutian/xikou          低保\n");
}

TEST(TableTest, WithoutHeadersPrintsRowsOnly) {
  Table table;
  table.AddRow({"节点", "gutian"});
  table.AddRow({"incarnation", "7"});
  std::ostringstream out;
  table.Print(out);
  EXPECT_EQ(out.str(),
            "节点         gutian\n"
            "incarnation  7\n");
}

TEST(TableTest, KeepsEachRowOnOneLine) {
  Table table({"FIELD", "VALUE"});
  table.AddRow({"body", "第一行\n第二行\tend"});
  std::ostringstream out;
  table.Print(out);
  EXPECT_EQ(out.str(),
            "FIELD  VALUE\n"
            "body   第一行\\n第二行\\tend\n");
}

// Issue 22: `put ... $'title=\e[2J'` cleared the screen of whoever listed it.
TEST(TableTest, CellsCannotDriveTheTerminal) {
  Table table({"FIELD", "VALUE"});
  table.AddRow({"title",
                "\x1b[2J\x07清\x7f\xc2\x9b"
                "1m\xff"});
  std::ostringstream out;
  table.Print(out);
  EXPECT_EQ(out.str(),
            "FIELD  VALUE\n"
            "title  \\x1b[2J\\x07清\\x7f\\u009b1m\\xff\n");
}

TEST(TableTest, EscapeForTerminalKeepsPrintableTextAsItIs) {
  EXPECT_EQ(EscapeForTerminal("村口路灯不亮 (3) ～ é\xef\xbf\xbd"),
            "村口路灯不亮 (3) ～ é\xef\xbf\xbd");
}

TEST(TableTest, EmptyTablePrintsItsHeader) {
  Table table({"KEY", "SCOPE"});
  EXPECT_TRUE(table.empty());
  std::ostringstream out;
  table.Print(out);
  EXPECT_EQ(out.str(), "KEY  SCOPE\n");
}

}  // namespace
}  // namespace sanji::cli
