// AdminSubsystem: the secretd.v1.Admin service on DATA_DIR/admin.sock,
// started and stopped with the broker (DESIGN.md §8, docs/admin.md).
//
//   runtime->AddSubsystem(std::make_unique<AdminSubsystem>(allowed_uids));
//
// Changes made through it are written to the runtime's store, audited in the
// runtime's audit log, and reach the broker at once (RefreshState) instead
// of at the next poll. `allowed_uids` empty: only the broker's own euid.
//
// Socket path: `socket_path`, or DATA_DIR/admin.sock when empty. Several
// replicas may share one data directory: when the default socket is already
// served by another live secretd, this replica serves none and says so (the
// data directory's socket changes the shared store either way). A socket
// path given explicitly must be free.
#ifndef SECRETD_SECRETD_SERVER_ADMIN_SUBSYSTEM_H_
#define SECRETD_SECRETD_SERVER_ADMIN_SUBSYSTEM_H_

#include <sys/types.h>

#include <memory>
#include <string>
#include <vector>

#include "secretd/admin/admin_server.h"
#include "secretd/admin/admin_service.h"
#include "secretd/server/runtime.h"

namespace secretd {

class AdminSubsystem final : public Subsystem {
 public:
  AdminSubsystem(std::string socket_path, std::vector<uid_t> allowed_uids)
      : socket_path_(std::move(socket_path)),
        allowed_uids_(std::move(allowed_uids)) {}

  std::string name() const override { return "admin socket"; }
  absl::Status Start(BrokerRuntime& runtime) override;
  void Shutdown(absl::Time deadline) override;

 private:
  const std::string socket_path_;
  const std::vector<uid_t> allowed_uids_;
  std::unique_ptr<AdminService> service_;
  std::unique_ptr<AdminServer> server_;
};

}  // namespace secretd

#endif  // SECRETD_SECRETD_SERVER_ADMIN_SUBSYSTEM_H_
