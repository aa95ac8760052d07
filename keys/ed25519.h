// Ed25519 signatures (libsodium): the broker's release and audit keys, and
// EdDSA attestation tokens (RFC 8037).
//
//   auto signer = keys::Ed25519Signer::Generate(random);
//   ASSIGN_OR_RETURN(std::string sig, signer->Sign(message));
//   std::string release_key_id = signer->key_id();   // DESIGN.md §4
//
//   ASSIGN_OR_RETURN(auto verifier, keys::Ed25519Verifier::Create(public_key));
//   RETURN_IF_ERROR(verifier->Verify(message, sig));
//
// Verification is libsodium's crypto_sign_verify_detached: it rejects
// non-canonical S (S >= L), small-order R and public keys, and
// non-canonical encodings. Public keys must be valid points of the prime-
// order subgroup. Thread-safe.
#ifndef SECRETD_KEYS_ED25519_H_
#define SECRETD_KEYS_ED25519_H_

#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "keys/random.h"
#include "keys/secret_bytes.h"
#include "keys/signature.h"

namespace keys {

inline constexpr size_t kEd25519PublicKeySize = 32;
inline constexpr size_t kEd25519SeedSize = 32;
inline constexpr size_t kEd25519SignatureSize = 64;

class Ed25519Verifier final : public Verifier {
 public:
  // kInvalidArgument unless `public_key` is 32 bytes encoding a valid point.
  static absl::StatusOr<std::unique_ptr<Ed25519Verifier>> Create(
      absl::string_view public_key);

  SignatureAlgorithm algorithm() const override {
    return SignatureAlgorithm::kEdDSA;
  }
  absl::Status Verify(absl::string_view data,
                      absl::string_view signature) const override;
  const std::string& public_key() const { return public_key_; }

 private:
  explicit Ed25519Verifier(std::string public_key)
      : public_key_(std::move(public_key)) {}
  std::string public_key_;
};

class Ed25519Signer final : public Signer {
 public:
  // A new key whose 32-byte seed comes from `random`.
  static std::unique_ptr<Ed25519Signer> Generate(RandomSource& random);
  // The key of a 32-byte seed (the JWK "d" of RFC 8037).
  // kInvalidArgument on a wrong size.
  static absl::StatusOr<std::unique_ptr<Ed25519Signer>> FromSeed(
      SecretBytes seed);

  SignatureAlgorithm algorithm() const override {
    return SignatureAlgorithm::kEdDSA;
  }
  // A 64-byte signature. Deterministic.
  absl::StatusOr<std::string> Sign(absl::string_view data) const override;

  // 32 bytes.
  const std::string& public_key() const { return public_key_; }
  // PublicKeyId(public_key()): the release_key_id of DESIGN.md §4.
  std::string key_id() const;
  const SecretBytes& seed(SecretAccess) const { return seed_; }

 private:
  Ed25519Signer(SecretBytes seed, SecretBytes secret_key,
                std::string public_key)
      : seed_(std::move(seed)),
        secret_key_(std::move(secret_key)),
        public_key_(std::move(public_key)) {}

  SecretBytes seed_;
  SecretBytes secret_key_;  // libsodium's 64-byte form: seed ‖ public key
  std::string public_key_;
};

}  // namespace keys

#endif  // SECRETD_KEYS_ED25519_H_
