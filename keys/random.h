// RandomSource: where keys/ gets key, nonce and challenge bytes.
//
// Production code uses SystemRandom (libsodium's randombytes_buf: the
// kernel CSPRNG through getrandom(2)). Tests inject
// keys::testing::FakeRandom (keys/testing/fake_random.h), a seeded
// deterministic stream, so key generation and challenges are reproducible.
//
//   keys::SystemRandom random;                 // in main()
//   keys::SecretBytes key = keys::RandomSecretBytes(random, 32);
//
// Implementations must be thread-safe.
#ifndef SECRETD_KEYS_RANDOM_H_
#define SECRETD_KEYS_RANDOM_H_

#include <cstddef>
#include <cstdint>
#include <string>

#include "keys/secret_bytes.h"

namespace keys {

class RandomSource {
 public:
  virtual ~RandomSource() = default;
  // Fills `out[0..size)` with random bytes. Cannot fail. Thread-safe.
  virtual void Fill(uint8_t* out, size_t size) = 0;
};

// The system CSPRNG. Stateless and thread-safe.
class SystemRandom final : public RandomSource {
 public:
  void Fill(uint8_t* out, size_t size) override;
};

// `size` random bytes, for public values (nonces, ids).
std::string RandomBytes(RandomSource& random, size_t size);
// `size` random bytes in guarded memory, for keys.
SecretBytes RandomSecretBytes(RandomSource& random, size_t size);

}  // namespace keys

#endif  // SECRETD_KEYS_RANDOM_H_
