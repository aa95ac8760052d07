// `secretctl audit report --html` opened in headless Chromium (Debian's
// `chromium`, installed by tools/setup): the page renders, its script runs,
// the charts carry the logs' data, and a screenshot is produced (kept in
// the test's undeclared outputs: bazel-testlogs/tests/e2e/audit/
// audit_report_chromium_test/test.outputs/report.png).
//
// Chromium runs as in CI: --headless --no-sandbox (root) with a throwaway
// profile, no GPU, no network services; the page's Content-Security-Policy
// forbids any fetch anyway.
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "common/testing/subprocess.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "secretctl/audit/testing/known_logs.h"
#include "secretd/audit/testing/log_generator.h"
#include "secretd/audit/testing/test_signer.h"

namespace secretctl::testing {
namespace {

using ::common::testing::ProcessResult;
using ::common::testing::RunProcess;
using ::testing::HasSubstr;
using ::testing::Not;

std::string ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

size_t Count(absl::string_view s, absl::string_view needle) {
  size_t n = 0;
  for (size_t p = s.find(needle); p != absl::string_view::npos;
       p = s.find(needle, p + 1)) {
    ++n;
  }
  return n;
}

// The integers that follow every occurrence of `attr` (e.g.
// "data-allowed=\"").
std::vector<uint64_t> Numbers(absl::string_view s, absl::string_view attr) {
  std::vector<uint64_t> out;
  for (size_t p = s.find(attr); p != absl::string_view::npos;
       p = s.find(attr, p + 1)) {
    const size_t start = p + attr.size();
    const size_t end = s.find('"', start);
    uint64_t v = 0;
    if (end != absl::string_view::npos &&
        absl::SimpleAtoi(s.substr(start, end - start), &v)) {
      out.push_back(v);
    }
  }
  return out;
}

// The text of the element whose opening tag contains `marker`, up to the
// next `close`.
std::string Section(absl::string_view s, absl::string_view marker,
                    absl::string_view close) {
  const size_t start = s.find(marker);
  if (start == absl::string_view::npos) return "";
  const size_t end = s.find(close, start);
  return std::string(s.substr(start, end == absl::string_view::npos
                                         ? absl::string_view::npos
                                         : end - start));
}

// The number on the totals card `id` ("12,345" -> 12345); 0 if absent.
uint64_t CardValue(absl::string_view dom, absl::string_view id) {
  const std::string card =
      Section(dom, absl::StrCat("id=\"", id, "\""), "</div></div>");
  const std::string kValue = "class=\"value\">";
  const size_t p = card.find(kValue);
  if (p == std::string::npos) return 0;
  uint64_t v = 0;
  for (size_t i = p + kValue.size(); i < card.size() && card[i] != '<'; ++i) {
    if (card[i] >= '0' && card[i] <= '9') v = v * 10 + (card[i] - '0');
  }
  return v;
}

std::string Chromium() {
  const char* env = getenv("SECRETD_CHROMIUM");
  return env != nullptr ? env : "/usr/bin/chromium";
}

class AuditReportChromiumTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (access(Chromium().c_str(), X_OK) != 0) {
      GTEST_FAIL() << Chromium()
                   << " is not installed: run \"apt-get install -y chromium\" "
                      "(tools/setup lists it) or set SECRETD_CHROMIUM";
    }
    tmp_ = getenv("TEST_TMPDIR");
    auto k = WriteKnownLogs(tmp_ + "/logs", signer_);
    ASSERT_TRUE(k.ok()) << k.status();
    logs_ = *k;
    // A busier third replica: four hours of traffic, one request every 5 s.
    secretd::audit::testing::GenerateLogOptions o;
    o.path = logs_.dir + "/audit-host-c.jsonl";
    o.replica = "host-c";
    o.start = kStart;
    o.step = absl::Seconds(5);
    o.target_bytes = 2800 * 1000;  // about 2,900 records
    ASSERT_TRUE(secretd::audit::testing::GenerateLog(o, signer_).ok());
    host_c_ = o.path;
  }

  ProcessResult Browser(std::vector<std::string> args) {
    std::vector<std::string> argv = {
        Chromium(), "--headless", "--no-sandbox", "--disable-gpu",
        "--disable-quic", "--no-first-run", "--disable-background-networking",
        "--disable-component-update", "--disable-sync",
        "--disable-dev-shm-usage",
        // Console messages (CSP violations among them) on stderr.
        "--enable-logging=stderr", "--v=0",
        absl::StrCat("--user-data-dir=", tmp_, "/chromium-profile")};
    argv.insert(argv.end(), args.begin(), args.end());
    return RunProcess(
        argv, "",
        {"HOME=" + tmp_, "XDG_CONFIG_HOME=" + tmp_ + "/xdg-config",
         "XDG_CACHE_HOME=" + tmp_ + "/xdg-cache"});
  }

  secretd::audit::testing::TestSigner signer_;
  std::string tmp_;
  KnownLogs logs_;
  std::string host_c_;
};

TEST_F(AuditReportChromiumTest, ReportRendersWithChartsAndAScreenshot) {
  const std::string html = tmp_ + "/report.html";
  ProcessResult report = RunProcess(
      {"secretctl/secretctl", "audit", "report", "--audit-public-key",
       logs_.key_file, logs_.host_a, logs_.host_b, host_c_, "--html", html});
  ASSERT_EQ(report.exit_code, 0) << report.out << report.err;
  EXPECT_THAT(report.out, HasSubstr(absl::StrCat("wrote ", html)));
  const std::string source = ReadFile(html);

  // The CSP allows the page's own style and script by their hashes, and
  // nothing inline besides.
  const std::string csp =
      Section(source, "<meta http-equiv=\"Content-Security-Policy\"", ">");
  EXPECT_THAT(csp, HasSubstr("content=\"default-src 'none'; style-src "
                             "'sha256-"));
  EXPECT_THAT(csp, HasSubstr("; script-src 'sha256-"));
  EXPECT_THAT(source, Not(HasSubstr("unsafe-inline")));
  EXPECT_THAT(source, Not(HasSubstr("unsafe-hashes")));

  // The DOM after the page's script ran: the script's hash matched, and so
  // did the stylesheet's (the script saw the page's colours).
  ProcessResult dom = Browser({"--dump-dom", "file://" + html});
  ASSERT_EQ(dom.exit_code, 0) << dom.err;
  const std::string& d = dom.out;
  ASSERT_THAT(d, HasSubstr("<body data-styled=\"1\" data-ready=\"1\">"))
      << "the page's script did not run to its end, or its style did not "
         "apply:\n"
      << dom.err;
  // Chromium logs every CSP violation to the console (stderr here).
  EXPECT_THAT(dom.err, Not(HasSubstr("Content Security Policy")));
  EXPECT_THAT(d, HasSubstr("id=\"tip\""));  // made by the script
  EXPECT_THAT(d, HasSubstr("title=\"your local time: "));

  // Verification first, then the totals.
  EXPECT_THAT(d, HasSubstr("class=\"banner good\" data-ok=\"true\""));
  EXPECT_THAT(d, HasSubstr("3 logs"));

  // The time chart: one group per bucket, as many as the page was written
  // with, each carrying its counts; together they are the totals.
  const std::string chart = Section(d, "<svg id=\"timeline\"", "</svg>");
  ASSERT_FALSE(chart.empty());
  const size_t buckets = Count(chart, "<g class=\"bucket\"");
  EXPECT_EQ(buckets, Count(source, "<g class=\"bucket\""));
  EXPECT_GE(buckets, 40u);  // four hours at 5 minutes a bar
  EXPECT_LE(buckets, 60u);
  EXPECT_EQ(Count(chart, "class=\"bar-allow\""), buckets);
  EXPECT_EQ(Count(chart, "class=\"bar-deny\""), buckets);
  uint64_t allowed = 0, denied = 0;
  for (uint64_t v : Numbers(chart, "data-allowed=\"")) allowed += v;
  for (uint64_t v : Numbers(chart, "data-denied=\"")) denied += v;
  EXPECT_GT(allowed, 2000u);
  EXPECT_GT(denied, 100u);
  EXPECT_EQ(CardValue(d, "total-allowed"), allowed);
  EXPECT_EQ(CardValue(d, "total-denied"), denied);
  EXPECT_EQ(CardValue(d, "total-requests"), allowed + denied);
  EXPECT_GE(Count(chart, "class=\"xlabel\""), 3u);
  EXPECT_THAT(chart, HasSubstr(">Nov 26 05:40</text>"));

  // Ranked lists with their labels, largest first.
  const std::string secrets = Section(d, "id=\"secrets\"", "</ol>");
  EXPECT_EQ(Count(secrets, "<li "), 7u);  // 7 distinct secrets were released
  EXPECT_THAT(secrets, HasSubstr("data-label=\"app/db/password\""));
  std::vector<uint64_t> releases = Numbers(secrets, "data-value=\"");
  ASSERT_EQ(releases.size(), 7u);
  EXPECT_TRUE(std::is_sorted(releases.rbegin(), releases.rend()));
  const std::string reasons = Section(d, "id=\"deny-reasons\"", "</ol>");
  EXPECT_GE(Count(reasons, "<li "), 5u);
  EXPECT_THAT(reasons, HasSubstr("data-label=\"token.expired\""));
  EXPECT_THAT(reasons, HasSubstr("data-label=\"permission.implicit_deny\""));
  const std::string roles = Section(d, "id=\"roles\"", "</ol>");
  EXPECT_EQ(Count(roles, "<li "), 5u);
  EXPECT_THAT(roles, HasSubstr("data-label=\"web\""));
  // The tables.
  EXPECT_EQ(Count(Section(d, "id=\"files\"", "</table>"), "<tr>"), 4u);
  EXPECT_THAT(Section(d, "id=\"admin\"", "</table>"),
              HasSubstr("app/db/password@8"));

  // A screenshot of the whole report.
  const char* outputs = getenv("TEST_UNDECLARED_OUTPUTS_DIR");
  const std::string png =
      absl::StrCat(outputs != nullptr ? outputs : tmp_, "/report.png");
  ProcessResult shot = Browser({"--window-size=1280,2600", "--hide-scrollbars",
                                "--screenshot=" + png, "file://" + html});
  ASSERT_EQ(shot.exit_code, 0) << shot.err;
  const std::string image = ReadFile(png);
  ASSERT_GT(image.size(), 20000u) << "screenshot too small to show a page";
  EXPECT_EQ(image.substr(0, 8), "\x89PNG\r\n\x1a\n");
}

TEST_F(AuditReportChromiumTest, TamperedLogsRenderARedBanner) {
  std::vector<std::string> a = ReadLines(logs_.host_a);
  a.erase(a.begin() + 1);
  WriteLines(logs_.host_a, a);
  const std::string html = tmp_ + "/tampered.html";
  ProcessResult report = RunProcess(
      {"secretctl/secretctl", "audit", "report", "--audit-public-key",
       logs_.key_file, logs_.host_a, logs_.host_b, "--html", html});
  EXPECT_EQ(report.exit_code, 1);
  EXPECT_THAT(report.err, HasSubstr("the logs failed verification"));
  ProcessResult dom = Browser({"--dump-dom", "file://" + html});
  ASSERT_EQ(dom.exit_code, 0) << dom.err;
  EXPECT_THAT(dom.out, HasSubstr("<body data-styled=\"1\" data-ready=\"1\">"));
  EXPECT_THAT(dom.err, Not(HasSubstr("Content Security Policy")));
  EXPECT_THAT(dom.out, HasSubstr("class=\"banner bad\" data-ok=\"false\""));
  EXPECT_THAT(dom.out,
              HasSubstr(absl::StrCat(logs_.host_a, ":2: deleted records")));
}

}  // namespace
}  // namespace secretctl::testing
