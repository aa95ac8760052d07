#include "common/testing/background_process.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"

extern char** environ;

namespace common::testing {

absl::StatusOr<std::unique_ptr<BackgroundProcess>> BackgroundProcess::Start(
    const std::vector<std::string>& argv, const std::string& ready_prefix,
    const std::string& stderr_path, absl::Duration timeout) {
  if (argv.empty()) return absl::InvalidArgumentError("empty argv");
  int out[2];
  if (pipe2(out, O_CLOEXEC) != 0) {
    return absl::InternalError(absl::StrCat("pipe2: ", std::strerror(errno)));
  }
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_adddup2(&actions, out[1], 1);
  posix_spawn_file_actions_addopen(&actions, 2, stderr_path.c_str(),
                                   O_WRONLY | O_CREAT | O_APPEND, 0600);
  std::vector<std::string> args = argv;
  std::vector<char*> argp;
  for (std::string& s : args) argp.push_back(s.data());
  argp.push_back(nullptr);
  pid_t pid;
  const int rc =
      posix_spawn(&pid, argp[0], &actions, nullptr, argp.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  close(out[1]);
  if (rc != 0) {
    close(out[0]);
    return absl::InternalError(
        absl::StrCat("posix_spawn ", argv[0], ": ", std::strerror(rc)));
  }
  std::unique_ptr<BackgroundProcess> p(new BackgroundProcess(pid, out[0]));
  const absl::Time deadline = absl::Now() + timeout;
  std::string seen;
  for (;;) {
    // The ready line is complete once it ends with "\n".
    size_t start = 0;
    for (size_t nl; (nl = seen.find('\n', start)) != std::string::npos;
         start = nl + 1) {
      if (absl::StartsWith(absl::string_view(seen).substr(start),
                           ready_prefix)) {
        p->ready_output_ = seen;
        return p;
      }
    }
    const int64_t left = absl::ToInt64Milliseconds(deadline - absl::Now());
    pollfd fd = {p->stdout_fd_, POLLIN, 0};
    const int ready = left > 0 ? poll(&fd, 1, static_cast<int>(left)) : 0;
    if (ready < 0 && errno == EINTR) continue;
    char buf[4096];
    const ssize_t n = ready > 0 ? read(p->stdout_fd_, buf, sizeof(buf)) : 0;
    if (n <= 0) {
      const int code = p->Kill();
      return absl::UnavailableError(absl::StrCat(
          argv[0], (ready > 0 ? " exited" : " did not get ready in time"),
          " (status ", code, ") before printing \"", ready_prefix,
          "\"; stdout: \"", seen, "\"; see ", stderr_path));
    }
    seen.append(buf, static_cast<size_t>(n));
  }
}

BackgroundProcess::~BackgroundProcess() {
  if (running_) Kill();
  close(stdout_fd_);
}

int BackgroundProcess::Stop() { return SignalAndWait(SIGTERM); }
int BackgroundProcess::Kill() { return SignalAndWait(SIGKILL); }

int BackgroundProcess::SignalAndWait(int signal) {
  if (!running_) return exit_code_;
  kill(pid_, signal);
  int status = 0;
  while (waitpid(pid_, &status, 0) < 0 && errno == EINTR) {
  }
  running_ = false;
  exit_code_ = WIFEXITED(status)     ? WEXITSTATUS(status)
               : WIFSIGNALED(status) ? 128 + WTERMSIG(status)
                                     : -1;
  return exit_code_;
}

}  // namespace common::testing
