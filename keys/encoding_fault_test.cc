// keys' SHA-256 when OpenSSL fails, which it does not on demand:
// keys::testing::FailSha256Updates makes EVP_DigestUpdate fail.
#include "gtest/gtest.h"
#include "keys/encoding.h"
#include "keys/testing/failing_sha256.h"

namespace keys {
namespace {

TEST(Sha256FaultTest, DigestFailureAbortsNamingTheCall) {
  EXPECT_DEATH(
      {
        testing::FailSha256Updates(true);
        Sha256Of({"a", "b"});
      },
      "keys: SHA-256: EVP_DigestUpdate failed");
  EXPECT_DEATH(
      {
        testing::FailSha256Updates(true);
        Sha256("abc");
      },
      "keys: SHA-256: EVP_DigestUpdate failed");
}

TEST(Sha256FaultTest, WithoutTheFaultTheWrappedCallHashes) {
  EXPECT_EQ(Sha256Hex("abc"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}

}  // namespace
}  // namespace keys
