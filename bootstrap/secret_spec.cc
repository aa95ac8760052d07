#include "bootstrap/secret_spec.h"

#include <utility>

#include "absl/strings/str_cat.h"

namespace bootstrap {

absl::StatusOr<mode_t> ParseFileMode(absl::string_view text) {
  if (text.size() < 3 || text.size() > 4) {
    return absl::InvalidArgumentError(absl::StrCat(
        "mode \"", text, "\" must be 3 or 4 octal digits, e.g. 0400 or 0440"));
  }
  mode_t mode = 0;
  for (char c : text) {
    if (c < '0' || c > '7') {
      return absl::InvalidArgumentError(absl::StrCat(
          "mode \"", text, "\" must be octal digits, e.g. 0400 or 0440"));
    }
    mode = mode * 8 + static_cast<mode_t>(c - '0');
  }
  if (mode > 0777) {
    return absl::InvalidArgumentError(absl::StrCat(
        "mode \"", text, "\" may not set the setuid, setgid or sticky bits"));
  }
  return mode;
}

absl::StatusOr<SecretSpec> ParseSecretSpec(absl::string_view spec) {
  auto bad = [&](absl::string_view why) {
    return absl::InvalidArgumentError(
        absl::StrCat("--secret \"", spec, "\": ", why));
  };
  SecretSpec out;
  const size_t eq = spec.find('=');
  auto ref = secretd::ParseSecretRef(spec.substr(0, eq));
  if (!ref.ok()) return bad(ref.status().message());
  out.ref = *std::move(ref);
  if (eq == absl::string_view::npos) return out;

  absl::string_view rest = spec.substr(eq + 1);
  const size_t colon1 = rest.find(':');
  out.target = std::string(rest.substr(0, colon1));
  if (colon1 == absl::string_view::npos) {
    if (out.target.empty()) {
      return bad("nothing after '='; write NAME, NAME=PATH or NAME=PATH:MODE");
    }
    return out;
  }
  rest.remove_prefix(colon1 + 1);
  const size_t colon2 = rest.find(':');
  absl::string_view mode = rest.substr(0, colon2);
  if (!mode.empty()) {
    auto m = ParseFileMode(mode);
    if (!m.ok()) return bad(m.status().message());
    out.mode = *m;
  }
  if (colon2 != absl::string_view::npos) {
    absl::string_view owner = rest.substr(colon2 + 1);
    if (owner.empty()) return bad("empty OWNER after the last ':'");
    out.owner = std::string(owner);
  }
  return out;
}

}  // namespace bootstrap
