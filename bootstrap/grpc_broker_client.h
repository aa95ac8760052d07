// BrokerClient over gRPC with TLS, pinned to the CA of --ca.
//
// Each client is a new channel with its own subchannel pool, so an attempt
// never inherits a previous attempt's connection backoff, and gRPC's own
// retries are off (the agent retries). Calls fail fast (no wait-for-ready):
// a broker that is down is UNAVAILABLE at once. The server certificate must
// chain to the CA in `ca_pem` and name the host of `target`.
#ifndef SECRETD_BOOTSTRAP_GRPC_BROKER_CLIENT_H_
#define SECRETD_BOOTSTRAP_GRPC_BROKER_CLIENT_H_

#include <memory>
#include <string>

#include "bootstrap/agent.h"
#include "grpcpp/grpcpp.h"
#include "proto/secretd/v1/broker.grpc.pb.h"

namespace bootstrap {

class GrpcBrokerClient final : public BrokerClient {
 public:
  // `target` is HOST:PORT; `ca_pem` the CA certificate(s) in PEM.
  static std::unique_ptr<BrokerClient> Connect(const std::string& target,
                                               const std::string& ca_pem);

  absl::StatusOr<secretd::v1::GetChallengeResponse> GetChallenge(
      absl::Time deadline) override;
  absl::StatusOr<secretd::v1::ProvisionResponse> Provision(
      const secretd::v1::ProvisionRequest& request,
      absl::Time deadline) override;

 private:
  explicit GrpcBrokerClient(std::unique_ptr<secretd::v1::Broker::Stub> stub)
      : stub_(std::move(stub)) {}
  std::unique_ptr<secretd::v1::Broker::Stub> stub_;
};

}  // namespace bootstrap

#endif  // SECRETD_BOOTSTRAP_GRPC_BROKER_CLIENT_H_
