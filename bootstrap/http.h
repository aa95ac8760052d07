// The small HTTP/1.1 client side that `--attest-url` needs: URLs, the
// request, and a strict parser for the response (untrusted input; fuzzed by
// tests/fuzz/bootstrap:http_response_fuzzer).
//
//   ASSIGN_OR_RETURN(Url url, ParseUrl("http://169.254.169.254/token"));
//   std::string request = FormatGetRequest(url, {{"Metadata-Flavor", "x"}});
//   ...
//   ASSIGN_OR_RETURN(std::optional<HttpResponse> r,
//                    ParseHttpResponse(received, at_eof, 16 * 1024));
//
// Thread-safe (pure functions).
#ifndef SECRETD_BOOTSTRAP_HTTP_H_
#define SECRETD_BOOTSTRAP_HTTP_H_

#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace bootstrap {

inline constexpr size_t kMaxHttpHeaderBytes = 16 * 1024;

struct Url {
  std::string scheme;  // "http" or "https"
  std::string host;    // a name, an IPv4 address or an IPv6 address (no [])
  int port = 0;
  std::string path;  // from the first '/', with the query; "/" if none
  bool operator==(const Url& o) const {
    return scheme == o.scheme && host == o.host && port == o.port &&
           path == o.path;
  }
};

// Parses `http://HOST[:PORT][/PATH][?QUERY]` (or https). The host is a DNS
// name, an IPv4 address or a bracketed IPv6 address; the port defaults to
// 80 / 443. No user info, no fragment, no spaces or control characters.
// kInvalidArgument naming the problem otherwise.
absl::StatusOr<Url> ParseUrl(absl::string_view text);

// `text` with every byte outside RFC 3986's unreserved set
// (A-Z a-z 0-9 - . _ ~) written as %XX.
std::string PercentEncode(absl::string_view text);

// `url` with `name=value` parameters appended to its query (percent-encoded).
Url WithQueryParameters(
    Url url,
    const std::vector<std::pair<std::string, std::string>>& parameters);

// "GET PATH HTTP/1.1" with Host, the given headers and "Connection: close".
std::string FormatGetRequest(
    const Url& url,
    const std::vector<std::pair<std::string, std::string>>& headers);

struct HttpResponse {
  int status = 0;
  std::string body;  // decoded (chunked transfer coding removed)
  bool operator==(const HttpResponse& o) const {
    return status == o.status && body == o.body;
  }
};

// Parses the response in `data`: a status line `HTTP/1.x NNN reason`, header
// lines (CRLF line ends, no folding, at most kMaxHttpHeaderBytes in all),
// and a body delimited by Content-Length, by `Transfer-Encoding: chunked`
// (chunk extensions and trailers allowed), or by the end of the connection.
// Returns nullopt if more bytes are needed and !at_eof. kInvalidArgument
// for anything malformed (including a response truncated at EOF, both or
// conflicting length headers, another transfer coding, an interim 1xx
// response); kResourceExhausted if the headers or the body exceed the
// limits.
absl::StatusOr<std::optional<HttpResponse>> ParseHttpResponse(
    absl::string_view data, bool at_eof, size_t max_body);

}  // namespace bootstrap

#endif  // SECRETD_BOOTSTRAP_HTTP_H_
