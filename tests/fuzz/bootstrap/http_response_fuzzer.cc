// Fuzzes ParseHttpResponse, the parser of the --attest-url answer
// (bootstrap/http.h). Properties:
//   - a parsed body never exceeds the limit;
//   - a complete parse is stable: the same bytes at EOF give the same
//     response, and a strict prefix is "need more" (never an error, never
//     complete);
//   - round trip: the response re-serialized with Content-Length, and with
//     chunked transfer coding split at positions taken from the input,
//     parses back to the same status and body.
#include <cstdint>
#include <cstdlib>
#include <string>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "bootstrap/http.h"

namespace {

constexpr size_t kMaxBody = 64;

void Check(bool ok) {
  if (!ok) std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string input(reinterpret_cast<const char*>(data), size);
  for (bool at_eof : {false, true}) {
    auto r = bootstrap::ParseHttpResponse(input, at_eof, kMaxBody);
    if (!r.ok() || !r->has_value()) continue;
    const bootstrap::HttpResponse& resp = **r;
    Check(resp.body.size() <= kMaxBody);
    Check(resp.status >= 200 && resp.status <= 999);

    if (!at_eof) {
      auto again = bootstrap::ParseHttpResponse(input, true, kMaxBody);
      Check(again.ok() && again->has_value() && **again == resp);
      for (size_t cut : {size - 1, size / 2}) {
        if (cut >= size) continue;
        auto prefix =
            bootstrap::ParseHttpResponse(input.substr(0, cut), false, kMaxBody);
        Check(prefix.ok() && !prefix->has_value());
      }
    }

    const bool bodiless = resp.status == 204 || resp.status == 304;
    const std::string head =
        absl::StrFormat("HTTP/1.1 %03d Reason\r\n", resp.status);
    const std::string with_length = absl::StrCat(
        head, "Content-Length: ", resp.body.size(), "\r\n\r\n", resp.body);
    auto a = bootstrap::ParseHttpResponse(with_length, false, kMaxBody);
    Check(a.ok() && a->has_value() && **a == resp);

    if (!bodiless) {
      std::string chunked =
          absl::StrCat(head, "Transfer-Encoding: chunked\r\n\r\n");
      size_t pos = 0, k = 0;
      while (pos < resp.body.size()) {
        size_t n = 1 + static_cast<unsigned char>(input[k++ % size]) % 7;
        n = std::min(n, resp.body.size() - pos);
        absl::StrAppendFormat(&chunked, "%x;e=%d\r\n", n, k);
        chunked.append(resp.body, pos, n);
        chunked += "\r\n";
        pos += n;
      }
      chunked += "0\r\nTrailer: x\r\n\r\n";
      auto c = bootstrap::ParseHttpResponse(chunked, false, kMaxBody);
      Check(c.ok() && c->has_value() && **c == resp);
    }
  }
  return 0;
}
