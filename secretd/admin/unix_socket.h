// Unix stream sockets at file-system paths, for the admin socket
// (DATA_DIR/admin.sock): the broker listens with ListenUnixSocket and
// checks each peer with GetPeerCredentials; secretctl connects with
// ConnectUnixSocket.
//
//   ASSIGN_OR_RETURN(UnixListener listener, ListenUnixSocket(path, 0600));
//   ... accept4(listener.fd.get(), ...) ...
//   ASSIGN_OR_RETURN(PeerCredentials peer, GetPeerCredentials(conn));
//
// Paths longer than sockaddr_un's sun_path (107 bytes) work too: the
// socket's directory is opened and the address goes through
// /proc/self/fd/<dirfd>/<name>.
//
// Thread-compatible: no shared state beyond the file system.
#ifndef SECRETD_SECRETD_ADMIN_UNIX_SOCKET_H_
#define SECRETD_SECRETD_ADMIN_UNIX_SOCKET_H_

#include <sys/types.h>

#include <cstdint>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

namespace secretd {

// Owns a file descriptor and closes it on destruction. Move-only.
class UniqueFd final {
 public:
  UniqueFd() = default;
  explicit UniqueFd(int fd) : fd_(fd) {}
  ~UniqueFd() { reset(); }
  UniqueFd(UniqueFd&& other) noexcept : fd_(other.release()) {}
  UniqueFd& operator=(UniqueFd&& other) noexcept {
    if (this != &other) reset(other.release());
    return *this;
  }
  UniqueFd(const UniqueFd&) = delete;
  UniqueFd& operator=(const UniqueFd&) = delete;

  int get() const { return fd_; }
  bool valid() const { return fd_ >= 0; }
  // Gives up ownership: the caller closes the returned fd.
  int release() {
    int fd = fd_;
    fd_ = -1;
    return fd;
  }
  // Closes the current fd (if any) and owns `fd`.
  void reset(int fd = -1);

 private:
  int fd_ = -1;
};

// Connects to the Unix stream socket at `path` (the fd is blocking and
// close-on-exec). kNotFound if there is no such file (nothing serves there);
// kUnavailable if nothing listens on it (ECONNREFUSED: a stale socket, or
// not a socket); kPermissionDenied if the file's or a directory's mode
// refuses us; kInvalidArgument for an empty path; kInternal for other
// errors. Messages name the path.
absl::StatusOr<UniqueFd> ConnectUnixSocket(const std::string& path);

// A listening socket and the identity of its file.
struct UnixListener {
  UniqueFd fd;  // non-blocking, close-on-exec
  dev_t dev = 0;
  ino_t ino = 0;
};

// Creates a Unix stream socket file at `path` with `mode` and listens on it.
// What is at `path` already decides:
//   - nothing: the socket is created;
//   - a socket nobody listens on (left by a process that died): removed and
//     re-created;
//   - a socket some process listens on: kAlreadyExists (nothing touched);
//   - anything else (a file, a directory, a symlink): kFailedPrecondition
//     (nothing touched).
// The mode is set before listen(2), so no peer can ever connect while the
// file has the mode the umask gave it (connect fails with ECONNREFUSED until
// then). kPermissionDenied / kInternal for other errors, naming the path.
absl::StatusOr<UnixListener> ListenUnixSocket(const std::string& path,
                                              mode_t mode);

// Removes `path` if it still is `listener`'s socket file (same device and
// inode): a newer server's socket at the same path is left alone.
void RemoveUnixSocket(const std::string& path, const UnixListener& listener);

// The credentials of the process at the other end of a connected Unix
// socket, as the kernel recorded them at connect(2) (SO_PEERCRED).
struct PeerCredentials {
  int64_t uid = -1;  // -1: unknown
  int64_t gid = -1;
  int64_t pid = -1;
};

// SO_PEERCRED of `fd`. kFailedPrecondition if `fd` is not a connected Unix
// socket.
absl::StatusOr<PeerCredentials> GetPeerCredentials(int fd);

}  // namespace secretd

#endif  // SECRETD_SECRETD_ADMIN_UNIX_SOCKET_H_
