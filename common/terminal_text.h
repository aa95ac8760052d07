// Text from untrusted sources (audit logs, tokens, file names) made safe to
// print on a terminal: nothing it holds can move the cursor, change colours,
// set the window title, or reorder what is shown.
//
//   out << common::TerminalSafe(record.subject) << "\n";
//   out << common::TerminalSafeJson(claims.dump(2, ' ', false,
//                                   json::error_handler_t::replace)) << "\n";
//
// Unsafe characters are:
//   - C0 controls U+0000..U+001F, DEL U+007F, C1 controls U+0080..U+009F;
//   - bidirectional controls U+061C, U+200E, U+200F, U+202A..U+202E,
//     U+2066..U+2069;
//   - invisible format characters U+00AD, U+180E, U+200B..U+200D,
//     U+2028..U+2029, U+2060..U+2064, U+206A..U+206F, U+FEFF,
//     U+FFF9..U+FFFB, U+E0001, U+E0020..U+E007F;
//   - bytes that are not part of a valid UTF-8 sequence (raw 0x80..0xFF,
//     overlong forms, surrogates, code points above U+10FFFF).
// Everything else (printable ASCII, and valid UTF-8 of other code points)
// passes unchanged. Thread-safe (pure functions).
#ifndef SECRETD_COMMON_TERMINAL_TEXT_H_
#define SECRETD_COMMON_TERMINAL_TEXT_H_

#include <cstdint>
#include <string>

#include "absl/strings/string_view.h"

namespace common {

// True for the unsafe code points listed above.
bool IsUnsafeCodePoint(uint32_t code_point);

// `text` with every unsafe character shown as a visible escape: an ASCII
// control, DEL or a byte of invalid UTF-8 as \xNN (two lower-case hex
// digits), any other unsafe code point as \u{NNNN} (upper-case hex, at least
// four digits). "a\x1b[2J" comes out as the 8 characters a\x1b[2J.
std::string TerminalSafe(absl::string_view text);

// JSON text (from a serializer, or a line read from a log) with every unsafe
// character inside its strings written as a JSON escape \uNNNN (a UTF-16
// surrogate pair above U+FFFF), and every invalid UTF-8 byte inside a string
// as \ufffd. Outside strings, tabs and carriage returns become spaces and any
// other control or non-ASCII byte (never there in valid JSON) becomes a
// space; spaces and "\n" stay. Escapes already in the text stay as they are.
// For valid JSON the result is valid JSON of the same value (invalid UTF-8
// aside), byte for byte the input when it holds nothing unsafe.
std::string TerminalSafeJson(absl::string_view json);

}  // namespace common

#endif  // SECRETD_COMMON_TERMINAL_TEXT_H_
