// The command groups of secretctl. Each group lives in its own library
// (<group>_commands.{h,cc}) and returns its commands; main.cc concatenates
// them. Add a group: declare it here, implement it in its own file, add it
// to main.cc and BUILD.bazel.
#ifndef SECRETD_SECRETCTL_COMMANDS_H_
#define SECRETD_SECRETCTL_COMMANDS_H_

#include <vector>

#include "common/cli.h"

namespace secretctl {

// The global flags every command accepts (--data-dir).
std::vector<common::cli::Flag> GlobalFlags();

// policy validate|simulate (policy_commands.cc).
std::vector<common::cli::Command> PolicyCommands();

// attest keygen|issue|verify (attest_commands.h).
std::vector<common::cli::Command> AttestCommands();

// init, trust, role, secret, kek (admin_commands.h).
std::vector<common::cli::Command> AdminCommands();

// audit verify|query|report (audit_commands.h).
std::vector<common::cli::Command> AuditCommands();

}  // namespace secretctl

#endif  // SECRETD_SECRETCTL_COMMANDS_H_
