// Fuzzes the token claims parser (keys/internal/claims.h) and the strict
// JSON parser under it.
//
// Properties: a payload that parses is a JSON object with no member
// repeated and nesting <= 16; writing it out and parsing it again gives an
// equal object, and every typed view of it (registered claims, nonce, cnf
// key) gives the same result both times. Every failure carries a reason.
#include <cstdint>
#include <cstdlib>
#include <string>

#include "keys/internal/claims.h"
#include "keys/internal/strict_json.h"
#include "keys/token_reason.h"

namespace {

template <typename T>
bool SameOutcome(const absl::StatusOr<T>& a, const absl::StatusOr<T>& b) {
  if (a.ok() != b.ok()) return false;
  if (!a.ok()) {
    return keys::GetTokenReason(a.status()) ==
               keys::GetTokenReason(b.status()) &&
           keys::GetTokenReason(a.status()).has_value();
  }
  return true;
}

bool SameClaims(const keys::internal::RegisteredClaims& a,
                const keys::internal::RegisteredClaims& b) {
  return a.iss == b.iss && a.sub == b.sub && a.aud == b.aud && a.iat == b.iat &&
         a.exp == b.exp && a.nbf == b.nbf && a.jti == b.jti;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  namespace ki = keys::internal;
  const std::string input(reinterpret_cast<const char*>(data), size);
  auto claims = ki::ParseClaimsObject(input);
  if (!claims.ok()) {
    if (keys::GetTokenReason(claims.status()) !=
        keys::TokenReason::kMalformed) {
      std::abort();
    }
    return 0;
  }
  if (!claims->is_object() || ki::JsonDepth(*claims) > ki::kMaxJsonDepth) {
    std::abort();
  }
  auto text = ki::DumpJson(*claims);
  if (!text.ok()) std::abort();
  auto again = ki::ParseClaimsObject(*text);
  if (!again.ok() || *again != *claims) std::abort();

  auto reg1 = ki::ParseRegisteredClaims(*claims);
  auto reg2 = ki::ParseRegisteredClaims(*again);
  if (!SameOutcome(reg1, reg2)) std::abort();
  if (reg1.ok()) {
    if (!SameClaims(*reg1, *reg2)) std::abort();
    if (reg1->iat < 0 || reg1->iat > ki::kMaxNumericDate || reg1->aud.empty()) {
      std::abort();
    }
  }
  auto nonce1 = ki::ParseNonce(*claims);
  auto nonce2 = ki::ParseNonce(*again);
  if (!SameOutcome(nonce1, nonce2) || (nonce1.ok() && *nonce1 != *nonce2)) {
    std::abort();
  }
  auto cnf1 = ki::ParseCnfX25519(*claims);
  auto cnf2 = ki::ParseCnfX25519(*again);
  if (!SameOutcome(cnf1, cnf2) ||
      (cnf1.ok() && (*cnf1 != *cnf2 || cnf1->size() != 32))) {
    std::abort();
  }
  return 0;
}
