// JSON Web Keys (RFC 7517) and key sets, for the key types secretd uses:
// OKP Ed25519 and X25519 (RFC 8037), EC P-256 and RSA, public and private.
//
//   ASSIGN_OR_RETURN(keys::Jwks jwks, keys::Jwks::Parse(file_contents));
//   const keys::Jwk* key = jwks.Find(kid);          // nullptr if absent
//   RETURN_IF_ERROR(key->CheckCanVerify(keys::SignatureAlgorithm::kES256));
//   RETURN_IF_ERROR(key->verifier()->Verify(signing_input, signature));
//
//   ASSIGN_OR_RETURN(keys::Jwk key, keys::Jwk::Generate(alg, "kid-1", random));
//   std::string thumbprint = key.Thumbprint();     // RFC 7638
//
// Parsing is strict and fails closed:
//   - kty must be OKP, EC or RSA; crv Ed25519 or X25519 (OKP), P-256 (EC);
//   - coordinates have their exact sizes (32 bytes; RFC 7518 §6.2.1.2), RSA
//     integers have no leading zero bytes, every base64url value is
//     canonical; public keys are valid (on the curve, not of small order,
//     RSA of 2048 to 16384 bits); private keys must match their public half;
//   - kid, use and alg are strings, key_ops an array of distinct strings;
//   - a public JWK (and every JWKS member) must not carry private members
//     (d, p, q, dp, dq, qi, oth); RSA multi-prime keys (oth) are refused;
//   - unknown members (x5c, ext, ...) are ignored, as RFC 7517 says.
// Errors are kInvalidArgument naming the member; a Jwks error names the
// key by index ("keys[2].x: ...").
//
// A Jwk is an immutable value: copying shares its (immutable) verifier and
// private material. Thread-safe.
#ifndef SECRETD_KEYS_JWK_H_
#define SECRETD_KEYS_JWK_H_

#include <cstddef>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "keys/random.h"
#include "keys/secret_bytes.h"
#include "keys/signature.h"
#include "nlohmann/json.hpp"

namespace keys {

class Ed25519Signer;

enum class JwkKeyType { kEd25519, kX25519, kP256, kRsa };

class Jwk final {
 public:
  // Largest JWK / JWKS text accepted.
  static constexpr size_t kMaxJwkBytes = 16 * 1024;

  // A public JWK. kInvalidArgument if it is not one (see above).
  static absl::StatusOr<Jwk> ParsePublic(absl::string_view json);
  static absl::StatusOr<Jwk> FromPublicJson(const nlohmann::json& object);
  // A private JWK (private members required). The parser's copies of the
  // private members are wiped before returning.
  static absl::StatusOr<Jwk> ParsePrivate(absl::string_view json);
  static absl::StatusOr<Jwk> FromPrivateJson(const nlohmann::json& object);

  // A new private signing key for `alg`, with "kid": `kid`, "use": "sig" and
  // "alg". Ed25519 seeds come from `random`; P-256 and RSA (2048-bit) keys
  // from OpenSSL's CSPRNG. kInternal only if OpenSSL fails.
  static absl::StatusOr<Jwk> Generate(SignatureAlgorithm alg,
                                      absl::string_view kid,
                                      RandomSource& random);
  // The public JWK of an X25519 key (for cnf.jwk). kInvalidArgument if the
  // key is not a valid recipient key (ValidateX25519PublicKey).
  static absl::StatusOr<Jwk> FromX25519PublicKey(absl::string_view public_key);
  // The private JWK of an Ed25519 signer (kty OKP, crv Ed25519, x, d), with
  // "kid": kid (if not empty), "use": "sig" and "alg": "EdDSA".
  static Jwk FromEd25519Signer(const Ed25519Signer& signer,
                               absl::string_view kid);
  // The public JWK of an Ed25519 key. kInvalidArgument on an invalid key.
  static absl::StatusOr<Jwk> FromEd25519PublicKey(absl::string_view public_key,
                                                  absl::string_view kid);

  JwkKeyType type() const { return type_; }
  // "OKP", "EC" or "RSA".
  absl::string_view kty() const;
  // "Ed25519", "X25519", "P-256"; "" for RSA.
  absl::string_view crv() const;
  // "" when the JWK has no kid.
  const std::string& kid() const { return kid_; }
  const std::optional<std::string>& use() const { return use_; }
  const std::optional<std::vector<std::string>>& key_ops() const {
    return key_ops_;
  }
  const std::optional<std::string>& alg() const { return alg_; }
  bool is_private() const { return private_ != nullptr; }

  // Raw public parameters: x (OKP, EC), y (EC), n and e (RSA).
  const std::string& x() const { return x_; }
  const std::string& y() const { return y_; }
  const std::string& n() const { return n_; }
  const std::string& e() const { return e_; }

  // The JWS algorithm this key type makes (EdDSA for Ed25519, ES256 for
  // P-256, RS256 for RSA), or nullopt for X25519.
  std::optional<SignatureAlgorithm> signature_algorithm() const;

  // The same key without private material.
  Jwk ToPublic() const;
  // The public members (kty, crv, x, y, n, e, kid, use, key_ops, alg).
  nlohmann::json ToPublicJson() const;
  // The private JWK as compact JSON text, in guarded memory.
  // kFailedPrecondition for a public key.
  absl::StatusOr<SecretBytes> ToPrivateJson(SecretAccess) const;

  // RFC 7638 thumbprint: base64url(SHA-256(required members, sorted)).
  std::string Thumbprint() const;

  // OkStatus if this key may verify a JWS signed with `alg` (DESIGN.md §3):
  // `use` absent or "sig" and `key_ops` absent or containing "verify", else
  // a TokenError kKeyNotForSigning; the key type makes `alg` and `alg`
  // (if present) names it, else a TokenError kAlgKeyMismatch.
  absl::Status CheckCanVerify(SignatureAlgorithm alg) const;
  // The verifier of this key (built and checked at parse time); nullptr for
  // X25519 keys. Valid as long as any copy of this Jwk lives.
  const Verifier* verifier() const { return verifier_.get(); }
  // A raw private member ("d", "p", "q", "dp", "dq", "qi"), or nullptr.
  const SecretBytes* private_member(absl::string_view name, SecretAccess) const;
  // A signer for a private signing key. kFailedPrecondition for a public or
  // X25519 key.
  absl::StatusOr<std::shared_ptr<const Signer>> signer() const;

 private:
  struct PrivateParts;
  Jwk() = default;
  friend class Jwks;
  // `path` prefixes error messages ("keys[2]"); "" for a lone JWK.
  static absl::StatusOr<Jwk> FromJson(const nlohmann::json& object,
                                      bool want_private,
                                      absl::string_view path);

  JwkKeyType type_ = JwkKeyType::kEd25519;
  std::string kid_;
  std::optional<std::string> use_;
  std::optional<std::vector<std::string>> key_ops_;
  std::optional<std::string> alg_;
  std::string x_, y_, n_, e_;
  std::shared_ptr<const Verifier> verifier_;
  std::shared_ptr<const PrivateParts> private_;
};

// A JWK Set: {"keys": [...]}, public keys only, kids unique.
class Jwks final {
 public:
  static constexpr size_t kMaxJwksBytes = 64 * 1024;
  static constexpr size_t kMaxKeys = 64;

  // kInvalidArgument naming the offending key ("keys[1].kid: ...").
  static absl::StatusOr<Jwks> Parse(absl::string_view json);
  // A set of the public halves of `keys`. kInvalidArgument on duplicate
  // kids or more than kMaxKeys keys.
  static absl::StatusOr<Jwks> FromKeys(std::vector<Jwk> keys);

  const std::vector<Jwk>& keys() const { return keys_; }
  // The key with this kid, or nullptr.
  const Jwk* Find(absl::string_view kid) const;
  nlohmann::json ToJson() const;

 private:
  std::vector<Jwk> keys_;
};

}  // namespace keys

#endif  // SECRETD_KEYS_JWK_H_
