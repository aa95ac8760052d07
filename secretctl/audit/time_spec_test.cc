#include "secretctl/audit/time_spec.h"

#include "common/testing/status_matchers.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace secretctl {
namespace {

using ::common::testing::IsOkAndHolds;
using ::common::testing::StatusIs;

const absl::Time kNow = absl::FromUnixSeconds(1764135705);  // 05:41:45Z

TEST(TimeSpecTest, Rfc3339InAnyOffsetIsTheSameInstant) {
  EXPECT_THAT(ParseTimeSpec("2025-11-26T05:41:45Z", absl::InfinitePast()),
              IsOkAndHolds(kNow));
  EXPECT_THAT(ParseTimeSpec("2025-11-26T07:41:45+02:00", kNow),
              IsOkAndHolds(kNow));
  EXPECT_THAT(ParseTimeSpec("2025-11-26T05:41:45.250Z", kNow),
              IsOkAndHolds(kNow + absl::Milliseconds(250)));
}

TEST(TimeSpecTest, DateIsItsMidnightUtc) {
  EXPECT_THAT(ParseTimeSpec("2025-11-26", kNow),
              IsOkAndHolds(absl::FromUnixSeconds(1764115200)));
}

TEST(TimeSpecTest, BytesAfterANulAreNotIgnored) {
  EXPECT_THAT(ParseTimeSpec(absl::string_view("2025-11-26\0\xff", 12), kNow),
              StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(ParseTimeSpec(absl::string_view("00-11-26\0\xff", 10), kNow),
              StatusIs(absl::StatusCode::kInvalidArgument));
}

TEST(TimeSpecTest, NowAndDurationsCountBackFromNow) {
  EXPECT_THAT(ParseTimeSpec("now", kNow), IsOkAndHolds(kNow));
  EXPECT_THAT(ParseTimeSpec("90s", kNow),
              IsOkAndHolds(kNow - absl::Seconds(90)));
  EXPECT_THAT(ParseTimeSpec("15m", kNow),
              IsOkAndHolds(kNow - absl::Minutes(15)));
  EXPECT_THAT(ParseTimeSpec("24h", kNow), IsOkAndHolds(kNow - absl::Hours(24)));
  EXPECT_THAT(ParseTimeSpec("-24h", kNow),
              IsOkAndHolds(kNow - absl::Hours(24)));
  EXPECT_THAT(ParseTimeSpec("7d", kNow), IsOkAndHolds(kNow - absl::Hours(168)));
  EXPECT_THAT(ParseTimeSpec("2w", kNow), IsOkAndHolds(kNow - absl::Hours(336)));
  EXPECT_THAT(ParseTimeSpec("1h30m", kNow),
              IsOkAndHolds(kNow - absl::Minutes(90)));
}

TEST(TimeSpecTest, AnythingElseNamesTheAcceptedForms) {
  for (const char* bad :
       {"", "yesterday", "24", "h", "24x", "1.5h", "-", "2025-11-26 05:41:45",
        "2025-11-26t05:41:45z", "2025-13-01", "1234567890h", "Now", "25-11-26",
        "2025-11-26Z", "2025-11-26T05:41:45", "2025-11-26T05:41:45.Z",
        "2025-11-26T05:41:45+0200", " 2025-11-26"}) {
    EXPECT_THAT(ParseTimeSpec(bad, kNow),
                StatusIs(absl::StatusCode::kInvalidArgument,
                         ::testing::HasSubstr("use RFC 3339")))
        << bad;
  }
}

}  // namespace
}  // namespace secretctl
