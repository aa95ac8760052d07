#include "keys/ecdsa.h"

#include <string>

#include "common/testing/status_matchers.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "keys/encoding.h"
#include "keys/testing/wycheproof.h"

namespace keys {
namespace {

using ::common::testing::IsOk;
using ::common::testing::IsOkAndHolds;
using ::common::testing::StatusIs;

std::string Hex(absl::string_view hex) { return HexDecode(hex).value(); }

TEST(EcdsaP256Test, SignThenVerifyRoundTrips) {
  auto signer = EcdsaP256Signer::Generate();
  ASSERT_THAT(signer, IsOk());
  auto sig = (*signer)->Sign("message");
  ASSERT_THAT(sig, IsOk());
  EXPECT_EQ(sig->size(), kEs256SignatureSize);
  auto verifier = EcdsaP256Verifier::Create((*signer)->x(), (*signer)->y());
  ASSERT_THAT(verifier, IsOk());
  EXPECT_THAT((*verifier)->Verify("message", *sig), IsOk());
  EXPECT_THAT((*verifier)->Verify("messagE", *sig),
              StatusIs(absl::StatusCode::kUnauthenticated));
}

TEST(EcdsaP256Test, DerSignatureIsRefusedByVerify) {
  auto signer = EcdsaP256Signer::Generate();
  ASSERT_THAT(signer, IsOk());
  const std::string der = EcdsaRawToDer((*signer)->Sign("m").value()).value();
  auto verifier = EcdsaP256Verifier::Create((*signer)->x(), (*signer)->y());
  ASSERT_THAT(verifier, IsOk());
  EXPECT_THAT((*verifier)->Verify("m", der),
              StatusIs(absl::StatusCode::kUnauthenticated));
}

TEST(EcdsaP256Test, PrivateKeyMustMatchThePublicKey) {
  auto a = EcdsaP256Signer::Generate();
  auto b = EcdsaP256Signer::Generate();
  ASSERT_THAT(a, IsOk());
  ASSERT_THAT(b, IsOk());
  EXPECT_THAT(
      EcdsaP256Signer::Create((*a)->x(), (*a)->y(),
                              (*b)->d(InsecureSecretAccess::Get()).Clone()),
      StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(
      EcdsaP256Signer::Create((*a)->x(), (*a)->y(),
                              (*a)->d(InsecureSecretAccess::Get()).Clone()),
      IsOk());
}

TEST(EcdsaDerTest, ConversionsRoundTrip) {
  std::string raw = std::string(31, '\0') + "\x01" + std::string(32, '\x80');
  auto der = EcdsaRawToDer(raw);
  ASSERT_THAT(der, IsOk());
  // SEQUENCE { INTEGER 1, INTEGER 0x0080...80 (33 bytes with the sign pad) }
  EXPECT_EQ(HexEncode(*der).substr(0, 16), "3026020101022100");
  EXPECT_THAT(EcdsaDerToRaw(*der), IsOkAndHolds(raw));
}

TEST(EcdsaDerTest, NonCanonicalDerIsRejected) {
  // INTEGER 1 with a redundant leading zero.
  EXPECT_THAT(EcdsaDerToRaw(Hex("30070202000102010"
                                "1")),
              StatusIs(absl::StatusCode::kInvalidArgument));
  // Long-form length for a short sequence.
  EXPECT_THAT(EcdsaDerToRaw(Hex("308106020101020101")),
              StatusIs(absl::StatusCode::kInvalidArgument));
  // Trailing garbage.
  EXPECT_THAT(EcdsaDerToRaw(Hex("30060201010201010000")),
              StatusIs(absl::StatusCode::kInvalidArgument));
  // Negative r.
  EXPECT_THAT(EcdsaDerToRaw(Hex("3006020181020101")),
              StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(EcdsaDerToRaw(Hex("3006020101020101")), IsOk());
}

TEST(EcdsaDerTest, RawOfWrongSizeIsRejected) {
  EXPECT_THAT(EcdsaRawToDer(std::string(63, '\x01')),
              StatusIs(absl::StatusCode::kInvalidArgument));
}

// Wycheproof ecdsa_secp256r1_sha256_p1363_test.json (r‖s, the JWS form) and
// ecdsa_secp256r1_sha256_test.json (DER, converted with EcdsaDerToRaw). The
// files have no "acceptable" vectors: valid must verify, invalid must not.

class EcdsaWycheproofTest
    : public ::testing::TestWithParam<testing::WycheproofCase> {
 protected:
  void Check(bool der) {
    const testing::WycheproofCase& c = GetParam();
    ASSERT_EQ(c.load_error, "");
    ASSERT_NE(c.result, "acceptable") << "decide how to handle this vector";
    const std::string point =
        Hex(c.group["publicKey"]["uncompressed"].get<std::string>());
    ASSERT_EQ(point.size(), 65u);
    auto verifier =
        EcdsaP256Verifier::Create(point.substr(1, 32), point.substr(33, 32));
    ASSERT_THAT(verifier, IsOk());
    std::string sig = c.TestBytes("sig");
    bool accepted = true;
    if (der) {
      auto raw = EcdsaDerToRaw(sig);
      accepted = raw.ok();
      if (raw.ok()) sig = *raw;
    }
    if (accepted) accepted = (*verifier)->Verify(c.TestBytes("msg"), sig).ok();
    EXPECT_EQ(accepted, c.result == "valid");
  }
};

class EcdsaP1363WycheproofTest : public EcdsaWycheproofTest {};
class EcdsaDerWycheproofTest : public EcdsaWycheproofTest {};

TEST_P(EcdsaP1363WycheproofTest, VerifyMatchesExpectedResult) {
  Check(/*der=*/false);
}
TEST_P(EcdsaDerWycheproofTest, VerifyMatchesExpectedResult) {
  Check(/*der=*/true);
}

INSTANTIATE_TEST_SUITE_P(Wycheproof, EcdsaP1363WycheproofTest,
                         ::testing::ValuesIn(testing::LoadWycheproof(
                             "ecdsa_secp256r1_sha256_p1363_test.json")),
                         testing::WycheproofTestName);
INSTANTIATE_TEST_SUITE_P(Wycheproof, EcdsaDerWycheproofTest,
                         ::testing::ValuesIn(testing::LoadWycheproof(
                             "ecdsa_secp256r1_sha256_test.json")),
                         testing::WycheproofTestName);

}  // namespace
}  // namespace keys
