#include "secretctl/audit/verify_files.h"

#include <sstream>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "absl/strings/str_split.h"
#include "common/terminal_text.h"
#include "common/testing/status_matchers.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "secretctl/audit/audit_key.h"
#include "secretctl/audit/testing/known_logs.h"

namespace secretctl {
namespace {

using ::secretctl::testing::KnownLogs;
using ::secretctl::testing::ReadLines;
using ::secretctl::testing::WriteLines;
using ::testing::HasSubstr;
using ::testing::Not;

class VerifyFilesTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto k = testing::WriteKnownLogsForTest(signer_);
    ASSERT_OK(k.status());
    logs_ = *k;
    auto key = LoadAuditPublicKey(logs_.key_file);
    ASSERT_OK(key.status());
    key_ = *key;
  }

  FilesVerification Verify(const std::vector<std::string>& files,
                           bool with_key = true, bool require_signed = false) {
    VerifyFilesOptions o;
    o.key = with_key ? &key_ : nullptr;
    o.require_signed = require_signed;
    return VerifyFiles(files, o);
  }

  std::string Text(const FilesVerification& v) {
    std::ostringstream out;
    PrintVerificationText(v, out);
    return out.str();
  }

  secretd::audit::testing::TestSigner signer_;
  KnownLogs logs_;
  AuditKey key_;
};

TEST_F(VerifyFilesTest, IntactReplicasVerifyEachOnItsOwn) {
  FilesVerification v = Verify({logs_.host_a, logs_.host_b});
  EXPECT_TRUE(v.ok());
  EXPECT_EQ(v.lines(), 10u);
  EXPECT_EQ(v.records(), 7u);
  EXPECT_EQ(v.unsigned_records(), 0u);
  EXPECT_EQ(Text(v),
            absl::StrCat(
                logs_.host_a,
                ": intact, 7 lines (replica host-a, 2025-11-26T05:41:45.000Z "
                "to 2025-11-26T05:42:25.000Z), 2 checkpoints, every record "
                "signed, closed by its shutdown checkpoint\n",
                logs_.host_b,
                ": intact, 3 lines (replica host-b, 2025-11-26T05:41:50.000Z "
                "to 2025-11-26T05:42:20.000Z), 1 checkpoint, every record "
                "signed, closed by its shutdown checkpoint\n\n"
                "OK: 2 files, 10 lines intact; checkpoint signatures checked "
                "with audit key ",
                logs_.key_id, "\n"));
}

TEST_F(VerifyFilesTest, WithoutAKeyTheVerdictSaysSignaturesWereNotChecked) {
  FilesVerification v = Verify({logs_.host_a}, /*with_key=*/false);
  EXPECT_TRUE(v.ok());
  EXPECT_FALSE(v.signatures_checked);
  EXPECT_THAT(Text(v),
              HasSubstr("OK (hash chains only): 1 file, 7 lines intact; "
                        "checkpoint signatures NOT checked"));
  EXPECT_EQ(VerificationJson(v)["signatures_checked"], false);
  EXPECT_TRUE(VerificationJson(v)["key_id"].is_null());
}

TEST_F(VerifyFilesTest, TamperedFileIsNamedWithItsLine) {
  std::vector<std::string> b = ReadLines(logs_.host_b);
  b[1] = absl::StrReplaceAll(b[1], {{"\"i-aaa\"", "\"i-eve\""}});
  WriteLines(logs_.host_b, b);
  FilesVerification v = Verify({logs_.host_a, logs_.host_b});
  EXPECT_FALSE(v.ok());
  EXPECT_EQ(v.FirstProblem(),
            absl::StrCat(logs_.host_b,
                         ":2: edited record: line 2 (seq 2, request req-6) "
                         "does not match its hash: the record was edited "
                         "after it was written"));
  const std::string text = Text(v);
  EXPECT_THAT(text, HasSubstr(absl::StrCat(logs_.host_b, ":2: edited record")));
  EXPECT_THAT(text, HasSubstr("FAILED: 1 of 2 files is not intact"));
  nlohmann::ordered_json j = VerificationJson(v);
  EXPECT_EQ(j["ok"], false);
  EXPECT_EQ(j["files"][0]["ok"], true);
  EXPECT_EQ(j["files"][1]["ok"], false);
  EXPECT_EQ(j["files"][1]["failure"]["line"], 2);
  EXPECT_EQ(j["files"][1]["failure"]["kind"], "hash_mismatch");
  EXPECT_EQ(j["files"][1]["failure"]["title"], "edited record");
}

TEST_F(VerifyFilesTest, TerminalControlsInALineOrAFileNameAreEscaped) {
  // An edited request id carrying RLO and a C1 CSI: the verifier no longer
  // quotes a request id it cannot vouch for.
  std::vector<std::string> b = ReadLines(logs_.host_b);
  b[1] = absl::StrReplaceAll(
      b[1], {{"\"req-6\"", "\"req-6\xe2\x80\xae\xc2\x9b[31m\""}});
  // A file name with ESC, BEL, RLO and a byte of invalid UTF-8.
  const std::string evil =
      logs_.dir + "/audit-\x1b]0;x\x07\xe2\x80\xae\xff.jsonl";
  WriteLines(evil, b);
  FilesVerification v = Verify({evil});
  EXPECT_EQ(Text(v),
            absl::StrCat(logs_.dir,
                         "/audit-\\x1b]0;x\\x07\\u{202E}\\xff.jsonl:2: edited "
                         "record: line 2 does not match its hash: the record "
                         "was edited after it was written\n\nFAILED: 1 of 1 "
                         "file is not intact; no checkpoint to check: no "
                         "signature was checked (audit key ",
                         logs_.key_id, ")\n"));
  const std::string json = VerificationJsonText(v);
  for (absl::string_view line : absl::StrSplit(json, '\n')) {
    EXPECT_EQ(common::TerminalSafe(line), line);
  }
  // The invalid byte is U+FFFD, which is harmless.
  EXPECT_THAT(json, HasSubstr("/audit-\\u001b]0;x\\u0007\\u202e\xef\xbf\xbd."
                              "jsonl\""));
  const auto parsed = nlohmann::json::parse(json, nullptr, false);
  ASSERT_FALSE(parsed.is_discarded());
  EXPECT_EQ(parsed["files"][0]["failure"]["kind"], "hash_mismatch");
}

TEST_F(VerifyFilesTest, UnreadableFileFails) {
  FilesVerification v = Verify({logs_.host_a, logs_.dir + "/gone.jsonl"});
  EXPECT_FALSE(v.ok());
  EXPECT_THAT(Text(v), HasSubstr(absl::StrCat(logs_.dir,
                                              "/gone.jsonl: cannot be read: "
                                              "cannot open audit log")));
  EXPECT_THAT(VerificationJson(v)["files"][1]["error"].get<std::string>(),
              HasSubstr("No such file"));
}

TEST_F(VerifyFilesTest, UnsignedTailIsReportedAndFailsOnlyWhenRequired) {
  std::vector<std::string> a = ReadLines(logs_.host_a);
  a.pop_back();  // the shutdown checkpoint
  WriteLines(logs_.host_a, a);
  FilesVerification v = Verify({logs_.host_a});
  EXPECT_TRUE(v.ok());
  EXPECT_EQ(v.unsigned_records(), 2u);
  EXPECT_THAT(Text(v),
              HasSubstr("the last 2 records (lines 5 to 6) are after the last "
                        "checkpoint and not signed yet"));
  EXPECT_THAT(Text(v), HasSubstr("OK: 1 file, 6 lines intact (2 records not "
                                 "signed yet)"));
  FilesVerification strict = Verify({logs_.host_a}, true, true);
  EXPECT_FALSE(strict.ok());
  EXPECT_THAT(strict.FirstProblem(), HasSubstr(":6: unsigned records"));
  EXPECT_THAT(Text(strict), HasSubstr("FAILED: 1 of 1 file is not intact"));
}

// `: > log.jsonl` leaves an intact but empty file: --require-signed, which
// demands each log's signed shutdown checkpoint, refuses it.
TEST_F(VerifyFilesTest, EmptiedLogFailsRequireSigned) {
  WriteLines(logs_.host_a, {}, /*final_newline=*/false);
  FilesVerification v = Verify({logs_.host_a}, true, /*require_signed=*/true);
  EXPECT_FALSE(v.ok());
  EXPECT_FALSE(v.AllClosed());
  EXPECT_EQ(v.checkpoints(), 0u);
  const std::string empty = absl::StrCat(
      logs_.host_a,
      ": empty: no signed shutdown checkpoint (the log was emptied, or its "
      "broker never stopped cleanly)");
  EXPECT_EQ(v.FirstProblem(), empty);
  EXPECT_EQ(Text(v), absl::StrCat(empty,
                                  "\n\nFAILED: 1 of 1 file is not intact; no "
                                  "checkpoint to check: no signature was "
                                  "checked (audit key ",
                                  logs_.key_id, ")\n"));
  nlohmann::ordered_json j = VerificationJson(v);
  EXPECT_EQ(j["ok"], false);
  EXPECT_EQ(j["checkpoints"], 0);
  EXPECT_EQ(j["files"][0]["ok"], false);
  EXPECT_EQ(j["files"][0]["lines"], 0);
  EXPECT_EQ(j["files"][0]["last_checkpoint_reason"], "");
}

// Without --require-signed an empty log is reported as such, and the verdict
// says that no checkpoint was there to check.
TEST_F(VerifyFilesTest,
       EmptyLogWithoutRequireSignedSaysNoCheckpointWasChecked) {
  WriteLines(logs_.host_a, {}, /*final_newline=*/false);
  FilesVerification v = Verify({logs_.host_a});
  EXPECT_TRUE(v.ok());
  EXPECT_EQ(v.FirstProblem(), "");
  EXPECT_EQ(Text(v),
            absl::StrCat(logs_.host_a,
                         ": intact, empty: no record and no checkpoint, so "
                         "nothing signed to check (--require-signed refuses "
                         "an empty log)\n\nOK: 1 file, 0 lines intact; no "
                         "checkpoint to check: no signature was checked "
                         "(audit key ",
                         logs_.key_id, ")\n"));
  EXPECT_EQ(VerificationJson(v)["files"][0]["ok"], true);
}

// Records with no checkpoint yet: the verdict does not claim a signature
// check either.
TEST_F(VerifyFilesTest, LogWithoutCheckpointsSaysNoCheckpointToCheck) {
  std::vector<std::string> b = ReadLines(logs_.host_b);
  b.pop_back();  // the shutdown checkpoint
  WriteLines(logs_.host_b, b);
  FilesVerification v = Verify({logs_.host_b});
  EXPECT_TRUE(v.ok());
  EXPECT_THAT(Text(v),
              HasSubstr(absl::StrCat(
                  "\nOK: 1 file, 2 lines intact (2 records not signed yet); "
                  "no checkpoint to check: no signature was checked "
                  "(audit key ",
                  logs_.key_id, ")\n")));
  EXPECT_THAT(Text(v), Not(HasSubstr("checkpoint signatures checked")));
}

// A broker that started and stopped without serving a request leaves one
// signed shutdown checkpoint: that log is closed.
TEST_F(VerifyFilesTest, LogOfABrokerThatServedNothingPassesRequireSigned) {
  auto idle = testing::WriteIdleLog(logs_.dir + "/idle", "host-c", signer_);
  ASSERT_OK(idle.status());
  FilesVerification v = Verify({*idle}, true, /*require_signed=*/true);
  EXPECT_TRUE(v.ok()) << v.FirstProblem();
  EXPECT_TRUE(v.AllClosed());
  EXPECT_EQ(v.checkpoints(), 1u);
  EXPECT_EQ(v.records(), 0u);
  EXPECT_EQ(Text(v),
            absl::StrCat(*idle,
                         ": intact, 1 line (replica host-c, "
                         "2025-11-26T05:41:45.000Z to "
                         "2025-11-26T05:41:45.000Z), 1 checkpoint, every "
                         "record signed, closed by its shutdown checkpoint\n\n"
                         "OK: 1 file, 1 line intact; checkpoint signatures "
                         "checked with audit key ",
                         logs_.key_id, "\n"));
  // ... and emptied afterwards, it is refused.
  WriteLines(*idle, {}, /*final_newline=*/false);
  EXPECT_FALSE(Verify({*idle}, true, /*require_signed=*/true).ok());
}

TEST_F(VerifyFilesTest, IdenticalCopiesOfAReplicaAreADuplicate) {
  const std::string copy = logs_.dir + "/copy.jsonl";
  WriteLines(copy, ReadLines(logs_.host_a));
  FilesVerification v = Verify({logs_.host_a, copy});
  EXPECT_FALSE(v.ok());
  ASSERT_EQ(v.problems.size(), 1u);
  EXPECT_EQ(v.problems[0].kind, "duplicate_replica");
  EXPECT_EQ(v.problems[0].message,
            absl::StrCat(logs_.host_a, " and ", copy,
                         " are identical copies of the log of replica "
                         "\"host-a\"; give each replica's log once"));
  EXPECT_THAT(Text(v), HasSubstr("FAILED: 1 replica is in more than one file"));
}

TEST_F(VerifyFilesTest, OlderCopyIsNamedAsAPrefixOfTheNewer) {
  const std::string old = logs_.dir + "/old.jsonl";
  std::vector<std::string> a = ReadLines(logs_.host_a);
  a.resize(4);
  WriteLines(old, a);
  FilesVerification v = Verify({old, logs_.host_a});
  ASSERT_EQ(v.problems.size(), 1u);
  EXPECT_EQ(v.problems[0].message,
            absl::StrCat(old, " is an older copy of ", logs_.host_a,
                         " (replica \"host-a\"): its 4 lines are the first 4 "
                         "of ",
                         logs_.host_a,
                         "; give each replica's log once (the newer one)"));
}

TEST_F(VerifyFilesTest, ForkedReplicaIsNamedWithTheLineTheyDifferFrom) {
  // Another log of replica host-a that shares the first 3 lines.
  const std::string fork = logs_.dir + "/fork.jsonl";
  std::vector<std::string> a = ReadLines(logs_.host_a);
  WriteLines(fork, {a[0], a[1], a[2]});
  FilesVerification v = Verify({logs_.host_a, fork});
  ASSERT_EQ(v.problems.size(), 1u);
  EXPECT_THAT(v.problems[0].message, HasSubstr("older copy"));
  std::vector<std::string> forked = {
      a[0], a[1],
      testing::Rehash(absl::StrReplaceAll(a[2], {{"adm-1", "adm-X"}}))};
  WriteLines(fork, forked);
  v = Verify({logs_.host_a, fork});
  ASSERT_EQ(v.problems.size(), 1u);
  EXPECT_EQ(v.problems[0].message,
            absl::StrCat(logs_.host_a, " and ", fork,
                         " both hold replica \"host-a\" but differ from line "
                         "3 on: two brokers wrote with the same "
                         "--replica-id, or one of the logs was rewritten"));
}

TEST_F(VerifyFilesTest, CompareLogsFindsTheFirstDifference) {
  ASSERT_OK_AND_ASSIGN(LogComparison same,
                       CompareLogs(logs_.host_a, logs_.host_a));
  EXPECT_EQ(same.first_difference, 0u);
  ASSERT_OK_AND_ASSIGN(LogComparison diff,
                       CompareLogs(logs_.host_a, logs_.host_b));
  EXPECT_EQ(diff.first_difference, 1u);
  EXPECT_FALSE(diff.a_is_prefix || diff.b_is_prefix);
}

}  // namespace
}  // namespace secretctl
