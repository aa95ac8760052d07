#include "common/testing/subprocess.h"

#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace common::testing {
namespace {

TEST(RunProcessTest, CollectsOutputAndExitCode) {
  ProcessResult r =
      RunProcess({"/bin/sh", "-c", "echo out; echo err >&2; exit 3"});
  EXPECT_EQ(r.exit_code, 3);
  EXPECT_EQ(r.out, "out\n");
  EXPECT_EQ(r.err, "err\n");
}

TEST(RunProcessTest, FeedsStdin) {
  ProcessResult r = RunProcess({"/bin/cat"}, std::string(200000, 'x'));
  EXPECT_EQ(r.exit_code, 0);
  EXPECT_EQ(r.out.size(), 200000u);
}

TEST(RunProcessTest, PassesExtraEnvironment) {
  ProcessResult r =
      RunProcess({"/bin/sh", "-c", "echo $SECRETD_X"}, "", {"SECRETD_X=42"});
  EXPECT_EQ(r.out, "42\n");
}

TEST(RunProcessTest, MissingProgramIsReported) {
  ProcessResult r = RunProcess({"/nonexistent/program"});
  EXPECT_EQ(r.exit_code, -1);
  EXPECT_THAT(r.err, ::testing::HasSubstr("/nonexistent/program"));
}

TEST(RunProcessTest, SignalIsReportedAs128PlusN) {
  ProcessResult r = RunProcess({"/bin/sh", "-c", "kill -TERM $$"});
  EXPECT_EQ(r.exit_code, 128 + 15);
}

}  // namespace
}  // namespace common::testing
