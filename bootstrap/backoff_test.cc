#include "bootstrap/backoff.h"

#include <random>

#include "absl/random/random.h"
#include "gtest/gtest.h"

namespace bootstrap {
namespace {

TEST(BackoffTest, DelaysDoubleWithinHalfToFullAndStopAtTheMax) {
  std::mt19937_64 gen(42);
  Backoff backoff(BackoffOptions{absl::Milliseconds(100), absl::Seconds(1), 2},
                  gen);
  const int64_t expected_base_ms[] = {100, 200, 400, 800, 1000, 1000};
  for (int64_t base : expected_base_ms) {
    absl::Duration d = backoff.Next();
    EXPECT_GE(d, absl::Milliseconds(base) / 2) << base;
    EXPECT_LE(d, absl::Milliseconds(base)) << base;
  }
}

TEST(BackoffTest, JitterSpreadsTheDelays) {
  std::mt19937_64 gen(7);
  absl::Duration min = absl::InfiniteDuration(), max = absl::ZeroDuration();
  for (int i = 0; i < 50; ++i) {
    Backoff backoff(BackoffOptions{}, gen);
    absl::Duration d = backoff.Next();
    min = std::min(min, d);
    max = std::max(max, d);
  }
  EXPECT_LT(min, absl::Milliseconds(150));
  EXPECT_GT(max, absl::Milliseconds(225));
}

}  // namespace
}  // namespace bootstrap
