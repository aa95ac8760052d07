#include "policy/internal/values.h"

#include <string>

#include "absl/time/time.h"
#include "gtest/gtest.h"

namespace policy::internal {
namespace {

int CompareText(absl::string_view a, absl::string_view b) {
  std::optional<Decimal> da = ParseDecimal(a), db = ParseDecimal(b);
  EXPECT_TRUE(da.has_value()) << a;
  EXPECT_TRUE(db.has_value()) << b;
  return CompareDecimal(*da, *db);
}

TEST(DecimalTest, EqualValuesWrittenDifferentlyCompareEqual) {
  EXPECT_EQ(CompareText("10", "10.0"), 0);
  EXPECT_EQ(CompareText("10", "1e1"), 0);
  EXPECT_EQ(CompareText("0.05", "5E-2"), 0);
  EXPECT_EQ(CompareText("-0", "0.000"), 0);
  EXPECT_EQ(CompareText("+7", "007"), 0);
  EXPECT_EQ(CompareText(".5", "0.50"), 0);
}

TEST(DecimalTest, OrderingIsExactBeyondDoublePrecision) {
  EXPECT_LT(CompareText("9007199254740992", "9007199254740993"), 0);
  EXPECT_LT(CompareText("0.1", "0.10000000000000000001"), 0);
  EXPECT_LT(CompareText("-2", "-1.5"), 0);
  EXPECT_LT(CompareText("-1", "0"), 0);
  EXPECT_GT(CompareText("100", "99.999"), 0);
  EXPECT_LT(CompareText("0.099", "0.1"), 0);
}

TEST(DecimalTest, NonNumbersAreRejected) {
  for (absl::string_view bad :
       {"", "-", ".", "1.2.3", "1e", "e5", "abc", "1 ", " 1", "0x10",
        "1e999999", "1,5", "Infinity", "NaN",
        "12345678901234567890123456789012345678901"}) {
    EXPECT_FALSE(ParseDecimal(bad).has_value()) << bad;
  }
}

TEST(DecimalTest, FromIntMatchesParsedText) {
  for (int64_t v :
       {int64_t{0}, int64_t{7}, int64_t{-120}, int64_t{9223372036854775807}}) {
    EXPECT_EQ(
        CompareDecimal(DecimalFromInt(v), *ParseDecimal(std::to_string(v))), 0)
        << v;
  }
}

Instant Parse(absl::string_view text) {
  std::optional<Instant> t = ParseInstant(text);
  EXPECT_TRUE(t.has_value()) << text;
  return t.value_or(Instant{});
}

TEST(InstantTest, IsoFormsAndEpochSecondsAgree) {
  const int64_t kJune1 = 1717200000;  // 2024-06-01T00:00:00Z
  EXPECT_EQ(Parse("2024-06-01").seconds, kJune1);
  EXPECT_EQ(Parse("2024-06").seconds, kJune1);
  EXPECT_EQ(Parse("2024-06-01T00:00:00Z").seconds, kJune1);
  EXPECT_EQ(Parse("2024-06-01T00:00Z").seconds, kJune1);
  EXPECT_EQ(Parse("2024-06-01T02:00:00+02:00").seconds, kJune1);
  EXPECT_EQ(Parse("2024-05-31T22:30:00-0130").seconds, kJune1);
  EXPECT_EQ(Parse("2024-06-01T05:00:00+05").seconds, kJune1);
  EXPECT_EQ(Parse("2024-06-01T00:00:00").seconds, kJune1);
  EXPECT_EQ(Parse("20240601T000000Z").seconds, kJune1);
  EXPECT_EQ(Parse("1717200000").seconds, kJune1);
  Instant frac = Parse("2024-06-01T00:00:00.25Z");
  EXPECT_EQ(frac.seconds, kJune1);
  EXPECT_EQ(frac.nanos, 250000000);
  Instant neg = Parse("-1.5");
  EXPECT_EQ(neg.seconds, -2);
  EXPECT_EQ(neg.nanos, 500000000);
}

TEST(InstantTest, InvalidDatesAreRejected) {
  for (absl::string_view bad :
       {"", "2024-13-01", "2024-02-30", "2023-02-29", "2024-06-01T24:00",
        "2024-06-01T10:60", "2024-06-01 10:00:00", "2024-06-01T10:00:00+24:00",
        "2024-6-1", "20240601", "yesterday", "1.1234567891",
        "2024-06-01T10:00:00ZZ"}) {
    // "20240601" is all digits: epoch seconds, a valid instant; skip it.
    if (bad == "20240601") continue;
    EXPECT_FALSE(ParseInstant(bad).has_value()) << bad;
  }
  EXPECT_TRUE(ParseInstant("2024-02-29").has_value());
  // All digits is epoch seconds, never a year (nor the basic YYYYMMDD).
  EXPECT_EQ(ParseInstant("2024")->seconds, 2024);
}

TEST(InstantTest, FromDecimalKeepsFractions) {
  std::optional<Instant> t = InstantFromDecimal(*ParseDecimal("1717200000.5"));
  ASSERT_TRUE(t.has_value());
  EXPECT_EQ(t->seconds, 1717200000);
  EXPECT_EQ(t->nanos, 500000000);
  EXPECT_FALSE(InstantFromDecimal(*ParseDecimal("1e30")).has_value());
}

TEST(InstantTest, FromTimeIsExact) {
  absl::Time t = absl::FromUnixSeconds(1717200000) + absl::Milliseconds(3);
  Instant i = InstantFromTime(t);
  EXPECT_EQ(i.seconds, 1717200000);
  EXPECT_EQ(i.nanos, 3000000);
}

bool InRange(absl::string_view range, absl::string_view address) {
  std::optional<IpRange> r = ParseIpRange(range), a = ParseIpRange(address);
  EXPECT_TRUE(r.has_value()) << range;
  EXPECT_TRUE(a.has_value()) << address;
  return r->Contains(*a);
}

TEST(IpRangeTest, CidrBlocksContainTheirAddresses) {
  EXPECT_TRUE(InRange("203.0.113.0/24", "203.0.113.7"));
  EXPECT_FALSE(InRange("203.0.113.0/24", "203.0.114.7"));
  EXPECT_TRUE(InRange("10.0.0.0/8", "10.255.1.2"));
  EXPECT_TRUE(InRange("0.0.0.0/0", "192.0.2.1"));
  EXPECT_TRUE(InRange("10.1.2.3/8", "10.9.9.9"));  // host bits ignored
  EXPECT_TRUE(InRange("2001:db8::/32", "2001:db8:1::5"));
  EXPECT_FALSE(InRange("2001:db8::/32", "2001:db9::5"));
  EXPECT_TRUE(InRange("2001:db8::/33", "2001:db8:7fff::1"));
  EXPECT_FALSE(InRange("2001:db8::/33", "2001:db8:8000::1"));
}

TEST(IpRangeTest, AddressWithoutPrefixIsASingleAddress) {
  EXPECT_TRUE(InRange("192.0.2.1", "192.0.2.1"));
  EXPECT_FALSE(InRange("192.0.2.1", "192.0.2.2"));
  EXPECT_TRUE(InRange("2001:db8::1", "2001:db8::1"));
  EXPECT_FALSE(InRange("2001:db8::1", "2001:db8::2"));
}

TEST(IpRangeTest, FamiliesDoNotMixButMappedAddressesAreIpv4) {
  EXPECT_FALSE(InRange("0.0.0.0/0", "::1"));
  EXPECT_FALSE(InRange("::/0", "127.0.0.1"));
  EXPECT_TRUE(InRange("192.0.2.0/24", "::ffff:192.0.2.9"));
}

TEST(IpRangeTest, MalformedAddressesAreRejected) {
  for (absl::string_view bad :
       {"", "10.0.0.0/33", "::/129", "10.0.0", "10.0.0.256", "10.0.0.0/",
        "10.0.0.0/abc", "fe80::1%eth0", "1.2.3.4/-1", "01.2.3.4", "host",
        "1.2.3.4/0008"}) {
    EXPECT_FALSE(ParseIpRange(bad).has_value()) << bad;
  }
}

TEST(BoolTest, AcceptsTrueAndFalseInAnyCase) {
  EXPECT_EQ(ParseBool("true"), true);
  EXPECT_EQ(ParseBool("FALSE"), false);
  EXPECT_EQ(ParseBool("True"), true);
  EXPECT_FALSE(ParseBool("yes").has_value());
  EXPECT_FALSE(ParseBool("1").has_value());
}

}  // namespace
}  // namespace policy::internal
