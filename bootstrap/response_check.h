// Checks a ProvisionResponse against the agent's own request (DESIGN.md §2
// step 6, §4) and opens it.
//
//   ASSIGN_OR_RETURN(ResponseVerifier verifier,
//                    ResponseVerifier::Create(release_public_key));
//   ASSIGN_OR_RETURN(VerifiedRelease release,
//                    verifier.Verify(response, expected, key_pair, now));
//
// In order, each failure refusing the whole response:
//   1. request_id: 1 to 128 printable ASCII characters (it is printed);
//   2. release_key_id is the pinned key's id (first 16 hex digits of its
//      SHA-256);
//   3. signature: Ed25519 by the pinned key over
//      "secretd-release-v1" || 0x00 || the agent's public key || sealed_bundle;
//   4. sealed_bundle opens with the agent's key and parses as a SecretBundle;
//   5. the bundle's request_id, role, subject, token_id and token_sha256
//      equal the response's request_id and the request's role, the token's
//      sub and jti, and SHA-256 of the token sent;
//   6. expires_at equals the response's, is after `now`, and issued_at is
//      not after it;
//   7. the secrets are exactly the requested names, each once, each with a
//      version >= 1 equal to the pinned one if a version was requested.
// Every refusal is kFailedPrecondition tagged ExitCode::kVerificationFailed,
// naming the check and the request id, never a value.
//
// Plaintexts: the opened bundle is in SecretBytes; protobuf's parse copies
// the values into std::strings, which are wiped (sodium_memzero) before
// Verify returns on every path. The released values are SecretBytes.
// Thread-safe (const).
#ifndef SECRETD_BOOTSTRAP_RESPONSE_CHECK_H_
#define SECRETD_BOOTSTRAP_RESPONSE_CHECK_H_

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "keys/ed25519.h"
#include "keys/secret_bytes.h"
#include "keys/x25519.h"
#include "proto/secretd/v1/broker.pb.h"
#include "secretd/names/secret_name.h"

namespace bootstrap {

inline constexpr char kReleaseContext[] = "secretd-release-v1";

// What the agent asked for.
struct ExpectedBundle {
  std::string role;
  std::string subject;       // the token's sub
  std::string token_id;      // the token's jti
  std::string token_sha256;  // 32 raw bytes
  std::vector<secretd::SecretRef> secrets;
};

struct ReleasedSecret {
  std::string name;
  int64_t version = 0;
  keys::SecretBytes value;
};

struct VerifiedRelease {
  std::string request_id;
  int64_t issued_at = 0;
  int64_t expires_at = 0;
  // In the order of ExpectedBundle::secrets.
  std::vector<ReleasedSecret> secrets;
};

// The message the release signature covers (DESIGN.md §4).
std::string ReleaseSignatureMessage(absl::string_view recipient_public_key,
                                    absl::string_view sealed_bundle);

class ResponseVerifier final {
 public:
  // kInvalidArgument unless `release_public_key` is a valid 32-byte Ed25519
  // public key.
  static absl::StatusOr<ResponseVerifier> Create(
      absl::string_view release_public_key);

  // The pinned key's id (release_key_id).
  const std::string& key_id() const { return key_id_; }

  absl::StatusOr<VerifiedRelease> Verify(
      const secretd::v1::ProvisionResponse& response,
      const ExpectedBundle& expected, const keys::X25519KeyPair& recipient,
      absl::Time now) const;

 private:
  ResponseVerifier(std::shared_ptr<const keys::Ed25519Verifier> verifier,
                   std::string key_id)
      : verifier_(std::move(verifier)), key_id_(std::move(key_id)) {}
  std::shared_ptr<const keys::Ed25519Verifier> verifier_;
  std::string key_id_;
};

}  // namespace bootstrap

#endif  // SECRETD_BOOTSTRAP_RESPONSE_CHECK_H_
