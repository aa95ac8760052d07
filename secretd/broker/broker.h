// Broker: the request logic of the secretd.v1.Broker service (docs/DESIGN.md
// §2-§4), independent of gRPC, shared by `secretd serve` and `secretd
// invoke`.
//
//   Broker broker(options, state_cache, keys, store, audit_sink, clock,
//                 random);
//   ProvisionOutcome out = broker.Provision(request, {"203.0.113.7"});
//   if (out.status.ok()) send(out.response); else send(out.status);
//
// Provision is a function of (request, the state snapshot taken at its
// start, the broker's keys, the clock, the store): no per-client state is
// kept, so any replica can answer any request. Its steps, in order; the
// first failure decides the answer:
//
//   1. limits      token size, number of secrets       RESOURCE_EXHAUSTED
//   2. form        token present, role and secret names valid, no name
//                  twice, at least one secret          INVALID_ARGUMENT
//   3. token       TokenVerifier with the broker's audience, leeway 30 s, the
//                  role's max lifetime (600 s for an unknown role), the nonce
//                  checked against the keyring's challenges, cnf X25519;
//                  then the claims as policy context (claims that would
//                  alias each other: token.claim_invalid)
//                                                      UNAUTHENTICATED
//   4. role        unknown (or stored but not compilable)  PERMISSION_DENIED
//   5. trust       secretd:AssumeRole on role/<name>   PERMISSION_DENIED
//   6. permission  secrets:Get on secret/<name> for every secret; then every
//                  permitted secret is read from the store; a secret that
//                  does not exist is denied like a policy deny, so names
//                  cannot be probed; all or nothing    PERMISSION_DENIED
//   7. decrypt     a row under a KEK the keyring lacks reloads the keyring
//                  once, then fails closed            UNAVAILABLE
//   8. single use  role.single_use_tokens: Store::RecordTokenUse(iss, jti,
//                  exp + leeway); a second use         UNAUTHENTICATED
//   9. release     SecretBundle sealed to the cnf key, signed with the
//                  release key
//  10. audit       one durable record for every outcome of steps 1-9; if it
//                  cannot be written the answer is UNAVAILABLE and nothing is
//                  released
//
// The token is verified before the role is looked up, so an unauthenticated
// caller cannot tell a role that exists from one that does not. Store errors
// are UNAVAILABLE (reason store.unavailable).
//
// The client sees a generic message with the request id
// ("attestation token rejected (request 7f3c2a91e0b4c5d6); an operator can
// find the reason in the audit log"); the audit record and the log line carry
// the precise reason (docs/audit.md). Thread-safe: any number of concurrent
// Provision calls.
#ifndef SECRETD_SECRETD_BROKER_BROKER_H_
#define SECRETD_SECRETD_BROKER_BROKER_H_

#include <atomic>
#include <cstdint>
#include <memory>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "common/clock.h"
#include "keys/ed25519.h"
#include "keys/random.h"
#include "proto/secretd/v1/broker.pb.h"
#include "secretd/audit/audit_sink.h"
#include "secretd/broker/state_cache.h"
#include "secretd/keyring/keyring.h"
#include "secretd/store/store.h"

namespace secretd {

// What the broker needs from its key material: the current KEKs and
// challenge keys (reloadable), and the release signing key.
class BrokerKeySource {
 public:
  virtual ~BrokerKeySource() = default;
  // The current KEK ring and challenge set. Never null. Thread-safe.
  virtual std::shared_ptr<const KeySet> Current() const = 0;
  // Signs releases. Thread-safe; lives as long as the source.
  virtual const keys::Ed25519Signer& release_signer() const = 0;
  // Re-reads the KEKs (e.g. after another replica rotated them). On error
  // the current keys stay.
  virtual absl::Status Reload() = 0;
};

// A Keyring as a BrokerKeySource. `keyring` must outlive it.
class KeyringKeySource final : public BrokerKeySource {
 public:
  explicit KeyringKeySource(Keyring& keyring) : keyring_(keyring) {}
  std::shared_ptr<const KeySet> Current() const override {
    return keyring_.Current();
  }
  const keys::Ed25519Signer& release_signer() const override {
    return keyring_.release_signer();
  }
  absl::Status Reload() override { return keyring_.Reload(); }

 private:
  Keyring& keyring_;
};

struct BrokerOptions {
  // The broker's audience: tokens must name it in `aud`. Required.
  std::string audience;
  // Tokens longer than this are refused (RESOURCE_EXHAUSTED) before any
  // parsing. At most keys::kMaxTokenBytes (16 KiB).
  size_t max_token_bytes = 16 * 1024;
  // Secrets one Provision may name.
  size_t max_secrets = 64;
  // Clock skew allowed on the token's times (DESIGN.md §3: 30 s).
  absl::Duration leeway = absl::Seconds(30);
};

// kInvalidArgument naming the option if `options` cannot work.
absl::Status ValidateBrokerOptions(const BrokerOptions& options);

// What the transport knows about the caller.
struct CallerInfo {
  std::string source_ip;  // "" if unknown (secretd invoke without one)
};

// The result of one Provision.
struct ProvisionOutcome {
  // OK, or the answer for the client: the status code of DESIGN.md §4 with a
  // generic message that names the request id (never a reason, a policy or a
  // secret the caller did not name).
  absl::Status status;
  secretd::v1::ProvisionResponse response;  // set when status is OK
  std::string request_id;
  std::string decision;  // "allow" or "deny"
  // The audit reason ("ok", "token.expired", ...), or "audit.unavailable"
  // when the record could not be written (the answer is then UNAVAILABLE).
  std::string reason;
  bool audited = false;  // a durable record was written
};

class Broker {
 public:
  // Everything must outlive the broker. kInvalidArgument from
  // ValidateBrokerOptions is the caller's to check first.
  Broker(BrokerOptions options, const StateCache& state, BrokerKeySource& keys,
         Store& store, audit::AuditSink& audit, const common::Clock& clock,
         keys::RandomSource& random);

  Broker(const Broker&) = delete;
  Broker& operator=(const Broker&) = delete;

  const BrokerOptions& options() const { return options_; }

  // A fresh challenge from the current challenge key, its expiry and the
  // audience. Not audited (DESIGN.md §7). Never fails.
  secretd::v1::GetChallengeResponse GetChallenge() const;

  // Runs the steps above and returns the answer. Never throws; every
  // outcome but "audit.unavailable" has exactly one audit record.
  ProvisionOutcome Provision(const secretd::v1::ProvisionRequest& request,
                             const CallerInfo& caller);

  // The answer to a Provision refused because too many are in flight:
  // RESOURCE_EXHAUSTED, reason request.over_limit. Audited if `audit` is
  // true (the caller passes false when the audit log is unhealthy or itself
  // overloaded). The token is not verified.
  ProvisionOutcome RejectOverLimit(const secretd::v1::ProvisionRequest& request,
                                   const CallerInfo& caller,
                                   absl::string_view why, bool audit);

  // A new request id: 16 lower-case hex digits (64 random bits).
  std::string NewRequestId() const;

 private:
  struct Attempt;
  ProvisionOutcome Finish(Attempt& attempt,
                          secretd::v1::ProvisionResponse* response);

  const BrokerOptions options_;
  const StateCache& state_;
  BrokerKeySource& keys_;
  Store& store_;
  audit::AuditSink& audit_;
  const common::Clock& clock_;
  keys::RandomSource& random_;
  const std::string release_key_id_;
};

}  // namespace secretd

#endif  // SECRETD_SECRETD_BROKER_BROKER_H_
