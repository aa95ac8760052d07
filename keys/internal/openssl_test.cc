#include "keys/internal/openssl.h"

#include <string>

#include "common/testing/status_matchers.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "keys/encoding.h"

namespace keys::internal {
namespace {

using ::common::testing::StatusIs;

std::string Hex(absl::string_view hex) { return HexDecode(hex).value(); }

// RFC 5869 Appendix A.1 (basic test case with SHA-256).
TEST(HkdfSha256Test, MatchesRfc5869CaseOne) {
  SecretBytes ikm = SecretBytes::CopyFrom(
      Hex("0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b"));
  auto okm = HkdfSha256(ikm, Hex("000102030405060708090a0b0c"),
                        Hex("f0f1f2f3f4f5f6f7f8f9"), 42);
  ASSERT_TRUE(okm.ok()) << okm.status();
  EXPECT_EQ(HexEncode(okm->AsStringView(InsecureSecretAccess::Get())),
            "3cb25f25faacd57a90434f64d0362f2a2d2d0a90cf1a5a4c5db02d56ecc4c5bf"
            "34007208d5b887185865");
}

// RFC 5869 Appendix A.3 (zero-length salt and info).
TEST(HkdfSha256Test, MatchesRfc5869CaseThree) {
  SecretBytes ikm = SecretBytes::CopyFrom(
      Hex("0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b"));
  auto okm = HkdfSha256(ikm, "", "", 42);
  ASSERT_TRUE(okm.ok()) << okm.status();
  EXPECT_EQ(HexEncode(okm->AsStringView(InsecureSecretAccess::Get())),
            "8da4e775a563c18f715f802a063c5a31b8a11f5c5ee1879ec3454e5f3c738d2d"
            "9d201395faa4b61a96c8");
}

TEST(OpenSslTest, PointOffTheCurveIsRejected) {
  EXPECT_THAT(
      MakeP256PublicKey(std::string(32, '\x01'), std::string(32, '\x02')),
      StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(MakeP256PublicKey("short", std::string(32, '\x02')),
              StatusIs(absl::StatusCode::kInvalidArgument));
}

TEST(OpenSslTest, SmallRsaModulusIsRefused) {
  std::string n(128, '\xc5');  // 1024 bits
  n.back() = '\x01';
  EXPECT_THAT(MakeRsaPublicKey(n, "\x01\x00\x01"),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       ::testing::HasSubstr("1024 bits; at least 2048")));
}

TEST(OpenSslTest, RsaModulusWithLeadingZeroIsRefused) {
  std::string n(257, '\xc5');
  n[0] = '\0';
  EXPECT_THAT(MakeRsaPublicKey(n, "\x01\x00\x01"),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       ::testing::HasSubstr("leading zero")));
}

TEST(OpenSslTest, ErrorQueueIsEmptyAfterAFailure) {
  (void)MakeP256PublicKey(std::string(32, '\x01'), std::string(32, '\x02'));
  EXPECT_EQ(ERR_peek_error(), 0u);
}

}  // namespace
}  // namespace keys::internal
