#include "keys/jwk.h"

#include <sodium.h>

#include <string>
#include <vector>

#include "common/testing/status_matchers.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "keys/ed25519.h"
#include "keys/encoding.h"
#include "keys/testing/fake_random.h"
#include "keys/token_reason.h"
#include "keys/x25519.h"

namespace keys {
namespace {

using ::common::testing::IsOk;
using ::common::testing::StatusIs;
using ::testing::Eq;
using ::testing::HasSubstr;
using ::testing::Optional;
using Json = nlohmann::json;

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

// RFC 7515 Appendix A.2.1: the RS256 example key, every member as the RFC
// prints it (it has no kid, use or alg).
const std::string kRfc7515RsaN =
    "ofgWCuLjybRlzo0tZWJjNiuSfb4p4fAkd_wWJcyQoTbji9k0l8W26mPddxHmfHQp-Vaw-4qP"
    "CJrcS2mJPMEzP1Pt0Bm4d4QlL-yRT-SFd2lZS-pCgNMsD1W_YpRPEwOWvG6b32690r2jZ47s"
    "oMZo9wGzjb_7OMg0LOL-bSf63kpaSHSXndS5z5rexMdbBYUsLA9e-KXBdQOS-UTo7WTBEMa2"
    "R2CapHg665xsmtdVMTBQY4uDZlxvb3qCo5ZwKh9kG4LT6_I5IhlJH7aGhyxXFvUK-DWNmoud"
    "F8NAco9_h9iaGNj8q2ethFkMLs91kzk2PAcDTW9gb54h4FRWyuXpoQ";
const std::string kRfc7515RsaPublic =
    R"({"kty":"RSA","n":")" + kRfc7515RsaN + R"(","e":"AQAB"})";
const std::string kRfc7515RsaPrivate =
    R"({"kty":"RSA","n":")" + kRfc7515RsaN +
    R"(","e":"AQAB",)"
    R"("d":"Eq5xpGnNCivDflJsRQBXHx1hdR1k6Ulwe2JZD50LpXyWPEAeP88vLNO97IjlA7_GQ5)"
    R"(sLKMgvfTeXZx9SE-7YwVol2NXOoAJe46sui395IW_GO-pWJ1O0BkTGoVEn2bKVRUCgu-GjB)"
    R"(VaYLU6f3l9kJfFNS3E0QbVdxzubSu3Mkqzjkn439X0M_V51gfpRLI9JYanrC4D4qAdGcopV)"
    R"(_0ZHHzQlBjudU2QvXt4ehNYTCBr6XCLQUShb1juUO1ZdiYoFaFQT5Tw8bGUl_x_jTj3ccPD)"
    R"(VZFD9pIuhLhBOneufuBiB4cS98l2SR_RQyGWSeWjnczT0QU91p1DhOVRuOopznQ",)"
    R"("p":"4BzEEOtIpmVdVEZNCqS7baC4crd0pqnRH_5IB3jw3bcxGn6QLvnEtfdUdiYrqBdss1)"
    R"(l58BQ3KhooKeQTa9AB0Hw_Py5PJdTJNPY8cQn7ouZ2KKDcmnPGBY5t7yLc1QlQ5xHdwW1Vh)"
    R"(vKn-nXqhJTBgIPgtldC-KDV5z-y2XDwGUc",)"
    R"("q":"uQPEfgmVtjL0Uyyx88GZFF1fOunH3-7cepKmtH4pxhtCoHqpWmT8YAmZxaewHgHAjL)"
    R"(Ysp1ZSe7zFYHj7C6ul7TjeLQeZD_YwD66t62wDmpe_HlB-TnBA-njbglfIsRLtXlnDzQkv5d)"
    R"(TltRJ11BKBBypeeF6689rjcJIDEz9RWdc",)"
    R"("dp":"BwKfV3Akq5_MFZDFZCnW-wzl-CCo83WoZvnLQwCTeDv8uzluRSnm71I3QCLdhrqE2)"
    R"(e9YkxvuxdBfpT_PI7Yz-FOKnu1R6HsJeDCjn12Sk3vmAktV2zb34MCdy7cpdTh_YVr7tss2u)"
    R"(6vneTwrA86rZtu5Mbr1C1XsmvkxHQAdYo0",)"
    R"("dq":"h_96-mK1R_7glhsum81dZxjTnYynPbZpHziZjeeHcXYsXaaMwkOlODsWa7I9xXDoR)"
    R"(wbKgB719rrmI2oKr6N3Do9U0ajaHF-NKJnwgjMd2w9cjz3_-kyNlxAr2v4IKhGNpmM5iIgO)"
    R"(S1VZnOZ68m6_pbLBSp3nssTdlqvd0tIiTHU",)"
    R"("qi":"IYd7DHOhrWvxkwPQsRM2tOgrjbcrfvtQJipd-DlcxyVuuM9sQLdgjVk2oy26F0Emp)"
    R"(ScGLq2MowX7fhd_QJQ3ydy5cY7YIBi87w93IKLEdfnbJtoOPLUW0ITrJReOgo1cq9SbsxYa)"
    R"(wBgfp_gh6A5603k2-ZQwVK0JKSHuLFkuQ3U"})";

// RFC 7515 Appendix A.2 / A.3: the JWS Signing Inputs (protected header
// {"alg":"RS256"} or {"alg":"ES256"}, then the shared payload) and the
// signatures the RFC prints (A.2.1, A.3.1).
constexpr char kRfc7515PayloadB64[] =
    "eyJpc3MiOiJqb2UiLA0KICJleHAiOjEzMDA4MTkzODAsDQogImh0dHA6Ly9leGFtcGxlLmNv"
    "bS9pc19yb290Ijp0cnVlfQ";
const std::string kRfc7515Rs256SigningInput =
    std::string("eyJhbGciOiJSUzI1NiJ9.") + kRfc7515PayloadB64;
constexpr char kRfc7515Rs256Signature[] =
    "cC4hiUPoj9Eetdgtv3hF80EGrhuB__dzERat0XF9g2VtQgr9PJbu3XOiZj5RZmh7AAuHIm4B"
    "h-0Qc_lF5YKt_O8W2Fp5jujGbds9uJdbF9CUAr7t1dnZcAcQjbKBYNX4BAynRFdiuB--f_nZ"
    "LgrnbyTyWzO75vRK5h6xBArLIARNPvkSjtQBMHlb1L07Qe7K0GarZRmB_eSN9383LcOLn6_d"
    "O--xi12jzDwusC-eOkHWEsqtFZESc6BfI7noOPqvhJ1phCnvWh6IeYI2w9QOYEUipUTI8np6"
    "LbgGY9Fs98rqVt5AXLIhWkWywlVmtVrBp0igcN_IoypGlUPQGe77Rw";
const std::string kRfc7515Es256SigningInput =
    std::string("eyJhbGciOiJFUzI1NiJ9.") + kRfc7515PayloadB64;
constexpr char kRfc7515Es256Signature[] =
    "DtEhU3ljbEg8L38VWAfUAqOyKAM6-Xx-F4GawxaepmXFCgfTjDxw5djxLa8ISlSApmWQxfKT"
    "UJqPP3-Kg6NU1Q";

// RFC 7515 Appendix A.3.1: the ES256 example key (public part above).
constexpr char kRfc7515EcPrivate[] =
    R"({"kty":"EC","crv":"P-256",)"
    R"("x":"f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU",)"
    R"("y":"x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0",)"
    R"("d":"jpsQnnGQmL-YBIffH1136cspYG6-0iY7X1fCE9-E9LI"})";

// RFC 8037 Appendix A.6 (ECDH-ES with X25519): Bob's public key, the
// ephemeral secret (hex), the ephemeral public key it gives, and the shared
// secret Z = X25519(ephemeral secret, Bob's public key).
constexpr char kRfc8037BobPublic[] =
    R"({"kty":"OKP","crv":"X25519","kid":"Bob",)"
    R"("x":"3p7bfXt9wbTTW2HC7OQ1Nz-DQ8hbeGdNrfx-FG-IK08"})";
constexpr char kRfc8037BobPublicHex[] =
    "de9edb7d7b7dc1b4d35b61c2ece435373f8343c85b78674dadfc7e146f882b4f";
constexpr char kRfc8037EphemeralSecretHex[] =
    "77076d0a7318a57d3c16c17251b26645df4c2f87ebc0992ab177fba51db92c2a";
constexpr char kRfc8037EphemeralPublic[] =
    R"({"kty":"OKP","crv":"X25519",)"
    R"("x":"hSDwCYkwp1R0i33ctD73Wg2_Og0mOBr066SpjqqbTmo"})";
constexpr char kRfc8037EphemeralPublicHex[] =
    "8520f0098930a754748b7ddcb43ef75a0dbf3a0d26381af4eba4a98eaa9b4e6a";
constexpr char kRfc8037SharedSecretHex[] =
    "4a5d9d5ba4ce2de1728e3bf480350f25e07e21c947d19e3376f09b3c1e161742";
// RFC 8037 A.6 takes Bob's key from RFC 7748 §6.1, which gives his private
// key too.
constexpr char kRfc7748BobPrivateHex[] =
    "5dab087e624a8a4b79e17f8b83800ee66f3bb1292618b6fd1c2f8b27ff88e0eb";

// A private X25519 JWK: the public JWK `public_jwk` plus "d" from `d_hex`.
std::string X25519Private(const char* public_jwk, const char* d_hex) {
  Json jwk = Json::parse(public_jwk);
  jwk["d"] = Base64UrlEncode(HexDecode(d_hex).value());
  return jwk.dump();
}

// X25519(private member d of `key`, `public_key`), hex.
std::string SharedSecretHex(const Jwk& key, absl::string_view public_key) {
  const SecretBytes* d = key.private_member("d", InsecureSecretAccess::Get());
  if (d == nullptr || d->size() != crypto_scalarmult_BYTES ||
      public_key.size() != crypto_scalarmult_BYTES) {
    return "bad sizes";
  }
  unsigned char z[crypto_scalarmult_BYTES];
  const absl::string_view d_bytes =
      d->AsStringView(InsecureSecretAccess::Get());
  if (crypto_scalarmult(
          z, reinterpret_cast<const unsigned char*>(d_bytes.data()),
          reinterpret_cast<const unsigned char*>(public_key.data())) != 0) {
    return "crypto_scalarmult failed";
  }
  std::string hex =
      HexEncode(absl::string_view(reinterpret_cast<char*>(z), sizeof z));
  sodium_memzero(z, sizeof z);
  return hex;
}

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

// Published private JWKs parse, and writing them back gives exactly the
// members the RFC prints: no member lost, renamed, re-encoded or added.
struct PublishedPrivateJwk {
  const char* id;
  std::string json;
  JwkKeyType type;
};

class JwkPublishedPrivateTest
    : public ::testing::TestWithParam<PublishedPrivateJwk> {};

TEST_P(JwkPublishedPrivateTest, ParsesAndWritesBackTheSameMembers) {
  const PublishedPrivateJwk& v = GetParam();
  auto key = Jwk::ParsePrivate(v.json);
  ASSERT_THAT(key, IsOk());
  EXPECT_EQ(key->type(), v.type);
  EXPECT_TRUE(key->is_private());

  auto written = key->ToPrivateJson(InsecureSecretAccess::Get());
  ASSERT_THAT(written, IsOk());
  const Json expected = Json::parse(v.json);
  EXPECT_EQ(Json::parse(written->AsStringView(InsecureSecretAccess::Get())),
            expected);

  // The public JWK is the same members without the private ones.
  Json expected_public = expected;
  for (const char* m : {"d", "p", "q", "dp", "dq", "qi"}) {
    expected_public.erase(m);
  }
  EXPECT_EQ(key->ToPublicJson(), expected_public);

  // What was written parses again to the same key.
  auto again =
      Jwk::ParsePrivate(written->AsStringView(InsecureSecretAccess::Get()));
  ASSERT_THAT(again, IsOk());
  EXPECT_EQ(again->Thumbprint(), key->Thumbprint());
  EXPECT_EQ(*again->private_member("d", InsecureSecretAccess::Get()),
            *key->private_member("d", InsecureSecretAccess::Get()));
}

INSTANTIATE_TEST_SUITE_P(
    Rfc, JwkPublishedPrivateTest,
    ::testing::Values(PublishedPrivateJwk{"Rfc7515A2Rsa", kRfc7515RsaPrivate,
                                          JwkKeyType::kRsa},
                      PublishedPrivateJwk{"Rfc7515A3P256", kRfc7515EcPrivate,
                                          JwkKeyType::kP256},
                      PublishedPrivateJwk{"Rfc8037A1Ed25519", kRfc8037Private,
                                          JwkKeyType::kEd25519},
                      PublishedPrivateJwk{
                          "Rfc8037A6X25519Ephemeral",
                          X25519Private(kRfc8037EphemeralPublic,
                                        kRfc8037EphemeralSecretHex),
                          JwkKeyType::kX25519},
                      PublishedPrivateJwk{"Rfc8037A6X25519Bob",
                                          X25519Private(kRfc8037BobPublic,
                                                        kRfc7748BobPrivateHex),
                                          JwkKeyType::kX25519}),
    [](const ::testing::TestParamInfo<PublishedPrivateJwk>& info) {
      return std::string(info.param.id);
    });

TEST(JwkTest, PublishedPublicJwksWriteBackTheSameMembers) {
  for (const std::string& text :
       {kRfc7515RsaPublic, std::string(kRfc7515EcPublic),
        std::string(kRfc8037Public), std::string(kRfc8037BobPublic),
        std::string(kRfc8037EphemeralPublic), std::string(kRfc7638Rsa)}) {
    SCOPED_TRACE(text);
    auto key = Jwk::ParsePublic(text);
    ASSERT_THAT(key, IsOk());
    EXPECT_FALSE(key->is_private());
    EXPECT_EQ(key->ToPublicJson(), Json::parse(text));
  }
}

TEST(JwkTest, Rfc8037A6X25519PublicKeyIsAccepted) {
  auto bob = Jwk::ParsePublic(kRfc8037BobPublic);
  ASSERT_THAT(bob, IsOk());
  EXPECT_EQ(bob->type(), JwkKeyType::kX25519);
  EXPECT_EQ(bob->kty(), "OKP");
  EXPECT_EQ(bob->crv(), "X25519");
  EXPECT_EQ(bob->kid(), "Bob");
  EXPECT_EQ(HexEncode(bob->x()), kRfc8037BobPublicHex);
  EXPECT_EQ(bob->verifier(), nullptr);
  EXPECT_EQ(bob->signature_algorithm(), std::nullopt);
  EXPECT_THAT(bob->signer(), StatusIs(absl::StatusCode::kFailedPrecondition));
  // In a JWKS too, found by its kid.
  auto jwks =
      Jwks::Parse(std::string(R"({"keys":[)") + kRfc8037BobPublic + "]}");
  ASSERT_THAT(jwks, IsOk());
  ASSERT_NE(jwks->Find("Bob"), nullptr);
  EXPECT_EQ(jwks->Find("Bob")->x(), bob->x());
}

TEST(JwkTest, Rfc8037A6X25519KeysGiveTheRfcPublicKeysAndSharedSecret) {
  auto ephemeral = Jwk::ParsePrivate(
      X25519Private(kRfc8037EphemeralPublic, kRfc8037EphemeralSecretHex));
  ASSERT_THAT(ephemeral, IsOk());
  EXPECT_EQ(HexEncode(ephemeral->x()), kRfc8037EphemeralPublicHex);
  // The public key derived from d is the RFC's x.
  auto pair = X25519KeyPair::FromPrivateKey(
      ephemeral->private_member("d", InsecureSecretAccess::Get())->Clone());
  ASSERT_THAT(pair, IsOk());
  EXPECT_EQ(HexEncode(pair->public_key()), kRfc8037EphemeralPublicHex);

  auto bob_public = Jwk::ParsePublic(kRfc8037BobPublic);
  ASSERT_THAT(bob_public, IsOk());
  // Z = X25519(ephemeral secret, Bob's public key), as the sender computes.
  EXPECT_EQ(SharedSecretHex(*ephemeral, bob_public->x()),
            kRfc8037SharedSecretHex);

  // Bob, holding his RFC 7748 private key, derives his public key and the
  // same Z from the ephemeral public key.
  auto bob = Jwk::ParsePrivate(
      X25519Private(kRfc8037BobPublic, kRfc7748BobPrivateHex));
  ASSERT_THAT(bob, IsOk());
  EXPECT_EQ(bob->kid(), "Bob");
  EXPECT_EQ(HexEncode(bob->x()), kRfc8037BobPublicHex);
  auto ephemeral_public = Jwk::ParsePublic(kRfc8037EphemeralPublic);
  ASSERT_THAT(ephemeral_public, IsOk());
  EXPECT_EQ(SharedSecretHex(*bob, ephemeral_public->x()),
            kRfc8037SharedSecretHex);
}

TEST(JwkTest, X25519PrivateKeyThatDoesNotMatchIsRejected) {
  // The ephemeral secret with Bob's public key.
  EXPECT_THAT(Jwk::ParsePrivate(
                  X25519Private(kRfc8037BobPublic, kRfc8037EphemeralSecretHex)),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("d: does not match the public key x")));
}

TEST(JwkTest, Rfc7515A2PrivateKeySignsTheRfcSignatureByteForByte) {
  auto key = Jwk::ParsePrivate(kRfc7515RsaPrivate);
  ASSERT_THAT(key, IsOk());
  auto signer = key->signer();
  ASSERT_THAT(signer, IsOk());
  EXPECT_EQ((*signer)->algorithm(), SignatureAlgorithm::kRS256);
  // RSASSA-PKCS1-v1_5 is deterministic: the RFC's exact bytes.
  auto signature = (*signer)->Sign(kRfc7515Rs256SigningInput);
  ASSERT_THAT(signature, IsOk());
  EXPECT_EQ(Base64UrlEncode(*signature), kRfc7515Rs256Signature);

  auto rfc_public = Jwk::ParsePublic(kRfc7515RsaPublic);
  ASSERT_THAT(rfc_public, IsOk());
  EXPECT_THAT(
      rfc_public->verifier()->Verify(kRfc7515Rs256SigningInput, *signature),
      IsOk());
  EXPECT_THAT(rfc_public->verifier()->Verify(kRfc7515Rs256SigningInput + "x",
                                             *signature),
              StatusIs(absl::StatusCode::kUnauthenticated));
}

TEST(JwkTest, Rfc7515A3PrivateKeySignaturesVerifyWithTheRfcPublicKey) {
  auto key = Jwk::ParsePrivate(kRfc7515EcPrivate);
  ASSERT_THAT(key, IsOk());
  auto signer = key->signer();
  ASSERT_THAT(signer, IsOk());
  EXPECT_EQ((*signer)->algorithm(), SignatureAlgorithm::kES256);
  auto rfc_public = Jwk::ParsePublic(kRfc7515EcPublic);
  ASSERT_THAT(rfc_public, IsOk());
  const Verifier& verifier = *rfc_public->verifier();
  // The RFC's own signature verifies with its public key.
  ASSERT_THAT(verifier.Verify(kRfc7515Es256SigningInput,
                              Base64UrlDecode(kRfc7515Es256Signature).value()),
              IsOk());
  // ECDSA is randomised: compare by verifying, not by bytes.
  auto first = (*signer)->Sign(kRfc7515Es256SigningInput);
  auto second = (*signer)->Sign(kRfc7515Es256SigningInput);
  ASSERT_THAT(first, IsOk());
  ASSERT_THAT(second, IsOk());
  EXPECT_EQ(first->size(), 64u);  // r || s
  EXPECT_NE(*first, *second);
  EXPECT_THAT(verifier.Verify(kRfc7515Es256SigningInput, *first), IsOk());
  EXPECT_THAT(verifier.Verify(kRfc7515Es256SigningInput, *second), IsOk());
  EXPECT_THAT(verifier.Verify(kRfc7515Rs256SigningInput, *first),
              StatusIs(absl::StatusCode::kUnauthenticated));
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
