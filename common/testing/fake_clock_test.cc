#include "common/testing/fake_clock.h"

#include "gtest/gtest.h"

namespace common::testing {
namespace {

TEST(FakeClockTest, TimeMovesOnlyWhenTold) {
  FakeClock clock(absl::FromUnixSeconds(100));
  EXPECT_EQ(clock.Now(), absl::FromUnixSeconds(100));
  EXPECT_EQ(clock.Now(), absl::FromUnixSeconds(100));
  clock.Advance(absl::Seconds(31));
  EXPECT_EQ(clock.Now(), absl::FromUnixSeconds(131));
  clock.SetTime(absl::FromUnixSeconds(5));
  EXPECT_EQ(clock.Now(), absl::FromUnixSeconds(5));
}

TEST(FakeClockTest, UsableThroughTheClockInterface) {
  FakeClock fake(absl::FromUnixSeconds(7));
  const Clock& clock = fake;
  EXPECT_EQ(absl::ToUnixSeconds(clock.Now()), 7);
}

}  // namespace
}  // namespace common::testing
