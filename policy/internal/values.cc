#include "policy/internal/values.h"

#include <arpa/inet.h>

#include <algorithm>
#include <cstring>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"

namespace policy::internal {
namespace {

bool IsDigit(char c) { return c >= '0' && c <= '9'; }

// Reads exactly `n` digits at text[*pos] into *out.
bool ReadDigits(absl::string_view text, size_t* pos, int n, int* out) {
  if (*pos + n > text.size()) return false;
  int v = 0;
  for (int i = 0; i < n; ++i) {
    char c = text[*pos + i];
    if (!IsDigit(c)) return false;
    v = v * 10 + (c - '0');
  }
  *pos += n;
  *out = v;
  return true;
}

bool Consume(absl::string_view text, size_t* pos, char c) {
  if (*pos < text.size() && text[*pos] == c) {
    ++*pos;
    return true;
  }
  return false;
}

// Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's
// days_from_civil).
int64_t DaysFromCivil(int64_t y, int m, int d) {
  y -= m <= 2;
  const int64_t era = (y >= 0 ? y : y - 399) / 400;
  const int64_t yoe = y - era * 400;
  const int64_t doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
  const int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + doe - 719468;
}

bool IsLeap(int y) { return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0; }

int DaysInMonth(int y, int m) {
  static constexpr int kDays[] = {31, 28, 31, 30, 31, 30,
                                  31, 31, 30, 31, 30, 31};
  return m == 2 && IsLeap(y) ? 29 : kDays[m - 1];
}

std::optional<Instant> ParseEpoch(absl::string_view text) {
  size_t pos = 0;
  bool negative = Consume(text, &pos, '-');
  size_t start = pos;
  int64_t seconds = 0;
  while (pos < text.size() && IsDigit(text[pos])) {
    if (pos - start >= 15) return std::nullopt;
    seconds = seconds * 10 + (text[pos] - '0');
    ++pos;
  }
  if (pos == start) return std::nullopt;
  int64_t nanos = 0;
  if (Consume(text, &pos, '.')) {
    size_t fstart = pos;
    int64_t scale = 100000000;
    while (pos < text.size() && IsDigit(text[pos])) {
      if (pos - fstart >= 9) return std::nullopt;
      nanos += (text[pos] - '0') * scale;
      scale /= 10;
      ++pos;
    }
    if (pos == fstart) return std::nullopt;
  }
  if (pos != text.size()) return std::nullopt;
  Instant out;
  if (negative) {
    out.seconds = -seconds;
    if (nanos > 0) {
      out.seconds -= 1;
      nanos = 1000000000 - nanos;
    }
  } else {
    out.seconds = seconds;
  }
  out.nanos = static_cast<int32_t>(nanos);
  return out;
}

// hh:mm[:ss[.fff]] (extended) or hhmm[ss] (basic); then the zone.
bool ParseTimeAndZone(absl::string_view text, size_t* pos, bool basic,
                      int64_t* seconds_of_day, int32_t* nanos,
                      int64_t* offset_seconds) {
  int hh, mm, ss = 0;
  if (!ReadDigits(text, pos, 2, &hh)) return false;
  if (!basic && !Consume(text, pos, ':')) return false;
  if (!ReadDigits(text, pos, 2, &mm)) return false;
  bool has_seconds = basic ? (*pos < text.size() && IsDigit(text[*pos]))
                           : Consume(text, pos, ':');
  int64_t frac = 0;
  if (has_seconds) {
    if (!ReadDigits(text, pos, 2, &ss)) return false;
    if (!basic && Consume(text, pos, '.')) {
      size_t fstart = *pos;
      int64_t scale = 100000000;
      while (*pos < text.size() && IsDigit(text[*pos])) {
        if (*pos - fstart < 9) frac += (text[*pos] - '0') * scale;
        scale /= 10;
        ++*pos;
      }
      if (*pos == fstart) return false;
    }
  }
  if (hh > 23 || mm > 59 || ss > 59) return false;
  *seconds_of_day = hh * 3600 + mm * 60 + ss;
  *nanos = static_cast<int32_t>(frac);
  *offset_seconds = 0;
  if (*pos == text.size()) return true;  // no zone: UTC
  char z = text[*pos];
  if (z == 'Z' || z == 'z') {
    ++*pos;
    return *pos == text.size();
  }
  if (basic || (z != '+' && z != '-')) return false;
  ++*pos;
  int oh, om = 0;
  if (!ReadDigits(text, pos, 2, &oh)) return false;
  if (*pos < text.size()) {
    Consume(text, pos, ':');
    if (!ReadDigits(text, pos, 2, &om)) return false;
  }
  if (*pos != text.size() || oh > 23 || om > 59) return false;
  *offset_seconds = (z == '+' ? 1 : -1) * (oh * 3600 + om * 60);
  return true;
}

std::optional<Instant> ParseIso8601(absl::string_view text) {
  size_t pos = 0;
  int year, month, day = 1;
  if (!ReadDigits(text, &pos, 4, &year)) return std::nullopt;
  bool basic = pos < text.size() && IsDigit(text[pos]);
  if (!basic && !Consume(text, &pos, '-')) return std::nullopt;
  if (!ReadDigits(text, &pos, 2, &month)) return std::nullopt;
  if (month < 1 || month > 12) return std::nullopt;
  bool has_day = basic || Consume(text, &pos, '-');
  if (has_day) {
    if (!ReadDigits(text, &pos, 2, &day)) return std::nullopt;
    if (day < 1 || day > DaysInMonth(year, month)) return std::nullopt;
  } else if (pos != text.size()) {
    return std::nullopt;  // YYYY-MM only
  }
  int64_t seconds_of_day = 0, offset = 0;
  int32_t nanos = 0;
  if (pos < text.size()) {
    if (!has_day || (text[pos] != 'T' && text[pos] != 't')) return std::nullopt;
    ++pos;
    if (!ParseTimeAndZone(text, &pos, basic, &seconds_of_day, &nanos,
                          &offset)) {
      return std::nullopt;
    }
  } else if (basic) {
    return std::nullopt;  // YYYYMMDD alone reads as epoch seconds
  }
  Instant out;
  out.seconds =
      DaysFromCivil(year, month, day) * 86400 + seconds_of_day - offset;
  out.nanos = nanos;
  return out;
}

}  // namespace

std::optional<Decimal> ParseDecimal(absl::string_view text) {
  size_t pos = 0;
  Decimal d;
  if (pos < text.size() && (text[pos] == '+' || text[pos] == '-')) {
    d.negative = text[pos] == '-';
    ++pos;
  }
  // Collect digits of the integer and fraction parts.
  bool seen_digit = false, seen_nonzero = false;
  int32_t int_digits = 0;  // significant digits before the point
  int32_t leading_fraction_zeros = 0;
  bool in_fraction = false;
  for (; pos < text.size(); ++pos) {
    char c = text[pos];
    if (c == '.') {
      if (in_fraction) return std::nullopt;
      in_fraction = true;
      continue;
    }
    if (!IsDigit(c)) break;
    seen_digit = true;
    if (c == '0' && !seen_nonzero) {
      if (in_fraction) ++leading_fraction_zeros;
      continue;
    }
    seen_nonzero = true;
    if (d.num_digits >= Decimal::kMaxDigits) {
      // Only zeros may follow the 40 significant digits.
      if (c != '0') return std::nullopt;
      if (!in_fraction) ++int_digits;
      continue;
    }
    d.digits[d.num_digits++] = c;
    if (!in_fraction) ++int_digits;
  }
  if (!seen_digit) return std::nullopt;
  int64_t exp10 = 0;
  if (pos < text.size() && (text[pos] == 'e' || text[pos] == 'E')) {
    ++pos;
    bool neg_exp = false;
    if (pos < text.size() && (text[pos] == '+' || text[pos] == '-')) {
      neg_exp = text[pos] == '-';
      ++pos;
    }
    size_t start = pos;
    while (pos < text.size() && IsDigit(text[pos])) {
      exp10 = exp10 * 10 + (text[pos] - '0');
      if (exp10 > 100000) return std::nullopt;
      ++pos;
    }
    if (pos == start) return std::nullopt;
    if (neg_exp) exp10 = -exp10;
  }
  if (pos != text.size()) return std::nullopt;
  // Drop trailing zeros of the significant digits.
  while (d.num_digits > 0 && d.digits[d.num_digits - 1] == '0') --d.num_digits;
  if (d.num_digits == 0) {
    d.negative = false;
    d.exponent = 0;
    return d;
  }
  int64_t exponent =
      (int_digits > 0 ? int_digits : -leading_fraction_zeros) + exp10;
  d.exponent = static_cast<int32_t>(exponent);
  return d;
}

Decimal DecimalFromInt(int64_t v) {
  char buf[24];
  int n = 0;
  uint64_t u = v < 0 ? 0 - static_cast<uint64_t>(v) : static_cast<uint64_t>(v);
  do {
    buf[n++] = static_cast<char>('0' + u % 10);
    u /= 10;
  } while (u != 0);
  Decimal d;
  d.negative = v < 0;
  d.exponent = n;
  for (int i = n - 1; i >= 0; --i) d.digits[d.num_digits++] = buf[i];
  while (d.num_digits > 0 && d.digits[d.num_digits - 1] == '0') --d.num_digits;
  if (d.num_digits == 0) d = Decimal();
  return d;
}

int CompareDecimal(const Decimal& a, const Decimal& b) {
  const bool a_zero = a.num_digits == 0, b_zero = b.num_digits == 0;
  if (a_zero && b_zero) return 0;
  const int a_sign = a_zero ? 0 : (a.negative ? -1 : 1);
  const int b_sign = b_zero ? 0 : (b.negative ? -1 : 1);
  if (a_sign != b_sign) return a_sign < b_sign ? -1 : 1;
  // Same non-zero sign: compare magnitudes, then flip for negatives.
  int magnitude;
  if (a.exponent != b.exponent) {
    magnitude = a.exponent < b.exponent ? -1 : 1;
  } else {
    const int n = std::min(a.num_digits, b.num_digits);
    int c = std::memcmp(a.digits.data(), b.digits.data(), n);
    if (c != 0) {
      magnitude = c < 0 ? -1 : 1;
    } else if (a.num_digits != b.num_digits) {
      magnitude = a.num_digits < b.num_digits ? -1 : 1;
    } else {
      magnitude = 0;
    }
  }
  return a_sign * magnitude;
}

int CompareInstant(const Instant& a, const Instant& b) {
  if (a.seconds != b.seconds) return a.seconds < b.seconds ? -1 : 1;
  if (a.nanos != b.nanos) return a.nanos < b.nanos ? -1 : 1;
  return 0;
}

std::optional<Instant> ParseInstant(absl::string_view text) {
  if (text.empty()) return std::nullopt;
  // All digits (with an optional sign and fraction) is epoch seconds; the ISO
  // forms always contain '-' after four digits or a 'T'.
  bool epoch_like = true;
  for (size_t i = 0; i < text.size(); ++i) {
    char c = text[i];
    if (!(IsDigit(c) || c == '.' || (i == 0 && c == '-'))) {
      epoch_like = false;
      break;
    }
  }
  if (epoch_like) return ParseEpoch(text);
  return ParseIso8601(text);
}

std::optional<Instant> InstantFromDecimal(const Decimal& d) {
  // Write the decimal out as [-]digits[.digits] and reuse ParseEpoch, which
  // bounds the magnitude and the fraction.
  if (d.num_digits == 0) return Instant();
  if (d.exponent > 15 || d.exponent < -9) return std::nullopt;
  char buf[64];
  size_t n = 0;
  if (d.negative) buf[n++] = '-';
  if (d.exponent <= 0) {
    buf[n++] = '0';
    buf[n++] = '.';
    for (int i = 0; i < -d.exponent; ++i) buf[n++] = '0';
    for (int i = 0; i < d.num_digits; ++i) buf[n++] = d.digits[i];
  } else {
    for (int i = 0; i < d.exponent; ++i) {
      buf[n++] = i < d.num_digits ? d.digits[i] : '0';
    }
    if (d.num_digits > d.exponent) {
      buf[n++] = '.';
      for (int i = d.exponent; i < d.num_digits; ++i) buf[n++] = d.digits[i];
    }
  }
  return ParseEpoch(absl::string_view(buf, n));
}

Instant InstantFromTime(absl::Time t) {
  Instant out;
  out.seconds = absl::ToUnixSeconds(t);
  absl::Duration rest = t - absl::FromUnixSeconds(out.seconds);
  if (rest < absl::ZeroDuration()) {
    out.seconds -= 1;
    rest += absl::Seconds(1);
  }
  out.nanos = static_cast<int32_t>(absl::ToInt64Nanoseconds(rest));
  return out;
}

bool IpRange::Contains(const IpRange& address) const {
  if (v6 != address.v6) return false;
  const int full = prefix / 8, rest = prefix % 8;
  if (std::memcmp(bytes.data(), address.bytes.data(), full) != 0) {
    return false;
  }
  if (rest == 0) return true;
  const uint8_t mask = static_cast<uint8_t>(0xff << (8 - rest));
  return (bytes[full] & mask) == (address.bytes[full] & mask);
}

std::optional<IpRange> ParseIpRange(absl::string_view text) {
  absl::string_view address = text;
  std::optional<int> prefix;
  size_t slash = text.find('/');
  if (slash != absl::string_view::npos) {
    address = text.substr(0, slash);
    absl::string_view p = text.substr(slash + 1);
    if (p.empty() || p.size() > 3) return std::nullopt;
    int v = 0;
    for (char c : p) {
      if (!IsDigit(c)) return std::nullopt;
      v = v * 10 + (c - '0');
    }
    prefix = v;
  }
  if (address.empty() || address.size() > 45) return std::nullopt;
  char buf[46];
  std::memcpy(buf, address.data(), address.size());
  buf[address.size()] = '\0';
  IpRange r;
  if (address.find(':') != absl::string_view::npos) {
    if (inet_pton(AF_INET6, buf, r.bytes.data()) != 1) return std::nullopt;
    r.v6 = true;
    if (prefix.has_value() && *prefix > 128) return std::nullopt;
    r.prefix = static_cast<uint8_t>(prefix.value_or(128));
    static constexpr uint8_t kMapped[12] = {0, 0, 0, 0, 0,    0,
                                            0, 0, 0, 0, 0xff, 0xff};
    if (r.prefix >= 96 && std::memcmp(r.bytes.data(), kMapped, 12) == 0) {
      std::memmove(r.bytes.data(), r.bytes.data() + 12, 4);
      std::memset(r.bytes.data() + 4, 0, 12);
      r.v6 = false;
      r.prefix = static_cast<uint8_t>(r.prefix - 96);
    }
  } else {
    if (inet_pton(AF_INET, buf, r.bytes.data()) != 1) return std::nullopt;
    if (prefix.has_value() && *prefix > 32) return std::nullopt;
    r.prefix = static_cast<uint8_t>(prefix.value_or(32));
  }
  // Clear the host bits so that equal ranges compare equal.
  for (int bit = r.prefix; bit < 128; ++bit) {
    r.bytes[bit / 8] &= static_cast<uint8_t>(~(0x80 >> (bit % 8)));
  }
  return r;
}

std::optional<bool> ParseBool(absl::string_view text) {
  if (absl::EqualsIgnoreCase(text, "true")) return true;
  if (absl::EqualsIgnoreCase(text, "false")) return false;
  return std::nullopt;
}

}  // namespace policy::internal
