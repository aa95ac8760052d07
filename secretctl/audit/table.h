// A plain-text table for terminals: columns sized to their widest cell among
// the first rows, the last column unpadded, control, bidi and invisible
// format characters and invalid UTF-8 in cells shown as visible escapes
// (common::TerminalSafe: log contents must not drive the terminal).
//
//   Table t(out, {"TIME", "SUBJECT"}, /*color=*/isatty(1));
//   t.Add({{"2026-11-26T05:41:45.123Z"}, {"i-0abc", Color::kRed}});
//   t.Finish();
//
// The first 1000 rows are buffered to size the columns; later rows are
// printed as they come with those widths (a longer cell pushes the rest of
// its row to the right). Not thread-safe.
#ifndef SECRETD_SECRETCTL_AUDIT_TABLE_H_
#define SECRETD_SECRETCTL_AUDIT_TABLE_H_

#include <iosfwd>
#include <string>
#include <vector>

#include "absl/strings/string_view.h"

namespace secretctl {

enum class Color { kNone, kRed, kGreen, kYellow, kDim };

struct Cell {
  Cell(std::string t, Color c = Color::kNone) : text(std::move(t)), color(c) {}
  Cell(const char* t, Color c = Color::kNone) : text(t), color(c) {}
  std::string text;
  Color color = Color::kNone;
};

// Number of UTF-8 code points (a terminal's columns, for our texts).
size_t DisplayWidth(absl::string_view text);
// `text` wrapped in the ANSI colour (nothing for kNone).
std::string Colored(absl::string_view text, Color color);

class Table {
 public:
  Table(std::ostream& out, std::vector<std::string> headers, bool color);
  void Add(std::vector<Cell> row);
  // Prints what is buffered (and the header if nothing was printed yet).
  void Finish();
  size_t rows() const { return rows_; }

 private:
  void PrintRow(const std::vector<Cell>& row);
  void Flush();

  std::ostream& out_;
  std::vector<Cell> headers_;
  bool color_;
  std::vector<std::vector<Cell>> buffer_;
  std::vector<size_t> widths_;
  bool flushed_ = false;
  size_t rows_ = 0;
};

}  // namespace secretctl

#endif  // SECRETD_SECRETCTL_AUDIT_TABLE_H_
