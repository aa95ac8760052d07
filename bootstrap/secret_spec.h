// The `--secret NAME[=TARGET[:MODE[:OWNER]]]` argument (docs/bootstrap.md §2).
//
//   app/db/password                      file OUT/app/db/password, 0400
//   app/db/password@3=db.pw:0440:root:app   version 3, file OUT/db.pw, mode
//                                        0440, owner root, group app
//   app/tls/key=:0400:www-data           default path, owner www-data
//   app/db/password=DB_PASSWORD          with --exec: the variable name
//
// NAME is a secret reference (`name` or `name@version`, DESIGN.md §4).
// TARGET is everything after the first '=' up to the next ':' (so it cannot
// contain ':'); empty means the default. MODE is 3 or 4 octal digits at
// most 0777. OWNER is the rest of the argument: USER or USER:GROUP, names or
// numeric ids (resolved later, see owner.h). A spec is parsed here without
// looking at the system; the meaning of TARGET (a path or a variable name)
// depends on the delivery mode and is checked by the planners.
#ifndef SECRETD_BOOTSTRAP_SECRET_SPEC_H_
#define SECRETD_BOOTSTRAP_SECRET_SPEC_H_

#include <sys/types.h>

#include <optional>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "secretd/names/secret_name.h"

namespace bootstrap {

struct SecretSpec {
  secretd::SecretRef ref;
  std::string target;                // empty: the default path or variable
  std::optional<mode_t> mode;        // absent: the default (0400)
  std::optional<std::string> owner;  // absent: the agent's own uid and gid
};

// kInvalidArgument naming the argument and what is wrong with it.
absl::StatusOr<SecretSpec> ParseSecretSpec(absl::string_view spec);

// The file mode of `text`: 3 or 4 octal digits, at most 0777 (no setuid,
// setgid or sticky bits). kInvalidArgument otherwise.
absl::StatusOr<mode_t> ParseFileMode(absl::string_view text);

}  // namespace bootstrap

#endif  // SECRETD_BOOTSTRAP_SECRET_SPEC_H_
