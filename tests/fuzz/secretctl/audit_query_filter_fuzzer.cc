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

// The textbook dynamic programme: m[i][j] = pattern[i:] matches text[j:].
bool Reference(absl::string_view p, absl::string_view t) {
  std::vector<std::vector<bool>> m(p.size() + 1,
                                   std::vector<bool>(t.size() + 1, false));
  m[p.size()][t.size()] = true;
  for (size_t i = p.size(); i-- > 0;) {
    for (size_t j = t.size() + 1; j-- > 0;) {
      if (p[i] == '*') {
        m[i][j] = m[i + 1][j] || (j < t.size() && m[i][j + 1]);
      } else {
        m[i][j] =
            j < t.size() && (p[i] == '?' || p[i] == t[j]) && m[i + 1][j + 1];
      }
    }
  }
  return m[0][0];
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
    // Only four-digit years are RFC 3339 (absl prints year 5 as "5-...").
    const bool four_digit_year = text.size() >= 20 && text[4] == '-' &&
                                 text.find_first_not_of("0123456789") == 4;
    if (four_digit_year && (!again.ok() || *again != *a)) std::abort();
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
  if (pattern.size() <= 128 && text.size() <= 128) {
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
