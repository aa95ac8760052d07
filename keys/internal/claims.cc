#include "keys/internal/claims.h"

#include "absl/strings/str_cat.h"
#include "common/status_macros.h"
#include "keys/internal/strict_json.h"
#include "keys/jwk.h"
#include "keys/jws.h"
#include "keys/token_reason.h"

namespace keys::internal {
namespace {

using Json = nlohmann::json;

absl::Status Missing(absl::string_view claim) {
  return TokenError(TokenReason::kClaimMissing,
                    absl::StrCat("claims check failed: the token has no \"",
                                 claim, "\" claim"));
}

absl::Status Invalid(absl::string_view claim, absl::string_view problem) {
  return TokenError(
      TokenReason::kClaimInvalid,
      absl::StrCat("claims check failed: \"", claim, "\" ", problem));
}

absl::StatusOr<std::string> NonEmptyString(const Json& claims,
                                           const char* name) {
  auto it = claims.find(name);
  if (it == claims.end()) return Missing(name);
  if (!it->is_string() || it->get_ref<const std::string&>().empty()) {
    return Invalid(name, "must be a non-empty string");
  }
  return it->get<std::string>();
}

absl::StatusOr<int64_t> NumericDate(const Json& value, const char* name) {
  int64_t seconds;
  if (value.is_number_unsigned()) {
    const uint64_t u = value.get<uint64_t>();
    if (u > static_cast<uint64_t>(kMaxNumericDate)) {
      return Invalid(name, "is beyond the year 9999");
    }
    seconds = static_cast<int64_t>(u);
  } else if (value.is_number_integer()) {
    seconds = value.get<int64_t>();
  } else if (value.is_number_float()) {
    return Invalid(name, "must be a whole number of seconds");
  } else {
    return Invalid(name,
                   "must be a number of seconds since 1970 (NumericDate)");
  }
  if (seconds < 0) return Invalid(name, "is before 1970");
  if (seconds > kMaxNumericDate)
    return Invalid(name, "is beyond the year 9999");
  return seconds;
}

absl::StatusOr<int64_t> RequiredDate(const Json& claims, const char* name) {
  auto it = claims.find(name);
  if (it == claims.end()) return Missing(name);
  return NumericDate(*it, name);
}

}  // namespace

absl::StatusOr<nlohmann::json> ParseClaimsObject(absl::string_view payload) {
  auto claims = ParseStrictJson(payload, kMaxTokenBytes);
  if (!claims.ok()) {
    return TokenError(TokenReason::kMalformed,
                      absl::StrCat("format check failed: the payload is not a "
                                   "JSON claims object: ",
                                   claims.status().message()));
  }
  if (!claims->is_object()) {
    return TokenError(TokenReason::kMalformed,
                      "format check failed: the payload is not a JSON claims "
                      "object");
  }
  return claims;
}

absl::StatusOr<std::string> ParseIssuer(const nlohmann::json& claims) {
  return NonEmptyString(claims, "iss");
}

absl::StatusOr<RegisteredClaims> ParseRegisteredClaims(
    const nlohmann::json& claims) {
  RegisteredClaims out;
  ASSIGN_OR_RETURN(out.iss, NonEmptyString(claims, "iss"));
  ASSIGN_OR_RETURN(out.sub, NonEmptyString(claims, "sub"));
  auto aud = claims.find("aud");
  if (aud == claims.end()) return Missing("aud");
  if (aud->is_string() && !aud->get_ref<const std::string&>().empty()) {
    out.aud.push_back(aud->get<std::string>());
  } else if (aud->is_array() && !aud->empty()) {
    for (const Json& a : *aud) {
      if (!a.is_string() || a.get_ref<const std::string&>().empty()) {
        return Invalid("aud", "must be a string or an array of strings");
      }
      out.aud.push_back(a.get<std::string>());
    }
  } else {
    return Invalid("aud", "must be a string or an array of strings");
  }
  ASSIGN_OR_RETURN(out.iat, RequiredDate(claims, "iat"));
  ASSIGN_OR_RETURN(out.exp, RequiredDate(claims, "exp"));
  if (auto nbf = claims.find("nbf"); nbf != claims.end()) {
    ASSIGN_OR_RETURN(out.nbf, NumericDate(*nbf, "nbf"));
  }
  ASSIGN_OR_RETURN(out.jti, NonEmptyString(claims, "jti"));
  if (auto tags = claims.find("tags"); tags != claims.end()) {
    if (!tags->is_object()) {
      return Invalid("tags", "must be an object of strings");
    }
    for (const auto& [k, v] : tags->items()) {
      if (!v.is_string())
        return Invalid("tags", "must be an object of strings");
    }
  }
  return out;
}

absl::StatusOr<std::string> ParseNonce(const nlohmann::json& claims) {
  auto nonce = claims.find("nonce");
  if (nonce == claims.end()) {
    return TokenError(TokenReason::kNonceMissing,
                      "nonce check failed: the token has no \"nonce\" claim; "
                      "ask the broker for a challenge and put it in the token");
  }
  if (!nonce->is_string() || nonce->get_ref<const std::string&>().empty()) {
    return TokenError(TokenReason::kNonceInvalid,
                      "nonce check failed: \"nonce\" must be a non-empty "
                      "string");
  }
  return nonce->get<std::string>();
}

absl::StatusOr<std::string> ParseCnfX25519(const nlohmann::json& claims) {
  auto cnf = claims.find("cnf");
  if (cnf == claims.end()) {
    return TokenError(TokenReason::kCnfMissing,
                      "key binding check failed: the token has no \"cnf\" "
                      "claim; it must carry the instance's X25519 key as "
                      "cnf.jwk");
  }
  auto invalid = [](absl::string_view problem) {
    return TokenError(TokenReason::kCnfInvalid,
                      absl::StrCat("key binding check failed: ", problem));
  };
  if (!cnf->is_object()) return invalid("\"cnf\" must be an object");
  auto jwk = cnf->find("jwk");
  if (jwk == cnf->end()) return invalid("\"cnf\" has no \"jwk\"");
  if (jwk->is_object() && jwk->contains("d")) {
    return invalid("cnf.jwk holds a private key");
  }
  auto key = Jwk::FromPublicJson(*jwk);
  if (!key.ok()) {
    return invalid(absl::StrCat("cnf.jwk: ", key.status().message()));
  }
  if (key->type() != JwkKeyType::kX25519) {
    return invalid(absl::StrCat("cnf.jwk must be an OKP X25519 key, not ",
                                key->kty(), key->crv().empty() ? "" : " ",
                                key->crv()));
  }
  return key->x();
}

}  // namespace keys::internal
