// A minimal HTTP/1.1 server for Prometheus scrapes: GET /metrics and
// GET /healthz, one request per connection, on its own thread.
//
//   ASSIGN_OR_RETURN(auto server, MetricsHttpServer::Start(
//       "127.0.0.1:9464", [&] { return registry.Render(); },
//       [&] { return audit.Healthy(); }));
//
// Untrusted input: the request head is capped at 8 KiB and must arrive
// within 2 s; anything else is answered 400/404/405/408/431 and closed.
// Stop() (or the destructor) closes the listener and joins the thread.
#ifndef SECRETD_SECRETD_METRICS_HTTP_SERVER_H_
#define SECRETD_SECRETD_METRICS_HTTP_SERVER_H_

#include <atomic>
#include <functional>
#include <memory>
#include <string>
#include <thread>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace secretd::metrics {

inline constexpr size_t kMaxRequestHead = 8 * 1024;

struct HttpRequestLine {
  std::string method;
  std::string target;
};

// Parses the request line of an HTTP/1.x request head ("GET /metrics
// HTTP/1.1\r\n..."). kInvalidArgument for anything malformed. Only the
// request line is interpreted; headers are ignored.
absl::StatusOr<HttpRequestLine> ParseHttpRequestLine(absl::string_view head);

class MetricsHttpServer {
 public:
  // Binds `host_port` (port 0 picks a free port) and starts serving.
  // kInvalidArgument for a bad address, kUnavailable if it cannot bind.
  static absl::StatusOr<std::unique_ptr<MetricsHttpServer>> Start(
      absl::string_view host_port, std::function<std::string()> render_metrics,
      std::function<bool()> healthy);
  ~MetricsHttpServer();
  void Stop();
  int port() const { return port_; }

 private:
  MetricsHttpServer(int listen_fd, int port,
                    std::function<std::string()> render,
                    std::function<bool()> healthy);
  void Serve();
  void HandleConnection(int fd);

  const int listen_fd_;
  const int port_;
  int wake_pipe_[2] = {-1, -1};
  std::function<std::string()> render_;
  std::function<bool()> healthy_;
  std::atomic<bool> stopping_{false};
  std::thread thread_;
};

}  // namespace secretd::metrics

#endif  // SECRETD_SECRETD_METRICS_HTTP_SERVER_H_
