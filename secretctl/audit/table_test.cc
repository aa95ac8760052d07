#include "secretctl/audit/table.h"

#include <sstream>

#include "gtest/gtest.h"

namespace secretctl {
namespace {

TEST(TableTest, ColumnsAreSizedToTheirWidestCellAndTheLastIsNotPadded) {
  std::ostringstream out;
  Table t(out, {"A", "BB", "C"}, /*color=*/false);
  t.Add({"xxxx", "y", "last"});
  t.Add({"x", "yyy", ""});
  t.Finish();
  EXPECT_EQ(out.str(),
            "A     BB   C\n"
            "xxxx  y    last\n"
            "x     yyy\n");
  EXPECT_EQ(t.rows(), 2u);
}

TEST(TableTest, ControlCharactersCannotReachTheTerminal) {
  EXPECT_EQ(SanitizeForTerminal("a\x1b[2Jb\tc\x7f"), "a?[2Jb?c?");
  // U+009B (CSI) in UTF-8, and a harmless U+00E9.
  EXPECT_EQ(SanitizeForTerminal("x\xc2\x9b"
                                "1m\xc3\xa9"),
            "x?1m\xc3\xa9");
  std::ostringstream out;
  Table t(out, {"S"}, false);
  t.Add({"\x1b]0;pwned\x07"});
  t.Finish();
  EXPECT_EQ(out.str(), "S\n?]0;pwned?\n");
}

TEST(TableTest, WidthCountsCodePoints) {
  EXPECT_EQ(DisplayWidth("\xc3\xa9t\xc3\xa9"), 3u);
  std::ostringstream out;
  Table t(out, {"N", "X"}, false);
  t.Add({"\xc3\xa9t\xc3\xa9", "1"});
  t.Finish();
  EXPECT_EQ(out.str(), "N    X\n\xc3\xa9t\xc3\xa9  1\n");
}

TEST(TableTest, ColorWrapsCellsButNotTheirPadding) {
  std::ostringstream out;
  Table t(out, {"D", "X"}, /*color=*/true);
  t.Add({Cell("deny", Color::kRed), "1"});
  t.Finish();
  EXPECT_EQ(out.str(), "D     X\n\x1b[31mdeny\x1b[0m  1\n");
}

TEST(TableTest, EmptyTablePrintsItsHeader) {
  std::ostringstream out;
  Table t(out, {"A", "B"}, false);
  t.Finish();
  EXPECT_EQ(out.str(), "A  B\n");
}

}  // namespace
}  // namespace secretctl
