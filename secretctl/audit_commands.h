// `secretctl audit verify|query|report`: the auditor's commands
// (docs/DESIGN.md §8, docs/audit.md "For auditors"). The work is done by the
// libraries in secretctl/audit/; this file parses flags, picks the audit
// public key, and maps results to exit codes:
//
//   0  verify: every file intact (and signed, if a key was given);
//      query: ran (matches or not); report: written, logs intact
//   1  verify: a file is tampered, damaged, unreadable, or a replica appears
//      in two files; query --verify: the same, nothing queried; report:
//      written, but the logs failed verification (or a file is unreadable)
//   2  usage error: unknown flag, bad value, no audit public key and no
//      --skip-signatures, unreadable key file
#ifndef SECRETD_SECRETCTL_AUDIT_COMMANDS_H_
#define SECRETD_SECRETCTL_AUDIT_COMMANDS_H_

#include <functional>
#include <vector>

#include "common/cli.h"
#include "common/clock.h"

namespace secretctl {

// Seams for tests.
struct AuditCommandHooks {
  // Called by `query --verify` and `report` once the logs are verified and
  // before they are read again for the query or the report (a test changes
  // a log there).
  std::function<void()> after_verify;
};

// The audit command group. Relative times (--since 24h) and the report's
// date come from `clock`, which must outlive the commands.
std::vector<common::cli::Command> AuditCommands(const common::Clock& clock,
                                                AuditCommandHooks hooks = {});
// The same with the system clock (for main.cc).
std::vector<common::cli::Command> AuditCommands();

}  // namespace secretctl

#endif  // SECRETD_SECRETCTL_AUDIT_COMMANDS_H_
