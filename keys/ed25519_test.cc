#include "keys/ed25519.h"

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

std::string Hex(absl::string_view hex) { return HexDecode(hex).value(); }

// RFC 8032 §7.1, TEST 1 (empty message) and TEST 2 (one byte).
TEST(Ed25519SignerTest, ReproducesRfc8032Signatures) {
  auto signer = Ed25519Signer::FromSeed(SecretBytes::CopyFrom(
      Hex("9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60")));
  ASSERT_THAT(signer, IsOk());
  EXPECT_EQ(HexEncode((*signer)->public_key()),
            "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a");
  EXPECT_EQ(HexEncode((*signer)->Sign("").value()),
            "e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e06522490155"
            "5fb8821590a33bacc61e39701cf9b46bd25bf5f0595bbe24655141438e7a100b");

  auto signer2 = Ed25519Signer::FromSeed(SecretBytes::CopyFrom(
      Hex("4ccd089b28ff96da9db6c346ec114e0f5b8a319f35aba624da8cf6ed4fb8a6fb")));
  ASSERT_THAT(signer2, IsOk());
  EXPECT_EQ(HexEncode((*signer2)->Sign("\x72").value()),
            "92a009a9f0d4cab8720e820b5f642540a2b27b5416503f8fb3762223ebdb69da"
            "085ac1e43e15996e458f3613d0f11d8c387b2eaeb4302aeeb00d291612bb0c00");
}

TEST(Ed25519SignerTest, KeyIdIsTheFirstSixteenHexDigitsOfThePublicKeyDigest) {
  testing::FakeRandom random(1);
  auto signer = Ed25519Signer::Generate(random);
  EXPECT_EQ(signer->key_id(), Sha256Hex(signer->public_key()).substr(0, 16));
}

TEST(Ed25519SignerTest, SeedOfWrongSizeIsRejected) {
  EXPECT_THAT(Ed25519Signer::FromSeed(SecretBytes(64)),
              StatusIs(absl::StatusCode::kInvalidArgument));
}

TEST(Ed25519VerifierTest, SignatureRoundTripsAndRejectsChanges) {
  testing::FakeRandom random(2);
  auto signer = Ed25519Signer::Generate(random);
  auto verifier = Ed25519Verifier::Create(signer->public_key());
  ASSERT_THAT(verifier, IsOk());
  const std::string sig = signer->Sign("message").value();
  EXPECT_THAT((*verifier)->Verify("message", sig), IsOk());
  EXPECT_THAT((*verifier)->Verify("messagE", sig),
              StatusIs(absl::StatusCode::kUnauthenticated));
  EXPECT_THAT((*verifier)->Verify("message", sig.substr(0, 63)),
              StatusIs(absl::StatusCode::kUnauthenticated));
}

TEST(Ed25519VerifierTest, InvalidPublicKeysAreRejected) {
  EXPECT_THAT(Ed25519Verifier::Create(std::string(31, '\x01')),
              StatusIs(absl::StatusCode::kInvalidArgument));
  // The identity point (small order).
  EXPECT_THAT(
      Ed25519Verifier::Create(Hex(
          "0100000000000000000000000000000000000000000000000000000000000000")),
      StatusIs(absl::StatusCode::kInvalidArgument));
}

// Wycheproof ed25519_test.json: every valid signature verifies; every
// invalid one is rejected, either when the key is loaded or when the
// signature is checked. The file has no "acceptable" vectors.
class Ed25519WycheproofTest
    : public ::testing::TestWithParam<testing::WycheproofCase> {};

TEST_P(Ed25519WycheproofTest, VerifyMatchesExpectedResult) {
  const testing::WycheproofCase& c = GetParam();
  ASSERT_EQ(c.load_error, "");
  ASSERT_NE(c.result, "acceptable") << "decide how to handle this vector";
  auto pk = HexDecode(c.group["publicKey"]["pk"].get<std::string>());
  ASSERT_THAT(pk, IsOk());
  auto verifier = Ed25519Verifier::Create(*pk);
  bool accepted = false;
  if (verifier.ok()) {
    accepted = (*verifier)->Verify(c.TestBytes("msg"), c.TestBytes("sig")).ok();
  }
  EXPECT_EQ(accepted, c.result == "valid");
}

INSTANTIATE_TEST_SUITE_P(
    Wycheproof, Ed25519WycheproofTest,
    ::testing::ValuesIn(testing::LoadWycheproof("ed25519_test.json")),
    testing::WycheproofTestName);

}  // namespace
}  // namespace keys
