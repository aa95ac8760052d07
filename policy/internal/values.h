// Typed condition values of the policy language: exact decimal numbers,
// instants (ISO 8601 forms or epoch seconds), IP addresses and CIDR ranges,
// and booleans. Each parser takes text and returns std::nullopt when the text
// is not a value of that type; none allocates.
//
//   std::optional<Decimal> a = ParseDecimal("10.50");  // == 10.5, exactly
//   std::optional<Instant> t = ParseInstant("2024-06-01T10:15:00+02:00");
//   std::optional<IpRange> r = ParseIpRange("10.0.0.0/8");
//   r->Contains(*ParseIpRange("10.1.2.3"));             // true
//
// Internal to policy/. Thread-safe (pure functions over values).
#ifndef SECRETD_POLICY_INTERNAL_VALUES_H_
#define SECRETD_POLICY_INTERNAL_VALUES_H_

#include <array>
#include <cstdint>
#include <optional>

#include "absl/strings/string_view.h"
#include "absl/time/time.h"

namespace policy::internal {

// A decimal number held exactly: value = (neg ? -1 : 1) * 0.d1d2...dn *
// 10^exponent, with no leading or trailing zero digits (n == 0 is zero).
struct Decimal {
  static constexpr int kMaxDigits = 40;
  bool negative = false;
  int32_t exponent = 0;
  uint8_t num_digits = 0;
  std::array<char, kMaxDigits> digits{};
};

// Accepts [+-]digits[.digits][(e|E)[+-]digits] (digits may be absent on one
// side of the point, not both), at most 40 significant digits and an exponent
// within +-100000. No surrounding whitespace.
std::optional<Decimal> ParseDecimal(absl::string_view text);
Decimal DecimalFromInt(int64_t v);
// <0, 0, >0 as a is less than, equal to or greater than b.
int CompareDecimal(const Decimal& a, const Decimal& b);

// An instant: seconds since the Unix epoch plus nanoseconds in [0, 1e9).
struct Instant {
  int64_t seconds = 0;
  int32_t nanos = 0;
};
int CompareInstant(const Instant& a, const Instant& b);

// Accepts epoch seconds ([-]digits[.digits], at most 9 fraction digits) and
// the ISO 8601 forms of the W3C profile: YYYY-MM, YYYY-MM-DD,
// YYYY-MM-DDThh:mm[:ss[.fff]][Z|+hh:mm|-hh:mm|+hhmm|+hh], and the basic form
// YYYYMMDDThhmm[ss][Z]. A date-time without a zone is UTC. Years 0000-9999.
std::optional<Instant> ParseInstant(absl::string_view text);
std::optional<Instant> InstantFromDecimal(const Decimal& d);
Instant InstantFromTime(absl::Time t);

// An IPv4 or IPv6 address range. A plain address is a range of one address
// (/32 or /128). IPv4-mapped IPv6 addresses (::ffff:a.b.c.d) are IPv4.
struct IpRange {
  bool v6 = false;
  uint8_t prefix = 0;               // significant leading bits
  std::array<uint8_t, 16> bytes{};  // IPv4 uses the first 4; host bits zero
  // True when `address` (a single address) lies inside this range.
  bool Contains(const IpRange& address) const;
};
std::optional<IpRange> ParseIpRange(absl::string_view text);

// "true" / "false", case-insensitively.
std::optional<bool> ParseBool(absl::string_view text);

}  // namespace policy::internal

#endif  // SECRETD_POLICY_INTERNAL_VALUES_H_
