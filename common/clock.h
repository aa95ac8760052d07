// Clock: the one way code below main() learns the time.
//
// Libraries take a `const common::Clock&` so tests can move time with
// common::testing::FakeClock instead of sleeping. Only main() creates a
// RealClock. Implementations must be thread-safe.
#ifndef SECRETD_COMMON_CLOCK_H_
#define SECRETD_COMMON_CLOCK_H_

#include "absl/time/clock.h"
#include "absl/time/time.h"

namespace common {

class Clock {
 public:
  virtual ~Clock() = default;
  // The current time. Thread-safe.
  virtual absl::Time Now() const = 0;
};

// The system's wall clock. Stateless and thread-safe.
class RealClock final : public Clock {
 public:
  absl::Time Now() const override { return absl::Now(); }
};

}  // namespace common

#endif  // SECRETD_COMMON_CLOCK_H_
