// AdminService: the secretd.v1.Admin gRPC service (proto/secretd/v1/
// admin.proto, DESIGN.md §8): trust bundles, roles, secrets and KEK rotation,
// changed only here, so that every change is validated and audited in one
// place. AdminServer (admin_server.h) serves it on DATA_DIR/admin.sock;
// docs/admin.md is the user's guide.
//
//   AdminService service(store, keyring, audit_sink, random, clock,
//                        [&] { broker.RefreshCaches(); });
//   ASSIGN_OR_RETURN(auto server, AdminServer::Start(options, service));
//
// Every change goes: validate → append the audit record → commit.
//   - Validation comes first and is complete: a role's message lists every
//     error of every policy document (one per line, each naming the policy
//     and the JSON path); a JWKS must hold public verification keys only.
//     A refused request changes nothing and is recorded with its status
//     (INVALID_ARGUMENT, NOT_FOUND, ...).
//   - The `admin.*` record (docs/audit.md) with status OK is appended and made
//     durable before the store commits. If the append fails, nothing is
//     committed and the RPC returns UNAVAILABLE.
//   - If the commit then fails, a follow-up record of the same type and
//     request id carries the failure; the RPC returns the store's code.
//   So the last record of a request id is its outcome, and no change is ever
//   committed without a durable record. A secret version's number is only
//   known inside the store's write transaction: its record is appended
//   there (SecretVault::Put's before-commit hook); likewise a KEK rotation's
//   record is appended once the new KEK's id is known, before the rewrap
//   (Keyring::RotateKek's hook).
//
// Secret values are write-only: no RPC returns one. PutSecret moves the
// value into a keys::SecretBytes and wipes the request's `value` field at
// once; gRPC's own receive buffers (the serialized message) are freed
// without wiping, which protobuf and gRPC offer no way to change: the
// admin socket is local and the broker process disables core dumps.
//
// Each RPC answers with the trailing metadata `secretd-request-id`, the id
// its audit record carries. Peers are identified by SO_PEERCRED of the
// connection the call came on (AdminServer hands gRPC one fd per connection;
// gRPC names such a peer "fd:<n>"); calls from elsewhere (an in-process
// channel in tests) are recorded with peer_uid and peer_pid -1.
//
// Mutating RPCs are serialised within one service (admin traffic is rare);
// reads run concurrently. Thread-safe. Every collaborator must outlive the
// service.
#ifndef SECRETD_SECRETD_ADMIN_ADMIN_SERVICE_H_
#define SECRETD_SECRETD_ADMIN_ADMIN_SERVICE_H_

#include <cstddef>
#include <functional>
#include <string>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"
#include "common/clock.h"
#include "grpcpp/grpcpp.h"
#include "keys/random.h"
#include "proto/secretd/v1/admin.grpc.pb.h"
#include "secretd/admin/unix_socket.h"
#include "secretd/audit/audit_sink.h"
#include "secretd/keyring/keyring.h"
#include "secretd/store/store.h"

namespace secretd {

// Limits checked before anything is stored (DESIGN.md §5 for policies).
inline constexpr size_t kMaxSecretValueBytes = 64 * 1024;
inline constexpr size_t kMaxTrustJwksBytes = 64 * 1024;
inline constexpr size_t kMaxIssuerBytes = 1024;
inline constexpr size_t kMaxPolicyNameBytes = 128;
// The largest request the admin server accepts (a role with eleven 10 KiB
// documents fits many times); larger ones get RESOURCE_EXHAUSTED from gRPC.
inline constexpr int kMaxAdminMessageBytes = 512 * 1024;
// The trailing metadata key carrying the request id.
inline constexpr char kRequestIdMetadataKey[] = "secretd-request-id";

class AdminService final : public v1::Admin::Service {
 public:
  // Called after every committed change (the broker reloads its caches).
  // Runs on the RPC's thread; must not call back into the service.
  using ChangeCallback = std::function<void()>;

  AdminService(Store& store, Keyring& keyring, audit::AuditSink& audit,
               keys::RandomSource& random, const common::Clock& clock,
               ChangeCallback on_change);

  AdminService(const AdminService&) = delete;
  AdminService& operator=(const AdminService&) = delete;

  grpc::Status PutTrust(grpc::ServerContext* context,
                        const v1::PutTrustRequest* request,
                        v1::PutTrustResponse* response) override;
  grpc::Status ListTrust(grpc::ServerContext* context,
                         const v1::ListTrustRequest* request,
                         v1::ListTrustResponse* response) override;
  grpc::Status DeleteTrust(grpc::ServerContext* context,
                           const v1::DeleteTrustRequest* request,
                           v1::DeleteTrustResponse* response) override;

  grpc::Status PutRole(grpc::ServerContext* context,
                       const v1::PutRoleRequest* request,
                       v1::PutRoleResponse* response) override;
  grpc::Status GetRole(grpc::ServerContext* context,
                       const v1::GetRoleRequest* request,
                       v1::Role* response) override;
  grpc::Status ListRoles(grpc::ServerContext* context,
                         const v1::ListRolesRequest* request,
                         v1::ListRolesResponse* response) override;
  grpc::Status DeleteRole(grpc::ServerContext* context,
                          const v1::DeleteRoleRequest* request,
                          v1::DeleteRoleResponse* response) override;

  grpc::Status PutSecret(grpc::ServerContext* context,
                         const v1::PutSecretRequest* request,
                         v1::PutSecretResponse* response) override;
  grpc::Status ListSecrets(grpc::ServerContext* context,
                           const v1::ListSecretsRequest* request,
                           v1::ListSecretsResponse* response) override;
  grpc::Status DisableSecretVersion(
      grpc::ServerContext* context,
      const v1::DisableSecretVersionRequest* request,
      v1::DisableSecretVersionResponse* response) override;

  grpc::Status RotateKek(grpc::ServerContext* context,
                         const v1::RotateKekRequest* request,
                         v1::RotateKekResponse* response) override;

  // Appends an `admin.denied` record (status PERMISSION_DENIED) for a peer
  // whose connection the admin server refused, with `reason` as message.
  // An audit failure is logged; the connection is refused either way.
  void RecordDeniedPeer(const PeerCredentials& peer, absl::string_view reason);

 private:
  class Change;

  // A fresh random request id (16 hex digits), also sent to the client.
  std::string NewRequestId(grpc::ServerContext* context);

  Store& store_;
  Keyring& keyring_;
  audit::AuditSink& audit_;
  keys::RandomSource& random_;
  const common::Clock& clock_;
  const ChangeCallback on_change_;
  // Serialises validate → audit → commit of mutating RPCs.
  absl::Mutex change_mu_;
};

// The peer of a call that came on a connection AdminServer accepted:
// SO_PEERCRED of the connection's fd (gRPC names the peer "fd:<n>").
// uid and pid -1 for any other peer.
PeerCredentials PeerOfCall(const grpc::ServerContext& context);

}  // namespace secretd

#endif  // SECRETD_SECRETD_ADMIN_ADMIN_SERVICE_H_
