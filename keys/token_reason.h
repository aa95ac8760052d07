// Why a token was rejected: one stable machine reason per failed check.
//
// Every failure from Jws::Parse, VerifyJwsSignature, TokenVerifier::Verify
// and Challenger::Check is an absl::Status with code kUnauthenticated, a
// human message in the style of STYLE.md §4 ("token rejected: expiry check
// failed: ...") and a TokenReason attached as a status payload:
//
//   absl::StatusOr<keys::VerifiedClaims> claims = verifier.Verify(token, opts);
//   if (!claims.ok()) {
//     std::optional<keys::TokenReason> r =
//     keys::GetTokenReason(claims.status()); audit.reason = r ?
//     keys::TokenReasonName(*r) : "internal";
//   }
//
// The snake_case names are part of the audit-log contract: never rename one,
// only add. Messages never contain the token, a signature or key material.
#ifndef SECRETD_KEYS_TOKEN_REASON_H_
#define SECRETD_KEYS_TOKEN_REASON_H_

#include <optional>
#include <string>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"

namespace keys {

enum class TokenReason {
  kMalformed,         // malformed: not a compact JWS / bad base64url / bad JSON
  kTooLarge,          // too_large: token over 16 KiB
  kAlgNotAllowed,     // alg_not_allowed: alg not EdDSA, ES256 or RS256
  kCritUnsupported,   // crit_unsupported: header has "crit"
  kKidMissing,        // kid_missing: header has no kid
  kUnknownIssuer,     // unknown_issuer: iss has no trusted JWKS
  kUnknownKid,        // unknown_kid: kid not in the issuer's JWKS
  kKeyNotForSigning,  // key_not_for_signing: JWK use/key_ops forbid verify
  kAlgKeyMismatch,    // alg_key_mismatch: alg cannot be made by the JWK
  kBadSignature,      // bad_signature
  kClaimMissing,      // claim_missing: a required claim is absent
  kClaimInvalid,      // claim_invalid: a claim has the wrong type or range
  kExpired,           // expired: exp <= now - leeway
  kLifetimeTooLong,   // lifetime_too_long: exp - iat > max lifetime
  kIssuedInFuture,    // issued_in_future: iat > now + leeway
  kNotYetValid,       // not_yet_valid: nbf > now + leeway
  kWrongAudience,     // wrong_audience: aud lacks the broker's audience
  kNonceMissing,      // nonce_missing
  kNonceInvalid,      // nonce_invalid: not a challenge of this broker
  kNonceExpired,      // nonce_expired: challenge older than its TTL
  kCnfMissing,        // cnf_missing: no cnf.jwk
  kCnfInvalid,        // cnf_invalid: cnf.jwk not a valid X25519 public key
  kReplayed,          // replayed: jti already used (set by the broker when
                      // single_use_tokens is on; never by keys/)
};

// The stable snake_case name, e.g. "bad_signature".
absl::string_view TokenReasonName(TokenReason reason);
// The reason with that name, or nullopt.
std::optional<TokenReason> TokenReasonFromName(absl::string_view name);

// kUnauthenticated "token rejected: <message>" carrying `reason`.
absl::Status TokenError(TokenReason reason, absl::string_view message);
// The reason attached to `status`, or nullopt (ok or not a token failure).
std::optional<TokenReason> GetTokenReason(const absl::Status& status);

// `value` in double quotes for an error message: at most 64 characters,
// anything outside printable ASCII (and '"', '\\') replaced by '?'. For
// values from untrusted input that help an operator (kid, iss, alg).
std::string QuoteForMessage(absl::string_view value);

}  // namespace keys

#endif  // SECRETD_KEYS_TOKEN_REASON_H_
