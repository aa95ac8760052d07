// Builds the broker's side of a Provision answer, correctly or forged, for
// tests of the agent (and its fuzzer): a SecretBundle sealed to the
// recipient and signed with a release key, exactly as DESIGN.md §4 says.
//
//   bootstrap::testing::ReleaseInput in = ReleaseFor(token, "web", {...}, now);
//   secretd::v1::ProvisionResponse r =
//       BuildResponse(in, recipient_public_key, *release_signer);
//   r = BuildResponse(in, pk, *release_signer, Forgery::kOtherRole);
//
// Testonly. Thread-safe.
#ifndef SECRETD_BOOTSTRAP_TESTING_RELEASE_BUILDER_H_
#define SECRETD_BOOTSTRAP_TESTING_RELEASE_BUILDER_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "keys/ed25519.h"
#include "proto/secretd/v1/broker.pb.h"

namespace bootstrap::testing {

// What a correct answer holds. Plain strings: test values are not secret.
struct ReleaseInput {
  std::string request_id = "req-0001";
  std::string role;
  std::string subject;
  std::string token_id;
  std::string token_sha256;  // 32 raw bytes
  int64_t issued_at = 0;
  int64_t expires_at = 0;
  struct Secret {
    std::string name;
    int64_t version = 1;
    std::string value;
  };
  std::vector<Secret> secrets;
};

// The ways a response can be wrong. Each changes one thing and signs the
// result correctly (except the signature forgeries), so only the agent's
// checks of its own request catch it.
enum class Forgery {
  kNone,
  // A valid seal, signed by another Ed25519 key (claiming the pinned id).
  kWrongSigningKey,
  // release_key_id of another key.
  kWrongKeyId,
  // The signature covers another recipient key.
  kSignedForOtherRecipient,
  // Sealed to a key the agent does not hold.
  kSealedToOtherKey,
  // The sealed plaintext is not a SecretBundle.
  kGarbageBundle,
  // The bundle's request_id differs from the response's.
  kOtherRequestId,
  kOtherRole,
  kOtherSubject,
  kOtherTokenId,
  kOtherTokenHash,
  // The last secret dropped.
  kMissingSecret,
  // One more, unrequested, secret.
  kExtraSecret,
  // The first secret's version + 1 (a mismatch only when the request pinned
  // that version).
  kOtherVersion,
  // expires_at in the past.
  kExpired,
  // response.expires_at != bundle.expires_at.
  kExpiryMismatch,
};

std::vector<Forgery> AllForgeries();
absl::string_view ForgeryName(Forgery forgery);

// The input for a correct answer to `token` (its sub, jti and SHA-256),
// issued at `now`, expiring an hour later.
absl::StatusOr<ReleaseInput> ReleaseFor(
    absl::string_view token, absl::string_view role,
    std::vector<ReleaseInput::Secret> secrets, absl::Time now);

// The serialized SecretBundle of `input`.
std::string SerializeBundle(const ReleaseInput& input);

// The response: sealed to `recipient_public_key`, signed by `release`.
secretd::v1::ProvisionResponse BuildResponse(
    const ReleaseInput& input, absl::string_view recipient_public_key,
    const keys::Ed25519Signer& release, Forgery forgery = Forgery::kNone);

// Seals and signs an arbitrary plaintext (the fuzzer's bundles).
secretd::v1::ProvisionResponse SealAndSign(
    absl::string_view request_id, absl::string_view plaintext,
    int64_t expires_at, absl::string_view recipient_public_key,
    const keys::Ed25519Signer& release);

}  // namespace bootstrap::testing

#endif  // SECRETD_BOOTSTRAP_TESTING_RELEASE_BUILDER_H_
