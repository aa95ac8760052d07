// ECDSA P-256 with SHA-256 (JWS "ES256", OpenSSL).
//
// JWS carries the signature as r‖s, each 32 bytes big-endian (RFC 7518
// §3.4); OpenSSL speaks DER. Sign and Verify use r‖s; EcdsaDerToRaw and
// EcdsaRawToDer convert. DER parsing is strict (canonical DER only, no BER
// forms, no trailing bytes, no negative or oversized integers).
//
//   ASSIGN_OR_RETURN(auto verifier, keys::EcdsaP256Verifier::Create(x, y));
//   RETURN_IF_ERROR(verifier->Verify(signing_input, r_s));
//
// Thread-safe.
#ifndef SECRETD_KEYS_ECDSA_H_
#define SECRETD_KEYS_ECDSA_H_

#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "keys/internal/openssl.h"
#include "keys/secret_bytes.h"
#include "keys/signature.h"

namespace keys {

inline constexpr size_t kP256CoordinateSize = 32;
inline constexpr size_t kEs256SignatureSize = 64;

class EcdsaP256Verifier final : public Verifier {
 public:
  // `x` and `y` are the 32-byte big-endian affine coordinates.
  // kInvalidArgument unless they are a point on the curve.
  static absl::StatusOr<std::unique_ptr<EcdsaP256Verifier>> Create(
      absl::string_view x, absl::string_view y);

  SignatureAlgorithm algorithm() const override {
    return SignatureAlgorithm::kES256;
  }
  // `signature` is r‖s (64 bytes).
  absl::Status Verify(absl::string_view data,
                      absl::string_view signature) const override;

 private:
  explicit EcdsaP256Verifier(internal::EvpPkeyPtr pkey)
      : pkey_(std::move(pkey)) {}
  internal::EvpPkeyPtr pkey_;
};

class EcdsaP256Signer final : public Signer {
 public:
  // A new key from OpenSSL's CSPRNG.
  static absl::StatusOr<std::unique_ptr<EcdsaP256Signer>> Generate();
  // kInvalidArgument unless `d` is the private scalar of point (x, y).
  static absl::StatusOr<std::unique_ptr<EcdsaP256Signer>> Create(
      absl::string_view x, absl::string_view y, SecretBytes d);

  SignatureAlgorithm algorithm() const override {
    return SignatureAlgorithm::kES256;
  }
  // r‖s (64 bytes). Randomised.
  absl::StatusOr<std::string> Sign(absl::string_view data) const override;

  const std::string& x() const { return x_; }
  const std::string& y() const { return y_; }
  const SecretBytes& d(SecretAccess) const { return d_; }

 private:
  EcdsaP256Signer(internal::EvpPkeyPtr pkey, std::string x, std::string y,
                  SecretBytes d)
      : pkey_(std::move(pkey)),
        x_(std::move(x)),
        y_(std::move(y)),
        d_(std::move(d)) {}
  internal::EvpPkeyPtr pkey_;
  std::string x_, y_;
  SecretBytes d_;
};

// A DER ECDSA-Sig-Value to r‖s with 32-byte components. kInvalidArgument if
// `der` is not canonical DER or r or s does not fit in 32 bytes.
absl::StatusOr<std::string> EcdsaDerToRaw(absl::string_view der);
// r‖s (64 bytes) to DER. kInvalidArgument on a wrong size.
absl::StatusOr<std::string> EcdsaRawToDer(absl::string_view raw);

}  // namespace keys

#endif  // SECRETD_KEYS_ECDSA_H_
