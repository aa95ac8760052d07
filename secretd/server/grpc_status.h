// The one place where absl::Status becomes grpc::Status (STYLE.md §3.1):
// the code crosses unchanged, the message is the client-facing one.
#ifndef SECRETD_SECRETD_SERVER_GRPC_STATUS_H_
#define SECRETD_SECRETD_SERVER_GRPC_STATUS_H_

#include "absl/status/status.h"
#include "grpcpp/support/status.h"

namespace secretd {

// The gRPC status with the same code and message. Codes map one to one
// (abseil's codes are gRPC's).
grpc::Status ToGrpcStatus(const absl::Status& status);

}  // namespace secretd

#endif  // SECRETD_SECRETD_SERVER_GRPC_STATUS_H_
