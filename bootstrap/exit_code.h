// The exit codes of `bootstrap`, and how an error status carries one.
//
// A boot script branches on the exit code (docs/bootstrap.md §5):
//
//   0  the secrets were delivered (or the --exec command was started)
//   1  any other failure (a bug, an unexpected answer from the broker)
//   2  usage: the command line is wrong or inconsistent
//   3  the broker was unreachable (or kept answering UNAVAILABLE) until the
//      deadline (--timeout), or at once: its certificate was refused (does
//      not name the --broker host, or does not chain to --ca)
//   4  attestation failed: the attestor failed, hung or returned no usable
//      token
//   5  denied: the broker answered PERMISSION_DENIED (role or secret)
//   6  token rejected: the broker answered UNAUTHENTICATED
//   7  the response failed verification (forged, or not the answer to this
//      request); nothing was written
//   8  delivery failed: the out-dir, a file, an owner or the --exec command
//
// Every failure site tags its status with WithExitCode; statuses that come
// straight from the broker are mapped by their code (ExitCodeOf).
#ifndef SECRETD_BOOTSTRAP_EXIT_CODE_H_
#define SECRETD_BOOTSTRAP_EXIT_CODE_H_

#include "absl/status/status.h"

namespace bootstrap {

enum class ExitCode : int {
  kOk = 0,
  kOther = 1,
  kUsage = 2,
  kUnreachable = 3,
  kAttestationFailed = 4,
  kDenied = 5,
  kTokenRejected = 6,
  kVerificationFailed = 7,
  kDeliveryFailed = 8,
};

// `status` (not ok) tagged with `code`; an ok status is returned unchanged.
absl::Status WithExitCode(absl::Status status, ExitCode code);

// kOk for an ok status; the tag if WithExitCode set one; otherwise by the
// code of a broker answer: kUnavailable and kDeadlineExceeded →
// kUnreachable, kPermissionDenied → kDenied, kUnauthenticated →
// kTokenRejected, everything else → kOther.
ExitCode ExitCodeOf(const absl::Status& status);

}  // namespace bootstrap

#endif  // SECRETD_BOOTSTRAP_EXIT_CODE_H_
