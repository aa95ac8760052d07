// Testonly: run a program and collect its exit code, stdout and stderr.
//
//   ProcessResult r = RunProcess({Runfile("secretctl/secretctl"), "audit",
//                                 "verify", path});
//   EXPECT_EQ(r.exit_code, 0) << r.err;
#ifndef SECRETD_TESTS_E2E_AUDIT_SUBPROCESS_H_
#define SECRETD_TESTS_E2E_AUDIT_SUBPROCESS_H_

#include <map>
#include <string>
#include <vector>

#include "absl/strings/string_view.h"

namespace secretctl::testing {

struct ProcessResult {
  int exit_code = -1;  // -1: did not exit normally (signal) or not started
  std::string out;
  std::string err;
};

// Runs argv[0] (a path) with `argv`, stdin from /dev/null, the current
// environment plus `env`. Blocks until it exits.
ProcessResult RunProcess(const std::vector<std::string>& argv,
                         const std::map<std::string, std::string>& env = {});

// The absolute path of a runfile of this workspace, e.g.
// "secretctl/secretctl".
std::string Runfile(absl::string_view path);

}  // namespace secretctl::testing

#endif  // SECRETD_TESTS_E2E_AUDIT_SUBPROCESS_H_
