#include "secretd/metrics/http_server.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <string>

#include "common/testing/status_matchers.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace secretd::metrics {
namespace {

using ::common::testing::StatusIs;
using ::testing::HasSubstr;
using ::testing::StartsWith;

// Sends `request` to 127.0.0.1:port and returns the whole response.
std::string Exchange(int port, const std::string& request) {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(port));
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0) {
    close(fd);
    return "connect failed";
  }
  (void)!send(fd, request.data(), request.size(), MSG_NOSIGNAL);
  shutdown(fd, SHUT_WR);
  std::string out;
  char buf[4096];
  ssize_t n;
  while ((n = recv(fd, buf, sizeof(buf), 0)) > 0)
    out.append(buf, static_cast<size_t>(n));
  close(fd);
  return out;
}

class MetricsHttpServerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto s = MetricsHttpServer::Start(
        "127.0.0.1:0", [] { return std::string("up 1\n"); },
        [this] { return healthy_.load(); });
    ASSERT_TRUE(s.ok()) << s.status();
    server_ = std::move(*s);
  }
  std::atomic<bool> healthy_{true};
  std::unique_ptr<MetricsHttpServer> server_;
};

TEST_F(MetricsHttpServerTest, ServesMetrics) {
  std::string r =
      Exchange(server_->port(), "GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n");
  EXPECT_THAT(r, StartsWith("HTTP/1.1 200 OK\r\n"));
  EXPECT_THAT(r, HasSubstr("Content-Type: text/plain; version=0.0.4"));
  EXPECT_THAT(r, HasSubstr("\r\n\r\nup 1\n"));
}

TEST_F(MetricsHttpServerTest, HealthzFollowsTheHealthCallback) {
  EXPECT_THAT(Exchange(server_->port(), "GET /healthz HTTP/1.0\r\n\r\n"),
              StartsWith("HTTP/1.1 200 OK"));
  healthy_ = false;
  EXPECT_THAT(Exchange(server_->port(), "GET /healthz HTTP/1.0\r\n\r\n"),
              StartsWith("HTTP/1.1 503 Service Unavailable"));
}

TEST_F(MetricsHttpServerTest, RejectsWhatItDoesNotServe) {
  EXPECT_THAT(Exchange(server_->port(), "POST /metrics HTTP/1.1\r\n\r\n"),
              StartsWith("HTTP/1.1 405"));
  EXPECT_THAT(Exchange(server_->port(), "GET /secrets HTTP/1.1\r\n\r\n"),
              StartsWith("HTTP/1.1 404"));
  EXPECT_THAT(Exchange(server_->port(), "GARBAGE\r\n\r\n"),
              StartsWith("HTTP/1.1 400"));
  EXPECT_THAT(Exchange(server_->port(),
                       "GET /metrics HTTP/1.1\r\n" + std::string(9000, 'a')),
              StartsWith("HTTP/1.1 431"));
}

TEST(ParseHttpRequestLineTest, AcceptsOnlyWellFormedRequestLines) {
  ASSERT_OK_AND_ASSIGN(HttpRequestLine l,
                       ParseHttpRequestLine("GET /metrics HTTP/1.1\r\n"));
  EXPECT_EQ(l.method, "GET");
  EXPECT_EQ(l.target, "/metrics");
  EXPECT_THAT(ParseHttpRequestLine("GET /metrics HTTP/1.1"),
              StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(ParseHttpRequestLine("GET metrics HTTP/1.1\r\n"),
              StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(ParseHttpRequestLine("GET /m HTTP/2\r\n"),
              StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(ParseHttpRequestLine("G3T /m HTTP/1.1\r\n"),
              StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(ParseHttpRequestLine("GET /a\x01 HTTP/1.1\r\n"),
              StatusIs(absl::StatusCode::kInvalidArgument));
}

}  // namespace
}  // namespace secretd::metrics
