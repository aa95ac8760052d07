// Where the agent gets its attestation token (DESIGN.md §2 step 3).
//
// The agent calls GetToken once per attempt with the broker's fresh
// challenge, its audience and the agent's X25519 public key; the attestor
// returns a compact JWS carrying them as `nonce`, `aud` and `cnf.jwk`.
// Two implementations: ExecAttestor (--attest-exec, a command) and
// HttpAttestor (--attest-url, a metadata endpoint).
#ifndef SECRETD_BOOTSTRAP_ATTESTOR_H_
#define SECRETD_BOOTSTRAP_ATTESTOR_H_

#include <string>

#include "absl/status/statusor.h"
#include "absl/time/time.h"

namespace bootstrap {

struct AttestationRequest {
  std::string nonce;       // the broker's challenge
  std::string audience;    // the broker's audience
  std::string cnf_x25519;  // base64url of the agent's 32-byte public key
};

class Attestor {
 public:
  virtual ~Attestor() = default;
  // The token, with surrounding whitespace removed. The caller wipes it
  // (keys::WipeString) when done. kUnavailable when trying again later may
  // succeed (the endpoint is not up yet); any other code is final. Must
  // return by `deadline` (give or take the time to kill a child).
  virtual absl::StatusOr<std::string> GetToken(
      const AttestationRequest& request, absl::Time deadline) = 0;
};

}  // namespace bootstrap

#endif  // SECRETD_BOOTSTRAP_ATTESTOR_H_
