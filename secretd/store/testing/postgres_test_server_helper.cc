// A child process for postgres_test_server_test: starts a private
// PostgreSQL server, checks that it answers, prints "<dir> <url>" and kills
// itself with SIGKILL, so no destructor runs and only the watchdog is left
// to stop the server. Exit: killed by SIGKILL, or 1 (reason on stderr).
#include <signal.h>

#include <cstdio>
#include <memory>

#include "secretd/store/testing/postgres_test_server.h"

int main() {
  using secretd::testing::TestPostgresServer;
  absl::StatusOr<std::unique_ptr<TestPostgresServer>> server =
      TestPostgresServer::Start();
  if (!server.ok()) {
    std::fprintf(stderr, "%s\n", server.status().ToString().c_str());
    return 1;
  }
  absl::StatusOr<std::string> answer =
      secretd::testing::QueryPostgres((*server)->url(), "SELECT 1");
  if (!answer.ok() || *answer != "1") {
    std::fprintf(stderr, "the new server does not answer: %s\n",
                 answer.status().ToString().c_str());
    return 1;
  }
  std::printf("%s %s\n", (*server)->dir().c_str(), (*server)->url().c_str());
  std::fflush(stdout);
  ::raise(SIGKILL);
  return 1;
}
