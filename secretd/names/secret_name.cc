#include "secretd/names/secret_name.h"

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_split.h"

namespace secretd {
namespace {

// The name as it may appear in an error message: at most 64 characters,
// non-printable bytes as \xNN.
std::string Quote(absl::string_view s) {
  std::string out = "\"";
  size_t n = 0;
  for (char c : s) {
    if (++n > 64) {
      out += "...";
      break;
    }
    const auto u = static_cast<unsigned char>(c);
    if (u < 0x20 || u >= 0x7F || c == '"' || c == '\\') {
      absl::StrAppendFormat(&out, "\\x%02x", u);
    } else {
      out += c;
    }
  }
  return out + "\"";
}

bool IsNameChar(char c) {
  return absl::ascii_isalnum(c) || c == '_' || c == '.' || c == '-';
}

}  // namespace

absl::Status ValidateSecretName(absl::string_view name) {
  auto bad = [&](absl::string_view why) {
    return absl::InvalidArgumentError(
        absl::StrCat("secret name ", Quote(name), " is invalid: ", why));
  };
  if (name.empty()) return bad("it is empty");
  if (name.size() > kMaxSecretNameLength) {
    return bad(absl::StrCat("it is longer than ", kMaxSecretNameLength,
                            " characters"));
  }
  for (char c : name) {
    if (c != '/' && !IsNameChar(c)) {
      return bad("use letters, digits, '_', '.', '-' and '/' between segments");
    }
  }
  for (absl::string_view segment : absl::StrSplit(name, '/')) {
    if (segment.empty())
      return bad("it has an empty segment (a leading, trailing or double '/')");
    if (segment == "." || segment == "..")
      return bad("a segment may not be '.' or '..'");
  }
  return absl::OkStatus();
}

absl::StatusOr<SecretRef> ParseSecretRef(absl::string_view ref) {
  SecretRef out;
  const size_t at = ref.find('@');
  absl::string_view name = ref.substr(0, at);
  if (absl::Status s = ValidateSecretName(name); !s.ok()) return s;
  out.name = std::string(name);
  if (at != absl::string_view::npos) {
    absl::string_view v = ref.substr(at + 1);
    int64_t version = 0;
    bool digits_only = !v.empty() && v.size() <= 18;
    for (char c : v) digits_only = digits_only && absl::ascii_isdigit(c);
    if (!digits_only || v[0] == '0' || !absl::SimpleAtoi(v, &version) ||
        version < 1) {
      return absl::InvalidArgumentError(absl::StrCat(
          "secret reference ", Quote(ref),
          " has a bad version; write name@N with N a whole number from 1"));
    }
    out.version = version;
  }
  return out;
}

std::string FormatSecretRef(const SecretRef& ref) {
  return ref.version ? absl::StrCat(ref.name, "@", *ref.version) : ref.name;
}

}  // namespace secretd
