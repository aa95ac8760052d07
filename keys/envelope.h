// Envelope encryption of secret versions (DESIGN.md §6).
//
// Each secret version gets its own random 32-byte data key. The value is
// encrypted with the data key and the data key is wrapped with the KEK,
// both with XChaCha20-Poly1305 (libsodium crypto_aead_xchacha20poly1305_ietf)
// and the same associated data, which binds a row to its name and version:
//
//   AAD = "secretd-secret-v1" ‖ name ‖ 0x00 ‖ version
//
// where version is the int64 as 8 bytes big-endian. Names may not contain
// NUL (so the encoding is unambiguous); versions must be >= 0.
//
// Stored form (opaque columns, random 24-byte nonces embedded):
//   wrapped_data_key = nonce(24) ‖ XChaCha20-Poly1305(KEK, data key)  72 bytes
//   ciphertext       = nonce(24) ‖ XChaCha20-Poly1305(data key, value)
//                      value size + 40 bytes
//   kek_id           = Kek::id() of the wrapping KEK
//
//   ASSIGN_OR_RETURN(keys::EncryptedSecret row,
//                    keys::EncryptSecret(kek, "app/db/password", 3, value,
//                    random));
//   ASSIGN_OR_RETURN(keys::SecretBytes value,
//                    keys::DecryptSecret(kek, "app/db/password", 3, row));
//   // KEK rotation: only the wrapped data key changes.
//   ASSIGN_OR_RETURN(row, keys::RewrapSecret(old_kek, new_kek, name, 3, row,
//   random));
//
// The data key lives in guarded memory while encrypting; while decrypting or
// rewrapping, the unwrapped key sits on the stack for the length of the call
// and is wiped on every path (as libsodium keeps its derived keys), which
// keeps DecryptSecret within a few percent of the raw libsodium calls.
// Thread-safe.
#ifndef SECRETD_KEYS_ENVELOPE_H_
#define SECRETD_KEYS_ENVELOPE_H_

#include <cstddef>
#include <cstdint>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "keys/kek.h"
#include "keys/random.h"
#include "keys/secret_bytes.h"

namespace keys {

inline constexpr size_t kWrappedDataKeySize = 72;
inline constexpr size_t kCiphertextOverhead = 40;

struct EncryptedSecret {
  std::string kek_id;
  std::string wrapped_data_key;
  std::string ciphertext;
};

// The associated data of a secret version (exposed for tests and docs).
// kInvalidArgument if `name` contains NUL or `version` < 0.
absl::StatusOr<std::string> SecretAad(absl::string_view name, int64_t version);

// Encrypts one version of a secret. kInvalidArgument on a bad name/version.
absl::StatusOr<EncryptedSecret> EncryptSecret(const Kek& kek,
                                              absl::string_view name,
                                              int64_t version,
                                              absl::string_view plaintext,
                                              RandomSource& random);

// Decrypts one version. kFailedPrecondition if `encrypted` was wrapped by
// another KEK (the message names both ids); kDataLoss if the row does not
// authenticate (modified, or moved to another name or version);
// kInvalidArgument on a bad name/version.
absl::StatusOr<SecretBytes> DecryptSecret(const Kek& kek,
                                          absl::string_view name,
                                          int64_t version,
                                          const EncryptedSecret& encrypted);

// Re-wraps the data key of `encrypted` from `old_kek` to `new_kek`; the
// ciphertext is unchanged. Errors as DecryptSecret (for the old wrap).
absl::StatusOr<EncryptedSecret> RewrapSecret(
    const Kek& old_kek, const Kek& new_kek, absl::string_view name,
    int64_t version, const EncryptedSecret& encrypted, RandomSource& random);

}  // namespace keys

#endif  // SECRETD_KEYS_ENVELOPE_H_
