#include "secretd/server/admin_subsystem.h"

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "common/logging.h"
#include "common/status_macros.h"

namespace secretd {

absl::Status AdminSubsystem::Start(BrokerRuntime& runtime) {
  service_ = std::make_unique<AdminService>(
      runtime.store(), runtime.keyring(), runtime.audit(), runtime.random(),
      runtime.clock(), [&runtime] { runtime.RefreshState(); });
  AdminServerOptions options;
  const bool default_path = socket_path_.empty();
  options.socket_path =
      default_path ? runtime.layout().admin_socket : socket_path_;
  options.allowed_uids = allowed_uids_;
  absl::StatusOr<std::unique_ptr<AdminServer>> server =
      AdminServer::Start(options, *service_);
  if (!server.ok()) {
    service_.reset();
    if (default_path &&
        server.status().code() == absl::StatusCode::kAlreadyExists) {
      common::log::Warning(
          "the data directory's admin socket is served by another secretd "
          "(a replica on the same data directory); this replica serves none. "
          "Pass --admin-socket PATH to give it one of its own",
          {{"path", options.socket_path}});
      return absl::OkStatus();
    }
    return common::Annotate(server.status(), "admin socket");
  }
  server_ = std::move(*server);
  std::vector<uid_t> uids = allowed_uids_;
  if (uids.empty()) uids.push_back(geteuid());
  common::log::Info("admin socket serving",
                    {{"path", options.socket_path},
                     {"allowed_uids", absl::StrJoin(uids, ",")}});
  return absl::OkStatus();
}

void AdminSubsystem::Shutdown(absl::Time deadline) {
  if (server_ != nullptr) server_->Shutdown();
  server_.reset();
  service_.reset();
}

}  // namespace secretd
