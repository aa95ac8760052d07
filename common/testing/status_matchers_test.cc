#include "common/testing/status_matchers.h"

#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace common::testing {
namespace {

using ::testing::Eq;
using ::testing::HasSubstr;
using ::testing::Not;

TEST(StatusMatchersTest, IsOkMatchesOnlyOk) {
  EXPECT_THAT(absl::OkStatus(), IsOk());
  EXPECT_THAT(absl::InternalError("x"), Not(IsOk()));
  EXPECT_THAT(absl::StatusOr<int>(3), IsOk());
  EXPECT_THAT(absl::StatusOr<int>(absl::NotFoundError("x")), Not(IsOk()));
}

TEST(StatusMatchersTest, StatusIsChecksTheExactCode) {
  absl::Status s = absl::PermissionDeniedError("role \"web\" may not read");
  EXPECT_THAT(s, StatusIs(absl::StatusCode::kPermissionDenied));
  EXPECT_THAT(s, Not(StatusIs(absl::StatusCode::kUnauthenticated)));
  EXPECT_THAT(s, StatusIs(absl::StatusCode::kPermissionDenied,
                          HasSubstr("may not read")));
  EXPECT_THAT(s, Not(StatusIs(absl::StatusCode::kPermissionDenied,
                              HasSubstr("expired"))));
}

TEST(StatusMatchersTest, StatusIsWorksOnStatusOr) {
  absl::StatusOr<std::string> v = absl::UnavailableError("down");
  EXPECT_THAT(v, StatusIs(absl::StatusCode::kUnavailable, "down"));
  EXPECT_THAT(absl::StatusOr<int>(1), StatusIs(absl::StatusCode::kOk));
}

TEST(StatusMatchersTest, IsOkAndHoldsMatchesTheValue) {
  EXPECT_THAT(absl::StatusOr<int>(4), IsOkAndHolds(Eq(4)));
  EXPECT_THAT(absl::StatusOr<int>(4), Not(IsOkAndHolds(Eq(5))));
  EXPECT_THAT(absl::StatusOr<int>(absl::InternalError("x")),
              Not(IsOkAndHolds(Eq(4))));
}

TEST(StatusMatchersTest, AssertOkAndAssignDeclaresTheValue) {
  ASSERT_OK_AND_ASSIGN(int v, absl::StatusOr<int>(9));
  EXPECT_EQ(v, 9);
}

}  // namespace
}  // namespace common::testing
