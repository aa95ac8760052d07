#include "bootstrap/secret_spec.h"

#include "common/testing/status_matchers.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace bootstrap {
namespace {

using ::common::testing::StatusIs;
using ::testing::HasSubstr;

TEST(SecretSpecTest, NameAloneTakesEveryDefault) {
  ASSERT_OK_AND_ASSIGN(SecretSpec s, ParseSecretSpec("app/db/password"));
  EXPECT_EQ(s.ref.name, "app/db/password");
  EXPECT_FALSE(s.ref.version.has_value());
  EXPECT_EQ(s.target, "");
  EXPECT_FALSE(s.mode.has_value());
  EXPECT_FALSE(s.owner.has_value());
}

TEST(SecretSpecTest, EveryPartIsParsed) {
  ASSERT_OK_AND_ASSIGN(
      SecretSpec s, ParseSecretSpec("app/db/password@3=db.pw:0440:root:app"));
  EXPECT_EQ(s.ref.name, "app/db/password");
  EXPECT_EQ(s.ref.version, 3);
  EXPECT_EQ(s.target, "db.pw");
  EXPECT_EQ(s.mode, 0440u);
  EXPECT_EQ(s.owner, "root:app");
}

TEST(SecretSpecTest, EmptyTargetAndModeKeepTheirDefaults) {
  ASSERT_OK_AND_ASSIGN(SecretSpec s, ParseSecretSpec("tls/key=::www-data"));
  EXPECT_EQ(s.target, "");
  EXPECT_FALSE(s.mode.has_value());
  EXPECT_EQ(s.owner, "www-data");
  ASSERT_OK_AND_ASSIGN(s, ParseSecretSpec("tls/key=:600"));
  EXPECT_EQ(s.mode, 0600u);
  ASSERT_OK_AND_ASSIGN(s, ParseSecretSpec("app/x=APP_X"));
  EXPECT_EQ(s.target, "APP_X");
}

TEST(SecretSpecTest, BadPartsAreRejectedWithTheArgument) {
  EXPECT_THAT(ParseSecretSpec("app//x"),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("--secret \"app//x\": secret name")));
  EXPECT_THAT(ParseSecretSpec("app/x@0"),
              StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(ParseSecretSpec("app/x="),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("nothing after '='")));
  EXPECT_THAT(ParseSecretSpec("app/x=f:0999"),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("octal")));
  EXPECT_THAT(
      ParseSecretSpec("app/x=f:4755"),
      StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("setuid")));
  EXPECT_THAT(ParseSecretSpec("app/x=f:04"),
              StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(
      ParseSecretSpec("app/x=f:0400:"),
      StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("empty OWNER")));
}

TEST(ParseFileModeTest, AcceptsThreeOrFourOctalDigits) {
  EXPECT_THAT(ParseFileMode("400"), common::testing::IsOkAndHolds(0400u));
  EXPECT_THAT(ParseFileMode("0777"), common::testing::IsOkAndHolds(0777u));
  EXPECT_THAT(ParseFileMode("1777"),
              StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(ParseFileMode("0o400"),
              StatusIs(absl::StatusCode::kInvalidArgument));
}

}  // namespace
}  // namespace bootstrap
