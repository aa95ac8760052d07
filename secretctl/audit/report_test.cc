#include "secretctl/audit/report.h"

#include <dirent.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "common/testing/status_matchers.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "secretctl/audit/audit_key.h"
#include "secretctl/audit/testing/known_logs.h"
#include "secretd/audit/record.h"
#include "secretd/audit/testing/log_generator.h"

namespace secretctl {
namespace {

using ::common::testing::StatusIs;
using ::secretctl::testing::KnownLogs;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::Not;

size_t Count(absl::string_view haystack, absl::string_view needle) {
  size_t n = 0;
  for (size_t pos = haystack.find(needle); pos != absl::string_view::npos;
       pos = haystack.find(needle, pos + 1)) {
    ++n;
  }
  return n;
}

class ReportTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto k = testing::WriteKnownLogsForTest(signer_);
    ASSERT_OK(k.status());
    logs_ = *k;
    auto key = LoadAuditPublicKey(logs_.key_file);
    ASSERT_OK(key.status());
    key_ = *key;
  }

  std::string Render(const std::vector<std::string>& files,
                     bool with_key = true) {
    VerifyFilesOptions o;
    o.key = with_key ? &key_ : nullptr;
    FilesVerification v = VerifyFiles(files, o);
    auto data = BuildReport(files);
    EXPECT_OK(data.status());
    ReportMeta meta;
    meta.generated_at = absl::FromUnixSeconds(1764200000);
    return RenderReportHtml(*data, v, meta);
  }

  secretd::audit::testing::TestSigner signer_;
  KnownLogs logs_;
  AuditKey key_;
};

TEST_F(ReportTest, DataCountsTheKnownRequests) {
  ASSERT_OK_AND_ASSIGN(ReportData d, BuildReport({logs_.host_a, logs_.host_b}));
  EXPECT_EQ(d.provision, 6u);
  EXPECT_EQ(d.allowed, 4u);
  EXPECT_EQ(d.denied, 2u);
  EXPECT_EQ(d.admin, 1u);
  EXPECT_EQ(d.releases, 5u);
  EXPECT_EQ(d.instances.size(), 4u);  // i-aaa, i-bbb, i-ccc, i-ddd
  EXPECT_EQ(d.deny_reasons.at("token.expired"), 1u);
  EXPECT_EQ(d.deny_reasons.at("permission.implicit_deny"), 1u);
  EXPECT_EQ(d.secrets.at("app/db/password").releases, 3u);
  EXPECT_EQ(d.secrets.at("app/db/password").versions,
            (std::set<int64_t>{7, 8}));
  EXPECT_EQ(d.secrets.at("app/db/password").instances.size(), 2u);
  EXPECT_EQ(d.roles.at("web").instances.size(), 2u);  // i-aaa twice, i-bbb
  EXPECT_EQ(d.roles.at("web").denied, 1u);
  EXPECT_EQ(d.roles.at("worker").instances.size(), 1u);  // i-ddd allowed
  EXPECT_EQ(d.first, testing::kStart);
  EXPECT_EQ(d.last, testing::kStart + absl::Seconds(40));
  ASSERT_EQ(d.recent_denials.size(), 2u);
  EXPECT_EQ(d.recent_denials.back().request_id, "req-4");
  ASSERT_EQ(d.admin_events.size(), 1u);
}

TEST_F(ReportTest, PageIsSelfContainedAndVerifiedAtTheTop) {
  const std::string html = Render({logs_.host_a, logs_.host_b});
  EXPECT_TRUE(absl::StartsWith(html, "<!DOCTYPE html>"));
  // No resource is loaded from anywhere: no src/href, and a CSP that forbids
  // any fetch.
  EXPECT_THAT(html, Not(HasSubstr(" src=")));
  EXPECT_THAT(html, Not(HasSubstr(" href=")));
  EXPECT_THAT(html, HasSubstr("content=\"default-src 'none'; "));
  // The banner comes before the totals.
  const size_t banner = html.find("id=\"verification\" class=\"banner good\"");
  ASSERT_NE(banner, std::string::npos);
  EXPECT_LT(banner, html.find("id=\"totals\""));
  EXPECT_THAT(html, HasSubstr(absl::StrCat("signed by audit key <code>",
                                           logs_.key_id, "</code>")));
  EXPECT_THAT(html, HasSubstr("<div class=\"label\">Denied</div><div "
                              "class=\"value\">2</div>"));
}

// The text between the first `open` and the next `close`.
std::string Between(absl::string_view s, absl::string_view open,
                    absl::string_view close) {
  const size_t start = s.find(open);
  if (start == absl::string_view::npos) return "";
  const size_t end = s.find(close, start + open.size());
  return std::string(s.substr(start + open.size(), end - start - open.size()));
}

std::string Sha256Source(absl::string_view body) {
  const secretd::audit::Sha256 d = secretd::audit::ComputeSha256(body);
  return absl::StrCat("'sha256-",
                      absl::Base64Escape(absl::string_view(
                          reinterpret_cast<const char*>(d.data()), d.size())),
                      "'");
}

TEST_F(ReportTest, CspAllowsOnlyThePagesOwnStyleAndScriptByHash) {
  const std::string html = Render({logs_.host_a, logs_.host_b});
  const std::string csp = Between(
      html, "<meta http-equiv=\"Content-Security-Policy\" content=\"", "\"");
  EXPECT_EQ(csp, ContentSecurityPolicy());
  EXPECT_THAT(csp, Not(HasSubstr("unsafe")));
  const std::string style = Between(html, "<style>", "</style>");
  const std::string script = Between(html, "<script>", "</script>");
  ASSERT_FALSE(style.empty());
  ASSERT_FALSE(script.empty());
  EXPECT_EQ(csp,
            absl::StrCat("default-src 'none'; style-src ", Sha256Source(style),
                         "; script-src ", Sha256Source(script),
                         "; img-src data:; base-uri 'none'; "
                         "form-action 'none'"));
  // One of each, and no inline style attribute (the CSP would block it).
  EXPECT_EQ(Count(html, "<style"), 1u);
  EXPECT_EQ(Count(html, "<script"), 1u);
  EXPECT_THAT(html, Not(HasSubstr(" style=")));
  // Bars are SVG widths.
  EXPECT_THAT(html, HasSubstr("<svg class=\"track\" aria-hidden=\"true\">"
                              "<rect class=\"fill\" width=\"100%\""));
}

TEST_F(ReportTest, ChartHasOneBucketPerMinuteWithTheDecisions) {
  const std::string html = Render({logs_.host_a, logs_.host_b});
  // 40 s span: two 1-minute buckets (05:41 and 05:42).
  EXPECT_THAT(html, HasSubstr("data-bucket-minutes=\"1\""));
  EXPECT_EQ(Count(html, "<g class=\"bucket\""), 2u);
  EXPECT_THAT(html, HasSubstr("data-start=\"2025-11-26T05:41:00Z\" "
                              "data-allowed=\"2\" data-denied=\"1\""));
  EXPECT_THAT(html, HasSubstr("data-start=\"2025-11-26T05:42:00Z\" "
                              "data-allowed=\"2\" data-denied=\"1\""));
  // Ranked lists, most first.
  EXPECT_THAT(html, HasSubstr("<li data-label=\"app/db/password\" "
                              "data-value=\"3\">"));
  EXPECT_LT(html.find("data-label=\"app/db/password\""),
            html.find("data-label=\"app/tls/cert\""));
  EXPECT_THAT(html, HasSubstr("<li data-label=\"web\" data-value=\"2\">"));
}

TEST_F(ReportTest, TamperedLogTurnsTheBannerRed) {
  std::vector<std::string> a = testing::ReadLines(logs_.host_a);
  a.erase(a.begin() + 2);
  testing::WriteLines(logs_.host_a, a);
  const std::string html = Render({logs_.host_a, logs_.host_b});
  EXPECT_THAT(html, HasSubstr("class=\"banner bad\" data-ok=\"false\""));
  EXPECT_THAT(html, HasSubstr(absl::StrCat(logs_.host_a,
                                           ":3: deleted records: line 3 has "
                                           "seq 4 where seq 3 was expected")));
}

TEST_F(ReportTest, LogCutBackToACountCheckpointIsNotClosed) {
  // host-a signs a checkpoint every 3 records: cut it back to the last
  // "count" checkpoint, as an attacker or a crash could.
  std::vector<std::string> a = testing::ReadLines(logs_.host_a);
  while (!a.empty() &&
         a.back().find("\"reason\":\"count\"") == std::string::npos) {
    a.pop_back();
  }
  ASSERT_FALSE(a.empty()) << "host-a has no count checkpoint";
  testing::WriteLines(logs_.host_a, a);
  const std::string html = Render({logs_.host_a, logs_.host_b});
  EXPECT_THAT(html,
              HasSubstr("intact, not closed: ends with a count checkpoint"));
  // The other log ends with its shutdown checkpoint.
  EXPECT_EQ(Count(html, "intact, signed"), 1u);
}

TEST_F(ReportTest, WithoutAKeyTheBannerWarns) {
  const std::string html = Render({logs_.host_a}, /*with_key=*/false);
  EXPECT_THAT(html, HasSubstr("class=\"banner warn\""));
  EXPECT_THAT(html, HasSubstr("signatures not checked"));
}

TEST_F(ReportTest, LogContentIsEscaped) {
  secretd::audit::testing::ProvisionSpec p;
  p.request_id = "<script>alert(1)</script>";
  p.decision = "deny";
  p.reason = "token.<b>bad</b>";
  p.subject = "i-\"><img src=x onerror=alert(1)>";
  p.role = "r'ole";
  p.message = "a & b";
  const std::string path = logs_.dir + "/audit-evil.jsonl";
  testing::WriteLines(
      path,
      {secretd::audit::SerializeLine(
           secretd::audit::testing::MakeProvisionRecord(p), 1, testing::kStart,
           "evil", secretd::audit::GenesisPrev())
           .substr(0)},
      /*final_newline=*/false);
  const std::string html = Render({path}, false);
  EXPECT_THAT(html, Not(HasSubstr("<script>alert")));
  EXPECT_THAT(html, Not(HasSubstr("<img")));
  EXPECT_THAT(html, Not(HasSubstr("<b>bad")));
  EXPECT_THAT(html, HasSubstr("&lt;script&gt;alert(1)&lt;/script&gt;"));
  EXPECT_THAT(html, HasSubstr("i-&quot;&gt;&lt;img src=x"));
  EXPECT_THAT(html, HasSubstr("r&#39;ole"));
  EXPECT_THAT(html, HasSubstr("a &amp; b"));
}

TEST_F(ReportTest, ControlAndBidiCharactersAreShownNotObeyed) {
  secretd::audit::testing::ProvisionSpec p;
  p.request_id = "req-x";
  p.decision = "deny";
  p.reason = "token.expired";
  p.subject =
      "i-\xe2\x80\xae"
      "cba";  // RLO: would show as "i-abc"
  p.message =
      "a\x7f\xc2\x9b"
      "b";  // DEL, C1 CSI
  const std::string path = logs_.dir + "/audit-evil.jsonl";
  std::string line = secretd::audit::SerializeLine(
      secretd::audit::testing::MakeProvisionRecord(p), 1, testing::kStart,
      "evil", secretd::audit::GenesisPrev());
  line.pop_back();
  testing::WriteLines(path, {line});
  const std::string html = Render({path}, false);
  EXPECT_THAT(html, HasSubstr("<td>i-\\u{202E}cba</td>"));
  EXPECT_THAT(html, HasSubstr(">a\\x7f\\u{009B}b</td>"));
  EXPECT_THAT(html, Not(HasSubstr("\xe2\x80\xae")));
}

TEST_F(ReportTest, LongSpansUseCoarserBuckets) {
  secretd::audit::testing::GenerateLogOptions o;
  o.path = logs_.dir + "/audit-big.jsonl";
  o.replica = "big";
  o.target_bytes = 200 << 10;
  o.step = absl::Minutes(7);  // ~200 records over ~1 day
  ASSERT_OK(secretd::audit::testing::GenerateLog(o, signer_).status());
  const std::string html = Render({o.path});
  EXPECT_THAT(html, HasSubstr("data-bucket-minutes=\"30\""));
  const size_t bars = Count(html, "<g class=\"bucket\"");
  EXPECT_GT(bars, 40u);
  EXPECT_LE(bars, 60u);
}

// The names in `dir`, sorted.
std::vector<std::string> Entries(const std::string& dir) {
  std::vector<std::string> names;
  DIR* d = opendir(dir.c_str());
  if (d == nullptr) return names;
  while (dirent* e = readdir(d)) {
    const std::string name = e->d_name;
    if (name != "." && name != "..") names.push_back(name);
  }
  closedir(d);
  std::sort(names.begin(), names.end());
  return names;
}

TEST(WriteReportFileTest, WritesAPrivateFileAtomicallyAndFollowsNoLink) {
  const std::string dir = absl::StrCat(getenv("TEST_TMPDIR"), "/write-report");
  ASSERT_EQ(mkdir(dir.c_str(), 0700), 0);
  const std::string out = dir + "/r.html";
  ASSERT_OK(WriteReportFile(out, "<p>one</p>"));
  struct stat st;
  ASSERT_EQ(lstat(out.c_str(), &st), 0);
  EXPECT_TRUE(S_ISREG(st.st_mode));
  EXPECT_EQ(st.st_mode & 07777, 0600u);
  EXPECT_THAT(Entries(dir), ElementsAre("r.html"));
  // A link at the target is replaced, not followed.
  const std::string victim = dir + "/victim";
  { std::ofstream(victim) << "keep"; }
  ASSERT_EQ(unlink(out.c_str()), 0);
  ASSERT_EQ(symlink(victim.c_str(), out.c_str()), 0);
  ASSERT_OK(WriteReportFile(out, "<p>two</p>"));
  std::ifstream in(victim);
  EXPECT_EQ(std::string(std::istreambuf_iterator<char>(in), {}), "keep");
  ASSERT_EQ(lstat(out.c_str(), &st), 0);
  EXPECT_TRUE(S_ISREG(st.st_mode));
  std::ifstream page(out);
  EXPECT_EQ(std::string(std::istreambuf_iterator<char>(page), {}),
            "<p>two</p>");
  EXPECT_THAT(Entries(dir), ElementsAre("r.html", "victim"));
}

TEST(WriteReportFileTest, MissingDirectoryIsUnavailableAndLeavesNothing) {
  const std::string out =
      absl::StrCat(getenv("TEST_TMPDIR"), "/no-such-dir/r.html");
  EXPECT_THAT(WriteReportFile(out, "x"),
              StatusIs(absl::StatusCode::kUnavailable,
                       absl::StrCat("cannot write \"", out,
                                    "\": cannot create a temporary file "
                                    "beside it: No such file or directory")));
}

TEST(ReportFormatTest, CountsHaveThousandsSeparators) {
  EXPECT_EQ(FormatCount(0), "0");
  EXPECT_EQ(FormatCount(999), "999");
  EXPECT_EQ(FormatCount(1000), "1,000");
  EXPECT_EQ(FormatCount(1234567), "1,234,567");
  EXPECT_EQ(HtmlEscape("<a href='x'>&\"</a>"),
            "&lt;a href=&#39;x&#39;&gt;&amp;&quot;&lt;/a&gt;");
}

}  // namespace
}  // namespace secretctl
