#include "common/time_format.h"

#include <cstdint>
#include <random>
#include <vector>

#include "gtest/gtest.h"

namespace common {
namespace {

std::string Reference(absl::Time t) {
  return absl::FormatTime("%Y-%m-%dT%H:%M:%E3SZ", t, absl::UTCTimeZone());
}

TEST(TimeFormatTest, FormatsMillisecondsInUtc) {
  EXPECT_EQ(FormatRfc3339Millis(absl::FromUnixMillis(1764135705123)),
            "2025-11-26T05:41:45.123Z");
  EXPECT_EQ(FormatRfc3339Millis(absl::UnixEpoch()), "1970-01-01T00:00:00.000Z");
}

TEST(TimeFormatTest, TruncatesSubMillisecondsLikeAbsl) {
  const absl::Time t =
      absl::FromUnixMillis(1764135705123) + absl::Microseconds(999);
  EXPECT_EQ(FormatRfc3339Millis(t), "2025-11-26T05:41:45.123Z");
  EXPECT_EQ(FormatRfc3339Millis(t), Reference(t));
}

TEST(TimeFormatTest, AgreesWithAbslFormatTimeEverywhere) {
  std::mt19937_64 rng(7);
  // Leap days, year ends, the fast path's edges and random instants.
  std::vector<absl::Time> times = {
      absl::FromCivil(absl::CivilSecond(2024, 2, 29, 23, 59, 59),
                      absl::UTCTimeZone()),
      absl::FromCivil(absl::CivilSecond(2000, 3, 1, 0, 0, 0),
                      absl::UTCTimeZone()),
      absl::FromCivil(absl::CivilSecond(2100, 2, 28, 12, 0, 0),
                      absl::UTCTimeZone()),
      absl::FromCivil(absl::CivilSecond(1999, 12, 31, 23, 59, 59),
                      absl::UTCTimeZone()) +
          absl::Milliseconds(999),
      absl::FromCivil(absl::CivilSecond(9999, 12, 31, 23, 59, 59),
                      absl::UTCTimeZone()) +
          absl::Nanoseconds(999999999),
      absl::FromCivil(absl::CivilSecond(10000, 1, 1, 0, 0, 0),
                      absl::UTCTimeZone()),
      absl::UnixEpoch() - absl::Nanoseconds(1),
      absl::FromUnixSeconds(-86400 * 400),
      absl::InfinitePast(),
      absl::InfiniteFuture(),
  };
  for (int i = 0; i < 100000; ++i) {
    // Any instant up to about year 2500, to the nanosecond.
    times.push_back(absl::FromUnixSeconds(
                        static_cast<int64_t>(rng() % uint64_t{16725225600})) +
                    absl::Nanoseconds(rng() % 1000000000));
  }
  for (absl::Time t : times) {
    ASSERT_EQ(FormatRfc3339Millis(t), Reference(t)) << t;
  }
}

TEST(TimeFormatTest, AppendsToWhatIsThere) {
  std::string s = "at ";
  AppendRfc3339Millis(absl::FromUnixMillis(1), &s);
  EXPECT_EQ(s, "at 1970-01-01T00:00:00.001Z");
}

}  // namespace
}  // namespace common
