// Checking the CA files named on the command line (--ca, --attest-ca).
#ifndef SECRETD_BOOTSTRAP_PEM_H_
#define SECRETD_BOOTSTRAP_PEM_H_

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace bootstrap {

// The number of X.509 certificates in `pem` (PEM "CERTIFICATE" blocks that
// parse). kInvalidArgument if there is none or a block does not parse.
absl::StatusOr<int> CountPemCertificates(absl::string_view pem);

}  // namespace bootstrap

#endif  // SECRETD_BOOTSTRAP_PEM_H_
