#include "bootstrap/response_check.h"

#include "absl/strings/str_cat.h"
#include "bootstrap/exit_code.h"
#include "bootstrap/testing/release_builder.h"
#include "common/testing/status_matchers.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "keys/encoding.h"
#include "keys/testing/fake_random.h"

namespace bootstrap {
namespace {

using ::bootstrap::testing::BuildResponse;
using ::bootstrap::testing::Forgery;
using ::bootstrap::testing::ForgeryName;
using ::bootstrap::testing::ReleaseInput;
using ::common::testing::StatusIs;
using ::testing::HasSubstr;
using ::testing::Not;

const absl::Time kNow = absl::FromUnixSeconds(1700000000);

class ResponseCheckTest : public ::testing::Test {
 protected:
  ResponseCheckTest()
      : release_(keys::Ed25519Signer::Generate(random_)),
        recipient_(keys::X25519KeyPair::Generate(random_)) {
    input_.role = "web";
    input_.subject = "i-1";
    input_.token_id = "jti-1";
    input_.token_sha256 = keys::Sha256("token");
    input_.issued_at = absl::ToUnixSeconds(kNow);
    input_.expires_at = input_.issued_at + 600;
    input_.secrets = {{"app/db/password", 3, "hunter2"},
                      {"app/api", 1, std::string("k\0y", 3)}};
    expected_.role = "web";
    expected_.subject = "i-1";
    expected_.token_id = "jti-1";
    expected_.token_sha256 = keys::Sha256("token");
    expected_.secrets = {{"app/api", std::nullopt}, {"app/db/password", 3}};
  }

  absl::StatusOr<VerifiedRelease> Verify(Forgery forgery = Forgery::kNone) {
    auto verifier = ResponseVerifier::Create(release_->public_key());
    if (!verifier.ok()) return verifier.status();
    return verifier->Verify(
        BuildResponse(input_, recipient_.public_key(), *release_, forgery),
        expected_, recipient_, kNow);
  }

  keys::testing::FakeRandom random_{3};
  std::unique_ptr<keys::Ed25519Signer> release_;
  keys::X25519KeyPair recipient_;
  ReleaseInput input_;
  ExpectedBundle expected_;
};

TEST_F(ResponseCheckTest, CorrectResponseReleasesTheSecretsInRequestOrder) {
  ASSERT_OK_AND_ASSIGN(VerifiedRelease r, Verify());
  EXPECT_EQ(r.request_id, "req-0001");
  EXPECT_EQ(r.expires_at, input_.expires_at);
  ASSERT_EQ(r.secrets.size(), 2u);
  const keys::SecretAccess access = keys::InsecureSecretAccess::Get();
  EXPECT_EQ(r.secrets[0].name, "app/api");
  EXPECT_EQ(r.secrets[0].version, 1);
  EXPECT_EQ(r.secrets[0].value.AsStringView(access),
            absl::string_view("k\0y", 3));
  EXPECT_EQ(r.secrets[1].name, "app/db/password");
  EXPECT_EQ(r.secrets[1].version, 3);
  EXPECT_EQ(r.secrets[1].value.AsStringView(access), "hunter2");
}

class ForgeryTest : public ResponseCheckTest,
                    public ::testing::WithParamInterface<Forgery> {};

TEST_P(ForgeryTest, EveryForgeryIsRefusedWithTheVerificationExitCode) {
  absl::StatusOr<VerifiedRelease> r = Verify(GetParam());
  ASSERT_THAT(r, StatusIs(absl::StatusCode::kFailedPrecondition,
                          HasSubstr("refusing the broker's response")));
  EXPECT_EQ(ExitCodeOf(r.status()), ExitCode::kVerificationFailed);
  EXPECT_THAT(r.status().message(), HasSubstr("(request req-0001)"));
  EXPECT_THAT(r.status().message(), Not(HasSubstr("hunter2")));
}

INSTANTIATE_TEST_SUITE_P(
    AllForgeries, ForgeryTest,
    ::testing::ValuesIn(bootstrap::testing::AllForgeries()),
    [](const ::testing::TestParamInfo<Forgery>& info) {
      std::string name(ForgeryName(info.param));
      name.erase(std::remove(name.begin(), name.end(), '_'), name.end());
      return name;
    });

TEST_F(ResponseCheckTest, ReasonsNameTheFailedCheck) {
  EXPECT_THAT(Verify(Forgery::kWrongSigningKey),
              StatusIs(absl::StatusCode::kFailedPrecondition,
                       HasSubstr("release signature does not verify")));
  EXPECT_THAT(Verify(Forgery::kWrongKeyId),
              StatusIs(absl::StatusCode::kFailedPrecondition,
                       HasSubstr("the pinned key (--release-key) is " +
                                 release_->key_id())));
  EXPECT_THAT(Verify(Forgery::kSealedToOtherKey),
              StatusIs(absl::StatusCode::kFailedPrecondition,
                       HasSubstr("does not open with this agent's key")));
  EXPECT_THAT(Verify(Forgery::kOtherRole),
              StatusIs(absl::StatusCode::kFailedPrecondition,
                       HasSubstr("another role, not \"web\"")));
  EXPECT_THAT(Verify(Forgery::kOtherTokenHash),
              StatusIs(absl::StatusCode::kFailedPrecondition,
                       HasSubstr("token_sha256 differs")));
  EXPECT_THAT(Verify(Forgery::kMissingSecret),
              StatusIs(absl::StatusCode::kFailedPrecondition,
                       HasSubstr("holds 1 secrets, but 2 were requested")));
  EXPECT_THAT(Verify(Forgery::kExpired),
              StatusIs(absl::StatusCode::kFailedPrecondition,
                       HasSubstr("expired at 2023-11-14T22:13:19Z")));
}

TEST_F(ResponseCheckTest, PinnedVersionMustMatch) {
  input_.secrets[0].version = 4;
  EXPECT_THAT(Verify(), StatusIs(absl::StatusCode::kFailedPrecondition,
                                 HasSubstr("secret \"app/db/password\" is "
                                           "version 4, not the requested 3")));
}

TEST_F(ResponseCheckTest, DuplicateSecretIsRefused) {
  input_.secrets[1].name = "app/db/password";
  EXPECT_THAT(Verify(), StatusIs(absl::StatusCode::kFailedPrecondition));
}

TEST_F(ResponseCheckTest, UnprintableRequestIdIsRefused) {
  input_.request_id = "bad\nid";
  EXPECT_THAT(Verify(), StatusIs(absl::StatusCode::kFailedPrecondition,
                                 HasSubstr("request_id is missing")));
}

TEST(ReleaseSignatureMessageTest, IsContextNulRecipientSealed) {
  EXPECT_EQ(ReleaseSignatureMessage("PK", "SEALED"),
            std::string("secretd-release-v1\0PKSEALED", 27));
}

}  // namespace
}  // namespace bootstrap
