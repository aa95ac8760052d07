// The released bundle: SecretBundle (proto/secretd/v1/broker.proto) encoded
// straight into guarded memory, and the bytes the release signature covers
// (docs/DESIGN.md §4).
//
//   keys::SecretBytes plaintext = EncodeSecretBundle(header, secrets);
//   ASSIGN_OR_RETURN(std::string sealed, keys::SealTo(cnf_key,
//       plaintext.AsStringView(keys::InsecureSecretAccess::Get())));
//   ASSIGN_OR_RETURN(std::string signature, release_signer.Sign(
//       ReleaseSignatureMessage(cnf_key, sealed)));
//
// Why not the generated message: its `bytes value` fields are std::strings
// that protobuf allocates, copies and frees on its own terms, so a plaintext
// would sit in ordinary heap memory. EncodeSecretBundle writes the protobuf
// wire format itself, from keys::SecretBytes into keys::SecretBytes
// (sodium_malloc: guard pages, mlock, wiped on free), byte for byte what
// SecretBundle::SerializeAsString() produces for the same values (the test
// compares them). The plaintext bundle therefore never exists outside
// guarded memory.
#ifndef SECRETD_SECRETD_BROKER_BUNDLE_H_
#define SECRETD_SECRETD_BROKER_BUNDLE_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/strings/string_view.h"
#include "keys/secret_bytes.h"

namespace secretd {

// The domain separation prefix of the release signature (without its 0x00).
inline constexpr absl::string_view kReleaseSignatureContext =
    "secretd-release-v1";

// SecretBundle fields 1-7.
struct BundleHeader {
  std::string request_id;
  std::string role;
  std::string subject;
  std::string token_id;      // the token's jti
  std::string token_sha256;  // 32 raw bytes
  int64_t issued_at = 0;     // Unix seconds
  int64_t expires_at = 0;
};

// One SecretBundle.secrets entry.
struct BundleSecret {
  std::string name;
  int64_t version = 0;
  keys::SecretBytes value;
};

// The SecretBundle with `header` and `secrets`, serialized (proto3, fields in
// number order, default values omitted). Never fails.
keys::SecretBytes EncodeSecretBundle(const BundleHeader& header,
                                     const std::vector<BundleSecret>& secrets);

// "secretd-release-v1" || 0x00 || recipient_public_key (32 bytes) ||
// sealed_bundle: what the release key signs.
std::string ReleaseSignatureMessage(absl::string_view recipient_public_key,
                                    absl::string_view sealed_bundle);

}  // namespace secretd

#endif  // SECRETD_SECRETD_BROKER_BUNDLE_H_
