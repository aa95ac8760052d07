#include "keys/internal/sodium.h"

#include <sodium.h>

#include <cstdio>
#include <cstdlib>

namespace keys::internal {

void EnsureSodium() {
  static const bool initialised = [] {
    if (sodium_init() < 0) {
      std::fputs("keys: sodium_init failed; no entropy source\n", stderr);
      std::abort();
    }
    return true;
  }();
  (void)initialised;
}

}  // namespace keys::internal
