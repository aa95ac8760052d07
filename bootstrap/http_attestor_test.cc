#include "bootstrap/http_attestor.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"
#include "bootstrap/http_client.h"
#include "bootstrap/testing/loopback.h"
#include "common/clock.h"
#include "common/testing/status_matchers.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace bootstrap {
namespace {

using ::common::testing::IsOkAndHolds;
using ::common::testing::StatusIs;
using ::testing::HasSubstr;
using ::testing::StartsWith;

// A one-connection-at-a-time HTTP server on 127.0.0.1 that answers every
// request with `response` (or, with hang, never answers).
class TestHttpServer {
 public:
  explicit TestHttpServer(std::string response, bool hang = false)
      : response_(std::move(response)), hang_(hang) {
    fd_ = bootstrap::testing::ListenOnLoopback(&port_);
    thread_ = std::thread([this] { Serve(); });
  }
  ~TestHttpServer() {
    shutdown(fd_, SHUT_RDWR);
    close(fd_);
    thread_.join();
  }
  int port() const { return port_; }
  std::string request() {
    absl::MutexLock lock(&mu_);
    return request_;
  }

 private:
  void Serve() {
    int c = accept(fd_, nullptr, nullptr);
    if (c < 0) return;
    std::string req;
    char buf[1024];
    while (req.find("\r\n\r\n") == std::string::npos) {
      ssize_t n = read(c, buf, sizeof(buf));
      if (n <= 0) break;
      req.append(buf, static_cast<size_t>(n));
    }
    {
      absl::MutexLock lock(&mu_);
      request_ = req;
    }
    if (hang_) {
      // Wait until the client gives up and closes.
      while (read(c, buf, sizeof(buf)) > 0) {
      }
    } else {
      (void)!write(c, response_.data(), response_.size());
    }
    close(c);
  }

  std::string response_;
  bool hang_;
  int fd_ = -1;
  int port_ = 0;
  std::thread thread_;
  absl::Mutex mu_;
  std::string request_;
};

class HttpAttestorTest : public ::testing::Test {
 protected:
  absl::StatusOr<std::string> Get(const std::string& url,
                                  absl::Duration timeout = absl::Seconds(20)) {
    auto attestor = HttpAttestor::Create(url, "", clock_);
    if (!attestor.ok()) return attestor.status();
    return (*attestor)->GetToken({"n0nce", "secretd test", "K3y_-"},
                                 clock_.Now() + timeout);
  }
  common::RealClock clock_;
};

TEST_F(HttpAttestorTest, SendsTheDocumentedRequestAndReturnsTheBody) {
  TestHttpServer server(
      "HTTP/1.1 200 OK\r\nContent-Length: 9\r\n\r\na.b.c\r\n\r\n");
  EXPECT_THAT(
      Get(absl::StrCat("http://127.0.0.1:", server.port(), "/attest?v=1")),
      IsOkAndHolds("a.b.c"));
  EXPECT_EQ(server.request(),
            absl::StrCat("GET /attest?v=1&nonce=n0nce&audience=secretd%20test"
                         "&cnf_x25519=K3y_- HTTP/1.1\r\nHost: 127.0.0.1:",
                         server.port(),
                         "\r\nMetadata-Flavor: secretd\r\n"
                         "Accept: application/jwt, text/plain\r\n"
                         "User-Agent: secretd-bootstrap\r\n"
                         "Connection: close\r\n\r\n"));
}

TEST_F(HttpAttestorTest, ChunkedAndCloseDelimitedBodiesWork) {
  {
    TestHttpServer server(
        "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
        "2\r\nab\r\n3\r\n.cd\r\n0\r\n\r\n");
    EXPECT_THAT(Get(absl::StrCat("http://localhost:", server.port(), "/")),
                IsOkAndHolds("ab.cd"));
  }
  {
    TestHttpServer server("HTTP/1.0 200 OK\r\n\r\ntok\n");
    EXPECT_THAT(Get(absl::StrCat("http://127.0.0.1:", server.port())),
                IsOkAndHolds("tok"));
  }
}

TEST_F(HttpAttestorTest, ServerErrorsAreRetryableClientErrorsAreNot) {
  {
    TestHttpServer server(
        "HTTP/1.1 503 Unavailable\r\nContent-Length: 0\r\n\r\n");
    EXPECT_THAT(Get(absl::StrCat("http://127.0.0.1:", server.port())),
                StatusIs(absl::StatusCode::kUnavailable,
                         HasSubstr("answered HTTP 503")));
  }
  {
    TestHttpServer server(
        "HTTP/1.1 403 Forbidden\r\nContent-Length: 0\r\n\r\n");
    EXPECT_THAT(Get(absl::StrCat("http://127.0.0.1:", server.port())),
                StatusIs(absl::StatusCode::kFailedPrecondition,
                         HasSubstr("answered HTTP 403")));
  }
  {
    TestHttpServer server(
        "HTTP/1.1 302 Found\r\nLocation: /x\r\n"
        "Content-Length: 0\r\n\r\n");
    EXPECT_THAT(Get(absl::StrCat("http://127.0.0.1:", server.port())),
                StatusIs(absl::StatusCode::kFailedPrecondition));
  }
}

TEST_F(HttpAttestorTest, GarbageAndOversizedAnswersAreRefused) {
  {
    TestHttpServer server("SSH-2.0-OpenSSH\r\n\r\n");
    EXPECT_THAT(Get(absl::StrCat("http://127.0.0.1:", server.port())),
                StatusIs(absl::StatusCode::kInvalidArgument,
                         HasSubstr("malformed HTTP response")));
  }
  {
    TestHttpServer server(
        absl::StrCat("HTTP/1.1 200 OK\r\n\r\n", std::string(20000, 'a')));
    EXPECT_THAT(Get(absl::StrCat("http://127.0.0.1:", server.port())),
                StatusIs(absl::StatusCode::kResourceExhausted));
  }
}

TEST_F(HttpAttestorTest, ConnectionRefusedIsRetryable) {
  int port;
  {
    TestHttpServer server("");
    port = server.port();
    // Connect once so the server thread finishes; then the port is closed.
    (void)Get(absl::StrCat("http://127.0.0.1:", port));
  }
  EXPECT_THAT(
      Get(absl::StrCat("http://127.0.0.1:", port)),
      StatusIs(absl::StatusCode::kUnavailable, HasSubstr("cannot connect")));
}

TEST_F(HttpAttestorTest, SilentServerTimesOut) {
  TestHttpServer server("", /*hang=*/true);
  EXPECT_THAT(Get(absl::StrCat("http://127.0.0.1:", server.port()),
                  absl::Milliseconds(300)),
              StatusIs(absl::StatusCode::kUnavailable, HasSubstr("timed out")));
}

TEST_F(HttpAttestorTest, PlainHttpOnlyToLoopbackOrLinkLocal) {
  EXPECT_THAT(HttpAttestor::Create("http://192.0.2.1/token", "", clock_),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("plain http is allowed only to loopback or "
                                 "link-local addresses")));
  EXPECT_THAT(HttpAttestor::Create("http://169.254.169.254/token", "", clock_),
              common::testing::IsOk());
  EXPECT_THAT(
      HttpAttestor::Create("http://[fe80::a9fe:a9fe]/token", "", clock_),
      common::testing::IsOk());
  EXPECT_THAT(HttpAttestor::Create("https://192.0.2.1/token", "", clock_),
              common::testing::IsOk());
  EXPECT_THAT(HttpAttestor::Create("ftp://x/", "", clock_),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       StartsWith("--attest-url: ")));
}

TEST(IsLocalAddressLiteralTest, KnowsLoopbackAndLinkLocal) {
  for (const char* yes : {"127.0.0.1", "127.9.9.9", "169.254.169.254", "::1",
                          "fe80::1", "::ffff:169.254.1.1"}) {
    EXPECT_TRUE(IsLocalAddressLiteral(yes)) << yes;
  }
  for (const char* no : {"10.0.0.1", "192.0.2.1", "169.255.0.1", "2001:db8::1",
                         "::ffff:10.0.0.1", "localhost", "garbage"}) {
    EXPECT_FALSE(IsLocalAddressLiteral(no)) << no;
  }
}

}  // namespace
}  // namespace bootstrap
