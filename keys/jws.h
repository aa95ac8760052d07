// JWS compact serialization (RFC 7515 §7.1) with secretd's rules
// (DESIGN.md §3).
//
//   ASSIGN_OR_RETURN(keys::Jws jws, keys::Jws::Parse(token));
//   const keys::Jwk* key = jwks.Find(*jws.kid());
//   RETURN_IF_ERROR(keys::VerifyJws(jws, *key));
//   // jws.payload() is now authentic.
//
//   ASSIGN_OR_RETURN(std::string token,
//                    keys::SignJwt(signer, "kid-1", claims));
//
// Jws::Parse refuses, each with its TokenReason (token_reason.h):
//   - more than kMaxTokenBytes (16 KiB)                      too_large
//   - anything but three dot-separated parts; a part that is not canonical
//     unpadded base64url; a header that is not a strict JSON object
//     (duplicate members, nesting over 16); alg or kid not a string;
//     an empty signature                                     malformed
//   - alg other than EdDSA, ES256, RS256 ("none", HS*, PS*, ...)
//                                                            alg_not_allowed
//   - a "crit" header (no extension is understood)           crit_unsupported
// Keys named in the header (jwk, jku, x5c, x5u) are ignored: the verifier
// alone chooses the key. The payload may be any bytes (RFC 8037's example
// signs a sentence); the token verifier requires a claims object.
//
// A Jws is an immutable value. Thread-safe.
#ifndef SECRETD_KEYS_JWS_H_
#define SECRETD_KEYS_JWS_H_

#include <cstddef>
#include <optional>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "keys/jwk.h"
#include "keys/signature.h"
#include "nlohmann/json.hpp"

namespace keys {

inline constexpr size_t kMaxTokenBytes = 16 * 1024;

// A parsed compact JWS whose signature has NOT been verified.
class Jws final {
 public:
  // See the rules above. Errors are TokenError statuses.
  static absl::StatusOr<Jws> Parse(absl::string_view compact);

  SignatureAlgorithm algorithm() const { return alg_; }
  // The header's kid, or nullopt.
  const std::optional<std::string>& kid() const { return kid_; }
  const nlohmann::json& header() const { return header_; }
  // The decoded payload.
  const std::string& payload() const { return payload_; }
  // The decoded signature.
  const std::string& signature() const { return signature_; }
  // ASCII(BASE64URL(header) '.' BASE64URL(payload)): what was signed.
  const std::string& signing_input() const { return signing_input_; }
  // The compact serialization (identical to what was parsed).
  std::string Compact() const;

 private:
  Jws() = default;
  SignatureAlgorithm alg_ = SignatureAlgorithm::kEdDSA;
  std::optional<std::string> kid_;
  nlohmann::json header_;
  std::string payload_;
  std::string signature_;
  std::string signing_input_;
};

// OkStatus if `key` may verify `jws` (Jwk::CheckCanVerify: use, key_ops, alg
// fit) and the signature is valid. TokenError kKeyNotForSigning,
// kAlgKeyMismatch or kBadSignature otherwise.
absl::Status VerifyJws(const Jws& jws, const Jwk& key);

struct JwsSignOptions {
  std::optional<std::string> kid;
  std::optional<std::string> typ;
};

// A compact JWS of `payload` with header {"alg":...[,"kid":...][,"typ":...]}
// (members in that order, no whitespace). kInternal if signing fails.
absl::StatusOr<std::string> SignJws(const Signer& signer,
                                    absl::string_view payload,
                                    const JwsSignOptions& options = {});

// A JWT: SignJws of claims.dump() with "kid": kid and "typ": "JWT".
// kInvalidArgument unless `claims` is an object.
absl::StatusOr<std::string> SignJwt(const Signer& signer, absl::string_view kid,
                                    const nlohmann::json& claims);

}  // namespace keys

#endif  // SECRETD_KEYS_JWS_H_
