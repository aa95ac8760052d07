#include "keys/token_verifier.h"

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "common/status_macros.h"
#include "keys/encoding.h"
#include "keys/internal/claims.h"
#include "keys/jws.h"

namespace keys {
namespace {

std::string Rfc3339(absl::Time t) {
  return absl::FormatTime("%Y-%m-%dT%H:%M:%SZ", t, absl::UTCTimeZone());
}

std::string Seconds(absl::Duration d) {
  return absl::StrCat(absl::ToInt64Seconds(d), " s");
}

}  // namespace

struct TokenVerifier::Signed {
  Jws jws;
  nlohmann::json claims;
  std::string issuer;
};

std::string VerifiedClaims::token_sha256_hex() const {
  return HexEncode(token_sha256_);
}

absl::StatusOr<TokenVerifier::Signed> TokenVerifier::CheckSignature(
    absl::string_view token) const {
  ASSIGN_OR_RETURN(Jws jws, Jws::Parse(token));
  if (!jws.kid().has_value() || jws.kid()->empty()) {
    return TokenError(TokenReason::kKidMissing,
                      "signature check failed: the header has no kid; the "
                      "issuer must name its signing key");
  }
  ASSIGN_OR_RETURN(nlohmann::json claims,
                   internal::ParseClaimsObject(jws.payload()));
  ASSIGN_OR_RETURN(std::string issuer, internal::ParseIssuer(claims));
  std::shared_ptr<const Jwks> jwks = lookup_ ? lookup_(issuer) : nullptr;
  if (jwks == nullptr) {
    return TokenError(
        TokenReason::kUnknownIssuer,
        absl::StrCat("issuer check failed: issuer ", QuoteForMessage(issuer),
                     " is not trusted; run \"secretctl trust put\" with its "
                     "JWKS"));
  }
  const Jwk* key = jwks->Find(*jws.kid());
  if (key == nullptr) {
    return TokenError(
        TokenReason::kUnknownKid,
        absl::StrCat("signature check failed: kid ",
                     QuoteForMessage(*jws.kid()),
                     " is not in the JWKS for issuer ", QuoteForMessage(issuer),
                     "; run \"secretctl trust put\" with the current JWKS"));
  }
  RETURN_IF_ERROR(VerifyJws(jws, *key));
  return Signed{std::move(jws), std::move(claims), std::move(issuer)};
}

absl::StatusOr<nlohmann::json> TokenVerifier::VerifySignatureOnly(
    absl::string_view token) const {
  ASSIGN_OR_RETURN(Signed signed_token, CheckSignature(token));
  return std::move(signed_token.claims);
}

absl::StatusOr<VerifiedClaims> TokenVerifier::Verify(
    absl::string_view token, const TokenVerifierOptions& options) const {
  if (options.audience.empty() && !options.skip_audience_check) {
    return absl::InvalidArgumentError(
        "TokenVerifierOptions.audience is empty; set the broker's audience");
  }
  if (!options.nonce_check && !options.skip_nonce_check) {
    return absl::InvalidArgumentError(
        "TokenVerifierOptions.nonce_check is not set");
  }
  if (options.leeway < absl::ZeroDuration() ||
      options.max_lifetime <= absl::ZeroDuration()) {
    return absl::InvalidArgumentError(
        "TokenVerifierOptions: leeway must be >= 0 and max_lifetime > 0");
  }

  ASSIGN_OR_RETURN(Signed signed_token, CheckSignature(token));
  const nlohmann::json& claims = signed_token.claims;
  ASSIGN_OR_RETURN(internal::RegisteredClaims reg,
                   internal::ParseRegisteredClaims(claims));

  const absl::Time now = clock_.Now();
  const absl::Time iat = absl::FromUnixSeconds(reg.iat);
  const absl::Time exp = absl::FromUnixSeconds(reg.exp);

  if (exp <= now - options.leeway) {
    return TokenError(
        TokenReason::kExpired,
        absl::StrCat("expiry check failed: exp ", Rfc3339(exp), " is ",
                     Seconds(absl::Ceil(now - exp, absl::Seconds(1))),
                     " in the past (leeway ", Seconds(options.leeway),
                     "); request a fresh token"));
  }
  if (exp < iat) {
    return TokenError(TokenReason::kClaimInvalid,
                      absl::StrCat("claims check failed: exp ", Rfc3339(exp),
                                   " is before iat ", Rfc3339(iat)));
  }
  if (exp - iat > options.max_lifetime) {
    return TokenError(
        TokenReason::kLifetimeTooLong,
        absl::StrCat("lifetime check failed: exp - iat is ", reg.exp - reg.iat,
                     " s; this role allows at most ",
                     Seconds(options.max_lifetime),
                     "; have the issuer mint shorter-lived tokens"));
  }
  if (iat > now + options.leeway) {
    return TokenError(
        TokenReason::kIssuedInFuture,
        absl::StrCat("issue time check failed: iat ", Rfc3339(iat), " is ",
                     Seconds(absl::Ceil(iat - now, absl::Seconds(1))),
                     " in the future (leeway ", Seconds(options.leeway),
                     "); check the clocks of the issuer and the broker"));
  }
  if (reg.nbf.has_value()) {
    const absl::Time nbf = absl::FromUnixSeconds(*reg.nbf);
    if (nbf > now + options.leeway) {
      return TokenError(
          TokenReason::kNotYetValid,
          absl::StrCat("validity check failed: nbf ", Rfc3339(nbf), " is ",
                       Seconds(absl::Ceil(nbf - now, absl::Seconds(1))),
                       " in the future (leeway ", Seconds(options.leeway),
                       ")"));
    }
  }

  VerifiedClaims out;
  if (options.skip_audience_check) {
    out.skipped_checks_.push_back("audience");
  } else if (std::find(reg.aud.begin(), reg.aud.end(), options.audience) ==
             reg.aud.end()) {
    std::vector<std::string> quoted;
    for (const std::string& a : reg.aud) quoted.push_back(QuoteForMessage(a));
    return TokenError(
        TokenReason::kWrongAudience,
        absl::StrCat(
            "audience check failed: aud ",
            absl::StrJoin(quoted.begin(),
                          quoted.begin() + std::min<size_t>(quoted.size(), 5),
                          ", "),
            quoted.size() > 5 ? ", ..." : "", " does not include ",
            QuoteForMessage(options.audience),
            "; request a token for this broker's audience"));
  }

  if (options.skip_nonce_check) {
    out.skipped_checks_.push_back("nonce");
    if (auto n = claims.find("nonce"); n != claims.end() && n->is_string()) {
      out.nonce_ = n->get<std::string>();
    }
  } else {
    ASSIGN_OR_RETURN(out.nonce_, internal::ParseNonce(claims));
    absl::Status nonce_status = options.nonce_check(out.nonce_);
    if (!nonce_status.ok()) {
      std::optional<TokenReason> reason = GetTokenReason(nonce_status);
      if (reason.has_value()) return nonce_status;
      return TokenError(
          TokenReason::kNonceInvalid,
          absl::StrCat("nonce check failed: ", nonce_status.message()));
    }
  }

  ASSIGN_OR_RETURN(out.cnf_x25519_, internal::ParseCnfX25519(claims));

  out.issuer_ = std::move(reg.iss);
  out.subject_ = std::move(reg.sub);
  out.audience_ = std::move(reg.aud);
  out.issued_at_ = iat;
  out.expires_at_ = exp;
  if (reg.nbf.has_value()) out.not_before_ = absl::FromUnixSeconds(*reg.nbf);
  out.jti_ = std::move(reg.jti);
  out.token_sha256_ = Sha256(token);
  out.kid_ = *signed_token.jws.kid();
  out.algorithm_ = signed_token.jws.algorithm();
  out.claims_ = std::move(signed_token.claims);
  return out;
}

}  // namespace keys
