#include "secretctl/audit/time_spec.h"

#include <string>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"

namespace secretctl {
namespace {

// "1h30m", "7d": a sum of <digits><unit>. False if `text` is not one.
bool ParseRelative(absl::string_view text, absl::Duration* out) {
  if (!text.empty() && text[0] == '-') text.remove_prefix(1);
  if (text.empty()) return false;
  absl::Duration total;
  while (!text.empty()) {
    int64_t n = 0;
    size_t digits = 0;
    while (digits < text.size() && absl::ascii_isdigit(text[digits])) {
      if (digits == 9) return false;  // a billion of anything is no window
      n = n * 10 + (text[digits] - '0');
      ++digits;
    }
    if (digits == 0 || digits == text.size()) return false;
    switch (text[digits]) {
      case 's':
        total += absl::Seconds(n);
        break;
      case 'm':
        total += absl::Minutes(n);
        break;
      case 'h':
        total += absl::Hours(n);
        break;
      case 'd':
        total += absl::Hours(24 * n);
        break;
      case 'w':
        total += absl::Hours(24 * 7 * n);
        break;
      default:
        return false;
    }
    text.remove_prefix(digits + 1);
  }
  *out = total;
  return true;
}

// Consumes `n` ASCII digits.
bool Digits(absl::string_view& s, size_t n) {
  if (s.size() < n) return false;
  for (size_t i = 0; i < n; ++i) {
    if (!absl::ascii_isdigit(s[i])) return false;
  }
  s.remove_prefix(n);
  return true;
}

bool Char(absl::string_view& s, char c) {
  if (s.empty() || s[0] != c) return false;
  s.remove_prefix(1);
  return true;
}

// YYYY-MM-DD, nothing else (absl's parser alone would stop at a NUL).
bool IsDate(absl::string_view s) {
  return Digits(s, 4) && Char(s, '-') && Digits(s, 2) && Char(s, '-') &&
         Digits(s, 2) && s.empty();
}

// YYYY-MM-DDTHH:MM:SS[.fraction](Z|+HH:MM|-HH:MM), upper-case T and Z.
bool IsRfc3339(absl::string_view s) {
  if (!(Digits(s, 4) && Char(s, '-') && Digits(s, 2) && Char(s, '-') &&
        Digits(s, 2) && Char(s, 'T') && Digits(s, 2) && Char(s, ':') &&
        Digits(s, 2) && Char(s, ':') && Digits(s, 2))) {
    return false;
  }
  if (Char(s, '.')) {
    size_t n = 0;
    while (n < s.size() && n < 9 && absl::ascii_isdigit(s[n])) ++n;
    if (n == 0) return false;
    s.remove_prefix(n);
  }
  if (Char(s, 'Z')) return s.empty();
  if (!Char(s, '+') && !Char(s, '-')) return false;
  return Digits(s, 2) && Char(s, ':') && Digits(s, 2) && s.empty();
}

}  // namespace

absl::StatusOr<absl::Time> ParseTimeSpec(absl::string_view text,
                                         absl::Time now) {
  if (text == "now") return now;
  absl::Duration ago;
  if (ParseRelative(text, &ago)) return now - ago;
  absl::Time t;
  std::string err;
  if (IsDate(text) && absl::ParseTime("%Y-%m-%d", std::string(text),
                                      absl::UTCTimeZone(), &t, &err)) {
    return t;
  }
  if (IsRfc3339(text) &&
      absl::ParseTime(absl::RFC3339_full, std::string(text), &t, &err)) {
    return t;
  }
  return absl::InvalidArgumentError(absl::StrCat(
      "\"", text,
      "\" is not a time; use RFC 3339 (2026-11-26T05:41:45Z), a date "
      "(2026-11-26), \"now\", or a duration before now (90m, 24h, 7d)"));
}

}  // namespace secretctl
