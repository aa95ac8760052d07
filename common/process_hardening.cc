#include "common/process_hardening.h"

#include <sys/prctl.h>
#include <sys/resource.h>

#include <cerrno>
#include <cstring>

#include "absl/strings/str_cat.h"

namespace common {

absl::Status DisableCoreDumps() {
  struct rlimit zero = {0, 0};
  if (setrlimit(RLIMIT_CORE, &zero) != 0) {
    return absl::InternalError(
        absl::StrCat("setrlimit(RLIMIT_CORE, 0) failed: ", strerror(errno)));
  }
  if (prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) != 0) {
    return absl::InternalError(
        absl::StrCat("prctl(PR_SET_DUMPABLE, 0) failed: ", strerror(errno)));
  }
  return absl::OkStatus();
}

}  // namespace common
