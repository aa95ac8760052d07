#include "bootstrap/http.h"

#include "common/testing/status_matchers.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace bootstrap {
namespace {

using ::common::testing::IsOkAndHolds;
using ::common::testing::StatusIs;
using ::testing::HasSubstr;
using ::testing::Optional;

MATCHER_P2(Response, status, body, "") {
  return arg.status == status && arg.body == body;
}

absl::StatusOr<std::optional<HttpResponse>> Parse(absl::string_view data,
                                                  bool at_eof = false,
                                                  size_t max_body = 100) {
  return ParseHttpResponse(data, at_eof, max_body);
}

TEST(ParseUrlTest, ParsesHostsPortsAndPaths) {
  ASSERT_OK_AND_ASSIGN(Url u, ParseUrl("http://169.254.169.254/token?x=1"));
  EXPECT_EQ(u, (Url{"http", "169.254.169.254", 80, "/token?x=1"}));
  ASSERT_OK_AND_ASSIGN(u, ParseUrl("HTTPS://metadata.internal:8443"));
  EXPECT_EQ(u, (Url{"https", "metadata.internal", 8443, "/"}));
  ASSERT_OK_AND_ASSIGN(u, ParseUrl("http://[fe80::1]:81?q"));
  EXPECT_EQ(u, (Url{"http", "fe80::1", 81, "/?q"}));
}

TEST(ParseUrlTest, RejectsWhatItDoesNotSupport) {
  for (const char* bad :
       {"ftp://x/", "http://", "http://user@host/", "http://h/a#frag",
        "http://h:0/", "http://h:65536/", "http://h:/", "http://[::1/",
        "http://[zz]/", "http://h x/", "http://h_1/", "http://h/\x01"}) {
    EXPECT_THAT(ParseUrl(bad), StatusIs(absl::StatusCode::kInvalidArgument))
        << bad;
  }
}

TEST(WithQueryParametersTest, AppendsPercentEncodedParameters) {
  Url u{"http", "h", 80, "/t"};
  EXPECT_EQ(WithQueryParameters(
                u, {{"nonce", "a-b_c.d~e"}, {"audience", "x y/z&w=1"}})
                .path,
            "/t?nonce=a-b_c.d~e&audience=x%20y%2Fz%26w%3D1");
  u.path = "/t?v=1";
  EXPECT_EQ(WithQueryParameters(u, {{"a", "b"}}).path, "/t?v=1&a=b");
  u.path = "/t?";
  EXPECT_EQ(WithQueryParameters(u, {{"a", "b"}}).path, "/t?a=b");
}

TEST(FormatGetRequestTest, NamesTheHostAndClosesTheConnection) {
  EXPECT_EQ(FormatGetRequest({"http", "fe80::1", 8080, "/t?a=b"},
                             {{"Metadata-Flavor", "secretd"}}),
            "GET /t?a=b HTTP/1.1\r\nHost: [fe80::1]:8080\r\n"
            "Metadata-Flavor: secretd\r\nConnection: close\r\n\r\n");
  EXPECT_EQ(FormatGetRequest({"https", "m", 443, "/"}, {}),
            "GET / HTTP/1.1\r\nHost: m\r\nConnection: close\r\n\r\n");
}

TEST(ParseHttpResponseTest, ContentLengthBody) {
  const std::string r =
      "HTTP/1.1 200 OK\r\nContent-Type: application/jwt\r\n"
      "Content-Length: 5\r\n\r\nab.cd";
  EXPECT_THAT(Parse(r), IsOkAndHolds(Optional(Response(200, "ab.cd"))));
  EXPECT_THAT(Parse(r.substr(0, r.size() - 1)), IsOkAndHolds(std::nullopt));
  EXPECT_THAT(Parse(r.substr(0, r.size() - 1), true),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("closed in the middle of the body")));
  EXPECT_THAT(Parse(r + "x"), StatusIs(absl::StatusCode::kInvalidArgument));
}

TEST(ParseHttpResponseTest, ChunkedBodyWithExtensionsAndTrailers) {
  const std::string r =
      "HTTP/1.1 200 OK\r\nTransfer-Encoding: Chunked\r\n\r\n"
      "3;ext=1\r\nabc\r\nA\r\n0123456789\r\n0\r\nX-T: 1\r\n\r\n";
  EXPECT_THAT(Parse(r), IsOkAndHolds(Optional(Response(200, "abc0123456789"))));
  for (size_t n = 0; n < r.size(); ++n) {
    EXPECT_THAT(Parse(r.substr(0, n)), IsOkAndHolds(std::nullopt)) << n;
  }
  EXPECT_THAT(Parse("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
                    "3\r\nabcX\r\n0\r\n\r\n"),
              StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(Parse("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
                    "zz\r\n"),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("bad chunk size")));
}

TEST(ParseHttpResponseTest, CloseDelimitedBodyNeedsTheEnd) {
  const std::string r = "HTTP/1.0 200 OK\r\n\r\ntoken\n";
  EXPECT_THAT(Parse(r), IsOkAndHolds(std::nullopt));
  EXPECT_THAT(Parse(r, true), IsOkAndHolds(Optional(Response(200, "token\n"))));
}

TEST(ParseHttpResponseTest, LimitsAreEnforced) {
  EXPECT_THAT(Parse("HTTP/1.1 200 OK\r\nContent-Length: 101\r\n\r\n"),
              StatusIs(absl::StatusCode::kResourceExhausted));
  EXPECT_THAT(Parse("HTTP/1.1 200 OK\r\n\r\n" + std::string(101, 'a')),
              StatusIs(absl::StatusCode::kResourceExhausted));
  EXPECT_THAT(Parse("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
                    "65\r\n"),
              StatusIs(absl::StatusCode::kResourceExhausted));
  EXPECT_THAT(Parse("HTTP/1.1 200 OK\r\nX: " + std::string(20000, 'a')),
              StatusIs(absl::StatusCode::kResourceExhausted));
}

TEST(ParseHttpResponseTest, MalformedResponsesAreRejected) {
  for (const char* bad : {
           "HTTP/2 200 OK\r\n\r\n",
           "HTTP/1.1 20 OK\r\n\r\n",
           "HTTP/1.1 200OK\r\n\r\n",
           "HTTP/1.1 100 Continue\r\n\r\n",
           "HTTP/1.1 200 OK\r\nNoColon\r\n\r\n",
           "HTTP/1.1 200 OK\r\n: empty\r\n\r\n",
           "HTTP/1.1 200 OK\r\nBad Name: x\r\n\r\n",
           "HTTP/1.1 200 OK\r\n folded\r\n\r\n",
           "HTTP/1.1 200 OK\r\nX: a\nb\r\n\r\n",
           "HTTP/1.1 200 OK\r\nContent-Length: -1\r\n\r\n",
           "HTTP/1.1 200 OK\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n",
           "HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip\r\n\r\n",
           "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n"
           "Content-Length: 1\r\n\r\n",
           "HTTP/1.1 204 No Content\r\n\r\nbody",
       }) {
    EXPECT_THAT(Parse(bad, true), StatusIs(absl::StatusCode::kInvalidArgument))
        << bad;
  }
}

TEST(ParseHttpResponseTest, ErrorStatusesAreParsedToo) {
  EXPECT_THAT(Parse("HTTP/1.1 503 Service Unavailable\r\nContent-Length: 0"
                    "\r\n\r\n"),
              IsOkAndHolds(Optional(Response(503, ""))));
  EXPECT_THAT(Parse("HTTP/1.1 404\r\n\r\n", true),
              IsOkAndHolds(Optional(Response(404, ""))));
}

}  // namespace
}  // namespace bootstrap
