// Properties of the parsers behind `secretctl audit query`'s filters:
// - ParseTimeSpec: a time either does not depend on "now" at all (RFC 3339,
//   dates) or moves with it exactly (now, durations); an absolute result
//   printed as RFC 3339 parses back to itself.
// - GlobMatch agrees with a plain recursive matcher, and every text matches
//   itself once its wildcards are the only ones.
// Input: "<time spec>\n<pattern>\n<text>" (missing parts are empty).
#include <cstdint>
#include <cstdlib>
#include <string>
#include <vector>

#include "absl/strings/str_split.h"
#include "absl/time/time.h"
#include "secretctl/audit/query.h"
#include "secretctl/audit/time_spec.h"

namespace {

bool Reference(absl::string_view p, absl::string_view t, int depth = 0) {
  if (depth > 64) return false;  // the fuzzer bounds the input instead
  if (p.empty()) return t.empty();
  if (p[0] == '*') {
    for (size_t i = 0; i <= t.size(); ++i) {
      if (Reference(p.substr(1), t.substr(i), depth + 1)) return true;
    }
    return false;
  }
  if (t.empty()) return false;
  return (p[0] == '?' || p[0] == t[0]) &&
         Reference(p.substr(1), t.substr(1), depth + 1);
}

void CheckTime(absl::string_view spec) {
  const absl::Time now1 = absl::FromUnixSeconds(1764135705);
  const absl::Time now2 = now1 + absl::Hours(1000);
  auto a = secretctl::ParseTimeSpec(spec, now1);
  auto b = secretctl::ParseTimeSpec(spec, now2);
  if (a.ok() != b.ok()) std::abort();
  if (!a.ok()) return;
  const absl::Duration shift = *b - *a;
  if (shift != absl::ZeroDuration() && shift != now2 - now1) std::abort();
  if (shift == absl::ZeroDuration()) {
    const std::string text =
        absl::FormatTime(absl::RFC3339_full, *a, absl::UTCTimeZone());
    auto again = secretctl::ParseTimeSpec(text, now1);
    if (text.size() >= 20 && text[4] == '-' &&
        (!again.ok() || *again != *a)) {
      std::abort();
    }
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size > 512) return 0;
  std::vector<std::string> parts = absl::StrSplit(
      absl::string_view(reinterpret_cast<const char*>(data), size),
      absl::MaxSplits('\n', 2));
  parts.resize(3);
  CheckTime(parts[0]);
  const std::string& pattern = parts[1];
  const std::string& text = parts[2];
  if (pattern.size() <= 48 && text.size() <= 48) {
    if (secretctl::GlobMatch(pattern, text) != Reference(pattern, text)) {
      std::abort();
    }
  }
  if (text.find_first_of("*?") == std::string::npos &&
      !secretctl::GlobMatch(text, text)) {
    std::abort();
  }
  if (!secretctl::GlobMatch("*", text)) std::abort();
  return 0;
}
