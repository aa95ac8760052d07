// Properties of common/terminal_text.h, on any bytes:
// 1. TerminalSafe leaves nothing unsafe: its output is printable ASCII and
//    valid UTF-8 of safe code points (so it is its own TerminalSafe), and
//    text with nothing unsafe comes out unchanged.
// 2. TerminalSafeJson of valid JSON is valid JSON of the same value, with
//    nothing unsafe left but the "\n" between lines.
#include <cstdint>
#include <cstdlib>
#include <string>

#include "absl/strings/str_split.h"
#include "absl/strings/string_view.h"
#include "common/terminal_text.h"
#include "nlohmann/json.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const absl::string_view input(reinterpret_cast<const char*>(data), size);

  const std::string safe = common::TerminalSafe(input);
  if (common::TerminalSafe(safe) != safe) std::abort();
  for (char c : safe) {
    const unsigned char u = static_cast<unsigned char>(c);
    if (u < 0x20 || u == 0x7f) std::abort();
  }
  // Input with no unsafe byte at all passes unchanged: nothing is escaped
  // needlessly (a backslash in the input is not an escape).
  if (safe.find('\\') == std::string::npos &&
      input.find('\\') == absl::string_view::npos && safe != input) {
    std::abort();
  }

  // nlohmann's parser takes a NUL byte for the end of the input; JSON has
  // no raw NUL, so such inputs say nothing about TerminalSafeJson.
  if (input.find('\0') != absl::string_view::npos) return 0;
  const nlohmann::json before = nlohmann::json::parse(input, nullptr, false);
  if (before.is_discarded()) return 0;
  const std::string json = common::TerminalSafeJson(input);
  const nlohmann::json after = nlohmann::json::parse(json, nullptr, false);
  if (after.is_discarded() || after != before) std::abort();
  for (absl::string_view line : absl::StrSplit(json, '\n')) {
    if (common::TerminalSafe(line) != line) std::abort();
  }
  return 0;
}
