// Makes keys' SHA-256 fail on demand, for tests of the "cannot happen" path
// (keys::Sha256Of aborts naming the failed call).
//
// Depending on :failing_sha256 links the test with
// -Wl,--wrap=EVP_DigestUpdate; the test must also set `linkstatic = True`
// so that keys' own calls are wrapped:
//
//   EXPECT_DEATH(
//       {
//         keys::testing::FailSha256Updates(true);
//         keys::Sha256("abc");
//       },
//       "keys: SHA-256: EVP_DigestUpdate failed");
#ifndef SECRETD_KEYS_TESTING_FAILING_SHA256_H_
#define SECRETD_KEYS_TESTING_FAILING_SHA256_H_

namespace keys::testing {

// While `fail` is true, every EVP_DigestUpdate call in the test binary
// returns 0 without hashing. Thread-safe.
void FailSha256Updates(bool fail);

}  // namespace keys::testing

#endif  // SECRETD_KEYS_TESTING_FAILING_SHA256_H_
