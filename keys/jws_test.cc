#include "keys/jws.h"

#include <string>

#include "common/testing/status_matchers.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "keys/encoding.h"
#include "keys/jwk.h"
#include "keys/testing/fake_random.h"
#include "keys/testing/wycheproof.h"
#include "keys/token_reason.h"

namespace keys {
namespace {

using ::common::testing::IsOk;
using ::common::testing::StatusIs;
using ::testing::Eq;
using ::testing::HasSubstr;
using ::testing::Optional;

// RFC 7515 §A.2 / §A.3 / §A.5 payload: {"iss":"joe",\r\n "exp":1300819380,
// \r\n "http://example.com/is_root":true}
constexpr char kRfcPayloadB64[] =
    "eyJpc3MiOiJqb2UiLA0KICJleHAiOjEzMDA4MTkzODAsDQogImh0dHA6Ly9leGFtcGxlLmNv"
    "bS9pc19yb290Ijp0cnVlfQ";

// RFC 7515 Appendix A.2.1 (RS256) key, public part.
constexpr char kRfc7515RsaPublic[] =
    R"({"kty":"RSA","n":"ofgWCuLjybRlzo0tZWJjNiuSfb4p4fAkd_wWJcyQoTbji9k0l8W26mPddxHmfHQp-Vaw-4qPCJrcS2mJPMEzP1Pt0Bm4d4QlL-yRT-SFd2lZS-pCgNMsD1W_YpRPEwOWvG6b32690r2jZ47soMZo9wGzjb_7OMg0LOL-bSf63kpaSHSXndS5z5rexMdbBYUsLA9e-KXBdQOS-UTo7WTBEMa2R2CapHg665xsmtdVMTBQY4uDZlxvb3qCo5ZwKh9kG4LT6_I5IhlJH7aGhyxXFvUK-DWNmoudF8NAco9_h9iaGNj8q2ethFkMLs91kzk2PAcDTW9gb54h4FRWyuXpoQ","e":"AQAB"})";
// RFC 7515 Appendix A.2.1 signature.
constexpr char kRfc7515Rs256Token[] =
    "eyJhbGciOiJSUzI1NiJ9."
    "eyJpc3MiOiJqb2UiLA0KICJleHAiOjEzMDA4MTkzODAsDQogImh0dHA6Ly9leGFtcGxlLmNv"
    "bS9pc19yb290Ijp0cnVlfQ."
    "cC4hiUPoj9Eetdgtv3hF80EGrhuB__dzERat0XF9g2VtQgr9PJbu3XOiZj5RZmh7AAuHIm4B"
    "h-0Qc_lF5YKt_O8W2Fp5jujGbds9uJdbF9CUAr7t1dnZcAcQjbKBYNX4BAynRFdiuB--f_nZ"
    "LgrnbyTyWzO75vRK5h6xBArLIARNPvkSjtQBMHlb1L07Qe7K0GarZRmB_eSN9383LcOLn6_d"
    "O--xi12jzDwusC-eOkHWEsqtFZESc6BfI7noOPqvhJ1phCnvWh6IeYI2w9QOYEUipUTI8np6"
    "LbgGY9Fs98rqVt5AXLIhWkWywlVmtVrBp0igcN_IoypGlUPQGe77Rw";

// RFC 7515 Appendix A.3.1 (ES256) key and token.
constexpr char kRfc7515EcPrivate[] =
    R"({"kty":"EC","crv":"P-256",)"
    R"("x":"f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU",)"
    R"("y":"x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0",)"
    R"("d":"jpsQnnGQmL-YBIffH1136cspYG6-0iY7X1fCE9-E9LI"})";
constexpr char kRfc7515Es256Token[] =
    "eyJhbGciOiJFUzI1NiJ9."
    "eyJpc3MiOiJqb2UiLA0KICJleHAiOjEzMDA4MTkzODAsDQogImh0dHA6Ly9leGFtcGxlLmNv"
    "bS9pc19yb290Ijp0cnVlfQ."
    "DtEhU3ljbEg8L38VWAfUAqOyKAM6-Xx-F4GawxaepmXFCgfTjDxw5djxLa8ISlSApmWQxfKT"
    "UJqPP3-Kg6NU1Q";

// RFC 8037 Appendix A.1 key and A.4 token.
constexpr char kRfc8037Private[] =
    R"({"kty":"OKP","crv":"Ed25519",)"
    R"("d":"nWGxne_9WmC6hEr0kuwsxERJxWl7MmkZcDusAxyuf2A",)"
    R"("x":"11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo"})";
constexpr char kRfc8037Token[] =
    "eyJhbGciOiJFZERTQSJ9.RXhhbXBsZSBvZiBFZDI1NTE5IHNpZ25pbmc."
    "hgyY0il_MGCjP0JzlnLWG1PPOt7-09PGcvMg3AIbQR6dWbhijcNR4ki4iylGjg5BhVsPt9g7"
    "sVvpAr_MuM0KAg";

TEST(JwsRfcTest, Rfc7515A2Rs256Verifies) {
  auto key = Jwk::ParsePublic(kRfc7515RsaPublic);
  ASSERT_THAT(key, IsOk());
  auto jws = Jws::Parse(kRfc7515Rs256Token);
  ASSERT_THAT(jws, IsOk());
  EXPECT_EQ(jws->algorithm(), SignatureAlgorithm::kRS256);
  EXPECT_EQ(jws->kid(), std::nullopt);
  EXPECT_THAT(VerifyJws(*jws, *key), IsOk());
  EXPECT_EQ(Base64UrlEncode(jws->payload()), kRfcPayloadB64);
}

TEST(JwsRfcTest, Rfc7515A3Es256Verifies) {
  auto key = Jwk::ParsePrivate(kRfc7515EcPrivate);
  ASSERT_THAT(key, IsOk());
  auto jws = Jws::Parse(kRfc7515Es256Token);
  ASSERT_THAT(jws, IsOk());
  EXPECT_THAT(VerifyJws(*jws, key->ToPublic()), IsOk());
  // ECDSA is randomised: signing again gives a different token that also
  // verifies.
  auto signer = key->signer();
  ASSERT_THAT(signer, IsOk());
  auto token = SignJws(**signer, jws->payload());
  ASSERT_THAT(token, IsOk());
  EXPECT_NE(*token, kRfc7515Es256Token);
  EXPECT_THAT(VerifyJws(Jws::Parse(*token).value(), *key), IsOk());
}

TEST(JwsRfcTest, Rfc8037A4Ed25519VerifiesAndIsReproducedByteForByte) {
  auto key = Jwk::ParsePrivate(kRfc8037Private);
  ASSERT_THAT(key, IsOk());
  auto jws = Jws::Parse(kRfc8037Token);
  ASSERT_THAT(jws, IsOk());
  EXPECT_EQ(jws->payload(), "Example of Ed25519 signing");
  EXPECT_THAT(VerifyJws(*jws, key->ToPublic()), IsOk());

  auto signer = key->signer();
  ASSERT_THAT(signer, IsOk());
  EXPECT_THAT(SignJws(**signer, "Example of Ed25519 signing"),
              ::common::testing::IsOkAndHolds(std::string(kRfc8037Token)));
}

TEST(JwsTest, CompactReproducesTheInput) {
  auto jws = Jws::Parse(kRfc8037Token);
  ASSERT_THAT(jws, IsOk());
  EXPECT_EQ(jws->Compact(), kRfc8037Token);
}

TEST(JwsTest, SignJwtSetsKidAndTyp) {
  testing::FakeRandom random(9);
  auto key = Jwk::Generate(SignatureAlgorithm::kEdDSA, "k1", random);
  ASSERT_THAT(key, IsOk());
  auto token = SignJwt(**key->signer(), "k1", nlohmann::json{{"a", 1}});
  ASSERT_THAT(token, IsOk());
  auto jws = Jws::Parse(*token);
  ASSERT_THAT(jws, IsOk());
  EXPECT_EQ(jws->header().dump(), R"({"alg":"EdDSA","kid":"k1","typ":"JWT"})");
  EXPECT_EQ(jws->payload(), R"({"a":1})");
  EXPECT_THAT(VerifyJws(*jws, *key), IsOk());
  EXPECT_THAT(SignJwt(**key->signer(), "k1", nlohmann::json::array()),
              StatusIs(absl::StatusCode::kInvalidArgument));
}

// --- Negative suite: every Jws::Parse rule, with its exact reason. -------

std::string B64(absl::string_view s) { return Base64UrlEncode(s); }

struct BadToken {
  const char* name;
  std::string token;
  TokenReason reason;
  const char* message;
};

class JwsParseRejectionTest : public ::testing::TestWithParam<BadToken> {};

TEST_P(JwsParseRejectionTest, IsRejectedWithTheExactReason) {
  auto jws = Jws::Parse(GetParam().token);
  EXPECT_THAT(jws, StatusIs(absl::StatusCode::kUnauthenticated,
                            HasSubstr(GetParam().message)));
  EXPECT_THAT(GetTokenReason(jws.status()), Optional(Eq(GetParam().reason)));
}

const std::string kSig = B64(std::string(64, 'S'));
const std::string kPayload = B64(R"({"iss":"x"})");
std::string Token(absl::string_view header) {
  return B64(header) + "." + kPayload + "." + kSig;
}

INSTANTIATE_TEST_SUITE_P(
    Rules, JwsParseRejectionTest,
    ::testing::Values(
        BadToken{"TooLarge",
                 B64(R"({"alg":"EdDSA"})") + "." + std::string(16 * 1024, 'A') +
                     "." + kSig,
                 TokenReason::kTooLarge, "at most 16384 are accepted"},
        BadToken{"TwoParts", B64(R"({"alg":"EdDSA"})") + "." + kPayload,
                 TokenReason::kMalformed, "3 dot-separated parts, this has 2"},
        BadToken{"FiveParts", "a.b.c.d.e", TokenReason::kMalformed,
                 "this has 5"},
        BadToken{"Empty", "", TokenReason::kMalformed, "this has 1"},
        BadToken{"JsonSerialization", R"({"payload":"e30","signatures":[]})",
                 TokenReason::kMalformed, "3 dot-separated parts"},
        BadToken{"PaddedHeader",
                 B64(R"({"alg":"EdDSA"})") + "=." + kPayload + "." + kSig,
                 TokenReason::kMalformed, "header is not canonical"},
        BadToken{"StandardAlphabetSignature",
                 B64(R"({"alg":"EdDSA"})") + "." + kPayload + ".ab+/",
                 TokenReason::kMalformed, "signature is not canonical"},
        BadToken{"NonCanonicalPayloadBits",
                 B64(R"({"alg":"EdDSA"})") + ".Zh." + kSig,
                 TokenReason::kMalformed, "payload is not canonical"},
        BadToken{"WhitespaceInPart",
                 B64(R"({"alg":"EdDSA"})") + " ." + kPayload + "." + kSig,
                 TokenReason::kMalformed, "header is not canonical"},
        BadToken{"EmptySignature",
                 B64(R"({"alg":"EdDSA"})") + "." + kPayload + ".",
                 TokenReason::kMalformed, "signature is empty"},
        BadToken{"HeaderNotJson", Token("not json"), TokenReason::kMalformed,
                 "header is not a JSON object"},
        BadToken{"HeaderArray", Token(R"(["alg"])"), TokenReason::kMalformed,
                 "header is not a JSON object"},
        BadToken{"DuplicateAlg", Token(R"({"alg":"EdDSA","alg":"none"})"),
                 TokenReason::kMalformed, "duplicate member \"alg\""},
        BadToken{"DeepHeader",
                 Token(R"({"alg":"EdDSA","x":)" + std::string(16, '[') +
                       std::string(16, ']') + "}"),
                 TokenReason::kMalformed, "nested deeper than 16"},
        BadToken{"NoAlg", Token(R"({"kid":"k"})"), TokenReason::kMalformed,
                 "no alg"},
        BadToken{"AlgNotString", Token(R"({"alg":1})"), TokenReason::kMalformed,
                 "alg is not a string"},
        BadToken{"KidNotString", Token(R"({"alg":"EdDSA","kid":7})"),
                 TokenReason::kMalformed, "kid is not a string"},
        BadToken{"AlgNone", Token(R"({"alg":"none"})"),
                 TokenReason::kAlgNotAllowed, "never accepted"},
        BadToken{"AlgNoneUnsigned",
                 B64(R"({"alg":"none"})") + "." + kPayload + ".",
                 TokenReason::kAlgNotAllowed, "never accepted"},
        BadToken{"AlgNoneCapitalised", Token(R"({"alg":"None"})"),
                 TokenReason::kAlgNotAllowed, "alg \"None\" is not accepted"},
        BadToken{"AlgHs256", Token(R"({"alg":"HS256"})"),
                 TokenReason::kAlgNotAllowed, "shared-secret MAC"},
        BadToken{"AlgPs256", Token(R"({"alg":"PS256"})"),
                 TokenReason::kAlgNotAllowed, "alg \"PS256\" is not accepted"},
        BadToken{"AlgEs512", Token(R"({"alg":"ES512"})"),
                 TokenReason::kAlgNotAllowed, "use EdDSA, ES256 or RS256"},
        BadToken{"AlgLowerCase", Token(R"({"alg":"eddsa"})"),
                 TokenReason::kAlgNotAllowed, "not accepted"},
        BadToken{"AlgEd25519FullySpecified", Token(R"({"alg":"Ed25519"})"),
                 TokenReason::kAlgNotAllowed, "not accepted"},
        BadToken{"Crit", Token(R"({"alg":"EdDSA","crit":["exp"],"exp":1})"),
                 TokenReason::kCritUnsupported, "critical extensions"},
        BadToken{"CritB64",
                 Token(R"({"alg":"EdDSA","b64":false,"crit":["b64"]})"),
                 TokenReason::kCritUnsupported, "none are supported"},
        BadToken{"CritEmpty", Token(R"({"alg":"EdDSA","crit":[]})"),
                 TokenReason::kCritUnsupported, "critical extensions"}),
    [](const ::testing::TestParamInfo<BadToken>& info) {
      return std::string(info.param.name);
    });

TEST(JwsTest, TokenOfExactlyTheLimitIsParsed) {
  const std::string head = B64(R"({"alg":"EdDSA"})") + ".";
  const std::string tail = "." + kSig;
  std::string payload(kMaxTokenBytes - head.size() - tail.size(), 'A');
  while (payload.size() % 4 == 1) payload.pop_back();
  std::string token = head + payload + tail;
  ASSERT_LE(token.size(), kMaxTokenBytes);
  EXPECT_THAT(Jws::Parse(token), IsOk());
}

TEST(JwsTest, EmbeddedKeysAreIgnored) {
  // A token that carries its own key must still be checked against ours.
  testing::FakeRandom random(10);
  auto ours = Jwk::Generate(SignatureAlgorithm::kEdDSA, "ours", random);
  auto theirs = Jwk::Generate(SignatureAlgorithm::kEdDSA, "ours", random);
  ASSERT_THAT(ours, IsOk());
  ASSERT_THAT(theirs, IsOk());
  nlohmann::json header = {
      {"alg", "EdDSA"}, {"kid", "ours"}, {"jwk", theirs->ToPublicJson()}};
  const std::string input = B64(header.dump()) + "." + kPayload;
  const std::string sig = (*theirs->signer())->Sign(input).value();
  auto jws = Jws::Parse(input + "." + B64(sig));
  ASSERT_THAT(jws, IsOk());
  EXPECT_THAT(GetTokenReason(VerifyJws(*jws, ours->ToPublic())),
              Optional(Eq(TokenReason::kBadSignature)));
}

// --- VerifyJws rules. ------------------------------------------------------

class VerifyJwsTest : public ::testing::Test {
 protected:
  static Jwk MakeKey() {
    testing::FakeRandom random(11);
    return Jwk::Generate(SignatureAlgorithm::kEdDSA, "k", random).value();
  }
  Jwk key_ = MakeKey();
  std::string token_ = SignJws(**key_.signer(), "payload").value();
};

TEST_F(VerifyJwsTest, ValidSignatureVerifies) {
  EXPECT_THAT(VerifyJws(Jws::Parse(token_).value(), key_), IsOk());
}

TEST_F(VerifyJwsTest, EveryFlippedSignatureBitIsRejected) {
  Jws jws = Jws::Parse(token_).value();
  const std::string input = jws.signing_input();
  for (size_t bit = 0; bit < 64 * 8; bit += 7) {
    std::string sig = jws.signature();
    sig[bit / 8] ^= static_cast<char>(1 << (bit % 8));
    auto modified = Jws::Parse(input + "." + B64(sig));
    ASSERT_THAT(modified, IsOk());
    EXPECT_THAT(GetTokenReason(VerifyJws(*modified, key_)),
                Optional(Eq(TokenReason::kBadSignature)))
        << "bit " << bit;
  }
}

TEST_F(VerifyJwsTest, ModifiedPayloadIsRejected) {
  Jws jws = Jws::Parse(token_).value();
  const std::string token =
      jws.signing_input().substr(0, jws.signing_input().find('.') + 1) +
      B64("payloaD") + "." + B64(jws.signature());
  EXPECT_THAT(GetTokenReason(VerifyJws(Jws::Parse(token).value(), key_)),
              Optional(Eq(TokenReason::kBadSignature)));
}

TEST_F(VerifyJwsTest, TruncatedSignatureIsRejected) {
  Jws jws = Jws::Parse(token_).value();
  const std::string token =
      jws.signing_input() + "." + B64(jws.signature().substr(0, 63));
  EXPECT_THAT(GetTokenReason(VerifyJws(Jws::Parse(token).value(), key_)),
              Optional(Eq(TokenReason::kBadSignature)));
}

TEST_F(VerifyJwsTest, KeyForEncryptionIsRefused) {
  nlohmann::json j = key_.ToPublicJson();
  j["use"] = "enc";
  auto enc = Jwk::FromPublicJson(j);
  ASSERT_THAT(enc, IsOk());
  EXPECT_THAT(GetTokenReason(VerifyJws(Jws::Parse(token_).value(), *enc)),
              Optional(Eq(TokenReason::kKeyNotForSigning)));
}

TEST_F(VerifyJwsTest, KeyOpsWithoutVerifyIsRefused) {
  nlohmann::json j = key_.ToPublicJson();
  j["key_ops"] = {"encrypt"};
  j.erase("use");
  auto k = Jwk::FromPublicJson(j);
  ASSERT_THAT(k, IsOk());
  EXPECT_THAT(GetTokenReason(VerifyJws(Jws::Parse(token_).value(), *k)),
              Optional(Eq(TokenReason::kKeyNotForSigning)));
}

TEST_F(VerifyJwsTest, AlgTheKeyCannotMakeIsRefused) {
  // The same signature bytes, relabelled ES256.
  Jws jws = Jws::Parse(token_).value();
  const std::string token = B64(R"({"alg":"ES256"})") + "." + B64("payload") +
                            "." + B64(jws.signature());
  EXPECT_THAT(GetTokenReason(VerifyJws(Jws::Parse(token).value(), key_)),
              Optional(Eq(TokenReason::kAlgKeyMismatch)));
}

TEST(VerifyJwsRsaTest, Rs256KeyLabelledPs256IsRefused) {
  auto key = Jwk::ParsePublic(kRfc7515RsaPublic);
  ASSERT_THAT(key, IsOk());
  nlohmann::json j = key->ToPublicJson();
  j["alg"] = "PS256";
  auto ps = Jwk::FromPublicJson(j);
  ASSERT_THAT(ps, IsOk());
  EXPECT_THAT(
      GetTokenReason(VerifyJws(Jws::Parse(kRfc7515Rs256Token).value(), *ps)),
      Optional(Eq(TokenReason::kAlgKeyMismatch)));
}

// --- Wycheproof json_web_signature_test.json. ------------------------------
//
// Every vector is run through Jws::Parse and VerifyJws with the group's
// public key (the private JWK with its private members removed when the
// group has no public one). Decisions:
//  - invalid vectors must be rejected (any reason);
//  - valid vectors whose alg is EdDSA, ES256 or RS256 with a key we support
//    must verify;
//  - valid vectors outside the allow-list (HS256, PS*, RS384/512, ES512 on
//    P-521) must be rejected: secretd accepts three algorithms only.
// The file has no "acceptable" vectors.
class JwsWycheproofTest
    : public ::testing::TestWithParam<testing::WycheproofCase> {};

TEST_P(JwsWycheproofTest, VerifyMatchesOurDecision) {
  const testing::WycheproofCase& c = GetParam();
  ASSERT_EQ(c.load_error, "");
  ASSERT_NE(c.result, "acceptable") << "decide how to handle this vector";
  nlohmann::json jwk =
      c.group.contains("public") ? c.group["public"] : c.group["private"];
  for (const char* m : {"d", "p", "q", "dp", "dq", "qi", "k"}) jwk.erase(m);
  auto key = Jwk::FromPublicJson(jwk);
  const std::string token = c.test["jws"].get<std::string>();
  auto jws = Jws::Parse(token);
  const bool accepted = key.ok() && jws.ok() && VerifyJws(*jws, *key).ok();

  bool in_scope = false;
  std::string alg;
  if (auto dot = token.find('.'); dot != std::string::npos) {
    auto header = Base64UrlDecode(token.substr(0, dot));
    if (header.ok()) {
      auto h = nlohmann::json::parse(*header, nullptr, false);
      if (h.is_object() && h.contains("alg") && h["alg"].is_string()) {
        alg = h["alg"].get<std::string>();
      }
    }
  }
  in_scope = key.ok() && SignatureAlgorithmFromName(alg).has_value();
  if (c.result == "valid" && in_scope) {
    EXPECT_TRUE(accepted) << "alg " << alg << ": "
                          << (jws.ok() ? VerifyJws(*jws, *key) : jws.status());
  } else {
    EXPECT_FALSE(accepted) << "alg " << alg;
  }
}

INSTANTIATE_TEST_SUITE_P(Wycheproof, JwsWycheproofTest,
                         ::testing::ValuesIn(testing::LoadWycheproof(
                             "json_web_signature_test.json")),
                         testing::WycheproofTestName);

}  // namespace
}  // namespace keys
