#include "secretd/admin/admin_server.h"

#include <poll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "common/logging.h"
#include "common/status_macros.h"
#include "grpcpp/server_posix.h"

namespace secretd {

absl::StatusOr<std::unique_ptr<AdminServer>> AdminServer::Start(
    const AdminServerOptions& options, AdminService& service) {
  if (options.socket_path.empty()) {
    return absl::InvalidArgumentError("the admin socket path is empty");
  }
  UniqueFd wake(eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK));
  if (!wake.valid()) {
    return absl::InternalError(
        absl::StrCat("eventfd failed: ", std::strerror(errno)));
  }
  // gRPC first: nothing to undo on the file system if it fails.
  grpc::ServerBuilder builder;
  builder.RegisterService(&service);
  builder.SetMaxReceiveMessageSize(kMaxAdminMessageBytes);
  std::unique_ptr<grpc::Server> server = builder.BuildAndStart();
  if (server == nullptr) {
    return absl::InternalError("cannot start the admin gRPC server");
  }
  absl::StatusOr<UnixListener> listener =
      ListenUnixSocket(options.socket_path, 0600);
  if (!listener.ok()) {
    server->Shutdown();
    server->Wait();
    return listener.status();
  }
  std::unique_ptr<AdminServer> admin(
      new AdminServer(options, service, *std::move(listener), std::move(wake),
                      std::move(server)));
  admin->accept_thread_ = std::thread([a = admin.get()] { a->AcceptLoop(); });
  std::vector<std::string> uids;
  for (uid_t uid : admin->allowed_uids_) uids.push_back(absl::StrCat(uid));
  common::log::Info("admin socket listening",
                    {{"path", admin->socket_path_},
                     {"allowed_uids", absl::StrJoin(uids, ",")}});
  return admin;
}

AdminServer::AdminServer(const AdminServerOptions& options,
                         AdminService& service, UnixListener listener,
                         UniqueFd wake, std::unique_ptr<grpc::Server> server)
    : socket_path_(options.socket_path),
      allowed_uids_(options.allowed_uids.empty() ? std::vector<uid_t>{geteuid()}
                                                 : options.allowed_uids),
      shutdown_grace_(options.shutdown_grace),
      service_(service),
      listener_(std::move(listener)),
      wake_(std::move(wake)),
      server_(std::move(server)) {}

AdminServer::~AdminServer() { Shutdown(); }

void AdminServer::Shutdown() {
  absl::MutexLock lock(&shutdown_mu_);
  if (shut_down_) return;
  shut_down_ = true;
  // 1. No new connection reaches gRPC once the accept thread is gone.
  const uint64_t one = 1;
  if (write(wake_.get(), &one, sizeof(one)) < 0) {
    common::log::Error("cannot wake the admin accept thread",
                       {{"error", std::strerror(errno)}});
  }
  if (accept_thread_.joinable()) accept_thread_.join();
  // 2. The socket goes (a newer server's socket at the path stays).
  RemoveUnixSocket(socket_path_, listener_);
  listener_.fd.reset();
  wake_.reset();
  // 3. Calls in flight get the grace period; gRPC closes the connections.
  server_->Shutdown(
      std::chrono::time_point_cast<std::chrono::system_clock::duration>(
          std::chrono::system_clock::now() +
          absl::ToChronoNanoseconds(shutdown_grace_)));
  server_->Wait();
  common::log::Info("admin socket closed", {{"path", socket_path_}});
}

AdminServer::Stats AdminServer::stats() const {
  Stats s;
  s.accepted = accepted_.load();
  s.refused = refused_.load();
  return s;
}

void AdminServer::AcceptLoop() {
  for (;;) {
    pollfd fds[2] = {{listener_.fd.get(), POLLIN, 0}, {wake_.get(), POLLIN, 0}};
    if (poll(fds, 2, -1) < 0) {
      if (errno == EINTR) continue;
      common::log::Error("admin socket poll failed; no longer accepting",
                         {{"error", std::strerror(errno)}});
      return;
    }
    if (fds[1].revents != 0) return;
    if (fds[0].revents == 0) continue;
    UniqueFd connection(accept4(listener_.fd.get(), nullptr, nullptr,
                                SOCK_CLOEXEC | SOCK_NONBLOCK));
    if (!connection.valid()) {
      const int err = errno;
      if (err == EAGAIN || err == EWOULDBLOCK || err == EINTR ||
          err == ECONNABORTED) {
        continue;
      }
      common::log::Error("admin socket accept failed",
                         {{"error", std::strerror(err)}});
      if (err == EMFILE || err == ENFILE || err == ENOBUFS || err == ENOMEM) {
        // Out of descriptors or memory: back off instead of spinning.
        pollfd wake = {wake_.get(), POLLIN, 0};
        if (poll(&wake, 1, 100) > 0) return;
      }
      continue;
    }
    HandleConnection(std::move(connection));
  }
}

void AdminServer::HandleConnection(UniqueFd connection) {
  absl::StatusOr<PeerCredentials> peer = GetPeerCredentials(connection.get());
  if (!peer.ok()) {
    refused_.fetch_add(1);
    service_.RecordDeniedPeer(PeerCredentials{}, peer.status().message());
    return;  // closes the connection
  }
  const bool allowed =
      std::find(allowed_uids_.begin(), allowed_uids_.end(),
                static_cast<uid_t>(peer->uid)) != allowed_uids_.end();
  if (!allowed) {
    refused_.fetch_add(1);
    std::vector<std::string> uids;
    for (uid_t uid : allowed_uids_) uids.push_back(absl::StrCat(uid));
    service_.RecordDeniedPeer(
        *peer, absl::StrCat("uid ", peer->uid,
                            " may not use the admin socket (allowed uids: ",
                            absl::StrJoin(uids, ", "),
                            "); run secretctl as the broker's user"));
    return;  // closes the connection
  }
  accepted_.fetch_add(1);
  // gRPC owns the fd from here and closes it with the connection.
  grpc::AddInsecureChannelFromFd(server_.get(), connection.release());
}

}  // namespace secretd
