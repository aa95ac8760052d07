// --attest-url URL: asks an HTTP metadata endpoint for the token.
//
// The request (docs/bootstrap.md §4):
//
//   GET /PATH?QUERY&nonce=N&audience=A&cnf_x25519=K HTTP/1.1
//   Host: HOST
//   Metadata-Flavor: secretd
//   Accept: application/jwt, text/plain
//   User-Agent: secretd-bootstrap
//   Connection: close
//
// (parameters percent-encoded and appended to any query the URL has). The
// endpoint answers 200 with the token as the body (surrounding whitespace is
// ignored; at most 16 KiB). Plain http only to loopback or link-local
// addresses (http_client.h); https anywhere, checked against --attest-ca or
// the system's trust store. Redirects are not followed.
//
// Retried by the agent (kUnavailable): the endpoint cannot be reached or
// times out, or answers 429 or 5xx; metadata services often come up after
// the first boot services. Final: any other status, a malformed or
// oversized answer, a refused address or certificate. Not thread-safe.
#ifndef SECRETD_BOOTSTRAP_HTTP_ATTESTOR_H_
#define SECRETD_BOOTSTRAP_HTTP_ATTESTOR_H_

#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "bootstrap/attestor.h"
#include "bootstrap/http.h"
#include "common/clock.h"

namespace bootstrap {

class HttpAttestor final : public Attestor {
 public:
  // kInvalidArgument for a malformed URL, or plain http to an IP address
  // that is neither loopback nor link-local (names are checked when they
  // are resolved). `ca_pem` (may be empty) pins the CAs for https.
  static absl::StatusOr<std::unique_ptr<HttpAttestor>> Create(
      absl::string_view url, std::string ca_pem, const common::Clock& clock);

  absl::StatusOr<std::string> GetToken(const AttestationRequest& request,
                                       absl::Time deadline) override;

 private:
  HttpAttestor(Url url, std::string ca_pem, const common::Clock& clock)
      : url_(std::move(url)), ca_pem_(std::move(ca_pem)), clock_(clock) {}
  Url url_;
  std::string ca_pem_;
  const common::Clock& clock_;
};

}  // namespace bootstrap

#endif  // SECRETD_BOOTSTRAP_HTTP_ATTESTOR_H_
