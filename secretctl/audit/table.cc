#include "secretctl/audit/table.h"

#include <algorithm>
#include <ostream>

#include "absl/strings/str_cat.h"
#include "common/terminal_text.h"

namespace secretctl {
namespace {

constexpr size_t kBufferedRows = 1000;

}  // namespace

size_t DisplayWidth(absl::string_view text) {
  size_t n = 0;
  for (char c : text) {
    if ((static_cast<unsigned char>(c) & 0xc0) != 0x80) ++n;
  }
  return n;
}

std::string Colored(absl::string_view text, Color color) {
  const char* code = nullptr;
  switch (color) {
    case Color::kNone:
      return std::string(text);
    case Color::kRed:
      code = "31";
      break;
    case Color::kGreen:
      code = "32";
      break;
    case Color::kYellow:
      code = "33";
      break;
    case Color::kDim:
      code = "2";
      break;
  }
  return absl::StrCat("\x1b[", code, "m", text, "\x1b[0m");
}

Table::Table(std::ostream& out, std::vector<std::string> headers, bool color)
    : out_(out), color_(color) {
  for (auto& h : headers) headers_.emplace_back(std::move(h));
  widths_.resize(headers_.size(), 0);
  for (size_t i = 0; i < headers_.size(); ++i) {
    widths_[i] = DisplayWidth(headers_[i].text);
  }
}

void Table::Add(std::vector<Cell> row) {
  row.resize(headers_.size(), Cell(""));
  for (Cell& c : row) c.text = common::TerminalSafe(c.text);
  ++rows_;
  if (flushed_) {
    PrintRow(row);
    return;
  }
  for (size_t i = 0; i < row.size(); ++i) {
    widths_[i] = std::max(widths_[i], DisplayWidth(row[i].text));
  }
  buffer_.push_back(std::move(row));
  if (buffer_.size() >= kBufferedRows) Flush();
}

void Table::Flush() {
  if (!flushed_) PrintRow(headers_);
  flushed_ = true;
  for (const auto& row : buffer_) PrintRow(row);
  buffer_.clear();
}

void Table::Finish() { Flush(); }

void Table::PrintRow(const std::vector<Cell>& row) {
  std::string line;
  for (size_t i = 0; i < row.size(); ++i) {
    const Cell& c = row[i];
    absl::StrAppend(&line, color_ ? Colored(c.text, c.color) : c.text);
    if (i + 1 < row.size()) {
      const size_t w = DisplayWidth(c.text);
      line.append(widths_[i] > w ? widths_[i] - w + 2 : 2, ' ');
    }
  }
  while (!line.empty() && line.back() == ' ') line.pop_back();
  out_ << line << "\n";
}

}  // namespace secretctl
