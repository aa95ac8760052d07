// TokenVerifier: the attestation-token checks of DESIGN.md §3.
//
//   keys::TokenVerifier verifier(
//       [&](absl::string_view iss) { return trust_bundles.Find(iss); }, clock);
//   keys::TokenVerifierOptions options;
//   options.audience = "secretd.example";
//   options.max_lifetime = role.max_token_lifetime;         // per role
//   options.nonce_check = [&](absl::string_view n) {
//     return challenger.Check(n, clock);
//   };
//   absl::StatusOr<keys::VerifiedClaims> claims = verifier.Verify(token,
//   options); if (!claims.ok()) {
//     audit.reason =
//     keys::TokenReasonName(*keys::GetTokenReason(claims.status())); return
//     claims.status();       // kUnauthenticated
//   }
//
// Checks, in order; the first failure is returned as a TokenError
// (token_reason.h) with exactly one reason:
//   1. size <= 16 KiB                                          too_large
//   2. compact JWS, header rules (Jws::Parse)  malformed, alg_not_allowed,
//                                                         crit_unsupported
//   3. the header has a kid                                    kid_missing
//   4. the payload is a claims object; iss is a non-empty string
//                                           malformed, claim_missing/_invalid
//   5. the issuer has a JWKS (lookup)                          unknown_issuer
//   6. the kid is in it                                        unknown_kid
//   7. the key may verify and makes alg      key_not_for_signing,
//                                                         alg_key_mismatch
//   8. the signature                                           bad_signature
//   9. sub, aud, iat, exp, nbf, jti, tags have their types
//                                               claim_missing, claim_invalid
//  10. exp > now - leeway                                      expired
//  11. exp >= iat                                             claim_invalid
//      exp - iat <= max_lifetime                              lifetime_too_long
//  12. iat <= now + leeway                                     issued_in_future
//  13. nbf <= now + leeway                                     not_yet_valid
//  14. aud contains the audience                               wrong_audience
//  15. nonce present and accepted by nonce_check  nonce_missing, nonce_invalid,
//                                                            nonce_expired
//  16. cnf.jwk is a valid, non-low-order X25519 key   cnf_missing, cnf_invalid
// Messages say which check failed with non-secret facts (kid, issuer,
// times); they never contain the token or a signature.
//
// The verifier does no I/O and reads time only from the injected clock.
// Thread-safe if the lookup is.
#ifndef SECRETD_KEYS_TOKEN_VERIFIER_H_
#define SECRETD_KEYS_TOKEN_VERIFIER_H_

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "common/clock.h"
#include "keys/jwk.h"
#include "keys/signature.h"
#include "keys/token_reason.h"
#include "nlohmann/json.hpp"

namespace keys {

// The trusted JWKS of an issuer, or nullptr if the issuer is not trusted.
// The verifier keeps the returned pointer only for the call.
using JwksLookup =
    std::function<std::shared_ptr<const Jwks>(absl::string_view issuer)>;

struct TokenVerifierOptions {
  // The broker's audience; `aud` must contain it. Required.
  std::string audience;
  // Clock skew allowed on exp, iat and nbf.
  absl::Duration leeway = absl::Seconds(30);
  // The role's max token lifetime: exp - iat must not exceed it.
  absl::Duration max_lifetime = absl::Seconds(600);
  // Checks the nonce claim, e.g. Challenger::Check. Returns OkStatus or a
  // TokenError (kNonceInvalid, kNonceExpired); any other error counts as
  // nonce_invalid. Required.
  std::function<absl::Status(absl::string_view nonce)> nonce_check;

  // For inspection tools only (secretctl attest verify); the broker never
  // sets these. Skipped checks are listed in VerifiedClaims::skipped_checks().
  bool skip_audience_check = false;
  bool skip_nonce_check = false;
};

// What a token proved. Only TokenVerifier constructs one.
class VerifiedClaims final {
 public:
  const std::string& issuer() const { return issuer_; }
  const std::string& subject() const { return subject_; }
  const std::vector<std::string>& audience() const { return audience_; }
  absl::Time issued_at() const { return issued_at_; }
  absl::Time expires_at() const { return expires_at_; }
  std::optional<absl::Time> not_before() const { return not_before_; }
  const std::string& jti() const { return jti_; }
  // "" when the nonce check was skipped and the token has none.
  const std::string& nonce() const { return nonce_; }
  // The cnf.jwk X25519 public key, 32 bytes: seal the answer to it.
  const std::string& cnf_x25519() const { return cnf_x25519_; }
  // SHA-256 of the token as received: 32 raw bytes (audit token_sha256).
  const std::string& token_sha256() const { return token_sha256_; }
  std::string token_sha256_hex() const;
  const std::string& kid() const { return kid_; }
  SignatureAlgorithm algorithm() const { return algorithm_; }
  // Every claim, for policy context (claim:<name>).
  const nlohmann::json& claims() const { return claims_; }
  // Names of checks that were skipped ("audience", "nonce"); always empty
  // when the options skip nothing.
  const std::vector<std::string>& skipped_checks() const {
    return skipped_checks_;
  }

 private:
  friend class TokenVerifier;
  VerifiedClaims() = default;

  std::string issuer_, subject_;
  std::vector<std::string> audience_;
  absl::Time issued_at_, expires_at_;
  std::optional<absl::Time> not_before_;
  std::string jti_, nonce_, cnf_x25519_, token_sha256_, kid_;
  SignatureAlgorithm algorithm_ = SignatureAlgorithm::kEdDSA;
  nlohmann::json claims_;
  std::vector<std::string> skipped_checks_;
};

class TokenVerifier final {
 public:
  // `clock` must outlive the verifier.
  TokenVerifier(JwksLookup lookup, const common::Clock& clock)
      : lookup_(std::move(lookup)), clock_(clock) {}

  // Runs every check above. A TokenError (kUnauthenticated with a reason)
  // for a bad token; kInvalidArgument (no reason) for bad options: empty
  // audience or no nonce_check without the matching skip flag, negative
  // leeway, non-positive max_lifetime.
  absl::StatusOr<VerifiedClaims> Verify(
      absl::string_view token, const TokenVerifierOptions& options) const;

  // Checks 1-8 only: the token is well-formed and signed by a key of its
  // issuer's JWKS. Returns the claims object unchecked. For inspection
  // (secretctl attest verify --signature-only); never for authorisation.
  absl::StatusOr<nlohmann::json> VerifySignatureOnly(
      absl::string_view token) const;

 private:
  struct Signed;
  absl::StatusOr<Signed> CheckSignature(absl::string_view token) const;

  JwksLookup lookup_;
  const common::Clock& clock_;
};

}  // namespace keys

#endif  // SECRETD_KEYS_TOKEN_VERIFIER_H_
