#include "bootstrap/exit_code.h"

#include "gtest/gtest.h"

namespace bootstrap {
namespace {

TEST(ExitCodeTest, TagWinsOverTheStatusCode) {
  absl::Status s = WithExitCode(absl::UnavailableError("endpoint down"),
                                ExitCode::kAttestationFailed);
  EXPECT_EQ(ExitCodeOf(s), ExitCode::kAttestationFailed);
  EXPECT_EQ(s.code(), absl::StatusCode::kUnavailable);
  EXPECT_EQ(s.message(), "endpoint down");
}

TEST(ExitCodeTest, BrokerCodesMapWithoutATag) {
  EXPECT_EQ(ExitCodeOf(absl::OkStatus()), ExitCode::kOk);
  EXPECT_EQ(ExitCodeOf(absl::UnavailableError("")), ExitCode::kUnreachable);
  EXPECT_EQ(ExitCodeOf(absl::DeadlineExceededError("")),
            ExitCode::kUnreachable);
  EXPECT_EQ(ExitCodeOf(absl::PermissionDeniedError("")), ExitCode::kDenied);
  EXPECT_EQ(ExitCodeOf(absl::UnauthenticatedError("")),
            ExitCode::kTokenRejected);
  EXPECT_EQ(ExitCodeOf(absl::InvalidArgumentError("")), ExitCode::kOther);
  EXPECT_EQ(ExitCodeOf(absl::ResourceExhaustedError("")), ExitCode::kOther);
  EXPECT_EQ(ExitCodeOf(absl::InternalError("")), ExitCode::kOther);
}

TEST(ExitCodeTest, OkStatusIsNotTagged) {
  EXPECT_TRUE(WithExitCode(absl::OkStatus(), ExitCode::kDenied).ok());
}

}  // namespace
}  // namespace bootstrap
