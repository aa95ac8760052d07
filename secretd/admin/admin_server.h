// AdminServer: serves AdminService on the admin Unix socket
// (DATA_DIR/admin.sock, DESIGN.md §8), checking every peer's uid.
//
//   AdminServerOptions options;
//   options.socket_path = layout.admin_socket;
//   options.allowed_uids = {};           // default: this process's euid
//   ASSIGN_OR_RETURN(std::unique_ptr<AdminServer> server,
//                    AdminServer::Start(options, service));
//   ...
//   server->Shutdown();                  // also done by the destructor
//
// The socket: created with mode 0600 before it listens (unix_socket.h), so
// only its owner (the broker's uid) and root can connect at all. A stale
// socket left by a dead broker is replaced; a socket someone listens on, or
// a path that is not a socket, makes Start fail and is left alone.
//
// The peer check: gRPC's own Unix listener does not expose SO_PEERCRED, so
// the server accepts connections itself on one thread, reads each peer's
// credentials, and hands an accepted fd to gRPC
// (grpc::AddInsecureChannelFromFd) only if the peer's uid is allowed.
// Otherwise it closes the connection before reading a byte from it (the
// client sees UNAVAILABLE) and the service appends an `admin.denied` audit
// record with the peer's uid and pid. A connection's uid is fixed at
// connect(2), so every RPC on an accepted connection comes from a checked
// peer.
//
// Allowed uids: by default only the broker's own effective uid: the admin
// acts as the broker's user (`sudo -u secretd secretctl ...`). A deployment
// where admins run as root adds 0 (`secretd serve --admin-uid 0`); any
// other uid cannot pass the socket's 0600 mode anyway. Tests allow a uid
// other than their own to see refusals.
//
// Shutdown: stop accepting (join the accept thread), close and remove the
// socket (only if it is still ours), then shut gRPC down, letting calls in
// flight finish for `shutdown_grace` before cancelling them. Thread-safe;
// idempotent. The service must outlive the server.
#ifndef SECRETD_SECRETD_ADMIN_ADMIN_SERVER_H_
#define SECRETD_SECRETD_ADMIN_ADMIN_SERVER_H_

#include <sys/types.h>

#include <atomic>
#include <cstdint>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "grpcpp/grpcpp.h"
#include "secretd/admin/admin_service.h"
#include "secretd/admin/unix_socket.h"

namespace secretd {

struct AdminServerOptions {
  // Where to listen: DataDirLayout::admin_socket.
  std::string socket_path;
  // Peers whose connections are served. Empty: this process's euid only.
  std::vector<uid_t> allowed_uids;
  // How long Shutdown lets calls in flight finish before cancelling them.
  absl::Duration shutdown_grace = absl::Seconds(5);
};

class AdminServer final {
 public:
  // Creates the socket and starts serving. kInvalidArgument for an empty
  // socket path; the errors of ListenUnixSocket (kAlreadyExists when another
  // process serves the path, kFailedPrecondition when it is not a socket);
  // kInternal if gRPC cannot start.
  static absl::StatusOr<std::unique_ptr<AdminServer>> Start(
      const AdminServerOptions& options, AdminService& service);

  ~AdminServer();
  AdminServer(const AdminServer&) = delete;
  AdminServer& operator=(const AdminServer&) = delete;

  void Shutdown();

  const std::string& socket_path() const { return socket_path_; }
  const std::vector<uid_t>& allowed_uids() const { return allowed_uids_; }

  struct Stats {
    uint64_t accepted = 0;  // connections handed to gRPC
    uint64_t refused = 0;   // connections closed by the uid check
  };
  Stats stats() const;

 private:
  AdminServer(const AdminServerOptions& options, AdminService& service,
              UnixListener listener, UniqueFd wake,
              std::unique_ptr<grpc::Server> server);
  void AcceptLoop();
  void HandleConnection(UniqueFd connection);

  const std::string socket_path_;
  const std::vector<uid_t> allowed_uids_;
  const absl::Duration shutdown_grace_;
  AdminService& service_;
  UnixListener listener_;
  UniqueFd wake_;  // eventfd: written by Shutdown to stop the accept loop
  std::unique_ptr<grpc::Server> server_;
  std::thread accept_thread_;
  std::atomic<uint64_t> accepted_{0};
  std::atomic<uint64_t> refused_{0};
  absl::Mutex shutdown_mu_;
  bool shut_down_ ABSL_GUARDED_BY(shutdown_mu_) = false;
};

}  // namespace secretd

#endif  // SECRETD_SECRETD_ADMIN_ADMIN_SERVER_H_
