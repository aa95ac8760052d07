// Faults the file system does not produce on demand: fdatasync and ftruncate
// fail when the test says so. Linked statically with -Wl,--wrap so that the
// writer's own calls go through the wrappers below.
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <fstream>
#include <sstream>
#include <string>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "common/testing/fake_clock.h"
#include "common/testing/status_matchers.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "secretd/audit/file_audit_writer.h"
#include "secretd/audit/testing/test_signer.h"

namespace {
std::atomic<bool> g_fail_fdatasync{false};
std::atomic<bool> g_fail_ftruncate{false};
}  // namespace

extern "C" {
int __real_fdatasync(int fd);
int __real_ftruncate(int fd, off_t length);
int __wrap_fdatasync(int fd) {
  if (g_fail_fdatasync.load()) {
    errno = EIO;
    return -1;
  }
  return __real_fdatasync(fd);
}
int __wrap_ftruncate(int fd, off_t length) {
  if (g_fail_ftruncate.load()) {
    errno = EIO;
    return -1;
  }
  return __real_ftruncate(fd, length);
}
}

namespace secretd::audit {
namespace {

using ::common::testing::StatusIs;
using ::testing::HasSubstr;

std::string ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

Record MakeRecord(int i) {
  Record r;
  r.type = "provision";
  r.request_id = absl::StrCat("req-", i);
  return r;
}

class FileAuditWriterFaultTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = absl::StrCat(
        getenv("TEST_TMPDIR"), "/",
        ::testing::UnitTest::GetInstance()->current_test_info()->name());
    mkdir(dir_.c_str(), 0700);
    options_.directory = dir_;
    options_.replica = "host-a";
    options_.checkpoint_every = 0;
    auto w = FileAuditWriter::Open(options_, signer_, clock_);
    ASSERT_TRUE(w.ok()) << w.status();
    writer_ = std::move(*w);
  }
  void TearDown() override {
    g_fail_fdatasync = false;
    g_fail_ftruncate = false;
  }
  std::string dir_;
  FileAuditWriterOptions options_;
  testing::TestSigner signer_;
  common::testing::FakeClock clock_;
  std::unique_ptr<FileAuditWriter> writer_;
};

TEST_F(FileAuditWriterFaultTest, FailedFsyncIsCutOffAndTheWriterRecovers) {
  ASSERT_OK(writer_->Append(MakeRecord(0)));
  const std::string before = ReadFile(writer_->path());
  g_fail_fdatasync = true;
  EXPECT_THAT(writer_->Append(MakeRecord(1)),
              StatusIs(absl::StatusCode::kUnavailable));
  g_fail_fdatasync = false;
  // The written-but-not-synced line was removed: the file is as before.
  EXPECT_EQ(ReadFile(writer_->path()), before);
  ASSERT_OK(writer_->Append(MakeRecord(2)));
  EXPECT_TRUE(writer_->Healthy());
  EXPECT_EQ(writer_->durable_seq(), 2u);
}

// The review's scenario: a failed fsync whose truncation also fails leaves
// unknown bytes in the file. The writer must stop for good instead of
// chaining new records onto a head it rolled back (which once let a later
// failure's truncation cut acknowledged records).
TEST_F(FileAuditWriterFaultTest, UnremovableFailedWriteStopsTheWriterForGood) {
  ASSERT_OK(writer_->Append(MakeRecord(0)));
  g_fail_fdatasync = true;
  g_fail_ftruncate = true;
  EXPECT_THAT(writer_->Append(MakeRecord(1)),
              StatusIs(absl::StatusCode::kUnavailable));
  g_fail_fdatasync = false;
  g_fail_ftruncate = false;
  const std::string after_failure = ReadFile(writer_->path());
  EXPECT_THAT(
      writer_->Append(MakeRecord(2)),
      StatusIs(absl::StatusCode::kUnavailable, HasSubstr("unknown state")));
  EXPECT_FALSE(writer_->Healthy());
  // Nothing more was written, and no acknowledged record was cut.
  EXPECT_EQ(ReadFile(writer_->path()), after_failure);
  EXPECT_THAT(after_failure, HasSubstr("\"request_id\":\"req-0\""));
}

}  // namespace
}  // namespace secretd::audit
