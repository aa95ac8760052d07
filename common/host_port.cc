#include "common/host_port.h"

#include <arpa/inet.h>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"

namespace common {

absl::Status SplitHostPort(absl::string_view host_port, std::string* host,
                           int* port) {
  absl::string_view h, p;
  if (absl::StartsWith(host_port, "[")) {
    size_t close = host_port.find("]:");
    if (close == absl::string_view::npos) {
      return absl::InvalidArgumentError(
          absl::StrCat("address \"", host_port, "\" is not [IPv6]:PORT"));
    }
    h = host_port.substr(1, close - 1);
    p = host_port.substr(close + 2);
  } else {
    size_t colon = host_port.rfind(':');
    if (colon == absl::string_view::npos || host_port.find(':') != colon) {
      return absl::InvalidArgumentError(
          absl::StrCat("address \"", host_port,
                       "\" is not HOST:PORT (write IPv6 as [::1]:PORT)"));
    }
    h = host_port.substr(0, colon);
    p = host_port.substr(colon + 1);
  }
  int n;
  if (h.empty() || !absl::SimpleAtoi(p, &n) || n < 0 || n > 65535) {
    return absl::InvalidArgumentError(
        absl::StrCat("address \"", host_port,
                     "\" needs a host and a port between 0 and 65535"));
  }
  *host = std::string(h);
  *port = n;
  return absl::OkStatus();
}

bool IsLoopbackHost(absl::string_view host) {
  if (host == "localhost") return true;
  std::string h(host);
  in_addr v4;
  if (inet_pton(AF_INET, h.c_str(), &v4) == 1) {
    return (ntohl(v4.s_addr) >> 24) == 127;
  }
  in6_addr v6;
  if (inet_pton(AF_INET6, h.c_str(), &v6) == 1) {
    return IN6_IS_ADDR_LOOPBACK(&v6);
  }
  return false;
}

}  // namespace common
