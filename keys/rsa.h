// RS256: RSASSA-PKCS1-v1_5 with SHA-256 (OpenSSL).
//
// Moduli under 2048 bits are refused (DESIGN.md §3), as are moduli over
// 16384 bits, public exponents over 32 bits and keys OpenSSL's checks
// reject. Signatures must be exactly the modulus size.
//
//   ASSIGN_OR_RETURN(auto verifier, keys::Rs256Verifier::Create(n, e));
//   RETURN_IF_ERROR(verifier->Verify(signing_input, signature));
//
// Thread-safe.
#ifndef SECRETD_KEYS_RSA_H_
#define SECRETD_KEYS_RSA_H_

#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "keys/internal/openssl.h"
#include "keys/secret_bytes.h"
#include "keys/signature.h"

namespace keys {

inline constexpr int kMinRsaModulusBits = 2048;

// The private CRT parameters of RFC 7518 §6.3.2, big-endian.
using RsaPrivateParts = internal::RsaPrivateParts;

class Rs256Verifier final : public Verifier {
 public:
  // `n` and `e` big-endian without leading zeros. kInvalidArgument for an
  // invalid or too-small key.
  static absl::StatusOr<std::unique_ptr<Rs256Verifier>> Create(
      absl::string_view n, absl::string_view e);

  SignatureAlgorithm algorithm() const override {
    return SignatureAlgorithm::kRS256;
  }
  absl::Status Verify(absl::string_view data,
                      absl::string_view signature) const override;

 private:
  Rs256Verifier(internal::EvpPkeyPtr pkey, size_t modulus_bytes)
      : pkey_(std::move(pkey)), modulus_bytes_(modulus_bytes) {}
  internal::EvpPkeyPtr pkey_;
  size_t modulus_bytes_;
};

class Rs256Signer final : public Signer {
 public:
  // A new key of `bits` (>= 2048) from OpenSSL's CSPRNG.
  static absl::StatusOr<std::unique_ptr<Rs256Signer>> Generate(int bits = 2048);
  // kInvalidArgument unless the parts form a consistent key pair.
  static absl::StatusOr<std::unique_ptr<Rs256Signer>> Create(
      absl::string_view n, absl::string_view e, RsaPrivateParts parts);

  SignatureAlgorithm algorithm() const override {
    return SignatureAlgorithm::kRS256;
  }
  absl::StatusOr<std::string> Sign(absl::string_view data) const override;

  const std::string& n() const { return n_; }
  const std::string& e() const { return e_; }
  const RsaPrivateParts& private_parts(SecretAccess) const { return parts_; }

 private:
  Rs256Signer(internal::EvpPkeyPtr pkey, std::string n, std::string e,
              RsaPrivateParts parts)
      : pkey_(std::move(pkey)),
        n_(std::move(n)),
        e_(std::move(e)),
        parts_(std::move(parts)) {}
  internal::EvpPkeyPtr pkey_;
  std::string n_, e_;
  RsaPrivateParts parts_;
};

}  // namespace keys

#endif  // SECRETD_KEYS_RSA_H_
