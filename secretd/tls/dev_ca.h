// Development TLS material for `secretctl init` (docs/DESIGN.md §8): a
// private CA and a server certificate it signs, so a fresh data directory
// serves TLS at once and `bootstrap --ca DATA_DIR/tls/ca.pem` pins it.
// Production deployments may replace tls/server.pem and tls/server.key with
// certificates from their own CA.
//
// Keys are ECDSA P-256, signatures ECDSA-SHA256, serials 128 random bits.
// The CA is valid 10 years with basicConstraints CA:TRUE, pathlen 0; the
// server certificate 825 days, serverAuth, with the given SANs (each one an
// IP address if it parses as one, a DNS name otherwise).
#ifndef SECRETD_SECRETD_TLS_DEV_CA_H_
#define SECRETD_SECRETD_TLS_DEV_CA_H_

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"

namespace secretd::tls {

struct PemPair {
  std::string certificate_pem;
  std::string private_key_pem;  // PKCS#8; write with mode 0600
};

struct DevTlsMaterial {
  PemPair ca;
  PemPair server;
};

// The SANs a server certificate gets when none are named.
std::vector<std::string> DefaultServerSans();

// Checks that `san` is an IP address or a DNS name (letters, digits, '-',
// '.', optionally one leading "*."). kInvalidArgument naming it otherwise.
absl::Status ValidateSan(absl::string_view san);

// Makes a CA and a server certificate for `sans` (DefaultServerSans() when
// empty), valid from `now` minus one hour (clock skew). kInvalidArgument for
// a bad SAN; kInternal naming the OpenSSL call that failed.
absl::StatusOr<DevTlsMaterial> MakeDevTlsMaterial(
    const std::vector<std::string>& sans, absl::Time now);

}  // namespace secretd::tls

#endif  // SECRETD_SECRETD_TLS_DEV_CA_H_
