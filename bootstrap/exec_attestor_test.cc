#include "bootstrap/exec_attestor.h"

#include <sys/stat.h>

#include <cstdlib>
#include <fstream>
#include <string>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "common/clock.h"
#include "common/testing/status_matchers.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace bootstrap {
namespace {

using ::common::testing::IsOkAndHolds;
using ::common::testing::StatusIs;
using ::testing::HasSubstr;

class ExecAttestorTest : public ::testing::Test {
 protected:
  // Writes an executable shell script and returns its path.
  std::string Script(const std::string& body) {
    const std::string path = absl::StrCat(
        std::getenv("TEST_TMPDIR"), "/",
        ::testing::UnitTest::GetInstance()->current_test_info()->name(), "-",
        counter_++, ".sh");
    std::ofstream(path) << "#!/bin/sh\n" << body << "\n";
    chmod(path.c_str(), 0700);
    return path;
  }

  absl::StatusOr<std::string> Run(const std::string& command,
                                  absl::Duration timeout = absl::Seconds(20)) {
    auto attestor = ExecAttestor::Create(command, clock_);
    if (!attestor.ok()) return attestor.status();
    return (*attestor)->GetToken(request_, clock_.Now() + timeout);
  }

  common::RealClock clock_;
  AttestationRequest request_{"n0nce", "secretd.test", "K3y"};
  int counter_ = 0;
};

TEST_F(ExecAttestorTest, TokenIsStdoutWithTheVariablesInEnvironmentAndArgs) {
  const std::string script =
      Script(R"(printf '%s.%s.%s.%s\n\n' "$SECRETD_NONCE" "$SECRETD_AUDIENCE" )"
             R"("$SECRETD_CNF_X25519" "$2")");
  EXPECT_THAT(Run(absl::StrCat(script, " --nonce ${SECRETD_NONCE}")),
              IsOkAndHolds("n0nce.secretd.test.K3y.n0nce"));
}

TEST_F(ExecAttestorTest, StdinIsEmpty) {
  EXPECT_THAT(Run(Script("cat; echo tok")), IsOkAndHolds("tok"));
}

TEST_F(ExecAttestorTest, NonZeroExitFails) {
  EXPECT_THAT(Run(Script("echo tok; exit 3")),
              StatusIs(absl::StatusCode::kFailedPrecondition,
                       HasSubstr("exited with status 3")));
}

TEST_F(ExecAttestorTest, DeathBySignalFails) {
  EXPECT_THAT(Run(Script("kill -9 $$")),
              StatusIs(absl::StatusCode::kFailedPrecondition,
                       HasSubstr("killed by signal 9")));
}

TEST_F(ExecAttestorTest, EmptyOutputFails) {
  EXPECT_THAT(Run(Script("echo")),
              StatusIs(absl::StatusCode::kFailedPrecondition,
                       HasSubstr("printed no token")));
}

TEST_F(ExecAttestorTest, TooMuchOutputFails) {
  EXPECT_THAT(Run(Script("head -c 20000 /dev/zero | tr '\\0' a")),
              StatusIs(absl::StatusCode::kFailedPrecondition,
                       HasSubstr("more than 16384 bytes")));
}

TEST_F(ExecAttestorTest, HangingCommandIsKilledAtTheDeadline) {
  const absl::Time start = absl::Now();
  EXPECT_THAT(Run(Script("sleep 30"), absl::Milliseconds(300)),
              StatusIs(absl::StatusCode::kDeadlineExceeded,
                       HasSubstr("did not finish in time")));
  EXPECT_LT(absl::Now() - start, absl::Seconds(10));
}

TEST_F(ExecAttestorTest, CommandThatClosesStdoutButHangsIsKilled) {
  EXPECT_THAT(
      Run(Script("echo tok; exec >&-; sleep 30"), absl::Milliseconds(300)),
      StatusIs(absl::StatusCode::kDeadlineExceeded,
               HasSubstr("did not exit in time")));
}

TEST_F(ExecAttestorTest, MissingCommandFails) {
  EXPECT_THAT(Run("/nonexistent/attestor"),
              StatusIs(absl::StatusCode::kFailedPrecondition,
                       HasSubstr("cannot run the attestation command "
                                 "\"/nonexistent/attestor\"")));
}

TEST_F(ExecAttestorTest, UnsplittableCommandIsRejectedAtCreate) {
  EXPECT_THAT(ExecAttestor::Create("a 'b", clock_),
              StatusIs(absl::StatusCode::kInvalidArgument));
}

}  // namespace
}  // namespace bootstrap
