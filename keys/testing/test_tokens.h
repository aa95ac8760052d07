// TestIssuer: a platform attestor for tests of the broker and the agent.
//
//   keys::testing::TestIssuer issuer;                    // Ed25519, kid
//   "test-key-1" keys::TokenVerifier verifier(issuer.Lookup(), clock);
//   nlohmann::json claims = issuer.Claims(clock, "secretd.test", nonce,
//                                         pair.public_key());
//   claims["tags"] = {{"env", "prod"}};
//   std::string token = issuer.Sign(claims);
//
// Claims() gives every claim DESIGN.md §3 requires: iss, sub "i-0123456789",
// aud, iat = now, exp = now + 300 s, jti, nonce and cnf.jwk. Ed25519 keys are
// deterministic (FakeRandom); P-256 and RSA keys are fresh per issuer.
// Thread-safe after construction. Testonly.
#ifndef SECRETD_KEYS_TESTING_TEST_TOKENS_H_
#define SECRETD_KEYS_TESTING_TEST_TOKENS_H_

#include <cstdint>
#include <memory>
#include <string>

#include "absl/strings/string_view.h"
#include "common/clock.h"
#include "keys/jwk.h"
#include "keys/signature.h"
#include "keys/token_verifier.h"
#include "nlohmann/json.hpp"

namespace keys::testing {

class TestIssuer {
 public:
  explicit TestIssuer(std::string issuer = "attest.test",
                      SignatureAlgorithm alg = SignatureAlgorithm::kEdDSA,
                      std::string kid = "test-key-1", uint64_t seed = 1);

  const std::string& issuer() const { return issuer_; }
  const std::string& kid() const { return kid_; }
  // The private JWK.
  const Jwk& key() const { return key_; }
  std::shared_ptr<const Jwks> jwks() const { return jwks_; }
  // Returns jwks() for issuer() and nullptr for any other issuer.
  JwksLookup Lookup() const;

  nlohmann::json Claims(const common::Clock& clock, absl::string_view audience,
                        absl::string_view nonce,
                        absl::string_view cnf_x25519) const;
  // A compact JWS of `claims` with this issuer's kid (typ JWT).
  std::string Sign(const nlohmann::json& claims) const;

 private:
  std::string issuer_;
  std::string kid_;
  Jwk key_;
  std::shared_ptr<const Jwks> jwks_;
};

}  // namespace keys::testing

#endif  // SECRETD_KEYS_TESTING_TEST_TOKENS_H_
