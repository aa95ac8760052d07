#include "secretd/server/broker_service.h"

#include <chrono>
#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "secretd/server/grpc_status.h"

namespace secretd {
namespace {

// Handling time from a monotonic clock (not the injected wall clock).
class Stopwatch {
 public:
  Stopwatch() : start_(std::chrono::steady_clock::now()) {}
  absl::Duration Elapsed() const {
    return absl::FromChrono(std::chrono::steady_clock::now() - start_);
  }

 private:
  std::chrono::steady_clock::time_point start_;
};

int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  c = absl::ascii_tolower(c);
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  return -1;
}

std::string PercentDecode(absl::string_view s) {
  std::string out;
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '%' && i + 2 < s.size()) {
      const int hi = HexValue(s[i + 1]), lo = HexValue(s[i + 2]);
      if (hi >= 0 && lo >= 0) {
        out.push_back(static_cast<char>(hi * 16 + lo));
        i += 2;
        continue;
      }
    }
    out.push_back(s[i]);
  }
  return out;
}

}  // namespace

std::string PeerAddress(absl::string_view peer) {
  absl::string_view rest;
  if (absl::StartsWith(peer, "ipv4:")) {
    rest = peer.substr(5);
  } else if (absl::StartsWith(peer, "ipv6:")) {
    rest = peer.substr(5);
  } else {
    return "";
  }
  // gRPC percent-encodes IPv6 brackets ("ipv6:%5B::1%5D:443"); IPv4 peers
  // need no decoding.
  std::string decoded;
  absl::string_view d = rest;
  if (rest.find('%') != absl::string_view::npos) {
    decoded = PercentDecode(rest);
    d = decoded;
  }
  if (absl::StartsWith(d, "[")) {
    const size_t close = d.find(']');
    if (close == absl::string_view::npos) return "";
    return std::string(d.substr(1, close - 1));
  }
  const size_t colon = d.rfind(':');
  return std::string(colon == absl::string_view::npos ? d : d.substr(0, colon));
}

BrokerService::BrokerService(Broker& broker, audit::AuditSink& audit,
                             BrokerMetrics& metrics,
                             BrokerServiceOptions options)
    : broker_(broker),
      audit_(audit),
      metrics_(metrics),
      options_(std::move(options)) {}

grpc::Status BrokerService::GetChallenge(
    grpc::ServerContext* context,
    const secretd::v1::GetChallengeRequest* request,
    secretd::v1::GetChallengeResponse* response) {
  Stopwatch watch;
  *response = broker_.GetChallenge();
  metrics_.RecordRequest(BrokerMetrics::Method::kGetChallenge,
                         absl::StatusCode::kOk, watch.Elapsed());
  return grpc::Status::OK;
}

grpc::Status BrokerService::Provision(
    grpc::ServerContext* context, const secretd::v1::ProvisionRequest* request,
    secretd::v1::ProvisionResponse* response) {
  Stopwatch watch;
  const CallerInfo caller{PeerAddress(context->peer())};
  const int now_in_flight = in_flight_.fetch_add(1) + 1;
  metrics_.SetInFlight(now_in_flight);
  ProvisionOutcome outcome;
  if (now_in_flight > options_.max_in_flight) {
    // Audit the refusal unless the log is failing, or so many refusals are
    // being written that auditing them would itself be the overload.
    bool audit = false;
    if (audit_.Healthy()) {
      if (rejecting_.fetch_add(1) < options_.max_in_flight) {
        audit = true;
      } else {
        rejecting_.fetch_sub(1);
      }
    }
    outcome = broker_.RejectOverLimit(
        *request, caller,
        absl::StrCat(now_in_flight, " Provision calls in flight; the limit is ",
                     options_.max_in_flight, " (--max-in-flight)"),
        audit);
    if (audit) rejecting_.fetch_sub(1);
  } else {
    if (options_.test_only_provision_delay > absl::ZeroDuration()) {
      absl::SleepFor(options_.test_only_provision_delay);
    }
    outcome = broker_.Provision(*request, caller);
  }
  metrics_.SetInFlight(in_flight_.fetch_sub(1) - 1);
  if (options_.after_provision) options_.after_provision(outcome);
  metrics_.RecordDecision(outcome.decision, outcome.reason);
  metrics_.RecordRequest(BrokerMetrics::Method::kProvision,
                         outcome.status.code(), watch.Elapsed());
  if (outcome.status.ok()) *response = std::move(outcome.response);
  return ToGrpcStatus(outcome.status);
}

}  // namespace secretd
