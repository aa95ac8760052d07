#include "secretd/names/secret_name.h"

#include <string>

#include "common/testing/status_matchers.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace secretd {
namespace {

using ::common::testing::IsOkAndHolds;
using ::common::testing::StatusIs;
using ::testing::Eq;

TEST(SecretNameTest, AcceptsNamesOfTheDesign) {
  for (const char* ok :
       {"app/db/password", "a", "A-b_c.d/e.f", "x/..y/z.", "1/2/3"}) {
    EXPECT_OK(ValidateSecretName(ok)) << ok;
  }
  EXPECT_OK(ValidateSecretName(std::string(256, 'a')));
}

TEST(SecretNameTest, RejectsEveryMalformedName) {
  struct Case {
    std::string name;
    std::string message;
  } cases[] = {
      {"", "secret name \"\" is invalid: it is empty"},
      {std::string(257, 'a'), "it is longer than 256 characters"},
      {"/app", "empty segment"},
      {"app/", "empty segment"},
      {"app//db", "empty segment"},
      {"app/../db", "may not be '.' or '..'"},
      {"./x", "may not be '.' or '..'"},
      {"app/db pass", "use letters, digits"},
      {"app\\db", "use letters, digits"},
      {"caf\xc3\xa9", "use letters, digits"},
      {"a@b", "use letters, digits"},
      {std::string("a\0b", 3), "use letters, digits"},
  };
  for (const Case& c : cases) {
    EXPECT_THAT(ValidateSecretName(c.name),
                StatusIs(absl::StatusCode::kInvalidArgument,
                         ::testing::HasSubstr(c.message)))
        << c.name;
  }
}

TEST(SecretNameTest, MessagesEscapeAndTruncateTheName) {
  EXPECT_THAT(ValidateSecretName("bad\nname"),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       ::testing::StartsWith(
                           "secret name \"bad\\x0aname\" is invalid")));
  EXPECT_THAT(ValidateSecretName(std::string(300, 'z')),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       ::testing::HasSubstr(std::string(64, 'z') + "...\"")));
}

TEST(SecretRefTest, ParsesNamesAndPinnedVersions) {
  EXPECT_THAT(ParseSecretRef("app/db"),
              IsOkAndHolds(Eq(SecretRef{"app/db", std::nullopt})));
  EXPECT_THAT(ParseSecretRef("app/db@12"),
              IsOkAndHolds(Eq(SecretRef{"app/db", 12})));
}

TEST(SecretRefTest, RejectsBadVersions) {
  for (const char* bad : {"a@", "a@0", "a@01", "a@-1", "a@+1", "a@1x", "a@1@2",
                          "a@99999999999999999999", "@1"}) {
    EXPECT_THAT(ParseSecretRef(bad),
                StatusIs(absl::StatusCode::kInvalidArgument))
        << bad;
  }
}

TEST(SecretRefTest, FormatRoundTrips) {
  for (const char* ref : {"app/db", "app/db@7"}) {
    ASSERT_OK_AND_ASSIGN(SecretRef r, ParseSecretRef(ref));
    EXPECT_EQ(FormatSecretRef(r), ref);
  }
}

}  // namespace
}  // namespace secretd
