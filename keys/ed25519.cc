#include "keys/ed25519.h"

#include <sodium.h>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "keys/encoding.h"
#include "keys/internal/sodium.h"

namespace keys {

static_assert(crypto_sign_PUBLICKEYBYTES == kEd25519PublicKeySize);
static_assert(crypto_sign_SEEDBYTES == kEd25519SeedSize);
static_assert(crypto_sign_BYTES == kEd25519SignatureSize);

absl::StatusOr<std::unique_ptr<Ed25519Verifier>> Ed25519Verifier::Create(
    absl::string_view public_key) {
  internal::EnsureSodium();
  if (public_key.size() != kEd25519PublicKeySize) {
    return absl::InvalidArgumentError(absl::StrCat(
        "an Ed25519 public key is 32 bytes, got ", public_key.size()));
  }
  if (crypto_core_ed25519_is_valid_point(
          reinterpret_cast<const uint8_t*>(public_key.data())) != 1) {
    return absl::InvalidArgumentError(
        "not a valid Ed25519 public key (not a canonical point of the "
        "prime-order subgroup)");
  }
  return std::unique_ptr<Ed25519Verifier>(
      new Ed25519Verifier(std::string(public_key)));
}

absl::Status Ed25519Verifier::Verify(absl::string_view data,
                                     absl::string_view signature) const {
  if (signature.size() != kEd25519SignatureSize ||
      crypto_sign_verify_detached(
          reinterpret_cast<const uint8_t*>(signature.data()),
          reinterpret_cast<const uint8_t*>(data.data()), data.size(),
          reinterpret_cast<const uint8_t*>(public_key_.data())) != 0) {
    return absl::UnauthenticatedError("Ed25519 signature does not verify");
  }
  return absl::OkStatus();
}

std::unique_ptr<Ed25519Signer> Ed25519Signer::Generate(RandomSource& random) {
  return FromSeed(RandomSecretBytes(random, kEd25519SeedSize)).value();
}

absl::StatusOr<std::unique_ptr<Ed25519Signer>> Ed25519Signer::FromSeed(
    SecretBytes seed) {
  internal::EnsureSodium();
  if (seed.size() != kEd25519SeedSize) {
    return absl::InvalidArgumentError(absl::StrCat(
        "an Ed25519 private key (seed) is 32 bytes, got ", seed.size()));
  }
  const SecretAccess access = InsecureSecretAccess::Get();
  SecretBytes sk(crypto_sign_SECRETKEYBYTES);
  std::string pk(kEd25519PublicKeySize, '\0');
  crypto_sign_seed_keypair(reinterpret_cast<uint8_t*>(pk.data()),
                           sk.data(access), seed.data(access));
  return std::unique_ptr<Ed25519Signer>(
      new Ed25519Signer(std::move(seed), std::move(sk), std::move(pk)));
}

absl::StatusOr<std::string> Ed25519Signer::Sign(absl::string_view data) const {
  std::string sig(kEd25519SignatureSize, '\0');
  crypto_sign_detached(reinterpret_cast<uint8_t*>(sig.data()), nullptr,
                       reinterpret_cast<const uint8_t*>(data.data()),
                       data.size(),
                       secret_key_.data(InsecureSecretAccess::Get()));
  return sig;
}

std::string Ed25519Signer::key_id() const { return PublicKeyId(public_key_); }

}  // namespace keys
