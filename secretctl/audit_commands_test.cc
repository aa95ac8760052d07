#include "secretctl/audit_commands.h"

#include <fstream>
#include <iterator>
#include <sstream>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "common/testing/fake_clock.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "secretctl/audit/testing/known_logs.h"
#include "secretd/audit/testing/test_signer.h"

namespace secretctl {
namespace {

using ::secretctl::testing::kStart;
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
    program_.commands = AuditCommands(clock_);
  }

  int Run(std::vector<std::string> args) {
    args.insert(args.begin(), "secretctl");
    std::ostringstream out, err;
    const int rc = common::cli::Run(program_, args, out, err);
    out_ = out.str();
    err_ = err.str();
    return rc;
  }

  secretd::audit::testing::TestSigner signer_;
  common::testing::FakeClock clock_{kStart + absl::Seconds(60)};
  testing::KnownLogs logs_;
  common::cli::Program program_;
  std::string out_, err_;
};

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

}  // namespace
}  // namespace secretctl
