// The claims parser of the token verifier (DESIGN.md §3): JSON payload to
// typed claims, each failure a TokenError with its precise reason.
//
// Rules:
//   - the payload is a strict JSON object (no duplicate members, nesting
//     <= 16)                                                    malformed
//   - iss, sub, jti: non-empty strings; aud: a non-empty string or a
//     non-empty array of non-empty strings; iat, exp: NumericDates; nbf:
//     optional NumericDate; tags: optional object of strings.
//     Absent -> claim_missing; wrong type or range -> claim_invalid.
//     A NumericDate is a JSON integer of seconds in [0, 253402300799]
//     (year 9999); fractions and exponents are refused.
//   - nonce: absent -> nonce_missing; not a non-empty string -> nonce_invalid
//   - cnf: absent -> cnf_missing; otherwise it must be an object whose jwk
//     is a public OKP X25519 key with a valid, non-low-order point
//                                                             cnf_invalid
// Pure functions; thread-safe.
#ifndef SECRETD_KEYS_INTERNAL_CLAIMS_H_
#define SECRETD_KEYS_INTERNAL_CLAIMS_H_

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "nlohmann/json.hpp"

namespace keys::internal {

inline constexpr int64_t kMaxNumericDate = 253402300799;  // 9999-12-31Z

// The payload as a JSON object. TokenError kMalformed otherwise.
absl::StatusOr<nlohmann::json> ParseClaimsObject(absl::string_view payload);

// iss alone (needed before the signature check to find the JWKS).
absl::StatusOr<std::string> ParseIssuer(const nlohmann::json& claims);

struct RegisteredClaims {
  std::string iss;
  std::string sub;
  std::vector<std::string> aud;
  int64_t iat = 0;
  int64_t exp = 0;
  std::optional<int64_t> nbf;
  std::string jti;
};

// iss, sub, aud, iat, exp, nbf, jti and tags.
absl::StatusOr<RegisteredClaims> ParseRegisteredClaims(
    const nlohmann::json& claims);

// The nonce claim.
absl::StatusOr<std::string> ParseNonce(const nlohmann::json& claims);

// The 32-byte X25519 public key of cnf.jwk.
absl::StatusOr<std::string> ParseCnfX25519(const nlohmann::json& claims);

}  // namespace keys::internal

#endif  // SECRETD_KEYS_INTERNAL_CLAIMS_H_
