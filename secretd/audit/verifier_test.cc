#include "secretd/audit/verifier.h"

#include <sys/stat.h>

#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_replace.h"
#include "absl/strings/str_split.h"
#include "common/testing/fake_clock.h"
#include "common/testing/status_matchers.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "secretd/audit/file_audit_writer.h"
#include "secretd/audit/testing/test_signer.h"

namespace secretd::audit {
namespace {

using ::common::testing::StatusIs;
using testing::TestSigner;

class VerifierTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = absl::StrCat(
        getenv("TEST_TMPDIR"), "/verify-",
        ::testing::UnitTest::GetInstance()->current_test_info()->name());
    mkdir(dir_.c_str(), 0700);
    FileAuditWriterOptions o{dir_, "host-a", 3, absl::Seconds(60)};
    auto w = FileAuditWriter::Open(o, signer_, clock_);
    ASSERT_TRUE(w.ok()) << w.status();
    for (int i = 0; i < 7; ++i) {
      Record r;
      r.type = "provision";
      r.request_id = absl::StrCat("req-", i);
      r.fields["decision"] = "allow";
      ASSERT_OK((*w)->Append(r));
    }
    ASSERT_OK((*w)->Close());
    path_ = (*w)->path();
    std::ifstream in(path_);
    std::string line;
    while (std::getline(in, line)) lines_.push_back(line);
    // 7 records, checkpoints after 3 and 6, and the shutdown one: 10 lines.
    ASSERT_EQ(lines_.size(), 10u);
  }

  void Write(const std::vector<std::string>& lines, bool final_newline = true) {
    std::ofstream out(path_, std::ios::trunc | std::ios::binary);
    out << absl::StrJoin(lines, "\n") << (final_newline ? "\n" : "");
  }

  VerifyOptions WithKey(const TestSigner& signer) {
    VerifyOptions o;
    o.check_checkpoint = [&signer](absl::string_view msg, absl::string_view sig,
                                   absl::string_view key_id) -> absl::Status {
      if (key_id != signer.KeyId()) return absl::NotFoundError("unknown key");
      return signer.Verify(msg, sig)
                 ? absl::OkStatus()
                 : absl::UnauthenticatedError("bad signature");
    };
    return o;
  }

  FileVerification Verify() {
    auto r = VerifyLogFile(path_, WithKey(signer_));
    EXPECT_TRUE(r.ok()) << r.status();
    return r.ok() ? *r : FileVerification{};
  }

  std::string dir_, path_;
  std::vector<std::string> lines_;
  TestSigner signer_;
  common::testing::FakeClock clock_;
};

TEST_F(VerifierTest, UntouchedLogVerifies) {
  FileVerification r = Verify();
  EXPECT_FALSE(r.failure.has_value()) << r.failure->message;
  EXPECT_EQ(r.lines, 10u);
  EXPECT_EQ(r.checkpoints, 3u);
  EXPECT_EQ(r.unsigned_records, 0u);
  EXPECT_EQ(r.replica, "host-a");
}

TEST_F(VerifierTest, EditedRecordIsAHashMismatchAtItsLine) {
  lines_[1] = absl::StrReplaceAll(lines_[1], {{"\"allow\"", "\"deny\""}});
  Write(lines_);
  FileVerification r = Verify();
  ASSERT_TRUE(r.failure.has_value());
  EXPECT_EQ(r.failure->line, 2u);
  EXPECT_EQ(r.failure->kind, "hash_mismatch");
}

TEST_F(VerifierTest,
       EditedRecordWithRecomputedHashBreaksTheChainAtTheNextLine) {
  std::string edited =
      absl::StrReplaceAll(lines_[1], {{"\"allow\"", "\"deny\""}});
  auto f = SplitLine(edited);
  ASSERT_OK(f.status());
  lines_[1] = absl::StrCat(f->body_prefix, ",\"hash\":\"",
                           HexSha256(BodyHash(f->body_prefix)), "\"}");
  Write(lines_);
  FileVerification r = Verify();
  ASSERT_TRUE(r.failure.has_value());
  EXPECT_EQ(r.failure->line, 3u);
  EXPECT_EQ(r.failure->kind, "chain_break");
}

TEST_F(VerifierTest, DeletedRecordIsASeqGapAtTheFollowingLine) {
  lines_.erase(lines_.begin() + 4);
  Write(lines_);
  FileVerification r = Verify();
  ASSERT_TRUE(r.failure.has_value());
  EXPECT_EQ(r.failure->line, 5u);
  EXPECT_EQ(r.failure->kind, "seq_gap");
  EXPECT_EQ(
      r.failure->message,
      "seq is 6, expected 5: records were deleted, inserted or reordered");
}

TEST_F(VerifierTest, ReorderedRecordsAreASeqGap) {
  std::swap(lines_[1], lines_[2]);
  Write(lines_);
  FileVerification r = Verify();
  ASSERT_TRUE(r.failure.has_value());
  EXPECT_EQ(r.failure->line, 2u);
  EXPECT_EQ(r.failure->kind, "seq_gap");
}

TEST_F(VerifierTest, LineCutMidRecordIsATruncatedLine) {
  lines_.back().resize(lines_.back().size() / 2);
  Write(lines_, /*final_newline=*/false);
  FileVerification r = Verify();
  ASSERT_TRUE(r.failure.has_value());
  EXPECT_EQ(r.failure->line, 10u);
  EXPECT_EQ(r.failure->kind, "truncated_line");
}

TEST_F(VerifierTest, RemovedTailLeavesUnsignedRecordsButNoFailure) {
  lines_.resize(9);  // cut the final shutdown checkpoint
  Write(lines_);
  FileVerification r = Verify();
  EXPECT_FALSE(r.failure.has_value());
  EXPECT_EQ(r.checkpoints, 2u);
  EXPECT_EQ(r.last_checkpoint_line, 8u);
  EXPECT_EQ(r.unsigned_records, 1u);
}

TEST_F(VerifierTest, CheckpointSignedByAnotherKeyIsUnknownKey) {
  TestSigner other(9);
  FileVerification r;
  auto result = VerifyLogFile(path_, WithKey(other));
  ASSERT_OK(result.status());
  ASSERT_TRUE(result->failure.has_value());
  EXPECT_EQ(result->failure->line, 4u);
  EXPECT_EQ(result->failure->kind, "unknown_key");
}

TEST_F(VerifierTest, ForgedCheckpointSignatureIsBadSignature) {
  // A forger without the key: a fresh signature from another key, with the
  // genuine key_id, and the hash recomputed so only the signature is wrong.
  nlohmann::ordered_json j = nlohmann::ordered_json::parse(lines_[3]);
  TestSigner forger(9);
  auto f = SplitLine(lines_[3]);
  ASSERT_OK(f.status());
  std::string sig = *forger.Sign(CheckpointMessage("host-a", f->seq, f->prev));
  std::string forged = absl::StrReplaceAll(
      std::string(f->body_prefix),
      {{j["signature"].get<std::string>(), absl::WebSafeBase64Escape(sig)}});
  lines_[3] =
      absl::StrCat(forged, ",\"hash\":\"", HexSha256(BodyHash(forged)), "\"}");
  lines_.resize(4);
  Write(lines_);
  FileVerification r = Verify();
  ASSERT_TRUE(r.failure.has_value());
  EXPECT_EQ(r.failure->line, 4u);
  EXPECT_EQ(r.failure->kind, "bad_signature");
}

TEST_F(VerifierTest, GarbageLineIsMalformed) {
  lines_.insert(lines_.begin() + 2, "{\"hello\":1}");
  Write(lines_);
  FileVerification r = Verify();
  ASSERT_TRUE(r.failure.has_value());
  EXPECT_EQ(r.failure->line, 3u);
  EXPECT_EQ(r.failure->kind, "malformed");
}

TEST_F(VerifierTest, MissingFileIsNotFound) {
  EXPECT_THAT(VerifyLogFile(dir_ + "/none.jsonl", {}),
              StatusIs(absl::StatusCode::kNotFound));
}

TEST_F(VerifierTest, ProgressReportsTheBytesRead) {
  uint64_t last = 0;
  VerifyOptions o;
  o.progress = [&last](uint64_t b) { last = b; };
  auto r = VerifyLogFile(path_, o);
  ASSERT_OK(r.status());
  EXPECT_EQ(last, r->bytes);
  EXPECT_GT(last, 0u);
}

}  // namespace
}  // namespace secretd::audit
