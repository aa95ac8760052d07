#include "bootstrap/http_attestor.h"

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "bootstrap/http_client.h"
#include "keys/jws.h"
#include "keys/secret_bytes.h"

namespace bootstrap {

absl::StatusOr<std::unique_ptr<HttpAttestor>> HttpAttestor::Create(
    absl::string_view url_text, std::string ca_pem,
    const common::Clock& clock) {
  auto url = ParseUrl(url_text);
  if (!url.ok()) {
    return absl::InvalidArgumentError(
        absl::StrCat("--attest-url: ", url.status().message()));
  }
  if (url->scheme == "http" && IsIpAddressLiteral(url->host) &&
      !IsLocalAddressLiteral(url->host)) {
    return absl::InvalidArgumentError(absl::StrCat(
        "--attest-url: plain http is allowed only to loopback or link-local "
        "addresses, not ",
        url->host, "; use https"));
  }
  return std::unique_ptr<HttpAttestor>(
      new HttpAttestor(*std::move(url), std::move(ca_pem), clock));
}

absl::StatusOr<std::string> HttpAttestor::GetToken(
    const AttestationRequest& request, absl::Time deadline) {
  const Url url =
      WithQueryParameters(url_, {{"nonce", request.nonce},
                                 {"audience", request.audience},
                                 {"cnf_x25519", request.cnf_x25519}});
  HttpGetOptions options;
  options.deadline = deadline;
  options.max_body = keys::kMaxTokenBytes + 2;
  options.ca_pem = ca_pem_;
  absl::StatusOr<HttpResponse> response =
      HttpGet(url,
              {{"Metadata-Flavor", "secretd"},
               {"Accept", "application/jwt, text/plain"},
               {"User-Agent", "secretd-bootstrap"}},
              options, clock_);
  if (!response.ok()) {
    return absl::Status(
        response.status().code(),
        absl::StrCat("attestation endpoint: ", response.status().message()));
  }
  const int status = response->status;
  if (status != 200) {
    keys::WipeString(&response->body);
    std::string msg = absl::StrCat("attestation endpoint ", url_.scheme, "://",
                                   url_.host, " answered HTTP ", status);
    if (status == 429 || status >= 500) return absl::UnavailableError(msg);
    return absl::FailedPreconditionError(msg);
  }
  std::string token(absl::StripAsciiWhitespace(response->body));
  keys::WipeString(&response->body);
  if (token.empty()) {
    return absl::FailedPreconditionError(
        "the attestation endpoint answered 200 with an empty body");
  }
  return token;
}

}  // namespace bootstrap
