// FakeClock: a Clock whose time moves only when the test says so.
//
//   common::testing::FakeClock clock(absl::FromUnixSeconds(1700000000));
//   clock.Advance(absl::Seconds(31));
//
// Thread-safe. Testonly.
#ifndef SECRETD_COMMON_TESTING_FAKE_CLOCK_H_
#define SECRETD_COMMON_TESTING_FAKE_CLOCK_H_

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "common/clock.h"

namespace common::testing {

class FakeClock final : public Clock {
 public:
  explicit FakeClock(absl::Time now = absl::FromUnixSeconds(1700000000))
      : now_(now) {}

  absl::Time Now() const override {
    absl::MutexLock lock(&mu_);
    return now_;
  }
  void SetTime(absl::Time now) {
    absl::MutexLock lock(&mu_);
    now_ = now;
  }
  void Advance(absl::Duration d) {
    absl::MutexLock lock(&mu_);
    now_ += d;
  }

 private:
  mutable absl::Mutex mu_;
  absl::Time now_ ABSL_GUARDED_BY(mu_);
};

}  // namespace common::testing

#endif  // SECRETD_COMMON_TESTING_FAKE_CLOCK_H_
