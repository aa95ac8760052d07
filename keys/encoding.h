// Encodings and digests used across secretd's contracts.
//
// Base64url is the unpadded URL-safe alphabet of RFC 4648 §5, as JWS, JWK
// and the key files of DESIGN.md §8 use it. Decoding is strict: no padding,
// no whitespace, no characters outside the alphabet, and the unused bits
// of the last character must be zero, so every byte string has exactly one
// accepted encoding. Encoding and decoding run in constant time
// (libsodium's sodium_bin2base64 / sodium_base642bin), so they may touch
// key material.
//
//   std::string b64 = keys::Base64UrlEncode(bytes);
//   ASSIGN_OR_RETURN(std::string raw, keys::Base64UrlDecode(b64));
//   std::string id = keys::Sha256Hex(line);
//   keys::Sha256Digest d = keys::Sha256Of({body, "}"});  // no allocation
//
// All functions are thread-safe. The SHA-256 functions cannot fail short of
// memory exhaustion; if OpenSSL fails anyway, they print the failing call to
// stderr and abort rather than return a digest that is not the data's.
#ifndef SECRETD_KEYS_ENCODING_H_
#define SECRETD_KEYS_ENCODING_H_

#include <array>
#include <cstddef>
#include <cstdint>
#include <initializer_list>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "keys/secret_bytes.h"

namespace keys {

std::string Base64UrlEncode(absl::string_view bytes);
// kInvalidArgument if `text` is not canonical unpadded base64url.
absl::StatusOr<std::string> Base64UrlDecode(absl::string_view text);
// The same, decoding straight into guarded memory (for key material).
absl::StatusOr<SecretBytes> Base64UrlDecodeSecret(absl::string_view text);
// Encodes a secret. The result is a std::string: wipe it (WipeString) once
// written.
std::string Base64UrlEncodeSecret(const SecretBytes& secret, SecretAccess);

// Lower-case hex.
std::string HexEncode(absl::string_view bytes);
// Accepts upper and lower case; kInvalidArgument on an odd length or a
// non-hex character.
absl::StatusOr<std::string> HexDecode(absl::string_view text);

inline constexpr size_t kSha256Size = 32;
using Sha256Digest = std::array<uint8_t, kSha256Size>;

// SHA-256 digest: 32 raw bytes.
std::string Sha256(absl::string_view data);
// SHA-256 of the concatenation of `pieces`, without building it and without
// allocating (OpenSSL, with one context per thread).
Sha256Digest Sha256Of(std::initializer_list<absl::string_view> pieces);
// SHA-256 digest as 64 lower-case hex digits.
std::string Sha256Hex(absl::string_view data);

// Incremental SHA-256, for data that arrives in pieces. Not thread-safe.
class Sha256Hasher {
 public:
  Sha256Hasher();
  void Update(absl::string_view data);
  // The 32-byte digest. The hasher must not be used afterwards.
  std::string Finish();

 private:
  alignas(64) unsigned char state_[128];
};

// The key id of DESIGN.md §4: the first 16 hex digits of SHA-256(public
// key bytes). Used for release_key_id and audit key ids.
std::string PublicKeyId(absl::string_view public_key);

}  // namespace keys

#endif  // SECRETD_KEYS_ENCODING_H_
