#include "secretd/audit/file_audit_writer.h"

#include <fcntl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include <fstream>
#include <set>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "common/testing/fake_clock.h"
#include "common/testing/status_matchers.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "secretd/audit/envelope.h"
#include "secretd/audit/testing/test_signer.h"

namespace secretd::audit {
namespace {

using ::common::testing::StatusIs;
using ::testing::HasSubstr;
using testing::TestSigner;

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
  r.fields["decision"] = "allow";
  return r;
}

// Checks every line's seq, hash and prev link and every checkpoint signature;
// returns the parsed lines.
std::vector<nlohmann::json> CheckChain(const std::string& text,
                                       const TestSigner& signer) {
  std::vector<nlohmann::json> out;
  EXPECT_TRUE(text.empty() || text.back() == '\n');
  Sha256 prev = GenesisPrev();
  uint64_t seq = 0;
  for (absl::string_view line : absl::StrSplit(text, '\n', absl::SkipEmpty())) {
    auto f = SplitLine(line);
    EXPECT_TRUE(f.ok()) << f.status();
    if (!f.ok()) return out;
    EXPECT_EQ(f->seq, ++seq);
    EXPECT_EQ(f->prev, prev) << "line " << seq;
    EXPECT_EQ(f->hash, BodyHash(f->body_prefix)) << "line " << seq;
    nlohmann::json j = nlohmann::json::parse(line);
    if (j["type"] == "checkpoint") {
      std::string sig;
      EXPECT_TRUE(
          absl::WebSafeBase64Unescape(j["signature"].get<std::string>(), &sig));
      auto message = CheckpointMessageOf(line);
      EXPECT_TRUE(message.ok()) << message.status();
      EXPECT_TRUE(message.ok() && signer.Verify(*message, sig))
          << "checkpoint at line " << seq;
      EXPECT_EQ(j["key_id"], signer.KeyId());
    }
    prev = ComputeSha256(line);
    out.push_back(std::move(j));
  }
  return out;
}

class FileAuditWriterTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = absl::StrCat(
        getenv("TEST_TMPDIR"), "/audit-",
        ::testing::UnitTest::GetInstance()->current_test_info()->name());
    mkdir(dir_.c_str(), 0700);
    options_.directory = dir_;
    options_.replica = "host-a";
    options_.checkpoint_every = 0;
  }
  std::unique_ptr<FileAuditWriter> OpenWriter() {
    auto w = FileAuditWriter::Open(options_, signer_, clock_);
    EXPECT_TRUE(w.ok()) << w.status();
    return w.ok() ? std::move(*w) : nullptr;
  }
  std::string LogPath() const { return dir_ + "/audit-host-a.jsonl"; }

  std::string dir_;
  FileAuditWriterOptions options_;
  TestSigner signer_;
  common::testing::FakeClock clock_{absl::FromUnixSeconds(1764135705)};
};

TEST_F(FileAuditWriterTest, AppendedRecordsFormAVerifiableChain) {
  auto w = OpenWriter();
  for (int i = 0; i < 5; ++i) ASSERT_OK(w->Append(MakeRecord(i)));
  EXPECT_EQ(w->durable_seq(), 5u);
  auto lines = CheckChain(ReadFile(LogPath()), signer_);
  ASSERT_EQ(lines.size(), 5u);
  EXPECT_EQ(lines[2]["request_id"], "req-2");
  EXPECT_EQ(lines[0]["time"], "2025-11-26T05:41:45.000Z");
  EXPECT_EQ(lines[0]["replica"], "host-a");
}

TEST_F(FileAuditWriterTest, LogFileIsPrivate) {
  auto w = OpenWriter();
  ASSERT_OK(w->Append(MakeRecord(0)));
  struct stat st;
  ASSERT_EQ(stat(LogPath().c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
}

TEST_F(FileAuditWriterTest, ReopeningContinuesTheChain) {
  {
    auto w = OpenWriter();
    ASSERT_OK(w->Append(MakeRecord(0)));
    ASSERT_OK(w->Append(MakeRecord(1)));
  }  // destructor closes with a shutdown checkpoint
  auto w = OpenWriter();
  ASSERT_OK(w->Append(MakeRecord(2)));
  auto lines = CheckChain(ReadFile(LogPath()), signer_);
  ASSERT_EQ(lines.size(), 4u);
  EXPECT_EQ(lines[2]["type"], "checkpoint");
  EXPECT_EQ(lines[2]["reason"], "shutdown");
  EXPECT_EQ(lines[2]["records"], 2);
  EXPECT_EQ(lines[3]["seq"], 4);
}

TEST_F(FileAuditWriterTest, TornLastLineIsCutOffOnOpen) {
  {
    auto w = OpenWriter();
    ASSERT_OK(w->Append(MakeRecord(0)));
    ASSERT_OK(w->Close());
  }
  const std::string before = ReadFile(LogPath());
  {
    std::ofstream out(LogPath(), std::ios::app | std::ios::binary);
    out << "{\"seq\":3,\"time\":\"2025-";  // a crash mid-write
  }
  auto w = OpenWriter();
  EXPECT_EQ(ReadFile(LogPath()), before);
  ASSERT_OK(w->Append(MakeRecord(1)));
  EXPECT_EQ(CheckChain(ReadFile(LogPath()), signer_).size(), 3u);
}

TEST_F(FileAuditWriterTest, CorruptLastLineRefusesToOpen) {
  {
    std::ofstream out(LogPath(), std::ios::binary);
    out << "not a record\n";
  }
  ASSERT_EQ(chmod(LogPath().c_str(), 0600), 0);
  EXPECT_THAT(
      FileAuditWriter::Open(options_, signer_, clock_),
      StatusIs(
          absl::StatusCode::kFailedPrecondition,
          HasSubstr(
              "last complete line of the audit log is not a valid record")));
}

TEST_F(FileAuditWriterTest, LogReadableByOthersIsRefused) {
  {
    auto w = OpenWriter();
    ASSERT_OK(w->Append(MakeRecord(0)));
  }
  ASSERT_EQ(chmod(LogPath().c_str(), 0644), 0);
  EXPECT_THAT(FileAuditWriter::Open(options_, signer_, clock_),
              StatusIs(absl::StatusCode::kFailedPrecondition,
                       HasSubstr("(mode 0644); run: chmod 600")));
}

TEST_F(FileAuditWriterTest, SymlinkedLogIsRefused) {
  const std::string target = dir_ + "/elsewhere.jsonl";
  { std::ofstream(target) << ""; }
  ASSERT_EQ(symlink(target.c_str(), LogPath().c_str()), 0);
  EXPECT_THAT(FileAuditWriter::Open(options_, signer_, clock_),
              StatusIs(absl::StatusCode::kFailedPrecondition,
                       HasSubstr("is a symbolic link")));
}

TEST_F(FileAuditWriterTest, SecondWriterOnTheSameFileIsRefused) {
  auto w = OpenWriter();
  EXPECT_THAT(FileAuditWriter::Open(options_, signer_, clock_),
              StatusIs(absl::StatusCode::kFailedPrecondition,
                       HasSubstr("in use by another process")));
}

TEST_F(FileAuditWriterTest, MissingDirectoryIsAFailedPrecondition) {
  options_.directory = dir_ + "/nope";
  EXPECT_THAT(FileAuditWriter::Open(options_, signer_, clock_),
              StatusIs(absl::StatusCode::kFailedPrecondition,
                       HasSubstr("does not exist")));
}

TEST_F(FileAuditWriterTest, CheckpointEveryNRecords) {
  options_.checkpoint_every = 3;
  auto w = OpenWriter();
  for (int i = 0; i < 7; ++i) ASSERT_OK(w->Append(MakeRecord(i)));
  auto lines = CheckChain(ReadFile(LogPath()), signer_);
  ASSERT_EQ(lines.size(), 9u);
  EXPECT_EQ(lines[3]["type"], "checkpoint");
  EXPECT_EQ(lines[3]["reason"], "count");
  EXPECT_EQ(lines[3]["records"], 3);
  EXPECT_EQ(lines[7]["type"], "checkpoint");
}

TEST_F(FileAuditWriterTest,
       CheckpointAfterTheIntervalOnlyWhenRecordsWereWritten) {
  options_.checkpoint_interval = absl::Seconds(60);
  auto w = OpenWriter();
  clock_.Advance(absl::Seconds(120));
  ASSERT_OK(w->MaybeCheckpoint());  // nothing written yet: no checkpoint
  ASSERT_OK(w->Append(MakeRecord(0)));
  // The interval counts from the last checkpoint (or from Open): due now.
  ASSERT_OK(w->MaybeCheckpoint());
  auto lines = CheckChain(ReadFile(LogPath()), signer_);
  ASSERT_EQ(lines.size(), 2u);
  EXPECT_EQ(lines[1]["reason"], "interval");
  clock_.Advance(absl::Seconds(30));
  ASSERT_OK(w->Append(MakeRecord(1)));
  ASSERT_OK(w->MaybeCheckpoint());  // only 30 s since the last: not due
  EXPECT_EQ(CheckChain(ReadFile(LogPath()), signer_).size(), 3u);
}

TEST_F(FileAuditWriterTest, CloseWritesAShutdownCheckpointAndRefusesMore) {
  auto w = OpenWriter();
  ASSERT_OK(w->Append(MakeRecord(0)));
  ASSERT_OK(w->Close());
  ASSERT_OK(w->Close());
  EXPECT_THAT(w->Append(MakeRecord(1)),
              StatusIs(absl::StatusCode::kFailedPrecondition));
  auto lines = CheckChain(ReadFile(LogPath()), signer_);
  ASSERT_EQ(lines.size(), 2u);
  EXPECT_EQ(lines[1]["reason"], "shutdown");
}

// A broker that starts and stops without serving a request still leaves a
// signed shutdown checkpoint: a clean stop never leaves an empty log, so an
// emptied one cannot pass for it.
TEST_F(FileAuditWriterTest, CloseWithoutRecordsWritesAShutdownCheckpoint) {
  auto w = OpenWriter();
  ASSERT_OK(w->Close());
  EXPECT_EQ(w->durable_seq(), 1u);
  const std::string text = ReadFile(LogPath());
  auto lines = CheckChain(text, signer_);
  ASSERT_EQ(lines.size(), 1u);
  EXPECT_EQ(lines[0]["seq"], 1);
  EXPECT_EQ(lines[0]["prev"], std::string(64, '0'));
  EXPECT_EQ(lines[0]["type"], "checkpoint");
  EXPECT_EQ(lines[0]["reason"], "shutdown");
  EXPECT_EQ(lines[0]["records"], 0);
  EXPECT_EQ(lines[0]["replica"], "host-a");
  EXPECT_EQ(lines[0]["time"], "2025-11-26T05:41:45.000Z");
  // The destructor after Close adds nothing.
  w.reset();
  EXPECT_EQ(ReadFile(LogPath()), text);
}

// Each clean stop signs its own shutdown checkpoint, also when the log
// already ended with one (a restart that served nothing) or with a count
// checkpoint (which alone would not show a clean stop).
TEST_F(FileAuditWriterTest, EveryCloseEndsTheLogWithAShutdownCheckpoint) {
  options_.checkpoint_every = 2;
  {
    auto w = OpenWriter();
    ASSERT_OK(w->Append(MakeRecord(0)));
    ASSERT_OK(w->Append(MakeRecord(1)));  // count checkpoint at line 3
    ASSERT_OK(w->Close());
  }
  { ASSERT_OK(OpenWriter()->Close()); }
  auto lines = CheckChain(ReadFile(LogPath()), signer_);
  ASSERT_EQ(lines.size(), 5u);
  EXPECT_EQ(lines[2]["reason"], "count");
  EXPECT_EQ(lines[2]["records"], 2);
  EXPECT_EQ(lines[3]["reason"], "shutdown");
  EXPECT_EQ(lines[3]["records"], 0);
  EXPECT_EQ(lines[4]["reason"], "shutdown");
  EXPECT_EQ(lines[4]["records"], 0);
  EXPECT_EQ(lines[4]["seq"], 5);
}

TEST_F(FileAuditWriterTest, RequestIdsReadersWouldRefuseAreRefused) {
  auto w = OpenWriter();
  for (const std::string& bad :
       {std::string("a\"b"), std::string("a\\b"), std::string("caf\xc3\xa9"),
        std::string("a\nb"), std::string(129, 'a')}) {
    Record r = MakeRecord(0);
    r.request_id = bad;
    EXPECT_THAT(w->Append(r), StatusIs(absl::StatusCode::kInvalidArgument))
        << bad;
  }
  EXPECT_EQ(w->durable_seq(), 0u);
}

TEST_F(FileAuditWriterTest, CheckpointsCannotBeAppendedByCallers) {
  auto w = OpenWriter();
  Record r;
  r.type = "checkpoint";
  EXPECT_THAT(w->Append(r), StatusIs(absl::StatusCode::kInvalidArgument));
}

TEST_F(FileAuditWriterTest, ConcurrentAppendsAreAllDurableAndChained) {
  options_.checkpoint_every = 50;
  auto w = OpenWriter();
  constexpr int kThreads = 8, kPerThread = 100;
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kPerThread; ++i) {
        EXPECT_OK(w->Append(MakeRecord(t * kPerThread + i)));
      }
    });
  }
  for (auto& t : threads) t.join();
  auto lines = CheckChain(ReadFile(LogPath()), signer_);
  EXPECT_EQ(lines.size(), kThreads * kPerThread + kThreads * kPerThread / 50);
  std::set<std::string> ids;
  for (const auto& l : lines) {
    if (l["type"] == "provision")
      ids.insert(l["request_id"].get<std::string>());
  }
  EXPECT_EQ(ids.size(), static_cast<size_t>(kThreads * kPerThread));
  FileAuditWriter::Stats stats = w->stats();
  EXPECT_EQ(stats.lines, lines.size());
  // Group commit: concurrent callers shared fsyncs.
  EXPECT_LT(stats.flushes, stats.lines);
}

// A file size limit stands in for a full disk: write(2) fails with EFBIG.
class FileSizeLimit {
 public:
  explicit FileSizeLimit(rlim_t bytes) {
    getrlimit(RLIMIT_FSIZE, &saved_);
    struct rlimit l = saved_;
    l.rlim_cur = bytes;
    setrlimit(RLIMIT_FSIZE, &l);
  }
  ~FileSizeLimit() { setrlimit(RLIMIT_FSIZE, &saved_); }

 private:
  struct rlimit saved_;
};

TEST_F(FileAuditWriterTest, FullDiskFailsClosedAndRecovers) {
  auto w = OpenWriter();
  ASSERT_OK(w->Append(MakeRecord(0)));
  const std::string before = ReadFile(LogPath());
  {
    FileSizeLimit limit(before.size() + 10);
    EXPECT_THAT(
        w->Append(MakeRecord(1)),
        StatusIs(absl::StatusCode::kUnavailable, HasSubstr("File too large")));
    EXPECT_FALSE(w->Healthy());
    EXPECT_THAT(w->Append(MakeRecord(2)),
                StatusIs(absl::StatusCode::kUnavailable));
  }
  // Nothing of the failed records is left behind.
  EXPECT_EQ(ReadFile(LogPath()), before);
  ASSERT_OK(w->Append(MakeRecord(3)));
  EXPECT_TRUE(w->Healthy());
  auto lines = CheckChain(ReadFile(LogPath()), signer_);
  ASSERT_EQ(lines.size(), 2u);
  EXPECT_EQ(lines[1]["request_id"], "req-3");
  EXPECT_EQ(lines[1]["seq"], 2);
}

TEST_F(FileAuditWriterTest, DeletedLogFileFailsClosed) {
  auto w = OpenWriter();
  ASSERT_OK(w->Append(MakeRecord(0)));
  ASSERT_EQ(unlink(LogPath().c_str()), 0);
  EXPECT_THAT(w->Append(MakeRecord(1)), StatusIs(absl::StatusCode::kUnavailable,
                                                 HasSubstr("was deleted")));
  EXPECT_FALSE(w->Healthy());
}

}  // namespace
}  // namespace secretd::audit
