#include "keys/challenge.h"

#include <sodium.h>

#include <string>

#include "common/testing/fake_clock.h"
#include "common/testing/status_matchers.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "keys/encoding.h"
#include "keys/internal/openssl.h"
#include "keys/kek.h"
#include "keys/testing/fake_random.h"
#include "keys/token_reason.h"

namespace keys {
namespace {

using ::common::testing::IsOk;
using ::common::testing::StatusIs;
using ::testing::Eq;
using ::testing::HasSubstr;
using ::testing::Optional;

class ChallengeTest : public ::testing::Test {
 protected:
  testing::FakeRandom random_{41};
  common::testing::FakeClock clock_;
  Kek kek_ = Kek::Generate(random_);
  Challenger challenger_ = Challenger::FromKek(kek_).value();
};

TEST_F(ChallengeTest, IssuedChallengeHasTheDesignedLayout) {
  Challenge c = challenger_.Issue(clock_, random_);
  EXPECT_EQ(c.value.size(), 54u);
  EXPECT_EQ(c.expires_at, clock_.Now() + absl::Seconds(300));
  auto raw = Base64UrlDecode(c.value);
  ASSERT_THAT(raw, IsOk());
  ASSERT_EQ(raw->size(), 40u);
  // ts_be64 = 1700000000 = 0x6553f100
  EXPECT_EQ(HexEncode(raw->substr(0, 8)), "000000006553f100");
}

TEST_F(ChallengeTest, MacMatchesTheDesignFormula) {
  Challenge c = challenger_.Issue(clock_, random_);
  const std::string raw = Base64UrlDecode(c.value).value();
  // Recompute independently: k_chal = HKDF-SHA256(KEK, salt "", info
  // "secretd-challenge-key-v1"), then HMAC-SHA256(k_chal,
  // "secretd-challenge-v1" || ts || rand)[0..16]. (HkdfSha256 is checked
  // against RFC 5869 in keys/internal/openssl_test.cc.)
  auto k_chal = internal::HkdfSha256(kek_.key(InsecureSecretAccess::Get()), "",
                                     "secretd-challenge-key-v1", 32);
  ASSERT_THAT(k_chal, IsOk());
  const std::string input = "secretd-challenge-v1" + raw.substr(0, 24);
  uint8_t mac[crypto_auth_hmacsha256_BYTES];
  crypto_auth_hmacsha256_state st;
  crypto_auth_hmacsha256_init(&st, k_chal->data(InsecureSecretAccess::Get()),
                              32);
  crypto_auth_hmacsha256_update(
      &st, reinterpret_cast<const uint8_t*>(input.data()), input.size());
  crypto_auth_hmacsha256_final(&st, mac);
  EXPECT_EQ(raw.substr(24), std::string(reinterpret_cast<char*>(mac), 16));
}

TEST_F(ChallengeTest, FreshChallengeChecks) {
  Challenge c = challenger_.Issue(clock_, random_);
  EXPECT_THAT(challenger_.Check(c.value, clock_), IsOk());
  clock_.Advance(absl::Seconds(300));
  EXPECT_THAT(challenger_.Check(c.value, clock_), IsOk());
}

TEST_F(ChallengeTest, AnyReplicaWithTheKekChecksIt) {
  Challenge c = challenger_.Issue(clock_, random_);
  Kek same =
      Kek::FromBytes(kek_.key(InsecureSecretAccess::Get()).Clone()).value();
  Challenger replica = Challenger::FromKek(same).value();
  EXPECT_THAT(replica.Check(c.value, clock_), IsOk());
}

TEST_F(ChallengeTest, ExpiredChallengeIsNonceExpired) {
  Challenge c = challenger_.Issue(clock_, random_);
  clock_.Advance(absl::Seconds(301));
  absl::Status s = challenger_.Check(c.value, clock_);
  EXPECT_THAT(s, StatusIs(absl::StatusCode::kUnauthenticated,
                          HasSubstr("the challenge expired at "
                                    "2023-11-14T22:18:20Z (ttl 300 s)")));
  EXPECT_THAT(GetTokenReason(s), Optional(Eq(TokenReason::kNonceExpired)));
}

TEST_F(ChallengeTest, TtlIsConfigurable) {
  Challenger short_lived = Challenger::FromKek(kek_, absl::Seconds(10)).value();
  Challenge c = short_lived.Issue(clock_, random_);
  clock_.Advance(absl::Seconds(11));
  EXPECT_THAT(GetTokenReason(short_lived.Check(c.value, clock_)),
              Optional(Eq(TokenReason::kNonceExpired)));
  EXPECT_THAT(Challenger::FromKek(kek_, absl::ZeroDuration()),
              StatusIs(absl::StatusCode::kInvalidArgument));
}

TEST_F(ChallengeTest, ChallengeFromAnotherKekIsInvalid) {
  Kek other_kek = Kek::Generate(random_);
  Challenger other = Challenger::FromKek(other_kek).value();
  Challenge c = other.Issue(clock_, random_);
  absl::Status s = challenger_.Check(c.value, clock_);
  EXPECT_THAT(GetTokenReason(s), Optional(Eq(TokenReason::kNonceInvalid)));
  EXPECT_THAT(std::string(s.message()), HasSubstr("does not authenticate"));
}

TEST_F(ChallengeTest, EveryModifiedByteIsInvalid) {
  Challenge c = challenger_.Issue(clock_, random_);
  const std::string raw = Base64UrlDecode(c.value).value();
  for (size_t i = 0; i < raw.size(); ++i) {
    std::string m = raw;
    m[i] ^= 0x01;
    EXPECT_THAT(GetTokenReason(challenger_.Check(Base64UrlEncode(m), clock_)),
                Optional(Eq(TokenReason::kNonceInvalid)))
        << "byte " << i;
  }
}

TEST_F(ChallengeTest, MalformedValuesAreInvalid) {
  Challenge c = challenger_.Issue(clock_, random_);
  for (const std::string& bad :
       {std::string(""), std::string("x"), c.value + "A", c.value.substr(1),
        c.value + "=", std::string(54, '-')}) {
    EXPECT_THAT(GetTokenReason(challenger_.Check(bad, clock_)),
                Optional(Eq(TokenReason::kNonceInvalid)))
        << bad;
  }
}

TEST_F(ChallengeTest, ChallengeFromTheFutureIsInvalid) {
  common::testing::FakeClock ahead(clock_.Now() + absl::Seconds(31));
  Challenge c = challenger_.Issue(ahead, random_);
  absl::Status s = challenger_.Check(c.value, clock_);
  EXPECT_THAT(GetTokenReason(s), Optional(Eq(TokenReason::kNonceInvalid)));
  EXPECT_THAT(std::string(s.message()), HasSubstr("in the future"));
  common::testing::FakeClock slightly(clock_.Now() + absl::Seconds(30));
  EXPECT_THAT(
      challenger_.Check(challenger_.Issue(slightly, random_).value, clock_),
      IsOk());
}

}  // namespace
}  // namespace keys
