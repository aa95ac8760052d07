#include "secretctl/audit/query.h"

#include <sstream>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "common/testing/status_matchers.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "nlohmann/json.hpp"
#include "secretctl/audit/testing/known_logs.h"
#include "secretd/audit/record.h"
#include "secretd/audit/testing/log_generator.h"

namespace secretctl {
namespace {

using ::common::testing::StatusIs;
using ::secretctl::testing::KnownLogs;
using ::secretctl::testing::kStart;
using ::testing::ElementsAre;
using ::testing::HasSubstr;

TEST(GlobMatchTest, StarAndQuestionMarkMatchLikeShellPatterns) {
  EXPECT_TRUE(GlobMatch("app/db/password", "app/db/password"));
  EXPECT_FALSE(GlobMatch("app/db/password", "app/db/passwords"));
  EXPECT_TRUE(GlobMatch("app/*", "app/db/password"));  // * crosses "/"
  EXPECT_TRUE(GlobMatch("*", ""));
  EXPECT_TRUE(GlobMatch("a*b*c", "aXbYbZc"));
  EXPECT_FALSE(GlobMatch("a*b*c", "aXbYbZ"));
  EXPECT_TRUE(GlobMatch("i-???", "i-abc"));
  EXPECT_FALSE(GlobMatch("i-???", "i-abcd"));
  EXPECT_FALSE(GlobMatch("App/*", "app/x"));  // case-sensitive
  EXPECT_TRUE(GlobMatch("token.*", "token.expired"));
  EXPECT_FALSE(GlobMatch("", "x"));
}

class QueryTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto k = testing::WriteKnownLogsForTest(signer_);
    ASSERT_OK(k.status());
    logs_ = *k;
  }

  // Runs the query over both logs; returns stdout (stderr in err_).
  std::string Run(QueryOptions q) {
    q.files = {logs_.host_a, logs_.host_b};
    std::ostringstream out, err;
    absl::Status s = RunQuery(q, out, err);
    EXPECT_OK(s);
    err_ = err.str();
    return out.str();
  }

  // The request ids in the rows of a table, in order (every id of the
  // known logs starts with "req-" or "adm-").
  std::vector<std::string> RequestIds(const std::string& table) {
    std::vector<std::string> ids;
    for (absl::string_view cell :
         absl::StrSplit(table, absl::ByAnyChar(" \n"), absl::SkipEmpty())) {
      if (absl::StartsWith(cell, "req-") || absl::StartsWith(cell, "adm-")) {
        ids.emplace_back(cell);
      }
    }
    return ids;
  }

  secretd::audit::testing::TestSigner signer_;
  KnownLogs logs_;
  std::string err_;
};

TEST_F(QueryTest, EveryRecordComesOutInTimeOrderAsATable) {
  EXPECT_EQ(Run({}),
            "TIME                      REPLICA  EVENT       SUBJECT  ROLE    "
            "REASON                    REQUEST  DETAILS\n"
            "2025-11-26T05:41:45.000Z  host-a   allow       i-aaa    web     "
            "ok                        req-1    app/db/password@7, "
            "app/tls/cert@3\n"
            "2025-11-26T05:41:50.000Z  host-b   allow       i-ddd    worker  "
            "ok                        req-5    queue/token@2\n"
            "2025-11-26T05:41:55.000Z  host-a   deny        -        web     "
            "token.expired             req-2    requested: app/db/password\n"
            "2025-11-26T05:42:05.000Z  host-a   secret.put  uid 0    -       "
            "OK                        adm-1    app/db/password@8\n"
            "2025-11-26T05:42:15.000Z  host-a   allow       i-bbb    web     "
            "ok                        req-3    app/db/password@8\n"
            "2025-11-26T05:42:20.000Z  host-b   allow       i-aaa    web     "
            "ok                        req-6    app/db/password@8\n"
            "2025-11-26T05:42:25.000Z  host-a   deny        i-ccc    worker  "
            "permission.implicit_deny  req-4    denied: app/db/password\n");
  EXPECT_EQ(err_, "");
}

TEST_F(QueryTest, FiltersCombine) {
  QueryOptions q;
  q.filter.decision = "deny";
  EXPECT_THAT(RequestIds(Run(q)), ElementsAre("req-2", "req-4"));

  q = {};
  q.filter.subject = "i-aaa";
  EXPECT_THAT(RequestIds(Run(q)), ElementsAre("req-1", "req-6"));

  q = {};
  q.filter.role = "worker";
  q.filter.decision = "allow";
  EXPECT_THAT(RequestIds(Run(q)), ElementsAre("req-5"));

  q = {};
  q.filter.secret = "app/db/password";  // requested, released, denied, put
  EXPECT_THAT(RequestIds(Run(q)), ElementsAre("req-1", "req-2", "adm-1",
                                              "req-3", "req-6", "req-4"));

  q = {};
  q.filter.secret = "app/tls/*";
  EXPECT_THAT(RequestIds(Run(q)), ElementsAre("req-1"));

  q = {};
  q.filter.reason = "token.*";
  EXPECT_THAT(RequestIds(Run(q)), ElementsAre("req-2"));

  q = {};
  q.filter.type = "admin.*";
  EXPECT_THAT(RequestIds(Run(q)), ElementsAre("adm-1"));

  q = {};
  q.filter.request_id = "req-3";
  EXPECT_THAT(RequestIds(Run(q)), ElementsAre("req-3"));

  q = {};
  q.filter.issuer = "https://attest.example";  // req-2's token never verified
  EXPECT_THAT(RequestIds(Run(q)),
              ElementsAre("req-1", "req-5", "req-3", "req-6", "req-4"));
}

TEST_F(QueryTest, SinceIsInclusiveAndUntilExclusive) {
  QueryOptions q;
  q.filter.since = kStart + absl::Seconds(10);
  q.filter.until = kStart + absl::Seconds(35);
  EXPECT_THAT(RequestIds(Run(q)), ElementsAre("req-2", "adm-1", "req-3"));
}

TEST_F(QueryTest, NoMatchSaysSo) {
  QueryOptions q;
  q.filter.subject = "i-zzz";
  EXPECT_EQ(Run(q), "no records match\n");
}

TEST_F(QueryTest, JsonIsTheMatchingLinesVerbatim) {
  QueryOptions q;
  q.json = true;
  q.filter.decision = "deny";
  const std::vector<std::string> a = testing::ReadLines(logs_.host_a);
  EXPECT_EQ(Run(q), absl::StrCat(a[1], "\n", a[5], "\n"));
}

TEST_F(QueryTest, WhoReceivedListsEachReleaseWithItsVersion) {
  QueryOptions q;
  q.view = QueryView::kReleases;
  q.filter.secret = "app/db/password";
  EXPECT_EQ(
      Run(q),
      "TIME                      SECRET           VERSION  SUBJECT  ROLE  "
      "REPLICA  REQUEST\n"
      "2025-11-26T05:41:45.000Z  app/db/password  7        i-aaa    web   "
      "host-a   req-1\n"
      "2025-11-26T05:42:15.000Z  app/db/password  8        i-bbb    web   "
      "host-a   req-3\n"
      "2025-11-26T05:42:20.000Z  app/db/password  8        i-aaa    web   "
      "host-b   req-6\n"
      "\n"
      "3 releases of 1 secret to 2 instances in 3 requests, "
      "2025-11-26T05:41:45.000Z to 2025-11-26T05:42:20.000Z\n"
      "  app/db/password: versions 7 (1 release), 8 (2 releases)\n"
      "2 matching requests were denied\n");
}

TEST_F(QueryTest, ReceivedByListsWhatOneInstanceReceived) {
  QueryOptions q;
  q.view = QueryView::kReleases;
  q.filter.subject = "i-aaa";
  q.denied_hint =
      "secretctl audit query FILE... --subject i-aaa --decision deny";
  EXPECT_EQ(
      Run(q),
      "TIME                      SECRET           VERSION  SUBJECT  ROLE  "
      "REPLICA  REQUEST\n"
      "2025-11-26T05:41:45.000Z  app/db/password  7        i-aaa    web   "
      "host-a   req-1\n"
      "2025-11-26T05:41:45.000Z  app/tls/cert     3        i-aaa    web   "
      "host-a   req-1\n"
      "2025-11-26T05:42:20.000Z  app/db/password  8        i-aaa    web   "
      "host-b   req-6\n"
      "\n"
      "3 releases of 2 secrets to 1 instance in 2 requests, "
      "2025-11-26T05:41:45.000Z to 2025-11-26T05:42:20.000Z\n"
      "  app/db/password: versions 7 (1 release), 8 (1 release)\n"
      "  app/tls/cert: version 3 (1 release)\n");
}

TEST_F(QueryTest, DeniedReleasesPointToTheDenials) {
  QueryOptions q;
  q.view = QueryView::kReleases;
  q.filter.subject = "i-ccc";
  q.denied_hint =
      "secretctl audit query FILE... --subject i-ccc --decision deny";
  EXPECT_EQ(Run(q),
            "\nno releases match\n"
            "1 matching request was denied; list it with: secretctl audit "
            "query FILE... --subject i-ccc --decision deny\n");
}

TEST_F(QueryTest, ReleasesAsJsonAreOneObjectPerRelease) {
  QueryOptions q;
  q.view = QueryView::kReleases;
  q.json = true;
  q.filter.secret = "app/db/password";
  q.filter.since = kStart + absl::Seconds(30);
  std::vector<std::string> lines =
      absl::StrSplit(Run(q), '\n', absl::SkipEmpty());
  ASSERT_EQ(lines.size(), 2u);
  EXPECT_EQ(nlohmann::ordered_json::parse(lines[0]).dump(),
            absl::StrCat("{\"time\":\"2025-11-26T05:42:15.000Z\",\"secret\":"
                         "\"app/db/password\",\"version\":8,\"subject\":"
                         "\"i-bbb\",\"issuer\":\"https://attest.example\","
                         "\"role\":\"web\",\"replica\":\"host-a\",\"seq\":5,"
                         "\"request_id\":\"req-3\",\"file\":\"",
                         logs_.host_a, "\",\"line\":5,\"signed\":null}"));
  EXPECT_EQ(nlohmann::json::parse(lines[1])["request_id"], "req-6");
}

TEST_F(QueryTest, UnreadableLinesAreSkippedWithAWarning) {
  std::vector<std::string> a = testing::ReadLines(logs_.host_a);
  a.insert(a.begin() + 1, "not a record");
  testing::WriteLines(logs_.host_a, a);
  QueryOptions q;
  q.filter.decision = "deny";
  EXPECT_THAT(RequestIds(Run(q)), ElementsAre("req-2", "req-4"));
  EXPECT_EQ(err_, absl::StrCat(logs_.host_a,
                               ":2: skipped, not a readable record: record "
                               "does not start with a positive \"seq\"\n"
                               "1 line was skipped because it is not a "
                               "readable record; run \"secretctl audit "
                               "verify\" on the logs\n"));
}

// True if `text` holds no byte a terminal could act on besides "\n": no
// control, no DEL and no non-ASCII byte (every non-ASCII character of the
// log below is a control or a bidi control).
bool PlainAscii(absl::string_view text) {
  for (char c : text) {
    const unsigned char u = static_cast<unsigned char>(c);
    if ((u < 0x20 && u != '\n') || u >= 0x7f) return false;
  }
  return true;
}

TEST_F(QueryTest, TerminalControlsFromTheLogAreEscapedInEveryFormat) {
  secretd::audit::testing::ProvisionSpec p;
  p.request_id = "req-x";
  p.subject =
      "i-\xe2\x80\xae"
      "cba";  // RLO: shows as "i-abc"
  p.role =
      "w\xc2\x9b"
      "31m";            // C1 CSI, as UTF-8
  p.message = "a\x7f";  // DEL
  p.released = {
      {"app/\xe2\x81\xa6"
       "x",
       1}};  // LRI
  const std::string path = logs_.dir + "/audit-evil.jsonl";
  std::string line = secretd::audit::SerializeLine(
      secretd::audit::testing::MakeProvisionRecord(p), 1, kStart, "evil",
      secretd::audit::GenesisPrev());
  line.pop_back();
  testing::WriteLines(path, {line});

  QueryOptions q;
  q.files = {path};
  std::ostringstream table, err;
  ASSERT_OK(RunQuery(q, table, err));
  EXPECT_TRUE(PlainAscii(table.str())) << table.str();
  EXPECT_THAT(table.str(), HasSubstr("i-\\u{202E}cba"));
  EXPECT_THAT(table.str(), HasSubstr("w\\u{009B}31m"));
  EXPECT_THAT(table.str(), HasSubstr("app/\\u{2066}x@1"));

  q.json = true;
  std::ostringstream records;
  ASSERT_OK(RunQuery(q, records, err));
  EXPECT_TRUE(PlainAscii(records.str())) << records.str();
  EXPECT_THAT(records.str(), HasSubstr("\"subject\":\"i-\\u202ecba\""));
  EXPECT_THAT(records.str(), HasSubstr("\"role\":\"w\\u009b31m\""));
  EXPECT_THAT(records.str(), HasSubstr("\"message\":\"a\\u007f\""));
  // The same JSON value as the line in the log.
  EXPECT_EQ(nlohmann::json::parse(records.str()), nlohmann::json::parse(line));

  q.view = QueryView::kReleases;
  std::ostringstream releases;
  ASSERT_OK(RunQuery(q, releases, err));
  EXPECT_TRUE(PlainAscii(releases.str())) << releases.str();
  EXPECT_THAT(releases.str(),
              HasSubstr("\"secret\":\"app/\\u2066x\",\"version\":1,"
                        "\"subject\":\"i-\\u202ecba\""));
  EXPECT_EQ(err.str(), "");
}

TEST_F(QueryTest, MissingFileIsNotFound) {
  QueryOptions q;
  q.files = {logs_.host_a, logs_.dir + "/none.jsonl"};
  std::ostringstream out, err;
  EXPECT_THAT(RunQuery(q, out, err), StatusIs(absl::StatusCode::kNotFound));
}

}  // namespace
}  // namespace secretctl
