// Parsing of network addresses given on command lines.
#ifndef SECRETD_COMMON_HOST_PORT_H_
#define SECRETD_COMMON_HOST_PORT_H_

#include <string>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"

namespace common {

// Splits "HOST:PORT" or "[IPV6]:PORT" into host and port (0..65535).
// kInvalidArgument naming the address and the expected form otherwise.
absl::Status SplitHostPort(absl::string_view host_port, std::string* host,
                           int* port);

// True if `host` is a loopback address or "localhost" (127.0.0.0/8, ::1).
bool IsLoopbackHost(absl::string_view host);

}  // namespace common

#endif  // SECRETD_COMMON_HOST_PORT_H_
