#include "bootstrap/exit_code.h"

#include <string>

#include "absl/strings/cord.h"
#include "absl/strings/numbers.h"

namespace bootstrap {
namespace {

constexpr char kPayloadUrl[] = "type.secretd.dev/bootstrap.ExitCode";

}  // namespace

absl::Status WithExitCode(absl::Status status, ExitCode code) {
  if (status.ok()) return status;
  status.SetPayload(kPayloadUrl,
                    absl::Cord(std::to_string(static_cast<int>(code))));
  return status;
}

ExitCode ExitCodeOf(const absl::Status& status) {
  if (status.ok()) return ExitCode::kOk;
  if (auto tag = status.GetPayload(kPayloadUrl)) {
    int code = 0;
    if (absl::SimpleAtoi(std::string(*tag), &code) && code >= 1 && code <= 8) {
      return static_cast<ExitCode>(code);
    }
  }
  switch (status.code()) {
    case absl::StatusCode::kUnavailable:
    case absl::StatusCode::kDeadlineExceeded:
      return ExitCode::kUnreachable;
    case absl::StatusCode::kPermissionDenied:
      return ExitCode::kDenied;
    case absl::StatusCode::kUnauthenticated:
      return ExitCode::kTokenRejected;
    default:
      return ExitCode::kOther;
  }
}

}  // namespace bootstrap
