// Process hardening that every secretd binary runs first thing in main().
//
// DisableCoreDumps() sets RLIMIT_CORE to 0 and PR_SET_DUMPABLE to 0, so a
// crash never writes key material or secret values to a core file and other
// processes of the same uid cannot ptrace us or read /proc/<pid>/mem.
// Returns kInternal naming the failed call; callers should refuse to start.
#ifndef SECRETD_COMMON_PROCESS_HARDENING_H_
#define SECRETD_COMMON_PROCESS_HARDENING_H_

#include "absl/status/status.h"

namespace common {

absl::Status DisableCoreDumps();

}  // namespace common

#endif  // SECRETD_COMMON_PROCESS_HARDENING_H_
