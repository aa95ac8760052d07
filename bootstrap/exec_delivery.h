// `--exec -- CMD ARGS...`: replacing the agent with CMD, the secrets in its
// environment (docs/bootstrap.md §3).
//
//   ASSIGN_OR_RETURN(std::string path, FindExecutable(argv[0],
//   getenv("PATH")));
//   ...provision...
//   ASSIGN_OR_RETURN(ExecEnvironment env, ExecEnvironment::Build(inherited,
//   vars)); release.secrets.clear(); key_pair.reset();        // wipe before
//   exec absl::Status s = ExecCommand(path, argv, env);    // returns only on
//   failure
//
// CMD replaces the agent (execve, same PID), so under systemd it becomes the
// service's main process. Its environment is the agent's own plus one
// variable per secret (env_names.h); a secret variable may not shadow an
// inherited one. The environment block is built in locked memory and wiped
// if exec fails; once CMD runs, the values live in its environment, which
// the agent can no longer wipe (nor can anyone stop CMD from copying them).
#ifndef SECRETD_BOOTSTRAP_EXEC_DELIVERY_H_
#define SECRETD_BOOTSTRAP_EXEC_DELIVERY_H_

#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "bootstrap/secret_spec.h"
#include "keys/secret_bytes.h"

namespace bootstrap {

// Resolves `command` as execvp(3) would: a name with a '/' is used as it is;
// otherwise each directory of `path_env` ("/usr/local/bin:/usr/bin:/bin"
// when empty) is tried. kNotFound unless it names an executable regular
// file.
absl::StatusOr<std::string> FindExecutable(absl::string_view command,
                                           absl::string_view path_env);

// The variable name of each spec, in order: its target if set (validated),
// else EnvVarNameFor(name). kInvalidArgument naming the secrets for a bad
// name, two secrets with one variable, or a variable already in `inherited`
// (the agent's environment, "NAME=value" entries); specs with a mode or
// owner are refused (they apply to files only).
absl::StatusOr<std::vector<std::string>> PlanVariableNames(
    const std::vector<SecretSpec>& specs,
    const std::vector<std::string>& inherited);

struct SecretVariable {
  std::string name;
  std::string secret;  // the secret's name, for messages
  const keys::SecretBytes* value = nullptr;
};

// The environment block for execve in locked memory.
class ExecEnvironment final {
 public:
  // `inherited` entries as they are, then NAME=value for each variable.
  // kInvalidArgument naming the secret if a value contains a NUL byte
  // (an environment variable cannot hold one).
  static absl::StatusOr<ExecEnvironment> Build(
      const std::vector<std::string>& inherited,
      const std::vector<SecretVariable>& variables);

  ExecEnvironment(ExecEnvironment&&) = default;
  ExecEnvironment& operator=(ExecEnvironment&&) = default;

  // NULL-terminated, valid while this object lives.
  char* const* envp() const { return pointers_.data(); }

 private:
  ExecEnvironment() = default;
  keys::SecretBytes block_;
  std::vector<char*> pointers_;
};

// execv(path, argv) with `env`. Returns only if exec failed: kNotFound,
// kPermissionDenied or kInternal naming `path`.
absl::Status ExecCommand(const std::string& path,
                         const std::vector<std::string>& argv,
                         const ExecEnvironment& env);

}  // namespace bootstrap

#endif  // SECRETD_BOOTSTRAP_EXEC_DELIVERY_H_
