// The data every store benchmark starts from, so that the figures of the
// SQLite and PostgreSQL benchmarks describe the same store.
#ifndef SECRETD_TESTS_BENCH_STORE_BENCH_DATA_H_
#define SECRETD_TESTS_BENCH_STORE_BENCH_DATA_H_

#include <cstdint>

#include "absl/status/status.h"
#include "secretd/store/store.h"

namespace secretd::bench {

inline constexpr int kSecrets = 100;  // "app/secret-<i>", 3 versions each
inline constexpr int kRoles = 20;     // "role-<i>", 2 policies; and as many
                                      // trust bundles "issuer-<i>"

// An envelope of realistic size (a 72-byte wrapped key, a 64-byte value).
EncryptedSecretFields Envelope(int64_t version);

// Fills an empty store with the secrets, roles and trust bundles above.
absl::Status Populate(Store& store);

}  // namespace secretd::bench

#endif  // SECRETD_TESTS_BENCH_STORE_BENCH_DATA_H_
