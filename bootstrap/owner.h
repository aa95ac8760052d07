// OWNER of a `--secret ...:MODE:OWNER` argument: USER or USER:GROUP.
//
// USER and GROUP are names (looked up with getpwnam_r / getgrnam_r, so
// /etc/passwd, /etc/group and NSS) or decimal ids. Without GROUP the group
// is left as it is (the agent's own group, root under systemd), as
// chown(1) does. Changing the owner needs root (CAP_CHOWN); the file writer
// reports EPERM with that hint.
#ifndef SECRETD_BOOTSTRAP_OWNER_H_
#define SECRETD_BOOTSTRAP_OWNER_H_

#include <sys/types.h>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace bootstrap {

struct Owner {
  uid_t uid = static_cast<uid_t>(-1);  // -1: unchanged
  gid_t gid = static_cast<gid_t>(-1);  // -1: unchanged
};

// kInvalidArgument for a malformed spec; kNotFound naming an unknown user
// or group.
absl::StatusOr<Owner> ResolveOwner(absl::string_view spec);

}  // namespace bootstrap

#endif  // SECRETD_BOOTSTRAP_OWNER_H_
