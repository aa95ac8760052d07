// Splitting `--attest-exec CMD` into an argument vector, without a shell.
//
// CMD is split into words the way a POSIX shell splits a simple command,
// but nothing else a shell does happens: no globbing, no redirections, no
// pipes, no `;`, no command substitution. Words are separated by unquoted
// spaces, tabs or newlines; '...' is literal; "..." is literal except for
// \" \\ \$ and variable references; a backslash outside quotes escapes the
// next character. The only variables expanded are those in `variables`
// (the agent passes SECRETD_NONCE, SECRETD_AUDIENCE and SECRETD_CNF_X25519),
// written $NAME or ${NAME}, outside single quotes; any other `$` is kept
// as it is. So
//
//   secretctl attest issue --nonce "$SECRETD_NONCE" --cnf-x25519
//   ${SECRETD_CNF_X25519}
//
// runs secretctl with the challenge and the key as two arguments. A word
// that expands to nothing is kept as an empty argument.
#ifndef SECRETD_BOOTSTRAP_COMMAND_LINE_H_
#define SECRETD_BOOTSTRAP_COMMAND_LINE_H_

#include <map>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace bootstrap {

// kInvalidArgument for an unterminated quote, a trailing backslash, a NUL
// byte, or no words at all.
absl::StatusOr<std::vector<std::string>> SplitCommandLine(
    absl::string_view command,
    const std::map<std::string, std::string, std::less<>>& variables);

}  // namespace bootstrap

#endif  // SECRETD_BOOTSTRAP_COMMAND_LINE_H_
