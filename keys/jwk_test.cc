#include "keys/jwk.h"

#include <string>

#include "common/testing/status_matchers.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "keys/ed25519.h"
#include "keys/encoding.h"
#include "keys/testing/fake_random.h"
#include "keys/token_reason.h"

namespace keys {
namespace {

using ::common::testing::IsOk;
using ::common::testing::StatusIs;
using ::testing::Eq;
using ::testing::HasSubstr;
using ::testing::Optional;

// RFC 7517 Appendix A.1 / RFC 7638 §3.1.
constexpr char kRfc7638Rsa[] = R"({"kty":"RSA",
  "n":"0vx7agoebGcQSuuPiLJXZptN9nndrQmbXEps2aiAFbWhM78LhWx4cbbfAAtVT86zwu1RK7aPFFxuhDR1L6tSoc_BJECPebWKRXjBZCiFV4n3oknjhMstn64tZ_2W-5JsGY4Hc5n9yBXArwl93lqt7_RN5w6Cf0h4QyQ5v-65YGjQR0_FDW2QvzqY368QQMicAtaSqzs8KJZgnYb9c7d0zgdAZHzu6qMQvRL5hajrn1n91CbOpbISD08qNLyrdkt-bFTWhAI4vMQFh6WeZu0fM4lFd2NcRwr3XPksINHaQ-G_xBniIqbw0Ls1jF44-csFCur-kEgU8awapJzKnqDKgw",
  "e":"AQAB","alg":"RS256","kid":"2011-04-29"})";

// RFC 8037 Appendix A.1 (private) and A.2 (public).
constexpr char kRfc8037Private[] =
    R"({"kty":"OKP","crv":"Ed25519",)"
    R"("d":"nWGxne_9WmC6hEr0kuwsxERJxWl7MmkZcDusAxyuf2A",)"
    R"("x":"11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo"})";
constexpr char kRfc8037Public[] =
    R"({"kty":"OKP","crv":"Ed25519",)"
    R"("x":"11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo"})";

// RFC 7515 Appendix A.3 (P-256).
constexpr char kRfc7515EcPublic[] =
    R"({"kty":"EC","crv":"P-256",)"
    R"("x":"f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU",)"
    R"("y":"x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0"})";

TEST(JwkTest, Rfc7638ThumbprintOfTheRsaExample) {
  auto key = Jwk::ParsePublic(kRfc7638Rsa);
  ASSERT_THAT(key, IsOk());
  EXPECT_EQ(key->Thumbprint(), "NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs");
  EXPECT_EQ(key->kid(), "2011-04-29");
  EXPECT_THAT(key->alg(), Optional(Eq("RS256")));
  EXPECT_EQ(key->type(), JwkKeyType::kRsa);
}

TEST(JwkTest, Rfc8037ThumbprintOfTheEd25519Example) {
  // RFC 8037 Appendix A.3.
  auto key = Jwk::ParsePublic(kRfc8037Public);
  ASSERT_THAT(key, IsOk());
  EXPECT_EQ(key->Thumbprint(), "kPrK_qmxVWaYVA9wwBF6Iuo3vVzz7TxHCTwXBygrS4k");
}

TEST(JwkTest, PrivateEd25519KeyParsesAndSigns) {
  auto key = Jwk::ParsePrivate(kRfc8037Private);
  ASSERT_THAT(key, IsOk());
  EXPECT_TRUE(key->is_private());
  auto signer = key->signer();
  ASSERT_THAT(signer, IsOk());
  const std::string sig = (*signer)->Sign("m").value();
  EXPECT_THAT(key->verifier()->Verify("m", sig), IsOk());
}

TEST(JwkTest, PublicParseRefusesPrivateMembers) {
  EXPECT_THAT(Jwk::ParsePublic(kRfc8037Private),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("holds private key material")));
}

TEST(JwkTest, PrivateParseRequiresPrivateMembers) {
  EXPECT_THAT(Jwk::ParsePrivate(kRfc8037Public),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("d: is required")));
}

TEST(JwkTest, PrivateKeyThatDoesNotMatchIsRejected) {
  std::string mismatched = kRfc8037Private;
  mismatched.replace(mismatched.find("nWGx"), 4, "AWGx");
  EXPECT_THAT(Jwk::ParsePrivate(mismatched),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("d: does not match the public key x")));
}

TEST(JwkTest, EcPublicKeyParses) {
  auto key = Jwk::ParsePublic(kRfc7515EcPublic);
  ASSERT_THAT(key, IsOk());
  EXPECT_EQ(key->type(), JwkKeyType::kP256);
  EXPECT_EQ(key->x().size(), 32u);
  EXPECT_EQ(key->y().size(), 32u);
}

struct BadJwk {
  const char* name;
  std::string json;
  const char* message;
};

class JwkRejectionTest : public ::testing::TestWithParam<BadJwk> {};

TEST_P(JwkRejectionTest, IsRejectedWithAPreciseMessage) {
  EXPECT_THAT(Jwk::ParsePublic(GetParam().json),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr(GetParam().message)));
}

const std::string kX = "11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo";

INSTANTIATE_TEST_SUITE_P(
    Rules, JwkRejectionTest,
    ::testing::Values(
        BadJwk{"NotAnObject", "[]", "a JWK must be a JSON object"},
        BadJwk{"NoKty", R"({"crv":"Ed25519"})", "kty: is required"},
        BadJwk{"OctKty", R"({"kty":"oct","k":"AAAA"})",
               "kty: \"oct\" is not supported"},
        BadJwk{"Ed448", R"({"kty":"OKP","crv":"Ed448","x":")" + kX + "\"}",
               "crv: \"Ed448\" is not supported for OKP"},
        BadJwk{"P384", R"({"kty":"EC","crv":"P-384","x":"AA","y":"AA"})",
               "crv: \"P-384\" is not supported for EC"},
        BadJwk{"ShortX", R"({"kty":"OKP","crv":"Ed25519","x":"AAAA"})",
               "x: must be 32 bytes, got 3"},
        BadJwk{"PaddedX", R"({"kty":"OKP","crv":"Ed25519","x":")" + kX + "=\"}",
               "x: not canonical base64url"},
        BadJwk{"XNotString", R"({"kty":"OKP","crv":"Ed25519","x":5})",
               "x: must be a string"},
        BadJwk{"KidNotString",
               R"({"kty":"OKP","crv":"Ed25519","kid":1,"x":")" + kX + "\"}",
               "kid: must be a string"},
        BadJwk{
            "UseNotString",
            R"({"kty":"OKP","crv":"Ed25519","use":["sig"],"x":")" + kX + "\"}",
            "use: must be a string"},
        BadJwk{"KeyOpsNotArray",
               R"({"kty":"OKP","crv":"Ed25519","key_ops":"verify","x":")" + kX +
                   "\"}",
               "key_ops: must be an array of strings"},
        BadJwk{
            "KeyOpsDuplicate",
            R"({"kty":"OKP","crv":"Ed25519","key_ops":["verify","verify"],"x":")" +
                kX + "\"}",
            "key_ops: lists \"verify\" twice"},
        BadJwk{"DuplicateMember",
               R"({"kty":"OKP","crv":"Ed25519","x":")" + kX + R"(","x":")" +
                   kX + "\"}",
               "duplicate member \"x\""},
        BadJwk{
            "SmallOrderEd25519",
            R"({"kty":"OKP","crv":"Ed25519","x":"AQAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"})",
            "x: not a valid Ed25519 public key"},
        BadJwk{
            "LowOrderX25519",
            R"({"kty":"OKP","crv":"X25519","x":"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"})",
            "x: X25519 public key is a point of small order"},
        BadJwk{
            "OffCurveEc",
            R"({"kty":"EC","crv":"P-256","x":"AQAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA","y":"AQAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"})",
            "x, y: not a valid P-256 public key"},
        BadJwk{
            "ShortEcY",
            R"({"kty":"EC","crv":"P-256","x":"f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU","y":"AQAB"})",
            "y: must be 32 bytes, got 3"},
        BadJwk{"SmallRsa",
               R"({"kty":"RSA","n":")" + std::string(170, 'x') +
                   R"(w","e":"AQAB"})",
               "RSA modulus is 1024 bits; at least 2048 are required"},
        BadJwk{"RsaLeadingZero",
               R"({"kty":"RSA","n":"AA)" + std::string(342, 'x') +
                   R"(","e":"AQAB"})",
               "no leading zero bytes"},
        BadJwk{"RsaOth", R"({"kty":"RSA","n":"AQAB","e":"AQAB","oth":[]})",
               "holds private key material"}),
    [](const ::testing::TestParamInfo<BadJwk>& info) {
      return std::string(info.param.name);
    });

TEST(JwkTest, UnknownMembersAreIgnored) {
  auto key = Jwk::ParsePublic(R"({"kty":"OKP","crv":"Ed25519","ext":true,)"
                              R"("x5c":["MIIB"],"x":")" +
                              kX + "\"}");
  EXPECT_THAT(key, IsOk());
}

TEST(JwkTest, CheckCanVerifyFollowsUseAndKeyOps) {
  auto with = [](const std::string& extra) {
    return Jwk::ParsePublic(R"({"kty":"OKP","crv":"Ed25519",)" + extra +
                            R"("x":")" + kX + "\"}")
        .value();
  };
  const auto eddsa = SignatureAlgorithm::kEdDSA;
  EXPECT_THAT(with("").CheckCanVerify(eddsa), IsOk());
  EXPECT_THAT(with(R"("use":"sig",)").CheckCanVerify(eddsa), IsOk());
  EXPECT_THAT(with(R"("key_ops":["verify"],)").CheckCanVerify(eddsa), IsOk());
  EXPECT_THAT(with(R"("key_ops":["sign","verify"],)").CheckCanVerify(eddsa),
              IsOk());
  EXPECT_THAT(GetTokenReason(with(R"("use":"enc",)").CheckCanVerify(eddsa)),
              Optional(Eq(TokenReason::kKeyNotForSigning)));
  EXPECT_THAT(
      GetTokenReason(with(R"("key_ops":["sign"],)").CheckCanVerify(eddsa)),
      Optional(Eq(TokenReason::kKeyNotForSigning)));
  EXPECT_THAT(GetTokenReason(with(R"("key_ops":[],)").CheckCanVerify(eddsa)),
              Optional(Eq(TokenReason::kKeyNotForSigning)));
  EXPECT_THAT(
      GetTokenReason(with("").CheckCanVerify(SignatureAlgorithm::kES256)),
      Optional(Eq(TokenReason::kAlgKeyMismatch)));
  EXPECT_THAT(GetTokenReason(with(R"("alg":"Ed25519",)").CheckCanVerify(eddsa)),
              Optional(Eq(TokenReason::kAlgKeyMismatch)));
}

TEST(JwkTest, X25519KeyNeverVerifies) {
  auto pair_key =
      Jwk::FromX25519PublicKey(std::string("\x09" + std::string(31, '\0')));
  ASSERT_THAT(pair_key, IsOk());
  EXPECT_EQ(pair_key->verifier(), nullptr);
  EXPECT_THAT(
      GetTokenReason(pair_key->CheckCanVerify(SignatureAlgorithm::kEdDSA)),
      Optional(Eq(TokenReason::kAlgKeyMismatch)));
}

class JwkGenerateTest : public ::testing::TestWithParam<SignatureAlgorithm> {};

TEST_P(JwkGenerateTest, GeneratedKeyRoundTripsThroughPrivateJson) {
  testing::FakeRandom random(5);
  auto key = Jwk::Generate(GetParam(), "k1", random);
  ASSERT_THAT(key, IsOk());
  EXPECT_EQ(key->kid(), "k1");
  EXPECT_THAT(key->use(), Optional(Eq("sig")));
  EXPECT_THAT(key->signature_algorithm(), Optional(Eq(GetParam())));

  auto text = key->ToPrivateJson(InsecureSecretAccess::Get());
  ASSERT_THAT(text, IsOk());
  auto reparsed =
      Jwk::ParsePrivate(text->AsStringView(InsecureSecretAccess::Get()));
  ASSERT_THAT(reparsed, IsOk());
  EXPECT_EQ(reparsed->Thumbprint(), key->Thumbprint());

  auto pub = Jwk::FromPublicJson(key->ToPublicJson());
  ASSERT_THAT(pub, IsOk());
  EXPECT_FALSE(pub->is_private());
  EXPECT_EQ(pub->Thumbprint(), key->Thumbprint());

  const std::string sig = (*reparsed->signer())->Sign("data").value();
  EXPECT_THAT(pub->verifier()->Verify("data", sig), IsOk());
  EXPECT_THAT(pub->signer(), StatusIs(absl::StatusCode::kFailedPrecondition));
}

INSTANTIATE_TEST_SUITE_P(Algorithms, JwkGenerateTest,
                         ::testing::Values(SignatureAlgorithm::kEdDSA,
                                           SignatureAlgorithm::kES256,
                                           SignatureAlgorithm::kRS256));

TEST(JwkTest, Ed25519SignerRoundTrips) {
  testing::FakeRandom random(6);
  auto signer = Ed25519Signer::Generate(random);
  Jwk key = Jwk::FromEd25519Signer(*signer, signer->key_id());
  EXPECT_EQ(key.x(), signer->public_key());
  EXPECT_EQ(*key.private_member("d", InsecureSecretAccess::Get()),
            signer->seed(InsecureSecretAccess::Get()));
  EXPECT_EQ(key.ToPublic().private_member("d", InsecureSecretAccess::Get()),
            nullptr);
}

TEST(JwksTest, ParsesAndFindsByKid) {
  auto jwks = Jwks::Parse(std::string(R"({"keys":[)") + kRfc7638Rsa + "," +
                          R"({"kty":"OKP","crv":"Ed25519","kid":"ed","x":")" +
                          kX + R"("}],"extra":1})");
  ASSERT_THAT(jwks, IsOk());
  ASSERT_EQ(jwks->keys().size(), 2u);
  ASSERT_NE(jwks->Find("ed"), nullptr);
  EXPECT_EQ(jwks->Find("ed")->type(), JwkKeyType::kEd25519);
  EXPECT_EQ(jwks->Find("2011-04-29")->type(), JwkKeyType::kRsa);
  EXPECT_EQ(jwks->Find("nope"), nullptr);
  EXPECT_EQ(jwks->Find(""), nullptr);
  // Writing and parsing again gives the same keys.
  auto again = Jwks::Parse(jwks->ToJson().dump());
  ASSERT_THAT(again, IsOk());
  EXPECT_EQ(again->Find("ed")->Thumbprint(), jwks->Find("ed")->Thumbprint());
}

TEST(JwksTest, ErrorsNameTheKey) {
  EXPECT_THAT(
      Jwks::Parse(R"({"keys":[{"kty":"OKP","crv":"Ed25519","x":")" + kX +
                  R"("},{"kty":"OKP","crv":"Ed25519","x":"AA"}]})"),
      StatusIs(absl::StatusCode::kInvalidArgument,
               HasSubstr("keys[1].x: must be 32 bytes")));
  EXPECT_THAT(Jwks::Parse(std::string(R"({"keys":[)") + kRfc8037Private + "]}"),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("keys[0]: holds private key material")));
}

TEST(JwksTest, DuplicateKidsAreRejected) {
  const std::string key =
      R"({"kty":"OKP","crv":"Ed25519","kid":"a","x":")" + kX + "\"}";
  EXPECT_THAT(Jwks::Parse(R"({"keys":[)" + key + "," + key + "]}"),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("keys[1].kid: \"a\" appears twice")));
}

TEST(JwksTest, ShapeIsChecked) {
  EXPECT_THAT(Jwks::Parse("[]"),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("a JWKS must be a JSON object")));
  EXPECT_THAT(Jwks::Parse(R"({"keys":{}})"),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("keys: is required and must be an array")));
  std::string many = R"({"keys":[)";
  for (int i = 0; i < 65; ++i) many += (i ? ",{}" : "{}");
  many += "]}";
  EXPECT_THAT(Jwks::Parse(many), StatusIs(absl::StatusCode::kInvalidArgument,
                                          HasSubstr("at most 64")));
}

}  // namespace
}  // namespace keys
