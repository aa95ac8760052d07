#include "secretd/metrics/http_server.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "common/host_port.h"

namespace secretd::metrics {
namespace {

bool IsTokenChar(char c) {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z');
}

void SendAll(int fd, absl::string_view data) {
  while (!data.empty()) {
    ssize_t n = send(fd, data.data(), data.size(), MSG_NOSIGNAL);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return;
    data.remove_prefix(static_cast<size_t>(n));
  }
}

void Respond(int fd, int code, absl::string_view reason, absl::string_view type,
             absl::string_view body) {
  SendAll(fd, absl::StrCat("HTTP/1.1 ", code, " ", reason, "\r\nContent-Type: ",
                           type, "\r\nContent-Length: ", body.size(),
                           "\r\nConnection: close\r\n\r\n", body));
}

}  // namespace

absl::StatusOr<HttpRequestLine> ParseHttpRequestLine(absl::string_view head) {
  size_t eol = head.find("\r\n");
  if (eol == absl::string_view::npos) {
    return absl::InvalidArgumentError("request line is not terminated by CRLF");
  }
  absl::string_view line = head.substr(0, eol);
  size_t sp1 = line.find(' ');
  if (sp1 == absl::string_view::npos || sp1 == 0 || sp1 > 16) {
    return absl::InvalidArgumentError("request line has no method");
  }
  size_t sp2 = line.find(' ', sp1 + 1);
  if (sp2 == absl::string_view::npos || sp2 == sp1 + 1) {
    return absl::InvalidArgumentError("request line has no target");
  }
  absl::string_view method = line.substr(0, sp1);
  absl::string_view target = line.substr(sp1 + 1, sp2 - sp1 - 1);
  absl::string_view version = line.substr(sp2 + 1);
  for (char c : method) {
    if (!IsTokenChar(c)) return absl::InvalidArgumentError("bad method");
  }
  if (target[0] != '/')
    return absl::InvalidArgumentError("target must start with /");
  for (char c : target) {
    if (c <= 0x20 || c >= 0x7F) return absl::InvalidArgumentError("bad target");
  }
  if (version != "HTTP/1.1" && version != "HTTP/1.0") {
    return absl::InvalidArgumentError("unsupported HTTP version");
  }
  return HttpRequestLine{std::string(method), std::string(target)};
}

absl::StatusOr<std::unique_ptr<MetricsHttpServer>> MetricsHttpServer::Start(
    absl::string_view host_port, std::function<std::string()> render_metrics,
    std::function<bool()> healthy) {
  std::string host;
  int port;
  if (absl::Status s = common::SplitHostPort(host_port, &host, &port); !s.ok())
    return s;
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  hints.ai_flags = AI_NUMERICSERV;
  addrinfo* res = nullptr;
  std::string port_str = absl::StrCat(port);
  if (int rc = getaddrinfo(host.c_str(), port_str.c_str(), &hints, &res);
      rc != 0) {
    return absl::InvalidArgumentError(
        absl::StrCat("cannot resolve metrics address \"", host_port,
                     "\": ", gai_strerror(rc)));
  }
  int fd = -1;
  std::string last_error = "no address";
  for (addrinfo* ai = res; ai != nullptr; ai = ai->ai_next) {
    fd = socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC, ai->ai_protocol);
    if (fd < 0) continue;
    int one = 1;
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
    if (bind(fd, ai->ai_addr, ai->ai_addrlen) == 0 && listen(fd, 64) == 0)
      break;
    last_error = strerror(errno);
    close(fd);
    fd = -1;
  }
  freeaddrinfo(res);
  if (fd < 0) {
    return absl::UnavailableError(absl::StrCat(
        "cannot listen for metrics on \"", host_port, "\": ", last_error));
  }
  sockaddr_storage addr{};
  socklen_t len = sizeof(addr);
  getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
  int bound = addr.ss_family == AF_INET6
                  ? ntohs(reinterpret_cast<sockaddr_in6*>(&addr)->sin6_port)
                  : ntohs(reinterpret_cast<sockaddr_in*>(&addr)->sin_port);
  auto server = std::unique_ptr<MetricsHttpServer>(new MetricsHttpServer(
      fd, bound, std::move(render_metrics), std::move(healthy)));
  if (pipe2(server->wake_pipe_, O_CLOEXEC) != 0) {
    return absl::UnavailableError(
        absl::StrCat("pipe failed: ", strerror(errno)));
  }
  server->thread_ = std::thread([s = server.get()] { s->Serve(); });
  return server;
}

MetricsHttpServer::MetricsHttpServer(int listen_fd, int port,
                                     std::function<std::string()> render,
                                     std::function<bool()> healthy)
    : listen_fd_(listen_fd),
      port_(port),
      render_(std::move(render)),
      healthy_(std::move(healthy)) {}

MetricsHttpServer::~MetricsHttpServer() {
  Stop();
  close(listen_fd_);
  if (wake_pipe_[0] >= 0) close(wake_pipe_[0]);
  if (wake_pipe_[1] >= 0) close(wake_pipe_[1]);
}

void MetricsHttpServer::Stop() {
  if (stopping_.exchange(true)) return;
  if (wake_pipe_[1] >= 0) (void)!write(wake_pipe_[1], "x", 1);
  if (thread_.joinable()) thread_.join();
}

void MetricsHttpServer::Serve() {
  while (!stopping_.load()) {
    pollfd fds[2] = {{listen_fd_, POLLIN, 0}, {wake_pipe_[0], POLLIN, 0}};
    if (poll(fds, 2, -1) < 0) {
      if (errno == EINTR) continue;
      return;
    }
    if (fds[1].revents != 0 || stopping_.load()) return;
    int conn = accept4(listen_fd_, nullptr, nullptr, SOCK_CLOEXEC);
    if (conn < 0) continue;
    HandleConnection(conn);
    close(conn);
  }
}

void MetricsHttpServer::HandleConnection(int fd) {
  timeval timeout{2, 0};
  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof(timeout));
  setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &timeout, sizeof(timeout));
  std::string head;
  char buf[1024];
  while (head.find("\r\n\r\n") == std::string::npos) {
    if (head.size() >= kMaxRequestHead) {
      return Respond(fd, 431, "Request Header Fields Too Large", "text/plain",
                     "too large\n");
    }
    ssize_t n = recv(fd, buf, sizeof(buf), 0);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
      return Respond(fd, 408, "Request Timeout", "text/plain", "timeout\n");
    }
    if (n <= 0) return;
    head.append(buf, static_cast<size_t>(n));
  }
  auto req = ParseHttpRequestLine(head);
  if (!req.ok())
    return Respond(fd, 400, "Bad Request", "text/plain", "bad request\n");
  if (req->method != "GET") {
    return Respond(fd, 405, "Method Not Allowed", "text/plain", "use GET\n");
  }
  if (req->target == "/metrics") {
    return Respond(fd, 200, "OK", "text/plain; version=0.0.4; charset=utf-8",
                   render_());
  }
  if (req->target == "/healthz") {
    return healthy_() ? Respond(fd, 200, "OK", "text/plain", "ok\n")
                      : Respond(fd, 503, "Service Unavailable", "text/plain",
                                "unhealthy\n");
  }
  Respond(fd, 404, "Not Found", "text/plain", "try /metrics or /healthz\n");
}

}  // namespace secretd::metrics
