// Property: a line SplitLine accepts is exactly its body prefix followed by
// its hash member, and its seq/prev/hash read back from that reconstruction.
#include <cstdint>
#include <cstdlib>
#include <string>

#include "absl/strings/str_cat.h"
#include "secretd/audit/record.h"

using secretd::audit::HexSha256;
using secretd::audit::SplitLine;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  absl::string_view line(reinterpret_cast<const char*>(data), size);
  auto f = SplitLine(line);
  if (!f.ok()) return 0;
  const std::string rebuilt =
      absl::StrCat(f->body_prefix, ",\"hash\":\"", HexSha256(f->hash), "\"}");
  if (rebuilt != line) std::abort();
  auto again = SplitLine(rebuilt);
  if (!again.ok() || again->seq != f->seq || again->prev != f->prev ||
      again->hash != f->hash || f->seq == 0) {
    std::abort();
  }
  (void)secretd::audit::BodyHash(f->body_prefix);
  return 0;
}
