#include "keys/x25519.h"

#include <sodium.h>

#include <string>

#include "common/testing/status_matchers.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "keys/encoding.h"
#include "keys/testing/fake_random.h"
#include "keys/testing/wycheproof.h"

namespace keys {
namespace {

using ::common::testing::IsOk;
using ::common::testing::StatusIs;
using ::testing::HasSubstr;

std::string Hex(absl::string_view hex) { return HexDecode(hex).value(); }

TEST(X25519KeyPairTest, PublicKeyMatchesRfc7748) {
  // RFC 7748 §6.1, Alice.
  auto pair = X25519KeyPair::FromPrivateKey(SecretBytes::CopyFrom(
      Hex("77076d0a7318a57d3c16c17251b26645df4c2f87ebc0992ab177fba51db92c2a")));
  ASSERT_THAT(pair, IsOk());
  EXPECT_EQ(HexEncode(pair->public_key()),
            "8520f0098930a754748b7ddcb43ef75a0dbf3a0d26381af4eba4a98eaa9b4e6a");
}

TEST(X25519KeyPairTest, PrivateKeyOfWrongSizeIsRejected) {
  EXPECT_THAT(X25519KeyPair::FromPrivateKey(SecretBytes(31)),
              StatusIs(absl::StatusCode::kInvalidArgument));
}

TEST(X25519KeyPairTest, GenerateWithFakeRandomIsDeterministic) {
  testing::FakeRandom a(3), b(3);
  EXPECT_EQ(X25519KeyPair::Generate(a).public_key(),
            X25519KeyPair::Generate(b).public_key());
}

TEST(X25519KeyPairTest, GenerateMakesDistinctValidKeys) {
  X25519KeyPair a = X25519KeyPair::Generate();
  X25519KeyPair b = X25519KeyPair::Generate();
  EXPECT_NE(a.public_key(), b.public_key());
  EXPECT_THAT(ValidateX25519PublicKey(a.public_key()), IsOk());
}

TEST(SealedBoxTest, SealThenOpenRoundTrips) {
  X25519KeyPair pair = X25519KeyPair::Generate();
  auto sealed = SealTo(pair.public_key(), "the bundle");
  ASSERT_THAT(sealed, IsOk());
  EXPECT_EQ(sealed->size(), 10 + kSealOverhead);
  auto opened = OpenSealed(pair, *sealed);
  ASSERT_THAT(opened, IsOk());
  EXPECT_EQ(opened->AsStringView(InsecureSecretAccess::Get()), "the bundle");
}

TEST(SealedBoxTest, EmptyPlaintextRoundTrips) {
  X25519KeyPair pair = X25519KeyPair::Generate();
  auto sealed = SealTo(pair.public_key(), "");
  ASSERT_THAT(sealed, IsOk());
  auto opened = OpenSealed(pair, *sealed);
  ASSERT_THAT(opened, IsOk());
  EXPECT_TRUE(opened->empty());
}

TEST(SealedBoxTest, OpenWithWrongKeyFails) {
  X25519KeyPair pair = X25519KeyPair::Generate();
  X25519KeyPair other = X25519KeyPair::Generate();
  auto sealed = SealTo(pair.public_key(), "the bundle");
  ASSERT_THAT(sealed, IsOk());
  EXPECT_THAT(OpenSealed(other, *sealed),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("does not open with this key")));
}

TEST(SealedBoxTest, EveryModifiedByteIsDetected) {
  X25519KeyPair pair = X25519KeyPair::Generate();
  const std::string sealed = SealTo(pair.public_key(), "bundle").value();
  for (size_t i = 0; i < sealed.size(); ++i) {
    std::string modified = sealed;
    modified[i] ^= 0x01;
    EXPECT_THAT(OpenSealed(pair, modified),
                StatusIs(absl::StatusCode::kInvalidArgument))
        << "byte " << i;
  }
}

TEST(SealedBoxTest, TruncatedBoxIsRejected) {
  X25519KeyPair pair = X25519KeyPair::Generate();
  EXPECT_THAT(
      OpenSealed(pair, std::string(47, 'x')),
      StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("at least 48")));
}

TEST(SealedBoxTest, SealToLowOrderKeyIsInvalidArgument) {
  EXPECT_THAT(
      SealTo(std::string(32, '\0'), "x"),
      StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("small order")));
}

TEST(SealedBoxTest, SealToWrongSizeKeyIsInvalidArgument) {
  EXPECT_THAT(SealTo(std::string(31, '\x09'), "x"),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("32 bytes, got 31")));
}

TEST(ValidateX25519PublicKeyTest, NonCanonicalKeysAreRejected) {
  std::string top_bit =
      Hex("0900000000000000000000000000000000000000000000000000000000000080");
  EXPECT_THAT(ValidateX25519PublicKey(top_bit),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("not canonically encoded")));
  // p + 2 = 2^255 - 17.
  std::string above_p =
      Hex("efffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f");
  EXPECT_THAT(ValidateX25519PublicKey(above_p),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("not canonically encoded")));
}

// Wycheproof x25519_test.json. Our decision for every vector:
//  - valid: the public key is accepted, and X25519 gives the expected secret;
//  - acceptable: low-order public keys (shared secret zero) and
//    non-canonical encodings (top bit set, or u >= p) are refused; all other
//    acceptable keys (points on the twist) are accepted and must give the
//    expected secret.
// SealTo must agree with ValidateX25519PublicKey and never crash.
class X25519WycheproofTest
    : public ::testing::TestWithParam<testing::WycheproofCase> {};

bool IsNonCanonical(const std::string& u) {
  if (static_cast<uint8_t>(u[31]) & 0x80) return true;
  if (static_cast<uint8_t>(u[31]) != 0x7f) return false;
  for (int i = 30; i >= 1; --i) {
    if (static_cast<uint8_t>(u[i]) != 0xff) return false;
  }
  return static_cast<uint8_t>(u[0]) >= 0xed;
}

TEST_P(X25519WycheproofTest, PublicKeyDecisionAndSharedSecret) {
  const testing::WycheproofCase& c = GetParam();
  ASSERT_EQ(c.load_error, "");
  const std::string pub = c.TestBytes("public");
  const std::string priv = c.TestBytes("private");
  const std::string shared = c.TestBytes("shared");
  const bool zero_shared = shared == std::string(32, '\0');

  bool want_accept;
  if (c.result == "valid") {
    want_accept = true;
  } else if (c.result == "acceptable") {
    want_accept = !zero_shared && !IsNonCanonical(pub);
  } else {
    want_accept = false;
  }
  const absl::Status validation = ValidateX25519PublicKey(pub);
  EXPECT_EQ(validation.ok(), want_accept) << validation;

  auto sealed = SealTo(pub, "x");
  EXPECT_EQ(sealed.ok(), want_accept) << sealed.status();
  if (!sealed.ok()) {
    EXPECT_EQ(sealed.status().code(), absl::StatusCode::kInvalidArgument);
  }

  if (want_accept) {
    uint8_t out[32];
    ASSERT_EQ(
        crypto_scalarmult(out, reinterpret_cast<const uint8_t*>(priv.data()),
                          reinterpret_cast<const uint8_t*>(pub.data())),
        0);
    EXPECT_EQ(std::string(reinterpret_cast<char*>(out), 32), shared);
  }
}

INSTANTIATE_TEST_SUITE_P(
    Wycheproof, X25519WycheproofTest,
    ::testing::ValuesIn(testing::LoadWycheproof("x25519_test.json")),
    testing::WycheproofTestName);

}  // namespace
}  // namespace keys
