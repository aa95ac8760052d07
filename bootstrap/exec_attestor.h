// --attest-exec CMD: runs a command that prints the token.
//
// CMD is split into words by SplitCommandLine (command_line.h), with
// $SECRETD_NONCE, $SECRETD_AUDIENCE and $SECRETD_CNF_X25519 expanded, and
// run directly (posix_spawnp: no shell; a word without '/' is looked up in
// PATH). The child gets the agent's environment plus those three
// variables, stdin from /dev/null, the agent's stderr, and its own process
// group. Its stdout is the token: at most 16 KiB plus a final newline;
// surrounding whitespace is removed.
//
// Failures (all final, never retried): the command cannot be started, it
// exits non-zero or is killed by a signal, it prints nothing or too much,
// or it does not finish before the deadline (its whole process group is
// then killed with SIGKILL). Not thread-safe.
#ifndef SECRETD_BOOTSTRAP_EXEC_ATTESTOR_H_
#define SECRETD_BOOTSTRAP_EXEC_ATTESTOR_H_

#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "bootstrap/attestor.h"
#include "common/clock.h"

namespace bootstrap {

class ExecAttestor final : public Attestor {
 public:
  // kInvalidArgument if `command` does not split into words.
  static absl::StatusOr<std::unique_ptr<ExecAttestor>> Create(
      absl::string_view command, const common::Clock& clock);

  absl::StatusOr<std::string> GetToken(const AttestationRequest& request,
                                       absl::Time deadline) override;

 private:
  ExecAttestor(std::string command, const common::Clock& clock)
      : command_(std::move(command)), clock_(clock) {}
  std::string command_;
  const common::Clock& clock_;
};

}  // namespace bootstrap

#endif  // SECRETD_BOOTSTRAP_EXEC_ATTESTOR_H_
