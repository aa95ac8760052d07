#include "bootstrap/env_names.h"

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"

namespace bootstrap {

std::string EnvVarNameFor(absl::string_view secret_name) {
  std::string out;
  out.reserve(secret_name.size() + 1);
  if (!secret_name.empty() && absl::ascii_isdigit(secret_name[0])) {
    out += '_';
  }
  for (char c : secret_name) {
    if (absl::ascii_isalnum(c) || c == '_') {
      out += absl::ascii_toupper(c);
    } else {
      out += '_';
    }
  }
  return out;
}

absl::Status ValidateEnvVarName(absl::string_view name) {
  bool ok =
      !name.empty() && name.size() <= 255 && !absl::ascii_isdigit(name[0]);
  for (char c : name) ok = ok && (absl::ascii_isalnum(c) || c == '_');
  if (ok) return absl::OkStatus();
  return absl::InvalidArgumentError(absl::StrCat(
      "\"", name.substr(0, 64),
      "\" is not a variable name; use letters, digits and '_', not starting "
      "with a digit"));
}

}  // namespace bootstrap
