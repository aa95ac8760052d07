// Secret names and references (docs/DESIGN.md §4).
//
// A name is segments of letters, digits and `_ . -` joined by `/`; every
// segment is non-empty and neither `.` nor `..`; at most 256 characters:
// `app/db/password`. A reference may pin a version: `app/db/password@3`
// (a decimal version >= 1, no sign, no leading zeros).
#ifndef SECRETD_SECRETD_NAMES_SECRET_NAME_H_
#define SECRETD_SECRETD_NAMES_SECRET_NAME_H_

#include <cstdint>
#include <optional>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace secretd {

inline constexpr size_t kMaxSecretNameLength = 256;

// OK, or kInvalidArgument saying what is wrong with `name` (the name is
// quoted, truncated to 64 characters, with control bytes escaped).
absl::Status ValidateSecretName(absl::string_view name);

struct SecretRef {
  std::string name;
  std::optional<int64_t> version;  // absent: the newest enabled version
  bool operator==(const SecretRef& o) const {
    return name == o.name && version == o.version;
  }
};

// Parses `name` or `name@version`. kInvalidArgument as above.
absl::StatusOr<SecretRef> ParseSecretRef(absl::string_view ref);

// `name` or `name@version`.
std::string FormatSecretRef(const SecretRef& ref);

}  // namespace secretd

#endif  // SECRETD_SECRETD_NAMES_SECRET_NAME_H_
