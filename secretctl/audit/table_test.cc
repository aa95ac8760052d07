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

// Cells come from the logs: nothing in them may drive the terminal. Each
// class is shown as a visible escape (common/terminal_text.h).
TEST(TableTest, ControlCharactersCannotReachTheTerminal) {
  std::ostringstream out;
  Table t(out, {"S"}, false);
  t.Add({"\x1b]0;pwned\x07"});  // C0: OSC, BEL
  t.Add({"a\x7f"});             // DEL
  t.Add(
      {"x\x9b"
       "31my"});  // C1 CSI as a raw byte
  t.Add(
      {"x\xc2\x9b"
       "31my"});  // C1 CSI as UTF-8
  t.Add(
      {"i-\xe2\x80\xae"
       "cba\xe2\x81\xa6"});                     // RLO, LRI
  t.Add({"\xe2\x80\x8e\xe2\x80\x8f\xd8\x9c"});  // LRM, RLM, ALM
  t.Add({"bad\xff\xc0\xaf"});                   // invalid UTF-8
  t.Add({"caf\xc3\xa9"});                       // fine as it is
  t.Finish();
  EXPECT_EQ(out.str(),
            "S\n"
            "\\x1b]0;pwned\\x07\n"
            "a\\x7f\n"
            "x\\x9b31my\n"
            "x\\u{009B}31my\n"
            "i-\\u{202E}cba\\u{2066}\n"
            "\\u{200E}\\u{200F}\\u{061C}\n"
            "bad\\xff\\xc0\\xaf\n"
            "caf\xc3\xa9\n");
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
