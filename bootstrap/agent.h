// The agent's provisioning flow (DESIGN.md §2), with retries.
//
//   Agent agent(options, [&] { return GrpcBrokerClient::Connect(...); },
//               attestor, verifier, key_pair, clock, sleep, bitgen);
//   absl::StatusOr<VerifiedRelease> release = agent.Run();
//
// One attempt: a new broker connection, GetChallenge, a token from the
// attestor for that challenge, the broker's audience and the agent's public
// key (checked to carry them), Provision, then ResponseVerifier::Verify.
// The key pair is the same for every attempt; the challenge and the token
// are fresh each time.
//
// Retries: an attempt that fails with UNAVAILABLE, DEADLINE_EXCEEDED or
// RESOURCE_EXHAUSTED (busy) from the broker, connection errors included, or
// with a retryable attestor error (kUnavailable: an HTTP endpoint not up
// yet), is repeated after a Backoff delay (shortened so that a last attempt
// starts 100 ms before the deadline), until the overall deadline
// (options.timeout from the start). Everything else is final at once:
// PERMISSION_DENIED, UNAUTHENTICATED, INVALID_ARGUMENT and any other broker
// answer, a failed attestation command, a response that fails verification,
// and a broker certificate that TLS refuses (ClassifyTlsFailure: it does not
// name broker_host, or does not chain to --ca), which no retry can change.
//
// Errors carry an exit code (exit_code.h): broker codes map by ExitCodeOf;
// a refused broker certificate is kUnreachable with code FAILED_PRECONDITION
// and a message that says what to fix;
// attestation failures are kAttestationFailed (also when the deadline ends
// a series of retryable ones); verification failures kVerificationFailed;
// a malformed challenge kVerificationFailed. Messages start with what
// failed and, for the broker's answers, keep the broker's message (which
// names the request id). Not thread-safe.
#ifndef SECRETD_BOOTSTRAP_AGENT_H_
#define SECRETD_BOOTSTRAP_AGENT_H_

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "absl/random/bit_gen_ref.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "bootstrap/attestor.h"
#include "bootstrap/backoff.h"
#include "bootstrap/response_check.h"
#include "common/clock.h"
#include "keys/x25519.h"
#include "proto/secretd/v1/broker.pb.h"
#include "secretd/names/secret_name.h"

namespace bootstrap {

// The two broker calls. Errors are the broker's gRPC status as an
// absl::Status with the same code and message.
class BrokerClient {
 public:
  virtual ~BrokerClient() = default;
  virtual absl::StatusOr<secretd::v1::GetChallengeResponse> GetChallenge(
      absl::Time deadline) = 0;
  virtual absl::StatusOr<secretd::v1::ProvisionResponse> Provision(
      const secretd::v1::ProvisionRequest& request, absl::Time deadline) = 0;
};

// Why TLS refused the broker's certificate, read from the UNAVAILABLE
// status gRPC reports for a failed handshake ("Peer name HOST is not in peer
// certificate"; OpenSSL's "certificate verify failed"). kNone for anything
// else, connection failures included.
enum class TlsFailure { kNone, kNameMismatch, kUntrusted };
TlsFailure ClassifyTlsFailure(const absl::Status& status);

// Makes a fresh connection for one attempt.
using BrokerClientFactory = std::function<std::unique_ptr<BrokerClient>()>;

struct AgentOptions {
  std::string broker;       // HOST:PORT, for messages
  std::string broker_host;  // HOST of `broker`, for certificate messages
  std::string ca_file;      // the --ca path, for certificate messages
  std::string role;
  std::vector<secretd::SecretRef> secrets;  // distinct names
  absl::Duration timeout = absl::Seconds(60);
  absl::Duration attest_timeout = absl::Seconds(10);
  absl::Duration rpc_timeout = absl::Seconds(15);
  BackoffOptions backoff;
};

class Agent {
 public:
  // All references must outlive the agent. `sleep` waits (absl::SleepFor in
  // production; tests advance a FakeClock).
  Agent(AgentOptions options, BrokerClientFactory connect, Attestor& attestor,
        const ResponseVerifier& verifier, const keys::X25519KeyPair& key_pair,
        const common::Clock& clock, std::function<void(absl::Duration)> sleep,
        absl::BitGenRef random);

  // Runs attempts until one succeeds, one fails finally, or the deadline.
  absl::StatusOr<VerifiedRelease> Run();

  // Attempts made by the last Run().
  int attempts() const { return attempts_; }

 private:
  absl::StatusOr<VerifiedRelease> Attempt(absl::Time deadline);

  AgentOptions options_;
  BrokerClientFactory connect_;
  Attestor& attestor_;
  const ResponseVerifier& verifier_;
  const keys::X25519KeyPair& key_pair_;
  const common::Clock& clock_;
  std::function<void(absl::Duration)> sleep_;
  absl::BitGenRef random_;
  int attempts_ = 0;
};

}  // namespace bootstrap

#endif  // SECRETD_BOOTSTRAP_AGENT_H_
