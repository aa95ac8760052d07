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
#include "secretd/audit/envelope.h"
#include "secretd/audit/file_audit_writer.h"
#include "secretd/audit/log_reader.h"
#include "secretd/audit/testing/test_signer.h"

namespace secretd::audit {
namespace {

using ::common::testing::StatusIs;
using testing::TestSigner;

// The line with its hash recomputed over its (edited) content.
std::string Rehash(const std::string& line) {
  auto f = SplitLine(line);
  if (!f.ok()) return line;
  return absl::StrCat(f->body_prefix, ",\"hash\":\"",
                      HexSha256(BodyHash(f->body_prefix)), "\"}");
}

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
  EXPECT_EQ(r.records, 7u);
  EXPECT_EQ(r.checkpoints, 3u);
  EXPECT_EQ(r.last_checkpoint_line, 10u);
  EXPECT_EQ(r.unsigned_records, 0u);
  EXPECT_EQ(r.replica, "host-a");
  EXPECT_EQ(r.key_id, signer_.KeyId());
  EXPECT_TRUE(r.signatures_checked);
  EXPECT_EQ(r.first_time, FormatRecordTime(clock_.Now()));
  EXPECT_EQ(r.last_time, FormatRecordTime(clock_.Now()));
  EXPECT_EQ(r.bytes, std::ifstream(path_, std::ios::ate).tellg());
}

TEST_F(VerifierTest, WithoutACheckOnlyTheFormOfCheckpointsIsChecked) {
  auto r = VerifyLogFile(path_, {});
  ASSERT_OK(r.status());
  EXPECT_FALSE(r->failure.has_value());
  EXPECT_FALSE(r->signatures_checked);
  EXPECT_EQ(r->checkpoints, 3u);
}

TEST_F(VerifierTest, EditedRecordIsAHashMismatchAtItsLine) {
  lines_[1] = absl::StrReplaceAll(lines_[1], {{"\"allow\"", "\"deny\""}});
  Write(lines_);
  FileVerification r = Verify();
  ASSERT_TRUE(r.failure.has_value());
  EXPECT_EQ(r.failure->line, 2u);
  EXPECT_EQ(r.failure->kind, "hash_mismatch");
  EXPECT_EQ(r.failure->message,
            "line 2 (seq 2, request req-1) does not match its hash: the record "
            "was edited after it was written");
  EXPECT_EQ(FailureTitle(r.failure->kind), "edited record");
}

TEST_F(VerifierTest,
       EditedRecordWithRecomputedHashBreaksTheChainAtTheNextLine) {
  lines_[1] =
      Rehash(absl::StrReplaceAll(lines_[1], {{"\"allow\"", "\"deny\""}}));
  Write(lines_);
  FileVerification r = Verify();
  ASSERT_TRUE(r.failure.has_value());
  EXPECT_EQ(r.failure->line, 3u);
  EXPECT_EQ(r.failure->kind, "chain_break");
  EXPECT_EQ(r.failure->message,
            "line 3 (seq 3, request req-2) does not follow line 2: its prev is "
            "not the hash of line 2, so line 2 was edited and its hash "
            "recomputed, or replaced");
}

TEST_F(VerifierTest, DeletedRecordIsMissingAtTheFollowingLine) {
  lines_.erase(lines_.begin() + 4);
  Write(lines_);
  FileVerification r = Verify();
  ASSERT_TRUE(r.failure.has_value());
  EXPECT_EQ(r.failure->line, 5u);
  EXPECT_EQ(r.failure->kind, "records_missing");
  EXPECT_EQ(r.failure->message,
            "line 5 has seq 6 where seq 5 was expected: 1 record (seq 5) is "
            "missing; it was deleted");
  EXPECT_EQ(r.lines, 4u);
  EXPECT_EQ(r.unsigned_records, 0u);  // meaningless past a broken chain
}

TEST_F(VerifierTest, SeveralDeletedRecordsAreNamedAsARange) {
  lines_.erase(lines_.begin() + 4, lines_.begin() + 7);
  Write(lines_);
  FileVerification r = Verify();
  ASSERT_TRUE(r.failure.has_value());
  EXPECT_EQ(r.failure->line, 5u);
  EXPECT_EQ(r.failure->kind, "records_missing");
  EXPECT_EQ(r.failure->message,
            "line 5 has seq 8 where seq 5 was expected: 3 records (seq 5 to 7) "
            "are missing; they were deleted");
}

TEST_F(VerifierTest, DeletedStartOfTheLogIsMissingAtLineOne) {
  lines_.erase(lines_.begin(), lines_.begin() + 2);
  Write(lines_);
  FileVerification r = Verify();
  ASSERT_TRUE(r.failure.has_value());
  EXPECT_EQ(r.failure->line, 1u);
  EXPECT_EQ(r.failure->kind, "records_missing");
  EXPECT_THAT(r.failure->message,
              ::testing::EndsWith("deleted from the start of the log"));
}

TEST_F(VerifierTest, SwappedRecordsAreReordered) {
  std::swap(lines_[1], lines_[2]);
  Write(lines_);
  FileVerification r = Verify();
  ASSERT_TRUE(r.failure.has_value());
  EXPECT_EQ(r.failure->line, 2u);
  EXPECT_EQ(r.failure->kind, "records_reordered");
  EXPECT_EQ(r.failure->message,
            "line 2 has seq 3 where seq 2 was expected, and seq 2 comes later "
            "at line 3: records were reordered");
}

TEST_F(VerifierTest, RecordMovedLaterIsReorderedAtItsOldPlace) {
  std::string moved = lines_[1];
  lines_.erase(lines_.begin() + 1);
  lines_.insert(lines_.begin() + 6, moved);
  Write(lines_);
  FileVerification r = Verify();
  ASSERT_TRUE(r.failure.has_value());
  EXPECT_EQ(r.failure->line, 2u);
  EXPECT_EQ(r.failure->kind, "records_reordered");
  EXPECT_THAT(r.failure->message, ::testing::HasSubstr("at line 7"));
}

TEST_F(VerifierTest, DuplicatedRecordIsReordered) {
  lines_.insert(lines_.begin() + 5, lines_[2]);
  Write(lines_);
  FileVerification r = Verify();
  ASSERT_TRUE(r.failure.has_value());
  EXPECT_EQ(r.failure->line, 6u);
  EXPECT_EQ(r.failure->kind, "records_reordered");
  EXPECT_EQ(r.failure->message,
            "line 6 has seq 3 where seq 6 was expected, and seq 3 was already "
            "at line 3: a record was moved back or duplicated");
}

TEST_F(VerifierTest, RecordFromAnotherReplicaIsForeign) {
  lines_[4] = Rehash(absl::StrReplaceAll(lines_[4], {{"host-a", "host-b"}}));
  Write(lines_);
  FileVerification r = Verify();
  ASSERT_TRUE(r.failure.has_value());
  EXPECT_EQ(r.failure->line, 5u);
  EXPECT_EQ(r.failure->kind, "replica_mismatch");
  EXPECT_EQ(r.failure->message,
            "line 5 (seq 5, request req-3) belongs to replica \"host-b\" in "
            "the log of replica \"host-a\": a record from another log was "
            "inserted");
}

TEST_F(VerifierTest, LineCutMidRecordIsATruncatedLine) {
  lines_.back().resize(lines_.back().size() / 2);
  Write(lines_, /*final_newline=*/false);
  FileVerification r = Verify();
  ASSERT_TRUE(r.failure.has_value());
  EXPECT_EQ(r.failure->line, 10u);
  EXPECT_EQ(r.failure->kind, "truncated_line");
  EXPECT_EQ(r.lines, 9u);
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
  std::string sig = *forger.Sign(*CheckpointMessageOf(lines_[3]));
  lines_[3] = Rehash(absl::StrReplaceAll(
      lines_[3],
      {{j["signature"].get<std::string>(), absl::WebSafeBase64Escape(sig)}}));
  lines_.resize(4);
  Write(lines_);
  FileVerification r = Verify();
  ASSERT_TRUE(r.failure.has_value());
  EXPECT_EQ(r.failure->line, 4u);
  EXPECT_EQ(r.failure->kind, "bad_signature");
  EXPECT_EQ(r.failure->message,
            "the checkpoint at line 4 does not verify with the audit key: it "
            "was forged, or lines 1 to 3 were rewritten after it was signed");
}

TEST_F(VerifierTest, NonCanonicalSignatureEncodingIsMalformed) {
  // 64 bytes take 86 base64url characters; the last one carries 4 unused
  // bits, which must be zero. Setting one gives another text for the same
  // bytes, which a strict decoder refuses.
  nlohmann::ordered_json j = nlohmann::ordered_json::parse(lines_[3]);
  const std::string sig = j["signature"].get<std::string>();
  static constexpr absl::string_view kAlphabet =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
  std::string odd = sig;
  odd.back() = kAlphabet[kAlphabet.find(sig.back()) | 1];
  lines_[3] = Rehash(absl::StrReplaceAll(lines_[3], {{sig, odd}}));
  lines_.resize(4);
  Write(lines_);
  FileVerification r = Verify();
  ASSERT_TRUE(r.failure.has_value());
  EXPECT_EQ(r.failure->line, 4u);
  EXPECT_EQ(r.failure->kind, "malformed");
  EXPECT_THAT(r.failure->message, ::testing::HasSubstr("canonical base64url"));
}

TEST_F(VerifierTest, CheckpointClaimingMoreRecordsThanPrecedeItIsMalformed) {
  lines_[3] = Rehash(
      absl::StrReplaceAll(lines_[3], {{"\"records\":3", "\"records\":4"}}));
  lines_.resize(4);
  Write(lines_);
  FileVerification r = Verify();
  ASSERT_TRUE(r.failure.has_value());
  EXPECT_EQ(r.failure->line, 4u);
  EXPECT_EQ(r.failure->kind, "malformed");
  EXPECT_EQ(r.failure->message,
            "the checkpoint at line 4 claims 4 records since the last one, but "
            "3 precede it");
}

TEST_F(VerifierTest, FirstLineWithANonZeroPrevBreaksTheChain) {
  lines_.erase(lines_.begin());
  // Renumber the new first line to seq 1 and rehash it.
  lines_[0] =
      Rehash(absl::StrReplaceAll(lines_[0], {{"{\"seq\":2,", "{\"seq\":1,"}}));
  Write(lines_);
  FileVerification r = Verify();
  ASSERT_TRUE(r.failure.has_value());
  EXPECT_EQ(r.failure->line, 1u);
  EXPECT_EQ(r.failure->kind, "chain_break");
}

TEST_F(VerifierTest, OverlongLineIsMalformed) {
  lines_.insert(lines_.begin() + 1, std::string(kMaxLineBytes + 1, 'x'));
  Write(lines_);
  FileVerification r = Verify();
  ASSERT_TRUE(r.failure.has_value());
  EXPECT_EQ(r.failure->line, 2u);
  EXPECT_EQ(r.failure->kind, "malformed");
}

TEST_F(VerifierTest, EmptyFileVerifiesWithNoLines) {
  Write({}, /*final_newline=*/false);
  FileVerification r = Verify();
  EXPECT_FALSE(r.failure.has_value());
  EXPECT_EQ(r.lines, 0u);
  EXPECT_EQ(r.replica, "");
}

// What a broker that started and stopped without a request leaves: one
// signed shutdown checkpoint, seq 1, genesis prev, "records":0.
TEST_F(VerifierTest, LogOfOnlyAShutdownCheckpointVerifies) {
  const std::string dir = dir_ + "/idle";
  mkdir(dir.c_str(), 0700);
  auto w = FileAuditWriter::Open({dir, "host-c", 3, absl::Seconds(60)}, signer_,
                                 clock_);
  ASSERT_TRUE(w.ok()) << w.status();
  ASSERT_OK((*w)->Close());
  auto r = VerifyLogFile((*w)->path(), WithKey(signer_));
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_FALSE(r->failure.has_value()) << r->failure->message;
  EXPECT_EQ(r->lines, 1u);
  EXPECT_EQ(r->records, 0u);
  EXPECT_EQ(r->checkpoints, 1u);
  EXPECT_EQ(r->last_checkpoint_line, 1u);
  EXPECT_EQ(r->last_checkpoint_reason, "shutdown");
  EXPECT_EQ(r->unsigned_records, 0u);
  EXPECT_EQ(r->replica, "host-c");
  EXPECT_EQ(r->key_id, signer_.KeyId());
  EXPECT_TRUE(r->signatures_checked);
}

// An emptied log is intact as far as one file tells: no line, no checkpoint.
// Whether that is acceptable is the caller's (--require-signed refuses it).
TEST_F(VerifierTest, EmptyFileHasNoCheckpoint) {
  Write({}, /*final_newline=*/false);
  FileVerification r = Verify();
  EXPECT_FALSE(r.failure.has_value());
  EXPECT_EQ(r.checkpoints, 0u);
  EXPECT_EQ(r.last_checkpoint_line, 0u);
  EXPECT_EQ(r.last_checkpoint_reason, "");
  EXPECT_EQ(r.key_id, "");
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

// Reads every line of `file` again through a RereadCheck of `v`.
bool Reread(const LogFile& file, const FileVerification& v,
            uint64_t limit = kNoLimit) {
  RereadCheck check(v);
  auto reader = LogReader::Read(file, limit);
  absl::string_view line;
  while (reader->Next(&line)) check.Add(line);
  return reader->status().ok() && check.Same();
}

TEST_F(VerifierTest, VerifyingAnOpenFileRecordsTheHashOfItsLastLine) {
  ASSERT_OK_AND_ASSIGN(auto file, LogFile::Open(path_));
  ASSERT_OK_AND_ASSIGN(FileVerification v, VerifyLog(*file, WithKey(signer_)));
  EXPECT_FALSE(v.failure.has_value());
  EXPECT_EQ(v.lines, 10u);
  EXPECT_EQ(v.last_line_hash, ComputeSha256(lines_.back()));
  // The same file read again is the same.
  EXPECT_TRUE(Reread(*file, v));
}

TEST_F(VerifierTest, RereadOfAnEmptyLogIsTheSame) {
  Write({}, /*final_newline=*/false);
  ASSERT_OK_AND_ASSIGN(auto file, LogFile::Open(path_));
  ASSERT_OK_AND_ASSIGN(FileVerification v, VerifyLog(*file, {}));
  EXPECT_EQ(v.lines, 0u);
  EXPECT_EQ(v.last_line_hash, GenesisPrev());
  EXPECT_TRUE(Reread(*file, v));
}

TEST_F(VerifierTest, RereadNoticesALineEditedAfterVerification) {
  ASSERT_OK_AND_ASSIGN(auto file, LogFile::Open(path_));
  ASSERT_OK_AND_ASSIGN(FileVerification v, VerifyLog(*file, WithKey(signer_)));
  for (size_t i : {size_t{0}, size_t{4}, size_t{9}}) {
    std::vector<std::string> edited = lines_;
    // Rehashed, so the edit is invisible to a reader that only checks each
    // line's own hash; the same length, so the size does not change.
    edited[i] = Rehash(absl::StrReplaceAll(
        edited[i], {{"\"replica\":\"host-a\"", "\"replica\":\"host-b\""}}));
    ASSERT_NE(edited[i], lines_[i]);
    Write(edited);
    EXPECT_FALSE(Reread(*file, v)) << "line " << i + 1;
  }
}

TEST_F(VerifierTest, RereadNoticesLinesAddedOrRemoved) {
  ASSERT_OK_AND_ASSIGN(auto file, LogFile::Open(path_));
  ASSERT_OK_AND_ASSIGN(FileVerification v, VerifyLog(*file, WithKey(signer_)));
  const uint64_t verified_bytes = v.bytes;
  std::vector<std::string> lines = lines_;
  lines.pop_back();
  Write(lines);
  EXPECT_FALSE(Reread(*file, v));
  Write(lines_);
  EXPECT_TRUE(Reread(*file, v));
  // Appended lines: not the same when read, the same when the second read
  // stops at the verified bytes.
  std::ofstream(path_, std::ios::app) << lines_[0] << "\n";
  EXPECT_FALSE(Reread(*file, v));
  EXPECT_TRUE(Reread(*file, v, verified_bytes));
}

}  // namespace
}  // namespace secretd::audit
