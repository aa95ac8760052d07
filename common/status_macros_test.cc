#include "common/status_macros.h"

#include <memory>
#include <string>

#include "common/testing/status_matchers.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace common {
namespace {

using ::common::testing::IsOkAndHolds;
using ::common::testing::StatusIs;
using ::testing::Eq;
using ::testing::Pointee;

int g_calls = 0;

absl::Status Fails() {
  ++g_calls;
  return absl::NotFoundError("no such role \"web\"");
}
absl::Status Succeeds() {
  ++g_calls;
  return absl::OkStatus();
}
absl::StatusOr<int> Seven() {
  ++g_calls;
  return 7;
}
absl::StatusOr<int> Unavailable() {
  return absl::UnavailableError("store down");
}

absl::Status ReturnIfErrorUser(bool fail, bool* reached_end) {
  RETURN_IF_ERROR(fail ? Fails() : Succeeds());
  *reached_end = true;
  return absl::OkStatus();
}

absl::StatusOr<int> AssignOrReturnUser(bool fail) {
  ASSIGN_OR_RETURN(int v, fail ? Unavailable() : Seven());
  return v * 6;
}

absl::StatusOr<std::unique_ptr<int>> MakeUnique() {
  return std::make_unique<int>(5);
}

absl::Status AssignsMoveOnly(std::unique_ptr<int>* out) {
  ASSIGN_OR_RETURN(*out, MakeUnique());
  return absl::OkStatus();
}

TEST(StatusMacrosTest, ReturnIfErrorPropagatesTheErrorUnchanged) {
  bool reached_end = false;
  EXPECT_THAT(ReturnIfErrorUser(true, &reached_end),
              StatusIs(absl::StatusCode::kNotFound, "no such role \"web\""));
  EXPECT_FALSE(reached_end);
}

TEST(StatusMacrosTest, ReturnIfErrorContinuesOnOk) {
  bool reached_end = false;
  EXPECT_TRUE(ReturnIfErrorUser(false, &reached_end).ok());
  EXPECT_TRUE(reached_end);
}

TEST(StatusMacrosTest, ReturnIfErrorEvaluatesTheExpressionOnce) {
  g_calls = 0;
  bool reached_end = false;
  (void)ReturnIfErrorUser(true, &reached_end);
  EXPECT_EQ(g_calls, 1);
}

TEST(StatusMacrosTest, AssignOrReturnAssignsTheValue) {
  EXPECT_THAT(AssignOrReturnUser(false), IsOkAndHolds(Eq(42)));
}

TEST(StatusMacrosTest, AssignOrReturnPropagatesTheError) {
  EXPECT_THAT(AssignOrReturnUser(true),
              StatusIs(absl::StatusCode::kUnavailable, "store down"));
}

TEST(StatusMacrosTest, AssignOrReturnMovesMoveOnlyValues) {
  std::unique_ptr<int> out;
  ASSERT_TRUE(AssignsMoveOnly(&out).ok());
  EXPECT_THAT(out, Pointee(5));
}

TEST(StatusMacrosTest, AnnotatePrependsContextAndKeepsTheCode) {
  EXPECT_THAT(
      Annotate(absl::InvalidArgumentError("bad kid"), "jwks \"a.json\""),
      StatusIs(absl::StatusCode::kInvalidArgument, "jwks \"a.json\": bad kid"));
}

TEST(StatusMacrosTest, AnnotateLeavesOkAlone) {
  EXPECT_TRUE(Annotate(absl::OkStatus(), "context").ok());
}

}  // namespace
}  // namespace common
