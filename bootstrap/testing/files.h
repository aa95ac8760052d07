// Small file-system helpers for the agent's tests. Testonly.
#ifndef SECRETD_BOOTSTRAP_TESTING_FILES_H_
#define SECRETD_BOOTSTRAP_TESTING_FILES_H_

#include <sys/types.h>

#include <string>

namespace bootstrap::testing {

// The whole file, or "" if it cannot be read.
std::string ReadFileForTest(const std::string& path);

// The permission bits of `path` (lstat), or 0xFFFF if it cannot be stat'ed.
mode_t ModeOf(const std::string& path);

// True if root can chown to `uid` here: running as root and `uid` mapped in
// this process's user namespace (Bazel's sandbox maps only root).
bool CanChownTo(uid_t uid);

}  // namespace bootstrap::testing

#endif  // SECRETD_BOOTSTRAP_TESTING_FILES_H_
