// Property: a request line the metrics endpoint accepts has a letters-only
// method and a printable target starting with '/', and writing it back out
// parses to the same values.
#include <cstdint>
#include <cstdlib>
#include <string>

#include "absl/strings/str_cat.h"
#include "secretd/metrics/http_server.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size > secretd::metrics::kMaxRequestHead) return 0;
  absl::string_view head(reinterpret_cast<const char*>(data), size);
  auto parsed = secretd::metrics::ParseHttpRequestLine(head);
  if (!parsed.ok()) return 0;
  if (parsed->method.empty() || parsed->target.empty() ||
      parsed->target[0] != '/') {
    std::abort();
  }
  for (char c : parsed->target) {
    if (c <= 0x20 || c >= 0x7F) std::abort();
  }
  auto again = secretd::metrics::ParseHttpRequestLine(
      absl::StrCat(parsed->method, " ", parsed->target, " HTTP/1.1\r\n"));
  if (!again.ok() || again->method != parsed->method ||
      again->target != parsed->target) {
    std::abort();
  }
  return 0;
}
