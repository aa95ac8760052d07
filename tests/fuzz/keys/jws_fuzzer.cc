// Fuzzes keys::Jws::Parse, VerifyJws and the token verifier.
//
// Properties:
//  - whatever parses serializes back to exactly the input (Compact()), and
//    parsing that again gives the same header, payload and signature
//    (strict base64url admits one encoding per value);
//  - every failure carries a TokenReason;
//  - no input verifies under a key that did not sign it.
#include <cstdint>
#include <cstdlib>
#include <memory>
#include <string>

#include "common/clock.h"
#include "keys/jwk.h"
#include "keys/jws.h"
#include "keys/token_reason.h"
#include "keys/token_verifier.h"

namespace {

class FixedClock final : public common::Clock {
 public:
  absl::Time Now() const override { return absl::FromUnixSeconds(1700000000); }
};

const keys::Jwk& Key() {
  // RFC 8037 Appendix A.2 public key; its private key is not in the
  // fuzzer, so no fuzzed input may verify.
  static const keys::Jwk* key =
      new keys::Jwk(keys::Jwk::ParsePublic(
                        R"({"kty":"OKP","crv":"Ed25519","kid":"k",)"
                        R"("x":"11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo"})")
                        .value());
  return *key;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string input(reinterpret_cast<const char*>(data), size);
  absl::StatusOr<keys::Jws> jws = keys::Jws::Parse(input);
  if (!jws.ok()) {
    if (!keys::GetTokenReason(jws.status()).has_value()) std::abort();
  } else {
    if (jws->Compact() != input) std::abort();
    absl::StatusOr<keys::Jws> again = keys::Jws::Parse(jws->Compact());
    if (!again.ok() || again->header() != jws->header() ||
        again->payload() != jws->payload() ||
        again->signature() != jws->signature() ||
        again->algorithm() != jws->algorithm() || again->kid() != jws->kid()) {
      std::abort();
    }
    absl::Status verified = keys::VerifyJws(*jws, Key());
    // The RFC 8037 example token is in the seed corpus and does verify.
    if (verified.ok() && jws->payload() != "Example of Ed25519 signing") {
      std::abort();
    }
    if (!verified.ok() && !keys::GetTokenReason(verified).has_value()) {
      std::abort();
    }
  }

  static const FixedClock clock;
  auto jwks =
      std::make_shared<const keys::Jwks>(keys::Jwks::FromKeys({Key()}).value());
  keys::TokenVerifier verifier([jwks](absl::string_view) { return jwks; },
                               clock);
  keys::TokenVerifierOptions options;
  options.audience = "secretd.test";
  options.nonce_check = [](absl::string_view) { return absl::OkStatus(); };
  absl::StatusOr<keys::VerifiedClaims> claims = verifier.Verify(input, options);
  if (claims.ok()) std::abort();  // nothing in the corpus is a valid token
  if (!keys::GetTokenReason(claims.status()).has_value()) std::abort();
  return 0;
}
