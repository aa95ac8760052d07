#include "bootstrap/env_names.h"

#include "common/testing/status_matchers.h"
#include "gtest/gtest.h"

namespace bootstrap {
namespace {

using ::common::testing::IsOk;
using ::common::testing::StatusIs;

TEST(EnvVarNameForTest, UpperCasesAndReplacesSeparators) {
  EXPECT_EQ(EnvVarNameFor("app/db/password"), "APP_DB_PASSWORD");
  EXPECT_EQ(EnvVarNameFor("tls.cert-chain"), "TLS_CERT_CHAIN");
  EXPECT_EQ(EnvVarNameFor("a_b/C"), "A_B_C");
}

TEST(EnvVarNameForTest, LeadingDigitGetsAnUnderscore) {
  EXPECT_EQ(EnvVarNameFor("9lives/key"), "_9LIVES_KEY");
}

TEST(EnvVarNameForTest, DerivedNamesAreAlwaysValid) {
  for (const char* name : {"a", "0", "a.b-c/d_e", "-x", ".hidden/..x"}) {
    EXPECT_THAT(ValidateEnvVarName(EnvVarNameFor(name)), IsOk()) << name;
  }
}

TEST(ValidateEnvVarNameTest, RejectsNonPortableNames) {
  EXPECT_THAT(ValidateEnvVarName("DB_PASSWORD"), IsOk());
  EXPECT_THAT(ValidateEnvVarName("_x1"), IsOk());
  for (const char* bad : {"", "1X", "A-B", "A=B", "A B", "Ä"}) {
    EXPECT_THAT(ValidateEnvVarName(bad),
                StatusIs(absl::StatusCode::kInvalidArgument))
        << bad;
  }
  EXPECT_THAT(ValidateEnvVarName(std::string(256, 'A')),
              StatusIs(absl::StatusCode::kInvalidArgument));
}

}  // namespace
}  // namespace bootstrap
