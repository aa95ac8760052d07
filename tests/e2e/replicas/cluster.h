// Several real `secretd serve` replicas on one PostgreSQL database, laid out
// as a deployment of N hosts would be: each replica has a data directory of
// its own holding a copy of one `secretctl init`'s keys/ and tls/ (no
// store.db: the store is the database), its own audit log, its own admin
// socket (DATA_DIR/admin.sock), and its own port. Testonly.
//
//   ASSERT_OK_AND_ASSIGN(auto cluster, ReplicaCluster::Create(
//       {.store_url = schema->url()}));
//   ASSERT_OK(cluster->StartReplicas(3, {}));
//   ASSERT_OK(cluster->Secretctl(0, {"secret", "put", "app/x",
//                                    "--value-file", "-"}, "value").status());
//   ASSERT_OK_AND_ASSIGN(std::string token, cluster->Token(2, pair));
//   cluster->broker(2).Provision(...);
//
// Thread-compatible, except broker(), Token() and ProvisionOnce(), which
// may be called from several threads once the replicas run.
#ifndef SECRETD_TESTS_E2E_REPLICAS_CLUSTER_H_
#define SECRETD_TESTS_E2E_REPLICAS_CLUSTER_H_

#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "grpcpp/grpcpp.h"
#include "keys/x25519.h"
#include "nlohmann/json.hpp"
#include "proto/secretd/v1/admin.grpc.pb.h"
#include "proto/secretd/v1/broker.grpc.pb.h"
#include "tests/e2e/broker/harness.h"

namespace secretd::testing {

inline constexpr char kClusterAudience[] = "secretd.replicas";
inline constexpr char kClusterIssuer[] = "attest.replicas";

// A trust policy for kClusterIssuer and a permission policy allowing
// secret/<prefix>*.
std::string ClusterTrustPolicy();
std::string ReadPolicy(absl::string_view resource_prefix);

class ReplicaCluster {
 public:
  struct Options {
    std::string store_url;  // a postgresql:// URL (required)
    // When set, replica i connects with application_name
    // "<prefix>/<replica id>", so pg_stat_activity tells replicas apart.
    std::string application_name_prefix;
  };

  // `secretctl init` of the seed data directory and the attestor's keys
  // (`secretctl attest keygen`). No replica runs yet.
  static absl::StatusOr<std::unique_ptr<ReplicaCluster>> Create(
      const Options& options);
  ~ReplicaCluster();  // SIGKILLs replicas still running

  // Starts `count` more replicas ("replica-a", "replica-b", ...), each on a
  // new data directory with copies of the seed's keys/ and tls/, with
  // `--store URL --replica-id ID` and `extra_args`. Returns once every one
  // logged "secretd serving".
  absl::Status StartReplicas(int count,
                             const std::vector<std::string>& extra_args);

  int size() const { return static_cast<int>(replicas_.size()); }
  ServerProcess& server(int i) { return *replicas_[i].server; }
  const std::string& replica_id(int i) const { return replicas_[i].id; }
  // The application_name replica i's connections carry ("" without
  // Options::application_name_prefix).
  std::string application_name(int i) const;
  const std::string& data_dir(int i) const { return replicas_[i].data_dir; }
  std::string admin_socket(int i) const;
  std::string audit_path(int i) const;
  const std::string& root() const { return root_; }
  const Attestor& attestor() const { return attestor_; }
  secretd::v1::Broker::Stub& broker(int i) { return *replicas_[i].broker; }

  // Runs `secretctl --admin-socket <replica i's socket> ARGS...` (the real
  // CLI, as an admin on that replica's host would). kInternal with its
  // stderr unless it exits 0; its stdout otherwise.
  absl::StatusOr<std::string> Secretctl(int i,
                                        const std::vector<std::string>& args,
                                        const std::string& stdin_data = "");
  // A gRPC Admin client on replica i's socket, for tests that time calls.
  absl::StatusOr<std::unique_ptr<secretd::v1::Admin::Stub>> AdminStub(int i);

  // Trusts the attestor (through replica i's admin socket).
  absl::Status TrustAttestor(int i);
  // Puts role `name` (trust: the attestor; permissions: ReadPolicy(prefix))
  // through replica i's admin socket with secretctl.
  absl::Status PutRole(int i, const std::string& name,
                       const std::string& prefix, bool single_use = false);

  // A token for replica i's challenge, bound to `pair`'s public key,
  // signed in-process with the attestor's key. `subject` names the
  // instance.
  absl::StatusOr<std::string> Token(int i, const keys::X25519KeyPair& pair,
                                    const std::string& subject = "i-1");

  // SIGTERMs every replica and waits (audit logs closed with a final
  // checkpoint). The exit codes, in order.
  std::vector<int> StopAll();

 private:
  struct Replica {
    std::string id;
    std::string data_dir;
    std::unique_ptr<ServerProcess> server;
    std::unique_ptr<secretd::v1::Broker::Stub> broker;
  };
  ReplicaCluster() = default;

  Options options_;
  std::string root_;
  std::string seed_;  // the `secretctl init` directory
  std::string jwks_path_;
  Attestor attestor_;
  std::vector<Replica> replicas_;
};

// A TLS channel to 127.0.0.1:port trusting `ca_pem_path`, for the name
// "localhost".
std::shared_ptr<grpc::Channel> TlsChannelTo(const std::string& ca_pem_path,
                                            int port);

// Every record of the audit logs `paths`, one after the other (lines that
// do not parse as null).
std::vector<nlohmann::json> ReadAuditLogs(
    const std::vector<std::string>& paths);

// p-th percentile (0-100) of `values` (sorted in place); 0 when empty.
double Percentile(std::vector<double>& values, double p);

}  // namespace secretd::testing

#endif  // SECRETD_TESTS_E2E_REPLICAS_CLUSTER_H_
