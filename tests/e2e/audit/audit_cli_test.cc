// The tamper suite and the auditor's questions, through the real secretctl
// binary: logs written by the real FileAuditWriter (known_logs.h), tampered
// with as an attacker would, then `secretctl audit verify|query`. Each case
// checks the exit code and that the message names the right file and line.
#include <sys/stat.h>

#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "absl/strings/str_split.h"
#include "common/testing/status_matchers.h"
#include "common/testing/subprocess.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "keys/encoding.h"
#include "nlohmann/json.hpp"
#include "secretctl/audit/testing/known_logs.h"
#include "secretd/audit/envelope.h"
#include "secretd/audit/record.h"
#include "secretd/audit/testing/test_signer.h"

namespace secretctl::testing {
namespace {

using ::common::testing::ProcessResult;
using ::common::testing::RunProcess;
using ::secretd::audit::testing::TestSigner;
using ::testing::HasSubstr;
using ::testing::Not;

class AuditCliTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto k = WriteKnownLogsForTest(signer_);
    ASSERT_TRUE(k.ok()) << k.status();
    logs_ = *k;
  }

  ProcessResult Secretctl(std::vector<std::string> args) {
    args.insert(args.begin(), "secretctl/secretctl");
    return RunProcess(args);
  }
  ProcessResult Verify(std::vector<std::string> files) {
    std::vector<std::string> args = {"audit", "verify", "--audit-public-key",
                                     logs_.key_file};
    args.insert(args.end(), files.begin(), files.end());
    return Secretctl(args);
  }
  ProcessResult VerifyA() { return Verify({logs_.host_a, logs_.host_b}); }

  // Expects exit 1 and "FILE:LINE: TITLE: " in the output.
  void ExpectFailure(const ProcessResult& r, const std::string& file, int line,
                     const std::string& title) {
    EXPECT_EQ(r.exit_code, 1) << r.out << r.err;
    EXPECT_THAT(r.out,
                HasSubstr(absl::StrCat(file, ":", line, ": ", title, ": ")));
    EXPECT_THAT(r.out, HasSubstr("FAILED: 1 of 2 files is not intact"));
  }

  std::vector<std::string> A() { return ReadLines(logs_.host_a); }
  void SetA(const std::vector<std::string>& lines, bool newline = true) {
    WriteLines(logs_.host_a, lines, newline);
  }

  TestSigner signer_;
  KnownLogs logs_;
};

TEST_F(AuditCliTest, UntouchedLogsExitZero) {
  ProcessResult r = VerifyA();
  EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_THAT(r.out, HasSubstr(absl::StrCat(
                         "OK: 2 files, 10 lines intact; checkpoint signatures "
                         "checked with audit key ",
                         logs_.key_id)));
  EXPECT_EQ(r.err, "");
}

TEST_F(AuditCliTest, EditedRecordNamesItsLine) {
  std::vector<std::string> a = A();
  a[4] = absl::StrReplaceAll(a[4], {{"\"i-bbb\"", "\"i-eve\""}});
  SetA(a);
  ProcessResult r = VerifyA();
  ExpectFailure(r, logs_.host_a, 5, "edited record");
  EXPECT_THAT(r.out, HasSubstr("line 5 (seq 5, request req-3) does not match "
                               "its hash: the record was edited"));
}

TEST_F(AuditCliTest, EditedAndRehashedRecordBreaksTheChainAtTheNextLine) {
  std::vector<std::string> a = A();
  a[1] = Rehash(absl::StrReplaceAll(a[1], {{"token.expired", "ok"}}));
  SetA(a);
  ExpectFailure(VerifyA(), logs_.host_a, 3, "broken chain");
}

TEST_F(AuditCliTest, DeletedRecordNamesTheGap) {
  std::vector<std::string> a = A();
  a.erase(a.begin() + 1);  // req-2, the denial
  SetA(a);
  ProcessResult r = VerifyA();
  ExpectFailure(r, logs_.host_a, 2, "deleted records");
  EXPECT_THAT(r.out, HasSubstr("1 record (seq 2) is missing; it was deleted"));
}

TEST_F(AuditCliTest, ReorderedRecordsNameBothLines) {
  std::vector<std::string> a = A();
  std::swap(a[4], a[5]);
  SetA(a);
  ProcessResult r = VerifyA();
  ExpectFailure(r, logs_.host_a, 5, "reordered records");
  EXPECT_THAT(r.out, HasSubstr("seq 5 comes later at line 6"));
}

TEST_F(AuditCliTest, TruncatedTailNamesTheCutLine) {
  std::vector<std::string> a = A();
  a.back().resize(a.back().size() / 2);
  SetA(a, /*newline=*/false);
  ProcessResult r = VerifyA();
  ExpectFailure(r, logs_.host_a, 7, "truncated tail");
}

// A log cut back to an earlier checkpoint is intact up to it, but it is not
// closed by its broker's shutdown checkpoint: --require-signed says so.
TEST_F(AuditCliTest, LogCutBackToACheckpointFailsRequireSigned) {
  std::vector<std::string> a = A();
  ASSERT_THAT(a[3], HasSubstr("\"reason\":\"count\""));
  a.resize(4);
  SetA(a);
  EXPECT_EQ(VerifyA().exit_code, 0);
  ProcessResult r = Verify({logs_.host_a, logs_.host_b, "--require-signed"});
  EXPECT_EQ(r.exit_code, 1) << r.out << r.err;
  EXPECT_THAT(r.out,
              HasSubstr(absl::StrCat(
                  logs_.host_a,
                  ":4: not closed: the log ends with a \"count\" checkpoint")));
}

// `: > log.jsonl` leaves an intact but empty file. --require-signed promises
// each log ends with its signed shutdown checkpoint: exit 1, naming the file.
TEST_F(AuditCliTest, EmptiedLogFailsRequireSigned) {
  SetA({}, /*newline=*/false);
  ProcessResult r = Verify({logs_.host_a, "--require-signed"});
  EXPECT_EQ(r.exit_code, 1) << r.out << r.err;
  EXPECT_EQ(r.out, absl::StrCat(logs_.host_a,
                                ": empty: no signed shutdown checkpoint (the "
                                "log was emptied, or its broker never stopped "
                                "cleanly)\n\nFAILED: 1 of 1 file is not "
                                "intact; no checkpoint to check: no signature "
                                "was checked (audit key ",
                                logs_.key_id, ")\n"));
  EXPECT_EQ(r.err, "");
  // With the intact host-b beside it, only host-a is named.
  r = Verify({logs_.host_a, logs_.host_b, "--require-signed"});
  EXPECT_EQ(r.exit_code, 1) << r.out << r.err;
  EXPECT_THAT(
      r.out, HasSubstr(absl::StrCat(logs_.host_a,
                                    ": empty: no signed shutdown checkpoint")));
  EXPECT_THAT(r.out, HasSubstr("FAILED: 1 of 2 files is not intact; "
                               "checkpoint signatures checked with audit key"));
  // --format json says the same.
  r = Verify({logs_.host_a, "--require-signed", "--format", "json"});
  EXPECT_EQ(r.exit_code, 1) << r.out << r.err;
  nlohmann::json j = nlohmann::json::parse(r.out);
  EXPECT_EQ(j["ok"], false);
  EXPECT_EQ(j["checkpoints"], 0);
  EXPECT_EQ(j["files"][0]["ok"], false);
  EXPECT_EQ(j["files"][0]["lines"], 0);
}

// Without --require-signed the empty log is reported as empty, and the
// verdict does not claim that a signature was checked.
TEST_F(AuditCliTest, EmptyLogWithoutRequireSignedSaysNoCheckpointWasChecked) {
  SetA({}, /*newline=*/false);
  ProcessResult r = Verify({logs_.host_a});
  EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_EQ(r.out, absl::StrCat(logs_.host_a,
                                ": intact, empty: no record and no checkpoint, "
                                "so nothing signed to check (--require-signed "
                                "refuses an empty log)\n\nOK: 1 file, 0 lines "
                                "intact; no checkpoint to check: no signature "
                                "was checked (audit key ",
                                logs_.key_id, ")\n"));
  EXPECT_THAT(r.out, Not(HasSubstr("checkpoint signatures checked")));
}

// The log of a broker that started and stopped without a request (the real
// writer's: one signed shutdown checkpoint) passes --require-signed, also
// found through --data-dir's keys/audit.pub; emptied, it fails.
TEST_F(AuditCliTest, IdleBrokerLogPassesRequireSignedUntilEmptied) {
  const std::string data_dir = logs_.dir + "/data";
  ASSERT_EQ(mkdir(data_dir.c_str(), 0700), 0);
  ASSERT_EQ(mkdir((data_dir + "/keys").c_str(), 0700), 0);
  WriteLines(data_dir + "/keys/audit.pub", ReadLines(logs_.key_file));
  auto idle = WriteIdleLog(data_dir + "/audit", "host-c", signer_);
  ASSERT_OK(idle.status());
  const std::vector<std::string> verify = {
      "--data-dir", data_dir, "audit", "verify", "--require-signed", *idle};
  ProcessResult r = Secretctl(verify);
  EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_EQ(r.out, absl::StrCat(*idle,
                                ": intact, 1 line (replica host-c, "
                                "2025-11-26T05:41:45.000Z to "
                                "2025-11-26T05:41:45.000Z), 1 checkpoint, "
                                "every record signed, closed by its shutdown "
                                "checkpoint\n\nOK: 1 file, 1 line intact; "
                                "checkpoint signatures checked with audit key ",
                                logs_.key_id, "\n"));
  WriteLines(*idle, {}, /*final_newline=*/false);
  r = Secretctl(verify);
  EXPECT_EQ(r.exit_code, 1) << r.out << r.err;
  EXPECT_THAT(r.out, HasSubstr(absl::StrCat(
                         *idle,
                         ": empty: no signed shutdown checkpoint (the log was "
                         "emptied, or its broker never stopped cleanly)\n")));
}

// ... and relabelling that checkpoint as the shutdown one breaks its
// signature, which covers reason, records and time.
TEST_F(AuditCliTest, RelabelledCheckpointIsForged) {
  std::vector<std::string> a = A();
  a[3] = Rehash(absl::StrReplaceAll(
      a[3], {{"\"reason\":\"count\"", "\"reason\":\"shutdown\""}}));
  a.resize(4);
  SetA(a);
  ExpectFailure(VerifyA(), logs_.host_a, 4, "forged checkpoint");
}

TEST_F(AuditCliTest, ForgedCheckpointIsRejected) {
  // A forger without the audit key signs the checkpoint with its own key,
  // keeps the genuine key_id and recomputes the hash.
  std::vector<std::string> a = A();
  nlohmann::json cp = nlohmann::json::parse(a[3]);
  auto f = secretd::audit::SplitLine(a[3]);
  ASSERT_TRUE(f.ok());
  TestSigner forger(9);
  std::string sig = *forger.Sign(*secretd::audit::CheckpointMessageOf(a[3]));
  a[3] = Rehash(absl::StrReplaceAll(a[3], {{cp["signature"].get<std::string>(),
                                            keys::Base64UrlEncode(sig)}}));
  a.resize(4);
  SetA(a);
  ProcessResult r = VerifyA();
  ExpectFailure(r, logs_.host_a, 4, "forged checkpoint");
  EXPECT_THAT(r.out, HasSubstr("the checkpoint at line 4 does not verify with "
                               "the audit key"));
}

TEST_F(AuditCliTest, LogRewrittenFromScratchFailsAtItsFirstCheckpoint) {
  // The strongest forger: edits req-2, then re-chains every later line and
  // re-signs the checkpoints with its own key under the genuine key_id.
  std::vector<std::string> a = A();
  a[1] = absl::StrReplaceAll(a[1], {{"\"deny\"", "\"allow\""}});
  TestSigner forger(9);
  secretd::audit::Sha256 prev = secretd::audit::GenesisPrev();
  for (size_t i = 0; i < a.size(); ++i) {
    auto f = secretd::audit::SplitLine(a[i]);
    ASSERT_TRUE(f.ok());
    std::string body(f->body_prefix);
    body.replace(body.size() - 65, 64, secretd::audit::HexSha256(prev));
    if (body.find("\"type\":\"checkpoint\"") != std::string::npos) {
      nlohmann::json cp = nlohmann::json::parse(a[i]);
      std::string sig = *forger.Sign(*secretd::audit::CheckpointMessageOf(
          body + ",\"hash\":\"" + std::string(64, '0') + "\"}"));
      body = absl::StrReplaceAll(body, {{cp["signature"].get<std::string>(),
                                         keys::Base64UrlEncode(sig)}});
    }
    a[i] = Rehash(body + ",\"hash\":\"" + std::string(64, '0') + "\"}");
    prev = secretd::audit::ComputeSha256(a[i]);
  }
  SetA(a);
  // Without the key the chain alone cannot tell.
  ProcessResult chain_only =
      Secretctl({"audit", "verify", "--skip-signatures", logs_.host_a});
  EXPECT_EQ(chain_only.exit_code, 0) << chain_only.out;
  EXPECT_THAT(chain_only.out, HasSubstr("NOT checked"));
  // With it, the first checkpoint gives the forgery away.
  ExpectFailure(VerifyA(), logs_.host_a, 4, "forged checkpoint");
}

TEST_F(AuditCliTest, CheckpointOfAnotherKeyIsAnUnknownKey) {
  TestSigner other(3);
  const auto& pk = other.public_key();
  const std::string other_key = logs_.dir + "/other.pub";
  WriteLines(other_key,
             {keys::Base64UrlEncode(std::string(pk.begin(), pk.end()))});
  ProcessResult r = Secretctl(
      {"audit", "verify", "--audit-public-key", other_key, logs_.host_b});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_THAT(r.out, HasSubstr(absl::StrCat(logs_.host_b,
                                            ":3: unknown signing key: the "
                                            "checkpoint at line 3 was signed "
                                            "by key ",
                                            logs_.key_id)));
}

TEST_F(AuditCliTest, EveryTamperedFileOfSeveralIsNamed) {
  std::vector<std::string> a = A();
  a.erase(a.begin() + 4);
  SetA(a);
  std::vector<std::string> b = ReadLines(logs_.host_b);
  b[0] = absl::StrReplaceAll(b[0], {{"queue/token", "queue/tokens"}});
  WriteLines(logs_.host_b, b);
  ProcessResult r = VerifyA();
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_THAT(r.out,
              HasSubstr(absl::StrCat(logs_.host_a, ":5: deleted records")));
  EXPECT_THAT(r.out,
              HasSubstr(absl::StrCat(logs_.host_b, ":1: edited record")));
  EXPECT_THAT(r.out, HasSubstr("FAILED: 2 of 2 files are not intact"));
}

TEST_F(AuditCliTest, JsonOutputNamesFileLineAndKind) {
  std::vector<std::string> a = A();
  a.erase(a.begin() + 1);
  SetA(a);
  ProcessResult r =
      Secretctl({"audit", "verify", "--format", "json", "--audit-public-key",
                 logs_.key_file, logs_.host_a, logs_.host_b});
  EXPECT_EQ(r.exit_code, 1);
  nlohmann::json j = nlohmann::json::parse(r.out, nullptr, false);
  ASSERT_FALSE(j.is_discarded()) << r.out;
  EXPECT_EQ(j["ok"], false);
  EXPECT_EQ(j["signatures_checked"], true);
  EXPECT_EQ(j["key_id"], logs_.key_id);
  EXPECT_EQ(j["files"][0]["file"], logs_.host_a);
  EXPECT_EQ(j["files"][0]["failure"]["line"], 2);
  EXPECT_EQ(j["files"][0]["failure"]["kind"], "records_missing");
  EXPECT_EQ(j["files"][1]["ok"], true);
  EXPECT_EQ(j["files"][1]["lines"], 3);
}

TEST_F(AuditCliTest, UnsignedTailPassesUnlessSignedRecordsAreRequired) {
  std::vector<std::string> a = A();
  a.pop_back();
  SetA(a);
  ProcessResult r = VerifyA();
  EXPECT_EQ(r.exit_code, 0);
  EXPECT_THAT(r.out, HasSubstr("the last 2 records (lines 5 to 6) are after "
                               "the last checkpoint and not signed yet"));
  r = Secretctl({"audit", "verify", "--require-signed", "--audit-public-key",
                 logs_.key_file, logs_.host_a});
  EXPECT_EQ(r.exit_code, 1);
}

TEST_F(AuditCliTest, KeyComesFromTheDataDirectory) {
  const std::string data = logs_.dir + "/data";
  mkdir(data.c_str(), 0700);
  mkdir((data + "/keys").c_str(), 0700);
  WriteLines(data + "/keys/audit.pub", ReadLines(logs_.key_file));
  ProcessResult r =
      Secretctl({"--data-dir", data, "audit", "verify", logs_.host_a});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_THAT(r.out, HasSubstr(logs_.key_id));
}

TEST_F(AuditCliTest, WithoutAKeyVerifyIsAUsageErrorUnlessSignaturesAreSkipped) {
  ProcessResult r = Secretctl({"audit", "verify", logs_.host_a});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_THAT(r.err, HasSubstr("no audit public key to check checkpoint "
                               "signatures with"));
  EXPECT_EQ(r.out, "");
  r = Secretctl({"audit", "verify", "--skip-signatures", logs_.host_a});
  EXPECT_EQ(r.exit_code, 0);
  EXPECT_THAT(r.out, HasSubstr("OK (hash chains only)"));
  EXPECT_THAT(r.out, HasSubstr("checkpoint signatures NOT checked"));
}

TEST_F(AuditCliTest, UsageErrorsExitTwo) {
  EXPECT_EQ(Secretctl({"audit", "verify"}).exit_code, 2);
  EXPECT_EQ(Secretctl({"audit", "verify", "--skip-signatures", "--format",
                       "xml", logs_.host_a})
                .exit_code,
            2);
  EXPECT_EQ(Secretctl({"audit", "verify", "--skip-signatures",
                       "--audit-public-key", logs_.key_file, logs_.host_a})
                .exit_code,
            2);
  ProcessResult twice = Secretctl(
      {"audit", "verify", "--skip-signatures", logs_.host_a, logs_.host_a});
  EXPECT_EQ(twice.exit_code, 2);
  EXPECT_THAT(twice.err, HasSubstr("is named twice"));
  EXPECT_EQ(Secretctl({"audit", "verify", "--audit-public-key",
                       logs_.dir + "/none.pub", logs_.host_a})
                .exit_code,
            2);
  EXPECT_EQ(Secretctl({"audit", "query", logs_.host_a, "--since", "yesterday"})
                .exit_code,
            2);
  EXPECT_EQ(Secretctl({"audit", "query", logs_.host_a, "--decision", "maybe"})
                .exit_code,
            2);
  EXPECT_EQ(Secretctl({"audit", "query", logs_.host_a, "--who-received", "x",
                       "--secret", "y"})
                .exit_code,
            2);
  EXPECT_EQ(Secretctl({"audit", "query", logs_.host_a, "--skip-signatures"})
                .exit_code,
            2);
  ProcessResult typo =
      Secretctl({"audit", "query", logs_.host_a, "--subjet", "x"});
  EXPECT_EQ(typo.exit_code, 2);
  EXPECT_THAT(typo.err, HasSubstr("did you mean --subject?"));
}

TEST_F(AuditCliTest, MissingLogFileFailsVerification) {
  ProcessResult r = Verify({logs_.host_a, logs_.dir + "/gone.jsonl"});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_THAT(r.out, HasSubstr("gone.jsonl: cannot be read"));
}

TEST_F(AuditCliTest, DuplicateReplicaFailsVerification) {
  const std::string copy = logs_.dir + "/copy.jsonl";
  WriteLines(copy, A());
  ProcessResult r = Verify({logs_.host_a, copy});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_THAT(r.out, HasSubstr("are identical copies of the log of replica "
                               "\"host-a\""));
}

// --- query ------------------------------------------------------------------

TEST_F(AuditCliTest, WhoReceivedAnswersWhichInstancesWhenAndWhichVersion) {
  ProcessResult r = Secretctl({"audit", "query", logs_.host_a, logs_.host_b,
                               "--who-received", "app/db/password"});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_THAT(r.out, HasSubstr("2025-11-26T05:41:45.000Z  app/db/password  7 "
                               "       i-aaa    web   host-a   req-1\n"));
  EXPECT_THAT(r.out, HasSubstr("3 releases of 1 secret to 2 instances in 3 "
                               "requests"));
  EXPECT_THAT(r.out, HasSubstr(absl::StrCat(
                         "2 matching requests were denied; list them with: "
                         "secretctl audit query ",
                         logs_.host_a, " ", logs_.host_b,
                         " --secret app/db/password --decision deny")));
}

TEST_F(AuditCliTest, ReceivedByAsJsonListsEachRelease) {
  ProcessResult r = Secretctl({"audit", "query", logs_.host_a, logs_.host_b,
                               "--received-by", "i-aaa", "--format", "json"});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  std::vector<std::string> lines =
      absl::StrSplit(r.out, '\n', absl::SkipEmpty());
  ASSERT_EQ(lines.size(), 3u) << r.out;
  std::vector<std::string> got;
  for (const auto& l : lines) {
    nlohmann::json j = nlohmann::json::parse(l);
    got.push_back(absl::StrCat(j["request_id"].get<std::string>(), " ",
                               j["secret"].get<std::string>(), "@",
                               j["version"].get<int>()));
  }
  EXPECT_THAT(got, ::testing::ElementsAre("req-1 app/db/password@7",
                                          "req-1 app/tls/cert@3",
                                          "req-6 app/db/password@8"));
}

TEST_F(AuditCliTest, QueryWithVerifyRefusesATamperedLog) {
  std::vector<std::string> a = A();
  a.erase(a.begin() + 1);
  SetA(a);
  ProcessResult r =
      Secretctl({"audit", "query", "--verify", "--audit-public-key",
                 logs_.key_file, logs_.host_a, "--decision", "allow"});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_EQ(r.out, "");
  EXPECT_THAT(r.err, HasSubstr("the logs failed verification, so nothing was "
                               "queried"));
  // Without --verify the query runs.
  r = Secretctl({"audit", "query", logs_.host_a, "--decision", "allow"});
  EXPECT_EQ(r.exit_code, 0);
  EXPECT_THAT(r.out, HasSubstr("req-3"));
}

TEST_F(AuditCliTest, HelpShowsExamples) {
  ProcessResult r = Secretctl({"audit", "query", "--help"});
  EXPECT_EQ(r.exit_code, 0);
  EXPECT_THAT(r.out, HasSubstr("--who-received NAME"));
  EXPECT_THAT(r.out, HasSubstr("Examples:"));
  r = Secretctl({"help", "audit"});
  EXPECT_EQ(r.exit_code, 0);
  EXPECT_THAT(r.out, HasSubstr("audit verify FILE..."));
  EXPECT_THAT(r.out, Not(HasSubstr("error")));
}

}  // namespace
}  // namespace secretctl::testing
