// secretctl: the admin and auditor CLI of secretd (docs/DESIGN.md §8).
#include <iostream>
#include <utility>
#include <vector>

#include "common/cli.h"
#include "common/process_hardening.h"
#include "secretctl/commands.h"

namespace secretctl {

std::vector<common::cli::Flag> GlobalFlags() {
  return {{"data-dir", "DIR",
           "the broker's data directory (secretctl init makes it); admin "
           "commands talk to DIR/admin.sock"},
          {"admin-socket", "PATH",
           "talk to this admin socket instead of DIR/admin.sock (a replica "
           "started with secretd serve --admin-socket PATH)"}};
}

}  // namespace secretctl

int main(int argc, char** argv) {
  if (absl::Status s = common::DisableCoreDumps(); !s.ok()) {
    std::cerr << "secretctl: " << s.message() << "\n";
    return common::cli::kExitRefused;
  }
  common::cli::Program program;
  program.name = "secretctl";
  program.about =
      "Administers secretd: trust issuers, define roles, put secrets (through "
      "the broker's admin socket), simulate and validate policies, play a "
      "platform attestor for development, and verify, query and report the "
      "audit log.";
  program.global_flags = secretctl::GlobalFlags();
  // Command groups are appended here as they are built.
  for (common::cli::Command& c : secretctl::AdminCommands()) {
    program.commands.push_back(std::move(c));
  }
  for (common::cli::Command& c : secretctl::PolicyCommands()) {
    program.commands.push_back(std::move(c));
  }
  for (common::cli::Command& c : secretctl::AttestCommands()) {
    program.commands.push_back(std::move(c));
  }
  for (common::cli::Command& c : secretctl::AuditCommands()) {
    program.commands.push_back(std::move(c));
  }
  return common::cli::Run(program, argc, argv);
}
