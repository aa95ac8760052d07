// Exponential backoff with jitter for the agent's retries.
//
//   Backoff backoff(BackoffOptions{}, bitgen);
//   absl::Duration d = backoff.Next();   // 125..250 ms, then 250..500 ms, ...
//
// The n-th delay is drawn uniformly from [b/2, b] where
// b = min(initial * multiplier^(n-1), max): "equal jitter", so replicas of
// a fleet that booted together spread out while each still backs off.
// Not thread-safe.
#ifndef SECRETD_BOOTSTRAP_BACKOFF_H_
#define SECRETD_BOOTSTRAP_BACKOFF_H_

#include "absl/random/bit_gen_ref.h"
#include "absl/time/time.h"

namespace bootstrap {

struct BackoffOptions {
  absl::Duration initial = absl::Milliseconds(250);
  absl::Duration max = absl::Seconds(8);
  double multiplier = 2.0;
};

class Backoff {
 public:
  Backoff(BackoffOptions options, absl::BitGenRef random)
      : options_(options), random_(random), base_(options.initial) {}

  // The next delay (see above).
  absl::Duration Next();

 private:
  BackoffOptions options_;
  absl::BitGenRef random_;
  absl::Duration base_;
};

}  // namespace bootstrap

#endif  // SECRETD_BOOTSTRAP_BACKOFF_H_
