#include "keys/testing/fake_random.h"

#include <sodium.h>

#include <cstring>

#include "keys/internal/sodium.h"

namespace keys::testing {

void FakeRandom::Fill(uint8_t* out, size_t size) {
  internal::EnsureSodium();
  uint64_t call;
  {
    absl::MutexLock lock(&mu_);
    call = counter_++;
  }
  uint8_t input[16];
  for (int i = 0; i < 8; ++i) {
    input[i] = static_cast<uint8_t>(seed_ >> (56 - 8 * i));
    input[8 + i] = static_cast<uint8_t>(call >> (56 - 8 * i));
  }
  uint8_t key[randombytes_SEEDBYTES];
  static_assert(randombytes_SEEDBYTES == crypto_hash_sha256_BYTES);
  crypto_hash_sha256(key, input, sizeof(input));
  randombytes_buf_deterministic(out, size, key);
}

}  // namespace keys::testing
