#include "secretd/server/grpc_status.h"

#include "gtest/gtest.h"

namespace secretd {
namespace {

TEST(ToGrpcStatusTest, KeepsTheCodeAndTheMessage) {
  const struct {
    absl::Status in;
    grpc::StatusCode code;
  } cases[] = {
      {absl::InvalidArgumentError("bad"), grpc::StatusCode::INVALID_ARGUMENT},
      {absl::UnauthenticatedError("bad"), grpc::StatusCode::UNAUTHENTICATED},
      {absl::PermissionDeniedError("bad"), grpc::StatusCode::PERMISSION_DENIED},
      {absl::ResourceExhaustedError("bad"),
       grpc::StatusCode::RESOURCE_EXHAUSTED},
      {absl::UnavailableError("bad"), grpc::StatusCode::UNAVAILABLE},
      {absl::FailedPreconditionError("bad"),
       grpc::StatusCode::FAILED_PRECONDITION},
      {absl::InternalError("bad"), grpc::StatusCode::INTERNAL},
      {absl::DataLossError("bad"), grpc::StatusCode::DATA_LOSS},
  };
  for (const auto& c : cases) {
    grpc::Status out = ToGrpcStatus(c.in);
    EXPECT_EQ(out.error_code(), c.code) << c.in;
    EXPECT_EQ(out.error_message(), "bad");
  }
  EXPECT_TRUE(ToGrpcStatus(absl::OkStatus()).ok());
}

TEST(ToGrpcStatusTest, EveryAbslCodeHasTheSameNumberInGrpc) {
  for (int code = 1; code <= 16; ++code) {
    grpc::Status out =
        ToGrpcStatus(absl::Status(static_cast<absl::StatusCode>(code), "m"));
    EXPECT_EQ(static_cast<int>(out.error_code()), code);
  }
}

}  // namespace
}  // namespace secretd
