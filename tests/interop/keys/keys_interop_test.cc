// Interop of keys/ with independent implementations, both directions:
// npm jose (JWS/JWT, JWKS, RFC 7638 thumbprints) and npm libsodium-wrappers
// (sealed boxes). Runs node on keys_interop.cjs with the packages that
// tools/setup installs; SECRETD_NODE_MODULES must point at them (tools/setup
// writes it into user.bazelrc). Without it every test fails, saying so.
#include <cstdlib>
#include <string>

#include "absl/strings/str_cat.h"
#include "common/testing/fake_clock.h"
#include "common/testing/status_matchers.h"
#include "common/testing/subprocess.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "keys/encoding.h"
#include "keys/jwk.h"
#include "keys/jws.h"
#include "keys/random.h"
#include "keys/token_verifier.h"
#include "keys/x25519.h"
#include "nlohmann/json.hpp"

namespace keys {
namespace {

using ::common::testing::IsOk;
using Json = nlohmann::json;

constexpr int64_t kNow = 1700000000;
constexpr char kIssuer[] = "attest.interop";
constexpr char kAudience[] = "secretd.interop";

struct NodeResult {
  int exit_code;
  Json response;
  std::string err;
};

class KeysInteropTest : public ::testing::Test {
 protected:
  void SetUp() override {
    const char* modules = std::getenv("SECRETD_NODE_MODULES");
    ASSERT_TRUE(modules != nullptr && *modules != '\0')
        << "SECRETD_NODE_MODULES is not set: run tools/setup (it installs "
           "tests/interop/node_modules and writes user.bazelrc), or pass "
           "--test_env=SECRETD_NODE_MODULES=/abs/path/tests/interop/"
           "node_modules";
  }

  static NodeResult Node(const std::string& command, const Json& request) {
    common::testing::ProcessResult r = common::testing::RunProcess(
        {"node", "tests/interop/keys/keys_interop.cjs", command},
        request.dump());
    NodeResult out{r.exit_code, Json::parse(r.out, nullptr, false), r.err};
    return out;
  }

  static Json Claims() {
    X25519KeyPair pair = X25519KeyPair::Generate();
    return Json{{"iss", kIssuer},
                {"sub", "i-interop"},
                {"aud", kAudience},
                {"iat", kNow},
                {"exp", kNow + 300},
                {"jti", "jti-1"},
                {"nonce", "n-1"},
                {"tags", {{"env", "test"}}},
                {"cnf",
                 {{"jwk",
                   {{"kty", "OKP"},
                    {"crv", "X25519"},
                    {"x", Base64UrlEncode(pair.public_key())}}}}}};
  }

  common::testing::FakeClock clock_{absl::FromUnixSeconds(kNow + 10)};
};

class JoseInteropTest : public KeysInteropTest,
                        public ::testing::WithParamInterface<const char*> {};

TEST_P(JoseInteropTest, TokenSignedByJoseVerifiesHere) {
  const Json claims = Claims();
  NodeResult signed_by_jose = Node(
      "sign", {{"alg", GetParam()}, {"kid", "jose-1"}, {"claims", claims}});
  ASSERT_EQ(signed_by_jose.exit_code, 0) << signed_by_jose.err;
  auto jwks = Jwks::Parse(signed_by_jose.response["jwks"].dump());
  ASSERT_THAT(jwks, IsOk());
  auto shared = std::make_shared<const Jwks>(*std::move(jwks));
  TokenVerifier verifier(
      [shared](absl::string_view iss) {
        return iss == kIssuer ? shared : nullptr;
      },
      clock_);
  TokenVerifierOptions options;
  options.audience = kAudience;
  options.nonce_check = [](absl::string_view n) {
    return n == "n-1" ? absl::OkStatus()
                      : TokenError(TokenReason::kNonceInvalid, "wrong nonce");
  };
  const std::string token = signed_by_jose.response["token"];
  auto verified = verifier.Verify(token, options);
  ASSERT_THAT(verified, IsOk());
  EXPECT_EQ(SignatureAlgorithmName(verified->algorithm()), GetParam());
  EXPECT_EQ(verified->subject(), "i-interop");
  EXPECT_EQ(verified->kid(), "jose-1");
  EXPECT_EQ(verified->claims(), claims);

  // And a byte changed in jose's signature is refused here.
  std::string tampered = token;
  tampered[tampered.size() - 5] =
      tampered[tampered.size() - 5] == 'A' ? 'B' : 'A';
  EXPECT_EQ(GetTokenReason(verifier.Verify(tampered, options).status()),
            TokenReason::kBadSignature);
}

TEST_P(JoseInteropTest, TokenSignedHereVerifiesWithJose) {
  SystemRandom random;
  auto alg = SignatureAlgorithmFromName(GetParam());
  ASSERT_TRUE(alg.has_value());
  auto key = Jwk::Generate(*alg, "ours-1", random);
  ASSERT_THAT(key, IsOk());
  auto jwks = Jwks::FromKeys({key->ToPublic()});
  ASSERT_THAT(jwks, IsOk());
  const Json claims = Claims();
  auto token = SignJwt(**key->signer(), "ours-1", claims);
  ASSERT_THAT(token, IsOk());

  const Json request = {{"jwks", jwks->ToJson()}, {"token", *token},
                        {"issuer", kIssuer},      {"audience", kAudience},
                        {"now", kNow + 10},       {"alg", GetParam()}};
  NodeResult verified = Node("verify", request);
  ASSERT_EQ(verified.exit_code, 0) << verified.response.dump() << verified.err;
  EXPECT_EQ(verified.response["payload"], claims);
  EXPECT_EQ(verified.response["header"]["kid"], "ours-1");
  EXPECT_EQ(verified.response["header"]["typ"], "JWT");

  // jose refuses the same token with one signature byte changed, so the
  // check above is not vacuous.
  std::string tampered = *token;
  tampered[tampered.size() - 5] =
      tampered[tampered.size() - 5] == 'A' ? 'B' : 'A';
  Json bad = request;
  bad["token"] = tampered;
  EXPECT_EQ(Node("verify", bad).exit_code, 1);
}

TEST_P(JoseInteropTest, ThumbprintsAgreeWithJose) {
  SystemRandom random;
  auto key =
      Jwk::Generate(*SignatureAlgorithmFromName(GetParam()), "t", random);
  ASSERT_THAT(key, IsOk());
  NodeResult r = Node("thumbprint", {{"jwk", key->ToPublicJson()}});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.response["thumbprint"], key->Thumbprint());
}

INSTANTIATE_TEST_SUITE_P(Algorithms, JoseInteropTest,
                         ::testing::Values("EdDSA", "ES256", "RS256"));

class SealedBoxInteropTest : public KeysInteropTest,
                             public ::testing::WithParamInterface<size_t> {};

TEST_P(SealedBoxInteropTest, SealedHereOpensWithLibsodiumWrappers) {
  NodeResult pair = Node("keypair", Json::object());
  ASSERT_EQ(pair.exit_code, 0) << pair.err;
  auto public_key =
      Base64UrlDecode(pair.response["public_key"].get<std::string>());
  ASSERT_THAT(public_key, IsOk());
  SystemRandom random;
  const std::string message = RandomBytes(random, GetParam());
  auto sealed = SealTo(*public_key, message);
  ASSERT_THAT(sealed, IsOk());
  NodeResult opened =
      Node("open", {{"public_key", pair.response["public_key"]},
                    {"private_key", pair.response["private_key"]},
                    {"sealed", Base64UrlEncode(*sealed)}});
  ASSERT_EQ(opened.exit_code, 0) << opened.response.dump() << opened.err;
  EXPECT_EQ(opened.response["message"], Base64UrlEncode(message));
}

TEST_P(SealedBoxInteropTest, SealedByLibsodiumWrappersOpensHere) {
  X25519KeyPair pair = X25519KeyPair::Generate();
  SystemRandom random;
  const std::string message = RandomBytes(random, GetParam());
  NodeResult sealed =
      Node("seal", {{"public_key", Base64UrlEncode(pair.public_key())},
                    {"message", Base64UrlEncode(message)}});
  ASSERT_EQ(sealed.exit_code, 0) << sealed.err;
  auto box = Base64UrlDecode(sealed.response["sealed"].get<std::string>());
  ASSERT_THAT(box, IsOk());
  auto opened = OpenSealed(pair, *box);
  ASSERT_THAT(opened, IsOk());
  EXPECT_EQ(opened->AsStringView(InsecureSecretAccess::Get()), message);
}

INSTANTIATE_TEST_SUITE_P(Sizes, SealedBoxInteropTest,
                         ::testing::Values(0, 1, 100, 65536));

}  // namespace
}  // namespace keys
