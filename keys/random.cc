#include "keys/random.h"

#include <sodium.h>

#include "keys/internal/sodium.h"

namespace keys {

void SystemRandom::Fill(uint8_t* out, size_t size) {
  internal::EnsureSodium();
  randombytes_buf(out, size);
}

std::string RandomBytes(RandomSource& random, size_t size) {
  std::string out(size, '\0');
  random.Fill(reinterpret_cast<uint8_t*>(out.data()), size);
  return out;
}

SecretBytes RandomSecretBytes(RandomSource& random, size_t size) {
  SecretBytes out(size);
  random.Fill(out.data(InsecureSecretAccess::Get()), size);
  return out;
}

}  // namespace keys
