// BrokerService: secretd.v1.Broker over gRPC, a thin layer over Broker
// (secretd/broker/broker.h): it takes the caller's address, enforces the
// limit of concurrent Provision calls, converts the result (ToGrpcStatus)
// and records metrics.
//
// Synchronous gRPC service: each call runs on a thread of the server's pool,
// so a call may block on the audit log's group commit without stalling the
// transport. Thread-safe.
#ifndef SECRETD_SECRETD_SERVER_BROKER_SERVICE_H_
#define SECRETD_SECRETD_SERVER_BROKER_SERVICE_H_

#include <atomic>
#include <functional>
#include <string>

#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "proto/secretd/v1/broker.grpc.pb.h"
#include "secretd/audit/audit_sink.h"
#include "secretd/broker/broker.h"
#include "secretd/server/broker_metrics.h"

namespace secretd {

struct BrokerServiceOptions {
  // Provision calls handled at once; one more is answered
  // RESOURCE_EXHAUSTED (reason request.over_limit).
  int max_in_flight = 128;
  // Testing only: every Provision waits this long before it is handled, so
  // that tests can have calls in flight at a chosen moment.
  absl::Duration test_only_provision_delay = absl::ZeroDuration();
  // Called after every Provision with its outcome (the runtime updates the
  // health status at once when the audit log failed or recovered).
  std::function<void(const ProvisionOutcome&)> after_provision;
};

// The caller's IP address from a gRPC peer string ("ipv4:10.0.0.1:5000",
// "ipv6:[::1]:5000", "ipv6:%5B::1%5D:5000"); "" for other transports.
std::string PeerAddress(absl::string_view peer);

class BrokerService final : public secretd::v1::Broker::Service {
 public:
  // Everything must outlive the service.
  BrokerService(Broker& broker, audit::AuditSink& audit, BrokerMetrics& metrics,
                BrokerServiceOptions options);

  grpc::Status GetChallenge(
      grpc::ServerContext* context,
      const secretd::v1::GetChallengeRequest* request,
      secretd::v1::GetChallengeResponse* response) override;
  grpc::Status Provision(grpc::ServerContext* context,
                         const secretd::v1::ProvisionRequest* request,
                         secretd::v1::ProvisionResponse* response) override;

  int in_flight() const { return in_flight_.load(std::memory_order_relaxed); }

 private:
  Broker& broker_;
  audit::AuditSink& audit_;
  BrokerMetrics& metrics_;
  const BrokerServiceOptions options_;
  std::atomic<int> in_flight_{0};
  std::atomic<int> rejecting_{0};  // over-limit answers being audited
};

}  // namespace secretd

#endif  // SECRETD_SECRETD_SERVER_BROKER_SERVICE_H_
