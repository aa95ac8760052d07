#include "bootstrap/backoff.h"

#include <algorithm>

#include "absl/random/distributions.h"

namespace bootstrap {

absl::Duration Backoff::Next() {
  const absl::Duration base = std::min(base_, options_.max);
  const int64_t hi = absl::ToInt64Microseconds(base);
  const int64_t lo = hi / 2;
  const int64_t us =
      absl::Uniform<int64_t>(absl::IntervalClosed, random_, lo, hi);
  base_ = std::min(base_ * options_.multiplier, options_.max);
  return absl::Microseconds(us);
}

}  // namespace bootstrap
