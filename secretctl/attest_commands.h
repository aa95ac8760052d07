// secretctl attest: a development platform attestor (DESIGN.md §8).
//
//   secretctl attest keygen --alg EdDSA|ES256|RS256 --kid KID
//                           --private-out FILE --jwks-out FILE
//   secretctl attest issue --key FILE --issuer ISS --subject SUB
//                          --audience AUD --nonce N --cnf-x25519 B64URL
//                          [--claims JSON] [--ttl SECONDS]
//   secretctl attest verify --jwks FILE [--audience AUD] [--at RFC3339]
//                           [--signature-only] TOKEN
//
// keygen writes a private JWK (mode 0600, never over an existing file) and
// the public JWKS the broker trusts (`secretctl trust put`). issue prints a
// token with the claims of DESIGN.md §3 (iat now, exp now + ttl, a random
// jti); --claims merges a JSON object last, so it can add platform
// attributes (tags, region, ...) or override any claim for negative tests.
// verify runs the broker's token checks with keys::TokenVerifier and prints
// the verified claims (exit 0) or the failed check and its reason (exit 1);
// what it cannot check (issuer trust, nonce, audience without --audience)
// is listed on stderr.
#ifndef SECRETD_SECRETCTL_ATTEST_COMMANDS_H_
#define SECRETD_SECRETCTL_ATTEST_COMMANDS_H_

#include <vector>

#include "common/cli.h"

namespace secretctl {

std::vector<common::cli::Command> AttestCommands();

}  // namespace secretctl

#endif  // SECRETD_SECRETCTL_ATTEST_COMMANDS_H_
