#include "common/testing/background_process.h"

#include <cstdlib>
#include <fstream>
#include <iterator>
#include <memory>
#include <string>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace common::testing {
namespace {

using ::testing::HasSubstr;

std::string ErrPath() {
  return absl::StrCat(
      std::getenv("TEST_TMPDIR"), "/",
      ::testing::UnitTest::GetInstance()->current_test_info()->name(), ".err");
}

TEST(BackgroundProcessTest, WaitsForTheReadyLineAndStopsWithSigterm) {
  absl::StatusOr<std::unique_ptr<BackgroundProcess>> p =
      BackgroundProcess::Start(
          {"/bin/sh", "-c",
           // stderr first: after the ready line, Stop() may kill the shell
           // before it runs anything else.
           "echo to-err >&2; echo starting; echo 'serving: yes'; exec sleep "
           "600"},
          "serving:", ErrPath());
  ASSERT_TRUE(p.ok()) << p.status();
  EXPECT_EQ((*p)->ready_output(), "starting\nserving: yes\n");
  EXPECT_GT((*p)->pid(), 0);
  EXPECT_EQ((*p)->Stop(), 128 + 15);
  EXPECT_EQ((*p)->Stop(), 128 + 15);  // already stopped: the same status
  std::ifstream err(ErrPath());
  EXPECT_EQ(std::string(std::istreambuf_iterator<char>(err), {}), "to-err\n");
}

TEST(BackgroundProcessTest, KillIsASigkill) {
  auto p = BackgroundProcess::Start(
      {"/bin/sh", "-c", "echo up; exec sleep 600"}, "up", ErrPath());
  ASSERT_TRUE(p.ok()) << p.status();
  EXPECT_EQ((*p)->Kill(), 128 + 9);
}

TEST(BackgroundProcessTest, AProcessThatExitsFirstIsUnavailable) {
  auto p = BackgroundProcess::Start({"/bin/sh", "-c", "echo oops; exit 3"},
                                    "ready", ErrPath());
  ASSERT_FALSE(p.ok());
  EXPECT_EQ(p.status().code(), absl::StatusCode::kUnavailable);
  EXPECT_THAT(p.status().message(), HasSubstr("/bin/sh exited (status 3)"));
  EXPECT_THAT(p.status().message(), HasSubstr("stdout: \"oops\n\""));
}

TEST(BackgroundProcessTest, AProcessThatNeverGetsReadyIsKilled) {
  auto p = BackgroundProcess::Start({"/bin/sh", "-c", "exec sleep 600"},
                                    "ready", ErrPath(), absl::Milliseconds(50));
  ASSERT_FALSE(p.ok());
  EXPECT_THAT(p.status().message(),
              HasSubstr("did not get ready in time (status 137)"));
}

TEST(BackgroundProcessTest, AMissingProgramIsAnError) {
  auto p =
      BackgroundProcess::Start({"/nonexistent/server"}, "ready", ErrPath());
  EXPECT_FALSE(p.ok());
}

}  // namespace
}  // namespace common::testing
