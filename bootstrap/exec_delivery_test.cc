#include "bootstrap/exec_delivery.h"

#include <cstring>

#include "common/testing/status_matchers.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace bootstrap {
namespace {

using ::common::testing::IsOkAndHolds;
using ::common::testing::StatusIs;
using ::testing::ElementsAre;
using ::testing::HasSubstr;

SecretSpec Spec(const std::string& name, const std::string& target = "") {
  SecretSpec s;
  s.ref.name = name;
  s.target = target;
  return s;
}

TEST(FindExecutableTest, SearchesPathLikeExecvp) {
  EXPECT_THAT(FindExecutable("sh", "/nonexistent:/bin"),
              IsOkAndHolds("/bin/sh"));
  EXPECT_THAT(FindExecutable("/bin/sh", ""), IsOkAndHolds("/bin/sh"));
  EXPECT_THAT(
      FindExecutable("no-such-command-xyz", "/bin"),
      StatusIs(absl::StatusCode::kNotFound, HasSubstr("not found in PATH")));
  EXPECT_THAT(FindExecutable("/etc/passwd", ""),
              StatusIs(absl::StatusCode::kNotFound));
  EXPECT_THAT(FindExecutable("/bin", ""),
              StatusIs(absl::StatusCode::kNotFound));
}

TEST(PlanVariableNamesTest, DerivesOrTakesTheNames) {
  EXPECT_THAT(PlanVariableNames({Spec("app/db/password"), Spec("tls.key", "K")},
                                {"PATH=/bin"}),
              IsOkAndHolds(ElementsAre("APP_DB_PASSWORD", "K")));
}

TEST(PlanVariableNamesTest, CollisionsAreRefused) {
  EXPECT_THAT(PlanVariableNames({Spec("a.b"), Spec("a-b")}, {}),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("secrets \"a.b\" and \"a-b\" would both be "
                                 "the variable A_B")));
  EXPECT_THAT(PlanVariableNames({Spec("path")}, {"PATH=/bin"}),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("already set in the agent's environment")));
  EXPECT_THAT(PlanVariableNames({Spec("x", "1BAD")}, {}),
              StatusIs(absl::StatusCode::kInvalidArgument));
  SecretSpec with_mode = Spec("x");
  with_mode.mode = 0400;
  EXPECT_THAT(PlanVariableNames({with_mode}, {}),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("MODE and OWNER apply to files")));
}

TEST(ExecEnvironmentTest, KeepsTheInheritedEntriesAndAddsTheSecrets) {
  keys::SecretBytes a = keys::SecretBytes::CopyFrom("s3cret value");
  ASSERT_OK_AND_ASSIGN(
      ExecEnvironment env,
      ExecEnvironment::Build({"PATH=/bin", "X="}, {{"DB", "app/db", &a}}));
  std::vector<std::string> entries;
  for (char* const* p = env.envp(); *p != nullptr; ++p) entries.push_back(*p);
  EXPECT_THAT(entries, ElementsAre("PATH=/bin", "X=", "DB=s3cret value"));
}

TEST(ExecEnvironmentTest, ValueWithNulIsRefused) {
  keys::SecretBytes a = keys::SecretBytes::CopyFrom(std::string("a\0b", 3));
  EXPECT_THAT(ExecEnvironment::Build({}, {{"DB", "app/db", &a}}),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("secret \"app/db\" contains a NUL byte")));
}

TEST(ExecCommandTest, FailureReturnsAStatus) {
  keys::SecretBytes a = keys::SecretBytes::CopyFrom("v");
  ASSERT_OK_AND_ASSIGN(ExecEnvironment env,
                       ExecEnvironment::Build({}, {{"DB", "app/db", &a}}));
  EXPECT_THAT(ExecCommand("/nonexistent/cmd", {"cmd"}, env),
              StatusIs(absl::StatusCode::kNotFound,
                       HasSubstr("cannot run \"/nonexistent/cmd\"")));
}

}  // namespace
}  // namespace bootstrap
