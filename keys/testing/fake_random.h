// FakeRandom: a deterministic RandomSource for tests.
//
//   keys::testing::FakeRandom random(/*seed=*/7);
//   auto pair = keys::X25519KeyPair::Generate(random);  // same key every run
//
// The stream is ChaCha20 (randombytes_buf_deterministic) keyed by
// SHA-256(seed) and a call counter, so two FakeRandoms with the same seed
// produce the same bytes for the same sequence of calls. Never use it
// outside tests. Thread-safe. Testonly.
#ifndef SECRETD_KEYS_TESTING_FAKE_RANDOM_H_
#define SECRETD_KEYS_TESTING_FAKE_RANDOM_H_

#include <cstdint>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "keys/random.h"

namespace keys::testing {

class FakeRandom final : public RandomSource {
 public:
  explicit FakeRandom(uint64_t seed = 1) : seed_(seed) {}
  void Fill(uint8_t* out, size_t size) override;

 private:
  const uint64_t seed_;
  absl::Mutex mu_;
  uint64_t counter_ ABSL_GUARDED_BY(mu_) = 0;
};

}  // namespace keys::testing

#endif  // SECRETD_KEYS_TESTING_FAKE_RANDOM_H_
