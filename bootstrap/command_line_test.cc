#include "bootstrap/command_line.h"

#include "common/testing/status_matchers.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace bootstrap {
namespace {

using ::common::testing::IsOkAndHolds;
using ::common::testing::StatusIs;
using ::testing::ElementsAre;

const std::map<std::string, std::string, std::less<>> kVars = {
    {"SECRETD_NONCE", "n0nce"}, {"SECRETD_AUDIENCE", "secretd test"}};

TEST(SplitCommandLineTest, SplitsOnWhitespace) {
  EXPECT_THAT(SplitCommandLine("  a  b\tc\nd ", kVars),
              IsOkAndHolds(ElementsAre("a", "b", "c", "d")));
}

TEST(SplitCommandLineTest, QuotesAndBackslashesWorkAsInAShell) {
  EXPECT_THAT(
      SplitCommandLine(R"(a 'b c' "d e" f\ g "h\"i" 'j\k' "")", kVars),
      IsOkAndHolds(ElementsAre("a", "b c", "d e", "f g", "h\"i", "j\\k", "")));
}

TEST(SplitCommandLineTest, ExpandsOnlyTheGivenVariables) {
  EXPECT_THAT(
      SplitCommandLine(
          R"(x --nonce $SECRETD_NONCE --aud "${SECRETD_AUDIENCE}" $HOME ${X} '$SECRETD_NONCE' \$SECRETD_NONCE $ a$SECRETD_NONCE.b)",
          kVars),
      IsOkAndHolds(ElementsAre("x", "--nonce", "n0nce", "--aud", "secretd test",
                               "$HOME", "${X}", "$SECRETD_NONCE",
                               "$SECRETD_NONCE", "$", "an0nce.b")));
}

TEST(SplitCommandLineTest, ExpansionIsNotSplitAgain) {
  EXPECT_THAT(SplitCommandLine("x $SECRETD_AUDIENCE", kVars),
              IsOkAndHolds(ElementsAre("x", "secretd test")));
}

TEST(SplitCommandLineTest, ShellSyntaxIsJustText) {
  EXPECT_THAT(SplitCommandLine("echo a;b | c > d $(e) `f` *", kVars),
              IsOkAndHolds(ElementsAre("echo", "a;b", "|", "c", ">", "d",
                                       "$(e)", "`f`", "*")));
}

TEST(SplitCommandLineTest, MalformedCommandsAreRejected) {
  for (const char* bad : {"", "   ", "a 'b", "a \"b", "a \\"}) {
    EXPECT_THAT(SplitCommandLine(bad, kVars),
                StatusIs(absl::StatusCode::kInvalidArgument))
        << bad;
  }
  EXPECT_THAT(SplitCommandLine(std::string("a\0b", 3), kVars),
              StatusIs(absl::StatusCode::kInvalidArgument));
}

}  // namespace
}  // namespace bootstrap
