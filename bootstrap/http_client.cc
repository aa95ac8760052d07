#include "bootstrap/http_client.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>
#include <poll.h>
#include <sys/time.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <memory>
#include <utility>

#include "absl/strings/str_cat.h"
#include "keys/secret_bytes.h"

namespace bootstrap {
namespace {

template <typename T, void (*F)(T*)>
struct Deleter {
  void operator()(T* p) const { F(p); }
};
using SslCtxPtr = std::unique_ptr<SSL_CTX, Deleter<SSL_CTX, SSL_CTX_free>>;
using SslPtr = std::unique_ptr<SSL, Deleter<SSL, SSL_free>>;
using BioPtr = std::unique_ptr<BIO, Deleter<BIO, BIO_free_all>>;
using X509Ptr = std::unique_ptr<X509, Deleter<X509, X509_free>>;
struct AddrinfoDeleter {
  void operator()(addrinfo* p) const { freeaddrinfo(p); }
};

class Socket {
 public:
  explicit Socket(int fd) : fd_(fd) {}
  ~Socket() {
    if (fd_ >= 0) close(fd_);
  }
  Socket(const Socket&) = delete;
  Socket& operator=(const Socket&) = delete;
  int get() const { return fd_; }
  int Release() { return std::exchange(fd_, -1); }

 private:
  int fd_;
};

// Clears the OpenSSL error queue when it goes out of scope.
struct ErrorQueueGuard {
  ~ErrorQueueGuard() { ERR_clear_error(); }
};

std::string Where(const Url& url) {
  return absl::StrCat(url.scheme, "://",
                      url.host.find(':') != std::string::npos
                          ? absl::StrCat("[", url.host, "]")
                          : url.host,
                      ":", url.port);
}

std::string OpenSslReason() {
  unsigned long e = ERR_peek_error();
  if (e == 0) return "unknown error";
  char buf[256];
  ERR_error_string_n(e, buf, sizeof(buf));
  return buf;
}

// Milliseconds left before `deadline`, at least 0 and at most INT_MAX.
int RemainingMs(const common::Clock& clock, absl::Time deadline) {
  absl::Duration left = deadline - clock.Now();
  if (left <= absl::ZeroDuration()) return 0;
  int64_t ms = absl::ToInt64Milliseconds(left) + 1;
  return ms > INT32_MAX ? INT32_MAX : static_cast<int>(ms);
}

void SetIoTimeout(int fd, int ms) {
  timeval tv;
  tv.tv_sec = ms / 1000;
  tv.tv_usec = (ms % 1000) * 1000;
  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
  setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
}

absl::StatusOr<int> Connect(const Url& url, const common::Clock& clock,
                            absl::Time deadline) {
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  hints.ai_flags = AI_NUMERICSERV;
  addrinfo* raw = nullptr;
  const std::string port = std::to_string(url.port);
  int rc = getaddrinfo(url.host.c_str(), port.c_str(), &hints, &raw);
  if (rc != 0) {
    return absl::UnavailableError(
        absl::StrCat("cannot resolve \"", url.host, "\": ", gai_strerror(rc)));
  }
  std::unique_ptr<addrinfo, AddrinfoDeleter> list(raw);
  if (url.scheme == "http") {
    for (addrinfo* a = list.get(); a != nullptr; a = a->ai_next) {
      if (!IsLocalAddress(a->ai_addr)) {
        return absl::FailedPreconditionError(absl::StrCat(
            "\"", url.host,
            "\" resolves to an address that is neither loopback nor "
            "link-local; plain http is allowed only to those (use https)"));
      }
    }
  }
  std::string last_error = "no address";
  for (addrinfo* a = list.get(); a != nullptr; a = a->ai_next) {
    int fd =
        socket(a->ai_family, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    if (fd < 0) {
      last_error = std::strerror(errno);
      continue;
    }
    Socket s(fd);
    if (connect(fd, a->ai_addr, a->ai_addrlen) != 0) {
      if (errno != EINPROGRESS) {
        last_error = std::strerror(errno);
        continue;
      }
      pollfd p{fd, POLLOUT, 0};
      int n;
      do {
        n = poll(&p, 1, RemainingMs(clock, deadline));
      } while (n < 0 && errno == EINTR);
      if (n == 0) {
        return absl::UnavailableError(
            absl::StrCat("timed out connecting to ", Where(url)));
      }
      int err = 0;
      socklen_t len = sizeof(err);
      if (n < 0 || getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len) != 0 ||
          err != 0) {
        last_error = std::strerror(n < 0 ? errno : err);
        continue;
      }
    }
    const int flags = fcntl(fd, F_GETFL);
    fcntl(fd, F_SETFL, flags & ~O_NONBLOCK);
    return s.Release();
  }
  return absl::UnavailableError(
      absl::StrCat("cannot connect to ", Where(url), ": ", last_error));
}

// A byte stream over a socket, with or without TLS.
class Stream {
 public:
  Stream(int fd, const common::Clock& clock, absl::Time deadline)
      : socket_(fd), clock_(clock), deadline_(deadline) {}

  absl::Status StartTls(const Url& url, const std::string& ca_pem) {
    ErrorQueueGuard guard;
    ctx_.reset(SSL_CTX_new(TLS_client_method()));
    if (ctx_ == nullptr) return absl::InternalError("SSL_CTX_new failed");
    SSL_CTX_set_min_proto_version(ctx_.get(), TLS1_2_VERSION);
    SSL_CTX_set_verify(ctx_.get(), SSL_VERIFY_PEER, nullptr);
    if (ca_pem.empty()) {
      if (SSL_CTX_set_default_verify_paths(ctx_.get()) != 1) {
        return absl::InternalError("cannot load the system's trust store");
      }
    } else {
      BioPtr bio(
          BIO_new_mem_buf(ca_pem.data(), static_cast<int>(ca_pem.size())));
      X509_STORE* store = SSL_CTX_get_cert_store(ctx_.get());
      int loaded = 0;
      while (true) {
        X509Ptr cert(PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr));
        if (cert == nullptr) break;
        if (X509_STORE_add_cert(store, cert.get()) != 1) {
          return absl::InternalError("X509_STORE_add_cert failed");
        }
        ++loaded;
      }
      if (loaded == 0) {
        return absl::InvalidArgumentError(
            "--attest-ca holds no PEM certificate");
      }
    }
    ssl_.reset(SSL_new(ctx_.get()));
    if (ssl_ == nullptr || SSL_set_fd(ssl_.get(), socket_.get()) != 1) {
      return absl::InternalError("SSL_new failed");
    }
    X509_VERIFY_PARAM* param = SSL_get0_param(ssl_.get());
    if (IsIpAddressLiteral(url.host)) {
      if (X509_VERIFY_PARAM_set1_ip_asc(param, url.host.c_str()) != 1) {
        return absl::InternalError("X509_VERIFY_PARAM_set1_ip_asc failed");
      }
    } else {
      X509_VERIFY_PARAM_set_hostflags(param,
                                      X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS);
      if (X509_VERIFY_PARAM_set1_host(param, url.host.c_str(), 0) != 1 ||
          SSL_set_tlsext_host_name(ssl_.get(), url.host.c_str()) != 1) {
        return absl::InternalError("cannot set the TLS host name");
      }
    }
    SetIoTimeout(socket_.get(), RemainingMs(clock_, deadline_));
    if (SSL_connect(ssl_.get()) != 1) {
      const long verify = SSL_get_verify_result(ssl_.get());
      if (verify != X509_V_OK) {
        return absl::FailedPreconditionError(absl::StrCat(
            "the TLS certificate of ", Where(url),
            " does not verify: ", X509_verify_cert_error_string(verify)));
      }
      return absl::UnavailableError(absl::StrCat(
          "TLS handshake with ", Where(url), " failed: ", OpenSslReason()));
    }
    return absl::OkStatus();
  }

  absl::Status WriteAll(absl::string_view data) {
    while (!data.empty()) {
      const int ms = RemainingMs(clock_, deadline_);
      if (ms == 0) return absl::UnavailableError("timed out sending");
      SetIoTimeout(socket_.get(), ms);
      ssize_t n;
      if (ssl_ != nullptr) {
        ErrorQueueGuard guard;
        n = SSL_write(ssl_.get(), data.data(), static_cast<int>(data.size()));
      } else {
        n = send(socket_.get(), data.data(), data.size(), MSG_NOSIGNAL);
        if (n < 0 && errno == EINTR) continue;
      }
      if (n <= 0) {
        return absl::UnavailableError("the connection broke while sending");
      }
      data.remove_prefix(static_cast<size_t>(n));
    }
    return absl::OkStatus();
  }

  // Bytes read (0 at the end of the stream).
  absl::StatusOr<size_t> Read(char* buf, size_t size) {
    while (true) {
      const int ms = RemainingMs(clock_, deadline_);
      if (ms == 0)
        return absl::UnavailableError("timed out waiting for the answer");
      SetIoTimeout(socket_.get(), ms);
      if (ssl_ != nullptr) {
        ErrorQueueGuard guard;
        int n = SSL_read(ssl_.get(), buf, static_cast<int>(size));
        if (n > 0) return static_cast<size_t>(n);
        const int err = SSL_get_error(ssl_.get(), n);
        if (err == SSL_ERROR_ZERO_RETURN) return 0;
        if (err == SSL_ERROR_SYSCALL && (errno == EAGAIN || errno == EINTR)) {
          continue;
        }
        if (err == SSL_ERROR_SYSCALL && n == 0) return 0;  // no close_notify
        return absl::UnavailableError("the TLS connection broke");
      }
      ssize_t n = recv(socket_.get(), buf, size, 0);
      if (n >= 0) return static_cast<size_t>(n);
      if (errno == EINTR || errno == EAGAIN || errno == EWOULDBLOCK) continue;
      return absl::UnavailableError(
          absl::StrCat("the connection broke: ", std::strerror(errno)));
    }
  }

 private:
  Socket socket_;
  const common::Clock& clock_;
  absl::Time deadline_;
  SslCtxPtr ctx_;
  SslPtr ssl_;
};

}  // namespace

bool IsLocalAddress(const sockaddr* addr) {
  if (addr->sa_family == AF_INET) {
    const auto* in = reinterpret_cast<const sockaddr_in*>(addr);
    const uint32_t a = ntohl(in->sin_addr.s_addr);
    return (a >> 24) == 127 || (a >> 16) == 0xA9FE;  // 127/8, 169.254/16
  }
  if (addr->sa_family == AF_INET6) {
    const auto* in6 = reinterpret_cast<const sockaddr_in6*>(addr);
    if (IN6_IS_ADDR_LOOPBACK(&in6->sin6_addr) ||
        IN6_IS_ADDR_LINKLOCAL(&in6->sin6_addr)) {
      return true;
    }
    if (IN6_IS_ADDR_V4MAPPED(&in6->sin6_addr)) {
      sockaddr_in v4{};
      v4.sin_family = AF_INET;
      std::memcpy(&v4.sin_addr, &in6->sin6_addr.s6_addr[12], 4);
      return IsLocalAddress(reinterpret_cast<const sockaddr*>(&v4));
    }
  }
  return false;
}

bool IsLocalAddressLiteral(const std::string& host) {
  sockaddr_in v4{};
  v4.sin_family = AF_INET;
  if (inet_pton(AF_INET, host.c_str(), &v4.sin_addr) == 1) {
    return IsLocalAddress(reinterpret_cast<const sockaddr*>(&v4));
  }
  sockaddr_in6 v6{};
  v6.sin6_family = AF_INET6;
  if (inet_pton(AF_INET6, host.c_str(), &v6.sin6_addr) == 1) {
    return IsLocalAddress(reinterpret_cast<const sockaddr*>(&v6));
  }
  return false;
}

bool IsIpAddressLiteral(const std::string& host) {
  in6_addr addr;
  return inet_pton(AF_INET, host.c_str(), &addr) == 1 ||
         inet_pton(AF_INET6, host.c_str(), &addr) == 1;
}

absl::StatusOr<HttpResponse> HttpGet(
    const Url& url,
    const std::vector<std::pair<std::string, std::string>>& headers,
    const HttpGetOptions& options, const common::Clock& clock) {
  absl::StatusOr<int> fd = Connect(url, clock, options.deadline);
  if (!fd.ok()) return fd.status();
  Stream stream(*fd, clock, options.deadline);
  if (url.scheme == "https") {
    if (absl::Status s = stream.StartTls(url, options.ca_pem); !s.ok()) {
      return s;
    }
  }
  if (absl::Status s = stream.WriteAll(FormatGetRequest(url, headers));
      !s.ok()) {
    return absl::UnavailableError(absl::StrCat(Where(url), ": ", s.message()));
  }
  // The headers, the body and the chunk framing of the largest body.
  const size_t max_total =
      kMaxHttpHeaderBytes * 2 + options.max_body * 2 + 4096;
  std::string received;
  char buf[4096];
  // Reserved once, so no reallocation leaves a partial copy of the answer
  // behind unwiped.
  received.reserve(max_total + sizeof(buf));
  absl::StatusOr<HttpResponse> result = absl::InternalError("unreachable");
  while (true) {
    absl::StatusOr<size_t> n = stream.Read(buf, sizeof(buf));
    if (!n.ok()) {
      result = absl::UnavailableError(
          absl::StrCat(Where(url), ": ", n.status().message()));
      break;
    }
    received.append(buf, *n);
    if (received.size() > max_total) {
      result = absl::ResourceExhaustedError(absl::StrCat(
          Where(url), ": response larger than ", max_total, " bytes"));
      break;
    }
    auto parsed =
        ParseHttpResponse(received, /*at_eof=*/*n == 0, options.max_body);
    if (!parsed.ok()) {
      result = absl::Status(
          parsed.status().code(),
          absl::StrCat(Where(url), ": ", parsed.status().message()));
      break;
    }
    if (parsed->has_value()) {
      result = **std::move(parsed);
      break;
    }
  }
  keys::WipeString(&received);
  OPENSSL_cleanse(buf, sizeof(buf));
  return result;
}

}  // namespace bootstrap
