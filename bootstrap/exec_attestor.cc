#include "bootstrap/exec_attestor.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <map>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "bootstrap/command_line.h"
#include "keys/jws.h"
#include "keys/secret_bytes.h"

extern char** environ;

namespace bootstrap {
namespace {

// The token and a final newline (CRLF).
constexpr size_t kMaxOutput = keys::kMaxTokenBytes + 2;

const char* const kVariables[] = {"SECRETD_NONCE", "SECRETD_AUDIENCE",
                                  "SECRETD_CNF_X25519"};

// Kills the child's process group and reaps the child.
void KillAndReap(pid_t pid) {
  kill(-pid, SIGKILL);
  kill(pid, SIGKILL);
  int status;
  while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
}

int RemainingMs(const common::Clock& clock, absl::Time deadline) {
  absl::Duration left = deadline - clock.Now();
  if (left <= absl::ZeroDuration()) return 0;
  int64_t ms = absl::ToInt64Milliseconds(left) + 1;
  return ms > INT32_MAX ? INT32_MAX : static_cast<int>(ms);
}

class SpawnAttributes {
 public:
  SpawnAttributes() {
    posix_spawn_file_actions_init(&actions);
    posix_spawnattr_init(&attr);
  }
  ~SpawnAttributes() {
    posix_spawn_file_actions_destroy(&actions);
    posix_spawnattr_destroy(&attr);
  }
  posix_spawn_file_actions_t actions;
  posix_spawnattr_t attr;
};

}  // namespace

absl::StatusOr<std::unique_ptr<ExecAttestor>> ExecAttestor::Create(
    absl::string_view command, const common::Clock& clock) {
  std::map<std::string, std::string, std::less<>> probe;
  for (const char* v : kVariables) probe[v] = "x";
  auto words = SplitCommandLine(command, probe);
  if (!words.ok()) return words.status();
  return std::unique_ptr<ExecAttestor>(
      new ExecAttestor(std::string(command), clock));
}

absl::StatusOr<std::string> ExecAttestor::GetToken(
    const AttestationRequest& request, absl::Time deadline) {
  const std::map<std::string, std::string, std::less<>> values = {
      {"SECRETD_NONCE", request.nonce},
      {"SECRETD_AUDIENCE", request.audience},
      {"SECRETD_CNF_X25519", request.cnf_x25519}};
  for (const auto& [name, value] : values) {
    if (value.find('\0') != std::string::npos) {
      return absl::InvalidArgumentError(
          absl::StrCat(name, " would contain a NUL byte"));
    }
  }
  auto words = SplitCommandLine(command_, values);
  if (!words.ok()) return words.status();
  const std::string& program = (*words)[0];

  std::vector<std::string> env;
  for (char** e = environ; e != nullptr && *e != nullptr; ++e) {
    bool ours = false;
    for (const char* v : kVariables) {
      ours = ours || absl::StartsWith(*e, absl::StrCat(v, "="));
    }
    if (!ours) env.push_back(*e);
  }
  for (const auto& [name, value] : values) {
    env.push_back(absl::StrCat(name, "=", value));
  }
  std::vector<char*> argv, envp;
  for (std::string& w : *words) argv.push_back(w.data());
  argv.push_back(nullptr);
  for (std::string& e : env) envp.push_back(e.data());
  envp.push_back(nullptr);

  int pipefd[2];
  if (pipe2(pipefd, O_CLOEXEC) != 0) {
    return absl::InternalError(
        absl::StrCat("pipe2 failed: ", std::strerror(errno)));
  }
  pid_t pid = -1;
  int rc;
  {
    SpawnAttributes sa;
    posix_spawn_file_actions_addopen(&sa.actions, 0, "/dev/null", O_RDONLY, 0);
    posix_spawn_file_actions_adddup2(&sa.actions, pipefd[1], 1);
    sigset_t mask, defaults;
    sigemptyset(&mask);
    sigemptyset(&defaults);
    for (int sig : {SIGPIPE, SIGHUP, SIGINT, SIGQUIT, SIGTERM, SIGUSR1, SIGUSR2,
                    SIGALRM, SIGCHLD}) {
      sigaddset(&defaults, sig);
    }
    posix_spawnattr_setflags(&sa.attr, POSIX_SPAWN_SETPGROUP |
                                           POSIX_SPAWN_SETSIGMASK |
                                           POSIX_SPAWN_SETSIGDEF);
    posix_spawnattr_setpgroup(&sa.attr, 0);
    posix_spawnattr_setsigmask(&sa.attr, &mask);
    posix_spawnattr_setsigdefault(&sa.attr, &defaults);
    rc = posix_spawnp(&pid, program.c_str(), &sa.actions, &sa.attr, argv.data(),
                      envp.data());
  }
  close(pipefd[1]);
  if (rc != 0) {
    close(pipefd[0]);
    return absl::FailedPreconditionError(
        absl::StrCat("cannot run the attestation command \"", program,
                     "\": ", std::strerror(rc)));
  }

  std::string out;
  out.reserve(kMaxOutput + 4096);  // no reallocation: wiped in one place
  char buf[4096];
  absl::Status failure;
  while (failure.ok()) {
    pollfd p{pipefd[0], POLLIN, 0};
    const int n = poll(&p, 1, RemainingMs(clock_, deadline));
    if (n < 0 && errno == EINTR) continue;
    if (n == 0) {
      failure = absl::DeadlineExceededError(
          "the attestation command did not finish in time; it was killed");
      break;
    }
    const ssize_t r = read(pipefd[0], buf, sizeof(buf));
    if (r < 0 && errno == EINTR) continue;
    if (r < 0) {
      failure = absl::InternalError(
          absl::StrCat("reading the attestation command's output failed: ",
                       std::strerror(errno)));
      break;
    }
    if (r == 0) break;
    if (out.size() + static_cast<size_t>(r) > kMaxOutput) {
      failure = absl::FailedPreconditionError(absl::StrCat(
          "the attestation command printed more than ", keys::kMaxTokenBytes,
          " bytes; a token is at most 16 KiB"));
      break;
    }
    out.append(buf, static_cast<size_t>(r));
  }
  close(pipefd[0]);
  explicit_bzero(buf, sizeof(buf));
  if (!failure.ok()) {
    KillAndReap(pid);
    keys::WipeString(&out);
    return failure;
  }

  // Stdout is closed; wait for the exit status until the deadline.
  int status = 0;
  while (true) {
    const pid_t w = waitpid(pid, &status, WNOHANG);
    if (w == pid) break;
    if (w < 0 && errno != EINTR) {
      keys::WipeString(&out);
      return absl::InternalError(
          absl::StrCat("waitpid failed: ", std::strerror(errno)));
    }
    if (RemainingMs(clock_, deadline) == 0) {
      KillAndReap(pid);
      keys::WipeString(&out);
      return absl::DeadlineExceededError(
          "the attestation command did not exit in time; it was killed");
    }
    const timespec pause = {0, 5 * 1000 * 1000};
    nanosleep(&pause, nullptr);
  }
  if (WIFSIGNALED(status)) {
    keys::WipeString(&out);
    return absl::FailedPreconditionError(
        absl::StrCat("the attestation command \"", program,
                     "\" was killed by signal ", WTERMSIG(status)));
  }
  if (WEXITSTATUS(status) != 0) {
    keys::WipeString(&out);
    return absl::FailedPreconditionError(
        absl::StrCat("the attestation command \"", program,
                     "\" exited with status ", WEXITSTATUS(status)));
  }
  std::string token(absl::StripAsciiWhitespace(out));
  keys::WipeString(&out);
  if (token.empty()) {
    return absl::FailedPreconditionError(absl::StrCat(
        "the attestation command \"", program, "\" printed no token"));
  }
  return token;
}

}  // namespace bootstrap
