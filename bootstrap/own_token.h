// What the agent reads from its own attestation token, unverified.
//
// The agent cannot verify its token (it has no JWKS and needs none); it
// reads the claims only to check the broker's answer against its own
// request (the bundle's subject and token id) and to catch an attestor that
// returned a token for another challenge or key before sending it.
#ifndef SECRETD_BOOTSTRAP_OWN_TOKEN_H_
#define SECRETD_BOOTSTRAP_OWN_TOKEN_H_

#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace bootstrap {

struct OwnTokenClaims {
  std::string subject;     // sub
  std::string token_id;    // jti
  std::string nonce;       // nonce
  std::string cnf_x25519;  // cnf.jwk.x (base64url)
};

// Parses `token` as a compact JWS (keys::Jws::Parse: size, form, alg) whose
// payload is a JSON object with string `sub`, `jti` and `nonce` and an
// object `cnf.jwk` with a string `x`. kInvalidArgument saying which part
// is wrong; never quotes the token.
absl::StatusOr<OwnTokenClaims> ReadOwnTokenClaims(absl::string_view token);

}  // namespace bootstrap

#endif  // SECRETD_BOOTSTRAP_OWN_TOKEN_H_
