// BackgroundProcess: a server binary (admin_host, secretd serve) running
// beside a test, started and stopped by it. Testonly.
//
//   ASSERT_OK_AND_ASSIGN(auto host, BackgroundProcess::Start(
//       {admin_host, "--data-dir", dir}, "admin_host: serving",
//       tmp + "/host.err"));
//   ... run clients ...
//   EXPECT_EQ(host->Stop(), 0);   // SIGTERM, then wait
//
// Thread-compatible.
#ifndef SECRETD_COMMON_TESTING_BACKGROUND_PROCESS_H_
#define SECRETD_COMMON_TESTING_BACKGROUND_PROCESS_H_

#include <sys/types.h>

#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"

namespace common::testing {

class BackgroundProcess final {
 public:
  // Spawns `argv` with stdout on a pipe and stderr appended to
  // `stderr_path`, and waits until a stdout line starts with `ready_prefix`.
  // kUnavailable if the process exits first or does not get ready within
  // `timeout` (it is then killed); the message quotes its output.
  static absl::StatusOr<std::unique_ptr<BackgroundProcess>> Start(
      const std::vector<std::string>& argv, const std::string& ready_prefix,
      const std::string& stderr_path,
      absl::Duration timeout = absl::Seconds(60));

  ~BackgroundProcess();
  BackgroundProcess(const BackgroundProcess&) = delete;
  BackgroundProcess& operator=(const BackgroundProcess&) = delete;

  // SIGTERM, then waits. The exit status, or 128 + N if killed by signal N.
  int Stop();
  // SIGKILL, then waits (a crash). As Stop.
  int Kill();

  pid_t pid() const { return pid_; }
  // What the process printed on stdout up to its ready line.
  const std::string& ready_output() const { return ready_output_; }

 private:
  BackgroundProcess(pid_t pid, int stdout_fd)
      : pid_(pid), stdout_fd_(stdout_fd) {}
  int SignalAndWait(int signal);

  pid_t pid_;
  int stdout_fd_;
  int exit_code_ = -1;
  bool running_ = true;
  std::string ready_output_;
};

}  // namespace common::testing

#endif  // SECRETD_COMMON_TESTING_BACKGROUND_PROCESS_H_
