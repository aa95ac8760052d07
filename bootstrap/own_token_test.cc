#include "bootstrap/own_token.h"

#include "common/testing/fake_clock.h"
#include "common/testing/status_matchers.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "keys/encoding.h"
#include "keys/testing/test_tokens.h"
#include "nlohmann/json.hpp"

namespace bootstrap {
namespace {

using ::common::testing::StatusIs;
using ::testing::HasSubstr;

class OwnTokenTest : public ::testing::Test {
 protected:
  nlohmann::json Claims() {
    return issuer_.Claims(clock_, "secretd.test", "the-nonce",
                          std::string(32, '\x09'));
  }
  common::testing::FakeClock clock_;
  keys::testing::TestIssuer issuer_;
};

TEST_F(OwnTokenTest, ReadsSubJtiNonceAndCnf) {
  ASSERT_OK_AND_ASSIGN(OwnTokenClaims c,
                       ReadOwnTokenClaims(issuer_.Sign(Claims())));
  EXPECT_EQ(c.subject, "i-0123456789");
  EXPECT_EQ(c.token_id, Claims()["jti"].get<std::string>());
  EXPECT_EQ(c.nonce, "the-nonce");
  EXPECT_EQ(c.cnf_x25519, keys::Base64UrlEncode(std::string(32, '\x09')));
}

TEST_F(OwnTokenTest, GarbageIsNotAToken) {
  EXPECT_THAT(ReadOwnTokenClaims("not a token"),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("the attestor's token is not usable")));
}

TEST_F(OwnTokenTest, MissingClaimsAreNamed) {
  for (const char* claim : {"sub", "jti", "nonce"}) {
    nlohmann::json c = Claims();
    c.erase(claim);
    EXPECT_THAT(ReadOwnTokenClaims(issuer_.Sign(c)),
                StatusIs(absl::StatusCode::kInvalidArgument,
                         HasSubstr(absl::StrCat("claim \"", claim, "\""))));
    c[claim] = 7;
    EXPECT_THAT(ReadOwnTokenClaims(issuer_.Sign(c)),
                StatusIs(absl::StatusCode::kInvalidArgument));
  }
  nlohmann::json c = Claims();
  c["cnf"] = {{"jwk", {{"kty", "OKP"}}}};
  EXPECT_THAT(
      ReadOwnTokenClaims(issuer_.Sign(c)),
      StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("cnf.jwk.x")));
}

}  // namespace
}  // namespace bootstrap
