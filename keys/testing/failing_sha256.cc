#include "keys/testing/failing_sha256.h"

#include <openssl/evp.h>

#include <atomic>
#include <cstddef>

namespace {
std::atomic<bool> g_fail_update{false};
}  // namespace

extern "C" {
int __real_EVP_DigestUpdate(EVP_MD_CTX* ctx, const void* data, size_t count);
int __wrap_EVP_DigestUpdate(EVP_MD_CTX* ctx, const void* data, size_t count) {
  if (g_fail_update.load()) return 0;
  return __real_EVP_DigestUpdate(ctx, data, count);
}
}

namespace keys::testing {

void FailSha256Updates(bool fail) { g_fail_update.store(fail); }

}  // namespace keys::testing
