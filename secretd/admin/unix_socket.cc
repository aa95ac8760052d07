#include "secretd/admin/unix_socket.h"

#include <fcntl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "absl/strings/str_cat.h"
#include "common/status_macros.h"

namespace secretd {
namespace {

absl::Status ErrnoError(absl::string_view what, const std::string& path,
                        int err) {
  const std::string message =
      absl::StrCat(what, " \"", path, "\": ", std::strerror(err));
  switch (err) {
    case ENOENT:
    case ENOTDIR:
      return absl::NotFoundError(message);
    case ECONNREFUSED:
      return absl::UnavailableError(message);
    case EACCES:
    case EPERM:
      return absl::PermissionDeniedError(message);
    default:
      return absl::InternalError(message);
  }
}

// A sockaddr_un for `path`. A path too long for sun_path is reached through
// an O_PATH descriptor of its directory: /proc/self/fd/<dirfd>/<name>.
struct SocketAddress {
  sockaddr_un addr{};
  socklen_t len = 0;
  std::string fs_path;  // the path to use with chmod/lstat/unlink
  UniqueFd dir;         // keeps /proc/self/fd/<dirfd> valid
};

absl::StatusOr<SocketAddress> MakeAddress(const std::string& path) {
  if (path.empty()) {
    return absl::InvalidArgumentError("the socket path is empty");
  }
  SocketAddress a;
  a.addr.sun_family = AF_UNIX;
  a.fs_path = path;
  if (path.size() >= sizeof(a.addr.sun_path)) {
    const size_t slash = path.rfind('/');
    const std::string dir =
        slash == std::string::npos ? "." : path.substr(0, slash + 1);
    const std::string name =
        slash == std::string::npos ? path : path.substr(slash + 1);
    a.dir.reset(open(dir.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC));
    if (!a.dir.valid()) {
      return ErrnoError("cannot open the directory of", path, errno);
    }
    a.fs_path = absl::StrCat("/proc/self/fd/", a.dir.get(), "/", name);
    if (a.fs_path.size() >= sizeof(a.addr.sun_path)) {
      return absl::InvalidArgumentError(absl::StrCat(
          "socket name \"", name, "\" is too long for a Unix socket"));
    }
  }
  std::memcpy(a.addr.sun_path, a.fs_path.data(), a.fs_path.size());
  a.len = static_cast<socklen_t>(offsetof(sockaddr_un, sun_path) +
                                 a.fs_path.size() + 1);
  return a;
}

}  // namespace

void UniqueFd::reset(int fd) {
  if (fd_ >= 0) close(fd_);
  fd_ = fd;
}

absl::StatusOr<UniqueFd> ConnectUnixSocket(const std::string& path) {
  ASSIGN_OR_RETURN(SocketAddress a, MakeAddress(path));
  UniqueFd fd(socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
  if (!fd.valid()) return ErrnoError("cannot make a socket for", path, errno);
  int rc;
  do {
    rc = connect(fd.get(), reinterpret_cast<const sockaddr*>(&a.addr), a.len);
  } while (rc != 0 && errno == EINTR);
  if (rc != 0) return ErrnoError("cannot connect to", path, errno);
  return fd;
}

absl::StatusOr<UnixListener> ListenUnixSocket(const std::string& path,
                                              mode_t mode) {
  ASSIGN_OR_RETURN(SocketAddress a, MakeAddress(path));
  struct stat st;
  if (lstat(a.fs_path.c_str(), &st) == 0) {
    if (!S_ISSOCK(st.st_mode)) {
      return absl::FailedPreconditionError(absl::StrCat(
          "\"", path,
          "\" exists and is not a socket; it is left alone: move it away if "
          "it is not needed"));
    }
    absl::StatusOr<UniqueFd> probe = ConnectUnixSocket(path);
    if (probe.ok()) {
      return absl::AlreadyExistsError(
          absl::StrCat("another process is listening on \"", path,
                       "\"; is secretd already serving this data directory?"));
    }
    if (probe.status().code() != absl::StatusCode::kUnavailable) {
      return absl::FailedPreconditionError(
          absl::StrCat("cannot check whether the existing socket is in use: ",
                       probe.status().message()));
    }
    // Nobody listens: a socket left by a process that died.
    if (unlink(a.fs_path.c_str()) != 0 && errno != ENOENT) {
      return ErrnoError("cannot remove the stale socket", path, errno);
    }
  } else if (errno != ENOENT) {
    return ErrnoError("cannot inspect", path, errno);
  }

  UnixListener listener;
  listener.fd.reset(
      socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0));
  if (!listener.fd.valid()) {
    return ErrnoError("cannot make a socket for", path, errno);
  }
  if (bind(listener.fd.get(), reinterpret_cast<const sockaddr*>(&a.addr),
           a.len) != 0) {
    if (errno == EADDRINUSE) {
      return absl::AlreadyExistsError(absl::StrCat(
          "\"", path, "\" was created by another process meanwhile"));
    }
    return ErrnoError("cannot bind", path, errno);
  }
  // Not listening yet: connects fail until the mode is right.
  absl::Status status;
  if (chmod(a.fs_path.c_str(), mode) != 0) {
    status = ErrnoError("cannot set the mode of", path, errno);
  } else if (lstat(a.fs_path.c_str(), &st) != 0) {
    status = ErrnoError("cannot inspect", path, errno);
  } else if (!S_ISSOCK(st.st_mode) || (st.st_mode & 07777) != mode) {
    status = absl::InternalError(
        absl::StrCat("\"", path, "\" changed while it was being created"));
  } else if (listen(listener.fd.get(), 64) != 0) {
    status = ErrnoError("cannot listen on", path, errno);
  }
  if (!status.ok()) {
    unlink(a.fs_path.c_str());
    return status;
  }
  listener.dev = st.st_dev;
  listener.ino = st.st_ino;
  return listener;
}

void RemoveUnixSocket(const std::string& path, const UnixListener& listener) {
  absl::StatusOr<SocketAddress> a = MakeAddress(path);
  if (!a.ok()) return;
  struct stat st;
  if (lstat(a->fs_path.c_str(), &st) == 0 && S_ISSOCK(st.st_mode) &&
      st.st_dev == listener.dev && st.st_ino == listener.ino) {
    unlink(a->fs_path.c_str());
  }
}

absl::StatusOr<PeerCredentials> GetPeerCredentials(int fd) {
  // Other sockets answer SO_PEERCRED too (with the overflow uid): check.
  int domain = 0;
  socklen_t domain_len = sizeof(domain);
  if (getsockopt(fd, SOL_SOCKET, SO_DOMAIN, &domain, &domain_len) != 0 ||
      domain != AF_UNIX) {
    return absl::FailedPreconditionError(
        absl::StrCat("fd ", fd, " is not a Unix socket"));
  }
  ucred cred{};
  socklen_t len = sizeof(cred);
  if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) != 0 ||
      len != sizeof(cred)) {
    return absl::FailedPreconditionError(
        absl::StrCat("cannot read the peer credentials of fd ", fd, ": ",
                     std::strerror(errno)));
  }
  PeerCredentials peer;
  peer.uid = cred.uid;
  peer.gid = cred.gid;
  peer.pid = cred.pid;
  return peer;
}

}  // namespace secretd
