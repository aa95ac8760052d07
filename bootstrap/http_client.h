// One HTTP(S) GET with a deadline and size limits, for `--attest-url`.
//
//   ASSIGN_OR_RETURN(HttpResponse r,
//                    HttpGet(url, {{"Metadata-Flavor", "secretd"}}, options));
//
// Plain http is allowed only to loopback (127.0.0.0/8, ::1) and link-local
// (169.254.0.0/16, fe80::/10) addresses, where platform metadata services
// live: a host name must resolve to such addresses only, or the request is
// refused before connecting. https may go anywhere; the server certificate
// is checked against `ca_pem` (if set) or the system's trust store, and
// against the URL's host (name or IP address). TLS 1.2 or newer.
//
// Errors: kUnavailable when the server cannot be reached, does not answer
// in time, or the connection breaks (a caller may retry);
// kFailedPrecondition for a refused plain-http address or a TLS
// certificate that does not verify; kInvalidArgument / kResourceExhausted
// for a malformed or oversized response (http.h). Thread-compatible.
#ifndef SECRETD_BOOTSTRAP_HTTP_CLIENT_H_
#define SECRETD_BOOTSTRAP_HTTP_CLIENT_H_

#include <sys/socket.h>

#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "bootstrap/http.h"
#include "common/clock.h"

namespace bootstrap {

// True for loopback and link-local IPv4/IPv6 socket addresses.
bool IsLocalAddress(const sockaddr* addr);
// The same for an IP address literal; false for names and garbage.
bool IsLocalAddressLiteral(const std::string& host);
// True if `host` is an IPv4 or IPv6 address literal (without brackets).
bool IsIpAddressLiteral(const std::string& host);

struct HttpGetOptions {
  absl::Time deadline = absl::InfinitePast();
  size_t max_body = 16 * 1024;
  std::string ca_pem;  // https: trust only these CAs (PEM); empty: system
};

// The response, whatever its status. Its body may hold a credential: the
// caller wipes it (keys::WipeString); the receive buffer is wiped here.
absl::StatusOr<HttpResponse> HttpGet(
    const Url& url,
    const std::vector<std::pair<std::string, std::string>>& headers,
    const HttpGetOptions& options, const common::Clock& clock);

}  // namespace bootstrap

#endif  // SECRETD_BOOTSTRAP_HTTP_CLIENT_H_
