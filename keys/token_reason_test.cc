#include "keys/token_reason.h"

#include "common/testing/status_matchers.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace keys {
namespace {

using ::common::testing::StatusIs;
using ::testing::Eq;
using ::testing::Optional;

TEST(TokenReasonTest, NamesAreStableSnakeCase) {
  // These strings are in audit logs: changing one is a breaking change.
  EXPECT_EQ(TokenReasonName(TokenReason::kMalformed), "malformed");
  EXPECT_EQ(TokenReasonName(TokenReason::kTooLarge), "too_large");
  EXPECT_EQ(TokenReasonName(TokenReason::kAlgNotAllowed), "alg_not_allowed");
  EXPECT_EQ(TokenReasonName(TokenReason::kCritUnsupported), "crit_unsupported");
  EXPECT_EQ(TokenReasonName(TokenReason::kKidMissing), "kid_missing");
  EXPECT_EQ(TokenReasonName(TokenReason::kUnknownIssuer), "unknown_issuer");
  EXPECT_EQ(TokenReasonName(TokenReason::kUnknownKid), "unknown_kid");
  EXPECT_EQ(TokenReasonName(TokenReason::kKeyNotForSigning),
            "key_not_for_signing");
  EXPECT_EQ(TokenReasonName(TokenReason::kAlgKeyMismatch), "alg_key_mismatch");
  EXPECT_EQ(TokenReasonName(TokenReason::kBadSignature), "bad_signature");
  EXPECT_EQ(TokenReasonName(TokenReason::kClaimMissing), "claim_missing");
  EXPECT_EQ(TokenReasonName(TokenReason::kClaimInvalid), "claim_invalid");
  EXPECT_EQ(TokenReasonName(TokenReason::kExpired), "expired");
  EXPECT_EQ(TokenReasonName(TokenReason::kLifetimeTooLong),
            "lifetime_too_long");
  EXPECT_EQ(TokenReasonName(TokenReason::kIssuedInFuture), "issued_in_future");
  EXPECT_EQ(TokenReasonName(TokenReason::kNotYetValid), "not_yet_valid");
  EXPECT_EQ(TokenReasonName(TokenReason::kWrongAudience), "wrong_audience");
  EXPECT_EQ(TokenReasonName(TokenReason::kNonceMissing), "nonce_missing");
  EXPECT_EQ(TokenReasonName(TokenReason::kNonceInvalid), "nonce_invalid");
  EXPECT_EQ(TokenReasonName(TokenReason::kNonceExpired), "nonce_expired");
  EXPECT_EQ(TokenReasonName(TokenReason::kCnfMissing), "cnf_missing");
  EXPECT_EQ(TokenReasonName(TokenReason::kCnfInvalid), "cnf_invalid");
  EXPECT_EQ(TokenReasonName(TokenReason::kReplayed), "replayed");
}

TEST(TokenReasonTest, NamesRoundTrip) {
  for (int i = 0; i <= static_cast<int>(TokenReason::kReplayed); ++i) {
    const auto reason = static_cast<TokenReason>(i);
    EXPECT_THAT(TokenReasonFromName(TokenReasonName(reason)),
                Optional(Eq(reason)));
  }
  EXPECT_EQ(TokenReasonFromName("Expired"), std::nullopt);
}

TEST(TokenReasonTest, ErrorCarriesReasonAndMessage) {
  absl::Status s = TokenError(TokenReason::kExpired, "expiry check failed");
  EXPECT_THAT(s, StatusIs(absl::StatusCode::kUnauthenticated,
                          "token rejected: expiry check failed"));
  EXPECT_THAT(GetTokenReason(s), Optional(Eq(TokenReason::kExpired)));
}

TEST(TokenReasonTest, OtherStatusesHaveNoReason) {
  EXPECT_EQ(GetTokenReason(absl::OkStatus()), std::nullopt);
  EXPECT_EQ(GetTokenReason(absl::UnauthenticatedError("x")), std::nullopt);
}

}  // namespace
}  // namespace keys
