#include "bootstrap/exec_delivery.h"

#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <map>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "bootstrap/env_names.h"

namespace bootstrap {
namespace {

bool IsExecutableFile(const std::string& path) {
  struct stat st;
  return stat(path.c_str(), &st) == 0 && S_ISREG(st.st_mode) &&
         access(path.c_str(), X_OK) == 0;
}

}  // namespace

absl::StatusOr<std::string> FindExecutable(absl::string_view command,
                                           absl::string_view path_env) {
  if (command.empty()) {
    return absl::InvalidArgumentError("--exec: the command is empty");
  }
  if (command.find('/') != absl::string_view::npos) {
    std::string path(command);
    if (IsExecutableFile(path)) return path;
    return absl::NotFoundError(
        absl::StrCat("--exec: \"", command, "\" is not an executable file"));
  }
  if (path_env.empty()) path_env = "/usr/local/bin:/usr/bin:/bin";
  for (absl::string_view dir : absl::StrSplit(path_env, ':')) {
    std::string candidate = absl::StrCat(dir.empty() ? "." : dir, "/", command);
    if (IsExecutableFile(candidate)) return candidate;
  }
  return absl::NotFoundError(
      absl::StrCat("--exec: command \"", command, "\" not found in PATH"));
}

absl::StatusOr<std::vector<std::string>> PlanVariableNames(
    const std::vector<SecretSpec>& specs,
    const std::vector<std::string>& inherited) {
  std::map<std::string, std::string> inherited_names;
  for (const std::string& e : inherited) {
    inherited_names.emplace(e.substr(0, e.find('=')), e);
  }
  std::map<std::string, std::string> taken;  // variable -> secret
  std::vector<std::string> out;
  for (const SecretSpec& spec : specs) {
    const std::string& secret = spec.ref.name;
    if (spec.mode.has_value() || spec.owner.has_value()) {
      return absl::InvalidArgumentError(absl::StrCat(
          "--secret ", secret,
          ": MODE and OWNER apply to files; with --exec write NAME or "
          "NAME=VARIABLE"));
    }
    std::string var = spec.target.empty() ? EnvVarNameFor(secret) : spec.target;
    if (absl::Status s = ValidateEnvVarName(var); !s.ok()) {
      return absl::InvalidArgumentError(
          absl::StrCat("--secret ", secret, ": ", s.message()));
    }
    if (auto it = taken.find(var); it != taken.end()) {
      return absl::InvalidArgumentError(
          absl::StrCat("secrets \"", it->second, "\" and \"", secret,
                       "\" would both be the variable ", var,
                       "; name one of them with NAME=VARIABLE"));
    }
    if (inherited_names.count(var) > 0) {
      return absl::InvalidArgumentError(absl::StrCat(
          "secret \"", secret, "\" would be the variable ", var,
          ", which is already set in the agent's environment; name it with "
          "NAME=VARIABLE or unset ",
          var));
    }
    taken.emplace(var, secret);
    out.push_back(std::move(var));
  }
  return out;
}

absl::StatusOr<ExecEnvironment> ExecEnvironment::Build(
    const std::vector<std::string>& inherited,
    const std::vector<SecretVariable>& variables) {
  const keys::SecretAccess access = keys::InsecureSecretAccess::Get();
  size_t size = 0;
  for (const std::string& e : inherited) size += e.size() + 1;
  for (const SecretVariable& v : variables) {
    if (v.value->AsStringView(access).find('\0') != absl::string_view::npos) {
      return absl::InvalidArgumentError(absl::StrCat(
          "secret \"", v.secret,
          "\" contains a NUL byte and cannot be an environment variable; "
          "deliver it as a file"));
    }
    size += v.name.size() + 1 + v.value->size() + 1;
  }
  ExecEnvironment env;
  env.block_ = keys::SecretBytes(size);
  char* p = reinterpret_cast<char*>(env.block_.data(access));
  auto append = [&](absl::string_view a, absl::string_view b) {
    env.pointers_.push_back(p);
    std::memcpy(p, a.data(), a.size());
    p += a.size();
    std::memcpy(p, b.data(), b.size());
    p += b.size();
    *p++ = '\0';
  };
  for (const std::string& e : inherited) append(e, "");
  for (const SecretVariable& v : variables) {
    append(absl::StrCat(v.name, "="), v.value->AsStringView(access));
  }
  env.pointers_.push_back(nullptr);
  return env;
}

absl::Status ExecCommand(const std::string& path,
                         const std::vector<std::string>& argv,
                         const ExecEnvironment& env) {
  std::vector<std::string> args = argv;
  std::vector<char*> pointers;
  for (std::string& a : args) pointers.push_back(a.data());
  pointers.push_back(nullptr);
  execve(path.c_str(), pointers.data(), env.envp());
  const int err = errno;
  std::string msg =
      absl::StrCat("--exec: cannot run \"", path, "\": ", std::strerror(err));
  if (err == ENOENT) return absl::NotFoundError(msg);
  if (err == EACCES || err == EPERM) return absl::PermissionDeniedError(msg);
  return absl::InternalError(msg);
}

}  // namespace bootstrap
