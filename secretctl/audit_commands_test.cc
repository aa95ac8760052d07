#include "secretctl/audit_commands.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdio>
#include <fstream>
#include <iterator>
#include <sstream>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "absl/strings/str_split.h"
#include "common/testing/fake_clock.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "secretctl/audit/testing/known_logs.h"
#include "secretd/audit/record.h"
#include "secretd/audit/testing/log_generator.h"
#include "secretd/audit/testing/test_signer.h"

namespace secretctl {
namespace {

using ::secretctl::testing::kStart;
using ::testing::EndsWith;
using ::testing::HasSubstr;
using ::testing::Not;

class AuditCommandsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto k = testing::WriteKnownLogsForTest(signer_);
    ASSERT_TRUE(k.ok()) << k.status();
    logs_ = *k;
    program_.name = "secretctl";
    program_.global_flags = {{"data-dir", "DIR", "data directory"}};
    AuditCommandHooks hooks;
    hooks.after_verify = [this] {
      if (between_passes_) between_passes_();
    };
    program_.commands = AuditCommands(clock_, hooks);
  }

  int Run(std::vector<std::string> args) {
    args.insert(args.begin(), "secretctl");
    std::ostringstream out, err;
    const int rc = common::cli::Run(program_, args, out, err);
    out_ = out.str();
    err_ = err.str();
    return rc;
  }

  // The refusal of `command` ("report", "query") for a log that changed
  // between verification and reading.
  std::string Changed(absl::string_view command, const std::string& log) {
    return absl::StrCat("secretctl audit ", command, ": audit log \"", log,
                        "\" changed while it was being read; nothing was "
                        "reported: run the command again (on a copy of the "
                        "logs, if they keep changing)\n");
  }

  // Runs a report of both known logs (between_passes_ runs between
  // verification and reading) and expects it refused because host-a
  // changed, with nothing written.
  void ExpectReportRefused() {
    const std::string out = logs_.dir + "/r.html";
    EXPECT_EQ(Run({"audit", "report", "--audit-public-key", logs_.key_file,
                   logs_.host_a, logs_.host_b, "--html", out}),
              1);
    EXPECT_EQ(err_, Changed("report", logs_.host_a));
    EXPECT_EQ(out_, "");
    struct stat st;
    EXPECT_NE(stat(out.c_str(), &st), 0) << "a report was written";
  }

  std::string ReadFile(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    return std::string((std::istreambuf_iterator<char>(in)),
                       std::istreambuf_iterator<char>());
  }

  secretd::audit::testing::TestSigner signer_;
  common::testing::FakeClock clock_{kStart + absl::Seconds(60)};
  testing::KnownLogs logs_;
  common::cli::Program program_;
  std::string out_, err_;
  // Runs between verification and the second read of query --verify and
  // report.
  std::function<void()> between_passes_;
};

TEST_F(AuditCommandsTest, ReportIsPrivateAndNeverFollowsALink) {
  // Links planted at the report's name and at the temporary name the old
  // writer used ("OUT.tmp"): neither target may be written.
  const std::string out = logs_.dir + "/r.html";
  const std::string victim = logs_.dir + "/victim";
  const std::string victim_tmp = logs_.dir + "/victim-tmp";
  std::ofstream(victim) << "keep";
  std::ofstream(victim_tmp) << "keep too";
  ASSERT_EQ(symlink(victim.c_str(), out.c_str()), 0);
  ASSERT_EQ(symlink(victim_tmp.c_str(), (out + ".tmp").c_str()), 0);
  ASSERT_EQ(Run({"audit", "report", "--audit-public-key", logs_.key_file,
                 logs_.host_a, "--html", out}),
            0)
      << err_;
  EXPECT_EQ(ReadFile(victim), "keep");
  EXPECT_EQ(ReadFile(victim_tmp), "keep too");
  struct stat st;
  ASSERT_EQ(lstat(out.c_str(), &st), 0);
  EXPECT_TRUE(S_ISREG(st.st_mode));
  EXPECT_EQ(st.st_mode & 07777, 0600u);
  EXPECT_THAT(ReadFile(out), HasSubstr("<!DOCTYPE html>"));
  // The planted link is left alone, and no temporary file is left behind.
  ASSERT_EQ(lstat((out + ".tmp").c_str(), &st), 0);
  EXPECT_TRUE(S_ISLNK(st.st_mode));
}

// What someone who can write the logs could do between verification and
// reading. host-a's line 6 is req-4, the denial of i-ccc.

// Renames a forged copy of `path` (i-ccc made i-eve) into its place.
void SwapInForgedCopy(const std::string& path) {
  std::vector<std::string> lines = testing::ReadLines(path);
  for (std::string& line : lines) {
    line = absl::StrReplaceAll(line, {{"\"i-ccc\"", "\"i-eve\""}});
  }
  const std::string forged = path + ".forged";
  testing::WriteLines(forged, lines);
  ASSERT_EQ(std::rename(forged.c_str(), path.c_str()), 0);
}

// Overwrites "i-ccc" with "i-eve" in the file itself (same inode, same
// size).
void RewriteInPlace(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  const std::string data((std::istreambuf_iterator<char>(in)),
                         std::istreambuf_iterator<char>());
  const size_t at = data.find("\"i-ccc\"");
  ASSERT_NE(at, std::string::npos);
  const int fd = open(path.c_str(), O_WRONLY);
  ASSERT_GE(fd, 0);
  ASSERT_EQ(pwrite(fd, "\"i-eve\"", 7, static_cast<off_t>(at)), 7);
  close(fd);
}

// Appends a well-formed, correctly chained (unsigned) denial of i-eve.
void AppendRecord(const std::string& path) {
  const std::vector<std::string> lines = testing::ReadLines(path);
  secretd::audit::testing::ProvisionSpec p;
  p.request_id = "req-evil";
  p.decision = "deny";
  p.reason = "permission.implicit_deny";
  p.subject = "i-eve";
  p.role = "web";
  p.denied = {"app/db/password"};
  const std::string line = secretd::audit::SerializeLine(
      secretd::audit::testing::MakeProvisionRecord(p), lines.size() + 1,
      kStart + absl::Seconds(50), "host-a",
      secretd::audit::ComputeSha256(lines.back()));
  std::ofstream out(path, std::ios::binary | std::ios::app);
  out << line;
}

TEST_F(AuditCommandsTest, RelativeTimesCountBackFromTheClock) {
  // now = start + 60 s; "30s" = start + 30 s: req-3, req-6, req-4.
  ASSERT_EQ(
      Run({"audit", "query", logs_.host_a, logs_.host_b, "--since", "30s"}), 0)
      << err_;
  EXPECT_THAT(out_, HasSubstr("req-3"));
  EXPECT_THAT(out_, HasSubstr("req-6"));
  EXPECT_THAT(out_, HasSubstr("req-4"));
  EXPECT_THAT(out_, Not(HasSubstr("req-2")));
  ASSERT_EQ(Run({"audit", "query", logs_.host_a, "--until", "55s"}),
            0);  // before start + 5 s
  EXPECT_THAT(out_, HasSubstr("req-1"));
  EXPECT_THAT(out_, Not(HasSubstr("req-2")));
}

TEST_F(AuditCommandsTest, SinceAfterUntilIsAUsageError) {
  EXPECT_EQ(
      Run({"audit", "query", logs_.host_a, "--since", "now", "--until", "1h"}),
      2);
  EXPECT_THAT(err_, HasSubstr("--since must be before --until"));
}

TEST_F(AuditCommandsTest, BadTimeNamesTheFlagAndTheForms) {
  EXPECT_EQ(Run({"audit", "query", logs_.host_a, "--until", "soon"}), 2);
  EXPECT_THAT(err_, HasSubstr("--until \"soon\" is not a time; use RFC 3339"));
}

TEST_F(AuditCommandsTest, ReleaseQueriesRefuseDecisionFilters) {
  EXPECT_EQ(Run({"audit", "query", logs_.host_a, "--received-by", "i-aaa",
                 "--decision", "deny"}),
            2);
  EXPECT_THAT(err_, HasSubstr("list releases (allowed requests)"));
  EXPECT_EQ(Run({"audit", "query", logs_.host_a, "--received-by", "i-aaa",
                 "--subject", "i-bbb"}),
            2);
}

TEST_F(AuditCommandsTest, DeniedHintQuotesShellWords) {
  ASSERT_EQ(Run({"audit", "query", logs_.host_a, "--who-received", "app/*",
                 "--since", "2025-11-26"}),
            0)
      << err_;
  EXPECT_THAT(out_, HasSubstr(absl::StrCat(
                        "list them with: secretctl audit query ", logs_.host_a,
                        " --secret 'app/*' --since 2025-11-26 "
                        "--decision deny")));
}

TEST_F(AuditCommandsTest, ReportRefusesToOverwriteALog) {
  EXPECT_EQ(Run({"audit", "report", "--skip-signatures", logs_.host_a, "--html",
                 logs_.host_a}),
            2);
  EXPECT_THAT(err_, HasSubstr("is one of the logs"));
  EXPECT_EQ(Run({"audit", "report", "--skip-signatures", logs_.host_a}), 2);
  EXPECT_THAT(err_, HasSubstr("missing required flag --html"));
}

TEST_F(AuditCommandsTest, ReportIsWrittenWithTheClocksDate) {
  const std::string out = logs_.dir + "/r.html";
  ASSERT_EQ(Run({"audit", "report", "--audit-public-key", logs_.key_file,
                 logs_.host_a, logs_.host_b, "--html", out, "--title",
                 "Q4 <review>"}),
            0)
      << err_;
  EXPECT_EQ(out_, absl::StrCat("wrote ", out,
                               ": 6 provision requests (2 denied) and 1 admin "
                               "changes from 2 logs\n"));
  std::ifstream in(out);
  std::string html((std::istreambuf_iterator<char>(in)),
                   std::istreambuf_iterator<char>());
  EXPECT_THAT(html, HasSubstr("<title>Q4 &lt;review&gt;</title>"));
  EXPECT_THAT(html, HasSubstr("generated 2025-11-26 05:42 UTC"));
}

// The report reads the file it verified, never one renamed into its place;
// and since the log's name now names another file, it refuses.
TEST_F(AuditCommandsTest, ReportRefusesALogReplacedAfterVerification) {
  between_passes_ = [&] { SwapInForgedCopy(logs_.host_a); };
  ExpectReportRefused();
}

TEST_F(AuditCommandsTest, ReportRefusesALogRewrittenInPlaceAfterVerification) {
  between_passes_ = [&] { RewriteInPlace(logs_.host_a); };
  ExpectReportRefused();
}

TEST_F(AuditCommandsTest, ReportLeavesOutRecordsAppendedAfterVerification) {
  between_passes_ = [&] { AppendRecord(logs_.host_a); };
  const std::string out = logs_.dir + "/r.html";
  ASSERT_EQ(Run({"audit", "report", "--audit-public-key", logs_.key_file,
                 logs_.host_a, logs_.host_b, "--html", out}),
            0)
      << err_;
  EXPECT_EQ(out_, absl::StrCat("wrote ", out,
                               ": 6 provision requests (2 denied) and 1 admin "
                               "changes from 2 logs\n"));
  EXPECT_THAT(ReadFile(out), Not(HasSubstr("i-eve")));
}

TEST_F(AuditCommandsTest, ReportRefusesALogRewrittenAndGrownAfterVerification) {
  between_passes_ = [&] {
    RewriteInPlace(logs_.host_a);
    AppendRecord(logs_.host_a);
  };
  ExpectReportRefused();
}

TEST_F(AuditCommandsTest, QueryWithVerifyRefusesALogReplacedAfterIt) {
  between_passes_ = [&] { SwapInForgedCopy(logs_.host_a); };
  EXPECT_EQ(
      Run({"audit", "query", "--verify", "--audit-public-key", logs_.key_file,
           logs_.host_a, "--decision", "deny", "--format", "json"}),
      1);
  EXPECT_EQ(out_, "");
  EXPECT_EQ(err_, Changed("query", logs_.host_a));
}

TEST_F(AuditCommandsTest, QueryWithVerifyRefusesALogRewrittenInPlace) {
  between_passes_ = [&] { RewriteInPlace(logs_.host_a); };
  EXPECT_EQ(Run({"audit", "query", "--verify", "--audit-public-key",
                 logs_.key_file, logs_.host_a, logs_.host_b}),
            1);
  EXPECT_EQ(out_, "");
  EXPECT_EQ(err_, Changed("query", logs_.host_a));
}

TEST_F(AuditCommandsTest, QueryWithVerifyLeavesOutRecordsAppendedAfterIt) {
  between_passes_ = [&] { AppendRecord(logs_.host_a); };
  ASSERT_EQ(Run({"audit", "query", "--verify", "--audit-public-key",
                 logs_.key_file, logs_.host_a, "--decision", "deny"}),
            0)
      << err_;
  EXPECT_THAT(out_, HasSubstr("req-4"));
  EXPECT_THAT(out_, Not(HasSubstr("req-evil")));
}

// host-a without its shutdown checkpoint: req-3 and req-4 (lines 5 and 6)
// come after its last checkpoint (line 4) and are not signed.
class UnsignedTailTest : public AuditCommandsTest {
 protected:
  void SetUp() override {
    AuditCommandsTest::SetUp();
    std::vector<std::string> a = testing::ReadLines(logs_.host_a);
    a.pop_back();
    testing::WriteLines(logs_.host_a, a);
  }
};

TEST_F(UnsignedTailTest, QueryTablesMarkUnsignedRecords) {
  ASSERT_EQ(Run({"audit", "query", "--verify", "--audit-public-key",
                 logs_.key_file, logs_.host_a, logs_.host_b}),
            0)
      << err_;
  EXPECT_EQ(
      out_,
      "TIME                      REPLICA  EVENT       SUBJECT  ROLE    REASON  "
      " "
      "                 REQUEST  SIGNED  DETAILS\n"
      "2025-11-26T05:41:45.000Z  host-a   allow       i-aaa    web     ok      "
      " "
      "                 req-1    yes     app/db/password@7, app/tls/cert@3\n"
      "2025-11-26T05:41:50.000Z  host-b   allow       i-ddd    worker  ok      "
      " "
      "                 req-5    yes     queue/token@2\n"
      "2025-11-26T05:41:55.000Z  host-a   deny        -        web     "
      "token.expired             req-2    yes     requested: app/db/password\n"
      "2025-11-26T05:42:05.000Z  host-a   secret.put  uid 0    -       OK      "
      " "
      "                 adm-1    yes     app/db/password@8\n"
      "2025-11-26T05:42:15.000Z  host-a   allow       i-bbb    web     ok      "
      " "
      "                 req-3    no      app/db/password@8\n"
      "2025-11-26T05:42:20.000Z  host-b   allow       i-aaa    web     ok      "
      " "
      "                 req-6    yes     app/db/password@8\n"
      "2025-11-26T05:42:25.000Z  host-a   deny        i-ccc    worker  "
      "permission.implicit_deny  req-4    no      denied: app/db/password\n"
      "\n"
      "2 records (SIGNED no) are after their log's last checkpoint and not "
      "signed yet: a running broker, a crash, or lines added by someone who "
      "can write the logs\n");
  EXPECT_EQ(err_, "");
}

TEST_F(UnsignedTailTest, QueryReleaseTablesMarkUnsignedReleases) {
  ASSERT_EQ(
      Run({"audit", "query", "--verify", "--audit-public-key", logs_.key_file,
           logs_.host_a, logs_.host_b, "--who-received", "app/db/password"}),
      0)
      << err_;
  EXPECT_EQ(out_,
            absl::StrCat(
                "TIME                      SECRET           VERSION  SUBJECT  "
                "ROLE  REPLICA  REQUEST  SIGNED\n"
                "2025-11-26T05:41:45.000Z  app/db/password  7        i-aaa    "
                "web   host-a   req-1    yes\n"
                "2025-11-26T05:42:15.000Z  app/db/password  8        i-bbb    "
                "web   host-a   req-3    no\n"
                "2025-11-26T05:42:20.000Z  app/db/password  8        i-aaa    "
                "web   host-b   req-6    yes\n"
                "\n"
                "3 releases of 1 secret to 2 instances in 3 requests, "
                "2025-11-26T05:41:45.000Z to 2025-11-26T05:42:20.000Z\n"
                "  app/db/password: versions 7 (1 release), 8 (2 releases)\n"
                "2 matching requests were denied; list them with: secretctl "
                "audit query ",
                logs_.host_a, " ", logs_.host_b,
                " --secret app/db/password --decision deny\n"
                "\n"
                "1 release (SIGNED no) is after its log's last checkpoint and "
                "not signed yet: a running broker, a crash, or lines added by "
                "someone who can write the logs\n"));
}

TEST_F(UnsignedTailTest, QueryJsonMarksUnsignedRecordsAndCanLeaveThemOut) {
  ASSERT_EQ(Run({"audit", "query", "--verify", "--audit-public-key",
                 logs_.key_file, logs_.host_a, "--format", "json"}),
            0)
      << err_;
  const std::vector<std::string> a = testing::ReadLines(logs_.host_a);
  EXPECT_EQ(out_, absl::StrCat(a[0], "\n", a[1], "\n", a[2], "\n", a[4], "\n",
                               a[5], "\n"));
  EXPECT_EQ(err_,
            "note: 2 records are after their log's last checkpoint and not "
            "signed yet: a running broker, a crash, or lines added by someone "
            "who can write the logs; --signed-only leaves them out\n");
  ASSERT_EQ(
      Run({"audit", "query", "--verify", "--audit-public-key", logs_.key_file,
           logs_.host_a, "--format", "json", "--signed-only"}),
      0)
      << err_;
  EXPECT_EQ(out_, absl::StrCat(a[0], "\n", a[1], "\n", a[2], "\n"));
  EXPECT_EQ(err_, "");
  ASSERT_EQ(Run({"audit", "query", "--verify", "--audit-public-key",
                 logs_.key_file, logs_.host_a, "--format", "json",
                 "--who-received", "app/db/password"}),
            0)
      << err_;
  std::vector<std::string> releases =
      absl::StrSplit(out_, '\n', absl::SkipEmpty());
  ASSERT_EQ(releases.size(), 2u);
  EXPECT_THAT(releases[0], HasSubstr("\"request_id\":\"req-1\""));
  EXPECT_THAT(releases[0], EndsWith(",\"line\":1,\"signed\":true}"));
  EXPECT_THAT(releases[1], HasSubstr("\"request_id\":\"req-3\""));
  EXPECT_THAT(releases[1], EndsWith(",\"line\":5,\"signed\":false}"));
  EXPECT_EQ(err_,
            "note: 1 release (\"signed\": false) is after its log's last "
            "checkpoint and not signed yet: a running broker, a crash, or "
            "lines added by someone who can write the logs; --signed-only "
            "leaves them out\n");
}

TEST_F(UnsignedTailTest, SignedOnlyNeedsVerify) {
  EXPECT_EQ(Run({"audit", "query", logs_.host_a, "--signed-only"}), 2);
  EXPECT_THAT(err_, HasSubstr("only apply with --verify"));
}

TEST_F(UnsignedTailTest, ReportCountsAndMarksUnsignedRecords) {
  const std::string out = logs_.dir + "/r.html";
  ASSERT_EQ(Run({"audit", "report", "--audit-public-key", logs_.key_file,
                 logs_.host_a, logs_.host_b, "--html", out}),
            0)
      << err_;
  const std::string html = ReadFile(out);
  EXPECT_THAT(html, HasSubstr("class=\"banner good\""));
  EXPECT_THAT(html, HasSubstr("<span class=\"pill warn\" "
                              "id=\"unsigned-count\">2 unsigned</span>"));
  EXPECT_THAT(html, HasSubstr("id=\"unsigned\" data-unsigned=\"2\">2 records "
                              "come after their log's last checkpoint"));
  // req-4 (unsigned) and req-2 (signed) in the denials.
  const std::string kBadge =
      " <span class=\"pill warn unsigned\" title=\"after its log's last "
      "checkpoint: not signed yet\">unsigned</span>";
  EXPECT_THAT(html, HasSubstr(absl::StrCat(
                        "<time datetime=\"2025-11-26T05:42:25.000Z\">"
                        "2025-11-26 05:42:25</time>",
                        kBadge, "</td><td>i-ccc</td>")));
  EXPECT_THAT(html, HasSubstr("<time datetime=\"2025-11-26T05:41:55.000Z\">"
                              "2025-11-26 05:41:55</time></td>"));
  size_t badges = 0;
  for (size_t p = html.find(kBadge); p != std::string::npos;
       p = html.find(kBadge, p + 1)) {
    ++badges;
  }
  EXPECT_EQ(badges, 1u);  // adm-1 is signed; req-3 is no denial
}

}  // namespace
}  // namespace secretctl
