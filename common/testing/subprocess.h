// RunProcess: runs a program to completion, for tests of real binaries.
//
//   common::testing::ProcessResult r =
//       common::testing::RunProcess({"secretctl/secretctl", "attest", "verify",
//                                    "--jwks", jwks, token});
//   EXPECT_EQ(r.exit_code, 0) << r.err;
//
// Feeds `stdin_data` to the child's stdin, collects stdout and stderr, and
// waits. The child inherits the environment plus `extra_env` ("NAME=value").
// exit_code is the exit status, 128 + N for a child killed by signal N, or
// -1 if the program could not be started (err then says why). Testonly.
// Thread-compatible.
#ifndef SECRETD_COMMON_TESTING_SUBPROCESS_H_
#define SECRETD_COMMON_TESTING_SUBPROCESS_H_

#include <string>
#include <vector>

namespace common::testing {

struct ProcessResult {
  int exit_code = -1;
  std::string out;
  std::string err;
};

ProcessResult RunProcess(const std::vector<std::string>& argv,
                         const std::string& stdin_data = "",
                         const std::vector<std::string>& extra_env = {});

}  // namespace common::testing

#endif  // SECRETD_COMMON_TESTING_SUBPROCESS_H_
