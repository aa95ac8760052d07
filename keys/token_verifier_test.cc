#include "keys/token_verifier.h"

#include <functional>
#include <string>

#include "common/testing/fake_clock.h"
#include "common/testing/status_matchers.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "keys/challenge.h"
#include "keys/encoding.h"
#include "keys/jwk.h"
#include "keys/jws.h"
#include "keys/testing/fake_random.h"
#include "keys/testing/test_tokens.h"
#include "keys/token_reason.h"
#include "keys/x25519.h"

namespace keys {
namespace {

using ::common::testing::IsOk;
using ::common::testing::StatusIs;
using ::testing::ElementsAre;
using ::testing::Eq;
using ::testing::HasSubstr;
using ::testing::Not;
using ::testing::Optional;

using Json = nlohmann::json;

constexpr char kAudience[] = "secretd.test";

class TokenVerifierTest : public ::testing::Test {
 protected:
  TokenVerifierTest()
      : kek_(Kek::Generate(random_)),
        challenger_(Challenger::FromKek(kek_).value()),
        pair_(X25519KeyPair::Generate(random_)),
        nonce_(challenger_.Issue(clock_, random_).value),
        verifier_(issuer_.Lookup(), clock_) {
    options_.audience = kAudience;
    options_.nonce_check = [this](absl::string_view n) {
      return challenger_.Check(n, clock_);
    };
  }

  Json Claims() const {
    return issuer_.Claims(clock_, kAudience, nonce_, pair_.public_key());
  }
  absl::StatusOr<VerifiedClaims> Verify(const std::string& token) const {
    return verifier_.Verify(token, options_);
  }
  absl::StatusOr<VerifiedClaims> VerifyClaims(const Json& claims) const {
    return Verify(issuer_.Sign(claims));
  }
  int64_t Now() const { return absl::ToUnixSeconds(clock_.Now()); }

  testing::FakeRandom random_{21};
  common::testing::FakeClock clock_;
  testing::TestIssuer issuer_;
  Kek kek_;
  Challenger challenger_;
  X25519KeyPair pair_;
  std::string nonce_;
  TokenVerifier verifier_;
  TokenVerifierOptions options_;
};

MATCHER_P(FailsWith, reason,
          std::string("fails with reason ") +
              std::string(TokenReasonName(reason))) {
  if (arg.ok()) {
    *result_listener << "which is OK";
    return false;
  }
  std::optional<TokenReason> got = GetTokenReason(arg.status());
  *result_listener << "whose status is " << arg.status();
  return arg.status().code() == absl::StatusCode::kUnauthenticated &&
         got.has_value() && *got == reason;
}

TEST_F(TokenVerifierTest, ValidTokenIsAccepted) {
  Json claims = Claims();
  claims["tags"] = {{"env", "prod"}};
  claims["nbf"] = Now() - 5;
  const std::string token = issuer_.Sign(claims);
  auto verified = Verify(token);
  ASSERT_THAT(verified, IsOk());
  EXPECT_EQ(verified->issuer(), "attest.test");
  EXPECT_EQ(verified->subject(), "i-0123456789");
  EXPECT_THAT(verified->audience(), ElementsAre(kAudience));
  EXPECT_EQ(verified->issued_at(), clock_.Now());
  EXPECT_EQ(verified->expires_at(), clock_.Now() + absl::Seconds(300));
  EXPECT_EQ(verified->not_before(), clock_.Now() - absl::Seconds(5));
  EXPECT_EQ(verified->jti(), claims["jti"]);
  EXPECT_EQ(verified->nonce(), nonce_);
  EXPECT_EQ(verified->cnf_x25519(), pair_.public_key());
  EXPECT_EQ(verified->token_sha256(), Sha256(token));
  EXPECT_EQ(verified->token_sha256_hex(), Sha256Hex(token));
  EXPECT_EQ(verified->kid(), "test-key-1");
  EXPECT_EQ(verified->algorithm(), SignatureAlgorithm::kEdDSA);
  EXPECT_EQ(verified->claims()["tags"]["env"], "prod");
  EXPECT_TRUE(verified->skipped_checks().empty());
}

TEST_F(TokenVerifierTest, AudienceArrayContainingTheAudienceIsAccepted) {
  Json claims = Claims();
  claims["aud"] = {"other", kAudience};
  EXPECT_THAT(VerifyClaims(claims), IsOk());
}

// --- One test per rule, each asserting the exact reason. ------------------

struct ClaimsCase {
  const char* name;
  std::function<void(Json&, int64_t now)> mutate;
  TokenReason reason;
  const char* message;
};

class TokenClaimsRuleTest : public TokenVerifierTest,
                            public ::testing::WithParamInterface<ClaimsCase> {};

TEST_P(TokenClaimsRuleTest, FailsWithTheExactReason) {
  Json claims = Claims();
  GetParam().mutate(claims, Now());
  auto result = VerifyClaims(claims);
  EXPECT_THAT(result, FailsWith(GetParam().reason));
  EXPECT_THAT(std::string(result.status().message()),
              HasSubstr(GetParam().message));
  EXPECT_THAT(std::string(result.status().message()),
              ::testing::StartsWith("token rejected: "));
}

INSTANTIATE_TEST_SUITE_P(Rules, TokenClaimsRuleTest,
                         ::testing::
                             Values(
                                 ClaimsCase{
                                     "IssMissing",
                                     [](Json& c, int64_t) { c.erase("iss"); },
                                     TokenReason::kClaimMissing,
                                     "no \"iss\" claim"},
                                 ClaimsCase{
                                     "IssNotString",
                                     [](Json& c, int64_t) { c["iss"] = 1; },
                                     TokenReason::kClaimInvalid,
                                     "\"iss\" must be a non-empty"},
                                 ClaimsCase{
                                     "IssEmpty",
                                     [](Json& c, int64_t) { c["iss"] = ""; },
                                     TokenReason::kClaimInvalid,
                                     "\"iss\" must be a non-empty"},
                                 ClaimsCase{
                                     "IssUnknown",
                                     [](Json& c, int64_t) {
                                       c["iss"] = "evil.example";
                                     },
                                     TokenReason::kUnknownIssuer,
                                     "issuer \"evil.example\" is not trusted"},
                                 ClaimsCase{
                                     "SubMissing",
                                     [](Json& c, int64_t) { c.erase("sub"); },
                                     TokenReason::kClaimMissing,
                                     "no \"sub\" claim"},
                                 ClaimsCase{
                                     "SubNotString",
                                     [](Json& c, int64_t) { c["sub"] = {1}; },
                                     TokenReason::kClaimInvalid, "\"sub\""},
                                 ClaimsCase{
                                     "AudMissing",
                                     [](Json& c, int64_t) { c.erase("aud"); },
                                     TokenReason::kClaimMissing,
                                     "no \"aud\" claim"},
                                 ClaimsCase{
                                     "AudNumber",
                                     [](Json& c, int64_t) { c["aud"] = 5; },
                                     TokenReason::kClaimInvalid,
                                     "\"aud\" must be a string"},
                                 ClaimsCase{"AudEmptyArray",
                                            [](Json& c, int64_t) {
                                              c["aud"] = Json::array();
                                            },
                                            TokenReason::kClaimInvalid,
                                            "\"aud\""},
                                 ClaimsCase{"AudArrayOfNumbers",
                                            [](Json& c, int64_t) {
                                              c["aud"] = {1, 2};
                                            },
                                            TokenReason::kClaimInvalid,
                                            "\"aud\""},
                                 ClaimsCase{"AudWrong",
                                            [](Json& c, int64_t) {
                                              c["aud"] = "other.broker";
                                            },
                                            TokenReason::kWrongAudience,
                                            "aud \"other.broker\" does not "
                                            "include \"secretd.test\""},
                                 ClaimsCase{"AudArrayWithoutOurs",
                                            [](Json& c, int64_t) {
                                              c["aud"] = {"a", "b"};
                                            },
                                            TokenReason::kWrongAudience,
                                            "aud \"a\", \"b\""},
                                 ClaimsCase{"AudCaseDiffers",
                                            [](Json& c, int64_t) {
                                              c["aud"] = "SECRETD.test";
                                            },
                                            TokenReason::kWrongAudience,
                                            "does not include"},
                                 ClaimsCase{
                                     "IatMissing",
                                     [](Json& c, int64_t) { c.erase("iat"); },
                                     TokenReason::kClaimMissing,
                                     "no \"iat\" claim"},
                                 ClaimsCase{"IatString",
                                            [](Json& c, int64_t now) {
                                              c["iat"] = std::to_string(now);
                                            },
                                            TokenReason::kClaimInvalid,
                                            "\"iat\" must be a number"},
                                 ClaimsCase{"IatFraction",
                                            [](Json& c, int64_t now) {
                                              c["iat"] = now + 0.5;
                                            },
                                            TokenReason::kClaimInvalid,
                                            "whole number of seconds"},
                                 ClaimsCase{
                                     "IatNegative",
                                     [](Json& c, int64_t) { c["iat"] = -1; },
                                     TokenReason::kClaimInvalid, "before 1970"},
                                 ClaimsCase{
                                     "ExpMissing",
                                     [](Json& c, int64_t) { c.erase("exp"); },
                                     TokenReason::kClaimMissing,
                                     "no \"exp\" claim"},
                                 ClaimsCase{"ExpHuge",
                                            [](Json& c, int64_t) {
                                              c["exp"] =
                                                  static_cast<uint64_t>(1)
                                                  << 63;
                                            },
                                            TokenReason::kClaimInvalid,
                                            "beyond the year 9999"},
                                 ClaimsCase{
                                     "ExpBool",
                                     [](Json& c, int64_t) { c["exp"] = true; },
                                     TokenReason::kClaimInvalid, "\"exp\""},
                                 ClaimsCase{"NbfString",
                                            [](Json& c, int64_t) {
                                              c["nbf"] = "soon";
                                            },
                                            TokenReason::kClaimInvalid,
                                            "\"nbf\""},
                                 ClaimsCase{
                                     "JtiMissing",
                                     [](Json& c, int64_t) { c.erase("jti"); },
                                     TokenReason::kClaimMissing,
                                     "no \"jti\" claim"},
                                 ClaimsCase{
                                     "JtiEmpty",
                                     [](Json& c, int64_t) { c["jti"] = ""; },
                                     TokenReason::kClaimInvalid, "\"jti\""},
                                 ClaimsCase{"TagsNotObject",
                                            [](Json& c, int64_t) {
                                              c["tags"] = {"a"};
                                            },
                                            TokenReason::kClaimInvalid,
                                            "\"tags\" must be an object"},
                                 ClaimsCase{"TagsWithNumber",
                                            [](Json& c, int64_t) {
                                              c["tags"] = {{"n", 1}};
                                            },
                                            TokenReason::kClaimInvalid,
                                            "\"tags\" must be an object"},
                                 ClaimsCase{"Expired31SecondsAgo",
                                            [](Json& c, int64_t now) {
                                              c["iat"] = now - 331;
                                              c["exp"] = now - 31;
                                            },
                                            TokenReason::kExpired,
                                            "expiry check failed: exp "
                                            "2023-11-14T22:12:49Z is 31 s in "
                                            "the past (leeway 30 s); request a "
                                            "fresh token"},
                                 ClaimsCase{"ExpiredExactlyAtTheLeeway",
                                            [](Json& c, int64_t now) {
                                              c["iat"] = now - 330;
                                              c["exp"] = now - 30;
                                            },
                                            TokenReason::kExpired,
                                            "30 s in the past"},
                                 ClaimsCase{"LifetimeTooLong",
                                            [](Json& c, int64_t now) {
                                              c["exp"] = now + 601;
                                            },
                                            TokenReason::kLifetimeTooLong,
                                            "exp - iat is 601 s; this role "
                                            "allows at most 600 s"},
                                 ClaimsCase{"ExpBeforeIat",
                                            [](Json& c, int64_t now) {
                                              c["iat"] = now + 10;
                                              c["exp"] = now + 5;
                                            },
                                            TokenReason::kClaimInvalid,
                                            "is before iat"},
                                 ClaimsCase{"IssuedInTheFuture",
                                            [](Json& c, int64_t now) {
                                              c["iat"] = now + 31;
                                              c["exp"] = now + 331;
                                            },
                                            TokenReason::kIssuedInFuture,
                                            "iat 2023-11-14T22:13:51Z is 31 s "
                                            "in the future"},
                                 ClaimsCase{"NotYetValid",
                                            [](Json& c, int64_t now) {
                                              c["nbf"] = now + 31;
                                            },
                                            TokenReason::kNotYetValid,
                                            "nbf 2023-11-14T22:13:51Z"},
                                 ClaimsCase{
                                     "NonceMissing",
                                     [](Json& c, int64_t) { c.erase("nonce"); },
                                     TokenReason::kNonceMissing,
                                     "no \"nonce\" claim"},
                                 ClaimsCase{
                                     "NonceNumber",
                                     [](Json& c, int64_t) { c["nonce"] = 7; },
                                     TokenReason::kNonceInvalid,
                                     "\"nonce\" must be"},
                                 ClaimsCase{"NonceForged",
                                            [](Json& c, int64_t) {
                                              c["nonce"] = Base64UrlEncode(
                                                  std::string(40, 'x'));
                                            },
                                            TokenReason::kNonceInvalid,
                                            "does not authenticate"},
                                 ClaimsCase{"NonceWrongForm",
                                            [](Json& c, int64_t) {
                                              c["nonce"] = "hello";
                                            },
                                            TokenReason::kNonceInvalid,
                                            "wrong form"},
                                 ClaimsCase{
                                     "CnfMissing",
                                     [](Json& c, int64_t) { c.erase("cnf"); },
                                     TokenReason::kCnfMissing,
                                     "no \"cnf\" claim"},
                                 ClaimsCase{
                                     "CnfNotObject",
                                     [](Json& c, int64_t) { c["cnf"] = "k"; },
                                     TokenReason::kCnfInvalid,
                                     "\"cnf\" must be an object"},
                                 ClaimsCase{"CnfWithoutJwk",
                                            [](Json& c, int64_t) {
                                              c["cnf"] = {{"jkt", "abc"}};
                                            },
                                            TokenReason::kCnfInvalid,
                                            "\"cnf\" has no \"jwk\""},
                                 ClaimsCase{"CnfEd25519Key",
                                            [](Json& c, int64_t) {
                                              c["cnf"]["jwk"]["crv"] =
                                                  "Ed25519";
                                              c["cnf"]["jwk"]["x"] =
                                                  "11qYAYKxCrfVS_"
                                                  "7TyWQHOg7hcvPapiMlrwIaaPcHUR"
                                                  "o";
                                            },
                                            TokenReason::kCnfInvalid,
                                            "must be an OKP X25519 key"},
                                 ClaimsCase{"CnfLowOrderKey",
                                            [](Json& c, int64_t) {
                                              c["cnf"]["jwk"]["x"] =
                                                  Base64UrlEncode(
                                                      std::string(32, 0));
                                            },
                                            TokenReason::kCnfInvalid,
                                            "small order"},
                                 ClaimsCase{"CnfNonCanonicalKey",
                                            [](Json& c, int64_t) {
                                              c["cnf"]["jwk"]["x"] =
                                                  Base64UrlEncode(
                                                      "\x09" +
                                                      std::string(30, '\0') +
                                                      "\x80");
                                            },
                                            TokenReason::kCnfInvalid,
                                            "not canonically encoded"},
                                 ClaimsCase{"CnfShortKey",
                                            [](Json& c, int64_t) {
                                              c["cnf"]["jwk"]["x"] =
                                                  Base64UrlEncode("short");
                                            },
                                            TokenReason::kCnfInvalid,
                                            "must be 32 bytes"},
                                 ClaimsCase{"CnfPrivateKey",
                                            [](Json& c, int64_t) {
                                              c["cnf"]["jwk"]["d"] =
                                                  Base64UrlEncode(
                                                      std::string(32, 1));
                                            },
                                            TokenReason::kCnfInvalid,
                                            "holds a private key"}),
                         [](const ::testing::TestParamInfo<ClaimsCase>& info) {
                           return std::string(info.param.name);
                         });

TEST_F(TokenVerifierTest, BoundariesInsideTheLeewayAreAccepted) {
  const int64_t now = Now();
  Json claims = Claims();
  claims["iat"] = now - 300;
  claims["exp"] = now - 29;
  EXPECT_THAT(VerifyClaims(claims), IsOk());
  claims = Claims();
  claims["iat"] = now + 30;
  claims["exp"] = now + 330;
  claims["nbf"] = now + 30;
  EXPECT_THAT(VerifyClaims(claims), IsOk());
  claims = Claims();
  claims["exp"] = now + 600;
  EXPECT_THAT(VerifyClaims(claims), IsOk());
}

TEST_F(TokenVerifierTest, MaxLifetimeIsPerCall) {
  options_.max_lifetime = absl::Seconds(60);
  Json claims = Claims();
  claims["exp"] = Now() + 61;
  EXPECT_THAT(VerifyClaims(claims), FailsWith(TokenReason::kLifetimeTooLong));
  claims["exp"] = Now() + 60;
  EXPECT_THAT(VerifyClaims(claims), IsOk());
}

TEST_F(TokenVerifierTest, LeewayIsPerCall) {
  options_.leeway = absl::ZeroDuration();
  Json claims = Claims();
  claims["iat"] = Now() + 1;
  EXPECT_THAT(VerifyClaims(claims), FailsWith(TokenReason::kIssuedInFuture));
}

TEST_F(TokenVerifierTest, ExpiredChallengeIsNonceExpired) {
  clock_.Advance(absl::Seconds(301));
  auto result = VerifyClaims(Claims());
  EXPECT_THAT(result, FailsWith(TokenReason::kNonceExpired));
  EXPECT_THAT(std::string(result.status().message()),
              HasSubstr("the challenge expired at"));
}

TEST_F(TokenVerifierTest, NonceHookErrorWithoutReasonIsNonceInvalid) {
  options_.nonce_check = [](absl::string_view) {
    return absl::UnavailableError("store down");
  };
  auto result = VerifyClaims(Claims());
  EXPECT_THAT(result, FailsWith(TokenReason::kNonceInvalid));
  EXPECT_THAT(std::string(result.status().message()), HasSubstr("store down"));
}

// --- Header and signature rules. ------------------------------------------

TEST_F(TokenVerifierTest, TokenOverSixteenKibIsTooLarge) {
  Json claims = Claims();
  claims["padding"] = std::string(16 * 1024, 'p');
  EXPECT_THAT(VerifyClaims(claims), FailsWith(TokenReason::kTooLarge));
}

TEST_F(TokenVerifierTest, TokenWithoutKidIsRejected) {
  auto signer = issuer_.key().signer().value();
  const std::string token = SignJws(*signer, Claims().dump()).value();
  EXPECT_THAT(Verify(token), FailsWith(TokenReason::kKidMissing));
  JwsSignOptions empty_kid;
  empty_kid.kid = "";
  EXPECT_THAT(Verify(SignJws(*signer, Claims().dump(), empty_kid).value()),
              FailsWith(TokenReason::kKidMissing));
}

TEST_F(TokenVerifierTest, PayloadThatIsNotAClaimsObjectIsMalformed) {
  auto signer = issuer_.key().signer().value();
  JwsSignOptions options;
  options.kid = issuer_.kid();
  for (const char* payload :
       {"not json", "[1,2]", "\"iss\"", R"({"iss":"attest.test","iss":"x"})"}) {
    EXPECT_THAT(Verify(SignJws(*signer, payload, options).value()),
                FailsWith(TokenReason::kMalformed))
        << payload;
  }
}

TEST_F(TokenVerifierTest, DuplicateClaimIsMalformedEvenIfSigned) {
  // {"iss":..., ..., "aud":"secretd.test", "aud":"other"}: nlohmann alone
  // would keep the last "aud"; the strict parser refuses the token.
  std::string payload = Claims().dump();
  payload.insert(payload.size() - 1, R"(,"aud":"other")");
  JwsSignOptions options;
  options.kid = issuer_.kid();
  auto token = SignJws(*issuer_.key().signer().value(), payload, options);
  auto result = Verify(token.value());
  EXPECT_THAT(result, FailsWith(TokenReason::kMalformed));
  EXPECT_THAT(std::string(result.status().message()),
              HasSubstr("duplicate member \"aud\""));
}

TEST_F(TokenVerifierTest, UnknownKidIsRejected) {
  testing::TestIssuer other("attest.test", SignatureAlgorithm::kEdDSA,
                            "other-key", 99);
  auto result = Verify(other.Sign(Claims()));
  EXPECT_THAT(result, FailsWith(TokenReason::kUnknownKid));
  EXPECT_THAT(std::string(result.status().message()),
              HasSubstr("kid \"other-key\" is not in the JWKS for issuer "
                        "\"attest.test\"; run \"secretctl trust put\""));
}

TEST_F(TokenVerifierTest, SameKidButWrongKeyIsBadSignature) {
  testing::TestIssuer impostor("attest.test", SignatureAlgorithm::kEdDSA,
                               "test-key-1", 99);
  EXPECT_THAT(Verify(impostor.Sign(Claims())),
              FailsWith(TokenReason::kBadSignature));
}

TEST_F(TokenVerifierTest, SignatureIsCheckedBeforeTheClaims) {
  testing::TestIssuer impostor("attest.test", SignatureAlgorithm::kEdDSA,
                               "test-key-1", 99);
  Json claims = Claims();
  claims["exp"] = Now() - 1000;
  claims["aud"] = "other";
  EXPECT_THAT(Verify(impostor.Sign(claims)),
              FailsWith(TokenReason::kBadSignature));
}

TEST_F(TokenVerifierTest, ExpiryIsCheckedBeforeTheAudience) {
  Json claims = Claims();
  claims["iat"] = Now() - 1000;
  claims["exp"] = Now() - 900;
  claims["aud"] = "other";
  EXPECT_THAT(VerifyClaims(claims), FailsWith(TokenReason::kExpired));
}

TEST_F(TokenVerifierTest, KeyMarkedForEncryptionNeverVerifies) {
  Json jwk = issuer_.key().ToPublicJson();
  jwk["use"] = "enc";
  auto jwks = std::make_shared<const Jwks>(
      Jwks::FromKeys({Jwk::FromPublicJson(jwk).value()}).value());
  TokenVerifier verifier([jwks](absl::string_view) { return jwks; }, clock_);
  EXPECT_THAT(verifier.Verify(issuer_.Sign(Claims()), options_),
              FailsWith(TokenReason::kKeyNotForSigning));
}

TEST_F(TokenVerifierTest, AlgThatTheKeyCannotMakeIsRejected) {
  // Header says ES256, the issuer's key is Ed25519.
  const std::string input =
      Base64UrlEncode(R"({"alg":"ES256","kid":"test-key-1"})") + "." +
      Base64UrlEncode(Claims().dump());
  const std::string sig = issuer_.key().signer().value()->Sign(input).value();
  EXPECT_THAT(Verify(input + "." + Base64UrlEncode(sig)),
              FailsWith(TokenReason::kAlgKeyMismatch));
}

TEST_F(TokenVerifierTest, AlgNoneIsRejected) {
  const std::string token =
      Base64UrlEncode(R"({"alg":"none","kid":"test-key-1"})") + "." +
      Base64UrlEncode(Claims().dump()) + ".";
  EXPECT_THAT(Verify(token), FailsWith(TokenReason::kAlgNotAllowed));
}

TEST_F(TokenVerifierTest, Hs256WithThePublicKeyAsSecretIsRejected) {
  // The classic key-confusion attack: HMAC keyed with the public key bytes.
  const std::string token =
      Base64UrlEncode(R"({"alg":"HS256","kid":"test-key-1"})") + "." +
      Base64UrlEncode(Claims().dump()) + "." +
      Base64UrlEncode(std::string(32, 'm'));
  EXPECT_THAT(Verify(token), FailsWith(TokenReason::kAlgNotAllowed));
}

TEST_F(TokenVerifierTest, CritHeaderIsRejected) {
  const std::string input =
      Base64UrlEncode(
          R"({"alg":"EdDSA","crit":["x"],"kid":"test-key-1","x":1})") +
      "." + Base64UrlEncode(Claims().dump());
  const std::string sig = issuer_.key().signer().value()->Sign(input).value();
  EXPECT_THAT(Verify(input + "." + Base64UrlEncode(sig)),
              FailsWith(TokenReason::kCritUnsupported));
}

TEST_F(TokenVerifierTest, MessagesNeverContainTheTokenOrSignature) {
  testing::TestIssuer impostor("attest.test", SignatureAlgorithm::kEdDSA,
                               "test-key-1", 99);
  const std::string token = impostor.Sign(Claims());
  const std::string sig_b64 = token.substr(token.rfind('.') + 1);
  auto result = Verify(token);
  ASSERT_THAT(result, Not(IsOk()));
  EXPECT_THAT(std::string(result.status().message()),
              Not(HasSubstr(sig_b64.substr(0, 16))));
  EXPECT_THAT(std::string(result.status().message()),
              Not(HasSubstr(token.substr(0, 16))));
}

TEST_F(TokenVerifierTest, HostileKidIsSanitisedInMessages) {
  testing::TestIssuer other("attest.test", SignatureAlgorithm::kEdDSA,
                            std::string("k\n\"") + std::string(100, 'x'), 99);
  auto result = Verify(other.Sign(Claims()));
  EXPECT_THAT(result, FailsWith(TokenReason::kUnknownKid));
  EXPECT_THAT(std::string(result.status().message()),
              HasSubstr("kid \"k??xxx"));
  EXPECT_THAT(std::string(result.status().message()), Not(HasSubstr("\n")));
  EXPECT_THAT(std::string(result.status().message()),
              Not(HasSubstr(std::string(80, 'x'))));
}

// --- Options. ---------------------------------------------------------------

TEST_F(TokenVerifierTest, MissingAudienceOptionIsAProgrammingError) {
  options_.audience = "";
  auto result = VerifyClaims(Claims());
  EXPECT_THAT(result, StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_EQ(GetTokenReason(result.status()), std::nullopt);
}

TEST_F(TokenVerifierTest, MissingNonceHookIsAProgrammingError) {
  options_.nonce_check = nullptr;
  EXPECT_THAT(VerifyClaims(Claims()),
              StatusIs(absl::StatusCode::kInvalidArgument));
}

TEST_F(TokenVerifierTest, SkippedChecksAreReported) {
  options_.audience = "";
  options_.skip_audience_check = true;
  options_.nonce_check = nullptr;
  options_.skip_nonce_check = true;
  Json claims = Claims();
  claims["aud"] = "anything";
  claims["nonce"] = "not-a-challenge";
  auto verified = VerifyClaims(claims);
  ASSERT_THAT(verified, IsOk());
  EXPECT_THAT(verified->skipped_checks(), ElementsAre("audience", "nonce"));
  EXPECT_EQ(verified->nonce(), "not-a-challenge");
}

TEST_F(TokenVerifierTest, SignatureOnlyIgnoresTheClaims) {
  Json claims = Claims();
  claims["exp"] = 1;
  claims.erase("cnf");
  auto checked = verifier_.VerifySignatureOnly(issuer_.Sign(claims));
  ASSERT_THAT(checked, IsOk());
  EXPECT_EQ((*checked)["exp"], 1);
  testing::TestIssuer impostor("attest.test", SignatureAlgorithm::kEdDSA,
                               "test-key-1", 99);
  EXPECT_THAT(verifier_.VerifySignatureOnly(impostor.Sign(claims)),
              FailsWith(TokenReason::kBadSignature));
}

// --- Every algorithm end to end. -------------------------------------------

class TokenVerifierAlgorithmTest
    : public ::testing::TestWithParam<SignatureAlgorithm> {};

TEST_P(TokenVerifierAlgorithmTest, ValidTokenOfEachAlgorithmIsAccepted) {
  common::testing::FakeClock clock;
  testing::FakeRandom random(3);
  testing::TestIssuer issuer("attest.test", GetParam(), "k", 4);
  X25519KeyPair pair = X25519KeyPair::Generate(random);
  TokenVerifier verifier(issuer.Lookup(), clock);
  TokenVerifierOptions options;
  options.audience = kAudience;
  options.nonce_check = [](absl::string_view n) {
    return n == "n1" ? absl::OkStatus()
                     : TokenError(TokenReason::kNonceInvalid, "no");
  };
  auto verified = verifier.Verify(
      issuer.Sign(issuer.Claims(clock, kAudience, "n1", pair.public_key())),
      options);
  ASSERT_THAT(verified, IsOk());
  EXPECT_EQ(verified->algorithm(), GetParam());
}

INSTANTIATE_TEST_SUITE_P(Algorithms, TokenVerifierAlgorithmTest,
                         ::testing::Values(SignatureAlgorithm::kEdDSA,
                                           SignatureAlgorithm::kES256,
                                           SignatureAlgorithm::kRS256));

}  // namespace
}  // namespace keys
