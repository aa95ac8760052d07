#include "common/terminal_text.h"

#include "absl/strings/str_format.h"

namespace common {
namespace {

bool IsContinuation(unsigned char c) { return (c & 0xC0) == 0x80; }

// Decodes the UTF-8 sequence at text[pos]. Returns its length (1 to 4) and
// sets `cp`, or 0 if the bytes there are not a valid sequence (RFC 3629: no
// overlong forms, no surrogates, nothing above U+10FFFF).
size_t DecodeUtf8(absl::string_view text, size_t pos, uint32_t* cp) {
  const auto at = [&](size_t i) {
    return static_cast<unsigned char>(text[pos + i]);
  };
  const unsigned char c = at(0);
  const size_t left = text.size() - pos;
  if (c < 0x80) {
    *cp = c;
    return 1;
  }
  if (c >= 0xC2 && c <= 0xDF) {
    if (left < 2 || !IsContinuation(at(1))) return 0;
    *cp = (uint32_t{c} & 0x1F) << 6 | (at(1) & 0x3F);
    return 2;
  }
  if (c >= 0xE0 && c <= 0xEF) {
    if (left < 3 || !IsContinuation(at(1)) || !IsContinuation(at(2))) {
      return 0;
    }
    if ((c == 0xE0 && at(1) < 0xA0) || (c == 0xED && at(1) > 0x9F)) return 0;
    *cp = (uint32_t{c} & 0x0F) << 12 | (uint32_t{at(1)} & 0x3F) << 6 |
          (at(2) & 0x3F);
    return 3;
  }
  if (c >= 0xF0 && c <= 0xF4) {
    if (left < 4 || !IsContinuation(at(1)) || !IsContinuation(at(2)) ||
        !IsContinuation(at(3))) {
      return 0;
    }
    if ((c == 0xF0 && at(1) < 0x90) || (c == 0xF4 && at(1) > 0x8F)) return 0;
    *cp = (uint32_t{c} & 0x07) << 18 | (uint32_t{at(1)} & 0x3F) << 12 |
          (uint32_t{at(2)} & 0x3F) << 6 | (at(3) & 0x3F);
    return 4;
  }
  return 0;
}

bool IsPrintableAscii(unsigned char c) { return c >= 0x20 && c < 0x7F; }

void AppendJsonEscape(uint32_t unit, std::string* out) {
  absl::StrAppendFormat(out, "\\u%04x", unit);
}

}  // namespace

bool IsUnsafeCodePoint(uint32_t cp) {
  if (cp < 0x20 || (cp >= 0x7F && cp <= 0x9F)) return true;  // C0, DEL, C1
  if (cp < 0xAD) return false;
  switch (cp) {
    case 0x00AD:   // soft hyphen
    case 0x061C:   // arabic letter mark
    case 0x180E:   // mongolian vowel separator
    case 0xFEFF:   // zero width no-break space (BOM)
    case 0xE0001:  // language tag
      return true;
    default:
      break;
  }
  return (cp >= 0x200B && cp <= 0x200F) ||  // zero width, LRM, RLM
         (cp >= 0x2028 && cp <= 0x202E) ||  // separators, LRE..RLO
         (cp >= 0x2060 && cp <= 0x2064) ||  // word joiner, invisibles
         (cp >= 0x2066 && cp <= 0x206F) ||  // LRI..PDI, deprecated
         (cp >= 0xFFF9 && cp <= 0xFFFB) ||  // interlinear annotation
         (cp >= 0xE0020 && cp <= 0xE007F);  // tag characters
}

std::string TerminalSafe(absl::string_view text) {
  std::string out;
  out.reserve(text.size());
  size_t i = 0;
  while (i < text.size()) {
    const unsigned char c = static_cast<unsigned char>(text[i]);
    if (IsPrintableAscii(c)) {
      out.push_back(static_cast<char>(c));
      ++i;
      continue;
    }
    uint32_t cp = 0;
    const size_t len = DecodeUtf8(text, i, &cp);
    if (len == 0 || (len == 1 && IsUnsafeCodePoint(cp))) {
      absl::StrAppendFormat(&out, "\\x%02x", c);
      ++i;
    } else if (IsUnsafeCodePoint(cp)) {
      absl::StrAppendFormat(&out, "\\u{%04X}", cp);
      i += len;
    } else {
      out.append(text.data() + i, len);
      i += len;
    }
  }
  return out;
}

std::string TerminalSafeJson(absl::string_view json) {
  std::string out;
  out.reserve(json.size());
  bool in_string = false;
  size_t i = 0;
  while (i < json.size()) {
    const unsigned char c = static_cast<unsigned char>(json[i]);
    if (!in_string) {
      if (c == '"') in_string = true;
      out.push_back(IsPrintableAscii(c) || c == '\n' ? static_cast<char>(c)
                                                     : ' ');
      ++i;
      continue;
    }
    if (c == '"') {
      in_string = false;
      out.push_back('"');
      ++i;
      continue;
    }
    if (c == '\\') {
      // An escape: keep it (its second character is printable ASCII in
      // valid JSON; anything else is handled on its own below).
      if (i + 1 < json.size() &&
          IsPrintableAscii(static_cast<unsigned char>(json[i + 1]))) {
        out.append(json.data() + i, 2);
        i += 2;
      } else {
        out.append("\\\\");
        ++i;
      }
      continue;
    }
    if (IsPrintableAscii(c)) {
      out.push_back(static_cast<char>(c));
      ++i;
      continue;
    }
    uint32_t cp = 0;
    const size_t len = DecodeUtf8(json, i, &cp);
    if (len == 0) {
      AppendJsonEscape(0xFFFD, &out);
      ++i;
    } else if (IsUnsafeCodePoint(cp)) {
      if (cp > 0xFFFF) {
        const uint32_t v = cp - 0x10000;
        AppendJsonEscape(0xD800 + (v >> 10), &out);
        AppendJsonEscape(0xDC00 + (v & 0x3FF), &out);
      } else {
        AppendJsonEscape(cp, &out);
      }
      i += len;
    } else {
      out.append(json.data() + i, len);
      i += len;
    }
  }
  return out;
}

}  // namespace common
