#include "keys/testing/test_tokens.h"

#include <cstdlib>
#include <iostream>

#include "absl/time/time.h"
#include "keys/encoding.h"
#include "keys/jws.h"
#include "keys/testing/fake_random.h"

namespace keys::testing {
namespace {

template <typename T>
T OrDie(absl::StatusOr<T> v, absl::string_view what) {
  if (!v.ok()) {
    std::cerr << "TestIssuer: " << what << ": " << v.status() << "\n";
    std::abort();
  }
  return *std::move(v);
}

}  // namespace

TestIssuer::TestIssuer(std::string issuer, SignatureAlgorithm alg,
                       std::string kid, uint64_t seed)
    : issuer_(std::move(issuer)), kid_(std::move(kid)), key_([&] {
        FakeRandom random(seed);
        return OrDie(Jwk::Generate(alg, kid_, random), "key generation");
      }()) {
  jwks_ = std::make_shared<const Jwks>(
      OrDie(Jwks::FromKeys({key_.ToPublic()}), "JWKS"));
}

JwksLookup TestIssuer::Lookup() const {
  std::string issuer = issuer_;
  std::shared_ptr<const Jwks> jwks = jwks_;
  return [issuer, jwks](absl::string_view iss) -> std::shared_ptr<const Jwks> {
    return iss == issuer ? jwks : nullptr;
  };
}

nlohmann::json TestIssuer::Claims(const common::Clock& clock,
                                  absl::string_view audience,
                                  absl::string_view nonce,
                                  absl::string_view cnf_x25519) const {
  const int64_t now = absl::ToUnixSeconds(clock.Now());
  return nlohmann::json{
      {"iss", issuer_},
      {"sub", "i-0123456789"},
      {"aud", std::string(audience)},
      {"iat", now},
      {"exp", now + 300},
      {"jti", "jti-" + std::to_string(now)},
      {"nonce", std::string(nonce)},
      {"cnf",
       {{"jwk",
         {{"kty", "OKP"},
          {"crv", "X25519"},
          {"x", Base64UrlEncode(cnf_x25519)}}}}},
  };
}

std::string TestIssuer::Sign(const nlohmann::json& claims) const {
  auto signer = OrDie(key_.signer(), "signer");
  return OrDie(SignJwt(*signer, kid_, claims), "signing");
}

}  // namespace keys::testing
