// Signer and Verifier: signatures as operations, never as key bytes.
//
// Implementations: Ed25519Signer/Ed25519Verifier (ed25519.h, libsodium),
// EcdsaP256Signer/EcdsaP256Verifier (ecdsa.h, OpenSSL; the JWS form r‖s)
// and Rs256Signer/Rs256Verifier (rsa.h, OpenSSL; RSASSA-PKCS1-v1_5 with
// SHA-256, moduli of 2048 bits or more). Jwk::MakeVerifier / MakeSigner
// (jwk.h) build them from JWKs.
//
// All implementations are immutable after creation and thread-safe.
#ifndef SECRETD_KEYS_SIGNATURE_H_
#define SECRETD_KEYS_SIGNATURE_H_

#include <optional>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace keys {

// The JWS algorithms secretd accepts (DESIGN.md §3). Nothing else exists.
enum class SignatureAlgorithm {
  kEdDSA,  // Ed25519 (RFC 8037)
  kES256,  // ECDSA P-256 SHA-256, signature r‖s (64 bytes)
  kRS256,  // RSASSA-PKCS1-v1_5 SHA-256, RSA >= 2048 bits
};

// "EdDSA", "ES256", "RS256".
absl::string_view SignatureAlgorithmName(SignatureAlgorithm alg);
// The algorithm with that exact (case-sensitive) JWS name, or nullopt.
std::optional<SignatureAlgorithm> SignatureAlgorithmFromName(
    absl::string_view name);

class Verifier {
 public:
  virtual ~Verifier() = default;
  virtual SignatureAlgorithm algorithm() const = 0;
  // OkStatus if `signature` is a valid signature of `data`;
  // kUnauthenticated otherwise (including a signature of the wrong length).
  virtual absl::Status Verify(absl::string_view data,
                              absl::string_view signature) const = 0;
};

class Signer {
 public:
  virtual ~Signer() = default;
  virtual SignatureAlgorithm algorithm() const = 0;
  // The signature of `data` in its JWS form. kInternal only if the crypto
  // library fails.
  virtual absl::StatusOr<std::string> Sign(absl::string_view data) const = 0;
};

}  // namespace keys

#endif  // SECRETD_KEYS_SIGNATURE_H_
